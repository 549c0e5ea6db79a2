/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload-exec.c: exec() keeps the thread and the tracer.
 *
 * A thread that calls exec() goes on as the same thread of the same
 * process, running another program: the trace should show one thread,
 * renamed, not a thread that never ends beside a new one.  So the exec
 * wrappers pass the thread's index and its process's object id to the new
 * image in THREADVIZ_EXEC=pid:index:process (the pid tells a real
 * continuation from a stale variable a later child inherited), and the new
 * image's constructor takes the same ring over.
 *
 * A new process started by a traced thread without fork() — posix_spawn,
 * or exec in a vfork() child — gets THREADVIZ_PARENT=index:time instead,
 * so that its main thread's start arrow comes from that thread.
 *
 * They also put LD_PRELOAD and the recorder's variables back into an
 * environment that lost them (env -i, subprocess with env={}), so that the
 * library stays loaded in the programs a traced program runs.
 *
 * No allocation: the new environment is built on the stack, because exec
 * may be called in a vfork() child, which shares its parent's heap.
 */
#define _GNU_SOURCE

#include "tv-preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Our variables as the constructor found them ("NAME=value"). */
static char saved_preload[1024];
static char saved_fd[64];
static char saved_pid[64];

static void resolve (void);

void
tv_preload_exec_save_environment (void)
{
  const char *value;

  resolve ();
  if ((value = getenv ("LD_PRELOAD")) != NULL)
    snprintf (saved_preload, sizeof saved_preload, "LD_PRELOAD=%s", value);
  if ((value = getenv (TV_PRELOAD_ENV_FD)) != NULL)
    snprintf (saved_fd, sizeof saved_fd, "%s=%s", TV_PRELOAD_ENV_FD, value);
  if ((value = getenv (TV_PRELOAD_ENV_PID)) != NULL)
    snprintf (saved_pid, sizeof saved_pid, "%s=%s", TV_PRELOAD_ENV_PID, value);
}

bool
tv_preload_exec_continued (uint32_t *index,
                           uint32_t *process)
{
  const char *value = getenv (TV_PRELOAD_ENV_EXEC);
  long pid = 0;
  unsigned int i = 0, p = 0;
  bool ours;

  if (value == NULL)
    return false;
  ours = sscanf (value, "%ld:%u:%u", &pid, &i, &p) == 3 && pid == (long) getpid ();
  unsetenv (TV_PRELOAD_ENV_EXEC);
  if (!ours)
    return false;
  *index = i;
  *process = p;
  return true;
}

static bool
has_name (const char *entry,
          const char *saved)
{
  const char *eq = strchr (saved, '=');

  return eq != NULL && strncmp (entry, saved, (size_t) (eq - saved + 1)) == 0;
}

static size_t
count (char *const *vector)
{
  size_t n = 0;

  while (vector != NULL && vector[n] != NULL)
    n++;
  return n;
}

static bool
is_ours (const char *entry)
{
  return strncmp (entry, TV_PRELOAD_ENV_EXEC "=", sizeof TV_PRELOAD_ENV_EXEC) == 0
         || strncmp (entry, TV_PRELOAD_ENV_PARENT "=", sizeof TV_PRELOAD_ENV_PARENT) == 0;
}

/* Fills `out` (room for count (envp) + 5) with envp, our variables put back
 * where missing, and what the new image should know of us: THREADVIZ_EXEC
 * when it goes on as this very thread (exec), else THREADVIZ_PARENT (a new
 * process that this thread started: posix_spawn, or exec in a vfork()
 * child, which runs on its parent's thread state).  False when not traced. */
static bool
make_environment (char *const *envp,
                  bool          spawn,
                  char        **out,
                  char         *var,
                  size_t        var_size)
{
  TvPreloadThread *self = tv_preload_enter ();
  const char *saved[] = { saved_preload, saved_fd, saved_pid };
  size_t n = 0;

  if (self == NULL)
    return false;

  for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
    {
      if (!is_ours (envp[i]))
        out[n++] = envp[i];
    }
  for (size_t s = 0; s < 3; s++)
    {
      bool found = false;

      if (saved[s][0] == '\0')
        continue;
      for (size_t i = 0; i < n && !found; i++)
        found = has_name (out[i], saved[s]);
      if (!found)
        out[n++] = (char *) saved[s];
    }
  if (!spawn && self->pid == (int) getpid ())
    snprintf (var, var_size, "%s=%ld:%u:%u", TV_PRELOAD_ENV_EXEC,
              (long) getpid (), self->index, tv_preload_process);
  else
    snprintf (var, var_size, "%s=%u:%lld", TV_PRELOAD_ENV_PARENT,
              self->index, (long long) tv_preload_now ());
  out[n++] = var;
  out[n] = NULL;
  return true;
}

