/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-layout.c: which rows the timeline has and where they are.
 *
 * Threads come first, grouped under their process (main thread first, then
 * in start order); then the synchronisation objects, the queues and the
 * variables that more than one thread touches.
 */
#include "config.h"

#include <string.h>

#include "tv-renderer-private.h"

typedef struct
{
  guint32 process;
  gint64  first;      /* when its first thread was created */
  GArray *threads;    /* const TvTraceThread * */
} Group;

static gint64
start_key (const TvTraceThread *thread)
{
  return thread->started >= 0 ? thread->started : G_MAXINT64;
}

static int
compare_threads (gconstpointer a,
                 gconstpointer b)
{
  const TvTraceThread *ta = *(const TvTraceThread * const *) a;
  const TvTraceThread *tb = *(const TvTraceThread * const *) b;
  gint64 ka = start_key (ta), kb = start_key (tb);

  if (ka != kb)
    return ka < kb ? -1 : 1;
  if (ta->created != tb->created)
    return ta->created < tb->created ? -1 : 1;
  return ta->index < tb->index ? -1 : ta->index > tb->index;
}

static int
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const Group *ga = a, *gb = b;

  if (ga->first != gb->first)
    return ga->first < gb->first ? -1 : 1;
  return ga->process < gb->process ? -1 : ga->process > gb->process;
}

static gboolean
thread_matches (const TvTraceThread *thread,
                const char          *filter)
{
  g_autofree char *name = NULL;
  g_autofree char *needle = NULL;

  if (filter == NULL || filter[0] == '\0')
    return TRUE;
  name = g_utf8_casefold (thread->name ? thread->name : "", -1);
  needle = g_utf8_casefold (filter, -1);
  return strstr (name, needle) != NULL;
}

/* A variable deserves a row when at least two threads touch it. */
static gboolean
var_is_shared (const TvTraceObject *object)
{
  guint32 first;
  guint i;

  if (object->accesses == NULL || object->accesses->len == 0)
    return FALSE;
  first = g_array_index (object->accesses, TvAccess, 0).thread;
  for (i = 1; i < object->accesses->len; i++)
    if (g_array_index (object->accesses, TvAccess, i).thread != first)
      return TRUE;
  return FALSE;
}

static gboolean
is_sync_kind (TvObjectKind kind)
{
  switch (kind)
    {
    case TV_OBJ_LOCK:
    case TV_OBJ_RLOCK:
    case TV_OBJ_SEMAPHORE:
    case TV_OBJ_EVENT:
    case TV_OBJ_CONDITION:
    case TV_OBJ_BARRIER:
    case TV_OBJ_GIL:
      return TRUE;
    case TV_OBJ_NONE:
    case TV_OBJ_QUEUE:
    case TV_OBJ_VAR:
    case TV_OBJ_SHARED:
    case TV_OBJ_PROCESS:
    case TV_N_OBJ_KINDS:
    default:
      return FALSE;
    }
}

/*
 * How many holds of a semaphore overlap at most (up to TV_MAX_LANES), so
 * that its row is tall enough to show each holder in its own lane.
 */
static guint
count_lanes (const TvTraceObject *object)
{
  gint64 lane_end[TV_MAX_LANES];
  guint used = 1, i, l;

  if (object->kind != TV_OBJ_SEMAPHORE || object->holds == NULL)
    return 1;
  for (l = 0; l < TV_MAX_LANES; l++)
    lane_end[l] = G_MININT64;
  for (i = 0; i < object->holds->len; i++)
    {
      const TvHold *hold = &g_array_index (object->holds, TvHold, i);
      gint64 end = hold->end >= 0 ? hold->end : G_MAXINT64;

      for (l = 0; l < TV_MAX_LANES; l++)
        if (lane_end[l] <= hold->start)
          break;
      if (l == TV_MAX_LANES)
        return TV_MAX_LANES;
      lane_end[l] = end;
      used = MAX (used, l + 1);
    }
  return used;
}

static TvRow *
add_row (TvFrame     *frame,
         TvRowKind    kind,
         guint32      id,
         double       height,
         const char  *text)
{
  TvRow row = { kind, id, frame->rows_height, height, 0, 1, text };

  g_array_append_val (frame->rows, row);
  frame->rows_height += height;
  return &g_array_index (frame->rows, TvRow, frame->rows->len - 1);
}

static void
add_object_rows (TvFrame    *frame,
                 TvRowKind   kind,
                 const char *title)
{
  guint n = tv_trace_get_n_objects (frame->trace);
  gboolean titled = FALSE;
  guint stripe = 0;
  guint32 id;

  for (id = 1; id <= n; id++)
    {
      const TvTraceObject *object = tv_trace_get_object (frame->trace, id);
      gboolean wanted;
      double height;
      guint lanes = 1;
      TvRow *row;

      if (object == NULL)
        continue;
      switch (kind)
        {
        case TV_ROW_SYNC:
          wanted = is_sync_kind (object->kind);
          lanes = count_lanes (object);
          height = TV_SYNC_HEIGHT + (lanes - 1) * TV_LANE_HEIGHT;
          break;
        case TV_ROW_QUEUE:
          wanted = object->kind == TV_OBJ_QUEUE;
          height = TV_QUEUE_HEIGHT;
          break;
        case TV_ROW_VAR:
          wanted = (object->kind == TV_OBJ_VAR || object->kind == TV_OBJ_SHARED)
                   && var_is_shared (object);
          height = TV_VAR_HEIGHT;
          break;
        case TV_ROW_GROUP:
        case TV_ROW_THREAD:
        case TV_ROW_SECTION:
        default:
          wanted = FALSE;
          height = 0;
          break;
        }
      if (!wanted)
        continue;
      if (!titled)
        {
          add_row (frame, TV_ROW_SECTION, 0, TV_SECTION_HEIGHT, title);
          titled = TRUE;
        }
      if (id < frame->n_object_rows)
        frame->object_rows[id] = frame->rows->len;
      row = add_row (frame, kind, id, height, NULL);
      row->stripe = (stripe++ & 1) != 0;
      row->lanes = lanes;
    }
}

