/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-renderer.c: one frame of the timeline: title, time axis, rows (drawn by
 * tv-render-*.c), the fixed label column and the legend.
 *
 * The drawing is clipped and layered so that panning only moves the time
 * area: rows first, then links and marks over them, then the label column
 * on top of everything at the left edge.
 */
#define G_LOG_DOMAIN "tv-renderer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tv-axis.h"
#include "tv-renderer-private.h"
#include "tv-run.h"

void
tv_render_options_init (TvRenderOptions *options,
                        TvTrace         *trace,
                        int              width,
                        int              height)
{
  gint64 end;

  g_return_if_fail (options != NULL);

  end = trace != NULL ? tv_trace_get_end_time (trace) : 0;
  *options = (TvRenderOptions) {
    .start = 0,
    .end = MAX (end, 1),
    .width = width,
    .height = height,
    .theme = TV_THEME_LIGHT,
    .scroll_y = 0,
    .show_title = FALSE,
    .show_legend = FALSE,
    .filter = NULL,
    .hidden_states = 0,
  };
}

void
tv_frame_set_text (TvFrame                    *frame,
                   const PangoFontDescription *font,
                   const char                 *text)
{
  /* Setting a layout's text lays it out again even when the text is the
   * same: a frame draws the same few words ("running", "1", a thread's
   * name) hundreds of times, so keep the layout when nothing changed. */
  if (font == frame->text_font && strcmp (frame->text->str, text) == 0)
    return;
  frame->text_font = font;
  g_string_assign (frame->text, text);
  pango_layout_set_font_description (frame->layout, font);
  pango_layout_set_text (frame->layout, text, -1);
}

void
tv_frame_text_size (TvFrame *frame,
                    double  *width,
                    double  *height)
{
  int w, h;

  pango_layout_get_pixel_size (frame->layout, &w, &h);
  if (width)
    *width = w;
  if (height)
    *height = h;
}

void
tv_frame_show_text (TvFrame      *frame,
                    double        x,
                    double        y_center,
                    const TvRgba *color)
{
  double h;

  tv_frame_text_size (frame, NULL, &h);
  tv_rgba_set_source (frame->cr, color);
  cairo_move_to (frame->cr, x, y_center - h / 2.0);
  pango_cairo_show_layout (frame->cr, frame->layout);
}

void
tv_frame_rounded_rect (cairo_t *cr,
                       double   x,
                       double   y,
                       double   width,
                       double   height,
                       double   radius)
{
  radius = MIN (radius, MIN (width, height) / 2.0);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + width - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + width - radius, y + height - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + height - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static double
title_height (const TvRenderOptions *options)
{
  return options->show_title ? TV_TITLE_HEIGHT : 0.0;
}

static double
legend_height (const TvRenderOptions *options)
{
  return options->show_legend ? tv_legend_height (options->width) : 0.0;
}

/*
 * The palette's hatching tiles are drawn at four times the resolution and
 * scaled down by cairo at every fill, which costs microseconds a pixel
 * (filtered downscaling): a hatched stretch across a wide export cost tens
 * of milliseconds.  On an image surface the tile is scaled once, to the
 * surface's own pixels, and then repeats pixel for pixel.
 */
static cairo_pattern_t *
pattern_at_device_scale (cairo_t         *target,
                         cairo_pattern_t *pattern)
{
  const double tile = 8.0;   /* the palette's tile, in user units */
  double sx = 1.0, sy = 0.0;
  cairo_surface_t *surface;
  cairo_pattern_t *scaled;
  cairo_matrix_t matrix;
  cairo_t *cr;
  int px;

  cairo_user_to_device_distance (target, &sx, &sy);
  px = (int) round (tile * sx);
  if (sy != 0.0 || px < 4 || px > 64)
    return pattern;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, px, px);
  cr = cairo_create (surface);
  cairo_scale (cr, px / tile, px / tile);
  cairo_set_source (cr, pattern);
  cairo_paint (cr);
  cairo_destroy (cr);

  scaled = cairo_pattern_create_for_surface (surface);
  cairo_pattern_set_extend (scaled, CAIRO_EXTEND_REPEAT);
  cairo_matrix_init_scale (&matrix, px / tile, px / tile);
  cairo_pattern_set_matrix (scaled, &matrix);
  cairo_surface_destroy (surface);
  cairo_pattern_destroy (pattern);
  return scaled;
}

