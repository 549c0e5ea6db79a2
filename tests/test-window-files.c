/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-window-files.c: the window's trace files and traced programs,
 * driven through its actions under Xvfb: a run saved as .tvt and opened
 * again, a bad file, Chrome JSON out and in, and "Trace a Program…" on a
 * real program.  Skipped where there is no display.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "tv-application.h"
#include "tv-capture-writer.h"
#include "tv-timeline-view.h"
#include "tv-window-test.h"
#include "tv-window-private.h"

static char *tmp_dir;

typedef struct
{
  TvWindow   *window;
  const char *text;
} ConsoleWait;

static gboolean
console_has (gpointer data)
{
  ConsoleWait *wait = data;
  g_autofree char *console = tv_window_dup_console_text (wait->window);

  return strstr (console, wait->text) != NULL;
}

static void
wait_for_console (TvWindow   *window,
                  const char *text)
{
  ConsoleWait wait = { window, text };
  g_autofree char *what = g_strdup_printf ("'%s' in the console", text);

  iterate_until (console_has, &wait, what);
}

static TvWindow *
new_window (void)
{
  TvWindow *window = tv_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
open_path (TvWindow   *window,
           const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  tv_window_open (window, file);
  iterate_until (not_loading, window, "the file to load");
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static char *
write_file (const char *name,
            const char *text,
            gssize      length)
{
  char *path = tmp_path (name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, length, &error);
  g_assert_no_error (error);
  return path;
}

static TvTrace *
shown_trace (TvWindow *window)
{
  return tv_timeline_get_trace (tv_window_get_timeline (window));
}

static guint
count_spans (TvTrace *trace)
{
  guint n = 0;

  for (guint i = 0; i < tv_trace_get_n_threads (trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);

      if (thread != NULL)
        n += thread->spans->len;
    }
  return n;
}

static const TvTraceThread *
find_thread (TvTrace    *trace,
             const char *name)
{
  for (guint i = 0; i < tv_trace_get_n_threads (trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);

      if (thread != NULL && g_strcmp0 (thread->name, name) == 0)
        return thread;
    }
  return NULL;
}

/* The event makes the order certain, whatever the load. */
static const char order_tvs[] =
  "title \"Two threads and an event\"\n"
  "event E\n"
  "lock L\n"
  "\n"
  "thread a:\n"
  "    with L:\n"
  "        print \"first\"\n"
  "    set E\n"
  "\n"
  "thread b:\n"
  "    wait E\n"
  "    print \"second\"\n"
  "\n"
  "main:\n"
  "    start b\n"
  "    start a\n"
  "    join a\n"
  "    join b\n"
  "    print \"third\"\n";

/* --- Save and open --------------------------------------------------------- */

static void
test_save_and_reopen (void)
{
  g_autofree char *scenario = write_file ("order.tvs", order_tvs, -1);
  g_autofree char *tvt = tmp_path ("order.tvt");
  g_autofree char *console = NULL;
  TvWindow *window = new_window ();
  TvWindow *reopened;
  TvTrace *trace, *again;
  guint n_threads, n_spans;
  guint64 n_events;

  open_path (window, scenario);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-trace"));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  /* Saving works while it runs (what is recorded so far). */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-trace"));
  iterate_until (not_running, window, "the run to end");

  trace = shown_trace (window);
  g_assert_true (tv_trace_is_finished (trace));
  n_threads = tv_trace_get_n_threads (trace);
  n_spans = count_spans (trace);
  n_events = tv_trace_get_n_events (trace);
  g_assert_cmpuint (n_threads, ==, 3);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.save-trace-to", "s", tvt);
  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "Saved the trace ("));
  g_assert_true (g_file_test (tvt, G_FILE_TEST_IS_REGULAR));

  /* Opened in a new window: the same run at once, with nothing to run. */
  reopened = new_window ();
  open_path (reopened, tvt);
  wait_for_console (reopened, "Opened order.tvt");
  again = shown_trace (reopened);
  g_assert_nonnull (again);
  g_assert_true (again != trace);
  g_assert_cmpuint (tv_trace_get_n_threads (again), ==, n_threads);
  g_assert_cmpuint (count_spans (again), ==, n_spans);
  g_assert_cmpuint (tv_trace_get_n_events (again), ==, n_events);
  g_assert_cmpint (tv_trace_get_end_time (again), ==, tv_trace_get_end_time (trace));
  g_assert_cmpstr (tv_trace_get_title (again), ==, "Two threads and an event");
  g_assert_false (tv_window_is_running (reopened));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (reopened), "run"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (reopened), "export"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (reopened)), ==,
                   "Two threads and an event — ThreadViz");
  /* Its printed lines, as the run printed them. */
  g_free (console);
  console = tv_window_dup_console_text (reopened);
  g_assert_nonnull (strstr (console, "first"));
  g_assert_nonnull (strstr (console, "third"));

  /* An opened run can be saved again. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (reopened), "save-trace"));

  close_window (reopened);
  close_window (window);
  g_unlink (tvt);
  g_unlink (scenario);
}

static void
test_open_corrupt (void)
{
  static const char header[] = "TVT\0\1\0\x40\0";
  g_autofree char *truncated = write_file ("truncated.tvt", header, sizeof header - 1);
  g_autofree char *garbage = write_file ("garbage.tvt", "not a trace at all\n", -1);
  g_autofree char *json = write_file ("broken.json", "[{\"ph\":\"X\",}\n", -1);
  const char *paths[] = { truncated, garbage, json };
  const char *names[] = { "truncated.tvt: ", "garbage.tvt: not a ThreadViz trace", "broken.json:1:" };
  TvWindow *window = new_window ();

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *console = NULL;

      open_path (window, paths[i]);
      /* The error names the file and what is wrong; nothing is shown. */
      wait_for_console (window, names[i]);
      g_assert_null (shown_trace (window));
      g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-trace"));
      g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));
      console = tv_window_dup_console_text (window);
      g_test_message ("%s", console);
    }

  close_window (window);
  g_unlink (truncated);
  g_unlink (garbage);
  g_unlink (json);
}

