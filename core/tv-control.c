/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-control.c: run control: pause, resume, step, and where each thread is.
 *
 * Pausing has two halves.  The scenario clock stops (tv_clock_set_paused),
 * so sleeps, timeouts and `work` stand still wherever they are; and a gate
 * in the shared block holds every thread at its next statement boundary
 * (tv_control_gate(), called before every statement), in whatever process
 * it runs, so that nothing that takes no scenario time (a print, `x = 1`,
 * a release) goes on either.  A step lets one thread through the gate once
 * and runs the clock until that thread is back at a boundary, blocks on
 * something another thread must provide, or ends; whoever sees that (the
 * thread itself, maybe in a child process) pauses the clock again under the
 * engine lock, which is why every clock write of a run is made under it.
 *
 * The gate holds a thread without a wait kind, so the watchdog never takes
 * a paused thread for a stuck one: a paused run is never a stall.  The
 * trace learns of each pause from a TV_EV_PAUSE / TV_EV_RESUME pair on the
 * controller's ring (docs/engine.md, "Run control").
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <gio/gio.h>

#include "tv-run-private.h"

G_DEFINE_QUARK (tv-run-control-error-quark, tv_run_control_error)

static gboolean
is_paused (TvShared *sh)
{
  return atomic_load_explicit (&sh->paused, memory_order_relaxed) != 0;
}

/* On the controller's ring, on no thread.  Lock held. */
static void
emit_control_locked (TvRun *run, TvEventKind kind, guint32 aux, gint64 arg)
{
  TvEvent ev;

  ev.time = tv_clock_now (&run->sh->clock);
  ev.arg = arg;
  ev.thread = TV_NO_THREAD;
  ev.object = TV_NO_OBJECT;
  ev.aux = aux;
  ev.kind = (uint16_t) kind;
  ev.line = 0;
  tv_ring_emit (run->control_ring, &ev);
}

/* Stops the clock and records the pause.  Lock held. */
static void
freeze_locked (TvRun *run, guint32 stepped)
{
  TvShared *sh = run->sh;

  tv_clock_set_paused (&sh->clock, TRUE);
  sh->pause_wall = tv_clock_wall_ns ();
  emit_control_locked (run, TV_EV_PAUSE, stepped, 0);
}

/* Starts the clock again, records it and wakes every wait: timed waits
 * recompute their deadlines, held threads look at the gate.  Lock held. */
static void
thaw_locked (TvRun *run, guint32 stepped)
{
  TvShared *sh = run->sh;

  if (tv_clock_is_paused (&sh->clock))
    {
      tv_clock_set_paused (&sh->clock, FALSE);
      emit_control_locked (run, TV_EV_RESUME, stepped,
                           MAX (tv_clock_wall_ns () - sh->pause_wall, 0));
    }
  else
    emit_control_locked (run, TV_EV_RESUME, stepped, 0);
  tv_shared_wake_all_locked (sh);
}

static gboolean
any_alive_locked (TvShared *sh)
{
  for (guint i = 0; i < sh->n_slots; i++)
    if (TV_SH_SLOTS (sh)[i].life == TV_SLOT_ALIVE)
      return TRUE;
  return FALSE;
}

/* --- the gate -------------------------------------------------------------- */

