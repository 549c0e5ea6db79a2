/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-cli.c: what the commands share: the dispatch, the usage text, loading
 * a scenario, and running one headless to its end.
 */
#define G_LOG_DOMAIN "threadviz-cli"

#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "tv-capture-reader.h"
#include "tv-chrome-import.h"
#include "tv-collector.h"
#include "tv-cli.h"
#ifdef TV_WITH_TRACE
# include "tv-trace-cmd.h"
#endif

/* How often the loop drains the rings and looks at signals. */
#define TV_CLI_POLL_MS 20

typedef struct
{
  const char *name;
  int       (*func) (int argc, char **argv);
  const char *synopsis;
  const char *summary;
} TvCliCommand;

static const TvCliCommand commands[] = {
  { "run", tv_cli_command_run, "run FILE.tvs [--speed F] [--summary] [--until TIME] [--save OUT.tvt]",
    "run a scenario in the terminal; its printed lines go to stdout" },
  { "export", tv_cli_command_export, "export FILE.tvs|tvt|json -o OUT.png|svg|pdf|json [OPTION…]",
    "draw a scenario's run (or a saved trace) to an image, or write Chrome JSON" },
  { "check", tv_cli_command_check, "check FILE.tvs…",
    "load scenarios without running them and report every error" },
#ifdef TV_WITH_TRACE
  /* main.c dispatches it first, so that the traced command's own arguments
   * never open the window; it is listed here for the usage and `help`. */
  { "trace", tv_trace_cmd_main, "trace [-o OUT.tvt] [--export OUT] -- COMMAND [ARG…]",
    "run a real program under the tracer and record its threads" },
#endif
};

static const TvCliCommand *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (g_str_equal (commands[i].name, name))
        return &commands[i];
    }
  return NULL;
}

/* "run, export, check": the commands this build has. */
static char *
dup_command_names (void)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (commands[i].func == tv_cli_command_export && !tv_cli_have_export ())
        continue;
      g_string_append_printf (names, "%s%s", names->len ? ", " : "",
                              commands[i].name);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static gboolean
looks_like_file (const char *arg)
{
  return g_str_has_suffix (arg, ".tvs") || g_str_has_suffix (arg, ".tvt")
         || g_file_test (arg, G_FILE_TEST_IS_REGULAR);
}

void
tv_cli_print_usage (FILE    *stream,
                    gboolean have_gui)
{
  fprintf (stream,
           "Usage:\n"
           "  threadviz [FILE.tvs|tvt]    %s\n",
           have_gui ? "open the window (on FILE)"
                    : "run FILE in the terminal (this build has no window)");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (commands[i].func == tv_cli_command_export && !tv_cli_have_export ())
        continue;
      fprintf (stream, "  threadviz %s\n      %s\n",
               commands[i].synopsis, commands[i].summary);
    }
  fprintf (stream,
           "  threadviz COMMAND --help    the options of COMMAND\n"
           "\n"
           "Options:\n"
           "  -h, --help                  show this help\n"
           "  --version                   show the version\n"
           "\n"
           "Exit status: 0 success, 1 load errors, 2 run-time error (deadlock,\n"
           "stall, release of a lock not held...), 64 bad command line,\n"
           "130 interrupted (Ctrl+C).\n"
#ifdef TV_WITH_TRACE
           "trace exits with the traced program's own status (127: it could\n"
           "not be traced).\n"
#endif
           "\n"
           "Examples:\n"
           "  threadviz run data/scenarios/race.tvs\n"
           "  threadviz run data/scenarios/gil-cpu.tvs --speed 4 --summary\n");
  if (tv_cli_have_export ())
    fprintf (stream,
             "  threadviz export data/scenarios/deadlock.tvs -o deadlock.png --scale 2\n");
#ifdef TV_WITH_TRACE
  fprintf (stream,
           "  threadviz trace -o run.tvt -- python3 my_threads.py\n");
#endif
  fprintf (stream,
           "  threadviz check data/scenarios/*.tvs\n"
           "\n"
           "The command line is described in docs/cli.md, the scenario language\n"
           "in docs/scenario-language.md.\n");
}

static gboolean
is_cli_flag (const char *arg)
{
  static const char * const flags[] = {
    "--help", "-h", "-?", "help", "--version", "-V",
  };

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      if (g_str_equal (arg, flags[i]))
        return TRUE;
    }
  return FALSE;
}

gboolean
tv_cli_wants_window (int    argc,
                     char **argv)
{
  const char *first;

  if (argc < 2)
    return TRUE;

  first = argv[1];
  if (is_cli_flag (first) || find_command (first) != NULL)
    return FALSE;
  /* Anything else starting with '-' is for GTK or GApplication. */
  if (first[0] == '-')
    return TRUE;
  return looks_like_file (first);
}

