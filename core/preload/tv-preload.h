/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload.h: what the files of the preload library share.  Private to
 * libthreadviz-preload.so; libc + pthreads only, no GLib.
 *
 * Every interposed function starts with tv_preload_enter(): it returns the
 * calling thread's state, or NULL when the call must not be traced (the
 * library is not attached, the thread has no ring, or the tracer itself is
 * running on this thread: the re-entrancy guard, which also keeps a signal
 * handler from emitting on a ring in the middle of an emit).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tv-event.h"
#include "tv-recorder.h"
#include "tv-preload-shared.h"

#define TV_PRELOAD_EXPORT __attribute__ ((visibility ("default")))
#define TV_PRELOAD_CALLER() ((uintptr_t) __builtin_return_address (0))

/* Where a thread is in CPython's take_gil() / drop_gil() (tv-preload-names.c). */
typedef enum
{
  TV_GIL_OUT = 0,     /* does not hold the GIL */
  TV_GIL_TAKING,      /* holds the GIL's mutex on its way in */
  TV_GIL_HOLDING,
  TV_GIL_DROPPING,    /* holds the GIL's mutex on its way out */
} TvGilState;

typedef struct
{
  TvRing     *ring;         /* NULL until the thread is known */
  uint32_t    index;        /* run-wide thread index (its ring) */
  int         guard;        /* > 0 while the tracer runs on this thread */
  bool        disabled;     /* no ring left: never traced */
  uint8_t     gil;          /* TvGilState */
  bool        gil_waited;   /* shows GIL_WAIT for this take already */
  int64_t     gil_since;    /* when this take (or the wait after a drop) began */
  uint64_t    gil_drop_seq; /* ring sequence right after the last RELEASE of the GIL */
  uint64_t    gil_wait_seq; /* ring sequence right after the last GIL_WAIT, or 0 */
  uint32_t    gil_handovers;/* the GIL's hand-over count when its wait began */
  uintptr_t   py_mutex;     /* the last _PyRuntime mutex it locked */
  int         pid;          /* the process it was adopted in */
} TvPreloadThread;

/* Process-wide state (tv-preload.c). */
extern TvRecorder      *tv_preload_recorder;
extern TvPreloadShared *tv_preload_shared;
extern bool             tv_preload_active;
extern uint32_t         tv_preload_space;     /* this exec's address space id */
extern uint32_t         tv_preload_process;   /* this process's object id */

extern __thread TvPreloadThread tv_preload_self
  __attribute__ ((tls_model ("initial-exec")));

/* Adopts a thread the library has not seen yet (one that existed before
 * the library attached, or a fork child's): claims a ring, emits its
 * THREAD_NEW / OS / START.  False when it cannot be traced. */
bool tv_preload_thread_adopt (TvPreloadThread *self,
                              uint32_t         creator,
                              int64_t          start_time);

static inline TvPreloadThread *
tv_preload_enter (void)
{
  TvPreloadThread *self = &tv_preload_self;

  if (__builtin_expect (!tv_preload_active || self->guard > 0, 0))
    return NULL;
  if (__builtin_expect (self->ring == NULL, 0))
    {
      if (self->disabled || !tv_preload_thread_adopt (self, TV_NO_THREAD, -1))
        return NULL;
    }
  return self;
}

static inline int64_t
tv_preload_now (void)
{
  return tv_clock_now (&tv_preload_shared->clock);
}

static inline void
tv_preload_emit_at (TvPreloadThread *self,
                    int64_t          time,
                    TvEventKind      kind,
                    uint32_t         object,
                    uint32_t         aux,
                    int64_t          arg)
{
  TvEvent event = {
    .time = time,
    .arg = arg,
    .thread = self->index,
    .object = object,
    .aux = aux,
    .kind = (uint16_t) kind,
    .line = 0,
  };

  /* A signal handler that calls a traced function while this thread is in
   * the middle of an emit finds the guard up and is not traced. */
  self->guard++;
  atomic_signal_fence (memory_order_seq_cst);
  tv_ring_emit (self->ring, &event);
  atomic_signal_fence (memory_order_seq_cst);
  self->guard--;
}

static inline void
tv_preload_emit (TvPreloadThread *self,
                 TvEventKind      kind,
                 uint32_t         object,
                 uint32_t         aux,
                 int64_t          arg)
{
  tv_preload_emit_at (self, tv_preload_now (), kind, object, aux, arg);
}

