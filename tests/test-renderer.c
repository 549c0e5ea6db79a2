/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-renderer.c: the renderer's pixels on an image surface, and the time
 * axis's ticks.  Display-free.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tv-axis.h"
#include "tv-palette.h"
#include "tv-renderer.h"
#include "tv-render-fixtures.h"
#include "tv-time.h"

/* ---- helpers -------------------------------------------------------------- */

typedef struct
{
  cairo_surface_t   *surface;
  TvRenderOptions    options;
  TvRendererGeometry geometry;
  TvRenderStats      stats;
} Drawing;

static void
draw (Drawing *d,
      TvTrace *trace,
      TvTheme  theme,
      gint64   start,
      gint64   end,
      int      width)
{
  cairo_t *cr;

  tv_render_options_init (&d->options, trace, width, 10);
  d->options.start = start;
  d->options.end = end;
  d->options.theme = theme;
  d->options.height = tv_renderer_measure_height (trace, &d->options);
  tv_renderer_get_geometry (trace, &d->options, &d->geometry);

  d->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, d->options.height);
  cr = cairo_create (d->surface);
  tv_renderer_draw_with_stats (trace, &d->options, cr, &d->stats);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (d->surface);
}

static void
drawing_clear (Drawing *d)
{
  g_clear_pointer (&d->surface, cairo_surface_destroy);
}

static double
x_of (const Drawing *d,
      gint64         time)
{
  return d->geometry.area_x
         + (double) (time - d->options.start) * d->geometry.area_width
           / (double) (d->options.end - d->options.start);
}

static void
pixel (const Drawing *d,
       double         x,
       double         y,
       TvRgba        *out)
{
  int ix = (int) floor (x), iy = (int) floor (y);
  int stride = cairo_image_surface_get_stride (d->surface);
  const guint8 *data = cairo_image_surface_get_data (d->surface);
  guint32 value;

  g_assert_cmpint (ix, >=, 0);
  g_assert_cmpint (iy, >=, 0);
  g_assert_cmpint (ix, <, cairo_image_surface_get_width (d->surface));
  g_assert_cmpint (iy, <, cairo_image_surface_get_height (d->surface));
  memcpy (&value, data + iy * stride + ix * 4, 4);
  out->a = (value >> 24 & 0xff) / 255.0;
  out->r = (value >> 16 & 0xff) / 255.0;
  out->g = (value >> 8 & 0xff) / 255.0;
  out->b = (value & 0xff) / 255.0;
}

static double
distance (const TvRgba *a,
          const TvRgba *b)
{
  return sqrt ((a->r - b->r) * (a->r - b->r) + (a->g - b->g) * (a->g - b->g)
               + (a->b - b->b) * (a->b - b->b));
}

static void
assert_color (const Drawing *d,
              double         x,
              double         y,
              const TvRgba  *expected)
{
  TvRgba got;

  pixel (d, x, y, &got);
  if (distance (&got, expected) > 0.04)
    g_error ("pixel (%.0f, %.0f) is #%02x%02x%02x, expected #%02x%02x%02x",
             x, y, (int) (got.r * 255), (int) (got.g * 255), (int) (got.b * 255),
             (int) (expected->r * 255), (int) (expected->g * 255), (int) (expected->b * 255));
}

/* Like assert_color, for a pixel a line covers only in part. */
static void
assert_near (const Drawing *d,
             double         x,
             double         y,
             const TvRgba  *expected)
{
  TvRgba got;

  pixel (d, x, y, &got);
  if (distance (&got, expected) > 0.2)
    g_error ("pixel (%.0f, %.0f) is #%02x%02x%02x, not near #%02x%02x%02x",
             x, y, (int) (got.r * 255), (int) (got.g * 255), (int) (got.b * 255),
             (int) (expected->r * 255), (int) (expected->g * 255), (int) (expected->b * 255));
}

static void
assert_not_color (const Drawing *d,
                  double         x,
                  double         y,
                  const TvRgba  *unexpected)
{
  TvRgba got;

  pixel (d, x, y, &got);
  if (distance (&got, unexpected) < 0.15)
    g_error ("pixel (%.0f, %.0f) is #%02x%02x%02x, too close to #%02x%02x%02x",
             x, y, (int) (got.r * 255), (int) (got.g * 255), (int) (got.b * 255),
             (int) (unexpected->r * 255), (int) (unexpected->g * 255),
             (int) (unexpected->b * 255));
}

static double
thread_row (const Drawing *d,
            TvTrace       *trace,
            guint          thread,
            double        *height)
{
  double y;

  g_assert_true (tv_renderer_get_thread_row (trace, &d->options, thread, &y, height));
  return y;
}

/* One thread: created at 10 µs, running 20..60, sleeping 60..80, ended at 80;
 * a second one keeps the trace going to 100 µs. */
static TvTrace *
one_thread_trace (void)
{
  TvTrace *trace = tv_trace_new ();

  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 10, 1, 0, "worker", 0);
  fx_start (trace, 20, 1, 0, 19);
  fx_state (trace, 60, 1, TV_STATE_SLEEPING, 0, 0);
  fx_exit (trace, 80, 1);
  fx_exit (trace, 100, 0);
  return trace;
}

/* ---- renderer ------------------------------------------------------------- */

/*
 * Where the run stood paused: a dashed line through the rows and a pause
 * sign in the axis, as the window draws them; a step: a bracket on the
 * stepped thread's row from its resume to its pause.
 */
