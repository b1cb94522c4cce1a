/* test-drift.c — the drift statistics (gl-drift.h), ADWIN (gl-adwin.h),
 * temperature scaling (gl-calibrate.h) and the combined verdict
 * (gl-drift-verdict.h).
 *
 * The reference values were computed by python3-scipy 1.10.1 (Debian 12)
 * with this script (each printed value is used below):
 *
 *   import numpy as np
 *   from scipy import stats, special, optimize
 *   from scipy.spatial.distance import pdist
 *   a = [0.1, 0.4, 0.4, 0.7, 1.2, 1.5, 2.0, 2.2, 2.9, 3.1, 3.3, 4.0]
 *   b = [0.3, 0.4, 0.9, 1.1, 1.8, 2.5, 2.6, 2.7, 3.4, 3.6, 3.8, 4.1, 4.4, 4.9, 5.2]
 *   r = stats.ks_2samp(a, b, method='exact'); print(r.statistic, r.pvalue)
 *   la = [np.sin(i * 1.3) for i in range(150)]; lb = [np.sin(j * 0.7) + 0.2 for j in range(120)]
 *   r = stats.ks_2samp(la, lb, method='exact'); print(r.statistic, r.pvalue)
 *   m = 150 * 120 / 270; lam = (np.sqrt(m) + 0.12 + 0.11 / np.sqrt(m)) * r.statistic
 *   print(stats.kstwobign.sf(lam))
 *   print(stats.binomtest(7, 50, 0.3).pvalue, stats.binomtest(0, 20, 0.1).pvalue,
 *         stats.binomtest(45, 50, 0.8).pvalue, stats.binomtest(5, 40, 0.05, alternative='greater').pvalue)
 *   obs = np.array([12, 30, 18, 40])
 *   r = stats.chisquare(obs, f_exp=obs.sum() * np.array([0.1, 0.3, 0.2, 0.4])); print(r.statistic, r.pvalue)
 *   print(special.gammaincc(2.5, 1.0), special.gammaincc(10, 15.5), special.gammaincc(0.5, 0.01))
 *   x = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.2]])
 *   y = np.array([[2, 2], [1.5, 2.5], [3, 1], [2, 3], [2.5, 2.5], [1, 2]])
 *   def k(u, v, s): return np.exp(-((u[:, None, :] - v[None, :, :]) ** 2).sum(-1) / (2 * s * s))
 *   s = 1.3; print(k(x, x, s).mean() + k(y, y, s).mean() - 2 * k(x, y, s).mean())
 *   print(np.median(pdist(np.vstack([x, y]))))
 *   v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
 *   print(np.percentile(v, 99), np.percentile(v, 50), np.percentile(v, 10))
 *   logits = np.array([[2.0, 0.5, -1.0], [0.1, 1.5, 0.2], [3.0, -0.5, 0.0], [0.5, 0.4, 0.6],
 *                      [-1.0, 2.5, 0.3], [1.0, 1.2, 0.9], [4.0, 0.0, -2.0], [0.0, 0.0, 3.0]])
 *   labels = np.array([0, 1, 1, 2, 1, 0, 0, 2])
 *   def nll(t):
 *       z = logits / t; z = z - z.max(1, keepdims=True)
 *       return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(8), labels]))
 *   r = optimize.minimize_scalar(lambda lt: nll(np.exp(lt)), bounds=(np.log(0.05), np.log(20)),
 *                                method='bounded', options={'xatol': 1e-10})
 *   print(np.exp(r.x), nll(1.0), nll(np.exp(r.x)))
 *   print(stats.fisher_exact([[30, 170], [18, 50]]).pvalue, stats.fisher_exact([[3, 597], [0, 40]]).pvalue)
 *   print(stats.fisher_exact([[10, 190], [300, 2700]], alternative='less').pvalue,
 *         stats.fisher_exact([[40, 160], [300, 2700]], alternative='greater').pvalue,
 *         stats.fisher_exact([[0, 50], [3, 597]], alternative='less').pvalue)
 *   r = stats.chi2_contingency(np.array([[12, 30, 18, 40], [20, 25, 10, 45]]), correction=False)
 *   print(r.statistic, r.pvalue, r.dof)
 */
#include "engine/gl-adwin.h"
#include "engine/gl-calibrate.h"
#include "engine/gl-drift-omnibus.h"
#include "engine/gl-drift-verdict.h"
#include "engine/gl-drift.h"
#include "engine/gl-rng.h"

#include <math.h>

#define EPS 1e-9

static const double ks_a[] = { 0.1, 0.4, 0.4, 0.7, 1.2, 1.5, 2.0, 2.2, 2.9, 3.1, 3.3, 4.0 };
static const double ks_b[] = { 0.3, 0.4, 0.9, 1.1, 1.8, 2.5, 2.6, 2.7, 3.4, 3.6, 3.8, 4.1, 4.4, 4.9, 5.2 };

static void
test_ks (void)
{
  double p, d;
  double la[150], lb[120];

  d = gl_drift_ks_two_sample (ks_a, G_N_ELEMENTS (ks_a), ks_b, G_N_ELEMENTS (ks_b), &p);
  g_assert_cmpfloat_with_epsilon (d, 0.38333333333333336, EPS);
  g_assert_cmpfloat_with_epsilon (p, 0.22266067490189176, 1e-9);
  /* Symmetric in its samples. */
  d = gl_drift_ks_two_sample (ks_b, G_N_ELEMENTS (ks_b), ks_a, G_N_ELEMENTS (ks_a), &p);
  g_assert_cmpfloat_with_epsilon (p, 0.22266067490189176, 1e-9);
  /* The presorted form (both samples are given in ascending order). */
  d = gl_drift_ks_sorted (ks_a, G_N_ELEMENTS (ks_a), ks_b, G_N_ELEMENTS (ks_b), &p);
  g_assert_cmpfloat_with_epsilon (d, 0.38333333333333336, EPS);
  g_assert_cmpfloat_with_epsilon (p, 0.22266067490189176, 1e-9);

  for (int i = 0; i < 150; i++)
    la[i] = sin (i * 1.3);
  for (int j = 0; j < 120; j++)
    lb[j] = sin (j * 0.7) + 0.2;
  /* 150 × 120 > GL_DRIFT_KS_EXACT_MAX: the asymptotic form (Stephens). */
  d = gl_drift_ks_two_sample (la, 150, lb, 120, &p);
  g_assert_cmpfloat_with_epsilon (d, 0.20666666666666667, EPS);
  g_assert_cmpfloat_with_epsilon (p, 0.0055754903375221975, 1e-9);
  /* The exact recursion at that size, against scipy's exact. */
  g_assert_cmpfloat_with_epsilon (gl_drift_ks_p_exact (150, 120, d), 0.005753772311373792, 1e-9);

  /* Degenerate: an empty sample, identical samples. */
  d = gl_drift_ks_two_sample (ks_a, 12, NULL, 0, &p);
  g_assert_cmpfloat (d, ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);
  d = gl_drift_ks_two_sample (ks_a, 12, ks_a, 12, &p);
  g_assert_cmpfloat (d, ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);
  d = gl_drift_ks_two_sample (ks_a, 1, ks_b, 1, &p);
  g_assert_true (isfinite (d) && isfinite (p));
}

