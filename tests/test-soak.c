/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-soak.c: many short runs through the engine API, then a count of
 * what they could have left behind.
 *
 * /tv/soak/runs cycles through scenarios that finish, deadlock, stall, fail
 * at run time, are stopped mid-run (in `forever`, in a long wait, in a
 * child process, at once) and files that do not load, TV_SOAK_RUNS times
 * (1000 by default), checking each run's status.  Before and after, it
 * counts this process's threads (/proc/self/task), open descriptors
 * (/proc/self/fd), shared mappings (the engine's shared block is one) and
 * children (waitpid(-1, WNOHANG) must say ECHILD): a leak of one per run
 * would show as hundreds.  Private mappings are only bounded, since glibc
 * keeps freed thread stacks and malloc arenas for reuse.
 *
 * The other cases check the load-time limits of the scenario language
 * (each named in its error) and that a run outgrowing its recorder counts
 * what it dropped.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tv-run.h"
#include "tv-trace.h"
#include "tv-test-resources.h"

typedef struct
{
  const char    *name;
  const char    *text;            /* NULL: `path` is loaded instead */
  int            stop_after_ms;   /* -1: never stop it */
  TvRunStatus    status;          /* expected */
  TvRunErrorKind error_kind;      /* expected */
} SoakCase;

static const SoakCase soak_cases[] = {
  { "threads",
    "lock L\nvar n = 0\nthread t * 4:\n    repeat 5:\n        with L:\n            n += 1\n"
    "main:\n    start t\n    join t\n    print \"{n}\"\n",
    -1, TV_RUN_FINISHED, TV_RUN_ERROR_NONE },
  { "queue",
    "queue Q capacity 2\nthread p:\n    repeat 10:\n        put Q i\n"
    "thread c:\n    repeat 10:\n        get Q\n        task_done Q\n",
    -1, TV_RUN_FINISHED, TV_RUN_ERROR_NONE },
  { "processes",
    "shared n = 0\nlock L\nprocess P * 2:\n    with L:\n        n += 1\n    print \"{pid}\"\n",
    -1, TV_RUN_FINISHED, TV_RUN_ERROR_NONE },
  { "deadlock",
    /* The barrier makes it certain: each holds its first lock before
     * either asks for the second. */
    "lock A\nlock B\nbarrier both 2\nthread t1:\n    with A:\n        wait both\n        acquire B\n"
    "thread t2:\n    with B:\n        wait both\n        acquire A\n",
    -1, TV_RUN_FAILED, TV_RUN_ERROR_DEADLOCK },
  { "stall",
    "queue Q\nthread c:\n    get Q\n",
    -1, TV_RUN_FAILED, TV_RUN_ERROR_STALL },
  { "division",
    "var z = 0\nvar x\nthread t:\n    x = 1 / z\n",
    -1, TV_RUN_FAILED, TV_RUN_ERROR_DIVISION },
  { "spawn",
    "def d:\n    work 100us\nthread t:\n    spawn d\n    spawn d\n    sleep 1ms\n",
    -1, TV_RUN_FINISHED, TV_RUN_ERROR_NONE },
  { "gil",
    "gil on switch 100us\nthread t * 3:\n    work 300us\n    io 100us\n",
    -1, TV_RUN_FINISHED, TV_RUN_ERROR_NONE },
  { "stop-forever",
    "thread t * 2:\n    forever:\n        sleep 1ms\n        yield\n",
    3, TV_RUN_STOPPED, TV_RUN_ERROR_NONE },
  { "stop-in-wait",
    "event E\nlock L\nthread t:\n    wait E timeout 100s\n"
    "thread u:\n    with L:\n        sleep 100s\n",
    3, TV_RUN_STOPPED, TV_RUN_ERROR_NONE },
  { "stop-in-child",
    "process P:\n    forever:\n        sleep 1ms\nmain:\n    start P\n    join P\n",
    5, TV_RUN_STOPPED, TV_RUN_ERROR_NONE },
  { "stop-at-once",
    "thread t * 8:\n    forever:\n        work 1ms\n",
    0, TV_RUN_STOPPED, TV_RUN_ERROR_NONE },
  /* Load errors: nothing runs, and nothing may be left open. */
  { "load-invalid", "thread t:\n    acquire M\n", -1, TV_RUN_READY, TV_RUN_ERROR_NONE },
  { "load-missing", NULL, -1, TV_RUN_READY, TV_RUN_ERROR_NONE },
  { "load-too-large", NULL, -1, TV_RUN_READY, TV_RUN_ERROR_NONE },
};

typedef struct
{
  char *dir;
  char *invalid;
  char *missing;
  char *too_large;
} Files;

static void
files_init (Files *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *big = NULL;
  gsize big_len = TV_SCENARIO_MAX_FILE_BYTES + 1;

  f->dir = g_dir_make_tmp ("tv-soak-XXXXXX", &error);
  g_assert_no_error (error);
  f->invalid = g_build_filename (f->dir, "invalid.tvs", NULL);
  f->missing = g_build_filename (f->dir, "missing.tvs", NULL);
  f->too_large = g_build_filename (f->dir, "too-large.tvs", NULL);
  g_assert_true (g_file_set_contents (f->invalid, "thread t:\n    acquire M\n", -1, &error));
  big = g_malloc (big_len);
  memset (big, '#', big_len);
  g_assert_true (g_file_set_contents (f->too_large, big, big_len, &error));
  g_assert_no_error (error);
}

static void
files_clear (Files *f)
{
  g_unlink (f->invalid);
  g_unlink (f->too_large);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->invalid);
  g_free (f->missing);
  g_free (f->too_large);
}

