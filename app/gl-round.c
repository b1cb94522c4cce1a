/* gl-round.c — see gl-round.h.
 *
 * The shared steps first (GlRound, in memory), then the app's round on a
 * project (gl_round_run_project), which reads its inputs from the store on a
 * connection of its own and writes its outputs there, step by step.
 */
#include "app/gl-round.h"

#include <math.h>
#include <string.h>

#include "app/gl-drift-adapt.h"
#include "app/gl-drift-boost.h"
#include "app/gl-drift-report.h"
#include "app/gl-pixel-cache.h"
#include "app/gl-rescore.h"
#include "app/gl-export-team.h"
#include "app/gl-team-models.h"
#include "db/gl-db-team.h"
#include "engine/gl-model-file.h"
#include "engine/gl-worker.h"

#define RANKING_MIN 100       /* items ranked per round, at least */
#define PRUNE_BUDGET_MS 3000  /* pruning old versions' predictions, per round */
#define COLD_START_TAIL 10000 /* random images after the coverage order (about 40 minutes of labeling) */

void
gl_round_options_init (GlRoundOptions *o)
{
  memset (o, 0, sizeof *o);
  o->strategy = GL_STRATEGY_DEFAULT;
  o->max_epochs = GL_TRAINER_DEFAULT_EPOCHS;
  o->min_steps = GL_TRAINER_DEFAULT_MIN_STEPS;
  o->time_budget = GL_ROUND_DEFAULT_TIME_BUDGET;
  o->validation_share = GL_TRAINER_DEFAULT_VALIDATION_SHARE;
  o->audit_share = GL_TRAINER_DEFAULT_AUDIT_SHARE;
  o->augment = TRUE;
}

guint64
gl_round_seed (guint64 base, guint64 index)
{
  /* Base 0 gives 1, 2, 3, … (the trainer's rounds before the seed was shared). */
  return base * 1000003ull + index + 1;
}

GlRound *
gl_round_new (const GlDataset *data, guint n_classes, const GlRoundOptions *options)
{
  GlRound *r = g_new0 (GlRound, 1);
  r->options = *options;
  r->data = data;
  r->n_classes = n_classes;
  r->train_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  r->train_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  r->val_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  r->val_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  r->audit_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  r->audit_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  return r;
}

void
gl_round_free (GlRound *r)
{
  if (r == NULL)
    return;
  g_array_unref (r->train_rows);
  g_array_unref (r->train_labels);
  g_array_unref (r->val_rows);
  g_array_unref (r->val_labels);
  g_array_unref (r->audit_rows);
  g_array_unref (r->audit_labels);
  g_clear_pointer (&r->net, gl_net_free);
  g_clear_pointer (&r->validation, gl_metrics_free);
  g_clear_pointer (&r->audit, gl_metrics_free);
  g_free (r->probs);
  g_free (r->embeddings);
  g_free (r->mc);
  g_free (r->scores);
  g_free (r);
}

GlNet *
gl_round_steal_net (GlRound *r)
{
  return g_steal_pointer (&r->net);
}

typedef struct
{
  gint64 id;
  gsize i;
} IdIndex;

static int
cmp_id_index (gconstpointer a, gconstpointer b)
{
  const IdIndex *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

gboolean
gl_round_set_labels (GlRound *r, const gint64 *ids, const guint64 *rows, const gint *classes,
                     const gboolean *audit, gsize n, GError **error)
{
  /* Image id order, whatever the caller's: the same labels make the same round. */
  g_autofree IdIndex *order = g_new (IdIndex, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    order[i] = (IdIndex){ ids[i], i };
  qsort (order, n, sizeof *order, cmp_id_index);

  g_autoptr (GArray) t_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) t_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) t_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autofree gboolean *seen = g_new0 (gboolean, MAX (1, r->n_classes));
  guint n_seen = 0;
  r->n_labels = n;
  for (gsize j = 0; j < n; j++)
    {
      gsize i = order[j].i;
      if (audit != NULL && audit[i])
        {
          g_array_append_val (r->audit_rows, rows[i]);
          g_array_append_val (r->audit_labels, classes[i]);
          continue;
        }
      g_array_append_val (t_ids, ids[i]);
      g_array_append_val (t_rows, rows[i]);
      g_array_append_val (t_labels, classes[i]);
      if (classes[i] >= 0 && (guint)classes[i] < r->n_classes && !seen[classes[i]])
        seen[classes[i]] = TRUE, n_seen++;
    }
  if (r->n_classes < 2 || n_seen < 2)
    {
      g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_NO_LABELS,
                   "nothing to train on: label images of at least two classes first");
      return FALSE;
    }
  g_autofree gboolean *is_val = g_new (gboolean, MAX (t_ids->len, 1));
  gl_trainer_split_labels ((gint64 *)t_ids->data, (gint *)t_labels->data, t_ids->len, r->n_classes,
                           r->options.validation_share, is_val);
  for (guint i = 0; i < t_ids->len; i++)
    {
      g_array_append_val (is_val[i] ? r->val_rows : r->train_rows, g_array_index (t_rows, guint64, i));
      g_array_append_val (is_val[i] ? r->val_labels : r->train_labels, g_array_index (t_labels, gint, i));
    }
  return TRUE;
}

