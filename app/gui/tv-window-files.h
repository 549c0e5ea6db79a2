/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-window-files.h: what tv-window-files.c (saving, opening and exporting
 * traces) and tv-window-program.c (Trace a Program…) share.  The window
 * holds one TvWindowFiles (self->files).
 */
#pragma once

#include "tv-capture-writer.h"
#include "tv-window-private.h"

G_BEGIN_DECLS

typedef struct _TvWindowProgram TvWindowProgram;

struct _TvWindowFiles
{
  /*
   * The capture of what the timeline shows, for Save Trace: fed by the
   * timeline while a run goes on, by the reader when a .tvt is opened,
   * by the import of a .json, by the drain of a traced program.  It
   * belongs to `writer_trace` (a ref): Save Trace saves it only while the
   * window shows that trace.
   */
  TvCaptureWriter *writer;
  TvTrace         *writer_trace;

  /* Opening: a page of main_stack with a progress bar and Cancel. */
  GtkWidget       *opening_page;
  GtkLabel        *opening_label;
  GtkProgressBar  *opening_progress;
  guint            pulse_id;
  guint            open_cancelled_by_user : 1;

  TvWindowProgram *program;
};

/* Replaces the capture (taking `writer`) and says which trace it records. */
void tv_window_files_set_writer (TvWindow        *self,
                                 TvCaptureWriter *writer,
                                 TvTrace         *trace);

/* tv-window-program.c */
void tv_window_program_init     (TvWindow *self);
void tv_window_program_free     (TvWindow *self);

G_END_DECLS
