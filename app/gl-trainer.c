/* gl-trainer.c — see gl-trainer.h.
 *
 * A round is one worker job (RoundJob). Its inputs are plain values copied on
 * the main thread (paths, settings, the cancellable); everything it reads
 * from the project it reads on the engine thread through its OWN store
 * connection, so the main thread never waits for it, and it snapshots the
 * labels once at its start: labels committed later belong to the next round.
 * Its outputs are written into the job data and read on the main context in
 * the completion callback, which the worker runs after the job returned.
 */
#include "app/gl-trainer.h"

#include <math.h>
#include <string.h>

#include "db/gl-db.h"
#include "engine/gl-acquire.h"
#include "engine/gl-metrics.h"
#include "engine/gl-model-file.h"
#include "engine/gl-net.h"
#include "engine/gl-worker.h"

G_DEFINE_QUARK (gl-trainer-error-quark, gl_trainer_error)

#define DEFAULT_TIME_BUDGET 20.0
#define BATCH 32
#define RANKING_MIN 100       /* items ranked per round, at least */
#define MC_PASSES 8           /* BALD */
#define COLD_START_TAIL 10000 /* random images after the coverage order (about 40 minutes of labeling) */
#define PREDICTION_TXN 2000   /* predictions per transaction */
#define POLL_SECONDS 2        /* how often an idle trainer looks for another process's model */

GType
gl_trainer_state_get_type (void)
{
  static gsize type_id;
  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { GL_TRAINER_IDLE, "GL_TRAINER_IDLE", "idle" },
        { GL_TRAINER_TRAINING, "GL_TRAINER_TRAINING", "training" },
        { GL_TRAINER_SCORING, "GL_TRAINER_SCORING", "scoring" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("GlTrainerState"), values));
    }
  return type_id;
}

struct _GlTrainer
{
  GObject parent_instance;

  /* borrowed */
  GlProject *project;

  /* owned */
  GlWorker *worker;
  GlDb *db;                  /* main thread: polls what other processes stored */
  GSource *poll;
  gint64 queue_seq;          /* of the last ranking handed over, -1 unknown */
  GCancellable *cancellable; /* of the running round, NULL when idle */
  guint64 round;             /* rounds started, seeds the round */

  GlTrainerState state;
  double fraction;
  guint epoch, n_epochs;
  double images_per_second;
  gint64 model_version;
  double accuracy;
  guint labels_pending;

  guint retrain_every;
  double time_budget;
  guint max_epochs;
  guint min_steps;
  double audit_share;

  gboolean running;
  gboolean want_train; /* a round with training is requested */
  gboolean want_rank;  /* a ranking-only round is requested */
};

