/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-runctl.c: run control (pause, resume, step, speed, stop) and the
 * watchdog's deadlock and stall reports, on real threads and processes.
 *
 * The controller here is the test: it drains the recorder itself and looks
 * at what each thread records between two control calls.  Nothing asserts
 * a wall duration except generous upper bounds (2 s for a stop); the stop
 * and detection latencies are measured and printed (TAP comments).
 */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-object.h>

#include "tv-run.h"

typedef struct
{
  TvEvent event;
  char   *text;
} Ev;

typedef struct
{
  TvScenario *scenario;
  TvRun      *run;
  GArray     *events;     /* Ev, in drain order */
  GString    *output;
  int         fds[2];
} Ctl;

static void
ev_clear (gpointer data)
{
  g_free (((Ev *) data)->text);
}

static void
ctl_free (Ctl *c)
{
  g_clear_pointer (&c->run, tv_run_free);
  g_clear_pointer (&c->scenario, tv_scenario_unref);
  g_array_unref (c->events);
  g_string_free (c->output, TRUE);
  close (c->fds[0]);
  close (c->fds[1]);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ctl, ctl_free)

static Ctl *
ctl_new_with (const char *text, double speed, guint32 ring_capacity)
{
  g_autoptr(GError) error = NULL;
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  Ctl *c = g_new0 (Ctl, 1);

  c->events = g_array_new (FALSE, FALSE, sizeof (Ev));
  g_array_set_clear_func (c->events, ev_clear);
  c->output = g_string_new (NULL);
  c->scenario = tv_scenario_parse ("test.tvs", text, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pipe (c->fds), ==, 0);
  g_assert_cmpint (fcntl (c->fds[0], F_SETFL, O_NONBLOCK), ==, 0);
  options.speed = speed;
  options.print_fd = c->fds[1];
  options.ring_capacity = ring_capacity;
  c->run = tv_run_new (c->scenario, &options, &error);
  g_assert_no_error (error);
  return c;
}

static Ctl *
ctl_new (const char *text, double speed)
{
  return ctl_new_with (text, speed, 0);
}

static void
ctl_start (Ctl *c)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tv_run_start (c->run, &error));
  g_assert_no_error (error);
}

static void
drain_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  Ctl *c = user_data;
  TvRecorder *recorder = tv_run_get_recorder (c->run);

  for (size_t i = 0; i < n; i++)
    {
      Ev ev = { events[i], NULL };
      guint16 k = events[i].kind;

      if (k == TV_EV_THREAD_NEW || k == TV_EV_OBJECT_NEW || k == TV_EV_PRINT
          || k == TV_EV_RUN_ERROR || k == TV_EV_THREAD_NAME)
        ev.text = g_strdup (tv_recorder_get_string (recorder, (uint64_t) events[i].arg));
      g_array_append_val (c->events, ev);
    }
}

/* Drains what was recorded; returns how many events came. */
static guint
ctl_drain (Ctl *c)
{
  char buf[4096];
  ssize_t n;
  guint before = c->events->len;

  tv_recorder_drain (tv_run_get_recorder (c->run), drain_cb, c);
  while ((n = read (c->fds[0], buf, sizeof buf)) > 0)
    g_string_append_len (c->output, buf, n);
  return c->events->len - before;
}

/* Drains until the run has ended. */
static void
ctl_finish (Ctl *c)
{
  while (!tv_run_wait_timeout (c->run, 10))
    ctl_drain (c);
  ctl_drain (c);
}

static const Ev *
ev_at (Ctl *c, guint i)
{
  return &g_array_index (c->events, Ev, i);
}

/* Events of `kind` on `thread` (TV_NO_THREAD: any) from index `from` on. */
static guint
count_from (Ctl *c, guint from, TvEventKind kind, guint32 thread)
{
  guint n = 0;

  for (guint i = from; i < c->events->len; i++)
    if (ev_at (c, i)->event.kind == kind
        && (thread == TV_NO_THREAD || ev_at (c, i)->event.thread == thread))
      n++;
  return n;
}

static const TvEvent *
find_from (Ctl *c, guint from, TvEventKind kind, guint32 thread)
{
  for (guint i = from; i < c->events->len; i++)
    if (ev_at (c, i)->event.kind == kind
        && (thread == TV_NO_THREAD || ev_at (c, i)->event.thread == thread))
      return &ev_at (c, i)->event;
  return NULL;
}

/* Whether every event from `from` on is on `thread` or the controller's. */
static gboolean
only_thread_from (Ctl *c, guint from, guint32 thread)
{
  for (guint i = from; i < c->events->len; i++)
    {
      guint32 t = ev_at (c, i)->event.thread;

      if (t != thread && t != TV_NO_THREAD)
        {
          g_test_message ("unexpected %s on thread %u",
                          tv_event_kind_to_string (ev_at (c, i)->event.kind), t);
          return FALSE;
        }
    }
  return TRUE;
}

/* The thread (THREAD_NEW) or object (OBJECT_NEW) of that name, once the
 * runner has recorded it; fails after 10 s. */
static guint32
named (Ctl *c, TvEventKind kind, const char *name)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  for (;;)
    {
      ctl_drain (c);
      for (guint i = 0; i < c->events->len; i++)
        if (ev_at (c, i)->event.kind == kind && g_strcmp0 (ev_at (c, i)->text, name) == 0)
          return kind == TV_EV_THREAD_NEW ? ev_at (c, i)->event.thread
                                          : ev_at (c, i)->event.object;
      if (g_get_monotonic_time () > end)
        g_error ("nothing named '%s'", name);
      g_usleep (2000);
    }
}

static guint32
thread_index (Ctl *c, const char *name)
{
  return named (c, TV_EV_THREAD_NEW, name);
}

static guint32
object_id (Ctl *c, const char *name)
{
  return named (c, TV_EV_OBJECT_NEW, name);
}

/* Waits (draining) until thread `t` is at `place`; fails after 10 s. */
static guint
wait_place (Ctl *c, guint32 t, TvRunPlace place)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  TvRunPlace now;
  guint line;

  for (;;)
    {
      line = tv_run_get_thread_line (c->run, t, &now);
      if (now == place)
        return line;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      ctl_drain (c);
      g_usleep (2000);
    }
}

/* Waits (draining) until `pred` holds; fails after 10 s. */
static void
wait_events (Ctl *c, guint from, TvEventKind kind, guint32 thread, guint n)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (count_from (c, from, kind, thread) < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (2000);
      ctl_drain (c);
    }
}

