/* gl-drift-omnibus.c — the permutation minP window-wide drift test. See gl-drift-omnibus.h. */
#include "engine/gl-drift-omnibus.h"

#include "engine/gl-drift.h"
#include "engine/gl-metrics.h"
#include "engine/gl-rng.h"

#include <math.h>
#include <stdlib.h>

/* One pooled value and its row (reference rows first, then the window's). */
typedef struct
{
  double value;
  guint32 row;
} Pooled;

static int
compare_pooled (const void *pa, const void *pb)
{
  const Pooled *a = pa, *b = pb;

  return (a->value > b->value) - (a->value < b->value);
}

/* The pooled sample, prepared once: each of the K softmax columns and the
 * top-class probability sorted, and each row's predicted class. Owned by
 * gl_drift_omnibus_test's frame; read only. */
typedef struct
{
  guint k;
  gsize n_ref, n_win, n;
  Pooled *sorted; /* (k + 1, n) */
  guint *pred;    /* (n) */
  guint64 *total; /* (k) predicted counts over the pooled sample */
} Pool;

static const float *
pooled_row (const GlDriftSample *ref, const GlDriftSample *win, gsize i)
{
  return i < ref->n ? ref->probs + i * ref->n_classes : win->probs + (i - ref->n) * win->n_classes;
}

static void
pool_init (Pool *p, const GlDriftSample *ref, const GlDriftSample *win)
{
  guint k = ref->n_classes;

  p->k = k;
  p->n_ref = ref->n;
  p->n_win = win->n;
  p->n = ref->n + win->n;
  p->sorted = g_new (Pooled, (gsize)(k + 1) * p->n);
  p->pred = g_new (guint, p->n);
  p->total = g_new0 (guint64, k);
  for (gsize i = 0; i < p->n; i++)
    {
      const float *row = pooled_row (ref, win, i);

      p->pred[i] = gl_metrics_argmax (row, k);
      p->total[p->pred[i]]++;
      for (guint col = 0; col <= k; col++)
        p->sorted[(gsize)col * p->n + i] = (Pooled){ col < k ? row[col] : row[p->pred[i]], (guint32)i };
    }
  for (guint col = 0; col <= k; col++)
    qsort (p->sorted + (gsize)col * p->n, p->n, sizeof (Pooled), compare_pooled);
}

static void
pool_clear (Pool *p)
{
  g_free (p->sorted);
  g_free (p->pred);
  g_free (p->total);
}

/* The KS statistic D of one sorted column between the rows flagged in
 * @in_win and the others (ties: compared after each run of equal values, as
 * gl_drift_ks_two_sample does). */
static double
column_d (const Pool *p, const Pooled *col, const guint8 *in_win)
{
  double d = 0.0;
  gsize a = 0, b = 0;

  for (gsize i = 0; i < p->n; i++)
    {
      if (in_win[col[i].row])
        b++;
      else
        a++;
      if (i + 1 < p->n && col[i + 1].value <= col[i].value)
        continue;
      d = MAX (d, fabs ((double)a / (double)p->n_ref - (double)b / (double)p->n_win));
    }
  return d;
}

/* The smallest p-value of the tests of the rows flagged in @in_win (the
 * window's, or a permutation's) against the others; *@which ← its test;
 * @count (k) is work space. */
static double
min_p_of (const Pool *p, const guint8 *in_win, guint64 *count, gint *which)
{
  guint k = p->k, df, best_col = 0;
  double d_max = 0.0, p_ks, p_chi;

  for (guint col = 0; col <= k; col++)
    {
      double d = column_d (p, p->sorted + (gsize)col * p->n, in_win);
      if (d > d_max)
        {
          d_max = d;
          best_col = col;
        }
    }
  /* Every column has the same sample sizes, so the largest D has the smallest p. */
  p_ks = (double)p->n_ref * (double)p->n_win <= GL_DRIFT_KS_EXACT_MAX
             ? gl_drift_ks_p_exact (p->n_ref, p->n_win, d_max)
             : gl_drift_ks_p_asymptotic (p->n_ref, p->n_win, d_max);
  for (guint c = 0; c < k; c++)
    count[c] = 0;
  for (gsize i = 0; i < p->n; i++)
    count[p->pred[i]] += in_win[i];
  {
    g_autofree guint64 *rest = g_new (guint64, k);

    for (guint c = 0; c < k; c++)
      rest[c] = p->total[c] - count[c];
    gl_drift_chi_square_homogeneity (rest, count, k, &df, &p_chi);
  }
  *which = (gint)best_col;
  if (df > 0 && p_chi < p_ks)
    {
      *which = (gint)k + 1;
      return p_chi;
    }
  return p_ks;
}

void
gl_drift_omnibus_test (const GlDriftSample *ref, const GlDriftSample *win, guint n_draws, guint64 seed,
                       GlDriftOmnibus *out)
{
  g_autofree guint8 *in_win = NULL;
  g_autofree guint32 *perm = NULL;
  g_autofree guint64 *count = NULL;
  guint below = 0;
  Pool p = { 0 };
  gint which;
  GlRng rng;

  *out = (GlDriftOmnibus){ .min_p = 1.0, .which = -1, .p_value = 1.0, .n_draws = n_draws };
  if (ref->n < 2 || win->n == 0 || ref->n_classes == 0 || ref->n_classes != win->n_classes)
    return;
  pool_init (&p, ref, win);
  in_win = g_new0 (guint8, p.n);
  perm = g_new (guint32, p.n);
  count = g_new (guint64, ref->n_classes);
  for (gsize i = 0; i < p.n; i++)
    {
      perm[i] = (guint32)i;
      in_win[i] = i >= ref->n;
    }
  out->min_p = min_p_of (&p, in_win, count, &out->which);
  gl_rng_init (&rng, seed);
  for (guint b = 0; b < n_draws; b++)
    {
      /* A random split of the pooled rows into a reference and a window of
       * the same sizes: the first n_win of a partial Fisher–Yates shuffle. */
      for (gsize i = 0; i < p.n; i++)
        in_win[i] = 0;
      for (gsize i = 0; i < p.n_win; i++)
        {
          gsize j = i + (gsize)gl_rng_below (&rng, p.n - i);
          guint32 t = perm[i];
          perm[i] = perm[j];
          perm[j] = t;
          in_win[perm[i]] = 1;
        }
      below += min_p_of (&p, in_win, count, &which) <= out->min_p;
    }
  out->p_value = (1.0 + below) / (1.0 + n_draws);
  out->n_ref = ref->n;
  pool_clear (&p);
}
