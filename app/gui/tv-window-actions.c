/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-window-actions"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tv-export.h"
#include "tv-window-private.h"

#define MAX_RECENT 8

/* --- Open -------------------------------------------------------------- */

static void
open_response_cb (TvWindow             *self,
                  int                   response,
                  GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        tv_window_open (self, file);
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
open_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  TvWindow *self = user_data;
  g_autoptr(GtkFileFilter) scenarios = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Open a Scenario"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Open"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (scenarios, _("Scenarios"));
  gtk_file_filter_add_pattern (scenarios, "*.tvs");
  gtk_file_filter_add_mime_type (scenarios, "text/x-threadviz-scenario");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), scenarios);

  /* Saved runs and Chrome traces open as they were recorded, with no run. */
  tv_window_files_add_open_filters (GTK_FILE_CHOOSER (chooser));

  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);

  /* Start where the current scenario is (a lesson, or the user's own). */
  if (self->file != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->file);

      if (parent != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), parent, NULL);
    }

  g_signal_connect_swapped (chooser, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_uri_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  TvWindow *self = user_data;
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (param, NULL));

  tv_window_open (self, file);
}

static void
reload_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  TvWindow *self = user_data;
  g_autoptr(GFile) file = NULL;

  if (self->file == NULL)
    return;

  file = g_object_ref (self->file);
  tv_window_open (self, file);
}

/* --- Scenario: save (tv-window-editor.c) ------------------------------ */

static void
save_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  tv_window_save (user_data);
}

static void
save_as_action (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  tv_window_save_as (user_data);
}

/* --- Run --------------------------------------------------------------- */

static void
run_action (GSimpleAction *action,
            GVariant      *param,
            gpointer       user_data)
{
  tv_window_run (user_data);
}

static void
stop_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  tv_window_stop (user_data);
}

static void
speed_change_state (GSimpleAction *action,
                    GVariant      *state,
                    gpointer       user_data)
{
  TvWindow *self = user_data;
  double speed = g_ascii_strtod (g_variant_get_string (state, NULL), NULL);

  if (speed < TV_CLOCK_MIN_SPEED || speed > TV_CLOCK_MAX_SPEED)
    return;

  tv_window_set_speed (self, speed);
  g_simple_action_set_state (action, state);
  tv_window_save_speed (self, g_variant_get_string (state, NULL));
}

/* --- Export ------------------------------------------------------------ */

typedef struct
{
  TvTrace         *trace;
  TvExportOptions  options;
  char            *path;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_object (&data->trace);
  g_free (data->path);
  g_free (data);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  g_autoptr(GError) error = NULL;

  /* The trace is finished (export is off while a run feeds it): no race. */
  if (tv_export_to_file (data->trace, &data->options, data->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  TvWindow *self = TV_WINDOW (object);
  ExportData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      tv_window_console_append (self, error->message, "error");
      tv_window_toast (self, _("The image could not be exported"));
    }
  else
    {
      g_autofree char *name = g_path_get_basename (data->path);
      g_autofree char *text = g_strdup_printf (_("Exported to %s"), name);
      g_autofree char *line = g_strdup_printf (_("Exported the timeline to %s"), data->path);

      tv_window_console_append (self, line, "dim");
      tv_window_toast (self, text);
    }
}

void
tv_window_export_to_path (TvWindow   *self,
                          const char *path,
                          gboolean    visible_range_only,
                          TvTheme     theme)
{
  g_autoptr(GTask) task = NULL;
  ExportData *data;

  g_return_if_fail (TV_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  if (self->trace == NULL || self->run != NULL)
    return;

  if (g_str_has_suffix (path, ".json"))
    {
      tv_window_files_export_json (self, path);
      return;
    }

  data = g_new0 (ExportData, 1);
  data->trace = g_object_ref (self->trace);
  data->path = g_strdup (path);
  tv_export_options_init (&data->options);
  data->options.theme = theme;
  if (!tv_export_format_from_path (path, &data->options.format))
    data->options.format = TV_EXPORT_PNG;
  if (data->options.format == TV_EXPORT_PNG)
    data->options.scale = 2.0;  /* sharp on slides and HiDPI screens */
  if (visible_range_only)
    {
      data->options.start = tv_timeline_view_get_start (self->view);
      data->options.end = tv_timeline_view_get_end (self->view);
    }

  task = g_task_new (self, self->cancellable, exported_cb, NULL);
  g_task_set_source_tag (task, tv_window_export_to_path);
  g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_thread);
}

static void
export_to_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  TvWindow *self = user_data;
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());

  tv_window_export_to_path (self, g_variant_get_string (param, NULL), FALSE,
                            dark ? TV_THEME_DARK : TV_THEME_LIGHT);
}