static void
frame_init (TvFrame               *frame,
            TvTrace               *trace,
            const TvRenderOptions *options,
            cairo_t               *cr)
{
  gboolean vector;
  guint i;

  memset (frame, 0, sizeof *frame);
  frame->trace = trace;
  frame->options = options;
  frame->palette = tv_palette_get (options->theme);
  frame->cr = cr;
  frame->layout = pango_cairo_create_layout (cr);
  frame->text = g_string_new (NULL);
  frame->text_font = NULL;
  frame->font = pango_font_description_from_string ("Sans 9");
  frame->font_small = pango_font_description_from_string ("Sans 7.5");
  frame->font_bold = pango_font_description_from_string ("Sans Bold 9");
  frame->font_title = pango_font_description_from_string ("Sans Bold 14");
  vector = cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_PDF
           || cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_PS;
  frame->snap = !vector && cairo_surface_get_type (cairo_get_target (cr)) != CAIRO_SURFACE_TYPE_SVG;
  for (i = 0; i < TV_N_STATES; i++)
    {
      frame->patterns[i] = tv_palette_create_pattern (frame->palette->states[i].pattern,
                                                      &frame->palette->states[i].ink,
                                                      vector);
      if (frame->patterns[i] != NULL
          && cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_IMAGE)
        frame->patterns[i] = pattern_at_device_scale (cr, frame->patterns[i]);
    }

  frame->start = options->start;
  frame->end = MAX (options->end, options->start + 1);
  frame->trace_end = MAX (tv_trace_get_end_time (trace), options->now);

  tv_layout_rows (frame);
  frame->label_width = tv_layout_label_width (frame);
  frame->area_x = frame->label_width;
  frame->area_width = MAX (options->width - frame->label_width - TV_RIGHT_PAD, 1.0);
  frame->px_per_ns = frame->area_width / (double) (frame->end - frame->start);

  frame->axis_y = title_height (options);
  frame->rows_top = frame->axis_y + TV_AXIS_HEIGHT;
  frame->legend_y = options->height - legend_height (options);
  frame->rows_bottom = MAX (frame->rows_top, frame->legend_y);
  frame->rows_offset = frame->rows_top - options->scroll_y;
}

static void
frame_clear (TvFrame *frame)
{
  guint i;

  for (i = 0; i < TV_N_STATES; i++)
    g_clear_pointer (&frame->patterns[i], cairo_pattern_destroy);
  g_clear_pointer (&frame->font, pango_font_description_free);
  g_clear_pointer (&frame->font_small, pango_font_description_free);
  g_clear_pointer (&frame->font_bold, pango_font_description_free);
  g_clear_pointer (&frame->font_title, pango_font_description_free);
  g_clear_object (&frame->layout);
  if (frame->text != NULL)
    g_string_free (g_steal_pointer (&frame->text), TRUE);
  tv_layout_clear (frame);
}

static const char *
status_text (TvTrace *trace)
{
  if (!tv_trace_is_finished (trace))
    return "running";
  /* Spelled here rather than through tv_run_status_to_string(), so that
   * the renderer links without the engine. */
  switch ((TvRunStatus) tv_trace_get_run_status (trace))
    {
    case TV_RUN_READY:    return "ready";
    case TV_RUN_RUNNING:  return "running";
    case TV_RUN_FINISHED: return "finished";
    case TV_RUN_STOPPED:  return "stopped";
    case TV_RUN_FAILED:   return "failed";
    default:              return "ended";
    }
}

