/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-capture.c: `.tvt` trace files: the round trip gives the same model,
 * and damaged, truncated, hostile or foreign files give a clear error,
 * never a crash.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "tv-capture-reader.h"
#include "tv-recorder.h"
#include "tv-capture-writer.h"
#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-trace.h"
#include "tv-trace-fixtures.h"

#define SCENARIO_TEXT "title \"Handoff\"\nlock L\nqueue Q\nvar counter = 0\n"

/* ---- Comparing two models -------------------------------------------- */

static void
assert_points_equal (GArray *a,
                     GArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      g_assert_cmpint (g_array_index (a, TvCounterPoint, i).time, ==, g_array_index (b, TvCounterPoint, i).time);
      g_assert_cmpint (g_array_index (a, TvCounterPoint, i).value, ==, g_array_index (b, TvCounterPoint, i).value);
    }
}

static void
assert_traces_equal (TvTrace *a,
                     TvTrace *b)
{
  GArray *la, *lb;

  g_assert_cmpuint (tv_trace_get_n_threads (a), ==, tv_trace_get_n_threads (b));
  g_assert_cmpuint (tv_trace_get_n_objects (a), ==, tv_trace_get_n_objects (b));
  g_assert_cmpint (tv_trace_get_end_time (a), ==, tv_trace_get_end_time (b));
  g_assert_cmpint (tv_trace_is_finished (a), ==, tv_trace_is_finished (b));
  g_assert_cmpuint (tv_trace_get_run_status (a), ==, tv_trace_get_run_status (b));
  g_assert_cmpuint (tv_trace_get_n_events (a), ==, tv_trace_get_n_events (b));
  g_assert_cmpuint (tv_trace_get_dropped (a), ==, tv_trace_get_dropped (b));

  assert_pauses_equal (a, b);

  for (guint i = 0; i < tv_trace_get_n_threads (a); i++)
    {
      const TvTraceThread *ta = tv_trace_get_thread (a, i);
      const TvTraceThread *tb = tv_trace_get_thread (b, i);

      g_assert_true ((ta == NULL) == (tb == NULL));
      if (ta == NULL)
        continue;
      g_assert_cmpuint (ta->index, ==, tb->index);
      g_assert_cmpstr (ta->name, ==, tb->name);
      g_assert_cmpstr (ta->initial_name, ==, tb->initial_name);
      g_assert_cmpuint (ta->process, ==, tb->process);
      g_assert_cmpint (ta->pid, ==, tb->pid);
      g_assert_cmpint (ta->tid, ==, tb->tid);
      g_assert_cmpint (ta->created, ==, tb->created);
      g_assert_cmpint (ta->started, ==, tb->started);
      g_assert_cmpint (ta->ended, ==, tb->ended);
      g_assert_cmpuint (ta->dropped, ==, tb->dropped);

      g_assert_cmpuint (ta->renames->len, ==, tb->renames->len);
      for (guint r = 0; r < ta->renames->len; r++)
        {
          g_assert_cmpint (g_array_index (ta->renames, TvRename, r).time, ==,
                           g_array_index (tb->renames, TvRename, r).time);
          g_assert_cmpstr (g_array_index (ta->renames, TvRename, r).name, ==,
                           g_array_index (tb->renames, TvRename, r).name);
        }

      g_assert_cmpuint (ta->spans->len, ==, tb->spans->len);
      for (guint s = 0; s < ta->spans->len; s++)
        {
          const TvSpan *sa = &g_array_index (ta->spans, TvSpan, s);
          const TvSpan *sb = &g_array_index (tb->spans, TvSpan, s);

          g_assert_cmpint (sa->start, ==, sb->start);
          g_assert_cmpuint (sa->state, ==, sb->state);
          g_assert_cmpuint (sa->object, ==, sb->object);
          g_assert_cmpuint (sa->aux, ==, sb->aux);
          g_assert_cmpuint (sa->line, ==, sb->line);
        }
    }

  for (guint32 id = 1; id <= tv_trace_get_n_objects (a); id++)
    {
      const TvTraceObject *oa = tv_trace_get_object (a, id);
      const TvTraceObject *ob = tv_trace_get_object (b, id);

      g_assert_true ((oa == NULL) == (ob == NULL));
      if (oa == NULL)
        continue;
      g_assert_cmpuint (oa->id, ==, ob->id);
      g_assert_cmpuint (oa->kind, ==, ob->kind);
      g_assert_cmpstr (oa->name, ==, ob->name);

      g_assert_cmpuint (oa->holds->len, ==, ob->holds->len);
      for (guint h = 0; h < oa->holds->len; h++)
        {
          const TvHold *ha = &g_array_index (oa->holds, TvHold, h);
          const TvHold *hb = &g_array_index (ob->holds, TvHold, h);

          g_assert_cmpint (ha->start, ==, hb->start);
          g_assert_cmpint (ha->end, ==, hb->end);
          g_assert_cmpuint (ha->thread, ==, hb->thread);
          g_assert_cmpuint (ha->line, ==, hb->line);
        }
      assert_points_equal (oa->waiters, ob->waiters);
      assert_points_equal (oa->depth, ob->depth);

      g_assert_cmpuint (oa->accesses->len, ==, ob->accesses->len);
      for (guint k = 0; k < oa->accesses->len; k++)
        {
          const TvAccess *xa = &g_array_index (oa->accesses, TvAccess, k);
          const TvAccess *xb = &g_array_index (ob->accesses, TvAccess, k);

          g_assert_cmpint (xa->time, ==, xb->time);
          g_assert_cmpint (xa->value, ==, xb->value);
          g_assert_cmpuint (xa->thread, ==, xb->thread);
          g_assert_cmpint (xa->write, ==, xb->write);
        }
    }

  la = tv_trace_get_links (a);
  lb = tv_trace_get_links (b);
  g_assert_cmpuint (la->len, ==, lb->len);
  for (guint i = 0; i < la->len; i++)
    {
      const TvLink *ka = &g_array_index (la, TvLink, i);
      const TvLink *kb = &g_array_index (lb, TvLink, i);

      g_assert_cmpuint (ka->kind, ==, kb->kind);
      g_assert_cmpuint (ka->from_thread, ==, kb->from_thread);
      g_assert_cmpuint (ka->to_thread, ==, kb->to_thread);
      g_assert_cmpint (ka->from_time, ==, kb->from_time);
      g_assert_cmpint (ka->to_time, ==, kb->to_time);
      g_assert_cmpuint (ka->object, ==, kb->object);
    }

  la = tv_trace_get_prints (a);
  lb = tv_trace_get_prints (b);
  g_assert_cmpuint (la->len, ==, lb->len);
  for (guint i = 0; i < la->len; i++)
    {
      g_assert_cmpint (g_array_index (la, TvPrint, i).time, ==, g_array_index (lb, TvPrint, i).time);
      g_assert_cmpuint (g_array_index (la, TvPrint, i).thread, ==, g_array_index (lb, TvPrint, i).thread);
      g_assert_cmpuint (g_array_index (la, TvPrint, i).line, ==, g_array_index (lb, TvPrint, i).line);
      g_assert_cmpstr (g_array_index (la, TvPrint, i).text, ==, g_array_index (lb, TvPrint, i).text);
    }

  la = tv_trace_get_problems (a);
  lb = tv_trace_get_problems (b);
  g_assert_cmpuint (la->len, ==, lb->len);
  for (guint i = 0; i < la->len; i++)
    {
      const TvProblem *pa = &g_array_index (la, TvProblem, i);
      const TvProblem *pb = &g_array_index (lb, TvProblem, i);

      g_assert_cmpint (pa->time, ==, pb->time);
      g_assert_cmpuint (pa->thread, ==, pb->thread);
      g_assert_cmpuint (pa->object, ==, pb->object);
      g_assert_cmpuint (pa->holder, ==, pb->holder);
      g_assert_cmpuint (pa->line, ==, pb->line);
      g_assert_cmpint (pa->deadlock, ==, pb->deadlock);
      g_assert_cmpuint (pa->error_kind, ==, pb->error_kind);
      g_assert_cmpstr (pa->message, ==, pb->message);
    }
}

