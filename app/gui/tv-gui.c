/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-gui"

#include "config.h"

#include "tv-application.h"
#include "tv-gui.h"

int
tv_gui_main (int    argc,
             char **argv)
{
  g_autoptr(TvApplication) app = NULL;

  tv_application_choose_renderer ();
  app = tv_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
