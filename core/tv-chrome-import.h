/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-chrome-import.h: reads Chrome Trace Event Format JSON written by other
 * programs (Chrome, Perfetto's JSON export, Catapult, many tracers) into a
 * TvTrace, as TvEvents, so everything that reads a trace can show it.
 *
 * Accepted: the object form ({"traceEvents": [...]}) and a bare array;
 * X, B/E, i/I, C, s/t/f flows (and flow_in/flow_out with bind_id on
 * slices), M process_name/thread_name.  Other phases are skipped.
 *
 * Mapping (docs/trace-files.md): every (pid, tid) becomes a thread, named by
 * its thread_name; every pid a process object named by its process_name.  A
 * slice (X, or a B/E pair) becomes a RUNNING span whose object is an object
 * of kind TV_OBJ_NONE named by the slice's name (nested slices: the
 * innermost wins, the outer resumes when it ends); time outside any slice
 * is SLEEPING ("idle").  Counters become queue-depth points of a
 * TV_OBJ_QUEUE object per series, instant events prints, flows links of
 * kind TV_LINK_WAKE.  Times become ns from the earliest event.
 */
#pragma once

#include <gio/gio.h>

#include "tv-capture-writer.h"
#include "tv-trace.h"

G_BEGIN_DECLS

#define TV_CHROME_ERROR (tv_chrome_error_quark ())

typedef enum
{
  TV_CHROME_ERROR_PARSE,     /* not JSON: the message has file:line:column */
  TV_CHROME_ERROR_INVALID,   /* JSON, but not a trace */
} TvChromeError;

GQuark   tv_chrome_error_quark (void);

/*
 * Adds the events of `len` bytes of JSON to `trace` (a fresh one) and, when
 * not NULL, to `writer` (so that the import can be saved as `.tvt`).
 * `name` is what messages call the data.  On error nothing was added.
 */
gboolean tv_chrome_import_data (const char       *data,
                                gsize             len,
                                const char       *name,
                                TvTrace          *trace,
                                TvCaptureWriter  *writer,
                                GError          **error);

gboolean tv_chrome_import (const char       *path,
                           TvTrace          *trace,
                           TvCaptureWriter  *writer,
                           GError          **error);

/* Imports `path` into a new trace; NULL on error. */
TvTrace *tv_chrome_load (const char  *path,
                         GError     **error);

G_END_DECLS
