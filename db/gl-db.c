/* gl-db.c — the connection, errors, the statement cache, the schema and its
 * migrations, settings. See gl-db.h.
 *
 * Schema version 2 (version 1 is the first app/gl-project.c schema; a fresh
 * database is made by writing version 1 and migrating it, so the migration
 * runs on every new project and cannot rot).
 *
 * The derived columns of images keep every listing on an index:
 *   cls          current label: class id (> 0), -1 readable and unlabeled, -2 unreadable
 *   scls, scls1  listing slot 0's and 1's copy of cls (schema 9): the slot's indexes that
 *                filter on the label use it; the current slot's always equals cls, the
 *                other catches up when it is claimed and made current (gl-db-predictions.c)
 *   label_id     the history row that set cls (NULL when never labeled)
 *   ref_class    current reference class (NULL none), ref_label_id its row
 *   pred_class   the current model's top class (NULL none)
 *   ukey, ckey   −score and −top probability under the current model (NULL none):
 *                ascending index order is "most uncertain / most confident first"
 */
#include "db/gl-db-private.h"
#include "db/gl-sql-sqlite.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

G_DEFINE_QUARK (gl-db-error-quark, gl_db_error)

#define BUSY_TIMEOUT_MS 5000

/* ---- Errors ------------------------------------------------------------ */

static GlDbError
code_for (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return GL_DB_ERROR_BUSY;
    case SQLITE_FULL:
      return GL_DB_ERROR_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return GL_DB_ERROR_CORRUPT;
    case SQLITE_CANTOPEN:
      return GL_DB_ERROR_NOT_FOUND;
    default:
      return GL_DB_ERROR_FAILED;
    }
}

/* The GL_DB_ERROR code for a GL_SQL_ERROR code: the same as code_for gives
 * for SQLite's codes (a broken server connection is a failure to retry,
 * not a missing database). */
static GlDbError
code_for_sql (GlSqlError code)
{
  switch (code)
    {
    case GL_SQL_ERROR_BUSY:
      return GL_DB_ERROR_BUSY;
    case GL_SQL_ERROR_FULL:
      return GL_DB_ERROR_FULL;
    case GL_SQL_ERROR_CORRUPT:
      return GL_DB_ERROR_CORRUPT;
    case GL_SQL_ERROR_CANNOT_OPEN:
      return GL_DB_ERROR_NOT_FOUND;
    case GL_SQL_ERROR_CONSTRAINT:
    case GL_SQL_ERROR_GONE:
    case GL_SQL_ERROR_FAILED:
    default:
      return GL_DB_ERROR_FAILED;
    }
}

/* After a failed write: is the disk (nearly) full, or a file of the database
 * at the file-size limit? SQLite's own errno is not reliable by then (it
 * reports the errno of whatever ran last), so look at the disk. */
static gboolean
out_of_space (GlDb *db)
{
  const guint64 margin = 4 << 20;
  g_autofree char *dir = g_path_get_dirname (db->path);
  struct statvfs vfs;
  if (statvfs (dir, &vfs) == 0 && (guint64) vfs.f_bavail * vfs.f_frsize < margin)
    return TRUE;
  struct rlimit rl;
  if (getrlimit (RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return FALSE;
  const char *suffixes[] = { "", "-wal" };
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *f = g_strconcat (db->path, suffixes[i], NULL);
      struct stat st;
      if (stat (f, &st) == 0 && (guint64) st.st_size + margin > (guint64) rl.rlim_cur)
        return TRUE;
    }
  return FALSE;
}

/* gl_db_fail on PostgreSQL: the code and reason gl-sql recorded. */
static gboolean
fail_server (GlDb *db, GError **error, const char *what)
{
  GlSqlError sql_code;
  const char *reason = gl_sql_last_error (db->conn, &sql_code);
  GlDbError code = code_for_sql (sql_code);
  if (code == GL_DB_ERROR_BUSY)
    reason = "the project is busy (another desktop is writing the same rows); try again";
  else if (code == GL_DB_ERROR_FULL)
    reason = "the server's disk is full (nothing of this change was saved)";
  g_set_error (error, GL_DB_ERROR, code, "%s: %s: %s", db->path, what, reason);
  g_debug ("%s: %s: %s", db->path, what, reason);
  return FALSE;
}

gboolean
gl_db_fail (GlDb *db, GError **error, const char *what)
{
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  if (db->conn != NULL && h == NULL)
    return fail_server (db, error, what);
  int rc = h ? sqlite3_extended_errcode (h) : SQLITE_CANTOPEN;
  GlDbError code = code_for (rc);
  /* A write refused for space (ENOSPC) or by the file-size limit (EFBIG) is
   * a full disk, whatever SQLite calls it. */
  int sys = h ? sqlite3_system_errno (h) : 0;
  if ((rc & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EFBIG || out_of_space (db)))
    code = GL_DB_ERROR_FULL;
  const char *msg = h ? sqlite3_errmsg (h) : "cannot open";
  if (code == GL_DB_ERROR_BUSY)
    msg = "the project is busy (another process is writing to it); try again";
  else if (code == GL_DB_ERROR_FULL)
    msg = "the disk is full (nothing of this change was saved)";
  else if ((rc & 0xff) == SQLITE_IOERR && code != GL_DB_ERROR_FULL)
    msg = g_strdup_printf ("%s (I/O error %d, %s)", sqlite3_errmsg (h), rc, g_strerror (sqlite3_system_errno (h)));
  g_set_error (error, GL_DB_ERROR, code, "%s: %s: %s", db->path, what, msg);
  if ((rc & 0xff) == SQLITE_IOERR && code != GL_DB_ERROR_FULL)
    g_free ((char *) msg);
  return FALSE;
}

gboolean
gl_db_fail_with (GlDb *db, GError **error, GlDbError code, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, GL_DB_ERROR, code, "%s: %s", db->path, msg);
  return FALSE;
}

/* ---- Statements -------------------------------------------------------- */

gboolean
gl_db_is_sqlite (GlDb *db)
{
  return gl_sql_backend (db->conn) == GL_SQL_SQLITE;
}

GlSqlStmt *
gl_db_stmt (GlDb *db, const char *sql, GError **error)
{
  GlSqlStmt *st = gl_sql_prepare (db->conn, sql, NULL);
  if (st == NULL)
    {
      gl_db_fail (db, error, "cannot prepare a statement");
      return NULL;
    }
  if (db->locked_us != 0 && db->first_sql == NULL)
    db->first_sql = gl_sql_stmt_sql (st);
  return st;
}

GlSqlStmt *
gl_db_stmt_insert (GlDb *db, const char *sql, GError **error)
{
  if (gl_db_is_sqlite (db))
    return gl_db_stmt (db, sql, error);
  if (db->returning == NULL)
    db->returning = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  const char *with = g_hash_table_lookup (db->returning, sql);
  if (with == NULL)
    {
      with = g_strconcat (sql, " RETURNING id", NULL);
      g_hash_table_insert (db->returning, (gpointer) sql, (gpointer) with);
    }
  return gl_db_stmt (db, with, error);
}

GlSqlStmt *
gl_db_stmt_own (GlDb *db, const char *sql, GError **error)
{
  GlSqlStmt *st = gl_sql_prepare_uncached (db->conn, sql, NULL);
  if (st == NULL)
    gl_db_fail (db, error, "cannot prepare a statement");
  return st;
}

void
gl_db_done (GlSqlStmt *st)
{
  gl_sql_reset (st);
}

