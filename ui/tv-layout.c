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

/* ---- facts that cost a scan of all the data ------------------------------
 *
 * A semaphore's lanes, a queue's largest depth, whether a variable is
 * shared, and the per-block summaries the rows use to skip what is too
 * dense to see: each would cost a pass over every element on every frame.
 * They are kept with the trace and computed again only after it changed
 * (its event count is the stamp: every change comes with an event), so
 * panning a finished run or exporting it scans nothing twice.
 */

typedef struct
{
  guint             lanes;       /* 0: not known yet */
  gint64            max_depth;   /* -1: not known yet */
  int               shared;      /* -1: not known yet */
  TvCounterBlocks   waiters;
  TvCounterBlocks   depth;
} ObjectCache;

typedef struct
{
  guint64      stamp;            /* the trace's event count */
  GPtrArray   *objects;          /* ObjectCache *, by object id */
  GArray      *link_from_min;    /* gint64: least from_time of each block of links */
  gboolean     links_known;
  guint       *print_index;      /* print indexes grouped by thread */
  guint       *print_offsets;    /* where each thread's start (n_threads + 1) */
  guint        n_print_threads;
  guint       *link_index;       /* link indexes grouped by target thread and kind */
  guint       *link_offsets;     /* where each group starts in link_index (n_keys + 1) */
  guint        n_link_keys;
} RenderCache;

static void
counter_blocks_clear (TvCounterBlocks *blocks)
{
  g_clear_pointer (&blocks->min, g_free);
  g_clear_pointer (&blocks->max, g_free);
  blocks->n_blocks = 0;
  blocks->known = FALSE;
}

static void
object_cache_free (gpointer data)
{
  ObjectCache *cache = data;

  if (cache == NULL)
    return;
  counter_blocks_clear (&cache->waiters);
  counter_blocks_clear (&cache->depth);
  g_free (cache);
}

static void
render_cache_free (gpointer data)
{
  RenderCache *cache = data;

  g_ptr_array_unref (cache->objects);
  g_clear_pointer (&cache->link_from_min, g_array_unref);
  g_free (cache->print_index);
  g_free (cache->print_offsets);
  g_free (cache->link_index);
  g_free (cache->link_offsets);
  g_free (cache);
}

static RenderCache *
render_cache_get (TvTrace *trace)
{
  RenderCache *cache = g_object_get_data (G_OBJECT (trace), "tv-render-cache");
  guint64 stamp = tv_trace_get_n_events (trace);

  if (cache != NULL && cache->stamp == stamp)
    return cache;
  cache = g_new0 (RenderCache, 1);
  cache->stamp = stamp;
  cache->objects = g_ptr_array_new_with_free_func (object_cache_free);
  /* Replacing the data frees the stale cache. */
  g_object_set_data_full (G_OBJECT (trace), "tv-render-cache", cache, render_cache_free);
  return cache;
}

static ObjectCache *
object_cache_get (TvTrace             *trace,
                  const TvTraceObject *object)
{
  RenderCache *cache = render_cache_get (trace);
  ObjectCache *entry;

  if (object->id >= cache->objects->len)
    g_ptr_array_set_size (cache->objects, object->id + 1);
  entry = g_ptr_array_index (cache->objects, object->id);
  if (entry == NULL)
    {
      entry = g_new0 (ObjectCache, 1);
      entry->max_depth = -1;
      entry->shared = -1;
      g_ptr_array_index (cache->objects, object->id) = entry;
    }
  return entry;
}

static void
counter_blocks_build (TvCounterBlocks *blocks,
                      const GArray    *points)
{
  guint b;

  blocks->known = TRUE;
  blocks->n_blocks = points != NULL ? points->len / TV_CACHE_BLOCK : 0;
  blocks->min = g_new (gint64, MAX (blocks->n_blocks, 1));
  blocks->max = g_new (gint64, MAX (blocks->n_blocks, 1));
  for (b = 0; b < blocks->n_blocks; b++)
    {
      const TvCounterPoint *p = &g_array_index (points, TvCounterPoint, b * TV_CACHE_BLOCK);
      gint64 lo = p[0].value, hi = p[0].value;
      guint k;

      for (k = 1; k < TV_CACHE_BLOCK; k++)
        {
          lo = MIN (lo, p[k].value);
          hi = MAX (hi, p[k].value);
        }
      blocks->min[b] = lo;
      blocks->max[b] = hi;
    }
}

