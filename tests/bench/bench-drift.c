/* bench-drift — drift detection per class on Fashion-MNIST (issue 13). Not a
 * test, not timed: it measures detection power, false alarms and
 * localisation.
 *
 * A model (the default grey network, engine/gl-net.h) is trained on the
 * training images with one class held out (never seen in training), then
 * calibrated by temperature scaling on held-out training images, whose
 * outputs (calibrated probabilities and a random 8-dimensional projection of
 * the embedding) are the reference. Windows are drawn from the test images
 * of the known classes, with a synthetic shift applied to a fraction (10%,
 * 50%, 100%) of each window: rotation 10°/30°/60°, brightness ×0.6 and ×1.4,
 * Gaussian noise (σ = 40/255), Gaussian blur (σ = 1 pixel), the held-out
 * class, a prior shift (one class ×3), and a shift of one class only (its
 * images rotated 60°: the localisation case). Window sizes 50, 100, 200, 500;
 * --draws (default 100) windows each, plus as many no-shift windows. Each
 * window gets Gleaner's combined verdict (engine/gl-drift-verdict.h, α 0.05
 * per window) and, on the same window, the baseline of Rabanser et al. 2019
 * ("Failing loudly"): BBSD, KS on every softmax column, Bonferroni α/K.
 *
 * power_N: mean detection rate over every shift and fraction at window N;
 * false_alarm: the rate on no-shift windows (all sizes); localisation: the
 * share of one-class shifts at window 200 whose verdict names the shifted
 * class first.
 *
 * recovery, recovery_plain: end to end (measure_recovery): a stream where 40%
 * of the new images are shifted (rotation 30° plus the held-out class);
 * drift measured on windows of 200 as the app does, the drifted windows'
 * candidates kept and ordered as the store lists them (app/gl-drift-boost.h:
 * by the k-center greedy gain of the domain score × distrust); then --labels
 * (200) labels drawn by the drift-boosted queue (half the non-audit places
 * from the candidates) and, apart, by the normal queue (the default
 * strategy, 10% audit items), each followed by the same retraining as a
 * round trains (app/gl-round.c: ≥ 10 epochs and ≥ 300 steps, cosine, crops;
 * by epochs, not time, so load does not change it; the same seed for both
 * arms) from the model's weights on --old-labels old labels plus the new
 * ones, with the round's drift adaptation (app/gl-drift-adapt.h: the new
 * labels that were candidates oversampled to weigh π, the candidates' share
 * of the drifted windows' images, clipped; --no-adapt: without, as before
 * it). The accuracy on the clean versions of the rotated evaluation images
 * is printed before and after (what the adaptation costs the old kind).
 * Recovery is the share of the accuracy the shift cost (accuracy on
 * clean versions − before) that the retraining won back on other shifted
 * images; --recovery-seeds (3) streams, each with its own shuffle, draws and
 * training seed, are printed one by one and as mean ± sd.
 *
 * --only recovery runs the end-to-end part alone (the model is trained all
 * the same); its last line is
 *   drift recovery: recovery=R recovery_sd=S recovery_plain=R recovery_plain_sd=S seeds=N
 * --pvalues FILE writes every window's window-wide p-values (CSV), to weigh
 * the verdict's tests against each other offline; --classes FILE, for the
 * one-class and prior shifts, each class's inputs of the naming (counts,
 * column means, sure predictions, per-class p-values), to weigh ranking
 * rules offline. --only detection runs the windows alone. --only
 * localisation runs only the one-class and prior shifts at n = 200 (the same
 * draws as the full run), with how often the shifted class was detected and
 * flagged (the ceilings of naming it first) and an oracle: how often the
 * shifted class's own one-sided loss test has p ≤ α, as if one knew which
 * class to test (at 10% a window of 200 holds about 2 shifted images); its
 * last line is
 *   drift localisation: localisation=L windows=N ceiling_detected=D ceiling_flagged=F prior_named=P
 *   false_alarm_200=F
 * Otherwise the last line is exactly
 *   drift: power_100=P power_500=P baseline_100=P baseline_500=P false_alarm=F localisation=L recovery=R
 * recovery_plain=R
 * (recoveries: the means over the seeds; NaN when not measured).
 */
#include "gleaner-config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/gl-idx.h"
#include "engine/gl-acquire.h"
#include "engine/gl-calibrate.h"
#include "engine/gl-drift-verdict.h"
#include "engine/gl-drift.h"
#include "engine/gl-metrics.h"
#include "engine/gl-net.h"
#include "engine/gl-rng.h"
#include "app/gl-drift-adapt.h"
#include "app/gl-drift-boost.h"
#include "app/gl-engine-info.h"
#include "app/gl-round.h"
#include "app/gl-trainer.h"

#define SIDE 28
#define PIX (SIDE * SIDE)
#define K 10
#define PROJ_DIM 8
#define PROJ_SEED 13

typedef enum
{
  SHIFT_NONE,
  SHIFT_ROT10,
  SHIFT_ROT30,
  SHIFT_ROT60,
  SHIFT_DARK,
  SHIFT_BRIGHT,
  SHIFT_NOISE,
  SHIFT_BLUR,
  SHIFT_NOVEL,
  SHIFT_PRIOR,
  SHIFT_ONE_CLASS,
  N_SHIFTS
} Shift;

static const char *const shift_names[N_SHIFTS] = {
  "none",           "rotation 10", "rotation 30",    "rotation 60", "brightness x0.6", "brightness x1.4",
  "gaussian noise", "blur",        "held-out class", "prior x3",    "one class"
};

/* Model outputs of a set of images: calibrated probabilities and the
 * projected embedding. */
typedef struct
{
  gsize n;
  float *probs; /* (n, K) */
  float *emb;   /* (n, PROJ_DIM) */
  gint *labels; /* (n) true class */
} Scored;

static void
scored_clear (Scored *s)
{
  g_free (s->probs);
  g_free (s->emb);
  g_free (s->labels);
}

/* ---- image shifts (uint8, SIDE × SIDE) ---- */

static guint8
clamp_byte (double v)
{
  return (guint8)CLAMP (lround (v), 0, 255);
}

static void
rotate (const guint8 *in, guint8 *out, double degrees)
{
  double a = degrees * M_PI / 180.0, ca = cos (a), sa = sin (a), mid = (SIDE - 1) / 2.0;

  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++)
      {
        /* Inverse map, bilinear, zero outside. */
        double sx = ca * (x - mid) + sa * (y - mid) + mid;
        double sy = -sa * (x - mid) + ca * (y - mid) + mid;
        int x0 = (int)floor (sx), y0 = (int)floor (sy);
        double fx = sx - x0, fy = sy - y0, v = 0.0;

        for (int dy = 0; dy <= 1; dy++)
          for (int dx = 0; dx <= 1; dx++)
            {
              int xx = x0 + dx, yy = y0 + dy;
              double w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
              if (xx >= 0 && xx < SIDE && yy >= 0 && yy < SIDE)
                v += w * in[yy * SIDE + xx];
            }
        out[y * SIDE + x] = clamp_byte (v);
      }
}

static void
blur (const guint8 *in, guint8 *out)
{
  /* Gaussian σ = 1, 5 taps, separable. */
  static const double tap[5] = { 0.05448868, 0.24420134, 0.40261995, 0.24420134, 0.05448868 };
  double tmp[PIX];

  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++)
      {
        double v = 0.0;
        for (int t = -2; t <= 2; t++)
          if (x + t >= 0 && x + t < SIDE)
            v += tap[t + 2] * in[y * SIDE + x + t];
        tmp[y * SIDE + x] = v;
      }
  for (int y = 0; y < SIDE; y++)
    for (int x = 0; x < SIDE; x++)
      {
        double v = 0.0;
        for (int t = -2; t <= 2; t++)
          if (y + t >= 0 && y + t < SIDE)
            v += tap[t + 2] * tmp[(y + t) * SIDE + x];
        out[y * SIDE + x] = clamp_byte (v);
      }
}

static void
apply_shift (Shift shift, const guint8 *in, guint8 *out, GlRng *rng)
{
  switch (shift)
    {
      case SHIFT_ROT10:
        rotate (in, out, 10);
        break;
      case SHIFT_ROT30:
        rotate (in, out, 30);
        break;
      case SHIFT_ROT60:
      case SHIFT_ONE_CLASS:
        rotate (in, out, 60);
        break;
      case SHIFT_DARK:
      case SHIFT_BRIGHT:
        for (int i = 0; i < PIX; i++)
          out[i] = clamp_byte (in[i] * (shift == SHIFT_DARK ? 0.6 : 1.4));
        break;
      case SHIFT_NOISE:
        for (int i = 0; i < PIX; i++)
          out[i] = clamp_byte (in[i] + 40.0 * gl_rng_normal (rng));
        break;
      case SHIFT_BLUR:
        blur (in, out);
        break;
      default:
        memcpy (out, in, PIX);
    }
}

