/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench.h: what the parts of threadviz-bench share.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Keeps the compiler from dropping the measured work. */
extern volatile int64_t bench_sink;

/* Wall ns, CLOCK_MONOTONIC. */
gint64 bench_now_ns (void);

/* The recording side (bench-record.c). */
double bench_clock_ns (void);
double bench_record_ns (void);
double bench_mutex_pair_ns (void);

/* The engine (bench-engine.c).  Each returns < 0 when the run failed. */
double bench_traced_lock_pair_ns (void);
/* Wall ms of two threads doing `iterations` lock/increment/unlock each:
 * the engine's (recorded and drained) and bare pthread mutexes. */
void   bench_contended (guint iterations, double *engine_ms, double *bare_ms);
/* A real run of about `n_events` events, collected by a TvCollector or
 * drained every 20 ms like the CLI, with rings of `ring_capacity` events
 * (0: the engine's default): the events that reached the trace and the
 * ones dropped on the way. */
void   bench_dropped (guint64 n_events, gboolean collector, guint32 ring_capacity,
                      guint64 *recorded, guint64 *dropped);

/* The same run through the real `threadviz run` (bench-live.c): FALSE
 * when the CLI is not built or the run failed. */
gboolean bench_dropped_cli (guint64 n_events, guint64 *recorded, guint64 *dropped);

/* threadviz-bench-window --json's members ("live_frame_max_ms": ...,
 * without the braces) with GSK_RENDERER set to `renderer` (NULL: unset,
 * the one ThreadViz picks), or NULL without a display or the window. */
char    *bench_live_window (gboolean quick, const char *renderer);
/* The number `key` has in those members, or -1. */
double   bench_live_value (const char *live, const char *key);

/* A preloaded program (bench-preload.c): the lock-pair fixture's ns per
 * uncontended lock + unlock pair, bare, under `threadviz trace` and under
 * LTTng-UST's pthread wrapper with an active session (have_lttng FALSE
 * when LTTng is not installed).  < 0 when a run failed. */
typedef struct
{
  double   untraced_ns;
  double   traced_ns;
  double   lttng_ns;
  gboolean have_lttng;
} BenchPreload;

void   bench_preload (BenchPreload *out);

/* The trace and its drawing (bench-render.c). */
double bench_trace_add_ns (void);
/* Everything with a trace of `n_events` synthetic events on 50 threads. */
typedef struct
{
  double render_1k_ms;
  double render_1m_ms;
  double render_10m_ms;
  double render_zoomed_10m_ms;
  double export_png_1m_ms;
  double bytes_per_event_10m;
  double heap_bytes_per_event_10m;
  double model_bytes_per_event_10m;
  double query_1k_ms;         /* tv_trace_thread_query over every thread */
  double query_1m_ms;
  double query_10m_ms;
  double query_zoomed_10m_ms;
  double query_only_10m_ms;   /* the 50 queries without drawing */
  guint  segments_10m;        /* how many segments they gave */
  gboolean have_renderer;
} BenchRender;

void   bench_render (BenchRender *out, gboolean quick);
