/* gl-db-drift.c — drift references and per-class drift results. See gl-db.h. */
#include "db/gl-db-private.h"

#include <string.h>

static void
bind_blob (GlSqlStmt *st, int i, GBytes *bytes)
{
  gsize n;
  const void *data;

  if (bytes == NULL)
    {
      gl_sql_bind_null (st, i);
      return;
    }
  data = g_bytes_get_data (bytes, &n);
  gl_sql_bind_blob (st, i, n ? data : "", n);
}

void
gl_db_drift_reference_clear (GlDbDriftReference *reference)
{
  g_clear_pointer (&reference->class_ids, g_bytes_unref);
  g_clear_pointer (&reference->probs, g_bytes_unref);
  g_clear_pointer (&reference->embedding, g_bytes_unref);
}

gboolean
gl_db_set_drift_reference (GlDb *db, const GlDbDriftReference *r, GError **error)
{
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "INSERT INTO drift_references (model_id, created_us, n_validation,"
                    " n_pool, n_classes, dim, projection_seed, temperature, ece_before, ece_after,"
                    " class_ids, probs, embedding)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                    " ON CONFLICT (model_id) DO UPDATE SET created_us = excluded.created_us,"
                    " n_validation = excluded.n_validation, n_pool = excluded.n_pool,"
                    " n_classes = excluded.n_classes, dim = excluded.dim,"
                    " projection_seed = excluded.projection_seed, temperature = excluded.temperature,"
                    " ece_before = excluded.ece_before, ece_after = excluded.ece_after,"
                    " class_ids = excluded.class_ids, probs = excluded.probs, embedding = excluded.embedding",
                    error);

  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, r->model_id);
  gl_sql_bind_int64 (st, 2, g_get_real_time ());
  gl_sql_bind_int64 (st, 3, (gint64)r->n_validation);
  gl_sql_bind_int64 (st, 4, (gint64)r->n_pool);
  gl_sql_bind_int64 (st, 5, r->n_classes);
  gl_sql_bind_int64 (st, 6, r->dim);
  gl_sql_bind_int64 (st, 7, (gint64)r->projection_seed);
  gl_sql_bind_double (st, 8, r->temperature);
  gl_db_bind_double (st, 9, r->ece_before);
  gl_db_bind_double (st, 10, r->ece_after);
  bind_blob (st, 11, r->class_ids);
  bind_blob (st, 12, r->probs);
  bind_blob (st, 13, r->embedding);
  return gl_db_step_done (db, st, error, "cannot store the drift reference");
}

gboolean
gl_db_get_drift_reference (GlDb *db, gint64 model_id, GlDbDriftReference *out, gboolean *found,
                           GError **error)
{
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT model_id, created_us, n_validation, n_pool, n_classes, dim,"
                    " projection_seed, temperature, ece_before, ece_after, class_ids, probs, embedding"
                    " FROM drift_references WHERE model_id = ?1",
                    error);
  int rc;

  *found = FALSE;
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    {
      *out = (GlDbDriftReference){ gl_sql_column_int64 (st, 0),
                                   gl_sql_column_int64 (st, 1),
                                   (guint64)gl_sql_column_int64 (st, 2),
                                   (guint64)gl_sql_column_int64 (st, 3),
                                   (guint)gl_sql_column_int64 (st, 4),
                                   (guint)gl_sql_column_int64 (st, 5),
                                   (guint64)gl_sql_column_int64 (st, 6),
                                   gl_sql_column_double (st, 7),
                                   gl_db_column_double (st, 8),
                                   gl_db_column_double (st, 9),
                                   gl_db_column_bytes (st, 10),
                                   gl_db_column_bytes (st, 11),
                                   gl_db_column_bytes (st, 12) };
      *found = TRUE;
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW && rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read the drift reference");
  return TRUE;
}

void
gl_db_drift_result_clear (GlDbDriftResult *result)
{
  g_clear_pointer (&result->tests, g_array_unref);
  g_clear_pointer (&result->classes, g_array_unref);
}