G_DEFINE_FINAL_TYPE (GlTrainer, gl_trainer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_FRACTION,
  PROP_EPOCH,
  PROP_N_EPOCHS,
  PROP_IMAGES_PER_SECOND,
  PROP_MODEL_VERSION,
  PROP_ACCURACY,
  PROP_LABELS_PENDING,
  PROP_RETRAIN_EVERY,
  PROP_TIME_BUDGET,
  PROP_MAX_EPOCHS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_PROGRESS,
  SIGNAL_MODEL_READY,
  SIGNAL_RANKING_READY,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Pure helpers                                                        */
/* ------------------------------------------------------------------ */

static guint64
mix64 (guint64 z)
{
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double
id_hash01 (gint64 image_id)
{
  return (double) (mix64 ((guint64) image_id ^ 0x5eed5eedull) >> 11) / (double) (1ull << 53);
}

gboolean
gl_trainer_hash_in_share (gint64 image_id, double share)
{
  return id_hash01 (image_id) < share;
}

typedef struct
{
  double h;
  gsize i;
} HashIndex;

static int
cmp_hash_index (gconstpointer a, gconstpointer b)
{
  const HashIndex *x = a, *y = b;
  return x->h < y->h ? -1 : x->h > y->h ? 1 : (x->i > y->i) - (x->i < y->i);
}

gsize
gl_trainer_split_labels (const gint64 *ids, const gint *classes, gsize n, guint n_classes, double share,
                         gboolean *is_validation)
{
  gsize n_val = 0;
  g_autofree HashIndex *order = g_new (HashIndex, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    is_validation[i] = FALSE;
  for (guint k = 0; k < n_classes; k++)
    {
      gsize m = 0, in_share = 0;
      for (gsize i = 0; i < n; i++)
        if (classes[i] == (gint) k)
          {
            order[m].h = id_hash01 (ids[i]);
            order[m].i = i;
            in_share += order[m].h < share;
            m++;
          }
      qsort (order, m, sizeof *order, cmp_hash_index);
      /* The ids in the share, topped up (smallest hash first) to the
       * minimum when the class is large enough to spare them. */
      gsize want = in_share;
      if (share > 0 && m >= 2 * GL_TRAINER_MIN_VALIDATION)
        want = MAX (want, GL_TRAINER_MIN_VALIDATION);
      want = MIN (want, m > 0 ? m - 1 : 0); /* always keep one to train on */
      for (gsize j = 0; j < want; j++)
        is_validation[order[j].i] = TRUE;
      n_val += want;
    }
  return n_val;
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

static gboolean
list_images_db (GlDb *db, GArray *out, GError **error)
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

GArray *
gl_trainer_list_images (const char *db_path, GError **error)
{
  g_autoptr (GlDb) db = gl_db_open (db_path, error);
  if (db == NULL)
    return NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (GlPoolImage));
  if (!list_images_db (db, out, error))
    {
      g_array_unref (out);
      return NULL;
    }
  return out;
}

/* ------------------------------------------------------------------ */
/* The round (engine thread)                                           */
/* ------------------------------------------------------------------ */

typedef struct
{
  /* in (copied on the main thread) */
  GWeakRef trainer;
  char *db_path;
  char *models_dir;
  char *pixels_path;
  gboolean train;
  guint64 seed;
  guint max_epochs;
  guint min_steps;
  double time_budget;
  guint ranking_size;
  double audit_share;
  gpointer wait; /* SyncWait of gl_trainer_run_round, or NULL (main thread only) */

  /* out */
  GlTrainerReport report;
  gboolean trained;
  gboolean ranked;
  gint64 queue_seq; /* the store's after the ranking was written, -1 unknown */
  double previous_accuracy;
} RoundJob;

static void
round_job_free (gpointer data)
{
  RoundJob *j = data;
  g_weak_ref_clear (&j->trainer);
  g_free (j->db_path);
  g_free (j->models_dir);
  g_free (j->pixels_path);
  g_free (j);
}

typedef struct
{
  GlWorkerJob *job;
  double from, to; /* the share of the job this phase covers */
  double epochs;
} Reporter;

static void
forward_progress (const GlProgress *progress, gpointer data)
{
  Reporter *r = data;
  GlProgress p = *progress;
  double inner = progress->n_batches > 0 ? (double) progress->batch / (double) progress->n_batches : 0;
  if (progress->phase == GL_PHASE_TRAIN && progress->n_epochs > 0 && progress->epoch > 0)
    inner = ((progress->epoch - 1) + inner) / progress->n_epochs;
  p.fraction = r->from + (r->to - r->from) * CLAMP (inner, 0.0, 1.0);
  gl_worker_job_report (r->job, &p);
}

static void
report_phase (GlWorkerJob *job, GlPhase phase, double fraction)
{
  GlProgress p;
  gl_progress_init (&p, phase);
  p.fraction = fraction;
  gl_worker_job_report (job, &p);
}

/* What a round reads from the store. */
typedef struct
{
  guint n_classes;
  gint64 *class_ids;   /* (n_classes): index → store id */
  char **class_names;  /* (n_classes + 1) */
  GArray *images;      /* GlPoolImage, id order */
  GHashTable *index_of_class; /* store id → index + 1 (GINT_TO_POINTER) */
  GHashTable *audit;   /* image ids labeled as audit items */
  GlStrategy strategy;
  double validation_share;
  gboolean augment;
} Snapshot;

static void
snapshot_clear (Snapshot *s)
{
  g_free (s->class_ids);
  g_strfreev (s->class_names);
  g_clear_pointer (&s->images, g_array_unref);
  g_clear_pointer (&s->index_of_class, g_hash_table_unref);
  g_clear_pointer (&s->audit, g_hash_table_unref);
}

static gboolean
take_snapshot (GlDb *db, Snapshot *s, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  s->n_classes = classes->len;
  s->class_ids = g_new0 (gint64, MAX (1, classes->len));
  s->class_names = g_new0 (char *, classes->len + 1);
  s->index_of_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint k = 0; k < classes->len; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      s->class_ids[k] = c->id;
      s->class_names[k] = g_strdup (c->name);
      g_hash_table_insert (s->index_of_class, g_memdup2 (&c->id, sizeof c->id), GUINT_TO_POINTER (k + 1));
    }
  s->images = g_array_new (FALSE, FALSE, sizeof (GlPoolImage));
  if (!list_images_db (db, s->images, error))
    return FALSE;
  s->audit = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GArray) audit = gl_db_list_audit_images (db, error);
  if (audit == NULL)
    return FALSE;
  for (guint i = 0; i < audit->len; i++)
    g_hash_table_add (s->audit, g_memdup2 (&g_array_index (audit, gint64, i), sizeof (gint64)));
  g_autofree char *strategy = gl_db_get_setting (db, GL_DB_SETTING_ACQUISITION);
  if (strategy == NULL || !gl_strategy_from_string (strategy, &s->strategy, NULL))
    s->strategy = GL_STRATEGY_DEFAULT;
  s->validation_share = CLAMP (gl_db_get_setting_double (db, GL_DB_SETTING_VALIDATION_SHARE,
                                                         GL_TRAINER_DEFAULT_VALIDATION_SHARE), 0.0, 0.9);
  s->augment = gl_db_get_setting_boolean (db, GL_DB_SETTING_AUGMENTATION, TRUE);
  return TRUE;
}

static gint
class_index (Snapshot *s, gint64 class_id)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (s->index_of_class, &class_id)) - 1;
}

static gboolean
store_failed (GError **error, GError *local, const char *what)
{
  g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_STORE, "%s: %s", what, local->message);
  g_error_free (local);
  return FALSE;
}

/* The worker's model: a net and the store's model version it is. */
typedef struct
{
  GlNet *net;
  gint64 version;
} WorkerModel;

static void
worker_model_free (gpointer data)
{
  WorkerModel *m = data;
  gl_net_free (m->net);
  g_free (m);
}

static void
set_worker_model (GlWorkerJob *job, GlNet *net, gint64 version)
{
  WorkerModel *m = g_new (WorkerModel, 1);
  m->net = net;
  m->version = version;
  gl_worker_job_set_model (job, m);
}

/* The net of the store's current model version (*@version), as the worker
 * holds it or loaded when the worker holds another one: another process
 * (gleaner-cli train) may have made a newer version current. The worker's
 * net when the store has none. */
