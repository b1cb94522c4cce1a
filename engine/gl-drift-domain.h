/* gl-drift-domain.h — which images of a drifted window are of the new kind,
 * and in what order to label them.
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
 * ALLOCATION (proportional, over clusters): the candidates are clustered by
 * k-means (Lloyd, seeded by evenly spaced rows, so deterministic and
 * following the density); a cluster's weight is the sum of its members'
 * priorities, the number of images in it the model is expected to get
 * wrong. Its members, most typical first (nearest the centre: TypiClust,
 * Hacohen, Dekel & Weinshall 2022, picks the typical point of each cluster in
 * the low-budget regime), get the D'Hondt quotients weight/1, weight/2, …
 * Labels drawn in decreasing quotient are shared among the clusters in
 * proportion to their weight, one typical image of each heavy cluster first:
 * a compact new class gets its share beside a new kind spread wide, instead
 * of a few picks at its edge (what a farthest-first cover gives it). The
 * quotients of different windows are in the same unit (images), so merging
 * windows by quotient shares the labels among their clusters alike.
 *
 * Plain arrays, shapes given; no state. Any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Window rows among which a window row's own neighbours are counted (every
 * step-th row of a larger window), and the most clusters of an allocation:
 * bounds on the work for a large import batch. */
#define GL_DRIFT_DOMAIN_WINDOW_SAMPLE 2048
#define GL_DRIFT_DOMAIN_MAX_CLUSTERS 64

/* @scores (n_win) ← the domain score of each window row. @ref (n_ref, dim),
 * @win (n_win, dim); @k neighbours (clamped to the rows there are). A window
 * of more than GL_DRIFT_DOMAIN_WINDOW_SAMPLE rows counts a row's window
 * neighbours among every step-th row only (n_W: their number). All scores 0
 * when either set is empty or the window has one row. */
void gl_drift_domain_scores (const float *ref, gsize n_ref, const float *win, gsize n_win, guint dim, guint k,
                             double *scores);

/* ALLOCATION of @n rows of @x (n, dim) with @priority (n) into @n_clusters
 * clusters (clamped to 1…min (n, GL_DRIFT_DOMAIN_MAX_CLUSTERS)): @gain (n) ← each row's quotient, @cluster (n,
 * may be NULL) ← its cluster. @dim 0: each row its own cluster (@x unread). */
void gl_drift_domain_allocate (const float *x, gsize n, guint dim, const double *priority, guint n_clusters,
                               double *gain, guint *cluster);

G_END_DECLS