static const char *
kind_sql (GlDbDriftKind kind)
{
  return kind == GL_DB_DRIFT_BATCH ? "batch" : "window";
}

static gboolean
insert_children (GlDb *db, gint64 id, const GlDbDriftResult *r, GError **error)
{
  GlSqlStmt *st;

  for (guint i = 0; r->tests != NULL && i < r->tests->len; i++)
    {
      const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);

      st = gl_db_stmt (
          db,
          "INSERT INTO drift_tests (drift_id, class_id, test, tested, statistic, p_value, p_adjusted,"
          " effect, n_ref, n_win, fired) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
          error);
      if (st == NULL)
        return FALSE;
      gl_sql_bind_int64 (st, 1, id);
      gl_db_bind_id (st, 2, t->class_id);
      gl_sql_bind_text (st, 3, t->test);
      gl_sql_bind_int64 (st, 4, t->tested != 0);
      gl_db_bind_double (st, 5, t->statistic);
      gl_db_bind_double (st, 6, t->p_value);
      gl_db_bind_double (st, 7, t->p_adjusted);
      gl_db_bind_double (st, 8, t->effect);
      gl_sql_bind_int64 (st, 9, (gint64)t->n_ref);
      gl_sql_bind_int64 (st, 10, (gint64)t->n_win);
      gl_sql_bind_int64 (st, 11, t->fired != 0);
      if (!gl_db_step_done (db, st, error, "cannot store a drift test"))
        return FALSE;
    }
  for (guint i = 0; r->classes != NULL && i < r->classes->len; i++)
    {
      const GlDbDriftClass *c = &g_array_index (r->classes, GlDbDriftClass, i);

      st = gl_db_stmt (
          db,
          "INSERT INTO drift_classes (drift_id, class_id, n_images, insufficient, precision_est,"
          " precision_se, precision_ref, precision_ref_se) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
          error);
      if (st == NULL)
        return FALSE;
      gl_sql_bind_int64 (st, 1, id);
      gl_sql_bind_int64 (st, 2, c->class_id);
      gl_sql_bind_int64 (st, 3, (gint64)c->n_images);
      gl_sql_bind_int64 (st, 4, c->insufficient != 0);
      gl_db_bind_double (st, 5, c->precision_est);
      gl_db_bind_double (st, 6, c->precision_se);
      gl_db_bind_double (st, 7, c->precision_ref);
      gl_db_bind_double (st, 8, c->precision_ref_se);
      if (!gl_db_step_done (db, st, error, "cannot store a drift class row"))
        return FALSE;
    }
  return TRUE;
}

