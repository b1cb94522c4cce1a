/* gl-label-errors.c — out-of-fold predictions and confident learning. See
 * gl-label-errors.h. */
#include "app/gl-label-errors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/gl-pixel-cache.h"
#include "app/gl-team-models.h"
#include "app/gl-trainer.h"
#include "engine/gl-model-file.h"
#include "engine/gl-net.h"
#include "engine/gl-parallel.h"

G_DEFINE_QUARK (gl - label - errors - error - quark, gl_label_errors_error)

#define BATCH 32 /* the trainer's */

void
gl_label_errors_options_init (GlLabelErrorsOptions *o)
{
  memset (o, 0, sizeof *o);
  o->folds = GL_LABEL_ERRORS_DEFAULT_FOLDS;
  o->seconds = GL_LABEL_ERRORS_DEFAULT_SECONDS;
  o->epochs = GL_LABEL_ERRORS_DEFAULT_EPOCHS;
  o->min_steps = GL_TRAINER_DEFAULT_MIN_STEPS;
  o->ranking = GL_CONFIDENT_RANK_SELF_CONFIDENCE;
  o->filter = GL_LABEL_ERRORS_DEFAULT_FILTER;
  o->batch_size = BATCH;
  o->warm_start = TRUE;
  o->parallel_folds = TRUE;
  o->snapshots = GL_LABEL_ERRORS_DEFAULT_SNAPSHOTS;
}

void
gl_label_errors_report_clear (GlLabelErrorsReport *report)
{
  g_clear_pointer (&report->image_ids, g_free);
  g_clear_pointer (&report->probs, g_free);
}

/* ------------------------------------------------------------------ */
/* Folds                                                               */
/* ------------------------------------------------------------------ */

typedef struct
{
  double h;
  gint64 id;
  gsize i;
} Hashed;

