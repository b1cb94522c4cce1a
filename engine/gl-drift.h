/* gl-drift.h — two-sample drift statistics, one function per method.
 *
 * Every function takes plain arrays with their shapes and has no hidden state;
 * the random ones take a seed. A degenerate input (an empty sample, a single
 * value, a class nothing was predicted as) gives a defined result, never NaN
 * where a p-value or a statistic is returned: a test without data returns the
 * statistic 0 and the p-value 1 ("no evidence"), and the caller decides from
 * the sample sizes (which every function reports or takes) whether that means
 * "insufficient data".
 *
 * Class-share comparison of two windows (GlDrift, moved here from
 * gl-metrics.c):
 *   share[c]      = count[c] / n
 *   psi           = Σ_c (b_c − a_c) ln (b_c / a_c), with shares floored at
 *                   GL_DRIFT_SHARE_FLOOR so that an empty class stays finite
 *   js            = Jensen–Shannon divergence of the raw shares, base 2, in [0, 1]
 *   confidence[c] = mean top-class probability of the items predicted as c
 *                   (NaN when none; only from probabilities)
 *   confidence_shift[c] = confidence_b[c] − confidence_a[c]
 * An empty window makes every statistic of GlDrift that needs it NaN (the
 * store keeps it as NULL).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GL_DRIFT_SHARE_FLOOR 1e-4

/* Owned by the caller of gl_drift_compute (free with gl_drift_free), arrays
 * included; one thread at a time. */
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
GlDrift *gl_drift_compute (const float *probs_a, gsize n_a, const float *probs_b, gsize n_b, guint n_classes,
                           GError **error);
/* From labels (human or predicted) of window A (@labels_a: (n_a)) and B
 * (@labels_b: (n_b)); the confidence fields are NaN. */
GlDrift *gl_drift_compute_from_labels (const gint *labels_a, gsize n_a, const gint *labels_b, gsize n_b,
                                       guint n_classes, GError **error);

/* Population stability index of two share vectors (@share_a, @share_b: (k),
 * each summing to 1), shares floored at GL_DRIFT_SHARE_FLOOR:
 * Σ_c (b_c − a_c) ln (b_c / a_c) (Siddiqi 2006, "Credit risk scorecards",
 * ch. 8). @terms: (k) each class's term, or NULL. Always finite and ≥ 0. */
double gl_drift_psi (const double *share_a, const double *share_b, guint k, double *terms);

/* Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) for a > 0,
 * x ≥ 0 (series for x < a + 1, Legendre's continued fraction otherwise);
 * the tail of the chi-square (Q(df/2, x/2)) and gamma distributions. */
double gl_drift_gamma_q (double a, double x);

/* Two-sample Kolmogorov–Smirnov test (Smirnov 1939), two-sided:
 * D = sup_x |F_a(x) − F_b(x)| over the pooled values (ties handled as in
 * scipy.stats.ks_2samp). The p-value P(D ≥ d) under H0 is exact when
 * n_a · n_b ≤ GL_DRIFT_KS_EXACT_MAX (lattice-path recursion, Hodges 1958),
 * else Kolmogorov's limit with Stephens' (1970) small-sample correction:
 * Q_KS((√m + 0.12 + 0.11/√m) D), m = n_a n_b / (n_a + n_b). @a: (n_a),
 * @b: (n_b), not modified. Either sample empty: D = 0, p = 1. */
#define GL_DRIFT_KS_EXACT_MAX 10000
double gl_drift_ks_two_sample (const double *a, gsize n_a, const double *b, gsize n_b, double *p_value);
/* The same test of samples already sorted ascending (@sa: (n_a), @sb: (n_b)). */
double gl_drift_ks_sorted (const double *sa, gsize n_a, const double *sb, gsize n_b, double *p_value);
/* The two p-value forms on their own (for tests): P(D ≥ @d) for sizes n_a, n_b. */
double gl_drift_ks_p_exact (gsize n_a, gsize n_b, double d);
double gl_drift_ks_p_asymptotic (gsize n_a, gsize n_b, double d);

/* Exact binomial test of @k successes in @n trials against success
 * probability @p (Clopper & Pearson's setting; two-sided p-value as in
 * scipy.stats.binomtest: the total probability of outcomes no more likely
 * than @k, relative tolerance 1e-7). n = 0: 1. */
