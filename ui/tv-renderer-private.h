/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-renderer-private.h: what the renderer's files share while drawing one
 * frame.  A TvFrame lives for one tv_renderer_draw() call: it holds the
 * layout of the rows, the time ↔ pixel mapping, the one PangoLayout of the
 * frame and the state patterns.
 */
#pragma once

#include <pango/pangocairo.h>

#include "tv-palette.h"
#include "tv-renderer.h"
#include "tv-time.h"

G_BEGIN_DECLS

/* Sizes in device-independent pixels. */
#define TV_TITLE_HEIGHT    44.0
#define TV_AXIS_HEIGHT     30.0
#define TV_GROUP_HEIGHT    26.0
#define TV_SECTION_HEIGHT  26.0
#define TV_THREAD_HEIGHT   28.0
#define TV_SYNC_HEIGHT     30.0
#define TV_LANE_HEIGHT     13.0
#define TV_MAX_LANES        4
#define TV_QUEUE_HEIGHT    48.0
#define TV_VAR_HEIGHT      36.0
#define TV_BAR_INSET        5.0
#define TV_RIGHT_PAD       16.0
#define TV_LABEL_MIN      150.0
#define TV_LABEL_MAX      260.0

typedef enum
{
  TV_ROW_GROUP,        /* a process: its name and pid */
  TV_ROW_THREAD,
  TV_ROW_SECTION,      /* "Locks", "Queues", "Variables" */
  TV_ROW_SYNC,         /* lock, rlock, semaphore, condition, GIL, event, barrier */
  TV_ROW_QUEUE,
  TV_ROW_VAR,
} TvRowKind;

typedef struct
{
  TvRowKind    kind;
  guint32      id;      /* thread index, object id, process object id */
  double       y;       /* top, in row space (0 = the first row) */
  double       height;
  guint        stripe : 1;
  guint        lanes;   /* semaphores: holders drawn side by side */
  const char  *text;    /* sections: their title */
} TvRow;

typedef struct
{
  TvTrace               *trace;
  const TvRenderOptions *options;
  const TvPalette       *palette;
  cairo_t               *cr;
  PangoLayout           *layout;          /* the one layout of the frame */
  GString               *text;            /* ...its text, and its font (by */
  const PangoFontDescription *text_font;  /* address) as tv_frame_set_text() set them */
  PangoFontDescription  *font;
  PangoFontDescription  *font_small;
  PangoFontDescription  *font_bold;
  PangoFontDescription  *font_title;
  cairo_pattern_t       *patterns[TV_N_STATES];
  gboolean               snap;            /* pixels: bar edges on whole device pixels */

  gint64                 start;
  gint64                 end;
  gint64                 trace_end;
  double                 px_per_ns;

  double                 label_width;
  double                 area_x;          /* the timeline's left edge */
  double                 area_width;
  double                 axis_y;
  double                 rows_top;        /* visible rows, on screen */
  double                 rows_bottom;
  double                 rows_offset;     /* screen y of row space's 0 */
  double                 legend_y;

  GArray                *rows;            /* TvRow */
  double                 rows_height;
  int                   *thread_rows;     /* thread index → row, or -1 */
  guint                  n_thread_rows;
  int                   *object_rows;     /* object id → row, or -1 */
  guint                  n_object_rows;

  guint                  n_bars;          /* TvRenderStats */
} TvFrame;

static inline double
tv_frame_x (const TvFrame *frame,
            gint64         time)
{
  return frame->area_x + (double) (time - frame->start) * frame->px_per_ns;
}

/* The x of `time`, kept a little outside the area so cairo never sees
 * coordinates in the billions. */
static inline double
tv_frame_x_clamped (const TvFrame *frame,
                    gint64         time)
{
  double x = tv_frame_x (frame, time);

  return CLAMP (x, frame->area_x - 50.0, frame->area_x + frame->area_width + 50.0);
}

static inline gint64
tv_frame_time (const TvFrame *frame,
               double         x)
{
  return frame->start + (gint64) ((x - frame->area_x) / frame->px_per_ns);
}

static inline const TvRow *
tv_frame_thread_row (const TvFrame *frame,
                     guint32        thread)
{
  if (thread >= frame->n_thread_rows || frame->thread_rows[thread] < 0)
    return NULL;
  return &g_array_index (frame->rows, TvRow, frame->thread_rows[thread]);
}

static inline const TvRow *
tv_frame_object_row (const TvFrame *frame,
                     guint32        object)
{
  if (object >= frame->n_object_rows || frame->object_rows[object] < 0)
    return NULL;
  return &g_array_index (frame->rows, TvRow, frame->object_rows[object]);
}

