/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-gui.h: the one entry point main.c calls when it starts the window.
 */
#pragma once

/* Runs the application (argv as given to main); returns the exit status. */
int tv_gui_main (int    argc,
                 char **argv);
