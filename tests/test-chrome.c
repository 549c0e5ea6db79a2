/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-chrome.c: Chrome Trace Event Format: the export parses back and holds
 * the expected events; hand-written JSON from elsewhere imports into the
 * expected threads, spans, prints, links and counters; bad JSON is an error
 * naming the file and the place.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tv-capture-reader.h"
#include "tv-capture-writer.h"
#include "tv-chrome-export.h"
#include "tv-chrome-import.h"
#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-trace.h"
#include "tv-trace-fixtures.h"

/* The "Handoff" run of tv-trace-fixtures.h, with its title. */
static TvTrace *
make_run (void)
{
  Feed feed = { tv_trace_new (), NULL };

  tv_trace_set_title (feed.trace, "Handoff");
  feed_handoff_run (&feed);
  return feed.trace;
}

static char *
export_to_string (TvTrace *trace)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  tv_chrome_export_to_stream (trace, out, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (out, "", 1, NULL, NULL, NULL);
  g_output_stream_close (out, NULL, NULL);

  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

/* The events with phase `ph` and name `name` (and tid, unless -1). */
static GPtrArray *
find (JsonArray  *events,
      const char *ph,
      const char *name,
      gint64      tid)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *e = json_array_get_object_element (events, i);

      if (g_strcmp0 (json_object_get_string_member (e, "ph"), ph) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (e, "name", ""), name) == 0 &&
          (tid < 0 || json_object_get_int_member (e, "tid") == tid))
        g_ptr_array_add (found, e);
    }

  return found;
}

static JsonObject *
find_one (JsonArray  *events,
          const char *ph,
          const char *name,
          gint64      tid)
{
  g_autoptr(GPtrArray) found = find (events, ph, name, tid);

  if (found->len != 1)
    g_error ("%u events %s \"%s\" on tid %" G_GINT64_FORMAT ", expected 1", found->len, ph, name, tid);
  return g_ptr_array_index (found, 0);
}

static double
ts_of (JsonObject *e, const char *member)
{
  return json_node_get_double (json_object_get_member (e, member));
}

static JsonObject *
args_of (JsonObject *e)
{
  return json_object_get_object_member (e, "args");
}

/* ---- Export ---------------------------------------------------------- */

