/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * threadviz-bench: the figures of issue 7, each next to its baseline.
 *
 *   threadviz-bench            a table: figure, baseline, ratio, target
 *   threadviz-bench --json     one JSON object with every figure
 *   threadviz-bench --quick    skip the 10M-event figures (seconds, not a
 *                              minute)
 *   threadviz-bench --render   only the trace and rendering figures
 *
 * The recording figures are in bench-record.c, the engine's in
 * bench-engine.c, a preloaded program's (issue 8) in bench-preload.c, the trace's and the renderer's in bench-render.c.  Each
 * is the best of a few rounds: the machine is shared.  Built by default,
 * never run by the test suite.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "tv-clock.h"

typedef struct
{
  const char *key;
  double      value;
  const char *baseline;   /* the key it is compared with, or NULL */
  double      base_value;
  double      target;     /* ratio (or absolute when baseline is NULL) */
  gboolean    has_target;
  gboolean    equal;      /* the target is "== target" */
  const char *missing;    /* why there is no value ("not installed"), or NULL */
} Figure;

static double
ratio_of (const Figure *f)
{
  if (f->baseline == NULL)
    return f->value;
  return f->base_value > 0 ? f->value / f->base_value : -1;
}

static gboolean
met (const Figure *f)
{
  double r = ratio_of (f);

  if (!f->has_target || f->missing != NULL)
    return TRUE;
  if (f->value < 0)
    return FALSE;
  return f->equal ? r == f->target : r <= f->target;
}

int
main (int   argc,
      char *argv[])
{
  gboolean json = FALSE, quick = FALSE, render_only = FALSE;
  double clock_ns, record_ns, mutex_ns, traced_ns, engine_ms, bare_ms, add_ns;
  guint64 recorded = 0, dropped = 0, recorded_20ms = 0, dropped_20ms = 0;
  guint64 recorded_big = 0, dropped_big = 0;
  guint64 recorded_collector = 0, dropped_collector = 0;
  const char *dropped_path = "collector";
  g_autofree char *live = NULL;
  g_autofree char *live_gl = NULL;
  guint64 dropped_target_events;
  BenchRender r;
  BenchPreload p = { 0, 0, 0, FALSE };
  const char *preload_missing = NULL, *lttng_missing = NULL;
  TvClock clock;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = TRUE;
      else if (strcmp (argv[i], "--quick") == 0)
        quick = TRUE;
      else if (strcmp (argv[i], "--render") == 0)
        render_only = TRUE;
      else
        {
          fprintf (stderr, "Usage: %s [--json] [--quick] [--render]\n", argv[0]);
          return 2;
        }
    }

  tv_clock_init (&clock, 1.0);
  if (render_only)
    {
      bench_render (&r, quick);
      printf ("{\"render_1k_ms\": %.2f, \"render_1m_ms\": %.2f, \"render_10m_ms\": %.2f, "
              "\"render_zoomed_10m_ms\": %.2f, \"export_png_1m_ms\": %.2f, "
              "\"bytes_per_event_10m\": %.2f, \"heap_bytes_per_event_10m\": %.2f, "
              "\"model_bytes_per_event_10m\": %.2f, \"rows_1k_ms\": %.2f, "
              "\"rows_1m_ms\": %.2f, \"rows_10m_ms\": %.2f, \"rows_zoomed_10m_ms\": %.2f, "
              "\"query_10m_ms\": %.2f, \"query_10m_segments\": %u}\n",
              r.render_1k_ms, r.render_1m_ms, r.render_10m_ms, r.render_zoomed_10m_ms,
              r.export_png_1m_ms, r.bytes_per_event_10m, r.heap_bytes_per_event_10m,
              r.model_bytes_per_event_10m, r.query_1k_ms, r.query_1m_ms, r.query_10m_ms,
              r.query_zoomed_10m_ms, r.query_only_10m_ms, r.segments_10m);
      return 0;
    }
  clock_ns = bench_clock_ns ();
  record_ns = bench_record_ns ();
  mutex_ns = bench_mutex_pair_ns ();
  traced_ns = bench_traced_lock_pair_ns ();
#ifdef TV_BENCH_PRELOAD
  bench_preload (&p);
  lttng_missing = p.have_lttng ? NULL : "not installed";
#else
  preload_missing = lttng_missing = "not built";
