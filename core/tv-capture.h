/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-capture.h: the `.tvt` trace file format, shared by the writer and the
 * reader.  docs/trace-files.md describes it byte by byte; this header is the
 * contract in code.
 *
 * A `.tvt` file is a capture, not a snapshot of the model: it holds the
 * events of a run exactly as they were added to the TvTrace, so that opening
 * it (replaying the events into a fresh TvTrace) gives the same model by
 * construction, whatever the model computes from them now or later.
 *
 * Layout (all integers little-endian, every section 8-byte aligned):
 *
 *   TvCaptureHeader         64 bytes at offset 0
 *   TvCaptureSection[n]     32 bytes each, right after the header
 *   sections                anywhere after the table, not overlapping
 *
 * Sections: META (title, speed, status), SCENARIO (the scenario text),
 * STRINGS (the string table) and EVENTS (the TvEvent records, 32 bytes
 * each, in the order they were added to the trace; the string ids of
 * THREAD_NEW, THREAD_NAME, OBJECT_NEW, PRINT and RUN_ERROR are indices into
 * the file's string table).  Each section carries a CRC-32 of its bytes, so
 * that a damaged file is reported rather than silently drawn wrong.
 */
#pragma once

#include <glib.h>

#include "tv-event.h"

G_BEGIN_DECLS

#define TV_CAPTURE_MAGIC          "TVT\0"
#define TV_CAPTURE_MAGIC_LEN      4
#define TV_CAPTURE_VERSION        1
#define TV_CAPTURE_HEADER_SIZE    64
#define TV_CAPTURE_SECTION_SIZE   32
#define TV_CAPTURE_EVENT_SIZE     32
#define TV_CAPTURE_ALIGN          8

/* A file with more sections than this is not one we wrote. */
#define TV_CAPTURE_MAX_SECTIONS   64
/* Bounds that keep a hostile file from making the model allocate much:
 * thread indices and object ids index arrays in the trace. */
#define TV_CAPTURE_MAX_THREADS    65536u
#define TV_CAPTURE_MAX_OBJECTS    (1u << 20)
/* Latest time (ns) an event may carry: about 31 years, far from overflow
 * when the model and the renderer subtract and add times. */
#define TV_CAPTURE_MAX_TIME       G_GINT64_CONSTANT (1000000000000000000)

/*
 * Header flags.  The low 16 bits are informative: a reader ignores those it
 * does not know.  The high 16 bits change the meaning of the file: a reader
 * refuses a file with one it does not know.
 */
typedef enum
{
  TV_CAPTURE_FLAG_FINISHED     = 1u << 0,   /* the run ended (RUN_END seen) */
  TV_CAPTURE_FLAG_HAS_SCENARIO = 1u << 1,   /* the SCENARIO section is not empty */
  TV_CAPTURE_FLAG_IMPORTED     = 1u << 2,   /* made from another format (Chrome JSON) */
} TvCaptureFlags;

#define TV_CAPTURE_FLAGS_REQUIRED_MASK 0xffff0000u
#define TV_CAPTURE_FLAGS_KNOWN_REQUIRED 0u

typedef enum
{
  TV_CAPTURE_SECTION_META     = 1,
  TV_CAPTURE_SECTION_SCENARIO = 2,
  TV_CAPTURE_SECTION_STRINGS  = 3,
  TV_CAPTURE_SECTION_EVENTS   = 4,
} TvCaptureSectionId;

/* Section flag: a reader that does not know the section id must refuse the
 * file (rather than skip the section). */
#define TV_CAPTURE_SECTION_FLAG_REQUIRED 1u

/* Keys of the META section's records (u16 key, u16 0, u32 length, bytes,
 * padded to 8).  Unknown keys are skipped. */
typedef enum
{
  TV_CAPTURE_META_TITLE     = 1,   /* UTF-8, no NUL */
  TV_CAPTURE_META_SPEED     = 2,   /* f64, 8 bytes */
  TV_CAPTURE_META_STATUS    = 3,   /* u32 TvRunStatus */
  TV_CAPTURE_META_GENERATOR = 4,   /* UTF-8: "ThreadViz 0.1.0" */
  TV_CAPTURE_META_CREATED   = 5,   /* i64: µs since the Unix epoch (wall clock) */
} TvCaptureMetaKey;

/*
 * The on-disk header (the in-memory struct is only a convenience: the
 * reader and the writer convert each field from/to little-endian).
 */
typedef struct
{
  guint8   magic[4];      /* "TVT\0" */
  guint16  version;       /* TV_CAPTURE_VERSION */
  guint16  header_size;   /* 64: a later minor revision may grow it */
  guint32  flags;         /* TvCaptureFlags */
  guint32  n_sections;    /* entries in the section table */
  guint64  n_events;      /* records in the EVENTS section */
  guint32  n_strings;     /* entries in the STRINGS section */
  guint32  n_threads;     /* every thread index in an event is below this */
  guint32  n_objects;     /* every object id in an event is below this */
  guint32  reserved0;     /* 0 */
  gint64   end_time;      /* latest event time, ns */
  guint8   reserved[16];  /* 0 */
} TvCaptureHeader;

typedef struct
{
  guint32  id;            /* TvCaptureSectionId */
  guint32  flags;         /* TV_CAPTURE_SECTION_FLAG_* */
  guint64  offset;        /* from the start of the file, 8-byte aligned */
  guint64  length;        /* in bytes, padding excluded */
  guint32  crc32;         /* CRC-32 (IEEE) of the `length` bytes */
  guint32  reserved;      /* 0 */
} TvCaptureSection;

#define TV_CAPTURE_ERROR (tv_capture_error_quark ())

typedef enum
{
  TV_CAPTURE_ERROR_NOT_A_TRACE,   /* empty, bad magic */
  TV_CAPTURE_ERROR_VERSION,       /* newer version, unknown required flag or section */
  TV_CAPTURE_ERROR_TRUNCATED,     /* a section goes past the end of the file */
  TV_CAPTURE_ERROR_CORRUPT,       /* lengths, checksums or events that make no sense */
  TV_CAPTURE_ERROR_TOO_LARGE,     /* more than the format or this machine can hold */
  TV_CAPTURE_ERROR_CANCELLED,
} TvCaptureError;

GQuark       tv_capture_error_quark (void);

/* Called now and then while a long file is read or written, from the thread
 * doing the work: `fraction` goes from 0 to 1. */
typedef void (*TvCaptureProgressFunc) (double   fraction,
                                       gpointer user_data);

/* Whether event kind `kind`'s arg is a string id (and `text` matters). */
gboolean     tv_capture_kind_has_text (guint kind);

/* CRC-32 (IEEE 802.3, as zlib's crc32()), incremental: start with 0. */
guint32      tv_capture_crc32 (guint32       crc,
                               gconstpointer data,
                               gsize         len);

G_END_DECLS