bool
tv_preload_exec_parent (uint32_t *creator,
                        int64_t  *start_time)
{
  const char *value = getenv (TV_PRELOAD_ENV_PARENT);
  unsigned int index;
  long long time;
  bool ok;

  if (value == NULL)
    return false;
  ok = sscanf (value, "%u:%lld", &index, &time) == 2;
  unsetenv (TV_PRELOAD_ENV_PARENT);
  if (!ok)
    return false;
  *creator = index;
  *start_time = time;
  return true;
}

#define WITH_ENVIRONMENT(envp, spawn, call_with, call_without)            \
  do {                                                                    \
    size_t n_ = count (envp);                                             \
    char *env_[n_ + 5];                                                   \
    char var_[96];                                                        \
                                                                          \
    if (make_environment (envp, spawn, env_, var_, sizeof var_))          \
      {                                                                   \
        char **new_env = env_;                                            \
        return call_with;                                                 \
      }                                                                   \
    return call_without;                                                  \
  } while (0)

typedef int (*ExecveFunc) (const char *, char *const[], char *const[]);
typedef int (*FexecveFunc) (int, char *const[], char *const[]);
typedef int (*SpawnFunc) (pid_t *, const char *, const posix_spawn_file_actions_t *,
                          const posix_spawnattr_t *, char *const[], char *const[]);

/* The real functions, found by the constructor: dlsym() takes the loader's
 * lock, which a wrapper called in a vfork() child or beside a dlopen() of
 * another thread must not wait for. */
static struct
{
  ExecveFunc  execve;
  ExecveFunc  execvpe;
  FexecveFunc fexecve;
  SpawnFunc   posix_spawn;
  SpawnFunc   posix_spawnp;
  int       (*system) (const char *);
  FILE     *(*popen) (const char *, const char *);
} real;

static void
resolve (void)
{
  if (real.execve != NULL)
    return;
  real.execvpe = (ExecveFunc) dlsym (RTLD_NEXT, "execvpe");
  real.fexecve = (FexecveFunc) dlsym (RTLD_NEXT, "fexecve");
  real.posix_spawn = (SpawnFunc) dlsym (RTLD_NEXT, "posix_spawn");
  real.posix_spawnp = (SpawnFunc) dlsym (RTLD_NEXT, "posix_spawnp");
  real.system = (int (*) (const char *)) dlsym (RTLD_NEXT, "system");
  real.popen = (FILE *(*) (const char *, const char *)) dlsym (RTLD_NEXT, "popen");
  real.execve = (ExecveFunc) dlsym (RTLD_NEXT, "execve");
}

static ExecveFunc
real_execve (void)
{
  resolve ();
  return real.execve;
}

static ExecveFunc
real_execvpe (void)
{
  resolve ();
  return real.execvpe;
}

TV_PRELOAD_EXPORT int
execve (const char   *path,
        char *const   argv[],
        char *const   envp[])
{
  WITH_ENVIRONMENT (envp, false, real_execve () (path, argv, new_env),
                    real_execve () (path, argv, envp));
}

TV_PRELOAD_EXPORT int
execvpe (const char   *file,
         char *const   argv[],
         char *const   envp[])
{
  WITH_ENVIRONMENT (envp, false, real_execvpe () (file, argv, new_env),
                    real_execvpe () (file, argv, envp));
}

TV_PRELOAD_EXPORT int
execv (const char *path,
       char *const argv[])
{
  return execve (path, argv, environ);
}

TV_PRELOAD_EXPORT int
execvp (const char *file,
        char *const argv[])
{
  return execvpe (file, argv, environ);
}

TV_PRELOAD_EXPORT int
fexecve (int          fd,
         char *const  argv[],
         char *const  envp[])
{
  FexecveFunc func;

  resolve ();
  func = real.fexecve;
  WITH_ENVIRONMENT (envp, false, func (fd, argv, new_env), func (fd, argv, envp));
}