#endif
  bench_contended (quick ? 100000 : 1000000, &engine_ms, &bare_ms);
  dropped_target_events = quick ? 1000000 : 10000000;
  /* The app's own path when the CLI is built; the collector's otherwise. */
  bench_dropped (dropped_target_events, TRUE, 0, &recorded_collector, &dropped_collector);
  if (bench_dropped_cli (dropped_target_events, &recorded, &dropped))
    dropped_path = "threadviz run";
  else
    {
      recorded = recorded_collector;
      dropped = dropped_collector;
    }
  bench_dropped (dropped_target_events, FALSE, 0, &recorded_20ms, &dropped_20ms);
  bench_dropped (dropped_target_events, TRUE, 1u << 20, &recorded_big, &dropped_big);
  /* The window's frames with the renderer ThreadViz picks: GL where the
   * machine has a GPU, cairo where it has none (tv_application_choose_renderer()).
   * Then with GL forced, for context: without a GPU, Mesa emulates it on
   * the CPU at ~130 ms of the main thread a frame however little changed
   * (docs/performance.md, "Frame times"). */
  live = bench_live_window (quick, NULL);
  live_gl = bench_live_window (quick, "gl");
  if (live_gl != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (live_gl, "\"live_", -1);

      g_free (live_gl);
      live_gl = g_strjoinv ("\"live_gl_", parts);
    }
  add_ns = bench_trace_add_ns ();
  bench_render (&r, quick);

  {
    Figure figures[] = {
      { "clock_ns", clock_ns, NULL, 0, 0, FALSE, FALSE },
      { "record_ns", record_ns, "clock_ns", clock_ns, 0.6, TRUE, FALSE },
      { "mutex_pair_ns", mutex_ns, NULL, 0, 0, FALSE, FALSE },
      { "traced_lock_pair_ns", traced_ns, "mutex_pair_ns", mutex_ns, 8, TRUE, FALSE },
      { "contended_ratio", engine_ms / bare_ms, NULL, 0, 1.5, TRUE, FALSE },
      /* Issue 8: a preloaded program, bare, traced by us and by LTTng-UST;
       * the target is to cost less than LTTng. */
      { "preload_untraced_lock_pair_ns", p.untraced_ns, NULL, 0, 0, FALSE, FALSE, preload_missing },
      { "preload_lock_pair_ns", p.traced_ns, "preload_untraced_lock_pair_ns", p.untraced_ns,
        0, FALSE, FALSE, preload_missing },
      { "lttng_lock_pair_ns", p.lttng_ns, "preload_untraced_lock_pair_ns", p.untraced_ns,
        0, FALSE, FALSE, lttng_missing },
      { "preload_vs_lttng", p.traced_ns, "lttng_lock_pair_ns", p.lttng_ns, 1, TRUE, FALSE,
        preload_missing ? preload_missing : lttng_missing },
      { "render_1k_ms", r.render_1k_ms, NULL, 0, 0, FALSE, FALSE },
      { "render_1m_ms", r.render_1m_ms, "render_1k_ms", r.render_1k_ms, 2, TRUE, FALSE },
      { "render_10m_ms", r.render_10m_ms, "render_1k_ms", r.render_1k_ms, 3, !quick, FALSE },
      { "render_zoomed_10m_ms", r.render_zoomed_10m_ms, "render_1k_ms", r.render_1k_ms, 2, !quick, FALSE },
      { "export_png_1m_ms", r.export_png_1m_ms, "render_1m_ms", r.render_1m_ms, 0, FALSE, FALSE },
      { "bytes_per_event_10m", r.bytes_per_event_10m, NULL, 0, 32, !quick, FALSE },
      { "dropped_events", (double) dropped, NULL, 0, 0, TRUE, TRUE },
      { "heap_bytes_per_event_10m", r.heap_bytes_per_event_10m, NULL, 0, 0, FALSE, FALSE },
      { "model_bytes_per_event_10m", r.model_bytes_per_event_10m, NULL, 0, 0, FALSE, FALSE },
      /* Context: not targets of issue 7. */
      { "contended_engine_ms", engine_ms, "contended_bare_ms", bare_ms, 0, FALSE, FALSE },
      { "contended_bare_ms", bare_ms, NULL, 0, 0, FALSE, FALSE },
      { "dropped_run_events", (double) recorded, NULL, 0, 0, FALSE, FALSE },
      { "dropped_events_collector", (double) dropped_collector, NULL, 0, 0, FALSE, FALSE },
      { "dropped_run_events_collector", (double) recorded_collector, NULL, 0, 0, FALSE, FALSE },
      { "dropped_events_drain_20ms", (double) dropped_20ms, NULL, 0, 0, FALSE, FALSE },
      { "dropped_run_events_drain_20ms", (double) recorded_20ms, NULL, 0, 0, FALSE, FALSE },
      { "dropped_events_ring_1m", (double) dropped_big, NULL, 0, 0, FALSE, FALSE },
      { "dropped_run_events_ring_1m", (double) recorded_big, NULL, 0, 0, FALSE, FALSE },
      { "trace_add_ns", add_ns, NULL, 0, 0, FALSE, FALSE },
      { "rows_1k_ms", r.query_1k_ms, NULL, 0, 0, FALSE, FALSE },
      { "rows_1m_ms", r.query_1m_ms, "rows_1k_ms", r.query_1k_ms, 2, FALSE, FALSE },
      { "rows_10m_ms", r.query_10m_ms, "rows_1k_ms", r.query_1k_ms, 3, FALSE, FALSE },
      { "rows_zoomed_10m_ms", r.query_zoomed_10m_ms, "rows_1k_ms", r.query_1k_ms, 2, FALSE, FALSE },
      { "query_10m_ms", r.query_only_10m_ms, NULL, 0, 0, FALSE, FALSE },
      { "query_10m_segments", r.segments_10m, NULL, 0, 0, FALSE, FALSE },
      { "tsc_hz", tv_clock_tsc_hz (), NULL, 0, 0, FALSE, FALSE },
    };
    gboolean all = TRUE;

    for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
      all = all && met (&figures[i]);
    /* Item 4: no frame, and no stretch of the main loop, over 50 ms. */
    if (live != NULL)
      all = all && bench_live_value (live, "live_frame_max_ms") >= 0
            && bench_live_value (live, "live_frame_max_ms") <= 50
            && bench_live_value (live, "live_stall_max_ms") >= 0
            && bench_live_value (live, "live_stall_max_ms") <= 50;

    if (json)
      {
        printf ("{");
        for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
          if (figures[i].missing != NULL)
            printf ("%s\"%s\": null", i ? ", " : "", figures[i].key);
          else
            printf ("%s\"%s\": %.*f", i ? ", " : "", figures[i].key,
                    figures[i].value == (double) (gint64) figures[i].value ? 0 : 2,
                    figures[i].value);
        if (live != NULL)
          printf (", %s", live);
        else
          printf (", \"live_frame_max_ms\": null, \"live_frame_p99_ms\": null, "
                  "\"live_stall_max_ms\": null");
        if (live_gl != NULL)
          printf (", %s", live_gl);
        printf (", \"dropped_events_path\": \"%s\", \"clock_source\": \"%s\", \"quick\": %s, "
                "\"renderer\": %s, \"targets_met\": %s}\n",
                dropped_path,
                tv_clock_get_source (&clock) == TV_CLOCK_SOURCE_TSC ? "tsc" : "monotonic",
                quick ? "true" : "false", r.have_renderer ? "true" : "false",
                all ? "true" : "false");
      }
    else
      {
        printf ("%-29s %12s  %-29s %8s %8s  %s\n",
                "figure", "value", "baseline", "ratio", "target", "");
        for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
          {
            const Figure *f = &figures[i];
            char target[32] = "", ratio[32] = "";

            if (f->missing != NULL)
              {
                printf ("%-29s %12s  %-29s\n", f->key, f->missing,
                        f->baseline ? f->baseline : "");
                continue;
              }
            if (f->has_target || f->target > 0)
              g_snprintf (target, sizeof target, "%s%g", f->equal ? "= " : "<= ", f->target);
            if (f->baseline != NULL)
              g_snprintf (ratio, sizeof ratio, "%.2f", ratio_of (f));
            printf ("%-29s %12.2f  %-29s %8s %8s  %s\n", f->key, f->value,
                    f->baseline ? f->baseline : "", ratio, target,
                    f->has_target ? (met (f) ? "met" : "MISSED") : "");
          }
        printf ("dropped_events through: %s\n", dropped_path);
        printf ("live window (target: frame and stall <= 50 ms): %s\n",
                live != NULL ? live : "not measured (no display: run under xvfb-run -a)");
        if (live_gl != NULL)
          printf ("live window, GL forced: %s\n", live_gl);
        printf ("clock source: %s%s\n",
                tv_clock_get_source (&clock) == TV_CLOCK_SOURCE_TSC ? "tsc" : "monotonic",
                r.have_renderer ? "" : "; built without the renderer: render_* are 0");
      }
    return all ? 0 : 1;
  }
}
