/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-traced-program.c: spawning a program under the preload tracer.
 *
 * The recorder lives in a memfd (tv-recorder-fd.h) whose fd number and
 * our pid reach the program through the environment, beside LD_PRELOAD.
 * The program's stdin, stdout and stderr are its own, untouched.
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "threadviz-trace"

#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tv-recorder-fd.h"
#include "tv-traced-program.h"
#include "preload/tv-preload-shared.h"

/* The recorder's fd in the program: high, out of the way of its own
 * (the library closes it before the program's main() anyway). */
#define TV_TRACED_FD_MIN 100

struct _TvTracedProgram
{
  TvRecorder      *recorder;
  TvPreloadShared *shared;
  int              fd;
  int              output_fd;
  GPid             pid;
  gboolean         own_group;
  gboolean         reaped;
  int              status;
  guint            stops;
};

/* --- Finding the library and checking the program ------------------------ */

char *
tv_traced_program_find_library (GError **error)
{
  const char *env = g_getenv (TV_PRELOAD_ENV_LIBRARY);
  const char *candidates[] = { TV_PRELOAD_INSTALL_PATH, TV_PRELOAD_BUILD_PATH };

  if (env != NULL && env[0] != '\0')
    {
      if (g_file_test (env, G_FILE_TEST_IS_REGULAR))
        return g_canonicalize_filename (env, NULL);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s=%s: no such file", TV_PRELOAD_ENV_LIBRARY, env);
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
        return g_strdup (candidates[i]);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "the tracing library is not installed (looked for %s)",
               TV_PRELOAD_INSTALL_PATH);
  return NULL;
}

static gboolean
check_elf (const char *path,
           const char *data,
           gsize       length,
           GError    **error)
{
  const Elf64_Ehdr *header = (const Elf64_Ehdr *) data;

  if (length < EI_NIDENT || header->e_ident[EI_CLASS] != ELFCLASS64)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s is a 32-bit program: the tracing library is 64-bit", path);
      return FALSE;
    }
  if (length < sizeof *header || header->e_phentsize != sizeof (Elf64_Phdr)
      || header->e_phoff > length
      || (gsize) header->e_phnum * sizeof (Elf64_Phdr) > length - header->e_phoff)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s: not a program this system can run", path);
      return FALSE;
    }
  for (guint i = 0; i < header->e_phnum; i++)
    {
      const Elf64_Phdr *ph = (const Elf64_Phdr *) (data + header->e_phoff) + i;

      if (ph->p_type == PT_INTERP)
        return TRUE;
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
               "%s is statically linked: the tracing library cannot be loaded "
               "into it (LD_PRELOAD needs the dynamic loader)", path);
  return FALSE;
}

static gboolean
check_program (const char *path,
               int         depth,
               GError    **error)
{
  g_autofree char *data = NULL;
  struct stat st;
  gsize length = 0;
  int fd;
  ssize_t n;

  if (stat (path, &st) < 0 || !S_ISREG (st.st_mode) || access (path, X_OK) < 0)
    {
      int e = errno != 0 ? errno : EACCES;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                   "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  if (st.st_mode & (S_ISUID | S_ISGID))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "%s is set-user-ID or set-group-ID: the dynamic loader ignores "
                   "LD_PRELOAD for it, so it cannot be traced", path);
      return FALSE;
    }

  /* The ELF header and the program headers are in the first 64 KiB. */
  if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "%s: %s", path, g_strerror (errno));
      return FALSE;
    }
  data = g_malloc0 (65536 + 1);
  while (length < 65536 && (n = read (fd, data + length, 65536 - length)) > 0)
    length += (gsize) n;
  close (fd);

  if (length >= SELFMAG && memcmp (data, ELFMAG, SELFMAG) == 0)
    return check_elf (path, data, length, error);
  if (length >= 2 && data[0] == '#' && data[1] == '!' && depth == 0)
    {
      char *line = data + 2, *end = strchr (line, '\n'), *interp;

      if (end != NULL)
        *end = '\0';
      interp = g_strstrip (line);
      interp[strcspn (interp, " \t")] = '\0';
      return check_program (interp, depth + 1, error);
    }
  /* Anything else is for execve() to judge (and report). */
  return TRUE;
}

gboolean
tv_traced_program_check (const char *path,
                         GError    **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  return check_program (path, 0, error);
}

