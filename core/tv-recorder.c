/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-recorder.c: the rings and the string arena, in one shared mapping.
 *
 * libc + pthreads only (see tv-recorder.h).  The layout of the single
 * MAP_SHARED | MAP_ANONYMOUS mapping is
 *
 *   TvRecorder | TvRing[n_rings] | int64 last_time[n_rings] |
 *   TvEvent[capacity] per ring | string arena
 *
 * The TvRecorder itself lives at the start of the mapping and holds offsets
 * from there, never pointers, as each ring does for its events: a process
 * that maps the same memory again (a child made by fork(), or a new program
 * given the memfd, tv-recorder-fd.c) may find it at any address and records
 * into the very pages the parent drains.
 *
 * Like Sysprof's capture writer and reader, the producer side (the inline
 * tv_ring_emit() in the header) and the consumer side (tv_recorder_drain())
 * share nothing but the ring's head and tail: the producer owns `head`, the
 * consumer owns `tail`, and each publishes its own with a release store.
 */

#include "tv-recorder.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TV_RECORDER_MAX_CAPACITY (1u << 30)
#define TV_RECORDER_MAX_RINGS    (1u << 20)

struct _TvRecorder
{
  size_t            map_size;
  uint32_t          n_rings;
  uint32_t          capacity;
  /* Offsets from the recorder's start, not pointers: each process maps
   * the recorder at an address of its own (tv-recorder-fd.c). */
  uint64_t          rings_offset;       /* TvRing[n_rings] */
  /* The time of each ring's last drained event: the time of its
   * TV_EV_DROPPED events.  The consumer's own. */
  uint64_t          last_time_offset;   /* int64_t[n_rings] */
  uint64_t          strings_offset;
  size_t            string_bytes;
  /* Bytes claimed in the arena; it may run past string_bytes when a claim
   * fails, which is why readers clamp it. */
  _Atomic uint64_t  string_used;
  _Atomic uint64_t  strings_dropped;
};

#define RINGS(self)     ((TvRing *) (void *) ((char *) (self) + (self)->rings_offset))
#define LAST_TIME(self) ((int64_t *) (void *) ((char *) (self) + (self)->last_time_offset))
#define STRINGS(self)   ((char *) (self) + (self)->strings_offset)

static size_t
align_up (size_t value,
          size_t alignment)
{
  return (value + alignment - 1) & ~(alignment - 1);
}

static uint32_t
round_capacity (uint32_t capacity)
{
  uint32_t rounded = 2;

  if (capacity > TV_RECORDER_MAX_CAPACITY)
    capacity = TV_RECORDER_MAX_CAPACITY;
  while (rounded < capacity)
    rounded <<= 1;
  return rounded;
}

TvRecorder *
tv_recorder_new (uint32_t n_rings,
                 uint32_t ring_capacity,
                 size_t   string_bytes)
{
  TvRecorder *self;
  uint32_t capacity = round_capacity (ring_capacity);
  size_t rings_offset, last_time_offset, events_offset, strings_offset, size;
  size_t ring_bytes = (size_t) capacity * sizeof (TvEvent);
  char *base;

  if (n_rings == 0 || n_rings > TV_RECORDER_MAX_RINGS)
    {
      errno = EINVAL;
      return NULL;
    }

  rings_offset = align_up (sizeof (TvRecorder), 64);
  last_time_offset = rings_offset + (size_t) n_rings * sizeof (TvRing);
  events_offset = align_up (last_time_offset + (size_t) n_rings * sizeof (int64_t), 64);
  if ((SIZE_MAX - events_offset) / n_rings < ring_bytes)
    {
      errno = ENOMEM;
      return NULL;
    }
  strings_offset = events_offset + (size_t) n_rings * ring_bytes;
  if (SIZE_MAX - strings_offset < string_bytes + 4096)
    {
      errno = ENOMEM;
      return NULL;
    }
  size = align_up (strings_offset + string_bytes, (size_t) sysconf (_SC_PAGESIZE));

  /* Anonymous pages come zeroed: every head, tail and counter starts at 0. */
  base = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED)
    return NULL;

  self = (TvRecorder *) base;
  self->map_size = size;
  self->n_rings = n_rings;
  self->capacity = capacity;
  self->rings_offset = rings_offset;
  self->last_time_offset = last_time_offset;
  self->strings_offset = strings_offset;
  self->string_bytes = string_bytes;
  atomic_init (&self->string_used, 0);
  atomic_init (&self->strings_dropped, 0);

  for (uint32_t i = 0; i < n_rings; i++)
    {
      TvRing *ring = &RINGS (self)[i];

      atomic_init (&ring->head, 0);
      atomic_init (&ring->tail, 0);
      atomic_init (&ring->dropped, 0);
      atomic_init (&ring->in_use, 0);
      atomic_init (&ring->wait_full_ms, 0);
      ring->dropped_reported = 0;
      ring->mask = capacity - 1;
      ring->events_offset = (uint64_t) (base + events_offset + (size_t) i * ring_bytes
                                        - (char *) ring);
    }

  return self;
}

void
tv_recorder_free (TvRecorder *self)
{
  if (self == NULL)
    return;
  munmap (self, self->map_size);
}

uint32_t
tv_recorder_get_n_rings (const TvRecorder *self)
{
  return self->n_rings;
}

TvRing *
tv_recorder_get_ring (TvRecorder *self,
                      uint32_t    index)
{
  if (index >= self->n_rings)
    return NULL;
  return &RINGS (self)[index];
}