/* ---- model ---- */

static gboolean
load_set (const char *images, const char *labels, GlIdx **img, GlIdx **lab, GError **error)
{
  g_autofree char *ip = g_build_filename (GLEANER_FASHION_MNIST_DIR, images, NULL);
  g_autofree char *lp = g_build_filename (GLEANER_FASHION_MNIST_DIR, labels, NULL);
  guint r, c, ch;

  *img = gl_idx_read_images (ip, &r, &c, &ch, error);
  if (*img == NULL)
    return FALSE;
  *lab = gl_idx_read_labels (lp, error);
  if (*lab == NULL)
    return FALSE;
  if (r != SIDE || c != SIDE || ch != 1 || (*lab)->dims[0] != (*img)->dims[0])
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not 28 × 28 grey with labels", ip);
      return FALSE;
    }
  return TRUE;
}

/* Scores @n images of @pixels (n, PIX) with @net, then temperature @t. */
static gboolean
score (GlNet *net, const guint8 *pixels, const gint *labels, gsize n, double t, Scored *out, GError **error)
{
  GlDataset data = { pixels, PIX, SIDE, SIDE, 1 };
  g_autofree guint64 *rows = g_new (guint64, n);
  guint dim = gl_net_get_embedding_dim (net);
  g_autofree float *emb = g_new (float, n *dim);

  for (gsize i = 0; i < n; i++)
    rows[i] = i;
  out->n = n;
  out->probs = g_new (float, n *K);
  out->emb = g_new (float, n *PROJ_DIM);
  out->labels = g_memdup2 (labels, n * sizeof (gint));
  if (!gl_net_predict (net, &data, rows, n, out->probs, emb, NULL, NULL, NULL, error))
    return FALSE;
  if (t != 1.0)
    {
      gl_calibrate_logits_from_probs (out->probs, n, K, out->probs);
      gl_calibrate_apply_temperature (out->probs, n, K, t, out->probs);
    }
  gl_drift_random_projection (emb, n, dim, PROJ_DIM, PROJ_SEED, out->emb);
  return TRUE;
}

/* ---- windows ---- */

typedef struct
{
  const Scored *clean;             /* test images of the known classes */
  const Scored *shifted[N_SHIFTS]; /* the same images shifted (novel: the held-out class's) */
  const GlDriftSample *reference;
  GlDriftOptions options;
  guint held_out;
} Bench;

/* Appends row @i of @s to the window buffers at @at. */
static void
put_row (const Scored *s, gsize i, float *probs, float *emb, gsize at)
{
  memcpy (probs + at * K, s->probs + i * K, K * sizeof (float));
  memcpy (emb + at * PROJ_DIM, s->emb + i * PROJ_DIM, PROJ_DIM * sizeof (float));
}

/* A clean row index of class @cls (or any class when @cls < 0). */
static gsize
draw_clean (const Bench *b, GlRng *rng, gint cls)
{
  for (;;)
    {
      gsize i = gl_rng_below (rng, b->clean->n);
      if (cls < 0 || b->clean->labels[i] == cls)
        return i;
    }
}

/* Fills a window of @n rows for @shift at @fraction; *@target: the class
 * shifted for SHIFT_ONE_CLASS / SHIFT_PRIOR. */
static void
draw_window (const Bench *b, Shift shift, double fraction, gsize n, GlRng *rng, float *probs, float *emb,
             gint *target)
{
  gsize n_shift = (gsize)lround (fraction * n);

  *target = -1;
  if (shift == SHIFT_ONE_CLASS || shift == SHIFT_PRIOR)
    do
      *target = (gint)gl_rng_below (rng, K);
    while ((guint)*target == b->held_out);
  for (gsize at = 0; at < n; at++)
    {
      gboolean shifted = at < n_shift && shift != SHIFT_NONE;

      if (!shifted)
        put_row (b->clean, draw_clean (b, rng, -1), probs, emb, at);
      else if (shift == SHIFT_NOVEL)
        put_row (b->shifted[SHIFT_NOVEL], gl_rng_below (rng, b->shifted[SHIFT_NOVEL]->n), probs, emb, at);
      else if (shift == SHIFT_PRIOR)
        {
          /* The known classes with the target ×3: P(target) = 3 / (8 + 3). */
          gboolean pick = gl_rng_double (rng) < 3.0 / (K - 2 + 3.0);
          gsize i;
          do
            i = draw_clean (b, rng, pick ? *target : -1);
          while (!pick && b->clean->labels[i] == *target);
          put_row (b->clean, i, probs, emb, at);
        }
      else if (shift == SHIFT_ONE_CLASS)
        {
          /* Clean images, except those of the target class: shifted. */
          gsize i = draw_clean (b, rng, -1);
          put_row (b->clean->labels[i] == *target ? b->shifted[SHIFT_ONE_CLASS] : b->clean, i, probs, emb,
                   at);
        }
      else
        put_row (b->shifted[shift], gl_rng_below (rng, b->shifted[shift]->n), probs, emb, at);
    }
}

typedef struct
{
  guint64 windows, ours, baseline, named;
  guint64 flagged; /* windows where a per-class test of the shifted class fired: naming it first is possible */
  guint64 oracle;  /* windows where the shifted class's own LOSS test has p ≤ α, as if one knew which class to test */
} Tally;

/* --pvalues FILE: one line per window with the raw p-values of the verdict's
 * window-wide tests (NULL: none written). */
static FILE *pvalues_out;

static void
write_pvalues (const GlDriftVerdict *v, Shift shift, double fraction, gsize n, gint target, gboolean baseline)
{
  const GlDriftTestResult *r[] = { &v->bbsd, &v->outliers, &v->uncertain, &v->chi_square, &v->confidence,
                                   &v->embedding, &v->omnibus };

  fprintf (pvalues_out, "%s,%.2f,%" G_GSIZE_FORMAT ",%d,%d,%d,%d", shift_names[shift], fraction, n, target,
           baseline, v->drifted, v->top_class);
  double family = 1.0;

  for (gsize i = 0; i < G_N_ELEMENTS (r); i++)
    fprintf (pvalues_out, ",%.6g", r[i]->p_value);
  for (guint c = 0; c < v->n_classes; c++)
    for (guint k = 0; k < GL_DRIFT_N_TESTS; k++)
      if (gl_drift_verdict_get (v, c, k)->tested)
        family = MIN (family, gl_drift_verdict_get (v, c, k)->p_adjusted);
  fprintf (pvalues_out, ",%.6g\n", family);
}

/* --classes FILE: for the one-class and prior shifts, one line per window and
 * class with the per-class counts and column means behind the naming (the
 * ranking's inputs), to weigh ranking rules offline (NULL: none written). */
static FILE *classes_out;

static void
write_classes (const GlDriftSample *ref, const GlDriftSample *win, const GlDriftVerdict *v, Shift shift,
               double fraction, guint draw, gint target)
{
  guint k = ref->n_classes;
  g_autofree guint64 *cr = g_new0 (guint64, k), *cw = g_new0 (guint64, k);
  g_autofree double *mr = g_new0 (double, k), *mw = g_new0 (double, k), *confr = g_new0 (double, k),
                    *confw = g_new0 (double, k);

  for (gsize i = 0; i < ref->n; i++)
    {
      guint c = gl_metrics_argmax (ref->probs + i * k, k);
      cr[c]++;
      confr[c] += ref->probs[i * k + c];
      for (guint j = 0; j < k; j++)
        mr[j] += ref->probs[i * k + j];
    }
  /* The median and the first quartile of the top probability of each class's reference predictions; the
   * window's and the reference's predictions of the class at least that sure. */
  g_autofree double *med = g_new0 (double, k * 2);
  g_autofree guint64 *sure = g_new0 (guint64, k * 4);
  for (guint c = 0; c < k; c++)
    {
      g_autofree double *tops = g_new (double, MAX (cr[c], 1));
      gsize m = 0;
      for (gsize i = 0; i < ref->n; i++)
        if (gl_metrics_argmax (ref->probs + i * k, k) == c)
          tops[m++] = ref->probs[i * k + c];
      med[c * 2] = m > 0 ? gl_drift_percentile (tops, m, 50) : 1.0;
      med[c * 2 + 1] = m > 0 ? gl_drift_percentile (tops, m, 25) : 1.0;
    }
  for (gsize i = 0; i < ref->n; i++)
    {
      guint c = gl_metrics_argmax (ref->probs + i * k, k);
      sure[c * 4] += ref->probs[i * k + c] >= med[c * 2];
      sure[c * 4 + 1] += ref->probs[i * k + c] >= med[c * 2 + 1];
    }
  for (gsize i = 0; i < win->n; i++)
    {
      guint c = gl_metrics_argmax (win->probs + i * k, k);
      sure[c * 4 + 2] += win->probs[i * k + c] >= med[c * 2];
      sure[c * 4 + 3] += win->probs[i * k + c] >= med[c * 2 + 1];
      cw[c]++;
      confw[c] += win->probs[i * k + c];
      for (guint j = 0; j < k; j++)
        mw[j] += win->probs[i * k + j];
    }
  for (guint c = 0; c < k; c++)
    {
      fprintf (classes_out, "%s,%.2f,%u,%d,%d,%d,%u,%" G_GUINT64_FORMAT ",%" G_GSIZE_FORMAT ",%" G_GUINT64_FORMAT
               ",%" G_GSIZE_FORMAT ",%.6g,%.6g,%.6g,%.6g",
               shift_names[shift], fraction, draw, target, v->drifted, v->top_class, c, cr[c], ref->n, cw[c], win->n,
               mr[c] / MAX (ref->n, 1), mw[c] / MAX (win->n, 1), confr[c] / MAX (cr[c], 1),
               confw[c] / MAX (cw[c], 1));
      for (guint t = 0; t < GL_DRIFT_N_TESTS; t++)
        fprintf (classes_out, ",%.6g", gl_drift_verdict_get (v, c, t)->p_value);
      for (guint j = 0; j < 4; j++)
        fprintf (classes_out, ",%" G_GUINT64_FORMAT, sure[c * 4 + j]);
      fprintf (classes_out, "\n");
    }
}

