/* gl-sql.h — one statement interface over the two stores a project can live
 * in: a SQLite file on this desktop, or a PostgreSQL database a team shares
 * (issue 18). Only db/ uses it; the rest of Gleaner sees gl-db.h.
 *
 * The SQL is written once, in the dialect both understand: parameters as
 * ?1, ?2 … (rewritten to $1, $2 … for PostgreSQL), upserts as ON CONFLICT …
 * DO NOTHING / DO UPDATE, new ids through RETURNING, no INSERT OR …, no
 * PRAGMA outside gl-db.c's SQLite set-up, COALESCE and CASE (not ifnull,
 * iif, printf, group_concat), integers for truth values. SQLite's planner
 * hints "INDEXED BY name" and "NOT INDEXED" may stay: PostgreSQL drops it. "ORDER BY rowid"
 * works only on tables whose PostgreSQL DDL gives them a rowid column. Values are 64-bit integers,
 * doubles (infinities included; a NaN is stored as NULL, as SQLite must),
 * UTF-8 text, blobs and NULL. The DDL (types, identity columns) is the one
 * thing written per backend.
 *
 * PostgreSQL statements are prepared on the server the first time they are
 * stepped, with the parameter types of their first bindings (bigint, double
 * precision, text, bytea), and again if those types change; a step runs the
 * statement and reads its whole result, the rows then come one by one.
 *
 * Errors: GL_SQL_ERROR with a code a caller can act on (busy, full,
 * constraint, gone …) and a message "TARGET: what: reason" in which TARGET
 * is the file path or the connection's host, port and database — never its
 * password.
 *
 * Threads: a connection and its statements belong to one thread at a time.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GL_SQL_ERROR (gl_sql_error_quark ())
GQuark gl_sql_error_quark (void);

typedef enum
{
  GL_SQL_ERROR_FAILED,
  GL_SQL_ERROR_BUSY,       /* locked, a serialization failure or a deadlock: try again */
  GL_SQL_ERROR_FULL,       /* the disk (or the server's disk) is full */
  GL_SQL_ERROR_CORRUPT,    /* not a database, or a damaged one */
  GL_SQL_ERROR_CONSTRAINT, /* a unique, foreign-key, check or not-null rule */
  GL_SQL_ERROR_CANNOT_OPEN,
  GL_SQL_ERROR_GONE, /* the server went away (or the connection broke) */
} GlSqlError;

typedef enum
{
  GL_SQL_SQLITE,
  GL_SQL_POSTGRES,
} GlSqlBackend;

typedef enum
{
  GL_SQL_STEP_ERROR = -1,
  GL_SQL_STEP_DONE = 0,
  GL_SQL_STEP_ROW = 1,
} GlSqlStep;

typedef struct _GlSqlConn GlSqlConn;
typedef struct _GlSqlStmt GlSqlStmt;

/* TRUE when @target names a PostgreSQL database: a postgresql:// or
 * postgres:// URI, or key=value connection settings ("host=… dbname=…"). */
gboolean gl_sql_is_server_target (const char *target);

/* Opens @target: a SQLite file path (created when missing) or a PostgreSQL
 * database (gl_sql_is_server_target). */
GlSqlConn *gl_sql_open (const char *target, GError **error);
void gl_sql_close (GlSqlConn *conn);
GlSqlBackend gl_sql_backend (GlSqlConn *conn);
/* What to show a person: the path, or "postgresql://user@host:port/db"
 * with no password or other secret settings. */
const char *gl_sql_describe (GlSqlConn *conn);
/* A connection string with its password and other secrets taken out, for
 * messages (also for strings that do not parse: then only what is surely
 * not a secret is kept). Free with g_free. */
char *gl_sql_redact_target (const char *target);

/* Runs @sql (one or more statements, no parameters, no result wanted). */
gboolean gl_sql_exec (GlSqlConn *conn, const char *sql, GError **error);
/* BEGIN (SQLite: BEGIN IMMEDIATE, a write transaction) / COMMIT / ROLLBACK. */
gboolean gl_sql_begin (GlSqlConn *conn, GError **error);
gboolean gl_sql_commit (GlSqlConn *conn, GError **error);
void gl_sql_rollback (GlSqlConn *conn);

