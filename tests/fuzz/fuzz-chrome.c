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
