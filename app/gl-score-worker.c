/* gl-score-worker.c — see gl-score-worker.h. */
#include "app/gl-score-worker.h"

#include "app/gl-pixel-cache.h"
#include "app/gl-round.h"
#include "app/gl-team-models.h"
#include "app/gl-trainer.h"

struct _GlScoreWorker
{
  /* All fields: the worker's thread only. */
  GlProject *project; /* borrowed */
  char *holder;       /* owned */
  guint lease_seconds;
  GlDb *db;        /* owned */
  GlPixelMap *map; /* owned, NULL while the project has no pixels */
  GlDataset data;  /* a view of @map */
  GlNet *net;      /* owned: the network of @version, NULL before the first chunk */
  gint64 version;
};

GlScoreWorker *
gl_score_worker_new (GlProject *project, const char *holder, guint lease_seconds, GError **error)
{
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), error);
  if (db == NULL || !gl_db_score_chunks_prepare (db, error))
    return NULL;
  GlScoreWorker *self = g_new0 (GlScoreWorker, 1);
  self->project = project;
  self->holder = g_strdup (holder);
  self->lease_seconds = MAX (1u, lease_seconds);
  self->db = g_steal_pointer (&db);
  self->version = -1;
  return self;
}

void
gl_score_worker_free (GlScoreWorker *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->net, gl_net_free);
  g_clear_pointer (&self->map, gl_pixel_map_free);
  g_clear_pointer (&self->db, gl_db_close);
  g_free (self->holder);
  g_free (self);
}

/* The chunk's version's network, loaded once per version. */
static gboolean
load_version (GlScoreWorker *self, gint64 version, GError **error)
{
  if (self->net != NULL && self->version == version)
    return TRUE;
  GlDbModelVersion v = { 0 };
  if (!gl_db_get_model_version (self->db, version, &v, error))
    return FALSE;
  GlNet *net = gl_team_model_load (self->db, &v, error);
  gl_db_model_version_clear (&v);
  if (net == NULL)
    return FALSE;
  g_clear_pointer (&self->net, gl_net_free);
  self->net = net;
  self->version = version;
  return TRUE;
}

static gboolean
map_pixels (GlScoreWorker *self, GError **error)
{
  if (self->map != NULL)
    return TRUE;
  self->map = gl_pixel_map_open (gl_project_get_pixels_path (self->project), error);
  if (self->map == NULL)
    return FALSE;
  gl_pixel_map_shape (self->map, &self->data.h, &self->data.w, &self->data.c);
  self->data.pixels = gl_pixel_map_data (self->map);
  self->data.row_stride = (gsize) self->data.h * self->data.w * self->data.c;
  return TRUE;
}

/* Scores @n images (@ids, @rows) with the version and writes their predictions. */
static gboolean
score_and_write (GlScoreWorker *self, const gint64 *ids, const guint64 *rows, gsize n, GCancellable *cancellable,
                 GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (self->db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  guint k = gl_net_get_n_classes (self->net);
  if (classes->len != k)
    {
      g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_STORE,
                   "model version %" G_GINT64_FORMAT " has %u classes, the project %u: the classes changed",
                   self->version, k, classes->len);
      return FALSE;
    }
  GlRoundOptions options;
  gl_round_options_init (&options);
  g_autofree char *strategy = gl_db_get_setting (self->db, GL_DB_SETTING_ACQUISITION);
  if (strategy == NULL || !gl_strategy_from_string (strategy, &options.strategy, NULL))
    options.strategy = GL_STRATEGY_DEFAULT;
  g_autoptr (GlRound) round = gl_round_new (&self->data, k, &options);
  g_autofree gsize *at = g_new (gsize, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    at[i] = i;
  gl_round_score_begin (round, self->net, n, 0);
  if (!gl_round_score_at (round, self->net, rows, at, n, TRUE, cancellable, error))
    return FALSE;
  g_autofree GlDbPrediction *predictions = g_new0 (GlDbPrediction, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      const float *pr = round->probs + i * k;
      guint top = 0;
      for (guint c = 1; c < k; c++)
        if (pr[c] > pr[top])
          top = c;
      predictions[i] = (GlDbPrediction){ ids[i], g_array_index (classes, GlDbClass, top).id, pr[top],
                                         round->scores[i], (float *) pr, k };
    }
  return gl_db_add_predictions (self->db, self->version, predictions, (guint) n, error);
}

gboolean
gl_score_worker_step (GlScoreWorker *self, GlScoreWorkerTakenFunc taken, gpointer user_data,
                      GCancellable *cancellable, gboolean *did, GlDbScoreChunk *chunk, guint64 *n_scored,
                      GError **error)
{
  *did = FALSE;
  *n_scored = 0;
  gboolean got = FALSE;
  if (!gl_db_score_chunk_take (self->db, self->holder, self->lease_seconds, chunk, &got, error))
    return FALSE;
  if (!got)
    return TRUE;
  if (taken != NULL)
    taken (chunk, user_data);
  if (!load_version (self, chunk->model_id, error) || !map_pixels (self, error))
    return FALSE;
  g_autoptr (GArray) images = g_array_new (FALSE, FALSE, sizeof (GlPoolImage));
  if (!gl_round_list_images (self->db, images, error))
    return FALSE;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint64 n_rows = gl_pixel_map_count (self->map);
  for (guint i = 0; i < images->len; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      if (im->held_out || im->image_id < chunk->first_id || im->image_id > chunk->last_id
          || (guint64) im->cache_row >= n_rows)
        continue;
      guint64 row = (guint64) im->cache_row;
      g_array_append_val (ids, im->image_id);
      g_array_append_val (rows, row);
    }
  if (ids->len > 0
      && !score_and_write (self, (gint64 *) ids->data, (guint64 *) rows->data, ids->len, cancellable, error))
    return FALSE;
  if (!gl_db_score_chunk_finish (self->db, chunk, self->holder, NULL, error))
    return FALSE;
  *did = TRUE;
  *n_scored = ids->len;
  return TRUE;
}