static inline double
tv_frame_row_top (const TvFrame *frame,
                  const TvRow   *row)
{
  return frame->rows_offset + row->y;
}

/* tv-layout.c */
void     tv_layout_rows          (TvFrame *frame);

/*
 * Summaries the layout keeps with the trace until it changes: the least
 * and largest value of each block of TV_CACHE_BLOCK counter points, and the
 * least from_time of each block of links (the last, partial block has none).
 */
#define TV_CACHE_BLOCK 64
/*
 * Fewer elements in view than this are visited one by one: the summaries
 * are built only for views that need them, since a live run changes the
 * trace (and drops them) on every frame.
 */
#define TV_CACHE_MIN_VISIBLE 4096

typedef struct
{
  gint64  *min;
  gint64  *max;
  guint    n_blocks;
  gboolean known;
} TvCounterBlocks;

const TvCounterBlocks *tv_layout_waiter_blocks (TvTrace *trace, const TvTraceObject *object);
const TvCounterBlocks *tv_layout_depth_blocks  (TvTrace *trace, const TvTraceObject *object);
/* The least and largest value of points[from, to) (G_MAXINT64 and
 * G_MININT64 when empty): whole blocks from `blocks`, or one by one when
 * `blocks` is NULL. */
void     tv_counter_range        (const GArray          *points,
                                  const TvCounterBlocks *blocks,
                                  guint                  from,
                                  guint                  to,
                                  gint64                *min,
                                  gint64                *max);
gint64   tv_layout_max_depth     (TvTrace *trace, const TvTraceObject *object);
const gint64 *tv_layout_link_blocks (TvTrace *trace, guint *n_blocks);
/* The links grouped by (target thread × TV_N_LINK_KINDS + kind), each group
 * in to_time order: group k is index[offsets[k] .. offsets[k + 1]). */
const guint  *tv_layout_link_index  (TvTrace      *trace,
                                     const guint **offsets,
                                     guint        *n_keys);
/* The prints grouped by thread, each group in time order. */
const guint  *tv_layout_print_index (TvTrace      *trace,
                                     const guint **offsets,
                                     guint        *n_threads);

void     tv_layout_clear         (TvFrame *frame);
double   tv_layout_label_width   (TvFrame *frame);
const char *tv_layout_thread_name (TvTrace *trace, guint32 thread);

/* tv-renderer.c: text with the frame's one layout. */
void     tv_frame_set_text       (TvFrame                    *frame,
                                  const PangoFontDescription *font,
                                  const char                 *text);
void     tv_frame_text_size      (TvFrame *frame,
                                  double  *width,
                                  double  *height);
/* Draws the layout's text with its left edge at x, centred on y. */
void     tv_frame_show_text      (TvFrame      *frame,
                                  double        x,
                                  double        y_center,
                                  const TvRgba *color);
void     tv_frame_rounded_rect   (cairo_t *cr,
                                  double   x,
                                  double   y,
                                  double   width,
                                  double   height,
                                  double   radius);

/* tv-render-threads.c */
void     tv_render_thread_row    (TvFrame *frame, const TvRow *row);
/* Fills one state bar (used by the legend too). */
void     tv_render_state_bar     (TvFrame       *frame,
                                  TvThreadState  state,
                                  double         x0,
                                  double         x1,
                                  double         y,
                                  double         height);

/* tv-render-objects.c */
void     tv_render_sync_row      (TvFrame *frame, const TvRow *row);
void     tv_render_queue_row     (TvFrame *frame, const TvRow *row);
void     tv_render_var_row       (TvFrame *frame, const TvRow *row);
void     tv_render_read_mark     (TvFrame *frame, double x, double y, const TvRgba *color);
void     tv_render_write_mark    (TvFrame *frame, double x, double y, const TvRgba *color);
void     tv_render_waiter_badge  (TvFrame *frame, double x, double y, gint64 count);

/* tv-render-links.c */
void     tv_render_links         (TvFrame *frame);
void     tv_render_prints        (TvFrame *frame);
void     tv_render_problems      (TvFrame *frame);
/* Where the run stood paused (a mark through the rows and the axis) and
 * what each step ran (a bracket on the stepped thread's row). */
void     tv_render_pauses        (TvFrame *frame);
void     tv_render_arrow         (TvFrame    *frame,
                                  TvLinkKind  kind,
                                  double      x0,
                                  double      y0,
                                  double      x1,
                                  double      y1);
void     tv_render_print_mark    (TvFrame *frame, double x, double y);

/* tv-legend.c */
double   tv_legend_height        (double width);
void     tv_legend_draw          (TvFrame *frame, double y);

G_END_DECLS
