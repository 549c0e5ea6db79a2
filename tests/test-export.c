/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-export.c: PNG, SVG and PDF files through the renderer, and the
 * errors of a bad path.  Display-free.
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tv-export.h"
#include "tv-render-fixtures.h"

static char *
temp_path (const char *name)
{
  g_autofree char *dir = g_dir_make_tmp ("tv-export-XXXXXX", NULL);

  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static void
remove_temp (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

static guint32
read_be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
test_png_scale (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  g_autofree char *path = temp_path ("trace.png");
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  TvExportOptions options;
  TvRenderOptions render;
  gsize length;
  int height;

  tv_export_options_init (&options);
  g_assert_cmpint (options.width, ==, 1600);
  g_assert_true (options.title && options.legend);
  options.width = 900;
  options.scale = 2.0;
  g_assert_true (tv_export_to_file (trace, &options, path, &error));
  g_assert_no_error (error);

  /* The height the renderer asks for, with title and legend. */
  tv_render_options_init (&render, trace, 900, 1);
  render.show_title = TRUE;
  render.show_legend = TRUE;
  height = tv_renderer_measure_height (trace, &render);

  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  g_assert_cmpuint (length, >, 33);
  g_assert_cmpmem (data, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpmem (data + 12, 4, "IHDR", 4);
  g_assert_cmpuint (read_be32 ((const guint8 *) data + 16), ==, 1800);
  g_assert_cmpuint (read_be32 ((const guint8 *) data + 20), ==, 2 * height);
  remove_temp (path);
}

static void
test_svg (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  g_autofree char *path = temp_path ("trace.svg");
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  TvExportOptions options;

  tv_export_options_init (&options);
  g_assert_true (tv_export_format_from_path (path, &options.format));
  g_assert_cmpint (options.format, ==, TV_EXPORT_SVG);
  options.theme = TV_THEME_DARK;
  g_assert_true (tv_export_to_file (trace, &options, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
  g_assert_nonnull (strstr (data, "<svg"));
  g_assert_nonnull (strstr (data, "width=\"1600"));
  remove_temp (path);
}

static void
test_pdf_range (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  g_autofree char *path = temp_path ("range.PDF");
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  TvExportOptions options;
  gsize length;

  tv_export_options_init (&options);
  g_assert_true (tv_export_format_from_path (path, &options.format));
  g_assert_cmpint (options.format, ==, TV_EXPORT_PDF);
  options.start = US (100);
  options.end = US (180);
  g_assert_true (tv_export_to_file (trace, &options, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  g_assert_cmpuint (length, >, 5);
  g_assert_cmpmem (data, 5, "%PDF-", 5);
  remove_temp (path);
}

static void
test_bad_path (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  g_autoptr(GError) error = NULL;
  TvExportOptions options;
  const char *path = "/nonexistent-threadviz-dir/sub/trace.png";

  tv_export_options_init (&options);
  g_assert_false (tv_export_to_file (trace, &options, path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_empty_range (void)
{
  g_autoptr(TvTrace) trace = fx_demo_trace ();
  g_autofree char *path = temp_path ("empty.png");
  g_autoptr(GError) error = NULL;
  TvExportOptions options;

  tv_export_options_init (&options);
  options.start = US (300);
  options.end = US (250);
  g_assert_false (tv_export_to_file (trace, &options, path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  remove_temp (path);
}

static void
test_format_from_path (void)
{
  TvExportFormat format = TV_EXPORT_SVG;

  g_assert_true (tv_export_format_from_path ("a/b.Png", &format));
  g_assert_cmpint (format, ==, TV_EXPORT_PNG);
  g_assert_false (tv_export_format_from_path ("trace.jpeg", &format));
  g_assert_false (tv_export_format_from_path ("png", &format));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/export/png-scale", test_png_scale);
  g_test_add_func ("/tv/export/svg", test_svg);
  g_test_add_func ("/tv/export/pdf-range", test_pdf_range);
  g_test_add_func ("/tv/export/bad-path", test_bad_path);
  g_test_add_func ("/tv/export/empty-range", test_empty_range);
  g_test_add_func ("/tv/export/format-from-path", test_format_from_path);

  {
    int status = g_test_run ();

    fx_release_fonts ();
    return status;
  }
}
