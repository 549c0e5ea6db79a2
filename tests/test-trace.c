/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-trace.c: the trace model, fed with hand-made event sequences.
 */

#include "config.h"

#include <glib-object.h>
#include <pthread.h>
#include <sched.h>

#include "tv-clock.h"

#include "tv-trace.h"
#include "tv-trace-summary.h"
#include "tv-capture-writer.h"
#include "tv-collector.h"

#define NT TV_NO_THREAD

static void
add (TvTrace    *trace,
     TvEventKind kind,
     gint64      time,
     guint32     thread,
     guint32     object,
     gint64      arg,
     guint32     aux,
     guint16     line,
     const char *text)
{
  TvEvent event = { time, arg, thread, object, aux, kind, line };

  tv_trace_add_event (trace, &event, text);
}

/* Shorthands for the common kinds. */
#define NEW_THREAD(tr, t, th, name) add (tr, TV_EV_THREAD_NEW, t, th, 0, 0, NT, 0, name)
#define STATE(tr, t, th, st, obj, ln) add (tr, TV_EV_STATE, t, th, obj, st, 0, ln, NULL)
#define NEW_OBJECT(tr, t, id, kind, name) add (tr, TV_EV_OBJECT_NEW, t, 0, id, 0, kind, 0, name)

static const TvSpan *
span (const TvTraceThread *thread,
      guint                i)
{
  g_assert_cmpuint (i, <, thread->spans->len);
  return &g_array_index (thread->spans, TvSpan, i);
}

static void
assert_span (const TvTraceThread *thread,
             guint                i,
             gint64               start,
             TvThreadState        state,
             guint32              object)
{
  const TvSpan *s = span (thread, i);

  g_assert_cmpint (s->start, ==, start);
  g_assert_cmpstr (tv_thread_state_to_string (s->state), ==, tv_thread_state_to_string (state));
  g_assert_cmpuint (s->object, ==, object);
}

static void
assert_points (GArray       *points,
               const gint64 *expected,
               guint         n_pairs)
{
  g_assert_cmpuint (points->len, ==, n_pairs);
  for (guint i = 0; i < n_pairs; i++)
    {
      g_assert_cmpint (g_array_index (points, TvCounterPoint, i).time, ==, expected[2 * i]);
      g_assert_cmpint (g_array_index (points, TvCounterPoint, i).value, ==, expected[2 * i + 1]);
    }
}

static void
test_empty (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();

  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 0);
  g_assert_cmpuint (tv_trace_get_n_objects (trace), ==, 0);
  g_assert_null (tv_trace_get_thread (trace, 0));
  g_assert_null (tv_trace_get_object (trace, 0));
  g_assert_null (tv_trace_get_object (trace, 1));
  g_assert_null (tv_trace_find_thread (trace, "main"));
  g_assert_null (tv_trace_find_object (trace, "lock"));
  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 0);
  g_assert_false (tv_trace_is_finished (trace));
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 0);
  g_assert_cmpuint (tv_trace_get_links (trace)->len, ==, 0);
  g_assert_cmpuint (tv_trace_get_prints (trace)->len, ==, 0);
  g_assert_cmpuint (tv_trace_get_problems (trace)->len, ==, 0);
  g_assert_null (tv_trace_get_title (trace));
  tv_trace_set_title (trace, "Deadlock");
  g_assert_cmpstr (tv_trace_get_title (trace), ==, "Deadlock");
  g_assert_finalize_object (g_steal_pointer (&trace));
}

static void
test_thread_life (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceThread *t;
  const TvLink *link;

  /* Compact: a million spans must fit in 24 MB. */
  g_assert_cmpuint (sizeof (TvSpan), ==, 24);

  add (trace, TV_EV_THREAD_NEW, 0, 1, 5, 0, 0, 3, "worker");
  add (trace, TV_EV_THREAD_START, 100, 1, 0, 90, 0, 9, NULL);
  add (trace, TV_EV_THREAD_OS, 101, 1, 0, 4321, 4300, 0, NULL);
  STATE (trace, 200, 1, TV_STATE_SLEEPING, 0, 4);
  STATE (trace, 300, 1, TV_STATE_RUNNING, 0, 4);
  add (trace, TV_EV_THREAD_EXIT, 400, 1, 0, 0, 0, 5, NULL);

  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 2);
  g_assert_null (tv_trace_get_thread (trace, 0));
  t = tv_trace_get_thread (trace, 1);
  g_assert_nonnull (t);
  g_assert_cmpuint (t->index, ==, 1);
  g_assert_cmpstr (t->name, ==, "worker");
  g_assert_cmpstr (t->initial_name, ==, "worker");
  g_assert_cmpuint (t->process, ==, 5);
  g_assert_cmpint (t->tid, ==, 4321);
  g_assert_cmpint (t->pid, ==, 4300);
  g_assert_cmpint (t->created, ==, 0);
  g_assert_cmpint (t->started, ==, 100);
  g_assert_cmpint (t->ended, ==, 400);

  g_assert_cmpuint (t->spans->len, ==, 5);
  assert_span (t, 0, 0, TV_STATE_NEW, 0);
  assert_span (t, 1, 100, TV_STATE_RUNNING, 0);
  assert_span (t, 2, 200, TV_STATE_SLEEPING, 0);
  g_assert_cmpuint (span (t, 2)->line, ==, 4);
  assert_span (t, 3, 300, TV_STATE_RUNNING, 0);
  assert_span (t, 4, 400, TV_STATE_TERMINATED, 0);

  g_assert_cmpint (tv_trace_thread_state_at (t, -10), ==, TV_STATE_NEW);
  g_assert_cmpint (tv_trace_thread_state_at (t, 50), ==, TV_STATE_NEW);
  g_assert_cmpint (tv_trace_thread_state_at (t, 100), ==, TV_STATE_RUNNING);
  g_assert_cmpint (tv_trace_thread_state_at (t, 250), ==, TV_STATE_SLEEPING);
  g_assert_cmpint (tv_trace_thread_state_at (t, 399), ==, TV_STATE_RUNNING);
  g_assert_cmpint (tv_trace_thread_state_at (t, 5000), ==, TV_STATE_TERMINATED);

  /* The start link comes from the starter (thread 0) at the time it called
   * start, and does not make thread 0 exist. */
  g_assert_cmpuint (tv_trace_get_links (trace)->len, ==, 1);
  link = &g_array_index (tv_trace_get_links (trace), TvLink, 0);
  g_assert_cmpint (link->kind, ==, TV_LINK_START);
  g_assert_cmpuint (link->from_thread, ==, 0);
  g_assert_cmpint (link->from_time, ==, 90);
  g_assert_cmpuint (link->to_thread, ==, 1);
  g_assert_cmpint (link->to_time, ==, 100);

  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 400);
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 6);
}

