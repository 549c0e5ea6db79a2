/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-run.c: the engine's public face and its runner thread.
 *
 * tv_run_new() lays out the run (thread slots, object ids), creates the
 * recorder and maps the shared block; tv_run_start() starts two private
 * threads: the runner, which records the start of the run, runs the main
 * body as thread 0 ("MainThread"), waits for every other thread to end and
 * records the end; and the watchdog (tv-watchdog.c).  See docs/engine.md.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <gio/gio.h>

#include "tv-run-private.h"

/* --- errors --------------------------------------------------------------- */

TvFlow
tv_run_fail_message (TvCtx *ctx, TvRunErrorKind kind, guint line, const char *message)
{
  TvRun *run = ctx->run;
  TvShared *sh = ctx->sh;
  gboolean first;

  tv_shared_lock (sh);
  first = sh->error_kind == TV_RUN_ERROR_NONE;
  if (first)
    {
      sh->error_kind = kind;
      g_strlcpy (sh->error_text, message, sizeof sh->error_text);
      tv_shared_stop_locked (sh);
    }
  tv_shared_unlock (sh);

  if (first)
    tv_emit (ctx, TV_EV_RUN_ERROR, line, 0, kind,
             (gint64) tv_recorder_add_string (run->recorder, message, strlen (message)));
  return TV_FLOW_STOP;
}

TvFlow
tv_run_fail (TvCtx *ctx, TvRunErrorKind kind, TvLocation location, const char *format, ...)
{
  TvScenario *sc = ctx->run->scenario;
  g_autofree char *formatted = NULL;
  TvDiagnostic diagnostic;
  va_list args;

  va_start (args, format);
  diagnostic.location = location;
  diagnostic.message = g_strdup_vprintf (format, args);
  va_end (args);

  formatted = tv_diagnostic_format (&diagnostic, sc->filename, sc->source);
  g_free (diagnostic.message);
  return tv_run_fail_message (ctx, kind, location.line, formatted);
}

void
tv_run_fail_locked (TvRun *run, TvRunErrorKind kind, char *message)
{
  TvShared *sh = run->sh;

  if (sh->error_kind != TV_RUN_ERROR_NONE)
    {
      g_free (message);
      return;
    }
  sh->error_kind = kind;
  g_strlcpy (sh->error_text, message, sizeof sh->error_text);
  g_free (message);
  /* The runner records TV_EV_RUN_ERROR once every thread has ended. */
  tv_shared_stop_locked (sh);
}

const char *
tv_run_object_name (TvRun *run, guint32 id)
{
  if (id == 0 || id > run->sh->n_objects)
    return "?";
  return run->object_names[id - 1];
}

gboolean
tv_run_ctl_wait_until (TvRun *run, gint64 end)
{
  struct timespec ts;

  if (g_get_monotonic_time () >= end)
    return FALSE;
  ts.tv_sec = end / G_USEC_PER_SEC;
  ts.tv_nsec = (end % G_USEC_PER_SEC) * 1000;
  return pthread_cond_timedwait (&run->ctl_cond, &run->ctl_mutex, &ts) != ETIMEDOUT;
}

char *
tv_run_where (TvRun *run, guint line)
{
  return g_strdup_printf ("%s:%u", run->scenario->filename
                                   ? run->scenario->filename : "scenario", line);
}

/* --- layout --------------------------------------------------------------- */

static char *
instance_name (const TvBodyDecl *body, guint k)
{
  if (body->multiple)
    return g_strdup_printf ("%s-%u", body->name, k + 1);
  return g_strdup (body->name);
}

