/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-summary.h: level of detail for a thread's spans.
 *
 * The trace keeps, for each thread, a pyramid over its spans (kept up to
 * date as spans arrive, rebuilt only from where an out-of-order event
 * landed).  tv_trace_thread_query() uses it to describe any time range at a
 * given width in pixels with at most about one segment per pixel, whatever
 * the number of spans: drawing a row of a million spans then costs what a
 * row of a thousand does.
 */
#pragma once

#include "tv-trace.h"

G_BEGIN_DECLS

/* A piece of a thread's row, as it should be drawn. */
typedef struct
{
  gint64   start;
  gint64   end;          /* > start */
  guint32  object;       /* what the dominant span waits for, or 0 */
  guint32  aux;          /* its aux (TV_STATE_JOIN: the joined thread) */
  guint16  line;         /* its scenario line */
  guint8   state;        /* TvThreadState covering most of [start, end) */
  guint8   summary;      /* TRUE: stands for spans thinner than a pixel */
  guint32  states;       /* bit (1 << state) of every state seen in it */
  guint    first_span;   /* thread->spans[first_span] is the first span in it */
  guint    n_spans;      /* how many spans it covers (at least 1) */
} TvTraceSegment;

typedef void (*TvTraceSegmentFunc) (const TvTraceSegment *segment,
                                    gpointer              user_data);

/*
 * Calls `func`, in time order, for the segments of thread `thread` that
 * cover [start, end) drawn `n_pixels` wide.  A span at least a pixel wide
 * is its own segment (merged with a neighbour of the same state, object
 * and aux, so that joins of different threads stay apart); where spans are thinner, each pixel column is one segment in the
 * state that covers most of it (approximately, from the summaries), and
 * consecutive columns of one state merge.  So there are at most about
 * `n_pixels` calls, and the cost is O(n_pixels × log n_spans).
 * Segments of state TV_STATE_TERMINATED are given too (callers skip them).
 * The last span ends at the thread's end, or at the trace's end time.
 * Returns the number of segments.
 */
guint tv_trace_thread_query (TvTrace            *self,
                             guint               thread,
                             gint64              start,
                             gint64              end,
                             guint               n_pixels,
                             TvTraceSegmentFunc  func,
                             gpointer            user_data);

/* The same, for a live view: the last span of a thread still alive ends at
 * `now` when that is later than the trace's end time. */
guint tv_trace_thread_query_until (TvTrace            *self,
                                   guint               thread,
                                   gint64              start,
                                   gint64              end,
                                   guint               n_pixels,
                                   gint64              now,
                                   TvTraceSegmentFunc  func,
                                   gpointer            user_data);

/* The bytes the trace holds for its model and summaries (array capacities
 * and strings not counted exactly: for benchmarks and the status bar). */
gsize tv_trace_get_memory_size (TvTrace *self);

G_END_DECLS
