/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-chrome-export.c: TvTrace → Chrome Trace Event Format JSON.
 *
 * Written by hand into a 64 KiB buffer that is flushed to the stream as it
 * fills: json-glib would first build the whole tree, which for a million
 * spans is hundreds of megabytes.  Strings are escaped per RFC 8259 and
 * invalid UTF-8 is replaced, so the output always parses.
 */
#define G_LOG_DOMAIN "tv-chrome-export"

#include "config.h"

#include <string.h>

#include "tv-chrome-export.h"

#define FLUSH_SIZE (64 * 1024)

typedef struct
{
  TvTrace       *trace;
  GOutputStream *stream;
  GCancellable  *cancellable;
  GString       *buf;
  GError        *error;
  gboolean       first;

  GHashTable    *pids;         /* process object id → pid */
  gint64         objects_pid;  /* pseudo process of the object tracks */
} Export;

/* ---- Output ---------------------------------------------------------- */

static void
flush (Export *ex)
{
  if (ex->error == NULL && ex->buf->len > 0)
    g_output_stream_write_all (ex->stream, ex->buf->str, ex->buf->len,
                               NULL, ex->cancellable, &ex->error);
  g_string_truncate (ex->buf, 0);
}

static void
maybe_flush (Export *ex)
{
  if (ex->buf->len >= FLUSH_SIZE)
    flush (ex);
}

static void
append_escaped (GString    *buf,
                const char *s)
{
  g_autofree char *valid = NULL;

  if (s == NULL)
    s = "";
  if (!g_utf8_validate (s, -1, NULL))
    s = valid = g_utf8_make_valid (s, -1);

  g_string_append_c (buf, '"');
  for (const char *p = s; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"':  g_string_append (buf, "\\\""); break;
        case '\\': g_string_append (buf, "\\\\"); break;
        case '\n': g_string_append (buf, "\\n"); break;
        case '\r': g_string_append (buf, "\\r"); break;
        case '\t': g_string_append (buf, "\\t"); break;
        case '\b': g_string_append (buf, "\\b"); break;
        case '\f': g_string_append (buf, "\\f"); break;
        default:
          if (c < 0x20 || c == 0x7f)
            g_string_append_printf (buf, "\\u%04x", c);
          else
            g_string_append_c (buf, (char) c);
        }
    }
  g_string_append_c (buf, '"');
}

/* Chrome's timestamps are µs; three decimals keep our ns exact. */
static void
append_us (GString *buf,
           gint64   ns)
{
  guint64 mag = ns < 0 ? -(guint64) ns : (guint64) ns;

  g_string_append_printf (buf, "%s%" G_GUINT64_FORMAT ".%03u",
                          ns < 0 ? "-" : "", mag / 1000, (guint) (mag % 1000));
}

/* Starts one event object: `{"ph":"X","pid":1,"tid":2,"ts":1.000` and leaves
 * it open for the caller's fields. */
static void
begin_event (Export     *ex,
             const char *ph,
             gint64      pid,
             gint64      tid,
             gint64      ts)
{
  maybe_flush (ex);
  g_string_append (ex->buf, ex->first ? "\n" : ",\n");
  ex->first = FALSE;
  g_string_append_printf (ex->buf,
                          "{\"ph\":\"%s\",\"pid\":%" G_GINT64_FORMAT ",\"tid\":%" G_GINT64_FORMAT ",\"ts\":",
                          ph, pid, tid);
  append_us (ex->buf, ts);
}

static void
append_name (Export     *ex,
             const char *name)
{
  g_string_append (ex->buf, ",\"name\":");
  append_escaped (ex->buf, name);
}

static void
append_str_field (Export     *ex,
                  const char *key,
                  const char *value)
{
  g_string_append_printf (ex->buf, ",\"%s\":", key);
  append_escaped (ex->buf, value);
}

/* ---- Names ----------------------------------------------------------- */

static const char *
object_name (TvTrace *trace,
             guint32  id)
{
  const TvTraceObject *object = id != TV_NO_OBJECT ? tv_trace_get_object (trace, id) : NULL;

  return object != NULL && object->name != NULL ? object->name : NULL;
}

