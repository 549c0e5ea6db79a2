/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-test.h: what the window test programs share — their
 * application, driving the main loop until a condition holds, the
 * conditions they all wait for, and closing a window for good.
 */
#pragma once

#include <adwaita.h>

#include "tv-application.h"
#include "tv-window.h"

#define TIMEOUT_MS 30000

/* The application the tests open their windows in: NULL where GTK found no
 * display (each test program's main() makes it). */
static TvApplication *app;

/* Runs a window test, or skips it where GTK found no display. */
static inline void
window_test (gconstpointer data)
{
  void (*func) (void) = (void (*) (void)) data;

  if (app == NULL)
    {
      g_test_skip ("No display (run the suite under xvfb-run -a)");
      return;
    }
  func ();
}

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

/* Destroys `window` and checks that nothing keeps it alive, once the lesson
 * list's worker thread has handed its result back. */
static inline void
close_window (TvWindow *window)
{
  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 400 && G_OBJECT (window)->ref_count > 1; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  g_assert_finalize_object (window);
}
