/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-program-dialog.c: the "Trace a Program…" dialog.  A command line
 * (split like a shell would, without running one) and a working folder;
 * Trace starts it under the tracer.  An error (no such program, a static
 * binary…) is shown in the dialog, which stays open to fix the command.
 * The last command and folder are offered again while the app runs.
 */
#define G_LOG_DOMAIN "tv-trace-program"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tv-trace-program-dialog.h"

typedef struct
{
  TvWindow    *window;       /* weak: the dialog is its transient child */
  GtkWidget   *dialog;
  AdwEntryRow *command_row;
  AdwActionRow *folder_row;
  GtkLabel    *error_label;
  GtkWidget   *trace_button;
  char        *folder;
} Dialog;

static char *last_command;
static char *last_folder;

static void
dialog_free (Dialog *d)
{
  g_free (d->folder);
  g_free (d);
}

static void
dialog_destroy_cb (GtkWidget *widget,
                   Dialog    *d)
{
  if (d->window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (d->window), (gpointer *) &d->window);
  d->window = NULL;
}

static void
show_error (Dialog     *d,
            const char *message)
{
  gtk_label_set_label (d->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (d->error_label), message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (d->command_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (d->command_row), "error");
}

static void
set_folder (Dialog     *d,
            const char *folder)
{
  g_autoptr(GFile) file = g_file_new_for_path (folder);
  g_autofree char *display = g_file_get_parse_name (file);

  g_free (d->folder);
  d->folder = g_strdup (folder);
  adw_action_row_set_subtitle (d->folder_row, display);
}

static void
command_changed_cb (GtkEditable *editable,
                    Dialog      *d)
{
  const char *text = gtk_editable_get_text (editable);

  show_error (d, NULL);
  gtk_widget_set_sensitive (d->trace_button, text[strspn (text, " \t")] != '\0');
}

static void
trace_clicked_cb (GtkWidget *button,
                  Dialog    *d)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (d->command_row));
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;

  if (d->window == NULL)
    {
      gtk_window_destroy (GTK_WINDOW (d->dialog));
      return;
    }
  if (!g_shell_parse_argv (text, NULL, &argv, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The command line cannot be read: %s"),
                                                  error->message);
      show_error (d, message);
      return;
    }
  if (!tv_window_program_start (d->window, argv, d->folder, &error))
    {
      show_error (d, error->message);
      return;
    }

  g_free (last_command);
  last_command = g_strdup (text);
  g_free (last_folder);
  last_folder = g_strdup (d->folder);
  gtk_window_destroy (GTK_WINDOW (d->dialog));
}

static void
folder_response_cb (GtkFileChooserNative *chooser,
                    int                   response,
                    Dialog               *d)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        set_folder (d, path);
    }
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
choose_folder_cb (GtkWidget *button,
                  Dialog    *d)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GFile) current = g_file_new_for_path (d->folder);

  chooser = gtk_file_chooser_native_new (_("Working Folder"),
                                         GTK_WINDOW (d->dialog),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Select"),
                                         _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), current, NULL);
  g_signal_connect (chooser, "response", G_CALLBACK (folder_response_cb), d);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
tv_trace_program_dialog_present (TvWindow *window)
{
  Dialog *d = g_new0 (Dialog, 1);
  GtkWidget *box, *header, *cancel, *page, *group, *button, *hint;
  g_autofree char *cwd = g_get_current_dir ();

  g_return_if_fail (TV_IS_WINDOW (window));

  d->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &d->window);

  d->dialog = adw_window_new ();
  gtk_window_set_title (GTK_WINDOW (d->dialog), _("Trace a Program"));
  gtk_window_set_transient_for (GTK_WINDOW (d->dialog), GTK_WINDOW (window));
  gtk_window_set_modal (GTK_WINDOW (d->dialog), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (d->dialog), 560, -1);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (d->dialog), TRUE);
  g_object_set_data_full (G_OBJECT (d->dialog), "tv-dialog", d, (GDestroyNotify) dialog_free);
  g_signal_connect (d->dialog, "destroy", G_CALLBACK (dialog_destroy_cb), d);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  adw_window_set_content (ADW_WINDOW (d->dialog), box);

  header = adw_header_bar_new ();
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  g_signal_connect_swapped (cancel, "clicked", G_CALLBACK (gtk_window_destroy), d->dialog);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  d->trace_button = gtk_button_new_with_mnemonic (_("_Trace"));
  gtk_widget_add_css_class (d->trace_button, "suggested-action");
  g_signal_connect (d->trace_button, "clicked", G_CALLBACK (trace_clicked_cb), d);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), d->trace_button);
  gtk_box_append (GTK_BOX (box), header);

  /* Not a (scrolling) preferences page: the window grows to show an error. */
  page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_margin_top (page, 18);
  gtk_widget_set_margin_bottom (page, 24);
  gtk_widget_set_margin_start (page, 18);
  gtk_widget_set_margin_end (page, 18);
  gtk_box_append (GTK_BOX (box), page);

  group = adw_preferences_group_new ();
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
    _("Runs an unmodified, dynamically linked program — C with pthreads, or "
      "Python — and shows its threads, locks and, in CPython, the GIL live on "
      "the timeline. Its output appears in the console. Stop ends it and keeps "
      "the trace."));
  gtk_box_append (GTK_BOX (page), group);

  d->command_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (d->command_row), _("Command line"));
  adw_entry_row_set_activates_default (d->command_row, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (d->command_row), last_command != NULL ? last_command : "");
  g_signal_connect (d->command_row, "changed", G_CALLBACK (command_changed_cb), d);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (d->command_row));

  d->folder_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (d->folder_row), _("Working folder"));
  button = gtk_button_new_from_icon_name ("folder-open-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("Choose the Folder"));
  g_signal_connect (button, "clicked", G_CALLBACK (choose_folder_cb), d);
  adw_action_row_add_suffix (d->folder_row, button);
  adw_action_row_set_activatable_widget (d->folder_row, button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (d->folder_row));
  set_folder (d, last_folder != NULL ? last_folder : cwd);

  hint = gtk_label_new (_("For example: python3 my_threads.py, or ./philosophers 5"));
  gtk_label_set_xalign (GTK_LABEL (hint), 0.0);
  gtk_label_set_wrap (GTK_LABEL (hint), TRUE);
  gtk_widget_add_css_class (hint, "dim-label");
  gtk_widget_add_css_class (hint, "caption");
  gtk_widget_set_margin_top (hint, 6);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), hint);

  d->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (d->error_label, 0.0);
  gtk_label_set_wrap (d->error_label, TRUE);
  gtk_label_set_selectable (d->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (d->error_label), "error");
  gtk_widget_set_margin_top (GTK_WIDGET (d->error_label), 6);
  gtk_widget_set_visible (GTK_WIDGET (d->error_label), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), GTK_WIDGET (d->error_label));

  gtk_window_set_default_widget (GTK_WINDOW (d->dialog), d->trace_button);
  command_changed_cb (GTK_EDITABLE (d->command_row), d);
  gtk_window_present (GTK_WINDOW (d->dialog));
  gtk_widget_grab_focus (GTK_WIDGET (d->command_row));
}
