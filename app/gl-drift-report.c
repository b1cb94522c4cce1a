/* gl-drift-report.c — drift per class of batches and windows. See gl-drift-report.h. */
#include "app/gl-drift-report.h"

#include "app/gl-drift-auto.h"
#include "app/gl-drift-boost.h"
#include "app/gl-team-models.h"

#include "engine/gl-calibrate.h"
#include "engine/gl-drift-verdict.h"
#include "engine/gl-drift.h"
#include "engine/gl-metrics.h"
#include "engine/gl-model-file.h"
#include "engine/gl-rng.h"

#include <math.h>
#include <string.h>

/* What scoring a set of images needs. Borrowed; one thread. */
typedef struct
{
  GlDb *db;
  GlNet *net;
  const GlDataset *data;
  guint64 n_rows; /* valid pixel cache rows */
  gint64 model_id;
  const gint64 *class_ids; /* (n_classes) */
  guint n_classes;
  double temperature;
  guint64 seed;
  GCancellable *cancellable;
  GlDriftSample reference; /* borrowed arrays */
} Ctx;

/* Calibrated probabilities and projected embedding of @n cache @rows.
 * @probs: (n, n_classes), @emb: (n, GL_DRIFT_REPORT_DIM). */
static gboolean
score_rows (const Ctx *ctx, const guint64 *rows, gsize n, float *probs, float *emb, GError **error)
{
  guint dim = gl_net_get_embedding_dim (ctx->net);
  g_autofree float *full = g_new (float, MAX (n, (gsize)1) * dim);

  if (n == 0)
    return TRUE;
  if (!gl_net_predict (ctx->net, ctx->data, rows, n, probs, full, NULL, NULL, ctx->cancellable, error))
    return FALSE;
  gl_calibrate_logits_from_probs (probs, n, ctx->n_classes, probs);
  gl_calibrate_apply_temperature (probs, n, ctx->n_classes, ctx->temperature, probs);
  gl_drift_random_projection (full, n, dim, GL_DRIFT_REPORT_DIM, GL_DRIFT_REPORT_PROJECTION_SEED, emb);
  return TRUE;
}

static void
add_test (GArray *tests, gint64 class_id, const char *name, const GlDriftTestResult *r)
{
  GlDbDriftTest t = { .class_id = class_id,
                      .tested = r->tested,
                      .fired = r->fired,
                      .statistic = r->statistic,
                      .p_value = r->p_value,
                      .p_adjusted = r->p_adjusted,
                      .effect = r->effect,
                      .n_ref = r->n_ref,
                      .n_win = r->n_win };

  g_strlcpy (t.test, name, sizeof t.test);
  g_array_append_val (tests, t);
}

/* When @v drifted: the images of the set (@ids) the drift-boosted queue may
 * draw (app/gl-drift-boost.h), stored with result @drift_id. */
static gboolean
store_candidates (const Ctx *ctx, const GlDriftVerdict *v, const GlDriftSample *win, const gint64 *ids,
                  const GlDriftOptions *o, gint64 drift_id, GError **error)
{
  g_autofree gboolean *drifted = g_new0 (gboolean, MAX (ctx->n_classes, 1u));
  g_autoptr (GArray) cands = NULL;

  if (!v->drifted)
    return TRUE;
  for (guint c = 0; c < ctx->n_classes; c++)
    for (guint t = 0; t < GL_DRIFT_N_TESTS; t++)
      drifted[c] |= gl_drift_verdict_get (v, c, t)->fired;
  cands = gl_drift_boost_candidates (&ctx->reference, win, ids, ctx->class_ids, drifted, o->min_class, o->novelty_q);
  return gl_db_add_drift_candidates (ctx->db, drift_id, (const GlDbDriftCandidate *)cands->data, cands->len, error);
}

/* The verdict of one set (@n rows of @probs, @emb, images @ids) stored as
 * @header's kind, with its drift candidates. */
