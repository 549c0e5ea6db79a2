/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-timeline"

#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>

#include "tv-collector.h"
#include "tv-renderer.h"
#include "tv-time.h"
#include "tv-timeline-hit.h"
#include "tv-timeline.h"

/*
 * A frame's share of feeding the trace: slices of about FEED_SLICE events
 * until FEED_BUDGET_US have passed.  What is left waits for the next frame,
 * in the collector's chunks: the frames keep coming while 20 threads record
 * flat out, and the picture follows the trace's end.
 */
#define FEED_SLICE     TV_COLLECTOR_CHUNK_EVENTS
#define FEED_BUDGET_US 6000
/* A frame that draws the picture again (every LIVE_REDRAW_US) feeds one
 * slice only: the drawing and a full share of feeding in one frame made
 * the longest frames.  Only a frame's own poll: a window that draws
 * nothing (another page, minimised) is fed by its timer in full shares. */
#define FEED_DRAW_BUDGET_US 0
/* Once the run has ended nothing moves but the backlog: a larger share,
 * still well under a frame that anyone would notice. */
#define FEED_ENDED_BUDGET_US 25000
/*
 * The backlog the collector may pile up before the recording waits for the
 * picture (tv_collector_set_max_pending()): 256K events, 8 MiB, a quarter
 * of a second or so of twenty threads recording flat out, and what Stop
 * has to feed before the run is over (~35 ms here; with 1M it took
 * 150–190 ms, past the 100 ms a Stop may take).  Past it, a thread whose ring is full waits for
 * room wherever it is, also holding a lock, and the picture shows that
 * wait as a longer hold: only runs that outpace the window come to it, and
 * their memory stays bounded.
 */
#define MAX_PENDING    (256 * 1024)

/* How much one wheel notch or one key press zooms or pans. */
#define ZOOM_STEP   1.25
#define PAN_STEP    0.10
#define ROW_SCROLL  40.0

struct _TvTimeline
{
  GtkWidget       parent_instance;

  /* Owned */
  TvTrace        *trace;
  TvTimelineView *view;
  TvScenario     *scenario;

  /* Borrowed: the window owns the run until ::run-ended. */
  TvRun          *run;
  TvCaptureWriter *writer;
  /* Ours: empties the run's rings from a thread of its own. */
  TvCollector    *collector;
  gboolean        collector_stopped;
  /* Or another live source (a traced program). */
  TvTimelineLiveFunc live_func;
  gpointer        live_data;

  /*
   * The renderer's drawing of the current trace, view and size: hovering
   * only moves the hairline, so the pointer never makes the trace redraw.
   * Dropped whenever the trace, the view, the theme or the size changes.
   */
  GskRenderNode  *cache;
  int             cache_width;
  int             cache_height;
  int             cache_scale;
  gboolean        cache_stale;
  gint64          cache_built;

  /* GtkScrollable: the vertical one scrolls the rows; time has its own. */
  GtkAdjustment  *hadjustment;
  GtkAdjustment  *vadjustment;
  guint           hscroll_policy : 1;
  guint           vscroll_policy : 1;
  guint           in_allocate : 1;

  guint           tick_id;
  gulong          trace_changed_id;

  TvTimelineStats stats;
  /* What the rows were last laid out for (trace_grew()). */
  guint           rows_threads;
  guint           rows_objects;
  gint64          rows_checked;
  int             rows_content;   /* the height size_allocate was given rows for */
  gint64          last_poll_us;   /* when tv_timeline_poll() last fed the trace */

  /* Input state */
  double          pointer_x;
  double          pointer_y;
  gint64          drag_start;
  gint64          drag_end;
  double          drag_scroll_y;
  guint           pointer_inside : 1;
  guint           dragging : 1;
};

/*
 * Scrollable so that a GtkScrolledWindow gives the rows GNOME's overlay
 * scrollbar; the adjustments are configured in size_allocate, as
 * GtkViewport does, never while drawing.
 */