static TvScenario *
load_case (const SoakCase *c, const Files *f, GError **error)
{
  if (g_str_equal (c->name, "load-invalid"))
    return tv_scenario_load_file (f->invalid, NULL, error);
  if (g_str_equal (c->name, "load-missing"))
    return tv_scenario_load_file (f->missing, NULL, error);
  if (g_str_equal (c->name, "load-too-large"))
    return tv_scenario_load_file (f->too_large, NULL, error);
  return tv_scenario_parse ("soak.tvs", c->text, -1, NULL, error);
}

/* Runs one case to its end, as the CLI does: drain, wait, stop. */
static void
run_case (const SoakCase *c, const Files *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  gint64 begin;

  scenario = load_case (c, f, &error);
  if (c->status == TV_RUN_READY)
    {
      g_assert_null (scenario);
      g_assert_nonnull (error);
      g_assert_true (error->domain == TV_SCENARIO_ERROR || error->domain == G_FILE_ERROR);
      return;
    }
  g_assert_no_error (error);

  options.speed = 10.0;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  g_assert_no_error (error);

  begin = g_get_monotonic_time ();
  if (c->stop_after_ms == 0)
    tv_run_stop (run);
  while (!tv_run_wait_timeout (run, 1))
    {
      tv_trace_drain (trace, tv_run_get_recorder (run));
      if (c->stop_after_ms > 0
          && g_get_monotonic_time () - begin > c->stop_after_ms * G_TIME_SPAN_MILLISECOND)
        tv_run_stop (run);
    }
  tv_run_wait (run);
  tv_trace_drain (trace, tv_run_get_recorder (run));

  if (tv_run_get_status (run) != c->status || tv_run_get_error_kind (run) != c->error_kind)
    g_error ("%s: status %s, error %d (expected %s, %d): %s", c->name,
             tv_run_status_to_string (tv_run_get_status (run)),
             (int) tv_run_get_error_kind (run),
             tv_run_status_to_string (c->status), (int) c->error_kind,
             tv_run_get_error_message (run) ? tv_run_get_error_message (run) : "");
  g_assert_true (tv_trace_is_finished (trace));
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, c->status);
}

static guint
soak_runs (void)
{
  const char *env = g_getenv ("TV_SOAK_RUNS");
  guint64 n = 1000;

  if (env != NULL && *env != '\0')
    n = g_ascii_strtoull (env, NULL, 10);
  return (guint) CLAMP (n, 1, 1000000);
}

