/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-interp.c: the statement interpreter and the life of a scenario thread
 * (start, spawn, join, end).
 *
 * Every scenario thread is a real pthread running tv_interp_thread_main()
 * on its own TvCtx.  Statements return TV_FLOW_STOP to unwind the thread
 * when the run is stopped or has failed; the stop flag is also checked
 * before every statement, so that even a `forever` of non-blocking
 * statements ends promptly.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tv-run-private.h"

#define TV_THREAD_STACK (1024 * 1024)

void
tv_ctx_init (TvRun *run, guint32 index, guint32 body)
{
  TvCtx *ctx = &run->ctxs[index];

  memset (ctx, 0, sizeof *ctx);
  ctx->run = run;
  ctx->sh = run->sh;
  ctx->slot = &TV_SH_SLOTS (run->sh)[index];
  ctx->ring = tv_recorder_get_ring (run->recorder, index);
  ctx->index = index;
  ctx->body = body;
  ctx->buffer = g_string_sized_new (128);
}

void
tv_ctx_clear (TvCtx *ctx)
{
  if (ctx->buffer)
    g_string_free (ctx->buffer, TRUE);
  ctx->buffer = NULL;
}

static inline gint64
now (TvCtx *ctx)
{
  return tv_clock_now (&ctx->sh->clock);
}

/* tv_shared_stopping(), inlined: it is asked at every statement. */
static inline gboolean
stopping (TvCtx *ctx)
{
  return atomic_load_explicit (&ctx->sh->stop, memory_order_relaxed) != 0;
}

/*
 * tv_control_gate()'s common case inlined into the statement loop: record
 * the line, one relaxed load of the pause flag, one of the stop flag.
 * Only a paused run calls the real gate (which records the line again and
 * looks once more under the engine lock).
 */
static inline TvFlow
gate (TvCtx *ctx, guint line)
{
  atomic_store_explicit (&ctx->slot->line, line, memory_order_relaxed);
  if (G_UNLIKELY (atomic_load_explicit (&ctx->sh->paused, memory_order_relaxed)))
    return tv_control_gate (ctx, line);
  return stopping (ctx) ? TV_FLOW_STOP : TV_FLOW_OK;
}

/* --- time ------------------------------------------------------------- */

TvFlow
tv_interp_work (TvCtx *ctx, gint64 duration, guint line)
{
  gint64 last = now (ctx);
  gint64 left = duration;

  /* Only time spent holding the GIL (when there is one) counts as work,
   * as only a thread holding it runs Python code. */
  for (;;)
    {
      gint64 t;

      if (tv_shared_stopping (ctx->sh))
        return TV_FLOW_STOP;
      /* Paused (the controller paused the clock): no time passes, so
       * there is no point in burning the processor meanwhile. */
      if (tv_clock_is_paused (&ctx->sh->clock))
        g_usleep (1000);
      t = now (ctx);
      left -= t - last;
      last = t;
      if (left <= 0)
        return TV_FLOW_OK;
      if (ctx->gil_held
          && atomic_load_explicit (&TV_SH_OBJECTS (ctx->sh)[ctx->gil - 1].gil_drop_request,
                                   memory_order_relaxed))
        {
          gint64 dropped_at;

          if (tv_gil_check (ctx, line, &dropped_at) != TV_FLOW_OK)
            return TV_FLOW_STOP;
          /* Handed over and back: it worked until it gave the GIL up, and
           * the time without it is no work. */
          if (dropped_at >= 0)
            {
              left -= dropped_at - last;
              last = ctx->gil_since;
            }
        }
    }
}

static TvFlow
sleep_for (TvCtx *ctx, const TvStmt *stmt, TvThreadState state)
{
  guint line = stmt->location.line;
  TvBlockResult r;

  tv_gil_drop (ctx, line);
  tv_emit_state (ctx, state, line, 0, 0);
  tv_shared_lock (ctx->sh);
  r = tv_block (ctx, &ctx->slot->cond, TV_WAIT_SLEEP, 0, 0, line,
                now (ctx) + MAX (stmt->duration, 0));
  tv_shared_unlock (ctx->sh);
  if (r == TV_BLOCK_STOP)
    return TV_FLOW_STOP;
  tv_emit_state (ctx, TV_STATE_RUNNING, line, 0, 0);
  return tv_gil_take (ctx, line);
}

/* --- threads ------------------------------------------------------------ */

static uint64_t
add_string (TvCtx *ctx, const char *text)
{
  return tv_recorder_add_string (ctx->run->recorder, text, strlen (text));
}

