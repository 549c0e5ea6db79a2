/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-template.c: the strings of `print` and `rename`, with their escapes and
 * `{...}` interpolations, resolved at load time into a TvTemplate.
 */
#define G_LOG_DOMAIN "tv-template"

#include "config.h"

#include <string.h>

#include "tv-lexer.h"
#include "tv-parser-private.h"

static const struct
{
  const char *name;
  TvPartKind  kind;
} builtins[] = {
  { "item", TV_PART_ITEM },
  { "i", TV_PART_COUNTER },
  { "thread", TV_PART_THREAD },
  { "pid", TV_PART_PID },
  { "tid", TV_PART_TID },
  { "active_count", TV_PART_ACTIVE_COUNT },
  { "threads", TV_PART_THREADS },
  { "acquired", TV_PART_ACQUIRED },
};

typedef struct
{
  TvParser     *p;
  const TvLine *line;
  const TvToken *token;
  GArray       *parts;
  GString      *text;
} Tpl;

static guint
column_of (Tpl  *t,
           guint offset)
{
  return t->token->column
         + tv_lexer_columns (t->line->text + t->token->start, offset - t->token->start);
}

static void
error_at (Tpl        *t,
          guint       offset,
          const char *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
error_at (Tpl        *t,
          guint       offset,
          const char *format,
          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  tv_parser_error (t->p->diagnostics, t->line->number, column_of (t, offset), "%s", message);
}

/* `\"`, `\\`, `\n` at `*k` (the backslash). */
static gboolean
decode_escape (Tpl   *t,
               guint *k)
{
  const char *s = t->line->text;
  char c = s[*k + 1];

  if (c == '"' || c == '\\')
    g_string_append_c (t->text, c);
  else if (c == 'n')
    g_string_append_c (t->text, '\n');
  else
    {
      char what[8] = { 0, };
      g_unichar_to_utf8 (g_utf8_get_char (s + *k + 1), what);
      error_at (t, *k, "unknown escape '\\%s' in a string (use \\\", \\\\ or \\n)", what);
      return FALSE;
    }
  *k += 2;
  return TRUE;
}

static void
flush_text (Tpl *t)
{
  TvPart part = { TV_PART_TEXT, NULL, 0, -1 };

  if (t->text->len == 0)
    return;
  part.text = g_strndup (t->text->str, t->text->len);
  g_string_truncate (t->text, 0);
  g_array_append_val (t->parts, part);
}

static char *
known_names (TvParser *p)
{
  g_autofree char *vars = tv_parser_list_names (p, TV_NAME_VARS);

  return g_strdup_printf ("%s%sitem, i, thread, pid, tid, active_count, threads, acquired, "
                          "alive T, qsize Q",
                          vars, *vars ? ", " : "");
}

static gboolean
is_name_byte (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* A name inside the braces, as a token of the line (for lookups). */
static TvToken
name_token (Tpl  *t,
            guint start,
            guint end)
{
  TvToken token = { TV_TOK_NAME, start, end, column_of (t, start), column_of (t, end), 0 };

  return token;
}

/* `{...}` from `open` (the brace) to `close` (the closing brace). */
static gboolean
parse_interpolation (Tpl   *t,
                     guint  open,
                     guint  close)
{
  const char *s = t->line->text;
  TvPart part = { 0, NULL, 0, -1 };
  guint k = open + 1;
  guint name_start;
  guint name_end;
  g_autofree char *name = NULL;
  const TvName *entry;

  while (k < close && s[k] == ' ')
    k++;
  if (k == close)
    {
      error_at (t, open, "empty interpolation '{}' (write '{{' and '}}' for literal braces)");
      return FALSE;
    }
  name_start = k;
  while (k < close && is_name_byte (s[k]))
    k++;
  name_end = k;
  if (name_end == name_start)
    {
      error_at (t, name_start, "expected a name in '{%.*s}'", (int) (close - open - 1), s + open + 1);
      return FALSE;
    }
  name = g_strndup (s + name_start, name_end - name_start);

  if (strcmp (name, "alive") == 0 || strcmp (name, "qsize") == 0)
    {
      gboolean alive = strcmp (name, "alive") == 0;
      const TvWant *want = alive ? &tv_want_startable : &tv_want_queue;
      TvToken arg;

      while (k < close && s[k] == ' ')
        k++;
      if (k == close || !is_name_byte (s[k]))
        {
          error_at (t, k, "expected %s name after '%s' in '{%.*s}'", want->a_noun, name,
                    (int) (close - open - 1), s + open + 1);
          return FALSE;
        }
      name_start = k;
      while (k < close && is_name_byte (s[k]))
        k++;
      arg = name_token (t, name_start, k);
      if (!tv_parser_resolve (t->p, t->line, &arg, want, name, &entry))
        return FALSE;
      part.kind = alive ? TV_PART_ALIVE : TV_PART_QSIZE;
      part.index = entry->index;
    }
  else
    {
      gboolean found = FALSE;

      for (gsize b = 0; b < G_N_ELEMENTS (builtins); b++)
        if (strcmp (builtins[b].name, name) == 0)
          {
            part.kind = builtins[b].kind;
            found = TRUE;
          }
      if (part.kind == TV_PART_COUNTER
          && !tv_parser_check_counter (t->p, t->line, column_of (t, name_start)))
        return FALSE;

      if (!found)
        {
          entry = g_hash_table_lookup (t->p->names, name);
          if (entry == NULL)
            {
              g_autofree char *known = known_names (t->p);
              error_at (t, name_start, "unknown name '%s' in interpolation (known: %s)", name, known);
              return FALSE;
            }
          if ((entry->kind & TV_NAME_VARS) == 0)
            {
              const char *hint = entry->kind == TV_NAME_QUEUE ? " (use {qsize NAME})"
                                 : (entry->kind & (TV_NAME_THREAD | TV_NAME_PROCESS)) ? " (use {alive NAME})"
                                 : "";
              error_at (t, name_start, "'%s' is %s and cannot be shown in a string%s",
                        name, tv_parser_a_kind (entry->kind), hint);
              return FALSE;
            }
          part.kind = entry->kind == TV_NAME_STOPWATCH ? TV_PART_STOPWATCH : TV_PART_VAR;
          part.index = entry->index;
        }

      if (k < close && s[k] == ':')
        {
          guint format_start = k;

          /* Only `.Nf`, as in Python's f"{t:.2f}". */
          if (part.kind != TV_PART_STOPWATCH)
            {
              error_at (t, k, "a format such as ':.2f' applies only to stopwatches, and '%s' is not one",
                        name);
              return FALSE;
            }
          k++;
          if (k + 2 < close && s[k] == '.' && g_ascii_isdigit (s[k + 1]) && s[k + 2] == 'f')
            {
              part.precision = s[k + 1] - '0';
              k += 3;
            }
          else
            {
              guint end = format_start;
              while (end < close && s[end] != ' ')
                end++;
              error_at (t, format_start, "unknown format '%.*s' (use ':.Nf' with N from 0 to 9, such as ':.2f')",
                        (int) (end - format_start), s + format_start);
              return FALSE;
            }
        }
    }

  while (k < close && s[k] == ' ')
    k++;
  if (k != close)
    {
      error_at (t, k, "unexpected '%.*s' in '{%.*s}'", (int) (close - k), s + k,
                (int) (close - open - 1), s + open + 1);
      return FALSE;
    }

  flush_text (t);
  g_array_append_val (t->parts, part);
  return TRUE;
}

static gboolean
parse_string (Tpl      *t,
              gboolean  interpolate)
{
  const char *s = t->line->text;
  guint k = t->token->start + 1;
  guint end = t->token->end - 1;

  while (k < end)
    {
      char c = s[k];

      if (c == '\\')
        {
          if (!decode_escape (t, &k))
            return FALSE;
        }
      else if (interpolate && (c == '{' || c == '}') && k + 1 < end && s[k + 1] == c)
        {
          g_string_append_c (t->text, c);
          k += 2;
        }
      else if (interpolate && c == '}')
        {
          error_at (t, k, "single '}' in a string (write '}}' for a literal brace)");
          return FALSE;
        }
      else if (interpolate && c == '{')
        {
          guint close = k + 1;

          while (close < end && s[close] != '}' && s[close] != '{' && s[close] != '\\')
            close++;
          if (close >= end || s[close] != '}')
            {
              error_at (t, k, "unterminated interpolation: expected '}' (write '{{' for a literal brace)");
              return FALSE;
            }
          if (!parse_interpolation (t, k, close))
            return FALSE;
          k = close + 1;
        }
      else
        {
          g_string_append_c (t->text, c);
          k++;
        }
    }
  return TRUE;
}

TvTemplate *
tv_template_parse (TvParser      *self,
                   const TvLine  *line,
                   const TvToken *token)
{
  Tpl t = { self, line, token, g_array_new (FALSE, TRUE, sizeof (TvPart)), g_string_new (NULL) };
  TvTemplate *template = g_new0 (TvTemplate, 1);
  gboolean ok = parse_string (&t, TRUE);

  flush_text (&t);
  g_string_free (t.text, TRUE);
  template->n_parts = t.parts->len;
  template->parts = (TvPart *) (void *) g_array_free (t.parts, FALSE);
  if (!ok)
    g_clear_pointer (&template, tv_template_free);
  return template;
}

char *
tv_template_decode_plain (TvParser      *self,
                          const TvLine  *line,
                          const TvToken *token)
{
  Tpl t = { self, line, token, NULL, g_string_new (NULL) };

  if (!parse_string (&t, FALSE))
    {
      g_string_free (t.text, TRUE);
      return NULL;
    }
  return g_string_free (t.text, FALSE);
}
