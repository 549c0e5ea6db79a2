/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-event.h: the fixed-size event that every instrumented operation emits.
 *
 * This header uses only libc so that the recorder can later be loaded into
 * programs that know nothing of GLib (the preload tracer).  Every event is
 * self-contained: it carries what the trace needs to draw it without looking
 * up any other event, because events of different threads may reach the
 * consumer slightly out of order (see docs/design.md, "Event format").
 */
#pragma once

#include <stdint.h>

#define TV_NO_THREAD UINT32_MAX
#define TV_NO_OBJECT 0u

/* What kind of object an object id names (TV_EV_OBJECT_NEW's aux). */
typedef enum
{
  TV_OBJ_NONE = 0,
  TV_OBJ_LOCK,
  TV_OBJ_RLOCK,
  TV_OBJ_SEMAPHORE,
  TV_OBJ_EVENT,
  TV_OBJ_CONDITION,
  TV_OBJ_BARRIER,
  TV_OBJ_QUEUE,
  TV_OBJ_GIL,
  TV_OBJ_VAR,        /* a `var`: one copy per process */
  TV_OBJ_SHARED,     /* a `shared` variable: one value for all processes */
  TV_OBJ_PROCESS,    /* a process (its object id groups its threads) */
  TV_N_OBJ_KINDS
} TvObjectKind;

/* A thread's state: each is drawn with its own fill and second cue. */
typedef enum
{
  TV_STATE_NEW = 0,        /* declared, not started */
  TV_STATE_RUNNING,
  TV_STATE_GIL_WAIT,       /* ready, waiting for the GIL */
  TV_STATE_SLEEPING,
  TV_STATE_IO,             /* blocked on I/O */
  TV_STATE_LOCK,           /* blocked on a lock, rlock or a condition's lock */
  TV_STATE_QUEUE_EMPTY,    /* blocked in get on an empty queue */
  TV_STATE_QUEUE_FULL,     /* blocked in put on a full queue */
  TV_STATE_JOIN,           /* waiting for a thread to end */
  TV_STATE_EVENT,          /* waiting for an event to be set */
  TV_STATE_CONDITION,      /* waiting on a condition */
  TV_STATE_BARRIER,        /* waiting at a barrier */
  TV_STATE_SEMAPHORE,      /* blocked on a semaphore */
  TV_STATE_QUEUE_JOIN,     /* waiting in Queue.join() */
  TV_STATE_TERMINATED,
  TV_N_STATES
} TvThreadState;

/*
 * Event kinds.  The comment of each says how the generic fields are used;
 * `thread` is always the thread the event happened on and `time` the
 * scenario time in nanoseconds since the run began.
 */
