/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-engine.c: runs scenarios on real threads and checks what they print
 * and what they record (raw events and the trace built from them).
 *
 * Runs use speed 10 and short durations.  Nothing asserts a wall duration:
 * only order, states, links and exact output.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-object.h>

#include "tv-run.h"
#include "tv-run-private.h"
#include "tv-trace.h"

typedef struct
{
  TvEvent event;
  char   *text;
} Ev;

typedef struct
{
  TvScenario *scenario;
  TvRun      *run;
  GArray     *events;      /* Ev, sorted by time at the end (stable) */
  TvTrace    *trace;
  GString    *output;
  TvRunStatus status;
  TvRunErrorKind error_kind;
  char       *message;
  guint32     states_seen;  /* bit per TvThreadState of every STATE drained */
} Result;

static void
ev_clear (gpointer data)
{
  g_free (((Ev *) data)->text);
}

static void
result_free (Result *r)
{
  g_clear_pointer (&r->run, tv_run_free);
  g_clear_pointer (&r->scenario, tv_scenario_unref);
  g_array_unref (r->events);
  g_clear_object (&r->trace);
  g_string_free (r->output, TRUE);
  g_free (r->message);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Result, result_free)

static gboolean
kind_has_text (guint16 kind)
{
  return kind == TV_EV_THREAD_NEW || kind == TV_EV_THREAD_NAME
         || kind == TV_EV_OBJECT_NEW || kind == TV_EV_PRINT
         || kind == TV_EV_RUN_ERROR;
}

typedef struct
{
  Result     *r;
  TvRecorder *recorder;
} DrainData;

static void
drain_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  DrainData *d = user_data;

  for (size_t i = 0; i < n; i++)
    {
      Ev ev = { events[i], NULL };

      if (events[i].kind == TV_EV_STATE && events[i].arg >= 0 && events[i].arg < 32)
        d->r->states_seen |= 1u << events[i].arg;
      if (kind_has_text (events[i].kind))
        ev.text = g_strdup (tv_recorder_get_string (d->recorder, (uint64_t) events[i].arg));
      g_array_append_val (d->r->events, ev);
    }
}

static void
read_output (Result *r, int fd)
{
  char buf[4096];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_string_append_len (r->output, buf, n);
}

static gint
compare_time (gconstpointer a, gconstpointer b)
{
  const Ev *x = a, *y = b;

  return x->event.time < y->event.time ? -1 : x->event.time > y->event.time;
}

/* Two indices into the raw events, by the events' times. */
static gint
compare_order (gconstpointer a, gconstpointer b, gpointer raw)
{
  return compare_time (&g_array_index ((GArray *) raw, Ev, *(const guint *) a),
                       &g_array_index ((GArray *) raw, Ev, *(const guint *) b));
}

/* Runs `text` to its end at `speed`, or, when `stop_after_ms` >= 0, stops
 * it once that much wall time has passed and some thread has entered
 * `stop_state` (so that a slow start cannot make the stop come early). */
static Result *
run_ring (const char *text, double speed, int stop_after_ms, TvThreadState stop_state,
          guint32 ring_capacity)
{
  g_autoptr(GError) error = NULL;
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  Result *r = g_new0 (Result, 1);
  DrainData d;
  int fds[2];
  gint64 begin;
  gboolean stopped = FALSE;

  r->events = g_array_new (FALSE, FALSE, sizeof (Ev));
  g_array_set_clear_func (r->events, ev_clear);
  r->output = g_string_new (NULL);

  r->scenario = tv_scenario_parse ("test.tvs", text, -1, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r->scenario);

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (fcntl (fds[0], F_SETFL, O_NONBLOCK), ==, 0);
  options.speed = speed;
  options.print_fd = fds[1];
  options.ring_capacity = ring_capacity;
  r->run = tv_run_new (r->scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tv_run_get_status (r->run), ==, TV_RUN_READY);
  g_assert_true (tv_run_start (r->run, &error));
  g_assert_no_error (error);

  d.r = r;
  d.recorder = tv_run_get_recorder (r->run);
  begin = g_get_monotonic_time ();
  while (!tv_run_wait_timeout (r->run, 10))
    {
      tv_recorder_drain (d.recorder, drain_cb, &d);
      read_output (r, fds[0]);
      if (stop_after_ms >= 0 && !stopped
          && g_get_monotonic_time () - begin > stop_after_ms * G_TIME_SPAN_MILLISECOND
          && (r->states_seen & (1u << stop_state)))
        {
          tv_run_stop (r->run);
          stopped = TRUE;
        }
    }
  tv_recorder_drain (d.recorder, drain_cb, &d);
  read_output (r, fds[0]);
  close (fds[0]);
  close (fds[1]);

  r->status = tv_run_get_status (r->run);
  r->error_kind = tv_run_get_error_kind (r->run);
  r->message = g_strdup (tv_run_get_error_message (r->run));

  /* A stable sort by time: events of one thread keep their order. */
  {
    GArray *raw = r->events;
    guint n = raw->len;
    g_autofree guint *order = g_new (guint, n);

    for (guint i = 0; i < n; i++)
      order[i] = i;
    /* g_qsort_with_data() is a merge sort: stable, and n log n however
     * far apart the drains left one thread's events from another's. */
    g_qsort_with_data (order, (gint) n, sizeof (guint), compare_order, raw);
    r->events = g_array_sized_new (FALSE, FALSE, sizeof (Ev), n);
    g_array_set_clear_func (r->events, ev_clear);
    for (guint i = 0; i < n; i++)
      g_array_append_val (r->events, g_array_index (raw, Ev, order[i]));
    g_array_set_clear_func (raw, NULL);   /* the texts moved */
    g_array_unref (raw);
  }

  r->trace = tv_trace_new ();
  for (guint i = 0; i < r->events->len; i++)
    {
      Ev *ev = &g_array_index (r->events, Ev, i);
      tv_trace_add_event (r->trace, &ev->event, ev->text);
    }
  return r;
}

static Result *
run_full (const char *text, double speed, int stop_after_ms, TvThreadState stop_state)
{
  return run_ring (text, speed, stop_after_ms, stop_state, 0);
}

static Result *
run_text (const char *text)
{
  return run_full (text, 10.0, -1, TV_STATE_NEW);
}

/* For scenarios whose order rests on sleeps: at speed 1 a thread would have
 * to be late by the whole sleep, not a tenth of it, to upset the order. */
static Result *
run_slow (const char *text)
{
  return run_full (text, 1.0, -1, TV_STATE_NEW);
}

/* --- queries ------------------------------------------------------------ */

static guint32
thread_index (Result *r, const char *name)
{
  for (guint i = 0; i < r->events->len; i++)
    {
      Ev *ev = &g_array_index (r->events, Ev, i);

      if (ev->event.kind == TV_EV_THREAD_NEW && g_strcmp0 (ev->text, name) == 0)
        return ev->event.thread;
    }
  g_error ("no thread '%s'", name);
  return TV_NO_THREAD;
}

static guint32
object_id (Result *r, const char *name)
{
  for (guint i = 0; i < r->events->len; i++)
    {
      Ev *ev = &g_array_index (r->events, Ev, i);

      if (ev->event.kind == TV_EV_OBJECT_NEW && g_strcmp0 (ev->text, name) == 0)
        return ev->event.object;
    }
  g_error ("no object '%s'", name);
  return 0;
}

/* The n-th (0-based) event of `kind` on `thread` (TV_NO_THREAD: any), or NULL. */
static const TvEvent *
find_event (Result *r, TvEventKind kind, guint32 thread, guint nth)
{
  for (guint i = 0; i < r->events->len; i++)
    {
      const TvEvent *e = &g_array_index (r->events, Ev, i).event;

      if (e->kind == kind && (thread == TV_NO_THREAD || e->thread == thread))
        if (nth-- == 0)
          return e;
    }
  return NULL;
}

static guint
count_events (Result *r, TvEventKind kind, guint32 thread)
{
  guint n = 0;

  for (guint i = 0; i < r->events->len; i++)
    {
      const TvEvent *e = &g_array_index (r->events, Ev, i).event;

      if (e->kind == kind && (thread == TV_NO_THREAD || e->thread == thread))
        n++;
    }
  return n;
}

/* The first STATE event of `thread` into `state`, or NULL. */
static const TvEvent *
find_state (Result *r, guint32 thread, TvThreadState state)
{
  for (guint i = 0; i < r->events->len; i++)
    {
      const TvEvent *e = &g_array_index (r->events, Ev, i).event;

      if (e->kind == TV_EV_STATE && e->thread == thread && e->arg == state)
        return e;
    }
  return NULL;
}

static const TvEvent *
find_link (Result *r, TvLinkKind kind, guint32 to, guint nth)
{
  for (guint i = 0; i < r->events->len; i++)
    {
      const TvEvent *e = &g_array_index (r->events, Ev, i).event;

      if (e->kind == TV_EV_LINK && e->line == kind
          && (to == TV_NO_THREAD || e->thread == to))
        if (nth-- == 0)
          return e;
    }
  return NULL;
}

static gboolean
trace_has_span (Result *r, const char *thread, TvThreadState state, guint32 object)
{
  const TvTraceThread *t = tv_trace_find_thread (r->trace, thread);

  g_assert_nonnull (t);
  for (guint i = 0; i < t->spans->len; i++)
    {
      const TvSpan *s = &g_array_index (t->spans, TvSpan, i);

      if (s->state == state && s->object == object)
        return TRUE;
    }
  return FALSE;
}