static void
test_binomial (void)
{
  g_assert_cmpfloat_with_epsilon (gl_drift_binomial_test (7, 50, 0.3), 0.012856372631356968, 1e-10);
  g_assert_cmpfloat_with_epsilon (gl_drift_binomial_test (0, 20, 0.1), 0.25452997802490435, 1e-10);
  g_assert_cmpfloat_with_epsilon (gl_drift_binomial_test (45, 50, 0.8), 0.07883064215278116, 1e-10);
  g_assert_cmpfloat_with_epsilon (gl_drift_binomial_upper (5, 40, 0.05), 0.0480282602542153, 1e-10);
  /* Degenerate. */
  g_assert_cmpfloat (gl_drift_binomial_test (0, 0, 0.3), ==, 1.0);
  g_assert_cmpfloat (gl_drift_binomial_test (3, 10, 0.0), ==, 0.0);
  g_assert_cmpfloat (gl_drift_binomial_test (0, 10, 0.0), ==, 1.0);
  g_assert_cmpfloat (gl_drift_binomial_upper (0, 10, 0.2), ==, 1.0);
}

static void
test_chi_square (void)
{
  const guint64 obs[] = { 12, 30, 18, 40 };
  const double share[] = { 0.1, 0.3, 0.2, 0.4 };
  const guint64 none[] = { 0, 0, 0, 0 };
  guint df;
  double p, x2;

  x2 = gl_drift_chi_square_gof (obs, share, 4, &df, &p);
  g_assert_cmpfloat_with_epsilon (x2, 0.6, EPS);
  g_assert_cmpuint (df, ==, 3);
  g_assert_cmpfloat_with_epsilon (p, 0.8964323733419114, 1e-10);
  x2 = gl_drift_chi_square_gof (none, share, 4, &df, &p);
  g_assert_cmpfloat (x2, ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);

  g_assert_cmpfloat_with_epsilon (gl_drift_gamma_q (2.5, 1.0), 0.8491450360846096, 1e-12);
  g_assert_cmpfloat_with_epsilon (gl_drift_gamma_q (10, 15.5), 0.055190456259990216, 1e-12);
  g_assert_cmpfloat_with_epsilon (gl_drift_gamma_q (0.5, 0.01), 0.887537083981715, 1e-12);
}

static void
test_two_sample_counts (void)
{
  const guint64 a[] = { 12, 30, 18, 40, 0 };
  const guint64 b[] = { 20, 25, 10, 45, 0 };
  const guint64 zero[] = { 0, 0, 0, 0, 0 };
  guint df;
  double p, x2;

  g_assert_cmpfloat_with_epsilon (gl_drift_fisher_exact (30, 200, 18, 68), 0.04339642773245713, 1e-10);
  g_assert_cmpfloat_with_epsilon (gl_drift_fisher_exact (3, 600, 0, 40), 1.0, 1e-10);
  g_assert_cmpfloat (gl_drift_fisher_exact (3, 600, 0, 0), ==, 1.0);
  /* One-sided: the window (second pair) below / above the reference's share. */
  g_assert_cmpfloat_with_epsilon (gl_drift_fisher_one_sided (300, 3000, 10, 200, TRUE), 0.009757314352870836,
                                  1e-12);
  g_assert_cmpfloat_with_epsilon (gl_drift_fisher_one_sided (300, 3000, 40, 200, FALSE), 3.5612320774387274e-05,
                                  1e-14);
  g_assert_cmpfloat_with_epsilon (gl_drift_fisher_one_sided (3, 600, 0, 50, TRUE), 0.7862238201221252, 1e-12);
  g_assert_cmpfloat (gl_drift_fisher_one_sided (3, 600, 0, 50, FALSE), ==, 1.0);
  g_assert_cmpfloat (gl_drift_fisher_one_sided (3, 600, 0, 0, TRUE), ==, 1.0);
  /* The empty fifth class is left out: df 3. */
  x2 = gl_drift_chi_square_homogeneity (a, b, 5, &df, &p);
  g_assert_cmpfloat_with_epsilon (x2, 5.034377387318564, 1e-9);
  g_assert_cmpfloat_with_epsilon (p, 0.16929710133929543, 1e-10);
  g_assert_cmpuint (df, ==, 3);
  x2 = gl_drift_chi_square_homogeneity (a, zero, 5, &df, &p);
  g_assert_cmpfloat (x2, ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);
}

