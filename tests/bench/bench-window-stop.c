/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-window-stop.c: how long Stop (Shift+F5) takes, seen from the window
 * (issue 5: "within 100 ms").  Opens the real window (under `xvfb-run -a`),
 * runs every lesson and a few hand-written cases, stops each once it is
 * well under way, and times the wall clock from the stop action to the
 * window's end of the run (its `running` property turns FALSE, which it
 * does once the timeline has drained the run's last event).
 *
 *   xvfb-run -a threadviz-stop-bench [--runs N] [--case NAME] [--json]
 *   threadviz-stop-bench --engine   the same cases without a window:
 *                                   tv_run_stop() to tv_run_is_finished()
 *                                   and to the end of tv_run_wait()
 *
 * Built by default, never run by the test suite (it measures wall time on
 * a shared machine).  The figures are in docs/window.md.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "tv-application.h"
#include "tv-clock.h"
#include "tv-run.h"
#include "tv-timeline-view.h"
#include "tv-trace.h"
#include "tv-window.h"

/* Scenario time a run has reached before it is stopped, unless the case
 * says otherwise. */
#define UNDER_WAY_MS 200

typedef struct
{
  const char *name;
  const char *lesson;       /* a file of data/scenarios, or NULL */
  const char *text;         /* or the scenario itself */
  gboolean    paused;       /* paused before the stop */
  const char *speed;        /* win.speed, or NULL for 1 */
  guint       under_way_ms; /* scenario ms before the stop, or 0 for 200 */
} StopCase;

static const StopCase cases[] = {
  { .name = "processes (lesson)", .lesson = "processes.tvs" },
  { .name = "shared-state (lesson)", .lesson = "shared-state.tvs" },
  { .name = "custom-thread (lesson)", .lesson = "custom-thread.tvs" },
  { .name = "deadlock (lesson)", .lesson = "deadlock.tvs" },
  { .name = "gil-cpu (lesson)", .lesson = "gil-cpu.tvs" },
  { .name = "gil-io (lesson)", .lesson = "gil-io.tvs" },
  { .name = "lifecycle (lesson)", .lesson = "lifecycle.tvs" },
  { .name = "lock-sync (lesson)", .lesson = "lock-sync.tvs" },
  { .name = "producer-consumer (lesson)", .lesson = "producer-consumer.tvs" },
  /* 44 ms of scenario time in all: slowed down, stopped in its first part (the
   * window sees the clock once a frame, 60 ms or more under llvmpipe). */
  { .name = "race (lesson)", .lesson = "race.tvs", .speed = "0.1", .under_way_ms = 5 },
  { .name = "start-new-thread (lesson)", .lesson = "start-new-thread.tvs" },
  { .name = "threading-api (lesson)", .lesson = "threading-api.tvs" },
  { .name = "forever, contended lock", .text =
    "lock L\n"
    "var x = 0\n"
    "thread a:\n"
    "    forever:\n"
    "        with L:\n"
    "            x += 1\n"
    "thread b:\n"
    "    forever:\n"
    "        with L:\n"
    "            x += 1\n" },
  { .name = "forever, paused", .text =
    "lock L\n"
    "var x = 0\n"
    "thread a:\n"
    "    forever:\n"
    "        with L:\n"
    "            x += 1\n"
    "thread b:\n"
    "    forever:\n"
    "        with L:\n"
    "            x += 1\n",
    .paused = TRUE },
  { .name = "deadlocked (timeouts)", .text =
    /* With timeouts the watchdog sees no deadlock: only Stop ends it. */
    "lock L1\n"
    "lock L2\n"
    "barrier B 2\n"
    "thread a:\n"
    "    with L1:\n"
    "        wait B\n"
    "        acquire L2 timeout 600s\n"
    "thread b:\n"
    "    with L2:\n"
    "        wait B\n"
    "        acquire L1 timeout 600s\n"
    "main:\n"
    "    start a\n"
    "    start b\n"
    "    join a\n"
    "    join b\n" },
  { .name = "blocked on a queue get", .text =
    /* main sleeps on: a join alone would be a stall the watchdog ends. */
    "queue Q\n"
    "thread c:\n"
    "    get Q\n"
    "main:\n"
    "    start c\n"
    "    forever:\n"
    "        sleep 5ms\n" },
  { .name = "child process sleeping", .text =
    "process P:\n"
    "    sleep 600s\n"
    "main:\n"
    "    start P\n"
    "    join P\n" },
  { .name = "child process on a queue get", .text =
    "queue Q\n"
    "process P:\n"
    "    get Q\n"
    "main:\n"
    "    start P\n"
    "    forever:\n"
    "        sleep 5ms\n" },
  { .name = "four children working", .text =
    "process child * 4:\n"
    "    work 10s\n"
    "main:\n"
    "    start child\n"
    "    join child\n" },
};

