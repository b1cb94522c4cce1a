/* test-metrics.c — confusion matrix, rates, calibration and drift on
 * hand-computed examples and edge cases. */
#include <math.h>

#include "engine/gl-metrics.h"
#include "engine/gl-drift.h"

#define EPS 1e-6

static void
test_confusion_and_f1 (void)
{
  /* true 0 0 0 1 1 2, predicted 0 0 1 1 2 2:
   *            pred 0  1  2
   *   true 0       2  1  0
   *   true 1       0  1  1
   *   true 2       0  0  1
   * class 0: P 2/2, R 2/3, F1 0.8; class 1: P 1/2, R 1/2, F1 0.5;
   * class 2: P 1/2, R 1, F1 2/3; accuracy 4/6; macro-F1 (0.8+0.5+2/3)/3. */
  const gint labels[] = { 0, 0, 0, 1, 1, 2 };
  const gint predicted[] = { 0, 0, 1, 1, 2, 2 };
  const guint32 expected[] = { 2, 1, 0, 0, 1, 1, 0, 0, 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GlMetrics) m = gl_metrics_compute_from_predictions (labels, predicted, 6, 3, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (m->n_samples, ==, 6);
  for (guint i = 0; i < 9; i++)
    g_assert_cmpuint (m->confusion[i], ==, expected[i]);
  g_assert_cmpuint (m->support[0], ==, 3);
  g_assert_cmpuint (m->support[1], ==, 2);
  g_assert_cmpuint (m->support[2], ==, 1);
  g_assert_cmpfloat_with_epsilon (m->accuracy, 4.0 / 6.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[0], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->recall[0], 2.0 / 3.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[0], 0.8, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[1], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (m->recall[1], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[1], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[2], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (m->recall[2], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[2], 2.0 / 3.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->macro_f1, (0.8 + 0.5 + 2.0 / 3.0) / 3.0, EPS);
  g_assert_true (isnan (m->ece)); /* no probabilities */
}

static void
test_class_without_support (void)
{
  /* Four classes. Class 2 is predicted once but never true: P 0, R NaN, F1 0.
   * Class 3 is neither true nor predicted: everything NaN, left out of macro-F1.
   * Class 1 is true once but never predicted: P NaN, R 0, F1 0. */
  const gint labels[] = { 0, 0, 1 };
  const gint predicted[] = { 0, 2, 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GlMetrics) m = gl_metrics_compute_from_predictions (labels, predicted, 3, 4, &error);

  g_assert_no_error (error);
  /* class 0: tp 1, predicted 2, actual 2 → P 1/2, R 1/2, F1 1/2 */
  g_assert_cmpfloat_with_epsilon (m->f1[0], 0.5, EPS);
  g_assert_true (isnan (m->precision[1]));
  g_assert_cmpfloat_with_epsilon (m->recall[1], 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->f1[1], 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->precision[2], 0.0, EPS);
  g_assert_true (isnan (m->recall[2]));
  g_assert_cmpfloat_with_epsilon (m->f1[2], 0.0, EPS);
  g_assert_cmpuint (m->support[2], ==, 0);
  g_assert_true (isnan (m->precision[3]));
  g_assert_true (isnan (m->recall[3]));
  g_assert_true (isnan (m->f1[3]));
  g_assert_cmpuint (m->support[3], ==, 0);
  g_assert_cmpfloat_with_epsilon (m->macro_f1, 0.5 / 3.0, EPS);
  g_assert_cmpfloat_with_epsilon (m->accuracy, 1.0 / 3.0, EPS);
}

static void
test_empty_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlMetrics) m = gl_metrics_compute (NULL, NULL, 0, 5, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (m->n_classes, ==, 5);
  g_assert_cmpuint (m->n_samples, ==, 0);
  g_assert_true (isnan (m->accuracy));
  g_assert_true (isnan (m->macro_f1));
  g_assert_true (isnan (m->ece));
  for (guint c = 0; c < 5; c++)
    {
      g_assert_cmpuint (m->support[c], ==, 0);
      g_assert_true (isnan (m->f1[c]));
    }
}

static void
test_invalid_input (void)
{
  const gint labels[] = { 0, 3 };
  const gint predicted[] = { 0, 0 };
  const float probs[] = { 1.0f, 0.0f, 0.0f, 1.0f };
  g_autoptr (GError) error = NULL;
  GlMetrics *m;

  m = gl_metrics_compute_from_predictions (labels, predicted, 2, 3, &error);
  g_assert_null (m);
  g_assert_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "3"));
  g_clear_error (&error);

  m = gl_metrics_compute (labels, probs, 2, 2, &error);
  g_assert_null (m);
  g_assert_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID);
  g_clear_error (&error);

  m = gl_metrics_compute (labels, probs, 0, 0, &error);
  g_assert_null (m);
  g_assert_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID);
}