gboolean
gl_db_exec (GlDb *db, const char *sql, GError **error)
{
  if (!gl_sql_exec (db->conn, sql, NULL))
    return gl_db_fail (db, error, "cannot run a statement");
  return TRUE;
}

/* ---- Write-lock bookkeeping -------------------------------------------- */

/* Writers of this process waiting in gl_db_begin (busy_wait counts them),
 * and waits that ended with the lock: atomics. */
static gint waiting_writers;
static guint served_writers;

gint
gl_db_waiting_writers (void)
{
  return g_atomic_int_get (&waiting_writers);
}

guint
gl_db_served_writers (void)
{
  return (guint) g_atomic_int_get (&served_writers);
}

/* How long write transactions held the lock, over every connection of the
 * process (under hold_lock). */
static GMutex hold_lock;
static GlDbHoldStats hold_stats;

void
gl_db_get_hold_stats (GlDbHoldStats *out)
{
  g_mutex_lock (&hold_lock);
  *out = hold_stats;
  g_mutex_unlock (&hold_lock);
}

void
gl_db_reset_hold_stats (void)
{
  g_mutex_lock (&hold_lock);
  hold_stats = (GlDbHoldStats){ 0 };
  g_mutex_unlock (&hold_lock);
}

/* The write transaction of @db ended (committed or rolled back). */
static void
count_hold (GlDb *db)
{
  if (db->locked_us == 0)
    return;
  gint64 us = g_get_monotonic_time () - db->locked_us;
  db->locked_us = 0;
  const char *what = db->first_sql;
  db->first_sql = NULL;
  g_mutex_lock (&hold_lock);
  if (us > hold_stats.max_us)
    g_strlcpy (hold_stats.max_what, what != NULL ? what : "(no statement)", sizeof hold_stats.max_what);
  hold_stats.n++;
  hold_stats.over_20ms += us > 20000;
  hold_stats.over_50ms += us > 50000;
  hold_stats.over_100ms += us > 100000;
  hold_stats.max_us = MAX (hold_stats.max_us, us);
  hold_stats.total_us += us;
  g_mutex_unlock (&hold_lock);
}

gboolean
gl_db_begin (GlDb *db, GError **error)
{
  /* SQLite: take the write lock now (IMMEDIATE), where the busy handler
   * waits for it, not at the first write. PostgreSQL locks rows as they are
   * written. */
  GlSqlStmt *st = gl_db_stmt (db, gl_db_is_sqlite (db) ? "BEGIN IMMEDIATE" : "BEGIN", error);
  if (st == NULL)
    return FALSE;
  db->in_begin = TRUE;
  gboolean ok = gl_db_step_done (db, st, error, "cannot start a write");
  db->in_begin = FALSE;
  if (db->counted)
    {
      db->counted = FALSE;
      if (ok)
        g_atomic_int_inc (&served_writers);
      g_atomic_int_add (&waiting_writers, -1);
    }
  if (ok)
    db->locked_us = g_get_monotonic_time ();
  return ok;
}

/* gl_db_test_exit_after_commits: commits left before _exit (0: never). */
static gint exit_after_commits;

void
gl_db_test_exit_after_commits (guint n)
{
  g_atomic_int_set (&exit_after_commits, (gint) n);
}

gboolean
gl_db_commit (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "COMMIT", error);
  if (st == NULL)
    return FALSE;
  GlSqlStep rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_DONE)
    {
      gl_sql_reset (st);
      count_hold (db);
      if (g_atomic_int_get (&exit_after_commits) > 0 && g_atomic_int_dec_and_test (&exit_after_commits))
        _exit (0); /* a kill right after this commit (test hook) */
      return TRUE;
    }
  gl_db_fail (db, error, "cannot commit");
  gl_sql_reset (st);
  return FALSE;
}

void
gl_db_rollback (GlDb *db)
{
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  /* PostgreSQL answers a ROLLBACK outside a transaction with a warning only. */
  if (h == NULL || !sqlite3_get_autocommit (h))
    gl_sql_rollback (db->conn);
  count_hold (db);
}

gboolean
gl_db_step_done (GlDb *db, GlSqlStmt *st, GError **error, const char *what)
{
  GlSqlStep rc = gl_sql_step (st, NULL);
  gboolean ok = rc != GL_SQL_STEP_ERROR;
  if (!ok)
    gl_db_fail (db, error, what);
  gl_sql_reset (st);
  return ok;
}

gint64
gl_db_step_id (GlDb *db, GlSqlStmt *st, GError **error, const char *what)
{
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  if (h != NULL)
    {
      if (!gl_db_step_done (db, st, error, what))
        return -1;
      return sqlite3_changes (h) > 0 ? sqlite3_last_insert_rowid (h) : 0;
    }
  GlSqlStep rc = gl_sql_step (st, NULL);
  gint64 id = rc == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : 0;
  /* The row is the statement's only one: stepping on ends it. */
  if (rc == GL_SQL_STEP_ROW)
    rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ERROR)
    {
      gl_db_fail (db, error, what);
      id = -1;
    }
  gl_sql_reset (st);
  return id;
}

GArray *
gl_db_collect (GlDb *db, GlSqlStmt *st, gsize size, GDestroyNotify clear, GlDbReadRow read, const char *what,
               GError **error)
{
  GArray *out = g_array_new (FALSE, TRUE, (guint) size);
  GlSqlStep rc;

  g_array_set_clear_func (out, clear);
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      g_array_set_size (out, out->len + 1);
      read (st, out->data + (gsize) (out->len - 1) * size);
    }
  if (rc != GL_SQL_STEP_DONE)
    {
      gl_sql_reset (st);
      g_array_unref (out);
      gl_db_fail (db, error, what);
      return NULL;
    }
  gl_sql_reset (st);
  return out;
}

gint64
gl_db_query_int (GlDb *db, const char *sql, gboolean bind, gint64 a, gint64 fallback)
{
  GlSqlStmt *st = gl_db_stmt (db, sql, NULL);
  if (st == NULL)
    return fallback;
  if (bind)
    gl_sql_bind_int64 (st, 1, a);
  gint64 v = fallback;
  if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW && !gl_sql_column_is_null (st, 0))
    v = gl_sql_column_int64 (st, 0);
  gl_sql_reset (st);
  return v;
}

gint64
gl_db_counter (GlDb *db, const char *name, gint64 fallback)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT value FROM counters WHERE name = ?1", NULL);
  if (st == NULL)
    return fallback;
  gl_sql_bind_text (st, 1, name);
  gint64 v = fallback;
  if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
    v = gl_sql_column_int64 (st, 0);
  gl_sql_reset (st);
  return v;
}

gboolean
gl_db_set_counter (GlDb *db, const char *name, gint64 value, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO counters (name, value) VALUES (?1, ?2)"
                                  " ON CONFLICT (name) DO UPDATE SET value = excluded.value", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, name);
  gl_sql_bind_int64 (st, 2, value);
  return gl_db_step_done (db, st, error, "cannot write a counter");
}

const char *
gl_db_annotator (GlDb *db, const char *annotator)
{
  return annotator ? annotator : db->user;
}

static const char *const origin_names[] = { NULL, "human", "rule", "prediction", "reference", "review" };

const char *
gl_db_origin_sql (GlDbOrigin origin)
{
  if (origin < GL_DB_ORIGIN_HUMAN || origin > GL_DB_ORIGIN_REVIEW)
    return "human";
  return origin_names[origin];
}

