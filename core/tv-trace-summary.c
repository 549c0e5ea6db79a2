/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-summary.c: a pyramid over each thread's spans, and the query
 * that draws a row in as many segments as it has pixels.
 *
 * Level 0 summarises blocks of LEAF consecutive spans; level k+1 pairs the
 * nodes of level k.  A node keeps the state that covers most of its spans'
 * time (exact at level 0, the larger child's dominant state above: good
 * enough to choose a pixel's colour), the span that represents it, and the
 * set of states seen.  Only complete spans (those followed by another) are
 * summarised: the last one's end still moves.
 *
 * The pyramid is built lazily, at query time, from the first span that
 * changed: spans arrive at the end, so that is a few nodes per frame; an
 * out-of-order span truncates the levels at its index and they are rebuilt
 * from there.
 */

#define G_LOG_DOMAIN "tv-trace"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tv-trace-private.h"
#include "tv-trace-summary.h"

#define LEAF_SHIFT 3
#define LEAF       (1u << LEAF_SHIFT)

typedef struct
{
  gint64   cover;     /* ns the dominant state covers */
  guint32  rep;       /* index of the dominant state's longest span */
  guint16  states;    /* bit (1 << state) */
  guint8   state;
  guint8   reserved;
} SummaryNode;

G_STATIC_ASSERT (TV_N_STATES <= 16);

struct _TvThreadSummary
{
  GPtrArray *levels;   /* GArray of SummaryNode, level 0 first */
  guint      dirty;    /* spans from this index on are not summarised */
};

void
_tv_thread_summary_free (gpointer data)
{
  TvThreadSummary *summary = data;

  if (summary == NULL)
    return;
  g_ptr_array_unref (summary->levels);
  g_free (summary);
}

static TvThreadSummary *
summary_get (TvTrace *self,
             guint    thread)
{
  TvThreadSummary *summary;

  if (thread >= self->summaries->len)
    g_ptr_array_set_size (self->summaries, thread + 1);
  summary = g_ptr_array_index (self->summaries, thread);
  if (summary == NULL)
    {
      summary = g_new0 (TvThreadSummary, 1);
      summary->levels = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
      g_ptr_array_index (self->summaries, thread) = summary;
    }
  return summary;
}

void
_tv_trace_summary_invalidate (TvTrace *self,
                              guint    thread,
                              guint    span)
{
  TvThreadSummary *summary;

  if (thread >= self->summaries->len)
    return;
  summary = g_ptr_array_index (self->summaries, thread);
  if (summary != NULL && span < summary->dirty)
    summary->dirty = span;
}

static inline gint64
span_end (const TvTraceThread *thread,
          gint64               trace_end,
          guint                i)
{
  const GArray *spans = thread->spans;

  if (i + 1 < spans->len)
    return g_array_index (spans, TvSpan, i + 1).start;
  if (thread->ended >= 0)
    return MAX (thread->ended, g_array_index (spans, TvSpan, i).start);
  return MAX (trace_end, g_array_index (spans, TvSpan, i).start);
}

static void
leaf_build (const TvTraceThread *thread,
            guint                first,
            SummaryNode         *node)
{
  const GArray *spans = thread->spans;
  gint64 cover[TV_N_STATES] = { 0 };
  gint64 longest[TV_N_STATES] = { 0 };
  guint rep[TV_N_STATES] = { 0 };
  guint16 states = 0;
  guint8 best = 0;

  for (guint i = first; i < first + LEAF; i++)
    {
      const TvSpan *span = &g_array_index (spans, TvSpan, i);
      gint64 d = g_array_index (spans, TvSpan, i + 1).start - span->start;
      guint8 s = span->state < TV_N_STATES ? span->state : TV_STATE_TERMINATED;

      /* A span that lasts nothing (two states at one ns) is not seen. */
      if (d <= 0)
        continue;
      states |= 1u << s;
      cover[s] += d;
      if (d > longest[s] || rep[s] == 0)
        {
          longest[s] = d;
          rep[s] = i + 1;   /* + 1: 0 means none */
        }
    }
  for (guint s = 1; s < TV_N_STATES; s++)
    if (rep[s] != 0 && (rep[best] == 0 || cover[s] > cover[best]))
      best = (guint8) s;

  node->cover = cover[best];
  node->rep = rep[best] != 0 ? rep[best] - 1 : first;
  node->states = states;
  node->state = best;
  node->reserved = 0;
}

static void
node_merge (const SummaryNode *a,
            const SummaryNode *b,
            SummaryNode       *out)
{
  if (a->state == b->state)
    {
      *out = *a;
      out->cover = a->cover + b->cover;
    }
  else
    *out = b->cover > a->cover ? *b : *a;
  out->states = a->states | b->states;
}

/* Brings the pyramid up to the thread's complete spans. */
static TvThreadSummary *
summary_update (TvTrace             *self,
                const TvTraceThread *thread)
{
  TvThreadSummary *summary = summary_get (self, thread->index);
  guint complete = thread->spans->len > 0 ? thread->spans->len - 1 : 0;
  guint keep = summary->dirty >> LEAF_SHIFT;   /* nodes still valid at level 0 */
  guint n = complete >> LEAF_SHIFT;
  guint level = 0;

  while (n > 0)
    {
      GArray *nodes;

      if (level >= summary->levels->len)
        g_ptr_array_add (summary->levels, g_array_new (FALSE, FALSE, sizeof (SummaryNode)));
      nodes = g_ptr_array_index (summary->levels, level);
      keep = MIN (keep, nodes->len);
      if (keep < nodes->len)
        g_array_set_size (nodes, keep);
      if (nodes->len < n)
        {
          g_array_set_size (nodes, n);
          for (guint i = keep; i < n; i++)
            {
              SummaryNode *node = &g_array_index (nodes, SummaryNode, i);

              if (level == 0)
                leaf_build (thread, i << LEAF_SHIFT, node);
              else
                {
                  GArray *below = g_ptr_array_index (summary->levels, level - 1);

                  node_merge (&g_array_index (below, SummaryNode, 2 * i),
                              &g_array_index (below, SummaryNode, 2 * i + 1), node);
                }
            }
        }
      keep >>= 1;
      n >>= 1;
      level++;
    }
  /* Levels above the top hold nothing valid any more. */
  while (summary->levels->len > level)
    g_ptr_array_remove_index (summary->levels, summary->levels->len - 1);
  summary->dirty = complete;
  return summary;
}

/* ---- The query ----------------------------------------------------------- */

typedef struct
{
  TvTrace             *trace;
  const TvTraceThread *thread;
  TvThreadSummary     *summary;
  gint64               trace_end;
  TvTraceSegmentFunc   func;
  gpointer             user_data;
  TvTraceSegment       pending;
  gboolean             active;
  guint                count;
} Query;

typedef struct
{
  gint64   cover[TV_N_STATES];
  gint64   longest[TV_N_STATES];
  guint    rep[TV_N_STATES];
  guint16  states;
} Tally;

static void
flush (Query *q)
{
  if (!q->active)
    return;
  q->func (&q->pending, q->user_data);
  q->count++;
  q->active = FALSE;
}

static void
emit (Query    *q,
      gint64    start,
      gint64    end,
      guint8    state,
      guint     rep,
      gboolean  summary,
      guint16   states,
      guint     first,
      guint     last)
{
  TvTraceSegment *seg = &q->pending;
  const TvSpan *span = &g_array_index (q->thread->spans, TvSpan, rep);

  /* Real spans merge only when they wait for the same thing: two joins in
   * a row name no object, only the thread each joins (aux). */
  if (q->active && seg->state == state && seg->end >= start
      && (summary || seg->summary
          || (seg->object == span->object && seg->aux == span->aux)))
    {
      /* A real span says better than a summary what the bar waits for. */
      if (seg->summary && !summary)
        {
          seg->object = span->object;
          seg->aux = span->aux;
          seg->line = span->line;
        }
      seg->summary = seg->summary && summary;
      seg->end = MAX (seg->end, end);
      seg->states |= states;
      seg->n_spans = last - seg->first_span;
      return;
    }
  flush (q);
  q->active = TRUE;
  seg->start = start;
  seg->end = end;
  seg->state = state;
  seg->object = span->object;
  seg->aux = span->aux;
  seg->line = span->line;
  seg->summary = summary;
  seg->states = states;
  seg->first_span = first;
  seg->n_spans = last - first;
}

static void
tally_span (Query  *q,
            Tally  *t,
            guint   i,
            gint64  t0,
            gint64  t1)
{
  const TvSpan *span = &g_array_index (q->thread->spans, TvSpan, i);
  gint64 s = MAX (span->start, t0);
  gint64 e = MIN (span_end (q->thread, q->trace_end, i), t1);
  guint8 state = span->state < TV_N_STATES ? span->state : TV_STATE_TERMINATED;

  if (e <= s)
    return;
  t->states |= 1u << state;
  t->cover[state] += e - s;
  if (e - s > t->longest[state])
    {
      t->longest[state] = e - s;
      t->rep[state] = i;
    }
}

static void
tally_node (Tally             *t,
            const SummaryNode *node)
{
  t->states |= node->states;
  t->cover[node->state] += node->cover;
  if (node->cover > t->longest[node->state])
    {
      t->longest[node->state] = node->cover;
      t->rep[node->state] = node->rep;
    }
}

/* Tallies the spans [a, b), all inside [t0, t1) but the first and last. */
static void
tally_range (Query  *q,
             Tally  *t,
             guint   a,
             guint   b,
             gint64  t0,
             gint64  t1)
{
  GPtrArray *levels = q->summary->levels;

  /* The edges may stick out of the column: counted exactly. */
  tally_span (q, t, a, t0, t1);
  if (b - 1 > a)
    tally_span (q, t, b - 1, t0, t1);
  a++;
  b--;

  /* A dense column: whole leaves only, each taken when it is mostly inside
   * (a few spans more or less do not change which state dominates, and
   * counting them one by one would be most of the cost). */
  if (b - a >= 4 * LEAF)
    {
      guint complete = q->thread->spans->len - 1;
      guint rounded_b = (b + LEAF / 2) & ~(LEAF - 1);

      a = (a + LEAF / 2) & ~(LEAF - 1);
      b = rounded_b <= complete ? rounded_b : b;
    }

  while (a < b)
    {
      guint level = 0;
      guint size = LEAF;

      /* The largest aligned, built node that fits in [a, b). */
      if ((a & (LEAF - 1)) == 0 && a + LEAF <= b && levels->len > 0
          && (a >> LEAF_SHIFT) < ((GArray *) g_ptr_array_index (levels, 0))->len)
        {
          while (level + 1 < levels->len
                 && (a & (2 * size - 1)) == 0 && a + 2 * size <= b
                 && (a >> (LEAF_SHIFT + level + 1))
                      < ((GArray *) g_ptr_array_index (levels, level + 1))->len)
            {
              level++;
              size *= 2;
            }
          tally_node (t, &g_array_index ((GArray *) g_ptr_array_index (levels, level),
                                         SummaryNode, a >> (LEAF_SHIFT + level)));
          a += size;
        }
      else
        {
          tally_span (q, t, a, t0, t1);
          a++;
        }
    }
}

/* The first span at or after `lo` that starts after `time` (spans->len if
 * none), galloping from `lo + hint` in whichever direction it lies: with
 * `hint` the previous column's number of spans, that is a few probes, and
 * never more than O(log distance). */
static guint
first_span_after (const GArray *spans,
                  guint         lo,
                  gint64        time,
                  guint         hint)
{
  guint hi = spans->len, step = 1;
  guint p = hint < hi - lo ? lo + hint : hi - 1;

  if (p > lo && g_array_index (spans, TvSpan, p).start > time)
    {
      /* Past it: the answer is in (lo, p]; gallop back. */
      hi = p;
      while (p - lo > step && g_array_index (spans, TvSpan, p - step).start > time)
        {
          hi = p - step;
          step *= 2;
        }
      lo = step < p - lo ? p - step : lo;
    }
  else
    {
      /* At or before it: gallop forward from p. */
      lo = MAX (lo, p);
      while (lo + step < spans->len && g_array_index (spans, TvSpan, lo + step).start <= time)
        {
          lo += step;
          step *= 2;
        }
      hi = MIN (lo + step, spans->len);
    }
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (spans, TvSpan, mid).start > time)
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo;
}

