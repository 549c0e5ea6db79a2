/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-cli.c: runs the built `threadviz` binary (its path comes in the
 * environment variable THREADVIZ) on fixture scenarios written to a
 * temporary directory, and checks what it prints and how it exits.
 * No display needed.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <cairo.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

static const char *threadviz;
static char *fixture_dir;

typedef struct
{
  gboolean exited;     /* FALSE: killed by a signal */
  int      status;     /* exit status when exited */
  char    *out;
  char    *err;
} CliResult;

static void
cli_result_clear (CliResult *result)
{
  g_clear_pointer (&result->out, g_free);
  g_clear_pointer (&result->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliResult, cli_result_clear)

/* Writes `text` to a file `name` in the fixture directory; returns its path. */
static char *
write_fixture (const char *name,
               const char *text)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture_dir, name, NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static GSubprocess *
spawn_cli (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (gpointer) threadviz);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE
                               | G_SUBPROCESS_FLAGS_STDIN_INHERIT,
                               &error);
  g_assert_no_error (error);
  return process;
}

static void
finish_result (GSubprocess *process,
               CliResult   *result)
{
  result->exited = g_subprocess_get_if_exited (process);
  result->status = result->exited ? g_subprocess_get_exit_status (process) : -1;
  if (!result->exited)
    g_test_message ("killed by signal %d", g_subprocess_get_term_sig (process));
  g_test_message ("exit status %d\nstdout:\n%s\nstderr:\n%s",
                  result->status, result->out, result->err);
}

/* Runs `threadviz ARGS...` (NULL-terminated) to its end. */
static void
run_cli (CliResult  *result,
         const char *first,
         ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  process = spawn_cli ((const char * const *) args->pdata);
  g_subprocess_communicate_utf8 (process, NULL, NULL,
                                 &result->out, &result->err, &error);
  g_assert_no_error (error);
  finish_result (process, result);
}

static void
assert_exit (const CliResult *result,
             int              status)
{
  g_assert_true (result->exited);
  g_assert_cmpint (result->status, ==, status);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("'%s' not found in:\n%s", needle, haystack);
}

/* The value of the first group of `pattern` in `text`, or fail. */
static char *
match_group (const char *pattern,
             const char *text)
{
  g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) info = NULL;

  g_assert_nonnull (regex);
  if (!g_regex_match (regex, text, 0, &info))
    g_error ("/%s/ does not match:\n%s", pattern, text);
  return g_match_info_fetch (info, 1);
}

/* --- Fixtures -------------------------------------------------------- */

/* The complete example of the scenario language's specification. */
static const char race_tvs[] =
  "title \"Race on a shared counter\"\n"
  "lock L\n"
  "var counter = 0\n"
  "\n"
  "thread unsafe * 2:\n"
  "    repeat 1000:\n"
  "        counter += 1 window 10us\n"
  "\n"
  "main:\n"
  "    start unsafe\n"
  "    join unsafe\n"
  "    print \"without a lock: counter = {counter} (expected 2000)\"\n";

static const char locked_tvs[] =
  "lock L\n"
  "var counter = 0\n"
  "\n"
  "thread safe * 2:\n"
  "    repeat 1000:\n"
  "        with L:\n"
  "            counter += 1 window 10us\n"
  "\n"
  "main:\n"
  "    start safe\n"
  "    join safe\n"
  "    print \"with a lock: counter = {counter}\"\n";

/* Three lines whose order the event makes certain, whatever the load. */
static const char order_tvs[] =
  "event E\n"
  "\n"
  "thread a:\n"
  "    print \"first: {thread}\"\n"
  "    set E\n"
  "\n"
  "thread b:\n"
  "    wait E\n"
  "    print \"second: quote \\\" and back\\\\slash\"\n"
  "\n"
  "main:\n"
  "    start b\n"
  "    start a\n"
  "    join a\n"
  "    join b\n"
  "    print \"third\"\n";