/* The file name gets the extension of the chosen filter when it has none. */
static char *
path_with_extension (const char    *path,
                     GtkFileFilter *filter)
{
  const char *name = filter != NULL ? gtk_file_filter_get_name (filter) : NULL;
  TvExportFormat format;

  if (tv_export_format_from_path (path, &format) || name == NULL)
    return g_strdup (path);

  if (g_str_equal (name, "SVG"))
    return g_strconcat (path, ".svg", NULL);
  if (g_str_equal (name, "PDF"))
    return g_strconcat (path, ".pdf", NULL);
  if (g_str_has_prefix (name, "Chrome"))
    return g_str_has_suffix (path, ".json") ? g_strdup (path) : g_strconcat (path, ".json", NULL);
  return g_strconcat (path, ".png", NULL);
}

static void
export_response_cb (TvWindow             *self,
                    int                   response,
                    GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      GtkFileChooser *fc = GTK_FILE_CHOOSER (chooser);
      g_autoptr(GFile) file = gtk_file_chooser_get_file (fc);
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
      const char *range = gtk_file_chooser_get_choice (fc, "range");
      const char *theme = gtk_file_chooser_get_choice (fc, "theme");

      if (path != NULL)
        {
          g_autofree char *full = path_with_extension (path, gtk_file_chooser_get_filter (fc));

          tv_window_export_to_path (self, full,
                                    g_strcmp0 (range, "visible") == 0,
                                    g_strcmp0 (theme, "dark") == 0 ? TV_THEME_DARK : TV_THEME_LIGHT);
        }
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
add_export_filter (GtkFileChooser *chooser,
                   const char     *name,
                   const char     *pattern,
                   const char     *mime_type)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_filter_add_mime_type (filter, mime_type);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
export_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  TvWindow *self = user_data;
  static const char *range_ids[] = { "all", "visible", NULL };
  static const char *theme_ids[] = { "light", "dark", NULL };
  const char *range_labels[] = { _("Whole run"), _("Visible range"), NULL };
  const char *theme_labels[] = { _("Light"), _("Dark"), NULL };
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;

  if (self->trace == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Export the Timeline"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Export"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  add_export_filter (GTK_FILE_CHOOSER (chooser), "PNG", "*.png", "image/png");
  add_export_filter (GTK_FILE_CHOOSER (chooser), "SVG", "*.svg", "image/svg+xml");
  add_export_filter (GTK_FILE_CHOOSER (chooser), "PDF", "*.pdf", "application/pdf");
  add_export_filter (GTK_FILE_CHOOSER (chooser), _("Chrome trace (JSON)"), "*.json", "application/json");

  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "range", _("Range"),
                               range_ids, range_labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "range", "all");
  /* Slides and handouts are light, whatever the desktop's theme. */
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "theme", _("Colours"),
                               theme_ids, theme_labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "theme", "light");

  /* An opened trace or a traced program has a title but no scenario. */
  name = g_strdup_printf ("%s.png", self->scenario != NULL ? self->scenario->title
                                    : tv_trace_get_title (self->trace) != NULL ? tv_trace_get_title (self->trace)
                                    : "timeline");
  g_strdelimit (name, "/\\:", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  g_signal_connect_swapped (chooser, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* --- Timeline ---------------------------------------------------------- */

static double
pointer_anchor (TvWindow *self)
{
  /* Window-level zoom (buttons, Ctrl+=) keeps the middle still. */
  return 0.5;
}

static void
zoom_in_action (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  TvWindow *self = user_data;

  tv_timeline_view_zoom (self->view, 1.5, pointer_anchor (self));
}

static void
zoom_out_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  TvWindow *self = user_data;

  tv_timeline_view_zoom (self->view, 1.0 / 1.5, pointer_anchor (self));
}

static void
zoom_fit_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  TvWindow *self = user_data;

  tv_timeline_view_fit (self->view);
}

static void
follow_live_change_state (GSimpleAction *action,
                          GVariant      *state,
                          gpointer       user_data)
{
  TvWindow *self = user_data;

  /* The view notifies back, and follow_live_notify_cb sets the state. */
  tv_timeline_view_set_follow_live (self->view, g_variant_get_boolean (state));
}

static void
follow_live_notify_cb (TvWindow       *self,
                       GParamSpec     *pspec,
                       TvTimelineView *view)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "follow-live");

  g_simple_action_set_state (G_SIMPLE_ACTION (action),
                             g_variant_new_boolean (tv_timeline_view_get_follow_live (view)));
}

