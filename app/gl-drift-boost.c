/* gl-drift-boost.c — the drift-boosted queue. See gl-drift-boost.h. */
#include "app/gl-drift-boost.h"

#include "app/gl-drift-auto.h"
#include "engine/gl-drift-domain.h"
#include "engine/gl-drift.h"
#include "engine/gl-metrics.h"

#include <math.h>
#include <string.h>

/* Euclidean distance of @x to @c, @dim wide. */
static double
distance (const float *x, const double *c, guint dim)
{
  double s = 0.0;

  for (guint d = 0; d < dim; d++)
    s += ((double)x[d] - c[d]) * ((double)x[d] - c[d]);
  return sqrt (s);
}

/* The reference centroid of class @cls, its @q-th percentile distance
 * (*@cut) and its median distance (*@median); FALSE when fewer than
 * @min_class reference rows are predicted as @cls. */
static gboolean
class_cut (const GlDriftSample *ref, guint cls, guint min_class, double q, double *centroid, double *cut,
           double *median)
{
  g_autofree gsize *rows = g_new (gsize, MAX (ref->n, (gsize)1));
  g_autofree double *dist = NULL;
  gsize m = 0;

  for (gsize i = 0; i < ref->n; i++)
    if (gl_metrics_argmax (ref->probs + i * ref->n_classes, ref->n_classes) == cls)
      rows[m++] = i;
  if (m < MAX (min_class, 1u))
    return FALSE;
  for (guint d = 0; d < ref->dim; d++)
    centroid[d] = 0.0;
  for (gsize j = 0; j < m; j++)
    for (guint d = 0; d < ref->dim; d++)
      centroid[d] += ref->embedding[rows[j] * ref->dim + d] / (double)m;
  dist = g_new (double, m);
  for (gsize j = 0; j < m; j++)
    dist[j] = distance (ref->embedding + rows[j] * ref->dim, centroid, ref->dim);
  *cut = gl_drift_percentile (dist, m, q);
  *median = gl_drift_percentile (dist, m, 50.0);
  return *cut > 0.0;
}

/* Neighbours of the domain score (engine/gl-drift-domain.h). */
#define DOMAIN_K 10
/* Domain score from which an image is a candidate (the window's density is
 * at least twice the reference's there) and from which it is a new kind of
 * image (five times: at least 80% of it is new). */
#define DOMAIN_CANDIDATE 0.5
#define DOMAIN_NOVEL 0.8

GArray *
gl_drift_boost_candidates (const GlDriftSample *reference, const GlDriftSample *window,
                           const gint64 *image_ids, const gint64 *class_ids, const gboolean *drifted,
                           guint min_class, double novelty_q)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (GlDbDriftCandidate));
  guint k = window->n_classes, dim = window->dim;
  gboolean with_embedding = reference->dim > 0 && reference->dim == dim && reference->embedding != NULL
                            && window->embedding != NULL && reference->n_classes == k;
  gsize n = window->n, m = 0;
  g_autofree double *centroids = g_new0 (double, (gsize)k *MAX (dim, 1u));
  g_autofree double *cuts = g_new (double, MAX (k, 1u));
  g_autofree double *medians = g_new (double, MAX (k, 1u));
  g_autofree gboolean *has_cut = g_new0 (gboolean, MAX (k, 1u));
  g_autofree double *domain = g_new0 (double, MAX (n, (gsize)1));
  g_autofree double *priority = g_new (double, MAX (n, (gsize)1));
  g_autofree float *x = g_new (float, MAX (n, (gsize)1) * MAX (dim, 1u));
  g_autofree double *gain = g_new (double, MAX (n, (gsize)1));

  for (guint c = 0; with_embedding && c < k; c++)
    has_cut[c] = class_cut (reference, c, min_class, novelty_q, centroids + (gsize)c * dim, &cuts[c], &medians[c]);
  if (with_embedding)
    gl_drift_domain_scores (reference->embedding, reference->n, window->embedding, n, dim, DOMAIN_K, domain);
  for (gsize i = 0; i < n; i++)
    {
      const float *p = window->probs + i * k;
      guint c = gl_metrics_argmax (p, k);
      double dist = has_cut[c] ? distance (window->embedding + i * dim, centroids + (gsize)c * dim, dim) : NAN;
      gboolean novel = (has_cut[c] && dist > cuts[c]) || domain[i] >= DOMAIN_NOVEL;
      /* Of a drifted class, the images farther out than the reference's
       * median: those near the centroid look like the reference. */
      gboolean outlying = drifted[c] && (!has_cut[c] || dist > medians[c]);

      if (novel || outlying || domain[i] >= DOMAIN_CANDIDATE)
        {
          GlDbDriftCandidate cand = { image_ids[i], class_ids[c], novel, has_cut[c] ? dist / cuts[c] : NAN, NAN };
          g_array_append_val (out, cand);
          priority[m] = domain[i] + (1.0 - domain[i]) * (1.0 - (double)p[c]);
          if (with_embedding)
            memcpy (x + m * dim, window->embedding + i * dim, dim * sizeof (float));
          m++;
        }
    }
  /* About √m clusters of about √m images. Without an embedding: by
   * priority alone. */
  gl_drift_domain_allocate (x, m, with_embedding ? dim : 0, priority, (guint)lround (sqrt ((double)m)), gain, NULL);
  for (gsize j = 0; j < m; j++)
    g_array_index (out, GlDbDriftCandidate, j).priority = gain[j];
  return out;
}

static void
item_clear (gpointer data)
{
  g_free (((GlDbQueueItem *)data)->reason);
}