int
tv_cli_main (int      argc,
             char   **argv,
             gboolean have_gui)
{
  const TvCliCommand *command;
  const char *first;

  if (argc < 2)
    {
      /* Only reached without a window: main.c opens it otherwise. */
      g_printerr ("threadviz: this build has no window (it was built without "
                  "the GUI).\n"
                  "Run a scenario in the terminal instead, e.g.\n"
                  "  threadviz run data/scenarios/lifecycle.tvs\n\n");
      tv_cli_print_usage (stderr, have_gui);
      return TV_CLI_EXIT_USAGE;
    }

  first = argv[1];
  if (g_str_equal (first, "--help") || g_str_equal (first, "-h")
      || g_str_equal (first, "-?"))
    {
      tv_cli_print_usage (stdout, have_gui);
      return TV_CLI_EXIT_OK;
    }
  if (g_str_equal (first, "help"))
    {
      if (argc > 2 && (command = find_command (argv[2])) != NULL)
        {
          char *help_argv[] = { (char *) command->name, (char *) "--help", NULL };
          return command->func (2, help_argv);
        }
      if (argc > 2)
        {
          g_autofree char *names = dup_command_names ();

          g_printerr ("threadviz: no help on '%s' (commands: %s)\n",
                      argv[2], names);
          return TV_CLI_EXIT_USAGE;
        }
      tv_cli_print_usage (stdout, have_gui);
      return TV_CLI_EXIT_OK;
    }
  if (g_str_equal (first, "--version") || g_str_equal (first, "-V"))
    {
      printf ("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
      return TV_CLI_EXIT_OK;
    }

  if ((command = find_command (first)) != NULL)
    return command->func (argc - 1, argv + 1);

  if (first[0] != '-' && looks_like_file (first) && tv_cli_is_trace_file (first))
    {
      /* A recorded run has nothing to run: say how to see it. */
      g_printerr ("threadviz: this build has no window to show %s; draw it with\n"
                  "  threadviz export %s -o OUT.png\n", first, first);
      return TV_CLI_EXIT_USAGE;
    }
  if (first[0] != '-' && looks_like_file (first))
    {
      /* `threadviz FILE.tvs` without a window: do the next best thing. */
      g_printerr ("threadviz: this build has no window; running %s in the "
                  "terminal (threadviz run)\n", first);
      argv[0] = (char *) "run";
      return tv_cli_command_run (argc, argv);
    }

  if (first[0] == '-')
    g_printerr ("threadviz: unknown option '%s'\n", first);
  else
    {
      g_autofree char *names = dup_command_names ();

      g_printerr ("threadviz: unknown command '%s' (commands: %s)\n",
                  first, names);
    }
  g_printerr ("Try 'threadviz --help'.\n");
  return TV_CLI_EXIT_USAGE;
}

/* --- Options ------------------------------------------------------- */

gboolean
tv_cli_parse_options (GOptionContext *context,
                      const char     *command,
                      int             argc,
                      char          **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  g_autofree char *prgname = g_strdup_printf ("threadviz %s", command);

  g_return_val_if_fail (context != NULL, FALSE);
  g_return_val_if_fail (command != NULL, FALSE);

  /* So that the usage line of --help reads "threadviz run [OPTION…] FILE.tvs". */
  g_set_prgname (prgname);

  args = g_new0 (char *, argc + 1);
  for (int i = 0; i < argc; i++)
    args[i] = g_strdup (argv[i]);

  if (!g_option_context_parse_strv (context, &args, &error))
    {
      g_printerr ("threadviz %s: %s\nTry 'threadviz %s --help'.\n",
                  command, error->message, command);
      return FALSE;
    }
  return TRUE;
}

/* --- Loading -------------------------------------------------------- */

static void
print_block (const char *text)
{
  g_printerr ("%s%s", text, g_str_has_suffix (text, "\n") ? "" : "\n");
}

TvScenario *
tv_cli_load (const char *path)
{
  g_autoptr(GError) error = NULL;
  TvScenario *scenario;

  g_return_val_if_fail (path != NULL, NULL);

  scenario = tv_scenario_load_file (path, NULL, &error);
  if (scenario != NULL)
    return scenario;

  if (error == NULL)
    g_printerr ("threadviz: %s: cannot load the scenario\n", path);
  else if (g_error_matches (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_INVALID))
    /* Already `FILE:LINE:COLUMN: message` with the line quoted, one per error. */
    print_block (error->message);
  else if (strstr (error->message, path) != NULL)
    g_printerr ("threadviz: %s\n", error->message);
  else
    g_printerr ("threadviz: %s: %s\n", path, error->message);
  return NULL;
}

gboolean
tv_cli_is_trace_file (const char *path)
{
  g_return_val_if_fail (path != NULL, FALSE);

  return g_str_has_suffix (path, ".tvt") || g_str_has_suffix (path, ".json");
}

TvTrace *
tv_cli_load_trace (const char *path)
{
  g_autoptr(GError) error = NULL;
  TvTrace *trace;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_str_has_suffix (path, ".json"))
    trace = tv_chrome_load (path, &error);
  else
    trace = tv_capture_load (path, NULL, NULL, NULL, &error);
  if (trace != NULL)
    return trace;

  /* The readers' messages start with the file's name already. */
  if (error != NULL && g_str_has_prefix (error->message, path))
    g_printerr ("threadviz: %s\n", error->message);
  else
    g_printerr ("threadviz: %s: %s\n", path,
                error != NULL ? error->message : "cannot read the trace");
  return NULL;
}

