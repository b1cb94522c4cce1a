/* gl-agreement.c — Cohen's κ, Krippendorff's α, majority and weighted
 * consensus. See gl-agreement.h for the formulas and their sources. */
#include "engine/gl-agreement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gl-rng.h"

/* The two-sided 95% normal quantile. */
#define Z95 1.959963984540054

static void
agreement_undefined (GlAgreement *out)
{
  out->value = NAN;
  out->ci_low = NAN;
  out->ci_high = NAN;
  out->se = NAN;
}

/* ---- Cohen's κ ---------------------------------------------------------- */

void
gl_agreement_kappa_table (const guint64 *table, guint k, GlAgreement *out)
{
  memset (out, 0, sizeof *out);
  agreement_undefined (out);
  guint64 n = 0;
  for (guint i = 0; i < k * k; i++)
    n += table[i];
  out->n_items = n;
  out->n_values = 2 * n;
  if (n == 0)
    return;
  g_autofree double *row = g_new0 (double, k); /* (k) p_i. */
  g_autofree double *col = g_new0 (double, k); /* (k) p_.j */
  double po = 0.0;
  for (guint i = 0; i < k; i++)
    for (guint j = 0; j < k; j++)
      {
        double p = (double)table[i * k + j] / (double)n;
        row[i] += p;
        col[j] += p;
        if (i == j)
          po += p;
      }
  double pe = 0.0;
  for (guint i = 0; i < k; i++)
    pe += row[i] * col[i];
  if (1.0 - pe <= 1e-12)
    return;
  out->value = (po - pe) / (1.0 - pe);
  /* Fleiss, Cohen and Everitt (1969), eq. 13. */
  double diag = 0.0, off = 0.0;
  for (guint i = 0; i < k; i++)
    for (guint j = 0; j < k; j++)
      {
        double p = (double)table[i * k + j] / (double)n;
        if (p == 0.0)
          continue;
        if (i == j)
          {
            double t = (1.0 - pe) - (col[i] + row[i]) * (1.0 - po);
            diag += p * t * t;
          }
        else
          {
            double t = col[i] + row[j];
            off += p * t * t;
          }
      }
  double last = po * pe - 2.0 * pe + po;
  double var = (diag + (1.0 - po) * (1.0 - po) * off - last * last) / ((double)n * pow (1.0 - pe, 4));
  /* One annotator giving one answer only (a per-class table with an empty
   * row or column) makes κ 0 by construction and the delta-method variance
   * 0: no interval rather than a false certainty. */
  if (var <= 1e-15 && out->value < 1.0 - 1e-9)
    return;
  out->se = sqrt (MAX (var, 0.0));
  out->ci_low = out->value - Z95 * out->se;
  out->ci_high = out->value + Z95 * out->se;
}

void
gl_agreement_kappa (const gint *labels, gsize n_items, guint n_raters, guint r, guint s, guint k, gint klass,
                    GlAgreement *out)
{
  memset (out, 0, sizeof *out);
  agreement_undefined (out);
  g_return_if_fail (r < n_raters && s < n_raters && klass < (gint)k);
  guint kt = klass < 0 ? k : 2;
  g_autofree guint64 *table = g_new0 (guint64, (gsize)kt * kt); /* (kt, kt) */
  for (gsize i = 0; i < n_items; i++)
    {
      gint a = labels[i * n_raters + r], b = labels[i * n_raters + s];
      if (a < 0 || b < 0 || a >= (gint)k || b >= (gint)k)
        continue;
      if (klass >= 0)
        {
          a = a == klass;
          b = b == klass;
        }
      table[(gsize)a * kt + (gsize)b]++;
    }
  gl_agreement_kappa_table (table, kt, out);
}

/* ---- Krippendorff's α --------------------------------------------------- */

/* The pairable items in compact form: item u has m[u] values in
 * start[u] … start[u+1]-1 of the (class, count) lists. Built, read and
 * freed by gl_agreement_alpha on the caller's thread; owns every array. */
typedef struct
{
  guint n_units;
  guint *m;     /* (n_units) values of the unit */
  gsize *start; /* (n_units + 1) */
  gint *cls;    /* (n_pairs) a class present in the unit */
  guint *count; /* (n_pairs) how many annotators gave it */
  double *d; /* (n_units) (m² − Σ n_uc²) / (m − 1): the unit's ordered disagreeing pairs, weighted */
} Units;