/* A new ranking array whose reasons it owns. */
static GArray *
ranking_new (guint reserve)
{
  GArray *out = g_array_sized_new (FALSE, TRUE, sizeof (GlDbQueueItem), reserve);

  g_array_set_clear_func (out, item_clear);
  return out;
}

static void
append_item (GArray *out, const GlDbQueueItem *it, char *reason_owned)
{
  GlDbQueueItem copy = *it;

  copy.reason = reason_owned != NULL ? reason_owned : g_strdup (it->reason ? it->reason : "");
  g_array_append_val (out, copy);
}

/* "drift: Sneaker, new kind of image" or "drift: Sneaker". */
static char *
candidate_reason (GHashTable *names, const GlDbDriftCandidate *c)
{
  const char *name = names ? g_hash_table_lookup (names, &c->class_id) : NULL;

  return g_strdup_printf ("drift: %s%s", name ? name : "unknown class",
                          c->novel ? ", new kind of image" : "");
}

GHashTable *
gl_drift_class_names (GlDb *db, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, error);
  GHashTable *names;

  if (classes == NULL)
    return NULL;
  names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  for (guint i = 0; i < classes->len; i++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      g_hash_table_insert (names, g_memdup2 (&c->id, sizeof c->id), g_strdup (c->name));
    }
  return names;
}

GArray *
gl_drift_boost_interleave (const GlDbQueueItem *items, guint n, const GlDbDriftCandidate *cands,
                           guint n_cands, GHashTable *names, double share)
{
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  GArray *out = ranking_new (n);
  guint n_slots = 0, emitted = 0, boosted = 0, ci = 0;

  share = CLAMP (share, 0.0, 1.0);
  /* Audit items keep their places: no candidate takes an audit image. */
  for (guint i = 0; i < n; i++)
    {
      n_slots += !items[i].audit;
      if (items[i].audit)
        g_hash_table_add (used, g_memdup2 (&items[i].image_id, sizeof items[i].image_id));
    }
  for (guint i = 0; i < n; i++)
    {
      const GlDbQueueItem *b = &items[i];

      if (b->audit)
        {
          append_item (out, b, NULL);
          continue;
        }
      /* Candidates first while their share of the places so far is below @share. */
      while (ci < n_cands && emitted < n_slots && (double)boosted < share * (double)(emitted + 1))
        {
          const GlDbDriftCandidate *c = &cands[ci++];
          GlDbQueueItem it = { c->image_id, NULL, NAN, FALSE, 0 };

          if (!g_hash_table_add (used, g_memdup2 (&c->image_id, sizeof c->image_id)))
            continue;
          append_item (out, &it, candidate_reason (names, c));
          boosted++;
          emitted++;
        }
      if (emitted < n_slots && !g_hash_table_contains (used, &b->image_id))
        {
          g_hash_table_add (used, g_memdup2 (&b->image_id, sizeof b->image_id));
          append_item (out, b, NULL);
          emitted++;
        }
    }
  /* Items that were candidates too were placed once: the places they leave
   * go to the next candidates, so the ranking keeps its length. */
  while (ci < n_cands && emitted < n_slots)
    {
      const GlDbDriftCandidate *c = &cands[ci++];
      GlDbQueueItem it = { c->image_id, NULL, NAN, FALSE, 0 };

      if (!g_hash_table_add (used, g_memdup2 (&c->image_id, sizeof c->image_id)))
        continue;
      append_item (out, &it, candidate_reason (names, c));
      emitted++;
    }
  return out;
}

GArray *
gl_drift_boost_merge (GlDb *db, gint64 model_id, const GlDbQueueItem *items, guint n, double share,
                      GError **error)
{
  g_autoptr (GArray) cands = gl_db_list_drift_candidates (db, model_id, error);
  g_autoptr (GHashTable) names = cands ? gl_drift_class_names (db, error) : NULL;

  if (names == NULL)
    return NULL;
  return gl_drift_boost_interleave (items, n, (const GlDbDriftCandidate *)cands->data, cands->len, names,
                                    share);
}

/* The action that turned the boost on, when it is on; -1 otherwise. */
static gboolean
boost_on (GlDb *db, gint64 *model_id, GError **error)
{
  GlDriftAutoState state = { 0 };
  gboolean on;

  if (!gl_drift_auto_read_state (db, &state, error))
    return FALSE;
  on = state.boost_active && state.model_id >= 0;
  *model_id = on ? state.model_id : -1;
  gl_drift_auto_state_clear (&state);
  return TRUE;
}

GArray *
gl_drift_boost_ranking (GlDb *db, const GlDbQueueItem *items, guint n, GError **error)
{
  GlDriftAutoSettings settings;
  gint64 model_id;
  GArray *out;

  if (!boost_on (db, &model_id, error))
    return NULL;
  if (model_id >= 0)
    {
      gl_drift_auto_settings_read (db, &settings);
      return gl_drift_boost_merge (db, model_id, items, n, settings.boost_share, error);
    }
  out = ranking_new (n);
  for (guint i = 0; i < n; i++)
    append_item (out, &items[i], NULL);
  return out;
}

gboolean
gl_drift_boost_requeue (GlDb *db, GError **error)
{
  g_autoptr (GArray) queue = gl_db_read_queue (db, G_MAXINT32, error);
  g_autoptr (GArray) merged = NULL;

  if (queue == NULL)
    return FALSE;
  merged = gl_drift_boost_ranking (db, (const GlDbQueueItem *)queue->data, queue->len, error);
  return merged != NULL && gl_db_replace_queue (db, (const GlDbQueueItem *)merged->data, merged->len, error);
}
