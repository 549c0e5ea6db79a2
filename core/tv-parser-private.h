/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-parser-private.h: what the lexer, the parser and the string template
 * parser share while a `.tvs` text is being loaded.  Nothing here outlives
 * tv_scenario_parse().
 */
#pragma once

#include <glib.h>

#include "tv-lexer.h"
#include "tv-scenario.h"

G_BEGIN_DECLS

/* What a declared name stands for (one namespace for all of them). */
typedef enum
{
  TV_NAME_LOCK      = 1 << 0,
  TV_NAME_RLOCK     = 1 << 1,
  TV_NAME_SEMAPHORE = 1 << 2,
  TV_NAME_EVENT     = 1 << 3,
  TV_NAME_CONDITION = 1 << 4,
  TV_NAME_BARRIER   = 1 << 5,
  TV_NAME_QUEUE     = 1 << 6,
  TV_NAME_VAR       = 1 << 7,
  TV_NAME_SHARED    = 1 << 8,
  TV_NAME_STOPWATCH = 1 << 9,
  TV_NAME_THREAD    = 1 << 10,
  TV_NAME_PROCESS   = 1 << 11,
  TV_NAME_DEF       = 1 << 12,
} TvNameKind;

#define TV_NAME_OBJECTS (TV_NAME_LOCK | TV_NAME_RLOCK | TV_NAME_SEMAPHORE | \
                         TV_NAME_EVENT | TV_NAME_CONDITION | TV_NAME_BARRIER | \
                         TV_NAME_QUEUE)
#define TV_NAME_VARS    (TV_NAME_VAR | TV_NAME_SHARED | TV_NAME_STOPWATCH)
#define TV_NAME_BODIES  (TV_NAME_THREAD | TV_NAME_PROCESS | TV_NAME_DEF)

typedef struct
{
  TvNameKind kind;
  guint      index;      /* into objects, vars or bodies */
  TvLocation location;   /* where it was declared */
} TvName;

/* What a statement expects a name to be, for lookups and their messages. */
typedef struct
{
  guint       mask;      /* TvNameKind bits */
  const char *noun;      /* "lock" */
  const char *nouns;     /* "locks" */
  const char *a_noun;    /* "a lock" */
} TvWant;

extern const TvWant tv_want_lockable;
extern const TvWant tv_want_queue;
extern const TvWant tv_want_event;
extern const TvWant tv_want_condition;
extern const TvWant tv_want_waitable;
extern const TvWant tv_want_startable;
extern const TvWant tv_want_joinable;
extern const TvWant tv_want_def;
extern const TvWant tv_want_variable;

typedef struct
{
  TvLocation location;
  guint      amount;
} TvUse;

typedef struct
{
  guint      caller;     /* body indices */
  guint      callee;
  TvLocation location;   /* of the callee's name in `call NAME` */
} TvCall;

typedef struct
{
  const char *filename;
  const char *source;
  gsize       length;
  GPtrArray  *diagnostics;     /* of TvDiagnostic */
  guint       n_diagnostics_seq;

  TvLine     *lines;           /* non-blank lines only */
  guint       n_lines;
  guint       pos;             /* the next line to parse */

  GArray     *objects;         /* TvObjectDecl */
  GArray     *vars;            /* TvVarDecl */
  GArray     *bodies;          /* TvBodyDecl */
  GHashTable *names;           /* char* (borrowed from the decls) -> TvName* */
  GHashTable *name_lists;      /* mask -> "L, M" (tv_parser_list_names) */

  GArray     *held;            /* guint: conditions held lexically (with / acquire) */
  gboolean    in_def;          /* parsing a def's body: its caller may hold them */
  guint       repeat_depth;    /* repeats around the statement being parsed */
  guint       current_body;    /* the body being parsed, or G_MAXUINT */
  GArray     *calls;           /* TvCall, in file order */
  guint      *acquired_in;     /* per object: the body generation that last acquired it */
  guint       body_generation; /* one per body parsed */
  gboolean    body_calls;      /* the body has called a def so far */
  guint       expr_depth;
  guint       n_spawn_sites;
  guint       main_line;       /* of `main:`, 0 when there is none */
  guint       main_index;      /* its body index */
  GArray     *thread_uses;     /* TvUse, in file order */
  GArray     *process_uses;    /* TvUse, in file order */
} TvParser;

/* Adds a diagnostic at `line`:`column` (both 1-based; 0 for none). */
void        tv_parser_error (GPtrArray  *diagnostics,
                             guint       line,
                             guint       column,
                             const char *format,
                             ...) G_GNUC_PRINTF (4, 5);

/* 'text' of a token for messages, or "end of line" (a new string). */
char       *tv_parser_describe_token (const TvLine  *line,
                                      const TvToken *token);

