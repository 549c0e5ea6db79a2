/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-window.c: the application window, driven through its actions as a
 * user would, under Xvfb.  Skipped (77) where there is no display.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "tv-application.h"
#include "tv-time-parse.h"
#include "tv-timeline-view.h"
#include "tv-window-test.h"
#include "tv-window.h"


static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

/* Lets the window lay out and draw once more. */
static void
wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong id;

  g_assert_nonnull (clock);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  iterate_until (flag_set, &painted, "a paint");
  g_signal_handler_disconnect (clock, id);
}

static TvWindow *
open_window (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  TvWindow *window = tv_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  tv_window_open (window, file);
  iterate_until (not_loading, window, "the scenario to load");
  wait_for_paint (GTK_WIDGET (window));

  return window;
}

static char *
lesson_path (const char *name)
{
  const char *dir = g_getenv ("TV_SCENARIO_DIR");

  return g_build_filename (dir != NULL ? dir : TV_SCENARIO_DIR, name, NULL);
}

static char *
write_scenario (const char *name,
                const char *text)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
run_to_end (TvWindow *window)
{
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  iterate_until (not_running, window, "the run to end");
  wait_for_paint (GTK_WIDGET (window));
}

static GdkTexture *
render_widget (GtkWidget *widget)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  GdkTexture *texture;

  g_assert_cmpint (width, >, 100);
  g_assert_cmpint (height, >, 100);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gsk_render_node_unref (node);
  return texture;
}

/* How many separate horizontal bands hold a run of saturated (bar) pixels. */
static guint
count_bar_bands (GdkTexture *texture,
                 int         x0)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) width * height);
  gboolean in_band = FALSE;
  guint bands = 0;

  gdk_texture_download (texture, (guchar *) pixels, width * 4);

  for (int y = 0; y < height; y++)
    {
      int colourful = 0;

      for (int x = x0; x < width; x++)
        {
          guint32 px = pixels[y * width + x];
          int r = (px >> 16) & 0xff, g = (px >> 8) & 0xff, b = px & 0xff;

          if (MAX (r, MAX (g, b)) - MIN (r, MIN (g, b)) > 80)
            colourful++;
        }

      if (colourful > 40 && !in_band)
        bands++;
      in_band = colourful > 40;
    }

  return bands;
}

/*
 * Somewhere on the rows a tooltip names worker-1 with a state, when it
 * started and how long it lasted, and quotes the scenario line.
 */
static void
check_tooltips (TvTimeline *timeline)
{
  int width = gtk_widget_get_width (GTK_WIDGET (timeline));
  int height = gtk_widget_get_height (GTK_WIDGET (timeline));
  gboolean worker = FALSE;
  gboolean line = FALSE;

  /* Nothing over the label column. */
  g_assert_null (tv_timeline_dup_tooltip_at (timeline, 5, height / 2));

  for (int x = width / 3; x < width; x += width / 6)
    for (int y = 0; y < height; y += 4)
      {
        g_autofree char *text = tv_timeline_dup_tooltip_at (timeline, x, y);

        if (text == NULL)
          continue;
        if (strstr (text, "<b>worker-1</b>") != NULL &&
            (strstr (text, "running") != NULL || strstr (text, "sleeping") != NULL) &&
            strstr (text, "from ") != NULL && strstr (text, " for ") != NULL)
          worker = TRUE;
        if (strstr (text, "line ") != NULL && strstr (text, "<tt>") != NULL)
          line = TRUE;
      }

  g_assert_true (worker);
  g_assert_true (line);
}

static void
test_run_lesson (void)
{
  g_autofree char *path = lesson_path ("lifecycle.tvs");
  g_autofree char *console = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  TvWindow *window = open_window (path);
  TvTimeline *timeline = tv_window_get_timeline (window);

  g_assert_nonnull (tv_window_get_scenario (window));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "A thread's life cycle — ThreadViz");

  /* Faster than real time: the test checks order and states, not durations. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "speed", g_variant_new_string ("5"));
  run_to_end (window);

  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "MainThread starts"));
  g_assert_nonnull (strstr (console, "worker-1 starts"));
  g_assert_nonnull (strstr (console, "worker-2 ends"));
  g_assert_nonnull (strstr (console, "Finished in"));
  g_assert_true (strstr (console, "worker-1 starts") < strstr (console, "worker-1 ends"));

  /* Three thread rows (main and two workers) with coloured state bars. */
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (timeline)));
  texture = render_widget (GTK_WIDGET (timeline));
  g_assert_cmpuint (count_bar_bands (texture, 300), >=, 3);

  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "export"));

  check_tooltips (timeline);

  close_window (window);
}

