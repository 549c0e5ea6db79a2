/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-parser.c: the `.tvs` parser.  Each construct is checked through a
 * compact dump of the tree it parses into; each load error through its
 * exact formatted text.
 */
#include "config.h"

#include <string.h>

#include "tv-scenario.h"

/* --- Dumping the tree ---------------------------------------------------- */

static void dump_block (GString *out, const TvScenario *s, const TvBlock *block);

static void
dump_expr (GString          *out,
           const TvScenario *s,
           const TvExpr     *e)
{
  static const char * const ops[] = { "+", "-", "*", "/", "%" };

  switch (e->kind)
    {
    case TV_EXPR_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, e->value);
      break;
    case TV_EXPR_VAR:
      g_string_append (out, s->vars[e->index].name);
      break;
    case TV_EXPR_ITEM:
      g_string_append (out, "item");
      break;
    case TV_EXPR_COUNTER:
      g_string_append (out, "i");
      break;
    case TV_EXPR_NEG:
      g_string_append (out, "(-");
      dump_expr (out, s, e->lhs);
      g_string_append (out, ")");
      break;
    default:
      g_string_append (out, "(");
      dump_expr (out, s, e->lhs);
      g_string_append_printf (out, " %s ", ops[e->kind - TV_EXPR_ADD]);
      dump_expr (out, s, e->rhs);
      g_string_append (out, ")");
      break;
    }
}

static void
dump_cond (GString          *out,
           const TvScenario *s,
           const TvCond     *c)
{
  static const char * const ops[] = { "==", "!=", "<", "<=", ">", ">=" };

  if (c->kind == TV_COND_ACQUIRED)
    g_string_append (out, "acquired");
  else if (c->kind == TV_COND_NOT_ACQUIRED)
    g_string_append (out, "not acquired");
  else if (c->kind == TV_COND_ALIVE)
    g_string_append_printf (out, "alive %s", s->bodies[c->body].name);
  else
    {
      dump_expr (out, s, c->lhs);
      g_string_append_printf (out, " %s ", ops[c->kind]);
      dump_expr (out, s, c->rhs);
    }
}

static void
dump_template (GString          *out,
               const TvScenario *s,
               const TvTemplate *t)
{
  static const char * const names[] = {
    NULL, NULL, "item", "i", "thread", "pid", "tid", "active_count", "threads",
  };

  g_string_append_c (out, '"');
  for (guint k = 0; k < t->n_parts; k++)
    {
      const TvPart *part = &t->parts[k];

      switch (part->kind)
        {
        case TV_PART_TEXT:
          g_string_append_printf (out, "[%s]", part->text);
          break;
        case TV_PART_VAR:
          g_string_append_printf (out, "{%s}", s->vars[part->index].name);
          break;
        case TV_PART_ALIVE:
          g_string_append_printf (out, "{alive %s}", s->bodies[part->index].name);
          break;
        case TV_PART_QSIZE:
          g_string_append_printf (out, "{qsize %s}", s->objects[part->index].name);
          break;
        case TV_PART_ACQUIRED:
          g_string_append (out, "{acquired}");
          break;
        case TV_PART_STOPWATCH:
          g_string_append_printf (out, "{%s:%d}", s->vars[part->index].name, part->precision);
          break;
        default:
          g_string_append_printf (out, "{%s}", names[part->kind]);
          break;
        }
    }
  g_string_append_c (out, '"');
}

