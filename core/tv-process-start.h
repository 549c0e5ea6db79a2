/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-process-start.h: what a process of a run is handed when it starts.
 *
 * A `process` instance runs in a new program, threadviz-process (see
 * tv-process.c), started with posix_spawn() and these descriptors:
 *
 *   3  the run's shared block (a memfd, tv-shared.c)
 *   4  the run's recorder (a memfd, tv-recorder-fd.h)
 *   5  the start message below (a memfd)
 *   6  the run's print_fd, when it has one
 *
 * and argv = { "threadviz-process", SLOT, NAME }: the slot of the instance
 * to run, and its name (for ps).  The message carries what fork() used to
 * copy: the starter's pid, the `var` values and stopwatch origins at the
 * moment of `start`, the spawn counts, and the scenario's file name and
 * text, which the helper parses again: the parse is deterministic, so the
 * slot layout and object ids come out as the parent's.
 */
#pragma once

#include <stdint.h>

#define TV_PROCESS_FD_SHARED   3
#define TV_PROCESS_FD_RECORDER 4
#define TV_PROCESS_FD_START    5
#define TV_PROCESS_FD_PRINT    6

#define TV_PROCESS_START_MAGIC UINT64_C (0x3174727453705654) /* "TVpStrt1" */

/* Followed by int64_t vars[n_vars], uint32_t spawn_counts[n_bodies], the
 * file name (filename_len bytes) and the source (source_len bytes). */
typedef struct
{
  uint64_t magic;
  int32_t  parent_pid;     /* the process that started it */
  uint32_t has_print_fd;
  uint32_t n_slots;        /* the layout it must find */
  uint32_t n_objects;
  uint32_t n_vars;
  uint32_t n_bodies;
  uint32_t has_filename;
  uint32_t reserved;
  uint64_t filename_len;
  uint64_t source_len;
} TvProcessStart;
