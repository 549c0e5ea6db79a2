/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-record.c: what recording costs, next to what it records.
 *
 *   clock_ns       one clock_gettime (CLOCK_MONOTONIC)
 *   record_ns      tv_clock_now () + tv_ring_emit () of one event, one
 *                  thread, the ring drained between batches
 *   mutex_pair_ns  an uncontended pthread_mutex_lock () + unlock ()
 *
 * Each figure is the best of several rounds (the machine is shared), per
 * operation.
 */

#include "config.h"

#include <pthread.h>
#include <time.h>

#include "bench.h"
#include "tv-clock.h"
#include "tv-recorder.h"

#define ROUNDS 7
#define BATCH  4096
#define N_OPS  (BATCH * 256)

volatile int64_t bench_sink;

gint64
bench_now_ns (void)
{
  return tv_clock_wall_ns ();
}

double
bench_clock_ns (void)
{
  double best = 1e30;

  for (int round = 0; round < ROUNDS; round++)
    {
      int64_t start = bench_now_ns ();
      int64_t sum = 0;

      for (int i = 0; i < N_OPS; i++)
        {
          struct timespec ts;

          clock_gettime (CLOCK_MONOTONIC, &ts);
          sum += ts.tv_nsec;
        }
      bench_sink = sum;
      double ns = (double) (bench_now_ns () - start) / N_OPS;
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
  bench_sink += (int64_t) n_events;
}

double
bench_record_ns (void)
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
          int64_t start = bench_now_ns ();

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
          elapsed += bench_now_ns () - start;
          /* Draining is the consumer's cost, not the recording's. */
          tv_recorder_drain (recorder, discard_cb, NULL);
        }

      double ns = (double) elapsed / N_OPS;
      if (ns < best)
        best = ns;
    }

  if (tv_recorder_get_dropped (recorder) != 0)
    g_printerr ("threadviz-bench: events were dropped\n");
  tv_recorder_free (recorder);
  return best;
}

double
bench_mutex_pair_ns (void)
{
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  double best = 1e30;

  for (int round = 0; round < ROUNDS; round++)
    {
      int64_t start = bench_now_ns ();

      for (int i = 0; i < N_OPS; i++)
        {
          pthread_mutex_lock (&mutex);
          bench_sink = i;
          pthread_mutex_unlock (&mutex);
        }
      double ns = (double) (bench_now_ns () - start) / N_OPS;
      if (ns < best)
        best = ns;
    }
  pthread_mutex_destroy (&mutex);
  return best;
}