static GlNet *
current_net (GlWorkerJob *job, GlDb *db, gint64 *version, GError **error)
{
  WorkerModel *m = gl_worker_job_get_model (job);
  gint64 current = gl_db_get_current_model (db);
  if (m != NULL && (m->version == current || current < 0))
    {
      *version = m->version;
      return m->net;
    }
  if (current < 0)
    return NULL;
  GlDbModelVersion v = { 0 };
  GError *local = NULL;
  if (!gl_db_get_model_version (db, current, &v, &local))
    {
      store_failed (error, local, "cannot read the current model version");
      return NULL;
    }
  GlNet *net = gl_model_file_load (v.path, NULL, &local);
  gl_db_model_version_clear (&v);
  if (net == NULL)
    {
      store_failed (error, local, "cannot load the current model");
      return NULL;
    }
  set_worker_model (job, net, current);
  *version = current;
  return net;
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

/* Writes the ranking (the strategy's batch, or the cold-start coverage
 * order) into the store's queue. @probs, @embeddings, @mc: of @pool_index
 * items, or NULL before any model. */
static gboolean
write_ranking (GlDb *db, Snapshot *s, const GlDataset *data, const gsize *pool_index, gsize n_pool,
               const float *probs, const float *embeddings, guint dim, const float *mc, guint64 seed,
               guint ranking_size, double audit_share, GError **error)
{
  const GlPoolImage *images = (const GlPoolImage *) s->images->data;
  g_autofree guint8 *state = g_new (guint8, MAX (n_pool, 1));
  for (gsize i = 0; i < n_pool; i++)
    state[i] = images[pool_index[i]].class_id >= 0 ? GL_ITEM_LABELED : GL_ITEM_CANDIDATE;

  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (GlDbQueueItem));
  g_autoptr (GPtrArray) reasons = g_ptr_array_new_with_free_func (g_free);
  if (probs == NULL)
    {
      /* Cold start: coverage of downsampled pixels. */
      guint side = data->c == 1 ? 7 : 8;
      guint dimf = side * side * data->c;
      g_autofree float *features = g_new (float, MAX (n_pool, 1) * dimf);
      for (gsize i = 0; i < n_pool; i++)
        gl_acquire_downsample (data->pixels + data->row_stride * (gsize) images[pool_index[i]].cache_row, 1,
                               data->h, data->w, data->c, side, features + i * dimf);
      g_autofree gsize *order = g_new (gsize, ranking_size);
      gsize got = gl_acquire_coverage_order (features, n_pool, dimf, state, ranking_size, seed, order);
      for (gsize i = 0; i < got; i++)
        {
          GlDbQueueItem it = { images[pool_index[order[i]]].image_id, (char *) "cold start", NAN, FALSE, 0 };
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
          GlDbQueueItem it = { images[pool_index[drawn[i]]].image_id, (char *) "cold start", NAN, FALSE, 0 };
          g_array_append_val (items, it);
        }
    }
  else
    {
      GlAcquirePool pool = { .n = n_pool, .n_classes = s->n_classes, .state = state, .probs = probs,
                             .mc_probs = mc, .n_passes = mc ? MC_PASSES : 0, .embeddings = embeddings,
                             .dim = dim };
      GlAcquireOptions options;
      gl_acquire_options_init (&options);
      options.batch_size = ranking_size;
      options.seed = seed;
      options.audit_share = audit_share;
      g_autoptr (GArray) picked = gl_acquire_select (s->strategy, &pool, &options, error);
      if (picked == NULL)
        return FALSE;
      for (guint i = 0; i < picked->len; i++)
        {
          const GlAcquireItem *a = &g_array_index (picked, GlAcquireItem, i);
          GlDbQueueItem it = { images[pool_index[a->index]].image_id,
                               (char *) (a->audit ? "audit" : gl_strategy_to_string (s->strategy)), a->score,
                               a->audit, 0 };
          g_array_append_val (items, it);
        }
    }
  GError *local = NULL;
  if (!gl_db_replace_queue (db, (GlDbQueueItem *) items->data, items->len, &local))
    return store_failed (error, local, "cannot store the ranking");
  return TRUE;
}