/* --- Spawning ------------------------------------------------------------- */

static char **
make_environment (const char *library,
                  int         fd)
{
  char **env = g_get_environ ();
  const char *old = g_environ_getenv (env, "LD_PRELOAD");
  g_autofree char *preload = old != NULL && old[0] != '\0'
                             ? g_strdup_printf ("%s %s", library, old)
                             : g_strdup (library);
  g_autofree char *fd_text = g_strdup_printf ("%d", fd);
  g_autofree char *pid_text = g_strdup_printf ("%d", (int) getpid ());

  if (g_environ_getenv (env, TV_ENV_CHOSEN_RENDERER) != NULL)
    {
      env = g_environ_unsetenv (env, "GSK_RENDERER");
      env = g_environ_unsetenv (env, TV_ENV_CHOSEN_RENDERER);
    }
  env = g_environ_setenv (env, "LD_PRELOAD", preload, TRUE);
  env = g_environ_setenv (env, TV_PRELOAD_ENV_FD, fd_text, TRUE);
  env = g_environ_setenv (env, TV_PRELOAD_ENV_PID, pid_text, TRUE);
  return env;
}

/* fork + execve; the child makes only async-signal-safe calls.  An exec
 * failure comes back through a close-on-exec pipe. */
static pid_t
spawn (const char  *path,
       char * const *argv,
       char       **env,
       const char  *cwd,
       int          fd,
       gboolean     own_group,
       int          output_fd,
       GError     **error)
{
  int report[2], child_errno = 0;
  pid_t pid, parent = getpid ();
  ssize_t n;

  if (pipe2 (report, O_CLOEXEC) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "pipe: %s", g_strerror (errno));
      return -1;
    }
  pid = fork ();
  if (pid < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "fork: %s", g_strerror (errno));
      close (report[0]);
      close (report[1]);
      return -1;
    }
  if (pid == 0)
    {
      struct sigaction dfl = { .sa_handler = SIG_DFL };
      sigset_t none;
      int e;

      /* Ignored signals stay ignored across exec: give the program the
       * defaults, and an empty mask. */
      for (int s = 1; s < NSIG; s++)
        sigaction (s, &dfl, NULL);
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (own_group)
        {
          setpgid (0, 0);
          /* Out of our group, a crash of ours (the window) would leave it
           * running: it dies with us.  Checked after, in case we already did. */
          prctl (PR_SET_PDEATHSIG, SIGKILL);
          if (getppid () != parent)
            _exit (127);
        }
      if (output_fd >= 0)
        {
          int null_fd = open ("/dev/null", O_RDONLY);

          if (null_fd >= 0)
            dup2 (null_fd, STDIN_FILENO);
          dup2 (output_fd, STDOUT_FILENO);
          dup2 (output_fd, STDERR_FILENO);
        }
      if (cwd != NULL && chdir (cwd) < 0)
        goto failed;
      fcntl (fd, F_SETFD, 0);
      execve (path, argv, env);
    failed:
      e = errno;
      if (write (report[1], &e, sizeof e) < 0)
        _exit (127);
      _exit (127);
    }
  close (report[1]);
  do
    n = read (report[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close (report[0]);
  if (n == (ssize_t) sizeof child_errno)
    {
      waitpid (pid, NULL, 0);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (child_errno),
                   "cannot run %s%s%s: %s", path, cwd != NULL ? " in " : "",
                   cwd != NULL ? cwd : "", g_strerror (child_errno));
      return -1;
    }
  return pid;
}