/* ---- Fixtures -------------------------------------------------------- */

typedef struct
{
  char    *dir;
  char    *path;        /* <dir>/trace.tvt */
  TvTrace *original;
  guint8  *bytes;       /* the saved file */
  gsize    size;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Feed feed;

  fx->dir = g_dir_make_tmp ("tv-capture-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "trace.tvt", NULL);

  feed.trace = fx->original = tv_trace_new ();
  feed.writer = tv_capture_writer_new ();
  tv_trace_set_title (feed.trace, "Handoff");
  tv_capture_writer_set_title (feed.writer, "Handoff");
  tv_capture_writer_set_scenario (feed.writer, SCENARIO_TEXT);
  tv_capture_writer_set_speed (feed.writer, 0.25);
  feed_handoff_run (&feed);

  g_assert_cmpuint (tv_capture_writer_get_n_events (feed.writer), ==, tv_trace_get_n_events (feed.trace));
  tv_capture_writer_save (feed.writer, fx->path, &error);
  g_assert_no_error (error);
  tv_capture_writer_free (feed.writer);

  g_file_get_contents (fx->path, (char **) &fx->bytes, &fx->size, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_remove (fx->path);
  g_rmdir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
  g_free (fx->bytes);
  g_clear_object (&fx->original);
}

/* Reads `len` bytes as a file called "trace.tvt": NULL and an error, or a
 * trace that was replayed without one. */
static TvTrace *
read_bytes (const guint8 *data,
            gsize         len,
            GError      **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  g_autoptr(TvCaptureReader) reader = tv_capture_reader_new_from_bytes (bytes, "trace.tvt", error);
  g_autoptr(TvTrace) trace = NULL;

  if (reader == NULL)
    return NULL;
  trace = tv_trace_new ();
  if (!tv_capture_reader_replay (reader, trace, NULL, NULL, NULL, NULL, error))
    return NULL;
  return g_steal_pointer (&trace);
}

static void
assert_read_error (const guint8 *data,
                   gsize         len,
                   int           code,
                   const char   *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvTrace) trace = read_bytes (data, len, &error);

  g_assert_null (trace);
  g_assert_error (error, TV_CAPTURE_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
}

/* Little-endian accessors to patch the saved file. */
static guint64
get_le (const guint8 *p, guint n)
{
  guint64 v = 0;

  for (guint i = n; i > 0; i--)
    v = (v << 8) | p[i - 1];
  return v;
}

static void
set_le (guint8 *p, guint n, guint64 v)
{
  for (guint i = 0; i < n; i++, v >>= 8)
    p[i] = v & 0xff;
}

/* The section table entry of section `id`. */
static guint8 *
section_entry (guint8 *bytes,
               guint32 id)
{
  guint32 n = get_le (bytes + 12, 4);

  for (guint32 i = 0; i < n; i++)
    {
      guint8 *e = bytes + TV_CAPTURE_HEADER_SIZE + i * TV_CAPTURE_SECTION_SIZE;

      if (get_le (e, 4) == id)
        return e;
    }
  g_assert_not_reached ();
}

/* Recomputes the checksum of section `id` after a test patched it, so the
 * reader's per-event checks (not the checksum) are what is tested. */
static void
fix_crc (guint8 *bytes,
         guint32 id)
{
  guint8 *e = section_entry (bytes, id);

  set_le (e + 24, 4, tv_capture_crc32 (0, bytes + get_le (e + 8, 8), get_le (e + 16, 8)));
}

/* ---- Tests ----------------------------------------------------------- */

static void
test_round_trip (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvCaptureReader) reader = tv_capture_reader_new (fx->path, &error);
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autofree char *generator = g_strdup_printf ("ThreadViz %s", PACKAGE_VERSION);

  g_assert_no_error (error);
  g_assert_nonnull (reader);
  g_assert_cmpstr (tv_capture_reader_get_scenario (reader), ==, SCENARIO_TEXT);
  g_assert_cmpstr (tv_capture_reader_get_title (reader), ==, "Handoff");
  g_assert_cmpstr (tv_capture_reader_get_generator (reader), ==, generator);
  g_assert_cmpfloat (tv_capture_reader_get_speed (reader), ==, 0.25);
  /* Taken from the RUN_END event, as no status was set. */
  g_assert_cmpuint (tv_capture_reader_get_status (reader), ==, TV_RUN_FAILED);
  g_assert_cmpuint (tv_capture_reader_get_flags (reader), ==,
                    TV_CAPTURE_FLAG_FINISHED | TV_CAPTURE_FLAG_HAS_SCENARIO);
  g_assert_cmpuint (tv_capture_reader_get_n_events (reader), ==, tv_trace_get_n_events (fx->original));
  g_assert_cmpint (tv_capture_reader_get_end_time (reader), ==, 1234600);
  g_assert_cmpint (tv_capture_reader_get_created (reader), >, 0);

  tv_capture_reader_replay (reader, trace, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_traces_equal (fx->original, trace);
  g_assert_cmpstr (tv_trace_get_title (trace), ==, "Handoff");

  /* A spot check that the comparison compares something. */
  g_assert_cmpstr (tv_trace_get_thread (trace, 1)->name, ==, "worker-2");
  g_assert_cmpstr (g_array_index (tv_trace_get_prints (trace), TvPrint, 0).text, ==, AWKWARD);
  g_assert_cmpuint (tv_trace_find_object (trace, "L")->holds->len, ==, 2);
}

/* Opening and saving again gives the same model (and the same events). */
static void
test_resave (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvCaptureReader) reader = tv_capture_reader_new (fx->path, &error);
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autoptr(TvTrace) again = NULL;
  g_autofree char *path2 = g_build_filename (fx->dir, "again.tvt", NULL);

  g_assert_no_error (error);
  tv_capture_reader_replay (reader, trace, writer, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  tv_capture_writer_save (writer, path2, &error);
  g_assert_no_error (error);

  again = tv_capture_load (path2, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_traces_equal (fx->original, again);
  g_assert_cmpstr (tv_trace_get_title (again), ==, "Handoff");
  g_remove (path2);
}

static void
progress_cb (double   fraction,
             gpointer user_data)
{
  GArray *seen = user_data;

  g_array_append_val (seen, fraction);
}

/* Enough events for several writer chunks and reader batches. */
static void
test_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *dir = g_dir_make_tmp ("tv-capture-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "large.tvt", NULL);
  g_autoptr(TvTrace) trace = NULL;
  Feed feed = { tv_trace_new (), tv_capture_writer_new () };
  const guint n = 150000;

  add (&feed, TV_EV_THREAD_NEW, 0, 0, 0, 1, NT, 0, "a");
  add (&feed, TV_EV_THREAD_NEW, 0, 1, 0, 2, NT, 0, "b");
  add (&feed, TV_EV_OBJECT_NEW, 0, 0, 1, 3, TV_OBJ_LOCK, 0, "L");
  for (guint i = 0; i < n; i++)
    add (&feed, TV_EV_STATE, 10 + i, i % 2, (i % 4) < 2 ? 1 : 0,
         (i % 4) < 2 ? TV_STATE_LOCK : TV_STATE_RUNNING, 0, 3, NULL);

  tv_capture_writer_save (feed.writer, path, &error);
  g_assert_no_error (error);

  trace = tv_capture_load (path, NULL, progress_cb, seen, &error);
  g_assert_no_error (error);
  assert_traces_equal (feed.trace, trace);

  g_assert_cmpuint (seen->len, >=, 3);
  for (guint i = 1; i < seen->len; i++)
    g_assert_cmpfloat (g_array_index (seen, double, i), >=, g_array_index (seen, double, i - 1));
  g_assert_cmpfloat (g_array_index (seen, double, seen->len - 1), ==, 1.0);

  g_remove (path);
  g_rmdir (dir);
  g_object_unref (feed.trace);
  tv_capture_writer_free (feed.writer);
}

typedef struct
{
  GMainLoop       *loop;
  TvTrace         *trace;
  TvCaptureReader *reader;
  GError          *error;
  GArray          *seen;
  gboolean         done;
} AsyncLoad;

static void
async_progress_cb (double   fraction,
                   gpointer user_data)
{
  AsyncLoad *al = user_data;

  /* Progress arrives on this thread, and never after the result. */
  g_assert_false (al->done);
  g_array_append_val (al->seen, fraction);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  AsyncLoad *al = user_data;

  al->trace = tv_capture_load_finish (result, &al->reader, &al->error);
  al->done = TRUE;
  g_main_loop_quit (al->loop);
}

static void
test_load_async (Fixture       *fx,
                 gconstpointer  data)
{
  AsyncLoad al = { g_main_loop_new (NULL, FALSE), NULL, NULL, NULL,
                   g_array_new (FALSE, FALSE, sizeof (double)), FALSE };
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autofree char *missing = g_build_filename (fx->dir, "missing.tvt", NULL);

  tv_capture_load_async (fx->path, writer, NULL, async_progress_cb, &al, loaded_cb, &al);
  g_main_loop_run (al.loop);
  g_assert_no_error (al.error);
  assert_traces_equal (fx->original, al.trace);
  g_assert_cmpstr (tv_capture_reader_get_scenario (al.reader), ==, SCENARIO_TEXT);
  g_assert_cmpuint (tv_capture_writer_get_n_events (writer), ==, tv_trace_get_n_events (al.trace));
  g_assert_cmpuint (al.seen->len, >=, 1);
  g_assert_cmpfloat (g_array_index (al.seen, double, al.seen->len - 1), ==, 1.0);
  g_clear_object (&al.trace);
  g_clear_pointer (&al.reader, tv_capture_reader_free);

  al.done = FALSE;
  tv_capture_load_async (missing, NULL, NULL, NULL, NULL, loaded_cb, &al);
  g_main_loop_run (al.loop);
  g_assert_null (al.trace);
  g_assert_null (al.reader);
  g_assert_error (al.error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  g_clear_error (&al.error);
  g_array_unref (al.seen);
  g_main_loop_unref (al.loop);
}

static void
cancel_cb (double   fraction,
           gpointer user_data)
{
  g_assert_cmpfloat (fraction, <, 1.0);
  g_cancellable_cancel (user_data);
}

/* A failed or cancelled save leaves the old file as it was. */
static void
test_save_errors (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GFile) file = g_file_new_for_path (fx->path);
  g_autofree char *bad = g_build_filename (fx->dir, "missing", "x.tvt", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  GDir *dir;

  g_assert_false (tv_capture_writer_save (writer, bad, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, bad));
  g_clear_error (&error);

  g_cancellable_cancel (cancellable);
  g_assert_false (tv_capture_writer_save_to_file (writer, file, cancellable, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_error (&error);

  /* Cancelled halfway through the events (from the progress callback). */
  g_cancellable_reset (cancellable);
  for (guint i = 0; i < 600000; i++)
    {
      TvEvent event = { i, TV_STATE_RUNNING, 0, 0, 0, TV_EV_STATE, 0 };

      tv_capture_writer_add (writer, &event, NULL);
    }
  g_assert_false (tv_capture_writer_save_to_file (writer, file, cancellable,
                                                  cancel_cb, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_file_get_contents (fx->path, &contents, &len, NULL);
  g_assert_cmpmem (contents, len, fx->bytes, fx->size);
  dir = g_dir_open (fx->dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "trace.tvt");
  g_assert_null (g_dir_read_name (dir));
  g_dir_close (dir);
}

/* Ids beyond what a reader accepts are refused when saving, not written. */
static void
test_save_too_large (void)
{
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  TvEvent event = { 0, 0, 0, G_MAXUINT32, 0, TV_EV_QUEUE_PUT, 0 };

  tv_capture_writer_add (writer, &event, NULL);
  g_assert_false (tv_capture_writer_write (writer, out, NULL, NULL, NULL, &error));
  g_assert_error (error, TV_CAPTURE_ERROR, TV_CAPTURE_ERROR_TOO_LARGE);
  g_assert_cmpstr (error->message, ==, "too many threads (1) or objects (4294967296) for a trace file");
}

static void
test_empty_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(TvTrace) trace = NULL;

  tv_capture_writer_write (writer, out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, NULL);
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));

  trace = read_bytes (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 0);
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 0);
}

static void
test_not_a_trace (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree guint8 *copy = g_memdup2 (fx->bytes, fx->size);
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (fx->dir, "missing.tvt", NULL);

  assert_read_error (copy, 0, TV_CAPTURE_ERROR_NOT_A_TRACE, "trace.tvt: empty file, not a ThreadViz trace");
  assert_read_error ((const guint8 *) "{\"traceEvents\":[]}", 18, TV_CAPTURE_ERROR_NOT_A_TRACE,
                     "trace.tvt: not a ThreadViz trace (bad magic)");
  copy[3] = 'x';
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_NOT_A_TRACE, "trace.tvt: not a ThreadViz trace (bad magic)");

  g_assert_null (tv_capture_reader_new (missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "missing.tvt"));
}

static void
test_version (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree guint8 *copy = g_memdup2 (fx->bytes, fx->size);

  set_le (copy + 4, 2, 7);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_VERSION,
                     "trace.tvt: version 7 is newer than this ThreadViz reads (1)");
  set_le (copy + 4, 2, 0);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: version 0 is not a valid version");

  /* An unknown informative flag is fine; an unknown required one is not. */
  memcpy (copy, fx->bytes, fx->size);
  set_le (copy + 8, 4, get_le (copy + 8, 4) | 0x100);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TvTrace) trace = read_bytes (copy, fx->size, &error);

    g_assert_no_error (error);
    assert_traces_equal (fx->original, trace);
  }
  set_le (copy + 8, 4, get_le (copy + 8, 4) | 0x10000);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_VERSION,
                     "trace.tvt: the file needs features this ThreadViz lacks (flags 0x00010103)");

  /* So with sections: an unknown one is skipped unless marked required. */
  memcpy (copy, fx->bytes, fx->size);
  set_le (section_entry (copy, TV_CAPTURE_SECTION_SCENARIO), 4, 9);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(TvTrace) trace = read_bytes (copy, fx->size, &error);

    g_assert_no_error (error);
    assert_traces_equal (fx->original, trace);
  }
  set_le (section_entry (copy, 9) + 4, 4, TV_CAPTURE_SECTION_FLAG_REQUIRED);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_VERSION,
                     "trace.tvt: section 9 is needed but unknown to this ThreadViz");
}

