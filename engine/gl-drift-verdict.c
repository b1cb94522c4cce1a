/* gl-drift-verdict.c — the combined per-window drift verdict. See gl-drift-verdict.h. */
#include "engine/gl-drift-verdict.h"

#include "engine/gl-drift-omnibus.h"
#include "engine/gl-drift.h"
#include "engine/gl-metrics.h"
#include "engine/gl-rng.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[GL_DRIFT_N_TESTS]
    = { "share", "bbsd", "confidence", "embedding", "novelty", "loss", "gain" };

const char *
gl_drift_test_kind_to_string (GlDriftTestKind kind)
{
  return (guint)kind < GL_DRIFT_N_TESTS ? kind_names[kind] : NULL;
}

gint
gl_drift_test_kind_from_string (const char *name)
{
  for (guint i = 0; name != NULL && i < GL_DRIFT_N_TESTS; i++)
    if (strcmp (name, kind_names[i]) == 0)
      return (gint)i;
  return -1;
}

void
gl_drift_options_init (GlDriftOptions *options)
{
  *options = (GlDriftOptions){
    .alpha = 0.05, .min_class = 30, .n_perm = 200, .mmd_max_ref = 150, .novelty_q = 99.0, .n_null = 300, .seed = 0
  };
}

void
gl_drift_verdict_free (GlDriftVerdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->tests);
  g_free (verdict->insufficient);
  g_free (verdict->precision_window);
  g_free (verdict->precision_window_se);
  g_free (verdict->precision_reference);
  g_free (verdict->precision_reference_se);
  g_free (verdict);
}

const GlDriftTestResult *
gl_drift_verdict_get (const GlDriftVerdict *verdict, guint cls, GlDriftTestKind kind)
{
  g_return_val_if_fail (cls < verdict->n_classes && (guint)kind < GL_DRIFT_N_TESTS, NULL);
  return &verdict->tests[(gsize)cls * GL_DRIFT_N_TESTS + kind];
}

static gboolean
check_sample (const GlDriftSample *s, guint k, const char *what, GError **error)
{
  if (s->n_classes != k || k == 0)
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "The %s has %u classes, the reference %u", what, s->n_classes, k);
      return FALSE;
    }
  if (s->n > 0 && s->probs == NULL)
    {
      g_set_error (error, GL_METRICS_ERROR, GL_METRICS_ERROR_INVALID,
                   "The %s has %" G_GSIZE_FORMAT " images but no probabilities", what, s->n);
      return FALSE;
    }
  return TRUE;
}

/* The rows of @s predicted as each class: @pred (n) and @count (k). */
static void
predict_classes (const GlDriftSample *s, guint *pred, guint64 *count)
{
  for (gsize i = 0; i < s->n; i++)
    {
      pred[i] = gl_metrics_argmax (s->probs + i * s->n_classes, s->n_classes);
      count[pred[i]]++;
    }
}

/* Column @c of @s's probabilities, for the rows predicted as @only (or all
 * rows when @only is G_MAXUINT), into @out; returns how many. */
static gsize
gather_column (const GlDriftSample *s, const guint *pred, guint c, guint only, double *out)
{
  gsize m = 0;

  for (gsize i = 0; i < s->n; i++)
    if (only == G_MAXUINT || pred[i] == only)
      out[m++] = s->probs[i * s->n_classes + c];
  return m;
}

/* Embedding rows of @s predicted as @c (G_MAXUINT: every row), at most
 * @max_rows of them drawn at random without replacement (seeded by @seed;
 * all of them, in order, when there are no more), into @out (max_rows, dim);
 * returns how many. A random draw, not evenly spaced rows: images often
 * arrive in a periodic order (class by class, or cycling through classes),
 * and a stride would pick one phase of it. */
