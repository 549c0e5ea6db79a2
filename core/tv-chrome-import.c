/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-chrome-import.c: Chrome Trace Event Format JSON → TvEvents.
 *
 * Two passes over the parsed array: the first finds the earliest timestamp
 * (our times start at 0), the second turns each event into pending TvEvents
 * and slices.  Slices are then walked per thread to make state changes, and
 * everything is sorted by time before it is fed to the trace, because Chrome
 * files need not be sorted and the trace's spans must be added in order.
 * Malformed events are skipped, not fatal: traces from the wild are often a
 * little off, and showing the rest is more useful than refusing the file.
 */
#define G_LOG_DOMAIN "tv-chrome-import"

#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "tv-capture.h"
#include "tv-chrome-import.h"
#include "tv-run.h"

G_DEFINE_QUARK (tv-chrome-error-quark, tv_chrome_error)

typedef struct
{
  gint64       pid;
  gint64       tid;
} ThreadKey;

typedef struct
{
  ThreadKey    key;
  guint32      index;
  const char  *name;
  gint64       first;        /* ns of its first event, or -1 */
  GArray      *open;         /* guint: slices begun by B, not yet ended */
} ImThread;

typedef struct
{
  gint64       pid;
  const char  *name;
  guint32      object;
  guint32      first_thread;
} ImProcess;

typedef struct
{
  guint32      thread;
  guint32      object;
  gint64       start;
  gint64       end;          /* -1 while a B waits for its E */
} Slice;

typedef struct
{
  TvEvent      ev;
  const char  *text;
  guint8       prio;         /* order among events of the same time */
  guint        seq;
} Pending;

typedef struct
{
  guint32      thread;
  gint64       time;
} FlowPoint;

typedef struct
{
  const char   *name;
  GStringChunk *strings;
  GArray       *pending;     /* Pending */
  GPtrArray    *threads;     /* ImThread *, by index */
  GHashTable   *thread_map;  /* ThreadKey * → ImThread * */
  GArray       *processes;   /* ImProcess, in order of appearance */
  GHashTable   *process_map; /* gint64 * pid → index + 1 in processes */
  GHashTable   *objects[TV_N_OBJ_KINDS]; /* per kind: name → object id */
  GHashTable   *string_ids;  /* string pid/tid → synthetic id */
  GHashTable   *flows;       /* flow key → FlowPoint * */
  GArray       *slices;      /* Slice */
  guint32      next_object;
  double       min_ts;
  gint64       max_ns;
  guint        seq;
} Import;

/* ---- Small helpers --------------------------------------------------- */

static guint
thread_key_hash (gconstpointer p)
{
  const ThreadKey *k = p;

  return g_int64_hash (&k->pid) * 31 + g_int64_hash (&k->tid);
}

static gboolean
thread_key_equal (gconstpointer a,
                  gconstpointer b)
{
  const ThreadKey *ka = a;
  const ThreadKey *kb = b;

  return ka->pid == kb->pid && ka->tid == kb->tid;
}

static void
im_thread_free (gpointer data)
{
  ImThread *t = data;

  g_array_unref (t->open);
  g_free (t);
}

static gboolean
get_double (JsonObject *obj,
            const char *member,
            double     *out)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = json_node_get_double (node);
      return isfinite (*out);
    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);
        char *end = NULL;

        *out = g_ascii_strtod (s, &end);
        return end != s && *end == '\0' && isfinite (*out);
      }
    default:
      return FALSE;
    }
}

/* json-glib's typed getters complain (g_critical) about a member of the
 * wrong type; a trace from elsewhere may have any, so these check first. */
