/* gl-drift.c — two-sample drift statistics. See gl-drift.h. */
#include "engine/gl-drift.h"

#include "engine/gl-metrics.h"
#include "engine/gl-rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- class-share comparison ---- */

static GlDrift *
drift_new (guint n_classes, gsize n_a, gsize n_b)
{
  GlDrift *drift = g_new0 (GlDrift, 1);

  drift->n_classes = n_classes;
  drift->n_a = n_a;
  drift->n_b = n_b;
  drift->psi = NAN;
  drift->js = NAN;
  drift->share_a = g_new0 (double, n_classes);
  drift->share_b = g_new0 (double, n_classes);
  drift->psi_term = g_new0 (double, n_classes);
  drift->confidence_a = g_new (double, n_classes);
  drift->confidence_b = g_new (double, n_classes);
  drift->confidence_shift = g_new (double, n_classes);
  for (guint c = 0; c < n_classes; c++)
    {
      drift->confidence_a[c] = drift->confidence_b[c] = drift->confidence_shift[c] = NAN;
      if (n_a == 0)
        drift->share_a[c] = NAN;
      if (n_b == 0)
        drift->share_b[c] = NAN;
      if (n_a == 0 || n_b == 0)
        drift->psi_term[c] = NAN;
    }
  return drift;
}

void
gl_drift_free (GlDrift *drift)
{
  if (drift == NULL)
    return;
  g_free (drift->share_a);
  g_free (drift->share_b);
  g_free (drift->psi_term);
  g_free (drift->confidence_a);
  g_free (drift->confidence_b);
  g_free (drift->confidence_shift);
  g_free (drift);
}

static double
xlog2 (double p, double q)
{
  return p > 0.0 ? p * log2 (p / q) : 0.0;
}

double
gl_drift_psi (const double *share_a, const double *share_b, guint k, double *terms)
{
  double psi = 0.0;

  for (guint c = 0; c < k; c++)
    {
      double fa = MAX (share_a[c], GL_DRIFT_SHARE_FLOOR);
      double fb = MAX (share_b[c], GL_DRIFT_SHARE_FLOOR);
      double term = (fb - fa) * log (fb / fa);

      if (terms != NULL)
        terms[c] = term;
      psi += term;
    }
  return psi;
}

/* Shares from counts, then psi and js. @count_a, @count_b: (n_classes). */
static void
drift_finish (GlDrift *d, const guint64 *count_a, const guint64 *count_b)
{
  for (guint c = 0; c < d->n_classes; c++)
    {
      if (d->n_a > 0)
        d->share_a[c] = (double)count_a[c] / (double)d->n_a;
      if (d->n_b > 0)
        d->share_b[c] = (double)count_b[c] / (double)d->n_b;
    }
  if (d->n_a == 0 || d->n_b == 0)
    return;

  d->psi = gl_drift_psi (d->share_a, d->share_b, d->n_classes, d->psi_term);
  d->js = 0.0;
  for (guint c = 0; c < d->n_classes; c++)
    {
      double a = d->share_a[c];
      double b = d->share_b[c];
      double mid = 0.5 * (a + b);

      if (mid > 0.0)
        d->js += 0.5 * xlog2 (a, mid) + 0.5 * xlog2 (b, mid);
    }
  /* Rounding can leave a tiny negative or a hair above 1. */
  d->js = CLAMP (d->js, 0.0, 1.0);
}

static gboolean
check_classes (guint n_classes, GError **error)
{
  if (n_classes == 0)
    {
      g_set_error_literal (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                           "A class count of 0 has no drift statistics");
      return FALSE;
    }
  return TRUE;
}

GlDrift *
gl_drift_compute_from_labels (const gint *labels_a, gsize n_a, const gint *labels_b, gsize n_b,
                              guint n_classes, GError **error)
{
  g_autofree guint64 *count_a = NULL; /* (n_classes) */
  g_autofree guint64 *count_b = NULL; /* (n_classes) */
  GlDrift *drift;

  if (!check_classes (n_classes, error)
      || !gl_metrics_check_labels (labels_a, n_a, n_classes, "Window A", error)
      || !gl_metrics_check_labels (labels_b, n_b, n_classes, "Window B", error))
    return NULL;

  count_a = g_new0 (guint64, n_classes);
  count_b = g_new0 (guint64, n_classes);
  for (gsize i = 0; i < n_a; i++)
    count_a[labels_a[i]]++;
  for (gsize i = 0; i < n_b; i++)
    count_b[labels_b[i]]++;
  drift = drift_new (n_classes, n_a, n_b);
  drift_finish (drift, count_a, count_b);
  return drift;
}

