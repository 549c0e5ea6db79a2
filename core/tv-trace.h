/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace.h: the append-only model of a run, the pivot of ThreadViz.
 *
 * A run feeds it live (tv_trace_drain() from the UI's frame tick or the
 * CLI's loop); a trace file feeds it at once.  The renderer, the exporter and
 * the tests read it.  It owns copies of every string, so it outlives the
 * recorder it was fed from.
 *
 * The structures below are read-only for everyone but tv-trace.c; their
 * arrays only grow, and an element, once added, changes at most its `end`.
 * All access happens on one thread (the one that feeds it).
 */
#pragma once

#include <glib-object.h>

#include "tv-event.h"
#include "tv-recorder.h"

G_BEGIN_DECLS

#define TV_TYPE_TRACE (tv_trace_get_type ())
G_DECLARE_FINAL_TYPE (TvTrace, tv_trace, TV, TRACE, GObject)

/* One state of one thread, from `start` to the next span's start (or to the
 * thread's end / the trace's end for the last one). */
typedef struct
{
  gint64        start;
  guint32       object;     /* what it waits for, or 0 */
  guint32       aux;        /* TV_STATE_JOIN: the joined thread */
  guint16       line;       /* scenario line of the statement, or 0 */
  guint8        state;      /* TvThreadState */
  guint8        reserved;
} TvSpan;

typedef struct
{
  gint64        time;
  char         *name;
} TvRename;

typedef struct
{
  guint         index;      /* the run-wide thread index */
  char         *name;       /* current name (after renames) */
  char         *initial_name;
  GArray       *renames;    /* TvRename, in time order */
  guint32       process;    /* object id of its process, or 0 */
  gint64        pid;        /* -1 until known */
  gint64        tid;        /* -1 until known */
  gint64        created;    /* time of TV_EV_THREAD_NEW */
  gint64        started;    /* -1 until started */
  gint64        ended;      /* -1 while alive */
  GArray       *spans;      /* TvSpan, in time order */
  guint64       dropped;    /* events lost on its ring */
} TvTraceThread;

/* A lock (etc.) held by `thread` from `start` to `end` (-1 while held). */
typedef struct
{
  gint64        start;
  gint64        end;
  guint32       thread;
  guint16       line;
} TvHold;

/* A step of a counter: from `time` on the value is `value`. */
typedef struct
{
  gint64        time;
  gint64        value;
} TvCounterPoint;

/* One read or write of a variable. */
typedef struct
{
  gint64        time;
  gint64        value;
  guint32       thread;
  guint16       line;
  gboolean      write;
} TvAccess;

typedef struct
{
  guint32       id;
  TvObjectKind  kind;
  char         *name;
  GArray       *holds;      /* TvHold, sorted by start (locks, semaphores, conditions, GIL) */
  GArray       *waiters;    /* TvCounterPoint: how many threads wait for it, sorted by time */
  GArray       *depth;      /* TvCounterPoint: queue depth, sorted by time */
  GArray       *accesses;   /* TvAccess: variable reads and writes, sorted by time */
} TvTraceObject;

typedef struct
{
  TvLinkKind    kind;
  guint32       from_thread;
  guint32       to_thread;
  gint64        from_time;
  gint64        to_time;
  guint32       object;
} TvLink;

typedef struct
{
  gint64        time;
  guint32       thread;
  guint16       line;
  char         *text;
} TvPrint;

/* A run-time error or one member of a deadlock cycle. */
typedef struct
{
  gint64        time;
  guint32       thread;
  guint32       object;     /* the object involved, or 0 */
  guint32       holder;     /* TV_EV_DEADLOCK: the thread holding `object` */
  guint16       line;
  gboolean      deadlock;   /* TRUE for TV_EV_DEADLOCK, FALSE for TV_EV_RUN_ERROR */
  guint         error_kind; /* TV_EV_RUN_ERROR's aux */
  char         *message;    /* TV_EV_RUN_ERROR's text, NULL for deadlock members */
} TvProblem;

/* A TV_EV_PAUSE or TV_EV_RESUME of the run's controller. */
typedef enum
{
  TV_PAUSE_MARK_PAUSE = 0,
  TV_PAUSE_MARK_RESUME,
} TvPauseMarkKind;

/* A pause, a resume, or one end of a step.  A user pause and its resume
 * have aux = TV_NO_THREAD and, as the scenario clock stands still, the same
 * time; a step is a resume then a pause whose aux is the stepped thread. */
typedef struct
{
  gint64          time;
  gint64          wall_ns;  /* TV_PAUSE_MARK_RESUME: wall ns it stood paused, else 0 */
  guint32         aux;      /* the stepped thread, or TV_NO_THREAD */
  TvPauseMarkKind kind;
} TvPauseMark;

TvTrace             *tv_trace_new (void);

/*
 * Adds one event.  `text` is the string the event's string id names (for
 * THREAD_NEW, THREAD_NAME, OBJECT_NEW, PRINT, RUN_ERROR), already resolved
 * by the caller; NULL for other kinds.  Does not emit ::changed.
 */
void                 tv_trace_add_event (TvTrace       *self,
                                         const TvEvent *event,
                                         const char    *text);

/*
 * Drains `recorder` into the trace: takes every published event of every
 * ring, sorts the batch by time (events of one ring keep their order),
 * resolves string ids against the recorder's arena and adds them.  Emits
 * ::changed once if anything was added.  Returns the number of events added.
 */
gsize                tv_trace_drain (TvTrace *self, TvRecorder *recorder);

/* Emits ::changed (for producers that add events one by one). */
void                 tv_trace_changed (TvTrace *self);

/* One more than the highest thread index seen (indexes run from 0). */
guint                tv_trace_get_n_threads (TvTrace *self);
/* Threads in index order; NULL for an index never seen. */
const TvTraceThread *tv_trace_get_thread (TvTrace *self, guint index);
/* The first thread whose current or initial name is `name`, or NULL. */
const TvTraceThread *tv_trace_find_thread (TvTrace *self, const char *name);

/* The highest object id seen: ids run from 1 to this, inclusive. */
guint                tv_trace_get_n_objects (TvTrace *self);
/* Objects by id (ids start at 1); NULL for an id never seen. */
const TvTraceObject *tv_trace_get_object (TvTrace *self, guint32 id);
const TvTraceObject *tv_trace_find_object (TvTrace *self, const char *name);

/* Arrays of TvLink, TvPrint (time order) and TvProblem. */
GArray              *tv_trace_get_links (TvTrace *self);
GArray              *tv_trace_get_prints (TvTrace *self);
GArray              *tv_trace_get_problems (TvTrace *self);
/* Array of TvPauseMark, in time order (equal times in order of arrival). */
GArray              *tv_trace_get_pauses (TvTrace *self);

/* The latest time any event carried (0 for an empty trace). */
gint64               tv_trace_get_end_time (TvTrace *self);
/* Whether TV_EV_RUN_END was seen, and its TvRunStatus. */
gboolean             tv_trace_is_finished (TvTrace *self);
guint                tv_trace_get_run_status (TvTrace *self);
guint64              tv_trace_get_n_events (TvTrace *self);
guint64              tv_trace_get_dropped (TvTrace *self);

/* The state of `thread` at `time` (TV_STATE_NEW before its creation). */
TvThreadState        tv_trace_thread_state_at (const TvTraceThread *thread, gint64 time);

/* Optional metadata for titles and file formats. */
void                 tv_trace_set_title (TvTrace *self, const char *title);
const char          *tv_trace_get_title (TvTrace *self);

G_END_DECLS
