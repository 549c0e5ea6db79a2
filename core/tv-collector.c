/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-collector.c: a thread that copies events out of the rings, merges each
 * collection by time and queues it in chunks; tv_collector_feed() hands
 * the chunks to the trace.
 *
 * A collection takes from every ring what was published when it began (the
 * heads are read first, then the rings copied): its events are all earlier
 * than the next collection's, but for one stamped just before the heads
 * were read and published just after, which lands a little behind the
 * trace's end.  Draining each ring to its current head instead would hand
 * the next collection events earlier than the last ring's of this one, as
 * many as were recorded while the other rings were copied; the trace adds
 * an event at a cost proportional to how far behind its end it lands, in
 * arrays every thread shares (a lock's holds, a variable's accesses).
 * The sort, too, is done here rather than on the feeding thread: a feed is
 * only adding events, in bounded slices if the consumer wants.
 *
 * The queue is guarded by a mutex held to push or take chunks: the
 * collector never waits for the trace's thread to add events, and the
 * rings' producers never wait for anyone (but for room in a full ring,
 * tv_recorder_set_wait_when_full()).  The rings are drained through their
 * public fields, exactly as tv_recorder_drain() does, TV_EV_DROPPED
 * included; nobody else drains them meanwhile.
 *
 * pthreads rather than GMutex: GLib's futex-based mutex is invisible to
 * ThreadSanitizer, which the engine's suite runs under.
 */

#define G_LOG_DOMAIN "tv-trace"

#include "config.h"

#include <pthread.h>
#include <time.h>

#include "tv-capture.h"
#include "tv-collector.h"
#include "tv-event-merge.h"

/* How long a producer whose ring is full waits for the collector before it
 * drops the event (tv_recorder_set_wait_when_full()): long enough for a
 * consumer that holds the collector back (tv_collector_set_max_pending())
 * to catch up. */
#define WAIT_WHEN_FULL_MS 10000

/* The staging arrays keep their memory up to this many events; a burst
 * past it gives it back. */
#define BATCH_KEEP_EVENTS 65536

/* Ring sizes: what all the rings of a run may map between them, and the
 * bounds of one ring (docs/performance.md, "Live recording"). */
#define RING_BUDGET_EVENTS (4u << 20)
#define RING_MIN_EVENTS    (16u << 10)
#define RING_MAX_EVENTS    (256u << 10)

struct _TvCollector
{
  TvRecorder *recorder;
  guint       interval_us;
  pthread_t   thread;
  gboolean    running;
  pthread_mutex_t lock;
  pthread_cond_t  cond;    /* on CLOCK_MONOTONIC */
  gboolean    stopping;    /* under `lock` */
  gsize       max_pending; /* under `lock`; 0: no limit */
  GQueue      chunks;      /* GArray of TvEvent, oldest first, under `lock` */
  gsize       pending;     /* events in `chunks`, under `lock` */
  TvCollectorStats stats;  /* under `lock` */

  /* Whoever collects (the thread, or the feed when there is none). */
  guint32     n_rings;
  uint64_t   *heads;       /* the heads read at a collection's start */
  int64_t    *last_time;   /* each ring's last event: TV_EV_DROPPED's time */
  GArray     *batch;       /* the collection being made: one run a ring */
  gsize      *ends;        /* where each ring's run ends in `batch` */
  GArray     *merged;      /* `batch` sorted by time */
  gint64      last_collect;
};

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* Copies ring `i` up to `head` into the batch and frees the slots. */
static guint64
take_ring (TvCollector *self,
           guint32      i,
           uint64_t     head)
{
  TvRing *ring = tv_recorder_get_ring (self->recorder, i);
  uint64_t tail = atomic_load_explicit (&ring->tail, memory_order_relaxed);
  TvEvent event;
  guint64 n = head - tail;

  if (n > 0)
    {
      uint64_t capacity = (uint64_t) ring->mask + 1;
      uint64_t start = tail & ring->mask;
      uint64_t first = MIN (n, capacity - start);

      /* The run may wrap around the end of the array: two copies. */
      g_array_append_vals (self->batch, &tv_ring_events (ring)[start], (guint) first);
      if (first < n)
        g_array_append_vals (self->batch, &tv_ring_events (ring)[0], (guint) (n - first));
      self->last_time[i] = tv_ring_events (ring)[(head - 1) & ring->mask].time;

      /* Only now may the producer overwrite the slots. */
      atomic_store_explicit (&ring->tail, head, memory_order_release);
    }

  if (tv_ring_take_dropped (ring, i, self->last_time[i], &event))
    g_array_append_val (self->batch, event);
  return n;
}

