/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-chrome.c: any bytes imported as Chrome trace JSON give a trace or an
 * error naming the data, never a crash, a hang or a leak.  A trace that
 * imports is used as the window would use it, then saved as `.tvt` (the
 * import feeds a capture writer, as the window's does) and opened again:
 * an imported trace must be savable and its file readable.
 */
#include "tv-capture-reader.h"
#include "tv-capture-writer.h"
#include "tv-chrome-import.h"
#include "tv-fuzz.h"

/*
 * json-glib 1.6 (Debian 12) accepts a JSON value followed by an object or
 * an array, keeps the first as the root, and leaks the rest: `3 {"a":1}`
 * loads as 3 and leaks the object.  That leak is json-glib's, so such
 * inputs are left out: this says whether, after the first top-level value
 * (strings and nesting followed), an '{' or '[' comes.  Comments, which
 * json-glib's scanner skips, could hide where the value ends: inputs with
 * "/" outside strings are left out too (Chrome JSON has none).
 */
static gboolean
hits_json_glib_leak (const char *d, size_t n)
{
  size_t i = 0;
  int depth = 0;
  gboolean in_string = FALSE, ended = FALSE;

  for (; i < n; i++)
    {
      char c = d[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            {
              in_string = FALSE;
              if (depth == 0)
                ended = TRUE;
            }
          continue;
        }
      if (c == '/')
        return TRUE;
      if (ended && (c == '{' || c == '['))
        return TRUE;
      if (ended)
        continue;
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        depth++;
      else if (c == '}' || c == ']')
        {
          if (--depth <= 0)
            ended = TRUE;
        }
      else if (depth == 0 && !g_ascii_isspace (c)
               && (i + 1 >= n || g_ascii_isspace (d[i + 1]) || d[i + 1] == '{' || d[i + 1] == '['))
        ended = TRUE;   /* the end of a top-level number or word */
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(TvTrace) again = NULL;
  g_autoptr(TvCaptureWriter) writer = NULL;
  g_autoptr(TvCaptureReader) reader = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autofree char *text = NULL;

  tv_fuzz_init ();
  if (hits_json_glib_leak ((const char *) data, size))
    return 0;

  /* A copy without a NUL after it, so that ASan sees any read past the end. */
  text = tv_fuzz_copy (data, size);
  trace = tv_trace_new ();
  writer = tv_capture_writer_new ();
  tv_capture_writer_set_imported (writer, TRUE);
  if (!tv_chrome_import_data (text, size, "fuzz.json", trace, writer, &error))
    {
      if (error == NULL || !g_str_has_prefix (error->message, "fuzz.json"))
        g_error ("an import error that does not name the data: %s",
                 error != NULL ? error->message : "(none)");
      return 0;
    }
  tv_fuzz_use_trace (trace);

  out = g_memory_output_stream_new_resizable ();
  if (!tv_capture_writer_write (writer, out, NULL, NULL, NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    g_error ("an imported trace could not be saved: %s", error->message);
  saved = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  reader = tv_capture_reader_new_from_bytes (saved, "saved.tvt", &error);
  if (reader == NULL)
    g_error ("an imported trace saved as .tvt does not open: %s", error->message);
  again = tv_trace_new ();
  if (!tv_capture_reader_replay (reader, again, NULL, NULL, NULL, NULL, &error))
    g_error ("an imported trace saved as .tvt does not replay: %s", error->message);
  if (tv_trace_get_n_events (again) != tv_trace_get_n_events (trace)
      || tv_trace_get_n_threads (again) != tv_trace_get_n_threads (trace))
    g_error ("saving an imported trace changed it");
  return 0;
}
