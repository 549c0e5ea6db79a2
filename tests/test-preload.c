/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-preload.c: real, unmodified programs under `threadviz trace` (the
 * LD_PRELOAD tracer of core/preload/): C fixtures built by meson and Python
 * 3 versions of the tutorial's examples.  Each case runs the program twice,
 * without and with the tracer, checks that its output and exit status are
 * the same, and asserts what the saved trace holds.
 *
 * Environment (tests/meson.build): THREADVIZ, THREADVIZ_PRELOAD,
 * TV_PRELOAD_FIXTURES (the built C fixtures), TV_PYTHON_FIXTURES and
 * PYTHON3 (empty when there is none: the Python cases skip).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tv-capture-reader.h"
#include "tv-recorder-fd.h"
#include "tv-run.h"
#include "tv-trace.h"

typedef struct
{
  char    *out;        /* stdout */
  char    *err;        /* stderr */
  int      status;     /* exit status, 128 + signal when killed */
  TvTrace *trace;      /* the saved trace (traced runs only) */
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  g_clear_object (&run->trace);
}

static char *tmp_dir;

static const char *
fixture (const char *name)
{
  static char path[4096];

  g_snprintf (path, sizeof path, "%s/preload-%s", g_getenv ("TV_PRELOAD_FIXTURES"), name);
  return path;
}

static int
exit_status (int wait_status)
{
  if (WIFSIGNALED (wait_status))
    return 128 + WTERMSIG (wait_status);
  return WEXITSTATUS (wait_status);
}

/* Runs argv, traced or not; loads the trace of a traced run. */
static void
run_program_with (const char * const *options,
                  const char * const *argv,
                  gboolean            traced,
                  Run                *run)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *output = g_build_filename (tmp_dir, "run.tvt", NULL);
  int wait_status = 0;

  memset (run, 0, sizeof *run);
  if (traced)
    {
      g_ptr_array_add (args, g_strdup (g_getenv ("THREADVIZ")));
      g_ptr_array_add (args, g_strdup ("trace"));
      g_ptr_array_add (args, g_strdup ("-o"));
      g_ptr_array_add (args, g_strdup (output));
      for (guint i = 0; options != NULL && options[i] != NULL; i++)
        g_ptr_array_add (args, g_strdup (options[i]));
      g_ptr_array_add (args, g_strdup ("--"));
      g_unlink (output);
    }
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (args, g_strdup (argv[i]));
  g_ptr_array_add (args, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &run->out, &run->err, &wait_status, &error));
  g_assert_no_error (error);
  run->status = exit_status (wait_status);

  if (traced && g_file_test (output, G_FILE_TEST_EXISTS))
    {
      run->trace = tv_capture_load (output, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
    }
}

static void
run_program (const char * const *argv,
             gboolean            traced,
             Run                *run)
{
  run_program_with (NULL, argv, traced, run);
}

/* Runs argv untraced then traced: same stdout, same status. */
static void
run_both (const char * const *argv,
          Run                *traced)
{
  Run plain;

  run_program (argv, FALSE, &plain);
  run_program (argv, TRUE, traced);
  g_assert_cmpstr (traced->out, ==, plain.out);
  g_assert_cmpint (traced->status, ==, plain.status);
  g_assert_nonnull (traced->trace);
  run_clear (&plain);
}

static const TvTraceThread *
thread_named (TvTrace    *trace,
              const char *name)
{
  const TvTraceThread *thread = tv_trace_find_thread (trace, name);

  if (thread == NULL)
    g_error ("no thread named %s in the trace", name);
  return thread;
}

static guint
count_spans (const TvTraceThread *thread,
             TvThreadState        state,
             guint32              object)
{
  guint n = 0;

  for (guint i = 0; i < thread->spans->len; i++)
    {
      const TvSpan *span = &g_array_index (thread->spans, TvSpan, i);

      if (span->state == state && (object == 0 || span->object == object))
        n++;
    }
  return n;
}

static const TvSpan *
last_span (const TvTraceThread *thread)
{
  g_assert_cmpuint (thread->spans->len, >, 0);
  return &g_array_index (thread->spans, TvSpan, thread->spans->len - 1);
}

static guint
count_links (TvTrace   *trace,
             TvLinkKind kind,
             guint32    from,
             guint32    to)
{
  GArray *links = tv_trace_get_links (trace);
  guint n = 0;

  for (guint i = 0; i < links->len; i++)
    {
      const TvLink *link = &g_array_index (links, TvLink, i);

      if (link->kind == kind && (from == TV_NO_THREAD || link->from_thread == from)
          && (to == TV_NO_THREAD || link->to_thread == to))
        n++;
    }
  return n;
}

/* The distinct pids of the trace's threads. */
static guint
count_processes (TvTrace *trace)
{
  g_autoptr(GHashTable) pids = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < tv_trace_get_n_threads (trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);

      if (thread != NULL && thread->pid > 0)
        g_hash_table_add (pids, (gpointer) &thread->pid);
    }
  return g_hash_table_size (pids);
}

