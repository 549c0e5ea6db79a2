/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-parser-cursor.c: the parser's small tools: reporting errors, naming
 * tokens in messages, looking names up, and a cursor over a line's tokens
 * that says what it expected when a line is not what it should be.
 */
#define G_LOG_DOMAIN "tv-parser"

#include "config.h"

#include <string.h>

#include "tv-lexer.h"
#include "tv-parser-private.h"
#include "tv-scenario.h"

const TvWant tv_want_lockable = {
  TV_NAME_LOCK | TV_NAME_RLOCK | TV_NAME_SEMAPHORE | TV_NAME_CONDITION,
  "lock", "locks", "a lock" };
const TvWant tv_want_queue = { TV_NAME_QUEUE, "queue", "queues", "a queue" };
const TvWant tv_want_event = { TV_NAME_EVENT, "event", "events", "an event" };
const TvWant tv_want_condition = {
  TV_NAME_CONDITION, "condition", "conditions", "a condition" };
const TvWant tv_want_waitable = {
  TV_NAME_EVENT | TV_NAME_CONDITION | TV_NAME_BARRIER,
  "event, condition or barrier", "events, conditions or barriers",
  "an event, condition or barrier" };
const TvWant tv_want_startable = {
  TV_NAME_THREAD | TV_NAME_PROCESS,
  "thread or process", "threads or processes", "a thread or process" };
const TvWant tv_want_joinable = {
  TV_NAME_THREAD | TV_NAME_PROCESS | TV_NAME_QUEUE,
  "thread, process or queue", "threads, processes or queues",
  "a thread, process or queue" };
const TvWant tv_want_def = { TV_NAME_DEF, "def", "defs", "a def" };
const TvWant tv_want_variable = {
  TV_NAME_VAR | TV_NAME_SHARED, "variable", "variables", "a variable" };


/* --- Diagnostics and small helpers -------------------------------------- */

void
tv_parser_error (GPtrArray  *diagnostics,
                 guint       line,
                 guint       column,
                 const char *format,
                 ...)
{
  TvDiagnostic *diagnostic = g_new0 (TvDiagnostic, 1);
  va_list args;

  va_start (args, format);
  diagnostic->message = g_strdup_vprintf (format, args);
  va_end (args);
  diagnostic->location.line = line;
  diagnostic->location.column = column;
  g_ptr_array_add (diagnostics, diagnostic);
}

char *
tv_parser_describe_token (const TvLine  *line,
                          const TvToken *token)
{
  const char *text = line->text + token->start;
  guint length = token->end - token->start;

  if (token->kind == TV_TOK_END)
    return g_strdup ("end of line");
  if (token->end_column - token->column > 40)
    {
      g_autofree char *head = g_utf8_substring (text, 0, 37);
      return g_strdup_printf ("'%s...'", head);
    }
  return g_strdup_printf ("'%.*s'", (int) length, text);
}

const char *
tv_parser_a_kind (TvNameKind kind)
{
  switch (kind)
    {
    case TV_NAME_LOCK: return "a lock";
    case TV_NAME_RLOCK: return "an rlock";
    case TV_NAME_SEMAPHORE: return "a semaphore";
    case TV_NAME_EVENT: return "an event";
    case TV_NAME_CONDITION: return "a condition";
    case TV_NAME_BARRIER: return "a barrier";
    case TV_NAME_QUEUE: return "a queue";
    case TV_NAME_VAR: return "a variable";
    case TV_NAME_SHARED: return "a shared variable";
    case TV_NAME_STOPWATCH: return "a stopwatch";
    case TV_NAME_THREAD: return "a thread";
    case TV_NAME_PROCESS: return "a process";
    case TV_NAME_DEF: return "a def";
    default: return "a name";
    }
}

static gint
compare_names_by_location (gconstpointer a,
                           gconstpointer b)
{
  const TvName *x = *(const TvName * const *) a;
  const TvName *y = *(const TvName * const *) b;

  if (x->location.line != y->location.line)
    return x->location.line < y->location.line ? -1 : 1;
  if (x->location.column != y->location.column)
    return x->location.column < y->location.column ? -1 : 1;
  return 0;
}