GlDbOrigin
gl_db_origin_from_sql (const char *text)
{
  GlDbOrigin o = GL_DB_ORIGIN_HUMAN;
  gl_db_origin_from_string (text, &o);
  return o;
}

const char *
gl_db_origin_to_string (GlDbOrigin origin)
{
  return gl_db_origin_sql (origin);
}

gboolean
gl_db_origin_from_string (const char *text, GlDbOrigin *origin)
{
  for (int i = GL_DB_ORIGIN_HUMAN; i <= GL_DB_ORIGIN_REVIEW; i++)
    if (g_strcmp0 (text, origin_names[i]) == 0)
      {
        *origin = (GlDbOrigin) i;
        return TRUE;
      }
  return FALSE;
}

void
gl_db_bind_double (GlSqlStmt *st, int i, double v)
{
  gl_sql_bind_double (st, i, v); /* NaN binds NULL */
}

double
gl_db_column_double (GlSqlStmt *st, int i)
{
  return gl_sql_column_is_null (st, i) ? NAN : gl_sql_column_double (st, i);
}

void
gl_db_bind_id (GlSqlStmt *st, int i, gint64 id)
{
  if (id < 0)
    gl_sql_bind_null (st, i);
  else
    gl_sql_bind_int64 (st, i, id);
}

gint64
gl_db_column_id (GlSqlStmt *st, int i)
{
  return gl_sql_column_is_null (st, i) ? -1 : gl_sql_column_int64 (st, i);
}

char *
gl_db_column_dup (GlSqlStmt *st, int i)
{
  return g_strdup (gl_sql_column_text (st, i));
}

GBytes *
gl_db_column_bytes (GlSqlStmt *st, int i)
{
  if (gl_sql_column_is_null (st, i))
    return NULL;
  gsize len = 0;
  const void *b = gl_sql_column_blob (st, i, &len);
  return g_bytes_new (b, len);
}

/* ---- Schema ------------------------------------------------------------ */

/* Version 1, exactly as the first app/gl-project.c wrote it. */
static const char schema_v1[] =
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE classes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, position INTEGER NOT NULL);"
  "CREATE TABLE import_batches (id INTEGER PRIMARY KEY, source TEXT NOT NULL, labels_as TEXT NOT NULL,"
  "  held_out_test INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);"
  "CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT NOT NULL, hash TEXT UNIQUE, size INTEGER NOT NULL,"
  "  batch_id INTEGER NOT NULL REFERENCES import_batches (id), cache_row INTEGER, reason TEXT);"
  "CREATE TABLE labels (id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images (id),"
  "  class_id INTEGER REFERENCES classes (id), origin TEXT NOT NULL, created_us INTEGER NOT NULL);"
  "CREATE INDEX labels_image ON labels (image_id);"
  "CREATE INDEX images_batch ON images (batch_id);"
  "CREATE INDEX images_path ON images (path);"
  "PRAGMA user_version = 1;";

/* 1 → 2: classes get colour, shortcut, archived, deleted (kept for history)
 * and lose the table-wide UNIQUE name (unique among live classes instead);
 * images get the derived listing columns; labels get annotator, kind, undo
 * and action links; new tables for skips, rules, suggestions, the queue,
 * model versions, predictions, metrics and drift. Runs with foreign keys off
 * (the classes table is rebuilt) and checks them before COMMIT. */
