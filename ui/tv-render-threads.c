/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-render-threads.c: a thread's row: its state bars, labels in them, and
 * the cap where it ended.
 *
 * Level of detail: a span at least a pixel wide is drawn as itself; where
 * several spans share one pixel column, the column is drawn once, in the
 * state that covers most of it.  The spans of a column are found by binary
 * search and, when there are many, sampled, so that the cost of a row
 * follows its width in pixels and not its number of spans.
 */
#define G_LOG_DOMAIN "tv-renderer"

#include "config.h"

#include <math.h>

#include "tv-renderer-private.h"

/* More spans than this in one pixel column are sampled, not summed. */
#define MAX_SPANS_PER_COLUMN 48

typedef struct
{
  double   x0, x1;
  guint8   state;
  guint32  object;
  guint32  aux;
  gboolean active;
  gboolean summary;   /* only summarised columns so far */
} Segment;

typedef struct
{
  TvFrame             *frame;
  const TvTraceThread *thread;
  double               y, height;
  Segment              pending;
} RowContext;

static gint64
span_end (const RowContext *ctx,
          guint             i)
{
  const GArray *spans = ctx->thread->spans;

  if (i + 1 < spans->len)
    return g_array_index (spans, TvSpan, i + 1).start;
  if (ctx->thread->ended >= 0)
    return ctx->thread->ended;
  return MAX (ctx->frame->trace_end, g_array_index (spans, TvSpan, i).start);
}