/* Drains until nothing came for two rounds of 20 ms (the threads that were
 * inside a statement when the run was paused have reached their gate). */
static void
settle (Ctl *c)
{
  guint quiet = 0;
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (quiet < 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (20000);
      quiet = ctl_drain (c) == 0 ? quiet + 1 : 0;
    }
}

/* Steps thread `t` and waits for the step to end. */
static void
step (Ctl *c, guint32 t)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tv_run_step (c->run, t, &error));
  g_assert_no_error (error);
  g_assert_true (tv_run_wait_step (c->run, 10000));
  g_assert_false (tv_run_is_stepping (c->run));
  g_assert_true (tv_run_is_paused (c->run));
}

/* Starts the run paused: main is held before its first statement. */
static void
start_paused (Ctl *c)
{
  tv_run_pause (c->run);
  ctl_start (c);
  wait_place (c, 0, TV_RUN_PLACE_PAUSED);
}

/* --- pause, resume -------------------------------------------------------- */

static void
test_pause_freezes (void)
{
  g_autoptr(Ctl) c = ctl_new ("var x = 0\n"
                              "thread counter:\n"
                              "    forever:\n"
                              "        x += 1\n"
                              "thread sleeper:\n"
                              "    forever:\n"
                              "        sleep 5ms\n"
                              "        print \"tick\"\n", 1.0);
  guint32 counter, sleeper;
  const TvEvent *pause, *resume;
  guint mark, line;
  gint64 frozen;
  TvRunPlace place;

  ctl_start (c);
  counter = thread_index (c, "counter");
  sleeper = thread_index (c, "sleeper");
  wait_events (c, 0, TV_EV_VAR_WRITE, counter, 3);
  wait_events (c, 0, TV_EV_PRINT, sleeper, 2);

  g_assert_false (tv_run_is_paused (c->run));
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (tv_run_step (c->run, counter, &error));
    g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_PAUSED);
    g_assert_cmpstr (error->message, ==, "pause the run before stepping a thread");
  }
  tv_run_pause (c->run);
  g_assert_true (tv_run_is_paused (c->run));
  tv_run_pause (c->run);   /* twice is once */
  wait_place (c, counter, TV_RUN_PLACE_PAUSED);
  settle (c);

  /* Everything stands still: the clock, and every thread. */
  mark = c->events->len;
  frozen = tv_clock_now (tv_run_get_clock (c->run));
  g_usleep (200000);
  g_assert_cmpuint (ctl_drain (c), ==, 0);
  g_assert_cmpint (tv_clock_now (tv_run_get_clock (c->run)), ==, frozen);
  g_assert_false (tv_run_is_finished (c->run));

  /* One pause marker, by the user, on no thread, not before any event. */
  g_assert_cmpuint (count_from (c, 0, TV_EV_PAUSE, TV_NO_THREAD), ==, 1);
  pause = find_from (c, 0, TV_EV_PAUSE, TV_NO_THREAD);
  g_assert_cmpuint (pause->thread, ==, TV_NO_THREAD);
  g_assert_cmpuint (pause->aux, ==, TV_NO_THREAD);
  for (guint i = 0; i < mark; i++)
    g_assert_cmpint (ev_at (c, i)->event.time, <=, pause->time);

  /* The counter is held at its statement (the read or the write of
   * x += 1, line 4); main waits in its join; the sleeper is held or in its
   * sleep. */
  line = tv_run_get_thread_line (c->run, counter, &place);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_PAUSED);
  g_assert_cmpuint (line, ==, 4);
  tv_run_get_thread_line (c->run, 0, &place);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_WAITING);
  line = tv_run_get_thread_line (c->run, sleeper, &place);
  g_assert_true (place == TV_RUN_PLACE_PAUSED || place == TV_RUN_PLACE_RUNNING);
  g_assert_true (line == 7 || line == 8);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, 99, &place), ==, 0);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_NONE);

  /* Resume: both go on; the clock too, from where it stood. */
  tv_run_resume (c->run);
  g_assert_false (tv_run_is_paused (c->run));
  wait_events (c, mark, TV_EV_VAR_WRITE, counter, 3);
  wait_events (c, mark, TV_EV_PRINT, sleeper, 2);
  resume = find_from (c, mark, TV_EV_RESUME, TV_NO_THREAD);
  g_assert_nonnull (resume);
  g_assert_cmpuint (resume->aux, ==, TV_NO_THREAD);
  /* It stood paused at least as long as the test waited, and no
   * scenario time passed meanwhile (less than 1 ms of it, for the clock's
   * change delay). */
  g_assert_cmpint (resume->arg, >=, 200 * G_GINT64_CONSTANT (1000000));
  g_assert_cmpint (resume->time - frozen, <, G_GINT64_CONSTANT (1000000));
  g_assert_cmpint (resume->time, >=, frozen);

  tv_run_stop (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_STOPPED);
  g_assert_false (tv_run_is_paused (c->run));
}

/* --- step ----------------------------------------------------------------- */

