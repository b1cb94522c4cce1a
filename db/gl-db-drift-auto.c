/* gl-db-drift-auto.c — what the drift automation records: its actions, the
 * changes ADWIN found on the audit labels, and the images the drift-boosted
 * queue draws from. See gl-db.h. */
#include "db/gl-db-private.h"

void
gl_db_drift_action_clear (GlDbDriftAction *action)
{
  g_clear_pointer (&action->origin, g_free);
  g_clear_pointer (&action->action, g_free);
  g_clear_pointer (&action->trigger, g_free);
  g_clear_pointer (&action->classes, g_free);
  g_clear_pointer (&action->statistics, g_free);
  g_clear_pointer (&action->detail, g_free);
}

gboolean
gl_db_add_drift_action (GlDb *db, const GlDbDriftAction *a, gint64 *action_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt_insert (db,
                                     "INSERT INTO drift_actions (created_us, model_id, drift_id, origin, action,"
                                     " trigger, classes, statistics, detail, last_label_id)"
                                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                                     " (SELECT COALESCE (MAX (id), 0) FROM labels))",
                              error);

  if (st == NULL)
    return FALSE;
  if (a->origin == NULL || a->action == NULL || a->trigger == NULL)
    {
      gl_db_done (st);
      return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID,
                              "a drift action needs an origin, action and trigger");
    }
  gl_sql_bind_int64 (st, 1, g_get_real_time ());
  gl_db_bind_id (st, 2, a->model_id);
  gl_db_bind_id (st, 3, a->drift_id);
  gl_sql_bind_text (st, 4, a->origin);
  gl_sql_bind_text (st, 5, a->action);
  gl_sql_bind_text (st, 6, a->trigger);
  gl_sql_bind_text (st, 7, a->classes ? a->classes : "");
  gl_sql_bind_text (st, 8, a->statistics ? a->statistics : "{}");
  gl_sql_bind_text (st, 9, a->detail ? a->detail : "");
  gint64 id = gl_db_step_id (db, st, error, "cannot record a drift action");
  if (id < 0)
    return FALSE;
  if (action_id != NULL)
    *action_id = id;
  return TRUE;
}

static void
read_action (GlSqlStmt *st, gpointer element)
{
  *(GlDbDriftAction *)element = (GlDbDriftAction){ gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1),
                                                   gl_db_column_id (st, 2),      gl_db_column_id (st, 3),
                                                   gl_db_column_dup (st, 4),     gl_db_column_dup (st, 5),
                                                   gl_db_column_dup (st, 6),     gl_db_column_dup (st, 7),
                                                   gl_db_column_dup (st, 8),     gl_db_column_dup (st, 9),
                                                   gl_sql_column_int64 (st, 10) };
}

GArray *
gl_db_list_drift_actions (GlDb *db, guint limit, GError **error)
{
  /* Newest first for the limit, then put back in order. */
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT id, created_us, model_id, drift_id, origin, action, trigger, classes,"
                    " statistics, detail, last_label_id FROM drift_actions ORDER BY id DESC LIMIT ?1",
                    error);
  GArray *out;

  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, limit > 0 ? (gint64) limit : G_MAXINT64);
  out = gl_db_collect (db, st, sizeof (GlDbDriftAction), (GDestroyNotify)gl_db_drift_action_clear,
                       read_action, "cannot list drift actions", error);
  for (guint i = 0; out != NULL && i < out->len / 2; i++)
    {
      GlDbDriftAction t = g_array_index (out, GlDbDriftAction, i);
      g_array_index (out, GlDbDriftAction, i) = g_array_index (out, GlDbDriftAction, out->len - 1 - i);
      g_array_index (out, GlDbDriftAction, out->len - 1 - i) = t;
    }
  return out;
}

gboolean
gl_db_add_audit_change (GlDb *db, const GlDbAuditChange *c, gboolean *added, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db,
                              "INSERT INTO drift_audit_changes (created_us, model_id, class_id,"
                              " image_id, position, mean_before, mean_after, width_before, width_after,"
                              " epsilon, delta) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                              " ON CONFLICT DO NOTHING",
                              error);

  *added = FALSE;
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, g_get_real_time ());
  gl_sql_bind_int64 (st, 2, c->model_id);
  gl_sql_bind_int64 (st, 3, c->class_id);
  gl_sql_bind_int64 (st, 4, c->image_id);
  gl_sql_bind_int64 (st, 5, (gint64)c->position);
  gl_sql_bind_double (st, 6, c->mean_before);
  gl_sql_bind_double (st, 7, c->mean_after);
  gl_sql_bind_int64 (st, 8, (gint64)c->width_before);
  gl_sql_bind_int64 (st, 9, (gint64)c->width_after);
  gl_sql_bind_double (st, 10, c->epsilon);
  gl_sql_bind_double (st, 11, c->delta);
  if (!gl_db_step_done (db, st, error, "cannot record an audit accuracy change"))
    return FALSE;
  *added = gl_sql_changes (db->conn) > 0;
  return TRUE;
}