static gboolean
trace_has_link (Result *r, TvLinkKind kind, const char *from, const char *to)
{
  GArray *links = tv_trace_get_links (r->trace);
  guint32 f = tv_trace_find_thread (r->trace, from)->index;
  guint32 t = tv_trace_find_thread (r->trace, to)->index;

  for (guint i = 0; i < links->len; i++)
    {
      const TvLink *l = &g_array_index (links, TvLink, i);

      if (l->kind == kind && l->from_thread == f && l->to_thread == t)
        return TRUE;
    }
  return FALSE;
}

/* --- tests -------------------------------------------------------------- */

static void
test_hello (void)
{
  g_autoptr(Result) r = run_text ("main:\n"
                                   "    print \"hello {thread}\"\n"
                                   "    print \"second\"\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_NONE);
  g_assert_null (r->message);
  g_assert_cmpstr (r->output->str, ==, "hello MainThread\nsecond\n");
  g_assert_cmpuint (thread_index (r, "MainThread"), ==, 0);
  g_assert_nonnull (find_event (r, TV_EV_THREAD_START, 0, 0));
  g_assert_nonnull (find_event (r, TV_EV_THREAD_OS, 0, 0));
  g_assert_cmpuint (count_events (r, TV_EV_PRINT, 0), ==, 2);
  g_assert_cmpint (find_event (r, TV_EV_PRINT, 0, 0)->line, ==, 2);
  g_assert_nonnull (find_event (r, TV_EV_THREAD_EXIT, 0, 0));
  g_assert_cmpint (find_event (r, TV_EV_RUN_END, TV_NO_THREAD, 0)->arg, ==, TV_RUN_FINISHED);
  /* RUN_END is the last event. */
  g_assert_cmpint (g_array_index (r->events, Ev, r->events->len - 1).event.kind, ==, TV_EV_RUN_END);
  g_assert_true (tv_trace_is_finished (r->trace));
}

static void
test_object_ids (void)
{
  g_autoptr(Result) r = run_text ("lock L\n"
                                  "queue Q capacity 2\n"
                                  "var x = 5\n"
                                  "shared s = 1\n"
                                  "thread w * 2:\n"
                                  "    x += 1\n"
                                  "main:\n"
                                  "    start w\n"
                                  "    join w\n"
                                  "    print \"{x} {s}\"\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpuint (object_id (r, "L"), ==, 1);
  g_assert_cmpuint (object_id (r, "Q"), ==, 2);
  g_assert_cmpuint (object_id (r, "x"), ==, 3);
  g_assert_cmpuint (object_id (r, "s"), ==, 4);
  g_assert_cmpuint (object_id (r, "MainProcess"), ==, 5);
  g_assert_cmpuint (thread_index (r, "w-1"), ==, 1);
  g_assert_cmpuint (thread_index (r, "w-2"), ==, 2);
  g_assert_cmpstr (r->output->str, ==, "7 1\n");
  /* Each thread started by main, with the start time. */
  {
    const TvEvent *start = find_event (r, TV_EV_THREAD_START, 1, 0);

    g_assert_cmpuint (start->aux, ==, 0);
    g_assert_cmpint (start->arg, <=, start->time);
  }
  /* Main waited for (or found ended) both; the variable was read then written. */
  g_assert_cmpuint (count_events (r, TV_EV_VAR_READ, 1), ==, 1);
  g_assert_cmpuint (count_events (r, TV_EV_VAR_WRITE, 1), ==, 1);
  g_assert_cmpuint (find_event (r, TV_EV_VAR_WRITE, 1, 0)->object, ==, 3);
}

static void
test_lock_blocks (void)
{
  g_autoptr(Result) r = run_slow ("lock L\n"
                                  "thread a:\n"
                                  "    with L:\n"
                                  "        print \"a has L\"\n"
                                  "        sleep 200ms\n"
                                  "    print \"a released L\"\n"
                                  "thread b:\n"
                                  "    sleep 50ms\n"
                                  "    acquire L\n"
                                  "    print \"b has L\"\n"
                                  "    release L\n");
  guint32 a = thread_index (r, "a"), b = thread_index (r, "b");
  guint32 L = object_id (r, "L");
  const TvEvent *blocked, *acq, *rel;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_true (g_str_has_prefix (r->output->str, "a has L\n"));
  g_assert_nonnull (strstr (r->output->str, "b has L\n"));

  blocked = find_state (r, b, TV_STATE_LOCK);
  g_assert_nonnull (blocked);
  g_assert_cmpuint (blocked->object, ==, L);
  g_assert_cmpuint (blocked->line, ==, 9);

  acq = find_event (r, TV_EV_ACQUIRE, b, 0);
  rel = find_event (r, TV_EV_RELEASE, a, 0);
  g_assert_cmpuint (acq->aux, ==, a);          /* unblocked by a */
  g_assert_cmpint (acq->arg, ==, rel->time);   /* at a's release */
  g_assert_cmpint (blocked->time, <, rel->time);
  g_assert_cmpint (rel->time, <=, acq->time);
  /* a did not wait. */
  g_assert_cmpuint (find_event (r, TV_EV_ACQUIRE, a, 0)->aux, ==, TV_NO_THREAD);

  /* The trace: a "blocked on L" span, an unblock link from a to b, holds. */
  g_assert_true (trace_has_span (r, "b", TV_STATE_LOCK, L));
  g_assert_true (trace_has_link (r, TV_LINK_UNBLOCK, "a", "b"));
  g_assert_cmpuint (tv_trace_get_object (r->trace, L)->holds->len, ==, 2);
}

static void
test_race (void)
{
  g_autoptr(Result) r = run_text ("lock counter_lock\n"
                                  "var counter = 0\n"
                                  "thread unsafe * 2:\n"
                                  "    repeat 1000:\n"
                                  "        counter += 1 window 10us\n"
                                  "thread safe * 2:\n"
                                  "    repeat 1000:\n"
                                  "        with counter_lock:\n"
                                  "            counter += 1 window 10us\n"
                                  "main:\n"
                                  "    start unsafe\n"
                                  "    join unsafe\n"
                                  "    print \"without a lock: counter = {counter}\"\n"
                                  "    counter = 0\n"
                                  "    start safe\n"
                                  "    join safe\n"
                                  "    print \"with a lock: counter = {counter}\"\n");
  g_auto(GStrv) lines = g_strsplit (r->output->str, "\n", -1);
  guint64 unsafe_total;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[0], "without a lock: counter = "));
  unsafe_total = g_ascii_strtoull (lines[0] + strlen ("without a lock: counter = "), NULL, 10);
  g_assert_cmpuint (unsafe_total, >=, 1000);
  g_assert_cmpuint (unsafe_total, <=, 2000);
  g_assert_cmpstr (lines[1], ==, "with a lock: counter = 2000");
  /* Each increment is a read then a write. */
  g_assert_cmpuint (count_events (r, TV_EV_VAR_READ, thread_index (r, "safe-1")), ==, 1000);
  g_assert_cmpuint (count_events (r, TV_EV_VAR_WRITE, thread_index (r, "safe-2")), ==, 1000);
}

static void
test_queue (void)
{
  g_autoptr(Result) r = run_slow ("queue Q capacity 2\n"
                                  "thread producer:\n"
                                  "    repeat 5:\n"
                                  "        put Q i * 10\n"
                                  "        print \"put {i}\"\n"
                                  "thread consumer:\n"
                                  "    sleep 100ms\n"
                                  "    repeat 5:\n"
                                  "        get Q -> v\n"
                                  "        print \"got {item}\"\n"
                                  "        sleep 10ms\n"
                                  "var v = 0\n");
  guint32 p = thread_index (r, "producer"), c = thread_index (r, "consumer");
  guint32 Q = object_id (r, "Q");
  const TvTraceObject *q;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpuint (count_events (r, TV_EV_QUEUE_PUT, p), ==, 5);
  g_assert_cmpuint (count_events (r, TV_EV_QUEUE_GET, c), ==, 5);
  /* The producer filled the queue and blocked on it. */
  g_assert_nonnull (find_state (r, p, TV_STATE_QUEUE_FULL));
  g_assert_cmpuint (find_state (r, p, TV_STATE_QUEUE_FULL)->object, ==, Q);
  for (guint k = 0; k < 5; k++)
    {
      const TvEvent *put = find_event (r, TV_EV_QUEUE_PUT, p, k);
      const TvEvent *get = find_event (r, TV_EV_QUEUE_GET, c, k);
      const TvEvent *link = find_link (r, TV_LINK_ITEM, c, k);

      g_assert_cmpint (put->arg, ==, k + 1);        /* item ids */
      g_assert_cmpint (get->arg, ==, k + 1);        /* in order */
      g_assert_cmpuint (put->aux, <=, 2);           /* depth never above capacity */
      g_assert_cmpuint (link->aux, ==, p);
      g_assert_cmpint (link->arg, ==, put->time);
      g_assert_cmpuint (link->object, ==, Q);
    }
  g_assert_nonnull (strstr (r->output->str, "got 10\n"));
  g_assert_nonnull (strstr (r->output->str, "got 50\n"));
  g_assert_true (trace_has_link (r, TV_LINK_ITEM, "producer", "consumer"));
  q = tv_trace_get_object (r->trace, Q);
  g_assert_nonnull (q);
  g_assert_cmpuint (q->depth->len, >, 0);
}

