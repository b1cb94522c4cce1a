/* gl-calibrate.h — temperature scaling of a classifier's outputs.
 *
 * Guo, Pleiss, Sun & Weinberger 2017, "On calibration of modern neural
 * networks", §4.2: one scalar T > 0 divides the logits, softmax(z / T); T is
 * fitted on held-out (validation) labels by minimising the negative
 * log-likelihood. The arg-max, hence accuracy, is unchanged. Log-probabilities
 * are valid logits (softmax is shift-invariant), so a model that only gives
 * probabilities is calibrated through log p.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Search range of T. */
#define GL_CALIBRATE_T_MIN 0.05
#define GL_CALIBRATE_T_MAX 20.0

/* Mean NLL of @labels (n, in [0, k)) under softmax(@logits / @t); @logits:
 * (n, k). n = 0: 0. */
double gl_calibrate_nll (const float *logits, const gint *labels, gsize n, guint k, double t);
/* The T in [GL_CALIBRATE_T_MIN, GL_CALIBRATE_T_MAX] minimising the mean NLL
 * (golden-section search on ln T, where the NLL is unimodal: it is convex in
 * 1/T). @nll_before (T = 1) and @nll_after may be NULL. n = 0 or k < 2:
 * T = 1 (nothing to fit). */
double gl_calibrate_fit_temperature (const float *logits, const gint *labels, gsize n, guint k,
                                     double *nll_before, double *nll_after);
/* softmax(@logits / @t) into @probs (n, k; may be @logits), max subtracted first. */
void gl_calibrate_apply_temperature (const float *logits, gsize n, guint k, double t, float *probs);
/* ln of @probs (n, k) into @logits (may be @probs), floored at 1e-30 so
 * a zero probability stays finite. */
void gl_calibrate_logits_from_probs (const float *probs, gsize n, guint k, float *logits);

G_END_DECLS