static gsize
gather_embedding (const GlDriftSample *s, const guint *pred, guint c, gsize max_rows, guint64 seed,
                  float *out)
{
  g_autofree guint32 *rows = g_new (guint32, MAX (s->n, (gsize)1));
  gsize m = 0, take;
  GlRng rng;

  for (gsize i = 0; i < s->n; i++)
    if (c == G_MAXUINT || pred[i] == c)
      rows[m++] = (guint32)i;
  take = MIN (m, max_rows);
  if (take < m)
    {
      /* The first take entries of a partial Fisher–Yates shuffle. */
      gl_rng_init (&rng, seed);
      for (gsize i = 0; i < take; i++)
        {
          gsize j = i + (gsize)gl_rng_below (&rng, m - i);
          guint32 t = rows[i];
          rows[i] = rows[j];
          rows[j] = t;
        }
    }
  for (gsize i = 0; i < take; i++)
    memcpy (out + i * s->dim, s->embedding + (gsize)rows[i] * s->dim, s->dim * sizeof (float));
  return take;
}

static void
set_result (GlDriftTestResult *r, double statistic, double p, double effect, guint64 n_ref, guint64 n_win)
{
  r->tested = TRUE;
  r->statistic = isfinite (statistic) ? statistic : G_MAXDOUBLE;
  r->p_value = isnan (p) ? 1.0 : CLAMP (p, 0.0, 1.0);
  r->effect = isnan (effect) ? 0.0 : effect;
  r->n_ref = n_ref;
  r->n_win = n_win;
}

/* The within-class tests of class @c (CONFIDENCE, EMBEDDING, NOVELTY). */
static void
within_class_tests (GlDriftVerdict *v, const GlDriftSample *ref, const GlDriftSample *win,
                    const guint *pred_ref, const guint *pred_win, const guint64 *count_ref,
                    const guint64 *count_win, guint c, const GlDriftOptions *o)
{
  GlDriftTestResult *row = v->tests + (gsize)c * GL_DRIFT_N_TESTS;
  g_autofree double *a = g_new (double, count_ref[c]);
  g_autofree double *b = g_new (double, count_win[c]);
  double p, d;

  gather_column (ref, pred_ref, c, c, a);
  gather_column (win, pred_win, c, c, b);
  d = gl_drift_ks_two_sample (a, count_ref[c], b, count_win[c], &p);
  set_result (&row[GL_DRIFT_TEST_CONFIDENCE], d, p, v->precision_window[c] - v->precision_reference[c],
              count_ref[c], count_win[c]);

  if (ref->dim > 0 && ref->dim == win->dim && ref->embedding != NULL && win->embedding != NULL)
    {
      guint dim = ref->dim;
      g_autofree float *er = g_new (float, (gsize)count_ref[c] * dim);
      g_autofree float *ew = g_new (float, (gsize)count_win[c] * dim);
      gsize nr_all = gather_embedding (ref, pred_ref, c, count_ref[c], 0, er);
      gsize nw = gather_embedding (win, pred_win, c, count_win[c], 0, ew);
      g_autofree float *er_cap = g_new (float, (gsize)MIN (count_ref[c], o->mmd_max_ref) * dim);
      gsize nr = gather_embedding (ref, pred_ref, c, o->mmd_max_ref, o->seed * 7919u + c, er_cap);
      double threshold, rate, mmd;

      mmd = gl_drift_mmd_test (er_cap, nr, ew, nw, dim, o->n_perm, o->seed * 1000003u + c, &p);
      set_result (&row[GL_DRIFT_TEST_EMBEDDING], mmd, p, mmd, nr, nw);
      rate = gl_drift_novelty_rate (er, nr_all, ew, nw, dim, o->novelty_q, &threshold, &p);
      set_result (&row[GL_DRIFT_TEST_NOVELTY], rate, p, rate / ((100.0 - o->novelty_q) / 100.0), nr_all, nw);
    }
}

/* Top-class probability of every row of @s into @out (n). */
static double
top_probabilities (const GlDriftSample *s, double *out)
{
  double sum = 0.0;

  for (gsize i = 0; i < s->n; i++)
    {
      const float *row = s->probs + i * s->n_classes;
      out[i] = row[gl_metrics_argmax (row, s->n_classes)];
      sum += out[i];
    }
  return s->n > 0 ? sum / (double)s->n : 0.0;
}

/* The confidence and embedding tests over all images; @a (ref->n) and @b
 * (win->n) are scratch. */
