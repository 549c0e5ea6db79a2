/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-parser-stmt.c: statements and the blocks that hold them.  Each
 * statement is one line; a line ending in `:` opens a block of deeper lines.
 * A statement that fails is dropped and the lines under it are still
 * checked, so that every error of the file is reported.
 */
#define G_LOG_DOMAIN "tv-parser"

#include "config.h"

#include <string.h>

#include "tv-lexer.h"
#include "tv-parser-private.h"
#include "tv-scenario.h"

/* --- Statements ---------------------------------------------------------- */

/*
 * Only conditions are held lexically (for `wait` and `notify`); every
 * lockable records that this body acquired it (for `release`).
 */
static void
held_add (TvParser     *p,
          const TvName *name)
{
  p->acquired_in[name->index] = p->body_generation;
  if (name->kind == TV_NAME_CONDITION)
    g_array_append_val (p->held, name->index);
}

/*
 * `release L` where nothing before it in this body (in file order) acquires
 * L, and no def was called that might have, can never hold L.  A semaphore
 * may be released by anyone, and a def's caller may hold L: not checked.
 */
static gboolean
check_release (TvCursor      *c,
               const TvToken *target,
               const TvName  *name)
{
  TvParser *p = c->p;
  g_autofree char *text = NULL;

  if (name->kind == TV_NAME_SEMAPHORE || p->in_def || p->body_calls
      || p->acquired_in[name->index] == p->body_generation)
    return TRUE;
  text = tv_token_text (c->line, target);
  ERROR_AT (p, c->line, target, "'release %s' here can never hold %s: nothing before it in this body acquires it",
            text, text);
  return FALSE;
}

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
check_condition_held (TvCursor      *c,
                      const TvToken *verb,
                      const TvToken *target,
                      const TvName  *name)
{
  g_autofree char *verb_text = NULL;
  g_autofree char *target_text = NULL;

  if (name->kind != TV_NAME_CONDITION || c->p->in_def || held_contains (c->p, name->index))
    return TRUE;

  verb_text = tv_token_text (c->line, verb);
  target_text = tv_token_text (c->line, target);
  ERROR_AT (c->p, c->line, verb, "'%s %s' outside 'with %s:' (a condition is waited on and notified while holding it)",
            verb_text, target_text, target_text);
  return FALSE;
}

void
tv_parser_add_use (GArray        *uses,
                   const TvLine  *line,
                   const TvToken *token,
                   guint          amount)
{
  TvUse use = { { line->number, token->column }, amount };

  g_array_append_val (uses, use);
}

/* Takes a name as `want` says; the token must be next. */
static gboolean
take_name (TvCursor      *c,
           const TvWant  *want,
           const TvName **name)
{
  g_autofree char *after = tv_cursor_so_far (c);

  if (!tv_parser_resolve (c->p, c->line, tv_cursor_peek (c), want, after, name))
    return FALSE;
  tv_cursor_take (c);
  return TRUE;
}

static gboolean
parse_optional_timeout (TvCursor *c,
                        gint64   *duration)
{
  *duration = -1;
  if (!tv_cursor_peek_word (c, "timeout"))
    return TRUE;
  tv_cursor_take (c);
  return tv_cursor_expect_duration (c, duration);
}

/* Absorbs the lines indented under a line that opened no block. */
void
tv_parser_absorb_deeper (TvParser         *p,
                         const TvBlockCtx *ctx,
                         gboolean          report)
{
  TvLine *next = tv_parser_current_line (p);

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
  tv_block_free (tv_parser_parse_block (p, ctx->indent, ctx->depth + 1, NULL, NULL, NULL));
}

/* `with L:`, `repeat N:`, ...: the block after the colon. */
static TvBlock *
parse_sub_block (TvCursor         *c,
                 const TvBlockCtx *ctx,
                 const TvToken    *colon)
{
  return tv_parser_parse_block (c->p, ctx->indent, ctx->depth + 1, c->line, colon, c);
}

