/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-parser.c: the `.tvs` parser.  Each construct is checked through a
 * compact dump of the tree it parses into; each load error through its
 * exact formatted text.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

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
  g_assert_cmpuint (s->n_spawn_sites, ==, 0);
  g_assert_cmpstr (dump, ==,
                   "thread unsafe*2 { repeat 1000 { counter += 1 10000ns; }; }\n"
                   "main main { start unsafe; join unsafe; print \"[without a lock: counter = ]{counter}[ (expected 2000)]\"; }");
  g_assert_cmpuint (s->bodies[1].block->stmts[2].location.line, ==, 12);
  g_assert_cmpuint (s->bodies[1].block->stmts[2].location.column, ==, 5);
  g_assert_cmpstr (s->source, ==, race_text);
  g_assert_cmpstr (s->filename, ==, "test.tvs");
}

static void
test_header (void)
{
  g_autoptr(TvScenario) s = parse_ok ("title \"Producer \\\"and\\\" {consumer}\"\n"
                                      "about \"One thread fills\\na queue.\"\n"
                                      "gil on switch 2ms\n");
  g_autoptr(TvScenario) plain = parse_ok ("gil on\n");
  g_autoptr(TvScenario) off = parse_ok ("gil off\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) named = tv_scenario_parse ("/some/dir/gil-io.tvs", "", 0, NULL, &error);

  g_assert_cmpstr (s->title, ==, "Producer \"and\" {consumer}");
  g_assert_cmpstr (s->about, ==, "One thread fills\na queue.");
  g_assert_true (s->gil);
  g_assert_cmpint (s->gil_switch, ==, 2000000);
  g_assert_cmpuint (s->gil_location.line, ==, 3);
  g_assert_cmpuint (s->gil_location.column, ==, 1);
  g_assert_true (plain->gil);
  g_assert_cmpint (plain->gil_switch, ==, 5000000);
  g_assert_false (off->gil);
  g_assert_cmpint (off->gil_switch, ==, 5000000);
  g_assert_no_error (error);
  g_assert_cmpstr (named->title, ==, "gil-io");
  g_assert_cmpstr (plain->title, ==, "test");
}

static void
test_objects (void)
{
  g_autoptr(TvScenario) s = parse_ok ("lock L\nrlock R\nsemaphore S 2\nsemaphore One\nevent E\n"
                                      "condition C\nbarrier B 3\nqueue Q\nqueue Bounded capacity 3\n"
                                      "var x = 0\nshared total = -12\nvar y\n");
  static const struct { const char *name; TvObjectKind kind; gint64 param; } expected[] = {
    { "L", TV_OBJ_LOCK, 0 }, { "R", TV_OBJ_RLOCK, 0 }, { "S", TV_OBJ_SEMAPHORE, 2 },
    { "One", TV_OBJ_SEMAPHORE, 1 }, { "E", TV_OBJ_EVENT, 0 }, { "C", TV_OBJ_CONDITION, 0 },
    { "B", TV_OBJ_BARRIER, 3 }, { "Q", TV_OBJ_QUEUE, 0 }, { "Bounded", TV_OBJ_QUEUE, 3 },
  };

  g_assert_cmpuint (s->n_objects, ==, G_N_ELEMENTS (expected));
  for (guint k = 0; k < s->n_objects; k++)
    {
      g_assert_cmpstr (s->objects[k].name, ==, expected[k].name);
      g_assert_cmpint (s->objects[k].kind, ==, expected[k].kind);
      g_assert_cmpint (s->objects[k].param, ==, expected[k].param);
      g_assert_cmpuint (s->objects[k].location.line, ==, k + 1);
    }
  g_assert_cmpuint (s->n_vars, ==, 3);
  g_assert_cmpstr (s->vars[0].name, ==, "x");
  g_assert_cmpint (s->vars[0].kind, ==, TV_VAR_LOCAL);
  g_assert_cmpint (s->vars[0].initial, ==, 0);
  g_assert_cmpstr (s->vars[1].name, ==, "total");
  g_assert_cmpint (s->vars[1].kind, ==, TV_VAR_SHARED);
  g_assert_cmpint (s->vars[1].initial, ==, -12);
  g_assert_cmpuint (s->vars[1].location.line, ==, 11);
  g_assert_cmpuint (s->vars[1].location.column, ==, 8);
  g_assert_cmpint (s->vars[2].initial, ==, 0);
}

static void
test_bodies (void)
{
  g_autoptr(TvScenario) s = parse_ok ("def helper:\n    yield\n"
                                      "main:\n    start worker\n    start p\n    start solo\n"
                                      "thread worker * 4:\n    call helper\n"
                                      "process p * 2:\n    yield\n"
                                      "thread solo:\n    yield\n");

  g_assert_cmpuint (s->n_bodies, ==, 5);
  g_assert_true (s->explicit_main);
  g_assert_cmpuint (s->main_body, ==, 1);
  g_assert_cmpint (s->bodies[0].kind, ==, TV_BODY_DEF);
  g_assert_cmpint (s->bodies[1].kind, ==, TV_BODY_MAIN);
  g_assert_cmpstr (s->bodies[1].name, ==, "main");
  g_assert_cmpuint (s->bodies[1].location.line, ==, 3);
  g_assert_cmpint (s->bodies[2].kind, ==, TV_BODY_THREAD);
  g_assert_cmpuint (s->bodies[2].count, ==, 4);
  g_assert_true (s->bodies[2].multiple);
  g_assert_cmpuint (s->bodies[2].location.line, ==, 7);
  g_assert_cmpuint (s->bodies[2].location.column, ==, 8);
  g_assert_cmpint (s->bodies[3].kind, ==, TV_BODY_PROCESS);
  g_assert_cmpuint (s->bodies[3].count, ==, 2);
  g_assert_cmpint (s->bodies[4].kind, ==, TV_BODY_THREAD);
  g_assert_cmpuint (s->bodies[4].count, ==, 1);
  g_assert_false (s->bodies[4].multiple);
}

static void
test_synthesised_main (void)
{
  g_autoptr(TvScenario) s = parse_ok ("thread a * 2:\n    yield\n"
                                      "def d:\n    yield\n"
                                      "process p:\n    yield\n"
                                      "thread b:\n    spawn d\n");
  g_autofree char *dump = dump_body (s, "main");
  const TvBlock *main_block;

  g_assert_false (s->explicit_main);
  g_assert_cmpuint (s->n_bodies, ==, 5);
  g_assert_cmpuint (s->main_body, ==, 4);
  g_assert_cmpint (s->bodies[4].kind, ==, TV_BODY_MAIN);
  g_assert_cmpstr (dump, ==, "{ start a; start p; start b; join a; join p; join b; }");
  main_block = s->bodies[4].block;
  g_assert_cmpint (main_block->stmts[3].duration, ==, -1);
  /* Each points at the declaration of what it starts. */
  g_assert_cmpuint (main_block->stmts[1].location.line, ==, 5);
  g_assert_cmpuint (main_block->stmts[1].location.column, ==, 9);
}

static void
test_empty (void)
{
  g_autoptr(TvScenario) s = parse_ok ("");
  g_autoptr(TvScenario) comments = parse_ok ("# nothing\n\n   \n\t# a tab before a comment is fine\n");

  g_assert_cmpuint (s->n_bodies, ==, 1);
  g_assert_cmpuint (s->main_body, ==, 0);
  g_assert_false (s->explicit_main);
  g_assert_cmpuint (s->bodies[0].block->n_stmts, ==, 0);
  g_assert_cmpuint (s->n_objects, ==, 0);
  g_assert_cmpuint (s->n_vars, ==, 0);
  g_assert_cmpstr (s->title, ==, "test");
  g_assert_cmpuint (comments->n_bodies, ==, 1);
}

static void
test_layout (void)
{
  /* Comments, blank lines at any indentation, \r\n, a two-space block,
   * no newline at the end. */
  g_autoptr(TvScenario) s = parse_ok ("lock L   # the lock\r\n"
                                      "main:\r\n"
                                      "  acquire L # take it\r\n"
                                      "\r\n"
                                      "        \r\n"
                                      "      # a comment deeper than the block\r\n"
                                      "  with L:\r\n"
                                      "         print \"# not a comment\"\r\n"
                                      "  release L");
  g_autofree char *dump = dump_body (s, "main");

  g_assert_cmpstr (dump, ==, "{ acquire L; with L { print \"[# not a comment]\"; }; release L; }");
  g_assert_cmpuint (s->bodies[0].block->stmts[2].location.line, ==, 9);
}

static void
test_statements (void)
{
  const char *objects = "lock L\nrlock R\nsemaphore S 2\nevent E\ncondition C\nbarrier B 2\n"
                        "queue Q capacity 2\nvar x = 0\nshared y = 0\n"
                        "thread T:\n    yield\nprocess P * 2:\n    yield\ndef f:\n    yield\n";

  assert_main (objects, "    start T\n    start P\n    join T\n    join P timeout 1s\n",
               "{ start T; start P; join T; join P 1000000000ns; }");
  assert_main (objects, "    spawn f\n    call f\n    spawn f\n",
               "{ spawn f #0; call f; spawn f #1; }");
  assert_main (objects, "    sleep 2s\n    work 100ms\n    io 3us\n    yield\n",
               "{ sleep 2000000000ns; work 100000000ns; io 3000ns; yield; }");
  assert_main (objects, "    acquire L\n    acquire R timeout 200ms\n    try_acquire S\n    release L\n",
               "{ acquire L; acquire R 200000000ns; try_acquire S; release L; }");
  assert_main (objects, "    with L:\n        with R:\n            yield\n    with S:\n        yield\n",
               "{ with L { with R { yield; }; }; with S { yield; }; }");
  assert_main (objects, "    put Q\n    put Q 7\n    put Q x + 1\n    get Q\n    get Q -> y\n"
                        "    task_done Q\n    join Q\n",
               "{ put Q; put Q 7; put Q (x + 1); get Q; get Q -> y; task_done Q; join_queue Q; }");
  assert_main (objects, "    set E\n    clear E\n    wait E\n    wait E timeout 1ms\n    wait B\n",
               "{ set E; clear E; wait E; wait E 1000000ns; wait B; }");
  assert_main (objects, "    with C:\n        wait C\n        wait C timeout 5s\n        notify C\n        notify C all\n",
               "{ with C { wait C; wait C 5000000000ns; notify C; notify C all; }; }");
  assert_main (objects, "    x = 1\n    y += 2\n    x += 1 window 2ms\n    x -= 3\n",
               "{ x = 1; y += 2; x += 1 2000000ns; x += (-3); }");
  assert_main (objects, "    print \"hi\"\n    stopwatch t\n    rename \"new name\"\n",
               "{ print \"[hi]\"; stopwatch t; rename \"[new name]\"; }");
  assert_main (objects, "    repeat 3:\n        yield\n    repeat 0:\n        yield\n    forever:\n        sleep 1s\n",
               "{ repeat 3 { yield; }; repeat 0 { yield; }; forever { sleep 1000000000ns; }; }");
  assert_main (objects, "    if x == 1:\n        yield\n    else:\n        sleep 1s\n    if acquired:\n        yield\n",
               "{ if x == 1 { yield; } else { sleep 1000000000ns; }; if acquired { yield; }; }");
  assert_main (objects, "    if x > 1:\n        if y < 2:\n            yield\n        else:\n            io 1s\n    else:\n        yield\n",
               "{ if x > 1 { if y < 2 { yield; } else { io 1000000000ns; }; } else { yield; }; }");
}

static void
test_durations (void)
{
  assert_main ("", "    sleep 250ms\n    sleep 2s\n    sleep 1.5s\n    sleep 800us\n    sleep 100µs\n"
                   "    sleep 7ns\n    sleep 0.5us\n    sleep 0s\n    sleep 1.0000000001s\n    sleep 0.25ms\n",
               "{ sleep 250000000ns; sleep 2000000000ns; sleep 1500000000ns; sleep 800000ns; sleep 100000ns; "
               "sleep 7ns; sleep 500ns; sleep 0ns; sleep 1000000000ns; sleep 250000ns; }");
  /* The largest duration there is, then one nanosecond more. */
  assert_main ("", "    sleep 9223372036854775807ns\n", "{ sleep 9223372036854775807ns; }");
  assert_main ("", "    sleep 9223372036.854775807s\n", "{ sleep 9223372036854775807ns; }");
  assert_error ("main:\n    sleep 9223372036854775808ns\n",
                "race.tvs:2:11: duration too long: '9223372036854775808ns' (the limit is 9223372036s)\n"
                "    2 |     sleep 9223372036854775808ns\n"
                "      |           ^");
}

static void
test_expressions (void)
{
  const char *vars = "var a = 0\nvar b = 0\nshared c = 0\nqueue Q\n";

  assert_main (vars, "    a = 1 + 2 * 3\n", "{ a = (1 + (2 * 3)); }");
  assert_main (vars, "    a = (1 + 2) * 3\n", "{ a = ((1 + 2) * 3); }");
  assert_main (vars, "    a = 1 - 2 - 3\n", "{ a = ((1 - 2) - 3); }");
  assert_main (vars, "    a = a / b % c * 2\n", "{ a = (((a / b) % c) * 2); }");
  assert_main (vars, "    a = -3\n", "{ a = -3; }");
  assert_main (vars, "    a = -b * 2\n", "{ a = ((-b) * 2); }");
  assert_main (vars, "    a = - - 4\n", "{ a = 4; }");
  assert_main (vars, "    a = 2 * -(b + 1)\n", "{ a = (2 * (-(b + 1))); }");
  assert_main (vars, "    a = 1-2\n", "{ a = (1 - 2); }");
  assert_main (vars, "    repeat 2:\n        get Q\n        a = item + i\n",
               "{ repeat 2 { get Q; a = (item + i); }; }");
  assert_main (vars, "    a = ((((((1))))))\n", "{ a = 1; }");

  {
    g_autoptr(TvScenario) s = parse_ok ("var a = 0\nvar b = 0\nmain:\n    a = b + 1 * 2\n");
    const TvExpr *e = s->bodies[0].block->stmts[0].expr;

    g_assert_cmpint (e->kind, ==, TV_EXPR_ADD);
    g_assert_cmpuint (e->location.column, ==, 11);
    g_assert_cmpint (e->lhs->kind, ==, TV_EXPR_VAR);
    g_assert_cmpuint (e->lhs->index, ==, 1);
    g_assert_cmpint (e->rhs->kind, ==, TV_EXPR_MUL);
    g_assert_cmpuint (e->rhs->location.column, ==, 15);
    g_assert_cmpint (e->rhs->rhs->value, ==, 2);
  }
}

static void
test_conditions (void)
{
  const char *decls = "var a = 0\nthread T:\n    yield\nmain:\n";

  assert_main ("", "    if 1 == 2:\n        yield\n    if 1 != 2:\n        yield\n", "{ if 1 == 2 { yield; }; if 1 != 2 { yield; }; }");
  assert_main ("var a = 0\n", "    if a < 1:\n        yield\n    if a <= 1:\n        yield\n    if a > 1:\n        yield\n    if a >= 1 + 1:\n        yield\n",
               "{ if a < 1 { yield; }; if a <= 1 { yield; }; if a > 1 { yield; }; if a >= (1 + 1) { yield; }; }");
  assert_main ("", "    if not acquired:\n        yield\n", "{ if not acquired { yield; }; }");

  {
    g_autofree char *text = g_strconcat (decls, "    if alive T:\n        yield\n", NULL);
    g_autoptr(TvScenario) s = parse_ok (text);
    const TvCond *cond = s->bodies[1].block->stmts[0].cond;

    g_assert_cmpint (cond->kind, ==, TV_COND_ALIVE);
    g_assert_cmpuint (cond->body, ==, 0);
    g_assert_null (cond->lhs);
  }
}

static void
test_templates (void)
{
  const char *decls = "var x = 0\nshared y = 0\nqueue Q\nthread T:\n    yield\n";

  assert_main (decls, "    print \"x={x}, y={ y }\"\n", "{ print \"[x=]{x}[, y=]{y}\"; }");
  assert_main (decls, "    repeat 2:\n        print \"{item}{i}{thread}{pid}{tid}{active_count}{threads}{acquired}\"\n",
               "{ repeat 2 { print \"{item}{i}{thread}{pid}{tid}{active_count}{threads}{acquired}\"; }; }");
  assert_main (decls, "    print \"{alive T} {qsize Q}\"\n", "{ print \"{alive T}[ ]{qsize Q}\"; }");
  assert_main (decls, "    stopwatch t\n    print \"took {t}s or {t:.2f}s or {t:.0f}\"\n",
               "{ stopwatch t; print \"[took ]{t:-1}[s or ]{t:2}[s or ]{t:0}\"; }");
  assert_main (decls, "    print \"{{x}} is {x}, a \\\"quote\\\", a \\\\ and\\na new line\"\n",
               "{ print \"[{x} is ]{x}[, a \"quote\", a \\ and\na new line]\"; }");
  assert_main (decls, "    print \"\"\n", "{ print \"\"; }");
  assert_main (decls, "    print \"héllo {x} wörld\"\n", "{ print \"[héllo ]{x}[ wörld]\"; }");
  assert_main (decls, "    rename \"worker-{x}\"\n", "{ rename \"[worker-]{x}\"; }");
}

static void
test_stopwatch (void)
{
  /* Any `stopwatch t` declares t, wherever it is; again restarts it. */
  g_autoptr(TvScenario) s = parse_ok ("thread T:\n    print \"{t:.3f}\"\n"
                                      "main:\n    stopwatch t\n    stopwatch u\n    stopwatch t\n");
  const TvStmt *stmts = s->bodies[1].block->stmts;

  g_assert_cmpuint (s->n_vars, ==, 2);
  g_assert_cmpstr (s->vars[0].name, ==, "t");
  g_assert_cmpint (s->vars[0].kind, ==, TV_VAR_STOPWATCH);
  g_assert_cmpuint (s->vars[0].location.line, ==, 4);
  g_assert_cmpint (s->vars[1].kind, ==, TV_VAR_STOPWATCH);
  g_assert_cmpint (stmts[0].var, ==, 0);
  g_assert_cmpint (stmts[1].var, ==, 1);
  g_assert_cmpint (stmts[2].var, ==, 0);
  g_assert_cmpint (s->bodies[0].block->stmts[0].text->parts[0].kind, ==, TV_PART_STOPWATCH);
  g_assert_cmpint (s->bodies[0].block->stmts[0].text->parts[0].precision, ==, 3);
}

static void
test_spawn_slots (void)
{
  g_autoptr(TvScenario) s = parse_ok ("def f:\n    yield\n"
                                      "thread T:\n    spawn f\n    repeat 3:\n        spawn f\n"
                                      "main:\n    spawn f\n");

  g_assert_cmpuint (s->n_spawn_sites, ==, 3);
  g_assert_cmpuint (s->bodies[1].block->stmts[0].spawn_slot, ==, 0);
  g_assert_cmpuint (s->bodies[1].block->stmts[1].body->stmts[0].spawn_slot, ==, 1);
  g_assert_cmpuint (s->bodies[2].block->stmts[0].spawn_slot, ==, 2);
  g_assert_cmpuint (s->bodies[2].block->stmts[0].target, ==, 0);
}

static void
test_condition_held (void)
{
  /* Inside `with C:`, after `acquire C` in the same or an enclosing block,
   * and anywhere in a def (its caller may hold C). */
  g_autoptr(TvScenario) s = parse_ok ("condition C\n"
                                      "def f:\n    wait C\n    notify C\n"
                                      "thread T:\n    acquire C\n    if acquired:\n        wait C\n    notify C all\n    release C\n"
                                      "main:\n    with C:\n        repeat 2:\n            wait C timeout 1s\n");
  g_autofree char *message = NULL;

  g_assert_cmpuint (s->n_bodies, ==, 3);
  message = parse_error ("condition C\nmain:\n    acquire C\n    release C\n    wait C\n",
                         TV_SCENARIO_ERROR_INVALID);
  g_assert_cmpstr (message, ==,
                   "race.tvs:5:5: 'wait C' outside 'with C:' (a condition is waited on and notified while holding it)\n"
                   "    5 |     wait C\n"
                   "      |     ^");
}

static void
test_release_check (void)
{
  /* A semaphore may be released by anyone; a def's caller may hold the
   * lock; a call may have acquired it; `with` and acquires in any earlier
   * block count. */
  g_autoptr(TvScenario) s = parse_ok ("lock L\nrlock R\nsemaphore S\n"
                                      "def take:\n    acquire L\n"
                                      "def give:\n    release L\n"
                                      "thread a:\n    release S\n    call take\n    release L\n"
                                      "thread b:\n    with R:\n        yield\n    release R\n"
                                      "    if 1 > 0:\n        try_acquire L\n    release L\n");

  g_assert_cmpuint (s->n_bodies, ==, 5);
  assert_error ("lock L\nlock M\nmain:\n    acquire L\n    release M\n    release L\n",
                "race.tvs:5:13: 'release M' here can never hold M: nothing before it in this body acquires it\n"
                "    5 |     release M\n"
                "      |             ^");
}

static void
test_dup_line (void)
{
  g_autoptr(TvScenario) s = parse_ok ("lock L\r\nmain:\n    acquire L\n");
  g_autofree char *one = tv_scenario_dup_line (s, 1);
  g_autofree char *three = tv_scenario_dup_line (s, 3);
  g_autofree char *four = tv_scenario_dup_line (s, 4);
  g_autofree char *far = tv_scenario_dup_line (s, 400);

  g_assert_cmpstr (one, ==, "lock L");
  g_assert_cmpstr (three, ==, "    acquire L");
  g_assert_cmpstr (four, ==, "");
  g_assert_cmpstr (far, ==, "");
}

static void
test_diagnostic_format (void)
{
  TvDiagnostic d = { { 7, 13 }, (char *) "unknown lock 'M' (declared: L)" };
  TvDiagnostic none = { { 0, 0 }, (char *) "file too large" };
  g_autofree char *text = tv_diagnostic_format (&d, "race.tvs", "1\n2\n3\n4\n5\n6\n    acquire M\n8\n");
  g_autofree char *bare = tv_diagnostic_format (&none, "big.tvs", "");

  g_assert_cmpstr (text, ==,
                   "race.tvs:7:13: unknown lock 'M' (declared: L)\n"
                   "    7 |     acquire M\n"
                   "      |             ^");
  g_assert_cmpstr (bare, ==, "big.tvs: file too large");
}

static void
test_diagnostics_array (void)
{
  g_autoptr(GPtrArray) ok_diagnostics = NULL;
  g_autoptr(GPtrArray) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) s = tv_scenario_parse ("a.tvs", "lock L\n", -1, &ok_diagnostics, NULL);
  TvScenario *bad = tv_scenario_parse ("a.tvs", "main:\n    acquire M\n    put M\n", -1, &diagnostics, &error);
  TvDiagnostic *d;

  g_assert_nonnull (s);
  g_assert_nonnull (ok_diagnostics);
  g_assert_cmpuint (ok_diagnostics->len, ==, 0);
  g_assert_null (bad);
  g_assert_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_INVALID);
  g_assert_cmpuint (diagnostics->len, ==, 2);
  d = diagnostics->pdata[1];
  g_assert_cmpuint (d->location.line, ==, 3);
  g_assert_cmpuint (d->location.column, ==, 9);
  g_assert_cmpstr (d->message, ==, "unknown queue 'M' (no queues are declared)");
}

