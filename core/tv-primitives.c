/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-primitives.c: the scenario's synchronisation objects (lock, rlock,
 * semaphore, event, condition, barrier, queue), built on the engine lock
 * and one process-shared condition variable per object.
 *
 * Each operation follows one pattern: under the engine lock, take what is
 * there; when it must wait, give the GIL up, emit a TV_EV_STATE naming the
 * object and the line, tv_block(), and once through emit the event that
 * says who let it through (ACQUIRE with the releaser, or a TV_EV_LINK) and
 * a STATE(RUNNING).  Paired events (release → acquire, put → get) take
 * their timestamps under the engine lock so that their order in time is
 * their real order.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include "tv-run-private.h"

static inline TvObj *
obj_get (TvCtx *ctx, guint32 id)
{
  return &TV_SH_OBJECTS (ctx->sh)[id - 1];
}

static inline gint64
now (TvCtx *ctx)
{
  return tv_clock_now (&ctx->sh->clock);
}

static inline guint
line_of (const TvStmt *stmt)
{
  return stmt ? stmt->location.line : 0;
}

/* Gives the GIL up before a wait (engine lock held on entry and return). */
static void
drop_gil_locked (TvCtx *ctx, guint line)
{
  if (!ctx->gil_held)
    return;
  tv_shared_unlock (ctx->sh);
  tv_gil_drop (ctx, line);
  tv_shared_lock (ctx->sh);
}

static gint64
deadline_after (TvCtx *ctx, gint64 timeout)
{
  return timeout >= 0 ? now (ctx) + timeout : -1;
}

static const char *
kind_word (TvObj *obj)
{
  return tv_object_kind_to_string ((TvObjectKind) obj->kind);
}

/* The thread's current name, for messages (lock held or own slot). */
static const char *
me_name (TvCtx *ctx)
{
  return ctx->slot->name;
}

/* --- lock, rlock, condition, semaphore -------------------------------- */

static gboolean
can_take (TvObj *obj, guint32 me)
{
  switch ((TvObjectKind) obj->kind)
    {
    case TV_OBJ_SEMAPHORE:
      return obj->value > 0;
    case TV_OBJ_RLOCK:
    case TV_OBJ_CONDITION:
      return obj->owner == TV_NO_THREAD || obj->owner == me;
    default:
      return obj->owner == TV_NO_THREAD;
    }
}

static void
take (TvObj *obj, guint32 me, guint line)
{
  if (obj->kind == TV_OBJ_SEMAPHORE)
    {
      obj->value--;
      return;
    }
  if (obj->owner == me)
    obj->count++;
  else
    {
      obj->owner = me;
      obj->count = 1;
      obj->owner_line = line;
    }
}

TvFlow
tv_prim_acquire (TvCtx        *ctx,
                 const TvStmt *stmt,
                 guint32       id,
                 gint64        timeout,
                 gboolean      blocking)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  gint64 deadline = deadline_after (ctx, timeout);
  gboolean waited = FALSE;
  guint32 releaser = TV_NO_THREAD;
  gint64 release_time = 0, t;

  tv_shared_lock (sh);
  for (;;)
    {
      TvBlockResult r;

      if (can_take (obj, ctx->index))
        break;
      if (!blocking)
        {
          tv_shared_unlock (sh);
          tv_emit (ctx, TV_EV_ACQUIRE_FAILED, line, id, TV_NO_THREAD, 0);
          ctx->acquired = FALSE;
          return TV_FLOW_OK;
        }
      if (ctx->gil_held)
        {
          drop_gil_locked (ctx, line);
          continue;
        }
      tv_emit_state (ctx, obj->kind == TV_OBJ_SEMAPHORE ? TV_STATE_SEMAPHORE
                                                          : TV_STATE_LOCK,
                     line, id, 0);
      r = tv_block (ctx, &obj->cond,
                    obj->kind == TV_OBJ_SEMAPHORE ? TV_WAIT_SEMAPHORE : TV_WAIT_LOCK,
                    id, 0, line, deadline);
      if (r == TV_BLOCK_STOP)
        {
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
      if (r == TV_BLOCK_TIMEOUT)
        {
          tv_shared_unlock (sh);
          tv_emit (ctx, TV_EV_ACQUIRE_FAILED, line, id, TV_NO_THREAD, 0);
          tv_emit_state (ctx, TV_STATE_RUNNING, line, 0, 0);
          ctx->acquired = FALSE;
          return tv_gil_take (ctx, line);
        }
      waited = TRUE;
    }

  take (obj, ctx->index, line);
  t = now (ctx);
  if (waited)
    {
      releaser = obj->last_thread;
      release_time = obj->last_time;
    }
  tv_shared_unlock (sh);

  tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, id, releaser, release_time);
  if (waited)
    tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  ctx->acquired = TRUE;
  return tv_gil_take (ctx, line);
}

