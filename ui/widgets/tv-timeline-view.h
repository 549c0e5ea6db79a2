/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-timeline-view.h: what part of a trace the timeline shows.
 *
 * The visible range, follow-live, the row filter and the vertical scroll
 * live here rather than in the widget, so that the timeline, its toolbar and
 * the window's actions all observe and change one object (as Sysprof's
 * SysprofSession does).  No drawing, no input handling.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The narrowest range the view zooms into, and the default one. */
#define TV_TIMELINE_VIEW_MIN_SPAN     G_GINT64_CONSTANT (1000)
#define TV_TIMELINE_VIEW_DEFAULT_SPAN G_GINT64_CONSTANT (1000000000)

#define TV_TYPE_TIMELINE_VIEW (tv_timeline_view_get_type ())
G_DECLARE_FINAL_TYPE (TvTimelineView, tv_timeline_view, TV, TIMELINE_VIEW, GObject)

TvTimelineView *tv_timeline_view_new             (void);

gint64          tv_timeline_view_get_start       (TvTimelineView *self);
gint64          tv_timeline_view_get_end         (TvTimelineView *self);
/* Shows [start, end] (widened to the minimum span); follow-live unchanged. */
void            tv_timeline_view_set_range       (TvTimelineView *self,
                                                  gint64          start,
                                                  gint64          end);

/* The time the trace reaches: "now" during a run, its end afterwards. */
gint64          tv_timeline_view_get_duration    (TvTimelineView *self);
void            tv_timeline_view_set_duration    (TvTimelineView *self,
                                                  gint64          duration);

gboolean        tv_timeline_view_get_follow_live (TvTimelineView *self);
void            tv_timeline_view_set_follow_live (TvTimelineView *self,
                                                  gboolean        follow_live);

const char     *tv_timeline_view_get_filter      (TvTimelineView *self);
void            tv_timeline_view_set_filter      (TvTimelineView *self,
                                                  const char     *filter);

double          tv_timeline_view_get_scroll_y    (TvTimelineView *self);
void            tv_timeline_view_set_scroll_y    (TvTimelineView *self,
                                                  double          scroll_y);

/* The thread row a click on its name selected (Step runs it), or -1. */
int             tv_timeline_view_get_selected_thread (TvTimelineView *self);
void            tv_timeline_view_set_selected_thread (TvTimelineView *self,
                                                      int             thread);

/*
 * Zooms by `factor` (> 1 zooms in) keeping the time at `anchor` (0 the left
 * edge, 1 the right edge) where it is.  While following live, the right edge
 * stays on "now" whatever the anchor.
 */
void            tv_timeline_view_zoom            (TvTimelineView *self,
                                                  double          factor,
                                                  double          anchor);
/* Moves the range by `delta` ns; a manual pan turns follow-live off. */
void            tv_timeline_view_pan             (TvTimelineView *self,
                                                  gint64          delta);
/* Shows everything from 0 to the duration; turns follow-live off. */
void            tv_timeline_view_fit             (TvTimelineView *self);
/* Back to the state of a fresh run: [0, default span], following live. */
void            tv_timeline_view_reset           (TvTimelineView *self);

G_END_DECLS
