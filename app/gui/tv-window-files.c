/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-files.c: runs outlive the window.  Save Trace keeps the run the
 * timeline shows (also while it goes on) as a `.tvt`; Open takes `.tvt`
 * and Chrome `.json` traces too and shows them at once, with no run; the
 * Export dialog writes Chrome JSON.  docs/trace-files.md has the formats.
 *
 * Every run is recorded twice on the main thread: into its TvTrace and,
 * through the timeline's drain (tv_timeline_set_capture_writer()), into a
 * TvCaptureWriter, ~32 bytes an event.  Saving writes that capture, so it
 * needs no copy of the trace and may happen at any moment.
 */
#define G_LOG_DOMAIN "tv-window-files"

#include "config.h"

#include <glib/gi18n.h>

#include "tv-capture-reader.h"
#include "tv-chrome-export.h"
#include "tv-chrome-import.h"
#include "tv-window-files.h"

#define TRACE_MIME_TYPE "application/x-threadviz-trace"

static TvWindowFiles *
get_files (TvWindow *self)
{
  return self->files;
}

void
tv_window_files_set_writer (TvWindow        *self,
                            TvCaptureWriter *writer,
                            TvTrace         *trace)
{
  TvWindowFiles *files = get_files (self);

  /* The timeline borrows the old writer: let go of it first. */
  tv_timeline_set_capture_writer (self->timeline, NULL);
  g_clear_pointer (&files->writer, tv_capture_writer_free);
  g_clear_object (&files->writer_trace);
  files->writer = writer;
  if (trace != NULL)
    files->writer_trace = g_object_ref (trace);
}

static gboolean
can_save (TvWindow *self)
{
  TvWindowFiles *files = get_files (self);

  return files->writer != NULL && self->trace != NULL
         && self->trace == files->writer_trace;
}

/* --- Recording a run ---------------------------------------------------- */

void
tv_window_files_run_started (TvWindow *self)
{
  TvCaptureWriter *writer;

  g_return_if_fail (TV_IS_WINDOW (self));

  if (self->trace == NULL || self->scenario == NULL)
    return;

  writer = tv_capture_writer_new ();
  tv_capture_writer_set_scenario (writer, self->scenario->source);
  tv_capture_writer_set_title (writer, self->scenario->title);
  tv_capture_writer_set_speed (writer, self->speed);
  tv_window_files_set_writer (self, writer, self->trace);
  tv_timeline_set_capture_writer (self->timeline, writer);
  tv_window_files_update_actions (self);
}

/* --- Save Trace --------------------------------------------------------- */

static gboolean
save_to_path (TvWindow    *self,
              const char  *path,
              GError     **error)
{
  TvWindowFiles *files = get_files (self);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *line = NULL;
  g_autofree char *toast = NULL;
  guint64 n_events;

  if (!can_save (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no run to save"));
      return FALSE;
    }

  /*
   * On the main thread, which feeds the writer: a run that goes on is
   * saved as recorded so far, and goes on being recorded.  The file is
   * replaced atomically; 10 M events take about a second.
   */
  if (!tv_capture_writer_save (files->writer, path, error))
    return FALSE;

  n_events = tv_capture_writer_get_n_events (files->writer);
  line = g_strdup_printf (g_dngettext (NULL,
                                       "Saved the trace (%" G_GUINT64_FORMAT " event) to %s",
                                       "Saved the trace (%" G_GUINT64_FORMAT " events) to %s",
                                       n_events),
                          n_events, path);
  tv_window_console_append (self, line, "dim");
  toast = g_strdup_printf (_("Saved to %s"), name);
  tv_window_toast (self, toast);
  return TRUE;
}

static void
save_to (TvWindow   *self,
         const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!save_to_path (self, path, &error))
    {
      tv_window_console_append (self, error->message, "error");
      tv_window_toast (self, _("The trace could not be saved"));
    }
}

