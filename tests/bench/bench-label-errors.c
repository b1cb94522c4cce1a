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
 * interval of the F1 difference, and the seconds the detection took, wall and
 * CPU (user + system of every thread: on a busy machine the wall time is not
 * a figure, the CPU seconds are, within cache effects). The last
 * line is exactly
 *   label-errors: precision=P recall=R f1=F precision_at_k=P baseline_f1=F seconds=S
 */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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

/* ------------------------------------------------------------------ */
/* The steps of main                                                   */
/* ------------------------------------------------------------------ */

/* The command line (main's; freed at exit). */
typedef struct
{
  int n_labels, seed;
  double train_seconds, uniform_share, pair_share;
  gboolean keep;
  char *dump, *mnist_dir, *work_dir;
} Args;

static void
args_clear (Args *a)
{
  g_free (a->dump);
  g_free (a->mnist_dir);
  g_free (a->work_dir);
}

/* Parses the command line into @a and the detector's options @o; FALSE with
 * a message on stderr. */
static gboolean
parse_args (int *argc, char ***argv, Args *a, GlLabelErrorsOptions *o)
{
  int folds = GL_LABEL_ERRORS_DEFAULT_FOLDS, epochs = 0, min_steps = -1, batch = 0, snapshots = -1;
  double seconds = GL_LABEL_ERRORS_DEFAULT_SECONDS;
  gboolean cold = FALSE, serial = FALSE;
  g_autofree char *ranking = NULL, *filter = NULL;
  *a = (Args){ 3000, 0, 20, 0.05, 0.05, FALSE, NULL, NULL, NULL };
  GOptionEntry entries[] = {
    { "labels", 0, 0, G_OPTION_ARG_INT, &a->n_labels, "Labels drawn (default 3000)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &a->seed, "Seed of the draw and the flips (default 0)", "N" },
    { "folds", 0, 0, G_OPTION_ARG_INT, &folds, "Folds (default: the detector's)", "K" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Training budget of the detection (default: the detector's)",
      "S" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs per fold at least (default: the detector's)", "N" },
    { "min-steps", 0, 0, G_OPTION_ARG_INT, &min_steps, "Steps per fold at least (default: the trainer's)",
      "N" },
    { "snapshots", 0, 0, G_OPTION_ARG_INT, &snapshots,
      "Average the held-out probabilities over the last N epochs of each fold (default: the detector's)", "N" },
    { "serial-folds", 0, 0, G_OPTION_ARG_NONE, &serial,
      "One fold at a time on every engine thread, not folds side by side on one thread each", NULL },
    { "train-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &a->train_seconds,
      "The trainer's round budget (default 20; a large one makes the round epoch-bound)", "S" },
    { "ranking", 0, 0, G_OPTION_ARG_STRING, &ranking, "self-confidence (default) or normalized-margin", "R" },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter, "both (default), prune-by-noise-rate or prune-by-class", "F" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size of the folds' training (default: the detector's)", "N" },
    { "cold", 0, 0, G_OPTION_ARG_NONE, &cold, "Folds start from a fresh network, not the current model",
      NULL },
    { "uniform", 0, 0, G_OPTION_ARG_DOUBLE, &a->uniform_share, "Share flipped uniformly (default 0.05)", "F" },
    { "pairs", 0, 0, G_OPTION_ARG_DOUBLE, &a->pair_share, "Share flipped within pairs (default 0.05)", "F" },
    { "mnist-dir", 0, 0, G_OPTION_ARG_FILENAME, &a->mnist_dir, "Fashion-MNIST IDX files", "DIR" },
    { "work-dir", 0, 0, G_OPTION_ARG_FILENAME, &a->work_dir,
      "Build the project here (default: a temporary folder)", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &a->keep, "Keep the project afterwards", NULL },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &a->dump,
      "Write per label: id, true class, given class, flip kind, flagged, score, the model's and the "
      "out-of-fold probabilities (for analysis)",
      "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— label-error detection on Fashion-MNIST");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("bench-label-errors: %s\n", error->message);
      return FALSE;
    }
  gl_label_errors_options_init (o);
  o->folds = (guint)MAX (folds, 2);
  o->seconds = seconds;
  o->warm_start = !cold;
  o->parallel_folds = !serial;
  o->seed = (guint64)a->seed;
  o->keep_probs = TRUE; /* the out-of-fold accuracy below (and --dump) */
  if (epochs > 0)
    o->epochs = (guint)epochs;
  if (min_steps >= 0)
    o->min_steps = (guint)min_steps;
  if (snapshots >= 0)
    o->snapshots = (guint)snapshots;
  if (batch > 0)
    o->batch_size = (guint)batch;
  if (filter && !gl_confident_filter_from_string (filter, &o->filter))
    {
      g_printerr ("bench-label-errors: unknown filter %s\n", filter);
      return FALSE;
    }
  if (ranking && !gl_confident_rank_from_string (ranking, &o->ranking))
    {
      g_printerr ("bench-label-errors: unknown ranking %s\n", ranking);
      return FALSE;
    }
  return TRUE;
}

/* A fresh demo project in @tmp (made here unless --work-dir) and its 10
 * classes; NULL with @error. */
static GlProject *
open_demo (const Args *a, char **tmp, char **dir, GlDb **db, GArray **classes, GError **error)
{
  *tmp = a->work_dir ? g_strdup (a->work_dir) : g_dir_make_tmp ("gl-bench-label-errors-XXXXXX", error);
  if (*tmp == NULL)
    return NULL;
  *dir = g_build_filename (*tmp, "demo", NULL);
  if (g_file_test (*dir, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists; the benchmark needs a fresh project", *dir);
      return NULL;
    }
  g_autoptr (GlProject) p = gl_demo_ensure (*dir, a->mnist_dir, on_import, NULL, NULL, error);
  fprintf (stderr, "\r\033[K");
  if (p == NULL)
    return NULL;
  *db = gl_db_open (gl_project_get_db_path (p), error);
  *classes = *db ? gl_db_list_classes (*db, TRUE, error) : NULL;
  if (*classes == NULL)
    return NULL;
  if ((*classes)->len != 10)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the demo project has %u classes, not 10",
                   (*classes)->len);
      return NULL;
    }
  return g_steal_pointer (&p);
}

/* The pool images with a reference label (not held out), in store order. */
static gboolean
read_pool (GlDb *db, GArray *classes, Pool *pool, GError **error)
{
  *pool = (Pool){ g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL),
                  g_array_new (FALSE, FALSE, sizeof (gint64)), g_array_new (FALSE, FALSE, sizeof (gint)) };
  for (guint k = 0; k < classes->len; k++)
    g_hash_table_insert (pool->index_of_class,
                         g_memdup2 (&g_array_index (classes, GlDbClass, k).id, sizeof (gint64)),
                         GUINT_TO_POINTER (k + 1));
  return gl_db_foreach_current_label (db, TRUE, collect, pool, error);
}

