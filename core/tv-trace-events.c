/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-events.c: how each event kind builds the trace model.
 *
 * Events arrive in time order within a drain, but a later drain may still
 * bring events older than some already added (they were published on
 * another ring just after that ring was read).  So every array is kept
 * sorted by inserting from its end, which costs nothing in the usual
 * in-order case, and everything derived from an order (spans merged with
 * their neighbours, waiter counts) is fixed up where an insertion lands.
 */

#define G_LOG_DOMAIN "tv-trace"

#include "config.h"

#include <string.h>

#include "tv-trace-private.h"

/* ---- Sorted insertion ---------------------------------------------------- */

static gint64
time_at (GArray *array,
         guint   index,
         gsize   time_offset)
{
  gint64 time;

  memcpy (&time,
          array->data + (gsize) index * g_array_get_element_size (array) + time_offset,
          sizeof time);
  return time;
}

/* Inserts `element` after every element whose time is <= `time`, so that
 * equal times keep their order of arrival.  Returns its index. */
static guint
sorted_insert (GArray     *array,
               gsize       time_offset,
               gint64      time,
               const void *element)
{
  guint pos = array->len;

  while (pos > 0 && time_at (array, pos - 1, time_offset) > time)
    pos--;
  g_array_insert_vals (array, pos, element, 1);
  return pos;
}

/* ---- Threads and objects ------------------------------------------------- */

void
_tv_trace_thread_free (gpointer data)
{
  TvTraceThread *thread = data;

  if (thread == NULL)
    return;
  for (guint i = 0; i < thread->renames->len; i++)
    g_free (g_array_index (thread->renames, TvRename, i).name);
  g_array_unref (thread->renames);
  g_array_unref (thread->spans);
  g_free (thread->name);
  g_free (thread->initial_name);
  g_free (thread);
}

void
_tv_trace_object_free (gpointer data)
{
  TvTraceObject *object = data;

  if (object == NULL)
    return;
  g_array_unref (object->holds);
  g_array_unref (object->waiters);
  g_array_unref (object->depth);
  g_array_unref (object->accesses);
  g_free (object->name);
  g_free (object);
}

void
_tv_trace_print_clear (gpointer data)
{
  g_free (((TvPrint *) data)->text);
}

void
_tv_trace_problem_clear (gpointer data)
{
  g_free (((TvProblem *) data)->message);
}

/* A thread is made by TV_EV_THREAD_NEW, or by the first event of an index
 * never seen (its TV_EV_THREAD_NEW may come in a later drain, or be lost). */
static TvTraceThread *
ensure_thread (TvTrace *self,
               guint32  index,
               gint64   time)
{
  TvTraceThread *thread;

  if (index >= TV_TRACE_MAX_THREADS)
    return NULL;
  if (index >= self->threads->len)
    g_ptr_array_set_size (self->threads, index + 1);

  thread = g_ptr_array_index (self->threads, index);
  if (thread != NULL)
    return thread;

  thread = g_new0 (TvTraceThread, 1);
  thread->index = index;
  thread->name = g_strdup_printf ("thread %u", index);
  thread->initial_name = g_strdup (thread->name);
  thread->renames = g_array_new (FALSE, FALSE, sizeof (TvRename));
  thread->spans = g_array_new (FALSE, FALSE, sizeof (TvSpan));
  thread->pid = -1;
  thread->tid = -1;
  thread->created = time;
  thread->started = -1;
  thread->ended = -1;
  g_ptr_array_index (self->threads, index) = thread;
  return thread;
}

static TvTraceObject *
ensure_object (TvTrace *self,
               guint32  id)
{
  TvTraceObject *object;

  if (id == TV_NO_OBJECT || id >= TV_TRACE_MAX_OBJECTS)
    return NULL;
  if (id >= self->objects->len)
    g_ptr_array_set_size (self->objects, id + 1);

  object = g_ptr_array_index (self->objects, id);
  if (object != NULL)
    return object;

  object = g_new0 (TvTraceObject, 1);
  object->id = id;
  object->kind = TV_OBJ_NONE;
  object->name = g_strdup_printf ("object %u", id);
  object->holds = g_array_new (FALSE, FALSE, sizeof (TvHold));
  object->waiters = g_array_new (FALSE, FALSE, sizeof (TvCounterPoint));
  object->depth = g_array_new (FALSE, FALSE, sizeof (TvCounterPoint));
  object->accesses = g_array_new (FALSE, FALSE, sizeof (TvAccess));
  g_ptr_array_index (self->objects, id) = object;
  return object;
}

/* ---- Waiter counters ----------------------------------------------------- */

