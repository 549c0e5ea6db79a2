/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace.c: the trace object, its queries, and draining a recorder into
 * it.  How each event changes the model is in tv-trace-events.c.
 */

#define G_LOG_DOMAIN "tv-trace"

#include "config.h"

#include "tv-trace-private.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

G_DEFINE_FINAL_TYPE (TvTrace, tv_trace, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
collect_cb (uint32_t       ring_index,
            const TvEvent *events,
            size_t         n_events,
            void          *user_data)
{
  TvTrace *self = user_data;

  g_array_append_vals (self->scratch, events, (guint) n_events);
}

static gint
compare_time (gconstpointer a,
              gconstpointer b)
{
  const TvEvent *ea = a;
  const TvEvent *eb = b;

  return (ea->time > eb->time) - (ea->time < eb->time);
}

/* The kinds whose `arg` is a string id of the recorder's arena. */
static gboolean
kind_has_text (guint16 kind)
{
  switch (kind)
    {
    case TV_EV_THREAD_NEW:
    case TV_EV_THREAD_NAME:
    case TV_EV_OBJECT_NEW:
    case TV_EV_PRINT:
    case TV_EV_RUN_ERROR:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
tv_trace_finalize (GObject *object)
{
  TvTrace *self = (TvTrace *) object;

  g_clear_pointer (&self->threads, g_ptr_array_unref);
  g_clear_pointer (&self->objects, g_ptr_array_unref);
  g_clear_pointer (&self->links, g_array_unref);
  g_clear_pointer (&self->prints, g_array_unref);
  g_clear_pointer (&self->problems, g_array_unref);
  g_clear_pointer (&self->pauses, g_array_unref);
  g_clear_pointer (&self->summaries, g_ptr_array_unref);
  g_clear_pointer (&self->scratch, g_array_unref);
  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (tv_trace_parent_class)->finalize (object);
}

static void
tv_trace_class_init (TvTraceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tv_trace_finalize;

#ifdef __GLIBC__
  /*
   * A long run's arrays grow to hundreds of MB by doubling.  With glibc's
   * default, adaptive threshold, each doubling below 32 MB is a copy in
   * the heap that leaves the old block resident; with a fixed 1 MiB
   * threshold every big array is its own mapping, grown by mremap() in
   * place, and the capacity it reserves but never fills is never made
   * resident: about 36 → 30 bytes per event for a 10M-event run
   * (threadviz-bench's bytes_per_event_10m).
   */
  mallopt (M_MMAP_THRESHOLD, 1024 * 1024);
#endif

  /**
   * TvTrace::changed:
   *
   * Emitted after a batch of events was added (once per drain).
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
tv_trace_init (TvTrace *self)
{
  self->threads = g_ptr_array_new_with_free_func (_tv_trace_thread_free);
  self->objects = g_ptr_array_new_with_free_func (_tv_trace_object_free);
  /* Id 0 is "no object". */
  g_ptr_array_add (self->objects, NULL);
  self->links = g_array_new (FALSE, FALSE, sizeof (TvLink));
  self->prints = g_array_new (FALSE, FALSE, sizeof (TvPrint));
  g_array_set_clear_func (self->prints, _tv_trace_print_clear);
  self->problems = g_array_new (FALSE, FALSE, sizeof (TvProblem));
  g_array_set_clear_func (self->problems, _tv_trace_problem_clear);
  self->pauses = g_array_new (FALSE, FALSE, sizeof (TvPauseMark));
  self->scratch = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  self->summaries = g_ptr_array_new_with_free_func (_tv_thread_summary_free);
}

TvTrace *
tv_trace_new (void)
{
  return g_object_new (TV_TYPE_TRACE, NULL);
}

gsize
_tv_trace_add_batch (TvTrace    *self,
                     GArray     *events,
                     TvRecorder *recorder)
{
  gsize n = events->len;

  /* The batch was collected ring by ring, each ring in its own order; a
   * stable sort (g_array_sort() is one) keeps that order among equal
   * times. */
  g_array_sort (events, compare_time);

  for (gsize i = 0; i < n; i++)
    {
      const TvEvent *event = &g_array_index (events, TvEvent, i);
      const char *text = NULL;

      if (kind_has_text (event->kind))
        text = tv_recorder_get_string (recorder, (uint64_t) event->arg);
      tv_trace_add_event (self, event, text);
    }
  return n;
}

gsize
tv_trace_drain (TvTrace    *self,
                TvRecorder *recorder)
{
  gsize n;

  g_return_val_if_fail (TV_IS_TRACE (self), 0);
  g_return_val_if_fail (recorder != NULL, 0);

  g_array_set_size (self->scratch, 0);
  tv_recorder_drain (recorder, collect_cb, self);
  n = self->scratch->len;
  if (n == 0)
    return 0;

  _tv_trace_add_batch (self, self->scratch, recorder);

  /* A burst (a run's first drain) must not keep its memory forever. */
  if (self->scratch->len > 65536)
    {
      g_array_unref (self->scratch);
      self->scratch = g_array_new (FALSE, FALSE, sizeof (TvEvent));
    }
  else
    g_array_set_size (self->scratch, 0);

  g_signal_emit (self, signals[CHANGED], 0);
  return n;
}

void
tv_trace_changed (TvTrace *self)
{
  g_return_if_fail (TV_IS_TRACE (self));

  g_signal_emit (self, signals[CHANGED], 0);
}

guint
tv_trace_get_n_threads (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  return self->threads->len;
}

const TvTraceThread *
tv_trace_get_thread (TvTrace *self,
                     guint    index)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  if (index >= self->threads->len)
    return NULL;
  return g_ptr_array_index (self->threads, index);
}

const TvTraceThread *
tv_trace_find_thread (TvTrace    *self,
                      const char *name)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->threads->len; i++)
    {
      const TvTraceThread *thread = g_ptr_array_index (self->threads, i);

      if (thread != NULL &&
          (g_strcmp0 (thread->name, name) == 0 || g_strcmp0 (thread->initial_name, name) == 0))
        return thread;
    }
  return NULL;
}