static void
pool_clear (Pool *pool)
{
  g_clear_pointer (&pool->index_of_class, g_hash_table_unref);
  g_clear_pointer (&pool->ids, g_array_unref);
  g_clear_pointer (&pool->classes, g_array_unref);
}

/* The labels drawn and the flips (all arrays (n), owned). */
typedef struct
{
  gsize n, n_flipped, n_uniform, n_pair;
  gint64 *ids;
  gint *truth, *given;
  gboolean *flipped;
  guint8 *kind; /* 0 clean, 1 uniform flip, 2 pair flip */
} Draw;

static void
draw_clear (Draw *d)
{
  g_free (d->ids);
  g_free (d->truth);
  g_free (d->given);
  g_free (d->flipped);
  g_free (d->kind);
}

/* The simulator's seed-label draw of @a->n_labels pool images, then the
 * uniform flips and the confusable-pair flips on a shuffled order. */
static void
draw_and_flip (const Pool *pool, const Args *a, Draw *d)
{
  gsize n = (gsize)MIN ((guint)a->n_labels, pool->ids->len);
  g_autofree gsize *picked = g_new (gsize, MAX (n, 1));
  n = gl_acquire_random (pool->ids->len, NULL, n, (guint64)a->seed ^ 0x5eedull, picked);
  *d = (Draw){ n,
               0,
               0,
               0,
               g_new (gint64, MAX (n, 1)),
               g_new (gint, MAX (n, 1)),
               g_new (gint, MAX (n, 1)),
               g_new0 (gboolean, MAX (n, 1)),
               g_new0 (guint8, MAX (n, 1)) };
  for (gsize i = 0; i < n; i++)
    {
      d->ids[i] = g_array_index (pool->ids, gint64, picked[i]);
      d->truth[i] = d->given[i] = g_array_index (pool->classes, gint, picked[i]);
    }
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32)a->seed * 7919u + 17u);
  g_autofree gsize *order = g_new (gsize, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    order[i] = i;
  for (gsize i = n; i > 1; i--)
    {
      gsize j = (gsize)g_rand_int_range (rand, 0, (gint32)i), t = order[i - 1];
      order[i - 1] = order[j], order[j] = t;
    }
  d->n_uniform = MIN ((gsize)llround (a->uniform_share * n), n);
  gsize n_pair = (gsize)llround (a->pair_share * n);
  for (gsize j = 0; j < d->n_uniform; j++)
    {
      gsize i = order[j];
      gint other = g_rand_int_range (rand, 0, 9);
      d->given[i] = other >= d->truth[i] ? other + 1 : other;
      d->flipped[i] = TRUE, d->kind[i] = 1;
    }
  for (gsize j = d->n_uniform; j < n && d->n_pair < n_pair; j++)
    {
      gsize i = order[j];
      if (pair_of[d->truth[i]] < 0)
        continue;
      d->given[i] = pair_of[d->truth[i]];
      d->flipped[i] = TRUE, d->kind[i] = 2;
      d->n_pair++;
    }
  d->n_flipped = d->n_uniform + d->n_pair;
}