G_DEFINE_FINAL_TYPE_WITH_CODE (TvTimeline, tv_timeline, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

enum {
  PROP_0,
  PROP_TRACE,
  PROP_VIEW,
  PROP_LIVE,
  N_PROPS,

  /* GtkScrollable's, overridden */
  PROP_HADJUSTMENT = N_PROPS,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

enum {
  RUN_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/*
 * A live trace changes every frame, and a resize lays the whole window out
 * again (the editor, the console, the sidebar: 10-20 ms here): only rows
 * that change the timeline's height need one.  Rows come with new threads
 * and objects, which are counted, and with a variable that a second thread
 * touches, which nothing counts: for those the height is measured again
 * every RESIZE_EVERY_US, which costs well under a millisecond, and the
 * window is laid out again only if it changed.
 */
#define RESIZE_EVERY_US 250000

/* A live drawing changes every frame: 25 new pictures a second are
 * plenty, and leave the other frames to the pointer and the rest of the
 * window. */
#define LIVE_REDRAW_US  40000

/* Whether a live drawing made at cache_built is old enough to be made again. */
static gboolean
drawing_due (TvTimeline *self,
             gint64      now)
{
  return self->cache == NULL || now - self->cache_built >= LIVE_REDRAW_US;
}

/*
 * The drawing is out of date; a live one is drawn again at most every
 * LIVE_REDRAW_US (tv_timeline_snapshot()).  Until then a frame would only
 * paint the same image again, which on 2 cores took the main thread's CPU
 * from the frames that matter: the tick callback asks again at the next
 * frame.
 */
static void
redraw (TvTimeline *self)
{
  self->cache_stale = TRUE;
  if (self->tick_id != 0 && tv_timeline_is_live (self)
      && !drawing_due (self, g_get_monotonic_time ()))
    return;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void invalidate (TvTimeline *self);
static int content_height (TvTimeline *self, int width, int height);
static void poll_feed (TvTimeline *self, gboolean frame_paints);

static void
trace_grew (TvTimeline *self)
{
  guint n_threads = tv_trace_get_n_threads (self->trace);
  guint n_objects = tv_trace_get_n_objects (self->trace);
  gint64 now = g_get_monotonic_time ();

  if (n_threads != self->rows_threads || n_objects != self->rows_objects)
    {
      self->rows_threads = n_threads;
      self->rows_objects = n_objects;
      self->rows_checked = now;
      invalidate (self);
    }
  else if (now - self->rows_checked >= RESIZE_EVERY_US)
    {
      GtkWidget *widget = GTK_WIDGET (self);

      self->rows_checked = now;
      if (content_height (self, gtk_widget_get_width (widget),
                          gtk_widget_get_height (widget)) != self->rows_content)
        invalidate (self);
      else
        redraw (self);
    }
  else
    redraw (self);
}

static void
invalidate (TvTimeline *self)
{
  redraw (self);

  /*
   * New rows or a new filter change how tall the rows are.  Not from
   * size_allocate itself (configuring the adjustment may clamp the scroll).
   */
  if (!self->in_allocate)
    gtk_widget_queue_resize (GTK_WIDGET (self));
}

static void
vadjustment_value_cb (TvTimeline    *self,
                      GtkAdjustment *adjustment)
{
  tv_timeline_view_set_scroll_y (self->view, gtk_adjustment_get_value (adjustment));
}

static void
set_adjustment (TvTimeline     *self,
                GtkOrientation  orientation,
                GtkAdjustment  *adjustment)
{
  GtkAdjustment **slot = orientation == GTK_ORIENTATION_HORIZONTAL
                         ? &self->hadjustment : &self->vadjustment;

  if (adjustment != NULL && *slot == adjustment)
    return;

  if (*slot != NULL)
    {
      g_signal_handlers_disconnect_by_func (*slot, vadjustment_value_cb, self);
      g_clear_object (slot);
    }

  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  *slot = g_object_ref_sink (adjustment);

  if (orientation == GTK_ORIENTATION_VERTICAL)
    g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (vadjustment_value_cb), self);

  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static void
fill_options (TvTimeline      *self,
              TvRenderOptions *options)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  AdwStyleManager *style = adw_style_manager_get_default ();

  tv_render_options_init (options, self->trace, width, height);
  options->start = tv_timeline_view_get_start (self->view);
  options->end = tv_timeline_view_get_end (self->view);
  options->theme = adw_style_manager_get_dark (style) ? TV_THEME_DARK : TV_THEME_LIGHT;
  options->filter = tv_timeline_view_get_filter (self->view);
  options->scroll_y = tv_timeline_view_get_scroll_y (self->view);
  options->show_title = FALSE;
  options->show_legend = FALSE;

  /* While a run goes on, bars reach "now", not just the latest event. */
  if (self->run != NULL || self->live_func != NULL)
    options->now = tv_timeline_view_get_duration (self->view);
}

/* The x range the time axis covers: right of the fixed label column. */
static void
get_time_area (TvTimeline *self,
               double     *x0,
               double     *x1)
{
  TvRenderOptions options;
  double width;

  if (self->trace == NULL)
    {
      *x0 = 0;
      *x1 = MAX (1, gtk_widget_get_width (GTK_WIDGET (self)));
      return;
    }

  fill_options (self, &options);
  tv_timeline_time_area (self->trace, &options, x0, &width);
  *x1 = *x0 + MAX (width, 1.0);
}

static double
ns_per_pixel (TvTimeline *self)
{
  double x0, x1;

  get_time_area (self, &x0, &x1);
  return (double) (tv_timeline_view_get_end (self->view) -
                   tv_timeline_view_get_start (self->view)) / (x1 - x0);
}

/* Where `x` falls on the time axis, 0 at its left end and 1 at its right. */
static double
anchor_at (TvTimeline *self,
           double      x)
{
  double x0, x1;

  get_time_area (self, &x0, &x1);
  return CLAMP ((x - x0) / (x1 - x0), 0.0, 1.0);
}

static double
max_scroll_y (TvTimeline *self)
{
  TvRenderOptions options;
  int content;

  if (self->trace == NULL)
    return 0.0;

  fill_options (self, &options);
  options.scroll_y = 0;
  content = tv_renderer_measure_height (self->trace, &options);
  return MAX (0.0, content - (double) gtk_widget_get_height (GTK_WIDGET (self)));
}

static void
scroll_rows (TvTimeline *self,
             double      dy)
{
  double y = tv_timeline_view_get_scroll_y (self->view) + dy;

  tv_timeline_view_set_scroll_y (self->view, CLAMP (y, 0.0, max_scroll_y (self)));
}

static void
stop_ticking (TvTimeline *self)
{
  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *frame_clock,
         gpointer       user_data)
{
  TvTimeline *self = TV_TIMELINE (widget);

  poll_feed (self, gtk_widget_get_mapped (widget));

  if (self->run == NULL && self->live_func == NULL)
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
trace_changed_cb (TvTimeline *self,
                  TvTrace    *trace)
{
  trace_grew (self);
}

static void
view_notify_cb (TvTimeline     *self,
                GParamSpec     *pspec,
                TvTimelineView *view)
{
  double scroll_y = tv_timeline_view_get_scroll_y (view);

  if (self->vadjustment != NULL && gtk_adjustment_get_value (self->vadjustment) != scroll_y)
    gtk_adjustment_set_value (self->vadjustment, scroll_y);

  invalidate (self);
}

static void
dark_changed_cb (TvTimeline      *self,
                 GParamSpec      *pspec,
                 AdwStyleManager *style)
{
  invalidate (self);
}

static gboolean
scroll_cb (TvTimeline               *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  GdkModifierType state;
  gboolean pixels;

  if (self->trace == NULL)
    return GDK_EVENT_PROPAGATE;

  state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  pixels = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_SURFACE;

  if (state & GDK_CONTROL_MASK)
    {
      /* A touchpad sends many small deltas; a wheel sends whole notches. */
      double notches = pixels ? dy / 20.0 : dy;

      tv_timeline_view_zoom (self->view, pow (ZOOM_STEP, -notches),
                             anchor_at (self, self->pointer_x));
      return GDK_EVENT_STOP;
    }

  if (state & GDK_SHIFT_MASK)
    {
      dx = dy;
      dy = 0;
    }

  /* Vertical wheel scrolls rows when they overflow, pans time otherwise. */
  if (dy != 0 && max_scroll_y (self) <= 0)
    {
      dx = dy;
      dy = 0;
    }

  if (dx != 0)
    {
      double delta = pixels
        ? dx * ns_per_pixel (self)
        : dx * PAN_STEP * (tv_timeline_view_get_end (self->view) -
                           tv_timeline_view_get_start (self->view));

      tv_timeline_view_pan (self->view, (gint64) llround (delta));
    }

  if (dy != 0)
    scroll_rows (self, pixels ? dy : dy * ROW_SCROLL);

  return GDK_EVENT_STOP;
}

static void
drag_begin_cb (TvTimeline     *self,
               double          x,
               double          y,
               GtkGestureDrag *gesture)
{
  if (self->trace == NULL)
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }

  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->drag_start = tv_timeline_view_get_start (self->view);
  self->drag_end = tv_timeline_view_get_end (self->view);
  self->drag_scroll_y = tv_timeline_view_get_scroll_y (self->view);
  self->dragging = FALSE;
}

static void
drag_update_cb (TvTimeline     *self,
                double          offset_x,
                double          offset_y,
                GtkGestureDrag *gesture)
{
  gint64 delta;

  /* A click that wobbles a pixel is not a pan: it would stop following. */
  if (!self->dragging && fabs (offset_x) < 3 && fabs (offset_y) < 3)
    return;

  if (!self->dragging)
    {
      self->dragging = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
    }

  delta = (gint64) llround (-offset_x * ns_per_pixel (self));
  tv_timeline_view_set_follow_live (self->view, FALSE);
  tv_timeline_view_set_range (self->view, self->drag_start + delta, self->drag_end + delta);
  tv_timeline_view_set_scroll_y (self->view,
                                 CLAMP (self->drag_scroll_y - offset_y, 0.0, max_scroll_y (self)));
}

/* A click on a thread's name selects it (the window's Step runs it); again unselects. */
static void
select_at (TvTimeline *self,
           double      x,
           double      y)
{
  TvRenderOptions options;
  TvHit hit;

  if (self->trace == NULL)
    return;

  fill_options (self, &options);
  if (!tv_timeline_hit_test (self->trace, &options, x, y, &hit) ||
      hit.kind != TV_HIT_THREAD || hit.in_area)
    return;

  tv_timeline_view_set_selected_thread (self->view,
                                        tv_timeline_view_get_selected_thread (self->view) == (int) hit.id
                                        ? -1 : (int) hit.id);
}

static void
drag_end_cb (TvTimeline     *self,
             double          offset_x,
             double          offset_y,
             GtkGestureDrag *gesture)
{
  double x, y;

  if (!self->dragging && gtk_gesture_drag_get_start_point (gesture, &x, &y))
    select_at (self, x, y);

  self->dragging = FALSE;
  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
}

static void
motion_cb (TvTimeline               *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *motion)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->pointer_inside = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
leave_cb (TvTimeline               *self,
          GtkEventControllerMotion *motion)
{
  self->pointer_inside = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
query_tooltip_cb (TvTimeline *self,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip)
{
  g_autofree char *markup = NULL;

  if (keyboard || self->dragging)
    return FALSE;

  markup = tv_timeline_dup_tooltip_at (self, x, y);
  if (markup == NULL)
    return FALSE;

  gtk_tooltip_set_markup (tooltip, markup);
  return TRUE;
}

/* Keyboard zoom keeps the time under the pointer still, like the wheel. */
static double
keyboard_anchor (TvTimeline *self)
{
  return self->pointer_inside ? anchor_at (self, self->pointer_x) : 0.5;
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TvTimeline *self = TV_TIMELINE (widget);

  tv_timeline_view_zoom (self->view, ZOOM_STEP, keyboard_anchor (self));
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  TvTimeline *self = TV_TIMELINE (widget);

  tv_timeline_view_zoom (self->view, 1.0 / ZOOM_STEP, keyboard_anchor (self));
}

static void
zoom_fit_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  tv_timeline_view_fit (TV_TIMELINE (widget)->view);
}

static void
follow_live_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  tv_timeline_view_set_follow_live (TV_TIMELINE (widget)->view, TRUE);
}

static void
pan_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  TvTimeline *self = TV_TIMELINE (widget);
  double direction = g_variant_get_int32 (param);
  gint64 span = tv_timeline_view_get_end (self->view) - tv_timeline_view_get_start (self->view);

  tv_timeline_view_pan (self->view, (gint64) llround (direction * PAN_STEP * span));
}

static void
tv_timeline_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  TvTimeline *self = TV_TIMELINE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  TvRenderOptions options;
  cairo_t *cr;

  if (self->trace == NULL || width <= 0 || height <= 0)
    return;

  if (self->cache == NULL || self->cache_width != width || self->cache_height != height ||
      self->cache_scale != scale ||
      (self->cache_stale && (!tv_timeline_is_live (self) ||
                             drawing_due (self, g_get_monotonic_time ()))))
    {
      gint64 start = g_get_monotonic_time (), took;
      cairo_surface_t *surface;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GdkTexture) texture = NULL;

      /*
       * Drawn into an image here, once, rather than into a cairo node,
       * which GTK keeps as a recording and plays back on every frame that
       * paints the widget: a live timeline has tens of thousands of
       * shapes.
       */
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width * scale, height * scale);
      cairo_surface_set_device_scale (surface, scale, scale);
      fill_options (self, &options);
      cr = cairo_create (surface);
      tv_renderer_draw (self->trace, &options, cr);
      cairo_destroy (cr);
      cairo_surface_flush (surface);
      bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                          (gsize) cairo_image_surface_get_stride (surface) * height * scale,
                                          (GDestroyNotify) cairo_surface_destroy, surface);
      texture = gdk_memory_texture_new (width * scale, height * scale, GDK_MEMORY_DEFAULT, bytes,
                                        (gsize) cairo_image_surface_get_stride (surface));

      g_clear_pointer (&self->cache, gsk_render_node_unref);
      self->cache = gsk_texture_node_new (texture, &GRAPHENE_RECT_INIT (0, 0, width, height));
      self->cache_width = width;
      self->cache_height = height;
      self->cache_scale = scale;
      self->cache_stale = FALSE;
      self->cache_built = g_get_monotonic_time ();

      took = self->cache_built - start;
      self->stats.draws++;
      self->stats.draw_total_us += took;
      self->stats.draw_max_us = MAX (self->stats.draw_max_us, took);
    }

  if (self->cache != NULL)
    gtk_snapshot_append_node (snapshot, self->cache);

  /* The selected thread's row: an accent outline and a bar at its name. */
  if (tv_timeline_view_get_selected_thread (self->view) >= 0)
    {
      double row_y, row_height;

      fill_options (self, &options);
      if (tv_renderer_get_thread_row (self->trace, &options,
                                      (guint) tv_timeline_view_get_selected_thread (self->view),
                                      &row_y, &row_height))
        {
          GdkRGBA accent = { 0.21, 0.52, 0.89, 1.0 };
          GdkRGBA border[4] = { accent, accent, accent, accent };
          float widths[4] = { 2, 2, 2, 2 };
          GskRoundedRect outline;

          gsk_rounded_rect_init_from_rect (&outline,
                                           &GRAPHENE_RECT_INIT (1, row_y, width - 2, row_height), 0);
          gtk_snapshot_append_border (snapshot, &outline, widths, border);
          gtk_snapshot_append_color (snapshot, &accent, &GRAPHENE_RECT_INIT (1, row_y, 5, row_height));
        }
    }

  /* A hairline under the pointer helps read a time off the axis. */
  if (self->pointer_inside && !self->dragging)
    {
      double x0, x1;

      get_time_area (self, &x0, &x1);
      if (self->pointer_x >= x0 && self->pointer_x < x1)
        {
          GdkRGBA color = { 0.5, 0.5, 0.5, 0.6 };

          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT (floor (self->pointer_x), 0, 1, height));
        }
    }
}

