/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-lessons.c: every shipped lesson in data/scenarios/ runs and teaches
 * what docs/lessons.md says it does.
 *
 * Each test loads the SHIPPED file (never a copy), runs it through the
 * engine at a speed factor, collects what it prints through a pipe and what
 * it records into a TvTrace, then checks the printed lines the lessons table
 * requires and the states, links and counters the timeline must show.
 *
 * Durations are checked only where the lesson prints them: those are
 * scenario time, measured by the scenario's own stopwatch, which the speed
 * factor does not change.
 *
 * A lesson whose run the engine refuses as unsupported (the error says
 * "unsupported", "not supported", "not implemented", or is
 * G_IO_ERROR_NOT_SUPPORTED) is skipped with that reason, so a feature that
 * an engine build leaves out turns the lesson off, and back on by itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-trace.h"

/* A run that has not ended after this much wall time is a hang. */
#define LESSON_WALL_LIMIT_US (120 * G_USEC_PER_SEC)

typedef struct
{
  TvScenario    *scenario;
  TvTrace       *trace;
  GPtrArray     *lines;          /* what the run printed, in order */
  TvRunStatus    status;
  TvRunErrorKind error_kind;
  char          *error_message;
} Lesson;

static void
lesson_free (Lesson *lesson)
{
  g_clear_pointer (&lesson->scenario, tv_scenario_unref);
  g_clear_object (&lesson->trace);
  g_clear_pointer (&lesson->lines, g_ptr_array_unref);
  g_free (lesson->error_message);
  g_free (lesson);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Lesson, lesson_free)

/* --- Running a lesson ------------------------------------------------- */

static char *
scenario_path (const char *file)
{
  const char *dir = g_getenv ("TV_SCENARIO_DIR");

  return g_build_filename (dir != NULL ? dir : TV_SCENARIO_DIR, file, NULL);
}

/*
 * Whether an error says the engine lacks a feature (rather than that the
 * scenario or the engine is wrong).  The engine may say so through the
 * GIO "not supported" code or in its message.
 */