/* The given labels, in one transaction per class. */
static gboolean
store_labels (GlDb *db, GArray *classes, const Draw *d, GError **error)
{
  for (guint k = 0; k < 10; k++)
    {
      g_autoptr (GArray) of_class = g_array_new (FALSE, FALSE, sizeof (gint64));
      for (gsize i = 0; i < d->n; i++)
        if (d->given[i] == (gint)k)
          g_array_append_val (of_class, d->ids[i]);
      if (!gl_db_set_labels (db, (gint64 *)of_class->data, of_class->len,
                             g_array_index (classes, GlDbClass, k).id, GL_DB_ORIGIN_HUMAN, "bench", error))
        return FALSE;
    }
  return TRUE;
}

static void
print_setup (const char *dir, const Args *a, const Draw *d)
{
  printf ("label-errors: Fashion-MNIST demo project %s\n", dir);
  printf ("%" G_GSIZE_FORMAT " labels drawn at random (seed %d), %" G_GSIZE_FORMAT " flipped: %" G_GSIZE_FORMAT
          " uniformly, %" G_GSIZE_FORMAT " within Shirt/T-shirt, Pullover/Coat, Sneaker/Ankle boot\n",
          d->n, a->seed, d->n_flipped, d->n_uniform, d->n_pair);
  g_autofree char *engine_info = gl_engine_info_describe (); /* the CPU and the kernels */
  printf ("%s", engine_info);
  double load[3];
  if (getloadavg (load, 3) == 3)
    printf ("load average at start %.2f %.2f %.2f (%u cores)\n", load[0], load[1], load[2],
            g_get_num_processors ());
}