static const char migrate_v2[] =
  "CREATE TABLE classes_v2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL,"
  "  colour TEXT NOT NULL, shortcut INTEGER, archived INTEGER NOT NULL DEFAULT 0,"
  "  deleted INTEGER NOT NULL DEFAULT 0, merged_into INTEGER REFERENCES classes (id));"
  "INSERT INTO classes_v2 (id, name, position, colour, shortcut)"
  "  SELECT id, name, ROW_NUMBER () OVER (ORDER BY position, id) - 1,"
  "    CASE (ROW_NUMBER () OVER (ORDER BY position, id) - 1) % 10"
  "      WHEN 0 THEN '#3584e4' WHEN 1 THEN '#e66100' WHEN 2 THEN '#33d17a' WHEN 3 THEN '#e01b24'"
  "      WHEN 4 THEN '#9141ac' WHEN 5 THEN '#986a44' WHEN 6 THEN '#f66151' WHEN 7 THEN '#77767b'"
  "      WHEN 8 THEN '#f5c211' ELSE '#2190a4' END,"
  "    CASE WHEN ROW_NUMBER () OVER (ORDER BY position, id) <= 9"
  "      THEN 48 + ROW_NUMBER () OVER (ORDER BY position, id)"
  "      WHEN ROW_NUMBER () OVER (ORDER BY position, id) = 10 THEN 48 ELSE NULL END"
  "  FROM classes;"
  "DROP TABLE classes;"
  "ALTER TABLE classes_v2 RENAME TO classes;"
  "CREATE UNIQUE INDEX classes_live_name ON classes (name) WHERE deleted = 0;"
  "CREATE UNIQUE INDEX classes_live_shortcut ON classes (shortcut) WHERE deleted = 0 AND shortcut IS NOT NULL;"
  "ALTER TABLE images ADD COLUMN created_us INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE images ADD COLUMN held_out INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE images ADD COLUMN cls INTEGER NOT NULL DEFAULT -1;"
  "ALTER TABLE images ADD COLUMN label_id INTEGER;"
  "ALTER TABLE images ADD COLUMN ref_class INTEGER;"
  "ALTER TABLE images ADD COLUMN ref_label_id INTEGER;"
  "ALTER TABLE images ADD COLUMN pred_class INTEGER;"
  "ALTER TABLE images ADD COLUMN ukey REAL;"
  "ALTER TABLE images ADD COLUMN ckey REAL;"
  "ALTER TABLE labels ADD COLUMN annotator TEXT NOT NULL DEFAULT 'import';"
  "ALTER TABLE labels ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE labels ADD COLUMN undoes INTEGER;"
  "ALTER TABLE labels ADD COLUMN action INTEGER;"
  "UPDATE images SET created_us = (SELECT b.created_us FROM import_batches b WHERE b.id = images.batch_id),"
  "  held_out = (SELECT b.held_out_test FROM import_batches b WHERE b.id = images.batch_id),"
  "  cls = CASE WHEN reason IS NOT NULL THEN -2 ELSE -1 END;"
  "UPDATE images SET (label_id, cls) = (SELECT l.id, COALESCE (l.class_id, -1) FROM labels l"
  "    WHERE l.image_id = images.id AND l.origin <> 'reference' ORDER BY l.id DESC LIMIT 1)"
  "  WHERE reason IS NULL AND EXISTS (SELECT 1 FROM labels l WHERE l.image_id = images.id"
  "    AND l.origin <> 'reference');"
  "UPDATE images SET (ref_label_id, ref_class) = (SELECT l.id, l.class_id FROM labels l"
  "    WHERE l.image_id = images.id AND l.origin = 'reference' ORDER BY l.id DESC LIMIT 1)"
  "  WHERE EXISTS (SELECT 1 FROM labels l WHERE l.image_id = images.id AND l.origin = 'reference');"
  "DROP INDEX labels_image;"
  "CREATE INDEX labels_image ON labels (image_id, id);"
  "CREATE INDEX labels_undo ON labels (annotator, id) WHERE kind = 0 AND action IS NULL;"
  "CREATE INDEX labels_action ON labels (action) WHERE action IS NOT NULL;"
  "CREATE INDEX labels_undoes ON labels (undoes) WHERE undoes IS NOT NULL;"
  /* Listing: one index per (filter column, sort key); rowid order comes with each. */
  "CREATE INDEX images_u ON images (ukey, id);"
  "CREATE INDEX images_c ON images (ckey, id);"
  "CREATE INDEX images_cls ON images (cls);"
  "CREATE INDEX images_cls_u ON images (cls, ukey, id);"
  "CREATE INDEX images_cls_c ON images (cls, ckey, id);"
  "CREATE INDEX images_cls_n ON images (cls, path, id);"
  "CREATE INDEX images_pred ON images (pred_class) WHERE pred_class IS NOT NULL;"
  "CREATE INDEX images_pred_u ON images (pred_class, ukey, id) WHERE pred_class IS NOT NULL;"
  "CREATE INDEX images_pred_c ON images (pred_class, ckey, id) WHERE pred_class IS NOT NULL;"
  "CREATE INDEX images_pred_n ON images (pred_class, path, id) WHERE pred_class IS NOT NULL;"
  "CREATE INDEX images_lab ON images (id) WHERE cls > 0;"
  "CREATE INDEX images_lab_u ON images (ukey, id) WHERE cls > 0;"
  "CREATE INDEX images_lab_c ON images (ckey, id) WHERE cls > 0;"
  "CREATE INDEX images_lab_n ON images (path, id) WHERE cls > 0;"
  "CREATE INDEX images_dis ON images (id) WHERE cls > 0 AND pred_class <> cls;"
  "CREATE INDEX images_dis_u ON images (ukey, id) WHERE cls > 0 AND pred_class <> cls;"
  "CREATE INDEX images_dis_c ON images (ckey, id) WHERE cls > 0 AND pred_class <> cls;"
  "CREATE INDEX images_dis_n ON images (path, id) WHERE cls > 0 AND pred_class <> cls;"
  "CREATE INDEX images_ref ON images (ref_class) WHERE ref_class IS NOT NULL;"
  "CREATE INDEX images_held ON images (id) WHERE held_out = 1;"
  "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "INSERT INTO counters (name, value) VALUES ('label_seq', 0), ('current_model', -1), ('queue_mark', 0),"
  "  ('listing_pending', 0);"
  "CREATE TABLE skips (image_id INTEGER PRIMARY KEY REFERENCES images (id), created_us INTEGER NOT NULL,"
  "  expires_seq INTEGER NOT NULL);"
  "CREATE TABLE rules (id INTEGER PRIMARY KEY, glob TEXT NOT NULL UNIQUE,"
  "  class_id INTEGER NOT NULL REFERENCES classes (id), created_us INTEGER NOT NULL);"
  "CREATE TABLE suggestions (image_id INTEGER PRIMARY KEY REFERENCES images (id),"
  "  class_id INTEGER NOT NULL REFERENCES classes (id), rule TEXT NOT NULL);"
  "CREATE TABLE queue (position INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images (id),"
  "  reason TEXT NOT NULL, score REAL, audit INTEGER NOT NULL);"
  "CREATE TABLE model_versions (id INTEGER PRIMARY KEY, path TEXT NOT NULL, created_us INTEGER NOT NULL,"
  "  n_labels INTEGER NOT NULL, val_accuracy REAL, macro_f1 REAL, ece REAL, metrics BLOB, confusion BLOB);"
  "CREATE TABLE predictions (model_id INTEGER NOT NULL REFERENCES model_versions (id),"
  "  image_id INTEGER NOT NULL REFERENCES images (id), top_class INTEGER, top_prob REAL, score REAL,"
  "  probs BLOB, PRIMARY KEY (model_id, image_id)) WITHOUT ROWID;"
  "CREATE TABLE class_metrics (model_id INTEGER NOT NULL REFERENCES model_versions (id),"
  "  class_id INTEGER NOT NULL REFERENCES classes (id), precision REAL, recall REAL, f1 REAL,"
  "  support INTEGER NOT NULL, PRIMARY KEY (model_id, class_id)) WITHOUT ROWID;"
  "CREATE TABLE drift (id INTEGER PRIMARY KEY, model_id INTEGER REFERENCES model_versions (id),"
  "  batch_a INTEGER REFERENCES import_batches (id), batch_b INTEGER REFERENCES import_batches (id),"
  "  from_us INTEGER NOT NULL, to_us INTEGER NOT NULL, psi REAL, js REAL, stats BLOB,"
  "  created_us INTEGER NOT NULL);"
  "PRAGMA user_version = 2;";

/* 2 → 3: the images answered as audit items of the queue get a table of
 * their own, written in the label's transaction (gl_db_set_audit_label),
 * instead of a setting holding every id as text, which the app rewrote in a
 * transaction of its own before each audit label. A class's metrics row
 * records which row and column of the confusion matrix is the class's (the
 * matrix blob does not, and classes can be reordered after training). */
static const char migrate_v3[] =
  "CREATE TABLE audit_images (image_id INTEGER PRIMARY KEY REFERENCES images (id));"
  "ALTER TABLE class_metrics ADD COLUMN matrix_row INTEGER;";

/* 3 → 4: label-error detection (db/gl-db-label-errors.c). One row per
 * labeled image and model version with its out-of-fold probabilities of the
 * given and the suggested class, and a run row per version written in the
 * same transaction, so a version either has its whole detection or none.
 * label_seq: labels.id at detection time; later "review" rows of an image
 * take it off that version's list. */
static const char migrate_v4[] =
  "CREATE TABLE label_error_runs (model_id INTEGER PRIMARY KEY REFERENCES model_versions (id),"
  "  folds INTEGER NOT NULL, n_labels INTEGER NOT NULL, n_flagged INTEGER NOT NULL, ranking TEXT NOT NULL,"
  "  seconds REAL, last_label_id INTEGER NOT NULL, created_us INTEGER NOT NULL);"
  "CREATE TABLE label_errors (model_id INTEGER NOT NULL REFERENCES label_error_runs (model_id),"
  "  image_id INTEGER NOT NULL REFERENCES images (id), given_class INTEGER NOT NULL REFERENCES classes (id),"
  "  suggested_class INTEGER REFERENCES classes (id), p_given REAL NOT NULL, p_suggested REAL NOT NULL,"
  "  score REAL NOT NULL, flagged INTEGER NOT NULL, PRIMARY KEY (model_id, image_id)) WITHOUT ROWID;"
  "CREATE INDEX label_errors_score ON label_errors (model_id, flagged, score);"
  "PRAGMA user_version = 4;";

/* 4 → 5: drift per class (issue 13). Each model version keeps a reference
 * (its calibrated outputs and embedding projection on the validation labels
 * and a pool sample, with the temperature and the calibration error before
 * and after); a drift row becomes one import batch or one sliding window
 * compared with that reference, with its verdict, and gets one row per test
 * (per class, or window-wide with class_id NULL) and one per class (sample
 * size, insufficient data, CBPE precision estimate). */
