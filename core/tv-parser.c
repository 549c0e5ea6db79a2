/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-parser.c: turns the lexer's lines into a TvScenario: the header,
 * the declarations, the bodies, the checks over the whole file (limits,
 * recursion) and tv_scenario_parse() itself.  Statements are parsed in
 * tv-parser-stmt.c, expressions in tv-parser-expr.c, strings in
 * tv-template.c.
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

#define MAX_SEMAPHORE_VALUE  65536
#define MAX_BARRIER_PARTIES  65536
#define DEFAULT_GIL_SWITCH   (5 * G_GINT64_CONSTANT (1000000))

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
    if (tv_token_is (line, token, decls[k].word))
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
  g_autofree char *text = tv_token_text (line, token);
  TvName *previous = g_hash_table_lookup (p->names, text);
  TvName *name;
  TvLocation location = { line->number, token->column };

  if (tv_token_is_keyword (line, token))
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

      if (line->indent == 0 && tv_token_is (line, &line->tokens[0], "main"))
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
      if (tv_token_is (line, &line->tokens[0], "stopwatch"))
        {
          if (!tv_token_is_keyword (line, name))
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
  text = tv_token_text (line, token);
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
parse_header_string (TvCursor   *c,
                     guint      *seen_line,
                     char      **out)
{
  const TvToken *token = tv_cursor_peek (c);
  g_autofree char *word = tv_token_text (c->line, &c->line->tokens[0]);

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
  tv_cursor_take (c);
  if (!tv_cursor_expect_end (c))
    return FALSE;
  *out = tv_template_decode_plain (c->p, c->line, token);
  if (*out == NULL)
    return FALSE;
  *seen_line = c->line->number;
  return TRUE;
}

static gboolean
parse_gil (TvCursor *c,
           Header   *h)
{
  const TvToken *gil = &c->line->tokens[0];

  if (h->gil_line != 0)
    {
      ERROR_AT (c->p, c->line, gil, "'gil' is given twice (first on line %u)", h->gil_line);
      return FALSE;
    }
  if (tv_cursor_peek_word (c, "off"))
    {
      tv_cursor_take (c);
      if (!tv_cursor_expect_end (c))
        return FALSE;
      h->gil_line = c->line->number;
      return TRUE;
    }
  if (!tv_cursor_peek_word (c, "on"))
    {
      g_autofree char *found = tv_parser_describe_token (c->line, tv_cursor_peek (c));
      ERROR_AT (c->p, c->line, tv_cursor_peek (c), "expected 'on' or 'off' after 'gil', found %s", found);
      return FALSE;
    }
  tv_cursor_take (c);
  h->gil_switch = DEFAULT_GIL_SWITCH;
  if (tv_cursor_peek_word (c, "switch"))
    {
      const TvToken *value;

      tv_cursor_take (c);
      value = tv_cursor_peek (c);
      if (!tv_cursor_expect_duration (c, &h->gil_switch))
        return FALSE;
      if (h->gil_switch <= 0)
        {
          ERROR_AT (c->p, c->line, value, "the switch interval must be longer than 0");
          return FALSE;
        }
    }
  if (!tv_cursor_expect_end (c))
    return FALSE;
  h->gil = TRUE;
  h->gil_line = c->line->number;
  h->gil_location = (TvLocation) { c->line->number, gil->column };
  return TRUE;
}

static void
parse_object_params (TvCursor     *c,
                     TvNameKind    kind,
                     TvObjectDecl *decl)
{
  gint64 value = 0;

  switch ((int) kind)
    {
    case TV_NAME_SEMAPHORE:
      value = 1;
      if (tv_cursor_peek (c)->kind != TV_TOK_END
          && !tv_cursor_expect_number (c, "the semaphore value", 0, MAX_SEMAPHORE_VALUE,
                                       "semaphore value too large", &value))
        return;
      break;
    case TV_NAME_BARRIER:
      if (!tv_cursor_expect_number (c, "the number of parties", 1, MAX_BARRIER_PARTIES,
                                    "too many barrier parties", &value))
        return;
      break;
    case TV_NAME_QUEUE:
      if (tv_cursor_peek_word (c, "capacity"))
        {
          tv_cursor_take (c);
          if (!tv_cursor_expect_number (c, "the capacity", 1, TV_SCENARIO_MAX_QUEUE_ITEMS,
                                        "queue capacity too large", &value))
            return;
        }
      break;
    default:
      break;
    }
  if (!tv_cursor_expect_end (c))
    return;
  if (decl != NULL)
    decl->param = value;
}

static void
parse_var_initial (TvCursor  *c,
                   TvVarDecl *decl)
{
  gint64 value = 0;

  if (tv_cursor_peek (c)->kind == TV_TOK_ASSIGN)
    {
      gboolean negative = FALSE;
      const TvToken *token;

      tv_cursor_take (c);
      if (tv_cursor_peek (c)->kind == TV_TOK_MINUS)
        {
          tv_cursor_take (c);
          negative = TRUE;
        }
      token = tv_cursor_peek (c);
      if (token->kind != TV_TOK_INT)
        {
          g_autofree char *found = tv_parser_describe_token (c->line, token);
          ERROR_AT (c->p, c->line, token, "expected a whole number after '=', found %s", found);
          return;
        }
      tv_cursor_take (c);
      value = negative ? -token->value : token->value;
    }
  if (!tv_cursor_expect_end (c))
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
  TvCursor cur = { p, line, 0, 1 };
  TvCursor *c = &cur;
  const TvName *name = NULL;
  const TvToken *name_token = tv_cursor_peek (c);
  const TvToken *colon;
  gint64 count = 1;
  gboolean multiple = FALSE;
  gboolean ok = TRUE;
  TvBlock *block;

  if (kind != 0)
    {
      if (name_token->kind != TV_TOK_NAME)
        {
          g_autofree char *before = tv_cursor_so_far (c);
          g_autofree char *found = tv_parser_describe_token (line, name_token);
          ERROR_AT (p, line, name_token, "expected a name after '%s', found %s", before, found);
          ok = FALSE;
        }
      else
        {
          name = declared_here (p, line, name_token);
          tv_cursor_take (c);
        }
      if (ok && kind != TV_NAME_DEF && tv_cursor_peek (c)->kind == TV_TOK_STAR)
        {
          tv_cursor_take (c);
          multiple = TRUE;
          ok = tv_cursor_expect_number (c, "the number of instances", 1, TV_SCENARIO_MAX_INSTANCES,
                                        "too many instances", &count);
        }
    }
  else if (line->number != p->main_line)
    ok = FALSE;   /* a second main: the pre-scan reported it */

  colon = ok ? tv_cursor_expect_colon (c) : NULL;
  p->in_def = kind == TV_NAME_DEF;
  p->body_generation++;
  p->body_calls = FALSE;
  p->repeat_depth = 0;
  p->current_body = kind == 0 ? (ok ? p->main_index : G_MAXUINT) : name ? name->index : G_MAXUINT;
  g_array_set_size (p->held, 0);
  if (colon == NULL)
    {
      /* Report what the block holds, but it belongs to nothing. */
      tv_block_free (tv_parser_parse_block (p, 0, 1, NULL, NULL, NULL));
      return;
    }

  block = tv_parser_parse_block (p, 0, 1, line, colon, c);
  if (kind == 0)
    g_array_index (p->bodies, TvBodyDecl, p->main_index).block = block;
  else if (name != NULL)
    {
      TvBodyDecl *decl = &g_array_index (p->bodies, TvBodyDecl, name->index);

      decl->count = count;
      decl->multiple = multiple;
      decl->block = block;
      if (kind == TV_NAME_THREAD)
        tv_parser_add_use (p->thread_uses, line, name_token, count);
      else if (kind == TV_NAME_PROCESS)
        tv_parser_add_use (p->process_uses, line, name_token, count);
    }
  else
    tv_block_free (block);
}

static gboolean
is_statement_verb (const TvLine  *line,
                   const TvToken *token)
{
  static const char * const verbs[] = {
    "start", "join", "spawn", "call", "sleep", "work", "io", "yield", "acquire",
    "try_acquire", "release", "with", "put", "get", "task_done", "set", "clear",
    "wait", "notify", "print", "stopwatch", "rename", "repeat", "forever", "if", "else",
  };

  for (gsize k = 0; k < G_N_ELEMENTS (verbs); k++)
    if (tv_token_is (line, token, verbs[k]))
      return TRUE;
  return FALSE;
}

static void
parse_toplevel (TvParser *p,
                Header   *h)
{
  TvLine *line = &p->lines[p->pos];
  TvCursor cur = { p, line, 0, 1 };
  TvCursor *c = &cur;
  const TvToken *word = &line->tokens[0];
  TvNameKind kind;
  TvBlockCtx top = { 0, 0, 0 };
  guint n_errors = p->diagnostics->len;

  if (line->bad)
    {
      p->pos++;
      tv_parser_absorb_deeper (p, &top, FALSE);
      return;
    }

  kind = decl_kind (line, word);
  if ((kind & TV_NAME_BODIES) != 0 || tv_token_is (line, word, "main"))
    {
      p->pos++;
      parse_body_decl (p, line, kind, h);
      return;
    }

  p->pos++;
  if (kind & (TV_NAME_OBJECTS | TV_NAME_VAR | TV_NAME_SHARED))
    {
      const TvToken *name_token = tv_cursor_peek (c);
      const TvName *name;

      if (name_token->kind != TV_TOK_NAME)
        {
          g_autofree char *before = tv_cursor_so_far (c);
          g_autofree char *found = tv_parser_describe_token (line, name_token);
          ERROR_AT (p, line, name_token, "expected a name after '%s', found %s", before, found);
        }
      else
        {
          name = declared_here (p, line, name_token);
          tv_cursor_take (c);
          if (kind & TV_NAME_OBJECTS)
            parse_object_params (c, kind, name ? &g_array_index (p->objects, TvObjectDecl, name->index) : NULL);
          else
            parse_var_initial (c, name ? &g_array_index (p->vars, TvVarDecl, name->index) : NULL);
        }
    }
  else if (tv_token_is (line, word, "title"))
    parse_header_string (c, &h->title_line, &h->title);
  else if (tv_token_is (line, word, "about"))
    parse_header_string (c, &h->about_line, &h->about);
  else if (tv_token_is (line, word, "gil"))
    parse_gil (c, h);
  else if (is_statement_verb (line, word))
    {
      g_autofree char *text = tv_token_text (line, word);
      ERROR_AT (p, line, word, "'%s' is a statement: put it in a body such as 'main:' or 'thread T:'",
                text);
    }
  else if (word->kind == TV_TOK_NAME && !tv_token_is_keyword (line, word)
           && line->tokens[1].kind == TV_TOK_COLON)
    {
      /* `worker:`: a body without its kind. */
      g_autofree char *text = tv_token_text (line, word);
      ERROR_AT (p, line, word, "'%s:' is not a body: write 'thread %s:', 'process %s:' or 'def %s:'",
                text, text, text, text);
    }
  else if (word->kind == TV_TOK_NAME && !tv_token_is_keyword (line, word)
           && line->tokens[1].kind != TV_TOK_END && line->tokens[1].kind != TV_TOK_NAME)
    {
      /* `x = 1` at the top level. */
      ERROR_AT (p, line, word, "a statement at the top level: put it in a body such as 'main:' or 'thread T:'");
    }
  else
    {
      g_autofree char *found = tv_parser_describe_token (line, word);
      ERROR_AT (p, line, word, "expected a declaration such as 'lock L', 'var x = 0' or 'thread T:', found %s%s",
                tv_token_is_keyword (line, word) ? "the keyword " : "", found);
    }

  /* Lines indented under a line that failed were probably its block. */
  tv_parser_absorb_deeper (p, &top, p->diagnostics->len == n_errors);
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
  return tv_parser_block_from (stmts);
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

/*
 * Where each of the first 65536 lines starts (G_MAXSIZE past the end), so
 * that quoting thousands of errors does not rescan the text each time.
 */
static gsize *
line_starts (const char *text,
             gsize       length)
{
  gsize *starts = g_new (gsize, TV_SCENARIO_MAX_LINES + 1);
  guint line = 0;
  gsize k = 0;

  if (length > TV_SCENARIO_MAX_FILE_BYTES)
    {
      g_free (starts);
      return NULL;
    }
  while (line <= TV_SCENARIO_MAX_LINES)
    {
      starts[line++] = k <= length ? k : G_MAXSIZE;
      if (k <= length)
        {
          const char *nl = memchr (text + k, '\n', length - k);
          k = nl ? (gsize) (nl - text) + 1 : length + 1;
        }
    }
  return starts;
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
  g_clear_pointer (&p->name_lists, g_hash_table_unref);
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
  g_clear_pointer (&p->acquired_in, g_free);
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
  p->name_lists = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  p->held = g_array_new (FALSE, FALSE, sizeof (guint));
  p->thread_uses = g_array_new (FALSE, FALSE, sizeof (TvUse));
  p->process_uses = g_array_new (FALSE, FALSE, sizeof (TvUse));
  p->calls = g_array_new (FALSE, FALSE, sizeof (TvCall));
  p->current_body = G_MAXUINT;

  within_limits = tv_lex (text, length, diags, &p->lines, &p->n_lines);
  if (within_limits)
    {
      prescan (p);
      p->acquired_in = g_new0 (guint, p->objects->len + 1);
      while (p->pos < p->n_lines)
        {
          TvLine *line = &p->lines[p->pos];
          if (line->indent > 0)
            {
              if (!line->has_tab)
                tv_parser_error (p->diagnostics, line->number, line->tokens[0].column,
                                 "unexpected indentation: a top-level line starts in column 1");
              tv_block_free (tv_parser_parse_block (p, 0, 1, NULL, NULL, NULL));
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

      g_autofree gsize *starts = line_starts (text, length);

      g_ptr_array_sort (diags, compare_diagnostics);
      for (guint k = 0; k < diags->len; k++)
        {
          TvDiagnostic *d = diags->pdata[k];
          g_autofree char *one = NULL;

          if (starts != NULL && d->location.line >= 1 && d->location.line <= TV_SCENARIO_MAX_LINES + 1
              && starts[d->location.line - 1] != G_MAXSIZE)
            {
              gsize start = starts[d->location.line - 1];
              const char *nl = memchr (text + start, '\n', length - start);
              gsize line_length = (nl ? (gsize) (nl - text) : (gsize) length) - start;

              if (line_length > 0 && text[start + line_length - 1] == '\r')
                line_length--;
              one = tv_diagnostic_format_line (d, filename, text + start, line_length);
            }
          else
            one = tv_diagnostic_format_line (d, filename, NULL, 0);
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