static void
test_merge (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceThread *t;

  add (trace, TV_EV_THREAD_START, 0, 0, 0, 0, NT, 1, NULL);
  STATE (trace, 10, 0, TV_STATE_RUNNING, 0, 2);
  /* An acquire that did not wait: still running, no new span. */
  add (trace, TV_EV_ACQUIRE, 20, 0, 1, 0, NT, 3, NULL);
  STATE (trace, 30, 0, TV_STATE_LOCK, 2, 4);
  STATE (trace, 40, 0, TV_STATE_LOCK, 2, 4);
  STATE (trace, 50, 0, TV_STATE_LOCK, 3, 5);
  /* Two joins of different threads are two spans. */
  add (trace, TV_EV_STATE, 60, 0, 0, TV_STATE_JOIN, 7, 6, NULL);
  add (trace, TV_EV_STATE, 70, 0, 0, TV_STATE_JOIN, 7, 6, NULL);
  add (trace, TV_EV_STATE, 80, 0, 0, TV_STATE_JOIN, 8, 7, NULL);

  t = tv_trace_get_thread (trace, 0);
  g_assert_cmpuint (t->spans->len, ==, 5);
  assert_span (t, 0, 0, TV_STATE_RUNNING, 0);
  g_assert_cmpuint (span (t, 0)->line, ==, 1);
  assert_span (t, 1, 30, TV_STATE_LOCK, 2);
  assert_span (t, 2, 50, TV_STATE_LOCK, 3);
  assert_span (t, 3, 60, TV_STATE_JOIN, 0);
  g_assert_cmpuint (span (t, 3)->aux, ==, 7);
  assert_span (t, 4, 80, TV_STATE_JOIN, 0);
  g_assert_cmpuint (span (t, 4)->aux, ==, 8);

  /* Made lazily: a default name, no creation event. */
  g_assert_cmpstr (t->name, ==, "thread 0");
  g_assert_cmpint (t->pid, ==, -1);
}

static void
test_lock (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceObject *lock;
  const TvHold *hold;
  const TvLink *link;
  static const gint64 waiters[] = { 20, 1, 31, 0 };

  NEW_OBJECT (trace, 0, 1, TV_OBJ_LOCK, "L");
  NEW_THREAD (trace, 0, 1, "one");
  NEW_THREAD (trace, 0, 2, "two");
  add (trace, TV_EV_ACQUIRE, 10, 1, 1, 0, NT, 6, NULL);
  STATE (trace, 20, 2, TV_STATE_LOCK, 1, 7);
  add (trace, TV_EV_RELEASE, 30, 1, 1, 0, 0, 8, NULL);
  add (trace, TV_EV_ACQUIRE, 31, 2, 1, 30, 1, 7, NULL);
  add (trace, TV_EV_RELEASE, 40, 2, 1, 0, 0, 9, NULL);
  add (trace, TV_EV_ACQUIRE, 50, 1, 1, 0, NT, 10, NULL);

  lock = tv_trace_find_object (trace, "L");
  g_assert_nonnull (lock);
  g_assert_true (lock == tv_trace_get_object (trace, 1));
  g_assert_cmpint (lock->kind, ==, TV_OBJ_LOCK);
  g_assert_cmpuint (lock->holds->len, ==, 3);
  hold = &g_array_index (lock->holds, TvHold, 0);
  g_assert_cmpint (hold->start, ==, 10);
  g_assert_cmpint (hold->end, ==, 30);
  g_assert_cmpuint (hold->thread, ==, 1);
  g_assert_cmpuint (hold->line, ==, 6);
  hold = &g_array_index (lock->holds, TvHold, 1);
  g_assert_cmpint (hold->start, ==, 31);
  g_assert_cmpint (hold->end, ==, 40);
  g_assert_cmpuint (hold->thread, ==, 2);
  g_assert_cmpuint (hold->line, ==, 7);
  hold = &g_array_index (lock->holds, TvHold, 2);
  g_assert_cmpint (hold->start, ==, 50);
  g_assert_cmpint (hold->end, ==, -1);

  assert_points (lock->waiters, waiters, 2);

  /* Only the acquire that waited is "unblocked by". */
  g_assert_cmpuint (tv_trace_get_links (trace)->len, ==, 1);
  link = &g_array_index (tv_trace_get_links (trace), TvLink, 0);
  g_assert_cmpint (link->kind, ==, TV_LINK_UNBLOCK);
  g_assert_cmpuint (link->from_thread, ==, 1);
  g_assert_cmpint (link->from_time, ==, 30);
  g_assert_cmpuint (link->to_thread, ==, 2);
  g_assert_cmpint (link->to_time, ==, 31);
  g_assert_cmpuint (link->object, ==, 1);

  g_assert_cmpint (tv_trace_thread_state_at (tv_trace_get_thread (trace, 2), 25), ==, TV_STATE_LOCK);
  g_assert_cmpint (tv_trace_thread_state_at (tv_trace_get_thread (trace, 2), 35), ==, TV_STATE_RUNNING);
  g_assert_cmpuint (tv_trace_get_n_objects (trace), ==, 1);
}

static void
test_rlock_and_semaphore (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceObject *rlock, *sem;

  NEW_OBJECT (trace, 0, 1, TV_OBJ_RLOCK, "R");
  add (trace, TV_EV_ACQUIRE, 10, 0, 1, 0, NT, 0, NULL);
  add (trace, TV_EV_ACQUIRE, 20, 0, 1, 0, NT, 0, NULL);
  add (trace, TV_EV_RELEASE, 30, 0, 1, 1, 0, 0, NULL);
  rlock = tv_trace_get_object (trace, 1);
  g_assert_cmpuint (rlock->holds->len, ==, 1);
  g_assert_cmpint (g_array_index (rlock->holds, TvHold, 0).end, ==, -1);
  add (trace, TV_EV_RELEASE, 40, 0, 1, 0, 0, 0, NULL);
  g_assert_cmpint (g_array_index (rlock->holds, TvHold, 0).start, ==, 10);
  g_assert_cmpint (g_array_index (rlock->holds, TvHold, 0).end, ==, 40);

  /* A semaphore released by another thread ends the oldest hold. */
  NEW_OBJECT (trace, 0, 2, TV_OBJ_SEMAPHORE, "S");
  add (trace, TV_EV_ACQUIRE, 50, 1, 2, 0, NT, 0, NULL);
  add (trace, TV_EV_ACQUIRE, 60, 2, 2, 0, NT, 0, NULL);
  add (trace, TV_EV_RELEASE, 70, 3, 2, 0, 0, 0, NULL);
  sem = tv_trace_get_object (trace, 2);
  g_assert_cmpuint (sem->holds->len, ==, 2);
  g_assert_cmpint (g_array_index (sem->holds, TvHold, 0).end, ==, 70);
  g_assert_cmpint (g_array_index (sem->holds, TvHold, 1).end, ==, -1);
  add (trace, TV_EV_RELEASE, 80, 2, 2, 0, 0, 0, NULL);
  g_assert_cmpint (g_array_index (sem->holds, TvHold, 1).end, ==, 80);
}