static void
draw_title (TvFrame *frame)
{
  const TvPalette *p = frame->palette;
  const char *title = tv_trace_get_title (frame->trace);
  char from[32], to[32];
  g_autofree char *subtitle = NULL;
  double w;
  guint n_problems = tv_trace_get_problems (frame->trace)->len;

  tv_frame_set_text (frame, frame->font_title,
                     title != NULL && title[0] != '\0' ? title : "ThreadViz trace");
  tv_frame_show_text (frame, 14, TV_TITLE_HEIGHT / 2.0, &p->foreground);

  tv_time_format (frame->start, 3, from, sizeof from);
  tv_time_format (frame->end, 3, to, sizeof to);
  subtitle = g_strdup_printf ("%s – %s  ·  %u threads  ·  %s%s", from, to,
                              tv_trace_get_n_threads (frame->trace),
                              status_text (frame->trace),
                              n_problems > 0 ? "  ·  problems found" : "");
  tv_frame_set_text (frame, frame->font, subtitle);
  tv_frame_text_size (frame, &w, NULL);
  tv_frame_show_text (frame, frame->options->width - w - 14,
                      TV_TITLE_HEIGHT / 2.0, &p->dim);

  /* Lost events make the picture incomplete: say so where it is seen. */
  if (tv_trace_get_dropped (frame->trace) > 0)
    {
      g_autofree char *dropped = g_strdup_printf ("%" G_GUINT64_FORMAT " events dropped  ·  ",
                                                  tv_trace_get_dropped (frame->trace));
      double dw;

      tv_frame_set_text (frame, frame->font_bold, dropped);
      tv_frame_text_size (frame, &dw, NULL);
      tv_frame_show_text (frame, frame->options->width - w - 14 - dw,
                          TV_TITLE_HEIGHT / 2.0, &p->problem);
    }
}

static void
draw_axis (TvFrame *frame)
{
  const TvPalette *p = frame->palette;
  cairo_t *cr = frame->cr;
  TvAxisTicks ticks;
  double y0 = frame->axis_y, y1 = frame->axis_y + TV_AXIS_HEIGHT;
  double area_end = frame->area_x + frame->area_width;
  char buf[64];
  gint64 t;
  int attempt;

  cairo_rectangle (cr, 0, y0, frame->options->width, TV_AXIS_HEIGHT);
  tv_rgba_set_source (cr, &p->header);
  cairo_fill (cr);

  /*
   * Start from a guess of the label width, then widen the step until the
   * widest label of the visible ticks fits between two ticks.
   */
  tv_axis_ticks_init (&ticks, frame->start, frame->end, frame->area_width, 70);
  for (attempt = 0; attempt < 8; attempt++)
    {
      double widest = 0;

      for (t = ticks.first; t <= frame->end; t += ticks.step)
        {
          double w;

          tv_axis_format_tick (&ticks, t, buf, sizeof buf);
          tv_frame_set_text (frame, frame->font_small, buf);
          tv_frame_text_size (frame, &w, NULL);
          widest = MAX (widest, w);
        }
      if (ticks.step * frame->px_per_ns >= widest + 14)
        break;
      tv_axis_ticks_widen (&ticks);
    }

  /* Labels may use the pad on the right; ticks stay in the range. */
  cairo_save (cr);
  cairo_rectangle (cr, frame->area_x - 1, y0, frame->options->width - frame->area_x + 1,
                   frame->rows_bottom - y0);
  cairo_clip (cr);

  /* Minor ticks. */
  tv_rgba_set_source_alpha (cr, &p->dim, 0.6);
  cairo_set_line_width (cr, 1);
  if (ticks.minor_step * frame->px_per_ns >= 4)
    {
      gint64 first = ticks.first - ticks.step;

      for (t = first; t <= frame->end; t += ticks.minor_step)
        {
          double x = floor (tv_frame_x (frame, t)) + 0.5;

          cairo_move_to (cr, x, y1 - 4);
          cairo_line_to (cr, x, y1);
        }
      cairo_stroke (cr);
    }

  /* Grid lines through the rows, then labelled ticks. */
  for (t = ticks.first; t <= frame->end; t += ticks.step)
    {
      double x = floor (tv_frame_x (frame, t)) + 0.5;

      cairo_move_to (cr, x, y1);
      cairo_line_to (cr, x, frame->rows_bottom);
    }
  tv_rgba_set_source (cr, &p->grid);
  cairo_stroke (cr);

  for (t = ticks.first; t <= frame->end; t += ticks.step)
    {
      double x = floor (tv_frame_x (frame, t)) + 0.5;
      double w;

      cairo_move_to (cr, x, y1 - 9);
      cairo_line_to (cr, x, y1);
      tv_rgba_set_source (cr, &p->dim);
      cairo_stroke (cr);

      tv_axis_format_tick (&ticks, t, buf, sizeof buf);
      tv_frame_set_text (frame, frame->font_small, buf);
      tv_frame_text_size (frame, &w, NULL);
      /* The last label may not run off the right edge. */
      tv_frame_show_text (frame, MIN (x + 3, area_end + TV_RIGHT_PAD - w - 2),
                          y0 + 10, &p->foreground);
    }
  cairo_restore (cr);

  /* The base of offset labels, in the label column. */
  tv_rgba_set_source (cr, &p->border);
  cairo_rectangle (cr, 0, y1 - 1, frame->options->width, 1);
  cairo_fill (cr);
  if (tv_axis_format_base (&ticks, buf, sizeof buf) != NULL)
    {
      g_autofree char *text = g_strdup_printf ("from %s", buf);

      tv_frame_set_text (frame, frame->font_small, text);
      tv_frame_show_text (frame, 12, y0 + TV_AXIS_HEIGHT / 2.0, &p->dim);
    }
  else
    {
      tv_frame_set_text (frame, frame->font_small, "time");
      tv_frame_show_text (frame, 12, y0 + TV_AXIS_HEIGHT / 2.0, &p->dim);
    }
}