/* --- Option values -------------------------------------------------- */

gboolean
tv_cli_check_speed (double speed)
{
  /* Written so that NaN fails too. */
  if (speed >= TV_CLOCK_MIN_SPEED && speed <= TV_CLOCK_MAX_SPEED)
    return TRUE;

  g_printerr ("threadviz: --speed must be between %g and %g (scenario time "
              "per wall time), not %g\n",
              TV_CLOCK_MIN_SPEED, TV_CLOCK_MAX_SPEED, speed);
  return FALSE;
}

gboolean
tv_cli_parse_duration (const char *text,
                       gint64     *nanoseconds)
{
  static const struct { const char *unit; double scale; } units[] = {
    { "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 }, { "ns", 1 },
  };
  char *end = NULL;
  double value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (nanoseconds != NULL, FALSE);

  errno = 0;
  value = g_ascii_strtod (text, &end);
  if (end == text || errno != 0 || !isfinite (value) || value < 0)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      if (g_str_equal (end, units[i].unit))
        {
          double ns = value * units[i].scale;

          /* A week of scenario time is more than any lesson needs. */
          if (ns > 7.0 * 24 * 3600 * 1e9)
            return FALSE;
          *nanoseconds = (gint64) llround (ns);
          return TRUE;
        }
    }
  return FALSE;
}

/* --- Running headless ----------------------------------------------- */

static gboolean
signal_cb (gpointer user_data)
{
  guint *n_signals = user_data;

  if (++(*n_signals) > 1)
    {
      /* The first signal asked for a clean stop; a second one means the
       * user does not want to wait for it. */
      g_printerr ("interrupted again: quitting without waiting for the run\n");
      _exit (TV_CLI_EXIT_INTERRUPTED);
    }
  return G_SOURCE_CONTINUE;
}

static void
dispatch_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