static gboolean
says_unsupported (const GError *error,
                  const char   *message)
{
  static const char *const words[] = {
    "unsupported", "not supported", "not implemented", "not yet",
  };
  g_autofree char *lower = NULL;

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    return TRUE;
  if (message == NULL)
    return FALSE;

  lower = g_ascii_strdown (message, -1);
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strstr (lower, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

static void
skip_unsupported (const char *file,
                  const char *what)
{
  g_autofree char *reason =
    g_strdup_printf ("%s: the engine does not support it yet: %s", file, what);

  g_test_skip (reason);
}

/* Appends every complete line read from `fd` (non-blocking) to `lines`. */
static void
drain_pipe (int        fd,
            GString   *pending,
            GPtrArray *lines)
{
  char buffer[4096];
  ssize_t n;
  char *newline;

  while ((n = read (fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (pending, buffer, n);
  g_assert_true (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);

  while ((newline = memchr (pending->str, '\n', pending->len)) != NULL)
    {
      gsize length = newline - pending->str;

      g_ptr_array_add (lines, g_strndup (pending->str, length));
      g_string_erase (pending, 0, length + 1);
    }
}

/*
 * Runs data/scenarios/`file` at `speed` to its end.  Returns NULL, with the
 * test marked skipped, when the engine says it does not support what the
 * lesson uses.
 */
static Lesson *
lesson_run (const char *file,
            double      speed)
{
  g_autoptr (Lesson) lesson = g_new0 (Lesson, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (TvRun) run = NULL;
  g_autoptr (GString) pending = g_string_new (NULL);
  g_autofree char *path = scenario_path (file);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  TvRecorder *recorder;
  gint64 give_up;
  int fds[2];

  lesson->scenario = tv_scenario_load_file (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lesson->scenario);

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (fcntl (fds[0], F_SETFL, O_NONBLOCK), ==, 0);
  g_assert_cmpint (fcntl (fds[0], F_SETFD, FD_CLOEXEC), ==, 0);

  options.speed = speed;
  options.print_fd = fds[1];
  run = tv_run_new (lesson->scenario, &options, &error);
  if (run == NULL && says_unsupported (error, error->message))
    {
      skip_unsupported (file, error->message);
      close (fds[0]);
      close (fds[1]);
      return NULL;
    }
  g_assert_no_error (error);

  if (!tv_run_start (run, &error) && says_unsupported (error, error->message))
    {
      skip_unsupported (file, error->message);
      close (fds[0]);
      close (fds[1]);
      return NULL;
    }
  g_assert_no_error (error);

  lesson->trace = tv_trace_new ();
  lesson->lines = g_ptr_array_new_with_free_func (g_free);
  recorder = tv_run_get_recorder (run);
  give_up = g_get_monotonic_time () + LESSON_WALL_LIMIT_US;

  /* Drain while it runs: the rings are finite and the pipe too. */
  while (!tv_run_wait_timeout (run, 20))
    {
      tv_trace_drain (lesson->trace, recorder);
      drain_pipe (fds[0], pending, lesson->lines);
      if (g_get_monotonic_time () > give_up)
        {
          tv_run_stop (run);
          tv_run_wait (run);
          g_error ("%s did not end within %d s at speed %.1f", file,
                   (int) (LESSON_WALL_LIMIT_US / G_USEC_PER_SEC), speed);
        }
    }
  tv_trace_drain (lesson->trace, recorder);
  close (fds[1]);
  drain_pipe (fds[0], pending, lesson->lines);
  close (fds[0]);
  g_assert_cmpuint (pending->len, ==, 0);   /* every line ended with \n */

  lesson->status = tv_run_get_status (run);
  lesson->error_kind = tv_run_get_error_kind (run);
  lesson->error_message = g_strdup (tv_run_get_error_message (run));

  if (lesson->status == TV_RUN_FAILED && says_unsupported (NULL, lesson->error_message))
    {
      skip_unsupported (file, lesson->error_message);
      return NULL;
    }

  g_test_message ("%s at speed %.1f printed %u lines:", file, speed, lesson->lines->len);
  for (guint i = 0; i < lesson->lines->len; i++)
    g_test_message ("  %s", (const char *) lesson->lines->pdata[i]);
  if (lesson->error_message != NULL)
    g_test_message ("  error: %s", lesson->error_message);

  /* Nothing may be lost: the tests below count events. */
  g_assert_cmpuint (tv_trace_get_dropped (lesson->trace), ==, 0);
  g_assert_true (tv_trace_is_finished (lesson->trace));
  g_assert_cmpuint (tv_trace_get_run_status (lesson->trace), ==, lesson->status);

  return g_steal_pointer (&lesson);
}

/* Asserts that the run ended normally, showing the engine's error if not. */
static void
assert_finished (Lesson *lesson)
{
  g_assert_cmpstr (lesson->error_message, ==, NULL);
  g_assert_cmpint (lesson->error_kind, ==, TV_RUN_ERROR_NONE);
  g_assert_cmpint (lesson->status, ==, TV_RUN_FINISHED);
}

/* --- Looking at what it printed and recorded --------------------------- */

/* The index of the first line equal to `text` at or after `from`, or -1. */
static int
find_line_from (Lesson     *lesson,
                const char *text,
                guint       from)
{
  for (guint i = from; i < lesson->lines->len; i++)
    if (g_str_equal (lesson->lines->pdata[i], text))
      return i;
  return -1;
}

static int
find_line (Lesson     *lesson,
           const char *text)
{
  return find_line_from (lesson, text, 0);
}

/* The index of the only line equal to `text`; fails when there is not one. */
static guint
find_only_line (Lesson     *lesson,
                const char *text)
{
  int index = find_line (lesson, text);

  if (index < 0)
    g_error ("no line \"%s\" was printed", text);
  if (find_line_from (lesson, text, index + 1) >= 0)
    g_error ("the line \"%s\" was printed more than once", text);
  return index;
}

/* Lines starting with `prefix`, in order (borrowed strings). */
static GPtrArray *
lines_with_prefix (Lesson     *lesson,
                   const char *prefix)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < lesson->lines->len; i++)
    if (g_str_has_prefix (lesson->lines->pdata[i], prefix))
      g_ptr_array_add (found, lesson->lines->pdata[i]);
  return found;
}

/* Parses "PREFIX<seconds>s" and returns the seconds. */
static double
seconds_after (Lesson     *lesson,
               const char *prefix)
{
  g_autoptr (GPtrArray) found = lines_with_prefix (lesson, prefix);
  const char *rest;
  char *end = NULL;
  double seconds;

  if (found->len != 1)
    g_error ("expected one line starting with \"%s\", got %u", prefix, found->len);
  rest = (const char *) found->pdata[0] + strlen (prefix);
  seconds = g_ascii_strtod (rest, &end);
  g_assert_true (end != rest);
  g_assert_cmpstr (end, ==, "s");
  /* {t:.2f}: two digits after the point. */
  g_assert_nonnull (strchr (rest, '.'));
  g_assert_cmpuint (strlen (strchr (rest, '.')), ==, 4);
  return seconds;
}

static const TvTraceThread *
find_thread (Lesson     *lesson,
             const char *name)
{
  const TvTraceThread *thread = tv_trace_find_thread (lesson->trace, name);

  if (thread == NULL)
    g_error ("the trace has no thread named \"%s\"", name);
  return thread;
}

static const TvTraceObject *
find_object (Lesson     *lesson,
             const char *name)
{
  const TvTraceObject *object = tv_trace_find_object (lesson->trace, name);

  if (object == NULL)
    g_error ("the trace has no object named \"%s\"", name);
  return object;
}

static guint
count_objects_of_kind (Lesson      *lesson,
                       TvObjectKind kind)
{
  guint n = tv_trace_get_n_objects (lesson->trace);
  guint count = 0;

  /* Ids start at 1; allow for gaps. */
  for (guint32 id = 1; id <= n + 64; id++)
    {
      const TvTraceObject *object = tv_trace_get_object (lesson->trace, id);

      if (object != NULL && object->kind == kind)
        count++;
    }
  return count;
}

static gboolean
has_state (const TvTraceThread *thread,
           TvThreadState        state)
{
  for (guint i = 0; i < thread->spans->len; i++)
    if (g_array_index (thread->spans, TvSpan, i).state == state)
      return TRUE;
  return FALSE;
}

/* How long `thread` spent in `state`, in ns of scenario time. */
static gint64
time_in_state (Lesson              *lesson,
               const TvTraceThread *thread,
               TvThreadState        state)
{
  gint64 total = 0;

  for (guint i = 0; i < thread->spans->len; i++)
    {
      const TvSpan *span = &g_array_index (thread->spans, TvSpan, i);
      gint64 end;

      if (span->state != state)
        continue;
      if (i + 1 < thread->spans->len)
        end = g_array_index (thread->spans, TvSpan, i + 1).start;
      else if (thread->ended >= 0)
        end = thread->ended;
      else
        end = tv_trace_get_end_time (lesson->trace);
      total += end - span->start;
    }
  return total;
}

static guint
count_links (Lesson     *lesson,
             TvLinkKind  kind)
{
  GArray *links = tv_trace_get_links (lesson->trace);
  guint count = 0;

  for (guint i = 0; i < links->len; i++)
    if (g_array_index (links, TvLink, i).kind == kind)
      count++;
  return count;
}

/* The thread that printed `text` (the first time). */
static const TvTraceThread *
printer_of (Lesson     *lesson,
            const char *text)
{
  GArray *prints = tv_trace_get_prints (lesson->trace);

  for (guint i = 0; i < prints->len; i++)
    {
      const TvPrint *print = &g_array_index (prints, TvPrint, i);

      if (g_str_equal (print->text, text))
        return tv_trace_get_thread (lesson->trace, print->thread);
    }
  g_error ("the trace holds no print \"%s\"", text);
  return NULL;
}

/*
 * The thread's states in time order with repeats merged, starting with its
 * state when it was created (NEW for a declared thread that is not started
 * yet) and ending with TERMINATED when it has ended.
 */
static GArray *
state_sequence (const TvTraceThread *thread)
{
  GArray *states = g_array_new (FALSE, FALSE, sizeof (TvThreadState));
  TvThreadState state = tv_trace_thread_state_at (thread, thread->created);

#define PUSH(s) G_STMT_START {                                          \
    TvThreadState push_ = (s);                                          \
    if (states->len == 0                                                \
        || g_array_index (states, TvThreadState, states->len - 1) != push_) \
      g_array_append_val (states, push_);                               \
  } G_STMT_END

  PUSH (state);
  for (guint i = 0; i < thread->spans->len; i++)
    PUSH ((TvThreadState) g_array_index (thread->spans, TvSpan, i).state);
  if (thread->ended >= 0)
    PUSH (tv_trace_thread_state_at (thread, thread->ended));
#undef PUSH
  return states;
}

static char *
states_to_string (GArray *states)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < states->len; i++)
    g_string_append_printf (text, "%s%s", i ? " -> " : "",
                            tv_thread_state_to_string (g_array_index (states, TvThreadState, i)));
  return g_string_free (text, FALSE);
}

/* Whether `wanted` occurs in `states` in order (not necessarily adjacent). */
static gboolean
is_subsequence (const TvThreadState *wanted,
                guint                n_wanted,
                GArray              *states)
{
  guint next = 0;

  for (guint i = 0; i < states->len && next < n_wanted; i++)
    if (g_array_index (states, TvThreadState, i) == wanted[next])
      next++;
  return next == n_wanted;
}

/* --- 1. lifecycle.tvs ------------------------------------------------- */

static void
test_lifecycle (void)
{
  static const TvThreadState life[] = {
    TV_STATE_NEW, TV_STATE_RUNNING, TV_STATE_SLEEPING,
    TV_STATE_RUNNING, TV_STATE_TERMINATED,
  };
  g_autoptr (Lesson) lesson = lesson_run ("lifecycle.tvs", 10.0);
  const char *workers[] = { "worker-1", "worker-2" };
  const TvTraceThread *main_thread;
  guint main_starts, main_ends;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  /* Every thread, main included, says when it starts and when it ends. */
  g_assert_cmpuint (tv_trace_get_n_threads (lesson->trace), ==, 3);
  main_thread = printer_of (lesson, lesson->lines->pdata[0]);
  {
    g_autofree char *starts = g_strdup_printf ("%s starts", main_thread->name);
    g_autofree char *ends = g_strdup_printf ("%s ends", main_thread->name);

    main_starts = find_only_line (lesson, starts);
    main_ends = find_only_line (lesson, ends);
    g_assert_cmpuint (main_starts, ==, 0);
    g_assert_cmpuint (main_ends, ==, lesson->lines->len - 1);
  }
  g_assert_cmpuint (lesson->lines->len, ==, 6);

  for (guint w = 0; w < G_N_ELEMENTS (workers); w++)
    {
      g_autofree char *starts = g_strdup_printf ("%s starts", workers[w]);
      g_autofree char *ends = g_strdup_printf ("%s ends", workers[w]);
      const TvTraceThread *worker = find_thread (lesson, workers[w]);
      g_autoptr (GArray) states = state_sequence (worker);
      g_autofree char *seen = states_to_string (states);
      gboolean joined = FALSE;

      g_assert_cmpuint (find_only_line (lesson, starts), <, find_only_line (lesson, ends));
      g_assert_cmpuint (find_only_line (lesson, starts), >, main_starts);
      g_assert_cmpuint (find_only_line (lesson, ends), <, main_ends);

      /* It existed, new, for the half second before main started it. */
      g_assert_cmpint (worker->created, >=, 0);
      g_assert_cmpint (worker->started, >, worker->created);
      g_assert_cmpint (worker->ended, >, worker->started);
      g_assert_cmpint (tv_trace_thread_state_at (worker, (worker->created + worker->started) / 2),
                       ==, TV_STATE_NEW);

      g_test_message ("%s: %s", workers[w], seen);
      if (!is_subsequence (life, G_N_ELEMENTS (life), states))
        g_error ("%s went through %s, not new -> running -> sleeping -> running -> terminated",
                 workers[w], seen);
      g_assert_cmpint (time_in_state (lesson, worker, TV_STATE_SLEEPING), >=, G_GINT64_CONSTANT (1000000000));

      /* Main waited for it in join. */
      for (guint i = 0; i < main_thread->spans->len; i++)
        {
          const TvSpan *span = &g_array_index (main_thread->spans, TvSpan, i);

          if (span->state == TV_STATE_JOIN && span->aux == worker->index)
            joined = TRUE;
        }
      g_assert_true (joined);
    }
  g_assert_cmpuint (count_links (lesson, TV_LINK_JOIN), >=, 1);
  g_assert_cmpuint (count_links (lesson, TV_LINK_START), ==, 2);
}

/* --- 2. start-new-thread.tvs ------------------------------------------ */

static void
test_start_new_thread (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("start-new-thread.tvs", 5.0);
  g_autoptr (GPtrArray) every_second = NULL;
  g_autoptr (GPtrArray) every_two = NULL;
  const TvTraceThread *main_thread;
  const TvTraceThread *child_1;
  const TvTraceThread *child_2;
  g_autofree char *returned = NULL;
  g_autofree char *done = NULL;
  guint first_child_line = G_MAXUINT;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  g_assert_cmpuint (lesson->lines->len, ==, 8);
  g_assert_true (g_str_has_suffix (lesson->lines->pdata[0], ": start_new_thread returned at once"));
  main_thread = printer_of (lesson, lesson->lines->pdata[0]);
  returned = g_strdup_printf ("%s: start_new_thread returned at once", main_thread->name);
  done = g_strdup_printf ("%s: done", main_thread->name);

  /* main's line comes first: spawn returned before any child printed. */
  g_assert_cmpuint (find_only_line (lesson, returned), ==, 0);
  g_assert_cmpuint (find_only_line (lesson, done), ==, lesson->lines->len - 1);

  /* The two children run beside main, each on its own thread. */
  for (guint i = 0; i < lesson->lines->len; i++)
    if (strstr (lesson->lines->pdata[i], ": tick ") != NULL)
      first_child_line = MIN (first_child_line, i);
  g_assert_cmpuint (first_child_line, >, 0);

  every_second = g_ptr_array_new ();
  every_two = g_ptr_array_new ();
  for (guint i = 0; i < lesson->lines->len; i++)
    {
      const char *line = lesson->lines->pdata[i];

      if (g_str_has_suffix (line, "(every second)"))
        g_ptr_array_add (every_second, (gpointer) line);
      else if (g_str_has_suffix (line, "(every two seconds)"))
        g_ptr_array_add (every_two, (gpointer) line);
    }
  g_assert_cmpuint (every_second->len, ==, 3);
  g_assert_cmpuint (every_two->len, ==, 3);
  child_1 = printer_of (lesson, every_second->pdata[0]);
  child_2 = printer_of (lesson, every_two->pdata[0]);
  g_assert_true (child_1 != main_thread);
  g_assert_true (child_2 != main_thread);
  g_assert_true (child_1 != child_2);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *tick_1 = g_strdup_printf ("%s: tick %u (every second)", child_1->name, i + 1);
      g_autofree char *tick_2 = g_strdup_printf ("%s: tick %u (every two seconds)", child_2->name, i + 1);

      g_assert_cmpstr (every_second->pdata[i], ==, tick_1);
      g_assert_cmpstr (every_two->pdata[i], ==, tick_2);
    }
  /* The first child ticks at 1, 2, 3 s, the second at 2, 4, 6 s: the
   * first child's third tick comes before the second child's last. */
  g_assert_cmpint (find_line (lesson, every_second->pdata[2]), <,
                   find_line (lesson, every_two->pdata[2]));

  /* Both were started by main (a start arrow from main into each), and
   * main never waits for them: start_new_thread gives nothing to join. */
  g_assert_cmpuint (count_links (lesson, TV_LINK_START), ==, 2);
  {
    GArray *links = tv_trace_get_links (lesson->trace);

    for (guint i = 0; i < links->len; i++)
      {
        const TvLink *link = &g_array_index (links, TvLink, i);

        if (link->kind != TV_LINK_START)
          continue;
        g_assert_cmpuint (link->from_thread, ==, main_thread->index);
        g_assert_true (link->to_thread == child_1->index || link->to_thread == child_2->index);
      }
  }
  g_assert_false (has_state (main_thread, TV_STATE_JOIN));
}

