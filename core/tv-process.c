/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-process.c: `process` bodies, run in real forked processes.
 *
 * Everything the primitives use is in the shared block, which fork()
 * shares, so a child's threads lock, queue, join and record exactly like
 * the parent's: the engine lock, every condition variable and every ring
 * are process-shared.  What fork() copies is what Python copies too: the
 * `var` values (process-private memory).  A child runs its body in the
 * thread that forked it (its main thread, with the slot of the process
 * instance), waits for the threads it started, as a Python process does
 * before it exits, and leaves with _exit() so that nothing of the parent
 * (atexit handlers, stdio buffers, the test harness) runs twice.
 *
 * Each process reaps the children it forked; the parent's watchdog also
 * polls its children, so a child that dies (a signal) with threads still
 * alive ends the run with an error instead of leaving them waited for.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tv-run-private.h"

guint32
tv_process_gil (TvRun *run, guint32 process)
{
  if (run->gil_base == 0 || process < run->process_base)
    return 0;
  return run->gil_base + (process - run->process_base);
}

/* The process's main thread waits for the threads the process started. */
static void
wait_own_threads (TvCtx *ctx)
{
  TvRun *run = ctx->run;
  TvShared *sh = ctx->sh;

  tv_shared_lock (sh);
  for (guint i = 0; i < run->n_slots; i++)
    {
      TvSlot *target = &TV_SH_SLOTS (sh)[i];

      if (!run->created[i] || target->life == TV_SLOT_ENDED)
        continue;
      tv_emit_state (ctx, TV_STATE_JOIN, 0, 0, i);
      if (tv_block (ctx, &target->cond, TV_WAIT_JOIN, 0, i, 0, -1) != TV_BLOCK_READY)
        break;
      tv_emit_state (ctx, TV_STATE_RUNNING, 0, 0, 0);
    }
  tv_shared_unlock (sh);
}

static void G_GNUC_NORETURN
child_main (TvRun *run, guint32 index)
{
  TvShared *sh = run->sh;
  TvCtx *ctx = &run->ctxs[index];
  const TvBodyDecl *body = &run->scenario->bodies[TV_SH_SLOTS (sh)[index].body];

  /* Its waits look now and then whether the process that forked it is
   * still its parent (tv_shared_orphaned_locked); the processes it forks
   * look for it.  Set while it has a single thread. */
  run->parent_pid = run->forker_pid;
  run->forker_pid = getpid ();

  /* This copy of the run has no threads and no children of its own yet. */
  run->in_child = TRUE;
  memset (run->created, 0, run->n_slots * sizeof *run->created);
  memset (run->pids, 0, run->n_slots * sizeof *run->pids);
  memset (run->reaped, 0, run->n_slots * sizeof *run->reaped);

  ctx->gil = tv_process_gil (run, TV_SH_SLOTS (sh)[index].process);
  ctx->gil_held = FALSE;
  tv_interp_thread_begin (ctx);
  if (tv_gil_take (ctx, body->location.line) == TV_FLOW_OK && body->block)
    tv_interp_block (ctx, body->block);
  tv_gil_drop (ctx, 0);
  wait_own_threads (ctx);
  tv_interp_thread_end (ctx);

  for (guint i = 0; i < run->n_slots; i++)
    if (run->created[i])
      pthread_join (run->threads[i], NULL);
  tv_process_reap (run, TRUE);
  _exit (0);
}

TvFlow
tv_process_start (TvCtx *ctx, const TvStmt *stmt)
{
  TvRun *run = ctx->run;
  TvShared *sh = ctx->sh;
  const TvBodyDecl *body = &run->scenario->bodies[stmt->target];
  guint first = run->body_first_slot[stmt->target];

  for (guint k = 0; k < body->count; k++)
    {
      guint32 index = first + k;
      TvSlot *slot = &TV_SH_SLOTS (sh)[index];
      pid_t pid;
      int saved;

      tv_shared_lock (sh);
      if (slot->life != TV_SLOT_NEW)
        {
          tv_shared_unlock (sh);
          return tv_run_fail (ctx, TV_RUN_ERROR_ALREADY_STARTED, stmt->location,
                              "process '%s' is started a second time (a process "
                              "can only be started once)", slot->name);
        }
      slot->life = TV_SLOT_ALIVE;
      slot->starter = ctx->index;
      slot->start_time = tv_clock_now (&sh->clock);
      sh->progress++;
      tv_shared_unlock (sh);

      pid = fork ();
      if (pid == 0)
        child_main (run, index);
      saved = errno;

      tv_shared_lock (sh);
      if (pid > 0)
        run->pids[index] = pid;
      else
        {
          slot->life = TV_SLOT_ENDED;
          pthread_cond_broadcast (&sh->all_ended);
        }
      tv_shared_unlock (sh);

      if (pid < 0)
        return tv_run_fail (ctx, TV_RUN_ERROR_SYSTEM, stmt->location,
                            "cannot start process '%s': %s", slot->name,
                            g_strerror (saved));
    }
  return TV_FLOW_OK;
}

