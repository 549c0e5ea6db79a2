/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-recorder-fd.h: a TvRecorder that another program can map (the preload
 * tracer), plus a block of shared memory for that program's own use.
 *
 * libc only.  tv_recorder_new() makes an anonymous shared mapping, which
 * survives fork() but not exec(): a program started by exec() cannot find
 * it.  tv_recorder_new_in_fd() makes the same recorder in a memfd instead:
 *
 *   page 0: TvRecorderFdHeader | `extra` bytes (page-rounded) | the recorder
 *
 * The recorder holds pointers into itself, so a program that attaches maps
 * it at the very address it has in its creator (MAP_FIXED_NOREPLACE); the
 * rings, the strings and tv_ring_emit() then work unchanged.  The extra
 * block is mapped anywhere and must hold no pointer.
 */
#pragma once

#include <stdint.h>
#include <stddef.h>

#include "tv-recorder.h"

#define TV_RECORDER_FD_MAGIC UINT64_C (0x3164667276547654) /* "TvTvrfd1" */

typedef struct
{
  uint64_t magic;
  uint64_t recorder_address;   /* where its creator maps it (for debugging only) */
  uint64_t recorder_offset;    /* its offset in the file */
  uint64_t recorder_size;
  uint64_t extra_offset;       /* the extra block's offset in the file */
  uint64_t extra_size;
} TvRecorderFdHeader;

/*
 * Creates a recorder (as tv_recorder_new()) in a new memfd with an `extra`
 * block of `extra_bytes` zeroed bytes.  The fd is close-on-exec; clear the
 * flag (or pass it otherwise) for the program meant to attach.  Free it with
 * tv_recorder_detach (recorder, extra) and close the fd.  NULL with errno set
 * on failure.
 */
TvRecorder *tv_recorder_new_in_fd (uint32_t n_rings,
                                   uint32_t ring_capacity,
                                   size_t   string_bytes,
                                   size_t   extra_bytes,
                                   int     *fd_out,
                                   void   **extra_out);

/*
 * Maps the recorder of memfd `fd` and its extra block, anywhere (the
 * recorder holds offsets, not pointers).  NULL with errno set when `fd` is
 * not such a file (EINVAL) or cannot be mapped.  The fd may be closed
 * afterwards.
 */
TvRecorder *tv_recorder_attach_fd (int     fd,
                                   void  **extra_out,
                                   size_t *extra_size_out);

/* Unmaps what tv_recorder_new_in_fd() or tv_recorder_attach_fd() mapped. */
void        tv_recorder_detach (TvRecorder *self,
                                void       *extra);

/*
 * Claims the first ring nobody has claimed (its `in_use` flag, atomically:
 * safe from any thread of any process sharing the recorder) and returns its
 * index, or -1 when every ring is taken.  A claimed ring is never given
 * back, so that a thread index names one thread for the whole run.
 * `hint`, when not NULL, is a shared counter that makes the search start
 * past the rings already taken.
 */
int64_t     tv_recorder_claim_ring (TvRecorder        *self,
                                    _Atomic uint32_t  *hint);
