/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "tv-time-parse"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tv-time-parse.h"

/* Splits "1.5 ms" into the number and what follows it. */
static gboolean
parse_number (const char  *text,
              double      *value,
              const char **unit)
{
  char *end = NULL;

  while (g_ascii_isspace (*text))
    text++;
  if (!g_ascii_isdigit (*text) && *text != '.')
    return FALSE;

  *value = g_ascii_strtod (text, &end);
  if (end == text || !isfinite (*value))
    return FALSE;

  while (g_ascii_isspace (*end))
    end++;
  *unit = end;
  return TRUE;
}

/* The unit's length in ns, or 0 when `unit` (up to trailing spaces) is none. */
static double
unit_scale (const char *unit)
{
  static const struct { const char *name; double scale; } units[] = {
    { "ns", 1.0 },
    { "us", 1e3 },
    { "µs", 1e3 },
    { "ms", 1e6 },
    { "s",  1e9 },
    { "sec", 1e9 },
  };
  g_autofree char *stripped = g_strstrip (g_strdup (unit));

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (g_str_equal (stripped, units[i].name))
      return units[i].scale;
  return 0.0;
}

static gboolean
to_ns (double  value,
       double  scale,
       gint64 *ns)
{
  double result = value * scale;

  if (result < 0 || result > (double) G_MAXINT64 / 2)
    return FALSE;
  *ns = (gint64) llround (result);
  return TRUE;
}

gboolean
tv_time_parse (const char *text,
               gint64     *ns)
{
  const char *unit;
  double value;
  double scale;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (ns != NULL, FALSE);

  if (!parse_number (text, &value, &unit))
    return FALSE;

  scale = *unit == '\0' ? 1e9 : unit_scale (unit);
  if (scale == 0.0)
    return FALSE;

  return to_ns (value, scale, ns);
}

/* Finds the separator; sets where it starts and where the second half begins. */
static gboolean
find_separator (const char  *text,
                const char **sep,
                const char **rest)
{
  static const char *const separators[] = { "\u2013", "\u2014", "..", " to ", "-" };

  for (guint i = 0; i < G_N_ELEMENTS (separators); i++)
    {
      const char *found = strstr (text, separators[i]);

      if (found != NULL)
        {
          *sep = found;
          *rest = found + strlen (separators[i]);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
tv_time_parse_range (const char *text,
                     gint64     *start,
                     gint64     *end)
{
  g_autofree char *first = NULL;
  const char *sep;
  const char *rest;
  const char *first_unit;
  const char *second_unit;
  double first_value;
  double second_value;
  double first_scale;
  double second_scale;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (start != NULL, FALSE);
  g_return_val_if_fail (end != NULL, FALSE);

  if (!find_separator (text, &sep, &rest))
    return FALSE;

  first = g_strndup (text, sep - text);
  if (!parse_number (first, &first_value, &first_unit) ||
      !parse_number (rest, &second_value, &second_unit))
    return FALSE;

  second_scale = *second_unit == '\0' ? 1e9 : unit_scale (second_unit);
  if (second_scale == 0.0)
    return FALSE;

  /* "1.2–1.5s": people write the unit once, after the second number. */
  first_scale = *first_unit == '\0' ? second_scale : unit_scale (first_unit);
  if (first_scale == 0.0)
    return FALSE;

  if (!to_ns (first_value, first_scale, start) ||
      !to_ns (second_value, second_scale, end))
    return FALSE;

  return *start < *end;
}
