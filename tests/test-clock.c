/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-clock.c: the scenario clock.
 *
 * No assertion here depends on how long a sleep really took: each compares
 * scenario time with wall time read around it, which holds on a loaded
 * machine too.
 */

#include "config.h"

#include <glib.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tv-clock.h"

/* Float rounding of scene = origin + elapsed * speed: a few ns. */
#define SLACK 4
/* A change takes effect this late on the TSC source (tv-clock.h), at up to
 * the top speed. */
#define CHANGE_SLACK (SLACK + TV_CLOCK_CHANGE_DELAY_NS * (gint64) TV_CLOCK_MAX_SPEED)

static void
nap (void)
{
  g_usleep (2000);
}

static void
test_clamp (void)
{
  TvClock clock;

  tv_clock_init (&clock, 100.0);
  g_assert_cmpfloat (tv_clock_get_speed (&clock), ==, TV_CLOCK_MAX_SPEED);
  tv_clock_set_speed (&clock, 0.0);
  g_assert_cmpfloat (tv_clock_get_speed (&clock), ==, TV_CLOCK_MIN_SPEED);
  tv_clock_set_speed (&clock, 2.5);
  g_assert_cmpfloat (tv_clock_get_speed (&clock), ==, 2.5);
  g_assert_false (tv_clock_is_paused (&clock));
}

static void
check_scaling (double speed)
{
  TvClock clock;
  gint64 w0, s0, s1, w1, w_in0, w_in1, s_in0, s_in1;

  tv_clock_init (&clock, speed);
  nap ();

  /* Outer interval [w0, w1] contains the scene readings s0, s1 ... */
  w0 = tv_clock_wall_ns ();
  s0 = tv_clock_now (&clock);
  nap ();
  s1 = tv_clock_now (&clock);
  w1 = tv_clock_wall_ns ();
  g_assert_cmpint (s1, >=, s0);
  g_assert_cmpint (s1 - s0, <=, (gint64) ((w1 - w0) * speed) + SLACK);

  /* ... and scene readings around [w_in0, w_in1] span at least it. */
  s_in0 = tv_clock_now (&clock);
  w_in0 = tv_clock_wall_ns ();
  nap ();
  w_in1 = tv_clock_wall_ns ();
  s_in1 = tv_clock_now (&clock);
  g_assert_cmpint (s_in1 - s_in0, >=, (gint64) ((w_in1 - w_in0) * speed) - SLACK);
}

static void
test_speed_scaling (void)
{
  check_scaling (1.0);
  check_scaling (10.0);
  check_scaling (0.5);
  check_scaling (0.1);
}

static void
test_speed_change_continuous (void)
{
  TvClock clock;
  gint64 wa, t0, t1, wb, t2, t3;

  tv_clock_init (&clock, 1.0);
  /* Long enough that a clock recomputed from its first origin at the new
   * speed would jump by 9 * 20 ms, far more than the bound below. */
  g_usleep (20000);

  wa = tv_clock_wall_ns ();
  t0 = tv_clock_now (&clock);
  tv_clock_set_speed (&clock, 10.0);
  t1 = tv_clock_now (&clock);
  wb = tv_clock_wall_ns ();
  g_assert_cmpint (t1, >=, t0);
  g_assert_cmpint (t1 - t0, <=, 10 * (wb - wa) + CHANGE_SLACK);

  /* And down again. */
  g_usleep (20000);
  wa = tv_clock_wall_ns ();
  t2 = tv_clock_now (&clock);
  tv_clock_set_speed (&clock, 0.1);
  t3 = tv_clock_now (&clock);
  wb = tv_clock_wall_ns ();
  g_assert_cmpint (t2, >, t1);
  g_assert_cmpint (t3, >=, t2);
  g_assert_cmpint (t3 - t2, <=, 10 * (wb - wa) + CHANGE_SLACK);
}

static void
test_pause (void)
{
  TvClock clock;
  gint64 t0, t1, wa, t2, wb, t3;

  tv_clock_init (&clock, 2.0);
  nap ();
  tv_clock_set_paused (&clock, TRUE);
  g_assert_true (tv_clock_is_paused (&clock));
  t0 = tv_clock_now (&clock);
  g_assert_cmpint (t0, >, 0);
  nap ();
  t1 = tv_clock_now (&clock);
  g_assert_cmpint (t1, ==, t0);
  g_assert_cmpint (tv_clock_wall_deadline (&clock, t0 + 1000), ==, G_MAXINT64);

  /* Pausing twice changes nothing; a speed change while paused neither. */
  tv_clock_set_paused (&clock, TRUE);
  tv_clock_set_speed (&clock, 10.0);
  nap ();
  g_assert_cmpint (tv_clock_now (&clock), ==, t0);

  /* Resuming goes on from the frozen time, at the new speed. */
  wa = tv_clock_wall_ns ();
  tv_clock_set_paused (&clock, FALSE);
  t2 = tv_clock_now (&clock);
  wb = tv_clock_wall_ns ();
  g_assert_false (tv_clock_is_paused (&clock));
  g_assert_cmpint (t2, >=, t0);
  g_assert_cmpint (t2 - t0, <=, 10 * (wb - wa) + CHANGE_SLACK);
  nap ();
  t3 = tv_clock_now (&clock);
  g_assert_cmpint (t3, >, t2);
}

