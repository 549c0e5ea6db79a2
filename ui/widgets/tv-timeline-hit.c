/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-timeline-hit"

#include "config.h"

#include <string.h>

#include "tv-timeline-hit.h"

/*
 * Everything here asks the renderer (tv_renderer_get_geometry(),
 * tv_renderer_row_at()), which lays the rows out as it draws them: the
 * widget and the drawing cannot disagree about where a row is.
 */

void
tv_timeline_time_area (TvTrace               *trace,
                       const TvRenderOptions *options,
                       double                *area_x,
                       double                *area_width)
{
  TvRendererGeometry geometry;

  g_return_if_fail (TV_IS_TRACE (trace));
  g_return_if_fail (options != NULL);

  tv_renderer_get_geometry (trace, options, &geometry);
  *area_x = geometry.area_x;
  *area_width = geometry.area_width;
}

gboolean
tv_timeline_hit_test (TvTrace               *trace,
                      const TvRenderOptions *options,
                      double                 x,
                      double                 y,
                      TvHit                 *hit)
{
  TvRendererGeometry geometry;
  guint32 id = 0;
  gint64 span;

  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (hit != NULL, FALSE);

  memset (hit, 0, sizeof *hit);

  tv_renderer_get_geometry (trace, options, &geometry);
  span = MAX (options->end - options->start, 1);
  hit->area_x = geometry.area_x;
  hit->area_width = MAX (geometry.area_width, 1.0);
  hit->px_per_ns = hit->area_width / (double) span;
  hit->in_area = x >= geometry.area_x && x < geometry.area_x + geometry.area_width;
  hit->time = options->start + (gint64) ((x - geometry.area_x) / hit->px_per_ns);

  switch (tv_renderer_row_at (trace, options, y, &id))
    {
    case TV_RENDER_ROW_THREAD:
      hit->kind = TV_HIT_THREAD;
      break;

    case TV_RENDER_ROW_OBJECT:
      hit->kind = TV_HIT_OBJECT;
      break;

    case TV_RENDER_ROW_HEADER:
      hit->kind = TV_HIT_OTHER;
      break;

    case TV_RENDER_ROW_NONE:
    default:
      return FALSE;
    }

  hit->id = id;
  return TRUE;
}