gboolean
gl_round_train (GlRound *r, const GlNet *warm_start, GlNetProgressFunc progress, gpointer user_data,
                GCancellable *cancellable, GError **error)
{
  const GlDataset *data = r->data;
  GError *local = NULL;
  g_autoptr (GlNet) work = NULL;

  r->warm = warm_start != NULL && gl_net_get_n_classes (warm_start) == r->n_classes;
  if (r->warm)
    work = gl_net_copy (warm_start); /* a cancelled or failed round keeps the last model */
  else
    {
      g_autoptr (GlNetSpec) spec = gl_net_spec_default_for_input (data->h, data->w, data->c);
      work = gl_net_new (spec, data->h, data->w, data->c, r->n_classes, r->options.seed, &local);
      if (work == NULL)
        {
          g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_ENGINE, "cannot build the network: %s",
                       local->message);
          g_error_free (local);
          return FALSE;
        }
    }
  GlTrainOptions topt;
  gl_train_options_init (&topt);
  topt.batch_size = GL_ROUND_BATCH;
  guint steps_per_epoch = (r->train_rows->len + GL_ROUND_BATCH - 1) / GL_ROUND_BATCH;
  topt.epochs
      = MAX (r->options.max_epochs, (r->options.min_steps + steps_per_epoch - 1) / MAX (steps_per_epoch, 1));
  topt.max_seconds = r->options.time_budget;
  topt.lr = GL_TRAINER_LR;
  topt.schedule = GL_SCHEDULE_COSINE;
  /* No flip: it changes the class of digits, letters, arrows. */
  topt.augment = r->options.augment ? GL_AUGMENT_CROP : GL_AUGMENT_NONE;
  topt.seed = r->options.seed;
  if (!gl_net_train (work, data, (guint64 *)r->train_rows->data, (gint *)r->train_labels->data,
                     r->train_rows->len, &topt, progress, user_data, cancellable, &r->train, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, local);
      else
        {
          g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_ENGINE, "training failed: %s",
                       local->message);
          g_error_free (local);
        }
      return FALSE;
    }
  g_clear_pointer (&r->net, gl_net_free);
  r->net = g_steal_pointer (&work);
  return TRUE;
}

gboolean
gl_round_evaluate (GlRound *r, GCancellable *cancellable, GError **error)
{
  GArray *rows[2] = { r->val_rows, r->audit_rows }, *labels[2] = { r->val_labels, r->audit_labels };
  GlMetrics **out[2] = { &r->validation, &r->audit };

  g_return_val_if_fail (r->net != NULL, FALSE);
  for (guint e = 0; e < 2; e++)
    {
      gsize m = rows[e]->len;
      g_clear_pointer (out[e], gl_metrics_free);
      if (m == 0)
        continue;
      g_autofree float *p = g_new (float, m * r->n_classes);
      if (!gl_net_predict (r->net, r->data, (guint64 *)rows[e]->data, m, p, NULL, NULL, NULL, cancellable,
                           error))
        return FALSE;
      *out[e] = gl_metrics_compute ((gint *)labels[e]->data, p, m, r->n_classes, NULL);
    }
  return TRUE;
}

gboolean
gl_round_score (GlRound *r, GlNet *net, const guint64 *rows, gsize n_pool, gsize n_extra,
                GlNetProgressFunc progress, gpointer user_data, GCancellable *cancellable, GError **error)
{
  gsize n_all = n_pool + n_extra;
  guint k = r->n_classes;

  gl_round_score_begin (r, net, n_pool, n_extra);
  if ((n_pool > 0
       && !gl_net_predict (net, r->data, rows, n_pool, r->probs, r->embeddings, progress, user_data,
                           cancellable, error))
      || (n_extra > 0
          && !gl_net_predict (net, r->data, rows + n_pool, n_extra, r->probs + n_pool * k, NULL, NULL, NULL,
                              cancellable, error)))
    return FALSE;
  if (r->mc != NULL
      && !gl_net_predict_mc (net, r->data, rows, n_pool, GL_ROUND_MC_PASSES, r->options.seed, r->mc, NULL, NULL,
                             NULL, cancellable, error))
    return FALSE;
  GlAcquirePool sp = { .n = n_all, .n_classes = k, .probs = r->probs };
  gl_acquire_scores (GL_STRATEGY_MARGIN, &sp, r->scores, NULL);
  if (r->mc != NULL)
    gl_acquire_bald (r->mc, GL_ROUND_MC_PASSES, n_pool, k, r->scores);
  else if (r->options.strategy == GL_STRATEGY_LEAST_CONFIDENCE || r->options.strategy == GL_STRATEGY_ENTROPY)
    gl_acquire_scores (r->options.strategy, &sp, r->scores, NULL);
  return TRUE;
}

void
gl_round_score_begin (GlRound *r, GlNet *net, gsize n_pool, gsize n_extra)
{
  gsize n_all = n_pool + n_extra;
  guint k = r->n_classes;

  g_clear_pointer (&r->probs, g_free);
  g_clear_pointer (&r->embeddings, g_free);
  g_clear_pointer (&r->mc, g_free);
  g_clear_pointer (&r->scores, g_free);
  r->n_pool = n_pool;
  r->n_scored = n_all;
  r->dim = gl_net_get_embedding_dim (net);
  r->probs = g_new0 (float, MAX (n_all, 1) * k);
  r->embeddings = g_new0 (float, MAX (n_pool, 1) * (gsize)r->dim);
  r->scores = g_new0 (float, MAX (n_all, 1));
  if (r->options.strategy == GL_STRATEGY_BALD && n_pool > 0)
    r->mc = g_new0 (float, (gsize)GL_ROUND_MC_PASSES *n_pool *k);
}

