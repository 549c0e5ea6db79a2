/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-render.c: what a trace costs to keep and to draw.
 *
 * Synthetic traces of 50 threads taking turns on 5 locks, built the way a
 * run builds them (events through tv_trace_add_event(), in time order): in
 * each round a thread either waits for its lock (state lock, acquire with
 * the release→acquire link, running, release) or gets it at once and then
 * sleeps (acquire, release, sleeping, running): 4 events, 2 spans.
 *
 *   render_*_ms         tv_renderer_draw() of a 1920×1080 image surface,
 *                       full view (zoomed: 1% of the 10M trace), best of 3
 *   export_png_1m_ms    tv_export_to_file() of the 1M trace to a PNG
 *   bytes_per_event_10m the resident memory the 10M trace adds (summaries
 *                       built) ÷ its events; heap_bytes_per_event_10m is
 *                       what malloc reserved (GArray doubles its capacity,
 *                       and glibc maps big blocks whose tail pages are never
 *                       touched), model_bytes_per_event_10m the arrays'
 *                       elements alone
 *   rows_*_ms           the 50 rows drawn from tv_trace_thread_query():
 *                       what the renderer's rows cost once they use it
 */

#include "config.h"

#include <cairo.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <glib/gstdio.h>

#include "bench.h"
#include "tv-trace.h"
#include "tv-trace-summary.h"

#ifdef TV_BENCH_RENDER
#include "tv-export.h"
#include "tv-renderer.h"
#endif

#define N_THREADS 50
#define N_LOCKS   5
#define WIDTH     1920
#define HEIGHT    1080
#define ROUND_NS  1000

static void
add (TvTrace    *trace,
     TvEventKind kind,
     gint64      time,
     guint32     thread,
     guint32     object,
     gint64      arg,
     guint32     aux)
{
  TvEvent event = { time, arg, thread, object, aux, kind, 1 };

  tv_trace_add_event (trace, &event, NULL);
}

static TvTrace *
make_trace (guint64 n_events)
{
  TvTrace *trace = tv_trace_new ();
  guint64 rounds = MAX (n_events / (4 * N_THREADS), 1);

  for (guint32 id = 1; id <= N_LOCKS; id++)
    {
      g_autofree char *name = g_strdup_printf ("lock%u", id);
      TvEvent event = { 0, 0, 0, id, TV_OBJ_LOCK, TV_EV_OBJECT_NEW, 0 };

      tv_trace_add_event (trace, &event, name);
    }
  for (guint32 th = 0; th < N_THREADS; th++)
    {
      g_autofree char *name = g_strdup_printf ("worker-%02u", th);
      TvEvent event = { 0, 0, th, 0, TV_NO_THREAD, TV_EV_THREAD_NEW, 0 };

      tv_trace_add_event (trace, &event, name);
      add (trace, TV_EV_THREAD_START, 1, th, 0, 0, TV_NO_THREAD);
    }

  for (guint64 r = 0; r < rounds; r++)
    for (guint32 th = 0; th < N_THREADS; th++)
      {
        /* Threads th, th + 5, ... share a lock, 100 ns apart: holds of one
         * lock never overlap. */
        gint64 t = 10 + (gint64) r * ROUND_NS + th * 20;
        guint32 lock = 1 + th % N_LOCKS;

        if ((r + th) % 2 == 0)
          {
            guint32 releaser = (th + N_THREADS - N_LOCKS) % N_THREADS;

            add (trace, TV_EV_STATE, t, th, lock, TV_STATE_LOCK, 0);
            add (trace, TV_EV_ACQUIRE, t + 5, th, lock, t - 85, releaser);
            add (trace, TV_EV_STATE, t + 5, th, 0, TV_STATE_RUNNING, 0);
            add (trace, TV_EV_RELEASE, t + 15, th, lock, 0, 0);
          }
        else
          {
            add (trace, TV_EV_ACQUIRE, t + 5, th, lock, 0, TV_NO_THREAD);
            add (trace, TV_EV_RELEASE, t + 15, th, lock, 0, 0);
            add (trace, TV_EV_STATE, t + 15, th, 0, TV_STATE_SLEEPING, 0);
            add (trace, TV_EV_STATE, t + 18, th, 0, TV_STATE_RUNNING, 0);
          }
      }
  return trace;
}

double
bench_trace_add_ns (void)
{
  gint64 start = bench_now_ns ();
  TvTrace *trace = make_trace (1000000);
  double ns = (double) (bench_now_ns () - start) / (double) tv_trace_get_n_events (trace);

  g_object_unref (trace);
  return ns;
}