TvFlow
tv_prim_release (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  guint32 left = 0;
  gint64 t;

  tv_shared_lock (sh);
  if (obj->kind != TV_OBJ_SEMAPHORE && obj->owner != ctx->index)
    {
      g_autofree char *holder = NULL;

      if (obj->owner != TV_NO_THREAD)
        holder = g_strdup_printf (" (thread '%s' holds it)",
                                  TV_SH_SLOTS (sh)[obj->owner].name);
      tv_shared_unlock (sh);
      return tv_run_fail (ctx, TV_RUN_ERROR_NOT_HELD, stmt->location,
                          "release of %s '%s' that thread '%s' does not hold%s",
                          kind_word (obj), tv_run_object_name (ctx->run, id),
                          me_name (ctx), holder ? holder : "");
    }

  t = now (ctx);
  if (obj->kind == TV_OBJ_SEMAPHORE)
    obj->value++;
  else
    left = --obj->count;
  if (left == 0)
    {
      if (obj->kind != TV_OBJ_SEMAPHORE)
        obj->owner = TV_NO_THREAD;
      obj->last_thread = ctx->index;
      obj->last_time = t;
      pthread_cond_broadcast (&obj->cond);
    }
  tv_shared_unlock (sh);

  tv_emit_at (ctx, t, TV_EV_RELEASE, line, id, 0, left);
  return TV_FLOW_OK;
}

/* --- queue -------------------------------------------------------------- */

TvFlow
tv_prim_put (TvCtx *ctx, const TvStmt *stmt, guint32 id, const gint64 *value)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  gboolean waited = FALSE;
  TvQueueItem *item;
  guint32 depth, unblocker = TV_NO_THREAD;
  gint64 t, unblock_time = 0;
  guint64 item_id;

  tv_shared_lock (sh);
  while (obj->len >= obj->capacity)
    {
      TvBlockResult r;

      if (obj->param <= 0)
        {
          tv_shared_unlock (sh);
          return tv_run_fail (ctx, TV_RUN_ERROR_LIMIT, stmt->location,
                              "queue '%s' holds %u items, the most an unbounded "
                              "queue may hold",
                              tv_run_object_name (ctx->run, id), obj->capacity);
        }
      if (ctx->gil_held)
        {
          drop_gil_locked (ctx, line);
          continue;
        }
      tv_emit_state (ctx, TV_STATE_QUEUE_FULL, line, id, 0);
      r = tv_block (ctx, &obj->cond, TV_WAIT_QUEUE_PUT, id, 0, line, -1);
      if (r != TV_BLOCK_READY)
        {
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
      waited = TRUE;
    }

  item_id = ++obj->next_item_id;
  item = &TV_SH_ITEMS (sh, obj)[(obj->head + obj->len) % obj->capacity];
  item->id = item_id;
  item->value = value ? *value : (gint64) item_id;
  item->putter = ctx->index;
  item->put_time = t = now (ctx);
  depth = ++obj->len;
  obj->unfinished++;
  if (waited)
    {
      unblocker = obj->last_thread;
      unblock_time = obj->last_time;
    }
  pthread_cond_broadcast (&obj->cond);
  tv_shared_unlock (sh);

  if (waited)
    {
      if (unblocker != TV_NO_THREAD)
        tv_emit_at (ctx, t, TV_EV_LINK, TV_LINK_WAKE, id, unblocker, unblock_time);
      tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
    }
  tv_emit_at (ctx, t, TV_EV_QUEUE_PUT, line, id, depth, (gint64) item_id);
  return tv_gil_take (ctx, line);
}