typedef enum
{
  TV_EV_NONE = 0,
  /* A thread exists (state new).  arg = string id of its name,
   * object = its process's object id, aux = the thread that declared it
   * (TV_NO_THREAD for threads declared by the scenario). */
  TV_EV_THREAD_NEW,
  /* The thread begins to run.  aux = the thread that started it (or
   * TV_NO_THREAD), arg = the time the starter called start (start link). */
  TV_EV_THREAD_START,
  /* The thread ended (state terminated). */
  TV_EV_THREAD_EXIT,
  /* The thread was renamed.  arg = string id of the new name. */
  TV_EV_THREAD_NAME,
  /* The thread's OS identity.  arg = tid, aux = pid. */
  TV_EV_THREAD_OS,
  /* The thread's state changed.  arg = TvThreadState, object = the object
   * waited on (or 0), aux = detail (the joined thread for TV_STATE_JOIN). */
  TV_EV_STATE,
  /* An object exists.  object = its id, aux = TvObjectKind, arg = string id
   * of its name.  For a process object, `thread` is its main thread. */
  TV_EV_OBJECT_NEW,
  /* The thread holds `object` (lock, rlock, semaphore, condition, GIL) and
   * runs.  aux = the thread whose release let it in (TV_NO_THREAD when it
   * did not wait), arg = the time of that release (release→acquire link). */
  TV_EV_ACQUIRE,
  /* The thread gave `object` up.  arg = how many holds it still has (rlock). */
  TV_EV_RELEASE,
  /* An acquire that did not get the object (timeout, try_acquire). */
  TV_EV_ACQUIRE_FAILED,
  /* An item entered queue `object`.  arg = item id, aux = depth after. */
  TV_EV_QUEUE_PUT,
  /* An item left queue `object`.  arg = item id, aux = depth after. */
  TV_EV_QUEUE_GET,
  /* A link drawn as an arrow into this thread at `time`: aux = the thread it
   * comes from, arg = the time it leaves that thread, object = the object it
   * went through.  `line` says which link (TvLinkKind) when `line` is not
   * needed: see TvLinkKind below; the scenario line of the receiving
   * statement is in the TV_EV_STATE / TV_EV_ACQUIRE beside it. */
  TV_EV_LINK,
  /* Variable `object` was read / written; arg = the value. */
  TV_EV_VAR_READ,
  TV_EV_VAR_WRITE,
  /* The thread printed a line.  arg = string id of the text. */
  TV_EV_PRINT,
  /* The run ended with an error on this thread.  arg = string id of the
   * message, aux = TvRunErrorKind (tv-run.h). */
  TV_EV_RUN_ERROR,
  /* One thread of a deadlock cycle: object = the object it waits for,
   * aux = the thread that holds it.  One event per member of the cycle. */
  TV_EV_DEADLOCK,
  /* The run ended.  arg = TvRunStatus (tv-run.h). */
  TV_EV_RUN_END,
  /* Events were dropped on this thread's ring: arg = how many (emitted by
   * the consumer, never on the recording path). */
  TV_EV_DROPPED,
  /* The run was paused (tv_run_pause, or the end of a step): from here to
   * the next TV_EV_RESUME no thread begins a statement and the scenario
   * clock stands still, so that TV_EV_RESUME has the same time unless a
   * step ran in between.  Recorded by the controller on a ring of its own:
   * thread = TV_NO_THREAD; aux = the thread whose step ended, or
   * TV_NO_THREAD for a pause asked by the user. */
  TV_EV_PAUSE,
  /* The run goes on after a TV_EV_PAUSE: thread = TV_NO_THREAD,
   * arg = wall ns it stood paused; aux = TV_NO_THREAD when every thread
   * goes on (tv_run_resume), or the one thread a step lets run (it runs
   * until the next TV_EV_PAUSE, whose aux names it). */
  TV_EV_RESUME,
  TV_N_EVENT_KINDS
} TvEventKind;

/* The kinds of TV_EV_LINK (carried in the event's `line` field). */
typedef enum
{
  TV_LINK_ITEM = 1,     /* put → get of one queue item (object = queue) */
  TV_LINK_JOIN,         /* exit → join (object = 0) */
  TV_LINK_WAKE,         /* set/notify/barrier/semaphore release → waiter */
  /* The two below are never in a TV_EV_LINK: the trace makes them from
   * TV_EV_ACQUIRE and TV_EV_THREAD_START, which carry them. */
  TV_LINK_UNBLOCK,      /* release → acquire ("unblocked by") */
  TV_LINK_START,        /* start/spawn → the new thread's first bar */
  TV_N_LINK_KINDS
} TvLinkKind;

/*
 * 32 bytes, naturally aligned, no padding.  `line` is the 1-based scenario
 * line of the statement (0 when none), which is why scenarios are limited
 * to 65535 lines.
 */
typedef struct
{
  int64_t  time;      /* ns of scenario time since the run began */
  int64_t  arg;       /* kind-specific argument */
  uint32_t thread;    /* run-wide thread index */
  uint32_t object;    /* run-wide object id, 0 when none */
  uint32_t aux;       /* kind-specific second argument */
  uint16_t kind;      /* TvEventKind */
  uint16_t line;      /* scenario line, or TvLinkKind for TV_EV_LINK */
} TvEvent;

_Static_assert (sizeof (TvEvent) == 32, "TvEvent must stay 32 bytes");

const char *tv_thread_state_to_string (TvThreadState state);
const char *tv_object_kind_to_string (TvObjectKind kind);
const char *tv_event_kind_to_string (TvEventKind kind);
