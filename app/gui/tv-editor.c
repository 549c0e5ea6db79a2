/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-editor"

#include "config.h"

#include <adwaita.h>

#include "tv-editor.h"
#include "tv-palette.h"

/* The language definition is in the GResource (data/language-specs/). */
#define LANGUAGE_PATH "resource:///org/threadviz/ThreadViz/language-specs/"

struct _TvEditor
{
  GtkWidget        parent_instance;

  /* Owned (children) */
  GtkWidget       *scroller;
  GtkSourceView   *view;
  GtkSourceBuffer *buffer;

  /*
   * Marks are tags rather than stored positions, so that they move with the
   * text while it is edited.  Each message tag holds its text as "message".
   */
  GPtrArray       *diagnostic_tags;
  GPtrArray       *error_tags;
  GPtrArray       *thread_tags;
  char            *thread_lines_key;  /* what thread_tags show, to skip a redo */
};

G_DEFINE_FINAL_TYPE (TvEditor, tv_editor, GTK_TYPE_WIDGET)

static GtkSourceLanguage *
get_language (void)
{
  GtkSourceLanguageManager *manager = gtk_source_language_manager_get_default ();
  static gsize once;

  if (g_once_init_enter (&once))
    {
      gtk_source_language_manager_prepend_search_path (manager, LANGUAGE_PATH);
      g_once_init_leave (&once, 1);
    }

  return gtk_source_language_manager_get_language (manager, "tvs");
}

/* Adwaita or Adwaita-dark, as the rest of the window. */
static void
update_scheme (TvEditor *self)
{
  GtkSourceStyleSchemeManager *manager = gtk_source_style_scheme_manager_get_default ();
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkSourceStyleScheme *scheme;

  scheme = gtk_source_style_scheme_manager_get_scheme (manager, dark ? "Adwaita-dark" : "Adwaita");
  if (scheme != NULL)
    gtk_source_buffer_set_style_scheme (self->buffer, scheme);
}

static void
dark_changed_cb (TvEditor        *self,
                 GParamSpec      *pspec,
                 AdwStyleManager *style)
{
  update_scheme (self);
}

static void
remove_tags (TvEditor  *self,
             GPtrArray *tags)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (GTK_TEXT_BUFFER (self->buffer));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (self->buffer), &start, &end);
  for (guint i = 0; i < tags->len; i++)
    {
      GtkTextTag *tag = g_ptr_array_index (tags, i);

      gtk_text_buffer_remove_tag (GTK_TEXT_BUFFER (self->buffer), tag, &start, &end);
      gtk_text_tag_table_remove (table, tag);
    }
  g_ptr_array_set_size (tags, 0);
}

/* The iter at 1-based `line` and `column`, clamped to the text. */
static void
get_iter (TvEditor    *self,
          GtkTextIter *iter,
          guint        line,
          guint        column)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (self->buffer);

  gtk_text_buffer_get_iter_at_line (buffer, iter, line > 0 ? (int) line - 1 : 0);
  for (guint c = 1; c < column && !gtk_text_iter_ends_line (iter); c++)
    gtk_text_iter_forward_char (iter);
}

static GtkTextTag *
new_message_tag (TvEditor   *self,
                 GPtrArray  *tags,
                 const char *message)
{
  GtkTextTag *tag = gtk_text_buffer_create_tag (GTK_TEXT_BUFFER (self->buffer), NULL, NULL);

  g_object_set_data_full (G_OBJECT (tag), "message", g_strdup (message), g_free);
  g_ptr_array_add (tags, tag);
  return tag;
}

static const char *
message_at (const GtkTextIter *iter)
{
  g_autoptr(GSList) tags = gtk_text_iter_get_tags (iter);
  const char *found = NULL;

  /* The last one is the highest priority: the newest mark. */
  for (GSList *l = tags; l != NULL; l = l->next)
    {
      const char *message = g_object_get_data (l->data, "message");

      if (message != NULL)
        found = message;
    }

  return found;
}