static const char load_errors_tvs[] =
  "lock L\n"
  "thread t:\n"
  "    acquire M\n"
  "    release L\n"
  "    put Nowhere\n";

/* Statically a hold is possible (the `if`), so this is a run-time error. */
static const char not_held_tvs[] =
  "lock L\n"
  "var x = 0\n"
  "\n"
  "main:\n"
  "    if x == 1:\n"
  "        acquire L\n"
  "    release L\n";

/* The barrier makes sure both hold their first lock before either asks
 * for its second: a deadlock every time. */
static const char deadlock_tvs[] =
  "lock first\n"
  "lock second\n"
  "barrier both 2\n"
  "\n"
  "thread alice:\n"
  "    acquire first\n"
  "    wait both\n"
  "    acquire second\n"
  "    release second\n"
  "    release first\n"
  "\n"
  "thread bob:\n"
  "    acquire second\n"
  "    wait both\n"
  "    acquire first\n"
  "    release first\n"
  "    release second\n";

static const char forever_tvs[] =
  "thread ticker:\n"
  "    forever:\n"
  "        print \"tick\"\n"
  "        sleep 20ms\n";

static const char two_threads_tvs[] =
  "thread worker * 2:\n"
  "    work 10ms\n"
  "    print \"{thread} done\"\n";

/* --- Tests ----------------------------------------------------------- */

static void
test_version (void)
{
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "--version", NULL);
  assert_exit (&result, 0);
  g_assert_cmpstr (result.out, ==, "threadviz " PACKAGE_VERSION "\n");
  g_assert_cmpstr (result.err, ==, "");
}

static void
test_help (void)
{
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "--help", NULL);
  assert_exit (&result, 0);
  assert_contains (result.out, "threadviz run FILE.tvs");
  assert_contains (result.out, "threadviz check FILE.tvs");
#ifdef TV_WITH_EXPORT
  assert_contains (result.out, "threadviz export FILE.tvs|tvt|json -o OUT.png|svg|pdf|json");
#endif
  assert_contains (result.out, "Exit status:");
  assert_contains (result.out, "130 interrupted");
}

static void
test_run_help (void)
{
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", "--help", NULL);
  assert_exit (&result, 0);
  assert_contains (result.out, "threadviz run [OPTION");
  assert_contains (result.out, "--speed=F");
  assert_contains (result.out, "--summary");
  assert_contains (result.out, "Examples:");
}

static void
test_help_command (void)
{
  g_auto(CliResult) check = { 0 };
  g_auto(CliResult) unknown = { 0 };

  run_cli (&check, "help", "check", NULL);
  assert_exit (&check, 0);
  assert_contains (check.out, "threadviz check [OPTION");

  run_cli (&unknown, "help", "frobnicate", NULL);
  assert_exit (&unknown, 64);
  assert_contains (unknown.err, "no help on 'frobnicate'");
}

static void
test_unknown_command (void)
{
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "frobnicate", NULL);
  assert_exit (&result, 64);
  assert_contains (result.err, "unknown command 'frobnicate'");
  g_assert_cmpstr (result.out, ==, "");
}

static void
test_run_no_file (void)
{
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", NULL);
  assert_exit (&result, 64);
  assert_contains (result.err, "no scenario file given");
}

static void
test_run_race (void)
{
  g_autofree char *path = write_fixture ("race.tvs", race_tvs);
  g_auto(CliResult) result = { 0 };
  g_autofree char *counter = NULL;
  gint64 value;

  run_cli (&result, "run", path, NULL);
  assert_exit (&result, 0);

  /* The only line, exactly; the count itself is whatever the race made. */
  counter = match_group ("\\Awithout a lock: counter = ([0-9]+) \\(expected 2000\\)\\n\\z",
                         result.out);
  value = g_ascii_strtoll (counter, NULL, 10);
  g_assert_cmpint (value, >=, 2);
  g_assert_cmpint (value, <=, 2000);
}