static void
test_queue (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceObject *queue;
  const TvLink *link;
  static const gint64 depth[] = { 10, 1, 20, 2, 30, 1, 40, 0 };
  static const gint64 waiters[] = { 5, 1, 10, 0, 41, 1 };

  NEW_OBJECT (trace, 0, 3, TV_OBJ_QUEUE, "q");
  NEW_THREAD (trace, 0, 0, "producer");
  NEW_THREAD (trace, 0, 1, "consumer");
  STATE (trace, 5, 1, TV_STATE_QUEUE_EMPTY, 3, 12);
  add (trace, TV_EV_QUEUE_PUT, 10, 0, 3, 100, 1, 4, NULL);
  STATE (trace, 10, 1, TV_STATE_RUNNING, 0, 12);
  add (trace, TV_EV_QUEUE_PUT, 20, 0, 3, 101, 2, 4, NULL);
  add (trace, TV_EV_QUEUE_GET, 30, 1, 3, 100, 1, 12, NULL);
  add (trace, TV_EV_LINK, 30, 1, 3, 10, 0, TV_LINK_ITEM, NULL);
  add (trace, TV_EV_QUEUE_GET, 40, 1, 3, 101, 0, 12, NULL);
  add (trace, TV_EV_LINK, 40, 1, 3, 20, 0, TV_LINK_ITEM, NULL);
  STATE (trace, 41, 1, TV_STATE_QUEUE_EMPTY, 3, 12);

  queue = tv_trace_find_object (trace, "q");
  assert_points (queue->depth, depth, 4);
  assert_points (queue->waiters, waiters, 3);
  g_assert_cmpuint (queue->holds->len, ==, 0);

  g_assert_cmpuint (tv_trace_get_links (trace)->len, ==, 2);
  link = &g_array_index (tv_trace_get_links (trace), TvLink, 1);
  g_assert_cmpint (link->kind, ==, TV_LINK_ITEM);
  g_assert_cmpuint (link->from_thread, ==, 0);
  g_assert_cmpint (link->from_time, ==, 20);
  g_assert_cmpuint (link->to_thread, ==, 1);
  g_assert_cmpint (link->to_time, ==, 40);
  g_assert_cmpuint (link->object, ==, 3);
}

static void
test_join_link (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvLink *link;
  const TvTraceThread *main_thread;

  NEW_THREAD (trace, 0, 0, "main");
  NEW_THREAD (trace, 0, 2, "Thread-2");
  add (trace, TV_EV_STATE, 10, 0, 0, TV_STATE_JOIN, 2, 8, NULL);
  add (trace, TV_EV_THREAD_EXIT, 50, 2, 0, 0, 0, 0, NULL);
  add (trace, TV_EV_LINK, 51, 0, 0, 50, 2, TV_LINK_JOIN, NULL);
  STATE (trace, 51, 0, TV_STATE_RUNNING, 0, 8);
  /* A link kind out of range is ignored. */
  add (trace, TV_EV_LINK, 52, 0, 0, 50, 2, 99, NULL);

  g_assert_cmpuint (tv_trace_get_links (trace)->len, ==, 1);
  link = &g_array_index (tv_trace_get_links (trace), TvLink, 0);
  g_assert_cmpint (link->kind, ==, TV_LINK_JOIN);
  g_assert_cmpuint (link->from_thread, ==, 2);
  g_assert_cmpint (link->from_time, ==, 50);
  g_assert_cmpuint (link->to_thread, ==, 0);
  g_assert_cmpint (link->to_time, ==, 51);

  main_thread = tv_trace_find_thread (trace, "main");
  assert_span (main_thread, 1, 10, TV_STATE_JOIN, 0);
  g_assert_cmpuint (span (main_thread, 1)->aux, ==, 2);
  g_assert_cmpint (tv_trace_thread_state_at (tv_trace_get_thread (trace, 2), 60), ==, TV_STATE_TERMINATED);
}

static void
test_accesses (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceObject *var;
  const TvAccess *a;

  NEW_OBJECT (trace, 0, 4, TV_OBJ_VAR, "counter");
  add (trace, TV_EV_VAR_READ, 10, 1, 4, 0, 0, 3, NULL);
  add (trace, TV_EV_VAR_READ, 11, 2, 4, 0, 0, 3, NULL);
  add (trace, TV_EV_VAR_WRITE, 12, 1, 4, 1, 0, 3, NULL);
  add (trace, TV_EV_VAR_WRITE, 13, 2, 4, 1, 0, 3, NULL);

  var = tv_trace_find_object (trace, "counter");
  g_assert_cmpint (var->kind, ==, TV_OBJ_VAR);
  g_assert_cmpuint (var->accesses->len, ==, 4);
  a = &g_array_index (var->accesses, TvAccess, 1);
  g_assert_cmpint (a->time, ==, 11);
  g_assert_cmpuint (a->thread, ==, 2);
  g_assert_false (a->write);
  g_assert_cmpint (a->value, ==, 0);
  a = &g_array_index (var->accesses, TvAccess, 3);
  g_assert_true (a->write);
  g_assert_cmpint (a->value, ==, 1);
  g_assert_cmpuint (a->line, ==, 3);
}

static void
test_prints_order (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  GArray *prints;
  static const char *expected[] = { "a", "b", "c", "d" };

  add (trace, TV_EV_PRINT, 30, 0, 0, 0, 0, 1, "d");
  add (trace, TV_EV_PRINT, 10, 1, 0, 0, 0, 2, "a");
  add (trace, TV_EV_PRINT, 20, 2, 0, 0, 0, 3, "b");
  /* Same time as "b": after it, in order of arrival. */
  add (trace, TV_EV_PRINT, 20, 0, 0, 0, 0, 4, "c");

  prints = tv_trace_get_prints (trace);
  g_assert_cmpuint (prints->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (g_array_index (prints, TvPrint, i).text, ==, expected[i]);
  g_assert_cmpuint (g_array_index (prints, TvPrint, 2).thread, ==, 0);
  g_assert_cmpuint (g_array_index (prints, TvPrint, 2).line, ==, 4);
}

static void
test_problems (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  GArray *problems;
  const TvProblem *p;

  add (trace, TV_EV_DEADLOCK, 100, 1, 5, 0, 2, 7, NULL);
  add (trace, TV_EV_DEADLOCK, 100, 2, 6, 0, 1, 12, NULL);
  add (trace, TV_EV_RUN_ERROR, 100, 1, 0, 0, 1, 7, "deadlock: ...");
  add (trace, TV_EV_RUN_END, 101, NT, 0, 4, 0, 0, NULL);

  problems = tv_trace_get_problems (trace);
  g_assert_cmpuint (problems->len, ==, 3);
  p = &g_array_index (problems, TvProblem, 0);
  g_assert_true (p->deadlock);
  g_assert_cmpuint (p->thread, ==, 1);
  g_assert_cmpuint (p->object, ==, 5);
  g_assert_cmpuint (p->holder, ==, 2);
  g_assert_cmpuint (p->line, ==, 7);
  g_assert_null (p->message);
  p = &g_array_index (problems, TvProblem, 1);
  g_assert_cmpuint (p->holder, ==, 1);
  g_assert_cmpuint (p->line, ==, 12);
  p = &g_array_index (problems, TvProblem, 2);
  g_assert_false (p->deadlock);
  g_assert_cmpuint (p->error_kind, ==, 1);
  g_assert_cmpstr (p->message, ==, "deadlock: ...");

  g_assert_true (tv_trace_is_finished (trace));
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, 4);
  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 101);
}

