/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-run-private.h: what the engine's files share: the run, the per-thread
 * interpreter context and the functions each file gives the others.
 *
 * Files: tv-run.c (public API, errors), tv-runner.c (layout, the runner
 * thread), tv-shared.c (the shared block, waits, stop), tv-primitives.c
 * (lock ... queue), tv-gil.c, tv-process.c (processes), tv-expr.c (expressions,
 * conditions, templates), tv-interp.c (statements, thread bodies),
 * tv-watchdog.c (deadlock and stall detection), tv-control.c (pause, step).
 */
#pragma once

#include <glib.h>
#include <pthread.h>
#include <sys/types.h>

#include "tv-run.h"
#include "tv-shared.h"

G_BEGIN_DECLS

#define TV_MAX_CALL_DEPTH   64
#define TV_MAX_COUNTERS     (TV_SCENARIO_MAX_NESTING * TV_MAX_CALL_DEPTH)
#define TV_STRING_BYTES     (8u << 20)
#define TV_DEFAULT_RING     16384u

/* How a statement ended: go on, or unwind (stop, error, deadlock). */
typedef enum
{
  TV_FLOW_OK = 0,
  TV_FLOW_STOP,
} TvFlow;

/* The result of a blocking wait. */
typedef enum
{
  TV_BLOCK_READY = 0,
  TV_BLOCK_TIMEOUT,
  TV_BLOCK_STOP,
} TvBlockResult;

typedef struct _TvCtx TvCtx;

/* The interpreter state of one thread: private to it. */
struct _TvCtx
{
  TvRun     *run;
  TvShared  *sh;
  TvSlot    *slot;
  TvRing    *ring;
  guint32    index;           /* thread index == ring index */
  guint32    body;
  gint64     item;            /* the last item got */
  gboolean   acquired;        /* the last acquire / try_acquire got it */
  guint      call_depth;
  guint      n_counters;
  gint64     counters[TV_MAX_COUNTERS];
  GString   *buffer;          /* reused for prints and renames */
  /* GIL (gil on): whether this thread holds its process's GIL, since when
   * (scenario ns). */
  guint32    gil;             /* object id of its GIL, 0 when gil off */
  gboolean   gil_held;
  gint64     gil_since;
};

struct _TvRun
{
  TvScenario   *scenario;
  TvRunOptions  options;
  TvRecorder   *recorder;
  /* The controller's ring (the last one): TV_EV_PAUSE / TV_EV_RESUME, on
   * no thread.  Written under the engine lock only, so whoever ends a step
   * (a thread of any process) may write it too. */
  TvRing       *control_ring;

  TvShared     *sh;
  size_t        sh_size;
  int           sh_fd;             /* its memfd (-1 in a process of the run) */
  /* With `process` bodies the recorder is in a memfd too (tv-recorder-fd.h),
   * so that a process of the run can map it: then its fd and extra block. */
  int           recorder_fd;
  void         *recorder_extra;
  /* The program a `process` instance runs (tv-process.c). */
  char         *helper_path;

  /* Thread slots: 0 = main, then the instances of every thread body in
   * file order, then the main threads of every process instance, then the
   * spawn pool [spawn_base, n_slots). */
  guint         n_slots;
  guint         spawn_base;
  guint         process_slot_base; /* slot of the first process instance */
  guint        *body_first_slot;   /* per body: its first slot (MAIN/THREAD/PROCESS), G_MAXUINT for DEF */
  _Atomic guint *spawn_counts;     /* per body: how many times it was spawned */

  /* Object ids: scenario object i -> i + 1; var v -> n_objects + 1 + v;
   * then the main process and every process instance; then the GILs. */
  guint32       var_base;          /* id of var 0 */
  guint32       process_base;      /* id of the main process */
  guint         n_processes;       /* main + process instances */
  guint32       gil_base;          /* id of the main process's GIL, 0 when gil off */
  char        **object_names;      /* per id - 1 */

  /* Process-private memory: `var` values and stopwatch origins. */
  _Atomic gint64 *vars;

  TvCtx        *ctxs;              /* per slot */
  pthread_t    *threads;           /* per slot */
  gboolean     *created;           /* per slot, under the engine lock */

  pthread_t     runner;
  pthread_t     watchdog;
  gboolean      started;
  gboolean      joined;

