/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-expr.c: variables, integer expressions, conditions and string
 * templates.
 *
 * A `var` lives in process-private memory and a `shared` in the shared
 * block; both are C11 atomics accessed with relaxed order, because a race
 * on them is what a scenario is written to show, not an engine bug.
 * Arithmetic wraps (no undefined behaviour on overflow); `/` and `%` are
 * Python's floor division and modulo.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "tv-run-private.h"

static _Atomic gint64 *
var_cell (TvCtx *ctx, guint index)
{
  if (ctx->run->scenario->vars[index].kind == TV_VAR_SHARED)
    return &TV_SH_VARS (ctx->sh)[index];
  return &ctx->run->vars[index];
}

gint64
tv_var_load (TvCtx *ctx, guint index)
{
  return atomic_load_explicit (var_cell (ctx, index), memory_order_relaxed);
}

void
tv_var_store (TvCtx *ctx, guint index, gint64 value)
{
  atomic_store_explicit (var_cell (ctx, index), value, memory_order_relaxed);
}

gint64
tv_var_read (TvCtx *ctx, guint index, guint line)
{
  gint64 value = tv_var_load (ctx, index);

  tv_emit (ctx, TV_EV_VAR_READ, line, ctx->run->var_base + index, 0, value);
  return value;
}

void
tv_var_write (TvCtx *ctx, guint index, gint64 value, guint line)
{
  tv_var_store (ctx, index, value);
  tv_emit (ctx, TV_EV_VAR_WRITE, line, ctx->run->var_base + index, 0, value);
}

static gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q;

  if (b == -1)
    return (gint64) (0 - (guint64) a);   /* G_MININT64 / -1 wraps */
  q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