static void
draw_row_backgrounds (TvFrame *frame)
{
  const TvPalette *p = frame->palette;
  cairo_t *cr = frame->cr;
  guint i;

  for (i = 0; i < frame->rows->len; i++)
    {
      const TvRow *row = &g_array_index (frame->rows, TvRow, i);
      double y = tv_frame_row_top (frame, row);

      if (y + row->height < frame->rows_top || y > frame->rows_bottom)
        continue;
      if (row->kind == TV_ROW_GROUP || row->kind == TV_ROW_SECTION)
        {
          cairo_rectangle (cr, 0, y, frame->options->width, row->height);
          tv_rgba_set_source (cr, &p->header);
          cairo_fill (cr);
          cairo_rectangle (cr, 0, y + row->height - 1, frame->options->width, 1);
          tv_rgba_set_source (cr, &p->border);
          cairo_fill (cr);
        }
      else if (row->stripe)
        {
          cairo_rectangle (cr, 0, y, frame->options->width, row->height);
          tv_rgba_set_source (cr, &p->stripe);
          cairo_fill (cr);
        }
    }
}

static const char *
object_kind_label (TvObjectKind kind)
{
  switch (kind)
    {
    case TV_OBJ_LOCK:      return "lock";
    case TV_OBJ_RLOCK:     return "rlock";
    case TV_OBJ_SEMAPHORE: return "semaphore";
    case TV_OBJ_EVENT:     return "event";
    case TV_OBJ_CONDITION: return "condition";
    case TV_OBJ_BARRIER:   return "barrier";
    case TV_OBJ_QUEUE:     return "queue";
    case TV_OBJ_GIL:       return "GIL";
    case TV_OBJ_VAR:       return "var";
    case TV_OBJ_SHARED:    return "shared";
    case TV_OBJ_PROCESS:   return "process";
    case TV_OBJ_NONE:
    case TV_N_OBJ_KINDS:
    default:               return "";
    }
}

static gint64
group_pid (TvFrame *frame,
           guint32  process)
{
  guint i;

  for (i = 0; i < frame->n_thread_rows; i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (frame->trace, i);

      if (thread != NULL && thread->process == process && thread->pid >= 0)
        return thread->pid;
    }
  return -1;
}

