/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-shared.h: the engine's shared block.
 *
 * Everything that every thread *and every process* of a run must see lives
 * in one shared mapping (a memfd): the scenario clock, the control flags,
 * one slot per thread, the state of every object (locks, queues, ..., the
 * GILs), the `shared` variables and the print lock.  Because each process
 * of the run maps the same memfd (tv-process.c), the primitives keep
 * working across processes: all
 * of them are guarded by one PTHREAD_PROCESS_SHARED mutex (`lock`), and
 * every wait is a timed wait on a process-shared condition variable.
 *
 * One engine-wide mutex (rather than one per object) keeps the wait-for
 * graph consistent for the watchdog and makes "stop wakes every wait"
 * trivially race-free; scenarios are teaching material, so the contention it
 * adds is invisible next to the durations they use.  The one exception is a
 * lock's or rlock's owner word and a semaphore's value, taken and given
 * back by atomics when nobody waits for them (docs/engine.md, "Lock fast
 * path"): a `repeat` of acquire / release must not cost a trip through the
 * engine lock each.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "tv-clock.h"

/* What a blocked thread waits for (a slot's wait_kind). */
typedef enum
{
  TV_WAIT_NONE = 0,
  TV_WAIT_SLEEP,          /* sleep / io: always ends by itself */
  TV_WAIT_GIL,            /* the GIL holder always hands it on */
  TV_WAIT_LOCK,           /* a lock, rlock, or a condition's lock: owner == none */
  TV_WAIT_SEMAPHORE,      /* value > 0 */
  TV_WAIT_QUEUE_GET,      /* len > 0 */
  TV_WAIT_QUEUE_PUT,      /* len < capacity */
  TV_WAIT_QUEUE_JOIN,     /* unfinished == 0 */
  TV_WAIT_EVENT,          /* flag set */
  TV_WAIT_CONDITION,      /* notified */
  TV_WAIT_BARRIER,        /* generation moved on */
  TV_WAIT_JOIN,           /* thread wait_thread ended */
} TvWaitKind;

/* Life of a thread slot. */
typedef enum
{
  TV_SLOT_UNUSED = 0,     /* a spawn slot not taken yet */
  TV_SLOT_NEW,            /* declared, not started */
  TV_SLOT_ALIVE,          /* started (possibly still being created) */
  TV_SLOT_ENDED,
} TvSlotLife;

#define TV_SLOT_NAME_MAX 64

typedef struct
{
  pthread_cond_t cond;        /* its own sleeps, and its joiners */
  uint32_t life;              /* TvSlotLife */
  uint32_t body;              /* body index it runs */
  uint32_t process;           /* object id of its process */
  int32_t  pid;               /* the OS process it runs in, 0 before it runs */
  uint32_t starter;           /* who started it, or TV_NO_THREAD */
  int64_t  start_time;        /* when the starter called start */
  int64_t  exit_time;
  char     name[TV_SLOT_NAME_MAX];

  /* What it waits for (all under the engine lock). */
  uint32_t wait_kind;         /* TvWaitKind */
  uint32_t wait_object;       /* object id, or 0 */
  uint32_t wait_thread;       /* TV_WAIT_JOIN: the joined thread */
  uint32_t wait_line;
  bool     wait_timed;
  uint64_t wait_generation;   /* TV_WAIT_BARRIER */

  /* Condition variable waiter list (intrusive FIFO through the slots). */
  uint32_t cv_next;
  bool     cv_queued;
  bool     notified;
  uint32_t notifier;
  int64_t  notify_time;

  /* Run control (tv-control.c): the line of the statement it runs or is
   * about to run (written at every statement boundary, read by the
   * controller without the lock), and whether the pause holds it at a
   * statement boundary (under the engine lock). */
  _Atomic uint32_t line;
  bool     gated;

  /* Set by the watchdog: this thread is in a deadlock cycle. */
  bool     deadlocked;
  uint32_t deadlock_object;
  uint32_t deadlock_holder;
} TvSlot;

/* See TvShared for why some fields start a cache line. */
#define TV_CACHE_LINE 64

/* One item in a queue. */
typedef struct
{
  int64_t  value;
  uint64_t id;
  int64_t  put_time;
  uint32_t putter;
  uint32_t reserved;
} TvQueueItem;

typedef struct
{
  /* Written by every wait and wake: a line of its own, apart from the
   * owner word the fast path takes. */
  _Alignas (TV_CACHE_LINE) pthread_cond_t cond; /* every waiter of this object waits on it */
  _Alignas (TV_CACHE_LINE) uint32_t kind;       /* TvObjectKind */
  int64_t  param;

  /* Lock, rlock, condition (its own re-entrant lock), GIL.  A lock's or
   * rlock's owner word is taken with a CAS and given back with a store,
   * without the engine lock (tv-primitives.c, "the fast path"): read it
   * once, atomically.  `count`, `owner_line` and `last_*` are then written
   * by the owner only, before its release store. */
  _Atomic uint32_t owner;     /* TV_NO_THREAD when free */
  uint32_t count;             /* holds of the owner (rlock, condition) */
  _Atomic uint32_t owner_line;/* line of the acquire that took it */
  /* Lock, rlock, semaphore: threads in acquire's slow path, counted
   * (under the engine lock) before they look at `owner` or `value` and
   * block; a release that sees one after its store takes the engine lock
   * and wakes one. */
  _Atomic uint32_t waiters;
  /* Lock, rlock, semaphore: a release has woken a waiter that has not run
   * since.  Releases wake one waiter at a time, as a futex mutex does:
   * without it, every release made while a woken waiter is on its way
   * would take the engine lock to wake it again.  Cleared by each waiter
   * that comes back from its wait (tv-primitives.c, "the fast path"). */
  _Atomic uint32_t wake_sent;

  /* Semaphore count (taken with a CAS and given back with an add outside
   * the engine lock when nobody waits: see `waiters`), event flag. */
  _Atomic int64_t value;

  /* The last release / set / notify / trip / get / task_done: the origin
   * of the link drawn into the thread it lets go on. */
  uint32_t last_thread;
  int64_t  last_time;
  /* Queue: the last task_done that emptied the unfinished count. */
  uint32_t done_thread;
  int64_t  done_time;

  /* Barrier. */
  uint32_t arrived;
  uint64_t generation;

  /* Queue: a ring of `capacity` items inside the shared block, as an
   * offset from its start (see TV_SH_ITEMS). */
  uint64_t items_offset;
  uint32_t capacity;
  uint32_t head;
  uint32_t len;
  uint64_t next_item_id;
  int64_t  unfinished;

  /* Condition: FIFO of waiting slots. */
  uint32_t cv_head;
  uint32_t cv_tail;

  /* GIL: handed on in ticket order, so that CPU-bound threads take turns
   * as in CPython rather than two of them ping-ponging. */
  _Atomic uint32_t gil_drop_request;
  uint32_t gil_waiters;
  uint64_t gil_next_ticket;
  uint64_t gil_serving;
} TvObj;

/*
 * Cache lines: every event reads the clock, and every statement reads
 * `paused` and `stop`, from every thread; the engine lock and `progress`
 * are written at every wait.  Sharing a line, each engine lock or unlock
 * made the next clock read of every other thread a miss (a transfer
 * between cores, ~100 ns on a virtual machine).  So the clock, the engine
 * lock, the read-mostly fields and the written ones start lines of their
 * own (the block is mapped page-aligned).
 */
typedef struct
{
  _Alignas (TV_CACHE_LINE) TvClock clock;
  _Alignas (TV_CACHE_LINE) pthread_mutex_t lock; /* the engine lock: guards slots and objects */
  pthread_mutex_t  print_lock;    /* keeps stdout order == time order */
  _Alignas (TV_CACHE_LINE) _Atomic uint32_t stop; /* set once: every thread unwinds */
  uint32_t         error_kind;    /* TvRunErrorKind of the first error */
  _Atomic uint32_t stop_requested;/* tv_run_stop() was called */
  uint32_t         n_slots;
  uint32_t         n_objects;     /* object ids 1..n_objects */
  /* Offsets from the block's start, not pointers: the block is mapped at
   * a different address in each process of the run (a `process` is a new
   * program that maps it again).  Reached through TV_SH_SLOTS and co. */
  uint64_t         slots_offset;   /* TvSlot[n_slots] */
  uint64_t         objects_offset; /* TvObj[n_objects], objects[id - 1] */
  uint64_t         vars_offset;    /* _Atomic int64_t, indexed like the scenario's vars */
  /* Run control (tv-control.c).  `paused` is read without the lock at every
   * statement boundary and written under it; the rest is under the lock.
   * `step_thread` and `stop_requested` are atomics all the same: a stop can
   * be finished by the watchdog once it took the lock over from a frozen
   * process that died holding it (EOWNERDEAD), a hand-over that
   * ThreadSanitizer does not follow. */
  _Atomic uint32_t paused;        /* the controller paused the run */
  _Atomic uint32_t step_thread;   /* the thread running a step, or TV_NO_THREAD */
  _Alignas (TV_CACHE_LINE) uint64_t progress; /* bumped on every wait change (watchdog) */
  pthread_cond_t   all_ended;     /* a thread ended: the runner looks again */
  uint32_t         step_passes;   /* statement boundaries it may still pass */
  int64_t          pause_wall;    /* wall ns of the last pause */
  pthread_cond_t   gate;          /* threads held by the pause wait here */
  pthread_cond_t   control;       /* the controller waits here for a step */
  /* The first error's message, here so that an error in a child process
   * reaches the parent (under the engine lock). */
  char             error_text[8192];
} TvShared;

#define TV_SH_AT(sh, type, offset) ((type *) (void *) ((char *) (sh) + (offset)))
#define TV_SH_SLOTS(sh)       TV_SH_AT (sh, TvSlot, (sh)->slots_offset)
#define TV_SH_OBJECTS(sh)     TV_SH_AT (sh, TvObj, (sh)->objects_offset)
#define TV_SH_VARS(sh)        TV_SH_AT (sh, _Atomic int64_t, (sh)->vars_offset)
#define TV_SH_ITEMS(sh, obj)  TV_SH_AT (sh, TvQueueItem, (obj)->items_offset)
