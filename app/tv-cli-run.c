/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-cli-run.c: `threadviz run` and `threadviz check`.
 */
#define G_LOG_DOMAIN "threadviz-cli"

#include "config.h"

#include <unistd.h>

#include "tv-cli.h"

int
tv_cli_command_run (int argc, char **argv)
{
  double speed = 1.0;
  gboolean summary = FALSE;
  g_autofree char *until_text = NULL;
  g_autofree char *save_path = NULL;
  g_auto(GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { "speed", 's', 0, G_OPTION_ARG_DOUBLE, &speed,
      "Play at F times real time, 0.1 to 10 (default 1)", "F" },
    { "summary", 0, 0, G_OPTION_ARG_NONE, &summary,
      "At the end, print a summary to stderr", NULL },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until_text,
      "Stop cleanly at this scenario time (5s, 250ms)", "TIME" },
    { "save", 0, 0, G_OPTION_ARG_FILENAME, &save_path,
      "Save the run as a trace file (.tvt) that the window opens", "OUT.tvt" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
      NULL, "FILE.tvs" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(TvCaptureWriter) writer = NULL;
  g_autoptr(GError) error = NULL;
  TvCliRunSetup setup = { 1.0, STDOUT_FILENO, -1, NULL };
  TvCliRunResult result;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Runs a scenario on real threads in the terminal, without a window.\n"
    "The lines it prints go to stdout, one per line, in the order they were\n"
    "printed; errors and the summary go to stderr.  Ctrl+C stops it cleanly.\n"
    "Every time shown is scenario time: --speed changes only how long the\n"
    "run takes.  --until ends a scenario that loops forever.  --save keeps\n"
    "the run in a .tvt file (also an interrupted or failed one).");
  g_option_context_set_description (context,
    "Examples:\n"
    "  threadviz run data/scenarios/race.tvs\n"
    "  threadviz run data/scenarios/gil-cpu.tvs --speed 4 --summary\n"
    "  threadviz run data/scenarios/producer-consumer.tvs --until 10s\n"
    "  threadviz run data/scenarios/deadlock.tvs --save deadlock.tvt\n"
    "\n"
    "Exit status: 0 the run ended normally (or at --until), 1 load errors,\n"
    "2 run-time error (deadlock, stall, release of a lock not held...),\n"
    "64 bad command line, 130 interrupted (SIGINT or SIGTERM).\n");

  if (!tv_cli_parse_options (context, "run", argc, argv))
    return TV_CLI_EXIT_USAGE;

  if (files == NULL || files[0] == NULL || files[1] != NULL)
    {
      g_printerr ("threadviz run: %s\nTry 'threadviz run --help'.\n",
                  files == NULL || files[0] == NULL ? "no scenario file given"
                                                    : "give one scenario file");
      return TV_CLI_EXIT_USAGE;
    }
  if (!tv_cli_check_speed (speed))
    return TV_CLI_EXIT_USAGE;
  if (until_text != NULL && !tv_cli_parse_duration (until_text, &setup.until))
    {
      g_printerr ("threadviz run: --until wants a time such as 5s or 250ms, "
                  "not '%s'\n", until_text);
      return TV_CLI_EXIT_USAGE;
    }
  setup.speed = speed;

  scenario = tv_cli_load (files[0]);
  if (scenario == NULL)
    return TV_CLI_EXIT_LOAD_ERROR;

  trace = tv_trace_new ();
  if (save_path != NULL)
    setup.writer = writer = tv_capture_writer_new ();
  if (!tv_cli_execute (scenario, &setup, trace, &result))
    return TV_CLI_EXIT_RUN_ERROR;

  status = tv_cli_finish (&result);
  /* Saved whatever the run's end: a deadlock is worth keeping. */
  if (writer != NULL && !tv_capture_writer_save (writer, save_path, &error))
    {
      g_printerr ("threadviz run: %s\n", error->message);
      if (status == TV_CLI_EXIT_OK)
        status = TV_CLI_EXIT_RUN_ERROR;
    }
  if (summary)
    tv_cli_print_summary (trace, &result);
  tv_cli_run_result_clear (&result);
  return status;
}

int
tv_cli_command_check (int argc, char **argv)
{
  g_auto(GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
      NULL, "FILE.tvs…" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  int status = TV_CLI_EXIT_OK;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Loads scenarios without running them.  Every load error is printed to\n"
    "stderr as FILE:LINE:COLUMN: message, with the line quoted; a file\n"
    "without errors is reported as 'FILE: ok' on stdout.");
  g_option_context_set_description (context,
    "Examples:\n"
    "  threadviz check data/scenarios/*.tvs\n"
    "\n"
    "Exit status: 0 every file loads, 1 some file has load errors or cannot\n"
    "be read, 64 bad command line.\n");

  if (!tv_cli_parse_options (context, "check", argc, argv))
    return TV_CLI_EXIT_USAGE;

  if (files == NULL || files[0] == NULL)
    {
      g_printerr ("threadviz check: no scenario file given\n"
                  "Try 'threadviz check --help'.\n");
      return TV_CLI_EXIT_USAGE;
    }

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autoptr(TvScenario) scenario = tv_cli_load (files[i]);

      if (scenario == NULL)
        status = TV_CLI_EXIT_LOAD_ERROR;
      else
        printf ("%s: ok\n", files[i]);
    }
  return status;
}