/* Creates the pthread of slot `index` (already marked alive). */
static TvFlow
create_thread (TvCtx *ctx, const TvStmt *stmt, guint32 index)
{
  TvRun *run = ctx->run;
  pthread_attr_t attr;
  pthread_t thread;
  int err;

  pthread_attr_init (&attr);
  pthread_attr_setstacksize (&attr, TV_THREAD_STACK);
  err = pthread_create (&thread, &attr, tv_interp_thread_main, &run->ctxs[index]);
  pthread_attr_destroy (&attr);

  tv_shared_lock (ctx->sh);
  if (err == 0)
    {
      run->threads[index] = thread;
      run->created[index] = TRUE;
    }
  else
    {
      TV_SH_SLOTS (ctx->sh)[index].life = TV_SLOT_ENDED;
      pthread_cond_broadcast (&ctx->sh->all_ended);
    }
  tv_shared_unlock (ctx->sh);

  if (err != 0)
    return tv_run_fail (ctx, TV_RUN_ERROR_SYSTEM, stmt->location,
                        "cannot create thread '%s': %s",
                        TV_SH_SLOTS (ctx->sh)[index].name, g_strerror (err));
  return TV_FLOW_OK;
}

static TvFlow
start_body (TvCtx *ctx, const TvStmt *stmt)
{
  TvRun *run = ctx->run;
  const TvBodyDecl *body = &run->scenario->bodies[stmt->target];
  guint first = run->body_first_slot[stmt->target];

  if (body->kind == TV_BODY_PROCESS)
    return tv_process_start (ctx, stmt);

  for (guint k = 0; k < body->count; k++)
    {
      TvSlot *slot = &TV_SH_SLOTS (ctx->sh)[first + k];

      tv_shared_lock (ctx->sh);
      if (slot->life != TV_SLOT_NEW)
        {
          tv_shared_unlock (ctx->sh);
          return tv_run_fail (ctx, TV_RUN_ERROR_ALREADY_STARTED, stmt->location,
                              "thread '%s' is started a second time (a thread "
                              "can only be started once)", slot->name);
        }
      slot->life = TV_SLOT_ALIVE;
      slot->process = ctx->slot->process;
      slot->starter = ctx->index;
      slot->start_time = now (ctx);
      ctx->sh->progress++;
      tv_shared_unlock (ctx->sh);

      if (create_thread (ctx, stmt, first + k) != TV_FLOW_OK)
        return TV_FLOW_STOP;
    }
  return TV_FLOW_OK;
}

static TvFlow
spawn_def (TvCtx *ctx, const TvStmt *stmt)
{
  TvRun *run = ctx->run;
  TvShared *sh = ctx->sh;
  const TvBodyDecl *body = &run->scenario->bodies[stmt->target];
  guint index = G_MAXUINT, nth;
  TvSlot *slot;
  TvCtx *child;

  tv_shared_lock (sh);
  for (guint i = run->spawn_base; i < run->n_slots; i++)
    if (TV_SH_SLOTS (sh)[i].life == TV_SLOT_UNUSED)
      {
        index = i;
        break;
      }
  if (index == G_MAXUINT)
    {
      tv_shared_unlock (sh);
      return tv_run_fail (ctx, TV_RUN_ERROR_LIMIT, stmt->location,
                          "too many spawned threads (at most %u in this scenario)",
                          run->n_slots - run->spawn_base);
    }
  slot = &TV_SH_SLOTS (sh)[index];
  nth = atomic_fetch_add (&run->spawn_counts[stmt->target], 1) + 1;
  if (nth == 1)
    g_strlcpy (slot->name, body->name, sizeof slot->name);
  else
    g_snprintf (slot->name, sizeof slot->name, "%s-%u", body->name, nth);
  slot->life = TV_SLOT_ALIVE;
  slot->body = stmt->target;
  slot->process = ctx->slot->process;
  slot->starter = ctx->index;
  slot->start_time = now (ctx);
  sh->progress++;
  tv_shared_unlock (sh);

  /* Nobody records on the new ring yet: the spawner may, until the thread
   * exists (pthread_create orders it before the thread's own events). */
  tv_ctx_init (run, index, stmt->target);
  child = &run->ctxs[index];
  tv_emit (child, TV_EV_THREAD_NEW, stmt->location.line, slot->process,
           ctx->index, (gint64) add_string (child, slot->name));
  return create_thread (ctx, stmt, index);
}

