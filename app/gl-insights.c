/* gl-insights.c — see gl-insights.h. */
#include "app/gl-insights.h"

#include <math.h>
#include <string.h>

#include "app/gl-export.h"
#include "engine/gl-metrics.h"

G_STATIC_ASSERT (GL_INSIGHTS_BINS == GL_METRICS_ECE_BINS);

G_DEFINE_QUARK (gl - insights - error - quark, gl_insights_error)

void
gl_proportion_wilson (guint64 successes, guint64 n, GlProportion *out)
{
  out->n = n;
  out->successes = successes;
  if (n == 0)
    {
      out->rate = out->low = out->high = NAN;
      return;
    }
  /* Wilson score interval: (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n). */
  const double z = 1.959963984540054;
  double nn = (double)n, p = (double)successes / nn, z2 = z * z;
  double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  double half = z * sqrt (p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
  out->rate = p;
  out->low = MAX (0.0, centre - half);
  out->high = MIN (1.0, centre + half);
}

GlInsights *
gl_insights_ref (GlInsights *insights)
{
  g_atomic_int_inc (&insights->ref_count);
  return insights;
}

void
gl_insights_unref (GlInsights *r)
{
  if (r == NULL || !g_atomic_int_dec_and_test (&r->ref_count))
    return;
  g_free (r->class_ids);
  g_strfreev (r->class_names);
  g_free (r->class_colours);
  g_free (r->versions);
  g_free (r->precision);
  g_free (r->recall);
  g_free (r->f1);
  g_free (r->d_precision);
  g_free (r->d_recall);
  g_free (r->d_f1);
  g_free (r->support);
  g_free (r->labeled);
  g_free (r->predicted);
  g_free (r->confusion);
  g_free (r);
}

/* Index of @class_id in the report's classes, or -1. */
static gint
class_index (const GlInsights *r, gint64 class_id)
{
  for (guint k = 0; k < r->n_classes; k++)
    if (r->class_ids[k] == class_id)
      return (gint)k;
  return -1;
}

static gboolean
load_classes (GlInsights *r, GlDb *db, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  guint n = r->n_classes = classes->len;
  r->class_ids = g_new0 (gint64, MAX (n, 1));
  r->class_names = g_new0 (char *, n + 1);
  r->class_colours = g_malloc0 (8 * MAX (n, 1));
  for (guint k = 0; k < n; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      r->class_ids[k] = c->id;
      r->class_names[k] = g_strdup (c->name);
      memcpy (r->class_colours[k], c->colour, 8);
    }
  r->precision = g_new (double, MAX (n, 1));
  r->recall = g_new (double, MAX (n, 1));
  r->f1 = g_new (double, MAX (n, 1));
  r->d_precision = g_new (double, MAX (n, 1));
  r->d_recall = g_new (double, MAX (n, 1));
  r->d_f1 = g_new (double, MAX (n, 1));
  r->support = g_new0 (guint64, MAX (n, 1));
  r->labeled = g_new0 (guint64, MAX (n, 1));
  r->predicted = g_new0 (guint64, MAX (n, 1));
  for (guint k = 0; k < n; k++)
    r->precision[k] = r->recall[k] = r->f1[k] = r->d_precision[k] = r->d_recall[k] = r->d_f1[k] = NAN;
  return TRUE;
}

gboolean
gl_insights_audit (GlDb *db, gint64 model_id, GlProportion *out, GError **error)
{
  g_autoptr (GArray) rows = gl_db_list_evaluated (db, model_id, FALSE, error);
  if (rows == NULL)
    return FALSE;
  guint64 correct = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      const GlDbEvaluated *e = &g_array_index (rows, GlDbEvaluated, i);
      correct += e->top_class == e->class_id;
    }
  gl_proportion_wilson (correct, rows->len, out);
  return TRUE;
}