TvFlow
tv_prim_get (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  gboolean waited = FALSE;
  TvQueueItem item;
  guint32 depth;
  gint64 t;

  tv_shared_lock (sh);
  while (obj->len == 0)
    {
      TvBlockResult r;

      if (ctx->gil_held)
        {
          drop_gil_locked (ctx, line);
          continue;
        }
      tv_emit_state (ctx, TV_STATE_QUEUE_EMPTY, line, id, 0);
      r = tv_block (ctx, &obj->cond, TV_WAIT_QUEUE_GET, id, 0, line, -1);
      if (r != TV_BLOCK_READY)
        {
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
      waited = TRUE;
    }

  item = TV_SH_ITEMS (sh, obj)[obj->head];
  obj->head = (obj->head + 1) % obj->capacity;
  depth = --obj->len;
  t = now (ctx);
  obj->last_thread = ctx->index;
  obj->last_time = t;
  pthread_cond_broadcast (&obj->cond);
  tv_shared_unlock (sh);

  tv_emit_at (ctx, t, TV_EV_QUEUE_GET, line, id, depth, (gint64) item.id);
  tv_emit_at (ctx, t, TV_EV_LINK, TV_LINK_ITEM, id, item.putter, item.put_time);
  if (waited)
    tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  ctx->item = item.value;
  if (stmt->var >= 0)
    tv_var_write (ctx, (guint) stmt->var, item.value, line);
  return tv_gil_take (ctx, line);
}

TvFlow
tv_prim_task_done (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);

  tv_shared_lock (sh);
  if (obj->unfinished <= 0)
    {
      tv_shared_unlock (sh);
      return tv_run_fail (ctx, TV_RUN_ERROR_TASK_DONE, stmt->location,
                          "task_done on queue '%s' called more times than "
                          "items were put", tv_run_object_name (ctx->run, id));
    }
  if (--obj->unfinished == 0)
    {
      obj->done_thread = ctx->index;
      obj->done_time = now (ctx);
      pthread_cond_broadcast (&obj->cond);
    }
  tv_shared_unlock (sh);
  return TV_FLOW_OK;
}