guint
tv_trace_thread_query (TvTrace            *self,
                       guint               thread_index,
                       gint64              start,
                       gint64              end,
                       guint               n_pixels,
                       TvTraceSegmentFunc  func,
                       gpointer            user_data)
{
  return tv_trace_thread_query_until (self, thread_index, start, end, n_pixels, 0,
                                      func, user_data);
}

guint
tv_trace_thread_query_until (TvTrace            *self,
                             guint               thread_index,
                             gint64              start,
                             gint64              end,
                             guint               n_pixels,
                             gint64              now,
                             TvTraceSegmentFunc  func,
                             gpointer            user_data)
{
  Query q = { 0 };
  const GArray *spans;
  double ns_per_px;
  gint64 t;
  guint i, hint = 1;

  g_return_val_if_fail (TV_IS_TRACE (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  q.thread = tv_trace_get_thread (self, thread_index);
  if (q.thread == NULL || q.thread->spans->len == 0 || end <= start || n_pixels == 0)
    return 0;
  q.trace = self;
  q.trace_end = MAX (self->end_time, now);
  q.func = func;
  q.user_data = user_data;
  q.summary = summary_update (self, q.thread);
  spans = q.thread->spans;
  ns_per_px = (double) (end - start) / n_pixels;

  /* The span that holds `start`, or the first one. */
  i = first_span_after (spans, 0, start, 0);
  i = i > 0 ? i - 1 : 0;
  t = MAX (g_array_index (spans, TvSpan, i).start, start);

  while (i < spans->len && t < end)
    {
      gint64 span_stop = span_end (q.thread, q.trace_end, i);
      const TvSpan *span = &g_array_index (spans, TvSpan, i);
      double col;
      gint64 col_end;
      guint j;
      Tally tally;
      guint8 best;

      if (span_stop <= t)
        {
          i++;
          if (i < spans->len)
            t = MAX (t, g_array_index (spans, TvSpan, i).start);
          continue;
        }

      /* At least a pixel wide: the span itself. */
      if ((double) (MIN (span_stop, end) - t) >= ns_per_px)
        {
          emit (&q, t, MIN (span_stop, end), span->state, i, FALSE,
                (guint16) (1u << MIN (span->state, TV_N_STATES - 1)), i, i + 1);
          t = span_stop;
          i++;
          continue;
        }

      /* Thinner: the rest of its pixel column, as one segment. */
      col = floor ((double) (t - start) / ns_per_px);
      col_end = start + (gint64) ceil ((col + 1.0) * ns_per_px);
      col_end = MIN (MAX (col_end, t + 1), end);
      j = first_span_after (spans, i, col_end - 1, hint);
      hint = j - i;

      memset (&tally, 0, sizeof tally);
      tally_range (&q, &tally, i, j, t, col_end);
      best = TV_N_STATES;
      for (guint s = 0; s < TV_N_STATES; s++)
        if (tally.cover[s] > 0 && (best == TV_N_STATES || tally.cover[s] > tally.cover[best]))
          best = (guint8) s;
      if (best < TV_N_STATES)
        emit (&q, t, col_end, best, tally.rep[best], j - i > 1, tally.states, i, j);

      /* The column's last span may go on past it. */
      i = span_end (q.thread, q.trace_end, j - 1) > col_end ? j - 1 : j;
      t = col_end;
      if (i < spans->len)
        t = MAX (t, g_array_index (spans, TvSpan, i).start);
    }
  flush (&q);
  return q.count;
}

static gsize
array_bytes (const GArray *array)
{
  return array != NULL ? (gsize) array->len * g_array_get_element_size ((GArray *) array) : 0;
}

gsize
tv_trace_get_memory_size (TvTrace *self)
{
  gsize total = sizeof *self;

  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  for (guint i = 0; i < self->threads->len; i++)
    {
      const TvTraceThread *thread = g_ptr_array_index (self->threads, i);

      if (thread == NULL)
        continue;
      total += sizeof *thread + array_bytes (thread->spans) + array_bytes (thread->renames);
    }
  for (guint i = 0; i < self->objects->len; i++)
    {
      const TvTraceObject *object = g_ptr_array_index (self->objects, i);

      if (object == NULL)
        continue;
      total += sizeof *object + array_bytes (object->holds) + array_bytes (object->waiters)
               + array_bytes (object->depth) + array_bytes (object->accesses);
    }
  for (guint i = 0; i < self->summaries->len; i++)
    {
      const TvThreadSummary *summary = g_ptr_array_index (self->summaries, i);

      if (summary == NULL)
        continue;
      for (guint k = 0; k < summary->levels->len; k++)
        total += array_bytes (g_ptr_array_index (summary->levels, k));
    }
  total += array_bytes (self->links) + array_bytes (self->prints) + array_bytes (self->problems);
  return total;
}