/* Counts and mean confidence of the arg-max classes of @probs: (n, k).
 * @count: (k), @confidence: (k) mean top-class probability or NaN. */
static void
count_predictions (const float *probs, gsize n, guint k, guint64 *count, double *confidence)
{
  for (guint c = 0; c < k; c++)
    confidence[c] = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      const float *row = probs + i * k;
      guint p = gl_metrics_argmax (row, k);

      count[p]++;
      confidence[p] += row[p];
    }
  for (guint c = 0; c < k; c++)
    confidence[c] = count[c] > 0 ? confidence[c] / (double)count[c] : NAN;
}

GlDrift *
gl_drift_compute (const float *probs_a, gsize n_a, const float *probs_b, gsize n_b, guint n_classes,
                  GError **error)
{
  g_autofree guint64 *count_a = NULL; /* (n_classes) */
  g_autofree guint64 *count_b = NULL; /* (n_classes) */
  GlDrift *drift;

  if (!check_classes (n_classes, error))
    return NULL;

  count_a = g_new0 (guint64, n_classes);
  count_b = g_new0 (guint64, n_classes);
  drift = drift_new (n_classes, n_a, n_b);
  count_predictions (probs_a, n_a, n_classes, count_a, drift->confidence_a);
  count_predictions (probs_b, n_b, n_classes, count_b, drift->confidence_b);
  for (guint c = 0; c < n_classes; c++)
    drift->confidence_shift[c] = drift->confidence_b[c] - drift->confidence_a[c];
  drift_finish (drift, count_a, count_b);
  return drift;
}

/* ---- special functions ---- */

double
gl_drift_gamma_q (double a, double x)
{
  const double eps = 1e-15;
  const double tiny = 1e-300;
  double log_front;

  if (!(a > 0.0) || !(x > 0.0))
    return 1.0;
  if (isinf (x))
    return 0.0;
  log_front = -x + a * log (x) - lgamma (a);
  if (x < a + 1.0)
    {
      /* P(a, x) = e^{−x} x^a / Γ(a) · Σ_n x^n / (a (a+1) … (a+n)). */
      double term = 1.0 / a;
      double sum = term;

      for (guint n = 1; n < 10000; n++)
        {
          term *= x / (a + n);
          sum += term;
          if (fabs (term) < fabs (sum) * eps)
            break;
        }
      return CLAMP (1.0 - sum * exp (log_front), 0.0, 1.0);
    }
  else
    {
      /* Q(a, x) = e^{−x} x^a / Γ(a) · 1 / (x + 1 − a − 1·(1−a) / (x + 3 − a − …)),
       * evaluated by the modified Lentz method. */
      double b = x + 1.0 - a;
      double c = 1.0 / tiny;
      double d = 1.0 / b;
      double h = d;

      for (guint i = 1; i < 10000; i++)
        {
          double an = -(double)i * ((double)i - a);
          double delta;

          b += 2.0;
          d = an * d + b;
          if (fabs (d) < tiny)
            d = tiny;
          c = b + an / c;
          if (fabs (c) < tiny)
            c = tiny;
          d = 1.0 / d;
          delta = d * c;
          h *= delta;
          if (fabs (delta - 1.0) < eps)
            break;
        }
      return CLAMP (exp (log_front) * h, 0.0, 1.0);
    }
}

/* ---- Kolmogorov–Smirnov ---- */

static int
compare_double (const void *pa, const void *pb)
{
  double a = *(const double *)pa;
  double b = *(const double *)pb;

  return (a > b) - (a < b);
}

