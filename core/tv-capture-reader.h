/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-capture-reader.h: opens a `.tvt` file (tv-capture.h) and replays its
 * events into a TvTrace.
 *
 * Opening maps the file and checks everything but the events: the header,
 * the section table (every length against the file's size), the checksums
 * and contents of the metadata, scenario and string table.  Replaying checks
 * each event (kind, thread, object, string ids, per-kind fields, then the
 * section's checksum) before it hands it to tv_trace_add_event().  Nothing
 * read from the file is trusted before it is checked, and every problem is a
 * GError in TV_CAPTURE_ERROR (or G_FILE_ERROR) whose message starts with the
 * file's name: "trace.tvt: truncated event section (expected 3200 bytes,
 * found 100)".
 */
#pragma once

#include <gio/gio.h>

#include "tv-capture.h"
#include "tv-capture-writer.h"
#include "tv-trace.h"

G_BEGIN_DECLS

typedef struct _TvCaptureReader TvCaptureReader;

TvCaptureReader *tv_capture_reader_new (const char  *path,
                                        GError     **error);
/* `name` is what error messages call the data (a file name). */
TvCaptureReader *tv_capture_reader_new_from_bytes (GBytes      *bytes,
                                                   const char  *name,
                                                   GError     **error);
void             tv_capture_reader_free (TvCaptureReader *self);

/* The scenario text the run came from ("" when the file has none). */
const char      *tv_capture_reader_get_scenario (TvCaptureReader *self);
/* The title, or NULL. */
const char      *tv_capture_reader_get_title (TvCaptureReader *self);
/* "ThreadViz 0.1.0", or NULL. */
const char      *tv_capture_reader_get_generator (TvCaptureReader *self);
double           tv_capture_reader_get_speed (TvCaptureReader *self);
/* TvRunStatus of the run when it was saved. */
guint            tv_capture_reader_get_status (TvCaptureReader *self);
/* TvCaptureFlags. */
guint32          tv_capture_reader_get_flags (TvCaptureReader *self);
guint64          tv_capture_reader_get_n_events (TvCaptureReader *self);
gint64           tv_capture_reader_get_end_time (TvCaptureReader *self);
/* When the file was written (µs since the Unix epoch), or 0. */
gint64           tv_capture_reader_get_created (TvCaptureReader *self);

/*
 * Feeds every event to `trace` (a fresh one) and, when not NULL, to
 * `writer` (so that the opened run can be saved again), sets the trace's
 * title, and emits ::changed once at the end.  `progress` is called about
 * every 64k events.  On error the trace holds a prefix of the run: drop it.
 */
gboolean         tv_capture_reader_replay (TvCaptureReader       *self,
                                           TvTrace               *trace,
                                           TvCaptureWriter       *writer,
                                           GCancellable          *cancellable,
                                           TvCaptureProgressFunc  progress,
                                           gpointer               user_data,
                                           GError               **error);

/* Opens `path` and replays it into a new trace; NULL on error. */
TvTrace         *tv_capture_load (const char             *path,
                                  GCancellable           *cancellable,
                                  TvCaptureProgressFunc   progress,
                                  gpointer                user_data,
                                  GError                **error);

/*
 * The same in a worker thread, for the window.  `progress` is called on the
 * caller's thread-default main context, before the callback, at most about
 * a hundred times; `progress_data` must live until the callback.  `writer`,
 * when not NULL, is fed on the worker thread: leave it alone until then.
 */
void             tv_capture_load_async (const char            *path,
                                        TvCaptureWriter       *writer,
                                        GCancellable          *cancellable,
                                        TvCaptureProgressFunc  progress,
                                        gpointer               progress_data,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data);
/* The new trace, or NULL.  `reader` (optional) receives the reader, for the
 * scenario text, title, speed and status; free it. */
TvTrace         *tv_capture_load_finish (GAsyncResult     *result,
                                         TvCaptureReader **reader,
                                         GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvCaptureReader, tv_capture_reader_free)

G_END_DECLS
