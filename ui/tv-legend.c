/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-legend.c: the key of every exported picture: each state's swatch with
 * its pattern, each kind of arrow with its dash, and the marks.  Swatches
 * are drawn by the same functions as the rows, so the key cannot drift from
 * the drawing.
 */
#define G_LOG_DOMAIN "tv-renderer"

#include "config.h"

#include <math.h>

#include "tv-renderer-private.h"

#define ITEM_WIDTH    250.0
#define ITEM_HEIGHT    22.0
#define CAPTION_WIDTH  74.0
#define PAD            12.0

typedef enum
{
  ITEM_STATE,
  ITEM_CAP,
  ITEM_LINK,
  ITEM_PRINT,
  ITEM_READ,
  ITEM_WRITE,
  ITEM_HOLD,
  ITEM_WAITERS,
  ITEM_QUEUE,
  ITEM_DEADLOCK,
} ItemKind;

typedef struct
{
  ItemKind    kind;
  int         value;  /* state or link kind */
  const char *text;   /* NULL: the state's or link's own name */
} Item;

static const Item state_items[] = {
  { ITEM_STATE, TV_STATE_NEW, NULL },
  { ITEM_STATE, TV_STATE_RUNNING, NULL },
  { ITEM_STATE, TV_STATE_GIL_WAIT, NULL },
  { ITEM_STATE, TV_STATE_SLEEPING, NULL },
  { ITEM_STATE, TV_STATE_IO, NULL },
  { ITEM_STATE, TV_STATE_LOCK, NULL },
  { ITEM_STATE, TV_STATE_QUEUE_EMPTY, NULL },
  { ITEM_STATE, TV_STATE_QUEUE_FULL, NULL },
  { ITEM_STATE, TV_STATE_JOIN, "waiting: join, event, cond., barrier, sem." },
  { ITEM_CAP, 0, "terminated (the row ends)" },
};

static const Item link_items[] = {
  { ITEM_LINK, TV_LINK_START, NULL },
  { ITEM_LINK, TV_LINK_UNBLOCK, NULL },
  { ITEM_LINK, TV_LINK_ITEM, NULL },
  { ITEM_LINK, TV_LINK_JOIN, NULL },
  { ITEM_LINK, TV_LINK_WAKE, NULL },
};

static const Item mark_items[] = {
  { ITEM_HOLD, 0, "lock held (holder's colour and name)" },
  { ITEM_WAITERS, 0, "held while others wait (how many)" },
  { ITEM_QUEUE, 0, "queue depth" },
  { ITEM_WRITE, 0, "variable written (value above)" },
  { ITEM_READ, 0, "variable read" },
  { ITEM_PRINT, 0, "print" },
  { ITEM_DEADLOCK, 0, "deadlock: the cycle outlined" },
};

static const struct
{
  const char *caption;
  const Item *items;
  guint       n_items;
} groups[] = {
  { "States", state_items, G_N_ELEMENTS (state_items) },
  { "Arrows", link_items, G_N_ELEMENTS (link_items) },
  { "Marks", mark_items, G_N_ELEMENTS (mark_items) },
};

static guint
n_columns (double width)
{
  double usable = width - 2 * PAD - CAPTION_WIDTH;

  return MAX (1u, (guint) floor (usable / ITEM_WIDTH));
}

double
tv_legend_height (double width)
{
  guint cols = n_columns (width);
  double height = PAD + 6;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (groups); i++)
    height += ceil ((double) groups[i].n_items / cols) * ITEM_HEIGHT + 6;
  return height + PAD;
}

