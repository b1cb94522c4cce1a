/* gl-drift-audit.c — ADWIN on each class's audit accuracy. See gl-drift-audit.h. */
#include "app/gl-drift-audit.h"

#include "engine/gl-adwin.h"

/* One class's stream: ADWIN and how many labels it read. */
typedef struct
{
  GlAdwin *adwin; /* owned */
  guint64 position;
} Stream;

static void
stream_free (gpointer data)
{
  Stream *s = data;

  gl_adwin_free (s->adwin);
  g_free (s);
}

gboolean
gl_drift_audit_watch (GlDb *db, double delta, guint *n_new, GError **error)
{
  gint64 model_id = gl_db_get_current_model (db);
  g_autoptr (GArray) outcomes = NULL;
  g_autoptr (GHashTable) streams = NULL;
  guint added_total = 0;

  if (n_new != NULL)
    *n_new = 0;
  if (model_id < 0)
    return TRUE;
  outcomes = gl_db_list_audit_outcomes (db, error);
  if (outcomes == NULL)
    return FALSE;
  streams = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, stream_free);
  for (guint i = 0; i < outcomes->len; i++)
    {
      const GlDbAuditOutcome *o = &g_array_index (outcomes, GlDbAuditOutcome, i);
      Stream *s = g_hash_table_lookup (streams, &o->class_id);

      if (s == NULL)
        {
          s = g_new0 (Stream, 1);
          s->adwin = gl_adwin_new (delta, GL_DRIFT_AUDIT_MIN_SIDE, GL_DRIFT_AUDIT_MAX_WIDTH);
          g_hash_table_insert (streams, g_memdup2 (&o->class_id, sizeof o->class_id), s);
        }
      s->position++;
      if (gl_adwin_add (s->adwin, o->pred_class == o->class_id ? 1.0 : 0.0)
          && s->adwin->mean_after < s->adwin->mean_before)
        {
          GlDbAuditChange c = { .model_id = model_id,
                                .class_id = o->class_id,
                                .image_id = o->image_id,
                                .position = s->position,
                                .mean_before = s->adwin->mean_before,
                                .mean_after = s->adwin->mean_after,
                                .width_before = s->adwin->width_before,
                                .width_after = s->adwin->width_after,
                                .epsilon = s->adwin->epsilon,
                                .delta = delta };
          gboolean added;

          if (!gl_db_add_audit_change (db, &c, &added, error))
            return FALSE;
          added_total += added;
        }
    }
  if (n_new != NULL)
    *n_new = added_total;
  return TRUE;
}