static JsonObject *
get_object (JsonObject *obj,
            const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
get_bool (JsonObject *obj,
          const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
         json_node_get_boolean (node);
}

static const char *
get_string (JsonObject *obj,
            const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* pid and tid: numbers, or strings some tracers write; strings get ids
 * above any real pid. */
static gint64
get_id (Import     *im,
        JsonObject *obj,
        const char *member)
{
  JsonNode *node = json_object_get_member (obj, member);
  const char *s;
  gpointer id;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      return isfinite (d) && fabs (d) < 9e15 ? (gint64) d : 0;
    }
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return 0;

  s = json_node_get_string (node);
  if (!g_hash_table_lookup_extended (im->string_ids, s, NULL, &id))
    {
      id = GSIZE_TO_POINTER ((gsize) G_MAXUINT32 + 1 + g_hash_table_size (im->string_ids));
      g_hash_table_insert (im->string_ids, g_string_chunk_insert_const (im->strings, s), id);
    }
  return (gint64) GPOINTER_TO_SIZE (id);
}

/* A node's text as a flow id: numbers and strings alike ("0x1f" and 31
 * are different ids, as in Chrome). */
static char *
node_to_key (JsonNode *node)
{
  if (node == NULL)
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

static void
push (Import      *im,
      guint8       prio,
      gint64       time,
      TvEventKind  kind,
      guint32      thread,
      guint32      object,
      gint64       arg,
      guint32      aux,
      guint16      line,
      const char  *text)
{
  Pending p = { { time, arg, thread, object, aux, kind, line }, text, prio, im->seq++ };

  g_array_append_val (im->pending, p);
}

static guint32
intern_object (Import       *im,
               TvObjectKind  kind,
               const char   *name)
{
  GHashTable *table = im->objects[kind];
  const char *key;
  gpointer id;

  /* One lookup and no allocation for a name seen before: the common case,
   * since slices of one name recur. */
  if (g_hash_table_lookup_extended (table, name, NULL, &id))
    return GPOINTER_TO_UINT (id);

  key = g_string_chunk_insert_const (im->strings, name);
  id = GUINT_TO_POINTER (im->next_object++);
  g_hash_table_insert (table, (gpointer) key, id);
  push (im, 0, 0, TV_EV_OBJECT_NEW, TV_NO_THREAD, GPOINTER_TO_UINT (id), 0, kind, 0, key);

  return GPOINTER_TO_UINT (id);
}

static ImProcess *
get_process (Import *im,
             gint64  pid)
{
  gpointer pos;

  if (!g_hash_table_lookup_extended (im->process_map, &pid, NULL, &pos))
    {
      ImProcess p = { pid, NULL, TV_NO_OBJECT, TV_NO_THREAD };
      gint64 *key = g_new (gint64, 1);

      *key = pid;
      g_array_append_val (im->processes, p);
      pos = GUINT_TO_POINTER (im->processes->len);
      g_hash_table_insert (im->process_map, key, pos);
    }

  return &g_array_index (im->processes, ImProcess, GPOINTER_TO_UINT (pos) - 1);
}

static ImThread *
get_thread (Import *im,
            gint64  pid,
            gint64  tid)
{
  ThreadKey key = { pid, tid };
  ImThread *t = g_hash_table_lookup (im->thread_map, &key);
  ImProcess *process;

  if (t != NULL)
    return t;

  if (im->threads->len >= TV_CAPTURE_MAX_THREADS)
    return NULL;

  t = g_new0 (ImThread, 1);
  t->key = key;
  t->index = im->threads->len;
  t->first = -1;
  t->open = g_array_new (FALSE, FALSE, sizeof (guint));
  g_ptr_array_add (im->threads, t);
  g_hash_table_insert (im->thread_map, &t->key, t);

  process = get_process (im, pid);
  if (process->first_thread == TV_NO_THREAD)
    process->first_thread = t->index;

  return t;
}

static gboolean
event_time (Import     *im,
            JsonObject *obj,
            const char *member,
            double      base,
            gint64     *out)
{
  double ts;
  double ns;

  if (!get_double (obj, member, &ts))
    return FALSE;

  ns = (ts - base) * 1000.0;
  if (!(ns >= 0 && ns <= (double) TV_CAPTURE_MAX_TIME))
    return FALSE;
  *out = (gint64) llround (ns);
  return TRUE;
}

/* ---- The second pass: one event -------------------------------------- */

static void
add_flow_point (Import     *im,
                const char *key,
                ImThread   *t,
                gint64      time,
                gboolean    is_source,
                gboolean    is_target)
{
  FlowPoint *from = g_hash_table_lookup (im->flows, key);

  if (is_target && from != NULL)
    push (im, 2, time, TV_EV_LINK, t->index, TV_NO_OBJECT, from->time, from->thread,
          TV_LINK_WAKE, NULL);

  if (is_source)
    {
      FlowPoint *point = g_new (FlowPoint, 1);

      point->thread = t->index;
      point->time = time;
      g_hash_table_insert (im->flows, g_strdup (key), point);
    }
  else if (is_target)
    g_hash_table_remove (im->flows, key);
}

static void
add_counter (Import     *im,
             JsonObject *obj,
             const char *name,
             gint64      time)
{
  JsonObject *args = get_object (obj, "args");
  g_autoptr(GList) members = NULL;
  const char *id = get_string (obj, "id");
  guint n;

  if (args == NULL)
    return;
  members = json_object_get_members (args);
  n = g_list_length (members);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      g_autofree char *series = NULL;
      double value;
      guint32 object;
      double clamped;

      if (!get_double (args, key, &value))
        continue;

      series = g_strdup_printf ("%s%s%s%s%s", name, id ? " " : "", id ? id : "",
                                n > 1 ? "." : "", n > 1 ? key : "");
      if (im->next_object >= TV_CAPTURE_MAX_OBJECTS)
        return;
      object = intern_object (im, TV_OBJ_QUEUE, series);
      clamped = CLAMP (round (value), 0, (double) G_MAXUINT32);
      push (im, 2, time, TV_EV_QUEUE_PUT, TV_NO_THREAD, object, 0, (guint32) clamped, 0, NULL);
    }
}

static char *
instant_text (JsonObject *obj,
              const char *name)
{
  JsonNode *args = json_object_get_member (obj, "args");
  const char *text;

  if (args == NULL || !JSON_NODE_HOLDS_OBJECT (args))
    return g_strdup (name);

  /* Our own export puts a print's text in args.text. */
  if ((text = get_string (json_node_get_object (args), "text")) != NULL)
    return g_strdup (text);

  if (json_object_get_size (json_node_get_object (args)) == 0)
    return g_strdup (name);

  {
    g_autofree char *json = json_to_string (args, FALSE);

    return g_strdup_printf ("%s %s", name, json);
  }
}

/*
 * A pause mark of our own export: an instant of category "pause" whose
 * args.mark says "pause" or "resume"; args.thread names a step's thread,
 * which is the event's pid and tid.  It belongs to no thread (and makes
 * none up unless it names one).  FALSE for any other instant.
 */
static gboolean
add_pause_mark (Import     *im,
                JsonObject *obj,
                gint64      pid,
                gint64      tid,
                gint64      time)
{
  const char *cat = get_string (obj, "cat");
  JsonObject *args = get_object (obj, "args");
  const char *mark = args != NULL ? get_string (args, "mark") : NULL;
  guint32 aux = TV_NO_THREAD;
  gboolean resume;
  double wall = 0;

  if (cat == NULL || strcmp (cat, "pause") != 0 || mark == NULL)
    return FALSE;
  if (strcmp (mark, "pause") == 0)
    resume = FALSE;
  else if (strcmp (mark, "resume") == 0)
    resume = TRUE;
  else
    return FALSE;

  if (get_string (args, "thread") != NULL)
    {
      ImThread *t = get_thread (im, pid, tid);

      if (t != NULL)
        aux = t->index;
    }
  if (!resume || !get_double (args, "wall_ns", &wall) || !(wall >= 0 && wall <= (double) TV_CAPTURE_MAX_TIME))
    wall = 0;

  push (im, 2, time, resume ? TV_EV_RESUME : TV_EV_PAUSE, TV_NO_THREAD, TV_NO_OBJECT,
        (gint64) llround (wall), aux, 0, NULL);
  im->max_ns = MAX (im->max_ns, time);
  return TRUE;
}

static void
add_event (Import     *im,
           JsonObject *obj)
{
  const char *ph = get_string (obj, "ph");
  const char *name = get_string (obj, "name");
  gint64 pid, tid, time = 0;
  ImThread *t;

  if (ph == NULL || ph[0] == '\0' || ph[1] != '\0')
    return;
  if (name == NULL)
    name = "";

  pid = get_id (im, obj, "pid");
  tid = get_id (im, obj, "tid");

  if (ph[0] == 'M')
    {
      JsonObject *args = get_object (obj, "args");
      const char *value = args != NULL ? get_string (args, "name") : NULL;

      if (value == NULL)
        return;
      if (strcmp (name, "process_name") == 0)
        get_process (im, pid)->name = g_string_chunk_insert_const (im->strings, value);
      else if (strcmp (name, "thread_name") == 0 && (t = get_thread (im, pid, tid)) != NULL)
        t->name = g_string_chunk_insert_const (im->strings, value);
      return;
    }

  if (strchr ("XBEiICstf", ph[0]) == NULL)
    return;
  if (!event_time (im, obj, "ts", im->min_ts, &time))
    return;

  /* Counters belong to a process, not a thread: no thread is made up. */
  if (ph[0] == 'C')
    {
      add_counter (im, obj, name, time);
      im->max_ns = MAX (im->max_ns, time);
      return;
    }

  if ((ph[0] == 'i' || ph[0] == 'I') && add_pause_mark (im, obj, pid, tid, time))
    return;

  if ((t = get_thread (im, pid, tid)) == NULL)
    return;
  if (t->first < 0 || time < t->first)
    t->first = time;
  im->max_ns = MAX (im->max_ns, time);

  switch (ph[0])
    {
    case 'X':
    case 'B':
      {
        Slice slice = { t->index, TV_NO_OBJECT, time, -1 };
        double dur = 0;

        if (im->next_object >= TV_CAPTURE_MAX_OBJECTS)
          return;
        slice.object = intern_object (im, TV_OBJ_NONE, name[0] ? name : "slice");

        if (ph[0] == 'X')
          {
            if (get_double (obj, "dur", &dur) && dur > 0 && dur * 1000.0 < (double) TV_CAPTURE_MAX_TIME)
              slice.end = MIN (time + (gint64) llround (dur * 1000.0), TV_CAPTURE_MAX_TIME);
            else
              slice.end = time;
            im->max_ns = MAX (im->max_ns, slice.end);
          }
        else
          {
            guint idx = im->slices->len;

            g_array_append_val (t->open, idx);
          }
        g_array_append_val (im->slices, slice);

        /* Flow events of the newer kind hang on slices. */
        if (json_object_has_member (obj, "bind_id"))
          {
            g_autofree char *id = node_to_key (json_object_get_member (obj, "bind_id"));
            g_autofree char *key = g_strconcat ("bind\x1f", id, NULL);

            if (get_bool (obj, "flow_in"))
              add_flow_point (im, key, t, time, FALSE, TRUE);
            if (get_bool (obj, "flow_out"))
              add_flow_point (im, key, t, time, TRUE, FALSE);
          }
      }
      break;

    case 'E':
      if (t->open->len > 0)
        {
          guint idx = g_array_index (t->open, guint, t->open->len - 1);
          Slice *slice = &g_array_index (im->slices, Slice, idx);

          g_array_set_size (t->open, t->open->len - 1);
          slice->end = MAX (time, slice->start);
        }
      break;

    case 'i':
    case 'I':
      {
        g_autofree char *text = instant_text (obj, name);
        JsonObject *args = get_object (obj, "args");
        double line = 0;

        if (args == NULL || !get_double (args, "line", &line))
          line = 0;

        push (im, 2, time, TV_EV_PRINT, t->index, TV_NO_OBJECT, 0, 0,
              (guint16) CLAMP (line, 0, G_MAXUINT16),
              g_string_chunk_insert (im->strings, text));
      }
      break;

    case 's':
    case 't':
    case 'f':
      {
        g_autofree char *id = NULL;
        g_autofree char *key = NULL;
        const char *cat = get_string (obj, "cat");

        if (json_object_has_member (obj, "id"))
          id = node_to_key (json_object_get_member (obj, "id"));
        else if (json_object_has_member (obj, "id2"))
          id = node_to_key (json_object_get_member (obj, "id2"));
        else
          return;

        key = g_strdup_printf ("%s\x1f%s\x1f%s", cat ? cat : "", name, id);
        add_flow_point (im, key, t, time, ph[0] != 'f', ph[0] != 's');
      }
      break;

    default:
      break;
    }
}

/* ---- Slices → state changes ------------------------------------------ */

typedef struct
{
  guint32  thread;
  gint64   time;
  gint64   dur;
  guint    slice;
  gboolean begin;
} Point;

static int
compare_points (gconstpointer a,
                gconstpointer b)
{
  const Point *pa = a;
  const Point *pb = b;

  if (pa->thread != pb->thread)
    return pa->thread < pb->thread ? -1 : 1;
  if (pa->time != pb->time)
    return pa->time < pb->time ? -1 : 1;
  /* Ends before begins; of two slices that begin together, the longer
   * encloses the other. */
  if (pa->begin != pb->begin)
    return pa->begin ? 1 : -1;
  if (pa->begin && pa->dur != pb->dur)
    return pa->dur > pb->dur ? -1 : 1;
  return pa->slice < pb->slice ? -1 : pa->slice > pb->slice;
}

static void
walk_slices (Import *im)
{
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (Point));
  g_autoptr(GArray) active = g_array_new (FALSE, FALSE, sizeof (guint));
  guint i = 0;

  for (guint s = 0; s < im->slices->len; s++)
    {
      Slice *slice = &g_array_index (im->slices, Slice, s);
      Point p;

      if (slice->end < 0)
        slice->end = MAX (im->max_ns, slice->start);
      if (slice->end <= slice->start)
        continue;

      p = (Point) { slice->thread, slice->start, slice->end - slice->start, s, TRUE };
      g_array_append_val (points, p);
      p.time = slice->end;
      p.begin = FALSE;
      g_array_append_val (points, p);
    }
  g_array_sort (points, compare_points);

  for (guint ti = 0; ti < im->threads->len; ti++)
    {
      ImThread *t = g_ptr_array_index (im->threads, ti);
      guint8 last_state = TV_STATE_RUNNING;
      guint32 last_object = TV_NO_OBJECT;
      gint64 first = MAX (t->first, 0);

      g_array_set_size (active, 0);

      /* Outside its slices a thread is idle, drawn as sleeping. */
      if (i >= points->len || g_array_index (points, Point, i).thread != ti ||
          g_array_index (points, Point, i).time > first)
        {
          push (im, 2, first, TV_EV_STATE, ti, TV_NO_OBJECT, TV_STATE_SLEEPING, 0, 0, NULL);
          last_state = TV_STATE_SLEEPING;
        }

      while (i < points->len && g_array_index (points, Point, i).thread == ti)
        {
          gint64 time = g_array_index (points, Point, i).time;
          guint8 state;
          guint32 object;

          for (; i < points->len; i++)
            {
              const Point *p = &g_array_index (points, Point, i);

              if (p->thread != ti || p->time != time)
                break;
              if (p->begin)
                g_array_append_val (active, p->slice);
              else
                for (guint k = active->len; k > 0; k--)
                  if (g_array_index (active, guint, k - 1) == p->slice)
                    {
                      g_array_remove_index (active, k - 1);
                      break;
                    }
            }

          if (active->len > 0)
            {
              guint top = g_array_index (active, guint, active->len - 1);

              state = TV_STATE_RUNNING;
              object = g_array_index (im->slices, Slice, top).object;
            }
          else
            {
              state = TV_STATE_SLEEPING;
              object = TV_NO_OBJECT;
            }

          if (state != last_state || object != last_object)
            push (im, 2, time, TV_EV_STATE, ti, object, state, 0, 0, NULL);
          last_state = state;
          last_object = object;
        }
    }
}

