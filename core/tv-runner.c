/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-runner.c: the layout of a run (thread slots, object ids, names) and
 * the runner thread, which records the start of the run, runs the main
 * body as thread 0 ("MainThread"), waits for every other thread and
 * process to end, and records the end (see docs/engine.md).
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tv-run-private.h"

/* --- layout --------------------------------------------------------------- */

static char *
instance_name (const TvBodyDecl *body, guint k)
{
  if (body->multiple)
    return g_strdup_printf ("%s-%u", body->name, k + 1);
  return g_strdup (body->name);
}

void
tv_runner_lay_out (TvRun *run)
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

void
tv_runner_init_slots (TvRun *run)
{
  TvScenario *sc = run->scenario;
  TvShared *sh = run->sh;

  for (guint i = 0; i < run->n_slots; i++)
    TV_SH_SLOTS (sh)[i].process = run->process_base;

  g_strlcpy (TV_SH_SLOTS (sh)[0].name, "MainThread", TV_SLOT_NAME_MAX);
  TV_SH_SLOTS (sh)[0].body = sc->main_body;
  TV_SH_SLOTS (sh)[0].life = TV_SLOT_ALIVE;
  for (guint b = 0; b < sc->n_bodies; b++)
    {
      const TvBodyDecl *body = &sc->bodies[b];

      if (body->kind != TV_BODY_THREAD && body->kind != TV_BODY_PROCESS)
        continue;
      for (guint k = 0; k < body->count; k++)
        {
          TvSlot *slot = &TV_SH_SLOTS (sh)[run->body_first_slot[b] + k];
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
            tv_ctx_init (run, ctx - run->ctxs, TV_SH_SLOTS (sh)[ctx - run->ctxs].body);
        }
      else
        ctx = main_ctx;
      tv_emit (ctx, TV_EV_OBJECT_NEW, 0, id, TV_SH_OBJECTS (sh)[id - 1].kind,
               (gint64) tv_recorder_add_string (run->recorder, name, strlen (name)));
    }

  for (guint i = 0; i < run->spawn_base; i++)
    {
      TvSlot *slot = &TV_SH_SLOTS (sh)[i];

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
    if (TV_SH_SLOTS (run->sh)[i].life == TV_SLOT_ALIVE)
      return TRUE;
  return FALSE;
}

/*
 * Like Python at exit: the run ends when its last thread has ended (and,
 * with `reaped`, its last child process has been reaped too).  Without a
 * stop that may take as long as the scenario says.  After a stop, a
 * process that has not ended within TV_STOP_GRACE_NS never will by itself
 * (stopped by a debugger or a signal): it is killed, so that a stopped
 * run always ends (the watchdog does it when such a process holds the
 * engine lock, which this wait then cannot get back: tv-watchdog.c).  So is a child that has not left within
 * TV_LEAVE_GRACE_NS after the last thread of the run ended (waiting for
 * the reap, `reaped_too`), so that tv_run_wait() ends even without a stop.
 */
static void
wait_for_the_end (TvRun *run, gboolean reaped_too)
{
  TvShared *sh = run->sh;
  gint64 kill_at = reaped_too ? tv_clock_wall_ns () + TV_LEAVE_GRACE_NS : -1;

  tv_shared_lock (sh);
  for (;;)
    {
      gboolean alive;
      gboolean reaped;
      gint64 now = tv_clock_wall_ns (), until;

      /* A stop that could not take the lock (see tv_run_stop()). */
      if (atomic_load (&run->stop_pending) != 0)
        tv_run_stop_locked (run);
      alive = any_alive_locked (run);
      reaped = tv_process_all_reaped_locked (run);

      if (!alive && (reaped || !reaped_too))
        break;
      if (tv_shared_stopping (sh))
        kill_at = kill_at < 0 ? now + TV_STOP_GRACE_NS : MIN (kill_at, now + TV_STOP_GRACE_NS);
      if (kill_at >= 0 && now >= kill_at && !run->children_killed)
        tv_process_kill_locked (run);
      if (run->children_killed && reaped)
        {
          tv_process_forget_locked (run);
          if (!any_alive_locked (run))
            break;
        }

      if (!reaped && (!alive || run->children_killed))
        {
          /* Children whose threads have all ended (or that were killed)
           * are leaving: look every millisecond (the watchdog reaps too,
           * but only every 20). */
          tv_shared_unlock (sh);
          tv_process_reap (run, FALSE);
          tv_shared_lock (sh);
          if (tv_process_all_reaped_locked (run))
            continue;
          until = now + G_GINT64_CONSTANT (1000000);
          if (kill_at >= 0 && !run->children_killed)
            until = MIN (until, kill_at);
        }
      else
        until = kill_at >= 0 && !run->children_killed ? kill_at : G_MAXINT64;

      /* all_ended is broadcast by every thread's end, a child's death and
       * a stop (tv_shared_wake_all_locked). */
      if (until == G_MAXINT64)
        tv_shared_wait (sh, &sh->all_ended);
      else
        tv_shared_wait_until (sh, &sh->all_ended, until);
    }
  tv_shared_unlock (sh);
}

void *
tv_runner_main (void *data)
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

  /* On Linux a priority is a thread's own, and a thread or process
   * inherits it from the thread that makes it: lowering this one lowers
   * every thread and process of the run, and nothing else.  Failure only
   * leaves the priority as it was. */
  if (run->options.nice > 0)
    {
      id_t tid = (id_t) syscall (SYS_gettid);

      errno = 0;
      {
        int current = getpriority (PRIO_PROCESS, tid);

        if (errno == 0)
          (void) setpriority (PRIO_PROCESS, tid, MIN (current + run->options.nice, 19));
      }
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

  wait_for_the_end (run, FALSE);

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
  if (atomic_load (&run->stop_pending) != 0)
    tv_run_stop_locked (run);
  /* An ended run is not paused, whatever ended it. */
  atomic_store_explicit (&sh->paused, 0, memory_order_relaxed);
  kind = sh->error_kind;
  message = g_strdup (sh->error_text);
  if (kind != TV_RUN_ERROR_NONE)
    status = TV_RUN_FAILED;
  else if (sh->stop_requested)
    status = TV_RUN_STOPPED;
  else
    status = TV_RUN_FINISHED;
  tv_shared_unlock (sh);

  /* On the controller's ring, which nothing fills: on main's own, a full
   * ring would drop them and the trace would never see the run end. */
  tv_shared_lock (sh);
  if (kind == TV_RUN_ERROR_DEADLOCK || kind == TV_RUN_ERROR_STALL)
    tv_emit_kept_locked (run, ctx->index, TV_EV_RUN_ERROR, 0, 0, kind,
                         (gint64) tv_recorder_add_string (run->recorder, message,
                                                          strlen (message)));
  /* The status first: whoever sees RUN_END may ask for it. */
  atomic_store (&run->status, status);
  tv_emit_kept_locked (run, ctx->index, TV_EV_RUN_END, 0, 0, 0, status);
  tv_shared_unlock (sh);
  g_free (message);

  /*
   * The run is over (no thread of it is left) and the trace says so now;
   * the children still have to leave (a sanitized process takes a while
   * to exit).  tv_run_wait() still waits for them.
   */
  wait_for_the_end (run, TRUE);

  pthread_mutex_lock (&run->ctl_mutex);
  run->finished = TRUE;
  run->watchdog_quit = TRUE;
  pthread_cond_broadcast (&run->ctl_cond);
  pthread_mutex_unlock (&run->ctl_mutex);
  return NULL;
}
