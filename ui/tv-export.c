/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-export.c: PNG, SVG and PDF through the one renderer, with the title and
 * the legend.  Files are written through GIO's replace, so a failed export
 * never leaves half a picture where a good one was, and every error names
 * the file.
 */
#define G_LOG_DOMAIN "tv-export"

#include "config.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <gio/gio.h>
#include <math.h>

#include "tv-export.h"

/* cairo's image surfaces stop at 32767 pixels a side. */
#define MAX_PIXELS 32767

typedef struct
{
  GOutputStream *stream;
  GError        *error;
} WriteClosure;

void
tv_export_options_init (TvExportOptions *options)
{
  g_return_if_fail (options != NULL);

  *options = (TvExportOptions) {
    .format = TV_EXPORT_PNG,
    .scale = 1.0,
    .width = 1600,
    .start = -1,
    .end = -1,
    .theme = TV_THEME_LIGHT,
    .title = TRUE,
    .legend = TRUE,
  };
}

gboolean
tv_export_format_from_path (const char     *path,
                            TvExportFormat *format)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  lower = g_ascii_strdown (path, -1);
  if (g_str_has_suffix (lower, ".png"))
    *format = TV_EXPORT_PNG;
  else if (g_str_has_suffix (lower, ".svg"))
    *format = TV_EXPORT_SVG;
  else if (g_str_has_suffix (lower, ".pdf"))
    *format = TV_EXPORT_PDF;
  else
    return FALSE;
  return TRUE;
}

static cairo_status_t
write_cb (void                *closure,
          const unsigned char *data,
          unsigned int         length)
{
  WriteClosure *self = closure;

  if (self->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  if (!g_output_stream_write_all (self->stream, data, length, NULL, NULL, &self->error))
    return CAIRO_STATUS_WRITE_ERROR;
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
fail (GError     **error,
      const char  *path,
      GError      *cause,
      const char  *reason)
{
  g_set_error (error,
               cause != NULL ? cause->domain : G_IO_ERROR,
               cause != NULL ? cause->code : G_IO_ERROR_FAILED,
               "Cannot export to “%s”: %s", path,
               cause != NULL ? cause->message : reason);
  g_clear_error (&cause);
  return FALSE;
}

gboolean
tv_export_to_file (TvTrace               *trace,
                   const TvExportOptions *options,
                   const char            *path,
                   GError               **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  WriteClosure closure = { NULL, NULL };
  TvRenderOptions render;
  cairo_surface_t *surface = NULL;
  cairo_status_t status;
  GError *local = NULL;
  double scale;
  int height;
  cairo_t *cr;

  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  tv_render_options_init (&render, trace, options->width > 0 ? options->width : 1600, 1);
  if (options->start >= 0 || options->end >= 0)
    {
      render.start = MAX (options->start, 0);
      render.end = options->end > render.start ? options->end : tv_trace_get_end_time (trace);
      if (render.end <= render.start)
        return fail (error, path, NULL, "the time range is empty");
    }
  render.theme = options->theme;
  render.show_title = options->title;
  render.show_legend = options->legend;
  height = tv_renderer_measure_height (trace, &render);
  render.height = height;

  scale = options->format == TV_EXPORT_PNG && options->scale > 0 ? options->scale : 1.0;
  if (ceil (render.width * scale) > MAX_PIXELS || ceil (height * scale) > MAX_PIXELS)
    return fail (error, path, NULL, "the picture would be larger than 32767 pixels; "
                 "export a shorter range, fewer threads or a smaller scale");

  file = g_file_new_for_path (path);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, &local);
  if (out == NULL)
    return fail (error, path, local, NULL);
  closure.stream = G_OUTPUT_STREAM (out);

  switch (options->format)
    {
    case TV_EXPORT_SVG:
      surface = cairo_svg_surface_create_for_stream (write_cb, &closure,
                                                     render.width, height);
      break;
    case TV_EXPORT_PDF:
      surface = cairo_pdf_surface_create_for_stream (write_cb, &closure,
                                                     render.width, height);
      cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "ThreadViz");
      if (tv_trace_get_title (trace) != NULL)
        cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE,
                                        tv_trace_get_title (trace));
      break;
    case TV_EXPORT_PNG:
    default:
      surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
                                            (int) ceil (render.width * scale),
                                            (int) ceil (height * scale));
      break;
    }

  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  tv_renderer_draw (trace, &render, cr);
  status = cairo_status (cr);
  cairo_destroy (cr);

  if (status == CAIRO_STATUS_SUCCESS && options->format == TV_EXPORT_PNG)
    status = cairo_surface_write_to_png_stream (surface, write_cb, &closure);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (closure.error != NULL || status != CAIRO_STATUS_SUCCESS)
    {
      /* Dropping the stream unclosed leaves the old file in place. */
      g_output_stream_close (G_OUTPUT_STREAM (out), NULL, NULL);
      if (closure.error != NULL)
        return fail (error, path, closure.error, NULL);
      return fail (error, path, NULL, cairo_status_to_string (status));
    }

  if (!g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &local))
    return fail (error, path, local, NULL);
  return TRUE;
}