static void
save_response_cb (TvWindow             *self,
                  int                   response,
                  GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          g_autofree char *full = g_str_has_suffix (path, ".tvt")
                                  ? g_strdup (path) : g_strconcat (path, ".tvt", NULL);

          save_to (self, full);
        }
    }

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
save_trace_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  TvWindow *self = user_data;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;
  const char *title;
  g_autofree char *name = NULL;

  if (!can_save (self))
    return;

  chooser = gtk_file_chooser_native_new (_("Save the Trace"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (filter, _("ThreadViz traces"));
  gtk_file_filter_add_pattern (filter, "*.tvt");
  gtk_file_filter_add_mime_type (filter, TRACE_MIME_TYPE);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);

  title = tv_trace_get_title (self->trace);
  name = g_strdup_printf ("%s.tvt", title != NULL && title[0] != '\0' ? title : "run");
  g_strdelimit (name, "/\\:", '-');
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  g_signal_connect_swapped (chooser, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
save_trace_to_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  save_to (user_data, g_variant_get_string (param, NULL));
}

/* --- Opening ------------------------------------------------------------ */

gboolean
tv_window_files_is_trace (GFile *file)
{
  g_autofree char *name = g_file_get_basename (file);

  return name != NULL && (g_str_has_suffix (name, ".tvt") || g_str_has_suffix (name, ".json"));
}

void
tv_window_files_add_open_filters (GtkFileChooser *chooser)
{
  g_autoptr(GtkFileFilter) traces = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) supported = gtk_file_filter_new ();

  gtk_file_filter_set_name (traces, _("Traces (.tvt, Chrome .json)"));
  gtk_file_filter_add_pattern (traces, "*.tvt");
  gtk_file_filter_add_pattern (traces, "*.json");
  gtk_file_filter_add_mime_type (traces, TRACE_MIME_TYPE);
  gtk_file_chooser_add_filter (chooser, traces);

  /* First in the list and chosen: everything Open understands. */
  gtk_file_filter_set_name (supported, _("Scenarios and Traces"));
  gtk_file_filter_add_pattern (supported, "*.tvs");
  gtk_file_filter_add_pattern (supported, "*.tvt");
  gtk_file_filter_add_pattern (supported, "*.json");
  gtk_file_filter_add_mime_type (supported, "text/x-threadviz-scenario");
  gtk_file_filter_add_mime_type (supported, TRACE_MIME_TYPE);
  gtk_file_chooser_add_filter (chooser, supported);
  gtk_file_chooser_set_filter (chooser, supported);
}

static void
cancel_clicked_cb (TvWindow  *self,
                   GtkButton *button)
{
  get_files (self)->open_cancelled_by_user = TRUE;
  g_cancellable_cancel (self->load_cancellable);
}

static void
ensure_opening_page (TvWindow *self)
{
  TvWindowFiles *files = get_files (self);
  GtkWidget *box, *spinner, *button;

  if (files->opening_page != NULL)
    return;

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (box, 320, -1);

  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_box_append (GTK_BOX (box), spinner);

  files->opening_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (files->opening_label, TRUE);
  gtk_label_set_justify (files->opening_label, GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (files->opening_label), "title-3");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (files->opening_label));

  files->opening_progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (files->opening_progress, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (files->opening_progress));

  button = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "pill");
  g_signal_connect_object (button, "clicked", G_CALLBACK (cancel_clicked_cb), self, G_CONNECT_SWAPPED);
  gtk_box_append (GTK_BOX (box), button);

  files->opening_page = box;
  gtk_stack_add_named (self->main_stack, box, "opening");
}

static void
set_titles (TvWindow   *self,
            const char *title,
            GFile      *file)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *window_title = NULL;

  if (title == NULL || title[0] == '\0')
    title = name;
  window_title = g_strdup_printf ("%s — ThreadViz", title);
  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, g_strcmp0 (name, title) != 0 ? name : NULL);
  gtk_window_set_title (GTK_WINDOW (self), window_title);
}

