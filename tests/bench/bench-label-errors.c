/* bench-label-errors — label-error detection on the Fashion-MNIST demo
 * project (issue 14). Not a test.
 *
 * A fresh demo project in a temporary folder; 3,000 pool images drawn at
 * random as the simulator draws its seed labels (gl_acquire_random, seed
 * ^ 0x5eed) are labeled with their reference class, of which 5% are flipped
 * uniformly to another class and another 5% flipped between the confusable
 * pairs (Shirt ↔ T-shirt/top, Pullover ↔ Coat, Sneaker ↔ Ankle boot). The
 * trainer then trains a model version on these labels as the app would (its
 * default round: 20% validation hold-out, the time budget), and the detector
 * runs on that version (k-fold out-of-fold predictions + confident learning).
 *
 * Printed: precision, recall and F1 of the flagged set (with Wilson 95%
 * intervals), precision at k (k = the number flipped, by the detector's
 * score), recall per kind of flip, the same for the baseline "label differs
 * from the current model's prediction" (the Gallery's "label ≠ prediction"
 * filter: in-sample for the 80% trained on) in the same run, a bootstrap 95%
 * interval of the F1 difference, and the seconds the detection took. The last
 * line is exactly
 *   label-errors: precision=P recall=R f1=F precision_at_k=P baseline_f1=F seconds=S
 */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/gl-demo.h"
#include "app/gl-engine-info.h"
#include "app/gl-label-errors.h"
#include "app/gl-pixel-cache.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "engine/gl-acquire.h"
#include "engine/gl-model-file.h"
#include "engine/gl-net.h"

/* Fashion-MNIST label order: 0 T-shirt/top, 2 Pullover, 4 Coat, 6 Shirt, 7 Sneaker, 9 Ankle boot. */
static const gint pair_of[10] = { 6, -1, 4, -1, 2, -1, 0, 9, -1, 7 };

typedef struct
{
  GHashTable *index_of_class; /* class id → index + 1 */
  GArray *ids;                /* gint64: pool images with a reference label */
  GArray *classes;            /* gint */
} Pool;

static gboolean
collect (const GlDbCurrentLabel *label, gpointer user_data)
{
  Pool *p = user_data;
  gint k = GPOINTER_TO_INT (g_hash_table_lookup (p->index_of_class, &label->class_id)) - 1;
  if (k >= 0 && !label->held_out_test && label->cache_row >= 0)
    {
      g_array_append_val (p->ids, label->image_id);
      g_array_append_val (p->classes, k);
    }
  return TRUE;
}

typedef struct
{
  guint tp, fp, fn;
} Counts;

static double
f1_of (Counts c)
{
  return c.tp == 0 ? 0 : 2.0 * c.tp / (2.0 * c.tp + c.fp + c.fn);
}

