/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-cmd.c: `threadviz trace`, an unmodified program run under the
 * preload tracer (core/preload/), drained into a TvTrace while it runs, and
 * saved (.tvt) and/or exported when it ends.
 *
 * The recorder lives in a memfd (tv-recorder-fd.h) whose fd number and
 * our pid reach the program through the environment, with LD_PRELOAD: the
 * program's stdin, stdout and stderr are its own, untouched, and we write
 * nothing to them unless asked (--summary) or unable to run it.
 */
#define _GNU_SOURCE
#define G_LOG_DOMAIN "threadviz-trace"

#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tv-capture-writer.h"
#include "tv-chrome-export.h"
#include "tv-cli.h"
#include "tv-recorder-fd.h"
#include "tv-run.h"
#include "tv-trace-cmd.h"
#include "preload/tv-preload-shared.h"

#ifdef TV_WITH_EXPORT
# include "tv-export.h"
#endif

#define TV_TRACE_EXIT_CANNOT_RUN 127
/* The recorder's fd in the program: high, out of the way of its own. */
#define TV_TRACE_FD_MIN 100
#define TV_TRACE_POLL_US 10000

/* --- Finding the library and checking the program ------------------------ */

char *
tv_trace_find_preload (GError **error)
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
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno ? errno : EACCES),
                   "%s: %s", path, g_strerror (errno ? errno : EACCES));
      return FALSE;
    }
  if (st.st_mode & (S_ISUID | S_ISGID))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "%s is set-user-ID or set-group-ID: the dynamic loader ignores "
                   "LD_PRELOAD for it, so it cannot be traced", path);
      return FALSE;
    }

  /* The ELF header and program headers fit in the first 64 KiB. */
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

  if (length >= 4 && memcmp (data, ELFMAG, SELFMAG) == 0)
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
tv_trace_check_program (const char *path,
                        GError    **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  return check_program (path, 0, error);
}

/* --- Running it ------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;
static volatile pid_t traced_pid;

/* A signal sent to us (kill, not the terminal: a terminal's Ctrl+C reaches
 * the program by itself, being in our process group) goes on to the
 * program, which decides what it means. */
static void
on_signal (int        signum,
           siginfo_t *info,
           void      *context)
{
  stop_signal = signum;
  if (traced_pid > 0 && (info == NULL || info->si_code == SI_USER || info->si_code == SI_QUEUE))
    kill (traced_pid, signum);
}

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

  env = g_environ_setenv (env, "LD_PRELOAD", preload, TRUE);
  env = g_environ_setenv (env, TV_PRELOAD_ENV_FD, fd_text, TRUE);
  env = g_environ_setenv (env, TV_PRELOAD_ENV_PID, pid_text, TRUE);
  return env;
}

/* fork + execve; in the child only async-signal-safe calls.  An exec
 * failure comes back through a close-on-exec pipe. */
static pid_t
spawn (const char  *path,
       char       **argv,
       char       **env,
       int          fd,
       GError     **error)
{
  int report[2], child_errno = 0;
  pid_t pid;
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
      int e;

      sigaction (SIGINT, &dfl, NULL);
      sigaction (SIGTERM, &dfl, NULL);
      sigaction (SIGHUP, &dfl, NULL);
      sigaction (SIGPIPE, &dfl, NULL);
      fcntl (fd, F_SETFD, 0);
      execve (path, argv, env);
      e = errno;
      if (write (report[1], &e, sizeof e) < 0)
        _exit (TV_TRACE_EXIT_CANNOT_RUN);
      _exit (TV_TRACE_EXIT_CANNOT_RUN);
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
                   "cannot run %s: %s", path, g_strerror (child_errno));
      return -1;
    }
  return pid;
}

typedef struct
{
  TvCaptureWriter *writer;
} AddData;

static void
add_to_writer (const TvEvent *event,
               const char    *text,
               gpointer       user_data)
{
  tv_capture_writer_add (((AddData *) user_data)->writer, event, text);
}