static const struct
{
  const char *name;
  const char *text;
  const char *expected;
} error_cases[] = {
  { "unknown-lock",
    "title \"Race\"\nlock L\nvar counter = 0\n\nthread t:\n    sleep 1ms\n    acquire M\n",
    "race.tvs:7:13: unknown lock 'M' (declared: L)\n"
    "    7 |     acquire M\n"
    "      |             ^" },
  { "unknown-lock-none",
    "main:\n    acquire M\n",
    "race.tvs:2:13: unknown lock 'M' (no locks are declared)\n"
    "    2 |     acquire M\n"
    "      |             ^" },
  { "put-on-lock",
    "lock L\nmain:\n    put L 7\n",
    "race.tvs:3:9: 'L' is a lock, not a queue\n"
    "    3 |     put L 7\n"
    "      |         ^" },
  { "wait-on-lock",
    "lock L\nmain:\n    wait L\n",
    "race.tvs:3:10: 'L' is a lock, not an event, condition or barrier\n"
    "    3 |     wait L\n"
    "      |          ^" },
  { "acquire-queue",
    "queue Q\nmain:\n    acquire Q timeout 1s\n",
    "race.tvs:3:13: 'Q' is a queue, not a lock\n"
    "    3 |     acquire Q timeout 1s\n"
    "      |             ^" },
  { "notify-lock",
    "lock L\nmain:\n    with L:\n        notify L all\n",
    "race.tvs:4:16: 'L' is a lock, not a condition\n"
    "    4 |         notify L all\n"
    "      |                ^" },
  { "start-def",
    "def helper:\n    yield\nmain:\n    start helper\n",
    "race.tvs:4:11: 'helper' is a def, not a thread or process (use 'spawn' or 'call' for a def)\n"
    "    4 |     start helper\n"
    "      |           ^" },
  { "spawn-thread",
    "thread T:\n    yield\nmain:\n    spawn T\n",
    "race.tvs:4:11: 'T' is a thread, not a def (use 'start' for a thread or process)\n"
    "    4 |     spawn T\n"
    "      |           ^" },
  { "call-thread",
    "thread T:\n    yield\nmain:\n    call T\n",
    "race.tvs:4:10: 'T' is a thread, not a def (use 'start' for a thread or process)\n"
    "    4 |     call T\n"
    "      |          ^" },
  { "set-queue",
    "queue Q\nmain:\n    set Q\n",
    "race.tvs:3:9: 'Q' is a queue, not an event\n"
    "    3 |     set Q\n"
    "      |         ^" },
  { "get-into-lock",
    "queue Q\nlock L\nmain:\n    get Q -> L\n",
    "race.tvs:4:14: 'L' is a lock, not a variable\n"
    "    4 |     get Q -> L\n"
    "      |              ^" },
  { "duration-no-unit",
    "main:\n    sleep 5\n",
    "race.tvs:2:11: expected a duration such as 250ms or 2s, found '5'\n"
    "    2 |     sleep 5\n"
    "      |           ^" },
  { "duration-decimal-no-unit",
    "main:\n    work 1.5\n",
    "race.tvs:2:10: expected a duration such as 250ms or 2s, found '1.5'\n"
    "    2 |     work 1.5\n"
    "      |          ^" },
  { "duration-unit",
    "main:\n    sleep 5m\n",
    "race.tvs:2:11: unknown duration unit 'm' in '5m' (use ns, us, ms or s)\n"
    "    2 |     sleep 5m\n"
    "      |           ^" },
  { "duration-negative",
    "main:\n    io -5ms\n",
    "race.tvs:2:8: a duration cannot be negative\n"
    "    2 |     io -5ms\n"
    "      |        ^" },
  { "duration-overflow",
    "main:\n    sleep 9999999999s\n",
    "race.tvs:2:11: duration too long: '9999999999s' (the limit is 9223372036s)\n"
    "    2 |     sleep 9999999999s\n"
    "      |           ^" },
  { "duration-missing",
    "main:\n    sleep\n",
    "race.tvs:2:10: expected a duration such as 250ms or 2s, found end of line\n"
    "    2 |     sleep\n"
    "      |          ^" },
  { "tab",
    "main:\n\tsleep 1s\n",
    "race.tvs:2:1: tab in indentation: indent with spaces\n"
    "    2 | \tsleep 1s\n"
    "      | ^" },
  { "unterminated-string",
    "main:\n    print \"hello\n",
    "race.tvs:2:11: unterminated string\n"
    "    2 |     print \"hello\n"
    "      |           ^" },
  { "unknown-interpolation",
    "var x = 0\nmain:\n    stopwatch t\n    print \"x={x} t={t:.2f} {foo}\"\n",
    "race.tvs:4:29: unknown name 'foo' in interpolation (known: x, t, item, i, thread, pid, tid, active_count, threads, acquired, alive T, qsize Q)\n"
    "    4 |     print \"x={x} t={t:.2f} {foo}\"\n"
    "      |                             ^" },
  { "inconsistent-indent",
    "main:\n    sleep 1s\n   sleep 2s\n",
    "race.tvs:3:4: inconsistent indentation: expected 4 spaces, found 3\n"
    "    3 |    sleep 2s\n"
    "      |    ^" },
  { "deeper-indent",
    "main:\n    sleep 1s\n        sleep 2s\n",
    "race.tvs:3:9: inconsistent indentation: expected 4 spaces, found 8\n"
    "    3 |         sleep 2s\n"
    "      |         ^" },
  { "missing-colon",
    "main:\n    repeat 5\n        yield\n",
    "race.tvs:2:13: expected ':' after 'repeat 5'\n"
    "    2 |     repeat 5\n"
    "      |             ^" },
  { "missing-block",
    "main:\n    repeat 5:\n    yield\n",
    "race.tvs:2:13: expected an indented block after 'repeat 5:'\n"
    "    2 |     repeat 5:\n"
    "      |             ^" },
  { "keyword-name",
    "lock lock\n",
    "race.tvs:1:6: 'lock' is a keyword and cannot be used as a name\n"
    "    1 | lock lock\n"
    "      |      ^" },
  { "keyword-name-var",
    "var print = 1\n",
    "race.tvs:1:5: 'print' is a keyword and cannot be used as a name\n"
    "    1 | var print = 1\n"
    "      |     ^" },
  { "duplicate",
    "lock L\nqueue Q\nvar L = 0\n",
    "race.tvs:3:5: 'L' is already declared on line 1 (as a lock)\n"
    "    3 | var L = 0\n"
    "      |     ^" },
  { "duplicate-stopwatch",
    "var t = 0\nmain:\n    stopwatch t\n",
    "race.tvs:3:15: 't' is already declared on line 1 (as a variable)\n"
    "    3 |     stopwatch t\n"
    "      |               ^" },
  { "wait-outside-with",
    "condition C\nmain:\n    wait C\n",
    "race.tvs:3:5: 'wait C' outside 'with C:' (a condition is waited on and notified while holding it)\n"
    "    3 |     wait C\n"
    "      |     ^" },
  { "notify-outside-with",
    "condition C\nlock L\nmain:\n    with L:\n        notify C\n",
    "race.tvs:5:9: 'notify C' outside 'with C:' (a condition is waited on and notified while holding it)\n"
    "    5 |         notify C\n"
    "      |         ^" },
  { "too-many-threads",
    "thread a * 64:\n    yield\nthread b * 64:\n    yield\nthread c * 64:\n    yield\nthread d * 64:\n    yield\nthread e * 44:\n    yield\n",
    "race.tvs:9:8: too many threads: 300 (the limit is 256)\n"
    "    9 | thread e * 44:\n"
    "      |        ^" },
  { "too-many-processes",
    "process a * 40:\n    yield\nprocess b * 30:\n    yield\n",
    "race.tvs:3:9: too many processes: 70 (the limit is 64)\n"
    "    3 | process b * 30:\n"
    "      |         ^" },
  { "too-many-instances",
    "thread w * 65:\n    yield\n",
    "race.tvs:1:12: too many instances: 65 (the limit is 64)\n"
    "    1 | thread w * 65:\n"
    "      |            ^" },
  { "zero-instances",
    "thread w * 0:\n    yield\n",
    "race.tvs:1:12: the number of instances must be at least 1, found 0\n"
    "    1 | thread w * 0:\n"
    "      |            ^" },
  { "repeat-too-large",
    "main:\n    repeat 10000001:\n        yield\n",
    "race.tvs:2:12: repeat count too large: 10000001 (the limit is 10000000)\n"
    "    2 |     repeat 10000001:\n"
    "      |            ^" },
  { "repeat-negative",
    "main:\n    repeat -1:\n        yield\n",
    "race.tvs:2:12: the repeat count cannot be negative\n"
    "    2 |     repeat -1:\n"
    "      |            ^" },
  { "unknown-statement",
    "main:\n    frobnicate L\n",
    "race.tvs:2:5: unknown statement 'frobnicate' (expected a statement such as 'sleep 1s', 'acquire L', 'print \"...\"' or 'x = 1')\n"
    "    2 |     frobnicate L\n"
    "      |     ^" },
  { "stray-else",
    "main:\n    yield\n    else:\n        yield\n",
    "race.tvs:3:5: 'else' without an 'if' just above it\n"
    "    3 |     else:\n"
    "      |     ^" },
  { "statement-at-top",
    "sleep 1s\n",
    "race.tvs:1:1: 'sleep' is a statement: put it in a body such as 'main:' or 'thread T:'\n"
    "    1 | sleep 1s\n"
    "      | ^" },
  { "assignment-at-top",
    "var x = 0\nx = 1\n",
    "race.tvs:2:1: a statement at the top level: put it in a body such as 'main:' or 'thread T:'\n"
    "    2 | x = 1\n"
    "      | ^" },
  { "indent-at-top",
    "lock L\n    yield\n",
    "race.tvs:2:5: unexpected indentation: a top-level line starts in column 1\n"
    "    2 |     yield\n"
    "      |     ^" },
  { "two-mains",
    "main:\n    yield\nmain:\n    yield\n",
    "race.tvs:3:1: 'main' is declared twice (first on line 1)\n"
    "    3 | main:\n"
    "      | ^" },
  { "recursion",
    "def f:\n    call f\nmain:\n    call f\n",
    "race.tvs:2:10: recursive call: f -> f (a def cannot call itself, directly or through others)\n"
    "    2 |     call f\n"
    "      |          ^" },
  { "unknown-escape",
    "main:\n    print \"a\\tb\"\n",
    "race.tvs:2:13: unknown escape '\\t' in a string (use \\\", \\\\ or \\n)\n"
    "    2 |     print \"a\\tb\"\n"
    "      |             ^" },
  { "single-brace",
    "main:\n    print \"a } b\"\n",
    "race.tvs:2:14: single '}' in a string (write '}}' for a literal brace)\n"
    "    2 |     print \"a } b\"\n"
    "      |              ^" },
  { "unterminated-interp",
    "main:\n    print \"a {b\"\n",
    "race.tvs:2:14: unterminated interpolation: expected '}' (write '{{' for a literal brace)\n"
    "    2 |     print \"a {b\"\n"
    "      |              ^" },
  { "empty-interp",
    "main:\n    print \"a {} b\"\n",
    "race.tvs:2:14: empty interpolation '{}' (write '{{' and '}}' for literal braces)\n"
    "    2 |     print \"a {} b\"\n"
    "      |              ^" },
  { "format-on-var",
    "var x = 0\nmain:\n    print \"{x:.2f}\"\n",
    "race.tvs:3:14: a format such as ':.2f' applies only to stopwatches, and 'x' is not one\n"
    "    3 |     print \"{x:.2f}\"\n"
    "      |              ^" },
  { "bad-format",
    "main:\n    stopwatch t\n    print \"{t:2}\"\n",
    "race.tvs:3:14: unknown format ':2' (use ':.Nf' with N from 0 to 9, such as ':.2f')\n"
    "    3 |     print \"{t:2}\"\n"
    "      |              ^" },
  { "counter-outside-repeat",
    "main:\n    print \"{i}\"\n",
    "race.tvs:2:13: 'i' is the counter of the innermost 'repeat', and there is none here\n"
    "    2 |     print \"{i}\"\n"
    "      |             ^" },
  { "number-too-large",
    "var x = 99999999999999999999\n",
    "race.tvs:1:9: number too large: '99999999999999999999' (the limit is 9223372036854775807)\n"
    "    1 | var x = 99999999999999999999\n"
    "      |         ^" },
  { "unexpected-char",
    "main:\n    x = 1 $ 2\n",
    "race.tvs:2:11: unexpected character '$'\n"
    "    2 |     x = 1 $ 2\n"
    "      |           ^" },
  { "expected-comparison",
    "var x = 0\nmain:\n    if x = 1:\n        yield\n",
    "race.tvs:3:10: expected a comparison (==, !=, <, <=, >, >=), found '=' (use '==' to compare)\n"
    "    3 |     if x = 1:\n"
    "      |          ^" },
  { "trailing-tokens",
    "main:\n    sleep 1s now\n",
    "race.tvs:2:14: expected end of line after 'sleep 1s', found 'now'\n"
    "    2 |     sleep 1s now\n"
    "      |              ^" },
  { "join-queue-timeout",
    "queue Q\nmain:\n    join Q timeout 1s\n",
    "race.tvs:3:12: 'join' of a queue takes no timeout\n"
    "    3 |     join Q timeout 1s\n"
    "      |            ^" },
  { "stopwatch-in-expr",
    "var x = 0\nmain:\n    stopwatch t\n    x = t + 1\n",
    "race.tvs:4:9: 't' is a stopwatch, not a variable\n"
    "    4 |     x = t + 1\n"
    "      |         ^" },
  { "title-twice",
    "title \"a\"\ntitle \"b\"\n",
    "race.tvs:2:1: 'title' is given twice (first on line 1)\n"
    "    2 | title \"b\"\n"
    "      | ^" },
  { "gil-switch-zero",
    "gil on switch 0ms\n",
    "race.tvs:1:15: the switch interval must be longer than 0\n"
    "    1 | gil on switch 0ms\n"
    "      |               ^" },
  { "gil-bad",
    "gil maybe\n",
    "race.tvs:1:5: expected 'on' or 'off' after 'gil', found 'maybe'\n"
    "    1 | gil maybe\n"
    "      |     ^" },
  { "barrier-no-parties",
    "barrier B\n",
    "race.tvs:1:10: expected the number of parties after 'barrier B', found end of line\n"
    "    1 | barrier B\n"
    "      |          ^" },
  { "queue-capacity-zero",
    "queue Q capacity 0\n",
    "race.tvs:1:18: the capacity must be at least 1, found 0\n"
    "    1 | queue Q capacity 0\n"
    "      |                  ^" },
  { "unclosed-paren",
    "var x = 0\nmain:\n    x = (1 + 2\n",
    "race.tvs:3:15: expected ')' to close the '(' at column 9, found end of line\n"
    "    3 |     x = (1 + 2\n"
    "      |               ^" },
  { "not-acquired-typo",
    "main:\n    if not alive:\n        yield\n",
    "race.tvs:2:12: expected 'acquired' after 'not', found 'alive'\n"
    "    2 |     if not alive:\n"
    "      |            ^" },
  { "utf8-column",
    "var x = 0\nmain:\n    print \"héllo wörld {y}\"\n",
    "race.tvs:3:25: unknown name 'y' in interpolation (known: x, item, i, thread, pid, tid, active_count, threads, acquired, alive T, qsize Q)\n"
    "    3 |     print \"héllo wörld {y}\"\n"
    "      |                         ^" },
  { "crlf",
    "lock L\r\nmain:\r\n    acquire M\r\n",
    "race.tvs:3:13: unknown lock 'M' (declared: L)\n"
    "    3 |     acquire M\n"
    "      |             ^" },
  { "nesting",
    "main:\n    repeat 1:\n        repeat 1:\n            repeat 1:\n                repeat 1:\n                    repeat 1:\n                        repeat 1:\n                            repeat 1:\n                                repeat 1:\n                                    repeat 1:\n                                        repeat 1:\n                                            repeat 1:\n                                                repeat 1:\n                                                    repeat 1:\n                                                        repeat 1:\n                                                            repeat 1:\n                                                                repeat 1:\n                                                                    repeat 1:\n                                                                        repeat 1:\n                                                                            repeat 1:\n                                                                                repeat 1:\n                                                                                    repeat 1:\n                                                                                        repeat 1:\n                                                                                            repeat 1:\n                                                                                                repeat 1:\n                                                                                                    repeat 1:\n                                                                                                        repeat 1:\n                                                                                                            repeat 1:\n                                                                                                                repeat 1:\n                                                                                                                    repeat 1:\n                                                                                                                        repeat 1:\n                                                                                                                            repeat 1:\n                                                                                                                                repeat 1:\n                                                                                                                                    repeat 1:\n                                                                                                                                        yield\n",
    "race.tvs:34:133: blocks nested too deeply: 33 levels (the limit is 32)\n"
    "   34 |                                                                                                                                     repeat 1:\n"
    "      |                                                                                                                                     ^" },
  { "decl-in-body",
    "main:\n    lock L\n",
    "race.tvs:2:5: 'lock' is a declaration: it goes at the top level, not indented in a body\n"
    "    2 |     lock L\n"
    "      |     ^" },
  { "var-bad-initial",
    "var x = y\n",
    "race.tvs:1:9: expected a whole number after '=', found 'y'\n"
    "    1 | var x = y\n"
    "      |         ^" },
  { "declaration-without-name",
    "thread :\n    yield\n",
    "race.tvs:1:8: expected a name after 'thread', found ':'\n"
    "    1 | thread :\n"
    "      |        ^" },
  { "else-after-bad-if",
    "main:\n    if nope > 1:\n        yield\n    else:\n        yield\n",
    "race.tvs:2:8: unknown variable 'nope' (no variables are declared)\n"
    "    2 |     if nope > 1:\n"
    "      |        ^" },
  { "block-on-same-line",
    "main:\n    forever: yield\n",
    "race.tvs:2:14: expected end of line after 'forever:', found 'yield' (the block goes on the next lines, indented)\n"
    "    2 |     forever: yield\n"
    "      |              ^" },
  { "alive-def",
    "def f:\n    yield\nmain:\n    if alive f:\n        yield\n",
    "race.tvs:4:14: 'f' is a def, not a thread or process (use 'spawn' or 'call' for a def)\n"
    "    4 |     if alive f:\n"
    "      |              ^" },
  { "qsize-lock",
    "lock L\nmain:\n    print \"{qsize L}\"\n",
    "race.tvs:3:19: 'L' is a lock, not a queue\n"
    "    3 |     print \"{qsize L}\"\n"
    "      |                   ^" },
  { "show-queue",
    "queue Q\nmain:\n    print \"{Q}\"\n",
    "race.tvs:3:13: 'Q' is a queue and cannot be shown in a string (use {qsize NAME})\n"
    "    3 |     print \"{Q}\"\n"
    "      |             ^" },
  { "body-without-kind",
    "worker:\n    yield\n",
    "race.tvs:1:1: 'worker:' is not a body: write 'thread worker:', 'process worker:' or 'def worker:'\n"
    "    1 | worker:\n"
    "      | ^" },
  { "keyword-at-top",
    "on\nlock L\n",
    "race.tvs:1:1: expected a declaration such as 'lock L', 'var x = 0' or 'thread T:', found the keyword 'on'\n"
    "    1 | on\n"
    "      | ^" },
  { "release-without-acquire",
    "lock L\nthread T:\n    release L\n",
    "race.tvs:3:13: 'release L' here can never hold L: nothing before it in this body acquires it\n"
    "    3 |     release L\n"
    "      |             ^" },
};

