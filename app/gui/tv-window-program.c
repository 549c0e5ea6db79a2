/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-program.c: Trace a Program…  An unmodified program runs under
 * the preload tracer (app/tv-traced-program.h) and its events stream into
 * the live timeline exactly as a scenario run's do: the timeline drains
 * its recorder on every frame (tv_timeline_set_live_func()), through the
 * capture writer so that it can be saved, and draws up to the shared
 * clock's "now".  Its stdout and stderr go to the console.
 *
 * A traced program cannot say whether its threads will move again, so a
 * deadlock is looked for once the trace has been quiet for half a second,
 * as `threadviz trace --stop-on-deadlock` does; it is reported (outlined on
 * the timeline) and the program is left for the user to Stop.  Stop sends
 * SIGTERM to its process group, then SIGKILL two seconds later, and keeps
 * the trace.
 */
#define G_LOG_DOMAIN "tv-window-program"

#include "config.h"

#include <glib/gi18n.h>

#include "tv-time.h"
#include "tv-trace-program-dialog.h"
#include "tv-window-files.h"

#ifdef TV_WITH_TRACE

#include <errno.h>
#include <unistd.h>

#include <glib-unix.h>

#include "tv-traced-program.h"

#define QUIET_BEFORE_DEADLOCK_US (G_USEC_PER_SEC / 2)
#define KILL_AFTER_S 2
#define POLL_INTERVAL_MS 100
/* One console line at most this long; a program that prints without a
 * new line is shown in pieces. */
#define MAX_LINE 4096

struct _TvWindowProgram
{
  TvTracedProgram *program;
  char            *command;      /* the command line, for messages */
  GString         *partial;      /* output after the last new line */
  guint            output_id;
  guint            poll_id;
  guint            kill_id;
  gulong           ended_id;
  gint64           quiet_since;
  int              status;
  guint            n_deadlocked;
  guint            stopping : 1;
  guint            deadlock_reported : 1;
  guint            ended : 1;
};

static TvWindowProgram *
get_program (TvWindow *self)
{
  return self->files != NULL ? self->files->program : NULL;
}

gboolean
tv_window_program_is_running (TvWindow *self)
{
  TvWindowProgram *p = get_program (self);

  return p != NULL && p->program != NULL;
}

/* --- Output ------------------------------------------------------------- */

static void
flush_lines (TvWindow        *self,
             TvWindowProgram *p,
             gboolean         all)
{
  char *start = p->partial->str;
  char *nl;

  while ((nl = memchr (start, '\n', p->partial->str + p->partial->len - start)) != NULL)
    {
      *nl = '\0';
      tv_window_console_append (self, start, NULL);
      start = nl + 1;
    }
  g_string_erase (p->partial, 0, start - p->partial->str);

  if (p->partial->len > 0 && (all || p->partial->len >= MAX_LINE))
    {
      tv_window_console_append (self, p->partial->str, NULL);
      g_string_truncate (p->partial, 0);
    }
}

