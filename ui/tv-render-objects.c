/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-render-objects.c: the rows of locks (who holds them, how many wait),
 * queues (depth as a step graph) and shared variables (reads and writes).
 *
 * Like thread rows, these follow pixels: holds thinner than a pixel share a
 * column found by binary search, queue depth collapses to a min–max line
 * per column, and variable ticks keep one mark per column.
 */
#define G_LOG_DOMAIN "tv-renderer"

#include "config.h"

#include <math.h>

#include "tv-renderer-private.h"

#define MAX_LANES TV_MAX_LANES

/* ---- binary searches (all arrays are sorted by time) ------------------- */

static guint
first_hold_from (const GArray *holds,
                 gint64        time)
{
  guint lo = 0, hi = holds->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (holds, TvHold, mid).start < time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static guint
first_point_after (const GArray *points,
                   gint64        time)
{
  guint lo = 0, hi = points->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (points, TvCounterPoint, mid).time <= time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static guint
first_access_from (const GArray *accesses,
                   gint64        time)
{
  guint lo = 0, hi = accesses->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (accesses, TvAccess, mid).time < time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* ---- locks and other synchronisation objects --------------------------- */

void
tv_render_waiter_badge (TvFrame *frame,
                        double   x,
                        double   y,
                        gint64   count)
{
  char text[32];
  double w, h, bw;

  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, count);
  tv_frame_set_text (frame, frame->font_small, text);
  tv_frame_text_size (frame, &w, &h);
  bw = MAX (w + 8, h + 2);
  tv_frame_rounded_rect (frame->cr, x, y - (h + 2) / 2.0, bw, h + 2, (h + 2) / 2.0);
  tv_rgba_set_source (frame->cr, &frame->palette->badge);
  cairo_fill_preserve (frame->cr);
  tv_rgba_set_source (frame->cr, &frame->palette->background);
  cairo_set_line_width (frame->cr, 1.0);
  cairo_stroke (frame->cr);
  tv_frame_show_text (frame, x + (bw - w) / 2.0, y, &frame->palette->badge_text);
}

static void
draw_hold (TvFrame      *frame,
           const TvHold *hold,
           double        x0,
           double        x1,
           double        y,
           double        height)
{
  cairo_t *cr = frame->cr;
  TvRgba color, text;
  double w, h;
  const char *name;

  tv_palette_thread_color (frame->palette, hold->thread, &color);
  if (x1 - x0 >= 4)
    {
      /* Rounded and outlined: a hold is not a thread state. */
      tv_frame_rounded_rect (cr, x0 + 0.5, y + 0.5, x1 - x0 - 1, height - 1, 3);
      tv_rgba_set_source (cr, &color);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, color.r * 0.6, color.g * 0.6, color.b * 0.6, 1);
      cairo_set_line_width (cr, 1);
      cairo_stroke (cr);
    }
  else
    {
      cairo_rectangle (cr, x0, y, MAX (x1 - x0, 1.0), height);
      tv_rgba_set_source (cr, &color);
      cairo_fill (cr);
    }

  if (x1 - x0 < 16)
    return;
  name = tv_layout_thread_name (frame->trace, hold->thread);
  tv_frame_set_text (frame, frame->font_small, name);
  tv_frame_text_size (frame, &w, &h);
  x0 = MAX (x0, frame->area_x);
  x1 = MIN (x1, frame->area_x + frame->area_width);
  if (w + 8 > x1 - x0 || h > height + 2)
    return;
  tv_palette_text_on (&color, &text);
  tv_frame_show_text (frame, x0 + 4, y + height / 2.0, &text);
}

static gint64
hold_end (TvFrame      *frame,
          const TvHold *hold)
{
  return hold->end >= 0 ? hold->end : MAX (frame->trace_end, hold->start);
}

static void
draw_holds (TvFrame             *frame,
            const TvTraceObject *object,
            guint                n_lanes,
            double               y,
            double               height)
{
  const GArray *holds = object->holds;
  double area_end = frame->area_x + frame->area_width;
  gint64 lane_end[MAX_LANES];
  gboolean lanes = n_lanes > 1;
  double lane_h = height / n_lanes;
  guint i, back;

  if (holds == NULL || holds->len == 0)
    return;

  for (i = 0; i < MAX_LANES; i++)
    lane_end[i] = G_MININT64;

  /*
   * Holds are sorted by start.  One lock's holds do not overlap, so one step
   * back finds a hold begun before the view; a semaphore's may, so look a
   * few more back.
   */
  i = first_hold_from (holds, frame->start);
  for (back = 0; i > 0 && back < (lanes ? 64u : 1u); back++)
    i--;

  while (i < holds->len)
    {
      const TvHold *hold = &g_array_index (holds, TvHold, i);
      gint64 end = hold_end (frame, hold);
      double x0, x1;
      guint lane = 0;

      if (hold->start >= frame->end)
        break;
      if (end <= frame->start)
        {
          i++;
          continue;
        }
      x0 = tv_frame_x_clamped (frame, hold->start);
      x1 = tv_frame_x_clamped (frame, end);
      if (x0 > area_end)
        break;

      if (lanes)
        {
          guint l;

          lane = n_lanes - 1;
          for (l = 0; l < n_lanes; l++)
            if (lane_end[l] <= hold->start)
              {
                lane = l;
                break;
              }
          lane_end[lane] = end;
        }

      draw_hold (frame, hold, x0, x1, y + lane * lane_h + (lanes ? 0.5 : 0),
                 lane_h - (lanes ? 1 : 0));

      if (x1 - x0 < 1.0)
        {
          /* Skip the other holds that start in this pixel column (in a
           * semaphore's lanes too: they could not be told apart). */
          double col = floor (x0 - frame->area_x) + 1.0;
          gint64 next = frame->start + (gint64) ceil (col / frame->px_per_ns);
          guint j = first_hold_from (holds, MAX (next, hold->start + 1));

          i = MAX (j, i + 1);
          continue;
        }
      i++;
    }
}

/* A stretch where threads wait, merged with the next when the gap between
 * them is less than a pixel. */
typedef struct
{
  TvFrame  *frame;
  double    y, height;
  gboolean  active;
  double    x0, x1;
  gint64    max;
  double    badge_until;   /* right edge of the last badge drawn */
} WaitStretch;

static void
waiters_flush (WaitStretch *run)
{
  TvFrame *frame = run->frame;
  cairo_t *cr = frame->cr;
  char text[32];
  double x0 = run->x0, x1 = MAX (run->x1, run->x0 + 1.0);
  double w, h, bw, bx;

  if (!run->active)
    return;
  run->active = FALSE;
  cairo_rectangle (cr, x0, run->y, x1 - x0, run->height);
  cairo_set_source (cr, frame->patterns[TV_STATE_LOCK]);
  cairo_fill_preserve (cr);
  tv_rgba_set_source (cr, &frame->palette->badge);
  cairo_set_line_width (cr, 1.5);
  cairo_stroke (cr);

  /*
   * The badge sits at the end of the stretch, clear of the name.  One that
   * would cover the previous badge is left out: overlapping numbers cannot
   * be read, and this keeps a crowded row to one badge per badge width.
   */
  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, run->max);
  tv_frame_set_text (frame, frame->font_small, text);
  tv_frame_text_size (frame, &w, &h);
  bw = MAX (w + 8, h + 2);
  x1 = MIN (x1, frame->area_x + frame->area_width);
  bx = MAX (x1 - bw - 2, x0);
  if (bx < run->badge_until)
    return;
  tv_render_waiter_badge (frame, bx, run->y + run->height / 2.0, run->max);
  run->badge_until = bx + bw;
}