static void
test_error_case (gconstpointer data)
{
  const char *name = data;

  for (gsize k = 0; k < G_N_ELEMENTS (error_cases); k++)
    if (strcmp (error_cases[k].name, name) == 0)
      {
        assert_error (error_cases[k].text, error_cases[k].expected);
        return;
      }
  g_assert_not_reached ();
}

static void
test_multiple_errors (void)
{
  assert_error ("lock L\n"
                "queue Q\n"
                "thread T:\n"
                "    acquire M\n"
                "    put L\n"
                "    sleep 5\n"
                "    repeat 3\n"
                "        put Q nope\n"
                "    print \"{what}\"\n"
                "lock L\n"
                "main:\n"
                "    start T\n"
                "    join Q timeout 1s\n",
                "race.tvs:4:13: unknown lock 'M' (declared: L)\n"
                "    4 |     acquire M\n"
                "      |             ^\n"
                "race.tvs:5:9: 'L' is a lock, not a queue\n"
                "    5 |     put L\n"
                "      |         ^\n"
                "race.tvs:6:11: expected a duration such as 250ms or 2s, found '5'\n"
                "    6 |     sleep 5\n"
                "      |           ^\n"
                "race.tvs:7:13: expected ':' after 'repeat 3'\n"
                "    7 |     repeat 3\n"
                "      |             ^\n"
                "race.tvs:8:15: unknown variable 'nope' (no variables are declared)\n"
                "    8 |         put Q nope\n"
                "      |               ^\n"
                "race.tvs:9:13: unknown name 'what' in interpolation (known: item, i, thread, pid, tid, active_count, threads, acquired, alive T, qsize Q)\n"
                "    9 |     print \"{what}\"\n"
                "      |             ^\n"
                "race.tvs:10:6: 'L' is already declared on line 1 (as a lock)\n"
                "   10 | lock L\n"
                "      |      ^\n"
                "race.tvs:13:12: 'join' of a queue takes no timeout\n"
                "   13 |     join Q timeout 1s\n"
                "      |            ^");
}