/* The model version the app would have: one default trainer round. */
static gboolean
train_round (GlProject *p, double seconds, GError **error)
{
  g_autoptr (GlTrainer) trainer = gl_trainer_new (p, error);
  if (trainer == NULL)
    return FALSE;
  gl_trainer_set_time_budget (trainer, seconds);
  GlTrainerReport tr;
  if (!gl_trainer_run_round (trainer, TRUE, &tr, NULL, error))
    return FALSE;
  printf ("model version %" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT " labels trained on, %u epochs in %.1f s,"
          " validation accuracy (on noisy labels) %.3f\n",
          tr.model_version, tr.n_train, tr.epochs, tr.train_seconds, tr.accuracy);
  g_clear_object (&trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return TRUE;
}

/* User + system CPU seconds of the process so far (every thread). */
static double
cpu_seconds (void)
{
  struct rusage u;
  if (getrusage (RUSAGE_SELF, &u) != 0)
    return NAN;
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

/* The detector's verdict per drawn label. */
typedef struct
{
  gboolean *flag; /* (n) */
  double *score;  /* (n) higher = more likely wrong */
} Verdicts;

static void
verdicts_clear (Verdicts *v)
{
  g_free (v->flag);
  g_free (v->score);
}

/* Runs the detector on the current version and reads its stored rows into
 * @v; the wall and CPU seconds it took. */
static gboolean
detect (GlProject *p, GlDb *db, const GlLabelErrorsOptions *o, const Draw *d, GlLabelErrorsReport *report,
        Verdicts *v, double *wall, double *cpu, GError **error)
{
  printf ("detector: %u folds (%s), %s, flagged by %s, ranked by %s, budget %.0f s, %u+ epochs "
          "/ %u+ steps of batch %u per fold, probabilities averaged over the last %u epochs\n",
          o->folds, o->parallel_folds ? "side by side, one thread each" : "one at a time on every thread",
          o->warm_start ? "warm start from the current model" : "fresh networks",
          gl_confident_filter_to_string (o->filter), gl_confident_rank_to_string (o->ranking), o->seconds,
          o->epochs, o->min_steps, o->batch_size, MAX (o->snapshots, 1));
  fflush (stdout);
  gint64 t0 = g_get_monotonic_time ();
  double c0 = cpu_seconds ();
  if (!gl_label_errors_detect (p, o, on_progress, NULL, NULL, report, error))
    {
      fprintf (stderr, "\n");
      return FALSE;
    }
  *cpu = cpu_seconds () - c0;
  *wall = (g_get_monotonic_time () - t0) / 1e6;
  fprintf (stderr, "\r\033[K");
  g_autoptr (GArray) rows = gl_db_list_label_errors (db, report->model_id, FALSE, 0, error);
  if (rows == NULL)
    return FALSE;
  g_autoptr (GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (gsize i = 0; i < d->n; i++)
    g_hash_table_insert (index, &d->ids[i], GSIZE_TO_POINTER (i + 1));
  v->flag = g_new0 (gboolean, MAX (d->n, 1));
  v->score = g_new0 (double, MAX (d->n, 1));
  guint matched = 0;
  for (guint r = 0; r < rows->len; r++)
    {
      const GlDbLabelError *e = &g_array_index (rows, GlDbLabelError, r);
      gsize i = GPOINTER_TO_SIZE (g_hash_table_lookup (index, &e->image_id));
      if (i == 0)
        continue;
      v->flag[i - 1] = e->flagged;
      v->score[i - 1] = e->score;
      matched++;
    }
  if (matched != d->n)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the detection has %u of the %" G_GSIZE_FORMAT " labels",
                   matched, d->n);
      return FALSE;
    }
  return TRUE;
}

/* The baseline: label ≠ the current model's prediction; @probs (n, 10) gets
 * the model's probabilities. */
static gboolean
baseline (GlProject *p, GlDb *db, const Draw *d, float **probs, Verdicts *v, GError **error)
{
  g_autofree guint64 *cache_rows = g_new (guint64, MAX (d->n, 1));
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), error);
  if (images == NULL)
    return FALSE;
  g_autoptr (GHashTable) row_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < images->len; i++)
    g_hash_table_insert (row_of, &g_array_index (images, GlPoolImage, i).image_id,
                         &g_array_index (images, GlPoolImage, i).cache_row);
  for (gsize i = 0; i < d->n; i++)
    {
      gint64 *row = g_hash_table_lookup (row_of, &d->ids[i]);
      cache_rows[i] = row ? (guint64)*row : 0;
    }
  *probs = predict_current (p, db, cache_rows, d->n, 10, error);
  if (*probs == NULL)
    return FALSE;
  v->flag = g_new (gboolean, MAX (d->n, 1));
  v->score = g_new (double, MAX (d->n, 1));
  for (gsize i = 0; i < d->n; i++)
    {
      const float *q = *probs + i * 10;
      v->flag[i] = argmax10 (q) != d->given[i];
      v->score[i] = 1 - q[d->given[i]];
    }
  return TRUE;
}