double
gl_drift_ks_p_exact (gsize n_a, gsize n_b, double d)
{
  /* Paths from (0, 0) to (n_a, n_b), every path equally likely under H0;
   * P(D < d) is the probability of staying where |i/n_a − j/n_b| < d, i.e.
   * |i n_b − j n_a| < h with h = d n_a n_b (an integer for an observed D).
   * u[j] holds the probability of reaching (i, j) inside, by the step
   * probabilities of drawing without replacement. */
  g_autofree double *u = NULL; /* (n_b + 1) */
  double total = (double)(n_a + n_b);
  double h;
  double inside;

  if (n_a == 0 || n_b == 0 || !(d > 0.0))
    return 1.0;
  h = floor (d * (double)n_a * (double)n_b + 0.5);
  u = g_new0 (double, n_b + 1);
  for (gsize i = 0; i <= n_a; i++)
    for (gsize j = 0; j <= n_b; j++)
      {
        double gap = fabs ((double)i * (double)n_b - (double)j * (double)n_a);
        double v = 0.0;

        if (gap >= h)
          {
            u[j] = 0.0;
            continue;
          }
        if (i == 0 && j == 0)
          {
            u[j] = 1.0;
            continue;
          }
        /* From (i − 1, j): u[j] still holds row i − 1. */
        if (i > 0)
          v += u[j] * (double)(n_a - (i - 1)) / (total - (double)(i - 1) - (double)j);
        /* From (i, j − 1): u[j − 1] already holds row i. */
        if (j > 0)
          v += u[j - 1] * (double)(n_b - (j - 1)) / (total - (double)i - (double)(j - 1));
        u[j] = v;
      }
  inside = u[n_b];
  return CLAMP (1.0 - inside, 0.0, 1.0);
}

/* Kolmogorov's limiting tail Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}; for
 * small λ the equivalent 1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}. */
static double
kolmogorov_q (double lambda)
{
  if (lambda <= 0.0)
    return 1.0;
  if (lambda < 1.18)
    {
      double y = -M_PI * M_PI / (8.0 * lambda * lambda);
      double sum = 0.0;

      for (int k = 1; k <= 7; k++)
        sum += exp ((double)((2 * k - 1) * (2 * k - 1)) * y);
      return CLAMP (1.0 - sqrt (2.0 * M_PI) / lambda * sum, 0.0, 1.0);
    }
  else
    {
      double sum = 0.0;

      for (int k = 1; k <= 100; k++)
        {
          double term = exp (-2.0 * k * k * lambda * lambda);

          sum += (k % 2 == 1 ? term : -term);
          if (term < 1e-17)
            break;
        }
      return CLAMP (2.0 * sum, 0.0, 1.0);
    }
}

double
gl_drift_ks_p_asymptotic (gsize n_a, gsize n_b, double d)
{
  double m, root;

  if (n_a == 0 || n_b == 0)
    return 1.0;
  m = (double)n_a * (double)n_b / ((double)n_a + (double)n_b);
  root = sqrt (m);
  return kolmogorov_q ((root + 0.12 + 0.11 / root) * d);
}

double
gl_drift_ks_sorted (const double *sa, gsize n_a, const double *sb, gsize n_b, double *p_value)
{
  gsize i = 0, j = 0;
  double d = 0.0;

  if (n_a == 0 || n_b == 0)
    {
      if (p_value != NULL)
        *p_value = 1.0;
      return 0.0;
    }
  /* Walk the pooled values in order; after all copies of a value are
   * consumed from both samples, the two empirical CDFs are compared. */
  while (i < n_a && j < n_b)
    {
      double v = MIN (sa[i], sb[j]);

      while (i < n_a && sa[i] <= v)
        i++;
      while (j < n_b && sb[j] <= v)
        j++;
      d = MAX (d, fabs ((double)i / (double)n_a - (double)j / (double)n_b));
    }
  /* The rest of one sample only brings its CDF up to 1; the largest gap is
   * already seen or is the one at the point where the other sample ended. */
  if (p_value != NULL)
    *p_value = (double)n_a * (double)n_b <= GL_DRIFT_KS_EXACT_MAX ? gl_drift_ks_p_exact (n_a, n_b, d)
                                                                  : gl_drift_ks_p_asymptotic (n_a, n_b, d);
  return d;
}