static const char migrate_v5[] =
  "ALTER TABLE drift ADD COLUMN kind TEXT NOT NULL DEFAULT 'pair';"
  "ALTER TABLE drift ADD COLUMN first_image INTEGER;"
  "ALTER TABLE drift ADD COLUMN last_image INTEGER;"
  "ALTER TABLE drift ADD COLUMN n_images INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE drift ADD COLUMN window_size INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE drift ADD COLUMN drifted INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE drift ADD COLUMN n_fired INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE drift ADD COLUMN top_class INTEGER REFERENCES classes (id);"
  "ALTER TABLE drift ADD COLUMN accuracy_est REAL;"
  "ALTER TABLE drift ADD COLUMN accuracy_ref REAL;"
  "CREATE INDEX drift_model ON drift (model_id, kind, id);"
  "CREATE TABLE drift_tests (drift_id INTEGER NOT NULL REFERENCES drift (id),"
  "  class_id INTEGER REFERENCES classes (id), test TEXT NOT NULL, tested INTEGER NOT NULL,"
  "  statistic REAL, p_value REAL, p_adjusted REAL, effect REAL, n_ref INTEGER NOT NULL,"
  "  n_win INTEGER NOT NULL, fired INTEGER NOT NULL);"
  "CREATE INDEX drift_tests_drift ON drift_tests (drift_id);"
  "CREATE TABLE drift_classes (drift_id INTEGER NOT NULL REFERENCES drift (id),"
  "  class_id INTEGER NOT NULL REFERENCES classes (id), n_images INTEGER NOT NULL,"
  "  insufficient INTEGER NOT NULL, precision_est REAL, precision_se REAL, precision_ref REAL,"
  "  precision_ref_se REAL, PRIMARY KEY (drift_id, class_id)) WITHOUT ROWID;"
  "CREATE TABLE drift_references (model_id INTEGER PRIMARY KEY REFERENCES model_versions (id),"
  "  created_us INTEGER NOT NULL, n_validation INTEGER NOT NULL, n_pool INTEGER NOT NULL,"
  "  n_classes INTEGER NOT NULL, dim INTEGER NOT NULL, projection_seed INTEGER NOT NULL,"
  "  temperature REAL NOT NULL, ece_before REAL, ece_after REAL, class_ids BLOB NOT NULL,"
  "  probs BLOB NOT NULL, embedding BLOB);"
  "PRAGMA user_version = 5;";

/* 5 → 6: two listing slots (db/gl-db-predictions.c). The current model's
 * listing columns (pred_class, ukey, ckey) become slot 0, with pmodel, the
 * version that wrote each row; slot 1 (pred_class1, ukey1, ckey1, pmodel1)
 * gets the same indexes. A new version's predictions are written into the
 * slot that is not current while it is scored, so making it current flips
 * counters.listing_slot: O(1), where the copy of every prediction into the
 * listing columns took minutes at 1,000,000 images. Labels, predictions and
 * the current model are kept; the rows slot 0 holds are stamped with the
 * current model (one pass over the images, once). model_versions.pruned
 * marks a version whose predictions gl_db_prune_predictions has deleted. */
static const char migrate_v6[] =
  "ALTER TABLE images ADD COLUMN pmodel INTEGER;"
  "ALTER TABLE images ADD COLUMN pred_class1 INTEGER;"
  "ALTER TABLE images ADD COLUMN ukey1 REAL;"
  "ALTER TABLE images ADD COLUMN ckey1 REAL;"
  "ALTER TABLE images ADD COLUMN pmodel1 INTEGER;"
  "ALTER TABLE model_versions ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;"
  "UPDATE images SET pmodel = (SELECT value FROM counters WHERE name = 'current_model')"
  "  WHERE pred_class IS NOT NULL OR ukey IS NOT NULL OR ckey IS NOT NULL;"
  "CREATE INDEX images_pm ON images (pmodel) WHERE pmodel IS NOT NULL;"
  "CREATE INDEX images_pm1 ON images (pmodel1) WHERE pmodel1 IS NOT NULL;"
  "CREATE INDEX images_u1 ON images (ukey1, id);"
  "CREATE INDEX images_c1 ON images (ckey1, id);"
  "CREATE INDEX images_cls_u1 ON images (cls, ukey1, id);"
  "CREATE INDEX images_cls_c1 ON images (cls, ckey1, id);"
  "CREATE INDEX images_pred1 ON images (pred_class1) WHERE pred_class1 IS NOT NULL;"
  "CREATE INDEX images_pred_u1 ON images (pred_class1, ukey1, id) WHERE pred_class1 IS NOT NULL;"
  "CREATE INDEX images_pred_c1 ON images (pred_class1, ckey1, id) WHERE pred_class1 IS NOT NULL;"
  "CREATE INDEX images_pred_n1 ON images (pred_class1, path, id) WHERE pred_class1 IS NOT NULL;"
  "CREATE INDEX images_lab_u1 ON images (ukey1, id) WHERE cls > 0;"
  "CREATE INDEX images_lab_c1 ON images (ckey1, id) WHERE cls > 0;"
  "CREATE INDEX images_dis1 ON images (id) WHERE cls > 0 AND pred_class1 <> cls;"
  "CREATE INDEX images_dis_u1 ON images (ukey1, id) WHERE cls > 0 AND pred_class1 <> cls;"
  "CREATE INDEX images_dis_c1 ON images (ckey1, id) WHERE cls > 0 AND pred_class1 <> cls;"
  "CREATE INDEX images_dis_n1 ON images (path, id) WHERE cls > 0 AND pred_class1 <> cls;"
  "INSERT OR REPLACE INTO counters (name, value) VALUES ('listing_slot', 0), ('slot1_model', -1),"
  "  ('slot0_model', (SELECT value FROM counters WHERE name = 'current_model'));"
  "PRAGMA user_version = 6;";

/* 6 → 7: drift automation (app/gl-drift-auto.c). drift_actions records
 * every action taken on drift, automatic or asked for (origin), with the
 * trigger's statistics; its drift_id is a plain number (the windows it names
 * are replaced at each round). drift_audit_changes keeps each change ADWIN
 * found in the accuracy of a class on the audit labels (one row per model
 * version, class and the audit image where it fired). drift_candidates: the
 * images of a drifted batch or window predicted as a class that drifted, or
 * novel (beyond the reference's 99th percentile distance to their class's
 * centroid), from which the drift-boosted queue draws. */
static const char migrate_v7[] =
  "CREATE TABLE drift_actions (id INTEGER PRIMARY KEY, created_us INTEGER NOT NULL,"
  "  model_id INTEGER REFERENCES model_versions (id), drift_id INTEGER, origin TEXT NOT NULL,"
  "  action TEXT NOT NULL, trigger TEXT NOT NULL, classes TEXT NOT NULL, statistics TEXT NOT NULL,"
  "  detail TEXT NOT NULL, last_label_id INTEGER NOT NULL);"
  "CREATE TABLE drift_audit_changes (id INTEGER PRIMARY KEY, created_us INTEGER NOT NULL,"
  "  model_id INTEGER NOT NULL REFERENCES model_versions (id), class_id INTEGER NOT NULL REFERENCES classes (id),"
  "  image_id INTEGER NOT NULL REFERENCES images (id), position INTEGER NOT NULL, mean_before REAL NOT NULL,"
  "  mean_after REAL NOT NULL, width_before INTEGER NOT NULL, width_after INTEGER NOT NULL,"
  "  epsilon REAL NOT NULL, delta REAL NOT NULL, UNIQUE (model_id, class_id, image_id));"
  "CREATE TABLE drift_candidates (drift_id INTEGER NOT NULL REFERENCES drift (id),"
  "  image_id INTEGER NOT NULL REFERENCES images (id), class_id INTEGER NOT NULL REFERENCES classes (id),"
  "  novel INTEGER NOT NULL, distance REAL, PRIMARY KEY (drift_id, image_id)) WITHOUT ROWID;"
  "CREATE INDEX drift_candidates_image ON drift_candidates (image_id);"
  "PRAGMA user_version = 7;";