static void
lay_out (TvRun *run)
{
  TvScenario *sc = run->scenario;
  guint n_ids, slot = 1, n_thread_slots = 0, n_process_instances = 0, pool;

  run->body_first_slot = g_new (guint, sc->n_bodies);
  run->spawn_counts = g_new0 (_Atomic guint, sc->n_bodies);
  for (guint b = 0; b < sc->n_bodies; b++)
    {
      run->body_first_slot[b] = G_MAXUINT;
      if (sc->bodies[b].kind == TV_BODY_THREAD)
        n_thread_slots += sc->bodies[b].count;
      else if (sc->bodies[b].kind == TV_BODY_PROCESS)
        n_process_instances += sc->bodies[b].count;
    }
  run->body_first_slot[sc->main_body] = 0;
  for (guint b = 0; b < sc->n_bodies; b++)
    if (sc->bodies[b].kind == TV_BODY_THREAD)
      {
        run->body_first_slot[b] = slot;
        slot += sc->bodies[b].count;
      }
  run->process_slot_base = slot;
  for (guint b = 0; b < sc->n_bodies; b++)
    if (sc->bodies[b].kind == TV_BODY_PROCESS)
      {
        run->body_first_slot[b] = slot;
        slot += sc->bodies[b].count;
      }
  run->spawn_base = slot;
  pool = sc->n_spawn_sites ? CLAMP (sc->n_spawn_sites * 16, 32, 128) : 0;
  run->n_slots = slot + pool;

  run->var_base = sc->n_objects + 1;
  run->process_base = run->var_base + sc->n_vars;
  run->n_processes = 1 + n_process_instances;
  run->gil_base = sc->gil ? run->process_base + run->n_processes : 0;
  n_ids = (sc->gil ? run->gil_base : run->process_base) + run->n_processes - 1;

  run->object_names = g_new0 (char *, n_ids + 1);
  for (guint i = 0; i < sc->n_objects; i++)
    run->object_names[i] = g_strdup (sc->objects[i].name);
  for (guint v = 0; v < sc->n_vars; v++)
    run->object_names[run->var_base - 1 + v] = g_strdup (sc->vars[v].name);
  {
    guint p = run->process_base - 1;

    run->object_names[p++] = g_strdup ("MainProcess");
    for (guint b = 0; b < sc->n_bodies; b++)
      if (sc->bodies[b].kind == TV_BODY_PROCESS)
        for (guint k = 0; k < sc->bodies[b].count; k++)
          run->object_names[p++] = instance_name (&sc->bodies[b], k);
    if (sc->gil)
      for (guint q = 0; q < run->n_processes; q++)
        run->object_names[p++] = q == 0
          ? g_strdup ("GIL")
          : g_strdup_printf ("GIL (%s)", run->object_names[run->process_base + q - 1]);
  }
}

static void
init_slots (TvRun *run)
{
  TvScenario *sc = run->scenario;
  TvShared *sh = run->sh;

  for (guint i = 0; i < run->n_slots; i++)
    sh->slots[i].process = run->process_base;

  g_strlcpy (sh->slots[0].name, "MainThread", TV_SLOT_NAME_MAX);
  sh->slots[0].body = sc->main_body;
  sh->slots[0].life = TV_SLOT_ALIVE;
  for (guint b = 0; b < sc->n_bodies; b++)
    {
      const TvBodyDecl *body = &sc->bodies[b];

      if (body->kind != TV_BODY_THREAD && body->kind != TV_BODY_PROCESS)
        continue;
      for (guint k = 0; k < body->count; k++)
        {
          TvSlot *slot = &sh->slots[run->body_first_slot[b] + k];
          g_autofree char *name = instance_name (body, k);

          g_strlcpy (slot->name, name, TV_SLOT_NAME_MAX);
          slot->body = b;
          slot->life = TV_SLOT_NEW;
          /* A process's main thread belongs to that process. */
          if (body->kind == TV_BODY_PROCESS)
            slot->process = run->process_base + 1
                            + (run->body_first_slot[b] + k - run->process_slot_base);
        }
    }
}

/* --- the runner --------------------------------------------------------- */

