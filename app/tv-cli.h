/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-cli.h: the command line, `threadviz run | export | check`.
 *
 * Everything here works without a display.  main.c picks the command; each
 * command parses its own options with a GOptionContext and returns the
 * process's exit status (docs/cli.md lists them).
 */
#pragma once

#include <stdio.h>

#include <glib.h>

#include "tv-capture-writer.h"
#include "tv-run.h"
#include "tv-scenario.h"
#include "tv-trace.h"

G_BEGIN_DECLS

/* Exit statuses, the same for every command. */
typedef enum
{
  TV_CLI_EXIT_OK          = 0,
  TV_CLI_EXIT_LOAD_ERROR  = 1,   /* the file cannot be read or has load errors */
  TV_CLI_EXIT_OUTPUT_ERROR = 1,  /* export: unknown format, or the output cannot be written */
  TV_CLI_EXIT_RUN_ERROR   = 2,   /* deadlock, stall, release not held, ...; the run could not be made */
  TV_CLI_EXIT_USAGE       = 64,  /* bad command line (EX_USAGE of sysexits.h) */
  TV_CLI_EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM stopped the run (128 + SIGINT) */
} TvCliExit;

/* How a scenario is run headless, and what came of it. */
typedef struct
{
  double   speed;       /* 0.1 .. 10 */
  int      print_fd;    /* where printed lines go, or -1 */
  gint64   until;       /* stop at this scenario time (ns), or -1 */
  TvCaptureWriter *writer; /* also records the run here (to save it), or NULL */
} TvCliRunSetup;

typedef struct
{
  TvRunStatus status;
  gboolean    interrupted;   /* a signal stopped it */
  gboolean    reached_until; /* TvCliRunSetup.until stopped it */
  char       *error_message; /* the run-time error, or NULL */
} TvCliRunResult;

/* main.c's dispatch. */
int       tv_cli_main          (int    argc,
                                char **argv,
                                gboolean have_gui);
/* Whether these arguments are for the window (no command, a file, a GTK
 * option) rather than for the command line. */
gboolean  tv_cli_wants_window  (int    argc,
                                char **argv);
void      tv_cli_print_usage   (FILE    *stream,
                                gboolean have_gui);

/* The commands; argv[0] is the command's name. */
int       tv_cli_command_run    (int argc, char **argv);
int       tv_cli_command_check  (int argc, char **argv);
int       tv_cli_command_export (int argc, char **argv);
gboolean  tv_cli_have_export    (void);

/* Shared by the commands. */

/* Parses `argv` (argv[0] is the command) with `context`; on a usage error
 * prints it with a hint and returns FALSE. */
gboolean    tv_cli_parse_options (GOptionContext *context,
                                  const char     *command,
                                  int             argc,
                                  char          **argv);
TvScenario *tv_cli_load        (const char *path);
/* Whether `path` names a trace (.tvt capture or .json Chrome trace) rather
 * than a scenario, by its name. */
gboolean    tv_cli_is_trace_file (const char *path);
/* Opens a .tvt or imports a .json; on error prints it (naming the file)
 * and returns NULL. */
TvTrace    *tv_cli_load_trace  (const char *path);
gboolean    tv_cli_check_speed (double speed);
gboolean    tv_cli_parse_duration (const char *text,
                                   gint64     *nanoseconds);
/*
 * Runs `scenario` to its end (or until a signal or setup->until), draining
 * it into `trace` (and setup->writer, when set) every 20 ms.  Returns FALSE only when the run could not be
 * made or started (the reason on stderr).
 */
gboolean    tv_cli_execute     (TvScenario          *scenario,
                                const TvCliRunSetup *setup,
                                TvTrace             *trace,
                                TvCliRunResult      *result);
/* Reports the result on stderr and turns it into an exit status. */
int         tv_cli_finish      (const TvCliRunResult *result);
void        tv_cli_run_result_clear (TvCliRunResult *result);
void        tv_cli_print_summary (TvTrace              *trace,
                                  const TvCliRunResult *result);

G_END_DECLS
