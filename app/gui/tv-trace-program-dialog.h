/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-program-dialog.h: "Trace a Program…", a command line and a
 * working folder for a real program to run under the tracer, its events
 * streamed into the window's live timeline (tv-window-program.c).
 */
#pragma once

#include "tv-window.h"

G_BEGIN_DECLS

/* Shows the dialog over `window`; Trace starts the program there. */
void     tv_trace_program_dialog_present (TvWindow    *window);

/* tv-window-program.c: starts `argv` in `cwd` (NULL: ours) under the
 * tracer, live in `window`.  Errors name the program and say why. */
gboolean tv_window_program_start         (TvWindow    *window,
                                          char       **argv,
                                          const char  *cwd,
                                          GError     **error);

G_END_DECLS
