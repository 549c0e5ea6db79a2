/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-chrome-export.h: writes a TvTrace as Chrome's Trace Event Format (the
 * JSON that chrome://tracing, Perfetto UI and Speedscope open).
 *
 * The JSON is streamed in 64 KiB pieces, never built as a tree, so a trace of
 * millions of events exports in constant memory.  docs/trace-files.md gives
 * the mapping; in short: one pid per process (the real pid when known), one
 * tid per thread (the real tid when known), M events for names, an X event
 * per state span, X (or b/e for semaphores) events for holds on a pseudo
 * thread per object, s/f flow pairs for links, C counters for queue depth,
 * waiters and variables, i instant events for prints and problems.
 * Timestamps are µs with three decimals (ns precision).
 *
 * Like every reader of a TvTrace, call it on the thread that feeds the
 * trace (a live run may be exported: what was drained so far is written,
 * spans and holds still open end at the trace's end time).
 */
#pragma once

#include <gio/gio.h>

#include "tv-trace.h"

G_BEGIN_DECLS

/* Writes the JSON to `stream` (the caller closes it). */
gboolean tv_chrome_export_to_stream (TvTrace       *trace,
                                     GOutputStream *stream,
                                     GCancellable  *cancellable,
                                     GError       **error);

/* Writes the JSON to `path`, replacing it atomically.  Errors name the file. */
gboolean tv_chrome_export (TvTrace     *trace,
                           const char  *path,
                           GError     **error);

/* The label of a span as the export names it: "running", "blocked on lock L",
 * "get on empty queue Q", "joining worker"... (newly allocated). */
char    *tv_chrome_span_label (TvTrace      *trace,
                               const TvSpan *span);

G_END_DECLS