static void
draw_row_label (TvFrame     *frame,
                const TvRow *row)
{
  const TvPalette *p = frame->palette;
  cairo_t *cr = frame->cr;
  double y = tv_frame_row_top (frame, row);
  double cy = y + row->height / 2.0;
  double max_w = frame->label_width - 24;
  g_autofree char *text = NULL;

  switch (row->kind)
    {
    case TV_ROW_GROUP:
      {
        const TvTraceObject *process = tv_trace_get_object (frame->trace, row->id);
        gint64 pid = group_pid (frame, row->id);
        const char *name = process != NULL && process->name != NULL ? process->name : "process";

        if (pid >= 0)
          text = g_strdup_printf ("%s  ·  pid %" G_GINT64_FORMAT, name, pid);
        else
          text = g_strdup (name);
        tv_frame_set_text (frame, frame->font_bold, text);
        tv_frame_show_text (frame, 12, cy, &p->foreground);
      }
      break;

    case TV_ROW_SECTION:
      tv_frame_set_text (frame, frame->font_bold, row->text);
      tv_frame_show_text (frame, 12, cy, &p->dim);
      break;

    case TV_ROW_THREAD:
      {
        const TvTraceThread *thread = tv_trace_get_thread (frame->trace, row->id);
        double name_w, tid_w = 0;
        TvRgba color;

        tv_palette_thread_color (p, row->id, &color);
        cairo_arc (cr, 24, cy, 5, 0, 2 * G_PI);
        tv_rgba_set_source (cr, &color);
        cairo_fill (cr);

        /* The OS thread id, when known and there is room: threads are real. */
        tv_frame_set_text (frame, frame->font, thread->name ? thread->name : "?");
        tv_frame_text_size (frame, &name_w, NULL);
        if (thread->tid >= 0)
          {
            text = g_strdup_printf ("tid %" G_GINT64_FORMAT, thread->tid);
            tv_frame_set_text (frame, frame->font_small, text);
            tv_frame_text_size (frame, &tid_w, NULL);
            if (36 + name_w + 10 + tid_w <= frame->label_width - 10)
              tv_frame_show_text (frame, frame->label_width - tid_w - 10, cy, &p->dim);
            else
              tid_w = 0;
          }
        tv_frame_set_text (frame, frame->font, thread->name ? thread->name : "?");
        pango_layout_set_width (frame->layout, (int) (max_w - 20) * PANGO_SCALE);
        pango_layout_set_ellipsize (frame->layout, PANGO_ELLIPSIZE_END);
        tv_frame_show_text (frame, 36, cy, &p->foreground);
        pango_layout_set_width (frame->layout, -1);
      }
      break;

    case TV_ROW_SYNC:
    case TV_ROW_QUEUE:
    case TV_ROW_VAR:
      {
        const TvTraceObject *object = tv_trace_get_object (frame->trace, row->id);
        double w;

        tv_frame_set_text (frame, frame->font_small, object_kind_label (object->kind));
        tv_frame_text_size (frame, &w, NULL);
        tv_frame_show_text (frame, frame->label_width - w - 10, cy, &p->dim);
        tv_frame_set_text (frame, frame->font, object->name ? object->name : "?");
        pango_layout_set_width (frame->layout, (int) (max_w - w - 16) * PANGO_SCALE);
        pango_layout_set_ellipsize (frame->layout, PANGO_ELLIPSIZE_END);
        tv_frame_show_text (frame, 24, cy, &p->foreground);
        pango_layout_set_width (frame->layout, -1);
      }
      break;

    default:
      break;
    }
}

static void
draw_label_column (TvFrame *frame)
{
  const TvPalette *p = frame->palette;
  cairo_t *cr = frame->cr;
  guint i;

  cairo_save (cr);
  cairo_rectangle (cr, 0, frame->rows_top, frame->label_width,
                   frame->rows_bottom - frame->rows_top);
  cairo_clip (cr);

  for (i = 0; i < frame->rows->len; i++)
    {
      const TvRow *row = &g_array_index (frame->rows, TvRow, i);
      double y = tv_frame_row_top (frame, row);

      if (y + row->height < frame->rows_top || y > frame->rows_bottom)
        continue;
      cairo_rectangle (cr, 0, y, frame->label_width, row->height);
      if (row->kind == TV_ROW_GROUP || row->kind == TV_ROW_SECTION)
        tv_rgba_set_source (cr, &p->header);
      else if (row->stripe)
        tv_rgba_set_source (cr, &p->stripe);
      else
        tv_rgba_set_source (cr, &p->label_column);
      cairo_fill (cr);
      if (row->kind != TV_ROW_GROUP && row->kind != TV_ROW_SECTION)
        draw_row_label (frame, row);
    }

  cairo_rectangle (cr, frame->label_width - 1, frame->rows_top, 1,
                   frame->rows_bottom - frame->rows_top);
  tv_rgba_set_source (cr, &p->border);
  cairo_fill (cr);
  cairo_restore (cr);

  /* Headers have nothing in the time area, so their titles may run on. */
  cairo_save (cr);
  cairo_rectangle (cr, 0, frame->rows_top, frame->options->width,
                   frame->rows_bottom - frame->rows_top);
  cairo_clip (cr);
  for (i = 0; i < frame->rows->len; i++)
    {
      const TvRow *row = &g_array_index (frame->rows, TvRow, i);
      double y = tv_frame_row_top (frame, row);

      if (y + row->height < frame->rows_top || y > frame->rows_bottom)
        continue;
      if (row->kind == TV_ROW_GROUP || row->kind == TV_ROW_SECTION)
        draw_row_label (frame, row);
    }
  cairo_restore (cr);
}