static const char *
thread_name (TvTrace *trace,
             guint32  index)
{
  const TvTraceThread *thread = tv_trace_get_thread (trace, index);

  return thread != NULL && thread->name != NULL ? thread->name : "?";
}

char *
tv_chrome_span_label (TvTrace      *trace,
                      const TvSpan *span)
{
  const char *name;
  const TvTraceObject *object;
  const char *kind;

  g_return_val_if_fail (TV_IS_TRACE (trace), NULL);
  g_return_val_if_fail (span != NULL, NULL);

  if (span->state == TV_STATE_JOIN && span->aux != TV_NO_THREAD &&
      tv_trace_get_thread (trace, span->aux) != NULL)
    return g_strdup_printf ("joining %s", thread_name (trace, span->aux));

  if (span->state == TV_STATE_GIL_WAIT)
    return g_strdup ("waiting for the GIL");

  name = object_name (trace, span->object);
  if (name == NULL)
    return g_strdup (tv_thread_state_to_string (span->state));

  object = tv_trace_get_object (trace, span->object);
  kind = tv_object_kind_to_string (object->kind);

  switch ((TvThreadState) span->state)
    {
    /* A running span with an object is a named slice (Chrome import). */
    case TV_STATE_RUNNING:     return g_strdup (name);
    case TV_STATE_LOCK:        return g_strdup_printf ("blocked on %s %s", kind, name);
    case TV_STATE_SEMAPHORE:   return g_strdup_printf ("blocked on semaphore %s", name);
    case TV_STATE_QUEUE_EMPTY: return g_strdup_printf ("get on empty queue %s", name);
    case TV_STATE_QUEUE_FULL:  return g_strdup_printf ("put on full queue %s", name);
    case TV_STATE_QUEUE_JOIN:  return g_strdup_printf ("joining queue %s", name);
    case TV_STATE_EVENT:       return g_strdup_printf ("waiting for event %s", name);
    case TV_STATE_CONDITION:   return g_strdup_printf ("waiting on condition %s", name);
    case TV_STATE_BARRIER:     return g_strdup_printf ("waiting at barrier %s", name);
    case TV_STATE_IO:          return g_strdup_printf ("blocked on I/O (%s)", name);
    case TV_STATE_SLEEPING:    return g_strdup_printf ("sleeping (%s)", name);
    case TV_STATE_NEW:
    case TV_STATE_GIL_WAIT:
    case TV_STATE_JOIN:
    case TV_STATE_TERMINATED:
    case TV_N_STATES:
    default:
      return g_strdup_printf ("%s %s", tv_thread_state_to_string (span->state), name);
    }
}

/* ---- Processes and threads ------------------------------------------- */

static gint64
thread_pid (Export              *ex,
            const TvTraceThread *thread)
{
  gpointer pid;

  if (g_hash_table_lookup_extended (ex->pids, GUINT_TO_POINTER (thread->process), NULL, &pid))
    return (gint64) GPOINTER_TO_SIZE (pid);
  return 1;
}

static gint64
thread_tid (const TvTraceThread *thread)
{
  return thread->tid >= 0 ? thread->tid : (gint64) thread->index;
}

/*
 * One pid per process: the real pid when any of its threads knows it,
 * otherwise a made-up one (the process object's id, or 1 for threads with
 * no process).  The object tracks get a pseudo process after all of them.
 */
static void
assign_pids (Export *ex)
{
  guint n = tv_trace_get_n_threads (ex->trace);
  gint64 max_pid = 1;

  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        const TvTraceThread *t = tv_trace_get_thread (ex->trace, i);
        gpointer key;

        if (t == NULL)
          continue;
        key = GUINT_TO_POINTER (t->process);
        if (pass == 0 && t->pid >= 0 && !g_hash_table_contains (ex->pids, key))
          g_hash_table_insert (ex->pids, key, GSIZE_TO_POINTER ((gsize) t->pid));
        else if (pass == 1 && !g_hash_table_contains (ex->pids, key))
          g_hash_table_insert (ex->pids, key,
                               GSIZE_TO_POINTER ((gsize) (t->process != 0 ? t->process : 1)));
      }

  {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, ex->pids);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      max_pid = MAX (max_pid, (gint64) GPOINTER_TO_SIZE (value));
  }
  ex->objects_pid = max_pid + 1;
}

