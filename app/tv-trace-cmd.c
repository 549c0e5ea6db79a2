/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-cmd.c: `threadviz trace`, an unmodified program run under the
 * preload tracer (tv-traced-program.h), drained into a TvTrace and a
 * capture writer while it runs, saved (.tvt) and/or exported when it ends.
 *
 * The program's stdin, stdout and stderr are its own: we write nothing to
 * them unless asked (--summary) or unable to run it, so that its output is
 * exactly what it prints untraced.
 */
#define G_LOG_DOMAIN "threadviz-trace"

#include "config.h"

#include <signal.h>
#include <string.h>

#include "tv-capture-writer.h"
#include "tv-chrome-export.h"
#include "tv-cli.h"
#include "tv-run.h"
#include "tv-trace-cmd.h"
#include "tv-traced-program.h"

#ifdef TV_WITH_EXPORT
# include "tv-export.h"
#endif

#define TV_TRACE_EXIT_CANNOT_RUN 127
#define TV_TRACE_POLL_US 10000
#define TV_TRACE_BUSY_POLL_US 1000
#define TV_TRACE_BUSY_EVENTS 4096
/* --stop-on-deadlock: how long a cycle must stay still, and how long
 * SIGTERM has before SIGKILL. */
#define TV_TRACE_QUIET_US (G_USEC_PER_SEC / 2)
#define TV_TRACE_KILL_US (2 * G_USEC_PER_SEC)

static volatile sig_atomic_t stop_signal;
static volatile pid_t traced_pid;

/* A signal sent to us by kill() goes on to the program, which decides what
 * it means.  A terminal's Ctrl+C reaches the program by itself (it is in
 * our process group): passing it on would deliver it twice. */
static void
on_signal (int        signum,
           siginfo_t *info,
           void      *context)
{
  stop_signal = signum;
  if (traced_pid > 0 && (info == NULL || info->si_code == SI_USER || info->si_code == SI_QUEUE))
    kill (traced_pid, signum);
}

