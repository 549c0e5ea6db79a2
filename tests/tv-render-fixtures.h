/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-render-fixtures.h: hand-made traces for the renderer and exporter
 * tests (and the reference pictures of docs/timeline.md).  Times are µs.
 */
#pragma once

#include <pango/pangocairo.h>

#include "tv-trace.h"

#define US(t) ((gint64) (t) * 1000)

/*
 * Drops pango's font map at the end of a test program.  Fontconfig's own
 * caches live for the whole process by design (and FcFini() may race with
 * pango's font loading thread), so LeakSanitizer is told to ignore them.
 */
static inline void
fx_release_fonts (void)
{
  pango_cairo_font_map_set_default (NULL);
}

const char *__lsan_default_suppressions (void);

G_GNUC_UNUSED const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}

static inline void
fx_event (TvTrace    *trace,
          gint64      time_us,
          TvEventKind kind,
          guint32     thread,
          guint32     object,
          guint32     aux,
          gint64      arg,
          guint16     line,
          const char *text)
{
  TvEvent event = { US (time_us), arg, thread, object, aux, (guint16) kind, line };

  tv_trace_add_event (trace, &event, text);
}

static inline void
fx_thread (TvTrace *trace, gint64 t, guint32 index, guint32 process,
           const char *name, guint32 declared_by)
{
  fx_event (trace, t, TV_EV_THREAD_NEW, index, process, declared_by, 0, 0, name);
}

static inline void
fx_start (TvTrace *trace, gint64 t, guint32 index, guint32 starter, gint64 called)
{
  fx_event (trace, t, TV_EV_THREAD_START, index, 0, starter, US (called), 0, NULL);
}

static inline void
fx_state (TvTrace *trace, gint64 t, guint32 index, TvThreadState state,
          guint32 object, guint32 aux)
{
  fx_event (trace, t, TV_EV_STATE, index, object, aux, state, 0, NULL);
}

static inline void
fx_object (TvTrace *trace, guint32 id, TvObjectKind kind, const char *name,
           guint32 thread)
{
  fx_event (trace, 0, TV_EV_OBJECT_NEW, thread, id, kind, 0, 0, name);
}

static inline void
fx_acquire (TvTrace *trace, gint64 t, guint32 thread, guint32 object,
            guint32 released_by, gint64 released_at)
{
  fx_event (trace, t, TV_EV_ACQUIRE, thread, object, released_by,
            released_by == TV_NO_THREAD ? 0 : US (released_at), 0, NULL);
}

static inline void
fx_release (TvTrace *trace, gint64 t, guint32 thread, guint32 object)
{
  fx_event (trace, t, TV_EV_RELEASE, thread, object, 0, 0, 0, NULL);
}

static inline void
fx_exit (TvTrace *trace, gint64 t, guint32 thread)
{
  fx_event (trace, t, TV_EV_THREAD_EXIT, thread, 0, 0, 0, 0, NULL);
}

static inline void
fx_link (TvTrace *trace, TvLinkKind kind, gint64 from_t, guint32 from,
         gint64 to_t, guint32 to, guint32 object)
{
  fx_event (trace, to_t, TV_EV_LINK, to, object, from, US (from_t), kind, NULL);
}

/* Object ids of the demo trace. */
enum { FX_PROC = 1, FX_LOCK, FX_QUEUE, FX_COUNTER, FX_SLOTS, FX_FORK_A, FX_FORK_B, FX_GO };
/* Thread indexes of the demo trace. */
enum { FX_MAIN, FX_PRODUCER, FX_CONSUMER, FX_W1, FX_W2, FX_ALICE, FX_BOB };

/*
 * A small run that shows every row kind and every link: a producer and a
 * consumer around a queue, two workers racing on a counter under a lock,
 * a semaphore, joins, an event, prints, and two philosophers that end in a
 * deadlock.  It lasts 200 µs.
 */
