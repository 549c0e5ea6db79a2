/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-primitives.c: the scenario's synchronisation objects (lock, rlock,
 * semaphore, event, condition, barrier, queue), built on the engine lock
 * and one process-shared condition variable per object; a lock, rlock or
 * semaphore nobody waits for is taken and given back by atomics alone
 * (see "The fast path" below).
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

/* tv_gil_take()'s common case (gil off, or held) inlined. */
static inline TvFlow
gil_take (TvCtx *ctx, guint line)
{
  if (ctx->gil == 0 || ctx->gil_held)
    return TV_FLOW_OK;
  return tv_gil_take (ctx, line);
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

/*
 * The fast path.  A lock's or rlock's owner word is taken with one CAS and
 * given back with one store, without the engine lock: an uncontended pair
 * costs two atomics and its events.  Whatever must wait goes the slow way
 * (acquire_slow): under the engine lock it counts itself in `waiters`
 * (seq_cst), looks at the owner word again and blocks in tv_block() as
 * every other wait does, so that the watchdog, run control, stop and the
 * GIL see it as before.  A release stores the owner word (seq_cst) and
 * then reads `waiters`: either it sees the waiter, and wakes it under the
 * engine lock, or the waiter sees the lock free.  Nothing else changes the
 * word without the engine lock but its owner, so a thread blocked in
 * tv_block() keeps what it holds, and a cycle the watchdog finds among
 * blocked threads is still one.
 *
 * A semaphore's value is taken down by a CAS and given back by an add the
 * same way (release_semaphore() says who a waiter is told let it in).
 * Conditions, whose lock wait() and notify() use, stay on the engine lock
 * entirely, as do queues, events and barriers.
 */

/*
 * How many times a thread looks at a held lock's owner word before it
 * blocks in the kernel: ~400 ns here (a look is an L1 hit until the owner
 * writes the line), what an adaptive mutex spins, and several times the
 * other thread's turn in a tight `with L: x += 1` loop.  With 64 looks
 * (~50 ns) two such threads doing 1M turns each went through the kernel
 * ~75K times; with 256 to 2048, 1K to 40K times, as the load of the
 * machine went.  No PAUSE: on the virtual machine measured it costs
 * ~50 ns.
 */
#define TV_LOCK_SPINS 512

static inline gboolean
is_fast_kind (const TvObj *obj)
{
  return obj->kind == TV_OBJ_LOCK || obj->kind == TV_OBJ_RLOCK;
}

/* Whether acquire's slow path counts itself in `waiters`. */
static inline gboolean
counts_waiters (const TvObj *obj)
{
  return is_fast_kind (obj) || obj->kind == TV_OBJ_SEMAPHORE;
}

/* Whether what the waiters of a lock, rlock or semaphore wait for is
 * there now. */
static inline gboolean
is_available (TvObj *obj)
{
  if (obj->kind == TV_OBJ_SEMAPHORE)
    return atomic_load_explicit (&obj->value, memory_order_seq_cst) > 0;
  return atomic_load_explicit (&obj->owner, memory_order_seq_cst) == TV_NO_THREAD;
}

/* One try at a semaphore: a CAS from a value > 0 to one less.  Any
 * thread, with or without the engine lock. */
static inline gboolean
try_down (TvObj *obj)
{
  gint64 value = atomic_load_explicit (&obj->value, memory_order_relaxed);

  while (value > 0)
    if (atomic_compare_exchange_weak_explicit (&obj->value, &value, value - 1,
                                               memory_order_acquire,
                                               memory_order_relaxed))
      return TRUE;
  return FALSE;
}

static inline guint32
owner_of (TvObj *obj)
{
  return atomic_load_explicit (&obj->owner, memory_order_relaxed);
}

/* One try at a lock, rlock or condition: free, or held by `me` for the
 * re-entrant ones.  Any thread, with or without the engine lock. */
static inline gboolean
try_own (TvObj *obj, guint32 me, guint line)
{
  guint32 expected = TV_NO_THREAD;

  if (atomic_compare_exchange_strong_explicit (&obj->owner, &expected, me,
                                               memory_order_acquire,
                                               memory_order_relaxed))
    {
      obj->count = 1;
      atomic_store_explicit (&obj->owner_line, line, memory_order_relaxed);
      return TRUE;
    }
  if (expected == me && obj->kind != TV_OBJ_LOCK)
    {
      obj->count++;
      return TRUE;
    }
  return FALSE;
}

/* Acquire's slow path, under the engine lock (the fast paths may race
 * with it, hence the atomics). */
static gboolean
take_locked (TvObj *obj, guint32 me, guint line)
{
  if (obj->kind == TV_OBJ_SEMAPHORE)
    return try_down (obj);
  return try_own (obj, me, line);
}

/*
 * After a release's store: wakes one thread in the slow path of a lock,
 * rlock or semaphore, if one waits and no wake is on its way to one
 * already (engine lock not held).  A waiter clears `wake_sent` once it is
 * counted and each time it comes back from a wait, and only then looks at
 * the object (seq_cst, as the release's store and this exchange): either
 * it sees the object free, or a later release sees the flag cleared and
 * wakes it.
 */
static void
wake_waiter (TvShared *sh, TvObj *obj)
{
  if (atomic_load_explicit (&obj->waiters, memory_order_seq_cst) == 0
      || atomic_exchange_explicit (&obj->wake_sent, 1, memory_order_seq_cst) != 0)
    return;
  tv_shared_lock (sh);
  pthread_cond_signal (&obj->cond);
  tv_shared_unlock (sh);
}

/* A thread leaves a lock's or semaphore's slow path.  It may have been
 * the one a release woke: it passes the wake on when the object is there
 * and others still wait, whether it got the object or left without it
 * (timeout, stop).  Lock held. */
static void
leave_slow_locked (TvObj *obj)
{
  guint32 left;

  if (!counts_waiters (obj))
    return;
  left = atomic_fetch_sub_explicit (&obj->waiters, 1, memory_order_seq_cst) - 1;
  /*
   * Also when it got the object: a semaphore's value may have gone up by
   * more than one while only one wake was on its way (wake_waiter() sends
   * one at a time), and what is left belongs to the next waiter.  A lock
   * or rlock this thread now owns is not available, so no wake there.
   */
  if (left > 0 && is_available (obj))
    pthread_cond_signal (&obj->cond);
}

/*
 * Acquire when the fast path did not get it: everything as it always was,
 * under the engine lock.  `announced`: STATE(LOCK) already recorded (the
 * thread spun first).
 */
static TvFlow
acquire_slow (TvCtx        *ctx,
              const TvStmt *stmt,
              guint32       id,
              gint64        deadline,
              gboolean      blocking,
              gboolean      announced)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  gboolean waited = announced;
  guint32 releaser = TV_NO_THREAD;
  gint64 release_time = 0, t;

  tv_shared_lock (sh);
  if (counts_waiters (obj))
    atomic_fetch_add_explicit (&obj->waiters, 1, memory_order_seq_cst);
  for (;;)
    {
      TvBlockResult r;

      /* Counted, or back from a wait (woken or not): the next release
       * wakes a waiter again, whatever wake is still on its way (one that
       * reached nobody would otherwise leave the flag set for good). */
      if (counts_waiters (obj))
        atomic_store_explicit (&obj->wake_sent, 0, memory_order_seq_cst);
      if (take_locked (obj, ctx->index, line))
        break;
      if (!blocking)
        {
          leave_slow_locked (obj);
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
      if (!announced)
        tv_emit_state (ctx, obj->kind == TV_OBJ_SEMAPHORE ? TV_STATE_SEMAPHORE
                                                            : TV_STATE_LOCK,
                       line, id, 0);
      announced = TRUE;
      r = tv_block (ctx, &obj->cond,
                    obj->kind == TV_OBJ_SEMAPHORE ? TV_WAIT_SEMAPHORE : TV_WAIT_LOCK,
                    id, 0, line, deadline);
      if (r == TV_BLOCK_STOP)
        {
          leave_slow_locked (obj);
          tv_shared_unlock (sh);
          return TV_FLOW_STOP;
        }
      if (r == TV_BLOCK_TIMEOUT)
        {
          leave_slow_locked (obj);
          tv_shared_unlock (sh);
          tv_emit (ctx, TV_EV_ACQUIRE_FAILED, line, id, TV_NO_THREAD, 0);
          tv_emit_state (ctx, TV_STATE_RUNNING, line, 0, 0);
          ctx->acquired = FALSE;
          return gil_take (ctx, line);
        }
      waited = TRUE;
    }

  leave_slow_locked (obj);
  t = now (ctx);
  if (waited)
    {
      /* Atomic loads: a semaphore's releases write these without the
       * engine lock (release_semaphore()). */
      releaser = __atomic_load_n (&obj->last_thread, __ATOMIC_RELAXED);
      release_time = __atomic_load_n (&obj->last_time, __ATOMIC_RELAXED);
    }
  tv_shared_unlock (sh);

  tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, id, releaser, release_time);
  if (waited)
    tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
  ctx->acquired = TRUE;
  return gil_take (ctx, line);
}