static int
cmp_hashed (const void *a, const void *b)
{
  const Hashed *x = a, *y = b;
  if (x->h != y->h)
    return x->h < y->h ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

void
gl_label_errors_assign_folds (const gint64 *ids, const gint *classes, gsize n, guint n_classes, guint folds,
                              guint *fold)
{
  g_autofree Hashed *order = g_new (Hashed, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    fold[i] = 0;
  for (guint k = 0; k < n_classes; k++)
    {
      gsize m = 0;
      for (gsize i = 0; i < n; i++)
        if (classes[i] == (gint)k)
          order[m++] = (Hashed){ gl_trainer_id_hash (ids[i]), ids[i], i };
      qsort (order, m, sizeof *order, cmp_hashed);
      for (gsize j = 0; j < m; j++)
        fold[order[j].i] = (guint)(j % MAX (folds, 1));
    }
}

/* ------------------------------------------------------------------ */
/* The detection (engine thread)                                       */
/* ------------------------------------------------------------------ */

typedef struct
{
  /* in (copied on the caller's thread; read-only on the engine thread) */
  char *db_path;
  char *pixels_path;
  GlLabelErrorsOptions options;
  /* out (engine thread, read by the completion after the job) */
  GlLabelErrorsReport report;
  /* the caller's callbacks (caller's main context only) */
  GlWorkerProgressFunc progress_func;
  gpointer progress_data;
  GAsyncReadyCallback callback;
  gpointer user_data;
} DetectJob;

static void
detect_job_free (gpointer data)
{
  DetectJob *j = data;
  gl_label_errors_report_clear (&j->report);
  g_free (j->db_path);
  g_free (j->pixels_path);
  g_free (j);
}

static gboolean
fail (GError **error, GlLabelErrorsError code, GError *local, const char *what)
{
  g_set_error (error, GL_LABEL_ERRORS_ERROR, code, "%s: %s", what, local->message);
  g_error_free (local);
  return FALSE;
}

/* The labels a detection looks at. */
typedef struct
{
  guint n_classes;
  gint64 *class_ids; /* (n_classes): index → store id */
  GArray *ids;       /* gint64 image ids */
  GArray *rows;      /* guint64 pixel-cache rows */
  GArray *labels;    /* gint class index */
  gint64 last_label_id;
  gboolean augment;
} Labels;

static void
labels_clear (Labels *l)
{
  g_free (l->class_ids);
  g_clear_pointer (&l->ids, g_array_unref);
  g_clear_pointer (&l->rows, g_array_unref);
  g_clear_pointer (&l->labels, g_array_unref);
}

static gboolean
read_labels (GlDb *db, const char *db_path, guint64 n_rows, Labels *l, GError **error)
{
  GError *local = NULL;
  /* The newest history row first: a label written while the images are read
   * is newer than the detection and never hidden by it. */
  l->last_label_id = gl_db_get_last_label_id (db);
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &local);
  if (classes == NULL)
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot read the classes");
  l->n_classes = classes->len;
  l->class_ids = g_new (gint64, MAX (1, classes->len));
  g_autoptr (GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint k = 0; k < classes->len; k++)
    {
      l->class_ids[k] = g_array_index (classes, GlDbClass, k).id;
      g_hash_table_insert (index, &l->class_ids[k], GUINT_TO_POINTER (k + 1));
    }
  g_autoptr (GArray) images = gl_trainer_list_images (db_path, &local);
  if (images == NULL)
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot list the images");
  l->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  l->rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  l->labels = g_array_new (FALSE, FALSE, sizeof (gint));
  for (guint i = 0; i < images->len; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      gint k = GPOINTER_TO_INT (g_hash_table_lookup (index, &im->class_id)) - 1;
      if (im->class_id < 0 || k < 0 || im->held_out || (guint64)im->cache_row >= n_rows)
        continue;
      guint64 row = (guint64)im->cache_row;
      g_array_append_val (l->ids, im->image_id);
      g_array_append_val (l->rows, row);
      g_array_append_val (l->labels, k);
    }
  l->augment = gl_db_get_setting_boolean (db, GL_DB_SETTING_AUGMENTATION, TRUE);
  return TRUE;
}

/* The current model version's net (NULL with @error when there is none or
 * it cannot be loaded). */
static GlNet *
load_current (GlDb *db, gint64 *model_id, GError **error)
{
  *model_id = gl_db_get_current_model (db);
  if (*model_id < 0)
    {
      g_set_error_literal (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_NO_MODEL,
                           "the project has no model yet: train one first");
      return NULL;
    }
  GlDbModelVersion v = { 0 };
  GError *local = NULL;
  if (!gl_db_get_model_version (db, *model_id, &v, &local))
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot read the current model version"), NULL;
  GlNet *net = gl_team_model_load (db, &v, &local);
  gl_db_model_version_clear (&v);
  if (net == NULL)
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot load the current model"), NULL;
  return net;
}

/* The folds of one detection, trained one at a time or side by side (see
 * run_folds). */
typedef struct
{
  /* in (set before the folds start; read-only on every fold's thread) */
  GlWorkerJob *job;
  const GlLabelErrorsOptions *o;
  const Labels *l;
  const GlDataset *data;
  const GlNet *start; /* warm start, or NULL */
  const guint *fold;  /* (n labels) */
  double fold_seconds; /* each fold's training budget */
  GCancellable *stop; /* cancelled by the caller's cancellable or by a failed fold */
  /* out: each fold writes only its own images' rows (n labels, n_classes) */
  float *oof;
  /* under lock (any fold's thread) */
  GMutex lock;
  double *fraction; /* (folds) each fold's progress in [0, 1] */
  GError *error;    /* the first failure (a real one before a cancellation) */
} Folds;

typedef struct
{
  Folds *folds;
  guint fold;
  gboolean reports; /* this fold runs on the job's thread, which alone may report */
} FoldReporter;

/* Fraction over the whole detection: each fold's training is the first 90%
 * of its share, its predictions the rest; the job's thread reports the sum
 * of every fold's. */
static void
forward_fold_progress (const GlProgress *progress, gpointer data)
{
  FoldReporter *r = data;
  Folds *fs = r->folds;
  double inner = gl_progress_call_fraction (progress);
  double within = progress->phase == GL_PHASE_TRAIN ? 0.9 * inner : 0.9 + 0.1 * inner;
  double sum = 0;
  g_mutex_lock (&fs->lock);
  fs->fraction[r->fold] = within;
  for (guint f = 0; f < fs->o->folds; f++)
    sum += fs->fraction[f];
  g_mutex_unlock (&fs->lock);
  if (!r->reports)
    return;
  GlProgress p = *progress;
  p.fraction = 0.99 * sum / fs->o->folds;
  gl_worker_job_report (fs->job, &p);
}

/* Snapshot averaging: the held-out images' probabilities summed over the
 * last epochs of a fold (Huang et al. 2017, "Snapshot ensembles", use the
 * same free ensemble of one run's states): better calibrated than the last
 * state alone, at the cost of predicting a fold's images once per epoch
 * averaged. One per fold, on the fold's thread. */
typedef struct
{
  const GlDataset *data;
  const guint64 *rows; /* (n) the fold's images */
  gsize n;
  guint k;
  guint first_epoch; /* epochs from this one on are summed */
  float *sum;        /* (n, k) */
  float *scratch;    /* (n, k) */
  guint n_summed;
  gboolean failed;
} Snapshots;

static void
snapshots_add (GlNet *net, Snapshots *s)
{
  if (s->failed || s->n == 0)
    return;
  if (!gl_net_predict (net, s->data, s->rows, s->n, s->scratch, NULL, NULL, NULL, NULL, NULL))
    {
      s->failed = TRUE; /* the final state's prediction reports the error */
      return;
    }
  for (gsize i = 0; i < s->n * s->k; i++)
    s->sum[i] += s->scratch[i];
  s->n_summed++;
}

static void
on_epoch_end (GlNet *net, guint epoch, gpointer data)
{
  Snapshots *s = data;
  if (epoch >= s->first_epoch)
    snapshots_add (net, s);
}

/* Trains a network on every fold but @f and writes the probabilities of
 * fold @f's images into the out-of-fold matrix. */
static gboolean
run_fold (Folds *fs, guint f, gboolean reports, GError **error)
{
  const GlLabelErrorsOptions *o = fs->o;
  const Labels *l = fs->l;
  gsize n = l->ids->len;
  g_autoptr (GArray) tr_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) tr_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr (GArray) te_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) te_index = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < n; i++)
    if (fs->fold[i] == f)
      {
        g_array_append_val (te_rows, g_array_index (l->rows, guint64, i));
        g_array_append_val (te_index, i);
      }
    else
      {
        g_array_append_val (tr_rows, g_array_index (l->rows, guint64, i));
        g_array_append_val (tr_labels, g_array_index (l->labels, gint, i));
      }
  GError *local = NULL;
  g_autoptr (GlNet) net = NULL;
  if (fs->start != NULL)
    net = gl_net_copy (fs->start);
  else
    {
      const GlDataset *data = fs->data;
      g_autoptr (GlNetSpec) spec = gl_net_spec_default_for_input (data->h, data->w, data->c);
      net = gl_net_new (spec, data->h, data->w, data->c, l->n_classes, o->seed * 131 + f, &local);
      if (net == NULL)
        return fail (error, GL_LABEL_ERRORS_ERROR_ENGINE, local, "cannot build the network");
    }
  gsize size = MAX (te_rows->len, 1) * (gsize)l->n_classes;
  g_autofree float *sum = g_new0 (float, size);
  g_autofree float *p = g_new (float, size);
  GlTrainOptions topt;
  gl_train_options_init (&topt);
  topt.batch_size = o->batch_size;
  guint steps_per_epoch = (tr_rows->len + o->batch_size - 1) / o->batch_size;
  topt.epochs = MAX (o->epochs, (o->min_steps + steps_per_epoch - 1) / MAX (steps_per_epoch, 1));
  topt.max_seconds = fs->fold_seconds;
  topt.lr = GL_TRAINER_LR;
  topt.schedule = GL_SCHEDULE_COSINE;
  topt.augment = l->augment ? GL_AUGMENT_CROP : GL_AUGMENT_NONE; /* no flip, as the trainer */
  topt.seed = o->seed * 1000 + f;
  /* The last state is predicted below; the epochs before it in the window here. */
  Snapshots snaps = { fs->data, (guint64 *)te_rows->data, te_rows->len, l->n_classes,
                      topt.epochs + 1 - MIN (MAX (o->snapshots, 1), topt.epochs), sum, p, 0, FALSE };
  topt.epoch_end = on_epoch_end;
  topt.epoch_end_data = &snaps;
  FoldReporter rep = { fs, f, reports };
  if (!gl_net_train (net, fs->data, (guint64 *)tr_rows->data, (gint *)tr_labels->data, tr_rows->len, &topt,
                     forward_fold_progress, &rep, fs->stop, NULL, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, local);
          return FALSE;
        }
      return fail (error, GL_LABEL_ERRORS_ERROR_ENGINE, local, "training a fold failed");
    }
  /* on_epoch_end summed the states of the window, the last one included,
   * unless a budget stopped the training before the window. */
  if (snaps.failed || snaps.n_summed == 0)
    {
      if (!gl_net_predict (net, fs->data, (guint64 *)te_rows->data, te_rows->len, p, NULL, forward_fold_progress,
                           &rep, fs->stop, error))
        return FALSE;
      memcpy (sum, p, sizeof (float) * size);
      snaps.n_summed = 1;
    }
  for (guint t = 0; t < te_rows->len; t++)
    {
      float *out = fs->oof + g_array_index (te_index, gsize, t) * l->n_classes;
      for (guint j = 0; j < l->n_classes; j++)
        out[j] = sum[(gsize)t * l->n_classes + j] / snaps.n_summed;
    }
  g_mutex_lock (&fs->lock);
  fs->fraction[f] = 1;
  g_mutex_unlock (&fs->lock);
  return TRUE;
}