gboolean
tv_cli_execute (TvScenario          *scenario,
                const TvCliRunSetup *setup,
                TvTrace             *trace,
                TvCliRunResult      *result)
{
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvCollector) collector = NULL;
  TvRecorder *recorder;
  guint n_signals = 0;
  guint sigint_id, sigterm_id;
  gboolean stopping = FALSE;
  guint64 dropped;

  g_return_val_if_fail (scenario != NULL, FALSE);
  g_return_val_if_fail (setup != NULL, FALSE);
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  memset (result, 0, sizeof *result);
  result->status = TV_RUN_READY;

  options.speed = setup->speed;
  options.print_fd = setup->print_fd;
  /* Rings that last while the collector waits for the CPU. */
  options.ring_capacity = tv_collector_ring_capacity_for (scenario);

  run = tv_run_new (scenario, &options, &error);
  if (run == NULL)
    {
      g_printerr ("threadviz: cannot prepare the run: %s\n",
                  error ? error->message : "unknown error");
      return FALSE;
    }
  recorder = tv_run_get_recorder (run);
  tv_trace_set_title (trace, scenario->title);

  /* Installed before the start, so that a Ctrl+C at any moment stops the
   * run cleanly instead of killing the process under its threads. */
  sigint_id = g_unix_signal_add (SIGINT, signal_cb, &n_signals);
  sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, &n_signals);

  /*
   * A thread recording flat out fills a ring in milliseconds: the collector
   * empties the rings from a thread of its own, and the loop below feeds
   * what it collected to the trace (and the writer) at its own pace.
   */
  collector = tv_collector_new (recorder, TV_COLLECTOR_INTERVAL_US);
  if (!tv_run_start (run, &error))
    {
      g_printerr ("threadviz: cannot start the run: %s\n",
                  error ? error->message : "unknown error");
      g_source_remove (sigint_id);
      g_source_remove (sigterm_id);
      return FALSE;
    }

  for (;;)
    {
      gboolean ended = tv_run_wait_timeout (run, TV_CLI_POLL_MS);

      tv_collector_feed_full (collector, trace, setup->writer, 0);
      if (ended)
        break;

      dispatch_pending ();
      if (stopping)
        continue;

      if (n_signals > 0)
        {
          stopping = TRUE;
          result->interrupted = TRUE;
          tv_run_stop (run);
        }
      else if (setup->until >= 0
               && tv_clock_now (tv_run_get_clock (run)) >= setup->until)
        {
          stopping = TRUE;
          result->reached_until = TRUE;
          tv_run_stop (run);
        }
    }

  tv_run_wait (run);
  /* Every event, up to the last one the run recorded. */
  tv_collector_stop (collector);
  tv_collector_feed_full (collector, trace, setup->writer, 0);
  dispatch_pending ();
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  result->status = tv_run_get_status (run);
  if (setup->writer != NULL)
    {
      tv_capture_writer_set_scenario (setup->writer, scenario->source);
      tv_capture_writer_set_title (setup->writer, scenario->title);
      tv_capture_writer_set_speed (setup->writer, setup->speed);
      tv_capture_writer_set_status (setup->writer, result->status);
    }
  result->error_message = g_strdup (tv_run_get_error_message (run));

  dropped = tv_trace_get_dropped (trace);
  if (dropped > 0)
    g_printerr ("threadviz: warning: %" G_GUINT64_FORMAT " events were dropped "
                "(a thread recorded faster than they were drained); the "
                "timeline has gaps\n", dropped);
  return TRUE;
}

int
tv_cli_finish (const TvCliRunResult *result)
{
  g_return_val_if_fail (result != NULL, TV_CLI_EXIT_RUN_ERROR);

  switch (result->status)
    {
    case TV_RUN_FINISHED:
      return TV_CLI_EXIT_OK;

    case TV_RUN_FAILED:
      if (result->error_message != NULL && result->error_message[0] != '\0')
        print_block (result->error_message);
      else
        g_printerr ("threadviz: the run failed\n");
      return TV_CLI_EXIT_RUN_ERROR;

    case TV_RUN_STOPPED:
      if (result->interrupted)
        {
          g_printerr ("interrupted\n");
          return TV_CLI_EXIT_INTERRUPTED;
        }
      if (result->reached_until)
        return TV_CLI_EXIT_OK;
      g_printerr ("threadviz: the run was stopped\n");
      return TV_CLI_EXIT_RUN_ERROR;

    case TV_RUN_READY:
    case TV_RUN_RUNNING:
    default:
      g_printerr ("threadviz: the run ended in state %s\n",
                  tv_run_status_to_string (result->status));
      return TV_CLI_EXIT_RUN_ERROR;
    }
}

void
tv_cli_run_result_clear (TvCliRunResult *result)
{
  g_clear_pointer (&result->error_message, g_free);
}

void
tv_cli_print_summary (TvTrace              *trace,
                      const TvCliRunResult *result)
{
  char seconds[G_ASCII_DTOSTR_BUF_SIZE];
  guint n_threads = 0;

  g_return_if_fail (TV_IS_TRACE (trace));
  g_return_if_fail (result != NULL);

  for (guint i = 0; i < tv_trace_get_n_threads (trace); i++)
    {
      if (tv_trace_get_thread (trace, i) != NULL)
        n_threads++;
    }

  /* g_ascii_formatd: the same decimal point whatever the locale, so that
   * scripts can read the summary. */
  g_ascii_formatd (seconds, sizeof seconds, "%.3f",
                   tv_trace_get_end_time (trace) / 1e9);

  g_printerr ("summary:\n"
              "  status:   %s\n"
              "  duration: %s s (scenario time)\n"
              "  threads:  %u\n"
              "  events:   %" G_GUINT64_FORMAT "\n"
              "  dropped:  %" G_GUINT64_FORMAT "\n",
              tv_run_status_to_string (result->status),
              seconds,
              n_threads,
              tv_trace_get_n_events (trace),
              tv_trace_get_dropped (trace));
}

#ifndef TV_WITH_EXPORT
gboolean
tv_cli_have_export (void)
{
  return FALSE;
}

int
tv_cli_command_export (int argc, char **argv)
{
  g_printerr ("threadviz: export is not available: this build has no "
              "renderer (ui/ was not built)\n");
  return TV_CLI_EXIT_USAGE;
}
#endif
