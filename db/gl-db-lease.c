/* gl-db-lease.c — see gl-db-lease.h. */
#include "db/gl-db-lease.h"

#include "db/gl-db-private.h"

/* Locks the image's row for the transaction, or finds it locked (another
 * desktop leasing or labeling it now: skipped). SQLite has one writer, so
 * the row needs no lock there. */
static const char lock_pg[] = "SELECT id FROM images WHERE id = ?1 FOR UPDATE SKIP LOCKED";
static const char lock_sqlite[] = "SELECT id FROM images WHERE id = ?1";

/* TRUE in *@locked when the image's row is ours for the transaction. */
static gboolean
lock_image (GlDb *db, gint64 image_id, gboolean *locked, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, gl_db_is_sqlite (db) ? lock_sqlite : lock_pg, error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  GlSqlStep rc = gl_sql_step (st, NULL);
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ERROR)
    return gl_db_fail (db, error, "cannot lock an image for a lease");
  *locked = rc == GL_SQL_STEP_ROW;
  return TRUE;
}

/* Unexpired leases of others on @image_id; -1 on failure. */
static gint64
others (GlDb *db, gint64 image_id, const char *annotator, gint64 now)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT COUNT (*) FROM team_leases WHERE image_id = ?1 AND annotator <> ?2"
                                  " AND expires_us > ?3", NULL);
  if (st == NULL)
    return -1;
  gl_sql_bind_int64 (st, 1, image_id);
  gl_sql_bind_text (st, 2, annotator);
  gl_sql_bind_int64 (st, 3, now);
  gint64 n = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gl_db_done (st);
  return n;
}

gboolean
gl_db_lease_take (GlDb *db, const char *annotator, const gint64 *candidates, guint n, guint overlap, guint ttl_s,
                  gint64 *image_id, GError **error)
{
  *image_id = -1;
  if (annotator == NULL || annotator[0] == '\0' || overlap == 0 || ttl_s == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a lease needs an annotator, an overlap ≥ 1 and a time");
  gint64 now = g_get_real_time ();
  if (!gl_db_begin (db, error))
    return FALSE;
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM team_leases WHERE expires_us <= ?1", error);
  if (st == NULL)
    goto fail;
  gl_sql_bind_int64 (st, 1, now);
  if (!gl_db_step_done (db, st, error, "cannot reclaim expired leases"))
    goto fail;
  for (guint i = 0; i < n && *image_id < 0; i++)
    {
      gboolean locked = FALSE;
      if (!lock_image (db, candidates[i], &locked, error))
        goto fail;
      if (!locked)
        continue;
      gint64 held = others (db, candidates[i], annotator, now);
      if (held < 0)
        {
          gl_db_fail (db, error, "cannot count an image's leases");
          goto fail;
        }
      if ((guint64) held >= overlap)
        continue;
      st = gl_db_stmt (db, "INSERT INTO team_leases (image_id, annotator, expires_us) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT (image_id, annotator) DO UPDATE SET expires_us = excluded.expires_us", error);
      if (st == NULL)
        goto fail;
      gl_sql_bind_int64 (st, 1, candidates[i]);
      gl_sql_bind_text (st, 2, annotator);
      gl_sql_bind_int64 (st, 3, now + (gint64) ttl_s * G_USEC_PER_SEC);
      if (!gl_db_step_done (db, st, error, "cannot take a lease"))
        goto fail;
      *image_id = candidates[i];
    }
  if (gl_db_commit (db, error))
    return TRUE;
fail:
  *image_id = -1;
  gl_db_rollback (db);
  return FALSE;
}

gboolean
gl_db_lease_release (GlDb *db, const char *annotator, gint64 image_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM team_leases WHERE image_id = ?1 AND annotator = ?2", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  gl_sql_bind_text (st, 2, annotator);
  return gl_db_step_done (db, st, error, "cannot give back a lease");
}

gboolean
gl_db_lease_release_all (GlDb *db, const char *annotator, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM team_leases WHERE annotator = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, annotator);
  return gl_db_step_done (db, st, error, "cannot give back the leases");
}

gint64
gl_db_lease_count (GlDb *db, gint64 image_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT COUNT (*) FROM team_leases WHERE image_id = ?1 AND expires_us > ?2", error);
  if (st == NULL)
    return -1;
  gl_sql_bind_int64 (st, 1, image_id);
  gl_sql_bind_int64 (st, 2, g_get_real_time ());
  GlSqlStep rc = gl_sql_step (st, NULL);
  gint64 n = rc == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW)
    gl_db_fail (db, error, "cannot count an image's leases");
  return n;
}