static gboolean
round_run (GlWorkerJob *job, gpointer job_data, GCancellable *cancellable, GError **error)
{
  RoundJob *j = job_data;
  GError *local = NULL;
  report_phase (job, GL_PHASE_PREPARE, 0);
  g_autoptr (GlDb) db = gl_db_open (j->db_path, &local);
  if (db == NULL)
    return store_failed (error, local, "cannot open the project");
  Snapshot s = { 0 };
  if (!take_snapshot (db, &s, &local))
    {
      snapshot_clear (&s);
      return store_failed (error, local, "cannot read the project");
    }
  g_autoptr (GlPixelMap) map = gl_pixel_map_open (j->pixels_path, &local);
  if (map == NULL && s.images->len > 0)
    {
      snapshot_clear (&s);
      return store_failed (error, local, "cannot map the pixel cache");
    }
  g_clear_error (&local);
  GlDataset data = { 0 };
  if (map != NULL)
    {
      gl_pixel_map_shape (map, &data.h, &data.w, &data.c);
      data.pixels = gl_pixel_map_data (map);
      data.row_stride = (gsize) data.h * data.w * data.c;
    }
  /* Only rows the map holds (a row imported after mapping waits for the next round). */
  guint64 n_rows = map ? gl_pixel_map_count (map) : 0;
  const GlPoolImage *images = (const GlPoolImage *) s.images->data;
  g_autoptr (GArray) pool = g_array_new (FALSE, FALSE, sizeof (gsize));  /* indices into images */
  g_autoptr (GArray) held = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < s.images->len; i++)
    if ((guint64) images[i].cache_row < n_rows)
      g_array_append_val (images[i].held_out ? held : pool, i);

  gboolean ok = TRUE;
  gint64 net_version = 0;
  GlNet *net = current_net (job, db, &net_version, &local);
  if (local != NULL)
    {
      /* A model that cannot be loaded is replaced by a fresh one. */
      g_warning ("%s", local->message);
      g_clear_error (&local);
    }
  if (net != NULL && (gl_net_get_n_classes (net) != s.n_classes))
    net = NULL; /* classes changed: start over */
  j->report.warm_start = net != NULL ? net_version : 0;

  if (j->train)
    {
      /* Labels of pool images, split into training, validation and audit. */
      g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint));
      g_autoptr (GArray) audit_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr (GArray) audit_labels = g_array_new (FALSE, FALSE, sizeof (gint));
      guint64 n_labels = 0;
      for (guint i = 0; i < pool->len; i++)
        {
          const GlPoolImage *im = &images[g_array_index (pool, gsize, i)];
          gint k = im->class_id >= 0 ? class_index (&s, im->class_id) : -1;
          if (k < 0)
            continue;
          guint64 row = (guint64) im->cache_row;
          n_labels++;
          if (g_hash_table_contains (s.audit, &im->image_id))
            {
              g_array_append_val (audit_rows, row);
              g_array_append_val (audit_labels, k);
              continue;
            }
          g_array_append_val (ids, im->image_id);
          g_array_append_val (rows, row);
          g_array_append_val (labels, k);
        }
      guint n_seen = 0;
      {
        g_autofree gboolean *seen = g_new0 (gboolean, MAX (1, s.n_classes));
        for (guint i = 0; i < labels->len; i++)
          if (!seen[g_array_index (labels, gint, i)])
            seen[g_array_index (labels, gint, i)] = TRUE, n_seen++;
      }
      if (s.n_classes < 2 || n_seen < 2)
        {
          g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_NO_LABELS,
                       "nothing to train on: label images of at least two classes first");
          snapshot_clear (&s);
          return FALSE;
        }
      g_autofree gboolean *is_val = g_new (gboolean, ids->len);
      gl_trainer_split_labels ((gint64 *) ids->data, (gint *) labels->data, ids->len, s.n_classes,
                               s.validation_share, is_val);
      g_autoptr (GArray) tr_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr (GArray) tr_labels = g_array_new (FALSE, FALSE, sizeof (gint));
      g_autoptr (GArray) va_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr (GArray) va_labels = g_array_new (FALSE, FALSE, sizeof (gint));
      for (guint i = 0; i < ids->len; i++)
        {
          g_array_append_val (is_val[i] ? va_rows : tr_rows, g_array_index (rows, guint64, i));
          g_array_append_val (is_val[i] ? va_labels : tr_labels, g_array_index (labels, gint, i));
        }

      /* Warm start from a copy, so that a cancelled or failed round keeps the last model. */
      g_autoptr (GlNet) work = NULL;
      if (net != NULL)
        work = gl_net_copy (net);
      else
        {
          g_autoptr (GlNetSpec) spec = gl_net_spec_default_for_input (data.h, data.w, data.c);
          work = gl_net_new (spec, data.h, data.w, data.c, s.n_classes, j->seed, &local);
          if (work == NULL)
            {
              g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_ENGINE, "cannot build the network: %s",
                           local->message);
              g_error_free (local);
              snapshot_clear (&s);
              return FALSE;
            }
        }
      GlTrainOptions topt;
      gl_train_options_init (&topt);
      topt.batch_size = BATCH;
      guint steps_per_epoch = (tr_rows->len + BATCH - 1) / BATCH;
      topt.epochs = MAX (j->max_epochs, (j->min_steps + steps_per_epoch - 1) / MAX (steps_per_epoch, 1));
      topt.max_seconds = j->time_budget;
      topt.lr = GL_TRAINER_LR;
      topt.schedule = GL_SCHEDULE_COSINE;
      /* No flip: it changes the class of digits, letters, arrows. */
      topt.augment = s.augment ? GL_AUGMENT_CROP : GL_AUGMENT_NONE;
      topt.seed = j->seed;
      Reporter rep = { job, 0.02, 0.7, 0 };
      GlTrainReport tr;
      if (!gl_net_train (work, &data, (guint64 *) tr_rows->data, (gint *) tr_labels->data, tr_rows->len, &topt,
                         forward_progress, &rep, cancellable, &tr, &local))
        {
          if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, local);
          else
            {
              g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_ENGINE, "training failed: %s",
                           local->message);
              g_error_free (local);
            }
          snapshot_clear (&s);
          return FALSE;
        }

      /* Evaluate on validation and audit labels. */
      report_phase (job, GL_PHASE_EVALUATE, 0.7);
      g_autoptr (GlMetrics) vm = NULL;
      g_autoptr (GlMetrics) am = NULL;
      GArray *eval_rows[2] = { va_rows, audit_rows }, *eval_labels[2] = { va_labels, audit_labels };
      GlMetrics **eval_out[2] = { &vm, &am };
      for (guint e = 0; e < 2; e++)
        {
          gsize m = eval_rows[e]->len;
          if (m == 0)
            continue;
          g_autofree float *p = g_new (float, m * s.n_classes);
          if (!gl_net_predict (work, &data, (guint64 *) eval_rows[e]->data, m, p, NULL, NULL, NULL, cancellable,
                               error))
            {
              snapshot_clear (&s);
              return FALSE;
            }
          *eval_out[e] = gl_metrics_compute ((gint *) eval_labels[e]->data, p, m, s.n_classes, NULL);
        }

      /* Save the version atomically, then record it with its metrics. */
      report_phase (job, GL_PHASE_SAVE, 0.72);
      g_mkdir_with_parents (j->models_dir, 0755);
      g_autofree char *path = model_file_path (j->models_dir, db);
      GlModelMeta meta;
      gl_model_meta_init (&meta);
      meta.class_names = g_strdupv (s.class_names);
      meta.n_labels = n_labels;
      meta.extra = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (meta.extra, g_strdup ("validation_labels"), g_strdup_printf ("%u", va_rows->len));
      g_hash_table_insert (meta.extra, g_strdup ("audit_labels"), g_strdup_printf ("%u", audit_rows->len));
      if (am != NULL)
        g_hash_table_insert (meta.extra, g_strdup ("audit_accuracy"), g_strdup_printf ("%.6f", am->accuracy));
      g_hash_table_insert (meta.extra, g_strdup ("strategy"), g_strdup (gl_strategy_to_string (s.strategy)));
      g_hash_table_insert (meta.extra, g_strdup ("warm_start"),
                           g_strdup_printf ("%" G_GINT64_FORMAT, j->report.warm_start));
      ok = gl_model_file_save (work, &meta, path, &local);
      gl_model_meta_clear (&meta);
      if (!ok)
        {
          snapshot_clear (&s);
          return store_failed (error, local, "cannot save the model");
        }
      j->previous_accuracy = NAN;
      gint64 prev_id = gl_db_get_current_model (db);
      GlDbModelVersion prev = { 0 };
      if (prev_id >= 0 && gl_db_get_model_version (db, prev_id, &prev, NULL))
        {
          j->previous_accuracy = prev.val_accuracy;
          gl_db_model_version_clear (&prev);
        }
      g_autoptr (GVariant) mv = vm ? g_variant_ref_sink (gl_metrics_to_variant (vm)) : NULL;
      g_autoptr (GBytes) blob = mv ? g_variant_get_data_as_bytes (mv) : NULL;
      GlDbModelVersion v = { .path = path, .n_labels = n_labels, .val_accuracy = vm ? vm->accuracy : NAN,
                             .macro_f1 = vm ? vm->macro_f1 : NAN, .ece = vm ? vm->ece : NAN, .metrics = blob };
      gint64 version;
      if (!gl_db_add_model_version (db, &v, &version, &local))
        {
          snapshot_clear (&s);
          return store_failed (error, local, "cannot record the model version");
        }
      if (vm != NULL)
        {
          g_autofree GlDbClassMetrics *cm = g_new (GlDbClassMetrics, s.n_classes);
          for (guint k = 0; k < s.n_classes; k++)
            cm[k] = (GlDbClassMetrics) { s.class_ids[k], vm->precision[k], vm->recall[k], vm->f1[k],
                                         vm->support[k] };
          g_autoptr (GBytes) confusion = g_bytes_new (vm->confusion,
                                                      sizeof (guint32) * s.n_classes * s.n_classes);
          if (!gl_db_set_class_metrics (db, version, cm, s.n_classes, confusion, &local))
            {
              snapshot_clear (&s);
              return store_failed (error, local, "cannot store the metrics");
            }
        }
      j->trained = TRUE;
      j->report.model_version = version;
      j->report.n_train = tr_rows->len;
      j->report.n_validation = va_rows->len;
      j->report.epochs = tr.epochs;
      j->report.train_seconds = tr.seconds;
      j->report.accuracy = vm ? vm->accuracy : NAN;
      j->report.macro_f1 = vm ? vm->macro_f1 : NAN;
      j->report.audit_accuracy = am ? am->accuracy : NAN;
      net = work;
      set_worker_model (job, g_steal_pointer (&work), version);

      /* Rescore the pool (and the held-out images, for test figures). */
      gint64 t0 = g_get_monotonic_time ();
      gsize n_all = pool->len + held->len;
      g_autofree guint64 *all_rows = g_new (guint64, MAX (n_all, 1));
      g_autofree gsize *all_index = g_new (gsize, MAX (n_all, 1));
      for (gsize i = 0; i < n_all; i++)
        {
          all_index[i] = i < pool->len ? g_array_index (pool, gsize, i) : g_array_index (held, gsize, i - pool->len);
          all_rows[i] = (guint64) images[all_index[i]].cache_row;
        }
      guint dim = gl_net_get_embedding_dim (net);
      g_autofree float *probs = g_new (float, MAX (n_all, 1) * s.n_classes);
      g_autofree float *emb = g_new (float, MAX (pool->len, 1) * (gsize) dim);
      Reporter srep = { job, 0.75, 0.9, 0 };
      if (!gl_net_predict (net, &data, all_rows, pool->len, probs, emb, forward_progress, &srep, cancellable, error)
          || (held->len > 0
              && !gl_net_predict (net, &data, all_rows + pool->len, held->len, probs + pool->len * s.n_classes,
                                  NULL, NULL, NULL, cancellable, error)))
        {
          snapshot_clear (&s);
          return FALSE;
        }
      g_autofree float *mc = NULL;
      if (s.strategy == GL_STRATEGY_BALD)
        {
          mc = g_new (float, (gsize) MC_PASSES * MAX (pool->len, 1) * s.n_classes);
          if (!gl_net_predict_mc (net, &data, all_rows, pool->len, MC_PASSES, j->seed, mc, NULL, NULL, NULL,
                                  cancellable, error))
            {
              snapshot_clear (&s);
              return FALSE;
            }
        }
      g_autofree float *scores = g_new (float, MAX (n_all, 1));
      GlAcquirePool sp = { .n = n_all, .n_classes = s.n_classes, .probs = probs };
      gl_acquire_scores (GL_STRATEGY_MARGIN, &sp, scores, NULL);
      if (mc != NULL)
        gl_acquire_bald (mc, MC_PASSES, pool->len, s.n_classes, scores);
      else if (s.strategy == GL_STRATEGY_LEAST_CONFIDENCE || s.strategy == GL_STRATEGY_ENTROPY)
        gl_acquire_scores (s.strategy, &sp, scores, NULL);

      /* Predictions in batched transactions. */
      report_phase (job, GL_PHASE_SAVE, 0.9);
      g_autofree GlDbPrediction *batch = g_new0 (GlDbPrediction, PREDICTION_TXN);
      for (gsize i = 0; i < n_all && ok; i += PREDICTION_TXN)
        {
          guint m = (guint) MIN ((gsize) PREDICTION_TXN, n_all - i);
          for (guint b = 0; b < m; b++)
            {
              const float *p = probs + (i + b) * s.n_classes;
              guint top = 0;
              for (guint k = 1; k < s.n_classes; k++)
                if (p[k] > p[top])
                  top = k;
              batch[b] = (GlDbPrediction) { images[all_index[i + b]].image_id, s.class_ids[top], p[top],
                                            scores[i + b], (float *) p, s.n_classes };
            }
          ok = gl_db_add_predictions (db, version, batch, m, &local);
          if (g_cancellable_is_cancelled (cancellable))
            break;
        }
      if (!ok || !gl_db_set_current_model (db, version, &local))
        {
          snapshot_clear (&s);
          return store_failed (error, local, "cannot store the predictions");
        }
      j->report.n_scored = n_all;

      report_phase (job, GL_PHASE_SCORE, 0.95);
      g_autofree gsize *pool_index = g_memdup2 (pool->data, sizeof (gsize) * MAX (pool->len, 1));
      ok = write_ranking (db, &s, &data, pool_index, pool->len, probs, emb, dim, mc, j->seed, j->ranking_size,
                          j->audit_share, error);
      j->report.score_seconds = (g_get_monotonic_time () - t0) / 1e6;
    }
  else
    {
      /* Rank only: with the current model's scores, or for coverage. */
      report_phase (job, GL_PHASE_SCORE, 0.1);
      g_autofree guint64 *rows = g_new (guint64, MAX (pool->len, 1));
      for (guint i = 0; i < pool->len; i++)
        rows[i] = (guint64) images[g_array_index (pool, gsize, i)].cache_row;
      g_autofree float *probs = NULL;
      g_autofree float *emb = NULL;
      g_autofree float *mc = NULL;
      guint dim = 0;
      if (net != NULL && pool->len > 0)
        {
          dim = gl_net_get_embedding_dim (net);
          probs = g_new (float, pool->len * s.n_classes);
          emb = g_new (float, pool->len * (gsize) dim);
          Reporter srep = { job, 0.1, 0.9, 0 };
          if (!gl_net_predict (net, &data, rows, pool->len, probs, emb, forward_progress, &srep, cancellable, error))
            {
              snapshot_clear (&s);
              return FALSE;
            }
          if (s.strategy == GL_STRATEGY_BALD)
            {
              mc = g_new (float, (gsize) MC_PASSES * pool->len * s.n_classes);
              if (!gl_net_predict_mc (net, &data, rows, pool->len, MC_PASSES, j->seed, mc, NULL, NULL, NULL,
                                      cancellable, error))
                {
                  snapshot_clear (&s);
                  return FALSE;
                }
            }
        }
      g_autofree gsize *pool_index = g_memdup2 (pool->data, sizeof (gsize) * MAX (pool->len, 1));
      ok = write_ranking (db, &s, &data, pool_index, pool->len, probs, emb, dim, mc, j->seed, j->ranking_size,
                          j->audit_share, error);
    }
  j->ranked = ok;
  /* Waiting for a lock is fine here, on the worker: a seq left unknown would
   * make the next poll hand the queue its own ranking again. */
  if (ok)
    j->queue_seq = gl_db_get_queue_seq (db);
  report_phase (job, GL_PHASE_SAVE, 1.0);
  snapshot_clear (&s);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Main thread                                                         */