static TvFlow
join_body (TvCtx *ctx, const TvStmt *stmt)
{
  TvRun *run = ctx->run;
  TvShared *sh = ctx->sh;
  const TvBodyDecl *body = &run->scenario->bodies[stmt->target];
  guint first = run->body_first_slot[stmt->target];
  guint line = stmt->location.line;
  gint64 deadline = stmt->duration >= 0 ? now (ctx) + stmt->duration : -1;

  for (guint k = 0; k < body->count; k++)
    {
      guint32 index = first + k;
      TvSlot *target = &TV_SH_SLOTS (sh)[index];
      TvBlockResult r;
      gint64 t;

      tv_shared_lock (sh);
      if (target->life == TV_SLOT_NEW)
        {
          tv_shared_unlock (sh);
          return tv_run_fail (ctx, TV_RUN_ERROR_NOT_STARTED, stmt->location,
                              "join of %s '%s' that was never started",
                              body->kind == TV_BODY_PROCESS ? "process" : "thread",
                              target->name);
        }
      if (target->life == TV_SLOT_ENDED)
        {
          /* join returns at once; still show which end it returned for. */
          t = now (ctx);
          tv_emit_at (ctx, t, TV_EV_STATE, line, 0, index, TV_STATE_JOIN);
          tv_emit_at (ctx, t, TV_EV_LINK, TV_LINK_JOIN, 0, index, target->exit_time);
          tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
          tv_shared_unlock (sh);
          continue;
        }
      if (ctx->gil_held)
        {
          tv_shared_unlock (sh);
          tv_gil_drop (ctx, line);
          tv_shared_lock (sh);
        }
      tv_emit_state (ctx, TV_STATE_JOIN, line, 0, index);
      r = tv_block (ctx, &target->cond, TV_WAIT_JOIN, 0, index, line, deadline);
      t = now (ctx);
      if (r == TV_BLOCK_READY)
        tv_emit_at (ctx, t, TV_EV_LINK, TV_LINK_JOIN, 0, index, target->exit_time);
      tv_shared_unlock (sh);
      if (r == TV_BLOCK_STOP)
        return TV_FLOW_STOP;
      tv_emit_at (ctx, t, TV_EV_STATE, line, 0, 0, TV_STATE_RUNNING);
      if (r == TV_BLOCK_TIMEOUT)
        break;
    }
  return tv_gil_take (ctx, line);
}

/*
 * A thread's end must reach the trace (without it the thread would run on
 * to the end of the timeline): when its own ring is full, as it is for a
 * thread that records flat out until the stop, THREAD_EXIT goes on the
 * controller's ring, which the engine lock makes single-producer and which
 * is drained after the thread's own.  Lock held.
 */
static void
emit_exit_locked (TvCtx *ctx, gint64 time)
{
  TvRing *ring = ctx->ring;
  TvEvent ev;

  ev.time = time;
  ev.arg = 0;
  ev.thread = ctx->index;
  ev.object = 0;
  ev.aux = 0;
  ev.kind = TV_EV_THREAD_EXIT;
  ev.line = 0;
  /* Full: the consumer frees room, never takes it, so a ring seen with
   * room keeps it for this one event. */
  if (atomic_load_explicit (&ring->head, memory_order_relaxed)
      - atomic_load_explicit (&ring->tail, memory_order_acquire) > ring->mask)
    ring = ctx->run->control_ring;
  tv_ring_emit (ring, &ev);
}

void
tv_interp_thread_end (TvCtx *ctx)
{
  TvShared *sh = ctx->sh;

  tv_gil_drop (ctx, 0);
  tv_shared_lock (sh);
  ctx->slot->exit_time = now (ctx);
  emit_exit_locked (ctx, ctx->slot->exit_time);
  ctx->slot->life = TV_SLOT_ENDED;
  if (sh->step_thread == ctx->index)
    tv_control_step_done_locked (ctx->run);
  sh->progress++;
  pthread_cond_broadcast (&ctx->slot->cond);
  pthread_cond_broadcast (&sh->all_ended);
  tv_shared_unlock (sh);
}

void
tv_interp_thread_begin (TvCtx *ctx)
{
  tv_shared_lock (ctx->sh);
  ctx->slot->pid = (int32_t) getpid ();
  tv_shared_unlock (ctx->sh);
  ctx->gil = tv_process_gil (ctx->run, ctx->slot->process);
  tv_emit (ctx, TV_EV_THREAD_OS, 0, 0, (guint32) getpid (),
           (gint64) syscall (SYS_gettid));
  tv_emit (ctx, TV_EV_THREAD_START, 0, 0, ctx->slot->starter,
           ctx->slot->start_time);
}