static void
test_step_one_statement (void)
{
  g_autoptr(Ctl) c = ctl_new ("thread a:\n"
                              "    print \"a1\"\n"
                              "    print \"a2\"\n"
                              "    print \"a3\"\n"
                              "thread b:\n"
                              "    print \"b1\"\n"
                              "    print \"b2\"\n"
                              "main:\n"
                              "    start a\n"
                              "    start b\n"
                              "    join a\n"
                              "    join b\n", 10.0);
  g_autoptr(GError) error = NULL;
  guint32 a, b;
  guint mark;
  TvRunPlace place;

  /* Not paused: no step. */
  g_assert_false (tv_run_step (c->run, 0, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE);
  g_assert_cmpstr (error->message, ==, "the run has not started");
  g_clear_error (&error);

  /* Paused before the start: main is held before its first statement. */
  start_paused (c);
  a = thread_index (c, "a");
  b = thread_index (c, "b");
  g_assert_cmpuint (wait_place (c, 0, TV_RUN_PLACE_PAUSED), ==, 9);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, a, &place), ==, 0);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_NONE);
  g_assert_false (tv_run_step (c->run, a, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE);
  g_assert_cmpstr (error->message, ==, "thread 'a' has not been started");
  g_clear_error (&error);
  g_assert_false (tv_run_step (c->run, 500, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE);
  g_clear_error (&error);

  /* Main starts a, then b: each is held before its first statement. */
  step (c, 0);
  g_assert_cmpuint (wait_place (c, a, TV_RUN_PLACE_PAUSED), ==, 2);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, 0, &place), ==, 10);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_PAUSED);
  step (c, 0);
  g_assert_cmpuint (wait_place (c, b, TV_RUN_PLACE_PAUSED), ==, 6);
  settle (c);
  g_assert_cmpstr (c->output->str, ==, "");

  /* One statement of the chosen thread, and nothing of the others. */
  mark = c->events->len;
  step (c, b);
  ctl_drain (c);
  g_assert_cmpstr (c->output->str, ==, "b1\n");
  g_assert_true (only_thread_from (c, mark, b));
  g_assert_cmpuint (count_from (c, mark, TV_EV_PRINT, b), ==, 1);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, b, &place), ==, 7);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_PAUSED);
  /* The step is marked: RESUME then PAUSE, both naming b. */
  g_assert_cmpuint (find_from (c, mark, TV_EV_RESUME, TV_NO_THREAD)->aux, ==, b);
  g_assert_cmpuint (find_from (c, mark, TV_EV_PAUSE, TV_NO_THREAD)->aux, ==, b);

  mark = c->events->len;
  step (c, a);
  step (c, a);
  ctl_drain (c);
  g_assert_cmpstr (c->output->str, ==, "b1\na1\na2\n");
  g_assert_true (only_thread_from (c, mark, a));
  g_assert_cmpuint (count_from (c, mark, TV_EV_PRINT, a), ==, 2);

  /* Main's join blocks: its step ends there, and it cannot be stepped
   * until a ends. */
  step (c, 0);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, 0, &place), ==, 11);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_WAITING);
  g_assert_false (tv_run_step (c->run, 0, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_WAITING);
  g_assert_cmpstr (error->message, ==,
                   "thread 'MainThread' waits for thread 'a' to end (test.tvs:11): "
                   "step the thread that can let it go on");
  g_clear_error (&error);

  /* a's last statement, and its end with it: main's join goes through (it
   * was inside its statement) and main is held at the next one. */
  step (c, a);
  g_assert_cmpuint (wait_place (c, 0, TV_RUN_PLACE_PAUSED), ==, 12);
  g_assert_cmpint (tv_run_get_thread_line (c->run, a, &place), ==, 0);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_NONE);
  g_assert_false (tv_run_step (c->run, a, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE);
  g_assert_cmpstr (error->message, ==, "thread 'a' has ended");
  g_clear_error (&error);

  tv_run_resume (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FINISHED);
  g_assert_cmpstr (c->output->str, ==, "b1\na1\na2\na3\nb2\n");
  g_assert_false (tv_run_step (c->run, b, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE);
  g_assert_cmpstr (error->message, ==, "the run has ended");
  /* RUN_END is still the last event in time. */
  for (guint i = 0; i < c->events->len; i++)
    g_assert_cmpint (ev_at (c, i)->event.time, <=,
                     find_from (c, 0, TV_EV_RUN_END, TV_NO_THREAD)->time);
}

static void
test_step_lock (void)
{
  /* Locks taken and given back on the fast path: a step that finds the
   * lock held ends where its thread must wait, and the holder's release
   * lets the waiter through inside its statement. */
  g_autoptr(Ctl) c = ctl_new ("lock L\n"
                              "thread a:\n"
                              "    acquire L\n"
                              "    print \"a has L\"\n"
                              "    release L\n"
                              "thread b:\n"
                              "    acquire L\n"
                              "    print \"b has L\"\n"
                              "    release L\n"
                              "main:\n"
                              "    start a\n"
                              "    start b\n"
                              "    join a\n"
                              "    join b\n", 10.0);
  g_autoptr(GError) error = NULL;
  const TvEvent *blocked, *acquired, *released;
  guint32 a, b, L;
  TvRunPlace place;

  start_paused (c);
  step (c, 0);
  step (c, 0);
  a = thread_index (c, "a");
  b = thread_index (c, "b");
  L = object_id (c, "L");
  g_assert_cmpuint (wait_place (c, a, TV_RUN_PLACE_PAUSED), ==, 3);
  g_assert_cmpuint (wait_place (c, b, TV_RUN_PLACE_PAUSED), ==, 7);

  /* a takes L: held at its next statement. */
  step (c, a);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, a, &place), ==, 4);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_PAUSED);

  /* b finds L held: its step ends in the wait. */
  step (c, b);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, b, &place), ==, 7);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_WAITING);
  g_assert_false (tv_run_step (c->run, b, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_WAITING);
  g_assert_cmpstr (error->message, ==,
                   "thread 'b' waits for lock 'L' (test.tvs:7): "
                   "step the thread that can let it go on");
  g_clear_error (&error);
  settle (c);
  blocked = NULL;
  for (guint i = 0; i < c->events->len && blocked == NULL; i++)
    if (ev_at (c, i)->event.kind == TV_EV_STATE && ev_at (c, i)->event.thread == b
        && ev_at (c, i)->event.arg == TV_STATE_LOCK)
      blocked = &ev_at (c, i)->event;
  g_assert_nonnull (blocked);
  g_assert_cmpuint (blocked->object, ==, L);
  g_assert_cmpuint (blocked->line, ==, 7);
  g_assert_cmpuint (count_from (c, 0, TV_EV_ACQUIRE, b), ==, 0);

  /* a prints and releases: b gets L inside its statement and is held at
   * its next one. */
  step (c, a);
  step (c, a);
  g_assert_cmpuint (wait_place (c, b, TV_RUN_PLACE_PAUSED), ==, 8);
  settle (c);
  g_assert_cmpstr (c->output->str, ==, "a has L\n");
  released = find_from (c, 0, TV_EV_RELEASE, a);
  acquired = find_from (c, 0, TV_EV_ACQUIRE, b);
  g_assert_nonnull (released);
  g_assert_nonnull (acquired);
  g_assert_cmpuint (acquired->aux, ==, a);
  g_assert_cmpint (acquired->arg, ==, released->time);

  tv_run_resume (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FINISHED);
  g_assert_cmpstr (c->output->str, ==, "a has L\nb has L\n");
}