/* ------------------------------------------------------------------ */

static void maybe_start (GlTrainer *self);

static void
set_state (GlTrainer *self, GlTrainerState state)
{
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
    }
}

static void
on_round_progress (const GlProgress *progress, gpointer user_data)
{
  RoundJob *j = user_data;
  g_autoptr (GlTrainer) self = g_weak_ref_get (&j->trainer);
  if (self == NULL)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  set_state (self, progress->phase == GL_PHASE_TRAIN || progress->phase == GL_PHASE_PREPARE
                     ? (j->train ? GL_TRAINER_TRAINING : GL_TRAINER_SCORING)
                     : progress->phase == GL_PHASE_EVALUATE ? GL_TRAINER_TRAINING : GL_TRAINER_SCORING);
  self->fraction = progress->fraction;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FRACTION]);
  if (progress->phase == GL_PHASE_TRAIN)
    {
      self->epoch = progress->epoch;
      self->n_epochs = progress->n_epochs;
      self->images_per_second = progress->images_per_second;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_EPOCH]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_EPOCHS]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IMAGES_PER_SECOND]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
  GlTrainerReport report;
} SyncWait;

static void
on_round_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RoundJob *j = gl_worker_result_get_job_data (result);
  SyncWait *wait = j->wait;
  GError *error = NULL;
  gboolean ok = gl_worker_run_finish (NULL, result, &error);
  g_autoptr (GlTrainer) self = g_weak_ref_get (&j->trainer);
  if (wait != NULL)
    {
      wait->done = TRUE;
      wait->ok = ok;
      wait->report = j->report;
      if (!ok)
        wait->error = g_error_copy (error);
    }
  if (self == NULL)
    {
      g_clear_error (&error);
      return;
    }
  self->running = FALSE;
  g_clear_object (&self->cancellable);
  g_object_freeze_notify (G_OBJECT (self));
  set_state (self, GL_TRAINER_IDLE);
  self->fraction = -1;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FRACTION]);
  if (j->trained)
    {
      self->model_version = j->report.model_version;
      self->accuracy = j->report.accuracy;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL_VERSION]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACCURACY]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  if (j->trained)
    g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, j->report.model_version, j->report.accuracy,
                   j->previous_accuracy);
  if (j->ranked)
    {
      self->queue_seq = j->queue_seq;
      g_signal_emit (self, signals[SIGNAL_RANKING_READY], 0);
    }
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
  g_clear_error (&error);
  if (wait == NULL)
    maybe_start (self);
}