static void
test_runs (void)
{
  Files files = { 0 };
  Resources before, after;
  guint n = soak_runs ();
  guint per_case[G_N_ELEMENTS (soak_cases)] = { 0 };
  gint64 begin;

  files_init (&files);

  /* One of each first: glibc's stack cache and malloc arenas, GLib's type
   * system and the engine's one-time set-up are not leaks. */
  for (gsize i = 0; i < G_N_ELEMENTS (soak_cases); i++)
    run_case (&soak_cases[i], &files);
  assert_no_children ();
  before = count_settled (1);
  g_test_message ("before: %u threads, %u fds, %u mappings (%u shared)",
                  before.tasks, before.fds, before.maps, before.shared_maps);

  begin = g_get_monotonic_time ();
  for (guint r = 0; r < n; r++)
    {
      gsize i = r % G_N_ELEMENTS (soak_cases);

      run_case (&soak_cases[i], &files);
      per_case[i]++;
    }
  g_test_message ("%u runs in %.1f s", n, (g_get_monotonic_time () - begin) / 1e6);
  for (gsize i = 0; i < G_N_ELEMENTS (soak_cases); i++)
    g_test_message ("  %-16s %u", soak_cases[i].name, per_case[i]);

  assert_no_children ();
  after = count_settled (before.tasks);
  g_test_message ("after:  %u threads, %u fds, %u mappings (%u shared)",
                  after.tasks, after.fds, after.maps, after.shared_maps);
  g_assert_cmpuint (after.tasks, ==, before.tasks);
  g_assert_cmpuint (after.fds, ==, before.fds);
  g_assert_cmpuint (after.shared_maps, ==, before.shared_maps);
  /* Cached stacks and arenas come and go; a mapping per run would not. */
  g_assert_cmpuint (after.maps, <=, before.maps + 64);

  files_clear (&files);
}

/* --- Limits: load-time errors that name the limit ---------------------- */

static char *
load_error (const char *text, gssize length, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;

  scenario = tv_scenario_parse ("limits.tvs", text, length, NULL, &error);
  if (scenario != NULL)
    g_error ("loaded, but expected \"%s\"", expected);
  g_assert_nonnull (error);
  g_assert_true (error->domain == TV_SCENARIO_ERROR);
  return g_strdup (error->message);
}

static void
assert_load_error (const char *text, gssize length, const char *expected)
{
  g_autofree char *message = load_error (text, length, expected);

  if (strstr (message, expected) == NULL)
    g_error ("expected \"%s\" in:\n%s", expected, message);
}

/* `n` lines of `line` under `header`. */
static char *
repeat_lines (const char *header, const char *line, guint n)
{
  GString *s = g_string_new (header);

  for (guint i = 0; i < n; i++)
    g_string_append (s, line);
  return g_string_free (s, FALSE);
}