static void
test_renames (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceThread *t;

  NEW_THREAD (trace, 0, 1, "Thread-1");
  add (trace, TV_EV_THREAD_NAME, 50, 1, 0, 0, 0, 3, "worker");
  add (trace, TV_EV_THREAD_NAME, 90, 1, 0, 0, 0, 4, "boss");
  /* A rename that arrives late goes in its place; the name stays the last. */
  add (trace, TV_EV_THREAD_NAME, 70, 1, 0, 0, 0, 4, "middle");

  t = tv_trace_get_thread (trace, 1);
  g_assert_cmpstr (t->name, ==, "boss");
  g_assert_cmpstr (t->initial_name, ==, "Thread-1");
  g_assert_cmpuint (t->renames->len, ==, 3);
  g_assert_cmpstr (g_array_index (t->renames, TvRename, 0).name, ==, "worker");
  g_assert_cmpstr (g_array_index (t->renames, TvRename, 1).name, ==, "middle");
  g_assert_cmpint (g_array_index (t->renames, TvRename, 1).time, ==, 70);
  g_assert_true (tv_trace_find_thread (trace, "Thread-1") == t);
  g_assert_true (tv_trace_find_thread (trace, "boss") == t);
  g_assert_null (tv_trace_find_thread (trace, "worker"));

  /* Objects made lazily get their name when OBJECT_NEW comes. */
  add (trace, TV_EV_ACQUIRE, 10, 1, 9, 0, NT, 0, NULL);
  g_assert_cmpstr (tv_trace_get_object (trace, 9)->name, ==, "object 9");
  g_assert_cmpint (tv_trace_get_object (trace, 9)->kind, ==, TV_OBJ_NONE);
  NEW_OBJECT (trace, 0, 9, TV_OBJ_LOCK, "late");
  g_assert_true (tv_trace_find_object (trace, "late") == tv_trace_get_object (trace, 9));
  g_assert_cmpint (tv_trace_get_object (trace, 9)->kind, ==, TV_OBJ_LOCK);
  g_assert_cmpuint (tv_trace_get_n_objects (trace), ==, 9);
  g_assert_null (tv_trace_get_object (trace, 3));
}

static void
test_out_of_order (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  const TvTraceThread *t;
  const TvTraceObject *lock;
  static const gint64 waiters1[] = { 10, 1, 20, 2, 30, 1, 40, 0 };
  static const gint64 waiters3[] = { 60, 1, 100, 0 };

  /* The thread's own events came in an earlier drain than its creation,
   * which another thread's ring carried. */
  add (trace, TV_EV_THREAD_START, 100, 1, 0, 95, 0, 0, NULL);
  NEW_THREAD (trace, 50, 1, "late");
  t = tv_trace_get_thread (trace, 1);
  g_assert_cmpstr (t->name, ==, "late");
  g_assert_cmpint (t->created, ==, 50);
  g_assert_cmpuint (t->spans->len, ==, 2);
  assert_span (t, 0, 50, TV_STATE_NEW, 0);
  assert_span (t, 1, 100, TV_STATE_RUNNING, 0);

  /* The same at one ns (a paused clock): "new" still comes first. */
  add (trace, TV_EV_THREAD_START, 70, 5, 0, 70, 0, 0, NULL);
  NEW_THREAD (trace, 70, 5, "same time");
  t = tv_trace_get_thread (trace, 5);
  g_assert_cmpuint (t->spans->len, ==, 2);
  assert_span (t, 0, 70, TV_STATE_NEW, 0);
  assert_span (t, 1, 70, TV_STATE_RUNNING, 0);
  g_assert_cmpint (tv_trace_thread_state_at (t, 70), ==, TV_STATE_RUNNING);

  /* Waits of two threads on one lock, the older pair arriving last. */
  NEW_OBJECT (trace, 0, 1, TV_OBJ_LOCK, "L");
  STATE (trace, 20, 2, TV_STATE_LOCK, 1, 0);
  add (trace, TV_EV_ACQUIRE, 40, 2, 1, 0, NT, 0, NULL);
  STATE (trace, 10, 3, TV_STATE_LOCK, 1, 0);
  add (trace, TV_EV_ACQUIRE, 30, 3, 1, 0, NT, 0, NULL);
  lock = tv_trace_get_object (trace, 1);
  assert_points (lock->waiters, waiters1, 4);
  g_assert_cmpuint (lock->holds->len, ==, 2);
  g_assert_cmpint (g_array_index (lock->holds, TvHold, 0).start, ==, 30);
  g_assert_cmpuint (g_array_index (lock->holds, TvHold, 0).thread, ==, 3);

  /* A span landing between two others, then one merging into its next. */
  NEW_OBJECT (trace, 0, 3, TV_OBJ_LOCK, "M");
  add (trace, TV_EV_THREAD_START, 0, 4, 0, 0, NT, 0, NULL);
  STATE (trace, 100, 4, TV_STATE_SLEEPING, 0, 0);
  STATE (trace, 80, 4, TV_STATE_LOCK, 3, 0);
  STATE (trace, 60, 4, TV_STATE_LOCK, 3, 0);
  t = tv_trace_get_thread (trace, 4);
  g_assert_cmpuint (t->spans->len, ==, 3);
  assert_span (t, 0, 0, TV_STATE_RUNNING, 0);
  assert_span (t, 1, 60, TV_STATE_LOCK, 3);
  assert_span (t, 2, 100, TV_STATE_SLEEPING, 0);
  for (guint i = 1; i < t->spans->len; i++)
    g_assert_cmpint (span (t, i)->start, >=, span (t, i - 1)->start);
  assert_points (tv_trace_get_object (trace, 3)->waiters, waiters3, 2);

  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 100);
}

static void
assert_pause (GArray          *pauses,
              guint            i,
              gint64           time,
              TvPauseMarkKind  kind,
              guint32          aux,
              gint64           wall_ns)
{
  const TvPauseMark *mark;

  g_assert_cmpuint (i, <, pauses->len);
  mark = &g_array_index (pauses, TvPauseMark, i);
  g_assert_cmpint (mark->time, ==, time);
  g_assert_cmpint (mark->kind, ==, kind);
  g_assert_cmpuint (mark->aux, ==, aux);
  g_assert_cmpint (mark->wall_ns, ==, wall_ns);
}

/* The controller's pauses, steps and resumes (on no thread) are kept as
 * marks in time order, equal times in order of arrival; they make no
 * thread and no span. */
