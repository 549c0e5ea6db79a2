/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-window"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tv-lessons.h"
#include "tv-time.h"
#include "tv-time-parse.h"
#include "tv-window-private.h"

/* How often the window drains a run when the frame clock does not (hidden). */
#define POLL_INTERVAL_MS 100
/* How long Stop waits for the run's end before it leaves it to the poll:
 * issue 5's bound, past which Stop is late anyway (a frame would only add
 * to it), and a pause of the window short enough not to be seen as one. */
#define STOP_WAIT_MS 100
/* How long Stop then feeds the run's backlog to the trace in one go (about
 * a million events, the most the timeline lets pile up). */
#define STOP_FEED_MS 500

G_DEFINE_FINAL_TYPE (TvWindow, tv_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_LOADING,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- Console ----------------------------------------------------------- */

/*
 * The console is a column of labels rather than a GtkTextView: in GTK 4.8 a
 * text view that grows changes its scrollbar between allocation and
 * snapshot ("Trying to snapshot GtkGizmo without a current allocation").
 * A forever loop prints without end, so only the latest lines are kept.
 */
#define MAX_CONSOLE_LINES 2000

static gboolean
scroll_console_cb (gpointer user_data)
{
  TvWindow *self = user_data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->console_scroller);

  self->console_scroll_id = 0;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  return G_SOURCE_REMOVE;
}

/* Whether the reader is at the bottom, so new lines should scroll into view. */
static gboolean
console_at_end (TvWindow *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->console_scroller);

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj)
         >= gtk_adjustment_get_upper (adj) - 4;
}

static void
console_scroll_to_end (TvWindow *self)
{
  /* After the new lines are laid out: an idle runs after the frame. */
  if (self->console_scroll_id == 0)
    self->console_scroll_id = g_idle_add_full (G_PRIORITY_LOW, scroll_console_cb, self, NULL);
}

void
tv_window_console_clear (TvWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->console_box))) != NULL)
    gtk_box_remove (self->console_box, child);
  self->n_console_lines = 0;
}

/* Adds one line (markup) and drops the oldest beyond the limit. */
static void
console_add_markup (TvWindow   *self,
                    const char *markup,
                    const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_focusable (label, FALSE);
  gtk_widget_add_css_class (label, "console-line");
  /* Links are scenario locations: "race.tvs:7:5" jumps there in the editor. */
  g_signal_connect_object (label, "activate-link", G_CALLBACK (tv_window_console_link_cb),
                           self, G_CONNECT_SWAPPED);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (self->console_box, label);

  if (++self->n_console_lines > MAX_CONSOLE_LINES)
    {
      gtk_box_remove (self->console_box, gtk_widget_get_first_child (GTK_WIDGET (self->console_box)));
      self->n_console_lines--;
    }
}

void
tv_window_console_append (TvWindow   *self,
                          const char *text,
                          const char *tag)
{
  g_autofree char *markup = g_markup_escape_text (text, -1);

  tv_window_console_append_markup (self, markup, tag);
}

void
tv_window_console_append_markup (TvWindow   *self,
                                 const char *markup,
                                 const char *tag)
{
  gboolean at_end = console_at_end (self);
  const char *css_class = NULL;

  if (g_strcmp0 (tag, "error") == 0)
    css_class = "error";
  else if (g_strcmp0 (tag, "warning") == 0)
    css_class = "warning";
  else if (g_strcmp0 (tag, "dim") == 0)
    css_class = "console-note";

  console_add_markup (self, markup, css_class);

  /* Messages about the run always show; the reader asked for them. */
  if (at_end || tag != NULL)
    console_scroll_to_end (self);
}

/* Printed lines, with the scenario time they were printed at. */
static void
show_new_prints (TvWindow *self)
{
  GArray *prints;
  gboolean at_end;
  guint n;

  if (self->trace == NULL)
    return;

  prints = tv_trace_get_prints (self->trace);
  n = prints != NULL ? prints->len : 0;
  if (n <= self->n_prints_shown)
    return;

  at_end = console_at_end (self);

  for (guint i = self->n_prints_shown; i < n; i++)
    {
      const TvPrint *print = &g_array_index (prints, TvPrint, i);
      g_autofree char *text = g_markup_escape_text (print->text != NULL ? print->text : "", -1);
      g_autofree char *markup = g_strdup_printf ("<span fgalpha=\"55%%\">%8.3f s</span>  %s",
                                                 print->time / 1e9, text);

      console_add_markup (self, markup, NULL);
    }

  self->n_prints_shown = n;
  if (at_end)
    console_scroll_to_end (self);
}

void
tv_window_toast (TvWindow   *self,
                 const char *title)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

