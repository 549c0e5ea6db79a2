/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * threadviz-process: the program a `process` instance of a run runs (see
 * tv-process.c and tv-process-start.h).
 *
 * It maps the run's recorder first (at its creator's address, before
 * anything of ours could land there) and the shared block, reads the start
 * message, parses the scenario again, builds a run attached to those
 * mappings (tv_run_new_attached) and runs the instance's body like the
 * main thread of a forked child: tv_process_child_main() never returns.
 *
 * What goes wrong before the body runs is written into the run as its
 * error (the parent then reports this process's exit as well, but the
 * first error is the one shown), and the program exits with status 1.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "tv-process-start.h"
#include "tv-recorder-fd.h"
#include "tv-run-private.h"

/* Fails the run with `message` (when the shared block can be mapped) and
 * leaves. */
static void G_GNUC_NORETURN
die (const char *name, char *message)
{
  TvRun bare = { 0 };

  if (tv_shared_attach (&bare, TV_PROCESS_FD_SHARED, NULL))
    {
      char *text = g_strdup_printf ("process '%s' could not start: %s", name, message);

      tv_shared_lock (bare.sh);
      tv_run_fail_locked (&bare, TV_RUN_ERROR_SYSTEM, text);
      tv_shared_unlock (bare.sh);
    }
  else
    g_printerr ("threadviz-process: %s\n", message);
  g_free (message);
  _exit (1);
}

static gboolean
read_all (int fd, void *buffer, gsize size, goffset *offset)
{
  char *p = buffer;

  while (size > 0)
    {
      ssize_t n = pread (fd, p, size, *offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      size -= (gsize) n;
      *offset += n;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  const char *name = argc > 2 ? argv[2] : "?";
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) scenario = NULL;
  g_autofree gint64 *vars = NULL;
  g_autofree guint32 *counts = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *source = NULL;
  TvProcessStart head;
  TvRecorder *recorder;
  void *extra = NULL;
  goffset offset = 0;
  TvRun *run;
  guint64 index;
  const char *freeze;

  /* Before anything else maps memory where the recorder must go. */
  recorder = tv_recorder_attach_fd (TV_PROCESS_FD_RECORDER, &extra, NULL);
  if (recorder == NULL)
    die (name, g_strdup_printf ("cannot map the run's recorder: %s", g_strerror (errno)));

  if (argc < 3 || !g_ascii_string_to_unsigned (argv[1], 10, 0, G_MAXUINT32, &index, NULL))
    die (name, g_strdup ("usage: threadviz-process SLOT NAME (started by the engine only)"));
  if (!read_all (TV_PROCESS_FD_START, &head, sizeof head, &offset)
      || head.magic != TV_PROCESS_START_MAGIC
      || head.n_vars > 1u << 20 || head.n_bodies > 1u << 20
      || head.filename_len > 1u << 20 || head.source_len > 1u << 30)
    die (name, g_strdup ("the start message is missing or damaged"));
  vars = g_new0 (gint64, MAX (head.n_vars, 1));
  counts = g_new0 (guint32, MAX (head.n_bodies, 1));
  filename = g_malloc0 (head.filename_len + 1);
  source = g_malloc0 (head.source_len + 1);
  if (!read_all (TV_PROCESS_FD_START, vars, head.n_vars * sizeof *vars, &offset)
      || !read_all (TV_PROCESS_FD_START, counts, head.n_bodies * sizeof *counts, &offset)
      || !read_all (TV_PROCESS_FD_START, filename, head.filename_len, &offset)
      || !read_all (TV_PROCESS_FD_START, source, head.source_len, &offset))
    die (name, g_strdup ("the start message is cut short"));
  close (TV_PROCESS_FD_START);

  scenario = tv_scenario_parse (head.has_filename ? filename : NULL, source,
                                (gssize) head.source_len, NULL, &error);
  if (scenario == NULL)
    die (name, g_strdup_printf ("the scenario does not parse again: %s", error->message));
  if (scenario->n_vars != head.n_vars || scenario->n_bodies != head.n_bodies)
    die (name, g_strdup ("the scenario parsed again differs from the run's"));

  run = tv_run_new_attached (scenario, recorder, TV_PROCESS_FD_SHARED,
                             head.has_print_fd ? TV_PROCESS_FD_PRINT : -1, &error);
  if (run == NULL)
    die (name, g_strdup (error->message));
  if (index < run->process_slot_base || index >= run->spawn_base)
    die (name, g_strdup_printf ("slot %" G_GUINT64_FORMAT " is no process instance", index));
  /* The copies of process-private memory fork() used to make. */
  for (guint v = 0; v < head.n_vars; v++)
    atomic_store (&run->vars[v], vars[v]);
  for (guint b = 0; b < head.n_bodies; b++)
    atomic_store (&run->spawn_counts[b], counts[b]);
  /* Its waits look now and then whether the process that started it is
   * still its parent (tv_shared_orphaned_locked). */
  run->parent_pid = head.parent_pid;
  fcntl (TV_PROCESS_FD_SHARED, F_SETFD, FD_CLOEXEC);
  if (head.has_print_fd)
    fcntl (TV_PROCESS_FD_PRINT, F_SETFD, FD_CLOEXEC);
  run->recorder_fd = TV_PROCESS_FD_RECORDER;
  fcntl (TV_PROCESS_FD_RECORDER, F_SETFD, FD_CLOEXEC);

  /* Tests only: freeze while holding the engine lock, as a process
   * stopped by a debugger at the worst moment (tests/test-processes.c). */
  freeze = g_getenv (TV_PROCESS_TEST_FREEZE_ENV);
  if (freeze != NULL && strcmp (freeze, TV_SH_SLOTS (run->sh)[index].name) == 0)
    {
      tv_shared_lock (run->sh);
      raise (SIGSTOP);
      tv_shared_unlock (run->sh);
    }

  tv_process_child_main (run, (guint32) index);
}