static void
test_pauses (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  GArray *pauses = tv_trace_get_pauses (trace);

  g_assert_cmpuint (pauses->len, ==, 0);
  NEW_THREAD (trace, 0, 0, "main");
  add (trace, TV_EV_THREAD_START, 0, 0, 0, 0, NT, 1, NULL);
  /* A user pause at 20, a step of thread 0 from 20 to 30, then resume. */
  add (trace, TV_EV_PAUSE, 20, NT, 0, 0, NT, 0, NULL);
  add (trace, TV_EV_RESUME, 20, NT, 0, 4000000, 0, 0, NULL);
  STATE (trace, 25, 0, TV_STATE_SLEEPING, 0, 2);
  add (trace, TV_EV_PAUSE, 30, NT, 0, 0, 0, 0, NULL);
  add (trace, TV_EV_RESUME, 30, NT, 0, 9000000, NT, 0, NULL);
  /* A later drain brings an older pause and resume, and a damaged aux. */
  add (trace, TV_EV_PAUSE, 60, NT, 0, 0, NT, 0, NULL);
  add (trace, TV_EV_PAUSE, 50, NT, 0, 0, NT, 0, NULL);
  add (trace, TV_EV_RESUME, 50, NT, 0, 100, G_MAXUINT32 - 1, 0, NULL);

  g_assert_cmpuint (pauses->len, ==, 7);
  assert_pause (pauses, 0, 20, TV_PAUSE_MARK_PAUSE, NT, 0);
  assert_pause (pauses, 1, 20, TV_PAUSE_MARK_RESUME, 0, 4000000);
  assert_pause (pauses, 2, 30, TV_PAUSE_MARK_PAUSE, 0, 0);
  assert_pause (pauses, 3, 30, TV_PAUSE_MARK_RESUME, NT, 9000000);
  assert_pause (pauses, 4, 50, TV_PAUSE_MARK_PAUSE, NT, 0);
  assert_pause (pauses, 5, 50, TV_PAUSE_MARK_RESUME, NT, 100);
  assert_pause (pauses, 6, 60, TV_PAUSE_MARK_PAUSE, NT, 0);

  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 1);
  g_assert_cmpuint (tv_trace_get_thread (trace, 0)->spans->len, ==, 3);
  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 60);
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 10);
}

static void
test_dropped (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();

  add (trace, TV_EV_DROPPED, 10, 1, 0, 5, 0, 0, NULL);
  add (trace, TV_EV_DROPPED, 20, 2, 0, 3, 0, 0, NULL);
  add (trace, TV_EV_DROPPED, 30, 1, 0, 2, 0, 0, NULL);

  g_assert_cmpuint (tv_trace_get_thread (trace, 1)->dropped, ==, 7);
  g_assert_cmpuint (tv_trace_get_thread (trace, 2)->dropped, ==, 3);
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==, 10);
}

static void
changed_cb (TvTrace *trace,
            guint   *count)
{
  (*count)++;
}

static void
emit (TvRing     *ring,
      TvEventKind kind,
      gint64      time,
      guint32     thread,
      gint64      arg)
{
  TvEvent event = { time, arg, thread, 0, NT, kind, 0 };

  g_assert_true (tv_ring_emit (ring, &event));
}

static void
test_drain (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRecorder *recorder = tv_recorder_new (2, 8, 1024);
  TvRing *r0 = tv_recorder_get_ring (recorder, 0);
  TvRing *r1 = tv_recorder_get_ring (recorder, 1);
  GArray *prints;
  guint changed = 0;
  static const char *expected[] = { "world", "hello", "tie" };

  g_signal_connect (trace, "changed", G_CALLBACK (changed_cb), &changed);

  emit (r0, TV_EV_THREAD_NEW, 0, 0, tv_recorder_add_string (recorder, "main", 4));
  emit (r0, TV_EV_PRINT, 30, 0, tv_recorder_add_string (recorder, "hello", 5));
  emit (r1, TV_EV_THREAD_NEW, 10, 1, tv_recorder_add_string (recorder, "worker", 6));
  emit (r1, TV_EV_PRINT, 20, 1, tv_recorder_add_string (recorder, "world", 5));
  emit (r1, TV_EV_PRINT, 30, 1, tv_recorder_add_string (recorder, "tie", 3));

  g_assert_cmpuint (tv_trace_drain (trace, recorder), ==, 5);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpstr (tv_trace_get_thread (trace, 0)->name, ==, "main");
  g_assert_cmpstr (tv_trace_get_thread (trace, 1)->name, ==, "worker");

  /* Sorted by time; at equal times ring 0 comes before ring 1. */
  prints = tv_trace_get_prints (trace);
  g_assert_cmpuint (prints->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (g_array_index (prints, TvPrint, i).text, ==, expected[i]);

  /* Nothing new: nothing added, no signal. */
  g_assert_cmpuint (tv_trace_drain (trace, recorder), ==, 0);
  g_assert_cmpuint (changed, ==, 1);

  /* A full ring: its drops reach the trace. */
  for (gint64 i = 0; i < 11; i++)
    {
      TvEvent event = { 100 + i, 0, 1, 0, NT, TV_EV_STATE, 0 };
      tv_ring_emit (r1, &event);
    }
  g_assert_cmpuint (tv_trace_drain (trace, recorder), ==, 9);
  g_assert_cmpuint (changed, ==, 2);
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==, 3);
  g_assert_cmpuint (tv_trace_get_thread (trace, 1)->dropped, ==, 3);
  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 107);
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 14);

  /* The trace owns its strings: it outlives the recorder. */
  tv_recorder_free (recorder);
  g_assert_cmpstr (g_array_index (prints, TvPrint, 0).text, ==, "world");
  g_assert_cmpstr (tv_trace_find_thread (trace, "worker")->name, ==, "worker");

  tv_trace_changed (trace);
  g_assert_cmpuint (changed, ==, 3);
}

#define N_LIVE 5000

typedef struct
{
  TvRecorder      *recorder;
  TvClock         *clock;
  guint32          index;
  _Atomic gboolean done;
} LiveProducer;

static void *
live_producer_thread (void *data)
{
  LiveProducer *p = data;
  TvRing *ring = tv_recorder_get_ring (p->recorder, p->index);

  for (guint i = 0; i < N_LIVE; i++)
    {
      TvEvent event = {
        tv_clock_now (p->clock), i % 2 ? TV_STATE_SLEEPING : TV_STATE_RUNNING,
        p->index, 0, 0, TV_EV_STATE, (guint16) (i % 60000 + 1),
      };

      while (atomic_load (&ring->head) - atomic_load (&ring->tail) > ring->mask)
        sched_yield ();
      tv_ring_emit (ring, &event);
    }
  atomic_store (&p->done, TRUE);
  return NULL;
}