static void
units_build (Units *u, const gint *labels, gsize n_items, guint n_raters, guint k)
{
  memset (u, 0, sizeof *u);
  GArray *m = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *start = g_array_new (FALSE, FALSE, sizeof (gsize));
  GArray *cls = g_array_new (FALSE, FALSE, sizeof (gint));
  GArray *count = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *d = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree guint *seen = g_new0 (guint, k); /* (k) counts within the current item */
  gsize zero = 0;
  g_array_append_val (start, zero);
  for (gsize i = 0; i < n_items; i++)
    {
      const gint *row = labels + i * n_raters;
      guint mu = 0;
      for (guint r = 0; r < n_raters; r++)
        if (row[r] >= 0 && row[r] < (gint)k)
          {
            seen[row[r]]++;
            mu++;
          }
      double sq = 0.0;
      for (guint r = 0; r < n_raters; r++)
        {
          gint c = row[r];
          if (c < 0 || c >= (gint)k || seen[c] == 0)
            continue;
          if (mu >= 2)
            {
              g_array_append_val (cls, c);
              g_array_append_val (count, seen[c]);
            }
          sq += (double)seen[c] * seen[c];
          seen[c] = 0;
        }
      if (mu < 2)
        continue;
      double du = ((double)mu * mu - sq) / (mu - 1);
      gsize end = cls->len;
      g_array_append_val (m, mu);
      g_array_append_val (start, end);
      g_array_append_val (d, du);
    }
  u->n_units = m->len;
  u->m = (guint *)(void *)g_array_free (m, FALSE);
  u->start = (gsize *)(void *)g_array_free (start, FALSE);
  u->cls = (gint *)(void *)g_array_free (cls, FALSE);
  u->count = (guint *)(void *)g_array_free (count, FALSE);
  u->d = (double *)(void *)g_array_free (d, FALSE);
}

static void
units_clear (Units *u)
{
  g_free (u->m);
  g_free (u->start);
  g_free (u->cls);
  g_free (u->count);
  g_free (u->d);
}

/* α overall (@alpha[0]) and per class (@alpha[1 + c]) of the units taken
 * @w[u] times each (NULL: once each). @scratch: (2k + 2) doubles. */