/* --- Lessons ----------------------------------------------------------- */

static GtkWidget *
create_lesson_row (const TvLesson *lesson)
{
  GtkWidget *row;
  GtkWidget *box;
  GtkWidget *text;
  GtkWidget *label;

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_add_css_class (box, "lesson-row");

  if (lesson->number != G_MAXUINT)
    {
      g_autofree char *number = g_strdup_printf ("%u", lesson->number);

      label = gtk_label_new (number);
      gtk_label_set_xalign (GTK_LABEL (label), 1.0);
      gtk_widget_set_valign (label, GTK_ALIGN_START);
      gtk_widget_add_css_class (label, "lesson-number");
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
    }

  text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (box), text);

  label = gtk_label_new (lesson->title);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_box_append (GTK_BOX (text), label);

  if (lesson->about != NULL)
    {
      label = gtk_label_new (lesson->about);
      gtk_label_set_xalign (GTK_LABEL (label), 0.0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_lines (GTK_LABEL (label), 2);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (label, "caption");
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (text), label);
    }

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  if (lesson->about != NULL)
    gtk_widget_set_tooltip_text (row, lesson->about);
  g_object_set_data_full (G_OBJECT (row), "path", g_strdup (lesson->path), g_free);

  return row;
}

static void
select_current_lesson (TvWindow *self)
{
  GtkWidget *child;

  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->lesson_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *path = g_object_get_data (G_OBJECT (child), "path");
      g_autoptr(GFile) file = NULL;

      if (path == NULL || self->file == NULL)
        continue;

      file = g_file_new_for_path (path);
      if (g_file_equal (file, self->file))
        {
          gtk_list_box_select_row (self->lesson_list, GTK_LIST_BOX_ROW (child));
          return;
        }
    }

  gtk_list_box_unselect_all (self->lesson_list);
}

static void
lessons_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TvWindow) self = user_data;
  g_autoptr(GPtrArray) lessons = NULL;
  g_autoptr(GError) error = NULL;

  lessons = tv_lessons_load_finish (result, &error);
  if (lessons == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("No lessons: %s", error->message);
      return;
    }

  for (guint i = 0; i < lessons->len; i++)
    gtk_list_box_append (self->lesson_list, create_lesson_row (g_ptr_array_index (lessons, i)));

  g_clear_pointer (&self->lessons, g_ptr_array_unref);
  self->lessons = g_steal_pointer (&lessons);
  select_current_lesson (self);
}