static gboolean
load_versions (GlInsights *r, GlDb *db, gint64 model_id, GError **error)
{
  g_autoptr (GArray) versions = gl_db_list_model_versions (db, error);
  if (versions == NULL)
    return FALSE;
  r->current_id = gl_db_get_current_model (db);
  if (model_id < 0)
    model_id = r->current_id >= 0  ? r->current_id
               : versions->len > 0 ? g_array_index (versions, GlDbModelVersion, versions->len - 1).id
                                   : -1;
  r->model_id = model_id;
  r->previous_id = -1;
  r->n_versions = versions->len;
  r->versions = g_new0 (GlInsightsVersion, MAX (versions->len, 1));
  gboolean found = FALSE;
  for (guint i = 0; i < versions->len; i++)
    {
      const GlDbModelVersion *v = &g_array_index (versions, GlDbModelVersion, i);
      GlInsightsVersion *o = &r->versions[i];
      *o = (GlInsightsVersion){ v->id, v->n_labels, v->val_accuracy, v->macro_f1, v->ece, { 0 } };
      if (!gl_insights_audit (db, v->id, &o->audit, error))
        return FALSE;
      if (v->id == model_id)
        {
          found = TRUE;
          r->version_index = i;
          r->previous_id = i > 0 ? g_array_index (versions, GlDbModelVersion, i - 1).id : -1;
        }
    }
  if (!found)
    {
      if (model_id < 0)
        g_set_error (error, GL_INSIGHTS_ERROR, GL_INSIGHTS_ERROR_NO_MODEL,
                     "no model version yet: label images of two classes and train first");
      else
        g_set_error (error, GL_INSIGHTS_ERROR, GL_INSIGHTS_ERROR_NO_MODEL,
                     "there is no model version %" G_GINT64_FORMAT, model_id);
      return FALSE;
    }
  return TRUE;
}

/* Per-class metrics of @model_id into @p, @rc, @f (class order); the
 * confusion matrix, reordered to class order, into r->confusion when
 * @confusion. FALSE only on a store error. */
static gboolean
load_metrics (GlInsights *r, GlDb *db, gint64 model_id, double *p, double *rc, double *f, guint64 *support,
              gboolean confusion, gboolean *any, GError **error)
{
  g_autoptr (GBytes) blob = NULL;
  g_autoptr (GArray) metrics = gl_db_get_class_metrics (db, model_id, confusion ? &blob : NULL, error);
  if (metrics == NULL)
    return FALSE;
  *any = metrics->len > 0;
  g_autofree gint *to_class = g_new (gint, MAX (metrics->len, 1));
  for (guint i = 0; i < metrics->len; i++)
    {
      const GlDbClassMetrics *m = &g_array_index (metrics, GlDbClassMetrics, i);
      gint k = to_class[i] = class_index (r, m->class_id);
      if (k < 0)
        continue; /* a class deleted since */
      p[k] = m->precision;
      rc[k] = m->recall;
      f[k] = m->f1;
      if (support)
        support[k] = m->support;
    }
  gsize size = 0;
  const guint32 *cells = blob ? g_bytes_get_data (blob, &size) : NULL;
  guint m = metrics->len;
  if (confusion && cells != NULL && size == sizeof (guint32) * m * m)
    {
      guint n = r->n_classes;
      r->confusion = g_new0 (guint32, MAX (n * n, 1));
      for (guint i = 0; i < m; i++)
        for (guint j = 0; j < m; j++)
          if (to_class[i] >= 0 && to_class[j] >= 0)
            {
              r->confusion[to_class[i] * n + to_class[j]] = cells[i * m + j];
              r->confusion_total += cells[i * m + j];
            }
    }
  return TRUE;
}

static gboolean
load_class_metrics (GlInsights *r, GlDb *db, GError **error)
{
  if (!load_metrics (r, db, r->model_id, r->precision, r->recall, r->f1, r->support, TRUE, &r->has_metrics,
                     error))
    return FALSE;
  if (r->previous_id < 0)
    return TRUE;
  guint n = r->n_classes;
  g_autofree double *p = g_new (double, MAX (n, 1));
  g_autofree double *rc = g_new (double, MAX (n, 1));
  g_autofree double *f = g_new (double, MAX (n, 1));
  for (guint k = 0; k < n; k++)
    p[k] = rc[k] = f[k] = NAN;
  gboolean any = FALSE;
  if (!load_metrics (r, db, r->previous_id, p, rc, f, NULL, FALSE, &any, error))
    return FALSE;
  for (guint k = 0; k < n; k++)
    {
      /* NaN propagates: no change is shown where either value is undefined. */
      r->d_precision[k] = r->precision[k] - p[k];
      r->d_recall[k] = r->recall[k] - rc[k];
      r->d_f1[k] = r->f1[k] - f[k];
    }
  return TRUE;
}