static void
test_load_error (void)
{
  g_autofree char *path = write_scenario ("tv-window-bad.tvs",
                                          "lock L\n"
                                          "\n"
                                          "thread t:\n"
                                          "    acquire M\n");
  g_autofree char *console = NULL;
  TvWindow *window = open_window (path);

  g_assert_null (tv_window_get_scenario (window));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));

  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "tv-window-bad.tvs:4:13:"));
  g_assert_nonnull (strstr (console, "'M'"));

  /* Running anyway does nothing and breaks nothing. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_false (tv_window_is_running (window));

  close_window (window);
  g_unlink (path);
}

/*
 * Four threads recording flat out, drawn live: the timeline's collector
 * empties the rings from its own thread, feeds the trace a frame's share at
 * a time, and no event is lost on the way (the window drained the rings on
 * its frames once, and lost most of such a run).
 */
static void
test_flat_out (void)
{
  g_autofree char *path = write_scenario ("tv-window-flat-out.tvs",
                                          "lock L\n"
                                          "var x = 0\n"
                                          "thread T * 4:\n"
                                          "    repeat 25000:\n"
                                          "        acquire L\n"
                                          "        x += 1\n"
                                          "        release L\n"
                                          "main:\n"
                                          "    start T\n"
                                          "    join T\n"
                                          "    print \"x = {x}\"\n");
  g_autofree char *console = NULL;
  TvWindow *window = open_window (path);
  TvTrace *trace;
  const TvTraceObject *x;

  run_to_end (window);

  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "x = 100000"));
  g_assert_nonnull (strstr (console, "Finished in"));
  g_assert_null (strstr (console, "lost"));

  trace = tv_timeline_get_trace (tv_window_get_timeline (window));
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==, 0);
  /* Every read and write of x, in time order. */
  x = tv_trace_find_object (trace, "x");
  g_assert_nonnull (x);
  g_assert_cmpuint (x->accesses->len, ==, 200000);
  for (guint i = 1; i < x->accesses->len; i++)
    g_assert_cmpint (g_array_index (x->accesses, TvAccess, i).time, >=,
                     g_array_index (x->accesses, TvAccess, i - 1).time);
  g_assert_cmpint (g_array_index (x->accesses, TvAccess, x->accesses->len - 1).value, ==, 100000);

  close_window (window);
}

static void
test_stop (void)
{
  g_autofree char *path = write_scenario ("tv-window-forever.tvs",
                                          "thread spinner:\n"
                                          "    forever:\n"
                                          "        work 5ms\n"
                                          "        print \"tick\"\n");
  g_autofree char *console = NULL;
  TvWindow *window = open_window (path);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop"));
  g_assert_true (tv_timeline_is_live (tv_window_get_timeline (window)));
  g_assert_true (tv_timeline_view_get_follow_live (tv_timeline_get_view (tv_window_get_timeline (window))));

  /* Wait for a printed line: then the run is really going. */
  for (int i = 0; i < 5000; i++)
    {
      g_free (console);
      console = tv_window_dup_console_text (window);
      if (strstr (console, "tick") != NULL)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_nonnull (strstr (console, "tick"));

  /* The right edge follows the run; a pan stops that, win.follow-live resumes it. */
  {
    TvTimelineView *view = tv_timeline_get_view (tv_window_get_timeline (window));

    g_assert_cmpint (tv_timeline_view_get_end (view), >=, tv_timeline_view_get_duration (view));
    tv_timeline_view_pan (view, -1000);
    g_assert_false (tv_timeline_view_get_follow_live (view));
    g_action_group_change_action_state (G_ACTION_GROUP (window), "follow-live", g_variant_new_boolean (TRUE));
    g_assert_true (tv_timeline_view_get_follow_live (view));
  }

  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  iterate_until (not_running, window, "the run to stop");

  g_free (console);
  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "Stopped at"));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "run"));

  close_window (window);
  g_unlink (path);
}