/* How many events this thread has emitted (or lost) on its ring: equal
 * values mean nothing was emitted in between. */
static inline uint64_t
tv_preload_ring_seq (const TvPreloadThread *self)
{
  return atomic_load_explicit (&self->ring->head, memory_order_relaxed)
         + atomic_load_explicit (&self->ring->dropped, memory_order_relaxed);
}

static inline void
tv_preload_emit_state (TvPreloadThread *self,
                       TvThreadState    state,
                       uint32_t         object,
                       uint32_t         aux)
{
  tv_preload_emit (self, TV_EV_STATE, object, aux, state);
}

/* --- Objects (tv-preload-names.c) -------------------------------------- */

/*
 * The slot of the object at `address`, creating it (an object id, an
 * OBJECT_NEW of `kind` named after its symbol or after `caller`, the code
 * that first used it) on first sight.  NULL when the table is full.
 * Lock-free; allocates nothing.
 */
TvPreloadSlot *tv_preload_object (TvPreloadThread *self,
                                  const void      *address,
                                  TvObjectKind     kind,
                                  uintptr_t        caller);

static inline uint32_t
tv_preload_slot_id (const TvPreloadSlot *slot)
{
  return slot != NULL ? atomic_load_explicit (&((TvPreloadSlot *) slot)->id, memory_order_acquire) : 0;
}

/* Remembers that `self` released / posted / signalled the slot's object now. */
static inline void
tv_preload_slot_mark (TvPreloadThread *self,
                      TvPreloadSlot   *slot,
                      int64_t          time)
{
  if (slot == NULL)
    return;
  atomic_store_explicit (&slot->last_time, time, memory_order_relaxed);
  atomic_store_explicit (&slot->last_thread, self->index + 1, memory_order_release);
}

/* The last thread that released the slot's object (TV_NO_THREAD if none)
 * and when. */
static inline uint32_t
tv_preload_slot_last (TvPreloadSlot *slot,
                      int64_t       *time)
{
  uint32_t thread;

  if (slot == NULL)
    return TV_NO_THREAD;
  thread = atomic_load_explicit (&slot->last_thread, memory_order_acquire);
  *time = atomic_load_explicit (&slot->last_time, memory_order_relaxed);
  return thread == 0 ? TV_NO_THREAD : thread - 1;
}

/* Writes the name of the symbol that contains `address` ("counter_lock",
 * "worker+0x2c"), or for code in no symbol the file's name and address
 * ("race+0x11a9"); false when there is none (the heap, a stack).  `data`:
 * the address of a variable, else of code.  Takes no lock, allocates
 * nothing (tv-preload-symbols.c). */
bool tv_preload_describe_address (uintptr_t address,
                                  bool      data,
                                  char     *buffer,
                                  size_t    size);
/* Whether `a` and `b` are in the same loaded file. */
bool tv_preload_same_file (uintptr_t a, uintptr_t b);
/* In a fork child, before anything is named. */
void tv_preload_symbols_after_fork (void);

/* Emits OBJECT_NEW for a fresh object id named `name`. */
uint32_t tv_preload_new_object (TvPreloadThread *self,
                                TvObjectKind     kind,
                                const char      *name);

/* --- CPython's GIL (tv-preload-names.c) --------------------------------- */

/* The GIL's mutex and condition once recognised, else 0. */
extern uintptr_t tv_preload_gil_mutex;
extern uintptr_t tv_preload_gil_cond;
extern uintptr_t tv_preload_gil_switch_mutex;
extern uintptr_t tv_preload_gil_switch_cond;

/* Finds CPython's _PyRuntime, if any (the constructor). */
void tv_preload_gil_init (void);
/* Called before a mutex lock: may recognise the GIL from the pattern of
 * take_gil() (see tv-preload-names.c).  True when `mutex` is now known to
 * be one of the GIL's own and must be handled by the GIL functions. */
bool tv_preload_gil_check (TvPreloadThread *self, const void *mutex);
void tv_preload_gil_locked (TvPreloadThread *self, const void *mutex);
void tv_preload_gil_before_lock (TvPreloadThread *self);
void tv_preload_gil_before_switch (TvPreloadThread *self);
void tv_preload_gil_before_unlock (TvPreloadThread *self);
void tv_preload_gil_before_wait (TvPreloadThread *self);
void tv_preload_gil_after_wait (TvPreloadThread *self, int result);
void tv_preload_gil_reset (TvPreloadThread *self);
/* After fork() in the child: the GIL is a new object of this process. */
void tv_preload_gil_after_fork (TvPreloadThread *self);

