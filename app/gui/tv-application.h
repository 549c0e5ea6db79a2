/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-application.h: the AdwApplication.  Opens `.tvs` files given on the
 * command line or by the file manager, and the first lesson otherwise.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TV_TYPE_APPLICATION (tv_application_get_type ())
G_DECLARE_FINAL_TYPE (TvApplication, tv_application, TV, APPLICATION, AdwApplication)

TvApplication *tv_application_new (void);

/* Loads the compiled-in resources (the .ui templates, CSS and icons) once. */
void           tv_application_register_resources (void);

/*
 * Picks GSK's cairo renderer on a machine with no GPU render node (no
 * /dev/dri/renderD*), unless GSK_RENDERER is set: GTK would pick GL, which
 * Mesa then emulates on the CPU at 70-200 ms a frame however little
 * changed (docs/performance.md, "Frame times").  Call it from main(),
 * before GTK makes its first renderer and before any thread starts.
 */
void           tv_application_choose_renderer (void);

G_END_DECLS