static void
test_lost_update (void)
{
  g_autoptr(Ctl) c = ctl_new ("var x = 0\n"
                              "thread A:\n"
                              "    x += 1\n"
                              "thread B:\n"
                              "    x += 1\n"
                              "main:\n"
                              "    start A\n"
                              "    start B\n"
                              "    join A\n"
                              "    join B\n"
                              "    print \"x = {x}\"\n", 10.0);
  guint32 A, B, x;
  guint mark;
  const TvEvent *e;
  TvRunPlace place;

  start_paused (c);
  A = thread_index (c, "A");
  B = thread_index (c, "B");
  x = object_id (c, "x");
  step (c, 0);
  step (c, 0);
  wait_place (c, A, TV_RUN_PLACE_PAUSED);
  wait_place (c, B, TV_RUN_PLACE_PAUSED);
  settle (c);

  /* read A, read B: both read 0 and stop before their write. */
  mark = c->events->len;
  step (c, A);
  ctl_drain (c);
  g_assert_true (only_thread_from (c, mark, A));
  g_assert_cmpuint (count_from (c, mark, TV_EV_VAR_READ, A), ==, 1);
  g_assert_cmpuint (count_from (c, mark, TV_EV_VAR_WRITE, A), ==, 0);
  e = find_from (c, mark, TV_EV_VAR_READ, A);
  g_assert_cmpuint (e->object, ==, x);
  g_assert_cmpint (e->arg, ==, 0);
  g_assert_cmpuint (tv_run_get_thread_line (c->run, A, &place), ==, 3);
  g_assert_cmpint (place, ==, TV_RUN_PLACE_PAUSED);

  mark = c->events->len;
  step (c, B);
  ctl_drain (c);
  g_assert_true (only_thread_from (c, mark, B));
  g_assert_cmpint (find_from (c, mark, TV_EV_VAR_READ, B)->arg, ==, 0);
  g_assert_cmpuint (count_from (c, mark, TV_EV_VAR_WRITE, B), ==, 0);

  /* write A, write B: both write 1. */
  mark = c->events->len;
  step (c, A);
  ctl_drain (c);
  g_assert_cmpuint (count_from (c, mark, TV_EV_VAR_READ, A), ==, 0);
  g_assert_cmpint (find_from (c, mark, TV_EV_VAR_WRITE, A)->arg, ==, 1);
  g_assert_cmpuint (count_from (c, mark, TV_EV_VAR_WRITE, B), ==, 0);
  mark = c->events->len;
  step (c, B);
  ctl_drain (c);
  g_assert_cmpint (find_from (c, mark, TV_EV_VAR_WRITE, B)->arg, ==, 1);

  tv_run_resume (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FINISHED);
  g_assert_cmpstr (c->output->str, ==, "x = 1\n");
}

static void
test_step_busy_and_resume (void)
{
  /* A step through a long sleep: the clock runs for it, another step
   * must wait, and resume ends the step. */
  g_autoptr(Ctl) c = ctl_new ("thread s:\n"
                              "    sleep 60s\n"
                              "    print \"woke\"\n"
                              "main:\n"
                              "    start s\n"
                              "    join s\n", 1.0);
  g_autoptr(GError) error = NULL;
  guint32 s;

  start_paused (c);
  s = thread_index (c, "s");
  step (c, 0);
  wait_place (c, s, TV_RUN_PLACE_PAUSED);
  g_assert_true (tv_run_step (c->run, s, &error));
  g_assert_no_error (error);
  g_assert_true (tv_run_is_stepping (c->run));
  g_assert_false (tv_run_wait_step (c->run, 20));
  g_assert_false (tv_run_step (c->run, 0, &error));
  g_assert_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_BUSY);
  g_assert_cmpstr (error->message, ==, "thread 's' has not finished its step yet");
  g_clear_error (&error);
  /* The clock runs during a step. */
  {
    gint64 t0 = tv_clock_now (tv_run_get_clock (c->run));

    g_usleep (20000);
    g_assert_cmpint (tv_clock_now (tv_run_get_clock (c->run)), >, t0);
  }
  tv_run_resume (c->run);
  g_assert_false (tv_run_is_stepping (c->run));
  g_assert_false (tv_run_is_paused (c->run));
  tv_run_set_speed (c->run, 10.0);
  tv_run_stop (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_STOPPED);
}

static void
test_step_process (void)
{
  /* The gate lives in shared memory: a thread in a child process is held
   * and stepped like any other. */
  g_autoptr(Ctl) c = ctl_new ("shared s = 0\n"
                              "process P:\n"
                              "    forever:\n"
                              "        s += 1\n"
                              "main:\n"
                              "    start P\n"
                              "    forever:\n"
                              "        sleep 10ms\n", 1.0);
  guint32 p;
  guint mark;

  ctl_start (c);
  p = thread_index (c, "P");
  wait_events (c, 0, TV_EV_VAR_WRITE, p, 3);
  tv_run_pause (c->run);
  settle (c);
  g_assert_cmpuint (wait_place (c, p, TV_RUN_PLACE_PAUSED), ==, 4);
  mark = c->events->len;
  g_usleep (100000);
  g_assert_cmpuint (ctl_drain (c), ==, 0);

  /* It may be held before `s += 1` or between its read and its write:
   * each step is one of the two, in turn, and a write writes what the read
   * before it read, plus one. */
  {
    gint64 last_read = -1;
    guint reads = 0, writes = 0;

    for (int k = 0; k < 4; k++)
      {
        const TvEvent *read, *write;

        mark = c->events->len;
        step (c, p);
        ctl_drain (c);
        g_assert_true (only_thread_from (c, mark, p));
        read = find_from (c, mark, TV_EV_VAR_READ, p);
        write = find_from (c, mark, TV_EV_VAR_WRITE, p);
        g_assert_cmpuint (count_from (c, mark, TV_EV_VAR_READ, p)
                          + count_from (c, mark, TV_EV_VAR_WRITE, p), ==, 1);
        g_assert_cmpuint (tv_run_get_thread_line (c->run, p, NULL), ==, 4);
        if (read)
          {
            last_read = read->arg;
            reads++;
          }
        else if (last_read >= 0)
          {
            g_assert_cmpint (write->arg, ==, last_read + 1);
            writes++;
          }
      }
    g_assert_cmpuint (reads, ==, 2);
    g_assert_cmpuint (writes, >=, 1);
  }

  tv_run_stop (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_STOPPED);
}

