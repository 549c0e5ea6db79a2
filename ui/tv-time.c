/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tv-time.h"

char *
tv_time_format (gint64  ns,
                int     decimals,
                char   *buf,
                gsize   size)
{
  static const struct { gint64 unit; const char *name; } units[] = {
    { TV_NSEC_PER_SEC, "s" },
    { TV_NSEC_PER_MSEC, "ms" },
    { TV_NSEC_PER_USEC, "µs" },
    { 1, "ns" },
  };
  gint64 mag = ns < 0 ? -ns : ns;
  guint i;
  char num[64];

  g_return_val_if_fail (buf != NULL && size > 0, buf);

  if (ns == 0)
    {
      g_strlcpy (buf, "0", size);
      return buf;
    }

  for (i = 0; i < G_N_ELEMENTS (units) - 1; i++)
    if (mag >= units[i].unit)
      break;

  /* More decimals than the unit has digits would invent precision. */
  decimals = CLAMP (decimals, 0, (int) (3 * (G_N_ELEMENTS (units) - 1 - i)));

  /* Integer arithmetic keeps "1.000001 s" exact where a double would not. */
  {
    gint64 whole = mag / units[i].unit;
    gint64 frac = mag % units[i].unit;
    gint64 unit_digits = 1;
    int n;

    while (unit_digits < units[i].unit)
      unit_digits *= 10;
    if (decimals > 0)
      {
        gint64 div = unit_digits;
        char fbuf[16];
        int d;

        for (d = 0; d < decimals; d++)
          div /= 10;
        if (div < 1)
          div = 1;
        /* Round to the shown precision. */
        frac = (frac + div / 2) / div;
        {
          gint64 limit = 1;
          for (d = 0; d < decimals; d++)
            limit *= 10;
          if (frac >= limit)
            {
              whole += 1;
              frac -= limit;
            }
        }
        g_snprintf (fbuf, sizeof fbuf, "%0*" G_GINT64_FORMAT, decimals, frac);
        n = strlen (fbuf);
        while (n > 0 && fbuf[n - 1] == '0')
          fbuf[--n] = '\0';
        if (n > 0)
          g_snprintf (num, sizeof num, "%s%" G_GINT64_FORMAT ".%s",
                      ns < 0 ? "-" : "", whole, fbuf);
        else
          g_snprintf (num, sizeof num, "%s%" G_GINT64_FORMAT,
                      ns < 0 ? "-" : "", whole);
      }
    else
      {
        whole = (mag + units[i].unit / 2) / units[i].unit;
        g_snprintf (num, sizeof num, "%s%" G_GINT64_FORMAT,
                    ns < 0 ? "-" : "", whole);
      }
  }

  g_snprintf (buf, size, "%s %s", num, units[i].name);
  return buf;
}
