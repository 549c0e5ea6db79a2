/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-time.h: a span of scenario time (int64 nanoseconds) and the few helpers
 * that keep conversions between times and pixels in one place.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TV_NSEC_PER_USEC G_GINT64_CONSTANT (1000)
#define TV_NSEC_PER_MSEC G_GINT64_CONSTANT (1000000)
#define TV_NSEC_PER_SEC  G_GINT64_CONSTANT (1000000000)

typedef struct
{
  gint64 start;
  gint64 end;
} TvTimeSpan;

static inline gint64
tv_time_span_duration (const TvTimeSpan *span)
{
  return span->end - span->start;
}

static inline gboolean
tv_time_span_contains (const TvTimeSpan *span,
                       gint64            time)
{
  return time >= span->start && time < span->end;
}

/* Whether [start, end) and the span share any time. */
static inline gboolean
tv_time_span_overlaps (const TvTimeSpan *span,
                       gint64            start,
                       gint64            end)
{
  return start < span->end && end > span->start;
}

static inline gint64
tv_time_span_clamp (const TvTimeSpan *span,
                    gint64            time)
{
  return CLAMP (time, span->start, span->end);
}

/* Where `time` falls in the span, 0 at its start and 1 at its end. */
static inline double
tv_time_span_normalize (const TvTimeSpan *span,
                        gint64            time)
{
  gint64 duration = tv_time_span_duration (span);

  if (duration <= 0)
    return 0.0;
  return (double) (time - span->start) / (double) duration;
}

/*
 * Formats `ns` with a human unit (ns, µs, ms, s) and at most `decimals`
 * decimals, trailing zeros removed: "0", "250 µs", "1.5 ms", "12 s".
 * Returns `buf`.
 */
char *tv_time_format (gint64  ns,
                      int     decimals,
                      char   *buf,
                      gsize   size);

G_END_DECLS