/* A run's shape: threads record while the consumer drains into the trace. */
static void
test_live_drain (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRecorder *recorder = tv_recorder_new (2, 256, 0);
  TvClock clock;
  LiveProducer producers[2];
  pthread_t threads[2];
  gboolean all_done = FALSE;

  tv_clock_init (&clock, 1.0);
  for (guint i = 0; i < 2; i++)
    {
      producers[i].recorder = recorder;
      producers[i].clock = &clock;
      producers[i].index = i;
      producers[i].done = FALSE;
      pthread_create (&threads[i], NULL, live_producer_thread, &producers[i]);
    }
  while (!all_done)
    {
      all_done = atomic_load (&producers[0].done) && atomic_load (&producers[1].done);
      tv_trace_drain (trace, recorder);
      sched_yield ();
    }
  for (guint i = 0; i < 2; i++)
    pthread_join (threads[i], NULL);

  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 2 * N_LIVE);
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      const TvTraceThread *t = tv_trace_get_thread (trace, i);

      /* Alternating states never merge: one span per event, in order. */
      g_assert_cmpuint (t->spans->len, ==, N_LIVE);
      for (guint j = 0; j < N_LIVE; j++)
        {
          g_assert_cmpuint (span (t, j)->line, ==, j + 1);
          if (j > 0)
            g_assert_cmpint (span (t, j)->start, >=, span (t, j - 1)->start);
        }
    }
  tv_recorder_free (recorder);
}

static void
test_names (void)
{
  g_assert_cmpstr (tv_thread_state_to_string (TV_STATE_LOCK), ==, "blocked on lock");
  g_assert_cmpstr (tv_thread_state_to_string (TV_STATE_GIL_WAIT), ==, "waiting for GIL");
  g_assert_cmpstr (tv_thread_state_to_string (TV_STATE_QUEUE_FULL), ==, "blocked on queue (full)");
  g_assert_cmpstr (tv_thread_state_to_string (TV_N_STATES), ==, "unknown");
  g_assert_cmpstr (tv_object_kind_to_string (TV_OBJ_RLOCK), ==, "rlock");
  g_assert_cmpstr (tv_event_kind_to_string (TV_EV_QUEUE_PUT), ==, "queue-put");
  g_assert_cmpstr (tv_event_kind_to_string (TV_EV_DROPPED), ==, "dropped");

  /* Every value has a name of its own. */
  for (int i = 0; i < TV_N_STATES; i++)
    for (int j = i + 1; j < TV_N_STATES; j++)
      g_assert_cmpstr (tv_thread_state_to_string (i), !=, tv_thread_state_to_string (j));
  for (int i = 0; i < TV_N_EVENT_KINDS; i++)
    g_assert_cmpstr (tv_event_kind_to_string (i), !=, "unknown");
  for (int i = 0; i < TV_N_OBJ_KINDS; i++)
    g_assert_cmpstr (tv_object_kind_to_string (i), !=, "unknown");
}


/* ---- Level of detail ----------------------------------------------------- */

static void
collect_segment (const TvTraceSegment *segment,
                 gpointer              user_data)
{
  g_array_append_val ((GArray *) user_data, *segment);
}

static GArray *
query (TvTrace *trace,
       guint    thread,
       gint64   start,
       gint64   end,
       guint    n_pixels)
{
  GArray *segments = g_array_new (FALSE, FALSE, sizeof (TvTraceSegment));
  guint n = tv_trace_thread_query (trace, thread, start, end, n_pixels,
                                   collect_segment, segments);

  g_assert_cmpuint (n, ==, segments->len);
  /* In order, without gaps or overlaps. */
  for (guint i = 0; i < segments->len; i++)
    {
      const TvTraceSegment *seg = &g_array_index (segments, TvTraceSegment, i);

      g_assert_cmpint (seg->end, >, seg->start);
      g_assert_cmpint (seg->start, >=, start);
      g_assert_cmpint (seg->end, <=, end);
      if (i > 0)
        g_assert_cmpint (seg->start, ==, g_array_index (segments, TvTraceSegment, i - 1).end);
    }
  return segments;
}

/* The segment that holds `time`. */
static const TvTraceSegment *
segment_at (GArray *segments,
            gint64  time)
{
  for (guint i = 0; i < segments->len; i++)
    {
      const TvTraceSegment *seg = &g_array_index (segments, TvTraceSegment, i);

      if (seg->start <= time && time < seg->end)
        return seg;
    }
  g_assert_not_reached ();
  return NULL;
}

static void
test_query_wide (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GArray) segments = NULL;
  const TvTraceSegment *seg;

  NEW_THREAD (trace, 0, 0, "worker");
  NEW_OBJECT (trace, 0, 1, TV_OBJ_LOCK, "A");
  NEW_OBJECT (trace, 0, 2, TV_OBJ_LOCK, "B");
  STATE (trace, 100, 0, TV_STATE_RUNNING, 0, 3);
  STATE (trace, 400, 0, TV_STATE_LOCK, 1, 4);
  STATE (trace, 500, 0, TV_STATE_LOCK, 2, 5);
  STATE (trace, 700, 0, TV_STATE_RUNNING, 0, 6);
  add (trace, TV_EV_THREAD_EXIT, 1000, 0, 0, 0, 0, 7, NULL);

  /* 1 ns per pixel: every span is itself; the two waits stay apart. */
  segments = query (trace, 0, 0, 1000, 1000);
  g_assert_cmpuint (segments->len, ==, 5);
  seg = segment_at (segments, 0);
  g_assert_cmpint (seg->state, ==, TV_STATE_NEW);
  g_assert_cmpint (seg->end, ==, 100);
  seg = segment_at (segments, 450);
  g_assert_cmpint (seg->state, ==, TV_STATE_LOCK);
  g_assert_cmpuint (seg->object, ==, 1);
  g_assert_cmpint (seg->start, ==, 400);
  g_assert_cmpint (seg->end, ==, 500);
  g_assert_cmpuint (seg->line, ==, 4);
  g_assert_false (seg->summary);
  seg = segment_at (segments, 600);
  g_assert_cmpuint (seg->object, ==, 2);
  g_assert_cmpint (seg->end, ==, 700);
  seg = segment_at (segments, 999);
  g_assert_cmpint (seg->state, ==, TV_STATE_RUNNING);
  g_assert_cmpint (seg->end, ==, 1000);

  /* A window inside a span clips it. */
  g_clear_pointer (&segments, g_array_unref);
  segments = query (trace, 0, 420, 480, 60);
  g_assert_cmpuint (segments->len, ==, 1);
  seg = segment_at (segments, 420);
  g_assert_cmpint (seg->start, ==, 420);
  g_assert_cmpint (seg->end, ==, 480);
  g_assert_cmpuint (seg->object, ==, 1);

  /* A live thread's last span ends at the trace's end, or at `now`. */
  NEW_THREAD (trace, 1000, 1, "live");
  STATE (trace, 1100, 1, TV_STATE_SLEEPING, 0, 8);
  g_clear_pointer (&segments, g_array_unref);
  segments = query (trace, 1, 0, 2000, 2000);
  g_assert_cmpint (g_array_index (segments, TvTraceSegment, segments->len - 1).end, ==, 1100);
  g_array_set_size (segments, 0);
  g_assert_cmpuint (tv_trace_thread_query_until (trace, 1, 0, 2000, 2000, 1500,
                                                 collect_segment, segments), ==, 2);
  seg = segment_at (segments, 1499);
  g_assert_cmpint (seg->state, ==, TV_STATE_SLEEPING);
  g_assert_cmpint (seg->start, ==, 1100);
  g_assert_cmpint (seg->end, ==, 1500);

  /* No such thread, or an empty window: nothing. */
  g_assert_cmpuint (tv_trace_thread_query (trace, 7, 0, 1000, 100, collect_segment, NULL), ==, 0);
  g_assert_cmpuint (tv_trace_thread_query (trace, 0, 500, 500, 100, collect_segment, NULL), ==, 0);
}