/* Wilson score interval of @k successes in @n at 95%. */
static void
wilson (guint k, guint n, double *lo, double *hi)
{
  if (n == 0)
    {
      *lo = 0, *hi = 1;
      return;
    }
  double z = 1.959964, p = (double)k / n, d = 1 + z * z / n;
  double c = (p + z * z / (2.0 * n)) / d, h = z * sqrt (p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
  *lo = MAX (0, c - h), *hi = MIN (1, c + h);
}

static void
print_set (const char *name, Counts c)
{
  double plo, phi, rlo, rhi;
  wilson (c.tp, c.tp + c.fp, &plo, &phi);
  wilson (c.tp, c.tp + c.fn, &rlo, &rhi);
  printf (
      "  %-9s flagged %4u: precision %.3f [%.3f, %.3f] (n=%u)  recall %.3f [%.3f, %.3f] (n=%u)  F1 %.3f\n",
      name, c.tp + c.fp, c.tp + c.fp ? (double)c.tp / (c.tp + c.fp) : 0, plo, phi, c.tp + c.fp,
      (double)c.tp / MAX (1, c.tp + c.fn), rlo, rhi, c.tp + c.fn, f1_of (c));
}

typedef struct
{
  double score;
  gsize i;
} Ranked;

static int
cmp_ranked (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

/* Share of the @k highest @scores that are @truth. */
static double
precision_at (const double *scores, const gboolean *truth, gsize n, gsize k)
{
  g_autofree Ranked *r = g_new (Ranked, n);
  for (gsize i = 0; i < n; i++)
    r[i] = (Ranked){ scores[i], i };
  qsort (r, n, sizeof *r, cmp_ranked);
  gsize hit = 0;
  for (gsize i = 0; i < k && i < n; i++)
    hit += truth[r[i].i];
  return k ? (double)hit / k : 0;
}

static Counts
count_set (const gboolean *flagged, const gboolean *truth, gsize n, const gsize *sample)
{
  Counts c = { 0 };
  for (gsize j = 0; j < n; j++)
    {
      gsize i = sample ? sample[j] : j;
      c.tp += flagged[i] && truth[i];
      c.fp += flagged[i] && !truth[i];
      c.fn += !flagged[i] && truth[i];
    }
  return c;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void
on_progress (const GlProgress *p, gpointer user_data)
{
  if (p->fraction >= 0)
    fprintf (stderr, "\rdetecting: %3.0f%%", p->fraction * 100);
}

static void
on_import (const GlImportProgress *p, gpointer user_data)
{
  fprintf (stderr, "\rbuilding the demo project: %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT, p->done,
           p->total);
}

static gint
argmax10 (const float *q)
{
  gint top = 0;
  for (gint j = 1; j < 10; j++)
    if (q[j] > q[top])
      top = j;
  return top;
}

/* What bounds the flagged sets' precision: how often the out-of-fold
 * predictions (and the in-sample ones of the baseline) are right about the
 * true class, and agree with the given label. A detector cannot tell a flip
 * from a clean label its model gets wrong. */
static void
print_accuracies (GHashTable *oof_row, const float *probs, const gint64 *ids, const gint *truth, const gint *given,
                  gsize n)
{
  guint oof_true = 0, oof_given = 0, in_true = 0, m = 0;
  double lo, hi;
  for (gsize i = 0; i < n; i++)
    {
      const float *q = g_hash_table_lookup (oof_row, &ids[i]);
      in_true += argmax10 (probs + i * 10) == truth[i];
      if (q == NULL)
        continue;
      m++;
      oof_true += argmax10 (q) == truth[i];
      oof_given += argmax10 (q) == given[i];
    }
  wilson (oof_true, m, &lo, &hi);
  printf ("out-of-fold predictions: %.3f [%.3f, %.3f] right about the true class, %.3f agree with the given "
          "label (n=%u)\n",
          m ? (double)oof_true / m : 0, lo, hi, m ? (double)oof_given / m : 0, m);
  wilson (in_true, (guint)n, &lo, &hi);
  printf ("in-sample predictions of the current model: %.3f [%.3f, %.3f] right about the true class (n=%" G_GSIZE_FORMAT
          ")\n",
          n ? (double)in_true / n : 0, lo, hi, n);
}

/* The current model's probabilities for @rows (the baseline's predictions). */
static float *
predict_current (GlProject *p, GlDb *db, const guint64 *rows, gsize n, guint k, GError **error)
{
  GlDbModelVersion v = { 0 };
  if (!gl_db_get_model_version (db, gl_db_get_current_model (db), &v, error))
    return NULL;
  g_autoptr (GlNet) net = gl_model_file_load (v.path, NULL, error);
  gl_db_model_version_clear (&v);
  g_autoptr (GlPixelMap) map = net ? gl_project_map_pixels (p, error) : NULL;
  if (map == NULL)
    return NULL;
  GlDataset data = { gl_pixel_map_data (map), 0, 0, 0, 0 };
  gl_pixel_map_shape (map, &data.h, &data.w, &data.c);
  data.row_stride = (gsize)data.h * data.w * data.c;
  float *probs = g_new (float, n *k);
  if (!gl_net_predict (net, &data, rows, n, probs, NULL, NULL, NULL, NULL, error))
    g_clear_pointer (&probs, g_free);
  return probs;
}

int
main (int argc, char **argv)
{
  int n_labels = 3000, folds = GL_LABEL_ERRORS_DEFAULT_FOLDS, seed = 0, epochs = 0, min_steps = -1, batch = 0;
  double seconds = GL_LABEL_ERRORS_DEFAULT_SECONDS, train_seconds = 20, uniform_share = 0.05, pair_share = 0.05;
  gboolean cold = FALSE, keep = FALSE;
  g_autofree char *dump = NULL;
  g_autofree char *ranking = NULL, *filter = NULL, *mnist_dir = NULL, *work_dir = NULL;
  GOptionEntry entries[] = {
    { "labels", 0, 0, G_OPTION_ARG_INT, &n_labels, "Labels drawn (default 3000)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the draw and the flips (default 0)", "N" },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Folds (default 5)", "K" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Training budget of the detection (default 110)", "S" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs per fold at least (default: the trainer's)", "N" },
    { "min-steps", 0, 0, G_OPTION_ARG_INT, &min_steps, "Steps per fold at least (default: the trainer's)",
      "N" },
    { "train-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &train_seconds, "The trainer's round budget (default 20)",
      "S" },
    { "ranking", 0, 0, G_OPTION_ARG_STRING, &ranking, "self-confidence (default) or normalized-margin", "R" },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter, "both (default), prune-by-noise-rate or prune-by-class", "F" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size of the folds' training (default: the detector's)", "N" },
    { "cold", 0, 0, G_OPTION_ARG_NONE, &cold, "Folds start from a fresh network, not the current model",
      NULL },
    { "uniform", 0, 0, G_OPTION_ARG_DOUBLE, &uniform_share, "Share flipped uniformly (default 0.05)", "F" },
    { "pairs", 0, 0, G_OPTION_ARG_DOUBLE, &pair_share, "Share flipped within pairs (default 0.05)", "F" },
    { "mnist-dir", 0, 0, G_OPTION_ARG_FILENAME, &mnist_dir, "Fashion-MNIST IDX files", "DIR" },
    { "work-dir", 0, 0, G_OPTION_ARG_FILENAME, &work_dir,
      "Build the project here (default: a temporary folder)", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the project afterwards", NULL },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &dump,
      "Write per label: id, true class, given class, flip kind, flagged, score, the model's and the "
      "out-of-fold "
      "probabilities (for analysis)",
      "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— label-error detection on Fashion-MNIST");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return 2;
    }
  GlLabelErrorsOptions o;
  gl_label_errors_options_init (&o);
  o.folds = (guint)MAX (folds, 2);
  o.seconds = seconds;
  o.warm_start = !cold;
  o.seed = (guint64)seed;
  o.keep_probs = TRUE; /* the out-of-fold accuracy below (and --dump) */
  if (epochs > 0)
    o.epochs = (guint)epochs;
  if (min_steps >= 0)
    o.min_steps = (guint)min_steps;
  if (batch > 0)
    o.batch_size = (guint)batch;
  if (filter && !gl_confident_filter_from_string (filter, &o.filter))
    {
      g_printerr ("bench-label-errors: unknown filter %s\n", filter);
      return 2;
    }
  if (ranking && !gl_confident_rank_from_string (ranking, &o.ranking))
    {
      g_printerr ("bench-label-errors: unknown ranking %s\n", ranking);
      return 2;
    }

  /* A fresh demo project. */
  g_autofree char *tmp
      = work_dir ? g_strdup (work_dir) : g_dir_make_tmp ("gl-bench-label-errors-XXXXXX", &error);
  if (tmp == NULL)
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return 1;
    }
  g_autofree char *dir = g_build_filename (tmp, "demo", NULL);
  if (g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      g_printerr ("bench-label-errors: %s exists; the benchmark needs a fresh project\n", dir);
      return 1;
    }
  g_autoptr (GlProject) p = gl_demo_ensure (dir, mnist_dir, on_import, NULL, NULL, &error);
  fprintf (stderr, "\r\033[K");
  if (p == NULL)
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return 1;
    }
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_autoptr (GArray) classes = db ? gl_db_list_classes (db, TRUE, &error) : NULL;
  if (classes == NULL || classes->len != 10)
    {
      g_printerr ("bench-label-errors: %s\n",
                  error ? error->message : "the demo project does not have 10 classes");
      return 1;
    }
  Pool pool = { g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL),
                g_array_new (FALSE, FALSE, sizeof (gint64)), g_array_new (FALSE, FALSE, sizeof (gint)) };
  for (guint k = 0; k < classes->len; k++)
    g_hash_table_insert (pool.index_of_class,
                         g_memdup2 (&g_array_index (classes, GlDbClass, k).id, sizeof (gint64)),
                         GUINT_TO_POINTER (k + 1));
  if (!gl_db_foreach_current_label (db, TRUE, collect, &pool, &error))
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return 1;
    }

  /* The draw (the simulator's seed-label draw) and the flips. */
  gsize n = (gsize)MIN ((guint)n_labels, pool.ids->len);
  g_autofree gsize *picked = g_new (gsize, n);
  n = gl_acquire_random (pool.ids->len, NULL, n, (guint64)seed ^ 0x5eedull, picked);
  g_autofree gint64 *ids = g_new (gint64, n);
  g_autofree gint *truth = g_new (gint, n);
  g_autofree gint *given = g_new (gint, n);
  g_autofree gboolean *flipped = g_new0 (gboolean, n);
  g_autofree guint8 *kind = g_new0 (guint8, n); /* 1 uniform, 2 pair */
  for (gsize i = 0; i < n; i++)
    {
      ids[i] = g_array_index (pool.ids, gint64, picked[i]);
      truth[i] = given[i] = g_array_index (pool.classes, gint, picked[i]);
    }
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32)seed * 7919u + 17u);
  g_autofree gsize *order = g_new (gsize, n);
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  for (gsize i = n; i > 1; i--)
    {
      gsize j = (gsize)g_rand_int_range (rand, 0, (gint32)i), t = order[i - 1];
      order[i - 1] = order[j], order[j] = t;
    }
  gsize n_uniform = (gsize)llround (uniform_share * n), n_pair = (gsize)llround (pair_share * n),
        got_pair = 0;
  for (gsize j = 0; j < n_uniform; j++)
    {
      gsize i = order[j];
      gint other = g_rand_int_range (rand, 0, 9);
      given[i] = other >= truth[i] ? other + 1 : other;
      flipped[i] = TRUE, kind[i] = 1;
    }
  for (gsize j = n_uniform; j < n && got_pair < n_pair; j++)
    {
      gsize i = order[j];
      if (pair_of[truth[i]] < 0)
        continue;
      given[i] = pair_of[truth[i]];
      flipped[i] = TRUE, kind[i] = 2;
      got_pair++;
    }
  gsize n_flipped = n_uniform + got_pair;
  /* Labels in one transaction per class. */
  for (guint k = 0; k < 10; k++)
    {
      g_autoptr (GArray) of_class = g_array_new (FALSE, FALSE, sizeof (gint64));
      for (gsize i = 0; i < n; i++)
        if (given[i] == (gint)k)
          g_array_append_val (of_class, ids[i]);
      if (!gl_db_set_labels (db, (gint64 *)of_class->data, of_class->len,
                             g_array_index (classes, GlDbClass, k).id, GL_DB_ORIGIN_HUMAN, "bench", &error))
        {
          g_printerr ("bench-label-errors: %s\n", error->message);
          return 1;
        }
    }
  printf ("label-errors: Fashion-MNIST demo project %s\n", dir);
  printf ("%" G_GSIZE_FORMAT " labels drawn at random (seed %d), %" G_GSIZE_FORMAT
          " flipped: %" G_GSIZE_FORMAT " uniformly, %" G_GSIZE_FORMAT
          " within Shirt/T-shirt, Pullover/Coat, Sneaker/Ankle boot\n",
          n, seed, n_flipped, n_uniform, got_pair);
  g_autofree char *engine_info = gl_engine_info_describe (); /* the CPU and the kernels */
  printf ("%s", engine_info);
  double load[3];
  if (getloadavg (load, 3) == 3)
    printf ("load average at start %.2f (%u cores)\n", load[0], g_get_num_processors ());

  /* The model version the app would have: one default trainer round. */
  g_autoptr (GlTrainer) trainer = gl_trainer_new (p, &error);
  if (trainer == NULL)
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return 1;
    }
  gl_trainer_set_time_budget (trainer, train_seconds);
  GlTrainerReport tr;
  if (!gl_trainer_run_round (trainer, TRUE, &tr, NULL, &error))
    {
      g_printerr ("bench-label-errors: training failed: %s\n", error->message);
      return 1;
    }
  printf ("model version %" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT " labels trained on, %u epochs in %.1f s,"
          " validation accuracy (on noisy labels) %.3f\n",
          tr.model_version, tr.n_train, tr.epochs, tr.train_seconds, tr.accuracy);
  g_clear_object (&trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  /* The detector. */
  printf ("detector: %u folds, %s, flagged by %s, ranked by %s, budget %.0f s, %u+ epochs "
          "/ %u+ steps of batch %u per fold\n",
          o.folds, o.warm_start ? "warm start from the current model" : "fresh networks",
          gl_confident_filter_to_string (o.filter), gl_confident_rank_to_string (o.ranking), o.seconds,
          o.epochs, o.min_steps, o.batch_size);
  fflush (stdout);
  gint64 t0 = g_get_monotonic_time ();
  GlLabelErrorsReport report;
  if (!gl_label_errors_detect (p, &o, on_progress, NULL, NULL, &report, &error))
    {
      fprintf (stderr, "\n");
      g_printerr ("bench-label-errors: detection failed: %s\n", error->message);
      return 1;
    }
  double det_seconds = (g_get_monotonic_time () - t0) / 1e6;
  fprintf (stderr, "\r\033[K");
  g_autoptr (GArray) rows = gl_db_list_label_errors (db, report.model_id, FALSE, 0, &error);
  if (rows == NULL)
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return 1;
    }
  g_autoptr (GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (gsize i = 0; i < n; i++)
    g_hash_table_insert (index, &ids[i], GSIZE_TO_POINTER (i + 1));
  g_autofree gboolean *cl_flag = g_new0 (gboolean, n);
  g_autofree double *cl_score = g_new0 (double, n);
  guint matched = 0;
  for (guint r = 0; r < rows->len; r++)
    {
      const GlDbLabelError *e = &g_array_index (rows, GlDbLabelError, r);
      gsize i = GPOINTER_TO_SIZE (g_hash_table_lookup (index, &e->image_id));
      if (i == 0)
        continue;
      cl_flag[i - 1] = e->flagged;
      cl_score[i - 1] = e->score;
      matched++;
    }
  if (matched != n)
    {
      g_printerr ("bench-label-errors: the detection has %u of the %" G_GSIZE_FORMAT " labels\n", matched, n);
      return 1;
    }

  /* The baseline: label ≠ the current model's prediction. */
  g_autofree guint64 *cache_rows = g_new (guint64, n);
  {
    g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
    g_autoptr (GHashTable) row_of = g_hash_table_new (g_int64_hash, g_int64_equal);
    for (guint i = 0; images && i < images->len; i++)
      g_hash_table_insert (row_of, &g_array_index (images, GlPoolImage, i).image_id,
                           &g_array_index (images, GlPoolImage, i).cache_row);
    for (gsize i = 0; i < n; i++)
      {
        gint64 *row = g_hash_table_lookup (row_of, &ids[i]);
        cache_rows[i] = row ? (guint64)*row : 0;
      }
  }
  g_autofree float *probs = predict_current (p, db, cache_rows, n, 10, &error);
  if (probs == NULL)
    {
      g_printerr ("bench-label-errors: baseline: %s\n", error->message);
      return 1;
    }
  g_autofree gboolean *base_flag = g_new (gboolean, n);
  g_autofree double *base_score = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    {
      const float *q = probs + i * 10;
      base_flag[i] = argmax10 (q) != given[i];
      base_score[i] = 1 - q[given[i]];
    }

  g_autoptr (GHashTable) oof_row = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint64 r = 0; r < report.n_labels; r++)
    g_hash_table_insert (oof_row, &report.image_ids[r], report.probs + r * report.n_classes);
  print_accuracies (oof_row, probs, ids, truth, given, n);
  if (dump != NULL)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      for (gsize i = 0; i < n; i++)
        {
          const float *q = g_hash_table_lookup (oof_row, &ids[i]);
          g_string_append_printf (out, "%" G_GINT64_FORMAT " %d %d %u %d %.6f", ids[i], truth[i], given[i],
                                  kind[i], cl_flag[i], cl_score[i]);
          for (guint j = 0; j < 10; j++)
            g_string_append_printf (out, " %.6f", probs[i * 10 + j]);
          for (guint j = 0; j < 10; j++)
            g_string_append_printf (out, " %.6f", q ? q[j] : NAN);
          g_string_append_c (out, '\n');
        }
      if (!g_file_set_contents (dump, out->str, (gssize)out->len, &error))
        {
          g_printerr ("bench-label-errors: %s\n", error->message);
          return 1;
        }
    }
  gl_label_errors_report_clear (&report);
  Counts cl = count_set (cl_flag, flipped, n, NULL), base = count_set (base_flag, flipped, n, NULL);
  double cl_pk = precision_at (cl_score, flipped, n, n_flipped);
  double base_pk = precision_at (base_score, flipped, n, n_flipped);
  printf ("\nflagged sets against the %" G_GSIZE_FORMAT " flipped labels of %" G_GSIZE_FORMAT
          " (Wilson 95%% intervals):\n",
          n_flipped, n);
  print_set ("detector", cl);
  print_set ("baseline", base);
  for (guint kd = 1; kd <= 2; kd++)
    {
      guint m = 0, hit_cl = 0, hit_base = 0;
      for (gsize i = 0; i < n; i++)
        if (kind[i] == kd)
          m++, hit_cl += cl_flag[i], hit_base += base_flag[i];
      printf ("  recall on %-19s (n=%u): detector %.3f, baseline %.3f\n",
              kd == 1 ? "uniform flips" : "confusable-pair flips", m, m ? (double)hit_cl / m : 0,
              m ? (double)hit_base / m : 0);
    }
  printf ("  precision at k=%" G_GSIZE_FORMAT
          ": detector %.3f (by its score), baseline %.3f (by 1 − p(label))\n",
          n_flipped, cl_pk, base_pk);
  /* Bootstrap over the labels: the F1 difference's 95% interval. */
  g_autofree double *diff = g_new (double, 1000);
  g_autofree gsize *sample = g_new (gsize, n);
  g_autoptr (GRand) boot = g_rand_new_with_seed (12345);
  for (guint b = 0; b < 1000; b++)
    {
      for (gsize i = 0; i < n; i++)
        sample[i] = (gsize)g_rand_int_range (boot, 0, (gint32)n);
      diff[b] = f1_of (count_set (cl_flag, flipped, n, sample))
                - f1_of (count_set (base_flag, flipped, n, sample));
    }
  qsort (diff, 1000, sizeof *diff, cmp_double);
  printf ("  F1 detector − baseline: %+.3f, bootstrap 95%% interval [%+.3f, %+.3f] (1,000 resamples of "
          "%" G_GSIZE_FORMAT " labels)\n",
          f1_of (cl) - f1_of (base), diff[24], diff[974], n);
  printf ("  targets: F1 ≥ 0.70 %s, F1 ≥ baseline + 0.10 %s\n", f1_of (cl) >= 0.70 ? "met" : "NOT met",
          f1_of (cl) >= f1_of (base) + 0.10 ? "met" : "NOT met");
  printf ("detection %.1f s (%" G_GUINT64_FORMAT " labels, %u folds)\n", det_seconds, report.n_labels,
          o.folds);

  g_clear_pointer (&db, gl_db_close);
  g_clear_pointer (&p, gl_project_close);
  g_hash_table_unref (pool.index_of_class);
  g_array_unref (pool.ids);
  g_array_unref (pool.classes);
  if (!keep)
    gl_remove_tree (work_dir ? dir : tmp);
  printf (
      "label-errors: precision=%.3f recall=%.3f f1=%.3f precision_at_k=%.3f baseline_f1=%.3f seconds=%.1f\n",
      cl.tp + cl.fp ? (double)cl.tp / (cl.tp + cl.fp) : 0, (double)cl.tp / MAX (1, cl.tp + cl.fn), f1_of (cl),
      cl_pk, f1_of (base), det_seconds);
  return 0;
}