static void
record_start (TvRun *run, TvCtx *main_ctx)
{
  TvScenario *sc = run->scenario;
  TvShared *sh = run->sh;
  TvCtx *ctx;

  for (guint32 id = 1; id <= sh->n_objects; id++)
    {
      const char *name = run->object_names[id - 1];

      /* Stopwatches are no variables to draw; processes other than the
       * main one appear when they are started. */
      if (id >= run->var_base && id < run->process_base
          && sc->vars[id - run->var_base].kind == TV_VAR_STOPWATCH)
        continue;
      /* A process object (and its GIL) is recorded by its main thread. */
      if (id >= run->process_base)
        {
          guint p = (run->gil_base && id >= run->gil_base ? id - run->gil_base
                                                          : id - run->process_base);

          ctx = &run->ctxs[p == 0 ? 0 : run->process_slot_base + p - 1];
          if (ctx->ring == NULL)
            tv_ctx_init (run, ctx - run->ctxs, sh->slots[ctx - run->ctxs].body);
        }
      else
        ctx = main_ctx;
      tv_emit (ctx, TV_EV_OBJECT_NEW, 0, id, sh->objects[id - 1].kind,
               (gint64) tv_recorder_add_string (run->recorder, name, strlen (name)));
    }

  for (guint i = 0; i < run->spawn_base; i++)
    {
      TvSlot *slot = &sh->slots[i];

      ctx = &run->ctxs[i];
      if (ctx->ring == NULL)
        tv_ctx_init (run, i, slot->body);
      tv_emit (ctx, TV_EV_THREAD_NEW, 0, slot->process, TV_NO_THREAD,
               (gint64) tv_recorder_add_string (run->recorder, slot->name,
                                                strlen (slot->name)));
    }
}

/* `main` without a block: start every thread in file order, then join them. */
static void
run_default_main (TvCtx *ctx)
{
  TvScenario *sc = ctx->run->scenario;
  TvStmt stmt;

  memset (&stmt, 0, sizeof stmt);
  stmt.duration = -1;
  stmt.var = -1;
  stmt.location = sc->bodies[sc->main_body].location;
  for (int pass = 0; pass < 2; pass++)
    for (guint b = 0; b < sc->n_bodies; b++)
      {
        TvBlock block = { &stmt, 1 };

        if (sc->bodies[b].kind != TV_BODY_THREAD && sc->bodies[b].kind != TV_BODY_PROCESS)
          continue;
        stmt.kind = pass == 0 ? TV_STMT_START : TV_STMT_JOIN;
        stmt.target = b;
        if (tv_interp_block (ctx, &block) != TV_FLOW_OK)
          return;
      }
}

static gboolean
any_alive_locked (TvRun *run)
{
  for (guint i = 0; i < run->n_slots; i++)
    if (run->sh->slots[i].life == TV_SLOT_ALIVE)
      return TRUE;
  return FALSE;
}

static void *
runner_main (void *data)
{
  TvRun *run = data;
  TvShared *sh = run->sh;
  TvCtx *ctx = &run->ctxs[0];
  const TvBodyDecl *main_body = &run->scenario->bodies[run->scenario->main_body];
  TvRunStatus status;
  TvRunErrorKind kind;
  char *message;

  /*
   * A reader of print_fd that went away must not kill the application
   * with SIGPIPE: with the signal blocked, write() fails with EPIPE and
   * the line is only recorded.  Every engine thread and process inherits
   * the mask from this one.
   */
  {
    sigset_t set;

    sigemptyset (&set);
    sigaddset (&set, SIGPIPE);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
  }

  record_start (run, ctx);
  tv_interp_thread_begin (ctx);
  if (tv_gil_take (ctx, main_body->location.line) == TV_FLOW_OK)
    {
      if (main_body->block && main_body->block->n_stmts > 0)
        tv_interp_block (ctx, main_body->block);
      else if (!run->scenario->explicit_main)
        run_default_main (ctx);
    }
  tv_interp_thread_end (ctx);

  /* Like Python at exit: the run ends when its last thread has ended. */
  tv_shared_lock (sh);
  while (any_alive_locked (run))
    if (pthread_cond_wait (&sh->all_ended, &sh->lock) == EOWNERDEAD)
      pthread_mutex_consistent (&sh->lock);
  tv_shared_unlock (sh);
  tv_process_reap (run, TRUE);

  for (guint i = 1; i < run->n_slots; i++)
    {
      gboolean created;

      tv_shared_lock (sh);
      created = run->created[i];
      tv_shared_unlock (sh);
      if (created)
        pthread_join (run->threads[i], NULL);
    }

  tv_shared_lock (sh);
  kind = sh->error_kind;
  message = g_strdup (sh->error_text);
  if (kind != TV_RUN_ERROR_NONE)
    status = TV_RUN_FAILED;
  else if (sh->stop_requested)
    status = TV_RUN_STOPPED;
  else
    status = TV_RUN_FINISHED;
  tv_shared_unlock (sh);

  if (kind == TV_RUN_ERROR_DEADLOCK || kind == TV_RUN_ERROR_STALL)
    tv_emit (ctx, TV_EV_RUN_ERROR, 0, 0, kind,
             (gint64) tv_recorder_add_string (run->recorder, message, strlen (message)));
  tv_emit (ctx, TV_EV_RUN_END, 0, 0, 0, status);
  g_free (message);

  pthread_mutex_lock (&run->ctl_mutex);
  atomic_store (&run->status, status);
  run->finished = TRUE;
  run->watchdog_quit = TRUE;
  pthread_cond_broadcast (&run->ctl_cond);
  pthread_mutex_unlock (&run->ctl_mutex);
  return NULL;
}

