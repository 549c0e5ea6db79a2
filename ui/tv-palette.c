/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "tv-palette.h"

#define HEX(h, a) { ((h) >> 16 & 0xff) / 255.0, ((h) >> 8 & 0xff) / 255.0, ((h) & 0xff) / 255.0, (a) }

/* Okabe–Ito. */
#define OI_ORANGE     0xE69F00
#define OI_SKY        0x56B4E9
#define OI_GREEN      0x009E73
#define OI_YELLOW     0xF0E442
#define OI_BLUE       0x0072B2
#define OI_VERMILLION 0xD55E00
#define OI_PURPLE     0xCC79A7

#define DARK_INK  HEX (0x000000, 0.38)
#define LIGHT_INK HEX (0xFFFFFF, 0.40)
#define DARK_TEXT HEX (0x111111, 1.0)
#define LIGHT_TEXT HEX (0xFFFFFF, 1.0)

#define WAITING(what) { HEX (OI_ORANGE, 1), DARK_INK, DARK_TEXT, TV_PATTERN_DOTS, what }

#define STATES(new_fill, new_ink, new_text) \
  { \
    [TV_STATE_NEW] = { new_fill, new_ink, new_text, TV_PATTERN_OUTLINE, "new (not started)" }, \
    [TV_STATE_RUNNING] = { HEX (OI_GREEN, 1), DARK_INK, DARK_TEXT, TV_PATTERN_NONE, "running" }, \
    [TV_STATE_GIL_WAIT] = { HEX (OI_YELLOW, 1), DARK_INK, DARK_TEXT, TV_PATTERN_VLINES, "ready, waiting for the GIL" }, \
    [TV_STATE_SLEEPING] = { HEX (OI_SKY, 1), DARK_INK, DARK_TEXT, TV_PATTERN_HLINES, "sleeping" }, \
    [TV_STATE_IO] = { HEX (OI_BLUE, 1), LIGHT_INK, LIGHT_TEXT, TV_PATTERN_GRID, "blocked on I/O" }, \
    [TV_STATE_LOCK] = { HEX (OI_VERMILLION, 1), DARK_INK, DARK_TEXT, TV_PATTERN_DIAGONAL, "blocked on a lock" }, \
    [TV_STATE_QUEUE_EMPTY] = { HEX (OI_PURPLE, 1), DARK_INK, DARK_TEXT, TV_PATTERN_ANTIDIAGONAL, "get on an empty queue" }, \
    [TV_STATE_QUEUE_FULL] = { HEX (OI_PURPLE, 1), DARK_INK, DARK_TEXT, TV_PATTERN_CROSSHATCH, "put on a full queue" }, \
    [TV_STATE_JOIN] = WAITING ("waiting (join)"), \
    [TV_STATE_EVENT] = WAITING ("waiting (event)"), \
    [TV_STATE_CONDITION] = WAITING ("waiting (condition)"), \
    [TV_STATE_BARRIER] = WAITING ("waiting (barrier)"), \
    [TV_STATE_SEMAPHORE] = WAITING ("waiting (semaphore)"), \
    [TV_STATE_QUEUE_JOIN] = WAITING ("waiting (queue join)"), \
    [TV_STATE_TERMINATED] = { HEX (0x000000, 0), DARK_INK, DARK_TEXT, TV_PATTERN_NONE, "terminated" }, \
  }

static const TvPalette light = {
  .background   = HEX (0xFFFFFF, 1),
  .foreground   = HEX (0x1C1C21, 1),
  .dim          = HEX (0x5E5E66, 1),
  .grid         = HEX (0x000000, 0.07),
  .stripe       = HEX (0xF6F6F8, 1),
  .header       = HEX (0xEBEBEF, 1),
  .label_column = HEX (0xFAFAFB, 1),
  .border       = HEX (0xD2D2D8, 1),
  .problem      = HEX (0xC01C28, 1),
  .badge        = HEX (0xC01C28, 1),
  .badge_text   = HEX (0xFFFFFF, 1),
  .halo         = HEX (0xFFFFFF, 0.85),
  .states       = STATES (HEX (0x000000, 0.04), HEX (0x5E5E66, 1), HEX (0x5E5E66, 1)),
  .links = {
    [TV_LINK_ITEM]    = HEX (0x0072B2, 1),
    [TV_LINK_JOIN]    = HEX (0x1C1C21, 1),
    [TV_LINK_WAKE]    = HEX (0xA86F00, 1),
    [TV_LINK_UNBLOCK] = HEX (0xA83C00, 1),
    [TV_LINK_START]   = HEX (0x5E5E66, 1),
  },
};