static void
test_deadlock (void)
{
  g_autoptr(Result) r = run_text ("lock L1\n"
                                  "lock L2\n"
                                  "thread a:\n"
                                  "    with L1:\n"
                                  "        wait B\n"
                                  "        with L2:\n"
                                  "            print \"a has both\"\n"
                                  "thread b:\n"
                                  "    with L2:\n"
                                  "        wait B\n"
                                  "        with L1:\n"
                                  "            print \"b has both\"\n"
                                  "barrier B 2\n");
  guint32 a = thread_index (r, "a"), b = thread_index (r, "b");
  const TvEvent *da, *db;

  g_assert_cmpint (r->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_DEADLOCK);
  g_assert_cmpstr (r->output->str, ==, "");
  g_assert_nonnull (strstr (r->message,
                            "thread 'a' holds lock 'L1' (test.tvs:4) and waits for lock 'L2' (test.tvs:6)"));
  g_assert_nonnull (strstr (r->message,
                            "thread 'b' holds lock 'L2' (test.tvs:9) and waits for lock 'L1' (test.tvs:11)"));
  g_assert_true (g_str_has_prefix (r->message, "deadlock: 2 threads"));

  da = find_event (r, TV_EV_DEADLOCK, a, 0);
  db = find_event (r, TV_EV_DEADLOCK, b, 0);
  g_assert_nonnull (da);
  g_assert_nonnull (db);
  g_assert_cmpuint (da->object, ==, object_id (r, "L2"));
  g_assert_cmpuint (da->aux, ==, b);
  g_assert_cmpuint (db->object, ==, object_id (r, "L1"));
  g_assert_cmpuint (db->aux, ==, a);
  g_assert_cmpuint (count_events (r, TV_EV_DEADLOCK, TV_NO_THREAD), ==, 2);
  g_assert_cmpuint (find_event (r, TV_EV_RUN_ERROR, TV_NO_THREAD, 0)->aux, ==, TV_RUN_ERROR_DEADLOCK);
  g_assert_cmpint (find_event (r, TV_EV_RUN_END, TV_NO_THREAD, 0)->arg, ==, TV_RUN_FAILED);
  /* Every thread ended. */
  g_assert_cmpuint (count_events (r, TV_EV_THREAD_EXIT, TV_NO_THREAD), ==, 3);
}

static void
test_join_cycle (void)
{
  /* A thread joining itself waits for itself forever. */
  g_autoptr(Result) r = run_text ("thread a:\n"
                                  "    join a\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_DEADLOCK);
  g_assert_nonnull (strstr (r->message, "thread 'a' waits for thread 'a' to end (test.tvs:2)"));
}

static void
test_stall (void)
{
  g_autoptr(Result) r = run_text ("event E\n"
                                  "queue Q\n"
                                  "thread c:\n"
                                  "    get Q\n"
                                  "main:\n"
                                  "    start c\n"
                                  "    wait E\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_STALL);
  g_assert_true (g_str_has_prefix (r->message, "stall: "));
  g_assert_nonnull (strstr (r->message, "thread 'MainThread' waits for event 'E' to be set (test.tvs:7)"));
  g_assert_nonnull (strstr (r->message, "thread 'c' waits for an item in queue 'Q' (test.tvs:4)"));
  g_assert_cmpuint (count_events (r, TV_EV_DEADLOCK, TV_NO_THREAD), ==, 2);
}

static void
test_stop_forever (void)
{
  g_autoptr(Result) r = run_full ("var x = 0\n"
                                  "thread spinner:\n"
                                  "    forever:\n"
                                  "        x += 1\n"
                                  "thread worker:\n"
                                  "    forever:\n"
                                  "        work 1ms\n"
                                  "        sleep 1ms\n"
                                  "main:\n"
                                  "    start spinner\n"
                                  "    start worker\n"
                                  "    join spinner\n", 1.0, 100, TV_STATE_SLEEPING);

  g_assert_cmpint (r->status, ==, TV_RUN_STOPPED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_NONE);
  g_assert_cmpint (find_event (r, TV_EV_RUN_END, TV_NO_THREAD, 0)->arg, ==, TV_RUN_STOPPED);
  g_assert_cmpuint (count_events (r, TV_EV_THREAD_EXIT, TV_NO_THREAD), ==, 3);
}

/* A run whose one thread records flat out into a 64-event ring that
 * nobody has drained, waiting up to 60 s for room: it waits by the time
 * this returns. */
static TvRun *
start_waiting_for_room (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "var x = 0\n"
                                                      "main:\n"
                                                      "    forever:\n"
                                                      "        x += 1\n", -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  TvRun *run;

  g_assert_no_error (error);
  options.print_fd = -1;
  options.ring_capacity = 64;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  tv_recorder_set_wait_when_full (tv_run_get_recorder (run), 60000);
  g_assert_true (tv_run_start (run, &error));
  /* The ring is full long before this, and the thread waits for room. */
  g_assert_false (tv_run_wait_timeout (run, 100));
  return run;
}

/* A thread that waits for room in its full ring (nobody drains it here)
 * must see a stop soon instead of waiting out its 60 s. */
static void
test_stop_waiting_for_room (void)
{
  TvRun *run = start_waiting_for_room ();

  tv_run_stop (run);
  g_assert_true (tv_run_wait_timeout (run, 30000));
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_STOPPED);
  g_assert_cmpuint (tv_recorder_get_dropped (tv_run_get_recorder (run)), >, 0);
  tv_run_free (run);
}

static void
add_drained (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  *(gsize *) user_data += n;
}

/* The same with a consumer that keeps draining: what the thread records
 * on its way out after the stop waits for room and is kept, not dropped. */
static void
test_stop_keeps_events_drained (void)
{
  TvRun *run = start_waiting_for_room ();
  TvRecorder *recorder = tv_run_get_recorder (run);
  gsize drained = 0;

  tv_run_stop (run);
  while (!tv_run_wait_timeout (run, 1))
    tv_recorder_drain (recorder, add_drained, &drained);
  tv_recorder_drain (recorder, add_drained, &drained);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_STOPPED);
  g_assert_cmpuint (drained, >, 64);
  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 0);
  tv_run_free (run);
}

static void
collect_os_ids (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  GArray *tids = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].kind == TV_EV_THREAD_OS)
      {
        gint64 tid = events[i].arg;

        g_array_append_val (tids, tid);
      }
}

/* The nice value of thread `tid` of this process (field 19 of its stat). */
static int
thread_nice (gint64 tid)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%" G_GINT64_FORMAT "/stat", tid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  /* After the command's closing parenthesis: state is field 3. */
  fields = g_strsplit (strrchr (stat, ')') + 2, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >, 16);
  return atoi (fields[16]);
}

/* options.nice lowers every thread of the run, those it starts included,
 * and not the thread that started it. */
static void
test_nice (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "thread t:\n"
                                                      "    sleep 2s\n"
                                                      "main:\n"
                                                      "    start t\n"
                                                      "    join t\n", -1, NULL, &error);
  g_autoptr(GArray) tids = g_array_new (FALSE, FALSE, sizeof (gint64));
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  int mine = getpriority (PRIO_PROCESS, 0);
  TvRun *run;

  g_assert_no_error (error);
  options.print_fd = -1;
  options.nice = 5;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  while (tids->len < 2 && !tv_run_wait_timeout (run, 5))
    tv_recorder_drain (tv_run_get_recorder (run), collect_os_ids, tids);
  g_assert_cmpuint (tids->len, ==, 2);
  for (guint i = 0; i < tids->len; i++)
    g_assert_cmpint (thread_nice (g_array_index (tids, gint64, i)), ==, MIN (mine + 5, 19));
  g_assert_cmpint (getpriority (PRIO_PROCESS, 0), ==, mine);
  tv_run_stop (run);
  tv_run_wait (run);
  tv_run_free (run);
}

static void
test_stop_undetected (void)
{
  /* Waits with timeouts are no deadlock for the watchdog: only stop ends them. */
  g_autoptr(Result) r = run_full ("lock L\n"
                                  "event E\n"
                                  "main:\n"
                                  "    acquire L\n"
                                  "    acquire L timeout 1000s\n", 1.0, 100, TV_STATE_LOCK);
  const TvEvent *blocked = find_state (r, 0, TV_STATE_LOCK);

  g_assert_cmpint (r->status, ==, TV_RUN_STOPPED);
  g_assert_nonnull (blocked);
  g_assert_cmpuint (blocked->line, ==, 5);
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE_FAILED, 0), ==, 0);
}

static void
test_release_not_held (void)
{
  g_autoptr(Result) r = run_text ("lock L\n"
                                  "def let_go:\n"
                                  "    release L\n"
                                  "main:\n"
                                  "    print \"before\"\n"
                                  "    call let_go\n"
                                  "    print \"after\"\n");
  const TvEvent *e;

  g_assert_cmpint (r->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_NOT_HELD);
  g_assert_cmpstr (r->output->str, ==, "before\n");
  g_assert_true (g_str_has_prefix (r->message,
                                   "test.tvs:3:5: release of lock 'L' that thread 'MainThread' does not hold\n"));
  g_assert_nonnull (strstr (r->message, "release L"));
  e = find_event (r, TV_EV_RUN_ERROR, 0, 0);
  g_assert_nonnull (e);
  g_assert_cmpuint (e->line, ==, 3);
  g_assert_cmpuint (e->aux, ==, TV_RUN_ERROR_NOT_HELD);
}

