/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-render-links.c: what is drawn over the rows: arrows between threads
 * (start, put → get, release → acquire, exit → join, wake), print marks,
 * problems (deadlock cycles outlined and named, run-time errors), and where
 * the run stood paused or was stepped.
 */
#define G_LOG_DOMAIN "tv-renderer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tv-renderer-private.h"
#include "tv-run.h"

void
tv_render_arrow (TvFrame    *frame,
                 TvLinkKind  kind,
                 double      x0,
                 double      y0,
                 double      x1,
                 double      y1)
{
  cairo_t *cr = frame->cr;
  double dx = x1 - x0;
  double bend = MAX (fabs (dx) * 0.45, 10.0);
  double c1x = x0 + bend, c1y = y0;
  double c2x = x1 - bend, c2y = y1;
  double angle, len = 7.0;
  int pass;

  /* Nearly vertical arrows bend less, or they would loop backwards. */
  if (dx < 20)
    {
      c1x = x0 + MAX (dx, 0) * 0.5;
      c1y = y0 + (y1 - y0) * 0.5;
      c2x = x1;
      c2y = y0 + (y1 - y0) * 0.5;
    }
  angle = atan2 (y1 - c2y, x1 - c2x);

  for (pass = 0; pass < 2; pass++)
    {
      cairo_save (cr);
      tv_palette_set_link_stroke (cr, kind);
      if (pass == 0)
        {
          /* A halo in the background colour lifts the arrow off the bars. */
          cairo_set_dash (cr, NULL, 0, 0);
          cairo_set_line_width (cr, cairo_get_line_width (cr) + 2.5);
          tv_rgba_set_source (cr, &frame->palette->halo);
        }
      else
        tv_rgba_set_source (cr, &frame->palette->links[kind]);
      cairo_move_to (cr, x0, y0);
      cairo_curve_to (cr, c1x, c1y, c2x, c2y,
                      x1 - cos (angle) * len * 0.6, y1 - sin (angle) * len * 0.6);
      cairo_stroke (cr);
      cairo_restore (cr);
    }

  cairo_move_to (cr, x1, y1);
  cairo_line_to (cr, x1 - len * cos (angle - 0.45), y1 - len * sin (angle - 0.45));
  cairo_line_to (cr, x1 - len * cos (angle + 0.45), y1 - len * sin (angle + 0.45));
  cairo_close_path (cr);
  tv_rgba_set_source (cr, &frame->palette->links[kind]);
  cairo_fill_preserve (cr);
  tv_rgba_set_source (cr, &frame->palette->halo);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);

  /* A dot where the arrow leaves. */
  cairo_arc (cr, x0, y0, 2.2, 0, 2 * G_PI);
  tv_rgba_set_source (cr, &frame->palette->links[kind]);
  cairo_fill (cr);
}

static gboolean
row_visible (const TvFrame *frame,
             const TvRow   *row)
{
  double y = tv_frame_row_top (frame, row);

  return y + row->height >= frame->rows_top && y <= frame->rows_bottom;
}

/* Where a link would be drawn, or FALSE when it is out of sight. */
static gboolean
place_link (TvFrame      *frame,
            const TvLink *link,
            const TvRow **from,
            const TvRow **to,
            double       *x0,
            double       *x1)
{
  double area_end = frame->area_x + frame->area_width;

  if (link->to_time < frame->start || link->from_time > frame->end)
    return FALSE;
  if ((guint) link->kind >= TV_N_LINK_KINDS)
    return FALSE;
  *from = tv_frame_thread_row (frame, link->from_thread);
  *to = tv_frame_thread_row (frame, link->to_thread);
  if (*from == NULL || *to == NULL || *from == *to)
    return FALSE;
  if (!row_visible (frame, *from) && !row_visible (frame, *to))
    return FALSE;
  *x0 = tv_frame_x_clamped (frame, link->from_time);
  *x1 = tv_frame_x_clamped (frame, link->to_time);
  return *x1 >= frame->area_x && *x0 <= area_end;
}

/* The first link whose to_time is at or after `time` (links are sorted by
 * to_time). */
