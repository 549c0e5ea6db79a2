/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-traced-program.h: an unmodified program running under the preload
 * tracer (core/preload/), for `threadviz trace` and for the window's
 * "Trace a program…".
 *
 * It owns the shared recorder (in a memfd) the program's processes record
 * into; the caller drains it like a run's (tv_trace_drain() or
 * tv_capture_writer_drain()) until tv_traced_program_poll() says the
 * program has ended, drains once more, and ends the trace with
 * tv_traced_program_finish().
 */
#pragma once

#include <glib.h>

#include "tv-clock.h"
#include "tv-recorder.h"
#include "tv-trace.h"

G_BEGIN_DECLS

/*
 * Set (to "1") beside GSK_RENDERER when ThreadViz chose the renderer itself
 * (tv_application_choose_renderer()): a traced program's environment then
 * gets neither, so that it picks its own renderer as it would elsewhere.
 */
#define TV_ENV_CHOSEN_RENDERER "THREADVIZ_CHOSE_GSK_RENDERER"

typedef struct _TvTracedProgram TvTracedProgram;

typedef enum
{
  /* The program gets a process group of its own, so that Stop reaches its
   * children too (the window).  Without it the program stays in ours and
   * keeps the terminal: Ctrl+C reaches it directly (the command line). */
  TV_TRACED_PROGRAM_OWN_GROUP = 1 << 0,
  /* stdout and stderr go to a pipe (tv_traced_program_get_output_fd()) and
   * stdin is /dev/null, for a window that shows the output itself. */
  TV_TRACED_PROGRAM_CAPTURE_OUTPUT = 1 << 1,
} TvTracedProgramFlags;

/* The preload library to use: $THREADVIZ_PRELOAD, else the installed one,
 * else this build's.  NULL (with `error` set) when none exists. */
char            *tv_traced_program_find_library (GError **error);

/* Whether `path` can be traced; else why not (static, setuid, 32-bit).
 * Follows one `#!` interpreter. */
gboolean         tv_traced_program_check (const char *path, GError **error);

/*
 * Starts argv[0] (looked up in PATH when it has no '/') in `cwd` (NULL:
 * ours) with stdin, stdout and stderr inherited.  Errors name the program
 * and say why: not found, cannot be traced, cannot be run.
 */
TvTracedProgram *tv_traced_program_spawn (char * const         *argv,
                                          const char           *cwd,
                                          TvTracedProgramFlags  flags,
                                          GError              **error);
void             tv_traced_program_free (TvTracedProgram *self);

TvRecorder      *tv_traced_program_get_recorder (TvTracedProgram *self);
GPid             tv_traced_program_get_pid (TvTracedProgram *self);
/* The trace's clock (shared with the program): "now" for a live view. */
TvClock         *tv_traced_program_get_clock (TvTracedProgram *self);
/* With CAPTURE_OUTPUT: the read end of the program's stdout and stderr
 * (non-blocking, owned by the program object), else -1. */
int              tv_traced_program_get_output_fd (TvTracedProgram *self);

/* Reaps the program if it has ended: TRUE then, with its exit status (128
 * + N when signal N killed it).  Never blocks. */
gboolean         tv_traced_program_poll (TvTracedProgram *self, int *status);

/* Sends `signum` to the program (its group with OWN_GROUP). */
void             tv_traced_program_signal (TvTracedProgram *self, int signum);
/* Stop: SIGTERM now; call again after a grace period to SIGKILL. */
void             tv_traced_program_stop (TvTracedProgram *self);

/* Threads, processes and objects the tracer could not follow (no ring or
 * table slot left): 0 normally.  For a warning. */
guint            tv_traced_program_get_untraced (TvTracedProgram *self);
guint            tv_traced_program_get_n_processes (TvTracedProgram *self);

/*
 * Ends what the program left open once it has ended: threads a process
 * exit killed end with their process; a cycle of threads each blocked on a
 * lock another holds is reported as a deadlock (TV_EV_DEADLOCK events, as
 * the engine reports one, unless already reported); then TV_EV_RUN_END with `status` (TvRunStatus,
 * TV_RUN_FAILED when there is a deadlock).  Every event added is also
 * handed to `add` (e.g. the capture writer).  Returns the number of
 * deadlocked threads.
 */
typedef void (*TvTraceAddFunc) (const TvEvent *event, const char *text, gpointer user_data);
guint            tv_traced_program_finish (TvTrace        *trace,
                                           guint           status,
                                           TvTraceAddFunc  add,
                                           gpointer        user_data);
/* The same, ending the trace at `end_time` (the trace clock's time when
 * the program was seen to end) if that is after its last event: threads
 * blocked until the program was stopped are drawn blocked until then. */
guint            tv_traced_program_finish_at (TvTrace        *trace,
                                              guint           status,
                                              gint64          end_time,
                                              TvTraceAddFunc  add,
                                              gpointer        user_data);

/*
 * Looks for a cycle of live threads each blocked on a lock (or semaphore)
 * that the next one holds, as the trace stands: the number of threads in
 * cycles.  With `report`, adds a TV_EV_DEADLOCK per member (at the trace's
 * end time) to the trace and to `add`.  A traced program cannot be asked
 * whether its threads will move again, so call it when the trace has been
 * quiet for a while (`threadviz trace --stop-on-deadlock` waits 0.5 s).
 */
guint            tv_traced_program_find_deadlocks (TvTrace        *trace,
                                                   gboolean        report,
                                                   TvTraceAddFunc  add,
                                                   gpointer        user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvTracedProgram, tv_traced_program_free)

G_END_DECLS