gboolean
gl_round_score_at (GlRound *r, GlNet *net, const guint64 *rows, const gsize *at, gsize n, gboolean pool,
                   GCancellable *cancellable, GError **error)
{
  guint k = r->n_classes, dim = r->dim;
  gboolean mc = pool && r->mc != NULL;
  g_autofree float *probs = g_new (float, MAX (n, 1) * k);
  g_autofree float *emb = pool ? g_new (float, MAX (n, 1) * (gsize)dim) : NULL;
  g_autofree float *mcp = mc ? g_new (float, (gsize)GL_ROUND_MC_PASSES *MAX (n, 1) * k) : NULL;
  g_autofree float *scores = g_new (float, MAX (n, 1));

  if (n == 0)
    return TRUE;
  if (!gl_net_predict (net, r->data, rows, n, probs, emb, NULL, NULL, cancellable, error))
    return FALSE;
  /* Dropout masks are drawn per call: a chunk's BALD scores are those of
   * the same passes over that chunk, not of one pass over the whole pool. */
  if (mc
      && !gl_net_predict_mc (net, r->data, rows, n, GL_ROUND_MC_PASSES, r->options.seed ^ at[0], mcp, NULL, NULL,
                             NULL, cancellable, error))
    return FALSE;
  GlAcquirePool sp = { .n = n, .n_classes = k, .probs = probs };
  gl_acquire_scores (GL_STRATEGY_MARGIN, &sp, scores, NULL);
  if (mc)
    gl_acquire_bald (mcp, GL_ROUND_MC_PASSES, n, k, scores);
  else if (r->options.strategy == GL_STRATEGY_LEAST_CONFIDENCE || r->options.strategy == GL_STRATEGY_ENTROPY)
    gl_acquire_scores (r->options.strategy, &sp, scores, NULL);
  for (gsize i = 0; i < n; i++)
    {
      g_return_val_if_fail (pool ? at[i] < r->n_pool : at[i] < r->n_scored, FALSE);
      memcpy (r->probs + at[i] * k, probs + i * k, k * sizeof (float));
      r->scores[at[i]] = scores[i];
      if (pool)
        memcpy (r->embeddings + at[i] * dim, emb + i * dim, dim * sizeof (float));
      for (guint pass = 0; mc && pass < GL_ROUND_MC_PASSES; pass++)
        memcpy (r->mc + ((gsize)pass * r->n_pool + at[i]) * k, mcp + ((gsize)pass * n + i) * k, k * sizeof (float));
    }
  return TRUE;
}

GArray *
gl_round_select (GlRound *r, const guint8 *state, guint batch_size, GError **error)
{
  GlAcquirePool pool = { .n = r->n_pool,
                         .n_classes = r->n_classes,
                         .state = state,
                         .probs = r->probs,
                         .mc_probs = r->mc,
                         .n_passes = r->mc ? GL_ROUND_MC_PASSES : 0,
                         .embeddings = r->embeddings,
                         .dim = r->dim };
  GlAcquireOptions options;
  gl_acquire_options_init (&options);
  options.batch_size = batch_size;
  options.seed = r->options.seed;
  options.audit_share = r->options.audit_share;
  return gl_acquire_select (r->options.strategy, &pool, &options, error);
}

/* ------------------------------------------------------------------ */
/* The app's round on a project                                        */
/* ------------------------------------------------------------------ */

gboolean
gl_round_list_images (GlDb *db, GArray *out, GError **error)
{
  g_autoptr (GArray) held = gl_db_list_cache_rows (db, 1, error);
  if (held == NULL)
    return FALSE;
  g_autoptr (GHashTable) held_rows = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < held->len; i++)
    g_hash_table_add (held_rows, &g_array_index (held, gint64, i));
  GlDbFilter filter = { GL_DB_FILTER_ALL, -1 };
  g_autoptr (GlDbCursor) cursor = NULL;
  gsize first = out->len;
  for (;;)
    {
      GArray *page = NULL;
      GlDbCursor *next = NULL;
      if (!gl_db_list_images (db, &filter, GL_DB_SORT_NEWEST, cursor, 5000, &page, &next, error))
        return FALSE;
      for (guint i = 0; i < page->len; i++)
        {
          const GlDbListRow *row = &g_array_index (page, GlDbListRow, i);
          if (row->unreadable || row->cache_row < 0)
            continue;
          GlPoolImage im = { row->image_id, row->cache_row, row->class_id,
                             g_hash_table_contains (held_rows, &row->cache_row) };
          g_array_append_val (out, im);
        }
      g_array_unref (page);
      gl_db_cursor_free (cursor);
      cursor = next;
      if (next == NULL)
        break;
    }
  /* Newest first → id order. */
  GlPoolImage *a = &g_array_index (out, GlPoolImage, first);
  gsize m = out->len - first;
  for (gsize i = 0; i < m / 2; i++)
    {
      GlPoolImage t = a[i];
      a[i] = a[m - 1 - i];
      a[m - 1 - i] = t;
    }
  return TRUE;
}

void
gl_round_project_result_init (GlRoundProjectResult *result)
{
  memset (result, 0, sizeof *result);
  result->report.accuracy = result->report.macro_f1 = result->report.audit_accuracy = NAN;
  result->previous_accuracy = NAN;
  result->queue_seq = -1;
  result->net_version = -1;
}

void
gl_round_project_result_clear (GlRoundProjectResult *result)
{
  g_clear_pointer (&result->net, gl_net_free);
}