static void
test_limits (void)
{
  g_autofree char *threads = NULL;
  g_autofree char *processes = NULL;
  g_autofree char *blocks = NULL;
  g_autofree char *calls = NULL;
  g_autofree char *parens = NULL;
  g_autofree char *long_line = NULL;
  g_autofree char *big = NULL;
  g_autofree char *lines = NULL;
  GString *s;

  /* 5 × 60 thread instances: 300 threads. */
  threads = g_strdup ("thread a * 60:\n    yield\nthread b * 60:\n    yield\n"
                      "thread c * 60:\n    yield\nthread d * 60:\n    yield\n"
                      "thread e * 60:\n    yield\n");
  assert_load_error (threads, -1, "too many threads: 300 (the limit is 256)");

  processes = g_strdup ("process a * 35:\n    yield\nprocess b * 35:\n    yield\n");
  assert_load_error (processes, -1, "too many processes: 70 (the limit is 64)");

  assert_load_error ("thread t * 65:\n    yield\n", -1,
                     "too many instances: 65 (the limit is 64)");
  assert_load_error ("thread t:\n    repeat 10000001:\n        yield\n", -1,
                     "repeat count too large: 10000001 (the limit is 10000000)");

  /* The body is level 1: 32 `repeat` lines inside it make 33 levels. */
  s = g_string_new ("main:\n");
  for (guint d = 1; d <= 32; d++)
    {
      for (guint k = 0; k < d; k++)
        g_string_append (s, "  ");
      g_string_append (s, "repeat 1:\n");
    }
  for (guint k = 0; k < 33; k++)
    g_string_append (s, "  ");
  g_string_append (s, "yield\n");
  blocks = g_string_free (s, FALSE);
  assert_load_error (blocks, -1, "blocks nested too deeply: 33 levels (the limit is 32)");

  /* main calls f1, f1 calls f2 ... f32: 33 levels. */
  s = g_string_new ("main:\n    call f1\n");
  for (guint d = 1; d <= 32; d++)
    if (d < 32)
      g_string_append_printf (s, "def f%u:\n    call f%u\n", d, d + 1);
    else
      g_string_append_printf (s, "def f%u:\n    yield\n", d);
  calls = g_string_free (s, FALSE);
  assert_load_error (calls, -1, "calls nested too deeply: 33 levels (the limit is 32)");

  s = g_string_new ("var x\nmain:\n    x = ");
  for (guint d = 0; d < 65; d++)
    g_string_append_c (s, '(');
  g_string_append_c (s, '1');
  for (guint d = 0; d < 65; d++)
    g_string_append_c (s, ')');
  g_string_append_c (s, '\n');
  parens = g_string_free (s, FALSE);
  assert_load_error (parens, -1, "expression nested too deeply (the limit is 64 levels)");

  long_line = repeat_lines ("# ", "x", 4998);   /* 5000 characters */
  assert_load_error (long_line, -1, "line too long: 5000 characters (the limit is 4096)");

  lines = repeat_lines ("", "\n", 70000);
  assert_load_error (lines, -1, "too many lines: 70000 (the limit is 65535)");

  big = g_malloc (2000000);
  memset (big, '#', 2000000);
  assert_load_error (big, 2000000, "file too large: 2000000 bytes (the limit is 1048576)");
}

/* A run that outgrows its recorder counts what it dropped, and the trace
 * (which the CLI summary and the window read) holds the count. */
static void
test_dropped_counted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRunOptions options = TV_RUN_OPTIONS_INIT;

  scenario = tv_scenario_parse ("dropped.tvs",
                                "var x\nthread t:\n    repeat 3000:\n        x += 1\n",
                                -1, NULL, &error);
  g_assert_no_error (error);
  options.speed = 10.0;
  options.ring_capacity = 64;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  /* Not drained until the end: the 64-event rings overflow. */
  tv_run_wait (run);
  tv_trace_drain (trace, tv_run_get_recorder (run));

  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FINISHED);
  g_assert_cmpuint (tv_recorder_get_dropped (tv_run_get_recorder (run)), >, 0);
  g_assert_cmpuint (tv_trace_get_dropped (trace), ==,
                    tv_recorder_get_dropped (tv_run_get_recorder (run)));
  g_test_message ("%" G_GUINT64_FORMAT " events dropped, %" G_GUINT64_FORMAT " kept",
                  tv_trace_get_dropped (trace), tv_trace_get_n_events (trace));
}

/* The trace of a run whose main thread overflowed its ring still ends:
 * TV_EV_RUN_END is what tells the window and a saved file that the run is
 * over: it must survive the main thread's ring being full (the engine
 * records it on the controller's ring). */
static void
test_end_kept_on_overflow (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRunOptions options = TV_RUN_OPTIONS_INIT;

  scenario = tv_scenario_parse ("end.tvs", "var x\nmain:\n    repeat 3000:\n        x += 1\n",
                                -1, NULL, &error);
  g_assert_no_error (error);
  options.speed = 10.0;
  options.ring_capacity = 64;
  run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (run, &error));
  tv_run_wait (run);
  tv_trace_drain (trace, tv_run_get_recorder (run));

  g_assert_cmpint (tv_run_get_status (run), ==, TV_RUN_FINISHED);
  g_assert_cmpuint (tv_trace_get_dropped (trace), >, 0);
  g_assert_true (tv_trace_is_finished (trace));
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, TV_RUN_FINISHED);
}

