/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "tv-axis.h"
#include "tv-time.h"

gint64
tv_axis_nice_step (double min_ns)
{
  gint64 power = 1;

  if (!(min_ns > 1.0))
    return 1;

  /* 10^18 ns is 31 years: nothing a scenario runs for. */
  while (power < G_GINT64_CONSTANT (1000000000000000000))
    {
      if (power >= min_ns)
        return power;
      if (2 * power >= min_ns)
        return 2 * power;
      if (5 * power >= min_ns)
        return 5 * power;
      power *= 10;
    }
  return power;
}

gint64
tv_axis_next_step (gint64 step)
{
  return tv_axis_nice_step ((double) step + 0.5);
}

/* How many decimals multiples of `step` need when written in `unit`. */
static int
decimals_for (gint64 step,
              gint64 unit)
{
  gint64 g = unit;
  int d = 0;

  while (g > 1 && step % g != 0)
    {
      g /= 10;
      d++;
    }
  return d;
}

static gint64
unit_of (gint64 ns)
{
  ns = ns < 0 ? -ns : ns;
  if (ns >= TV_NSEC_PER_SEC)
    return TV_NSEC_PER_SEC;
  if (ns >= TV_NSEC_PER_MSEC)
    return TV_NSEC_PER_MSEC;
  if (ns >= TV_NSEC_PER_USEC)
    return TV_NSEC_PER_USEC;
  return 1;
}

static gint64
floor_to (gint64 value,
          gint64 step)
{
  gint64 q = value / step;

  if (value < 0 && q * step != value)
    q--;
  return q * step;
}

static void
update_layout (TvAxisTicks *ticks)
{
  gint64 largest;
  gint64 power;

  ticks->first = floor_to (ticks->start, ticks->step);
  if (ticks->first < ticks->start)
    ticks->first += ticks->step;

  /* A minor tick every fifth (1, 5) or half (2) of the step. */
  {
    gint64 lead = ticks->step;
    while (lead >= 10 && lead % 10 == 0)
      lead /= 10;
    if (lead == 2 && ticks->step >= 2)
      ticks->minor_step = ticks->step / 2;
    else if (ticks->step >= 5)
      ticks->minor_step = ticks->step / 5;
    else
      ticks->minor_step = ticks->step;
  }

  /*
   * Absolute labels stay short as long as the largest one needs at most
   * three decimals in its own unit; beyond that, offsets from a base.
   */
  ticks->base = 0;
  largest = MAX (ABS (ticks->start), ABS (ticks->end));
  if (decimals_for (ticks->step, unit_of (largest)) <= 3)
    return;

  power = 1;
  while (power < ticks->end - ticks->start && power < G_MAXINT64 / 10)
    power *= 10;
  ticks->base = floor_to (ticks->start, power);
}

void
tv_axis_ticks_init (TvAxisTicks *ticks,
                    gint64       start,
                    gint64       end,
                    double       width,
                    double       min_spacing)
{
  double ns_per_px;

  g_return_if_fail (ticks != NULL);

  if (end <= start)
    end = start + 1;
  if (width < 1.0)
    width = 1.0;

  ns_per_px = (double) (end - start) / width;
  ticks->start = start;
  ticks->end = end;
  ticks->step = tv_axis_nice_step (ns_per_px * MAX (min_spacing, 1.0));
  update_layout (ticks);
}

void
tv_axis_ticks_widen (TvAxisTicks *ticks)
{
  g_return_if_fail (ticks != NULL);

  ticks->step = tv_axis_next_step (ticks->step);
  update_layout (ticks);
}

char *
tv_axis_format_tick (const TvAxisTicks *ticks,
                     gint64             time,
                     char              *buf,
                     gsize              size)
{
  gint64 value = time - ticks->base;

  g_return_val_if_fail (ticks != NULL && buf != NULL, buf);

  if (ticks->base != 0 && value != 0)
    {
      char tmp[64];

      tv_time_format (value, decimals_for (ticks->step, unit_of (value)),
                      tmp, sizeof tmp);
      g_snprintf (buf, size, "+%s", tmp);
      return buf;
    }
  return tv_time_format (value, decimals_for (ticks->step, unit_of (value)),
                         buf, size);
}

char *
tv_axis_format_base (const TvAxisTicks *ticks,
                     char              *buf,
                     gsize              size)
{
  g_return_val_if_fail (ticks != NULL && buf != NULL, NULL);

  if (ticks->base == 0)
    return NULL;
  return tv_time_format (ticks->base, 9, buf, size);
}
