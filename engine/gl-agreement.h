/* gl-agreement.h — agreement between annotators and consensus labels.
 *
 * Several annotators label the same images; these functions say how far they
 * agree beyond chance, and which label the team's labels support.
 *
 * Every function works on plain arrays:
 *   labels  (n_items, n_raters)  row-major class indices 0 … k-1, or
 *                                GL_AGREEMENT_MISSING where an annotator did
 *                                not label an item
 *   table   (k, k)               counts: row = annotator A's class, column = B's
 * and has no hidden state. Pure compute: no I/O, any thread. A random
 * generator is seeded by the caller (bootstrap), so a seed gives the same
 * interval on every run.
 *
 * Statistics:
 *   gl_agreement_kappa        Cohen's κ (Cohen 1960) for a pair, with the
 *                             asymptotic standard error of Fleiss, Cohen and
 *                             Everitt (1969) and a normal 95% interval
 *   gl_agreement_alpha        Krippendorff's α for nominal data, any number of
 *                             annotators, missing values allowed (Krippendorff,
 *                             "Computing Krippendorff's Alpha-Reliability",
 *                             2011, §C), with a percentile bootstrap over items
 * Each overall, or per class one-vs-rest (the class against all others, as
 * binary nominal data). "Undefined" (NaN) is a result, not an error: with no
 * expected disagreement (everybody used one class) agreement cannot be told
 * from chance.
 *
 * Consensus (one class per item):
 *   gl_agreement_majority     the most frequent label; ties are reported as
 *                             ties, never broken silently
 *   gl_agreement_weights      each annotator's accuracy on reference labels,
 *                             shrunk towards the team's, and its log-odds weight
 *   gl_agreement_weighted     the class of highest posterior under a model of
 *                             uniform label noise per annotator (the weighted
 *                             vote of Dawid and Skene 1979 with known
 *                             confusion, Nitzan and Paroush 1982)
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An annotator did not label the item. Any negative value counts as missing. */
#define GL_AGREEMENT_MISSING (-1)

/* Below this many items shared by a pair (κ) or rated by at least two
 * annotators (α), the estimate is reported as "not enough overlap" by the
 * callers: the normal interval of κ is far from its nominal coverage, and a
 * bootstrap over so few items says little. */
#define GL_AGREEMENT_MIN_OVERLAP 20

/* The bootstrap resamples of gl_agreement_alpha when asked for 0. */
#define GL_AGREEMENT_DEFAULT_BOOT 1000

/* The pseudo-count of the shrinkage of gl_agreement_weights: an annotator's
 * accuracy counts as much as this many reference labels at the team's
 * accuracy, plus their own. */
#define GL_AGREEMENT_DEFAULT_PRIOR_STRENGTH 20.0

/* One agreement estimate. Filled by the functions below (caller-owned, any
 * thread; plain values, nothing to free). */
typedef struct
{
  double value;  /* κ or α; NaN when undefined (no expected disagreement) or no items */
  double ci_low; /* 95% confidence interval; NaN when undefined */
  double ci_high;
  double se; /* standard error: asymptotic (κ) or the bootstrap's standard deviation (α); NaN if undefined */
  guint64 n_items;  /* items used: labeled by both annotators (κ) / by ≥ 2 annotators (α) */
  guint64 n_values; /* labels used: 2 · n_items (κ) / pairable values (α) */
  guint n_boot;     /* bootstrap resamples that gave a defined α (0 for κ) */
} GlAgreement;

/* Cohen's κ from a (k, k) table of counts: κ = (p_o − p_e) / (1 − p_e) with
 * p_e = Σ p_i. p_.i. Its variance (Fleiss, Cohen and Everitt 1969, eq. 13):
 *   var κ = { Σ_i p_ii [(1 − p_e) − (p_.i + p_i.)(1 − p_o)]²
 *             + (1 − p_o)² Σ_{i≠j} p_ij (p_.i + p_j.)²
 *             − (p_o p_e − 2 p_e + p_o)² } / (n (1 − p_e)⁴),
 * the interval κ ± 1.959964 · se. When that variance is 0 but κ < 1 (one
 * annotator gave one answer only, so κ is 0 by construction) the interval
 * and se are NaN: there is no information on the agreement. */