/* A round on a project while it runs: what it read and made. Engine thread. */
typedef struct
{
  /* borrowed */
  const GlRoundProjectSpec *spec;
  GlRoundProjectResult *result;
  GlNetProgressFunc progress;
  gpointer user_data;
  GCancellable *cancellable;

  /* owned: the snapshot */
  GlDb *db; /* the round's own connection */
  GlPixelMap *map;
  GlDataset data;
  guint n_classes;
  gint64 *class_ids;          /* (n_classes): index → store id */
  char **class_names;         /* (n_classes + 1) */
  GHashTable *index_of_class; /* store id → index + 1 */
  GHashTable *audit;          /* image ids labeled as audit items */
  GArray *images;             /* GlPoolImage, id order */
  GArray *pool;               /* gsize indices into images: pool images the map holds */
  GArray *held;               /* ... held-out test images */
  GlRoundOptions options;

  /* owned: what the round makes */
  GlRound *round;
  GlNet *start;   /* borrowed: the model the round starts from or ranks with (NULL: none) */
  gint64 version; /* the new model version, -1 before it is saved */
  gint64 score_started_us;
  guint8 *scored;        /* (n_pool + n_held) the images the version's rescore scored, or NULL: all */
  const guint8 *partial; /* borrowed while the first chunk's ranking is written: the images scored so far */
  gboolean current;      /* the version the round scored is current */
} ProjectRound;

static void
project_round_clear (ProjectRound *p)
{
  g_clear_pointer (&p->round, gl_round_free);
  g_clear_pointer (&p->scored, g_free);
  g_clear_pointer (&p->images, g_array_unref);
  g_clear_pointer (&p->pool, g_array_unref);
  g_clear_pointer (&p->held, g_array_unref);
  g_clear_pointer (&p->audit, g_hash_table_unref);
  g_clear_pointer (&p->index_of_class, g_hash_table_unref);
  g_strfreev (p->class_names);
  g_free (p->class_ids);
  g_clear_pointer (&p->map, gl_pixel_map_free);
  g_clear_pointer (&p->db, gl_db_close);
}

static gboolean
store_failed (GError **error, GError *local, const char *what)
{
  g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_STORE, "%s: %s", what, local->message);
  g_error_free (local);
  return FALSE;
}

static void
report_phase (ProjectRound *p, GlPhase phase, double fraction)
{
  GlProgress progress;
  if (p->progress == NULL)
    return;
  gl_progress_init (&progress, phase);
  progress.fraction = fraction;
  p->progress (&progress, p->user_data);
}

/* Progress of an engine call, as the share [from, to] of the round. */
typedef struct
{
  ProjectRound *p;
  double from, to;
} Reporter;

static void
forward_progress (const GlProgress *progress, gpointer data)
{
  Reporter *r = data;
  GlProgress out = *progress;
  out.fraction = r->from + (r->to - r->from) * gl_progress_call_fraction (progress);
  if (r->p->progress != NULL)
    r->p->progress (&out, r->p->user_data);
}

static gint
class_index (ProjectRound *p, gint64 class_id)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (p->index_of_class, &class_id)) - 1;
}

/* Step 0: the round's inputs, read once at its start: labels committed later
 * belong to the next round. */
static gboolean
take_snapshot (ProjectRound *p, GError **error)
{
  GError *local = NULL;
  p->db = gl_db_open (p->spec->db_path, &local);
  if (p->db == NULL)
    return store_failed (error, local, "cannot open the project");
  g_autoptr (GArray) classes = gl_db_list_classes (p->db, TRUE, &local);
  if (classes == NULL)
    return store_failed (error, local, "cannot read the project");
  p->n_classes = classes->len;
  p->class_ids = g_new0 (gint64, MAX (1, classes->len));
  p->class_names = g_new0 (char *, classes->len + 1);
  p->index_of_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint k = 0; k < classes->len; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      p->class_ids[k] = c->id;
      p->class_names[k] = g_strdup (c->name);
      g_hash_table_insert (p->index_of_class, g_memdup2 (&c->id, sizeof c->id), GUINT_TO_POINTER (k + 1));
    }
  p->images = g_array_new (FALSE, FALSE, sizeof (GlPoolImage));
  if (!gl_round_list_images (p->db, p->images, &local))
    return store_failed (error, local, "cannot read the project");
  p->audit = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GArray) audit = gl_db_list_audit_images (p->db, &local);
  if (audit == NULL)
    return store_failed (error, local, "cannot read the project");
  for (guint i = 0; i < audit->len; i++)
    g_hash_table_add (p->audit, g_memdup2 (&g_array_index (audit, gint64, i), sizeof (gint64)));
  /* The project's settings over the caller's. */
  p->options = p->spec->options;
  g_autofree char *strategy = gl_db_get_setting (p->db, GL_DB_SETTING_ACQUISITION);
  if (strategy == NULL || !gl_strategy_from_string (strategy, &p->options.strategy, NULL))
    p->options.strategy = GL_STRATEGY_DEFAULT;
  p->options.validation_share = CLAMP (
      gl_db_get_setting_double (p->db, GL_DB_SETTING_VALIDATION_SHARE, GL_TRAINER_DEFAULT_VALIDATION_SHARE),
      0.0, 0.9);
  p->options.augment = gl_db_get_setting_boolean (p->db, GL_DB_SETTING_AUGMENTATION, TRUE);

  p->map = gl_pixel_map_open (p->spec->pixels_path, &local);
  if (p->map == NULL && p->images->len > 0)
    return store_failed (error, local, "cannot map the pixel cache");
  g_clear_error (&local);
  if (p->map != NULL)
    {
      gl_pixel_map_shape (p->map, &p->data.h, &p->data.w, &p->data.c);
      p->data.pixels = gl_pixel_map_data (p->map);
      p->data.row_stride = (gsize)p->data.h * p->data.w * p->data.c;
    }
  /* Only rows the map holds (a row imported after mapping waits for the next round). */
  guint64 n_rows = p->map ? gl_pixel_map_count (p->map) : 0;
  const GlPoolImage *images = (const GlPoolImage *)p->images->data;
  p->pool = g_array_new (FALSE, FALSE, sizeof (gsize));
  p->held = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < p->images->len; i++)
    if ((guint64)images[i].cache_row < n_rows)
      g_array_append_val (images[i].held_out ? p->held : p->pool, i);
  p->round = gl_round_new (&p->data, p->n_classes, &p->options);
  return TRUE;
}

