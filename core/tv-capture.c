/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-capture.c: what the `.tvt` writer and reader share.
 */
#define G_LOG_DOMAIN "tv-capture"

#include "config.h"

#include "tv-capture.h"

G_DEFINE_QUARK (tv-capture-error-quark, tv_capture_error)

gboolean
tv_capture_kind_has_text (guint kind)
{
  switch (kind)
    {
    case TV_EV_THREAD_NEW:
    case TV_EV_THREAD_NAME:
    case TV_EV_OBJECT_NEW:
    case TV_EV_PRINT:
    case TV_EV_RUN_ERROR:
      return TRUE;
    default:
      return FALSE;
    }
}

/*
 * Slicing-by-8: eight tables let the loop fold eight bytes per step, which
 * keeps checking a 300 MB event section well under a second.  The tables are
 * built once, on first use.
 */
static guint32 crc_table[8][256];

static void
crc_tables_init (void)
{
  for (guint i = 0; i < 256; i++)
    {
      guint32 c = i;

      for (guint k = 0; k < 8; k++)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_table[0][i] = c;
    }

  for (guint i = 0; i < 256; i++)
    for (guint t = 1; t < 8; t++)
      crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

guint32
tv_capture_crc32 (guint32       crc,
                  gconstpointer data,
                  gsize         len)
{
  static gsize initialized = 0;
  const guint8 *p = data;

  if (g_once_init_enter (&initialized))
    {
      crc_tables_init ();
      g_once_init_leave (&initialized, 1);
    }

  crc = ~crc;

  while (len >= 8)
    {
      guint32 lo = crc ^ ((guint32) p[0] | (guint32) p[1] << 8 |
                          (guint32) p[2] << 16 | (guint32) p[3] << 24);
      guint32 hi = (guint32) p[4] | (guint32) p[5] << 8 |
                   (guint32) p[6] << 16 | (guint32) p[7] << 24;

      crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
            crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
            crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
            crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
      p += 8;
      len -= 8;
    }

  while (len--)
    crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);

  return ~crc;
}