typedef struct
{
  GArray  *ms;          /* double, one per stop */
  guint    ended_alone; /* runs that ended before the stop */
  guint    not_stopped; /* runs whose status was not TV_RUN_STOPPED */
  guint    empty;       /* runs whose trace was empty after the stop */
  guint    late;        /* runs the stop action did not end itself (the
                         * engine took longer than its wait) */
  GArray  *reap_ms;     /* --engine: to the end of tv_run_wait() */
} Result;

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  if (values->len == 0)
    return -1;
  g_array_sort (values, compare_double);
  return g_array_index (values, double, values->len / 2);
}

static double
worst (GArray *values)
{
  if (values->len == 0)
    return -1;
  g_array_sort (values, compare_double);
  return g_array_index (values, double, values->len - 1);
}

/* Our children (zombies too): every process whose parent is us. */
static guint
count_children (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint n = 0;
  int self = getpid ();

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *close;
      int ppid = 0;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* "pid (comm) state ppid ...": comm may hold spaces and parentheses. */
      close = strrchr (stat, ')');
      if (close != NULL && sscanf (close + 1, " %*c %d", &ppid) == 1 && ppid == self)
        n++;
    }
  return n;
}

static char *
case_path (const StopCase *sc)
{
  const char *dir = g_getenv ("TV_SCENARIO_DIR");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;

  if (sc->lesson != NULL)
    return g_build_filename (dir != NULL ? dir : TV_SCENARIO_DIR, sc->lesson, NULL);

  base = g_strdelimit (g_strdup_printf ("tv-stop-bench-%s.tvs", sc->name), " ,", '-');
  path = g_build_filename (g_get_tmp_dir (), base, NULL);
  if (!g_file_set_contents (path, sc->text, -1, &error))
    g_error ("%s", error->message);
  return g_steal_pointer (&path);
}

/* Waits, at most `ms`, for the children of the last run to be reaped. */
static void
settle_children (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (count_children () > 0 && g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

/* --- The window -------------------------------------------------------- */

typedef struct
{
  gboolean ended;
  gint64   when;
} EndWait;

static void
running_cb (GObject    *object,
            GParamSpec *pspec,
            EndWait    *wait)
{
  if (!tv_window_is_running (TV_WINDOW (object)) && !wait->ended)
    {
      wait->ended = TRUE;
      wait->when = g_get_monotonic_time ();
    }
}

static gboolean
wait_until (gboolean (*done) (TvWindow *window), TvWindow *window, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (!done (window))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (500);
    }
  return TRUE;
}

static gboolean
loaded (TvWindow *window)
{
  return !tv_window_is_loading (window);
}

static gint64
under_way_ns (const StopCase *sc)
{
  return (gint64) (sc->under_way_ms > 0 ? sc->under_way_ms : UNDER_WAY_MS) * 1000000;
}

static gint64 waiting_for_ns;

static gboolean
under_way (TvWindow *window)
{
  TvTimelineView *view = tv_timeline_get_view (tv_window_get_timeline (window));

  return !tv_window_is_running (window) || tv_timeline_view_get_duration (view) >= waiting_for_ns;
}

/* TV_STOP_BENCH_DEBUG: the frame clock's phases after a stop. */
static gint64 debug_begin;

static void
phase_cb (GdkFrameClock *clock,
          gpointer       phase)
{
  if (debug_begin > 0)
    g_printerr ("  %7.1f ms %s\n", (g_get_monotonic_time () - debug_begin) / 1000.0,
                (const char *) phase);
}

static void
watch_phases (TvWindow *window)
{
  static const char *const phases[] = { "update", "layout", "paint", "after-paint" };
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));

  for (guint i = 0; i < G_N_ELEMENTS (phases); i++)
    g_signal_connect (clock, phases[i], G_CALLBACK (phase_cb), (gpointer) phases[i]);
}

