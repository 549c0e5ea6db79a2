/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-fixtures.h: the traces the trace-file tests share
 * (tests/test-capture.c, tests/test-chrome.c): events fed by hand to a
 * trace and, when there is one, a `.tvt` writer; a small run that touches
 * every part of the model; a paused and stepped run; a lesson run for real.
 */
#pragma once

#include <glib.h>

#include "tv-capture-writer.h"
#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-trace.h"

#define NT TV_NO_THREAD

/* A print's text with everything a file format must escape or keep. */
#define AWKWARD "got \"1\"\n\tcaf\xc3\xa9 \x01 \\ /"

typedef struct
{
  TvTrace         *trace;
  TvCaptureWriter *writer;   /* or NULL */
} Feed;

/* Feeds one event to the trace and the writer, as the drain path does. */
static inline void
add (Feed       *feed,
     TvEventKind kind,
     gint64      time,
     guint32     thread,
     guint32     object,
     gint64      arg,
     guint32     aux,
     guint16     line,
     const char *text)
{
  TvEvent event = { time, arg, thread, object, aux, kind, line };

  tv_trace_add_event (feed->trace, &event, text);
  if (feed->writer != NULL)
    tv_capture_writer_add (feed->writer, &event, text);
}

/*
 * "Handoff": three threads of one process (pid 1000; the main thread's tid
 * is 4321) touching a lock, a queue and a variable, with a rename, a print
 * with awkward text, a print whose text was lost, links of every kind, an
 * error, a deadlock member, dropped events, a print at 1234.567 µs and the
 * end.  The string ids (1001...) stand for the recorder's: a file remaps
 * them.
 */
static inline void
feed_handoff_run (Feed *feed)
{
  add (feed, TV_EV_OBJECT_NEW,   0, 0, 1, 1001, TV_OBJ_PROCESS, 0, "main");
  add (feed, TV_EV_THREAD_NEW,   0, 0, 1, 1002, NT, 0, "MainThread");
  add (feed, TV_EV_THREAD_START, 0, 0, 0, 0, NT, 0, NULL);
  add (feed, TV_EV_THREAD_OS,    0, 0, 0, 4321, 1000, 0, NULL);
  add (feed, TV_EV_OBJECT_NEW,  10, 0, 2, 1003, TV_OBJ_LOCK, 2, "L");
  add (feed, TV_EV_OBJECT_NEW,  10, 0, 3, 1004, TV_OBJ_QUEUE, 3, "Q");
  add (feed, TV_EV_OBJECT_NEW,  10, 0, 4, 1005, TV_OBJ_VAR, 4, "counter");
  add (feed, TV_EV_THREAD_NEW,  20, 1, 1, 1006, 0, 5, "worker");
  add (feed, TV_EV_THREAD_NEW,  20, 2, 1, 1007, 0, 6, "consumer");
  add (feed, TV_EV_THREAD_START, 30, 1, 0, 25, 0, 5, NULL);
  add (feed, TV_EV_THREAD_START, 31, 2, 0, 26, 0, 6, NULL);
  add (feed, TV_EV_ACQUIRE,     40, 1, 2, 0, NT, 7, NULL);
  add (feed, TV_EV_STATE,       45, 2, 2, TV_STATE_LOCK, 0, 8, NULL);
  add (feed, TV_EV_VAR_READ,    50, 1, 4, 0, 0, 9, NULL);
  add (feed, TV_EV_VAR_WRITE,   51, 1, 4, 1, 0, 9, NULL);
  add (feed, TV_EV_RELEASE,     60, 1, 2, 0, 0, 10, NULL);
  add (feed, TV_EV_ACQUIRE,     61, 2, 2, 60, 1, 8, NULL);
  add (feed, TV_EV_QUEUE_PUT,   70, 1, 3, 1, 1, 11, NULL);
  add (feed, TV_EV_STATE,       75, 1, 0, TV_STATE_SLEEPING, 0, 12, NULL);
  add (feed, TV_EV_QUEUE_GET,   80, 2, 3, 1, 0, 13, NULL);
  add (feed, TV_EV_LINK,        80, 2, 3, 70, 1, TV_LINK_ITEM, NULL);
  add (feed, TV_EV_PRINT,       85, 2, 0, 1008, 0, 14, AWKWARD);
  add (feed, TV_EV_PRINT,       86, 2, 0, 0, 0, 14, NULL);
  add (feed, TV_EV_THREAD_NAME, 90, 1, 0, 1009, 0, 15, "worker-2");
  add (feed, TV_EV_RELEASE,     95, 2, 2, 0, 0, 16, NULL);
  add (feed, TV_EV_THREAD_EXIT, 100, 1, 0, 0, 0, 0, NULL);
  add (feed, TV_EV_THREAD_EXIT, 101, 2, 0, 0, 0, 0, NULL);
  add (feed, TV_EV_STATE,       105, 0, 0, TV_STATE_JOIN, 1, 17, NULL);
  add (feed, TV_EV_LINK,        110, 0, 0, 100, 1, TV_LINK_JOIN, NULL);
  add (feed, TV_EV_RUN_ERROR,   120, 0, 0, 1010, TV_RUN_ERROR_DIVISION, 18, "division by zero");
  add (feed, TV_EV_DEADLOCK,    121, 0, 2, 0, 1, 19, NULL);
  add (feed, TV_EV_DROPPED,     125, 2, 0, 3, 0, 0, NULL);
  add (feed, TV_EV_PRINT,       1234567, 0, 0, 1011, 0, 20, "late");
  add (feed, TV_EV_RUN_END,     1234600, 0, 0, TV_RUN_FAILED, 0, 0, NULL);
}