static void
run_condition (const Bench *b, Shift shift, double fraction, gsize n, guint draws, guint64 seed, Tally *t)
{
  g_autofree float *probs = g_new (float, n *K);
  g_autofree float *emb = g_new (float, n *PROJ_DIM);
  GlDriftSample win = { n, K, probs, PROJ_DIM, emb };
  GlRng rng;

  gl_rng_init_stream (&rng, seed, (guint64)shift * 1000003u + n * 101u + (guint64)lround (fraction * 100));
  for (guint d = 0; d < draws; d++)
    {
      g_autoptr (GlDriftVerdict) v = NULL;
      GlDriftOptions o = b->options;
      gint target;
      gboolean base;

      draw_window (b, shift, fraction, n, &rng, probs, emb, &target);
      o.seed = seed + d;
      v = gl_drift_verdict_compute (b->reference, &win, &o, NULL);
      t->windows++;
      t->ours += v->drifted;
      base = gl_drift_bbsd_baseline (b->reference, &win, o.alpha, NULL);
      t->baseline += base;
      if (pvalues_out != NULL)
        write_pvalues (v, shift, fraction, n, target, base);
      if (classes_out != NULL && target >= 0)
        write_classes (b->reference, &win, v, shift, fraction, d, target);
      t->named += target >= 0 && v->top_class == target;
      if (target >= 0)
        t->oracle += gl_drift_verdict_get (v, (guint)target, GL_DRIFT_TEST_LOSS)->p_value <= o.alpha;
      if (target >= 0)
        for (guint k = 0; k < GL_DRIFT_N_TESTS; k++)
          if (gl_drift_verdict_get (v, (guint)target, k)->fired)
            {
              t->flagged++;
              break;
            }
    }
}

/* ---- end to end: recovery with the drift-boosted queue ---- */

/* What the recovery part measured. */
typedef struct
{
  gsize n_stream, n_shifted, n_eval;
  gint detected_at;     /* the window (of 200) where drift first persisted (two in a row), -1 never */
  guint n_windows, n_drifted;
  gsize n_candidates, n_novel;
  double acc_clean;     /* model on the clean versions of the rotated evaluation images */
  double acc_before;    /* model on the shifted evaluation images */
  double acc_boost, acc_plain, acc_none; /* after retraining with 200 boosted / 200 plain / 0 new labels */
  guint boost_shifted, plain_shifted;    /* shifted images among the labels drawn */
  guint boost_novel, plain_novel;        /* of them, images of the held-out class */
  guint retrain_epochs;                  /* epochs each retraining ran */
  double share;                          /* of the boosted queue's non-audit places given to candidates */
  guint cand_shifted, cand_top_shifted;  /* shifted among the candidates, and among the first 100 */
  guint cand_top_novel;                  /* of the held-out class among the first 100 */
  double split_before[2], split_boost[2], split_plain[2]; /* accuracy_split of the evaluation images */
  double unshifted[4];    /* on the clean versions of the rotated evaluation images: before, after boosted,
                           * after normal, after no new label */
  GlDriftAdaptReport adapt_boost, adapt_plain; /* what the round's drift adaptation did in each arm */
} Recovery;

/* The store's order (db/gl-db.h gl_db_list_drift_candidates): priority,
 * highest first; then novel first, farthest first; NaN last. */
static gint
compare_candidate (gconstpointer a, gconstpointer b)
{
  const GlDbDriftCandidate *x = a, *y = b;
  double px = isnan (x->priority) ? -INFINITY : x->priority, py = isnan (y->priority) ? -INFINITY : y->priority;

  if (px != py)
    return px > py ? -1 : 1;
  if (x->novel != y->novel)
    return x->novel ? -1 : 1;
  double dx = isnan (x->distance) ? -INFINITY : x->distance, dy = isnan (y->distance) ? -INFINITY : y->distance;
  if (dx != dy)
    return dx > dy ? -1 : 1;
  return (x->image_id > y->image_id) - (x->image_id < y->image_id);
}

/* The drifted windows' candidates, as the app stores them (gl-drift-report.c
 * with app/gl-drift-boost.h), in the order the store lists them. */
static GArray *
stream_candidates (const Scored *stream, const GlDriftSample *ref, const GlDriftOptions *options, Recovery *out)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (GlDbDriftCandidate));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  gint64 class_ids[K];
  gboolean last_drifted = FALSE;

  for (guint c = 0; c < K; c++)
    class_ids[c] = c;
  out->detected_at = -1;
  for (gsize start = 0; start + 200 <= stream->n; start += 200)
    {
      GlDriftSample win = { 200, K, stream->probs + start * K, PROJ_DIM, stream->emb + start * PROJ_DIM };
      GlDriftOptions o = *options;
      g_autoptr (GlDriftVerdict) v = NULL;
      g_autofree gint64 *ids = g_new (gint64, 200);
      gboolean drifted[K] = { FALSE };
      g_autoptr (GArray) cands = NULL;

      o.seed = start;
      v = gl_drift_verdict_compute (ref, &win, &o, NULL);
      out->n_windows++;
      out->n_drifted += v->drifted;
      if (v->drifted && last_drifted && out->detected_at < 0)
        out->detected_at = (gint)(start / 200);
      last_drifted = v->drifted;
      if (!v->drifted)
        continue;
      for (gsize i = 0; i < 200; i++)
        ids[i] = (gint64)(start + i);
      for (guint c = 0; c < K; c++)
        for (guint t = 0; t < GL_DRIFT_N_TESTS; t++)
          drifted[c] |= gl_drift_verdict_get (v, c, t)->fired;
      cands = gl_drift_boost_candidates (ref, &win, ids, class_ids, drifted, o.min_class, o.novelty_q);
      for (guint i = 0; i < cands->len; i++)
        {
          const GlDbDriftCandidate *c = &g_array_index (cands, GlDbDriftCandidate, i);
          if (g_hash_table_add (seen, GSIZE_TO_POINTER ((gsize)c->image_id + 1)))
            {
              g_array_append_val (all, *c);
              out->n_novel += c->novel;
            }
        }
    }
  g_array_sort (all, compare_candidate);
  out->n_candidates = all->len;
  return all;
}

/* @n labels drawn from the stream as the app's queue draws a ranking: the
 * default strategy (engine/gl-acquire.h: the most uncertain by margin, then
 * k-means++ diversity — here on the 8-dimensional projection — with 10%
 * audit items) and, with @cands, merged as the drift-boosted queue merges
 * them (app/gl-drift-boost.h, @share of the non-audit places). Returns
 * stream indices, or NULL. */