/* Adds `delta` to a counter from `time` on.  A point inserted before later
 * ones shifts them all: they are counts, not samples. */
static void
counter_add (GArray *points,
             gint64  time,
             gint64  delta)
{
  guint pos = points->len;
  gint64 before;

  while (pos > 0 && g_array_index (points, TvCounterPoint, pos - 1).time > time)
    pos--;

  if (pos == 0 || g_array_index (points, TvCounterPoint, pos - 1).time != time)
    {
      TvCounterPoint point = { time, pos > 0 ? g_array_index (points, TvCounterPoint, pos - 1).value : 0 };

      g_array_insert_val (points, pos, point);
    }
  else
    pos--;

  for (guint i = pos; i < points->len; i++)
    g_array_index (points, TvCounterPoint, i).value += delta;

  /* A point that no longer changes the value (a wait that began and ended
   * at the same ns) is noise for the renderer. */
  before = pos > 0 ? g_array_index (points, TvCounterPoint, pos - 1).value : 0;
  if (g_array_index (points, TvCounterPoint, pos).value == before)
    g_array_remove_index (points, pos);
}

static gboolean
state_is_waiting (guint8 state)
{
  return state != TV_STATE_NEW && state != TV_STATE_RUNNING && state != TV_STATE_TERMINATED;
}

static guint32
span_waits_for (const TvSpan *span)
{
  if (span == NULL || span->object == TV_NO_OBJECT || !state_is_waiting (span->state))
    return TV_NO_OBJECT;
  return span->object;
}

/* Counts the thread's move from span `from` to span `to` at `time` in the
 * waiter counters (sign +1), or takes it back (sign -1). */
static void
count_transition (TvTrace      *self,
                  const TvSpan *from,
                  const TvSpan *to,
                  gint64        time,
                  int           sign)
{
  guint32 left = span_waits_for (from);
  guint32 entered = span_waits_for (to);
  TvTraceObject *object;

  if (left == entered)
    return;
  if ((object = ensure_object (self, left)) != NULL)
    counter_add (object->waiters, time, -sign);
  if ((object = ensure_object (self, entered)) != NULL)
    counter_add (object->waiters, time, sign);
}

/* ---- Spans --------------------------------------------------------------- */

/* Two joins in a row wait for different threads even though neither names
 * an object: the joined thread (aux) tells them apart. */
static gboolean
span_same (const TvSpan *a,
           const TvSpan *b)
{
  return a->state == b->state && a->object == b->object &&
         (a->state != TV_STATE_JOIN || a->aux == b->aux);
}

/*
 * Adds a span at its place in time.  Spans never start before the one they
 * follow, consecutive spans never share state and object (the earlier one
 * absorbs the later), and the waiter counters follow every change.
 */
static void
thread_add_span (TvTrace       *self,
                 TvTraceThread *thread,
                 gint64         start,
                 guint8         state,
                 guint32        object,
                 guint32        aux,
                 guint16        line)
{
  GArray *spans = thread->spans;
  TvSpan span = { start, object, aux, line, state, 0 };
  TvSpan prev, next;
  gboolean has_prev, has_next;
  guint pos = spans->len;

  while (pos > 0 && g_array_index (spans, TvSpan, pos - 1).start > start)
    pos--;
  /* "New" comes before anything else the thread did at the same ns, even
   * when it arrives after it. */
  if (state == TV_STATE_NEW)
    while (pos > 0 && g_array_index (spans, TvSpan, pos - 1).start == start)
      pos--;

  /* The span before `pos` ends where the change lands. */
  _tv_trace_summary_invalidate (self, thread->index, pos > 0 ? pos - 1 : 0);

  has_prev = pos > 0;
  has_next = pos < spans->len;
  if (has_prev)
    prev = g_array_index (spans, TvSpan, pos - 1);
  if (has_next)
    next = g_array_index (spans, TvSpan, pos);

  if (has_prev && span_same (&prev, &span))
    return;

  if (has_next && span_same (&next, &span))
    {
      /* The next span merely starts earlier. */
      count_transition (self, has_prev ? &prev : NULL, &next, next.start, -1);
      g_array_index (spans, TvSpan, pos).start = start;
      count_transition (self, has_prev ? &prev : NULL, &next, start, 1);
      return;
    }

  if (has_next)
    count_transition (self, has_prev ? &prev : NULL, &next, next.start, -1);
  g_array_insert_val (spans, pos, span);
  count_transition (self, has_prev ? &prev : NULL, &span, start, 1);
  if (has_next)
    count_transition (self, &span, &next, next.start, 1);
}

