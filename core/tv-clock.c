/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-clock.c: the scenario clock, a seqlock over (origin, speed, paused).
 *
 * libc only.  The clock sits in memory shared across fork(), so it holds no
 * pointer and every field is an atomic: readers in any process retry while
 * the sequence counter is odd or changed under them, and never block.
 *
 * Scenario time is
 *
 *   scene_origin + (wall - wall_origin) * speed     while running,
 *   scene_origin                                    while paused,
 *
 * and every change (speed, pause, resume) first moves the origin to "now",
 * so that scenario time stays continuous across it.
 */

#include "tv-clock.h"

#include <string.h>
#include <time.h>

typedef struct
{
  int64_t wall_origin;
  int64_t scene_origin;
  double  speed;
  bool    paused;
} ClockState;

static double
clamp_speed (double speed)
{
  /* NaN fails both comparisons: fall back to real time. */
  if (!(speed == speed))
    return 1.0;
  if (speed < TV_CLOCK_MIN_SPEED)
    return TV_CLOCK_MIN_SPEED;
  if (speed > TV_CLOCK_MAX_SPEED)
    return TV_CLOCK_MAX_SPEED;
  return speed;
}

static uint64_t
double_to_bits (double value)
{
  uint64_t bits;

  memcpy (&bits, &value, sizeof bits);
  return bits;
}

static double
bits_to_double (uint64_t bits)
{
  double value;

  memcpy (&value, &bits, sizeof value);
  return value;
}

/*
 * Field loads are acquire so that the second read of `seq` cannot move
 * before them; a writer's field stores are release so that its odd `seq`
 * is visible to anyone who sees one of the new fields.  All accesses are
 * atomics, so ThreadSanitizer has nothing to report.
 *
 * The wall time is read inside the section too, and a writer reads its own
 * wall time only after its odd `seq` is visible (the fences): so a reader
 * that used the old fields read the wall before the writer did, and can
 * never have returned a time later than the new origin.  That keeps
 * tv_clock_now() monotonic across speed changes and pauses.
 */
static void
clock_read (TvClock    *self,
            ClockState *state,
            int64_t    *wall)
{
  for (;;)
    {
      uint32_t seq = atomic_load_explicit (&self->seq, memory_order_acquire);

      if (seq & 1)
        continue;

      state->wall_origin = atomic_load_explicit (&self->wall_origin, memory_order_acquire);
      state->scene_origin = atomic_load_explicit (&self->scene_origin, memory_order_acquire);
      state->speed = bits_to_double (atomic_load_explicit (&self->speed_bits, memory_order_acquire));
      state->paused = atomic_load_explicit (&self->paused, memory_order_acquire) != 0;
      if (wall != NULL)
        {
          *wall = tv_clock_wall_ns ();
          atomic_thread_fence (memory_order_seq_cst);
        }

      if (atomic_load_explicit (&self->seq, memory_order_relaxed) == seq)
        return;
    }
}

/* Makes `seq` odd and returns the current fields and wall time. */
static uint32_t
clock_begin_write (TvClock    *self,
                   ClockState *state,
                   int64_t    *wall)
{
  uint32_t seq = atomic_load_explicit (&self->seq, memory_order_relaxed);

  atomic_store_explicit (&self->seq, seq + 1, memory_order_relaxed);
  atomic_thread_fence (memory_order_seq_cst);

  /* Only one writer: its own fields cannot change under it. */
  state->wall_origin = atomic_load_explicit (&self->wall_origin, memory_order_relaxed);
  state->scene_origin = atomic_load_explicit (&self->scene_origin, memory_order_relaxed);
  state->speed = bits_to_double (atomic_load_explicit (&self->speed_bits, memory_order_relaxed));
  state->paused = atomic_load_explicit (&self->paused, memory_order_relaxed) != 0;
  *wall = tv_clock_wall_ns ();
  return seq;
}

