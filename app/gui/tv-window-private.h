/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-private.h: what tv-window.c (loading, running, the console) and
 * tv-window-actions.c (the actions, open and export dialogs) share.
 */
#pragma once

#include "tv-editor.h"
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
  TvEditor             *editor;
  GtkWidget            *export_button;
  GtkPaned             *editor_paned;
  GtkLabel             *editor_position;
  GtkLabel             *editor_title;
  GtkLabel             *pause_label;
  AdwSplitButton       *step_button;
  GMenu                *step_section;
  GtkAdjustment        *speed_adjustment;
  GtkMenuButton        *speed_button;
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

  /* The editor (tv-window-editor.c) */
  GPtrArray            *diagnostics;       /* TvDiagnostic of the editor's text */
  GFile                *pending_open;      /* to open once the unsaved changes are settled */
  void                (*after_save) (TvWindow *self); /* what a save asked by a question goes on with */
  guint                 reparse_id;
  guint                 orient_id;         /* editor beside or above the timeline */
  guint                 n_changes;         /* edits so far, to tell whether a save is current */

  /* Run control (tv-window-control.c) */
  int                   step_thread;       /* the thread Step runs, or -1 */
  guint                 n_step_threads;    /* threads the Step menu lists */
  guint                 showing_lines : 1; /* the editor shows where threads are */

  guint                 loading : 1;
  guint                 read_only : 1;     /* a shipped lesson: Save asks for a new file */
  guint                 close_confirmed : 1;
};

/* tv-window-actions.c */
void     tv_window_init_actions     (TvWindow   *self);
void     tv_window_update_actions   (TvWindow   *self);
void     tv_window_update_recent    (TvWindow   *self);
void     tv_window_export_to_path   (TvWindow   *self,
                                     const char *path,
                                     gboolean    visible_range_only,
                                     TvTheme     theme);

/* tv-window-editor.c */
void     tv_window_init_editor      (TvWindow   *self);
/* Parses the editor's text now if it changed; TRUE when it has no errors. */
gboolean tv_window_sync_scenario    (TvWindow   *self);
/* After loading: the text, and the parse of it (scenario or diagnostics). */
void     tv_window_editor_loaded    (TvWindow   *self,
                                     const char *text,
                                     GPtrArray  *diagnostics);
gboolean tv_window_is_modified      (TvWindow   *self);
/*
 * Asks what to do with unsaved changes, then calls `then` (unless the
 * user cancels); calls it at once when nothing is unsaved.
 */
void     tv_window_settle_changes   (TvWindow   *self,
                                     void      (*then) (TvWindow *self));
void     tv_window_save             (TvWindow   *self);
void     tv_window_save_as          (TvWindow   *self);
void     tv_window_console_diagnostics (TvWindow *self);
/* Console markup with every "file:line[:column]" of the scenario a link. */
char    *tv_window_link_locations   (TvWindow   *self,
                                     const char *text);
void     tv_window_update_titles    (TvWindow   *self);
/* Marks the lines of the run's errors (from the trace's problems). */
void     tv_window_mark_run_errors  (TvWindow   *self);

/* tv-window-control.c */
void     tv_window_init_control     (TvWindow   *self);
/* Called while a run goes on (poll) and when it ends. */
void     tv_window_update_control   (TvWindow   *self);
void     tv_window_control_run_ended (TvWindow  *self);

/* tv-window.c */
/* The scenario to run: after a load or a parse of the editor's text. */
void     tv_window_set_scenario     (TvWindow   *self,
                                     TvScenario *scenario);
/* The status line under the run: "Paused · 1.2 s · 12 events lost". */
void     tv_window_update_run_status (TvWindow  *self);
/* Opens `file` without asking about unsaved changes. */
void     tv_window_open_now         (TvWindow   *self,
                                     GFile      *file);
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
/* The same with Pango markup (links are scenario locations). */
void     tv_window_console_append_markup (TvWindow   *self,
                                          const char *markup,
                                          const char *tag);
gboolean tv_window_console_link_cb  (TvWindow   *self,
                                     const char *uri,
                                     GtkLabel   *label);
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
