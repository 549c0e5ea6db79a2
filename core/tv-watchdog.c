/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-watchdog.c: deadlock and stall detection.
 *
 * Every 20 ms the watchdog takes the engine lock and looks at the wait-for
 * graph.  A live thread is *stuck* when it waits without a timeout for
 * something that is not there now (tv_slot_ready() is false); sleeping,
 * working and waiting for the GIL never count, because they end by
 * themselves.  A stuck thread has at most one outgoing edge: to the owner
 * of the lock (rlock, condition lock) it waits for, or to the thread it
 * joins.  Because edges leave stuck threads only, a cycle is a deadlock: no
 * member can ever move.  A stall is every live thread stuck (whatever they
 * wait for, nobody is left to provide it); it is only declared when two
 * scans in a row saw it with no wait changing in between, so a thread that
 * was just signalled and has not yet run is never mistaken for stuck.
 *
 * Either ends the run: the report (see docs/engine.md for its format) is
 * the run's error message, every member is marked so that it records a
 * TV_EV_DEADLOCK on its own ring when the stop wakes it.
 */
#define G_LOG_DOMAIN "tv-engine"

#include "config.h"

#include "tv-run-private.h"

#define TV_WATCHDOG_PERIOD_US (20 * G_TIME_SPAN_MILLISECOND)

static gboolean
is_stuck (TvShared *sh, const TvSlot *slot)
{
  if (slot->life != TV_SLOT_ALIVE || slot->wait_timed)
    return FALSE;
  switch ((TvWaitKind) slot->wait_kind)
    {
    case TV_WAIT_NONE:
    case TV_WAIT_SLEEP:
    case TV_WAIT_GIL:
      return FALSE;
    default:
      return !tv_slot_ready (sh, slot);
    }
}

/* The thread a stuck thread waits for, or TV_NO_THREAD. */
static guint32
edge_of (TvShared *sh, const TvSlot *slot)
{
  if (slot->wait_kind == TV_WAIT_LOCK)
    return TV_SH_OBJECTS (sh)[slot->wait_object - 1].owner;
  if (slot->wait_kind == TV_WAIT_JOIN)
    return slot->wait_thread;
  return TV_NO_THREAD;
}

static void
describe_object (TvRun *run, GString *out, guint32 id)
{
  TvObj *obj = &TV_SH_OBJECTS (run->sh)[id - 1];

  g_string_append_printf (out, "%s '%s'",
                          tv_object_kind_to_string ((TvObjectKind) obj->kind),
                          tv_run_object_name (run, id));
}

void
tv_watchdog_describe_wait (TvRun *run, GString *out, const TvSlot *slot)
{
  TvShared *sh = run->sh;
  TvObj *obj = slot->wait_object ? &TV_SH_OBJECTS (sh)[slot->wait_object - 1] : NULL;
  /* A process's main thread waits for its threads after its body, on no
   * statement: its body's line says where. */
  g_autofree char *where = tv_run_where (run, slot->wait_line > 0
                                              ? slot->wait_line
                                              : run->scenario->bodies[slot->body].location.line);

  switch ((TvWaitKind) slot->wait_kind)
    {
    case TV_WAIT_LOCK:
      g_string_append (out, "waits for ");
      describe_object (run, out, slot->wait_object);
      break;
    case TV_WAIT_SEMAPHORE:
      g_string_append (out, "waits for ");
      describe_object (run, out, slot->wait_object);
      g_string_append (out, " (its value is 0)");
      break;
    case TV_WAIT_QUEUE_GET:
      g_string_append (out, "waits for an item in ");
      describe_object (run, out, slot->wait_object);
      break;
    case TV_WAIT_QUEUE_PUT:
      g_string_append (out, "waits for room in ");
      describe_object (run, out, slot->wait_object);
      g_string_append_printf (out, " (full: %u items)", obj->len);
      break;
    case TV_WAIT_QUEUE_JOIN:
      g_string_append (out, "waits for every item of ");
      describe_object (run, out, slot->wait_object);
      g_string_append_printf (out, " to be done (%" G_GINT64_FORMAT " not done)",
                              obj->unfinished);
      break;
    case TV_WAIT_EVENT:
      g_string_append (out, "waits for ");
      describe_object (run, out, slot->wait_object);
      g_string_append (out, " to be set");
      break;
    case TV_WAIT_CONDITION:
      g_string_append (out, "waits for a notify on ");
      describe_object (run, out, slot->wait_object);
      break;
    case TV_WAIT_BARRIER:
      g_string_append (out, "waits at ");
      describe_object (run, out, slot->wait_object);
      g_string_append_printf (out, " (%u of %" G_GINT64_FORMAT " there)",
                              obj->arrived, obj->param);
      break;
    case TV_WAIT_JOIN:
      g_string_append_printf (out, "waits for thread '%s' to end",
                              TV_SH_SLOTS (sh)[slot->wait_thread].name);
      break;
    default:
      g_string_append (out, "runs");
      break;
    }
  g_string_append_printf (out, " (%s)", where);

  /* The classic mistake: a lock nobody can release any more.  Its owner
   * word is read once: a lock changes hands without the engine lock. */
  if (slot->wait_kind == TV_WAIT_LOCK)
    {
      guint32 owner = obj->owner;

      if (owner != TV_NO_THREAD && owner < sh->n_slots
          && TV_SH_SLOTS (sh)[owner].life == TV_SLOT_ENDED)
        {
          g_autofree char *taken = tv_run_where (run, obj->owner_line);

          g_string_append_printf (out, "; thread '%s' took it (%s) and ended without "
                                  "releasing it", TV_SH_SLOTS (sh)[owner].name, taken);
        }
    }
}