/*
 * One collection: the rings as they stood at its start, sorted by time
 * (stably: each ring's order is kept among equal times), queued in chunks.
 * With `limited`, nothing is taken while the consumer is behind
 * (tv_collector_set_max_pending()).  Returns the number of events queued,
 * or 1 for a collection skipped that way (the rings are busy).
 */
static gsize
collect_once (TvCollector *self,
              gboolean     limited)
{
  guint64 high_water = 0;
  gint64 now = now_ns ();
  gsize n;

  if (limited)
    {
      gboolean behind;

      pthread_mutex_lock (&self->lock);
      behind = self->max_pending > 0 && self->pending >= self->max_pending;
      pthread_mutex_unlock (&self->lock);
      /* Left in the rings, whose producers then wait for room: recording
       * goes at the pace the consumer takes events (flow control). */
      if (behind)
        return 1;
    }

  for (guint32 i = 0; i < self->n_rings; i++)
    self->heads[i] = atomic_load_explicit (&tv_recorder_get_ring (self->recorder, i)->head,
                                           memory_order_acquire);
  for (guint32 i = 0; i < self->n_rings; i++)
    {
      guint64 taken = take_ring (self, i, self->heads[i]);

      high_water = MAX (high_water, taken);
      self->ends[i] = self->batch->len;
    }

  /* Each ring's run is in time order already: merged, not sorted. */
  n = self->batch->len;
  g_array_set_size (self->merged, (guint) n);
  if (n > 0)
    tv_event_merge_runs ((TvEvent *) self->batch->data, self->ends, self->n_rings,
                         (TvEvent *) self->merged->data);

  pthread_mutex_lock (&self->lock);
  for (gsize done = 0; done < n; done += TV_COLLECTOR_CHUNK_EVENTS)
    {
      guint len = (guint) MIN ((gsize) TV_COLLECTOR_CHUNK_EVENTS, n - done);
      GArray *chunk = g_array_sized_new (FALSE, FALSE, sizeof (TvEvent), len);

      g_array_append_vals (chunk, &g_array_index (self->merged, TvEvent, done), len);
      g_queue_push_tail (&self->chunks, chunk);
    }
  self->pending += n;
  if (n > 0)
    self->stats.collections++;
  self->stats.high_water = MAX (self->stats.high_water, high_water);
  if (self->last_collect > 0)
    self->stats.max_gap_ns = MAX (self->stats.max_gap_ns, (guint64) (now - self->last_collect));
  pthread_mutex_unlock (&self->lock);
  self->last_collect = now;

  /* A burst must not keep its memory forever. */
  if (self->batch->len > BATCH_KEEP_EVENTS)
    {
      g_array_unref (self->batch);
      g_array_unref (self->merged);
      self->batch = g_array_new (FALSE, FALSE, sizeof (TvEvent));
      self->merged = g_array_new (FALSE, FALSE, sizeof (TvEvent));
    }
  else
    {
      g_array_set_size (self->batch, 0);
      g_array_set_size (self->merged, 0);
    }
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
      if (collect_once (self, TRUE) == 0)
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
  collect_once (self, FALSE);
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
  g_queue_init (&self->chunks);
  self->n_rings = tv_recorder_get_n_rings (recorder);
  self->heads = g_new0 (uint64_t, self->n_rings);
  self->last_time = g_new0 (int64_t, self->n_rings);
  self->batch = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  self->ends = g_new0 (gsize, self->n_rings);
  self->merged = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  self->running = pthread_create (&self->thread, NULL, collector_main, self) == 0;
  if (!self->running)
    g_warning ("cannot start the collector thread: events are collected when fed");
  else
    tv_recorder_set_wait_when_full (recorder, WAIT_WHEN_FULL_MS);
  return self;
}