  /* The controller's view of the end. */
  /* pthread rather than GMutex, whose futexes ThreadSanitizer cannot see. */
  pthread_mutex_t ctl_mutex;
  pthread_cond_t  ctl_cond;        /* CLOCK_MONOTONIC */
  gboolean      finished;          /* every thread has ended (under ctl_mutex) */
  gboolean      watchdog_quit;     /* under ctl_mutex */
  _Atomic guint status;            /* TvRunStatus */
  char         *error_message;     /* copy of sh->error_text, made by the getter */
  /* Processes this process started, per slot of their main thread (under
   * the engine lock); each process reaps its own children. */
  /* Atomic: the watchdog reads them without the lock when a frozen process
   * holds it (tv_process_kill_now). */
  _Atomic pid_t *pids;
  _Atomic gboolean *reaped;
  /* The runner or the watchdog killed what was left of the run's processes
   * after the stop grace: their deaths fail nothing. */
  _Atomic gboolean children_killed;
  /* tv_run_stop() could not take the engine lock at once: the watchdog
   * finishes the stop when it can (tv_run_stop_locked), and kills the
   * processes if nobody can for TV_STOP_GRACE_NS (wall ns of the request). */
  _Atomic gint64 stop_pending;
  gboolean      in_child;          /* this run is a process of a run (the helper) */
  pid_t         forker_pid;        /* this process (the parent of those it starts) */
  pid_t         parent_pid;        /* in a child: the process that started it */
};

/* --- tv-shared.c ------------------------------------------------------ */
gboolean      tv_shared_map (TvRun *run, GError **error);
void          tv_shared_unmap (TvRun *run);
void          tv_shared_lock (TvShared *sh);
void          tv_shared_unlock (TvShared *sh);
/* tv_shared_lock(), giving up at wall ns `wall_ns` (CLOCK_MONOTONIC):
 * FALSE then.  For those who must not hang on a frozen holder. */
gboolean      tv_shared_lock_until (TvShared *sh, gint64 wall_ns);
/* In a process of the run: maps the block of memfd `fd` (any address). */
gboolean      tv_shared_attach (TvRun *run, int fd, GError **error);
void          tv_shared_print_lock (TvShared *sh);
void          tv_shared_print_unlock (TvShared *sh);
gboolean      tv_shared_stopping (TvShared *sh);
/* Sets the stop flag and wakes every wait.  With the engine lock held. */
void          tv_shared_stop_locked (TvShared *sh);
/* Wakes every wait so that it recomputes its deadline.  Lock held. */
void          tv_shared_wake_all_locked (TvShared *sh);
/* pthread_cond_wait / _timedwait (absolute wall ns, CLOCK_MONOTONIC) on a
 * process-shared `cond` with the engine lock, recovering it from a dead
 * holder.  FALSE when the time has passed. */
void          tv_shared_wait (TvShared *sh, pthread_cond_t *cond);
gboolean      tv_shared_wait_until (TvShared *sh, pthread_cond_t *cond, gint64 wall_ns);
/*
 * In a child process whose parent has died (the application crashed or was
 * killed): stops the run, so that the orphans end instead of waiting (or
 * standing paused) forever.  Waits of a child wake at least every
 * TV_ORPHAN_CHECK_NS to ask.  Lock held; TRUE when it stopped the run.
 */
#define TV_ORPHAN_CHECK_NS (250 * G_GINT64_CONSTANT (1000000))
gboolean      tv_shared_orphaned_locked (TvRun *run);
/* Whether what `slot` waits for is there now.  Lock held. */
gboolean      tv_slot_ready (TvShared *sh, const TvSlot *slot);
/*
 * Waits on `cond` until the slot's wait is ready, the stop flag is set or
 * scenario time `deadline` (ns, -1: none) has passed.  The engine lock is
 * held on entry and on return.  Sets and clears the slot's wait fields.
 */
TvBlockResult tv_block (TvCtx          *ctx,
                        pthread_cond_t *cond,
                        TvWaitKind      kind,
                        guint32         object,
                        guint32         thread,
                        guint           line,
                        gint64          deadline);

/* --- emitting --------------------------------------------------------- */
static inline void
tv_emit_at (TvCtx *ctx, gint64 time, TvEventKind kind, guint line,
            guint32 object, guint32 aux, gint64 arg)
{
  TvEvent ev;

  ev.time = time;
  ev.arg = arg;
  ev.thread = ctx->index;
  ev.object = object;
  ev.aux = aux;
  ev.kind = (uint16_t) kind;
  ev.line = (uint16_t) MIN (line, 65535u);
  tv_ring_emit (ctx->ring, &ev);
}

/*
 * Records on the controller's ring (the recorder's last, which only run
 * control writes and is nearly always empty) on thread `thread`, for
 * the events a trace must not lose when the thread's own ring is full: the
 * end of the run, its errors, a thread's part in a deadlock.  The engine
 * lock must be held: it is what makes the ring single-producer.
 */
