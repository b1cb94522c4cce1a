/* gl-sql.c — see gl-sql.h: the parts both backends share (bindings, the
 * statement cache, errors, telling targets apart, keeping secrets out of
 * messages). */
#include "db/gl-sql-private.h"

#include <libpq-fe.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (gl-sql-error-quark, gl_sql_error)

gboolean
gl_sql_fail (GlSqlConn *conn, GError **error, GlSqlError code, const char *what, const char *reason)
{
  g_set_error (error, GL_SQL_ERROR, code, "%s: %s: %s", conn->describe, what, reason);
  g_debug ("%s: %s: %s", conn->describe, what, reason);
  conn->last_code = code;
  if (reason != conn->last_reason)
    {
      g_free (conn->last_reason);
      conn->last_reason = g_strdup (reason);
    }
  return FALSE;
}

/* ---- Targets ------------------------------------------------------------ */

static const char *const conninfo_keys[] = { "host=", "hostaddr=", "port=", "dbname=", "user=", "service=", NULL };

gboolean
gl_sql_is_server_target (const char *target)
{
  if (target == NULL)
    return FALSE;
  if (g_str_has_prefix (target, "postgresql://") || g_str_has_prefix (target, "postgres://"))
    return TRUE;
  for (guint i = 0; conninfo_keys[i] != NULL; i++)
    if (g_str_has_prefix (target, conninfo_keys[i]))
      return TRUE;
  return FALSE;
}

char *
gl_sql_redact_target (const char *target)
{
  if (!gl_sql_is_server_target (target))
    return g_filename_display_name (target);
  char *parse_error = NULL;
  PQconninfoOption *options = PQconninfoParse (target, &parse_error);
  if (options == NULL)
    {
      PQfreemem (parse_error);
      /* Nothing of it is shown: a password may sit anywhere in a string
       * that does not parse. */
      return g_strdup ("postgresql://(a connection string that does not parse)");
    }
  const char *user = NULL, *host = NULL, *port = NULL, *dbname = NULL, *service = NULL;
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    {
      if (o->val == NULL || o->val[0] == '\0')
        continue;
      if (g_str_equal (o->keyword, "user"))
        user = o->val;
      else if (g_str_equal (o->keyword, "host") || (host == NULL && g_str_equal (o->keyword, "hostaddr")))
        host = o->val;
      else if (g_str_equal (o->keyword, "port"))
        port = o->val;
      else if (g_str_equal (o->keyword, "dbname"))
        dbname = o->val;
      else if (g_str_equal (o->keyword, "service"))
        service = o->val;
    }
  GString *out = g_string_new ("postgresql://");
  if (user != NULL)
    g_string_append_printf (out, "%s@", user);
  g_string_append (out, host != NULL ? host : (service != NULL ? service : "localhost"));
  if (port != NULL)
    g_string_append_printf (out, ":%s", port);
  g_string_append_printf (out, "/%s", dbname != NULL ? dbname : (user != NULL ? user : ""));
  PQconninfoFree (options);
  return g_string_free (out, FALSE);
}

/* ---- Connections ----------------------------------------------------------- */

static void
stmt_free (gpointer data)
{
  GlSqlStmt *st = data;
  const GlSqlBackendFuncs *f = st->conn->funcs;
  gl_sql_reset (st);
  g_array_unref (st->params);
  g_free (st->sql);
  f->finalize (st);
}

static void
param_clear (gpointer data)
{
  GlSqlParam *p = data;
  g_clear_pointer (&p->bytes, g_free);
}

GlSqlConn *
gl_sql_open (const char *target, GError **error)
{
  g_return_val_if_fail (target != NULL, NULL);
  GlSqlConn *conn = gl_sql_is_server_target (target) ? gl_sql_postgres_open (target, error)
                                                     : gl_sql_sqlite_open (target, error);
  if (conn != NULL)
    conn->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, stmt_free);
  return conn;
}

void
gl_sql_close (GlSqlConn *conn)
{
  if (conn == NULL)
    return;
  g_clear_pointer (&conn->stmts, g_hash_table_unref);
  g_free (conn->describe);
  g_clear_pointer (&conn->last_reason, g_free);
  conn->funcs->close (conn);
}

