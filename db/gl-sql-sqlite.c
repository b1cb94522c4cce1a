/* gl-sql-sqlite.c — the SQLite backend of gl-sql.h: a project file on this
 * desktop. */
#include "db/gl-sql-private.h"

#include "db/gl-sql-sqlite.h"

#define BUSY_TIMEOUT_MS 5000

typedef struct
{
  GlSqlConn base;
  sqlite3 *handle; /* owned */
} LiteConn;

typedef struct
{
  GlSqlStmt base;
  sqlite3_stmt *stmt; /* owned */
} LiteStmt;

static GlSqlError
code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return GL_SQL_ERROR_BUSY;
    case SQLITE_FULL:
      return GL_SQL_ERROR_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return GL_SQL_ERROR_CORRUPT;
    case SQLITE_CONSTRAINT:
      return GL_SQL_ERROR_CONSTRAINT;
    case SQLITE_CANTOPEN:
      return GL_SQL_ERROR_CANNOT_OPEN;
    default:
      return GL_SQL_ERROR_FAILED;
    }
}

static gboolean
fail (GlSqlConn *conn, GError **error, const char *what)
{
  sqlite3 *h = ((LiteConn *) conn)->handle;
  return gl_sql_fail (conn, error, code_for (sqlite3_extended_errcode (h)), what, sqlite3_errmsg (h));
}

static gboolean
lite_exec (GlSqlConn *conn, const char *sql, GError **error)
{
  if (sqlite3_exec (((LiteConn *) conn)->handle, sql, NULL, NULL, NULL) != SQLITE_OK)
    return fail (conn, error, "cannot run a statement");
  return TRUE;
}

static GlSqlStmt *
lite_prepare (GlSqlConn *conn, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v3 (((LiteConn *) conn)->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
      != SQLITE_OK)
    {
      fail (conn, error, "cannot prepare a statement");
      return NULL;
    }
  LiteStmt *st = g_new0 (LiteStmt, 1);
  st->stmt = stmt;
  return &st->base;
}

static void
lite_bind (GlSqlStmt *base, int i, const GlSqlParam *p)
{
  sqlite3_stmt *stmt = ((LiteStmt *) base)->stmt;
  switch (p->kind)
    {
    case GL_SQL_PARAM_NULL:
      sqlite3_bind_null (stmt, i);
      break;
    case GL_SQL_PARAM_INT:
      sqlite3_bind_int64 (stmt, i, p->i);
      break;
    case GL_SQL_PARAM_DOUBLE:
      sqlite3_bind_double (stmt, i, p->d);
      break;
    case GL_SQL_PARAM_TEXT:
      sqlite3_bind_text (stmt, i, p->bytes, -1, SQLITE_STATIC);
      break;
    case GL_SQL_PARAM_BLOB:
      sqlite3_bind_blob64 (stmt, i, p->len > 0 ? p->bytes : "", p->len, SQLITE_STATIC);
      break;
    }
}

static GlSqlStep
lite_step (GlSqlStmt *base, GError **error)
{
  LiteStmt *st = (LiteStmt *) base;
  int rc = sqlite3_step (st->stmt);
  if (rc == SQLITE_ROW)
    return GL_SQL_STEP_ROW;
  if (rc == SQLITE_DONE)
    return GL_SQL_STEP_DONE;
  fail (base->conn, error, "cannot run a statement");
  sqlite3_reset (st->stmt);
  return GL_SQL_STEP_ERROR;
}

static void
lite_reset (GlSqlStmt *base)
{
  LiteStmt *st = (LiteStmt *) base;
  sqlite3_reset (st->stmt);
  sqlite3_clear_bindings (st->stmt);
}

static void
lite_finalize (GlSqlStmt *base)
{
  LiteStmt *st = (LiteStmt *) base;
  sqlite3_finalize (st->stmt);
  g_free (st);
}

static void
lite_close (GlSqlConn *conn)
{
  sqlite3_close_v2 (((LiteConn *) conn)->handle);
  g_free (conn);
}

static gint64
lite_changes (GlSqlConn *conn)
{
  return sqlite3_changes64 (((LiteConn *) conn)->handle);
}

static int
lite_column_count (GlSqlStmt *st)
{
  return sqlite3_data_count (((LiteStmt *) st)->stmt);
}

static gboolean
lite_column_is_null (GlSqlStmt *st, int i)
{
  return sqlite3_column_type (((LiteStmt *) st)->stmt, i) == SQLITE_NULL;
}

static gint64
lite_column_int64 (GlSqlStmt *st, int i)
{
  return sqlite3_column_int64 (((LiteStmt *) st)->stmt, i);
}

static double
lite_column_double (GlSqlStmt *st, int i)
{
  return sqlite3_column_double (((LiteStmt *) st)->stmt, i);
}

static const char *
lite_column_text (GlSqlStmt *st, int i)
{
  return (const char *) sqlite3_column_text (((LiteStmt *) st)->stmt, i);
}

static const void *
lite_column_blob (GlSqlStmt *st, int i, gsize *len)
{
  sqlite3_stmt *s = ((LiteStmt *) st)->stmt;
  const void *data = sqlite3_column_blob (s, i);
  *len = data != NULL ? (gsize) sqlite3_column_bytes (s, i) : 0;
  return data;
}

static const GlSqlBackendFuncs lite_funcs = {
  GL_SQL_SQLITE,    "BEGIN IMMEDIATE", lite_exec,          lite_prepare,        lite_bind,           lite_step,
  lite_reset,       lite_finalize,     lite_close,         lite_changes,        lite_column_count,
  lite_column_is_null, lite_column_int64, lite_column_double, lite_column_text, lite_column_blob,
  NULL,             NULL,              NULL,               NULL,
};

GlSqlConn *
gl_sql_sqlite_open (const char *path, GError **error)
{
  LiteConn *conn = g_new0 (LiteConn, 1);
  conn->base.funcs = &lite_funcs;
  conn->base.describe = g_filename_display_name (path);
  /* NOMUTEX: a connection is one thread's at a time (gl-sql.h), so SQLite's
   * own lock around each call is only cost. */
  int rc = sqlite3_open_v2 (path, &conn->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL);
  if (rc != SQLITE_OK)
    {
      fail (&conn->base, error, "cannot open");
      g_free (conn->base.describe);
      g_free (conn->base.last_reason);
      lite_close (&conn->base);
      return NULL;
    }
  sqlite3_extended_result_codes (conn->handle, 1);
  sqlite3_busy_timeout (conn->handle, BUSY_TIMEOUT_MS);
  return &conn->base;
}

sqlite3 *
gl_sql_sqlite_handle (GlSqlConn *conn)
{
  return conn != NULL && conn->funcs == &lite_funcs ? ((LiteConn *) conn)->handle : NULL;
}