static void
test_export (void)
{
  g_autoptr(TvTrace) trace = make_run ();
  g_autofree char *json = export_to_string (trace);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root, *e;
  JsonArray *events;
  gint64 objects_pid;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "displayTimeUnit"), ==, "ns");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "otherData"), "title"),
                   ==, "Handoff");
  events = json_object_get_array_member (root, "traceEvents");

  /* Names: one process with its real pid; real tid when known, else the
   * thread index. */
  {
    g_autoptr(GPtrArray) procs = find (events, "M", "process_name", 0);

    /* The run's process, then the pseudo process of the object tracks. */
    g_assert_cmpuint (procs->len, ==, 2);
    g_assert_cmpint (json_object_get_int_member (procs->pdata[0], "pid"), ==, 1000);
    g_assert_cmpstr (json_object_get_string_member (args_of (procs->pdata[0]), "name"), ==, "main");
    g_assert_cmpstr (json_object_get_string_member (args_of (procs->pdata[1]), "name"), ==, "objects");
  }
  e = find_one (events, "M", "thread_name", 4321);
  g_assert_cmpint (json_object_get_int_member (e, "pid"), ==, 1000);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "name"), ==, "MainThread");
  e = find_one (events, "M", "thread_name", 1);
  g_assert_cmpint (json_object_get_int_member (e, "pid"), ==, 1000);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "name"), ==, "worker-2");

  /* State spans: complete events named after the state and its object. */
  e = find_one (events, "X", "blocked on lock L", 2);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.045, 1e-9);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "dur"), 0.016, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "object"), ==, "L");
  g_assert_cmpint (json_object_get_int_member (args_of (e), "line"), ==, 8);
  g_assert_cmpstr (json_object_get_string_member (e, "cat"), ==, "state");
  e = find_one (events, "X", "running", 1);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.030, 1e-9);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "dur"), 0.045, 1e-9);
  e = find_one (events, "X", "sleeping", 1);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "dur"), 0.025, 1e-9);
  /* New and terminated are not spans worth drawing. */
  g_assert_null (strstr (json, "\"name\":\"new\""));
  g_assert_null (strstr (json, "\"name\":\"terminated\""));
  /* Timestamps keep ns in three decimals. */
  g_assert_nonnull (strstr (json, "\"ts\":1234.567"));

  /* Holds: on the lock's own track in the objects process. */
  {
    g_autoptr(GPtrArray) tracks = find (events, "M", "thread_name", 2);
    JsonObject *lock_track = NULL;

    for (guint i = 0; i < tracks->len; i++)
      if (g_strcmp0 (json_object_get_string_member (args_of (tracks->pdata[i]), "name"), "lock L") == 0)
        lock_track = tracks->pdata[i];
    g_assert_nonnull (lock_track);
    objects_pid = json_object_get_int_member (lock_track, "pid");
    g_assert_cmpint (objects_pid, !=, 1000);
  }
  e = find_one (events, "X", "worker-2", 2);
  g_assert_cmpint (json_object_get_int_member (e, "pid"), ==, objects_pid);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.040, 1e-9);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "dur"), 0.020, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (e, "cat"), ==, "hold");
  e = find_one (events, "X", "consumer", 2);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.061, 1e-9);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "dur"), 0.034, 1e-9);

  /* Flows: the queue item from worker (tid 1) to consumer (tid 2), and
   * the lock handed from worker to consumer; same id at both ends. */
  {
    JsonObject *s = find_one (events, "s", "item", 1);
    JsonObject *f = find_one (events, "f", "item", 2);

    g_assert_cmpfloat_with_epsilon (ts_of (s, "ts"), 0.070, 1e-9);
    g_assert_cmpfloat_with_epsilon (ts_of (f, "ts"), 0.080, 1e-9);
    g_assert_cmpint (json_object_get_int_member (s, "id"), ==, json_object_get_int_member (f, "id"));
    g_assert_cmpstr (json_object_get_string_member (f, "bp"), ==, "e");
    g_assert_cmpstr (json_object_get_string_member (s, "cat"), ==, json_object_get_string_member (f, "cat"));

    s = find_one (events, "s", "unblock", 1);
    f = find_one (events, "f", "unblock", 2);
    g_assert_cmpfloat_with_epsilon (ts_of (s, "ts"), 0.060, 1e-9);
    g_assert_cmpfloat_with_epsilon (ts_of (f, "ts"), 0.061, 1e-9);
    g_assert_cmpint (json_object_get_int_member (s, "id"), ==, json_object_get_int_member (f, "id"));
  }

  /* Counters: queue depth and the variable's value. */
  {
    g_autoptr(GPtrArray) depth = find (events, "C", "queue Q depth", -1);
    g_autoptr(GPtrArray) var = find (events, "C", "var counter", -1);
    g_autoptr(GPtrArray) waiters = find (events, "C", "lock L waiters", -1);

    g_assert_cmpuint (depth->len, ==, 2);
    g_assert_cmpfloat_with_epsilon (ts_of (depth->pdata[0], "ts"), 0.070, 1e-9);
    g_assert_cmpint (json_object_get_int_member (args_of (depth->pdata[0]), "depth"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (args_of (depth->pdata[1]), "depth"), ==, 0);
    g_assert_cmpuint (var->len, ==, 1);
    g_assert_cmpint (json_object_get_int_member (args_of (var->pdata[0]), "value"), ==, 1);
    g_assert_cmpuint (waiters->len, >=, 2);
    g_assert_cmpint (json_object_get_int_member (args_of (waiters->pdata[0]), "waiting"), ==, 1);
  }

  /* Prints and problems: thread-scoped instant events. */
  {
    g_autoptr(GPtrArray) prints = find (events, "i", "print", 2);

    /* The second print's text was lost: it is still there, empty. */
    g_assert_cmpuint (prints->len, ==, 2);
    e = prints->pdata[0];
    g_assert_cmpstr (json_object_get_string_member (e, "s"), ==, "t");
    g_assert_cmpstr (json_object_get_string_member (args_of (e), "text"), ==, AWKWARD);
    g_assert_cmpint (json_object_get_int_member (args_of (e), "line"), ==, 14);
    g_assert_cmpstr (json_object_get_string_member (args_of (prints->pdata[1]), "text"), ==, "");
  }
  e = find_one (events, "i", "error", 4321);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "message"), ==, "division by zero");
  e = find_one (events, "i", "deadlock", 4321);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "object"), ==, "L");
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "held_by"), ==, "worker-2");
}

