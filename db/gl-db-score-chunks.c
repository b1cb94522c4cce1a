/* gl-db-score-chunks.c — see gl-db-score-chunks.h. */
#include "db/gl-db-score-chunks.h"

#include "db/gl-db-private.h"

gboolean
gl_db_score_chunks_prepare (GlDb *db, GError **error)
{
  return gl_db_create_table_once (db, "team_score_chunks", GL_DB_SCORE_CHUNKS_TABLE, error);
}

gboolean
gl_db_score_chunks_split (GlDb *db, gint64 model_id, const gint64 *ids, gsize n, guint per_chunk, GError **error)
{
  if (per_chunk == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a scoring chunk needs at least one image");
  if (!gl_db_begin (db, error))
    return FALSE;
  for (gsize at = 0; at < n; at += per_chunk)
    {
      gsize end = MIN (n, at + per_chunk);
      GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO team_score_chunks (model_id, first_id, last_id, n_images, state,"
                                      " holder, expires_us) VALUES (?1, ?2, ?3, ?4, 0, '', 0)"
                                      " ON CONFLICT (model_id, first_id) DO NOTHING", error);
      if (st == NULL)
        goto fail;
      gl_sql_bind_int64 (st, 1, model_id);
      gl_sql_bind_int64 (st, 2, ids[at]);
      gl_sql_bind_int64 (st, 3, ids[end - 1]);
      gl_sql_bind_int64 (st, 4, (gint64) (end - at));
      if (!gl_db_step_done (db, st, error, "cannot make a scoring chunk"))
        goto fail;
    }
  if (gl_db_commit (db, error))
    return TRUE;
fail:
  gl_db_rollback (db);
  return FALSE;
}

/* The first free chunk, locked for the transaction (PostgreSQL skips the
 * rows another taker locked). */
static const char pick_pg[] = "SELECT model_id, first_id, last_id, n_images FROM team_score_chunks"
                              " WHERE state = 0 OR (state = 1 AND expires_us <= ?1)"
                              " ORDER BY model_id, first_id LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char pick_sqlite[] = "SELECT model_id, first_id, last_id, n_images FROM team_score_chunks"
                                  " WHERE state = 0 OR (state = 1 AND expires_us <= ?1)"
                                  " ORDER BY model_id, first_id LIMIT 1";

gboolean
gl_db_score_chunk_take (GlDb *db, const char *holder, guint ttl_s, GlDbScoreChunk *out, gboolean *got,
                        GError **error)
{
  *got = FALSE;
  if (holder == NULL || holder[0] == '\0' || ttl_s == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a scoring chunk's lease needs a holder and a time");
  gint64 now = g_get_real_time ();
  if (!gl_db_begin (db, error))
    return FALSE;
  GlSqlStmt *st = gl_db_stmt (db, gl_db_is_sqlite (db) ? pick_sqlite : pick_pg, error);
  if (st == NULL)
    goto fail;
  gl_sql_bind_int64 (st, 1, now);
  GlSqlStep rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    *out = (GlDbScoreChunk){ gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1), gl_sql_column_int64 (st, 2),
                             gl_sql_column_int64 (st, 3) };
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ERROR)
    {
      gl_db_fail (db, error, "cannot find a scoring chunk");
      goto fail;
    }
  if (rc == GL_SQL_STEP_ROW)
    {
      st = gl_db_stmt (db, "UPDATE team_score_chunks SET state = 1, holder = ?3, expires_us = ?4"
                           " WHERE model_id = ?1 AND first_id = ?2", error);
      if (st == NULL)
        goto fail;
      gl_sql_bind_int64 (st, 1, out->model_id);
      gl_sql_bind_int64 (st, 2, out->first_id);
      gl_sql_bind_text (st, 3, holder);
      gl_sql_bind_int64 (st, 4, now + (gint64) ttl_s * G_USEC_PER_SEC);
      if (!gl_db_step_done (db, st, error, "cannot take a scoring chunk"))
        goto fail;
    }
  if (!gl_db_commit (db, error))
    goto fail;
  *got = rc == GL_SQL_STEP_ROW;
  return TRUE;
fail:
  gl_db_rollback (db);
  return FALSE;
}

gboolean
gl_db_score_chunk_finish (GlDb *db, const GlDbScoreChunk *chunk, const char *holder, gboolean *mine, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE team_score_chunks SET state = 2, expires_us = 0"
                                  " WHERE model_id = ?1 AND first_id = ?2 AND holder = ?3 AND state = 1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, chunk->model_id);
  gl_sql_bind_int64 (st, 2, chunk->first_id);
  gl_sql_bind_text (st, 3, holder);
  if (!gl_db_step_done (db, st, error, "cannot mark a scoring chunk done"))
    return FALSE;
  if (mine != NULL)
    *mine = gl_sql_changes (db->conn) == 1;
  return TRUE;
}

gint64
gl_db_score_chunks_left (GlDb *db, gint64 model_id, gint64 *total, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT COUNT (*), COALESCE (SUM (CASE WHEN state <> 2 THEN 1 ELSE 0 END), 0)"
                                  " FROM team_score_chunks WHERE model_id = ?1", error);
  if (st == NULL)
    return -1;
  gl_sql_bind_int64 (st, 1, model_id);
  GlSqlStep rc = gl_sql_step (st, NULL);
  gint64 all = rc == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gint64 left = rc == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 1) : -1;
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW)
    {
      gl_db_fail (db, error, "cannot count the scoring chunks");
      return -1;
    }
  if (total != NULL)
    *total = all;
  return left;
}