/* Reads what is there; FALSE at the end of the output. */
static gboolean
read_output (TvWindow        *self,
             TvWindowProgram *p)
{
  int fd = tv_traced_program_get_output_fd (p->program);
  char buffer[4096];
  ssize_t n;

  if (fd < 0)
    return FALSE;

  for (;;)
    {
      n = read (fd, buffer, sizeof buffer);
      if (n > 0)
        {
          g_string_append_len (p->partial, buffer, n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      break;
    }
  if (p->partial->len > 0)
    {
      /* Not every program prints UTF-8. */
      if (!g_utf8_validate_len (p->partial->str, p->partial->len, NULL))
        {
          g_autofree char *valid = g_utf8_make_valid (p->partial->str, p->partial->len);

          g_string_assign (p->partial, valid);
        }
      flush_lines (self, p, n == 0);
    }
  return !(n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
}

static gboolean
output_cb (int          fd,
           GIOCondition condition,
           gpointer     user_data)
{
  TvWindow *self = user_data;
  TvWindowProgram *p = get_program (self);

  if (p == NULL || p->program == NULL)
    return G_SOURCE_REMOVE;
  if (!read_output (self, p))
    {
      p->output_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* --- Draining ----------------------------------------------------------- */

static void
add_to_writer (const TvEvent *event,
               const char    *text,
               gpointer       user_data)
{
  tv_capture_writer_add (user_data, event, text);
}

static void
check_deadlock (TvWindow        *self,
                TvWindowProgram *p,
                TvTrace         *trace,
                gsize            drained)
{
  gint64 now = g_get_monotonic_time ();
  guint n;

  if (drained > 0 || p->quiet_since < 0)
    p->quiet_since = now;
  if (p->deadlock_reported || p->stopping || now - p->quiet_since < QUIET_BEFORE_DEADLOCK_US)
    return;

  /* Quiet, and blocked in a cycle: it will not move by itself. */
  if (tv_traced_program_find_deadlocks (trace, FALSE, NULL, NULL) == 0)
    return;

  n = tv_traced_program_find_deadlocks (trace, TRUE, add_to_writer, self->files->writer);
  p->deadlock_reported = TRUE;
  tv_trace_changed (trace);
  {
    g_autofree char *line = g_strdup_printf (g_dngettext (NULL,
                                                          "Deadlock: %u thread waits for a lock it holds itself. Press Stop to end the program.",
                                                          "Deadlock: %u threads each wait for a lock another holds. Press Stop to end the program.",
                                                          n),
                                             n);

    tv_window_console_append (self, line, "error");
    gtk_label_set_label (self->run_status_label, _("Deadlocked"));
  }
}

/* The timeline's live source: called on every frame and by its poll. */
static gboolean
program_live_cb (TvTrace  *trace,
                 gint64   *now,
                 gpointer  user_data)
{
  TvWindow *self = user_data;
  TvWindowProgram *p = get_program (self);
  TvCaptureWriter *writer;
  gboolean ended;
  gsize drained;

  if (p == NULL || p->program == NULL)
    return TRUE;

  /* The writer is the program's own (tv_window_program_start()) and is
   * replaced only after the program has been let go of. */
  writer = self->files->writer;
  g_return_val_if_fail (writer != NULL, TRUE);
  ended = tv_traced_program_poll (p->program, &p->status);
  /* After the end, one last drain: nothing is left behind. */
  drained = tv_capture_writer_drain (writer, trace, tv_traced_program_get_recorder (p->program));

  if (!ended)
    {
      *now = tv_clock_now (tv_traced_program_get_clock (p->program));
      check_deadlock (self, p, trace, drained);
      return FALSE;
    }

  /* The trace ends when the program did, not at its last event: a
   * deadlocked program is drawn blocked until Stop ended it. */
  p->n_deadlocked = tv_traced_program_finish_at (trace,
                                                 p->stopping ? TV_RUN_STOPPED
                                                 : p->status == 0 ? TV_RUN_FINISHED : TV_RUN_FAILED,
                                                 tv_clock_now (tv_traced_program_get_clock (p->program)),
                                                 add_to_writer, writer);
  tv_capture_writer_set_status (writer, tv_trace_get_run_status (trace));
  tv_trace_changed (trace);
  p->ended = TRUE;
  return TRUE;
}

static gboolean
poll_cb (gpointer user_data)
{
  TvWindow *self = user_data;
  TvWindowProgram *p = get_program (self);
  char buf[32];
  g_autofree char *text = NULL;

  /* The frame clock drains while the timeline is shown; this covers the
   * rest (another page, a window the compositor does not draw). */
  tv_timeline_poll_if_idle (self->timeline, POLL_INTERVAL_MS * G_TIME_SPAN_MILLISECOND / 2);

  p = get_program (self);
  if (p == NULL || p->program == NULL)
    return G_SOURCE_REMOVE;
  if (!p->stopping && !p->deadlock_reported)
    {
      tv_time_format (tv_timeline_view_get_duration (self->view), 1, buf, sizeof buf);
      text = g_strdup_printf (_("Tracing · %s"), buf);
      gtk_label_set_label (self->run_status_label, text);
    }
  return G_SOURCE_CONTINUE;
}

/* --- Ending ------------------------------------------------------------- */

static void
release_program (TvWindow        *self,
                 TvWindowProgram *p)
{
  g_clear_handle_id (&p->output_id, g_source_remove);
  g_clear_handle_id (&p->poll_id, g_source_remove);
  g_clear_handle_id (&p->kill_id, g_source_remove);
  g_clear_signal_handler (&p->ended_id, self->timeline);
  /* Reaped already, or killed and reaped here: never left behind. */
  g_clear_pointer (&p->program, tv_traced_program_free);
  g_clear_pointer (&p->command, g_free);
  g_string_truncate (p->partial, 0);
}

static char *
describe_end (TvWindow        *self,
              TvWindowProgram *p,
              const char     **tag)
{
  gint64 end = self->trace != NULL ? tv_trace_get_end_time (self->trace) : 0;
  guint64 n_events = self->trace != NULL ? tv_trace_get_n_events (self->trace) : 0;
  gboolean deadlock = p->deadlock_reported || p->n_deadlocked > 0;
  char time[32];

  tv_time_format (end, 2, time, sizeof time);
  *tag = "dim";
  if (deadlock)
    {
      *tag = "error";
      return g_strdup_printf (_("Deadlock: the program was stopped at %s"), time);
    }
  if (p->stopping)
    return g_strdup_printf (_("Stopped at %s · %" G_GUINT64_FORMAT " events"), time, n_events);
  if (p->status == 0)
    return g_strdup_printf (_("Finished in %s · %" G_GUINT64_FORMAT " events"), time, n_events);
  *tag = "warning";
  if (p->status > 128)
    return g_strdup_printf (_("Killed by signal %d at %s · %" G_GUINT64_FORMAT " events"),
                            p->status - 128, time, n_events);
  return g_strdup_printf (_("Exited with status %d at %s · %" G_GUINT64_FORMAT " events"),
                          p->status, time, n_events);
}

static void
program_ended_cb (TvWindow   *self,
                  TvTimeline *timeline)
{
  TvWindowProgram *p = get_program (self);
  g_autofree char *summary = NULL;
  const char *tag;
  guint64 dropped;

  if (p == NULL || p->program == NULL || !p->ended)
    return;

  /* What it printed last. */
  read_output (self, p);
  flush_lines (self, p, TRUE);

  dropped = tv_trace_get_dropped (self->trace);
  if (dropped > 0)
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (NULL,
                                      "%" G_GUINT64_FORMAT " event was lost: a thread’s ring was full",
                                      "%" G_GUINT64_FORMAT " events were lost: a thread’s ring was full",
                                      dropped),
                         dropped);
      tv_window_console_append (self, text, "warning");
    }
  if (tv_traced_program_get_untraced (p->program) > 0)
    tv_window_console_append (self, _("Some threads or locks were not traced: the recorder was full"),
                              "warning");

  summary = describe_end (self, p, &tag);
  tv_window_console_append (self, summary, tag);
  gtk_label_set_label (self->run_status_label, summary);

  release_program (self, p);

  if (tv_timeline_view_get_follow_live (self->view))
    tv_timeline_view_fit (self->view);
  tv_window_set_running (self, FALSE);
}

static gboolean
kill_cb (gpointer user_data)
{
  TvWindow *self = user_data;
  TvWindowProgram *p = get_program (self);

  if (p != NULL && p->program != NULL)
    {
      p->kill_id = 0;
      /* The second stop is SIGKILL: it did not end on SIGTERM. */
      tv_traced_program_stop (p->program);
    }
  return G_SOURCE_REMOVE;
}

void
tv_window_program_stop (TvWindow *self)
{
  TvWindowProgram *p = get_program (self);

  if (p == NULL || p->program == NULL || p->stopping)
    return;

  p->stopping = TRUE;
  tv_traced_program_stop (p->program);
  p->kill_id = g_timeout_add_seconds (KILL_AFTER_S, kill_cb, self);
  gtk_label_set_label (self->run_status_label, _("Stopping…"));
}

void
tv_window_program_abandon (TvWindow *self)
{
  TvWindowProgram *p = get_program (self);

  if (p == NULL || p->program == NULL)
    return;

  tv_timeline_set_live_func (self->timeline, NULL, NULL);
  release_program (self, p);
}

/* --- Starting ----------------------------------------------------------- */

gboolean
tv_window_program_start (TvWindow    *self,
                         char       **argv,
                         const char  *cwd,
                         GError     **error)
{
  g_autoptr(TvTracedProgram) program = NULL;
  g_autoptr(TvTrace) trace = NULL;
  g_autofree char *command = NULL;
  g_autofree char *header = NULL;
  TvCaptureWriter *writer;
  TvWindowProgram *p;
  int fd;

  g_return_val_if_fail (TV_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);

  if (tv_window_is_running (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("Stop the current run first"));
      return FALSE;
    }

  program = tv_traced_program_spawn (argv, cwd,
                                     TV_TRACED_PROGRAM_OWN_GROUP | TV_TRACED_PROGRAM_CAPTURE_OUTPUT,
                                     error);
  if (program == NULL)
    return FALSE;

  p = get_program (self);
  command = g_strjoinv (" ", argv);
  trace = tv_trace_new ();
  tv_trace_set_title (trace, command);
  writer = tv_capture_writer_new ();
  tv_capture_writer_set_title (writer, command);

  /* Like a run: a fresh timeline and console, no scenario to run. */
  g_clear_pointer (&self->scenario, tv_scenario_unref);
  tv_window_console_clear (self);
  header = cwd != NULL ? g_strdup_printf (_("Tracing “%s” in %s"), command, cwd)
                       : g_strdup_printf (_("Tracing “%s”"), command);
  tv_window_console_append (self, header, "dim");

  tv_window_set_trace (self, trace);
  tv_window_files_set_writer (self, writer, trace);
  tv_timeline_set_scenario (self->timeline, NULL);
  tv_timeline_view_reset (self->view);
  gtk_stack_set_visible_child_name (self->main_stack, "timeline");
  adw_window_title_set_title (self->window_title, command);
  adw_window_title_set_subtitle (self->window_title, _("traced program"));

  p->program = g_steal_pointer (&program);
  p->command = g_steal_pointer (&command);
  p->status = 0;
  p->quiet_since = -1;
  p->n_deadlocked = 0;
  p->stopping = p->deadlock_reported = p->ended = FALSE;

  fd = tv_traced_program_get_output_fd (p->program);
  if (fd >= 0)
    p->output_id = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR, output_cb, self);
  p->ended_id = g_signal_connect_object (self->timeline, "run-ended",
                                         G_CALLBACK (program_ended_cb), self, G_CONNECT_SWAPPED);
  tv_timeline_set_live_func (self->timeline, program_live_cb, self);
  p->poll_id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, self);

  tv_window_set_running (self, TRUE);
  return TRUE;
}

static void
trace_command_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  TvWindow *self = user_data;
  g_autofree const char **argv = g_variant_get_strv (param, NULL);
  g_autoptr(GError) error = NULL;

  if (argv == NULL || argv[0] == NULL)
    return;
  if (!tv_window_program_start (self, (char **) argv, NULL, &error))
    tv_window_console_append (self, error->message, "error");
}

