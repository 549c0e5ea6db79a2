/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-control.c: run control in the window: Pause / Resume, Step
 * (one statement of the selected thread), the speed popover, and the
 * editor's marks of where each thread stands while the run is paused.
 */

#define G_LOG_DOMAIN "tv-window-control"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "tv-window-private.h"

static const char *
place_to_string (TvRunPlace place)
{
  switch (place)
    {
    case TV_RUN_PLACE_PAUSED:
      return _("paused here");
    case TV_RUN_PLACE_WAITING:
      return _("waiting here");
    case TV_RUN_PLACE_RUNNING:
      return _("running here");
    case TV_RUN_PLACE_NONE:
    default:
      return "";
    }
}

static const char *
thread_name (TvWindow *self,
             guint     index)
{
  const TvTraceThread *thread = NULL;

  if (self->trace != NULL && index < tv_trace_get_n_threads (self->trace))
    thread = tv_trace_get_thread (self->trace, index);
  return thread != NULL && thread->name != NULL ? thread->name : NULL;
}

static void
set_enabled (TvWindow   *self,
             const char *name,
             gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* --- Where the threads are --------------------------------------------- */

static void
show_thread_lines (TvWindow *self)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (TvEditorThreadLine));
  guint n = tv_run_get_n_threads (self->run);

  for (guint i = 0; i < n; i++)
    {
      TvRunPlace place = TV_RUN_PLACE_NONE;
      guint line = tv_run_get_thread_line (self->run, i, &place);
      TvEditorThreadLine mark;

      if (line == 0 || place == TV_RUN_PLACE_NONE || thread_name (self, i) == NULL)
        continue;

      mark.line = line;
      mark.thread = i;
      mark.name = thread_name (self, i);
      mark.how = place_to_string (place);
      g_array_append_val (lines, mark);
    }

  tv_editor_set_thread_lines (self->editor, (TvEditorThreadLine *) (gpointer) lines->data, lines->len);

  /* Just paused (or a step just ended): bring the stepped thread's line into view. */
  if (!self->showing_lines && lines->len > 0)
    {
      guint line = g_array_index (lines, TvEditorThreadLine, 0).line;

      for (guint i = 0; i < lines->len; i++)
        if ((int) g_array_index (lines, TvEditorThreadLine, i).thread == self->step_thread)
          line = g_array_index (lines, TvEditorThreadLine, i).line;
      g_debug ("show line %u", line);
      tv_editor_show_line (self->editor, line);
    }
  self->showing_lines = lines->len > 0;
}

static void
hide_thread_lines (TvWindow *self)
{
  if (!self->showing_lines)
    return;
  tv_editor_set_thread_lines (self->editor, NULL, 0);
  self->showing_lines = FALSE;
}

/* --- The Step menu ----------------------------------------------------- */

static void
update_step_menu (TvWindow *self)
{
  guint n = self->trace != NULL ? tv_trace_get_n_threads (self->trace) : 0;

  if (n == self->n_step_threads)
    return;

  g_menu_remove_all (self->step_section);
  for (guint i = 0; i < n; i++)
    {
      const char *name = thread_name (self, i);
      g_autoptr(GMenuItem) item = NULL;

      if (name == NULL)
        continue;
      item = g_menu_item_new (name, NULL);
      g_menu_item_set_action_and_target_value (item, "win.select-thread", g_variant_new_int32 ((gint32) i));
      g_menu_append_item (self->step_section, item);
    }
  self->n_step_threads = n;
}

static void
update_step_tooltip (TvWindow *self)
{
  const char *name = self->step_thread >= 0 ? thread_name (self, (guint) self->step_thread) : NULL;
  g_autofree char *text = NULL;

  if (name != NULL)
    text = g_strdup_printf (_("Step: Run %s’s Next Statement (F7)"), name);
  else
    text = g_strdup (_("Step: Pick a Thread First (▾, or Click Its Name on the Timeline)"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->step_button), text);
}

/* --- Updates ----------------------------------------------------------- */