static void
add_to_writer (const TvEvent *event,
               const char    *text,
               gpointer       user_data)
{
  tv_capture_writer_add (user_data, event, text);
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
print_summary (TvTrace         *trace,
               TvTracedProgram *program,
               int              status,
               guint            deadlocked,
               const char      *output)
{
  g_printerr ("threadviz: exit status %d, %.3f s, %u threads in %u processes, "
              "%" G_GUINT64_FORMAT " events",
              status, (double) tv_trace_get_end_time (trace) / 1e9,
              tv_trace_get_n_threads (trace), tv_traced_program_get_n_processes (program),
              tv_trace_get_n_events (trace));
  if (tv_trace_get_dropped (trace) > 0)
    g_printerr (", %" G_GUINT64_FORMAT " dropped", tv_trace_get_dropped (trace));
  if (tv_traced_program_get_untraced (program) > 0)
    g_printerr (", some threads or locks not traced (the recorder is full)");
  if (deadlocked > 0)
    g_printerr (", %u threads deadlocked", deadlocked);
  g_printerr ("\n");
  if (output != NULL)
    g_printerr ("threadviz: trace saved to %s\n", output);
}

/* Our options end at "--" or at the first word that is not an option (or
 * an option's value), so that the command's own options stay its own. */
static int
split_options (int    argc,
               char **argv)
{
  static const char * const with_value[] = { "-o", "--output", "--export", "--title" };
  int split;

  for (split = 1; split < argc; split++)
    {
      if (g_str_equal (argv[split], "--") || argv[split][0] != '-')
        break;
      for (guint i = 0; i < G_N_ELEMENTS (with_value); i++)
        {
          if (g_str_equal (argv[split], with_value[i]) && split + 1 < argc)
            {
              split++;
              break;
            }
        }
    }
  return split;
}

int
tv_trace_cmd_main (int    argc,
                   char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *export_path = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(TvCaptureWriter) writer = NULL;
  g_autoptr(TvTracedProgram) program = NULL;
  g_auto(GStrv) options = NULL;
  gboolean summary = FALSE;
  gboolean stop_on_deadlock = FALSE;
  gint64 quiet_since = -1, stopping_since = -1;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Save the trace to OUT.tvt (default: threadviz-trace.tvt)", "OUT.tvt" },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_path,
      "Also draw it to OUT (.png, .svg, .pdf) or write Chrome JSON (.json)", "OUT" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title,
      "The trace's title (default: the command line)", "TEXT" },
    { "summary", 0, 0, G_OPTION_ARG_NONE, &summary,
      "At the end, print the threads, events and exit status to stderr", NULL },
    { "stop-on-deadlock", 0, 0, G_OPTION_ARG_NONE, &stop_on_deadlock,
      "Stop the program when its threads wait for each other's locks (exit status 2)", NULL },
    { NULL },
  };
  struct sigaction action = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
  struct sigaction ignore = { .sa_handler = SIG_IGN };
  struct sigaction old_int, old_term, old_hup, old_pipe;
  TvRecorder *recorder;
  char **command;
  int split, status = 0;
  guint deadlocked;

  split = split_options (argc, argv);
  options = g_new0 (char *, split + 1);
  for (int i = 0; i < split; i++)
    options[i] = g_strdup (argv[i]);

  context = g_option_context_new ("[--] COMMAND [ARGUMENT…]");
  g_option_context_set_summary (context,
    "Run an unmodified, dynamically linked program (C, Python...) and record\n"
    "its threads, locks, condition variables, semaphores, sleeps, forks and,\n"
    "in CPython, the GIL. Its input and output are its own; the exit status is\n"
    "its own (128 + N when signal N killed it), 127 when it cannot be traced.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!tv_cli_parse_options (context, "trace", split, options))
    return TV_CLI_EXIT_USAGE;

  if (split < argc && g_str_equal (argv[split], "--"))
    split++;
  if (split >= argc)
    {
      g_printerr ("threadviz trace: no command to trace (threadviz trace -- COMMAND ARGS…)\n"
                  "Try 'threadviz trace --help'.\n");
      return TV_CLI_EXIT_USAGE;
    }
  command = argv + split;
  if (output == NULL && export_path == NULL)
    output = g_strdup ("threadviz-trace.tvt");

  trace = tv_trace_new ();
  writer = tv_capture_writer_new ();
  if (title == NULL)
    title = g_strjoinv (" ", command);
  tv_trace_set_title (trace, title);
  tv_capture_writer_set_title (writer, title);

  sigaction (SIGINT, &action, &old_int);
  sigaction (SIGTERM, &action, &old_term);
  sigaction (SIGHUP, &action, &old_hup);
  sigaction (SIGPIPE, &ignore, &old_pipe);

  program = tv_traced_program_spawn (command, NULL, 0, &error);
  if (program == NULL)
    {
      g_printerr ("threadviz trace: %s\n", error->message);
      status = TV_TRACE_EXIT_CANNOT_RUN;
      goto out;
    }
  traced_pid = tv_traced_program_get_pid (program);
  recorder = tv_traced_program_get_recorder (program);

  for (;;)
    {
      gboolean ended = tv_traced_program_poll (program, &status);
      /* The last drain comes after the end: nothing is left behind. */
      gsize drained = tv_capture_writer_drain (writer, trace, recorder);

      if (ended)
        break;
      if (stop_on_deadlock)
        {
          gint64 now = g_get_monotonic_time ();

          if (drained > 0)
            quiet_since = now;
          else if (quiet_since < 0)
            quiet_since = now;
          /* Quiet for a while and blocked in a cycle: it will not move. */
          if (stopping_since < 0 && now - quiet_since >= TV_TRACE_QUIET_US
              && tv_traced_program_find_deadlocks (trace, FALSE, NULL, NULL) > 0)
            {
              tv_traced_program_find_deadlocks (trace, TRUE, add_to_writer, writer);
              tv_trace_changed (trace);
              tv_traced_program_stop (program);
              stopping_since = now;
            }
          else if (stopping_since >= 0 && now - stopping_since >= TV_TRACE_KILL_US)
            {
              tv_traced_program_stop (program);
              stopping_since = G_MAXINT64 / 2;
            }
        }
      /* A busy program fills its rings in milliseconds: come back sooner
       * while it is busy, so that fewer events are dropped. */
      g_usleep (drained > TV_TRACE_BUSY_EVENTS ? TV_TRACE_BUSY_POLL_US : TV_TRACE_POLL_US);
    }
  traced_pid = 0;

  if (stopping_since >= 0)
    {
      /* We stopped it: a deadlock, reported like `threadviz run`'s. */
      status = TV_CLI_EXIT_RUN_ERROR;
      g_printerr ("threadviz trace: deadlock: the program was stopped\n");
    }
  deadlocked = tv_traced_program_finish (trace,
                                         stop_signal != 0 ? TV_RUN_STOPPED
                                         : status == 0 ? TV_RUN_FINISHED : TV_RUN_FAILED,
                                         add_to_writer, writer);
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
    print_summary (trace, program, status, deadlocked, output);

out:
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  sigaction (SIGHUP, &old_hup, NULL);
  sigaction (SIGPIPE, &old_pipe, NULL);
  return status;
}