static void
test_wall_deadline (void)
{
  TvClock clock;
  gint64 w0, s0, w1, target, deadline;
  struct timespec ts;

  tv_clock_init (&clock, 2.0);
  nap ();

  w0 = tv_clock_wall_ns ();
  s0 = tv_clock_now (&clock);
  w1 = tv_clock_wall_ns ();
  target = s0 + 20 * G_TIME_SPAN_MILLISECOND * 1000;
  deadline = tv_clock_wall_deadline (&clock, target);

  /* 20 ms of scenario time at speed 2 are 10 ms of wall time from when the
   * scenario time was s0, somewhere in [w0, w1]. */
  g_assert_cmpint (deadline, >=, w0 + 10000000 - SLACK);
  g_assert_cmpint (deadline, <=, w1 + 10000000 + SLACK);

  /* Sleeping until the deadline reaches the target. */
  ts.tv_sec = deadline / 1000000000;
  ts.tv_nsec = deadline % 1000000000;
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
    ;
  g_assert_cmpint (tv_clock_now (&clock), >=, target);

  /* A time already past is due at once; "forever" never overflows. */
  g_assert_cmpint (tv_clock_wall_deadline (&clock, 0), <=, tv_clock_wall_ns ());
  tv_clock_set_speed (&clock, 0.1);
  g_assert_cmpint (tv_clock_wall_deadline (&clock, G_MAXINT64), ==, G_MAXINT64);
  tv_clock_set_speed (&clock, 1.0);
  g_assert_cmpint (tv_clock_wall_deadline (&clock, G_MAXINT64), ==, G_MAXINT64);
}

typedef struct
{
  TvClock        *clock;
  _Atomic gboolean stop;
} Flipper;

static void *
flipper_thread (void *data)
{
  Flipper *f = data;
  guint i = 0;

  while (!atomic_load (&f->stop))
    {
      switch (i++ % 4)
        {
        case 0: tv_clock_set_speed (f->clock, 7.0); break;
        case 1: tv_clock_set_paused (f->clock, TRUE); break;
        case 2: tv_clock_set_speed (f->clock, 0.3); break;
        default: tv_clock_set_paused (f->clock, FALSE); break;
        }
    }
  return NULL;
}

static void
check_monotonic_under_changes (TvClockSource source)
{
  TvClock clock;
  Flipper flipper = { &clock, FALSE };
  pthread_t thread;
  gint64 last = 0;

  tv_clock_init_with_source (&clock, 1.0, source);
  pthread_create (&thread, NULL, flipper_thread, &flipper);
  for (guint i = 0; i < 200000; i++)
    {
      gint64 now = tv_clock_now (&clock);

      g_assert_cmpint (now, >=, last);
      last = now;
    }
  atomic_store (&flipper.stop, TRUE);
  pthread_join (thread, NULL);
}

static void
test_monotonic_under_changes (void)
{
  check_monotonic_under_changes (TV_CLOCK_SOURCE_AUTO);
  check_monotonic_under_changes (TV_CLOCK_SOURCE_MONOTONIC);
}

/*
 * Over 20 ms, a clock at speed 1 on `source` measures what CLOCK_MONOTONIC
 * measures around it: no less than the inner interval, no more than the
 * outer one, give or take the calibration (100 ppm is far beyond the few
 * ppm it achieves) and a µs.
 */
static void
check_agrees_with_monotonic (TvClockSource source)
{
  TvClock clock;
  gint64 before, w0, s0, s1, w1, s_in0, w_in0, w_in1, s_in1, outer, inner;

  before = tv_clock_wall_ns ();
  tv_clock_init_with_source (&clock, 1.0, source);
  w0 = tv_clock_wall_ns ();
  s0 = tv_clock_now (&clock);
  s_in0 = tv_clock_now (&clock);
  w_in0 = tv_clock_wall_ns ();
  g_usleep (20000);
  w_in1 = tv_clock_wall_ns ();
  s_in1 = tv_clock_now (&clock);
  s1 = tv_clock_now (&clock);
  w1 = tv_clock_wall_ns ();

  outer = w1 - w0;
  inner = w_in1 - w_in0;
  g_assert_cmpint (s1 - s0, <=, outer + outer / 10000 + 1000);
  g_assert_cmpint (s_in1 - s_in0, >=, inner - inner / 10000 - 1000);

  /* And it started at 0 when it was made, not at some other origin (the
   * TSC's base pair is known to the width of its bracket: generously,
   * 50 µs under sanitizers). */
  g_assert_cmpint (s0, >=, 0);
  g_assert_cmpint (s0, <=, w0 - before + 50000);
}