static void
lesson_activated_cb (TvWindow      *self,
                     GtkListBoxRow *row,
                     GtkListBox    *list)
{
  const char *path = g_object_get_data (G_OBJECT (row), "path");
  g_autoptr(GFile) file = NULL;

  if (path == NULL)
    return;

  file = g_file_new_for_path (path);
  if (self->file == NULL || !g_file_equal (file, self->file))
    tv_window_open (self, file);

  /* On a narrow window the sidebar covers the timeline: get it out of the way. */
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

/* --- Running ----------------------------------------------------------- */

static void
set_running (TvWindow *self,
             gboolean  running)
{
  gtk_stack_set_visible_child_name (self->run_stack, running ? "stop" : "run");
  tv_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* Events lost because a ring was full: the count the status line shows. */
static char *
dropped_text (guint64 dropped)
{
  return g_strdup_printf (g_dngettext (NULL,
                                       "%" G_GUINT64_FORMAT " event lost",
                                       "%" G_GUINT64_FORMAT " events lost",
                                       dropped),
                          dropped);
}

void
tv_window_update_run_status (TvWindow *self)
{
  g_autofree char *text = NULL;
  const char *state;
  guint64 dropped;
  char buf[32];

  if (self->run == NULL)
    return;

  tv_time_format (tv_timeline_view_get_duration (self->view), 1, buf, sizeof buf);
  if (tv_run_is_stepping (self->run))
    state = _("Stepping");
  else if (tv_run_is_paused (self->run))
    state = _("Paused");
  else
    state = _("Running");

  dropped = tv_run_get_dropped (self->run);
  if (dropped > 0)
    {
      g_autofree char *lost = dropped_text (dropped);

      text = g_strdup_printf ("%s · %s · %s", state, buf, lost);
    }
  else
    text = g_strdup_printf ("%s · %s", state, buf);
  gtk_label_set_label (self->run_status_label, text);
}

static gboolean
poll_cb (gpointer user_data)
{
  TvWindow *self = user_data;

  /* The frame clock drains while the timeline is shown; this covers the
   * rest (another page, a window the compositor does not draw). */
  tv_timeline_poll_if_idle (self->timeline, POLL_INTERVAL_MS * G_TIME_SPAN_MILLISECOND / 2);
  tv_window_update_control (self);
  tv_window_update_run_status (self);

  return G_SOURCE_CONTINUE;
}

static void
trace_changed_cb (TvWindow *self,
                  TvTrace  *trace)
{
  show_new_prints (self);
}

static void
set_trace (TvWindow *self,
           TvTrace  *trace)
{
  if (self->trace == trace)
    return;

  g_clear_signal_handler (&self->trace_changed_id, self->trace);
  g_set_object (&self->trace, trace);
  self->n_prints_shown = 0;

  if (trace != NULL)
    self->trace_changed_id = g_signal_connect_object (trace, "changed",
                                                      G_CALLBACK (trace_changed_cb), self,
                                                      G_CONNECT_SWAPPED);

  tv_timeline_set_trace (self->timeline, trace);
}

void
tv_window_set_trace (TvWindow *self,
                     TvTrace  *trace)
{
  set_trace (self, trace);
}

void
tv_window_set_running (TvWindow *self,
                       gboolean  running)
{
  set_running (self, running);
}

static char *
describe_end (TvWindow       *self,
              TvRunStatus     status,
              TvRunErrorKind  error_kind,
              const char    **tag)
{
  gint64 end = self->trace != NULL ? tv_trace_get_end_time (self->trace) : 0;
  guint64 n_events = self->trace != NULL ? tv_trace_get_n_events (self->trace) : 0;
  char time[32];

  tv_time_format (end, 2, time, sizeof time);
  *tag = "dim";

  switch (status)
    {
    case TV_RUN_FINISHED:
      return g_strdup_printf (_("Finished in %s · %" G_GUINT64_FORMAT " events"), time, n_events);

    case TV_RUN_STOPPED:
      return g_strdup_printf (_("Stopped at %s"), time);

    case TV_RUN_FAILED:
      *tag = "error";
      if (error_kind == TV_RUN_ERROR_DEADLOCK)
        return g_strdup_printf (_("Deadlock at %s"), time);
      if (error_kind == TV_RUN_ERROR_STALL)
        return g_strdup_printf (_("Stalled at %s: every thread waits"), time);
      return g_strdup_printf (_("The run failed at %s"), time);

    case TV_RUN_READY:
    case TV_RUN_RUNNING:
    default:
      return g_strdup_printf (_("Ended at %s"), time);
    }
}

static void
reap_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  /* Joining the engine's threads and children may take a moment. */
  tv_run_wait (task_data);
  g_task_return_boolean (task, TRUE);
}

static void
reaped_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GApplication *app = user_data;

  g_application_release (app);
  g_object_unref (app);
}

/*
 * Waits for `run` and frees it in a worker thread, so that the main loop
 * never blocks on the engine.  The application is held meanwhile: it does
 * not exit before every thread and child of the run is reaped.
 */
static void
reap_run (TvRun *run)
{
  GApplication *app = g_application_get_default ();
  g_autoptr(GTask) task = NULL;

  if (app != NULL)
    g_application_hold (app);

  task = g_task_new (NULL, NULL, reaped_cb, app != NULL ? g_object_ref (app) : NULL);
  g_task_set_source_tag (task, reap_run);
  g_task_set_task_data (task, run, (GDestroyNotify) tv_run_free);
  g_task_run_in_thread (task, reap_thread);
}

static void
run_ended_cb (TvWindow   *self,
              TvTimeline *timeline)
{
  TvRun *run = g_steal_pointer (&self->run);
  g_autofree char *summary = NULL;
  const char *message;
  const char *tag;
  TvRunStatus status;
  guint64 dropped;

  if (run == NULL)
    return;

  g_clear_handle_id (&self->poll_id, g_source_remove);
  show_new_prints (self);

  status = tv_run_get_status (run);
  message = tv_run_get_error_message (run);
  if (message != NULL)
    {
      g_autofree char *markup = tv_window_link_locations (self, message);

      tv_window_console_append_markup (self, markup, "error");
    }

  dropped = tv_trace_get_dropped (self->trace);
  if (dropped > 0)
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (NULL,
                                      "%" G_GUINT64_FORMAT " event was lost: a thread’s ring was full",
                                      "%" G_GUINT64_FORMAT " events were lost: a thread’s ring was full",
                                      dropped),
                         dropped);
      tv_window_console_append (self, text, "warning");
    }

  summary = describe_end (self, status, tv_run_get_error_kind (run), &tag);
  tv_window_console_append (self, summary, tag);
  if (dropped > 0)
    {
      g_autofree char *lost = dropped_text (dropped);
      g_autofree char *status_text = g_strdup_printf ("%s · %s", summary, lost);

      gtk_label_set_label (self->run_status_label, status_text);
    }
  else
    gtk_label_set_label (self->run_status_label, summary);
  tv_window_mark_run_errors (self);
  tv_window_control_run_ended (self);

  reap_run (run);

  /* A run watched live ends with the whole of it in view. */
  if (tv_timeline_view_get_follow_live (self->view))
    tv_timeline_view_fit (self->view);

  set_running (self, FALSE);
}