double gl_drift_binomial_test (guint64 k, guint64 n, double p);
/* One-sided upper tail P(X ≥ @k) for X ~ Binomial(@n, @p). */
double gl_drift_binomial_upper (guint64 k, guint64 n, double p);

/* Pearson's chi-square goodness-of-fit test (Pearson 1900) of @observed
 * counts (k) against @expected_share (k, summing to 1): X² = Σ (o − e)² / e
 * with e = n · share, over the classes with e > 0; df = (those classes) − 1.
 * A count in a class of expected share 0 makes X² infinite and p 0 (report
 * the floored share instead to avoid that). n = 0 or df = 0: X² = 0, p = 1.
 * @df may be NULL. */
double gl_drift_chi_square_gof (const guint64 *observed, const double *expected_share, guint k, guint *df,
                                double *p_value);

/* Fisher's exact test (Fisher 1922) of the 2 × 2 table (@a_in of @n_a)
 * against (@b_in of @n_b): under H0 (one share) b_in is hypergeometric given
 * the margins; two-sided p-value as in scipy.stats.fisher_exact (outcomes no
 * more likely than the observed one, relative tolerance 1e-7). The
 * two-sample form of the binomial test: it carries the reference's own
 * sampling error. n_a or n_b 0: 1. */
double gl_drift_fisher_exact (guint64 a_in, guint64 n_a, guint64 b_in, guint64 n_b);
/* The one-sided form: with X the window's count (hypergeometric given the
 * margins of (@a_in of @n_a) against (@b_in of @n_b)), P(X ≤ b_in) when
 * @lower (the window has fewer than the reference's share), else
 * P(X ≥ b_in); as scipy.stats.fisher_exact([[b_in, n_b − b_in], [a_in,
 * n_a − a_in]], alternative = "less" when @lower, else "greater"). n_a or
 * n_b 0: 1. */
double gl_drift_fisher_one_sided (guint64 a_in, guint64 n_a, guint64 b_in, guint64 n_b, gboolean lower);

/* Pearson's chi-square test of homogeneity of two count vectors @count_a,
 * @count_b (k) (the 2 × k contingency table, no continuity correction):
 * X² = Σ (o − e)² / e with e = row total × column total / n, over the
 * classes seen in either; df = (those classes) − 1. The two-sample form of
 * the goodness-of-fit test. A sample empty or df = 0: X² = 0, p = 1. */
double gl_drift_chi_square_homogeneity (const guint64 *count_a, const guint64 *count_b, guint k, guint *df,
                                        double *p_value);

/* Multiple-comparison corrections of @p (n) into @adjusted (n; may be @p):
 * Bonferroni (min(1, n p)) and Holm's step-down (Holm 1979): sorted
 * ascending, p'_(i) = max_{j ≤ i} min(1, (n − j + 1) p_(j)). Rejecting where
 * adjusted ≤ α controls the family-wise error rate at α. */
void gl_drift_bonferroni (const double *p, gsize n, double *adjusted);
void gl_drift_holm (const double *p, gsize n, double *adjusted);

/* A seeded Gaussian random projection (Johnson–Lindenstrauss; Achlioptas
 * 2003) of @x: (n, dim) into @out: (n, out_dim), entries N(0, 1/out_dim).
 * The same seed and dims give the same matrix, so a reference and a window
 * projected separately are comparable. */
void gl_drift_random_projection (const float *x, gsize n, guint dim, guint out_dim, guint64 seed, float *out);

/* Maximum mean discrepancy with the Gaussian (RBF) kernel
 * k(u, v) = exp(−‖u − v‖² / (2 σ²)) (Gretton et al. 2012, "A kernel
 * two-sample test", eq. 5, the biased V-statistic):
 * MMD² = mean k(x, x') + mean k(y, y') − 2 mean k(x, y). @x: (n_x, dim),
 * @y: (n_y, dim). Either sample empty: 0. */
double gl_drift_mmd_rbf (const float *x, gsize n_x, const float *y, gsize n_y, guint dim, double sigma);
/* The median heuristic for σ: the median distance between distinct pooled
 * points (Gretton et al. 2012, §8); 1 when there are fewer than 2 points or
 * all coincide. */