/* The index of the first span that starts after `time` (spans->len if none). */
static guint
first_span_after (const GArray *spans,
                  guint         lo,
                  gint64        time)
{
  guint hi = spans->len;

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

static char *
state_label (TvFrame      *frame,
             const Segment *seg,
             gboolean      shortest)
{
  const TvTraceObject *object = seg->object != 0
    ? tv_trace_get_object (frame->trace, seg->object) : NULL;
  const char *name = object != NULL && object->name != NULL ? object->name : NULL;

  switch ((TvThreadState) seg->state)
    {
    case TV_STATE_NEW:
      return g_strdup ("new");
    case TV_STATE_RUNNING:
      return shortest ? NULL : g_strdup ("running");
    case TV_STATE_GIL_WAIT:
      return g_strdup (shortest ? "GIL" : "waiting for the GIL");
    case TV_STATE_SLEEPING:
      return g_strdup (shortest ? "zz" : "sleeping");
    case TV_STATE_IO:
      return g_strdup ("I/O");
    case TV_STATE_LOCK:
      if (name == NULL)
        return g_strdup ("blocked");
      return shortest ? g_strdup (name) : g_strdup_printf ("blocked on %s", name);
    case TV_STATE_QUEUE_EMPTY:
      if (name == NULL)
        return g_strdup ("get (empty)");
      return shortest ? g_strdup (name) : g_strdup_printf ("get %s (empty)", name);
    case TV_STATE_QUEUE_FULL:
      if (name == NULL)
        return g_strdup ("put (full)");
      return shortest ? g_strdup (name) : g_strdup_printf ("put %s (full)", name);
    case TV_STATE_JOIN:
      {
        const char *joined = tv_layout_thread_name (frame->trace, seg->aux);
        return shortest ? g_strdup (joined) : g_strdup_printf ("join %s", joined);
      }
    case TV_STATE_EVENT:
    case TV_STATE_CONDITION:
      if (name == NULL)
        return g_strdup ("wait");
      return shortest ? g_strdup (name) : g_strdup_printf ("wait %s", name);
    case TV_STATE_BARRIER:
      if (name == NULL)
        return g_strdup ("barrier");
      return shortest ? g_strdup (name) : g_strdup_printf ("barrier %s", name);
    case TV_STATE_SEMAPHORE:
      if (name == NULL)
        return g_strdup ("acquire");
      return shortest ? g_strdup (name) : g_strdup_printf ("acquire %s", name);
    case TV_STATE_QUEUE_JOIN:
      if (name == NULL)
        return g_strdup ("join queue");
      return shortest ? g_strdup (name) : g_strdup_printf ("join %s", name);
    case TV_STATE_TERMINATED:
    case TV_N_STATES:
    default:
      return NULL;
    }
}

void
tv_render_state_bar (TvFrame       *frame,
                     TvThreadState  state,
                     double         x0,
                     double         x1,
                     double         y,
                     double         height)
{
  const TvStateStyle *style = &frame->palette->states[state];
  cairo_t *cr = frame->cr;

  if (state == TV_STATE_TERMINATED)
    return;

  if (style->pattern == TV_PATTERN_OUTLINE)
    {
      static const double dash[] = { 3.0, 2.0 };
      double inset = height * 0.25;

      cairo_rectangle (cr, x0, y + inset, x1 - x0, height - 2 * inset);
      tv_rgba_set_source (cr, &style->fill);
      cairo_fill_preserve (cr);
      cairo_save (cr);
      cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
      cairo_set_line_width (cr, 1.0);
      tv_rgba_set_source (cr, &style->ink);
      cairo_stroke (cr);
      cairo_restore (cr);
      return;
    }

  cairo_rectangle (cr, x0, y, x1 - x0, height);
  tv_rgba_set_source (cr, &style->fill);
  if (frame->patterns[state] != NULL)
    {
      cairo_fill_preserve (cr);
      cairo_set_source (cr, frame->patterns[state]);
    }
  cairo_fill (cr);
}

static void
draw_label (RowContext    *ctx,
            const Segment *seg)
{
  TvFrame *frame = ctx->frame;
  const TvStateStyle *style = &frame->palette->states[seg->state];
  double x0 = MAX (seg->x0, frame->area_x);
  double x1 = MIN (seg->x1, frame->area_x + frame->area_width);
  double available = x1 - x0 - 8;
  int attempt;

  if (available < 14)
    return;

  for (attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *text = state_label (frame, seg, attempt == 1);
      double w, h;

      if (text == NULL)
        return;
      tv_frame_set_text (frame, frame->font_small, text);
      tv_frame_text_size (frame, &w, &h);
      if (w <= available)
        {
          double cy = ctx->y + ctx->height / 2.0;
          double tx = x0 + 4;

          /* A backing in the bar's colour keeps text readable over hatching. */
          if (frame->patterns[seg->state] != NULL)
            {
              tv_frame_rounded_rect (frame->cr, tx - 2, cy - h / 2.0, w + 4, h, 2);
              tv_rgba_set_source_alpha (frame->cr, &style->fill, 0.92);
              cairo_fill (frame->cr);
            }
          tv_frame_show_text (frame, tx, cy, &style->text);
          return;
        }
    }
}

static void
flush (RowContext *ctx)
{
  Segment *seg = &ctx->pending;

  if (!seg->active)
    return;
  tv_render_state_bar (ctx->frame, seg->state, seg->x0, seg->x1, ctx->y, ctx->height);
  ctx->frame->n_bars++;
  draw_label (ctx, seg);
  seg->active = FALSE;
}

static void
emit (RowContext *ctx,
      double      x0,
      double      x1,
      const TvSpan *span,
      guint8      state,
      gboolean    summary)
{
  Segment *seg = &ctx->pending;

  /* Merge with the pending segment when the state goes on. */
  if (seg->active && seg->state == state && x0 - seg->x1 < 0.5
      && (summary || seg->summary
          || (span != NULL && seg->object == span->object && seg->aux == span->aux)))
    {
      /* A real span tells better than a summary what the bar waits for. */
      if (seg->summary && !summary && span != NULL)
        {
          seg->object = span->object;
          seg->aux = span->aux;
          seg->summary = FALSE;
        }
      seg->x1 = MAX (seg->x1, x1);
      return;
    }
  flush (ctx);
  seg->active = TRUE;
  seg->x0 = x0;
  seg->x1 = x1;
  seg->state = state;
  seg->object = span != NULL ? span->object : 0;
  seg->aux = span != NULL ? span->aux : 0;
  seg->summary = summary;
}

/*
 * The state that covers most of [t0, t1) among spans first..last-1 (they
 * all start before t1).  Many spans are sampled evenly instead of summed.
 */
static guint8
dominant_state (RowContext *ctx,
                guint       first,
                guint       last,
                gint64      t0,
                gint64      t1,
                guint      *representative)
{
  const GArray *spans = ctx->thread->spans;
  gint64 cover[TV_N_STATES] = { 0 };
  gint64 longest[TV_N_STATES] = { 0 };
  guint longest_index[TV_N_STATES] = { 0 };
  guint n = last - first;
  guint stride = n > MAX_SPANS_PER_COLUMN ? n / MAX_SPANS_PER_COLUMN : 1;
  guint8 best = TV_STATE_TERMINATED;
  guint i;

  for (i = first; i < last; i += stride)
    {
      const TvSpan *span = &g_array_index (spans, TvSpan, i);
      gint64 s = MAX (span->start, t0);
      gint64 e = MIN (span_end (ctx, i), t1);

      if (e > s && span->state < TV_N_STATES)
        {
          cover[span->state] += e - s;
          if (e - s > longest[span->state])
            {
              longest[span->state] = e - s;
              longest_index[span->state] = i;
            }
        }
    }
  for (i = 0; i < TV_N_STATES; i++)
    if (i != TV_STATE_TERMINATED && cover[i] > 0
        && (best == TV_STATE_TERMINATED || cover[i] > cover[best]))
      best = i;
  /* The label names what the longest span of that state waits for. */
  *representative = best < TV_N_STATES ? longest_index[best] : first;
  return best;
}

static void
draw_spans (RowContext *ctx)
{
  TvFrame *frame = ctx->frame;
  const GArray *spans = ctx->thread->spans;
  gint64 view_end = frame->end;
  double area_end = frame->area_x + frame->area_width;
  gint64 t;
  guint i;

  if (spans == NULL || spans->len == 0)
    return;

  i = first_span_after (spans, 0, frame->start);
  i = i > 0 ? i - 1 : 0;
  t = MAX (g_array_index (spans, TvSpan, i).start, frame->start);

  while (i < spans->len && t < view_end)
    {
      const TvSpan *span = &g_array_index (spans, TvSpan, i);
      gint64 end = span_end (ctx, i);
      double x0, x1;

      if (end <= t)
        {
          i++;
          if (i < spans->len)
            t = MAX (t, g_array_index (spans, TvSpan, i).start);
          continue;
        }
      x0 = tv_frame_x (frame, t);
      x1 = tv_frame_x (frame, MIN (end, view_end));
      if (x0 > area_end + TV_RIGHT_PAD)
        break;

      if (x1 - x0 >= 1.0)
        {
          if (span->state != TV_STATE_TERMINATED)
            emit (ctx, x0, x1, span, span->state, FALSE);
          t = end;
          i++;
          continue;
        }

      /* A span thinner than a pixel: draw its whole pixel column once. */
      {
        double col = floor (x0 - frame->area_x);
        double cx0 = frame->area_x + col;
        gint64 col_end = frame->start + (gint64) ceil ((col + 1.0) / frame->px_per_ns);
        guint j, representative;
        guint8 state;

        col_end = MAX (col_end, t + 1);
        j = first_span_after (spans, i + 1, col_end - 1);
        state = dominant_state (ctx, i, j, t, col_end, &representative);
        if (state != TV_STATE_TERMINATED)
          emit (ctx, cx0, cx0 + 1.0, &g_array_index (spans, TvSpan, representative),
                state, TRUE);

        /* The column's last span may go on past it. */
        if (span_end (ctx, j - 1) > col_end)
          i = j - 1;
        else
          i = j;
        t = col_end;
        if (i < spans->len)
          t = MAX (t, g_array_index (spans, TvSpan, i).start);
      }
    }
  flush (ctx);
}

static void
draw_new_before_spans (RowContext *ctx)
{
  TvFrame *frame = ctx->frame;
  const TvTraceThread *thread = ctx->thread;
  gint64 first = thread->spans != NULL && thread->spans->len > 0
    ? g_array_index (thread->spans, TvSpan, 0).start
    : (thread->ended >= 0 ? thread->ended : frame->trace_end);

  /* A thread declared but not yet given any state is new. */
  if (first > thread->created && first > frame->start && thread->created < frame->end)
    tv_render_state_bar (frame, TV_STATE_NEW,
                         tv_frame_x_clamped (frame, thread->created),
                         tv_frame_x_clamped (frame, first),
                         ctx->y, ctx->height);
}

static void
draw_end_cap (RowContext *ctx)
{
  TvFrame *frame = ctx->frame;
  cairo_t *cr = frame->cr;
  double x;

  if (ctx->thread->ended < 0 || ctx->thread->ended < frame->start
      || ctx->thread->ended > frame->end)
    return;

  /* A bracket closing the row: the thread ended here, nothing follows. */
  x = tv_frame_x (frame, ctx->thread->ended);
  cairo_rectangle (cr, x - 1, ctx->y - 2, 3, ctx->height + 4);
  tv_rgba_set_source (cr, &frame->palette->foreground);
  cairo_fill (cr);
  cairo_rectangle (cr, x - 4, ctx->y - 2, 5, 2);
  cairo_rectangle (cr, x - 4, ctx->y + ctx->height, 5, 2);
  cairo_fill (cr);
}

void
tv_render_thread_row (TvFrame     *frame,
                      const TvRow *row)
{
  RowContext ctx = { 0 };

  ctx.frame = frame;
  ctx.thread = tv_trace_get_thread (frame->trace, row->id);
  if (ctx.thread == NULL)
    return;
  ctx.y = tv_frame_row_top (frame, row) + TV_BAR_INSET;
  ctx.height = row->height - 2 * TV_BAR_INSET;

  draw_new_before_spans (&ctx);
  draw_spans (&ctx);
  draw_end_cap (&ctx);
}