/* The connection's statement for @sql, prepared once and kept (reset, no
 * bindings). NULL with @error when the SQL does not compile (SQLite; on
 * PostgreSQL at the first step). */
GlSqlStmt *gl_sql_prepare (GlSqlConn *conn, const char *sql, GError **error);
/* A statement of the caller's own, not cached: for a loop whose body may
 * run the same SQL again. Free with gl_sql_finalize (NULL is fine). */
GlSqlStmt *gl_sql_prepare_uncached (GlSqlConn *conn, const char *sql, GError **error);
void gl_sql_finalize (GlSqlStmt *st);
/* Parameters count from 1. Text and blobs are borrowed: keep them alive and
 * unchanged until the statement is reset (SQLite binds them in place, with
 * no copy; PostgreSQL copies them). */
void gl_sql_bind_int64 (GlSqlStmt *st, int i, gint64 v);
void gl_sql_bind_double (GlSqlStmt *st, int i, double v);
void gl_sql_bind_text (GlSqlStmt *st, int i, const char *v); /* NULL binds NULL */
void gl_sql_bind_blob (GlSqlStmt *st, int i, const void *data, gsize len);
void gl_sql_bind_null (GlSqlStmt *st, int i);
/* Runs the statement (first call) or moves to its next row. */
GlSqlStep gl_sql_step (GlSqlStmt *st, GError **error);
/* Steps to the end; FALSE with @error. Resets either way. */
gboolean gl_sql_run (GlSqlStmt *st, GError **error);
/* Ends the current run and clears the bindings (NULL is fine). */
void gl_sql_reset (GlSqlStmt *st);
/* Rows changed by the last statement run on @conn. */
gint64 gl_sql_changes (GlSqlConn *conn);
/* The reason of @conn's last failure (without the "TARGET: what: " of its
 * GError) and its code (@code may be NULL); "no error" before any. For a
 * caller that passed NULL for the GError and words its own message. */
const char *gl_sql_last_error (GlSqlConn *conn, GlSqlError *code);
/* The SQL @st was prepared from. */
const char *gl_sql_stmt_sql (GlSqlStmt *st);

/* Columns of the current row, counted from 0. */
int gl_sql_column_count (GlSqlStmt *st);
gboolean gl_sql_column_is_null (GlSqlStmt *st, int i);
gint64 gl_sql_column_int64 (GlSqlStmt *st, int i);  /* NULL → 0 */
double gl_sql_column_double (GlSqlStmt *st, int i); /* NULL → 0 */
/* Borrowed until the next step or reset; NULL for NULL. */
const char *gl_sql_column_text (GlSqlStmt *st, int i);
/* Borrowed until the next step or reset; NULL for NULL (*len 0). */
const void *gl_sql_column_blob (GlSqlStmt *st, int i, gsize *len);

/* ---- Notifications between connections (PostgreSQL's LISTEN/NOTIFY) ----
 * How one desktop learns at once that another labeled an image or that a
 * new model version is in. A SQLite project has one desktop: there
 * gl_sql_listen fails (GL_SQL_ERROR_FAILED) and gl_sql_notify does nothing. */

typedef struct
{
  char *channel;
  char *payload;
} GlSqlNotification;

void gl_sql_notification_free (GlSqlNotification *n);

/* Subscribes @conn to @channel (a plain lower-case identifier). */
gboolean gl_sql_listen (GlSqlConn *conn, const char *channel, GError **error);
/* Sends @payload (≤ 7,999 bytes) on @channel; inside a transaction it goes
 * out when the transaction commits, and not at all if it rolls back. */
gboolean gl_sql_notify (GlSqlConn *conn, const char *channel, const char *payload, GError **error);
/* The connection's socket, to watch for input (g_unix_fd_add); -1 on SQLite. */
int gl_sql_socket (GlSqlConn *conn);
/* Reads what arrived without waiting: GlSqlNotification elements, oldest
 * first (empty when none). NULL with @error when the connection broke. */
GPtrArray *gl_sql_take_notifications (GlSqlConn *conn, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlSqlConn, gl_sql_close)

G_END_DECLS
