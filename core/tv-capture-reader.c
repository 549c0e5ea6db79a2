/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-capture-reader.c: checks a `.tvt` file and replays it into a TvTrace.
 *
 * The file is mapped (GMappedFile) rather than read, so that opening a
 * 300 MB capture costs page faults, not a copy.  Every length in the file is
 * checked against the file's size before anything is read through it, so a
 * lying length can make us neither read out of bounds nor allocate much:
 * the only allocations are copies of the scenario and title, both smaller
 * than the file.
 */
#define G_LOG_DOMAIN "tv-capture-reader"

#include "config.h"

#include <string.h>

#include "tv-capture-reader.h"
#include "tv-run.h"

/* Events replayed between two progress reports and cancellation checks. */
#define REPLAY_BATCH 65536

struct _TvCaptureReader
{
  char          *name;          /* for messages */
  GMappedFile   *mapped;        /* or NULL when made from bytes */
  GBytes        *bytes;
  const guint8  *data;
  gsize          size;

  guint32        flags;
  guint64        n_events;
  guint32        n_strings;
  guint32        n_threads;
  guint32        n_objects;
  gint64         end_time;

  char          *scenario;
  char          *title;
  char          *generator;
  double         speed;
  guint          status;
  gint64         created;

  const guint8  *string_offsets; /* n_strings + 1 little-endian u32 */
  const char    *string_blob;
  const guint8  *events;
  guint32        events_crc;
};

static inline guint16
get_u16 (const guint8 *p)
{
  guint16 v;

  memcpy (&v, p, 2);
  return GUINT16_FROM_LE (v);
}

static inline guint32
get_u32 (const guint8 *p)
{
  guint32 v;

  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static inline guint64
get_u64 (const guint8 *p)
{
  guint64 v;

  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

static const char *
section_name (guint32 id)
{
  switch (id)
    {
    case TV_CAPTURE_SECTION_META:     return "metadata";
    case TV_CAPTURE_SECTION_SCENARIO: return "scenario";
    case TV_CAPTURE_SECTION_STRINGS:  return "string";
    case TV_CAPTURE_SECTION_EVENTS:   return "event";
    default:                          return "unknown";
    }
}

G_GNUC_PRINTF (4, 5)
static gboolean
fail (TvCaptureReader *self,
      GError         **error,
      TvCaptureError   code,
      const char      *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, TV_CAPTURE_ERROR, code, "%s: %s", self->name, message);
  return FALSE;
}

typedef struct
{
  guint32 id;
  guint32 flags;
  guint64 offset;
  guint64 length;
  guint32 crc;
} Section;

static int
compare_sections (gconstpointer a,
                  gconstpointer b)
{
  const Section *sa = a;
  const Section *sb = b;

  return sa->offset < sb->offset ? -1 : sa->offset > sb->offset;
}

static gboolean
read_meta (TvCaptureReader *self,
           const guint8    *p,
           guint64          len,
           GError         **error)
{
  guint64 pos = 0;

  while (pos < len)
    {
      guint16 key;
      guint32 rec_len;
      const guint8 *value;

      if (len - pos < 8)
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                     "metadata record at byte %" G_GUINT64_FORMAT " is cut short", pos);
      key = get_u16 (p + pos);
      rec_len = get_u32 (p + pos + 4);
      if (rec_len > len - pos - 8)
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                     "metadata record %u is %u bytes long, more than its section holds",
                     key, rec_len);
      value = p + pos + 8;

      switch (key)
        {
        case TV_CAPTURE_META_TITLE:
        case TV_CAPTURE_META_GENERATOR:
          if (!g_utf8_validate_len ((const char *) value, rec_len, NULL))
            return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                         "the %s is not valid UTF-8",
                         key == TV_CAPTURE_META_TITLE ? "title" : "generator");
          if (key == TV_CAPTURE_META_TITLE)
            {
              g_free (self->title);
              self->title = g_strndup ((const char *) value, rec_len);
            }
          else
            {
              g_free (self->generator);
              self->generator = g_strndup ((const char *) value, rec_len);
            }
          break;

        case TV_CAPTURE_META_SPEED:
          if (rec_len == 8)
            {
              guint64 bits = get_u64 (value);
              double speed;

              memcpy (&speed, &bits, 8);
              /* A corrupt speed is not worth refusing the file for. */
              if (speed > 0 && speed <= 1000)
                self->speed = speed;
            }
          break;

        case TV_CAPTURE_META_STATUS:
          if (rec_len == 4)
            {
              guint32 status = get_u32 (value);

              if (status > TV_RUN_FAILED)
                return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                             "run status %u is out of range (0..%u)", status, TV_RUN_FAILED);
              self->status = status;
            }
          break;

        case TV_CAPTURE_META_CREATED:
          if (rec_len == 8)
            self->created = (gint64) get_u64 (value);
          break;

        default:
          break;
        }

      /* Records are padded to 8 bytes; the last may end at the section's end. */
      pos += 8 + (((guint64) rec_len + 7) & ~(guint64) 7);
    }

  return TRUE;
}