/* --- 3. threading-api.tvs --------------------------------------------- */

static void
test_threading_api (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("threading-api.tvs", 5.0);
  const TvTraceThread *t1;
  guint three, one, alive, alive_after_timeout, dead;
  int enumerate;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  /* current_thread().getName() and setName(). */
  find_only_line (lesson, "t1 starts: current_thread().getName() is t1");
  find_only_line (lesson, "after setName: current_thread().getName() is downloader");
  find_only_line (lesson, "downloader ends");
  find_only_line (lesson, "t2 starts");
  find_only_line (lesson, "t2 ends");

  /* active_count() with main and both threads, then after the joins. */
  three = find_only_line (lesson, "active threads: 3");
  one = find_only_line (lesson, "active threads: 1");
  g_assert_cmpuint (three, <, one);

  /* enumerate() lists the live threads, t1 under its new name. */
  enumerate = -1;
  for (guint i = 0; i < lesson->lines->len; i++)
    if (g_str_has_prefix (lesson->lines->pdata[i], "enumerate(): "))
      enumerate = i;
  g_assert_cmpint (enumerate, >, (int) three);
  g_assert_nonnull (strstr (lesson->lines->pdata[enumerate], "downloader"));
  g_assert_nonnull (strstr (lesson->lines->pdata[enumerate], "t2"));

  /* is_alive(): True before the join, still True after join(1) timed out,
   * False after the real join. */
  alive = find_only_line (lesson, "t1.is_alive(): True");
  alive_after_timeout = find_only_line (lesson, "after t1.join(1): t1.is_alive(): True");
  dead = find_only_line (lesson, "after the joins: t1.is_alive(): False");
  g_assert_cmpuint (alive, <, alive_after_timeout);
  g_assert_cmpuint (alive_after_timeout, <, find_only_line (lesson, "downloader ends"));
  g_assert_cmpuint (find_only_line (lesson, "downloader ends"), <, dead);
  g_assert_cmpuint (dead, <, one);

  /* The rename is in the trace: the row shows the new name. */
  t1 = find_thread (lesson, "downloader");
  g_assert_cmpstr (t1->initial_name, ==, "t1");
  g_assert_cmpstr (t1->name, ==, "downloader");
  g_assert_cmpuint (t1->renames->len, ==, 1);
  g_assert_cmpstr (g_array_index (t1->renames, TvRename, 0).name, ==, "downloader");
  g_assert_true (find_thread (lesson, "t1") == t1);
}

