/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-clock.h: the scenario clock.
 *
 * Scenario time runs at `speed` times wall time and stands still while
 * paused.  The clock lives in memory shared across fork() (it is embedded in
 * the engine's shared block), so every process of a run reads the same time.
 * Readers never block: the rarely changed state (origin, speed, paused) is
 * guarded by a sequence counter that a reader retries on.  libc only.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TV_CLOCK_MIN_SPEED 0.1
#define TV_CLOCK_MAX_SPEED 10.0

typedef struct
{
  _Atomic uint32_t seq;            /* odd while a writer changes the fields */
  _Atomic int64_t  wall_origin;    /* wall ns (CLOCK_MONOTONIC) at scene_origin */
  _Atomic int64_t  scene_origin;   /* scenario ns at wall_origin */
  _Atomic uint64_t speed_bits;     /* the speed factor, as double bits */
  _Atomic uint32_t paused;
} TvClock;

/* Wall time, CLOCK_MONOTONIC, in ns. */
int64_t tv_clock_wall_ns (void);

/* Starts the clock at scenario time 0, now, at `speed` (clamped). */
void    tv_clock_init (TvClock *self, double speed);

/* Scenario time now, in ns since the run began.  Lock-free. */
int64_t tv_clock_now (TvClock *self);

double  tv_clock_get_speed (TvClock *self);
/* Changes the speed from now on; scenario time stays continuous. */
void    tv_clock_set_speed (TvClock *self, double speed);

bool    tv_clock_is_paused (TvClock *self);
/* While paused, tv_clock_now() stays at the time of the pause. */
void    tv_clock_set_paused (TvClock *self, bool paused);

/*
 * Wall ns (CLOCK_MONOTONIC) at which scenario time `scene_ns` will be
 * reached at the current speed, or INT64_MAX while paused.  Waits use it as
 * their absolute deadline and recompute it when woken (speed or pause may
 * have changed).
 */
int64_t tv_clock_wall_deadline (TvClock *self, int64_t scene_ns);

/* Only one writer at a time: the engine's control thread.  Writers of
 * different processes never race because only the parent changes speed. */