/* ---- Threads and processes ------------------------------------------- */

static void
add_threads (Import *im)
{
  for (guint p = 0; p < im->processes->len; p++)
    {
      ImProcess *process = &g_array_index (im->processes, ImProcess, p);
      g_autofree char *fallback = NULL;

      if (process->first_thread == TV_NO_THREAD || im->next_object >= TV_CAPTURE_MAX_OBJECTS)
        continue;
      if (process->name == NULL)
        process->name = fallback = g_strdup_printf ("process %" G_GINT64_FORMAT, process->pid);
      process->object = im->next_object++;
      push (im, 0, 0, TV_EV_OBJECT_NEW, process->first_thread, process->object, 0,
            TV_OBJ_PROCESS, 0, g_string_chunk_insert (im->strings, process->name));
      if (fallback != NULL)
        process->name = NULL;
    }

  for (guint ti = 0; ti < im->threads->len; ti++)
    {
      ImThread *t = g_ptr_array_index (im->threads, ti);
      ImProcess *process = get_process (im, t->key.pid);
      gint64 first = MAX (t->first, 0);
      const char *name = t->name;

      if (name == NULL)
        {
          g_autofree char *fallback = t->key.tid <= G_MAXUINT32
                                      ? g_strdup_printf ("thread %" G_GINT64_FORMAT, t->key.tid)
                                      : g_strdup ("thread");

          name = g_string_chunk_insert (im->strings, fallback);
        }

      push (im, 0, 0, TV_EV_THREAD_NEW, ti, process->object, 0, TV_NO_THREAD, 0, name);
      if (t->key.pid >= 0 && t->key.pid <= G_MAXUINT32 && t->key.tid >= 0 && t->key.tid <= G_MAXUINT32)
        push (im, 0, 0, TV_EV_THREAD_OS, ti, TV_NO_OBJECT, t->key.tid, (guint32) t->key.pid, 0, NULL);
      push (im, 1, first, TV_EV_THREAD_START, ti, TV_NO_OBJECT, 0, TV_NO_THREAD, 0, NULL);
    }
}