/* --- 4. custom-thread.tvs --------------------------------------------- */

static void
test_custom_thread (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("custom-thread.tvs", 10.0);
  const TvTraceThread *sleepy;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  g_assert_cmpuint (lesson->lines->len, ==, 2);
  g_assert_cmpstr (lesson->lines->pdata[0], ==, "The main program continues to run in the foreground.");
  g_assert_cmpstr (lesson->lines->pdata[1], ==, "Hello from Thread");

  sleepy = find_thread (lesson, "Sleepy");
  g_assert_true (printer_of (lesson, "Hello from Thread") == sleepy);
  g_assert_true (has_state (sleepy, TV_STATE_SLEEPING));
  g_assert_cmpint (time_in_state (lesson, sleepy, TV_STATE_SLEEPING), >=, 5 * G_GINT64_CONSTANT (1000000000));
}

/* --- 5. producer-consumer.tvs ----------------------------------------- */

#define N_ITEMS 10
#define CAPACITY 3

static void
test_producer_consumer (void)
{
  /* At real speed: the producer finds the queue full 100 ms of scenario
   * time before the consumer comes back for the next item, a margin that
   * a speed factor would divide (at 5x a wake-up 20 ms late on a loaded
   * machine left the queue never full). */
  g_autoptr (Lesson) lesson = lesson_run ("producer-consumer.tvs", 1.0);
  g_autoptr (GPtrArray) produced = NULL;
  g_autoptr (GPtrArray) consumed = NULL;
  const TvTraceThread *producer;
  const TvTraceThread *consumer;
  const TvTraceObject *queue;
  GArray *links;
  gint64 max_depth = 0;
  guint item_links = 0;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  /* Every item produced is consumed, in order. */
  produced = lines_with_prefix (lesson, "produced ");
  consumed = lines_with_prefix (lesson, "consumed ");
  g_assert_cmpuint (produced->len, ==, N_ITEMS);
  g_assert_cmpuint (consumed->len, ==, N_ITEMS);
  for (guint i = 0; i < N_ITEMS; i++)
    {
      g_autofree char *p = g_strdup_printf ("produced %u", i + 1);
      g_autofree char *c = g_strdup_printf ("consumed %u", i + 1);

      g_assert_cmpstr (produced->pdata[i], ==, p);
      g_assert_cmpstr (consumed->pdata[i], ==, c);
    }

  /* One put -> get arrow per item, from the producer to the consumer. */
  producer = find_thread (lesson, "producer");
  consumer = find_thread (lesson, "consumer");
  queue = find_object (lesson, "q");
  g_assert_cmpint (queue->kind, ==, TV_OBJ_QUEUE);
  links = tv_trace_get_links (lesson->trace);
  for (guint i = 0; i < links->len; i++)
    {
      const TvLink *link = &g_array_index (links, TvLink, i);

      if (link->kind != TV_LINK_ITEM)
        continue;
      item_links++;
      g_assert_cmpuint (link->object, ==, queue->id);
      g_assert_cmpuint (link->from_thread, ==, producer->index);
      g_assert_cmpuint (link->to_thread, ==, consumer->index);
      g_assert_cmpint (link->from_time, <=, link->to_time);
    }
  g_assert_cmpuint (item_links, ==, N_ITEMS);

  /* The queue filled up to its capacity and never beyond, and ended empty. */
  g_assert_cmpuint (queue->depth->len, >=, 2 * N_ITEMS);
  for (guint i = 0; i < queue->depth->len; i++)
    {
      const TvCounterPoint *point = &g_array_index (queue->depth, TvCounterPoint, i);

      g_assert_cmpint (point->value, >=, 0);
      g_assert_cmpint (point->value, <=, CAPACITY);
      max_depth = MAX (max_depth, point->value);
    }
  g_assert_cmpint (max_depth, ==, CAPACITY);
  g_assert_cmpint (g_array_index (queue->depth, TvCounterPoint, queue->depth->len - 1).value, ==, 0);

  /* The producer blocked on the full queue, the consumer on the empty one. */
  g_assert_true (has_state (producer, TV_STATE_QUEUE_FULL));
  g_assert_true (has_state (consumer, TV_STATE_QUEUE_EMPTY));
  for (guint i = 0; i < producer->spans->len; i++)
    {
      const TvSpan *span = &g_array_index (producer->spans, TvSpan, i);

      if (span->state == TV_STATE_QUEUE_FULL)
        g_assert_cmpuint (span->object, ==, queue->id);
    }
}

