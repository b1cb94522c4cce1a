/* gl-confident.c — confident learning, see gl-confident.h. */
#include "engine/gl-confident.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const rank_names[] = { "self-confidence", "normalized-margin" };

const char *
gl_confident_rank_to_string (GlConfidentRank rank)
{
  return rank <= GL_CONFIDENT_RANK_NORMALIZED_MARGIN ? rank_names[rank] : "self-confidence";
}

/* The index of @text in @names (n), or -1. */
static gint
name_index (const char *const *names, guint n, const char *text)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (text, names[i]) == 0)
      return (gint)i;
  return -1;
}

gboolean
gl_confident_rank_from_string (const char *text, GlConfidentRank *rank)
{
  gint i = name_index (rank_names, G_N_ELEMENTS (rank_names), text);
  if (i >= 0)
    *rank = (GlConfidentRank)i;
  return i >= 0;
}

static const char *const filter_names[] = { "prune-by-noise-rate", "prune-by-class", "both" };

const char *
gl_confident_filter_to_string (GlConfidentFilter filter)
{
  return filter <= GL_CONFIDENT_FILTER_BOTH ? filter_names[filter] : filter_names[0];
}

gboolean
gl_confident_filter_from_string (const char *text, GlConfidentFilter *filter)
{
  gint i = name_index (filter_names, G_N_ELEMENTS (filter_names), text);
  if (i >= 0)
    *filter = (GlConfidentFilter)i;
  return i >= 0;
}

static gboolean
valid_label (gint y, guint k)
{
  return y >= 0 && (guint)y < k;
}

/* §3.1, eq. 2: per-class thresholds, the mean self-confidence. */
void
gl_confident_thresholds (const gint *labels, const float *probs, gsize n, guint k, double *thresholds,
                         guint64 *counts)
{
  g_autofree guint64 *m = g_new0 (guint64, k);
  for (guint j = 0; j < k; j++)
    thresholds[j] = 0;
  for (gsize x = 0; x < n; x++)
    if (valid_label (labels[x], k))
      {
        thresholds[labels[x]] += probs[x * k + labels[x]];
        m[labels[x]]++;
      }
  for (guint j = 0; j < k; j++)
    {
      thresholds[j] = m[j] > 0 ? thresholds[j] / (double)m[j] : INFINITY;
      if (counts)
        counts[j] = m[j];
    }
}

/* §3.1, eq. 1: the confident joint C[ỹ][y*]. */
void
gl_confident_joint (const gint *labels, const float *probs, gsize n, guint k, const double *thresholds,
                    guint64 *joint, gint *confident)
{
  memset (joint, 0, sizeof (guint64) * k * k);
  for (gsize x = 0; x < n; x++)
    {
      const float *p = probs + x * k;
      gint best = -1;
      for (guint j = 0; j < k; j++)
        if (p[j] >= thresholds[j] && (best < 0 || p[j] > p[best]))
          best = (gint)j;
      if (best >= 0 && valid_label (labels[x], k))
        joint[(gsize)labels[x] * k + (guint)best]++;
      else
        best = -1;
      if (confident)
        confident[x] = best;
    }
}

/* §3.1, eq. 3: calibrate C to the label counts, normalise to a joint. */
void
gl_confident_calibrate (const guint64 *joint, const guint64 *counts, guint k, double *calibrated)
{
  guint64 n = 0;
  for (guint i = 0; i < k; i++)
    n += counts[i];
  for (guint i = 0; i < k; i++)
    {
      guint64 row = 0;
      for (guint j = 0; j < k; j++)
        row += joint[i * k + j];
      for (guint j = 0; j < k; j++)
        {
          double q;
          if (row > 0)
            q = (double)joint[i * k + j] / (double)row * (double)counts[i];
          else
            q = i == j ? (double)counts[i] : 0;
          calibrated[i * k + j] = n > 0 ? q / (double)n : 0;
        }
    }
}

typedef struct
{
  double margin;
  gsize x;
} Margin;

static int
cmp_margin_desc (const void *a, const void *b)
{
  const Margin *u = a, *v = b;
  if (u->margin != v->margin)
    return u->margin > v->margin ? -1 : 1;
  return (u->x > v->x) - (u->x < v->x);
}

/* An example the model predicts as its given label is not an error (cleanlab
 * applies this after every pruning rule). Returns how many stay flagged. */
static gsize
drop_predicted_as_given (const gint *labels, const float *probs, gsize n, guint k, gboolean *flagged)
{
  gsize n_flagged = 0;
  for (gsize x = 0; x < n; x++)
    {
      if (!flagged[x])
        continue;
      const float *p = probs + x * k;
      guint top = 0;
      for (guint j = 1; j < k; j++)
        if (p[j] > p[top])
          top = j;
      if ((gint)top == labels[x])
        flagged[x] = FALSE;
      else
        n_flagged++;
    }
  return n_flagged;
}