static const char *
name_of (TvParser     *p,
         const TvName *name)
{
  if (name->kind & TV_NAME_OBJECTS)
    return g_array_index (p->objects, TvObjectDecl, name->index).name;
  if (name->kind & TV_NAME_VARS)
    return g_array_index (p->vars, TvVarDecl, name->index).name;
  return g_array_index (p->bodies, TvBodyDecl, name->index).name;
}

char *
tv_parser_list_names (TvParser *self,
                      guint     mask)
{
  g_autoptr(GPtrArray) found = NULL;
  GString *out;
  GHashTableIter iter;
  gpointer value;
  const char *cached;

  /* Every name is declared before the first lookup: a file with thousands
   * of errors builds each list once. */
  cached = g_hash_table_lookup (self->name_lists, GUINT_TO_POINTER (mask));
  if (cached != NULL)
    return g_strdup (cached);

  found = g_ptr_array_new ();
  out = g_string_new (NULL);
  g_hash_table_iter_init (&iter, self->names);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((TvName *) value)->kind & mask)
      g_ptr_array_add (found, value);
  g_ptr_array_sort (found, compare_names_by_location);

  for (guint k = 0; k < found->len; k++)
    {
      if (k == 12)
        {
          g_string_append (out, ", ...");
          break;
        }
      if (k > 0)
        g_string_append (out, ", ");
      g_string_append (out, name_of (self, found->pdata[k]));
    }
  g_hash_table_insert (self->name_lists, GUINT_TO_POINTER (mask), g_strdup (out->str));
  return g_string_free (out, FALSE);
}

char *
tv_token_text (const TvLine  *line,
               const TvToken *token)
{
  return g_strndup (line->text + token->start, token->end - token->start);
}

gboolean
tv_token_is (const TvLine  *line,
             const TvToken *token,
             const char    *word)
{
  gsize n = strlen (word);

  return token->kind == TV_TOK_NAME && token->end - token->start == n
         && memcmp (line->text + token->start, word, n) == 0;
}

gboolean
tv_token_is_keyword (const TvLine  *line,
                     const TvToken *token)
{
  return token->kind == TV_TOK_NAME
         && tv_lexer_is_keyword (line->text + token->start, token->end - token->start);
}

gboolean
tv_parser_resolve (TvParser      *self,
                   const TvLine  *line,
                   const TvToken *token,
                   const TvWant  *want,
                   const char    *after,
                   const TvName **out)
{
  g_autofree char *name = NULL;
  const TvName *entry;

  if (token->kind != TV_TOK_NAME || tv_token_is_keyword (line, token))
    {
      g_autofree char *found = tv_parser_describe_token (line, token);
      ERROR_AT (self, line, token, "expected %s name after '%s', found %s%s",
                want->a_noun, after, token->kind == TV_TOK_NAME ? "the keyword " : "", found);
      return FALSE;
    }

  name = tv_token_text (line, token);
  entry = g_hash_table_lookup (self->names, name);
  if (entry == NULL)
    {
      g_autofree char *list = tv_parser_list_names (self, want->mask);
      if (*list == '\0')
        ERROR_AT (self, line, token, "unknown %s '%s' (no %s are declared)", want->noun, name, want->nouns);
      else
        ERROR_AT (self, line, token, "unknown %s '%s' (declared: %s)", want->noun, name, list);
      return FALSE;
    }

  if ((entry->kind & want->mask) == 0)
    {
      const char *hint = "";

      if ((want->mask & TV_NAME_DEF) && (entry->kind & (TV_NAME_THREAD | TV_NAME_PROCESS)))
        hint = " (use 'start' for a thread or process)";
      else if ((want->mask & TV_NAME_THREAD) && entry->kind == TV_NAME_DEF)
        hint = " (use 'spawn' or 'call' for a def)";
      ERROR_AT (self, line, token, "'%s' is %s, not %s%s", name,
                tv_parser_a_kind (entry->kind), want->a_noun, hint);
      return FALSE;
    }

  *out = entry;
  return TRUE;
}

gboolean
tv_parser_check_counter (TvParser     *self,
                         const TvLine *line,
                         guint         column)
{
  /* A def may be called from inside a repeat: only its callers know. */
  if (self->repeat_depth > 0 || self->in_def)
    return TRUE;
  tv_parser_error (self->diagnostics, line->number, column,
                   "'i' is the counter of the innermost 'repeat', and there is none here");
  return FALSE;
}

