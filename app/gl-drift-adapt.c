/* gl-drift-adapt.c — see gl-drift-adapt.h. */
#include "app/gl-drift-adapt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/gl-drift-auto.h"
#include "app/gl-export.h"
#include "db/gl-db-drift-adapt.h"

gboolean
gl_drift_adapt_weigh (GlDriftAdaptReport *report)
{
  double pi = report->share, n = (double)report->n_train, nd = (double)report->n_drifted;

  report->weight = report->applied = 1.0;
  report->n_added = 0;
  if (!(pi > 0.0) || report->n_drifted == 0 || report->n_drifted >= report->n_train)
    return FALSE;
  /* π → 1: every image of the stream is of the new kind; the clip bounds it. */
  report->weight = pi < 1.0 ? pi * (n - nd) / ((1.0 - pi) * nd) : INFINITY;
  report->applied = CLAMP (report->weight, 1.0, GL_DRIFT_ADAPT_MAX_WEIGHT);
  return report->applied > 1.0;
}

void
gl_drift_adapt_oversample (GArray *rows, GArray *labels, const gboolean *drifted, GlDriftAdaptReport *report)
{
  guint n = rows->len, whole = (guint)floor (report->applied);
  /* ⌈w⌉ copies for the first @extra candidates: w · n_d in all, rounded. */
  guint64 extra = (guint64)llround ((report->applied - whole) * (double)report->n_drifted), seen = 0;

  report->n_added = 0;
  if (drifted == NULL || !(report->applied > 1.0))
    return;
  for (guint i = 0; i < n; i++)
    {
      guint copies;

      if (!drifted[i])
        continue;
      copies = whole + (seen++ < extra) - 1;
      for (guint c = 0; c < copies; c++)
        {
          guint64 row = g_array_index (rows, guint64, i);
          gint label = g_array_index (labels, gint, i);

          g_array_append_val (rows, row);
          g_array_append_val (labels, label);
          report->n_added++;
        }
    }
}

static gint
compare_row (gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;

  return (x > y) - (x < y);
}

gboolean
gl_drift_adapt_read (GlDb *db, gint64 model_id, const GArray *rows, gboolean *drifted, GlDriftAdaptReport *report,
                     GError **error)
{
  g_autoptr (GArray) cand_rows = NULL;
  guint64 n_cand = 0;

  report->n_train = rows->len;
  report->n_drifted = 0;
  report->share = 0.0;
  report->n_covered = 0;
  for (guint i = 0; i < rows->len; i++)
    drifted[i] = FALSE;
  if (model_id < 0)
    return TRUE;
  if (!gl_db_count_drift_share (db, model_id, &report->n_covered, &n_cand, error))
    return FALSE;
  if (report->n_covered == 0 || n_cand == 0)
    return TRUE;
  report->share = MIN (1.0, (double)n_cand / (double)report->n_covered);
  cand_rows = gl_db_list_labeled_candidate_rows (db, error);
  if (cand_rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      drifted[i] = bsearch (&g_array_index (rows, guint64, i), cand_rows->data, cand_rows->len, sizeof (guint64),
                            compare_row)
                   != NULL;
      report->n_drifted += drifted[i];
    }
  return TRUE;
}

char *
gl_drift_adapt_describe (const GlDriftAdaptReport *report)
{
  if (!(report->applied > 1.0))
    return NULL;
  return g_strdup_printf ("drift round: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                          " training labels drifted (π %.2f of %" G_GUINT64_FORMAT
                          " images), weight %.1f (%.1f before clipping), %" G_GUINT64_FORMAT " copies",
                          report->n_drifted, report->n_train, report->share, report->n_covered, report->applied,
                          report->weight, report->n_added);
}

void
gl_drift_adapt_round (GlDb *db, GArray *rows, GArray *labels, GlDriftAdaptReport *report)
{
  GlDriftAutoSettings settings;
  g_autofree gboolean *drifted = g_new0 (gboolean, MAX (rows->len, 1u));
  g_autoptr (GError) error = NULL;
  g_autofree char *detail = NULL, *stats = NULL;
  gint64 model_id = gl_db_get_current_model (db);

  memset (report, 0, sizeof *report);
  report->n_train = rows->len;
  report->weight = report->applied = 1.0;
  gl_drift_auto_settings_read (db, &settings);
  if (!settings.enabled)
    return;
  if (!gl_drift_adapt_read (db, model_id, rows, drifted, report, &error))
    {
      g_warning ("drift round: cannot read the drift candidates, training without adaptation: %s",
                 error->message);
      report->n_drifted = 0;
      report->share = 0.0;
      return;
    }
  if (!gl_drift_adapt_weigh (report))
    return;
  gl_drift_adapt_oversample (rows, labels, drifted, report);
  detail = gl_drift_adapt_describe (report);
  /* In the C locale whatever the user's (gl_json_append_double); the weight
   * before clipping is null when π is 1 (infinite). */
  {
    GString *json = g_string_new (NULL);

    g_string_append_printf (json, "{\"n_train\":%" G_GUINT64_FORMAT ",\"n_drifted\":%" G_GUINT64_FORMAT
                            ",\"share\":", report->n_train, report->n_drifted);
    gl_json_append_double (json, report->share);
    g_string_append_printf (json, ",\"n_covered\":%" G_GUINT64_FORMAT ",\"weight\":", report->n_covered);
    gl_json_append_double (json, report->weight);
    g_string_append (json, ",\"applied\":");
    gl_json_append_double (json, report->applied);
    g_string_append (json, ",\"max_weight\":");
    gl_json_append_double (json, GL_DRIFT_ADAPT_MAX_WEIGHT);
    g_string_append_printf (json, ",\"n_added\":%" G_GUINT64_FORMAT "}", report->n_added);
    stats = g_string_free (json, FALSE);
  }
  {
    GlDbDriftAction a = { .model_id = model_id,
                          .drift_id = -1,
                          .origin = (char *)"auto",
                          .action = (char *)"weight",
                          .trigger = (char *)"round",
                          .classes = (char *)"",
                          .statistics = stats,
                          .detail = detail };

    if (!gl_db_add_drift_action (db, &a, NULL, &error))
      g_warning ("drift round: cannot record the adaptation: %s", error->message);
  }
}
