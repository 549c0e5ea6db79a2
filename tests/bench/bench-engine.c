/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-engine.c: the engine's own locks, recorded, next to bare mutexes.
 *
 *   traced_lock_pair_ns  a scenario's `acquire L` + `release L` in a
 *                        `repeat` loop, events recorded and drained, per
 *                        pair (the interpreter's statement dispatch included)
 *   contended_ratio      two threads doing lock/increment/unlock 1M times
 *                        each: engine ÷ bare pthread mutexes, wall time, the
 *                        best of 3 runs each
 *   dropped_events_*     a run of ~10M events, collected from the rings by a
 *                        TvCollector every 100 µs and fed to the trace every
 *                        20 ms; and, for comparison, drained by
 *                        tv_trace_drain() every 20 ms as `threadviz run`
 *                        did before it collected (dropped_events itself
 *                        runs the real CLI: bench-live.c)
 *
 * Runs go through the public engine API (tv-run.h) exactly as the CLI
 * drives them: start, wait with a timeout, drain into a TvTrace.
 */

#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tv-collector.h"
#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-trace.h"

/* The CLI's poll interval (app/tv-cli.c). */
#define DRAIN_MS 20
/* How often a collector empties the rings (100 µs: a 16384-event ring
 * then holds what a thread records flat out between two collections). */
#define COLLECT_US 100

/* Runs `text` to its end, draining every DRAIN_MS into a trace.  Returns
 * the wall ns of the run (start to end) or -1. */
static gint64
run_scenario (const char *text,
              gboolean    collector,
              guint32     ring_capacity,
              guint64    *n_events,
              guint64    *dropped)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("bench.tvs", text, -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRun *run;
  TvCollector *collect = NULL;
  gint64 start, elapsed;

  if (scenario == NULL)
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      return -1;
    }
  options.print_fd = -1;
  options.ring_capacity = ring_capacity;
  run = tv_run_new (scenario, &options, &error);
  if (run == NULL)
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      return -1;
    }

  start = bench_now_ns ();
  if (collector)
    {
      /* TV_BENCH_COLLECT_US: try other intervals. */
      const char *us = g_getenv ("TV_BENCH_COLLECT_US");

      collect = tv_collector_new (tv_run_get_recorder (run),
                                  us != NULL ? (guint) atoi (us) : COLLECT_US);
    }
  if (!tv_run_start (run, &error))
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      tv_collector_free (collect);
      tv_run_free (run);
      return -1;
    }
  for (;;)
    {
      gboolean ended = tv_run_wait_timeout (run, DRAIN_MS);

      if (ended)
        break;
      if (collect != NULL)
        tv_collector_feed (collect, trace);
      else
        tv_trace_drain (trace, tv_run_get_recorder (run));
    }
  elapsed = bench_now_ns () - start;
  tv_run_wait (run);
  if (collect != NULL)
    {
      tv_collector_stop (collect);
      tv_collector_feed (collect, trace);
      tv_collector_free (collect);
    }
  else
    tv_trace_drain (trace, tv_run_get_recorder (run));

  if (n_events != NULL)
    *n_events = tv_trace_get_n_events (trace);
  if (dropped != NULL)
    *dropped = tv_trace_get_dropped (trace);
  if (tv_run_get_status (run) != TV_RUN_FINISHED)
    {
      g_printerr ("threadviz-bench: the run did not finish: %s\n",
                  tv_run_get_error_message (run) ? tv_run_get_error_message (run) : "?");
      elapsed = -1;
    }
  tv_run_free (run);
  return elapsed;
}

/*
 * The engine's own figures: the run's events are recorded and drained
 * from the rings every COLLECT_US by a thread that copies them into a
 * buffer it reuses (what any consumer does first) and counts them, and
 * a full ring makes its producer wait for that drain rather than drop
 * (tv_recorder_set_wait_when_full(), as with a collector): every event is
 * recorded.  No TvTrace and no TvCollector: adding an event to a trace
 * costs ~80-160 ns (trace_add_ns), and a collector's copy, sort and fresh
 * staging memory ~100 ns an event of its own thread; either is several
 * times what the engine takes to record one (~13 ns), so on 2 cores they,
 * not the engine, would set the pace.  Their own figures measure them.
 */
typedef struct
{
  TvRecorder      *recorder;
  _Atomic gboolean quit;
  guint64          n_events;
  TvEvent          scratch[4096];
} Drainer;

static void
drainer_copy (uint32_t       ring_index,
              const TvEvent *events,
              size_t         n_events,
              void          *user_data)
{
  Drainer *d = user_data;

  for (size_t done = 0; done < n_events;)
    {
      size_t n = MIN (n_events - done, G_N_ELEMENTS (d->scratch));

      memcpy (d->scratch, events + done, n * sizeof *events);
      done += n;
    }
  d->n_events += n_events;
}

static void *
drainer_main (void *data)
{
  Drainer *d = data;

  while (!atomic_load (&d->quit))
    {
      tv_recorder_drain (d->recorder, drainer_copy, d);
      g_usleep (COLLECT_US);
    }
  tv_recorder_drain (d->recorder, drainer_copy, d);
  return NULL;
}

/* Runs `text` to its end with a Drainer.  Returns the wall ns of the run
 * (start to end) or -1. */
