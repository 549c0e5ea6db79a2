/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-make-seeds.c: writes small seed inputs for the trace-file fuzz
 * targets from tiny real runs.
 *
 *   fuzz-make-seeds DIR
 *
 * writes DIR/capture/NAME.tvt (the capture writer's output) and
 * DIR/chrome/NAME.json (the Chrome JSON exporter's) for each scenario
 * below.  Seeds that the real writers made start the fuzzer on files whose
 * every checksum, offset and string id is right, so that its mutations
 * probe one field at a time.
 *
 * Every file written is opened again (the .tvt replayed, the JSON
 * imported) and must give the same number of threads: the meson test
 * `fuzz-seeds` runs this, so a run of any ending (each run-time error kind
 * among them) must save into a file that opens.
 */
#include <glib/gstdio.h>
#include <unistd.h>

#include "tv-capture-reader.h"
#include "tv-capture-writer.h"
#include "tv-chrome-export.h"
#include "tv-chrome-import.h"
#include "tv-run.h"

static const struct
{
  const char *name;
  const char *text;
  int         stop_after_ms;   /* -1: run to the end */
} seeds[] = {
  { "lock",
    "title \"lock\"\nlock L\nthread t * 2:\n    with L:\n        work 1ms\n"
    "    print \"{thread} done\"\n", -1 },
  { "queue",
    "queue Q capacity 1\nvar x\nthread p:\n    repeat 3:\n        put Q i\n"
    "thread c:\n    repeat 3:\n        get Q -> x\n        task_done Q\n", -1 },
  { "deadlock",
    "lock A\nlock B\nthread t1:\n    with A:\n        sleep 1ms\n        acquire B\n"
    "thread t2:\n    with B:\n        sleep 1ms\n        acquire A\n", -1 },
  { "process",
    "shared n = 0\nprocess P * 2:\n    n += 1\n    print \"child {pid} {n}\"\n", -1 },
  { "race",
    "var counter = 0\nthread t * 2:\n    repeat 3:\n        counter += 1 window 10us\n"
    "main:\n    start t\n    join t\n    print \"{counter}\"\n", -1 },
  { "sync",
    "event E\nbarrier B 2\ncondition C\nsemaphore S 1\n"
    "thread a:\n    wait B\n    set E\n    with C:\n        notify C all\n"
    "thread b:\n    wait B\n    wait E timeout 5ms\n    try_acquire S\n    release S\n"
    "    rename \"b2\"\n", -1 },
  { "gil",
    "gil on switch 1ms\nthread t * 2:\n    work 3ms\n    io 1ms\n", -1 },
  { "task-done",
    "queue Q\nthread t:\n    task_done Q\n", -1 },
  { "not-held",
    "semaphore S 0\nlock L\ndef d:\n    release L\nthread t:\n    call d\n", -1 },
  { "division",
    "var z = 0\nvar x\nthread t:\n    x = 7 % z\n", -1 },
  { "stall",
    "queue Q\nevent E\nthread t:\n    get Q\nthread u:\n    wait E\n", -1 },
  { "stopped",
    "thread t:\n    forever:\n        sleep 1ms\n        yield\n", 3 },
};

static gboolean
write_seed (const char *dir, const char *name, const char *text, int stop_after_ms,
            GError **error)
{
  g_autoptr(TvScenario) scenario = NULL;
  g_autoptr(TvRun) run = NULL;
  g_autoptr(TvCaptureWriter) writer = tv_capture_writer_new ();
  g_autoptr(TvTrace) trace = tv_trace_new ();
  g_autofree char *tvt = NULL;
  g_autofree char *json = NULL;
  g_autofree char *file = g_strconcat (name, ".tvs", NULL);
  TvRunOptions options = TV_RUN_OPTIONS_INIT;
  gint64 begin = g_get_monotonic_time ();

  scenario = tv_scenario_parse (file, text, -1, NULL, error);
  if (scenario == NULL)
    return FALSE;
  options.speed = 10.0;
  run = tv_run_new (scenario, &options, error);
  if (run == NULL || !tv_run_start (run, error))
    return FALSE;
  while (!tv_run_wait_timeout (run, 5))
    {
      tv_capture_writer_drain (writer, trace, tv_run_get_recorder (run));
      if (stop_after_ms >= 0 && g_get_monotonic_time () - begin > stop_after_ms * 1000)
        tv_run_stop (run);
    }
  tv_capture_writer_drain (writer, trace, tv_run_get_recorder (run));

  tv_capture_writer_set_scenario (writer, text);
  tv_capture_writer_set_title (writer, name);
  tv_capture_writer_set_speed (writer, options.speed);
  tvt = g_strdup_printf ("%s/capture/%s.tvt", dir, name);
  json = g_strdup_printf ("%s/chrome/%s.json", dir, name);
  if (!tv_capture_writer_save (writer, tvt, error)
      || !tv_chrome_export (trace, json, error))
    return FALSE;

  /* What was written must open. */
  {
    g_autoptr(TvTrace) reopened = tv_capture_load (tvt, NULL, NULL, NULL, error);
    g_autoptr(TvTrace) imported = NULL;

    if (reopened == NULL)
      return FALSE;
    if (tv_trace_get_n_events (reopened) != tv_trace_get_n_events (trace)
        || tv_trace_get_run_status (reopened) != tv_trace_get_run_status (trace))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "%s does not hold the run that was saved", tvt);
        return FALSE;
      }
    imported = tv_chrome_load (json, error);
    if (imported == NULL)
      return FALSE;
    if (tv_trace_get_n_threads (imported) == 0)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s has no thread", json);
        return FALSE;
      }
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: fuzz-make-seeds DIR\n");
      return 2;
    }
  for (const char *sub = "capture"; sub != NULL; sub = g_str_equal (sub, "capture") ? "chrome" : NULL)
    {
      g_autofree char *path = g_build_filename (argv[1], sub, NULL);

      if (g_mkdir_with_parents (path, 0755) != 0)
        {
          g_printerr ("fuzz-make-seeds: cannot create %s\n", path);
          return 1;
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    if (!write_seed (argv[1], seeds[i].name, seeds[i].text, seeds[i].stop_after_ms, &error))
      {
        g_printerr ("fuzz-make-seeds: %s: %s\n", seeds[i].name, error->message);
        return 1;
      }
  return 0;
}