static void
test_pauses (void)
{
  g_autoptr(TvTrace) trace = one_thread_trace ();
  const TvRgba accent = { 0.21, 0.52, 0.89, 1.0 };
  const TvRgba white = { 1, 1, 1, 1 };
  Drawing d = { 0 };
  double x, axis_y, y, h, dash;

  /* A user's pause at 40 µs, then a step of worker from 40 to 55 µs. */
  fx_event (trace, 40, TV_EV_PAUSE, TV_NO_THREAD, 0, TV_NO_THREAD, 0, 0, NULL);
  fx_event (trace, 40, TV_EV_RESUME, TV_NO_THREAD, 0, 1, 1000000, 0, NULL);
  fx_event (trace, 55, TV_EV_PAUSE, TV_NO_THREAD, 0, 1, 0, 0, NULL);
  fx_event (trace, 55, TV_EV_RESUME, TV_NO_THREAD, 0, TV_NO_THREAD, 2000000, 0, NULL);

  draw (&d, trace, TV_THEME_LIGHT, 0, US (100), 1000);
  axis_y = d.geometry.rows_top - 30;
  x = floor (x_of (&d, US (40)));

  /* The sign: an accent box with two white bars. */
  assert_near (&d, x - 4, axis_y + 5, &accent);
  assert_color (&d, x - 2, axis_y + 11, &white);
  assert_color (&d, x + 2, axis_y + 11, &white);
  assert_near (&d, x, axis_y + 11, &accent);
  /* The line through main's row: dashes 4 px long every 8 px. */
  y = thread_row (&d, trace, 0, &h);
  dash = axis_y + 22 + 8 * ceil ((y - axis_y - 22) / 8.0);
  assert_near (&d, x + 0.5, dash + 2, &accent);
  assert_not_color (&d, x + 0.5, dash + 6, &accent);
  /* Nowhere else. */
  assert_not_color (&d, x + 6.5, dash + 2, &accent);

  /* The step's bracket along the top of worker's row, and its end is a
   * moment the run stood paused too. */
  y = floor (thread_row (&d, trace, 1, &h));
  assert_near (&d, x_of (&d, US (47)), y + 2, &accent);
  assert_not_color (&d, x_of (&d, US (47)), y + h / 2, &accent);
  assert_not_color (&d, x_of (&d, US (70)), y + 2, &accent);
  assert_near (&d, floor (x_of (&d, US (55))) - 4, axis_y + 5, &accent);
  g_assert_cmpuint (tv_trace_get_pauses (trace)->len, ==, 4);
  drawing_clear (&d);
}

static void
test_running_bar (void)
{
  g_autoptr(TvTrace) trace = one_thread_trace ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  Drawing d = { 0 };
  double y, h, top;

  draw (&d, trace, TV_THEME_LIGHT, 0, US (100), 1000);
  y = thread_row (&d, trace, 1, &h);
  /* Near the top of the bar, clear of the label printed in its middle. */
  top = y + 7;

  assert_color (&d, x_of (&d, US (30)), top, &p->states[TV_STATE_RUNNING].fill);
  assert_color (&d, x_of (&d, US (55)), top, &p->states[TV_STATE_RUNNING].fill);
  /* Before its creation: nothing, the row's own background. */
  assert_not_color (&d, x_of (&d, US (5)), top, &p->states[TV_STATE_RUNNING].fill);
  assert_not_color (&d, x_of (&d, US (5)), y + h / 2, &p->states[TV_STATE_NEW].ink);
  /* Between creation and start: new, not running. */
  assert_not_color (&d, x_of (&d, US (15)), top, &p->states[TV_STATE_RUNNING].fill);
  /* Sleeping has its own fill. */
  assert_not_color (&d, x_of (&d, US (70)), top, &p->states[TV_STATE_RUNNING].fill);
  drawing_clear (&d);
}

static void
test_terminated_nothing_after (void)
{
  g_autoptr(TvTrace) trace = one_thread_trace ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  Drawing d = { 0 };
  TvRgba background, got;
  double y, h, x;

  draw (&d, trace, TV_THEME_LIGHT, 0, US (100), 1000);
  y = thread_row (&d, trace, 1, &h);

  /* The cap at the end is drawn in the foreground colour. */
  assert_color (&d, x_of (&d, US (80)), y + h / 2, &p->foreground);

  /* Every pixel after it is the row's background (or a faint grid line). */
  pixel (&d, x_of (&d, US (99)), y + h / 2, &background);
  g_assert_true (distance (&background, &p->background) < 0.04
                 || distance (&background, &p->stripe) < 0.04);
  for (x = x_of (&d, US (80)) + 4; x < x_of (&d, US (100)); x += 1)
    {
      pixel (&d, x, y + h / 2, &got);
      g_assert_cmpfloat (distance (&got, &background), <, 0.15);
    }
  drawing_clear (&d);
}

static void
test_dark_background (void)
{
  g_autoptr(TvTrace) trace = one_thread_trace ();
  Drawing light = { 0 }, dark = { 0 };
  TvRgba got;
  double y, h;

  draw (&light, trace, TV_THEME_LIGHT, 0, US (100), 800);
  draw (&dark, trace, TV_THEME_DARK, 0, US (100), 800);

  /* A row's empty part, before the worker exists. */
  y = thread_row (&dark, trace, 1, &h);
  pixel (&dark, x_of (&dark, US (2)), y + h / 2, &got);
  g_assert_cmpfloat (0.2126 * got.r + 0.7152 * got.g + 0.0722 * got.b, <, 0.25);
  pixel (&light, x_of (&light, US (2)), y + h / 2, &got);
  g_assert_cmpfloat (0.2126 * got.r + 0.7152 * got.g + 0.0722 * got.b, >, 0.85);

  drawing_clear (&light);
  drawing_clear (&dark);
}