void
tv_window_run (TvWindow *self)
{
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *header = NULL;
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  TvRun *run;

  /* The editor's text is what runs, saved or not. */
  if (self->run != NULL || !tv_window_sync_scenario (self) || self->scenario == NULL)
    return;

  options.speed = self->speed;
  /* Threads that work or record flat out must not take the CPU from the
   * main loop that draws them: on 2 cores, 20 of them at the same priority
   * left it a twentieth of one, and at nice 10 (weight 110 each against
   * the main loop's 1024) still about half of one.  At 19 (weight 15) the
   * main loop gets most of a core whenever it wants it; the threads get
   * the rest, which is all of it while the window is idle. */
  options.nice = 19;
  /*
   * The timeline collects the run (tv-collector.h) and holds the recording
   * back while its picture is behind: the engine's small default rings
   * then keep that lag short.  (The CLI, which only feeds the trace, takes
   * larger rings: tv_collector_ring_capacity_for().)
   */
  run = tv_run_new (self->scenario, &options, &error);
  if (run == NULL)
    {
      tv_window_console_append (self, error->message, "error");
      return;
    }

  trace = tv_trace_new ();
  tv_trace_set_title (trace, self->scenario->title);

  tv_window_console_clear (self);
  if (self->speed != 1.0)
    header = g_strdup_printf (_("Running “%s” at %g× speed"), self->scenario->title, self->speed);
  else
    header = g_strdup_printf (_("Running “%s”"), self->scenario->title);
  tv_window_console_append (self, header, "dim");

  set_trace (self, trace);
  tv_window_files_run_started (self);
  tv_timeline_set_scenario (self->timeline, self->scenario);
  tv_timeline_view_reset (self->view);
  gtk_stack_set_visible_child_name (self->main_stack, "timeline");

  /* Followed (and collected) before it starts: its first events must not
   * wait for the main loop. */
  tv_timeline_set_run (self->timeline, run);
  if (!tv_run_start (run, &error))
    {
      tv_timeline_set_run (self->timeline, NULL);
      tv_window_console_append (self, error->message, "error");
      tv_run_free (run);
      return;
    }

  self->run = run;
  tv_editor_clear_error_lines (self->editor);
  self->poll_id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, self);
  tv_window_update_run_status (self);
  set_running (self, TRUE);
}

void
tv_window_stop (TvWindow *self)
{
  if (self->run == NULL)
    {
      tv_window_program_stop (self);
      return;
    }

  /* Every wait in the engine wakes on stop; the timeline then sees the end. */
  tv_run_stop (self->run);

  /*
   * The engine records the end a few ms after a stop, children included,
   * but the frame clock would see it only at the next tick: a frame of the
   * live timeline takes 60 ms or more under software GL, and one often
   * starts just before the end (Stop then took 60–180 ms).  And the
   * timeline feeds the trace a frame's share at a time: a run recording
   * flat out leaves a backlog of up to a million events, fed over seconds
   * of frames, and its threads wait for room in their rings (to see the
   * stop too) while that backlog is full.  So feed here without drawing:
   * until the engine's end, for STOP_WAIT_MS at most, then the backlog,
   * for STOP_FEED_MS at most; what is left goes on at later ticks.
   */
  {
    gint64 deadline = g_get_monotonic_time () + STOP_WAIT_MS * G_TIME_SPAN_MILLISECOND;

    while (self->run != NULL && !tv_run_is_finished (self->run) && g_get_monotonic_time () < deadline)
      {
        tv_timeline_poll (self->timeline);
        g_usleep (200);
      }
    deadline = g_get_monotonic_time () + STOP_FEED_MS * G_TIME_SPAN_MILLISECOND;
    while (self->run != NULL && tv_run_is_finished (self->run) && g_get_monotonic_time () < deadline)
      tv_timeline_poll (self->timeline);   /* emits ::run-ended once all is in */
    if (self->run == NULL)
      return;
  }
  gtk_label_set_label (self->run_status_label, _("Stopping…"));
}

