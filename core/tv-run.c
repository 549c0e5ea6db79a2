/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-run.c: the engine's public face, and how errors end a run.
 *
 * tv_run_new() lays out the run (tv-runner.c), creates the recorder and
 * maps the shared block; tv_run_start() starts two private threads: the
 * runner (tv-runner.c) and the watchdog (tv-watchdog.c).  See
 * docs/engine.md.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tv-recorder-fd.h"
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
      /* Kept: the thread's ring may be full. */
      tv_emit_kept_locked (run, ctx->index, TV_EV_RUN_ERROR, line, 0, kind,
                           (gint64) tv_recorder_add_string (run->recorder, message,
                                                            strlen (message)));
    }
  tv_shared_unlock (sh);
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

/* --- public API ------------------------------------------------------------ */

static gboolean
has_processes (const TvScenario *scenario)
{
  for (guint b = 0; b < scenario->n_bodies; b++)
    if (scenario->bodies[b].kind == TV_BODY_PROCESS)
      return TRUE;
  return FALSE;
}

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
  run->sh_fd = -1;
  run->recorder_fd = -1;
  run->scenario = tv_scenario_ref (scenario);
  run->options = options ? *options : defaults;
  if (!(run->options.speed > 0))
    run->options.speed = 1.0;
  run->options.nice = CLAMP (run->options.nice, 0, 19);
  pthread_mutex_init (&run->ctl_mutex, NULL);
  {
    pthread_condattr_t attr;

    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&run->ctl_cond, &attr);
    pthread_condattr_destroy (&attr);
  }
  atomic_init (&run->status, TV_RUN_READY);

  tv_runner_lay_out (run);

  capacity = run->options.ring_capacity ? run->options.ring_capacity : TV_DEFAULT_RING;
  /* One ring per thread slot, and the controller's; in a memfd when a
   * process of the run (another program) must map it too. */
  if (has_processes (scenario))
    {
      run->recorder = tv_recorder_new_in_fd (run->n_slots + 1, capacity, TV_STRING_BYTES,
                                             0, &run->recorder_fd, &run->recorder_extra);
      run->helper_path = tv_process_find_helper ();
    }
  else
    run->recorder = tv_recorder_new (run->n_slots + 1, capacity, TV_STRING_BYTES);
  if (run->recorder == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create the run's recorder: %s", g_strerror (saved));
      return NULL;
    }
  run->control_ring = tv_recorder_get_ring (run->recorder, run->n_slots);
  if (!tv_shared_map (run, error))
    return NULL;

  tv_clock_init (&run->sh->clock, run->options.speed);
  run->vars = g_new0 (_Atomic gint64, MAX (scenario->n_vars, 1));
  for (guint v = 0; v < scenario->n_vars; v++)
    atomic_init (&run->vars[v], scenario->vars[v].initial);
  run->forker_pid = getpid ();
  run->ctxs = g_new0 (TvCtx, run->n_slots);
  run->threads = g_new0 (pthread_t, run->n_slots);
  run->created = g_new0 (gboolean, run->n_slots);
  run->pids = g_new0 (_Atomic pid_t, run->n_slots);
  run->reaped = g_new0 (_Atomic gboolean, run->n_slots);
  tv_runner_init_slots (run);
  tv_ctx_init (run, 0, scenario->main_body);

  return g_steal_pointer (&run);
}