static void
report_deadlock (TvRun *run, const guint32 *cycle, guint n)
{
  TvShared *sh = run->sh;
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "deadlock: %u thread%s wait%s for each other in a cycle",
                          n, n == 1 ? "" : "s", n == 1 ? "s" : "");
  for (guint k = 0; k < n; k++)
    {
      TvSlot *slot = &TV_SH_SLOTS (sh)[cycle[k]];
      TvSlot *prev = &TV_SH_SLOTS (sh)[cycle[(k + n - 1) % n]];

      g_string_append_printf (out, "\n  thread '%s' ", slot->name);
      /* What it holds that the previous member waits for. */
      if (prev->wait_kind == TV_WAIT_LOCK)
        {
          TvObj *held = &TV_SH_OBJECTS (sh)[prev->wait_object - 1];
          g_autofree char *where = tv_run_where (run, held->owner_line);

          g_string_append (out, "holds ");
          describe_object (run, out, prev->wait_object);
          g_string_append_printf (out, " (%s) and ", where);
        }
      tv_watchdog_describe_wait (run, out, slot);

      slot->deadlocked = TRUE;
      slot->deadlock_object = slot->wait_object;
      slot->deadlock_holder = cycle[(k + 1) % n];
    }
  tv_run_fail_locked (run, TV_RUN_ERROR_DEADLOCK, g_string_free (out, FALSE));
}

static void
report_stall (TvRun *run)
{
  TvShared *sh = run->sh;
  GString *out = g_string_new ("stall: every live thread waits and nothing can wake it");

  for (guint i = 0; i < sh->n_slots; i++)
    {
      TvSlot *slot = &TV_SH_SLOTS (sh)[i];

      if (slot->life != TV_SLOT_ALIVE)
        continue;
      g_string_append_printf (out, "\n  thread '%s' ", slot->name);
      tv_watchdog_describe_wait (run, out, slot);
      slot->deadlocked = TRUE;
      slot->deadlock_object = slot->wait_object;
      slot->deadlock_holder = edge_of (sh, slot);
    }
  tv_run_fail_locked (run, TV_RUN_ERROR_STALL, g_string_free (out, FALSE));
}