/* §3.2, "Prune by Noise Rate". */
gsize
gl_confident_prune_by_noise_rate (const gint *labels, const float *probs, gsize n, guint k,
                                  const double *calibrated, gboolean *flagged)
{
  for (gsize x = 0; x < n; x++)
    flagged[x] = FALSE;
  g_autofree Margin *cand = g_new (Margin, MAX (n, 1));
  for (guint i = 0; i < k; i++)
    {
      gsize m = 0;
      for (gsize x = 0; x < n; x++)
        if (labels[x] == (gint)i)
          cand[m++].x = x;
      if (m == 0)
        continue;
      for (guint j = 0; j < k; j++)
        {
          if (j == i)
            continue;
          double want = round ((double)n * calibrated[i * k + j]);
          gsize count = want <= 0 ? 0 : MIN ((gsize)want, m);
          if (count == 0)
            continue;
          for (gsize c = 0; c < m; c++)
            {
              const float *p = probs + cand[c].x * k;
              cand[c].margin = (double)p[j] - (double)p[i];
            }
          qsort (cand, m, sizeof *cand, cmp_margin_desc);
          for (gsize c = 0; c < count; c++)
            flagged[cand[c].x] = TRUE;
        }
    }
  return drop_predicted_as_given (labels, probs, n, k, flagged);
}

/* §3.2, "Prune by Class". */
gsize
gl_confident_prune_by_class (const gint *labels, const float *probs, gsize n, guint k, const double *calibrated,
                             gboolean *flagged)
{
  for (gsize x = 0; x < n; x++)
    flagged[x] = FALSE;
  g_autofree Margin *cand = g_new (Margin, MAX (n, 1));
  for (guint i = 0; i < k; i++)
    {
      double noise = 0;
      for (guint j = 0; j < k; j++)
        if (j != i)
          noise += calibrated[i * k + j];
      gsize m = 0;
      for (gsize x = 0; x < n; x++)
        if (labels[x] == (gint)i)
          cand[m++] = (Margin){ -(double)probs[x * k + i], x }; /* lowest self-confidence first */
      double want = round ((double)n * noise);
      gsize count = want <= 0 ? 0 : MIN ((gsize)want, m);
      if (count == 0)
        continue;
      qsort (cand, m, sizeof *cand, cmp_margin_desc);
      for (gsize c = 0; c < count; c++)
        flagged[cand[c].x] = TRUE;
    }
  return drop_predicted_as_given (labels, probs, n, k, flagged);
}

static double
max_other (const float *p, guint k, gint y, gint *which)
{
  double best = -1;
  for (guint j = 0; j < k; j++)
    if ((gint)j != y && p[j] > best)
      {
        best = p[j];
        if (which)
          *which = (gint)j;
      }
  return best;
}

/* §3.2: rank by self-confidence or normalised margin. */
void
gl_confident_scores (const gint *labels, const float *probs, gsize n, guint k, GlConfidentRank rank,
                     double *quality)
{
  for (gsize x = 0; x < n; x++)
    {
      const float *p = probs + x * k;
      double self = valid_label (labels[x], k) ? p[labels[x]] : 0;
      if (rank == GL_CONFIDENT_RANK_NORMALIZED_MARGIN)
        quality[x] = (self - max_other (p, k, labels[x], NULL) + 1) / 2;
      else
        quality[x] = self;
    }
}

void
gl_confident_suggest (const gint *labels, const float *probs, gsize n, guint k, gint *suggested)
{
  for (gsize x = 0; x < n; x++)
    {
      suggested[x] = -1;
      max_other (probs + x * k, k, labels[x], &suggested[x]);
    }
}

typedef struct
{
  double q;
  gsize x;
} Quality;

static int
cmp_quality (const void *a, const void *b)
{
  const Quality *u = a, *v = b;
  if (u->q != v->q)
    return u->q < v->q ? -1 : 1;
  return (u->x > v->x) - (u->x < v->x);
}

void
gl_confident_order (const double *quality, gsize n, gsize *order)
{
  g_autofree Quality *q = g_new (Quality, MAX (n, 1));
  for (gsize x = 0; x < n; x++)
    q[x] = (Quality){ quality[x], x };
  qsort (q, n, sizeof *q, cmp_quality);
  for (gsize x = 0; x < n; x++)
    order[x] = q[x].x;
}

gsize
gl_confident_find (const gint *labels, const float *probs, gsize n, guint k, GlConfidentFilter filter,
                   GlConfidentRank rank, const GlConfidentResult *out)
{
  g_autofree double *t = g_new (double, k);
  g_autofree guint64 *counts = g_new (guint64, k);
  g_autofree guint64 *c = g_new (guint64, (gsize)k * k);
  g_autofree double *q = g_new (double, (gsize)k *k);
  gl_confident_thresholds (labels, probs, n, k, t, counts);
  gl_confident_joint (labels, probs, n, k, t, c, NULL);
  gl_confident_calibrate (c, counts, k, q);
  gsize n_flagged;
  if (filter == GL_CONFIDENT_FILTER_CLASS)
    n_flagged = gl_confident_prune_by_class (labels, probs, n, k, q, out->flagged);
  else
    n_flagged = gl_confident_prune_by_noise_rate (labels, probs, n, k, q, out->flagged);
  if (filter == GL_CONFIDENT_FILTER_BOTH)
    {
      g_autofree gboolean *by_class = g_new (gboolean, MAX (n, 1));
      gl_confident_prune_by_class (labels, probs, n, k, q, by_class);
      n_flagged = 0;
      for (gsize x = 0; x < n; x++)
        n_flagged += out->flagged[x] = out->flagged[x] && by_class[x];
    }
  gl_confident_scores (labels, probs, n, k, rank, out->quality);
  if (out->suggested)
    gl_confident_suggest (labels, probs, n, k, out->suggested);
  if (out->thresholds)
    memcpy (out->thresholds, t, sizeof (double) * k);
  if (out->joint)
    memcpy (out->joint, c, sizeof (guint64) * k * k);
  if (out->calibrated)
    memcpy (out->calibrated, q, sizeof (double) * k * k);
  return n_flagged;
}
