/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-test-resources.h: what runs could leave behind in the test process,
 * counted (tests/test-soak.c, tests/test-processes.c).
 *
 * count_resources() counts this process's threads (/proc/self/task), open
 * descriptors (/proc/self/fd), mappings and shared mappings (the engine's
 * shared block and recorder are such); assert_no_children() checks that
 * no child, live or zombie, is left (waitpid(-1, WNOHANG) must say ECHILD,
 * and no process in /proc names this one as its parent).
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

typedef struct
{
  guint tasks;
  guint fds;
  guint maps;
  guint shared_maps;
} Resources;

static G_GNUC_UNUSED guint
count_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static G_GNUC_UNUSED Resources
count_resources (void)
{
  Resources r = { 0 };
  g_autofree char *maps = NULL;
  g_auto(GStrv) lines = NULL;

  r.tasks = count_dir ("/proc/self/task");
  r.fds = count_dir ("/proc/self/fd");
  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *perms = strchr (lines[i], ' ');

      if (lines[i][0] == '\0')
        continue;
      r.maps++;
      /* "rw-s": MAP_SHARED (the engine's block, any shm or memfd). */
      if (perms != NULL && strlen (perms) > 4 && perms[4] == 's')
        r.shared_maps++;
    }
  return r;
}

/* The processes whose parent is this one, as "PID STATE" lines (STATE as
 * in /proc/PID/stat: Z for a zombie, T for stopped), or "" for none. */
static G_GNUC_UNUSED char *
list_children (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  GString *out = g_string_new (NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *end;
      char state;
      long ppid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      /* "PID (COMM) STATE PPID ...": COMM may hold anything but ends at
       * the last ')'. */
      end = strrchr (stat, ')');
      if (end == NULL || sscanf (end + 1, " %c %ld", &state, &ppid) != 2)
        continue;
      if (ppid == (long) getpid ())
        g_string_append_printf (out, "%s %c\n", name, state);
    }
  return g_string_free (out, FALSE);
}

static G_GNUC_UNUSED void
assert_no_children (void)
{
  g_autofree char *children = list_children ();
  int status;
  pid_t pid;

  if (children[0] != '\0')
    g_error ("child processes are left (pid, state):\n%s", children);
  errno = 0;
  pid = waitpid (-1, &status, WNOHANG);
  if (pid != -1 || errno != ECHILD)
    g_error ("a child process is left: waitpid gave %d (%s)", (int) pid,
             pid == -1 ? g_strerror (errno) : "a child");
}

/* Threads that were joined may still be listed for a moment while the
 * kernel tears them down: wait a little for the count to settle. */
static G_GNUC_UNUSED Resources
count_settled (guint expected_tasks)
{
  Resources r = count_resources ();

  for (int i = 0; i < 200 && r.tasks > expected_tasks; i++)
    {
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
      r = count_resources ();
    }
  return r;
}