static gboolean
query_tooltip_cb (TvEditor   *self,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip)
{
  GtkTextView *text_view = GTK_TEXT_VIEW (self->view);
  g_autofree char *threads = NULL;
  const char *message;
  GtkTextIter iter;
  int bx, by;

  if (keyboard)
    gtk_text_buffer_get_iter_at_mark (GTK_TEXT_BUFFER (self->buffer), &iter,
                                      gtk_text_buffer_get_insert (GTK_TEXT_BUFFER (self->buffer)));
  else
    {
      gtk_text_view_window_to_buffer_coords (text_view, GTK_TEXT_WINDOW_WIDGET, x, y, &bx, &by);
      if (!gtk_text_view_get_iter_at_location (text_view, &iter, bx, by))
        {
          /* Right of the line's end: the line's marks still apply. */
          gtk_text_view_get_line_at_y (text_view, &iter, by, NULL);
          if (!gtk_text_iter_ends_line (&iter))
            gtk_text_iter_forward_to_line_end (&iter);
        }
    }

  message = message_at (&iter);
  threads = tv_editor_dup_threads_at (self, gtk_text_iter_get_line (&iter) + 1);
  if (message == NULL && threads == NULL)
    return FALSE;

  if (message != NULL && threads != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s\n%s", message, threads);

      gtk_tooltip_set_text (tooltip, text);
    }
  else
    gtk_tooltip_set_text (tooltip, message != NULL ? message : threads);
  return TRUE;
}

static void
tv_editor_dispose (GObject *object)
{
  TvEditor *self = TV_EDITOR (object);

  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  g_clear_object (&self->buffer);
  g_clear_pointer (&self->diagnostic_tags, g_ptr_array_unref);
  g_clear_pointer (&self->error_tags, g_ptr_array_unref);
  g_clear_pointer (&self->thread_tags, g_ptr_array_unref);
  g_clear_pointer (&self->thread_lines_key, g_free);

  G_OBJECT_CLASS (tv_editor_parent_class)->dispose (object);
}

static void
tv_editor_class_init (TvEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tv_editor_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "editor");
}

static void
tv_editor_init (TvEditor *self)
{
  GtkSourceLanguage *language = get_language ();

  self->diagnostic_tags = g_ptr_array_new ();
  self->error_tags = g_ptr_array_new ();
  self->thread_tags = g_ptr_array_new ();

  self->buffer = gtk_source_buffer_new (NULL);
  if (language != NULL)
    gtk_source_buffer_set_language (self->buffer, language);
  else
    g_warning ("The .tvs language definition is missing from the resources");
  gtk_source_buffer_set_highlight_matching_brackets (self->buffer, TRUE);

  self->view = GTK_SOURCE_VIEW (gtk_source_view_new_with_buffer (self->buffer));
  gtk_source_view_set_show_line_numbers (self->view, TRUE);
  gtk_source_view_set_highlight_current_line (self->view, TRUE);
  gtk_source_view_set_auto_indent (self->view, TRUE);
  /* A tab in the indentation is a load error: indent with spaces. */
  gtk_source_view_set_insert_spaces_instead_of_tabs (self->view, TRUE);
  gtk_source_view_set_tab_width (self->view, 4);
  gtk_source_view_set_indent_width (self->view, 4);
  gtk_source_view_set_smart_backspace (self->view, TRUE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (self->view), TRUE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (self->view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (self->view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (self->view), 6);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->view), TRUE);
  g_signal_connect_object (self->view, "query-tooltip", G_CALLBACK (query_tooltip_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, "Scenario",
                                  -1);

  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), GTK_WIDGET (self->view));
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));

  update_scheme (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);
}

GtkWidget *
tv_editor_new (void)
{
  return g_object_new (TV_TYPE_EDITOR, NULL);
}

GtkSourceBuffer *
tv_editor_get_buffer (TvEditor *self)
{
  g_return_val_if_fail (TV_IS_EDITOR (self), NULL);

  return self->buffer;
}

GtkSourceView *
tv_editor_get_view (TvEditor *self)
{
  g_return_val_if_fail (TV_IS_EDITOR (self), NULL);

  return self->view;
}

void
tv_editor_set_text (TvEditor   *self,
                    const char *text)
{
  GtkTextBuffer *buffer;
  GtkTextIter start;

  g_return_if_fail (TV_IS_EDITOR (self));

  buffer = GTK_TEXT_BUFFER (self->buffer);
  tv_editor_set_diagnostics (self, NULL);
  tv_editor_clear_error_lines (self);
  tv_editor_set_thread_lines (self, NULL, 0);

  /* Loading a file is not an edit one could undo. */
  gtk_text_buffer_begin_irreversible_action (buffer);
  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  gtk_text_buffer_end_irreversible_action (buffer);
  gtk_text_buffer_set_modified (buffer, FALSE);

  gtk_text_buffer_get_start_iter (buffer, &start);
  gtk_text_buffer_place_cursor (buffer, &start);
}