/* execl, execlp, execle: the arguments into a vector on the stack. */
#define COLLECT_ARGS(arg0, ap, argv_name, extra)                          \
  size_t n_args_ = 1;                                                     \
  va_start (ap, arg0);                                                    \
  while (va_arg (ap, char *) != NULL)                                     \
    n_args_++;                                                            \
  va_end (ap);                                                            \
  char *argv_name[n_args_ + 1];                                           \
  va_start (ap, arg0);                                                    \
  argv_name[0] = (char *) arg0;                                           \
  for (size_t i_ = 1; i_ <= n_args_; i_++)                                \
    argv_name[i_] = va_arg (ap, char *);                                  \
  extra;                                                                  \
  va_end (ap)

TV_PRELOAD_EXPORT int
execl (const char *path,
       const char *arg,
       ...)
{
  va_list ap;

  COLLECT_ARGS (arg, ap, argv, (void) 0);
  return execve (path, argv, environ);
}

TV_PRELOAD_EXPORT int
execlp (const char *file,
        const char *arg,
        ...)
{
  va_list ap;

  COLLECT_ARGS (arg, ap, argv, (void) 0);
  return execvpe (file, argv, environ);
}

TV_PRELOAD_EXPORT int
execle (const char *path,
        const char *arg,
        ...)
{
  va_list ap;
  char **envp;

  COLLECT_ARGS (arg, ap, argv, envp = va_arg (ap, char **));
  return execve (path, argv, envp);
}

/* --- system() and popen() ---------------------------------------------------
 *
 * libc starts their shell with its internal posix_spawn, which no wrapper
 * sees and whose environment is the process's own: the shell cannot be
 * told who started it the way exec and posix_spawn tell their programs.
 * So this thread leaves its index in the shared block under its pid, and
 * the shell's constructor looks its parent's pid up there. */

static void
mark_spawner (void)
{
  TvPreloadThread *self = tv_preload_enter ();
  TvPreloadSpawner *entry;
  int32_t pid = (int32_t) getpid ();

  if (self == NULL)
    return;
  entry = &tv_preload_shared->spawners[(uint32_t) pid % TV_PRELOAD_N_SPAWNERS];
  atomic_store_explicit (&entry->pid, 0, memory_order_relaxed);
  atomic_store_explicit (&entry->thread, self->index, memory_order_relaxed);
  atomic_store_explicit (&entry->time, tv_preload_now (), memory_order_relaxed);
  atomic_store_explicit (&entry->pid, pid, memory_order_release);
}

bool
tv_preload_exec_spawner (uint32_t *creator,
                         int64_t  *start_time)
{
  int32_t parent = (int32_t) getppid ();
  TvPreloadSpawner *entry = &tv_preload_shared->spawners[(uint32_t) parent % TV_PRELOAD_N_SPAWNERS];

  if (parent <= 1 || atomic_load_explicit (&entry->pid, memory_order_acquire) != parent)
    return false;
  *creator = atomic_load_explicit (&entry->thread, memory_order_relaxed);
  *start_time = atomic_load_explicit (&entry->time, memory_order_relaxed);
  return *creator < TV_PRELOAD_N_RINGS;
}

TV_PRELOAD_EXPORT int
system (const char *command)
{
  resolve ();
  if (command != NULL)
    mark_spawner ();
  return real.system (command);
}

TV_PRELOAD_EXPORT FILE *
popen (const char *command,
       const char *mode)
{
  resolve ();
  mark_spawner ();
  return real.popen (command, mode);
}

/* posix_spawn: a new process, started by this thread. */
static int
traced_spawn (SpawnFunc                         func,
              pid_t                            *pid,
              const char                       *path,
              const posix_spawn_file_actions_t *actions,
              const posix_spawnattr_t          *attr,
              char *const                       argv[],
              char *const                       envp[])
{
  WITH_ENVIRONMENT (envp, true, func (pid, path, actions, attr, argv, new_env),
                    func (pid, path, actions, attr, argv, envp));
}

TV_PRELOAD_EXPORT int
posix_spawn (pid_t                            *pid,
             const char                       *path,
             const posix_spawn_file_actions_t *actions,
             const posix_spawnattr_t          *attr,
             char *const                       argv[],
             char *const                       envp[])
{
  resolve ();
  return traced_spawn (real.posix_spawn, pid, path, actions, attr, argv, envp);
}

TV_PRELOAD_EXPORT int
posix_spawnp (pid_t                            *pid,
              const char                       *file,
              const posix_spawn_file_actions_t *actions,
              const posix_spawnattr_t          *attr,
              char *const                       argv[],
              char *const                       envp[])
{
  resolve ();
  return traced_spawn (real.posix_spawnp, pid, file, actions, attr, argv, envp);
}
