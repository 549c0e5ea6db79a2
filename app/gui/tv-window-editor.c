/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-editor.c: the window's side of the scenario editor: parsing
 * the text as it is typed, the errors in the console (links to their
 * place), Save / Save As, and the question about unsaved changes before
 * the window closes or another scenario replaces this one.
 */

#define G_LOG_DOMAIN "tv-window-editor"

#include "config.h"

#include <glib/gi18n.h>

#include "tv-window-private.h"

/* Typing pauses this long before the text is parsed again. */
#define REPARSE_DELAY_MS 400

static char *
dup_display_name (TvWindow *self)
{
  return self->file != NULL ? g_file_get_basename (self->file) : g_strdup ("untitled.tvs");
}

/* --- Parsing ----------------------------------------------------------- */

static gboolean
same_diagnostics (GPtrArray *a,
                  GPtrArray *b)
{
  guint na = a != NULL ? a->len : 0;
  guint nb = b != NULL ? b->len : 0;

  if (na != nb)
    return FALSE;

  for (guint i = 0; i < na; i++)
    {
      const TvDiagnostic *da = g_ptr_array_index (a, i);
      const TvDiagnostic *db = g_ptr_array_index (b, i);

      if (da->location.line != db->location.line ||
          da->location.column != db->location.column ||
          g_strcmp0 (da->message, db->message) != 0)
        return FALSE;
    }

  return TRUE;
}

static void
reparse (TvWindow *self)
{
  g_autofree char *text = tv_editor_dup_text (self->editor);
  g_autofree char *name = dup_display_name (self);
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(GPtrArray) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  gboolean changed;

  scenario = tv_scenario_parse (name, text, -1, &diagnostics, &error);

  changed = !same_diagnostics (self->diagnostics, diagnostics) ||
            ((scenario == NULL) != (self->scenario == NULL));
  g_clear_pointer (&self->diagnostics, g_ptr_array_unref);
  self->diagnostics = g_steal_pointer (&diagnostics);
  tv_editor_set_diagnostics (self->editor, self->diagnostics);
  tv_window_set_scenario (self, scenario);

  /*
   * The console lists the errors of the text as it is now, but a run's
   * output stays until the errors change.
   */
  if (changed && self->run == NULL)
    {
      tv_window_console_clear (self);
      if (scenario != NULL)
        tv_window_console_append (self, _("No errors. Press Run (F5) to start it."), "dim");
      else if (self->diagnostics != NULL && self->diagnostics->len > 0)
        tv_window_console_diagnostics (self);
      else if (error != NULL)
        tv_window_console_append (self, error->message, "error");
    }
}

static gboolean
reparse_cb (gpointer user_data)
{
  TvWindow *self = user_data;

  self->reparse_id = 0;
  reparse (self);
  return G_SOURCE_REMOVE;
}

gboolean
tv_window_sync_scenario (TvWindow *self)
{
  if (self->reparse_id != 0)
    {
      g_clear_handle_id (&self->reparse_id, g_source_remove);
      reparse (self);
    }

  return self->scenario != NULL;
}

void
tv_window_editor_loaded (TvWindow   *self,
                         const char *text,
                         GPtrArray  *diagnostics)
{
  tv_editor_set_text (self->editor, text);
  /* Setting the text is not an edit: nothing to parse again. */
  g_clear_handle_id (&self->reparse_id, g_source_remove);

  g_clear_pointer (&self->diagnostics, g_ptr_array_unref);
  if (diagnostics != NULL)
    self->diagnostics = g_ptr_array_ref (diagnostics);
  tv_editor_set_diagnostics (self->editor, self->diagnostics);
}

/* --- The console ------------------------------------------------------- */

void
tv_window_console_diagnostics (TvWindow *self)
{
  g_autofree char *text = tv_editor_dup_text (self->editor);
  g_autofree char *name = dup_display_name (self);

  if (self->diagnostics == NULL)
    return;

  for (guint i = 0; i < self->diagnostics->len; i++)
    {
      const TvDiagnostic *diagnostic = g_ptr_array_index (self->diagnostics, i);
      g_autofree char *formatted = tv_diagnostic_format (diagnostic, name, text);
      g_autofree char *location = g_strdup_printf ("%s:%u:%u", name,
                                                   diagnostic->location.line,
                                                   diagnostic->location.column);
      g_autofree char *location_markup = g_markup_escape_text (location, -1);
      g_autofree char *rest = NULL;
      g_autofree char *markup = NULL;

      /* "race.tvs:7:13" is a link to the place; the rest as formatted. */
      if (g_str_has_prefix (formatted, location))
        rest = g_markup_escape_text (formatted + strlen (location), -1);
      else
        rest = g_markup_escape_text (formatted, -1);
      markup = g_strdup_printf ("<a href=\"line:%u:%u\">%s</a>%s",
                                diagnostic->location.line, diagnostic->location.column,
                                g_str_has_prefix (formatted, location) ? location_markup : "",
                                rest);
      tv_window_console_append_markup (self, markup, "error");
    }
}