static void
dump_stmt (GString          *out,
           const TvScenario *s,
           const TvStmt     *st)
{
  const char *object = s->objects ? s->objects[MIN (st->target, s->n_objects ? s->n_objects - 1 : 0)].name : "?";
  const char *body = s->bodies[MIN (st->target, s->n_bodies - 1)].name;

  switch (st->kind)
    {
    case TV_STMT_START: g_string_append_printf (out, "start %s", body); break;
    case TV_STMT_JOIN: g_string_append_printf (out, "join %s", body); break;
    case TV_STMT_SPAWN: g_string_append_printf (out, "spawn %s #%u", body, st->spawn_slot); break;
    case TV_STMT_CALL: g_string_append_printf (out, "call %s", body); break;
    case TV_STMT_SLEEP: g_string_append (out, "sleep"); break;
    case TV_STMT_WORK: g_string_append (out, "work"); break;
    case TV_STMT_IO: g_string_append (out, "io"); break;
    case TV_STMT_YIELD: g_string_append (out, "yield"); break;
    case TV_STMT_ACQUIRE: g_string_append_printf (out, "acquire %s", object); break;
    case TV_STMT_TRY_ACQUIRE: g_string_append_printf (out, "try_acquire %s", object); break;
    case TV_STMT_RELEASE: g_string_append_printf (out, "release %s", object); break;
    case TV_STMT_WITH: g_string_append_printf (out, "with %s", object); break;
    case TV_STMT_PUT: g_string_append_printf (out, "put %s", object); break;
    case TV_STMT_GET: g_string_append_printf (out, "get %s", object); break;
    case TV_STMT_TASK_DONE: g_string_append_printf (out, "task_done %s", object); break;
    case TV_STMT_JOIN_QUEUE: g_string_append_printf (out, "join_queue %s", object); break;
    case TV_STMT_SET: g_string_append_printf (out, "set %s", object); break;
    case TV_STMT_CLEAR: g_string_append_printf (out, "clear %s", object); break;
    case TV_STMT_WAIT: g_string_append_printf (out, "wait %s", object); break;
    case TV_STMT_NOTIFY: g_string_append_printf (out, "notify %s%s", object, st->all ? " all" : ""); break;
    case TV_STMT_ASSIGN: g_string_append_printf (out, "%s =", s->vars[st->var].name); break;
    case TV_STMT_ADD_ASSIGN: g_string_append_printf (out, "%s +=", s->vars[st->var].name); break;
    case TV_STMT_PRINT: g_string_append (out, "print"); break;
    case TV_STMT_STOPWATCH: g_string_append_printf (out, "stopwatch %s", s->vars[st->var].name); break;
    case TV_STMT_RENAME: g_string_append (out, "rename"); break;
    case TV_STMT_REPEAT: g_string_append_printf (out, "repeat %" G_GINT64_FORMAT, st->count); break;
    case TV_STMT_FOREVER: g_string_append (out, "forever"); break;
    case TV_STMT_IF: g_string_append (out, "if"); break;
    default: g_assert_not_reached ();
    }

  if (st->kind == TV_STMT_GET && st->var >= 0)
    g_string_append_printf (out, " -> %s", s->vars[st->var].name);
  if (st->cond != NULL)
    {
      g_string_append_c (out, ' ');
      dump_cond (out, s, st->cond);
    }
  if (st->expr != NULL)
    {
      g_string_append_c (out, ' ');
      dump_expr (out, s, st->expr);
    }
  if (st->text != NULL)
    {
      g_string_append_c (out, ' ');
      dump_template (out, s, st->text);
    }
  if (st->duration >= 0)
    g_string_append_printf (out, " %" G_GINT64_FORMAT "ns", st->duration);
  if (st->body != NULL)
    {
      g_string_append_c (out, ' ');
      dump_block (out, s, st->body);
    }
  if (st->else_body != NULL)
    {
      g_string_append (out, " else ");
      dump_block (out, s, st->else_body);
    }
}

static void
dump_block (GString          *out,
            const TvScenario *s,
            const TvBlock    *block)
{
  g_string_append (out, "{ ");
  for (guint k = 0; k < block->n_stmts; k++)
    {
      dump_stmt (out, s, &block->stmts[k]);
      g_string_append (out, "; ");
    }
  g_string_append (out, "}");
}

/* The bodies, one per line: "thread w*4 { sleep 1000ns; }". */
static char *
dump_scenario (const TvScenario *s)
{
  static const char * const kinds[] = { "main", "thread", "process", "def" };
  GString *out = g_string_new (NULL);

  for (guint k = 0; k < s->n_bodies; k++)
    {
      const TvBodyDecl *b = &s->bodies[k];

      if (k > 0)
        g_string_append_c (out, '\n');
      g_string_append_printf (out, "%s %s", kinds[b->kind], b->name);
      if (b->multiple)
        g_string_append_printf (out, "*%u", b->count);
      g_string_append_c (out, ' ');
      dump_block (out, s, b->block);
    }
  return g_string_free (out, FALSE);
}