void
tv_window_update_control (TvWindow *self)
{
  gboolean running = self->run != NULL;
  gboolean paused = running && tv_run_is_paused (self->run);
  gboolean stepping = running && tv_run_is_stepping (self->run);
  gboolean can_step = FALSE;
  TvRunPlace step_place = TV_RUN_PLACE_NONE;
  GAction *pause = g_action_map_lookup_action (G_ACTION_MAP (self), "pause");
  g_autoptr(GVariant) state = NULL;

  if (pause == NULL)
    return;

  /* The state follows the run (a step ends in a pause of its own). */
  state = g_action_get_state (pause);
  if (g_variant_get_boolean (state) != paused)
    g_simple_action_set_state (G_SIMPLE_ACTION (pause), g_variant_new_boolean (paused));

  if (paused && !stepping && self->step_thread >= 0)
    {
      tv_run_get_thread_line (self->run, (guint) self->step_thread, &step_place);
      can_step = step_place == TV_RUN_PLACE_PAUSED || step_place == TV_RUN_PLACE_RUNNING;
    }

  set_enabled (self, "pause", running);
  set_enabled (self, "step", can_step);
  set_enabled (self, "select-thread", self->trace != NULL);
  update_step_menu (self);
  update_step_tooltip (self);

  if (paused)
    {
      const char *name = self->step_thread >= 0 ? thread_name (self, (guint) self->step_thread) : NULL;
      g_autofree char *text = NULL;

      if (stepping)
        text = g_strdup_printf (_("Stepping %s…"), name != NULL ? name : "");
      else if (name != NULL && step_place == TV_RUN_PLACE_WAITING)
        text = g_strdup_printf (_("Paused · %s waits for another thread: step that one"), name);
      else if (name != NULL && step_place == TV_RUN_PLACE_NONE)
        text = g_strdup_printf (_("Paused · %s is not running: pick another thread"), name);
      else if (name != NULL)
        text = g_strdup_printf (_("Paused · Space resumes · F7 steps %s"), name);
      else
        text = g_strdup (_("Paused · Space resumes · pick a thread to step"));
      gtk_label_set_label (self->pause_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->pause_label), TRUE);

      /* Every thread stands still: where is worth showing (not mid-step). */
      if (!stepping)
        {
          show_thread_lines (self);
          tv_timeline_add_pause (self->timeline, tv_clock_now (tv_run_get_clock (self->run)));
        }
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->pause_label), FALSE);
      hide_thread_lines (self);
    }
}

void
tv_window_control_run_ended (TvWindow *self)
{
  hide_thread_lines (self);
  tv_window_update_control (self);
}

/* --- Actions ----------------------------------------------------------- */

static void
pause_change_state (GSimpleAction *action,
                    GVariant      *state,
                    gpointer       user_data)
{
  TvWindow *self = user_data;

  if (self->run == NULL)
    return;

  if (g_variant_get_boolean (state))
    tv_run_pause (self->run);
  else
    tv_run_resume (self->run);

  g_simple_action_set_state (action, state);
  tv_window_update_control (self);
  tv_window_update_run_status (self);
}

static gboolean
step_done_cb (gpointer user_data)
{
  TvWindow *self = user_data;

  if (self->run != NULL && tv_run_is_stepping (self->run))
    return G_SOURCE_CONTINUE;

  tv_window_update_control (self);
  tv_window_update_run_status (self);
  return G_SOURCE_REMOVE;
}

static void
step_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  TvWindow *self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->run == NULL || self->step_thread < 0)
    return;

  if (!tv_run_step (self->run, (guint32) self->step_thread, &error))
    {
      tv_window_console_append (self, error->message, "warning");
      tv_window_toast (self, error->message);
      return;
    }

  hide_thread_lines (self);
  tv_window_update_control (self);
  /* A step is short: look for its end more often than the poll does. */
  g_timeout_add_full (G_PRIORITY_DEFAULT, 10, step_done_cb, g_object_ref (self), g_object_unref);
}

static void
select_thread_change_state (GSimpleAction *action,
                            GVariant      *state,
                            gpointer       user_data)
{
  TvWindow *self = user_data;

  self->step_thread = g_variant_get_int32 (state);
  g_simple_action_set_state (action, state);
  tv_timeline_view_set_selected_thread (self->view, self->step_thread);
  tv_window_update_control (self);
}

