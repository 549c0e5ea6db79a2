/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-fuzz.h: what the fuzz targets share.
 *
 * Each target (fuzz-parser.c, fuzz-capture.c, fuzz-chrome.c) defines
 * LLVMFuzzerTestOneInput().  Built with clang -fsanitize=fuzzer it is a
 * libFuzzer program (.ci/fuzz); built by meson with a renamed entry point
 * it is linked into fuzz-replay, which runs the seed and regression corpora
 * in the normal suite (docs/fuzzing.md).
 *
 * A critical or a warning from GLib is a bug the input found (a failed
 * g_return_if_fail, a model inconsistency): both are fatal, as g_error()
 * is.  GLib ends a fatal message with SIGTRAP, which libFuzzer does not
 * catch (it would die without saving the input): SIGTRAP becomes abort().
 */
#pragma once

#include <gio/gio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tv-chrome-export.h"
#include "tv-trace-summary.h"
#include "tv-trace.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
tv_fuzz_trap (int signum)
{
  abort ();
}

static inline void
tv_fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  signal (SIGTRAP, tv_fuzz_trap);
}

/* A copy of exactly `size` bytes (one for an empty input: the loaders take
 * a non-NULL pointer), with nothing after it for a reader to run into. */
static inline char *
tv_fuzz_copy (const guint8 *data, size_t size)
{
  char *copy = g_malloc (MAX (size, 1));

  if (size > 0)
    memcpy (copy, data, size);
  return copy;
}

static void
tv_fuzz_count_segment (const TvTraceSegment *segment,
                       gpointer              user_data)
{
  guint *count = user_data;

  /* The contract of tv_trace_thread_query(): every segment is non-empty. */
  if (segment->end <= segment->start || segment->n_spans == 0)
    g_error ("empty segment [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
             segment->start, segment->end);
  (*count)++;
}

/*
 * Does to a trace that loaded what the window and the exporter do with
 * it: queries every row at two zooms, asks each thread's state, and writes
 * the Chrome JSON to memory.  A file that loads must be drawable.
 */
static inline void
tv_fuzz_use_trace (TvTrace *trace)
{
  gint64 end = tv_trace_get_end_time (trace);
  guint n_threads = tv_trace_get_n_threads (trace);
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GError) error = NULL;

  for (guint t = 0; t < n_threads; t++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, t);
      guint count = 0;

      if (thread == NULL)
        continue;
      tv_trace_thread_query (trace, t, 0, MAX (end, 1), 640, tv_fuzz_count_segment, &count);
      tv_trace_thread_query (trace, t, end / 3, end / 3 + 7, 3, tv_fuzz_count_segment, &count);
      (void) tv_trace_thread_state_at (thread, end / 2);
      (void) tv_trace_thread_state_at (thread, -1);
    }
  for (guint id = 1; id <= tv_trace_get_n_objects (trace); id++)
    (void) tv_trace_get_object (trace, id);

  out = g_memory_output_stream_new_resizable ();
  if (!tv_chrome_export_to_stream (trace, out, NULL, &error))
    g_error ("a loaded trace could not be exported: %s", error->message);
}
