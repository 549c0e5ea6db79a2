/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-cli-export.c: `threadviz export`, a scenario's timeline as PNG, SVG or
 * PDF, with no display.  Built only when ui/'s exporter is.
 */
#define G_LOG_DOMAIN "threadviz-cli"

#include "config.h"

#include <string.h>

#include "tv-chrome-export.h"
#include "tv-cli.h"
#include "tv-export.h"

gboolean
tv_cli_have_export (void)
{
  return TRUE;
}

/* "START:END", either side a time (5s, 250ms, 1.5) or empty for the run's
 * start or end.  The end is resolved once the run has ended. */
static gboolean
parse_range (const char *text,
             gint64     *start,
             gint64     *end)
{
  g_auto(GStrv) sides = g_strsplit (text, ":", -1);

  if (g_strv_length (sides) != 2)
    return FALSE;

  *start = 0;
  *end = -1;
  if (sides[0][0] != '\0' && !tv_cli_parse_duration (sides[0], start))
    return FALSE;
  if (sides[1][0] != '\0' && !tv_cli_parse_duration (sides[1], end))
    return FALSE;
  return *end < 0 || *start < *end;
}

int
tv_cli_command_export (int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *range_text = NULL;
  g_autofree char *until_text = NULL;
  g_auto(GStrv) files = NULL;
  double speed = 1.0;
  double scale = 1.0;
  int width = 0;
  gboolean dark = FALSE;
  g_autofree char *theme = NULL;
  gboolean no_title = FALSE;
  gboolean no_legend = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Write to OUT; .png, .svg, .pdf or .json (Chrome trace) gives the format", "OUT" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale,
      "PNG: pixels per point, 0.5 to 4 (default 1)", "S" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width,
      "Width in points, 320 to 10000 (default 1600)", "W" },
    { "range", 0, 0, G_OPTION_ARG_STRING, &range_text,
      "Draw only this span (0:2s, 500ms:1.5s, 1s:)", "START:END" },
    { "theme", 0, 0, G_OPTION_ARG_STRING, &theme,
      "light (the default) or dark", "THEME" },
    { "dark", 0, 0, G_OPTION_ARG_NONE, &dark,
      "Use the dark theme (the same as --theme dark)", NULL },
    { "no-title", 0, 0, G_OPTION_ARG_NONE, &no_title,
      "Leave out the title", NULL },
    { "no-legend", 0, 0, G_OPTION_ARG_NONE, &no_legend,
      "Leave out the legend", NULL },
    { "speed", 's', 0, G_OPTION_ARG_DOUBLE, &speed,
      "Run at F times real time, 0.1 to 10 (default 1)", "F" },
    { "until", 0, 0, G_OPTION_ARG_STRING, &until_text,
      "Stop the run at this scenario time (5s, 250ms)", "TIME" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
      NULL, "FILE.tvs|tvt|json" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("-o OUT.png|svg|pdf|json");
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvTrace) trace = NULL;
  TvExportOptions options;
  TvCliRunSetup setup = { 1.0, -1, -1, NULL };
  gboolean json = FALSE;
  TvCliRunResult result;
  gint64 range_start = -1, range_end = -1;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Runs a scenario headless to its end (no display needed) and draws its\n"
    "timeline, as the window shows it, to a PNG, SVG or PDF file, or writes\n"
    "it as Chrome trace JSON (.json: Perfetto UI, chrome://tracing).  The\n"
    "picture is in scenario time: --speed changes only how long it takes.\n"
    "The input may also be a saved trace (.tvt) or a Chrome trace (.json):\n"
    "it is drawn as it was recorded, with no run.");
  g_option_context_set_description (context,
    "Examples:\n"
    "  threadviz export data/scenarios/deadlock.tvs -o deadlock.png --scale 2\n"
    "  threadviz export data/scenarios/gil-cpu.tvs -o gil-cpu.svg --speed 4\n"
    "  threadviz export data/scenarios/race.tvs -o race.pdf --range 0:20ms --dark\n"
    "  threadviz export run.tvt -o run.json\n"
    "\n"
    "A run that ends in a deadlock or another run-time error is still drawn\n"
    "(the error is reported on stderr): showing it is often the point.\n"
    "\n"
    "Exit status: 0 the image was written, 1 load errors, a bad trace\n"
    "file, an unknown output format or an output that cannot be written,\n"
    "2 the run could not be made, 64 bad command line, 130 interrupted\n"
    "(what ran until then is still drawn).\n");

  if (!tv_cli_parse_options (context, "export", argc, argv))
    return TV_CLI_EXIT_USAGE;

  if (files == NULL || files[0] == NULL || files[1] != NULL)
    {
      g_printerr ("threadviz export: %s\nTry 'threadviz export --help'.\n",
                  files == NULL || files[0] == NULL ? "no scenario file given"
                                                    : "give one scenario file");
      return TV_CLI_EXIT_USAGE;
    }

  tv_export_options_init (&options);
  json = output != NULL && g_str_has_suffix (output, ".json");
  if (output == NULL)
    {
      g_printerr ("threadviz export: say where to write the image with -o OUT.png, "
                  "OUT.svg, OUT.pdf or OUT.json\n");
      return TV_CLI_EXIT_USAGE;
    }
  if (!json && !tv_export_format_from_path (output, &options.format))
    {
      g_printerr ("threadviz export: '%s': the name must end in .png, .svg, .pdf or .json\n",
                  output);
      return TV_CLI_EXIT_OUTPUT_ERROR;
    }
  if (!(scale >= 0.5 && scale <= 4.0))
    {
      g_printerr ("threadviz export: --scale must be between 0.5 and 4, not %g\n",
                  scale);
      return TV_CLI_EXIT_USAGE;
    }
  if (width != 0 && (width < 320 || width > 10000))
    {
      g_printerr ("threadviz export: --width must be between 320 and 10000, not %d\n",
                  width);
      return TV_CLI_EXIT_USAGE;
    }
  if (range_text != NULL && !parse_range (range_text, &range_start, &range_end))
    {
      g_printerr ("threadviz export: --range wants START:END with START before "
                  "END, e.g. 0:2s or 500ms:, not '%s'\n", range_text);
      return TV_CLI_EXIT_USAGE;
    }
  if (theme != NULL && g_strcmp0 (theme, "light") != 0 && g_strcmp0 (theme, "dark") != 0)
    {
      g_printerr ("threadviz export: --theme is light or dark, not '%s'\n", theme);
      return TV_CLI_EXIT_USAGE;
    }
  if (!tv_cli_check_speed (speed))
    return TV_CLI_EXIT_USAGE;
  if (until_text != NULL && !tv_cli_parse_duration (until_text, &setup.until))
    {
      g_printerr ("threadviz export: --until wants a time such as 5s or 250ms, "
                  "not '%s'\n", until_text);
      return TV_CLI_EXIT_USAGE;
    }
  setup.speed = speed;

  options.scale = scale;
  if (width != 0)
    options.width = width;
  options.theme = dark || g_strcmp0 (theme, "dark") == 0 ? TV_THEME_DARK : TV_THEME_LIGHT;
  options.title = !no_title;
  options.legend = !no_legend;

  if (tv_cli_is_trace_file (files[0]))
    {
      /* A recorded run: drawn as it was, nothing to run. */
      trace = tv_cli_load_trace (files[0]);
      if (trace == NULL)
        return TV_CLI_EXIT_LOAD_ERROR;
      status = TV_CLI_EXIT_OK;
    }
  else
    {
      scenario = tv_cli_load (files[0]);
      if (scenario == NULL)
        return TV_CLI_EXIT_LOAD_ERROR;

      trace = tv_trace_new ();
      if (!tv_cli_execute (scenario, &setup, trace, &result))
        return TV_CLI_EXIT_RUN_ERROR;

      /* A failed run is reported, then drawn anyway. */
      status = tv_cli_finish (&result);
      if (status == TV_CLI_EXIT_RUN_ERROR && result.status == TV_RUN_FAILED)
        status = TV_CLI_EXIT_OK;
      tv_cli_run_result_clear (&result);
    }

  if (range_text != NULL)
    {
      gint64 run_end = tv_trace_get_end_time (trace);

      options.start = range_start;
      options.end = range_end >= 0 ? range_end : run_end;
      if (options.start >= options.end)
        {
          g_printerr ("threadviz export: the range starts after the run's end\n");
          return TV_CLI_EXIT_USAGE;
        }
    }

  if (json)
    {
      /* The whole trace: --range, --width and the theme are for pictures. */
      if (!tv_chrome_export (trace, output, &error))
        {
          g_printerr ("threadviz export: %s\n", error->message);
          return TV_CLI_EXIT_OUTPUT_ERROR;
        }
      return status;
    }
  if (!tv_export_to_file (trace, &options, output, &error))
    {
      g_printerr ("threadviz export: %s\n", error->message);
      return TV_CLI_EXIT_OUTPUT_ERROR;
    }
  return status;
}
