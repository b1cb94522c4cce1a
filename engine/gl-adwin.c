/* gl-adwin.c — ADWIN change detector. See gl-adwin.h. */
#include "engine/gl-adwin.h"

#include <math.h>
#include <string.h>

GlAdwin *
gl_adwin_new (double delta, guint min_side, gsize max_width)
{
  GlAdwin *adwin = g_new0 (GlAdwin, 1);

  adwin->delta = CLAMP (delta, 1e-12, 0.999);
  adwin->min_side = MAX (min_side, 1u);
  adwin->max_width = MAX (max_width, (gsize)2);
  adwin->values = g_new (double, adwin->max_width);
  return adwin;
}

void
gl_adwin_free (GlAdwin *adwin)
{
  if (adwin == NULL)
    return;
  g_free (adwin->values);
  g_free (adwin);
}

double
gl_adwin_get_mean (const GlAdwin *adwin)
{
  double sum = 0.0;

  for (gsize i = 0; i < adwin->width; i++)
    sum += adwin->values[i];
  return adwin->width > 0 ? sum / (double)adwin->width : 0.0;
}

/* One pass over the splits, oldest part growing; cuts at the first split
 * that differs by ε_cut or more. TRUE when it cut. */
static gboolean
adwin_cut_once (GlAdwin *a)
{
  double total = 0.0, head = 0.0;
  gsize n = a->width;

  if (n < 2 * (gsize)a->min_side)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    total += a->values[i];
  for (gsize n0 = 1; n0 + a->min_side <= n; n0++)
    {
      gsize n1 = n - n0;
      double mu0, mu1, m, eps;

      head += a->values[n0 - 1];
      if (n0 < a->min_side)
        continue;
      mu0 = head / (double)n0;
      mu1 = (total - head) / (double)n1;
      m = 1.0 / (1.0 / (double)n0 + 1.0 / (double)n1);
      eps = sqrt (log (4.0 * (double)n / a->delta) / (2.0 * m));
      if (fabs (mu0 - mu1) >= eps)
        {
          a->n_changes++;
          a->mean_before = mu0;
          a->mean_after = mu1;
          a->width_before = n0;
          a->width_after = n1;
          a->epsilon = eps;
          memmove (a->values, a->values + n0, n1 * sizeof (double));
          a->width = n1;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
gl_adwin_add (GlAdwin *adwin, double value)
{
  gboolean changed = FALSE;

  if (adwin->width == adwin->max_width)
    {
      memmove (adwin->values, adwin->values + 1, (adwin->width - 1) * sizeof (double));
      adwin->width--;
    }
  adwin->values[adwin->width++] = isnan (value) ? 0.0 : CLAMP (value, 0.0, 1.0);
  while (adwin_cut_once (adwin))
    changed = TRUE;
  return changed;
}