static gboolean
export_trace (TvTrace    *trace,
              const char *path,
              GError    **error)
{
  if (g_str_has_suffix (path, ".json"))
    return tv_chrome_export (trace, path, error);
#ifdef TV_WITH_EXPORT
  {
    TvExportOptions options;

    tv_export_options_init (&options);
    if (!tv_export_format_from_path (path, &options.format))
      {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                     "%s: the name must end in .png, .svg, .pdf or .json", path);
        return FALSE;
      }
    return tv_export_to_file (trace, &options, path, error);
  }
#else
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
               "%s: this build exports .json only (it has no renderer)", path);
  return FALSE;
#endif
}

static void
print_summary (TvTrace    *trace,
               TvRecorder *recorder,
               void       *extra,
               int         status)
{
  TvPreloadShared *shared = extra;

  g_printerr ("threadviz: exit status %d, %.3f s, %u threads in %u processes, "
              "%" G_GUINT64_FORMAT " events",
              status, tv_trace_get_end_time (trace) / 1e9, tv_trace_get_n_threads (trace),
              atomic_load (&shared->n_processes), tv_trace_get_n_events (trace));
  if (tv_trace_get_dropped (trace) > 0)
    g_printerr (", %" G_GUINT64_FORMAT " dropped", tv_trace_get_dropped (trace));
  if (atomic_load (&shared->rings_full) > 0)
    g_printerr (", %u threads not traced (no ring left)", atomic_load (&shared->rings_full));
  if (atomic_load (&shared->slots_full) > 0)
    g_printerr (", objects not traced (table full)");
  g_printerr ("\n");
}

static int
usage_error (const char *message)
{
  g_printerr ("threadviz trace: %s\nTry 'threadviz trace --help'.\n", message);
  return TV_CLI_EXIT_USAGE;
}