TvFlow
tv_prim_join_queue (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  gboolean waited = FALSE;
  TvBlockResult r;

  tv_shared_lock (sh);
  while (obj->unfinished > 0)
    {
      if (ctx->gil_held)
        {
          drop_gil_locked (ctx, line);
          continue;
        }
      tv_emit_state (ctx, TV_STATE_QUEUE_JOIN, line, id, 0);
      r = tv_block (ctx, &obj->cond, TV_WAIT_QUEUE_JOIN, id, 0, line, -1);
      if (r != TV_BLOCK_READY)
        {
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
      waited = TRUE;
    }
  if (waited)
    {
      gint64 t = now (ctx);

      if (obj->done_thread != TV_NO_THREAD)
        tv_emit_at (ctx, t, TV_EV_LINK, TV_LINK_WAKE, id, obj->done_thread,
                    obj->done_time);
      tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
    }
  tv_shared_unlock (sh);
  return tv_gil_take (ctx, line);
}

/* --- event -------------------------------------------------------------- */

TvFlow
tv_prim_set (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvObj *obj = obj_get (ctx, id);

  tv_shared_lock (ctx->sh);
  if (obj->value == 0)
    {
      obj->value = 1;
      obj->last_thread = ctx->index;
      obj->last_time = now (ctx);
      pthread_cond_broadcast (&obj->cond);
    }
  tv_shared_unlock (ctx->sh);
  return TV_FLOW_OK;
}

TvFlow
tv_prim_clear (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvObj *obj = obj_get (ctx, id);

  tv_shared_lock (ctx->sh);
  obj->value = 0;
  tv_shared_unlock (ctx->sh);
  return TV_FLOW_OK;
}

/*
 * Waits on an event or a barrier (the two "wait until something happens"
 * objects); `ready` is the state to block in.  Sets `acquired` to whether
 * it got through before the timeout.
 */
static TvFlow
wait_simple (TvCtx *ctx, const TvStmt *stmt, guint32 id, TvWaitKind kind,
             TvThreadState state)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  gint64 deadline = deadline_after (ctx, stmt->duration);
  TvBlockResult r;
  gint64 t;

  if (kind == TV_WAIT_EVENT && obj->value != 0)
    {
      tv_shared_unlock (sh);
      ctx->acquired = TRUE;
      return TV_FLOW_OK;
    }
  drop_gil_locked (ctx, line);
  tv_emit_state (ctx, state, line, id, 0);
  r = tv_block (ctx, &obj->cond, kind, id, 0, line, deadline);
  if (r == TV_BLOCK_STOP)
    {
      tv_shared_unlock (sh);
      return TV_FLOW_STOP;
    }
  t = now (ctx);
  if (r == TV_BLOCK_READY && obj->last_thread != TV_NO_THREAD)
    tv_emit_at (ctx, t, TV_EV_LINK, TV_LINK_WAKE, id, obj->last_thread,
                obj->last_time);
  if (r == TV_BLOCK_TIMEOUT && kind == TV_WAIT_BARRIER)
    obj->arrived--;   /* it leaves the barrier: the others still wait for N */
  tv_shared_unlock (sh);
  tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  ctx->acquired = r == TV_BLOCK_READY;
  return tv_gil_take (ctx, line);
}

static TvFlow
wait_barrier (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvObj *obj = obj_get (ctx, id);

  tv_shared_lock (ctx->sh);
  if (++obj->arrived >= (guint32) MAX (obj->param, 1))
    {
      /* The last party releases everyone and goes on at once. */
      obj->arrived = 0;
      obj->generation++;
      obj->last_thread = ctx->index;
      obj->last_time = now (ctx);
      pthread_cond_broadcast (&obj->cond);
      tv_shared_unlock (ctx->sh);
      ctx->acquired = TRUE;
      return TV_FLOW_OK;
    }
  ctx->slot->wait_generation = obj->generation;
  return wait_simple (ctx, stmt, id, TV_WAIT_BARRIER, TV_STATE_BARRIER);
}

/* --- condition ---------------------------------------------------------- */

static void
cv_remove (TvShared *sh, TvObj *obj, guint32 index)
{
  guint32 prev = TV_NO_THREAD;

  for (guint32 i = obj->cv_head; i != TV_NO_THREAD; i = TV_SH_SLOTS (sh)[i].cv_next)
    {
      if (i == index)
        {
          guint32 next = TV_SH_SLOTS (sh)[i].cv_next;

          if (prev == TV_NO_THREAD)
            obj->cv_head = next;
          else
            TV_SH_SLOTS (sh)[prev].cv_next = next;
          if (obj->cv_tail == index)
            obj->cv_tail = prev;
          break;
        }
      prev = i;
    }
  TV_SH_SLOTS (sh)[index].cv_next = TV_NO_THREAD;
  TV_SH_SLOTS (sh)[index].cv_queued = FALSE;
}

static TvFlow
not_held (TvCtx *ctx, const TvStmt *stmt, guint32 id, const char *what)
{
  tv_shared_unlock (ctx->sh);
  return tv_run_fail (ctx, TV_RUN_ERROR_WAIT_OUTSIDE, stmt->location,
                      "%s on condition '%s' that thread '%s' does not hold "
                      "(use 'with %s:')", what,
                      tv_run_object_name (ctx->run, id), me_name (ctx),
                      tv_run_object_name (ctx->run, id));
}