static void
test_hold_row (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  Drawing d = { 0 };
  TvRgba holder, other;
  double y, h;

  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 0, 1, 0, "holder", 0);
  fx_start (trace, 5, 1, 0, 4);
  fx_object (trace, 1, TV_OBJ_LOCK, "L", 0);
  fx_acquire (trace, 20, 1, 1, TV_NO_THREAD, 0);
  fx_release (trace, 50, 1, 1);
  fx_acquire (trace, 60, 0, 1, TV_NO_THREAD, 0);
  fx_release (trace, 80, 0, 1);
  fx_exit (trace, 100, 1);
  fx_exit (trace, 100, 0);

  draw (&d, trace, TV_THEME_LIGHT, 0, US (100), 1000);
  g_assert_true (tv_renderer_get_object_row (trace, &d.options, 1, &y, &h));

  tv_palette_thread_color (p, 1, &holder);
  tv_palette_thread_color (p, 0, &other);
  assert_color (&d, x_of (&d, US (45)), y + 8, &holder);
  assert_color (&d, x_of (&d, US (75)), y + 8, &other);
  /* Nobody holds it between 50 and 60 µs. */
  assert_not_color (&d, x_of (&d, US (55)), y + 8, &holder);
  assert_not_color (&d, x_of (&d, US (55)), y + 8, &other);
  drawing_clear (&d);
}

static void
test_waiters_outlined (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  Drawing d = { 0 };
  double y, h;
  TvRgba got;
  gboolean found = FALSE;
  double yy;

  draw (&d, trace, TV_THEME_LIGHT, 0, US (200), 1200);
  g_assert_true (tv_renderer_get_object_row (trace, &d.options, FX_LOCK, &y, &h));
  /* worker-2 waits for counter_lock from 30 to 51 µs: the bar gets the
   * badge colour's outline; outside the wait it does not. */
  for (yy = y; yy < y + h; yy += 1)
    {
      pixel (&d, x_of (&d, US (40)), yy, &got);
      if (distance (&got, &p->badge) < 0.15)
        found = TRUE;
    }
  g_assert_true (found);
  for (yy = y; yy < y + h; yy += 1)
    assert_not_color (&d, x_of (&d, US (60)), yy, &p->badge);
  drawing_clear (&d);
}

static void
test_deadlock_outlined (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  Drawing d = { 0 };
  double y, h;

  draw (&d, trace, TV_THEME_LIGHT, 0, US (200), 1200);
  /* After the deadlock, bob's row and fork_a's row are outlined... */
  y = thread_row (&d, trace, FX_BOB, &h);
  assert_color (&d, x_of (&d, US (180)), y + 1.5, &p->problem);
  g_assert_true (tv_renderer_get_object_row (trace, &d.options, FX_FORK_A, &y, &h));
  assert_color (&d, x_of (&d, US (180)), y + 1.5, &p->problem);
  /* ...but not the rows of threads outside the cycle. */
  y = thread_row (&d, trace, FX_W1, &h);
  assert_not_color (&d, x_of (&d, US (180)), y + 1.5, &p->problem);
  drawing_clear (&d);
}

static void
test_lod (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  const TvRgba *running = &p->states[TV_STATE_RUNNING].fill;
  const TvRgba *sleeping = &p->states[TV_STATE_SLEEPING].fill;
  Drawing d = { 0 };
  const guint n = 200000;
  double y, h, x;
  guint i;

  /*
   * 200k spans on thread 1: in the first half a short run and a long
   * sleep, in the second half a long run and a short sleep (4 ns each),
   * far thinner than a pixel.  Each pixel column must show the state
   * that covers most of it.
   */
  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 0, 1, 0, "busy", 0);
  fx_start (trace, 0, 1, 0, 0);
  for (i = 0; i < n; i++)
    {
      gint64 t = (gint64) (i / 2) * 8;
      gboolean first_half = i < n / 2;
      TvEvent event = { 0 };

      event.kind = TV_EV_STATE;
      event.thread = 1;
      if (i % 2 == 0)
        {
          event.time = t + 1000;
          event.arg = TV_STATE_RUNNING;
        }
      else
        {
          event.time = t + 1000 + (first_half ? 2 : 6);
          event.arg = TV_STATE_SLEEPING;
        }
      tv_trace_add_event (trace, &event, NULL);
    }
  fx_exit (trace, 801, 1);
  fx_exit (trace, 801, 0);
  g_assert_cmpuint (tv_trace_get_thread (trace, 1)->spans->len, >=, n);

  draw (&d, trace, TV_THEME_LIGHT, 0, US (801), 1000);
  y = thread_row (&d, trace, 1, &h);

  /* One bar per pixel column at most, not one per span. */
  g_assert_cmpuint (d.stats.n_bars, <=, (guint) d.geometry.area_width * 3 + 16);

  for (x = x_of (&d, 1000) + 2; x < x_of (&d, 1000 + n / 2 * 4) - 2; x += 7)
    {
      TvRgba got;

      pixel (&d, x, y + 7, &got);
      g_assert_cmpfloat (distance (&got, sleeping), <, distance (&got, running));
    }
  for (x = x_of (&d, 1000 + n / 2 * 4) + 2; x < x_of (&d, 1000 + n * 4) - 2; x += 7)
    assert_color (&d, x, y + 7, running);

  /* Zoomed in on 40 ns, the spans are wide again and drawn one by one. */
  drawing_clear (&d);
  draw (&d, trace, TV_THEME_LIGHT, 500000, 500040, 1000);
  g_assert_cmpuint (d.stats.n_bars, >=, 8);
  g_assert_cmpuint (d.stats.n_bars, <=, 16);
  drawing_clear (&d);
}

/*
 * The level of detail must not change a picture whose spans are wider than
 * a pixel: a row of 150 spans 2 to 20 px wide (four states, each with its
 * own fill or pattern, edges on whole pixels) is compared pixel by pixel
 * with the same spans painted one by one, as the exact path would.
 */
