/* gl-drift-domain.h — which images of a drifted window are of the new kind,
 * and which of them to label first.
 *
 * DOMAIN SCORE (k-nearest-neighbour density ratio, the k-NN form of a domain
 * classifier; Wang, Kulkarni & Verdú 2009 for the k-NN divergence estimate,
 * Rabanser et al. 2019 §3 for the domain classifier as a shift detector):
 * for each window image x, among its k nearest neighbours in the reference
 * and the window together (itself excluded), k_W from the window and k_R from
 * the reference. The density ratio of the window to the reference at x is
 * estimated as r = (k_W / (n_W − 1)) / ((k_R + 1) / n_R) (add-one on the
 * reference: no division by zero). When the window is a mixture π·p_ref +
 * (1 − π)·p_new, the probability that x comes from the new part is
 * 1 − π / r ≥ 1 − 1 / r; the score is that bound, max (0, 1 − 1 / r), in
 * [0, 1): 0 where the reference explains the window's density, near 1 where
 * the window holds images the reference has no counterpart for.
 *
 * PRIORITY: the probability that the model cannot be trusted on x, as far
 * as we can tell: s + (1 − s)·(1 − confidence), where s is the domain score
 * and the confidence the calibrated top-class probability (which holds only
 * on the reference's kind of image).
 *
 * DIVERSITY (k-center greedy, Sener & Savarese 2018, weighted): the
 * reference counts as already covered; each step takes the candidate with
 * the largest priority × distance to the nearest covered point (reference or
 * taken before), in units of the reference's median nearest-neighbour
 * distance, and records that gain. Labels drawn in decreasing gain cover the
 * drifted region (the new kind of images, each class of it) instead of
 * piling up in its densest corner; gains of different windows are in the
 * same units, so merging windows by gain keeps that order.
 *
 * Plain arrays, shapes given; no state. Any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @scores (n_win) ← the domain score of each window row; @nearest_ref
 * (n_win, may be NULL) ← its distance to the nearest reference row.
 * @ref (n_ref, dim), @win (n_win, dim); @k neighbours (clamped to
 * n_ref + n_win − 1). All scores 0 when either set is empty. */
void gl_drift_domain_scores (const float *ref, gsize n_ref, const float *win, gsize n_win, guint dim, guint k,
                             double *scores, double *nearest_ref);

/* The reference's median nearest-neighbour distance (over at most 512 of its
 * rows, evenly spaced), the unit of the gains; 0 for fewer than 2 rows. */
double gl_drift_domain_spacing (const float *ref, gsize n_ref, guint dim);

/* Weighted k-center greedy over @n rows of @x (n, dim) with @priority (n)
 * and @covered (n: distance to the nearest already-covered point, e.g. the
 * reference); @spacing > 0 the distance unit. @order (n) ← the rows in the
 * order taken, @gain (n, by row) ← priority × distance when taken. */
void gl_drift_domain_greedy (const float *x, gsize n, guint dim, const double *priority, const double *covered,
                             double spacing, gsize *order, double *gain);

G_END_DECLS