static TvFlow
wait_condition (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  TvSlot *slot = ctx->slot;
  guint line = line_of (stmt);
  gint64 deadline = deadline_after (ctx, stmt->duration);
  guint32 saved, releaser = TV_NO_THREAD;
  gint64 t, release_time = 0;
  gboolean notified, waited = FALSE;
  TvBlockResult r;

  tv_shared_lock (sh);
  if (obj->owner != ctx->index)
    return not_held (ctx, stmt, id, "wait");

  /* Release the condition's lock completely, as Condition.wait() does. */
  saved = obj->count;
  obj->owner = TV_NO_THREAD;
  obj->count = 0;
  t = now (ctx);
  obj->last_thread = ctx->index;
  obj->last_time = t;
  slot->notified = FALSE;
  slot->cv_queued = TRUE;
  slot->cv_next = TV_NO_THREAD;
  if (obj->cv_tail == TV_NO_THREAD)
    obj->cv_head = ctx->index;
  else
    TV_SH_SLOTS (sh)[obj->cv_tail].cv_next = ctx->index;
  obj->cv_tail = ctx->index;
  pthread_cond_broadcast (&obj->cond);
  tv_emit_at (ctx, t, TV_EV_RELEASE, line, id, 0, 0);

  drop_gil_locked (ctx, line);
  tv_emit_state (ctx, TV_STATE_CONDITION, line, id, 0);
  r = tv_block (ctx, &obj->cond, TV_WAIT_CONDITION, id, 0, line, deadline);
  notified = r == TV_BLOCK_READY;
  if (slot->cv_queued)
    cv_remove (sh, obj, ctx->index);
  if (r == TV_BLOCK_STOP)
    {
      tv_shared_unlock (sh);
      return TV_FLOW_STOP;
    }
  if (notified)
    tv_emit (ctx, TV_EV_LINK, TV_LINK_WAKE, id, slot->notifier, slot->notify_time);

  /* Take the lock back before returning, like Python. */
  while (obj->owner != TV_NO_THREAD)
    {
      tv_emit_state (ctx, TV_STATE_LOCK, line, id, 0);
      r = tv_block (ctx, &obj->cond, TV_WAIT_LOCK, id, 0, line, -1);
      if (r != TV_BLOCK_READY)
        {
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
      waited = TRUE;
    }
  obj->owner = ctx->index;
  obj->count = saved;
  obj->owner_line = line;
  t = now (ctx);
  if (waited)
    {
      releaser = obj->last_thread;
      release_time = obj->last_time;
    }
  tv_shared_unlock (sh);

  tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, id, releaser, release_time);
  tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  ctx->acquired = notified;
  return tv_gil_take (ctx, line);
}

TvFlow
tv_prim_wait (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  switch ((TvObjectKind) obj_get (ctx, id)->kind)
    {
    case TV_OBJ_EVENT:
      tv_shared_lock (ctx->sh);
      return wait_simple (ctx, stmt, id, TV_WAIT_EVENT, TV_STATE_EVENT);
    case TV_OBJ_BARRIER:
      return wait_barrier (ctx, stmt, id);
    case TV_OBJ_CONDITION:
      return wait_condition (ctx, stmt, id);
    default:
      g_return_val_if_reached (TV_FLOW_OK);
    }
}

TvFlow
tv_prim_notify (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  gint64 t;

  tv_shared_lock (sh);
  if (obj->owner != ctx->index)
    return not_held (ctx, stmt, id, "notify");

  t = now (ctx);
  while (obj->cv_head != TV_NO_THREAD)
    {
      TvSlot *waiter = &TV_SH_SLOTS (sh)[obj->cv_head];

      waiter->notified = TRUE;
      waiter->notifier = ctx->index;
      waiter->notify_time = t;
      cv_remove (sh, obj, obj->cv_head);
      if (!stmt->all)
        break;
    }
  pthread_cond_broadcast (&obj->cond);
  tv_shared_unlock (sh);
  return TV_FLOW_OK;
}