/* --- 6. gil-io.tvs ---------------------------------------------------- */

/*
 * `gil on` shows as a GIL object in the trace.  (Before the engine had the
 * GIL, these lessons were skipped on its "unsupported" error; a GIL that
 * silently disappears now is a regression, not a missing feature.)
 */
static void
assert_gil_emulated (Lesson *lesson)
{
  g_assert_true (lesson->scenario->gil);
  g_assert_cmpuint (count_objects_of_kind (lesson, TV_OBJ_GIL), >, 0);
}

static void
test_gil_io (void)
{
  /* At real speed: every thread start-up and wake-up on a loaded machine
   * costs wall time, which a speed factor would multiply into scenario
   * time, and the tolerance is only 0.05 s. */
  g_autoptr (Lesson) lesson = lesson_run ("gil-io.tvs", 1.0);
  double one, four;

  if (lesson == NULL)
    return;
  assert_finished (lesson);
  assert_gil_emulated (lesson);

  g_assert_cmpuint (lesson->lines->len, ==, 2);
  one = seconds_after (lesson, "One run took ");
  four = seconds_after (lesson, "Four runs took ");
  g_test_message ("one run %.2f s, four runs %.2f s (scenario time)", one, four);
  g_assert_cmpfloat_with_epsilon (one, 2.0, 0.05 + 1e-9);
  g_assert_cmpfloat_with_epsilon (four, 2.0, 0.05 + 1e-9);

  /* The four waits were on I/O, side by side. */
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("worker-%u", i);
      const TvTraceThread *worker = find_thread (lesson, name);

      g_assert_cmpint (time_in_state (lesson, worker, TV_STATE_IO), >=, G_GINT64_CONSTANT (2000000000));
    }
}

/* --- 7. gil-cpu.tvs --------------------------------------------------- */