static void
units_alpha (const Units *u, const guint *w, guint k, double *scratch, double *alpha)
{
  double *n_c = scratch;      /* (k) values of class c */
  double *do_c = scratch + k; /* (k) observed disagreement of c against the rest */
  double n = 0.0, d_o = 0.0;
  memset (scratch, 0, sizeof (double) * 2 * k);
  for (guint i = 0; i < u->n_units; i++)
    {
      double wi = w ? (double)w[i] : 1.0;
      if (wi == 0.0)
        continue;
      double mu = u->m[i];
      n += wi * mu;
      d_o += wi * u->d[i];
      for (gsize j = u->start[i]; j < u->start[i + 1]; j++)
        {
          double nc = u->count[j];
          n_c[u->cls[j]] += wi * nc;
          do_c[u->cls[j]] += wi * 2.0 * nc * (mu - nc) / (mu - 1.0);
        }
    }
  double sq = 0.0;
  for (guint c = 0; c < k; c++)
    sq += n_c[c] * n_c[c];
  double d_e = n * n - sq;
  alpha[0] = n > 1.0 && d_e > 1e-9 ? 1.0 - (n - 1.0) * d_o / d_e : NAN;
  for (guint c = 0; c < k; c++)
    {
      double de_c = 2.0 * n_c[c] * (n - n_c[c]);
      alpha[1 + c] = n > 1.0 && de_c > 1e-9 ? 1.0 - (n - 1.0) * do_c[c] / de_c : NAN;
    }
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The @q quantile (0 … 1) of sorted @v (n > 0), linear between order statistics. */
static double
quantile_sorted (const double *v, gsize n, double q)
{
  double pos = q * (double)(n - 1);
  gsize lo = (gsize)floor (pos);
  gsize hi = MIN (lo + 1, n - 1);
  return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

/* Fills the interval of @out from the @n_boot resampled values in @boot
 * (NaN ones are dropped; @boot is reordered). */
static void
bootstrap_interval (double *boot, guint n_boot, GlAgreement *out)
{
  guint n = 0;
  for (guint b = 0; b < n_boot; b++)
    if (!isnan (boot[b]))
      boot[n++] = boot[b];
  out->n_boot = n;
  if (n < 2 || isnan (out->value))
    return;
  qsort (boot, n, sizeof (double), compare_double);
  double mean = 0.0, ss = 0.0;
  for (guint b = 0; b < n; b++)
    mean += boot[b];
  mean /= n;
  for (guint b = 0; b < n; b++)
    ss += (boot[b] - mean) * (boot[b] - mean);
  out->se = sqrt (ss / (n - 1));
  out->ci_low = quantile_sorted (boot, n, 0.025);
  out->ci_high = quantile_sorted (boot, n, 0.975);
}

void
gl_agreement_alpha (const gint *labels, gsize n_items, guint n_raters, guint k, guint n_boot, guint64 seed,
                    GlAgreement *overall, GlAgreement *per_class)
{
  if (n_boot == 0)
    n_boot = GL_AGREEMENT_DEFAULT_BOOT;
  Units u;
  units_build (&u, labels, n_items, n_raters, k);
  g_autofree double *scratch = g_new (double, 2 * (gsize)k + 2);
  g_autofree double *alpha = g_new (double, 1 + (gsize)k); /* (1 + k) overall, then per class */
  units_alpha (&u, NULL, k, scratch, alpha);
  guint64 n_values = 0;
  for (guint i = 0; i < u.n_units; i++)
    n_values += u.m[i];
  guint n_stats = per_class ? 1 + k : 1;
  for (guint s = 0; s < n_stats; s++)
    {
      GlAgreement *out = s == 0 ? overall : &per_class[s - 1];
      memset (out, 0, sizeof *out);
      agreement_undefined (out);
      out->value = alpha[s];
      out->n_items = u.n_units;
      out->n_values = n_values;
    }
  if (u.n_units >= 2)
    {
      /* (n_stats, n_boot): the resampled values of each statistic. */
      g_autofree double *boot = g_new (double, (gsize)n_stats *n_boot);
      g_autofree guint *w = g_new (guint, u.n_units); /* (n_units) multiplicity in the resample */
      GlRng rng;
      gl_rng_init (&rng, seed);
      for (guint b = 0; b < n_boot; b++)
        {
          memset (w, 0, sizeof (guint) * u.n_units);
          for (guint i = 0; i < u.n_units; i++)
            w[gl_rng_below (&rng, u.n_units)]++;
          units_alpha (&u, w, k, scratch, alpha);
          for (guint s = 0; s < n_stats; s++)
            boot[(gsize)s * n_boot + b] = alpha[s];
        }
      for (guint s = 0; s < n_stats; s++)
        bootstrap_interval (boot + (gsize)s * n_boot, n_boot, s == 0 ? overall : &per_class[s - 1]);
    }
  units_clear (&u);
}

void
gl_agreement_wilson (guint64 x, guint64 n, double *low, double *high)
{
  if (n == 0)
    {
      *low = *high = NAN;
      return;
    }
  double p = (double)x / (double)n, z2 = Z95 * Z95, nn = (double)n;
  double centre = (p + z2 / (2.0 * nn)) / (1.0 + z2 / nn);
  double half = Z95 * sqrt (p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / (1.0 + z2 / nn);
  *low = MAX (0.0, centre - half);
  *high = MIN (1.0, centre + half);
}

/* ---- Consensus ---------------------------------------------------------- */

/* Picks the winner of one item from @score (k; only the classes in @voted,
 * n_voted of them, can be non-zero) into @out; @tol: scores this close tie. */
static void
pick_winner (const double *score, const gint *voted, guint n_voted, double tol, GlConsensus *out)
{
  out->klass = -1;
  out->n_tied = 0;
  if (n_voted == 0)
    return;
  double best = -INFINITY;
  for (guint j = 0; j < n_voted; j++)
    best = MAX (best, score[voted[j]]);
  for (guint j = 0; j < n_voted; j++)
    if (score[voted[j]] >= best - tol)
      {
        out->n_tied++;
        out->klass = voted[j];
      }
  if (out->n_tied > 1)
    out->klass = -1;
}

/* The distinct classes of item @row into @voted, their weight sums into
 * @score; returns how many classes and sets *@n_votes. */
static guint
collect_votes (const gint *row, guint n_raters, guint k, const double *weights, double *score, gint *voted,
               guint *n_votes)
{
  guint n_voted = 0;
  *n_votes = 0;
  for (guint r = 0; r < n_raters; r++)
    {
      gint c = row[r];
      if (c < 0 || c >= (gint)k)
        continue;
      gboolean known = FALSE;
      for (guint j = 0; j < n_voted && !known; j++)
        known = voted[j] == c;
      if (!known)
        voted[n_voted++] = c;
      score[c] += weights ? weights[r] : 1.0;
      (*n_votes)++;
    }
  return n_voted;
}

void
gl_agreement_majority (const gint *labels, gsize n_items, guint n_raters, guint k, GlConsensus *out)
{
  g_autofree double *score = g_new0 (double, k);   /* (k) votes per class of the current item */
  g_autofree gint *voted = g_new (gint, n_raters); /* (n_raters) distinct classes voted */
  for (gsize i = 0; i < n_items; i++)
    {
      guint n_votes;
      guint n_voted = collect_votes (labels + i * n_raters, n_raters, k, NULL, score, voted, &n_votes);
      pick_winner (score, voted, n_voted, 0.5, &out[i]);
      out[i].n_votes = n_votes;
      out[i].support = NAN;
      if (n_voted > 0)
        {
          gint top = out[i].klass >= 0 ? out[i].klass : voted[0];
          for (guint j = 0; out[i].klass < 0 && j < n_voted; j++)
            if (score[voted[j]] > score[top])
              top = voted[j];
          out[i].support = score[top] / n_votes;
        }
      for (guint j = 0; j < n_voted; j++)
        score[voted[j]] = 0.0;
    }
}

void
gl_agreement_weights (const guint64 *correct, const guint64 *audited, guint n_raters, guint k,
                      double prior_strength, double *accuracy, double *weights)
{
  if (prior_strength <= 0.0)
    prior_strength = GL_AGREEMENT_DEFAULT_PRIOR_STRENGTH;
  guint64 sum_correct = 0, sum_audited = 0;
  for (guint r = 0; r < n_raters; r++)
    {
      sum_correct += MIN (correct[r], audited[r]);
      sum_audited += audited[r];
    }
  for (guint r = 0; r < n_raters; r++)
    {
      if (sum_audited == 0 || k < 2)
        {
          accuracy[r] = NAN;
          weights[r] = 1.0;
          continue;
        }
      double a0 = (double)sum_correct / (double)sum_audited;
      double a = ((double)MIN (correct[r], audited[r]) + prior_strength * a0)
                 / ((double)audited[r] + prior_strength);
      a = CLAMP (a, 0.001, 0.999);
      accuracy[r] = a;
      weights[r] = MAX (0.0, log ((double)(k - 1)) + log (a / (1.0 - a)));
    }
}

void
gl_agreement_weighted (const gint *labels, gsize n_items, guint n_raters, guint k, const double *weights,
                       GlConsensus *out)
{
  g_autofree double *score = g_new0 (double, k);   /* (k) weight sums of the current item */
  g_autofree gint *voted = g_new (gint, n_raters); /* (n_raters) distinct classes voted */
  for (gsize i = 0; i < n_items; i++)
    {
      guint n_votes;
      guint n_voted = collect_votes (labels + i * n_raters, n_raters, k, weights, score, voted, &n_votes);
      pick_winner (score, voted, n_voted, 1e-9, &out[i]);
      out[i].n_votes = n_votes;
      out[i].support = NAN;
      if (n_voted > 0)
        {
          /* The posterior: exp(score) over all k classes, unvoted ones at 0. */
          double best = 0.0;
          for (guint j = 0; j < n_voted; j++)
            best = MAX (best, score[voted[j]]);
          double z = (double)(k - n_voted) * exp (-best), top = -INFINITY;
          for (guint j = 0; j < n_voted; j++)
            {
              z += exp (score[voted[j]] - best);
              top = MAX (top, score[voted[j]]);
            }
          out[i].support = exp (top - best) / z;
        }
      for (guint j = 0; j < n_voted; j++)
        score[voted[j]] = 0.0;
    }
}
