/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-engine.c: any scenario that loads runs, and ends: finished, failed
 * or stopped, with every thread joined and every child reaped.
 *
 * Mutated text seldom loads (fuzz-parser explores the loader's errors), so
 * this target reads its input as choices, not text: each byte picks the
 * next declaration, statement, name, count or duration from the language,
 * and the scenario written from them almost always loads.  It then runs at
 * speed 10 and is stopped after TV_FUZZ_RUN_MS of wall time if it has not
 * ended; afterwards no child may be left (waitpid says ECHILD).
 */
#include <stdio.h>
#include <unistd.h>

#include "tv-fuzz.h"
#include "tv-run.h"

#define TV_FUZZ_RUN_MS 10

/*
 * `process` bodies too, under AddressSanitizer as well: a process runs in
 * a new program (threadviz-process), not in a fork() of this
 * multi-threaded one, so no allocator lock held by another thread can be
 * inherited locked (which used to hang children here, in asan_calloc).
 */
#ifndef TV_FUZZ_PROCESSES
# define TV_FUZZ_PROCESSES 1
#endif

typedef struct
{
  const guint8 *data;
  size_t        size;
  size_t        at;
  GString      *out;
  guint         n_threads;
  gboolean      in_def;
  gboolean      in_repeat;
} Gen;

static guint
pick (Gen *g, guint n)
{
  if (g->at >= g->size)
    return 0;
  return g->data[g->at++] % n;
}

static const char *const locks[] = { "L", "M", "R", "S", "C" };   /* lock, lock, rlock, semaphore, condition */
static const char *const durations[] = { "0s", "1us", "50us", "200us", "1ms", "3ms" };

static void
indent (Gen *g, guint level)
{
  for (guint k = 0; k < level; k++)
    g_string_append (g->out, "    ");
}

static void
expr (Gen *g)
{
  static const char *const operands[] = { "1", "x", "y", "s", "-3", "item", "i", "0" };
  static const char *const ops[] = { " + ", " - ", " * ", " / ", " % " };
  guint n = 1 + pick (g, 3);

  for (guint k = 0; k < n; k++)
    {
      const char *operand = operands[pick (g, G_N_ELEMENTS (operands))];

      if (g_str_equal (operand, "i") && !g->in_repeat && !g->in_def)
        operand = "2";
      if (k > 0)
        g_string_append (g->out, ops[pick (g, G_N_ELEMENTS (ops))]);
      g_string_append (g->out, operand);
    }
}

static void block (Gen *g, guint level, guint budget);

/* Ends the line, with " timeout D" or not. */
static void
timeout (Gen *g, const char *d)
{
  if (pick (g, 2))
    g_string_append_printf (g->out, " timeout %s", d);
  g_string_append_c (g->out, '\n');
}

static void
statement (Gen *g, guint level, guint budget)
{
  const char *lock = locks[pick (g, G_N_ELEMENTS (locks))];
  const char *d = durations[pick (g, G_N_ELEMENTS (durations))];
  guint kind = pick (g, 26);

  indent (g, level);
  switch (kind)
    {
    case 0: g_string_append_printf (g->out, "sleep %s\n", d); break;
    case 1: g_string_append_printf (g->out, "work %s\n", d); break;
    case 2: g_string_append_printf (g->out, "io %s\n", d); break;
    case 3: g_string_append (g->out, "yield\n"); break;
    case 4: g_string_append_printf (g->out, "acquire %s", lock); timeout (g, d); break;
    case 5: g_string_append_printf (g->out, "try_acquire %s\n", lock); break;
    case 6: g_string_append (g->out, "release S\n"); break;
    case 7: g_string_append_printf (g->out, "put Q%u ", pick (g, 2)); expr (g); g_string_append_c (g->out, '\n'); break;
    case 8: g_string_append_printf (g->out, "get Q%u -> y\n", pick (g, 2)); break;
    case 9: g_string_append_printf (g->out, "task_done Q%u\n", pick (g, 2)); break;
    case 10: g_string_append (g->out, pick (g, 2) ? "set E\n" : "clear E\n"); break;
    case 11: g_string_append_printf (g->out, "wait E timeout %s\n", d); break;
    case 12: g_string_append (g->out, "wait B"); timeout (g, d); break;
    case 13: g_string_append (g->out, "x = "); expr (g); g_string_append_c (g->out, '\n'); break;
    case 14: g_string_append (g->out, pick (g, 2) ? "s += " : "x += "); expr (g);
             if (pick (g, 2))
               g_string_append_printf (g->out, " window %s", d);
             g_string_append_c (g->out, '\n');
             break;
    case 15: g_string_append (g->out, "print \"{thread} {x} {s} {item} {active_count} {alive w} {qsize Q0} {acquired}\"\n"); break;
    case 16: g_string_append (g->out, "stopwatch t\n"); break;
    case 17: g_string_append (g->out, "rename \"r{x}\"\n"); break;
    case 18: g_string_append (g->out, g->in_def ? "yield\n" : "call d\n"); break;
    case 19: g_string_append (g->out, "spawn d\n"); break;
    case 20: g_string_append (g->out, "with C:\n"); indent (g, level + 1);
             g_string_append (g->out, pick (g, 2) ? "notify C all\n" : "wait C timeout 1ms\n"); break;
    case 21: case 22:
      if (budget > 0 && level < 6)
        {
          gboolean was = g->in_repeat;

          switch (pick (g, 4))
            {
            case 0: g_string_append_printf (g->out, "with %s:\n", lock); break;
            case 1: g_string_append_printf (g->out, "repeat %u:\n", pick (g, 5)); g->in_repeat = TRUE; break;
            case 2: g_string_append (g->out, "forever:\n"); break;
            default: g_string_append (g->out, pick (g, 2) ? "if acquired:\n" : "if x < 2:\n"); break;
            }
          block (g, level + 1, budget - 1);
          g->in_repeat = was;
          break;
        }
      g_string_append (g->out, "yield\n");
      break;
    case 23: g_string_append (g->out, "join Q1\n"); break;
    case 24: g_string_append (g->out, g->in_def ? "release L\n" : "release S\n"); break;
    default: g_string_append_printf (g->out, "sleep %s\n", d); break;
    }
}

static void
block (Gen *g, guint level, guint budget)
{
  guint n = 1 + pick (g, 5);

  for (guint k = 0; k < n; k++)
    statement (g, level, budget);
}

/* Writes the scenario the input's bytes choose. */
static char *
generate (const guint8 *data, size_t size)
{
  Gen g = { data, size, 0, g_string_new (NULL), 0, FALSE, FALSE };
  guint n_bodies;

  if (pick (&g, 4) == 0)
    g_string_append_printf (g.out, "gil on switch %s\n", durations[1 + pick (&g, 5)]);
  g_string_append_printf (g.out,
                          "lock L\nlock M\nrlock R\nsemaphore S %u\ncondition C\nevent E\n"
                          "barrier B %u\nqueue Q0\nqueue Q1 capacity %u\n"
                          "var x\nvar y = 1\nshared s\n",
                          pick (&g, 3), 1 + pick (&g, 3), 1 + pick (&g, 3));
  g.in_def = TRUE;
  g_string_append (g.out, "def d:\n");
  block (&g, 1, 1);
  g.in_def = FALSE;

  g_string_append_printf (g.out, "thread w * %u:\n", 1 + pick (&g, 3));
  block (&g, 1, 2);
  n_bodies = pick (&g, 3);
  for (guint b = 0; b < n_bodies; b++)
    {
      gboolean process = pick (&g, 4) == 0 && TV_FUZZ_PROCESSES;

      g_string_append_printf (g.out, "%s b%u%s:\n", process ? "process" : "thread", b,
                              pick (&g, 2) ? " * 2" : "");
      block (&g, 1, 2);
    }
  if (pick (&g, 2))
    {
      g_string_append (g.out, "main:\n    start w\n");
      block (&g, 1, 1);
      g_string_append_printf (g.out, "    join w%s\n", pick (&g, 2) ? " timeout 2ms" : "");
    }
  return g_string_free (g.out, FALSE);
}

/*
 * A child of this process that is not the sanitizers' symbolizer (which
 * libFuzzer starts to name new functions, and keeps), or 0.  Zombies count:
 * a child must be reaped too.  /proc/PID/stat is read because not every
 * kernel has /proc/self/task/TID/children.
 */
static pid_t
find_child (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  pid_t self = getpid ();

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *open_paren, *close_paren;
      long ppid = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/stat", name);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      open_paren = strchr (stat, '(');
      close_paren = strrchr (stat, ')');
      if (open_paren == NULL || close_paren == NULL || close_paren < open_paren
          || sscanf (close_paren + 1, " %*c %ld", &ppid) != 1 || ppid != self)
        continue;
      if (g_strstr_len (open_paren, close_paren - open_paren, "symbolizer") != NULL)
        continue;
      return (pid_t) atol (name);
    }
  return 0;
}