static void
waiters_emit (WaitStretch *run,
              double       x0,
              double       x1,
              gint64       count)
{
  if (run->active && x0 - run->x1 < 1.0)
    {
      run->x1 = MAX (run->x1, x1);
      run->max = MAX (run->max, count);
      return;
    }
  waiters_flush (run);
  run->active = TRUE;
  run->x0 = x0;
  run->x1 = x1;
  run->max = count;
}

/*
 * Where threads wait for the object: outlined and hatched over the bar,
 * with a badge at the end of each waiting stretch saying how many waited
 * (at most) during it.
 *
 * Level of detail: a value that lasts a pixel or more is drawn as itself;
 * where the counter changes several times in one pixel column, the column
 * is one piece, waiting if anyone waited in it, with the largest count
 * found from the block summaries.  So a lock with a hundred thousand
 * waiting stretches costs about one step per pixel.
 */
static void
draw_waiters (TvFrame             *frame,
              const TvTraceObject *object,
              double               y,
              double               height)
{
  const GArray *points = object->waiters;
  const TvCounterBlocks *blocks;
  WaitStretch run = { frame, y, height, FALSE, 0, 0, 0, -G_MAXDOUBLE };
  gint64 stop = MAX (frame->trace_end, frame->start);
  gint64 t;
  guint i, n;

  if (points == NULL || points->len == 0)
    return;
  n = points->len;

  /* The point in effect at the start of the view. */
  i = first_point_after (points, frame->start);
  i = i > 0 ? i - 1 : 0;
  blocks = first_point_after (points, frame->end) - i > TV_CACHE_MIN_VISIBLE
    ? tv_layout_waiter_blocks (frame->trace, object) : NULL;
  t = MAX (g_array_index (points, TvCounterPoint, i).time, frame->start);

  while (i < n && t < frame->end)
    {
      const TvCounterPoint *p = &g_array_index (points, TvCounterPoint, i);
      gint64 next = i + 1 < n ? g_array_index (points, TvCounterPoint, i + 1).time : stop;
      double x0, x1, col;
      gint64 col_end, hi;
      guint j;

      next = MIN (next, frame->end);
      if (next <= t)
        {
          i++;
          if (i < n)
            t = MAX (t, g_array_index (points, TvCounterPoint, i).time);
          continue;
        }
      x0 = tv_frame_x_clamped (frame, t);
      x1 = tv_frame_x_clamped (frame, next);
      if (x1 - x0 >= 1.0 || i + 1 >= n)
        {
          if (p->value > 0)
            waiters_emit (&run, x0, x1, p->value);
          t = next;
          i++;
          continue;
        }

      /* Several changes in this pixel column: one piece for all of them. */
      col = floor (x0 - frame->area_x);
      col_end = frame->start + (gint64) ceil ((col + 1.0) / frame->px_per_ns);
      col_end = MAX (col_end, t + 1);
      j = MAX (first_point_after (points, col_end - 1), i + 1);
      tv_counter_range (points, blocks, i, j, NULL, &hi);
      if (hi > 0)
        waiters_emit (&run, frame->area_x + col, frame->area_x + col + 1.0, hi);
      /* The column's last point goes on after it. */
      i = j - 1;
      t = col_end;
    }
  waiters_flush (&run);
}