void
tv_collector_stop (TvCollector *self)
{
  g_return_if_fail (self != NULL);

  if (!self->running)
    return;
  /* Nobody will make room any more. */
  tv_recorder_set_wait_when_full (self->recorder, 0);
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
  g_queue_clear_full (&self->chunks, (GDestroyNotify) g_array_unref);
  g_array_unref (self->batch);
  g_array_unref (self->merged);
  g_free (self->ends);
  g_free (self->heads);
  g_free (self->last_time);
  pthread_mutex_destroy (&self->lock);
  pthread_cond_destroy (&self->cond);
  g_free (self);
}

gsize
tv_collector_feed_full (TvCollector     *self,
                        TvTrace         *trace,
                        TvCaptureWriter *writer,
                        gsize            max_events)
{
  GQueue taken = G_QUEUE_INIT;
  GArray *chunk;
  gsize n = 0;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (TV_IS_TRACE (trace), 0);

  if (!self->running)
    collect_once (self, FALSE);

  /* Take whole chunks off the queue: the lock is held for that only,
   * however long the trace takes to add them. */
  pthread_mutex_lock (&self->lock);
  while ((chunk = g_queue_peek_head (&self->chunks)) != NULL)
    {
      if (max_events > 0 && n > 0 && n + chunk->len > max_events)
        break;
      g_queue_push_tail (&taken, g_queue_pop_head (&self->chunks));
      n += chunk->len;
      self->pending -= chunk->len;
    }
  pthread_mutex_unlock (&self->lock);

  /* Already sorted: added as tv_trace_drain() and
   * tv_capture_writer_drain() would, with the same texts. */
  while ((chunk = g_queue_pop_head (&taken)) != NULL)
    {
      for (guint i = 0; i < chunk->len; i++)
        {
          const TvEvent *event = &g_array_index (chunk, TvEvent, i);
          const char *text = NULL;

          if (tv_capture_kind_has_text (event->kind))
            text = tv_recorder_get_string (self->recorder, (uint64_t) event->arg);
          tv_trace_add_event (trace, event, text);
          if (writer != NULL)
            tv_capture_writer_add (writer, event, text);
        }
      g_array_unref (chunk);
    }
  if (n > 0)
    tv_trace_changed (trace);
  return n;
}

gsize
tv_collector_feed (TvCollector *self,
                   TvTrace     *trace)
{
  return tv_collector_feed_full (self, trace, NULL, 0);
}

gsize
tv_collector_get_pending (TvCollector *self)
{
  gsize n;

  g_return_val_if_fail (self != NULL, 0);

  pthread_mutex_lock (&self->lock);
  n = self->pending;
  pthread_mutex_unlock (&self->lock);
  return n;
}

void
tv_collector_set_max_pending (TvCollector *self,
                              gsize        max_pending)
{
  g_return_if_fail (self != NULL);

  pthread_mutex_lock (&self->lock);
  self->max_pending = max_pending;
  pthread_mutex_unlock (&self->lock);
}

void
tv_collector_get_stats (TvCollector      *self,
                        TvCollectorStats *stats)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (stats != NULL);

  pthread_mutex_lock (&self->lock);
  *stats = self->stats;
  pthread_mutex_unlock (&self->lock);
}

guint32
tv_collector_ring_capacity (guint n_rings)
{
  guint32 capacity = RING_MAX_EVENTS;

  /* Powers of two, as the recorder rounds up to one. */
  while (capacity > RING_MIN_EVENTS && (guint64) capacity * MAX (n_rings, 1) > RING_BUDGET_EVENTS)
    capacity >>= 1;
  return capacity;
}

guint32
tv_collector_ring_capacity_for (const TvScenario *scenario)
{
  guint n_rings = 2;   /* main's and the controller's */

  g_return_val_if_fail (scenario != NULL, RING_MIN_EVENTS);

  /* As the engine counts its slots: every thread and process instance,
   * and a pool for spawned threads. */
  for (guint b = 0; b < scenario->n_bodies; b++)
    if (b != scenario->main_body)
      n_rings += scenario->bodies[b].count;
  if (scenario->n_spawn_sites > 0)
    n_rings += CLAMP (scenario->n_spawn_sites * 16, 32, 128);
  return tv_collector_ring_capacity (n_rings);
}