static void
test_lod_matches_exact (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  static const TvThreadState states[] = {
    TV_STATE_RUNNING, TV_STATE_SLEEPING, TV_STATE_LOCK, TV_STATE_GIL_WAIT
  };
  const gint64 end = 1000000;
  cairo_surface_t *reference;
  cairo_t *cr;
  Drawing d = { 0 };
  TvRenderOptions options;
  TvRendererGeometry geometry;
  g_autoptr(GArray) edges = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint32 seed = 7;
  double px_per_ns, y, h, bar_y, bar_h;
  int x, yy, k, n_differ = 0, n_compared = 0;
  guint i;

  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 0, 1, 0, "striped", 0);
  fx_object (trace, 1, TV_OBJ_LOCK, "L", 0);

  /* Where whole pixels fall depends on the label column: ask first. */
  tv_render_options_init (&options, trace, 1000, 10);
  options.start = 0;
  options.end = end;
  tv_renderer_get_geometry (trace, &options, &geometry);
  px_per_ns = geometry.area_width / (double) end;

  /* Edges on whole pixels, 2 to 20 px apart. */
  for (k = 4; k < (int) geometry.area_width - 24; )
    {
      g_array_append_val (edges, (gint64) { (gint64) llround (k / px_per_ns) });
      seed = seed * 1103515245u + 12345u;
      k += 2 + (int) ((seed >> 16) % 19);
    }
  fx_start (trace, 0, 1, 0, 0);
  for (i = 0; i + 1 < edges->len; i++)
    {
      TvEvent event = { 0 };

      event.kind = TV_EV_STATE;
      event.thread = 1;
      event.time = g_array_index (edges, gint64, i);
      event.arg = states[i % G_N_ELEMENTS (states)];
      event.object = event.arg == TV_STATE_LOCK ? 1 : 0;
      tv_trace_add_event (trace, &event, NULL);
    }
  {
    TvEvent exit_event = { g_array_index (edges, gint64, edges->len - 1), 0, 1, 0, 0,
                           TV_EV_THREAD_EXIT, 0 };
    TvEvent main_exit = { end, 0, 0, 0, 0, TV_EV_THREAD_EXIT, 0 };

    tv_trace_add_event (trace, &exit_event, NULL);
    tv_trace_add_event (trace, &main_exit, NULL);
  }

  draw (&d, trace, TV_THEME_LIGHT, 0, end, 1000);
  g_assert_cmpfloat (fabs (d.geometry.area_width - geometry.area_width), <, 1e-9);
  y = thread_row (&d, trace, 1, &h);
  bar_y = y + 5;
  bar_h = h - 10;

  /* The reference: the same picture with the row's spans painted one by
   * one over it. */
  reference = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                          cairo_image_surface_get_width (d.surface),
                                          cairo_image_surface_get_height (d.surface));
  cr = cairo_create (reference);
  cairo_set_source_surface (cr, d.surface, 0, 0);
  cairo_paint (cr);
  for (i = 0; i + 2 < edges->len; i++)
    {
      const TvStateStyle *style = &p->states[states[i % G_N_ELEMENTS (states)]];
      cairo_pattern_t *pattern = tv_palette_create_pattern (style->pattern, &style->ink, FALSE);
      double x0 = x_of (&d, g_array_index (edges, gint64, i));
      double x1 = x_of (&d, g_array_index (edges, gint64, i + 1));

      cairo_rectangle (cr, x0, bar_y, x1 - x0, bar_h);
      tv_rgba_set_source (cr, &style->fill);
      if (pattern != NULL)
        {
          cairo_fill_preserve (cr);
          cairo_set_source (cr, pattern);
          cairo_pattern_destroy (pattern);
        }
      cairo_fill (cr);
    }
  cairo_destroy (cr);
  cairo_surface_flush (reference);

  /* Every pixel of the bars but the last span's (the cap is drawn there). */
  for (x = (int) ceil (x_of (&d, g_array_index (edges, gint64, 0)));
       x < (int) floor (x_of (&d, g_array_index (edges, gint64, edges->len - 2))); x++)
    for (yy = (int) ceil (bar_y); yy < (int) floor (bar_y + bar_h); yy++)
      {
        Drawing ref = d;
        TvRgba a, b;

        ref.surface = reference;
        pixel (&d, x, yy, &a);
        pixel (&ref, x, yy, &b);
        n_compared++;
        if (distance (&a, &b) > 0.02)
          {
            if (n_differ < 10)
              g_test_message ("differs at %d,%d", x, yy);
            n_differ++;
          }
      }
  g_assert_cmpint (n_compared, >, 10000);
  if (n_differ > 0)
    g_error ("%d of %d pixels differ from the exact drawing", n_differ, n_compared);

  cairo_surface_destroy (reference);
  drawing_clear (&d);
}

/* The state of most of each of three regions of a million spans far
 * thinner than a pixel. */
