/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-axis.h: where the time axis puts its ticks and what it writes there.
 *
 * Labelled ticks are 1-2-5 multiples of a power of ten nanoseconds, far
 * enough apart that their labels never touch.  When the view is zoomed far
 * into a long run ("5.000001 s" would not fit), the labels become offsets
 * ("+100 ns") from a base that the axis prints once at its left.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 start;        /* the visible range */
  gint64 end;
  gint64 step;         /* ns between labelled ticks */
  gint64 minor_step;   /* ns between unlabelled ticks (divides step) */
  gint64 first;        /* first labelled tick >= start */
  gint64 base;         /* labels are offsets from it; 0 for absolute labels */
} TvAxisTicks;

/* The smallest 1-2-5 × 10^k ns that is >= min_ns (at least 1). */
gint64   tv_axis_nice_step (double min_ns);
/* The 1-2-5 step after `step`. */
gint64   tv_axis_next_step (gint64 step);

/*
 * Picks ticks for [start, end] drawn over `width` pixels with labelled ticks
 * at least `min_spacing` pixels apart.
 */
void     tv_axis_ticks_init (TvAxisTicks *ticks,
                             gint64       start,
                             gint64       end,
                             double       width,
                             double       min_spacing);
/* Makes the step larger by one 1-2-5 notch (when labels would touch). */
void     tv_axis_ticks_widen (TvAxisTicks *ticks);

/* The label of the tick at `time`: "1.5 ms", or "+200 ns" with a base. */
char    *tv_axis_format_tick (const TvAxisTicks *ticks,
                              gint64             time,
                              char              *buf,
                              gsize              size);
/* The base's label ("5.000001 s"), or NULL when labels are absolute. */
char    *tv_axis_format_base (const TvAxisTicks *ticks,
                              char              *buf,
                              gsize              size);

G_END_DECLS