/* Ends a run at once, for a window that closes or loads another scenario. */
static void
abandon_run (TvWindow *self)
{
  TvRun *run = g_steal_pointer (&self->run);

  tv_window_program_abandon (self);
  if (run == NULL)
    return;

  g_clear_handle_id (&self->poll_id, g_source_remove);
  tv_timeline_set_run (self->timeline, NULL);
  tv_run_stop (run);
  reap_run (run);
}

void
tv_window_set_speed (TvWindow *self,
                     double    speed)
{
  self->speed = CLAMP (speed, TV_CLOCK_MIN_SPEED, TV_CLOCK_MAX_SPEED);
  if (self->run != NULL)
    tv_run_set_speed (self->run, self->speed);
}

/* --- Loading ----------------------------------------------------------- */

typedef struct
{
  char       *text;
  TvScenario *scenario;
  GPtrArray  *diagnostics;
  GError     *error;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_free (loaded->text);
  g_clear_pointer (&loaded->scenario, tv_scenario_unref);
  g_clear_pointer (&loaded->diagnostics, g_ptr_array_unref);
  g_clear_error (&loaded->error);
  g_free (loaded);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  Loaded *loaded;
  gsize length;

  name = g_file_get_basename (file);

  /* Refuse a huge file before reading it, not after. */
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, cancellable, &error);
  if (info == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_file_info_get_size (info) > TV_SCENARIO_MAX_FILE_BYTES)
    {
      g_task_return_new_error (task, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_LIMIT,
                               _("%s: the file is larger than %d bytes"),
                               name, TV_SCENARIO_MAX_FILE_BYTES);
      return;
    }

  if (!g_file_load_contents (file, cancellable, &contents, &length, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The editor shows text: a file that is not UTF-8 gets its errors there. */
  loaded = g_new0 (Loaded, 1);
  if (g_utf8_validate_len (contents, length, NULL) && memchr (contents, 0, length) == NULL)
    loaded->text = g_strndup (contents, length);

  /* Messages name the file as people see it: "race.tvs:7:5: ...". */
  loaded->scenario = tv_scenario_parse (name, contents, length, &loaded->diagnostics, &loaded->error);
  g_task_return_pointer (task, loaded, (GDestroyNotify) loaded_free);
}

static void
set_loading (TvWindow *self,
             gboolean  loading)
{
  if (self->loading == !!loading)
    return;

  self->loading = !!loading;
  tv_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* The scenario's title over its file's name (or the name alone). */
static void
show_file_titles (TvWindow   *self,
                  const char *title)
{
  g_autofree char *name = g_file_get_basename (self->file);
  g_autofree char *window_title = g_strdup_printf ("%s — ThreadViz", title);

  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, g_strcmp0 (name, title) != 0 ? name : NULL);
  gtk_window_set_title (GTK_WINDOW (self), window_title);
}

static gboolean
is_lesson (GFile *file)
{
  g_autofree char *directory = tv_lessons_dup_directory ();
  g_autoptr(GFile) lessons = g_file_new_for_path (directory);

  return g_file_has_parent (file, lessons);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  TvWindow *self = TV_WINDOW (object);
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  Loaded *loaded;

  loaded = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (loaded != NULL)
    {
      scenario = g_steal_pointer (&loaded->scenario);
      if (loaded->error != NULL)
        error = g_steal_pointer (&loaded->error);
    }

  set_loading (self, FALSE);
  g_clear_pointer (&self->scenario, tv_scenario_unref);
  set_trace (self, NULL);
  tv_timeline_set_scenario (self->timeline, NULL);
  tv_window_console_clear (self);
  gtk_label_set_label (self->run_status_label, "");

  self->read_only = is_lesson (self->file);
  tv_window_editor_loaded (self,
                           loaded != NULL ? loaded->text : NULL,
                           loaded != NULL ? loaded->diagnostics : NULL);

  if (scenario == NULL)
    {
      g_autofree char *name = g_file_get_basename (self->file);

      show_file_titles (self, name);
      if (self->diagnostics != NULL && self->diagnostics->len > 0)
        tv_window_console_diagnostics (self);
      else
        tv_window_console_append (self, error->message, "error");
      gtk_stack_set_visible_child_name (self->main_stack,
                                        g_error_matches (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_INVALID)
                                        ? "error" : "empty");
      adw_status_page_set_title (self->intro_page, _("The Scenario Could Not Be Read"));
      adw_status_page_set_description (self->intro_page, _("The console below says why."));
    }
  else
    {
      g_autofree char *name = g_file_get_basename (self->file);
      g_autofree char *hint = NULL;

      self->scenario = g_steal_pointer (&scenario);
      show_file_titles (self, self->scenario->title);
      adw_status_page_set_title (self->intro_page, self->scenario->title);
      adw_status_page_set_description (self->intro_page, self->scenario->about);
      gtk_stack_set_visible_child_name (self->main_stack, "empty");

      hint = g_strdup_printf (_("Loaded %s. Press Run (F5) to start it."), name);
      tv_window_console_append (self, hint, "dim");
    }

  /* Recent files: the scenarios people open; the lessons have their list. */
  if (!is_lesson (self->file))
    {
      uri = g_file_get_uri (self->file);
      gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
    }

  select_current_lesson (self);
  tv_window_update_titles (self);
  tv_window_update_actions (self);
  g_clear_pointer (&loaded, loaded_free);
}

void
tv_window_set_scenario (TvWindow   *self,
                        TvScenario *scenario)
{
  gboolean has_trace = self->trace != NULL;

  if (scenario != self->scenario)
    {
      g_clear_pointer (&self->scenario, tv_scenario_unref);
      if (scenario != NULL)
        self->scenario = tv_scenario_ref (scenario);
    }

  if (self->scenario != NULL)
    {
      show_file_titles (self, self->scenario->title);
      adw_status_page_set_title (self->intro_page, self->scenario->title);
      adw_status_page_set_description (self->intro_page, self->scenario->about);
    }

  /* A timeline on screen stays; otherwise the page says what can be done. */
  if (!has_trace && !self->loading && self->file != NULL)
    gtk_stack_set_visible_child_name (self->main_stack, self->scenario != NULL ? "empty" : "error");

  tv_window_update_titles (self);
  tv_window_update_actions (self);
}

static void
open_pending (TvWindow *self)
{
  g_autoptr(GFile) file = g_steal_pointer (&self->pending_open);

  if (file != NULL)
    tv_window_open_now (self, file);
}

void
tv_window_open (TvWindow *self,
                GFile    *file)
{
  g_return_if_fail (TV_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* Unsaved edits are settled first (Save / Discard / Cancel). */
  g_set_object (&self->pending_open, file);
  tv_window_settle_changes (self, open_pending);
}

void
tv_window_open_now (TvWindow *self,
                    GFile    *file)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TV_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  abandon_run (self);
  set_running (self, FALSE);

  /* A newer open wins over one still loading. */
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();

  /*
   * A saved or imported trace: shown as it was recorded, with no run.  The
   * window's file stays the scenario's, so that saving the scenario never
   * writes over the trace.
   */
  if (tv_window_files_is_trace (file))
    {
      set_loading (self, FALSE);
      tv_window_files_open_trace (self, file);
      return;
    }

  g_set_object (&self->file, file);
  set_loading (self, TRUE);

  task = g_task_new (self, self->load_cancellable, loaded_cb, NULL);
  g_task_set_source_tag (task, tv_window_open);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

/* --- Timeline toolbar -------------------------------------------------- */

static void
filter_changed_cb (TvWindow       *self,
                   GtkSearchEntry *entry)
{
  tv_timeline_view_set_filter (self->view, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
range_activate_cb (TvWindow *self,
                   GtkEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  gint64 start, end;

  if (!tv_time_parse_range (text, &start, &end))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      gtk_widget_error_bell (GTK_WIDGET (entry));
      return;
    }

  tv_timeline_view_set_follow_live (self->view, FALSE);
  tv_timeline_view_set_range (self->view, start, end);
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->timeline));
}

static void
range_icon_press_cb (TvWindow             *self,
                     GtkEntryIconPosition  position,
                     GtkEntry             *entry)
{
  range_activate_cb (self, entry);
}

static void
range_changed_cb (TvWindow *self,
                  GtkEntry *entry)
{
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
}

/* The range entry's placeholder says what is on screen now. */
static void
view_range_cb (TvWindow       *self,
               GParamSpec     *pspec,
               TvTimelineView *view)
{
  char start[32], end[32];
  g_autofree char *text = NULL;

  tv_time_format (tv_timeline_view_get_start (view), 2, start, sizeof start);
  tv_time_format (tv_timeline_view_get_end (view), 2, end, sizeof end);
  text = g_strdup_printf ("%s – %s", start, end);
  gtk_entry_set_placeholder_text (self->range_entry, text);
}

/* --- Settings ---------------------------------------------------------- */

/*
 * The installed schema, or the one compiled in the build directory when
 * running from there; NULL (nothing remembered) when there is neither,
 * rather than GSettings' abort.
 */
static GSettings *
new_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchemaSource) build = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);

  if (schema == NULL)
    {
      build = g_settings_schema_source_new_from_directory (TV_SCHEMA_BUILD_DIR, source, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, APPLICATION_ID, FALSE);
    }

  return schema != NULL ? g_settings_new_full (schema, NULL, NULL) : NULL;
}