/* Cancel on the opening page: nothing is shown, the console says so. */
static void
test_open_cancel (void)
{
  g_autofree char *tvt = tmp_path ("cancel.tvt");
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(GFile) file = g_file_new_for_path (tvt);
  g_autoptr(GError) error = NULL;
  TvEvent event = { .kind = TV_EV_THREAD_NEW, .thread = 0, .aux = TV_NO_THREAD };
  TvWindow *window = new_window ();
  GtkWidget *page, *cancel;

  tv_capture_writer_add (writer, &event, "worker");
  for (int i = 0; i < 1000; i++)
    {
      event = (TvEvent) { .kind = TV_EV_STATE, .thread = 0, .time = 1000 * (i + 1),
                          .arg = i % 2 ? TV_STATE_RUNNING : TV_STATE_SLEEPING };
      tv_capture_writer_add (writer, &event, NULL);
    }
  g_assert_true (tv_capture_writer_save (writer, tvt, &error));
  g_assert_no_error (error);

  /* Cancelled before the worker thread looks: certain, whatever the load. */
  tv_window_open (window, file);
  page = gtk_stack_get_visible_child (window->main_stack);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "opening");
  cancel = gtk_widget_get_last_child (page);
  g_assert_true (GTK_IS_BUTTON (cancel));
  g_signal_emit_by_name (cancel, "clicked");

  wait_for_console (window, "Opening cancel.tvt was cancelled");
  g_assert_null (shown_trace (window));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window->main_stack), ==, "empty");

  /* And it opens when not cancelled. */
  open_path (window, tvt);
  wait_for_console (window, "Opened cancel.tvt (a saved run): 1001 events");
  g_assert_cmpuint (tv_trace_get_thread (shown_trace (window), 0)->spans->len, >=, 1000);

  close_window (window);
  g_unlink (tvt);
}

/* Export to Chrome JSON, then open that JSON: an imported trace. */
static void
test_json_out_and_in (void)
{
  g_autofree char *scenario = write_file ("order-json.tvs", order_tvs, -1);
  g_autofree char *json = tmp_path ("order.json");
  g_autofree char *contents = NULL;
  TvWindow *window = new_window ();
  TvTrace *trace;

  open_path (window, scenario);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  iterate_until (not_running, window, "the run to end");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.export-to", "s", json);
  wait_for_console (window, "Exported the trace as Chrome JSON");
  g_assert_true (g_file_get_contents (json, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "{\"traceEvents\":["));
  g_assert_nonnull (strstr (contents, "\"name\":\"thread_name\",\"args\":{\"name\":\"a\"}"));

  open_path (window, json);
  wait_for_console (window, "Opened order.json (a Chrome trace)");
  trace = shown_trace (window);
  g_assert_nonnull (trace);
  /* The three threads, plus the lock's hold track of the "objects" process. */
  g_assert_nonnull (find_thread (trace, "a"));
  g_assert_nonnull (find_thread (trace, "b"));
  g_assert_nonnull (find_thread (trace, "MainThread"));
  g_assert_nonnull (find_thread (trace, "lock L"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));

  close_window (window);
  g_unlink (json);
  g_unlink (scenario);
}