static inline bool
tv_preload_is_gil (const void *address)
{
  uintptr_t a = (uintptr_t) address;

  return tv_preload_gil_mutex != 0
         && (a == tv_preload_gil_mutex || a == tv_preload_gil_cond
             || a == tv_preload_gil_switch_mutex || a == tv_preload_gil_switch_cond);
}

/* --- exec (tv-preload-exec.c) ----------------------------------------------- */

/* Keeps LD_PRELOAD and the recorder's variables, for exec with an
 * environment that lost them. */
void tv_preload_exec_save_environment (void);
/* Whether this image was exec'd by a traced thread of this very process:
 * then the thread's index and the process's object id.  Removes the
 * variable from the environment either way. */
bool tv_preload_exec_continued (uint32_t *index, uint32_t *process);
/* Whether a traced thread started this process without fork()
 * (posix_spawn, vfork + exec): then that thread and when.  Removes the
 * variable either way. */
bool tv_preload_exec_parent (uint32_t *creator, int64_t *start_time);
/* Whether this process's parent left its spawning thread for it (system(),
 * popen()): then that thread and when.  Needs the shared block. */
bool tv_preload_exec_spawner (uint32_t *creator, int64_t *start_time);

/* --- The real functions (tv-preload.c) ---------------------------------- */

typedef struct
{
  int (*pthread_create) (pthread_t *, const pthread_attr_t *, void *(*) (void *), void *);
  int (*pthread_join) (pthread_t, void **);
  int (*pthread_timedjoin_np) (pthread_t, void **, const struct timespec *);
  void (*pthread_exit) (void *) __attribute__ ((noreturn));
  int (*pthread_setname_np) (pthread_t, const char *);
  int (*prctl) (int, unsigned long, unsigned long, unsigned long, unsigned long);
  int (*pthread_mutex_init) (pthread_mutex_t *, const pthread_mutexattr_t *);
  int (*pthread_mutex_lock) (pthread_mutex_t *);
  int (*pthread_mutex_trylock) (pthread_mutex_t *);
  int (*pthread_mutex_timedlock) (pthread_mutex_t *, const struct timespec *);
  int (*pthread_mutex_clocklock) (pthread_mutex_t *, clockid_t, const struct timespec *);
  int (*pthread_mutex_unlock) (pthread_mutex_t *);
  int (*pthread_cond_wait) (pthread_cond_t *, pthread_mutex_t *);
  int (*pthread_cond_timedwait) (pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
  int (*pthread_cond_clockwait) (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
  int (*pthread_cond_signal) (pthread_cond_t *);
  int (*pthread_cond_broadcast) (pthread_cond_t *);
  int (*pthread_rwlock_rdlock) (pthread_rwlock_t *);
  int (*pthread_rwlock_wrlock) (pthread_rwlock_t *);
  int (*pthread_rwlock_tryrdlock) (pthread_rwlock_t *);
  int (*pthread_rwlock_trywrlock) (pthread_rwlock_t *);
  int (*pthread_rwlock_timedrdlock) (pthread_rwlock_t *, const struct timespec *);
  int (*pthread_rwlock_timedwrlock) (pthread_rwlock_t *, const struct timespec *);
  int (*pthread_rwlock_unlock) (pthread_rwlock_t *);
  int (*sem_wait) (void *);
  int (*sem_trywait) (void *);
  int (*sem_timedwait) (void *, const struct timespec *);
  int (*sem_clockwait) (void *, clockid_t, const struct timespec *);
  int (*sem_post) (void *);
  int (*pthread_barrier_wait) (pthread_barrier_t *);
  int (*nanosleep) (const struct timespec *, struct timespec *);
  int (*clock_nanosleep) (clockid_t, int, const struct timespec *, struct timespec *);
  int (*usleep) (unsigned int);
  unsigned int (*sleep) (unsigned int);
  void (*_exit) (int) __attribute__ ((noreturn));
} TvPreloadReal;

extern TvPreloadReal tv_real;

/* Resolves tv_real (idempotent; called by the constructor and by any
 * wrapper that runs before it). */
void tv_preload_resolve (void);

#define TV_REAL(name) \
  (__builtin_expect (tv_real.name == NULL, 0) ? (tv_preload_resolve (), tv_real.name) : tv_real.name)