/* The action Shift+F5 is bound to, as the application resolves it. */
static const char *stop_action;

static void
window_case (TvApplication  *app,
             const StopCase *sc,
             guint           runs,
             Result         *result)
{
  g_autofree char *path = case_path (sc);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  TvWindow *window = tv_window_new (app);
  EndWait wait = { 0 };
  gulong id;

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  tv_window_open (window, file);
  if (!wait_until (loaded, window, 10000) || tv_window_get_scenario (window) == NULL)
    g_error ("%s did not load", path);

  id = g_signal_connect (window, "notify::running", G_CALLBACK (running_cb), &wait);
  g_action_group_change_action_state (G_ACTION_GROUP (window), "speed",
                                      g_variant_new_string (sc->speed != NULL ? sc->speed : "1"));
  waiting_for_ns = under_way_ns (sc);
  if (g_getenv ("TV_STOP_BENCH_DEBUG") != NULL)
    watch_phases (window);

  /* One stop more than asked, the first not counted: a window's first
   * timeline draws for a second or two under llvmpipe (shaders). */
  for (guint i = 0; i <= runs; i++)
    {
      TvTrace *trace;
      gint64 begin;

      settle_children (6000);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.run", NULL);
      if (!tv_window_is_running (window))
        g_error ("%s did not start", sc->name);
      if (!wait_until (under_way, window, 20000))
        g_error ("%s did not get under way", sc->name);
      if (!tv_window_is_running (window))
        {
          /* Say how: the console's last line ("Finished in…", an error). */
          {
            g_autofree char *console = tv_window_dup_console_text (window);
            g_auto(GStrv) lines = g_strsplit (g_strchomp (console), "\n", -1);
            guint n = g_strv_length (lines);

            g_printerr ("  %s ended before the stop: %s\n", sc->name, n > 0 ? lines[n - 1] : "");
          }
          result->ended_alone++;
          continue;
        }
      if (sc->paused)
        {
          g_action_group_change_action_state (G_ACTION_GROUP (window), "pause",
                                              g_variant_new_boolean (TRUE));
          for (int k = 0; k < 50; k++)
            {
              g_main_context_iteration (NULL, FALSE);
              g_usleep (1000);
            }
        }

      wait.ended = FALSE;
      begin = g_get_monotonic_time ();
      gtk_widget_activate_action (GTK_WIDGET (window), stop_action, NULL);
      if (!wait.ended && i > 0)
        result->late++;
      if (g_getenv ("TV_STOP_BENCH_DEBUG") != NULL)
        debug_begin = begin;
      while (!wait.ended)
        g_main_context_iteration (NULL, TRUE);
      if (debug_begin > 0)
        g_printerr ("  %7.1f ms ended\n", (wait.when - begin) / 1000.0);
      debug_begin = 0;

      if (i > 0)
        {
          double ms = (wait.when - begin) / 1000.0;

          g_array_append_val (result->ms, ms);
        }
      trace = tv_timeline_get_trace (tv_window_get_timeline (window));
      if (!tv_trace_is_finished (trace) || tv_trace_get_run_status (trace) != TV_RUN_STOPPED)
        result->not_stopped++;
      if (tv_trace_get_n_events (trace) == 0)
        result->empty++;
    }

  g_signal_handler_disconnect (window, id);
  settle_children (6000);
  gtk_window_destroy (GTK_WINDOW (window));
  for (int k = 0; k < 100; k++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  if (sc->lesson == NULL)
    g_unlink (path);
}

/* --- The engine alone --------------------------------------------------- */

static void
engine_case (const StopCase *sc,
             guint           runs,
             Result         *result)
{
  g_autofree char *path = case_path (sc);
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = tv_scenario_load_file (path, NULL, &error);

  if (scenario == NULL)
    g_error ("%s: %s", path, error->message);

  for (guint i = 0; i < runs; i++)
    {
      TvRunOptions options = TV_RUN_OPTIONS_INIT;
      g_autoptr(TvRun) run = NULL;
      g_autoptr(TvTrace) trace = tv_trace_new ();
      gint64 begin, ended, reaped;
      double ms;

      options.speed = sc->speed != NULL ? g_ascii_strtod (sc->speed, NULL) : 1.0;
      run = tv_run_new (scenario, &options, &error);
      if (run == NULL || !tv_run_start (run, &error))
        g_error ("%s: %s", sc->name, error->message);
      while (!tv_run_is_finished (run) && tv_clock_now (tv_run_get_clock (run)) < under_way_ns (sc))
        {
          tv_trace_drain (trace, tv_run_get_recorder (run));
          g_usleep (2000);
        }
      if (tv_run_is_finished (run))
        {
          result->ended_alone++;
          tv_run_wait (run);
          continue;
        }
      if (sc->paused)
        {
          tv_run_pause (run);
          g_usleep (50000);
        }
      tv_trace_drain (trace, tv_run_get_recorder (run));

      begin = g_get_monotonic_time ();
      tv_run_stop (run);
      while (!tv_run_is_finished (run))
        g_usleep (100);
      ended = g_get_monotonic_time ();
      tv_run_wait (run);
      reaped = g_get_monotonic_time ();

      ms = (ended - begin) / 1000.0;
      g_array_append_val (result->ms, ms);
      ms = (reaped - begin) / 1000.0;
      g_array_append_val (result->reap_ms, ms);
      if (tv_run_get_status (run) != TV_RUN_STOPPED)
        result->not_stopped++;
    }
  if (sc->lesson == NULL)
    g_unlink (path);
}

/* --- Output -------------------------------------------------------------- */

static void
print_table (gboolean engine,
             Result  *results,
             guint    n)
{
  printf ("%-30s %10s %10s", "case", "median ms", "worst ms");
  if (engine)
    printf (" %12s %12s", "reaped med", "reaped worst");
  printf ("  stops  notes\n");

  for (guint i = 0; i < n; i++)
    {
      Result *r = &results[i];
      g_autoptr(GString) notes = g_string_new (NULL);

      if (r->ended_alone > 0)
        g_string_append_printf (notes, " %u ended before the stop;", r->ended_alone);
      if (r->not_stopped > 0)
        g_string_append_printf (notes, " %u not STOPPED;", r->not_stopped);
      if (r->empty > 0)
        g_string_append_printf (notes, " %u with an empty trace;", r->empty);
      if (r->late > 0)
        g_string_append_printf (notes, " %u ended after the stop action;", r->late);
      if (r->ms->len > 0 && worst (r->ms) > 100)
        g_string_append (notes, " over 100 ms;");

      if (r->ms->len == 0 && notes->len == 0)
        continue;   /* not asked for (--case) */
      if (r->ms->len == 0)
        printf ("%-30s %10s %10s", cases[i].name, "-", "-");
      else
        printf ("%-30s %10.1f %10.1f", cases[i].name, median (r->ms), worst (r->ms));
      if (engine)
        printf (" %12.1f %12.1f", median (r->reap_ms), worst (r->reap_ms));
      printf ("  %5u %s\n", r->ms->len, notes->str);
    }
}

static void
print_json (gboolean engine,
            Result  *results,
            guint    n)
{
  printf ("{\n  \"mode\": \"%s\",\n  \"cases\": [\n", engine ? "engine" : "window");
  for (guint i = 0, first = TRUE; i < n; i++)
    {
      Result *r = &results[i];

      if (r->ms->len == 0 && r->ended_alone == 0)
        continue;   /* not asked for (--case) */
      printf ("%s", first ? "" : ",\n");
      first = FALSE;
      printf ("    {\"case\": \"%s\", \"stops\": %u, \"median_ms\": %.2f, \"worst_ms\": %.2f",
              cases[i].name, r->ms->len, median (r->ms), worst (r->ms));
      if (engine)
        printf (", \"reaped_median_ms\": %.2f, \"reaped_worst_ms\": %.2f",
                median (r->reap_ms), worst (r->reap_ms));
      printf (", \"ended_alone\": %u, \"not_stopped\": %u, \"empty\": %u, \"late\": %u}",
              r->ended_alone, r->not_stopped, r->empty, r->late);
    }
  printf ("\n  ]\n}\n");
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *only = NULL;
  g_autofree char *home = NULL;
  gboolean engine = FALSE;
  gboolean json = FALSE;
  int runs = 10;
  GOptionEntry entries[] = {
    { "runs", 'n', 0, G_OPTION_ARG_INT, &runs, "Stops per case (10)", "N" },
    { "case", 'c', 0, G_OPTION_ARG_STRING, &only, "Only the cases whose name holds TEXT", "TEXT" },
    { "engine", 'e', 0, G_OPTION_ARG_NONE, &engine, "Time the engine alone, without a window", NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, "One JSON object instead of a table", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time Stop seen from the window");
  g_autoptr(GError) error = NULL;
  g_autoptr(TvApplication) app = NULL;
  Result results[G_N_ELEMENTS (cases)];

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  /* As the window tests run it: no session bus, settings in memory, and
   * recent files in a directory of our own. */
  home = g_dir_make_tmp ("tv-stop-bench-XXXXXX", NULL);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("GDK_BACKEND", "x11", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", home, TRUE);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);

  if (!engine)
    {
      if (!gtk_init_check ())
        {
          g_printerr ("No display: run it under xvfb-run -a (or use --engine)\n");
          return 77;
        }
      app = tv_application_new ();
      g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (app), NULL, NULL);

      {
        g_auto(GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (app), "<Shift>F5");

        if (actions == NULL || actions[0] == NULL)
          g_error ("Nothing is bound to Shift+F5");
        stop_action = g_intern_string (actions[0]);
      }
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      results[i].ms = g_array_new (FALSE, FALSE, sizeof (double));
      results[i].reap_ms = g_array_new (FALSE, FALSE, sizeof (double));
      results[i].ended_alone = results[i].not_stopped = results[i].empty = results[i].late = 0;

      if (only != NULL && strstr (cases[i].name, only) == NULL)
        continue;
      if (!json)
        {
          g_printerr ("%s...\n", cases[i].name);
        }
      if (engine)
        engine_case (&cases[i], (guint) MAX (runs, 1), &results[i]);
      else
        window_case (app, &cases[i], (guint) MAX (runs, 1), &results[i]);
    }

  if (json)
    print_json (engine, results, G_N_ELEMENTS (cases));
  else
    print_table (engine, results, G_N_ELEMENTS (cases));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_array_unref (results[i].ms);
      g_array_unref (results[i].reap_ms);
    }
  g_rmdir (home);
  return 0;
}
