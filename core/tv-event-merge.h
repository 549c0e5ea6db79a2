/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "tv-event.h"

G_BEGIN_DECLS

/*
 * Sorts by time events that come in runs, one run per ring: each run is
 * already in time order, or nearly (a thread stamps its events as it
 * records them), so a k-way merge costs log k comparisons an event where
 * a sort of the whole costs log n, and no comparison function is called.
 *
 * `events` holds `n_runs` runs back to back; run i ends at `ends[i]` (so
 * `ends[n_runs - 1]` events in all).  A run found out of order is sorted
 * in place first.  `out` receives all of them, sorted by time, stably:
 * equal times keep the order of their runs, and their order within one.
 */
void tv_event_merge_runs (TvEvent     *events,
                          const gsize *ends,
                          guint        n_runs,
                          TvEvent     *out);

/* Orders two TvEvents by time (a GCompareDataFunc: g_qsort_with_data()
 * with it is a stable sort by time). */
gint tv_event_compare_time (gconstpointer a,
                            gconstpointer b,
                            gpointer      unused);

G_END_DECLS
