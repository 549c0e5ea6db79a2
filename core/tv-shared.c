/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-shared.c: maps the shared block, initialises its process-shared mutexes
 * and condition variables, and implements the one blocking wait every
 * primitive uses (tv_block), so that stop, speed changes and the watchdog
 * see every wait the same way.
 */
#define G_LOG_DOMAIN "tv-engine"
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tv-run-private.h"

#define ALIGN_UP(x) (((x) + 63) & ~(size_t) 63)

static void
init_cond (pthread_cond_t *cond)
{
  pthread_condattr_t attr;

  pthread_condattr_init (&attr);
  pthread_condattr_setpshared (&attr, PTHREAD_PROCESS_SHARED);
  /* Deadlocks are absolute CLOCK_MONOTONIC times (tv_clock_wall_deadline). */
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (cond, &attr);
  pthread_condattr_destroy (&attr);
}

static void
init_mutex (pthread_mutex_t *mutex)
{
  pthread_mutexattr_t attr;

  pthread_mutexattr_init (&attr);
  pthread_mutexattr_setpshared (&attr, PTHREAD_PROCESS_SHARED);
  /* A child process killed while it holds the lock must not hang the
   * others: the next locker is told (EOWNERDEAD) and carries on. */
  pthread_mutexattr_setrobust (&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init (mutex, &attr);
  pthread_mutexattr_destroy (&attr);
}

static guint32
queue_capacity (const TvObjectDecl *decl)
{
  if (decl->param <= 0 || decl->param > TV_SCENARIO_MAX_QUEUE_ITEMS)
    return TV_SCENARIO_MAX_QUEUE_ITEMS;
  return (guint32) decl->param;
}

gboolean
tv_shared_map (TvRun *run, GError **error)
{
  TvScenario *sc = run->scenario;
  guint n_ids = run->gil_base ? run->gil_base + run->n_processes - 1
                              : run->process_base + run->n_processes - 1;
  size_t off_slots, off_objects, off_vars, off_items, size;
  size_t n_items = 0;
  char *base;
  TvShared *sh;
  int fd;

  for (guint i = 0; i < sc->n_objects; i++)
    if (sc->objects[i].kind == TV_OBJ_QUEUE)
      n_items += queue_capacity (&sc->objects[i]);

  off_slots = ALIGN_UP (sizeof (TvShared));
  off_objects = ALIGN_UP (off_slots + run->n_slots * sizeof (TvSlot));
  off_vars = ALIGN_UP (off_objects + n_ids * sizeof (TvObj));
  off_items = ALIGN_UP (off_vars + MAX (sc->n_vars, 1) * sizeof (_Atomic int64_t));
  size = ALIGN_UP (off_items + n_items * sizeof (TvQueueItem));

  /* A memfd rather than an anonymous mapping: a process of the run is a
   * new program (threadviz-process), which maps the same file again. */
  fd = memfd_create ("threadviz-shared", MFD_CLOEXEC);
  if (fd >= 0 && ftruncate (fd, (off_t) size) == 0)
    base = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  else
    base = MAP_FAILED;
  if (base == MAP_FAILED)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot map the run's shared memory (%zu bytes): %s",
                   size, g_strerror (saved));
      return FALSE;
    }
  run->sh_fd = fd;

  run->sh = sh = (TvShared *) base;
  run->sh_size = size;
  init_mutex (&sh->lock);
  init_mutex (&sh->print_lock);
  init_cond (&sh->all_ended);
  init_cond (&sh->gate);
  init_cond (&sh->control);
  sh->step_thread = TV_NO_THREAD;
  sh->n_slots = run->n_slots;
  sh->n_objects = n_ids;
  sh->slots_offset = off_slots;
  sh->objects_offset = off_objects;
  sh->vars_offset = off_vars;

  for (guint i = 0; i < run->n_slots; i++)
    {
      TvSlot *slot = &TV_SH_SLOTS (sh)[i];

      init_cond (&slot->cond);
      slot->starter = TV_NO_THREAD;
      slot->cv_next = TV_NO_THREAD;
      slot->exit_time = -1;
    }

  {
    uint64_t items = off_items;

    for (guint id = 1; id <= n_ids; id++)
      {
        TvObj *obj = &TV_SH_OBJECTS (sh)[id - 1];

        init_cond (&obj->cond);
        obj->owner = TV_NO_THREAD;
        obj->last_thread = TV_NO_THREAD;
        obj->done_thread = TV_NO_THREAD;
        obj->cv_head = obj->cv_tail = TV_NO_THREAD;
        if (id <= sc->n_objects)
          {
            const TvObjectDecl *decl = &sc->objects[id - 1];

            obj->kind = decl->kind;
            obj->param = decl->param;
            if (decl->kind == TV_OBJ_SEMAPHORE)
              obj->value = decl->param;
            if (decl->kind == TV_OBJ_QUEUE)
              {
                obj->capacity = queue_capacity (decl);
                obj->items_offset = items;
                items += obj->capacity * sizeof (TvQueueItem);
              }
          }
        else if (id < run->process_base)
          obj->kind = sc->vars[id - run->var_base].kind == TV_VAR_SHARED
                      ? TV_OBJ_SHARED : TV_OBJ_VAR;
        else if (run->gil_base == 0 || id < run->gil_base)
          obj->kind = TV_OBJ_PROCESS;
        else
          obj->kind = TV_OBJ_GIL;
      }
  }

  for (guint v = 0; v < sc->n_vars; v++)
    atomic_init (&TV_SH_VARS (sh)[v], sc->vars[v].initial);

  return TRUE;
}