static void
test_corrections (void)
{
  /* By hand: sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03,
   * 0.06, 0.04 → running max 0.02, 0.03, 0.06, 0.06. */
  const double p[] = { 0.01, 0.04, 0.03, 0.005 };
  const double holm[] = { 0.03, 0.06, 0.06, 0.02 };
  const double bonf[] = { 0.04, 0.16, 0.12, 0.02 };
  double out[4];

  gl_drift_holm (p, 4, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (out[i], holm[i], EPS);
  gl_drift_bonferroni (p, 4, out);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (out[i], bonf[i], EPS);
  /* In place, capped at 1. */
  {
    double q[] = { 0.5, 0.9 };
    gl_drift_holm (q, 2, q);
    g_assert_cmpfloat_with_epsilon (q[0], 1.0, EPS);
    g_assert_cmpfloat_with_epsilon (q[1], 1.0, EPS);
  }
  gl_drift_holm (NULL, 0, NULL);
}

static void
test_psi (void)
{
  /* By hand: (¼−½) ln(¼/½) + (¾−½) ln(¾/½) = 0.274653…; an empty class floored. */
  const double a[] = { 0.5, 0.5 }, b[] = { 0.25, 0.75 }, z[] = { 1.0, 0.0 };
  double terms[2];

  g_assert_cmpfloat_with_epsilon (gl_drift_psi (a, b, 2, terms), 0.2746530721670274, EPS);
  g_assert_cmpfloat_with_epsilon (terms[0], 0.25 * log (2.0), EPS);
  g_assert_true (isfinite (gl_drift_psi (a, z, 2, NULL)));
}

static const float mmd_x[] = { 0, 0, 1, 0, 0, 1, 1, 1, 0.5f, 0.2f };
static const float mmd_y[] = { 2, 2, 1.5f, 2.5f, 3, 1, 2, 3, 2.5f, 2.5f, 1, 2 };

static void
test_mmd (void)
{
  double p;

  g_assert_cmpfloat_with_epsilon (gl_drift_mmd_rbf (mmd_x, 5, mmd_y, 6, 2, 1.3), 1.0573166840768287, 1e-6);
  g_assert_cmpfloat_with_epsilon (gl_drift_median_bandwidth (mmd_x, 5, mmd_y, 6, 2), 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (gl_drift_mmd_test (mmd_x, 5, mmd_y, 6, 2, 0, 1, NULL),
                                  gl_drift_mmd_rbf (mmd_x, 5, mmd_y, 6, 2, 2.0), 1e-9);
  /* Two separated clusters: the smallest possible permutation p-value for
   * 5 + 6 points is 1 / C(11, 5) = 1/462; the test must be below 0.05. */
  gl_drift_mmd_test (mmd_x, 5, mmd_y, 6, 2, 500, 7, &p);
  g_assert_cmpfloat (p, <, 0.05);
  /* A sample against itself: no evidence. */
  gl_drift_mmd_test (mmd_y, 6, mmd_y, 6, 2, 200, 7, &p);
  g_assert_cmpfloat (p, >, 0.5);
  /* Degenerate. */
  g_assert_cmpfloat (gl_drift_mmd_test (mmd_x, 1, mmd_y, 6, 2, 100, 1, &p), ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);
  g_assert_cmpfloat (gl_drift_mmd_rbf (mmd_x, 0, mmd_y, 6, 2, 1.0), ==, 0.0);
}

static void
test_percentile_novelty (void)
{
  double v[] = { 3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0 };
  double threshold, p, rate;
  /* Reference on a line 0…99 in 1-D: centroid 49.5, distances |i − 49.5|,
   * their 99th percentile (numpy, linear) is the largest, 49.5. */
  float ref[100], win[10];
  double dist[100];

  g_assert_cmpfloat_with_epsilon (gl_drift_percentile (v, 8, 99), 8.79, EPS);
  g_assert_cmpfloat_with_epsilon (gl_drift_percentile (v, 8, 50), 3.5, EPS);
  g_assert_cmpfloat_with_epsilon (gl_drift_percentile (v, 8, 10), 1.0, EPS);
  g_assert_cmpfloat (gl_drift_percentile (v, 0, 50), ==, 0.0);

  for (int i = 0; i < 100; i++)
    {
      ref[i] = (float)i;
      dist[i] = fabs (i - 49.5);
    }
  for (int i = 0; i < 10; i++)
    win[i] = i < 3 ? 200.0f : 50.0f; /* 3 of 10 far away */
  rate = gl_drift_novelty_rate (ref, 100, win, 10, 1, 99, &threshold, &p);
  g_assert_cmpfloat_with_epsilon (threshold, gl_drift_percentile (dist, 100, 99), 1e-6);
  g_assert_cmpfloat_with_epsilon (rate, 0.3, EPS);
  /* The cut is 49.5, the farthest reference distance: none beyond → p0 = 1/101. */
  g_assert_cmpfloat_with_epsilon (p, gl_drift_binomial_upper (3, 10, 1.0 / 101.0), 1e-12);
  rate = gl_drift_novelty_rate (ref, 100, NULL, 0, 1, 99, &threshold, &p);
  g_assert_cmpfloat (rate, ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);
}

/* Conformal outlier count by hand: group 0's reference scores are 1…9
 * (n_g = 9), t = 0.2. Window scores 10 (none ≥: u = 1/10) and 8.5 (one ≥:
 * u = 2/10) are outliers, 7.5 (three ≥: u = 4/10) is not; group 1 has no
 * reference (u = 1), a group out of range and a NaN score never count. 2 of
 * 6: p = P(Bin(6, 0.2) ≥ 2) = 0.34464 (scipy.stats.binom.sf(1, 6, 0.2)). Then
 * under no shift (both samples from one distribution, 400 seeded draws) the
 * outlier rate is t within sampling error and the test's rejection rate at
 * 0.05 is ≤ 0.05 + 2 standard errors. */
static void
test_conformal_outliers (void)
{
  const double ref[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const guint ref_group[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  const double win[] = { 10.0, 8.5, 7.5, 100.0, 50.0, NAN };
  const guint win_group[] = { 0, 0, 0, 1, 7, 0 };
  const guint draws = 400, n_ref = 2000, n_win = 200;
  g_autofree double *r = g_new (double, n_ref), *w = g_new (double, n_win);
  g_autofree guint *rg = g_new (guint, n_ref), *wg = g_new (guint, n_win);
  guint64 count, total = 0;
  guint rejected = 0;
  double p, rate;
  GlRng rng;

  rate = gl_drift_conformal_outliers (ref, ref_group, 9, win, win_group, 6, 2, 0.2, &count, &p);
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpfloat_with_epsilon (rate, 2.0 / 6.0, EPS);
  g_assert_cmpfloat_with_epsilon (p, 0.34464, 1e-9);
  rate = gl_drift_conformal_outliers (ref, ref_group, 9, NULL, NULL, 0, 2, 0.2, &count, &p);
  g_assert_cmpfloat (rate, ==, 0.0);
  g_assert_cmpfloat (p, ==, 1.0);
  g_assert_cmpuint (count, ==, 0);

  gl_rng_init (&rng, 31);
  for (guint d = 0; d < draws; d++)
    {
      for (guint i = 0; i < n_ref; i++)
        {
          rg[i] = gl_rng_below (&rng, 3);
          r[i] = gl_rng_normal (&rng) * (1.0 + rg[i]);
        }
      for (guint i = 0; i < n_win; i++)
        {
          wg[i] = gl_rng_below (&rng, 3);
          w[i] = gl_rng_normal (&rng) * (1.0 + wg[i]);
        }
      gl_drift_conformal_outliers (r, rg, n_ref, w, wg, n_win, 3, 0.01, &count, &p);
      total += count;
      rejected += p <= 0.05;
    }
  g_test_message ("conformal outliers under no shift: rate %.4f (t 0.01), rejected %u of %u at 0.05",
                  (double)total / (draws * n_win), rejected, draws);
  g_assert_cmpfloat ((double)total / (draws * n_win), <=, 0.01 + 2.0 * sqrt (0.01 * 0.99 / (draws * n_win)));
  g_assert_cmpfloat ((double)rejected / draws, <=, 0.05 + 2.0 * sqrt (0.05 * 0.95 / draws));
}

static void
test_cbpe (void)
{
  /* Predicted as 0: rows 0 (0.9) and 2 (0.6): estimate 0.75, se √(0.09 + 0.24)/2. */
  const float probs[] = { 0.9f, 0.1f, 0.3f, 0.7f, 0.6f, 0.4f };
  double se;
  guint64 n;

  g_assert_cmpfloat_with_epsilon (gl_drift_cbpe_precision (probs, 3, 2, 0, &se, &n), 0.75, 1e-6);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpfloat_with_epsilon (se, sqrt (0.09 + 0.24) / 2.0, 1e-6);
  g_assert_cmpfloat (gl_drift_cbpe_precision (probs, 0, 2, 1, &se, &n), ==, 0.0);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpfloat (se, ==, 0.0);
}

static void
test_temperature (void)
{
  const float logits[] = { 2.0f,  0.5f, -1.0f, 0.1f, 1.5f, 0.2f, 3.0f, -0.5f, 0.0f,  0.5f, 0.4f, 0.6f,
                           -1.0f, 2.5f, 0.3f,  1.0f, 1.2f, 0.9f, 4.0f, 0.0f,  -2.0f, 0.0f, 0.0f, 3.0f };
  const gint labels[] = { 0, 1, 1, 2, 1, 0, 0, 2 };
  double before, after, t;
  float probs[24];

  t = gl_calibrate_fit_temperature (logits, labels, 8, 3, &before, &after);
  g_assert_cmpfloat_with_epsilon (t, 1.490188841084189, 1e-4);
  g_assert_cmpfloat_with_epsilon (before, 0.8281973094597503, 1e-6);
  g_assert_cmpfloat_with_epsilon (after, 0.7887425633327844, 1e-6);
  gl_calibrate_apply_temperature (logits, 8, 3, t, probs);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat_with_epsilon (probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2], 1.0, 1e-5);
  /* Degenerate: nothing to fit. */
  g_assert_cmpfloat (gl_calibrate_fit_temperature (logits, labels, 0, 3, &before, &after), ==, 1.0);
  g_assert_cmpfloat (before, ==, 0.0);
  g_assert_cmpfloat (after, ==, 0.0);
}

static void
test_adwin (void)
{
  /* Stationary Bernoulli(0.8) streams: the rate of cuts per step must stay
   * below δ (Bifet & Gavaldà's bound). */
  const double delta = 0.002;
  guint64 cuts = 0, steps = 0;

  for (guint seed = 0; seed < 20; seed++)
    {
      g_autoptr (GlAdwin) w = gl_adwin_new (delta, 5, 1000);
      GlRng rng;

      gl_rng_init (&rng, seed);
      for (int i = 0; i < 1000; i++, steps++)
        cuts += gl_adwin_add (w, gl_rng_double (&rng) < 0.8 ? 1.0 : 0.0);
    }
  g_test_message ("ADWIN: %" G_GUINT64_FORMAT " cuts in %" G_GUINT64_FORMAT " stationary steps", cuts, steps);
  g_assert_cmpfloat ((double)cuts / (double)steps, <=, delta);

  /* A drop from 0.9 to 0.4 after 300 values is found within 150 values, and
   * the cut reports the two means. */
  {
    g_autoptr (GlAdwin) w = gl_adwin_new (delta, 5, 1000);
    GlRng rng;
    int found = -1;

    gl_rng_init (&rng, 99);
    for (int i = 0; i < 600 && found < 0; i++)
      if (gl_adwin_add (w, gl_rng_double (&rng) < (i < 300 ? 0.9 : 0.4) ? 1.0 : 0.0))
        found = i;
    g_assert_cmpint (found, >=, 300);
    g_assert_cmpint (found, <, 450);
    g_assert_cmpfloat (w->mean_before, >, w->mean_after + w->epsilon - 1e-12);
    g_assert_cmpfloat (gl_adwin_get_mean (w), <, 0.7);
  }
  {
    g_autoptr (GlAdwin) w = gl_adwin_new (delta, 5, 4);
    for (int i = 0; i < 10; i++)
      g_assert_false (gl_adwin_add (w, NAN));
    g_assert_cmpfloat (gl_adwin_get_mean (w), ==, 0.0);
  }
}

/* ---- the verdict ---- */

#define SYN_K 3
#define SYN_DIM 4

/* A synthetic model's outputs: true class with @prior (K), logits 2.2 on
 * the true class plus N(0, 1) noise, softmax; embedding the class's corner
 * plus N(0, 0.7) noise, moved by @emb_shift on every axis for the class
 * @shift_class (-1: none). */
static void
synth (GlRng *rng, gsize n, const double *prior, gint shift_class, double emb_shift, float *probs, float *emb)
{
  for (gsize i = 0; i < n; i++)
    {
      double u = gl_rng_double (rng), acc = 0.0, sum = 0.0;
      guint y = SYN_K - 1;

      for (guint c = 0; c < SYN_K; c++)
        if ((acc += prior[c]) > u)
          {
            y = c;
            break;
          }
      for (guint c = 0; c < SYN_K; c++)
        {
          probs[i * SYN_K + c] = (float)exp ((c == y ? 2.2 : 0.0) + gl_rng_normal (rng));
          sum += probs[i * SYN_K + c];
        }
      for (guint c = 0; c < SYN_K; c++)
        probs[i * SYN_K + c] = (float)(probs[i * SYN_K + c] / sum);
      for (guint d = 0; d < SYN_DIM; d++)
        emb[i * SYN_DIM + d] = (float)((d == y ? 3.0 : 0.0) + 0.7 * gl_rng_normal (rng)
                                       + ((gint)y == shift_class ? emb_shift : 0.0));
    }
}

static void
assert_finite (const GlDriftVerdict *v)
{
  g_assert_true (isfinite (v->chi_square.statistic) && isfinite (v->chi_square.p_value)
                 && isfinite (v->chi_square.effect));
  g_assert_true (isfinite (v->confidence.p_value) && isfinite (v->embedding.p_value)
                 && isfinite (v->confidence.effect) && isfinite (v->embedding.effect));
  g_assert_true (isfinite (v->accuracy_window) && isfinite (v->accuracy_reference));
  for (guint c = 0; c < v->n_classes; c++)
    {
      g_assert_true (isfinite (v->precision_window[c]) && isfinite (v->precision_reference[c]));
      g_assert_true (isfinite (v->precision_window_se[c]) && isfinite (v->precision_reference_se[c]));
      for (guint t = 0; t < GL_DRIFT_N_TESTS; t++)
        {
          const GlDriftTestResult *r = gl_drift_verdict_get (v, c, t);
          g_assert_true (isfinite (r->statistic) && isfinite (r->p_value) && isfinite (r->p_adjusted)
                         && isfinite (r->effect));
          g_assert_cmpfloat (r->p_adjusted, >=, r->p_value);
        }
    }
}

static void
test_verdict_false_alarm_and_power (void)
{
  /* Under no shift the window's family-wise error is ≤ α: over 150 seeded
   * draws of a reference and a window the rate must be ≤ α + 2 standard
   * errors (≈ 0.086). The guarantee is over both samples: against ONE fixed
   * reference of 600 the rate was 17% (23 of 150 windows, mostly MMD: the
   * share of misclassified images among those predicted as a class differs
   * by chance between that reference and the truth, and MMD is sensitive to
   * it) — the app keeps references large for that reason. */
  const double prior[SYN_K] = { 0.3, 0.3, 0.4 };
  const double shifted[SYN_K] = { 0.1, 0.3, 0.6 };
  const guint n_ref = 600, n_win = 150, draws = 150;
  g_autofree float *rp = g_new (float, n_ref *SYN_K), *re = g_new (float, n_ref *SYN_DIM);
  g_autofree float *wp = g_new (float, n_win *SYN_K), *we = g_new (float, n_win *SYN_DIM);
  GlDriftSample ref = { n_ref, SYN_K, rp, SYN_DIM, re };
  GlDriftSample win = { n_win, SYN_K, wp, SYN_DIM, we };
  GlDriftOptions o;
  guint alarms = 0, detected_prior = 0, detected_emb = 0, named = 0, ranked = 0;
  GlRng rng;
  double bound;

  gl_drift_options_init (&o);
  o.n_perm = 100;
  o.mmd_max_ref = 100;
  gl_rng_init (&rng, 2026);
  for (guint t = 0; t < draws; t++)
    {
      g_autoptr (GlDriftVerdict) v = NULL;

      o.seed = t;
      synth (&rng, n_ref, prior, -1, 0.0, rp, re);
      synth (&rng, n_win, prior, -1, 0.0, wp, we);
      v = gl_drift_verdict_compute (&ref, &win, &o, NULL);
      assert_finite (v);
      alarms += v->drifted;
      /* The ranking tests hold their level too (each class and kind once). */
      for (guint c = 0; c < SYN_K; c++)
        ranked += (gl_drift_verdict_get (v, c, GL_DRIFT_TEST_LOSS)->p_value <= 0.05)
                  + (gl_drift_verdict_get (v, c, GL_DRIFT_TEST_GAIN)->p_value <= 0.05);
    }
  bound = 0.05 + 2.0 * sqrt (0.05 * 0.95 / draws);
  g_test_message ("verdict: %u false alarms in %u no-shift windows (bound %.3f)", alarms, draws, bound);
  g_assert_cmpfloat ((double)alarms / draws, <=, bound);
  /* 900 ranking p-values, dependent within a window: the bound of 150. */
  g_test_message ("ranking tests: %u of %u p-values ≤ 0.05 under no shift", ranked, draws * SYN_K * 2);
  g_assert_cmpfloat ((double)ranked / (draws * SYN_K * 2), <=, bound);

  /* Power (against the last reference): a prior shift and an embedding shift of class 1 are found in most
   * windows. */
  for (guint t = 0; t < 20; t++)
    {
      g_autoptr (GlDriftVerdict) v = NULL;
      g_autoptr (GlDriftVerdict) e = NULL;

      synth (&rng, n_win, shifted, -1, 0.0, wp, we);
      v = gl_drift_verdict_compute (&ref, &win, &o, NULL);
      detected_prior += v->drifted;
      synth (&rng, n_win, prior, 1, 1.5, wp, we);
      e = gl_drift_verdict_compute (&ref, &win, &o, NULL);
      detected_emb += e->drifted;
      named += e->top_class == 1;
      if (t == 0)
        g_assert_true (gl_drift_verdict_get (e, 1, GL_DRIFT_TEST_EMBEDDING)->fired
                       || gl_drift_verdict_get (e, 1, GL_DRIFT_TEST_NOVELTY)->fired);
    }
  g_test_message ("verdict power: prior %u/20, embedding %u/20 (class named %u)", detected_prior,
                  detected_emb, named);
  g_assert_cmpuint (detected_prior, >=, 16);
  g_assert_cmpuint (detected_emb, >=, 16);
  g_assert_cmpuint (named, >=, 16);
}

static void
test_verdict_degenerate (void)
{
  const double prior[SYN_K] = { 0.3, 0.3, 0.4 };
  g_autofree float *rp = g_new (float, 200 * SYN_K), *re = g_new (float, 200 * SYN_DIM);
  g_autofree float *one_class = g_new0 (float, 100 * SYN_K);
  GlDriftSample ref = { 200, SYN_K, rp, SYN_DIM, re };
  GlRng rng;

  gl_rng_init (&rng, 5);
  synth (&rng, 200, prior, -1, 0.0, rp, re);
  for (int i = 0; i < 100; i++)
    one_class[i * SYN_K] = 1.0f;
  {
    /* Empty window: insufficient everywhere, no verdict. */
    GlDriftSample win = { 0, SYN_K, NULL, SYN_DIM, NULL };
    g_autoptr (GlDriftVerdict) v = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
    assert_finite (v);
    g_assert_false (v->drifted);
    g_assert_cmpint (v->top_class, ==, -1);
    for (guint c = 0; c < SYN_K; c++)
      g_assert_true (v->insufficient[c]);
    g_assert_false (v->chi_square.tested);
  }
  {
    /* One image. */
    GlDriftSample win = { 1, SYN_K, rp, SYN_DIM, re };
    g_autoptr (GlDriftVerdict) v = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
    assert_finite (v);
    g_assert_false (v->drifted);
    g_assert_false (gl_drift_verdict_get (v, 0, GL_DRIFT_TEST_SHARE)->tested);
  }
  {
    /* A model that predicts only class 0, in the window and as reference,
     * without embeddings: every class but 0 insufficient, nothing NaN. */
    GlDriftSample win = { 100, SYN_K, one_class, 0, NULL };
    GlDriftSample same = { 100, SYN_K, one_class, 0, NULL };
    g_autoptr (GlDriftVerdict) v = gl_drift_verdict_compute (&same, &win, NULL, NULL);
    g_autoptr (GlDriftVerdict) w = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
    assert_finite (v);
    assert_finite (w);
    g_assert_false (v->drifted);
    g_assert_true (v->insufficient[1]);
    g_assert_false (v->insufficient[0]);
    g_assert_false (gl_drift_verdict_get (v, 0, GL_DRIFT_TEST_EMBEDDING)->tested);
    /* Against a normal reference, everything moved to class 0: drift, named. */
    g_assert_true (w->drifted);
    g_assert_true (w->omnibus.fired);
    g_assert_cmpfloat (w->chi_square.p_value, <, 1e-6); /* reported; the omnibus test votes */
    g_assert_false (w->chi_square.fired);
  }
  {
    /* A class with < 30 images: insufficient, its within-class tests absent. */
    GlDriftSample win = { 40, SYN_K, rp, SYN_DIM, re };
    g_autoptr (GlDriftVerdict) v = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
    assert_finite (v);
    for (guint c = 0; c < SYN_K; c++)
      {
        g_assert_true (v->insufficient[c]);
        g_assert_false (gl_drift_verdict_get (v, c, GL_DRIFT_TEST_CONFIDENCE)->tested);
        g_assert_true (gl_drift_verdict_get (v, c, GL_DRIFT_TEST_BBSD)->tested);
      }
  }
  {
    GlDriftSample bad = { 10, 2, rp, 0, NULL };
    g_autoptr (GError) error = NULL;
    g_assert_null (gl_drift_verdict_compute (&ref, &bad, NULL, &error));
    g_assert_nonnull (error);
  }
  g_assert_cmpstr (gl_drift_test_kind_to_string (GL_DRIFT_TEST_NOVELTY), ==, "novelty");
  g_assert_cmpint (gl_drift_test_kind_from_string ("bbsd"), ==, GL_DRIFT_TEST_BBSD);
  g_assert_cmpint (gl_drift_test_kind_from_string ("nope"), ==, -1);
}

/* The permutation minP test (gl-drift-omnibus.h): under no shift, over 200
 * seeded draws of a reference and a window, it rejects at 0.05 in at most
 * 0.05 + 2 standard errors of them; a prior shift gives the smallest
 * possible p-value, 1 / (1 + n_draws), with the chi-square test or a column
 * as the smallest; degenerate inputs give p 1 and no NaN. */
static void
test_omnibus (void)
{
  const double prior[SYN_K] = { 0.3, 0.3, 0.4 };
  const double shifted[SYN_K] = { 0.1, 0.2, 0.7 };
  const guint n_ref = 1000, n_win = 100, draws = 200;
  g_autofree float *rp = g_new (float, n_ref *SYN_K), *re = g_new (float, n_ref *SYN_DIM);
  g_autofree float *wp = g_new (float, n_win *SYN_K), *we = g_new (float, n_win *SYN_DIM);
  GlDriftSample ref = { n_ref, SYN_K, rp, SYN_DIM, re };
  GlDriftSample win = { n_win, SYN_K, wp, SYN_DIM, we };
  GlDriftOmnibus o;
  guint rejected = 0;
  GlRng rng;

  gl_rng_init (&rng, 77);
  for (guint t = 0; t < draws; t++)
    {
      synth (&rng, n_ref, prior, -1, 0.0, rp, re);
      synth (&rng, n_win, prior, -1, 0.0, wp, we);
      gl_drift_omnibus_test (&ref, &win, 99, t, &o);
      g_assert_true (isfinite (o.p_value) && isfinite (o.min_p));
      g_assert_cmpfloat (o.p_value, >=, 1.0 / 100.0);
      rejected += o.p_value <= 0.05;
    }
  g_test_message ("omnibus: %u of %u no-shift windows rejected at 0.05", rejected, draws);
  g_assert_cmpfloat ((double)rejected / draws, <=, 0.05 + 2.0 * sqrt (0.05 * 0.95 / draws));

  synth (&rng, n_win, shifted, -1, 0.0, wp, we);
  gl_drift_omnibus_test (&ref, &win, 99, 1, &o);
  g_assert_cmpfloat_with_epsilon (o.p_value, 1.0 / 100.0, EPS);
  g_assert_cmpint (o.which, >=, 0);
  g_assert_cmpint (o.which, <=, SYN_K + 1);
  g_assert_cmpuint (o.n_ref, ==, n_ref);

  {
    GlDriftSample empty = { 0, SYN_K, NULL, 0, NULL };
    GlDriftSample tiny = { 1, SYN_K, rp, 0, NULL };
    GlDriftSample one = { 1, SYN_K, wp, 0, NULL };

    gl_drift_omnibus_test (&ref, &empty, 99, 1, &o);
    g_assert_cmpfloat (o.p_value, ==, 1.0);
    g_assert_cmpint (o.which, ==, -1);
    gl_drift_omnibus_test (&tiny, &win, 99, 1, &o);
    g_assert_cmpfloat (o.p_value, ==, 1.0);
    /* One image, and a window larger than the reference. */
    gl_drift_omnibus_test (&ref, &one, 99, 1, &o);
    g_assert_true (isfinite (o.p_value) && o.p_value > 0.0 && o.p_value <= 1.0);
    gl_drift_omnibus_test (&win, &ref, 20, 1, &o);
    g_assert_true (isfinite (o.p_value) && o.p_value > 0.0 && o.p_value <= 1.0);
  }
}

/* Hand-made outputs for the naming tests, 4 classes and a 2-d embedding:
 * a row predicted as @pred with confidence @conf (the rest split evenly, but
 * @second gets @p_second when ≥ 0), its embedding at @pred's corner or, when
 * @foreign, at (−3, −3); @i jitters both so that no two rows are equal. */
#define NAME_K 4
static void
name_row (float *probs, float *emb, gsize i, guint pred, double conf, gint second, double p_second,
          gboolean foreign)
{
  double jitter = (double)(i % 10) / 10.0;
  double rest = 1.0 - conf - (second >= 0 ? p_second : 0.0);
  guint n_rest = NAME_K - 1 - (second >= 0 ? 1 : 0);

  for (guint c = 0; c < NAME_K; c++)
    probs[i * NAME_K + c] = (float)(c == pred ? conf : (gint)c == second ? p_second : rest / n_rest);
  emb[i * 2] = (float)(foreign ? -3.0 : pred == 0 ? 3.0 : pred == 1 ? 0.0 : pred == 2 ? -3.0 : 0.0) + 0.3 * jitter;
  emb[i * 2 + 1] = (float)(foreign ? -3.0 : pred == 0 ? 0.0 : pred == 1 ? 3.0 : pred == 2 ? 0.0 : -3.0)
                   + 0.3 * (double)(i % 7) / 7.0;
}

/* The reference: 100 images of each class, confidence 0.7…0.95. */
static void
name_reference (float *probs, float *emb)
{
  for (gsize i = 0; i < 4 * 100; i++)
    name_row (probs, emb, i, (guint)(i % NAME_K), 0.7 + 0.025 * (double)(i / NAME_K % 11), -1, 0, FALSE);
}

/* The images of class 0 change (as a rotation does): 32 of its 40 images in
 * a window of 160 are predicted as class 1 or 2 with confidence about 0.5
 * and 0.3 left on class 0, their embedding far from every class. The
 * receivers carry most of the evidence (their shares rise, their confidence,
 * embedding and novelty tests fire); class 0 is named first by its collapsed
 * share (the largest PSI term). */
/* The ranking tests against scipy on a two-class toy (reference column 0:
 * 0.9 0.8 0.7 0.6, window 0.45 0.4 0.9; column 1 = 1 − column 0 in float):
 *   r = np.array([0.9, 0.8, 0.7, 0.6], dtype=np.float32).astype(float)
 *   w = np.array([0.45, 0.4, 0.9], dtype=np.float32).astype(float)
 *   z = (w.mean() - r.mean()) / np.sqrt(r.var(ddof=1) * (1 / 4 + 1 / 3)); print(z, stats.norm.cdf(z))
 *   (the same on 1 − column 0 in float32 for class 1)
 *   print(stats.fisher_exact([[1, 2], [2, 2]], alternative='greater').pvalue,
 *         stats.fisher_exact([[2, 1], [0, 4]], alternative='greater').pvalue)
 * GAIN of class 0: the reference's predictions of 0 at least as sure as
 * their median 0.75 are 2 of 4, the window's 1 of 3; class 1 is never
 * predicted in the reference, so all its window predictions count: 2 of 3.
 * Neither test is in the family: p_adjusted 1, never fired. */
static void
test_verdict_ranking_tests (void)
{
  const float r0[] = { 0.9f, 0.8f, 0.7f, 0.6f }, w0[] = { 0.45f, 0.4f, 0.9f };
  float rp[8], wp[6];
  GlDriftSample ref = { 4, 2, rp, 0, NULL }, win = { 3, 2, wp, 0, NULL };
  g_autoptr (GlDriftVerdict) v = NULL;
  const GlDriftTestResult *loss0, *loss1, *gain0, *gain1;
  GlDriftOptions o;

  for (guint i = 0; i < 4; i++)
    {
      rp[i * 2] = r0[i];
      rp[i * 2 + 1] = 1.0f - r0[i];
    }
  for (guint i = 0; i < 3; i++)
    {
      wp[i * 2] = w0[i];
      wp[i * 2 + 1] = 1.0f - w0[i];
    }
  gl_drift_options_init (&o);
  o.min_class = 2;
  o.n_null = 20;
  v = gl_drift_verdict_compute (&ref, &win, &o, NULL);
  loss0 = gl_drift_verdict_get (v, 0, GL_DRIFT_TEST_LOSS);
  loss1 = gl_drift_verdict_get (v, 1, GL_DRIFT_TEST_LOSS);
  gain0 = gl_drift_verdict_get (v, 0, GL_DRIFT_TEST_GAIN);
  gain1 = gl_drift_verdict_get (v, 1, GL_DRIFT_TEST_GAIN);
  g_assert_true (loss0->tested && gain0->tested);
  g_assert_cmpfloat_with_epsilon (loss0->statistic, -1.6903088117077727, 1e-6);
  g_assert_cmpfloat_with_epsilon (loss0->p_value, 0.04548444509042065, 1e-6);
  g_assert_cmpfloat_with_epsilon (loss0->effect, -0.16666667660077417, 1e-6);
  g_assert_cmpfloat_with_epsilon (loss1->statistic, 1.6903089124580224, 1e-6);
  g_assert_cmpfloat_with_epsilon (loss1->p_value, 0.9545155645419958, 1e-6);
  g_assert_cmpfloat_with_epsilon (gain0->statistic, 1.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (gain0->effect, 1.0 / 3.0 - 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (gain0->p_value, 0.8857142857142857, 1e-10);
  g_assert_cmpfloat_with_epsilon (gain1->p_value, 0.14285714285714285, 1e-10);
  g_assert_cmpuint (loss0->n_ref, ==, 4);
  g_assert_cmpuint (loss0->n_win, ==, 3);
  for (guint c = 0; c < 2; c++)
    for (guint t = GL_DRIFT_N_FAMILY; t < GL_DRIFT_N_TESTS; t++)
      {
        g_assert_cmpfloat (gl_drift_verdict_get (v, c, t)->p_adjusted, ==, 1.0);
        g_assert_false (gl_drift_verdict_get (v, c, t)->fired);
      }
  assert_finite (v);
}

static void
test_verdict_names_changed_class (void)
{
  g_autofree float *rp = g_new (float, 400 * NAME_K), *re = g_new (float, 400 * 2);
  g_autofree float *wp = g_new (float, 160 * NAME_K), *we = g_new (float, 160 * 2);
  GlDriftSample ref = { 400, NAME_K, rp, 2, re }, win = { 160, NAME_K, wp, 2, we };
  g_autoptr (GlDriftVerdict) v = NULL;
  double evidence[NAME_K] = { 0 };

  name_reference (rp, re);
  for (gsize i = 0; i < 160; i++)
    {
      guint c = (guint)(i % NAME_K);
      double conf = 0.7 + 0.025 * (double)(i / NAME_K % 11);

      if (c == 0 && i / NAME_K >= 8)
        name_row (wp, we, i, 1 + (guint)(i / NAME_K % 2), 0.45 + 0.01 * (double)(i % 10), 0, 0.3, TRUE);
      else
        name_row (wp, we, i, c, conf, -1, 0, FALSE);
    }
  v = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
  assert_finite (v);
  g_assert_true (v->drifted);
  g_assert_true (gl_drift_verdict_get (v, 0, GL_DRIFT_TEST_SHARE)->fired);
  g_assert_cmpfloat (gl_drift_verdict_get (v, 0, GL_DRIFT_TEST_SHARE)->statistic, <, 0.25);
  g_assert_true (gl_drift_verdict_get (v, 1, GL_DRIFT_TEST_NOVELTY)->fired);
  g_assert_true (gl_drift_verdict_get (v, 2, GL_DRIFT_TEST_NOVELTY)->fired);
  /* The case is the one the naming is for: summed over all fired tests, a receiver has more evidence than class 0. */
  for (guint c = 0; c < NAME_K; c++)
    for (guint t = 0; t < GL_DRIFT_N_TESTS; t++)
      if (gl_drift_verdict_get (v, c, t)->fired)
        evidence[c] += -log (MAX (gl_drift_verdict_get (v, c, t)->p_value, 1e-300));
  g_test_message ("evidence over all fired tests: %.1f %.1f %.1f %.1f", evidence[0], evidence[1], evidence[2],
                  evidence[3]);
  g_assert_cmpfloat (MAX (evidence[1], evidence[2]), >, evidence[0]);
  g_assert_cmpint (v->top_class, ==, 0);
}

/* A prior shift: class 2 three times as frequent, its images unchanged; the
 * others fall a little each. Class 2 is named first by its risen share. */
static void
test_verdict_names_prior_class (void)
{
  g_autofree float *rp = g_new (float, 400 * NAME_K), *re = g_new (float, 400 * 2);
  g_autofree float *wp = g_new (float, 200 * NAME_K), *we = g_new (float, 200 * 2);
  GlDriftSample ref = { 400, NAME_K, rp, 2, re }, win = { 200, NAME_K, wp, 2, we };
  g_autoptr (GlDriftVerdict) v = NULL;

  name_reference (rp, re);
  /* 100 of class 2 (every other row), 33, 33 and 34 of classes 0, 1, 3. */
  for (gsize i = 0; i < 200; i++)
    {
      static const guint others[] = { 0, 1, 3 };
      guint c = i % 2 == 0 ? 2 : others[i / 2 % 3];

      name_row (wp, we, i, c, 0.7 + 0.025 * (double)(i / 2 % 11), -1, 0, FALSE);
    }
  v = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
  assert_finite (v);
  g_assert_true (v->drifted);
  g_assert_true (gl_drift_verdict_get (v, 2, GL_DRIFT_TEST_SHARE)->fired);
  g_assert_cmpint (v->top_class, ==, 2);
}

/* The last class's tests are in the family like the others': its images
 * move far from its centroid (still predicted as it), and its novelty test
 * fires. */
static void
test_verdict_last_class_in_family (void)
{
  g_autofree float *rp = g_new (float, 400 * NAME_K), *re = g_new (float, 400 * 2);
  g_autofree float *wp = g_new (float, 160 * NAME_K), *we = g_new (float, 160 * 2);
  GlDriftSample ref = { 400, NAME_K, rp, 2, re }, win = { 160, NAME_K, wp, 2, we };
  g_autoptr (GlDriftVerdict) v = NULL;
  const GlDriftTestResult *novelty;

  name_reference (rp, re);
  for (gsize i = 0; i < 160; i++)
    name_row (wp, we, i, (guint)(i % NAME_K), 0.7 + 0.025 * (double)(i / NAME_K % 11), -1, 0,
              i % NAME_K == NAME_K - 1);
  v = gl_drift_verdict_compute (&ref, &win, NULL, NULL);
  novelty = gl_drift_verdict_get (v, NAME_K - 1, GL_DRIFT_TEST_NOVELTY);
  g_assert_true (novelty->tested);
  g_assert_cmpfloat (novelty->p_value, <, 1e-6);
  g_assert_cmpfloat (novelty->p_adjusted, <, 1.0);
  g_assert_true (novelty->fired);
  g_assert_true (gl_drift_verdict_get (v, NAME_K - 1, GL_DRIFT_TEST_EMBEDDING)->fired);
  g_assert_cmpint (v->top_class, ==, NAME_K - 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/drift/ks", test_ks);
  g_test_add_func ("/drift/binomial", test_binomial);
  g_test_add_func ("/drift/chi-square", test_chi_square);
  g_test_add_func ("/drift/fisher-homogeneity", test_two_sample_counts);
  g_test_add_func ("/drift/holm-bonferroni", test_corrections);
  g_test_add_func ("/drift/psi", test_psi);
  g_test_add_func ("/drift/mmd", test_mmd);
  g_test_add_func ("/drift/percentile-novelty", test_percentile_novelty);
  g_test_add_func ("/drift/conformal-outliers", test_conformal_outliers);
  g_test_add_func ("/drift/cbpe", test_cbpe);
  g_test_add_func ("/drift/temperature", test_temperature);
  g_test_add_func ("/drift/adwin", test_adwin);
  g_test_add_func ("/drift/omnibus", test_omnibus);
  g_test_add_func ("/drift/verdict-degenerate", test_verdict_degenerate);
  g_test_add_func ("/drift/verdict-false-alarm", test_verdict_false_alarm_and_power);
  g_test_add_func ("/drift/verdict-ranking-tests", test_verdict_ranking_tests);
  g_test_add_func ("/drift/verdict-names-changed-class", test_verdict_names_changed_class);
  g_test_add_func ("/drift/verdict-names-prior-class", test_verdict_names_prior_class);
  g_test_add_func ("/drift/verdict-last-class-in-family", test_verdict_last_class_in_family);
  return g_test_run ();
}
