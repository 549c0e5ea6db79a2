/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-replay.c: runs saved inputs through the fuzz targets without
 * libFuzzer, so that the seed and regression corpora are checked by every
 * build of the suite (gcc, ASan/UBSan, TSan), not only by .ci/fuzz.
 *
 *   fuzz-replay [--tap] TARGET=PATH...
 *
 * TARGET is parser, capture, chrome or engine; PATH a file or a directory (every
 * regular file in it, in name order; a directory that does not exist holds
 * nothing).  Each file is one test case, /tv/fuzz/TARGET/DIR/FILE, so that a
 * failure names the input.  The targets are the same sources as the
 * libFuzzer programs, compiled with LLVMFuzzerTestOneInput renamed.
 */
#include <glib.h>
#include <string.h>

int tv_fuzz_parser_one_input (const guint8 *data, size_t size);
int tv_fuzz_capture_one_input (const guint8 *data, size_t size);
int tv_fuzz_chrome_one_input (const guint8 *data, size_t size);
int tv_fuzz_engine_one_input (const guint8 *data, size_t size);

typedef int (*TargetFunc) (const guint8 *data, size_t size);

static const struct
{
  const char *name;
  TargetFunc  func;
} targets[] = {
  { "parser", tv_fuzz_parser_one_input },
  { "capture", tv_fuzz_capture_one_input },
  { "chrome", tv_fuzz_chrome_one_input },
  { "engine", tv_fuzz_engine_one_input },
};

typedef struct
{
  TargetFunc func;
  char      *path;
} Case;

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->path);
  g_free (c);
}

static void
test_input (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (c->path, &contents, &length, &error);
  g_assert_no_error (error);
  g_test_message ("%s (%" G_GSIZE_FORMAT " bytes)", c->path, length);
  g_assert_cmpint (c->func ((const guint8 *) contents, length), ==, 0);
}

static void
add_file (const char *target, TargetFunc func, const char *path, GPtrArray *cases)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *dir_name = g_path_get_basename (dir);
  g_autofree char *parent = g_path_get_dirname (dir);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *test_path = NULL;
  Case *c = g_new0 (Case, 1);

  /* corpus/parser/x is /tv/fuzz/parser/corpus/x, not .../parser/parser/x. */
  if (g_str_equal (dir_name, target))
    {
      g_free (dir_name);
      dir_name = g_path_get_basename (parent);
    }

  /* GTest paths are '/'-separated words: keep a file's name readable. */
  g_strdelimit (base, "/ ", '_');
  test_path = g_strdup_printf ("/tv/fuzz/%s/%s/%s", target, dir_name, base);
  c->func = func;
  c->path = g_strdup (path);
  g_ptr_array_add (cases, c);
  g_test_add_data_func (test_path, c, test_input);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
add_path (const char *target, TargetFunc func, const char *path, GPtrArray *cases)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      add_file (target, func, path, cases);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (g_ptr_array_index (names, i), G_FILE_TEST_IS_REGULAR))
      add_file (target, func, g_ptr_array_index (names, i), cases);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (case_free);

  g_test_init (&argc, &argv, NULL);

  for (int i = 1; i < argc; i++)
    {
      const char *eq = strchr (argv[i], '=');
      gboolean known = FALSE;

      for (gsize t = 0; eq != NULL && t < G_N_ELEMENTS (targets); t++)
        if (strlen (targets[t].name) == (gsize) (eq - argv[i])
            && strncmp (argv[i], targets[t].name, eq - argv[i]) == 0)
          {
            add_path (targets[t].name, targets[t].func, eq + 1, cases);
            known = TRUE;
          }
      if (!known)
        {
          g_printerr ("fuzz-replay: expected TARGET=PATH (parser, capture, chrome, engine), found '%s'\n", argv[i]);
          return 2;
        }
    }
  return g_test_run ();
}