static gboolean
report_set (const Ctx *ctx, const float *probs, const float *emb, const gint64 *ids, gsize n,
            GlDbDriftResult *header, GError **error)
{
  GlDriftSample win = { n, ctx->n_classes, probs, GL_DRIFT_REPORT_DIM, emb };
  GlDriftOptions o;
  g_autoptr (GlDriftVerdict) v = NULL;
  gboolean ok;

  gl_drift_options_init (&o);
  o.seed = ctx->seed + (guint64)MAX (header->first_image, 0);
  v = gl_drift_verdict_compute (&ctx->reference, &win, &o, error);
  if (v == NULL)
    return FALSE;
  header->model_id = ctx->model_id;
  header->n_images = n;
  header->drifted = v->drifted;
  header->n_fired = v->n_fired;
  header->top_class = v->top_class >= 0 ? ctx->class_ids[v->top_class] : -1;
  header->accuracy_est = v->accuracy_window;
  header->accuracy_ref = v->accuracy_reference;
  header->psi = v->chi_square.tested ? v->chi_square.effect : NAN;
  header->alpha = o.alpha;
  header->tests = g_array_new (FALSE, FALSE, sizeof (GlDbDriftTest));
  header->classes = g_array_new (FALSE, FALSE, sizeof (GlDbDriftClass));
  add_test (header->tests, -1, "chi-square", &v->chi_square);
  add_test (header->tests, -1, "confidence", &v->confidence);
  add_test (header->tests, -1, "embedding", &v->embedding);
  add_test (header->tests, -1, "omnibus", &v->omnibus);
  add_test (header->tests, -1, "bbsd", &v->bbsd);
  add_test (header->tests, -1, "outliers", &v->outliers);
  add_test (header->tests, -1, "uncertain", &v->uncertain);
  for (guint c = 0; c < ctx->n_classes; c++)
    {
      const GlDriftTestResult *share = gl_drift_verdict_get (v, c, GL_DRIFT_TEST_SHARE);
      GlDbDriftClass row = {
        ctx->class_ids[c],           (guint64)lround ((share->tested ? share->statistic : 0.0) * (double)n),
        v->insufficient[c],          v->precision_window[c],
        v->precision_window_se[c],   v->precision_reference[c],
        v->precision_reference_se[c]
      };

      for (guint t = 0; t < GL_DRIFT_N_TESTS; t++)
        add_test (header->tests, ctx->class_ids[c], gl_drift_test_kind_to_string (t),
                  gl_drift_verdict_get (v, c, t));
      g_array_append_val (header->classes, row);
    }
  ok = gl_db_add_drift_result (ctx->db, header, &header->id, error)
       && store_candidates (ctx, v, &win, ids, &o, header->id, error);
  gl_db_drift_result_clear (header);
  return ok;
}

/* Scores @images (GlDbImageRow; rows not yet in the cache skipped) into
 * newly allocated @probs / @emb and their @ids; returns how many. */
static gboolean
score_images (const Ctx *ctx, GArray *images, float **probs, float **emb, gint64 **ids, gsize *n,
              GError **error)
{
  g_autofree guint64 *rows = g_new (guint64, MAX (images->len, 1u));
  gsize m = 0;

  *ids = g_new (gint64, MAX (images->len, 1u));
  for (guint i = 0; i < images->len; i++)
    {
      const GlDbImageRow *r = &g_array_index (images, GlDbImageRow, i);
      if (r->cache_row >= 0 && (guint64)r->cache_row < ctx->n_rows)
        {
          rows[m] = (guint64)r->cache_row;
          (*ids)[m++] = r->image_id;
        }
    }
  *probs = g_new (float, MAX (m, (gsize)1) * ctx->n_classes);
  *emb = g_new (float, MAX (m, (gsize)1) * GL_DRIFT_REPORT_DIM);
  *n = m;
  return score_rows (ctx, rows, m, *probs, *emb, error);
}

static gboolean
report_batch (const Ctx *ctx, gint64 batch_id, GError **error)
{
  g_autoptr (GArray) images = gl_db_list_image_rows (ctx->db, batch_id, GL_DRIFT_REPORT_BATCH_MAX, error);
  g_autofree float *probs = NULL, *emb = NULL;
  g_autofree gint64 *ids = NULL;
  GlDbDriftResult header
      = { .kind = GL_DB_DRIFT_BATCH, .batch_id = batch_id, .first_image = -1, .last_image = -1 };
  gsize n;

  if (images == NULL || !score_images (ctx, images, &probs, &emb, &ids, &n, error))
    return FALSE;
  if (n > 0)
    {
      header.first_image = ids[0];
      header.last_image = ids[n - 1];
    }
  return report_set (ctx, probs, emb, ids, n, &header, error);
}