/* Every cut of the file fails, at every section boundary and inside. */
static void
test_truncated (Fixture       *fx,
                gconstpointer  data)
{
  guint8 *events = section_entry (fx->bytes, TV_CAPTURE_SECTION_EVENTS);
  guint64 ev_offset = get_le (events + 8, 8);
  guint64 ev_length = get_le (events + 16, 8);
  g_autofree char *expected = NULL;

  g_assert_cmpuint (ev_offset + ev_length, ==, fx->size);

  for (gsize cut = 0; cut < fx->size; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TvTrace) trace = read_bytes (fx->bytes, cut, &error);

      g_assert_null (trace);
      g_assert_nonnull (error);
      g_assert_true (g_str_has_prefix (error->message, "trace.tvt: "));
    }

  assert_read_error (fx->bytes, 20, TV_CAPTURE_ERROR_TRUNCATED,
                     "trace.tvt: truncated header (expected 64 bytes, found 20)");
  assert_read_error (fx->bytes, 100, TV_CAPTURE_ERROR_TRUNCATED,
                     "trace.tvt: truncated section table (expected 192 bytes, found 100)");
  expected = g_strdup_printf ("trace.tvt: truncated event section (expected %" G_GUINT64_FORMAT
                              " bytes, found 100)", ev_length);
  assert_read_error (fx->bytes, ev_offset + 100, TV_CAPTURE_ERROR_TRUNCATED, expected);
  g_free (expected);
  expected = g_strdup_printf ("trace.tvt: truncated event section (expected %" G_GUINT64_FORMAT
                              " bytes, found 0)", ev_length);
  assert_read_error (fx->bytes, ev_offset, TV_CAPTURE_ERROR_TRUNCATED, expected);
}