void
tv_shared_unmap (TvRun *run)
{
  TvShared *sh = run->sh;

  if (sh == NULL)
    return;

  /*
   * No pthread_*_destroy: they hold no resource outside the mapping, and
   * glibc's pthread_cond_destroy() waits for every waiter to leave, which
   * a waiter in a child process that was killed never does.
   */
  munmap (sh, run->sh_size);
  run->sh = NULL;
  if (run->sh_fd >= 0)
    close (run->sh_fd);
  run->sh_fd = -1;
}

gboolean
tv_shared_attach (TvRun *run, int fd, GError **error)
{
  struct stat st;
  void *base;

  if (fstat (fd, &st) < 0 || (size_t) st.st_size < sizeof (TvShared))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "descriptor %d holds no shared block of a run", fd);
      return FALSE;
    }
  base = mmap (NULL, (size_t) st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot map the run's shared memory: %s", g_strerror (saved));
      return FALSE;
    }
  run->sh = base;
  run->sh_size = (size_t) st.st_size;
  run->sh_fd = -1;
  return TRUE;
}

/* Takes over a lock whose holder died (see init_mutex); the run is then
 * failed by the reaper, so a half-done change cannot do much harm. */
static void
recover (pthread_mutex_t *mutex, int result)
{
  if (result == EOWNERDEAD)
    pthread_mutex_consistent (mutex);
}

void
tv_shared_lock (TvShared *sh)
{
  recover (&sh->lock, pthread_mutex_lock (&sh->lock));
}

void
tv_shared_print_lock (TvShared *sh)
{
  recover (&sh->print_lock, pthread_mutex_lock (&sh->print_lock));
}

void
tv_shared_print_unlock (TvShared *sh)
{
  pthread_mutex_unlock (&sh->print_lock);
}

void
tv_shared_unlock (TvShared *sh)
{
  pthread_mutex_unlock (&sh->lock);
}

static void
wall_to_timespec (gint64 wall, struct timespec *ts)
{
  ts->tv_sec = wall / G_GINT64_CONSTANT (1000000000);
  ts->tv_nsec = wall % G_GINT64_CONSTANT (1000000000);
}

