/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-processes.c: `process` bodies, which run in a new program
 * (threadviz-process, see core/tv-process.c), never in a fork() of the
 * multi-threaded engine.
 *
 * /tv/processes/lessons runs the process lessons 200 times in all
 * (TV_PROCESSES_RUNS), each to its expected printed lines and within a
 * timeout, then counts what they could have left: children (live or
 * zombie), descriptors, shared mappings, threads.  The other cases stop a
 * lesson midway, stop a run one of whose processes is frozen while it
 * holds the engine lock, start a process from a process, check that a
 * process gets its own copy of every `var` as it was at `start`, and that
 * a missing helper program fails the run with its path.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tv-run.h"
#include "tv-test-resources.h"

/* Generous: a sanitized helper program takes long to start. */
#define RUN_TIMEOUT_MS 120000

typedef struct
{
  TvScenario *scenario;
  TvRun      *run;
  int         print_fd;
} Run;

static TvScenario *
load_lesson (const char *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const char *dir = g_getenv ("TV_SCENARIO_DIR");
  TvScenario *scenario;

  path = g_build_filename (dir ? dir : TV_SCENARIO_DIR, file, NULL);
  scenario = tv_scenario_load_file (path, NULL, &error);
  g_assert_no_error (error);
  return scenario;
}

static TvScenario *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  TvScenario *scenario = tv_scenario_parse ("test.tvs", text, -1, NULL, &error);

  g_assert_no_error (error);
  return scenario;
}

/* Starts `scenario` at `speed`, its printed lines into a memfd. */
static void
run_start (Run *r, TvScenario *scenario, double speed)
{
  g_autoptr(GError) error = NULL;
  TvRunOptions options = TV_RUN_OPTIONS_INIT;

  r->scenario = tv_scenario_ref (scenario);
  r->print_fd = memfd_create ("test-processes-print", MFD_CLOEXEC);
  g_assert_cmpint (r->print_fd, >=, 0);
  options.speed = speed;
  options.print_fd = r->print_fd;
  r->run = tv_run_new (scenario, &options, &error);
  g_assert_no_error (error);
  g_assert_true (tv_run_start (r->run, &error));
  g_assert_no_error (error);
}

/* Waits for the end (a hang fails the test) and returns the printed lines. */
static GStrv
run_finish (Run *r)
{
  g_autofree char *text = NULL;
  off_t size;

  if (!tv_run_wait_timeout (r->run, RUN_TIMEOUT_MS))
    {
      g_autofree char *children = list_children ();

      g_error ("the run of '%s' did not end within %d ms; children:\n%s",
               r->scenario->title, RUN_TIMEOUT_MS, children);
    }
  size = lseek (r->print_fd, 0, SEEK_END);
  g_assert_cmpint (size, >=, 0);
  text = g_malloc0 ((gsize) size + 1);
  g_assert_cmpint (pread (r->print_fd, text, (size_t) size, 0), ==, size);
  close (r->print_fd);
  r->print_fd = -1;
  return g_strsplit (text[0] ? text : "", "\n", -1);
}

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->run, tv_run_free);
  g_clear_pointer (&r->scenario, tv_scenario_unref);
}

static guint
count_lines (GStrv lines)
{
  guint n = g_strv_length (lines);

  /* The text ends with a newline: the last piece is empty. */
  if (n > 0 && lines[n - 1][0] == '\0')
    n--;
  return n;
}

/* processes.tvs: four lines "Pid is N", N all different and not ours,
 * then "Four processes took ...". */
static void
check_processes_lesson (GStrv lines)
{
  g_autoptr(GHashTable) pids = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = count_lines (lines);
  g_autofree char *ours = g_strdup_printf ("Pid is %d", (int) getpid ());

  g_assert_cmpuint (n, ==, 5);
  for (guint i = 0; i < 4; i++)
    {
      g_assert_true (g_str_has_prefix (lines[i], "Pid is "));
      g_assert_cmpstr (lines[i], !=, ours);
      g_assert_true (g_hash_table_add (pids, lines[i]));
    }
  g_assert_true (g_str_has_prefix (lines[4], "Four processes took "));
}

/* shared-state.tvs: each child sees its own plain_num go to 1 and the
 * shared one count 1..4; main's plain_num stays 0. */
static void
check_shared_state_lesson (GStrv lines)
{
  g_assert_cmpuint (count_lines (lines), ==, 5);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *tail = g_strdup_printf (": plain_num is 1, shared_num is %u", i + 1);

      g_assert_true (g_str_has_prefix (lines[i], "in child "));
      g_assert_true (g_str_has_suffix (lines[i], tail));
    }
  g_assert_cmpstr (lines[4], ==, "plain_num is 0, shared_num is 4");
}