static void
test_runtime_errors (void)
{
  {
    g_autoptr(Result) r = run_text ("thread t:\n"
                                    "    sleep 1ms\n"
                                    "main:\n"
                                    "    start t\n"
                                    "    start t\n");
    g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_ALREADY_STARTED);
    g_assert_true (g_str_has_prefix (r->message, "test.tvs:5:5: thread 't' is started a second time"));
  }
  {
    g_autoptr(Result) r = run_text ("thread t:\n"
                                    "    sleep 1ms\n"
                                    "main:\n"
                                    "    join t\n");
    g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_NOT_STARTED);
    g_assert_true (g_str_has_prefix (r->message, "test.tvs:4:5: join of thread 't' that was never started"));
  }
  {
    g_autoptr(Result) r = run_text ("var x = 0\n"
                                    "main:\n"
                                    "    x = 5 / x\n");
    g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_DIVISION);
    g_assert_nonnull (strstr (r->message, "division by zero"));
  }
  {
    g_autoptr(Result) r = run_text ("condition C\n"
                                    "def poke:\n"
                                    "    notify C\n"
                                    "main:\n"
                                    "    call poke\n");
    g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_WAIT_OUTSIDE);
    g_assert_true (g_str_has_prefix (r->message, "test.tvs:3:5: notify on condition 'C' that thread 'MainThread' does not hold"));
  }
  {
    g_autoptr(Result) r = run_text ("queue Q\n"
                                    "main:\n"
                                    "    put Q\n"
                                    "    task_done Q\n"
                                    "    task_done Q\n");
    g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_TASK_DONE);
    g_assert_true (g_str_has_prefix (r->message, "test.tvs:5:5: "));
  }
}

static void
test_timeouts (void)
{
  g_autoptr(Result) r = run_text ("lock L\n"
                                  "event E\n"
                                  "event held\n"
                                  "thread holder:\n"
                                  "    with L:\n"
                                  "        set held\n"
                                  "        sleep 300ms\n"
                                  "main:\n"
                                  "    start holder\n"
                                  "    wait held\n"
                                  "    acquire L timeout 50ms\n"
                                  "    print \"acquire: {acquired}\"\n"
                                  "    try_acquire L\n"
                                  "    print \"try: {acquired}\"\n"
                                  "    join holder timeout 50ms\n"
                                  "    print \"alive: {alive holder}\"\n"
                                  "    wait E timeout 20ms\n"
                                  "    print \"event: {acquired}\"\n"
                                  "    join holder\n"
                                  "    print \"alive: {alive holder}\"\n"
                                  "    try_acquire L\n"
                                  "    print \"try: {acquired}\"\n");
  guint32 h = thread_index (r, "holder");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==,
                   "acquire: False\ntry: False\nalive: True\nevent: False\n"
                   "alive: False\ntry: True\n");
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE_FAILED, 0), ==, 2);
  g_assert_nonnull (find_state (r, 0, TV_STATE_EVENT));
  g_assert_cmpuint (find_state (r, 0, TV_STATE_JOIN)->aux, ==, h);
  /* Only the second join saw the end: one join link from holder. */
  g_assert_cmpuint (find_link (r, TV_LINK_JOIN, 0, 0)->aux, ==, h);
  g_assert_null (find_link (r, TV_LINK_JOIN, 0, 1));
  g_assert_cmpint (find_link (r, TV_LINK_JOIN, 0, 0)->arg, ==,
                   find_event (r, TV_EV_THREAD_EXIT, h, 0)->time);
  g_assert_true (trace_has_link (r, TV_LINK_JOIN, "holder", "MainThread"));
}

static void
test_rlock (void)
{
  g_autoptr(Result) r = run_text ("rlock R\n"
                                  "main:\n"
                                  "    acquire R\n"
                                  "    with R:\n"
                                  "        print \"twice\"\n"
                                  "    release R\n"
                                  "    release R\n");

  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_NOT_HELD);
  g_assert_cmpstr (r->output->str, ==, "twice\n");
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE, 0), ==, 2);
  g_assert_cmpint (find_event (r, TV_EV_RELEASE, 0, 0)->arg, ==, 1);
  g_assert_cmpint (find_event (r, TV_EV_RELEASE, 0, 1)->arg, ==, 0);
  g_assert_cmpuint (find_event (r, TV_EV_RUN_ERROR, 0, 0)->line, ==, 7);
}

static void
test_semaphore (void)
{
  g_autoptr(Result) r = run_slow ("semaphore S 2\n"
                                  "thread w * 3:\n"
                                  "    with S:\n"
                                  "        sleep 100ms\n");
  guint blocked = 0;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  for (guint k = 1; k <= 3; k++)
    if (find_state (r, k, TV_STATE_SEMAPHORE))
      {
        const TvEvent *acq = find_event (r, TV_EV_ACQUIRE, k, 0);

        blocked++;
        g_assert_cmpuint (acq->aux, !=, TV_NO_THREAD);
        g_assert_cmpuint (acq->aux, !=, k);
      }
  g_assert_cmpuint (blocked, ==, 1);
}

static void
test_barrier_order (void)
{
  g_autoptr(Result) r = run_slow ("barrier B 3\n"
                                  "thread a:\n"
                                  "    print \"before\"\n"
                                  "    wait B\n"
                                  "    print \"after\"\n"
                                  "thread b:\n"
                                  "    sleep 30ms\n"
                                  "    print \"before\"\n"
                                  "    wait B\n"
                                  "    print \"after\"\n"
                                  "thread c:\n"
                                  "    sleep 60ms\n"
                                  "    print \"before\"\n"
                                  "    wait B\n"
                                  "    print \"after\"\n");
  guint32 c = thread_index (r, "c");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "before\nbefore\nbefore\nafter\nafter\nafter\n");
  g_assert_nonnull (find_state (r, thread_index (r, "a"), TV_STATE_BARRIER));
  g_assert_null (find_state (r, c, TV_STATE_BARRIER));
  g_assert_cmpuint (find_link (r, TV_LINK_WAKE, thread_index (r, "a"), 0)->aux, ==, c);
  g_assert_cmpuint (find_link (r, TV_LINK_WAKE, thread_index (r, "b"), 0)->aux, ==, c);
}

static void
test_event (void)
{
  g_autoptr(Result) r = run_slow ("event E\n"
                                  "thread waiter * 2:\n"
                                  "    wait E\n"
                                  "    print \"{thread} woke\"\n"
                                  "thread setter:\n"
                                  "    sleep 50ms\n"
                                  "    print \"set\"\n"
                                  "    set E\n");
  guint32 s = thread_index (r, "setter");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_true (g_str_has_prefix (r->output->str, "set\n"));
  for (guint k = 1; k <= 2; k++)
    {
      g_assert_cmpuint (find_state (r, k, TV_STATE_EVENT)->object, ==, object_id (r, "E"));
      g_assert_cmpuint (find_link (r, TV_LINK_WAKE, k, 0)->aux, ==, s);
    }
  g_assert_true (trace_has_link (r, TV_LINK_WAKE, "setter", "waiter-1"));
}

static void
test_condition (void)
{
  g_autoptr(Result) r = run_slow ("condition C\n"
                                  "var ready = 0\n"
                                  "thread consumer:\n"
                                  "    with C:\n"
                                  "        wait C\n"
                                  "        print \"consumer sees {ready}\"\n"
                                  "thread producer:\n"
                                  "    sleep 50ms\n"
                                  "    with C:\n"
                                  "        ready = 1\n"
                                  "        notify C\n"
                                  "        sleep 20ms\n"
                                  "        print \"producer notified\"\n");
  guint32 c = thread_index (r, "consumer"), p = thread_index (r, "producer");
  guint32 C = object_id (r, "C");
  const TvEvent *reacquire;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "producer notified\nconsumer sees 1\n");
  g_assert_cmpuint (find_state (r, c, TV_STATE_CONDITION)->object, ==, C);
  g_assert_cmpuint (find_link (r, TV_LINK_WAKE, c, 0)->aux, ==, p);
  /* After the notify it waits for the lock until the producer leaves `with`. */
  g_assert_nonnull (find_state (r, c, TV_STATE_LOCK));
  reacquire = find_event (r, TV_EV_ACQUIRE, c, 1);
  g_assert_cmpuint (reacquire->aux, ==, p);
}

static void
test_spawn_call_rename (void)
{
  g_autoptr(Result) r = run_slow ("var n = 0\n"
                                  "def child:\n"
                                  "    sleep 20ms\n"
                                  "    print \"child {thread}\"\n"
                                  "def helper:\n"
                                  "    n += 10\n"
                                  "main:\n"
                                  "    spawn child\n"
                                  "    print \"main goes on\"\n"
                                  "    call helper\n"
                                  "    call helper\n"
                                  "    rename \"boss\"\n"
                                  "    sleep 50ms\n"
                                  "    repeat 3:\n"
                                  "        if i == 2:\n"
                                  "            print \"{thread} two {n}\"\n"
                                  "        else:\n"
                                  "            print \"{i}\"\n");
  guint32 child;
  const TvEvent *start;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "main goes on\nchild child\n1\nboss two 20\n3\n");
  child = thread_index (r, "child");
  g_assert_cmpuint (child, >, 0);
  g_assert_cmpuint (find_event (r, TV_EV_THREAD_NEW, child, 0)->aux, ==, 0);
  start = find_event (r, TV_EV_THREAD_START, child, 0);
  g_assert_cmpuint (start->aux, ==, 0);
  g_assert_cmpuint (count_events (r, TV_EV_THREAD_NAME, 0), ==, 1);
  g_assert_cmpstr (tv_trace_get_thread (r->trace, 0)->name, ==, "boss");
}

