/* team-sim.c — a simulated team of annotators. See team-sim.h. */
#include "team-sim.h"

#include <math.h>

gint
team_sim_label (GlRng *rng, gint truth, double eta, guint k)
{
  return gl_rng_double (rng) < eta ? (gint)gl_rng_below (rng, k) : truth;
}

void
team_sim_draw (GlRng *rng, gsize n, guint n_raters, guint k, const double *eta, double present, gint *truth,
               gint *labels)
{
  for (gsize i = 0; i < n; i++)
    {
      truth[i] = (gint)gl_rng_below (rng, k);
      for (guint r = 0; r < n_raters; r++)
        {
          gint l = team_sim_label (rng, truth[i], eta[r], k);
          labels[i * n_raters + r] = gl_rng_double (rng) < present ? l : GL_AGREEMENT_MISSING;
        }
    }
}

double
team_sim_kappa (const double *eta, guint r, guint s)
{
  return (1.0 - eta[r]) * (1.0 - eta[s]);
}

double
team_sim_alpha (const double *eta, guint n_raters)
{
  double sum = 0.0;
  for (guint r = 0; r < n_raters; r++)
    for (guint s = r + 1; s < n_raters; s++)
      sum += team_sim_kappa (eta, r, s);
  return sum / (n_raters * (n_raters - 1) / 2);
}

void
team_sim_audit (GlRng *rng, guint n_raters, guint k, const double *eta, guint n_audit, guint64 *correct)
{
  for (guint r = 0; r < n_raters; r++)
    {
      correct[r] = 0;
      for (guint j = 0; j < n_audit; j++)
        {
          gint t = (gint)gl_rng_below (rng, k);
          correct[r] += team_sim_label (rng, t, eta[r], k) == t;
        }
    }
}

double
team_sim_credit (const GlConsensus *c, const gint *row, guint n_raters, guint k, const double *w, gint truth)
{
  if (c->klass >= 0)
    return c->klass == truth;
  double score[64] = { 0 }, top = -INFINITY;
  g_assert_cmpuint (k, <=, 64);
  for (guint r = 0; r < n_raters; r++)
    if (row[r] >= 0)
      score[row[r]] += w ? w[r] : 1.0;
  for (guint j = 0; j < k; j++)
    top = MAX (top, score[j]);
  return score[truth] >= top - 1e-9 ? 1.0 / c->n_tied : 0.0;
}

void
team_sim_consensus (const gint *labels, const gint *truth, gsize n, guint n_raters, guint k,
                    const double *weights, TeamSimConsensus *out)
{
  g_autofree GlConsensus *maj = g_new (GlConsensus, MAX (n, 1));
  g_autofree GlConsensus *wtd = g_new (GlConsensus, MAX (n, 1));
  gl_agreement_majority (labels, n, n_raters, k, maj);
  gl_agreement_weighted (labels, n, n_raters, k, weights, wtd);
  double sum_d = 0.0, sum_d2 = 0.0, acc_m = 0.0, acc_w = 0.0;
  gsize used = 0;
  for (gsize i = 0; i < n; i++)
    {
      if (maj[i].n_votes == 0)
        continue;
      double cm = team_sim_credit (&maj[i], labels + i * n_raters, n_raters, k, NULL, truth[i]);
      double cw = team_sim_credit (&wtd[i], labels + i * n_raters, n_raters, k, weights, truth[i]);
      acc_m += cm;
      acc_w += cw;
      sum_d += cw - cm;
      sum_d2 += (cw - cm) * (cw - cm);
      used++;
    }
  out->n = used;
  out->majority = used ? acc_m / used : NAN;
  out->weighted = used ? acc_w / used : NAN;
  out->gain = used ? sum_d / used : NAN;
  out->gain_se = used > 1 ? sqrt ((sum_d2 / used - out->gain * out->gain) / (used - 1)) : NAN;
}