static void
test_limits (void)
{
  g_autoptr(GString) text = g_string_new ("def f:\n    yield\n");
  g_autofree char *message = NULL;

  /* 256 thread slots: 200 instances + 56 spawn sites is fine, one more is not. */
  for (guint k = 0; k < 4; k++)
    g_string_append_printf (text, "thread t%u * 50:\n    yield\n", k);
  {
    g_autoptr(GString) ok = g_string_new (text->str);
    g_autoptr(TvScenario) s = NULL;

    g_string_append (ok, "process p * 64:\n");
    for (guint k = 0; k < 56; k++)
      g_string_append (ok, "    spawn f\n");
    s = parse_ok (ok->str);
    g_assert_cmpuint (s->n_spawn_sites, ==, 56);

    g_string_append (ok, "    spawn f\n");
    message = parse_error (ok->str, TV_SCENARIO_ERROR_INVALID);
    g_assert_true (g_str_has_prefix (message, "race.tvs:68:5: too many threads: 257 (the limit is 256)\n"));
  }
}

static void
test_file_limits (void)
{
  g_autofree char *big = g_malloc (TV_SCENARIO_MAX_FILE_BYTES + 2);
  g_autoptr(GString) long_line = g_string_new ("main:\n    print \"");
  g_autoptr(GPtrArray) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  TvScenario *s;

  memset (big, '\n', TV_SCENARIO_MAX_FILE_BYTES + 1);
  big[TV_SCENARIO_MAX_FILE_BYTES + 1] = '\0';
  s = tv_scenario_parse ("big.tvs", big, -1, &diagnostics, &error);
  g_assert_null (s);
  g_assert_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_LIMIT);
  g_assert_cmpstr (error->message, ==, "big.tvs: file too large: 1048577 bytes (the limit is 1048576)");
  g_assert_cmpuint (diagnostics->len, ==, 1);
  g_clear_error (&error);

  /* Exactly at the limits is fine. */
  s = tv_scenario_parse ("big.tvs", big, TV_SCENARIO_MAX_LINES, NULL, &error);
  g_assert_no_error (error);
  tv_scenario_unref (s);

  s = tv_scenario_parse ("big.tvs", big, TV_SCENARIO_MAX_LINES + 1, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_LIMIT);
  g_assert_true (g_str_has_prefix (error->message, "big.tvs:65536:1: too many lines: 65536 (the limit is 65535)"));
  g_clear_error (&error);

  for (guint k = 0; k < TV_SCENARIO_MAX_LINE_LENGTH; k++)
    g_string_append_c (long_line, k < 4088 ? 'x' : 'y');
  g_string_append (long_line, "\"\n");
  message = parse_error (long_line->str, TV_SCENARIO_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (message, "race.tvs:2:4097: line too long: 4108 characters (the limit is 4096)\n"));
}

