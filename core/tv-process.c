/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-process.c: `process` bodies, run in real processes.
 *
 * A process instance is a new program, threadviz-process, started with
 * posix_spawn(); never a fork() of the engine, which runs threads (and,
 * in the window, GTK's): a forked child inherits every lock another thread
 * held at that moment (malloc's, GLib's, the sanitizers'), locked for
 * good, and may hang in its first allocation.  The helper maps the run's
 * shared block and recorder again from the memfds it inherits (see
 * tv-process-start.h), so a child's threads lock, queue, join and record
 * exactly like the parent's: the engine lock, every condition variable and
 * every ring are process-shared, and the block holds no pointer.  What
 * fork() copied, the start message carries: the `var` values
 * (process-private memory, a copy per process as in Python) and the rest.
 * A child runs its body in its main thread (the slot of the process
 * instance), waits for the threads it started, as a Python process does
 * before it exits, and leaves with _exit().
 *
 * Each process reaps the children it started; the parent's watchdog also
 * polls its children, so a child that dies (a signal) with threads still
 * alive ends the run with an error instead of leaving them waited for.
 * The run's first process puts each child in a process group of its own,
 * which the processes that child starts inherit: a stop that cannot end
 * them otherwise kills each group whole.
 */
#define G_LOG_DOMAIN "tv-engine"
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tv-process-start.h"
#include "tv-run-private.h"

extern char **environ;

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

void
tv_process_child_main (TvRun *run, guint32 index)
{
  TvShared *sh = run->sh;
  TvCtx *ctx = &run->ctxs[index];
  const TvBodyDecl *body = &run->scenario->bodies[TV_SH_SLOTS (sh)[index].body];

  tv_ctx_init (run, index, TV_SH_SLOTS (sh)[index].body);
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

char *
tv_process_find_helper (void)
{
  const char *env = g_getenv (TV_PROCESS_HELPER_ENV);
  g_autofree char *self = NULL;

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  /* Run from the build tree (the tests, build-aux/run, the fuzzers): the
   * helper built next to it, not an older installed one. */
  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL && g_str_has_prefix (self, TV_BUILD_ROOT "/")
      && g_file_test (TV_PROCESS_HELPER_BUILD_PATH, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (TV_PROCESS_HELPER_BUILD_PATH);
  return g_strdup (TV_PROCESS_HELPER_INSTALL_PATH);
}

/* A close-on-exec copy of `fd` numbered 10 or more: never one of the
 * numbers the helper gets its descriptors at, so that no dup2() of the
 * spawn overwrites a source that a later one needs. */
static int
dup_high (int fd)
{
  return fcntl (fd, F_DUPFD_CLOEXEC, 10);
}

/* The start message of `start P` (one for all its instances), in a memfd. */
static int
write_start_message (TvRun *run)
{
  TvScenario *sc = run->scenario;
  g_autoptr(GByteArray) msg = g_byte_array_new ();
  TvProcessStart head = { 0 };
  const guint8 *data;
  gsize left;
  int fd;

  head.magic = TV_PROCESS_START_MAGIC;
  head.parent_pid = (int32_t) getpid ();
  head.has_print_fd = run->options.print_fd >= 0;
  head.n_slots = run->n_slots;
  head.n_objects = run->sh->n_objects;
  head.n_vars = sc->n_vars;
  head.n_bodies = sc->n_bodies;
  head.has_filename = sc->filename != NULL;
  head.filename_len = sc->filename ? strlen (sc->filename) : 0;
  head.source_len = sc->source ? strlen (sc->source) : 0;
  g_byte_array_append (msg, (const guint8 *) &head, sizeof head);
  for (guint v = 0; v < sc->n_vars; v++)
    {
      gint64 value = atomic_load (&run->vars[v]);

      g_byte_array_append (msg, (const guint8 *) &value, sizeof value);
    }
  for (guint b = 0; b < sc->n_bodies; b++)
    {
      guint32 count = atomic_load (&run->spawn_counts[b]);

      g_byte_array_append (msg, (const guint8 *) &count, sizeof count);
    }
  if (sc->filename)
    g_byte_array_append (msg, (const guint8 *) sc->filename, head.filename_len);
  if (sc->source)
    g_byte_array_append (msg, (const guint8 *) sc->source, head.source_len);

  fd = memfd_create ("threadviz-start", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  data = msg->data;
  left = msg->len;
  while (left > 0)
    {
      ssize_t n = write (fd, data, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : EIO;

          close (fd);
          errno = saved;
          return -1;
        }
      data += n;
      left -= (gsize) n;
    }
  return fd;
}

/* Starts the helper on slot `index`; its pid, or -1 with errno set. */
static pid_t
spawn_helper (TvRun *run, guint32 index, int start_fd)
{
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  char slot_arg[16];
  char *argv[] = { (char *) "threadviz-process", slot_arg,
                   TV_SH_SLOTS (run->sh)[index].name, NULL };
  int fds[4] = { -1, -1, -1, -1 };
  int targets[4] = { TV_PROCESS_FD_SHARED, TV_PROCESS_FD_RECORDER,
                     TV_PROCESS_FD_START, TV_PROCESS_FD_PRINT };
  int sources[4] = { run->sh_fd, run->recorder_fd, start_fd, run->options.print_fd };
  pid_t pid = -1;
  int err = 0;

  g_snprintf (slot_arg, sizeof slot_arg, "%u", index);
  posix_spawn_file_actions_init (&actions);
  posix_spawnattr_init (&attr);
  for (guint k = 0; k < G_N_ELEMENTS (fds) && err == 0; k++)
    {
      if (sources[k] < 0)
        continue;
      fds[k] = dup_high (sources[k]);
      if (fds[k] < 0)
        err = errno;
      else
        err = posix_spawn_file_actions_adddup2 (&actions, fds[k], targets[k]);
    }
  /* The run's first process: a process group per child, inherited by the
   * processes it starts (see above). */
  if (err == 0 && !run->in_child)
    {
      err = posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP);
      if (err == 0)
        err = posix_spawnattr_setpgroup (&attr, 0);
    }
  if (err == 0)
    err = posix_spawn (&pid, run->helper_path, &actions, &attr, argv, environ);
  posix_spawnattr_destroy (&attr);
  posix_spawn_file_actions_destroy (&actions);
  for (guint k = 0; k < G_N_ELEMENTS (fds); k++)
    if (fds[k] >= 0)
      close (fds[k]);
  if (err != 0)
    {
      errno = err;
      return -1;
    }
  return pid;
}

TvFlow
tv_process_start (TvCtx *ctx, const TvStmt *stmt)
{
  TvRun *run = ctx->run;
  TvShared *sh = ctx->sh;
  const TvBodyDecl *body = &run->scenario->bodies[stmt->target];
  guint first = run->body_first_slot[stmt->target];
  int start_fd = -1;
  TvFlow flow = TV_FLOW_OK;

  for (guint k = 0; k < body->count && flow == TV_FLOW_OK; k++)
    {
      guint32 index = first + k;
      TvSlot *slot = &TV_SH_SLOTS (sh)[index];
      pid_t pid = -1;
      int saved = 0;

      tv_shared_lock (sh);
      if (slot->life != TV_SLOT_NEW)
        {
          tv_shared_unlock (sh);
          flow = tv_run_fail (ctx, TV_RUN_ERROR_ALREADY_STARTED, stmt->location,
                              "process '%s' is started a second time (a process "
                              "can only be started once)", slot->name);
          break;
        }
      slot->life = TV_SLOT_ALIVE;
      slot->starter = ctx->index;
      slot->start_time = tv_clock_now (&sh->clock);
      sh->progress++;
      tv_shared_unlock (sh);

      /* The `var` values as they are now, for every instance alike. */
      if (start_fd < 0)
        start_fd = write_start_message (run);
      if (start_fd < 0)
        saved = errno;
      else if (run->sh_fd < 0 || run->recorder_fd < 0 || run->helper_path == NULL)
        saved = EINVAL;
      else
        {
          pid = spawn_helper (run, index, start_fd);
          saved = errno;
        }

      /* Known at once, before the lock: the child may already hold it and
       * be frozen there, and a stop must then still kill it. */
      if (pid > 0)
        atomic_store (&run->pids[index], pid);
      tv_shared_lock (sh);
      if (pid <= 0)
        {
          slot->life = TV_SLOT_ENDED;
          pthread_cond_broadcast (&sh->all_ended);
        }
      tv_shared_unlock (sh);

      if (pid < 0)
        flow = tv_run_fail (ctx, TV_RUN_ERROR_SYSTEM, stmt->location,
                            "cannot start process '%s': cannot run the process "
                            "helper %s: %s", slot->name,
                            run->helper_path ? run->helper_path : "(none)",
                            g_strerror (saved));
    }
  if (start_fd >= 0)
    close (start_fd);
  return flow;
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
  if (atomic_load (&run->reaped[index]))
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
       * process, where nobody else reaps, blocks.  Only the look that
       * does not block gives up on a lock that a frozen process holds
       * (the watchdog must go on, to end a stop; see tv-watchdog.c).
       */
      if (atomic_load (&run->pids[i]) <= 0 || atomic_load (&run->reaped[i]))
        continue;
      if (block)
        tv_shared_lock (sh);
      else if (!tv_shared_lock_until (sh, tv_clock_wall_ns () + 20 * G_GINT64_CONSTANT (1000000)))
        return;
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

/* SIGKILLs child `i` and, in the run's first process, its process group
 * (the processes it started, however deep).  Only a child not reaped yet:
 * until then its pid, and so its group's id, cannot be reused. */
static void
kill_child (TvRun *run, guint i)
{
  pid_t pid = atomic_load (&run->pids[i]);

  if (pid <= 0 || atomic_load (&run->reaped[i]))
    return;
  if (!run->in_child)
    kill (-pid, SIGKILL);
  kill (pid, SIGKILL);
}

void
tv_process_kill_locked (TvRun *run)
{
  TvShared *sh = run->sh;
  pid_t self = getpid ();

  atomic_store (&run->children_killed, TRUE);
  for (guint i = 0; i < run->n_slots; i++)
    {
      /* A child may not even have begun: its slot has no pid yet, but we
       * know it. */
      kill_child (run, i);
      if (TV_SH_SLOTS (sh)[i].life == TV_SLOT_ALIVE && TV_SH_SLOTS (sh)[i].pid > 0
          && TV_SH_SLOTS (sh)[i].pid != self)
        kill (TV_SH_SLOTS (sh)[i].pid, SIGKILL);
    }
}

void
tv_process_kill_now (TvRun *run)
{
  atomic_store (&run->children_killed, TRUE);
  for (guint i = 0; i < run->n_slots; i++)
    kill_child (run, i);
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
