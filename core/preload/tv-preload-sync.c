/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload-sync.c: the traced mutexes, conditions, rwlocks, semaphores and
 * barriers.
 *
 * Blocking is shown only when it happens: a lock first tries the fast path
 * (trylock); when that succeeds the thread emits one ACQUIRE and goes on.
 * Only when it fails does the thread emit "blocked on X" and call the real,
 * blocking function; its ACQUIRE then names the last thread that released
 * X (the "unblocked by" arrow).  Release emits RELEASE before the real
 * unlock, so that the release is always earlier than the acquire it lets
 * in.  The hot path is: a thread-local load, a table probe, a clock read
 * and a ring store.
 */
#define _GNU_SOURCE

#include "tv-preload.h"

#include <errno.h>
#include <semaphore.h>

static inline bool
acquired (int result)
{
  return result == 0 || result == EOWNERDEAD;
}

/* After a blocking acquire: who let us in, or a failure. */
static void
after_blocking (TvPreloadThread *self,
                TvPreloadSlot   *slot,
                bool             ok)
{
  uint32_t id = tv_preload_slot_id (slot);

  if (ok)
    {
      int64_t time = 0;
      uint32_t releaser = tv_preload_slot_last (slot, &time);

      if (releaser == self->index)
        releaser = TV_NO_THREAD;
      tv_preload_emit (self, TV_EV_ACQUIRE, id, releaser, releaser != TV_NO_THREAD ? time : 0);
    }
  else
    {
      tv_preload_emit (self, TV_EV_ACQUIRE_FAILED, id, TV_NO_THREAD, 0);
      tv_preload_emit_state (self, TV_STATE_RUNNING, TV_NO_OBJECT, 0);
    }
}

static void
release (TvPreloadThread *self,
         TvPreloadSlot   *slot)
{
  int64_t now = tv_preload_now ();

  tv_preload_emit_at (self, now, TV_EV_RELEASE, tv_preload_slot_id (slot), 0, 0);
  tv_preload_slot_mark (self, slot, now);
}

/* --- Mutexes --------------------------------------------------------------- */

/* The GIL's own mutexes: not locks of the program (see tv-preload-names.c). */
static bool
gil_mutex (TvPreloadThread *self,
           pthread_mutex_t *mutex)
{
  if (!tv_preload_gil_check (self, mutex))
    return false;
  if ((uintptr_t) mutex == tv_preload_gil_mutex)
    tv_preload_gil_before_lock (self);
  else if ((uintptr_t) mutex == tv_preload_gil_switch_mutex)
    tv_preload_gil_before_switch (self);
  return true;
}

TV_PRELOAD_EXPORT int
pthread_mutex_init (pthread_mutex_t           *mutex,
                    const pthread_mutexattr_t *attr)
{
  TvPreloadThread *self = tv_preload_enter ();

  /* CPython makes the GIL anew after fork(): whatever this thread held is
   * gone, and its take_gil() comes next. */
  if (self != NULL && tv_preload_gil_mutex != 0 && (uintptr_t) mutex == tv_preload_gil_mutex)
    tv_preload_gil_reset (self);
  return TV_REAL (pthread_mutex_init) (mutex, attr);
}

static int
mutex_lock (pthread_mutex_t       *mutex,
            int                    how,
            clockid_t              clock,
            const struct timespec *deadline,
            uintptr_t              caller)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;
  int result;

#define REAL_LOCK()                                                          \
  (how == 0 ? TV_REAL (pthread_mutex_lock) (mutex)                           \
   : how == 1 ? TV_REAL (pthread_mutex_timedlock) (mutex, deadline)          \
   : TV_REAL (pthread_mutex_clocklock) (mutex, clock, deadline))

  if (self == NULL)
    return REAL_LOCK ();
  if (gil_mutex (self, mutex))
    return REAL_LOCK ();

  slot = tv_preload_object (self, mutex, TV_OBJ_LOCK, caller);
  if (slot == NULL)
    return REAL_LOCK ();

  result = TV_REAL (pthread_mutex_trylock) (mutex);
  if (!acquired (result))
    {
      if (result != EBUSY)
        return result;
      tv_preload_emit_state (self, TV_STATE_LOCK, tv_preload_slot_id (slot), 0);
      result = REAL_LOCK ();
      after_blocking (self, slot, acquired (result));
    }
  else
    tv_preload_emit (self, TV_EV_ACQUIRE, tv_preload_slot_id (slot), TV_NO_THREAD, 0);

  if (acquired (result))
    tv_preload_gil_locked (self, mutex);
  return result;
#undef REAL_LOCK
}

