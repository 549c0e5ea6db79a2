/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-parser.c: turns the lexer's lines into a TvScenario.
 *
 * Loading runs in three steps: tv_lex() splits the text into lines of
 * tokens; a pre-scan declares every top-level name (and every stopwatch),
 * so that a body can name a thread or a lock declared further down; then
 * each line is parsed with every name resolved on the spot.  An error never
 * stops the load: the parser reports it, skips the rest of that line (and
 * the block under it when the line was meant to open one), and goes on, so
 * that every error of the file is reported at once.
 */
#define G_LOG_DOMAIN "tv-parser"

#include "config.h"

#include <string.h>

#include "tv-lexer.h"
#include "tv-parser-private.h"
#include "tv-scenario.h"

#define MAX_EXPR_DEPTH       64
#define MAX_SEMAPHORE_VALUE  65536
#define MAX_BARRIER_PARTIES  65536
#define MAX_PRECISION        9
#define DEFAULT_GIL_SWITCH   (5 * G_GINT64_CONSTANT (1000000))

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

/* Where the statement being parsed sits. */
typedef struct
{
  guint depth;          /* of the block holding the statement (a body is 1) */
  guint indent;         /* of that block */
  guint parent_indent;  /* of the block around it */
} Ctx;

/* A cursor over one line's tokens. */
typedef struct
{
  TvParser     *p;
  const TvLine *line;
  guint         first;  /* the statement's first token */
  guint         i;
} Cur;

static TvBlock *parse_block (TvParser      *p,
                             guint          parent_indent,
                             guint          depth,
                             const TvLine  *header,
                             const TvToken *colon,
                             Cur           *header_cur);
static TvExpr  *parse_sum   (Cur *c);

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

#define ERROR_AT(p, line, token, ...) \
  tv_parser_error ((p)->diagnostics, (line)->number, (token)->column, __VA_ARGS__)

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
  g_autoptr(GPtrArray) found = g_ptr_array_new ();
  GString *out = g_string_new (NULL);
  GHashTableIter iter;
  gpointer value;

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
  return g_string_free (out, FALSE);
}

static char *
token_text (const TvLine  *line,
            const TvToken *token)
{
  return g_strndup (line->text + token->start, token->end - token->start);
}

static gboolean
token_is (const TvLine  *line,
          const TvToken *token,
          const char    *word)
{
  gsize n = strlen (word);

  return token->kind == TV_TOK_NAME && token->end - token->start == n
         && memcmp (line->text + token->start, word, n) == 0;
}

static gboolean
token_is_keyword (const TvLine  *line,
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

  if (token->kind != TV_TOK_NAME || token_is_keyword (line, token))
    {
      g_autofree char *found = tv_parser_describe_token (line, token);
      ERROR_AT (self, line, token, "expected %s name after '%s', found %s%s",
                want->a_noun, after, token->kind == TV_TOK_NAME ? "the keyword " : "", found);
      return FALSE;
    }

  name = token_text (line, token);
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

static const TvToken *
peek (Cur *c)
{
  return &c->line->tokens[c->i];
}

static const TvToken *
take (Cur *c)
{
  const TvToken *token = peek (c);

  if (token->kind != TV_TOK_END)
    c->i++;
  return token;
}

static gboolean
peek_word (Cur        *c,
           const char *word)
{
  return token_is (c->line, peek (c), word);
}

/* The statement's text up to the last token taken ("repeat 5"). */
static char *
so_far (Cur *c)
{
  const TvToken *first = &c->line->tokens[c->first];
  const TvToken *last;

  if (c->i <= c->first)
    return g_strdup ("");
  last = &c->line->tokens[c->i - 1];
  return g_strndup (c->line->text + first->start, last->end - first->start);
}

static gboolean
expect_end (Cur *c)
{
  if (peek (c)->kind != TV_TOK_END)
    {
      g_autofree char *before = so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, peek (c));
      ERROR_AT (c->p, c->line, peek (c), "expected end of line after '%s', found %s",
                before, found);
      return FALSE;
    }
  return TRUE;
}

/* `:` then the end of the line; returns the colon or NULL. */
static const TvToken *
expect_colon (Cur *c)
{
  const TvToken *colon;

  if (peek (c)->kind != TV_TOK_COLON)
    {
      g_autofree char *before = so_far (c);
      ERROR_AT (c->p, c->line, peek (c), "expected ':' after '%s'", before);
      return NULL;
    }
  colon = take (c);
  if (peek (c)->kind != TV_TOK_END)
    {
      g_autofree char *before = so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, peek (c));
      ERROR_AT (c->p, c->line, peek (c),
                "expected end of line after '%s', found %s (the block goes on the next lines, indented)",
                before, found);
      return NULL;
    }
  return colon;
}