static void
test_lod_million_spans (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  const TvRgba *fills[3] = {
    &p->states[TV_STATE_RUNNING].fill,
    &p->states[TV_STATE_SLEEPING].fill,
    &p->states[TV_STATE_GIL_WAIT].fill,
  };
  static const TvThreadState major[3] = {
    TV_STATE_RUNNING, TV_STATE_SLEEPING, TV_STATE_GIL_WAIT
  };
  const guint n = 1000000;
  const gint64 third = (gint64) n * 5 / 3;
  Drawing d = { 0 };
  double y, h, x;
  guint i;
  int r;

  /*
   * Spans of 10 ns in pairs: 8 ns of the region's state, 2 ns of another.
   */
  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 0, 1, 0, "million", 0);
  fx_start (trace, 0, 1, 0, 0);
  for (i = 0; i < n; i += 2)
    {
      gint64 t = (gint64) i * 5 + 10;
      guint region = (guint) MIN (t / third, 2);
      TvEvent event = { 0 };

      event.kind = TV_EV_STATE;
      event.thread = 1;
      event.time = t;
      event.arg = major[region];
      tv_trace_add_event (trace, &event, NULL);
      event.time = t + 8;
      event.arg = major[(region + 1) % 3];
      tv_trace_add_event (trace, &event, NULL);
    }
  {
    TvEvent exit1 = { (gint64) n * 5 + 10, 0, 1, 0, 0, TV_EV_THREAD_EXIT, 0 };
    TvEvent exit0 = { (gint64) n * 5 + 20, 0, 0, 0, 0, TV_EV_THREAD_EXIT, 0 };

    tv_trace_add_event (trace, &exit1, NULL);
    tv_trace_add_event (trace, &exit0, NULL);
  }
  g_assert_cmpuint (tv_trace_get_thread (trace, 1)->spans->len, >=, n);

  draw (&d, trace, TV_THEME_LIGHT, 0, (gint64) n * 5 + 20, 1200);
  y = thread_row (&d, trace, 1, &h);
  /* About a bar per pixel column at most. */
  g_assert_cmpuint (d.stats.n_bars, <=, (guint) d.geometry.area_width + 16);

  for (r = 0; r < 3; r++)
    for (x = x_of (&d, r * third + 10) + 3; x < x_of (&d, (r + 1) * third) - 3; x += 5)
      {
        int votes[3] = { 0, 0, 0 };
        double yy;
        int other;

        /* Most pixels of the column are nearer the region's fill than any
         * other state's (patterns put ink lines in some rows, and the
         * label is in the middle). */
        for (yy = y + 5; yy < y + h - 5; yy += 1)
          {
            TvRgba got;
            int best = 0;

            pixel (&d, x, yy, &got);
            for (other = 1; other < 3; other++)
              if (distance (&got, fills[other]) < distance (&got, fills[best]))
                best = other;
            votes[best]++;
          }
        for (other = 0; other < 3; other++)
          if (other != r && votes[other] >= votes[r])
            g_error ("column %.0f of region %d looks like region %d's state", x, r, other);
      }
  drawing_clear (&d);
}

/*
 * A lock with 100,000 waiting stretches: where they are closer than a
 * pixel the row is one outlined, hatched stretch; where nobody waits it
 * is not outlined; sparse stretches keep their own outline.
 */
static void
test_lod_many_waiters (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  const guint n = 100000;
  const gint64 dense_end = (gint64) n * 100;      /* 10 ms of stretches 100 ns apart */
  const gint64 quiet_end = dense_end * 3 / 2;     /* 5 ms where nobody waits */
  const gint64 end = dense_end * 2;               /* 5 ms of a few wide stretches */
  TvRenderOptions options;
  TvRendererGeometry geometry;
  Drawing d = { 0 };
  double y, h, x, top;
  gint64 t;
  guint i;

  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 0, 1, 0, "waiter", 0);
  fx_start (trace, 0, 1, 0, 0);
  fx_object (trace, 1, TV_OBJ_LOCK, "L", 0);
  fx_acquire (trace, 0, 0, 1, TV_NO_THREAD, 0);
  for (i = 0; i < n; i++)
    {
      TvEvent wait = { (gint64) i * 100 + 10, TV_STATE_LOCK, 1, 1, 0, TV_EV_STATE, 0 };
      TvEvent run = { (gint64) i * 100 + 60, TV_STATE_RUNNING, 1, 0, 0, TV_EV_STATE, 0 };

      tv_trace_add_event (trace, &wait, NULL);
      tv_trace_add_event (trace, &run, NULL);
    }
  g_assert_cmpuint (tv_trace_get_object (trace, 1)->waiters->len, >=, 2 * n);

  /* Five wide stretches, each 1/100 of the range, in the last quarter. */
  tv_render_options_init (&options, trace, 1000, 10);
  tv_renderer_get_geometry (trace, &options, &geometry);
  for (t = quiet_end + end / 40; t + end / 100 < end; t += end / 25)
    {
      TvEvent wait = { t, TV_STATE_LOCK, 1, 1, 0, TV_EV_STATE, 0 };
      TvEvent run = { t + end / 100, TV_STATE_RUNNING, 1, 0, 0, TV_EV_STATE, 0 };

      tv_trace_add_event (trace, &wait, NULL);
      tv_trace_add_event (trace, &run, NULL);
    }
  {
    TvEvent release = { end, 0, 0, 1, 0, TV_EV_RELEASE, 0 };

    tv_trace_add_event (trace, &release, NULL);
  }

  draw (&d, trace, TV_THEME_LIGHT, 0, end, 1000);
  g_assert_true (tv_renderer_get_object_row (trace, &d.options, 1, &y, &h));
  /* The outline's top edge (1.5 px wide, on the bar's top: the row of
   * pixels it covers in part is a blend). */
  top = y + 5;

  /* Dense: outlined all along (the badge may cover the end). */
  for (x = x_of (&d, 200) + 2; x < x_of (&d, dense_end) - 40; x += 3)
    assert_near (&d, x, top, &p->badge);
  /* Quiet: the holder's bar, no outline. */
  for (x = x_of (&d, dense_end) + 3; x < x_of (&d, quiet_end) - 3; x += 3)
    assert_not_color (&d, x, top, &p->badge);
  /* Sparse: each wide stretch outlined, the gaps between them not. */
  for (t = quiet_end + end / 40; t + end / 100 < end; t += end / 25)
    {
      assert_near (&d, x_of (&d, t + end / 400), top, &p->badge);
      assert_not_color (&d, x_of (&d, t - end / 100), top, &p->badge);
    }
  drawing_clear (&d);
}

/* A live thread's last state reaches the run's clock (`now`), not only the
 * last event. */
