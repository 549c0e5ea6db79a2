/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-timeline-view"

#include "config.h"

#include <math.h>

#include "tv-axis.h"
#include "tv-timeline-view.h"

/*
 * While following live, the view grows from 0 until it spans this much,
 * then slides: a short lesson stays whole on screen, a `forever` loop does
 * not shrink to a blur.
 */
#define FOLLOW_MAX_SPAN (G_GINT64_CONSTANT (20) * 1000000000)

struct _TvTimelineView
{
  GObject   parent_instance;

  gint64    start;
  gint64    end;
  gint64    duration;
  char     *filter;
  double    scroll_y;
  int       selected_thread;
  guint     follow_live : 1;
};

G_DEFINE_FINAL_TYPE (TvTimelineView, tv_timeline_view, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_START,
  PROP_END,
  PROP_DURATION,
  PROP_FOLLOW_LIVE,
  PROP_FILTER,
  PROP_SCROLL_Y,
  PROP_SELECTED_THREAD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
apply_range (TvTimelineView *self,
             gint64          start,
             gint64          end)
{
  if (end - start < TV_TIMELINE_VIEW_MIN_SPAN)
    {
      gint64 middle = start + (end - start) / 2;

      start = middle - TV_TIMELINE_VIEW_MIN_SPAN / 2;
      end = start + TV_TIMELINE_VIEW_MIN_SPAN;
    }

  /* Nothing happens before the run begins: keep the span, move it right. */
  if (start < 0)
    {
      end -= start;
      start = 0;
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (self->start != start)
    {
      self->start = start;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START]);
    }
  if (self->end != end)
    {
      self->end = end;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* Puts the right edge just past "now" (see FOLLOW_MAX_SPAN). */
static void
follow (TvTimelineView *self)
{
  gint64 span = self->end - self->start;

  if (self->start == 0 && self->duration < FOLLOW_MAX_SPAN)
    {
      /*
       * Grow in steps of a tenth of the span rather than every frame, so
       * that bars and tick labels do not jitter as the run goes on.
       */
      gint64 step = tv_axis_nice_step ((double) MAX (span, TV_TIMELINE_VIEW_DEFAULT_SPAN) / 10.0);
      gint64 end = MAX (self->end, TV_TIMELINE_VIEW_MIN_SPAN);

      while (end < self->duration + step / 2)
        end += step;
      apply_range (self, 0, end);
    }
  else
    {
      span = MIN (span, FOLLOW_MAX_SPAN);
      apply_range (self, self->duration + span / 20 - span, self->duration + span / 20);
    }
}

static void
tv_timeline_view_finalize (GObject *object)
{
  TvTimelineView *self = (TvTimelineView *)object;

  g_clear_pointer (&self->filter, g_free);

  G_OBJECT_CLASS (tv_timeline_view_parent_class)->finalize (object);
}

static void
tv_timeline_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TvTimelineView *self = TV_TIMELINE_VIEW (object);

  switch (prop_id)
    {
    case PROP_START:
      g_value_set_int64 (value, self->start);
      break;

    case PROP_END:
      g_value_set_int64 (value, self->end);
      break;

    case PROP_DURATION:
      g_value_set_int64 (value, self->duration);
      break;

    case PROP_FOLLOW_LIVE:
      g_value_set_boolean (value, self->follow_live);
      break;

    case PROP_FILTER:
      g_value_set_string (value, self->filter);
      break;

    case PROP_SCROLL_Y:
      g_value_set_double (value, self->scroll_y);
      break;

    case PROP_SELECTED_THREAD:
      g_value_set_int (value, self->selected_thread);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tv_timeline_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TvTimelineView *self = TV_TIMELINE_VIEW (object);

  switch (prop_id)
    {
    case PROP_START:
      tv_timeline_view_set_range (self, g_value_get_int64 (value), self->end);
      break;

    case PROP_END:
      tv_timeline_view_set_range (self, self->start, g_value_get_int64 (value));
      break;

    case PROP_DURATION:
      tv_timeline_view_set_duration (self, g_value_get_int64 (value));
      break;

    case PROP_FOLLOW_LIVE:
      tv_timeline_view_set_follow_live (self, g_value_get_boolean (value));
      break;

    case PROP_FILTER:
      tv_timeline_view_set_filter (self, g_value_get_string (value));
      break;

    case PROP_SCROLL_Y:
      tv_timeline_view_set_scroll_y (self, g_value_get_double (value));
      break;

    case PROP_SELECTED_THREAD:
      tv_timeline_view_set_selected_thread (self, g_value_get_int (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tv_timeline_view_class_init (TvTimelineViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tv_timeline_view_finalize;
  object_class->get_property = tv_timeline_view_get_property;
  object_class->set_property = tv_timeline_view_set_property;

  properties[PROP_START] =
    g_param_spec_int64 ("start", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_END] =
    g_param_spec_int64 ("end", NULL, NULL,
                        0, G_MAXINT64, TV_TIMELINE_VIEW_DEFAULT_SPAN,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_DURATION] =
    g_param_spec_int64 ("duration", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_FOLLOW_LIVE] =
    g_param_spec_boolean ("follow-live", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_FILTER] =
    g_param_spec_string ("filter", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SCROLL_Y] =
    g_param_spec_double ("scroll-y", NULL, NULL,
                         0.0, G_MAXDOUBLE, 0.0,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_SELECTED_THREAD] =
    g_param_spec_int ("selected-thread", NULL, NULL,
                      -1, G_MAXINT, -1,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tv_timeline_view_init (TvTimelineView *self)
{
  self->end = TV_TIMELINE_VIEW_DEFAULT_SPAN;
  self->follow_live = TRUE;
  self->selected_thread = -1;
}

TvTimelineView *
tv_timeline_view_new (void)
{
  return g_object_new (TV_TYPE_TIMELINE_VIEW, NULL);
}

gint64
tv_timeline_view_get_start (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), 0);

  return self->start;
}

gint64
tv_timeline_view_get_end (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), 0);

  return self->end;
}

void
tv_timeline_view_set_range (TvTimelineView *self,
                            gint64          start,
                            gint64          end)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  apply_range (self, start, end);
}

gint64
tv_timeline_view_get_duration (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), 0);

  return self->duration;
}

void
tv_timeline_view_set_duration (TvTimelineView *self,
                               gint64          duration)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  duration = MAX (duration, 0);
  if (self->duration == duration)
    return;

  self->duration = duration;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);

  if (self->follow_live)
    follow (self);
}