static gboolean
expect_duration (Cur    *c,
                 gint64 *ns)
{
  const TvToken *token = peek (c);

  if (token->kind == TV_TOK_DURATION)
    {
      *ns = take (c)->value;
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
static gboolean
expect_number (Cur        *c,
               const char *what,
               gint64      min,
               gint64      max,
               const char *too_many,
               gint64     *value)
{
  const TvToken *token = peek (c);

  if (token->kind == TV_TOK_MINUS && c->line->tokens[c->i + 1].kind == TV_TOK_INT && min >= 0)
    {
      ERROR_AT (c->p, c->line, token, "%s cannot be negative", what);
      return FALSE;
    }
  if (token->kind != TV_TOK_INT)
    {
      g_autofree char *before = so_far (c);
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
  *value = take (c)->value;
  return TRUE;
}

static TvLine *
current_line (TvParser *p)
{
  return p->pos < p->n_lines ? &p->lines[p->pos] : NULL;
}

/* --- Expressions and conditions ----------------------------------------- */

static TvExpr *
new_expr (TvExprKind     kind,
          const TvLine  *line,
          const TvToken *token)
{
  TvExpr *expr = g_new0 (TvExpr, 1);

  expr->kind = kind;
  expr->location.line = line->number;
  expr->location.column = token->column;
  return expr;
}

static TvExpr *
parse_unary (Cur *c)
{
  const TvToken *token = peek (c);
  TvExpr *expr = NULL;

  if (c->p->expr_depth >= MAX_EXPR_DEPTH)
    {
      ERROR_AT (c->p, c->line, token, "expression nested too deeply (the limit is %d levels)",
                MAX_EXPR_DEPTH);
      return NULL;
    }
  c->p->expr_depth++;

  switch ((int) token->kind)
    {
    case TV_TOK_INT:
      expr = new_expr (TV_EXPR_INT, c->line, take (c));
      expr->value = token->value;
      break;

    case TV_TOK_MINUS:
      {
        TvExpr *operand;

        take (c);
        operand = parse_unary (c);
        if (operand == NULL)
          break;
        if (operand->kind == TV_EXPR_INT)
          {
            /* A literal -3 is a number, not an operation. */
            operand->value = -operand->value;
            operand->location.column = token->column;
            expr = operand;
          }
        else
          {
            expr = new_expr (TV_EXPR_NEG, c->line, token);
            expr->lhs = operand;
          }
      }
      break;

    case TV_TOK_LPAREN:
      take (c);
      expr = parse_sum (c);
      if (expr != NULL && peek (c)->kind != TV_TOK_RPAREN)
        {
          g_autofree char *found = tv_parser_describe_token (c->line, peek (c));
          ERROR_AT (c->p, c->line, peek (c), "expected ')' to close the '(' at column %u, found %s",
                    token->column, found);
          g_clear_pointer (&expr, tv_expr_free);
        }
      else if (expr != NULL)
        take (c);
      break;

    case TV_TOK_NAME:
      if (token_is (c->line, token, "item"))
        expr = new_expr (TV_EXPR_ITEM, c->line, take (c));
      else if (token_is (c->line, token, "i"))
        {
          if (tv_parser_check_counter (c->p, c->line, token->column))
            expr = new_expr (TV_EXPR_COUNTER, c->line, take (c));
        }
      else if (token_is_keyword (c->line, token))
        {
          g_autofree char *found = tv_parser_describe_token (c->line, token);
          ERROR_AT (c->p, c->line, token, "expected a number or a variable, found the keyword %s", found);
        }
      else
        {
          const TvName *name;
          if (tv_parser_resolve (c->p, c->line, token, &tv_want_variable, "=", &name))
            {
              expr = new_expr (TV_EXPR_VAR, c->line, take (c));
              expr->index = name->index;
            }
        }
      break;

    default:
      {
        g_autofree char *found = tv_parser_describe_token (c->line, token);
        const char *hint = "";

        if (token->kind == TV_TOK_DECIMAL)
          hint = " (values are whole numbers)";
        else if (token->kind == TV_TOK_DURATION)
          hint = " (a duration is not a value)";
        ERROR_AT (c->p, c->line, token, "expected a number or a variable, found %s%s", found, hint);
      }
      break;
    }

  c->p->expr_depth--;
  return expr;
}

static TvExpr *
parse_binary (Cur *c,
              gboolean product)
{
  TvExpr *lhs = product ? parse_unary (c) : parse_binary (c, TRUE);

  while (lhs != NULL)
    {
      const TvToken *op = peek (c);
      TvExprKind kind;
      TvExpr *rhs;
      TvExpr *node;

      if (!product && op->kind == TV_TOK_PLUS)
        kind = TV_EXPR_ADD;
      else if (!product && op->kind == TV_TOK_MINUS)
        kind = TV_EXPR_SUB;
      else if (product && op->kind == TV_TOK_STAR)
        kind = TV_EXPR_MUL;
      else if (product && op->kind == TV_TOK_SLASH)
        kind = TV_EXPR_DIV;
      else if (product && op->kind == TV_TOK_PERCENT)
        kind = TV_EXPR_MOD;
      else
        break;

      take (c);
      rhs = product ? parse_unary (c) : parse_binary (c, TRUE);
      if (rhs == NULL)
        {
          g_clear_pointer (&lhs, tv_expr_free);
          break;
        }
      node = new_expr (kind, c->line, op);
      node->lhs = lhs;
      node->rhs = rhs;
      lhs = node;
    }
  return lhs;
}

static TvExpr *
parse_sum (Cur *c)
{
  return parse_binary (c, FALSE);
}

static TvCond *
parse_cond (Cur *c)
{
  g_autoptr(GError) unused = NULL;
  TvCond *cond = g_new0 (TvCond, 1);
  const TvToken *op;

  if (peek_word (c, "acquired"))
    {
      take (c);
      cond->kind = TV_COND_ACQUIRED;
      return cond;
    }
  if (peek_word (c, "not"))
    {
      take (c);
      if (!peek_word (c, "acquired"))
        {
          g_autofree char *found = tv_parser_describe_token (c->line, peek (c));
          ERROR_AT (c->p, c->line, peek (c), "expected 'acquired' after 'not', found %s", found);
          g_free (cond);
          return NULL;
        }
      take (c);
      cond->kind = TV_COND_NOT_ACQUIRED;
      return cond;
    }
  if (peek_word (c, "alive"))
    {
      const TvName *name;

      take (c);
      if (!tv_parser_resolve (c->p, c->line, peek (c), &tv_want_startable, "alive", &name))
        {
          g_free (cond);
          return NULL;
        }
      take (c);
      cond->kind = TV_COND_ALIVE;
      cond->body = name->index;
      return cond;
    }

  cond->lhs = parse_sum (c);
  if (cond->lhs == NULL)
    {
      tv_cond_free (cond);
      return NULL;
    }
  op = peek (c);
  switch ((int) op->kind)
    {
    case TV_TOK_EQ: cond->kind = TV_COND_EQ; break;
    case TV_TOK_NE: cond->kind = TV_COND_NE; break;
    case TV_TOK_LT: cond->kind = TV_COND_LT; break;
    case TV_TOK_LE: cond->kind = TV_COND_LE; break;
    case TV_TOK_GT: cond->kind = TV_COND_GT; break;
    case TV_TOK_GE: cond->kind = TV_COND_GE; break;
    default:
      {
        g_autofree char *found = tv_parser_describe_token (c->line, op);
        ERROR_AT (c->p, c->line, op, "expected a comparison (==, !=, <, <=, >, >=), found %s%s",
                  found, op->kind == TV_TOK_ASSIGN ? " (use '==' to compare)" : "");
        tv_cond_free (cond);
        return NULL;
      }
    }
  take (c);
  cond->rhs = parse_sum (c);
  if (cond->rhs == NULL)
    {
      tv_cond_free (cond);
      return NULL;
    }
  return cond;
}

/* --- Statements ---------------------------------------------------------- */

static void
held_remove (TvParser *p,
             guint     object)
{
  for (guint k = p->held->len; k > 0; k--)
    if (g_array_index (p->held, guint, k - 1) == object)
      {
        g_array_remove_index (p->held, k - 1);
        return;
      }
}

static gboolean
held_contains (TvParser *p,
               guint     object)
{
  for (guint k = 0; k < p->held->len; k++)
    if (g_array_index (p->held, guint, k) == object)
      return TRUE;
  return FALSE;
}

/* `wait C` / `notify C` on a condition: only where C is visibly held. */
static gboolean
check_condition_held (Cur           *c,
                      const TvToken *verb,
                      const TvToken *target,
                      const TvName  *name)
{
  g_autofree char *verb_text = NULL;
  g_autofree char *target_text = NULL;

  if (name->kind != TV_NAME_CONDITION || c->p->in_def || held_contains (c->p, name->index))
    return TRUE;

  verb_text = token_text (c->line, verb);
  target_text = token_text (c->line, target);
  ERROR_AT (c->p, c->line, verb, "'%s %s' outside 'with %s:' (a condition is waited on and notified while holding it)",
            verb_text, target_text, target_text);
  return FALSE;
}

static void
add_use (GArray        *uses,
         const TvLine  *line,
         const TvToken *token,
         guint          amount)
{
  TvUse use = { { line->number, token->column }, amount };

  g_array_append_val (uses, use);
}

/* Takes a name as `want` says; the token must be next. */
static gboolean
take_name (Cur           *c,
           const TvWant  *want,
           const TvName **name)
{
  g_autofree char *after = so_far (c);

  if (!tv_parser_resolve (c->p, c->line, peek (c), want, after, name))
    return FALSE;
  take (c);
  return TRUE;
}

static gboolean
parse_optional_timeout (Cur    *c,
                        gint64 *duration)
{
  *duration = -1;
  if (!peek_word (c, "timeout"))
    return TRUE;
  take (c);
  return expect_duration (c, duration);
}

/* Absorbs the lines indented under a line that opened no block. */
static void
absorb_deeper (TvParser     *p,
               const Ctx    *ctx,
               gboolean      report)
{
  TvLine *next = current_line (p);

  if (next == NULL || next->indent <= ctx->indent)
    return;
  if (report && !next->has_tab)
    {
      if (ctx->depth == 0)
        tv_parser_error (p->diagnostics, next->number, next->tokens[0].column,
                         "unexpected indentation: a top-level line starts in column 1");
      else
        tv_parser_error (p->diagnostics, next->number, next->tokens[0].column,
                         "inconsistent indentation: expected %u spaces, found %u",
                         ctx->indent, next->indent);
    }
  tv_block_free (parse_block (p, ctx->indent, ctx->depth + 1, NULL, NULL, NULL));
}

/* `with L:`, `repeat N:`, ...: the block after the colon. */
static TvBlock *
parse_sub_block (Cur           *c,
                 const Ctx     *ctx,
                 const TvToken *colon)
{
  return parse_block (c->p, ctx->indent, ctx->depth + 1, c->line, colon, c);
}

static gboolean
parse_else (TvParser  *p,
            const Ctx *ctx,
            TvStmt    *stmt)
{
  TvLine *next = current_line (p);
  const TvToken *colon;
  Cur c;

  if (next == NULL || next->bad || next->indent <= ctx->parent_indent
      || next->indent > ctx->indent || !token_is (next, &next->tokens[0], "else"))
    return TRUE;

  if (next->indent != ctx->indent && !next->has_tab)
    tv_parser_error (p->diagnostics, next->number, next->tokens[0].column,
                     "inconsistent indentation: expected %u spaces, found %u",
                     ctx->indent, next->indent);
  p->pos++;
  c = (Cur) { p, next, 0, 1 };
  colon = expect_colon (&c);
  if (colon == NULL)
    {
      absorb_deeper (p, ctx, FALSE);
      return FALSE;
    }
  stmt->else_body = parse_sub_block (&c, ctx, colon);
  return TRUE;
}

static gboolean
parse_assignment (Cur    *c,
                  TvStmt *stmt)
{
  const TvName *name;
  const TvToken *op;
  const TvToken *target = peek (c);

  if (!tv_parser_resolve (c->p, c->line, target, &tv_want_variable, "", &name))
    return FALSE;
  take (c);
  stmt->var = name->index;
  op = take (c);
  stmt->kind = op->kind == TV_TOK_ASSIGN ? TV_STMT_ASSIGN : TV_STMT_ADD_ASSIGN;
  stmt->expr = parse_sum (c);
  if (stmt->expr == NULL)
    return FALSE;
  if (op->kind == TV_TOK_MINUS_ASSIGN)
    {
      /* x -= e is x += -(e): the engine knows one read-modify-write. */
      TvExpr *neg = new_expr (TV_EXPR_NEG, c->line, op);
      neg->lhs = stmt->expr;
      stmt->expr = neg;
    }
  if (stmt->kind == TV_STMT_ADD_ASSIGN && peek_word (c, "window"))
    {
      take (c);
      if (!expect_duration (c, &stmt->duration))
        return FALSE;
    }
  return expect_end (c);
}

static gboolean
parse_string_arg (Cur    *c,
                  TvStmt *stmt)
{
  const TvToken *token = peek (c);

  if (token->kind != TV_TOK_STRING)
    {
      g_autofree char *before = so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, token);
      ERROR_AT (c->p, c->line, token, "expected a string such as \"text\" after '%s', found %s",
                before, found);
      return FALSE;
    }
  take (c);
  stmt->text = tv_template_parse (c->p, c->line, token);
  if (stmt->text == NULL)
    return FALSE;
  return expect_end (c);
}

/*
 * One statement: parses the line at p->pos (and the block under it).
 * Appends the statement to `stmts` when it is valid.
 */
static void
parse_statement (TvParser  *p,
                 const Ctx *ctx,
                 GArray    *stmts)
{
  TvLine *line = &p->lines[p->pos++];
  Cur cur = { p, line, 0, 0 };
  Cur *c = &cur;
  TvStmt stmt = { 0, };
  const TvToken *verb = &line->tokens[0];
  const TvName *name = NULL;
  const TvToken *colon = NULL;
  gboolean ok = FALSE;
  gboolean opens_block = FALSE;

  stmt.location.line = line->number;
  stmt.location.column = verb->column;
  stmt.var = -1;
  stmt.duration = -1;

  if (line->bad)
    {
      absorb_deeper (p, ctx, FALSE);
      return;
    }

  if (verb->kind == TV_TOK_NAME && !token_is_keyword (line, verb)
      && (line->tokens[1].kind == TV_TOK_ASSIGN
          || line->tokens[1].kind == TV_TOK_PLUS_ASSIGN
          || line->tokens[1].kind == TV_TOK_MINUS_ASSIGN))
    {
      ok = parse_assignment (c, &stmt);
      goto done;
    }

  if (verb->kind != TV_TOK_NAME)
    {
      g_autofree char *found = tv_parser_describe_token (line, verb);
      ERROR_AT (p, line, verb, "expected a statement such as 'sleep 1s' or 'x = 1', found %s", found);
      goto done;
    }

  take (c);
  if (token_is (line, verb, "start"))
    {
      stmt.kind = TV_STMT_START;
      ok = take_name (c, &tv_want_startable, &name) && expect_end (c);
      if (ok)
        stmt.target = name->index;
    }
  else if (token_is (line, verb, "join"))
    {
      ok = take_name (c, &tv_want_joinable, &name);
      if (ok && name->kind == TV_NAME_QUEUE)
        {
          stmt.kind = TV_STMT_JOIN_QUEUE;
          stmt.target = name->index;
          if (peek_word (c, "timeout"))
            {
              ERROR_AT (p, line, peek (c), "'join' of a queue takes no timeout");
              ok = FALSE;
            }
        }
      else if (ok)
        {
          stmt.kind = TV_STMT_JOIN;
          stmt.target = name->index;
          ok = parse_optional_timeout (c, &stmt.duration);
        }
      ok = ok && expect_end (c);
    }
  else if (token_is (line, verb, "spawn") || token_is (line, verb, "call"))
    {
      gboolean spawn = token_is (line, verb, "spawn");

      stmt.kind = spawn ? TV_STMT_SPAWN : TV_STMT_CALL;
      ok = take_name (c, &tv_want_def, &name) && expect_end (c);
      if (ok)
        {
          stmt.target = name->index;
          if (!spawn && p->current_body != G_MAXUINT)
            {
              TvCall call = { p->current_body, name->index,
                              { line->number, line->tokens[1].column } };
              g_array_append_val (p->calls, call);
            }
          if (spawn)
            {
              stmt.spawn_slot = p->n_spawn_sites++;
              add_use (p->thread_uses, line, verb, 1);
            }
        }
    }
  else if (token_is (line, verb, "sleep") || token_is (line, verb, "work")
           || token_is (line, verb, "io"))
    {
      stmt.kind = token_is (line, verb, "sleep") ? TV_STMT_SLEEP
                  : token_is (line, verb, "work") ? TV_STMT_WORK : TV_STMT_IO;
      ok = expect_duration (c, &stmt.duration) && expect_end (c);
    }
  else if (token_is (line, verb, "yield"))
    {
      stmt.kind = TV_STMT_YIELD;
      ok = expect_end (c);
    }
  else if (token_is (line, verb, "acquire"))
    {
      stmt.kind = TV_STMT_ACQUIRE;
      ok = take_name (c, &tv_want_lockable, &name)
           && parse_optional_timeout (c, &stmt.duration)
           && expect_end (c);
      if (ok)
        {
          stmt.target = name->index;
          g_array_append_val (p->held, name->index);
        }
    }
  else if (token_is (line, verb, "try_acquire") || token_is (line, verb, "release"))
    {
      stmt.kind = token_is (line, verb, "release") ? TV_STMT_RELEASE : TV_STMT_TRY_ACQUIRE;
      ok = take_name (c, &tv_want_lockable, &name) && expect_end (c);
      if (ok)
        {
          stmt.target = name->index;
          if (stmt.kind == TV_STMT_RELEASE)
            held_remove (p, name->index);
          else
            g_array_append_val (p->held, name->index);
        }
    }
  else if (token_is (line, verb, "with"))
    {
      stmt.kind = TV_STMT_WITH;
      opens_block = TRUE;
      ok = take_name (c, &tv_want_lockable, &name) && (colon = expect_colon (c)) != NULL;
      if (ok)
        {
          stmt.target = name->index;
          g_array_append_val (p->held, name->index);
          stmt.body = parse_sub_block (c, ctx, colon);
          held_remove (p, name->index);
        }
    }
  else if (token_is (line, verb, "put"))
    {
      stmt.kind = TV_STMT_PUT;
      ok = take_name (c, &tv_want_queue, &name);
      if (ok)
        stmt.target = name->index;
      if (ok && peek (c)->kind != TV_TOK_END)
        ok = (stmt.expr = parse_sum (c)) != NULL;
      ok = ok && expect_end (c);
    }
  else if (token_is (line, verb, "get"))
    {
      stmt.kind = TV_STMT_GET;
      ok = take_name (c, &tv_want_queue, &name);
      if (ok)
        stmt.target = name->index;
      if (ok && peek (c)->kind == TV_TOK_ARROW)
        {
          take (c);
          ok = take_name (c, &tv_want_variable, &name);
          if (ok)
            stmt.var = name->index;
        }
      ok = ok && expect_end (c);
    }
  else if (token_is (line, verb, "task_done"))
    {
      stmt.kind = TV_STMT_TASK_DONE;
      ok = take_name (c, &tv_want_queue, &name) && expect_end (c);
      if (ok)
        stmt.target = name->index;
    }
  else if (token_is (line, verb, "set") || token_is (line, verb, "clear"))
    {
      stmt.kind = token_is (line, verb, "set") ? TV_STMT_SET : TV_STMT_CLEAR;
      ok = take_name (c, &tv_want_event, &name) && expect_end (c);
      if (ok)
        stmt.target = name->index;
    }
  else if (token_is (line, verb, "wait"))
    {
      const TvToken *target = &line->tokens[1];

      stmt.kind = TV_STMT_WAIT;
      ok = take_name (c, &tv_want_waitable, &name)
           && parse_optional_timeout (c, &stmt.duration)
           && expect_end (c)
           && check_condition_held (c, verb, target, name);
      if (ok)
        stmt.target = name->index;
    }
  else if (token_is (line, verb, "notify"))
    {
      const TvToken *target = &line->tokens[1];

      stmt.kind = TV_STMT_NOTIFY;
      ok = take_name (c, &tv_want_condition, &name);
      if (ok && peek_word (c, "all"))
        {
          take (c);
          stmt.all = TRUE;
        }
      ok = ok && expect_end (c) && check_condition_held (c, verb, target, name);
      if (ok)
        stmt.target = name->index;
    }
  else if (token_is (line, verb, "print") || token_is (line, verb, "rename"))
    {
      stmt.kind = token_is (line, verb, "print") ? TV_STMT_PRINT : TV_STMT_RENAME;
      ok = parse_string_arg (c, &stmt);
    }
  else if (token_is (line, verb, "stopwatch"))
    {
      const TvToken *target = peek (c);

      stmt.kind = TV_STMT_STOPWATCH;
      if (target->kind != TV_TOK_NAME || token_is_keyword (line, target))
        {
          g_autofree char *found = tv_parser_describe_token (line, target);
          ERROR_AT (p, line, target, "expected a stopwatch name after 'stopwatch', found %s%s",
                    target->kind == TV_TOK_NAME ? "the keyword " : "", found);
        }
      else
        {
          g_autofree char *text = token_text (line, target);
          const TvName *entry = g_hash_table_lookup (p->names, text);

          /* The pre-scan declared it, or reported why it could not. */
          take (c);
          if (entry != NULL && entry->kind == TV_NAME_STOPWATCH)
            {
              stmt.var = entry->index;
              ok = expect_end (c);
            }
        }
    }
  else if (token_is (line, verb, "repeat"))
    {
      stmt.kind = TV_STMT_REPEAT;
      opens_block = TRUE;
      ok = expect_number (c, "the repeat count", 0, TV_SCENARIO_MAX_REPEAT,
                          "repeat count too large", &stmt.count)
           && (colon = expect_colon (c)) != NULL;
      if (ok)
        {
          p->repeat_depth++;
          stmt.body = parse_sub_block (c, ctx, colon);
          p->repeat_depth--;
        }
    }
  else if (token_is (line, verb, "forever"))
    {
      stmt.kind = TV_STMT_FOREVER;
      opens_block = TRUE;
      ok = (colon = expect_colon (c)) != NULL;
      if (ok)
        stmt.body = parse_sub_block (c, ctx, colon);
    }
  else if (token_is (line, verb, "if"))
    {
      stmt.kind = TV_STMT_IF;
      opens_block = TRUE;
      ok = (stmt.cond = parse_cond (c)) != NULL && (colon = expect_colon (c)) != NULL;
      if (ok)
        {
          stmt.body = parse_sub_block (c, ctx, colon);
          ok = parse_else (p, ctx, &stmt);
          /* The else's own errors are reported; the `if` stays valid. */
          ok = TRUE;
        }
    }
  else if (token_is (line, verb, "else"))
    {
      ERROR_AT (p, line, verb, "'else' without an 'if' just above it");
      opens_block = TRUE;
    }
  else if (token_is (line, verb, "title") || token_is (line, verb, "about")
           || token_is (line, verb, "gil") || token_is (line, verb, "lock")
           || token_is (line, verb, "rlock") || token_is (line, verb, "semaphore")
           || token_is (line, verb, "event") || token_is (line, verb, "condition")
           || token_is (line, verb, "barrier") || token_is (line, verb, "queue")
           || token_is (line, verb, "var") || token_is (line, verb, "shared")
           || token_is (line, verb, "def") || token_is (line, verb, "thread")
           || token_is (line, verb, "process") || token_is (line, verb, "main"))
    {
      g_autofree char *word = token_text (line, verb);
      ERROR_AT (p, line, verb, "'%s' is a declaration: it goes at the top level, not indented in a body",
                word);
      opens_block = token_is (line, verb, "def") || token_is (line, verb, "thread")
                    || token_is (line, verb, "process") || token_is (line, verb, "main");
    }
  else
    {
      g_autofree char *found = tv_parser_describe_token (line, verb);
      ERROR_AT (p, line, verb, "unknown statement %s (expected a statement such as 'sleep 1s', 'acquire L', 'print \"...\"' or 'x = 1')",
                found);
    }

done:
  if (ok)
    g_array_append_val (stmts, stmt);
  else
    tv_stmt_clear (&stmt);

  /* A block-opening line that failed, or a line that opens none. */
  if (!ok || !opens_block)
    absorb_deeper (p, ctx, ok);

  /* The `else` of an `if` that failed belongs to it, not to a stray error. */
  if (!ok && token_is (line, verb, "if"))
    {
      TvLine *next = current_line (p);

      if (next != NULL && next->indent > ctx->parent_indent && next->indent <= ctx->indent
          && token_is (next, &next->tokens[0], "else"))
        {
          p->pos++;
          absorb_deeper (p, ctx, FALSE);
        }
    }
}

/* --- Blocks ---------------------------------------------------------------- */

static TvBlock *
block_from (GArray *stmts)
{
  TvBlock *block = g_new0 (TvBlock, 1);

  block->n_stmts = stmts->len;
  block->stmts = (TvStmt *) (void *) g_array_free (stmts, FALSE);
  return block;
}

/*
 * The lines indented deeper than `parent_indent` from p->pos on.  `header`
 * (with its colon and cursor) is the line that opened the block, for the
 * message when the block is missing; NULL for blocks parsed only to report
 * their errors.
 */
static TvBlock *
parse_block (TvParser      *p,
             guint          parent_indent,
             guint          depth,
             const TvLine  *header,
             const TvToken *colon,
             Cur           *header_cur)
{
  GArray *stmts = g_array_new (FALSE, TRUE, sizeof (TvStmt));
  guint held_length = p->held->len;
  TvLine *first = current_line (p);
  TvLine *line;
  Ctx ctx;

  if (first == NULL || first->indent <= parent_indent)
    {
      if (header != NULL)
        {
          g_autofree char *before = so_far (header_cur);
          tv_parser_error (p->diagnostics, header->number, colon->column,
                           "expected an indented block after '%s'", before);
        }
      return block_from (stmts);
    }

  if (depth > TV_SCENARIO_MAX_NESTING)
    {
      tv_parser_error (p->diagnostics, first->number, first->tokens[0].column,
                       "blocks nested too deeply: %u levels (the limit is %d)",
                       depth, TV_SCENARIO_MAX_NESTING);
      /* Skip without recursing, whatever the depth of what follows. */
      while ((line = current_line (p)) != NULL && line->indent > parent_indent)
        p->pos++;
      return block_from (stmts);
    }

  ctx.depth = depth;
  ctx.indent = first->indent;
  ctx.parent_indent = parent_indent;
  while ((line = current_line (p)) != NULL && line->indent > parent_indent)
    {
      if (line->indent != ctx.indent && !line->has_tab)
        tv_parser_error (p->diagnostics, line->number, line->tokens[0].column,
                         "inconsistent indentation: expected %u spaces, found %u",
                         ctx.indent, line->indent);
      parse_statement (p, &ctx, stmts);
    }

  g_array_set_size (p->held, held_length);
  return block_from (stmts);
}

/* --- Declarations -------------------------------------------------------- */

static TvNameKind
decl_kind (const TvLine  *line,
           const TvToken *token)
{
  static const struct { const char *word; TvNameKind kind; } decls[] = {
    { "lock", TV_NAME_LOCK }, { "rlock", TV_NAME_RLOCK },
    { "semaphore", TV_NAME_SEMAPHORE }, { "event", TV_NAME_EVENT },
    { "condition", TV_NAME_CONDITION }, { "barrier", TV_NAME_BARRIER },
    { "queue", TV_NAME_QUEUE }, { "var", TV_NAME_VAR }, { "shared", TV_NAME_SHARED },
    { "def", TV_NAME_DEF }, { "thread", TV_NAME_THREAD }, { "process", TV_NAME_PROCESS },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (decls); k++)
    if (token_is (line, token, decls[k].word))
      return decls[k].kind;
  return 0;
}

static TvObjectKind
object_kind (TvNameKind kind)
{
  switch (kind)
    {
    case TV_NAME_LOCK: return TV_OBJ_LOCK;
    case TV_NAME_RLOCK: return TV_OBJ_RLOCK;
    case TV_NAME_SEMAPHORE: return TV_OBJ_SEMAPHORE;
    case TV_NAME_EVENT: return TV_OBJ_EVENT;
    case TV_NAME_CONDITION: return TV_OBJ_CONDITION;
    case TV_NAME_BARRIER: return TV_OBJ_BARRIER;
    case TV_NAME_QUEUE: return TV_OBJ_QUEUE;
    default: return TV_OBJ_NONE;
    }
}

/* Declares `token` as a name of `kind`; FALSE (reported) when it cannot be. */
static gboolean
declare (TvParser      *p,
         const TvLine  *line,
         const TvToken *token,
         TvNameKind     kind)
{
  g_autofree char *text = token_text (line, token);
  TvName *previous = g_hash_table_lookup (p->names, text);
  TvName *name;
  TvLocation location = { line->number, token->column };

  if (token_is_keyword (line, token))
    {
      ERROR_AT (p, line, token, "'%s' is a keyword and cannot be used as a name", text);
      return FALSE;
    }
  if (previous != NULL)
    {
      if (kind == TV_NAME_STOPWATCH && previous->kind == TV_NAME_STOPWATCH)
        return TRUE;   /* `stopwatch t` again restarts the same stopwatch */
      ERROR_AT (p, line, token, "'%s' is already declared on line %u (as %s)",
                text, previous->location.line, tv_parser_a_kind (previous->kind));
      return FALSE;
    }

  name = g_new0 (TvName, 1);
  name->kind = kind;
  name->location = location;
  if (kind & TV_NAME_OBJECTS)
    {
      TvObjectDecl decl = { g_strdup (text), object_kind (kind), 0, location };
      name->index = p->objects->len;
      g_array_append_val (p->objects, decl);
      g_hash_table_insert (p->names, decl.name, name);
    }
  else if (kind & TV_NAME_VARS)
    {
      TvVarDecl decl = { g_strdup (text),
                         kind == TV_NAME_VAR ? TV_VAR_LOCAL
                         : kind == TV_NAME_SHARED ? TV_VAR_SHARED : TV_VAR_STOPWATCH,
                         0, location };
      name->index = p->vars->len;
      g_array_append_val (p->vars, decl);
      g_hash_table_insert (p->names, decl.name, name);
    }
  else
    {
      TvBodyDecl decl = { g_strdup (text),
                          kind == TV_NAME_DEF ? TV_BODY_DEF
                          : kind == TV_NAME_THREAD ? TV_BODY_THREAD : TV_BODY_PROCESS,
                          1, FALSE, NULL, location };
      name->index = p->bodies->len;
      g_array_append_val (p->bodies, decl);
      g_hash_table_insert (p->names, decl.name, name);
    }
  return TRUE;
}

/* Declares every top-level name and every stopwatch, in file order. */
static void
prescan (TvParser *p)
{
  for (guint k = 0; k < p->n_lines; k++)
    {
      const TvLine *line = &p->lines[k];
      const TvToken *name;
      TvNameKind kind;

      if (line->indent == 0 && token_is (line, &line->tokens[0], "main"))
        {
          if (p->main_line != 0)
            ERROR_AT (p, line, &line->tokens[0], "'main' is declared twice (first on line %u)",
                      p->main_line);
          else
            {
              TvBodyDecl decl = { g_strdup ("main"), TV_BODY_MAIN, 1, FALSE, NULL,
                                  { line->number, line->tokens[0].column } };
              p->main_line = line->number;
              p->main_index = p->bodies->len;
              g_array_append_val (p->bodies, decl);
            }
          continue;
        }
      if (line->n_tokens < 3 || line->tokens[1].kind != TV_TOK_NAME)
        continue;
      name = &line->tokens[1];
      if (token_is (line, &line->tokens[0], "stopwatch"))
        {
          if (!token_is_keyword (line, name))
            declare (p, line, name, TV_NAME_STOPWATCH);
          continue;
        }
      if (line->indent != 0)
        continue;
      kind = decl_kind (line, &line->tokens[0]);
      if (kind != 0)
        declare (p, line, name, kind);
    }
}

/* The name declared by the declaration on `line`, if the pre-scan kept it. */
static const TvName *
declared_here (TvParser      *p,
               const TvLine  *line,
               const TvToken *token)
{
  g_autofree char *text = NULL;
  const TvName *name;

  if (token->kind != TV_TOK_NAME)
    return NULL;
  text = token_text (line, token);
  name = g_hash_table_lookup (p->names, text);
  if (name != NULL && name->location.line == line->number
      && name->location.column == token->column)
    return name;
  return NULL;
}

typedef struct
{
  guint title_line;
  guint about_line;
  guint gil_line;
  char *title;
  char *about;
  gboolean gil;
  gint64 gil_switch;
  TvLocation gil_location;
} Header;

static gboolean
parse_header_string (Cur        *c,
                     guint      *seen_line,
                     char      **out)
{
  const TvToken *token = peek (c);
  g_autofree char *word = token_text (c->line, &c->line->tokens[0]);

  if (*seen_line != 0)
    {
      ERROR_AT (c->p, c->line, &c->line->tokens[0], "'%s' is given twice (first on line %u)",
                word, *seen_line);
      return FALSE;
    }
  if (token->kind != TV_TOK_STRING)
    {
      g_autofree char *found = tv_parser_describe_token (c->line, token);
      ERROR_AT (c->p, c->line, token, "expected a string such as \"text\" after '%s', found %s",
                word, found);
      return FALSE;
    }
  take (c);
  if (!expect_end (c))
    return FALSE;
  *out = tv_template_decode_plain (c->p, c->line, token);
  if (*out == NULL)
    return FALSE;
  *seen_line = c->line->number;
  return TRUE;
}

static gboolean
parse_gil (Cur    *c,
           Header *h)
{
  const TvToken *gil = &c->line->tokens[0];

  if (h->gil_line != 0)
    {
      ERROR_AT (c->p, c->line, gil, "'gil' is given twice (first on line %u)", h->gil_line);
      return FALSE;
    }
  if (peek_word (c, "off"))
    {
      take (c);
      if (!expect_end (c))
        return FALSE;
      h->gil_line = c->line->number;
      return TRUE;
    }
  if (!peek_word (c, "on"))
    {
      g_autofree char *found = tv_parser_describe_token (c->line, peek (c));
      ERROR_AT (c->p, c->line, peek (c), "expected 'on' or 'off' after 'gil', found %s", found);
      return FALSE;
    }
  take (c);
  h->gil_switch = DEFAULT_GIL_SWITCH;
  if (peek_word (c, "switch"))
    {
      const TvToken *value;

      take (c);
      value = peek (c);
      if (!expect_duration (c, &h->gil_switch))
        return FALSE;
      if (h->gil_switch <= 0)
        {
          ERROR_AT (c->p, c->line, value, "the switch interval must be longer than 0");
          return FALSE;
        }
    }
  if (!expect_end (c))
    return FALSE;
  h->gil = TRUE;
  h->gil_line = c->line->number;
  h->gil_location = (TvLocation) { c->line->number, gil->column };
  return TRUE;
}

static void
parse_object_params (Cur          *c,
                     TvNameKind    kind,
                     TvObjectDecl *decl)
{
  gint64 value = 0;

  switch ((int) kind)
    {
    case TV_NAME_SEMAPHORE:
      value = 1;
      if (peek (c)->kind != TV_TOK_END
          && !expect_number (c, "the semaphore value", 0, MAX_SEMAPHORE_VALUE,
                             "semaphore value too large", &value))
        return;
      break;
    case TV_NAME_BARRIER:
      if (!expect_number (c, "the number of parties", 1, MAX_BARRIER_PARTIES,
                          "too many barrier parties", &value))
        return;
      break;
    case TV_NAME_QUEUE:
      if (peek_word (c, "capacity"))
        {
          take (c);
          if (!expect_number (c, "the capacity", 1, TV_SCENARIO_MAX_QUEUE_ITEMS,
                              "queue capacity too large", &value))
            return;
        }
      break;
    default:
      break;
    }
  if (!expect_end (c))
    return;
  if (decl != NULL)
    decl->param = value;
}

static void
parse_var_initial (Cur       *c,
                   TvVarDecl *decl)
{
  gint64 value = 0;

  if (peek (c)->kind == TV_TOK_ASSIGN)
    {
      gboolean negative = FALSE;
      const TvToken *token;

      take (c);
      if (peek (c)->kind == TV_TOK_MINUS)
        {
          take (c);
          negative = TRUE;
        }
      token = peek (c);
      if (token->kind != TV_TOK_INT)
        {
          g_autofree char *found = tv_parser_describe_token (c->line, token);
          ERROR_AT (c->p, c->line, token, "expected a whole number after '=', found %s", found);
          return;
        }
      take (c);
      value = negative ? -token->value : token->value;
    }
  if (!expect_end (c))
    return;
  if (decl != NULL)
    decl->initial = value;
}

/* `def NAME:`, `thread NAME [* N]:`, `process NAME [* N]:` and `main:`. */
static void
parse_body_decl (TvParser   *p,
                 TvLine     *line,
                 TvNameKind  kind,
                 Header     *h)
{
  Cur cur = { p, line, 0, 1 };
  Cur *c = &cur;
  const TvName *name = NULL;
  const TvToken *name_token = peek (c);
  const TvToken *colon;
  gint64 count = 1;
  gboolean multiple = FALSE;
  gboolean ok = TRUE;
  TvBlock *block;

  if (kind != 0)
    {
      if (name_token->kind != TV_TOK_NAME)
        {
          g_autofree char *before = so_far (c);
          g_autofree char *found = tv_parser_describe_token (line, name_token);
          ERROR_AT (p, line, name_token, "expected a name after '%s', found %s", before, found);
          ok = FALSE;
        }
      else
        {
          name = declared_here (p, line, name_token);
          take (c);
        }
      if (ok && kind != TV_NAME_DEF && peek (c)->kind == TV_TOK_STAR)
        {
          take (c);
          multiple = TRUE;
          ok = expect_number (c, "the number of instances", 1, TV_SCENARIO_MAX_INSTANCES,
                              "too many instances", &count);
        }
    }
  else if (line->number != p->main_line)
    ok = FALSE;   /* a second main: the pre-scan reported it */

  colon = ok ? expect_colon (c) : NULL;
  p->in_def = kind == TV_NAME_DEF;
  p->repeat_depth = 0;
  p->current_body = kind == 0 ? (ok ? p->main_index : G_MAXUINT) : name ? name->index : G_MAXUINT;
  g_array_set_size (p->held, 0);
  if (colon == NULL)
    {
      /* Report what the block holds, but it belongs to nothing. */
      tv_block_free (parse_block (p, 0, 1, NULL, NULL, NULL));
      return;
    }

  block = parse_block (p, 0, 1, line, colon, c);
  if (kind == 0)
    g_array_index (p->bodies, TvBodyDecl, p->main_index).block = block;
  else if (name != NULL)
    {
      TvBodyDecl *decl = &g_array_index (p->bodies, TvBodyDecl, name->index);

      decl->count = count;
      decl->multiple = multiple;
      decl->block = block;
      if (kind == TV_NAME_THREAD)
        add_use (p->thread_uses, line, name_token, count);
      else if (kind == TV_NAME_PROCESS)
        add_use (p->process_uses, line, name_token, count);
    }
  else
    tv_block_free (block);
}

static void
parse_toplevel (TvParser *p,
                Header   *h)
{
  TvLine *line = &p->lines[p->pos];
  Cur cur = { p, line, 0, 1 };
  Cur *c = &cur;
  const TvToken *word = &line->tokens[0];
  TvNameKind kind;
  Ctx top = { 0, 0, 0 };

  if (line->bad)
    {
      p->pos++;
      absorb_deeper (p, &top, FALSE);
      return;
    }

  kind = decl_kind (line, word);
  if ((kind & TV_NAME_BODIES) != 0 || token_is (line, word, "main"))
    {
      p->pos++;
      parse_body_decl (p, line, kind, h);
      return;
    }

  p->pos++;
  if (kind & (TV_NAME_OBJECTS | TV_NAME_VAR | TV_NAME_SHARED))
    {
      const TvToken *name_token = peek (c);
      const TvName *name;

      if (name_token->kind != TV_TOK_NAME)
        {
          g_autofree char *before = so_far (c);
          g_autofree char *found = tv_parser_describe_token (line, name_token);
          ERROR_AT (p, line, name_token, "expected a name after '%s', found %s", before, found);
        }
      else
        {
          name = declared_here (p, line, name_token);
          take (c);
          if (kind & TV_NAME_OBJECTS)
            parse_object_params (c, kind, name ? &g_array_index (p->objects, TvObjectDecl, name->index) : NULL);
          else
            parse_var_initial (c, name ? &g_array_index (p->vars, TvVarDecl, name->index) : NULL);
        }
    }
  else if (token_is (line, word, "title"))
    parse_header_string (c, &h->title_line, &h->title);
  else if (token_is (line, word, "about"))
    parse_header_string (c, &h->about_line, &h->about);
  else if (token_is (line, word, "gil"))
    parse_gil (c, h);
  else if (word->kind == TV_TOK_NAME && tv_lexer_is_keyword (line->text + word->start, word->end - word->start))
    {
      g_autofree char *text = token_text (line, word);
      ERROR_AT (p, line, word, "'%s' is a statement: put it in a body such as 'main:' or 'thread T:'",
                text);
    }
  else if (word->kind == TV_TOK_NAME && line->tokens[1].kind != TV_TOK_END
           && line->tokens[1].kind != TV_TOK_NAME)
    {
      /* `x = 1` at the top level. */
      ERROR_AT (p, line, word, "a statement at the top level: put it in a body such as 'main:' or 'thread T:'");
    }
  else
    {
      g_autofree char *found = tv_parser_describe_token (line, word);
      ERROR_AT (p, line, word, "expected a declaration such as 'lock L', 'var x = 0' or 'thread T:', found %s",
                found);
    }

  absorb_deeper (p, &top, TRUE);
}

/* --- The whole scenario -------------------------------------------------- */

static void
check_limit (TvParser   *p,
             GArray     *uses,
             guint       limit,
             const char *what)
{
  guint64 total = 0;
  guint over = G_MAXUINT;

  for (guint k = 0; k < uses->len; k++)
    {
      total += g_array_index (uses, TvUse, k).amount;
      if (total > limit && over == G_MAXUINT)
        over = k;
    }
  if (over != G_MAXUINT)
    {
      TvUse *use = &g_array_index (uses, TvUse, over);
      tv_parser_error (p->diagnostics, use->location.line, use->location.column,
                       "too many %s: %" G_GUINT64_FORMAT " (the limit is %u)", what, total, limit);
    }
}

/*
 * Calls: a def that calls itself (directly or through others) would never
 * return, and a deep chain of calls would exhaust a thread's stack, so both
 * are load errors.  One depth-first walk (iterative: the chain may be long)
 * finds the back edges (recursion) and each body's call depth.
 */
static gint
compare_calls (gconstpointer a,
               gconstpointer b)
{
  const TvCall *x = a;
  const TvCall *y = b;

  if (x->caller != y->caller)
    return x->caller < y->caller ? -1 : 1;
  if (x->location.line != y->location.line)
    return x->location.line < y->location.line ? -1 : 1;
  return 0;
}

typedef struct
{
  guint node;
  guint edge;      /* the next edge of `node` to explore */
} Frame;

static void
check_calls (TvParser *p)
{
  guint n = p->bodies->len;
  guint n_calls = p->calls->len;
  g_autofree guint *first = g_new0 (guint, n + 1);
  g_autofree guint8 *state = g_new0 (guint8, n);   /* 0 new, 1 on the path, 2 done */
  g_autofree guint *depth = g_new0 (guint, n);
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (Frame));
  TvCall *calls;

  g_array_sort (p->calls, compare_calls);
  calls = (TvCall *) (void *) p->calls->data;
  for (guint k = 0; k < n_calls; k++)
    first[calls[k].caller + 1]++;
  for (guint k = 0; k < n; k++)
    first[k + 1] += first[k];

  for (guint root = 0; root < n; root++)
    {
      Frame top = { root, first[root] };

      if (state[root] != 0)
        continue;
      state[root] = 1;
      g_array_append_val (stack, top);
      while (stack->len > 0)
        {
          Frame *f = &g_array_index (stack, Frame, stack->len - 1);

          if (f->edge < first[f->node + 1])
            {
              const TvCall *call = &calls[f->edge++];
              guint w = call->callee;

              if (state[w] == 1)
                {
                  GString *path = g_string_new (NULL);
                  gboolean on = FALSE;

                  for (guint k = 0; k < stack->len; k++)
                    {
                      guint v = g_array_index (stack, Frame, k).node;
                      on = on || v == w;
                      if (on)
                        g_string_append_printf (path, "%s -> ",
                                                g_array_index (p->bodies, TvBodyDecl, v).name);
                    }
                  g_string_append (path, g_array_index (p->bodies, TvBodyDecl, w).name);
                  tv_parser_error (p->diagnostics, call->location.line, call->location.column,
                                   "recursive call: %s (a def cannot call itself, directly or through others)",
                                   path->str);
                  g_string_free (path, TRUE);
                }
              else if (state[w] == 0)
                {
                  Frame next = { w, first[w] };
                  state[w] = 1;
                  g_array_append_val (stack, next);
                }
              else if (depth[w] + 1 > TV_SCENARIO_MAX_NESTING && depth[w] <= TV_SCENARIO_MAX_NESTING)
                tv_parser_error (p->diagnostics, call->location.line, call->location.column,
                                 "calls nested too deeply: %u levels (the limit is %d)",
                                 depth[w] + 1, TV_SCENARIO_MAX_NESTING);
            }
          else
            {
              guint v = f->node;
              guint d = 0;

              for (guint k = first[v]; k < first[v + 1]; k++)
                if (state[calls[k].callee] == 2)
                  d = MAX (d, depth[calls[k].callee]);
              /* A body's depth counts itself: main calling f is two levels. */
              depth[v] = d + 1;
              state[v] = 2;
              g_array_set_size (stack, stack->len - 1);
              if (stack->len > 0)
                {
                  /* Check the edge just finished from the caller's side. */
                  Frame *caller = &g_array_index (stack, Frame, stack->len - 1);
                  const TvCall *call = &calls[caller->edge - 1];
                  if (depth[v] + 1 > TV_SCENARIO_MAX_NESTING && depth[v] <= TV_SCENARIO_MAX_NESTING)
                    tv_parser_error (p->diagnostics, call->location.line, call->location.column,
                                     "calls nested too deeply: %u levels (the limit is %d)",
                                     depth[v] + 1, TV_SCENARIO_MAX_NESTING);
                }
            }
        }
    }
}

/* Without `main:`, main starts every thread and process, then joins them. */
static TvBlock *
synthesise_main (TvParser *p)
{
  GArray *stmts = g_array_new (FALSE, TRUE, sizeof (TvStmt));

  for (guint pass = 0; pass < 2; pass++)
    for (guint k = 0; k < p->bodies->len; k++)
      {
        TvBodyDecl *body = &g_array_index (p->bodies, TvBodyDecl, k);
        TvStmt stmt = { 0, };

        if (body->kind != TV_BODY_THREAD && body->kind != TV_BODY_PROCESS)
          continue;
        stmt.kind = pass == 0 ? TV_STMT_START : TV_STMT_JOIN;
        stmt.location = body->location;
        stmt.target = k;
        stmt.var = -1;
        stmt.duration = -1;
        g_array_append_val (stmts, stmt);
      }
  return block_from (stmts);
}

static gint
compare_diagnostics (gconstpointer a,
                     gconstpointer b)
{
  const TvDiagnostic *x = *(const TvDiagnostic * const *) a;
  const TvDiagnostic *y = *(const TvDiagnostic * const *) b;

  if (x->location.line != y->location.line)
    return x->location.line < y->location.line ? -1 : 1;
  if (x->location.column != y->location.column)
    return x->location.column < y->location.column ? -1 : 1;
  return 0;
}

static char *
default_title (const char *filename)
{
  g_autofree char *base = g_path_get_basename (filename);

  if (g_str_has_suffix (base, ".tvs") && strlen (base) > 4)
    base[strlen (base) - 4] = '\0';
  return g_steal_pointer (&base);
}

static void
fill_scenario (TvParser   *p,
               Header     *h,
               TvScenario *scenario)
{
  if (p->main_line != 0)
    {
      scenario->explicit_main = TRUE;
      scenario->main_body = p->main_index;
    }
  else
    {
      /* A synthesised main comes after every body of the file. */
      TvBodyDecl main_decl = { g_strdup ("main"), TV_BODY_MAIN, 1, FALSE, NULL, { 0, 0 } };

      main_decl.block = synthesise_main (p);
      scenario->main_body = p->bodies->len;
      g_array_append_val (p->bodies, main_decl);
    }

  scenario->title = h->title ? g_steal_pointer (&h->title) : default_title (p->filename);
  scenario->about = g_steal_pointer (&h->about);
  scenario->gil = h->gil;
  scenario->gil_switch = h->gil ? h->gil_switch : DEFAULT_GIL_SWITCH;
  scenario->gil_location = h->gil_location;
  scenario->n_spawn_sites = p->n_spawn_sites;

  scenario->n_objects = p->objects->len;
  scenario->objects = (TvObjectDecl *) (void *) g_array_free (g_steal_pointer (&p->objects), FALSE);
  scenario->n_vars = p->vars->len;
  scenario->vars = (TvVarDecl *) (void *) g_array_free (g_steal_pointer (&p->vars), FALSE);
  scenario->n_bodies = p->bodies->len;
  scenario->bodies = (TvBodyDecl *) (void *) g_array_free (g_steal_pointer (&p->bodies), FALSE);
}

static void
parser_clear (TvParser *p)
{
  g_clear_pointer (&p->names, g_hash_table_unref);
  if (p->objects != NULL)
    for (guint k = 0; k < p->objects->len; k++)
      g_free (g_array_index (p->objects, TvObjectDecl, k).name);
  if (p->vars != NULL)
    for (guint k = 0; k < p->vars->len; k++)
      g_free (g_array_index (p->vars, TvVarDecl, k).name);
  if (p->bodies != NULL)
    for (guint k = 0; k < p->bodies->len; k++)
      {
        g_free (g_array_index (p->bodies, TvBodyDecl, k).name);
        tv_block_free (g_array_index (p->bodies, TvBodyDecl, k).block);
      }
  g_clear_pointer (&p->objects, g_array_unref);
  g_clear_pointer (&p->vars, g_array_unref);
  g_clear_pointer (&p->bodies, g_array_unref);
  g_clear_pointer (&p->held, g_array_unref);
  g_clear_pointer (&p->thread_uses, g_array_unref);
  g_clear_pointer (&p->process_uses, g_array_unref);
  g_clear_pointer (&p->calls, g_array_unref);
  tv_lines_free (p->lines, p->n_lines);
}

TvScenario *
tv_scenario_parse (const char *filename,
                   const char *text,
                   gssize      length,
                   GPtrArray **diagnostics,
                   GError    **error)
{
  TvParser parser = { 0, };
  TvParser *p = &parser;
  Header header = { 0, };
  g_autoptr(GPtrArray) diags = g_ptr_array_new_with_free_func ((GDestroyNotify) tv_diagnostic_free);
  TvScenario *scenario = NULL;
  gboolean within_limits;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (filename == NULL)
    filename = "scenario";
  if (length < 0)
    length = strlen (text);

  p->filename = filename;
  p->source = text;
  p->length = length;
  p->diagnostics = diags;
  p->objects = g_array_new (FALSE, TRUE, sizeof (TvObjectDecl));
  p->vars = g_array_new (FALSE, TRUE, sizeof (TvVarDecl));
  p->bodies = g_array_new (FALSE, TRUE, sizeof (TvBodyDecl));
  p->names = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  p->held = g_array_new (FALSE, FALSE, sizeof (guint));
  p->thread_uses = g_array_new (FALSE, FALSE, sizeof (TvUse));
  p->process_uses = g_array_new (FALSE, FALSE, sizeof (TvUse));
  p->calls = g_array_new (FALSE, FALSE, sizeof (TvCall));
  p->current_body = G_MAXUINT;

  within_limits = tv_lex (text, length, diags, &p->lines, &p->n_lines);
  if (within_limits)
    {
      prescan (p);
      while (p->pos < p->n_lines)
        {
          TvLine *line = &p->lines[p->pos];
          if (line->indent > 0)
            {
              if (!line->has_tab)
                tv_parser_error (p->diagnostics, line->number, line->tokens[0].column,
                                 "unexpected indentation: a top-level line starts in column 1");
              tv_block_free (parse_block (p, 0, 1, NULL, NULL, NULL));
            }
          else
            parse_toplevel (p, &header);
        }
      check_calls (p);
      check_limit (p, p->thread_uses, TV_SCENARIO_MAX_THREADS, "threads");
      check_limit (p, p->process_uses, TV_SCENARIO_MAX_PROCESSES, "processes");
    }

  if (diags->len == 0)
    {
      scenario = tv_scenario_alloc ();
      scenario->filename = g_strdup (filename);
      scenario->source = g_strndup (text, length);
      fill_scenario (p, &header, scenario);
    }
  else
    {
      GString *message = g_string_new (NULL);

      g_ptr_array_sort (diags, compare_diagnostics);
      for (guint k = 0; k < diags->len; k++)
        {
          g_autofree char *one = tv_diagnostic_format_len (diags->pdata[k], filename, text, length);
          if (k > 0)
            g_string_append_c (message, '\n');
          g_string_append (message, one);
        }
      g_set_error_literal (error, TV_SCENARIO_ERROR,
                           within_limits ? TV_SCENARIO_ERROR_INVALID : TV_SCENARIO_ERROR_LIMIT,
                           message->str);
      g_string_free (message, TRUE);
    }

  g_free (header.title);
  g_free (header.about);
  parser_clear (p);

  if (diagnostics != NULL)
    *diagnostics = g_steal_pointer (&diags);
  return scenario;
}