static gboolean
read_strings (TvCaptureReader *self,
              const guint8    *p,
              guint64          len,
              GError         **error)
{
  guint64 table_len = ((guint64) self->n_strings + 1) * 4;
  guint64 blob_len;
  guint32 prev;

  if (table_len > len)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                 "the string section (%" G_GUINT64_FORMAT " bytes) is too short for %u strings",
                 len, self->n_strings);

  blob_len = len - table_len;
  self->string_offsets = p;
  self->string_blob = (const char *) p + table_len;

  if (get_u32 (p) != 0)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "the string table does not start at 0");

  prev = 0;
  for (guint32 i = 1; i <= self->n_strings; i++)
    {
      guint32 end = get_u32 (p + (gsize) i * 4);

      if (end <= prev || end > blob_len)
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                     "string %u has a bad offset (%u, after %u, in %" G_GUINT64_FORMAT " bytes)",
                     i, end, prev, blob_len);
      if (self->string_blob[end - 1] != '\0')
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "string %u is not terminated", i);
      if (!g_utf8_validate_len (self->string_blob + prev, end - 1 - prev, NULL))
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "string %u is not valid UTF-8", i);
      prev = end;
    }

  if (prev != blob_len)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                 "the string section has %" G_GUINT64_FORMAT " bytes after its last string",
                 blob_len - prev);

  return TRUE;
}

