/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-collector.c: a thread that copies events out of the rings into a
 * staging array; tv_collector_feed() hands them to the trace.
 *
 * The staging array is guarded by a mutex held for a drain or a swap: the
 * collector never waits for the trace's thread to add events, and the
 * rings' producers never wait for anyone.
 *
 * pthreads rather than GMutex: GLib's futex-based mutex is invisible to
 * ThreadSanitizer, which the engine's suite runs under.
 */

#define G_LOG_DOMAIN "tv-trace"

#include "config.h"

#include <pthread.h>
#include <time.h>

#include "tv-collector.h"
#include "tv-trace-private.h"

struct _TvCollector
{
  TvRecorder *recorder;
  guint       interval_us;
  pthread_t   thread;
  gboolean    running;
  pthread_mutex_t lock;
  pthread_cond_t  cond;    /* on CLOCK_MONOTONIC */
  gboolean    stopping;   /* under `lock` */
  GArray     *staged;     /* TvEvent, under `lock` */
};

static void
collect_cb (uint32_t       ring_index,
            const TvEvent *events,
            size_t         n_events,
            void          *user_data)
{
  TvCollector *self = user_data;

  g_array_append_vals (self->staged, events, (guint) n_events);
}

/*
 * Drains the rings straight into the staging array, under the lock: one
 * copy per event, which matters when two threads record 20M events a
 * second.  tv_collector_feed() waits for at most one drain to swap it.
 * Returns the number of events collected.
 */
static guint
collect_once (TvCollector *self)
{
  guint before, n;

  pthread_mutex_lock (&self->lock);
  before = self->staged->len;
  tv_recorder_drain (self->recorder, collect_cb, self);
  n = self->staged->len - before;
  pthread_mutex_unlock (&self->lock);
  return n;
}

static void *
collector_main (void *data)
{
  TvCollector *self = data;

  guint sleep_us = self->interval_us;

  for (;;)
    {
      gboolean stopping;
      struct timespec until;

      /* Idle (nothing recorded): look less and less often, up to 16 times
       * the interval; busy: at the interval again. */
      if (collect_once (self) == 0)
        sleep_us = MIN (sleep_us * 2, self->interval_us * 16);
      else
        sleep_us = self->interval_us;

      clock_gettime (CLOCK_MONOTONIC, &until);
      until.tv_nsec += (long) sleep_us * 1000;
      until.tv_sec += until.tv_nsec / 1000000000;
      until.tv_nsec %= 1000000000;
      pthread_mutex_lock (&self->lock);
      while (!self->stopping
             && pthread_cond_timedwait (&self->cond, &self->lock, &until) == 0)
        ;
      stopping = self->stopping;
      pthread_mutex_unlock (&self->lock);
      if (stopping)
        break;
    }
  /* What was recorded up to the stop. */
  collect_once (self);
  return NULL;
}

TvCollector *
tv_collector_new (TvRecorder *recorder,
                  guint       interval_us)
{
  TvCollector *self;
  pthread_condattr_t attr;

  g_return_val_if_fail (recorder != NULL, NULL);

  self = g_new0 (TvCollector, 1);
  self->recorder = recorder;
  self->interval_us = CLAMP (interval_us, 50, 999999 / 16);
  pthread_mutex_init (&self->lock, NULL);
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&self->cond, &attr);
  pthread_condattr_destroy (&attr);
  self->staged = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  self->running = pthread_create (&self->thread, NULL, collector_main, self) == 0;
  if (!self->running)
    g_warning ("cannot start the collector thread: events are collected when fed");
  return self;
}

void
tv_collector_stop (TvCollector *self)
{
  g_return_if_fail (self != NULL);

  if (!self->running)
    return;
  pthread_mutex_lock (&self->lock);
  self->stopping = TRUE;
  pthread_cond_signal (&self->cond);
  pthread_mutex_unlock (&self->lock);
  pthread_join (self->thread, NULL);
  self->running = FALSE;
}

void
tv_collector_free (TvCollector *self)
{
  if (self == NULL)
    return;
  tv_collector_stop (self);
  g_array_unref (self->staged);
  pthread_mutex_destroy (&self->lock);
  pthread_cond_destroy (&self->cond);
  g_free (self);
}

gsize
tv_collector_feed (TvCollector *self,
                   TvTrace     *trace)
{
  GArray *batch;
  gsize n;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (TV_IS_TRACE (trace), 0);

  if (!self->running)
    collect_once (self);

  /* Swap the staging array for an empty one: the lock is held for that
   * only, however long the trace takes to add the batch. */
  pthread_mutex_lock (&self->lock);
  batch = self->staged;
  self->staged = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  pthread_mutex_unlock (&self->lock);

  n = _tv_trace_add_batch (trace, batch, self->recorder);
  g_array_unref (batch);
  if (n > 0)
    tv_trace_changed (trace);
  return n;
}

gsize
tv_collector_get_pending (TvCollector *self)
{
  gsize n;

  g_return_val_if_fail (self != NULL, 0);

  pthread_mutex_lock (&self->lock);
  n = self->staged->len;
  pthread_mutex_unlock (&self->lock);
  return n;
}
