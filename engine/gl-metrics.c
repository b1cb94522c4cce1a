/* gl-metrics.c — classification metrics of one model version on one evaluation set. */
#include "engine/gl-metrics.h"

#include <math.h>
#include <string.h>

#define METRICS_FORMAT_VERSION 1

G_DEFINE_QUARK (gl-metrics-error-quark, gl_metrics_error)

GlMetrics *
gl_metrics_new (guint n_classes)
{
  GlMetrics *metrics = g_new0 (GlMetrics, 1);

  metrics->n_classes = n_classes;
  metrics->accuracy = NAN;
  metrics->macro_f1 = NAN;
  metrics->ece = NAN;
  metrics->confusion = g_new0 (guint32, (gsize) n_classes * n_classes);
  metrics->support = g_new0 (guint32, n_classes);
  metrics->precision = g_new (double, n_classes);
  metrics->recall = g_new (double, n_classes);
  metrics->f1 = g_new (double, n_classes);
  for (guint c = 0; c < n_classes; c++)
    metrics->precision[c] = metrics->recall[c] = metrics->f1[c] = NAN;
  return metrics;
}

void
gl_metrics_free (GlMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_free (metrics->confusion);
  g_free (metrics->support);
  g_free (metrics->precision);
  g_free (metrics->recall);
  g_free (metrics->f1);
  g_free (metrics);
}

GlMetrics *
gl_metrics_copy (const GlMetrics *metrics)
{
  GlMetrics *copy = gl_metrics_new (metrics->n_classes);
  guint k = metrics->n_classes;

  copy->n_samples = metrics->n_samples;
  copy->accuracy = metrics->accuracy;
  copy->macro_f1 = metrics->macro_f1;
  copy->ece = metrics->ece;
  memcpy (copy->confusion, metrics->confusion, sizeof (guint32) * k * k);
  memcpy (copy->support, metrics->support, sizeof (guint32) * k);
  memcpy (copy->precision, metrics->precision, sizeof (double) * k);
  memcpy (copy->recall, metrics->recall, sizeof (double) * k);
  memcpy (copy->f1, metrics->f1, sizeof (double) * k);
  return copy;
}

gboolean
gl_metrics_check_labels (const gint *labels, gsize n, guint n_classes, const char *what, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (labels[i] < 0 || (guint) labels[i] >= n_classes)
      {
        g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                     "%s label %d of item %" G_GSIZE_FORMAT " is outside 0…%u", what, labels[i], i,
                     n_classes - 1);
        return FALSE;
      }
  return TRUE;
}

static gboolean
check_shape (gsize n, guint n_classes, GError **error)
{
  if (n_classes == 0)
    {
      g_set_error_literal (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                           "A class count of 0 has no metrics");
      return FALSE;
    }
  if (n > G_MAXUINT32)
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "%" G_GSIZE_FORMAT " samples are more than the confusion matrix counts", n);
      return FALSE;
    }
  return TRUE;
}

/* @row: (n_classes) → the arg-max, the lowest class on ties. */
guint
gl_metrics_argmax (const float *row, guint n_classes)
{
  guint best = 0;

  for (guint c = 1; c < n_classes; c++)
    if (row[c] > row[best])
      best = c;
  return best;
}

/* Rates and macro-F1 from the confusion matrix. */
static void
finish_rates (GlMetrics *m)
{
  guint k = m->n_classes;
  guint64 correct = 0;
  double f1_sum = 0.0;
  guint n_defined = 0;

  for (guint c = 0; c < k; c++)
    {
      guint64 tp = m->confusion[(gsize) c * k + c];
      guint64 predicted = 0; /* tp + fp */
      guint64 actual = 0;    /* tp + fn */

      for (guint o = 0; o < k; o++)
        {
          predicted += m->confusion[(gsize) o * k + c];
          actual += m->confusion[(gsize) c * k + o];
        }
      correct += tp;
      m->support[c] = (guint32) actual;
      m->precision[c] = predicted > 0 ? (double) tp / (double) predicted : NAN;
      m->recall[c] = actual > 0 ? (double) tp / (double) actual : NAN;
      if (predicted + actual > 0)
        {
          m->f1[c] = 2.0 * (double) tp / (double) (predicted + actual);
          f1_sum += m->f1[c];
          n_defined++;
        }
      else
        m->f1[c] = NAN;
    }
  m->accuracy = m->n_samples > 0 ? (double) correct / (double) m->n_samples : NAN;
  m->macro_f1 = n_defined > 0 ? f1_sum / n_defined : NAN;
}

GlMetrics *
gl_metrics_compute_from_predictions (const gint *labels, const gint *predicted, gsize n, guint n_classes,
                                     GError **error)
{
  GlMetrics *m;

  if (!check_shape (n, n_classes, error) || !gl_metrics_check_labels (labels, n, n_classes, "True", error) ||
      !gl_metrics_check_labels (predicted, n, n_classes, "Predicted", error))
    return NULL;

  m = gl_metrics_new (n_classes);
  m->n_samples = n;
  for (gsize i = 0; i < n; i++)
    m->confusion[(gsize) labels[i] * n_classes + (gsize) predicted[i]]++;
  finish_rates (m);
  return m;
}

