/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-timeline.h: the live timeline widget.
 *
 * Draws a TvTrace through the one renderer (tv-renderer.h) and changes a
 * TvTimelineView from the pointer and the keyboard.  While a run goes on,
 * it drains the run's recorder into the trace on every frame and emits
 * ::run-ended once the run is over and fully drained.
 */
#pragma once

#include <gtk/gtk.h>

#include "tv-capture-writer.h"
#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-timeline-view.h"
#include "tv-trace.h"

G_BEGIN_DECLS

#define TV_TYPE_TIMELINE (tv_timeline_get_type ())
G_DECLARE_FINAL_TYPE (TvTimeline, tv_timeline, TV, TIMELINE, GtkWidget)

GtkWidget      *tv_timeline_new          (void);

TvTrace        *tv_timeline_get_trace    (TvTimeline     *self);
void            tv_timeline_set_trace    (TvTimeline     *self,
                                          TvTrace        *trace);

TvTimelineView *tv_timeline_get_view     (TvTimeline     *self);
void            tv_timeline_set_view     (TvTimeline     *self,
                                          TvTimelineView *view);

/* The scenario whose lines the tooltips quote, or NULL.  Takes a ref. */
void            tv_timeline_set_scenario (TvTimeline     *self,
                                          TvScenario     *scenario);

/*
 * Follows `run` (borrowed; NULL to stop following): drains its recorder
 * into the trace on every frame until the run ends.  The caller keeps the
 * run alive until ::run-ended, or until it calls this again with NULL.
 */
void            tv_timeline_set_run      (TvTimeline     *self,
                                          TvRun          *run);
gboolean        tv_timeline_is_live      (TvTimeline     *self);

/*
 * Where the run's events go besides the trace (borrowed; NULL for none):
 * with a writer, every drain is tv_capture_writer_drain() instead of
 * tv_trace_drain(), so that the run can be saved, also while it goes on.
 */
void            tv_timeline_set_capture_writer (TvTimeline      *self,
                                                TvCaptureWriter *writer);

/*
 * A live source that is not a TvRun (a traced program).  `func` is called
 * on every frame and by tv_timeline_poll(): it drains its events into
 * `trace`, sets `*now` to its clock (or leaves it at the trace's end), and
 * returns TRUE once the source has ended and is fully drained; the widget
 * then lets go of it and emits ::run-ended.  NULL stops following.
 */
typedef gboolean (*TvTimelineLiveFunc) (TvTrace  *trace,
                                        gint64   *now,
                                        gpointer  user_data);
void            tv_timeline_set_live_func (TvTimeline        *self,
                                           TvTimelineLiveFunc func,
                                           gpointer           user_data);

/*
 * Drains the run now.  The frame clock does it while the widget is mapped;
 * the window calls this from a timer as well, so that a hidden window still
 * empties the rings and notices the end.
 */
void            tv_timeline_poll         (TvTimeline     *self);

/*
 * tv_timeline_poll(), unless the widget polled in the last `idle_us`: for
 * the window's timer, which must not feed the trace a second time between
 * two frames (a frame and a timer's feed in a row made a frame interval
 * of a live run pass 50 ms), but must when the frame clock stands still.
 */
void            tv_timeline_poll_if_idle (TvTimeline     *self,
                                          gint64          idle_us);

/*
 * Says the run was just paused at `time` (scenario time; the clock stands
 * still while paused): drains the run so that the mark shows at once.  The
 * marks themselves are the trace's (tv_trace_get_pauses()), drawn by the
 * renderer; get_n_pauses counts the moments the run stood paused.
 */
void            tv_timeline_add_pause    (TvTimeline     *self,
                                          gint64          time);
guint           tv_timeline_get_n_pauses (TvTimeline     *self);

/*
 * Where a live timeline's main-loop time goes, for threadviz-bench-window
 * (docs/performance.md, "Live recording"): the share of each frame spent
 * adding events to the trace, and drawing it with the renderer.
 */
typedef struct
{
  guint  polls;          /* drains or feeds */
  gint64 feed_max_us;    /* the longest one */
  gint64 feed_total_us;
  guint  draws;          /* renderer drawings (the cache was stale) */
  gint64 draw_max_us;
  gint64 draw_total_us;
} TvTimelineStats;

void            tv_timeline_get_stats    (TvTimeline      *self,
                                          TvTimelineStats *stats);
void            tv_timeline_reset_stats  (TvTimeline      *self);

/* The text of the tooltip at (x, y) in widget coordinates, or NULL. */
char           *tv_timeline_dup_tooltip_at (TvTimeline   *self,
                                            double        x,
                                            double        y);

G_END_DECLS