static void
test_step_gil (void)
{
  /* Under `gil on` a held thread gives the GIL up, so the stepped one can
   * run. */
  g_autoptr(Ctl) c = ctl_new ("gil on\n"
                              "var x = 0\n"
                              "thread w * 2:\n"
                              "    forever:\n"
                              "        work 1ms\n"
                              "        x += 1\n", 1.0);
  guint32 w1, w2;
  guint mark;

  ctl_start (c);
  w1 = thread_index (c, "w-1");
  w2 = thread_index (c, "w-2");
  wait_events (c, 0, TV_EV_VAR_WRITE, w1, 2);
  wait_events (c, 0, TV_EV_VAR_WRITE, w2, 2);
  tv_run_pause (c->run);
  settle (c);
  /* A thread inside its `work` when the clock stopped stays there: a step
   * lets it finish the statement (the other one may run meanwhile, as the
   * clock runs), after which both are held at a boundary. */
  for (int k = 0; k < 10; k++)
    {
      TvRunPlace p1, p2;

      tv_run_get_thread_line (c->run, w1, &p1);
      tv_run_get_thread_line (c->run, w2, &p2);
      if (p1 == TV_RUN_PLACE_PAUSED && p2 == TV_RUN_PLACE_PAUSED)
        break;
      step (c, p1 != TV_RUN_PLACE_PAUSED ? w1 : w2);
      settle (c);
    }
  g_assert_cmpuint (wait_place (c, w1, TV_RUN_PLACE_PAUSED), >=, 5);
  g_assert_cmpuint (wait_place (c, w2, TV_RUN_PLACE_PAUSED), >=, 5);
  for (int k = 0; k < 4; k++)
    {
      guint32 t = k % 2 ? w2 : w1;

      mark = c->events->len;
      step (c, t);
      ctl_drain (c);
      g_assert_true (only_thread_from (c, mark, t));
      g_assert_cmpuint (c->events->len, >, mark);
    }
  tv_run_stop (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_STOPPED);
}

/* --- speed ---------------------------------------------------------------- */

static void
test_speed_change (void)
{
  /* 2 s of scenario time at 0.1x is 20 s of wall time; the speed change
   * wakes the sleep, which then ends 0.2 s later. */
  g_autoptr(Ctl) c = ctl_new ("main:\n"
                              "    sleep 2s\n"
                              "    print \"done\"\n", 0.1);
  const TvEvent *sleeping = NULL, *running = NULL;

  ctl_start (c);
  wait_place (c, 0, TV_RUN_PLACE_RUNNING);
  g_usleep (50000);
  tv_run_set_speed (c->run, 10.0);
  g_assert_cmpfloat (tv_run_get_speed (c->run), ==, 10.0);
  g_assert_true (tv_run_wait_timeout (c->run, 10000));
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FINISHED);
  g_assert_cmpstr (c->output->str, ==, "done\n");
  for (guint i = 0; i < c->events->len; i++)
    {
      const TvEvent *e = &ev_at (c, i)->event;

      if (e->kind == TV_EV_STATE && e->arg == TV_STATE_SLEEPING)
        sleeping = e;
      if (e->kind == TV_EV_STATE && e->arg == TV_STATE_RUNNING && sleeping && !running)
        running = e;
    }
  g_assert_nonnull (running);
  g_assert_cmpint (running->time - sleeping->time, >=, 2 * G_GINT64_CONSTANT (1000000000));
  g_assert_cmpint (running->time - sleeping->time, <, 5 * G_GINT64_CONSTANT (1000000000));
}

/* --- stop ----------------------------------------------------------------- */

typedef enum
{
  STOP_RUNNING,
  STOP_PAUSED,
  STOP_STEPPING,
} StopHow;

typedef struct
{
  const char   *name;
  const char   *text;
  TvThreadState state;     /* some thread reached it before the stop */
  StopHow       how;
  guint         threads;   /* THREAD_EXIT events expected */
} StopCase;

static const StopCase stop_cases[] = {
  { "forever",
    "var x = 0\n"
    "main:\n"
    "    print \"before\"\n"
    "    forever:\n"
    "        x += 1\n"
    "        if x % 1000 == 0:\n"
    "            sleep 1ms\n",
    TV_STATE_SLEEPING, STOP_RUNNING, 1 },
  { "deadlocked",
    /* With timeouts the watchdog sees no deadlock: only stop ends it. */
    "lock L1\n"
    "lock L2\n"
    "barrier B 2\n"
    "thread a:\n"
    "    with L1:\n"
    "        wait B\n"
    "        acquire L2 timeout 600s\n"
    "thread b:\n"
    "    with L2:\n"
    "        wait B\n"
    "        acquire L1 timeout 600s\n"
    "main:\n"
    "    print \"before\"\n"
    "    start a\n"
    "    start b\n"
    "    join a\n"
    "    join b\n",
    TV_STATE_LOCK, STOP_RUNNING, 3 },
  { "queue",
    "queue Q\n"
    "thread c:\n"
    "    get Q\n"
    "main:\n"
    "    print \"before\"\n"
    "    start c\n"
    "    forever:\n"
    "        sleep 5ms\n",
    TV_STATE_QUEUE_EMPTY, STOP_RUNNING, 2 },
  { "paused",
    "var x = 0\n"
    "thread w:\n"
    "    forever:\n"
    "        x += 1\n"
    "main:\n"
    "    print \"before\"\n"
    "    start w\n"
    "    join w\n",
    TV_STATE_JOIN, STOP_PAUSED, 2 },
  { "mid-step",
    "main:\n"
    "    print \"before\"\n"
    "    sleep 600s\n",
    TV_STATE_SLEEPING, STOP_STEPPING, 1 },
  { "process",
    "queue Q\n"
    "process P:\n"
    "    get Q\n"
    "main:\n"
    "    print \"before\"\n"
    "    start P\n"
    "    forever:\n"
    "        sleep 5ms\n",
    TV_STATE_QUEUE_EMPTY, STOP_RUNNING, 2 },
};

static gboolean
seen_state (Ctl *c, TvThreadState state)
{
  for (guint i = 0; i < c->events->len; i++)
    if (ev_at (c, i)->event.kind == TV_EV_STATE && ev_at (c, i)->event.arg == state)
      return TRUE;
  return FALSE;
}

/* Runs the case once; returns the wall µs from tv_run_stop() to the end of
 * tv_run_wait() (every thread joined, every child reaped). */
