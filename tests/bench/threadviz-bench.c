/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * threadviz-bench: what recording costs, next to what it records.
 *
 *   clock_ns       one clock_gettime (CLOCK_MONOTONIC)
 *   record_ns      tv_clock_now () + tv_ring_emit () of one event, one
 *                  thread, the ring drained between batches
 *   mutex_pair_ns  an uncontended pthread_mutex_lock () + unlock ()
 *   trace_add_ns   tv_trace_add_event () of one event of a lock-heavy mix
 *                  (the consumer's cost per event, for scale)
 *
 * Each figure is the best of several rounds (the machine is shared), per
 * operation.  Plain text by default, one JSON object with --json.
 */

#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tv-clock.h"
#include "tv-recorder.h"
#include "tv-trace.h"

#define ROUNDS 7
#define BATCH  4096
#define N_OPS  (BATCH * 256)

/* Keeps the compiler from dropping the measured work. */
static volatile int64_t sink;

static double
bench_clock (void)
{
  double best = 1e30;

  for (int round = 0; round < ROUNDS; round++)
    {
      int64_t start = tv_clock_wall_ns ();
      int64_t sum = 0;

      for (int i = 0; i < N_OPS; i++)
        {
          struct timespec ts;

          clock_gettime (CLOCK_MONOTONIC, &ts);
          sum += ts.tv_nsec;
        }
      sink = sum;
      double ns = (double) (tv_clock_wall_ns () - start) / N_OPS;
      if (ns < best)
        best = ns;
    }
  return best;
}

static void
discard_cb (uint32_t       ring_index,
            const TvEvent *events,
            size_t         n_events,
            void          *user_data)
{
  sink += (int64_t) n_events;
}

static double
bench_record (void)
{
  TvRecorder *recorder = tv_recorder_new (1, BATCH, 0);
  TvRing *ring = tv_recorder_get_ring (recorder, 0);
  TvClock clock;
  double best = 1e30;

  tv_clock_init (&clock, 1.0);
  for (int round = 0; round < ROUNDS; round++)
    {
      int64_t elapsed = 0;

      for (int batch = 0; batch < N_OPS / BATCH; batch++)
        {
          int64_t start = tv_clock_wall_ns ();

          for (int i = 0; i < BATCH; i++)
            {
              TvEvent event = {
                .time = tv_clock_now (&clock),
                .arg = i,
                .thread = 0,
                .object = 1,
                .aux = TV_NO_THREAD,
                .kind = TV_EV_ACQUIRE,
                .line = 1,
              };

              tv_ring_emit (ring, &event);
            }
          elapsed += tv_clock_wall_ns () - start;
          /* Draining is the consumer's cost, not the recording's. */
          tv_recorder_drain (recorder, discard_cb, NULL);
        }

      double ns = (double) elapsed / N_OPS;
      if (ns < best)
        best = ns;
    }

  if (tv_recorder_get_dropped (recorder) != 0)
    fprintf (stderr, "threadviz-bench: events were dropped\n");
  tv_recorder_free (recorder);
  return best;
}

static double
bench_mutex (void)
{
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  double best = 1e30;

  for (int round = 0; round < ROUNDS; round++)
    {
      int64_t start = tv_clock_wall_ns ();

      for (int i = 0; i < N_OPS; i++)
        {
          pthread_mutex_lock (&mutex);
          sink = i;
          pthread_mutex_unlock (&mutex);
        }
      double ns = (double) (tv_clock_wall_ns () - start) / N_OPS;
      if (ns < best)
        best = ns;
    }
  pthread_mutex_destroy (&mutex);
  return best;
}

static double
bench_trace (void)
{
  double best = 1e30;

  for (int round = 0; round < 3; round++)
    {
      TvTrace *trace = tv_trace_new ();
      int64_t start = tv_clock_wall_ns ();

      /* Four threads taking turns on one lock: wait, acquire, release. */
      for (int i = 0; i < N_OPS / 4; i++)
        {
          uint32_t thread = (uint32_t) (i % 4);
          int64_t t = (int64_t) i * 100;
          TvEvent wait = { t, TV_STATE_LOCK, thread, 1, 0, TV_EV_STATE, 3 };
          TvEvent acquire = { t + 10, t, thread, 1, (thread + 3) % 4, TV_EV_ACQUIRE, 3 };
          TvEvent sleep = { t + 20, TV_STATE_SLEEPING, thread, 0, 0, TV_EV_STATE, 4 };
          TvEvent release = { t + 30, 0, thread, 1, 0, TV_EV_RELEASE, 5 };

          tv_trace_add_event (trace, &wait, NULL);
          tv_trace_add_event (trace, &acquire, NULL);
          tv_trace_add_event (trace, &sleep, NULL);
          tv_trace_add_event (trace, &release, NULL);
        }

      double ns = (double) (tv_clock_wall_ns () - start) / N_OPS;
      if (ns < best)
        best = ns;
      g_object_unref (trace);
    }
  return best;
}

int
main (int   argc,
      char *argv[])
{
  int json = 0;
  double clock_ns, record_ns, mutex_ns, trace_ns;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--json") == 0)
        json = 1;
      else
        {
          fprintf (stderr, "Usage: %s [--json]\n", argv[0]);
          return 2;
        }
    }

  clock_ns = bench_clock ();
  record_ns = bench_record ();
  mutex_ns = bench_mutex ();
  trace_ns = bench_trace ();

  if (json)
    printf ("{\"clock_ns\": %.2f, \"record_ns\": %.2f, \"mutex_pair_ns\": %.2f, "
            "\"record_over_clock\": %.2f, \"trace_add_ns\": %.2f}\n",
            clock_ns, record_ns, mutex_ns, record_ns / clock_ns, trace_ns);
  else
    {
      printf ("%-28s %10s\n", "operation", "ns");
      printf ("%-28s %10.2f\n", "clock_gettime (MONOTONIC)", clock_ns);
      printf ("%-28s %10.2f\n", "record one event", record_ns);
      printf ("%-28s %10.2f\n", "mutex lock + unlock", mutex_ns);
      printf ("%-28s %10.2f\n", "record / clock", record_ns / clock_ns);
      printf ("%-28s %10.2f\n", "trace: add one event", trace_ns);
    }
  return 0;
}
