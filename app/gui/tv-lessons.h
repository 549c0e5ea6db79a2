/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-lessons.h: the shipped scenarios, read at run time from the lesson
 * folder so that a teacher can add one without rebuilding.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char  *path;
  char  *title;      /* the scenario's `title`, or its file name */
  char  *about;      /* its `about`, or NULL */
  guint  number;     /* N of a leading "# Lesson N:" comment, or G_MAXUINT */
} TvLesson;

void        tv_lesson_free             (TvLesson *lesson);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvLesson, tv_lesson_free)

/*
 * The folder the lessons are in: $TV_SCENARIO_DIR, else the build's
 * TV_SCENARIO_DIR when it exists, else DATADIR/threadviz/scenarios.
 */
char       *tv_lessons_dup_directory   (void);

/* Reads and parses every .tvs of `directory` in a worker thread. */
void        tv_lessons_load_async      (const char          *directory,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
/* A GPtrArray of TvLesson in lesson order, or NULL with `error` set. */
GPtrArray  *tv_lessons_load_finish     (GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
