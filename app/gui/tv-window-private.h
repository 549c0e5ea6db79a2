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

G_END_DECLS