void
tv_layout_rows (TvFrame *frame)
{
  TvTrace *trace = frame->trace;
  guint n_threads = tv_trace_get_n_threads (trace);
  g_autoptr(GArray) groups = g_array_new (FALSE, TRUE, sizeof (Group));
  guint i, j;

  frame->rows = g_array_new (FALSE, TRUE, sizeof (TvRow));
  frame->rows_height = 0;
  frame->n_thread_rows = n_threads;
  frame->thread_rows = g_new (int, MAX (n_threads, 1));
  frame->n_object_rows = tv_trace_get_n_objects (trace) + 1;
  frame->object_rows = g_new (int, frame->n_object_rows);
  for (i = 0; i < n_threads; i++)
    frame->thread_rows[i] = -1;
  for (i = 0; i < frame->n_object_rows; i++)
    frame->object_rows[i] = -1;

  for (i = 0; i < n_threads; i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);
      Group *group = NULL;

      if (thread == NULL || !thread_matches (thread, frame->options->filter))
        continue;
      for (j = 0; j < groups->len; j++)
        if (g_array_index (groups, Group, j).process == thread->process)
          group = &g_array_index (groups, Group, j);
      if (group == NULL)
        {
          Group fresh = { thread->process, G_MAXINT64,
                          g_array_new (FALSE, FALSE, sizeof (gpointer)) };

          g_array_append_val (groups, fresh);
          group = &g_array_index (groups, Group, groups->len - 1);
        }
      group->first = MIN (group->first, thread->created);
      g_array_append_val (group->threads, thread);
    }

  g_array_sort (groups, compare_groups);
  for (i = 0; i < groups->len; i++)
    {
      Group *group = &g_array_index (groups, Group, i);
      const TvTraceThread **threads = (const TvTraceThread **) group->threads->data;
      guint main_index = 0;

      /*
       * The main thread is the one the process began with: the first
       * created (the trace does not name it).  It goes first; the others
       * follow in the order they started.
       */
      for (j = 1; j < group->threads->len; j++)
        if (threads[j]->created < threads[main_index]->created
            || (threads[j]->created == threads[main_index]->created
                && threads[j]->index < threads[main_index]->index))
          main_index = j;
      if (main_index != 0)
        {
          const TvTraceThread *tmp = threads[0];
          threads[0] = threads[main_index];
          threads[main_index] = tmp;
        }
      if (group->threads->len > 2)
        qsort (threads + 1, group->threads->len - 1, sizeof (gpointer),
               compare_threads);

      add_row (frame, TV_ROW_GROUP, group->process, TV_GROUP_HEIGHT, NULL);
      for (j = 0; j < group->threads->len; j++)
        {
          TvRow *row;

          frame->thread_rows[threads[j]->index] = frame->rows->len;
          row = add_row (frame, TV_ROW_THREAD, threads[j]->index,
                         TV_THREAD_HEIGHT, NULL);
          row->stripe = (j & 1) != 0;
        }
      g_array_unref (group->threads);
    }

  add_object_rows (frame, TV_ROW_SYNC, "Locks and synchronisation");
  add_object_rows (frame, TV_ROW_QUEUE, "Queues");
  add_object_rows (frame, TV_ROW_VAR, "Shared variables");
}

void
tv_layout_clear (TvFrame *frame)
{
  g_clear_pointer (&frame->rows, g_array_unref);
  g_clear_pointer (&frame->thread_rows, g_free);
  g_clear_pointer (&frame->object_rows, g_free);
}

const char *
tv_layout_thread_name (TvTrace *trace,
                       guint32  index)
{
  const TvTraceThread *thread;

  if (index == TV_NO_THREAD)
    return "?";
  thread = tv_trace_get_thread (trace, index);
  if (thread == NULL || thread->name == NULL)
    return "?";
  return thread->name;
}

double
tv_layout_label_width (TvFrame *frame)
{
  guint n = tv_trace_get_n_threads (frame->trace);
  guint n_objects = tv_trace_get_n_objects (frame->trace);
  double widest = 0;
  guint i;

  /* Names plus the dot (threads) or kind (objects) beside them. */
  for (i = 0; i < n; i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (frame->trace, i);
      double w;

      if (thread == NULL || thread->name == NULL)
        continue;
      tv_frame_set_text (frame, frame->font, thread->name);
      tv_frame_text_size (frame, &w, NULL);
      widest = MAX (widest, w + 36);
    }
  for (i = 1; i <= n_objects; i++)
    {
      const TvTraceObject *object = tv_trace_get_object (frame->trace, i);
      double w;

      if (object == NULL || object->name == NULL)
        continue;
      tv_frame_set_text (frame, frame->font, object->name);
      tv_frame_text_size (frame, &w, NULL);
      widest = MAX (widest, w + 90);
    }
  return CLAMP (widest + 16, TV_LABEL_MIN, TV_LABEL_MAX);
}