static gint64
run_stop_case (const StopCase *sc)
{
  g_autoptr(Ctl) c = ctl_new (sc->text, sc->how == STOP_STEPPING ? 1.0 : 10.0);
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  gint64 begin, latency;
  guint before_stop;

  if (sc->how == STOP_STEPPING)
    start_paused (c);
  else
    ctl_start (c);
  if (sc->how == STOP_STEPPING)
    {
      g_autoptr(GError) error = NULL;

      step (c, 0);   /* print */
      g_assert_true (tv_run_step (c->run, 0, &error));   /* sleep 600s */
      g_assert_no_error (error);
    }
  while (!seen_state (c, sc->state) || strstr (c->output->str, "before") == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (2000);
      ctl_drain (c);
    }
  if (sc->how == STOP_PAUSED)
    {
      tv_run_pause (c->run);
      settle (c);
    }
  if (sc->how == STOP_STEPPING)
    g_assert_true (tv_run_is_stepping (c->run));
  ctl_drain (c);
  before_stop = c->events->len;

  begin = g_get_monotonic_time ();
  tv_run_stop (c->run);
  tv_run_wait (c->run);
  latency = g_get_monotonic_time () - begin;

  ctl_drain (c);
  g_assert_true (tv_run_is_finished (c->run));
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_STOPPED);
  g_assert_cmpint (tv_run_get_error_kind (c->run), ==, TV_RUN_ERROR_NONE);
  /* The trace so far is kept: what came before the stop, then every
   * thread's end and the run's. */
  g_assert_cmpuint (c->events->len, >, before_stop);
  g_assert_cmpuint (count_from (c, 0, TV_EV_PRINT, 0), ==, 1);
  g_assert_true (seen_state (c, sc->state));
  g_assert_cmpuint (count_from (c, before_stop, TV_EV_THREAD_EXIT, TV_NO_THREAD), ==, sc->threads);
  g_assert_cmpuint (count_from (c, 0, TV_EV_RUN_END, TV_NO_THREAD), ==, 1);
  g_assert_cmpint (find_from (c, 0, TV_EV_RUN_END, TV_NO_THREAD)->arg, ==, TV_RUN_STOPPED);
  g_assert_false (tv_run_is_stepping (c->run));
  g_assert_false (tv_run_is_paused (c->run));
  /* Generous: the figure to read is printed by test_stop_latency. */
  g_assert_cmpint (latency, <, 2 * G_TIME_SPAN_SECOND);
  return latency;
}

static void
test_stop_case (gconstpointer data)
{
  run_stop_case (data);
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
test_stop_latency (void)
{
  /* A measurement, printed: TV_RUNCTL_STOP_ROUNDS runs of each case. */
  const char *env = g_getenv ("TV_RUNCTL_STOP_ROUNDS");
  guint rounds = env ? (guint) CLAMP (g_ascii_strtoull (env, NULL, 10), 1, 1000) : 3;
  g_autofree gint64 *all = g_new (gint64, rounds * G_N_ELEMENTS (stop_cases));
  guint n_all = 0;

  for (guint k = 0; k < G_N_ELEMENTS (stop_cases); k++)
    {
      g_autofree gint64 *us = g_new (gint64, rounds);

      for (guint r = 0; r < rounds; r++)
        all[n_all++] = us[r] = run_stop_case (&stop_cases[k]);
      qsort (us, rounds, sizeof *us, compare_gint64);
      g_test_message ("stop latency %-10s min %6.2f ms  median %6.2f ms  max %6.2f ms (%u runs)",
                      stop_cases[k].name, us[0] / 1000.0, us[rounds / 2] / 1000.0,
                      us[rounds - 1] / 1000.0, rounds);
    }
  qsort (all, n_all, sizeof *all, compare_gint64);
  g_test_message ("stop latency all        min %6.2f ms  median %6.2f ms  max %6.2f ms (%u runs)",
                  all[0] / 1000.0, all[n_all / 2] / 1000.0, all[n_all - 1] / 1000.0, n_all);
}

/* --- deadlocks and stalls ------------------------------------------------- */

/* Runs to the end at speed 1 (scenario ns are wall ns), checks the error
 * and returns the run for more checks; prints the detection latency: from
 * the last block to the report, in scenario time. */
static Ctl *
run_failing (const char *text, TvRunErrorKind kind, const char *message)
{
  Ctl *c = ctl_new (text, 1.0);
  gint64 last_block = 0, found = G_MAXINT64;

  ctl_start (c);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FAILED);
  g_assert_cmpint (tv_run_get_error_kind (c->run), ==, kind);
  g_assert_cmpstr (tv_run_get_error_message (c->run), ==, message);
  g_assert_cmpint (find_from (c, 0, TV_EV_RUN_ERROR, TV_NO_THREAD)->aux, ==, kind);
  /* The first DEADLOCK event is the detection (the stop wakes the
   * members); the last block before it, the moment it became one. */
  for (guint i = 0; i < c->events->len; i++)
    if (ev_at (c, i)->event.kind == TV_EV_DEADLOCK)
      found = MIN (found, ev_at (c, i)->event.time);
  g_assert_cmpint (found, <, G_MAXINT64);
  for (guint i = 0; i < c->events->len; i++)
    {
      const TvEvent *e = &ev_at (c, i)->event;

      if (e->kind == TV_EV_STATE && e->arg != TV_STATE_RUNNING && e->time <= found)
        last_block = MAX (last_block, e->time);
    }
  g_test_message ("%s found %.1f ms after the last block",
                  kind == TV_RUN_ERROR_DEADLOCK ? "deadlock" : "stall",
                  (found - last_block) / 1e6);
  return c;
}

typedef struct
{
  const char *text;
  const char *message;
} StallCase;

static const StallCase stall_cases[] = {
  { "semaphore S 0\n"
    "main:\n"
    "    acquire S\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for semaphore 'S' (its value is 0) (test.tvs:3)" },
  { "queue Q\n"
    "main:\n"
    "    get Q\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for an item in queue 'Q' (test.tvs:3)" },
  { "queue Q capacity 1\n"
    "main:\n"
    "    put Q\n"
    "    put Q\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for room in queue 'Q' (full: 1 items) (test.tvs:4)" },
  { "queue Q\n"
    "thread w:\n"
    "    get Q\n"
    "main:\n"
    "    put Q\n"
    "    start w\n"
    "    join Q\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for every item of queue 'Q' to be done (1 not done) (test.tvs:7)" },
  { "event E\n"
    "thread w:\n"
    "    wait E\n"
    "main:\n"
    "    start w\n"
    "    join w\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for thread 'w' to end (test.tvs:6)\n"
    "  thread 'w' waits for event 'E' to be set (test.tvs:3)" },
  { "barrier B 3\n"
    "thread w * 2:\n"
    "    wait B\n"
    "main:\n"
    "    start w\n"
    "    join w\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for thread 'w-1' to end (test.tvs:6)\n"
    "  thread 'w-1' waits at barrier 'B' (2 of 3 there) (test.tvs:3)\n"
    "  thread 'w-2' waits at barrier 'B' (2 of 3 there) (test.tvs:3)" },
  { "condition C\n"
    "main:\n"
    "    with C:\n"
    "        wait C\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for a notify on condition 'C' (test.tvs:4)" },
  { "lock L\n"
    "thread a:\n"
    "    acquire L\n"
    "main:\n"
    "    start a\n"
    "    join a\n"
    "    acquire L\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for lock 'L' (test.tvs:7); thread 'a' took it "
    "(test.tvs:3) and ended without releasing it" },
  { "queue Q\n"
    "process P:\n"
    "    get Q\n"
    "main:\n"
    "    start P\n"
    "    join P\n",
    "stall: every live thread waits and nothing can wake it\n"
    "  thread 'MainThread' waits for thread 'P' to end (test.tvs:6)\n"
    "  thread 'P' waits for an item in queue 'Q' (test.tvs:3)" },
};

