/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c: `threadviz` opens the window (when this build has one) or runs a
 * command of the command line: run, export, check (see docs/cli.md).
 */
#include "config.h"

#include <locale.h>

#include "tv-cli.h"

#ifdef TV_WITH_TRACE
# include <string.h>
# include "tv-trace-cmd.h"
#endif

#if HAVE_GUI && defined (TV_WITH_GUI)
# include "tv-gui.h"
# define TV_HAVE_WINDOW 1
#else
# define TV_HAVE_WINDOW 0
#endif

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

#ifdef TV_WITH_TRACE
  /* `threadviz trace -- CMD`: never the window, whatever CMD looks like. */
  if (argc > 1 && strcmp (argv[1], "trace") == 0)
    return tv_trace_cmd_main (argc - 1, argv + 1);
#endif

#if TV_HAVE_WINDOW
  if (tv_cli_wants_window (argc, argv))
    return tv_gui_main (argc, argv);
#endif

  return tv_cli_main (argc, argv, TV_HAVE_WINDOW);
}