gboolean
tv_watchdog_scan (TvRun *run, guint64 *last_progress, guint *stall_scans)
{
  TvShared *sh = run->sh;
  guint n = sh->n_slots, n_live = 0, n_stuck = 0;
  g_autofree guint8 *color = g_new0 (guint8, n);
  g_autofree guint32 *path = g_new (guint32, n + 1);
  gboolean found = FALSE;

  /* Not on a lock a frozen process holds: see watch_the_stop(). */
  if (!tv_shared_lock_until (sh, tv_clock_wall_ns () + TV_WATCHDOG_PERIOD_US * 1000))
    return FALSE;
  if (tv_shared_stopping (sh))
    {
      tv_shared_unlock (sh);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      if (TV_SH_SLOTS (sh)[i].life == TV_SLOT_ALIVE)
        n_live++;
      if (is_stuck (sh, &TV_SH_SLOTS (sh)[i]))
        n_stuck++;
    }

  /* Cycles: out-degree <= 1, so follow each path once. */
  for (guint i = 0; i < n && !found && n_stuck > 0; i++)
    {
      guint len = 0;
      guint32 cur = i;

      while (cur != TV_NO_THREAD && color[cur] == 0)
        {
          color[cur] = 1;
          path[len++] = cur;
          cur = is_stuck (sh, &TV_SH_SLOTS (sh)[cur]) ? edge_of (sh, &TV_SH_SLOTS (sh)[cur])
                                               : TV_NO_THREAD;
        }
      if (cur != TV_NO_THREAD && color[cur] == 1)
        {
          guint start = 0;

          while (path[start] != cur)
            start++;
          report_deadlock (run, path + start, len - start);
          found = TRUE;
        }
      for (guint k = 0; k < len; k++)
        color[path[k]] = 2;
    }

  /* A paused run is no stall: held threads have no wait (they are never
   * stuck), and while the clock stands still nothing is declared either,
   * whoever paused it. */
  if (!found && n_live > 0 && n_stuck == n_live
      && !atomic_load_explicit (&sh->paused, memory_order_relaxed)
      && !tv_clock_is_paused (&sh->clock))
    {
      if (*stall_scans > 0 && *last_progress == sh->progress)
        {
          report_stall (run);
          found = TRUE;
        }
      else
        (*stall_scans)++;
    }
  else
    *stall_scans = 0;
  *last_progress = sh->progress;

  tv_shared_unlock (sh);
  return found;
}

/*
 * A process of the run frozen (SIGSTOP, a debugger) while it holds the
 * engine lock would hang everyone who needs the lock, a stop included: the
 * runner and the threads wait for it, and tv_run_stop() could only leave
 * the stop pending.  So the watchdog never blocks on the lock: it finishes
 * a pending stop when it gets the lock, and once a stop has waited
 * TV_STOP_GRACE_NS without anyone getting it, kills the run's processes
 * (SIGKILL ends a stopped process too, and the robust lock then passes to
 * the next locker with EOWNERDEAD).  `stop_since`: wall ns the watchdog
 * first saw the stop, -1 before.  TRUE when it got the lock.
 */
static gboolean
watch_the_stop (TvRun *run, gint64 *stop_since)
{
  TvShared *sh = run->sh;
  gint64 now = tv_clock_wall_ns ();
  gint64 pending = atomic_load (&run->stop_pending);

  if (*stop_since < 0 && (pending != 0 || tv_shared_stopping (sh)))
    *stop_since = pending != 0 ? MIN (pending, now) : now;
  if (!tv_shared_lock_until (sh, now + TV_WATCHDOG_PERIOD_US * 1000))
    {
      if (*stop_since >= 0 && tv_clock_wall_ns () >= *stop_since + TV_STOP_GRACE_NS
          && !atomic_load (&run->children_killed))
        tv_process_kill_now (run);
      return FALSE;
    }
  if (atomic_load (&run->stop_pending) != 0)
    tv_run_stop_locked (run);
  tv_shared_unlock (sh);
  return TRUE;
}

void *
tv_watchdog_main (void *data)
{
  TvRun *run = data;
  guint64 last_progress = 0;
  guint stall_scans = 0;
  gint64 stop_since = -1;

  pthread_mutex_lock (&run->ctl_mutex);
  while (!run->watchdog_quit)
    {
      gint64 end = g_get_monotonic_time () + TV_WATCHDOG_PERIOD_US;

      while (!run->watchdog_quit && tv_run_ctl_wait_until (run, end))
        ;
      if (run->watchdog_quit)
        break;
      pthread_mutex_unlock (&run->ctl_mutex);
      if (watch_the_stop (run, &stop_since))
        {
          tv_process_reap (run, FALSE);
          tv_watchdog_scan (run, &last_progress, &stall_scans);
        }
      pthread_mutex_lock (&run->ctl_mutex);
    }
  pthread_mutex_unlock (&run->ctl_mutex);
  return NULL;
}
