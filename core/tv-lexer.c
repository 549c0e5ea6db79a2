/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tv-lexer"

#include "config.h"

#include <string.h>

#include "tv-lexer.h"
#include "tv-parser-private.h"
#include "tv-scenario.h"

static const char * const keywords[] = {
  "title", "about", "gil", "on", "off", "switch",
  "lock", "rlock", "semaphore", "event", "condition", "barrier", "queue",
  "capacity", "var", "shared", "def", "thread", "process", "main",
  "start", "join", "spawn", "call", "sleep", "work", "io", "yield",
  "acquire", "timeout", "try_acquire", "release", "with", "put", "get",
  "task_done", "set", "clear", "wait", "notify", "all", "window", "print",
  "stopwatch", "rename", "repeat", "forever", "if", "else", "not",
  "acquired", "alive", "item", "i", "pid", "tid", "active_count", "threads",
  "qsize",
};

gboolean
tv_lexer_is_keyword (const char *text,
                     gsize       length)
{
  for (gsize k = 0; k < G_N_ELEMENTS (keywords); k++)
    if (strlen (keywords[k]) == length && memcmp (keywords[k], text, length) == 0)
      return TRUE;
  return FALSE;
}

guint
tv_lexer_columns (const char *text,
                  gsize       bytes)
{
  guint columns = 0;

  /* Valid UTF-8: every byte that is not a continuation byte starts a character. */
  for (gsize k = 0; k < bytes; k++)
    if (((guchar) text[k] & 0xC0) != 0x80)
      columns++;
  return columns;
}

/* --- Durations ----------------------------------------------------------- */

static gboolean
is_unit_byte (guchar c)
{
  return g_ascii_isalnum (c) || c == '_' || c >= 0x80;
}