static gsize *
draw_labels (const Scored *stream, GArray *cands, guint n, double share, guint64 seed, GError **error)
{
  GlAcquirePool pool = { stream->n, K, NULL, stream->probs, NULL, 0, stream->emb, PROJ_DIM };
  GlAcquireOptions o;
  g_autoptr (GArray) picked = NULL, items = NULL, ranked = NULL;
  gsize *out;

  /* A ranking twice as long as the labels, as the app's is longer than what
   * is labeled from it: the annotator labels its first @n. */
  gl_acquire_options_init (&o);
  o.batch_size = 2 * n;
  o.seed = seed;
  picked = gl_acquire_select (GL_STRATEGY_DEFAULT, &pool, &o, error);
  if (picked == NULL)
    return NULL;
  items = g_array_new (FALSE, FALSE, sizeof (GlDbQueueItem));
  for (guint k = 0; k < picked->len; k++)
    {
      const GlAcquireItem *a = &g_array_index (picked, GlAcquireItem, k);
      GlDbQueueItem it = { (gint64)a->index, (char *)"default", a->score, a->audit, 0 };
      g_array_append_val (items, it);
    }
  ranked = gl_drift_boost_interleave ((const GlDbQueueItem *)items->data, items->len,
                                      cands ? (const GlDbDriftCandidate *)cands->data : NULL, cands ? cands->len : 0,
                                      NULL, share);
  if (ranked->len < n)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the ranking holds %u of the %u images to label",
                   ranked->len, n);
      return NULL;
    }
  out = g_new (gsize, n);
  for (guint k = 0; k < n; k++)
    out[k] = (gsize)g_array_index (ranked, GlDbQueueItem, k).image_id;
  return out;
}

/* Accuracy of @net on @n images @pixels (n, PIX) with @labels; with
 * @part >= 0 only on those of class @part (@part == -2: the others than
 * class @other). */
static double
accuracy_part (GlNet *net, const guint8 *pixels, const gint *labels, gsize n, gint part, gint other)
{
  GlDataset data = { pixels, PIX, SIDE, SIDE, 1 };
  g_autofree guint64 *rows = g_new (guint64, MAX (n, (gsize)1));
  g_autofree gint *lab = g_new (gint, MAX (n, (gsize)1));
  gsize m = 0;
  double acc = 0.0;

  for (gsize i = 0; i < n; i++)
    if (part == -1 || (part >= 0 && labels[i] == part) || (part == -2 && labels[i] != other))
      {
        rows[m] = i;
        lab[m++] = labels[i];
      }
  if (m == 0 || !gl_net_evaluate (net, &data, rows, lab, m, &acc, NULL, NULL, NULL, NULL, NULL))
    return NAN;
  return acc;
}

static double
accuracy_of (GlNet *net, const guint8 *pixels, const gint *labels, gsize n)
{
  return accuracy_part (net, pixels, labels, n, -1, -1);
}

/* @acc[0] on the rotated images of @pixels (the classes other than
 * @held_out), @acc[1] on the held-out class's. */
static void
accuracy_split (GlNet *net, const guint8 *pixels, const gint *labels, gsize n, guint held_out, double acc[2])
{
  acc[0] = accuracy_part (net, pixels, labels, n, -2, (gint)held_out);
  acc[1] = accuracy_part (net, pixels, labels, n, (gint)held_out, -1);
}

/* A copy of @net trained further as the app's round trains (app/gl-round.c,
 * from the last weights, on every label): at least GL_TRAINER_DEFAULT_EPOCHS
 * epochs and GL_TRAINER_DEFAULT_MIN_STEPS steps of GL_ROUND_BATCH images, SGD
 * from GL_TRAINER_LR with a cosine decay, random crops; but by epochs, with no
 * time budget, so that a loaded machine trains as much as an idle one. On the
 * @n_old labels it had and the stream images @picked (n_new) with their true
 * class; @seed for the shuffling and augmentation (both arms of a seed get
 * the same). */
static GlNet *
retrain (const GlNet *net, const guint8 *old_pixels, const gint *old_labels, gsize n_old, const Scored *stream,
         const guint8 *stream_pixels, const gsize *picked, gsize n_new, const gboolean *stream_cand, double share,
         guint min_epochs, guint64 seed, guint *epochs_run, GlDriftAdaptReport *adapt, GError **error)
{
  g_autoptr (GlNet) copy = gl_net_copy (net);
  gsize n = n_old + n_new;
  g_autofree guint8 *px = g_new (guint8, n * PIX);
  g_autoptr (GArray) rows = g_array_sized_new (FALSE, FALSE, sizeof (guint64), n);
  g_autoptr (GArray) labels = g_array_sized_new (FALSE, FALSE, sizeof (gint), n);
  g_autofree gboolean *drifted = g_new0 (gboolean, MAX (n, (gsize)1));
  GlDataset data = { px, PIX, SIDE, SIDE, 1 };
  GlTrainOptions o;
  GlTrainReport report;
  guint steps_per_epoch;

  memcpy (px, old_pixels, n_old * PIX);
  for (gsize i = 0; i < n; i++)
    {
      guint64 row = i;
      gint label = i < n_old ? old_labels[i] : stream->labels[picked[i - n_old]];

      if (i >= n_old)
        {
          memcpy (px + i * PIX, stream_pixels + picked[i - n_old] * PIX, PIX);
          drifted[i] = stream_cand[picked[i - n_old]];
        }
      g_array_append_val (rows, row);
      g_array_append_val (labels, label);
    }
  /* The round's drift adaptation (app/gl-drift-adapt.h): the labels that
   * were candidates weigh what the new kind weighs in the stream. */
  memset (adapt, 0, sizeof *adapt);
  adapt->n_train = n;
  for (gsize i = 0; i < n; i++)
    adapt->n_drifted += drifted[i];
  adapt->share = share;
  if (gl_drift_adapt_weigh (adapt))
    gl_drift_adapt_oversample (rows, labels, drifted, adapt);
  steps_per_epoch = (guint)((rows->len + GL_ROUND_BATCH - 1) / GL_ROUND_BATCH);
  gl_train_options_init (&o);
  o.batch_size = GL_ROUND_BATCH;
  o.epochs = MAX (min_epochs, (GL_TRAINER_DEFAULT_MIN_STEPS + steps_per_epoch - 1) / MAX (steps_per_epoch, 1u));
  o.lr = GL_TRAINER_LR;
  o.schedule = GL_SCHEDULE_COSINE;
  o.augment = GL_AUGMENT_CROP;
  o.seed = seed;
  if (!gl_net_train (copy, &data, (guint64 *)rows->data, (gint *)labels->data, rows->len, &o, NULL, NULL, NULL,
                     &report, error))
    return NULL;
  *epochs_run = report.epochs;
  return g_steal_pointer (&copy);
}