static void
test_threading_api (void)
{
  g_autoptr(Result) r = run_slow ("thread t1:\n"
                                  "    rename \"downloader\"\n"
                                  "    sleep 300ms\n"
                                  "thread t2:\n"
                                  "    sleep 200ms\n"
                                  "main:\n"
                                  "    start t1\n"
                                  "    start t2\n"
                                  "    sleep 50ms\n"
                                  "    print \"active threads: {active_count}\"\n"
                                  "    print \"enumerate(): {threads}\"\n"
                                  "    join t1\n"
                                  "    join t2\n"
                                  "    print \"active threads: {active_count}\"\n");

  g_assert_cmpstr (r->output->str, ==,
                   "active threads: 3\n"
                   "enumerate(): MainThread, downloader, t2\n"
                   "active threads: 1\n");
}

static void
test_stopwatch (void)
{
  g_autoptr(Result) r = run_text ("main:\n"
                                  "    stopwatch t\n"
                                  "    sleep 500ms\n"
                                  "    print \"took {t:.1f}s\"\n");

  /* Scenario time: 0.5 s at speed 10 (0.05 s of wall time), plus what a
   * busy machine adds between the statements. */
  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_true (g_str_has_prefix (r->output->str, "took "));
  g_assert_true (g_str_has_suffix (r->output->str, "s\n"));
  g_assert_cmpfloat (g_ascii_strtod (r->output->str + 5, NULL), >=, 0.5);
  g_assert_cmpfloat (g_ascii_strtod (r->output->str + 5, NULL), <, 1.0);
}

static void
test_gil (void)
{
  g_autoptr(Result) r = run_slow ("gil on switch 5ms\n"
                                  "thread cpu * 2:\n"
                                  "    work 30ms\n"
                                  "thread sleeper:\n"
                                  "    sleep 30ms\n");
  guint32 gil = object_id (r, "GIL");
  guint waits = 0;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  for (guint k = 1; k <= 2; k++)
    if (find_state (r, k, TV_STATE_GIL_WAIT))
      waits++;
  g_assert_cmpuint (waits, ==, 2);
  g_assert_cmpuint (find_state (r, 1, TV_STATE_GIL_WAIT)->object, ==, gil);
  /* The CPU threads took turns: many hand-overs in 60ms at 5ms each. */
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE, 1) + count_events (r, TV_EV_ACQUIRE, 2), >=, 4);
  g_assert_nonnull (find_state (r, 3, TV_STATE_SLEEPING));
}

/* A thread that waited for a lock gives its GIL up first and must take it
 * back once it holds the lock (a thread that could not spun forever). */
static void
test_gil_after_lock_wait (void)
{
  g_autoptr(Result) r = run_slow ("gil on\n"
                                  "lock L\n"
                                  "thread first:\n"
                                  "    acquire L\n"
                                  "    sleep 100ms\n"
                                  "    work 1ms\n"
                                  "    release L\n"
                                  "    work 1ms\n"
                                  "thread second:\n"
                                  "    sleep 10ms\n"
                                  "    acquire L\n"
                                  "    work 1ms\n"
                                  "    release L\n"
                                  "    work 1ms\n");
  guint32 lock = object_id (r, "L"), gil = object_id (r, "GIL");
  guint lock_waits = 0;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  for (guint k = 1; k <= 2; k++)
    {
      gint64 took_lock = -1, took_gil_after = -1;

      for (guint i = 0; i < r->events->len; i++)
        {
          const TvEvent *ev = &g_array_index (r->events, Ev, i).event;

          if (ev->kind != TV_EV_ACQUIRE || ev->thread != k)
            continue;
          if (ev->object == lock)
            took_lock = ev->time;
          else if (ev->object == gil && took_lock >= 0 && took_gil_after < 0)
            took_gil_after = ev->time;
        }
      /* Both came back to the GIL after taking L (the sleep, or the lock
       * wait, made them give it up). */
      g_assert_cmpint (took_lock, >=, 0);
      g_assert_cmpint (took_gil_after, >=, took_lock);
      g_assert_cmpuint (count_events (r, TV_EV_THREAD_EXIT, k), ==, 1);
      if (find_state (r, k, TV_STATE_LOCK))
        lock_waits++;
    }
  /* The second waited for L while the first slept (a sleep gives the
   * GIL up, so it could ask for L). */
  g_assert_null (find_state (r, 1, TV_STATE_LOCK));
  g_assert_nonnull (find_state (r, 2, TV_STATE_LOCK));
  g_assert_cmpuint (lock_waits, ==, 1);
}

static void
test_processes (void)
{
  g_autoptr(Result) r = run_text ("var plain = 0\n"
                                  "shared total = 0\n"
                                  "lock L\n"
                                  "process child * 3:\n"
                                  "    with L:\n"
                                  "        plain += 1\n"
                                  "        total += 1\n"
                                  "    print \"{thread} {plain} {active_count}\"\n"
                                  "main:\n"
                                  "    start child\n"
                                  "    join child\n"
                                  "    print \"plain {plain} total {total}\"\n");
  gint64 main_pid = find_event (r, TV_EV_THREAD_OS, 0, 0)->aux;

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpint (main_pid, ==, getpid ());
  g_assert_true (g_str_has_suffix (r->output->str, "plain 0 total 3\n"));
  for (guint k = 1; k <= 3; k++)
    {
      g_autofree char *name = g_strdup_printf ("child-%u", k);
      g_autofree char *line = g_strdup_printf ("%s 1 1\n", name);
      guint32 t = thread_index (r, name);
      const TvEvent *os = find_event (r, TV_EV_THREAD_OS, t, 0);
      const TvEvent *proc = find_event (r, TV_EV_OBJECT_NEW, t, 0);

      g_assert_nonnull (strstr (r->output->str, line));
      g_assert_cmpint (os->aux, !=, main_pid);
      /* Its process object, recorded by its main thread. */
      g_assert_nonnull (proc);
      g_assert_cmpuint (proc->aux, ==, TV_OBJ_PROCESS);
      g_assert_cmpuint (find_event (r, TV_EV_THREAD_NEW, t, 0)->object, ==, proc->object);
      g_assert_nonnull (find_link (r, TV_LINK_JOIN, 0, k - 1));
    }
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE, TV_NO_THREAD), ==, 3);
}

static void
test_process_stop (void)
{
  g_autoptr(Result) r = run_full ("event E\n"
                                  "process spinner * 2:\n"
                                  "    forever:\n"
                                  "        work 1ms\n"
                                  "process waiter:\n"
                                  "    wait E timeout 1000s\n"
                                  "main:\n"
                                  "    start spinner\n"
                                  "    start waiter\n"
                                  "    join spinner\n", 1.0, 150, TV_STATE_EVENT);

  g_assert_cmpint (r->status, ==, TV_RUN_STOPPED);
  g_assert_cmpuint (count_events (r, TV_EV_THREAD_EXIT, TV_NO_THREAD), ==, 4);
  g_assert_nonnull (find_state (r, thread_index (r, "waiter"), TV_STATE_EVENT));
}

static void
test_process_deadlock (void)
{
  /* The barrier makes sure both hold their first lock (forking may be
   * slow under sanitizers). */
  g_autoptr(Result) r = run_text ("lock L1\n"
                                  "lock L2\n"
                                  "barrier B 2\n"
                                  "process a:\n"
                                  "    with L1:\n"
                                  "        wait B\n"
                                  "        with L2:\n"
                                  "            print \"a\"\n"
                                  "process b:\n"
                                  "    with L2:\n"
                                  "        wait B\n"
                                  "        with L1:\n"
                                  "            print \"b\"\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_DEADLOCK);
  g_assert_nonnull (strstr (r->message, "thread 'a' holds lock 'L1' (test.tvs:5) and waits for lock 'L2' (test.tvs:7)"));
  g_assert_cmpuint (count_events (r, TV_EV_DEADLOCK, TV_NO_THREAD), ==, 2);
}

static void
test_queue_join (void)
{
  /* At speed 1: the worker's sleeps must outlast main's way to `join Q`,
   * even under ThreadSanitizer. */
  g_autoptr(Result) r = run_slow ("queue Q\n"
                                  "thread worker:\n"
                                  "    repeat 3:\n"
                                  "        get Q\n"
                                  "        sleep 10ms\n"
                                  "        task_done Q\n"
                                  "main:\n"
                                  "    put Q 7\n"
                                  "    put Q\n"
                                  "    put Q\n"
                                  "    print \"queued {qsize Q}\"\n"
                                  "    start worker\n"
                                  "    join Q\n"
                                  "    print \"all done {qsize Q}\"\n");
  guint32 w = thread_index (r, "worker");
  const TvEvent *wait = find_state (r, 0, TV_STATE_QUEUE_JOIN);

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "queued 3\nall done 0\n");
  g_assert_nonnull (wait);
  g_assert_cmpuint (wait->object, ==, object_id (r, "Q"));
  g_assert_cmpuint (find_link (r, TV_LINK_WAKE, 0, 0)->aux, ==, w);
  /* Depth after each put and get. */
  g_assert_cmpuint (find_event (r, TV_EV_QUEUE_PUT, 0, 2)->aux, ==, 3);
  g_assert_cmpuint (find_event (r, TV_EV_QUEUE_GET, w, 2)->aux, ==, 0);
}

