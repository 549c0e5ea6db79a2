/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload.c: libthreadviz-preload.so's life: attaching to the recorder
 * of `threadviz trace`, following threads (create, start, exit, join,
 * names), processes (fork, exit) and sleeps.  The locks are in
 * tv-preload-sync.c, object ids, names and the GIL in tv-preload-names.c.
 *
 * libc + pthreads only: the library is loaded into programs that know
 * nothing of GLib, before their own code runs.  Every wrapper calls the
 * real function found with dlsym (RTLD_NEXT); nothing on the path of a lock
 * takes a lock or allocates (thread creation allocates one small block).
 */
#define _GNU_SOURCE

#include "tv-preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tv-recorder-fd.h"

TvRecorder      *tv_preload_recorder;
TvPreloadShared *tv_preload_shared;
bool             tv_preload_active;
uint32_t         tv_preload_space;
uint32_t         tv_preload_process;
TvPreloadReal    tv_real;

__thread TvPreloadThread tv_preload_self __attribute__ ((tls_model ("initial-exec")));

/* Set by the fork handlers: who forked, and when. */
static __thread uint32_t fork_parent = TV_NO_THREAD;
static __thread int64_t  fork_time;

/* --- Resolving the real functions -------------------------------------- */

static void *
resolve_one (const char *name,
             const char *version)
{
  void *sym = NULL;

  /* pthread_cond_* exist in two versions; plain dlsym may find the old
   * one, whose condition layout differs. */
  if (version != NULL)
    sym = dlvsym (RTLD_NEXT, name, version);
  if (sym == NULL)
    sym = dlsym (RTLD_NEXT, name);
  return sym;
}

void
tv_preload_resolve (void)
{
  static _Atomic int done;
  TvPreloadReal real = { 0 };

  if (atomic_load_explicit (&done, memory_order_acquire))
    return;

#define R(name) real.name = (__typeof__ (real.name)) resolve_one (#name, NULL)
#define RV(name, version) real.name = (__typeof__ (real.name)) resolve_one (#name, version)
  R (pthread_create);
  R (pthread_join);
  R (pthread_timedjoin_np);
  R (pthread_exit);
  R (pthread_setname_np);
  R (prctl);
  R (pthread_mutex_init);
  R (pthread_mutex_lock);
  R (pthread_mutex_trylock);
  R (pthread_mutex_timedlock);
  R (pthread_mutex_clocklock);
  R (pthread_mutex_unlock);
  RV (pthread_cond_wait, "GLIBC_2.3.2");
  RV (pthread_cond_timedwait, "GLIBC_2.3.2");
  R (pthread_cond_clockwait);
  RV (pthread_cond_signal, "GLIBC_2.3.2");
  RV (pthread_cond_broadcast, "GLIBC_2.3.2");
  R (pthread_rwlock_rdlock);
  R (pthread_rwlock_wrlock);
  R (pthread_rwlock_tryrdlock);
  R (pthread_rwlock_trywrlock);
  R (pthread_rwlock_timedrdlock);
  R (pthread_rwlock_timedwrlock);
  R (pthread_rwlock_unlock);
  R (sem_wait);
  R (sem_trywait);
  R (sem_timedwait);
  R (sem_clockwait);
  R (sem_post);
  R (pthread_barrier_wait);
  R (nanosleep);
  R (clock_nanosleep);
  R (usleep);
  R (sleep);
  R (_exit);
#undef R
#undef RV

  /* Two threads may resolve at once: they store the same pointers. */
  tv_real = real;
  atomic_store_explicit (&done, 1, memory_order_release);
}

/* --- Threads of this process ---------------------------------------------
 *
 * pthread_t -> thread index, for pthread_join() and pthread_setname_np() on
 * another thread.  Open addressing, never shrinks: a pthread_t reused after
 * a join simply takes its old entry over. */

#define N_THREAD_ENTRIES 4096

typedef struct
{
  _Atomic uintptr_t key;
  _Atomic uint32_t  index;
} ThreadEntry;

static ThreadEntry thread_table[N_THREAD_ENTRIES];
/* When each thread index ended, plus one (0: not yet).  By index, not in
 * the table: the creator and the new thread both register a pthread_t, in
 * either order, and neither may wipe an exit the other cannot see. */
static _Atomic int64_t exit_times[TV_PRELOAD_N_RINGS];
static _Atomic uint32_t thread_ordinal;   /* threads this process made */