static inline TvTrace *
fx_demo_trace (void)
{
  TvTrace *trace = tv_trace_new ();
  int i;

  tv_trace_set_title (trace, "Producer, consumer, a race and a deadlock");

  fx_thread (trace, 0, FX_MAIN, FX_PROC, "main", TV_NO_THREAD);
  fx_event (trace, 0, TV_EV_THREAD_OS, FX_MAIN, 0, 4242, 4242, 0, NULL);
  fx_object (trace, FX_PROC, TV_OBJ_PROCESS, "demo", FX_MAIN);
  fx_object (trace, FX_LOCK, TV_OBJ_LOCK, "counter_lock", FX_MAIN);
  fx_object (trace, FX_QUEUE, TV_OBJ_QUEUE, "jobs", FX_MAIN);
  fx_object (trace, FX_COUNTER, TV_OBJ_VAR, "counter", FX_MAIN);
  fx_object (trace, FX_SLOTS, TV_OBJ_SEMAPHORE, "slots", FX_MAIN);
  fx_object (trace, FX_FORK_A, TV_OBJ_LOCK, "fork_a", FX_MAIN);
  fx_object (trace, FX_FORK_B, TV_OBJ_LOCK, "fork_b", FX_MAIN);
  fx_object (trace, FX_GO, TV_OBJ_EVENT, "go", FX_MAIN);
  fx_start (trace, 0, FX_MAIN, TV_NO_THREAD, 0);

  fx_thread (trace, 2, FX_PRODUCER, FX_PROC, "producer", FX_MAIN);
  fx_thread (trace, 2, FX_CONSUMER, FX_PROC, "consumer", FX_MAIN);
  fx_thread (trace, 3, FX_W1, FX_PROC, "worker-1", FX_MAIN);
  fx_thread (trace, 3, FX_W2, FX_PROC, "worker-2", FX_MAIN);
  fx_thread (trace, 4, FX_ALICE, FX_PROC, "alice", FX_MAIN);
  fx_thread (trace, 4, FX_BOB, FX_PROC, "bob", FX_MAIN);
  fx_start (trace, 8, FX_PRODUCER, FX_MAIN, 7);
  fx_start (trace, 10, FX_CONSUMER, FX_MAIN, 9);
  fx_start (trace, 14, FX_W1, FX_MAIN, 13);
  fx_start (trace, 16, FX_W2, FX_MAIN, 15);
  fx_start (trace, 110, FX_ALICE, FX_MAIN, 109);
  fx_start (trace, 112, FX_BOB, FX_MAIN, 111);

  /* Producer: three items, a sleep between each. */
  for (i = 0; i < 3; i++)
    {
      gint64 put = 20 + i * 30;

      fx_event (trace, put, TV_EV_QUEUE_PUT, FX_PRODUCER, FX_QUEUE, 1, i, 0, NULL);
      fx_state (trace, put + 2, FX_PRODUCER, TV_STATE_SLEEPING, 0, 0);
      fx_state (trace, put + 26, FX_PRODUCER, TV_STATE_RUNNING, 0, 0);
    }
  fx_event (trace, 90, TV_EV_QUEUE_PUT, FX_PRODUCER, FX_QUEUE, 2, 3, 0, NULL);
  fx_event (trace, 92, TV_EV_QUEUE_PUT, FX_PRODUCER, FX_QUEUE, 3, 4, 0, NULL);
  fx_state (trace, 94, FX_PRODUCER, TV_STATE_QUEUE_FULL, FX_QUEUE, 0);
  fx_state (trace, 104, FX_PRODUCER, TV_STATE_RUNNING, 0, 0);
  fx_event (trace, 104, TV_EV_QUEUE_PUT, FX_PRODUCER, FX_QUEUE, 3, 5, 0, NULL);
  fx_event (trace, 106, TV_EV_PRINT, FX_PRODUCER, 0, 0, 0, 0, "all items sent");
  fx_exit (trace, 108, FX_PRODUCER);

  /* Consumer: waits on the empty queue, gets each item, does I/O. */
  fx_state (trace, 11, FX_CONSUMER, TV_STATE_QUEUE_EMPTY, FX_QUEUE, 0);
  for (i = 0; i < 3; i++)
    {
      gint64 get = 21 + i * 30;

      fx_state (trace, get, FX_CONSUMER, TV_STATE_RUNNING, 0, 0);
      fx_event (trace, get, TV_EV_QUEUE_GET, FX_CONSUMER, FX_QUEUE, 0, i, 0, NULL);  /* depth 0 */
      fx_link (trace, TV_LINK_ITEM, 20 + i * 30, FX_PRODUCER, get, FX_CONSUMER, FX_QUEUE);
      fx_state (trace, get + 3, FX_CONSUMER, TV_STATE_IO, 0, 0);
      fx_state (trace, get + 14, FX_CONSUMER, TV_STATE_RUNNING, 0, 0);
      fx_event (trace, get + 15, TV_EV_PRINT, FX_CONSUMER, 0, 0, 0, 0, "got an item");
      if (i < 2)
        fx_state (trace, get + 17, FX_CONSUMER, TV_STATE_QUEUE_EMPTY, FX_QUEUE, 0);
    }
  fx_state (trace, 100, FX_CONSUMER, TV_STATE_IO, 0, 0);
  fx_event (trace, 103, TV_EV_QUEUE_GET, FX_CONSUMER, FX_QUEUE, 2, 2, 0, NULL);
  fx_link (trace, TV_LINK_ITEM, 90, FX_PRODUCER, 103, FX_CONSUMER, FX_QUEUE);
  fx_state (trace, 103, FX_CONSUMER, TV_STATE_RUNNING, 0, 0);
  fx_event (trace, 120, TV_EV_QUEUE_GET, FX_CONSUMER, FX_QUEUE, 2, 3, 0, NULL);
  fx_event (trace, 130, TV_EV_QUEUE_GET, FX_CONSUMER, FX_QUEUE, 1, 4, 0, NULL);
  fx_event (trace, 136, TV_EV_QUEUE_GET, FX_CONSUMER, FX_QUEUE, 0, 5, 0, NULL);
  fx_exit (trace, 140, FX_CONSUMER);

  /* Two workers: a semaphore slot each, then a read-modify-write of
   * counter under counter_lock; worker-2 waits for the lock. */
  fx_acquire (trace, 15, FX_W1, FX_SLOTS, TV_NO_THREAD, 0);
  fx_acquire (trace, 17, FX_W2, FX_SLOTS, TV_NO_THREAD, 0);
  fx_acquire (trace, 25, FX_W1, FX_LOCK, TV_NO_THREAD, 0);
  fx_event (trace, 28, TV_EV_VAR_READ, FX_W1, FX_COUNTER, 0, 0, 0, NULL);
  fx_state (trace, 30, FX_W2, TV_STATE_LOCK, FX_LOCK, 0);
  fx_event (trace, 45, TV_EV_VAR_WRITE, FX_W1, FX_COUNTER, 0, 1, 0, NULL);
  fx_release (trace, 50, FX_W1, FX_LOCK);
  fx_acquire (trace, 51, FX_W2, FX_LOCK, FX_W1, 50);
  fx_event (trace, 53, TV_EV_VAR_READ, FX_W2, FX_COUNTER, 0, 1, 0, NULL);
  fx_state (trace, 55, FX_W1, TV_STATE_SLEEPING, 0, 0);
  fx_event (trace, 66, TV_EV_VAR_WRITE, FX_W2, FX_COUNTER, 0, 2, 0, NULL);
  fx_release (trace, 70, FX_W2, FX_LOCK);
  fx_state (trace, 72, FX_W1, TV_STATE_RUNNING, 0, 0);
  fx_release (trace, 74, FX_W1, FX_SLOTS);
  fx_release (trace, 76, FX_W2, FX_SLOTS);
  fx_state (trace, 78, FX_W2, TV_STATE_GIL_WAIT, 0, 0);
  fx_state (trace, 84, FX_W2, TV_STATE_RUNNING, 0, 0);
  fx_exit (trace, 80, FX_W1);
  fx_exit (trace, 90, FX_W2);

  /* main joins worker-1, then worker-2. */
  fx_state (trace, 20, FX_MAIN, TV_STATE_JOIN, 0, FX_W1);
  fx_state (trace, 82, FX_MAIN, TV_STATE_RUNNING, 0, 0);
  fx_link (trace, TV_LINK_JOIN, 80, FX_W1, 82, FX_MAIN, 0);
  fx_state (trace, 83, FX_MAIN, TV_STATE_JOIN, 0, FX_W2);
  fx_state (trace, 92, FX_MAIN, TV_STATE_RUNNING, 0, 0);
  fx_link (trace, TV_LINK_JOIN, 90, FX_W2, 92, FX_MAIN, 0);
  fx_event (trace, 95, TV_EV_PRINT, FX_MAIN, 0, 0, 0, 0, "counter = 2");
  fx_state (trace, 114, FX_MAIN, TV_STATE_JOIN, 0, FX_ALICE);

  /* alice waits until main sets the event go. */
  fx_state (trace, 111, FX_ALICE, TV_STATE_EVENT, FX_GO, 0);
  fx_state (trace, 114, FX_ALICE, TV_STATE_RUNNING, 0, 0);
  fx_link (trace, TV_LINK_WAKE, 113, FX_MAIN, 114, FX_ALICE, FX_GO);

  /* alice and bob take the forks in opposite orders. */
  fx_acquire (trace, 115, FX_ALICE, FX_FORK_A, TV_NO_THREAD, 0);
  fx_acquire (trace, 117, FX_BOB, FX_FORK_B, TV_NO_THREAD, 0);
  fx_state (trace, 125, FX_ALICE, TV_STATE_LOCK, FX_FORK_B, 0);
  fx_state (trace, 128, FX_BOB, TV_STATE_LOCK, FX_FORK_A, 0);
  fx_event (trace, 160, TV_EV_DEADLOCK, FX_ALICE, FX_FORK_B, FX_BOB, 0, 0, NULL);
  fx_event (trace, 160, TV_EV_DEADLOCK, FX_BOB, FX_FORK_A, FX_ALICE, 0, 0, NULL);
  fx_event (trace, 200, TV_EV_RUN_END, TV_NO_THREAD, 0, 0, 4 /* TV_RUN_FAILED */, 0, NULL);

  return trace;
}