static inline void
tv_emit_kept_locked (TvRun *run, guint32 thread, TvEventKind kind, guint line,
                     guint32 object, guint32 aux, gint64 arg)
{
  TvEvent ev;

  ev.time = tv_clock_now (&run->sh->clock);
  ev.arg = arg;
  ev.thread = thread;
  ev.object = object;
  ev.aux = aux;
  ev.kind = (uint16_t) kind;
  ev.line = (uint16_t) MIN (line, 65535u);
  tv_ring_emit (run->control_ring, &ev);
}

static inline void
tv_emit (TvCtx *ctx, TvEventKind kind, guint line,
         guint32 object, guint32 aux, gint64 arg)
{
  tv_emit_at (ctx, tv_clock_now (&ctx->sh->clock), kind, line, object, aux, arg);
}

static inline void
tv_emit_state (TvCtx *ctx, TvThreadState state, guint line,
               guint32 object, guint32 aux)
{
  tv_emit (ctx, TV_EV_STATE, line, object, aux, state);
}

/* --- tv-run.c --------------------------------------------------------- */
/* Records the first run-time error (message already formatted), stops the
 * run and emits TV_EV_RUN_ERROR on ctx's ring.  Returns TV_FLOW_STOP. */
TvFlow        tv_run_fail_message (TvCtx *ctx, TvRunErrorKind kind, guint line,
                                   const char *message);
/* Formats `file:line:column: message` with the line quoted, then fails. */
TvFlow        tv_run_fail (TvCtx *ctx, TvRunErrorKind kind, TvLocation location,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);
/* Records a watchdog error (deadlock, stall) and stops.  Lock held. */
void          tv_run_fail_locked (TvRun *run, TvRunErrorKind kind, char *message);
const char   *tv_run_object_name (TvRun *run, guint32 id);
/* Waits on ctl_cond (ctl_mutex held) until g_get_monotonic_time() `end`;
 * FALSE once that time has passed. */
gboolean      tv_run_ctl_wait_until (TvRun *run, gint64 end);
char         *tv_run_where (TvRun *run, guint line);
/* What tv_run_stop() does under the engine lock.  Lock held. */
void          tv_run_stop_locked (TvRun *run);
/* In a process of the run (threadviz-process.c): a run attached to the
 * parent's shared block and recorder, without runner or watchdog. */
TvRun        *tv_run_new_attached (TvScenario *scenario,
                                   TvRecorder *recorder,
                                   int         shared_fd,
                                   int         print_fd,
                                   GError    **error);

/* --- tv-runner.c ----------------------------------------------------- */
/* Thread slots, object ids and names (before the shared block is mapped). */
void          tv_runner_lay_out (TvRun *run);
/* Names, bodies and processes of the declared slots (after it is). */
void          tv_runner_init_slots (TvRun *run);
void         *tv_runner_main (void *data);

/* --- tv-interp.c ------------------------------------------------------ */
void          tv_ctx_init (TvRun *run, guint32 index, guint32 body);
void          tv_ctx_clear (TvCtx *ctx);
TvFlow        tv_interp_block (TvCtx *ctx, const TvBlock *block);
/* Ends a thread: THREAD_EXIT, slot ended, joiners woken, GIL dropped. */
void          tv_interp_thread_end (TvCtx *ctx);
void         *tv_interp_thread_main (void *data);
/* THREAD_OS and THREAD_START, the first events a thread records itself. */
void          tv_interp_thread_begin (TvCtx *ctx);
/* Busy work for `duration` scenario ns (checks the stop flag; GIL aware). */
TvFlow        tv_interp_work (TvCtx *ctx, gint64 duration, guint line);

/* --- tv-expr.c -------------------------------------------------------- */
gint64        tv_var_load (TvCtx *ctx, guint index);
void          tv_var_store (TvCtx *ctx, guint index, gint64 value);
/* The same, recording TV_EV_VAR_READ / TV_EV_VAR_WRITE. */
gint64        tv_var_read (TvCtx *ctx, guint index, guint line);
void          tv_var_write (TvCtx *ctx, guint index, gint64 value, guint line);
TvFlow        tv_expr_eval (TvCtx *ctx, const TvExpr *expr, guint line, gint64 *value);
TvFlow        tv_cond_eval (TvCtx *ctx, const TvCond *cond, guint line, gboolean *value);
void          tv_template_render (TvCtx *ctx, const TvTemplate *text, GString *out);
gboolean      tv_body_alive_locked (TvRun *run, guint body);

/* --- tv-primitives.c -------------------------------------------------- */
TvFlow        tv_prim_acquire (TvCtx *ctx, const TvStmt *stmt, guint32 id,
                               gint64 timeout, gboolean blocking);
