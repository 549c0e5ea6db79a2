/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-recorder.c: the rings, drop counting, the string arena and fork.
 */

#include "config.h"

#include <glib.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tv-recorder.h"

/* Collects drained events, remembering how many callbacks there were. */
typedef struct
{
  GArray *events;
  GArray *rings;
  guint   n_calls;
} Collected;

static void
collected_init (Collected *c)
{
  c->events = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  c->rings = g_array_new (FALSE, FALSE, sizeof (guint32));
  c->n_calls = 0;
}

static void
collected_clear (Collected *c)
{
  g_array_unref (c->events);
  g_array_unref (c->rings);
}

static void
collect_cb (uint32_t       ring_index,
            const TvEvent *events,
            size_t         n_events,
            void          *user_data)
{
  Collected *c = user_data;

  g_assert_cmpuint (n_events, >, 0);
  g_array_append_vals (c->events, events, n_events);
  for (size_t i = 0; i < n_events; i++)
    g_array_append_val (c->rings, ring_index);
  c->n_calls++;
}

static TvEvent
make_event (guint32 thread,
            gint64  seq)
{
  TvEvent event = {
    .time = seq * 10,
    .arg = seq,
    .thread = thread,
    .object = 7,
    .aux = 3,
    .kind = TV_EV_VAR_WRITE,
    .line = 12,
  };

  return event;
}

static void
test_capacity (void)
{
  TvRecorder *recorder = tv_recorder_new (3, 1000, 128);

  g_assert_nonnull (recorder);
  g_assert_cmpuint (tv_recorder_get_n_rings (recorder), ==, 3);
  g_assert_cmpuint (tv_recorder_get_ring (recorder, 0)->mask, ==, 1023);
  g_assert_cmpuint (tv_recorder_get_ring (recorder, 2)->mask, ==, 1023);
  g_assert_null (tv_recorder_get_ring (recorder, 3));
  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 0);
  tv_recorder_free (recorder);

  /* An exact power of two stays. */
  recorder = tv_recorder_new (1, 64, 0);
  g_assert_cmpuint (tv_recorder_get_ring (recorder, 0)->mask, ==, 63);
  tv_recorder_free (recorder);

  g_assert_null (tv_recorder_new (0, 64, 0));
}

#define N_PRODUCERS 4
#define N_PER_PRODUCER 20000

typedef struct
{
  TvRecorder  *recorder;
  guint32      index;
  _Atomic int *done;
} Producer;

static void *
producer_thread (void *data)
{
  Producer *p = data;
  TvRing *ring = tv_recorder_get_ring (p->recorder, p->index);

  for (gint64 seq = 0; seq < N_PER_PRODUCER; seq++)
    {
      TvEvent event = make_event (p->index, seq);

      /* Wait for room instead of dropping: this test wants every event. */
      while (atomic_load (&ring->head) - atomic_load (&ring->tail) > ring->mask)
        sched_yield ();
      g_assert_true (tv_ring_emit (ring, &event));
    }

  atomic_fetch_add (p->done, 1);
  return NULL;
}

typedef struct
{
  gint64 next[N_PRODUCERS];
  guint  n_calls;
} Checker;

static void
check_cb (uint32_t       ring_index,
          const TvEvent *events,
          size_t         n_events,
          void          *user_data)
{
  Checker *checker = user_data;

  checker->n_calls++;
  g_assert_cmpuint (ring_index, <, N_PRODUCERS);
  for (size_t i = 0; i < n_events; i++)
    {
      const TvEvent *event = &events[i];
      gint64 expected = checker->next[ring_index]++;

      /* Exactly once and in order: the sequence has no gap and no repeat. */
      g_assert_cmpuint (event->kind, ==, TV_EV_VAR_WRITE);
      g_assert_cmpuint (event->thread, ==, ring_index);
      g_assert_cmpint (event->arg, ==, expected);
      g_assert_cmpint (event->time, ==, expected * 10);
      g_assert_cmpuint (event->object, ==, 7);
      g_assert_cmpuint (event->aux, ==, 3);
      g_assert_cmpuint (event->line, ==, 12);
    }
}

static void
test_concurrent (void)
{
  /* A small ring, so that the producers lap it hundreds of times. */
  TvRecorder *recorder = tv_recorder_new (N_PRODUCERS, 64, 0);
  Producer producers[N_PRODUCERS];
  pthread_t threads[N_PRODUCERS];
  _Atomic int done = 0;
  Checker checker = { { 0 }, 0 };
  gsize total = 0;

  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      producers[i] = (Producer) { recorder, i, &done };
      g_assert_cmpint (pthread_create (&threads[i], NULL, producer_thread, &producers[i]), ==, 0);
    }

  for (;;)
    {
      gboolean all_done = atomic_load (&done) == N_PRODUCERS;

      total += tv_recorder_drain (recorder, check_cb, &checker);
      if (all_done)
        break;
      sched_yield ();
    }
  /* Everything published before `done` was seen by the last drain. */
  total += tv_recorder_drain (recorder, check_cb, &checker);

  for (guint i = 0; i < N_PRODUCERS; i++)
    {
      pthread_join (threads[i], NULL);
      g_assert_cmpint (checker.next[i], ==, N_PER_PRODUCER);
    }
  g_assert_cmpuint (total, ==, N_PRODUCERS * N_PER_PRODUCER);
  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 0);
  g_assert_cmpuint (tv_recorder_drain (recorder, check_cb, &checker), ==, 0);
  tv_recorder_free (recorder);
}