static void
test_speed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "main:\n"
                                                      "    sleep 600s\n", -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvRun) run = NULL;

  g_assert_no_error (error);
  options.speed = 0.01;   /* clamped to 0.1 */
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (tv_run_get_speed (run), ==, TV_CLOCK_MIN_SPEED);
  g_assert_true (tv_run_start (run, &error));
  g_assert_false (tv_run_wait_timeout (run, 20));
  g_assert_false (tv_run_is_finished (run));
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_RUNNING);
  tv_run_set_speed (run, 5.0);
  g_assert_cmpfloat (tv_run_get_speed (run), ==, 5.0);
  tv_run_stop (run);
  tv_run_wait (run);
  g_assert_true (tv_run_is_finished (run));
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_STOPPED);
  g_assert_cmpstr (tv_run_status_to_string (tv_run_get_status (run)), ==, "stopped");
  g_assert_null (tv_run_get_error_message (run));
  g_assert_true (tv_run_get_scenario (run) == scenario);
  g_assert_nonnull (tv_run_get_clock (run));
}

static void
test_never_started (void)
{
  /* Freeing a run that was never started, or stopping it, is fine. */
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs", "main:\n    yield\n",
                                                      -1, NULL, &error);
  TvRun *run = tv_run_new (scenario, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_READY);
  tv_run_stop (run);
  tv_run_free (run);
}

static void
test_pause (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "main:\n"
                                                      "    stopwatch t\n"
                                                      "    sleep 100ms\n"
                                                      "    work 100ms\n"
                                                      "    print \"{t:.1f}\"\n", -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvRun) run = NULL;
  char buf[64] = { 0 };
  int fds[2];

  g_assert_no_error (error);
  g_assert_cmpint (pipe (fds), ==, 0);
  options.speed = 10.0;
  options.print_fd = fds[1];
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  tv_clock_set_paused (tv_run_get_clock (run), TRUE);
  /* While the clock stands still neither the sleep nor the work can end. */
  g_assert_false (tv_run_wait_timeout (run, 150));
  tv_clock_set_paused (tv_run_get_clock (run), FALSE);
  tv_run_wait (run);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FINISHED);
  g_assert_cmpint (read (fds[0], buf, sizeof buf - 1), >, 0);
  close (fds[0]);
  close (fds[1]);
  /* The pause (1.5 s of scenario time at speed 10) is no scenario time. */
  g_assert_cmpfloat (g_ascii_strtod (buf, NULL), >=, 0.2);
  g_assert_cmpfloat (g_ascii_strtod (buf, NULL), <, 1.0);
}

typedef struct
{
  guint32 thread;
  gint64  pid;
} FindPid;

static void
find_pid_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  FindPid *f = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].kind == TV_EV_THREAD_OS && events[i].thread == f->thread)
      f->pid = events[i].aux;
}

static void
test_process_killed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "process victim:\n"
                                                      "    forever:\n"
                                                      "        work 1ms\n"
                                                      "        sleep 1ms\n"
                                                      "main:\n"
                                                      "    start victim\n"
                                                      "    join victim\n", -1, NULL, &error);
  g_autoptr(TvRun) run = NULL;
  FindPid f = { 1, 0 };

  g_assert_no_error (error);
  run = tv_run_new (scenario, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  while (f.pid == 0 && !tv_run_wait_timeout (run, 5))
    tv_recorder_drain (tv_run_get_recorder (run), find_pid_cb, &f);
  g_assert_cmpint (f.pid, >, 0);
  g_assert_cmpint (f.pid, !=, getpid ());
  g_assert_cmpint (kill ((pid_t) f.pid, SIGKILL), ==, 0);

  /* The run does not hang on the dead child: it fails and says why. */
  tv_run_wait (run);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FAILED);
  g_assert_cmpint (tv_run_get_error_kind (run), ==, TV_RUN_ERROR_SYSTEM);
  g_assert_nonnull (strstr (tv_run_get_error_message (run), "process 'victim' (pid "));
  g_assert_nonnull (strstr (tv_run_get_error_message (run), "was killed by signal 9"));
}

/* SIGSTOPs `pid` at a moment it does not hold the engine lock (a stopped
 * holder would hang everybody, the test included). */
static void
freeze_child (TvRun *run, pid_t pid)
{
  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
      g_autofree char *stat = NULL;
      const char *state;

      g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
      do
        {
          g_clear_pointer (&stat, g_free);
          g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
          state = strrchr (stat, ')');
          g_assert_nonnull (state);
        }
      while (state[2] != 'T');
      if (pthread_mutex_trylock (&run->sh->lock) == 0)
        {
          pthread_mutex_unlock (&run->sh->lock);
          return;
        }
      g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
      g_usleep (1000);
    }
}

static void
find_pids_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  FindPid *f = user_data;

  find_pid_cb (ring, events, n, &f[0]);
  find_pid_cb (ring, events, n, &f[1]);
}

/* A zombie, or gone: killed (SIGKILL cannot be ignored, even stopped). */
static gboolean
is_dead (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  const char *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  state = strrchr (stat, ')');
  return state == NULL || state[2] == 'Z' || state[2] == 'X';
}

typedef struct
{
  guint n_exits[8];
  guint n_ends;
  guint status;
} EndSeen;

static void
end_seen_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  EndSeen *e = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].kind == TV_EV_THREAD_EXIT && events[i].thread < G_N_ELEMENTS (e->n_exits))
      e->n_exits[events[i].thread]++;
    else if (events[i].kind == TV_EV_RUN_END)
      {
        e->n_ends++;
        e->status = (guint) events[i].arg;
      }
}

/*
 * A process that does not answer the stop (here SIGSTOPped; in life stuck
 * in ASan's allocator after fork, or held by a debugger) is killed after
 * the stop grace and reaped, so that the stopped run still ends, STOPPED,
 * with every thread's exit recorded.  `which` is the thread index of the
 * process's main thread to freeze: 1 = "outer", the runner's own child, 2 =
 * "inner", the child of "outer" (which the runner cannot reap).  No thread
 * is started in a child: ThreadSanitizer forbids it.
 */
static void
test_process_deaf (gconstpointer data)
{
  guint32 which = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "process outer:\n"
                                                      "    start inner\n"
                                                      "    work 100s\n"
                                                      "process inner:\n"
                                                      "    work 100s\n"
                                                      "main:\n"
                                                      "    start outer\n"
                                                      "    join outer\n", -1, NULL, &error);
  g_autoptr(TvRun) run = NULL;
  FindPid outer = { 1, 0 }, inner = { 2, 0 };
  EndSeen seen = { { 0 }, 0, 0 };
  pid_t frozen;
  int status;

  g_assert_no_error (error);
  run = tv_run_new (scenario, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  while ((outer.pid == 0 || inner.pid == 0) && !tv_run_wait_timeout (run, 5))
    {
      FindPid both[2] = { outer, inner };

      tv_recorder_drain (tv_run_get_recorder (run), find_pids_cb, both);
      outer = both[0];
      inner = both[1];
    }
  g_assert_cmpint (outer.pid, >, 0);
  g_assert_cmpint (inner.pid, >, 0);
  g_assert_cmpint (inner.pid, !=, outer.pid);
  frozen = (pid_t) (which == 1 ? outer.pid : inner.pid);
  freeze_child (run, frozen);

  tv_run_stop (run);
  if (!tv_run_wait_timeout (run, 60000))
    {
      kill (frozen, SIGKILL);
      g_error ("a stopped run waited a minute for a process that does not answer");
    }
  tv_recorder_drain (tv_run_get_recorder (run), end_seen_cb, &seen);

  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_STOPPED);
  g_assert_cmpint (tv_run_get_error_kind (run), ==, TV_RUN_ERROR_NONE);
  /* Gone: the frozen process was killed (and its zombie reaped, by us or,
   * for the grandchild, by whoever inherited it). */
  if (which == 1)
    {
      g_assert_cmpint (waitpid (frozen, &status, WNOHANG), ==, -1);
      g_assert_cmpint (errno, ==, ECHILD);
    }
  else
    while (!is_dead (frozen))
      g_usleep (1000);
  /* main, outer, inner: each ended once; the run ended. */
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (seen.n_exits[i], ==, 1);
  g_assert_cmpuint (seen.n_ends, ==, 1);
  g_assert_cmpuint (seen.status, ==, TV_RUN_STOPPED);
}

typedef struct
{
  guint32 thread;
  gint64 pid;
  gboolean exited;
  gboolean ended;
  guint status;
} SeenEnd;

static void
seen_end_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  SeenEnd *e = user_data;

  for (size_t i = 0; i < n; i++)
    if (events[i].kind == TV_EV_THREAD_EXIT && events[i].thread == e->thread)
      e->exited = TRUE;
    else if (events[i].kind == TV_EV_RUN_END)
      {
        e->ended = TRUE;
        e->status = (guint) events[i].arg;
      }
}

static void
pid_and_end_cb (uint32_t ring, const TvEvent *events, size_t n, void *user_data)
{
  SeenEnd *e = user_data;
  FindPid f = { e->thread, 0 };

  find_pid_cb (ring, events, n, &f);
  if (f.pid != 0)
    e->pid = f.pid;
  seen_end_cb (ring, events, n, user_data);
}

/*
 * The trace learns of the end when the run's last thread has ended, not
 * when its last child has left: a child forked from a big process takes
 * long to tear its copy down, and Stop waited for it.  Here "outer" is
 * held (SIGSTOP) after its thread ended, while it waits for "inner", and
 * stays: RUN_END comes anyway, while tv_run_wait() still waits for the
 * reap (a stop then kills it after the grace).
 */
