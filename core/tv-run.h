/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-run.h: the engine.  Runs a TvScenario on real pthreads (and, for
 * `process`, real forked processes), recording every operation into a
 * TvRecorder.
 *
 * A TvRun is driven from one controlling thread (the CLI's main loop or the
 * GTK main thread): tv_run_start() returns at once; the controller then
 * drains the recorder into a TvTrace as often as it likes, and learns of the
 * end with tv_run_is_finished() / tv_run_wait().  tv_run_stop() ends any run
 * (deadlocked, in `forever`, blocked on anything) promptly: every wait in
 * the engine can be woken by it.
 */
#pragma once

#include <glib.h>

#include "tv-clock.h"
#include "tv-recorder.h"
#include "tv-scenario.h"

G_BEGIN_DECLS

typedef enum
{
  TV_RUN_READY = 0,       /* made, not started */
  TV_RUN_RUNNING,
  TV_RUN_FINISHED,        /* the main body ended normally */
  TV_RUN_STOPPED,         /* tv_run_stop() ended it */
  TV_RUN_FAILED,          /* a run-time error, a deadlock or a stall ended it */
} TvRunStatus;

typedef enum
{
  TV_RUN_ERROR_NONE = 0,
  TV_RUN_ERROR_DEADLOCK,        /* a cycle of threads each waiting for another */
  TV_RUN_ERROR_STALL,           /* every live thread waits and nothing can wake it */
  TV_RUN_ERROR_NOT_HELD,        /* release of a lock the thread does not hold */
  TV_RUN_ERROR_NOT_STARTED,     /* join of a thread never started */
  TV_RUN_ERROR_ALREADY_STARTED, /* start of a thread twice */
  TV_RUN_ERROR_DIVISION,        /* division or modulo by zero */
  TV_RUN_ERROR_LIMIT,           /* too many threads, queue items, ... */
  TV_RUN_ERROR_WAIT_OUTSIDE,    /* wait/notify on a condition not held */
  TV_RUN_ERROR_SYSTEM,          /* the system refused (thread, fork, memory) */
  TV_RUN_ERROR_TASK_DONE,       /* task_done called more times than items put */
} TvRunErrorKind;

typedef struct _TvRun TvRun;

typedef struct
{
  double   speed;        /* scenario time per wall time, 0.1 .. 10 (default 1) */
  /*
   * A file descriptor the printed lines are written to, one per line, in the
   * order they were printed, or -1 for none (the lines are in the trace in
   * any case).  Written by whichever process prints, under a process-shared
   * lock, so order is kept across processes too.
   */
  int      print_fd;
  /* Ring size per thread, in events (0: the default, 16384). */
  guint32  ring_capacity;
  /*
   * How much lower the run's threads are scheduled than the thread that
   * starts it: a nice increment, 0 (the same) to 19.  Its processes and
   * every thread it starts inherit it.  A window that draws the run live
   * gives its threads a lower priority, so that threads working flat out
   * cannot starve the main loop on a machine with few cores; their share
   * among themselves, and what the scenario does, stay the same.
   */
  int      nice;
} TvRunOptions;

#define TV_RUN_OPTIONS_INIT { 1.0, -1, 0, 0 }

/* Prepares a run: maps the shared memory, creates the recorder. */
TvRun        *tv_run_new (TvScenario         *scenario,
                          const TvRunOptions *options,
                          GError            **error);
void          tv_run_free (TvRun *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvRun, tv_run_free)

/* Starts the run's main thread and returns at once. */
gboolean      tv_run_start (TvRun *self, GError **error);

/* Asks every thread and process of the run to end now; returns at once. */
void          tv_run_stop (TvRun *self);

/*
 * Waits until the run has ended and every thread and child is reaped.  The
 * trace's TV_EV_RUN_END (and tv_run_get_status()) may come a little
 * before: once every thread has ended, not once every child has left.
 */
void          tv_run_wait (TvRun *self);
/*
 * Waits at most `timeout_ms` for the end; TRUE when it has ended.  Used by
 * the CLI loop to drain between waits.
 */
gboolean      tv_run_wait_timeout (TvRun *self, guint timeout_ms);
gboolean      tv_run_is_finished (TvRun *self);

TvRunStatus   tv_run_get_status (TvRun *self);
/* The run-time error that ended the run, or TV_RUN_ERROR_NONE. */
TvRunErrorKind tv_run_get_error_kind (TvRun *self);
/*
 * The error (or deadlock report) formatted for people, with file:line for
 * every scenario line involved, or NULL.  The deadlock report names every
 * thread, every object and every line of the cycle.
 */
