/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-event-merge: a collection's runs merged by time (tv-event-merge.c),
 * checked against a stable sort of the same events.
 */

#include "config.h"

#include <glib.h>

#include "tv-event-merge.h"

/* Merges `n_runs` runs of the given lengths, each event's `aux` saying
 * which run it came from and `arg` its place there, and compares the
 * result with g_qsort_with_data() (stable) of the concatenation. */
static void
check_merge (GRand       *rand,
             const guint *lengths,
             guint        n_runs,
             gboolean     sorted_runs,
             gint64       time_range)
{
  g_autofree gsize *ends = g_new (gsize, n_runs);
  g_autoptr(GArray) events = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  g_autoptr(GArray) expected = NULL;
  g_autofree TvEvent *out = NULL;
  gsize n = 0;

  for (guint r = 0; r < n_runs; r++)
    {
      gint64 t = g_rand_int_range (rand, 0, 5);

      for (guint i = 0; i < lengths[r]; i++)
        {
          TvEvent e = { 0 };

          if (sorted_runs)
            t += g_rand_int_range (rand, 0, 3);   /* equal times included */
          else
            t = g_rand_int_range (rand, 0, (gint32) time_range);
          e.time = t;
          e.aux = r;
          e.arg = i;
          e.kind = TV_EV_STATE;
          g_array_append_val (events, e);
        }
      n += lengths[r];
      ends[r] = n;
    }

  expected = g_array_copy (events);
  g_qsort_with_data (expected->data, (gint) expected->len, sizeof (TvEvent),
                     tv_event_compare_time, NULL);
  out = g_new0 (TvEvent, MAX (n, 1));
  tv_event_merge_runs ((TvEvent *) events->data, ends, n_runs, out);

  for (gsize i = 0; i < n; i++)
    {
      const TvEvent *want = &g_array_index (expected, TvEvent, i);

      g_assert_cmpint (out[i].time, ==, want->time);
      g_assert_cmpuint (out[i].aux, ==, want->aux);
      g_assert_cmpint (out[i].arg, ==, want->arg);
    }
}

static void
test_sorted_runs (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  const guint one[] = { 1000 };
  const guint two[] = { 500, 700 };
  const guint many[] = { 30, 0, 1, 200, 0, 57, 1000, 3, 3, 400, 0, 99, 250, 17, 8, 1, 640 };
  const guint empty[] = { 0, 0, 0 };

  for (int round = 0; round < 20; round++)
    {
      check_merge (rand, one, G_N_ELEMENTS (one), TRUE, 0);
      check_merge (rand, two, G_N_ELEMENTS (two), TRUE, 0);
      check_merge (rand, many, G_N_ELEMENTS (many), TRUE, 0);
    }
  check_merge (rand, empty, G_N_ELEMENTS (empty), TRUE, 0);
  check_merge (rand, empty, 0, TRUE, 0);
}

static void
test_unsorted_runs (void)
{
  /* A ring several threads write (the controller's) may be out of order:
   * that run is sorted first, stably. */
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  const guint lengths[] = { 100, 1, 300, 0, 50 };

  for (int round = 0; round < 20; round++)
    {
      check_merge (rand, lengths, G_N_ELEMENTS (lengths), FALSE, 40);
      check_merge (rand, lengths, G_N_ELEMENTS (lengths), FALSE, 100000);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/event-merge/sorted-runs", test_sorted_runs);
  g_test_add_func ("/tv/event-merge/unsorted-runs", test_unsorted_runs);

  return g_test_run ();
}