static void
test_end_before_reap (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "process outer:\n"
                                                      "    start inner\n"
                                                      "process inner:\n"
                                                      "    sleep 1s\n"
                                                      "main:\n"
                                                      "    start outer\n"
                                                      "    join outer\n", -1, NULL, &error);
  g_autoptr(TvRun) run = NULL;
  FindPid outer = { 1, 0 };
  SeenEnd seen = { 1, 0, FALSE, FALSE, 0 };
  gint64 end;
  int status;

  g_assert_no_error (error);
  run = tv_run_new (scenario, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  while (!seen.exited)
    {
      g_assert_false (tv_run_wait_timeout (run, 2));
      tv_recorder_drain (tv_run_get_recorder (run), pid_and_end_cb, &seen);
    }
  outer.pid = seen.pid;
  g_assert_false (seen.ended);
  /* Outer's thread has ended: it now waits for inner, holding nothing. */
  freeze_child (run, (pid_t) outer.pid);

  /* Not forever (it was: the end waited for outer). */
  end = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  while (!seen.ended)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_assert_false (tv_run_wait_timeout (run, 2));
      tv_recorder_drain (tv_run_get_recorder (run), seen_end_cb, &seen);
    }
  g_assert_cmpuint (seen.status, ==, TV_RUN_FINISHED);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FINISHED);
  /* Outer is still there (held) and not reaped yet. */
  g_assert_false (tv_run_is_finished (run));
  g_assert_cmpint (kill ((pid_t) outer.pid, 0), ==, 0);

  tv_run_stop (run);
  tv_run_wait (run);
  g_assert_cmpint (waitpid ((pid_t) outer.pid, &status, WNOHANG), ==, -1);
  g_assert_cmpint (errno, ==, ECHILD);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FINISHED);
  g_assert_cmpint (tv_run_get_error_kind (run), ==, TV_RUN_ERROR_NONE);
}

static void
test_notify_all_and_timeouts (void)
{
  g_autoptr(Result) r = run_slow ("condition C\n"
                                  "barrier B 3\n"
                                  "semaphore S 1\n"
                                  "rlock R\n"
                                  "thread w * 2:\n"
                                  "    with C:\n"
                                  "        wait C\n"
                                  "        print \"woke\"\n"
                                  "thread other:\n"
                                  "    acquire R\n"
                                  "    sleep 100ms\n"
                                  "main:\n"
                                  "    start w\n"
                                  "    start other\n"
                                  "    sleep 50ms\n"
                                  "    with C:\n"
                                  "        notify C all\n"
                                  "    join w\n"
                                  "    with C:\n"
                                  "        wait C timeout 10ms\n"
                                  "        print \"cond {acquired}\"\n"
                                  "    wait B timeout 10ms\n"
                                  "    print \"barrier {acquired}\"\n"
                                  "    acquire S\n"
                                  "    acquire S timeout 10ms\n"
                                  "    print \"sem {acquired}\"\n"
                                  "    acquire R timeout 10ms\n"
                                  "    print \"rlock {acquired}\"\n"
                                  "    join other\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==,
                   "woke\nwoke\ncond False\nbarrier False\nsem False\nrlock False\n");
  for (guint k = 1; k <= 2; k++)
    g_assert_cmpuint (find_link (r, TV_LINK_WAKE, k, 0)->aux, ==, 0);
  g_assert_nonnull (find_state (r, 0, TV_STATE_BARRIER));
  g_assert_nonnull (find_state (r, 0, TV_STATE_SEMAPHORE));
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE_FAILED, 0), ==, 2);
}

/* --- the lock fast path ----------------------------------------------------- */

static void
test_lock_hammer (void)
{
  /* Two threads take turns on one lock as fast as they can: the lock must
   * still exclude (no update lost), and every event must be there.  Rings
   * big enough that nothing is dropped between two drains. */
  g_autoptr(Result) r = run_ring ("lock L\n"
                                  "var x = 0\n"
                                  "thread a * 2:\n"
                                  "    repeat 20000:\n"
                                  "        acquire L\n"
                                  "        x += 1\n"
                                  "        release L\n"
                                  "main:\n"
                                  "    start a\n"
                                  "    join a\n"
                                  "    print \"x = {x}\"\n", 10.0, -1, TV_STATE_NEW, 1u << 19);
  guint32 a1 = thread_index (r, "a-1"), a2 = thread_index (r, "a-2");
  guint32 L = object_id (r, "L");
  guint32 held_by[2] = { TV_NO_THREAD, TV_NO_THREAD };

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "x = 40000\n");
  g_assert_cmpuint (tv_trace_get_dropped (r->trace), ==, 0);
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE, a1), ==, 20000);
  g_assert_cmpuint (count_events (r, TV_EV_RELEASE, a2), ==, 20000);
  g_assert_cmpuint (count_events (r, TV_EV_VAR_WRITE, TV_NO_THREAD), ==, 40000);

  for (guint i = 0; i < r->events->len; i++)
    {
      const TvEvent *e = &g_array_index (r->events, Ev, i).event;
      guint k = e->thread == a1 ? 0 : 1;

      if (e->object != L || (e->thread != a1 && e->thread != a2))
        continue;
      if (e->kind == TV_EV_ACQUIRE)
        {
          /* Each thread alternates acquire and release (its own order). */
          g_assert_cmpuint (held_by[k], ==, TV_NO_THREAD);
          held_by[k] = e->thread;
          /* A thread that found the lock held waited for the other one's
           * release: with two threads, the releaser is always the other. */
          if (e->aux != TV_NO_THREAD)
            g_assert_cmpuint (e->aux, ==, k == 0 ? a2 : a1);
        }
      else if (e->kind == TV_EV_RELEASE)
        {
          g_assert_cmpuint (held_by[k], ==, e->thread);
          g_assert_cmpint (e->arg, ==, 0);
          held_by[k] = TV_NO_THREAD;
        }
    }
  /* Every wait recorded ends: as many STATE(LOCK) as waited acquires. */
  for (guint k = 0; k < 2; k++)
    {
      guint32 t = k == 0 ? a1 : a2;
      guint waits = 0, waited = 0;

      for (guint i = 0; i < r->events->len; i++)
        {
          const TvEvent *e = &g_array_index (r->events, Ev, i).event;

          if (e->thread != t)
            continue;
          if (e->kind == TV_EV_STATE && e->arg == TV_STATE_LOCK)
            waits++;
          if (e->kind == TV_EV_ACQUIRE && e->aux != TV_NO_THREAD)
            waited++;
        }
      g_assert_cmpuint (waits, ==, waited);
    }
}

static void
test_wake_not_lost (void)
{
  /* Three threads take turns on a lock, an rlock and a binary semaphore as
   * fast as they can, so that the slow path's waits and wake-ups come by
   * the thousand: a release wakes one waiter only while none is on its way
   * (wake_waiter()), and a wake that reached nobody, or one swallowed by a
   * waiter that found the object taken again, must not leave the others
   * asleep for good.  A run that hangs is stopped after 20 s and fails. */
  g_autoptr(Result) r = run_ring ("lock L\n"
                                  "rlock R\n"
                                  "semaphore S 1\n"
                                  "var x = 0\n"
                                  "var y = 0\n"
                                  "var z = 0\n"
                                  "thread t * 3:\n"
                                  "    repeat 30000:\n"
                                  "        acquire L\n"
                                  "        x += 1\n"
                                  "        release L\n"
                                  "    repeat 30000:\n"
                                  "        acquire R\n"
                                  "        y += 1\n"
                                  "        release R\n"
                                  "    repeat 30000:\n"
                                  "        acquire S\n"
                                  "        z += 1\n"
                                  "        release S\n"
                                  "main:\n"
                                  "    start t\n"
                                  "    join t\n"
                                  "    print \"{x} {y} {z}\"\n", 10.0, 20000, TV_STATE_RUNNING, 1u << 19);

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "90000 90000 90000\n");
  g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE, TV_NO_THREAD), ==, 270000);
}

static void
test_semaphore_releases_wake_all (void)
{
  /* Two waiters asleep on a semaphore, then two releases in a row: the
   * second comes while the first one's wake is still on its way, and
   * sends none (wake_waiter()).  The woken waiter must pass the wake on,
   * since a unit is left, even though it got one itself: otherwise the
   * last round leaves a unit and a waiter asleep for good.  Forty waiters,
   * twenty rounds; a run that hangs is stopped after 10 s and fails. */
  g_autoptr(Result) r = run_full ("semaphore S 0\n"
                                  "var n = 0\n"
                                  "thread c * 40:\n"
                                  "    acquire S\n"
                                  "    n += 1\n"
                                  "main:\n"
                                  "    start c\n"
                                  "    repeat 20:\n"
                                  "        sleep 20ms\n"
                                  "        release S\n"
                                  "        release S\n"
                                  "    join c\n"
                                  "    print \"{n}\"\n", 10.0, 10000, TV_STATE_RUNNING);

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "40\n");
}

