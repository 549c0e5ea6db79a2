/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-application"

#include "config.h"

#include <gtksourceview/gtksource.h>

#include <glib/gstdio.h>

#include "tv-application.h"
#include "tv-lessons.h"
#include "tv-resources.h"
#include "tv-traced-program.h"
#include "tv-window.h"

/* What a launch with no file opens: lesson 1. */
#define FIRST_LESSON "lifecycle.tvs"

struct _TvApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (TvApplication, tv_application, ADW_TYPE_APPLICATION)

static const struct {
  const char *action;
  const char *accels[4];
} accels[] = {
  { "app.quit",           { "<Control>q", NULL } },
  { "window.close",       { "<Control>w", NULL } },
  { "win.open",           { "<Control>o", NULL } },
  { "win.save",           { "<Control>s", NULL } },
  { "win.save-as",        { "<Control><Shift>s", NULL } },
  { "win.run",            { "F5", NULL } },
  { "win.stop",           { "<Shift>F5", NULL } },
  /* Space pauses too, from a bubble-phase shortcut (tv-window-control.c). */
  { "win.pause",          { "F6", "Pause", NULL } },
  { "win.step",           { "F7", NULL } },
  { "win.export",         { "<Control>e", NULL } },
  /* Ctrl+Shift+S is Save As of the scenario: Alt for the run's trace. */
  { "win.save-trace",     { "<Control><Alt>s", NULL } },
  { "win.trace-program",  { "<Control>t", NULL } },
  { "win.zoom-in",        { "<Control>plus", "<Control>equal", "<Control>KP_Add", NULL } },
  { "win.zoom-out",       { "<Control>minus", "<Control>KP_Subtract", NULL } },
  { "win.zoom-fit",       { "<Control>0", "<Control>KP_0", NULL } },
  { "win.follow-live",    { "<Control>End", NULL } },
  { "win.toggle-sidebar", { "F9", NULL } },
  { "win.clear-console",  { "<Control>l", NULL } },
  { "win.find",           { "<Control>f", NULL } },
};

static TvWindow *
new_window (TvApplication *self)
{
  return tv_window_new (self);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  TvApplication *self = user_data;
  static const char *developers[] = { "The ThreadViz developers", NULL };
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (window,
                         "application-name", "ThreadViz",
                         "application-icon", APPLICATION_ID,
                         "developer-name", "The ThreadViz developers",
                         "version", PACKAGE_VERSION,
                         "comments", "See threads, locks, queues and processes at work: "
                                     "ThreadViz runs small scenarios on real threads and "
                                     "draws every state on a live timeline.",
                         "website", "https://threadviz.org/",
                         "developers", developers,
                         "copyright", "© 2026 The ThreadViz developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  TvApplication *self = user_data;
  g_autoptr(GList) windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /*
   * Closing each window stops its run (and asks about unsaved edits
   * first); the application ends with the last window.
   */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
};

/* Whether the kernel offers this user a GPU to render with (a DRM render
 * node it may open: without access Mesa falls back to software too). */
static gboolean
has_render_node (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/dev/dri", 0, NULL);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (name, "renderD"))
        continue;
      path = g_build_filename ("/dev/dri", name, NULL);
      if (g_access (path, R_OK | W_OK) == 0)
        return TRUE;
    }
  return FALSE;
}

void
tv_application_choose_renderer (void)
{
  if (g_getenv ("GSK_RENDERER") != NULL || has_render_node ())
    return;
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  /* Not for the programs the window traces (tv-traced-program.c). */
  g_setenv (TV_ENV_CHOSEN_RENDERER, "1", TRUE);
}

static void
tv_application_startup (GApplication *app)
{
  TvApplication *self = TV_APPLICATION (app);

  G_APPLICATION_CLASS (tv_application_parent_class)->startup (app);

  /* The editor's language and style schemes. */
  gtk_source_init ();

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self),
                                           accels[i].action, accels[i].accels);

  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static void
tv_application_activate (GApplication *app)
{
  TvApplication *self = TV_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      g_autofree char *directory = tv_lessons_dup_directory ();
      g_autofree char *path = g_build_filename (directory, FIRST_LESSON, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);

      window = GTK_WINDOW (new_window (self));
      if (g_file_query_exists (file, NULL))
        tv_window_open (TV_WINDOW (window), file);
    }

  gtk_window_present (window);
}

static void
tv_application_open (GApplication  *app,
                     GFile         **files,
                     int             n_files,
                     const char     *hint)
{
  TvApplication *self = TV_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

      /* Reuse an idle window; never replace a scenario that is running. */
      if (window == NULL || i > 0 || tv_window_is_running (TV_WINDOW (window)))
        window = GTK_WINDOW (new_window (self));

      tv_window_open (TV_WINDOW (window), files[i]);
      gtk_window_present (window);
    }
}

static void
tv_application_class_init (TvApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = tv_application_startup;
  app_class->activate = tv_application_activate;
  app_class->open = tv_application_open;
}

static void
tv_application_init (TvApplication *self)
{
  tv_application_register_resources ();
}

void
tv_application_register_resources (void)
{
  static gsize once;

  /*
   * The resources live in a static library; registering them by hand
   * (rather than from a constructor) keeps the linker from dropping them.
   */
  if (g_once_init_enter (&once))
    {
      tv_register_resource ();
      g_once_init_leave (&once, 1);
    }
}

TvApplication *
tv_application_new (void)
{
  return g_object_new (TV_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/threadviz/ThreadViz",
                       NULL);
}