static RoundJob *
new_job (GlTrainer *self, gboolean train)
{
  RoundJob *j = g_new0 (RoundJob, 1);
  g_weak_ref_init (&j->trainer, self);
  j->db_path = g_strdup (gl_project_get_db_path (self->project));
  j->models_dir = g_strdup (gl_project_get_models_dir (self->project));
  j->pixels_path = g_strdup (gl_project_get_pixels_path (self->project));
  j->train = train;
  j->seed = ++self->round;
  j->max_epochs = self->max_epochs;
  j->min_steps = self->min_steps;
  j->time_budget = self->time_budget;
  j->ranking_size = MAX (RANKING_MIN, 2 * self->retrain_every);
  j->audit_share = self->audit_share;
  j->report.accuracy = j->report.macro_f1 = j->report.audit_accuracy = NAN;
  j->previous_accuracy = NAN;
  j->queue_seq = -1;
  return j;
}

static void
start_round (GlTrainer *self, gboolean train, SyncWait *wait)
{
  /* The round's own figures from its start, not the last round's until its
   * first progress report: nothing done, epochs and speed not known yet;
   * notified together with the state. */
  g_object_freeze_notify (G_OBJECT (self));
  self->running = TRUE;
  if (train)
    {
      self->want_train = FALSE;
      self->labels_pending = 0;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LABELS_PENDING]);
    }
  self->want_rank = FALSE;
  self->cancellable = g_cancellable_new ();
  self->fraction = 0.0;
  self->epoch = self->n_epochs = 0;
  self->images_per_second = NAN;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FRACTION]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_EPOCH]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_EPOCHS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IMAGES_PER_SECOND]);
  set_state (self, train ? GL_TRAINER_TRAINING : GL_TRAINER_SCORING);
  g_object_thaw_notify (G_OBJECT (self));
  RoundJob *j = new_job (self, train);
  j->wait = wait;
  gl_worker_run_async (self->worker, round_run, j, round_job_free, self->cancellable, on_round_progress,
                       on_round_done, j);
}