static void
test_ece (void)
{
  /* Bin 13 of 15 ((0.8667, 0.9333]): two items of confidence 0.9, one right →
   * |0.5 − 0.9| × 2/4 = 0.2. Bin 9 ((0.6, 0.6667]): two of confidence 0.65,
   * both right → |1 − 0.65| × 2/4 = 0.175. ECE = 0.375. */
  const gint labels[] = { 0, 0, 1, 0 };
  const float probs[] = {
    0.9f, 0.1f,   /* predicts 0, right */
    0.1f, 0.9f,   /* predicts 1, wrong */
    0.35f, 0.65f, /* predicts 1, right */
    0.65f, 0.35f, /* predicts 0, right */
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GlMetrics) m = gl_metrics_compute (labels, probs, 4, 2, &error);

  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (m->ece, 0.375, EPS);
  g_assert_cmpfloat_with_epsilon (m->accuracy, 0.75, EPS);
  g_assert_cmpuint (m->confusion[0 * 2 + 1], ==, 1);
  /* With a single bin everything is pooled: |0.75 − 0.775| = 0.025. */
  g_assert_cmpfloat_with_epsilon (gl_metrics_expected_calibration_error (labels, probs, 4, 2, 1), 0.025,
                                  EPS);
  /* A perfectly calibrated, certain model has no calibration error. */
  {
    const float sure[] = { 1.0f, 0.0f, 0.0f, 1.0f };
    const gint sure_labels[] = { 0, 1 };
    g_assert_cmpfloat_with_epsilon (gl_metrics_expected_calibration_error (sure_labels, sure, 2, 2, 15), 0.0,
                                    EPS);
  }
  /* Ties go to the lowest class. */
  {
    const float tie[] = { 0.5f, 0.5f };
    const gint tie_label[] = { 0 };
    g_autoptr (GlMetrics) t = gl_metrics_compute (tie_label, tie, 1, 2, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (t->accuracy, 1.0, EPS);
  }
}

static void
test_variant_round_trip (void)
{
  const gint labels[] = { 0, 0, 1, 2 };
  const gint predicted[] = { 0, 1, 1, 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GlMetrics) m = gl_metrics_compute_from_predictions (labels, predicted, 4, 3, &error);
  g_autoptr (GVariant) v = g_variant_ref_sink (gl_metrics_to_variant (m));
  g_autoptr (GlMetrics) back = gl_metrics_from_variant (v, &error);
  g_autoptr (GlMetrics) copy = gl_metrics_copy (m);
  g_autoptr (GVariant) bad = NULL;
  GlMetrics *none;

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (v, GL_METRICS_VARIANT_TYPE));
  g_assert_cmpuint (back->n_classes, ==, 3);
  g_assert_cmpuint (back->n_samples, ==, 4);
  g_assert_cmpmem (back->confusion, 9 * sizeof (guint32), m->confusion, 9 * sizeof (guint32));
  g_assert_cmpmem (copy->confusion, 9 * sizeof (guint32), m->confusion, 9 * sizeof (guint32));
  g_assert_cmpfloat (back->accuracy, ==, m->accuracy);
  g_assert_cmpfloat (back->macro_f1, ==, m->macro_f1);
  g_assert_true (isnan (back->ece));
  for (guint c = 0; c < 3; c++)
    {
      g_assert_cmpuint (back->support[c], ==, m->support[c]);
      g_assert_true (back->f1[c] == m->f1[c] || (isnan (back->f1[c]) && isnan (m->f1[c])));
      g_assert_true (back->precision[c] == m->precision[c] || (isnan (back->precision[c]) && isnan (m->precision[c])));
    }

  /* A mismatched array length is an error naming the field. */
  bad = g_variant_ref_sink (g_variant_new_parsed ("(@u 1, @u 2, @t 4, 0.5, 0.5, 0.0, @au [1, 2, 3], "
                                                  "@au [1, 1], @ad [1.0, 1.0], @ad [1.0, 1.0], @ad [1.0, 1.0])"));
  none = gl_metrics_from_variant (bad, &error);
  g_assert_null (none);
  g_assert_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "confusion"));
  g_clear_error (&error);
  g_clear_pointer (&bad, g_variant_unref);

  bad = g_variant_ref_sink (g_variant_new_parsed ("(@u 7, @u 1, @t 0, 0.5, 0.5, 0.0, @au [0], @au [0], "
                                                  "@ad [0.0], @ad [0.0], @ad [0.0])"));
  none = gl_metrics_from_variant (bad, &error);
  g_assert_null (none);
  g_assert_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "version 7"));
}

