/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-capture-writer.c: collects a run's events and writes a `.tvt` file.
 *
 * Like Sysprof's capture writer, it knows nothing of the model: it stores
 * what it is given, in the file's byte order, and writes the sections
 * behind a header and a section table that let the reader check everything
 * before it trusts anything.
 */
#define G_LOG_DOMAIN "tv-capture-writer"

#include "config.h"

#include <string.h>

#include "tv-capture-writer.h"
#include "tv-run.h"

/* 32768 events: 1 MiB per chunk, written with one call. */
#define CHUNK_EVENTS 32768

struct _TvCaptureWriter
{
  /* Events in their on-disk form, CHUNK_EVENTS per chunk; the last chunk
   * holds `n_events % CHUNK_EVENTS` (or is full). */
  GPtrArray   *chunks;
  guint64      n_events;

  /* String table: `blob` holds the NUL-terminated texts back to back;
   * `ends` the end offset of each (the file's offset table, less its 0). */
  GByteArray  *blob;
  GArray      *ends;          /* guint32 */
  guint64      strings_dropped;

  GArray      *scratch;       /* TvEvent: the batch being drained */

  char        *scenario;
  char        *title;
  double       speed;
  guint        status;
  gboolean     status_set;
  gboolean     imported;

  /* 64-bit so that an id of G_MAXUINT32 cannot wrap them to 0. */
  guint64      n_threads;
  guint64      n_objects;
  gint64       end_time;
  guint        run_end_status;
  gboolean     finished;
};

TvCaptureWriter *
tv_capture_writer_new (void)
{
  TvCaptureWriter *self = g_new0 (TvCaptureWriter, 1);

  self->chunks = g_ptr_array_new_with_free_func (g_free);
  self->blob = g_byte_array_new ();
  self->ends = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->scratch = g_array_new (FALSE, FALSE, sizeof (TvEvent));
  self->speed = 1.0;
  self->run_end_status = TV_RUN_RUNNING;

  return self;
}

void
tv_capture_writer_free (TvCaptureWriter *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->chunks);
  g_byte_array_unref (self->blob);
  g_array_unref (self->ends);
  g_array_unref (self->scratch);
  g_free (self->scenario);
  g_free (self->title);
  g_free (self);
}

void
tv_capture_writer_set_scenario (TvCaptureWriter *self,
                                const char      *text)
{
  g_return_if_fail (self != NULL);

  g_free (self->scenario);
  self->scenario = g_strdup (text);
}

void
tv_capture_writer_set_title (TvCaptureWriter *self,
                             const char      *title)
{
  g_return_if_fail (self != NULL);

  g_free (self->title);
  self->title = g_strdup (title);
}

void
tv_capture_writer_set_speed (TvCaptureWriter *self,
                             double           speed)
{
  g_return_if_fail (self != NULL);

  self->speed = speed;
}

void
tv_capture_writer_set_status (TvCaptureWriter *self,
                              guint            status)
{
  g_return_if_fail (self != NULL);

  self->status = status;
  self->status_set = TRUE;
}

void
tv_capture_writer_set_imported (TvCaptureWriter *self,
                                gboolean         imported)
{
  g_return_if_fail (self != NULL);

  self->imported = !!imported;
}

static guint32
add_string (TvCaptureWriter *self,
            const char      *text)
{
  gsize len = strlen (text) + 1;
  guint32 end;

  /* Offsets are 32-bit in the file: past 4 GiB of text, texts are dropped
   * (and counted) rather than the whole capture lost. */
  if (self->blob->len + len > G_MAXUINT32 || self->ends->len >= G_MAXUINT32 - 1)
    {
      self->strings_dropped++;
      return 0;
    }

  g_byte_array_append (self->blob, (const guint8 *) text, len);
  end = self->blob->len;
  g_array_append_val (self->ends, end);

  return self->ends->len;
}

static inline void
note_thread (TvCaptureWriter *self,
             guint32          thread)
{
  if (thread != TV_NO_THREAD && thread >= self->n_threads)
    self->n_threads = (guint64) thread + 1;
}

static inline void
put_u16 (guint8 *p, guint16 v)
{
  v = GUINT16_TO_LE (v);
  memcpy (p, &v, 2);
}

static inline void
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static inline void
put_u64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