static void
window_wide_tests (GlDriftVerdict *v, const GlDriftSample *ref, const GlDriftSample *win,
                   const GlDriftOptions *o, double *a, double *b)
{
  double p, d;

  d = gl_drift_ks_two_sample (a, ref->n, b, win->n, &p);
  set_result (&v->confidence, d, p, v->accuracy_window - v->accuracy_reference, ref->n, win->n);
  if (ref->dim > 0 && ref->dim == win->dim && ref->embedding != NULL && win->embedding != NULL)
    {
      gsize cap = MAX (o->mmd_max_ref, 2u);
      g_autofree float *er = g_new (float, MIN (ref->n, cap) * ref->dim);
      g_autofree float *ew = g_new (float, MIN (win->n, cap) * win->dim);
      gsize nr = gather_embedding (ref, NULL, G_MAXUINT, cap, o->seed * 7919u + 104729u, er);
      gsize nw = gather_embedding (win, NULL, G_MAXUINT, cap, o->seed * 7919u + 1299709u, ew);
      double mmd = gl_drift_mmd_test (er, nr, ew, nw, ref->dim, o->n_perm, o->seed * 1000003u + 999983u, &p);

      set_result (&v->embedding, mmd, p, mmd, nr, nw);
    }
}

/* Each row's squared embedding distance to the reference centroid of its
 * predicted class, into @ref_dist (ref->n) and @win_dist (win->n); a class
 * the reference never predicted has no centroid: NaN (never an outlier). */
static void
centroid_distances (const GlDriftSample *ref, const GlDriftSample *win, const guint *pred_ref,
                    const guint *pred_win, const guint64 *count_ref, double *ref_dist, double *win_dist)
{
  guint k = ref->n_classes, dim = ref->dim;
  g_autofree float *centroid = g_new0 (float, (gsize)k * dim);
  g_autofree double *sum = g_new0 (double, (gsize)k * dim);

  for (gsize i = 0; i < ref->n; i++)
    for (guint d = 0; d < dim; d++)
      sum[(gsize)pred_ref[i] * dim + d] += ref->embedding[i * dim + d];
  for (guint c = 0; c < k; c++)
    for (guint d = 0; d < dim; d++)
      centroid[(gsize)c * dim + d] = count_ref[c] > 0 ? (float)(sum[(gsize)c * dim + d] / (double)count_ref[c]) : 0.0f;
  for (gsize i = 0; i < ref->n; i++)
    ref_dist[i] = gl_drift_squared_distance (ref->embedding + i * dim, centroid + (gsize)pred_ref[i] * dim, dim);
  for (gsize i = 0; i < win->n; i++)
    win_dist[i] = count_ref[pred_win[i]] > 0
                      ? gl_drift_squared_distance (win->embedding + i * dim, centroid + (gsize)pred_win[i] * dim, dim)
                      : NAN;
}

/* The two conformal outlier counts over all images (the contamination
 * tests): the embedding distance to the predicted class's reference
 * centroid, and 1 − the top-class probability, each against the reference
 * rows of the same predicted class, outlier level t = 1 − novelty_q / 100.
 * @a (ref->n) and @b (win->n) hold the top-class probabilities; they are
 * overwritten. */
static void
outlier_tests (GlDriftVerdict *v, const GlDriftSample *ref, const GlDriftSample *win, const guint *pred_ref,
               const guint *pred_win, const guint64 *count_ref, const GlDriftOptions *o, double *a, double *b)
{
  double t = (100.0 - o->novelty_q) / 100.0, p, rate;
  guint64 count;

  for (gsize i = 0; i < ref->n; i++)
    a[i] = 1.0 - a[i];
  for (gsize i = 0; i < win->n; i++)
    b[i] = 1.0 - b[i];
  rate = gl_drift_conformal_outliers (a, pred_ref, ref->n, b, pred_win, win->n, ref->n_classes, t, &count, &p);
  set_result (&v->uncertain, rate, p, rate / t, ref->n, win->n);
  if (ref->dim > 0 && ref->dim == win->dim && ref->embedding != NULL && win->embedding != NULL)
    {
      centroid_distances (ref, win, pred_ref, pred_win, count_ref, a, b);
      rate = gl_drift_conformal_outliers (a, pred_ref, ref->n, b, pred_win, win->n, ref->n_classes, t, &count, &p);
      set_result (&v->outliers, rate, p, rate / t, ref->n, win->n);
    }
}