static void
test_wrap_around (void)
{
  TvRecorder *recorder = tv_recorder_new (2, 8, 0);
  TvRing *ring = tv_recorder_get_ring (recorder, 1);
  gint64 seq = 0;
  guint n_batches = 0;
  Collected c;

  collected_init (&c);

  /* Batches of 5 and 7 on a ring of 8: the runs start at every offset and
   * most of them wrap past the end of the array. */
  for (guint lap = 0; lap < 500; lap++)
    {
      guint n = lap % 2 ? 7 : 5;
      gsize drained;

      for (guint i = 0; i < n; i++)
        {
          TvEvent event = make_event (1, seq++);
          g_assert_true (tv_ring_emit (ring, &event));
        }
      drained = tv_recorder_drain (recorder, collect_cb, &c);
      g_assert_cmpuint (drained, ==, n);
      n_batches++;
    }

  g_assert_cmpuint (c.events->len, ==, seq);
  for (guint i = 0; i < c.events->len; i++)
    {
      g_assert_cmpint (g_array_index (c.events, TvEvent, i).arg, ==, i);
      g_assert_cmpuint (g_array_index (c.rings, guint32, i), ==, 1);
    }
  /* Some batches wrapped and were handed over in two calls. */
  g_assert_cmpuint (c.n_calls, >, n_batches);
  g_assert_cmpuint (c.n_calls, <=, 2 * n_batches);
  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 0);

  collected_clear (&c);
  tv_recorder_free (recorder);
}

static void
test_full_ring (void)
{
  TvRecorder *recorder = tv_recorder_new (3, 16, 0);
  TvRing *ring = tv_recorder_get_ring (recorder, 2);
  Collected c;
  const TvEvent *last;
  guint n_ok = 0;

  collected_init (&c);
  for (gint64 seq = 0; seq < 20; seq++)
    {
      TvEvent event = make_event (2, seq);
      n_ok += tv_ring_emit (ring, &event);
    }
  g_assert_cmpuint (n_ok, ==, 16);
  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 4);

  /* The 16 kept events, then one TV_EV_DROPPED saying 4. */
  g_assert_cmpuint (tv_recorder_drain (recorder, collect_cb, &c), ==, 17);
  g_assert_cmpuint (c.events->len, ==, 17);
  for (guint i = 0; i < 16; i++)
    g_assert_cmpint (g_array_index (c.events, TvEvent, i).arg, ==, i);
  last = &g_array_index (c.events, TvEvent, 16);
  g_assert_cmpuint (last->kind, ==, TV_EV_DROPPED);
  g_assert_cmpint (last->arg, ==, 4);
  g_assert_cmpuint (last->thread, ==, 2);
  g_assert_cmpint (last->time, ==, 15 * 10);
  g_assert_cmpuint (g_array_index (c.rings, guint32, 16), ==, 2);

  /* Reported once only. */
  g_array_set_size (c.events, 0);
  g_assert_cmpuint (tv_recorder_drain (recorder, collect_cb, &c), ==, 0);

  /* Later drops are reported as the difference since the last report, at
   * the time of the last event the ring gave. */
  for (gint64 seq = 100; seq < 118; seq++)
    {
      TvEvent event = make_event (2, seq);
      tv_ring_emit (ring, &event);
    }
  g_assert_cmpuint (tv_recorder_get_dropped (recorder), ==, 6);
  g_assert_cmpuint (tv_recorder_drain (recorder, collect_cb, &c), ==, 17);
  last = &g_array_index (c.events, TvEvent, 16);
  g_assert_cmpuint (last->kind, ==, TV_EV_DROPPED);
  g_assert_cmpint (last->arg, ==, 2);
  g_assert_cmpint (last->time, ==, 115 * 10);

  collected_clear (&c);
  tv_recorder_free (recorder);
}