static void
test_live_now_edge (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  const TvRgba *running = &p->states[TV_STATE_RUNNING].fill;
  TvRenderOptions options;
  cairo_surface_t *surface;
  cairo_t *cr;
  Drawing d = { 0 };
  double y, h;

  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_state (trace, 50, 0, TV_STATE_RUNNING, 0, 0);

  /* Without `now`, the bar stops at the last event (50 µs)... */
  draw (&d, trace, TV_THEME_LIGHT, 0, US (100), 1000);
  y = thread_row (&d, trace, 0, &h);
  assert_color (&d, x_of (&d, US (45)), y + 7, running);
  assert_not_color (&d, x_of (&d, US (80)), y + 7, running);

  /* ...with it, at the clock (90 µs), and not beyond. */
  options = d.options;
  options.now = US (90);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, options.width, options.height);
  cr = cairo_create (surface);
  tv_renderer_draw (trace, &options, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  cairo_surface_destroy (d.surface);
  d.surface = surface;
  assert_color (&d, x_of (&d, US (80)), y + 7, running);
  assert_color (&d, x_of (&d, US (89)), y + 7, running);
  assert_not_color (&d, x_of (&d, US (95)), y + 7, running);
  drawing_clear (&d);
}

/* 100,000 prints on one thread: a mark wherever it printed, none where it
 * did not. */
static void
test_lod_many_prints (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvPalette *p = tv_palette_get (TV_THEME_LIGHT);
  const guint n = 100000;
  const gint64 end = (gint64) n * 100;       /* prints in the first half */
  Drawing d = { 0 };
  double y, h, x;
  int dark = 0, samples = 0;
  guint i;

  fx_thread (trace, 0, 0, 0, "main", TV_NO_THREAD);
  fx_start (trace, 0, 0, TV_NO_THREAD, 0);
  fx_thread (trace, 0, 1, 0, "chatty", 0);
  fx_start (trace, 0, 1, 0, 0);
  for (i = 0; i < n; i++)
    {
      TvEvent print = { (gint64) i * 50 + 10, 0, 1, 0, 0, TV_EV_PRINT, 0 };

      tv_trace_add_event (trace, &print, "tick");
    }
  {
    TvEvent exit1 = { end, 0, 1, 0, 0, TV_EV_THREAD_EXIT, 0 };

    tv_trace_add_event (trace, &exit1, NULL);
  }
  g_assert_cmpuint (tv_trace_get_prints (trace)->len, ==, n);

  draw (&d, trace, TV_THEME_LIGHT, 0, end, 1000);
  y = thread_row (&d, trace, 1, &h);

  /* Where it printed, the bubbles (in the foreground colour) touch. */
  for (x = x_of (&d, 0) + 8; x < x_of (&d, end / 2) - 8; x += 1)
    {
      TvRgba got;

      pixel (&d, x, y + 3, &got);
      samples++;
      if (distance (&got, &p->foreground) < 0.2)
        dark++;
    }
  g_assert_cmpint (dark, >, samples / 2);
  /* Where it did not, none. */
  for (x = x_of (&d, end / 2) + 8; x < x_of (&d, end) - 8; x += 1)
    assert_not_color (&d, x, y + 3, &p->foreground);
  drawing_clear (&d);
}

static void
test_filter_and_height (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  TvRenderOptions options;
  int plain, titled;

  tv_render_options_init (&options, trace, 1200, 600);
  g_assert_cmpint (options.start, ==, 0);
  g_assert_cmpint (options.end, ==, US (200));
  g_assert_true (tv_renderer_get_thread_row (trace, &options, FX_ALICE, NULL, NULL));
  plain = tv_renderer_measure_height (trace, &options);
  options.show_title = TRUE;
  options.show_legend = TRUE;
  titled = tv_renderer_measure_height (trace, &options);
  g_assert_cmpint (titled, >, plain + 80);

  options.filter = "ALI";
  g_assert_true (tv_renderer_get_thread_row (trace, &options, FX_ALICE, NULL, NULL));
  g_assert_false (tv_renderer_get_thread_row (trace, &options, FX_BOB, NULL, NULL));
  g_assert_cmpint (tv_renderer_measure_height (trace, &options), <, titled);

  /* counter is read and written by two threads: it has a row. */
  g_assert_true (tv_renderer_get_object_row (trace, &options, FX_COUNTER, NULL, NULL));
}

static void
test_row_at (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  TvRenderOptions options;
  TvRendererGeometry geometry;
  double y, h;
  guint32 id = 0;

  tv_render_options_init (&options, trace, 1000, 2000);
  options.scroll_y = 30;
  tv_renderer_get_geometry (trace, &options, &geometry);

  g_assert_true (tv_renderer_get_thread_row (trace, &options, FX_BOB, &y, &h));
  g_assert_cmpint (tv_renderer_row_at (trace, &options, y + h / 2, &id), ==, TV_RENDER_ROW_THREAD);
  g_assert_cmpuint (id, ==, FX_BOB);
  g_assert_true (tv_renderer_get_object_row (trace, &options, FX_QUEUE, &y, &h));
  g_assert_cmpint (tv_renderer_row_at (trace, &options, y + 1, &id), ==, TV_RENDER_ROW_OBJECT);
  g_assert_cmpuint (id, ==, FX_QUEUE);
  /* The axis is not a row, nor anything below the last one. */
  g_assert_cmpint (tv_renderer_row_at (trace, &options, geometry.rows_top - 1, NULL), ==,
                   TV_RENDER_ROW_NONE);
  g_assert_cmpint (tv_renderer_row_at (trace, &options, 1990, NULL), ==, TV_RENDER_ROW_NONE);
  /* The first row (the process header) is scrolled half out of sight. */
  g_assert_cmpint (tv_renderer_row_at (trace, &options, geometry.rows_top, &id), !=,
                   TV_RENDER_ROW_NONE);
}