static void
test_run_locked (void)
{
  g_autofree char *path = write_fixture ("locked.tvs", locked_tvs);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", path, "--speed", "10", NULL);
  assert_exit (&result, 0);
  g_assert_cmpstr (result.out, ==, "with a lock: counter = 2000\n");
}

static void
test_run_order (void)
{
  g_autofree char *path = write_fixture ("order.tvs", order_tvs);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", path, NULL);
  assert_exit (&result, 0);
  g_assert_cmpstr (result.out, ==,
                   "first: a\n"
                   "second: quote \" and back\\slash\n"
                   "third\n");
  g_assert_cmpstr (result.err, ==, "");
}

static void
test_run_lesson (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("TV_SCENARIO_DIR"),
                                            "lifecycle.tvs", NULL);
  g_auto(CliResult) result = { 0 };
  g_auto(GStrv) lines = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("data/scenarios/lifecycle.tvs is not there yet");
      return;
    }

  /* What build-aux/run opens, in the terminal: every line of it, a start
   * and an end per thread. */
  run_cli (&result, "run", path, "--speed", "10", NULL);
  assert_exit (&result, 0);
  lines = g_strsplit (result.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 7);
  g_assert_cmpstr (lines[6], ==, "");
  g_assert_true (g_str_has_suffix (lines[0], " starts"));
  g_assert_true (g_str_has_suffix (lines[5], " ends"));
  assert_contains (result.out, "worker-1 starts\n");
  assert_contains (result.out, "worker-2 starts\n");
  assert_contains (result.out, "worker-1 ends\n");
  assert_contains (result.out, "worker-2 ends\n");
}

static void
test_load_errors (void)
{
  g_autofree char *path = write_fixture ("load-errors.tvs", load_errors_tvs);
  g_autofree char *line3 = g_strdup_printf ("%s:3:", path);
  g_autofree char *line5 = g_strdup_printf ("%s:5:", path);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", path, NULL);
  assert_exit (&result, 1);
  g_assert_cmpstr (result.out, ==, "");

  /* Every error, each as FILE:LINE:COLUMN: at the start of a line. */
  g_assert_true (g_str_has_prefix (result.err, line3));
  g_free (match_group ("^.*load-errors\\.tvs:3:([0-9]+): .*'M'", result.err));
  g_free (match_group ("^.*load-errors\\.tvs:5:([0-9]+): .*'Nowhere'", result.err));
  assert_contains (result.err, line5);
  assert_contains (result.err, "acquire M");
}

static void
test_check (void)
{
  g_autofree char *good = write_fixture ("check-good.tvs", order_tvs);
  g_autofree char *bad = write_fixture ("check-bad.tvs", load_errors_tvs);
  g_autofree char *good_ok = g_strdup_printf ("%s: ok\n", good);
  g_autofree char *bad_line = g_strdup_printf ("%s:3:", bad);
  g_auto(CliResult) result = { 0 };
  g_auto(CliResult) both = { 0 };

  run_cli (&result, "check", good, NULL);
  assert_exit (&result, 0);
  g_assert_cmpstr (result.out, ==, good_ok);
  g_assert_cmpstr (result.err, ==, "");

  run_cli (&both, "check", good, bad, NULL);
  assert_exit (&both, 1);
  g_assert_cmpstr (both.out, ==, good_ok);
  g_assert_true (g_str_has_prefix (both.err, bad_line));
}

static void
test_missing_file (void)
{
  g_autofree char *path = g_build_filename (fixture_dir, "no-such.tvs", NULL);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", path, NULL);
  assert_exit (&result, 1);
  assert_contains (result.err, "no-such.tvs");
  g_assert_cmpstr (result.out, ==, "");
}

static void
test_not_held (void)
{
  g_autofree char *path = write_fixture ("not-held.tvs", not_held_tvs);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", path, NULL);
  assert_exit (&result, 2);
  /* The error names the line of the release. */
  assert_contains (result.err, "not-held.tvs:7");
}

