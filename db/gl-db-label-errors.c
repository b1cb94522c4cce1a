/* gl-db-label-errors.c — suspected label errors per model version. See
 * gl-db-label-errors.h. */
#include "db/gl-db-label-errors.h"

#include <math.h>

#include "db/gl-db-private.h"

void
gl_db_label_error_run_clear (GlDbLabelErrorRun *run)
{
  g_clear_pointer (&run->ranking, g_free);
}

gint64
gl_db_get_last_label_id (GlDb *db)
{
  return gl_db_query_int (db, "SELECT COALESCE (MAX (id), 0) FROM labels", FALSE, 0, 0);
}

static gboolean
insert_rows (GlDb *db, gint64 model_id, const GlDbLabelError *rows, gsize n, GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      GlSqlStmt *st = gl_db_stmt (db,
                                  "INSERT INTO label_errors (model_id, image_id, given_class,"
                                  " suggested_class, p_given, p_suggested, score, flagged)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                  error);
      if (st == NULL)
        return FALSE;
      const GlDbLabelError *r = &rows[i];
      if (!isfinite (r->p_given) || !isfinite (r->p_suggested) || !isfinite (r->score))
        {
          gl_db_done (st);
          return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID,
                                  "label error of image %" G_GINT64_FORMAT ": probabilities must be finite",
                                  r->image_id);
        }
      gl_sql_bind_int64 (st, 1, model_id);
      gl_sql_bind_int64 (st, 2, r->image_id);
      gl_sql_bind_int64 (st, 3, r->given_class);
      gl_db_bind_id (st, 4, r->suggested_class);
      gl_sql_bind_double (st, 5, r->p_given);
      gl_sql_bind_double (st, 6, r->p_suggested);
      gl_sql_bind_double (st, 7, r->score);
      gl_sql_bind_int64 (st, 8, r->flagged ? 1 : 0);
      GlSqlStep rc = gl_sql_step (st, NULL);
      gl_db_done (st);
      GlSqlError code = GL_SQL_ERROR_FAILED;
      if (rc == GL_SQL_STEP_ERROR)
        gl_sql_last_error (db->conn, &code);
      if (code == GL_SQL_ERROR_CONSTRAINT)
        return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID,
                                "the label error of image %" G_GINT64_FORMAT
                                " names an image, class or model version the project does not have",
                                r->image_id);
      if (rc != GL_SQL_STEP_DONE)
        return gl_db_fail (db, error, "cannot store a label error");
    }
  return TRUE;
}

gboolean
gl_db_store_label_errors (GlDb *db, const GlDbLabelErrorRun *run, const GlDbLabelError *rows, gsize n,
                          GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  GlSqlStmt *st;
  gboolean ok = (st = gl_db_stmt (db, "DELETE FROM label_errors WHERE model_id = ?1", error)) != NULL;
  if (ok)
    {
      gl_sql_bind_int64 (st, 1, run->model_id);
      ok = gl_db_step_done (db, st, error, "cannot replace the label errors");
    }
  if (ok)
    ok = (st = gl_db_stmt (
              db,
              "INSERT INTO label_error_runs (model_id, folds, n_labels, n_flagged,"
              " ranking, seconds, last_label_id, created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
              " ON CONFLICT (model_id) DO UPDATE SET folds = excluded.folds, n_labels = excluded.n_labels,"
              " n_flagged = excluded.n_flagged, ranking = excluded.ranking, seconds = excluded.seconds,"
              " last_label_id = excluded.last_label_id, created_us = excluded.created_us",
              error))
         != NULL;
  if (ok)
    {
      gl_sql_bind_int64 (st, 1, run->model_id);
      gl_sql_bind_int64 (st, 2, (int)run->folds);
      gl_sql_bind_int64 (st, 3, (gint64)run->n_labels);
      gl_sql_bind_int64 (st, 4, (gint64)run->n_flagged);
      gl_sql_bind_text (st, 5, run->ranking ? run->ranking : "self-confidence");
      gl_db_bind_double (st, 6, run->seconds);
      gl_sql_bind_int64 (st, 7, run->last_label_id);
      gl_sql_bind_int64 (st, 8, g_get_real_time ());
      ok = gl_db_step_done (db, st, error, "cannot store the label-error run");
    }
  ok = ok && insert_rows (db, run->model_id, rows, n, error);
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_db_get_label_error_run (GlDb *db, gint64 model_id, GlDbLabelErrorRun *out, gboolean *found, GError **error)
{
  *found = FALSE;
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT folds, n_labels, n_flagged, ranking, seconds, last_label_id, created_us"
                    " FROM label_error_runs WHERE model_id = ?1",
                    error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    {
      *out = (GlDbLabelErrorRun){ model_id,
                                  (guint)(int) gl_sql_column_int64 (st, 0),
                                  (guint64)gl_sql_column_int64 (st, 1),
                                  (guint64)gl_sql_column_int64 (st, 2),
                                  gl_db_column_dup (st, 3),
                                  gl_db_column_double (st, 4),
                                  gl_sql_column_int64 (st, 5),
                                  gl_sql_column_int64 (st, 6) };
      *found = TRUE;
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW && rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read the label-error run");
  return TRUE;
}

static void
read_row (GlSqlStmt *st, gpointer element)
{
  GlDbLabelError *e = element;
  e->image_id = gl_sql_column_int64 (st, 0);
  e->given_class = gl_sql_column_int64 (st, 1);
  e->suggested_class = gl_db_column_id (st, 2);
  e->p_given = gl_sql_column_double (st, 3);
  e->p_suggested = gl_sql_column_double (st, 4);
  e->score = gl_sql_column_double (st, 5);
  e->flagged = gl_sql_column_int64 (st, 6) != 0;
}

#define ROW_COLUMNS                                                                                          \
  "e.image_id, e.given_class, e.suggested_class, e.p_given, e.p_suggested, e.score, e.flagged"

GArray *
gl_db_list_label_errors (GlDb *db, gint64 model_id, gboolean suspected_only, guint limit, GError **error)
{
  GlSqlStmt *st
      = gl_db_stmt (db,
                    suspected_only ? "SELECT " ROW_COLUMNS " FROM label_errors e"
                                     " JOIN label_error_runs r ON r.model_id = e.model_id"
                                     " JOIN images i ON i.id = e.image_id"
                                     " WHERE e.model_id = ?1 AND e.flagged = 1 AND i.cls = e.given_class"
                                     " AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = e.image_id"
                                     "   AND l.id > r.last_label_id AND l.origin = 'review')"
                                     " ORDER BY e.score DESC, e.image_id LIMIT ?2"
                                   : "SELECT " ROW_COLUMNS " FROM label_errors e WHERE e.model_id = ?1"
                                     " ORDER BY e.score DESC, e.image_id LIMIT ?2",
                    error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, limit > 0 ? (gint64) limit : G_MAXINT64);
  return gl_db_collect (db, st, sizeof (GlDbLabelError), NULL, read_row, "cannot list the label errors",
                        error);
}

gboolean
gl_db_get_label_error (GlDb *db, gint64 model_id, gint64 image_id, GlDbLabelError *out, gboolean *found,
                       GError **error)
{
  *found = FALSE;
  GlSqlStmt *st = gl_db_stmt (
   db, "SELECT " ROW_COLUMNS " FROM label_errors e WHERE e.model_id = ?1 AND e.image_id = ?2", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, image_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    {
      read_row (st, out);
      *found = TRUE;
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW && rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read a label error");
  return TRUE;
}