static void
write_metadata (Export *ex)
{
  guint n = tv_trace_get_n_threads (ex->trace);
  g_autoptr(GHashTable) named = g_hash_table_new (NULL, NULL);
  const char *title = tv_trace_get_title (ex->trace);

  for (guint i = 0; i < n; i++)
    {
      const TvTraceThread *t = tv_trace_get_thread (ex->trace, i);
      gint64 pid;

      if (t == NULL)
        continue;
      pid = thread_pid (ex, t);

      if (!g_hash_table_contains (named, GUINT_TO_POINTER (t->process)))
        {
          const char *pname = object_name (ex->trace, t->process);

          g_hash_table_add (named, GUINT_TO_POINTER (t->process));
          begin_event (ex, "M", pid, 0, 0);
          append_name (ex, "process_name");
          g_string_append (ex->buf, ",\"args\":{\"name\":");
          append_escaped (ex->buf, pname != NULL ? pname : (title != NULL ? title : "main"));
          g_string_append (ex->buf, "}}");
        }

      begin_event (ex, "M", pid, thread_tid (t), 0);
      append_name (ex, "thread_name");
      g_string_append (ex->buf, ",\"args\":{\"name\":");
      append_escaped (ex->buf, t->name);
      g_string_append (ex->buf, "}}");

      begin_event (ex, "M", pid, thread_tid (t), 0);
      append_name (ex, "thread_sort_index");
      g_string_append_printf (ex->buf, ",\"args\":{\"sort_index\":%u}}", t->index);
    }

  begin_event (ex, "M", ex->objects_pid, 0, 0);
  append_name (ex, "process_name");
  g_string_append (ex->buf, ",\"args\":{\"name\":\"objects\"}}");
  begin_event (ex, "M", ex->objects_pid, 0, 0);
  append_name (ex, "process_sort_index");
  g_string_append (ex->buf, ",\"args\":{\"sort_index\":1000000}}");
}

/* ---- Spans ----------------------------------------------------------- */

static void
write_spans (Export *ex)
{
  guint n = tv_trace_get_n_threads (ex->trace);
  gint64 trace_end = tv_trace_get_end_time (ex->trace);

  for (guint i = 0; i < n && ex->error == NULL; i++)
    {
      const TvTraceThread *t = tv_trace_get_thread (ex->trace, i);
      gint64 pid;

      if (t == NULL)
        continue;
      pid = thread_pid (ex, t);

      for (guint s = 0; s < t->spans->len; s++)
        {
          const TvSpan *span = &g_array_index (t->spans, TvSpan, s);
          g_autofree char *label = NULL;
          const char *oname;
          gint64 end;

          if (span->state == TV_STATE_NEW || span->state == TV_STATE_TERMINATED)
            continue;

          if (s + 1 < t->spans->len)
            end = g_array_index (t->spans, TvSpan, s + 1).start;
          else if (t->ended >= 0)
            end = t->ended;
          else
            end = trace_end;
          end = MAX (end, span->start);

          label = tv_chrome_span_label (ex->trace, span);
          begin_event (ex, "X", pid, thread_tid (t), span->start);
          g_string_append (ex->buf, ",\"dur\":");
          append_us (ex->buf, end - span->start);
          append_name (ex, label);
          g_string_append (ex->buf, ",\"cat\":\"state\",\"args\":{\"state\":");
          append_escaped (ex->buf, tv_thread_state_to_string (span->state));
          if ((oname = object_name (ex->trace, span->object)) != NULL)
            append_str_field (ex, "object", oname);
          if (span->line > 0)
            g_string_append_printf (ex->buf, ",\"line\":%u", span->line);
          g_string_append (ex->buf, "}}");
        }
    }
}

/* ---- Objects: holds and counters -------------------------------------- */

