/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * threadviz-bench-window: is the live window responsive while 20 threads
 * record flat out?  (Issue 7, item 4; docs/performance.md, "Live
 * recording".)
 *
 *   threadviz-bench-window [--json] [--seconds S] [--screenshot OUT.png]
 *                          [--scenario FILE.tvs]
 *
 * Opens the real window (run it under `xvfb-run -a`), runs a scenario of
 * 20 threads doing acquire / x += 1 / release forever, drawn live and
 * following the right edge, for S seconds (default 5), then stops it and
 * waits for the trace so far; after a first run of a second, not measured,
 * that shows the timeline and warms the renderer up.  Measures:
 *
 *   live_frame_max_ms, live_frame_p99_ms   the frame clock's intervals
 *                                          (after-paint to after-paint)
 *   live_stall_max_ms                      the longest the main loop was
 *                                          busy in one go (between two
 *                                          polls): what a person feels
 *                                          under Xvfb, which has no vsync
 *   live_feed_max_ms, live_draw_max_ms     the timeline's longest feed of
 *                                          the trace and drawing
 *   live_events, live_dropped              what reached the trace
 *   live_renderer                          GSK's renderer: "gl" or "cairo"
 *                                          (set GSK_RENDERER to choose)
 *
 * Built by default, never run by the test suite.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <adwaita.h>

#include "tv-application.h"
#include "tv-timeline.h"
#include "tv-window.h"

static const char flat_out[] =
  "# 20 threads recording flat out\n"
  "lock L\n"
  "var x = 0\n"
  "thread T * 20:\n"
  "    forever:\n"
  "        acquire L\n"
  "        x += 1\n"
  "        release L\n"
  "main:\n"
  "    start T\n"
  "    join T\n";

/* The main loop's busy stretches, measured around its poll. */
static GPollFunc real_poll;
static gint64 poll_returned;
static gint64 stall_max_us;
static gboolean measuring;

/* The main thread's own CPU time: a stall longer than it was spent
 * waiting for a CPU that other processes had. */
static gint64 poll_returned_cpu;
static gint64 stall_cpu_max_us;
static gint64 stall_max_at;   /* when the longest stall began */

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gint
timed_poll (GPollFD *fds,
            guint    n_fds,
            gint     timeout)
{
  gint64 entered = g_get_monotonic_time ();
  gint64 entered_cpu = thread_cpu_us ();
  gint result;

  if (measuring && poll_returned > 0)
    {
      if (entered - poll_returned > stall_max_us)
        {
          stall_max_us = entered - poll_returned;
          stall_max_at = poll_returned;
        }
      stall_cpu_max_us = MAX (stall_cpu_max_us, entered_cpu - poll_returned_cpu);
    }
  result = real_poll (fds, n_fds, timeout);
  poll_returned = g_get_monotonic_time ();
  poll_returned_cpu = thread_cpu_us ();
  return result;
}

static GArray *frame_times;   /* gint64 µs, after-paint */

/* The frame clock's phases, each timed from the end of the one before
 * (our handlers run after GTK's own). */
static gint64 phase_end, phase_end_cpu;
/* Wall and CPU time of each phase: update, layout, paint. */
static gint64 phase_max_us[3][2];

static gint64 thread_cpu_us (void);

static void
phase_cb (GdkFrameClock *clock,
          gpointer       data)
{
  gint64 *max = data, now = g_get_monotonic_time (), cpu = thread_cpu_us ();

  if (measuring && max != NULL && phase_end > 0)
    {
      max[0] = MAX (max[0], now - phase_end);
      max[1] = MAX (max[1], cpu - phase_end_cpu);
    }
  phase_end = now;
  phase_end_cpu = cpu;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  if (measuring)
    g_array_append_val (frame_times, now);
}

static gboolean
not_loading (gpointer data)
{
  return !tv_window_is_loading (data);
}

static gboolean
not_running (gpointer data)
{
  return !tv_window_is_running (data);
}

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

static gboolean
keep_awake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
iterate_until (gboolean (*done) (gpointer),
               gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  /* A window with nothing to draw may sleep in its poll: look at `done`
   * every 10 ms whatever happens. */
  guint awake = g_timeout_add (10, keep_awake, NULL);

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("threadviz-bench-window: gave up waiting");
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (awake);
}

/* GSK's renderer for the window: "gl" or "cairo" (GSK_RENDERER). */
static const char *
renderer_name (GtkWidget *widget)
{
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  const char *type = renderer != NULL ? G_OBJECT_TYPE_NAME (renderer) : "none";

  if (strcmp (type, "GskGLRenderer") == 0 || strcmp (type, "GskNglRenderer") == 0)
    return "gl";
  if (strcmp (type, "GskCairoRenderer") == 0)
    return "cairo";
  return type;
}

/* Run, and make sure it did start: a scenario with an error does not. */
static void
start_run (TvWindow *window)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  if (!tv_window_is_running (window))
    {
      g_printerr ("threadviz-bench-window: the scenario did not start (an error in it? "
                  "try `threadviz check`)\n");
      exit (1);
    }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
screenshot (GtkWidget  *widget,
            const char *path)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL || renderer == NULL)
    return;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_printerr ("threadviz-bench-window: cannot write %s\n", path);
}

