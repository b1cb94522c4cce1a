/* gl-confident.h — confident learning: finding label errors from
 * out-of-sample predicted probabilities (Northcutt, Jiang and Chuang,
 * "Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 70,
 * 2021). cleanlab is the reference implementation; this follows the paper.
 *
 * Every function works on plain arrays:
 *   labels   (n)             the given (noisy) label of each example, 0 … k-1
 *   probs    (n, k)          row-major out-of-sample probabilities, rows sum to 1
 *   thresholds (k)           per-class thresholds t_j
 *   joint    (k, k)          row i = given label, column j = likely true label
 * and has no hidden state. Pure compute: no I/O, any thread.
 *
 * The steps, in order (gl_confident_find runs them all):
 *   1. gl_confident_thresholds          t_j = mean p_j over examples labeled j   (§3.1, eq. 2)
 *   2. gl_confident_joint               C[i][j]: labeled i, confidently j        (§3.1, eq. 1)
 *   3. gl_confident_calibrate           Q[i][j]: C rescaled to the label counts  (§3.1, eq. 3)
 *   4. the flagged set, by one of the paper's pruning rules (GlConfidentFilter):
 *      gl_confident_prune_by_noise_rate the n·Q[i][j] examples labeled i with the
 *                                       largest margin p_j − p_i                 (§3.2, "Prune by Noise
 * Rate")
 *      gl_confident_prune_by_class      the n·Σ_{j≠i} Q[i][j] examples labeled i
 *                                       with the lowest p_i                      (§3.2, "Prune by Class")
 *      both                             the examples both rules flag             (§3.2, "Both")
 *   5. gl_confident_scores              ranking: self-confidence or normalised
 *                                       margin                                   (§3.2, "rank by")
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  /* quality = p_y, the probability of the given label (§3.2: rank by self-confidence) */
  GL_CONFIDENT_RANK_SELF_CONFIDENCE,
  /* quality = (p_y − max_{j≠y} p_j + 1) / 2 (§3.2: rank by normalised margin) */
  GL_CONFIDENT_RANK_NORMALIZED_MARGIN,
} GlConfidentRank;

const char *gl_confident_rank_to_string (GlConfidentRank rank);
gboolean gl_confident_rank_from_string (const char *text, GlConfidentRank *rank);

/* Which examples are flagged (§3.2). cleanlab's filter_by has the same three
 * (prune_by_noise_rate, prune_by_class, both). */
typedef enum
{
  GL_CONFIDENT_FILTER_NOISE_RATE, /* gl_confident_prune_by_noise_rate */
  GL_CONFIDENT_FILTER_CLASS,      /* gl_confident_prune_by_class */
  GL_CONFIDENT_FILTER_BOTH,       /* flagged by both: fewer, surer */
} GlConfidentFilter;

/* "prune-by-noise-rate", "prune-by-class", "both". */
const char *gl_confident_filter_to_string (GlConfidentFilter filter);
gboolean gl_confident_filter_from_string (const char *text, GlConfidentFilter *filter);

/* §3.1 eq. 2: t_j = (1 / |X_{ỹ=j}|) Σ_{x ∈ X_{ỹ=j}} p̂(ỹ=j; x), the mean
 * self-confidence of the examples labeled j. A class with no example gets
 * t_j = +∞ (no example is ever confidently in it). Labels outside 0…k-1
 * are ignored. @counts (k, may be NULL): out, examples per given label. */
void gl_confident_thresholds (const gint *labels, const float *probs, gsize n, guint k, double *thresholds,
                              guint64 *counts);

/* §3.1 eq. 1: the confident joint. Example x labeled i counts in C[i][j]
 * when p̂(j; x) ≥ t_j; when several classes pass their threshold, j is the
 * one of largest probability among them (the paper's argmax tie-break).
 * Examples with no class above its threshold are not counted.
 * @joint: (k, k) out. @confident: (n) out, may be NULL: the j of each
 * example, or -1 when it was not counted. */
void gl_confident_joint (const gint *labels, const float *probs, gsize n, guint k, const double *thresholds,
                         guint64 *joint, gint *confident);

/* §3.1 eq. 3: the calibrated joint. Each row of C is rescaled so that it sums
 * to the number of examples with that given label, then the whole matrix is
 * divided by n: Q[i][j] = C[i][j] / Σ_j' C[i][j'] · |X_{ỹ=i}| / n. A row of C
 * that is all zero is taken as the diagonal (no evidence of noise).
 * @counts: (k) examples per given label. @calibrated: (k, k) out, sums to 1
 * (when n > 0). */
void gl_confident_calibrate (const guint64 *joint, const guint64 *counts, guint k, double *calibrated);

/* §3.2 "Prune by Noise Rate": for every off-diagonal cell (i, j), the
 * round(n · Q[i][j]) examples labeled i with the largest margin
 * p̂(j; x) − p̂(i; x) are flagged (an example is flagged once whichever cell
 * picks it). Then, as cleanlab does, an example whose given label is its
 * argmax prediction is not flagged. @flagged: (n) out. Returns how many are
 * flagged. */
gsize gl_confident_prune_by_noise_rate (const gint *labels, const float *probs, gsize n, guint k,
                                        const double *calibrated, gboolean *flagged);

/* §3.2 "Prune by Class": for every class i, the round(n · Σ_{j≠i} Q[i][j])
 * examples labeled i with the lowest self-confidence p̂(i; x) are flagged
 * (ties: the smaller index); then, as in prune by noise rate, an example whose
 * given label is its argmax prediction is not flagged. @flagged: (n) out.
 * Returns how many are flagged. */
gsize gl_confident_prune_by_class (const gint *labels, const float *probs, gsize n, guint k,
                                   const double *calibrated, gboolean *flagged);

/* §3.2: the label quality of each example, lower = more likely wrong, in
 * [0, 1] (see GlConfidentRank). @quality: (n) out. */
void gl_confident_scores (const gint *labels, const float *probs, gsize n, guint k, GlConfidentRank rank,
                          double *quality);

/* The most likely other class of each example: argmax_{j ≠ label} p̂(j; x)
 * (ties: the smaller j). @suggested: (n) out. */
void gl_confident_suggest (const gint *labels, const float *probs, gsize n, guint k, gint *suggested);

/* Orders 0 … n-1 by quality, lowest first (ties: the smaller index).
 * @order: (n) out. */
void gl_confident_order (const double *quality, gsize n, gsize *order);

/* The whole method: thresholds, joint, calibration, pruning by @filter and
 * scores. Any output may be NULL except @flagged and @quality. Returns the
 * number flagged. */
typedef struct
{
  double *thresholds; /* (k) */
  guint64 *joint;     /* (k, k) */
  double *calibrated; /* (k, k) */
  gboolean *flagged;  /* (n) */
  double *quality;    /* (n) */
  gint *suggested;    /* (n) */
} GlConfidentResult;

gsize gl_confident_find (const gint *labels, const float *probs, gsize n, guint k, GlConfidentFilter filter,
                         GlConfidentRank rank, const GlConfidentResult *out);

G_END_DECLS