static guint
n_runs (void)
{
  const char *env = g_getenv ("TV_PROCESSES_RUNS");
  guint64 n;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 100000, &n, NULL))
    return (guint) n;
  return 200;
}

static void
run_lesson_once (TvScenario *scenario, gboolean processes)
{
  Run r = { 0 };
  g_auto(GStrv) lines = NULL;

  run_start (&r, scenario, 10.0);
  lines = run_finish (&r);
  g_assert_cmpint (tv_run_get_status (r.run), ==, TV_RUN_FINISHED);
  if (processes)
    check_processes_lesson (lines);
  else
    check_shared_state_lesson (lines);
  run_clear (&r);
}

static void
test_lessons (void)
{
  g_autoptr(TvScenario) processes = load_lesson ("processes.tvs");
  g_autoptr(TvScenario) shared_state = load_lesson ("shared-state.tvs");
  guint runs = n_runs ();
  Resources before, after;
  gint64 start;

  /* One warm-up round: GLib's and the engine's first allocations. */
  run_lesson_once (processes, TRUE);
  run_lesson_once (shared_state, FALSE);
  assert_no_children ();
  before = count_settled (1);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < runs; i++)
    run_lesson_once (i % 2 ? shared_state : processes, i % 2 == 0);
  g_test_message ("%u runs of the process lessons in %.1f s", runs,
                  (g_get_monotonic_time () - start) / 1e6);

  assert_no_children ();
  after = count_settled (before.tasks);
  g_assert_cmpuint (after.tasks, ==, before.tasks);
  g_assert_cmpuint (after.fds, ==, before.fds);
  g_assert_cmpuint (after.shared_maps, ==, before.shared_maps);
}

/* The pids of this process's children once there are `n` of them (in
 * state `state`, or any state for 0), within 60 s. */
static GArray *
wait_for_children (guint n, char state)
{
  gint64 give_up = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *children = list_children ();
      g_auto(GStrv) lines = g_strsplit (children, "\n", -1);
      GArray *pids = g_array_new (FALSE, FALSE, sizeof (pid_t));

      for (guint i = 0; lines[i] != NULL; i++)
        {
          int pid;
          char s;

          if (sscanf (lines[i], "%d %c", &pid, &s) == 2 && (state == 0 || s == state))
            g_array_append_val (pids, pid);
        }
      if (pids->len >= n)
        return pids;
      g_array_unref (pids);
      if (g_get_monotonic_time () > give_up)
        g_error ("%u children%s did not appear; children:\n%s", n,
                 state ? " in that state" : "", children);
      g_usleep (5 * G_TIME_SPAN_MILLISECOND);
    }
}

static void
assert_gone (GArray *pids)
{
  for (guint i = 0; i < pids->len; i++)
    {
      errno = 0;
      g_assert_cmpint (kill (g_array_index (pids, pid_t, i), 0), ==, -1);
      g_assert_cmpint (errno, ==, ESRCH);
    }
}

/* Stop while the four children work: every one of them ends, reaped. */
static void
test_stop_midway (void)
{
  g_autoptr(TvScenario) scenario = load_lesson ("processes.tvs");
  g_autoptr(GArray) pids = NULL;
  g_auto(GStrv) lines = NULL;
  Run r = { 0 };

  run_start (&r, scenario, 1.0);
  pids = wait_for_children (4, 0);
  tv_run_stop (r.run);
  lines = run_finish (&r);
  g_assert_cmpint (tv_run_get_status (r.run), ==, TV_RUN_STOPPED);
  g_assert_cmpint (tv_run_get_error_kind (r.run), ==, TV_RUN_ERROR_NONE);
  g_assert_false (g_strv_contains ((const char * const *) lines,
                                   "Four processes took 2.00s"));
  run_clear (&r);
  assert_no_children ();
  assert_gone (pids);
}

/*
 * child-2 stops itself (SIGSTOP) right after it took the engine lock (the
 * helper's test hook): every other thread of the run now waits for that
 * lock, the stop included.  The stop must still end the run, as stopped,
 * with no process left.
 */
static void
test_frozen_holding_lock (void)
{
  g_autoptr(TvScenario) scenario = load_lesson ("processes.tvs");
  g_autoptr(GArray) frozen = NULL;
  g_autoptr(GArray) pids = NULL;
  g_auto(GStrv) lines = NULL;
  Run r = { 0 };

  g_setenv ("TV_PROCESS_TEST_FREEZE_LOCKED", "child-2", TRUE);
  run_start (&r, scenario, 1.0);
  frozen = wait_for_children (1, 'T');
  /* Those started before it: main waits for the lock to start the rest. */
  pids = wait_for_children (1, 0);
  g_unsetenv ("TV_PROCESS_TEST_FREEZE_LOCKED");

  tv_run_stop (r.run);
  lines = run_finish (&r);
  g_assert_cmpint (tv_run_get_status (r.run), ==, TV_RUN_STOPPED);
  g_assert_cmpint (tv_run_get_error_kind (r.run), ==, TV_RUN_ERROR_NONE);
  run_clear (&r);
  assert_no_children ();
  assert_gone (frozen);
  assert_gone (pids);
}