/* How tall the rows are, drawn at this size: 0 without a trace. */
static int
content_height (TvTimeline *self,
                int         width,
                int         height)
{
  TvRenderOptions options;

  if (self->trace == NULL)
    return 0;
  fill_options (self, &options);
  options.width = width;
  options.height = height;
  options.scroll_y = 0;
  return tv_renderer_measure_height (self->trace, &options);
}

static void
tv_timeline_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  TvTimeline *self = TV_TIMELINE (widget);
  double content;
  double value;

  self->rows_content = content_height (self, width, height);
  content = MAX (height, self->rows_content);
  value = CLAMP (tv_timeline_view_get_scroll_y (self->view), 0.0, content - height);

  /* Time is not scrolled through the horizontal adjustment: it stays put. */
  self->in_allocate = TRUE;
  gtk_adjustment_configure (self->hadjustment, 0, 0, width, width * 0.1, width * 0.9, width);
  gtk_adjustment_configure (self->vadjustment, value, 0, content,
                            height * 0.1, height * 0.9, height);
  self->in_allocate = FALSE;
}

static void
tv_timeline_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  TvTimeline *self = TV_TIMELINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 800;
    }
  else
    {
      /*
       * The natural height is all the rows: a GtkScrolledWindow decides
       * from it (vscroll-policy natural) whether to show its scrollbar.
       */
      *minimum = 120;
      *natural = 120;
      if (self->trace != NULL)
        {
          TvRenderOptions options;

          fill_options (self, &options);
          options.width = for_size > 0 ? for_size : MAX (gtk_widget_get_width (widget), 800);
          options.height = 1;
          options.scroll_y = 0;
          *natural = MAX (*minimum, tv_renderer_measure_height (self->trace, &options));
        }
    }
}