static gboolean
load_balance (GlInsights *r, GlDb *db, GError **error)
{
  g_autoptr (GArray) counts = gl_db_count_per_class (db, error);
  g_autoptr (GArray) tallies = counts ? gl_db_count_predicted_unlabeled (db, r->model_id, error) : NULL;
  if (tallies == NULL)
    return FALSE;
  for (guint i = 0; i < counts->len; i++)
    {
      const GlDbClassCount *c = &g_array_index (counts, GlDbClassCount, i);
      gint k = class_index (r, c->class_id);
      if (k >= 0)
        {
          r->labeled[k] = c->labeled;
          r->labeled_total += c->labeled;
        }
    }
  for (guint i = 0; i < tallies->len; i++)
    {
      const GlDbClassTally *t = &g_array_index (tallies, GlDbClassTally, i);
      gint k = class_index (r, t->class_id);
      if (k >= 0)
        {
          r->predicted[k] = t->count;
          r->predicted_total += t->count;
        }
    }
  return TRUE;
}

static gboolean
load_reliability (GlInsights *r, GlDb *db, GError **error)
{
  g_autoptr (GArray) rows = gl_db_list_evaluated (db, r->model_id, TRUE, error);
  if (rows == NULL)
    return FALSE;
  double sum_conf[GL_INSIGHTS_BINS] = { 0 };
  for (guint i = 0; i < rows->len; i++)
    {
      const GlDbEvaluated *e = &g_array_index (rows, GlDbEvaluated, i);
      if (e->top_class < 0 || isnan (e->top_prob))
        continue;
      /* Bin b holds confidences in (b / B, (b + 1) / B], as the engine's ECE. */
      double pos = ceil (e->top_prob * GL_INSIGHTS_BINS) - 1.0;
      guint b = pos <= 0.0 ? 0 : pos >= GL_INSIGHTS_BINS - 1 ? GL_INSIGHTS_BINS - 1 : (guint)pos;
      r->bin_count[b]++;
      r->bin_correct[b] += e->top_class == e->class_id;
      sum_conf[b] += e->top_prob;
      r->reliability_n++;
      r->reliability_audit_n += e->audit;
    }
  double ece = 0;
  for (guint b = 0; b < GL_INSIGHTS_BINS; b++)
    {
      r->bin_confidence[b] = r->bin_count[b] ? sum_conf[b] / (double)r->bin_count[b] : NAN;
      if (r->bin_count[b])
        ece += (double)r->bin_count[b] / (double)r->reliability_n
               * fabs (gl_insights_bin_accuracy (r, b) - r->bin_confidence[b]);
    }
  r->ece = r->reliability_n ? ece : NAN;
  return TRUE;
}

GlInsights *
gl_insights_compute (GlDb *db, gint64 model_id, GError **error)
{
  g_autoptr (GlInsights) r = g_new0 (GlInsights, 1);
  r->ref_count = 1;
  r->model_id = r->previous_id = -1;
  /* Separate reads: a round that finishes meanwhile may add a version to the
   * curve after the chosen one; the chosen version's own figures are fixed. */
  if (!load_classes (r, db, error) || !load_versions (r, db, model_id, error)
      || !load_class_metrics (r, db, error) || !load_balance (r, db, error)
      || !load_reliability (r, db, error))
    return NULL;
  return g_steal_pointer (&r);
}

double
gl_insights_confusion_share (const GlInsights *r, guint i, guint j)
{
  if (r->confusion == NULL || i >= r->n_classes || j >= r->n_classes)
    return NAN;
  guint64 row = 0;
  for (guint k = 0; k < r->n_classes; k++)
    row += r->confusion[i * r->n_classes + k];
  return row ? (double)r->confusion[i * r->n_classes + j] / (double)row : NAN;
}

double
gl_insights_bin_accuracy (const GlInsights *r, guint b)
{
  return b < GL_INSIGHTS_BINS && r->bin_count[b] ? (double)r->bin_correct[b] / (double)r->bin_count[b] : NAN;
}

/* ---- JSON ---- */

static void
json_number (GString *out, const char *name, double value)
{
  g_string_append_printf (out, "\"%s\":", name);
  gl_json_append_double (out, value);
}

static void
json_proportion (GString *out, const GlProportion *p)
{
  g_string_append_printf (out, "{\"n\":%" G_GUINT64_FORMAT ",\"correct\":%" G_GUINT64_FORMAT ",", p->n,
                          p->successes);
  json_number (out, "accuracy", p->rate);
  g_string_append_c (out, ',');
  json_number (out, "low", p->low);
  g_string_append_c (out, ',');
  json_number (out, "high", p->high);
  g_string_append (out, ",\"level\":0.95,\"method\":\"wilson\"}");
}

