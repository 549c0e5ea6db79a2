/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-event.c: names of the event format's enumerations.
 *
 * libc only, like tv-event.h.  The names are stable: trace files, the
 * inspector and the tests use them, so change them only with the format.
 */

#include "tv-event.h"

#include <stddef.h>

static const char *const state_names[TV_N_STATES] = {
  [TV_STATE_NEW]          = "new",
  [TV_STATE_RUNNING]      = "running",
  [TV_STATE_GIL_WAIT]     = "waiting for GIL",
  [TV_STATE_SLEEPING]     = "sleeping",
  [TV_STATE_IO]           = "blocked on I/O",
  [TV_STATE_LOCK]         = "blocked on lock",
  [TV_STATE_QUEUE_EMPTY]  = "blocked on queue (empty)",
  [TV_STATE_QUEUE_FULL]   = "blocked on queue (full)",
  [TV_STATE_JOIN]         = "waiting (join)",
  [TV_STATE_EVENT]        = "waiting (event)",
  [TV_STATE_CONDITION]    = "waiting (condition)",
  [TV_STATE_BARRIER]      = "waiting (barrier)",
  [TV_STATE_SEMAPHORE]    = "blocked on semaphore",
  [TV_STATE_QUEUE_JOIN]   = "waiting (queue join)",
  [TV_STATE_TERMINATED]   = "terminated",
};

static const char *const object_kind_names[TV_N_OBJ_KINDS] = {
  [TV_OBJ_NONE]      = "none",
  [TV_OBJ_LOCK]      = "lock",
  [TV_OBJ_RLOCK]     = "rlock",
  [TV_OBJ_SEMAPHORE] = "semaphore",
  [TV_OBJ_EVENT]     = "event",
  [TV_OBJ_CONDITION] = "condition",
  [TV_OBJ_BARRIER]   = "barrier",
  [TV_OBJ_QUEUE]     = "queue",
  [TV_OBJ_GIL]       = "gil",
  [TV_OBJ_VAR]       = "var",
  [TV_OBJ_SHARED]    = "shared",
  [TV_OBJ_PROCESS]   = "process",
};

static const char *const event_kind_names[TV_N_EVENT_KINDS] = {
  [TV_EV_NONE]           = "none",
  [TV_EV_THREAD_NEW]     = "thread-new",
  [TV_EV_THREAD_START]   = "thread-start",
  [TV_EV_THREAD_EXIT]    = "thread-exit",
  [TV_EV_THREAD_NAME]    = "thread-name",
  [TV_EV_THREAD_OS]      = "thread-os",
  [TV_EV_STATE]          = "state",
  [TV_EV_OBJECT_NEW]     = "object-new",
  [TV_EV_ACQUIRE]        = "acquire",
  [TV_EV_RELEASE]        = "release",
  [TV_EV_ACQUIRE_FAILED] = "acquire-failed",
  [TV_EV_QUEUE_PUT]      = "queue-put",
  [TV_EV_QUEUE_GET]      = "queue-get",
  [TV_EV_LINK]           = "link",
  [TV_EV_VAR_READ]       = "var-read",
  [TV_EV_VAR_WRITE]      = "var-write",
  [TV_EV_PRINT]          = "print",
  [TV_EV_RUN_ERROR]      = "run-error",
  [TV_EV_DEADLOCK]       = "deadlock",
  [TV_EV_RUN_END]        = "run-end",
  [TV_EV_DROPPED]        = "dropped",
  [TV_EV_PAUSE]          = "pause",
  [TV_EV_RESUME]         = "resume",
};

/* Values outside the enumerations come from damaged trace files: they get a
 * name too, so that callers never print NULL. */
const char *
tv_thread_state_to_string (TvThreadState state)
{
  if ((unsigned) state >= TV_N_STATES)
    return "unknown";
  return state_names[state];
}

const char *
tv_object_kind_to_string (TvObjectKind kind)
{
  if ((unsigned) kind >= TV_N_OBJ_KINDS)
    return "unknown";
  return object_kind_names[kind];
}

const char *
tv_event_kind_to_string (TvEventKind kind)
{
  if ((unsigned) kind >= TV_N_EVENT_KINDS)
    return "unknown";
  return event_kind_names[kind];
}
