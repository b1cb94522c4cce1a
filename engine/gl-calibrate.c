/* gl-calibrate.c — temperature scaling. See gl-calibrate.h. */
#include "engine/gl-calibrate.h"

#include <math.h>

double
gl_calibrate_nll (const float *logits, const gint *labels, gsize n, guint k, double t)
{
  double total = 0.0;

  if (n == 0 || k == 0)
    return 0.0;
  for (gsize i = 0; i < n; i++)
    {
      const float *row = logits + i * k;
      double max = row[0], sum = 0.0;

      for (guint c = 1; c < k; c++)
        max = MAX (max, (double)row[c]);
      for (guint c = 0; c < k; c++)
        sum += exp ((row[c] - max) / t);
      total += log (sum) - (row[labels[i]] - max) / t;
    }
  return total / (double)n;
}

double
gl_calibrate_fit_temperature (const float *logits, const gint *labels, gsize n, guint k, double *nll_before,
                              double *nll_after)
{
  const double golden = 0.5 * (sqrt (5.0) - 1.0);
  double lo = log (GL_CALIBRATE_T_MIN), hi = log (GL_CALIBRATE_T_MAX);
  double x1, x2, f1, f2, t;

  if (nll_before != NULL)
    *nll_before = gl_calibrate_nll (logits, labels, n, k, 1.0);
  if (n == 0 || k < 2)
    {
      if (nll_after != NULL)
        *nll_after = nll_before != NULL ? *nll_before : 0.0;
      return 1.0;
    }
  x1 = hi - golden * (hi - lo);
  x2 = lo + golden * (hi - lo);
  f1 = gl_calibrate_nll (logits, labels, n, k, exp (x1));
  f2 = gl_calibrate_nll (logits, labels, n, k, exp (x2));
  while (hi - lo > 1e-6)
    {
      if (f1 <= f2)
        {
          hi = x2;
          x2 = x1;
          f2 = f1;
          x1 = hi - golden * (hi - lo);
          f1 = gl_calibrate_nll (logits, labels, n, k, exp (x1));
        }
      else
        {
          lo = x1;
          x1 = x2;
          f1 = f2;
          x2 = lo + golden * (hi - lo);
          f2 = gl_calibrate_nll (logits, labels, n, k, exp (x2));
        }
    }
  t = exp (0.5 * (lo + hi));
  if (nll_after != NULL)
    *nll_after = gl_calibrate_nll (logits, labels, n, k, t);
  return t;
}

void
gl_calibrate_apply_temperature (const float *logits, gsize n, guint k, double t, float *probs)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *row = logits + i * k;
      float *out = probs + i * k;
      double max = row[0], sum = 0.0;

      for (guint c = 1; c < k; c++)
        max = MAX (max, (double)row[c]);
      for (guint c = 0; c < k; c++)
        {
          out[c] = (float)exp ((row[c] - max) / t);
          sum += out[c];
        }
      for (guint c = 0; c < k; c++)
        out[c] = (float)(out[c] / sum);
    }
}

void
gl_calibrate_logits_from_probs (const float *probs, gsize n, guint k, float *logits)
{
  for (gsize i = 0; i < n * k; i++)
    logits[i] = (float)log (MAX ((double)probs[i], 1e-30));
}
