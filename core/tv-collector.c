/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-collector.c: a thread that copies events out of the rings into
 * staging chunks; tv_collector_feed() hands them to the trace.
 *
 * The chunks are guarded by a mutex held for a drain or for taking chunks
 * off the queue: the collector never waits for the trace's thread to add
 * events, and the rings' producers never wait for anyone.  Each chunk holds
 * whole collections, so that a bounded feed (a frame's share) never splits
 * one collection's events, which are sorted together.
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
#include "tv-trace-private.h"

/* How long a producer whose ring is full waits for the collector before it
 * drops the event (tv_recorder_set_wait_when_full()). */
#define WAIT_WHEN_FULL_MS 1000

/* A chunk takes new collections until it holds this many events (2 MiB). */
#define CHUNK_EVENTS 65536

/* Ring sizes: what all the rings of a run may map between them, and the
 * bounds of one ring (docs/performance.md, "Live recording"). */
#define RING_BUDGET_EVENTS (8u << 20)
#define RING_MIN_EVENTS    (64u << 10)
#define RING_MAX_EVENTS    (1u << 20)

typedef struct
{
  GArray *events;    /* TvEvent */
  /* Every event of a later collection is later than this (see
   * collect_once()); G_MAXINT64 when the rings were found empty after it. */
  gint64  horizon;
} Chunk;

struct _TvCollector
{
  TvRecorder *recorder;
  guint       interval_us;
  pthread_t   thread;
  gboolean    running;
  pthread_mutex_t lock;
  pthread_cond_t  cond;    /* on CLOCK_MONOTONIC */
  gboolean    stopping;   /* under `lock` */
  GQueue      chunks;     /* Chunk, oldest first, under `lock` */
  gsize       pending;    /* events in `chunks`, under `lock` */

  /* Under `lock` too (written by whoever collects). */
  guint32     cb_ring;
  guint64     cb_count;
  gint64      cb_last;     /* the current ring's latest event */
  gint64      cb_horizon;  /* the least of the rings' latest events */
  gint64      horizon;     /* the last chunk's, never lower */
  gint64      last_collect;
  TvCollectorStats stats;

  /* The feeding thread's own: events fed from the chunks but later than
   * their horizon, kept for the next feed. */
  GArray     *held;
};

static void
chunk_free (Chunk *chunk)
{
  g_array_unref (chunk->events);
  g_free (chunk);
}

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
collect_cb (uint32_t       ring_index,
            const TvEvent *events,
            size_t         n_events,
            void          *user_data)
{
  TvCollector *self = user_data;
  Chunk *chunk = g_queue_peek_tail (&self->chunks);

  g_array_append_vals (chunk->events, events, (guint) n_events);
  self->pending += n_events;

  /* A ring comes in one or two runs (it may wrap), one ring after another. */
  if (ring_index != self->cb_ring)
    {
      if (self->cb_ring != G_MAXUINT32)
        self->cb_horizon = MIN (self->cb_horizon, self->cb_last);
      self->cb_ring = ring_index;
      self->cb_count = 0;
    }
  self->cb_count += n_events;
  self->cb_last = events[n_events - 1].time;
  self->stats.high_water = MAX (self->stats.high_water, self->cb_count);
}

/*
 * Drains the rings straight into the last chunk, under the lock: one copy
 * per event, which matters when threads record 20M events a second.
 * tv_collector_feed() waits for at most one drain to take its chunks.
 * Returns the number of events collected.
 *
 * The rings are drained one after the other, so a ring drained late in a
 * collection brings events later than what the next collection brings from
 * a ring drained early: with large rings, a copy of a million events.
 * Added as they come, those would land far from the trace's end, in the
 * middle of arrays shared by every thread (a lock's holds, a variable's
 * accesses).  Hence the chunk's horizon: the least, over the rings that
 * had events, of their latest event.  No ring has anything earlier left to
 * give, but for an event stamped just before its ring was looked at and
 * published just after, so the feed holds back what lies past the horizon
 * until the next collection.  Rings found empty carry the horizon to the
 * end: nothing is held while the run is quiet or paused.
 */
static gsize
collect_once (TvCollector *self)
{
  Chunk *tail;
  gsize before, n;
  gint64 now = now_ns ();

  pthread_mutex_lock (&self->lock);
  tail = g_queue_peek_tail (&self->chunks);
  if (tail == NULL || tail->events->len >= CHUNK_EVENTS)
    {
      tail = g_new0 (Chunk, 1);
      tail->events = g_array_sized_new (FALSE, FALSE, sizeof (TvEvent), 4096);
      tail->horizon = self->horizon;
      g_queue_push_tail (&self->chunks, tail);
    }
  if (self->last_collect > 0)
    self->stats.max_gap_ns = MAX (self->stats.max_gap_ns, (guint64) (now - self->last_collect));
  self->last_collect = now;
  self->cb_ring = G_MAXUINT32;
  self->cb_horizon = G_MAXINT64;
  before = self->pending;
  tv_recorder_drain (self->recorder, collect_cb, self);
  n = self->pending - before;
  if (n > 0)
    {
      self->cb_horizon = MIN (self->cb_horizon, self->cb_last);
      self->horizon = MAX (self->horizon, self->cb_horizon);
      self->stats.collections++;
    }
  else
    self->horizon = G_MAXINT64;
  tail->horizon = self->horizon;
  /* Quiet for now: the next events start a new horizon. */
  if (n == 0)
    self->horizon = G_MININT64;
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
  g_queue_init (&self->chunks);
  self->horizon = G_MININT64;
  self->held = g_array_new (FALSE, FALSE, sizeof (TvEvent));
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
  g_queue_clear_full (&self->chunks, (GDestroyNotify) chunk_free);
  g_array_unref (self->held);
  pthread_mutex_destroy (&self->lock);
  pthread_cond_destroy (&self->cond);
  g_free (self);
}

static gint
compare_time (gconstpointer a,
              gconstpointer b)
{
  gint64 ta = ((const TvEvent *) a)->time;
  gint64 tb = ((const TvEvent *) b)->time;

  return ta < tb ? -1 : ta > tb;
}

/* Adds the first `n` events of a sorted batch to the trace and the writer,
 * as tv_trace_drain() and tv_capture_writer_drain() would. */
static void
add_sorted (TvCollector     *self,
            GArray          *batch,
            guint            n,
            TvTrace         *trace,
            TvCaptureWriter *writer)
{
  for (guint i = 0; i < n; i++)
    {
      const TvEvent *event = &g_array_index (batch, TvEvent, i);
      const char *text = NULL;

      if (tv_capture_kind_has_text (event->kind))
        text = tv_recorder_get_string (self->recorder, (uint64_t) event->arg);
      tv_trace_add_event (trace, event, text);
      if (writer != NULL)
        tv_capture_writer_add (writer, event, text);
    }
}

gsize
tv_collector_feed_full (TvCollector     *self,
                        TvTrace         *trace,
                        TvCaptureWriter *writer,
                        gsize            max_events)
{
  g_autoptr(GArray) batch = NULL;
  GQueue taken = G_QUEUE_INIT;
  Chunk *chunk;
  gsize n = 0;
  gint64 horizon = G_MININT64;
  guint ready;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (TV_IS_TRACE (trace), 0);

  if (!self->running)
    collect_once (self);

  /* Take whole chunks off the queue: the lock is held for that only,
   * however long the trace takes to add them. */
  pthread_mutex_lock (&self->lock);
  while ((chunk = g_queue_peek_head (&self->chunks)) != NULL)
    {
      if (max_events > 0 && n > 0 && n + chunk->events->len > max_events)
        break;
      g_queue_push_tail (&taken, g_queue_pop_head (&self->chunks));
      n += chunk->events->len;
      self->pending -= chunk->events->len;
      horizon = chunk->horizon;
    }
  /* Stopped and all taken: nothing can come after. */
  if (!self->running && g_queue_is_empty (&self->chunks))
    horizon = G_MAXINT64;
  pthread_mutex_unlock (&self->lock);

  if (n == 0 && (self->held->len == 0 || horizon == G_MININT64))
    return 0;

  /* What was held back comes first: a stable sort keeps each ring's order
   * among equal times. */
  batch = g_steal_pointer (&self->held);
  self->held = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  while ((chunk = g_queue_pop_head (&taken)) != NULL)
    {
      g_array_append_vals (batch, chunk->events->data, chunk->events->len);
      chunk_free (chunk);
    }
  g_array_sort (batch, compare_time);

  ready = batch->len;
  if (horizon != G_MAXINT64)
    while (ready > 0 && g_array_index (batch, TvEvent, ready - 1).time > horizon)
      ready--;
  if (ready < batch->len)
    g_array_append_vals (self->held, &g_array_index (batch, TvEvent, ready), batch->len - ready);

  add_sorted (self, batch, ready, trace, writer);
  if (ready > 0)
    tv_trace_changed (trace);
  return ready;
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
  return n + self->held->len;
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