static gboolean
read_file (TvCaptureReader *self,
           GError         **error)
{
  const guint8 *d = self->data;
  Section sections[TV_CAPTURE_MAX_SECTIONS];
  const Section *by_id[TV_CAPTURE_SECTION_EVENTS + 1] = { NULL };
  guint32 n_sections;
  guint16 version;
  guint16 header_size;
  guint64 table_end;

  if (self->size == 0)
    return fail (self, error, TV_CAPTURE_ERROR_NOT_A_TRACE, "empty file, not a ThreadViz trace");

  if (memcmp (d, TV_CAPTURE_MAGIC, MIN (self->size, TV_CAPTURE_MAGIC_LEN)) != 0)
    return fail (self, error, TV_CAPTURE_ERROR_NOT_A_TRACE, "not a ThreadViz trace (bad magic)");

  if (self->size < TV_CAPTURE_HEADER_SIZE)
    return fail (self, error, TV_CAPTURE_ERROR_TRUNCATED,
                 "truncated header (expected %u bytes, found %" G_GSIZE_FORMAT ")",
                 TV_CAPTURE_HEADER_SIZE, self->size);

  version = get_u16 (d + 4);
  if (version == 0)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "version 0 is not a valid version");
  if (version > TV_CAPTURE_VERSION)
    return fail (self, error, TV_CAPTURE_ERROR_VERSION,
                 "version %u is newer than this ThreadViz reads (%u)",
                 version, TV_CAPTURE_VERSION);

  header_size = get_u16 (d + 6);
  self->flags = get_u32 (d + 8);
  n_sections = get_u32 (d + 12);
  self->n_events = get_u64 (d + 16);
  self->n_strings = get_u32 (d + 24);
  self->n_threads = get_u32 (d + 28);
  self->n_objects = get_u32 (d + 32);
  self->end_time = (gint64) get_u64 (d + 40);

  if (header_size < TV_CAPTURE_HEADER_SIZE || header_size % TV_CAPTURE_ALIGN != 0)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "bad header size %u", header_size);

  if ((self->flags & TV_CAPTURE_FLAGS_REQUIRED_MASK & ~TV_CAPTURE_FLAGS_KNOWN_REQUIRED) != 0)
    return fail (self, error, TV_CAPTURE_ERROR_VERSION,
                 "the file needs features this ThreadViz lacks (flags 0x%08x)", self->flags);

  if (n_sections > TV_CAPTURE_MAX_SECTIONS)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                 "%u sections, more than a trace can have (%u)", n_sections, TV_CAPTURE_MAX_SECTIONS);

  if (self->n_threads > TV_CAPTURE_MAX_THREADS)
    return fail (self, error, TV_CAPTURE_ERROR_TOO_LARGE,
                 "%u threads, more than ThreadViz handles (%u)", self->n_threads, TV_CAPTURE_MAX_THREADS);
  if (self->n_objects > TV_CAPTURE_MAX_OBJECTS)
    return fail (self, error, TV_CAPTURE_ERROR_TOO_LARGE,
                 "%u objects, more than ThreadViz handles (%u)", self->n_objects, TV_CAPTURE_MAX_OBJECTS);

  table_end = header_size + (guint64) n_sections * TV_CAPTURE_SECTION_SIZE;
  if (table_end > self->size)
    return fail (self, error, TV_CAPTURE_ERROR_TRUNCATED,
                 "truncated section table (expected %" G_GUINT64_FORMAT " bytes, found %" G_GSIZE_FORMAT ")",
                 table_end, self->size);

  for (guint32 i = 0; i < n_sections; i++)
    {
      const guint8 *e = d + header_size + (gsize) i * TV_CAPTURE_SECTION_SIZE;
      Section *s = &sections[i];

      s->id = get_u32 (e);
      s->flags = get_u32 (e + 4);
      s->offset = get_u64 (e + 8);
      s->length = get_u64 (e + 16);
      s->crc = get_u32 (e + 24);

      if (s->offset < table_end || s->offset % TV_CAPTURE_ALIGN != 0)
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                     "the %s section has a bad offset (%" G_GUINT64_FORMAT ")",
                     section_name (s->id), s->offset);

      if (s->offset > self->size || s->length > self->size - s->offset)
        return fail (self, error, TV_CAPTURE_ERROR_TRUNCATED,
                     "truncated %s section (expected %" G_GUINT64_FORMAT " bytes, found %" G_GUINT64_FORMAT ")",
                     section_name (s->id), s->length,
                     s->offset < self->size ? (guint64) self->size - s->offset : 0);

      if (s->id >= TV_CAPTURE_SECTION_META && s->id <= TV_CAPTURE_SECTION_EVENTS)
        {
          if (by_id[s->id] != NULL)
            return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                         "the %s section appears twice", section_name (s->id));
          by_id[s->id] = s;
        }
      else if (s->flags & TV_CAPTURE_SECTION_FLAG_REQUIRED)
        return fail (self, error, TV_CAPTURE_ERROR_VERSION,
                     "section %u is needed but unknown to this ThreadViz", s->id);
    }

  /* Sections must not overlap: a file whose sections share bytes was not
   * written by us, and its checksums would prove nothing. */
  {
    Section sorted[TV_CAPTURE_MAX_SECTIONS];

    memcpy (sorted, sections, n_sections * sizeof (Section));
    qsort (sorted, n_sections, sizeof (Section), compare_sections);
    for (guint32 i = 1; i < n_sections; i++)
      if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].length)
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                     "the %s and %s sections overlap",
                     section_name (sorted[i - 1].id), section_name (sorted[i].id));
  }

  if (by_id[TV_CAPTURE_SECTION_EVENTS] == NULL)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "no event section");
  if (by_id[TV_CAPTURE_SECTION_STRINGS] == NULL)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "no string section");

  for (guint id = TV_CAPTURE_SECTION_META; id <= TV_CAPTURE_SECTION_STRINGS; id++)
    {
      const Section *s = by_id[id];

      if (s != NULL && tv_capture_crc32 (0, d + s->offset, s->length) != s->crc)
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                     "the %s section is damaged (checksum mismatch)", section_name (id));
    }

  if (by_id[TV_CAPTURE_SECTION_META] != NULL &&
      !read_meta (self, d + by_id[TV_CAPTURE_SECTION_META]->offset,
                  by_id[TV_CAPTURE_SECTION_META]->length, error))
    return FALSE;

  if (by_id[TV_CAPTURE_SECTION_SCENARIO] != NULL)
    {
      const Section *s = by_id[TV_CAPTURE_SECTION_SCENARIO];

      if (!g_utf8_validate_len ((const char *) d + s->offset, s->length, NULL))
        return fail (self, error, TV_CAPTURE_ERROR_CORRUPT, "the scenario is not valid UTF-8");
      g_free (self->scenario);
      self->scenario = g_strndup ((const char *) d + s->offset, s->length);
    }

  if (!read_strings (self, d + by_id[TV_CAPTURE_SECTION_STRINGS]->offset,
                     by_id[TV_CAPTURE_SECTION_STRINGS]->length, error))
    return FALSE;

  {
    const Section *s = by_id[TV_CAPTURE_SECTION_EVENTS];

    if (s->length % TV_CAPTURE_EVENT_SIZE != 0 ||
        s->length / TV_CAPTURE_EVENT_SIZE != self->n_events)
      return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                   "the event section holds %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT
                   " events of %u bytes",
                   s->length, self->n_events, TV_CAPTURE_EVENT_SIZE);
    self->events = d + s->offset;
    self->events_crc = s->crc;
  }

  return TRUE;
}

