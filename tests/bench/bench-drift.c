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
 * class first. The end-to-end recovery figures need the drift-boosted queue,
 * which does not exist yet: they are printed as na.
 *
 * The last line is exactly
 *   drift: power_100=P power_500=P baseline_100=P baseline_500=P false_alarm=F localisation=L recovery=R
 * recovery_plain=R
 */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/gl-idx.h"
#include "engine/gl-calibrate.h"
#include "engine/gl-drift-verdict.h"
#include "engine/gl-drift.h"
#include "engine/gl-net.h"
#include "engine/gl-rng.h"

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
} Tally;

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

      draw_window (b, shift, fraction, n, &rng, probs, emb, &target);
      o.seed = seed + d;
      v = gl_drift_verdict_compute (b->reference, &win, &o, NULL);
      t->windows++;
      t->ours += v->drifted;
      t->baseline += gl_drift_bbsd_baseline (b->reference, &win, o.alpha, NULL);
      t->named += target >= 0 && v->top_class == target;
    }
}

/* ---- main ---- */

static const gsize sizes[] = { 50, 100, 200, 500 };
static const double fractions[] = { 0.1, 0.5, 1.0 };
#define N_SIZES G_N_ELEMENTS (sizes)
#define N_FRACTIONS G_N_ELEMENTS (fractions)

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
  Tally tally[N_SHIFTS][N_FRACTIONS][N_SIZES] = { { { { 0 } } } };
  gsize n_ref_got, n_clean = 0, n_novel = 0;
  double temperature = 1.0;
  GlRng rng;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-drift: %s\n", error->message);
      return 2;
    }
  if (draws < 1 || held_out < 0 || held_out >= K || n_train < 100 || n_ref < 100)
    {
      fprintf (stderr, "bench-drift: --draws ≥ 1, --held-out in 0…9, --train and --reference ≥ 100\n");
      return 2;
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
  for (Shift s = SHIFT_ROT10; s <= SHIFT_BLUR; s++)
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

  for (gsize z = 0; z < N_SIZES; z++)
    {
      for (Shift s = SHIFT_NONE; s < N_SHIFTS; s++)
        for (gsize f = 0; f < N_FRACTIONS; f++)
          {
            /* No shift has no fraction: its windows are drawn once per size,
             * as many as a shift's (3 × draws). */
            if (s == SHIFT_NONE && f > 0)
              continue;
            run_condition (&bench, s, fractions[f], sizes[z], s == SHIFT_NONE ? 3 * draws : draws, seed,
                           &tally[s][f][z]);
          }
      fprintf (stderr, "window %" G_GSIZE_FORMAT " done\n", sizes[z]);
    }

  /* Table: detection rate per shift (mean over fractions) and size. */
  printf (
      "\ndetection rate, Gleaner / BBSD baseline (mean over fractions 10%%, 50%%, 100%%; %d draws each)\n",
      draws);
  printf ("%-18s", "shift");
  for (gsize z = 0; z < N_SIZES; z++)
    printf ("   n=%-11" G_GSIZE_FORMAT, sizes[z]);
  printf ("\n");
  {
    double power[N_SIZES] = { 0 }, base[N_SIZES] = { 0 }, false_alarm = 0, base_false = 0, localisation = 0;
    guint64 none_windows = 0, one_windows = 0;

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
                false_alarm += o;
                base_false += b;
                none_windows += w;
              }
            else
              {
                power[z] += (double)o / w / (N_SHIFTS - 1);
                base[z] += (double)b / w / (N_SHIFTS - 1);
              }
          }
        printf ("\n");
      }
    for (gsize f = 0; f < N_FRACTIONS; f++)
      {
        const Tally *t = &tally[SHIFT_ONE_CLASS][f][2];
        printf ("one class at n=200, fraction %.0f%%: detected %.3f, shifted class named first %.3f\n",
                fractions[f] * 100, (double)t->ours / t->windows, (double)t->named / t->windows);
        localisation += t->named;
        one_windows += t->windows;
      }
    localisation /= (double)one_windows;
    false_alarm /= (double)none_windows;
    printf ("mean power: ");
    for (gsize z = 0; z < N_SIZES; z++)
      printf ("n=%" G_GSIZE_FORMAT " %.3f (baseline %.3f)  ", sizes[z], power[z], base[z]);
    printf ("\nfalse alarms on %" G_GUINT64_FORMAT " no-shift windows: %.4f (baseline %.4f), α = 0.05\n",
            none_windows, false_alarm, base_false / none_windows);
    printf ("recovery: not measured (needs the drift-boosted queue, not built yet)\n");
    printf ("drift: power_100=%.3f power_500=%.3f baseline_100=%.3f baseline_500=%.3f false_alarm=%.4f "
            "localisation=%.3f recovery=na recovery_plain=na\n",
            power[1], power[3], base[1], base[3], false_alarm, localisation);
  }
  scored_clear (&reference);
  scored_clear (&clean);
  for (Shift s = 0; s < N_SHIFTS; s++)
    scored_clear (&shifted[s]);
  return 0;
}
