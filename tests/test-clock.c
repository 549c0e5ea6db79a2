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
  g_assert_cmpint (t1 - t0, <=, 10 * (wb - wa) + SLACK);

  /* And down again. */
  g_usleep (20000);
  wa = tv_clock_wall_ns ();
  t2 = tv_clock_now (&clock);
  tv_clock_set_speed (&clock, 0.1);
  t3 = tv_clock_now (&clock);
  wb = tv_clock_wall_ns ();
  g_assert_cmpint (t2, >, t1);
  g_assert_cmpint (t3, >=, t2);
  g_assert_cmpint (t3 - t2, <=, 10 * (wb - wa) + SLACK);
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
  g_assert_cmpint (t2 - t0, <=, 10 * (wb - wa) + SLACK);
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
test_monotonic_under_changes (void)
{
  TvClock clock;
  Flipper flipper = { &clock, FALSE };
  pthread_t thread;
  gint64 last = 0;

  tv_clock_init (&clock, 1.0);
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

  return g_test_run ();
}