static void
stop_pulsing (TvWindow *self)
{
  g_clear_handle_id (&get_files (self)->pulse_id, g_source_remove);
}

static gboolean
pulse_cb (gpointer user_data)
{
  TvWindow *self = user_data;

  gtk_progress_bar_pulse (get_files (self)->opening_progress);
  return G_SOURCE_CONTINUE;
}

static void
progress_cb (double   fraction,
             gpointer user_data)
{
  TvWindow *self = user_data;
  TvWindowFiles *files = get_files (self);

  if (files == NULL || files->opening_progress == NULL)
    return;
  gtk_progress_bar_set_fraction (files->opening_progress, CLAMP (fraction, 0.0, 1.0));
}

/* What the window shows of a trace it opened. */
static void
show_opened (TvWindow        *self,
             GFile           *file,
             TvTrace         *trace,
             TvCaptureWriter *writer,
             const char      *scenario_text,
             const char      *what)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *line = NULL;
  g_autofree char *uri = g_file_get_uri (file);
  guint64 n_events = tv_trace_get_n_events (trace);
  g_autoptr(TvScenario) scenario = NULL;

  /* The scenario a .tvt came from quotes its lines in the tooltips; it is
   * not loaded to run: this is a recorded run. */
  if (scenario_text != NULL && scenario_text[0] != '\0')
    scenario = tv_scenario_parse (name, scenario_text, -1, NULL, NULL);

  tv_window_set_trace (self, trace);
  tv_window_files_set_writer (self, writer, trace);
  tv_timeline_set_scenario (self->timeline, scenario);
  tv_timeline_view_reset (self->view);
  tv_timeline_view_set_duration (self->view, tv_trace_get_end_time (trace));
  tv_timeline_view_fit (self->view);
  gtk_stack_set_visible_child_name (self->main_stack, "timeline");
  set_titles (self, tv_trace_get_title (trace), file);

  line = g_strdup_printf (g_dngettext (NULL,
                                       "Opened %s (%s): %" G_GUINT64_FORMAT " event, no run",
                                       "Opened %s (%s): %" G_GUINT64_FORMAT " events, no run",
                                       n_events),
                          name, what, n_events);
  tv_window_console_append (self, line, "dim");
  gtk_label_set_label (self->run_status_label, _("Recorded"));

  /* Its printed lines, as the run printed them. */
  tv_trace_changed (trace);
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
  tv_window_update_actions (self);
}

static void
show_open_error (TvWindow     *self,
                 GFile        *file,
                 const GError *error)
{
  TvWindowFiles *files = get_files (self);
  g_autofree char *name = g_file_get_basename (file);

  if (files->open_cancelled_by_user)
    {
      g_autofree char *line = g_strdup_printf (_("Opening %s was cancelled"), name);

      tv_window_console_append (self, line, "dim");
      adw_status_page_set_title (self->intro_page, _("Opening Cancelled"));
      adw_status_page_set_description (self->intro_page, NULL);
    }
  else
    {
      /* The readers' messages start with the file's name and say what is
       * wrong: "run.tvt: truncated event section (expected…)". */
      tv_window_console_append (self, error->message, "error");
      adw_status_page_set_title (self->intro_page, _("The Trace Could Not Be Read"));
      adw_status_page_set_description (self->intro_page, error->message);
      tv_window_toast (self, _("The trace could not be read"));
    }
  set_titles (self, NULL, file);
  gtk_stack_set_visible_child_name (self->main_stack, "empty");
  tv_window_update_actions (self);
}

typedef struct
{
  TvWindow        *window;
  GFile           *file;
  GCancellable    *cancellable;
  TvCaptureWriter *writer;
  TvTrace         *trace;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_clear_object (&data->window);
  g_clear_object (&data->file);
  g_clear_object (&data->cancellable);
  g_clear_pointer (&data->writer, tv_capture_writer_free);
  g_clear_object (&data->trace);
  g_free (data);
}