double
gl_drift_ks_two_sample (const double *a, gsize n_a, const double *b, gsize n_b, double *p_value)
{
  g_autofree double *sa = NULL; /* (n_a) sorted */
  g_autofree double *sb = NULL; /* (n_b) sorted */

  if (n_a == 0 || n_b == 0)
    return gl_drift_ks_sorted (a, n_a, b, n_b, p_value);
  sa = g_memdup2 (a, n_a * sizeof (double));
  sb = g_memdup2 (b, n_b * sizeof (double));
  qsort (sa, n_a, sizeof (double), compare_double);
  qsort (sb, n_b, sizeof (double), compare_double);
  return gl_drift_ks_sorted (sa, n_a, sb, n_b, p_value);
}

/* ---- binomial and chi-square ---- */

static double
binomial_log_pmf (guint64 k, guint64 n, double p)
{
  double kd = (double)k, nd = (double)n;

  return lgamma (nd + 1.0) - lgamma (kd + 1.0) - lgamma (nd - kd + 1.0) + kd * log (p)
         + (nd - kd) * log1p (-p);
}

/* Degenerate success probabilities put all mass on 0 or n. Returns TRUE
 * with *pmf_k set when @p is 0 or 1 (or outside). */
static gboolean
binomial_degenerate (guint64 k, guint64 n, double p, double *mass_at_k)
{
  if (p <= 0.0)
    {
      *mass_at_k = k == 0 ? 1.0 : 0.0;
      return TRUE;
    }
  if (p >= 1.0)
    {
      *mass_at_k = k == n ? 1.0 : 0.0;
      return TRUE;
    }
  return FALSE;
}

double
gl_drift_binomial_test (guint64 k, guint64 n, double p)
{
  const double rerr = 1.0 + 1e-7;
  double degenerate, bound, sum = 0.0;

  if (n == 0 || k > n)
    return 1.0;
  if (binomial_degenerate (k, n, p, &degenerate))
    return degenerate;
  if ((double)k == p * (double)n)
    return 1.0;
  bound = binomial_log_pmf (k, n, p) + log (rerr);
  for (guint64 i = 0; i <= n; i++)
    {
      double lp = binomial_log_pmf (i, n, p);

      if (lp <= bound)
        sum += exp (lp);
    }
  return CLAMP (sum, 0.0, 1.0);
}

double
gl_drift_binomial_upper (guint64 k, guint64 n, double p)
{
  double degenerate, sum = 0.0;

  if (k == 0)
    return 1.0;
  if (k > n)
    return 0.0;
  if (p <= 0.0)
    return 0.0;
  if (binomial_degenerate (k, n, p, &degenerate))
    return 1.0;
  for (guint64 i = k; i <= n; i++)
    sum += exp (binomial_log_pmf (i, n, p));
  return CLAMP (sum, 0.0, 1.0);
}

double
gl_drift_chi_square_gof (const guint64 *observed, const double *expected_share, guint k, guint *df,
                         double *p_value)
{
  guint64 n = 0;
  guint cells = 0;
  double x2 = 0.0;

  for (guint c = 0; c < k; c++)
    n += observed[c];
  for (guint c = 0; c < k; c++)
    {
      double e = (double)n * expected_share[c];

      if (e > 0.0)
        {
          double diff = (double)observed[c] - e;

          x2 += diff * diff / e;
          cells++;
        }
      else if (observed[c] > 0)
        x2 = INFINITY;
    }
  if (df != NULL)
    *df = cells > 0 ? cells - 1 : 0;
  if (n == 0 || cells < 2)
    {
      if (p_value != NULL)
        *p_value = 1.0;
      return 0.0;
    }
  if (p_value != NULL)
    *p_value = isinf (x2) ? 0.0 : gl_drift_gamma_q (0.5 * (double)(cells - 1), 0.5 * x2);
  return x2;
}

static double
log_choose (guint64 n, guint64 k)
{
  return lgamma ((double)n + 1.0) - lgamma ((double)k + 1.0) - lgamma ((double)(n - k) + 1.0);
}