static void
test_export_file (void)
{
  g_autoptr(TvTrace) trace = make_run ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tv-chrome-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "run.json", NULL);
  g_autofree char *bad = g_build_filename (dir, "missing", "run.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  tv_chrome_export (trace, path, &error);
  g_assert_no_error (error);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  g_assert_false (tv_chrome_export (trace, bad, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, bad));

  g_remove (path);
  g_rmdir (dir);
}

/* An empty trace is still a valid trace file. */
static void
test_export_empty (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autofree char *json = export_to_string (trace);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
}

/* ---- Import ---------------------------------------------------------- */

static const char import_json[] =
  "{\"traceEvents\":[\n"
  " {\"ph\":\"M\",\"pid\":7,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"server\"}},\n"
  " {\"ph\":\"M\",\"pid\":7,\"tid\":70,\"name\":\"thread_name\",\"args\":{\"name\":\"io\"}},\n"
  " {\"ph\":\"M\",\"pid\":7,\"tid\":71,\"name\":\"thread_name\",\"args\":{\"name\":\"db\"}},\n"
  " {\"ph\":\"X\",\"pid\":7,\"tid\":70,\"ts\":1000,\"dur\":50,\"name\":\"read\"},\n"
  " {\"ph\":\"X\",\"pid\":7,\"tid\":70,\"ts\":1010,\"dur\":10.5,\"name\":\"parse\"},\n"
  " {\"ph\":\"B\",\"pid\":7,\"tid\":71,\"ts\":1020,\"name\":\"query\"},\n"
  " {\"ph\":\"E\",\"pid\":7,\"tid\":71,\"ts\":1080},\n"
  " {\"ph\":\"i\",\"pid\":7,\"tid\":70,\"ts\":1030,\"name\":\"cache miss\",\"s\":\"t\"},\n"
  " {\"ph\":\"I\",\"pid\":7,\"tid\":71,\"ts\":1040,\"name\":\"note\",\"args\":{\"text\":\"hello\"}},\n"
  " {\"ph\":\"i\",\"pid\":7,\"tid\":71,\"ts\":1041,\"name\":\"mark\",\"args\":{\"n\":3}},\n"
  " {\"ph\":\"C\",\"pid\":7,\"ts\":1000,\"name\":\"backlog\",\"args\":{\"depth\":3}},\n"
  " {\"ph\":\"C\",\"pid\":7,\"ts\":1060,\"name\":\"backlog\",\"args\":{\"depth\":1}},\n"
  " {\"ph\":\"s\",\"pid\":7,\"tid\":70,\"ts\":1015,\"name\":\"req\",\"cat\":\"net\",\"id\":1},\n"
  " {\"ph\":\"t\",\"pid\":7,\"tid\":71,\"ts\":1025,\"name\":\"req\",\"cat\":\"net\",\"id\":1},\n"
  " {\"ph\":\"f\",\"pid\":7,\"tid\":70,\"ts\":1045,\"name\":\"req\",\"cat\":\"net\",\"id\":1,\"bp\":\"e\"},\n"
  " {\"ph\":\"Z\",\"pid\":7,\"tid\":70,\"ts\":1000},\n"
  " {\"ph\":\"X\",\"pid\":\"odd\",\"tid\":[1],\"ts\":\"x\",\"dur\":-5,\"name\":3},\n"
  " {\"ph\":5}, 17, null, {\"ph\":\"C\",\"pid\":7,\"ts\":1070,\"name\":\"bad\",\"args\":[1]},\n"
  " {\"ph\":\"i\",\"pid\":7,\"tid\":70,\"ts\":1070,\"name\":\"x\",\"args\":{\"line\":\"no\"}}\n"
  "],\"displayTimeUnit\":\"ms\",\"otherData\":{\"title\":\"From elsewhere\"}}\n";

/* The spans of `thread` that last: zero-length ones mark where an
 * imported thread begins, not what it did. */
static GArray *
lasting_spans (const TvTraceThread *thread)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (TvSpan));

  for (guint i = 0; i < thread->spans->len; i++)
    {
      const TvSpan *s = &g_array_index (thread->spans, TvSpan, i);

      if (i + 1 < thread->spans->len && g_array_index (thread->spans, TvSpan, i + 1).start == s->start)
        continue;
      g_array_append_val (out, *s);
    }
  return out;
}