static void
speed_changed_cb (TvWindow  *self,
                  const char *key,
                  GSettings  *settings)
{
  g_autofree char *speed = g_settings_get_string (settings, "speed");

  g_action_group_change_action_state (G_ACTION_GROUP (self), "speed", g_variant_new_string (speed));
}

static void
setup_settings (TvWindow *self)
{
  self->settings = new_settings ();
  if (self->settings == NULL)
    return;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_settings_bind (self->settings, "show-lessons", self->flap, "reveal-flap", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed::speed",
                           G_CALLBACK (speed_changed_cb), self, G_CONNECT_SWAPPED);
  speed_changed_cb (self, "speed", self->settings);
}

/* The size a new window starts with is the last one closed. */
static void
save_window_state (TvWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
  if (!gtk_window_is_maximized (GTK_WINDOW (self)) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
}

void
tv_window_save_speed (TvWindow   *self,
                      const char *speed)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) key = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree char *current = NULL;

  if (self->settings == NULL)
    return;

  /* Only the menu's speeds are remembered; writing the same one is a no-op. */
  current = g_settings_get_string (self->settings, "speed");
  if (g_strcmp0 (current, speed) == 0)
    return;

  g_object_get (self->settings, "settings-schema", &schema, NULL);
  key = g_settings_schema_get_key (schema, "speed");
  value = g_variant_ref_sink (g_variant_new_string (speed));
  if (g_settings_schema_key_range_check (key, value))
    g_settings_set_value (self->settings, "speed", value);
}