static ThreadEntry *
thread_entry (pthread_t thread,
              bool      create)
{
  uintptr_t key = (uintptr_t) thread;
  uint32_t h = (uint32_t) ((key >> 12) * 2654435761u);

  for (uint32_t i = 0; i < N_THREAD_ENTRIES; i++)
    {
      ThreadEntry *entry = &thread_table[(h + i) & (N_THREAD_ENTRIES - 1)];
      uintptr_t found = atomic_load_explicit (&entry->key, memory_order_acquire);

      if (found == key)
        return entry;
      if (found == 0)
        {
          if (!create)
            return NULL;
          if (atomic_compare_exchange_strong (&entry->key, &found, key) || found == key)
            return entry;
        }
    }
  return NULL;
}

static void
thread_register (pthread_t thread,
                 uint32_t  index)
{
  ThreadEntry *entry = thread_entry (thread, true);

  if (entry == NULL)
    return;
  atomic_store_explicit (&entry->index, index + 1, memory_order_release);
}

static uint32_t
thread_lookup (pthread_t thread,
               int64_t  *exit_time)
{
  ThreadEntry *entry = thread_entry (thread, false);
  uint32_t index;

  if (entry == NULL || (index = atomic_load_explicit (&entry->index, memory_order_acquire)) == 0)
    return TV_NO_THREAD;
  if (exit_time != NULL)
    *exit_time = index - 1 < TV_PRELOAD_N_RINGS
                 ? atomic_load_explicit (&exit_times[index - 1], memory_order_relaxed) - 1 : -1;
  return index - 1;
}

static void
comm_name (char *buffer,
           size_t size)
{
  char comm[17] = "";

  TV_REAL (prctl) (PR_GET_NAME, (unsigned long) comm, 0, 0, 0);
  comm[16] = '\0';
  snprintf (buffer, size, "%s", comm[0] != '\0' ? comm : "thread");
}

static uint64_t
add_string (const char *text)
{
  return tv_recorder_add_string (tv_preload_recorder, text, strlen (text));
}

/* Claims a ring for a thread; emits nothing. */
static bool
claim_ring (TvPreloadThread *self)
{
  int64_t index = tv_recorder_claim_ring (tv_preload_recorder, &tv_preload_shared->ring_hint);

  if (index < 0)
    {
      atomic_fetch_add (&tv_preload_shared->rings_full, 1);
      self->disabled = true;
      return false;
    }
  self->index = (uint32_t) index;
  self->ring = tv_recorder_get_ring (tv_preload_recorder, self->index);
  self->pid = (int) getpid ();
  return true;
}

static void
emit_thread_new (TvPreloadThread *self,
                 const char      *name,
                 uint32_t         creator)
{
  tv_preload_emit (self, TV_EV_THREAD_NEW, tv_preload_process, creator, (int64_t) add_string (name));
}

static void
emit_thread_running (TvPreloadThread *self,
                     uint32_t         creator,
                     int64_t          start_time)
{
  tv_preload_emit (self, TV_EV_THREAD_OS, TV_NO_OBJECT, (uint32_t) getpid (),
                   (int64_t) syscall (SYS_gettid));
  tv_preload_emit (self, TV_EV_THREAD_START, TV_NO_OBJECT, creator,
                   start_time >= 0 ? start_time : 0);
}

bool
tv_preload_thread_adopt (TvPreloadThread *self,
                         uint32_t         creator,
                         int64_t          start_time)
{
  char name[64];

  if (!tv_preload_active || self->disabled)
    return false;
  self->guard++;
  if (!claim_ring (self))
    {
      self->guard--;
      return false;
    }
  /* A thread the library did not see being created (made before it
   * attached, or by a raw clone): name it after the process. */
  comm_name (name, sizeof name);
  if (getpid () != (pid_t) syscall (SYS_gettid))
    {
      size_t len = strlen (name);

      snprintf (name + len, sizeof name - len, "-%u", atomic_fetch_add (&thread_ordinal, 1) + 2);
    }
  emit_thread_new (self, name, creator);
  emit_thread_running (self, creator, start_time);
  thread_register (pthread_self (), self->index);
  self->guard--;
  return true;
}

static void
thread_exit (TvPreloadThread *self)
{
  int64_t now;

  if (self->ring == NULL || !tv_preload_active)
    return;
  now = tv_preload_now ();
  if (self->gil == TV_GIL_HOLDING)
    tv_preload_gil_reset (self);
  tv_preload_emit_at (self, now, TV_EV_THREAD_EXIT, TV_NO_OBJECT, 0, 0);
  if (self->index < TV_PRELOAD_N_RINGS)
    atomic_store_explicit (&exit_times[self->index], now + 1, memory_order_relaxed);
  /* Nothing more from this thread (destructors of thread-locals may still
   * lock): keep the ring, drop the events. */
  self->guard++;
}

