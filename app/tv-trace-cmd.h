/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-trace-cmd.h: `threadviz trace [-o OUT.tvt] [--export OUT] -- CMD ARGS…`,
 * an unmodified program run under the preload tracer (docs/tracing-programs.md).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* argv[0] is "trace".  Returns the exit status: the program's own (128 +
 * the signal when one killed it), 64 for a bad command line, 127 when the
 * program cannot be run under the tracer. */
int tv_trace_cmd_main (int argc, char **argv);

G_END_DECLS