char *
tv_window_link_locations (TvWindow   *self,
                          const char *text)
{
  g_autofree char *name = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *pattern = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  GString *markup = g_string_new (NULL);
  const char *tail = text;

  name = self->scenario != NULL && self->scenario->filename != NULL
         ? g_strdup (self->scenario->filename) : dup_display_name (self);
  quoted = g_regex_escape_string (name, -1);
  pattern = g_strdup_printf ("%s:([0-9]+)(?::([0-9]+))?", quoted);
  regex = g_regex_new (pattern, 0, 0, NULL);

  if (regex != NULL && g_regex_match (regex, text, 0, &match))
    {
      do
        {
          g_autofree char *all = g_match_info_fetch (match, 0);
          g_autofree char *line = g_match_info_fetch (match, 1);
          g_autofree char *column = g_match_info_fetch (match, 2);
          g_autofree char *before = NULL;
          g_autofree char *label = g_markup_escape_text (all, -1);
          int start, end;

          g_match_info_fetch_pos (match, 0, &start, &end);
          before = g_markup_escape_text (tail, text + start - tail);
          g_string_append (markup, before);
          g_string_append_printf (markup, "<a href=\"line:%s:%s\">%s</a>",
                                  line, column != NULL && *column ? column : "1", label);
          tail = text + end;
        }
      while (g_match_info_next (match, NULL));
    }

  {
    g_autofree char *rest = g_markup_escape_text (tail, -1);

    g_string_append (markup, rest);
  }

  return g_string_free (markup, FALSE);
}

gboolean
tv_window_console_link_cb (TvWindow   *self,
                           const char *uri,
                           GtkLabel   *label)
{
  guint line = 0, column = 1;

  if (!g_str_has_prefix (uri, "line:") || sscanf (uri + 5, "%u:%u", &line, &column) < 1)
    return FALSE;

  tv_editor_jump_to (self->editor, line, column);
  return TRUE;
}

/* --- Marks of a run ---------------------------------------------------- */

static const char *
thread_name (TvTrace *trace,
             guint32  index)
{
  const TvTraceThread *thread = index < tv_trace_get_n_threads (trace)
                                ? tv_trace_get_thread (trace, index) : NULL;

  return thread != NULL && thread->name != NULL ? thread->name : "?";
}

void
tv_window_mark_run_errors (TvWindow *self)
{
  GArray *problems;
  guint first = 0;

  tv_editor_clear_error_lines (self->editor);
  if (self->trace == NULL || (problems = tv_trace_get_problems (self->trace)) == NULL)
    return;

  for (guint i = 0; i < problems->len; i++)
    {
      const TvProblem *problem = &g_array_index (problems, TvProblem, i);
      g_autofree char *text = NULL;

      if (problem->line == 0)
        continue;

      if (problem->deadlock)
        {
          const TvTraceObject *object = tv_trace_get_object (self->trace, problem->object);

          text = g_strdup_printf (_("Deadlock: %s waits for %s, held by %s"),
                                  thread_name (self->trace, problem->thread),
                                  object != NULL && object->name != NULL ? object->name : "?",
                                  thread_name (self->trace, problem->holder));
        }
      else
        text = g_strdup_printf ("%s: %s", thread_name (self->trace, problem->thread),
                                problem->message != NULL ? problem->message : _("run-time error"));

      tv_editor_add_error_line (self->editor, problem->line, text);
      if (first == 0)
        first = problem->line;
    }

  /* The run ended on these lines: show them. */
  if (first != 0)
    tv_editor_show_line (self->editor, first);
}

/* --- Titles ------------------------------------------------------------ */

gboolean
tv_window_is_modified (TvWindow *self)
{
  return gtk_text_buffer_get_modified (GTK_TEXT_BUFFER (tv_editor_get_buffer (self->editor)));
}

void
tv_window_update_titles (TvWindow *self)
{
  g_autofree char *name = dup_display_name (self);
  g_autofree char *title = NULL;
  g_autofree char *tooltip = NULL;

  if (self->read_only)
    tooltip = g_strdup (_("A shipped lesson: saving asks for a new file"));
  else if (self->file != NULL)
    tooltip = g_file_get_parse_name (self->file);

  if (tv_window_is_modified (self))
    title = g_strdup_printf ("• %s", name);
  else
    title = g_strdup (name);

  gtk_label_set_label (self->editor_title, title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->editor_title), tooltip);
}

static void
modified_changed_cb (TvWindow      *self,
                     GtkTextBuffer *buffer)
{
  tv_window_update_titles (self);
}

static void
changed_cb (TvWindow      *self,
            GtkTextBuffer *buffer)
{
  self->n_changes++;
  g_clear_handle_id (&self->reparse_id, g_source_remove);
  self->reparse_id = g_timeout_add (REPARSE_DELAY_MS, reparse_cb, self);
}

static void
cursor_moved_cb (TvWindow      *self,
                 GParamSpec    *pspec,
                 GtkTextBuffer *buffer)
{
  g_autofree char *text = NULL;
  GtkTextIter iter;

  gtk_text_buffer_get_iter_at_mark (buffer, &iter, gtk_text_buffer_get_insert (buffer));
  text = g_strdup_printf (_("Ln %d, Col %d"),
                          gtk_text_iter_get_line (&iter) + 1,
                          gtk_text_iter_get_line_offset (&iter) + 1);
  gtk_label_set_label (self->editor_position, text);
}

