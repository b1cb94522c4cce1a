/* gl-sql-postgres.c — the PostgreSQL backend of gl-sql.h: a project a team
 * shares on a server (libpq). */
#include "db/gl-sql-private.h"

#include <libpq-fe.h>
#include <math.h>
#include <string.h>

/* Type OIDs of the parameters (pg_type.h is a server header). */
enum
{
  OID_BYTEA = 17,
  OID_INT8 = 20,
  OID_TEXT = 25,
  OID_FLOAT8 = 701,
};

typedef struct
{
  GlSqlConn base;
  PGconn *pg;       /* owned */
  guint next_name;  /* names of server-side prepared statements */
  gint64 changes;   /* rows changed by the last statement */
  guint generation; /* connections made so far (PQreset): statements prepared on an older one are re-prepared */
  GPtrArray *session; /* the SET commands run outside a transaction, in order, to run again after a PQreset;
                         owned */
  gboolean broken;    /* a statement found the connection broken (the server went away) */
  gboolean txn_open;  /* a transaction was begun and not yet ended: a connection that broke inside it is not
                         made again until the caller ends it (so that a COMMIT after the break fails) */
  gboolean listening; /* LISTENs: never reconnected (notifications sent meanwhile would be missed silently;
                         the listener reports the broken connection instead) */
} PgConn;

typedef struct
{
  GlSqlStmt base;
  char *text;       /* the SQL with $N parameters; owned */
  char *name;       /* its prepared statement on the server, NULL before the first step; owned */
  guint generation; /* PgConn.generation when @name was prepared */
  char *types;      /* the parameter kinds it was prepared with, one letter each: i(nt), d(ouble), t(ext),
                       b(lob), n(ull: type inferred); owned */
  PGresult *result; /* of the current run; owned */
  int n_params;     /* the parameters the prepared statement takes (unbound ones run as NULL) */
  int row;          /* current row of @result, -1 before the first */
  GPtrArray *blobs; /* unescaped bytea columns of the current row; owned */
} PgStmt;

/* ?N → $N outside quoted strings and identifiers; SQLite's planner hints
 * " INDEXED BY name" and " NOT INDEXED" are dropped (PostgreSQL plans
 * alone). */