/* --- Odd scenarios through the engine ----------------------------------- */

/* Runs `scenario` at full speed for at most `ms` of wall time. */
static TvRunStatus
run_briefly (TvScenario *scenario, int ms, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvTrace) trace = tv_trace_new ();
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  gint64 begin = g_get_monotonic_time ();

  options.speed = 10.0;
  run = tv_run_new (scenario, &options, &error);
  if (run == NULL)
    g_error ("%s: the run could not be made: %s", name, error->message);
  if (!tv_run_start (run, &error))
    g_error ("%s: the run could not start: %s", name, error->message);
  while (!tv_run_wait_timeout (run, 2))
    {
      tv_trace_drain (trace, tv_run_get_recorder (run));
      if (g_get_monotonic_time () - begin > ms * G_TIME_SPAN_MILLISECOND)
        tv_run_stop (run);
    }
  tv_run_wait (run);
  tv_trace_drain (trace, tv_run_get_recorder (run));
  g_assert_true (tv_trace_is_finished (trace));
  return tv_run_get_status (run);
}

static void
add_dir_files (GPtrArray *paths, const char *dir_path)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (paths, g_build_filename (dir_path, name, NULL));
}

/*
 * Every input of the parser's fuzz corpus that loads (odd, often
 * nonsensical scenarios the fuzzer made) and every shipped scenario runs
 * for a moment and is stopped: the engine must end each cleanly, and leave
 * nothing behind.
 */
static void
test_corpus (void)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *scenario_dir = g_getenv ("TV_SCENARIO_DIR");
  guint loaded = 0, counts[TV_RUN_FAILED + 1] = { 0 };
  Resources before, after;

  add_dir_files (paths, g_test_get_filename (G_TEST_DIST, "fuzz", "corpus", "parser", NULL));
  add_dir_files (paths, g_test_get_filename (G_TEST_DIST, "fuzz", "regressions", "parser", NULL));
  if (scenario_dir != NULL)
    add_dir_files (paths, scenario_dir);
  /* More: the corpus a fuzzing run grew (docs/fuzzing.md). */
  if (g_getenv ("TV_SOAK_CORPUS") != NULL)
    add_dir_files (paths, g_getenv ("TV_SOAK_CORPUS"));
  if (paths->len == 0)
    {
      g_test_skip ("no corpus found");
      return;
    }

  assert_no_children ();
  before = count_settled (1);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autoptr(TvScenario) scenario = tv_scenario_load_file (path, NULL, NULL);
      TvRunStatus status;

      if (scenario == NULL)
        continue;
      loaded++;
      status = run_briefly (scenario, 20, path);
      g_assert_cmpint (status, >=, TV_RUN_FINISHED);
      g_assert_cmpint (status, <=, TV_RUN_FAILED);
      counts[status]++;
    }
  g_test_message ("%u of %u files loaded and ran: %u finished, %u stopped, %u failed",
                  loaded, paths->len, counts[TV_RUN_FINISHED], counts[TV_RUN_STOPPED],
                  counts[TV_RUN_FAILED]);
  g_assert_cmpuint (loaded, >, 0);

  assert_no_children ();
  after = count_settled (before.tasks);
  g_assert_cmpuint (after.tasks, ==, before.tasks);
  g_assert_cmpuint (after.fds, ==, before.fds);
  g_assert_cmpuint (after.shared_maps, ==, before.shared_maps);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/soak/limits", test_limits);
  g_test_add_func ("/tv/soak/dropped-counted", test_dropped_counted);
  g_test_add_func ("/tv/soak/end-kept-on-overflow", test_end_kept_on_overflow);
  g_test_add_func ("/tv/soak/runs", test_runs);
  g_test_add_func ("/tv/soak/corpus", test_corpus);
  return g_test_run ();
}
