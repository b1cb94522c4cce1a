/* gl-db-team.c — see gl-db-team.h. */
#include "db/gl-db-team.h"

#include <libpq-fe.h>
#include <string.h>

#include "db/gl-db-notify.h"
#include "db/gl-db-private.h"

/* An advisory-lock key of Gleaner's own (gl-db-schema-pg.c uses 8318). */
#define IMPORT_LOCK_KEY "8319"

/* The settings key that says the team tables and triggers are made, and
 * their version (a later one would replace the triggers' functions). */
#define TEAM_TABLES_SETTING "team_tables"
#define TEAM_TABLES_VERSION "1"

/* The team tables, per backend (the one thing written twice). */
static const char tables_sqlite[]
    = "CREATE TABLE IF NOT EXISTS team_pixels (cache_row INTEGER PRIMARY KEY, pixels BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS team_models (model_id INTEGER PRIMARY KEY REFERENCES model_versions (id),"
      " checksum TEXT NOT NULL, data BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS team_leases (image_id INTEGER NOT NULL REFERENCES images (id), annotator TEXT"
      " NOT NULL, expires_us INTEGER NOT NULL, PRIMARY KEY (image_id, annotator));"
      "CREATE INDEX IF NOT EXISTS team_leases_expiry ON team_leases (expires_us);"
      "CREATE INDEX IF NOT EXISTS team_leases_annotator ON team_leases (annotator);";
static const char tables_pg[]
    = "CREATE TABLE IF NOT EXISTS team_pixels (cache_row BIGINT PRIMARY KEY, pixels BYTEA NOT NULL);"
      "CREATE TABLE IF NOT EXISTS team_models (model_id BIGINT PRIMARY KEY REFERENCES model_versions (id),"
      " checksum TEXT NOT NULL, data BYTEA NOT NULL);"
      "CREATE TABLE IF NOT EXISTS team_leases (image_id BIGINT NOT NULL REFERENCES images (id), annotator TEXT"
      " NOT NULL, expires_us BIGINT NOT NULL, PRIMARY KEY (image_id, annotator));"
      "CREATE INDEX IF NOT EXISTS team_leases_expiry ON team_leases (expires_us);"
      "CREATE INDEX IF NOT EXISTS team_leases_annotator ON team_leases (annotator);";

gboolean
gl_db_team_is_server (GlDb *db)
{
  return !gl_db_is_sqlite (db);
}

char *
gl_db_team_prepare (GlDb *db, GError **error)
{
  /* The DDL runs once per project, not at each open: replacing a trigger locks its table against the other
     desktops' labels for a moment, and an annotator's role (README) need not own the tables. Two desktops
     creating the tables at once: PostgreSQL's IF NOT EXISTS can still collide in its catalogue, so under the
     schema's advisory lock, and the setting is read again under it. */
  g_autofree char *made = gl_db_get_setting (db, TEAM_TABLES_SETTING);
  if (g_strcmp0 (made, TEAM_TABLES_VERSION) != 0)
    {
      if (!gl_db_begin (db, error))
        return NULL;
      gboolean ok = gl_db_is_sqlite (db) || gl_db_exec (db, "SELECT pg_advisory_xact_lock (8318)", error);
      g_free (made);
      made = ok ? gl_db_get_setting (db, TEAM_TABLES_SETTING) : NULL;
      if (ok && g_strcmp0 (made, TEAM_TABLES_VERSION) != 0)
        ok = gl_db_exec (db, gl_db_is_sqlite (db) ? tables_sqlite : tables_pg, error) && gl_db_notify_prepare (db, error)
             && gl_db_set_setting (db, TEAM_TABLES_SETTING, TEAM_TABLES_VERSION, error);
      if (!ok || !gl_db_commit (db, error))
        {
          gl_db_rollback (db);
          return NULL;
        }
    }
  char *uuid = gl_db_get_setting (db, GL_DB_SETTING_PROJECT_UUID);
  if (uuid != NULL)
    return uuid;
  /* Two desktops opening a new team project at once: the first UUID wins. */
  g_autofree char *mine = g_uuid_string_random ();
  GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                              error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_text (st, 1, GL_DB_SETTING_PROJECT_UUID);
  gl_sql_bind_text (st, 2, mine);
  if (!gl_db_step_done (db, st, error, "cannot store the project's identity"))
    return NULL;
  uuid = gl_db_get_setting (db, GL_DB_SETTING_PROJECT_UUID);
  if (uuid == NULL)
    gl_db_fail_with (db, error, GL_DB_ERROR_FAILED, "the project's identity was stored but cannot be read back");
  return uuid;
}