/* For a hang: this process's threads and its children, with their
 * states; the children are killed, so that none outlives the abort. */
static void
show_processes (void)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  pid_t self = getpid ();

  while (tasks != NULL && (name = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/stat", name);
      g_autofree char *stat = NULL;

      if (g_file_get_contents (path, &stat, NULL, NULL))
        g_printerr ("thread %s", stat);
    }
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%s/stat", name);
      g_autofree char *stat = NULL;
      const char *close_paren;
      long ppid = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      close_paren = strrchr (stat, ')');
      if (close_paren != NULL && sscanf (close_paren + 1, " %*c %ld", &ppid) == 1 && ppid == self
          && strstr (stat, "symbolizer") == NULL)
        {
          g_printerr ("child %s", stat);
          kill ((pid_t) atol (name), SIGKILL);
        }
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autoptr(GError) error = NULL;
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  TvRunStatus status;
  gint64 begin;
  pid_t child;

  tv_fuzz_init ();

  text = generate (data, size);
  scenario = tv_scenario_parse ("fuzz.tvs", text, -1, NULL, &error);
  /* TV_FUZZ_SHOW=1: what an input stands for (to read a regression). */
  if (g_getenv ("TV_FUZZ_SHOW") != NULL)
    g_printerr ("%s%s\n", text, error != NULL ? error->message : "(loads)");
  if (scenario == NULL)
    return 0;

  options.speed = 10.0;
  options.ring_capacity = 1024;
  run = tv_run_new (scenario, &options, &error);
  if (run == NULL || !tv_run_start (run, &error))
    g_error ("a loaded scenario could not run: %s\n%s", error->message, text);
  trace = tv_trace_new ();
  begin = g_get_monotonic_time ();
  while (!tv_run_wait_timeout (run, 2))
    {
      tv_trace_drain (trace, tv_run_get_recorder (run));
      if (g_get_monotonic_time () - begin > TV_FUZZ_RUN_MS * G_TIME_SPAN_MILLISECOND)
        tv_run_stop (run);
      /* tv_run_stop() must end any run within 100 ms. */
      if (g_get_monotonic_time () - begin > (TV_FUZZ_RUN_MS + 2000) * G_TIME_SPAN_MILLISECOND)
        {
          show_processes ();
          g_error ("the run did not end 2 s after its stop:\n%s", text);
        }
    }
  tv_run_wait (run);
  tv_trace_drain (trace, tv_run_get_recorder (run));

  status = tv_run_get_status (run);
  if (status != TV_RUN_FINISHED && status != TV_RUN_STOPPED && status != TV_RUN_FAILED)
    g_error ("the run ended as %s:\n%s", tv_run_status_to_string (status), text);
  if (status == TV_RUN_FAILED
      && (tv_run_get_error_kind (run) == TV_RUN_ERROR_NONE || tv_run_get_error_message (run) == NULL))
    g_error ("a failed run without an error:\n%s", text);
  if (status == TV_RUN_FAILED && tv_run_get_error_kind (run) == TV_RUN_ERROR_SYSTEM)
    g_error ("the system refused: %s\n%s", tv_run_get_error_message (run), text);
  /* The end is recorded on the main thread's ring, and is lost with the
   * rest when that ring is full (test-soak's /tv/soak/end-kept-on-overflow
   * says so as a TODO): only a run that dropped nothing must show it. */
  if (!tv_trace_is_finished (trace) && tv_trace_get_dropped (trace) == 0)
    g_error ("the trace of an ended run has no end:\n%s", text);
  tv_fuzz_use_trace (trace);

  child = find_child ();
  if (child > 0)
    g_error ("child process %d was left behind (run %s):\n%s",
             (int) child, tv_run_status_to_string (status), text);
  return 0;
}