/* Confident learning on the out-of-fold probabilities, stored in one transaction. */
static gboolean
store_detection (GlDb *db, const GlLabelErrorsOptions *o, const Labels *l, const float *oof, gint64 model_id,
                 double seconds, GlLabelErrorsReport *report, GError **error)
{
  gsize n = l->ids->len;
  guint k = l->n_classes;
  const gint *labels = (const gint *)l->labels->data;
  g_autofree gboolean *flagged = g_new (gboolean, MAX (n, 1));
  g_autofree double *quality = g_new (double, MAX (n, 1));
  g_autofree gint *suggested = g_new (gint, MAX (n, 1));
  GlConfidentResult cl = { .flagged = flagged, .quality = quality, .suggested = suggested };
  gsize n_flagged = gl_confident_find (labels, oof, n, k, o->filter, o->ranking, &cl);
  g_autofree GlDbLabelError *rows = g_new (GlDbLabelError, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      const float *p = oof + i * k;
      rows[i] = (GlDbLabelError){ g_array_index (l->ids, gint64, i),
                                  l->class_ids[labels[i]],
                                  suggested[i] >= 0 ? l->class_ids[suggested[i]] : -1,
                                  p[labels[i]],
                                  suggested[i] >= 0 ? p[suggested[i]] : 0,
                                  CLAMP (1 - quality[i], 0.0, 1.0),
                                  flagged[i] };
    }
  GlDbLabelErrorRun run
      = { model_id, o->folds,         n, n_flagged, (char *)gl_confident_rank_to_string (o->ranking),
          seconds,  l->last_label_id, 0 };
  GError *local = NULL;
  if (!gl_db_store_label_errors (db, &run, rows, n, &local))
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot store the label errors");
  *report = (GlLabelErrorsReport){ model_id, n, n_flagged, seconds, k, NULL, NULL };
  if (o->keep_probs)
    {
      report->image_ids = g_memdup2 (l->ids->data, sizeof (gint64) * MAX (n, 1));
      report->probs = g_memdup2 (oof, sizeof (float) * MAX (n, 1) * k);
    }
  return TRUE;
}