static void
assert_span (TvTrace    *trace,
             GArray     *spans,
             guint       i,
             gint64      start,
             guint8      state,
             const char *object)
{
  const TvSpan *s;

  g_assert_cmpuint (i, <, spans->len);
  s = &g_array_index (spans, TvSpan, i);
  g_assert_cmpint (s->start, ==, start);
  g_assert_cmpstr (tv_thread_state_to_string (s->state), ==, tv_thread_state_to_string (state));
  if (object == NULL)
    g_assert_cmpuint (s->object, ==, 0);
  else
    g_assert_cmpstr (tv_trace_get_object (trace, s->object)->name, ==, object);
}

static void
check_imported (TvTrace *trace)
{
  const TvTraceThread *io, *db;
  const TvTraceObject *backlog;
  g_autoptr(GArray) io_spans = NULL;
  g_autoptr(GArray) db_spans = NULL;
  GArray *prints, *links;

  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 2);
  io = tv_trace_get_thread (trace, 0);
  db = tv_trace_get_thread (trace, 1);
  g_assert_cmpstr (io->name, ==, "io");
  g_assert_cmpstr (db->name, ==, "db");
  g_assert_cmpint (io->pid, ==, 7);
  g_assert_cmpint (io->tid, ==, 70);
  g_assert_cmpstr (tv_trace_get_object (trace, io->process)->name, ==, "server");
  g_assert_cmpuint (tv_trace_get_object (trace, io->process)->kind, ==, TV_OBJ_PROCESS);
  g_assert_cmpuint (db->process, ==, io->process);
  g_assert_cmpstr (tv_trace_get_title (trace), ==, "From elsewhere");
  g_assert_true (tv_trace_is_finished (trace));
  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 80000);

  /* Nested slices: the inner one wins, the outer resumes. */
  io_spans = lasting_spans (io);
  g_assert_cmpuint (io_spans->len, ==, 4);
  assert_span (trace, io_spans, 0, 0, TV_STATE_RUNNING, "read");
  assert_span (trace, io_spans, 1, 10000, TV_STATE_RUNNING, "parse");
  assert_span (trace, io_spans, 2, 20500, TV_STATE_RUNNING, "read");
  assert_span (trace, io_spans, 3, 50000, TV_STATE_SLEEPING, NULL);
  g_assert_cmpuint (tv_trace_get_object (trace, g_array_index (io_spans, TvSpan, 0).object)->kind,
                    ==, TV_OBJ_NONE);

  db_spans = lasting_spans (db);
  g_assert_cmpuint (db_spans->len, ==, 3);
  assert_span (trace, db_spans, 0, 0, TV_STATE_NEW, NULL);
  assert_span (trace, db_spans, 1, 20000, TV_STATE_RUNNING, "query");
  assert_span (trace, db_spans, 2, 80000, TV_STATE_SLEEPING, NULL);
  g_assert_cmpint (db->started, ==, 20000);

  prints = tv_trace_get_prints (trace);
  g_assert_cmpuint (prints->len, ==, 4);
  g_assert_cmpstr (g_array_index (prints, TvPrint, 0).text, ==, "cache miss");
  g_assert_cmpint (g_array_index (prints, TvPrint, 0).time, ==, 30000);
  g_assert_cmpuint (g_array_index (prints, TvPrint, 0).thread, ==, 0);
  g_assert_cmpstr (g_array_index (prints, TvPrint, 1).text, ==, "hello");
  g_assert_cmpuint (g_array_index (prints, TvPrint, 1).thread, ==, 1);
  g_assert_cmpstr (g_array_index (prints, TvPrint, 2).text, ==, "mark {\"n\":3}");
  g_assert_cmpstr (g_array_index (prints, TvPrint, 3).text, ==, "x {\"line\":\"no\"}");

  /* s → t → f: two links, each from where the flow last was. */
  links = tv_trace_get_links (trace);
  g_assert_cmpuint (links->len, ==, 2);
  g_assert_cmpuint (g_array_index (links, TvLink, 0).from_thread, ==, 0);
  g_assert_cmpint (g_array_index (links, TvLink, 0).from_time, ==, 15000);
  g_assert_cmpuint (g_array_index (links, TvLink, 0).to_thread, ==, 1);
  g_assert_cmpint (g_array_index (links, TvLink, 0).to_time, ==, 25000);
  g_assert_cmpuint (g_array_index (links, TvLink, 1).from_thread, ==, 1);
  g_assert_cmpuint (g_array_index (links, TvLink, 1).to_thread, ==, 0);
  g_assert_cmpint (g_array_index (links, TvLink, 1).to_time, ==, 45000);

  backlog = tv_trace_find_object (trace, "backlog");
  g_assert_nonnull (backlog);
  g_assert_cmpuint (backlog->kind, ==, TV_OBJ_QUEUE);
  g_assert_cmpuint (backlog->depth->len, ==, 2);
  g_assert_cmpint (g_array_index (backlog->depth, TvCounterPoint, 0).time, ==, 0);
  g_assert_cmpint (g_array_index (backlog->depth, TvCounterPoint, 0).value, ==, 3);
  g_assert_cmpint (g_array_index (backlog->depth, TvCounterPoint, 1).time, ==, 60000);
  g_assert_cmpint (g_array_index (backlog->depth, TvCounterPoint, 1).value, ==, 1);
  g_assert_null (tv_trace_find_object (trace, "bad"));
}

