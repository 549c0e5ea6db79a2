/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-capture-writer.h: collects the events of a run and saves them as a
 * `.tvt` file (tv-capture.h).
 *
 * The writer is fed the same events, in the same order, as the TvTrace:
 * hook tv_capture_writer_add() wherever an event is handed to
 * tv_trace_add_event() (the drain path), with the same resolved text.  It
 * keeps the events in 1 MiB chunks, already in their on-disk form, and the
 * texts in one growing blob: no heap object per event, ~32 bytes of memory
 * per event plus the texts.  Saving does not disturb collecting: a run may
 * be saved while it goes on, and saved again later.
 *
 * Not thread-safe: feed it and save it from one thread (the one that drains
 * the run), or hand it over between threads with the usual care.
 */
#pragma once

#include <gio/gio.h>

#include "tv-capture.h"
#include "tv-recorder.h"
#include "tv-trace.h"

G_BEGIN_DECLS

typedef struct _TvCaptureWriter TvCaptureWriter;

TvCaptureWriter *tv_capture_writer_new (void);
void             tv_capture_writer_free (TvCaptureWriter *self);

/* The scenario text the run came from (saved with the events so that the
 * file can be opened as scenario + run).  NULL or "" for none. */
void             tv_capture_writer_set_scenario (TvCaptureWriter *self,
                                                 const char      *text);
void             tv_capture_writer_set_title (TvCaptureWriter *self,
                                              const char      *title);
/* The speed factor the run was played at (1.0 unless set). */
void             tv_capture_writer_set_speed (TvCaptureWriter *self,
                                              double           speed);
/* The run's TvRunStatus.  When never set, the arg of the last TV_EV_RUN_END
 * added is used, or TV_RUN_RUNNING when there was none. */
void             tv_capture_writer_set_status (TvCaptureWriter *self,
                                               guint            status);
/* Marks the capture as made from another format (TV_CAPTURE_FLAG_IMPORTED). */
void             tv_capture_writer_set_imported (TvCaptureWriter *self,
                                                 gboolean         imported);

/*
 * Records one event, exactly as handed to tv_trace_add_event(): `text` is
 * the resolved string of the kinds that have one (tv_capture_kind_has_text()),
 * ignored for the others.  A string id of these kinds is rewritten to an
 * index into the file's own string table.
 */
void             tv_capture_writer_add (TvCaptureWriter *self,
                                        const TvEvent   *event,
                                        const char      *text);

/*
 * A drop-in for tv_trace_drain() that also records: drains `recorder`,
 * sorts the batch by time (stable, as tv_trace_drain() does), resolves the
 * texts, and adds every event to `trace` and to the writer.  Emits the
 * trace's ::changed once if anything was added.  Returns the count.
 */
gsize            tv_capture_writer_drain (TvCaptureWriter *self,
                                          TvTrace         *trace,
                                          TvRecorder      *recorder);

guint64          tv_capture_writer_get_n_events (TvCaptureWriter *self);
/* Bytes of memory held (events + strings), for the curious UI. */
gsize            tv_capture_writer_get_memory_size (TvCaptureWriter *self);

/*
 * Writes the capture as it stands.  The file is replaced atomically (a
 * failed save leaves any old file as it was).  Errors name the file.
 */
gboolean         tv_capture_writer_save (TvCaptureWriter *self,
                                         const char      *path,
                                         GError         **error);
gboolean         tv_capture_writer_save_to_file (TvCaptureWriter       *self,
                                                 GFile                 *file,
                                                 GCancellable          *cancellable,
                                                 TvCaptureProgressFunc  progress,
                                                 gpointer               user_data,
                                                 GError               **error);
/* Writes to any stream (the caller closes it). */
gboolean         tv_capture_writer_write (TvCaptureWriter       *self,
                                          GOutputStream         *stream,
                                          GCancellable          *cancellable,
                                          TvCaptureProgressFunc  progress,
                                          gpointer               user_data,
                                          GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvCaptureWriter, tv_capture_writer_free)

G_END_DECLS