/* Lengths and counts that lie are caught by checks, not by allocations. */
static void
test_lying_lengths (Fixture       *fx,
                    gconstpointer  data)
{
  g_autofree guint8 *copy = g_memdup2 (fx->bytes, fx->size);
  guint8 *events = section_entry (copy, TV_CAPTURE_SECTION_EVENTS);
  g_autofree char *expected = NULL;

  set_le (events + 16, 8, G_GUINT64_CONSTANT (1) << 60);
  expected = g_strdup_printf ("trace.tvt: truncated event section (expected %" G_GUINT64_FORMAT
                              " bytes, found %" G_GUINT64_FORMAT ")",
                              G_GUINT64_CONSTANT (1) << 60, fx->size - get_le (events + 8, 8));
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_TRUNCATED, expected);

  memcpy (copy, fx->bytes, fx->size);
  set_le (events + 8, 8, G_MAXUINT64 - 7);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_TRUNCATED,
                     "trace.tvt: truncated event section (expected 1088 bytes, found 0)");

  memcpy (copy, fx->bytes, fx->size);
  set_le (copy + 16, 8, G_MAXUINT64 / 16);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: the event section holds 1088 bytes, not 1152921504606846975 events of 32 bytes");

  memcpy (copy, fx->bytes, fx->size);
  set_le (copy + 24, 4, G_MAXUINT32);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: the string section (144 bytes) is too short for 4294967295 strings");

  memcpy (copy, fx->bytes, fx->size);
  set_le (copy + 28, 4, G_MAXUINT32);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_TOO_LARGE,
                     "trace.tvt: 4294967295 threads, more than ThreadViz handles (65536)");

  memcpy (copy, fx->bytes, fx->size);
  set_le (copy + 12, 4, 1000000);
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: 1000000 sections, more than a trace can have (64)");

  /* Two sections claiming the same bytes. */
  memcpy (copy, fx->bytes, fx->size);
  set_le (section_entry (copy, TV_CAPTURE_SECTION_SCENARIO) + 8, 8,
          get_le (section_entry (copy, TV_CAPTURE_SECTION_STRINGS) + 8, 8));
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: the scenario and string sections overlap");
}

