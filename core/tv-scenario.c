/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "tv-scenario"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include "tv-parser-private.h"
#include "tv-scenario.h"

G_DEFINE_QUARK (tv-scenario-error-quark, tv_scenario_error)

void
tv_diagnostic_free (TvDiagnostic *diagnostic)
{
  if (diagnostic == NULL)
    return;
  g_free (diagnostic->message);
  g_free (diagnostic);
}

/* --- Freeing the tree ---------------------------------------------------- */

void
tv_expr_free (TvExpr *expr)
{
  if (expr == NULL)
    return;
  tv_expr_free (expr->lhs);
  tv_expr_free (expr->rhs);
  g_free (expr);
}

void
tv_cond_free (TvCond *cond)
{
  if (cond == NULL)
    return;
  tv_expr_free (cond->lhs);
  tv_expr_free (cond->rhs);
  g_free (cond);
}

void
tv_template_free (TvTemplate *template)
{
  if (template == NULL)
    return;
  for (guint k = 0; k < template->n_parts; k++)
    g_free (template->parts[k].text);
  g_free (template->parts);
  g_free (template);
}

void
tv_stmt_clear (TvStmt *stmt)
{
  g_clear_pointer (&stmt->expr, tv_expr_free);
  g_clear_pointer (&stmt->cond, tv_cond_free);
  g_clear_pointer (&stmt->text, tv_template_free);
  g_clear_pointer (&stmt->body, tv_block_free);
  g_clear_pointer (&stmt->else_body, tv_block_free);
}

void
tv_block_free (TvBlock *block)
{
  if (block == NULL)
    return;
  for (guint k = 0; k < block->n_stmts; k++)
    tv_stmt_clear (&block->stmts[k]);
  g_free (block->stmts);
  g_free (block);
}

static void
tv_scenario_clear (gpointer data)
{
  TvScenario *self = data;

  g_free (self->filename);
  g_free (self->source);
  g_free (self->title);
  g_free (self->about);
  for (guint k = 0; k < self->n_objects; k++)
    g_free (self->objects[k].name);
  g_free (self->objects);
  for (guint k = 0; k < self->n_vars; k++)
    g_free (self->vars[k].name);
  g_free (self->vars);
  for (guint k = 0; k < self->n_bodies; k++)
    {
      g_free (self->bodies[k].name);
      tv_block_free (self->bodies[k].block);
    }
  g_free (self->bodies);
}

TvScenario *
tv_scenario_alloc (void)
{
  return g_atomic_rc_box_new0 (TvScenario);
}

TvScenario *
tv_scenario_ref (TvScenario *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
tv_scenario_unref (TvScenario *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, tv_scenario_clear);
}

/* --- Lines and diagnostics ----------------------------------------------- */

/* The bytes of 1-based `line` in `source`, without its end of line. */
static gboolean
find_line (const char  *source,
           gsize        length,
           guint        line,
           const char **start,
           gsize       *line_length)
{
  const char *p = source;
  const char *end = source + length;
  const char *nl;

  if (line == 0)
    return FALSE;
  for (guint k = 1; k < line; k++)
    {
      nl = memchr (p, '\n', end - p);
      if (nl == NULL)
        return FALSE;
      p = nl + 1;
    }
  nl = memchr (p, '\n', end - p);
  *start = p;
  *line_length = (nl ? nl : end) - p;
  if (*line_length > 0 && p[*line_length - 1] == '\r')
    (*line_length)--;
  return TRUE;
}

char *
tv_scenario_dup_line (const TvScenario *self,
                      guint             line)
{
  const char *start;
  gsize length;

  g_return_val_if_fail (self != NULL, NULL);

  if (!find_line (self->source, strlen (self->source), line, &start, &length))
    return g_strdup ("");
  return g_strndup (start, length);
}

char *
tv_diagnostic_format_line (const TvDiagnostic *diagnostic,
                           const char         *filename,
                           const char         *line,
                           gsize               line_length)
{
  GString *out = g_string_new (NULL);

  if (diagnostic->location.line == 0)
    {
      g_string_append_printf (out, "%s: %s", filename, diagnostic->message);
      return g_string_free (out, FALSE);
    }

  g_string_append_printf (out, "%s:%u:%u: %s", filename, diagnostic->location.line,
                          diagnostic->location.column, diagnostic->message);
  if (line != NULL)
    {
      /* Quote the line as it is, unless it is not text (then make it so). */
      g_autofree char *quoted = g_utf8_make_valid (line, line_length);

      g_string_append_printf (out, "\n%5u | %s\n      | ", diagnostic->location.line, quoted);
      for (guint k = 1; k < diagnostic->location.column; k++)
        g_string_append_c (out, ' ');
      g_string_append_c (out, '^');
    }
  return g_string_free (out, FALSE);
}

char *
tv_diagnostic_format (const TvDiagnostic *diagnostic,
                      const char         *filename,
                      const char         *source)
{
  const char *start = NULL;
  gsize length = 0;

  g_return_val_if_fail (diagnostic != NULL, NULL);

  if (source != NULL && !find_line (source, strlen (source), diagnostic->location.line, &start, &length))
    start = NULL;
  return tv_diagnostic_format_line (diagnostic, filename ? filename : "scenario", start, length);
}

/* --- Files --------------------------------------------------------------- */

TvScenario *
tv_scenario_load_file (const char *path,
                       GPtrArray **diagnostics,
                       GError    **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  GStatBuf st;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (diagnostics != NULL)
    *diagnostics = NULL;

  /* Refuse a huge file before reading it into memory. */
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode)
      && st.st_size > TV_SCENARIO_MAX_FILE_BYTES)
    {
      g_set_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_LIMIT,
                   "%s: file too large: %" G_GINT64_FORMAT " bytes (the limit is %d)",
                   path, (gint64) st.st_size, TV_SCENARIO_MAX_FILE_BYTES);
      return NULL;
    }

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_IO,
                   "%s", local_error->message);
      return NULL;
    }

  return tv_scenario_parse (path, contents, length, diagnostics, error);
}