static void
find_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  TvWindow *self = user_data;

  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

/* --- Window ------------------------------------------------------------ */

static void
toggle_sidebar_action (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  TvWindow *self = user_data;

  adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
}

static void
clear_console_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  tv_window_console_clear (user_data);
}

static const GActionEntry win_actions[] = {
  { "open", open_action },
  { "open-uri", open_uri_action, "s" },
  { "reload", reload_action },
  { "save", save_action },
  { "save-as", save_as_action },
  { "run", run_action },
  { "stop", stop_action },
  { "speed", NULL, "s", "'1'", speed_change_state },
  { "export", export_action },
  { "export-to", export_to_action, "s" },
  { "zoom-in", zoom_in_action },
  { "zoom-out", zoom_out_action },
  { "zoom-fit", zoom_fit_action },
  { "follow-live", NULL, NULL, "true", follow_live_change_state },
  { "find", find_action },
  { "toggle-sidebar", toggle_sidebar_action },
  { "clear-console", clear_console_action },
};

static void
set_enabled (TvWindow   *self,
             const char *name,
             gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
tv_window_update_actions (TvWindow *self)
{
  gboolean running = self->run != NULL || tv_window_program_is_running (self);
  gboolean has_trace = self->trace != NULL;

  set_enabled (self, "run", self->scenario != NULL && !running && !self->loading);
  set_enabled (self, "stop", running);
  set_enabled (self, "reload", self->file != NULL && !self->loading);
  set_enabled (self, "export", has_trace && !running);
  set_enabled (self, "export-to", has_trace && !running);
  set_enabled (self, "zoom-in", has_trace);
  set_enabled (self, "zoom-out", has_trace);
  set_enabled (self, "zoom-fit", has_trace);
  set_enabled (self, "follow-live", running);

  /* Filter, range and zoom mean nothing before there is a timeline. */
  gtk_widget_set_visible (self->timeline_bar, has_trace);
  tv_window_files_update_actions (self);
  tv_window_update_control (self);
  tv_window_files_update_actions (self);
}

static void
recent_changed_cb (TvWindow         *self,
                   GtkRecentManager *manager)
{
  tv_window_update_recent (self);
}

static int
compare_recent (gconstpointer a,
                gconstpointer b)
{
  GtkRecentInfo *ia = *(GtkRecentInfo **) a;
  GtkRecentInfo *ib = *(GtkRecentInfo **) b;

  return g_date_time_compare (gtk_recent_info_get_modified (ib),
                              gtk_recent_info_get_modified (ia));
}

void
tv_window_update_recent (TvWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();
  GList *items = gtk_recent_manager_get_items (manager);
  g_autoptr(GPtrArray) scenarios = g_ptr_array_new ();
  guint n = 0;

  g_menu_remove_all (self->recent_section);

  for (GList *l = items; l != NULL; l = l->next)
    /* Saved runs too: a run kept to show again is opened again. */
    if (g_str_has_suffix (gtk_recent_info_get_uri (l->data), ".tvs")
        || g_str_has_suffix (gtk_recent_info_get_uri (l->data), ".tvt"))
      g_ptr_array_add (scenarios, l->data);
  g_ptr_array_sort (scenarios, compare_recent);

  for (guint i = 0; i < scenarios->len && n < MAX_RECENT; i++)
    {
      GtkRecentInfo *info = g_ptr_array_index (scenarios, i);
      g_autofree char *action = NULL;

      if (!gtk_recent_info_exists (info))
        continue;

      action = g_strdup_printf ("win.open-uri('%s')", gtk_recent_info_get_uri (info));
      /* The detailed name is a GVariant text: a quote in the URI would break it. */
      if (strchr (gtk_recent_info_get_uri (info), '\'') != NULL)
        continue;
      g_menu_append (self->recent_section, gtk_recent_info_get_display_name (info), action);
      n++;
    }

  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);

  if (n == 0)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("No Recent Scenarios"), "win.none");

      g_menu_append_item (self->recent_section, item);
    }
}

void
tv_window_init_actions (TvWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions,
                                   G_N_ELEMENTS (win_actions), self);

  g_signal_connect_object (self->view, "notify::follow-live",
                           G_CALLBACK (follow_live_notify_cb), self,
                           G_CONNECT_SWAPPED);
  self->recent_changed_id = g_signal_connect_swapped (manager, "changed",
                                                      G_CALLBACK (recent_changed_cb), self);
}