static void
write_counter (Export              *ex,
               const TvTraceObject *object,
               GArray              *points,
               const char          *suffix,
               const char          *key)
{
  g_autofree char *name = NULL;

  if (points == NULL || points->len == 0)
    return;

  name = g_strdup_printf ("%s %s%s", tv_object_kind_to_string (object->kind),
                          object->name != NULL ? object->name : "?", suffix);
  for (guint i = 0; i < points->len; i++)
    {
      const TvCounterPoint *p = &g_array_index (points, TvCounterPoint, i);

      begin_event (ex, "C", ex->objects_pid, 0, p->time);
      append_name (ex, name);
      g_string_append_printf (ex->buf, ",\"cat\":\"counter\",\"args\":{\"%s\":%" G_GINT64_FORMAT "}}",
                              key, p->value);
    }
}

static void
write_objects (Export *ex)
{
  guint n = tv_trace_get_n_objects (ex->trace);
  gint64 trace_end = tv_trace_get_end_time (ex->trace);
  guint64 async_id = 0;

  /* Ids run from 1 to n; an id never seen gives NULL. */
  for (guint32 id = 1; id <= n && ex->error == NULL; id++)
    {
      const TvTraceObject *o = tv_trace_get_object (ex->trace, id);
      g_autofree char *track = NULL;

      if (o == NULL)
        continue;

      track = g_strdup_printf ("%s %s", tv_object_kind_to_string (o->kind),
                               o->name != NULL ? o->name : "?");

      if (o->holds != NULL && o->holds->len > 0)
        {
          begin_event (ex, "M", ex->objects_pid, id, 0);
          append_name (ex, "thread_name");
          g_string_append (ex->buf, ",\"args\":{\"name\":");
          append_escaped (ex->buf, track);
          g_string_append (ex->buf, "}}");

          for (guint i = 0; i < o->holds->len; i++)
            {
              const TvHold *h = &g_array_index (o->holds, TvHold, i);
              gint64 end = h->end >= 0 ? MAX (h->end, h->start) : MAX (trace_end, h->start);
              const char *holder = thread_name (ex->trace, h->thread);

              /* Several threads hold a semaphore at once: their holds
               * overlap, which X events on one track may not, so they
               * become async slices. */
              if (o->kind == TV_OBJ_SEMAPHORE)
                {
                  async_id++;
                  begin_event (ex, "b", ex->objects_pid, id, h->start);
                  append_name (ex, holder);
                  g_string_append_printf (ex->buf, ",\"cat\":\"hold\",\"id\":%" G_GUINT64_FORMAT ",\"args\":{\"object\":",
                                          async_id);
                  append_escaped (ex->buf, o->name);
                  if (h->line > 0)
                    g_string_append_printf (ex->buf, ",\"line\":%u", h->line);
                  g_string_append (ex->buf, "}}");
                  begin_event (ex, "e", ex->objects_pid, id, end);
                  append_name (ex, holder);
                  g_string_append_printf (ex->buf, ",\"cat\":\"hold\",\"id\":%" G_GUINT64_FORMAT "}",
                                          async_id);
                }
              else
                {
                  begin_event (ex, "X", ex->objects_pid, id, h->start);
                  g_string_append (ex->buf, ",\"dur\":");
                  append_us (ex->buf, end - h->start);
                  append_name (ex, holder);
                  g_string_append (ex->buf, ",\"cat\":\"hold\",\"args\":{\"object\":");
                  append_escaped (ex->buf, o->name);
                  if (h->line > 0)
                    g_string_append_printf (ex->buf, ",\"line\":%u", h->line);
                  g_string_append (ex->buf, "}}");
                }
            }
        }

      write_counter (ex, o, o->depth, " depth", "depth");
      write_counter (ex, o, o->waiters, " waiters", "waiting");

      if (o->accesses != NULL)
        for (guint i = 0; i < o->accesses->len; i++)
          {
            const TvAccess *a = &g_array_index (o->accesses, TvAccess, i);

            if (!a->write)
              continue;
            begin_event (ex, "C", ex->objects_pid, 0, a->time);
            append_name (ex, track);
            g_string_append_printf (ex->buf, ",\"cat\":\"counter\",\"args\":{\"value\":%" G_GINT64_FORMAT "}}",
                                    a->value);
          }
    }
}

/* ---- Links, prints, problems ----------------------------------------- */