void
tv_render_sync_row (TvFrame     *frame,
                    const TvRow *row)
{
  const TvTraceObject *object = tv_trace_get_object (frame->trace, row->id);
  double y = tv_frame_row_top (frame, row) + TV_BAR_INSET;
  double height = row->height - 2 * TV_BAR_INSET - 3;

  if (object == NULL)
    return;
  draw_holds (frame, object, MAX (row->lanes, 1), y, height);
  draw_waiters (frame, object, y, height);
}

/* ---- queues -------------------------------------------------------------- */

void
tv_render_queue_row (TvFrame     *frame,
                     const TvRow *row)
{
  const TvTraceObject *object = tv_trace_get_object (frame->trace, row->id);
  const TvPalette *p = frame->palette;
  cairo_t *cr = frame->cr;
  double top = tv_frame_row_top (frame, row) + 8;
  double bottom = tv_frame_row_top (frame, row) + row->height - 6;
  double area_end = frame->area_x + frame->area_width;
  const GArray *points;
  const TvCounterBlocks *blocks;
  gint64 scale, value = 0;
  double col = -1, col_min = 0, col_max = 0;
  double x, yv;
  guint i;
  char text[32];
  static const double dash[] = { 4.0, 3.0 };

  if (object == NULL || object->depth == NULL)
    return;
  points = object->depth;
  scale = tv_layout_max_depth (frame->trace, object);
  blocks = first_point_after (points, frame->end) - first_point_after (points, frame->start)
           > TV_CACHE_MIN_VISIBLE
    ? tv_layout_depth_blocks (frame->trace, object) : NULL;

#define DEPTH_Y(v) (bottom - (bottom - top) * (double) (v) / (double) scale)

  /* The most it ever held, dashed (the capacity is not in the trace). */
  cairo_save (cr);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
  cairo_set_line_width (cr, 1);
  tv_rgba_set_source (cr, &p->dim);
  cairo_move_to (cr, frame->area_x, floor (DEPTH_Y (scale)) + 0.5);
  cairo_line_to (cr, area_end, floor (DEPTH_Y (scale)) + 0.5);
  cairo_stroke (cr);
  cairo_restore (cr);
  cairo_move_to (cr, frame->area_x, bottom + 0.5);
  cairo_line_to (cr, area_end, bottom + 0.5);
  tv_rgba_set_source (cr, &p->border);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);

  i = first_point_after (points, frame->start);
  if (i > 0)
    value = g_array_index (points, TvCounterPoint, i - 1).value;

  /* The step graph, one vertical min–max line per crowded pixel column. */
  x = frame->area_x;
  cairo_move_to (cr, x, bottom);
  cairo_line_to (cr, x, DEPTH_Y (value));
  for (; i < points->len; i++)
    {
      const TvCounterPoint *pt = &g_array_index (points, TvCounterPoint, i);
      gint64 col_end, lo, hi;
      double c;
      guint j;

      if (pt->time > frame->end)
        break;
      x = tv_frame_x (frame, pt->time);
      c = floor (x);
      yv = DEPTH_Y (pt->value);
      if (c == col)
        {
          col_min = MIN (col_min, yv);
          col_max = MAX (col_max, yv);
          value = pt->value;
          continue;
        }
      if (col >= 0)
        {
          cairo_line_to (cr, col, col_min);
          cairo_line_to (cr, col, col_max);
          cairo_line_to (cr, col, DEPTH_Y (value));
        }
      cairo_line_to (cr, x, DEPTH_Y (value));
      col = c;
      col_min = col_max = yv;
      cairo_line_to (cr, x, yv);
      value = pt->value;

      /* The other points of this column at once: their least and largest
       * depth from the block summaries, and the last one's. */
      col_end = tv_frame_time (frame, c + 1.0);
      j = first_point_after (points, MIN (MAX (col_end - 1, pt->time), frame->end));
      if (j > i + 2)
        {
          tv_counter_range (points, blocks, i + 1, j - 1, &lo, &hi);
          col_min = MIN (col_min, DEPTH_Y (hi));
          col_max = MAX (col_max, DEPTH_Y (lo));
          i = j - 2;
        }
    }
  if (col >= 0)
    {
      cairo_line_to (cr, col, col_min);
      cairo_line_to (cr, col, col_max);
      cairo_line_to (cr, col, DEPTH_Y (value));
    }
  {
    gint64 stop = MIN (frame->end, frame->trace_end);
    double xe = stop > frame->start ? tv_frame_x (frame, stop) : frame->area_x;

    cairo_line_to (cr, MAX (xe, x), DEPTH_Y (value));
    cairo_line_to (cr, MAX (xe, x), bottom);
  }
  cairo_close_path (cr);
  tv_rgba_set_source_alpha (cr, &p->links[TV_LINK_ITEM], 0.22);
  cairo_fill_preserve (cr);
  tv_rgba_set_source (cr, &p->links[TV_LINK_ITEM]);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
  cairo_stroke (cr);

  /*
   * The depth as a number on each plateau wide enough to hold it, as long
   * as the steps in view are few enough to read (a binary search counts
   * them, so a crowded queue costs nothing here).
   */
  i = first_point_after (points, frame->start);
  if ((first_point_after (points, frame->end) - i) * 16.0 <= frame->area_width)
    {
      for (; i < points->len; i++)
        {
          const TvCounterPoint *pt = &g_array_index (points, TvCounterPoint, i);
          gint64 next_time = i + 1 < points->len
            ? g_array_index (points, TvCounterPoint, i + 1).time
            : MAX (frame->trace_end, pt->time);
          double x0, x1, w;

          if (pt->time > frame->end)
            break;
          x0 = tv_frame_x (frame, pt->time);
          x1 = tv_frame_x_clamped (frame, next_time);
          g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, pt->value);
          tv_frame_set_text (frame, frame->font_small, text);
          tv_frame_text_size (frame, &w, NULL);
          if (pt->value > 0 && x1 - x0 >= w + 6)
            tv_frame_show_text (frame, x0 + 3, DEPTH_Y (pt->value) + 7, &p->foreground);
        }
    }

  g_snprintf (text, sizeof text, "max %" G_GINT64_FORMAT, scale);
  tv_frame_set_text (frame, frame->font_small, text);
  {
    double w, h;

    tv_frame_text_size (frame, &w, &h);
    cairo_rectangle (cr, area_end - w - 6, DEPTH_Y (scale) - h / 2.0, w + 4, h);
    tv_rgba_set_source_alpha (cr, &p->background, 0.85);
    cairo_fill (cr);
    tv_frame_show_text (frame, area_end - w - 4, DEPTH_Y (scale), &p->dim);
  }