static void
test_import (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GError) error = NULL;

  tv_chrome_import_data (import_json, strlen (import_json), "server.json", trace, NULL, &error);
  g_assert_no_error (error);
  check_imported (trace);
}

/* An import can be saved as .tvt and opened again, unchanged. */
static void
test_import_save (void)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(TvTrace) again = NULL;
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tv-chrome-XXXXXX", &error);
  g_autofree char *json_path = g_build_filename (dir, "server.json", NULL);
  g_autofree char *tvt_path = g_build_filename (dir, "server.tvt", NULL);
  g_autoptr(TvCaptureReader) reader = NULL;

  g_file_set_contents (json_path, import_json, -1, &error);
  g_assert_no_error (error);
  tv_chrome_import (json_path, trace, writer, &error);
  g_assert_no_error (error);
  tv_capture_writer_save (writer, tvt_path, &error);
  g_assert_no_error (error);

  reader = tv_capture_reader_new (tvt_path, &error);
  g_assert_no_error (error);
  g_assert_true (tv_capture_reader_get_flags (reader) & TV_CAPTURE_FLAG_IMPORTED);
  again = tv_trace_new ();
  tv_capture_reader_replay (reader, again, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  check_imported (again);
  g_assert_cmpuint (tv_trace_get_n_events (again), ==, tv_trace_get_n_events (trace));

  g_remove (json_path);
  g_remove (tvt_path);
  g_rmdir (dir);
}

static void
test_import_array (void)
{
  static const char json[] = "[{\"ph\":\"X\",\"pid\":1,\"tid\":5,\"ts\":5,\"dur\":1,\"name\":\"a\"}]";
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GError) error = NULL;
  const TvTraceThread *t;

  tv_chrome_import_data (json, strlen (json), "a.json", trace, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 1);
  t = tv_trace_get_thread (trace, 0);
  g_assert_cmpstr (t->name, ==, "thread 5");
  g_assert_cmpstr (tv_trace_get_object (trace, t->process)->name, ==, "process 1");
  g_assert_cmpint (tv_trace_get_end_time (trace), ==, 1000);
  g_assert_cmpuint (tv_trace_thread_state_at (t, 500), ==, TV_STATE_RUNNING);
  g_assert_cmpuint (tv_trace_thread_state_at (t, 1000), ==, TV_STATE_SLEEPING);
}

/* Flows of the newer kind: bind_id with flow_out / flow_in on slices. */
static void
test_import_bind (void)
{
  static const char json[] =
    "[{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":0,\"dur\":5,\"name\":\"send\",\"bind_id\":\"0x1\",\"flow_out\":true},"
    " {\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":10,\"dur\":5,\"name\":\"recv\",\"bind_id\":\"0x1\",\"flow_in\":true},"
    " {\"ph\":\"X\",\"pid\":1,\"tid\":2,\"ts\":20,\"dur\":5,\"name\":\"lost\",\"bind_id\":\"0x2\",\"flow_in\":true}]";
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GError) error = NULL;
  GArray *links;

  tv_chrome_import_data (json, strlen (json), "bind.json", trace, NULL, &error);
  g_assert_no_error (error);
  links = tv_trace_get_links (trace);
  g_assert_cmpuint (links->len, ==, 1);
  g_assert_cmpuint (g_array_index (links, TvLink, 0).kind, ==, TV_LINK_WAKE);
  g_assert_cmpuint (g_array_index (links, TvLink, 0).from_thread, ==, 0);
  g_assert_cmpint (g_array_index (links, TvLink, 0).from_time, ==, 0);
  g_assert_cmpuint (g_array_index (links, TvLink, 0).to_thread, ==, 1);
  g_assert_cmpint (g_array_index (links, TvLink, 0).to_time, ==, 10000);
}