double
gl_drift_fisher_exact (guint64 a_in, guint64 n_a, guint64 b_in, guint64 n_b)
{
  const double rerr = 1.0 + 1e-7;
  guint64 total = n_a + n_b, in = a_in + b_in;
  guint64 lo, hi;
  double log_denominator, bound, sum = 0.0;

  if (n_a == 0 || n_b == 0 || a_in > n_a || b_in > n_b)
    return 1.0;
  /* X = b_in: n_b draws from total items of which in are "in". */
  lo = in > n_a ? in - n_a : 0;
  hi = MIN (in, n_b);
  log_denominator = log_choose (total, n_b);
  bound = log_choose (in, b_in) + log_choose (total - in, n_b - b_in) - log_denominator + log (rerr);
  for (guint64 x = lo; x <= hi; x++)
    {
      double lp = log_choose (in, x) + log_choose (total - in, n_b - x) - log_denominator;

      if (lp <= bound)
        sum += exp (lp);
    }
  return CLAMP (sum, 0.0, 1.0);
}

double
gl_drift_fisher_one_sided (guint64 a_in, guint64 n_a, guint64 b_in, guint64 n_b, gboolean lower)
{
  guint64 total = n_a + n_b, in = a_in + b_in;
  guint64 lo, hi;
  double log_denominator, sum = 0.0;

  if (n_a == 0 || n_b == 0 || a_in > n_a || b_in > n_b)
    return 1.0;
  lo = in > n_a ? in - n_a : 0;
  hi = MIN (in, n_b);
  log_denominator = log_choose (total, n_b);
  for (guint64 x = lower ? lo : b_in; x <= (lower ? b_in : hi); x++)
    sum += exp (log_choose (in, x) + log_choose (total - in, n_b - x) - log_denominator);
  return CLAMP (sum, 0.0, 1.0);
}

double
gl_drift_chi_square_homogeneity (const guint64 *count_a, const guint64 *count_b, guint k, guint *df,
                                 double *p_value)
{
  guint64 n_a = 0, n_b = 0;
  guint cells = 0;
  double x2 = 0.0, n;

  for (guint c = 0; c < k; c++)
    {
      n_a += count_a[c];
      n_b += count_b[c];
    }
  n = (double)(n_a + n_b);
  for (guint c = 0; c < k; c++)
    {
      double column = (double)(count_a[c] + count_b[c]);
      double ea = (double)n_a * column / n, eb = (double)n_b * column / n;

      if (column == 0.0)
        continue;
      cells++;
      x2 += ((double)count_a[c] - ea) * ((double)count_a[c] - ea) / ea
            + ((double)count_b[c] - eb) * ((double)count_b[c] - eb) / eb;
    }
  if (n_a == 0 || n_b == 0 || cells < 2)
    {
      if (df != NULL)
        *df = 0;
      if (p_value != NULL)
        *p_value = 1.0;
      return 0.0;
    }
  if (df != NULL)
    *df = cells - 1;
  if (p_value != NULL)
    *p_value = gl_drift_gamma_q (0.5 * (double)(cells - 1), 0.5 * x2);
  return x2;
}

/* ---- multiple comparisons ---- */

void
gl_drift_bonferroni (const double *p, gsize n, double *adjusted)
{
  for (gsize i = 0; i < n; i++)
    adjusted[i] = MIN (1.0, (double)n * p[i]);
}

typedef struct
{
  double p;
  gsize index;
} Ranked;

static int
compare_ranked (const void *pa, const void *pb)
{
  const Ranked *a = pa, *b = pb;
  int order = compare_double (&a->p, &b->p);

  return order != 0 ? order : (a->index > b->index) - (a->index < b->index);
}

void
gl_drift_holm (const double *p, gsize n, double *adjusted)
{
  if (n == 0)
    return; /* an empty family (qsort must not get the NULL of g_new (…, 0)) */
  g_autofree Ranked *ranked = g_new (Ranked, n);
  double running = 0.0;

  for (gsize i = 0; i < n; i++)
    ranked[i] = (Ranked){ p[i], i };
  qsort (ranked, n, sizeof (Ranked), compare_ranked);
  for (gsize i = 0; i < n; i++)
    {
      double v = MIN (1.0, (double)(n - i) * ranked[i].p);

      running = MAX (running, v);
      adjusted[ranked[i].index] = running;
    }
}

/* ---- embeddings ---- */