/* Looks `token` up as `want` says; reports what is wrong and returns FALSE. */
gboolean    tv_parser_resolve (TvParser     *self,
                               const TvLine *line,
                               const TvToken *token,
                               const TvWant *want,
                               const char   *after,
                               const TvName **name);

/* Comma-separated names of the given kinds, in declaration order. */
char       *tv_parser_list_names (TvParser *self, guint mask);

const char *tv_parser_a_kind (TvNameKind kind);

/* `i` at `column`: FALSE (reported) when no repeat can be around it. */
gboolean    tv_parser_check_counter (TvParser     *self,
                                     const TvLine *line,
                                     guint         column);

#define ERROR_AT(p, line, token, ...) \
  tv_parser_error ((p)->diagnostics, (line)->number, (token)->column, __VA_ARGS__)

/* A cursor over one line's tokens. */
typedef struct
{
  TvParser     *p;
  const TvLine *line;
  guint         first;  /* the statement's first token */
  guint         i;
} TvCursor;

/* Where the statement being parsed sits. */
typedef struct
{
  guint depth;          /* of the block holding the statement (a body is 1) */
  guint indent;         /* of that block */
  guint parent_indent;  /* of the block around it */
} TvBlockCtx;

static inline const TvToken *
tv_cursor_peek (TvCursor *c)
{
  return &c->line->tokens[c->i];
}

/* The next token (TV_TOK_END stays put). */
static inline const TvToken *
tv_cursor_take (TvCursor *c)
{
  const TvToken *token = tv_cursor_peek (c);

  if (token->kind != TV_TOK_END)
    c->i++;
  return token;
}

/* tv-parser-cursor.c */
gboolean       tv_token_is             (const TvLine  *line,
                                        const TvToken *token,
                                        const char    *word);
gboolean       tv_token_is_keyword     (const TvLine  *line,
                                        const TvToken *token);
char          *tv_token_text           (const TvLine  *line,
                                        const TvToken *token);
gboolean       tv_cursor_peek_word     (TvCursor      *c,
                                        const char    *word);
/* The statement's text up to the last token taken ("repeat 5"). */
char          *tv_cursor_so_far        (TvCursor      *c);
gboolean       tv_cursor_expect_end    (TvCursor      *c);
/* `:` then the end of the line; returns the colon or NULL (reported). */
const TvToken *tv_cursor_expect_colon  (TvCursor      *c);
gboolean       tv_cursor_expect_duration (TvCursor    *c,
                                          gint64      *ns);
gboolean       tv_cursor_expect_number (TvCursor      *c,
                                        const char    *what,
                                        gint64         min,
                                        gint64         max,
                                        const char    *too_many,
                                        gint64        *value);
TvLine        *tv_parser_current_line  (TvParser      *self);

/* tv-parser-expr.c */
TvExpr        *tv_expr_new             (TvExprKind     kind,
                                        const TvLine  *line,
                                        const TvToken *token);
TvExpr        *tv_parser_parse_expr    (TvCursor      *c);
TvCond        *tv_parser_parse_cond    (TvCursor      *c);

/* tv-parser-stmt.c */
TvBlock       *tv_parser_block_from    (GArray        *stmts);
TvBlock       *tv_parser_parse_block   (TvParser      *self,
                                        guint          parent_indent,
                                        guint          depth,
                                        const TvLine  *header,
                                        const TvToken *colon,
                                        TvCursor      *header_cursor);
void           tv_parser_absorb_deeper (TvParser         *self,
                                        const TvBlockCtx *ctx,
                                        gboolean          report);
void           tv_parser_add_use       (GArray        *uses,
                                        const TvLine  *line,
                                        const TvToken *token,
                                        guint          amount);

/* tv-template.c: the string in `token` (a TV_TOK_STRING). */
TvTemplate *tv_template_parse (TvParser      *self,
                               const TvLine  *line,
                               const TvToken *token);
/* Decodes escapes only: braces are literal (title, about). */
char       *tv_template_decode_plain (TvParser      *self,
                                      const TvLine  *line,
                                      const TvToken *token);
void        tv_template_free (TvTemplate *template);

/* tv-scenario.c */
void        tv_block_free (TvBlock *block);
void        tv_expr_free (TvExpr *expr);
void        tv_cond_free (TvCond *cond);
void        tv_stmt_clear (TvStmt *stmt);
TvScenario *tv_scenario_alloc (void);
/* Formats with the quoted line given (NULL: no quote). */
char       *tv_diagnostic_format_line (const TvDiagnostic *diagnostic,
                                       const char         *filename,
                                       const char         *line,
                                       gsize               line_length);

G_END_DECLS