uint64_t
tv_recorder_add_string (TvRecorder *self,
                        const char *text,
                        size_t      len)
{
  uint64_t offset;

  if (text == NULL)
    len = 0;

  /* One atomic add claims the bytes; a claim that does not fit is lost (the
   * counter keeps growing past the end, harmlessly) and counted. */
  offset = atomic_fetch_add_explicit (&self->string_used, (uint64_t) len + 1,
                                      memory_order_relaxed);
  if (offset >= self->string_bytes || self->string_bytes - offset < len + 1)
    {
      atomic_fetch_add_explicit (&self->strings_dropped, 1, memory_order_relaxed);
      return 0;
    }

  if (len > 0)
    memcpy (STRINGS (self) + offset, text, len);
  STRINGS (self)[offset + len] = '\0';

  /* Ids start at 1 so that 0 can mean "no string".  Whoever reads the text
   * learnt the id from an event, whose publication (a release store of the
   * ring's head) orders the copy above before the read. */
  return offset + 1;
}

const char *
tv_recorder_get_string (const TvRecorder *self,
                        uint64_t          id)
{
  if (id == 0 || id > self->string_bytes)
    return NULL;
  return STRINGS (self) + (id - 1);
}

uint64_t
tv_recorder_get_strings_dropped (const TvRecorder *self)
{
  return atomic_load_explicit (&((TvRecorder *) self)->strings_dropped, memory_order_relaxed);
}

size_t
tv_recorder_drain (TvRecorder  *self,
                   TvDrainFunc  func,
                   void        *user_data)
{
  size_t total = 0;

  for (uint32_t i = 0; i < self->n_rings; i++)
    {
      TvRing *ring = &RINGS (self)[i];
      uint64_t head = atomic_load_explicit (&ring->head, memory_order_acquire);
      uint64_t tail = atomic_load_explicit (&ring->tail, memory_order_relaxed);
      TvEvent event;

      if (head != tail)
        {
          uint64_t capacity = (uint64_t) ring->mask + 1;
          uint64_t start = tail & ring->mask;
          uint64_t n = head - tail;
          uint64_t first = n < capacity - start ? n : capacity - start;

          /* The run may wrap around the end of the array: two calls. */
          func (i, &tv_ring_events (ring)[start], first, user_data);
          if (first < n)
            func (i, &tv_ring_events (ring)[0], n - first, user_data);

          LAST_TIME (self)[i] = tv_ring_events (ring)[(head - 1) & ring->mask].time;
          total += n;

          /* Only now may the producer overwrite the slots. */
          atomic_store_explicit (&ring->tail, head, memory_order_release);
        }

      if (tv_ring_take_dropped (ring, i, LAST_TIME (self)[i], &event))
        {
          func (i, &event, 1, user_data);
          total++;
        }
    }

  return total;
}

void
tv_recorder_set_wait_when_full (TvRecorder *self,
                                uint32_t    max_wait_ms)
{
  for (uint32_t i = 0; i < self->n_rings; i++)
    atomic_store_explicit (&RINGS (self)[i].wait_full_ms, max_wait_ms, memory_order_relaxed);
}

static int64_t
monotonic_ns (void)
{
  struct timespec now;

  clock_gettime (CLOCK_MONOTONIC, &now);
  return (int64_t) now.tv_sec * 1000000000 + now.tv_nsec;
}

bool
tv_ring_wait_for_room (TvRing   *ring,
                       uint64_t  head)
{
  uint32_t max_ms = atomic_load_explicit (&ring->wait_full_ms, memory_order_relaxed);
  struct timespec nap = { 0, 20000 };
  int64_t now, deadline;

  if (max_ms == 0)
    return false;
  now = monotonic_ns ();
  deadline = now + (int64_t) max_ms * 1000000;

  /* Naps from 20 µs up to 1 ms: the consumer needs the CPU more than we
   * do, and twenty threads waiting must not keep it from running. */
  do
    {
      uint32_t limit;

      nanosleep (&nap, NULL);
      if (nap.tv_nsec < 1000000)
        nap.tv_nsec *= 2;
      if (head - atomic_load_explicit (&ring->tail, memory_order_acquire) <= ring->mask)
        return true;
      now = monotonic_ns ();
      /* Turned off meanwhile: drop the event.  Lowered (a stop: see
       * tv_run_stop()): the new limit counts from now. */
      limit = atomic_load_explicit (&ring->wait_full_ms, memory_order_relaxed);
      if (limit == 0)
        return false;
      if (limit != max_ms)
        {
          int64_t sooner = now + (int64_t) limit * 1000000;

          max_ms = limit;
          if (sooner < deadline)
            deadline = sooner;
        }
    }
  while (now < deadline);
  return false;
}

void
tv_recorder_cap_wait_when_full (TvRecorder *self,
                                uint32_t    max_wait_ms)
{
  for (uint32_t i = 0; i < self->n_rings; i++)
    {
      _Atomic uint32_t *wait = &RINGS (self)[i].wait_full_ms;
      uint32_t current = atomic_load_explicit (wait, memory_order_relaxed);

      while (current > max_wait_ms
             && !atomic_compare_exchange_weak_explicit (wait, &current, max_wait_ms,
                                                        memory_order_relaxed,
                                                        memory_order_relaxed))
        ;
    }
}

uint64_t
tv_recorder_get_dropped (const TvRecorder *self)
{
  uint64_t total = 0;

  for (uint32_t i = 0; i < self->n_rings; i++)
    total += atomic_load_explicit (&RINGS (self)[i].dropped, memory_order_relaxed);
  return total;
}