static void
maybe_start (GlTrainer *self)
{
  if (self->running)
    return;
  if (self->want_train)
    start_round (self, TRUE, NULL);
  else if (self->want_rank)
    start_round (self, FALSE, NULL);
}

void
gl_trainer_count_labels (GlTrainer *self, guint n)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->labels_pending += n;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LABELS_PENDING]);
  if (self->retrain_every > 0 && self->labels_pending >= self->retrain_every)
    {
      self->want_train = TRUE;
      maybe_start (self);
    }
}

void
gl_trainer_train_now (GlTrainer *self)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->want_train = TRUE;
  maybe_start (self);
}

void
gl_trainer_rank_now (GlTrainer *self)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->want_rank = TRUE;
  maybe_start (self);
}

void
gl_trainer_cancel (GlTrainer *self)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->want_train = FALSE;
  self->want_rank = FALSE;
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

/* Another process (gleaner-cli train) may make a new model version current
 * and store a ranking by it. An idle trainer takes the version over (its
 * properties and "model-ready"; its next round warm-starts from it, see
 * current_net) and hands the ranking over as after its own rounds. While a
 * round runs nothing is taken: the round finishes and stores its version and
 * ranking as without the other process; a newer one from the other process
 * is taken after it. */
static gboolean
poll_store (gpointer data)
{
  GlTrainer *self = data;
  GlDbPoll poll;
  if (self->running || !gl_db_try_poll (self->db, &poll))
    return G_SOURCE_CONTINUE;
  if (poll.model_id >= 0 && poll.model_id != self->model_version)
    {
      double previous = self->accuracy;
      g_object_freeze_notify (G_OBJECT (self));
      self->model_version = poll.model_id;
      self->accuracy = poll.val_accuracy;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL_VERSION]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACCURACY]);
      g_object_thaw_notify (G_OBJECT (self));
      g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, poll.model_id, poll.val_accuracy, previous);
    }
  /* A handler may have started a round, which hands over its own ranking. */
  if (!self->running && poll.queue_seq != self->queue_seq)
    {
      self->queue_seq = poll.queue_seq;
      g_signal_emit (self, signals[SIGNAL_RANKING_READY], 0);
    }
  return G_SOURCE_CONTINUE;
}

static void
cancel_other (GCancellable *cancellable, gpointer other)
{
  g_cancellable_cancel (other);
}

gboolean
gl_trainer_run_round (GlTrainer *self, gboolean train, GlTrainerReport *report, GCancellable *cancellable,
                      GError **error)
{
  g_return_val_if_fail (GL_IS_TRAINER (self), FALSE);
  if (self->running)
    {
      g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_BUSY, "a training round is running already");
      return FALSE;
    }
  SyncWait wait = { 0 };
  start_round (self, train, &wait);
  gulong id = cancellable ? g_cancellable_connect (cancellable, G_CALLBACK (cancel_other),
                                                   g_object_ref (self->cancellable), g_object_unref)
                          : 0;
  GMainContext *ctx = g_main_context_ref_thread_default ();
  while (!wait.done)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_unref (ctx);
  if (cancellable)
    g_cancellable_disconnect (cancellable, id);
  if (report)
    *report = wait.report;
  if (!wait.ok)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */
/* ------------------------------------------------------------------ */

GlTrainer *
gl_trainer_new (GlProject *project, GError **error)
{
  GlDb *db = gl_db_open (gl_project_get_db_path (project), error);
  if (db == NULL)
    return NULL;
  GlTrainer *self = g_object_new (GL_TYPE_TRAINER, NULL);
  self->project = project;
  self->db = db;
  self->worker = gl_worker_new (0, worker_model_free);
  self->retrain_every = (guint) CLAMP (gl_db_get_setting_int (db, GL_DB_SETTING_RETRAIN_EVERY,
                                                              GL_TRAINER_DEFAULT_RETRAIN_EVERY), 0, 1000000);
  gint64 current = gl_db_get_current_model (db);
  if (current >= 0)
    {
      GlDbModelVersion v = { 0 };
      if (gl_db_get_model_version (db, current, &v, NULL))
        {
          self->model_version = current;
          self->accuracy = v.val_accuracy;
          gl_db_model_version_clear (&v);
        }
    }
  self->queue_seq = gl_db_get_queue_seq (db);
  self->poll = g_timeout_source_new_seconds (POLL_SECONDS);
  g_source_set_callback (self->poll, poll_store, self, NULL);
  g_source_attach (self->poll, g_main_context_get_thread_default ());
  return self;
}

static void
gl_trainer_dispose (GObject *object)
{
  GlTrainer *self = GL_TRAINER (object);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->poll != NULL)
    g_source_destroy (self->poll);
  g_clear_pointer (&self->poll, g_source_unref);
  g_clear_pointer (&self->worker, gl_worker_free);
  g_clear_pointer (&self->db, gl_db_close);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (gl_trainer_parent_class)->dispose (object);
}