void
gl_insights_append_proportion_json (GString *out, const GlProportion *p)
{
  json_proportion (out, p);
}

void
gl_insights_append_json (const GlInsights *r, GString *out)
{
  g_string_append_printf (out, "{\"model_version\":%" G_GINT64_FORMAT ",\"previous_version\":", r->model_id);
  if (r->previous_id >= 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, r->previous_id);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"learning_curve\":[");
  for (guint i = 0; i < r->n_versions; i++)
    {
      const GlInsightsVersion *v = &r->versions[i];
      g_string_append_printf (out, "%s{\"version\":%" G_GINT64_FORMAT ",\"labels\":%" G_GUINT64_FORMAT ",",
                              i ? "," : "", v->id, v->n_labels);
      json_number (out, "accuracy", v->val_accuracy);
      g_string_append_c (out, ',');
      json_number (out, "macro_f1", v->macro_f1);
      g_string_append (out, ",\"audit\":");
      json_proportion (out, &v->audit);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],\"classes\":[");
  for (guint k = 0; k < r->n_classes; k++)
    {
      g_string_append (out, k ? ",{\"class\":" : "{\"class\":");
      gl_json_append_string (out, r->class_names[k]);
      const char *names[] = { "precision", "recall", "f1", "precision_change", "recall_change", "f1_change" };
      const double values[]
          = { r->precision[k], r->recall[k], r->f1[k], r->d_precision[k], r->d_recall[k], r->d_f1[k] };
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        {
          g_string_append_c (out, ',');
          json_number (out, names[i], values[i]);
        }
      g_string_append_printf (out,
                              ",\"support\":%" G_GUINT64_FORMAT ",\"labeled\":%" G_GUINT64_FORMAT
                              ",\"predicted_unlabeled\":%" G_GUINT64_FORMAT "}",
                              r->support[k], r->labeled[k], r->predicted[k]);
    }
  g_string_append (out, "],\"confusion\":");
  if (r->confusion == NULL)
    g_string_append (out, "null");
  else
    {
      g_string_append_c (out, '[');
      for (guint i = 0; i < r->n_classes; i++)
        {
          g_string_append (out, i ? ",[" : "[");
          for (guint j = 0; j < r->n_classes; j++)
            g_string_append_printf (out, j ? ",%u" : "%u", r->confusion[i * r->n_classes + j]);
          g_string_append_c (out, ']');
        }
      g_string_append_c (out, ']');
    }
  g_string_append_printf (out,
                          ",\"reliability\":{\"n\":%" G_GUINT64_FORMAT ",\"audit\":%" G_GUINT64_FORMAT ",",
                          r->reliability_n, r->reliability_audit_n);
  json_number (out, "ece", r->ece);
  g_string_append (out, ",\"bins\":[");
  for (guint b = 0; b < GL_INSIGHTS_BINS; b++)
    {
      g_string_append_printf (out, "%s{\"from\":%.4g,\"to\":%.4g,\"n\":%" G_GUINT64_FORMAT ",", b ? "," : "",
                              (double)b / GL_INSIGHTS_BINS, (double)(b + 1) / GL_INSIGHTS_BINS,
                              r->bin_count[b]);
      json_number (out, "confidence", r->bin_confidence[b]);
      g_string_append_c (out, ',');
      json_number (out, "accuracy", gl_insights_bin_accuracy (r, b));
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}}");
}

/* ---- Async ---- */

/* The task's data: set on the caller's thread, then read by the worker only. */
typedef struct
{
  char *db_path; /* owned */
  gint64 model_id;
} ComputeData;

static void
compute_data_free (gpointer p)
{
  ComputeData *d = p;
  g_free (d->db_path);
  g_free (d);
}

static void
compute_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ComputeData *d = task_data;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (d->db_path, &error);
  GlInsights *r = db ? gl_insights_compute (db, d->model_id, &error) : NULL;
  if (r == NULL)
    g_task_return_error (task, error);
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, r, (GDestroyNotify)gl_insights_unref);
  else
    gl_insights_unref (r);
}

void
gl_insights_compute_async (const char *db_path, gint64 model_id, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gl_insights_compute_async);
  ComputeData *d = g_new0 (ComputeData, 1);
  d->db_path = g_strdup (db_path);
  d->model_id = model_id;
  g_task_set_task_data (task, d, compute_data_free);
  g_task_run_in_thread (task, compute_thread);
}

GlInsights *
gl_insights_compute_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