static void
test_call_depth (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *message = NULL;

  /* main -> f1 -> ... -> f31: 32 levels. */
  for (guint k = 1; k <= 31; k++)
    g_string_append_printf (text, "def f%u:\n    %s%u\n", k, k < 31 ? "call f" : "sleep 1ms #", k + 1);
  g_string_append (text, "main:\n    call f1\n");
  {
    g_autoptr(TvScenario) s = parse_ok (text->str);
    g_assert_cmpuint (s->n_bodies, ==, 32);
  }

  g_string_prepend (text, "def f0:\n    call f1\nthread T:\n    call f0\n");
  message = parse_error (text->str, TV_SCENARIO_ERROR_INVALID);
  g_assert_cmpstr (message, ==,
                   "race.tvs:4:10: calls nested too deeply: 33 levels (the limit is 32)\n"
                   "    4 |     call f0\n"
                   "      |          ^");
}

static void
test_recursion (void)
{
  assert_error ("def a:\n    call b\ndef b:\n    if 1 > 0:\n        call c\ndef c:\n    call a\n",
                "race.tvs:7:10: recursive call: a -> b -> c -> a (a def cannot call itself, directly or through others)\n"
                "    7 |     call a\n"
                "      |          ^");
}

static void
test_bad_bytes (void)
{
  static const char nul[] = "main:\n    yield\0 x\n";
  g_autoptr(GError) error = NULL;
  TvScenario *s;

  assert_error ("main:\n    print \"\xff\"\n",
                "race.tvs:2:12: invalid UTF-8 byte 0xFF (a scenario is UTF-8 text)\n"
                "    2 |     print \"\xef\xbf\xbd\"\n"
                "      |            ^");
  s = tv_scenario_parse ("race.tvs", nul, sizeof nul - 1, NULL, &error);
  g_assert_null (s);
  g_assert_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "race.tvs:2:10: NUL byte in the text (a scenario is UTF-8 text)\n"));
}