/* ---- Holds --------------------------------------------------------------- */

static gint
find_open_hold (TvTraceObject *object,
                guint32        thread)
{
  for (guint i = object->holds->len; i > 0; i--)
    {
      const TvHold *hold = &g_array_index (object->holds, TvHold, i - 1);

      if (hold->end < 0 && hold->thread == thread)
        return (gint) i - 1;
    }
  return -1;
}

static void
object_acquire (TvTraceObject *object,
                guint32        thread,
                gint64         time,
                guint16        line)
{
  TvHold hold = { time, -1, thread, line };

  /* Re-entering an rlock is one hold, from the first acquire to the last
   * release. */
  if (object->kind == TV_OBJ_RLOCK && find_open_hold (object, thread) >= 0)
    return;
  sorted_insert (object->holds, G_STRUCT_OFFSET (TvHold, start), time, &hold);
}

static void
object_release (TvTraceObject *object,
                guint32        thread,
                gint64         time,
                gint64         remaining)
{
  gint index;
  TvHold *hold;

  if (object->kind == TV_OBJ_RLOCK && remaining > 0)
    return;

  index = find_open_hold (object, thread);

  /* A semaphore may be released by a thread that never acquired it: that
   * ends the oldest hold. */
  if (index < 0 && object->kind == TV_OBJ_SEMAPHORE)
    {
      for (guint i = 0; i < object->holds->len && index < 0; i++)
        if (g_array_index (object->holds, TvHold, i).end < 0)
          index = (gint) i;
    }
  if (index < 0)
    return;

  hold = &g_array_index (object->holds, TvHold, index);
  hold->end = MAX (time, hold->start);
}

/* ---- Links, prints, problems --------------------------------------------- */

static void
add_link (TvTrace    *self,
          TvLinkKind  kind,
          guint32     from_thread,
          gint64      from_time,
          guint32     to_thread,
          gint64      to_time,
          guint32     object)
{
  TvLink link = { kind, from_thread, to_thread, from_time, to_time, object };

  sorted_insert (self->links, G_STRUCT_OFFSET (TvLink, to_time), to_time, &link);
}

static void
thread_rename (TvTraceThread *thread,
               gint64         time,
               const char    *name)
{
  TvRename rename = { time, g_strdup (name) };
  GArray *renames = thread->renames;

  sorted_insert (renames, G_STRUCT_OFFSET (TvRename, time), time, &rename);
  g_free (thread->name);
  thread->name = g_strdup (g_array_index (renames, TvRename, renames->len - 1).name);
}

/* ---- Events -------------------------------------------------------------- */