/* A child died with threads alive: end them and fail the run.  Lock held. */
static void
child_died_locked (TvRun *run, guint32 index, pid_t pid, int status)
{
  TvShared *sh = run->sh;
  gboolean any = FALSE;
  gint64 t = tv_clock_now (&sh->clock);

  for (guint i = 0; i < run->n_slots; i++)
    {
      TvSlot *slot = &TV_SH_SLOTS (sh)[i];

      /* Its threads, and its main thread even when it died before it
       * could say which pid it runs in. */
      if (slot->life != TV_SLOT_ALIVE
          || !(slot->pid == pid || (i == index && slot->pid == 0)))
        continue;
      any = TRUE;
      slot->life = TV_SLOT_ENDED;
      if (sh->step_thread == i)
        tv_control_step_done_locked (run);
      slot->exit_time = t;
      /* Its own producer is gone: the ring is free to record the end (a
       * thread the child spawned has no ring here: the controller's). */
      if (run->ctxs[i].ring != NULL)
        tv_emit_at (&run->ctxs[i], t, TV_EV_THREAD_EXIT, 0, 0, 0, 0);
      else
        tv_emit_kept_locked (run, i, TV_EV_THREAD_EXIT, 0, 0, 0, 0);
      pthread_cond_broadcast (&slot->cond);
    }
  if (!any)
    return;
  sh->progress++;
  pthread_cond_broadcast (&sh->all_ended);
  /* Killed by the runner after the stop grace: the run was stopped, and
   * that is what it stays. */
  if (run->children_killed)
    return;
  tv_run_fail_locked (run, TV_RUN_ERROR_SYSTEM,
                      WIFSIGNALED (status)
                      ? g_strdup_printf ("process '%s' (pid %d) was killed by signal %d (%s)",
                                         TV_SH_SLOTS (sh)[index].name, (int) pid,
                                         WTERMSIG (status), g_strsignal (WTERMSIG (status)))
                      : g_strdup_printf ("process '%s' (pid %d) exited with status %d "
                                         "while its threads were alive",
                                         TV_SH_SLOTS (sh)[index].name, (int) pid,
                                         WEXITSTATUS (status)));
}

/* The child of slot `index` was waited for: `r` is what waitpid() gave.
 * Lock held. */
static void
reaped_locked (TvRun *run, guint index, pid_t pid, pid_t r, int status)
{
  if (run->reaped[index])
    return;
  run->reaped[index] = TRUE;
  if (r == pid)
    child_died_locked (run, index, pid, status);
}

void
tv_process_reap (TvRun *run, gboolean block)
{
  TvShared *sh = run->sh;

  for (guint i = 0; i < run->n_slots; i++)
    {
      pid_t pid, r;
      int status = 0;

      /*
       * The runner and the watchdog both reap.  A look that does not block
       * is made under the engine lock, so that the waitpid() that gets the
       * child and the bookkeeping of its death are one step: otherwise the
       * other reaper's ECHILD could mark it reaped first and its death
       * (its live threads) would be lost.  Only the last reap of a child
       * process, where nobody else reaps, blocks.
       */
      tv_shared_lock (sh);
      pid = run->reaped[i] ? 0 : run->pids[i];
      if (pid > 0 && !block)
        {
          do
            r = waitpid (pid, &status, WNOHANG);
          while (r < 0 && errno == EINTR);
          if (r != 0)
            reaped_locked (run, i, pid, r, status);
        }
      tv_shared_unlock (sh);
      if (pid <= 0 || !block)
        continue;

      do
        r = waitpid (pid, &status, 0);
      while (r < 0 && errno == EINTR);
      tv_shared_lock (sh);
      reaped_locked (run, i, pid, r, status);
      tv_shared_unlock (sh);
    }
}

gboolean
tv_process_all_reaped_locked (TvRun *run)
{
  for (guint i = 0; i < run->n_slots; i++)
    if (run->pids[i] > 0 && !run->reaped[i])
      return FALSE;
  return TRUE;
}

void
tv_process_kill_locked (TvRun *run)
{
  TvShared *sh = run->sh;
  pid_t self = getpid ();

  run->children_killed = TRUE;
  for (guint i = 0; i < run->n_slots; i++)
    {
      /* A child may not even have begun (stuck in its allocator right
       * after fork, say): its slot has no pid yet, but we know it. */
      if (run->pids[i] > 0 && !run->reaped[i])
        kill (run->pids[i], SIGKILL);
      if (TV_SH_SLOTS (sh)[i].life == TV_SLOT_ALIVE && TV_SH_SLOTS (sh)[i].pid > 0
          && TV_SH_SLOTS (sh)[i].pid != self)
        kill (TV_SH_SLOTS (sh)[i].pid, SIGKILL);
    }
}

void
tv_process_forget_locked (TvRun *run)
{
  TvShared *sh = run->sh;
  gboolean any = FALSE;

  for (guint i = 0; i < run->n_slots; i++)
    {
      TvSlot *slot = &TV_SH_SLOTS (sh)[i];

      /* This process's own threads end by themselves (they saw the stop). */
      if (slot->life != TV_SLOT_ALIVE || run->created[i] || i == 0)
        continue;
      any = TRUE;
      slot->life = TV_SLOT_ENDED;
      slot->exit_time = tv_clock_now (&sh->clock);
      /* Its producer may not be gone yet: not on its own ring. */
      tv_emit_kept_locked (run, i, TV_EV_THREAD_EXIT, 0, 0, 0, 0);
      pthread_cond_broadcast (&slot->cond);
    }
  if (any)
    {
      sh->progress++;
      pthread_cond_broadcast (&sh->all_ended);
    }
}