void
gl_drift_random_projection (const float *x, gsize n, guint dim, guint out_dim, guint64 seed, float *out)
{
  g_autofree float *matrix = g_new (float, (gsize)dim *out_dim); /* (dim, out_dim) */
  GlRng rng;
  double scale = 1.0 / sqrt ((double)MAX (out_dim, 1u));

  gl_rng_init (&rng, seed);
  for (gsize i = 0; i < (gsize)dim * out_dim; i++)
    matrix[i] = (float)(gl_rng_normal (&rng) * scale);
  for (gsize r = 0; r < n; r++)
    for (guint o = 0; o < out_dim; o++)
      {
        double sum = 0.0;

        for (guint d = 0; d < dim; d++)
          sum += (double)x[r * dim + d] * matrix[(gsize)d * out_dim + o];
        out[r * out_dim + o] = (float)sum;
      }
}

double
gl_drift_squared_distance (const float *u, const float *v, guint dim)
{
  double sum = 0.0;

  for (guint d = 0; d < dim; d++)
    {
      double diff = (double)u[d] - (double)v[d];
      sum += diff * diff;
    }
  return sum;
}

/* Row @i of the pooled sample (x then y). */
static const float *
pooled_row (const float *x, gsize n_x, const float *y, guint dim, gsize i)
{
  return i < n_x ? x + i * dim : y + (i - n_x) * dim;
}

double
gl_drift_median_bandwidth (const float *x, gsize n_x, const float *y, gsize n_y, guint dim)
{
  /* At most 400 points (evenly spaced over the pooled sample) keep this O(1). */
  gsize total = n_x + n_y;
  gsize m = MIN (total, (gsize)400);
  g_autofree double *dist = NULL;
  gsize n_dist = 0;
  double median;

  if (m < 2)
    return 1.0;
  dist = g_new (double, m *(m - 1) / 2);
  for (gsize a = 0; a < m; a++)
    for (gsize b = a + 1; b < m; b++)
      {
        const float *u = pooled_row (x, n_x, y, dim, a * total / m);
        const float *v = pooled_row (x, n_x, y, dim, b * total / m);
        dist[n_dist++] = sqrt (gl_drift_squared_distance (u, v, dim));
      }
  median = gl_drift_percentile (dist, n_dist, 50.0);
  return median > 0.0 ? median : 1.0;
}

double
gl_drift_mmd_rbf (const float *x, gsize n_x, const float *y, gsize n_y, guint dim, double sigma)
{
  double gamma = 1.0 / (2.0 * sigma * sigma);
  double sxx = 0.0, syy = 0.0, sxy = 0.0;

  if (n_x == 0 || n_y == 0)
    return 0.0;
  for (gsize i = 0; i < n_x; i++)
    for (gsize j = 0; j < n_x; j++)
      sxx += exp (-gamma * gl_drift_squared_distance (x + i * dim, x + j * dim, dim));
  for (gsize i = 0; i < n_y; i++)
    for (gsize j = 0; j < n_y; j++)
      syy += exp (-gamma * gl_drift_squared_distance (y + i * dim, y + j * dim, dim));
  for (gsize i = 0; i < n_x; i++)
    for (gsize j = 0; j < n_y; j++)
      sxy += exp (-gamma * gl_drift_squared_distance (x + i * dim, y + j * dim, dim));
  return MAX (0.0, sxx / ((double)n_x * n_x) + syy / ((double)n_y * n_y) - 2.0 * sxy / ((double)n_x * n_y));
}

/* Biased MMD² of the split @side (N; 0 = x, 1 = y) of a pooled kernel
 * matrix @kernel (N, N), off-diagonal upper triangle used. */
static double
mmd_of_split (const double *kernel, const guint8 *side, gsize total, gsize n_x)
{
  double sum[3] = { 0.0, 0.0, 0.0 }; /* xx, xy, yy */
  gsize n_y = total - n_x;

  for (gsize i = 0; i < total; i++)
    {
      const double *row = kernel + i * total;
      for (gsize j = i + 1; j < total; j++)
        sum[side[i] + side[j]] += row[j];
    }
  /* Diagonal entries are 1: n_x of them in xx, n_y in yy. */
  return (2.0 * sum[0] + (double)n_x) / ((double)n_x * n_x)
         + (2.0 * sum[2] + (double)n_y) / ((double)n_y * n_y) - 2.0 * sum[1] / ((double)n_x * n_y);
}