guint
tv_trace_get_n_objects (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  /* The highest id seen: ids run from 1 to this. */
  return self->objects->len - 1;
}

const TvTraceObject *
tv_trace_get_object (TvTrace *self,
                     guint32  id)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  if (id >= self->objects->len)
    return NULL;
  return g_ptr_array_index (self->objects, id);
}

const TvTraceObject *
tv_trace_find_object (TvTrace    *self,
                      const char *name)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 1; i < self->objects->len; i++)
    {
      const TvTraceObject *object = g_ptr_array_index (self->objects, i);

      if (object != NULL && g_strcmp0 (object->name, name) == 0)
        return object;
    }
  return NULL;
}

GArray *
tv_trace_get_links (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  return self->links;
}

GArray *
tv_trace_get_prints (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  return self->prints;
}

GArray *
tv_trace_get_problems (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  return self->problems;
}

GArray *
tv_trace_get_pauses (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  return self->pauses;
}

gint64
tv_trace_get_end_time (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  return self->end_time;
}

gboolean
tv_trace_is_finished (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), FALSE);

  return self->finished;
}

guint
tv_trace_get_run_status (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  return self->run_status;
}

guint64
tv_trace_get_n_events (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  return self->n_events;
}

guint64
tv_trace_get_dropped (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), 0);

  return self->dropped;
}

TvThreadState
tv_trace_thread_state_at (const TvTraceThread *thread,
                          gint64               time)
{
  const GArray *spans;
  guint lo = 0, hi;

  g_return_val_if_fail (thread != NULL, TV_STATE_NEW);

  spans = thread->spans;
  hi = spans->len;

  /* The last span that starts at or before `time`. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (spans, TvSpan, mid).start <= time)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return TV_STATE_NEW;
  return (TvThreadState) g_array_index (spans, TvSpan, lo - 1).state;
}

void
tv_trace_set_title (TvTrace    *self,
                    const char *title)
{
  g_return_if_fail (TV_IS_TRACE (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
}

const char *
tv_trace_get_title (TvTrace *self)
{
  g_return_val_if_fail (TV_IS_TRACE (self), NULL);

  return self->title;
}