static void
test_main_thread_first (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRenderOptions options;
  double y_main, y_early, y_late;

  /* Thread 2 is started before thread 1; main (thread 3) was created first. */
  fx_thread (trace, 0, 3, 1, "main", TV_NO_THREAD);
  fx_start (trace, 0, 3, TV_NO_THREAD, 0);
  fx_thread (trace, 1, 1, 1, "late", 3);
  fx_thread (trace, 1, 2, 1, "early", 3);
  fx_start (trace, 5, 2, 3, 4);
  fx_start (trace, 9, 1, 3, 8);
  fx_event (trace, 10, TV_EV_THREAD_NAME, 1, 0, 0, 0, 0, "renamed");

  tv_render_options_init (&options, trace, 800, 400);
  g_assert_true (tv_renderer_get_thread_row (trace, &options, 3, &y_main, NULL));
  g_assert_true (tv_renderer_get_thread_row (trace, &options, 2, &y_early, NULL));
  g_assert_true (tv_renderer_get_thread_row (trace, &options, 1, &y_late, NULL));
  g_assert_cmpfloat (y_main, <, y_early);
  g_assert_cmpfloat (y_early, <, y_late);

  /* Rows follow renames: the filter sees the current name. */
  options.filter = "renamed";
  g_assert_true (tv_renderer_get_thread_row (trace, &options, 1, NULL, NULL));
  g_assert_false (tv_renderer_get_thread_row (trace, &options, 2, NULL, NULL));
}

static void
test_draws_everything (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  TvTheme themes[] = { TV_THEME_LIGHT, TV_THEME_DARK };
  guint i;

  /* Title, legend, scrolling, zoomed ranges and a tiny surface: no cairo
   * error in any of them. */
  for (i = 0; i < G_N_ELEMENTS (themes); i++)
    {
      gint64 ranges[][2] = { { 0, US (200) }, { US (100), US (101) }, { US (150), US (900) } };
      guint r;

      for (r = 0; r < G_N_ELEMENTS (ranges); r++)
        {
          cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 700, 300);
          cairo_t *cr = cairo_create (surface);
          TvRenderOptions options;

          tv_render_options_init (&options, trace, 700, 300);
          options.theme = themes[i];
          options.start = ranges[r][0];
          options.end = ranges[r][1];
          options.show_title = TRUE;
          options.show_legend = r == 0;
          options.scroll_y = r * 40;
          tv_renderer_draw (trace, &options, cr);
          g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
          cairo_destroy (cr);
          cairo_surface_destroy (surface);
        }
    }
}

static void
test_edge_cases (void)
{
  g_autoptr(TvTrace) empty = tv_trace_new ();
  g_autoptr(TvTrace) demo = fx_demo_trace ();
  struct { TvTrace *trace; int width; gint64 start, end; } cases[] = {
    { empty, 400, 0, 1 },
    { demo, 60, 0, US (200) },           /* narrower than the label column */
    { demo, 800, -US (50), US (20) },    /* panned left of the run's start */
    { demo, 800, US (199), US (199) + 3 },  /* 3 ns over 600 px */
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      cairo_surface_t *surface;
      TvRenderOptions options;
      cairo_t *cr;
      int height;

      tv_render_options_init (&options, cases[i].trace, cases[i].width, 1);
      options.start = cases[i].start;
      options.end = cases[i].end;
      options.show_title = TRUE;
      options.show_legend = TRUE;
      height = tv_renderer_measure_height (cases[i].trace, &options);
      g_assert_cmpint (height, >, 0);
      options.height = height;
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, cases[i].width, height);
      cr = cairo_create (surface);
      tv_renderer_draw (cases[i].trace, &options, cr);
      g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
      cairo_destroy (cr);
      cairo_surface_destroy (surface);
    }

  /* An empty trace has no rows: the title, the axis and the legend only. */
  {
    TvRenderOptions options;

    tv_render_options_init (&options, empty, 400, 1);
    g_assert_cmpint (options.end, ==, 1);
    g_assert_cmpint (tv_renderer_measure_height (empty, &options), ==, 30);
    g_assert_cmpint (tv_renderer_row_at (empty, &options, 40, NULL), ==, TV_RENDER_ROW_NONE);
  }
}

/* ---- axis ----------------------------------------------------------------- */

static void
test_time_format (void)
{
  char buf[64];

  g_assert_cmpstr (tv_time_format (0, 3, buf, sizeof buf), ==, "0");
  g_assert_cmpstr (tv_time_format (999, 3, buf, sizeof buf), ==, "999 ns");
  g_assert_cmpstr (tv_time_format (1000, 3, buf, sizeof buf), ==, "1 µs");
  g_assert_cmpstr (tv_time_format (1500000, 1, buf, sizeof buf), ==, "1.5 ms");
  g_assert_cmpstr (tv_time_format (1500000, 0, buf, sizeof buf), ==, "2 ms");
  g_assert_cmpstr (tv_time_format (2500000000, 3, buf, sizeof buf), ==, "2.5 s");
  g_assert_cmpstr (tv_time_format (1000001000, 6, buf, sizeof buf), ==, "1.000001 s");
  g_assert_cmpstr (tv_time_format (-250000, 0, buf, sizeof buf), ==, "-250 µs");
  g_assert_cmpstr (tv_time_format (1999, 9, buf, sizeof buf), ==, "1.999 µs");
}

static void
test_nice_step (void)
{
  g_assert_cmpint (tv_axis_nice_step (0.3), ==, 1);
  g_assert_cmpint (tv_axis_nice_step (1), ==, 1);
  g_assert_cmpint (tv_axis_nice_step (3), ==, 5);
  g_assert_cmpint (tv_axis_nice_step (7), ==, 10);
  g_assert_cmpint (tv_axis_nice_step (12), ==, 20);
  g_assert_cmpint (tv_axis_nice_step (150), ==, 200);
  g_assert_cmpint (tv_axis_nice_step (2000001), ==, 5000000);
  g_assert_cmpint (tv_axis_next_step (1), ==, 2);
  g_assert_cmpint (tv_axis_next_step (2), ==, 5);
  g_assert_cmpint (tv_axis_next_step (5), ==, 10);
  g_assert_cmpint (tv_axis_next_step (500000), ==, 1000000);
}