double
gl_drift_mmd_test (const float *x, gsize n_x, const float *y, gsize n_y, guint dim, guint n_perm,
                   guint64 seed, double *p_value)
{
  gsize total = n_x + n_y;
  g_autofree double *kernel = NULL; /* (total, total) */
  g_autofree guint8 *side = NULL;   /* (total) */
  g_autofree guint32 *perm = NULL;  /* (total) */
  double sigma, gamma, observed, mean = 0.0, m2 = 0.0;
  guint at_least = 0;
  GlRng rng;
  double p;

  if (p_value != NULL)
    *p_value = 1.0;
  if (n_x < 2 || n_y < 2)
    return 0.0;
  sigma = gl_drift_median_bandwidth (x, n_x, y, n_y, dim);
  gamma = 1.0 / (2.0 * sigma * sigma);
  kernel = g_new (double, total *total);
  for (gsize i = 0; i < total; i++)
    for (gsize j = i + 1; j < total; j++)
      kernel[i * total + j] = exp (
          -gamma * gl_drift_squared_distance (pooled_row (x, n_x, y, dim, i), pooled_row (x, n_x, y, dim, j), dim));
  side = g_new (guint8, total);
  for (gsize i = 0; i < total; i++)
    side[i] = i < n_x ? 0 : 1;
  observed = MAX (0.0, mmd_of_split (kernel, side, total, n_x));
  if (n_perm == 0)
    return observed;

  perm = g_new (guint32, total);
  for (gsize i = 0; i < total; i++)
    perm[i] = (guint32)i;
  gl_rng_init (&rng, seed);
  for (guint t = 0; t < n_perm; t++)
    {
      double v, delta;

      gl_rng_shuffle_u32 (&rng, perm, total);
      for (gsize i = 0; i < total; i++)
        side[perm[i]] = i < n_x ? 0 : 1;
      v = mmd_of_split (kernel, side, total, n_x);
      if (v >= observed)
        at_least++;
      /* Welford's running mean and variance. */
      delta = v - mean;
      mean += delta / (t + 1);
      m2 += delta * (v - mean);
    }
  p = (1.0 + at_least) / (1.0 + n_perm);
  if (p <= 0.05 && n_perm > 1 && mean > 0.0 && m2 > 0.0)
    {
      double var = m2 / (n_perm - 1);
      double shape = mean * mean / var;
      double scale = var / mean;

      p = gl_drift_gamma_q (shape, observed / scale);
    }
  if (p_value != NULL)
    *p_value = CLAMP (p, 0.0, 1.0);
  return observed;
}

double
gl_drift_percentile (double *values, gsize n, double q)
{
  double pos, frac;
  gsize lo;

  if (n == 0)
    return 0.0;
  qsort (values, n, sizeof (double), compare_double);
  pos = CLAMP (q, 0.0, 100.0) / 100.0 * (double)(n - 1);
  lo = (gsize)floor (pos);
  if (lo >= n - 1)
    return values[n - 1];
  frac = pos - (double)lo;
  return values[lo] + frac * (values[lo + 1] - values[lo]);
}