TvFlow
tv_prim_acquire (TvCtx        *ctx,
                 const TvStmt *stmt,
                 guint32       id,
                 gint64        timeout,
                 gboolean      blocking)
{
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  guint32 me = ctx->index, owner;
  gint64 deadline, t;

  if (obj->kind == TV_OBJ_SEMAPHORE && try_down (obj))
    {
      t = now (ctx);
      tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, id, TV_NO_THREAD, 0);
      ctx->acquired = TRUE;
      return gil_take (ctx, line);
    }
  if (!is_fast_kind (obj))
    return acquire_slow (ctx, stmt, id, deadline_after (ctx, timeout),
                         blocking, FALSE);

  if (try_own (obj, me, line))
    {
      t = now (ctx);
      tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, id, TV_NO_THREAD, 0);
      ctx->acquired = TRUE;
      return gil_take (ctx, line);
    }
  if (!blocking)
    {
      tv_emit (ctx, TV_EV_ACQUIRE_FAILED, line, id, TV_NO_THREAD, 0);
      ctx->acquired = FALSE;
      return TV_FLOW_OK;
    }

  deadline = deadline_after (ctx, timeout);
  owner = owner_of (obj);
  /*
   * Held by another thread: it waits from now on.  A short spin on the
   * owner word first, so that two threads taking turns do not pay a
   * kernel sleep and wake-up each time; not with the GIL (the owner may
   * need it, and the GIL is given up before the wait is recorded), not
   * while paused (the owner is held at its gate), not on its own lock.
   */
  if (ctx->gil_held || owner == me
      || atomic_load_explicit (&ctx->sh->paused, memory_order_relaxed))
    return acquire_slow (ctx, stmt, id, deadline, TRUE, FALSE);

  tv_emit_state (ctx, TV_STATE_LOCK, line, id, 0);
  for (guint spin = 0; spin < TV_LOCK_SPINS; spin++)
    {
      if (owner_of (obj) == TV_NO_THREAD && try_own (obj, me, line))
        {
          guint32 releaser = obj->last_thread;
          gint64 release_time = obj->last_time;

          t = now (ctx);
          tv_emit_at (ctx, t, TV_EV_ACQUIRE, line, id, releaser, release_time);
          tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
          ctx->acquired = TRUE;
          return gil_take (ctx, line);
        }
      atomic_signal_fence (memory_order_seq_cst);
    }
  return acquire_slow (ctx, stmt, id, deadline, TRUE, TRUE);
}

