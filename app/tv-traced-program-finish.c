/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-finish.c: what `threadviz trace` adds to a traced program's
 * trace once the program has ended (or been stopped).
 *
 * A process's exit ends all its threads at once, but only the thread that
 * called exit() could say so (the others were killed mid-flight): their
 * end is the exit of their process's main thread, else the trace's end.
 * A program stopped while its threads wait for each other's locks (a
 * deadlock) is reported as the engine reports one: a TV_EV_DEADLOCK per
 * member of the cycle, each naming the lock it waits for and its holder.
 */
#define G_LOG_DOMAIN "threadviz-trace"

#include "config.h"

#include "tv-run.h"
#include "tv-traced-program.h"

static void
add_event (TvTrace        *trace,
           const TvEvent  *event,
           TvTraceAddFunc  add,
           gpointer        user_data)
{
  tv_trace_add_event (trace, event, NULL);
  if (add != NULL)
    add (event, NULL, user_data);
}

static const TvSpan *
last_span (const TvTraceThread *thread)
{
  if (thread->spans->len == 0)
    return NULL;
  return &g_array_index (thread->spans, TvSpan, thread->spans->len - 1);
}

/* The thread that holds `object` now, or TV_NO_THREAD. */
static guint32
holder_of (TvTrace *trace,
           guint32  object_id)
{
  const TvTraceObject *object = tv_trace_get_object (trace, object_id);

  if (object == NULL || object->holds == NULL)
    return TV_NO_THREAD;
  for (guint i = object->holds->len; i > 0; i--)
    {
      const TvHold *hold = &g_array_index (object->holds, TvHold, i - 1);

      if (hold->end < 0)
        return hold->thread;
    }
  return TV_NO_THREAD;
}

/* What a live thread blocks on now: a lock (or rwlock, semaphore) whose
 * holder is known, else 0. */
static guint32
blocked_on (TvTrace *trace,
            guint    index)
{
  const TvTraceThread *thread = tv_trace_get_thread (trace, index);
  const TvSpan *span;

  if (thread == NULL || thread->ended >= 0 || (span = last_span (thread)) == NULL)
    return 0;
  if (span->state != TV_STATE_LOCK && span->state != TV_STATE_SEMAPHORE)
    return 0;
  return span->object;
}

guint
tv_traced_program_find_deadlocks (TvTrace        *trace,
                                  gboolean        report,
                                  TvTraceAddFunc  add,
                                  gpointer        user_data)
{
  gint64 time = tv_trace_get_end_time (trace);
  guint n_threads = tv_trace_get_n_threads (trace);
  g_autofree guint8 *reported = g_new0 (guint8, n_threads + 1);
  guint found = 0;

  for (guint start = 0; start < n_threads; start++)
    {
      guint current = start;

      if (reported[start])
        continue;
      /* Follow "waits for a lock held by" at most n_threads steps; coming
       * back to `start` is a cycle. */
      for (guint step = 0; step <= n_threads; step++)
        {
          guint32 object = blocked_on (trace, current);
          guint32 holder = object != 0 ? holder_of (trace, object) : TV_NO_THREAD;

          if (holder == TV_NO_THREAD || holder >= n_threads || holder == current)
            break;
          current = holder;
          if (current == start)
            {
              guint member = start;

              do
                {
                  guint32 waits = blocked_on (trace, member);
                  guint32 held_by = holder_of (trace, waits);
                  TvEvent event = {
                    .time = time, .thread = member, .object = waits,
                    .aux = held_by, .kind = TV_EV_DEADLOCK,
                  };

                  if (report)
                    add_event (trace, &event, add, user_data);
                  reported[member] = 1;
                  found++;
                  member = held_by;
                }
              while (member != start);
              break;
            }
        }
    }
  return found;
}

guint
tv_traced_program_finish (TvTrace        *trace,
                          guint           status,
                          TvTraceAddFunc  add,
                          gpointer        user_data)
{
  return tv_traced_program_finish_at (trace, status, -1, add, user_data);
}

guint
tv_traced_program_finish_at (TvTrace        *trace,
                             guint           status,
                             gint64          end_time,
                             TvTraceAddFunc  add,
                             gpointer        user_data)
{
  gint64 end = MAX (tv_trace_get_end_time (trace), end_time);
  guint n_threads = tv_trace_get_n_threads (trace);
  g_autoptr(GHashTable) process_end = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree gint64 *pids = g_new0 (gint64, n_threads + 1);
  g_autofree gint64 *ends = g_new0 (gint64, n_threads + 1);
  guint deadlocked;
  TvEvent run_end = { .time = end, .thread = TV_NO_THREAD, .kind = TV_EV_RUN_END };

  g_return_val_if_fail (TV_IS_TRACE (trace), 0);

  /* Deadlocks first: ending the threads would end their waits.  Once
   * only: --stop-on-deadlock may have reported them already. */
  deadlocked = 0;
  for (guint i = 0; i < tv_trace_get_problems (trace)->len; i++)
    deadlocked += g_array_index (tv_trace_get_problems (trace), TvProblem, i).deadlock;
  if (deadlocked == 0)
    deadlocked = tv_traced_program_find_deadlocks (trace, TRUE, add, user_data);

  /* A process ended when its main thread (tid == pid) did. */
  for (guint i = 0; i < n_threads; i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);

      if (thread != NULL && thread->pid > 0 && thread->tid == thread->pid && thread->ended >= 0)
        {
          pids[i] = thread->pid;
          ends[i] = thread->ended;
          g_hash_table_insert (process_end, &pids[i], &ends[i]);
        }
    }

  for (guint i = 0; i < n_threads; i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);
      const TvSpan *span;
      gint64 *process_ended, time = end;
      TvEvent exit_event = { .thread = i, .kind = TV_EV_THREAD_EXIT };

      if (thread == NULL || thread->ended >= 0 || (deadlocked > 0 && blocked_on (trace, i) != 0))
        continue;
      process_ended = g_hash_table_lookup (process_end, &thread->pid);
      if (process_ended != NULL)
        time = *process_ended;
      if ((span = last_span (thread)) != NULL && span->start > time)
        time = span->start;
      exit_event.time = time;
      add_event (trace, &exit_event, add, user_data);
    }

  run_end.arg = deadlocked > 0 ? TV_RUN_FAILED : status;
  add_event (trace, &run_end, add, user_data);
  tv_trace_changed (trace);
  return deadlocked;
}
