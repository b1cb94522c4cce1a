/* gl-metrics.h — classification metrics (drift statistics: gl-drift.h).
 *
 * Metrics of one model version on one evaluation set (validation or audit
 * labels): the confusion matrix, accuracy, per-class precision / recall / F1 /
 * support, macro-F1 and the expected calibration error (15 equal-width bins
 * of the top-class confidence).
 *
 * Undefined values are NaN, never a made-up 0 or 1, so that the store keeps
 * them as NULL:
 *   precision[c] = tp / (tp + fp)         NaN when nothing was predicted as c
 *   recall[c]    = tp / (tp + fn)         NaN when c has no support
 *   f1[c]        = 2 tp / (2 tp + fp + fn) NaN when c is neither true nor predicted
 * (the F1 formula equals 2 P R / (P + R) where both are defined, and is 0 when a
 * class is predicted but never true or true but never predicted).
 * macro_f1 is the mean of the defined f1[c]; accuracy, macro_f1 and ece are NaN
 * for an empty evaluation set, and ece is NaN when only predicted labels were
 * given.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GL_METRICS_ERROR (gl_metrics_error_quark ())
GQuark gl_metrics_error_quark (void);

typedef enum
{
  GL_METRICS_ERROR_INVALID, /* a label out of range, a class count of 0, a corrupt serialization */
} GlMetricsError;

#define GL_METRICS_ECE_BINS 15

typedef struct
{
  guint n_classes;
  guint64 n_samples;
  double accuracy;     /* NaN when n_samples is 0 */
  double macro_f1;     /* NaN when no class is defined */
  double ece;          /* NaN without probabilities or samples */
  guint32 *confusion;  /* (n_classes, n_classes): [true][predicted] */
  guint32 *support;    /* (n_classes): true count per class */
  double *precision;   /* (n_classes) */
  double *recall;      /* (n_classes) */
  double *f1;          /* (n_classes) */
} GlMetrics;

/* A zeroed set of metrics for @n_classes (all rates NaN). */
GlMetrics *gl_metrics_new (guint n_classes);
void gl_metrics_free (GlMetrics *metrics);
GlMetrics *gl_metrics_copy (const GlMetrics *metrics);

/* From true labels and class probabilities. @labels: (n) in [0, n_classes);
 * @probs: (n, n_classes), rows summing to 1; the prediction is the arg-max
 * (the lowest class on ties). */
GlMetrics *gl_metrics_compute (const gint *labels, const float *probs, gsize n, guint n_classes,
                               GError **error);
/* From true and predicted labels (@labels, @predicted: (n)); ece is NaN. */
GlMetrics *gl_metrics_compute_from_predictions (const gint *labels, const gint *predicted, gsize n,
                                                guint n_classes, GError **error);

/* Expected calibration error with @n_bins equal-width bins over (0, 1]:
 * Σ_b (n_b / n) |accuracy_b − mean confidence_b|. NaN when n is 0. */
double gl_metrics_expected_calibration_error (const gint *labels, const float *probs, gsize n,
                                              guint n_classes, guint n_bins);

/* A GVariant of type GL_METRICS_VARIANT_TYPE for storage (a database blob
 * through g_variant_get_data, or JSON through json-glib in the app), and back:
 * (format version 1, n_classes, n_samples, accuracy, macro_f1, ece,
 *  confusion, support, precision, recall, f1). */
#define GL_METRICS_VARIANT_TYPE ((const GVariantType *) "(uutdddauauadadad)")
GVariant *gl_metrics_to_variant (const GlMetrics *metrics);
GlMetrics *gl_metrics_from_variant (GVariant *variant, GError **error);

/* Checks that every one of @labels (n) is in [0, n_classes); the error
 * names @what ("Window A", "True") and the item. */
gboolean gl_metrics_check_labels (const gint *labels, gsize n, guint n_classes, const char *what,
                                  GError **error);
/* @row: (n_classes) → the arg-max, the lowest class on ties. */
guint gl_metrics_argmax (const float *row, guint n_classes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlMetrics, gl_metrics_free)

G_END_DECLS