static char *
dollar_params (const char *sql)
{
  static const char hint[] = " INDEXED BY ";
  static const char no_index[] = " NOT INDEXED";
  GString *out = g_string_sized_new (strlen (sql) + 8);
  char quote = 0;
  for (const char *p = sql; *p != '\0'; p++)
    {
      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
        }
      else if (*p == '\'' || *p == '"')
        quote = *p;
      else if (*p == '?' && g_ascii_isdigit (p[1]))
        {
          g_string_append_c (out, '$');
          continue;
        }
      else if (g_str_has_prefix (p, no_index) && !g_ascii_isalnum (p[sizeof no_index - 1])
               && p[sizeof no_index - 1] != '_')
        {
          p += sizeof no_index - 2; /* the loop steps past its last character */
          continue;
        }
      else if (g_str_has_prefix (p, hint))
        {
          p += sizeof hint - 1;
          while (g_ascii_isalnum (*p) || *p == '_')
            p++;
          p--; /* the loop steps past the name's last character */
          continue;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static GlSqlError
code_for (const char *state)
{
  if (state == NULL)
    return GL_SQL_ERROR_GONE; /* no server answer at all */
  if (g_str_equal (state, "40001") || g_str_equal (state, "40P01") || g_str_equal (state, "55P03"))
    return GL_SQL_ERROR_BUSY;
  if (g_str_equal (state, "53100"))
    return GL_SQL_ERROR_FULL;
  if (g_str_has_prefix (state, "23"))
    return GL_SQL_ERROR_CONSTRAINT;
  if (g_str_has_prefix (state, "08") || g_str_has_prefix (state, "57P"))
    return GL_SQL_ERROR_GONE;
  if (g_str_equal (state, "XX001") || g_str_equal (state, "XX002"))
    return GL_SQL_ERROR_CORRUPT;
  return GL_SQL_ERROR_FAILED;
}

/* Sets @error from @res (may be NULL: then from the connection). */
static gboolean
fail (GlSqlConn *conn, GError **error, const PGresult *res, const char *what)
{
  PGconn *pg = ((PgConn *) conn)->pg;
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  g_autofree char *reason = g_strstrip (g_strdup (primary != NULL ? primary : PQerrorMessage (pg)));
  /* A message of a failed reconnection never carries the password libpq keeps. */
  const char *password = PQpass (pg);
  if (password != NULL && password[0] != '\0' && strstr (reason, password) != NULL)
    {
      g_free (reason);
      reason = g_strdup ("the connection failed (its message named the password, so it is not shown)");
    }
  GlSqlError code = PQstatus (pg) == CONNECTION_BAD ? GL_SQL_ERROR_GONE : code_for (state);
  if (code == GL_SQL_ERROR_GONE)
    {
      g_autofree char *full = g_strdup_printf ("the server went away (%s)", reason);
      return gl_sql_fail (conn, error, code, what, full);
    }
  return gl_sql_fail (conn, error, code, what, reason);
}

/* A result of a command or a query that worked, else FALSE with @error
 * (and @res cleared). */
static gboolean
result_ok (GlSqlConn *conn, PGresult *res, GError **error, const char *what)
{
  ExecStatusType s = PQresultStatus (res);
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
    return TRUE;
  fail (conn, error, res, what);
  return FALSE;
}

static void
note_changes (PgConn *conn, const PGresult *res)
{
  const char *n = PQcmdTuples ((PGresult *) res);
  conn->changes = n != NULL && n[0] != '\0' ? g_ascii_strtoll (n, NULL, 10) : 0;
}

/* Reconnection. A team's server can go away (a restart, a network cut)
 * while a desktop is open. A connection found broken is made again
 * (PQreset: the same settings, the password included, which libpq keeps)
 * before the next statement, with the session's SET commands run again and
 * every statement prepared again at its next use. Nothing that was under way
 * is replayed: a transaction the break cut off fails, with the message "the
 * server went away", and the caller decides (a label is refused, not lost).
 * Only a statement that can have done nothing when the break is found as it
 * is sent is retried once on the new connection: BEGIN, and a SELECT outside
 * a transaction. A LISTENing connection is never reconnected. */
static gboolean
reconnect (PgConn *conn)
{
  if (conn->listening)
    return FALSE;
  PQreset (conn->pg);
  if (PQstatus (conn->pg) != CONNECTION_OK)
    {
      g_debug ("PostgreSQL: cannot reconnect to %s", conn->base.describe);
      return FALSE;
    }
  conn->generation++;
  for (guint i = 0; i < conn->session->len; i++)
    {
      PGresult *res = PQexec (conn->pg, g_ptr_array_index (conn->session, i));
      ExecStatusType s = PQresultStatus (res);
      PQclear (res);
      if (s != PGRES_COMMAND_OK)
        {
          g_debug ("PostgreSQL: reconnected to %s, but “%s” failed", conn->base.describe,
                   (const char *) g_ptr_array_index (conn->session, i));
          return FALSE;
        }
    }
  g_debug ("PostgreSQL: reconnected to %s", conn->base.describe);
  return TRUE;
}

/* Before a statement: a connection known to be broken is made again (FALSE
 * when that fails: the statement then fails as the server is gone). */
static void
reconnect_if_broken (PgConn *conn)
{
  if (!conn->txn_open && (conn->broken || PQstatus (conn->pg) == CONNECTION_BAD))
    conn->broken = !reconnect (conn);
}

/* Did @res (a failure) come from a connection that broke? libpq may still
 * say CONNECTION_OK when the answer it read was the server's own farewell
 * (SQLSTATE class 57P: shut down, crashed, not accepting connections). */
static gboolean
came_from_break (PgConn *conn, const PGresult *res)
{
  const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  gboolean broken = PQstatus (conn->pg) == CONNECTION_BAD || state == NULL || g_str_has_prefix (state, "57P")
                     || g_str_has_prefix (state, "08");
  conn->broken |= broken;
  return broken;
}

static gboolean
starts_with_word (const char *sql, const char *word)
{
  while (g_ascii_isspace (*sql))
    sql++;
  gsize n = strlen (word);
  return g_ascii_strncasecmp (sql, word, n) == 0 && !g_ascii_isalnum (sql[n]) && sql[n] != '_';
}

/* After @sql failed with @res (NULL: its prepare failed as on a broken
 * connection): TRUE when the connection broke, nothing was under
 * way before it (@idle), @sql cannot have changed anything, and the
 * connection is made again: then run it again. */
static gboolean
retry_after_break (PgConn *conn, gboolean idle, const char *sql, const PGresult *res)
{
  if (res != NULL && !came_from_break (conn, res))
    return FALSE;
  conn->broken = TRUE;
  if (!idle || (!starts_with_word (sql, "BEGIN") && !starts_with_word (sql, "SELECT")))
    return FALSE;
  conn->broken = !reconnect (conn);
  return !conn->broken;
}

/* Follows BEGIN and its end (COMMIT or ROLLBACK, whether they worked or not). */
static void
note_transaction (PgConn *conn, const char *sql, gboolean ok)
{
  if ((starts_with_word (sql, "COMMIT") || starts_with_word (sql, "ROLLBACK") || starts_with_word (sql, "END"))
      && strstr (sql, "SAVEPOINT") == NULL)
    conn->txn_open = FALSE;
  else if (ok && starts_with_word (sql, "BEGIN"))
    conn->txn_open = TRUE;
}

/* Remembers a session setting (SET NAME = …, outside a transaction) to run
 * again after a reconnection; a later SET of the same NAME replaces it. */
static void
note_session (PgConn *conn, const char *sql)
{
  if (g_ascii_strncasecmp (sql, "SET ", 4) != 0 || strchr (sql, ';') != NULL
      || PQtransactionStatus (conn->pg) != PQTRANS_IDLE)
    return;
  gsize key = strcspn (sql, "=");
  for (guint i = 0; i < conn->session->len; i++)
    if (strncmp (g_ptr_array_index (conn->session, i), sql, key) == 0)
      {
        g_ptr_array_remove_index (conn->session, i);
        break;
      }
  g_ptr_array_add (conn->session, g_strdup (sql));
}

static gboolean
pg_exec (GlSqlConn *base, const char *sql, GError **error)
{
  PgConn *conn = (PgConn *) base;
  reconnect_if_broken (conn);
  gboolean idle = !conn->txn_open && PQtransactionStatus (conn->pg) == PQTRANS_IDLE;
  PGresult *res = PQexec (conn->pg, sql);
  if (PQresultStatus (res) == PGRES_FATAL_ERROR && retry_after_break (conn, idle, sql, res))
    {
      PQclear (res);
      res = PQexec (conn->pg, sql);
    }
  gboolean ok = result_ok (base, res, error, "cannot run a statement");
  note_transaction (conn, sql, ok);
  if (ok)
    {
      note_changes (conn, res);
      note_session (conn, sql);
    }
  PQclear (res);
  return ok;
}

static GlSqlStmt *
pg_prepare (GlSqlConn *conn, const char *sql, GError **error)
{
  (void) conn;
  (void) error; /* the server sees the SQL at the first step */
  PgStmt *st = g_new0 (PgStmt, 1);
  st->text = dollar_params (sql);
  st->row = -1;
  st->blobs = g_ptr_array_new_with_free_func (PQfreemem);
  return &st->base;
}

static char
kind_letter (GlSqlParamKind kind)
{
  switch (kind)
    {
    case GL_SQL_PARAM_INT:
      return 'i';
    case GL_SQL_PARAM_DOUBLE:
      return 'd';
    case GL_SQL_PARAM_TEXT:
      return 't';
    case GL_SQL_PARAM_BLOB:
      return 'b';
    default:
      return 'n';
    }
}

/* Can a statement prepared for @prepared run with bindings of @kinds? A
 * NULL fits any type, and so does a parameter left unbound. */
static gboolean
kinds_fit (const char *prepared, const char *kinds)
{
  if (prepared == NULL || strlen (prepared) < strlen (kinds))
    return FALSE;
  for (guint i = 0; kinds[i] != '\0'; i++)
    if (kinds[i] != 'n' && kinds[i] != prepared[i])
      return FALSE;
  return TRUE;
}

/* Prepares the statement on the server for the kinds of its bindings, when
 * it has not been for these kinds yet. */
static gboolean
ensure_prepared (PgStmt *st, const char *kinds, GError **error)
{
  PgConn *conn = (PgConn *) st->base.conn;
  if (st->name != NULL && st->generation != conn->generation)
    g_clear_pointer (&st->name, g_free); /* prepared on a connection since made again: gone with it */
  if (st->name != NULL && kinds_fit (st->types, kinds))
    return TRUE;
  guint n = (guint) strlen (kinds);
  g_autofree Oid *oids = g_new0 (Oid, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    oids[i] = kinds[i] == 'i'   ? OID_INT8
              : kinds[i] == 'd' ? OID_FLOAT8
              : kinds[i] == 't' ? OID_TEXT
              : kinds[i] == 'b' ? OID_BYTEA
                                : 0; /* NULL: the server infers it */
  g_autofree char *name = g_strdup_printf ("gl%u", conn->next_name++);
  /* A prepare that fails aborts the open transaction: when a NULL's type is
   * left to the server, the first try runs under a savepoint. */
  gboolean guarded = strchr (kinds, 'n') != NULL && PQtransactionStatus (conn->pg) == PQTRANS_INTRANS;
  if (guarded)
    PQclear (PQexec (conn->pg, "SAVEPOINT gl_prepare"));
  PGresult *res = PQprepare (conn->pg, name, st->text, (int) n, oids);
  const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
  if (guarded)
    PQclear (PQexec (conn->pg, state != NULL ? "ROLLBACK TO SAVEPOINT gl_prepare; RELEASE SAVEPOINT gl_prepare"
                                             : "RELEASE SAVEPOINT gl_prepare"));
  if (state != NULL && g_str_equal (state, "42P18"))
    {
      /* A NULL with nothing around it to tell its type ("?2 IS NULL"):
       * text then, which any NULL can be. */
      PQclear (res);
      for (guint i = 0; i < n; i++)
        if (oids[i] == 0)
          oids[i] = OID_TEXT;
      res = PQprepare (conn->pg, name, st->text, (int) n, oids);
    }
  gboolean ok = result_ok (&conn->base, res, error, "cannot prepare a statement");
  PQclear (res);
  if (!ok)
    {
      g_debug ("the statement: %s", st->text);
      return FALSE;
    }
  if (st->name != NULL)
    {
      g_autofree char *dealloc = g_strdup_printf ("DEALLOCATE %s", st->name);
      PQclear (PQexec (conn->pg, dealloc));
    }
  g_free (st->name);
  g_free (st->types);
  st->name = g_steal_pointer (&name);
  st->generation = conn->generation;
  st->types = g_strdup (kinds);
  /* The SQL may use more parameters than were bound (SQLite reads an unbound
   * one as NULL): the run passes as many as the server asks for. */
  PGresult *desc = PQdescribePrepared (conn->pg, st->name);
  st->n_params = PQresultStatus (desc) == PGRES_COMMAND_OK ? PQnparams (desc) : (int) n;
  PQclear (desc);
  return TRUE;
}

static gboolean
run (PgStmt *st, GError **error)
{
  PgConn *conn = (PgConn *) st->base.conn;
  GArray *params = st->base.params;
  guint n = params->len;
  g_autofree char *kinds = g_new0 (char, n + 1);
  g_autofree const char **values = g_new0 (const char *, MAX (n, 1));
  g_autofree int *lengths = g_new0 (int, MAX (n, 1));
  g_autofree int *formats = g_new0 (int, MAX (n, 1));
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < n; k++)
    {
      const GlSqlParam *p = &g_array_index (params, GlSqlParam, k);
      kinds[k] = kind_letter (p->kind);
      char *text = NULL;
      switch (p->kind)
        {
        case GL_SQL_PARAM_NULL:
          break;
        case GL_SQL_PARAM_INT:
          text = g_strdup_printf ("%" G_GINT64_FORMAT, p->i);
          break;
        case GL_SQL_PARAM_DOUBLE:
          if (isnan (p->d))
            text = g_strdup ("NaN");
          else if (isinf (p->d))
            text = g_strdup (p->d > 0 ? "Infinity" : "-Infinity");
          else
            {
              text = g_malloc (G_ASCII_DTOSTR_BUF_SIZE);
              g_ascii_dtostr (text, G_ASCII_DTOSTR_BUF_SIZE, p->d);
            }
          break;
        case GL_SQL_PARAM_TEXT:
          values[k] = p->bytes;
          break;
        case GL_SQL_PARAM_BLOB:
          values[k] = p->bytes;
          lengths[k] = (int) p->len;
          formats[k] = 1;
          break;
        }
      if (text != NULL)
        {
          g_ptr_array_add (texts, text);
          values[k] = text;
        }
    }
  reconnect_if_broken (conn);
  gboolean idle = !conn->txn_open && PQtransactionStatus (conn->pg) == PQTRANS_IDLE;
  GError *local = NULL;
  gboolean prepared = ensure_prepared (st, kinds, &local);
  if (!prepared && g_error_matches (local, GL_SQL_ERROR, GL_SQL_ERROR_GONE)
      && retry_after_break (conn, idle, st->text, NULL))
    {
      g_clear_error (&local);
      prepared = ensure_prepared (st, kinds, &local);
    }
  if (!prepared)
    {
      note_transaction (conn, st->text, FALSE);
      g_propagate_error (error, local);
      return FALSE;
    }
  if ((guint) st->n_params > n)
    {
      /* Unbound parameters at the end: NULL (values and lengths grow zeroed). */
      values = g_renew (const char *, values, st->n_params);
      lengths = g_renew (int, lengths, st->n_params);
      formats = g_renew (int, formats, st->n_params);
      for (int k = (int) n; k < st->n_params; k++)
        values[k] = NULL, lengths[k] = 0, formats[k] = 0;
      n = (guint) st->n_params;
    }
  PGresult *res = PQexecPrepared (conn->pg, st->name, (int) n, values, lengths, formats, 0);
  if (PQresultStatus (res) == PGRES_FATAL_ERROR && retry_after_break (conn, idle, st->text, res)
      && ensure_prepared (st, kinds, NULL))
    {
      PQclear (res);
      res = PQexecPrepared (conn->pg, st->name, (int) n, values, lengths, formats, 0);
    }
  gboolean ok = result_ok (&conn->base, res, error, "cannot run a statement");
  note_transaction (conn, st->text, ok);
  if (!ok)
    {
      PQclear (res);
      return FALSE;
    }
  note_changes (conn, res);
  st->result = res;
  st->row = -1;
  return TRUE;
}

static GlSqlStep
pg_step (GlSqlStmt *base, GError **error)
{
  PgStmt *st = (PgStmt *) base;
  if (!base->running && !run (st, error))
    return GL_SQL_STEP_ERROR;
  if (st->result == NULL)
    return GL_SQL_STEP_DONE;
  g_ptr_array_set_size (st->blobs, 0);
  if (st->row + 1 >= PQntuples (st->result))
    {
      st->row = PQntuples (st->result);
      return GL_SQL_STEP_DONE;
    }
  st->row++;
  return GL_SQL_STEP_ROW;
}

static void
pg_reset (GlSqlStmt *base)
{
  PgStmt *st = (PgStmt *) base;
  g_clear_pointer (&st->result, PQclear);
  g_ptr_array_set_size (st->blobs, 0);
  st->row = -1;
}

static void
pg_finalize (GlSqlStmt *base)
{
  PgStmt *st = (PgStmt *) base;
  pg_reset (base);
  if (st->name != NULL && PQstatus (((PgConn *) base->conn)->pg) == CONNECTION_OK
      && st->generation == ((PgConn *) base->conn)->generation)
    {
      g_autofree char *dealloc = g_strdup_printf ("DEALLOCATE %s", st->name);
      PQclear (PQexec (((PgConn *) base->conn)->pg, dealloc));
    }
  g_ptr_array_unref (st->blobs);
  g_free (st->name);
  g_free (st->types);
  g_free (st->text);
  g_free (st);
}

static void
pg_close (GlSqlConn *base)
{
  PQfinish (((PgConn *) base)->pg);
  g_clear_pointer (&((PgConn *) base)->session, g_ptr_array_unref);
  g_free (base);
}

static gint64
pg_changes (GlSqlConn *base)
{
  return ((PgConn *) base)->changes;
}

static gboolean
has_row (PgStmt *st, int i)
{
  return st->result != NULL && st->row >= 0 && st->row < PQntuples (st->result) && i >= 0
         && i < PQnfields (st->result);
}

static int
pg_column_count (GlSqlStmt *base)
{
  PgStmt *st = (PgStmt *) base;
  return st->result != NULL ? PQnfields (st->result) : 0;
}

static gboolean
pg_column_is_null (GlSqlStmt *base, int i)
{
  PgStmt *st = (PgStmt *) base;
  return !has_row (st, i) || PQgetisnull (st->result, st->row, i);
}

static const char *
pg_column_text (GlSqlStmt *base, int i)
{
  PgStmt *st = (PgStmt *) base;
  return pg_column_is_null (base, i) ? NULL : PQgetvalue (st->result, st->row, i);
}

static gint64
pg_column_int64 (GlSqlStmt *base, int i)
{
  const char *text = pg_column_text (base, i);
  if (text == NULL)
    return 0;
  if (g_str_equal (text, "t") || g_str_equal (text, "f")) /* a boolean expression */
    return text[0] == 't';
  return g_ascii_strtoll (text, NULL, 10);
}

static double
pg_column_double (GlSqlStmt *base, int i)
{
  const char *text = pg_column_text (base, i);
  return text != NULL ? g_ascii_strtod (text, NULL) : 0; /* reads NaN, Infinity and -Infinity too */
}

static const void *
pg_column_blob (GlSqlStmt *base, int i, gsize *len)
{
  PgStmt *st = (PgStmt *) base;
  const char *text = pg_column_text (base, i);
  *len = 0;
  if (text == NULL)
    return NULL;
  size_t n = 0;
  unsigned char *bytes = PQunescapeBytea ((const unsigned char *) text, &n);
  if (bytes == NULL)
    return NULL;
  g_ptr_array_add (st->blobs, bytes);
  *len = n;
  return bytes;
}

static gboolean
pg_listen (GlSqlConn *base, const char *channel, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("LISTEN %s", channel); /* checked: a plain identifier */
  ((PgConn *) base)->listening = TRUE;
  return pg_exec (base, sql, error);
}

static gboolean
pg_notify (GlSqlConn *base, const char *channel, const char *payload, GError **error)
{
  GlSqlStmt *st = gl_sql_prepare (base, "SELECT pg_notify (?1, ?2)", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, channel);
  gl_sql_bind_text (st, 2, payload);
  return gl_sql_run (st, error);
}

static int
pg_socket (GlSqlConn *base)
{
  return PQsocket (((PgConn *) base)->pg);
}

static GPtrArray *
pg_take_notifications (GlSqlConn *base, GError **error)
{
  PgConn *conn = (PgConn *) base;
  if (!PQconsumeInput (conn->pg))
    {
      fail (base, error, NULL, "cannot read notifications");
      return NULL;
    }
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_sql_notification_free);
  PGnotify *n;
  while ((n = PQnotifies (conn->pg)) != NULL)
    {
      GlSqlNotification *item = g_new0 (GlSqlNotification, 1);
      item->channel = g_strdup (n->relname);
      item->payload = g_strdup (n->extra);
      g_ptr_array_add (out, item);
      PQfreemem (n);
    }
  return out;
}

static const GlSqlBackendFuncs pg_funcs = {
  GL_SQL_POSTGRES, "BEGIN",          pg_exec,          pg_prepare,       gl_sql_keep_param, pg_step,
  pg_reset,        pg_finalize,      pg_close,         pg_changes,       pg_column_count,
  pg_column_is_null, pg_column_int64, pg_column_double, pg_column_text, pg_column_blob,
  pg_listen,       pg_notify,        pg_socket,        pg_take_notifications,
};

/* Server notices (a shutdown warning, …) go to the debug log, not stderr. */
static void
on_notice (void *data, const char *message)
{
  (void) data;
  g_debug ("PostgreSQL: %s", message);
}

GlSqlConn *
gl_sql_postgres_open (const char *target, GError **error)
{
  PgConn *conn = g_new0 (PgConn, 1);
  conn->base.funcs = &pg_funcs;
  conn->session = g_ptr_array_new_with_free_func (g_free);
  conn->base.describe = gl_sql_redact_target (target);
  /* libpq's message about a string that does not parse may quote the
   * string, password and all: such a message is not passed on. */
  char *parse_error = NULL;
  PQconninfoOption *parsed = PQconninfoParse (target, &parse_error);
  PQfreemem (parse_error);
  g_autofree char *password = NULL;
  for (PQconninfoOption *o = parsed; o != NULL && o->keyword != NULL; o++)
    if (g_str_equal (o->keyword, "password") && o->val != NULL && o->val[0] != '\0')
      password = g_strdup (o->val);
  gboolean parses = parsed != NULL;
  if (parsed != NULL)
    PQconninfoFree (parsed);
  conn->pg = PQconnectdb (target);
  if (PQstatus (conn->pg) != CONNECTION_OK)
    {
      char *reason = g_strstrip (g_strdup (PQerrorMessage (conn->pg)));
      if (!parses || strstr (reason, target) != NULL || (password != NULL && strstr (reason, password) != NULL))
        {
          g_free (reason);
          reason = g_strdup ("the connection string does not parse (write postgresql://USER@HOST:PORT/DATABASE,"
                             " or key=value settings such as \"host=HOST dbname=DATABASE\")");
        }
      gl_sql_fail (&conn->base, error, GL_SQL_ERROR_CANNOT_OPEN, "cannot connect", reason);
      g_free (reason);
      if (password != NULL)
        memset (password, 0, strlen (password));
      g_free (conn->base.describe);
      g_free (conn->base.last_reason);
      pg_close (&conn->base);
      return NULL;
    }
  if (password != NULL)
    memset (password, 0, strlen (password));
  PQsetNoticeProcessor (conn->pg, on_notice, NULL);
  /* Times in UTC; warnings and errors only (notices go to the debug log). */
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < 2; i++)
    {
      const char *set = i == 0 ? "SET client_min_messages = warning" : "SET TIME ZONE 'UTC'";
      PGresult *res = PQexec (conn->pg, set);
      ok = result_ok (&conn->base, res, error, "cannot set up the connection");
      PQclear (res);
      if (ok)
        note_session (conn, set);
    }
  if (!ok)
    {
      g_free (conn->base.describe);
      g_free (conn->base.last_reason);
      pg_close (&conn->base);
      return NULL;
    }
  return &conn->base;
}
