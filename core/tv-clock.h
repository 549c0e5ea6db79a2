/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-clock.h: the scenario clock.
 *
 * Scenario time runs at `speed` times wall time and stands still while
 * paused.  The clock lives in memory shared across fork() (it is embedded in
 * the engine's shared block), so every process of a run reads the same time.
 * Readers never block: the rarely changed state (origin, speed, paused) is
 * guarded by a sequence counter that a reader retries on.  libc only.
 *
 * Where the CPU's time-stamp counter is invariant (and the kernel trusts it
 * as its own clock source), wall time is read from the TSC, calibrated once
 * per process against CLOCK_MONOTONIC: a recorded event then costs less than
 * one clock_gettime().  Elsewhere, or with TV_CLOCK=monotonic in the
 * environment, it is CLOCK_MONOTONIC itself.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TV_CLOCK_MIN_SPEED 0.1
#define TV_CLOCK_MAX_SPEED 10.0

/* On the TSC source, a speed change, pause or resume takes effect this many
 * wall ns after the call (it keeps the lock-free readers fence-free and the
 * clock monotonic: see tv-clock.c).  Scenario time may thus run up to this
 * times the old speed ahead of what the new speed alone would give. */
#define TV_CLOCK_CHANGE_DELAY_NS 500

/* Where a clock reads wall time. */
typedef enum
{
  TV_CLOCK_SOURCE_AUTO = 0,   /* the TSC where usable, else monotonic */
  TV_CLOCK_SOURCE_MONOTONIC,  /* clock_gettime (CLOCK_MONOTONIC) */
  TV_CLOCK_SOURCE_TSC,        /* rdtsc, scaled to ns (falls back when unusable) */
} TvClockSource;

typedef struct
{
  _Atomic uint32_t seq;            /* odd while a writer changes the fields */
  _Atomic int64_t  wall_origin;    /* wall ns (CLOCK_MONOTONIC) at scene_origin */
  _Atomic int64_t  scene_origin;   /* scenario ns at wall_origin */
  _Atomic uint64_t speed_bits;     /* the speed factor, as double bits */
  _Atomic uint32_t paused;
  /* Set once by tv_clock_init(), before anyone reads the clock.  In the TSC
   * source, the clock's wall time is
   *   tsc_wall_base + ((tsc - tsc_base) * tsc_mult) >> 32
   * and `wall_origin` is in that time base. */
  _Atomic uint32_t source;         /* TV_CLOCK_SOURCE_MONOTONIC or _TSC */
  _Atomic uint64_t tsc_base;
  _Atomic int64_t  tsc_wall_base;
  _Atomic uint64_t tsc_mult;       /* ns per tick, 32.32 fixed point */
  /* The TSC source's scenario time, under `seq` like the fields above:
   *   scene_origin + max (0, tsc - tsc_origin) * tsc_rate >> 32
   * where tsc_rate is tsc_mult times the speed, and 0 while paused. */
  _Atomic uint64_t tsc_origin;
  _Atomic uint64_t tsc_rate;
} TvClock;

/* Wall time, CLOCK_MONOTONIC, in ns. */
int64_t tv_clock_wall_ns (void);

/* Starts the clock at scenario time 0, now, at `speed` (clamped), on the
 * best source (TV_CLOCK=monotonic in the environment forces the fallback). */
void    tv_clock_init (TvClock *self, double speed);
/* The same on a chosen source; TV_CLOCK_SOURCE_TSC falls back to monotonic
 * where the TSC is not invariant. */
void    tv_clock_init_with_source (TvClock *self, double speed, TvClockSource source);
/* The source the clock really uses: _MONOTONIC or _TSC. */
TvClockSource tv_clock_get_source (TvClock *self);

/* Whether this machine's TSC is usable (invariant, trusted by the kernel),
 * and its calibrated frequency in Hz (0 when unusable).  Calibrated once per
 * process, on first use (a few ms). */
bool    tv_clock_tsc_usable (void);
double  tv_clock_tsc_hz (void);

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
