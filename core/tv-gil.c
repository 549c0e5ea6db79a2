/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-gil.c: the emulated global interpreter lock of `gil on`.
 *
 * Like CPython's, one lock per process that a thread holds whenever it runs
 * "Python code": it is taken when the thread starts and after every blocking
 * wait, and given up before every blocking wait (sleep, io, lock, queue,
 * join, ...), so blocked threads overlap.  `work` holds it; when another
 * thread asks for it (gil_drop_request) and the holder has had it for the
 * switch interval, the holder hands it over and does not take it back before
 * somebody else has had it (CPython's forced switching).  A thread waiting
 * for it is in TV_STATE_GIL_WAIT; every hand-over is an ACQUIRE / RELEASE of
 * the GIL object, so the timeline shows who holds it.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include "tv-run-private.h"

static TvFlow
take (TvCtx *ctx, guint line, gboolean forced)
{
  TvShared *sh = ctx->sh;
  TvObj *gil = &sh->objects[ctx->gil - 1];
  guint32 releaser = TV_NO_THREAD;
  gint64 release_time = 0, t;
  gboolean waited = FALSE;

  tv_shared_lock (sh);
  ctx->slot->wait_generation = forced ? ctx->gil_drop_switches + 1 : 0;
  if (gil->owner != TV_NO_THREAD || forced)
    {
      TvBlockResult r;

      ctx->slot->wait_kind = TV_WAIT_GIL;
      ctx->slot->wait_object = ctx->gil;
      if (!tv_slot_ready (sh, ctx->slot))
        {
          tv_emit_state (ctx, TV_STATE_GIL_WAIT, line, ctx->gil, 0);
          waited = TRUE;
        }
      gil->gil_waiters++;
      atomic_store_explicit (&gil->gil_drop_request, 1, memory_order_relaxed);
      r = tv_block (ctx, &gil->cond, TV_WAIT_GIL, ctx->gil, 0, line, -1);
      if (--gil->gil_waiters == 0)
        atomic_store_explicit (&gil->gil_drop_request, 0, memory_order_relaxed);
      ctx->slot->wait_generation = 0;
      if (r != TV_BLOCK_READY)
        {
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
    }
  gil->owner = ctx->index;
  gil->count = 1;
  gil->owner_line = line;
  gil->gil_switches++;
  t = tv_clock_now (&sh->clock);
  if (waited)
    {
      releaser = gil->last_thread;
      release_time = gil->last_time;
    }
  tv_shared_unlock (sh);

  ctx->gil_held = TRUE;
  ctx->gil_since = t;
  tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, ctx->gil, releaser, release_time);
  if (waited)
    tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  return TV_FLOW_OK;
}

TvFlow
tv_gil_take (TvCtx *ctx, guint line)
{
  if (ctx->gil == 0 || ctx->gil_held)
    return TV_FLOW_OK;
  if (tv_shared_stopping (ctx->sh))
    return TV_FLOW_STOP;
  return take (ctx, line, FALSE);
}

void
tv_gil_drop (TvCtx *ctx, guint line)
{
  TvShared *sh = ctx->sh;
  TvObj *gil;
  gint64 t;

  if (!ctx->gil_held)
    return;
  gil = &sh->objects[ctx->gil - 1];
  tv_shared_lock (sh);
  t = tv_clock_now (&sh->clock);
  gil->owner = TV_NO_THREAD;
  gil->count = 0;
  gil->last_thread = ctx->index;
  gil->last_time = t;
  ctx->gil_drop_switches = gil->gil_switches;
  pthread_cond_broadcast (&gil->cond);
  tv_emit_at (ctx, t, TV_EV_RELEASE, line, ctx->gil, 0, 0);
  tv_shared_unlock (sh);
  ctx->gil_held = FALSE;
}

TvFlow
tv_gil_check (TvCtx *ctx, guint line)
{
  TvObj *gil;

  if (!ctx->gil_held)
    return TV_FLOW_OK;
  gil = &ctx->sh->objects[ctx->gil - 1];
  if (!atomic_load_explicit (&gil->gil_drop_request, memory_order_relaxed))
    return TV_FLOW_OK;
  if (tv_clock_now (&ctx->sh->clock) - ctx->gil_since
      < ctx->run->scenario->gil_switch)
    return TV_FLOW_OK;

  tv_gil_drop (ctx, line);
  return take (ctx, line, TRUE);
}