/* Windows of @window images every @step over the newest images, oldest first. */
static gboolean
report_windows (const Ctx *ctx, guint window, guint step, GError **error)
{
  g_autoptr (GArray) images
      = gl_db_list_image_rows (ctx->db, -1, MAX (GL_DRIFT_REPORT_NEWEST, window), error);
  g_autofree float *probs = NULL, *emb = NULL;
  g_autofree gint64 *ids = NULL;
  g_autoptr (GArray) starts = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize n;

  if (images == NULL || !score_images (ctx, images, &probs, &emb, &ids, &n, error))
    return FALSE;
  if (n == 0)
    return TRUE;
  /* Ends at the newest image, then every step back; a project smaller than
   * one window gets one window of what it has. */
  {
    gsize start = n > window ? n - window : 0;

    g_array_prepend_val (starts, start);
    while (start >= MAX (step, 1u) && window > 0)
      {
        start -= MAX (step, 1u);
        g_array_prepend_val (starts, start);
      }
  }
  for (guint i = 0; i < starts->len; i++)
    {
      gsize start = g_array_index (starts, gsize, i);
      gsize len = MIN ((gsize)window, n - start);
      GlDbDriftResult header = { .kind = GL_DB_DRIFT_WINDOW,
                                 .batch_id = -1,
                                 .window_size = window,
                                 .first_image = ids[start],
                                 .last_image = ids[start + len - 1] };

      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error)
          || !report_set (ctx, probs + start * ctx->n_classes, emb + start * GL_DRIFT_REPORT_DIM, ids + start,
                          len, &header, error))
        return FALSE;
    }
  return TRUE;
}

/* Reference rows: the validation images, then up to the pool sample size
 * drawn at random from every readable image in the cache. */
static gboolean
build_reference (Ctx *ctx, const guint64 *val_rows, const gint *val_labels, gsize n_val, float **probs,
                 float **emb, GlDbDriftReference *ref, GError **error)
{
  g_autoptr (GArray) all = gl_db_list_image_rows (ctx->db, -1, 0, error);
  g_autofree guint64 *rows = NULL;
  g_autofree float *logits = NULL;
  gsize n_pool = 0, n;
  double before, after;
  GlRng rng;

  if (all == NULL)
    return FALSE;
  rows = g_new (guint64, n_val + GL_DRIFT_REPORT_POOL_SAMPLE + 1);
  if (n_val > 0)
    memcpy (rows, val_rows, n_val * sizeof (guint64));
  /* Reservoir sample of the valid rows. */
  gl_rng_init_stream (&rng, ctx->seed, 0x6472696674);
  for (guint i = 0, seen = 0; i < all->len; i++)
    {
      gint64 row = g_array_index (all, GlDbImageRow, i).cache_row;
      if (row < 0 || (guint64)row >= ctx->n_rows)
        continue;
      seen++;
      if (n_pool < GL_DRIFT_REPORT_POOL_SAMPLE)
        rows[n_val + n_pool++] = (guint64)row;
      else
        {
          guint64 j = gl_rng_below (&rng, seen);
          if (j < GL_DRIFT_REPORT_POOL_SAMPLE)
            rows[n_val + j] = (guint64)row;
        }
    }
  n = n_val + n_pool;

  /* Temperature on the validation labels (uncalibrated outputs first). */
  logits = g_new (float, MAX (n_val, (gsize)1) * ctx->n_classes);
  ctx->temperature = 1.0;
  if (n_val > 0
      && !gl_net_predict (ctx->net, ctx->data, val_rows, n_val, logits, NULL, NULL, NULL, ctx->cancellable,
                          error))
    return FALSE;
  ref->ece_before = n_val > 0 ? gl_metrics_expected_calibration_error (val_labels, logits, n_val,
                                                                       ctx->n_classes, GL_METRICS_ECE_BINS)
                              : NAN;
  gl_calibrate_logits_from_probs (logits, n_val, ctx->n_classes, logits);
  ctx->temperature
      = gl_calibrate_fit_temperature (logits, val_labels, n_val, ctx->n_classes, &before, &after);

  *probs = g_new (float, MAX (n, (gsize)1) * ctx->n_classes);
  *emb = g_new (float, MAX (n, (gsize)1) * GL_DRIFT_REPORT_DIM);
  if (!score_rows (ctx, rows, n, *probs, *emb, error))
    return FALSE;
  ref->ece_after = n_val > 0 ? gl_metrics_expected_calibration_error (val_labels, *probs, n_val,
                                                                      ctx->n_classes, GL_METRICS_ECE_BINS)
                             : NAN;
  ref->model_id = ctx->model_id;
  ref->n_validation = n_val;
  ref->n_pool = n_pool;
  ref->n_classes = ctx->n_classes;
  ref->dim = GL_DRIFT_REPORT_DIM;
  ref->projection_seed = GL_DRIFT_REPORT_PROJECTION_SEED;
  ref->temperature = ctx->temperature;
  ref->class_ids = g_bytes_new (ctx->class_ids, ctx->n_classes * sizeof (gint64));
  ref->probs = g_bytes_new (*probs, n * ctx->n_classes * sizeof (float));
  ref->embedding = g_bytes_new (*emb, n * GL_DRIFT_REPORT_DIM * sizeof (float));
  ctx->reference = (GlDriftSample){ n, ctx->n_classes, *probs, GL_DRIFT_REPORT_DIM, *emb };
  return gl_db_set_drift_reference (ctx->db, ref, error);
}