gboolean
gl_db_team_lock_imports (GlDb *db, GError **error)
{
  if (gl_db_is_sqlite (db))
    return TRUE;
  return gl_db_exec (db, "SELECT pg_advisory_lock (" IMPORT_LOCK_KEY ")", error);
}

void
gl_db_team_unlock_imports (GlDb *db)
{
  if (!gl_db_is_sqlite (db))
    gl_db_exec (db, "SELECT pg_advisory_unlock (" IMPORT_LOCK_KEY ")", NULL);
}

gint64
gl_db_team_pixel_rows (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT COALESCE (MAX (cache_row) + 1, 0) FROM team_pixels", error);
  if (st == NULL)
    return -1;
  GlSqlStep rc = gl_sql_step (st, NULL);
  gint64 n = rc == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW)
    gl_db_fail (db, error, "cannot count the stored pixel rows");
  return n;
}

/* Compares the stored row @row with @pixels; TRUE when they differ or it is missing. */
static gboolean
stored_row_differs (GlDb *db, gint64 row, const guint8 *pixels, gsize len)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT pixels FROM team_pixels WHERE cache_row = ?1", NULL);
  if (st == NULL)
    return TRUE;
  gl_sql_bind_int64 (st, 1, row);
  gboolean differs = TRUE;
  if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
    {
      gsize have = 0;
      const void *blob = gl_sql_column_blob (st, 0, &have);
      differs = have != len || (len > 0 && memcmp (blob, pixels, len) != 0);
    }
  gl_db_done (st);
  return differs;
}

gboolean
gl_db_team_put_pixels (GlDb *db, gint64 first_row, const guint8 *rows, guint n, gsize row_size, gboolean *differs,
                       GError **error)
{
  if (differs)
    *differs = FALSE;
  if (n == 0)
    return TRUE;
  if (first_row < 0 || row_size == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "pixel rows from %" G_GINT64_FORMAT " of %" G_GSIZE_FORMAT
                            " bytes: not a row", first_row, row_size);
  if (!gl_db_begin (db, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const guint8 *px = rows + (gsize) i * row_size;
      GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO team_pixels (cache_row, pixels) VALUES (?1, ?2)"
                                      " ON CONFLICT (cache_row) DO NOTHING", error);
      if (st == NULL)
        goto fail;
      gl_sql_bind_int64 (st, 1, first_row + i);
      gl_sql_bind_blob (st, 2, px, row_size);
      if (!gl_db_step_done (db, st, error, "cannot store pixel rows"))
        goto fail;
      if (gl_sql_changes (db->conn) == 0 && differs && !*differs)
        *differs = stored_row_differs (db, first_row + i, px, row_size);
    }
  if (gl_db_commit (db, error))
    return TRUE;
fail:
  gl_db_rollback (db);
  return FALSE;
}

gboolean
gl_db_team_read_pixels (GlDb *db, gint64 first_row, guint limit, GlDbPixelRowFunc func, gpointer data,
                        GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT cache_row, pixels FROM team_pixels WHERE cache_row >= ?1"
                                  " ORDER BY cache_row LIMIT ?2", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, first_row);
  gl_sql_bind_int64 (st, 2, limit);
  GlSqlStep rc = GL_SQL_STEP_DONE;
  gboolean ok = TRUE;
  while (ok && (rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      gsize len = 0;
      const guint8 *px = gl_sql_column_blob (st, 1, &len);
      ok = func (gl_sql_column_int64 (st, 0), px, len, data, error);
    }
  gl_db_done (st);
  if (ok && rc == GL_SQL_STEP_ERROR)
    return gl_db_fail (db, error, "cannot read pixel rows");
  return ok;
}