/* Thirty rows do not fit: the rows scroll through GtkScrollable. */
static void
test_scroll_rows (void)
{
  g_autofree char *path = write_scenario ("tv-window-many.tvs",
                                          "thread worker * 30:\n"
                                          "    sleep 1ms\n");
  TvWindow *window = open_window (path);
  TvTimeline *timeline = tv_window_get_timeline (window);
  TvTimelineView *view = tv_timeline_get_view (timeline);
  GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (timeline));

  run_to_end (window);

  g_assert_cmpfloat (gtk_adjustment_get_upper (vadjustment), >, gtk_adjustment_get_page_size (vadjustment));
  g_assert_cmpfloat (gtk_adjustment_get_page_size (vadjustment), ==, gtk_widget_get_height (GTK_WIDGET (timeline)));

  /* The scrollbar moves the rows; the view moves the scrollbar. */
  gtk_adjustment_set_value (vadjustment, 100);
  g_assert_cmpfloat (tv_timeline_view_get_scroll_y (view), ==, 100);
  tv_timeline_view_set_scroll_y (view, 40);
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), ==, 40);

  /* Filtering down to one row leaves nothing to scroll. */
  tv_timeline_view_set_filter (view, "worker-17");
  wait_for_paint (GTK_WIDGET (window));
  g_assert_cmpfloat (gtk_adjustment_get_upper (vadjustment), ==, gtk_adjustment_get_page_size (vadjustment));
  g_assert_cmpfloat (gtk_adjustment_get_value (vadjustment), ==, 0);
  g_assert_cmpfloat (tv_timeline_view_get_scroll_y (view), ==, 0);

  close_window (window);
  g_unlink (path);
}

/* Closing a window in the middle of a run stops it; nothing waits on it. */
static void
test_close_while_running (void)
{
  g_autofree char *path = write_scenario ("tv-window-close.tvs",
                                          "lock L\n"
                                          "thread holder:\n"
                                          "    forever:\n"
                                          "        with L:\n"
                                          "            work 2ms\n"
                                          "thread waiter:\n"
                                          "    forever:\n"
                                          "        acquire L\n"
                                          "        release L\n");
  TvWindow *window = open_window (path);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  for (int i = 0; i < 100; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  /* The run is stopped and reaped in a worker; the window goes at once. */
  close_window (window);

  g_unlink (path);
}

/* A new window starts with the speed and the sidebar the last one had. */
static void
test_settings (void)
{
  g_autofree char *path = lesson_path ("lifecycle.tvs");
  g_autoptr(GVariant) state = NULL;
  TvWindow *window = open_window (path);

  g_action_group_activate_action (G_ACTION_GROUP (window), "speed", g_variant_new_string ("0.5"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.toggle-sidebar", NULL);
  close_window (window);

  window = open_window (path);
  state = g_action_group_get_action_state (G_ACTION_GROUP (window), "speed");
  g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "0.5");
  g_assert_false (adw_flap_get_reveal_flap (ADW_FLAP (gtk_widget_get_ancestor (gtk_widget_get_parent (GTK_WIDGET (tv_window_get_timeline (window))), ADW_TYPE_FLAP))));

  /* Back to the defaults for the other tests. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "speed", g_variant_new_string ("1"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.toggle-sidebar", NULL);
  close_window (window);
}

static gboolean
file_written (gpointer data)
{
  g_autoptr(GFile) file = g_file_new_for_path (data);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, NULL, NULL);

  return info != NULL && g_file_info_get_size (info) > 0;
}

static void
test_export (void)
{
  g_autofree char *path = lesson_path ("start-new-thread.tvs");
  g_autofree char *png = g_build_filename (g_get_tmp_dir (), "tv-window-export.png", NULL);
  g_autofree char *svg = g_build_filename (g_get_tmp_dir (), "tv-window-export.svg", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *console = NULL;
  TvWindow *window = open_window (path);

  g_unlink (png);
  g_unlink (svg);

  /* Nothing to export before a run. */
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "export"));

  g_action_group_activate_action (G_ACTION_GROUP (window), "speed", g_variant_new_string ("5"));
  run_to_end (window);

  g_action_group_activate_action (G_ACTION_GROUP (window), "export-to", g_variant_new_string (png));
  iterate_until (file_written, png, "the PNG");
  g_action_group_activate_action (G_ACTION_GROUP (window), "export-to", g_variant_new_string (svg));
  iterate_until (file_written, svg, "the SVG");

  /* Wait for the console line too: the file exists before the task returns. */
  for (int i = 0; i < 5000; i++)
    {
      g_free (console);
      console = tv_window_dup_console_text (window);
      if (strstr (console, "tv-window-export.svg") != NULL)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_nonnull (strstr (console, "Exported the timeline to"));

  g_assert_true (g_file_get_contents (png, &contents, NULL, NULL));
  g_assert_true (memcmp (contents, "\x89PNG", 4) == 0);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (svg, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "<svg"));

  close_window (window);
  g_unlink (png);
  g_unlink (svg);
}

