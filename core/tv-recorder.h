/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-recorder.h: per-thread lock-free rings of TvEvent in memory that
 * survives fork().
 *
 * libc + pthreads only.  One TvRecorder is a single MAP_SHARED anonymous
 * mapping holding a header, a string arena and `n_rings` single-producer /
 * single-consumer rings.  Because the mapping is shared (a memfd that the
 * run's processes map again, tv-recorder-fd.c), a child process records
 * into the same rings as its parent and the parent's consumer drains them.
 *
 * Recording (tv_ring_emit) takes no lock and allocates nothing: it stores the
 * event at `head` and publishes it with a release store.  A full ring never
 * blocks: the event is counted in the ring's `dropped` counter instead, and
 * the consumer reports the count (TV_EV_DROPPED).  Unless the consumer asked
 * (tv_recorder_set_wait_when_full(), what a TvCollector does): then the
 * producer waits a bounded time for room first.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tv-event.h"

typedef struct _TvRecorder TvRecorder;

/* Kept a cache line apart so that producer and consumer do not share one. */
typedef struct
{
  _Alignas (64) _Atomic uint64_t head;     /* written by the producer only */
  _Alignas (64) _Atomic uint64_t tail;     /* written by the consumer only */
  _Alignas (64) _Atomic uint64_t dropped;  /* producer adds, consumer reads */
  uint64_t dropped_reported;               /* consumer's own */
  uint32_t mask;                           /* capacity - 1 */
  _Atomic uint32_t in_use;                 /* claimed by a thread */
  /* Where its events are, from the ring itself: an offset, not a pointer,
   * so that every process may map the recorder at an address of its own. */
  uint64_t events_offset;
  _Atomic uint32_t wait_full_ms;           /* set by the consumer, 0: drop */
} TvRing;

static inline TvEvent *
tv_ring_events (const TvRing *ring)
{
  return (TvEvent *) (void *) ((char *) ring + ring->events_offset);
}

/*
 * Consumer side: when ring `index` dropped events since the last call,
 * fills `out` with the TV_EV_DROPPED event that counts them (at `time`,
 * the ring's last drained event) and returns true.
 */
static inline bool
tv_ring_take_dropped (TvRing *ring, uint32_t index, int64_t time, TvEvent *out)
{
  uint64_t dropped = atomic_load_explicit (&ring->dropped, memory_order_relaxed);

  if (dropped == ring->dropped_reported)
    return false;
  *out = (TvEvent) {
    .time = time,
    .arg = (int64_t) (dropped - ring->dropped_reported),
    .thread = index,
    .object = TV_NO_OBJECT,
    .aux = 0,
    .kind = TV_EV_DROPPED,
    .line = 0,
  };
  ring->dropped_reported = dropped;
  return true;
}

/*
 * Creates a recorder with `n_rings` rings of `ring_capacity` events each
 * (rounded up to a power of two) and a string arena of `string_bytes`.
 * Returns NULL with errno set when the mapping cannot be made.
 */
TvRecorder *tv_recorder_new (uint32_t n_rings,
                             uint32_t ring_capacity,
                             size_t   string_bytes);
void        tv_recorder_free (TvRecorder *self);

uint32_t    tv_recorder_get_n_rings (const TvRecorder *self);

/* The ring of thread index `index` (< n_rings). */
TvRing     *tv_recorder_get_ring (TvRecorder *self, uint32_t index);

/*
 * Copies `len` bytes of `text` (plus a NUL) into the shared string arena and
 * returns its id (> 0), or 0 when the arena is full (counted in
 * tv_recorder_get_strings_dropped()).  Lock-free (one atomic add); safe from
 * any thread of any process sharing the recorder.  Not for the hot path of
 * locks: it is what names and printed lines use.
 */
uint64_t    tv_recorder_add_string (TvRecorder *self, const char *text, size_t len);
/* The text of string id `id`, or NULL for 0 or an id out of range. */
const char *tv_recorder_get_string (const TvRecorder *self, uint64_t id);
uint64_t    tv_recorder_get_strings_dropped (const TvRecorder *self);

/*
 * Called by tv_recorder_drain() with a run of consecutive events of one
 * ring.  The events stay valid only during the call.
 */
typedef void (*TvDrainFunc) (uint32_t        ring_index,
                             const TvEvent  *events,
                             size_t          n_events,
                             void           *user_data);

/*
 * Consumer side: hands every event published so far to `func`, ring by ring,
 * then frees their slots.  For a ring whose drop counter grew since the last
 * drain, a TV_EV_DROPPED event (arg = the number newly dropped, thread =
 * the ring index, time = the last drained event's time) is handed to `func`
 * after that ring's events.  Only one consumer may drain at a time.
 * Returns the number of events handed over.
 */
size_t      tv_recorder_drain (TvRecorder *self, TvDrainFunc func, void *user_data);

/*
 * Consumer side: from now on a producer that finds its ring full waits up
 * to `max_wait_ms` for the consumer to make room before it drops the event
 * (0, the default: drop at once).  For a consumer that drains from a thread
 * of its own (TvCollector), so that a collector the scheduler leaves
 * waiting loses nothing; never for one that may go away.  Setting 0 also
 * ends the waits under way.
 */
void        tv_recorder_set_wait_when_full (TvRecorder *self, uint32_t max_wait_ms);
/*
 * Lowers that wait to at most `max_wait_ms` (never turns it on), also for
 * the waits under way, which then end at most `max_wait_ms` from now:
 * tv_run_stop() does, so that a stop is never held up long by a consumer
 * that fell behind, and a consumer that keeps up loses nothing.
 */
void        tv_recorder_cap_wait_when_full (TvRecorder *self, uint32_t max_wait_ms);
/* Producer side, out of line: waits for room as set above; true if some. */
bool        tv_ring_wait_for_room (TvRing *ring, uint64_t head);

/* Total of all rings' drop counters. */
uint64_t    tv_recorder_get_dropped (const TvRecorder *self);

/*
 * Producer side: records one event on `ring`.  Returns false (and counts a
 * drop) when the ring is full.  Wait-free; only the ring's own thread may
 * call it.
 */
static inline bool
tv_ring_emit (TvRing *ring, const TvEvent *event)
{
  uint64_t head = atomic_load_explicit (&ring->head, memory_order_relaxed);
  uint64_t tail = atomic_load_explicit (&ring->tail, memory_order_acquire);

  if (head - tail > ring->mask && !tv_ring_wait_for_room (ring, head))
    {
      atomic_fetch_add_explicit (&ring->dropped, 1, memory_order_relaxed);
      return false;
    }

  tv_ring_events (ring)[head & ring->mask] = *event;
  atomic_store_explicit (&ring->head, head + 1, memory_order_release);
  return true;
}