GlSqlBackend
gl_sql_backend (GlSqlConn *conn)
{
  return conn->funcs->backend;
}

const char *
gl_sql_describe (GlSqlConn *conn)
{
  return conn->describe;
}

gboolean
gl_sql_exec (GlSqlConn *conn, const char *sql, GError **error)
{
  return conn->funcs->exec (conn, sql, error);
}

gboolean
gl_sql_begin (GlSqlConn *conn, GError **error)
{
  return conn->funcs->exec (conn, conn->funcs->begin_sql, error);
}

gboolean
gl_sql_commit (GlSqlConn *conn, GError **error)
{
  return conn->funcs->exec (conn, "COMMIT", error);
}

void
gl_sql_rollback (GlSqlConn *conn)
{
  conn->funcs->exec (conn, "ROLLBACK", NULL);
}

gint64
gl_sql_changes (GlSqlConn *conn)
{
  return conn->funcs->changes (conn);
}

const char *
gl_sql_last_error (GlSqlConn *conn, GlSqlError *code)
{
  if (code != NULL)
    *code = conn->last_reason != NULL ? conn->last_code : GL_SQL_ERROR_FAILED;
  return conn->last_reason != NULL ? conn->last_reason : "no error";
}

/* ---- Statements ------------------------------------------------------------ */

GlSqlStmt *
gl_sql_prepare_uncached (GlSqlConn *conn, const char *sql, GError **error)
{
  GlSqlStmt *st = conn->funcs->prepare (conn, sql, error);
  if (st == NULL)
    return NULL;
  st->conn = conn;
  st->sql = g_strdup (sql);
  st->params = g_array_new (FALSE, TRUE, sizeof (GlSqlParam));
  g_array_set_clear_func (st->params, param_clear);
  return st;
}

void
gl_sql_finalize (GlSqlStmt *st)
{
  if (st != NULL)
    stmt_free (st);
}

GlSqlStmt *
gl_sql_prepare (GlSqlConn *conn, const char *sql, GError **error)
{
  GlSqlStmt *st = g_hash_table_lookup (conn->stmts, sql);
  if (st != NULL)
    {
      if (st->dirty)
        gl_sql_reset (st);
      return st;
    }
  st = gl_sql_prepare_uncached (conn, sql, error);
  if (st != NULL)
    g_hash_table_insert (conn->stmts, st->sql, st);
  return st;
}

void
gl_sql_keep_param (GlSqlStmt *st, int i, const GlSqlParam *p)
{
  g_return_if_fail (i >= 1 && i <= 999);
  if ((guint) i > st->params->len)
    g_array_set_size (st->params, (guint) i);
  GlSqlParam *q = &g_array_index (st->params, GlSqlParam, i - 1);
  g_free (q->bytes);
  *q = *p;
  if (p->kind == GL_SQL_PARAM_TEXT)
    q->bytes = g_strdup (p->bytes);
  else if (p->kind == GL_SQL_PARAM_BLOB)
    q->bytes = g_memdup2 (p->bytes != NULL ? p->bytes : "", MAX (p->len, 1));
  else
    q->bytes = NULL;
}

/* Each binding goes straight to the backend: SQLite binds it in place, with
 * no copy per row (the hot paths bind a row per step). */
static inline void
bind (GlSqlStmt *st, int i, const GlSqlParam *p)
{
  st->dirty = TRUE;
  st->conn->funcs->bind (st, i, p);
}

void
gl_sql_bind_int64 (GlSqlStmt *st, int i, gint64 v)
{
  GlSqlParam p = { .kind = GL_SQL_PARAM_INT, .i = v };
  bind (st, i, &p);
}

void
gl_sql_bind_double (GlSqlStmt *st, int i, double v)
{
  GlSqlParam p = { .kind = isnan (v) ? GL_SQL_PARAM_NULL : GL_SQL_PARAM_DOUBLE, .d = v };
  bind (st, i, &p);
}

void
gl_sql_bind_text (GlSqlStmt *st, int i, const char *v)
{
  GlSqlParam p = { .kind = v != NULL ? GL_SQL_PARAM_TEXT : GL_SQL_PARAM_NULL, .bytes = (char *) v };
  bind (st, i, &p);
}