void
tv_shared_wait (TvShared *sh, pthread_cond_t *cond)
{
  recover (&sh->lock, pthread_cond_wait (cond, &sh->lock));
}

gboolean
tv_shared_wait_until (TvShared *sh, pthread_cond_t *cond, gint64 wall_ns)
{
  struct timespec ts;
  int result;

  wall_to_timespec (wall_ns, &ts);
  result = pthread_cond_timedwait (cond, &sh->lock, &ts);
  recover (&sh->lock, result);
  return result != ETIMEDOUT;
}

gboolean
tv_shared_stopping (TvShared *sh)
{
  return atomic_load_explicit (&sh->stop, memory_order_relaxed) != 0;
}

void
tv_shared_wake_all_locked (TvShared *sh)
{
  for (guint i = 0; i < sh->n_slots; i++)
    pthread_cond_broadcast (&TV_SH_SLOTS (sh)[i].cond);
  for (guint i = 0; i < sh->n_objects; i++)
    pthread_cond_broadcast (&TV_SH_OBJECTS (sh)[i].cond);
  pthread_cond_broadcast (&sh->gate);
  pthread_cond_broadcast (&sh->control);
  /* The runner, which waits for the end and must learn of a stop. */
  pthread_cond_broadcast (&sh->all_ended);
}

void
tv_shared_stop_locked (TvShared *sh)
{
  atomic_store_explicit (&sh->stop, 1, memory_order_relaxed);
  tv_shared_wake_all_locked (sh);
}

gboolean
tv_slot_ready (TvShared *sh, const TvSlot *slot)
{
  const TvObj *obj = slot->wait_object ? &TV_SH_OBJECTS (sh)[slot->wait_object - 1] : NULL;

  switch ((TvWaitKind) slot->wait_kind)
    {
    case TV_WAIT_NONE:
      return TRUE;
    case TV_WAIT_SLEEP:
      return FALSE;
    case TV_WAIT_GIL:
      /* Handed over by the last holder, or free and its turn (its ticket
       * is in wait_generation). */
      return obj->owner == (uint32_t) (slot - TV_SH_SLOTS (sh))
             || (obj->owner == TV_NO_THREAD && obj->gil_serving == slot->wait_generation);
    case TV_WAIT_LOCK:
      return obj->owner == TV_NO_THREAD;
    case TV_WAIT_SEMAPHORE:
      return obj->value > 0;
    case TV_WAIT_QUEUE_GET:
      return obj->len > 0;
    case TV_WAIT_QUEUE_PUT:
      return obj->len < obj->capacity;
    case TV_WAIT_QUEUE_JOIN:
      return obj->unfinished <= 0;
    case TV_WAIT_EVENT:
      return obj->value != 0;
    case TV_WAIT_CONDITION:
      return slot->notified;
    case TV_WAIT_BARRIER:
      return obj->generation != slot->wait_generation;
    case TV_WAIT_JOIN:
      return TV_SH_SLOTS (sh)[slot->wait_thread].life == TV_SLOT_ENDED;
    }
  return TRUE;
}

gboolean
tv_shared_orphaned_locked (TvRun *run)
{
  if (!run->in_child || getppid () == run->parent_pid)
    return FALSE;
  tv_shared_stop_locked (run->sh);
  return TRUE;
}