/* --- Saving ------------------------------------------------------------ */

typedef struct
{
  TvWindow *self;
  GFile    *file;
  guint     n_changes;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->file);
  g_free (data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveData, save_data_free)

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(SaveData) data = user_data;
  TvWindow *self = data->self;
  g_autoptr(GError) error = NULL;
  void (*then) (TvWindow *) = g_steal_pointer (&self->after_save);
  g_autofree char *name = g_file_get_basename (G_FILE (object));

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not save %s: %s"), name, error->message);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          tv_window_console_append (self, text, "error");
          tv_window_toast (self, _("The scenario could not be saved"));
        }
      return;
    }

  /* The file is now the one edited, and no longer a lesson. */
  if (self->file == NULL || !g_file_equal (self->file, data->file))
    {
      g_autofree char *uri = g_file_get_uri (data->file);

      g_set_object (&self->file, data->file);
      self->read_only = FALSE;
      gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
      /* The messages name the new file. */
      g_clear_handle_id (&self->reparse_id, g_source_remove);
      reparse (self);
    }

  /* Edits made while it was written are still unsaved. */
  if (data->n_changes == self->n_changes)
    gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (tv_editor_get_buffer (self->editor)), FALSE);
  self->read_only = FALSE;
  tv_window_update_titles (self);

  {
    g_autofree char *text = g_strdup_printf (_("Saved %s"), name);

    tv_window_toast (self, text);
  }

  if (then != NULL)
    then (self);
}

static void
write_to (TvWindow *self,
          GFile    *file)
{
  g_autofree char *text = tv_editor_dup_text (self->editor);
  g_autoptr(GBytes) bytes = NULL;
  SaveData *data = g_new0 (SaveData, 1);
  gsize length = strlen (text);

  data->self = g_object_ref (self);
  data->file = g_object_ref (file);
  data->n_changes = self->n_changes;

  bytes = g_bytes_new_take (g_steal_pointer (&text), length);
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_NONE,
                                       self->cancellable, saved_cb, data);
}

void
tv_window_save (TvWindow *self)
{
  /* A shipped lesson stays as shipped: its changes go to a new file. */
  if (self->file == NULL || self->read_only)
    {
      tv_window_save_as (self);
      return;
    }

  write_to (self, self->file);
}

static void
save_as_response_cb (TvWindow             *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  if (file != NULL)
    write_to (self, file);
  else
    self->after_save = NULL;  /* cancelled: what waited for the save does not happen */

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

void
tv_window_save_as (TvWindow *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *name = dup_display_name (self);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Save the Scenario"),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (filter, _("Scenarios"));
  gtk_file_filter_add_pattern (filter, "*.tvs");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);

  /* A lesson's copy goes to the user's folder, not the shipped one. */
  if (self->file != NULL && !self->read_only)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->file);

      if (parent != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), parent, NULL);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  g_signal_connect_swapped (chooser, "response", G_CALLBACK (save_as_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* --- Unsaved changes --------------------------------------------------- */

static void
settle_response_cb (TvWindow         *self,
                    const char       *response,
                    AdwMessageDialog *dialog)
{
  void (*then) (TvWindow *) = g_object_get_data (G_OBJECT (dialog), "then");

  if (g_strcmp0 (response, "discard") == 0)
    {
      gtk_text_buffer_set_modified (GTK_TEXT_BUFFER (tv_editor_get_buffer (self->editor)), FALSE);
      then (self);
    }
  else if (g_strcmp0 (response, "save") == 0)
    {
      self->after_save = then;
      tv_window_save (self);
    }
  else
    {
      /* Cancel: nothing waits any more. */
      g_clear_object (&self->pending_open);
    }
}

void
tv_window_settle_changes (TvWindow  *self,
                          void     (*then) (TvWindow *self))
{
  g_autofree char *name = dup_display_name (self);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (!tv_window_is_modified (self))
    {
      then (self);
      return;
    }

  if (self->read_only)
    body = g_strdup_printf (_("“%s” is a lesson and stays as shipped: saving asks for a new file. "
                              "Changes that are not saved are lost."), name);
  else
    body = g_strdup_printf (_("“%s” has changes that are not saved. "
                              "Changes that are not saved are lost."), name);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Save Changes?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "save", self->read_only ? _("Save _As…") : _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "discard",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "then", then);
  g_signal_connect_object (dialog, "response", G_CALLBACK (settle_response_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- Setup ------------------------------------------------------------- */

void
tv_window_init_editor (TvWindow *self)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (tv_editor_get_buffer (self->editor));

  g_signal_connect_object (buffer, "changed", G_CALLBACK (changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer, "modified-changed", G_CALLBACK (modified_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer, "notify::cursor-position", G_CALLBACK (cursor_moved_cb),
                           self, G_CONNECT_SWAPPED);
  cursor_moved_cb (self, NULL, buffer);
  tv_window_update_titles (self);
}
