/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-editor.h: the scenario editor, a GtkSourceView with the `.tvs`
 * language, a style scheme that follows the light or dark style, and the
 * marks the window puts on it: load errors (underlined, message on hover),
 * run-time errors (their line) and where each thread is while a run is
 * paused (the line, in the thread's colour).
 *
 * The widget knows nothing of files or runs: the window reads and writes
 * the text and tells it what to mark.
 */
#pragma once

#include <gtksourceview/gtksource.h>

#include "tv-scenario.h"

G_BEGIN_DECLS

#define TV_TYPE_EDITOR (tv_editor_get_type ())
G_DECLARE_FINAL_TYPE (TvEditor, tv_editor, TV, EDITOR, GtkWidget)

/* Where a thread stands, for tv_editor_set_thread_lines(). */
typedef struct
{
  guint       line;        /* 1-based scenario line */
  guint       thread;      /* the trace's thread index (its colour) */
  const char *name;
  const char *how;         /* "paused", "waiting", "running" */
} TvEditorThreadLine;

GtkWidget       *tv_editor_new               (void);

GtkSourceBuffer *tv_editor_get_buffer        (TvEditor                 *self);
GtkSourceView   *tv_editor_get_view          (TvEditor                 *self);

/* Replaces the text: not undoable, unmodified, the cursor at the start. */
void             tv_editor_set_text          (TvEditor                 *self,
                                              const char               *text);
char            *tv_editor_dup_text          (TvEditor                 *self);

/* Underlines each TvDiagnostic at its line and column (NULL clears). */
void             tv_editor_set_diagnostics   (TvEditor                 *self,
                                              GPtrArray                *diagnostics);
/* Marks a run-time error's line (1-based). */
void             tv_editor_add_error_line    (TvEditor                 *self,
                                              guint                     line,
                                              const char               *message);
void             tv_editor_clear_error_lines (TvEditor                 *self);

/* Colours the lines the threads stand on (n = 0 clears). */
void             tv_editor_set_thread_lines  (TvEditor                 *self,
                                              const TvEditorThreadLine *lines,
                                              guint                     n_lines);

/* The message marked at 1-based `line`, `column` (characters), or NULL. */
const char      *tv_editor_get_message_at    (TvEditor                 *self,
                                              guint                     line,
                                              guint                     column);
/* The names marked on `line` ("worker-1 paused"), or NULL; a new string. */
char            *tv_editor_dup_threads_at    (TvEditor                 *self,
                                              guint                     line);

/* Scrolls `line` (1-based) into view, leaving the cursor and focus alone. */
void             tv_editor_show_line         (TvEditor                 *self,
                                              guint                     line);

/* Puts the cursor at 1-based `line`, `column`, scrolls to it, focuses. */
void             tv_editor_jump_to           (TvEditor                 *self,
                                              guint                     line,
                                              guint                     column);

G_END_DECLS