/* Batches without a result for the context's model, newest @limit first
 * considered (0: all). */
static gboolean
report_missing_batches (const Ctx *ctx, guint limit, GError **error)
{
  g_autoptr (GArray) batches = gl_db_list_batches (ctx->db, error);
  g_autoptr (GArray) done
      = batches ? gl_db_list_drift_results (ctx->db, ctx->model_id, GL_DB_DRIFT_BATCH, error) : NULL;
  guint first;

  if (done == NULL)
    return FALSE;
  first = limit > 0 && batches->len > limit ? batches->len - limit : 0;
  for (guint i = first; i < batches->len; i++)
    {
      gint64 id = g_array_index (batches, GlDbBatch, i).id;
      gboolean have = FALSE;

      for (guint k = 0; k < done->len && !have; k++)
        have = g_array_index (done, GlDbDriftResult, k).batch_id == id;
      if (have)
        continue;
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error) || !report_batch (ctx, id, error))
        return FALSE;
    }
  return TRUE;
}

/* One drift computation at a time per process (a round's, a watched
 * batch's): two would compute the same batch twice. */
static GMutex update_lock;

void
gl_drift_report_after_round (GlDb *db, GlNet *net, const GlDataset *data, guint64 n_rows, gint64 model_id,
                             const gint64 *class_ids, guint n_classes, const guint64 *val_rows,
                             const gint *val_labels, gsize n_val, guint64 seed, GCancellable *cancellable)
{
  Ctx ctx = { db, net, data, n_rows, model_id, class_ids, n_classes, 1.0, seed, cancellable, { 0 } };
  GlDbDriftReference ref = { 0 };
  g_autofree float *probs = NULL, *emb = NULL;
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&update_lock);
  if (!build_reference (&ctx, val_rows, val_labels, n_val, &probs, &emb, &ref, &error)
      || !report_missing_batches (&ctx, GL_DRIFT_REPORT_BATCHES, &error)
      || !gl_db_delete_drift_results (db, model_id, GL_DB_DRIFT_WINDOW, &error)
      || !report_windows (&ctx, GL_DRIFT_REPORT_WINDOW, GL_DRIFT_REPORT_STEP, &error)
      || !gl_drift_auto_evaluate (db, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("drift of model version %" G_GINT64_FORMAT " not reported: %s", model_id, error->message);
    }
  g_mutex_unlock (&update_lock);
  gl_db_drift_reference_clear (&ref);
}

/* The stored reference of @ref as a sample; FALSE when its blobs do not
 * match its shape. */
static gboolean
reference_sample (const GlDbDriftReference *ref, GlDriftSample *out, GError **error)
{
  gsize n = ref->n_validation + ref->n_pool;
  gsize probs_len = ref->probs ? g_bytes_get_size (ref->probs) : 0;
  gsize emb_len = ref->embedding ? g_bytes_get_size (ref->embedding) : 0;
  gsize ids_len = ref->class_ids ? g_bytes_get_size (ref->class_ids) : 0;

  if (ref->n_classes == 0 || probs_len != n * ref->n_classes * sizeof (float)
      || ids_len != ref->n_classes * sizeof (gint64)
      || (ref->dim > 0 && emb_len != n * ref->dim * sizeof (float)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the drift reference of model version %" G_GINT64_FORMAT
                   " is damaged (its sizes do not match)",
                   ref->model_id);
      return FALSE;
    }
  *out = (GlDriftSample){ n, ref->n_classes, g_bytes_get_data (ref->probs, NULL), ref->dim,
                          ref->dim > 0 ? g_bytes_get_data (ref->embedding, NULL) : NULL };
  return TRUE;
}

/* gl_drift_report_update on a connection @db and pixel map @map of the
 * caller's thread. */