/* A release of what the thread does not hold: the run's error. */
static TvFlow
release_not_held (TvCtx *ctx, const TvStmt *stmt, guint32 id, TvObj *obj)
{
  TvShared *sh = ctx->sh;
  g_autofree char *holder = NULL;
  guint32 owner;

  tv_shared_lock (sh);
  owner = owner_of (obj);
  if (owner != TV_NO_THREAD)
    holder = g_strdup_printf (" (thread '%s' holds it)",
                              TV_SH_SLOTS (sh)[owner].name);
  tv_shared_unlock (sh);
  return tv_run_fail (ctx, TV_RUN_ERROR_NOT_HELD, stmt->location,
                      "release of %s '%s' that thread '%s' does not hold%s",
                      kind_word (obj), tv_run_object_name (ctx->run, id),
                      me_name (ctx), holder ? holder : "");
}

/*
 * A semaphore is released by any thread, and a waiter may take the value
 * a release adds before the releaser could take the engine lock to say who
 * it was: so `last_thread` and `last_time` (who let a waiter in, and when)
 * are written first, by atomic stores without the lock, and published by
 * the add (a waiter's CAS that takes the value sees them).  Two releases at
 * the same moment may leave one's thread with the other's time; a waiter
 * is never told that it let itself in.  A release that then finds a waiter
 * wakes it under the lock (the waiter counts itself before it looks at the
 * value, so one of the two sees the other).
 */
static TvFlow
release_semaphore (TvCtx *ctx, const TvStmt *stmt, guint32 id, TvObj *obj)
{
  TvShared *sh = ctx->sh;
  gint64 t = now (ctx);

  __atomic_store_n (&obj->last_thread, ctx->index, __ATOMIC_RELAXED);
  __atomic_store_n (&obj->last_time, t, __ATOMIC_RELAXED);
  atomic_fetch_add_explicit (&obj->value, 1, memory_order_seq_cst);
  wake_waiter (sh, obj);
  tv_emit_at (ctx, t, TV_EV_RELEASE, line_of (stmt), id, 0, 0);
  return TV_FLOW_OK;
}

TvFlow
tv_prim_release (TvCtx *ctx, const TvStmt *stmt, guint32 id)
{
  TvShared *sh = ctx->sh;
  TvObj *obj = obj_get (ctx, id);
  guint line = line_of (stmt);
  guint32 left = 0;
  gint64 t;

  if (obj->kind != TV_OBJ_SEMAPHORE && owner_of (obj) != ctx->index)
    return release_not_held (ctx, stmt, id, obj);

  if (is_fast_kind (obj))
    {
      /* The owner's own fields: no lock.  The time is taken before the
       * store, so that the next holder's ACQUIRE comes after it. */
      t = now (ctx);
      left = --obj->count;
      if (left == 0)
        {
          obj->last_thread = ctx->index;
          obj->last_time = t;
          atomic_store_explicit (&obj->owner, TV_NO_THREAD, memory_order_seq_cst);
          wake_waiter (sh, obj);
        }
      tv_emit_at (ctx, t, TV_EV_RELEASE, line, id, 0, left);
      return TV_FLOW_OK;
    }

  if (obj->kind == TV_OBJ_SEMAPHORE)
    return release_semaphore (ctx, stmt, id, obj);

  tv_shared_lock (sh);
  t = now (ctx);
  left = --obj->count;
  if (left == 0)
    {
      atomic_store_explicit (&obj->owner, TV_NO_THREAD, memory_order_relaxed);
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
  return gil_take (ctx, line);
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
  return gil_take (ctx, line);
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
  return gil_take (ctx, line);
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
  return gil_take (ctx, line);
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
  return gil_take (ctx, line);
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