static void
test_tab_block (void)
{
  /* A block indented with tabs: one error per line, and no indentation
   * errors on top of them. */
  assert_error ("main:\n\tsleep 1s\n\tif 1 > 0:\n\t\tyield\n",
                "race.tvs:2:1: tab in indentation: indent with spaces\n"
                "    2 | \tsleep 1s\n"
                "      | ^\n"
                "race.tvs:3:1: tab in indentation: indent with spaces\n"
                "    3 | \tif 1 > 0:\n"
                "      | ^\n"
                "race.tvs:4:1: tab in indentation: indent with spaces\n"
                "    4 | \t\tyield\n"
                "      | ^");
}

static void
test_forward_references (void)
{
  /* Names may be used above the lines that declare them. */
  g_autoptr(TvScenario) s = parse_ok ("main:\n    start late\n    put Q n\n    print \"{n} {qsize Q}\"\n"
                                      "thread late:\n    call helper\n"
                                      "def helper:\n    acquire L\n    release L\n"
                                      "queue Q\nlock L\nvar n = 3\n");
  g_autofree char *dump = dump_body (s, "main");

  g_assert_cmpstr (dump, ==, "{ start late; put Q n; print \"{n}[ ]{qsize Q}\"; }");
  g_assert_cmpuint (s->main_body, ==, 0);
  g_assert_cmpint (s->vars[0].initial, ==, 3);
}