gboolean
gl_db_add_drift_result (GlDb *db, const GlDbDriftResult *r, gint64 *drift_id, GError **error)
{
  GlSqlStmt *st;
  gint64 id;

  if (!gl_db_begin (db, error))
    return FALSE;
  st = gl_db_stmt_insert (
      db,
      "INSERT INTO drift (model_id, batch_b, from_us, to_us, psi, created_us, kind, first_image,"
      " last_image, n_images, window_size, drifted, n_fired, top_class, accuracy_est, accuracy_ref,"
      " alpha) VALUES (?1, ?2, 0, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
      error);
  if (st == NULL)
    {
      gl_db_rollback (db);
      return FALSE;
    }
  gl_db_bind_id (st, 1, r->model_id);
  gl_db_bind_id (st, 2, r->batch_id);
  gl_db_bind_double (st, 3, r->psi);
  gl_sql_bind_int64 (st, 4, g_get_real_time ());
  gl_sql_bind_text (st, 5, kind_sql (r->kind));
  gl_db_bind_id (st, 6, r->first_image);
  gl_db_bind_id (st, 7, r->last_image);
  gl_sql_bind_int64 (st, 8, (gint64)r->n_images);
  gl_sql_bind_int64 (st, 9, r->window_size);
  gl_sql_bind_int64 (st, 10, r->drifted != 0);
  gl_sql_bind_int64 (st, 11, r->n_fired);
  gl_db_bind_id (st, 12, r->top_class);
  gl_db_bind_double (st, 13, r->accuracy_est);
  gl_db_bind_double (st, 14, r->accuracy_ref);
  gl_db_bind_double (st, 15, r->alpha);
  id = gl_db_step_id (db, st, error, "cannot add a drift result");
  if (id < 0)
    {
      gl_db_rollback (db);
      return FALSE;
    }
  if (!insert_children (db, id, r, error) || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  if (drift_id != NULL)
    *drift_id = id;
  return TRUE;
}

static void
result_clear (gpointer p)
{
  gl_db_drift_result_clear (p);
}

static void
read_result (GlSqlStmt *st, gpointer element)
{
  const char *kind = (const char *)gl_sql_column_text (st, 2);

  *(GlDbDriftResult *)element = (GlDbDriftResult){
    .id = gl_sql_column_int64 (st, 0),
    .model_id = gl_db_column_id (st, 1),
    .kind = g_strcmp0 (kind, "batch") == 0 ? GL_DB_DRIFT_BATCH : GL_DB_DRIFT_WINDOW,
    .batch_id = gl_db_column_id (st, 3),
    .first_image = gl_db_column_id (st, 4),
    .last_image = gl_db_column_id (st, 5),
    .n_images = (guint64)gl_sql_column_int64 (st, 6),
    .window_size = (guint)gl_sql_column_int64 (st, 7),
    .drifted = gl_sql_column_int64 (st, 8) != 0,
    .n_fired = (guint)gl_sql_column_int64 (st, 9),
    .top_class = gl_db_column_id (st, 10),
    .accuracy_est = gl_db_column_double (st, 11),
    .accuracy_ref = gl_db_column_double (st, 12),
    .psi = gl_db_column_double (st, 13),
    .created_us = gl_sql_column_int64 (st, 14),
    .alpha = gl_db_column_double (st, 15),
  };
}

static void
read_test (GlSqlStmt *st, gpointer element)
{
  GlDbDriftTest *t = element;

  t->class_id = gl_db_column_id (st, 0);
  g_strlcpy (t->test, (const char *)gl_sql_column_text (st, 1), sizeof t->test);
  t->tested = gl_sql_column_int64 (st, 2) != 0;
  t->statistic = gl_db_column_double (st, 3);
  t->p_value = gl_db_column_double (st, 4);
  t->p_adjusted = gl_db_column_double (st, 5);
  t->effect = gl_db_column_double (st, 6);
  t->n_ref = (guint64)gl_sql_column_int64 (st, 7);
  t->n_win = (guint64)gl_sql_column_int64 (st, 8);
  t->fired = gl_sql_column_int64 (st, 9) != 0;
}

static void
read_class (GlSqlStmt *st, gpointer element)
{
  *(GlDbDriftClass *)element = (GlDbDriftClass){
    gl_sql_column_int64 (st, 0), (guint64)gl_sql_column_int64 (st, 1), gl_sql_column_int64 (st, 2) != 0,
    gl_db_column_double (st, 3),  gl_db_column_double (st, 4),           gl_db_column_double (st, 5),
    gl_db_column_double (st, 6),
  };
}

GArray *
gl_db_list_drift_results (GlDb *db, gint64 model_id, int kind, GError **error)
{
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT id, model_id, kind, batch_b, first_image, last_image, n_images,"
                    " window_size, drifted, n_fired, top_class, accuracy_est, accuracy_ref, psi,"
                    " created_us, alpha FROM drift WHERE model_id = ?1 AND kind IN (?2, ?3) ORDER BY id",
                    error);
  GArray *out;

  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_text (st, 2, kind == GL_DB_DRIFT_WINDOW ? "window" : "batch");
  gl_sql_bind_text (st, 3, kind == GL_DB_DRIFT_BATCH ? "batch" : "window");
  out = gl_db_collect (db, st, sizeof (GlDbDriftResult), result_clear, read_result,
                       "cannot list drift results", error);
  for (guint i = 0; out != NULL && i < out->len; i++)
    {
      GlDbDriftResult *r = &g_array_index (out, GlDbDriftResult, i);

      st = gl_db_stmt (db,
                       "SELECT class_id, test, tested, statistic, p_value, p_adjusted, effect, n_ref, n_win,"
                       " fired FROM drift_tests WHERE drift_id = ?1 ORDER BY rowid",
                       error);
      if (st != NULL)
        {
          gl_sql_bind_int64 (st, 1, r->id);
          r->tests = gl_db_collect (db, st, sizeof (GlDbDriftTest), NULL, read_test,
                                    "cannot list drift tests", error);
        }
      st = r->tests == NULL
               ? NULL
               : gl_db_stmt (db,
                             "SELECT class_id, n_images, insufficient, precision_est, precision_se,"
                             " precision_ref, precision_ref_se FROM drift_classes WHERE drift_id = ?1"
                             " ORDER BY class_id",
                             error);
      if (st != NULL)
        {
          gl_sql_bind_int64 (st, 1, r->id);
          r->classes = gl_db_collect (db, st, sizeof (GlDbDriftClass), NULL, read_class,
                                      "cannot list drift classes", error);
        }
      if (r->tests == NULL || r->classes == NULL)
        {
          g_array_unref (out);
          return NULL;
        }
    }
  return out;
}