static guint
first_link_from (GArray *links,
                 gint64  time)
{
  guint lo = 0, hi = links->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (links, TvLink, mid).to_time < time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

typedef struct
{
  const TvLink *link;
  const TvRow  *from, *to;
  double        x0, x1;
  guint         slot;
} Placed;

static void
consider_link (TvFrame      *frame,
               const TvLink *link,
               guint        *count,
               guint         limit,
               GArray       *placed)
{
  Placed p;

  if (!place_link (frame, link, &p.from, &p.to, &p.x0, &p.x1))
    return;
  p.link = link;
  p.slot = (guint) (p.to - &g_array_index (frame->rows, TvRow, 0)) * TV_N_LINK_KINDS
           + link->kind;
  /* A slot past its limit will not be drawn: stop keeping its links. */
  if (++count[p.slot] <= limit)
    g_array_append_val (placed, p);
}

static int
compare_placed (gconstpointer a,
                gconstpointer b)
{
  const TvLink *la = ((const Placed *) a)->link, *lb = ((const Placed *) b)->link;

  return la < lb ? -1 : la > lb;
}

/* The first of the links index[lo, hi) whose to_time is after `time`. */
static guint
first_indexed_after (GArray      *links,
                     const guint *index,
                     guint        lo,
                     guint        hi,
                     gint64       time)
{
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (links, TvLink, index[mid]).to_time <= time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

void
tv_render_links (TvFrame *frame)
{
  GArray *links = tv_trace_get_links (frame->trace);
  g_autofree double *last_x = NULL;
  g_autofree guint *count = NULL;
  g_autoptr(GArray) placed = NULL;
  guint n_slots = frame->rows->len * TV_N_LINK_KINDS;
  /* More arrows than one per this many pixels cannot be told apart. */
  const double min_spacing = 10.0;
  guint limit = MAX (1u, (guint) (frame->area_width / min_spacing));
  const gint64 *from_min;
  const guint *index = NULL, *offsets = NULL;
  guint n_blocks, n_keys, first, last, key, i;

  if (links == NULL || links->len == 0 || n_slots == 0)
    return;

  /*
   * Dense links (every GIL hand-over, every item of a busy queue) would
   * paint the rows solid.  The visible links of each kind into each row
   * are counted; a kind too dense for a row is left out there (zooming in
   * brings it back), and the others keep one arrow per few pixels.
   */
  count = g_new0 (guint, n_slots);
  placed = g_array_new (FALSE, FALSE, sizeof (Placed));

  /*
   * Links are sorted by to_time.  Those that arrive after the view are in
   * it only when they leave before its end: the least from_time of each
   * block of them skips the blocks that all leave later.
   */
  first = first_link_from (links, frame->start);
  last = MAX (first_link_from (links, frame->end + 1), first);
  if (links->len - last > TV_CACHE_MIN_VISIBLE)
    from_min = tv_layout_link_blocks (frame->trace, &n_blocks);
  else
    {
      from_min = NULL;
      n_blocks = 0;
    }
  i = last;
  while (i < links->len)
    {
      if (i % TV_CACHE_BLOCK == 0 && i / TV_CACHE_BLOCK < n_blocks
          && from_min[i / TV_CACHE_BLOCK] > frame->end)
        {
          i += TV_CACHE_BLOCK;
          continue;
        }
      consider_link (frame, &g_array_index (links, TvLink, i), count, limit, placed);
      i++;
    }

  /*
   * Those that arrive in the view, by target thread and kind: a binary
   * search gives how many there are, so a kind far too dense for its row
   * is left out without visiting its links (whether the row, or the rows
   * they come from, are scrolled into view or not).
   */
  if (last - first <= TV_CACHE_MIN_VISIBLE)
    {
      /* Few: visited one by one, without the grouping. */
      for (i = first; i < last; i++)
        consider_link (frame, &g_array_index (links, TvLink, i), count, limit, placed);
      n_keys = 0;
    }
  else
    index = tv_layout_link_index (frame->trace, &offsets, &n_keys);
  for (key = 0; key < n_keys; key++)
    {
      const TvRow *to = tv_frame_thread_row (frame, key / TV_N_LINK_KINDS);
      guint lo, hi, slot;

      if (to == NULL || offsets[key] == offsets[key + 1])
        continue;
      lo = first_indexed_after (links, index, offsets[key], offsets[key + 1], frame->start - 1);
      hi = first_indexed_after (links, index, lo, offsets[key + 1], frame->end);
      slot = (guint) (to - &g_array_index (frame->rows, TvRow, 0)) * TV_N_LINK_KINDS
             + key % TV_N_LINK_KINDS;
      if (hi - lo > 2 * limit)
        {
          count[slot] += hi - lo;
          continue;
        }
      /* Once past the limit the row's arrows of this kind are out: stop. */
      for (i = lo; i < hi && count[slot] <= limit; i++)
        consider_link (frame, &g_array_index (links, TvLink, index[i]), count, limit, placed);
    }
  /* Drawn in to_time order, as they always were. */
  g_array_sort (placed, compare_placed);

  last_x = g_new (double, n_slots);
  for (i = 0; i < n_slots; i++)
    last_x[i] = -G_MAXDOUBLE;

  /* In to_time order, as the arrows were always drawn. */
  for (i = 0; i < placed->len; i++)
    {
      const Placed *p = &g_array_index (placed, Placed, i);
      double y0, y1, h0, h1;

      if (count[p->slot] > limit || p->x1 - last_x[p->slot] < 4.0)
        continue;
      last_x[p->slot] = p->x1;

      /* From the edge of the source bar to the edge of the target bar. */
      h0 = p->from->height / 2.0 - TV_BAR_INSET;
      h1 = p->to->height / 2.0 - TV_BAR_INSET;
      y0 = tv_frame_row_top (frame, p->from) + p->from->height / 2.0;
      y1 = tv_frame_row_top (frame, p->to) + p->to->height / 2.0;
      if (y1 > y0)
        {
          y0 += h0;
          y1 -= h1;
        }
      else
        {
          y0 -= h0;
          y1 += h1;
        }
      tv_render_arrow (frame, p->link->kind, p->x0, y0, p->x1, y1);
    }
}

void
tv_render_print_mark (TvFrame *frame,
                      double   x,
                      double   y)
{
  cairo_t *cr = frame->cr;

  /* A small speech bubble whose tail points at the moment of the print. */
  tv_frame_rounded_rect (cr, x - 5, y - 11, 11, 8, 2.5);
  cairo_move_to (cr, x - 2, y - 3.5);
  cairo_line_to (cr, x, y + 1);
  cairo_line_to (cr, x + 2, y - 3.5);
  cairo_close_path (cr);
  tv_rgba_set_source (cr, &frame->palette->foreground);
  cairo_fill_preserve (cr);
  tv_rgba_set_source (cr, &frame->palette->background);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  /* Three dots of text. */
  tv_rgba_set_source (cr, &frame->palette->background);
  cairo_arc (cr, x - 2.5, y - 7, 0.9, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_arc (cr, x + 0.5, y - 7, 0.9, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_arc (cr, x + 3.5, y - 7, 0.9, 0, 2 * G_PI);
  cairo_fill (cr);
}

static guint
first_print_from (GArray *prints,
                  gint64  time)
{
  guint lo = 0, hi = prints->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (prints, TvPrint, mid).time < time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* The first of the prints index[lo, hi) at or after `time`. */
static guint
first_indexed_print_from (GArray      *prints,
                          const guint *index,
                          guint        lo,
                          guint        hi,
                          gint64       time)
{
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (prints, TvPrint, index[mid]).time < time)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/*
 * Many prints in view: thread by thread, each mark found by binary search
 * from the end of the previous one, so a row costs its marks, not its
 * prints.
 */
static void
draw_prints_indexed (TvFrame *frame,
                     GArray  *prints)
{
  const guint *index, *offsets;
  guint n_threads, thread;

  index = tv_layout_print_index (frame->trace, &offsets, &n_threads);
  for (thread = 0; thread < n_threads; thread++)
    {
      const TvRow *row = tv_frame_thread_row (frame, thread);
      guint i, hi = offsets[thread + 1];

      if (row == NULL || !row_visible (frame, row) || offsets[thread] == hi)
        continue;
      i = first_indexed_print_from (prints, index, offsets[thread], hi, frame->start);
      while (i < hi)
        {
          const TvPrint *print = &g_array_index (prints, TvPrint, index[i]);
          double x;

          if (print->time > frame->end)
            break;
          x = tv_frame_x (frame, print->time);
          tv_render_print_mark (frame, x, tv_frame_row_top (frame, row) + TV_BAR_INSET + 3);
          /* Prints closer than a mark's width share one mark. */
          i = MAX (first_indexed_print_from (prints, index, i + 1, hi,
                                             tv_frame_time (frame, x + 4.0)), i + 1);
        }
    }
}

void
tv_render_prints (TvFrame *frame)
{
  GArray *prints = tv_trace_get_prints (frame->trace);
  g_autofree double *last_x = NULL;
  guint i;

  if (prints == NULL || prints->len == 0)
    return;

  i = first_print_from (prints, frame->start);
  if (first_print_from (prints, frame->end + 1) - i > TV_CACHE_MIN_VISIBLE)
    {
      draw_prints_indexed (frame, prints);
      return;
    }

  last_x = g_new (double, MAX (frame->n_thread_rows, 1));
  for (guint t = 0; t < frame->n_thread_rows; t++)
    last_x[t] = -G_MAXDOUBLE;

  for (; i < prints->len; i++)
    {
      const TvPrint *print = &g_array_index (prints, TvPrint, i);
      const TvRow *row;
      double x;

      if (print->time > frame->end)
        break;
      row = tv_frame_thread_row (frame, print->thread);
      if (row == NULL || !row_visible (frame, row))
        continue;
      x = tv_frame_x (frame, print->time);
      /* Prints closer than a mark's width share one mark. */
      if (x - last_x[print->thread] < 4)
        continue;
      last_x[print->thread] = x;
      tv_render_print_mark (frame, x, tv_frame_row_top (frame, row) + TV_BAR_INSET + 3);
    }
}

static void
outline_row_from (TvFrame     *frame,
                  const TvRow *row,
                  gint64       time)
{
  cairo_t *cr = frame->cr;
  double x0 = tv_frame_x_clamped (frame, time);
  double x1 = frame->area_x + frame->area_width + 4;
  double y = tv_frame_row_top (frame, row);

  if (time > frame->end)
    return;
  tv_frame_rounded_rect (cr, x0 - 2, y + 1.5, x1 - x0 + 2, row->height - 3, 4);
  tv_rgba_set_source (cr, &frame->palette->problem);
  cairo_set_line_width (cr, 2.5);
  cairo_stroke (cr);
}

static double
pill_width (TvFrame    *frame,
            const char *text)
{
  double w;

  tv_frame_set_text (frame, frame->font_bold, text);
  tv_frame_text_size (frame, &w, NULL);
  return w + 12;
}

static void
draw_pill (TvFrame      *frame,
           const char   *text,
           double        x,
           double        y_center,
           const TvRgba *background)
{
  double w, h;
  double area_end = frame->area_x + frame->area_width;

  tv_frame_set_text (frame, frame->font_bold, text);
  tv_frame_text_size (frame, &w, &h);
  x = CLAMP (x, frame->area_x + 4, MAX (area_end - w - 16, frame->area_x + 4));
  tv_frame_rounded_rect (frame->cr, x, y_center - h / 2.0 - 3, w + 12, h + 6, 5);
  tv_rgba_set_source (frame->cr, background);
  cairo_fill (frame->cr);
  tv_frame_show_text (frame, x + 6, y_center, &frame->palette->badge_text);
}

/* "alice → fork_b → bob → fork_a → alice": who waits for what, held by whom. */
static char *
cycle_text (TvFrame *frame,
            GArray  *problems,
            const TvProblem *first)
{
  GString *text = g_string_new ("Deadlock: ");
  const TvProblem *member = first;
  guint steps = 0;

  g_string_append (text, tv_layout_thread_name (frame->trace, first->thread));
  while (member != NULL && steps++ < problems->len)
    {
      const TvTraceObject *object = tv_trace_get_object (frame->trace, member->object);
      const TvProblem *next = NULL;
      guint i;

      g_string_append_printf (text, " → %s → %s",
                              object && object->name ? object->name : "?",
                              tv_layout_thread_name (frame->trace, member->holder));
      if (member->holder == first->thread)
        break;
      for (i = 0; i < problems->len; i++)
        {
          const TvProblem *p = &g_array_index (problems, TvProblem, i);

          if (p->deadlock && p->thread == member->holder)
            next = p;
        }
      member = next;
    }
  return g_string_free (text, FALSE);
}

/*
 * When the thread began the wait it is stuck in at `time` (the start of its
 * span there), or `time` itself.
 */
static gint64
wait_start (TvFrame *frame,
            guint32  thread_index,
            gint64   time)
{
  const TvTraceThread *thread = tv_trace_get_thread (frame->trace, thread_index);
  const GArray *spans;
  guint lo = 0, hi;

  if (thread == NULL || thread->spans == NULL || thread->spans->len == 0)
    return time;
  spans = thread->spans;
  hi = spans->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (spans, TvSpan, mid).start <= time)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return time;
  return g_array_index (spans, TvSpan, lo - 1).start;
}

void
tv_render_problems (TvFrame *frame)
{
  GArray *problems = tv_trace_get_problems (frame->trace);
  g_autoptr(GString) cycle = g_string_new ("Deadlock: ");
  const TvProblem *first = NULL;
  gint64 closed = G_MININT64;
  guint i;

  if (problems == NULL || problems->len == 0)
    return;

  /*
   * The cycle closed when its last member began to wait: the outlines
   * start there rather than at the (later) moment it was detected.
   */
  for (i = 0; i < problems->len; i++)
    {
      const TvProblem *problem = &g_array_index (problems, TvProblem, i);

      if (problem->deadlock)
        closed = MAX (closed, wait_start (frame, problem->thread, problem->time));
    }

  for (i = 0; i < problems->len; i++)
    {
      const TvProblem *problem = &g_array_index (problems, TvProblem, i);
      const TvRow *row = tv_frame_thread_row (frame, problem->thread);
      const TvTraceObject *object = problem->object != 0
        ? tv_trace_get_object (frame->trace, problem->object) : NULL;

      if (problem->deadlock)
        {
          const TvRow *object_row = tv_frame_object_row (frame, problem->object);
          gint64 from = MIN (closed, problem->time);

          if (row != NULL)
            outline_row_from (frame, row, from);
          if (object_row != NULL)
            outline_row_from (frame, object_row, from);
          if (first != NULL)
            g_string_append (cycle, "; ");
          g_string_append_printf (cycle, "%s waits for %s held by %s",
                                  tv_layout_thread_name (frame->trace, problem->thread),
                                  object && object->name ? object->name : "?",
                                  tv_layout_thread_name (frame->trace, problem->holder));
          if (first == NULL || problem->time < first->time)
            first = problem;
        }
      else if (row != NULL && problem->time >= frame->start && problem->time <= frame->end)
        {
          double x = tv_frame_x (frame, problem->time);
          double cy = tv_frame_row_top (frame, row) + row->height / 2.0;
          cairo_t *cr = frame->cr;

          cairo_arc (cr, x, cy, 7, 0, 2 * G_PI);
          tv_rgba_set_source (cr, &frame->palette->problem);
          cairo_fill (cr);
          cairo_move_to (cr, x - 3, cy - 3);
          cairo_line_to (cr, x + 3, cy + 3);
          cairo_move_to (cr, x + 3, cy - 3);
          cairo_line_to (cr, x - 3, cy + 3);
          tv_rgba_set_source (cr, &frame->palette->badge_text);
          cairo_set_line_width (cr, 1.8);
          cairo_stroke (cr);
          /* The first line says what happened; the rest (file:line of
           * every member) is for the console.  A deadlock's report is
           * left out: the cycle's own label names it. */
          if (problem->message != NULL && problem->error_kind != TV_RUN_ERROR_DEADLOCK)
            {
              g_autofree char *line = g_strdup (problem->message);
              char *newline = strchr (line, '\n');

              if (newline != NULL)
                *newline = '\0';
              draw_pill (frame, line, x + 10, cy, &frame->palette->problem);
            }
        }
    }

  if (first != NULL && MIN (closed, first->time) <= frame->end)
    {
      const TvRow *row = tv_frame_thread_row (frame, first->thread);
      double x = tv_frame_x_clamped (frame, MIN (closed, first->time)) + 8;
      double room = frame->area_x + frame->area_width - x;
      g_autofree char *text = NULL;

      if (row == NULL)
        return;
      /* The sentence when it fits after the moment, else the cycle. */
      if (pill_width (frame, cycle->str) <= room)
        text = g_strdup (cycle->str);
      else
        text = cycle_text (frame, problems, first);
      /* Right-aligned in the outline, so the bar's own label at the start
       * of the wait ("blocked on L") stays readable. */
      x = MAX (x, frame->area_x + frame->area_width - pill_width (frame, text) - 8);
      draw_pill (frame, text, x, tv_frame_row_top (frame, row) + row->height / 2.0,
                 &frame->palette->problem);
    }
}

/* ---- Pauses and steps -------------------------------------------------- */

/* The window's accent: pause marks and step brackets are about the run's
 * control, not about any state, so they keep one colour in every palette. */
static const TvRgba pause_color = { 0.21, 0.52, 0.89, 0.9 };

/* A step of `thread` from `from` to `to`: a bracket along the top of its
 * row, open downwards, so the bars it ran stay readable under it. */
static void
draw_step (TvFrame *frame,
           guint32  thread,
           gint64   from,
           gint64   to)
{
  const TvRow *row = tv_frame_thread_row (frame, thread);
  cairo_t *cr = frame->cr;
  double x0, x1, y;

  if (row == NULL || to < frame->start || from > frame->end)
    return;
  x0 = floor (tv_frame_x_clamped (frame, from)) + 0.5;
  x1 = floor (tv_frame_x_clamped (frame, to)) + 0.5;
  /* A step that took no scenario time is still a step. */
  x1 = MAX (x1, x0 + 3);
  y = floor (tv_frame_row_top (frame, row)) + 2.5;

  cairo_move_to (cr, x0, y + 6);
  cairo_line_to (cr, x0, y);
  cairo_line_to (cr, x1, y);
  cairo_line_to (cr, x1, y + 6);
  /* A halo first: the bracket often lies on a bar of a similar blue. */
  cairo_set_line_width (cr, 3.5);
  tv_rgba_set_source (cr, &frame->palette->halo);
  cairo_stroke_preserve (cr);
  cairo_set_line_width (cr, 1.5);
  tv_rgba_set_source (cr, &pause_color);
  cairo_stroke (cr);
}

/* A moment the run stood paused: a dashed line through the rows and a
 * small pause sign in the axis, as the window draws it. */
static void
draw_pause (TvFrame *frame,
            gint64   time)
{
  cairo_t *cr = frame->cr;
  double x = floor (tv_frame_x (frame, time));
  double y0 = frame->axis_y;

  tv_rgba_set_source (cr, &pause_color);
  for (double y = y0 + 22; y < frame->rows_bottom; y += 8)
    cairo_rectangle (cr, x, y, 1, MIN (4, frame->rows_bottom - y));
  cairo_rectangle (cr, x - 5, y0 + 4, 11, 14);
  cairo_fill (cr);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x - 3, y0 + 7, 2, 8);
  cairo_rectangle (cr, x + 1, y0 + 7, 2, 8);
  cairo_fill (cr);
}

void
tv_render_pauses (TvFrame *frame)
{
  GArray *pauses = tv_trace_get_pauses (frame->trace);
  cairo_t *cr = frame->cr;
  gint64 last = G_MININT64;

  if (pauses == NULL || pauses->len == 0)
    return;

  cairo_save (cr);
  /* The sign is a few pixels wider than the mark: it may reach into the
   * right pad, never over the label column. */
  cairo_rectangle (cr, frame->area_x, frame->axis_y,
                   frame->options->width - frame->area_x, frame->rows_bottom - frame->axis_y);
  cairo_clip (cr);

  for (guint i = 0; i < pauses->len; i++)
    {
      const TvPauseMark *mark = &g_array_index (pauses, TvPauseMark, i);

      if (mark->kind == TV_PAUSE_MARK_RESUME && mark->aux != TV_NO_THREAD)
        {
          /* The step runs to the next pause naming its thread (still
           * running: to the end of the trace). */
          gint64 to = frame->trace_end;

          for (guint j = i + 1; j < pauses->len; j++)
            {
              const TvPauseMark *next = &g_array_index (pauses, TvPauseMark, j);

              if (next->kind == TV_PAUSE_MARK_PAUSE)
                {
                  to = next->time;
                  break;
                }
            }
          draw_step (frame, mark->aux, mark->time, to);
        }
      else if (mark->kind == TV_PAUSE_MARK_PAUSE)
        {
          /* Every thread stood still here, after a user's pause or at
           * the end of a step; a moment, drawn once. */
          if (mark->time != last && mark->time >= frame->start && mark->time <= frame->end)
            draw_pause (frame, mark->time);
          last = mark->time;
        }
    }
  cairo_restore (cr);
}
