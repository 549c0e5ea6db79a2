/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-private.h: what tv-trace.c (the object, its queries and the
 * drain) and tv-trace-events.c (events → model) share.
 */
#pragma once

#include "tv-trace.h"

G_BEGIN_DECLS

/* Indexes and ids beyond these come from damaged trace files: ignored, so
 * that one bad event cannot make the trace allocate gigabytes. */
#define TV_TRACE_MAX_THREADS (1u << 20)
#define TV_TRACE_MAX_OBJECTS (1u << 20)

/* A thread's level-of-detail pyramid (tv-trace-summary.c). */
typedef struct _TvThreadSummary TvThreadSummary;

struct _TvTrace
{
  GObject     parent_instance;

  GPtrArray  *threads;    /* TvTraceThread *, by index; NULL for unseen */
  GPtrArray  *objects;    /* TvTraceObject *, by id; [0] stays NULL */
  GArray     *links;      /* TvLink, sorted by to_time */
  GArray     *prints;     /* TvPrint, sorted by time */
  GArray     *problems;   /* TvProblem, sorted by time */
  GArray     *pauses;     /* TvPauseMark, sorted by time */
  GPtrArray  *summaries;  /* TvThreadSummary *, by thread index, made on first query */

  /* Reused by every drain, so that draining allocates nothing once warm. */
  GArray     *scratch;    /* TvEvent */

  char       *title;
  gint64      end_time;
  guint64     n_events;
  guint64     dropped;
  guint       run_status;
  guint       finished : 1;
};

void _tv_trace_thread_free (gpointer data);
void _tv_trace_object_free (gpointer data);
void _tv_trace_print_clear (gpointer data);
void _tv_trace_problem_clear (gpointer data);

/* Sorts `events` (TvEvent) by time, stably, and adds them, resolving
 * string ids against `recorder`.  Returns how many (tv-trace.c). */
gsize _tv_trace_add_batch (TvTrace *self, GArray *events, TvRecorder *recorder);

void _tv_thread_summary_free (gpointer data);
/* Span `span` of thread `thread` (and every later one) changed. */
void _tv_trace_summary_invalidate (TvTrace *self, guint thread, guint span);

G_END_DECLS