static void
draw_rows (TvFrame *frame)
{
  cairo_t *cr = frame->cr;
  guint i;

  cairo_save (cr);
  /* Bars stop at the end of the range; the pad on the right stays empty. */
  cairo_rectangle (cr, frame->area_x, frame->rows_top, frame->area_width,
                   frame->rows_bottom - frame->rows_top);
  cairo_clip (cr);

  for (i = 0; i < frame->rows->len; i++)
    {
      const TvRow *row = &g_array_index (frame->rows, TvRow, i);
      double y = tv_frame_row_top (frame, row);

      if (y + row->height < frame->rows_top || y > frame->rows_bottom)
        continue;
      switch (row->kind)
        {
        case TV_ROW_THREAD:
          tv_render_thread_row (frame, row);
          break;
        case TV_ROW_SYNC:
          tv_render_sync_row (frame, row);
          break;
        case TV_ROW_QUEUE:
          tv_render_queue_row (frame, row);
          break;
        case TV_ROW_VAR:
          tv_render_var_row (frame, row);
          break;
        case TV_ROW_GROUP:
        case TV_ROW_SECTION:
        default:
          break;
        }
    }

  tv_render_links (frame);
  tv_render_prints (frame);
  tv_render_problems (frame);
  cairo_restore (cr);
}

void
tv_renderer_draw_with_stats (TvTrace               *trace,
                             const TvRenderOptions *options,
                             cairo_t               *cr,
                             TvRenderStats         *stats)
{
  TvFrame frame;

  g_return_if_fail (TV_IS_TRACE (trace));
  g_return_if_fail (options != NULL);
  g_return_if_fail (cr != NULL);

  if (stats != NULL)
    *stats = (TvRenderStats) { 0, 0 };
  if (options->width <= 0 || options->height <= 0)
    return;

  cairo_save (cr);
  frame_init (&frame, trace, options, cr);

  tv_rgba_set_source (cr, &frame.palette->background);
  cairo_paint (cr);

  if (options->show_title)
    draw_title (&frame);
  draw_row_backgrounds (&frame);
  draw_axis (&frame);
  draw_rows (&frame);
  tv_render_pauses (&frame);
  draw_label_column (&frame);
  if (options->show_legend)
    tv_legend_draw (&frame, frame.legend_y);

  if (stats != NULL)
    {
      stats->n_bars = frame.n_bars;
      stats->n_rows = frame.rows->len;
    }
  frame_clear (&frame);
  cairo_restore (cr);
}

void
tv_renderer_draw (TvTrace               *trace,
                  const TvRenderOptions *options,
                  cairo_t               *cr)
{
  tv_renderer_draw_with_stats (trace, options, cr, NULL);
}

/*
 * Lays the frame out without drawing: the layout needs a cairo context
 * only to measure text, and a 1×1 surface will do.
 */
static void
measure_frame (TvFrame               *frame,
               TvTrace               *trace,
               const TvRenderOptions *options,
               cairo_surface_t      **surface)
{
  cairo_t *cr;

  *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (*surface);
  frame_init (frame, trace, options, cr);
  cairo_destroy (cr);
}

static void
measure_frame_clear (TvFrame         *frame,
                     cairo_surface_t *surface)
{
  frame_clear (frame);
  cairo_surface_destroy (surface);
}