static void
test_many_errors (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  TvScenario *s;

  /* Each error lists the declared locks and quotes its line: that must
   * not cost a pass over the whole file per error. */
  for (guint k = 0; k < 2000; k++)
    g_string_append_printf (text, "lock L%u\n", k);
  g_string_append (text, "main:\n");
  for (guint k = 0; k < 20000; k++)
    g_string_append (text, "    acquire M\n");
  s = tv_scenario_parse ("race.tvs", text->str, text->len, &diagnostics, &error);
  g_assert_null (s);
  g_assert_cmpuint (diagnostics->len, ==, 20000);
  g_assert_true (g_str_has_prefix (error->message,
                                   "race.tvs:2002:13: unknown lock 'M' (declared: L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, ...)\n"
                                   " 2002 |     acquire M\n"));
}

static void
test_load_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tv-parser-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "lock-sync.tvs", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.tvs", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) s = NULL;
  g_autoptr(GPtrArray) diagnostics = NULL;
  TvScenario *none;

  g_assert_true (g_file_set_contents (path, "lock L\nmain:\n    acquire L\n", -1, NULL));
  s = tv_scenario_load_file (path, &diagnostics, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (s->title, ==, "lock-sync");
  g_assert_cmpstr (s->filename, ==, path);
  g_assert_cmpuint (diagnostics->len, ==, 0);

  none = tv_scenario_load_file (missing, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_IO);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, "main:\n    acquire L\n", -1, NULL));
  none = tv_scenario_load_file (path, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, TV_SCENARIO_ERROR, TV_SCENARIO_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_refcount (void)
{
  TvScenario *s = parse_ok ("lock L\n");
  TvScenario *again = tv_scenario_ref (s);

  g_assert_true (again == s);
  tv_scenario_unref (s);
  g_assert_cmpstr (again->objects[0].name, ==, "L");
  tv_scenario_unref (again);
}

/* --- Robustness ---------------------------------------------------------- */

/* Every index in the tree points at what its kind says. */
static void check_block (const TvScenario *s, const TvBlock *block);

static void
check_expr (const TvScenario *s,
            const TvExpr     *e)
{
  if (e == NULL)
    return;
  g_assert_cmpint (e->kind, <=, TV_EXPR_MOD);
  if (e->kind == TV_EXPR_VAR)
    {
      g_assert_cmpuint (e->index, <, s->n_vars);
      g_assert_cmpint (s->vars[e->index].kind, !=, TV_VAR_STOPWATCH);
    }
  if (e->kind >= TV_EXPR_NEG)
    g_assert_nonnull (e->lhs);
  if (e->kind >= TV_EXPR_ADD)
    g_assert_nonnull (e->rhs);
  check_expr (s, e->lhs);
  check_expr (s, e->rhs);
}

static void
check_stmt (const TvScenario *s,
            const TvStmt     *st)
{
  switch (st->kind)
    {
    case TV_STMT_START:
    case TV_STMT_JOIN:
      g_assert_cmpuint (st->target, <, s->n_bodies);
      g_assert_true (s->bodies[st->target].kind == TV_BODY_THREAD
                     || s->bodies[st->target].kind == TV_BODY_PROCESS);
      break;
    case TV_STMT_SPAWN:
    case TV_STMT_CALL:
      g_assert_cmpuint (st->target, <, s->n_bodies);
      g_assert_cmpint (s->bodies[st->target].kind, ==, TV_BODY_DEF);
      if (st->kind == TV_STMT_SPAWN)
        g_assert_cmpuint (st->spawn_slot, <, s->n_spawn_sites);
      break;
    case TV_STMT_ACQUIRE:
    case TV_STMT_TRY_ACQUIRE:
    case TV_STMT_RELEASE:
    case TV_STMT_WITH:
      g_assert_cmpuint (st->target, <, s->n_objects);
      g_assert_true (s->objects[st->target].kind == TV_OBJ_LOCK || s->objects[st->target].kind == TV_OBJ_RLOCK
                     || s->objects[st->target].kind == TV_OBJ_SEMAPHORE || s->objects[st->target].kind == TV_OBJ_CONDITION);
      break;
    case TV_STMT_PUT:
    case TV_STMT_GET:
    case TV_STMT_TASK_DONE:
    case TV_STMT_JOIN_QUEUE:
      g_assert_cmpuint (st->target, <, s->n_objects);
      g_assert_cmpint (s->objects[st->target].kind, ==, TV_OBJ_QUEUE);
      break;
    case TV_STMT_SET:
    case TV_STMT_CLEAR:
      g_assert_cmpuint (st->target, <, s->n_objects);
      g_assert_cmpint (s->objects[st->target].kind, ==, TV_OBJ_EVENT);
      break;
    case TV_STMT_WAIT:
    case TV_STMT_NOTIFY:
      g_assert_cmpuint (st->target, <, s->n_objects);
      break;
    case TV_STMT_ASSIGN:
    case TV_STMT_ADD_ASSIGN:
      g_assert_cmpint (st->var, >=, 0);
      g_assert_cmpint (st->var, <, (gint) s->n_vars);
      g_assert_nonnull (st->expr);
      break;
    case TV_STMT_STOPWATCH:
      g_assert_cmpint (s->vars[st->var].kind, ==, TV_VAR_STOPWATCH);
      break;
    case TV_STMT_PRINT:
    case TV_STMT_RENAME:
      g_assert_nonnull (st->text);
      for (guint k = 0; k < st->text->n_parts; k++)
        if (st->text->parts[k].kind == TV_PART_VAR || st->text->parts[k].kind == TV_PART_STOPWATCH)
          g_assert_cmpuint (st->text->parts[k].index, <, s->n_vars);
      break;
    case TV_STMT_REPEAT:
    case TV_STMT_FOREVER:
    case TV_STMT_IF:
      g_assert_nonnull (st->body);
      break;
    default:
      break;
    }
  g_assert_cmpuint (st->location.line, >=, 1);
  check_expr (s, st->expr);
  if (st->cond != NULL)
    {
      check_expr (s, st->cond->lhs);
      check_expr (s, st->cond->rhs);
    }
  if (st->body != NULL)
    check_block (s, st->body);
  if (st->else_body != NULL)
    check_block (s, st->else_body);
}

static void
check_block (const TvScenario *s,
             const TvBlock    *block)
{
  g_assert_nonnull (block);
  for (guint k = 0; k < block->n_stmts; k++)
    check_stmt (s, &block->stmts[k]);
}

static const char robust_seed[] =
  "title \"All of it {x}\"\n"
  "gil on switch 2ms\n"
  "lock L\nrlock R\nsemaphore S 2\nevent E\ncondition C\nbarrier B 2\nqueue Q capacity 3\n"
  "var x = 1\nshared y = -2\n"
  "def helper:\n"
  "    print \"{i} {item} {thread} {pid} {tid} {active_count} {threads} {alive w} {qsize Q} {acquired} {t:.2f}\"\n"
  "thread w * 3:\n"
  "    acquire L timeout 200ms\n"
  "    if acquired:\n"
  "        release L\n"
  "    else:\n"
  "        print \"no {{braces}} \\\"here\\\"\\n\"\n"
  "    with C:\n"
  "        wait C timeout 1s\n"
  "        notify C all\n"
  "    put Q x * 2 + 1\n"
  "    get Q -> x\n"
  "    x += item window 800us\n"
  "    stopwatch t\n"
  "    repeat 5:\n"
  "        x = (i + 2) % -3 / 1\n"
  "    forever:\n"
  "        io 100µs\n"
  "process p * 2:\n"
  "    if alive w:\n"
  "        call helper\n"
  "    spawn helper\n"
  "main:\n"
  "    start w\n"
  "    join w timeout 1.5s\n";

static char *
mutate (GRand      *rand,
        const char *seed,
        gsize      *length)
{
  static const char alphabet[] = " \t\n\r:{}\"\\#-*()=+<>!0123456789.abcxyzLQsm_\xc2\xb5\xff";
  GString *bytes = g_string_new (seed);
  guint n_mutations = g_rand_int_range (rand, 1, 12);

  for (guint m = 0; m < n_mutations && bytes->len > 0; m++)
    {
      gssize at = g_rand_int_range (rand, 0, bytes->len);
      char c = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      gssize run = g_rand_int_range (rand, 1, 80);   /* (MIN evaluates twice) */

      switch (g_rand_int_range (rand, 0, 7))
        {
        case 0:   /* replace a byte */
          bytes->str[at] = c;
          break;
        case 1:   /* insert a byte */
          g_string_insert_len (bytes, at, &c, 1);
          break;
        case 2:   /* delete a run */
          g_string_erase (bytes, at, MIN ((gssize) bytes->len - at, run / 4 + 1));
          break;
        case 3:   /* duplicate a run (lines, blocks) */
          {
            gssize n = MIN ((gssize) bytes->len - at, run);
            g_autofree char *copy = g_memdup2 (bytes->str + at, n);
            g_string_insert_len (bytes, g_rand_int_range (rand, 0, bytes->len), copy, n);
          }
          break;
        case 4:   /* a random byte, NUL included */
          bytes->str[at] = (char) g_rand_int_range (rand, 0, 256);
          break;
        case 5:   /* indentation */
          g_string_insert_len (bytes, at, "    ", g_rand_int_range (rand, 1, 5));
          break;
        default:  /* a big number */
          g_string_insert_len (bytes, at, "99999999999999999999", g_rand_int_range (rand, 1, 21));
          break;
        }
    }
  *length = bytes->len;
  return g_string_free (bytes, FALSE);
}

static void
parse_any (const char *text,
           gsize       length)
{
  g_autoptr(GPtrArray) diagnostics = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TvScenario) s = tv_scenario_parse ("fuzz.tvs", text, length, &diagnostics, &error);

  g_assert_nonnull (diagnostics);
  if (s != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpuint (diagnostics->len, ==, 0);
      g_assert_cmpuint (s->main_body, <, s->n_bodies);
      g_assert_cmpint (s->bodies[s->main_body].kind, ==, TV_BODY_MAIN);
      for (guint k = 0; k < s->n_bodies; k++)
        check_block (s, s->bodies[k].block);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_cmpuint (diagnostics->len, >, 0);
      g_assert_true (g_str_has_prefix (error->message, "fuzz.tvs:"));
      for (guint k = 0; k < diagnostics->len; k++)
        {
          TvDiagnostic *d = diagnostics->pdata[k];
          g_assert_nonnull (d->message);
          g_assert_cmpuint (d->location.line, <=, TV_SCENARIO_MAX_LINES + 1);
        }
    }
}