static void
test_stall_case (gconstpointer data)
{
  const StallCase *sc = data;
  g_autoptr(Ctl) c = run_failing (sc->text, TV_RUN_ERROR_STALL, sc->message);
  guint live = 0;

  /* One DEADLOCK event per live thread, on its own ring, at its line. */
  for (const char *p = sc->message; (p = strstr (p, "\n  thread ")); p++)
    live++;
  g_assert_cmpuint (count_from (c, 0, TV_EV_DEADLOCK, TV_NO_THREAD), ==, live);
}

static void
test_join_lock_cycle (void)
{
  /* main holds L and joins b, which waits for L. */
  g_autoptr(Ctl) c = run_failing ("lock L\n"
                                  "thread b:\n"
                                  "    acquire L\n"
                                  "    print \"b has L\"\n"
                                  "main:\n"
                                  "    acquire L\n"
                                  "    start b\n"
                                  "    join b\n",
                                  TV_RUN_ERROR_DEADLOCK,
                                  "deadlock: 2 threads wait for each other in a cycle\n"
                                  "  thread 'MainThread' holds lock 'L' (test.tvs:6) and "
                                  "waits for thread 'b' to end (test.tvs:8)\n"
                                  "  thread 'b' waits for lock 'L' (test.tvs:3)");
  guint32 b = thread_index (c, "b");
  const TvEvent *dm = find_from (c, 0, TV_EV_DEADLOCK, 0);
  const TvEvent *db = find_from (c, 0, TV_EV_DEADLOCK, b);

  g_assert_cmpuint (count_from (c, 0, TV_EV_DEADLOCK, TV_NO_THREAD), ==, 2);
  g_assert_cmpuint (dm->aux, ==, b);
  g_assert_cmpuint (dm->line, ==, 8);
  g_assert_cmpuint (db->aux, ==, 0);
  g_assert_cmpuint (db->object, ==, object_id (c, "L"));
  g_assert_cmpuint (db->line, ==, 3);
  g_assert_cmpstr (c->output->str, ==, "");
}

static void
test_three_lock_cycle (void)
{
  g_autoptr(Ctl) c = run_failing ("lock L1\n"
                                  "lock L2\n"
                                  "lock L3\n"
                                  "barrier B 3\n"
                                  "thread a:\n"
                                  "    with L1:\n"
                                  "        wait B\n"
                                  "        acquire L2\n"
                                  "thread b:\n"
                                  "    with L2:\n"
                                  "        wait B\n"
                                  "        acquire L3\n"
                                  "thread c:\n"
                                  "    with L3:\n"
                                  "        wait B\n"
                                  "        acquire L1\n",
                                  TV_RUN_ERROR_DEADLOCK,
                                  "deadlock: 3 threads wait for each other in a cycle\n"
                                  "  thread 'a' holds lock 'L1' (test.tvs:6) and waits for lock 'L2' (test.tvs:8)\n"
                                  "  thread 'b' holds lock 'L2' (test.tvs:10) and waits for lock 'L3' (test.tvs:12)\n"
                                  "  thread 'c' holds lock 'L3' (test.tvs:14) and waits for lock 'L1' (test.tvs:16)");

  g_assert_cmpuint (count_from (c, 0, TV_EV_DEADLOCK, TV_NO_THREAD), ==, 3);
}

static void
test_paused_no_stall (void)
{
  /* Paused for a long while with w waiting for an event only main can
   * set: no stall, and the run ends normally once resumed. */
  g_autoptr(Ctl) c = ctl_new ("event E\n"
                              "thread w:\n"
                              "    wait E\n"
                              "main:\n"
                              "    start w\n"
                              "    set E\n"
                              "    join w\n"
                              "    print \"done\"\n", 1.0);
  guint32 w;

  start_paused (c);
  w = thread_index (c, "w");
  step (c, 0);
  g_assert_cmpuint (wait_place (c, w, TV_RUN_PLACE_PAUSED), ==, 3);
  step (c, w);
  g_assert_cmpuint (wait_place (c, w, TV_RUN_PLACE_WAITING), ==, 3);
  g_assert_false (tv_run_wait_timeout (c->run, 300));
  g_assert_cmpint (tv_run_get_error_kind (c->run), ==, TV_RUN_ERROR_NONE);
  tv_run_resume (c->run);
  ctl_finish (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FINISHED);
  g_assert_cmpstr (c->output->str, ==, "done\n");
  g_assert_cmpuint (count_from (c, 0, TV_EV_DEADLOCK, TV_NO_THREAD), ==, 0);
}

/* --- every lesson ---------------------------------------------------------- */

/* Pauses `file` a moment after its start, steps whatever thread can be
 * stepped a few times, resumes and stops: none of it may hang, crash or
 * fail the run (but a deadlock the lesson is about). */