static void
test_checksums (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree guint8 *copy = g_memdup2 (fx->bytes, fx->size);
  guint64 strings = get_le (section_entry (copy, TV_CAPTURE_SECTION_STRINGS) + 8, 8);
  guint64 events = get_le (section_entry (copy, TV_CAPTURE_SECTION_EVENTS) + 8, 8);

  copy[strings + 40] ^= 0x20;
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: the string section is damaged (checksum mismatch)");

  /* A changed time passes the per-event checks: only the checksum sees it. */
  memcpy (copy, fx->bytes, fx->size);
  copy[events + 5 * TV_CAPTURE_EVENT_SIZE] ^= 0x01;
  assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: the event section is damaged (checksum mismatch)");
}

/* Events that would make the model index out of range, checksum and all
 * consistent, as a hostile file would be. */
static void
test_bad_events (Fixture       *fx,
                 gconstpointer  data)
{
  static const struct
  {
    guint        event;
    guint        offset;
    guint        width;
    guint64      value;
    const char  *message;
  } cases[] = {
    /* event 12 is the STATE of thread 2 blocked on L; 21 the PRINT. */
    { 12, 28, 2, 99, "trace.tvt: event 12 has an unknown kind (99)" },
    { 12, 28, 2, 0, "trace.tvt: event 12 has an unknown kind (0)" },
    { 12, 8, 8, 99, "trace.tvt: event 12 (state) has an unknown state" },
    { 12, 8, 8, G_MAXUINT64, "trace.tvt: event 12 (state) has an unknown state" },
    { 12, 16, 4, 3, "trace.tvt: event 12 (state) names a thread out of range" },
    { 12, 16, 4, TV_NO_THREAD, "trace.tvt: event 12 (state) happens on no thread" },
    { 12, 20, 4, 5, "trace.tvt: event 12 (state) names an object out of range" },
    { 12, 0, 8, G_MAXUINT64, "trace.tvt: event 12 (state) has a time out of range" },
    { 21, 8, 8, 99, "trace.tvt: event 21 (print) names a string out of range" },
    { 21, 8, 8, G_MAXUINT64, "trace.tvt: event 21 (print) names a string out of range" },
    { 4, 24, 4, 99, "trace.tvt: event 4 (object-new) has an unknown object kind" },
    { 4, 20, 4, 0, "trace.tvt: event 4 (object-new) creates object 0" },
    { 20, 30, 2, 0, "trace.tvt: event 20 (link) has an unknown link kind" },
    { 20, 30, 2, 99, "trace.tvt: event 20 (link) has an unknown link kind" },
    { 20, 24, 4, TV_NO_THREAD, "trace.tvt: event 20 (link) has a link from a thread or time out of range" },
    { 16, 24, 4, 7, "trace.tvt: event 16 (acquire) has a link from a thread or time out of range" },
    { 33, 8, 8, 42, "trace.tvt: event 33 (run-end) has an unknown run status" },
  };
  guint64 events = get_le (section_entry (fx->bytes, TV_CAPTURE_SECTION_EVENTS) + 8, 8);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree guint8 *copy = g_memdup2 (fx->bytes, fx->size);

      set_le (copy + events + cases[i].event * TV_CAPTURE_EVENT_SIZE + cases[i].offset,
              cases[i].width, cases[i].value);
      fix_crc (copy, TV_CAPTURE_SECTION_EVENTS);
      assert_read_error (copy, fx->size, TV_CAPTURE_ERROR_CORRUPT, cases[i].message);
    }
}