gboolean
gl_db_delete_drift_results (GlDb *db, gint64 model_id, int kind, GError **error)
{
  static const char *const sql[] = {
    "DELETE FROM drift_candidates WHERE drift_id IN (SELECT id FROM drift WHERE model_id = ?1 AND kind IN (?2, "
    "?3))",
    "DELETE FROM drift_tests WHERE drift_id IN (SELECT id FROM drift WHERE model_id = ?1 AND kind IN (?2, "
    "?3))",
    "DELETE FROM drift_classes WHERE drift_id IN (SELECT id FROM drift WHERE model_id = ?1 AND kind IN (?2, "
    "?3))",
    "DELETE FROM drift WHERE model_id = ?1 AND kind IN (?2, ?3)",
  };

  if (!gl_db_begin (db, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      GlSqlStmt *st = gl_db_stmt (db, sql[i], error);

      if (st == NULL)
        {
          gl_db_rollback (db);
          return FALSE;
        }
      gl_sql_bind_int64 (st, 1, model_id);
      gl_sql_bind_text (st, 2, kind == GL_DB_DRIFT_WINDOW ? "window" : "batch");
      gl_sql_bind_text (st, 3, kind == GL_DB_DRIFT_BATCH ? "batch" : "window");
      if (!gl_db_step_done (db, st, error, "cannot delete drift results"))
        {
          gl_db_rollback (db);
          return FALSE;
        }
    }
  return gl_db_commit (db, error);
}

static void
read_image_row (GlSqlStmt *st, gpointer element)
{
  *(GlDbImageRow *)element = (GlDbImageRow){ gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1),
                                             gl_sql_column_int64 (st, 2) };
}

GArray *
gl_db_list_image_rows (GlDb *db, gint64 batch_id, guint newest, GError **error)
{
  /* Newest first (so that LIMIT keeps the newest), reversed below. */
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT id, cache_row, batch_id FROM images"
                    " WHERE cache_row IS NOT NULL AND reason IS NULL AND (?1 < 0 OR batch_id = ?1)"
                    " ORDER BY id DESC LIMIT ?2",
                    error);
  GArray *out;

  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, batch_id);
  gl_sql_bind_int64 (st, 2, newest > 0 ? (gint64) newest : G_MAXINT64);
  out = gl_db_collect (db, st, sizeof (GlDbImageRow), NULL, read_image_row, "cannot list images", error);
  for (guint i = 0; out != NULL && i < out->len / 2; i++)
    {
      GlDbImageRow t = g_array_index (out, GlDbImageRow, i);
      g_array_index (out, GlDbImageRow, i) = g_array_index (out, GlDbImageRow, out->len - 1 - i);
      g_array_index (out, GlDbImageRow, out->len - 1 - i) = t;
    }
  return out;
}