/* --- pthread_create ----------------------------------------------------- */

typedef struct
{
  void     *(*func) (void *);
  void      *arg;
  TvRing    *ring;
  uint32_t   index;
  uint32_t   creator;
  int64_t    time;
} StartBlock;

static void *
thread_trampoline (void *data)
{
  StartBlock block = *(StartBlock *) data;
  TvPreloadThread *self = &tv_preload_self;
  void *result;

  free (data);
  self->ring = block.ring;
  self->index = block.index;
  self->pid = (int) getpid ();
  self->guard++;
  thread_register (pthread_self (), self->index);
  emit_thread_running (self, block.creator, block.time);
  self->guard--;

  result = block.func (block.arg);

  thread_exit (self);
  return result;
}

TV_PRELOAD_EXPORT int
pthread_create (pthread_t            *thread,
                const pthread_attr_t *attr,
                void               *(*func) (void *),
                void                 *arg)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadThread child = { 0 };
  StartBlock *block;
  char name[64];
  size_t len;
  int result;

  if (self == NULL)
    return TV_REAL (pthread_create) (thread, attr, func, arg);

  self->guard++;
  block = malloc (sizeof *block);
  if (block == NULL || !claim_ring (&child))
    {
      free (block);
      self->guard--;
      return TV_REAL (pthread_create) (thread, attr, func, arg);
    }

  /* The new thread's first events go on its own ring from here: nobody
   * else writes it until pthread_create() hands it over. */
  comm_name (name, sizeof name);
  len = strlen (name);
  snprintf (name + len, sizeof name - len, "-%u", atomic_fetch_add (&thread_ordinal, 1) + 2);
  child.guard = 1;
  emit_thread_new (&child, name, self->index);

  *block = (StartBlock) { func, arg, child.ring, child.index, self->index, tv_preload_now () };
  self->guard--;

  result = TV_REAL (pthread_create) (thread, attr, thread_trampoline, block);
  if (result != 0)
    {
      free (block);
      tv_preload_emit (&child, TV_EV_THREAD_EXIT, TV_NO_OBJECT, 0, 0);
      return result;
    }
  thread_register (*thread, child.index);
  return 0;
}

TV_PRELOAD_EXPORT void
pthread_exit (void *value)
{
  TvPreloadThread *self = tv_preload_enter ();

  if (self != NULL)
    thread_exit (self);
  TV_REAL (pthread_exit) (value);
}

static int
traced_join (pthread_t              thread,
             void                 **value,
             const struct timespec *deadline)
{
  TvPreloadThread *self = tv_preload_enter ();
  uint32_t target;
  int64_t exit_time = -1;
  int result;

  if (self == NULL)
    return deadline ? TV_REAL (pthread_timedjoin_np) (thread, value, deadline)
                    : TV_REAL (pthread_join) (thread, value);

  target = thread_lookup (thread, NULL);
  tv_preload_emit_state (self, TV_STATE_JOIN, TV_NO_OBJECT, target);
  result = deadline ? TV_REAL (pthread_timedjoin_np) (thread, value, deadline)
                    : TV_REAL (pthread_join) (thread, value);
  if (result == 0 && target != TV_NO_THREAD)
    {
      thread_lookup (thread, &exit_time);
      if (exit_time >= 0)
        {
          TvEvent link = {
            .time = tv_preload_now (), .arg = exit_time, .thread = self->index,
            .object = TV_NO_OBJECT, .aux = target, .kind = TV_EV_LINK, .line = TV_LINK_JOIN,
          };

          self->guard++;
          tv_ring_emit (self->ring, &link);
          self->guard--;
        }
    }
  tv_preload_emit_state (self, TV_STATE_RUNNING, TV_NO_OBJECT, 0);
  return result;
}

TV_PRELOAD_EXPORT int
pthread_join (pthread_t thread,
              void    **value)
{
  return traced_join (thread, value, NULL);
}

TV_PRELOAD_EXPORT int
pthread_timedjoin_np (pthread_t              thread,
                      void                 **value,
                      const struct timespec *deadline)
{
  return traced_join (thread, value, deadline);
}

/* --- Names --------------------------------------------------------------- */

static void
emit_name (TvPreloadThread *self,
           uint32_t         target,
           const char      *name)
{
  TvEvent event = {
    .time = tv_preload_now (), .thread = target, .kind = TV_EV_THREAD_NAME,
  };

  if (target == TV_NO_THREAD || name == NULL)
    return;
  self->guard++;
  event.arg = (int64_t) add_string (name);
  tv_ring_emit (self->ring, &event);
  self->guard--;
}