static void
draw_swatch (TvFrame    *frame,
             const Item *item,
             double      x,
             double      cy)
{
  cairo_t *cr = frame->cr;
  const TvPalette *p = frame->palette;
  double x1 = x + 30, y = cy - 7, h = 14;

  switch (item->kind)
    {
    case ITEM_STATE:
      tv_render_state_bar (frame, item->value, x, x1, y, h);
      break;
    case ITEM_CAP:
      tv_render_state_bar (frame, TV_STATE_RUNNING, x, x + 18, y, h);
      tv_rgba_set_source (cr, &p->foreground);
      cairo_rectangle (cr, x + 17, y - 2, 3, h + 4);
      cairo_rectangle (cr, x + 14, y - 2, 5, 2);
      cairo_rectangle (cr, x + 14, y + h, 5, 2);
      cairo_fill (cr);
      break;
    case ITEM_LINK:
      tv_render_arrow (frame, item->value, x + 2, cy + 5, x1, cy - 5);
      break;
    case ITEM_PRINT:
      tv_render_print_mark (frame, x + 15, cy + 4);
      break;
    case ITEM_READ:
      {
        TvRgba color;

        tv_palette_thread_color (p, 2, &color);
        tv_render_read_mark (frame, x + 15, cy, &color);
      }
      break;
    case ITEM_WRITE:
      {
        TvRgba color;

        tv_palette_thread_color (p, 2, &color);
        tv_render_write_mark (frame, x + 15, cy, &color);
      }
      break;
    case ITEM_HOLD:
      {
        TvRgba color;

        tv_palette_thread_color (p, 0, &color);
        cairo_rectangle (cr, x, y, 30, h);
        tv_rgba_set_source (cr, &color);
        cairo_fill (cr);
      }
      break;
    case ITEM_WAITERS:
      {
        TvRgba color;

        tv_palette_thread_color (p, 0, &color);
        cairo_rectangle (cr, x, y, 30, h - 3);
        tv_rgba_set_source (cr, &color);
        cairo_fill_preserve (cr);
        cairo_set_source (cr, frame->patterns[TV_STATE_LOCK]);
        cairo_fill_preserve (cr);
        tv_rgba_set_source (cr, &p->badge);
        cairo_set_line_width (cr, 1.5);
        cairo_stroke (cr);
        tv_render_waiter_badge (frame, x + 16, cy - 1.5, 2);
      }
      break;
    case ITEM_QUEUE:
      cairo_move_to (cr, x, cy + 7);
      cairo_line_to (cr, x, cy + 3);
      cairo_line_to (cr, x + 10, cy + 3);
      cairo_line_to (cr, x + 10, cy - 5);
      cairo_line_to (cr, x + 20, cy - 5);
      cairo_line_to (cr, x + 20, cy);
      cairo_line_to (cr, x + 30, cy);
      cairo_line_to (cr, x + 30, cy + 7);
      cairo_close_path (cr);
      tv_rgba_set_source_alpha (cr, &p->links[TV_LINK_ITEM], 0.22);
      cairo_fill_preserve (cr);
      tv_rgba_set_source (cr, &p->links[TV_LINK_ITEM]);
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
      break;
    case ITEM_DEADLOCK:
      tv_render_state_bar (frame, TV_STATE_LOCK, x + 3, x1 - 3, y + 2, h - 4);
      tv_frame_rounded_rect (cr, x, y - 1, 30, h + 2, 4);
      tv_rgba_set_source (cr, &p->problem);
      cairo_set_line_width (cr, 2.5);
      cairo_stroke (cr);
      break;
    default:
      break;
    }
}

void
tv_legend_draw (TvFrame *frame,
                double   y)
{
  const TvPalette *p = frame->palette;
  cairo_t *cr = frame->cr;
  double width = frame->options->width;
  guint cols = n_columns (width);
  guint g, i;

  cairo_rectangle (cr, 0, y, width, frame->options->height - y);
  tv_rgba_set_source (cr, &p->label_column);
  cairo_fill (cr);
  cairo_rectangle (cr, 0, y, width, 1);
  tv_rgba_set_source (cr, &p->border);
  cairo_fill (cr);

  y += PAD + 6;
  for (g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      tv_frame_set_text (frame, frame->font_bold, groups[g].caption);
      tv_frame_show_text (frame, PAD, y + ITEM_HEIGHT / 2.0, &p->dim);

      for (i = 0; i < groups[g].n_items; i++)
        {
          const Item *item = &groups[g].items[i];
          double x = PAD + CAPTION_WIDTH + (i % cols) * ITEM_WIDTH;
          double cy = y + (i / cols) * ITEM_HEIGHT + ITEM_HEIGHT / 2.0;
          const char *text = item->text;

          if (text == NULL && item->kind == ITEM_STATE)
            text = p->states[item->value].name;
          else if (text == NULL && item->kind == ITEM_LINK)
            text = tv_link_kind_describe (item->value);

          draw_swatch (frame, item, x, cy);
          tv_frame_set_text (frame, frame->font_small, text);
          pango_layout_set_width (frame->layout, (int) (ITEM_WIDTH - 46) * PANGO_SCALE);
          pango_layout_set_ellipsize (frame->layout, PANGO_ELLIPSIZE_END);
          tv_frame_show_text (frame, x + 38, cy, &p->foreground);
          pango_layout_set_width (frame->layout, -1);
        }
      y += ceil ((double) groups[g].n_items / cols) * ITEM_HEIGHT + 6;
    }
}