static void
trace_program_action (GSimpleAction *action,
                      GVariant      *param,
                      gpointer       user_data)
{
  tv_trace_program_dialog_present (user_data);
}

static const GActionEntry program_actions[] = {
  { "trace-program", trace_program_action },
  { "trace-command", trace_command_action, "as" },
};

void
tv_window_program_init (TvWindow *self)
{
  self->files->program = g_new0 (TvWindowProgram, 1);
  self->files->program->partial = g_string_new (NULL);
  g_action_map_add_action_entries (G_ACTION_MAP (self), program_actions,
                                   G_N_ELEMENTS (program_actions), self);
}

void
tv_window_program_free (TvWindow *self)
{
  TvWindowProgram *p = get_program (self);

  if (p == NULL)
    return;
  tv_window_program_abandon (self);
  g_string_free (p->partial, TRUE);
  g_clear_pointer (&self->files->program, g_free);
}

#else /* !TV_WITH_TRACE: this build has no tracer */

gboolean
tv_window_program_is_running (TvWindow *self)
{
  return FALSE;
}

void
tv_window_program_stop (TvWindow *self)
{
}

void
tv_window_program_abandon (TvWindow *self)
{
}

gboolean
tv_window_program_start (TvWindow    *self,
                         char       **argv,
                         const char  *cwd,
                         GError     **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("This build cannot trace programs (it has no tracer)"));
  return FALSE;
}

void
tv_window_program_init (TvWindow *self)
{
}

void
tv_window_program_free (TvWindow *self)
{
}

#endif