static void
test_sources_agree (void)
{
  TvClock clock;

  tv_clock_init_with_source (&clock, 1.0, TV_CLOCK_SOURCE_MONOTONIC);
  g_assert_cmpint (tv_clock_get_source (&clock), ==, TV_CLOCK_SOURCE_MONOTONIC);
  check_agrees_with_monotonic (TV_CLOCK_SOURCE_MONOTONIC);

  /* Asking for the TSC where it is not invariant gives the fallback. */
  tv_clock_init_with_source (&clock, 1.0, TV_CLOCK_SOURCE_TSC);
  g_assert_cmpint (tv_clock_get_source (&clock), ==,
                   tv_clock_tsc_usable () ? TV_CLOCK_SOURCE_TSC : TV_CLOCK_SOURCE_MONOTONIC);
  g_assert_true (tv_clock_tsc_usable () == (tv_clock_tsc_hz () > 0.0));
  check_agrees_with_monotonic (TV_CLOCK_SOURCE_TSC);
  if (!tv_clock_tsc_usable ())
    g_test_message ("no invariant TSC here: only the fallback was compared");
}

/* The TSC clock and a monotonic one started together keep together. */
static void
test_sources_track_each_other (void)
{
  TvClock tsc, mono;
  gint64 a, b, c;

  if (!tv_clock_tsc_usable ())
    {
      g_test_skip ("no invariant TSC here");
      return;
    }
  tv_clock_init_with_source (&mono, 1.0, TV_CLOCK_SOURCE_MONOTONIC);
  tv_clock_init_with_source (&tsc, 1.0, TV_CLOCK_SOURCE_TSC);
  g_usleep (30000);
  a = tv_clock_now (&mono);
  b = tv_clock_now (&tsc);
  c = tv_clock_now (&mono);
  /* tsc started after mono: it reads less than `c`, and it lost no more
   * than the time its initialisation took (generously, 1 ms) plus 100 ppm. */
  g_assert_cmpint (b, <=, c + c / 10000 + 1000);
  g_assert_cmpint (b, >=, a - a / 10000 - 1000000);
}

static void
test_environment_override (void)
{
  TvClock clock;

  g_setenv ("TV_CLOCK", "monotonic", TRUE);
  tv_clock_init (&clock, 1.0);
  g_assert_cmpint (tv_clock_get_source (&clock), ==, TV_CLOCK_SOURCE_MONOTONIC);
  g_unsetenv ("TV_CLOCK");
  tv_clock_init (&clock, 1.0);
  g_assert_cmpint (tv_clock_get_source (&clock), ==,
                   tv_clock_tsc_usable () ? TV_CLOCK_SOURCE_TSC : TV_CLOCK_SOURCE_MONOTONIC);
}

static void
test_shared_across_fork (void)
{
  TvClock *clock = mmap (NULL, 4096, PROT_READ | PROT_WRITE,
                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  gint64 *seen = (gint64 *) (clock + 1);
  _Atomic int *child_read = (_Atomic int *) (seen + 2);
  gint64 frozen;
  pid_t pid;
  int status = 0;

  g_assert_true (clock != MAP_FAILED);
  tv_clock_init (clock, 1.0);
  nap ();
  tv_clock_set_paused (clock, TRUE);
  frozen = tv_clock_now (clock);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      seen[0] = tv_clock_now (clock);
      atomic_store (child_read, 1);
      /* Wait for the parent to resume the clock and go on past the pause. */
      while (tv_clock_is_paused (clock))
        g_usleep (100);
      nap ();
      seen[1] = tv_clock_now (clock);
      _exit (0);
    }

  /* Resume only once the child has read the frozen time. */
  while (!atomic_load (child_read))
    g_usleep (100);
  nap ();
  tv_clock_set_paused (clock, FALSE);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  /* The child read the parent's frozen time, then saw it move on. */
  g_assert_cmpint (seen[0], ==, frozen);
  g_assert_cmpint (seen[1], >, frozen);
  g_assert_cmpint (seen[1], <=, tv_clock_now (clock));
  munmap (clock, 4096);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/clock/clamp", test_clamp);
  g_test_add_func ("/tv/clock/speed-scaling", test_speed_scaling);
  g_test_add_func ("/tv/clock/speed-change-continuous", test_speed_change_continuous);
  g_test_add_func ("/tv/clock/pause", test_pause);
  g_test_add_func ("/tv/clock/wall-deadline", test_wall_deadline);
  g_test_add_func ("/tv/clock/monotonic-under-changes", test_monotonic_under_changes);
  g_test_add_func ("/tv/clock/shared-across-fork", test_shared_across_fork);
  g_test_add_func ("/tv/clock/sources-agree", test_sources_agree);
  g_test_add_func ("/tv/clock/sources-track-each-other", test_sources_track_each_other);
  g_test_add_func ("/tv/clock/environment-override", test_environment_override);

  return g_test_run ();
}