static void
test_drift_labels (void)
{
  /* A = 0 0 1 1 (½, ½), B = 0 1 1 1 (¼, ¾):
   * PSI = (¼−½) ln(¼/½) + (¾−½) ln(¾/½) = 0.274653…,
   * JS (base 2) = ½ KL(A‖M) + ½ KL(B‖M) with M = (⅜, ⅝) = 0.048794… */
  const gint a[] = { 0, 0, 1, 1 };
  const gint b[] = { 0, 1, 1, 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDrift) d = gl_drift_compute_from_labels (a, 4, b, 4, 2, &error);
  g_autoptr (GlDrift) same = NULL;
  g_autoptr (GlDrift) gone = NULL;
  g_autoptr (GlDrift) empty = NULL;

  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (d->share_a[0], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (d->share_b[1], 0.75, EPS);
  g_assert_cmpfloat_with_epsilon (d->psi, 0.2746530721670274, EPS);
  g_assert_cmpfloat_with_epsilon (d->psi_term[0] + d->psi_term[1], d->psi, EPS);
  g_assert_cmpfloat_with_epsilon (d->js, 0.0487949406953985, EPS);
  g_assert_true (isnan (d->confidence_shift[0]));

  same = gl_drift_compute_from_labels (a, 4, a, 4, 2, &error);
  g_assert_cmpfloat_with_epsilon (same->psi, 0.0, EPS);
  g_assert_cmpfloat_with_epsilon (same->js, 0.0, EPS);

  /* A class missing from one window: the floor keeps PSI finite
   * ((½−1) ln ½ + (½−10⁻⁴) ln(½/10⁻⁴)); JS needs no floor. */
  {
    const gint only0[] = { 0, 0 };
    const gint both[] = { 0, 1 };
    gone = gl_drift_compute_from_labels (only0, 2, both, 2, 2, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (gone->psi, 4.60431846666895, 1e-5);
    g_assert_cmpfloat_with_epsilon (gone->js, 0.31127812445913283, EPS);
  }

  empty = gl_drift_compute_from_labels (a, 4, NULL, 0, 2, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (empty->psi));
  g_assert_true (isnan (empty->js));
  g_assert_true (isnan (empty->share_b[0]));
  g_assert_cmpfloat_with_epsilon (empty->share_a[0], 0.5, EPS);

  {
    const gint bad[] = { 5 };
    GlDrift *none = gl_drift_compute_from_labels (a, 4, bad, 1, 2, &error);
    g_assert_null (none);
    g_assert_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "Window B"));
  }
}

static void
test_drift_confidence (void)
{
  /* A: both predicted 0 with confidences 0.9 and 0.7 → mean 0.8, class 1 none.
   * B: one 0 at 0.6, one 1 at 0.8. Shift of class 0: −0.2; of class 1: NaN. */
  const float a[] = { 0.9f, 0.1f, 0.7f, 0.3f };
  const float b[] = { 0.6f, 0.4f, 0.2f, 0.8f };
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDrift) d = gl_drift_compute (a, 2, b, 2, 2, &error);

  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (d->confidence_a[0], 0.8, EPS);
  g_assert_true (isnan (d->confidence_a[1]));
  g_assert_cmpfloat_with_epsilon (d->confidence_b[0], 0.6, EPS);
  g_assert_cmpfloat_with_epsilon (d->confidence_b[1], 0.8, EPS);
  g_assert_cmpfloat_with_epsilon (d->confidence_shift[0], -0.2, EPS);
  g_assert_true (isnan (d->confidence_shift[1]));
  g_assert_cmpfloat_with_epsilon (d->share_a[0], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (d->share_b[0], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (d->psi, 4.60431846666895, 1e-5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/confusion-f1", test_confusion_and_f1);
  g_test_add_func ("/metrics/class-without-support", test_class_without_support);
  g_test_add_func ("/metrics/empty", test_empty_input);
  g_test_add_func ("/metrics/invalid", test_invalid_input);
  g_test_add_func ("/metrics/ece", test_ece);
  g_test_add_func ("/metrics/variant", test_variant_round_trip);
  g_test_add_func ("/metrics/drift-labels", test_drift_labels);
  g_test_add_func ("/metrics/drift-confidence", test_drift_confidence);
  return g_test_run ();
}