static void
test_gil_cpu (void)
{
  /* Every GIL hand-over costs a wake-up: a low speed keeps that small. */
  g_autoptr (Lesson) lesson = lesson_run ("gil-cpu.tvs", 2.0);
  const TvTraceObject *gil = NULL;
  double one, four;
  guint holders = 0;

  if (lesson == NULL)
    return;
  assert_finished (lesson);
  assert_gil_emulated (lesson);

  for (guint32 id = 1; id <= tv_trace_get_n_objects (lesson->trace) + 64; id++)
    {
      const TvTraceObject *object = tv_trace_get_object (lesson->trace, id);

      if (object != NULL && object->kind == TV_OBJ_GIL)
        gil = object;
    }
  g_assert_nonnull (gil);

  /* Where the time goes when the four runs take longer than 8 s: the GIL
   * lies free between a release and the next acquire (the hand-over). */
  {
    gint64 idle = 0, longest = 0;

    for (guint h = 1; h < gil->holds->len; h++)
      {
        const TvHold *prev = &g_array_index (gil->holds, TvHold, h - 1);
        const TvHold *hold = &g_array_index (gil->holds, TvHold, h);

        if (prev->end >= 0 && hold->start > prev->end)
          {
            idle += hold->start - prev->end;
            longest = MAX (longest, hold->start - prev->end);
          }
      }
    g_test_message ("GIL: %u holds, free for %.3f s in all between holds, %.3f ms at most",
                    gil->holds->len, idle / 1e9, longest / 1e6);
    for (guint t = 0; t < tv_trace_get_n_threads (lesson->trace); t++)
      {
        const TvTraceThread *thread = tv_trace_get_thread (lesson->trace, t);
        gint64 held = 0;
        guint n = 0;

        if (thread == NULL)
          continue;
        for (guint h = 0; h < gil->holds->len; h++)
          {
            const TvHold *hold = &g_array_index (gil->holds, TvHold, h);

            if (hold->thread == thread->index && hold->end >= 0)
              {
                held += hold->end - hold->start;
                n++;
              }
          }
        g_test_message ("  %s held the GIL %u times, %.3f s in all; started %.3f ended %.3f",
                        thread->name, n, held / 1e9, thread->started / 1e9, thread->ended / 1e9);
      }
  }

  g_assert_cmpuint (lesson->lines->len, ==, 2);
  one = seconds_after (lesson, "One run took ");
  four = seconds_after (lesson, "Four runs took ");
  g_test_message ("one run %.2f s, four runs %.2f s (scenario time)", one, four);
  g_assert_cmpfloat_with_epsilon (one, 2.0, 2.0 * 0.05);
  g_assert_cmpfloat_with_epsilon (four, 8.0, 8.0 * 0.05);

  /* Each worker waited for the GIL while the others held it, and held it
   * in many slices, not once. */
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("worker-%u", i);
      const TvTraceThread *worker = find_thread (lesson, name);
      guint slices = 0;

      gint64 longest_wait = 0;

      g_assert_true (has_state (worker, TV_STATE_GIL_WAIT));
      g_assert_cmpint (time_in_state (lesson, worker, TV_STATE_GIL_WAIT), >=, G_GINT64_CONSTANT (4000000000));

      /* They take turns: none waits for long while the others share the
       * GIL (a second is 200 switch intervals, far from CPython's 5 ms
       * turns, but it catches a thread left out). */
      for (guint s = 0; s + 1 < worker->spans->len; s++)
        {
          const TvSpan *span = &g_array_index (worker->spans, TvSpan, s);

          if (span->state == TV_STATE_GIL_WAIT)
            longest_wait = MAX (longest_wait,
                                g_array_index (worker->spans, TvSpan, s + 1).start - span->start);
        }
      g_test_message ("%s waited %.3f s for the GIL at most in one go", name, longest_wait / 1e9);
      g_assert_cmpint (longest_wait, <, G_GINT64_CONSTANT (1000000000));
      for (guint h = 0; h < gil->holds->len; h++)
        if (g_array_index (gil->holds, TvHold, h).thread == worker->index)
          slices++;
      g_assert_cmpuint (slices, >=, 10);
      holders++;
    }
  g_assert_cmpuint (holders, ==, 4);
}

/* --- 8. processes.tvs ------------------------------------------------- */

/* Main's process and the `n` children each show as a process object. */
static void
assert_processes_run (Lesson *lesson,
                      guint   n)
{
  g_assert_cmpuint (count_objects_of_kind (lesson, TV_OBJ_PROCESS), >=, n + 1);
}

static void
test_processes (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("processes.tvs", 10.0);
  g_autoptr (GPtrArray) pids = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  gint64 values[4];

  if (lesson == NULL)
    return;
  assert_finished (lesson);
  assert_processes_run (lesson, 4);

  /* Four lines "Pid is N", four different N, none of them ours (main runs
   * in this process). */
  pids = lines_with_prefix (lesson, "Pid is ");
  g_assert_cmpuint (pids->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      const char *digits = (const char *) pids->pdata[i] + strlen ("Pid is ");
      guint64 pid = 0;

      g_assert_true (g_ascii_string_to_unsigned (digits, 10, 1, G_MAXINT32, &pid, NULL));
      values[i] = pid;
      g_assert_cmpint (values[i], !=, getpid ());
      g_assert_false (g_hash_table_contains (seen, &values[i]));
      g_hash_table_add (seen, &values[i]);
    }
  g_assert_true (g_str_has_prefix (lesson->lines->pdata[lesson->lines->len - 1], "Four processes took "));

  /* The children's threads carry those pids in the trace. */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("child-%u", i + 1);
      const TvTraceThread *child = find_thread (lesson, name);

      g_assert_cmpint (child->pid, !=, getpid ());
      g_assert_true (g_hash_table_contains (seen, &child->pid));
      g_assert_cmpuint (child->process, !=, 0);
    }
}

/* --- 9. shared-state.tvs ---------------------------------------------- */