static void
labels (gint64   start,
        gint64   end,
        GPtrArray *out,
        TvAxisTicks *ticks)
{
  gint64 t;

  tv_axis_ticks_init (ticks, start, end, 1000, 80);
  for (t = ticks->first; t <= end; t += ticks->step)
    {
      char buf[64];

      g_ptr_array_add (out, g_strdup (tv_axis_format_tick (ticks, t, buf, sizeof buf)));
    }
}

static void
test_axis_ranges (void)
{
  static const struct
  {
    gint64      end;
    gint64      step;
    const char *first[4];
    const char *last;
  } cases[] = {
    { 1000, 100, { "0", "100 ns", "200 ns", "300 ns" }, "1 µs" },
    { 10000, 1000, { "0", "1 µs", "2 µs", "3 µs" }, "10 µs" },
    { 1000000, 100000, { "0", "100 µs", "200 µs", "300 µs" }, "1 ms" },
    { 3000000, 500000, { "0", "500 µs", "1 ms", "1.5 ms" }, "3 ms" },
    { 1000000000, 100000000, { "0", "100 ms", "200 ms", "300 ms" }, "1 s" },
    { 7000000000, 1000000000, { "0", "1 s", "2 s", "3 s" }, "7 s" },
    { 100000000000, 10000000000, { "0", "10 s", "20 s", "30 s" }, "100 s" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
      TvAxisTicks ticks;
      guint j;

      labels (0, cases[i].end, out, &ticks);
      g_assert_cmpint (ticks.step, ==, cases[i].step);
      g_assert_cmpint (ticks.base, ==, 0);
      /* At least 80 px apart over 1000 px. */
      g_assert_cmpfloat (ticks.step * 1000.0 / cases[i].end, >=, 80);
      g_assert_cmpint (ticks.step % ticks.minor_step, ==, 0);
      for (j = 0; j < 4; j++)
        g_assert_cmpstr (out->pdata[j], ==, cases[i].first[j]);
      g_assert_cmpstr (out->pdata[out->len - 1], ==, cases[i].last);
      /* No two labels alike. */
      for (j = 1; j < out->len; j++)
        g_assert_cmpstr (out->pdata[j - 1], !=, out->pdata[j]);
    }
}

static void
test_axis_offset (void)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  TvAxisTicks ticks;
  char buf[64];
  guint j;

  /* One microsecond, five seconds into the run: "5.0000001 s" would be
   * unreadable, so the labels are offsets from a base. */
  labels (5 * TV_NSEC_PER_SEC, 5 * TV_NSEC_PER_SEC + 1000, out, &ticks);
  g_assert_cmpint (ticks.step, ==, 100);
  g_assert_cmpint (ticks.base, ==, 5 * TV_NSEC_PER_SEC);
  g_assert_cmpstr (tv_axis_format_base (&ticks, buf, sizeof buf), ==, "5 s");
  g_assert_cmpstr (out->pdata[0], ==, "0");
  g_assert_cmpstr (out->pdata[1], ==, "+100 ns");
  g_assert_cmpstr (out->pdata[out->len - 1], ==, "+1 µs");
  for (j = 1; j < out->len; j++)
    g_assert_cmpstr (out->pdata[j - 1], !=, out->pdata[j]);

  /* Widening goes one 1-2-5 notch up. */
  tv_axis_ticks_widen (&ticks);
  g_assert_cmpint (ticks.step, ==, 200);

  /* A short range late in a run that still reads well stays absolute. */
  tv_axis_ticks_init (&ticks, 2 * TV_NSEC_PER_SEC, 3 * TV_NSEC_PER_SEC, 1000, 80);
  g_assert_cmpint (ticks.base, ==, 0);
  g_assert_cmpstr (tv_axis_format_tick (&ticks, ticks.first + ticks.step, buf, sizeof buf),
                   ==, "2.1 s");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/renderer/running-bar", test_running_bar);
  g_test_add_func ("/tv/renderer/terminated-nothing-after", test_terminated_nothing_after);
  g_test_add_func ("/tv/renderer/dark-background", test_dark_background);
  g_test_add_func ("/tv/renderer/hold-row", test_hold_row);
  g_test_add_func ("/tv/renderer/waiters-outlined", test_waiters_outlined);
  g_test_add_func ("/tv/renderer/deadlock-outlined", test_deadlock_outlined);
  g_test_add_func ("/tv/renderer/lod", test_lod);
  g_test_add_func ("/tv/renderer/lod-matches-exact", test_lod_matches_exact);
  g_test_add_func ("/tv/renderer/lod-million-spans", test_lod_million_spans);
  g_test_add_func ("/tv/renderer/lod-many-waiters", test_lod_many_waiters);
  g_test_add_func ("/tv/renderer/lod-many-prints", test_lod_many_prints);
  g_test_add_func ("/tv/renderer/live-now-edge", test_live_now_edge);
  g_test_add_func ("/tv/renderer/filter-and-height", test_filter_and_height);
  g_test_add_func ("/tv/renderer/main-thread-first", test_main_thread_first);
  g_test_add_func ("/tv/renderer/row-at", test_row_at);
  g_test_add_func ("/tv/renderer/draws-everything", test_draws_everything);
  g_test_add_func ("/tv/renderer/edge-cases", test_edge_cases);
  g_test_add_func ("/tv/renderer/pauses", test_pauses);
  g_test_add_func ("/tv/axis/time-format", test_time_format);
  g_test_add_func ("/tv/axis/nice-step", test_nice_step);
  g_test_add_func ("/tv/axis/ranges", test_axis_ranges);
  g_test_add_func ("/tv/axis/offset", test_axis_offset);

  {
    int status = g_test_run ();

    fx_release_fonts ();
    return status;
  }
}
