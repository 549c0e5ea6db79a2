/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-preload.c: what tracing costs an unmodified program.  The
 * lock-pair fixture (tests/fixtures/preload/lock-pair-bench.c) times
 * uncontended pthread_mutex_lock () + unlock () pairs and prints the best
 * of its rounds; we run it bare, under `threadviz trace` (our preload
 * library, a recorder draining its rings) and, when it is installed, under
 * LTTng-UST's pthread wrapper with an active session.  Each is run a few
 * times and the best kept: the machine is shared.
 *
 * We spawn `threadviz trace` rather than attach a recorder ourselves so
 * that the figure is the one users get, drain thread and all.
 */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "bench.h"

/* 16000 pairs are 32000 events: the 32K-event ring of a preloaded thread
 * never overflows, so we time recording, not dropping. */
#define BENCH_PRELOAD_PAIRS "16000"
#define BENCH_PRELOAD_RUNS  3

static const char * const lttng_wrapper_dirs[] = {
  "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
  "/usr/lib", "/usr/local/lib", "/usr/local/lib64",
};

/* Runs argv (with `envp`, or ours) and reads the figure it prints; < 0 when
 * it failed. */
static double
run_figure (const char * const *argv,
            char              **envp)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  char *end = NULL;
  int status = 0;
  double ns;

  if (!g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("bench: %s: %s\n", argv[0], error->message);
      return -1;
    }
  ns = g_ascii_strtod (out, &end);
  if (end == out || ns <= 0)
    {
      g_printerr ("bench: %s printed no figure: %s%s\n", argv[0], out, err);
      return -1;
    }
  return ns;
}

static double
best_of (const char * const *argv,
         char              **envp)
{
  double best = -1;

  for (int i = 0; i < BENCH_PRELOAD_RUNS; i++)
    {
      double ns = run_figure (argv, envp);

      if (ns < 0)
        return -1;
      if (best < 0 || ns < best)
        best = ns;
    }
  return best;
}

static char *
find_lttng_wrapper (void)
{
  g_autofree char *lttng = g_find_program_in_path ("lttng");

  if (lttng == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (lttng_wrapper_dirs); i++)
    {
      char *path = g_build_filename (lttng_wrapper_dirs[i],
                                     "liblttng-ust-pthread-wrapper.so", NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return path;
      g_free (path);
    }
  return NULL;
}

static void
remove_dir (const char *dir)
{
  const char * const rm[] = { "rm", "-rf", dir, NULL };

  if (!g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, NULL, NULL))
    g_printerr ("bench: could not remove %s\n", dir);
}

/* `lttng <args>`, quietly; FALSE when it failed. */
static gboolean
lttng (const char *first,
       ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) "lttng");
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("bench: lttng %s: %s %s\n", first, error->message, err ? err : "");
      return FALSE;
    }
  return TRUE;
}

/* The fixture under liblttng-ust-pthread-wrapper.so, recorded by a
 * session of our own (its trace goes to a temporary directory, removed
 * afterwards). */
static double
lttng_lock_pair_ns (const char *wrapper)
{
  const char * const argv[] = { TV_BENCH_LOCK_PAIR_FIXTURE, BENCH_PRELOAD_PAIRS, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tv-bench-lttng-XXXXXX", &error);
  g_autofree char *session = g_strdup_printf ("tv-bench-%d", (int) getpid ());
  g_autofree char *output = NULL;
  g_auto(GStrv) envp = NULL;
  double ns = -1;

  if (dir == NULL)
    return -1;
  output = g_strdup_printf ("--output=%s", dir);
  envp = g_environ_setenv (g_get_environ (), "LD_PRELOAD", wrapper, TRUE);
  if (lttng ("create", session, output, NULL))
    {
      if (lttng ("enable-event", "--userspace", "lttng_ust_pthread:*",
                 "--session", session, NULL)
          && lttng ("start", session, NULL))
        {
          ns = best_of (argv, envp);
          lttng ("stop", session, NULL);
        }
      lttng ("destroy", session, NULL);
    }
  remove_dir (dir);
  return ns;
}

void
bench_preload (BenchPreload *out)
{
  const char * const bare[] = { TV_BENCH_LOCK_PAIR_FIXTURE, BENCH_PRELOAD_PAIRS, NULL };
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "THREADVIZ_PRELOAD",
                                         TV_BENCH_PRELOAD_LIBRARY, TRUE);
  g_autofree char *wrapper = find_lttng_wrapper ();
  /* `threadviz trace` saves its trace: out of the user's directory. */
  g_autofree char *dir = g_dir_make_tmp ("tv-bench-trace-XXXXXX", NULL);
  g_autofree char *tvt = dir ? g_build_filename (dir, "bench.tvt", NULL) : NULL;
  const char * const traced[] = {
    TV_BENCH_THREADVIZ, "trace", "-o", tvt, "--", TV_BENCH_LOCK_PAIR_FIXTURE,
    BENCH_PRELOAD_PAIRS, NULL
  };

  out->untraced_ns = best_of (bare, NULL);
  out->traced_ns = dir ? best_of (traced, envp) : -1;
  if (dir)
    remove_dir (dir);
  out->have_lttng = wrapper != NULL;
  out->lttng_ns = wrapper != NULL ? lttng_lock_pair_ns (wrapper) : 0;
}