TvFlow        tv_prim_release (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_put (TvCtx *ctx, const TvStmt *stmt, guint32 id, const gint64 *value);
TvFlow        tv_prim_get (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_task_done (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_join_queue (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_set (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_clear (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_wait (TvCtx *ctx, const TvStmt *stmt, guint32 id);
TvFlow        tv_prim_notify (TvCtx *ctx, const TvStmt *stmt, guint32 id);

/* --- tv-gil.c --------------------------------------------------------- */
/* Takes the thread's GIL if gil on and not held (GIL_WAIT span if it waits). */
TvFlow        tv_gil_take (TvCtx *ctx, guint line);
/* Gives it up before blocking (no-op when not held). */
void          tv_gil_drop (TvCtx *ctx, guint line);
/* In `work`: hands the GIL on when another thread asked and the switch
 * interval has passed, and takes it back in turn; `dropped_at` is the time
 * it gave it up, or -1.  Returns TV_FLOW_STOP when stopped meanwhile. */
TvFlow        tv_gil_check (TvCtx *ctx, guint line, gint64 *dropped_at);

/* --- tv-process.c ---------------------------------------------------- */
/* `start P`: starts one process (the helper program) per instance of
 * process body P. */
TvFlow        tv_process_start (TvCtx *ctx, const TvStmt *stmt);
/* The helper program's path: $TV_PROCESS_HELPER, the build tree's when
 * this program runs from the build tree, else the installed one. */
char         *tv_process_find_helper (void);
/* In the helper: runs process instance `index` and its threads, then
 * leaves with _exit() (tv-process.c). */
void          tv_process_child_main (TvRun *run, guint32 index) G_GNUC_NORETURN;
/* The environment variable that names the helper, and the one that makes
 * a process instance of that name stop itself (SIGSTOP) while it holds
 * the engine lock, for the tests of a frozen process. */
#define TV_PROCESS_HELPER_ENV     "TV_PROCESS_HELPER"
#define TV_PROCESS_TEST_FREEZE_ENV "TV_PROCESS_TEST_FREEZE_LOCKED"
/* Reaps the children of this process that have ended (blocking: wait for
 * them).  A child that died while its threads were alive fails the run
 * (unless the runner killed it, tv_process_kill_locked).  Lock not held. */
void          tv_process_reap (TvRun *run, gboolean block);
/* Whether every child this process started has been reaped.  Lock held. */
gboolean      tv_process_all_reaped_locked (TvRun *run);
/* How long, after a stop, a thread waits for room in its full ring before
 * it drops an event (tv_run_stop()): well under the 50 ms tv_run_stop()
 * waits for the engine lock. */
#define TV_STOP_ROOM_WAIT_MS 20
/*
 * The stop grace is over: SIGKILLs every process of the run but this one
 * (the children it started and every process a live slot runs in).  Lock
 * held.
 */
#define TV_STOP_GRACE_NS (500 * G_GINT64_CONSTANT (1000000))
/* How long a child whose threads have all ended may take to leave (its
 * exit, its reaps) before it is killed, when the run was not stopped. */
#define TV_LEAVE_GRACE_NS (5000 * G_GINT64_CONSTANT (1000000))
void          tv_process_kill_locked (TvRun *run);
/* The same without the engine lock, which a frozen process may hold: the
 * direct children's process groups (every process of the run below this
 * one), by their atomic pids. */
void          tv_process_kill_now (TvRun *run);
/* Once the killed children are reaped: ends the slots still alive in
 * other processes (those of grandchildren, which this one cannot reap),
 * recording their THREAD_EXIT on the controller's ring.  Lock held. */
void          tv_process_forget_locked (TvRun *run);
/* The object id of the GIL of process object `process`, 0 when gil off. */
guint32       tv_process_gil (TvRun *run, guint32 process);

/* --- tv-control.c ---------------------------------------------------- */
/*
 * The statement boundary: records the line the thread is at and, while the
 * run is paused, holds it there (giving its GIL up meanwhile) until resume,
 * a step of this thread, or stop.  Called before every statement and
 * between the read and the write of `x += e`.  One relaxed load when not
 * paused.
 */
TvFlow        tv_control_gate (TvCtx *ctx, guint line);
/* The thread running a step blocks, ends or reaches its boundary: pause
 * again and tell the controller.  Lock held. */
void          tv_control_step_done_locked (TvRun *run);
/* tv_run_start(): a run paused before its start starts paused. */
void          tv_control_start (TvRun *run);

/* --- tv-watchdog.c ---------------------------------------------------- */
/* "waits for lock 'L' (file:9)" and the like, for reports.  Lock held. */
void          tv_watchdog_describe_wait (TvRun *run, GString *out, const TvSlot *slot);
void         *tv_watchdog_main (void *data);
/* One examination of the wait-for graph (exposed for tests). */
gboolean      tv_watchdog_scan (TvRun *run, guint64 *last_progress, guint *stall_scans);

G_END_DECLS