void gl_agreement_kappa_table (const guint64 *table, guint k, GlAgreement *out);

/* Cohen's κ between annotators @r and @s (columns of @labels, (n_items,
 * n_raters)) on the items both labeled. @klass −1: over all k classes;
 * 0 … k-1: that class against the rest (a 2 × 2 table). */
void gl_agreement_kappa (const gint *labels, gsize n_items, guint n_raters, guint r, guint s, guint k,
                         gint klass, GlAgreement *out);

/* Krippendorff's α for nominal data, from the coincidence matrix:
 *   α = 1 − (n − 1) Σ_{c≠c'} o_cc' / Σ_{c≠c'} n_c n_c',
 * o_cc' = Σ_u (pairs of values c, c' in item u) / (m_u − 1), over the items
 * with m_u ≥ 2 values (the others are not pairable), n = Σ m_u. The
 * interval: percentile bootstrap over the pairable items (@n_boot resamples,
 * 0 = GL_AGREEMENT_DEFAULT_BOOT; from @seed), the same resamples for every
 * class. @overall: all classes. @per_class (k, may be NULL): each class
 * against the rest. */
void gl_agreement_alpha (const gint *labels, gsize n_items, guint n_raters, guint k, guint n_boot,
                         guint64 seed, GlAgreement *overall, GlAgreement *per_class);

/* The 95% Wilson score interval of a proportion @x / @n (NaN when n = 0). */
void gl_agreement_wilson (guint64 x, guint64 n, double *low, double *high);

/* The consensus of one item. Caller-owned; plain values. */
typedef struct
{
  gint klass;     /* the consensus class; −1 on a tie or without labels */
  guint n_votes;  /* annotators who labeled the item */
  guint n_tied;   /* classes with the highest count / score: 1 = a winner, ≥ 2 = a tie, 0 = no labels */
  double support; /* majority: share of the votes for the (each tied) class; weighted: the posterior of klass
                   * (of each tied class on a tie) under the noise model with a uniform class prior */
} GlConsensus;

/* The majority label of each item. @out: (n_items). */
void gl_agreement_majority (const gint *labels, gsize n_items, guint n_raters, guint k, GlConsensus *out);

/* For each annotator r, @correct[r] of @audited[r] labels on reference
 * images agreed with the reference. Accuracy, shrunk towards the team's
 * pooled accuracy a₀ = Σ correct / Σ audited by a Beta prior of strength
 * @prior_strength (≤ 0: GL_AGREEMENT_DEFAULT_PRIOR_STRENGTH):
 *   a_r = (correct_r + m a₀) / (audited_r + m), kept within [0.001, 0.999],
 * and the weight w_r = log(k − 1) + log(a_r / (1 − a_r)): the log-likelihood
 * ratio of one vote when a wrong label is uniform over the other k − 1
 * classes (0 at chance, a_r = 1/k; kept at 0 below chance, where the
 * annotator's labels carry no usable evidence). Without any reference
 * label in the team, every a_r is NaN and every weight 1 (the majority).
 * @accuracy, @weights: (n_raters), out. */
void gl_agreement_weights (const guint64 *correct, const guint64 *audited, guint n_raters, guint k,
                           double prior_strength, double *accuracy, double *weights);

/* The weighted consensus of each item: the class c of highest score
 * Σ_{r voted c} w_r (the log posterior up to a constant); a tie when two
 * classes are within 1e-9. @weights (n_raters); @out: (n_items). */
void gl_agreement_weighted (const gint *labels, gsize n_items, guint n_raters, guint k, const double *weights,
                            GlConsensus *out);

G_END_DECLS