void
tv_trace_add_event (TvTrace       *self,
                    const TvEvent *event,
                    const char    *text)
{
  TvTraceThread *thread = NULL;
  TvTraceObject *object;

  g_return_if_fail (TV_IS_TRACE (self));
  g_return_if_fail (event != NULL);

  self->n_events++;
  if (event->time > self->end_time)
    self->end_time = event->time;

  if (event->thread != TV_NO_THREAD)
    thread = ensure_thread (self, event->thread, event->time);

  switch ((TvEventKind) event->kind)
    {
    case TV_EV_THREAD_NEW:
      if (thread == NULL)
        break;
      if (text != NULL)
        {
          g_free (thread->initial_name);
          thread->initial_name = g_strdup (text);
          if (thread->renames->len == 0)
            {
              g_free (thread->name);
              thread->name = g_strdup (text);
            }
        }
      thread->process = event->object;
      thread->created = event->time;
      thread_add_span (self, thread, event->time, TV_STATE_NEW, 0, 0, event->line);
      break;

    case TV_EV_THREAD_START:
      if (thread == NULL)
        break;
      if (thread->started < 0 || event->time < thread->started)
        thread->started = event->time;
      thread_add_span (self, thread, event->time, TV_STATE_RUNNING, 0, 0, event->line);
      if (event->aux != TV_NO_THREAD)
        add_link (self, TV_LINK_START, event->aux, event->arg,
                  event->thread, event->time, TV_NO_OBJECT);
      break;

    case TV_EV_THREAD_EXIT:
      if (thread == NULL)
        break;
      thread_add_span (self, thread, event->time, TV_STATE_TERMINATED, 0, 0, event->line);
      thread->ended = event->time;
      break;

    case TV_EV_THREAD_NAME:
      if (thread != NULL && text != NULL)
        thread_rename (thread, event->time, text);
      break;

    case TV_EV_THREAD_OS:
      if (thread == NULL)
        break;
      thread->tid = event->arg;
      thread->pid = event->aux;
      break;

    case TV_EV_STATE:
      if (thread == NULL || event->arg < 0 || event->arg >= TV_N_STATES)
        break;
      thread_add_span (self, thread, event->time, (guint8) event->arg,
                       event->object, event->aux, event->line);
      if (event->arg == TV_STATE_TERMINATED)
        thread->ended = event->time;
      break;

    case TV_EV_OBJECT_NEW:
      if ((object = ensure_object (self, event->object)) == NULL)
        break;
      object->kind = event->aux < TV_N_OBJ_KINDS ? (TvObjectKind) event->aux : TV_OBJ_NONE;
      if (text != NULL)
        {
          g_free (object->name);
          object->name = g_strdup (text);
        }
      break;

    case TV_EV_ACQUIRE:
      if (thread == NULL)
        break;
      thread_add_span (self, thread, event->time, TV_STATE_RUNNING, 0, 0, event->line);
      if ((object = ensure_object (self, event->object)) != NULL)
        object_acquire (object, event->thread, event->time, event->line);
      if (event->aux != TV_NO_THREAD)
        add_link (self, TV_LINK_UNBLOCK, event->aux, event->arg,
                  event->thread, event->time, event->object);
      break;

    case TV_EV_RELEASE:
      if (thread != NULL && (object = ensure_object (self, event->object)) != NULL)
        object_release (object, event->thread, event->time, event->arg);
      break;

    case TV_EV_QUEUE_PUT:
    case TV_EV_QUEUE_GET:
      if ((object = ensure_object (self, event->object)) != NULL)
        {
          TvCounterPoint point = { event->time, event->aux };

          sorted_insert (object->depth, G_STRUCT_OFFSET (TvCounterPoint, time),
                         event->time, &point);
        }
      break;

    case TV_EV_LINK:
      if (event->line == 0 || event->line >= TV_N_LINK_KINDS || thread == NULL)
        break;
      add_link (self, (TvLinkKind) event->line, event->aux, event->arg,
                event->thread, event->time, event->object);
      break;

    case TV_EV_VAR_READ:
    case TV_EV_VAR_WRITE:
      if ((object = ensure_object (self, event->object)) != NULL)
        {
          TvAccess access = {
            event->time, event->arg, event->thread, event->line,
            event->kind == TV_EV_VAR_WRITE,
          };

          sorted_insert (object->accesses, G_STRUCT_OFFSET (TvAccess, time),
                         event->time, &access);
        }
      break;

    case TV_EV_PRINT:
      {
        TvPrint print = { event->time, event->thread, event->line, g_strdup (text ? text : "") };

        sorted_insert (self->prints, G_STRUCT_OFFSET (TvPrint, time), event->time, &print);
      }
      break;

    case TV_EV_RUN_ERROR:
    case TV_EV_DEADLOCK:
      {
        gboolean deadlock = event->kind == TV_EV_DEADLOCK;
        TvProblem problem = {
          .time = event->time,
          .thread = event->thread,
          .object = event->object,
          .holder = deadlock ? event->aux : TV_NO_THREAD,
          .line = event->line,
          .deadlock = deadlock,
          .error_kind = deadlock ? 0 : event->aux,
          .message = deadlock ? NULL : g_strdup (text),
        };

        sorted_insert (self->problems, G_STRUCT_OFFSET (TvProblem, time), event->time, &problem);
      }
      break;

    case TV_EV_PAUSE:
    case TV_EV_RESUME:
      {
        gboolean resume = event->kind == TV_EV_RESUME;
        TvPauseMark mark = {
          .time = event->time,
          .wall_ns = resume && event->arg > 0 ? event->arg : 0,
          /* A damaged file's thread is none rather than an index that
           * a reader would trust. */
          .aux = event->aux < TV_TRACE_MAX_THREADS ? event->aux : TV_NO_THREAD,
          .kind = resume ? TV_PAUSE_MARK_RESUME : TV_PAUSE_MARK_PAUSE,
        };

        sorted_insert (self->pauses, G_STRUCT_OFFSET (TvPauseMark, time), event->time, &mark);
      }
      break;

    case TV_EV_RUN_END:
      self->finished = TRUE;
      self->run_status = (guint) event->arg;
      break;

    case TV_EV_DROPPED:
      if (event->arg <= 0)
        break;
      if (thread != NULL)
        thread->dropped += (guint64) event->arg;
      self->dropped += (guint64) event->arg;
      break;

    case TV_EV_ACQUIRE_FAILED:
    case TV_EV_NONE:
    case TV_N_EVENT_KINDS:
    default:
      break;
    }
}