static void
test_deadlock (void)
{
  g_autofree char *path = write_fixture ("deadlock.tvs", deadlock_tvs);
  g_auto(CliResult) result = { 0 };
  g_autofree char *lower = NULL;

  run_cli (&result, "run", path, NULL);
  assert_exit (&result, 2);

  lower = g_ascii_strdown (result.err, -1);
  assert_contains (lower, "deadlock");
  /* Both threads, both locks, and the two acquires that wait forever. */
  assert_contains (result.err, "alice");
  assert_contains (result.err, "bob");
  assert_contains (result.err, "first");
  assert_contains (result.err, "second");
  assert_contains (result.err, "deadlock.tvs:8");
  assert_contains (result.err, "deadlock.tvs:15");
}

/* Starts the forever scenario, waits for its first line, sends `signum`. */
static void
interrupt_with (int signum)
{
  g_autofree char *path = write_fixture ("forever.tvs", forever_tvs);
  const char *args[] = { "run", path, NULL };
  g_autoptr(GSubprocess) process = spawn_cli (args);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GOutputStream) err_sink = g_memory_output_stream_new_resizable ();
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_auto(CliResult) result = { 0 };
  char *line;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));

  /* Not a fixed sleep: the signal goes once the run is surely running. */
  first = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "tick");

  g_subprocess_send_signal (process, signum);

  while ((line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error)))
    {
      g_assert_cmpstr (line, ==, "tick");
      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
    }
  g_assert_no_error (error);

  g_output_stream_splice (err_sink, g_subprocess_get_stderr_pipe (process),
                          G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);

  result.out = g_string_free (g_steal_pointer (&rest), FALSE);
  result.err = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (err_sink)),
                          g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (err_sink)));
  finish_result (process, &result);

  /* A clean stop: the process exits (is not killed) with 130. */
  assert_exit (&result, 130);
  g_assert_cmpstr (result.err, ==, "interrupted\n");
}

static void
test_sigint (void)
{
  interrupt_with (SIGINT);
}

static void
test_sigterm (void)
{
  interrupt_with (SIGTERM);
}

static void
test_until (void)
{
  g_autofree char *path = write_fixture ("forever-until.tvs", forever_tvs);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "run", path, "--until", "100ms", "--speed", "2", NULL);
  assert_exit (&result, 0);
  g_assert_true (g_str_has_prefix (result.out, "tick\n"));
  g_assert_cmpstr (result.err, ==, "");
}

static void
test_summary (void)
{
  g_autofree char *path = write_fixture ("two-threads.tvs", two_threads_tvs);
  g_auto(CliResult) result = { 0 };
  g_autofree char *events = NULL;

  run_cli (&result, "run", path, "--summary", NULL);
  assert_exit (&result, 0);
  g_assert_true (g_str_equal (result.out, "worker-1 done\nworker-2 done\n")
                 || g_str_equal (result.out, "worker-2 done\nworker-1 done\n"));

  /* Main and the two workers. */
  g_assert_true (g_str_has_prefix (result.err, "summary:\n"));
  assert_contains (result.err, "  status:   finished\n");
  g_free (match_group ("^  duration: ([0-9]+\\.[0-9]{3}) s \\(scenario time\\)$", result.err));
  assert_contains (result.err, "  threads:  3\n");
  assert_contains (result.err, "  dropped:  0\n");
  events = match_group ("^  events:   ([0-9]+)$", result.err);
  g_assert_cmpint (g_ascii_strtoll (events, NULL, 10), >, 6);
}

/*
 * Two threads recording flat out (4 events an iteration) fill a ring in a
 * millisecond; the run's collector empties the rings from its own thread
 * and makes a thread wait for room rather than drop: every event arrives.
 * Draining every 20 ms, as the CLI once did, lost 95% of them.
 */