int
tv_renderer_measure_height (TvTrace               *trace,
                            const TvRenderOptions *options)
{
  TvFrame frame = { 0 };
  double height;

  g_return_val_if_fail (TV_IS_TRACE (trace), 0);
  g_return_val_if_fail (options != NULL, 0);

  /*
   * The rows alone: their heights are geometry, with no text or hatching
   * in them.  The window asks this at every layout; a whole frame (a
   * Pango layout, every label measured, every state's hatching tile) made
   * the layout phase of a live window take up to 15 ms.
   */
  frame.trace = trace;
  frame.options = options;
  tv_layout_rows (&frame);
  height = title_height (options) + TV_AXIS_HEIGHT + frame.rows_height
           + legend_height (options);
  tv_layout_clear (&frame);

  return (int) ceil (height);
}

void
tv_renderer_get_geometry (TvTrace               *trace,
                          const TvRenderOptions *options,
                          TvRendererGeometry    *geometry)
{
  cairo_surface_t *surface;
  TvFrame frame;

  g_return_if_fail (TV_IS_TRACE (trace));
  g_return_if_fail (options != NULL);
  g_return_if_fail (geometry != NULL);

  measure_frame (&frame, trace, options, &surface);
  geometry->label_width = frame.label_width;
  geometry->area_x = frame.area_x;
  geometry->area_width = frame.area_width;
  geometry->rows_top = frame.rows_top;
  geometry->rows_bottom = frame.rows_bottom;
  geometry->rows_height = frame.rows_height;
  measure_frame_clear (&frame, surface);
}

static gboolean
get_row (TvTrace               *trace,
         const TvRenderOptions *options,
         gboolean               thread,
         guint32                id,
         double                *y,
         double                *height)
{
  cairo_surface_t *surface;
  TvFrame frame;
  const TvRow *row;
  gboolean found;

  measure_frame (&frame, trace, options, &surface);
  row = thread ? tv_frame_thread_row (&frame, id) : tv_frame_object_row (&frame, id);
  found = row != NULL;
  if (found)
    {
      if (y)
        *y = tv_frame_row_top (&frame, row);
      if (height)
        *height = row->height;
    }
  measure_frame_clear (&frame, surface);
  return found;
}

gboolean
tv_renderer_get_thread_row (TvTrace               *trace,
                            const TvRenderOptions *options,
                            guint                  thread,
                            double                *y,
                            double                *height)
{
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  return get_row (trace, options, TRUE, thread, y, height);
}

gboolean
tv_renderer_get_object_row (TvTrace               *trace,
                            const TvRenderOptions *options,
                            guint32                object,
                            double                *y,
                            double                *height)
{
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);

  return get_row (trace, options, FALSE, object, y, height);
}

TvRenderRowKind
tv_renderer_row_at (TvTrace               *trace,
                    const TvRenderOptions *options,
                    double                 y,
                    guint32               *id)
{
  cairo_surface_t *surface;
  TvRenderRowKind kind = TV_RENDER_ROW_NONE;
  TvFrame frame;
  guint lo, hi;

  g_return_val_if_fail (TV_IS_TRACE (trace), TV_RENDER_ROW_NONE);
  g_return_val_if_fail (options != NULL, TV_RENDER_ROW_NONE);

  measure_frame (&frame, trace, options, &surface);
  if (y >= frame.rows_top && y < frame.rows_bottom)
    {
      /* Rows are in y order: the last one whose top is at or above y. */
      lo = 0;
      hi = frame.rows->len;
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;

          if (tv_frame_row_top (&frame, &g_array_index (frame.rows, TvRow, mid)) <= y)
            lo = mid + 1;
          else
            hi = mid;
        }
      if (lo > 0)
        {
          const TvRow *row = &g_array_index (frame.rows, TvRow, lo - 1);

          if (y < tv_frame_row_top (&frame, row) + row->height)
            {
              switch (row->kind)
                {
                case TV_ROW_THREAD:
                  kind = TV_RENDER_ROW_THREAD;
                  break;
                case TV_ROW_SYNC:
                case TV_ROW_QUEUE:
                case TV_ROW_VAR:
                  kind = TV_RENDER_ROW_OBJECT;
                  break;
                case TV_ROW_GROUP:
                case TV_ROW_SECTION:
                default:
                  kind = TV_RENDER_ROW_HEADER;
                  break;
                }
              if (id != NULL)
                *id = row->id;
            }
        }
    }
  measure_frame_clear (&frame, surface);
  return kind;
}