/* The two one-sided ranking tests of class @c (LOSS, GAIN; see the header);
 * @a (ref->n) is scratch. */
static void
ranking_tests (GlDriftVerdict *v, const GlDriftSample *ref, const GlDriftSample *win, const guint *pred_ref,
               const guint *pred_win, const guint64 *count_ref, guint c, double *a)
{
  GlDriftTestResult *row = v->tests + (gsize)c * GL_DRIFT_N_TESTS;
  guint k = ref->n_classes;
  double mean_r = 0, mean_w = 0, var_r = 0, se, z, p, sure;
  guint64 sure_r = 0, sure_w = 0;
  gsize m = 0;

  /* LOSS: z on the mean of softmax column c, lower tail, with the
   * reference's variance on both sides (the variance under H0: the window's
   * own shrinks with its mass and would make a falling column look surer). */
  for (gsize i = 0; i < ref->n; i++)
    mean_r += ref->probs[i * k + c] / (double)ref->n;
  for (gsize i = 0; i < win->n; i++)
    mean_w += win->probs[i * k + c] / (double)win->n;
  for (gsize i = 0; i < ref->n; i++)
    var_r += (ref->probs[i * k + c] - mean_r) * (ref->probs[i * k + c] - mean_r) / (double)MAX (ref->n - 1, 1);
  se = sqrt (var_r * (1.0 / (double)ref->n + 1.0 / (double)win->n));
  z = se > 0 ? (mean_w - mean_r) / se : 0.0;
  p = se > 0 ? 0.5 * erfc (-z / G_SQRT2) : mean_w < mean_r ? 0.0 : 1.0;
  set_result (&row[GL_DRIFT_TEST_LOSS], z, p, mean_w - mean_r, ref->n, win->n);

  /* GAIN: the predictions of c at least as sure as the median of the
   * reference's (all of them when the reference never predicts c), one-sided
   * Fisher, upper tail. */
  for (gsize i = 0; i < ref->n; i++)
    if (pred_ref[i] == c)
      a[m++] = ref->probs[i * k + c];
  sure = count_ref[c] > 0 ? gl_drift_percentile (a, m, 50.0) : 0.0;
  for (gsize i = 0; i < ref->n; i++)
    sure_r += pred_ref[i] == c && ref->probs[i * k + c] >= sure;
  for (gsize i = 0; i < win->n; i++)
    sure_w += pred_win[i] == c && win->probs[i * k + c] >= sure;
  p = gl_drift_fisher_one_sided (sure_r, ref->n, sure_w, win->n, FALSE);
  set_result (&row[GL_DRIFT_TEST_GAIN], (double)sure_w / (double)win->n, p,
              (double)sure_w / (double)win->n - (double)sure_r / (double)ref->n, ref->n, win->n);
}

/* The class named first: -1 when the window did not drift; else the class
 * with the most ranking evidence, max (−log p LOSS, −log p GAIN). A class
 * whose images changed (a rotation of its images) is mostly predicted as
 * other classes: its softmax column loses mass, while the classes that
 * receive its images gain unsure predictions, spread over them; a prior
 * shift adds sure predictions of one class while the others lose a little
 * each. Two-sided tests of the shares name a receiving class as often as
 * the changed one (tests/bench/drift --only localisation: 0.23 of the
 * detected one-class shifts at 50%, 0.69 with this rule). A shift inside a
 * class (its embedding, its confidence) moves neither: its fired
 * within-class tests count too, −log p each, unless its column rose (LOSS
 * z ≥ 1: it received images, and its within-class tests fire for that).
 * When no class has any such evidence, the class with the most
 * evidence, −log p summed over its fired tests, or, when none fired, over
 * its raw p-values ≤ α. Naming is an attribution, not a claim: it changes no
 * flag, and a class's own claim is its corrected, gated tests. */