gboolean
tv_timeline_view_get_follow_live (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), FALSE);

  return self->follow_live;
}

void
tv_timeline_view_set_follow_live (TvTimelineView *self,
                                  gboolean        follow_live)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  follow_live = !!follow_live;
  if (self->follow_live == follow_live)
    return;

  self->follow_live = follow_live;
  if (follow_live)
    follow (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLLOW_LIVE]);
}

const char *
tv_timeline_view_get_filter (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), NULL);

  return self->filter;
}

void
tv_timeline_view_set_filter (TvTimelineView *self,
                             const char     *filter)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  /* An empty filter and no filter are the same thing to the renderer. */
  if (filter != NULL && filter[0] == '\0')
    filter = NULL;

  if (g_strcmp0 (self->filter, filter) == 0)
    return;

  g_free (self->filter);
  self->filter = g_strdup (filter);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

double
tv_timeline_view_get_scroll_y (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), 0.0);

  return self->scroll_y;
}

void
tv_timeline_view_set_scroll_y (TvTimelineView *self,
                               double          scroll_y)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  scroll_y = MAX (0.0, scroll_y);
  if (self->scroll_y == scroll_y)
    return;

  self->scroll_y = scroll_y;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCROLL_Y]);
}

void
tv_timeline_view_zoom (TvTimelineView *self,
                       double          factor,
                       double          anchor)
{
  double span;
  double new_span;
  double anchor_time;
  gint64 start;

  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));
  g_return_if_fail (factor > 0.0);

  if (self->follow_live)
    anchor = 1.0;
  anchor = CLAMP (anchor, 0.0, 1.0);

  span = (double) (self->end - self->start);
  new_span = CLAMP (span / factor,
                    (double) TV_TIMELINE_VIEW_MIN_SPAN,
                    (double) MAX (self->duration * 4, FOLLOW_MAX_SPAN * 50));
  anchor_time = self->start + anchor * span;
  start = (gint64) llround (anchor_time - anchor * new_span);

  /* Zooming in while anchored at 0 must slide, not keep growing from 0. */
  if (self->follow_live && start <= 0 && factor > 1.0)
    start = 1;

  apply_range (self, start, start + (gint64) llround (new_span));
}

void
tv_timeline_view_pan (TvTimelineView *self,
                      gint64          delta)
{
  gint64 span;
  gint64 start;

  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  span = self->end - self->start;
  start = self->start + delta;

  /* Keep some of the run in sight: do not pan past its end. */
  start = MIN (start, MAX (self->duration - span / 2, 0));

  tv_timeline_view_set_follow_live (self, FALSE);
  apply_range (self, start, start + span);
}

void
tv_timeline_view_fit (TvTimelineView *self)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  tv_timeline_view_set_follow_live (self, FALSE);

  /* A little room on the right, so that the last states' ends show. */
  apply_range (self, 0, MAX (self->duration + self->duration / 50,
                             TV_TIMELINE_VIEW_MIN_SPAN));
}

void
tv_timeline_view_reset (TvTimelineView *self)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  g_object_freeze_notify (G_OBJECT (self));
  tv_timeline_view_set_follow_live (self, FALSE);
  self->duration = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
  apply_range (self, 0, TV_TIMELINE_VIEW_DEFAULT_SPAN);
  tv_timeline_view_set_scroll_y (self, 0.0);
  tv_timeline_view_set_follow_live (self, TRUE);
  g_object_thaw_notify (G_OBJECT (self));
}

int
tv_timeline_view_get_selected_thread (TvTimelineView *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE_VIEW (self), -1);

  return self->selected_thread;
}

void
tv_timeline_view_set_selected_thread (TvTimelineView *self,
                                      int             thread)
{
  g_return_if_fail (TV_IS_TIMELINE_VIEW (self));

  thread = MAX (thread, -1);
  if (self->selected_thread == thread)
    return;

  self->selected_thread = thread;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_THREAD]);
}
