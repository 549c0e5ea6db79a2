/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-timeline-hit.h: what the renderer drew at a point of the widget, in
 * the terms the tooltips need (a thread or object row, and a time).
 */
#pragma once

#include "tv-renderer.h"

G_BEGIN_DECLS

typedef enum
{
  TV_HIT_NONE,
  TV_HIT_THREAD,     /* id: thread index */
  TV_HIT_OBJECT,     /* id: object id (lock, queue, variable, ...) */
  TV_HIT_OTHER,      /* a group or section title */
} TvHitKind;

typedef struct
{
  TvHitKind kind;
  guint32   id;
  gboolean  in_area;      /* right of the label column */
  gint64    time;         /* the time under x (when in_area) */
  double    area_x;       /* where the time axis begins and how wide it is */
  double    area_width;
  double    px_per_ns;
} TvHit;

/* The time axis's horizontal extent for these options. */
void     tv_timeline_time_area (TvTrace               *trace,
                                const TvRenderOptions *options,
                                double                *area_x,
                                double                *area_width);

/* Fills `hit` for the point (x, y); FALSE when nothing is there. */
gboolean tv_timeline_hit_test  (TvTrace               *trace,
                                const TvRenderOptions *options,
                                double                 x,
                                double                 y,
                                TvHit                 *hit);

G_END_DECLS