static void
test_shared_state (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("shared-state.tvs", 10.0);
  g_autoptr (GPtrArray) children = NULL;

  if (lesson == NULL)
    return;
  assert_finished (lesson);
  assert_processes_run (lesson, 4);

  g_assert_cmpstr (lesson->lines->pdata[lesson->lines->len - 1], ==,
                   "plain_num is 0, shared_num is 4");
  find_only_line (lesson, "plain_num is 0, shared_num is 4");

  /* Each child saw its own copy of plain_num go to 1, and, in its turn
   * on the lock, the shared value go up by one. */
  children = lines_with_prefix (lesson, "in child ");
  g_assert_cmpuint (children->len, ==, 4);
  for (guint i = 0; i < children->len; i++)
    {
      g_autofree char *tail = g_strdup_printf (": plain_num is 1, shared_num is %u", i + 1);

      g_assert_true (g_str_has_suffix (children->pdata[i], tail));
    }

  /* The four processes held the lock in turn, one at a time. */
  {
    const TvTraceObject *lock = find_object (lesson, "num_lock");

    g_assert_cmpuint (lock->holds->len, ==, 4);
    for (guint h = 1; h < lock->holds->len; h++)
      g_assert_cmpint (g_array_index (lock->holds, TvHold, h).start, >=,
                       g_array_index (lock->holds, TvHold, h - 1).end);
  }
}

/* --- 10. lock-sync.tvs ------------------------------------------------ */

static void
test_lock_sync (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("lock-sync.tvs", 5.0);
  const TvTraceThread *thread1;
  const TvTraceThread *thread2;
  const TvTraceObject *lock;
  GArray *links;
  guint held, free_, unblocks = 0;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  /* acquire(0) says False at once while a thread holds the lock, True
   * once it is free. */
  held = find_only_line (lesson, "threadLock.acquire(0) while a thread holds it: False");
  free_ = find_only_line (lesson, "threadLock.acquire(0) once it is free: True");
  g_assert_cmpuint (held, <, free_);
  g_assert_cmpuint (find_only_line (lesson, "Exiting Main Thread"), ==, lesson->lines->len - 1);
  find_only_line (lesson, "Starting thread1");
  find_only_line (lesson, "Starting thread2");

  /* One thread printed all three lines before the other printed any. */
  {
    g_autoptr (GPtrArray) ones = lines_with_prefix (lesson, "thread1: ");
    g_autoptr (GPtrArray) twos = lines_with_prefix (lesson, "thread2: ");
    int last_one, first_two, last_two, first_one;

    g_assert_cmpuint (ones->len, ==, 3);
    g_assert_cmpuint (twos->len, ==, 3);
    first_one = find_line (lesson, ones->pdata[0]);
    last_one = find_line (lesson, ones->pdata[2]);
    first_two = find_line (lesson, twos->pdata[0]);
    last_two = find_line (lesson, twos->pdata[2]);
    g_assert_true (last_one < first_two || last_two < first_one);
  }

  /* The waiter was blocked on threadLock, and the release unblocked it. */
  thread1 = find_thread (lesson, "thread1");
  thread2 = find_thread (lesson, "thread2");
  lock = find_object (lesson, "threadLock");
  g_assert_true (has_state (thread1, TV_STATE_LOCK) || has_state (thread2, TV_STATE_LOCK));
  links = tv_trace_get_links (lesson->trace);
  for (guint i = 0; i < links->len; i++)
    {
      const TvLink *link = &g_array_index (links, TvLink, i);

      if (link->kind != TV_LINK_UNBLOCK || link->object != lock->id)
        continue;
      g_assert_true ((link->from_thread == thread1->index && link->to_thread == thread2->index)
                     || (link->from_thread == thread2->index && link->to_thread == thread1->index));
      unblocks++;
    }
  g_assert_cmpuint (unblocks, ==, 1);

  /* thread1, thread2 and main (its successful acquire(0)) held it in turn. */
  g_assert_cmpuint (lock->holds->len, ==, 3);
}

/* --- 11. race.tvs ----------------------------------------------------- */

static void
test_race (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("race.tvs", 1.0);
  const TvTraceObject *counter;
  const char *unlocked;
  const char *prefix = "without a lock: counter = ";
  g_autoptr (GPtrArray) found = NULL;
  guint64 total = 0;
  char *end = NULL;
  guint reads = 0, writes = 0;

  if (lesson == NULL)
    return;
  assert_finished (lesson);

  g_assert_cmpuint (lesson->lines->len, ==, 2);
  find_only_line (lesson, "with a lock: counter = 2000");

  /* The unlocked total is printed as it came out: at most 2000 (none
   * lost), and at least 2 (a thread preempted between its read and its
   * write can undo any number of the other's updates). */
  found = lines_with_prefix (lesson, prefix);
  g_assert_cmpuint (found->len, ==, 1);
  unlocked = (const char *) found->pdata[0] + strlen (prefix);
  total = g_ascii_strtoull (unlocked, &end, 10);
  g_assert_cmpstr (end, ==, " (expected 2000)");
  g_assert_cmpuint (total, >=, 2);
  g_assert_cmpuint (total, <=, 2000);
  g_test_message ("without a lock the counter came out at %" G_GUINT64_FORMAT, total);

  /* Every read and write of counter is on its row. */
  counter = find_object (lesson, "counter");
  for (guint i = 0; i < counter->accesses->len; i++)
    {
      if (g_array_index (counter->accesses, TvAccess, i).write)
        writes++;
      else
        reads++;
    }
  g_assert_cmpuint (reads, >=, 4000);
  g_assert_cmpuint (writes, >=, 4000);
}

/* --- 12. deadlock.tvs ------------------------------------------------- */

/* The line of the statement that takes `nth` (1-based) lock in `body`. */
static guint
nth_lock_line (const TvBlock *block,
               guint         *nth)
{
  for (guint i = 0; i < block->n_stmts; i++)
    {
      const TvStmt *stmt = &block->stmts[i];
      guint line;

      if (stmt->kind == TV_STMT_WITH || stmt->kind == TV_STMT_ACQUIRE)
        if (--*nth == 0)
          return stmt->location.line;
      if (stmt->body != NULL && (line = nth_lock_line (stmt->body, nth)) != 0)
        return line;
    }
  return 0;
}