char *
tv_editor_dup_text (TvEditor *self)
{
  GtkTextIter start, end;

  g_return_val_if_fail (TV_IS_EDITOR (self), NULL);

  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (self->buffer), &start, &end);
  return gtk_text_buffer_get_text (GTK_TEXT_BUFFER (self->buffer), &start, &end, TRUE);
}

void
tv_editor_set_diagnostics (TvEditor  *self,
                           GPtrArray *diagnostics)
{
  g_return_if_fail (TV_IS_EDITOR (self));

  remove_tags (self, self->diagnostic_tags);
  if (diagnostics == NULL)
    return;

  for (guint i = 0; i < diagnostics->len; i++)
    {
      const TvDiagnostic *diagnostic = g_ptr_array_index (diagnostics, i);
      GtkTextTag *tag = new_message_tag (self, self->diagnostic_tags, diagnostic->message);
      GtkTextIter start, end;

      g_object_set (tag,
                    "underline", PANGO_UNDERLINE_ERROR,
                    "underline-rgba", &(GdkRGBA) { 0.88, 0.11, 0.14, 1.0 },
                    NULL);

      /* The word the column points at; at a line's end, the character before. */
      get_iter (self, &start, diagnostic->location.line, diagnostic->location.column);
      end = start;
      if (gtk_text_iter_ends_line (&start))
        {
          if (!gtk_text_iter_starts_line (&start))
            gtk_text_iter_backward_char (&start);
          else
            gtk_text_iter_forward_to_line_end (&end);
        }
      else if (gtk_text_iter_inside_word (&start) && !gtk_text_iter_ends_word (&start))
        gtk_text_iter_forward_word_end (&end);
      if (gtk_text_iter_equal (&start, &end))
        gtk_text_iter_forward_char (&end);

      gtk_text_buffer_apply_tag (GTK_TEXT_BUFFER (self->buffer), tag, &start, &end);
    }
}

void
tv_editor_add_error_line (TvEditor   *self,
                          guint       line,
                          const char *message)
{
  GtkTextTag *tag;
  GtkTextIter start, end;

  g_return_if_fail (TV_IS_EDITOR (self));

  if (line == 0)
    return;

  tag = new_message_tag (self, self->error_tags, message);
  g_object_set (tag,
                "paragraph-background-rgba", &(GdkRGBA) { 0.88, 0.11, 0.14, 0.22 },
                NULL);
  get_iter (self, &start, line, 1);
  end = start;
  gtk_text_iter_forward_line (&end);
  gtk_text_buffer_apply_tag (GTK_TEXT_BUFFER (self->buffer), tag, &start, &end);
}

void
tv_editor_clear_error_lines (TvEditor *self)
{
  g_return_if_fail (TV_IS_EDITOR (self));

  remove_tags (self, self->error_tags);
}

void
tv_editor_set_thread_lines (TvEditor                 *self,
                            const TvEditorThreadLine *lines,
                            guint                     n_lines)
{
  g_autoptr(GString) key = g_string_new (NULL);
  gboolean dark;
  const TvPalette *palette;

  g_return_if_fail (TV_IS_EDITOR (self));

  /*
   * The window asks often while a run is paused.  Retagging would lay the
   * whole text out again (and lose a scroll on its way), so only changes do.
   */
  dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  g_string_append_printf (key, "%d", dark);
  for (guint i = 0; i < n_lines; i++)
    g_string_append_printf (key, " %u:%u:%s:%s", lines[i].line, lines[i].thread,
                            lines[i].name, lines[i].how);
  if (g_strcmp0 (key->str, self->thread_lines_key) == 0)
    return;
  g_free (self->thread_lines_key);
  self->thread_lines_key = g_strdup (key->str);

  remove_tags (self, self->thread_tags);
  if (n_lines == 0)
    return;

  palette = tv_palette_get (dark ? TV_THEME_DARK : TV_THEME_LIGHT);

  for (guint i = 0; i < n_lines; i++)
    {
      g_autofree char *text = g_strdup_printf ("%s %s", lines[i].name, lines[i].how);
      GtkTextTag *tag = gtk_text_buffer_create_tag (GTK_TEXT_BUFFER (self->buffer), NULL, NULL);
      GtkTextIter start, end;
      TvRgba color;

      /* The colour the timeline gives the thread, light enough to read on. */
      tv_palette_thread_color (palette, lines[i].thread, &color);
      g_object_set (tag,
                    "paragraph-background-rgba",
                    &(GdkRGBA) { color.r, color.g, color.b, dark ? 0.35 : 0.28 },
                    NULL);
      g_object_set_data_full (G_OBJECT (tag), "thread", g_steal_pointer (&text), g_free);
      g_object_set_data (G_OBJECT (tag), "line", GUINT_TO_POINTER (lines[i].line));
      g_ptr_array_add (self->thread_tags, tag);

      get_iter (self, &start, lines[i].line, 1);
      end = start;
      gtk_text_iter_forward_line (&end);
      gtk_text_buffer_apply_tag (GTK_TEXT_BUFFER (self->buffer), tag, &start, &end);
    }
}

