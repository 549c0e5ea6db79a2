/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-test.h: what the window test programs share — driving the main
 * loop until a condition holds, and the conditions they all wait for.
 */
#pragma once

#include <adwaita.h>

#include "tv-window.h"

#define TIMEOUT_MS 30000

/* Iterates the default main context until `done (data)`; a test that waits
 * longer than TIMEOUT_MS fails, naming what it waited for. */
static inline void
iterate_until (gboolean  (*done) (gpointer),
               gpointer    data,
               const char *what)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Gave up waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static inline gboolean
not_loading (gpointer data)
{
  return !tv_window_is_loading (data);
}

static inline gboolean
not_running (gpointer data)
{
  return !tv_window_is_running (data);
}