double gl_drift_median_bandwidth (const float *x, gsize n_x, const float *y, gsize n_y, guint dim);
/* The MMD² permutation test: σ by the median heuristic, @n_perm seeded
 * relabellings of the pooled sample; the p-value is the upper tail of a
 * gamma distribution fitted to the permutation statistics by moments
 * (Gretton et al. 2009, "A fast, consistent kernel two-sample test", §3),
 * which resolves p-values below 1/n_perm, and never less than a fraction of
 * the plain permutation p-value (1 + #{perm ≥ obs}) / (1 + n_perm) when that
 * one is large. Fewer than 2 points in a sample: MMD² 0, p 1. */
double gl_drift_mmd_test (const float *x, gsize n_x, const float *y, gsize n_y, guint dim, guint n_perm,
                          guint64 seed, double *p_value);

/* The @q-th percentile (0…100) of @values (n; reordered in place) with
 * linear interpolation between order statistics (numpy's default). n = 0: 0. */
double gl_drift_percentile (double *values, gsize n, double q);

/* The squared Euclidean distance of @u and @v, @dim wide, in double. */
double gl_drift_squared_distance (const float *u, const float *v, guint dim);

/* Novelty rate: the share of @window rows farther (Euclidean) from the
 * centroid of @reference than the reference's @q-th percentile distance
 * (q = 99: 1% of the reference lies beyond it). @reference: (n_ref, dim),
 * @window: (n_win, dim). @threshold: the distance (may be NULL); @p_value:
 * the one-sided binomial tail of the count beyond it against (100 − q)%
 * (may be NULL). Either sample empty: rate 0, p 1. */
double gl_drift_novelty_rate (const float *reference, gsize n_ref, const float *window, gsize n_win,
                              guint dim, double q, double *threshold, double *p_value);

/* Conformal outlier count (Bates, Candès, Lei, Romano & Sesia 2023,
 * "Testing for outliers with conformal p-values"): each window item i of
 * group g (e.g. its predicted class) gets the conformal p-value
 * u_i = (1 + #{reference items of g with score ≥ s_i}) / (1 + n_g), a
 * larger score being more outlying; it is an outlier when u_i ≤ @t. When
 * the window is drawn like the reference, P(u_i ≤ t) ≤ t for every item, so
 * the upper binomial tail P(Bin(n_win, t) ≥ count) is the p-value of "no
 * more outliers than the reference has" (the u_i share the reference, a
 * positive dependence that leaves the per-item bound exact and widens the
 * count's spread a little when groups are small: the bench measures the
 * false-alarm rate). A group with fewer than 1/t − 1 reference items can
 * give no u_i ≤ t: its items never count. It is the contamination test: a
 * shift that moves a fraction ε of the window out of the reference's tails
 * raises the count from n·t to about n·(t + ε), which at small ε is far
 * stronger evidence than the distribution-wide KS or MMD statistics.
 * @ref_score, @ref_group (n_ref), @win_score, @win_group (n_win), groups
 * < @n_groups; @count (may be NULL) ← the outliers. Returns the outlier
 * rate count / n_win (0 when n_win = 0, p 1). */
double gl_drift_conformal_outliers (const double *ref_score, const guint *ref_group, gsize n_ref,
                                    const double *win_score, const guint *win_group, gsize n_win, guint n_groups,
                                    double t, guint64 *count, double *p_value);

/* Confidence-based performance estimation of one class's precision without
 * labels (NannyML's CBPE; the expected-accuracy idea of Guillory et al.
 * 2021): with calibrated probabilities, an item predicted as @cls is right
 * with probability p_cls, so precision ≈ mean p_cls over the items predicted
 * as @cls, with standard error √(Σ p (1 − p)) / n (a Poisson-binomial mean).
 * @probs: (n, k). Nothing predicted as @cls: estimate 0, std error 0 and
 * *n_predicted 0. */
double gl_drift_cbpe_precision (const float *probs, gsize n, guint k, guint cls, double *std_error,
                                guint64 *n_predicted);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDrift, gl_drift_free)

G_END_DECLS
