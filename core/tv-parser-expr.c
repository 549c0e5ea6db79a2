/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-parser-expr.c: integer expressions (usual precedence, unary minus,
 * parentheses) and the conditions of `if`.
 */
#define G_LOG_DOMAIN "tv-parser"

#include "config.h"

#include <string.h>

#include "tv-lexer.h"
#include "tv-parser-private.h"
#include "tv-scenario.h"

#define MAX_EXPR_DEPTH       64

/* --- Expressions and conditions ----------------------------------------- */

TvExpr *
tv_expr_new (TvExprKind     kind,
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
parse_unary (TvCursor *c)
{
  const TvToken *token = tv_cursor_peek (c);
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
      expr = tv_expr_new (TV_EXPR_INT, c->line, tv_cursor_take (c));
      expr->value = token->value;
      break;

    case TV_TOK_MINUS:
      {
        TvExpr *operand;

        tv_cursor_take (c);
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
            expr = tv_expr_new (TV_EXPR_NEG, c->line, token);
            expr->lhs = operand;
          }
      }
      break;

    case TV_TOK_LPAREN:
      tv_cursor_take (c);
      expr = tv_parser_parse_expr (c);
      if (expr != NULL && tv_cursor_peek (c)->kind != TV_TOK_RPAREN)
        {
          g_autofree char *found = tv_parser_describe_token (c->line, tv_cursor_peek (c));
          ERROR_AT (c->p, c->line, tv_cursor_peek (c), "expected ')' to close the '(' at column %u, found %s",
                    token->column, found);
          g_clear_pointer (&expr, tv_expr_free);
        }
      else if (expr != NULL)
        tv_cursor_take (c);
      break;

    case TV_TOK_NAME:
      if (tv_token_is (c->line, token, "item"))
        expr = tv_expr_new (TV_EXPR_ITEM, c->line, tv_cursor_take (c));
      else if (tv_token_is (c->line, token, "i"))
        {
          if (tv_parser_check_counter (c->p, c->line, token->column))
            expr = tv_expr_new (TV_EXPR_COUNTER, c->line, tv_cursor_take (c));
        }
      else if (tv_token_is_keyword (c->line, token))
        {
          g_autofree char *found = tv_parser_describe_token (c->line, token);
          ERROR_AT (c->p, c->line, token, "expected a number or a variable, found the keyword %s", found);
        }
      else
        {
          const TvName *name;
          if (tv_parser_resolve (c->p, c->line, token, &tv_want_variable, "=", &name))
            {
              expr = tv_expr_new (TV_EXPR_VAR, c->line, tv_cursor_take (c));
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
parse_binary (TvCursor *c,
              gboolean product)
{
  TvExpr *lhs = product ? parse_unary (c) : parse_binary (c, TRUE);

  while (lhs != NULL)
    {
      const TvToken *op = tv_cursor_peek (c);
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

      tv_cursor_take (c);
      rhs = product ? parse_unary (c) : parse_binary (c, TRUE);
      if (rhs == NULL)
        {
          g_clear_pointer (&lhs, tv_expr_free);
          break;
        }
      node = tv_expr_new (kind, c->line, op);
      node->lhs = lhs;
      node->rhs = rhs;
      lhs = node;
    }
  return lhs;
}

TvExpr *
tv_parser_parse_expr (TvCursor *c)
{
  return parse_binary (c, FALSE);
}

TvCond *
tv_parser_parse_cond (TvCursor *c)
{
  TvCond *cond = g_new0 (TvCond, 1);
  const TvToken *op;

  if (tv_cursor_peek_word (c, "acquired"))
    {
      tv_cursor_take (c);
      cond->kind = TV_COND_ACQUIRED;
      return cond;
    }
  if (tv_cursor_peek_word (c, "not"))
    {
      tv_cursor_take (c);
      if (!tv_cursor_peek_word (c, "acquired"))
        {
          g_autofree char *found = tv_parser_describe_token (c->line, tv_cursor_peek (c));
          ERROR_AT (c->p, c->line, tv_cursor_peek (c), "expected 'acquired' after 'not', found %s", found);
          g_free (cond);
          return NULL;
        }
      tv_cursor_take (c);
      cond->kind = TV_COND_NOT_ACQUIRED;
      return cond;
    }
  if (tv_cursor_peek_word (c, "alive"))
    {
      const TvName *name;

      tv_cursor_take (c);
      if (!tv_parser_resolve (c->p, c->line, tv_cursor_peek (c), &tv_want_startable, "alive", &name))
        {
          g_free (cond);
          return NULL;
        }
      tv_cursor_take (c);
      cond->kind = TV_COND_ALIVE;
      cond->body = name->index;
      return cond;
    }

  cond->lhs = tv_parser_parse_expr (c);
  if (cond->lhs == NULL)
    {
      tv_cond_free (cond);
      return NULL;
    }
  op = tv_cursor_peek (c);
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
  tv_cursor_take (c);
  cond->rhs = tv_parser_parse_expr (c);
  if (cond->rhs == NULL)
    {
      tv_cond_free (cond);
      return NULL;
    }
  return cond;
}

