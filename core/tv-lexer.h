/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-lexer.h: splits a `.tvs` text into lines and tokens.
 *
 * The language is line-oriented (a statement is one line, indentation
 * makes blocks), so the lexer hands the parser an array of non-blank lines,
 * each with its indentation and its tokens ending in TV_TOK_END.  Lexical
 * errors are reported as diagnostics; the line is then marked `bad` and its
 * tokens stop before the error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TV_TOK_END = 0,       /* end of the line (column just after the last token) */
  TV_TOK_NAME,          /* identifier or keyword */
  TV_TOK_INT,           /* value */
  TV_TOK_DECIMAL,       /* 1.5: only valid with a unit */
  TV_TOK_DURATION,      /* value in ns */
  TV_TOK_STRING,        /* "...": start/end include the quotes */
  TV_TOK_COLON,
  TV_TOK_STAR,
  TV_TOK_ASSIGN,        /* = */
  TV_TOK_PLUS_ASSIGN,   /* += */
  TV_TOK_MINUS_ASSIGN,  /* -= */
  TV_TOK_ARROW,         /* -> */
  TV_TOK_PLUS,
  TV_TOK_MINUS,
  TV_TOK_SLASH,
  TV_TOK_PERCENT,
  TV_TOK_LPAREN,
  TV_TOK_RPAREN,
  TV_TOK_EQ,
  TV_TOK_NE,
  TV_TOK_LT,
  TV_TOK_LE,
  TV_TOK_GT,
  TV_TOK_GE,
} TvTokenKind;

typedef struct
{
  TvTokenKind kind;
  guint       start;        /* byte offsets in the line */
  guint       end;
  guint       column;       /* 1-based, in characters */
  guint       end_column;   /* the column just after the token */
  gint64      value;        /* TV_TOK_INT, TV_TOK_DURATION */
} TvToken;

typedef struct
{
  const char *text;         /* into the source; not NUL-terminated */
  guint       length;       /* bytes, without the end of line */
  guint       number;       /* 1-based */
  guint       indent;       /* columns of leading spaces (a tab counts to the next multiple of 8) */
  gboolean    has_tab;      /* a tab in the indentation (already reported) */
  gboolean    bad;          /* a lexical error (already reported) */
  TvToken    *tokens;       /* n_tokens, the last one TV_TOK_END */
  guint       n_tokens;
} TvLine;

/*
 * Splits `source` into its non-blank lines.  Errors go to `diagnostics`.
 * Returns FALSE (and no lines) when the text is beyond the file limits
 * (then the only diagnostic says which).
 */
gboolean    tv_lex (const char *source,
                    gsize       length,
                    GPtrArray  *diagnostics,
                    TvLine    **lines,
                    guint      *n_lines);

void        tv_lines_free (TvLine *lines,
                           guint   n_lines);

gboolean    tv_lexer_is_keyword (const char *text,
                                 gsize       length);

/* The number of characters in the first `bytes` bytes of valid UTF-8 `text`. */
guint       tv_lexer_columns (const char *text,
                              gsize       bytes);

/* Parses "250ms", "1.5s": FALSE with a message when it is not a duration. */
gboolean    tv_lexer_parse_duration (const char *text,
                                     gsize       length,
                                     gint64     *ns,
                                     char      **message);

G_END_DECLS