double
gl_drift_novelty_rate (const float *reference, gsize n_ref, const float *window, gsize n_win, guint dim,
                       double q, double *threshold, double *p_value)
{
  g_autofree double *centroid = NULL; /* (dim) */
  g_autofree double *dist = NULL;     /* (n_ref) */
  guint64 beyond_ref = 0, beyond = 0;
  double cut;

  if (threshold != NULL)
    *threshold = 0.0;
  if (p_value != NULL)
    *p_value = 1.0;
  if (n_ref == 0 || n_win == 0)
    return 0.0;
  centroid = g_new0 (double, dim);
  for (gsize r = 0; r < n_ref; r++)
    for (guint d = 0; d < dim; d++)
      centroid[d] += reference[r * dim + d];
  for (guint d = 0; d < dim; d++)
    centroid[d] /= (double)n_ref;
  dist = g_new (double, n_ref);
  for (gsize r = 0; r < n_ref; r++)
    {
      double s = 0.0;
      for (guint d = 0; d < dim; d++)
        s += (reference[r * dim + d] - centroid[d]) * (reference[r * dim + d] - centroid[d]);
      dist[r] = sqrt (s);
    }
  cut = gl_drift_percentile (dist, n_ref, q);
  for (gsize r = 0; r < n_ref; r++)
    beyond_ref += dist[r] > cut;
  for (gsize r = 0; r < n_win; r++)
    {
      double s = 0.0;
      for (guint d = 0; d < dim; d++)
        s += (window[r * dim + d] - centroid[d]) * (window[r * dim + d] - centroid[d]);
      beyond += sqrt (s) > cut;
    }
  if (threshold != NULL)
    *threshold = cut;
  /* The chance that a new point from the reference's distribution lies
   * beyond the cut, estimated conformally: (beyond in the reference + 1) /
   * (n_ref + 1), which also covers the cut's own sampling error. */
  if (p_value != NULL)
    *p_value = gl_drift_binomial_upper (beyond, n_win, ((double)beyond_ref + 1.0) / ((double)n_ref + 1.0));
  return (double)beyond / (double)n_win;
}

double
gl_drift_conformal_outliers (const double *ref_score, const guint *ref_group, gsize n_ref,
                             const double *win_score, const guint *win_group, gsize n_win, guint n_groups,
                             double t, guint64 *count, double *p_value)
{
  g_autofree gsize *start = g_new0 (gsize, (gsize)n_groups + 1);
  g_autofree gsize *fill = g_new0 (gsize, n_groups);
  g_autofree double *sorted = g_new (double, MAX (n_ref, (gsize)1));
  guint64 outliers = 0;

  if (count != NULL)
    *count = 0;
  if (p_value != NULL)
    *p_value = 1.0;
  if (n_win == 0 || n_groups == 0)
    return 0.0;
  /* The reference's scores sorted within each group (counting sort by group). */
  for (gsize i = 0; i < n_ref; i++)
    if (ref_group[i] < n_groups)
      start[ref_group[i] + 1]++;
  for (guint g = 0; g < n_groups; g++)
    start[g + 1] += start[g];
  for (gsize i = 0; i < n_ref; i++)
    if (ref_group[i] < n_groups)
      sorted[start[ref_group[i]] + fill[ref_group[i]]++] = isnan (ref_score[i]) ? -INFINITY : ref_score[i];
  for (guint g = 0; g < n_groups; g++)
    qsort (sorted + start[g], start[g + 1] - start[g], sizeof (double), compare_double);
  for (gsize i = 0; i < n_win; i++)
    {
      guint g = win_group[i];
      gsize lo, hi, n_g;
      double s = win_score[i];

      if (g >= n_groups || isnan (s))
        continue;
      /* The first reference score ≥ s (binary search): n_g − that many are ≥ s. */
      lo = start[g];
      hi = start[g + 1];
      n_g = hi - lo;
      while (lo < hi)
        {
          gsize mid = lo + (hi - lo) / 2;
          if (sorted[mid] < s)
            lo = mid + 1;
          else
            hi = mid;
        }
      outliers += (1.0 + (double)(start[g + 1] - lo)) / (1.0 + (double)n_g) <= t;
    }
  if (count != NULL)
    *count = outliers;
  if (p_value != NULL)
    *p_value = gl_drift_binomial_upper (outliers, n_win, t);
  return (double)outliers / (double)n_win;
}

double
gl_drift_cbpe_precision (const float *probs, gsize n, guint k, guint cls, double *std_error,
                         guint64 *n_predicted)
{
  double sum = 0.0, var = 0.0;
  guint64 count = 0;

  for (gsize i = 0; i < n; i++)
    {
      const float *row = probs + i * k;

      if (gl_metrics_argmax (row, k) != cls)
        continue;
      sum += row[cls];
      var += (double)row[cls] * (1.0 - row[cls]);
      count++;
    }
  if (n_predicted != NULL)
    *n_predicted = count;
  if (std_error != NULL)
    *std_error = count > 0 ? sqrt (var) / (double)count : 0.0;
  return count > 0 ? sum / (double)count : 0.0;
}