const char   *tv_run_get_error_message (TvRun *self);

TvRecorder   *tv_run_get_recorder (TvRun *self);
TvScenario   *tv_run_get_scenario (TvRun *self);
TvClock      *tv_run_get_clock (TvRun *self);

/* Any time, also during a run or while paused (clamped to 0.1 .. 10):
 * every timed wait (sleep, io, timeouts) recomputes its deadline at once. */
void          tv_run_set_speed (TvRun *self, double speed);
double        tv_run_get_speed (TvRun *self);

const char   *tv_run_status_to_string (TvRunStatus status);

/*
 * Events the recorder could not keep (its rings were full): the count the
 * window and the CLI summary show.  Any thread, any time.
 */
guint64       tv_run_get_dropped (TvRun *self);

/* --- run control (docs/engine.md, "Run control") -------------------------
 *
 * Driven from the controlling thread.  While paused, no thread begins a
 * statement (each stops at its next statement boundary, in whatever process
 * it runs) and the scenario clock stands still, so sleeps and `work` do not
 * advance; a thread already blocked stays blocked.  The trace gets a
 * TV_EV_PAUSE / TV_EV_RESUME pair.  tv_run_stop() ends a paused run too.
 */

/* Where a thread is, for the editor's line marks and for tv_run_step(). */
typedef enum
{
  TV_RUN_PLACE_NONE = 0,  /* not started yet, or ended */
  TV_RUN_PLACE_RUNNING,   /* inside the statement at its line: running,
                           * working, sleeping, waiting for the GIL */
  TV_RUN_PLACE_PAUSED,    /* held by the pause before the statement at its
                           * line (or between the read and the write of an
                           * `x += e` at its line) */
  TV_RUN_PLACE_WAITING,   /* blocked in the statement at its line until
                           * another thread acts (lock, queue, event, join ...) */
} TvRunPlace;

#define TV_RUN_CONTROL_ERROR (tv_run_control_error_quark ())
GQuark        tv_run_control_error_quark (void);

typedef enum
{
  TV_RUN_CONTROL_ERROR_NOT_PAUSED,  /* step while the run is not paused */
  TV_RUN_CONTROL_ERROR_NOT_ALIVE,   /* no such thread, not started, ended, or the run ended */
  TV_RUN_CONTROL_ERROR_WAITING,     /* the thread is blocked: step another one */
  TV_RUN_CONTROL_ERROR_BUSY,        /* a step is still running */
} TvRunControlError;

/*
 * Pauses the run (no-op when paused or ended).  May be called before
 * tv_run_start(): the run then starts paused, before the main body's first
 * statement.
 */
void          tv_run_pause (TvRun *self);
/* Lets every thread go on (no-op when not paused); ends a step too. */
void          tv_run_resume (TvRun *self);
/* Whether the run is paused (also while a step runs). */
gboolean      tv_run_is_paused (TvRun *self);

/*
 * With the run paused, lets thread `thread_index` (a trace thread index) run
 * its next statement while every other thread stays paused, then pauses
 * again; returns at once (tv_run_is_stepping(), tv_run_wait_step()).  The
 * scenario clock runs during the step (a sleep in it takes its time).  A
 * step ends when the thread reaches its next statement boundary, blocks on
 * something another thread must provide, or ends.  `x += e` takes two
 * steps: the read (and `e`, and the `window`), then the write, so a lost
 * update can be made by hand.  A thread inside a statement when the run was
 * paused (in a sleep, `work`), or not yet at its first one, finishes that
 * statement (or gets there).  Fails (FALSE, error
 * set) when not paused, while another step runs, or when the thread is not
 * alive or is blocked (the message says on what, at which line).
 */
gboolean      tv_run_step (TvRun *self, guint32 thread_index, GError **error);
/* Whether a step is running. */
gboolean      tv_run_is_stepping (TvRun *self);
/* Waits at most `timeout_ms` for the running step to end; TRUE when no step
 * runs any more. */
gboolean      tv_run_wait_step (TvRun *self, guint timeout_ms);

/* Thread indices run from 0 to this (exclusive); unused ones are NONE. */
guint         tv_run_get_n_threads (TvRun *self);
/*
 * The scenario line thread `thread_index` is at (0 when none) and, in
 * `place` (may be NULL), how it is there.  Meant to be read while paused
 * (every thread then stands still), but safe at any time.
 */
guint         tv_run_get_thread_line (TvRun      *self,
                                      guint32     thread_index,
                                      TvRunPlace *place);

G_END_DECLS
