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

G_END_DECLS
