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
 *
 * with "wall" CLOCK_MONOTONIC.  Where the TSC is invariant, the clock uses
 * it instead (tv_clock_now() then costs about half a clock_gettime()):
 *
 *   scene_origin + (tsc - tsc_origin) * tsc_rate / 2^32
 *
 * where tsc_rate folds the calibration (ns per tick, 32.32) and the speed,
 * and is 0 while paused.  The calibration is measured once per process
 * against CLOCK_MONOTONIC, the base pair is taken afresh by every
 * tv_clock_init(), and all of it is stored in the clock itself, so that
 * forked children read the same time without calibrating again.
 */

#include "tv-clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#define TV_HAVE_TSC 1
#else
#define TV_HAVE_TSC 0
#endif

/* How long calibration measures the TSC against CLOCK_MONOTONIC.  Each end
 * is known to ~10 ns, so 10 ms gives a few ppm. */
#define CALIBRATION_NS 10000000

/*
 * On the TSC source a writer's change takes effect TV_CLOCK_CHANGE_DELAY_NS
 * after its own TSC read (see tv-clock.h).  A reader's rdtsc is not ordered
 * with its loads (a fence there would cost as much as the clock_gettime()
 * it replaces), so the CPU may execute it a few hundred cycles after the
 * reader's second look at `seq`: that reader then uses the old fields with
 * a wall time a little past the writer's.  The old and the new fields agree
 * up to the new origin, so such a reader still returns a time no later than
 * any reader of the new fields, and the clock stays monotonic.
 */
#define TSC_WRITE_GUARD_NS TV_CLOCK_CHANGE_DELAY_NS

/* ---- The TSC ------------------------------------------------------------- */

typedef struct
{
  bool     usable;
  uint64_t mult;     /* ns per tick, 32.32 */
  double   hz;
} TscCalibration;

static TscCalibration tsc_calibration;
static pthread_once_t tsc_once = PTHREAD_ONCE_INIT;

static int64_t
monotonic_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if TV_HAVE_TSC
/* Ordered: not before the instructions ahead of it (calibration, writers). */
static uint64_t
tsc_read_ordered (void)
{
  _mm_lfence ();
  return __rdtsc ();
}

static bool
cpuinfo_has_flags (void)
{
  FILE *file = fopen ("/proc/cpuinfo", "r");
  char line[4096];
  bool constant = false, nonstop = false;

  if (file == NULL)
    return false;
  while (fgets (line, sizeof line, file) != NULL)
    if (strncmp (line, "flags", 5) == 0)
      {
        constant = strstr (line, " constant_tsc") != NULL;
        nonstop = strstr (line, " nonstop_tsc") != NULL;
        break;
      }
  fclose (file);
  return constant && nonstop;
}

/* Invariant TSC: CPUID 0x80000007 EDX bit 8, or what the kernel made of it
 * (hypervisors often hide the bit but the kernel still knows). */
static bool
tsc_invariant (void)
{
  unsigned int eax, ebx, ecx, edx;

  if (__get_cpuid (0x80000000, &eax, &ebx, &ecx, &edx) && eax >= 0x80000007)
    {
      __cpuid (0x80000007, eax, ebx, ecx, edx);
      if (edx & (1u << 8))
        return true;
    }
  return cpuinfo_has_flags ();
}

/* Where the kernel says which clock source it uses, it must be the TSC: it
 * stops using it when the TSCs of different CPUs disagree. */