static gint64
run_engine (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("bench.tvs", text, -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autofree Drainer *d = g_new0 (Drainer, 1);
  pthread_t drainer;
  TvRun *run;
  gint64 start, elapsed;

  if (scenario == NULL)
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      return -1;
    }
  options.print_fd = -1;
  /* The rings `threadviz run` gives the scenario (256K events for these):
   * a producer then waits for the drain only when the scheduler leaves
   * the drain out for milliseconds, not at every 16K events. */
  options.ring_capacity = tv_collector_ring_capacity_for (scenario);
  run = tv_run_new (scenario, &options, &error);
  if (run == NULL)
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      return -1;
    }
  d->recorder = tv_run_get_recorder (run);
  tv_recorder_set_wait_when_full (d->recorder, 10000);

  start = bench_now_ns ();
  pthread_create (&drainer, NULL, drainer_main, d);
  if (!tv_run_start (run, &error))
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      elapsed = -1;
    }
  else
    {
      while (!tv_run_wait_timeout (run, DRAIN_MS))
        ;
      elapsed = bench_now_ns () - start;
      tv_run_wait (run);
    }
  atomic_store (&d->quit, TRUE);
  pthread_join (drainer, NULL);

  if (elapsed >= 0 && tv_run_get_status (run) != TV_RUN_FINISHED)
    {
      g_printerr ("threadviz-bench: the run did not finish: %s\n",
                  tv_run_get_error_message (run) ? tv_run_get_error_message (run) : "?");
      elapsed = -1;
    }
  if (tv_recorder_get_dropped (d->recorder) != 0)
    g_printerr ("threadviz-bench: %" G_GUINT64_FORMAT " of the engine's events were dropped\n",
                tv_recorder_get_dropped (d->recorder));
  bench_sink = (int64_t) d->n_events;
  tv_run_free (run);
  return elapsed;
}

double
bench_traced_lock_pair_ns (void)
{
  /* 2M pairs (~100 ms): a run's own start and end (0.1-9 ms on this
   * machine, threads created, the end seen by the runner) spread over
   * 200K pairs added up to 45 ns a pair. */
  const guint n = 2000000;
  g_autofree char *text = g_strdup_printf (
    "lock L\n"
    "main:\n"
    "    repeat %u:\n"
    "        acquire L\n"
    "        release L\n", n);
  double best = 1e30;

  for (int round = 0; round < 3; round++)
    {
      gint64 ns = run_engine (text);

      if (ns < 0)
        return -1;
      best = MIN (best, (double) ns / n);
    }
  return best;
}

typedef struct
{
  pthread_mutex_t *mutex;
  guint            iterations;
  gint64          *counter;
} BareArgs;

static void *
bare_thread (void *data)
{
  BareArgs *args = data;

  for (guint i = 0; i < args->iterations; i++)
    {
      pthread_mutex_lock (args->mutex);
      (*args->counter)++;
      pthread_mutex_unlock (args->mutex);
    }
  return NULL;
}

static gint64
bare_contended (guint iterations)
{
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  gint64 counter = 0, start, elapsed;
  BareArgs args = { &mutex, iterations, &counter };
  pthread_t a, b;

  start = bench_now_ns ();
  pthread_create (&a, NULL, bare_thread, &args);
  pthread_create (&b, NULL, bare_thread, &args);
  pthread_join (a, NULL);
  pthread_join (b, NULL);
  elapsed = bench_now_ns () - start;
  bench_sink = counter;
  pthread_mutex_destroy (&mutex);
  return elapsed;
}

static char *
contended_text (guint iterations)
{
  return g_strdup_printf (
    "lock L\n"
    "var x = 0\n"
    "thread A:\n"
    "    repeat %u:\n"
    "        acquire L\n"
    "        x += 1\n"
    "        release L\n"
    "thread B:\n"
    "    repeat %u:\n"
    "        acquire L\n"
    "        x += 1\n"
    "        release L\n"
    "main:\n"
    "    start A\n"
    "    start B\n"
    "    join A\n"
    "    join B\n", iterations, iterations);
}

void
bench_contended (guint   iterations,
                 double *engine_ms,
                 double *bare_ms)
{
  g_autofree char *text = contended_text (iterations);
  gint64 engine = G_MAXINT64;
  gint64 bare = G_MAXINT64;

  /* The best of 3 for both sides (the machine is shared). */
  for (int round = 0; round < 3 && engine >= 0; round++)
    {
      gint64 ns = run_engine (text);

      engine = ns < 0 ? -1 : MIN (engine, ns);
    }
  for (int round = 0; round < 3; round++)
    bare = MIN (bare, bare_contended (iterations));
  *engine_ms = engine < 0 ? -1 : engine / 1e6;
  *bare_ms = bare / 1e6;
}

void
bench_dropped (guint64   n_events,
               gboolean  collector,
               guint32   ring_capacity,
               guint64  *recorded,
               guint64  *dropped)
{
  /* Each iteration records 4 events (acquire, read, write, release), plus
   * the lock waits where the two threads meet. */
  g_autofree char *text = contended_text ((guint) (n_events / 8));

  if (run_scenario (text, collector, ring_capacity, recorded, dropped) < 0)
    *dropped = G_MAXUINT64;
}
