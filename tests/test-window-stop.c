/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-window-stop.c: Stop (Shift+F5) in the window, on runs with child
 * processes: the run ends STOPPED, the trace so far stays on the timeline,
 * and no child is left behind, live or zombie.  Under Xvfb; skipped where
 * there is no display.  How fast Stop is, is measured by
 * threadviz-stop-bench, not here.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "tv-application.h"
#include "tv-test-resources.h"
#include "tv-timeline-view.h"
#include "tv-window-test.h"
#include "tv-window.h"


static TvWindow *
open_lesson (const char *name)
{
  const char *dir = g_getenv ("TV_SCENARIO_DIR");
  g_autofree char *path = g_build_filename (dir != NULL ? dir : TV_SCENARIO_DIR, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  TvWindow *window = tv_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  tv_window_open (window, file);
  iterate_until (not_loading, window, "the lesson to load");
  g_assert_nonnull (tv_window_get_scenario (window));
  return window;
}

static guint
count_in (const char *text,
          const char *what)
{
  guint n = 0;

  for (const char *p = strstr (text, what); p != NULL; p = strstr (p + 1, what))
    n++;
  return n;
}

/* Every child has printed its pid: four processes are at their work. */
static gboolean
four_children_working (gpointer data)
{
  g_autofree char *console = tv_window_dup_console_text (data);

  return count_in (console, "Pid is") == 4 || !tv_window_is_running (data);
}

static gboolean
no_children (gpointer data)
{
  g_autofree char *children = list_children ();

  /* The window reaps in a worker thread: let the main loop run. */
  return children[0] == '\0';
}

/*
 * The four-process lesson, stopped in the middle of its work with the key
 * Stop is bound to.  Slowed to 0.1× so that its 2 s of work cannot end
 * before the stop, however loaded the machine.
 */
static void
test_stop_processes (void)
{
  TvWindow *window = open_lesson ("processes.tvs");
  TvTimeline *timeline = tv_window_get_timeline (window);
  g_auto(GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (app), "<Shift>F5");
  g_autofree char *console = NULL;
  TvTrace *trace;
  guint64 before;

  g_assert_nonnull (actions);
  g_assert_cmpstr (actions[0], ==, "win.stop");

  g_action_group_change_action_state (G_ACTION_GROUP (window), "speed", g_variant_new_string ("0.1"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  iterate_until (four_children_working, window, "four children at work");
  if (!tv_window_is_running (window))
    {
      g_autofree char *early = tv_window_dup_console_text (window);

      g_error ("the run ended before the stop; its console:\n%s", early);
    }
  trace = tv_timeline_get_trace (timeline);
  before = tv_trace_get_n_events (trace);
  g_assert_cmpuint (before, >, 0);
  g_assert_false (tv_trace_is_finished (trace));

  gtk_widget_activate_action (GTK_WIDGET (window), actions[0], NULL);
  iterate_until (not_running, window, "the run to stop");

  /* Ended by the stop, with the trace so far still on the timeline: the
   * main thread and the four children, each child's print, nothing of
   * what came after the work. */
  g_assert_true (tv_timeline_get_trace (timeline) == trace);
  g_assert_true (tv_trace_is_finished (trace));
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, TV_RUN_STOPPED);
  g_assert_cmpuint (tv_trace_get_n_events (trace), >=, before);
  g_assert_cmpuint (tv_trace_get_n_threads (trace), ==, 5);
  g_assert_cmpuint (tv_trace_get_prints (trace)->len, ==, 4);
  g_assert_cmpint (tv_timeline_view_get_duration (tv_timeline_get_view (timeline)), >, 0);
  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "Stopped at"));
  g_assert_null (strstr (console, "Four processes took"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));

  /* No child is left, live or zombie, once the window has reaped them. */
  iterate_until (no_children, NULL, "the run's children to be reaped");
  assert_no_children ();

  g_action_group_change_action_state (G_ACTION_GROUP (window), "speed", g_variant_new_string ("1"));
  close_window (window);
}

/* A child asleep in a long sleep, the run paused: Stop still ends it all. */
static void
test_stop_paused_child (void)
{
  static const char text[] =
    "process sleeper:\n"
    "    print \"asleep\"\n"
    "    sleep 600s\n"
    "main:\n"
    "    start sleeper\n"
    "    join sleeper\n";
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "tv-window-stop-paused.tvs", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *console = NULL;
  g_autoptr(GVariant) paused = NULL;
  TvWindow *window = tv_window_new (app);
  TvTrace *trace;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  tv_window_open (window, file);
  iterate_until (not_loading, window, "the scenario to load");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  for (int i = 0; i < TIMEOUT_MS; i++)
    {
      g_free (console);
      console = tv_window_dup_console_text (window);
      if (strstr (console, "asleep") != NULL)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_nonnull (strstr (console, "asleep"));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (TRUE));
  g_assert_true (tv_window_is_running (window));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  iterate_until (not_running, window, "the paused run to stop");

  trace = tv_timeline_get_trace (tv_window_get_timeline (window));
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, TV_RUN_STOPPED);
  g_assert_cmpuint (tv_trace_get_prints (trace)->len, ==, 1);
  /* The pause is kept as a mark of the trace. */
  g_assert_cmpuint (tv_trace_get_pauses (trace)->len, >=, 1);
  paused = g_action_group_get_action_state (G_ACTION_GROUP (window), "pause");
  g_assert_false (g_variant_get_boolean (paused));

  iterate_until (no_children, NULL, "the run's child to be reaped");
  assert_no_children ();

  close_window (window);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("tv-test-window-stop-XXXXXX", NULL);
  int status;

  /* Recent files and settings of our own (see test-window.c). */
  g_assert_nonnull (home);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);

  g_test_init (&argc, &argv, NULL);

  if (gtk_init_check ())
    {
      app = tv_application_new ();
      g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (app), NULL, NULL);
    }

  g_test_add_data_func ("/tv/window/stop/processes", (gconstpointer) test_stop_processes, window_test);
  g_test_add_data_func ("/tv/window/stop/paused-child", (gconstpointer) test_stop_paused_child, window_test);

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