const char *
tv_editor_get_message_at (TvEditor *self,
                          guint     line,
                          guint     column)
{
  GtkTextIter iter;

  g_return_val_if_fail (TV_IS_EDITOR (self), NULL);

  get_iter (self, &iter, line, column);
  return message_at (&iter);
}

char *
tv_editor_dup_threads_at (TvEditor *self,
                          guint     line)
{
  GString *text = NULL;

  g_return_val_if_fail (TV_IS_EDITOR (self), NULL);

  for (guint i = 0; i < self->thread_tags->len; i++)
    {
      GObject *tag = g_ptr_array_index (self->thread_tags, i);

      if (GPOINTER_TO_UINT (g_object_get_data (tag, "line")) != line)
        continue;
      if (text == NULL)
        text = g_string_new (NULL);
      else
        g_string_append (text, ", ");
      g_string_append (text, g_object_get_data (tag, "thread"));
    }

  return text != NULL ? g_string_free (text, FALSE) : NULL;
}

static gboolean
show_mark_cb (gpointer user_data)
{
  TvEditor *self = user_data;
  GtkTextMark *mark = gtk_text_buffer_get_mark (GTK_TEXT_BUFFER (self->buffer), "tv-show");

  /* A third of the way down; an allocation flushes it if the view queued it. */
  if (mark != NULL)
    {
      gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (self->view), mark, 0.0, TRUE, 0.0, 0.3);
      gtk_widget_queue_allocate (GTK_WIDGET (self->view));
    }
  return G_SOURCE_REMOVE;
}

void
tv_editor_show_line (TvEditor *self,
                     guint     line)
{
  GtkTextBuffer *buffer;
  GtkTextMark *mark;
  GtkTextIter iter;

  g_return_if_fail (TV_IS_EDITOR (self));

  buffer = GTK_TEXT_BUFFER (self->buffer);
  get_iter (self, &iter, line, 1);
  mark = gtk_text_buffer_get_mark (buffer, "tv-show");
  if (mark == NULL)
    gtk_text_buffer_create_mark (buffer, "tv-show", &iter, TRUE);
  else
    gtk_text_buffer_move_mark (buffer, mark, &iter);

  /*
   * New marks (tags) have just made the layout invalid, and a scroll asked
   * now waits for an allocation that may not come: scroll once it is laid
   * out.  Not from an idle: a live timeline redraws every frame, and a
   * low-priority idle would wait for the end of the run.
   */
  g_timeout_add_full (G_PRIORITY_DEFAULT, 50, show_mark_cb, g_object_ref (self), g_object_unref);
}

void
tv_editor_jump_to (TvEditor *self,
                   guint     line,
                   guint     column)
{
  GtkTextIter iter;

  g_return_if_fail (TV_IS_EDITOR (self));

  get_iter (self, &iter, line, MAX (column, 1));
  gtk_text_buffer_place_cursor (GTK_TEXT_BUFFER (self->buffer), &iter);
  gtk_text_view_scroll_to_mark (GTK_TEXT_VIEW (self->view),
                                gtk_text_buffer_get_insert (GTK_TEXT_BUFFER (self->buffer)),
                                0.1, FALSE, 0, 0);
  gtk_widget_grab_focus (GTK_WIDGET (self->view));
}