static void
tv_timeline_dispose (GObject *object)
{
  TvTimeline *self = (TvTimeline *)object;

  stop_ticking (self);
  g_clear_pointer (&self->collector, tv_collector_free);
  self->run = NULL;
  self->live_func = NULL;
  self->writer = NULL;

  tv_timeline_set_trace (self, NULL);
  g_clear_pointer (&self->cache, gsk_render_node_unref);
  if (self->view != NULL)
    g_signal_handlers_disconnect_by_func (self->view, view_notify_cb, self);
  g_clear_object (&self->view);
  g_clear_pointer (&self->scenario, tv_scenario_unref);
  g_signal_handlers_disconnect_by_func (adw_style_manager_get_default (), dark_changed_cb, self);
  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_func (self->vadjustment, vadjustment_value_cb, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);

  G_OBJECT_CLASS (tv_timeline_parent_class)->dispose (object);
}

static void
tv_timeline_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TvTimeline *self = TV_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_TRACE:
      g_value_set_object (value, self->trace);
      break;

    case PROP_VIEW:
      g_value_set_object (value, self->view);
      break;

    case PROP_LIVE:
      g_value_set_boolean (value, self->run != NULL || self->live_func != NULL);
      break;

    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;

    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;

    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;

    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tv_timeline_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TvTimeline *self = TV_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_TRACE:
      tv_timeline_set_trace (self, g_value_get_object (value));
      break;

    case PROP_VIEW:
      tv_timeline_set_view (self, g_value_get_object (value));
      break;

    case PROP_HADJUSTMENT:
      set_adjustment (self, GTK_ORIENTATION_HORIZONTAL, g_value_get_object (value));
      break;

    case PROP_VADJUSTMENT:
      set_adjustment (self, GTK_ORIENTATION_VERTICAL, g_value_get_object (value));
      break;

    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      break;

    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tv_timeline_class_init (TvTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tv_timeline_dispose;
  object_class->get_property = tv_timeline_get_property;
  object_class->set_property = tv_timeline_set_property;

  widget_class->snapshot = tv_timeline_snapshot;
  widget_class->measure = tv_timeline_measure;
  widget_class->size_allocate = tv_timeline_size_allocate;

  properties[PROP_TRACE] =
    g_param_spec_object ("trace", NULL, NULL,
                         TV_TYPE_TRACE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_VIEW] =
    g_param_spec_object ("view", NULL, NULL,
                         TV_TYPE_TIMELINE_VIEW,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_LIVE] =
    g_param_spec_boolean ("live", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  /**
   * TvTimeline::run-ended:
   *
   * The followed run has ended and every event is in the trace.  The widget
   * has let go of the run: the handler may free it.
   */
  signals[RUN_ENDED] =
    g_signal_new ("run-ended",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "timeline.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "timeline.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "timeline.zoom-fit", NULL, zoom_fit_action);
  gtk_widget_class_install_action (widget_class, "timeline.follow-live", NULL, follow_live_action);
  gtk_widget_class_install_action (widget_class, "timeline.pan", "i", pan_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "timeline.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "timeline.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "timeline.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "timeline.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "timeline.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "timeline.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, 0, "timeline.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "timeline.follow-live", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "timeline.pan", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "timeline.pan", "i", 1);

  gtk_widget_class_set_css_name (widget_class, "timeline");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
tv_timeline_init (TvTimeline *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect_swapped (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect_swapped (gesture, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect_swapped (gesture, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect_swapped (gesture, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  controller = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (controller, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (controller, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), NULL);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);

  set_adjustment (self, GTK_ORIENTATION_HORIZONTAL, NULL);
  set_adjustment (self, GTK_ORIENTATION_VERTICAL, NULL);
  self->vscroll_policy = GTK_SCROLL_NATURAL;
  tv_timeline_set_view (self, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, "Timeline",
                                  -1);
}

GtkWidget *
tv_timeline_new (void)
{
  return g_object_new (TV_TYPE_TIMELINE, NULL);
}

TvTrace *
tv_timeline_get_trace (TvTimeline *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE (self), NULL);

  return self->trace;
}

void
tv_timeline_set_trace (TvTimeline *self,
                       TvTrace    *trace)
{
  g_return_if_fail (TV_IS_TIMELINE (self));
  g_return_if_fail (trace == NULL || TV_IS_TRACE (trace));

  if (self->trace == trace)
    return;

  g_clear_signal_handler (&self->trace_changed_id, self->trace);
  g_set_object (&self->trace, trace);

  if (trace != NULL)
    {
      self->trace_changed_id =
        g_signal_connect_object (trace, "changed",
                                 G_CALLBACK (trace_changed_cb), self,
                                 G_CONNECT_SWAPPED);
      tv_timeline_view_set_duration (self->view, tv_trace_get_end_time (trace));
    }

  invalidate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRACE]);
}

TvTimelineView *
tv_timeline_get_view (TvTimeline *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE (self), NULL);

  return self->view;
}

void
tv_timeline_set_view (TvTimeline     *self,
                      TvTimelineView *view)
{
  g_autoptr(TvTimelineView) fresh = NULL;

  g_return_if_fail (TV_IS_TIMELINE (self));
  g_return_if_fail (view == NULL || TV_IS_TIMELINE_VIEW (view));

  /* The widget always has a view, so that nothing has to check for one. */
  if (view == NULL)
    view = fresh = tv_timeline_view_new ();

  if (self->view == view)
    return;

  if (self->view != NULL)
    g_signal_handlers_disconnect_by_func (self->view, view_notify_cb, self);
  g_set_object (&self->view, view);
  g_signal_connect_swapped (view, "notify", G_CALLBACK (view_notify_cb), self);

  invalidate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIEW]);
}