void *
tv_interp_thread_main (void *data)
{
  TvCtx *ctx = data;
  const TvBodyDecl *body = &ctx->run->scenario->bodies[ctx->body];

  tv_interp_thread_begin (ctx);
  if (tv_gil_take (ctx, body->location.line) == TV_FLOW_OK && body->block)
    tv_interp_block (ctx, body->block);
  tv_interp_thread_end (ctx);
  return NULL;
}

/* --- statements ----------------------------------------------------------- */

static TvFlow
print_line (TvCtx *ctx, const TvStmt *stmt)
{
  TvShared *sh = ctx->sh;
  int fd = ctx->run->options.print_fd;
  uint64_t id;
  gint64 t;

  tv_template_render (ctx, stmt->text, ctx->buffer);
  id = add_string (ctx, ctx->buffer->str);
  g_string_append_c (ctx->buffer, '\n');

  /* One lock across processes: what is written first is recorded first. */
  tv_shared_print_lock (sh);
  t = now (ctx);
  if (fd >= 0)
    {
      const char *p = ctx->buffer->str;
      size_t left = ctx->buffer->len;

      while (left > 0)
        {
          ssize_t n = write (fd, p, left);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          p += n;
          left -= (size_t) n;
        }
    }
  tv_emit_at (ctx, t, TV_EV_PRINT, stmt->location.line, 0, 0, (gint64) id);
  tv_shared_print_unlock (sh);
  return TV_FLOW_OK;
}

static TvFlow
rename_thread (TvCtx *ctx, const TvStmt *stmt)
{
  tv_template_render (ctx, stmt->text, ctx->buffer);
  tv_shared_lock (ctx->sh);
  g_strlcpy (ctx->slot->name, ctx->buffer->str, sizeof ctx->slot->name);
  tv_shared_unlock (ctx->sh);
  tv_emit (ctx, TV_EV_THREAD_NAME, stmt->location.line, 0, 0,
           (gint64) add_string (ctx, ctx->buffer->str));
  return TV_FLOW_OK;
}

