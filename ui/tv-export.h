/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-export.h: PNG, SVG and PDF of a trace, through the one renderer.
 * Works without a display (the CLI's `threadviz export`).
 */
#pragma once

#include <glib.h>

#include "tv-renderer.h"

G_BEGIN_DECLS

typedef enum
{
  TV_EXPORT_PNG,
  TV_EXPORT_SVG,
  TV_EXPORT_PDF,
} TvExportFormat;

typedef struct
{
  TvExportFormat format;
  double         scale;       /* PNG only: 2.0 for slides / HiDPI (default 1) */
  int            width;       /* in points / px at scale 1 (default 1600) */
  gint64         start;       /* range; start == end == -1: the whole run */
  gint64         end;
  TvTheme        theme;
  gboolean       title;       /* default TRUE */
  gboolean       legend;      /* default TRUE */
} TvExportOptions;

void     tv_export_options_init (TvExportOptions *options);

/* Guesses the format from the file name's extension (.png, .svg, .pdf). */
gboolean tv_export_format_from_path (const char     *path,
                                     TvExportFormat *format);

/* Writes `trace` to `path`.  Clear GError (naming the file) on failure. */
gboolean tv_export_to_file (TvTrace               *trace,
                            const TvExportOptions *options,
                            const char            *path,
                            GError               **error);

G_END_DECLS
