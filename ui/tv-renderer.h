/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-renderer.h: draws a TvTrace with cairo + pango.  No GTK, no display:
 * the timeline widget and the exporter both call it, so what a teacher sees
 * is what the exported slide shows.
 */
#pragma once

#include <cairo.h>
#include <glib-object.h>

#include "tv-trace.h"

G_BEGIN_DECLS

typedef enum
{
  TV_THEME_LIGHT,
  TV_THEME_DARK,
} TvTheme;

/* What to draw and where.  Times are ns of scenario time. */
typedef struct
{
  gint64    start;          /* first visible time */
  gint64    end;            /* last visible time (> start) */
  int       width;          /* in device-independent pixels */
  int       height;
  TvTheme   theme;
  double    scroll_y;       /* rows scrolled off the top, in pixels */
  gboolean  show_title;     /* draw the trace's title on top (exports) */
  gboolean  show_legend;    /* draw the legend at the bottom (exports) */
  const char *filter;       /* hide thread rows whose name does not contain it, or NULL */
  guint32   hidden_states;  /* bit (1 << TvThreadState): hide rows currently in that state... reserved */
  /*
   * During a live run, the run's clock: the last state of each live thread
   * reaches it even when no event has come for a while.  0: the trace's end.
   */
  gint64    now;
} TvRenderOptions;

void     tv_render_options_init (TvRenderOptions *options,
                                 TvTrace         *trace,
                                 int              width,
                                 int              height);

/* Draws the trace; the cairo context's origin is the top left corner. */
void     tv_renderer_draw (TvTrace               *trace,
                           const TvRenderOptions *options,
                           cairo_t               *cr);

/*
 * The height the whole drawing needs at `width` (all rows, title and legend
 * as the options say), so exports can size their surface.
 */
int      tv_renderer_measure_height (TvTrace               *trace,
                                     const TvRenderOptions *options);

/* Where things are in a drawing made with the same options. */
typedef struct
{
  double    label_width;    /* the fixed label column at the left */
  double    area_x;         /* the time area: x of options->start */
  double    area_width;     /* ... and its width, up to options->end */
  double    rows_top;       /* rows are drawn from here (below title and axis) */
  double    rows_bottom;    /* ... to here (above the legend) */
  double    rows_height;    /* all rows together, unscrolled */
} TvRendererGeometry;

void     tv_renderer_get_geometry (TvTrace               *trace,
                                   const TvRenderOptions *options,
                                   TvRendererGeometry    *geometry);

/*
 * The top and height of a thread's (or an object's) row on screen, scroll
 * included.  FALSE when the trace has no such row (filtered out, a
 * variable only one thread touches, ...).
 */
gboolean tv_renderer_get_thread_row (TvTrace               *trace,
                                     const TvRenderOptions *options,
                                     guint                  thread,
                                     double                *y,
                                     double                *height);
gboolean tv_renderer_get_object_row (TvTrace               *trace,
                                     const TvRenderOptions *options,
                                     guint32                object,
                                     double                *y,
                                     double                *height);

typedef enum
{
  TV_RENDER_ROW_NONE,       /* above or below the rows */
  TV_RENDER_ROW_HEADER,     /* a process or section header (id: process object or 0) */
  TV_RENDER_ROW_THREAD,     /* id: the thread index */
  TV_RENDER_ROW_OBJECT,     /* id: the object id */
} TvRenderRowKind;

/* Which row is at screen height `y` (scroll included), for hit tests. */
TvRenderRowKind tv_renderer_row_at (TvTrace               *trace,
                                    const TvRenderOptions *options,
                                    double                 y,
                                    guint32               *id);

/* What a draw cost: filled state bars (for tests and benchmarks). */
typedef struct
{
  guint     n_bars;
  guint     n_rows;
} TvRenderStats;

void     tv_renderer_draw_with_stats (TvTrace               *trace,
                                      const TvRenderOptions *options,
                                      cairo_t               *cr,
                                      TvRenderStats         *stats);

G_END_DECLS
