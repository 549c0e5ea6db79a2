/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-capture.c: any bytes opened as a `.tvt` trace file give a trace or
 * an error naming the file, never a crash, a hang or a leak.
 *
 * Every section of a `.tvt` carries a CRC-32, so nearly every mutation
 * would stop at the checksum.  The input is therefore read twice: as it is
 * (the checksum checks), and with every checksum the section table points
 * at recomputed, so that mutations reach the header, META, STRINGS and
 * EVENTS checks and the model behind them.  A trace that opens is then
 * used as the window would use it, and saved and opened again: what the
 * reader accepts, the writer must write back readably.
 */
#include <string.h>

#include "tv-capture-reader.h"
#include "tv-capture-writer.h"
#include "tv-fuzz.h"

static guint64
read_u64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, sizeof v);
  return GUINT64_FROM_LE (v);
}

static guint32
read_u32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, sizeof v);
  return GUINT32_FROM_LE (v);
}

/* Recomputes the CRC of every section the table describes that lies inside
 * the data.  Returns FALSE when there was nothing to repair. */
static gboolean
repair_checksums (guint8 *data, gsize size)
{
  guint32 n_sections;
  guint16 header_size;
  gboolean changed = FALSE;

  if (size < TV_CAPTURE_HEADER_SIZE || memcmp (data, TV_CAPTURE_MAGIC, TV_CAPTURE_MAGIC_LEN) != 0)
    return FALSE;
  memcpy (&header_size, data + 6, sizeof header_size);
  header_size = MAX (GUINT16_FROM_LE (header_size), TV_CAPTURE_HEADER_SIZE);
  n_sections = MIN (read_u32 (data + 12), TV_CAPTURE_MAX_SECTIONS);
  for (guint32 i = 0; i < n_sections; i++)
    {
      gsize at = header_size + (gsize) i * TV_CAPTURE_SECTION_SIZE;
      guint64 offset, length;
      guint32 crc;

      if (at + TV_CAPTURE_SECTION_SIZE > size)
        break;
      offset = read_u64 (data + at + 8);
      length = read_u64 (data + at + 16);
      if (offset > size || length > size - offset)
        continue;
      crc = GUINT32_TO_LE (tv_capture_crc32 (0, data + offset, length));
      if (memcmp (data + at + 24, &crc, sizeof crc) != 0)
        {
          memcpy (data + at + 24, &crc, sizeof crc);
          changed = TRUE;
        }
    }
  return changed;
}

/* Opens and replays `bytes`; on success uses the trace and returns the
 * writer that was fed alongside. */
static TvCaptureWriter *
open_trace (GBytes *bytes, TvTrace **trace_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvCaptureReader) reader = NULL;
  g_autoptr(TvCaptureWriter) writer = NULL;
  g_autoptr(TvTrace) trace = NULL;

  reader = tv_capture_reader_new_from_bytes (bytes, "fuzz.tvt", &error);
  if (reader == NULL)
    {
      if (error == NULL || !g_str_has_prefix (error->message, "fuzz.tvt"))
        g_error ("an open error that does not name the file: %s",
                 error != NULL ? error->message : "(none)");
      return NULL;
    }
  (void) tv_capture_reader_get_scenario (reader);
  (void) tv_capture_reader_get_title (reader);
  (void) tv_capture_reader_get_generator (reader);

  trace = tv_trace_new ();
  writer = tv_capture_writer_new ();
  if (!tv_capture_reader_replay (reader, trace, writer, NULL, NULL, NULL, &error))
    {
      if (error == NULL || !g_str_has_prefix (error->message, "fuzz.tvt"))
        g_error ("a replay error that does not name the file: %s",
                 error != NULL ? error->message : "(none)");
      return NULL;
    }
  tv_fuzz_use_trace (trace);
  tv_capture_writer_set_scenario (writer, tv_capture_reader_get_scenario (reader));
  tv_capture_writer_set_title (writer, tv_capture_reader_get_title (reader));
  if (trace_out != NULL)
    *trace_out = g_steal_pointer (&trace);
  return g_steal_pointer (&writer);
}

static void
check_input (const guint8 *data, gsize size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(TvCaptureWriter) writer = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(TvTrace) again = NULL;
  g_autoptr(TvCaptureWriter) again_writer = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GError) error = NULL;

  writer = open_trace (bytes, &trace);
  if (writer == NULL)
    return;

  out = g_memory_output_stream_new_resizable ();
  if (!tv_capture_writer_write (writer, out, NULL, NULL, NULL, &error)
      || !g_output_stream_close (out, NULL, &error))
    g_error ("an opened trace could not be saved: %s", error->message);
  saved = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  again_writer = open_trace (saved, &again);
  if (again_writer == NULL)
    g_error ("a trace saved from an opened one does not open again");
  if (tv_trace_get_n_events (again) != tv_trace_get_n_events (trace)
      || tv_trace_get_n_threads (again) != tv_trace_get_n_threads (trace)
      || tv_trace_get_end_time (again) != tv_trace_get_end_time (trace))
    g_error ("saving an opened trace changed it");
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree guint8 *copy = NULL;

  tv_fuzz_init ();

  check_input (data, size);

  copy = g_memdup2 (data, size);
  if (repair_checksums (copy, size))
    check_input (copy, size);
  return 0;
}