/* A newer open (or a close) cancelled this one: leave the window alone. */
static gboolean
open_is_stale (OpenData *data)
{
  if (data->window->files == NULL)
    return TRUE;
  return data->cancellable != data->window->load_cancellable
         || (g_cancellable_is_cancelled (data->cancellable)
             && !get_files (data->window)->open_cancelled_by_user)
         || get_files (data->window)->opening_page == NULL;
}

static void
capture_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  OpenData *data = user_data;
  TvWindow *self = data->window;
  g_autoptr(TvCaptureReader) reader = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(GError) error = NULL;

  trace = tv_capture_load_finish (result, &reader, &error);
  if (!open_is_stale (data))
    {
      stop_pulsing (self);
      if (trace == NULL)
        show_open_error (self, data->file, error);
      else
        show_opened (self, data->file, trace, g_steal_pointer (&data->writer),
                     tv_capture_reader_get_scenario (reader), _("a saved run"));
    }
  open_data_free (data);
}

static void
import_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  OpenData *data = task_data;
  g_autofree char *path = g_file_get_path (data->file);
  g_autoptr(GError) error = NULL;

  data->trace = tv_trace_new ();
  data->writer = tv_capture_writer_new ();
  tv_capture_writer_set_imported (data->writer, TRUE);
  /* Nobody watches the new trace yet: it may be fed from this thread. */
  if (tv_chrome_import (path, data->trace, data->writer, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
imported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  OpenData *data = g_task_get_task_data (G_TASK (result));
  TvWindow *self = data->window;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (open_is_stale (data))
    return;

  stop_pulsing (self);
  if (g_cancellable_is_cancelled (data->cancellable))
    show_open_error (self, data->file, error);
  else if (!ok)
    show_open_error (self, data->file, error);
  else
    {
      const char *title = tv_trace_get_title (data->trace);

      if (title == NULL || title[0] == '\0')
        {
          g_autofree char *name = g_file_get_basename (data->file);

          tv_trace_set_title (data->trace, name);
        }
      tv_capture_writer_set_title (data->writer, tv_trace_get_title (data->trace));
      show_opened (self, data->file, data->trace, g_steal_pointer (&data->writer),
                   NULL, _("a Chrome trace"));
    }
}

void
tv_window_files_open_trace (TvWindow *self,
                            GFile    *file)
{
  TvWindowFiles *files;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *label = NULL;
  OpenData *data;

  g_return_if_fail (TV_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  files = get_files (self);
  path = g_file_get_path (file);
  name = g_file_get_basename (file);

  /* A recorded run, not a scenario: nothing to run. */
  g_clear_pointer (&self->scenario, tv_scenario_unref);
  tv_window_set_trace (self, NULL);
  tv_window_files_set_writer (self, NULL, NULL);
  tv_timeline_set_scenario (self->timeline, NULL);
  tv_window_console_clear (self);
  gtk_label_set_label (self->run_status_label, "");
  set_titles (self, NULL, file);
  tv_window_update_actions (self);

  if (path == NULL)
    {
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                             _("%s: only local files can be opened"), name);

      files->open_cancelled_by_user = FALSE;
      show_open_error (self, file, error);
      return;
    }

  ensure_opening_page (self);
  label = g_strdup_printf (_("Opening %s…"), name);
  gtk_label_set_label (files->opening_label, label);
  gtk_progress_bar_set_fraction (files->opening_progress, 0.0);
  gtk_progress_bar_set_show_text (files->opening_progress, TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "opening");
  files->open_cancelled_by_user = FALSE;
  stop_pulsing (self);

  /* tv_window_open() made a new load_cancellable: a newer open cancels it. */
  data = g_new0 (OpenData, 1);
  data->window = g_object_ref (self);
  data->file = g_object_ref (file);
  data->cancellable = g_object_ref (self->load_cancellable);

  if (g_str_has_suffix (name, ".json"))
    {
      g_autoptr(GTask) task = g_task_new (NULL, data->cancellable, imported_cb, NULL);

      /* json-glib reads the whole document: no fraction to show. */
      gtk_progress_bar_set_show_text (files->opening_progress, FALSE);
      files->pulse_id = g_timeout_add (100, pulse_cb, self);
      g_task_set_source_tag (task, tv_window_files_open_trace);
      g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
      g_task_run_in_thread (task, import_thread);
    }
  else
    {
      data->writer = tv_capture_writer_new ();
      /* The writer is fed on the worker thread, so that the opened run can
       * be saved again; it is ours again in the callback. */
      tv_capture_load_async (path, data->writer, data->cancellable,
                             progress_cb, self, capture_loaded_cb, data);
    }
}

/* --- Export to Chrome JSON ---------------------------------------------- */

typedef struct
{
  TvTrace *trace;
  char    *path;
} ExportJson;

static void
export_json_free (ExportJson *data)
{
  g_clear_object (&data->trace);
  g_free (data->path);
  g_free (data);
}

static void
export_json_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  ExportJson *data = task_data;
  g_autoptr(GError) error = NULL;

  /* The trace is finished (export is off while something feeds it). */
  if (tv_chrome_export (data->trace, data->path, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
exported_json_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TvWindow *self = TV_WINDOW (object);
  ExportJson *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      tv_window_console_append (self, error->message, "error");
      tv_window_toast (self, _("The trace could not be exported"));
    }
  else
    {
      g_autofree char *name = g_path_get_basename (data->path);
      g_autofree char *text = g_strdup_printf (_("Exported to %s"), name);
      g_autofree char *line = g_strdup_printf (_("Exported the trace as Chrome JSON to %s"), data->path);

      tv_window_console_append (self, line, "dim");
      tv_window_toast (self, text);
    }
}

void
tv_window_files_export_json (TvWindow   *self,
                             const char *path)
{
  g_autoptr(GTask) task = NULL;
  ExportJson *data;

  g_return_if_fail (TV_IS_WINDOW (self));
  g_return_if_fail (path != NULL);

  if (self->trace == NULL || tv_window_is_running (self))
    return;

  data = g_new0 (ExportJson, 1);
  data->trace = g_object_ref (self->trace);
  data->path = g_strdup (path);

  task = g_task_new (self, self->cancellable, exported_json_cb, NULL);
  g_task_set_source_tag (task, tv_window_files_export_json);
  g_task_set_task_data (task, data, (GDestroyNotify) export_json_free);
  g_task_run_in_thread (task, export_json_thread);
}

/* --- Actions ------------------------------------------------------------ */

static const GActionEntry file_actions[] = {
  { "save-trace", save_trace_action },
  { "save-trace-to", save_trace_to_action, "s" },
};

void
tv_window_files_update_actions (TvWindow *self)
{
  gboolean enabled;
  GAction *action;

  if (self->files == NULL)
    return;

  enabled = can_save (self);
  action = g_action_map_lookup_action (G_ACTION_MAP (self), "save-trace");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
  action = g_action_map_lookup_action (G_ACTION_MAP (self), "save-trace-to");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
tv_window_files_init (TvWindow *self)
{
  g_return_if_fail (TV_IS_WINDOW (self));

  self->files = g_new0 (TvWindowFiles, 1);
  g_action_map_add_action_entries (G_ACTION_MAP (self), file_actions,
                                   G_N_ELEMENTS (file_actions), self);
  tv_window_program_init (self);
  tv_window_files_update_actions (self);
}

void
tv_window_files_dispose (TvWindow *self)
{
  TvWindowFiles *files = self->files;

  if (files == NULL)
    return;

  tv_window_program_free (self);
  stop_pulsing (self);
  tv_window_files_set_writer (self, NULL, NULL);
  /* The opening page goes with the stack. */
  files->opening_page = NULL;
  g_clear_pointer (&self->files, g_free);
}