/* @order (n) ← a random permutation of 0…n−1 (Fisher–Yates). */
static void
shuffled_order (gsize *order, gsize n, GlRng *rng)
{
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  for (gsize i = n; i > 1; i--)
    {
      gsize j = gl_rng_below (rng, i), t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
}

#define STREAM_CLEAN 2400
#define STREAM_ROTATED 1000
#define STREAM_NOVEL 600
#define EVAL_ROTATED 800
#define EVAL_NOVEL 400
#define STREAM_N (STREAM_CLEAN + STREAM_ROTATED + STREAM_NOVEL)
#define EVAL_N (EVAL_ROTATED + EVAL_NOVEL)

/* The end-to-end case: a stream of 4,000 test images of which 40% are
 * shifted (1,000 rotated 30°, 600 of the held-out class), in random order,
 * scored by @net; drift measured over windows of 200 as the app does, the
 * drifted windows' candidates kept; then @n_labels labels drawn by the
 * drift-boosted queue and, apart, by the normal queue, each followed by the
 * same retraining (@n_old old labels plus the new ones, @epochs); accuracy
 * on 1,200 other shifted images (800 rotated, 400 of the held-out class)
 * before and after. */
static gboolean
measure_recovery (GlNet *net, double temperature, const GlDriftSample *ref, const GlDriftOptions *options,
                  const GlIdx *train_img, const GlIdx *train_lab, const GlIdx *test_img, const GlIdx *test_lab,
                  guint held_out, guint n_labels, gsize n_old, guint epochs, double share, gboolean adapt,
                  guint64 seed, Recovery *out, GError **error)
{
  gsize n_test = test_img->dims[0], ns = 0, ne = 0, nc = 0, counts[5] = { 0 };
  g_autofree gsize *order = g_new (gsize, n_test);
  g_autofree guint8 *raw = g_new (guint8, STREAM_N * PIX), *stream_px = g_new (guint8, STREAM_N * PIX);
  g_autofree guint8 *eval_px = g_new (guint8, EVAL_N * PIX), *clean_px = g_new (guint8, EVAL_ROTATED * PIX);
  g_autofree gint *raw_lab = g_new (gint, STREAM_N), *stream_lab = g_new (gint, STREAM_N);
  g_autofree gint *eval_lab = g_new (gint, EVAL_N), *clean_lab = g_new (gint, EVAL_ROTATED);
  g_autofree gboolean *raw_shifted = g_new (gboolean, STREAM_N), *shifted = g_new (gboolean, STREAM_N);
  g_autofree guint8 *old_px = g_new (guint8, n_old * PIX);
  g_autofree gint *old_lab = g_new (gint, n_old);
  g_autofree gsize *boost = NULL, *plain = NULL;
  g_autoptr (GArray) cands = NULL;
  g_autoptr (GlNet) net_boost = NULL, net_plain = NULL, net_none = NULL;
  g_autofree gboolean *is_cand = g_new0 (gboolean, STREAM_N);
  GlDriftAdaptReport none_adapt;
  double share_new;
  Scored stream = { 0 };
  GlRng rng;
  gsize n_old_got = 0;

  memset (out, 0, sizeof *out);
  gl_rng_init (&rng, seed ^ 0x5eedull);
  shuffled_order (order, n_test, &rng);
  for (gsize k = 0; k < n_test; k++)
    {
      gsize i = order[k];
      gint lab = test_lab->data[i];
      const guint8 *img = test_img->data + i * PIX;

      if ((guint)lab == held_out && counts[0] < STREAM_NOVEL)
        {
          memcpy (raw + ns * PIX, img, PIX);
          raw_lab[ns] = lab;
          raw_shifted[ns++] = TRUE;
          counts[0]++;
        }
      else if ((guint)lab == held_out && counts[1] < EVAL_NOVEL)
        {
          memcpy (eval_px + ne * PIX, img, PIX);
          eval_lab[ne++] = lab;
          counts[1]++;
        }
      else if ((guint)lab != held_out && counts[2] < STREAM_CLEAN)
        {
          memcpy (raw + ns * PIX, img, PIX);
          raw_lab[ns] = lab;
          raw_shifted[ns++] = FALSE;
          counts[2]++;
        }
      else if ((guint)lab != held_out && counts[3] < STREAM_ROTATED)
        {
          apply_shift (SHIFT_ROT30, img, raw + ns * PIX, &rng);
          raw_lab[ns] = lab;
          raw_shifted[ns++] = TRUE;
          counts[3]++;
        }
      else if ((guint)lab != held_out && counts[4] < EVAL_ROTATED)
        {
          apply_shift (SHIFT_ROT30, img, eval_px + ne * PIX, &rng);
          eval_lab[ne++] = lab;
          memcpy (clean_px + nc * PIX, img, PIX);
          clean_lab[nc++] = lab;
          counts[4]++;
        }
    }
  if (ns != STREAM_N || ne != EVAL_N)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the test set is too small for the recovery stream (%" G_GSIZE_FORMAT " of %d stream, %"
                   G_GSIZE_FORMAT " of %d evaluation images)",
                   ns, STREAM_N, ne, EVAL_N);
      return FALSE;
    }
  /* The stream in random order: shifted images arrive among the others. */
  shuffled_order (order, ns, &rng);
  for (gsize i = 0; i < ns; i++)
    {
      memcpy (stream_px + i * PIX, raw + order[i] * PIX, PIX);
      stream_lab[i] = raw_lab[order[i]];
      shifted[i] = raw_shifted[order[i]];
    }
  /* The labels the model had: the first known-class training images. */
  for (gsize i = 0; i < train_img->dims[0] && n_old_got < n_old; i++)
    if (train_lab->data[i] != held_out)
      {
        memcpy (old_px + n_old_got * PIX, train_img->data + i * PIX, PIX);
        old_lab[n_old_got++] = train_lab->data[i];
      }
  if (!score (net, stream_px, stream_lab, ns, temperature, &stream, error))
    return FALSE;
  out->n_stream = ns;
  out->n_shifted = STREAM_ROTATED + STREAM_NOVEL;
  out->n_eval = ne;
  out->share = share;
  cands = stream_candidates (&stream, ref, options, out);
  for (guint i = 0; i < cands->len; i++)
    {
      gboolean sh = shifted[g_array_index (cands, GlDbDriftCandidate, i).image_id];
      out->cand_shifted += sh;
      out->cand_top_shifted += sh && i < 100;
      out->cand_top_novel += i < 100 && (guint)stream.labels[g_array_index (cands, GlDbDriftCandidate, i).image_id]
                                            == held_out;
    }
  boost = draw_labels (&stream, cands, n_labels, share, seed, error);
  plain = boost ? draw_labels (&stream, NULL, n_labels, share, seed, error) : NULL;
  if (plain == NULL)
    {
      scored_clear (&stream);
      return FALSE;
    }
  for (guint k = 0; k < n_labels; k++)
    {
      out->boost_shifted += shifted[boost[k]];
      out->plain_shifted += shifted[plain[k]];
      out->boost_novel += (guint)stream.labels[boost[k]] == held_out;
      out->plain_novel += (guint)stream.labels[plain[k]] == held_out;
    }
  out->acc_clean = accuracy_of (net, clean_px, clean_lab, nc);
  out->acc_before = accuracy_of (net, eval_px, eval_lab, ne);
  /* π as the app counts it (db/gl-db-drift-adapt.h): the candidates' share
   * of the images of the drifted windows (here side by side, 200 each). */
  share_new = !adapt ? 0.0 : out->n_drifted > 0 ? MIN (1.0, (double)cands->len / (200.0 * out->n_drifted)) : 0.0;
  for (guint i = 0; i < cands->len; i++)
    is_cand[g_array_index (cands, GlDbDriftCandidate, i).image_id] = TRUE;
  net_none = retrain (net, old_px, old_lab, n_old_got, &stream, stream_px, boost, 0, is_cand, share_new, epochs,
                      seed, &out->retrain_epochs, &none_adapt, error);
  net_boost = net_none ? retrain (net, old_px, old_lab, n_old_got, &stream, stream_px, boost, n_labels, is_cand,
                                  share_new, epochs, seed, &out->retrain_epochs, &out->adapt_boost, error)
                       : NULL;
  net_plain = net_boost ? retrain (net, old_px, old_lab, n_old_got, &stream, stream_px, plain, n_labels, is_cand,
                                   share_new, epochs, seed, &out->retrain_epochs, &out->adapt_plain, error)
                        : NULL;
  scored_clear (&stream);
  if (net_plain == NULL)
    return FALSE;
  out->unshifted[0] = accuracy_of (net, clean_px, clean_lab, nc);
  out->unshifted[1] = accuracy_of (net_boost, clean_px, clean_lab, nc);
  out->unshifted[2] = accuracy_of (net_plain, clean_px, clean_lab, nc);
  out->unshifted[3] = accuracy_of (net_none, clean_px, clean_lab, nc);
  out->acc_none = accuracy_of (net_none, eval_px, eval_lab, ne);
  out->acc_boost = accuracy_of (net_boost, eval_px, eval_lab, ne);
  out->acc_plain = accuracy_of (net_plain, eval_px, eval_lab, ne);
  accuracy_split (net, eval_px, eval_lab, ne, held_out, out->split_before);
  accuracy_split (net_boost, eval_px, eval_lab, ne, held_out, out->split_boost);
  accuracy_split (net_plain, eval_px, eval_lab, ne, held_out, out->split_plain);
  return TRUE;
}

/* ---- main ---- */

static const gsize sizes[] = { 50, 100, 200, 500 };
static const double fractions[] = { 0.1, 0.5, 1.0 };
#define N_SIZES G_N_ELEMENTS (sizes)
#define N_FRACTIONS G_N_ELEMENTS (fractions)

/* What the detection part measured. */
typedef struct
{
  double power[N_SIZES], base[N_SIZES]; /* mean detection rate over the shifts, Gleaner and BBSD */
  double false_alarm, localisation;
} Detection;