static void
gl_trainer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlTrainer *self = GL_TRAINER (object);
  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_FRACTION: g_value_set_double (value, self->fraction); break;
    case PROP_EPOCH: g_value_set_uint (value, self->epoch); break;
    case PROP_N_EPOCHS: g_value_set_uint (value, self->n_epochs); break;
    case PROP_IMAGES_PER_SECOND: g_value_set_double (value, self->images_per_second); break;
    case PROP_MODEL_VERSION: g_value_set_int64 (value, self->model_version); break;
    case PROP_ACCURACY: g_value_set_double (value, self->accuracy); break;
    case PROP_LABELS_PENDING: g_value_set_uint (value, self->labels_pending); break;
    case PROP_RETRAIN_EVERY: g_value_set_uint (value, self->retrain_every); break;
    case PROP_TIME_BUDGET: g_value_set_double (value, self->time_budget); break;
    case PROP_MAX_EPOCHS: g_value_set_uint (value, self->max_epochs); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gl_trainer_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlTrainer *self = GL_TRAINER (object);
  switch (prop_id)
    {
    case PROP_RETRAIN_EVERY: gl_trainer_set_retrain_every (self, g_value_get_uint (value)); break;
    case PROP_TIME_BUDGET: gl_trainer_set_time_budget (self, g_value_get_double (value)); break;
    case PROP_MAX_EPOCHS: gl_trainer_set_max_epochs (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gl_trainer_class_init (GlTrainerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = gl_trainer_dispose;
  object_class->get_property = gl_trainer_get_property;
  object_class->set_property = gl_trainer_set_property;

  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GL_TYPE_TRAINER_STATE, GL_TRAINER_IDLE, ro);
  props[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, -1, 1, -1, ro);
  props[PROP_EPOCH] = g_param_spec_uint ("epoch", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_N_EPOCHS] = g_param_spec_uint ("n-epochs", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_IMAGES_PER_SECOND] = g_param_spec_double ("images-per-second", NULL, NULL, -G_MAXDOUBLE,
                                                       G_MAXDOUBLE, 0, ro);
  props[PROP_MODEL_VERSION] = g_param_spec_int64 ("model-version", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_ACCURACY] = g_param_spec_double ("accuracy", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  props[PROP_LABELS_PENDING] = g_param_spec_uint ("labels-pending", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_RETRAIN_EVERY] = g_param_spec_uint ("retrain-every", NULL, NULL, 0, G_MAXUINT,
                                                 GL_TRAINER_DEFAULT_RETRAIN_EVERY, rw);
  props[PROP_TIME_BUDGET] = g_param_spec_double ("time-budget", NULL, NULL, 0, G_MAXDOUBLE, DEFAULT_TIME_BUDGET,
                                                 rw);
  props[PROP_MAX_EPOCHS] = g_param_spec_uint ("max-epochs", NULL, NULL, 1, G_MAXUINT, GL_TRAINER_DEFAULT_EPOCHS, rw);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                           NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MODEL_READY] = g_signal_new ("model-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_DOUBLE,
                                              G_TYPE_DOUBLE);
  signals[SIGNAL_RANKING_READY] = g_signal_new ("ranking-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
gl_trainer_init (GlTrainer *self)
{
  self->fraction = -1;
  self->images_per_second = NAN;
  self->accuracy = NAN;
  self->retrain_every = GL_TRAINER_DEFAULT_RETRAIN_EVERY;
  self->time_budget = DEFAULT_TIME_BUDGET;
  self->max_epochs = GL_TRAINER_DEFAULT_EPOCHS;
  self->min_steps = GL_TRAINER_DEFAULT_MIN_STEPS;
  self->audit_share = GL_TRAINER_DEFAULT_AUDIT_SHARE;
}

void
gl_trainer_set_min_steps (GlTrainer *self, guint steps)
{
  self->min_steps = steps;
}

GlTrainerState gl_trainer_get_state (GlTrainer *self) { return self->state; }
double gl_trainer_get_fraction (GlTrainer *self) { return self->fraction; }
guint gl_trainer_get_epoch (GlTrainer *self) { return self->epoch; }
guint gl_trainer_get_n_epochs (GlTrainer *self) { return self->n_epochs; }
double gl_trainer_get_images_per_second (GlTrainer *self) { return self->images_per_second; }
gint64 gl_trainer_get_model_version (GlTrainer *self) { return self->model_version; }
double gl_trainer_get_accuracy (GlTrainer *self) { return self->accuracy; }
guint gl_trainer_get_labels_pending (GlTrainer *self) { return self->labels_pending; }
guint gl_trainer_get_retrain_every (GlTrainer *self) { return self->retrain_every; }
double gl_trainer_get_time_budget (GlTrainer *self) { return self->time_budget; }
guint gl_trainer_get_max_epochs (GlTrainer *self) { return self->max_epochs; }

void
gl_trainer_set_retrain_every (GlTrainer *self, guint n_labels)
{
  if (self->retrain_every == n_labels)
    return;
  self->retrain_every = n_labels;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RETRAIN_EVERY]);
}

void
gl_trainer_set_time_budget (GlTrainer *self, double seconds)
{
  if (self->time_budget == seconds)
    return;
  self->time_budget = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TIME_BUDGET]);
}

void
gl_trainer_set_max_epochs (GlTrainer *self, guint n_epochs)
{
  n_epochs = MAX (n_epochs, 1);
  if (self->max_epochs == n_epochs)
    return;
  self->max_epochs = n_epochs;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_EPOCHS]);
}

void
gl_trainer_set_audit_share (GlTrainer *self, double share)
{
  self->audit_share = isfinite (share) ? CLAMP (share, 0.0, 1.0) : GL_TRAINER_DEFAULT_AUDIT_SHARE;
}

double
gl_trainer_get_audit_share (GlTrainer *self)
{
  return self->audit_share;
}

void
gl_trainer_set_n_threads (GlTrainer *self, guint n_threads)
{
  gl_worker_set_n_threads (self->worker, n_threads);
}

guint
gl_trainer_get_n_threads (GlTrainer *self)
{
  return gl_worker_get_n_threads (self->worker);
}

gboolean
gl_trainer_set_validation_share (GlTrainer *self, double share, GError **error)
{
  if (!(share >= 0.0 && share <= 0.9))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "The validation share %g is outside 0…0.9",
                   share);
      return FALSE;
    }
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr (text, sizeof text, share);
  return gl_project_set_setting (self->project, GL_DB_SETTING_VALIDATION_SHARE, text, error);
}

double
gl_trainer_get_validation_share (GlTrainer *self)
{
  return CLAMP (gl_db_get_setting_double (gl_project_get_db (self->project), GL_DB_SETTING_VALIDATION_SHARE,
                                          GL_TRAINER_DEFAULT_VALIDATION_SHARE), 0.0, 0.9);
}

gboolean
gl_trainer_set_augmentation (GlTrainer *self, gboolean augment, GError **error)
{
  return gl_project_set_setting (self->project, GL_DB_SETTING_AUGMENTATION, augment ? "1" : "0", error);
}

gboolean
gl_trainer_get_augmentation (GlTrainer *self)
{
  return gl_db_get_setting_boolean (gl_project_get_db (self->project), GL_DB_SETTING_AUGMENTATION, TRUE);
}