/* --- The editor ------------------------------------------------------- */

static GtkTextBuffer *
editor_buffer (TvWindow *window)
{
  return GTK_TEXT_BUFFER (tv_editor_get_buffer (tv_window_get_editor (window)));
}

static gboolean
action_enabled (gpointer data)
{
  gpointer *pair = data;

  return g_action_group_get_action_enabled (G_ACTION_GROUP (pair[0]), pair[1]);
}

static void
wait_for_action (TvWindow   *window,
                 const char *name)
{
  gpointer pair[2] = { window, (gpointer) name };

  iterate_until (action_enabled, pair, name);
}

static void
test_editor_load_edit (void)
{
  g_autofree char *path = lesson_path ("race.tvs");
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  TvWindow *window = open_window (path);
  TvEditor *editor = tv_window_get_editor (window);
  GtkTextBuffer *buffer = editor_buffer (window);
  GtkSourceLanguage *language;
  GtkTextIter iter;

  /* The editor holds the scenario's text, unmodified, highlighted as .tvs. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  text = tv_editor_dup_text (editor);
  g_assert_cmpstr (text, ==, contents);
  g_assert_false (gtk_text_buffer_get_modified (buffer));
  language = gtk_source_buffer_get_language (GTK_SOURCE_BUFFER (buffer));
  g_assert_nonnull (language);
  g_assert_cmpstr (gtk_source_language_get_id (language), ==, "tvs");
  g_assert_true (gtk_source_view_get_show_line_numbers (tv_editor_get_view (editor)));

  /* Typing marks it modified; undo takes the edit back. */
  gtk_text_buffer_get_start_iter (buffer, &iter);
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_insert (buffer, &iter, "# my note\n", -1);
  gtk_text_buffer_end_user_action (buffer);
  g_assert_true (gtk_text_buffer_get_modified (buffer));
  g_assert_true (gtk_text_buffer_get_can_undo (buffer));
  gtk_text_buffer_undo (buffer);
  g_clear_pointer (&text, g_free);
  text = tv_editor_dup_text (editor);
  g_assert_cmpstr (text, ==, contents);

  /* A lesson stays as shipped: nothing here writes to it. */
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "# my note"));

  gtk_text_buffer_set_modified (buffer, FALSE);
  close_window (window);
}

static gboolean
file_has_note (gpointer data)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (data, &contents, NULL, NULL) &&
         g_str_has_prefix (contents, "# saved note\n");
}

static gboolean
unmodified (gpointer data)
{
  return !gtk_text_buffer_get_modified (editor_buffer (data));
}

static void
test_editor_save (void)
{
  g_autofree char *path = write_scenario ("tv-window-save.tvs",
                                          "thread t:\n"
                                          "    sleep 1ms\n");
  TvWindow *window = open_window (path);
  GtkTextBuffer *buffer = editor_buffer (window);
  GtkTextIter iter;

  gtk_text_buffer_get_start_iter (buffer, &iter);
  gtk_text_buffer_insert (buffer, &iter, "# saved note\n", -1);
  g_assert_true (gtk_text_buffer_get_modified (buffer));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.save", NULL);
  iterate_until (file_has_note, path, "the file to be saved");
  iterate_until (unmodified, window, "the buffer to be saved");

  close_window (window);
  g_unlink (path);
}

static gboolean
run_enabled (gpointer data)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (data), "run");
}