TvFlow
tv_control_gate (TvCtx *ctx, guint line)
{
  TvShared *sh = ctx->sh;
  TvSlot *slot = ctx->slot;
  gboolean gil_dropped = FALSE;
  TvFlow flow = TV_FLOW_OK;

  atomic_store_explicit (&slot->line, line, memory_order_relaxed);
  if (!is_paused (sh))
    return tv_shared_stopping (sh) ? TV_FLOW_STOP : TV_FLOW_OK;

  tv_shared_lock (sh);
  /* At the boundary from now on, also while the GIL is given up below:
   * a step granted meanwhile lets it through this very boundary. */
  slot->gated = TRUE;
  for (;;)
    {
      if (tv_shared_stopping (sh))
        {
          flow = TV_FLOW_STOP;
          break;
        }
      if (!is_paused (sh))
        break;
      if (sh->step_thread == ctx->index && sh->step_passes > 0)
        {
          sh->step_passes--;
          break;
        }
      /* A held thread must not hold the GIL: the thread a step lets run
       * needs it. */
      if (ctx->gil_held)
        {
          tv_shared_unlock (sh);
          tv_gil_drop (ctx, line);
          tv_shared_lock (sh);
          gil_dropped = TRUE;
          continue;
        }
      /* Back at a boundary, its GIL given up: its step is over, and all it
       * recorded is on its ring when the controller hears of it. */
      if (sh->step_thread == ctx->index)
        tv_control_step_done_locked (ctx->run);
      if (ctx->run->in_child)
        {
          tv_shared_wait_until (sh, &sh->gate, tv_clock_wall_ns () + TV_ORPHAN_CHECK_NS);
          tv_shared_orphaned_locked (ctx->run);
        }
      else
        tv_shared_wait (sh, &sh->gate);
    }
  slot->gated = FALSE;
  tv_shared_unlock (sh);

  if (flow == TV_FLOW_OK && gil_dropped)
    flow = tv_gil_take (ctx, line);
  return flow;
}

void
tv_control_step_done_locked (TvRun *run)
{
  TvShared *sh = run->sh;
  guint32 stepped = sh->step_thread;

  if (stepped == TV_NO_THREAD)
    return;
  sh->step_thread = TV_NO_THREAD;
  sh->step_passes = 0;
  /* A stop ends the step too; the run then ends as it stands. */
  if (!tv_shared_stopping (sh) && is_paused (sh))
    freeze_locked (run, stepped);
  pthread_cond_broadcast (&sh->control);
}

void
tv_control_start (TvRun *run)
{
  TvShared *sh = run->sh;

  tv_shared_lock (sh);
  if (is_paused (sh))
    freeze_locked (run, TV_NO_THREAD);
  tv_shared_unlock (sh);
}

/* --- the controller's API ---------------------------------------------------- */

void
tv_run_pause (TvRun *self)
{
  TvShared *sh;

  g_return_if_fail (self != NULL);

  sh = self->sh;
  tv_shared_lock (sh);
  if (!is_paused (sh) && !tv_shared_stopping (sh) && any_alive_locked (sh))
    {
      atomic_store_explicit (&sh->paused, 1, memory_order_relaxed);
      /* Before the start the clock is not running yet: tv_control_start(). */
      if (self->started)
        freeze_locked (self, TV_NO_THREAD);
    }
  tv_shared_unlock (sh);
}

void
tv_run_resume (TvRun *self)
{
  TvShared *sh;

  g_return_if_fail (self != NULL);

  sh = self->sh;
  tv_shared_lock (sh);
  if (is_paused (sh))
    {
      atomic_store_explicit (&sh->paused, 0, memory_order_relaxed);
      sh->step_thread = TV_NO_THREAD;
      sh->step_passes = 0;
      if (self->started && !tv_shared_stopping (sh))
        thaw_locked (self, TV_NO_THREAD);
      else
        tv_shared_wake_all_locked (sh);
    }
  tv_shared_unlock (sh);
}

gboolean
tv_run_is_paused (TvRun *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return is_paused (self->sh);
}

/* Lock held. */
static TvRunPlace
place_locked (const TvSlot *slot)
{
  if (slot->life != TV_SLOT_ALIVE)
    return TV_RUN_PLACE_NONE;
  if (slot->gated)
    return TV_RUN_PLACE_PAUSED;
  switch ((TvWaitKind) slot->wait_kind)
    {
    case TV_WAIT_NONE:
    case TV_WAIT_SLEEP:
    case TV_WAIT_GIL:
      return TV_RUN_PLACE_RUNNING;
    default:
      return TV_RUN_PLACE_WAITING;
    }
}

