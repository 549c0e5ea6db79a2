/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-render-threads.c: a thread's row: its state bars, labels in them, and
 * the cap where it ended.
 *
 * Level of detail: the trace's pyramid over the spans gives the row as
 * about one segment per pixel column (a span at least a pixel wide is its
 * own segment; a column of thinner ones is drawn once, in the state that
 * covers most of it), so the cost of a row follows its width in pixels and
 * not its number of spans.
 */
#define G_LOG_DOMAIN "tv-renderer"

#include "config.h"

#include <math.h>

#include "tv-renderer-private.h"
#include "tv-trace-summary.h"

/* A merged run of joins longer than this is drawn as one bar. */
#define MAX_JOIN_WALK 64

typedef struct
{
  double   x0, x1;
  guint8   state;
  guint32  object;
  guint32  aux;
  gboolean active;
  gboolean summary;   /* only summarised columns so far */
} Segment;

/* A bar waiting to be filled with the others of its state. */
typedef struct
{
  double   x0, x1;
  guint8   state;
} Bar;

typedef struct
{
  TvFrame             *frame;
  const TvTraceThread *thread;
  double               y, height;
  Segment              pending;
  GArray              *bars;      /* Bar, left to right, not overlapping */
  GArray              *labels;    /* Segment: bars wide enough for a label */
} RowContext;

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

/*
 * Bars are not filled one by one: each fill of a hatched state costs cairo
 * a setup of the scaled tile, which made a row of a few hundred thin bars
 * cost most of a frame.  A row keeps its bars and fills all those of one
 * state at once (paint_bars()), then draws the labels over them.  Where a
 * bar drawn a pixel wide runs into the next one, the next one wins, as it
 * did when each bar was painted over the previous one.
 */
static void
flush (RowContext *ctx)
{
  Segment *seg = &ctx->pending;
  Bar bar;

  if (!seg->active)
    return;
  seg->active = FALSE;
  bar = (Bar) { seg->x0, seg->x1, seg->state };
  if (ctx->frame->snap)
    {
      /*
       * On pixels, edges go to whole device pixels: then each pixel shows
       * one state, the one whose bar covers most of it, instead of a
       * blend of the states either side (and the background behind both)
       * that made thin bars look paler than they are.
       */
      double y = 0;

      cairo_user_to_device (ctx->frame->cr, &bar.x0, &y);
      cairo_user_to_device (ctx->frame->cr, &bar.x1, &y);
      bar.x0 = round (bar.x0);
      bar.x1 = MAX (round (bar.x1), bar.x0 + 1.0);
      cairo_device_to_user (ctx->frame->cr, &bar.x0, &y);
      cairo_device_to_user (ctx->frame->cr, &bar.x1, &y);
    }
  if (ctx->bars->len > 0)
    {
      Bar *prev = &g_array_index (ctx->bars, Bar, ctx->bars->len - 1);

      prev->x1 = MAX (prev->x0, MIN (prev->x1, bar.x0));
    }
  g_array_append_val (ctx->bars, bar);
  ctx->frame->n_bars++;
  if (seg->x1 - seg->x0 >= 22)
    g_array_append_val (ctx->labels, *seg);
}