static void
test_flat_out (void)
{
  g_autofree char *path = write_fixture ("flat-out.tvs",
                                         "lock L\n"
                                         "var x = 0\n"
                                         "thread T * 2:\n"
                                         "    repeat 100000:\n"
                                         "        acquire L\n"
                                         "        x += 1\n"
                                         "        release L\n"
                                         "main:\n"
                                         "    start T\n"
                                         "    join T\n"
                                         "    print \"x = {x}\"\n");
  g_auto(CliResult) result = { 0 };
  g_autofree char *events = NULL;

  run_cli (&result, "run", path, "--summary", NULL);
  assert_exit (&result, 0);
  g_assert_cmpstr (result.out, ==, "x = 200000\n");
  assert_contains (result.err, "  status:   finished\n");
  assert_contains (result.err, "  dropped:  0\n");
  g_assert_null (strstr (result.err, "were dropped"));
  /* acquire, read, write, release: 800000, and the threads' lifecycles. */
  events = match_group ("^  events:   ([0-9]+)$", result.err);
  g_assert_cmpint (g_ascii_strtoll (events, NULL, 10), >=, 800000);
}

static void
test_bad_speed (void)
{
  g_autofree char *path = write_fixture ("speed.tvs", two_threads_tvs);
  const char *bad[] = { "20", "0.05", "0", "-1", "nan" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto(CliResult) result = { 0 };

      run_cli (&result, "run", path, "--speed", bad[i], NULL);
      assert_exit (&result, 64);
      g_assert_cmpstr (result.out, ==, "");
      assert_contains (result.err, "--speed must be between 0.1 and 10");
    }

  {
    g_auto(CliResult) result = { 0 };

    /* Not a number at all: GOption says so. */
    run_cli (&result, "run", path, "--speed", "fast", NULL);
    assert_exit (&result, 64);
    assert_contains (result.err, "fast");
    assert_contains (result.err, "Try 'threadviz run --help'");
  }
}

#ifdef TV_WITH_EXPORT
static void
assert_file_starts_with (const char *path,
                         const char *magic,
                         gsize       magic_length)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, magic_length);
  g_assert_cmpmem (contents, magic_length, magic, magic_length);
}