static void
test_strings (void)
{
  TvRecorder *recorder = tv_recorder_new (1, 16, 32);
  uint64_t a, b, c, d, e;

  g_assert_null (tv_recorder_get_string (recorder, 0));

  a = tv_recorder_add_string (recorder, "lock", 4);
  b = tv_recorder_add_string (recorder, "abcdef", 3);
  c = tv_recorder_add_string (recorder, "", 0);
  g_assert_cmpuint (a, >, 0);
  g_assert_cmpuint (b, >, 0);
  g_assert_cmpuint (c, >, 0);
  g_assert_cmpuint (a, !=, b);
  g_assert_cmpuint (b, !=, c);
  g_assert_cmpstr (tv_recorder_get_string (recorder, a), ==, "lock");
  g_assert_cmpstr (tv_recorder_get_string (recorder, b), ==, "abc");
  g_assert_cmpstr (tv_recorder_get_string (recorder, c), ==, "");

  /* 5 + 4 + 1 = 10 bytes used of 32: 22 more would fit (21 + NUL), 23 do
   * not.  The failed claim fills the arena for good: bump allocation. */
  d = tv_recorder_add_string (recorder, "0123456789012345678901234567890", 22);
  g_assert_cmpuint (d, ==, 0);
  g_assert_cmpuint (tv_recorder_get_strings_dropped (recorder), ==, 1);
  e = tv_recorder_add_string (recorder, "x", 1);
  g_assert_cmpuint (e, ==, 0);
  g_assert_cmpuint (tv_recorder_get_strings_dropped (recorder), ==, 2);
  g_assert_null (tv_recorder_get_string (recorder, 33));
  g_assert_null (tv_recorder_get_string (recorder, G_MAXUINT64));

  /* The earlier strings are untouched by the failed claims. */
  g_assert_cmpstr (tv_recorder_get_string (recorder, a), ==, "lock");
  g_assert_cmpstr (tv_recorder_get_string (recorder, b), ==, "abc");

  tv_recorder_free (recorder);
}

#define N_STRING_THREADS 4
#define N_STRINGS 500

typedef struct
{
  TvRecorder *recorder;
  guint       index;
  uint64_t    ids[N_STRINGS];
} StringWorker;

static void *
string_thread (void *data)
{
  StringWorker *w = data;

  for (guint i = 0; i < N_STRINGS; i++)
    {
      char text[32];
      int len = g_snprintf (text, sizeof text, "t%u-s%u", w->index, i);

      w->ids[i] = tv_recorder_add_string (w->recorder, text, len);
    }
  return NULL;
}

static void
test_strings_concurrent (void)
{
  TvRecorder *recorder = tv_recorder_new (1, 16, 1 << 16);
  StringWorker workers[N_STRING_THREADS];
  pthread_t threads[N_STRING_THREADS];
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < N_STRING_THREADS; i++)
    {
      workers[i].recorder = recorder;
      workers[i].index = i;
      pthread_create (&threads[i], NULL, string_thread, &workers[i]);
    }
  for (guint i = 0; i < N_STRING_THREADS; i++)
    pthread_join (threads[i], NULL);

  for (guint i = 0; i < N_STRING_THREADS; i++)
    for (guint j = 0; j < N_STRINGS; j++)
      {
        g_autofree char *expected = g_strdup_printf ("t%u-s%u", i, j);

        g_assert_cmpuint (workers[i].ids[j], >, 0);
        g_assert_cmpstr (tv_recorder_get_string (recorder, workers[i].ids[j]), ==, expected);
        g_assert_false (g_hash_table_contains (seen, &workers[i].ids[j]));
        g_hash_table_add (seen, &workers[i].ids[j]);
      }
  g_assert_cmpuint (tv_recorder_get_strings_dropped (recorder), ==, 0);
  tv_recorder_free (recorder);
}

static void
test_fork (void)
{
  TvRecorder *recorder = tv_recorder_new (2, 256, 4096);
  Collected c;
  pid_t pid;
  int status = 0;

  collected_init (&c);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* The child: same pointer, same pages. */
      TvRing *ring = tv_recorder_get_ring (recorder, 1);
      uint64_t id = tv_recorder_add_string (recorder, "from the child", 14);

      for (gint64 seq = 0; seq < 100; seq++)
        {
          TvEvent event = make_event (1, seq);

          event.kind = TV_EV_PRINT;
          event.arg = (gint64) id;
          event.aux = (guint32) seq;
          if (!tv_ring_emit (ring, &event))
            _exit (2);
        }
      _exit (0);
    }

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  g_assert_cmpuint (tv_recorder_drain (recorder, collect_cb, &c), ==, 100);
  for (guint i = 0; i < 100; i++)
    {
      const TvEvent *event = &g_array_index (c.events, TvEvent, i);

      g_assert_cmpuint (event->kind, ==, TV_EV_PRINT);
      g_assert_cmpuint (event->aux, ==, i);
      g_assert_cmpuint (g_array_index (c.rings, guint32, i), ==, 1);
      g_assert_cmpstr (tv_recorder_get_string (recorder, event->arg), ==, "from the child");
    }

  collected_clear (&c);
  tv_recorder_free (recorder);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/recorder/capacity", test_capacity);
  g_test_add_func ("/tv/recorder/concurrent", test_concurrent);
  g_test_add_func ("/tv/recorder/wrap-around", test_wrap_around);
  g_test_add_func ("/tv/recorder/full-ring", test_full_ring);
  g_test_add_func ("/tv/recorder/strings", test_strings);
  g_test_add_func ("/tv/recorder/strings-concurrent", test_strings_concurrent);
  g_test_add_func ("/tv/recorder/fork", test_fork);

  return g_test_run ();
}