static void
test_semaphore_hammer (void)
{
  /* A binary semaphore used as a lock by three threads as fast as they
   * can: it must still exclude, and every wait must say who let it in. */
  g_autoptr(Result) r = run_ring ("semaphore S 1\n"
                                  "var x = 0\n"
                                  "thread a * 3:\n"
                                  "    repeat 10000:\n"
                                  "        acquire S\n"
                                  "        x += 1\n"
                                  "        release S\n"
                                  "main:\n"
                                  "    start a\n"
                                  "    join a\n"
                                  "    print \"x = {x}\"\n", 10.0, -1, TV_STATE_NEW, 1u << 19);
  guint32 S = object_id (r, "S");

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "x = 30000\n");
  g_assert_cmpuint (tv_trace_get_dropped (r->trace), ==, 0);
  for (guint k = 1; k <= 3; k++)
    {
      guint waits = 0, waited = 0;

      g_assert_cmpuint (count_events (r, TV_EV_ACQUIRE, k), ==, 10000);
      g_assert_cmpuint (count_events (r, TV_EV_RELEASE, k), ==, 10000);
      for (guint i = 0; i < r->events->len; i++)
        {
          const TvEvent *e = &g_array_index (r->events, Ev, i).event;

          if (e->thread != k)
            continue;
          if (e->kind == TV_EV_STATE && e->arg == TV_STATE_SEMAPHORE)
            {
              g_assert_cmpuint (e->object, ==, S);
              waits++;
            }
          if (e->kind == TV_EV_ACQUIRE && e->aux != TV_NO_THREAD)
            {
              /* Let in by another thread's release, never its own. */
              g_assert_cmpuint (e->aux, !=, k);
              g_assert_cmpuint (e->aux, >=, 1);
              g_assert_cmpuint (e->aux, <=, 3);
              waited++;
            }
        }
      g_assert_cmpuint (waits, ==, waited);
    }
}

static void
test_release_held_by_other (void)
{
  g_autoptr(Result) r = run_slow ("lock L\n"
                                  "event E\n"
                                  "def let_go:\n"
                                  "    release L\n"
                                  "thread a:\n"
                                  "    acquire L\n"
                                  "    set E\n"
                                  "    sleep 10s\n"
                                  "main:\n"
                                  "    start a\n"
                                  "    wait E\n"
                                  "    call let_go\n");

  g_assert_cmpint (r->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (r->error_kind, ==, TV_RUN_ERROR_NOT_HELD);
  g_assert_true (g_str_has_prefix (r->message,
                                   "test.tvs:4:5: release of lock 'L' that thread "
                                   "'MainThread' does not hold (thread 'a' holds it)\n"));
  /* Nothing was released. */
  g_assert_cmpuint (count_events (r, TV_EV_RELEASE, TV_NO_THREAD), ==, 0);
}

static void
test_rlock_waits_for_last_release (void)
{
  /* b waits for a's rlock until a's outer release, not its inner one. */
  g_autoptr(Result) r = run_slow ("rlock R\n"
                                  "event E\n"
                                  "thread a:\n"
                                  "    with R:\n"
                                  "        with R:\n"
                                  "            set E\n"
                                  "            sleep 50ms\n"
                                  "        sleep 50ms\n"
                                  "thread b:\n"
                                  "    wait E\n"
                                  "    with R:\n"
                                  "        print \"b has R\"\n");
  guint32 a = thread_index (r, "a"), b = thread_index (r, "b");
  const TvEvent *inner = find_event (r, TV_EV_RELEASE, a, 0);
  const TvEvent *outer = find_event (r, TV_EV_RELEASE, a, 1);
  const TvEvent *acq = find_event (r, TV_EV_ACQUIRE, b, 0);

  g_assert_cmpint (r->status, ==, TV_RUN_FINISHED);
  g_assert_cmpstr (r->output->str, ==, "b has R\n");
  g_assert_cmpint (inner->arg, ==, 1);
  g_assert_cmpint (outer->arg, ==, 0);
  g_assert_nonnull (find_state (r, b, TV_STATE_LOCK));
  g_assert_cmpuint (acq->aux, ==, a);
  g_assert_cmpint (acq->arg, ==, outer->time);
  g_assert_cmpint (acq->time, >=, outer->time);
}

/* --- a thread's end is never dropped ----------------------------------------- */

static void
test_exit_kept (void)
{
  /* A thread records flat out into a tiny ring nobody drains until the
   * end: its ring is full when it ends, and its THREAD_EXIT must still
   * reach the trace. */
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "var x = 0\n"
                                                      "thread spinner:\n"
                                                      "    forever:\n"
                                                      "        x += 1\n"
                                                      "main:\n"
                                                      "    start spinner\n"
                                                      "    join spinner\n",
                                                      -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceThread *spinner;
  TvRecorder *recorder;
  TvRun *run;

  g_assert_no_error (error);
  options.print_fd = -1;
  options.ring_capacity = 64;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  recorder = tv_run_get_recorder (run);
  while (tv_recorder_get_dropped (recorder) == 0)
    g_usleep (1000);
  tv_run_stop (run);
  tv_run_wait (run);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_STOPPED);

  tv_trace_drain (trace, recorder);
  g_assert_cmpuint (tv_trace_get_dropped (trace), >, 0);
  spinner = tv_trace_find_thread (trace, "spinner");
  g_assert_nonnull (spinner);
  g_assert_cmpint (spinner->ended, >=, 0);
  g_assert_cmpint (tv_trace_find_thread (trace, "MainThread")->ended, >=, 0);
  tv_run_free (run);
}

static void
test_closed_output (void)
{
  /* The reader of the printed lines is gone: the run goes on, the lines
   * are still recorded, and nobody dies of SIGPIPE. */
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_parse ("test.tvs",
                                                      "main:\n"
                                                      "    repeat 3:\n"
                                                      "        print \"line {i}\"\n", -1, NULL, &error);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  int fds[2];

  g_assert_no_error (error);
  g_assert_cmpint (pipe (fds), ==, 0);
  close (fds[0]);
  options.print_fd = fds[1];
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  tv_run_wait (run);
  close (fds[1]);
  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FINISHED);
  tv_trace_drain (trace, tv_run_get_recorder (run));
  g_assert_cmpuint (tv_trace_get_prints (trace)->len, ==, 3);
  g_assert_cmpstr (g_array_index (tv_trace_get_prints (trace), TvPrint, 2).text, ==, "line 3");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/engine/hello", test_hello);
  g_test_add_func ("/tv/engine/object-ids", test_object_ids);
  g_test_add_func ("/tv/engine/lock-blocks", test_lock_blocks);
  g_test_add_func ("/tv/engine/race", test_race);
  g_test_add_func ("/tv/engine/queue", test_queue);
  g_test_add_func ("/tv/engine/deadlock", test_deadlock);
  g_test_add_func ("/tv/engine/join-cycle", test_join_cycle);
  g_test_add_func ("/tv/engine/stall", test_stall);
  g_test_add_func ("/tv/engine/stop-forever", test_stop_forever);
  g_test_add_func ("/tv/engine/stop-undetected", test_stop_undetected);
  g_test_add_func ("/tv/engine/nice", test_nice);
  g_test_add_func ("/tv/engine/stop-waiting-for-room", test_stop_waiting_for_room);
  g_test_add_func ("/tv/engine/stop-keeps-events-drained", test_stop_keeps_events_drained);
  g_test_add_func ("/tv/engine/release-not-held", test_release_not_held);
  g_test_add_func ("/tv/engine/runtime-errors", test_runtime_errors);
  g_test_add_func ("/tv/engine/timeouts", test_timeouts);
  g_test_add_func ("/tv/engine/rlock", test_rlock);
  g_test_add_func ("/tv/engine/semaphore", test_semaphore);
  g_test_add_func ("/tv/engine/barrier", test_barrier_order);
  g_test_add_func ("/tv/engine/event", test_event);
  g_test_add_func ("/tv/engine/condition", test_condition);
  g_test_add_func ("/tv/engine/notify-all-and-timeouts", test_notify_all_and_timeouts);
  g_test_add_func ("/tv/engine/spawn-call-rename", test_spawn_call_rename);
  g_test_add_func ("/tv/engine/threading-api", test_threading_api);
  g_test_add_func ("/tv/engine/stopwatch", test_stopwatch);
  g_test_add_func ("/tv/engine/gil", test_gil);
  g_test_add_func ("/tv/engine/gil-after-lock-wait", test_gil_after_lock_wait);
  g_test_add_func ("/tv/engine/queue-join", test_queue_join);
  g_test_add_func ("/tv/engine/speed", test_speed);
  g_test_add_func ("/tv/engine/pause", test_pause);
  g_test_add_func ("/tv/engine/never-started", test_never_started);
  g_test_add_func ("/tv/engine/closed-output", test_closed_output);
  g_test_add_func ("/tv/engine/lock-hammer", test_lock_hammer);
  g_test_add_func ("/tv/engine/semaphore-hammer", test_semaphore_hammer);
  g_test_add_func ("/tv/engine/wake-not-lost", test_wake_not_lost);
  g_test_add_func ("/tv/engine/semaphore-releases-wake-all", test_semaphore_releases_wake_all);
  g_test_add_func ("/tv/engine/release-held-by-other", test_release_held_by_other);
  g_test_add_func ("/tv/engine/rlock-waits-for-last-release", test_rlock_waits_for_last_release);
  g_test_add_func ("/tv/engine/exit-kept", test_exit_kept);
  g_test_add_func ("/tv/engine/processes", test_processes);
  g_test_add_func ("/tv/engine/process-stop", test_process_stop);
  g_test_add_func ("/tv/engine/process-deadlock", test_process_deadlock);
  g_test_add_func ("/tv/engine/process-killed", test_process_killed);
  g_test_add_data_func ("/tv/engine/process-deaf-child", GUINT_TO_POINTER (1),
                        test_process_deaf);
  g_test_add_func ("/tv/engine/end-before-reap", test_end_before_reap);
  g_test_add_data_func ("/tv/engine/process-deaf-grandchild", GUINT_TO_POINTER (2),
                        test_process_deaf);

  return g_test_run ();
}