static void
read_change (GlSqlStmt *st, gpointer element)
{
  *(GlDbAuditChange *)element
      = (GlDbAuditChange){ gl_sql_column_int64 (st, 0),          gl_sql_column_int64 (st, 1),
                           gl_sql_column_int64 (st, 2),          gl_sql_column_int64 (st, 3),
                           gl_sql_column_int64 (st, 4),          (guint64)gl_sql_column_int64 (st, 5),
                           gl_sql_column_double (st, 6),         gl_sql_column_double (st, 7),
                           (guint64)gl_sql_column_int64 (st, 8), (guint64)gl_sql_column_int64 (st, 9),
                           gl_sql_column_double (st, 10),        gl_sql_column_double (st, 11) };
}

GArray *
gl_db_list_audit_changes (GlDb *db, gint64 model_id, GError **error)
{
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT id, created_us, model_id, class_id, image_id, position, mean_before,"
                    " mean_after, width_before, width_after, epsilon, delta FROM drift_audit_changes"
                    " WHERE ?1 < 0 OR model_id = ?1 ORDER BY id",
                    error);

  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  return gl_db_collect (db, st, sizeof (GlDbAuditChange), NULL, read_change,
                        "cannot list audit accuracy changes", error);
}

static void
read_outcome (GlSqlStmt *st, gpointer element)
{
  *(GlDbAuditOutcome *)element
      = (GlDbAuditOutcome){ gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1),
                            gl_sql_column_int64 (st, 2) };
}

GArray *
gl_db_list_audit_outcomes (GlDb *db, GError **error)
{
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT i.id, i.cls, i.pred_class FROM audit_images a JOIN images i ON i.id = a.image_id"
                    " WHERE i.cls > 0 AND i.pred_class IS NOT NULL ORDER BY i.label_id, i.id",
                    error);

  if (st == NULL)
    return NULL;
  return gl_db_collect (db, st, sizeof (GlDbAuditOutcome), NULL, read_outcome, "cannot list the audit labels",
                        error);
}

gboolean
gl_db_add_drift_candidates (GlDb *db, gint64 drift_id, const GlDbDriftCandidate *candidates, guint n,
                            GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      GlSqlStmt *st
          = gl_db_stmt (db,
                        "INSERT INTO drift_candidates (drift_id, image_id, class_id, novel,"
                        " distance, priority) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        " ON CONFLICT (drift_id, image_id) DO UPDATE SET class_id = excluded.class_id,"
                        " novel = excluded.novel, distance = excluded.distance, priority = excluded.priority",
                        error);

      if (st == NULL)
        {
          gl_db_rollback (db);
          return FALSE;
        }
      gl_sql_bind_int64 (st, 1, drift_id);
      gl_sql_bind_int64 (st, 2, candidates[i].image_id);
      gl_sql_bind_int64 (st, 3, candidates[i].class_id);
      gl_sql_bind_int64 (st, 4, candidates[i].novel != 0);
      gl_db_bind_double (st, 5, candidates[i].distance);
      gl_db_bind_double (st, 6, candidates[i].priority);
      if (!gl_db_step_done (db, st, error, "cannot store a drift candidate"))
        {
          gl_db_rollback (db);
          return FALSE;
        }
    }
  return gl_db_commit (db, error);
}

static void
read_candidate (GlSqlStmt *st, gpointer element)
{
  *(GlDbDriftCandidate *)element
      = (GlDbDriftCandidate){ gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1),
                              gl_sql_column_int64 (st, 2) != 0, gl_db_column_double (st, 3),
                              gl_db_column_double (st, 4) };
}

GArray *
gl_db_list_drift_candidates (GlDb *db, gint64 model_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (
   db,
   "SELECT c.image_id, MIN (c.class_id), MAX (c.novel), MAX (c.distance), MAX (c.priority)"
   " FROM drift_candidates c"
   " JOIN drift d ON d.id = c.drift_id JOIN images i ON i.id = c.image_id"
   " WHERE d.model_id = ?1 AND i.cls = -1 AND i.held_out = 0 AND i.reason IS NULL"
   " GROUP BY c.image_id ORDER BY MAX (c.priority) DESC NULLS LAST, MAX (c.novel) DESC,"
   " MAX (c.distance) DESC, c.image_id",
   error);

  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, model_id);
  return gl_db_collect (db, st, sizeof (GlDbDriftCandidate), NULL, read_candidate,
                        "cannot list drift candidates", error);
}

gint64
gl_db_count_labeled_candidates (GlDb *db, gint64 after_label_id, GError **error)
{
  /* From the labels after @after_label_id (a rowid range): the current label
   * of a candidate image. */
  GlSqlStmt *st = gl_db_stmt (db,
                              "SELECT COUNT (DISTINCT l.image_id) FROM labels l"
                              " JOIN images i ON i.id = l.image_id AND i.label_id = l.id"
                              " WHERE l.id > ?1 AND i.cls > 0"
                              " AND EXISTS (SELECT 1 FROM drift_candidates c WHERE c.image_id = i.id)",
                              error);
  gint64 n = -1;

  if (st == NULL)
    return -1;
  gl_sql_bind_int64 (st, 1, after_label_id);
  if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
    n = gl_sql_column_int64 (st, 0);
  else
    gl_db_fail (db, error, "cannot count the labeled drift candidates");
  gl_db_done (st);
  return n;
}