/*
 * A run that was paused, stepped and resumed: the controller's events are
 * on no thread (a user pause or resume has aux = TV_NO_THREAD, a step names
 * the stepped thread in aux; a resume says how long the run stood paused).
 * 11 events, 4 pause marks.
 */
static inline void
feed_paused_run (Feed *feed)
{
  add (feed, TV_EV_OBJECT_NEW,   0, 0, 1, 1001, TV_OBJ_PROCESS, 0, "main");
  add (feed, TV_EV_THREAD_NEW,   0, 0, 1, 1002, NT, 0, "MainThread");
  add (feed, TV_EV_THREAD_START, 0, 0, 0, 0, NT, 0, NULL);
  add (feed, TV_EV_THREAD_NEW,  10, 1, 1, 1003, 0, 2, "worker");
  add (feed, TV_EV_PAUSE,       20, NT, 0, 0, NT, 0, NULL);
  add (feed, TV_EV_RESUME,      20, NT, 0, 5000000, 1, 0, NULL);
  add (feed, TV_EV_THREAD_START, 25, 1, 0, 10, 0, 2, NULL);
  add (feed, TV_EV_PAUSE,       30, NT, 0, 0, 1, 0, NULL);
  add (feed, TV_EV_RESUME,      30, NT, 0, 7000000, NT, 0, NULL);
  add (feed, TV_EV_THREAD_EXIT, 40, 1, 0, 0, 0, 0, NULL);
  add (feed, TV_EV_RUN_END,     50, 0, 0, TV_RUN_FINISHED, 0, 0, NULL);
}

/* Both traces hold the same pause marks, in the same order. */
static inline void
assert_pauses_equal (TvTrace *a,
                     TvTrace *b)
{
  GArray *la = tv_trace_get_pauses (a);
  GArray *lb = tv_trace_get_pauses (b);

  g_assert_cmpuint (la->len, ==, lb->len);
  for (guint i = 0; i < la->len; i++)
    {
      const TvPauseMark *pa = &g_array_index (la, TvPauseMark, i);
      const TvPauseMark *pb = &g_array_index (lb, TvPauseMark, i);

      g_assert_cmpint (pa->time, ==, pb->time);
      g_assert_cmpint (pa->kind, ==, pb->kind);
      g_assert_cmpuint (pa->aux, ==, pb->aux);
      g_assert_cmpint (pa->wall_ns, ==, pb->wall_ns);
    }
}

/*
 * Runs the lesson `name` of data/scenarios at 10× into the feed (drained
 * through its writer when it has one); a lesson that loops forever is
 * stopped after 1.5 s, since a stopped run is a run too.  Returns the
 * ended run; `text` gets the lesson's text.
 */
static inline TvRun *
run_lesson (const char  *name,
            Feed        *feed,
            char       **text)
{
  g_autofree char *source = g_build_filename (TV_SCENARIO_DIR, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  TvRun *run;
  gint64 begin;

  g_file_get_contents (source, text, NULL, &error);
  g_assert_no_error (error);
  scenario = tv_scenario_parse (name, *text, -1, NULL, &error);
  g_assert_no_error (error);
  options.speed = 10.0;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));

  begin = g_get_monotonic_time ();
  for (gboolean ended = FALSE; !ended;)
    {
      ended = tv_run_wait_timeout (run, 10);
      if (feed->writer != NULL)
        tv_capture_writer_drain (feed->writer, feed->trace, tv_run_get_recorder (run));
      else
        tv_trace_drain (feed->trace, tv_run_get_recorder (run));
      if (!ended && g_get_monotonic_time () - begin > 1500 * G_TIME_SPAN_MILLISECOND)
        tv_run_stop (run);
    }
  return run;
}