/* A process starts processes of its own; they share the `shared` value
 * and its lock with everyone. */
static void
test_nested (void)
{
  g_autoptr(TvScenario) scenario = parse (
    "shared n = 0\n"
    "lock L\n"
    "process inner * 2:\n"
    "    with L:\n"
    "        n += 1\n"
    "process outer:\n"
    "    start inner\n"
    "    join inner\n"
    "    with L:\n"
    "        n += 10\n"
    "    print \"outer sees {n}\"\n"
    "main:\n"
    "    start outer\n"
    "    join outer\n"
    "    print \"main sees {n}\"\n");
  g_auto(GStrv) lines = NULL;
  Run r = { 0 };

  run_start (&r, scenario, 10.0);
  lines = run_finish (&r);
  g_assert_cmpstr (tv_run_get_error_message (r.run), ==, NULL);
  g_assert_cmpint (tv_run_get_status (r.run), ==, TV_RUN_FINISHED);
  g_assert_cmpuint (count_lines (lines), ==, 2);
  g_assert_cmpstr (lines[0], ==, "outer sees 12");
  g_assert_cmpstr (lines[1], ==, "main sees 12");
  run_clear (&r);
  assert_no_children ();
}

/* A process gets a copy of every `var` as it was at `start` (as fork()
 * copied it), and its changes stay in that copy. */
static void
test_vars_copied_at_start (void)
{
  g_autoptr(TvScenario) scenario = parse (
    "var plain = 5\n"
    "process P * 2:\n"
    "    plain += 1\n"
    "    print \"child has {plain}\"\n"
    "main:\n"
    "    plain = 7\n"
    "    start P\n"
    "    join P\n"
    "    print \"main has {plain}\"\n");
  g_auto(GStrv) lines = NULL;
  Run r = { 0 };

  run_start (&r, scenario, 10.0);
  lines = run_finish (&r);
  g_assert_cmpint (tv_run_get_status (r.run), ==, TV_RUN_FINISHED);
  g_assert_cmpuint (count_lines (lines), ==, 3);
  g_assert_cmpstr (lines[0], ==, "child has 8");
  g_assert_cmpstr (lines[1], ==, "child has 8");
  g_assert_cmpstr (lines[2], ==, "main has 7");
  run_clear (&r);
  assert_no_children ();
}

/* No helper program: `start` fails the run and says which path it tried. */
static void
test_helper_missing (void)
{
  g_autoptr(TvScenario) scenario = parse (
    "process P:\n"
    "    print \"never\"\n"
    "main:\n"
    "    start P\n"
    "    join P\n");
  g_autofree char *saved = g_strdup (g_getenv ("TV_PROCESS_HELPER"));
  g_auto(GStrv) lines = NULL;
  const char *message;
  Run r = { 0 };

  g_setenv ("TV_PROCESS_HELPER", "/nonexistent/libexec/threadviz-process", TRUE);
  run_start (&r, scenario, 10.0);
  if (saved != NULL)
    g_setenv ("TV_PROCESS_HELPER", saved, TRUE);
  else
    g_unsetenv ("TV_PROCESS_HELPER");
  lines = run_finish (&r);
  g_assert_cmpint (tv_run_get_status (r.run), ==, TV_RUN_FAILED);
  g_assert_cmpint (tv_run_get_error_kind (r.run), ==, TV_RUN_ERROR_SYSTEM);
  message = tv_run_get_error_message (r.run);
  g_assert_nonnull (strstr (message, "cannot start process 'P': cannot run the process "
                                     "helper /nonexistent/libexec/threadviz-process: "
                                     "No such file or directory"));
  g_assert_cmpuint (count_lines (lines), ==, 0);
  run_clear (&r);
  assert_no_children ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/processes/helper-missing", test_helper_missing);
  g_test_add_func ("/tv/processes/vars-copied-at-start", test_vars_copied_at_start);
  g_test_add_func ("/tv/processes/nested", test_nested);
  g_test_add_func ("/tv/processes/stop-midway", test_stop_midway);
  g_test_add_func ("/tv/processes/frozen-holding-lock", test_frozen_holding_lock);
  g_test_add_func ("/tv/processes/lessons", test_lessons);
  return g_test_run ();
}