#undef DEPTH_Y
}

/* ---- variables ----------------------------------------------------------- */

/* A read: a hollow circle.  A write: a solid downward triangle. */
void
tv_render_read_mark (TvFrame      *frame,
                     double        x,
                     double        y,
                     const TvRgba *color)
{
  cairo_t *cr = frame->cr;

  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, 4.0, 0, 2 * G_PI);
  tv_rgba_set_source (cr, &frame->palette->background);
  cairo_fill_preserve (cr);
  tv_rgba_set_source (cr, color);
  cairo_set_line_width (cr, 2.0);
  cairo_stroke (cr);
}

void
tv_render_write_mark (TvFrame      *frame,
                      double        x,
                      double        y,
                      const TvRgba *color)
{
  cairo_t *cr = frame->cr;

  cairo_move_to (cr, x - 5.5, y - 4.5);
  cairo_line_to (cr, x + 5.5, y - 4.5);
  cairo_line_to (cr, x, y + 5);
  cairo_close_path (cr);
  tv_rgba_set_source (cr, color);
  cairo_fill_preserve (cr);
  tv_rgba_set_source (cr, &frame->palette->foreground);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
}

void
tv_render_var_row (TvFrame     *frame,
                   const TvRow *row)
{
  const TvTraceObject *object = tv_trace_get_object (frame->trace, row->id);
  double top = tv_frame_row_top (frame, row);
  double mark_y = top + row->height - 11;
  double area_end = frame->area_x + frame->area_width;
  double label_until = -G_MAXDOUBLE;
  const GArray *accesses;
  guint i;

  if (object == NULL || object->accesses == NULL)
    return;
  accesses = object->accesses;

  cairo_move_to (frame->cr, frame->area_x, floor (mark_y) + 0.5);
  cairo_line_to (frame->cr, area_end, floor (mark_y) + 0.5);
  tv_rgba_set_source (frame->cr, &frame->palette->border);
  cairo_set_line_width (frame->cr, 1);
  cairo_stroke (frame->cr);

  i = first_access_from (accesses, frame->start);
  while (i < accesses->len)
    {
      const TvAccess *access = &g_array_index (accesses, TvAccess, i);
      gint64 next;
      double x;
      TvRgba color;
      char text[32];
      guint j, k;

      if (access->time > frame->end)
        break;

      /*
       * Marks are 11 px wide: the accesses within the next 7 px would be
       * drawn under this one, so only one of them is drawn, a write if
       * there is one among the first few (writes are what races lose).
       */
      x = tv_frame_x (frame, access->time);
      next = frame->start + (gint64) ceil ((floor (x - frame->area_x) + 7.0) / frame->px_per_ns);
      j = MAX (first_access_from (accesses, MAX (next, access->time + 1)), i + 1);
      for (k = i; k < j && k < i + 16; k++)
        if (g_array_index (accesses, TvAccess, k).write)
          {
            access = &g_array_index (accesses, TvAccess, k);
            break;
          }
      x = tv_frame_x (frame, access->time);

      tv_palette_thread_color (frame->palette, access->thread, &color);
      if (access->write)
        tv_render_write_mark (frame, x, mark_y, &color);
      else
        tv_render_read_mark (frame, x, mark_y, &color);

      g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, access->value);
      tv_frame_set_text (frame, access->write ? frame->font_bold : frame->font_small, text);
      {
        double w;

        tv_frame_text_size (frame, &w, NULL);
        if (x - w / 2.0 > label_until)
          {
            tv_frame_show_text (frame, x - w / 2.0, top + 9,
                                access->write ? &frame->palette->foreground
                                              : &frame->palette->dim);
            label_until = x + w / 2.0 + 4;
          }
      }
      i = j;
    }
}