static TvFlow
add_assign (TvCtx *ctx, const TvStmt *stmt)
{
  guint line = stmt->location.line;
  gint64 old, delta;

  /* A real read-modify-write: another thread may write in between. */
  old = tv_var_read (ctx, (guint) stmt->var, line);
  if (tv_expr_eval (ctx, stmt->expr, line, &delta) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  if (stmt->duration > 0 && tv_interp_work (ctx, stmt->duration, line) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  /* A boundary of its own, so that a step runs the read and the write
   * apart and a learner can lose an update by hand. */
  if (gate (ctx, line) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  tv_var_write (ctx, (guint) stmt->var, (gint64) ((guint64) old + (guint64) delta), line);
  return TV_FLOW_OK;
}

static TvFlow
loop (TvCtx *ctx, const TvStmt *stmt)
{
  TvFlow flow = TV_FLOW_OK;
  guint top;

  if (ctx->n_counters >= TV_MAX_COUNTERS)
    return tv_run_fail (ctx, TV_RUN_ERROR_LIMIT, stmt->location,
                        "loops nested more than %d deep", TV_MAX_COUNTERS);
  top = ctx->n_counters++;
  for (gint64 i = 1; stmt->kind == TV_STMT_FOREVER || i <= stmt->count; i++)
    {
      ctx->counters[top] = i;
      if (stopping (ctx))
        {
          flow = TV_FLOW_STOP;
          break;
        }
      if (stmt->body && (flow = tv_interp_block (ctx, stmt->body)) != TV_FLOW_OK)
        break;
    }
  ctx->n_counters = top;
  return flow;
}

static TvFlow
with_block (TvCtx *ctx, const TvStmt *stmt)
{
  guint32 id = stmt->target + 1;

  if (tv_prim_acquire (ctx, stmt, id, -1, TRUE) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  if (stmt->body && tv_interp_block (ctx, stmt->body) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  /* The release at the end of the block is a step of its own. */
  if (gate (ctx, stmt->location.line) != TV_FLOW_OK)
    return TV_FLOW_STOP;
  return tv_prim_release (ctx, stmt, id);
}

static TvFlow
exec_stmt (TvCtx *ctx, const TvStmt *stmt)
{
  guint line = stmt->location.line;
  guint32 id = stmt->target + 1;   /* for object statements */

  switch (stmt->kind)
    {
    case TV_STMT_START:
      return start_body (ctx, stmt);
    case TV_STMT_JOIN:
      return join_body (ctx, stmt);
    case TV_STMT_SPAWN:
      return spawn_def (ctx, stmt);
    case TV_STMT_CALL:
      {
        const TvBodyDecl *body = &ctx->run->scenario->bodies[stmt->target];
        TvFlow flow;

        if (ctx->call_depth >= TV_MAX_CALL_DEPTH)
          return tv_run_fail (ctx, TV_RUN_ERROR_LIMIT, stmt->location,
                              "calls nested more than %d deep (is '%s' calling itself?)",
                              TV_MAX_CALL_DEPTH, body->name);
        ctx->call_depth++;
        flow = body->block ? tv_interp_block (ctx, body->block) : TV_FLOW_OK;
        ctx->call_depth--;
        return flow;
      }
    case TV_STMT_SLEEP:
      return sleep_for (ctx, stmt, TV_STATE_SLEEPING);
    case TV_STMT_IO:
      return sleep_for (ctx, stmt, TV_STATE_IO);
    case TV_STMT_WORK:
      return tv_interp_work (ctx, stmt->duration, line);
    case TV_STMT_YIELD:
      tv_gil_drop (ctx, line);
      sched_yield ();
      return tv_gil_take (ctx, line);
    case TV_STMT_ACQUIRE:
      return tv_prim_acquire (ctx, stmt, id, stmt->duration, TRUE);
    case TV_STMT_TRY_ACQUIRE:
      return tv_prim_acquire (ctx, stmt, id, -1, FALSE);
    case TV_STMT_RELEASE:
      return tv_prim_release (ctx, stmt, id);
    case TV_STMT_WITH:
      return with_block (ctx, stmt);
    case TV_STMT_PUT:
      {
        gint64 value;

        if (stmt->expr == NULL)
          return tv_prim_put (ctx, stmt, id, NULL);
        if (tv_expr_eval (ctx, stmt->expr, line, &value) != TV_FLOW_OK)
          return TV_FLOW_STOP;
        return tv_prim_put (ctx, stmt, id, &value);
      }
    case TV_STMT_GET:
      return tv_prim_get (ctx, stmt, id);
    case TV_STMT_TASK_DONE:
      return tv_prim_task_done (ctx, stmt, id);
    case TV_STMT_JOIN_QUEUE:
      return tv_prim_join_queue (ctx, stmt, id);
    case TV_STMT_SET:
      return tv_prim_set (ctx, stmt, id);
    case TV_STMT_CLEAR:
      return tv_prim_clear (ctx, stmt, id);
    case TV_STMT_WAIT:
      return tv_prim_wait (ctx, stmt, id);
    case TV_STMT_NOTIFY:
      return tv_prim_notify (ctx, stmt, id);
    case TV_STMT_ASSIGN:
      {
        gint64 value;

        if (tv_expr_eval (ctx, stmt->expr, line, &value) != TV_FLOW_OK)
          return TV_FLOW_STOP;
        tv_var_write (ctx, (guint) stmt->var, value, line);
        return TV_FLOW_OK;
      }
    case TV_STMT_ADD_ASSIGN:
      return add_assign (ctx, stmt);
    case TV_STMT_PRINT:
      return print_line (ctx, stmt);
    case TV_STMT_STOPWATCH:
      tv_var_store (ctx, (guint) stmt->var, now (ctx));
      return TV_FLOW_OK;
    case TV_STMT_RENAME:
      return rename_thread (ctx, stmt);
    case TV_STMT_REPEAT:
    case TV_STMT_FOREVER:
      return loop (ctx, stmt);
    case TV_STMT_IF:
      {
        gboolean yes;

        if (tv_cond_eval (ctx, stmt->cond, line, &yes) != TV_FLOW_OK)
          return TV_FLOW_STOP;
        if (yes && stmt->body)
          return tv_interp_block (ctx, stmt->body);
        if (!yes && stmt->else_body)
          return tv_interp_block (ctx, stmt->else_body);
        return TV_FLOW_OK;
      }
    }
  return TV_FLOW_OK;
}

TvFlow
tv_interp_block (TvCtx *ctx, const TvBlock *block)
{
  for (guint i = 0; i < block->n_stmts; i++)
    {
      /* Checks the stop flag too, so a `forever` of statements that never
       * block ends promptly. */
      if (gate (ctx, block->stmts[i].location.line) != TV_FLOW_OK)
        return TV_FLOW_STOP;
      if (exec_stmt (ctx, &block->stmts[i]) != TV_FLOW_OK)
        return TV_FLOW_STOP;
    }
  return TV_FLOW_OK;
}