gboolean
gl_db_team_put_model (GlDb *db, gint64 model_id, GBytes *data, GError **error)
{
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, data);
  GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO team_models (model_id, checksum, data) VALUES (?1, ?2, ?3)"
                                  " ON CONFLICT (model_id) DO NOTHING", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_text (st, 2, sum);
  gl_sql_bind_blob (st, 3, bytes ? bytes : (const guint8 *) "", len);
  return gl_db_step_done (db, st, error, "cannot store the model file");
}

char *
gl_db_team_model_checksum (GlDb *db, gint64 model_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT checksum FROM team_models WHERE model_id = ?1", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  GlSqlStep rc = gl_sql_step (st, NULL);
  char *sum = rc == GL_SQL_STEP_ROW ? gl_db_column_dup (st, 0) : NULL;
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ERROR)
    gl_db_fail (db, error, "cannot read the model file's checksum");
  return sum;
}

GBytes *
gl_db_team_get_model (GlDb *db, gint64 model_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT data FROM team_models WHERE model_id = ?1", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  GlSqlStep rc = gl_sql_step (st, NULL);
  GBytes *data = rc == GL_SQL_STEP_ROW ? gl_db_column_bytes (st, 0) : NULL;
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ERROR)
    gl_db_fail (db, error, "cannot read the model file");
  else if (data == NULL)
    gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "model version %" G_GINT64_FORMAT " has no file in the store",
                     model_id);
  return data;
}

/* Appends value @v quoted for a key=value connection string. */
static void
append_quoted (GString *out, const char *v)
{
  g_string_append_c (out, '\'');
  for (const char *c = v; *c; c++)
    {
      if (*c == '\'' || *c == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '\'');
}

char *
gl_db_team_target_with_password (const char *target, const char *password, GError **error)
{
  char *parse_error = NULL;
  PQconninfoOption *options = PQconninfoParse (target, &parse_error);
  PQfreemem (parse_error); /* it may quote the target */
  if (options == NULL)
    {
      g_set_error_literal (error, GL_DB_ERROR, GL_DB_ERROR_INVALID,
                           "the connection string does not parse (write postgresql://USER@HOST:PORT/DATABASE, or"
                           " key=value settings such as \"host=HOST dbname=DATABASE\")");
      return NULL;
    }
  if (password == NULL || password[0] == '\0')
    {
      PQconninfoFree (options);
      return g_strdup (target);
    }
  GString *out = g_string_new (NULL);
  for (PQconninfoOption *o = options; o->keyword != NULL; o++)
    if (o->val != NULL && o->val[0] != '\0' && !g_str_equal (o->keyword, "password"))
      {
        g_string_append_printf (out, "%s%s=", out->len ? " " : "", o->keyword);
        append_quoted (out, o->val);
      }
  PQconninfoFree (options);
  g_string_append (out, out->len ? " password=" : "password=");
  append_quoted (out, password);
  return g_string_free (out, FALSE);
}

gint64
gl_db_table_exists (GlDb *db, const char *name)
{
  g_autofree char *sql
      = gl_db_is_sqlite (db)
            ? g_strdup_printf ("SELECT COUNT (*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", name)
            : g_strdup_printf ("SELECT COUNT (*) FROM information_schema.tables WHERE table_schema = current_schema ()"
                               " AND table_name = '%s'",
                               name);
  return gl_db_query_int (db, sql, FALSE, 0, -1);
}

gboolean
gl_db_create_table_once (GlDb *db, const char *name, const char *ddl, GError **error)
{
  gint64 exists = gl_db_table_exists (db, name);
  if (exists < 0)
    return gl_db_fail (db, error, "cannot read the schema");
  if (exists > 0)
    return TRUE;
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = (gl_db_is_sqlite (db) || gl_db_exec (db, "SELECT pg_advisory_xact_lock (8318)", error))
                && gl_db_exec (db, ddl, error);
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}
