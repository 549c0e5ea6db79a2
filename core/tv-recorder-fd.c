/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-recorder-fd.c: a recorder in a memfd, for programs started by exec()
 * (the preload tracer).  See tv-recorder-fd.h.
 *
 * Built on the public API of tv-recorder.c only: the recorder is made as
 * usual (an anonymous shared mapping), its bookkeeping (everything before
 * the first ring's events) copied into the memfd while nobody uses it yet,
 * and the file is mapped over it at the same address
 * (MAP_FIXED replaces the anonymous pages atomically).  From then on the
 * creator and every attached program share the file's pages, and
 * tv_recorder_free() / tv_recorder_detach() unmap them like any mapping.
 */
#define _GNU_SOURCE

#include "tv-recorder-fd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t
page_round (size_t value)
{
  size_t page = (size_t) sysconf (_SC_PAGESIZE);

  return (value + page - 1) & ~(page - 1);
}

/* The size of the mapping that starts at `address`, from /proc/self/maps:
 * tv-recorder.c keeps its size to itself.  A shared anonymous mapping is its
 * own shmem object, so the kernel never merges it with a neighbour. */
static size_t
mapping_size (const void *address)
{
  FILE *maps = fopen ("/proc/self/maps", "re");
  char line[512];
  size_t size = 0;

  if (maps == NULL)
    return 0;
  while (fgets (line, sizeof line, maps) != NULL)
    {
      uintptr_t start, end;

      if (sscanf (line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2
          && start == (uintptr_t) address)
        {
          size = end - start;
          break;
        }
    }
  fclose (maps);
  return size;
}

TvRecorder *
tv_recorder_new_in_fd (uint32_t n_rings,
                       uint32_t ring_capacity,
                       size_t   string_bytes,
                       size_t   extra_bytes,
                       int     *fd_out,
                       void   **extra_out)
{
  TvRecorderFdHeader header = { 0 };
  TvRecorder *self;
  size_t size, used, extra_size = page_round (extra_bytes > 0 ? extra_bytes : 1);
  size_t head_size = page_round (sizeof header);
  char *block;
  int fd = -1, saved;

  self = tv_recorder_new (n_rings, ring_capacity, string_bytes);
  if (self == NULL)
    return NULL;
  size = mapping_size (self);
  if (size == 0)
    {
      tv_recorder_free (self);
      errno = ENOENT;
      return NULL;
    }

  header.magic = TV_RECORDER_FD_MAGIC;
  header.recorder_address = (uint64_t) (uintptr_t) self;
  header.extra_offset = head_size;
  header.extra_size = extra_size;
  header.recorder_offset = head_size + extra_size;
  header.recorder_size = size;

  /* Only the bookkeeping before the first ring's events was written: the
   * events and the strings are still zero, and the file's holes read as
   * zero without taking memory (copying them would commit all of it). */
  used = (size_t) ((char *) tv_ring_events (tv_recorder_get_ring (self, 0)) - (char *) self);
  if (used > size)
    used = size;

  fd = memfd_create ("threadviz-recorder", MFD_CLOEXEC);
  if (fd < 0)
    goto fail;
  if (ftruncate (fd, (off_t) (header.recorder_offset + size)) < 0
      || pwrite (fd, &header, sizeof header, 0) != (ssize_t) sizeof header
      || pwrite (fd, self, used, (off_t) header.recorder_offset) != (ssize_t) used)
    goto fail;

  block = mmap (NULL, head_size + extra_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (block == MAP_FAILED)
    goto fail;
  if (mmap (self, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
            (off_t) header.recorder_offset) == MAP_FAILED)
    {
      saved = errno;
      munmap (block, head_size + extra_size);
      errno = saved;
      goto fail;
    }

  *fd_out = fd;
  *extra_out = block + head_size;
  return self;

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  tv_recorder_free (self);
  errno = saved;
  return NULL;
}

TvRecorder *
tv_recorder_attach_fd (int     fd,
                       void  **extra_out,
                       size_t *extra_size_out)
{
  TvRecorderFdHeader header;
  struct stat st;
  char *block;
  void *recorder;

  if (fstat (fd, &st) < 0)
    return NULL;
  if (pread (fd, &header, sizeof header, 0) != (ssize_t) sizeof header
      || header.magic != TV_RECORDER_FD_MAGIC
      || header.recorder_offset + header.recorder_size != (uint64_t) st.st_size
      || header.extra_offset + header.extra_size > header.recorder_offset)
    {
      errno = EINVAL;
      return NULL;
    }

  /* Anywhere: the recorder holds offsets, no pointers (tv-recorder.c). */
  recorder = mmap (NULL, header.recorder_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                   (off_t) header.recorder_offset);
  if (recorder == MAP_FAILED)
    return NULL;

  block = mmap (NULL, header.extra_offset + header.extra_size,
                PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (block == MAP_FAILED)
    {
      int saved = errno;

      munmap (recorder, header.recorder_size);
      errno = saved;
      return NULL;
    }

  *extra_out = block + header.extra_offset;
  if (extra_size_out != NULL)
    *extra_size_out = header.extra_size;
  return recorder;
}

void
tv_recorder_detach (TvRecorder *self,
                    void       *extra)
{
  const TvRecorderFdHeader *header;
  size_t head_size = page_round (sizeof *header);

  if (extra == NULL)
    return;
  header = (const TvRecorderFdHeader *) ((char *) extra - head_size);
  if (self != NULL)
    munmap (self, header->recorder_size);
  munmap ((void *) header, head_size + header->extra_size);
}

int64_t
tv_recorder_claim_ring (TvRecorder       *self,
                        _Atomic uint32_t *hint)
{
  uint32_t n = tv_recorder_get_n_rings (self);
  uint32_t start = hint != NULL ? atomic_load_explicit (hint, memory_order_relaxed) : 0;

  for (uint32_t i = start < n ? start : 0; i < n; i++)
    {
      TvRing *ring = tv_recorder_get_ring (self, i);
      uint32_t expected = 0;

      if (atomic_compare_exchange_strong_explicit (&ring->in_use, &expected, 1,
                                                   memory_order_acq_rel,
                                                   memory_order_relaxed))
        {
          if (hint != NULL)
            atomic_fetch_add_explicit (hint, 1, memory_order_relaxed);
          return i;
        }
    }
  return -1;
}