const TvCounterBlocks *
tv_layout_waiter_blocks (TvTrace             *trace,
                         const TvTraceObject *object)
{
  ObjectCache *entry = object_cache_get (trace, object);

  if (!entry->waiters.known)
    counter_blocks_build (&entry->waiters, object->waiters);
  return &entry->waiters;
}

const TvCounterBlocks *
tv_layout_depth_blocks (TvTrace             *trace,
                        const TvTraceObject *object)
{
  ObjectCache *entry = object_cache_get (trace, object);

  if (!entry->depth.known)
    counter_blocks_build (&entry->depth, object->depth);
  return &entry->depth;
}

void
tv_counter_range (const GArray          *points,
                  const TvCounterBlocks *blocks,
                  guint                  from,
                  guint                  to,
                  gint64                *min,
                  gint64                *max)
{
  gint64 lo = G_MAXINT64, hi = G_MININT64;
  guint i = from;

  /* Whole blocks from the summaries, the ragged ends one by one. */
  for (; i < to && i % TV_CACHE_BLOCK != 0; i++)
    {
      gint64 v = g_array_index (points, TvCounterPoint, i).value;

      lo = MIN (lo, v);
      hi = MAX (hi, v);
    }
  for (; blocks != NULL && i + TV_CACHE_BLOCK <= to && i / TV_CACHE_BLOCK < blocks->n_blocks;
       i += TV_CACHE_BLOCK)
    {
      lo = MIN (lo, blocks->min[i / TV_CACHE_BLOCK]);
      hi = MAX (hi, blocks->max[i / TV_CACHE_BLOCK]);
    }
  for (; i < to; i++)
    {
      gint64 v = g_array_index (points, TvCounterPoint, i).value;

      lo = MIN (lo, v);
      hi = MAX (hi, v);
    }
  if (min != NULL)
    *min = lo;
  if (max != NULL)
    *max = hi;
}

gint64
tv_layout_max_depth (TvTrace             *trace,
                     const TvTraceObject *object)
{
  ObjectCache *entry = object_cache_get (trace, object);

  if (entry->max_depth < 0)
    {
      gint64 best = 1;
      guint i;

      for (i = 0; object->depth != NULL && i < object->depth->len; i++)
        best = MAX (best, g_array_index (object->depth, TvCounterPoint, i).value);
      entry->max_depth = best;
    }
  return entry->max_depth;
}

const gint64 *
tv_layout_link_blocks (TvTrace *trace,
                       guint   *n_blocks)
{
  RenderCache *cache = render_cache_get (trace);
  GArray *links = tv_trace_get_links (trace);

  if (!cache->links_known)
    {
      guint n = links != NULL ? links->len / TV_CACHE_BLOCK : 0;
      guint b, k;

      cache->links_known = TRUE;
      cache->link_from_min = g_array_sized_new (FALSE, FALSE, sizeof (gint64), MAX (n, 1));
      for (b = 0; b < n; b++)
        {
          const TvLink *l = &g_array_index (links, TvLink, b * TV_CACHE_BLOCK);
          gint64 lo = l[0].from_time;

          for (k = 1; k < TV_CACHE_BLOCK; k++)
            lo = MIN (lo, l[k].from_time);
          g_array_append_val (cache->link_from_min, lo);
        }
    }
  *n_blocks = cache->link_from_min->len;
  return (const gint64 *) cache->link_from_min->data;
}