static const char *
link_name (TvLinkKind kind)
{
  switch (kind)
    {
    case TV_LINK_ITEM:    return "item";
    case TV_LINK_JOIN:    return "join";
    case TV_LINK_WAKE:    return "wake";
    case TV_LINK_UNBLOCK: return "unblock";
    case TV_LINK_START:   return "start";
    case TV_N_LINK_KINDS:
    default:              return "link";
    }
}

static void
write_links (Export *ex)
{
  GArray *links = tv_trace_get_links (ex->trace);

  for (guint i = 0; links != NULL && i < links->len && ex->error == NULL; i++)
    {
      const TvLink *l = &g_array_index (links, TvLink, i);
      const TvTraceThread *from = tv_trace_get_thread (ex->trace, l->from_thread);
      const TvTraceThread *to = tv_trace_get_thread (ex->trace, l->to_thread);
      const char *oname = object_name (ex->trace, l->object);

      if (from == NULL || to == NULL)
        continue;

      /* "s" binds to the slice enclosing it on the sending thread; "f" with
       * binding point "e" to the slice enclosing it on the receiver (the one
       * that begins there), not to the next slice. */
      begin_event (ex, "s", thread_pid (ex, from), thread_tid (from), l->from_time);
      append_name (ex, link_name (l->kind));
      g_string_append_printf (ex->buf, ",\"cat\":\"link\",\"id\":%u", i + 1);
      if (oname != NULL)
        {
          g_string_append (ex->buf, ",\"args\":{\"object\":");
          append_escaped (ex->buf, oname);
          g_string_append_c (ex->buf, '}');
        }
      g_string_append_c (ex->buf, '}');

      begin_event (ex, "f", thread_pid (ex, to), thread_tid (to), l->to_time);
      append_name (ex, link_name (l->kind));
      g_string_append_printf (ex->buf, ",\"cat\":\"link\",\"id\":%u,\"bp\":\"e\"}", i + 1);
    }
}

static void
write_prints (Export *ex)
{
  GArray *prints = tv_trace_get_prints (ex->trace);

  for (guint i = 0; prints != NULL && i < prints->len && ex->error == NULL; i++)
    {
      const TvPrint *p = &g_array_index (prints, TvPrint, i);
      const TvTraceThread *t = tv_trace_get_thread (ex->trace, p->thread);

      if (t == NULL)
        continue;
      begin_event (ex, "i", thread_pid (ex, t), thread_tid (t), p->time);
      append_name (ex, "print");
      g_string_append (ex->buf, ",\"cat\":\"print\",\"s\":\"t\",\"args\":{\"text\":");
      append_escaped (ex->buf, p->text);
      if (p->line > 0)
        g_string_append_printf (ex->buf, ",\"line\":%u", p->line);
      g_string_append (ex->buf, "}}");
    }
}

static void
write_problems (Export *ex)
{
  GArray *problems = tv_trace_get_problems (ex->trace);

  for (guint i = 0; problems != NULL && i < problems->len && ex->error == NULL; i++)
    {
      const TvProblem *p = &g_array_index (problems, TvProblem, i);
      const TvTraceThread *t = tv_trace_get_thread (ex->trace, p->thread);
      const char *oname = object_name (ex->trace, p->object);

      if (t == NULL)
        continue;
      begin_event (ex, "i", thread_pid (ex, t), thread_tid (t), p->time);
      append_name (ex, p->deadlock ? "deadlock" : "error");
      g_string_append (ex->buf, ",\"cat\":\"problem\",\"s\":\"t\",\"args\":{");
      g_string_append_printf (ex->buf, "\"line\":%u", p->line);
      if (oname != NULL)
        append_str_field (ex, "object", oname);
      if (p->deadlock && tv_trace_get_thread (ex->trace, p->holder) != NULL)
        append_str_field (ex, "held_by", thread_name (ex->trace, p->holder));
      if (p->message != NULL)
        append_str_field (ex, "message", p->message);
      g_string_append (ex->buf, "}}");
    }
}

/* ---- Pause marks ----------------------------------------------------- */

