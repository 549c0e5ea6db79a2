/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-parser.c: any bytes given to the scenario loader end in a scenario
 * or in load errors, never in a crash, a hang or a leak.  A scenario that
 * loads has its lines quoted as the editor does; load errors are formatted
 * as the window's underline tooltips are.
 */
#include "tv-fuzz.h"
#include "tv-scenario.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GPtrArray) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autofree char *text = NULL;
  g_autofree char *source = NULL;

  tv_fuzz_init ();

  /* The loader takes a length: give it a copy without a NUL after it, so
   * that ASan sees any read past the end. */
  text = tv_fuzz_copy (data, size);
  scenario = tv_scenario_parse ("fuzz.tvs", text, size, &diagnostics, &error);

  if (scenario == NULL)
    {
      if (error == NULL)
        g_error ("the parser failed without an error");
      if (diagnostics == NULL)
        g_error ("the parser failed without diagnostics");
      if (diagnostics->len == 0 && !g_error_matches (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_LIMIT))
        g_error ("the parser failed with no diagnostic: %s", error->message);
      source = g_strndup (text, size);
      for (guint i = 0; i < diagnostics->len; i++)
        {
          g_autofree char *message = NULL;

          message = tv_diagnostic_format (g_ptr_array_index (diagnostics, i), "fuzz.tvs", source);
          if (message == NULL)
            g_error ("a diagnostic could not be formatted");
        }
      return 0;
    }

  if (error != NULL)
    g_error ("the parser returned a scenario and an error: %s", error->message);
  if (scenario->n_bodies == 0 || scenario->main_body >= scenario->n_bodies)
    g_error ("a scenario without a main body");
  for (guint line = 1; line <= 3; line++)
    g_free (tv_scenario_dup_line (scenario, line));
  return 0;
}
