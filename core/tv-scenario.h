/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tv-scenario.h: the immutable tree a `.tvs` file parses into.
 *
 * The parser resolves every name to an index at load time, so the engine
 * never looks a name up while threads run, and every name error is a load
 * error with its line and column.  A TvScenario is reference counted and
 * never changes after tv_scenario_parse() returns it; any number of runs may
 * share it.
 */
#pragma once

#include <glib.h>

#include "tv-event.h"

G_BEGIN_DECLS

#define TV_SCENARIO_ERROR (tv_scenario_error_quark ())
typedef enum
{
  TV_SCENARIO_ERROR_INVALID,   /* the text has load errors (all in the message) */
  TV_SCENARIO_ERROR_IO,        /* the file could not be read */
  TV_SCENARIO_ERROR_LIMIT,     /* the file is larger than the limits */
} TvScenarioError;
GQuark tv_scenario_error_quark (void);

/* Load-time limits (named in the error when exceeded). */
#define TV_SCENARIO_MAX_FILE_BYTES   (1024 * 1024)
#define TV_SCENARIO_MAX_LINES        65535
#define TV_SCENARIO_MAX_LINE_LENGTH  4096
#define TV_SCENARIO_MAX_THREADS      256     /* thread instances + spawn sites */
#define TV_SCENARIO_MAX_PROCESSES    64
#define TV_SCENARIO_MAX_INSTANCES    64      /* N in `thread T * N` */
#define TV_SCENARIO_MAX_REPEAT       10000000
#define TV_SCENARIO_MAX_NESTING      32
#define TV_SCENARIO_MAX_QUEUE_ITEMS  65536   /* an unbounded queue's real bound */

/* Where something is in the source: 1-based line and column (in characters). */
typedef struct
{
  guint line;
  guint column;
} TvLocation;

/* One load error. */
typedef struct
{
  TvLocation location;
  char      *message;     /* without the file and position */
} TvDiagnostic;

void tv_diagnostic_free (TvDiagnostic *diagnostic);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvDiagnostic, tv_diagnostic_free)

/* --- Declarations ---------------------------------------------------- */

typedef struct
{
  char        *name;
  TvObjectKind kind;       /* LOCK, RLOCK, SEMAPHORE, EVENT, CONDITION, BARRIER, QUEUE */
  gint64       param;      /* semaphore value, barrier parties, queue capacity (0: unbounded) */
  TvLocation   location;
} TvObjectDecl;

typedef enum
{
  TV_VAR_LOCAL,       /* `var`: one copy per process */
  TV_VAR_SHARED,      /* `shared`: one value for all processes */
  TV_VAR_STOPWATCH,   /* named by `stopwatch t`; holds a start time (ns) per process */
} TvVarKind;

typedef struct
{
  char      *name;
  TvVarKind  kind;
  gint64     initial;
  TvLocation location;
} TvVarDecl;

typedef enum
{
  TV_BODY_MAIN,       /* `main:` (always present: synthesised when absent) */
  TV_BODY_THREAD,     /* `thread NAME [* N]:` */
  TV_BODY_PROCESS,    /* `process NAME [* N]:` */
  TV_BODY_DEF,        /* `def NAME:` */
} TvBodyKind;

typedef struct _TvBlock TvBlock;

typedef struct
{
  char      *name;
  TvBodyKind kind;
  guint      count;        /* N of `* N`; 1 without it */
  gboolean   multiple;     /* written with `* N`: instances are NAME-1..NAME-N */
  TvBlock   *block;
  TvLocation location;
} TvBodyDecl;

/* --- Expressions and conditions -------------------------------------- */

typedef enum
{
  TV_EXPR_INT,        /* value */
  TV_EXPR_VAR,        /* index into vars (LOCAL or SHARED) */
  TV_EXPR_ITEM,       /* the last item got by this thread */
  TV_EXPR_COUNTER,    /* `i`: the innermost repeat's 1-based counter */
  TV_EXPR_NEG,        /* - lhs */
  TV_EXPR_ADD, TV_EXPR_SUB, TV_EXPR_MUL, TV_EXPR_DIV, TV_EXPR_MOD,
} TvExprKind;

typedef struct _TvExpr TvExpr;
struct _TvExpr
{
  TvExprKind kind;
  gint64     value;        /* TV_EXPR_INT */
  guint      index;        /* TV_EXPR_VAR */
  TvExpr    *lhs;
  TvExpr    *rhs;
  TvLocation location;     /* of the operator or operand (for run-time errors: / 0) */
};

typedef enum
{
  TV_COND_EQ, TV_COND_NE, TV_COND_LT, TV_COND_LE, TV_COND_GT, TV_COND_GE,
  TV_COND_ACQUIRED,       /* the last acquire / try_acquire of this thread got it */
  TV_COND_NOT_ACQUIRED,
  TV_COND_ALIVE,          /* body index: any instance of it is alive */
} TvCondKind;

typedef struct
{
  TvCondKind kind;
  TvExpr    *lhs;
  TvExpr    *rhs;
  guint      body;         /* TV_COND_ALIVE */
} TvCond;

/* --- Strings with interpolations ------------------------------------- */

typedef enum
{
  TV_PART_TEXT,           /* text */
  TV_PART_VAR,            /* {x}: var index */
  TV_PART_ITEM,           /* {item} */
  TV_PART_COUNTER,        /* {i} */
  TV_PART_THREAD,         /* {thread} */
  TV_PART_PID,            /* {pid} */
  TV_PART_TID,            /* {tid} */
  TV_PART_ACTIVE_COUNT,   /* {active_count} */
  TV_PART_THREADS,        /* {threads} */
  TV_PART_ALIVE,          /* {alive T}: body index */
  TV_PART_QSIZE,          /* {qsize Q}: object index */
  TV_PART_ACQUIRED,       /* {acquired} */
  TV_PART_STOPWATCH,      /* {t} / {t:.Nf}: var index of a STOPWATCH, precision */
} TvPartKind;