/*
 * Where the run stood paused, and each step: global instants ("s":"g"),
 * which Perfetto and chrome://tracing draw as a line across every track,
 * as the window does.  Global events still need a pid and tid: the stepped
 * thread's, or the first thread's, so that no viewer makes up a thread for
 * them.  args.mark (and args.thread for a step) let our import read them
 * back as pause marks rather than prints.
 */
static void
write_pauses (Export *ex)
{
  GArray *pauses = tv_trace_get_pauses (ex->trace);
  const TvTraceThread *first = NULL;

  for (guint i = 0; i < tv_trace_get_n_threads (ex->trace) && first == NULL; i++)
    first = tv_trace_get_thread (ex->trace, i);

  for (guint i = 0; pauses != NULL && i < pauses->len && ex->error == NULL; i++)
    {
      const TvPauseMark *m = &g_array_index (pauses, TvPauseMark, i);
      const TvTraceThread *stepped = m->aux != TV_NO_THREAD ? tv_trace_get_thread (ex->trace, m->aux) : NULL;
      const TvTraceThread *t = stepped != NULL ? stepped : first;
      gboolean resume = m->kind == TV_PAUSE_MARK_RESUME;
      g_autofree char *name = NULL;

      if (stepped != NULL)
        name = g_strdup_printf (resume ? "step of %s" : "step of %s ended", thread_name (ex->trace, m->aux));
      else
        name = g_strdup (resume ? "resumed" : "paused");

      begin_event (ex, "i", t != NULL ? thread_pid (ex, t) : 1, t != NULL ? thread_tid (t) : 0, m->time);
      append_name (ex, name);
      g_string_append_printf (ex->buf, ",\"cat\":\"pause\",\"s\":\"g\",\"args\":{\"mark\":\"%s\"",
                              resume ? "resume" : "pause");
      if (stepped != NULL)
        append_str_field (ex, "thread", thread_name (ex->trace, m->aux));
      if (resume)
        g_string_append_printf (ex->buf, ",\"wall_ns\":%" G_GINT64_FORMAT, m->wall_ns);
      g_string_append (ex->buf, "}}");
    }
}

/* ---- Public API ------------------------------------------------------ */

gboolean
tv_chrome_export_to_stream (TvTrace       *trace,
                            GOutputStream *stream,
                            GCancellable  *cancellable,
                            GError       **error)
{
  Export ex = { 0 };
  const char *title;

  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);

  ex.trace = trace;
  ex.stream = stream;
  ex.cancellable = cancellable;
  ex.buf = g_string_sized_new (FLUSH_SIZE + 4096);
  ex.first = TRUE;
  ex.pids = g_hash_table_new (NULL, NULL);

  assign_pids (&ex);

  g_string_append (ex.buf, "{\"traceEvents\":[");
  write_metadata (&ex);
  write_spans (&ex);
  write_objects (&ex);
  write_links (&ex);
  write_prints (&ex);
  write_problems (&ex);
  write_pauses (&ex);
  g_string_append (ex.buf, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":");
  append_escaped (ex.buf, "ThreadViz " PACKAGE_VERSION);
  if ((title = tv_trace_get_title (trace)) != NULL)
    append_str_field (&ex, "title", title);
  g_string_append (ex.buf, "}}\n");
  flush (&ex);

  g_string_free (ex.buf, TRUE);
  g_hash_table_unref (ex.pids);

  if (ex.error != NULL)
    {
      g_propagate_error (error, ex.error);
      return FALSE;
    }

  return TRUE;
}

gboolean
tv_chrome_export (TvTrace     *trace,
                  const char  *path,
                  GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  file = g_file_new_for_path (path);
  name = g_filename_display_name (path);

  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, &local_error);
  if (out != NULL)
    {
      if (!tv_chrome_export_to_stream (trace, G_OUTPUT_STREAM (out), NULL, &local_error))
        {
          g_autoptr(GCancellable) abort = g_cancellable_new ();

          g_cancellable_cancel (abort);
          g_output_stream_close (G_OUTPUT_STREAM (out), abort, NULL);
        }
      else
        g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &local_error);
    }

  if (local_error != NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", name, local_error->message);
      return FALSE;
    }

  return TRUE;
}