#ifndef TV_PARSER_NO_MAIN

/* --- Helpers ------------------------------------------------------------- */

static TvScenario *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) diagnostics = NULL;
  TvScenario *s = tv_scenario_parse ("test.tvs", text, -1, &diagnostics, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_assert_cmpuint (diagnostics->len, ==, 0);
  return s;
}

/* The one body called `name`, dumped. */
static char *
dump_body (const TvScenario *s,
           const char       *name)
{
  GString *out = g_string_new (NULL);

  for (guint k = 0; k < s->n_bodies; k++)
    if (g_strcmp0 (s->bodies[k].name, name) == 0)
      dump_block (out, s, s->bodies[k].block);
  return g_string_free (out, FALSE);
}

/* Parses `main:` + the statements (indented by the caller) and dumps main. */
static void
assert_main (const char *objects,
             const char *statements,
             const char *expected)
{
  g_autofree char *text = g_strconcat (objects, "main:\n", statements, NULL);
  g_autoptr(TvScenario) s = parse_ok (text);
  g_autofree char *dump = dump_body (s, "main");

  g_assert_cmpstr (dump, ==, expected);
}

static char *
parse_error (const char *text,
             gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) diagnostics = NULL;
  TvScenario *s = tv_scenario_parse ("race.tvs", text, -1, &diagnostics, &error);

  g_assert_null (s);
  g_assert_error (error, TV_SCENARIO_ERROR, code);
  g_assert_nonnull (diagnostics);
  g_assert_cmpuint (diagnostics->len, >, 0);
  return g_strdup (error->message);
}

static void
assert_error (const char *text,
              const char *expected)
{
  g_autofree char *message = parse_error (text, TV_SCENARIO_ERROR_INVALID);

  g_assert_cmpstr (message, ==, expected);
}

/* --- The tests ----------------------------------------------------------- */

static const char race_text[] =
  "title \"Race on a shared counter\"\n"
  "lock L\n"
  "var counter = 0\n"
  "\n"
  "thread unsafe * 2:\n"
  "    repeat 1000:\n"
  "        counter += 1 window 10us\n"
  "\n"
  "main:\n"
  "    start unsafe\n"
  "    join unsafe\n"
  "    print \"without a lock: counter = {counter} (expected 2000)\"\n";

static void
test_race (void)
{
  g_autoptr(TvScenario) s = parse_ok (race_text);
  g_autofree char *dump = dump_scenario (s);

  g_assert_cmpstr (s->title, ==, "Race on a shared counter");
  g_assert_null (s->about);
  g_assert_false (s->gil);
  g_assert_cmpuint (s->n_objects, ==, 1);
  g_assert_cmpstr (s->objects[0].name, ==, "L");
  g_assert_cmpint (s->objects[0].kind, ==, TV_OBJ_LOCK);
  g_assert_cmpuint (s->objects[0].location.line, ==, 2);
  g_assert_cmpuint (s->objects[0].location.column, ==, 6);
  g_assert_cmpuint (s->n_vars, ==, 1);
  g_assert_cmpint (s->vars[0].kind, ==, TV_VAR_LOCAL);
  g_assert_true (s->explicit_main);
  g_assert_cmpuint (s->main_body, ==, 1);
  g_assert_cmpuint (s->bodies[0].count, ==, 2);
  g_assert_true (s->bodies[0].multiple);
  g_assert_cmpstr (dump, ==,
                   "thread unsafe*2 { repeat 1000 { counter += 1 10000ns; }; }\n"
                   "main main { start unsafe; join unsafe; print \"[without a lock: counter = ]{counter}[ (expected 2000)]\"; }");
  g_assert_cmpuint (s->bodies[1].block->stmts[2].location.line, ==, 12);
  g_assert_cmpuint (s->bodies[1].block->stmts[2].location.column, ==, 5);
  g_assert_cmpstr (s->source, ==, race_text);
  g_assert_cmpstr (s->filename, ==, "test.tvs");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/parser/race", test_race);

  return g_test_run ();
}

#endif