/* Every shift, fraction and size; prints the table and fills @out. */
static void
run_detection (const Bench *bench, guint draws, guint64 seed, Detection *out)
{
  static Tally tally[N_SHIFTS][N_FRACTIONS][N_SIZES];
  double base_false = 0;
  guint64 none_windows = 0, one_windows = 0;

  memset (tally, 0, sizeof tally);
  memset (out, 0, sizeof *out);
  for (gsize z = 0; z < N_SIZES; z++)
    {
      for (Shift s = SHIFT_NONE; s < N_SHIFTS; s++)
        for (gsize f = 0; f < N_FRACTIONS; f++)
          {
            /* No shift has no fraction: its windows are drawn once per size,
             * as many as a shift's (3 × draws). */
            if (s == SHIFT_NONE && f > 0)
              continue;
            run_condition (bench, s, fractions[f], sizes[z], s == SHIFT_NONE ? 3 * draws : draws, seed,
                           &tally[s][f][z]);
          }
      {
        /* This size's figures at once (the table comes when every size is
         * done): a long run that is stopped still says something. */
        double power = 0, base = 0;
        const Tally *none = &tally[SHIFT_NONE][0][z];
        guint64 named = 0, n_one = 0;

        for (Shift s = SHIFT_NONE + 1; s < N_SHIFTS; s++)
          for (gsize f = 0; f < N_FRACTIONS; f++)
            {
              power += (double)tally[s][f][z].ours / tally[s][f][z].windows / (N_FRACTIONS * (N_SHIFTS - 1));
              base += (double)tally[s][f][z].baseline / tally[s][f][z].windows / (N_FRACTIONS * (N_SHIFTS - 1));
            }
        for (gsize f = 0; f < N_FRACTIONS; f++)
          {
            named += tally[SHIFT_ONE_CLASS][f][z].named;
            n_one += tally[SHIFT_ONE_CLASS][f][z].windows;
          }
        fprintf (stderr,
                 "window %" G_GSIZE_FORMAT " done: mean power %.3f (baseline %.3f), false alarms %.4f of %"
                 G_GUINT64_FORMAT ", one class named first %.3f\n",
                 sizes[z], power, base, (double)none->ours / none->windows, none->windows,
                 (double)named / n_one);
      }
    }

  /* Table: detection rate per shift (mean over fractions) and size. */
  printf ("\ndetection rate, Gleaner / BBSD baseline (mean over fractions 10%%, 50%%, 100%%; %u draws each)\n",
          draws);
  printf ("%-18s", "shift");
  for (gsize z = 0; z < N_SIZES; z++)
    printf ("   n=%-11" G_GSIZE_FORMAT, sizes[z]);
  printf ("\n");
  for (Shift s = SHIFT_NONE; s < N_SHIFTS; s++)
    {
      printf ("%-18s", shift_names[s]);
      for (gsize z = 0; z < N_SIZES; z++)
        {
          guint64 w = 0, o = 0, b = 0;
          for (gsize f = 0; f < N_FRACTIONS; f++)
            {
              w += tally[s][f][z].windows;
              o += tally[s][f][z].ours;
              b += tally[s][f][z].baseline;
            }
          printf ("   %.3f / %.3f", (double)o / w, (double)b / w);
          if (s == SHIFT_NONE)
            {
              out->false_alarm += o;
              base_false += b;
              none_windows += w;
            }
          else
            {
              out->power[z] += (double)o / w / (N_SHIFTS - 1);
              out->base[z] += (double)b / w / (N_SHIFTS - 1);
            }
        }
      printf ("\n");
    }
  for (gsize f = 0; f < N_FRACTIONS; f++)
    {
      const Tally *t = &tally[SHIFT_ONE_CLASS][f][2];
      printf ("one class at n=200, fraction %.0f%%: detected %.3f, shifted class named first %.3f\n",
              fractions[f] * 100, (double)t->ours / t->windows, (double)t->named / t->windows);
      out->localisation += t->named;
      one_windows += t->windows;
    }
  out->localisation /= (double)one_windows;
  out->false_alarm /= (double)none_windows;
  printf ("mean power: ");
  for (gsize z = 0; z < N_SIZES; z++)
    printf ("n=%" G_GSIZE_FORMAT " %.3f (baseline %.3f)  ", sizes[z], out->power[z], out->base[z]);
  {
    /* Wilson's 95% score interval of the false-alarm rate (Wilson 1927). */
    double nw = (double)none_windows, f = out->false_alarm, z = 1.959964, zz = z * z / nw;
    double mid = (f + zz / 2) / (1 + zz), half = z * sqrt (f * (1 - f) / nw + zz / (4 * nw)) / (1 + zz);

    printf ("\nfalse alarms on %" G_GUINT64_FORMAT " no-shift windows: %.4f (95%% interval %.4f–%.4f; baseline %.4f), "
            "α = 0.05\n",
            none_windows, f, mid - half, mid + half, base_false / none_windows);
  }
}

/* The localisation windows alone: the one-class shift and the prior shift at
 * n = 200, every fraction, with the same draws as run_detection (each
 * condition has its own random stream). Prints both and returns the
 * localisation figure (the mean over fractions, as run_detection's). */
static double
run_localisation (const Bench *bench, guint draws, guint64 seed)
{
  static const Shift shifts[] = { SHIFT_ONE_CLASS, SHIFT_PRIOR };
  double loc = 0, detected = 0, flagged = 0, prior = 0;

  printf ("\nlocalisation at n=200, %u draws per fraction: detected (any test fired), shifted class flagged (one of "
          "its tests fired), shifted class named first; ± the standard error\n",
          draws);
  for (gsize s = 0; s < G_N_ELEMENTS (shifts); s++)
    for (gsize f = 0; f < N_FRACTIONS; f++)
      {
        Tally t = { 0 };
        double named;

        run_condition (bench, shifts[s], fractions[f], 200, draws, seed, &t);
        named = (double)t.named / t.windows;
        printf ("%-18s fraction %3.0f%%: detected %.3f, flagged %.3f, named first %.3f ± %.3f; oracle (the shifted "
                "class's own loss test, p ≤ α, no correction) %.3f\n",
                shift_names[shifts[s]], fractions[f] * 100, (double)t.ours / t.windows,
                (double)t.flagged / t.windows, named, sqrt (named * (1 - named) / t.windows),
                (double)t.oracle / t.windows);
        if (shifts[s] == SHIFT_ONE_CLASS)
          {
            loc += named / N_FRACTIONS;
            detected += (double)t.ours / t.windows / N_FRACTIONS;
            flagged += (double)t.flagged / t.windows / N_FRACTIONS;
          }
        else
          prior += named / N_FRACTIONS;
      }
  {
    /* The no-shift windows at n=200 of the full run (as many as a shift's). */
    Tally t = { 0 };

    run_condition (bench, SHIFT_NONE, fractions[0], 200, 3 * draws, seed, &t);
    printf ("no shift at n=200: false alarms %.4f of %" G_GUINT64_FORMAT " windows (baseline %.4f), α = 0.05\n",
            (double)t.ours / t.windows, t.windows, (double)t.baseline / t.windows);
    printf ("drift localisation: localisation=%.3f windows=%u ceiling_detected=%.3f ceiling_flagged=%.3f "
            "prior_named=%.3f false_alarm_200=%.4f\n",
            loc, draws * (guint)N_FRACTIONS, detected, flagged, prior, (double)t.ours / t.windows);
  }
  return loc;
}

/* Prints one seed's end-to-end figures; *@rec, *@rec_plain ← its recoveries
 * (NaN when the shift cost nothing). */
static void
print_recovery (const Recovery *r, guint64 seed, int n_labels, int n_old, double *rec, double *rec_plain)
{
  double cost = r->acc_clean - r->acc_before;

  *rec = *rec_plain = NAN;
  if (cost > 0)
    {
      *rec = (r->acc_boost - r->acc_before) / cost;
      *rec_plain = (r->acc_plain - r->acc_before) / cost;
    }
  printf ("\nend to end, seed %" G_GUINT64_FORMAT ": a stream of %" G_GSIZE_FORMAT " images, %" G_GSIZE_FORMAT
          " shifted (rotation 30 and the held-out class), windows of 200: %u of %u drifted, drift persisted "
          "(two in a row) at window %d; %" G_GSIZE_FORMAT " candidates for the boosted queue, %" G_GSIZE_FORMAT
          " novel; %u of the candidates shifted, %u of the first 100 (%u of the held-out class)\n",
          seed, r->n_stream, r->n_shifted, r->n_drifted, r->n_windows, r->detected_at, r->n_candidates, r->n_novel,
          r->cand_shifted, r->cand_top_shifted, r->cand_top_novel);
  printf ("labels drawn: %d by the drift-boosted queue (share %.2f; %u shifted, %u of the held-out class), %d by "
          "the normal queue (%u shifted, %u of the held-out class); each arm retrained the same way (as a round, same seed) "
          "with %d old labels, %u epochs\n",
          n_labels, r->share, r->boost_shifted, r->boost_novel, n_labels, r->plain_shifted, r->plain_novel, n_old,
          r->retrain_epochs);
  printf ("accuracy on %" G_GSIZE_FORMAT " other shifted images: %.4f before (clean versions of the rotated: "
          "%.4f, the cost %.4f); after boosted %.4f, after normal %.4f, after retraining without new labels "
          "%.4f\n",
          r->n_eval, r->acc_before, r->acc_clean, cost, r->acc_boost, r->acc_plain, r->acc_none);
  printf ("  of which rotated / held-out class: before %.4f / %.4f, after boosted %.4f / %.4f, after normal "
          "%.4f / %.4f\n",
          r->split_before[0], r->split_before[1], r->split_boost[0], r->split_boost[1], r->split_plain[0],
          r->split_plain[1]);
  for (int arm = 0; arm < 2; arm++)
    {
      const GlDriftAdaptReport *a = arm == 0 ? &r->adapt_boost : &r->adapt_plain;

      printf ("  the round's drift adaptation, %s arm: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
              " training labels were candidates, pi %.3f, weight %.2f (%.2f before clipping at %.0f), %"
              G_GUINT64_FORMAT " copies\n",
              arm == 0 ? "boosted" : "normal", a->n_drifted, a->n_train, a->share, a->applied, a->weight,
              GL_DRIFT_ADAPT_MAX_WEIGHT, a->n_added);
    }
  printf ("  accuracy on the %" G_GSIZE_FORMAT " unshifted (clean) versions: before %.4f, after boosted %.4f, "
          "after normal %.4f, after retraining without new labels %.4f\n",
          (gsize)EVAL_ROTATED, r->unshifted[0], r->unshifted[1], r->unshifted[2], r->unshifted[3]);
  printf ("recovery (share of the cost won back): boosted %.3f, normal %.3f\n", *rec, *rec_plain);
  fflush (stdout);
}