static guint
blocking_line (Lesson     *lesson,
               const char *body_name)
{
  for (guint b = 0; b < lesson->scenario->n_bodies; b++)
    {
      const TvBodyDecl *body = &lesson->scenario->bodies[b];
      guint nth = 2;

      if (g_str_equal (body->name, body_name))
        return nth_lock_line (body->block, &nth);
    }
  g_error ("no body %s", body_name);
  return 0;
}

static void
test_deadlock (void)
{
  g_autoptr (Lesson) lesson = lesson_run ("deadlock.tvs", 2.0);
  const TvTraceThread *first;
  const TvTraceThread *second;
  const TvTraceObject *lock_a;
  const TvTraceObject *lock_b;
  GArray *problems;
  guint first_line, second_line, members = 0;
  g_autofree char *first_at = NULL;
  g_autofree char *second_at = NULL;

  if (lesson == NULL)
    return;

  /* The run stops, failed, with a deadlock. */
  g_assert_cmpint (lesson->status, ==, TV_RUN_FAILED);
  g_assert_cmpint (lesson->error_kind, ==, TV_RUN_ERROR_DEADLOCK);
  g_assert_nonnull (lesson->error_message);
  g_assert_cmpuint (lesson->lines->len, ==, 0);

  /* The report names both threads, both locks and both lines. */
  first_line = blocking_line (lesson, "first");
  second_line = blocking_line (lesson, "second");
  g_assert_cmpuint (first_line, >, 0);
  g_assert_cmpuint (second_line, >, first_line);
  first_at = g_strdup_printf ("deadlock.tvs:%u", first_line);
  second_at = g_strdup_printf ("deadlock.tvs:%u", second_line);
  g_assert_nonnull (strstr (lesson->error_message, "first"));
  g_assert_nonnull (strstr (lesson->error_message, "second"));
  g_assert_nonnull (strstr (lesson->error_message, "lock_a"));
  g_assert_nonnull (strstr (lesson->error_message, "lock_b"));
  g_assert_nonnull (strstr (lesson->error_message, first_at));
  g_assert_nonnull (strstr (lesson->error_message, second_at));

  /* The trace holds the cycle: first waits for lock_b held by second,
   * second for lock_a held by first, at those lines. */
  first = find_thread (lesson, "first");
  second = find_thread (lesson, "second");
  lock_a = find_object (lesson, "lock_a");
  lock_b = find_object (lesson, "lock_b");
  problems = tv_trace_get_problems (lesson->trace);
  for (guint i = 0; i < problems->len; i++)
    {
      const TvProblem *problem = &g_array_index (problems, TvProblem, i);

      if (!problem->deadlock)
        continue;
      members++;
      if (problem->thread == first->index)
        {
          g_assert_cmpuint (problem->object, ==, lock_b->id);
          g_assert_cmpuint (problem->holder, ==, second->index);
          g_assert_cmpuint (problem->line, ==, first_line);
        }
      else
        {
          g_assert_cmpuint (problem->thread, ==, second->index);
          g_assert_cmpuint (problem->object, ==, lock_a->id);
          g_assert_cmpuint (problem->holder, ==, first->index);
          g_assert_cmpuint (problem->line, ==, second_line);
        }
    }
  g_assert_cmpuint (members, ==, 2);

  /* Both rows end blocked on the lock the other holds. */
  g_assert_true (has_state (first, TV_STATE_LOCK));
  g_assert_true (has_state (second, TV_STATE_LOCK));
}

/* --- Every lesson is a valid file with a title and an about ------------ */

static const char *const lesson_files[] = {
  "lifecycle.tvs", "start-new-thread.tvs", "threading-api.tvs",
  "custom-thread.tvs", "producer-consumer.tvs", "gil-io.tvs", "gil-cpu.tvs",
  "processes.tvs", "shared-state.tvs", "lock-sync.tvs", "race.tvs",
  "deadlock.tvs",
};

static void
test_all_load (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (lesson_files); i++)
    {
      g_autofree char *path = scenario_path (lesson_files[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) diagnostics = NULL;
      g_autoptr (TvScenario) scenario = tv_scenario_load_file (path, &diagnostics, &error);
      g_autofree char *base = NULL;

      g_assert_no_error (error);
      g_assert_nonnull (scenario);
      g_assert_nonnull (diagnostics);
      g_assert_cmpuint (diagnostics->len, ==, 0);

      /* A real title, not the file name the parser falls back to. */
      base = g_strndup (lesson_files[i], strlen (lesson_files[i]) - strlen (".tvs"));
      g_assert_nonnull (scenario->title);
      g_assert_cmpstr (scenario->title, !=, base);
      g_assert_nonnull (scenario->about);
      g_assert_cmpuint (strlen (scenario->about), >, 20);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/lessons/all-load", test_all_load);
  g_test_add_func ("/tv/lessons/lifecycle", test_lifecycle);
  g_test_add_func ("/tv/lessons/start-new-thread", test_start_new_thread);
  g_test_add_func ("/tv/lessons/threading-api", test_threading_api);
  g_test_add_func ("/tv/lessons/custom-thread", test_custom_thread);
  g_test_add_func ("/tv/lessons/producer-consumer", test_producer_consumer);
  g_test_add_func ("/tv/lessons/gil-io", test_gil_io);
  g_test_add_func ("/tv/lessons/gil-cpu", test_gil_cpu);
  g_test_add_func ("/tv/lessons/processes", test_processes);
  g_test_add_func ("/tv/lessons/shared-state", test_shared_state);
  g_test_add_func ("/tv/lessons/lock-sync", test_lock_sync);
  g_test_add_func ("/tv/lessons/race", test_race);
  g_test_add_func ("/tv/lessons/deadlock", test_deadlock);

  return g_test_run ();
}
