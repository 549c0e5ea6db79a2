/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-gil.c: the emulated global interpreter lock of `gil on`.
 *
 * Like CPython's, one lock per process that a thread holds whenever it runs
 * "Python code": it is taken when the thread starts and after every blocking
 * wait, and given up before every blocking wait (sleep, io, lock, queue,
 * join, ...), so blocked threads overlap.  `work` holds it; when another
 * thread waits for it (gil_drop_request) and the holder has had it for the
 * switch interval, the holder hands it over and queues up again behind the
 * others.  Takers are served in ticket order, so CPU-bound threads take
 * turns (CPython's forced switching has the same effect).  A thread waiting
 * for it is in TV_STATE_GIL_WAIT; every hand-over is an ACQUIRE / RELEASE of
 * the GIL object, so the timeline shows who holds it.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include "tv-run-private.h"

/* Takes the GIL, the engine lock held; `waiting`: GIL_WAIT already emitted. */
static TvFlow
take_locked (TvCtx *ctx, guint line, gboolean waiting)
{
  TvShared *sh = ctx->sh;
  TvObj *gil = &TV_SH_OBJECTS (sh)[ctx->gil - 1];
  guint32 releaser = TV_NO_THREAD;
  gint64 release_time = 0, t;
  TvSlot *slot = ctx->slot;

  slot->wait_kind = TV_WAIT_GIL;
  slot->wait_object = ctx->gil;
  slot->wait_generation = gil->gil_next_ticket++;
  if (!tv_slot_ready (sh, slot))
    {
      TvBlockResult r;

      if (!waiting)
        tv_emit_state (ctx, TV_STATE_GIL_WAIT, line, ctx->gil, 0);
      waiting = TRUE;
      gil->gil_waiters++;
      atomic_store_explicit (&gil->gil_drop_request, 1, memory_order_relaxed);
      /* On its own condition variable: a hand-over wakes the next holder
       * only, not every waiter (they would all fight for the engine lock
       * at every switch). */
      r = tv_block (ctx, &slot->cond, TV_WAIT_GIL, ctx->gil, 0, line, -1);
      if (--gil->gil_waiters == 0)
        atomic_store_explicit (&gil->gil_drop_request, 0, memory_order_relaxed);
      if (r != TV_BLOCK_READY)
        {
          /* The run is ending: let a later ticket through anyway. */
          gil->gil_serving++;
          return TV_FLOW_STOP;
        }
    }
  slot->wait_kind = TV_WAIT_NONE;
  slot->wait_object = 0;
  if (gil->owner == ctx->index)
    t = gil->last_time;   /* handed over: it holds it since the release */
  else
    {
      gil->gil_serving++;
      gil->owner = ctx->index;
      gil->count = 1;
      t = tv_clock_now (&sh->clock);
    }
  gil->owner_line = line;
  if (waiting)
    {
      releaser = gil->last_thread;
      release_time = gil->last_time;
    }
  ctx->gil_held = TRUE;
  ctx->gil_since = t;
  tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, ctx->gil, releaser, release_time);
  if (waiting)
    tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  return TV_FLOW_OK;
}

TvFlow
tv_gil_take (TvCtx *ctx, guint line)
{
  TvFlow flow;

  if (ctx->gil == 0 || ctx->gil_held)
    return TV_FLOW_OK;
  if (tv_shared_stopping (ctx->sh))
    return TV_FLOW_STOP;
  tv_shared_lock (ctx->sh);
  flow = take_locked (ctx, line, FALSE);
  tv_shared_unlock (ctx->sh);
  return flow;
}

/* Gives the GIL up, the engine lock held. */
static gint64
drop_locked (TvCtx *ctx, guint line)
{
  TvShared *sh = ctx->sh;
  TvObj *gil = &TV_SH_OBJECTS (sh)[ctx->gil - 1];
  gint64 t = tv_clock_now (&sh->clock);

  gil->owner = TV_NO_THREAD;
  gil->count = 0;
  gil->last_thread = ctx->index;
  gil->last_time = t;
  /*
   * Hand it straight to the next ticket: the taker holds it from this very
   * moment, so the time the OS takes to wake it up is not lost between two
   * holders (it would add up over thousands of switches and make four CPU
   * runs take visibly more than four times one).
   */
  if (gil->gil_waiters > 0)
    for (guint i = 0; i < sh->n_slots; i++)
      {
        TvSlot *next = &TV_SH_SLOTS (sh)[i];

        if (next->wait_kind == TV_WAIT_GIL && next->wait_object == ctx->gil
            && next->wait_generation == gil->gil_serving && i != ctx->index)
          {
            gil->owner = i;
            gil->count = 1;
            gil->gil_serving++;
            pthread_cond_broadcast (&next->cond);
            break;
          }
      }
  tv_emit_at (ctx, t, TV_EV_RELEASE, line, ctx->gil, 0, 0);
  ctx->gil_held = FALSE;
  return t;
}

void
tv_gil_drop (TvCtx *ctx, guint line)
{
  if (!ctx->gil_held)
    return;
  tv_shared_lock (ctx->sh);
  drop_locked (ctx, line);
  tv_shared_unlock (ctx->sh);
}

TvFlow
tv_gil_check (TvCtx *ctx, guint line, gint64 *dropped_at)
{
  TvObj *gil;
  TvFlow flow;
  gint64 t;

  *dropped_at = -1;
  if (!ctx->gil_held)
    return TV_FLOW_OK;
  gil = &TV_SH_OBJECTS (ctx->sh)[ctx->gil - 1];
  if (!atomic_load_explicit (&gil->gil_drop_request, memory_order_relaxed))
    return TV_FLOW_OK;
  if (tv_clock_now (&ctx->sh->clock) - ctx->gil_since
      < ctx->run->scenario->gil_switch)
    return TV_FLOW_OK;

  /* Hand over and queue up behind the waiters, in one step under the
   * engine lock, so the row shows GIL_WAIT from the very release on. */
  tv_shared_lock (ctx->sh);
  *dropped_at = t = drop_locked (ctx, line);
  tv_emit_at (ctx, t, TV_EV_STATE, line, ctx->gil, 0, TV_STATE_GIL_WAIT);
  flow = take_locked (ctx, line, TRUE);
  tv_shared_unlock (ctx->sh);
  return flow;
}