gboolean
tv_run_step (TvRun *self, guint32 thread_index, GError **error)
{
  TvShared *sh;
  TvSlot *slot;
  TvRunPlace place;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sh = self->sh;
  tv_shared_lock (sh);
  if (!self->started || tv_shared_stopping (sh) || !any_alive_locked (sh))
    {
      tv_shared_unlock (sh);
      g_set_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE,
                   self->started ? "the run has ended" : "the run has not started");
      return FALSE;
    }
  if (!is_paused (sh))
    {
      tv_shared_unlock (sh);
      g_set_error_literal (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_PAUSED,
                           "pause the run before stepping a thread");
      return FALSE;
    }
  if (thread_index >= sh->n_slots || TV_SH_SLOTS (sh)[thread_index].life == TV_SLOT_UNUSED)
    {
      tv_shared_unlock (sh);
      g_set_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE,
                   "there is no thread %u", thread_index);
      return FALSE;
    }
  slot = &TV_SH_SLOTS (sh)[thread_index];
  if (sh->step_thread != TV_NO_THREAD)
    {
      g_set_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_BUSY,
                   "thread '%s' has not finished its step yet",
                   TV_SH_SLOTS (sh)[sh->step_thread].name);
      tv_shared_unlock (sh);
      return FALSE;
    }
  place = place_locked (slot);
  if (place == TV_RUN_PLACE_NONE)
    {
      g_set_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_NOT_ALIVE,
                   slot->life == TV_SLOT_NEW ? "thread '%s' has not been started"
                                             : "thread '%s' has ended",
                   slot->name);
      tv_shared_unlock (sh);
      return FALSE;
    }
  if (place == TV_RUN_PLACE_WAITING)
    {
      g_autoptr(GString) what = g_string_new (NULL);

      tv_watchdog_describe_wait (self, what, slot);
      g_set_error (error, TV_RUN_CONTROL_ERROR, TV_RUN_CONTROL_ERROR_WAITING,
                   "thread '%s' %s: step the thread that can let it go on",
                   slot->name, what->str);
      tv_shared_unlock (sh);
      return FALSE;
    }

  sh->step_thread = thread_index;
  /* At a boundary: through this one, held at the next.  Inside a
   * statement: held at the end of it. */
  sh->step_passes = slot->gated ? 1 : 0;
  thaw_locked (self, thread_index);
  tv_shared_unlock (sh);
  return TRUE;
}

gboolean
tv_run_is_stepping (TvRun *self)
{
  gboolean stepping;

  g_return_val_if_fail (self != NULL, FALSE);
  tv_shared_lock (self->sh);
  stepping = self->sh->step_thread != TV_NO_THREAD;
  tv_shared_unlock (self->sh);
  return stepping;
}

gboolean
tv_run_wait_step (TvRun *self, guint timeout_ms)
{
  TvShared *sh;
  gint64 end;
  gboolean done;

  g_return_val_if_fail (self != NULL, TRUE);

  sh = self->sh;
  end = tv_clock_wall_ns () + (gint64) timeout_ms * G_GINT64_CONSTANT (1000000);
  tv_shared_lock (sh);
  while (sh->step_thread != TV_NO_THREAD
         && tv_shared_wait_until (sh, &sh->control, end))
    ;
  done = sh->step_thread == TV_NO_THREAD;
  tv_shared_unlock (sh);
  return done;
}

guint
tv_run_get_n_threads (TvRun *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_slots;
}

guint
tv_run_get_thread_line (TvRun *self, guint32 thread_index, TvRunPlace *place)
{
  TvShared *sh;
  TvSlot *slot;
  TvRunPlace where;
  guint line;

  if (place)
    *place = TV_RUN_PLACE_NONE;
  g_return_val_if_fail (self != NULL, 0);

  sh = self->sh;
  if (thread_index >= sh->n_slots)
    return 0;
  slot = &TV_SH_SLOTS (sh)[thread_index];
  tv_shared_lock (sh);
  where = place_locked (slot);
  if (where == TV_RUN_PLACE_WAITING && slot->wait_line > 0)
    line = slot->wait_line;
  else if (where == TV_RUN_PLACE_NONE)
    line = 0;
  else
    line = atomic_load_explicit (&slot->line, memory_order_relaxed);
  tv_shared_unlock (sh);
  if (place)
    *place = where;
  return line;
}
