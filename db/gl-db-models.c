/* gl-db-models.c — model versions, reading predictions, per-class metrics
 * and drift. See gl-db.h. Writing predictions, the listing slots and the
 * model swap are in gl-db-predictions.c. */
#include "db/gl-db-private.h"

#include <math.h>
#include <string.h>

static gboolean
model_exists (GlDb *db, gint64 model_id, GError **error)
{
  if (gl_db_query_int (db, "SELECT COUNT (*) FROM model_versions WHERE id = ?1", TRUE, model_id, 0) == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no model version %" G_GINT64_FORMAT, model_id);
  return TRUE;
}

void
gl_db_model_version_clear (GlDbModelVersion *version)
{
  g_clear_pointer (&version->path, g_free);
  g_clear_pointer (&version->metrics, g_bytes_unref);
}

static void
model_version_clear (gpointer p)
{
  gl_db_model_version_clear (p);
}

static void
bind_bytes (GlSqlStmt *st, int i, GBytes *bytes)
{
  if (bytes == NULL)
    {
      gl_sql_bind_null (st, i);
      return;
    }
  gsize n;
  const void *data = g_bytes_get_data (bytes, &n);
  gl_sql_bind_blob (st, i, n ? data : "", n);
}

gboolean
gl_db_add_model_version (GlDb *db, const GlDbModelVersion *version, gint64 *model_id, GError **error)
{
  if (version->path == NULL || !g_utf8_validate (version->path, -1, NULL))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a model version needs a UTF-8 file path");
  GlSqlStmt *st = gl_db_stmt_insert (db, "INSERT INTO model_versions (path, created_us, n_labels, val_accuracy,"
                                         " macro_f1, ece, metrics) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, version->path);
  gl_sql_bind_int64 (st, 2, g_get_real_time ());
  gl_sql_bind_int64 (st, 3, (gint64) version->n_labels);
  gl_db_bind_double (st, 4, version->val_accuracy);
  gl_db_bind_double (st, 5, version->macro_f1);
  gl_db_bind_double (st, 6, version->ece);
  bind_bytes (st, 7, version->metrics);
  gint64 id = gl_db_step_id (db, st, error, "cannot add a model version");
  if (id < 0)
    return FALSE;
  if (model_id)
    *model_id = id;
  return TRUE;
}

#define MODEL_COLUMNS "id, path, created_us, n_labels, val_accuracy, macro_f1, ece, metrics"

static void
read_model (GlSqlStmt *st, gpointer element)
{
  GlDbModelVersion *v = element;
  v->id = gl_sql_column_int64 (st, 0);
  v->path = gl_db_column_dup (st, 1);
  v->created_us = gl_sql_column_int64 (st, 2);
  v->n_labels = (guint64) gl_sql_column_int64 (st, 3);
  v->val_accuracy = gl_db_column_double (st, 4);
  v->macro_f1 = gl_db_column_double (st, 5);
  v->ece = gl_db_column_double (st, 6);
  v->metrics = gl_db_column_bytes (st, 7);
}

gboolean
gl_db_get_model_version (GlDb *db, gint64 model_id, GlDbModelVersion *out, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT " MODEL_COLUMNS " FROM model_versions WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    read_model (st, out);
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    return TRUE;
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read a model version");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no model version %" G_GINT64_FORMAT, model_id);
}

GArray *
gl_db_list_model_versions (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT " MODEL_COLUMNS " FROM model_versions ORDER BY id", error);
  if (st == NULL)
    return NULL;
  return gl_db_collect (db, st, sizeof (GlDbModelVersion), model_version_clear, read_model, "cannot list model versions",
                        error);
}

gint64
gl_db_get_current_model (GlDb *db)
{
  return gl_db_counter (db, "current_model", -1);
}

gint64
gl_db_get_queue_seq (GlDb *db)
{
  return gl_db_counter (db, "queue_seq", 0);
}

gboolean
gl_db_try_poll (GlDb *db, GlDbPoll *out)
{
  gl_db_set_waiting (db, FALSE);
  GlSqlStmt *st = gl_db_stmt (db, "SELECT c.value, m.val_accuracy,"
                                  " (SELECT value FROM counters WHERE name = 'queue_seq') FROM counters c"
                                  " JOIN counters p ON p.name = 'listing_pending' AND p.value = 0"
                                  " LEFT JOIN model_versions m ON m.id = c.value"
                                  " WHERE c.name = 'current_model'", NULL);
  gboolean ok = st != NULL && gl_sql_step (st, NULL) == GL_SQL_STEP_ROW;
  if (ok)
    {
      out->model_id = gl_sql_column_int64 (st, 0);
      out->val_accuracy = gl_db_column_double (st, 1);
      out->queue_seq = gl_sql_column_int64 (st, 2); /* NULL (never replaced) → 0 */
    }
  gl_db_done (st);
  gl_db_set_waiting (db, TRUE);
  return ok;
}

static void
read_prediction (GlSqlStmt *st, GlDbPrediction *out, gboolean copy)
{
  out->image_id = gl_sql_column_int64 (st, 0);
  out->top_class = gl_db_column_id (st, 1);
  out->top_prob = gl_db_column_double (st, 2);
  out->score = gl_db_column_double (st, 3);
  gsize bytes = 0;
  const float *probs = gl_sql_column_blob (st, 4, &bytes);
  out->n_probs = probs ? (guint) (bytes / sizeof (float)) : 0;
  out->probs = out->n_probs == 0 ? NULL : copy ? g_memdup2 (probs, out->n_probs * sizeof (float)) : (float *) probs;
}

gboolean
gl_db_get_prediction (GlDb *db, gint64 model_id, gint64 image_id, GlDbPrediction *out, GError **error)
{
  memset (out, 0, sizeof *out);
  if (model_id < 0)
    model_id = gl_db_get_current_model (db);
  GlSqlStmt *st = gl_db_stmt (db, "SELECT image_id, top_class, top_prob, score, probs FROM predictions"
                                  " WHERE model_id = ?1 AND image_id = ?2", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, image_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    read_prediction (st, out, TRUE);
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    return TRUE;
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read a prediction");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND,
                          "no prediction of model %" G_GINT64_FORMAT " for image %" G_GINT64_FORMAT, model_id,
                          image_id);
}

gboolean
gl_db_foreach_prediction (GlDb *db, gint64 model_id, gint64 batch_id, GlDbPredictionFunc func, gpointer user_data,
                          GError **error)
{
  if (model_id < 0)
    model_id = gl_db_get_current_model (db);
  GlSqlStmt *st = gl_db_stmt_own (db, "SELECT p.image_id, p.top_class, p.top_prob, p.score, p.probs"
                                    " FROM predictions p JOIN images i ON i.id = p.image_id"
                                    " WHERE p.model_id = ?1 AND (?2 < 0 OR i.batch_id = ?2) ORDER BY p.image_id",
                               NULL);
  if (st == NULL)
    return gl_db_fail (db, error, "cannot list predictions");
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, batch_id);
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      GlDbPrediction p;
      read_prediction (st, &p, FALSE);
      if (!func (&p, user_data))
        {
          rc = GL_SQL_STEP_DONE;
          break;
        }
    }
  gboolean ok = rc == GL_SQL_STEP_DONE || gl_db_fail (db, error, "cannot list predictions");
  gl_sql_finalize (st);
  return ok;
}