static const TvPalette dark = {
  .background   = HEX (0x1D1D21, 1),
  .foreground   = HEX (0xEDEDF0, 1),
  .dim          = HEX (0xA3A3AD, 1),
  .grid         = HEX (0xFFFFFF, 0.07),
  .stripe       = HEX (0x232328, 1),
  .header       = HEX (0x2E2E35, 1),
  .label_column = HEX (0x222227, 1),
  .border       = HEX (0x3D3D46, 1),
  .problem      = HEX (0xFF5A5F, 1),
  .badge        = HEX (0xE01B24, 1),
  .badge_text   = HEX (0xFFFFFF, 1),
  .halo         = HEX (0x1D1D21, 0.85),
  .states       = STATES (HEX (0xFFFFFF, 0.05), HEX (0xA3A3AD, 1), HEX (0xA3A3AD, 1)),
  .links = {
    [TV_LINK_ITEM]    = HEX (0x56B4E9, 1),
    [TV_LINK_JOIN]    = HEX (0xEDEDF0, 1),
    [TV_LINK_WAKE]    = HEX (0xF0C050, 1),
    [TV_LINK_UNBLOCK] = HEX (0xFF8A50, 1),
    [TV_LINK_START]   = HEX (0xA3A3AD, 1),
  },
};

/*
 * Paul Tol's "muted" scheme, the hues least like the state colours first
 * (most runs have few threads).
 */
static const guint32 thread_colors[] = {
  0x332288, 0xCC6677, 0x999933, 0x882255, 0xDDCC77,
  0x88CCEE, 0x44AA99, 0xAA4499, 0x117733, 0x888888,
};

const TvPalette *
tv_palette_get (TvTheme theme)
{
  return theme == TV_THEME_DARK ? &dark : &light;
}

void
tv_palette_thread_color (const TvPalette *palette,
                         guint            index,
                         TvRgba          *color)
{
  guint32 hex = thread_colors[index % G_N_ELEMENTS (thread_colors)];

  g_return_if_fail (color != NULL);

  color->r = (hex >> 16 & 0xff) / 255.0;
  color->g = (hex >> 8 & 0xff) / 255.0;
  color->b = (hex & 0xff) / 255.0;
  color->a = 1.0;

  /* The dark colours (indigo, wine) would vanish on a dark background. */
  if (palette == &dark)
    {
      color->r = color->r * 0.75 + 0.25;
      color->g = color->g * 0.75 + 0.25;
      color->b = color->b * 0.75 + 0.25;
    }
}

void
tv_palette_text_on (const TvRgba *color,
                    TvRgba       *text)
{
  /* Relative luminance, close enough without the sRGB curve. */
  double y = 0.2126 * color->r + 0.7152 * color->g + 0.0722 * color->b;
  double v = y > 0.45 ? 0.07 : 1.0;

  text->r = text->g = text->b = v;
  text->a = 1.0;
}