/* Mean and sample standard deviation of @n values (NaN ones count as NaN). */
static void
mean_sd (const double *x, int n, double *mean, double *sd)
{
  double s = 0, ss = 0;

  for (int i = 0; i < n; i++)
    s += x[i];
  *mean = n > 0 ? s / n : NAN;
  for (int i = 0; i < n; i++)
    ss += (x[i] - *mean) * (x[i] - *mean);
  *sd = n > 1 ? sqrt (ss / (n - 1)) : 0.0;
}

/* Trains the model on @n_train training images (the held-out class
 * skipped) and fits the temperature on @n_val others. */
static GlNet *
train_model (const GlIdx *img, const GlIdx *lab, guint held_out, gsize n_train, gsize n_val, guint epochs,
             double max_seconds, double *temperature, guint64 **val_rows_out, gsize *n_val_out,
             GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_default_grey ();
  g_autoptr (GlNet) net = gl_net_new (spec, SIDE, SIDE, 1, K, 1, error);
  GlDataset data = { img->data, PIX, SIDE, SIDE, 1 };
  g_autofree guint64 *rows = g_new (guint64, img->dims[0]);
  g_autofree gint *labels = g_new (gint, img->dims[0]);
  g_autofree float *probs = NULL;
  gsize n = 0, nv;
  GlTrainOptions o;
  GlTrainReport report;
  double acc, before, after;

  if (net == NULL)
    return NULL;
  for (gsize i = 0; i < img->dims[0]; i++)
    if (lab->data[i] != held_out)
      {
        rows[n] = i;
        labels[n++] = lab->data[i];
      }
  n_train = MIN (n_train, n - n_val);
  nv = MIN (n_val, n - n_train);
  gl_train_options_init (&o);
  o.epochs = epochs;
  o.max_seconds = max_seconds;
  o.augment = GL_AUGMENT_CROP | GL_AUGMENT_FLIP;
  o.seed = 1;
  if (!gl_net_train (net, &data, rows, labels, n_train, &o, NULL, NULL, NULL, &report, error))
    return NULL;
  probs = g_new (float, nv *K);
  if (!gl_net_predict (net, &data, rows + n_train, nv, probs, NULL, NULL, NULL, NULL, error))
    return NULL;
  gl_calibrate_logits_from_probs (probs, nv, K, probs);
  *temperature = gl_calibrate_fit_temperature (probs, labels + n_train, nv, K, &before, &after);
  gl_net_evaluate (net, &data, rows + n_train, labels + n_train, nv, &acc, NULL, NULL, NULL, NULL, NULL);
  printf ("model: %" G_GSIZE_FORMAT
          " training images (class %u held out), %u epochs, %.0f s; reference accuracy "
          "%.4f on %" G_GSIZE_FORMAT "; temperature %.3f (NLL %.4f -> %.4f)\n",
          n_train, held_out, report.epochs, report.seconds, acc, nv, *temperature, before, after);
  *val_rows_out = g_memdup2 (rows + n_train, nv * sizeof (guint64));
  *n_val_out = nv;
  return g_steal_pointer (&net);
}