static gboolean
write_dump (const char *path, const Draw *d, const Verdicts *cl, const float *probs, GHashTable *oof_row,
            GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  for (gsize i = 0; i < d->n; i++)
    {
      const float *q = g_hash_table_lookup (oof_row, &d->ids[i]);
      g_string_append_printf (out, "%" G_GINT64_FORMAT " %d %d %u %d %.6f", d->ids[i], d->truth[i], d->given[i],
                              d->kind[i], cl->flag[i], cl->score[i]);
      for (guint j = 0; j < 10; j++)
        g_string_append_printf (out, " %.6f", probs[i * 10 + j]);
      for (guint j = 0; j < 10; j++)
        g_string_append_printf (out, " %.6f", q ? q[j] : NAN);
      g_string_append_c (out, '\n');
    }
  return g_file_set_contents (path, out->str, (gssize)out->len, error);
}

/* The flagged sets, recall per kind of flip, precision at k and the
 * bootstrap interval of the F1 difference; returns the detector's counts. */
static Counts
print_comparison (const Draw *d, const Verdicts *cl, const Verdicts *base, double *cl_pk)
{
  gsize n = d->n;
  Counts c = count_set (cl->flag, d->flipped, n, NULL), b = count_set (base->flag, d->flipped, n, NULL);
  *cl_pk = precision_at (cl->score, d->flipped, n, d->n_flipped);
  double base_pk = precision_at (base->score, d->flipped, n, d->n_flipped);
  printf ("\nflagged sets against the %" G_GSIZE_FORMAT " flipped labels of %" G_GSIZE_FORMAT
          " (Wilson 95%% intervals):\n",
          d->n_flipped, n);
  print_set ("detector", c);
  print_set ("baseline", b);
  for (guint kd = 1; kd <= 2; kd++)
    {
      guint m = 0, hit_cl = 0, hit_base = 0;
      for (gsize i = 0; i < n; i++)
        if (d->kind[i] == kd)
          m++, hit_cl += cl->flag[i], hit_base += base->flag[i];
      printf ("  recall on %-19s (n=%u): detector %.3f, baseline %.3f\n",
              kd == 1 ? "uniform flips" : "confusable-pair flips", m, m ? (double)hit_cl / m : 0,
              m ? (double)hit_base / m : 0);
    }
  printf ("  precision at k=%" G_GSIZE_FORMAT ": detector %.3f (by its score), baseline %.3f (by 1 − p(label))\n",
          d->n_flipped, *cl_pk, base_pk);
  /* Bootstrap over the labels: the F1 difference's 95% interval. */
  g_autofree double *diff = g_new (double, 1000);
  g_autofree gsize *sample = g_new (gsize, MAX (n, 1));
  g_autoptr (GRand) boot = g_rand_new_with_seed (12345);
  for (guint r = 0; r < 1000; r++)
    {
      for (gsize i = 0; i < n; i++)
        sample[i] = (gsize)g_rand_int_range (boot, 0, (gint32)n);
      diff[r] = f1_of (count_set (cl->flag, d->flipped, n, sample)) - f1_of (count_set (base->flag, d->flipped, n, sample));
    }
  qsort (diff, 1000, sizeof *diff, cmp_double);
  printf ("  F1 detector − baseline: %+.3f, bootstrap 95%% interval [%+.3f, %+.3f] (1,000 resamples of "
          "%" G_GSIZE_FORMAT " labels)\n",
          f1_of (c) - f1_of (b), diff[24], diff[974], n);
  printf ("  targets: F1 ≥ 0.70 %s, F1 ≥ baseline + 0.10 %s\n", f1_of (c) >= 0.70 ? "met" : "NOT met",
          f1_of (c) >= f1_of (b) + 0.10 ? "met" : "NOT met");
  return c;
}