const guint *
tv_layout_link_index (TvTrace      *trace,
                      const guint **offsets,
                      guint        *n_keys)
{
  RenderCache *cache = render_cache_get (trace);
  GArray *links = tv_trace_get_links (trace);

  if (cache->link_offsets == NULL)
    {
      guint n = links != NULL ? links->len : 0;
      guint keys = tv_trace_get_n_threads (trace) * TV_N_LINK_KINDS;
      g_autofree guint *fill = g_new0 (guint, keys + 1);
      guint i;

      /* A counting sort: each group keeps the links' to_time order. */
      cache->n_link_keys = keys;
      cache->link_offsets = g_new0 (guint, keys + 1);
      for (i = 0; i < n; i++)
        {
          const TvLink *link = &g_array_index (links, TvLink, i);

          if (link->to_thread < keys / TV_N_LINK_KINDS && (guint) link->kind < TV_N_LINK_KINDS)
            cache->link_offsets[link->to_thread * TV_N_LINK_KINDS + link->kind + 1]++;
        }
      for (i = 0; i < keys; i++)
        cache->link_offsets[i + 1] += cache->link_offsets[i];
      cache->link_index = g_new (guint, MAX (cache->link_offsets[keys], 1));
      for (i = 0; i < n; i++)
        {
          const TvLink *link = &g_array_index (links, TvLink, i);
          guint key;

          if (link->to_thread >= keys / TV_N_LINK_KINDS || (guint) link->kind >= TV_N_LINK_KINDS)
            continue;
          key = link->to_thread * TV_N_LINK_KINDS + link->kind;
          cache->link_index[cache->link_offsets[key] + fill[key]++] = i;
        }
    }
  *offsets = cache->link_offsets;
  *n_keys = cache->n_link_keys;
  return cache->link_index;
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

static guint
object_lanes (TvTrace             *trace,
              const TvTraceObject *object)
{
  ObjectCache *entry;

  if (object->kind != TV_OBJ_SEMAPHORE)
    return 1;
  entry = object_cache_get (trace, object);
  if (entry->lanes == 0)
    entry->lanes = count_lanes (object);
  return entry->lanes;
}

static gboolean
object_shared (TvTrace             *trace,
               const TvTraceObject *object)
{
  ObjectCache *entry = object_cache_get (trace, object);

  if (entry->shared < 0)
    entry->shared = var_is_shared (object);
  return entry->shared;
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
          lanes = object_lanes (frame->trace, object);
          height = TV_SYNC_HEIGHT + (lanes - 1) * TV_LANE_HEIGHT;
          break;
        case TV_ROW_QUEUE:
          wanted = object->kind == TV_OBJ_QUEUE;
          height = TV_QUEUE_HEIGHT;
          break;
        case TV_ROW_VAR:
          wanted = (object->kind == TV_OBJ_VAR || object->kind == TV_OBJ_SHARED)
                   && object_shared (frame->trace, object);
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

const guint *
tv_layout_print_index (TvTrace      *trace,
                       const guint **offsets,
                       guint        *n_threads)
{
  RenderCache *cache = render_cache_get (trace);
  GArray *prints = tv_trace_get_prints (trace);

  if (cache->print_offsets == NULL)
    {
      guint n = prints != NULL ? prints->len : 0;
      guint keys = tv_trace_get_n_threads (trace);
      g_autofree guint *fill = g_new0 (guint, keys + 1);
      guint i;

      /* A counting sort: each thread's prints keep their time order. */
      cache->n_print_threads = keys;
      cache->print_offsets = g_new0 (guint, keys + 1);
      for (i = 0; i < n; i++)
        {
          guint32 thread = g_array_index (prints, TvPrint, i).thread;

          if (thread < keys)
            cache->print_offsets[thread + 1]++;
        }
      for (i = 0; i < keys; i++)
        cache->print_offsets[i + 1] += cache->print_offsets[i];
      cache->print_index = g_new (guint, MAX (cache->print_offsets[keys], 1));
      for (i = 0; i < n; i++)
        {
          guint32 thread = g_array_index (prints, TvPrint, i).thread;

          if (thread < keys)
            cache->print_index[cache->print_offsets[thread] + fill[thread]++] = i;
        }
    }
  *offsets = cache->print_offsets;
  *n_threads = cache->n_print_threads;
  return cache->print_index;
}