static gboolean
check_labels (const Labels *l, guint folds, GError **error)
{
  g_autofree guint *per_class = g_new0 (guint, MAX (l->n_classes, 1));
  guint n_seen = 0;
  for (guint i = 0; i < l->labels->len; i++)
    if (per_class[g_array_index (l->labels, gint, i)]++ == 0)
      n_seen++;
  if (n_seen < 2 || l->labels->len < 2 * (gsize)folds)
    {
      g_set_error (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_NO_LABELS,
                   "too few labels for %u folds: %u labels of %u classes (need two classes and %u labels)",
                   folds, l->labels->len, n_seen, 2 * folds);
      return FALSE;
    }
  return TRUE;
}

static void
keep_error (Folds *fs, GError *local)
{
  g_mutex_lock (&fs->lock);
  gboolean cancelled = g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (fs->error == NULL || (!cancelled && g_error_matches (fs->error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    {
      g_clear_error (&fs->error);
      fs->error = local;
      local = NULL;
    }
  g_mutex_unlock (&fs->lock);
  g_clear_error (&local);
  g_cancellable_cancel (fs->stop); /* the other folds stop at their next batch */
}

/* Folds [begin, end) on the thread of @slot (0: the job's own). */
static void
run_fold_range (gsize begin, gsize end, guint slot, gpointer data)
{
  Folds *fs = data;
  for (gsize f = begin; f < end && !g_cancellable_is_cancelled (fs->stop); f++)
    {
      GError *local = NULL;
      if (!run_fold (fs, (guint)f, slot == 0, &local))
        keep_error (fs, local);
    }
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  g_cancellable_cancel (data);
}

/* Every fold's out-of-fold probabilities into @oof. With options.parallel_folds
 * and two or more engine threads the folds run side by side, each on one
 * thread (gl_parallel_for_slots: the job's thread and the engine's helpers;
 * the kernels a fold calls find the pool busy and run on its thread): a
 * small network's batch of 32 keeps one core busy better than it splits over
 * two, so the folds train faster side by side. Each fold's budget is the
 * detection's over the rounds of folds the threads take. The results do not
 * depend on which thread trains a fold. */
static gboolean
run_folds (GlWorkerJob *job, const GlLabelErrorsOptions *o, const Labels *l, const GlDataset *data,
           const GlNet *start, const guint *fold, float *oof, GCancellable *cancellable, GError **error)
{
  guint threads = o->parallel_folds ? MIN (gl_parallel_get_n_threads (), o->folds) : 1;
  guint rounds = (o->folds + threads - 1) / threads;
  g_autofree double *fraction = g_new0 (double, o->folds);
  g_autoptr (GCancellable) stop = g_cancellable_new ();
  Folds fs = { job, o, l, data, start, fold, o->seconds / rounds, stop, oof, { 0 }, fraction, NULL };
  g_mutex_init (&fs.lock);
  gulong handler = cancellable ? g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), stop, NULL) : 0;
  if (threads > 1)
    gl_parallel_for_slots (o->folds, 1, threads, run_fold_range, &fs);
  else
    run_fold_range (0, o->folds, 0, &fs);
  if (cancellable)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_clear (&fs.lock);
  if (fs.error != NULL)
    {
      g_propagate_error (error, fs.error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
detect_run (GlWorkerJob *job, gpointer job_data, GCancellable *cancellable, GError **error)
{
  DetectJob *j = job_data;
  const GlLabelErrorsOptions *o = &j->options;
  gint64 t0 = g_get_monotonic_time ();
  GError *local = NULL;
  GlProgress start;
  gl_progress_init (&start, GL_PHASE_PREPARE);
  start.fraction = 0;
  gl_worker_job_report (job, &start);
  g_autoptr (GlDb) db = gl_db_open (j->db_path, &local);
  if (db == NULL)
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot open the project");
  gint64 model_id;
  g_autoptr (GlNet) current = load_current (db, &model_id, error);
  if (current == NULL)
    return FALSE;
  g_autoptr (GlPixelMap) map = gl_pixel_map_open (j->pixels_path, &local);
  if (map == NULL)
    return fail (error, GL_LABEL_ERRORS_ERROR_STORE, local, "cannot map the pixel cache");
  GlDataset data = { gl_pixel_map_data (map), 0, 0, 0, 0 };
  gl_pixel_map_shape (map, &data.h, &data.w, &data.c);
  data.row_stride = (gsize)data.h * data.w * data.c;
  Labels l = { 0 };
  gboolean ok = read_labels (db, j->db_path, gl_pixel_map_count (map), &l, error)
                && check_labels (&l, o->folds, error);
  gsize n = ok ? l.ids->len : 0;
  g_autofree guint *fold = g_new (guint, MAX (n, 1));
  g_autofree float *oof = g_new (float, MAX (n, 1) * MAX (l.n_classes, 1));
  if (ok)
    {
      gl_label_errors_assign_folds ((gint64 *)l.ids->data, (gint *)l.labels->data, n, l.n_classes, o->folds,
                                    fold);
      guint ih, iw, ic;
      gl_net_get_input_shape (current, &ih, &iw, &ic);
      gboolean fits
          = gl_net_get_n_classes (current) == l.n_classes && ih == data.h && iw == data.w && ic == data.c;
      const GlNet *start_net = o->warm_start && fits ? current : NULL;
      ok = run_folds (job, o, &l, &data, start_net, fold, oof, cancellable, error);
    }
  ok = ok
       && store_detection (db, o, &l, oof, model_id, (g_get_monotonic_time () - t0) / 1e6, &j->report, error);
  labels_clear (&l);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

static void
forward_progress (const GlProgress *progress, gpointer data)
{
  DetectJob *j = data;
  if (j->progress_func)
    j->progress_func (progress, j->progress_data);
}

static void
forward_done (GObject *source, GAsyncResult *result, gpointer data)
{
  DetectJob *j = data;
  if (j->callback)
    j->callback (source, result, j->user_data);
}

void
gl_label_errors_detect_async (GlWorker *worker, GlProject *project, const GlLabelErrorsOptions *options,
                              GCancellable *cancellable, GlWorkerProgressFunc progress_func,
                              gpointer progress_data, GAsyncReadyCallback callback, gpointer user_data)
{
  DetectJob *j = g_new0 (DetectJob, 1);
  j->db_path = g_strdup (gl_project_get_db_path (project));
  j->pixels_path = g_strdup (gl_project_get_pixels_path (project));
  if (options)
    j->options = *options;
  else
    gl_label_errors_options_init (&j->options);
  j->options.folds = MAX (j->options.folds, 2);
  j->options.batch_size = MAX (j->options.batch_size, 1);
  j->report.model_id = -1;
  j->report.seconds = NAN;
  j->progress_func = progress_func;
  j->progress_data = progress_data;
  j->callback = callback;
  j->user_data = user_data;
  /* The job outlives its progress and completion callbacks: it is their data. */
  gl_worker_run_async (worker, detect_run, j, detect_job_free, cancellable, forward_progress, forward_done,
                       j);
}

gboolean
gl_label_errors_detect_finish (GAsyncResult *result, GlLabelErrorsReport *report, GError **error)
{
  DetectJob *j = gl_worker_result_get_job_data (result);
  gboolean ok = gl_worker_run_finish (NULL, result, error);
  if (ok && report)
    {
      *report = j->report;
      j->report.image_ids = NULL;
      j->report.probs = NULL;
    }
  return ok;
}

typedef struct
{
  gboolean done, ok;
  GError *error;
  GlLabelErrorsReport report;
} Wait;

static void
on_detect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;
  w->ok = gl_label_errors_detect_finish (result, &w->report, &w->error);
  w->done = TRUE;
}

gboolean
gl_label_errors_detect (GlProject *project, const GlLabelErrorsOptions *options,
                        GlWorkerProgressFunc progress_func, gpointer progress_data, GCancellable *cancellable,
                        GlLabelErrorsReport *report, GError **error)
{
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_main_context_push_thread_default (ctx);
  GlWorker *worker = gl_worker_new (0, NULL);
  Wait w = { 0 };
  gl_label_errors_detect_async (worker, project, options, cancellable, progress_func, progress_data,
                                on_detect_done, &w);
  while (!w.done)
    g_main_context_iteration (ctx, TRUE);
  gl_worker_free (worker);
  /* Completions of nothing else are pending; drain what the worker queued. */
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_main_context_pop_thread_default (ctx);
  if (!w.ok)
    {
      g_propagate_error (error, w.error);
      return FALSE;
    }
  if (report)
    *report = w.report;
  else
    gl_label_errors_report_clear (&w.report);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Review decisions                                                    */
/* ------------------------------------------------------------------ */

gboolean
gl_label_errors_keep (GlDb *db, gint64 image_id, const char *annotator, GError **error)
{
  GlDbLabel current = { 0 };
  if (!gl_db_get_current_label (db, image_id, FALSE, &current, error))
    return FALSE;
  gint64 class_id = current.class_id;
  gl_db_label_clear (&current);
  if (class_id < 0)
    {
      g_set_error (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_INVALID,
                   "image %" G_GINT64_FORMAT " has no label to keep", image_id);
      return FALSE;
    }
  return gl_db_set_label (db, image_id, class_id, GL_DB_ORIGIN_REVIEW, annotator, NULL, error);
}

gboolean
gl_label_errors_relabel (GlDb *db, gint64 image_id, gint64 class_id, const char *annotator, GError **error)
{
  if (class_id < 0)
    {
      g_set_error (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_INVALID,
                   "a review relabels with a class, not %" G_GINT64_FORMAT, class_id);
      return FALSE;
    }
  return gl_db_set_label (db, image_id, class_id, GL_DB_ORIGIN_REVIEW, annotator, NULL, error);
}