static int
bail (const char *what, const GError *error)
{
  g_printerr ("bench-label-errors: %s%s\n", what, error ? error->message : "failed");
  return 1;
}

int
main (int argc, char **argv)
{
  Args a;
  GlLabelErrorsOptions o;
  if (!parse_args (&argc, &argv, &a, &o))
    return 2;
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = NULL, *dir = NULL;
  GlDb *db = NULL;
  g_autoptr (GArray) classes = NULL;
  GlProject *p = open_demo (&a, &tmp, &dir, &db, &classes, &error);
  Pool pool = { 0 };
  Draw d = { 0 };
  if (p == NULL || !read_pool (db, classes, &pool, &error))
    return bail ("", error);
  draw_and_flip (&pool, &a, &d);
  if (!store_labels (db, classes, &d, &error))
    return bail ("", error);
  print_setup (dir, &a, &d);
  if (!train_round (p, a.train_seconds, &error))
    return bail ("training failed: ", error);

  GlLabelErrorsReport report;
  Verdicts cl = { 0 }, base = { 0 };
  double wall, cpu;
  if (!detect (p, db, &o, &d, &report, &cl, &wall, &cpu, &error))
    return bail ("detection failed: ", error);
  g_autofree float *probs = NULL;
  if (!baseline (p, db, &d, &probs, &base, &error))
    return bail ("baseline: ", error);
  g_autoptr (GHashTable) oof_row = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint64 r = 0; r < report.n_labels; r++)
    g_hash_table_insert (oof_row, &report.image_ids[r], report.probs + r * report.n_classes);
  print_accuracies (oof_row, probs, d.ids, d.truth, d.given, d.n);
  if (a.dump != NULL && !write_dump (a.dump, &d, &cl, probs, oof_row, &error))
    return bail ("", error);
  double cl_pk;
  Counts c = print_comparison (&d, &cl, &base, &cl_pk);
  double load[3] = { NAN, NAN, NAN };
  getloadavg (load, 3);
  printf ("detection %.1f s, %.1f CPU s (user + system, every thread; %" G_GUINT64_FORMAT
          " labels, %u folds), load average at the end %.2f\n",
          wall, cpu, report.n_labels, o.folds, load[0]);
  Counts b = count_set (base.flag, d.flipped, d.n, NULL);

  g_hash_table_remove_all (oof_row);
  gl_label_errors_report_clear (&report);
  verdicts_clear (&cl);
  verdicts_clear (&base);
  draw_clear (&d);
  pool_clear (&pool);
  g_clear_pointer (&db, gl_db_close);
  g_clear_pointer (&p, gl_project_close);
  if (!a.keep)
    gl_remove_tree (a.work_dir ? dir : tmp);
  args_clear (&a);
  printf ("label-errors: precision=%.3f recall=%.3f f1=%.3f precision_at_k=%.3f baseline_f1=%.3f seconds=%.1f\n",
          c.tp + c.fp ? (double)c.tp / (c.tp + c.fp) : 0, (double)c.tp / MAX (1, c.tp + c.fn), f1_of (c), cl_pk,
          f1_of (b), wall);
  return 0;
}