GlMetrics *
gl_metrics_compute (const gint *labels, const float *probs, gsize n, guint n_classes, GError **error)
{
  GlMetrics *m;

  if (!check_shape (n, n_classes, error) || !gl_metrics_check_labels (labels, n, n_classes, "True", error))
    return NULL;

  m = gl_metrics_new (n_classes);
  m->n_samples = n;
  for (gsize i = 0; i < n; i++)
    {
      guint p = gl_metrics_argmax (probs + i * n_classes, n_classes);
      m->confusion[(gsize) labels[i] * n_classes + p]++;
    }
  finish_rates (m);
  m->ece = gl_metrics_expected_calibration_error (labels, probs, n, n_classes, GL_METRICS_ECE_BINS);
  return m;
}

double
gl_metrics_expected_calibration_error (const gint *labels, const float *probs, gsize n, guint n_classes,
                                       guint n_bins)
{
  g_autofree guint64 *count = NULL;  /* (n_bins) */
  g_autofree guint64 *correct = NULL; /* (n_bins) */
  g_autofree double *confidence = NULL; /* (n_bins): sum of top-class probabilities */
  double ece = 0.0;

  g_return_val_if_fail (n_bins > 0 && n_classes > 0, NAN);
  if (n == 0)
    return NAN;

  count = g_new0 (guint64, n_bins);
  correct = g_new0 (guint64, n_bins);
  confidence = g_new0 (double, n_bins);
  for (gsize i = 0; i < n; i++)
    {
      const float *row = probs + i * n_classes;
      guint p = gl_metrics_argmax (row, n_classes);
      double conf = row[p];
      /* Bin b holds confidences in (b / n_bins, (b + 1) / n_bins]. */
      double pos = ceil (conf * n_bins) - 1.0;
      guint b = pos <= 0.0 ? 0 : pos >= n_bins - 1 ? n_bins - 1 : (guint) pos;

      count[b]++;
      confidence[b] += conf;
      if (labels[i] == (gint) p)
        correct[b]++;
    }
  for (guint b = 0; b < n_bins; b++)
    if (count[b] > 0)
      {
        double acc = (double) correct[b] / (double) count[b];
        double conf = confidence[b] / (double) count[b];
        ece += (double) count[b] / (double) n * fabs (acc - conf);
      }
  return ece;
}

GVariant *
gl_metrics_to_variant (const GlMetrics *m)
{
  gsize k = m->n_classes;

  return g_variant_new ("(uutddd@au@au@ad@ad@ad)", (guint32) METRICS_FORMAT_VERSION, m->n_classes,
                        (guint64) m->n_samples, m->accuracy, m->macro_f1, m->ece,
                        g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, m->confusion, k * k, sizeof (guint32)),
                        g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, m->support, k, sizeof (guint32)),
                        g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, m->precision, k, sizeof (double)),
                        g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, m->recall, k, sizeof (double)),
                        g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, m->f1, k, sizeof (double)));
}

static gboolean
copy_fixed (GVariant *array, void *dest, gsize n_expected, gsize element_size, const char *name,
            GError **error)
{
  gsize n = 0;
  const void *data = g_variant_get_fixed_array (array, &n, element_size);

  if (n != n_expected)
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "Stored metrics hold %" G_GSIZE_FORMAT " %s values where %" G_GSIZE_FORMAT
                   " were expected", n, name, n_expected);
      return FALSE;
    }
  if (n > 0)
    memcpy (dest, data, n * element_size);
  return TRUE;
}

GlMetrics *
gl_metrics_from_variant (GVariant *variant, GError **error)
{
  g_autoptr (GlMetrics) m = NULL;
  g_autoptr (GVariant) confusion = NULL;
  g_autoptr (GVariant) support = NULL;
  g_autoptr (GVariant) precision = NULL;
  g_autoptr (GVariant) recall = NULL;
  g_autoptr (GVariant) f1 = NULL;
  guint32 version = 0, n_classes = 0;
  guint64 n_samples = 0;
  double accuracy, macro_f1, ece;
  gsize k;

  if (!g_variant_is_of_type (variant, GL_METRICS_VARIANT_TYPE))
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "Stored metrics have the type “%s”, not “%s”", g_variant_get_type_string (variant),
                   (const char *) GL_METRICS_VARIANT_TYPE);
      return NULL;
    }
  g_variant_get (variant, "(uutddd@au@au@ad@ad@ad)", &version, &n_classes, &n_samples, &accuracy, &macro_f1,
                 &ece, &confusion, &support, &precision, &recall, &f1);
  if (version != METRICS_FORMAT_VERSION)
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "Stored metrics have format version %u; this build reads version %d", version,
                   METRICS_FORMAT_VERSION);
      return NULL;
    }
  if (n_classes == 0 || n_classes > 65536)
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "Stored metrics have an invalid class count %u", n_classes);
      return NULL;
    }
  k = n_classes;
  m = gl_metrics_new (n_classes);
  m->n_samples = n_samples;
  m->accuracy = accuracy;
  m->macro_f1 = macro_f1;
  m->ece = ece;
  if (!copy_fixed (confusion, m->confusion, k * k, sizeof (guint32), "confusion", error) ||
      !copy_fixed (support, m->support, k, sizeof (guint32), "support", error) ||
      !copy_fixed (precision, m->precision, k, sizeof (double), "precision", error) ||
      !copy_fixed (recall, m->recall, k, sizeof (double), "recall", error) ||
      !copy_fixed (f1, m->f1, k, sizeof (double), "F1", error))
    return NULL;
  return g_steal_pointer (&m);
}