TvTracedProgram *
tv_traced_program_spawn (char * const         *argv,
                         const char           *cwd,
                         TvTracedProgramFlags  flags,
                         GError              **error)
{
  g_autoptr(TvTracedProgram) self = NULL;
  g_autofree char *program = NULL;
  g_autofree char *library = NULL;
  g_auto(GStrv) env = NULL;
  void *extra = NULL;
  int high_fd;
  int output[2] = { -1, -1 };

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  program = strchr (argv[0], '/') != NULL ? g_strdup (argv[0])
                                          : g_find_program_in_path (argv[0]);
  if (program == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: command not found", argv[0]);
      return NULL;
    }
  if (cwd != NULL && !g_path_is_absolute (program) && strchr (argv[0], '/') != NULL)
    {
      char *in_cwd = g_build_filename (cwd, program, NULL);

      g_free (program);
      program = in_cwd;
    }
  if (!tv_traced_program_check (program, error)
      || (library = tv_traced_program_find_library (error)) == NULL)
    return NULL;

  self = g_new0 (TvTracedProgram, 1);
  self->fd = -1;
  self->output_fd = -1;
  self->own_group = (flags & TV_TRACED_PROGRAM_OWN_GROUP) != 0;
  self->recorder = tv_recorder_new_in_fd (TV_PRELOAD_N_RINGS, TV_PRELOAD_RING_EVENTS,
                                          TV_PRELOAD_STRING_BYTES, sizeof (TvPreloadShared),
                                          &self->fd, &extra);
  if (self->recorder == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "cannot make the shared recorder: %s", g_strerror (errno));
      return NULL;
    }
  self->shared = extra;
  if ((high_fd = fcntl (self->fd, F_DUPFD_CLOEXEC, TV_TRACED_FD_MIN)) >= 0)
    {
      close (self->fd);
      self->fd = high_fd;
    }
  tv_preload_shared_init (self->shared);

  env = make_environment (library, self->fd);
  if ((flags & TV_TRACED_PROGRAM_CAPTURE_OUTPUT) != 0)
    {
      if (pipe2 (output, O_CLOEXEC) < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "pipe: %s", g_strerror (errno));
          return NULL;
        }
      self->output_fd = output[0];
      fcntl (self->output_fd, F_SETFL, O_NONBLOCK);
    }
  self->pid = spawn (program, argv, env, cwd, self->fd, self->own_group, output[1], error);
  if (output[1] >= 0)
    close (output[1]);
  if (self->pid < 0)
    return NULL;
  return g_steal_pointer (&self);
}

void
tv_traced_program_free (TvTracedProgram *self)
{
  if (self == NULL)
    return;
  if (self->pid > 0 && !self->reaped)
    {
      /* Never leave it behind unreaped. */
      tv_traced_program_signal (self, SIGKILL);
      waitpid (self->pid, NULL, 0);
    }
  if (self->recorder != NULL)
    tv_recorder_detach (self->recorder, self->shared);
  if (self->fd >= 0)
    close (self->fd);
  if (self->output_fd >= 0)
    close (self->output_fd);
  g_free (self);
}

TvRecorder *
tv_traced_program_get_recorder (TvTracedProgram *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->recorder;
}

GPid
tv_traced_program_get_pid (TvTracedProgram *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->pid;
}

TvClock *
tv_traced_program_get_clock (TvTracedProgram *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->shared->clock;
}

int
tv_traced_program_get_output_fd (TvTracedProgram *self)
{
  g_return_val_if_fail (self != NULL, -1);
  return self->output_fd;
}

gboolean
tv_traced_program_poll (TvTracedProgram *self,
                        int             *status)
{
  int wait_status;
  pid_t done;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->reaped)
    {
      do
        done = waitpid (self->pid, &wait_status, WNOHANG);
      while (done < 0 && errno == EINTR);
      if (done == self->pid)
        {
          self->reaped = TRUE;
          self->status = WIFSIGNALED (wait_status) ? 128 + WTERMSIG (wait_status)
                                                   : WEXITSTATUS (wait_status);
        }
      else if (done < 0)
        {
          /* Reaped by someone else (a SIGCHLD handler): it has ended. */
          self->reaped = TRUE;
          self->status = 128 + SIGKILL;
        }
    }
  if (self->reaped && status != NULL)
    *status = self->status;
  return self->reaped;
}

void
tv_traced_program_signal (TvTracedProgram *self,
                          int              signum)
{
  g_return_if_fail (self != NULL);
  if (self->pid <= 0 || self->reaped)
    return;
  kill (self->own_group ? -self->pid : self->pid, signum);
}

void
tv_traced_program_stop (TvTracedProgram *self)
{
  g_return_if_fail (self != NULL);
  tv_traced_program_signal (self, self->stops++ == 0 ? SIGTERM : SIGKILL);
}

guint
tv_traced_program_get_untraced (TvTracedProgram *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return atomic_load (&self->shared->rings_full) + atomic_load (&self->shared->slots_full);
}

guint
tv_traced_program_get_n_processes (TvTracedProgram *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return atomic_load (&self->shared->n_processes);
}