TV_PRELOAD_EXPORT int
pthread_setname_np (pthread_t   thread,
                    const char *name)
{
  TvPreloadThread *self = tv_preload_enter ();
  int result = TV_REAL (pthread_setname_np) (thread, name);

  if (self != NULL && result == 0)
    emit_name (self, pthread_equal (thread, pthread_self ()) ? self->index
                                                            : thread_lookup (thread, NULL),
               name);
  return result;
}

TV_PRELOAD_EXPORT int
prctl (int option, ...)
{
  TvPreloadThread *self = tv_preload_enter ();
  unsigned long args[4];
  va_list ap;
  int result;

  va_start (ap, option);
  for (int i = 0; i < 4; i++)
    args[i] = va_arg (ap, unsigned long);
  va_end (ap);

  result = TV_REAL (prctl) (option, args[0], args[1], args[2], args[3]);
  if (self != NULL && result == 0 && option == PR_SET_NAME && args[0] != 0)
    {
      char name[17];

      /* The kernel keeps 15 bytes; show what it kept. */
      memcpy (name, (const char *) args[0], 16);
      name[15] = '\0';
      name[16] = '\0';
      emit_name (self, self->index, name);
    }
  return result;
}

/* --- Sleeps ---------------------------------------------------------------- */

#define TRACED_SLEEP(call)                                                \
  do {                                                                    \
    TvPreloadThread *self = tv_preload_enter ();                          \
    __typeof__ (call) result_;                                            \
    int saved_;                                                           \
                                                                          \
    if (self == NULL)                                                     \
      return call;                                                        \
    tv_preload_emit_state (self, TV_STATE_SLEEPING, TV_NO_OBJECT, 0);     \
    result_ = call;                                                       \
    saved_ = errno;                                                       \
    tv_preload_emit_state (self, TV_STATE_RUNNING, TV_NO_OBJECT, 0);      \
    errno = saved_;                                                       \
    return result_;                                                       \
  } while (0)

TV_PRELOAD_EXPORT int
nanosleep (const struct timespec *request,
           struct timespec       *remain)
{
  TRACED_SLEEP (TV_REAL (nanosleep) (request, remain));
}

TV_PRELOAD_EXPORT int
clock_nanosleep (clockid_t              clock,
                 int                    flags,
                 const struct timespec *request,
                 struct timespec       *remain)
{
  TRACED_SLEEP (TV_REAL (clock_nanosleep) (clock, flags, request, remain));
}

TV_PRELOAD_EXPORT int
usleep (useconds_t usec)
{
  TRACED_SLEEP (TV_REAL (usleep) (usec));
}

TV_PRELOAD_EXPORT unsigned int
sleep (unsigned int seconds)
{
  TRACED_SLEEP (TV_REAL (sleep) (seconds));
}

/* --- Processes ------------------------------------------------------------- */

static void
new_process (TvPreloadThread *self)
{
  char comm[32], name[64];

  comm_name (comm, sizeof comm);
  snprintf (name, sizeof name, "%s (pid %d)", comm, (int) getpid ());
  tv_preload_process = tv_preload_new_object (self, TV_OBJ_PROCESS, name);
  atomic_fetch_add (&tv_preload_shared->n_processes, 1);
}

static void
fork_prepare (void)
{
  TvPreloadThread *self = tv_preload_enter ();

  fork_parent = self != NULL ? self->index : TV_NO_THREAD;
  fork_time = self != NULL ? tv_preload_now () : -1;
}

static void
fork_child (void)
{
  TvPreloadThread *self = &tv_preload_self;
  bool held_gil = self->gil == TV_GIL_HOLDING;

  tv_preload_symbols_after_fork ();
  if (!tv_preload_active || self->ring == NULL)
    return;

  /* This process's only thread is a new thread of the run, on a new ring;
   * the table of the parent's threads means nothing here. */
  memset (thread_table, 0, sizeof thread_table);
  atomic_store (&thread_ordinal, 0);
  self->ring = NULL;
  self->guard = 0;
  if (!claim_ring (self))
    {
      tv_preload_active = false;
      return;
    }
  self->guard++;
  /* THREAD_NEW needs the process object, which needs a ring to be
   * announced on: claim first, then announce both. */
  new_process (self);
  {
    char name[64];

    comm_name (name, sizeof name);
    emit_thread_new (self, name, fork_parent);
  }
  emit_thread_running (self, fork_parent, fork_time);
  thread_register (pthread_self (), self->index);
  self->guard--;

  self->gil = held_gil ? TV_GIL_HOLDING : TV_GIL_OUT;
  tv_preload_gil_after_fork (self);
}