/* Thread 0 runs `run` ns then waits for lock 1 `wait` ns, `n` times from
 * `from`; the time after the loop. */
static gint64
add_cycles (TvTrace *trace,
            gint64   from,
            guint    n,
            gint64   run,
            gint64   wait)
{
  gint64 t = from;

  for (guint i = 0; i < n; i++)
    {
      STATE (trace, t, 0, TV_STATE_RUNNING, 0, 3);
      STATE (trace, t + run, 0, TV_STATE_LOCK, 1, 4);
      t += run + wait;
    }
  return t;
}

/* Two joins in a row wait for different threads: two segments, each
 * naming its own joined thread, though neither names an object. */
static void
test_query_joins (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GArray) segments = NULL;
  const TvTraceSegment *seg;

  NEW_THREAD (trace, 0, 0, "main");
  NEW_THREAD (trace, 0, 1, "worker-1");
  NEW_THREAD (trace, 0, 2, "worker-2");
  STATE (trace, 0, 0, TV_STATE_RUNNING, 0, 1);
  add (trace, TV_EV_STATE, 100, 0, 0, TV_STATE_JOIN, 1, 2, NULL);
  add (trace, TV_EV_STATE, 400, 0, 0, TV_STATE_JOIN, 2, 3, NULL);
  STATE (trace, 700, 0, TV_STATE_RUNNING, 0, 4);
  STATE (trace, 1000, 0, TV_STATE_TERMINATED, 0, 0);
  g_assert_cmpuint (tv_trace_get_thread (trace, 0)->spans->len, ==, 6);

  segments = query (trace, 0, 0, 1000, 1000);
  g_assert_cmpuint (segments->len, ==, 4);
  seg = segment_at (segments, 150);
  g_assert_cmpint (seg->state, ==, TV_STATE_JOIN);
  g_assert_cmpuint (seg->aux, ==, 1);
  g_assert_cmpint (seg->start, ==, 100);
  g_assert_cmpint (seg->end, ==, 400);
  g_assert_cmpuint (seg->n_spans, ==, 1);
  seg = segment_at (segments, 450);
  g_assert_cmpint (seg->state, ==, TV_STATE_JOIN);
  g_assert_cmpuint (seg->aux, ==, 2);
  g_assert_cmpint (seg->start, ==, 400);
  g_assert_cmpint (seg->end, ==, 700);
  g_assert_cmpuint (seg->line, ==, 3);
}

static void
test_query_dense (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GArray) segments = NULL;
  const TvTraceSegment *seg;
  gint64 middle, end;

  NEW_THREAD (trace, 0, 0, "worker");
  NEW_OBJECT (trace, 0, 1, TV_OBJ_LOCK, "L");
  /* 100k spans: mostly running in the first half, mostly waiting after. */
  middle = add_cycles (trace, 0, 25000, 90, 10);
  end = add_cycles (trace, middle, 25000, 10, 90);
  add (trace, TV_EV_THREAD_EXIT, end, 0, 0, 0, 0, 7, NULL);
  g_assert_cmpuint (tv_trace_get_thread (trace, 0)->spans->len, ==, 100002);

  /* 100 pixels of ~50k ns: two merged summaries, split in the middle. */
  segments = query (trace, 0, 0, end, 100);
  g_assert_cmpuint (segments->len, ==, 2);
  seg = segment_at (segments, 0);
  g_assert_cmpint (seg->state, ==, TV_STATE_RUNNING);
  g_assert_true (seg->summary);
  g_assert_cmpuint (seg->states, ==, (1u << TV_STATE_RUNNING) | (1u << TV_STATE_LOCK));
  g_assert_cmpint (seg->end, >=, middle - end / 100);
  g_assert_cmpint (seg->end, <=, middle + end / 100);
  seg = segment_at (segments, end - 1);
  g_assert_cmpint (seg->state, ==, TV_STATE_LOCK);
  g_assert_cmpuint (seg->object, ==, 1);
  g_assert_cmpint (seg->end, ==, end);

  /* Zoomed in on 10 cycles at 1 ns per pixel: the spans themselves. */
  g_clear_pointer (&segments, g_array_unref);
  segments = query (trace, 0, middle, middle + 1000, 1000);
  g_assert_cmpuint (segments->len, ==, 20);
  g_assert_false (g_array_index (segments, TvTraceSegment, 0).summary);
}

/* Events that land before the summarised ones change what the query says. */
static void
test_query_out_of_order (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  gint64 end;

  NEW_THREAD (trace, 0, 0, "worker");
  NEW_OBJECT (trace, 0, 1, TV_OBJ_LOCK, "L");
  end = add_cycles (trace, 0, 30000, 10, 90);
  STATE (trace, end, 0, TV_STATE_RUNNING, 0, 3);

  before = query (trace, 0, 0, end, 30);
  g_assert_cmpuint (before->len, ==, 1);
  g_assert_cmpint (segment_at (before, end / 2)->state, ==, TV_STATE_LOCK);

  /* The middle third's waits turn out to have been sleeps after 5 ns. */
  for (gint64 t = end / 3 / 100 * 100; t < 2 * end / 3; t += 100)
    STATE (trace, t + 15, 0, TV_STATE_SLEEPING, 0, 5);

  after = query (trace, 0, 0, end, 30);
  g_assert_cmpuint (after->len, ==, 3);
  g_assert_cmpint (segment_at (after, end / 6)->state, ==, TV_STATE_LOCK);
  g_assert_cmpint (segment_at (after, end / 2)->state, ==, TV_STATE_SLEEPING);
  g_assert_cmpint (segment_at (after, end - 1)->state, ==, TV_STATE_LOCK);
  g_assert_cmpuint (segment_at (after, end / 2)->states, ==,
                    (1u << TV_STATE_RUNNING) | (1u << TV_STATE_LOCK) | (1u << TV_STATE_SLEEPING));
}

