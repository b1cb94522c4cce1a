/* gl-db-rescore.c — the state of a model version's rescoring. See
 * gl-db-rescore.h. Four counters: rescore_model, rescore_done,
 * rescore_total, rescore_skipped. */
#include "db/gl-db-rescore.h"

#include "db/gl-db-private.h"

gboolean
gl_db_get_rescore (GlDb *db, GlDbRescore *out)
{
  *out = (GlDbRescore){ .model_id = -1 };
  gint64 model = gl_db_counter (db, "rescore_model", -1);
  gint64 current = gl_db_get_current_model (db);
  if (model <= 0 || model <= current)
    return FALSE;
  if (gl_db_query_int (db, "SELECT MAX (id) FROM model_versions", FALSE, 0, -1) != model)
    return FALSE; /* a newer version was saved since: this one was given up */
  out->model_id = model;
  out->n_done = (guint64)MAX (gl_db_counter (db, "rescore_done", 0), 0);
  out->n_total = (guint64)MAX (gl_db_counter (db, "rescore_total", 0), 0);
  out->n_skipped = (guint64)MAX (gl_db_counter (db, "rescore_skipped", 0), 0);
  return TRUE;
}

gboolean
gl_db_set_rescore (GlDb *db, const GlDbRescore *r, GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = gl_db_set_counter (db, "rescore_model", r->model_id, error)
                && gl_db_set_counter (db, "rescore_done", (gint64)r->n_done, error)
                && gl_db_set_counter (db, "rescore_total", (gint64)r->n_total, error)
                && gl_db_set_counter (db, "rescore_skipped", (gint64)r->n_skipped, error);
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}
