/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-private.h: what tv-window.c (loading, running, the console) and
 * tv-window-actions.c (the actions, open and export dialogs) share.
 */
#pragma once

#include "tv-renderer.h"
#include "tv-run.h"
#include "tv-timeline-view.h"
#include "tv-trace.h"
#include "tv-window.h"

G_BEGIN_DECLS

typedef struct _TvWindowFiles TvWindowFiles;

struct _TvWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwFlap              *flap;
  GtkEntry             *range_entry;
  GtkLabel             *run_status_label;
  GtkStack             *run_stack;
  GtkBox               *console_box;
  GtkScrolledWindow    *console_scroller;
  GtkWidget            *timeline_bar;
  AdwHeaderBar         *header_bar;
  AdwStatusPage        *intro_page;
  GtkListBox           *lesson_list;
  GtkStack             *main_stack;
  AdwSplitButton       *open_button;
  GtkPaned             *paned;
  GMenu                *recent_section;
  GtkSearchEntry       *filter_entry;
  AdwHeaderBar         *sidebar_header;
  TvTimeline           *timeline;
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;

  /* Owned */
  GFile                *file;
  TvScenario           *scenario;
  TvTrace              *trace;
  TvTimelineView       *view;
  TvRun                *run;
  GCancellable         *cancellable;       /* lessons and exports; cancelled on close */
  GCancellable         *load_cancellable;  /* the scenario being loaded */
  GPtrArray            *lessons;           /* TvLesson */
  GSettings            *settings;          /* NULL when the schema is not installed */
  double                speed;
  guint                 n_prints_shown;
  guint                 n_problems_shown;
  guint                 poll_id;
  guint                 console_scroll_id;
  guint                 n_console_lines;
  gulong                trace_changed_id;
  gulong                recent_changed_id;

  /* Trace files and traced programs (tv-window-files.c, tv-window-program.c) */
  TvWindowFiles        *files;

  guint                 loading : 1;
};

/* tv-window-actions.c */
void     tv_window_init_actions     (TvWindow   *self);
void     tv_window_update_actions   (TvWindow   *self);
void     tv_window_update_recent    (TvWindow   *self);
void     tv_window_export_to_path   (TvWindow   *self,
                                     const char *path,
                                     gboolean    visible_range_only,
                                     TvTheme     theme);

/* tv-window.c */
void     tv_window_run              (TvWindow   *self);
void     tv_window_stop             (TvWindow   *self);
void     tv_window_set_speed        (TvWindow   *self,
                                     double      speed);
void     tv_window_save_speed       (TvWindow   *self,
                                     const char *speed);
void     tv_window_console_clear    (TvWindow   *self);
/* Appends `text` and a new line; `tag` is NULL, "dim", "error" or "warning". */
void     tv_window_console_append   (TvWindow   *self,
                                     const char *text,
                                     const char *tag);
void     tv_window_toast            (TvWindow   *self,
                                     const char *title);
/* Shows `trace` (and its prints in the console): opened files, programs. */
void     tv_window_set_trace        (TvWindow   *self,
                                     TvTrace    *trace);
/* The run buttons and actions as for a run that goes on (or not). */
void     tv_window_set_running      (TvWindow   *self,
                                     gboolean    running);

/* tv-window-files.c: Save Trace, opening .tvt and .json, JSON export */
void     tv_window_files_init       (TvWindow   *self);
void     tv_window_files_dispose    (TvWindow   *self);
void     tv_window_files_update_actions (TvWindow *self);
/* A new run: its events are recorded so that Save Trace can keep them. */
void     tv_window_files_run_started (TvWindow  *self);
/* Whether `file` is a trace (.tvt, .json) rather than a scenario. */
gboolean tv_window_files_is_trace   (GFile      *file);
void     tv_window_files_open_trace (TvWindow   *self,
                                     GFile      *file);
void     tv_window_files_add_open_filters (GtkFileChooser *chooser);
/* Writes the current trace as Chrome trace JSON (the Export dialog). */
void     tv_window_files_export_json (TvWindow  *self,
                                      const char *path);

/* tv-window-program.c: Trace a Program… */
gboolean tv_window_program_is_running (TvWindow *self);
/* Stop: SIGTERM, then SIGKILL if it does not end; the trace is kept. */
void     tv_window_program_stop     (TvWindow   *self);
/* Ends a traced program at once (the window closes or opens something). */
void     tv_window_program_abandon  (TvWindow   *self);

G_END_DECLS