/* ---- Driving --------------------------------------------------------- */

static int
compare_pending (gconstpointer a,
                 gconstpointer b)
{
  const Pending *pa = a;
  const Pending *pb = b;

  if (pa->ev.time != pb->ev.time)
    return pa->ev.time < pb->ev.time ? -1 : 1;
  if (pa->prio != pb->prio)
    return pa->prio < pb->prio ? -1 : 1;
  return pa->seq < pb->seq ? -1 : pa->seq > pb->seq;
}

static void
import_clear (Import *im)
{
  g_string_chunk_free (im->strings);
  g_array_unref (im->pending);
  g_ptr_array_unref (im->threads);
  g_hash_table_unref (im->thread_map);
  g_array_unref (im->processes);
  g_hash_table_unref (im->process_map);
  for (guint k = 0; k < TV_N_OBJ_KINDS; k++)
    g_hash_table_unref (im->objects[k]);
  g_hash_table_unref (im->string_ids);
  g_hash_table_unref (im->flows);
  g_array_unref (im->slices);
}

gboolean
tv_chrome_import_data (const char       *data,
                       gsize             len,
                       const char       *name,
                       TvTrace          *trace,
                       TvCaptureWriter  *writer,
                       GError          **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonArray *events = NULL;
  const char *title = NULL;
  Import im = { 0 };
  gboolean have_min = FALSE;
  guint n;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);

  if (name == NULL)
    name = "trace.json";

  if (len == 0)
    {
      g_set_error (error, TV_CHROME_ERROR, TV_CHROME_ERROR_INVALID,
                   "%s: empty file, not a Chrome trace", name);
      return FALSE;
    }

  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      const char *message = local_error->message;

      /* json-glib says "<data>:2:11: Parse error: ..."; say the file. */
      if (g_str_has_prefix (message, "<data>:"))
        message += strlen ("<data>:");
      g_set_error (error, TV_CHROME_ERROR, TV_CHROME_ERROR_PARSE, "%s:%s", name, message);
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    events = json_node_get_array (root);
  else if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *obj = json_node_get_object (root);
      JsonNode *node = json_object_get_member (obj, "traceEvents");
      JsonObject *other = get_object (obj, "otherData");

      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        events = json_node_get_array (node);
      if (other != NULL)
        title = get_string (other, "title");
    }

  if (events == NULL)
    {
      g_set_error (error, TV_CHROME_ERROR, TV_CHROME_ERROR_INVALID,
                   root == NULL ? "%s: empty file, not a Chrome trace"
                                : "%s: not a Chrome trace (expected an array of events or an object with \"traceEvents\")",
                   name);
      return FALSE;
    }

  im.name = name;
  im.strings = g_string_chunk_new (4096);
  im.pending = g_array_new (FALSE, FALSE, sizeof (Pending));
  im.threads = g_ptr_array_new_with_free_func (im_thread_free);
  im.thread_map = g_hash_table_new (thread_key_hash, thread_key_equal);
  im.processes = g_array_new (FALSE, FALSE, sizeof (ImProcess));
  im.process_map = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint k = 0; k < TV_N_OBJ_KINDS; k++)
    im.objects[k] = g_hash_table_new (g_str_hash, g_str_equal);
  im.string_ids = g_hash_table_new (g_str_hash, g_str_equal);
  im.flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  im.slices = g_array_new (FALSE, FALSE, sizeof (Slice));
  im.next_object = 1;

  /* Pass 1: the earliest time, which becomes 0. */
  n = json_array_get_length (events);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *ph;
      double ts;

      if (obj == NULL || (ph = get_string (obj, "ph")) == NULL || ph[0] == 'M')
        continue;
      if (get_double (obj, "ts", &ts) && (!have_min || ts < im.min_ts))
        {
          im.min_ts = ts;
          have_min = TRUE;
        }
    }

  /* Pass 2. */
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (events, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        add_event (&im, json_node_get_object (node));
    }

  walk_slices (&im);
  add_threads (&im);
  push (&im, 3, im.max_ns, TV_EV_RUN_END, TV_NO_THREAD, TV_NO_OBJECT, TV_RUN_FINISHED, 0, 0, NULL);
  g_array_sort (im.pending, compare_pending);

  if (title != NULL)
    tv_trace_set_title (trace, title);
  if (writer != NULL)
    {
      tv_capture_writer_set_imported (writer, TRUE);
      tv_capture_writer_set_title (writer, title);
      tv_capture_writer_set_status (writer, TV_RUN_FINISHED);
    }

  for (guint i = 0; i < im.pending->len; i++)
    {
      const Pending *p = &g_array_index (im.pending, Pending, i);

      tv_trace_add_event (trace, &p->ev, p->text);
      if (writer != NULL)
        tv_capture_writer_add (writer, &p->ev, p->text);
    }
  tv_trace_changed (trace);

  import_clear (&im);

  return TRUE;
}

gboolean
tv_chrome_import (const char       *path,
                  TvTrace          *trace,
                  TvCaptureWriter  *writer,
                  GError          **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);

  mapped = g_mapped_file_new (path, FALSE, error);
  if (mapped == NULL)
    return FALSE;

  name = g_filename_display_name (path);

  return tv_chrome_import_data (g_mapped_file_get_contents (mapped),
                                g_mapped_file_get_length (mapped),
                                name, trace, writer, error);
}

TvTrace *
tv_chrome_load (const char  *path,
                GError     **error)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();

  if (!tv_chrome_import (path, trace, NULL, error))
    return NULL;

  return g_steal_pointer (&trace);
}