/* The store's current model version: the caller's network when it is that
 * one, else loaded from its file (another process, gleaner-cli train, may
 * have made a newer version current) and handed to the caller to hold. A
 * model that cannot be loaded is replaced by a fresh one; one of other
 * classes is not started from. */
static void
choose_start (ProjectRound *p)
{
  const GlRoundProjectSpec *spec = p->spec;
  gint64 current = gl_db_get_current_model (p->db);
  GError *local = NULL;

  if (spec->worker_net != NULL && (spec->worker_version == current || current < 0))
    {
      p->start = spec->worker_net;
      p->result->report.warm_start = spec->worker_version;
    }
  else if (current >= 0)
    {
      GlDbModelVersion v = { 0 };
      GlNet *net = NULL;
      if (gl_db_get_model_version (p->db, current, &v, &local))
        net = gl_team_model_load (p->db, &v, &local);
      gl_db_model_version_clear (&v);
      if (net == NULL)
        {
          g_warning ("cannot load the current model: %s", local->message);
          g_clear_error (&local);
        }
      else
        {
          g_clear_pointer (&p->result->net, gl_net_free);
          p->result->net = net;
          p->result->net_version = current;
          p->start = net;
          p->result->report.warm_start = current;
        }
    }
  if (p->start != NULL && gl_net_get_n_classes (p->start) != p->n_classes)
    p->start = NULL; /* classes changed: start over */
  if (p->start == NULL)
    p->result->report.warm_start = 0;
}

/* Step 1: the labels of pool images (audit labels marked). On a team's
 * server an image that two or more annotators labeled trains on their
 * consensus (app/gl-export-team.h: weighted by each one's accuracy on the
 * reference labels), and one whose annotators tie trains on nothing. */
static gboolean
give_labels (ProjectRound *p, GError **error)
{
  const GlPoolImage *images = (const GlPoolImage *)p->images->data;
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (GlExportItem));
  for (guint i = 0; i < p->pool->len; i++)
    {
      const GlPoolImage *im = &images[g_array_index (p->pool, gsize, i)];
      gint k = im->class_id >= 0 ? class_index (p, im->class_id) : -1;
      if (k >= 0)
        g_array_append_val (items, ((GlExportItem){ .image_id = im->image_id, .cache_row = im->cache_row,
                                                    .class_id = k }));
    }
  g_auto (GlExportTeam) team = { 0 };
  if (gl_db_team_is_server (p->db)
      && !gl_export_team_apply (p->db, items, p->class_ids, p->n_classes, TRUE, FALSE, &team, error))
    return FALSE;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) classes = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr (GArray) audit = g_array_new (FALSE, FALSE, sizeof (gboolean));
  for (guint i = 0; i < items->len; i++)
    {
      const GlExportItem *it = &g_array_index (items, GlExportItem, i);
      guint64 row = (guint64)it->cache_row;
      gboolean a = g_hash_table_contains (p->audit, &it->image_id);
      g_array_append_val (ids, it->image_id);
      g_array_append_val (rows, row);
      g_array_append_val (classes, it->class_id);
      g_array_append_val (audit, a);
    }
  return gl_round_set_labels (p->round, (gint64 *)ids->data, (guint64 *)rows->data, (gint *)classes->data,
                              (gboolean *)audit->data, ids->len, error);
}

/* Step 1b: a drift round weighs the drifted labels as the stream weighs the
 * new kind of image (app/gl-drift-adapt.h); recorded as a drift action. */
static gboolean
adapt (ProjectRound *p)
{
  gl_drift_adapt_round (p->db, p->round->train_rows, p->round->train_labels, &p->result->drift_adapt);
  return TRUE;
}

/* Step 2. */
static gboolean
train (ProjectRound *p, GError **error)
{
  Reporter trep = { p, 0.02, 0.7 };
  return gl_round_train (p->round, p->start, forward_progress, &trep, p->cancellable, error);
}

/* Step 3. */
static gboolean
evaluate (ProjectRound *p, GError **error)
{
  report_phase (p, GL_PHASE_EVALUATE, 0.7);
  return gl_round_evaluate (p->round, p->cancellable, error);
}

