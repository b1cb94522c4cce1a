/* gl-drift-omnibus.h — one calibrated window-wide drift test: the smallest
 * p-value of several tests, its null distribution drawn from the reference.
 *
 * A window is compared with the reference by several window-wide tests at
 * once, each sensitive to another kind of shift:
 *   - BBSD: two-sample KS on each softmax column (Lipton et al. 2018,
 *     Rabanser et al. 2019), K tests;
 *   - KS on the top-class probability (confidence moves first under
 *     rotation, noise, blur);
 *   - Pearson's chi-square test of homogeneity of the predicted classes'
 *     counts (prior shifts).
 * Combining them by Bonferroni pays for K + 2 tests although the softmax
 * columns sum to one and move together (BBSD alone with Bonferroni over its
 * K columns has about half its nominal false-alarm rate on the drift bench).
 * Instead the statistic is their smallest p-value, minP (Westfall & Young
 * 1993, "Resampling-based multiple testing", ch. 2), and its null
 * distribution is simulated: the reference is split at random into a
 * comparison part R2 (three quarters: the window's tests lose little power
 * against the whole reference) and a calibration part R1 (a quarter, enough
 * to stand for the reference's distribution); the window and @n_draws
 * windows of the same size drawn from R1 (with replacement: a bootstrap of
 * the reference's distribution) are each compared with R2, and the p-value is
 * (1 + #{null minP ≤ observed minP}) / (1 + n_draws). The draws and the
 * window are alike under no shift (both independent of R2, from the
 * reference's distribution, as far as R1 represents it), so the test holds
 * its level given the reference, dependence between the tests included.
 * Its resolution is 1 / (1 + n_draws).
 *
 * Plain arrays, no state; any thread.
 */
#pragma once

#include "engine/gl-drift-verdict.h"

#include <glib.h>

G_BEGIN_DECLS

/* Plain values, filled by gl_drift_omnibus_test. */
typedef struct
{
  double min_p;      /* the window's smallest p-value against R2 */
  gint which;        /* its test: 0…K−1 a softmax column, K confidence, K + 1 chi-square */
  double p_value;    /* calibrated, in [1 / (1 + n_draws), 1] */
  guint64 n_compare; /* |R2| */
  guint64 n_calib;   /* |R1| */
  guint n_draws;
} GlDriftOmnibus;

/* The calibrated minP test of @window against @reference (probabilities
 * only; the embedding is not used). Fewer than 4 reference rows or an empty
 * window: p 1, min_p 1, which −1. @seed: the split and the draws. */
void gl_drift_omnibus_test (const GlDriftSample *reference, const GlDriftSample *window, guint n_draws,
                            guint64 seed, GlDriftOmnibus *out);

G_END_DECLS
