/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-preload-shared.h: the block of shared memory that `threadviz trace`
 * and every traced process share, beside the recorder (the `extra` block of
 * tv-recorder-fd.h).  libc only, no pointer inside: it is mapped at a
 * different address in each process.
 *
 * The tracer creates it (tv_preload_shared_init()), the preload library of
 * each traced process attaches to it.  It holds the trace's clock, the
 * counters that hand out object ids and address-space ids, and the table
 * that gives every synchronisation object (by address) its object id and
 * remembers who last released it (for the "unblocked by" arrows).
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include "tv-clock.h"

#define TV_PRELOAD_MAGIC        UINT32_C (0x54565031)  /* "TVP1" */
/* Names of the environment variables that lead a process to the recorder. */
#define TV_PRELOAD_ENV_FD       "THREADVIZ_RECORDER_FD"
#define TV_PRELOAD_ENV_PID      "THREADVIZ_RECORDER_PID"
#define TV_PRELOAD_ENV_LIBRARY  "THREADVIZ_PRELOAD"
/* Set by the exec wrappers for the new image: pid:thread index:process id. */
#define TV_PRELOAD_ENV_EXEC     "THREADVIZ_EXEC"
/* Set for a new process started without fork(): thread index:time. */
#define TV_PRELOAD_ENV_PARENT   "THREADVIZ_PARENT"

/* Recorder size: rings are claimed once per thread and never reused. */
#define TV_PRELOAD_N_RINGS      256
#define TV_PRELOAD_RING_EVENTS  32768
#define TV_PRELOAD_STRING_BYTES (4u << 20)

/* Object table: open addressing, a power of two. */
#define TV_PRELOAD_N_SLOTS      (1u << 16)

typedef struct
{
  /* (address space << 48) | address; 0 = free.  Claimed by CAS. */
  _Atomic uint64_t key;
  /* The object id, 0 until whoever claimed the key has named it. */
  _Atomic uint32_t id;
  /* The last thread that released / posted / signalled it, plus one. */
  _Atomic uint32_t last_thread;
  _Atomic int64_t  last_time;
  uint64_t         reserved;
} TvPreloadSlot;

/* Who started a child that cannot say so itself (system(), popen(): libc
 * starts their shell through its internal posix_spawn, whose environment
 * the library cannot touch).  The shell's constructor finds its parent's
 * entry by pid (slot pid % N).  Written last: pid, with release. */
#define TV_PRELOAD_N_SPAWNERS   64

typedef struct
{
  _Atomic int32_t  pid;       /* the spawning process, 0 = none */
  _Atomic uint32_t thread;    /* its thread that spawned */
  _Atomic int64_t  time;      /* when */
} TvPreloadSpawner;

typedef struct
{
  uint32_t          magic;
  _Atomic int32_t   root_pid;       /* the traced command's pid */
  TvClock           clock;
  _Atomic uint32_t  next_object;    /* object ids handed out from 1 */
  _Atomic uint32_t  next_space;     /* address-space ids (one per exec) */
  _Atomic uint32_t  ring_hint;      /* tv_recorder_claim_ring()'s hint */
  _Atomic uint32_t  n_processes;
  _Atomic uint32_t  slots_full;     /* objects not traced: table full */
  _Atomic uint32_t  rings_full;     /* threads not traced: no ring left */
  _Atomic uint32_t  attach_failed;  /* processes that could not attach */
  TvPreloadSpawner  spawners[TV_PRELOAD_N_SPAWNERS];
  _Alignas (64) TvPreloadSlot slots[TV_PRELOAD_N_SLOTS];
} TvPreloadShared;

static inline void
tv_preload_shared_init (TvPreloadShared *self)
{
  self->magic = TV_PRELOAD_MAGIC;
  atomic_store (&self->root_pid, 0);
  tv_clock_init (&self->clock, 1.0);
  atomic_store (&self->next_object, 1);
  atomic_store (&self->next_space, 1);
}