static char *
model_file_path (const char *models_dir, GlDb *db)
{
  g_autoptr (GArray) versions = gl_db_list_model_versions (db, NULL);
  guint n = versions ? versions->len : 0;
  for (guint k = n + 1;; k++)
    {
      g_autofree char *name = g_strdup_printf ("model-%04u.gleaner-model", k);
      char *path = g_build_filename (models_dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
}

/* Step 4: the model file (written atomically), then the version with its
 * metrics and the learning curve's label count. Not current yet. */
static gboolean
save_version (ProjectRound *p, GError **error)
{
  GlRound *r = p->round;
  GlRoundProjectResult *result = p->result;
  GError *local = NULL;

  report_phase (p, GL_PHASE_SAVE, 0.72);
  g_mkdir_with_parents (p->spec->models_dir, 0755);
  g_autofree char *path = model_file_path (p->spec->models_dir, p->db);
  GlModelMeta meta;
  gl_model_meta_init (&meta);
  meta.class_names = g_strdupv (p->class_names);
  meta.n_labels = r->n_labels;
  meta.extra = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (meta.extra, g_strdup ("validation_labels"), g_strdup_printf ("%u", r->val_rows->len));
  g_hash_table_insert (meta.extra, g_strdup ("audit_labels"), g_strdup_printf ("%u", r->audit_rows->len));
  if (r->audit != NULL)
    g_hash_table_insert (meta.extra, g_strdup ("audit_accuracy"),
                         g_strdup_printf ("%.6f", r->audit->accuracy));
  g_hash_table_insert (meta.extra, g_strdup ("strategy"),
                       g_strdup (gl_strategy_to_string (p->options.strategy)));
  g_hash_table_insert (meta.extra, g_strdup ("warm_start"),
                       g_strdup_printf ("%" G_GINT64_FORMAT, result->report.warm_start));
  if (result->drift_adapt.applied > 1.0)
    g_hash_table_insert (meta.extra, g_strdup ("drift_weight"), g_strdup_printf ("%.4f", result->drift_adapt.applied));
  gboolean ok = gl_model_file_save (r->net, &meta, path, &local);
  gl_model_meta_clear (&meta);
  if (!ok)
    return store_failed (error, local, "cannot save the model");

  gint64 prev_id = gl_db_get_current_model (p->db);
  GlDbModelVersion prev = { 0 };
  if (prev_id >= 0 && gl_db_get_model_version (p->db, prev_id, &prev, NULL))
    {
      result->previous_accuracy = prev.val_accuracy;
      gl_db_model_version_clear (&prev);
    }
  GlMetrics *vm = r->validation;
  g_autoptr (GVariant) mv = vm ? g_variant_ref_sink (gl_metrics_to_variant (vm)) : NULL;
  g_autoptr (GBytes) blob = mv ? g_variant_get_data_as_bytes (mv) : NULL;
  GlDbModelVersion v = { .path = path,
                         .n_labels = r->n_labels,
                         .val_accuracy = vm ? vm->accuracy : NAN,
                         .macro_f1 = vm ? vm->macro_f1 : NAN,
                         .ece = vm ? vm->ece : NAN,
                         .metrics = blob };
  if (!gl_db_add_model_version (p->db, &v, &p->version, &local))
    return store_failed (error, local, "cannot record the model version");
  /* A team project: every desktop loads the trainer's file from the store. */
  if (!gl_team_model_publish (p->db, p->version, path, &local))
    return store_failed (error, local, "cannot put the model file in the team's store");
  if (vm != NULL)
    {
      g_autofree GlDbClassMetrics *cm = g_new (GlDbClassMetrics, p->n_classes);
      for (guint k = 0; k < p->n_classes; k++)
        cm[k] = (GlDbClassMetrics){ p->class_ids[k], vm->precision[k], vm->recall[k], vm->f1[k],
                                    vm->support[k] };
      g_autoptr (GBytes) confusion
          = g_bytes_new (vm->confusion, sizeof (guint32) * p->n_classes * p->n_classes);
      if (!gl_db_set_class_metrics (p->db, p->version, cm, p->n_classes, confusion, &local))
        return store_failed (error, local, "cannot store the metrics");
    }
  result->report.model_version = p->version;
  result->report.n_train = r->train_rows->len - result->drift_adapt.n_added; /* labels, not their copies */
  result->report.n_validation = r->val_rows->len;
  result->report.n_audit = r->audit_rows->len;
  result->report.epochs = r->train.epochs;
  result->report.train_seconds = r->train.seconds;
  result->report.accuracy = vm ? vm->accuracy : NAN;
  result->report.macro_f1 = vm ? vm->macro_f1 : NAN;
  result->report.audit_accuracy = r->audit ? r->audit->accuracy : NAN;
  /* The caller holds the new network from now on, and later rounds start from it. */
  g_clear_pointer (&result->net, gl_net_free);
  result->net = gl_round_steal_net (r);
  result->net_version = p->version;
  p->start = result->net;
  /* A new version, current once scored (a failure after this leaves it
   * saved, its predictions partial, and the last version current). */
  result->trained = TRUE;
  return TRUE;
}

/* The rows of the pool, then (with @held) of the held-out images. */
static guint64 *
pool_rows (ProjectRound *p, gboolean held, gsize *n_out)
{
  const GlPoolImage *images = (const GlPoolImage *)p->images->data;
  gsize n = p->pool->len + (held ? p->held->len : 0);
  guint64 *rows = g_new (guint64, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      gsize at = i < p->pool->len ? g_array_index (p->pool, gsize, i)
                                  : g_array_index (p->held, gsize, i - p->pool->len);
      rows[i] = (guint64)images[at].cache_row;
    }
  *n_out = n;
  return rows;
}

static gint64
scored_image (ProjectRound *p, gsize i)
{
  const GlPoolImage *images = (const GlPoolImage *)p->images->data;
  gsize at = i < p->pool->len ? g_array_index (p->pool, gsize, i)
                              : g_array_index (p->held, gsize, i - p->pool->len);
  return images[at].image_id;
}

static gboolean write_ranking (ProjectRound *p, gboolean scored, GError **error);

/* The rescore's first chunk is in: a ranking of the images scored so far,
 * which the queue takes while the rest is scored. */
static gboolean
rank_first_chunk (const guint8 *scored, gpointer data, GError **error)
{
  ProjectRound *p = data;
  p->partial = scored;
  gboolean ok = write_ranking (p, TRUE, error);
  p->partial = NULL;
  if (ok && p->spec->ranked != NULL)
    p->spec->ranked (p->result->queue_seq, p->spec->ranked_data);
  return ok;
}

/* Step 5 (after training, or resuming a version's rescore): the pool and
 * the held-out images (for test figures) scored by the version in chunks,
 * most relevant first (app/gl-rescore.c): the queue gets a ranking of the
 * first chunk once it is in; the predictions are written on the writer's
 * thread in transactions sized by time; the version is made current when
 * every image has its prediction (a budgeted rescore that skipped images
 * leaves it saved, not current, and resumable). */
static gboolean
score_version (ProjectRound *p, GError **error)
{
  const GlRoundProjectSpec *spec = p->spec;
  gsize n_all;
  gboolean ok;

  p->score_started_us = g_get_monotonic_time ();
  g_autofree guint64 *rows = pool_rows (p, TRUE, &n_all);
  g_autofree gint64 *ids = g_new (gint64, MAX (n_all, 1));
  g_autofree gboolean *labeled = g_new (gboolean, MAX (p->pool->len, 1));
  const GlPoolImage *images = (const GlPoolImage *)p->images->data;
  for (gsize i = 0; i < n_all; i++)
    ids[i] = scored_image (p, i);
  for (gsize i = 0; i < p->pool->len; i++)
    labeled[i] = images[g_array_index (p->pool, gsize, i)].class_id >= 0;
  double budget = spec->rescore_budget > 0 ? spec->rescore_budget
                                           : gl_db_get_setting_double (p->db, GL_DB_SETTING_RESCORE_BUDGET, 0);
  Reporter srep = { p, 0.75, 0.92 };
  GlRescoreSpec rspec = { .db_path = spec->db_path,
                          .db = p->db,
                          .writer = spec->writer,
                          .round = p->round,
                          .net = p->start,
                          .version = p->version,
                          .class_ids = p->class_ids,
                          .image_ids = ids,
                          .rows = rows,
                          .labeled = labeled,
                          .n_pool = p->pool->len,
                          .n_held = p->held->len,
                          .ranking_size = spec->ranking_size,
                          .budget = MAX (budget, 0),
                          .rank = rank_first_chunk,
                          .rank_data = p,
                          .progress = forward_progress,
                          .progress_data = &srep,
                          .cancellable = p->cancellable };
  GlRescoreResult rescore;
  ok = gl_rescore_run (&rspec, &rescore, error);
  GlTrainerReport *report = &p->result->report;
  report->n_scored = rescore.n_scored + rescore.n_resumed;
  report->n_resumed = rescore.n_resumed;
  report->n_skipped = rescore.n_skipped;
  report->rescore_budget = rspec.budget;
  report->swap_seconds = rescore.swap_seconds;
  report->score_seconds = (g_get_monotonic_time () - p->score_started_us) / 1e6;
  g_free (p->scored);
  p->scored = g_steal_pointer (&rescore.scored);
  p->current = ok && rescore.current;
  /* Saved but not whole: not current, so not a new model for the caller. */
  if (!p->current)
    p->result->trained = FALSE;
  gl_rescore_result_clear (&rescore);
  return ok;
}

/* Step 5 (ranking only), when a version's rescore was cancelled, killed
 * or cut by its budget: that version (loaded from its file) is scored
 * where it stopped and made current, as after training. FALSE: none, or
 * its model cannot be loaded (then the round ranks with the current one). */
static gboolean
resume_rescore (ProjectRound *p)
{
  GlDbRescore pending;
  GlDbModelVersion v = { 0 };
  GError *local = NULL;
  GlNet *net = NULL;

  if (!gl_db_get_rescore (p->db, &pending))
    return FALSE;
  if (gl_db_get_model_version (p->db, pending.model_id, &v, &local))
    net = gl_team_model_load (p->db, &v, &local);
  if (net != NULL && gl_net_get_n_classes (net) != p->n_classes)
    {
      g_clear_pointer (&net, gl_net_free);
      g_set_error (&local, GL_TRAINER_ERROR, GL_TRAINER_ERROR_ENGINE, "its classes changed");
    }
  if (net == NULL)
    {
      g_warning ("cannot resume the rescore of model version %" G_GINT64_FORMAT ": %s", pending.model_id,
                 local->message);
      g_clear_error (&local);
      gl_db_model_version_clear (&v);
      return FALSE;
    }
  GlRoundProjectResult *result = p->result;
  g_clear_pointer (&result->net, gl_net_free);
  result->net = net;
  result->net_version = pending.model_id;
  result->report.model_version = pending.model_id;
  result->report.accuracy = v.val_accuracy;
  result->report.macro_f1 = v.macro_f1;
  result->trained = TRUE; /* current once whole */
  p->start = net;
  p->version = pending.model_id;
  gl_db_model_version_clear (&v);
  return TRUE;
}

/* Step 5½: the version is saved, current, and every image has its
 * prediction. What looks at a whole version (a drift reference, the
 * detection of label errors) is called from here, before the ranking. */
static gboolean
after_version_scored (ProjectRound *p, GError **error)
{
  if (!p->current)
    return TRUE; /* a budgeted rescore left the version not whole */
  GlRound *r = p->round;
  gl_drift_report_after_round (p->db, p->result->net, &p->data, p->map ? gl_pixel_map_count (p->map) : 0, p->version,
                               p->class_ids, p->n_classes, (guint64 *)r->val_rows->data, (gint *)r->val_labels->data,
                               r->val_rows->len, p->options.seed, p->cancellable);
  return TRUE;
}

/* Step 5 (ranking only): the pool scored by the model the round holds. */
static gboolean
score_current (ProjectRound *p, GError **error)
{
  gsize n;
  g_autofree guint64 *rows = pool_rows (p, FALSE, &n);
  Reporter srep = { p, 0.1, 0.9 };

  report_phase (p, GL_PHASE_SCORE, 0.1);
  return gl_round_score (p->round, p->start, rows, n, 0, forward_progress, &srep, p->cancellable, error);
}

/* Step 6: the ranking written to the store's queue: the strategy's batch
 * (with its audit items) by the scores, or before any model the cold-start
 * coverage order of downsampled pixels and a random rest. */
static gboolean
write_ranking (ProjectRound *p, gboolean scored, GError **error)
{
  const GlPoolImage *images = (const GlPoolImage *)p->images->data;
  const gsize *pool_index = (const gsize *)p->pool->data;
  gsize n_pool = p->pool->len;
  guint ranking_size = p->spec->ranking_size;
  const GlDataset *data = &p->data;
  guint64 seed = p->options.seed;
  g_autofree guint8 *state = g_new (guint8, MAX (n_pool, 1));
  const guint8 *mask = p->partial != NULL ? p->partial : p->scored;
  for (gsize i = 0; i < n_pool; i++)
    state[i] = mask != NULL && !mask[i]                ? GL_ITEM_EXCLUDED
               : images[pool_index[i]].class_id >= 0 ? GL_ITEM_LABELED
                                                       : GL_ITEM_CANDIDATE;

  if (p->partial == NULL)
    report_phase (p, GL_PHASE_SCORE, 0.95);
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (GlDbQueueItem));
  if (!scored)
    {
      guint side = data->c == 1 ? 7 : 8;
      guint dimf = side * side * data->c;
      g_autofree float *features = g_new (float, MAX (n_pool, 1) * dimf);
      for (gsize i = 0; i < n_pool; i++)
        gl_acquire_downsample (data->pixels + data->row_stride * (gsize)images[pool_index[i]].cache_row, 1,
                               data->h, data->w, data->c, side, features + i * dimf);
      g_autofree gsize *order = g_new (gsize, MAX (ranking_size, 1));
      gsize got = gl_acquire_coverage_order (features, n_pool, dimf, state, ranking_size, seed, order);
      for (gsize i = 0; i < got; i++)
        {
          GlDbQueueItem it = { images[pool_index[order[i]]].image_id, (char *)"cold start", NAN, FALSE, 0 };
          g_array_append_val (items, it);
          state[order[i]] = GL_ITEM_LABELED;
        }
      /* Then a uniform sample of the rest, in random order (coverage in
       * expectation, at no cost): the queue walks it while the first round
       * trains and scores, however long that takes. */
      gsize tail = MIN (n_pool, COLD_START_TAIL);
      g_autofree gsize *drawn = g_new (gsize, MAX (tail, 1));
      gsize n_drawn = gl_acquire_random (n_pool, state, tail, seed ^ 0xc01dull, drawn);
      for (gsize i = 0; i < n_drawn; i++)
        {
          GlDbQueueItem it = { images[pool_index[drawn[i]]].image_id, (char *)"cold start", NAN, FALSE, 0 };
          g_array_append_val (items, it);
        }
    }
  else
    {
      g_autoptr (GArray) picked = gl_round_select (p->round, state, ranking_size, error);
      if (picked == NULL)
        return FALSE;
      for (guint i = 0; i < picked->len; i++)
        {
          const GlAcquireItem *a = &g_array_index (picked, GlAcquireItem, i);
          GlDbQueueItem it = { images[pool_index[a->index]].image_id,
                               (char *)(a->audit ? "audit" : gl_strategy_to_string (p->options.strategy)),
                               a->score, a->audit, 0 };
          g_array_append_val (items, it);
        }
    }
  GError *local = NULL;
  /* While the drift-boosted queue is on, a share of it is drawn from the drifted and novel images. */
  g_autoptr (GArray) boosted = scored ? gl_drift_boost_ranking (p->db, (GlDbQueueItem *)items->data, items->len, &local)
                                      : g_array_ref (items);
  if (boosted == NULL || !gl_db_replace_queue (p->db, (GlDbQueueItem *)boosted->data, boosted->len, &local))
    return store_failed (error, local, "cannot store the ranking");
  p->result->ranked = TRUE;
  /* Waiting for a lock is fine here, on the engine thread: a seq left
   * unknown would make the trainer's next poll hand the queue its own
   * ranking again. */
  p->result->queue_seq = gl_db_get_queue_seq (p->db);
  return TRUE;
}

gboolean
gl_round_run_project (const GlRoundProjectSpec *spec, GlRoundProjectResult *result,
                      GlNetProgressFunc progress, gpointer user_data, GCancellable *cancellable,
                      GError **error)
{
  ProjectRound p = { spec, result, progress, user_data, cancellable };
  gboolean ok;

  p.version = -1;
  report_phase (&p, GL_PHASE_PREPARE, 0);
  ok = take_snapshot (&p, error);
  if (ok)
    choose_start (&p);
  if (ok && spec->train)
    ok = give_labels (&p, error) && adapt (&p) && train (&p, error) && evaluate (&p, error) && save_version (&p, error)
         && score_version (&p, error) && after_version_scored (&p, error) && write_ranking (&p, TRUE, error);
  else if (ok && resume_rescore (&p))
    ok = score_version (&p, error) && after_version_scored (&p, error) && write_ranking (&p, TRUE, error);
  else if (ok)
    {
      gboolean scored = p.start != NULL && p.pool->len > 0;
      ok = (!scored || score_current (&p, error)) && write_ranking (&p, scored, error);
    }
  /* Old versions' predictions, a little each round, once the queue has its
   * ranking (labels commit between the short transactions), on the
   * writer's thread when there is one. */
  if (ok && p.current && spec->writer != NULL)
    gl_rescore_writer_prune (spec->writer, PRUNE_BUDGET_MS);
  else if (ok && p.current)
    gl_db_prune_predictions (p.db, PRUNE_BUDGET_MS, NULL, NULL);
  if (ok)
    report_phase (&p, GL_PHASE_SAVE, 1.0);
  project_round_clear (&p);
  return ok;
}