static bool
kernel_trusts_tsc (void)
{
  FILE *file = fopen ("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  char name[64] = "";
  bool ok;

  if (file == NULL)
    return true;
  ok = fgets (name, sizeof name, file) != NULL && strncmp (name, "tsc", 3) == 0
       && (name[3] == '\n' || name[3] == '\0');
  fclose (file);
  return ok;
}

/* A (tsc, monotonic) pair read as close together as this machine allows:
 * the tightest of a few brackets. */
static void
tsc_sample (uint64_t *tsc,
            int64_t  *mono)
{
  uint64_t best = UINT64_MAX;

  for (int i = 0; i < 16; i++)
    {
      uint64_t t0 = tsc_read_ordered ();
      int64_t m = monotonic_ns ();
      uint64_t t1 = tsc_read_ordered ();

      if (t1 - t0 < best)
        {
          best = t1 - t0;
          *tsc = t0 + (t1 - t0) / 2;
          *mono = m;
        }
    }
}

static void
tsc_calibrate (void)
{
  uint64_t tsc0, tsc1;
  int64_t mono0, mono1;
  struct timespec nap = { 0, CALIBRATION_NS };
  double hz;

  if (!tsc_invariant () || !kernel_trusts_tsc ())
    return;

  tsc_sample (&tsc0, &mono0);
  while (nanosleep (&nap, &nap) != 0)
    ;
  tsc_sample (&tsc1, &mono1);
  if (tsc1 <= tsc0 || mono1 - mono0 < CALIBRATION_NS / 2)
    return;

  hz = (double) (tsc1 - tsc0) * 1e9 / (double) (mono1 - mono0);
  if (hz < 1e8 || hz > 1e11)
    return;

  tsc_calibration.mult = (uint64_t) (((unsigned __int128) (mono1 - mono0) << 32)
                                     / (tsc1 - tsc0));
  tsc_calibration.hz = hz;
  tsc_calibration.usable = true;
}
#else
static void
tsc_calibrate (void)
{
}
#endif

static const TscCalibration *
tsc_get_calibration (void)
{
  pthread_once (&tsc_once, tsc_calibrate);
  return &tsc_calibration;
}

bool
tv_clock_tsc_usable (void)
{
  return tsc_get_calibration ()->usable;
}

double
tv_clock_tsc_hz (void)
{
  const TscCalibration *cal = tsc_get_calibration ();

  return cal->usable ? cal->hz : 0.0;
}

#if TV_HAVE_TSC
/* The monotonic ns of TSC value `tsc`, by the clock's calibration. */
static int64_t
tsc_to_wall (TvClock  *self,
             uint64_t  tsc)
{
  uint64_t base = atomic_load_explicit (&self->tsc_base, memory_order_relaxed);
  int64_t wall_base = atomic_load_explicit (&self->tsc_wall_base, memory_order_relaxed);
  uint64_t mult = atomic_load_explicit (&self->tsc_mult, memory_order_relaxed);

  return wall_base + (int64_t) (((__int128) (int64_t) (tsc - base) * (__int128) mult) >> 32);
}
#endif

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
          *wall = monotonic_ns ();
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
  *wall = monotonic_ns ();
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

/* ---- The TSC source's scenario time ----------------------------------- */

/* Scenario ns per tick, 32.32: the calibration times the speed. */
static uint64_t
tsc_rate_for (uint64_t mult,
              double   speed,
              bool     paused)
{
  if (paused)
    return 0;
  if (speed == 1.0)
    return mult;
  return (uint64_t) ((double) mult * speed + 0.5);
}

static inline int64_t
tsc_scene (int64_t  scene_origin,
           uint64_t tsc_origin,
           uint64_t rate,
           uint64_t tsc)
{
  int64_t delta = (int64_t) (tsc - tsc_origin);

  /* Before the origin: a change not yet in effect, or another CPU's TSC a
   * few cycles behind. */
  if (delta <= 0)
    return scene_origin;
  return scene_origin + (int64_t) (((unsigned __int128) delta * rate) >> 32);
}

#if TV_HAVE_TSC
/*
 * The hot path of every recorded event: three loads, an rdtsc and a
 * multiply inside the seqlock, and no fence (TSC_WRITE_GUARD_NS says why
 * none is needed).
 */
static int64_t
tsc_now (TvClock *self)
{
  for (;;)
    {
      uint32_t seq = atomic_load_explicit (&self->seq, memory_order_acquire);
      int64_t scene_origin;
      uint64_t origin, rate, tsc;

      if (seq & 1)
        continue;
      scene_origin = atomic_load_explicit (&self->scene_origin, memory_order_acquire);
      origin = atomic_load_explicit (&self->tsc_origin, memory_order_acquire);
      rate = atomic_load_explicit (&self->tsc_rate, memory_order_acquire);
      atomic_signal_fence (memory_order_seq_cst);
      tsc = __rdtsc ();
      atomic_signal_fence (memory_order_seq_cst);
      if (atomic_load_explicit (&self->seq, memory_order_relaxed) == seq)
        return tsc_scene (scene_origin, origin, rate, tsc);
    }
}

/*
 * A speed change, pause or resume on the TSC source: the scenario time goes
 * on from where it is TSC_WRITE_GUARD_NS from now, at the new rate.  Only
 * the engine's control thread writes (see tv-clock.h).
 */
static void
tsc_change (TvClock *self,
            double   speed,
            bool     paused)
{
  uint32_t seq = atomic_load_explicit (&self->seq, memory_order_relaxed);
  uint64_t mult = atomic_load_explicit (&self->tsc_mult, memory_order_relaxed);
  uint64_t guard = (uint64_t) (((unsigned __int128) TSC_WRITE_GUARD_NS << 32) / mult);
  uint64_t tsc;
  int64_t scene;

  atomic_store_explicit (&self->seq, seq + 1, memory_order_relaxed);
  atomic_thread_fence (memory_order_seq_cst);
  tsc = tsc_read_ordered () + guard;
  scene = tsc_scene (atomic_load_explicit (&self->scene_origin, memory_order_relaxed),
                     atomic_load_explicit (&self->tsc_origin, memory_order_relaxed),
                     atomic_load_explicit (&self->tsc_rate, memory_order_relaxed),
                     tsc);

  atomic_store_explicit (&self->scene_origin, scene, memory_order_release);
  atomic_store_explicit (&self->tsc_origin, tsc, memory_order_release);
  atomic_store_explicit (&self->tsc_rate, tsc_rate_for (mult, speed, paused), memory_order_release);
  atomic_store_explicit (&self->wall_origin, tsc_to_wall (self, tsc), memory_order_release);
  atomic_store_explicit (&self->speed_bits, double_to_bits (speed), memory_order_release);
  atomic_store_explicit (&self->paused, paused ? 1 : 0, memory_order_release);
  atomic_store_explicit (&self->seq, seq + 2, memory_order_release);
}

/* Monotonic ns at which the TSC source reaches `scene_ns`. */
static int64_t
tsc_deadline (TvClock *self,
              int64_t  scene_ns)
{
  int64_t scene_origin, mono, wait_ns;
  uint64_t origin, rate, ticks, now, mult;
  uint32_t seq;

  do
    {
      seq = atomic_load_explicit (&self->seq, memory_order_acquire);
      scene_origin = atomic_load_explicit (&self->scene_origin, memory_order_acquire);
      origin = atomic_load_explicit (&self->tsc_origin, memory_order_acquire);
      rate = atomic_load_explicit (&self->tsc_rate, memory_order_acquire);
    }
  while ((seq & 1) || atomic_load_explicit (&self->seq, memory_order_acquire) != seq);

  if (rate == 0)
    return INT64_MAX;
  if (scene_ns <= scene_origin)
    ticks = origin;
  else
    {
      unsigned __int128 t = (((unsigned __int128) (uint64_t) (scene_ns - scene_origin) << 32)
                             + rate - 1) / rate;

      if (t >= (unsigned __int128) INT64_MAX)
        return INT64_MAX;
      /* One tick more for the rounding down of tsc_scene(). */
      ticks = origin + (uint64_t) t + 1;
    }

  /* From TSC ticks to CLOCK_MONOTONIC as the two stand now: the
   * calibration's few ppm then only count over the wait itself, and a
   * waiter woken a little early computes its deadline again. */
  mult = atomic_load_explicit (&self->tsc_mult, memory_order_relaxed);
  tsc_sample (&now, &mono);
  if (ticks <= now)
    return mono;
  if ((ticks - now) >> 62)
    return INT64_MAX;
  wait_ns = (int64_t) ((((unsigned __int128) (ticks - now)) * mult + 0xffffffffu) >> 32) + 1;
  if (wait_ns > INT64_MAX - mono)
    return INT64_MAX;
  return mono + wait_ns;
}
#endif

int64_t
tv_clock_wall_ns (void)
{
  return monotonic_ns ();
}

static TvClockSource
source_from_environment (void)
{
  const char *value = getenv ("TV_CLOCK");

  if (value != NULL && strcmp (value, "monotonic") == 0)
    return TV_CLOCK_SOURCE_MONOTONIC;
  if (value != NULL && strcmp (value, "tsc") == 0)
    return TV_CLOCK_SOURCE_TSC;
  return TV_CLOCK_SOURCE_AUTO;
}

void
tv_clock_init (TvClock *self,
               double   speed)
{
  tv_clock_init_with_source (self, speed, source_from_environment ());
}

void
tv_clock_init_with_source (TvClock       *self,
                           double         speed,
                           TvClockSource  source)
{
  uint64_t tsc_base = 0, mult = 0;
  int64_t wall = 0;

  if (source != TV_CLOCK_SOURCE_MONOTONIC && tv_clock_tsc_usable ())
    {
#if TV_HAVE_TSC
      /* A fresh base pair per clock: drift only counts from the run's start. */
      tsc_sample (&tsc_base, &wall);
      mult = tsc_get_calibration ()->mult;
      source = TV_CLOCK_SOURCE_TSC;
#endif
    }
  else
    source = TV_CLOCK_SOURCE_MONOTONIC;
  if (source == TV_CLOCK_SOURCE_MONOTONIC)
    wall = monotonic_ns ();

  /* Nobody reads the clock before it is initialised. */
  atomic_init (&self->source, (uint32_t) source);
  atomic_init (&self->tsc_base, tsc_base);
  atomic_init (&self->tsc_wall_base, wall);
  atomic_init (&self->tsc_mult, mult);
  atomic_init (&self->seq, 0);
  atomic_init (&self->wall_origin, wall);
  atomic_init (&self->scene_origin, 0);
  atomic_init (&self->speed_bits, double_to_bits (clamp_speed (speed)));
  atomic_init (&self->paused, 0);
  atomic_init (&self->tsc_origin, tsc_base);
  atomic_init (&self->tsc_rate, tsc_rate_for (mult, clamp_speed (speed), false));
  atomic_thread_fence (memory_order_release);
}

int64_t
tv_clock_now (TvClock *self)
{
  ClockState state;
  int64_t wall;

#if TV_HAVE_TSC
  if (atomic_load_explicit (&self->source, memory_order_relaxed) == TV_CLOCK_SOURCE_TSC)
    return tsc_now (self);
#endif
  clock_read (self, &state, &wall);
  return scene_at (&state, wall);
}

TvClockSource
tv_clock_get_source (TvClock *self)
{
  return (TvClockSource) atomic_load_explicit (&self->source, memory_order_relaxed);
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
  uint32_t seq;

#if TV_HAVE_TSC
  if (atomic_load_explicit (&self->source, memory_order_relaxed) == TV_CLOCK_SOURCE_TSC)
    {
      tsc_change (self, clamp_speed (speed),
                  atomic_load_explicit (&self->paused, memory_order_relaxed) != 0);
      return;
    }
#endif
  seq = clock_begin_write (self, &state, &wall);

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
  uint32_t seq;

#if TV_HAVE_TSC
  if (atomic_load_explicit (&self->source, memory_order_relaxed) == TV_CLOCK_SOURCE_TSC)
    {
      if ((atomic_load_explicit (&self->paused, memory_order_relaxed) != 0) != paused)
        tsc_change (self,
                    bits_to_double (atomic_load_explicit (&self->speed_bits, memory_order_relaxed)),
                    paused);
      return;
    }
#endif
  seq = clock_begin_write (self, &state, &wall);

  if (state.paused != paused)
    {
      if (paused)
        state.scene_origin = scene_at (&state, wall);
      state.wall_origin = wall;
      state.paused = paused;
    }
  clock_end_write (self, seq, &state);
}

/* Wall ns of the clock's own time base at scenario time `scene_ns`. */
static int64_t
clock_deadline (TvClock *self,
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

int64_t
tv_clock_wall_deadline (TvClock *self,
                        int64_t  scene_ns)
{
#if TV_HAVE_TSC
  if (atomic_load_explicit (&self->source, memory_order_relaxed) == TV_CLOCK_SOURCE_TSC)
    return tsc_deadline (self, scene_ns);
#endif
  return clock_deadline (self, scene_ns);
}
