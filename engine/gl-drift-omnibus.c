/* gl-drift-omnibus.c — the calibrated minP window-wide drift test. See gl-drift-omnibus.h. */
#include "engine/gl-drift-omnibus.h"

#include "engine/gl-drift.h"
#include "engine/gl-metrics.h"
#include "engine/gl-rng.h"

#include <math.h>
#include <stdlib.h>

/* The comparison half R2, prepared once: each of its K softmax columns and
 * its top-class probabilities sorted, and its predicted classes' counts.
 * Owned by gl_drift_omnibus_test's frame; read only. */
typedef struct
{
  guint k;
  gsize n;
  double *sorted;  /* (k + 1, n) */
  guint64 *count;  /* (k) */
} Compare;

static int
compare_double (const void *pa, const void *pb)
{
  double a = *(const double *)pa, b = *(const double *)pb;

  return (a > b) - (a < b);
}

/* Two-sample KS p-value of @win (n_w; sorted in place) against @ref_sorted
 * (n_r, ascending). */
static double
ks_presorted (const double *ref_sorted, gsize n_r, double *win, gsize n_w)
{
  double p;

  qsort (win, n_w, sizeof (double), compare_double);
  gl_drift_ks_sorted (ref_sorted, n_r, win, n_w, &p);
  return p;
}

/* The smallest p-value of the tests of @rows (n) of @probs against @c;
 * @scratch (n) and @count (k) are work space; *@which ← its test. */
static double
min_p_of (const Compare *c, const float *probs, const guint32 *rows, gsize n, double *scratch, guint64 *count,
          gint *which)
{
  guint k = c->k, df;
  double best = 1.0, p;

  *which = -1;
  for (guint col = 0; col <= k; col++)
    {
      for (gsize i = 0; i < n; i++)
        {
          const float *row = probs + (gsize)rows[i] * k;
          scratch[i] = col < k ? row[col] : row[gl_metrics_argmax (row, k)];
        }
      p = ks_presorted (c->sorted + (gsize)col * c->n, c->n, scratch, n);
      if (p < best)
        {
          best = p;
          *which = (gint)col;
        }
    }
  for (guint col = 0; col < k; col++)
    count[col] = 0;
  for (gsize i = 0; i < n; i++)
    count[gl_metrics_argmax (probs + (gsize)rows[i] * k, k)]++;
  gl_drift_chi_square_homogeneity (c->count, count, k, &df, &p);
  if (df > 0 && p < best)
    {
      best = p;
      *which = (gint)k + 1;
    }
  return best;
}

/* @c ← R2 (@rows, n) of @ref. */
static void
compare_init (Compare *c, const GlDriftSample *ref, const guint32 *rows, gsize n)
{
  guint k = ref->n_classes;

  c->k = k;
  c->n = n;
  c->sorted = g_new (double, (gsize)(k + 1) * n);
  c->count = g_new0 (guint64, k);
  for (gsize i = 0; i < n; i++)
    {
      const float *row = ref->probs + (gsize)rows[i] * k;
      guint top = gl_metrics_argmax (row, k);

      for (guint col = 0; col < k; col++)
        c->sorted[(gsize)col * n + i] = row[col];
      c->sorted[(gsize)k * n + i] = row[top];
      c->count[top]++;
    }
  for (guint col = 0; col <= k; col++)
    qsort (c->sorted + (gsize)col * n, n, sizeof (double), compare_double);
}

/* @n rows drawn from @pool (m) with replacement into @out: a null window
 * is an i.i.d. sample of the calibration half's distribution. (Without
 * replacement its statistics would vary less than a real window's, by the
 * finite-population factor 1 − n / m, and the test would reject too often.) */
static void
draw_rows (GlRng *rng, const guint32 *pool, gsize m, gsize n, guint32 *out)
{
  for (gsize i = 0; i < n; i++)
    out[i] = pool[gl_rng_below (rng, m)];
}

/* @rows (m) shuffled (Fisher–Yates). */
static void
shuffle_rows (GlRng *rng, guint32 *rows, gsize m)
{
  for (gsize i = 0; i + 1 < m; i++)
    {
      gsize j = i + (gsize)gl_rng_below (rng, m - i);
      guint32 t = rows[i];
      rows[i] = rows[j];
      rows[j] = t;
    }
}

void
gl_drift_omnibus_test (const GlDriftSample *ref, const GlDriftSample *win, guint n_draws, guint64 seed,
                       GlDriftOmnibus *out)
{
  gsize n = win->n, n2 = ref->n - ref->n / 4, n1 = ref->n / 4;
  g_autofree guint32 *order = NULL, *rows = NULL;
  g_autofree double *scratch = NULL;
  g_autofree guint64 *count = NULL;
  guint below = 0;
  Compare c = { 0 };
  gint which;
  GlRng rng;

  *out = (GlDriftOmnibus){ .min_p = 1.0, .which = -1, .p_value = 1.0, .n_draws = n_draws };
  if (ref->n < 4 || n == 0 || ref->n_classes == 0 || ref->n_classes != win->n_classes)
    return;
  order = g_new (guint32, ref->n);
  for (gsize i = 0; i < ref->n; i++)
    order[i] = (guint32)i;
  gl_rng_init (&rng, seed);
  shuffle_rows (&rng, order, ref->n); /* a random order of the reference: R2 first */
  compare_init (&c, ref, order, n2);
  rows = g_new (guint32, n);
  scratch = g_new (double, n);
  count = g_new (guint64, ref->n_classes);
  for (gsize i = 0; i < n; i++)
    rows[i] = (guint32)i;
  out->min_p = min_p_of (&c, win->probs, rows, n, scratch, count, &out->which);
  for (guint b = 0; b < n_draws; b++)
    {
      draw_rows (&rng, order + n2, n1, n, rows);
      below += min_p_of (&c, ref->probs, rows, n, scratch, count, &which) <= out->min_p;
    }
  out->p_value = (1.0 + below) / (1.0 + n_draws);
  out->n_compare = n2;
  out->n_calib = n1;
  g_free (c.sorted);
  g_free (c.count);
}