TV_PRELOAD_EXPORT void
_exit (int status)
{
  TvPreloadThread *self = tv_preload_enter ();

  if (self != NULL)
    thread_exit (self);
  TV_REAL (_exit) (status);
}

/* --- Attaching --------------------------------------------------------- */

static TvRecorder *
attach (void **extra)
{
  const char *fd_text = getenv (TV_PRELOAD_ENV_FD);
  const char *pid_text = getenv (TV_PRELOAD_ENV_PID);
  TvRecorder *recorder;
  char path[64];
  int fd;

  if (fd_text == NULL || pid_text == NULL)
    return NULL;
  fd = atoi (fd_text);

  /* The fd itself when it was passed down; a program that closed it (or a
   * grandchild of a program that did, like Python's subprocess) finds the
   * file through the tracer's own fd table. */
  recorder = tv_recorder_attach_fd (fd, extra, NULL);
  if (recorder != NULL)
    {
      close (fd);
      return recorder;
    }
  if (errno == EEXIST)
    return NULL;
  snprintf (path, sizeof path, "/proc/%s/fd/%d", pid_text, fd);
  if ((fd = open (path, O_RDWR | O_CLOEXEC)) < 0)
    return NULL;
  recorder = tv_recorder_attach_fd (fd, extra, NULL);
  close (fd);
  return recorder;
}

__attribute__ ((constructor)) static void
tv_preload_init (void)
{
  TvPreloadThread *self = &tv_preload_self;
  void *extra = NULL;
  int32_t no_pid = 0;
  uint32_t index = 0, process = 0, creator = TV_NO_THREAD;
  int64_t start_time = 0;
  bool continued;

  tv_preload_resolve ();
  self->guard++;
  tv_preload_exec_save_environment ();
  tv_preload_gil_init ();
  continued = tv_preload_exec_continued (&index, &process);
  if (!tv_preload_exec_parent (&creator, &start_time))
    creator = TV_NO_THREAD;
  tv_preload_recorder = attach (&extra);
  if (tv_preload_recorder == NULL)
    {
      /* Said only when this process's memory is in the way: any other
       * failure means the tracer has gone (a program that outlived it),
       * and the program's stderr is not ours to fill. */
      if (getenv (TV_PRELOAD_ENV_FD) != NULL && errno == EEXIST)
        fprintf (stderr, "threadviz: cannot attach to the trace of pid %s: %s "
                 "(process %d is not traced)\n",
                 getenv (TV_PRELOAD_ENV_PID), strerror (errno), (int) getpid ());
      self->guard--;
      return;
    }
  tv_preload_shared = extra;
  if (tv_preload_shared->magic != TV_PRELOAD_MAGIC)
    {
      tv_recorder_detach (tv_preload_recorder, extra);
      tv_preload_recorder = NULL;
      self->guard--;
      return;
    }

  tv_preload_space = atomic_fetch_add (&tv_preload_shared->next_space, 1);
  atomic_compare_exchange_strong (&tv_preload_shared->root_pid, &no_pid, (int32_t) getpid ());
  tv_preload_active = true;

  if (continued && index < tv_recorder_get_n_rings (tv_preload_recorder))
    {
      /* The same thread and process, running another program: rename
       * both (a second OBJECT_NEW of an id renames the object). */
      char comm[32], name[64];

      self->index = index;
      self->ring = tv_recorder_get_ring (tv_preload_recorder, index);
      self->pid = (int) getpid ();
      tv_preload_process = process;
      comm_name (comm, sizeof comm);
      snprintf (name, sizeof name, "%s (pid %d)", comm, (int) getpid ());
      tv_preload_emit (self, TV_EV_OBJECT_NEW, process, TV_OBJ_PROCESS,
                       (int64_t) add_string (name));
      tv_preload_emit (self, TV_EV_THREAD_NAME, TV_NO_OBJECT, 0, (int64_t) add_string (comm));
    }
  else
    {
      char name[64];

      if (!claim_ring (self))
        {
          tv_preload_active = false;
          self->guard--;
          return;
        }
      if (creator == TV_NO_THREAD && !tv_preload_exec_spawner (&creator, &start_time))
        creator = TV_NO_THREAD;
      new_process (self);
      comm_name (name, sizeof name);
      emit_thread_new (self, name, creator);
      emit_thread_running (self, creator, creator != TV_NO_THREAD ? start_time : 0);
    }
  thread_register (pthread_self (), self->index);
  pthread_atfork (fork_prepare, NULL, fork_child);
  self->guard--;
}

__attribute__ ((destructor)) static void
tv_preload_fini (void)
{
  TvPreloadThread *self = tv_preload_enter ();

  if (self != NULL)
    thread_exit (self);
}
