/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-live.c: events lost on the way from the rings to the trace, on the
 * path the application takes (docs/performance.md, "Live recording").
 *
 *   dropped_events  the ~10M-event run of bench_dropped(), run by the real
 *                   `threadviz run --summary` (a TvCollector, rings sized
 *                   by the scenario, the trace fed every 20 ms), read off
 *                   its summary
 *
 * The window's timeline collects the same way (tv-timeline.c);
 * threadviz-bench-window measures it live.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bench.h"

#ifdef TV_BENCH_CLI
/* The number after `key` in the summary, or -1. */
static gint64
summary_value (const char *text,
               const char *key)
{
  const char *at = strstr (text, key);

  return at != NULL ? g_ascii_strtoll (at + strlen (key), NULL, 10) : -1;
}
#endif

gboolean
bench_dropped_cli (guint64   n_events,
                   guint64  *recorded,
                   guint64  *dropped)
{
#ifdef TV_BENCH_CLI
  /* The scenario of bench_dropped(): 4 events an iteration, 2 threads. */
  g_autofree char *text = g_strdup_printf (
    "lock L\n"
    "var x = 0\n"
    "thread T * 2:\n"
    "    repeat %u:\n"
    "        acquire L\n"
    "        x += 1\n"
    "        release L\n"
    "main:\n"
    "    start T\n"
    "    join T\n", (guint) (n_events / 8));
  g_autofree char *dir = g_dir_make_tmp ("tv-bench-live-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { TV_BENCH_CLI, "run", "--summary", NULL, NULL };
  int status = 0;
  gint64 events, lost;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "flat-out.tvs", NULL);
  argv[3] = path;
  if (!g_file_set_contents (path, text, -1, &error) ||
      !g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err, &status, &error))
    {
      g_printerr ("threadviz-bench: %s\n", error->message);
      g_unlink (path);
      g_rmdir (dir);
      return FALSE;
    }
  g_unlink (path);
  g_rmdir (dir);

  events = summary_value (err, "events:");
  lost = summary_value (err, "dropped:");
  if (!g_spawn_check_wait_status (status, NULL) || events < 0 || lost < 0)
    {
      g_printerr ("threadviz-bench: threadviz run failed:\n%s", err);
      return FALSE;
    }
  *recorded = (guint64) events;
  *dropped = (guint64) lost;
  return TRUE;
#else
  return FALSE;
#endif
}

char *
bench_live_window (gboolean    quick,
                   const char *renderer)
{
#ifdef TV_BENCH_WINDOW
  const char *argv[] = { TV_BENCH_WINDOW, "--json", "--seconds", quick ? "3" : "6", NULL };
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  char *open_brace, *close_brace;

  /* A window needs a display: under xvfb-run, or on a desktop. */
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    return NULL;
  if (renderer != NULL)
    envp = g_environ_setenv (envp, "GSK_RENDERER", renderer, TRUE);
  else
    envp = g_environ_unsetenv (envp, "GSK_RENDERER");
  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL))
    return NULL;
  open_brace = strchr (out, '{');
  close_brace = strrchr (out, '}');
  if (open_brace == NULL || close_brace == NULL || close_brace < open_brace)
    return NULL;
  return g_strndup (open_brace + 1, (gsize) (close_brace - open_brace - 1));
#else
  return NULL;
#endif
}

double
bench_live_value (const char *live,
                  const char *key)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\":", key);
  const char *at = live != NULL ? strstr (live, quoted) : NULL;

  return at != NULL ? g_ascii_strtod (at + strlen (quoted), NULL) : -1;
}