TvRun *
tv_run_new_attached (TvScenario *scenario,
                     TvRecorder *recorder,
                     int         shared_fd,
                     int         print_fd,
                     GError    **error)
{
  static const TvRunOptions defaults = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvRun) run = NULL;

  run = g_new0 (TvRun, 1);
  run->sh_fd = -1;
  run->recorder_fd = -1;
  run->scenario = tv_scenario_ref (scenario);
  run->options = defaults;
  run->options.print_fd = print_fd;
  pthread_mutex_init (&run->ctl_mutex, NULL);
  pthread_cond_init (&run->ctl_cond, NULL);
  atomic_init (&run->status, TV_RUN_RUNNING);

  tv_runner_lay_out (run);
  if (tv_recorder_get_n_rings (recorder) != run->n_slots + 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the recorder has %u rings, the scenario needs %u",
                   tv_recorder_get_n_rings (recorder), run->n_slots + 1);
      return NULL;
    }
  if (!tv_shared_attach (run, shared_fd, error))
    return NULL;
  if (run->sh->n_slots != run->n_slots
      || run->sh->n_objects != (run->gil_base ? run->gil_base : run->process_base)
                               + run->n_processes - 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the scenario parsed again has another layout than the run's "
                   "(%u slots, %u objects; the run has %u and %u)",
                   run->n_slots, (guint) ((run->gil_base ? run->gil_base : run->process_base)
                                          + run->n_processes - 1),
                   run->sh->n_slots, run->sh->n_objects);
      return NULL;
    }
  run->recorder = recorder;
  run->control_ring = tv_recorder_get_ring (recorder, run->n_slots);

  run->vars = g_new0 (_Atomic gint64, MAX (scenario->n_vars, 1));
  for (guint v = 0; v < scenario->n_vars; v++)
    atomic_init (&run->vars[v], scenario->vars[v].initial);
  run->in_child = TRUE;
  run->forker_pid = getpid ();
  run->ctxs = g_new0 (TvCtx, run->n_slots);
  run->threads = g_new0 (pthread_t, run->n_slots);
  run->created = g_new0 (gboolean, run->n_slots);
  run->pids = g_new0 (_Atomic pid_t, run->n_slots);
  run->reaped = g_new0 (_Atomic gboolean, run->n_slots);
  /* The processes this one starts run this very program. */
  run->helper_path = g_file_read_link ("/proc/self/exe", NULL);
  /* Kept to hand on to them. */
  run->sh_fd = shared_fd;
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
  tv_control_start (self);

  err = pthread_create (&self->runner, NULL, tv_runner_main, self);
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

  /*
   * A thread whose ring is full may be waiting for room, maybe with the
   * engine lock held (see tv_recorder_set_wait_when_full()): from now on it
   * waits at most TV_STOP_ROOM_WAIT_MS for each event, and then drops it,
   * so that it reaches the stop soon even when nobody drains.  A consumer
   * that keeps draining (the window's Stop feeds its backlog meanwhile)
   * gets every event the threads record on their way out; dropping them
   * at once showed a few "lost" events after nearly every Stop of a busy
   * run.
   */
  if (self->recorder != NULL)
    tv_recorder_cap_wait_when_full (self->recorder, TV_STOP_ROOM_WAIT_MS);

  /*
   * Returns at once even when a process of the run is frozen (stopped by
   * a signal or a debugger) while it holds the engine lock: the watchdog
   * then finishes the stop as soon as it gets the lock, and kills the
   * run's processes when nobody got it for TV_STOP_GRACE_NS.
   */
  if (!tv_shared_lock_until (self->sh, tv_clock_wall_ns () + 50 * G_GINT64_CONSTANT (1000000)))
    {
      gint64 none = 0;

      atomic_compare_exchange_strong (&self->stop_pending, &none, tv_clock_wall_ns ());
      return;
    }
  tv_run_stop_locked (self);
  tv_shared_unlock (self->sh);
}

void
tv_run_stop_locked (TvRun *self)
{
  atomic_store (&self->stop_pending, 0);
  if (!tv_shared_stopping (self->sh))
    self->sh->stop_requested = TRUE;
  tv_shared_stop_locked (self->sh);
  /* A stopped run is no longer paused (the clock keeps standing still:
   * the threads end at the time they were held). */
  atomic_store_explicit (&self->sh->paused, 0, memory_order_relaxed);
  self->sh->step_thread = TV_NO_THREAD;
  pthread_cond_broadcast (&self->sh->control);
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
  if (self->recorder_extra != NULL)
    {
      tv_recorder_detach (self->recorder, self->recorder_extra);
      self->recorder = NULL;
    }
  g_clear_pointer (&self->recorder, tv_recorder_free);
  if (self->recorder_fd >= 0)
    close (self->recorder_fd);
  g_free (self->helper_path);
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

  /* Under the engine lock, as every clock write (see tv-control.c); then
   * every timed wait recomputes its wall deadline. */
  tv_shared_lock (self->sh);
  tv_clock_set_speed (&self->sh->clock, speed);
  tv_shared_wake_all_locked (self->sh);
  tv_shared_unlock (self->sh);
}

double
tv_run_get_speed (TvRun *self)
{
  g_return_val_if_fail (self != NULL, 1.0);
  return tv_clock_get_speed (&self->sh->clock);
}

guint64
tv_run_get_dropped (TvRun *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return tv_recorder_get_dropped (self->recorder);
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