/* --- Trace a Program… ------------------------------------------------------ */

static void
test_trace_program (void)
{
  const char *argv[] = { "/bin/sh", "-c", "echo hi from the program; echo oops >&2", NULL };
  g_autofree char *console = NULL;
  TvWindow *window = new_window ();
  TvTrace *trace;

  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "trace-program"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.trace-command", "^as", argv);
  console = tv_window_dup_console_text (window);
  g_test_message ("%s", console);
  g_assert_true (tv_window_is_running (window));
  g_assert_true (tv_timeline_is_live (tv_window_get_timeline (window)));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));

  iterate_until (not_running, window, "the program to end");
  g_free (console);
  console = tv_window_dup_console_text (window);
  g_test_message ("%s", console);
  /* Its stdout and stderr in the console, then how it ended. */
  g_assert_nonnull (strstr (console, "hi from the program\n"));
  g_assert_nonnull (strstr (console, "oops\n"));
  g_assert_nonnull (strstr (console, "Finished in "));

  trace = shown_trace (window);
  g_assert_nonnull (trace);
  g_assert_true (tv_trace_is_finished (trace));
  g_assert_cmpuint (tv_trace_get_n_threads (trace), >=, 1);
  g_assert_cmpint (tv_trace_get_thread (trace, 0)->pid, >, 0);
  /* The traced run can be saved like any other. */
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "save-trace"));

  close_window (window);
}

/* The first visible widget of `type` (with `css_class`, unless NULL). */
static GtkWidget *
find_widget (GtkWidget  *widget,
             GType       type,
             const char *css_class)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && gtk_widget_get_visible (widget)
      && (css_class == NULL || gtk_widget_has_css_class (widget, css_class)))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, css_class);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_dialog (TvWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GtkWidget *dialog = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (gtk_window_get_transient_for (GTK_WINDOW (toplevel)) == GTK_WINDOW (window)
          && gtk_widget_get_visible (toplevel))
        dialog = toplevel;
    }
  return dialog;
}

/* The dialog: a bad command is an error in it; a good one starts. */
static void
test_trace_dialog (void)
{
  TvWindow *window = new_window ();
  GtkWidget *dialog, *row, *trace, *error_label;
  g_autofree char *console = NULL;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.trace-program", NULL);
  dialog = find_dialog (window);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, "Trace a Program");
  row = find_widget (dialog, ADW_TYPE_ENTRY_ROW, NULL);
  g_assert_nonnull (row);
  trace = find_widget (dialog, GTK_TYPE_BUTTON, "suggested-action");
  g_assert_nonnull (trace);

  gtk_editable_set_text (GTK_EDITABLE (row), "no-such-program-tv 1 2");
  g_signal_emit_by_name (trace, "clicked");
  /* Still open, saying why, and nothing runs. */
  g_assert_true (find_dialog (window) == dialog);
  error_label = find_widget (dialog, GTK_TYPE_LABEL, "error");
  g_assert_nonnull (error_label);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (error_label)), ==,
                   "no-such-program-tv: command not found");
  g_assert_false (tv_window_is_running (window));

  gtk_editable_set_text (GTK_EDITABLE (row), "/bin/sh -c 'echo \"from the dialog\"'");
  g_signal_emit_by_name (trace, "clicked");
  g_assert_null (find_dialog (window));
  iterate_until (not_running, window, "the program to end");
  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "\nfrom the dialog\n"));

  close_window (window);
}