/* --- The recorder in a memfd ------------------------------------------------ */

static void
test_recorder_fd (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "not-a-recorder", NULL);
  _Atomic uint32_t hint = 0;
  TvRecorder *recorder;
  void *extra = NULL, *again = NULL;
  TvEvent event = { .time = 5, .kind = TV_EV_THREAD_EXIT };
  int fd = -1, other;
  pid_t pid;
  int wait_status;

  recorder = tv_recorder_new_in_fd (3, 4, 256, 100, &fd, &extra);
  g_assert_nonnull (recorder);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (((guint8 *) extra)[99], ==, 0);

  /* Rings are claimed once each, in order, and then there are none. */
  g_assert_cmpint (tv_recorder_claim_ring (recorder, &hint), ==, 0);
  g_assert_cmpint (tv_recorder_claim_ring (recorder, &hint), ==, 1);
  g_assert_cmpint (tv_recorder_claim_ring (recorder, NULL), ==, 2);
  g_assert_cmpint (tv_recorder_claim_ring (recorder, &hint), ==, -1);

  /* Attached again in the same process, at another address: the same
   * rings (the recorder holds offsets, not pointers). */
  {
    void *extra2 = NULL;
    TvRecorder *second = tv_recorder_attach_fd (fd, &extra2, NULL);

    g_assert_nonnull (second);
    g_assert_true (second != recorder);
    g_assert_true (tv_ring_emit (tv_recorder_get_ring (second, 2), &event));
    g_assert_cmpuint (atomic_load (&tv_recorder_get_ring (recorder, 2)->head), ==, 1);
    g_assert_cmpint (tv_ring_events (tv_recorder_get_ring (recorder, 2))[0].time, ==, 5);
    tv_recorder_detach (second, extra2);
  }

  /* A file that is not one is refused. */
  g_assert_true (g_file_set_contents (path, "not a recorder, not at all, no", -1, NULL));
  other = open (path, O_RDWR);
  g_assert_cmpint (other, >=, 0);
  g_assert_null (tv_recorder_attach_fd (other, &again, NULL));
  g_assert_cmpint (errno, ==, EINVAL);
  close (other);

  /* A child that unmapped it maps the file back and records into the same
   * rings. */
  pid = fork ();
  if (pid == 0)
    {
      TvRecorder *attached;
      size_t extra_size = 0;

      tv_recorder_detach (recorder, extra);
      attached = tv_recorder_attach_fd (fd, &again, &extra_size);
      if (attached == NULL || extra_size < 100)
        _exit (1);
      ((guint8 *) again)[0] = 42;
      _exit (tv_ring_emit (tv_recorder_get_ring (attached, 1), &event) ? 0 : 2);
    }
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_assert_true (WIFEXITED (wait_status));
  g_assert_cmpint (WEXITSTATUS (wait_status), ==, 0);
  g_assert_cmpuint (((guint8 *) extra)[0], ==, 42);
  g_assert_cmpuint (atomic_load (&tv_recorder_get_ring (recorder, 1)->head), ==, 1);
  g_assert_cmpint (tv_ring_events (tv_recorder_get_ring (recorder, 1))[0].time, ==, 5);

  tv_recorder_detach (recorder, extra);
  close (fd);
}

/* --- C programs ------------------------------------------------------------ */

static void
test_mutex_race (void)
{
  const char *argv[] = { fixture ("mutex-race"), NULL };
  const TvTraceThread *a, *b, *main_thread;
  const TvTraceObject *lock;
  Run run;

  run_both (argv, &run);
  g_assert_cmpstr (run.out, ==, "counter = 4000\n");
  g_assert_cmpint (run.status, ==, 0);

  a = thread_named (run.trace, "adder-a");
  b = thread_named (run.trace, "adder-b");
  /* The first thread is the program's main thread, named after the
   * program as the kernel keeps it (15 bytes). */
  main_thread = tv_trace_get_thread (run.trace, 0);
  g_assert_cmpstr (main_thread->name, ==, "preload-mutex-r");
  g_assert_cmpint (a->pid, ==, main_thread->pid);
  g_assert_cmpint (a->tid, !=, b->tid);
  g_assert_cmpint (a->started, >=, 0);
  g_assert_cmpint (a->ended, >=, a->started);

  /* Named after its variable (the fixture exports its symbols); every
   * lock/unlock pair of both threads is one hold. */
  lock = tv_trace_find_object (run.trace, "counter_lock");
  g_assert_nonnull (lock);
  g_assert_cmpint (lock->kind, ==, TV_OBJ_LOCK);
  g_assert_cmpuint (lock->holds->len, ==, 4000);
  g_assert_cmpuint (tv_trace_get_dropped (run.trace), ==, 0);

  /* main started both and joined both. */
  g_assert_cmpuint (count_links (run.trace, TV_LINK_START, main_thread->index, a->index), ==, 1);
  g_assert_cmpuint (count_links (run.trace, TV_LINK_JOIN, a->index, main_thread->index), ==, 1);
  g_assert_cmpuint (count_spans (main_thread, TV_STATE_JOIN, 0), ==, 2);
  g_assert_true (tv_trace_is_finished (run.trace));
  g_assert_cmpuint (tv_trace_get_run_status (run.trace), ==, TV_RUN_FINISHED);
  run_clear (&run);
}