gboolean
gl_db_set_class_metrics (GlDb *db, gint64 model_id, const GlDbClassMetrics *metrics, guint n, GBytes *confusion,
                         GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = model_exists (db, model_id, error);
  GlSqlStmt *st = ok ? gl_db_stmt (db, "DELETE FROM class_metrics WHERE model_id = ?1", error) : NULL;
  if (st != NULL)
    {
      gl_sql_bind_int64 (st, 1, model_id);
      ok = gl_db_step_done (db, st, error, "cannot replace metrics");
    }
  else
    ok = FALSE;
  st = ok ? gl_db_stmt (db, "INSERT INTO class_metrics (model_id, class_id, precision, recall, f1, support,"
                            " matrix_row) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error)
          : NULL;
  ok = ok && st != NULL;
  for (guint i = 0; ok && i < n; i++)
    {
      gl_sql_bind_int64 (st, 1, model_id);
      gl_sql_bind_int64 (st, 2, metrics[i].class_id);
      gl_db_bind_double (st, 3, metrics[i].precision);
      gl_db_bind_double (st, 4, metrics[i].recall);
      gl_db_bind_double (st, 5, metrics[i].f1);
      gl_sql_bind_int64 (st, 6, (gint64) metrics[i].support);
      gl_sql_bind_int64 (st, 7, (int) i);
      ok = gl_db_step_done (db, st, error, "cannot write metrics");
    }
  if (ok && (st = gl_db_stmt (db, "UPDATE model_versions SET confusion = ?2 WHERE id = ?1", error)) != NULL)
    {
      gl_sql_bind_int64 (st, 1, model_id);
      bind_bytes (st, 2, confusion);
      ok = gl_db_step_done (db, st, error, "cannot write metrics");
    }
  else
    ok = FALSE;
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

GArray *
gl_db_get_class_metrics (GlDb *db, gint64 model_id, GBytes **confusion, GError **error)
{
  if (confusion)
    *confusion = NULL;
  GlSqlStmt *st = gl_db_stmt (db, "SELECT m.class_id, m.precision, m.recall, m.f1, m.support, m.matrix_row"
                                  " FROM class_metrics m JOIN classes c ON c.id = m.class_id WHERE m.model_id = ?1"
                                  " ORDER BY m.matrix_row IS NULL, m.matrix_row, c.deleted, c.position, c.id",
                              error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (GlDbClassMetrics));
  gboolean rows_known = TRUE;
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      GlDbClassMetrics m = { gl_sql_column_int64 (st, 0), gl_db_column_double (st, 1),
                             gl_db_column_double (st, 2), gl_db_column_double (st, 3),
                             (guint64) gl_sql_column_int64 (st, 4) };
      rows_known = rows_known && !gl_sql_column_is_null (st, 5)
                   && gl_sql_column_int64 (st, 5) == (gint64) out->len;
      g_array_append_val (out, m);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    {
      g_array_unref (out);
      gl_db_fail (db, error, "cannot read metrics");
      return NULL;
    }
  if (confusion && rows_known
      && (st = gl_db_stmt (db, "SELECT confusion FROM model_versions WHERE id = ?1", NULL)) != NULL)
    {
      gl_sql_bind_int64 (st, 1, model_id);
      if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
        *confusion = gl_db_column_bytes (st, 0);
      gl_db_done (st);
    }
  return out;
}

void
gl_db_drift_clear (GlDbDrift *drift)
{
  g_clear_pointer (&drift->stats, g_bytes_unref);
}

static void
drift_clear (gpointer p)
{
  gl_db_drift_clear (p);
}

gboolean
gl_db_add_drift (GlDb *db, const GlDbDrift *drift, gint64 *drift_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt_insert (db, "INSERT INTO drift (model_id, batch_a, batch_b, from_us, to_us, psi, js,"
                                         " stats, created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error);
  if (st == NULL)
    return FALSE;
  gl_db_bind_id (st, 1, drift->model_id);
  gl_db_bind_id (st, 2, drift->batch_a);
  gl_db_bind_id (st, 3, drift->batch_b);
  gl_sql_bind_int64 (st, 4, drift->from_us);
  gl_sql_bind_int64 (st, 5, drift->to_us);
  gl_db_bind_double (st, 6, drift->psi);
  gl_db_bind_double (st, 7, drift->js);
  bind_bytes (st, 8, drift->stats);
  gl_sql_bind_int64 (st, 9, g_get_real_time ());
  gint64 id = gl_db_step_id (db, st, error, "cannot add drift statistics");
  if (id < 0)
    return FALSE;
  if (drift_id)
    *drift_id = id;
  return TRUE;
}

static void
read_drift (GlSqlStmt *st, gpointer element)
{
  *(GlDbDrift *) element
      = (GlDbDrift) { gl_sql_column_int64 (st, 0), gl_db_column_id (st, 1),      gl_db_column_id (st, 2),
                      gl_db_column_id (st, 3),      gl_sql_column_int64 (st, 4), gl_sql_column_int64 (st, 5),
                      gl_db_column_double (st, 6),  gl_db_column_double (st, 7),  gl_db_column_bytes (st, 8),
                      gl_sql_column_int64 (st, 9) };
}

GArray *
gl_db_list_drift (GlDb *db, gint64 model_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id, model_id, batch_a, batch_b, from_us, to_us, psi, js, stats,"
                                  " created_us FROM drift WHERE ?1 < 0 OR model_id = ?1 ORDER BY id", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  return gl_db_collect (db, st, sizeof (GlDbDrift), drift_clear, read_drift, "cannot list drift statistics", error);
}

static void
read_evaluated (GlSqlStmt *st, gpointer element)
{
  *(GlDbEvaluated *) element = (GlDbEvaluated) { gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1),
                                                 gl_db_column_id (st, 2), gl_db_column_double (st, 3),
                                                 gl_sql_column_int64 (st, 4) != 0 };
}

GArray *
gl_db_list_evaluated (GlDb *db, gint64 model_id, gboolean include_test, GError **error)
{
  GlSqlStmt *st
    = gl_db_stmt (db, "SELECT a.image_id, i.cls, p.top_class, p.top_prob, 1 FROM audit_images a"
                      " JOIN images i ON i.id = a.image_id"
                      " JOIN predictions p ON p.model_id = ?1 AND p.image_id = a.image_id WHERE i.cls > 0"
                      " UNION ALL"
                      " SELECT i.id, i.ref_class, p.top_class, p.top_prob, 0 FROM images i INDEXED BY images_held"
                      " JOIN predictions p ON p.model_id = ?1 AND p.image_id = i.id"
                      " WHERE ?2 <> 0 AND i.held_out = 1 AND i.ref_class IS NOT NULL ORDER BY 1",
                  error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, include_test ? 1 : 0);
  return gl_db_collect (db, st, sizeof (GlDbEvaluated), NULL, read_evaluated, "cannot list evaluated predictions",
                        error);
}

static void
read_tally (GlSqlStmt *st, gpointer element)
{
  *(GlDbClassTally *) element
    = (GlDbClassTally) { gl_sql_column_int64 (st, 0), (guint64) gl_sql_column_int64 (st, 1) };
}

GArray *
gl_db_count_predicted_unlabeled (GlDb *db, gint64 model_id, GError **error)
{
  gboolean current = model_id == gl_db_get_current_model (db)
                     && gl_db_counter (db, "listing_pending", 0) == 0;
  g_autofree char *listing = gl_db_slot_sql ("SELECT pred_class, COUNT (*) FROM images INDEXED BY images_cls"
                                             " WHERE cls = -1 AND held_out = 0 AND pred_class IS NOT NULL"
                                             " AND ?1 = ?1 GROUP BY pred_class ORDER BY 1",
                                             gl_db_listing_slot (db));
  GlSqlStmt *st
    = gl_db_stmt (db, current ? listing
                              : "SELECT p.top_class, COUNT (*) FROM images i INDEXED BY images_cls"
                                " JOIN predictions p ON p.model_id = ?1 AND p.image_id = i.id"
                                " WHERE i.cls = -1 AND i.held_out = 0 AND p.top_class IS NOT NULL"
                                " GROUP BY p.top_class ORDER BY 1",
                  error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  return gl_db_collect (db, st, sizeof (GlDbClassTally), NULL, read_tally, "cannot count predicted classes", error);
}