/* --- public API ------------------------------------------------------------ */

TvRun *
tv_run_new (TvScenario         *scenario,
            const TvRunOptions *options,
            GError            **error)
{
  static const TvRunOptions defaults = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvRun) run = NULL;
  guint32 capacity;

  g_return_val_if_fail (scenario != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  run = g_new0 (TvRun, 1);
  run->scenario = tv_scenario_ref (scenario);
  run->options = options ? *options : defaults;
  if (!(run->options.speed > 0))
    run->options.speed = 1.0;
  pthread_mutex_init (&run->ctl_mutex, NULL);
  {
    pthread_condattr_t attr;

    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&run->ctl_cond, &attr);
    pthread_condattr_destroy (&attr);
  }
  atomic_init (&run->status, TV_RUN_READY);

  lay_out (run);

  capacity = run->options.ring_capacity ? run->options.ring_capacity : TV_DEFAULT_RING;
  run->recorder = tv_recorder_new (run->n_slots, capacity, TV_STRING_BYTES);
  if (run->recorder == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create the run's recorder: %s", g_strerror (saved));
      return NULL;
    }
  if (!tv_shared_map (run, error))
    return NULL;

  tv_clock_init (&run->sh->clock, run->options.speed);
  run->vars = g_new0 (_Atomic gint64, MAX (scenario->n_vars, 1));
  for (guint v = 0; v < scenario->n_vars; v++)
    atomic_init (&run->vars[v], scenario->vars[v].initial);
  run->ctxs = g_new0 (TvCtx, run->n_slots);
  run->threads = g_new0 (pthread_t, run->n_slots);
  run->created = g_new0 (gboolean, run->n_slots);
  run->pids = g_new0 (pid_t, run->n_slots);
  run->reaped = g_new0 (gboolean, run->n_slots);
  init_slots (run);
  tv_ctx_init (run, 0, scenario->main_body);

  return g_steal_pointer (&run);
}

gboolean
tv_run_start (TvRun *self, GError **error)
{
  int err;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  /* Scenario time 0 is the start, not the preparation. */
  tv_clock_init (&self->sh->clock, self->options.speed);
  atomic_store (&self->status, TV_RUN_RUNNING);

  err = pthread_create (&self->runner, NULL, runner_main, self);
  if (err != 0)
    {
      atomic_store (&self->status, TV_RUN_FAILED);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   "cannot start the run: %s", g_strerror (err));
      return FALSE;
    }
  self->started = TRUE;
  err = pthread_create (&self->watchdog, NULL, tv_watchdog_main, self);
  if (err != 0)
    {
      /* The run still works; only deadlocks go undetected (Stop ends them). */
      g_warning ("cannot start the deadlock watchdog: %s", g_strerror (err));
      self->watchdog = self->runner;
      self->watchdog_quit = TRUE;
    }
  return TRUE;
}

void
tv_run_stop (TvRun *self)
{
  g_return_if_fail (self != NULL);

  tv_shared_lock (self->sh);
  if (!tv_shared_stopping (self->sh))
    self->sh->stop_requested = TRUE;
  tv_shared_stop_locked (self->sh);
  tv_shared_unlock (self->sh);
}

static void
join_threads (TvRun *self)
{
  if (self->joined || !self->started)
    return;
  pthread_join (self->runner, NULL);
  if (!pthread_equal (self->watchdog, self->runner))
    pthread_join (self->watchdog, NULL);
  self->joined = TRUE;
}