static void
close_settled (TvWindow *self)
{
  self->close_confirmed = TRUE;
  gtk_window_close (GTK_WINDOW (self));
}

static gboolean
tv_window_close_request (GtkWindow *window)
{
  TvWindow *self = TV_WINDOW (window);

  /* Unsaved edits: ask first, and close (or not) once answered. */
  if (!self->close_confirmed && tv_window_is_modified (self))
    {
      tv_window_settle_changes (self, close_settled);
      return TRUE;
    }

  save_window_state (self);

  return GTK_WINDOW_CLASS (tv_window_parent_class)->close_request (window);
}

/* --- Layout ------------------------------------------------------------ */

/*
 * Below this width the editor goes above the timeline rather than beside
 * it.  Side by side needs about 500 pixels, so the switch cannot flip back
 * and forth.
 */
#define SIDE_BY_SIDE_MIN_WIDTH 760

static gboolean
orient_editor_cb (gpointer user_data)
{
  TvWindow *self = user_data;
  gboolean narrow = gtk_widget_get_width (GTK_WIDGET (self)) < SIDE_BY_SIDE_MIN_WIDTH;
  GtkOrientation orientation = narrow ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL;

  self->orient_id = 0;
  if (gtk_orientable_get_orientation (GTK_ORIENTABLE (self->editor_paned)) != orientation)
    {
      gtk_orientable_set_orientation (GTK_ORIENTABLE (self->editor_paned), orientation);
      gtk_paned_set_position (self->editor_paned, narrow ? 200 : 400);
      /* Export is in the main menu too; a typed range is for wide screens. */
      gtk_widget_set_visible (self->export_button, !narrow);
      gtk_widget_set_visible (GTK_WIDGET (self->range_entry), !narrow);
    }
  return G_SOURCE_REMOVE;
}

static void
tv_window_size_allocate (GtkWidget *widget,
                         int        width,
                         int        height,
                         int        baseline)
{
  TvWindow *self = TV_WINDOW (widget);
  gboolean narrow = width < SIDE_BY_SIDE_MIN_WIDTH;
  gboolean vertical = gtk_orientable_get_orientation (GTK_ORIENTABLE (self->editor_paned))
                      == GTK_ORIENTATION_VERTICAL;

  GTK_WIDGET_CLASS (tv_window_parent_class)->size_allocate (widget, width, height, baseline);

  /* Not while allocating: the new orientation changes the sizes asked for. */
  if (narrow != vertical && self->orient_id == 0)
    self->orient_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, orient_editor_cb, self, NULL);
}

/* --- GObject ----------------------------------------------------------- */