static TvCaptureReader *
reader_new (const char *name)
{
  TvCaptureReader *self = g_new0 (TvCaptureReader, 1);

  self->name = g_strdup (name);
  self->speed = 1.0;
  self->status = TV_RUN_RUNNING;

  return self;
}

TvCaptureReader *
tv_capture_reader_new_from_bytes (GBytes      *bytes,
                                  const char  *name,
                                  GError     **error)
{
  g_autoptr(TvCaptureReader) self = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);

  self = reader_new (name != NULL ? name : "trace");
  self->bytes = g_bytes_ref (bytes);
  self->data = g_bytes_get_data (bytes, &self->size);

  if (!read_file (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

TvCaptureReader *
tv_capture_reader_new (const char  *path,
                       GError     **error)
{
  g_autoptr(TvCaptureReader) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  name = g_filename_display_name (path);
  self = reader_new (name);
  self->mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (self->mapped == NULL)
    {
      /* GMappedFile's message already names the file. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  self->data = (const guint8 *) g_mapped_file_get_contents (self->mapped);
  self->size = g_mapped_file_get_length (self->mapped);

  if (!read_file (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
tv_capture_reader_free (TvCaptureReader *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->mapped, g_mapped_file_unref);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->name);
  g_free (self->scenario);
  g_free (self->title);
  g_free (self->generator);
  g_free (self);
}

const char *
tv_capture_reader_get_scenario (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->scenario != NULL ? self->scenario : "";
}

const char *
tv_capture_reader_get_title (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->title;
}

const char *
tv_capture_reader_get_generator (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->generator;
}

double
tv_capture_reader_get_speed (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, 1.0);

  return self->speed;
}

guint
tv_capture_reader_get_status (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->status;
}

guint32
tv_capture_reader_get_flags (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->flags;
}

guint64
tv_capture_reader_get_n_events (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_events;
}

gint64
tv_capture_reader_get_end_time (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->end_time;
}

gint64
tv_capture_reader_get_created (TvCaptureReader *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->created;
}

/* ---- Replaying ------------------------------------------------------- */

static inline gboolean
thread_ok (TvCaptureReader *self,
           guint32          thread)
{
  return thread < self->n_threads;
}

static inline gboolean
time_ok (gint64 t)
{
  return t >= 0 && t <= TV_CAPTURE_MAX_TIME;
}

/*
 * Checks what the model will use of `ev` as an index or a time, so that a
 * damaged or hostile file can never make it index out of range.  Returns a
 * static description of the problem, or NULL when the event is sound.
 */
static const char *
check_event (TvCaptureReader *self,
             const TvEvent   *ev)
{
  if (ev->kind == TV_EV_NONE || ev->kind >= TV_N_EVENT_KINDS)
    return "has an unknown kind";
  if (ev->thread == TV_NO_THREAD)
    {
      /* Only events about objects or the run may happen on no thread
       * (Chrome imports make such counters and objects; the run's
       * controller records pauses and resumes on a ring of its own). */
      if (ev->kind != TV_EV_OBJECT_NEW && ev->kind != TV_EV_QUEUE_PUT &&
          ev->kind != TV_EV_QUEUE_GET && ev->kind != TV_EV_VAR_READ &&
          ev->kind != TV_EV_VAR_WRITE && ev->kind != TV_EV_RUN_END &&
          ev->kind != TV_EV_PAUSE && ev->kind != TV_EV_RESUME)
        return "happens on no thread";
    }
  else if (!thread_ok (self, ev->thread))
    return "names a thread out of range";
  if (ev->object >= self->n_objects)
    return "names an object out of range";
  if (!time_ok (ev->time))
    return "has a time out of range";

  if (tv_capture_kind_has_text (ev->kind) &&
      (ev->arg < 0 || ev->arg > (gint64) self->n_strings))
    return "names a string out of range";

  switch ((TvEventKind) ev->kind)
    {
    case TV_EV_THREAD_NEW:
    case TV_EV_DEADLOCK:
    case TV_EV_PAUSE:     /* aux: the stepped thread, or none */
    case TV_EV_RESUME:
      if (ev->aux != TV_NO_THREAD && !thread_ok (self, ev->aux))
        return "names a second thread out of range";
      break;

    case TV_EV_THREAD_START:
    case TV_EV_ACQUIRE:
      if (ev->aux != TV_NO_THREAD && (!thread_ok (self, ev->aux) || !time_ok (ev->arg)))
        return "has a link from a thread or time out of range";
      break;

    case TV_EV_LINK:
      if (!thread_ok (self, ev->aux) || !time_ok (ev->arg))
        return "has a link from a thread or time out of range";
      if (ev->line < TV_LINK_ITEM || ev->line >= TV_N_LINK_KINDS)
        return "has an unknown link kind";
      break;

    case TV_EV_STATE:
      if (ev->arg < 0 || ev->arg >= TV_N_STATES)
        return "has an unknown state";
      if (ev->arg == TV_STATE_JOIN && ev->aux != TV_NO_THREAD && !thread_ok (self, ev->aux))
        return "joins a thread out of range";
      break;

    case TV_EV_OBJECT_NEW:
      if (ev->object == TV_NO_OBJECT)
        return "creates object 0";
      if (ev->aux >= TV_N_OBJ_KINDS)
        return "has an unknown object kind";
      break;

    case TV_EV_RUN_ERROR:
      if (ev->aux > TV_RUN_ERROR_TASK_DONE)   /* the last TvRunErrorKind */
        return "has an unknown error kind";
      break;

    case TV_EV_RUN_END:
      if (ev->arg < 0 || ev->arg > TV_RUN_FAILED)
        return "has an unknown run status";
      break;

    case TV_EV_RELEASE:
    case TV_EV_DROPPED:
      if (ev->arg < 0)
        return "has a negative count";
      break;

    case TV_EV_NONE:
    case TV_EV_THREAD_EXIT:
    case TV_EV_THREAD_NAME:
    case TV_EV_THREAD_OS:
    case TV_EV_ACQUIRE_FAILED:
    case TV_EV_QUEUE_PUT:
    case TV_EV_QUEUE_GET:
    case TV_EV_VAR_READ:
    case TV_EV_VAR_WRITE:
    case TV_EV_PRINT:
    case TV_N_EVENT_KINDS:
    default:
      break;
    }

  return NULL;
}

static inline const char *
string_at (TvCaptureReader *self,
           gint64           id)
{
  if (id <= 0)
    return NULL;
  return self->string_blob + get_u32 (self->string_offsets + (gsize) (id - 1) * 4);
}

gboolean
tv_capture_reader_replay (TvCaptureReader       *self,
                          TvTrace               *trace,
                          TvCaptureWriter       *writer,
                          GCancellable          *cancellable,
                          TvCaptureProgressFunc  progress,
                          gpointer               user_data,
                          GError               **error)
{
  guint32 crc = 0;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (TV_IS_TRACE (trace), FALSE);

  if (self->title != NULL)
    tv_trace_set_title (trace, self->title);

  if (writer != NULL)
    {
      tv_capture_writer_set_scenario (writer, self->scenario);
      tv_capture_writer_set_title (writer, self->title);
      tv_capture_writer_set_speed (writer, self->speed);
      tv_capture_writer_set_status (writer, self->status);
      tv_capture_writer_set_imported (writer, (self->flags & TV_CAPTURE_FLAG_IMPORTED) != 0);
    }

  for (guint64 start = 0; start < self->n_events; start += REPLAY_BATCH)
    {
      guint64 end = MIN (start + REPLAY_BATCH, self->n_events);
      const guint8 *batch = self->events + start * TV_CAPTURE_EVENT_SIZE;

      if (g_cancellable_is_cancelled (cancellable))
        return fail (self, error, TV_CAPTURE_ERROR_CANCELLED, "reading was cancelled");

      crc = tv_capture_crc32 (crc, batch, (end - start) * TV_CAPTURE_EVENT_SIZE);

      for (guint64 i = start; i < end; i++)
        {
          const guint8 *p = self->events + i * TV_CAPTURE_EVENT_SIZE;
          const char *problem;
          const char *text = NULL;
          TvEvent ev;

          ev.time = (gint64) get_u64 (p);
          ev.arg = (gint64) get_u64 (p + 8);
          ev.thread = get_u32 (p + 16);
          ev.object = get_u32 (p + 20);
          ev.aux = get_u32 (p + 24);
          ev.kind = get_u16 (p + 28);
          ev.line = get_u16 (p + 30);

          if ((problem = check_event (self, &ev)) != NULL)
            {
              if (ev.kind > TV_EV_NONE && ev.kind < TV_N_EVENT_KINDS)
                return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                             "event %" G_GUINT64_FORMAT " (%s) %s",
                             i, tv_event_kind_to_string (ev.kind), problem);
              return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                           "event %" G_GUINT64_FORMAT " has an unknown kind (%u)", i, ev.kind);
            }

          if (tv_capture_kind_has_text (ev.kind))
            text = string_at (self, ev.arg);

          tv_trace_add_event (trace, &ev, text);
          if (writer != NULL)
            tv_capture_writer_add (writer, &ev, text);
        }

      if (progress != NULL)
        progress ((double) end / (double) self->n_events, user_data);
    }

  if (crc != self->events_crc)
    return fail (self, error, TV_CAPTURE_ERROR_CORRUPT,
                 "the event section is damaged (checksum mismatch)");

  if (progress != NULL)
    progress (1.0, user_data);

  tv_trace_changed (trace);

  return TRUE;
}

TvTrace *
tv_capture_load (const char             *path,
                 GCancellable           *cancellable,
                 TvCaptureProgressFunc   progress,
                 gpointer                user_data,
                 GError                **error)
{
  g_autoptr(TvCaptureReader) reader = NULL;
  g_autoptr(TvTrace) trace = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  reader = tv_capture_reader_new (path, error);
  if (reader == NULL)
    return NULL;

  trace = tv_trace_new ();
  if (!tv_capture_reader_replay (reader, trace, NULL, cancellable, progress, user_data, error))
    return NULL;

  return g_steal_pointer (&trace);
}

/* ---- Loading in a worker thread -------------------------------------- */

typedef struct
{
  char                  *path;
  TvCaptureWriter       *writer;
  TvCaptureReader       *reader;
  GMainContext          *context;
  TvCaptureProgressFunc  progress;
  gpointer               progress_data;
  double                 reported;
} LoadData;

typedef struct
{
  TvCaptureProgressFunc  progress;
  gpointer               progress_data;
  double                 fraction;
} ProgressMessage;

static void
load_data_free (gpointer data)
{
  LoadData *ld = data;

  g_free (ld->path);
  g_clear_pointer (&ld->reader, tv_capture_reader_free);
  g_main_context_unref (ld->context);
  g_free (ld);
}

static gboolean
progress_message_cb (gpointer data)
{
  ProgressMessage *msg = data;

  msg->progress (msg->fraction, msg->progress_data);
  return G_SOURCE_REMOVE;
}

/* On the worker thread: forwards a change of at least 1% to the caller's
 * context, at a priority above the task's result so it arrives first. */
static void
worker_progress_cb (double   fraction,
                    gpointer user_data)
{
  LoadData *ld = user_data;
  ProgressMessage *msg;

  if (fraction < 1.0 && fraction - ld->reported < 0.01)
    return;
  ld->reported = fraction;

  msg = g_new (ProgressMessage, 1);
  msg->progress = ld->progress;
  msg->progress_data = ld->progress_data;
  msg->fraction = fraction;
  g_main_context_invoke_full (ld->context, G_PRIORITY_HIGH, progress_message_cb, msg, g_free);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *ld = task_data;
  g_autoptr(TvTrace) trace = NULL;
  GError *error = NULL;

  ld->reader = tv_capture_reader_new (ld->path, &error);
  if (ld->reader == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  trace = tv_trace_new ();
  if (!tv_capture_reader_replay (ld->reader, trace, ld->writer, cancellable,
                                 ld->progress != NULL ? worker_progress_cb : NULL, ld,
                                 &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&trace), g_object_unref);
}

void
tv_capture_load_async (const char            *path,
                       TvCaptureWriter       *writer,
                       GCancellable          *cancellable,
                       TvCaptureProgressFunc  progress,
                       gpointer               progress_data,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadData *ld;

  g_return_if_fail (path != NULL);

  ld = g_new0 (LoadData, 1);
  ld->path = g_strdup (path);
  ld->writer = writer;
  ld->context = g_main_context_ref_thread_default ();
  ld->progress = progress;
  ld->progress_data = progress_data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, tv_capture_load_async);
  g_task_set_task_data (task, ld, load_data_free);
  g_task_run_in_thread (task, load_thread);
}

TvTrace *
tv_capture_load_finish (GAsyncResult     *result,
                        TvCaptureReader **reader,
                        GError          **error)
{
  GTask *task = G_TASK (result);
  TvTrace *trace;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (task) == tv_capture_load_async, NULL);

  trace = g_task_propagate_pointer (task, error);
  if (trace != NULL && reader != NULL)
    {
      LoadData *ld = g_task_get_task_data (task);

      *reader = g_steal_pointer (&ld->reader);
    }

  return trace;
}
