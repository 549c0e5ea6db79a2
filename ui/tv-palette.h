/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-palette.h: the colours and patterns of the timeline, for both themes.
 *
 * Thread states use the Okabe–Ito palette (safe for the common colour
 * blindnesses) and each state also has a pattern, so a grey-scale print
 * still tells them apart.  Threads get an identity colour from a second,
 * muted palette; it is used where a thread is named (labels, lock holders),
 * always beside its name.
 */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "tv-event.h"
#include "tv-renderer.h"

G_BEGIN_DECLS

typedef struct
{
  double r, g, b, a;
} TvRgba;

typedef enum
{
  TV_PATTERN_NONE,
  TV_PATTERN_OUTLINE,     /* no fill, dashed outline (new) */
  TV_PATTERN_DOTS,
  TV_PATTERN_HLINES,
  TV_PATTERN_VLINES,
  TV_PATTERN_DIAGONAL,    /* /// */
  TV_PATTERN_ANTIDIAGONAL,/* \\\ */
  TV_PATTERN_CROSSHATCH,  /* xxx */
  TV_PATTERN_GRID,        /* +++ */
  TV_N_PATTERNS
} TvPatternKind;

typedef struct
{
  TvRgba        fill;
  TvRgba        ink;       /* pattern lines */
  TvRgba        text;      /* labels inside the bar */
  TvPatternKind pattern;
  const char   *name;      /* for the legend: "running", "blocked on a lock" */
} TvStateStyle;

typedef struct
{
  TvRgba       background;
  TvRgba       foreground;
  TvRgba       dim;          /* secondary text */
  TvRgba       grid;
  TvRgba       stripe;       /* every other row */
  TvRgba       header;       /* process group headers, axis */
  TvRgba       label_column;
  TvRgba       border;
  TvRgba       problem;      /* deadlocks, errors */
  TvRgba       badge;        /* waiter counts */
  TvRgba       badge_text;
  TvRgba       halo;         /* under arrows and labels over bars */
  TvStateStyle states[TV_N_STATES];
  TvRgba       links[TV_N_LINK_KINDS];
} TvPalette;

const TvPalette *tv_palette_get (TvTheme theme);

/* The identity colour of thread `index` (stable across runs). */
void             tv_palette_thread_color (const TvPalette *palette,
                                          guint            index,
                                          TvRgba          *color);
/* Black or white, whichever reads better on `color`. */
void             tv_palette_text_on (const TvRgba *color,
                                     TvRgba       *text);

/* A repeating pattern of `ink` lines or dots (NULL for NONE / OUTLINE),
 * vector for vector targets (PDF), an image tile otherwise. */
cairo_pattern_t *tv_palette_create_pattern (TvPatternKind  kind,
                                            const TvRgba  *ink,
                                            gboolean       vector);

/* Sets the line width and dashes that tell link kinds apart in grey. */
void             tv_palette_set_link_stroke (cairo_t    *cr,
                                             TvLinkKind  kind);
const char      *tv_link_kind_describe (TvLinkKind kind);

static inline void
tv_rgba_set_source (cairo_t      *cr,
                    const TvRgba *color)
{
  cairo_set_source_rgba (cr, color->r, color->g, color->b, color->a);
}

static inline void
tv_rgba_set_source_alpha (cairo_t      *cr,
                          const TvRgba *color,
                          double        alpha)
{
  cairo_set_source_rgba (cr, color->r, color->g, color->b, color->a * alpha);
}

G_END_DECLS