int
main (int   argc,
      char *argv[])
{
  gboolean json = FALSE;
  double seconds = 5;
  g_autofree char *shot = NULL;
  g_autofree char *scenario = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object", NULL },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "How long the run is drawn live (5)", "S" },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &shot, "A PNG of the window mid-run", "OUT.png" },
    { "scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario, "Run this instead of 20 flat-out threads", "FILE.tvs" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("tv-bench-window-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
  TvApplication *app;
  TvWindow *window;
  TvTimeline *timeline;
  TvTimelineStats stats;
  TvTrace *trace;
  const char *renderer;
  gint64 run_started, until, frame_max = 0, frame_p99 = 0, stop_asked, stopped_us;
  gulong paint_id;
  GdkFrameClock *clock;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("threadviz-bench-window: %s\n", error->message);
      return 2;
    }

  /* Recent files and settings go to a directory of our own. */
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  /* The renderer the application would pick (GSK_RENDERER, if set, wins). */
  tv_application_choose_renderer ();
  if (!gtk_init_check ())
    {
      g_printerr ("threadviz-bench-window: no display (run it under xvfb-run -a)\n");
      return 77;
    }

  if (scenario == NULL)
    {
      path = g_build_filename (home, "flat-out.tvs", NULL);
      if (!g_file_set_contents (path, flat_out, -1, &error))
        {
          g_printerr ("threadviz-bench-window: %s\n", error->message);
          return 1;
        }
    }
  else
    path = g_strdup (scenario);

  real_poll = g_main_context_get_poll_func (NULL);
  g_main_context_set_poll_func (NULL, timed_poll);
  frame_times = g_array_new (FALSE, FALSE, sizeof (gint64));

  app = tv_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = tv_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  file = g_file_new_for_path (path);
  tv_window_open (window, file);
  iterate_until (not_loading, window);
  timeline = tv_window_get_timeline (window);

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  g_signal_connect (clock, "before-paint", G_CALLBACK (phase_cb), NULL);
  g_signal_connect (clock, "update", G_CALLBACK (phase_cb), phase_max_us[0]);
  g_signal_connect (clock, "layout", G_CALLBACK (phase_cb), phase_max_us[1]);
  g_signal_connect (clock, "paint", G_CALLBACK (phase_cb), phase_max_us[2]);

  /* A first run, not measured: the timeline page, its first drawing and
   * the GL renderer's shaders (llvmpipe compiles them for a second). */
  start_run (window);
  until = g_get_monotonic_time () + G_TIME_SPAN_SECOND;
  iterate_until (time_passed, &until);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  iterate_until (not_running, window);

  run_started = g_get_monotonic_time ();
  start_run (window);
  tv_timeline_reset_stats (timeline);
  measuring = TRUE;
  poll_returned = 0;
  until = g_get_monotonic_time () + (gint64) (seconds * G_TIME_SPAN_SECOND / 2);
  iterate_until (time_passed, &until);
  if (shot != NULL)
    screenshot (GTK_WIDGET (window), shot);
  until = g_get_monotonic_time () + (gint64) (seconds * G_TIME_SPAN_SECOND / 2);
  iterate_until (time_passed, &until);

  /* Stop keeps the trace so far: wait for all of it. */
  stop_asked = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  iterate_until (not_running, window);
  stopped_us = g_get_monotonic_time () - stop_asked;
  measuring = FALSE;
  g_signal_handler_disconnect (clock, paint_id);
  tv_timeline_get_stats (timeline, &stats);

  for (guint i = 1; i < frame_times->len; i++)
    {
      gint64 d = g_array_index (frame_times, gint64, i) - g_array_index (frame_times, gint64, i - 1);

      g_array_append_val (intervals, d);
    }
  if (intervals->len > 0)
    {
      g_array_sort (intervals, compare_gint64);
      frame_max = g_array_index (intervals, gint64, intervals->len - 1);
      frame_p99 = g_array_index (intervals, gint64, (intervals->len - 1) * 99 / 100);
    }

  trace = tv_timeline_get_trace (timeline);
  renderer = renderer_name (GTK_WIDGET (window));
  if (json)
    printf ("{\"live_renderer\": \"%s\", \"live_frame_max_ms\": %.1f, \"live_frame_p99_ms\": %.1f, \"live_frames\": %u, "
            "\"live_stall_max_ms\": %.1f, \"live_stall_cpu_max_ms\": %.1f, \"live_feed_max_ms\": %.1f, \"live_draw_max_ms\": %.1f, "
            "\"live_draws\": %u, \"live_stop_ms\": %.1f, \"live_events\": %" G_GUINT64_FORMAT ", "
            "\"live_dropped\": %" G_GUINT64_FORMAT "}\n",
            renderer, frame_max / 1e3, frame_p99 / 1e3, intervals->len + 1, stall_max_us / 1e3, stall_cpu_max_us / 1e3,
            stats.feed_max_us / 1e3, stats.draw_max_us / 1e3, stats.draws, stopped_us / 1e3,
            (guint64) tv_trace_get_n_events (trace), (guint64) tv_trace_get_dropped (trace));
  else
    {
      printf ("renderer            %s\n", renderer);
      printf ("frames              %u over %.1f s\n", intervals->len + 1, seconds);
      printf ("frame interval      max %.1f ms, p99 %.1f ms\n", frame_max / 1e3, frame_p99 / 1e3);
      printf ("main-loop stall     max %.1f ms at %.0f ms (stop at %.0f ms); CPU time at most %.1f ms\n",
              stall_max_us / 1e3, (stall_max_at - run_started) / 1e3, (stop_asked - run_started) / 1e3,
              stall_cpu_max_us / 1e3);
      printf ("feed (per poll)     max %.1f ms, mean %.2f ms over %u\n", stats.feed_max_us / 1e3,
              stats.polls ? stats.feed_total_us / 1e3 / stats.polls : 0.0, stats.polls);
      printf ("draw (renderer)     max %.1f ms, mean %.2f ms over %u\n", stats.draw_max_us / 1e3,
              stats.draws ? stats.draw_total_us / 1e3 / stats.draws : 0.0, stats.draws);
      printf ("frame phases (max)  update %.1f ms (CPU %.1f), layout %.1f ms (CPU %.1f), "
              "paint %.1f ms (CPU %.1f)\n",
              phase_max_us[0][0] / 1e3, phase_max_us[0][1] / 1e3, phase_max_us[1][0] / 1e3,
              phase_max_us[1][1] / 1e3, phase_max_us[2][0] / 1e3, phase_max_us[2][1] / 1e3);
      printf ("stop to trace done  %.1f ms\n", stopped_us / 1e3);
      printf ("events              %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT "\n",
              (guint64) tv_trace_get_n_events (trace), (guint64) tv_trace_get_dropped (trace));
    }

  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_main_context_set_poll_func (NULL, real_poll);
  g_array_unref (frame_times);
  g_object_unref (app);
  return 0;
}