static void
parse_else (TvParser         *p,
            const TvBlockCtx *ctx,
            TvStmt           *stmt)
{
  TvLine *next = tv_parser_current_line (p);
  const TvToken *colon;
  TvCursor c;

  if (next == NULL || next->bad || next->indent <= ctx->parent_indent
      || next->indent > ctx->indent || !tv_token_is (next, &next->tokens[0], "else"))
    return;

  if (next->indent != ctx->indent && !next->has_tab)
    tv_parser_error (p->diagnostics, next->number, next->tokens[0].column,
                     "inconsistent indentation: expected %u spaces, found %u",
                     ctx->indent, next->indent);
  p->pos++;
  c = (TvCursor) { p, next, 0, 1 };
  colon = tv_cursor_expect_colon (&c);
  if (colon == NULL)
    {
      tv_parser_absorb_deeper (p, ctx, FALSE);
      return;
    }
  stmt->else_body = parse_sub_block (&c, ctx, colon);
}

static gboolean
parse_assignment (TvCursor *c,
                  TvStmt   *stmt)
{
  const TvName *name;
  const TvToken *op;
  const TvToken *target = tv_cursor_peek (c);

  if (!tv_parser_resolve (c->p, c->line, target, &tv_want_variable, "", &name))
    return FALSE;
  tv_cursor_take (c);
  stmt->var = name->index;
  op = tv_cursor_take (c);
  stmt->kind = op->kind == TV_TOK_ASSIGN ? TV_STMT_ASSIGN : TV_STMT_ADD_ASSIGN;
  stmt->expr = tv_parser_parse_expr (c);
  if (stmt->expr == NULL)
    return FALSE;
  if (op->kind == TV_TOK_MINUS_ASSIGN)
    {
      /* x -= e is x += -(e): the engine knows one read-modify-write. */
      TvExpr *neg = tv_expr_new (TV_EXPR_NEG, c->line, op);
      neg->lhs = stmt->expr;
      stmt->expr = neg;
    }
  if (stmt->kind == TV_STMT_ADD_ASSIGN && tv_cursor_peek_word (c, "window"))
    {
      tv_cursor_take (c);
      if (!tv_cursor_expect_duration (c, &stmt->duration))
        return FALSE;
    }
  return tv_cursor_expect_end (c);
}

static gboolean
parse_string_arg (TvCursor *c,
                  TvStmt   *stmt)
{
  const TvToken *token = tv_cursor_peek (c);

  if (token->kind != TV_TOK_STRING)
    {
      g_autofree char *before = tv_cursor_so_far (c);
      g_autofree char *found = tv_parser_describe_token (c->line, token);
      ERROR_AT (c->p, c->line, token, "expected a string such as \"text\" after '%s', found %s",
                before, found);
      return FALSE;
    }
  tv_cursor_take (c);
  stmt->text = tv_template_parse (c->p, c->line, token);
  if (stmt->text == NULL)
    return FALSE;
  return tv_cursor_expect_end (c);
}

/*
 * One statement: parses the line at p->pos (and the block under it).
 * Appends the statement to `stmts` when it is valid.
 */
