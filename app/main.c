/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c: `threadviz` opens the window (when this build has one) or runs a
 * command of the command line: run, export, check (see docs/cli.md).
 */
#include "config.h"

#include <locale.h>

#include "tv-cli.h"

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

#if TV_HAVE_WINDOW
  if (tv_cli_wants_window (argc, argv))
    return tv_gui_main (argc, argv);
#endif

  return tv_cli_main (argc, argv, TV_HAVE_WINDOW);
}