/* 7 → 8: the significance level of each drift verdict (NULL: recorded
 * before, at the then fixed 0.05), and the order in which the drift-boosted
 * queue draws each candidate (app/gl-drift-boost.h; NULL: stored before, by
 * novelty and distance). */
static const char migrate_v8[] =
  "ALTER TABLE drift ADD COLUMN alpha REAL;"
  "ALTER TABLE drift_candidates ADD COLUMN priority REAL;"
  "PRAGMA user_version = 8;";

/* 8 → 9: the slot's copy of the label (GL_DB_LABEL_INDEXES_V9 in
 * gl-db-private.h). scls and scls1 start equal to cls; the indexes of both
 * listing slots that filter on the label are made again on them. The
 * counters slot<k>_labels: the last history row the slot's copy has taken
 * in (gl-db-predictions.c brings a slot up to date from there when it
 * becomes current). Labels and predictions are kept as they are. */
static const char migrate_v9[] =
  "ALTER TABLE images ADD COLUMN scls INTEGER NOT NULL DEFAULT -1;"
  "ALTER TABLE images ADD COLUMN scls1 INTEGER NOT NULL DEFAULT -1;"
  "UPDATE images SET scls = cls, scls1 = cls;"
  "DROP INDEX images_cls_u; DROP INDEX images_cls_c; DROP INDEX images_lab_u; DROP INDEX images_lab_c;"
  "DROP INDEX images_dis; DROP INDEX images_dis_u; DROP INDEX images_dis_c; DROP INDEX images_dis_n;"
  "DROP INDEX images_cls_u1; DROP INDEX images_cls_c1; DROP INDEX images_lab_u1; DROP INDEX images_lab_c1;"
  "DROP INDEX images_dis1; DROP INDEX images_dis_u1; DROP INDEX images_dis_c1; DROP INDEX images_dis_n1;"
  GL_DB_LABEL_INDEXES_V9
  "INSERT OR REPLACE INTO counters (name, value) VALUES"
  "  ('slot0_labels', (SELECT COALESCE (MAX (id), 0) FROM labels)),"
  "  ('slot1_labels', (SELECT COALESCE (MAX (id), 0) FROM labels));"
  "PRAGMA user_version = 9;";

static gboolean
move_audit_setting (GlDb *db, GError **error)
{
  sqlite3_stmt *get = NULL, *put = NULL;
  gboolean ok
    = sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), "SELECT value FROM settings WHERE key = 'audit_images'", -1, &get, NULL)
        == SQLITE_OK
      && sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn),
                             "INSERT OR IGNORE INTO audit_images (image_id)"
                             " SELECT id FROM images WHERE id = ?1", -1, &put, NULL) == SQLITE_OK;
  if (ok && sqlite3_step (get) == SQLITE_ROW)
    {
      /* Ids separated by spaces; anything else in the text is skipped. */
      const char *p = (const char *) sqlite3_column_text (get, 0);
      while (ok && p != NULL && *p)
        {
          char *end;
          gint64 id = g_ascii_strtoll (p, &end, 10);
          if (end == p)
            {
              p++;
              continue;
            }
          p = end;
          sqlite3_bind_int64 (put, 1, id);
          ok = sqlite3_step (put) == SQLITE_DONE;
          sqlite3_reset (put);
        }
    }
  sqlite3_finalize (get);
  sqlite3_finalize (put);
  if (!ok)
    return gl_db_fail (db, error, "cannot move the audit images into their table");
  return gl_db_exec (db, "DELETE FROM settings WHERE key = 'audit_images'; PRAGMA user_version = 3;", error);
}

static int
user_version (GlDb *db)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK
      && sqlite3_step (st) == SQLITE_ROW)
    v = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  return v;
}