static gint
name_top_class (const GlDriftVerdict *v)
{
  double best_rank = 0.0, best_fired = 0.0, best_raw = 0.0;
  gint by_rank = -1, by_fired = -1, by_raw = -1;

  if (!v->drifted)
    return -1;
  for (guint c = 0; c < v->n_classes; c++)
    {
      const GlDriftTestResult *loss = gl_drift_verdict_get (v, c, GL_DRIFT_TEST_LOSS);
      const GlDriftTestResult *gain = gl_drift_verdict_get (v, c, GL_DRIFT_TEST_GAIN);
      double fired = 0.0, raw = 0.0, rank = 0.0;

      for (guint t = 0; t < GL_DRIFT_N_FAMILY; t++)
        {
          const GlDriftTestResult *r = gl_drift_verdict_get (v, c, t);
          double e = r->tested && r->p_value <= v->alpha ? -log (MAX (r->p_value, 1e-300)) : 0.0;

          fired += r->fired ? e : 0.0;
          raw += e;
        }
      if (loss->tested)
        rank = MAX (rank, -log (MAX (loss->p_value, 1e-300)));
      /* A shift inside the class (its embedding or confidence), its column
       * not risen: its fired within-class tests. A class that received
       * another's images has risen, and those tests fire there too. */
      for (guint t = GL_DRIFT_TEST_CONFIDENCE; t <= GL_DRIFT_TEST_NOVELTY; t++)
        if (gl_drift_verdict_get (v, c, t)->fired && (!loss->tested || loss->statistic < 1.0))
          rank = MAX (rank, -log (MAX (gl_drift_verdict_get (v, c, t)->p_value, 1e-300)));
      if (gain->tested)
        rank = MAX (rank, -log (MAX (gain->p_value, 1e-300)));
      if (fired > best_fired)
        {
          best_fired = fired;
          by_fired = (gint)c;
        }
      if (raw > best_raw)
        {
          best_raw = raw;
          by_raw = (gint)c;
        }
      if (rank > best_rank)
        {
          best_rank = rank;
          by_rank = (gint)c;
        }
    }
  return by_rank >= 0 ? by_rank : by_fired >= 0 ? by_fired : by_raw;
}

/* The window-wide tests that decide whether a window drifted, each with
 * its share of α (weighted Bonferroni: test i fires when p_i ≤ w_i α, so a
 * window without shift raises a false alarm with probability at most
 * Σ w_i α = α, whatever their dependence). */
typedef struct
{
  gsize offset; /* of the GlDriftTestResult in GlDriftVerdict */
  double weight;
} Omnibus;

static const Omnibus omnibus[] = {
  { G_STRUCT_OFFSET (GlDriftVerdict, omnibus), 0.9 },   { G_STRUCT_OFFSET (GlDriftVerdict, uncertain), 0.0 },
  { G_STRUCT_OFFSET (GlDriftVerdict, embedding), 0.05 }, { G_STRUCT_OFFSET (GlDriftVerdict, bbsd), 0.0 },
  { G_STRUCT_OFFSET (GlDriftVerdict, chi_square), 0.0 }, { G_STRUCT_OFFSET (GlDriftVerdict, confidence), 0.0 },
  { G_STRUCT_OFFSET (GlDriftVerdict, outliers), 0.0 },
};
/* The per-class family's share of α in the detection: its smallest
 * Holm-adjusted p-value is one more window-wide test (a shift inside one
 * class's embedding shows there first). The shares sum to 1. */
#define CLASS_FAMILY_SHARE 0.05

/* The detection, then the localisation (serial gatekeeping, Westfall &
 * Krishen 2001): the window-wide tests by their shares of α (omnibus[]),
 * and the per-class family, Holm-corrected among themselves (Holm 1979), by
 * its share CLASS_FAMILY_SHARE; only when one of them fired, the per-class
 * tests at α. The gate keeps the family-wise error at α: without
 * shift no window-wide test fires with probability ≥ 1 − α, and then no
 * per-class test may. Fills p_adjusted, fired, n_fired, drifted and
 * top_class (name_top_class). */