static void
test_condvar_queue (void)
{
  const char *argv[] = { fixture ("condvar-queue"), NULL };
  const TvTraceThread *consumer;
  const TvTraceObject *not_empty, *lock;
  Run run;

  run_both (argv, &run);
  g_assert_cmpstr (run.out, ==, "got 1\ngot 2\ngot 3\ngot 4\ngot 5\n");

  /* Named by prctl (PR_SET_NAME) and by pthread_setname_np. */
  thread_named (run.trace, "producer");
  consumer = thread_named (run.trace, "consumer");
  not_empty = tv_trace_find_object (run.trace, "not_empty");
  lock = tv_trace_find_object (run.trace, "queue_lock");
  g_assert_nonnull (not_empty);
  g_assert_nonnull (lock);
  g_assert_cmpint (not_empty->kind, ==, TV_OBJ_CONDITION);

  /* The producer sleeps before each item, so the consumer waits on an
   * empty queue, is woken by the producer's signal, and the producer
   * sleeps (usleep). */
  g_assert_cmpuint (count_spans (consumer, TV_STATE_CONDITION, not_empty->id), >=, 1);
  g_assert_cmpuint (count_links (run.trace, TV_LINK_WAKE, thread_named (run.trace, "producer")->index,
                                 consumer->index), >=, 1);
  g_assert_cmpuint (count_spans (thread_named (run.trace, "producer"), TV_STATE_SLEEPING, 0), ==, 5);
  run_clear (&run);
}

static void
test_deadlock (void)
{
  g_autofree char *output = g_build_filename (tmp_dir, "deadlock.tvt", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autofree char *line = NULL;
  const TvTraceThread *left, *right;
  const TvTraceObject *lock_a, *lock_b;
  GArray *problems;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              g_getenv ("THREADVIZ"), "trace", "-o", output, "--",
                              fixture ("deadlock"), NULL);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "waiting");

  /* Both threads hold one lock and block on the other a few microseconds
   * after the barrier; give them ample time, then stop it as a user would:
   * `threadviz trace` passes the signal on and saves what it saw. */
  g_usleep (G_USEC_PER_SEC / 2);
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 128 + SIGTERM);

  trace = tv_capture_load (output, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  left = thread_named (trace, "left");
  right = thread_named (trace, "right");
  lock_a = tv_trace_find_object (trace, "lock_a");
  lock_b = tv_trace_find_object (trace, "lock_b");
  g_assert_nonnull (lock_a);
  g_assert_nonnull (lock_b);

  /* Each ends blocked on the lock the other holds... */
  g_assert_cmpint (last_span (left)->state, ==, TV_STATE_LOCK);
  g_assert_cmpuint (last_span (left)->object, ==, lock_b->id);
  g_assert_cmpint (last_span (right)->state, ==, TV_STATE_LOCK);
  g_assert_cmpuint (last_span (right)->object, ==, lock_a->id);
  g_assert_cmpint (left->ended, <, 0);

  /* ...which is reported as a deadlock, as for a scenario. */
  problems = tv_trace_get_problems (trace);
  g_assert_cmpuint (problems->len, ==, 2);
  for (guint i = 0; i < problems->len; i++)
    {
      const TvProblem *problem = &g_array_index (problems, TvProblem, i);

      g_assert_true (problem->deadlock);
      if (problem->thread == left->index)
        {
          g_assert_cmpuint (problem->object, ==, lock_b->id);
          g_assert_cmpuint (problem->holder, ==, right->index);
        }
      else
        {
          g_assert_cmpuint (problem->thread, ==, right->index);
          g_assert_cmpuint (problem->holder, ==, left->index);
        }
    }
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, TV_RUN_FAILED);
}

/* The cycle of a deadlock: each of `a` and `b` blocked on what the other
 * holds, reported as two TV_EV_DEADLOCK. */