static gboolean
migrate (GlDb *db, GError **error)
{
  if (user_version (db) == GL_DB_SCHEMA_VERSION)
    return TRUE;
  /* Another process may be migrating the same file: BEGIN IMMEDIATE waits for
   * it, and the version is read again under the lock. */
  if (!gl_db_exec (db, "PRAGMA foreign_keys = OFF", error))
    return FALSE;
  if (sqlite3_exec (gl_sql_sqlite_handle (db->conn), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return gl_db_fail (db, error, "cannot start the schema upgrade");
  int v = user_version (db);
  gboolean ok = TRUE;
  if (v == 0)
    {
      /* Empty file (a new project, or one whose creation never committed). */
      sqlite3_stmt *st = NULL;
      int n = 0;
      if (sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), "SELECT COUNT (*) FROM sqlite_schema", -1, &st, NULL) == SQLITE_OK
          && sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int (st, 0);
      sqlite3_finalize (st);
      if (n != 0)
        ok = gl_db_fail_with (db, error, GL_DB_ERROR_CORRUPT, "not a Gleaner database (tables without a version)");
      else
        ok = gl_db_exec (db, schema_v1, error);
      v = 1;
    }
  if (ok && v > GL_DB_SCHEMA_VERSION)
    ok = gl_db_fail_with (db, error, GL_DB_ERROR_TOO_NEW,
                          "schema version %d is newer than this Gleaner knows (%d); update Gleaner", v,
                          GL_DB_SCHEMA_VERSION);
  if (ok && v == 1)
    ok = gl_db_exec (db, migrate_v2, error);
  if (ok && v >= 1 && v <= 2)
    ok = gl_db_exec (db, migrate_v3, error) && move_audit_setting (db, error);
  if (ok && v >= 1 && v <= 3)
    ok = gl_db_exec (db, migrate_v4, error);
  if (ok && v >= 1 && v <= 4)
    ok = gl_db_exec (db, migrate_v5, error);
  if (ok && v >= 1 && v <= 5)
    ok = gl_db_exec (db, migrate_v6, error);
  if (ok && v >= 1 && v <= 6)
    ok = gl_db_exec (db, migrate_v7, error);
  if (ok && v >= 1 && v <= 7)
    ok = gl_db_exec (db, migrate_v8, error);
  if (ok && v >= 1 && v <= 8)
    ok = gl_db_exec (db, migrate_v9, error);
  if (ok)
    {
      sqlite3_stmt *st = NULL;
      if (sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
        ok = gl_db_fail (db, error, "cannot check foreign keys");
      else if (sqlite3_step (st) == SQLITE_ROW)
        ok = gl_db_fail_with (db, error, GL_DB_ERROR_CORRUPT, "a row of table %s refers to a missing row",
                              (const char *) sqlite3_column_text (st, 0));
      sqlite3_finalize (st);
    }
  if (ok && sqlite3_exec (gl_sql_sqlite_handle (db->conn), "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    ok = gl_db_fail (db, error, "cannot commit the schema upgrade");
  if (!ok)
    gl_db_rollback (db);
  return gl_db_exec (db, "PRAGMA foreign_keys = ON", ok ? error : NULL) && ok;
}

/* The busy handler: SQLite's own (sqlite3_busy_timeout) sleeps 1, 2, 5, 10,
 * … 100 ms between tries, so a label waiting behind a writer that holds the
 * lock in short stretches (the chunks of a model swap) could miss every gap
 * and wait for many of them. Tries again every BUSY_POLL_US instead, for
 * BUSY_TIMEOUT_MS in all. */
#define BUSY_POLL_US 500

static int
busy_wait (void *data, int tries)
{
  GlDb *db = data;
  gint64 now = g_get_monotonic_time ();
  if (tries == 0)
    db->busy_since = now;
  if (db->in_begin && !db->counted)
    {
      db->counted = TRUE;
      g_atomic_int_inc (&waiting_writers);
    }
  if (now - db->busy_since >= (gint64) BUSY_TIMEOUT_MS * 1000)
    return 0;
  g_usleep (BUSY_POLL_US);
  return 1;
}

void
gl_db_set_waiting (GlDb *db, gboolean wait)
{
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  if (h != NULL)
    sqlite3_busy_handler (h, wait ? busy_wait : NULL, wait ? db : NULL);
  else
    gl_sql_exec (db->conn, wait ? "SET lock_timeout = " G_STRINGIFY (BUSY_TIMEOUT_MS) : "SET lock_timeout = 1", NULL);
}

/* ---- Checkpoints ------------------------------------------------------- */

/* SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
 * past 1,000 pages: that label then also copies ~4 MB into the database file
 * and syncs it, once every ~50 labels (a label dirties ~20 pages: its history
 * row, the labels indexes, the image row and the listing indexes on cls), which
 * is what the p99 of label commits was made of; a profile of the labeling loop
 * shows the kernel (WAL writes, fdatasync) far ahead of SQLite's own work.
 * Instead the connection never checkpoints in a
 * commit (wal_autocheckpoint = 0); its WAL hook wakes a thread with its own
 * connection that runs a PASSIVE checkpoint, which takes no write lock, so
 * labels commit meanwhile. journal_size_limit truncates a WAL that grew
 * (during a model swap) once it is reused. Appending to a WAL that keeps
 * growing costs the labels too (new file blocks zeroed and allocated, their
 * metadata synced), hence the catching up below.
 *
 * The checkpointer wakes every CKPT_PAGES frames, about every 5 labels: small
 * passes keep both the disk writes that compete with a label's WAL sync and
 * the catch-up a label may run short. With 1,000 (every ~50 labels) one label
 * in 50 took 9–14 ms on the 1,000,000-image bench project; with 128, none of
 * 2,000 took 5 ms (tests/bench/store). */
#define CKPT_PAGES 128
#define WAL_LIMIT_BYTES 67108864 /* 64 MB */

static gpointer
checkpointer (gpointer data)
{
  GlDb *db = data;
  sqlite3 *conn = NULL;
  g_mutex_lock (&db->ckpt_lock);
  for (;;)
    {
      while (!db->ckpt_wanted && !db->ckpt_stop)
        g_cond_wait (&db->ckpt_cond, &db->ckpt_lock);
      if (db->ckpt_stop)
        break;
      db->ckpt_wanted = FALSE;
      g_mutex_unlock (&db->ckpt_lock);
      /* A connection that has read nothing has not opened the WAL either and
       * its checkpoints do nothing: read the schema version first. */
      if (conn == NULL
          && (sqlite3_open_v2 (db->path, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
              || sqlite3_exec (conn, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK))
        {
          /* The committing connection's WAL just keeps growing; the next
           * wake-up tries again. */
          sqlite3_close (conn);
          conn = NULL;
        }
      /* When it copied every frame it saw, the committing thread copies the
       * few committed since (wal_hook): then the next write finds the whole
       * WAL in the database and starts it again from its beginning, which a
       * label following another at once would otherwise never see. */
      int log = 0, done = 0;
      int rc = conn != NULL ? sqlite3_wal_checkpoint_v2 (conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
                            : SQLITE_ERROR;
      /* A pass that labels overtook (they committed while it copied) leaves
       * the pages it wrote unsynced: SQLite syncs the database only when a
       * pass reaches the end of the WAL. Sync them here, so that the catch-up
       * below does not have to write them back inside a label's commit. */
      sqlite3_file *file = NULL;
      if (rc == SQLITE_OK && done > 0
          && sqlite3_file_control (conn, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file != NULL
          && file->pMethods != NULL)
        file->pMethods->xSync (file, SQLITE_SYNC_NORMAL);
      if (rc == SQLITE_OK && log > 0 && done == log)
        g_atomic_int_set (&db->ckpt_caught_up, 1);
      g_mutex_lock (&db->ckpt_lock);
    }
  g_mutex_unlock (&db->ckpt_lock);
  if (conn != NULL)
    sqlite3_close (conn);
  return NULL;
}

static int
wal_hook (void *data, sqlite3 *handle, const char *name, int pages)
{
  GlDb *db = data;
  (void) handle;
  (void) name;
  if (g_atomic_int_compare_and_exchange (&db->ckpt_caught_up, 1, 0))
    {
      sqlite3_wal_checkpoint_v2 (gl_sql_sqlite_handle (db->conn), NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      db->ckpt_mark = 0;
      return SQLITE_OK;
    }
  /* Once per CKPT_PAGES new frames (the WAL rewinds after a full checkpoint). */
  if (pages < db->ckpt_mark)
    db->ckpt_mark = 0;
  if (pages - db->ckpt_mark < CKPT_PAGES)
    return SQLITE_OK;
  db->ckpt_mark = pages;
  g_mutex_lock (&db->ckpt_lock);
  if (db->ckpt_thread == NULL)
    db->ckpt_thread = g_thread_try_new ("gl-db-checkpoint", checkpointer, db, NULL);
  db->ckpt_wanted = TRUE;
  g_cond_signal (&db->ckpt_cond);
  g_mutex_unlock (&db->ckpt_lock);
  /* Without a thread, checkpoint here as SQLite would have. */
  if (db->ckpt_thread == NULL)
    sqlite3_wal_checkpoint_v2 (gl_sql_sqlite_handle (db->conn), NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

static void
stop_checkpointer (GlDb *db)
{
  g_mutex_lock (&db->ckpt_lock);
  db->ckpt_stop = TRUE;
  g_cond_signal (&db->ckpt_cond);
  GThread *thread = g_steal_pointer (&db->ckpt_thread);
  g_mutex_unlock (&db->ckpt_lock);
  if (thread != NULL)
    g_thread_join (thread);
}

/* Opens db->conn on @target; a GL_SQL_ERROR becomes the GL_DB_ERROR it
 * stands for, with the same message. */
static gboolean
open_conn (GlDb *db, const char *target, GError **error)
{
  g_autoptr (GError) sql_error = NULL;
  db->conn = gl_sql_open (target, &sql_error);
  if (db->conn == NULL)
    {
      g_set_error_literal (error, GL_DB_ERROR, code_for_sql ((GlSqlError) sql_error->code), sql_error->message);
      return FALSE;
    }
  return TRUE;
}

/* A project file on this desktop: WAL, a full sync at every commit, the
 * busy handler and the checkpointer. */
static gboolean
open_file (GlDb *db, const char *path, gboolean create, GError **error)
{
  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);
  if (create && exists)
    return gl_db_fail_with (db, error, GL_DB_ERROR_EXISTS, "a database is there already");
  if (!create && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no such database");
  if (!open_conn (db, path, error))
    return FALSE;
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  sqlite3_busy_handler (h, busy_wait, db);
  /* journal_mode=WAL reads the file: a non-database fails here. */
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2 (h, "PRAGMA journal_mode = WAL", -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (st);
  gboolean wal = rc == SQLITE_ROW && g_ascii_strcasecmp ((const char *) sqlite3_column_text (st, 0), "wal") == 0;
  sqlite3_finalize (st);
  if (rc != SQLITE_ROW)
    return gl_db_fail (db, error, "cannot open");
  if (!wal)
    return gl_db_fail_with (db, error, GL_DB_ERROR_FAILED, "cannot switch to write-ahead logging");
  /* synchronous=FULL: the WAL is synced at every commit, so a committed label
   * survives a power loss too, not only a crash of the process. */
  /* A 32 MB page cache per connection (SQLite's default is 2 MB): prediction
   * writes touch many index pages; it fills only as pages are used. */
  if (!gl_db_exec (db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768;"
                       " PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = " G_STRINGIFY (WAL_LIMIT_BYTES) ";",
                   error))
    return FALSE;
  sqlite3_wal_hook (h, wal_hook, db);
  return migrate (db, error);
}

/* A team project on a PostgreSQL server: lock waits bounded as SQLite's
 * busy handler bounds them, then the schema. */
static gboolean
open_server (GlDb *db, const char *target, gboolean create, GError **error)
{
  if (!open_conn (db, target, error))
    return FALSE;
  gl_db_set_waiting (db, TRUE);
  return gl_db_server_schema (db, create, error);
}

static GlDb *
connect (const char *path, gboolean create, GError **error)
{
  g_autoptr (GlDb) db = g_new0 (GlDb, 1);
  gboolean server = gl_sql_is_server_target (path);
  /* Messages name a server target without its password. */
  db->path = server ? gl_sql_redact_target (path) : g_strdup (path);
  db->user = gl_db_dup_default_annotator ();
  g_mutex_init (&db->ckpt_lock);
  g_cond_init (&db->ckpt_cond);
  if (server ? !open_server (db, path, create, error) : !open_file (db, path, create, error))
    return NULL;
  if (gl_db_counter (db, "listing_pending", 0) != 0 && !gl_db_finish_listing (db, error))
    return NULL;
  return g_steal_pointer (&db);
}

GlDb *
gl_db_create (const char *path, GError **error)
{
  return connect (path, TRUE, error);
}

GlDb *
gl_db_open (const char *path, GError **error)
{
  return connect (path, FALSE, error);
}

void
gl_db_release_memory (GlDb *db)
{
  g_return_if_fail (db != NULL);
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  if (h != NULL) /* PostgreSQL: the memory is the server's */
    sqlite3_db_release_memory (h);
}

void
gl_db_close (GlDb *db)
{
  if (db == NULL)
    return;
  stop_checkpointer (db);
  gl_sql_close (db->conn);
  g_clear_pointer (&db->returning, g_hash_table_unref);
  g_free (db->path);
  g_free (db->user);
  g_mutex_clear (&db->ckpt_lock);
  g_cond_clear (&db->ckpt_cond);
  g_free (db);
}

const char *
gl_db_get_path (GlDb *db)
{
  return db->path;
}

int
gl_db_get_schema_version (GlDb *db)
{
  if (!gl_db_is_sqlite (db))
    return gl_db_server_schema_version (db);
  return user_version (db);
}

gboolean
gl_db_check_integrity (GlDb *db, GError **error)
{
  /* PostgreSQL checks every foreign key at each statement and has no
   * integrity_check of its own to run from a client: nothing to add. */
  if (!gl_db_is_sqlite (db))
    return TRUE;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
    return gl_db_fail (db, error, "cannot check integrity");
  g_autofree char *result = NULL;
  int rc = sqlite3_step (st);
  if (rc == SQLITE_ROW)
    result = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  if (rc != SQLITE_ROW)
    return gl_db_fail (db, error, "cannot check integrity");
  if (g_strcmp0 (result, "ok") != 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_CORRUPT, "integrity check: %s", result);
  if (sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
    return gl_db_fail (db, error, "cannot check foreign keys");
  rc = sqlite3_step (st);
  g_autofree char *table = rc == SQLITE_ROW ? g_strdup ((const char *) sqlite3_column_text (st, 0)) : NULL;
  sqlite3_finalize (st);
  if (rc == SQLITE_ROW)
    return gl_db_fail_with (db, error, GL_DB_ERROR_CORRUPT, "a row of table %s refers to a missing row", table);
  if (rc != SQLITE_DONE)
    return gl_db_fail (db, error, "cannot check foreign keys");
  return TRUE;
}

gboolean
gl_db_set_max_pages (GlDb *db, guint64 max_pages, GError **error)
{
  if (!gl_db_is_sqlite (db))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID,
                            "a team project's size is limited on its server, not by Gleaner");
  /* max_page_count cannot go below the current size; 0 asks for the default
   * limit of SQLite (4294967294 pages). */
  g_autofree char *sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GUINT64_FORMAT,
                                          max_pages ? max_pages : (guint64) 4294967294u);
  return gl_db_exec (db, sql, error);
}

/* ---- Settings ---------------------------------------------------------- */

char *
gl_db_get_setting (GlDb *db, const char *key)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT value FROM settings WHERE key = ?1", NULL);
  if (st == NULL)
    return NULL;
  gl_sql_bind_text (st, 1, key);
  char *value = NULL;
  if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
    value = gl_db_column_dup (st, 0);
  gl_db_done (st);
  return value;
}

gint64
gl_db_get_setting_int (GlDb *db, const char *key, gint64 fallback)
{
  g_autofree char *v = gl_db_get_setting (db, key);
  gint64 n;
  if (v == NULL || !g_ascii_string_to_signed (v, 10, G_MININT64, G_MAXINT64, &n, NULL))
    return fallback;
  return n;
}

double
gl_db_get_setting_double (GlDb *db, const char *key, double fallback)
{
  g_autofree char *v = gl_db_get_setting (db, key);
  if (v == NULL)
    return fallback;
  char *end = NULL;
  errno = 0;
  double d = g_ascii_strtod (v, &end);
  if (end == v || *end != '\0' || errno != 0)
    return fallback;
  return d;
}

gboolean
gl_db_get_setting_boolean (GlDb *db, const char *key, gboolean fallback)
{
  g_autofree char *v = gl_db_get_setting (db, key);
  if (g_strcmp0 (v, "1") == 0 || g_strcmp0 (v, "true") == 0)
    return TRUE;
  if (g_strcmp0 (v, "0") == 0 || g_strcmp0 (v, "false") == 0)
    return FALSE;
  return fallback;
}

gboolean
gl_db_set_setting (GlDb *db, const char *key, const char *value, GError **error)
{
  if (key == NULL || !g_utf8_validate (key, -1, NULL) || key[0] == '\0'
      || (value != NULL && !g_utf8_validate (value, -1, NULL)))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "setting “%s”: key and value must be UTF-8 text",
                            key ? key : "");
  GlSqlStmt *st = gl_db_stmt (db, value ? "INSERT INTO settings (key, value) VALUES (?1, ?2)"
                                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                                           : "DELETE FROM settings WHERE key = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, key);
  if (value)
    gl_sql_bind_text (st, 2, value);
  return gl_db_step_done (db, st, error, "cannot write a setting");
}

gboolean
gl_db_set_setting_int (GlDb *db, const char *key, gint64 value, GError **error)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  return gl_db_set_setting (db, key, buf, error);
}

gboolean
gl_db_set_setting_double (GlDb *db, const char *key, double value, GError **error)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return gl_db_set_setting (db, key, g_ascii_dtostr (buf, sizeof buf, value), error);
}
