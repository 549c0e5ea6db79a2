/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-event-merge.c: a collection's runs, one per ring, merged by time.
 *
 * A binary heap holds the run of each non-empty cursor, smallest (time,
 * run) on top.  After the top run gives an event it usually still has the
 * smallest time (a thread records several events while another records
 * one), so it is sifted down only when the run's next event is later than
 * one of the heap's two children.
 */

#include "config.h"

#include "tv-event-merge.h"

typedef struct
{
  TvEvent     *events;
  gsize       *next;   /* each run's cursor */
  const gsize *ends;
  guint       *heap;   /* run indices */
  guint        len;
} Merge;

gint
tv_event_compare_time (gconstpointer a,
                       gconstpointer b,
                       gpointer      unused)
{
  gint64 ta = ((const TvEvent *) a)->time;
  gint64 tb = ((const TvEvent *) b)->time;

  return ta < tb ? -1 : ta > tb;
}

/* Whether run a's next event goes before run b's: earlier, or as early
 * and from an earlier run (stable). */
static inline gboolean
goes_before (const Merge *m,
             guint        a,
             guint        b)
{
  gint64 ta = m->events[m->next[a]].time;
  gint64 tb = m->events[m->next[b]].time;

  return ta < tb || (ta == tb && a < b);
}

static void
sift_down (Merge *m,
           guint  at)
{
  guint run = m->heap[at];

  for (;;)
    {
      guint child = 2 * at + 1;

      if (child >= m->len)
        break;
      if (child + 1 < m->len && goes_before (m, m->heap[child + 1], m->heap[child]))
        child++;
      if (!goes_before (m, m->heap[child], run))
        break;
      m->heap[at] = m->heap[child];
      at = child;
    }
  m->heap[at] = run;
}

/* A run that is not in time order (a ring several threads write, a
 * dropped-events marker) is sorted in place: g_qsort_with_data() is a
 * stable merge sort. */
static void
sort_run_if_needed (TvEvent *events,
                    gsize    start,
                    gsize    end)
{
  for (gsize i = start + 1; i < end; i++)
    if (events[i].time < events[i - 1].time)
      {
        g_qsort_with_data (events + start, (gint) (end - start), sizeof (TvEvent),
                           tv_event_compare_time, NULL);
        return;
      }
}

void
tv_event_merge_runs (TvEvent     *events,
                     const gsize *ends,
                     guint        n_runs,
                     TvEvent     *out)
{
  g_autofree gsize *next = g_new (gsize, MAX (n_runs, 1));
  g_autofree guint *heap = g_new (guint, MAX (n_runs, 1));
  Merge m = { events, next, ends, heap, 0 };
  gsize start = 0, n = 0;

  g_return_if_fail (n_runs == 0 || ends != NULL);
  g_return_if_fail (n_runs == 0 || ends[n_runs - 1] == 0 || (events != NULL && out != NULL));

  for (guint r = 0; r < n_runs; r++)
    {
      sort_run_if_needed (events, start, ends[r]);
      next[r] = start;
      if (ends[r] > start)
        heap[m.len++] = r;
      start = ends[r];
    }
  for (guint i = m.len / 2; i-- > 0;)
    sift_down (&m, i);

  while (m.len > 0)
    {
      guint run = heap[0];

      out[n++] = events[next[run]++];
      if (next[run] == ends[run])
        {
          /* Run used up: the last one takes its place. */
          heap[0] = heap[--m.len];
          if (m.len > 0)
            sift_down (&m, 0);
        }
      else if (m.len > 1)
        {
          /* Still the first unless a child now goes before it. */
          guint c = m.len > 2 && goes_before (&m, heap[2], heap[1]) ? 2 : 1;

          if (goes_before (&m, heap[c], run))
            sift_down (&m, 0);
        }
    }
}