static void
correct_family (GlDriftVerdict *v)
{
  gsize n_class_tests = (gsize)v->n_classes * GL_DRIFT_N_TESTS;
  g_autofree GlDriftTestResult **family = g_new (GlDriftTestResult *, MAX (n_class_tests, (gsize)1));
  g_autofree double *p = g_new (double, MAX (n_class_tests, (gsize)1));
  gsize m = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (omnibus); i++)
    {
      GlDriftTestResult *r = G_STRUCT_MEMBER_P (v, omnibus[i].offset);

      r->p_adjusted = omnibus[i].weight > 0.0 ? MIN (1.0, r->p_value / omnibus[i].weight) : 1.0;
      r->fired = r->tested && r->p_adjusted <= v->alpha;
      v->n_fired += r->fired;
    }
  for (gsize i = 0; i < n_class_tests; i++)
    if (v->tests[i].tested && i % GL_DRIFT_N_TESTS < GL_DRIFT_N_FAMILY)
      family[m++] = &v->tests[i];
  for (gsize i = 0; i < m; i++)
    p[i] = family[i]->p_value;
  gl_drift_holm (p, m, p);
  v->drifted = v->n_fired > 0;
  for (gsize i = 0; i < m; i++)
    v->drifted |= p[i] <= CLASS_FAMILY_SHARE * v->alpha;
  for (gsize i = 0; i < m; i++)
    {
      family[i]->p_adjusted = p[i];
      family[i]->fired = v->drifted && p[i] <= v->alpha;
      v->n_fired += family[i]->fired;
    }
  v->top_class = name_top_class (v);
}

static GlDriftVerdict *
verdict_new (guint k, gsize n_ref, gsize n_win, double alpha)
{
  GlDriftVerdict *v = g_new0 (GlDriftVerdict, 1);

  v->n_classes = k;
  v->n_reference = n_ref;
  v->n_window = n_win;
  v->alpha = alpha;
  v->tests = g_new0 (GlDriftTestResult, (gsize)k * GL_DRIFT_N_TESTS);
  for (gsize i = 0; i < (gsize)k * GL_DRIFT_N_TESTS; i++)
    v->tests[i].p_value = v->tests[i].p_adjusted = 1.0;
  v->chi_square.p_value = v->chi_square.p_adjusted = 1.0;
  v->confidence.p_value = v->confidence.p_adjusted = 1.0;
  v->embedding.p_value = v->embedding.p_adjusted = 1.0;
  v->bbsd.p_value = v->bbsd.p_adjusted = 1.0;
  v->omnibus.p_value = v->omnibus.p_adjusted = 1.0;
  v->omnibus_which = -1;
  v->outliers.p_value = v->outliers.p_adjusted = 1.0;
  v->uncertain.p_value = v->uncertain.p_adjusted = 1.0;
  v->insufficient = g_new0 (gboolean, k);
  v->precision_window = g_new0 (double, k);
  v->precision_window_se = g_new0 (double, k);
  v->precision_reference = g_new0 (double, k);
  v->precision_reference_se = g_new0 (double, k);
  return v;
}

