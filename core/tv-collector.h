/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-collector.h: empties a recorder's rings from a thread of its own.
 *
 * A consumer that drains only at its frame rate (the UI's tick, the CLI's
 * 20 ms poll) lets a thread recording flat out fill its ring in a
 * millisecond, and the rest is dropped.  A collector moves events out of
 * the rings every `interval_us` (a copy: a few ns per event) into a staging
 * buffer, and the trace's own thread adds them to the trace at its pace
 * with tv_collector_feed().  The rings then only need to hold what is
 * recorded between two collections.  While nothing is recorded the
 * collector looks less often (up to 16 × `interval_us`).  (Collecting
 * again at once while a ring fills fast was tried: on 2 cores the spinning
 * collector competes with the recording threads, and more is dropped.)
 */
#pragma once

#include "tv-recorder.h"
#include "tv-trace.h"

G_BEGIN_DECLS

typedef struct _TvCollector TvCollector;

/* Starts collecting from `recorder` (which must outlive the collector).
 * Nobody else may drain the recorder while the collector runs. */
TvCollector *tv_collector_new (TvRecorder *recorder,
                               guint       interval_us);

/* Stops the thread after a last collection; staged events not fed are
 * lost, so feed once more after tv_collector_stop(). */
void         tv_collector_stop (TvCollector *self);
void         tv_collector_free (TvCollector *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvCollector, tv_collector_free)

/*
 * On the trace's thread: adds every event collected so far to `trace`
 * (sorted by time, strings resolved like tv_trace_drain()) and emits
 * ::changed if any.  Returns the number of events added.
 */
gsize        tv_collector_feed (TvCollector *self,
                                TvTrace     *trace);

/* Events staged and not yet fed (for the status bar and benchmarks). */
gsize        tv_collector_get_pending (TvCollector *self);

G_END_DECLS
