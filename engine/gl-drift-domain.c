/* gl-drift-domain.c — domain scores and diverse picks of a drifted window.
 * See gl-drift-domain.h. */
#include "engine/gl-drift-domain.h"

#include "engine/gl-drift.h"

#include <math.h>

/* Keeps the @k smallest of the distances offered so far in @best (sorted,
 * ascending) with their source in @from_win; *@have of them filled. */
static void
offer (double *best, gboolean *from_win, guint k, guint *have, double d, gboolean win)
{
  guint at;

  if (*have == k && d >= best[k - 1])
    return;
  at = *have < k ? (*have)++ : k - 1;
  while (at > 0 && best[at - 1] > d)
    {
      best[at] = best[at - 1];
      from_win[at] = from_win[at - 1];
      at--;
    }
  best[at] = d;
  from_win[at] = win;
}

void
gl_drift_domain_scores (const float *ref, gsize n_ref, const float *win, gsize n_win, guint dim, guint k,
                        double *scores, double *nearest_ref)
{
  g_autofree double *best = NULL;
  g_autofree gboolean *from_win = NULL;

  if (n_ref + n_win > 1)
    k = (guint)MIN ((gsize)MAX (k, 1u), n_ref + n_win - 1);
  best = g_new (double, MAX (k, 1u));
  from_win = g_new (gboolean, MAX (k, 1u));
  for (gsize i = 0; i < n_win; i++)
    {
      const float *x = win + i * dim;
      double near_ref = INFINITY, r;
      guint have = 0, k_win = 0;

      scores[i] = 0.0;
      for (gsize j = 0; j < n_ref; j++)
        {
          double d = gl_drift_squared_distance (x, ref + j * dim, dim);
          near_ref = MIN (near_ref, d);
          offer (best, from_win, k, &have, d, FALSE);
        }
      if (nearest_ref != NULL)
        nearest_ref[i] = sqrt (near_ref);
      if (n_ref == 0 || n_win < 2)
        continue;
      for (gsize j = 0; j < n_win; j++)
        if (j != i)
          offer (best, from_win, k, &have, gl_drift_squared_distance (x, win + j * dim, dim), TRUE);
      for (guint t = 0; t < have; t++)
        k_win += from_win[t];
      r = ((double)k_win / (double)(n_win - 1)) / ((double)(have - k_win + 1) / (double)n_ref);
      scores[i] = r > 1.0 ? 1.0 - 1.0 / r : 0.0;
    }
}

double
gl_drift_domain_spacing (const float *ref, gsize n_ref, guint dim)
{
  gsize m = MIN (n_ref, (gsize)512), step;
  g_autofree double *nn = NULL;
  if (n_ref < 2 || dim == 0)
    return 0.0;
  step = n_ref / m;
  nn = g_new (double, m);
  for (gsize s = 0; s < m; s++)
    {
      gsize i = s * step;
      double best = INFINITY;

      for (gsize j = 0; j < n_ref; j++)
        if (j != i)
          best = MIN (best, gl_drift_squared_distance (ref + i * dim, ref + j * dim, dim));
      nn[s] = sqrt (best);
    }
  return gl_drift_percentile (nn, m, 50.0);
}

void
gl_drift_domain_greedy (const float *x, gsize n, guint dim, const double *priority, const double *covered,
                        double spacing, gsize *order, double *gain)
{
  g_autofree double *reach = g_new (double, MAX (n, (gsize)1));
  g_autofree gboolean *taken = g_new0 (gboolean, MAX (n, (gsize)1));

  if (!(spacing > 0.0))
    spacing = 1.0;
  for (gsize i = 0; i < n; i++)
    reach[i] = isfinite (covered[i]) ? covered[i] / spacing : G_MAXFLOAT;
  for (gsize step = 0; step < n; step++)
    {
      gsize best = G_MAXSIZE;
      double best_gain = -1.0;

      for (gsize i = 0; i < n; i++)
        {
          double g = isnan (priority[i]) ? 0.0 : priority[i] * reach[i];
          if (!taken[i] && g > best_gain)
            {
              best_gain = g;
              best = i;
            }
        }
      taken[best] = TRUE;
      order[step] = best;
      gain[best] = best_gain;
      for (gsize i = 0; i < n; i++)
        if (!taken[i])
          reach[i] = MIN (reach[i], sqrt (gl_drift_squared_distance (x + i * dim, x + best * dim, dim)) / spacing);
    }
}