/* Our export, read back: every span becomes a slice of the same name. */
static void
test_export_import (void)
{
  g_autoptr(TvTrace) trace = make_run ();
  g_autofree char *json = export_to_string (trace);
  g_autoptr(TvTrace) back = tv_trace_new ();
  g_autoptr(GError) error = NULL;
  const TvTraceThread *consumer;

  tv_chrome_import_data (json, strlen (json), "run.json", back, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (tv_trace_get_title (back), ==, "Handoff");

  consumer = tv_trace_find_thread (back, "consumer");
  g_assert_nonnull (consumer);
  g_assert_cmpint (consumer->tid, ==, 2);
  g_assert_cmpint (consumer->pid, ==, 1000);
  g_assert_cmpuint (tv_trace_thread_state_at (consumer, 50), ==, TV_STATE_RUNNING);
  {
    const TvSpan *s = NULL;

    for (guint i = 0; i < consumer->spans->len; i++)
      if (g_array_index (consumer->spans, TvSpan, i).start == 45)
        s = &g_array_index (consumer->spans, TvSpan, i);
    g_assert_nonnull (s);
    g_assert_cmpstr (tv_trace_get_object (back, s->object)->name, ==, "blocked on lock L");
  }
  g_assert_cmpstr (g_array_index (tv_trace_get_prints (back), TvPrint, 0).text, ==, AWKWARD);
  /* Two flows (item, unblock) and the start links of the two threads. */
  g_assert_cmpuint (tv_trace_get_links (back)->len, ==, tv_trace_get_links (trace)->len);
}

/* Where the run stood paused and each step: global instants that come back
 * as the same pause marks, not as prints. */
static void
test_pauses (void)
{
  static const char gc_json[] =
    "[{\"ph\":\"i\",\"s\":\"g\",\"cat\":\"pause\",\"name\":\"gc\","
    "\"pid\":1,\"tid\":2,\"ts\":5,\"args\":{\"mark\":\"major\"}}]";
  Feed feed = { tv_trace_new (), NULL };
  g_autoptr(TvTrace) trace = feed.trace;
  g_autoptr(TvTrace) back = tv_trace_new ();
  g_autoptr(TvTrace) foreign = tv_trace_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  JsonArray *events;
  JsonObject *e;

  feed_paused_run (&feed);
  json = export_to_string (trace);
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  events = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                         "traceEvents");

  /* A user's pause and resume: on the first thread, across every track. */
  e = find_one (events, "i", "paused", 0);
  g_assert_cmpstr (json_object_get_string_member (e, "s"), ==, "g");
  g_assert_cmpstr (json_object_get_string_member (e, "cat"), ==, "pause");
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.020, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "mark"), ==, "pause");
  g_assert_false (json_object_has_member (args_of (e), "thread"));
  e = find_one (events, "i", "resumed", 0);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.030, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "mark"), ==, "resume");
  g_assert_cmpint (json_object_get_int_member (args_of (e), "wall_ns"), ==, 7000000);
  /* A step of worker (tid 1, its index): it begins with a resume and ends
   * with a pause, both naming it. */
  e = find_one (events, "i", "step of worker", 1);
  g_assert_cmpstr (json_object_get_string_member (e, "s"), ==, "g");
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.020, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "mark"), ==, "resume");
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "thread"), ==, "worker");
  g_assert_cmpint (json_object_get_int_member (args_of (e), "wall_ns"), ==, 5000000);
  e = find_one (events, "i", "step of worker ended", 1);
  g_assert_cmpfloat_with_epsilon (ts_of (e, "ts"), 0.030, 1e-9);
  g_assert_cmpstr (json_object_get_string_member (args_of (e), "mark"), ==, "pause");

  /* Back in: the same marks in the same order, no print, no new thread. */
  tv_chrome_import_data (json, strlen (json), "run.json", back, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tv_trace_get_pauses (trace)->len, ==, 4);
  assert_pauses_equal (trace, back);
  g_assert_cmpstr (tv_trace_get_thread (back, g_array_index (tv_trace_get_pauses (back), TvPauseMark, 1).aux)->name,
                   ==, "worker");
  g_assert_cmpuint (tv_trace_get_prints (back)->len, ==, 0);
  g_assert_cmpuint (tv_trace_get_n_threads (back), ==, 2);

  /* Another program's instant of the same category, without our mark, is
   * a print as any instant. */
  tv_chrome_import_data (gc_json, strlen (gc_json), "gc.json", foreign, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tv_trace_get_pauses (foreign)->len, ==, 0);
  g_assert_cmpuint (tv_trace_get_prints (foreign)->len, ==, 1);
}