static gboolean
update_on (GlDb *db, GlPixelMap *map, guint window, guint step, gint64 *model_id, gboolean *has_reference,
           GError **error)
{
  GlDbDriftReference ref = { 0 };
  GlDbModelVersion version = { 0 };
  g_autoptr (GlNet) net = NULL;
  GlDataset data = { 0 };
  GlDriftSample sample = { 0 };
  Ctx ctx = { 0 };
  gboolean found = FALSE, ok;

  *model_id = gl_db_get_current_model (db);
  *has_reference = FALSE;
  if (*model_id < 0)
    return TRUE;
  if (!gl_db_get_drift_reference (db, *model_id, &ref, &found, error))
    return FALSE;
  if (!found)
    return TRUE;
  *has_reference = TRUE;
  ok = reference_sample (&ref, &sample, error) && gl_db_get_model_version (db, *model_id, &version, error);
  if (ok)
    ok = (net = gl_team_model_load (db, &version, error)) != NULL;
  if (ok && gl_net_get_n_classes (net) != ref.n_classes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s has %u outputs, its drift reference %u classes", version.path,
                   gl_net_get_n_classes (net), ref.n_classes);
      ok = FALSE;
    }
  if (ok)
    {
      gl_pixel_map_shape (map, &data.h, &data.w, &data.c);
      data.pixels = gl_pixel_map_data (map);
      data.row_stride = (gsize)data.h * data.w * data.c;
      ctx = (Ctx){ db,
                   net,
                   &data,
                   gl_pixel_map_count (map),
                   *model_id,
                   g_bytes_get_data (ref.class_ids, NULL),
                   ref.n_classes,
                   ref.temperature,
                   (guint64)*model_id,
                   NULL,
                   sample };
      ok = report_missing_batches (&ctx, 0, error);
    }
  if (ok && window > 0)
    ok = gl_db_delete_drift_results (db, *model_id, GL_DB_DRIFT_WINDOW, error)
         && report_windows (&ctx, window, step, error);
  if (ok)
    ok = gl_drift_auto_evaluate (db, NULL, error);
  gl_db_model_version_clear (&version);
  gl_db_drift_reference_clear (&ref);
  return ok;
}

gboolean
gl_drift_report_update (GlProject *project, guint window, guint step, gint64 *model_id,
                        gboolean *has_reference, GError **error)
{
  g_autoptr (GlPixelMap) map = NULL;
  gboolean ok;

  *model_id = gl_db_get_current_model (gl_project_get_db (project));
  *has_reference = FALSE;
  if (*model_id < 0)
    return TRUE;
  map = gl_project_map_pixels (project, error);
  if (map == NULL)
    return FALSE;
  g_mutex_lock (&update_lock);
  ok = update_on (gl_project_get_db (project), map, window, step, model_id, has_reference, error);
  g_mutex_unlock (&update_lock);
  return ok;
}

/* The paths of a project, for a worker thread. */
typedef struct
{
  char *db_path, *pixels_path;
} UpdatePaths;

static void
update_paths_free (gpointer data)
{
  UpdatePaths *u = data;

  g_free (u->db_path);
  g_free (u->pixels_path);
  g_free (u);
}


static void
update_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  UpdatePaths *u = task_data;
  GError *error = NULL;
  g_autoptr (GlDb) db = NULL;
  g_autoptr (GlPixelMap) map = NULL;
  gint64 model_id;
  gboolean has_reference, ok;

  g_mutex_lock (&update_lock);
  ok = !g_cancellable_set_error_if_cancelled (cancellable, &error)
       && (db = gl_db_open (u->db_path, &error)) != NULL;
  /* A project without a model has no pixels to read yet. */
  if (ok && gl_db_get_current_model (db) >= 0)
    ok = (map = gl_pixel_map_open (u->pixels_path, &error)) != NULL
         && update_on (db, map, 0, 0, &model_id, &has_reference, &error);
  g_mutex_unlock (&update_lock);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
gl_drift_report_update_async (GlProject *project, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  UpdatePaths *u = g_new0 (UpdatePaths, 1);

  u->db_path = g_strdup (gl_project_get_db_path (project));
  u->pixels_path = g_strdup (gl_project_get_pixels_path (project));
  g_task_set_source_tag (task, gl_drift_report_update_async);
  g_task_set_task_data (task, u, update_paths_free);
  g_task_run_in_thread (task, update_thread);
}

gboolean
gl_drift_report_update_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
background_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!gl_drift_report_update_finish (result, &error) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("drift of a new batch not computed: %s", error->message);
}

void
gl_drift_report_update_in_background (GlProject *project)
{
  gl_drift_report_update_async (project, NULL, background_done, NULL);
}