static gsize
heap_bytes (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

static gsize
resident_bytes (void)
{
  unsigned long size = 0, resident = 0;
  FILE *file = fopen ("/proc/self/statm", "r");

  if (file == NULL)
    return 0;
  if (fscanf (file, "%lu %lu", &size, &resident) != 2)
    resident = 0;
  fclose (file);
  return (gsize) resident * (gsize) sysconf (_SC_PAGESIZE);
}

/* ---- Rows from the query: what the renderer would do -------------------- */

typedef struct
{
  cairo_t *cr;
  double   x0, px_per_ns, y;
  gint64   start;
} RowDraw;

static void
draw_segment (const TvTraceSegment *seg,
              gpointer              user_data)
{
  RowDraw *row = user_data;
  double x0 = row->x0 + (seg->start - row->start) * row->px_per_ns;
  double x1 = row->x0 + (seg->end - row->start) * row->px_per_ns;

  if (seg->state == TV_STATE_TERMINATED)
    return;
  cairo_rectangle (row->cr, x0, row->y, MAX (x1 - x0, 1.0), 16);
  cairo_set_source_rgb (row->cr, seg->state / 16.0, 0.5, 1.0 - seg->state / 16.0);
  cairo_fill (row->cr);
}

static void
count_segment (const TvTraceSegment *seg,
               gpointer              user_data)
{
  (*(guint *) user_data)++;
}

/* The queries alone, without drawing: the level of detail's own cost. */
static double
time_queries (TvTrace *trace,
              gint64   start,
              gint64   end,
              guint   *n_segments)
{
  double best = 1e30;

  for (int round = 0; round < 4; round++)
    {
      gint64 t0 = bench_now_ns ();
      guint n = 0;

      for (guint th = 0; th < N_THREADS; th++)
        tv_trace_thread_query (trace, th, start, end, WIDTH - 180, count_segment, &n);
      if (round > 0)
        best = MIN (best, (bench_now_ns () - t0) / 1e6);
      *n_segments = n;
    }
  return best;
}

static double
time_rows (TvTrace *trace,
           gint64   start,
           gint64   end)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, WIDTH, HEIGHT);
  cairo_t *cr = cairo_create (surface);
  double best = 1e30;
  const double area_x = 160, area_w = WIDTH - 180;

  for (int round = 0; round < 4; round++)
    {
      gint64 t0 = bench_now_ns ();

      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      for (guint th = 0; th < N_THREADS; th++)
        {
          RowDraw row = { cr, area_x, area_w / (double) (end - start), 30 + th * 20.0, start };

          tv_trace_thread_query (trace, th, start, end, (guint) area_w, draw_segment, &row);
        }
      cairo_surface_flush (surface);
      /* The first round builds the summaries: that is a one-off. */
      if (round > 0)
        best = MIN (best, (bench_now_ns () - t0) / 1e6);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return best;
}

#ifdef TV_BENCH_RENDER
static double
time_render (TvTrace *trace,
             gint64   start,
             gint64   end)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, WIDTH, HEIGHT);
  cairo_t *cr = cairo_create (surface);
  TvRenderOptions options;
  double best = 1e30;

  tv_render_options_init (&options, trace, WIDTH, HEIGHT);
  if (start >= 0)
    {
      options.start = start;
      options.end = end;
    }
  for (int round = 0; round < 4; round++)
    {
      gint64 t0 = bench_now_ns ();

      tv_renderer_draw (trace, &options, cr);
      cairo_surface_flush (surface);
      /* The first frame warms caches, fonts and summaries. */
      if (round > 0)
        best = MIN (best, (bench_now_ns () - t0) / 1e6);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return best;
}

static double
time_export (TvTrace *trace)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "threadviz-bench.png", NULL);
  TvExportOptions options;
  gint64 t0;
  double ms;

  tv_export_options_init (&options);
  options.format = TV_EXPORT_PNG;
  t0 = bench_now_ns ();
  if (!tv_export_to_file (trace, &options, path, &error))
    {
      g_printerr ("threadviz-bench: export: %s\n", error->message);
      return -1;
    }
  ms = (bench_now_ns () - t0) / 1e6;
  g_unlink (path);
  return ms;
}
#endif

void
bench_render (BenchRender *out,
              gboolean     quick)
{
  TvTrace *trace;
  gsize before, before_rss;
  gint64 end;

  memset (out, 0, sizeof *out);
#ifdef TV_BENCH_RENDER
  out->have_renderer = TRUE;
#endif

  trace = make_trace (1000);
  end = tv_trace_get_end_time (trace);
  out->query_1k_ms = time_rows (trace, 0, end);
#ifdef TV_BENCH_RENDER
  out->render_1k_ms = time_render (trace, -1, -1);
#endif
  g_object_unref (trace);

  trace = make_trace (1000000);
  end = tv_trace_get_end_time (trace);
  out->query_1m_ms = time_rows (trace, 0, end);
#ifdef TV_BENCH_RENDER
  out->render_1m_ms = time_render (trace, -1, -1);
  /* TV_BENCH_NO_EXPORT=1 skips it while the export is slow (minutes). */
  if (g_getenv ("TV_BENCH_NO_EXPORT") == NULL)
    out->export_png_1m_ms = time_export (trace);
#endif
  g_object_unref (trace);

  if (quick)
    return;

  malloc_trim (0);
  before = heap_bytes ();
  before_rss = resident_bytes ();
  trace = make_trace (10000000);
  end = tv_trace_get_end_time (trace);
  out->query_10m_ms = time_rows (trace, 0, end);
  out->query_only_10m_ms = time_queries (trace, 0, end, &out->segments_10m);
  out->query_zoomed_10m_ms = time_rows (trace, end / 2, end / 2 + end / 100);
  out->bytes_per_event_10m = (double) (resident_bytes () - before_rss)
                             / (double) tv_trace_get_n_events (trace);
  out->heap_bytes_per_event_10m = (double) (heap_bytes () - before)
                                  / (double) tv_trace_get_n_events (trace);
  out->model_bytes_per_event_10m = (double) tv_trace_get_memory_size (trace)
                                   / (double) tv_trace_get_n_events (trace);
#ifdef TV_BENCH_RENDER
  out->render_10m_ms = time_render (trace, -1, -1);
  out->render_zoomed_10m_ms = time_render (trace, end / 2, end / 2 + end / 100);
#endif
  g_object_unref (trace);
}
