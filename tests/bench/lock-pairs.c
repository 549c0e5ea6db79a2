/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lock-pairs: the lock benchmark of threadviz-bench with plain pthreads
 * only, so that other tracers can be put under it (LTTng-UST's
 * liblttng-ust-pthread-wrapper.so with LD_PRELOAD, say; see
 * docs/performance.md).
 *
 *   mutex_pair_ns      an uncontended pthread_mutex_lock () + unlock ()
 *   contended_ms       two threads doing lock/increment/unlock 1M times each
 *
 * libc + pthreads only.  Prints one JSON object.
 */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define N_PAIRS     2000000
#define N_CONTENDED 1000000
#define ROUNDS      5

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile int64_t counter;

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
contend (void *data)
{
  (void) data;
  for (int i = 0; i < N_CONTENDED; i++)
    {
      pthread_mutex_lock (&mutex);
      counter++;
      pthread_mutex_unlock (&mutex);
    }
  return NULL;
}

int
main (void)
{
  double best_pair = 1e30, best_contended = 1e30;

  for (int round = 0; round < ROUNDS; round++)
    {
      int64_t start = now_ns ();
      double ns;

      for (int i = 0; i < N_PAIRS; i++)
        {
          pthread_mutex_lock (&mutex);
          counter++;
          pthread_mutex_unlock (&mutex);
        }
      ns = (double) (now_ns () - start) / N_PAIRS;
      if (ns < best_pair)
        best_pair = ns;
    }

  for (int round = 0; round < 3; round++)
    {
      pthread_t a, b;
      int64_t start = now_ns ();
      double ms;

      pthread_create (&a, NULL, contend, NULL);
      pthread_create (&b, NULL, contend, NULL);
      pthread_join (a, NULL);
      pthread_join (b, NULL);
      ms = (double) (now_ns () - start) / 1e6;
      if (ms < best_contended)
        best_contended = ms;
    }

  printf ("{\"mutex_pair_ns\": %.2f, \"contended_ms\": %.2f}\n", best_pair, best_contended);
  return 0;
}
