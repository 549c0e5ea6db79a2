/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-collector.h: empties a recorder's rings from a thread of its own.
 *
 * A consumer that drains only at its frame rate (the UI's tick, the CLI's
 * 20 ms poll) lets a thread recording flat out fill its ring in a
 * millisecond, and the rest is dropped.  A collector moves events out of
 * the rings every `interval_us` (a copy: a few ns per event), sorts each
 * collection by time and queues it in chunks, and the trace's own thread
 * adds them to the trace at its pace with tv_collector_feed().  The rings
 * then only need to hold what is recorded between two collections.  While
 * nothing is recorded the collector looks less often (up to 16 ×
 * `interval_us`).  While it runs, a producer whose ring is full waits for
 * it (up to 10 s) instead of dropping: the scheduler may leave the
 * collector waiting for the CPU longer than a ring lasts, and a gap in the
 * timeline is worse than a thread held up for that long.  (Collecting
 * again at once while a ring fills fast was tried: on 2 cores the spinning
 * collector competes with the recording threads, and more is dropped.)
 *
 * `threadviz run`, `threadviz export` and the window's live timeline all
 * collect this way (docs/performance.md, "Live recording").
 */
#pragma once

#include "tv-capture-writer.h"
#include "tv-recorder.h"
#include "tv-scenario.h"
#include "tv-trace.h"

G_BEGIN_DECLS

/* How often the consumers of a live run collect (docs/performance.md). */
#define TV_COLLECTOR_INTERVAL_US 100

/* A collection is queued in chunks of at most this many events (128 KiB),
 * and a bounded feed takes whole chunks: small enough that a frame's share
 * of the feed stops within a millisecond or so of its budget. */
#define TV_COLLECTOR_CHUNK_EVENTS 4096

typedef struct _TvCollector TvCollector;

/* Starts collecting from `recorder` (which must outlive the collector).
 * Nobody else may drain the recorder while the collector runs. */
TvCollector *tv_collector_new (TvRecorder *recorder,
                               guint       interval_us);

/* Stops the thread after a last collection (producers no longer wait for
 * room); queued events are kept: feed once more after tv_collector_stop(). */
void         tv_collector_stop (TvCollector *self);
void         tv_collector_free (TvCollector *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvCollector, tv_collector_free)

/*
 * On the trace's thread: adds every event collected so far to `trace`
 * (in time order, strings resolved like tv_trace_drain()) and emits
 * ::changed if any.  Returns the number of events added.
 */
gsize        tv_collector_feed (TvCollector *self,
                                TvTrace     *trace);

/*
 * Like tv_collector_feed(), and also hands every event to `writer` (NULL
 * for none) exactly as tv_capture_writer_drain() would.  With `max_events`
 * > 0, feeds chunks (TV_COLLECTOR_CHUNK_EVENTS at most), oldest first,
 * until about that many are fed (at least one chunk), so that a frame's
 * share stays bounded; the rest waits for the next call.  0 feeds
 * everything.
 */
gsize        tv_collector_feed_full (TvCollector     *self,
                                     TvTrace         *trace,
                                     TvCaptureWriter *writer,
                                     gsize            max_events);

/* Events staged and not yet fed (for the status bar and benchmarks). */
gsize        tv_collector_get_pending (TvCollector *self);

/*
 * Flow control for a consumer slower than the recording (the window, which
 * feeds a frame's share at a time): while `max_pending` events (0, the
 * default: no limit) wait to be fed, the collector leaves the rings alone
 * and their producers wait for room.  The run then goes at the pace the
 * consumer takes its events, instead of piling up a backlog that the
 * picture would lag behind.
 */
void         tv_collector_set_max_pending (TvCollector *self,
                                           gsize        max_pending);

/* How close the rings came to overflowing, for benchmarks and docs. */
typedef struct
{
  guint64 collections;   /* collections that found events */
  guint64 high_water;    /* most events one ring held at one collection */
  guint64 max_gap_ns;    /* longest time between two collections */
} TvCollectorStats;

void         tv_collector_get_stats (TvCollector      *self,
                                     TvCollectorStats *stats);

/*
 * The ring size (events per thread) for a collected run with `n_rings`
 * rings: what a thread recording flat out fills while the collector waits
 * for the CPU, with a margin, within one budget for all the rings
 * (docs/performance.md, "Live recording").  _for: a run of `scenario`.
 */
guint32      tv_collector_ring_capacity (guint n_rings);
guint32      tv_collector_ring_capacity_for (const TvScenario *scenario);

G_END_DECLS