void
gl_sql_bind_blob (GlSqlStmt *st, int i, const void *data, gsize len)
{
  GlSqlParam p = { .kind = GL_SQL_PARAM_BLOB, .bytes = (char *) data, .len = len };
  bind (st, i, &p);
}

void
gl_sql_bind_null (GlSqlStmt *st, int i)
{
  GlSqlParam p = { .kind = GL_SQL_PARAM_NULL };
  bind (st, i, &p);
}

GlSqlStep
gl_sql_step (GlSqlStmt *st, GError **error)
{
  GlSqlStep r = st->conn->funcs->step (st, error);
  st->running = TRUE;
  st->dirty = TRUE;
  return r;
}

gboolean
gl_sql_run (GlSqlStmt *st, GError **error)
{
  GlSqlStep r;
  while ((r = gl_sql_step (st, error)) == GL_SQL_STEP_ROW)
    ;
  gl_sql_reset (st);
  return r == GL_SQL_STEP_DONE;
}

void
gl_sql_reset (GlSqlStmt *st)
{
  if (st == NULL)
    return;
  st->conn->funcs->reset (st);
  st->running = FALSE;
  st->dirty = FALSE;
  if (st->params->len > 0)
    g_array_set_size (st->params, 0);
}

int
gl_sql_column_count (GlSqlStmt *st)
{
  return st->conn->funcs->column_count (st);
}

gboolean
gl_sql_column_is_null (GlSqlStmt *st, int i)
{
  return st->conn->funcs->column_is_null (st, i);
}

gint64
gl_sql_column_int64 (GlSqlStmt *st, int i)
{
  return st->conn->funcs->column_int64 (st, i);
}

double
gl_sql_column_double (GlSqlStmt *st, int i)
{
  return st->conn->funcs->column_double (st, i);
}

const char *
gl_sql_column_text (GlSqlStmt *st, int i)
{
  return st->conn->funcs->column_text (st, i);
}

const void *
gl_sql_column_blob (GlSqlStmt *st, int i, gsize *len)
{
  return st->conn->funcs->column_blob (st, i, len);
}

const char *
gl_sql_stmt_sql (GlSqlStmt *st)
{
  return st->sql;
}

/* ---- Notifications ------------------------------------------------------- */

void
gl_sql_notification_free (GlSqlNotification *n)
{
  if (n == NULL)
    return;
  g_free (n->channel);
  g_free (n->payload);
  g_free (n);
}

/* A plain lower-case identifier: nothing to quote, nothing to inject. */
static gboolean
check_channel (GlSqlConn *conn, const char *channel, GError **error)
{
  gboolean ok = channel != NULL && channel[0] != '\0' && strlen (channel) < 64 && !g_ascii_isdigit (channel[0]);
  for (const char *p = channel; ok && *p != '\0'; p++)
    ok = g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '_';
  if (!ok)
    return gl_sql_fail (conn, error, GL_SQL_ERROR_FAILED, "cannot listen",
                        "a channel is a lower-case name of letters, digits and _");
  return TRUE;
}

gboolean
gl_sql_listen (GlSqlConn *conn, const char *channel, GError **error)
{
  if (!check_channel (conn, channel, error))
    return FALSE;
  if (conn->funcs->listen == NULL)
    return gl_sql_fail (conn, error, GL_SQL_ERROR_FAILED, "cannot listen",
                        "a project in a file has no other desktops to hear from");
  return conn->funcs->listen (conn, channel, error);
}

gboolean
gl_sql_notify (GlSqlConn *conn, const char *channel, const char *payload, GError **error)
{
  if (!check_channel (conn, channel, error))
    return FALSE;
  return conn->funcs->notify == NULL || conn->funcs->notify (conn, channel, payload != NULL ? payload : "", error);
}

int
gl_sql_socket (GlSqlConn *conn)
{
  return conn->funcs->socket != NULL ? conn->funcs->socket (conn) : -1;
}

GPtrArray *
gl_sql_take_notifications (GlSqlConn *conn, GError **error)
{
  if (conn->funcs->take_notifications == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) gl_sql_notification_free);
  return conn->funcs->take_notifications (conn, error);
}