static void
paint_bars (RowContext *ctx)
{
  TvFrame *frame = ctx->frame;
  cairo_t *cr = frame->cr;
  guint i, state;

  for (state = 0; state < TV_N_STATES; state++)
    {
      const TvStateStyle *style = &frame->palette->states[state];
      gboolean any = FALSE;

      for (i = 0; i < ctx->bars->len; i++)
        {
          const Bar *bar = &g_array_index (ctx->bars, Bar, i);

          if (bar->state != state || bar->x1 <= bar->x0)
            continue;
          /* The dashed outline of `new` is drawn bar by bar. */
          if (style->pattern == TV_PATTERN_OUTLINE)
            tv_render_state_bar (frame, state, bar->x0, bar->x1, ctx->y, ctx->height);
          else
            {
              cairo_rectangle (cr, bar->x0, ctx->y, bar->x1 - bar->x0, ctx->height);
              any = TRUE;
            }
        }
      if (!any)
        continue;
      tv_rgba_set_source (cr, &style->fill);
      if (frame->patterns[state] != NULL)
        {
          cairo_fill_preserve (cr);
          cairo_set_source (cr, frame->patterns[state]);
        }
      cairo_fill (cr);
    }
  for (i = 0; i < ctx->labels->len; i++)
    draw_label (ctx, &g_array_index (ctx->labels, Segment, i));
  g_array_set_size (ctx->bars, 0);
  g_array_set_size (ctx->labels, 0);
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

static void
segment_cb (const TvTraceSegment *seg,
            gpointer              user_data)
{
  RowContext *ctx = user_data;
  TvSpan span = { seg->start, seg->object, seg->aux, seg->line, seg->state, 0 };
  double x0, x1;

  if (seg->state == TV_STATE_TERMINATED || seg->state >= TV_N_STATES)
    return;

  /*
   * The query keeps real joins of different threads apart, but a join
   * next to a pixel column summarised as a join merges with it (and the
   * segment is then no summary), so a segment may still hold "join
   * worker-1" then "join worker-2".  Joins are few, so their spans are
   * walked (a bounded number) to keep each one's bar and label.
   */
  if (seg->state == TV_STATE_JOIN && !seg->summary && seg->n_spans > 1
      && seg->n_spans <= MAX_JOIN_WALK)
    {
      const GArray *spans = ctx->thread->spans;
      guint i;

      for (i = seg->first_span; i < seg->first_span + seg->n_spans && i < spans->len; i++)
        {
          const TvSpan *s = &g_array_index (spans, TvSpan, i);
          gint64 s0 = MAX (s->start, seg->start);
          gint64 s1 = i + 1 < spans->len
            ? MIN (g_array_index (spans, TvSpan, i + 1).start, seg->end) : seg->end;

          if (s1 <= s0)
            continue;
          x0 = tv_frame_x_clamped (ctx->frame, s0);
          x1 = tv_frame_x_clamped (ctx->frame, MIN (s1, ctx->frame->end));
          emit (ctx, x0, MAX (x1, x0 + 1.0), s, s->state, FALSE);
        }
      return;
    }

  x0 = tv_frame_x_clamped (ctx->frame, seg->start);
  x1 = tv_frame_x_clamped (ctx->frame, MIN (seg->end, ctx->frame->end));
  emit (ctx, x0, MAX (x1, x0 + 1.0), &span, seg->state, seg->summary);
}

/*
 * The row comes from the trace's level of detail: about one segment per
 * pixel column whatever the number of spans (see tv-trace-summary.h).
 * The query's pixel grid is the frame's: its range is the area's whole
 * pixels at the frame's scale.  `trace_end` carries the live `now`.
 */
static void
draw_spans (RowContext *ctx)
{
  TvFrame *frame = ctx->frame;
  guint n_pixels = (guint) MAX (ceil (frame->area_width), 1.0);
  gint64 end = frame->start + (gint64) ceil (n_pixels / frame->px_per_ns);

  if (ctx->thread->spans == NULL || ctx->thread->spans->len == 0)
    return;
  tv_trace_thread_query_until (frame->trace, ctx->thread->index,
                               frame->start, MAX (end, frame->start + 1), n_pixels,
                               frame->trace_end, segment_cb, ctx);
  flush (ctx);
  paint_bars (ctx);
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
  ctx.bars = g_array_new (FALSE, FALSE, sizeof (Bar));
  ctx.labels = g_array_new (FALSE, FALSE, sizeof (Segment));

  draw_new_before_spans (&ctx);
  draw_spans (&ctx);
  draw_end_cap (&ctx);
  g_array_unref (ctx.bars);
  g_array_unref (ctx.labels);
}