/* Seeded random damage: never a crash, always an error or a trace. */
static void
test_mutations (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261127);
  g_autofree guint8 *copy = g_malloc (fx->size);
  guint errors = 0;
  const guint n = 1000;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TvTrace) trace = NULL;
      guint flips = g_rand_int_range (rand, 1, 5);
      gsize len = fx->size;

      memcpy (copy, fx->bytes, fx->size);
      for (guint f = 0; f < flips; f++)
        copy[g_rand_int_range (rand, 0, fx->size)] ^= (guint8) g_rand_int_range (rand, 1, 256);
      /* Every fourth also repairs the checksums, to reach the event checks. */
      if (i % 4 == 3)
        {
          guint32 n_sections = get_le (copy + 12, 4);

          if (n_sections == 4 && get_le (fx->bytes + 12, 4) == 4 &&
              memcmp (copy + TV_CAPTURE_HEADER_SIZE, fx->bytes + TV_CAPTURE_HEADER_SIZE,
                      4 * TV_CAPTURE_SECTION_SIZE) == 0)
            {
              fix_crc (copy, TV_CAPTURE_SECTION_EVENTS);
              fix_crc (copy, TV_CAPTURE_SECTION_STRINGS);
              fix_crc (copy, TV_CAPTURE_SECTION_META);
            }
        }
      if (i % 7 == 0)
        len = g_rand_int_range (rand, 0, fx->size);

      trace = read_bytes (copy, len, &error);
      g_assert_true ((trace == NULL) == (error != NULL));
      if (error != NULL)
        {
          g_assert_true (g_str_has_prefix (error->message, "trace.tvt: "));
          errors++;
        }
    }

  /* Damage in padding or reserved bytes goes unseen; little else may. */
  g_assert_cmpuint (errors, >, n / 2);
}