cairo_pattern_t *
tv_palette_create_pattern (TvPatternKind  kind,
                           const TvRgba  *ink,
                           gboolean       vector)
{
  /*
   * For PDF, a recording surface keeps the hatching vector, crisp on a
   * printed slide at any zoom.  Elsewhere an image tile at four times the
   * resolution is faster to fill and still sharp at scale 2; it is also
   * what SVG needs, because cairo 1.16's SVG surface leaks recording
   * surface patterns.
   */
  const double size = 8.0;
  const int oversample = 4;
  cairo_rectangle_t extents = { 0, 0, size, size };
  cairo_surface_t *surface;
  cairo_pattern_t *pattern;
  cairo_t *cr;

  if (kind == TV_PATTERN_NONE || kind == TV_PATTERN_OUTLINE)
    return NULL;

  if (vector)
    {
      surface = cairo_recording_surface_create (CAIRO_CONTENT_COLOR_ALPHA, &extents);
      cr = cairo_create (surface);
    }
  else
    {
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                            (int) size * oversample,
                                            (int) size * oversample);
      cr = cairo_create (surface);
      cairo_scale (cr, oversample, oversample);
    }
  tv_rgba_set_source (cr, ink);
  cairo_set_line_width (cr, 1.3);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_SQUARE);

  switch (kind)
    {
    case TV_PATTERN_DOTS:
      cairo_arc (cr, 2, 2, 1.2, 0, 2 * G_PI);
      cairo_fill (cr);
      cairo_arc (cr, 6, 6, 1.2, 0, 2 * G_PI);
      cairo_fill (cr);
      break;
    case TV_PATTERN_HLINES:
      cairo_move_to (cr, 0, 4);
      cairo_line_to (cr, size, 4);
      cairo_stroke (cr);
      break;
    case TV_PATTERN_VLINES:
      cairo_move_to (cr, 4, 0);
      cairo_line_to (cr, 4, size);
      cairo_stroke (cr);
      break;
    case TV_PATTERN_CROSSHATCH:
      cairo_move_to (cr, 0, size);
      cairo_line_to (cr, size, 0);
      cairo_move_to (cr, 0, 0);
      cairo_line_to (cr, size, size);
      cairo_stroke (cr);
      break;
    case TV_PATTERN_DIAGONAL:
      /* The corners complete the lines across tile borders. */
      cairo_move_to (cr, 0, size);
      cairo_line_to (cr, size, 0);
      cairo_move_to (cr, -1, 1);
      cairo_line_to (cr, 1, -1);
      cairo_move_to (cr, size - 1, size + 1);
      cairo_line_to (cr, size + 1, size - 1);
      cairo_stroke (cr);
      break;
    case TV_PATTERN_ANTIDIAGONAL:
      cairo_move_to (cr, 0, 0);
      cairo_line_to (cr, size, size);
      cairo_move_to (cr, size - 1, -1);
      cairo_line_to (cr, size + 1, 1);
      cairo_move_to (cr, -1, size - 1);
      cairo_line_to (cr, 1, size + 1);
      cairo_stroke (cr);
      break;
    case TV_PATTERN_GRID:
      cairo_move_to (cr, 4, 0);
      cairo_line_to (cr, 4, size);
      cairo_move_to (cr, 0, 4);
      cairo_line_to (cr, size, 4);
      cairo_stroke (cr);
      break;
    case TV_PATTERN_NONE:
    case TV_PATTERN_OUTLINE:
    case TV_N_PATTERNS:
    default:
      break;
    }

  cairo_destroy (cr);
  pattern = cairo_pattern_create_for_surface (surface);
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_REPEAT);
  if (!vector)
    {
      cairo_matrix_t matrix;

      cairo_matrix_init_scale (&matrix, oversample, oversample);
      cairo_pattern_set_matrix (pattern, &matrix);
    }
  cairo_surface_destroy (surface);
  return pattern;
}

void
tv_palette_set_link_stroke (cairo_t    *cr,
                            TvLinkKind  kind)
{
  static const double dashed[] = { 5.0, 3.0 };
  static const double dotted[] = { 1.0, 3.0 };
  static const double dash_dot[] = { 6.0, 2.5, 1.5, 2.5 };

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  switch (kind)
    {
    case TV_LINK_ITEM:
      cairo_set_line_width (cr, 1.3);
      cairo_set_dash (cr, dashed, G_N_ELEMENTS (dashed), 0);
      break;
    case TV_LINK_JOIN:
      cairo_set_line_width (cr, 1.6);
      cairo_set_dash (cr, dotted, G_N_ELEMENTS (dotted), 0);
      break;
    case TV_LINK_WAKE:
      cairo_set_line_width (cr, 1.4);
      cairo_set_dash (cr, dash_dot, G_N_ELEMENTS (dash_dot), 0);
      break;
    case TV_LINK_UNBLOCK:
      cairo_set_line_width (cr, 1.8);
      cairo_set_dash (cr, NULL, 0, 0);
      break;
    case TV_LINK_START:
    default:
      cairo_set_line_width (cr, 1.2);
      cairo_set_dash (cr, NULL, 0, 0);
      break;
    }
}

const char *
tv_link_kind_describe (TvLinkKind kind)
{
  switch (kind)
    {
    case TV_LINK_ITEM:    return "queue item: put → get";
    case TV_LINK_JOIN:    return "exit → join";
    case TV_LINK_WAKE:    return "wake: set / notify / release → waiter";
    case TV_LINK_UNBLOCK: return "unblocked by: release → acquire";
    case TV_LINK_START:   return "start → new thread";
    case TV_N_LINK_KINDS:
    default:              return "link";
    }
}
