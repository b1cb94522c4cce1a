/* gl-drift-omnibus.h — one calibrated window-wide drift test: the smallest
 * p-value of several tests, its null distribution by permutation.
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
 * distribution is that of a permutation test: the reference and the window
 * are pooled and split at random @n_draws times into a reference and a
 * window of the same sizes, and the p-value is
 * (1 + #{permuted minP ≤ observed minP}) / (1 + n_draws). Under no shift the
 * window and the reference are exchangeable, so the test holds its level
 * exactly, dependence between the tests included, and it compares against
 * the whole reference. (A first version drew the null windows from a
 * quarter of the reference and compared with the rest: that null carries
 * the quarter's own sampling error, 1/n1 beside the window's 1/n, and was
 * conservative at n = 500 — it lost blur and rotation 10° at 10% there.)
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
  double min_p;      /* the window's smallest p-value against the reference */
  gint which;        /* its test: 0…K−1 a softmax column, K confidence, K + 1 chi-square */
  double p_value;    /* permutation p-value, in [1 / (1 + n_draws), 1] */
  guint64 n_ref;     /* reference rows compared with */
  guint n_draws;
} GlDriftOmnibus;

/* The calibrated minP test of @window against @reference (probabilities
 * only; the embedding is not used). Fewer than 2 reference rows or an empty
 * window: p 1, min_p 1, which −1. @seed: the split and the draws. */
void gl_drift_omnibus_test (const GlDriftSample *reference, const GlDriftSample *window, guint n_draws,
                            guint64 seed, GlDriftOmnibus *out);

G_END_DECLS