static void
clock_end_write (TvClock          *self,
                 uint32_t          seq,
                 const ClockState *state)
{
  atomic_store_explicit (&self->wall_origin, state->wall_origin, memory_order_release);
  atomic_store_explicit (&self->scene_origin, state->scene_origin, memory_order_release);
  atomic_store_explicit (&self->speed_bits, double_to_bits (state->speed), memory_order_release);
  atomic_store_explicit (&self->paused, state->paused ? 1 : 0, memory_order_release);
  atomic_store_explicit (&self->seq, seq + 2, memory_order_release);
}

static int64_t
scene_at (const ClockState *state,
          int64_t           wall)
{
  int64_t elapsed;

  if (state->paused)
    return state->scene_origin;

  /* A reader may have read the wall time just before a writer moved the
   * origin past it: counting that as 0 keeps the clock monotonic. */
  elapsed = wall - state->wall_origin;
  if (elapsed <= 0)
    return state->scene_origin;

  /* At speed 1 stay exact: a double holds integers only up to 2^53. */
  if (state->speed == 1.0)
    return state->scene_origin + elapsed;

  return state->scene_origin + (int64_t) ((double) elapsed * state->speed);
}

int64_t
tv_clock_wall_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
tv_clock_init (TvClock *self,
               double   speed)
{
  /* Nobody reads the clock before it is initialised. */
  atomic_init (&self->seq, 0);
  atomic_init (&self->wall_origin, tv_clock_wall_ns ());
  atomic_init (&self->scene_origin, 0);
  atomic_init (&self->speed_bits, double_to_bits (clamp_speed (speed)));
  atomic_init (&self->paused, 0);
  atomic_thread_fence (memory_order_release);
}

int64_t
tv_clock_now (TvClock *self)
{
  ClockState state;
  int64_t wall;

  clock_read (self, &state, &wall);
  return scene_at (&state, wall);
}

double
tv_clock_get_speed (TvClock *self)
{
  ClockState state;

  clock_read (self, &state, NULL);
  return state.speed;
}

void
tv_clock_set_speed (TvClock *self,
                    double   speed)
{
  ClockState state;
  int64_t wall;
  uint32_t seq = clock_begin_write (self, &state, &wall);

  /* While paused the origin stays; resuming moves it. */
  if (!state.paused)
    {
      state.scene_origin = scene_at (&state, wall);
      state.wall_origin = wall;
    }
  state.speed = clamp_speed (speed);
  clock_end_write (self, seq, &state);
}

bool
tv_clock_is_paused (TvClock *self)
{
  return atomic_load_explicit (&self->paused, memory_order_acquire) != 0;
}

void
tv_clock_set_paused (TvClock *self,
                     bool     paused)
{
  ClockState state;
  int64_t wall;
  uint32_t seq = clock_begin_write (self, &state, &wall);

  if (state.paused != paused)
    {
      if (paused)
        state.scene_origin = scene_at (&state, wall);
      state.wall_origin = wall;
      state.paused = paused;
    }
  clock_end_write (self, seq, &state);
}

int64_t
tv_clock_wall_deadline (TvClock *self,
                        int64_t  scene_ns)
{
  ClockState state;
  double wall;

  clock_read (self, &state, NULL);
  if (state.paused)
    return INT64_MAX;

  if (scene_ns <= state.scene_origin)
    return state.wall_origin;

  if (state.speed == 1.0 && scene_ns - state.scene_origin <= INT64_MAX - state.wall_origin)
    return state.wall_origin + (scene_ns - state.scene_origin);

  /* Round up, plus one ns for the rounding of tv_clock_now(), so that a
   * waiter woken at the deadline finds the time reached.  No libm: the
   * recorder's library links libc only. */
  wall = (double) (scene_ns - state.scene_origin) / state.speed + 1.0;
  if (wall >= (double) (INT64_MAX - state.wall_origin))
    return INT64_MAX;
  return state.wall_origin + (int64_t) wall + 1;
}