static void
test_robustness (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261127);
  const char *seeds[] = { robust_seed, race_text };

  for (guint k = 0; k < 2000; k++)
    {
      gsize length;
      g_autofree char *text = NULL;

      if (k % 10 == 9)
        {
          /* Pure noise. */
          length = g_rand_int_range (rand, 0, 300);
          text = g_malloc (length + 1);
          for (gsize b = 0; b < length; b++)
            text[b] = g_rand_int_range (rand, 0, 256);
          text[length] = '\0';
        }
      else
        text = mutate (rand, seeds[k % 2], &length);
      parse_any (text, length);
    }
}

static void
test_deep_input (void)
{
  g_autoptr(GString) nest = g_string_new ("main:\n");
  g_autoptr(GString) parens = g_string_new ("var x = 0\nmain:\n    x = ");
  g_autoptr(GString) tokens = g_string_new ("var x = 0\nmain:\n    x = 0");
  g_autofree char *message = NULL;

  /* 1000 nested blocks: refused without recursing 1000 deep. */
  for (guint k = 1; k <= 1000; k++)
    {
      for (guint i = 0; i < k; i++)
        g_string_append_c (nest, ' ');
      g_string_append (nest, "forever:\n");
    }
  message = parse_error (nest->str, TV_SCENARIO_ERROR_INVALID);
  g_assert_true (strstr (message, "blocks nested too deeply: 33 levels (the limit is 32)") != NULL);
  g_clear_pointer (&message, g_free);

  for (guint k = 0; k < 2000; k++)
    g_string_append_c (parens, '(');
  g_string_append (parens, "1\n");
  message = parse_error (parens->str, TV_SCENARIO_ERROR_INVALID);
  g_assert_true (strstr (message, "expression nested too deeply (the limit is 64 levels)") != NULL);

  for (guint k = 0; k < 1000; k++)
    g_string_append (tokens, " + x");
  g_string_append_c (tokens, '\n');
  {
    g_autoptr(TvScenario) s = parse_ok (tokens->str);
    g_assert_nonnull (s);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tv/parser/race", test_race);
  g_test_add_func ("/tv/parser/header", test_header);
  g_test_add_func ("/tv/parser/objects", test_objects);
  g_test_add_func ("/tv/parser/bodies", test_bodies);
  g_test_add_func ("/tv/parser/synthesised-main", test_synthesised_main);
  g_test_add_func ("/tv/parser/empty", test_empty);
  g_test_add_func ("/tv/parser/layout", test_layout);
  g_test_add_func ("/tv/parser/statements", test_statements);
  g_test_add_func ("/tv/parser/durations", test_durations);
  g_test_add_func ("/tv/parser/expressions", test_expressions);
  g_test_add_func ("/tv/parser/conditions", test_conditions);
  g_test_add_func ("/tv/parser/templates", test_templates);
  g_test_add_func ("/tv/parser/stopwatch", test_stopwatch);
  g_test_add_func ("/tv/parser/spawn-slots", test_spawn_slots);
  g_test_add_func ("/tv/parser/condition-held", test_condition_held);
  g_test_add_func ("/tv/parser/release-check", test_release_check);
  g_test_add_func ("/tv/parser/dup-line", test_dup_line);
  g_test_add_func ("/tv/parser/diagnostic-format", test_diagnostic_format);
  g_test_add_func ("/tv/parser/diagnostics-array", test_diagnostics_array);
  for (gsize k = 0; k < G_N_ELEMENTS (error_cases); k++)
    {
      g_autofree char *path = g_strdup_printf ("/tv/parser/error/%s", error_cases[k].name);
      g_test_add_data_func (path, error_cases[k].name, test_error_case);
    }
  g_test_add_func ("/tv/parser/multiple-errors", test_multiple_errors);
  g_test_add_func ("/tv/parser/limits", test_limits);
  g_test_add_func ("/tv/parser/file-limits", test_file_limits);
  g_test_add_func ("/tv/parser/call-depth", test_call_depth);
  g_test_add_func ("/tv/parser/recursion", test_recursion);
  g_test_add_func ("/tv/parser/bad-bytes", test_bad_bytes);
  g_test_add_func ("/tv/parser/tab-block", test_tab_block);
  g_test_add_func ("/tv/parser/forward-references", test_forward_references);
  g_test_add_func ("/tv/parser/many-errors", test_many_errors);
  g_test_add_func ("/tv/parser/load-file", test_load_file);
  g_test_add_func ("/tv/parser/refcount", test_refcount);
  g_test_add_func ("/tv/parser/robustness", test_robustness);
  g_test_add_func ("/tv/parser/deep-input", test_deep_input);

  return g_test_run ();
}

#endif