/* --- The cursor --------------------------------------------------------- */

gboolean
tv_cursor_peek_word (TvCursor   *c,
                     const char *word)
{
  return tv_token_is (c->line, tv_cursor_peek (c), word);
}

/* The statement's text up to the last token taken ("repeat 5"). */
char *
tv_cursor_so_far (TvCursor *c)
{
  const TvToken *first = &c->line->tokens[c->first];
  const TvToken *last;

  if (c->i <= c->first)
    return g_strdup ("");
  last = &c->line->tokens[c->i - 1];
  return g_strndup (c->line->text + first->start, last->end - first->start);
}

gboolean
tv_cursor_expect_end (TvCursor *c)
{
  if (tv_cursor_peek (c)->kind != TV_TOK_END)
    {
      g_autofree char *before = tv_cursor_so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, tv_cursor_peek (c));
      ERROR_AT (c->p, c->line, tv_cursor_peek (c), "expected end of line after '%s', found %s",
                before, found);
      return FALSE;
    }
  return TRUE;
}

/* `:` then the end of the line; returns the colon or NULL. */
const TvToken *
tv_cursor_expect_colon (TvCursor *c)
{
  const TvToken *colon;

  if (tv_cursor_peek (c)->kind != TV_TOK_COLON)
    {
      g_autofree char *before = tv_cursor_so_far (c);
      ERROR_AT (c->p, c->line, tv_cursor_peek (c), "expected ':' after '%s'", before);
      return NULL;
    }
  colon = tv_cursor_take (c);
  if (tv_cursor_peek (c)->kind != TV_TOK_END)
    {
      g_autofree char *before = tv_cursor_so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, tv_cursor_peek (c));
      ERROR_AT (c->p, c->line, tv_cursor_peek (c),
                "expected end of line after '%s', found %s (the block goes on the next lines, indented)",
                before, found);
      return NULL;
    }
  return colon;
}

gboolean
tv_cursor_expect_duration (TvCursor *c,
                           gint64   *ns)
{
  const TvToken *token = tv_cursor_peek (c);

  if (token->kind == TV_TOK_DURATION)
    {
      *ns = tv_cursor_take (c)->value;
      return TRUE;
    }
  if (token->kind == TV_TOK_MINUS)
    {
      ERROR_AT (c->p, c->line, token, "a duration cannot be negative");
      return FALSE;
    }

  {
    g_autofree char *found = tv_parser_describe_token (c->line, token);
    ERROR_AT (c->p, c->line, token, "expected a duration such as 250ms or 2s, found %s", found);
  }
  return FALSE;
}

/*
 * A whole number in [min, max].  `what` names it in messages ("repeat
 * count"); `too_many` is the message prefix when it is above max.
 */
gboolean
tv_cursor_expect_number (TvCursor   *c,
                         const char *what,
                         gint64      min,
                         gint64      max,
                         const char *too_many,
                         gint64     *value)
{
  const TvToken *token = tv_cursor_peek (c);

  if (token->kind == TV_TOK_MINUS && c->line->tokens[c->i + 1].kind == TV_TOK_INT && min >= 0)
    {
      ERROR_AT (c->p, c->line, token, "%s cannot be negative", what);
      return FALSE;
    }
  if (token->kind != TV_TOK_INT)
    {
      g_autofree char *before = tv_cursor_so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, token);
      ERROR_AT (c->p, c->line, token, "expected %s after '%s', found %s", what, before, found);
      return FALSE;
    }
  if (token->value < min)
    {
      ERROR_AT (c->p, c->line, token, "%s must be at least %" G_GINT64_FORMAT ", found %" G_GINT64_FORMAT,
                what, min, token->value);
      return FALSE;
    }
  if (token->value > max)
    {
      ERROR_AT (c->p, c->line, token, "%s: %" G_GINT64_FORMAT " (the limit is %" G_GINT64_FORMAT ")",
                too_many, token->value, max);
      return FALSE;
    }
  *value = tv_cursor_take (c)->value;
  return TRUE;
}

TvLine *
tv_parser_current_line (TvParser *p)
{
  return p->pos < p->n_lines ? &p->lines[p->pos] : NULL;
}