static void
parse_statement (TvParser         *p,
                 const TvBlockCtx *ctx,
                 GArray           *stmts)
{
  TvLine *line = &p->lines[p->pos++];
  TvCursor cur = { p, line, 0, 0 };
  TvCursor *c = &cur;
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
      tv_parser_absorb_deeper (p, ctx, FALSE);
      return;
    }

  if (verb->kind == TV_TOK_NAME && !tv_token_is_keyword (line, verb)
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

  tv_cursor_take (c);
  if (tv_token_is (line, verb, "start"))
    {
      stmt.kind = TV_STMT_START;
      ok = take_name (c, &tv_want_startable, &name) && tv_cursor_expect_end (c);
      if (ok)
        stmt.target = name->index;
    }
  else if (tv_token_is (line, verb, "join"))
    {
      ok = take_name (c, &tv_want_joinable, &name);
      if (ok && name->kind == TV_NAME_QUEUE)
        {
          stmt.kind = TV_STMT_JOIN_QUEUE;
          stmt.target = name->index;
          if (tv_cursor_peek_word (c, "timeout"))
            {
              ERROR_AT (p, line, tv_cursor_peek (c), "'join' of a queue takes no timeout");
              ok = FALSE;
            }
        }
      else if (ok)
        {
          stmt.kind = TV_STMT_JOIN;
          stmt.target = name->index;
          ok = parse_optional_timeout (c, &stmt.duration);
        }
      ok = ok && tv_cursor_expect_end (c);
    }
  else if (tv_token_is (line, verb, "spawn") || tv_token_is (line, verb, "call"))
    {
      gboolean spawn = tv_token_is (line, verb, "spawn");

      stmt.kind = spawn ? TV_STMT_SPAWN : TV_STMT_CALL;
      ok = take_name (c, &tv_want_def, &name) && tv_cursor_expect_end (c);
      if (ok)
        {
          stmt.target = name->index;
          if (!spawn)
            p->body_calls = TRUE;
          if (!spawn && p->current_body != G_MAXUINT)
            {
              TvCall call = { p->current_body, name->index,
                              { line->number, line->tokens[1].column } };
              g_array_append_val (p->calls, call);
            }
          if (spawn)
            {
              stmt.spawn_slot = p->n_spawn_sites++;
              tv_parser_add_use (p->thread_uses, line, verb, 1);
            }
        }
    }
  else if (tv_token_is (line, verb, "sleep") || tv_token_is (line, verb, "work")
           || tv_token_is (line, verb, "io"))
    {
      stmt.kind = tv_token_is (line, verb, "sleep") ? TV_STMT_SLEEP
                  : tv_token_is (line, verb, "work") ? TV_STMT_WORK : TV_STMT_IO;
      ok = tv_cursor_expect_duration (c, &stmt.duration) && tv_cursor_expect_end (c);
    }
  else if (tv_token_is (line, verb, "yield"))
    {
      stmt.kind = TV_STMT_YIELD;
      ok = tv_cursor_expect_end (c);
    }
  else if (tv_token_is (line, verb, "acquire"))
    {
      stmt.kind = TV_STMT_ACQUIRE;
      ok = take_name (c, &tv_want_lockable, &name)
           && parse_optional_timeout (c, &stmt.duration)
           && tv_cursor_expect_end (c);
      if (ok)
        {
          stmt.target = name->index;
          held_add (p, name);
        }
    }
  else if (tv_token_is (line, verb, "try_acquire") || tv_token_is (line, verb, "release"))
    {
      stmt.kind = tv_token_is (line, verb, "release") ? TV_STMT_RELEASE : TV_STMT_TRY_ACQUIRE;
      ok = take_name (c, &tv_want_lockable, &name) && tv_cursor_expect_end (c)
           && (stmt.kind != TV_STMT_RELEASE || check_release (c, &line->tokens[1], name));
      if (ok)
        {
          stmt.target = name->index;
          if (stmt.kind == TV_STMT_RELEASE)
            held_remove (p, name->index);
          else
            held_add (p, name);
        }
    }
  else if (tv_token_is (line, verb, "with"))
    {
      stmt.kind = TV_STMT_WITH;
      opens_block = TRUE;
      ok = take_name (c, &tv_want_lockable, &name) && (colon = tv_cursor_expect_colon (c)) != NULL;
      if (ok)
        {
          stmt.target = name->index;
          held_add (p, name);
          stmt.body = parse_sub_block (c, ctx, colon);
          held_remove (p, name->index);
        }
    }
  else if (tv_token_is (line, verb, "put"))
    {
      stmt.kind = TV_STMT_PUT;
      ok = take_name (c, &tv_want_queue, &name);
      if (ok)
        stmt.target = name->index;
      if (ok && tv_cursor_peek (c)->kind != TV_TOK_END)
        ok = (stmt.expr = tv_parser_parse_expr (c)) != NULL;
      ok = ok && tv_cursor_expect_end (c);
    }
  else if (tv_token_is (line, verb, "get"))
    {
      stmt.kind = TV_STMT_GET;
      ok = take_name (c, &tv_want_queue, &name);
      if (ok)
        stmt.target = name->index;
      if (ok && tv_cursor_peek (c)->kind == TV_TOK_ARROW)
        {
          tv_cursor_take (c);
          ok = take_name (c, &tv_want_variable, &name);
          if (ok)
            stmt.var = name->index;
        }
      ok = ok && tv_cursor_expect_end (c);
    }
  else if (tv_token_is (line, verb, "task_done"))
    {
      stmt.kind = TV_STMT_TASK_DONE;
      ok = take_name (c, &tv_want_queue, &name) && tv_cursor_expect_end (c);
      if (ok)
        stmt.target = name->index;
    }
  else if (tv_token_is (line, verb, "set") || tv_token_is (line, verb, "clear"))
    {
      stmt.kind = tv_token_is (line, verb, "set") ? TV_STMT_SET : TV_STMT_CLEAR;
      ok = take_name (c, &tv_want_event, &name) && tv_cursor_expect_end (c);
      if (ok)
        stmt.target = name->index;
    }
  else if (tv_token_is (line, verb, "wait"))
    {
      const TvToken *target = &line->tokens[1];

      stmt.kind = TV_STMT_WAIT;
      ok = take_name (c, &tv_want_waitable, &name)
           && parse_optional_timeout (c, &stmt.duration)
           && tv_cursor_expect_end (c)
           && check_condition_held (c, verb, target, name);
      if (ok)
        stmt.target = name->index;
    }
  else if (tv_token_is (line, verb, "notify"))
    {
      const TvToken *target = &line->tokens[1];

      stmt.kind = TV_STMT_NOTIFY;
      ok = take_name (c, &tv_want_condition, &name);
      if (ok && tv_cursor_peek_word (c, "all"))
        {
          tv_cursor_take (c);
          stmt.all = TRUE;
        }
      ok = ok && tv_cursor_expect_end (c) && check_condition_held (c, verb, target, name);
      if (ok)
        stmt.target = name->index;
    }
  else if (tv_token_is (line, verb, "print") || tv_token_is (line, verb, "rename"))
    {
      stmt.kind = tv_token_is (line, verb, "print") ? TV_STMT_PRINT : TV_STMT_RENAME;
      ok = parse_string_arg (c, &stmt);
    }
  else if (tv_token_is (line, verb, "stopwatch"))
    {
      const TvToken *target = tv_cursor_peek (c);

      stmt.kind = TV_STMT_STOPWATCH;
      if (target->kind != TV_TOK_NAME || tv_token_is_keyword (line, target))
        {
          g_autofree char *found = tv_parser_describe_token (line, target);
          ERROR_AT (p, line, target, "expected a stopwatch name after 'stopwatch', found %s%s",
                    target->kind == TV_TOK_NAME ? "the keyword " : "", found);
        }
      else
        {
          g_autofree char *text = tv_token_text (line, target);
          const TvName *entry = g_hash_table_lookup (p->names, text);

          /* The pre-scan declared it, or reported why it could not. */
          tv_cursor_take (c);
          if (entry != NULL && entry->kind == TV_NAME_STOPWATCH)
            {
              stmt.var = entry->index;
              ok = tv_cursor_expect_end (c);
            }
        }
    }
  else if (tv_token_is (line, verb, "repeat"))
    {
      stmt.kind = TV_STMT_REPEAT;
      opens_block = TRUE;
      ok = tv_cursor_expect_number (c, "the repeat count", 0, TV_SCENARIO_MAX_REPEAT,
                                    "repeat count too large", &stmt.count)
           && (colon = tv_cursor_expect_colon (c)) != NULL;
      if (ok)
        {
          p->repeat_depth++;
          stmt.body = parse_sub_block (c, ctx, colon);
          p->repeat_depth--;
        }
    }
  else if (tv_token_is (line, verb, "forever"))
    {
      stmt.kind = TV_STMT_FOREVER;
      opens_block = TRUE;
      ok = (colon = tv_cursor_expect_colon (c)) != NULL;
      if (ok)
        stmt.body = parse_sub_block (c, ctx, colon);
    }
  else if (tv_token_is (line, verb, "if"))
    {
      stmt.kind = TV_STMT_IF;
      opens_block = TRUE;
      ok = (stmt.cond = tv_parser_parse_cond (c)) != NULL && (colon = tv_cursor_expect_colon (c)) != NULL;
      if (ok)
        {
          stmt.body = parse_sub_block (c, ctx, colon);
          /* A broken `else:` is reported there; the `if` itself is fine. */
          parse_else (p, ctx, &stmt);
        }
    }
  else if (tv_token_is (line, verb, "else"))
    {
      ERROR_AT (p, line, verb, "'else' without an 'if' just above it");
      opens_block = TRUE;
    }
  else if (tv_token_is (line, verb, "title") || tv_token_is (line, verb, "about")
           || tv_token_is (line, verb, "gil") || tv_token_is (line, verb, "lock")
           || tv_token_is (line, verb, "rlock") || tv_token_is (line, verb, "semaphore")
           || tv_token_is (line, verb, "event") || tv_token_is (line, verb, "condition")
           || tv_token_is (line, verb, "barrier") || tv_token_is (line, verb, "queue")
           || tv_token_is (line, verb, "var") || tv_token_is (line, verb, "shared")
           || tv_token_is (line, verb, "def") || tv_token_is (line, verb, "thread")
           || tv_token_is (line, verb, "process") || tv_token_is (line, verb, "main"))
    {
      g_autofree char *word = tv_token_text (line, verb);
      ERROR_AT (p, line, verb, "'%s' is a declaration: it goes at the top level, not indented in a body",
                word);
      opens_block = tv_token_is (line, verb, "def") || tv_token_is (line, verb, "thread")
                    || tv_token_is (line, verb, "process") || tv_token_is (line, verb, "main");
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
    tv_parser_absorb_deeper (p, ctx, ok);

  /* The `else` of an `if` that failed belongs to it, not to a stray error. */
  if (!ok && tv_token_is (line, verb, "if"))
    {
      TvLine *next = tv_parser_current_line (p);

      if (next != NULL && next->indent > ctx->parent_indent && next->indent <= ctx->indent
          && tv_token_is (next, &next->tokens[0], "else"))
        {
          p->pos++;
          tv_parser_absorb_deeper (p, ctx, FALSE);
        }
    }
}

/* --- Blocks ---------------------------------------------------------------- */

TvBlock *
tv_parser_block_from (GArray *stmts)
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
TvBlock *
tv_parser_parse_block (TvParser      *p,
                       guint          parent_indent,
                       guint          depth,
                       const TvLine  *header,
                       const TvToken *colon,
                       TvCursor      *header_cur)
{
  GArray *stmts = g_array_new (FALSE, TRUE, sizeof (TvStmt));
  guint held_length = p->held->len;
  TvLine *first = tv_parser_current_line (p);
  TvLine *line;
  TvBlockCtx ctx;

  if (first == NULL || first->indent <= parent_indent)
    {
      if (header != NULL)
        {
          g_autofree char *before = tv_cursor_so_far (header_cur);
          tv_parser_error (p->diagnostics, header->number, colon->column,
                           "expected an indented block after '%s'", before);
        }
      return tv_parser_block_from (stmts);
    }

  if (depth > TV_SCENARIO_MAX_NESTING)
    {
      tv_parser_error (p->diagnostics, first->number, first->tokens[0].column,
                       "blocks nested too deeply: %u levels (the limit is %d)",
                       depth, TV_SCENARIO_MAX_NESTING);
      /* Skip without recursing, whatever the depth of what follows. */
      while ((line = tv_parser_current_line (p)) != NULL && line->indent > parent_indent)
        p->pos++;
      return tv_parser_block_from (stmts);
    }

  ctx.depth = depth;
  ctx.indent = first->indent;
  ctx.parent_indent = parent_indent;
  while ((line = tv_parser_current_line (p)) != NULL && line->indent > parent_indent)
    {
      if (line->indent != ctx.indent && !line->has_tab)
        tv_parser_error (p->diagnostics, line->number, line->tokens[0].column,
                         "inconsistent indentation: expected %u spaces, found %u",
                         ctx.indent, line->indent);
      parse_statement (p, &ctx, stmts);
    }

  g_array_set_size (p->held, held_length);
  return tv_parser_block_from (stmts);
}