/* The console line (a label) whose text holds `text`, or NULL. */
static GtkLabel *
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return GTK_LABEL (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label (child, text);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
test_editor_errors (void)
{
  g_autofree char *path = write_scenario ("tv-window-underline.tvs",
                                          "lock L\n"
                                          "\n"
                                          "thread t:\n"
                                          "    acquire M\n"
                                          "    release L\n");
  TvWindow *window = open_window (path);
  TvEditor *editor = tv_window_get_editor (window);
  GtkTextBuffer *buffer = editor_buffer (window);
  g_autofree char *console = NULL;
  const char *message;
  GtkTextIter start, end;

  /* 4:13 is the M of `acquire M`: underlined there, and only there. */
  message = tv_editor_get_message_at (editor, 4, 13);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "unknown lock 'M'"));
  g_assert_null (tv_editor_get_message_at (editor, 4, 12));
  g_assert_null (tv_editor_get_message_at (editor, 5, 5));
  g_assert_null (tv_editor_get_message_at (editor, 1, 1));

  /* The console lists it, its place a link. */
  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "tv-window-underline.tvs:4:13: unknown lock 'M'"));

  /* Clicking the place in the console puts the cursor there. */
  {
    GtkLabel *label = find_label (GTK_WIDGET (window), "tv-window-underline.tvs:4:13:");
    gboolean handled = FALSE;
    GtkTextIter cursor;

    g_assert_nonnull (label);
    g_assert_nonnull (strstr (gtk_label_get_label (label), "<a href=\"line:4:13\">"));
    g_signal_emit_by_name (label, "activate-link", "line:4:13", &handled);
    g_assert_true (handled);
    gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
    g_assert_cmpint (gtk_text_iter_get_line (&cursor), ==, 3);
    g_assert_cmpint (gtk_text_iter_get_line_offset (&cursor), ==, 12);
  }

  /* Fixing the text removes the mark and lets it run, unsaved. */
  gtk_text_buffer_get_iter_at_line_offset (buffer, &start, 3, 12);
  end = start;
  gtk_text_iter_forward_char (&end);
  gtk_text_buffer_delete (buffer, &start, &end);
  gtk_text_buffer_insert (buffer, &start, "L", -1);
  iterate_until (run_enabled, window, "the fixed text to parse");
  g_assert_null (tv_editor_get_message_at (editor, 4, 13));
  g_assert_true (gtk_text_buffer_get_modified (buffer));

  /* What runs is the editor's text, not the file's. */
  run_to_end (window);
  g_free (console);
  console = tv_window_dup_console_text (window);
  g_assert_nonnull (strstr (console, "Finished in"));

  gtk_text_buffer_set_modified (buffer, FALSE);
  close_window (window);
  g_unlink (path);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel) && gtk_widget_get_visible (toplevel))
        return ADW_MESSAGE_DIALOG (toplevel);
    }

  return NULL;
}

static gboolean
has_message_dialog (gpointer data)
{
  return find_message_dialog () != NULL;
}

/* Unsaved edits are not lost to another file without a question. */
static void
test_editor_unsaved (void)
{
  g_autofree char *path = write_scenario ("tv-window-unsaved.tvs",
                                          "thread t:\n"
                                          "    sleep 1ms\n");
  g_autofree char *other_path = lesson_path ("race.tvs");
  g_autoptr(GFile) other = g_file_new_for_path (other_path);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  TvWindow *window = open_window (path);
  GtkTextBuffer *buffer = editor_buffer (window);
  AdwMessageDialog *dialog;
  GtkTextIter iter;

  gtk_text_buffer_get_end_iter (buffer, &iter);
  gtk_text_buffer_insert (buffer, &iter, "# not saved\n", -1);

  /* Opening another file asks first; Cancel keeps everything. */
  tv_window_open (window, other);
  iterate_until (has_message_dialog, NULL, "the question about unsaved changes");
  dialog = g_object_ref (find_message_dialog ());
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Save Changes?");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_assert_false (tv_window_is_loading (window));
  g_assert_true (g_file_equal (tv_window_get_file (window), file));
  g_assert_true (gtk_text_buffer_get_modified (buffer));

  /* Discard: the other file opens, the edit is gone, the file untouched. */
  tv_window_open (window, other);
  iterate_until (has_message_dialog, NULL, "the question about unsaved changes");
  dialog = g_object_ref (find_message_dialog ());
  adw_message_dialog_response (dialog, "discard");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  iterate_until (not_loading, window, "the other scenario to load");
  g_assert_true (g_file_equal (tv_window_get_file (window), other));
  g_assert_false (gtk_text_buffer_get_modified (buffer));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, "# not saved"));

  close_window (window);
  g_unlink (path);
}

/* A run-time error marks its line; the next run clears the mark. */
static void
test_editor_run_error (void)
{
  g_autofree char *path = write_scenario ("tv-window-divide.tvs",
                                          "var zero = 0\n"
                                          "var x = 0\n"
                                          "thread t:\n"
                                          "    x = 1\n"
                                          "    x = 10 / zero\n");
  TvWindow *window = open_window (path);
  TvEditor *editor = tv_window_get_editor (window);
  const char *message;

  run_to_end (window);
  message = tv_editor_get_message_at (editor, 5, 1);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "t: "));
  g_assert_null (tv_editor_get_message_at (editor, 4, 1));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_null (tv_editor_get_message_at (editor, 5, 1));
  iterate_until (not_running, window, "the run to end");
  g_assert_nonnull (tv_editor_get_message_at (editor, 5, 1));

  close_window (window);
  g_unlink (path);
}