void
tv_capture_writer_add (TvCaptureWriter *self,
                       const TvEvent   *event,
                       const char      *text)
{
  guint8 *chunk;
  guint8 *p;
  gint64 arg;

  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  arg = event->arg;
  if (tv_capture_kind_has_text (event->kind))
    arg = text != NULL ? add_string (self, text) : 0;

  note_thread (self, event->thread);
  switch (event->kind)
    {
    case TV_EV_THREAD_NEW:
    case TV_EV_THREAD_START:
    case TV_EV_ACQUIRE:
    case TV_EV_LINK:
    case TV_EV_DEADLOCK:
    case TV_EV_PAUSE:     /* aux: the stepped thread, or none */
    case TV_EV_RESUME:
      note_thread (self, event->aux);
      break;
    case TV_EV_STATE:
      if (event->arg == TV_STATE_JOIN)
        note_thread (self, event->aux);
      break;
    case TV_EV_RUN_END:
      self->finished = TRUE;
      self->run_end_status = (guint) event->arg;
      break;
    default:
      break;
    }
  if (event->object >= self->n_objects)
    self->n_objects = (guint64) event->object + 1;
  if (event->time > self->end_time)
    self->end_time = event->time;

  if (self->n_events % CHUNK_EVENTS == 0)
    g_ptr_array_add (self->chunks, g_malloc ((gsize) CHUNK_EVENTS * TV_CAPTURE_EVENT_SIZE));
  chunk = g_ptr_array_index (self->chunks, self->chunks->len - 1);
  p = chunk + (self->n_events % CHUNK_EVENTS) * TV_CAPTURE_EVENT_SIZE;

  put_u64 (p + 0, (guint64) event->time);
  put_u64 (p + 8, (guint64) arg);
  put_u32 (p + 16, event->thread);
  put_u32 (p + 20, event->object);
  put_u32 (p + 24, event->aux);
  put_u16 (p + 28, event->kind);
  put_u16 (p + 30, event->line);

  self->n_events++;
}

static void
collect_cb (uint32_t       ring_index,
            const TvEvent *events,
            size_t         n_events,
            void          *user_data)
{
  g_array_append_vals (user_data, events, n_events);
}

static int
compare_time (gconstpointer a,
              gconstpointer b)
{
  const TvEvent *x = a;
  const TvEvent *y = b;

  return x->time < y->time ? -1 : x->time > y->time;
}

gsize
tv_capture_writer_drain (TvCaptureWriter *self,
                         TvTrace         *trace,
                         TvRecorder      *recorder)
{
  gsize n;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (TV_IS_TRACE (trace), 0);
  g_return_val_if_fail (recorder != NULL, 0);

  g_array_set_size (self->scratch, 0);
  tv_recorder_drain (recorder, collect_cb, self->scratch);
  n = self->scratch->len;
  if (n == 0)
    return 0;

  /* Rings are collected one after the other; g_array_sort() is stable, so
   * the events of one ring keep their order among equal times. */
  g_array_sort (self->scratch, compare_time);

  for (gsize i = 0; i < n; i++)
    {
      const TvEvent *event = &g_array_index (self->scratch, TvEvent, i);
      const char *text = NULL;

      if (tv_capture_kind_has_text (event->kind))
        text = tv_recorder_get_string (recorder, (uint64_t) event->arg);
      tv_trace_add_event (trace, event, text);
      tv_capture_writer_add (self, event, text);
    }

  /* A burst (a run's first drain) must not keep its memory forever. */
  if (self->scratch->len > 65536)
    {
      g_array_unref (self->scratch);
      self->scratch = g_array_new (FALSE, FALSE, sizeof (TvEvent));
    }

  tv_trace_changed (trace);
  return n;
}

guint64
tv_capture_writer_get_n_events (TvCaptureWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_events;
}

gsize
tv_capture_writer_get_memory_size (TvCaptureWriter *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return (gsize) self->chunks->len * CHUNK_EVENTS * TV_CAPTURE_EVENT_SIZE +
         self->blob->len + self->ends->len * sizeof (guint32);
}

/* ---- Saving ---------------------------------------------------------- */

static gsize
align_up (gsize n)
{
  return (n + TV_CAPTURE_ALIGN - 1) & ~(gsize) (TV_CAPTURE_ALIGN - 1);
}

static void
meta_add (GByteArray    *meta,
          guint16        key,
          gconstpointer  data,
          guint32        len)
{
  guint8 rec[8] = { 0 };
  static const guint8 zeros[8] = { 0 };

  put_u16 (rec, key);
  put_u32 (rec + 4, len);
  g_byte_array_append (meta, rec, 8);
  g_byte_array_append (meta, data, len);
  g_byte_array_append (meta, zeros, align_up (len) - len);
}