/* The timeline's selection (a click on a thread's name) is Step's thread. */
static void
selected_thread_cb (TvWindow       *self,
                    GParamSpec     *pspec,
                    TvTimelineView *view)
{
  int selected = tv_timeline_view_get_selected_thread (view);

  if (selected != self->step_thread)
    g_action_group_change_action_state (G_ACTION_GROUP (self), "select-thread",
                                        g_variant_new_int32 (selected));
}

/* --- Speed ------------------------------------------------------------- */

/* The scale is logarithmic: -1 is 0.1×, 0 is 1×, 1 is 10×. */
static void
speed_scale_cb (TvWindow      *self,
                GtkAdjustment *adjustment)
{
  double speed = pow (10.0, gtk_adjustment_get_value (adjustment));
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  /* Two significant digits are plenty, and keep the presets exact. */
  speed = speed >= 1.0 ? round (speed * 10.0) / 10.0 : round (speed * 100.0) / 100.0;
  g_ascii_formatd (text, sizeof text, "%g", CLAMP (speed, TV_CLOCK_MIN_SPEED, TV_CLOCK_MAX_SPEED));
  g_action_group_change_action_state (G_ACTION_GROUP (self), "speed", g_variant_new_string (text));
}

static void
speed_state_cb (TvWindow     *self,
                const char   *name,
                GVariant     *state,
                GActionGroup *group)
{
  const char *text = g_variant_get_string (state, NULL);
  double speed = g_ascii_strtod (text, NULL);
  g_autofree char *label = NULL;

  if (speed <= 0)
    return;

  if (speed == 0.25)
    label = g_strdup ("¼×");
  else if (speed == 0.5)
    label = g_strdup ("½×");
  else
    label = g_strdup_printf ("%s×", text);
  gtk_menu_button_set_label (self->speed_button, label);

  g_signal_handlers_block_by_func (self->speed_adjustment, speed_scale_cb, self);
  gtk_adjustment_set_value (self->speed_adjustment, log10 (speed));
  g_signal_handlers_unblock_by_func (self->speed_adjustment, speed_scale_cb, self);
}

static gboolean
space_cb (GtkWidget *widget,
          GVariant  *args,
          gpointer   user_data)
{
  TvWindow *self = TV_WINDOW (widget);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (focus != NULL && focus != widget &&
      focus != GTK_WIDGET (self->timeline) &&
      !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->timeline)))
    return FALSE;

  if (!g_action_group_get_action_enabled (G_ACTION_GROUP (self), "pause"))
    return FALSE;

  g_action_group_activate_action (G_ACTION_GROUP (self), "pause", NULL);
  return TRUE;
}

static const GActionEntry control_actions[] = {
  { "pause", NULL, NULL, "false", pause_change_state },
  { "step", step_action },
  { "select-thread", NULL, "i", "-1", select_thread_change_state },
};

void
tv_window_init_control (TvWindow *self)
{
  GtkEventController *controller;
  GtkShortcut *shortcut;
  GVariant *speed;

  self->step_thread = -1;
  g_action_map_add_action_entries (G_ACTION_MAP (self), control_actions,
                                   G_N_ELEMENTS (control_actions), self);

  /*
   * Space pauses while the timeline (or nothing) has the focus.  In the
   * capture phase, because GtkWindow's own Space binding (activate-focus)
   * would take the key otherwise; space_cb lets it go on to the editor, an
   * entry, a button or a list that has the focus.
   */
  controller = gtk_shortcut_controller_new ();
  gtk_event_controller_set_name (controller, "tv-space-pause");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  shortcut = gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_space, 0),
                               gtk_callback_action_new (space_cb, NULL, NULL));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), shortcut);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  g_signal_connect_object (self, "action-state-changed::speed", G_CALLBACK (speed_state_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->speed_adjustment, "value-changed", G_CALLBACK (speed_scale_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view, "notify::selected-thread", G_CALLBACK (selected_thread_cb),
                           self, G_CONNECT_SWAPPED);

  speed = g_action_group_get_action_state (G_ACTION_GROUP (self), "speed");
  speed_state_cb (self, "speed", speed, G_ACTION_GROUP (self));
  g_variant_unref (speed);

  tv_window_update_control (self);
}
