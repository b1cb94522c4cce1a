/* gl-drift-domain.c — domain scores and the label allocation of a drifted
 * window.
 * See gl-drift-domain.h. */
#include "engine/gl-drift-domain.h"

#include "engine/gl-drift.h"

#include <math.h>
#include <string.h>

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
                        double *scores)
{
  /* A window's own neighbours come from every step-th of its rows, at most
   * GL_DRIFT_DOMAIN_WINDOW_SAMPLE of them: a batch of 50,000 costs as much
   * as one of that many. */
  gsize step = (n_win + GL_DRIFT_DOMAIN_WINDOW_SAMPLE - 1) / GL_DRIFT_DOMAIN_WINDOW_SAMPLE;
  gsize n_pool = step > 0 ? (n_win + step - 1) / step : 0;
  g_autofree double *best = NULL;
  g_autofree gboolean *from_win = NULL;

  if (n_ref + n_pool > 1)
    k = (guint)MIN ((gsize)MAX (k, 1u), n_ref + n_pool - 1);
  best = g_new (double, MAX (k, 1u));
  from_win = g_new (gboolean, MAX (k, 1u));
  for (gsize i = 0; i < n_win; i++)
    {
      const float *x = win + i * dim;
      gsize others = n_pool - (i % step == 0); /* window rows in the pool, itself excluded */
      double r;
      guint have = 0, k_win = 0;

      scores[i] = 0.0;
      if (n_ref == 0 || others == 0)
        continue;
      for (gsize j = 0; j < n_ref; j++)
        offer (best, from_win, k, &have, gl_drift_squared_distance (x, ref + j * dim, dim), FALSE);
      for (gsize j = 0; j < n_win; j += step)
        if (j != i)
          offer (best, from_win, k, &have, gl_drift_squared_distance (x, win + j * dim, dim), TRUE);
      for (guint t = 0; t < have; t++)
        k_win += from_win[t];
      r = ((double)k_win / (double)others) / ((double)(have - k_win + 1) / (double)n_ref);
      scores[i] = r > 1.0 ? 1.0 - 1.0 / r : 0.0;
    }
}

/* Lloyd's k-means of @x (n, dim) from the rows evenly spaced in @x as
 * seeds (so the seeds follow the density); @centres (k, dim), @assign (n). */
static void
kmeans (const float *x, gsize n, guint dim, guint k, float *centres, guint *assign)
{
  g_autofree double *sum = g_new (double, (gsize)k * dim);
  g_autofree gsize *count = g_new (gsize, k);

  for (guint c = 0; c < k; c++)
    memcpy (centres + (gsize)c * dim, x + (c * n / k) * dim, dim * sizeof (float));
  for (guint iter = 0; iter < 50; iter++)
    {
      gboolean moved = FALSE;

      for (gsize i = 0; i < n; i++)
        {
          guint best = 0;
          double best_d = INFINITY;
          for (guint c = 0; c < k; c++)
            {
              double d = gl_drift_squared_distance (x + i * dim, centres + (gsize)c * dim, dim);
              if (d < best_d)
                {
                  best_d = d;
                  best = c;
                }
            }
          moved |= iter == 0 || assign[i] != best;
          assign[i] = best;
        }
      if (!moved)
        break;
      memset (sum, 0, (gsize)k * dim * sizeof (double));
      memset (count, 0, k * sizeof (gsize));
      for (gsize i = 0; i < n; i++)
        {
          count[assign[i]]++;
          for (guint d = 0; d < dim; d++)
            sum[(gsize)assign[i] * dim + d] += x[i * dim + d];
        }
      for (guint c = 0; c < k; c++)
        for (guint d = 0; count[c] > 0 && d < dim; d++)
          centres[(gsize)c * dim + d] = (float)(sum[(gsize)c * dim + d] / (double)count[c]);
    }
}

typedef struct
{
  const guint *assign;
  const double *dist;
} RankCtx;

static gint
compare_rank (gconstpointer a, gconstpointer b, gpointer data)
{
  const RankCtx *c = data;
  gsize i = *(const gsize *)a, j = *(const gsize *)b;

  if (c->assign[i] != c->assign[j])
    return c->assign[i] < c->assign[j] ? -1 : 1;
  if (c->dist[i] != c->dist[j])
    return c->dist[i] < c->dist[j] ? -1 : 1;
  return (i > j) - (i < j);
}

void
gl_drift_domain_allocate (const float *x, gsize n, guint dim, const double *priority, guint n_clusters,
                          double *gain, guint *cluster)
{
  guint k = (guint)MIN ((gsize)CLAMP (n_clusters, 1u, GL_DRIFT_DOMAIN_MAX_CLUSTERS), MAX (n, (gsize)1));
  g_autofree float *centres = g_new (float, (gsize)k * MAX (dim, 1u));
  g_autofree guint *assign = g_new0 (guint, MAX (n, (gsize)1));
  g_autofree double *weight = g_new0 (double, k);
  g_autofree double *dist = g_new (double, MAX (n, (gsize)1));
  g_autofree gsize *order = g_new (gsize, MAX (n, (gsize)1));
  RankCtx ctx;

  if (n == 0)
    return;
  if (dim == 0)
    {
      /* No coordinates: each row its own cluster, its quotient its priority. */
      for (gsize i = 0; i < n; i++)
        {
          gain[i] = isnan (priority[i]) ? 0.0 : priority[i];
          if (cluster != NULL)
            cluster[i] = (guint)i;
        }
      return;
    }
  kmeans (x, n, dim, k, centres, assign);
  for (gsize i = 0; i < n; i++)
    {
      weight[assign[i]] += isnan (priority[i]) ? 0.0 : priority[i];
      dist[i] = gl_drift_squared_distance (x + i * dim, centres + (gsize)assign[i] * dim, dim);
    }
  /* The rank of a member in its cluster: by cluster, then distance, then row. */
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  ctx = (RankCtx){ assign, dist };
  g_qsort_with_data (order, (gint)n, sizeof (gsize), compare_rank, &ctx);
  for (gsize o = 0, rank = 0; o < n; o++)
    {
      gsize i = order[o];
      rank = o > 0 && assign[order[o - 1]] == assign[i] ? rank + 1 : 0;
      gain[i] = weight[assign[i]] / (double)(rank + 1);
      if (cluster != NULL)
        cluster[i] = assign[i];
    }
}