void
tv_timeline_set_scenario (TvTimeline *self,
                          TvScenario *scenario)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  if (self->scenario == scenario)
    return;

  g_clear_pointer (&self->scenario, tv_scenario_unref);
  if (scenario != NULL)
    self->scenario = tv_scenario_ref (scenario);
}

void
tv_timeline_set_run (TvTimeline *self,
                     TvRun      *run)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  if (self->run == run)
    return;

  /* A run let go of before its end: what was not fed is not wanted. */
  g_clear_pointer (&self->collector, tv_collector_free);
  self->run = run;
  if (run != NULL)
    {
      self->live_func = NULL;
      self->collector = tv_collector_new (tv_run_get_recorder (run), TV_COLLECTOR_INTERVAL_US);
      tv_collector_set_max_pending (self->collector, MAX_PENDING);
      self->collector_stopped = FALSE;
    }

  if (run != NULL && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
  else if (run == NULL && self->live_func == NULL)
    stop_ticking (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
}

void
tv_timeline_set_capture_writer (TvTimeline      *self,
                                TvCaptureWriter *writer)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  self->writer = writer;
}

void
tv_timeline_set_live_func (TvTimeline        *self,
                           TvTimelineLiveFunc func,
                           gpointer           user_data)
{
  gboolean was_live;

  g_return_if_fail (TV_IS_TIMELINE (self));

  was_live = tv_timeline_is_live (self);
  self->live_func = func;
  self->live_data = user_data;
  if (func != NULL)
    self->run = NULL;

  if (func != NULL && self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
  else if (func == NULL && self->run == NULL)
    stop_ticking (self);

  if (was_live != tv_timeline_is_live (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
}

gboolean
tv_timeline_is_live (TvTimeline *self)
{
  g_return_val_if_fail (TV_IS_TIMELINE (self), FALSE);

  return self->run != NULL || self->live_func != NULL;
}

void
tv_timeline_poll_if_idle (TvTimeline *self,
                          gint64      idle_us)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  if (g_get_monotonic_time () - self->last_poll_us >= idle_us)
    tv_timeline_poll (self);
}

/* tv_timeline_poll(); `frame_paints`: called by the frame clock of a mapped
 * widget, whose frame draws the picture when it is due. */
static void
poll_feed (TvTimeline *self,
           gboolean    frame_paints)
{
  gboolean finished;
  gint64 now, start, took;

  if (self->trace == NULL || (self->run == NULL && self->live_func == NULL))
    return;

  start = g_get_monotonic_time ();
  self->last_poll_us = start;
  if (self->live_func != NULL)
    {
      now = -1;
      finished = self->live_func (self->trace, &now, self->live_data);
      now = MAX (now, tv_trace_get_end_time (self->trace));
    }
  else
    {
      gint64 budget_end;
      gsize pending;

      /*
       * Read "finished" before collecting: a run that has ended has
       * published all its events, so the collector's last collection,
       * when it stops, has everything.
       */
      finished = tv_run_is_finished (self->run);
      if (finished)
        budget_end = start + FEED_ENDED_BUDGET_US;
      else if (frame_paints && drawing_due (self, start))
        budget_end = start + FEED_DRAW_BUDGET_US;
      else
        budget_end = start + FEED_BUDGET_US;
      if (finished && !self->collector_stopped)
        {
          tv_collector_stop (self->collector);
          self->collector_stopped = TRUE;
        }
      while (tv_collector_feed_full (self->collector, self->trace, self->writer, FEED_SLICE) > 0
             && g_get_monotonic_time () < budget_end)
        ;
      pending = tv_collector_get_pending (self->collector);

      /* Ended only once every event is in: a backlog of a run that
       * recorded faster than the trace takes events goes on being fed. */
      finished = finished && pending == 0;

      /* With a backlog, the trace's end: bars must not reach a "now"
       * whose events have not been added yet.  Never back, though: the
       * right edge would jitter. */
      now = tv_trace_get_end_time (self->trace);
      if (!finished && pending < FEED_SLICE)
        now = MAX (now, tv_clock_now (tv_run_get_clock (self->run)));
      if (!finished)
        now = MAX (now, tv_timeline_view_get_duration (self->view));
    }
  took = g_get_monotonic_time () - start;
  self->stats.polls++;
  self->stats.feed_total_us += took;
  self->stats.feed_max_us = MAX (self->stats.feed_max_us, took);
  tv_timeline_view_set_duration (self->view, now);

  /* Bars grow with the clock even when no event arrives. */
  trace_grew (self);

  if (finished)
    {
      if (self->run != NULL)
        tv_timeline_set_run (self, NULL);
      else
        tv_timeline_set_live_func (self, NULL, NULL);
      redraw (self);   /* no longer live: the last picture at once */
      g_signal_emit (self, signals[RUN_ENDED], 0);
    }
}

void
tv_timeline_poll (TvTimeline *self)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  poll_feed (self, FALSE);
}

void
tv_timeline_get_stats (TvTimeline      *self,
                       TvTimelineStats *stats)
{
  g_return_if_fail (TV_IS_TIMELINE (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}

void
tv_timeline_reset_stats (TvTimeline *self)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  memset (&self->stats, 0, sizeof self->stats);
}

/* --- Tooltips ---------------------------------------------------------- */

static const char *
object_name (TvTrace *trace,
             guint32  id)
{
  const TvTraceObject *object = id != 0 ? tv_trace_get_object (trace, id) : NULL;

  return object != NULL && object->name != NULL ? object->name : NULL;
}

static const char *
thread_name (TvTrace *trace,
             guint32  index)
{
  const TvTraceThread *thread = index != TV_NO_THREAD ? tv_trace_get_thread (trace, index) : NULL;

  return thread != NULL && thread->name != NULL ? thread->name : "?";
}

static void
append_time (GString    *str,
             const char *format,
             gint64      ns)
{
  char buf[32];

  tv_time_format (ns, 3, buf, sizeof buf);
  g_string_append_printf (str, format, buf);
}

/* "line 12: acquire L" in a monospace font, as the scenario has it. */
static void
append_line (TvTimeline *self,
             GString    *str,
             guint       line)
{
  g_autofree char *text = NULL;
  g_autofree char *escaped = NULL;

  if (line == 0 || self->scenario == NULL)
    return;

  text = tv_scenario_dup_line (self->scenario, line);
  if (text == NULL)
    return;

  escaped = g_markup_escape_text (g_strstrip (text), -1);
  g_string_append_printf (str, "\nline %u: <tt>%s</tt>", line, escaped);
}

/* The last element of a time-sorted array that starts at or before `time`. */
static int
find_at (GArray *array,
         gsize   offset,
         gint64  time)
{
  int lo = 0;
  int hi;

  if (array == NULL || array->len == 0)
    return -1;

  hi = (int) array->len - 1;
  while (lo <= hi)
    {
      int mid = lo + (hi - lo) / 2;
      gint64 t = *(const gint64 *) (array->data + (gsize) mid * g_array_get_element_size (array) + offset);

      if (t <= time)
        lo = mid + 1;
      else
        hi = mid - 1;
    }

  return hi;
}

static gboolean
append_print (TvTimeline *self,
              GString    *str,
              guint32     thread,
              gint64      time,
              double      px_per_ns)
{
  GArray *prints = tv_trace_get_prints (self->trace);
  gint64 slack = (gint64) (5.0 / MAX (px_per_ns, 1e-12));

  if (prints == NULL)
    return FALSE;

  /* Prints are few: a linear look is cheap and needs no sort order. */
  for (guint i = 0; i < prints->len; i++)
    {
      const TvPrint *print = &g_array_index (prints, TvPrint, i);
      g_autofree char *escaped = NULL;

      if (print->thread != thread || ABS (print->time - time) > slack)
        continue;

      escaped = g_markup_escape_text (print->text != NULL ? print->text : "", -1);
      g_string_append_printf (str, "<b>%s</b> printed\n“%s”", thread_name (self->trace, thread), escaped);
      append_time (str, "\nat %s", print->time);
      append_line (self, str, print->line);
      return TRUE;
    }

  return FALSE;
}

static char *
thread_tooltip (TvTimeline *self,
                guint32     index,
                gint64      time,
                double      px_per_ns)
{
  const TvTraceThread *thread = tv_trace_get_thread (self->trace, index);
  g_autoptr(GString) str = g_string_new (NULL);
  g_autofree char *name = NULL;
  const TvSpan *span;
  gint64 end;
  int i;

  if (thread == NULL)
    return NULL;

  if (append_print (self, str, index, time, px_per_ns))
    return g_string_free (g_steal_pointer (&str), FALSE);

  name = g_markup_escape_text (thread->name != NULL ? thread->name : "?", -1);
  g_string_append_printf (str, "<b>%s</b>", name);

  if (thread->ended >= 0 && time >= thread->ended)
    {
      g_string_append (str, "\nterminated");
      append_time (str, " at %s", thread->ended);
      return g_string_free (g_steal_pointer (&str), FALSE);
    }

  i = find_at (thread->spans, G_STRUCT_OFFSET (TvSpan, start), time);
  if (i < 0)
    {
      g_string_append (str, time < thread->created ? "\nnot created yet" : "\nnew (not started)");
      return g_string_free (g_steal_pointer (&str), FALSE);
    }

  span = &g_array_index (thread->spans, TvSpan, i);
  if ((guint) i + 1 < thread->spans->len)
    end = g_array_index (thread->spans, TvSpan, i + 1).start;
  else if (thread->ended >= 0)
    end = thread->ended;
  else
    end = MAX (tv_trace_get_end_time (self->trace), tv_timeline_view_get_duration (self->view));

  g_string_append_printf (str, "\n%s", tv_thread_state_to_string (span->state));
  if (span->state == TV_STATE_JOIN && span->aux != TV_NO_THREAD)
    {
      g_autofree char *joined = g_markup_escape_text (thread_name (self->trace, span->aux), -1);
      g_string_append_printf (str, " for %s", joined);
    }
  else if (object_name (self->trace, span->object) != NULL)
    {
      g_autofree char *object = g_markup_escape_text (object_name (self->trace, span->object), -1);
      g_string_append_printf (str, " · %s", object);
    }
  append_time (str, "\nfrom %s", span->start);
  append_time (str, " for %s", end - span->start);
  append_line (self, str, span->line);

  return g_string_free (g_steal_pointer (&str), FALSE);
}

static char *
object_tooltip (TvTimeline *self,
                guint32     id,
                gint64      time)
{
  const TvTraceObject *object = tv_trace_get_object (self->trace, id);
  g_autoptr(GString) str = g_string_new (NULL);
  g_autofree char *name = NULL;
  int i;

  if (object == NULL)
    return NULL;

  name = g_markup_escape_text (object->name != NULL ? object->name : "?", -1);
  g_string_append_printf (str, "<b>%s</b> (%s)", name, tv_object_kind_to_string (object->kind));

  if (object->holds != NULL && object->holds->len > 0)
    {
      gboolean held = FALSE;

      for (guint h = 0; h < object->holds->len; h++)
        {
          const TvHold *hold = &g_array_index (object->holds, TvHold, h);
          g_autofree char *holder = NULL;

          if (hold->start > time)
            break;
          if (hold->end >= 0 && hold->end <= time)
            continue;

          holder = g_markup_escape_text (thread_name (self->trace, hold->thread), -1);
          g_string_append_printf (str, "\nheld by %s", holder);
          append_time (str, " since %s", hold->start);
          append_line (self, str, hold->line);
          held = TRUE;
        }
      if (!held)
        g_string_append (str, "\nfree");
    }

  i = find_at (object->waiters, G_STRUCT_OFFSET (TvCounterPoint, time), time);
  if (i >= 0 && g_array_index (object->waiters, TvCounterPoint, i).value > 0)
    g_string_append_printf (str, "\n%" G_GINT64_FORMAT " waiting",
                            g_array_index (object->waiters, TvCounterPoint, i).value);

  i = find_at (object->depth, G_STRUCT_OFFSET (TvCounterPoint, time), time);
  if (object->kind == TV_OBJ_QUEUE)
    g_string_append_printf (str, "\n%" G_GINT64_FORMAT " items",
                            i >= 0 ? g_array_index (object->depth, TvCounterPoint, i).value : 0);

  i = find_at (object->accesses, G_STRUCT_OFFSET (TvAccess, time), time);
  if (i >= 0)
    {
      const TvAccess *access = &g_array_index (object->accesses, TvAccess, i);
      g_autofree char *who = g_markup_escape_text (thread_name (self->trace, access->thread), -1);

      g_string_append_printf (str, "\n= %" G_GINT64_FORMAT " (%s by %s",
                              access->value, access->write ? "written" : "read", who);
      append_time (str, " at %s)", access->time);
      append_line (self, str, access->line);
    }

  return g_string_free (g_steal_pointer (&str), FALSE);
}

char *
tv_timeline_dup_tooltip_at (TvTimeline *self,
                            double      x,
                            double      y)
{
  TvRenderOptions options;
  TvHit hit;

  g_return_val_if_fail (TV_IS_TIMELINE (self), NULL);

  if (self->trace == NULL)
    return NULL;

  fill_options (self, &options);
  if (!tv_timeline_hit_test (self->trace, &options, x, y, &hit) || !hit.in_area)
    return NULL;

  switch (hit.kind)
    {
    case TV_HIT_THREAD:
      return thread_tooltip (self, hit.id, hit.time, hit.px_per_ns);

    case TV_HIT_OBJECT:
      return object_tooltip (self, hit.id, hit.time);

    case TV_HIT_NONE:
    case TV_HIT_OTHER:
    default:
      return NULL;
    }
}

void
tv_timeline_add_pause (TvTimeline *self,
                       gint64      time)
{
  g_return_if_fail (TV_IS_TIMELINE (self));

  /* The renderer draws the trace's own pause marks (so exports and saved
   * runs have them too); the controller records the pause before the run
   * says it is paused, so draining now shows the mark at once. */
  tv_timeline_poll (self);
}

guint
tv_timeline_get_n_pauses (TvTimeline *self)
{
  GArray *pauses;
  gint64 last = G_MININT64;
  guint n = 0;

  g_return_val_if_fail (TV_IS_TIMELINE (self), 0);

  if (self->trace == NULL)
    return 0;

  /* Moments, as drawn: a step's pause at the time of the user's is one. */
  pauses = tv_trace_get_pauses (self->trace);
  for (guint i = 0; i < pauses->len; i++)
    {
      const TvPauseMark *mark = &g_array_index (pauses, TvPauseMark, i);

      if (mark->kind != TV_PAUSE_MARK_PAUSE)
        continue;
      if (mark->time != last)
        n++;
      last = mark->time;
    }
  return n;
}