TvBlockResult
tv_block (TvCtx          *ctx,
          pthread_cond_t *cond,
          TvWaitKind      kind,
          guint32         object,
          guint32         thread,
          guint           line,
          gint64          deadline)
{
  TvShared *sh = ctx->sh;
  TvSlot *slot = ctx->slot;
  TvBlockResult result;

  slot->wait_kind = kind;
  slot->wait_object = object;
  slot->wait_thread = thread;
  slot->wait_line = line;
  slot->wait_timed = deadline >= 0;
  sh->progress++;

  for (;;)
    {
      /* Woken or not, a lock's or semaphore's waiter is here to look: the
       * next release may wake one again (tv-primitives.c, wake_waiter()).
       * Before the look, or a release between the two would wake nobody. */
      if (kind == TV_WAIT_LOCK || kind == TV_WAIT_SEMAPHORE)
        atomic_store_explicit (&TV_SH_OBJECTS (sh)[object - 1].wake_sent, 0, memory_order_seq_cst);
      if (kind != TV_WAIT_SLEEP && tv_slot_ready (sh, slot))
        {
          result = TV_BLOCK_READY;
          break;
        }
      if (tv_shared_stopping (sh))
        {
          result = TV_BLOCK_STOP;
          break;
        }
      if (deadline >= 0 && tv_clock_now (&sh->clock) >= deadline)
        {
          result = TV_BLOCK_TIMEOUT;
          break;
        }
      /* A step ends where its thread must wait for another one (a sleep
       * or the GIL come by themselves: the step goes on through them). */
      if (sh->step_thread == ctx->index && kind != TV_WAIT_SLEEP && kind != TV_WAIT_GIL)
        tv_control_step_done_locked (ctx->run);
      if (deadline >= 0)
        {
          gint64 wall = tv_clock_wall_deadline (&sh->clock, deadline);

          /* Paused: look again now and then (tv_run_resume() wakes every
           * wait, but the clock may also be paused by someone else). */
          if (wall == G_MAXINT64)
            wall = tv_clock_wall_ns () + 50 * G_GINT64_CONSTANT (1000000);
          if (ctx->run->in_child)
            wall = MIN (wall, tv_clock_wall_ns () + TV_ORPHAN_CHECK_NS);
          tv_shared_wait_until (sh, cond, wall);
        }
      /* A lock's or semaphore's waiter also looks again now and then: its
       * wake is sent once (wake_waiter()), and a signal that glibc's
       * condition variable lost (BZ #25847, fixed after 2.36) would
       * otherwise leave it asleep with the object free. */
      else if (ctx->run->in_child || kind == TV_WAIT_LOCK || kind == TV_WAIT_SEMAPHORE)
        tv_shared_wait_until (sh, cond, tv_clock_wall_ns () + TV_ORPHAN_CHECK_NS);
      else
        tv_shared_wait (sh, cond);
      tv_shared_orphaned_locked (ctx->run);
    }

  /* Marked by the watchdog: a member of the deadlock or stall, whatever
   * woke it (a joined member that unwound first makes a join ready). */
  if (slot->deadlocked)
    {
      tv_emit_kept_locked (ctx->run, ctx->index, TV_EV_DEADLOCK, line,
                           slot->deadlock_object, slot->deadlock_holder, 0);
      slot->deadlocked = FALSE;
    }

  slot->wait_kind = TV_WAIT_NONE;
  slot->wait_object = 0;
  slot->wait_timed = FALSE;
  sh->progress++;
  return result;
}

gboolean
tv_shared_lock_until (TvShared *sh, gint64 wall_ns)
{
  struct timespec ts;
  int result;

  /* pthread_mutex_timedlock() counts in CLOCK_REALTIME: turn the
   * monotonic deadline into a delay from now on that clock. */
  clock_gettime (CLOCK_REALTIME, &ts);
  {
    gint64 delay = MAX (wall_ns - tv_clock_wall_ns (), 0);
    gint64 ns = ts.tv_nsec + delay % G_GINT64_CONSTANT (1000000000);

    ts.tv_sec += delay / G_GINT64_CONSTANT (1000000000) + ns / G_GINT64_CONSTANT (1000000000);
    ts.tv_nsec = ns % G_GINT64_CONSTANT (1000000000);
  }
  do
    result = pthread_mutex_timedlock (&sh->lock, &ts);
  while (result == EINTR);
  if (result == ETIMEDOUT)
    return FALSE;
  recover (&sh->lock, result);
  return TRUE;
}