void
tv_run_wait (TvRun *self)
{
  g_return_if_fail (self != NULL);

  if (!self->started)
    return;
  pthread_mutex_lock (&self->ctl_mutex);
  while (!self->finished)
    pthread_cond_wait (&self->ctl_cond, &self->ctl_mutex);
  pthread_mutex_unlock (&self->ctl_mutex);
  join_threads (self);
}

gboolean
tv_run_wait_timeout (TvRun *self, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean finished;

  g_return_val_if_fail (self != NULL, TRUE);

  if (!self->started)
    return TRUE;
  pthread_mutex_lock (&self->ctl_mutex);
  while (!self->finished && tv_run_ctl_wait_until (self, end))
    ;
  finished = self->finished;
  pthread_mutex_unlock (&self->ctl_mutex);
  if (finished)
    join_threads (self);
  return finished;
}

gboolean
tv_run_is_finished (TvRun *self)
{
  gboolean finished;

  g_return_val_if_fail (self != NULL, TRUE);

  pthread_mutex_lock (&self->ctl_mutex);
  finished = self->finished;
  pthread_mutex_unlock (&self->ctl_mutex);
  return finished;
}

void
tv_run_free (TvRun *self)
{
  if (self == NULL)
    return;

  if (self->started && !self->joined)
    {
      tv_run_stop (self);
      tv_run_wait (self);
    }
  if (self->ctxs)
    for (guint i = 0; i < self->n_slots; i++)
      tv_ctx_clear (&self->ctxs[i]);
  g_free (self->ctxs);
  g_free (self->threads);
  g_free (self->created);
  g_free (self->pids);
  g_free (self->reaped);
  g_free (self->vars);
  tv_shared_unmap (self);
  g_clear_pointer (&self->recorder, tv_recorder_free);
  if (self->object_names)
    g_strfreev (self->object_names);
  g_free (self->body_first_slot);
  g_free ((gpointer) self->spawn_counts);
  g_free (self->error_message);
  pthread_mutex_destroy (&self->ctl_mutex);
  pthread_cond_destroy (&self->ctl_cond);
  g_clear_pointer (&self->scenario, tv_scenario_unref);
  g_free (self);
}

TvRunStatus
tv_run_get_status (TvRun *self)
{
  g_return_val_if_fail (self != NULL, TV_RUN_READY);
  return atomic_load (&self->status);
}

TvRunErrorKind
tv_run_get_error_kind (TvRun *self)
{
  TvRunErrorKind kind;

  g_return_val_if_fail (self != NULL, TV_RUN_ERROR_NONE);
  tv_shared_lock (self->sh);
  kind = self->sh->error_kind;
  tv_shared_unlock (self->sh);
  return kind;
}

const char *
tv_run_get_error_message (TvRun *self)
{
  const char *message;

  g_return_val_if_fail (self != NULL, NULL);
  /* Set once, under the engine lock, and never changed after. */
  tv_shared_lock (self->sh);
  if (self->error_message == NULL && self->sh->error_kind != TV_RUN_ERROR_NONE)
    self->error_message = g_strdup (self->sh->error_text);
  message = self->error_message;
  tv_shared_unlock (self->sh);
  return message;
}

TvRecorder *
tv_run_get_recorder (TvRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->recorder;
}

TvScenario *
tv_run_get_scenario (TvRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->scenario;
}

TvClock *
tv_run_get_clock (TvRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->sh->clock;
}

void
tv_run_set_speed (TvRun *self, double speed)
{
  g_return_if_fail (self != NULL);

  tv_clock_set_speed (&self->sh->clock, speed);
  /* Every timed wait recomputes its wall deadline. */
  tv_shared_lock (self->sh);
  tv_shared_wake_all_locked (self->sh);
  tv_shared_unlock (self->sh);
}

double
tv_run_get_speed (TvRun *self)
{
  g_return_val_if_fail (self != NULL, 1.0);
  return tv_clock_get_speed (&self->sh->clock);
}

const char *
tv_run_status_to_string (TvRunStatus status)
{
  switch (status)
    {
    case TV_RUN_READY: return "ready";
    case TV_RUN_RUNNING: return "running";
    case TV_RUN_FINISHED: return "finished";
    case TV_RUN_STOPPED: return "stopped";
    case TV_RUN_FAILED: return "failed";
    }
  return "unknown";
}