#ifdef TV_PRELOAD_FIXTURES
/* A deadlock is found live; Stop ends the program and keeps the trace. */
static void
test_trace_deadlock (void)
{
  g_autofree char *program = g_build_filename (TV_PRELOAD_FIXTURES, "preload-deadlock", NULL);
  const char *argv[] = { program, NULL };
  g_autofree char *tvt = tmp_path ("deadlock.tvt");
  g_autofree char *console = NULL;
  TvWindow *window = new_window ();
  TvWindow *reopened;
  TvTrace *trace;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.trace-command", "^as", argv);
  g_assert_true (tv_window_is_running (window));
  wait_for_console (window, "waiting");
  wait_for_console (window, "Deadlock: 2 threads each wait for a lock another holds");
  g_assert_true (tv_window_is_running (window));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  iterate_until (not_running, window, "the program to stop");
  console = tv_window_dup_console_text (window);
  g_test_message ("%s", console);
  g_assert_nonnull (strstr (console, "Deadlock: the program was stopped at "));

  trace = shown_trace (window);
  g_assert_nonnull (find_thread (trace, "left"));
  g_assert_nonnull (find_thread (trace, "right"));
  g_assert_cmpuint (tv_trace_get_problems (trace)->len, >=, 2);
  /* The trace ends when Stop ended the program, not at its last event: the
   * cycle was reported after half a second of quiet, so the threads are
   * drawn blocked for at least that long. */
  g_assert_cmpint (tv_trace_get_end_time (trace), >=,
                   g_array_index (tv_trace_get_problems (trace), TvProblem, 0).time + 500 * G_GINT64_CONSTANT (1000000));
  /* A deadlock fails the run, as a scenario's does. */
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, TV_RUN_FAILED);

  /* Saved and opened again: the deadlock is still there. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.save-trace-to", "s", tvt);
  reopened = new_window ();
  open_path (reopened, tvt);
  wait_for_console (reopened, "Opened deadlock.tvt");
  g_assert_cmpuint (tv_trace_get_problems (shown_trace (reopened))->len, ==,
                    tv_trace_get_problems (trace)->len);
  g_assert_nonnull (find_thread (shown_trace (reopened), "left"));

  close_window (reopened);
  close_window (window);
  g_unlink (tvt);
}

static gboolean
has_named_thread (gpointer data)
{
  TvWindow *window = data;

  return shown_trace (window) != NULL && find_thread (shown_trace (window), "right") != NULL;
}

/* Closing the window in the middle ends the program: nothing is left. */
static void
test_close_while_tracing (void)
{
  g_autofree char *program = g_build_filename (TV_PRELOAD_FIXTURES, "preload-deadlock", NULL);
  const char *argv[] = { program, NULL };
  TvWindow *window = new_window ();
  gint64 pid;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.trace-command", "^as", argv);
  iterate_until (has_named_thread, window, "the program's threads");
  pid = find_thread (shown_trace (window), "right")->pid;
  g_assert_cmpint (pid, >, 1);
  g_assert_cmpint (kill ((pid_t) pid, 0), ==, 0);

  close_window (window);
  /* Killed and reaped, not a zombie: the pid is gone. */
  g_assert_cmpint (kill ((pid_t) pid, 0), ==, -1);
  g_assert_cmpint (errno, ==, ESRCH);
}
#endif

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("tv-test-window-files-XXXXXX", NULL);
  int status;

  g_assert_nonnull (home);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  tmp_dir = home;

  g_test_init (&argc, &argv, NULL);

  if (gtk_init_check ())
    {
      app = tv_application_new ();
      g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (app), NULL, NULL);
    }

  g_test_add_data_func ("/tv/window-files/save-and-reopen", (gconstpointer) test_save_and_reopen, window_test);
  g_test_add_data_func ("/tv/window-files/open-corrupt", (gconstpointer) test_open_corrupt, window_test);
  g_test_add_data_func ("/tv/window-files/open-cancel", (gconstpointer) test_open_cancel, window_test);
  g_test_add_data_func ("/tv/window-files/json-out-and-in", (gconstpointer) test_json_out_and_in, window_test);
  g_test_add_data_func ("/tv/window-files/trace-program", (gconstpointer) test_trace_program, window_test);
  g_test_add_data_func ("/tv/window-files/trace-dialog", (gconstpointer) test_trace_dialog, window_test);
#ifdef TV_PRELOAD_FIXTURES
  g_test_add_data_func ("/tv/window-files/trace-deadlock", (gconstpointer) test_trace_deadlock, window_test);
  g_test_add_data_func ("/tv/window-files/close-while-tracing", (gconstpointer) test_close_while_tracing, window_test);
#endif

  status = g_test_run ();
  g_clear_object (&app);
  /* The files each test wrote are gone; the directory may hold GTK's. */
  g_rmdir (home);
  return status;
}