static void
assert_deadlock (TvTrace             *trace,
                 const TvTraceThread *a,
                 const TvTraceThread *b)
{
  GArray *problems = tv_trace_get_problems (trace);

  g_assert_cmpuint (problems->len, ==, 2);
  for (guint i = 0; i < problems->len; i++)
    {
      const TvProblem *problem = &g_array_index (problems, TvProblem, i);
      const TvTraceThread *waiter = problem->thread == a->index ? a : b;
      const TvTraceThread *holder = waiter == a ? b : a;

      g_assert_true (problem->deadlock);
      g_assert_cmpuint (problem->thread, ==, waiter->index);
      g_assert_cmpuint (problem->holder, ==, holder->index);
      g_assert_cmpint (last_span (waiter)->state, ==,
                       tv_trace_get_object (trace, problem->object)->kind == TV_OBJ_LOCK
                       ? TV_STATE_LOCK : TV_STATE_SEMAPHORE);
      g_assert_cmpuint (last_span (waiter)->object, ==, problem->object);
    }
  g_assert_cmpuint (tv_trace_get_run_status (trace), ==, TV_RUN_FAILED);
}

static void
test_deadlock_stop (void)
{
  const char *options[] = { "--stop-on-deadlock", NULL };
  const char *argv[] = { fixture ("deadlock"), NULL };
  Run run;

  /* No timer in the test: threadviz sees the cycle stand still and stops
   * the program itself, with the status of a deadlock (2). */
  run_program_with (options, argv, TRUE, &run);
  g_assert_cmpstr (run.out, ==, "waiting\n");
  g_assert_cmpint (run.status, ==, 2);
  g_assert_cmpstr (run.err, ==, "threadviz trace: deadlock: the program was stopped\n");
  assert_deadlock (run.trace, thread_named (run.trace, "left"), thread_named (run.trace, "right"));
  run_clear (&run);
}

