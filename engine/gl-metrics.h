/* gl-metrics.h — classification metrics and per-class drift statistics.
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
 *
 * Drift compares two windows (e.g. two import batches, or last week and this
 * week) by the class distribution of their predictions or labels:
 *   share[c]      = count[c] / n
 *   psi           = Σ_c (b_c − a_c) ln (b_c / a_c), with shares floored at
 *                   GL_DRIFT_SHARE_FLOOR so that an empty class stays finite
 *   js            = Jensen–Shannon divergence of the raw shares, base 2, in [0, 1]
 *   confidence[c] = mean top-class probability of the items predicted as c
 *                   (NaN when none; only from probabilities)
 *   confidence_shift[c] = confidence_b[c] − confidence_a[c]
 * An empty window makes every statistic that needs it NaN.
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
#define GL_DRIFT_SHARE_FLOOR 1e-4

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

typedef struct
{
  guint n_classes;
  guint64 n_a;
  guint64 n_b;
  double psi;               /* population stability index, NaN if a window is empty */
  double js;                /* Jensen–Shannon divergence (base 2), NaN if a window is empty */
  double *share_a;          /* (n_classes) */
  double *share_b;          /* (n_classes) */
  double *psi_term;         /* (n_classes): each class's term of psi */
  double *confidence_a;     /* (n_classes) */
  double *confidence_b;     /* (n_classes) */
  double *confidence_shift; /* (n_classes) */
} GlDrift;

void gl_drift_free (GlDrift *drift);

/* From the class probabilities of window A (@probs_a: (n_a, n_classes)) and
 * window B (@probs_b: (n_b, n_classes)); classes are the arg-max. */
GlDrift *gl_drift_compute (const float *probs_a, gsize n_a, const float *probs_b, gsize n_b,
                           guint n_classes, GError **error);
/* From labels (human or predicted) of window A (@labels_a: (n_a)) and B
 * (@labels_b: (n_b)); the confidence fields are NaN. */
GlDrift *gl_drift_compute_from_labels (const gint *labels_a, gsize n_a, const gint *labels_b, gsize n_b,
                                       guint n_classes, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlMetrics, gl_metrics_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDrift, gl_drift_free)

G_END_DECLS