static GByteArray *
build_meta (TvCaptureWriter *self)
{
  GByteArray *meta = g_byte_array_new ();
  g_autofree char *generator = g_strdup_printf ("ThreadViz %s", PACKAGE_VERSION);
  guint8 buf[8];
  guint64 bits;

  if (self->title != NULL && *self->title != '\0')
    meta_add (meta, TV_CAPTURE_META_TITLE, self->title, strlen (self->title));

  memcpy (&bits, &self->speed, 8);
  put_u64 (buf, bits);
  meta_add (meta, TV_CAPTURE_META_SPEED, buf, 8);

  put_u32 (buf, self->status_set ? self->status : self->run_end_status);
  meta_add (meta, TV_CAPTURE_META_STATUS, buf, 4);

  meta_add (meta, TV_CAPTURE_META_GENERATOR, generator, strlen (generator));

  put_u64 (buf, (guint64) g_get_real_time ());
  meta_add (meta, TV_CAPTURE_META_CREATED, buf, 8);

  return meta;
}

typedef struct
{
  guint32       id;
  guint32       flags;
  guint64       offset;
  guint64       length;
  guint32       crc;
} Section;

static gboolean
write_padding (GOutputStream *stream,
               gsize          len,
               GCancellable  *cancellable,
               GError       **error)
{
  static const guint8 zeros[TV_CAPTURE_ALIGN] = { 0 };

  if (align_up (len) == len)
    return TRUE;
  return g_output_stream_write_all (stream, zeros, align_up (len) - len,
                                    NULL, cancellable, error);
}

gboolean
tv_capture_writer_write (TvCaptureWriter       *self,
                         GOutputStream         *stream,
                         GCancellable          *cancellable,
                         TvCaptureProgressFunc  progress,
                         gpointer               user_data,
                         GError               **error)
{
  g_autoptr(GByteArray) meta = NULL;
  g_autoptr(GByteArray) offsets = NULL;
  guint8 header[TV_CAPTURE_HEADER_SIZE] = { 0 };
  guint8 table[4 * TV_CAPTURE_SECTION_SIZE] = { 0 };
  Section sections[4];
  const char *scenario = self->scenario != NULL ? self->scenario : "";
  guint64 events_len = self->n_events * TV_CAPTURE_EVENT_SIZE;
  guint64 pos;
  guint32 flags = 0;
  guint32 crc;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);

  if (self->n_threads > TV_CAPTURE_MAX_THREADS || self->n_objects > TV_CAPTURE_MAX_OBJECTS)
    {
      g_set_error (error, TV_CAPTURE_ERROR, TV_CAPTURE_ERROR_TOO_LARGE,
                   "too many threads (%" G_GUINT64_FORMAT ") or objects (%" G_GUINT64_FORMAT ") for a trace file",
                   self->n_threads, self->n_objects);
      return FALSE;
    }

  meta = build_meta (self);

  /* The offset table: a 0 first, then the end of every string. */
  offsets = g_byte_array_sized_new ((self->ends->len + 1) * 4);
  {
    guint8 le[4];

    put_u32 (le, 0);
    g_byte_array_append (offsets, le, 4);
    for (guint i = 0; i < self->ends->len; i++)
      {
        put_u32 (le, g_array_index (self->ends, guint32, i));
        g_byte_array_append (offsets, le, 4);
      }
  }

  pos = TV_CAPTURE_HEADER_SIZE + G_N_ELEMENTS (sections) * TV_CAPTURE_SECTION_SIZE;

  sections[0] = (Section) { TV_CAPTURE_SECTION_META, 0, pos, meta->len,
                            tv_capture_crc32 (0, meta->data, meta->len) };
  pos = align_up (pos + meta->len);

  sections[1] = (Section) { TV_CAPTURE_SECTION_SCENARIO, 0, pos, strlen (scenario),
                            tv_capture_crc32 (0, scenario, strlen (scenario)) };
  pos = align_up (pos + sections[1].length);

  crc = tv_capture_crc32 (0, offsets->data, offsets->len);
  crc = tv_capture_crc32 (crc, self->blob->data, self->blob->len);
  sections[2] = (Section) { TV_CAPTURE_SECTION_STRINGS, TV_CAPTURE_SECTION_FLAG_REQUIRED,
                            pos, (guint64) offsets->len + self->blob->len, crc };
  pos = align_up (pos + sections[2].length);

  crc = 0;
  for (guint i = 0; i < self->chunks->len; i++)
    {
      guint64 done = (guint64) i * CHUNK_EVENTS;
      guint64 n = MIN (CHUNK_EVENTS, self->n_events - done);

      crc = tv_capture_crc32 (crc, g_ptr_array_index (self->chunks, i), n * TV_CAPTURE_EVENT_SIZE);
    }
  sections[3] = (Section) { TV_CAPTURE_SECTION_EVENTS, TV_CAPTURE_SECTION_FLAG_REQUIRED,
                            pos, events_len, crc };

  if (self->finished)
    flags |= TV_CAPTURE_FLAG_FINISHED;
  if (*scenario != '\0')
    flags |= TV_CAPTURE_FLAG_HAS_SCENARIO;
  if (self->imported)
    flags |= TV_CAPTURE_FLAG_IMPORTED;

  memcpy (header, TV_CAPTURE_MAGIC, TV_CAPTURE_MAGIC_LEN);
  put_u16 (header + 4, TV_CAPTURE_VERSION);
  put_u16 (header + 6, TV_CAPTURE_HEADER_SIZE);
  put_u32 (header + 8, flags);
  put_u32 (header + 12, G_N_ELEMENTS (sections));
  put_u64 (header + 16, self->n_events);
  put_u32 (header + 24, self->ends->len);
  put_u32 (header + 28, (guint32) self->n_threads);
  put_u32 (header + 32, (guint32) self->n_objects);
  put_u64 (header + 40, (guint64) self->end_time);

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      guint8 *e = table + i * TV_CAPTURE_SECTION_SIZE;

      put_u32 (e + 0, sections[i].id);
      put_u32 (e + 4, sections[i].flags);
      put_u64 (e + 8, sections[i].offset);
      put_u64 (e + 16, sections[i].length);
      put_u32 (e + 24, sections[i].crc);
    }

  if (!g_output_stream_write_all (stream, header, sizeof header, NULL, cancellable, error) ||
      !g_output_stream_write_all (stream, table, sizeof table, NULL, cancellable, error) ||
      !g_output_stream_write_all (stream, meta->data, meta->len, NULL, cancellable, error) ||
      !write_padding (stream, meta->len, cancellable, error) ||
      !g_output_stream_write_all (stream, scenario, sections[1].length, NULL, cancellable, error) ||
      !write_padding (stream, sections[1].length, cancellable, error) ||
      !g_output_stream_write_all (stream, offsets->data, offsets->len, NULL, cancellable, error) ||
      !g_output_stream_write_all (stream, self->blob->data, self->blob->len, NULL, cancellable, error) ||
      !write_padding (stream, sections[2].length, cancellable, error))
    return FALSE;

  for (guint i = 0; i < self->chunks->len; i++)
    {
      guint64 done = (guint64) i * CHUNK_EVENTS;
      guint64 n = MIN (CHUNK_EVENTS, self->n_events - done);

      if (!g_output_stream_write_all (stream, g_ptr_array_index (self->chunks, i),
                                      n * TV_CAPTURE_EVENT_SIZE, NULL, cancellable, error))
        return FALSE;
      if (progress != NULL && (i % 16) == 15)
        progress ((double) (done + n) / (double) self->n_events, user_data);
    }

  if (progress != NULL)
    progress (1.0, user_data);

  return TRUE;
}