static void
test_fork (void)
{
  const char *argv[] = { fixture ("fork"), NULL };
  const TvTraceThread *parent;
  guint helpers = 0, children = 0;
  Run run;

  run_both (argv, &run);
  g_assert_cmpstr (run.out, ==, "child 0 done\nchild 1 done\nparent done\n");
  g_assert_cmpuint (count_processes (run.trace), ==, 3);

  parent = tv_trace_get_thread (run.trace, 0);
  for (guint i = 0; i < tv_trace_get_n_threads (run.trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (run.trace, i);

      if (thread == NULL || thread->pid == parent->pid)
        continue;
      if (g_str_equal (thread->name, "child-helper"))
        {
          helpers++;
          /* A child's thread holds the child's copy of the lock. */
          g_assert_cmpuint (count_links (run.trace, TV_LINK_START, TV_NO_THREAD, i), ==, 1);
        }
      else
        {
          /* A child's main thread: forked by the parent's, ended by _exit. */
          children++;
          g_assert_cmpint (thread->tid, ==, thread->pid);
          g_assert_cmpuint (count_links (run.trace, TV_LINK_START, parent->index, i), ==, 1);
          g_assert_cmpint (thread->ended, >=, thread->started);
        }
    }
  g_assert_cmpuint (helpers, ==, 2);
  g_assert_cmpuint (children, ==, 2);
  g_assert_cmpuint (tv_trace_find_object (run.trace, "child_lock")->holds->len, ==, 2);
  run_clear (&run);
}

static void
test_exit_status (void)
{
  const char *exit3[] = { "/bin/sh", "-c", "echo out; exit 3", NULL };
  const char *killed[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
  Run run;

  run_both (exit3, &run);
  g_assert_cmpstr (run.out, ==, "out\n");
  g_assert_cmpint (run.status, ==, 3);
  g_assert_cmpuint (tv_trace_get_run_status (run.trace), ==, TV_RUN_FAILED);
  run_clear (&run);

  run_both (killed, &run);
  g_assert_cmpint (run.status, ==, 128 + SIGKILL);
  run_clear (&run);
}

static void
test_exec (void)
{
  const char *argv[] = { "/bin/sh", "-c", "/bin/echo a; exec /bin/echo b", NULL };
  const TvTraceThread *main_thread;
  Run run;

  run_both (argv, &run);
  g_assert_cmpstr (run.out, ==, "a\nb\n");

  /* The shell forked a child that ran echo; then the shell itself became
   * echo: the same thread, renamed, not a thread that never ends. */
  g_assert_cmpuint (count_processes (run.trace), ==, 2);
  main_thread = tv_trace_get_thread (run.trace, 0);
  g_assert_cmpstr (main_thread->initial_name, ==, "sh");
  g_assert_cmpstr (main_thread->name, ==, "echo");
  g_assert_cmpint (main_thread->ended, >=, 0);
  run_clear (&run);
}

static void
test_export (void)
{
  g_autofree char *json = g_build_filename (tmp_dir, "race.json", NULL);
  g_autofree char *png = g_build_filename (tmp_dir, "race.png", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  const char *json_options[] = { "--export", json, NULL };
  const char *png_options[] = { "--export", png, NULL };
  const char *argv[] = { fixture ("mutex-race"), NULL };
  gsize length = 0;
  Run run;

  /* Chrome JSON: always there; the threads by name. */
  run_program_with (json_options, argv, TRUE, &run);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "counter = 4000\n");
  g_assert_true (json_parser_load_from_file (parser, json, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (json, &contents, &length, NULL));
  g_assert_nonnull (strstr (contents, "\"adder-a\""));
  g_assert_nonnull (strstr (contents, "counter_lock"));
  run_clear (&run);
  g_clear_pointer (&contents, g_free);

  /* PNG, where this build has the renderer. */
  run_program_with (png_options, argv, TRUE, &run);
  if (strstr (run.err, "exports .json only") != NULL)
    {
      g_assert_cmpint (run.status, ==, 2);
      run_clear (&run);
      return;
    }
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_file_get_contents (png, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 8);
  g_assert_cmpint (memcmp (contents, "\x89PNG\r\n\x1a\n", 8), ==, 0);
  run_clear (&run);
}

static void
test_refused (void)
{
  g_autofree char *setuid_copy = g_build_filename (tmp_dir, "setuid-race", NULL);
  g_autofree char *contents = NULL;
  gsize length;
  const char *static_argv[] = { fixture ("static"), NULL };
  const char *setuid_argv[] = { setuid_copy, NULL };
  const char *missing_argv[] = { "threadviz-no-such-command", NULL };
  Run run;

  if (g_file_test (fixture ("static"), G_FILE_TEST_EXISTS))
    {
      run_program (static_argv, TRUE, &run);
      g_assert_cmpint (run.status, ==, 127);
      g_assert_cmpstr (run.out, ==, "");
      g_assert_nonnull (strstr (run.err, "is statically linked"));
      g_assert_null (run.trace);
      run_clear (&run);
    }

  g_assert_true (g_file_get_contents (fixture ("mutex-race"), &contents, &length, NULL));
  g_assert_true (g_file_set_contents (setuid_copy, contents, (gssize) length, NULL));
  g_assert_cmpint (g_chmod (setuid_copy, 04755), ==, 0);
  run_program (setuid_argv, TRUE, &run);
  g_assert_cmpint (run.status, ==, 127);
  g_assert_nonnull (strstr (run.err, "is set-user-ID"));
  run_clear (&run);

  run_program (missing_argv, TRUE, &run);
  g_assert_cmpint (run.status, ==, 127);
  g_assert_cmpstr (run.err, ==, "threadviz trace: threadviz-no-such-command: command not found\n");
  run_clear (&run);
}

/* Children started without fork(): system() and popen() (libc's internal
 * posix_spawn) and posix_spawnp(); each is drawn started by the thread
 * that started it. */
static void
test_spawn (void)
{
  const char *argv[] = { fixture ("spawn"), NULL };
  const TvTraceThread *main_thread;
  guint children = 0;
  Run run;

  run_both (argv, &run);
  g_assert_cmpstr (run.out, ==, "from system\nfrom popen\nfrom posix_spawn\n");
  g_assert_cmpint (run.status, ==, 0);

  g_assert_cmpuint (count_processes (run.trace), ==, 4);
  main_thread = tv_trace_get_thread (run.trace, 0);
  for (guint i = 1; i < tv_trace_get_n_threads (run.trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (run.trace, i);

      g_assert_cmpint (thread->pid, !=, main_thread->pid);
      g_assert_cmpuint (count_links (run.trace, TV_LINK_START, main_thread->index, i), ==, 1);
      children++;
    }
  g_assert_cmpuint (children, ==, 3);
  g_assert_nonnull (tv_trace_find_thread (run.trace, "echo"));
  run_clear (&run);
}

/* A lock first used while another thread holds the dynamic loader's lock
 * (a library's constructor in dlopen() waits for that thread): naming it
 * must not wait for the loader (dladdr would, and the program would
 * deadlock; the fixture's alarm then kills it).  Names come from the
 * symbol tables: a static variable, a dlopen()ed library's, the code. */
static void
test_loader_lock (void)
{
  g_autofree char *library = g_strdup_printf ("%s/libpreload-loader-lock-lib.so",
                                              g_getenv ("TV_PRELOAD_FIXTURES"));
  const char *argv[] = { fixture ("loader-lock"), library, NULL };
  const TvTraceObject *fresh = NULL;
  Run run;

  run_both (argv, &run);
  g_assert_cmpstr (run.out, ==, "loaded\n");
  g_assert_cmpint (run.status, ==, 0);

  g_assert_nonnull (tv_trace_find_object (run.trace, "static_lock"));
  g_assert_nonnull (tv_trace_find_object (run.trace, "library_lock"));
  g_assert_nonnull (tv_trace_find_object (run.trace, "constructor_running"));
  /* The heap mutex: its id and the function that first locked it. */
  for (guint id = 1; fresh == NULL && id <= tv_trace_get_n_objects (run.trace); id++)
    {
      const TvTraceObject *object = tv_trace_get_object (run.trace, id);

      if (object != NULL && object->kind == TV_OBJ_LOCK
          && g_str_has_prefix (object->name, "mutex ") && strstr (object->name, " (helper+0x") != NULL)
        fresh = object;
    }
  g_assert_nonnull (fresh);
  g_assert_cmpuint (fresh->holds->len, ==, 1);
  run_clear (&run);
}

/* --- Python ---------------------------------------------------------------- */

/* The real interpreter (not a wrapper script), or NULL: skip. */
static const char *
python (void)
{
  static char *path;
  const char *env = g_getenv ("PYTHON3");

  if (path == NULL && env != NULL && env[0] != '\0')
    {
      const char *argv[] = { env, "-c", "import sys; print(sys.executable)", NULL };
      Run run;

      run_program (argv, FALSE, &run);
      if (run.status == 0)
        path = g_strstrip (g_strdup (run.out));
      run_clear (&run);
    }
  if (path == NULL)
    g_test_skip ("no python3");
  return path;
}

static char *
python_fixture (const char *name)
{
  return g_build_filename (g_getenv ("TV_PYTHON_FIXTURES"), name, NULL);
}

static const TvTraceObject *
find_gil (TvTrace *trace)
{
  for (guint id = 1; id <= tv_trace_get_n_objects (trace); id++)
    {
      const TvTraceObject *object = tv_trace_get_object (trace, id);

      if (object != NULL && object->kind == TV_OBJ_GIL)
        return object;
    }
  return NULL;
}

/* The threads of the traced command's own process (not its children). */
static GPtrArray *
python_threads (TvTrace *trace)
{
  GPtrArray *threads = g_ptr_array_new ();
  const TvTraceThread *first = tv_trace_get_thread (trace, 0);

  for (guint i = 0; i < tv_trace_get_n_threads (trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (trace, i);

      if (thread != NULL && thread->pid == first->pid)
        g_ptr_array_add (threads, (gpointer) thread);
    }
  return threads;
}

static void
test_python_threads (void)
{
  const char *py = python ();
  g_autofree char *script = python_fixture ("threads.py");
  g_autoptr(GPtrArray) threads = NULL;
  const TvTraceObject *gil;
  Run run;

  if (py == NULL)
    return;
  {
    const char *argv[] = { py, script, NULL };

    run_both (argv, &run);
  }
  g_assert_cmpstr (run.out, ==, "worker-1 joined\nworker-2 joined\nworker-3 joined\n");

  /* The main thread and three workers, each started and ended, each
   * sleeping once; the GIL recognised and held by all four. */
  threads = python_threads (run.trace);
  g_assert_cmpuint (threads->len, ==, 4);
  gil = find_gil (run.trace);
  g_assert_nonnull (gil);
  g_assert_cmpstr (gil->name, ==, "GIL");
  for (guint i = 0; i < threads->len; i++)
    {
      const TvTraceThread *thread = threads->pdata[i];
      gboolean held = FALSE;

      g_assert_cmpint (thread->ended, >=, 0);
      for (guint h = 0; h < gil->holds->len && !held; h++)
        held = g_array_index (gil->holds, TvHold, h).thread == thread->index;
      g_assert_true (held);
      if (i > 0)
        g_assert_cmpuint (count_spans (thread, TV_STATE_SLEEPING, 0), >=, 1);
    }
  run_clear (&run);
}

static void
test_python_queue (void)
{
  const char *py = python ();
  g_autofree char *script = python_fixture ("queue_pc.py");
  g_autoptr(GPtrArray) threads = NULL;
  guint waits = 0;
  Run run;

  if (py == NULL)
    return;
  {
    const char *argv[] = { py, script, NULL };

    run_both (argv, &run);
  }
  g_assert_cmpstr (run.out, ==, "consumed 0\nconsumed 1\nconsumed 2\nconsumed 3\n"
                                "consumed 4\nconsumed 5\n");
  threads = python_threads (run.trace);
  g_assert_cmpuint (threads->len, ==, 3);

  /* queue.Queue waits on a threading.Condition, whose waiters block on a
   * threading.Lock: a semaphore (CPython's thread_pthread.h).  The
   * producer fills the two slots faster than the consumer empties them. */
  for (guint i = 1; i < threads->len; i++)
    waits += count_spans (threads->pdata[i], TV_STATE_SEMAPHORE, 0);
  g_assert_cmpuint (waits, >=, 1);
  run_clear (&run);
}

/* The GIL's holds by `thread`, in time order. */
static GArray *
gil_holds_of (const TvTraceObject *gil,
              guint32              thread)
{
  GArray *holds = g_array_new (FALSE, FALSE, sizeof (TvHold));

  for (guint h = 0; h < gil->holds->len; h++)
    if (g_array_index (gil->holds, TvHold, h).thread == thread)
      g_array_append_val (holds, g_array_index (gil->holds, TvHold, h));
  return holds;
}

typedef struct
{
  gint64 start, end;
} Stretch;

/* The stretches of time in which `thread` is drawn running, clipped to
 * [from, to). */
static GArray *
running_stretches (const TvTraceThread *thread,
                   gint64               from,
                   gint64               to)
{
  GArray *stretches = g_array_new (FALSE, FALSE, sizeof (Stretch));

  for (guint i = 0; i < thread->spans->len; i++)
    {
      const TvSpan *span = &g_array_index (thread->spans, TvSpan, i);
      gint64 end = i + 1 < thread->spans->len
                   ? g_array_index (thread->spans, TvSpan, i + 1).start : G_MAXINT64;
      Stretch stretch = { MAX (span->start, from), MIN (end, to) };

      if (span->state == TV_STATE_RUNNING && stretch.start < stretch.end)
        g_array_append_val (stretches, stretch);
    }
  return stretches;
}

static void
test_python_gil (void)
{
  const char *py = python ();
  g_autofree char *script = python_fixture ("gil.py");
  g_autoptr(GPtrArray) threads = NULL;
  g_autoptr(GPtrArray) lives = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  const TvTraceObject *gil;
  guint unblocked = 0, handovers = 0, not_waiting = 0, both_running = 0;
  guint32 last_worker = TV_NO_THREAD;
  Run run;

  if (py == NULL)
    return;
  {
    const char *argv[] = { py, script, NULL };

    run_both (argv, &run);
  }
  g_assert_cmpstr (run.out, ==, "four runs counted 8000000\n");
  threads = python_threads (run.trace);
  g_assert_cmpuint (threads->len, ==, 5);
  gil = find_gil (run.trace);
  g_assert_nonnull (gil);
  g_assert_cmpstr (gil->name, ==, "GIL");

  /* One holder at a time, and the four workers take turns: a forced
   * switch hands the GIL to another thread, so a worker's hold is mostly
   * followed by another worker's. */
  for (guint h = 0; h < gil->holds->len; h++)
    {
      const TvHold *hold = &g_array_index (gil->holds, TvHold, h);

      if (h > 0)
        g_assert_cmpint (hold->start, >=, g_array_index (gil->holds, TvHold, h - 1).end);
      if (hold->thread == ((const TvTraceThread *) threads->pdata[0])->index)
        continue;
      if (last_worker != TV_NO_THREAD && hold->thread != last_worker)
        handovers++;
      last_worker = hold->thread;
    }
  g_assert_cmpuint (handovers, >=, 8);

  for (guint i = 1; i < threads->len; i++)
    {
      const TvTraceThread *thread = threads->pdata[i];
      g_autoptr(GArray) holds = gil_holds_of (gil, thread->index);
      Stretch life;

      /* Every worker waits for the GIL, holds it several times, and is let
       * in by the thread that dropped it. */
      g_assert_cmpuint (count_spans (thread, TV_STATE_GIL_WAIT, gil->id), >=, 1);
      g_assert_cmpuint (holds->len, >=, 2);
      unblocked += count_links (run.trace, TV_LINK_UNBLOCK, TV_NO_THREAD, thread->index);

      /* Asked to drop it, a worker waits for it again from the very drop:
       * never drawn running without it.  (Its last drop is its exit.)  One
       * drop in the whole run may be a voluntary one, right before the
       * worker blocks on a lock of its own. */
      for (guint h = 0; h + 1 < holds->len; h++)
        {
          const TvHold *hold = &g_array_index (holds, TvHold, h);

          g_assert_cmpint (tv_trace_thread_state_at (thread, hold->start), ==, TV_STATE_RUNNING);
          if (tv_trace_thread_state_at (thread, hold->end) != TV_STATE_GIL_WAIT)
            not_waiting++;
        }

      /* Its life with the GIL: from its first take to its last drop (it
       * runs without the GIL before the one and after the other). */
      life.start = g_array_index (holds, TvHold, 0).start;
      life.end = g_array_index (holds, TvHold, holds->len - 1).end;
      g_ptr_array_add (lives, running_stretches (thread, life.start, life.end));
    }
  g_assert_cmpuint (not_waiting, <=, 1);
  g_assert_cmpuint (unblocked, >=, 4);

  /* So no two workers are drawn running at once (but around that one
   * drop, while it lasts). */
  for (guint a = 0; a < lives->len; a++)
    for (guint b = a + 1; b < lives->len; b++)
      {
        GArray *one = lives->pdata[a], *other = lives->pdata[b];

        for (guint i = 0; i < one->len; i++)
          for (guint j = 0; j < other->len; j++)
            {
              const Stretch *x = &g_array_index (one, Stretch, i);
              const Stretch *y = &g_array_index (other, Stretch, j);

              if (MAX (x->start, y->start) < MIN (x->end, y->end))
                both_running++;
            }
      }
  g_assert_cmpuint (both_running, <=, 3 * not_waiting);
  run_clear (&run);
}

static void
test_python_multiprocessing (void)
{
  const char *py = python ();
  g_autofree char *script = python_fixture ("mp_value.py");
  const TvTraceThread *main_thread;
  guint forked = 0;
  Run run;

  if (py == NULL)
    return;
  {
    const char *argv[] = { py, script, NULL };

    run_both (argv, &run);
  }
  g_assert_cmpstr (run.out, ==, "total 150\n");

  /* Three worker processes, each forked by the main thread. */
  g_assert_cmpuint (count_processes (run.trace), ==, 4);
  main_thread = tv_trace_get_thread (run.trace, 0);
  for (guint i = 0; i < tv_trace_get_n_threads (run.trace); i++)
    {
      const TvTraceThread *thread = tv_trace_get_thread (run.trace, i);

      if (thread != NULL && thread->pid != main_thread->pid && thread->tid == thread->pid
          && count_links (run.trace, TV_LINK_START, main_thread->index, i) == 1)
        forked++;
    }
  g_assert_cmpuint (forked, ==, 3);
  run_clear (&run);
}

static void
test_python_subprocess (void)
{
  const char *py = python ();
  const TvTraceThread *main_thread, *child;
  Run run;

  if (py == NULL)
    return;
  {
    const char *argv[] = { py, "-c", "import subprocess; subprocess.run(['/bin/echo', 'child'])", NULL };

    run_both (argv, &run);
  }
  g_assert_cmpstr (run.out, ==, "child\n");

  /* subprocess starts the child with vfork() + exec: the child's echo is
   * a process of its own, and Python's main thread stays itself. */
  g_assert_cmpuint (count_processes (run.trace), ==, 2);
  main_thread = tv_trace_get_thread (run.trace, 0);
  g_assert_cmpstr (main_thread->name, ==, main_thread->initial_name);
  child = tv_trace_find_thread (run.trace, "echo");
  g_assert_nonnull (child);
  g_assert_cmpint (child->pid, !=, main_thread->pid);
  /* Started by Python's main thread, though not by fork(). */
  g_assert_cmpuint (count_links (run.trace, TV_LINK_START, main_thread->index, child->index), ==, 1);
  run_clear (&run);
}

static void
test_python_deadlock (void)
{
  const char *py = python ();
  g_autofree char *script = python_fixture ("deadlock.py");
  const char *options[] = { "--stop-on-deadlock", NULL };
  g_autoptr(GPtrArray) threads = NULL;
  GArray *problems;
  Run run;

  if (py == NULL)
    return;
  {
    const char *argv[] = { py, script, NULL };

    run_program_with (options, argv, TRUE, &run);
  }
  g_assert_cmpstr (run.out, ==, "waiting\n");
  g_assert_cmpint (run.status, ==, 2);
  threads = python_threads (run.trace);
  g_assert_cmpuint (threads->len, ==, 3);

  /* threading.Lock is a semaphore: the cycle goes through two of them. */
  assert_deadlock (run.trace, threads->pdata[1], threads->pdata[2]);
  problems = tv_trace_get_problems (run.trace);
  g_assert_cmpint (tv_trace_get_object (run.trace, g_array_index (problems, TvProblem, 0).object)->kind,
                   ==, TV_OBJ_SEMAPHORE);
  run_clear (&run);
}

int
main (int    argc,
      char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("test-preload-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  g_test_add_func ("/tv/preload/recorder-fd", test_recorder_fd);
  g_test_add_func ("/tv/preload/mutex-race", test_mutex_race);
  g_test_add_func ("/tv/preload/condvar-queue", test_condvar_queue);
  g_test_add_func ("/tv/preload/deadlock", test_deadlock);
  g_test_add_func ("/tv/preload/deadlock-stop", test_deadlock_stop);
  g_test_add_func ("/tv/preload/fork", test_fork);
  g_test_add_func ("/tv/preload/exit-status", test_exit_status);
  g_test_add_func ("/tv/preload/exec", test_exec);
  g_test_add_func ("/tv/preload/export", test_export);
  g_test_add_func ("/tv/preload/refused", test_refused);
  g_test_add_func ("/tv/preload/spawn", test_spawn);
  g_test_add_func ("/tv/preload/loader-lock", test_loader_lock);
  g_test_add_func ("/tv/preload/python/threads", test_python_threads);
  g_test_add_func ("/tv/preload/python/queue", test_python_queue);
  g_test_add_func ("/tv/preload/python/gil", test_python_gil);
  g_test_add_func ("/tv/preload/python/multiprocessing", test_python_multiprocessing);
  g_test_add_func ("/tv/preload/python/child-process", test_python_subprocess);
  g_test_add_func ("/tv/preload/python/deadlock", test_python_deadlock);

  result = g_test_run ();
  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return result;
}
