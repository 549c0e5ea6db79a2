/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-lessons"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tv-lessons.h"
#include "tv-scenario.h"

void
tv_lesson_free (TvLesson *lesson)
{
  if (lesson == NULL)
    return;

  g_free (lesson->path);
  g_free (lesson->title);
  g_free (lesson->about);
  g_free (lesson);
}

char *
tv_lessons_dup_directory (void)
{
  const char *env = g_getenv ("TV_SCENARIO_DIR");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);

  /* Running from the build tree: the sources' lessons. */
  if (g_file_test (TV_SCENARIO_DIR, G_FILE_TEST_IS_DIR))
    return g_strdup (TV_SCENARIO_DIR);

  for (const char * const *dirs = g_get_system_data_dirs (); *dirs != NULL; dirs++)
    {
      g_autofree char *dir = g_build_filename (*dirs, "threadviz", "scenarios", NULL);

      if (g_file_test (dir, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&dir);
    }

  return g_strdup (TV_SCENARIO_DIR);
}

/* The lessons are numbered in their first comment ("# Lesson 4: ..."). */
static guint
lesson_number (const char *source)
{
  const char *p;

  if (source == NULL || !g_str_has_prefix (source, "# Lesson "))
    return G_MAXUINT;

  p = source + strlen ("# Lesson ");
  if (!g_ascii_isdigit (*p))
    return G_MAXUINT;

  return (guint) strtoul (p, NULL, 10);
}

static int
compare_lessons (gconstpointer a,
                 gconstpointer b)
{
  const TvLesson *la = *(const TvLesson * const *) a;
  const TvLesson *lb = *(const TvLesson * const *) b;

  if (la->number != lb->number)
    return la->number < lb->number ? -1 : 1;
  return g_utf8_collate (la->title, lb->title);
}

static TvLesson *
read_lesson (const char *path)
{
  g_autoptr(TvScenario) scenario = NULL;
  g_autofree char *source = NULL;
  TvLesson *lesson;

  lesson = g_new0 (TvLesson, 1);
  lesson->path = g_strdup (path);

  if (g_file_get_contents (path, &source, NULL, NULL))
    lesson->number = lesson_number (source);
  else
    lesson->number = G_MAXUINT;

  /* A lesson with errors is still listed: opening it shows them. */
  scenario = tv_scenario_load_file (path, NULL, NULL);
  if (scenario != NULL && scenario->title != NULL)
    {
      lesson->title = g_strdup (scenario->title);
      lesson->about = g_strdup (scenario->about);
    }
  else
    {
      g_autofree char *base = g_path_get_basename (path);

      if (g_str_has_suffix (base, ".tvs"))
        base[strlen (base) - 4] = '\0';
      lesson->title = g_steal_pointer (&base);
    }

  return lesson;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *directory = task_data;
  g_autoptr(GPtrArray) lessons = g_ptr_array_new_with_free_func ((GDestroyNotify) tv_lesson_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (directory, 0, &error);
  if (dir == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (g_task_return_error_if_cancelled (task))
        return;
      if (!g_str_has_suffix (name, ".tvs"))
        continue;

      path = g_build_filename (directory, name, NULL);
      g_ptr_array_add (lessons, read_lesson (path));
    }

  g_ptr_array_sort (lessons, compare_lessons);
  g_task_return_pointer (task, g_steal_pointer (&lessons), (GDestroyNotify) g_ptr_array_unref);
}

void
tv_lessons_load_async (const char          *directory,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (directory != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tv_lessons_load_async);
  g_task_set_task_data (task, g_strdup (directory), g_free);
  g_task_run_in_thread (task, load_thread);
}

GPtrArray *
tv_lessons_load_finish (GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