GlDriftVerdict *
gl_drift_verdict_compute (const GlDriftSample *ref, const GlDriftSample *win, const GlDriftOptions *options,
                          GError **error)
{
  GlDriftOptions defaults;
  const GlDriftOptions *o = options;
  guint k = ref->n_classes;
  g_autofree guint *pred_ref = NULL, *pred_win = NULL;
  g_autofree guint64 *count_ref = NULL, *count_win = NULL;
  g_autofree double *share_raw = NULL, *share_win = NULL, *terms = NULL;
  g_autofree double *a = NULL, *b = NULL;
  GlDriftVerdict *v;
  gboolean window_ok;
  double bbsd_p = 1.0, bbsd_d = 0.0;

  if (o == NULL)
    {
      gl_drift_options_init (&defaults);
      o = &defaults;
    }
  if (!check_sample (ref, k, "reference", error) || !check_sample (win, k, "window", error))
    return NULL;

  v = verdict_new (k, ref->n, win->n, o->alpha);
  pred_ref = g_new (guint, MAX (ref->n, (gsize)1));
  pred_win = g_new (guint, MAX (win->n, (gsize)1));
  count_ref = g_new0 (guint64, k);
  count_win = g_new0 (guint64, k);
  predict_classes (ref, pred_ref, count_ref);
  predict_classes (win, pred_win, count_win);

  share_raw = g_new (double, k);
  share_win = g_new (double, k);
  terms = g_new0 (double, k);
  for (guint c = 0; c < k; c++)
    {
      share_raw[c] = ref->n > 0 ? (double)count_ref[c] / (double)ref->n : 0.0;
      share_win[c] = win->n > 0 ? (double)count_win[c] / (double)win->n : 0.0;
      v->insufficient[c] = count_win[c] < o->min_class;
      v->precision_window[c]
          = gl_drift_cbpe_precision (win->probs, win->n, k, c, &v->precision_window_se[c], NULL);
      v->precision_reference[c]
          = gl_drift_cbpe_precision (ref->probs, ref->n, k, c, &v->precision_reference_se[c], NULL);
    }

  a = g_new (double, MAX (ref->n, (gsize)1));
  b = g_new (double, MAX (win->n, (gsize)1));
  v->accuracy_reference = top_probabilities (ref, a);
  v->accuracy_window = top_probabilities (win, b);
  window_ok = win->n >= o->min_class && ref->n >= o->min_class;
  if (window_ok)
    {
      double p, x2 = gl_drift_chi_square_homogeneity (count_ref, count_win, k, &v->chi_square_df, &p);
      double psi = gl_drift_psi (share_raw, share_win, k, terms);

      if (v->chi_square_df > 0)
        set_result (&v->chi_square, x2, p, psi, ref->n, win->n);
      window_wide_tests (v, ref, win, o, a, b);
    }
  if (window_ok)
    outlier_tests (v, ref, win, pred_ref, pred_win, count_ref, o, a, b);
  for (guint c = 0; c < k; c++)
    {
      GlDriftTestResult *row = v->tests + (gsize)c * GL_DRIFT_N_TESTS;

      if (window_ok)
        {
          double p, d;

          p = gl_drift_fisher_exact (count_ref[c], ref->n, count_win[c], win->n);
          set_result (&row[GL_DRIFT_TEST_SHARE], share_win[c], p, terms[c], ref->n, win->n);
          gather_column (ref, pred_ref, c, G_MAXUINT, a);
          gather_column (win, pred_win, c, G_MAXUINT, b);
          d = gl_drift_ks_two_sample (a, ref->n, b, win->n, &p);
          set_result (&row[GL_DRIFT_TEST_BBSD], d, p, d, ref->n, win->n);
          bbsd_p = MIN (bbsd_p, p);
          bbsd_d = MAX (bbsd_d, d);
          ranking_tests (v, ref, win, pred_ref, pred_win, count_ref, c, a);
        }
      if (count_win[c] >= o->min_class && count_ref[c] >= o->min_class)
        within_class_tests (v, ref, win, pred_ref, pred_win, count_ref, count_win, c, o);
    }
  if (window_ok)
    {
      GlDriftOmnibus omni;

      set_result (&v->bbsd, bbsd_d, MIN (1.0, bbsd_p * k), bbsd_d, ref->n, win->n);
      gl_drift_omnibus_test (ref, win, o->n_null, o->seed * 2654435761u + 17u, &omni);
      if (omni.which >= 0)
        {
          set_result (&v->omnibus, -log10 (MAX (omni.min_p, 1e-300)), omni.p_value, omni.min_p, omni.n_ref,
                      win->n);
          v->omnibus_which = omni.which;
        }
    }
  correct_family (v);
  return v;
}

gboolean
gl_drift_bbsd_baseline (const GlDriftSample *ref, const GlDriftSample *win, double alpha, double *min_p)
{
  guint k = ref->n_classes;
  g_autofree double *a = g_new (double, MAX (ref->n, (gsize)1));
  g_autofree double *b = g_new (double, MAX (win->n, (gsize)1));
  double lowest = 1.0;

  for (guint c = 0; c < k && win->n > 0 && ref->n > 0; c++)
    {
      double p;

      for (gsize i = 0; i < ref->n; i++)
        a[i] = ref->probs[i * k + c];
      for (gsize i = 0; i < win->n; i++)
        b[i] = win->probs[i * k + c];
      gl_drift_ks_two_sample (a, ref->n, b, win->n, &p);
      lowest = MIN (lowest, p);
    }
  if (min_p != NULL)
    *min_p = lowest;
  return k > 0 && lowest <= alpha / (double)k;
}
