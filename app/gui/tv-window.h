/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window.h: the main window.  One scenario at a time: its lessons
 * sidebar, its run (Run / Stop), the live timeline and the console.
 */
#pragma once

#include <adwaita.h>

#include "tv-application.h"
#include "tv-editor.h"
#include "tv-scenario.h"
#include "tv-timeline.h"

G_BEGIN_DECLS

#define TV_TYPE_WINDOW (tv_window_get_type ())
G_DECLARE_FINAL_TYPE (TvWindow, tv_window, TV, WINDOW, AdwApplicationWindow)

TvWindow   *tv_window_new               (TvApplication *application);

/* Loads `file` in a worker thread; load errors go to the console. */
void        tv_window_open              (TvWindow      *self,
                                         GFile         *file);

/* The loaded scenario, or NULL (none, or it has errors). */
TvScenario *tv_window_get_scenario      (TvWindow      *self);
GFile      *tv_window_get_file          (TvWindow      *self);
gboolean    tv_window_is_loading        (TvWindow      *self);
gboolean    tv_window_is_running        (TvWindow      *self);
TvTimeline *tv_window_get_timeline      (TvWindow      *self);
TvEditor   *tv_window_get_editor        (TvWindow      *self);

/* Everything the console shows, as plain text. */
char       *tv_window_dup_console_text  (TvWindow      *self);

G_END_DECLS
