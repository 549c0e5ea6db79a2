/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload-names.c: object ids and names for the addresses of locks, and
 * CPython's GIL.
 *
 * Object ids: a lock-free open-addressing table in the shared block, keyed
 * by (address space, address).  A fork child keeps its parent's address
 * space (a lock it inherited, or one in shared memory like
 * multiprocessing's, is the same object in both); a program started by
 * exec() gets a new one.  The first thread to claim a key (one CAS) names
 * the object and publishes its id; anyone else who meets the key spins the
 * few instructions until the id is there.  No lock, no allocation.
 *
 * Names: the symbol the object lives in, e.g. `counter_lock`, else its id
 * and the code that first used it, e.g. `mutex 7 (worker+0x2c)` or
 * `mutex 7 (race+0x11a9)` (the file's name and address when it has no
 * symbol there); CPython's locks are `Python lock 7`.  The symbols are read
 * without the loader's lock (tv-preload-symbols.c), so naming an object
 * waits for nothing, even in a signal handler or beside a dlopen().
 *
 * The GIL (CPython 3.x with pthreads): a mutex + condition pair inside
 * `_PyRuntime`, followed by the "switch" pair that FORCE_SWITCHING uses.
 * take_gil() locks the GIL's mutex and, when it gets the GIL, locks the
 * switch mutex while still holding it; that nesting (two mutexes of
 * _PyRuntime, one pthread_cond_t + one pthread_mutex_t apart) is how the
 * GIL is recognised, at the very first take_gil() of the interpreter.
 * From then on the GIL is an object of its own (kind GIL, named `GIL`) and
 * its mutex is not shown as a lock: who holds the GIL is what take_gil() /
 * drop_gil() decide while holding it, so
 *
 *   lock(gil mutex) while not holding the GIL   -> taking (since now)
 *   cond wait on the GIL's condition, taking    -> state GIL_WAIT, from the
 *                                                  moment the take began
 *   unlock(gil mutex), taking                   -> ACQUIRE GIL (running)
 *   lock(gil mutex) while holding the GIL       -> RELEASE GIL (dropping)
 *   unlock(gil mutex), dropping                 -> out
 *   unlock(gil mutex), dropping, asked to       -> state GIL_WAIT, from the
 *   lock(switch mutex) right after a drop          drop on
 *
 * The last two lines are CPython's forced switch.  A thread that waited a
 * whole switch interval (its timed wait on the GIL's condition timed out,
 * and nobody took the GIL meanwhile) sets gil_drop_request; the holder
 * sees it in the eval breaker, drops the GIL, and take_gil() follows at
 * once: the thread wants the GIL back from the very drop, and is drawn
 * waiting for it from there, not running.  The library sees the request
 * the same way CPython makes it (a timed-out wait with no hand-over since
 * it began; every hand-over clears it, as take_gil() does), all under the
 * GIL's mutex.  A second sign: drop_gil() locks the switch mutex, out of a
 * take, only when it was asked to drop (it then waits until another thread
 * has the GIL).  A voluntary drop (Py_BEGIN_ALLOW_THREADS around a blocking
 * call) shows neither: the thread stays running (it runs C code without the
 * GIL) until the blocking call's own state.
 *
 * A GIL_WAIT is emitted a little late and dated back to when the wait
 * began; nothing else is emitted on the thread in between (the ring
 * sequence says so), so its ring stays in time order.
 */
#define _GNU_SOURCE

#include "tv-preload.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

uintptr_t tv_preload_gil_mutex;
uintptr_t tv_preload_gil_cond;
uintptr_t tv_preload_gil_switch_mutex;
uintptr_t tv_preload_gil_switch_cond;

static uint32_t gil_object;                 /* this process's GIL */
static _Atomic uint32_t gil_last_thread;    /* last to drop it, plus one */
static _Atomic int64_t gil_last_time;
/* Changed under the GIL's mutex only: hand-overs so far, and whether a
 * waiter has asked the holder to drop it since the last one. */
static _Atomic uint32_t gil_handovers;
static _Atomic bool gil_requested;

/* _PyRuntime's range, looked up by the constructor (0 = not Python). */
static uintptr_t py_runtime_start, py_runtime_end;

static const char *
kind_word (TvObjectKind kind)
{
  switch (kind)
    {
    case TV_OBJ_LOCK: return "mutex";
    case TV_OBJ_RLOCK: return "rwlock";
    case TV_OBJ_SEMAPHORE: return "sem";
    case TV_OBJ_CONDITION: return "cond";
    case TV_OBJ_BARRIER: return "barrier";
    case TV_OBJ_GIL: return "GIL";
    default: return "object";
    }
}

static uint32_t
emit_object (TvPreloadThread *self,
             uint32_t         id,
             TvObjectKind     kind,
             const char      *name)
{
  uint64_t text = tv_recorder_add_string (tv_preload_recorder, name, strlen (name));

  tv_preload_emit (self, TV_EV_OBJECT_NEW, id, kind, (int64_t) text);
  return id;
}

uint32_t
tv_preload_new_object (TvPreloadThread *self,
                       TvObjectKind     kind,
                       const char      *name)
{
  return emit_object (self, atomic_fetch_add (&tv_preload_shared->next_object, 1), kind, name);
}

/* Whether `code` is CPython's own (the interpreter, or libpython). */
static bool
in_python (uintptr_t code)
{
  return py_runtime_start != 0 && tv_preload_same_file (py_runtime_start, code);
}

/* "counter_lock" (its symbol), "mutex 7 (worker+0x2c)" (the code that
 * first used it; the id tells apart the many locks one line makes), or
 * "Python lock 7" (CPython's threading locks are all made by the same
 * few lines of the interpreter). */
static uint32_t
name_object (TvPreloadThread *self,
             const void      *address,
             TvObjectKind     kind,
             uintptr_t        caller)
{
  uint32_t id = atomic_fetch_add (&tv_preload_shared->next_object, 1);
  char symbol[160], where[160], name[200];

  self->guard++;
  if (tv_preload_describe_address ((uintptr_t) address, true, symbol, sizeof symbol))
    snprintf (name, sizeof name, "%s", symbol);
  else if (kind == TV_OBJ_SEMAPHORE && in_python (caller))
    snprintf (name, sizeof name, "Python lock %u", id);
  else
    {
      if (tv_preload_describe_address (caller, false, where, sizeof where))
        snprintf (name, sizeof name, "%s %u (%s)", kind_word (kind), id, where);
      else
        snprintf (name, sizeof name, "%s %u", kind_word (kind), id);
    }
  self->guard--;
  return emit_object (self, id, kind, name);
}

TvPreloadSlot *
tv_preload_object (TvPreloadThread *self,
                   const void      *address,
                   TvObjectKind     kind,
                   uintptr_t        caller)
{
  uint64_t key = ((uint64_t) tv_preload_space << 48) | ((uintptr_t) address & UINT64_C (0xffffffffffff));
  uint64_t h = (key ^ (key >> 29)) * UINT64_C (0x9e3779b97f4a7c15);
  uint32_t mask = TV_PRELOAD_N_SLOTS - 1;

  for (uint32_t i = 0, at = (uint32_t) (h >> 40); i < 64; i++)
    {
      TvPreloadSlot *slot = &tv_preload_shared->slots[(at + i) & mask];
      uint64_t found = atomic_load_explicit (&slot->key, memory_order_acquire);

      if (found == 0)
        {
          if (atomic_compare_exchange_strong_explicit (&slot->key, &found, key,
                                                       memory_order_acq_rel,
                                                       memory_order_acquire))
            {
              uint32_t id = name_object (self, address, kind, caller);

              atomic_store_explicit (&slot->id, id, memory_order_release);
              return slot;
            }
        }
      if (found == key)
        {
          /* Claimed by someone naming it right now: a few microseconds.
           * Bounded, for a process killed right in the middle of it. */
          for (int spins = 0; atomic_load_explicit (&slot->id, memory_order_acquire) == 0; spins++)
            {
              if (spins > 100000)
                return NULL;
              sched_yield ();
            }
          return slot;
        }
    }
  atomic_fetch_add_explicit (&tv_preload_shared->slots_full, 1, memory_order_relaxed);
  return NULL;
}

/* --- The GIL --------------------------------------------------------------- */

void
tv_preload_gil_init (void)
{
  void *runtime;
  Dl_info info;
  const ElfW (Sym) *sym = NULL;

  /* Called by the constructor, where the loader's lock is not in the way:
   * dlsym() and dladdr1() take it. */
  runtime = dlsym (RTLD_DEFAULT, "_PyRuntime");
  if (runtime != NULL
      && dladdr1 (runtime, &info, (void **) &sym, RTLD_DL_SYMENT) != 0 && sym != NULL)
    {
      py_runtime_start = (uintptr_t) runtime;
      py_runtime_end = py_runtime_start + (sym->st_size > 0 ? sym->st_size : 4096);
    }
}

static bool
in_py_runtime (uintptr_t address)
{
  return address >= py_runtime_start && address < py_runtime_end;
}

bool
tv_preload_gil_check (TvPreloadThread *self,
                      const void      *mutex)
{
  uintptr_t address = (uintptr_t) mutex;
  uintptr_t gil;

  if (tv_preload_gil_mutex != 0)
    return tv_preload_is_gil (mutex);

  if (py_runtime_start == 0 || !in_py_runtime (address))
    return false;

  gil = address - sizeof (pthread_cond_t) - sizeof (pthread_mutex_t);
  if (self->py_mutex == 0 || self->py_mutex != gil)
    return false;

  /* Nested exactly as take_gil() nests them: recognised.  The GIL's mutex
   * was shown as a lock until now: close that hold and turn the object into
   * the GIL (a second OBJECT_NEW of the same id renames it). */
  {
    TvPreloadSlot *slot = tv_preload_object (self, (void *) gil, TV_OBJ_LOCK, 0);
    uint32_t id = tv_preload_slot_id (slot);
    uint64_t text = tv_recorder_add_string (tv_preload_recorder, "GIL", 3);

    if (id == 0)
      return false;
    tv_preload_emit (self, TV_EV_RELEASE, id, 0, 0);
    tv_preload_emit (self, TV_EV_OBJECT_NEW, id, TV_OBJ_GIL, (int64_t) text);
    gil_object = id;
  }
  tv_preload_gil_cond = gil - sizeof (pthread_cond_t);
  tv_preload_gil_switch_mutex = address;
  tv_preload_gil_switch_cond = address - sizeof (pthread_cond_t);
  atomic_thread_fence (memory_order_release);
  tv_preload_gil_mutex = gil;
  self->gil = TV_GIL_TAKING;
  self->gil_waited = false;
  self->gil_since = tv_preload_now ();
  self->py_mutex = 0;
  return true;
}

void
tv_preload_gil_locked (TvPreloadThread *self,
                       const void      *mutex)
{
  if (py_runtime_start != 0 && in_py_runtime ((uintptr_t) mutex))
    self->py_mutex = (uintptr_t) mutex;
}

void
tv_preload_gil_before_lock (TvPreloadThread *self)
{
  if (self->gil == TV_GIL_HOLDING)
    {
      int64_t now = tv_preload_now ();

      tv_preload_emit_at (self, now, TV_EV_RELEASE, gil_object, 0, 0);
      atomic_store_explicit (&gil_last_time, now, memory_order_relaxed);
      atomic_store_explicit (&gil_last_thread, self->index + 1, memory_order_release);
      self->gil = TV_GIL_DROPPING;
      self->gil_since = now;
      self->gil_drop_seq = tv_preload_ring_seq (self);
      self->gil_wait_seq = 0;
    }
  else if (self->gil == TV_GIL_OUT)
    {
      self->gil = TV_GIL_TAKING;
      /* Still drawn waiting since a forced switch's drop (nothing emitted
       * since): the same wait goes on.  Else a new take begins now. */
      self->gil_waited = self->gil_wait_seq != 0
                         && self->gil_wait_seq == tv_preload_ring_seq (self);
      if (!self->gil_waited)
        self->gil_since = tv_preload_now ();
      self->gil_wait_seq = 0;
      self->gil_drop_seq = 0;
    }
}

/* After a forced drop: waiting for the GIL from the drop on, unless the
 * thread has done something else since (or this was said already). */
static void
wait_since_drop (TvPreloadThread *self)
{
  if (self->gil_drop_seq == 0 || self->gil_drop_seq != tv_preload_ring_seq (self))
    return;
  tv_preload_emit_at (self, self->gil_since, TV_EV_STATE, gil_object, 0, TV_STATE_GIL_WAIT);
  self->gil_wait_seq = tv_preload_ring_seq (self);
  self->gil_drop_seq = 0;
}

void
tv_preload_gil_before_switch (TvPreloadThread *self)
{
  /* In a take, it is take_gil() announcing that it holds the GIL; out of
   * one, it is drop_gil() right after the drop of a forced switch. */
  if (self->gil == TV_GIL_OUT)
    wait_since_drop (self);
}

void
tv_preload_gil_before_unlock (TvPreloadThread *self)
{
  if (self->gil == TV_GIL_TAKING)
    {
      uint32_t releaser = TV_NO_THREAD;
      int64_t release_time = 0;

      if (self->gil_waited)
        {
          uint32_t last = atomic_load_explicit (&gil_last_thread, memory_order_acquire);

          release_time = atomic_load_explicit (&gil_last_time, memory_order_relaxed);
          if (last != 0 && last - 1 != self->index)
            releaser = last - 1;
        }
      tv_preload_emit (self, TV_EV_ACQUIRE, gil_object, releaser, release_time);
      self->gil = TV_GIL_HOLDING;
      atomic_fetch_add_explicit (&gil_handovers, 1, memory_order_relaxed);
      atomic_store_explicit (&gil_requested, false, memory_order_relaxed);
    }
  else if (self->gil == TV_GIL_DROPPING)
    {
      self->gil = TV_GIL_OUT;
      if (atomic_load_explicit (&gil_requested, memory_order_relaxed))
        wait_since_drop (self);
    }
}

void
tv_preload_gil_before_wait (TvPreloadThread *self)
{
  if (self->gil != TV_GIL_TAKING)
    return;
  if (!self->gil_waited)
    {
      tv_preload_emit_at (self, self->gil_since, TV_EV_STATE, gil_object, 0, TV_STATE_GIL_WAIT);
      self->gil_waited = true;
    }
  self->gil_handovers = atomic_load_explicit (&gil_handovers, memory_order_relaxed);
}

void
tv_preload_gil_after_wait (TvPreloadThread *self,
                           int              result)
{
  /* take_gil() asks for the GIL when a whole interval passed without a
   * switch: so do we (the GIL's mutex is held again here). */
  if (self->gil == TV_GIL_TAKING && result == ETIMEDOUT
      && atomic_load_explicit (&gil_handovers, memory_order_relaxed) == self->gil_handovers)
    atomic_store_explicit (&gil_requested, true, memory_order_relaxed);
}

void
tv_preload_gil_reset (TvPreloadThread *self)
{
  if (self->gil == TV_GIL_HOLDING && gil_object != 0)
    tv_preload_emit (self, TV_EV_RELEASE, gil_object, 0, 0);
  self->gil = TV_GIL_OUT;
  self->gil_drop_seq = 0;
  self->gil_wait_seq = 0;
}

void
tv_preload_gil_after_fork (TvPreloadThread *self)
{
  char name[48];

  if (tv_preload_gil_mutex == 0)
    return;
  /* Another process, another GIL. */
  snprintf (name, sizeof name, "GIL (pid %d)", (int) getpid ());
  gil_object = tv_preload_new_object (self, TV_OBJ_GIL, name);
  atomic_store (&gil_last_thread, 0);
  atomic_store (&gil_requested, false);
  if (self->gil == TV_GIL_HOLDING)
    tv_preload_emit (self, TV_EV_ACQUIRE, gil_object, TV_NO_THREAD, 0);
}