static void
test_export (void)
{
  g_autofree char *path = write_fixture ("export.tvs", order_tvs);
  static const struct { const char *name; const char *magic; gsize length; } outputs[] = {
    { "order.png", "\x89PNG\r\n\x1a\n", 8 },
    { "order.svg", "<?xml", 5 },
    { "order.pdf", "%PDF-", 5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
    {
      g_autofree char *out = g_build_filename (fixture_dir, outputs[i].name, NULL);
      g_auto(CliResult) result = { 0 };

      run_cli (&result, "export", path, "-o", out, "--scale", "2", "--dark", NULL);
      assert_exit (&result, 0);
      /* The printed lines are drawn, not written to stdout. */
      g_assert_cmpstr (result.out, ==, "");
      assert_file_starts_with (out, outputs[i].magic, outputs[i].length);
      g_unlink (out);
    }
}

static void
test_export_deadlock (void)
{
  g_autofree char *path = write_fixture ("export-deadlock.tvs", deadlock_tvs);
  g_autofree char *out = g_build_filename (fixture_dir, "deadlock.png", NULL);
  g_auto(CliResult) result = { 0 };

  /* The deadlock is reported, and drawn: the picture is the point. */
  run_cli (&result, "export", path, "-o", out, NULL);
  assert_exit (&result, 0);
  assert_contains (result.err, "alice");
  assert_file_starts_with (out, "\x89PNG\r\n\x1a\n", 8);
  g_unlink (out);
}

static void
test_export_range (void)
{
  g_autofree char *path = write_fixture ("export-range.tvs", order_tvs);
  g_autofree char *out = g_build_filename (fixture_dir, "range.svg", NULL);
  g_auto(CliResult) result = { 0 };

  run_cli (&result, "export", path, "-o", out, "--range", ":1ms",
           "--width", "800", "--no-title", "--no-legend", NULL);
  assert_exit (&result, 0);
  assert_file_starts_with (out, "<?xml", 5);
  g_unlink (out);
}

static void
test_export_usage (void)
{
  g_autofree char *path = write_fixture ("export-usage.tvs", order_tvs);
  g_autofree char *gif = g_build_filename (fixture_dir, "order.gif", NULL);
  g_autofree char *png = g_build_filename (fixture_dir, "never.png", NULL);
  g_auto(CliResult) no_output = { 0 };
  g_auto(CliResult) bad_format = { 0 };
  g_auto(CliResult) bad_range = { 0 };

  run_cli (&no_output, "export", path, NULL);
  assert_exit (&no_output, 64);
  assert_contains (no_output.err, "-o OUT.png");

  run_cli (&bad_format, "export", path, "-o", gif, NULL);
  assert_exit (&bad_format, 1);
  assert_contains (bad_format.err, "must end in .png, .svg, .pdf or .json");

  run_cli (&bad_range, "export", path, "-o", png, "--range", "2s:1s", NULL);
  assert_exit (&bad_range, 64);
  assert_contains (bad_range.err, "--range");
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
}

/* An output that cannot be written is exit status 1, naming the file;
 * --theme dark draws a dark background. */
static void
test_export_output (void)
{
  g_autofree char *path = write_fixture ("export-output.tvs", order_tvs);
  g_autofree char *missing = g_build_filename (fixture_dir, "no-such-dir", "x.png", NULL);
  g_autofree char *dark = g_build_filename (fixture_dir, "dark.png", NULL);
  g_auto(CliResult) unwritable = { 0 };
  g_auto(CliResult) bad_theme = { 0 };
  g_auto(CliResult) themed = { 0 };
  g_autoptr(GError) error = NULL;
  cairo_surface_t *surface;
  guint32 pixel;

  run_cli (&unwritable, "export", path, "-o", missing, NULL);
  assert_exit (&unwritable, 1);
  assert_contains (unwritable.err, "x.png");

  run_cli (&bad_theme, "export", path, "-o", dark, "--theme", "sepia", NULL);
  assert_exit (&bad_theme, 64);
  assert_contains (bad_theme.err, "--theme");

  run_cli (&themed, "export", path, "-o", dark, "--theme", "dark", NULL);
  assert_exit (&themed, 0);
  surface = cairo_image_surface_create_from_png (dark);
  g_assert_cmpint (cairo_surface_status (surface), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_flush (surface);
  /* The top left corner is the page's background. */
  pixel = *(guint32 *) cairo_image_surface_get_data (surface);
  g_assert_cmpuint (((pixel >> 16) & 0xff) + ((pixel >> 8) & 0xff) + (pixel & 0xff), <, 3 * 96);
  cairo_surface_destroy (surface);
  g_unlink (dark);
}
#endif

/* run --save, then the saved run drawn and written as JSON with no run. */
static void
test_save_round_trip (void)
{
  g_autofree char *path = write_fixture ("save.tvs", order_tvs);
  g_autofree char *tvt = g_build_filename (fixture_dir, "order.tvt", NULL);
  g_autofree char *png = g_build_filename (fixture_dir, "from-tvt.png", NULL);
  g_autofree char *json = g_build_filename (fixture_dir, "from-tvt.json", NULL);
  g_autofree char *contents = NULL;
  g_auto(CliResult) run = { 0 };
  g_auto(CliResult) to_png = { 0 };
  g_auto(CliResult) to_json = { 0 };

  run_cli (&run, "run", path, "--save", tvt, NULL);
  assert_exit (&run, 0);
  /* The printed lines still go to stdout, nothing else. */
  g_assert_cmpstr (run.out, ==, "first: a\nsecond: quote \" and back\\slash\nthird\n");
  assert_file_starts_with (tvt, "TVT\0", 4);

  run_cli (&to_png, "export", tvt, "-o", png, NULL);
  assert_exit (&to_png, 0);
  g_assert_cmpstr (to_png.err, ==, "");
  assert_file_starts_with (png, "\x89PNG\r\n\x1a\n", 8);

  run_cli (&to_json, "export", tvt, "-o", json, NULL);
  assert_exit (&to_json, 0);
  g_assert_true (g_file_get_contents (json, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "{\"traceEvents\":["));
  /* The threads by name and the printed lines, as the run had them. */
  assert_contains (contents, "\"thread_name\",\"args\":{\"name\":\"a\"}");
  assert_contains (contents, "\"thread_name\",\"args\":{\"name\":\"b\"}");
  assert_contains (contents, "\"text\":\"third\"");
  g_unlink (tvt);
  g_unlink (png);
  g_unlink (json);
}

/* A deadlocked run is saved too: showing it is the point. */
static void
test_save_deadlock (void)
{
  g_autofree char *path = write_fixture ("save-deadlock.tvs", deadlock_tvs);
  g_autofree char *tvt = g_build_filename (fixture_dir, "deadlock.tvt", NULL);
  g_autofree char *json = g_build_filename (fixture_dir, "deadlock.json", NULL);
  g_autofree char *contents = NULL;
  g_auto(CliResult) run = { 0 };
  g_auto(CliResult) export = { 0 };

  run_cli (&run, "run", path, "--save", tvt, NULL);
  assert_exit (&run, 2);
  run_cli (&export, "export", tvt, "-o", json, NULL);
  assert_exit (&export, 0);
  g_assert_true (g_file_get_contents (json, &contents, NULL, NULL));
  assert_contains (contents, "\"name\":\"deadlock\"");
  g_unlink (tvt);
  g_unlink (json);
}

static void
test_bad_trace (void)
{
  static const char header[] = "TVT\0\1\0\x40\0";
  g_autofree char *truncated = g_build_filename (fixture_dir, "truncated.tvt", NULL);
  g_autofree char *garbage = write_fixture ("garbage.tvt", "hello, I am not a trace\n");
  g_autofree char *json = write_fixture ("not-a-trace.json", "{\"foo\": 1}\n");
  g_autofree char *broken = write_fixture ("broken.json", "[\n{\"ph\":\"X\",}\n");
  g_autofree char *png = g_build_filename (fixture_dir, "never.png", NULL);
  const char *files[] = { truncated, garbage, json, broken };
  g_autoptr(GError) error = NULL;

  g_file_set_contents (truncated, header, sizeof header - 1, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_auto(CliResult) result = { 0 };
      g_autofree char *expected = g_strdup_printf ("threadviz: %s", files[i]);

      run_cli (&result, "export", files[i], "-o", png, NULL);
      assert_exit (&result, 1);
      /* One clear line naming the file, no crash, no picture. */
      g_assert_true (g_str_has_prefix (result.err, expected));
      g_assert_cmpint (strchr (result.err, '\n') - result.err, ==, strlen (result.err) - 1);
      g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
    }
}

/* A Chrome trace from elsewhere: drawn, and written back as JSON. */
static void
test_export_imported (void)
{
  g_autofree char *path = write_fixture ("other.json",
    "{\"traceEvents\":[\n"
    "{\"ph\":\"M\",\"pid\":7,\"tid\":1,\"name\":\"thread_name\",\"args\":{\"name\":\"renderer\"}},\n"
    "{\"ph\":\"X\",\"pid\":7,\"tid\":1,\"ts\":10,\"dur\":40,\"name\":\"paint\"},\n"
    "{\"ph\":\"B\",\"pid\":7,\"tid\":2,\"ts\":20,\"name\":\"decode\"},\n"
    "{\"ph\":\"E\",\"pid\":7,\"tid\":2,\"ts\":70},\n"
    "{\"ph\":\"i\",\"pid\":7,\"tid\":2,\"ts\":30,\"name\":\"hello\",\"s\":\"t\"}\n"
    "]}\n");
  g_autofree char *png = g_build_filename (fixture_dir, "imported.png", NULL);
  g_autofree char *json = g_build_filename (fixture_dir, "imported-again.json", NULL);
  g_autofree char *contents = NULL;
  g_auto(CliResult) to_png = { 0 };
  g_auto(CliResult) to_json = { 0 };

  run_cli (&to_png, "export", path, "-o", png, NULL);
  assert_exit (&to_png, 0);
  assert_file_starts_with (png, "\x89PNG\r\n\x1a\n", 8);

  run_cli (&to_json, "export", path, "-o", json, NULL);
  assert_exit (&to_json, 0);
  g_assert_true (g_file_get_contents (json, &contents, NULL, NULL));
  assert_contains (contents, "\"name\":\"renderer\"");
  assert_contains (contents, "\"name\":\"thread 2\"");
  /* paint: 10..50 µs, ns from the earliest event (10 µs). */
  assert_contains (contents, "\"ts\":0.000,\"dur\":40.000");
  g_unlink (png);
  g_unlink (json);
}

static void
remove_fixtures (void)
{
  g_autoptr(GDir) dir = g_dir_open (fixture_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture_dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (fixture_dir);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  threadviz = g_getenv ("THREADVIZ");
  if (threadviz == NULL || !g_file_test (threadviz, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("THREADVIZ must name the built threadviz binary (meson sets it)");

  fixture_dir = g_dir_make_tmp ("threadviz-cli-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/tv/cli/version", test_version);
  g_test_add_func ("/tv/cli/help", test_help);
  g_test_add_func ("/tv/cli/run/help", test_run_help);
  g_test_add_func ("/tv/cli/help/command", test_help_command);
  g_test_add_func ("/tv/cli/unknown-command", test_unknown_command);
  g_test_add_func ("/tv/cli/run/no-file", test_run_no_file);
  g_test_add_func ("/tv/cli/run/race", test_run_race);
  g_test_add_func ("/tv/cli/run/locked", test_run_locked);
  g_test_add_func ("/tv/cli/run/order", test_run_order);
  g_test_add_func ("/tv/cli/run/lesson", test_run_lesson);
  g_test_add_func ("/tv/cli/run/load-errors", test_load_errors);
  g_test_add_func ("/tv/cli/run/missing-file", test_missing_file);
  g_test_add_func ("/tv/cli/run/not-held", test_not_held);
  g_test_add_func ("/tv/cli/run/deadlock", test_deadlock);
  g_test_add_func ("/tv/cli/run/sigint", test_sigint);
  g_test_add_func ("/tv/cli/run/sigterm", test_sigterm);
  g_test_add_func ("/tv/cli/run/until", test_until);
  g_test_add_func ("/tv/cli/run/summary", test_summary);
  g_test_add_func ("/tv/cli/run/flat-out", test_flat_out);
  g_test_add_func ("/tv/cli/run/bad-speed", test_bad_speed);
  g_test_add_func ("/tv/cli/check", test_check);
#ifdef TV_WITH_EXPORT
  g_test_add_func ("/tv/cli/export/formats", test_export);
  g_test_add_func ("/tv/cli/export/output", test_export_output);
  g_test_add_func ("/tv/cli/export/deadlock", test_export_deadlock);
  g_test_add_func ("/tv/cli/export/range", test_export_range);
  g_test_add_func ("/tv/cli/export/usage", test_export_usage);
  g_test_add_func ("/tv/cli/save/round-trip", test_save_round_trip);
  g_test_add_func ("/tv/cli/save/deadlock", test_save_deadlock);
  g_test_add_func ("/tv/cli/export/bad-trace", test_bad_trace);
  g_test_add_func ("/tv/cli/export/imported", test_export_imported);
#endif

  status = g_test_run ();
  remove_fixtures ();
  g_free (fixture_dir);
  return status;
}