/* --- Run control --------------------------------------------------------- */

static guint64
n_events (TvWindow *window)
{
  TvTrace *trace = tv_timeline_get_trace (tv_window_get_timeline (window));

  tv_timeline_poll (tv_window_get_timeline (window));
  return trace != NULL ? tv_trace_get_n_events (trace) : 0;
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
thread_a_started (gpointer data)
{
  TvTrace *trace = tv_timeline_get_trace (tv_window_get_timeline (data));
  const TvTraceThread *thread;

  tv_timeline_poll (tv_window_get_timeline (data));
  thread = trace != NULL ? tv_trace_find_thread (trace, "a") : NULL;
  return thread != NULL && thread->started >= 0;
}

static gboolean
console_has (TvWindow   *window,
             const char *text)
{
  g_autofree char *console = tv_window_dup_console_text (window);

  return strstr (console, text) != NULL;
}

static void
test_pause_step (void)
{
  g_autofree char *path = write_scenario ("tv-window-step.tvs",
                                          "thread a:\n"
                                          "    sleep 5s\n"
                                          "    print \"one\"\n"
                                          "    print \"two\"\n"
                                          "    print \"three\"\n"
                                          "thread b:\n"
                                          "    repeat 3000:\n"
                                          "        sleep 1ms\n"
                                          "main:\n"
                                          "    start a\n"
                                          "    start b\n"
                                          "    join a\n");
  TvWindow *window = open_window (path);
  TvEditor *editor = tv_window_get_editor (window);
  TvTimelineView *view = tv_timeline_get_view (tv_window_get_timeline (window));
  g_autofree char *at_line = NULL;
  const TvTraceThread *a;
  guint64 before;

  g_action_group_activate_action (G_ACTION_GROUP (window), "speed", g_variant_new_string ("10"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "pause"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  iterate_until (thread_a_started, window, "thread a to start");

  /* Paused, the run records nothing more: b's sleeps stand still too. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (TRUE));
  iterate_for (100);
  before = n_events (window);
  iterate_for (300);
  g_assert_cmpuint (n_events (window), ==, before);
  g_assert_false (console_has (window, "one"));
  /* The timeline marks the moment. */
  g_assert_cmpuint (tv_timeline_get_n_pauses (tv_window_get_timeline (window)), ==, 1);

  /* Select a as the timeline does (a click on its name). */
  a = tv_trace_find_thread (tv_timeline_get_trace (tv_window_get_timeline (window)), "a");
  g_assert_nonnull (a);
  tv_timeline_view_set_selected_thread (view, (int) a->index);
  {
    g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window), "select-thread");

    g_assert_cmpint (g_variant_get_int32 (state), ==, (int) a->index);
  }

  /* a was inside its sleep: the first step ends it, a stands before line 3. */
  wait_for_action (window, "step");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step", NULL);
  wait_for_action (window, "step");
  at_line = tv_editor_dup_threads_at (editor, 3);
  g_assert_nonnull (at_line);
  g_assert_nonnull (strstr (at_line, "a paused here"));
  g_assert_false (console_has (window, "one"));
  /* The step ran the clock to the end of the sleep: a second moment. */
  g_assert_cmpuint (tv_timeline_get_n_pauses (tv_window_get_timeline (window)), ==, 2);

  /* One step, one statement: "one" is printed, "two" is not. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step", NULL);
  wait_for_action (window, "step");
  tv_timeline_poll (tv_window_get_timeline (window));
  iterate_for (50);
  g_assert_true (console_has (window, "one"));
  g_assert_false (console_has (window, "two"));
  g_clear_pointer (&at_line, g_free);
  at_line = tv_editor_dup_threads_at (editor, 4);
  g_assert_nonnull (at_line);
  g_assert_nonnull (strstr (at_line, "a paused here"));

  /* Resume: the run ends on its own, the marks go. */
  g_action_group_change_action_state (G_ACTION_GROUP (window), "pause", g_variant_new_boolean (FALSE));
  iterate_until (not_running, window, "the run to end");
  g_assert_true (console_has (window, "three"));
  g_clear_pointer (&at_line, g_free);
  g_assert_null (tv_editor_dup_threads_at (editor, 4));

  g_action_group_activate_action (G_ACTION_GROUP (window), "speed", g_variant_new_string ("1"));
  close_window (window);
  g_unlink (path);
}

/* The shortcut Space goes through, and whether it paused. */
static gboolean
press_space (TvWindow *window)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
      g_autoptr(GtkShortcut) shortcut = NULL;

      if (g_strcmp0 (gtk_event_controller_get_name (controller), "tv-space-pause") != 0)
        continue;

      /* Before the focused widget and GtkWindow's own Space binding. */
      g_assert_cmpint (gtk_event_controller_get_propagation_phase (controller), ==, GTK_PHASE_CAPTURE);
      shortcut = g_list_model_get_item (G_LIST_MODEL (controller), 0);
      g_assert_cmpuint (gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (gtk_shortcut_get_trigger (shortcut))), ==, GDK_KEY_space);
      return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, GTK_WIDGET (window), NULL);
    }

  g_assert_not_reached ();
  return FALSE;
}