static void
control_lesson (const char *file)
{
  g_autofree char *path = g_build_filename (g_getenv ("TV_SCENARIO_DIR")
                                            ? g_getenv ("TV_SCENARIO_DIR")
                                            : TV_SCENARIO_DIR, file, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Ctl) c = NULL;
  guint steps = 0;
  TvRunErrorKind kind;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  c = ctl_new (text, 10.0);
  ctl_start (c);
  tv_run_wait_timeout (c->run, 5);
  tv_run_pause (c->run);
  for (guint round = 0; round < 12 && !tv_run_is_finished (c->run); round++)
    {
      ctl_drain (c);
      for (guint32 t = 0; t < tv_run_get_n_threads (c->run); t++)
        {
          TvRunPlace place;

          tv_run_get_thread_line (c->run, t, &place);
          if (place != TV_RUN_PLACE_PAUSED && place != TV_RUN_PLACE_RUNNING)
            continue;
          if ((t + round) % 2)
            continue;
          if (tv_run_step (c->run, t, &error))
            {
              steps++;
              g_assert_true (tv_run_wait_step (c->run, 10000));
            }
          else
            {
              /* It may have ended or blocked since (or the run ended). */
              g_assert_true (g_error_matches (error, TV_RUN_CONTROL_ERROR,
                                              TV_RUN_CONTROL_ERROR_NOT_ALIVE)
                             || g_error_matches (error, TV_RUN_CONTROL_ERROR,
                                                 TV_RUN_CONTROL_ERROR_WAITING));
              g_clear_error (&error);
            }
        }
    }
  tv_run_resume (c->run);
  tv_run_wait_timeout (c->run, 30);
  tv_run_stop (c->run);
  ctl_finish (c);
  kind = tv_run_get_error_kind (c->run);
  g_test_message ("%s: %u steps, %s", file, steps,
                  tv_run_status_to_string (tv_run_get_status (c->run)));
  g_assert_true (kind == TV_RUN_ERROR_NONE || kind == TV_RUN_ERROR_DEADLOCK);
  g_assert_cmpuint (count_from (c, 0, TV_EV_RUN_END, TV_NO_THREAD), ==, 1);
  g_assert_false (tv_run_is_paused (c->run));
}

static void
test_lessons (void)
{
  const char *dir_name = g_getenv ("TV_SCENARIO_DIR") ? g_getenv ("TV_SCENARIO_DIR")
                                                      : TV_SCENARIO_DIR;
  g_autoptr(GDir) dir = g_dir_open (dir_name, 0, NULL);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".tvs"))
      g_ptr_array_add (files, g_strdup (name));
  g_assert_cmpuint (files->len, >, 0);
  for (guint i = 0; i < files->len; i++)
    control_lesson (g_ptr_array_index (files, i));
}

/* --- orphans --------------------------------------------------------------- */

static void
test_orphan (void)
{
  /* The application dies (SIGKILL) while a child process of its run is
   * held by the pause: the child notices and ends, instead of standing
   * there forever.  The test is the orphan's subreaper, so it can reap it. */
  int fds[2];
  pid_t helper, child = 0, r;
  int status;
  gint64 end;

  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 1), ==, 0);
  g_assert_cmpint (pipe (fds), ==, 0);
  helper = fork ();
  g_assert_cmpint (helper, >=, 0);
  if (helper == 0)
    {
      Ctl *c = ctl_new ("var x = 0\n"
                        "process P:\n"
                        "    forever:\n"
                        "        x += 1\n", 1.0);
      guint32 p;
      pid_t pid;

      close (fds[0]);
      ctl_start (c);
      p = thread_index (c, "P");
      wait_events (c, 0, TV_EV_VAR_WRITE, p, 1);
      tv_run_pause (c->run);
      wait_place (c, p, TV_RUN_PLACE_PAUSED);
      pid = (pid_t) find_from (c, 0, TV_EV_THREAD_OS, p)->aux;
      if (write (fds[1], &pid, sizeof pid) != sizeof pid)
        _exit (1);
      for (;;)
        pause ();
    }
  close (fds[1]);
  g_assert_cmpint (read (fds[0], &child, sizeof child), ==, sizeof child);
  close (fds[0]);
  g_assert_cmpint (child, >, 0);
  g_assert_cmpint (child, !=, helper);
  kill (helper, SIGKILL);
  g_assert_cmpint (waitpid (helper, &status, 0), ==, helper);

  end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while ((r = waitpid (child, &status, WNOHANG)) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (10000);
    }
  g_assert_cmpint (r, ==, child);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (prctl (PR_SET_CHILD_SUBREAPER, 0), ==, 0);
}

/* --- dropped events ------------------------------------------------------- */

static void
test_dropped (void)
{
  /* 16-event rings, never drained during the run: most events are lost,
   * and counted. */
  g_autoptr(Ctl) c = ctl_new_with ("var x = 0\n"
                                   "main:\n"
                                   "    repeat 500:\n"
                                   "        x += 1\n", 10.0, 16);

  ctl_start (c);
  tv_run_wait (c->run);
  g_assert_cmpuint (tv_run_get_dropped (c->run), >, 900);
  g_assert_cmpuint (tv_run_get_dropped (c->run), <=, 1100);
  ctl_drain (c);
  g_assert_cmpint (tv_run_get_status (c->run), ==, TV_RUN_FINISHED);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/runctl/pause-freezes", test_pause_freezes);
  g_test_add_func ("/tv/runctl/step-one-statement", test_step_one_statement);
  g_test_add_func ("/tv/runctl/lost-update", test_lost_update);
  g_test_add_func ("/tv/runctl/step-lock", test_step_lock);
  g_test_add_func ("/tv/runctl/step-busy-and-resume", test_step_busy_and_resume);
  g_test_add_func ("/tv/runctl/step-process", test_step_process);
  g_test_add_func ("/tv/runctl/step-gil", test_step_gil);
  g_test_add_func ("/tv/runctl/speed-change", test_speed_change);
  for (guint k = 0; k < G_N_ELEMENTS (stop_cases); k++)
    {
      g_autofree char *path = g_strdup_printf ("/tv/runctl/stop/%s", stop_cases[k].name);

      g_test_add_data_func (path, &stop_cases[k], test_stop_case);
    }
  g_test_add_func ("/tv/runctl/stop-latency", test_stop_latency);
  {
    static const char *const names[] = {
      "semaphore", "queue-get", "queue-put", "queue-join", "event", "barrier",
      "condition", "lock-of-ended-thread", "process",
    };

    G_STATIC_ASSERT (G_N_ELEMENTS (names) == G_N_ELEMENTS (stall_cases));
    for (guint k = 0; k < G_N_ELEMENTS (stall_cases); k++)
      {
        g_autofree char *path = g_strdup_printf ("/tv/runctl/stall/%s", names[k]);

        g_test_add_data_func (path, &stall_cases[k], test_stall_case);
      }
  }
  g_test_add_func ("/tv/runctl/join-lock-cycle", test_join_lock_cycle);
  g_test_add_func ("/tv/runctl/three-lock-cycle", test_three_lock_cycle);
  g_test_add_func ("/tv/runctl/paused-no-stall", test_paused_no_stall);
  g_test_add_func ("/tv/runctl/dropped", test_dropped);
  g_test_add_func ("/tv/runctl/orphan", test_orphan);
  g_test_add_func ("/tv/runctl/lessons", test_lessons);

  return g_test_run ();
}