TV_PRELOAD_EXPORT int
pthread_mutex_lock (pthread_mutex_t *mutex)
{
  return mutex_lock (mutex, 0, 0, NULL, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_mutex_timedlock (pthread_mutex_t       *mutex,
                         const struct timespec *deadline)
{
  return mutex_lock (mutex, 1, CLOCK_REALTIME, deadline, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_mutex_clocklock (pthread_mutex_t       *mutex,
                         clockid_t              clock,
                         const struct timespec *deadline)
{
  return mutex_lock (mutex, 2, clock, deadline, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_mutex_trylock (pthread_mutex_t *mutex)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;
  int result;

  if (self == NULL || tv_preload_is_gil (mutex))
    return TV_REAL (pthread_mutex_trylock) (mutex);
  slot = tv_preload_object (self, mutex, TV_OBJ_LOCK, TV_PRELOAD_CALLER ());
  result = TV_REAL (pthread_mutex_trylock) (mutex);
  if (slot != NULL)
    tv_preload_emit (self, acquired (result) ? TV_EV_ACQUIRE : TV_EV_ACQUIRE_FAILED,
                     tv_preload_slot_id (slot), TV_NO_THREAD, 0);
  if (acquired (result))
    tv_preload_gil_locked (self, mutex);
  return result;
}

TV_PRELOAD_EXPORT int
pthread_mutex_unlock (pthread_mutex_t *mutex)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;

  if (self == NULL)
    return TV_REAL (pthread_mutex_unlock) (mutex);
  if (tv_preload_is_gil (mutex))
    {
      if ((uintptr_t) mutex == tv_preload_gil_mutex)
        tv_preload_gil_before_unlock (self);
      return TV_REAL (pthread_mutex_unlock) (mutex);
    }
  if (self->py_mutex == (uintptr_t) mutex)
    self->py_mutex = 0;
  slot = tv_preload_object (self, mutex, TV_OBJ_LOCK, TV_PRELOAD_CALLER ());
  if (slot != NULL)
    release (self, slot);
  return TV_REAL (pthread_mutex_unlock) (mutex);
}

/* --- Conditions ------------------------------------------------------------ */

static int
cond_wait (pthread_cond_t        *cond,
           pthread_mutex_t       *mutex,
           int                    how,
           clockid_t              clock,
           const struct timespec *deadline,
           uintptr_t              caller)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *cond_slot, *mutex_slot;
  int64_t start, signal_time = 0;
  uint32_t signaller;
  int result;

#define REAL_WAIT()                                                              \
  (how == 0 ? TV_REAL (pthread_cond_wait) (cond, mutex)                          \
   : how == 1 ? TV_REAL (pthread_cond_timedwait) (cond, mutex, deadline)         \
   : TV_REAL (pthread_cond_clockwait) (cond, mutex, clock, deadline))

  if (self == NULL)
    return REAL_WAIT ();
  if (tv_preload_is_gil (cond))
    {
      if ((uintptr_t) cond != tv_preload_gil_cond)
        return REAL_WAIT ();
      tv_preload_gil_before_wait (self);
      result = REAL_WAIT ();
      tv_preload_gil_after_wait (self, result);
      return result;
    }

  cond_slot = tv_preload_object (self, cond, TV_OBJ_CONDITION, caller);
  mutex_slot = tv_preload_object (self, mutex, TV_OBJ_LOCK, caller);
  if (cond_slot == NULL || mutex_slot == NULL)
    return REAL_WAIT ();

  /* Waiting gives the mutex up; waking takes it back. */
  release (self, mutex_slot);
  start = tv_preload_now ();
  tv_preload_emit_at (self, start, TV_EV_STATE, tv_preload_slot_id (cond_slot), 0, TV_STATE_CONDITION);
  result = REAL_WAIT ();

  signaller = tv_preload_slot_last (cond_slot, &signal_time);
  if (result == 0 && signaller != TV_NO_THREAD && signaller != self->index && signal_time >= start)
    {
      TvEvent link = {
        .time = tv_preload_now (), .arg = signal_time, .thread = self->index,
        .object = tv_preload_slot_id (cond_slot), .aux = signaller,
        .kind = TV_EV_LINK, .line = TV_LINK_WAKE,
      };

      self->guard++;
      tv_ring_emit (self->ring, &link);
      self->guard--;
    }
  tv_preload_emit (self, TV_EV_ACQUIRE, tv_preload_slot_id (mutex_slot), TV_NO_THREAD, 0);
  return result;
#undef REAL_WAIT
}

TV_PRELOAD_EXPORT int
pthread_cond_wait (pthread_cond_t  *cond,
                   pthread_mutex_t *mutex)
{
  return cond_wait (cond, mutex, 0, 0, NULL, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_cond_timedwait (pthread_cond_t        *cond,
                        pthread_mutex_t       *mutex,
                        const struct timespec *deadline)
{
  return cond_wait (cond, mutex, 1, CLOCK_REALTIME, deadline, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_cond_clockwait (pthread_cond_t        *cond,
                        pthread_mutex_t       *mutex,
                        clockid_t              clock,
                        const struct timespec *deadline)
{
  return cond_wait (cond, mutex, 2, clock, deadline, TV_PRELOAD_CALLER ());
}

static void
cond_wake (pthread_cond_t *cond,
           uintptr_t       caller)
{
  TvPreloadThread *self = tv_preload_enter ();

  if (self != NULL && !tv_preload_is_gil (cond))
    tv_preload_slot_mark (self, tv_preload_object (self, cond, TV_OBJ_CONDITION, caller),
                          tv_preload_now ());
}

TV_PRELOAD_EXPORT int
pthread_cond_signal (pthread_cond_t *cond)
{
  cond_wake (cond, TV_PRELOAD_CALLER ());
  return TV_REAL (pthread_cond_signal) (cond);
}

TV_PRELOAD_EXPORT int
pthread_cond_broadcast (pthread_cond_t *cond)
{
  cond_wake (cond, TV_PRELOAD_CALLER ());
  return TV_REAL (pthread_cond_broadcast) (cond);
}

/* --- Read-write locks ------------------------------------------------------ */

typedef enum { RW_READ, RW_WRITE, RW_TIMED_READ, RW_TIMED_WRITE } RwHow;

static int
rwlock_lock (pthread_rwlock_t      *rwlock,
             RwHow                  how,
             const struct timespec *deadline,
             uintptr_t              caller)
{
  TvPreloadThread *self = tv_preload_enter ();
  bool write = how == RW_WRITE || how == RW_TIMED_WRITE;
  TvPreloadSlot *slot;
  int result;

#define REAL_RW()                                                                 \
  (how == RW_READ ? TV_REAL (pthread_rwlock_rdlock) (rwlock)                      \
   : how == RW_WRITE ? TV_REAL (pthread_rwlock_wrlock) (rwlock)                   \
   : how == RW_TIMED_READ ? TV_REAL (pthread_rwlock_timedrdlock) (rwlock, deadline) \
   : TV_REAL (pthread_rwlock_timedwrlock) (rwlock, deadline))

  if (self == NULL || (slot = tv_preload_object (self, rwlock, TV_OBJ_LOCK, caller)) == NULL)
    return REAL_RW ();

  result = write ? TV_REAL (pthread_rwlock_trywrlock) (rwlock)
                 : TV_REAL (pthread_rwlock_tryrdlock) (rwlock);
  if (result == 0)
    {
      tv_preload_emit (self, TV_EV_ACQUIRE, tv_preload_slot_id (slot), TV_NO_THREAD, 0);
      return 0;
    }
  if (result != EBUSY)
    return result;
  tv_preload_emit_state (self, TV_STATE_LOCK, tv_preload_slot_id (slot), 0);
  result = REAL_RW ();
  after_blocking (self, slot, result == 0);
  return result;
#undef REAL_RW
}

TV_PRELOAD_EXPORT int
pthread_rwlock_rdlock (pthread_rwlock_t *rwlock)
{
  return rwlock_lock (rwlock, RW_READ, NULL, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_rwlock_wrlock (pthread_rwlock_t *rwlock)
{
  return rwlock_lock (rwlock, RW_WRITE, NULL, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_rwlock_timedrdlock (pthread_rwlock_t      *rwlock,
                            const struct timespec *deadline)
{
  return rwlock_lock (rwlock, RW_TIMED_READ, deadline, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_rwlock_timedwrlock (pthread_rwlock_t      *rwlock,
                            const struct timespec *deadline)
{
  return rwlock_lock (rwlock, RW_TIMED_WRITE, deadline, TV_PRELOAD_CALLER ());
}

static int
rwlock_try (pthread_rwlock_t *rwlock,
            bool              write,
            uintptr_t         caller)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot = self != NULL ? tv_preload_object (self, rwlock, TV_OBJ_LOCK, caller) : NULL;
  int result = write ? TV_REAL (pthread_rwlock_trywrlock) (rwlock)
                     : TV_REAL (pthread_rwlock_tryrdlock) (rwlock);

  if (slot != NULL)
    tv_preload_emit (self, result == 0 ? TV_EV_ACQUIRE : TV_EV_ACQUIRE_FAILED,
                     tv_preload_slot_id (slot), TV_NO_THREAD, 0);
  return result;
}

TV_PRELOAD_EXPORT int
pthread_rwlock_tryrdlock (pthread_rwlock_t *rwlock)
{
  return rwlock_try (rwlock, false, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_rwlock_trywrlock (pthread_rwlock_t *rwlock)
{
  return rwlock_try (rwlock, true, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
pthread_rwlock_unlock (pthread_rwlock_t *rwlock)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;

  if (self != NULL && (slot = tv_preload_object (self, rwlock, TV_OBJ_LOCK, TV_PRELOAD_CALLER ())) != NULL)
    release (self, slot);
  return TV_REAL (pthread_rwlock_unlock) (rwlock);
}

/* --- Semaphores -------------------------------------------------------------
 *
 * CPython's threading.Lock is a sem_t (thread_pthread.h, USE_SEMAPHORES),
 * and so is multiprocessing's Lock (a named semaphore in shared memory):
 * acquire = a wait, release = a post. */

static int
sem_acquire (sem_t                 *sem,
             int                    how,
             clockid_t              clock,
             const struct timespec *deadline,
             uintptr_t              caller)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;
  int result, saved;

#define REAL_SEM()                                                       \
  (how == 0 ? TV_REAL (sem_wait) (sem)                                   \
   : how == 1 ? TV_REAL (sem_timedwait) (sem, deadline)                  \
   : TV_REAL (sem_clockwait) (sem, clock, deadline))

  if (self == NULL || (slot = tv_preload_object (self, sem, TV_OBJ_SEMAPHORE, caller)) == NULL)
    return REAL_SEM ();

  if (TV_REAL (sem_trywait) (sem) == 0)
    {
      tv_preload_emit (self, TV_EV_ACQUIRE, tv_preload_slot_id (slot), TV_NO_THREAD, 0);
      return 0;
    }
  if (errno != EAGAIN)
    return -1;
  tv_preload_emit_state (self, TV_STATE_SEMAPHORE, tv_preload_slot_id (slot), 0);
  result = REAL_SEM ();
  saved = errno;
  after_blocking (self, slot, result == 0);
  errno = saved;
  return result;
#undef REAL_SEM
}

TV_PRELOAD_EXPORT int
sem_wait (sem_t *sem)
{
  return sem_acquire (sem, 0, 0, NULL, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
sem_timedwait (sem_t                 *sem,
               const struct timespec *deadline)
{
  return sem_acquire (sem, 1, CLOCK_REALTIME, deadline, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
sem_clockwait (sem_t                 *sem,
               clockid_t              clock,
               const struct timespec *deadline)
{
  return sem_acquire (sem, 2, clock, deadline, TV_PRELOAD_CALLER ());
}

TV_PRELOAD_EXPORT int
sem_trywait (sem_t *sem)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot = self != NULL ? tv_preload_object (self, sem, TV_OBJ_SEMAPHORE, TV_PRELOAD_CALLER ()) : NULL;
  int result = TV_REAL (sem_trywait) (sem);
  int saved = errno;

  if (slot != NULL)
    tv_preload_emit (self, result == 0 ? TV_EV_ACQUIRE : TV_EV_ACQUIRE_FAILED,
                     tv_preload_slot_id (slot), TV_NO_THREAD, 0);
  errno = saved;
  return result;
}

TV_PRELOAD_EXPORT int
sem_post (sem_t *sem)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;

  if (self != NULL && (slot = tv_preload_object (self, sem, TV_OBJ_SEMAPHORE, TV_PRELOAD_CALLER ())) != NULL)
    release (self, slot);
  return TV_REAL (sem_post) (sem);
}

/* --- Barriers -------------------------------------------------------------- */

TV_PRELOAD_EXPORT int
pthread_barrier_wait (pthread_barrier_t *barrier)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSlot *slot;
  int result;

  if (self == NULL || (slot = tv_preload_object (self, barrier, TV_OBJ_BARRIER, TV_PRELOAD_CALLER ())) == NULL)
    return TV_REAL (pthread_barrier_wait) (barrier);

  /* The last to arrive is marked before it lets the others through. */
  tv_preload_slot_mark (self, slot, tv_preload_now ());
  tv_preload_emit_state (self, TV_STATE_BARRIER, tv_preload_slot_id (slot), 0);
  result = TV_REAL (pthread_barrier_wait) (barrier);
  tv_preload_emit_state (self, TV_STATE_RUNNING, TV_NO_OBJECT, 0);
  return result;
}