static gboolean
is_paused (TvWindow *window)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window), "pause");

  return g_variant_get_boolean (state);
}

/*
 * Space pauses when the timeline has the focus, and is left to the editor
 * while one types there (it is not an application accelerator: those run
 * before the focused widget).  GTK 4.8 cannot send a key from a test, so
 * the key's shortcut is activated as the window would, with the focus where
 * the user put it.
 */
static void
test_space_scope (void)
{
  g_autofree char *path = write_scenario ("tv-window-space.tvs",
                                          "thread spinner:\n"
                                          "    forever:\n"
                                          "        sleep 1ms\n");
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.pause");
  TvWindow *window = open_window (path);
  GtkWidget *view = GTK_WIDGET (tv_editor_get_view (tv_window_get_editor (window)));

  for (guint i = 0; accels[i] != NULL; i++)
    {
      guint key = 0;
      GdkModifierType mods = 0;

      g_assert_true (gtk_accelerator_parse (accels[i], &key, &mods));
      g_assert_cmpuint (key, !=, GDK_KEY_space);
    }

  gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
  g_assert_true (tv_window_is_running (window));
  wait_for_paint (GTK_WIDGET (window));

  /* Typing in the editor: Space is text, the run goes on. */
  gtk_widget_grab_focus (view);
  g_assert_true (gtk_widget_has_focus (view));
  g_assert_false (press_space (window));
  g_assert_false (is_paused (window));

  /* On the timeline: Space pauses, and again resumes. */
  gtk_widget_grab_focus (GTK_WIDGET (tv_window_get_timeline (window)));
  g_assert_true (press_space (window));
  g_assert_true (is_paused (window));
  g_assert_true (press_space (window));
  g_assert_false (is_paused (window));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL);
  iterate_until (not_running, window, "the run to stop");
  close_window (window);
  g_unlink (path);
}

static void
test_view_zoom_pan (void)
{
  g_autoptr(TvTimelineView) view = tv_timeline_view_new ();

  g_assert_true (tv_timeline_view_get_follow_live (view));

  /* Following live, the right edge tracks the run's end. */
  tv_timeline_view_set_duration (view, 3 * G_TIME_SPAN_SECOND * 1000);
  g_assert_cmpint (tv_timeline_view_get_start (view), ==, 0);
  g_assert_cmpint (tv_timeline_view_get_end (view), >=, G_GINT64_CONSTANT (3000000000));

  /* Zoom around a point keeps that point's time in place. */
  tv_timeline_view_set_follow_live (view, FALSE);
  tv_timeline_view_set_range (view, 0, 4000000000);
  tv_timeline_view_zoom (view, 2.0, 0.25);
  g_assert_cmpint (tv_timeline_view_get_start (view), ==, 500000000);
  g_assert_cmpint (tv_timeline_view_get_end (view), ==, 2500000000);

  /* A manual pan turns follow-live off; turning it on jumps to the end. */
  tv_timeline_view_set_follow_live (view, TRUE);
  tv_timeline_view_pan (view, -100000000);
  g_assert_false (tv_timeline_view_get_follow_live (view));
  tv_timeline_view_set_follow_live (view, TRUE);
  g_assert_cmpint (tv_timeline_view_get_end (view), >=, 3000000000);

  tv_timeline_view_fit (view);
  g_assert_false (tv_timeline_view_get_follow_live (view));
  g_assert_cmpint (tv_timeline_view_get_start (view), ==, 0);
  g_assert_cmpint (tv_timeline_view_get_end (view), >=, 3000000000);
  g_assert_cmpint (tv_timeline_view_get_end (view), <, 3200000000);
}