int
tv_trace_cmd_main (int    argc,
                   char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *export_path = NULL;
  g_autofree char *title = NULL;
  g_autofree char *library = NULL;
  g_autofree char *program = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(TvCaptureWriter) writer = NULL;
  g_auto(GStrv) env = NULL;
  g_auto(GStrv) options = NULL;
  gboolean summary = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Save the trace to OUT.tvt (default: threadviz-trace.tvt)", "OUT.tvt" },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_path,
      "Also draw it to OUT (.png, .svg, .pdf) or write Chrome JSON (.json)", "OUT" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title,
      "The trace's title (default: the command line)", "TEXT" },
    { "summary", 0, 0, G_OPTION_ARG_NONE, &summary,
      "At the end, print the threads, events and exit status to stderr", NULL },
    { NULL },
  };
  struct sigaction action = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
  struct sigaction ignore = { .sa_handler = SIG_IGN };
  struct sigaction old_int, old_term, old_hup;
  TvRecorder *recorder;
  void *extra = NULL;
  char **command;
  int split, fd, high_fd, wstatus = 0, status;
  pid_t pid;
  guint run_status;
  AddData add = { NULL };

  /* Our options end at "--" (or at the first word that is not one). */
  for (split = 1; split < argc; split++)
    {
      if (g_str_equal (argv[split], "--") || argv[split][0] != '-')
        break;
      /* An option's value is the next word: skip it. */
      if ((g_str_equal (argv[split], "-o") || g_str_equal (argv[split], "--output")
           || g_str_equal (argv[split], "--export") || g_str_equal (argv[split], "--title"))
          && split + 1 < argc)
        split++;
    }
  options = g_new0 (char *, split + 1);
  for (int i = 0; i < split; i++)
    options[i] = g_strdup (argv[i]);

  context = g_option_context_new ("[--] COMMAND [ARGUMENT…]");
  g_option_context_set_summary (context,
    "Run an unmodified program (C, Python, any dynamically linked pthread\n"
    "program) and record its threads, locks, condition variables, semaphores,\n"
    "sleeps, forks and, in CPython, the GIL. Its input and output are its own;\n"
    "the exit status is its own (128 + N when signal N killed it).");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_help_enabled (context, TRUE);
  if (!tv_cli_parse_options (context, "trace", split, options))
    return TV_CLI_EXIT_USAGE;

  if (split < argc && g_str_equal (argv[split], "--"))
    split++;
  if (split >= argc)
    return usage_error ("no command to trace (threadviz trace -- COMMAND ARGS…)");
  command = argv + split;

  program = strchr (command[0], '/') != NULL ? g_strdup (command[0])
                                             : g_find_program_in_path (command[0]);
  if (program == NULL)
    {
      g_printerr ("threadviz trace: %s: command not found\n", command[0]);
      return TV_TRACE_EXIT_CANNOT_RUN;
    }
  if (!tv_trace_check_program (program, &error)
      || (library = tv_trace_find_preload (&error)) == NULL)
    {
      g_printerr ("threadviz trace: %s\n", error->message);
      return TV_TRACE_EXIT_CANNOT_RUN;
    }
  if (output == NULL && export_path == NULL)
    output = g_strdup ("threadviz-trace.tvt");

  recorder = tv_recorder_new_in_fd (TV_PRELOAD_N_RINGS, TV_PRELOAD_RING_EVENTS,
                                    TV_PRELOAD_STRING_BYTES, sizeof (TvPreloadShared),
                                    &fd, &extra);
  if (recorder == NULL)
    {
      g_printerr ("threadviz trace: cannot make the shared recorder: %s\n", g_strerror (errno));
      return TV_TRACE_EXIT_CANNOT_RUN;
    }
  high_fd = fcntl (fd, F_DUPFD_CLOEXEC, TV_TRACE_FD_MIN);
  if (high_fd >= 0)
    {
      close (fd);
      fd = high_fd;
    }
  tv_preload_shared_init (extra);

  trace = tv_trace_new ();
  writer = tv_capture_writer_new ();
  add.writer = writer;
  if (title == NULL)
    title = g_strjoinv (" ", command);
  tv_trace_set_title (trace, title);
  tv_capture_writer_set_title (writer, title);

  /* Ctrl+C reaches the program by itself; we wait for it to decide. */
  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);
  sigaction (SIGHUP, &action, &old_hup);
  sigaction (SIGPIPE, &ignore, NULL);

  env = make_environment (library, fd);
  pid = spawn (program, command, env, fd, &error);
  if (pid < 0)
    {
      g_printerr ("threadviz trace: %s\n", error->message);
      tv_recorder_detach (recorder, extra);
      close (fd);
      return TV_TRACE_EXIT_CANNOT_RUN;
    }
  traced_pid = pid;

  for (;;)
    {
      pid_t done = waitpid (pid, &wstatus, WNOHANG);

      tv_capture_writer_drain (writer, trace, recorder);
      if (done == pid || (done < 0 && errno != EINTR))
        break;
      g_usleep (TV_TRACE_POLL_US);
    }
  traced_pid = 0;
  /* Children the program left running may still record: one last look. */
  tv_capture_writer_drain (writer, trace, recorder);

  if (WIFSIGNALED (wstatus))
    status = 128 + WTERMSIG (wstatus);
  else
    status = WEXITSTATUS (wstatus);
  run_status = stop_signal != 0 ? TV_RUN_STOPPED
               : status == 0 ? TV_RUN_FINISHED : TV_RUN_FAILED;
  tv_trace_finish_run (trace, run_status, add_to_writer, &add);
  tv_capture_writer_set_status (writer, tv_trace_get_run_status (trace));

  if (output != NULL && !tv_capture_writer_save (writer, output, &error))
    {
      g_printerr ("threadviz trace: %s\n", error->message);
      g_clear_error (&error);
      if (status == 0)
        status = TV_CLI_EXIT_RUN_ERROR;
    }
  if (export_path != NULL && !export_trace (trace, export_path, &error))
    {
      g_printerr ("threadviz trace: %s\n", error->message);
      g_clear_error (&error);
      if (status == 0)
        status = TV_CLI_EXIT_RUN_ERROR;
    }
  if (summary)
    print_summary (trace, recorder, extra, status);
  if (summary && output != NULL)
    g_printerr ("threadviz: trace saved to %s\n", output);

  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  sigaction (SIGHUP, &old_hup, NULL);
  tv_recorder_detach (recorder, extra);
  close (fd);
  return status;
}