int
main (int argc, char **argv)
{
  int draws = 100, n_train = 20000, n_ref = 6000, epochs = 3, held_out = 7, n_perm = 200;
  int n_labels = 200, n_old = 2000, retrain_epochs = GL_TRAINER_DEFAULT_EPOCHS, recovery_seeds = 3;
  gboolean no_adapt = FALSE;
  g_autofree char *only = NULL, *pvalues_path = NULL, *classes_path = NULL;
  double boost_share = 0.5; /* the app's default drift_boost_share (app/gl-drift-auto.h) */
  double max_seconds = 600;
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "draws", 0, 0, G_OPTION_ARG_INT, &draws, "Windows per shift, fraction and size (default 100)", "N" },
    { "train", 0, 0, G_OPTION_ARG_INT, &n_train, "Training images (default 20000)", "N" },
    { "reference", 0, 0, G_OPTION_ARG_INT, &n_ref, "Held-out training images as reference (default 6000)",
      "N" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Training epochs (default 3)", "N" },
    { "max-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &max_seconds, "Training time budget (default 600)", "S" },
    { "held-out", 0, 0, G_OPTION_ARG_INT, &held_out, "The class never trained on (default 7, Sneaker)", "C" },
    { "permutations", 0, 0, G_OPTION_ARG_INT, &n_perm, "MMD permutations (default 200)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the windows (default 1)", "N" },
    { "labels", 0, 0, G_OPTION_ARG_INT, &n_labels, "Recovery: new labels drawn by each queue (default 200)", "N" },
    { "old-labels", 0, 0, G_OPTION_ARG_INT, &n_old, "Recovery: old labels retrained with them (default 2000)", "N" },
    { "retrain-epochs", 0, 0, G_OPTION_ARG_INT, &retrain_epochs,
      "Recovery: least epochs of each retraining (default 10, as a round; more for ≥ 300 steps)", "N" },
    { "recovery-seeds", 0, 0, G_OPTION_ARG_INT, &recovery_seeds,
      "Recovery: streams measured, each with its own seed (default 3)", "N" },
    { "boost-share", 0, 0, G_OPTION_ARG_DOUBLE, &boost_share,
      "Recovery: share of the non-audit places the boosted queue gives the candidates (default 0.5, the app's)", "S" },
    { "no-adapt", 0, 0, G_OPTION_ARG_NONE, &no_adapt,
      "Recovery: retrain without the round's drift adaptation (app/gl-drift-adapt.h), as before it", NULL },
    { "pvalues", 0, 0, G_OPTION_ARG_FILENAME, &pvalues_path,
      "Write each window's window-wide p-values to FILE (CSV: shift, fraction, n, target, baseline, drifted, "
      "top class, then bbsd, outliers, uncertain, chi-square, confidence, embedding, omnibus, and the per-class "
      "family's smallest Holm-adjusted p)", "FILE" },
    { "classes", 0, 0, G_OPTION_ARG_FILENAME, &classes_path,
      "Write, for the one-class and prior shifts, each window's per-class inputs of the naming to FILE (CSV: shift, "
      "fraction, draw, target, drifted, top class, class, reference count, reference n, window count, window n, "
      "column mean in reference and window, mean top probability of the class's predictions in reference and "
      "window, then the raw p of share, bbsd, confidence, embedding, novelty, then the predictions of the class at "
      "least as sure as the median and the first quartile of its reference predictions: reference (both), window "
      "(both))",
      "FILE" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "Run one part: 'recovery' (end to end), 'detection' (windows) or 'localisation' (the one-class and prior "
      "shifts at n=200); default recovery and detection", "PART" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— drift detection per class on Fashion-MNIST");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlIdx) train_img = NULL, train_lab = NULL, test_img = NULL, test_lab = NULL;
  g_autoptr (GlNet) net = NULL;
  g_autofree guint64 *ref_rows = NULL;
  g_autofree guint8 *ref_pixels = NULL, *clean_pixels = NULL, *work = NULL;
  g_autofree gint *ref_labels = NULL, *clean_labels = NULL, *novel_labels = NULL;
  Scored reference = { 0 }, clean = { 0 }, shifted[N_SHIFTS] = { { 0 } };
  GlDriftSample ref_sample;
  Bench bench = { 0 };
  Detection det = { { 0 } };
  double rec[16], rec_plain[16], rec_mean = NAN, rec_sd = NAN, plain_mean = NAN, plain_sd = NAN;
  gboolean only_recovery = FALSE, only_detection = FALSE, only_localisation = FALSE;
  gsize n_ref_got, n_clean = 0, n_novel = 0;
  double temperature = 1.0;
  GlRng rng;

  gl_engine_info_init ();
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-drift: %s\n", error->message);
      return 2;
    }
  if (draws < 1 || held_out < 0 || held_out >= K || n_train < 100 || n_ref < 100 || n_labels < 10
      || n_labels > 2000 || n_old < 0 || retrain_epochs < 1 || recovery_seeds < 1
      || recovery_seeds > (int)G_N_ELEMENTS (rec) || !(boost_share >= 0 && boost_share <= 1))
    {
      fprintf (stderr, "bench-drift: --draws ≥ 1, --held-out in 0…9, --train and --reference ≥ 100, --labels in "
                       "10…2000, --old-labels ≥ 0, --retrain-epochs ≥ 1, --recovery-seeds in 1…%d, --boost-share in "
                       "0…1\n",
               (int)G_N_ELEMENTS (rec));
      return 2;
    }
  if (classes_path != NULL && (classes_out = fopen (classes_path, "w")) == NULL)
    {
      fprintf (stderr, "bench-drift: --classes '%s': %s\n", classes_path, g_strerror (errno));
      return 2;
    }
  if (pvalues_path != NULL && (pvalues_out = fopen (pvalues_path, "w")) == NULL)
    {
      fprintf (stderr, "bench-drift: --pvalues '%s': %s\n", pvalues_path, g_strerror (errno));
      return 2;
    }
  only_recovery = g_strcmp0 (only, "recovery") == 0;
  only_detection = g_strcmp0 (only, "detection") == 0;
  only_localisation = g_strcmp0 (only, "localisation") == 0;
  if (only != NULL && !only_recovery && !only_detection && !only_localisation)
    {
      fprintf (stderr, "bench-drift: --only '%s': use 'recovery', 'detection' or 'localisation'\n", only);
      return 2;
    }
  {
    g_autofree char *engine_info = gl_engine_info_describe ();
    double load[3] = { 0 };

    printf ("%s", engine_info);
    if (getloadavg (load, 3) == 3)
      printf ("load average %.2f %.2f %.2f (detection rates and accuracies, not times, are measured)\n", load[0],
              load[1], load[2]);
  }
  if (!load_set ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", &train_img, &train_lab, &error)
      || !load_set ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", &test_img, &test_lab, &error))
    {
      fprintf (stderr, "bench-drift: %s (install dataset-fashion-mnist)\n", error->message);
      return 1;
    }

  net = train_model (train_img, train_lab, (guint)held_out, n_train, n_ref, epochs, max_seconds, &temperature,
                     &ref_rows, &n_ref_got, &error);
  if (net == NULL)
    {
      fprintf (stderr, "bench-drift: training failed: %s\n", error->message);
      return 1;
    }

  /* Reference: the temperature's own validation images. */
  ref_pixels = g_new (guint8, n_ref_got * PIX);
  ref_labels = g_new (gint, n_ref_got);
  for (gsize i = 0; i < n_ref_got; i++)
    {
      memcpy (ref_pixels + i * PIX, train_img->data + ref_rows[i] * PIX, PIX);
      ref_labels[i] = train_lab->data[ref_rows[i]];
    }
  /* The stream: test images of the known classes; the held-out class's apart. */
  clean_pixels = g_new (guint8, test_img->dims[0] * PIX);
  clean_labels = g_new (gint, test_img->dims[0]);
  novel_labels = g_new (gint, test_img->dims[0]);
  work = g_new (guint8, test_img->dims[0] * PIX);
  for (gsize i = 0; i < test_img->dims[0]; i++)
    if (test_lab->data[i] != held_out)
      {
        memcpy (clean_pixels + n_clean * PIX, test_img->data + i * PIX, PIX);
        clean_labels[n_clean++] = test_lab->data[i];
      }
  if (!score (net, ref_pixels, ref_labels, n_ref_got, temperature, &reference, &error)
      || !score (net, clean_pixels, clean_labels, n_clean, temperature, &clean, &error))
    {
      fprintf (stderr, "bench-drift: scoring failed: %s\n", error->message);
      return 1;
    }
  for (gsize i = 0; i < test_img->dims[0]; i++)
    if (test_lab->data[i] == held_out)
      {
        memcpy (work + n_novel * PIX, test_img->data + i * PIX, PIX);
        novel_labels[n_novel++] = held_out;
      }
  if (!score (net, work, novel_labels, n_novel, temperature, &shifted[SHIFT_NOVEL], &error))
    {
      fprintf (stderr, "bench-drift: scoring failed: %s\n", error->message);
      return 1;
    }
  gl_rng_init (&rng, 77);
  /* The shifted test sets feed the detection part only. */
  for (Shift s = SHIFT_ROT10; !only_recovery && s <= SHIFT_BLUR; s++)
    {
      double acc = 0.0;

      for (gsize i = 0; i < n_clean; i++)
        apply_shift (s, clean_pixels + i * PIX, work + i * PIX, &rng);
      if (!score (net, work, clean_labels, n_clean, temperature, &shifted[s], &error))
        {
          fprintf (stderr, "bench-drift: scoring failed: %s\n", error->message);
          return 1;
        }
      for (gsize i = 0; i < n_clean; i++)
        {
          const float *row = shifted[s].probs + i * K;
          guint best = 0;
          for (guint c = 1; c < K; c++)
            if (row[c] > row[best])
              best = c;
          acc += best == (guint)clean_labels[i];
        }
      printf ("shift %-16s accuracy %.4f on %" G_GSIZE_FORMAT " test images\n", shift_names[s], acc / n_clean,
              n_clean);
    }
  fflush (stdout);

  ref_sample = (GlDriftSample){ reference.n, K, reference.probs, PROJ_DIM, reference.emb };
  bench.clean = &clean;
  for (Shift s = 0; s < N_SHIFTS; s++)
    bench.shifted[s] = &shifted[s];
  bench.shifted[SHIFT_ONE_CLASS] = &shifted[SHIFT_ROT60];
  bench.shifted[SHIFT_PRIOR] = &clean;
  bench.reference = &ref_sample;
  bench.held_out = (guint)held_out;
  gl_drift_options_init (&bench.options);
  bench.options.n_perm = (guint)n_perm;

  if (only_localisation)
    {
      run_localisation (&bench, (guint)draws, (guint64)seed);
      scored_clear (&reference);
      scored_clear (&clean);
      for (Shift s = 0; s < N_SHIFTS; s++)
        scored_clear (&shifted[s]);
      if (pvalues_out != NULL)
        fclose (pvalues_out);
      if (classes_out != NULL)
        fclose (classes_out);
      return 0;
    }
  if (!only_recovery)
    run_detection (&bench, (guint)draws, (guint64)seed, &det);
  if (!only_detection)
    {
      fprintf (stderr, "recovery: %d seeds, three retrainings each\n", recovery_seeds);
      for (int k = 0; k < recovery_seeds; k++)
        {
          Recovery r;

          if (!measure_recovery (net, temperature, &ref_sample, &bench.options, train_img, train_lab, test_img,
                                 test_lab, (guint)held_out, (guint)n_labels, (gsize)n_old, (guint)retrain_epochs,
                                 boost_share, !no_adapt, (guint64)seed + (guint64)k, &r, &error))
            {
              fprintf (stderr, "bench-drift: recovery failed: %s\n", error->message);
              return 1;
            }
          print_recovery (&r, (guint64)seed + (guint64)k, n_labels, n_old, &rec[k], &rec_plain[k]);
        }
      mean_sd (rec, recovery_seeds, &rec_mean, &rec_sd);
      mean_sd (rec_plain, recovery_seeds, &plain_mean, &plain_sd);
      printf ("\nrecovery over %d seeds (streams, draws and retraining seeds), mean ± sd: boosted %.3f ± %.3f, "
              "normal %.3f ± %.3f; boosted − normal %+.3f (target: boosted ≥ 0.80 and > normal)\n",
              recovery_seeds, rec_mean, rec_sd, plain_mean, plain_sd, rec_mean - plain_mean);
    }
  if (only_recovery)
    printf ("drift recovery: recovery=%.3f recovery_sd=%.3f recovery_plain=%.3f recovery_plain_sd=%.3f seeds=%d\n",
            rec_mean, rec_sd, plain_mean, plain_sd, recovery_seeds);
  else
    printf ("drift: power_100=%.3f power_500=%.3f baseline_100=%.3f baseline_500=%.3f false_alarm=%.4f "
            "localisation=%.3f recovery=%.3f recovery_plain=%.3f\n",
            det.power[1], det.power[3], det.base[1], det.base[3], det.false_alarm, det.localisation, rec_mean,
            plain_mean);
  scored_clear (&reference);
  scored_clear (&clean);
  for (Shift s = 0; s < N_SHIFTS; s++)
    scored_clear (&shifted[s]);
  if (pvalues_out != NULL)
    fclose (pvalues_out);
  if (classes_out != NULL)
    fclose (classes_out);
  return 0;
}
