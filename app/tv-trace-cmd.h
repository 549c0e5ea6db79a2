/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-cmd.h: `threadviz trace [-o OUT.tvt] [--export OUT] -- CMD ARGS…`,
 * an unmodified program run under the preload tracer (docs/tracing-programs.md).
 */
#pragma once

#include <glib.h>

#include "tv-trace.h"

G_BEGIN_DECLS

/* argv[0] is "trace".  Returns the exit status: the program's own (128 +
 * the signal when one killed it), or 64 for a bad command line and 127 when
 * the program cannot be run under the tracer. */
int       tv_trace_cmd_main (int argc, char **argv);

/* The preload library to use: $THREADVIZ_PRELOAD, else the installed one,
 * else this build's.  NULL (with `error` set) when none exists. */
char     *tv_trace_find_preload (GError **error);

/* Why `path` cannot be traced (static, setuid, 32-bit, not a program), or
 * TRUE when it can.  Follows one `#!` interpreter. */
gboolean  tv_trace_check_program (const char *path, GError **error);

/*
 * Ends what the program left open once it has ended (threads that a process
 * exit killed), looks for a cycle of threads each blocked on a lock another
 * holds (adds TV_EV_DEADLOCK events), and ends the run with `status`
 * (TvRunStatus).  Every event added is also handed to `add` (the capture
 * writer).  Returns the number of deadlocked threads.
 */
typedef void (*TvTraceAddFunc) (const TvEvent *event, const char *text, gpointer user_data);
guint     tv_trace_finish_run (TvTrace        *trace,
                               guint           status,
                               TvTraceAddFunc  add,
                               gpointer        user_data);

G_END_DECLS