static void
tv_window_dispose (GObject *object)
{
  TvWindow *self = (TvWindow *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_handle_id (&self->console_scroll_id, g_source_remove);
  g_clear_handle_id (&self->reparse_id, g_source_remove);
  g_clear_handle_id (&self->orient_id, g_source_remove);
  abandon_run (self);
  tv_window_files_dispose (self);
  g_clear_signal_handler (&self->recent_changed_id, gtk_recent_manager_get_default ());
  g_clear_signal_handler (&self->trace_changed_id, self->trace);

  gtk_widget_dispose_template (GTK_WIDGET (self), TV_TYPE_WINDOW);

  G_OBJECT_CLASS (tv_window_parent_class)->dispose (object);
}

static void
tv_window_finalize (GObject *object)
{
  TvWindow *self = (TvWindow *)object;

  g_clear_object (&self->trace);
  g_clear_object (&self->view);
  g_clear_object (&self->file);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->load_cancellable);
  g_clear_pointer (&self->scenario, tv_scenario_unref);
  g_clear_pointer (&self->lessons, g_ptr_array_unref);
  g_clear_object (&self->settings);
  g_clear_object (&self->pending_open);
  g_clear_pointer (&self->diagnostics, g_ptr_array_unref);

  G_OBJECT_CLASS (tv_window_parent_class)->finalize (object);
}

static void
tv_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TvWindow *self = TV_WINDOW (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, self->run != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tv_window_class_init (TvWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = tv_window_dispose;
  object_class->finalize = tv_window_finalize;
  object_class->get_property = tv_window_get_property;

  widget_class->size_allocate = tv_window_size_allocate;
  window_class->close_request = tv_window_close_request;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TV_TYPE_EDITOR);
  g_type_ensure (TV_TYPE_TIMELINE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/threadviz/ThreadViz/tv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TvWindow, console_scroller);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, console_box);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, editor);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, editor_paned);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, editor_position);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, editor_title);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, export_button);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, intro_page);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, lesson_list);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, open_button);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, pause_label);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, range_entry);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, recent_section);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, run_stack);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, run_status_label);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, sidebar_header);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, speed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, speed_button);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, step_button);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, step_section);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, timeline_bar);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TvWindow, window_title);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, lesson_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, range_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, range_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, range_icon_press_cb);
  gtk_widget_class_bind_template_callback (widget_class, run_ended_cb);
}

static void
tv_window_init (TvWindow *self)
{
  g_autofree char *directory = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->speed = 1.0;
  self->cancellable = g_cancellable_new ();
  self->view = g_object_ref (tv_timeline_get_view (self->timeline));

  /* The sidebar's header shows the window buttons only when it is alone. */
  g_object_bind_property (self->flap, "reveal-flap",
                          self->header_bar, "show-start-title-buttons",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);

  g_signal_connect_object (self->view, "notify::start", G_CALLBACK (view_range_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view, "notify::end", G_CALLBACK (view_range_cb), self, G_CONNECT_SWAPPED);
  gtk_paned_set_position (self->paned, 480);
  gtk_paned_set_position (self->editor_paned, 400);

  tv_window_init_actions (self);
  tv_window_files_init (self);
  tv_window_init_editor (self);
  tv_window_init_control (self);
  setup_settings (self);
  tv_window_update_recent (self);
  tv_window_update_actions (self);

  directory = tv_lessons_dup_directory ();
  tv_lessons_load_async (directory, self->cancellable, lessons_loaded_cb, g_object_ref (self));
}

TvWindow *
tv_window_new (TvApplication *application)
{
  return g_object_new (TV_TYPE_WINDOW, "application", application, NULL);
}

TvScenario *
tv_window_get_scenario (TvWindow *self)
{
  g_return_val_if_fail (TV_IS_WINDOW (self), NULL);

  return self->scenario;
}

GFile *
tv_window_get_file (TvWindow *self)
{
  g_return_val_if_fail (TV_IS_WINDOW (self), NULL);

  return self->file;
}

gboolean
tv_window_is_loading (TvWindow *self)
{
  g_return_val_if_fail (TV_IS_WINDOW (self), FALSE);

  return self->loading;
}

gboolean
tv_window_is_running (TvWindow *self)
{
  g_return_val_if_fail (TV_IS_WINDOW (self), FALSE);

  return self->run != NULL || tv_window_program_is_running (self);
}

TvTimeline *
tv_window_get_timeline (TvWindow *self)
{
  g_return_val_if_fail (TV_IS_WINDOW (self), NULL);

  return self->timeline;
}

TvEditor *
tv_window_get_editor (TvWindow *self)
{
  g_return_val_if_fail (TV_IS_WINDOW (self), NULL);

  return self->editor;
}

char *
tv_window_dup_console_text (TvWindow *self)
{
  GString *text;

  g_return_val_if_fail (TV_IS_WINDOW (self), NULL);

  text = g_string_new (NULL);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->console_box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      g_string_append (text, gtk_label_get_text (GTK_LABEL (child)));
      g_string_append_c (text, '\n');
    }

  return g_string_free (text, FALSE);
}