/* However many spans, about one segment per pixel. */
static void
test_query_bounded (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  gint64 t = 0;
  guint32 seed = 7;

  NEW_THREAD (trace, 0, 0, "worker");
  for (guint i = 0; i < 200000; i++)
    {
      /* A pseudo-random walk through the states, 1 to 64 ns each. */
      seed = seed * 1103515245u + 12345u;
      STATE (trace, t, 0, 1 + (seed >> 16) % (TV_STATE_TERMINATED - 1), (seed >> 8) % 3, 1);
      t += 1 + (seed >> 20) % 64;
    }

  for (guint pixels = 10; pixels <= 10000; pixels *= 10)
    {
      g_autoptr(GArray) segments = query (trace, 0, 0, t, pixels);

      g_assert_cmpuint (segments->len, <=, pixels + 1);
      g_assert_cmpuint (segments->len, >, 0);
      g_assert_cmpint (g_array_index (segments, TvTraceSegment, segments->len - 1).end, ==, t);
    }
}

/* ---- The collector ------------------------------------------------------- */

typedef struct
{
  TvRing *ring;
  guint   n;
} Producer;

static gpointer
produce (gpointer data)
{
  Producer *p = data;

  for (guint i = 0; i < p->n; i++)
    {
      TvEvent event = { (gint64) i + 1, i, 0, 1, 0, TV_EV_VAR_WRITE, 1 };

      tv_ring_emit (p->ring, &event);
      if (i % 4096 == 0)
        g_thread_yield ();
    }
  return NULL;
}

/* Every event recorded reaches the trace, in order, or is counted dropped;
 * strings resolve as with tv_trace_drain(). */
static void
test_collector (void)
{
  TvRecorder *recorder = tv_recorder_new (2, 1024, 4096);
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvCollector *collector = tv_collector_new (recorder, 200);
  Producer producer = { tv_recorder_get_ring (recorder, 0), 100000 };
  const char name[] = "counter";
  TvEvent object = { 0, 0, 1, 1, TV_OBJ_VAR, TV_EV_OBJECT_NEW, 0 };
  const TvTraceObject *var;
  GThread *thread;
  gsize fed = 0;

  object.arg = (gint64) tv_recorder_add_string (recorder, name, sizeof name - 1);
  g_assert_true (tv_ring_emit (tv_recorder_get_ring (recorder, 1), &object));
  thread = g_thread_new ("producer", produce, &producer);
  while (fed < 1000)
    {
      fed += tv_collector_feed (collector, trace);
      g_usleep (1000);
    }
  g_thread_join (thread);
  tv_collector_stop (collector);
  fed += tv_collector_feed (collector, trace);
  g_assert_cmpuint (tv_collector_get_pending (collector), ==, 0);

  var = tv_trace_find_object (trace, "counter");
  g_assert_nonnull (var);
  g_assert_cmpuint (var->accesses->len + tv_trace_get_dropped (trace), ==, producer.n);
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==, tv_recorder_get_dropped (recorder));
  for (guint i = 1; i < var->accesses->len; i++)
    g_assert_cmpint (g_array_index (var->accesses, TvAccess, i).value, >,
                     g_array_index (var->accesses, TvAccess, i - 1).value);
  g_assert_cmpuint (fed, ==, tv_trace_get_n_events (trace));

  tv_collector_free (collector);
  tv_recorder_free (recorder);
}

/* A producer far faster than a collector that looks every millisecond,
 * into a 256-event ring: it waits for room instead of dropping, and every
 * event reaches the trace and the writer, in order, fed in bounded slices. */
static void
test_collector_no_loss (void)
{
  TvRecorder *recorder = tv_recorder_new (2, 256, 4096);
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  TvCollector *collector = tv_collector_new (recorder, 1000);
  Producer producer = { tv_recorder_get_ring (recorder, 0), 100000 };
  const char name[] = "counter";
  TvEvent object = { 0, 0, 1, 1, TV_OBJ_VAR, TV_EV_OBJECT_NEW, 0 };
  const TvTraceObject *var;
  GThread *thread;
  gsize fed = 0, n;

  object.arg = (gint64) tv_recorder_add_string (recorder, name, sizeof name - 1);
  g_assert_true (tv_ring_emit (tv_recorder_get_ring (recorder, 1), &object));
  thread = g_thread_new ("producer", produce, &producer);
  while (fed < producer.n / 2)
    {
      n = tv_collector_feed_full (collector, trace, writer, 1000);
      /* Whole chunks: one at least, and no more than the slice asks. */
      g_assert_cmpuint (n, <=, TV_COLLECTOR_CHUNK_EVENTS);
      fed += n;
      g_usleep (100);
    }
  g_thread_join (thread);
  tv_collector_stop (collector);
  fed += tv_collector_feed_full (collector, trace, writer, 0);
  g_assert_cmpuint (tv_collector_get_pending (collector), ==, 0);

  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 0);
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==, 0);
  var = tv_trace_find_object (trace, "counter");
  g_assert_nonnull (var);
  g_assert_cmpuint (var->accesses->len, ==, producer.n);
  for (guint i = 1; i < var->accesses->len; i++)
    g_assert_cmpint (g_array_index (var->accesses, TvAccess, i).value, ==,
                     g_array_index (var->accesses, TvAccess, i - 1).value + 1);
  g_assert_cmpuint (fed, ==, producer.n + 1);
  g_assert_cmpuint (tv_capture_writer_get_n_events (writer), ==, fed);

  tv_collector_free (collector);
  tv_recorder_free (recorder);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/trace/empty", test_empty);
  g_test_add_func ("/tv/trace/thread-life", test_thread_life);
  g_test_add_func ("/tv/trace/merge", test_merge);
  g_test_add_func ("/tv/trace/lock", test_lock);
  g_test_add_func ("/tv/trace/rlock-and-semaphore", test_rlock_and_semaphore);
  g_test_add_func ("/tv/trace/queue", test_queue);
  g_test_add_func ("/tv/trace/join-link", test_join_link);
  g_test_add_func ("/tv/trace/accesses", test_accesses);
  g_test_add_func ("/tv/trace/prints-order", test_prints_order);
  g_test_add_func ("/tv/trace/problems", test_problems);
  g_test_add_func ("/tv/trace/renames", test_renames);
  g_test_add_func ("/tv/trace/out-of-order", test_out_of_order);
  g_test_add_func ("/tv/trace/dropped", test_dropped);
  g_test_add_func ("/tv/trace/pauses", test_pauses);
  g_test_add_func ("/tv/trace/drain", test_drain);
  g_test_add_func ("/tv/trace/live-drain", test_live_drain);
  g_test_add_func ("/tv/trace/names", test_names);
  g_test_add_func ("/tv/trace/query-wide", test_query_wide);
  g_test_add_func ("/tv/trace/query-dense", test_query_dense);
  g_test_add_func ("/tv/trace/query-joins", test_query_joins);
  g_test_add_func ("/tv/trace/query-out-of-order", test_query_out_of_order);
  g_test_add_func ("/tv/trace/query-bounded", test_query_bounded);
  g_test_add_func ("/tv/trace/collector", test_collector);
  g_test_add_func ("/tv/trace/collector/no-loss", test_collector_no_loss);

  return g_test_run ();
}