static gboolean
save_to_file (TvCaptureWriter       *self,
              GFile                 *file,
              const char            *name,
              GCancellable          *cancellable,
              TvCaptureProgressFunc  progress,
              gpointer               user_data,
              GError               **error)
{
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GOutputStream) buffered = NULL;
  g_autoptr(GError) local_error = NULL;

  /* g_file_replace() writes a temporary file and renames it on close, so a
   * failed or cancelled save never leaves half a file behind. */
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                        cancellable, &local_error);
  if (out != NULL)
    {
      buffered = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (out), 1 << 16);
      if (!tv_capture_writer_write (self, buffered, cancellable, progress, user_data, &local_error))
        {
          g_autoptr(GCancellable) abort = g_cancellable_new ();

          /* Closing with a cancelled cancellable drops the temporary file. */
          g_cancellable_cancel (abort);
          g_output_stream_close (buffered, abort, NULL);
        }
      else
        g_output_stream_close (buffered, cancellable, &local_error);
    }

  if (local_error != NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "%s: %s", name, local_error->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
tv_capture_writer_save_to_file (TvCaptureWriter       *self,
                                GFile                 *file,
                                GCancellable          *cancellable,
                                TvCaptureProgressFunc  progress,
                                gpointer               user_data,
                                GError               **error)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  name = g_file_get_parse_name (file);

  return save_to_file (self, file, name, cancellable, progress, user_data, error);
}

gboolean
tv_capture_writer_save (TvCaptureWriter *self,
                        const char      *path,
                        GError         **error)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  file = g_file_new_for_path (path);
  name = g_filename_display_name (path);

  return save_to_file (self, file, name, NULL, NULL, NULL, error);
}