static void
assert_import_error (const char *json,
                     int         code,
                     const char *message)
{
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (tv_chrome_import_data (json, strlen (json), "bad.json", trace, NULL, &error));
  g_assert_error (error, TV_CHROME_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 0);
}

static void
test_malformed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvTrace) trace = tv_trace_new ();

  assert_import_error ("{\"traceEvents\":[\n {\"ph\":\"X\",}\n]}", TV_CHROME_ERROR_PARSE,
                       "bad.json:2:11: Parse error: unexpected character `,', expected character `]'");
  assert_import_error ("", TV_CHROME_ERROR_INVALID, "bad.json: empty file, not a Chrome trace");
  assert_import_error ("  \n", TV_CHROME_ERROR_INVALID, "bad.json: empty file, not a Chrome trace");
  assert_import_error ("{\"foo\":1}", TV_CHROME_ERROR_INVALID,
                       "bad.json: not a Chrome trace (expected an array of events or an object with \"traceEvents\")");
  assert_import_error ("\"text\"", TV_CHROME_ERROR_INVALID,
                       "bad.json: not a Chrome trace (expected an array of events or an object with \"traceEvents\")");

  g_assert_false (tv_chrome_import ("/nonexistent/x.json", trace, NULL, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* A real run of every lesson exports to JSON that parses, with a slice for
 * every span worth drawing. */
static void
test_real_runs (void)
{
  static const char *const lessons[] = { "producer-consumer.tvs", "deadlock.tvs", "processes.tvs" };

  for (guint i = 0; i < G_N_ELEMENTS (lessons); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TvTrace) trace = tv_trace_new ();
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GPtrArray) running = NULL;
      g_autoptr(TvRun) run = NULL;
      g_autofree char *json = NULL;
      g_autofree char *text = NULL;
      Feed feed = { trace, NULL };
      JsonArray *events;
      guint spans = 0;

      run = run_lesson (lessons[i], &feed, &text);
      json = export_to_string (trace);
      json_parser_load_from_data (parser, json, -1, &error);
      g_assert_no_error (error);
      events = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                             "traceEvents");

      for (guint t = 0; t < tv_trace_get_n_threads (trace); t++)
        {
          const TvTraceThread *thread = tv_trace_get_thread (trace, t);

          for (guint k = 0; thread != NULL && k < thread->spans->len; k++)
            {
              guint8 state = g_array_index (thread->spans, TvSpan, k).state;

              spans += state != TV_STATE_NEW && state != TV_STATE_TERMINATED;
            }
        }
      {
        guint x = 0;

        for (guint k = 0; k < json_array_get_length (events); k++)
          {
            JsonObject *e = json_array_get_object_element (events, k);

            x += g_strcmp0 (json_object_get_string_member (e, "ph"), "X") == 0 &&
                 g_strcmp0 (json_object_get_string_member (e, "cat"), "state") == 0;
          }
        g_assert_cmpuint (x, ==, spans);
      }
      running = find (events, "X", "running", -1);
      g_assert_cmpuint (running->len, >, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/chrome/export", test_export);
  g_test_add_func ("/tv/chrome/export-file", test_export_file);
  g_test_add_func ("/tv/chrome/export-empty", test_export_empty);
  g_test_add_func ("/tv/chrome/import", test_import);
  g_test_add_func ("/tv/chrome/import-save", test_import_save);
  g_test_add_func ("/tv/chrome/import-array", test_import_array);
  g_test_add_func ("/tv/chrome/import-bind", test_import_bind);
  g_test_add_func ("/tv/chrome/export-import", test_export_import);
  g_test_add_func ("/tv/chrome/pauses", test_pauses);
  g_test_add_func ("/tv/chrome/malformed", test_malformed);
  g_test_add_func ("/tv/chrome/real-runs", test_real_runs);

  return g_test_run ();
}