static gint64
floor_mod (gint64 a, gint64 b)
{
  gint64 r;

  if (b == -1)
    return 0;
  r = a % b;
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

TvFlow
tv_expr_eval (TvCtx *ctx, const TvExpr *expr, guint line, gint64 *value)
{
  gint64 a = 0, b = 0;

  switch (expr->kind)
    {
    case TV_EXPR_INT:
      *value = expr->value;
      return TV_FLOW_OK;
    case TV_EXPR_VAR:
      *value = tv_var_read (ctx, expr->index, line);
      return TV_FLOW_OK;
    case TV_EXPR_ITEM:
      *value = ctx->item;
      return TV_FLOW_OK;
    case TV_EXPR_COUNTER:
      *value = ctx->n_counters ? ctx->counters[ctx->n_counters - 1] : 0;
      return TV_FLOW_OK;
    default:
      break;
    }

  if (tv_expr_eval (ctx, expr->lhs, line, &a) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  if (expr->kind == TV_EXPR_NEG)
    {
      *value = (gint64) (0 - (guint64) a);
      return TV_FLOW_OK;
    }
  if (tv_expr_eval (ctx, expr->rhs, line, &b) != TV_FLOW_OK)
    return TV_FLOW_STOP;

  switch (expr->kind)
    {
    case TV_EXPR_ADD:
      *value = (gint64) ((guint64) a + (guint64) b);
      break;
    case TV_EXPR_SUB:
      *value = (gint64) ((guint64) a - (guint64) b);
      break;
    case TV_EXPR_MUL:
      *value = (gint64) ((guint64) a * (guint64) b);
      break;
    case TV_EXPR_DIV:
    case TV_EXPR_MOD:
      if (b == 0)
        return tv_run_fail (ctx, TV_RUN_ERROR_DIVISION, expr->location,
                            "%s by zero",
                            expr->kind == TV_EXPR_DIV ? "division" : "modulo");
      *value = expr->kind == TV_EXPR_DIV ? floor_div (a, b) : floor_mod (a, b);
      break;
    default:
      g_assert_not_reached ();
    }
  return TV_FLOW_OK;
}

gboolean
tv_body_alive_locked (TvRun *run, guint body)
{
  const TvBodyDecl *decl = &run->scenario->bodies[body];
  guint first = run->body_first_slot[body];

  if (first == G_MAXUINT)
    return FALSE;
  for (guint k = 0; k < decl->count; k++)
    if (TV_SH_SLOTS (run->sh)[first + k].life == TV_SLOT_ALIVE)
      return TRUE;
  return FALSE;
}

TvFlow
tv_cond_eval (TvCtx *ctx, const TvCond *cond, guint line, gboolean *value)
{
  gint64 a = 0, b = 0;

  switch (cond->kind)
    {
    case TV_COND_ACQUIRED:
      *value = ctx->acquired;
      return TV_FLOW_OK;
    case TV_COND_NOT_ACQUIRED:
      *value = !ctx->acquired;
      return TV_FLOW_OK;
    case TV_COND_ALIVE:
      tv_shared_lock (ctx->sh);
      *value = tv_body_alive_locked (ctx->run, cond->body);
      tv_shared_unlock (ctx->sh);
      return TV_FLOW_OK;
    default:
      break;
    }

  if (tv_expr_eval (ctx, cond->lhs, line, &a) != TV_FLOW_OK
      || tv_expr_eval (ctx, cond->rhs, line, &b) != TV_FLOW_OK)
    return TV_FLOW_STOP;

  switch (cond->kind)
    {
    case TV_COND_EQ: *value = a == b; break;
    case TV_COND_NE: *value = a != b; break;
    case TV_COND_LT: *value = a < b; break;
    case TV_COND_LE: *value = a <= b; break;
    case TV_COND_GT: *value = a > b; break;
    case TV_COND_GE: *value = a >= b; break;
    default: g_assert_not_reached ();
    }
  return TV_FLOW_OK;
}

static const char *
py_bool (gboolean value)
{
  return value ? "True" : "False";
}

void
tv_template_render (TvCtx *ctx, const TvTemplate *text, GString *out)
{
  TvShared *sh = ctx->sh;

  g_string_truncate (out, 0);
  if (text == NULL)
    return;

  for (guint p = 0; p < text->n_parts; p++)
    {
      const TvPart *part = &text->parts[p];

      switch (part->kind)
        {
        case TV_PART_TEXT:
          g_string_append (out, part->text);
          break;
        case TV_PART_VAR:
          g_string_append_printf (out, "%" G_GINT64_FORMAT,
                                  tv_var_load (ctx, part->index));
          break;
        case TV_PART_ITEM:
          g_string_append_printf (out, "%" G_GINT64_FORMAT, ctx->item);
          break;
        case TV_PART_COUNTER:
          g_string_append_printf (out, "%" G_GINT64_FORMAT,
                                  ctx->n_counters ? ctx->counters[ctx->n_counters - 1] : 0);
          break;
        case TV_PART_THREAD:
          g_string_append (out, ctx->slot->name);
          break;
        case TV_PART_PID:
          g_string_append_printf (out, "%ld", (long) getpid ());
          break;
        case TV_PART_TID:
          g_string_append_printf (out, "%ld", (long) syscall (SYS_gettid));
          break;
        case TV_PART_ACTIVE_COUNT:
        case TV_PART_THREADS:
          {
            guint n = 0;

            tv_shared_lock (sh);
            for (guint i = 0; i < sh->n_slots; i++)
              {
                /* threading.enumerate() sees its own process only. */
                if (TV_SH_SLOTS (sh)[i].life != TV_SLOT_ALIVE
                    || TV_SH_SLOTS (sh)[i].process != ctx->slot->process)
                  continue;
                if (part->kind == TV_PART_THREADS)
                  g_string_append_printf (out, "%s%s", n ? ", " : "",
                                          TV_SH_SLOTS (sh)[i].name);
                n++;
              }
            tv_shared_unlock (sh);
            if (part->kind == TV_PART_ACTIVE_COUNT)
              g_string_append_printf (out, "%u", n);
          }
          break;
        case TV_PART_ALIVE:
          {
            gboolean alive;

            tv_shared_lock (sh);
            alive = tv_body_alive_locked (ctx->run, part->index);
            tv_shared_unlock (sh);
            g_string_append (out, py_bool (alive));
          }
          break;
        case TV_PART_QSIZE:
          {
            guint32 len;

            tv_shared_lock (sh);
            len = TV_SH_OBJECTS (sh)[part->index].len;
            tv_shared_unlock (sh);
            g_string_append_printf (out, "%u", len);
          }
          break;
        case TV_PART_ACQUIRED:
          g_string_append (out, py_bool (ctx->acquired));
          break;
        case TV_PART_STOPWATCH:
          {
            gint64 elapsed = tv_clock_now (&sh->clock) - tv_var_load (ctx, part->index);

            g_string_append_printf (out, "%.*f",
                                    part->precision >= 0 ? MIN (part->precision, 9) : 3,
                                    (double) elapsed / 1e9);
          }
          break;
        default:
          break;
        }
    }
}