static void
test_parse_range (void)
{
  gint64 start, end, ns;

  g_assert_true (tv_time_parse_range ("1.2s\u20131.5s", &start, &end));
  g_assert_cmpint (start, ==, 1200000000);
  g_assert_cmpint (end, ==, 1500000000);

  g_assert_true (tv_time_parse_range ("1.2\u20131.5s", &start, &end));
  g_assert_cmpint (start, ==, 1200000000);

  g_assert_true (tv_time_parse_range ("200ms..450 ms", &start, &end));
  g_assert_cmpint (start, ==, 200000000);
  g_assert_cmpint (end, ==, 450000000);

  g_assert_true (tv_time_parse_range ("10 us - 2ms", &start, &end));
  g_assert_cmpint (start, ==, 10000);
  g_assert_cmpint (end, ==, 2000000);

  g_assert_false (tv_time_parse_range ("1.5s\u20131.2s", &start, &end));
  g_assert_false (tv_time_parse_range ("soon", &start, &end));
  g_assert_false (tv_time_parse_range ("1s", &start, &end));
  g_assert_false (tv_time_parse_range ("1 parsec-2s", &start, &end));

  g_assert_true (tv_time_parse ("250ms", &ns));
  g_assert_cmpint (ns, ==, 250000000);
  g_assert_true (tv_time_parse ("3", &ns));
  g_assert_cmpint (ns, ==, 3000000000);
  g_assert_false (tv_time_parse ("-3s", &ns));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = g_dir_make_tmp ("tv-test-window-XXXXXX", NULL);
  int status;

  /*
   * Recent files go to a directory of our own.  Not G_TEST_OPTION_ISOLATE_DIRS:
   * it hides the system's GSettings schemas, which GTK needs.
   */
  g_assert_nonnull (home);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);

  /*
   * The renderer is the environment's choice: the normal stage of .ci/run
   * draws with GL (llvmpipe), its AddressSanitizer stage sets
   * GSK_RENDERER=cairo, under which Mesa's allocations would crawl.
   */

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/timeline-view/zoom-pan", test_view_zoom_pan);
  g_test_add_func ("/tv/timeline-view/parse-range", test_parse_range);

  /*
   * Without a display the window tests are reported as skipped, case by
   * case: with --tap, meson reads the skips from the output (an exit status
   * of 77 would count as an error after a TAP plan).
   */
  if (gtk_init_check ())
    {
      app = tv_application_new ();
      g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (app), NULL, NULL);
    }

  g_test_add_data_func ("/tv/window/run-lesson", (gconstpointer) test_run_lesson, window_test);
  g_test_add_data_func ("/tv/window/load-error", (gconstpointer) test_load_error, window_test);
  g_test_add_data_func ("/tv/window/stop", (gconstpointer) test_stop, window_test);
  g_test_add_data_func ("/tv/window/flat-out", (gconstpointer) test_flat_out, window_test);
  g_test_add_data_func ("/tv/window/export", (gconstpointer) test_export, window_test);
  g_test_add_data_func ("/tv/window/scroll-rows", (gconstpointer) test_scroll_rows, window_test);
  g_test_add_data_func ("/tv/window/settings", (gconstpointer) test_settings, window_test);
  g_test_add_data_func ("/tv/window/close-while-running", (gconstpointer) test_close_while_running, window_test);
  g_test_add_data_func ("/tv/window/editor/load-edit", (gconstpointer) test_editor_load_edit, window_test);
  g_test_add_data_func ("/tv/window/editor/save", (gconstpointer) test_editor_save, window_test);
  g_test_add_data_func ("/tv/window/editor/errors", (gconstpointer) test_editor_errors, window_test);
  g_test_add_data_func ("/tv/window/editor/unsaved", (gconstpointer) test_editor_unsaved, window_test);
  g_test_add_data_func ("/tv/window/editor/run-error", (gconstpointer) test_editor_run_error, window_test);
  g_test_add_data_func ("/tv/window/pause-step", (gconstpointer) test_pause_step, window_test);
  g_test_add_data_func ("/tv/window/space-scope", (gconstpointer) test_space_scope, window_test);

  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