gboolean
tv_lexer_parse_duration (const char *text,
                         gsize       length,
                         gint64     *ns,
                         char      **message)
{
  static const struct { const char *name; guint64 ns; } units[] = {
    { "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
    { "ms", 1000000 }, { "s", 1000000000 },
  };
  gsize k = 0;
  guint64 whole = 0;
  guint64 fraction = 0;   /* nine digits: nanoseconds of a second */
  guint fraction_digits = 0;
  gboolean whole_overflow = FALSE;
  guint64 unit = 0;
  const char *unit_text;
  gsize unit_length;

  while (k < length && g_ascii_isdigit (text[k]))
    {
      guint d = text[k++] - '0';
      if (whole > (G_MAXUINT64 - d) / 10)
        whole_overflow = TRUE;
      else
        whole = whole * 10 + d;
    }
  if (k < length && text[k] == '.')
    {
      k++;
      while (k < length && g_ascii_isdigit (text[k]))
        {
          /* Digits beyond the ninth are below a nanosecond for any unit. */
          if (fraction_digits < 9)
            {
              fraction = fraction * 10 + (guint64) (text[k] - '0');
              fraction_digits++;
            }
          k++;
        }
    }
  while (fraction_digits < 9)
    {
      fraction *= 10;
      fraction_digits++;
    }

  unit_text = text + k;
  unit_length = length - k;
  for (gsize u = 0; u < G_N_ELEMENTS (units); u++)
    if (strlen (units[u].name) == unit_length
        && memcmp (units[u].name, unit_text, unit_length) == 0)
      unit = units[u].ns;

  if (unit == 0)
    {
      *message = g_strdup_printf ("unknown duration unit '%.*s' in '%.*s' (use ns, us, ms or s)",
                                  (int) unit_length, unit_text, (int) length, text);
      return FALSE;
    }

  /* fraction < 1e9 and unit <= 1e9: the product fits in 64 bits. */
  if (whole_overflow || whole > (guint64) G_MAXINT64 / unit
      || whole * unit > (guint64) G_MAXINT64 - fraction * unit / 1000000000)
    {
      *message = g_strdup_printf ("duration too long: '%.*s' (the limit is 9223372036s)",
                                  (int) length, text);
      return FALSE;
    }

  *ns = (gint64) (whole * unit + fraction * unit / 1000000000);
  return TRUE;
}

/* --- Lines and tokens ---------------------------------------------------- */

typedef struct
{
  GPtrArray  *diagnostics;
  const char *text;
  guint       length;
  guint       number;
  guint       col_offset;   /* byte offset whose column is `col` */
  guint       col;
} Scan;

/* The column of byte `offset` (offsets only grow along a line). */
static guint
column_at (Scan *s,
           guint offset)
{
  s->col += tv_lexer_columns (s->text + s->col_offset, offset - s->col_offset);
  s->col_offset = offset;
  return s->col;
}

static void
describe_char (const char *p,
               char        out[16])
{
  gunichar c = g_utf8_get_char (p);

  if (g_unichar_isprint (c) && c != '\'')
    {
      int n = g_unichar_to_utf8 (c, out + 1);
      out[0] = '\'';
      out[n + 1] = '\'';
      out[n + 2] = '\0';
    }
  else
    g_snprintf (out, 16, "U+%04X", c);
}

static gboolean
scan_number (Scan    *s,
             guint    k,
             TvToken *token)
{
  const char *t = s->text;
  guint start = k;
  gboolean decimal = FALSE;

  while (k < s->length && g_ascii_isdigit (t[k]))
    k++;
  if (k + 1 < s->length && t[k] == '.' && g_ascii_isdigit (t[k + 1]))
    {
      decimal = TRUE;
      k++;
      while (k < s->length && g_ascii_isdigit (t[k]))
        k++;
    }

  if (k < s->length && is_unit_byte (t[k]))
    {
      g_autofree char *message = NULL;

      while (k < s->length && is_unit_byte (t[k]))
        k++;
      token->kind = TV_TOK_DURATION;
      token->end = k;
      if (!tv_lexer_parse_duration (t + start, k - start, &token->value, &message))
        {
          tv_parser_error (s->diagnostics, s->number, token->column, "%s", message);
          return FALSE;
        }
      return TRUE;
    }

  token->end = k;
  if (decimal)
    {
      token->kind = TV_TOK_DECIMAL;
      return TRUE;
    }

  token->kind = TV_TOK_INT;
  token->value = 0;
  for (guint d = start; d < k; d++)
    {
      gint64 digit = t[d] - '0';
      if (token->value > (G_MAXINT64 - digit) / 10)
        {
          tv_parser_error (s->diagnostics, s->number, token->column,
                           "number too large: '%.*s' (the limit is %" G_GINT64_FORMAT ")",
                           (int) MIN (k - start, 40u), t + start, G_MAXINT64);
          return FALSE;
        }
      token->value = token->value * 10 + digit;
    }
  return TRUE;
}

static gboolean
scan_string (Scan    *s,
             guint    k,
             TvToken *token)
{
  k++;
  while (k < s->length && s->text[k] != '"')
    {
      if (s->text[k] == '\\' && k + 1 < s->length)
        k++;
      k++;
    }
  if (k >= s->length)
    {
      tv_parser_error (s->diagnostics, s->number, token->column, "unterminated string");
      return FALSE;
    }
  token->kind = TV_TOK_STRING;
  token->end = k + 1;
  return TRUE;
}

static gboolean
scan_punctuation (Scan    *s,
                  guint    k,
                  TvToken *token)
{
  static const struct { const char *text; TvTokenKind kind; } punct[] = {
    { "+=", TV_TOK_PLUS_ASSIGN }, { "-=", TV_TOK_MINUS_ASSIGN }, { "->", TV_TOK_ARROW },
    { "==", TV_TOK_EQ }, { "!=", TV_TOK_NE }, { "<=", TV_TOK_LE }, { ">=", TV_TOK_GE },
    { ":", TV_TOK_COLON }, { "*", TV_TOK_STAR }, { "=", TV_TOK_ASSIGN },
    { "+", TV_TOK_PLUS }, { "-", TV_TOK_MINUS }, { "/", TV_TOK_SLASH },
    { "%", TV_TOK_PERCENT }, { "(", TV_TOK_LPAREN }, { ")", TV_TOK_RPAREN },
    { "<", TV_TOK_LT }, { ">", TV_TOK_GT },
  };
  char what[16];

  for (gsize p = 0; p < G_N_ELEMENTS (punct); p++)
    {
      gsize n = strlen (punct[p].text);
      if (k + n <= s->length && memcmp (s->text + k, punct[p].text, n) == 0)
        {
          token->kind = punct[p].kind;
          token->end = k + n;
          return TRUE;
        }
    }

  describe_char (s->text + k, what);
  tv_parser_error (s->diagnostics, s->number, token->column, "unexpected character %s", what);
  return FALSE;
}

static void
tokenize (Scan   *s,
          guint   k,
          TvLine *line)
{
  GArray *tokens = g_array_new (FALSE, TRUE, sizeof (TvToken));
  TvToken end = { TV_TOK_END, };
  const char *t = s->text;

  for (;;)
    {
      TvToken token = { 0, };
      gboolean ok;

      while (k < s->length && (t[k] == ' ' || t[k] == '\t'))
        k++;
      if (k >= s->length || t[k] == '#')
        break;

      token.start = k;
      token.column = column_at (s, k);
      if (g_ascii_isalpha (t[k]) || t[k] == '_')
        {
          while (k < s->length && (g_ascii_isalnum (t[k]) || t[k] == '_'))
            k++;
          token.kind = TV_TOK_NAME;
          token.end = k;
          ok = TRUE;
        }
      else if (g_ascii_isdigit (t[k]))
        ok = scan_number (s, k, &token);
      else if (t[k] == '"')
        ok = scan_string (s, k, &token);
      else
        ok = scan_punctuation (s, k, &token);

      if (!ok)
        {
          line->bad = TRUE;
          break;
        }
      k = token.end;
      token.end_column = column_at (s, k);
      g_array_append_val (tokens, token);
    }

  end.start = end.end = k;
  end.column = end.end_column = tokens->len > 0
    ? g_array_index (tokens, TvToken, tokens->len - 1).end_column
    : column_at (s, k);
  g_array_append_val (tokens, end);
  line->n_tokens = tokens->len;
  line->tokens = (TvToken *) (void *) g_array_free (tokens, FALSE);
}

/* The checks of lex_line() that every line gets, for lines it skips. */
static void
check_text (GPtrArray  *diagnostics,
            const char *text,
            guint       length,
            guint       number)
{
  const char *bad_byte = NULL;

  if (!g_utf8_validate_len (text, length, &bad_byte))
    {
      guint column = tv_lexer_columns (text, bad_byte - text) + 1;
      if (*bad_byte == '\0')
        tv_parser_error (diagnostics, number, column,
                         "NUL byte in the text (a scenario is UTF-8 text)");
      else
        tv_parser_error (diagnostics, number, column,
                         "invalid UTF-8 byte 0x%02X (a scenario is UTF-8 text)",
                         (guchar) *bad_byte);
    }
  else if (tv_lexer_columns (text, length) > TV_SCENARIO_MAX_LINE_LENGTH)
    tv_parser_error (diagnostics, number, TV_SCENARIO_MAX_LINE_LENGTH + 1,
                     "line too long: %u characters (the limit is %d)",
                     tv_lexer_columns (text, length), TV_SCENARIO_MAX_LINE_LENGTH);
}

static gboolean
lex_line (GPtrArray  *diagnostics,
          const char *text,
          guint       length,
          guint       number,
          TvLine     *line)
{
  Scan s = { diagnostics, text, length, number, 0, 1 };
  const char *bad_byte = NULL;
  guint k = 0;
  guint tab_column = 0;

  memset (line, 0, sizeof *line);
  line->text = text;
  line->length = length;
  line->number = number;

  for (; k < length && (text[k] == ' ' || text[k] == '\t'); k++)
    {
      if (text[k] == '\t')
        {
          if (!line->has_tab)
            tab_column = k + 1;
          line->has_tab = TRUE;
          line->indent = (line->indent / 8 + 1) * 8;
        }
      else
        line->indent++;
    }
  if (k >= length || text[k] == '#')
    {
      /* Blank or comment-only: not a line of the program, but still text
       * that the editor shows, so the encoding and the length apply. */
      check_text (diagnostics, text, length, number);
      return FALSE;
    }

  if (line->has_tab)
    tv_parser_error (diagnostics, number, tab_column, "tab in indentation: indent with spaces");

  if (!g_utf8_validate_len (text, length, &bad_byte))
    {
      guint column = tv_lexer_columns (text, bad_byte - text) + 1;
      if (*bad_byte == '\0')
        tv_parser_error (diagnostics, number, column,
                         "NUL byte in the text (a scenario is UTF-8 text)");
      else
        tv_parser_error (diagnostics, number, column,
                         "invalid UTF-8 byte 0x%02X (a scenario is UTF-8 text)",
                         (guchar) *bad_byte);
      line->bad = TRUE;
    }
  else if (tv_lexer_columns (text, length) > TV_SCENARIO_MAX_LINE_LENGTH)
    {
      tv_parser_error (diagnostics, number, TV_SCENARIO_MAX_LINE_LENGTH + 1,
                       "line too long: %u characters (the limit is %d)",
                       tv_lexer_columns (text, length), TV_SCENARIO_MAX_LINE_LENGTH);
      line->bad = TRUE;
    }

  if (line->bad)
    {
      line->tokens = g_new0 (TvToken, 1);
      line->tokens[0].column = line->tokens[0].end_column = k + 1;
      line->n_tokens = 1;
      return TRUE;
    }

  tokenize (&s, k, line);
  return TRUE;
}

gboolean
tv_lex (const char *source,
        gsize       length,
        GPtrArray  *diagnostics,
        TvLine    **lines,
        guint      *n_lines)
{
  g_autoptr(GArray) array = NULL;
  gsize n_text_lines = 0;
  gsize k = 0;
  guint number = 0;

  *lines = NULL;
  *n_lines = 0;

  if (length > TV_SCENARIO_MAX_FILE_BYTES)
    {
      tv_parser_error (diagnostics, 0, 0, "file too large: %" G_GSIZE_FORMAT " bytes (the limit is %d)",
                       length, TV_SCENARIO_MAX_FILE_BYTES);
      return FALSE;
    }

  for (gsize b = 0; b < length; b++)
    if (source[b] == '\n')
      n_text_lines++;
  if (length > 0 && source[length - 1] != '\n')
    n_text_lines++;
  if (n_text_lines > TV_SCENARIO_MAX_LINES)
    {
      tv_parser_error (diagnostics, TV_SCENARIO_MAX_LINES + 1, 1,
                       "too many lines: %" G_GSIZE_FORMAT " (the limit is %d)",
                       n_text_lines, TV_SCENARIO_MAX_LINES);
      return FALSE;
    }

  array = g_array_new (FALSE, TRUE, sizeof (TvLine));
  while (k < length)
    {
      const char *nl = memchr (source + k, '\n', length - k);
      gsize end = nl ? (gsize) (nl - source) : length;
      gsize line_length = end - k;
      TvLine line;

      number++;
      if (line_length > 0 && source[k + line_length - 1] == '\r')
        line_length--;
      if (lex_line (diagnostics, source + k, line_length, number, &line))
        g_array_append_val (array, line);
      k = end + 1;
    }

  *n_lines = array->len;
  *lines = (TvLine *) (void *) g_array_free (g_steal_pointer (&array), FALSE);
  return TRUE;
}

void
tv_lines_free (TvLine *lines,
               guint   n_lines)
{
  for (guint k = 0; k < n_lines; k++)
    g_free (lines[k].tokens);
  g_free (lines);
}