/* ---- Real runs --------------------------------------------------------- */

/* The lessons, run for real: what the engine records passes every check
 * of the reader and comes back as the same model. */
static void
test_real_runs (void)
{
  static const char *const lessons[] = {
    "deadlock.tvs", "producer-consumer.tvs", "processes.tvs", "race.tvs", "gil-io.tvs",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tv-capture-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "run.tvt", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (lessons); i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(TvRun) run = NULL;
      g_autoptr(TvTrace) loaded = NULL;
      g_autoptr(TvCaptureReader) reader = NULL;
      Feed feed = { tv_trace_new (), tv_capture_writer_new () };

      run = run_lesson (lessons[i], &feed, &text);
      tv_capture_writer_set_scenario (feed.writer, text);
      tv_capture_writer_set_status (feed.writer, tv_run_get_status (run));
      tv_capture_writer_save (feed.writer, path, &error);
      g_assert_no_error (error);

      reader = tv_capture_reader_new (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (tv_capture_reader_get_scenario (reader), ==, text);
      g_assert_cmpuint (tv_capture_reader_get_status (reader), ==, tv_run_get_status (run));
      loaded = tv_trace_new ();
      tv_capture_reader_replay (reader, loaded, NULL, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (tv_trace_get_n_events (loaded), >, 10);
      assert_traces_equal (feed.trace, loaded);

      g_object_unref (feed.trace);
      tv_capture_writer_free (feed.writer);
      g_remove (path);
    }

  g_rmdir (dir);
}

/* A run that was paused, stepped and resumed (feed_paused_run): the file
 * opens, and gives the same model. */
static void
test_pauses (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(TvTrace) original = tv_trace_new ();
  g_autoptr(TvTrace) trace = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tv-capture-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree guint8 *bytes = NULL;
  gsize size;
  guint64 events;
  Feed feed = { original, writer };

  g_assert_no_error (error);
  path = g_build_filename (dir, "paused.tvt", NULL);
  feed_paused_run (&feed);
  tv_capture_writer_save (writer, path, &error);
  g_assert_no_error (error);

  trace = tv_capture_load (path, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (trace);
  assert_traces_equal (original, trace);
  g_assert_cmpuint (tv_trace_get_n_events (trace), ==, 11);
  g_assert_cmpuint (tv_trace_get_pauses (trace)->len, ==, 4);
  g_assert_cmpuint (g_array_index (tv_trace_get_pauses (trace), TvPauseMark, 1).aux, ==, 1);
  g_assert_cmpint (g_array_index (tv_trace_get_pauses (trace), TvPauseMark, 3).wall_ns, ==, 7000000);

  /* A pause's aux must still be a thread of the file, or none. */
  g_file_get_contents (path, (char **) &bytes, &size, &error);
  g_assert_no_error (error);
  events = get_le (section_entry (bytes, TV_CAPTURE_SECTION_EVENTS) + 8, 8);
  set_le (bytes + events + 7 * TV_CAPTURE_EVENT_SIZE + 24, 4, 2);
  fix_crc (bytes, TV_CAPTURE_SECTION_EVENTS);
  assert_read_error (bytes, size, TV_CAPTURE_ERROR_CORRUPT,
                     "trace.tvt: event 7 (pause) names a second thread out of range");

  g_remove (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/tv/capture/round-trip", test_round_trip);
  ADD ("/tv/capture/resave", test_resave);
  ADD ("/tv/capture/load-async", test_load_async);
  ADD ("/tv/capture/save-errors", test_save_errors);
  g_test_add_func ("/tv/capture/large", test_large);
  g_test_add_func ("/tv/capture/empty-run", test_empty_run);
  g_test_add_func ("/tv/capture/save-too-large", test_save_too_large);
  ADD ("/tv/capture/not-a-trace", test_not_a_trace);
  ADD ("/tv/capture/version", test_version);
  ADD ("/tv/capture/truncated", test_truncated);
  ADD ("/tv/capture/lying-lengths", test_lying_lengths);
  ADD ("/tv/capture/checksums", test_checksums);
  ADD ("/tv/capture/bad-events", test_bad_events);
  ADD ("/tv/capture/mutations", test_mutations);
  g_test_add_func ("/tv/capture/real-runs", test_real_runs);
  g_test_add_func ("/tv/capture/pauses", test_pauses);

  return g_test_run ();
}