typedef struct
{
  TvPartKind kind;
  char      *text;         /* TV_PART_TEXT, escapes already decoded */
  guint      index;        /* var, body or object index */
  gint       precision;    /* TV_PART_STOPWATCH: digits after the point, -1 for the default */
} TvPart;

typedef struct
{
  TvPart *parts;
  guint   n_parts;
} TvTemplate;

/* --- Statements ------------------------------------------------------ */

typedef enum
{
  TV_STMT_START,          /* target = body (THREAD or PROCESS) */
  TV_STMT_JOIN,           /* target = body; duration = timeout or -1 */
  TV_STMT_SPAWN,          /* target = body (DEF); spawn_slot = its thread slot among spawn sites */
  TV_STMT_CALL,           /* target = body (DEF) */
  TV_STMT_SLEEP,          /* duration */
  TV_STMT_WORK,           /* duration */
  TV_STMT_IO,             /* duration */
  TV_STMT_YIELD,
  TV_STMT_ACQUIRE,        /* target = object (LOCK, RLOCK, SEMAPHORE, CONDITION); duration = timeout or -1 */
  TV_STMT_TRY_ACQUIRE,    /* target = object */
  TV_STMT_RELEASE,        /* target = object */
  TV_STMT_WITH,           /* target = object; body */
  TV_STMT_PUT,            /* target = QUEUE; expr = item value or NULL (then the item id) */
  TV_STMT_GET,            /* target = QUEUE; var = destination or -1 */
  TV_STMT_TASK_DONE,      /* target = QUEUE */
  TV_STMT_JOIN_QUEUE,     /* target = QUEUE */
  TV_STMT_SET,            /* target = EVENT */
  TV_STMT_CLEAR,          /* target = EVENT */
  TV_STMT_WAIT,           /* target = EVENT, CONDITION or BARRIER; duration = timeout or -1 */
  TV_STMT_NOTIFY,         /* target = CONDITION; all */
  TV_STMT_ASSIGN,         /* var = expr */
  TV_STMT_ADD_ASSIGN,     /* var += expr [window duration] (duration -1 without window) */
  TV_STMT_PRINT,          /* text */
  TV_STMT_STOPWATCH,      /* var (a STOPWATCH) */
  TV_STMT_RENAME,         /* text */
  TV_STMT_REPEAT,         /* count; body */
  TV_STMT_FOREVER,        /* body */
  TV_STMT_IF,             /* cond; body; else_body or NULL */
} TvStmtKind;

typedef struct
{
  TvStmtKind  kind;
  TvLocation  location;    /* of the statement's first token */
  guint       target;      /* object or body index, as the kind says */
  gint        var;         /* var index, or -1 */
  gint64      duration;    /* ns of scenario time, or -1 */
  gint64      count;       /* TV_STMT_REPEAT */
  gboolean    all;         /* `notify C all` */
  guint       spawn_slot;  /* TV_STMT_SPAWN */
  TvExpr     *expr;
  TvCond     *cond;
  TvTemplate *text;
  TvBlock    *body;
  TvBlock    *else_body;
} TvStmt;

struct _TvBlock
{
  TvStmt *stmts;
  guint   n_stmts;
};

/* --- The scenario ---------------------------------------------------- */

typedef struct
{
  char         *filename;     /* as given to the parser (shown in errors) */
  char         *source;       /* the whole text */
  char         *title;        /* `title`, or the file's base name without .tvs */
  char         *about;        /* `about`, or NULL */
  gboolean      gil;          /* `gil on` */
  gint64        gil_switch;   /* ns; 5 ms unless `switch D` */
  TvLocation    gil_location;

  TvObjectDecl *objects;
  guint         n_objects;
  TvVarDecl    *vars;
  guint         n_vars;
  TvBodyDecl   *bodies;       /* in file order; `main` included */
  guint         n_bodies;
  guint         main_body;    /* index of the main body */
  gboolean      explicit_main;/* FALSE: main was synthesised (start all, join all) */
  guint         n_spawn_sites;
} TvScenario;

/*
 * Parses `text` (`length` bytes, or -1 for NUL-terminated).  `filename` is
 * only used in messages.  On load errors returns NULL and sets `error`
 * (TV_SCENARIO_ERROR_INVALID) to every error formatted as
 *
 *   FILE:LINE:COLUMN: MESSAGE
 *    LINE | the line quoted
 *         |     ^
 *
 * one after the other, and, when `diagnostics` is not NULL, sets it to a new
 * array of TvDiagnostic (also on success: then empty).
 */
TvScenario *tv_scenario_parse (const char *filename,
                               const char *text,
                               gssize      length,
                               GPtrArray **diagnostics,
                               GError    **error);

/* Reads and parses a file (TV_SCENARIO_ERROR_IO when it cannot be read). */
TvScenario *tv_scenario_load_file (const char *path,
                                   GPtrArray **diagnostics,
                                   GError    **error);

TvScenario *tv_scenario_ref (TvScenario *self);
void        tv_scenario_unref (TvScenario *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TvScenario, tv_scenario_unref)

/* The source text of 1-based `line`, without its end of line (a new string). */
char       *tv_scenario_dup_line (const TvScenario *self, guint line);

/*
 * Formats one diagnostic as above (no trailing newline).  `source` is the
 * whole text, used to quote the line.
 */
char       *tv_diagnostic_format (const TvDiagnostic *diagnostic,
                                  const char         *filename,
                                  const char         *source);

G_END_DECLS
