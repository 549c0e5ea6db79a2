/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-time-parse.h: reads the times and ranges a user types ("250ms",
 * "1.2s–1.5s"), the inverse of tv_time_format().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Parses one duration: a number with an optional unit (ns, us, µs, ms, s;
 * seconds without one), spaces allowed around.  FALSE on anything else.
 */
gboolean tv_time_parse (const char *text,
                        gint64     *ns);

/*
 * Parses a range "A–B", "A-B", "A..B" or "A to B"; a unit written only
 * after B applies to A too ("1.2–1.5s").  FALSE unless 0 <= A < B.
 */
gboolean tv_time_parse_range (const char *text,
                              gint64     *start,
                              gint64     *end);

G_END_DECLS
