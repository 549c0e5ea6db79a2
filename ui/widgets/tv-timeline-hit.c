/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-timeline-hit"

#include "config.h"

#include <string.h>

#include "tv-renderer-private.h"
#include "tv-timeline-hit.h"

/*
 * The part of the renderer's frame_init() that places things: rows, the
 * label column and the time ↔ x mapping.  Fonts must match tv-renderer.c's
 * (the label column is as wide as the widest name).
 */
static void
frame_layout (TvFrame               *frame,
              TvTrace               *trace,
              const TvRenderOptions *options,
              cairo_t               *cr)
{
  memset (frame, 0, sizeof *frame);
  frame->trace = trace;
  frame->options = options;
  frame->cr = cr;
  frame->layout = pango_cairo_create_layout (cr);
  frame->font = pango_font_description_from_string ("Sans 9");
  frame->start = options->start;
  frame->end = MAX (options->end, options->start + 1);

  tv_layout_rows (frame);
  frame->label_width = tv_layout_label_width (frame);
  frame->area_x = frame->label_width;
  frame->area_width = MAX (options->width - frame->label_width - TV_RIGHT_PAD, 1.0);
  frame->px_per_ns = frame->area_width / (double) (frame->end - frame->start);
  frame->axis_y = options->show_title ? TV_TITLE_HEIGHT : 0.0;
  frame->rows_top = frame->axis_y + TV_AXIS_HEIGHT;
  frame->rows_offset = frame->rows_top - options->scroll_y;
}

static void
frame_free (TvFrame *frame)
{
  g_clear_pointer (&frame->font, pango_font_description_free);
  g_clear_object (&frame->layout);
  tv_layout_clear (frame);
}

static gboolean
hit_test (TvTrace               *trace,
          const TvRenderOptions *options,
          double                 x,
          double                 y,
          TvHit                 *hit)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  TvFrame frame;
  gboolean found = FALSE;

  memset (hit, 0, sizeof *hit);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (surface);
  frame_layout (&frame, trace, options, cr);

  hit->area_x = frame.area_x;
  hit->area_width = frame.area_width;
  hit->px_per_ns = frame.px_per_ns;
  hit->in_area = x >= frame.area_x && x < frame.area_x + frame.area_width;
  hit->time = tv_frame_time (&frame, x);

  if (y >= frame.rows_top)
    {
      for (guint i = 0; i < frame.rows->len; i++)
        {
          const TvRow *row = &g_array_index (frame.rows, TvRow, i);
          double top = tv_frame_row_top (&frame, row);

          if (y < top || y >= top + row->height)
            continue;

          hit->id = row->id;
          switch (row->kind)
            {
            case TV_ROW_THREAD:
              hit->kind = TV_HIT_THREAD;
              break;
            case TV_ROW_SYNC:
            case TV_ROW_QUEUE:
            case TV_ROW_VAR:
              hit->kind = TV_HIT_OBJECT;
              break;
            case TV_ROW_GROUP:
            case TV_ROW_SECTION:
            default:
              hit->kind = TV_HIT_OTHER;
              break;
            }
          found = TRUE;
          break;
        }
    }

  frame_free (&frame);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  return found;
}

void
tv_timeline_time_area (TvTrace               *trace,
                       const TvRenderOptions *options,
                       double                *area_x,
                       double                *area_width)
{
  TvHit hit;

  g_return_if_fail (TV_IS_TRACE (trace));
  g_return_if_fail (options != NULL);

  hit_test (trace, options, 0, -1, &hit);
  *area_x = hit.area_x;
  *area_width = hit.area_width;
}

gboolean
tv_timeline_hit_test (TvTrace               *trace,
                      const TvRenderOptions *options,
                      double                 x,
                      double                 y,
                      TvHit                 *hit)
{
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (hit != NULL, FALSE);

  return hit_test (trace, options, x, y, hit);
}
