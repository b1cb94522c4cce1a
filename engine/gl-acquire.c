/* gl-acquire.c — acquisition scores, diverse selection and batches. */
#include "engine/gl-acquire.h"
#include "engine/gl-blas.h"
#include "engine/gl-parallel.h"

#include <math.h>
#include <string.h>

/* Block sizes of the candidate × centre distance computation: a (1024, 1024)
 * float tile is 4 MiB. */
#define ROW_BLOCK 1024
#define CENTRE_BLOCK 1024

G_DEFINE_QUARK (gl-acquire-error-quark, gl_acquire_error)

static const char *const strategy_nicks[GL_N_STRATEGIES] = {
  [GL_STRATEGY_RANDOM] = "random",
  [GL_STRATEGY_LEAST_CONFIDENCE] = "least-confidence",
  [GL_STRATEGY_MARGIN] = "margin",
  [GL_STRATEGY_ENTROPY] = "entropy",
  [GL_STRATEGY_BALD] = "bald",
  [GL_STRATEGY_K_CENTER] = "k-center",
  [GL_STRATEGY_DEFAULT] = "default",
};

const char *
gl_strategy_to_string (GlStrategy strategy)
{
  g_return_val_if_fail ((guint) strategy < GL_N_STRATEGIES, NULL);
  return strategy_nicks[strategy];
}

gboolean
gl_strategy_from_string (const char *text, GlStrategy *strategy, GError **error)
{
  for (guint s = 0; s < GL_N_STRATEGIES; s++)
    if (g_strcmp0 (text, strategy_nicks[s]) == 0)
      {
        *strategy = (GlStrategy) s;
        return TRUE;
      }
  g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID,
               "Unknown strategy “%s” (expected random, least-confidence, margin, entropy, bald, k-center "
               "or default)", text ? text : "");
  return FALSE;
}

void
gl_acquire_options_init (GlAcquireOptions *options)
{
  memset (options, 0, sizeof *options);
  options->batch_size = 100;
  options->audit_share = 0.1;
  options->candidate_factor = 10;
  options->seed = 0;
}

/* ---- scores ---- */

void
gl_acquire_least_confidence (const float *probs, gsize n, guint k, float *scores)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *row = probs + i * k;
      float best = row[0];

      for (guint c = 1; c < k; c++)
        best = MAX (best, row[c]);
      scores[i] = 1.0f - best;
    }
}

void
gl_acquire_margin (const float *probs, gsize n, guint k, float *scores)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *row = probs + i * k;
      float first = -INFINITY, second = -INFINITY;

      for (guint c = 0; c < k; c++)
        {
          if (row[c] > first)
            {
              second = first;
              first = row[c];
            }
          else if (row[c] > second)
            second = row[c];
        }
      /* One class: no competitor, no uncertainty. */
      scores[i] = k < 2 ? 0.0f : 1.0f - (first - second);
    }
}

/* @row: (k) → −Σ p ln p in nats. */
static double
row_entropy (const float *row, guint k)
{
  double h = 0.0;

  for (guint c = 0; c < k; c++)
    if (row[c] > 0.0f)
      h -= (double) row[c] * log ((double) row[c]);
  return h;
}

void
gl_acquire_entropy (const float *probs, gsize n, guint k, float *scores)
{
  for (gsize i = 0; i < n; i++)
    scores[i] = (float) row_entropy (probs + i * k, k);
}

void
gl_acquire_bald (const float *mc_probs, guint n_passes, gsize n, guint k, float *scores)
{
  g_autofree double *mean = g_new (double, k); /* (k) */

  for (gsize i = 0; i < n; i++)
    {
      double expected_h = 0.0; /* mean_t H(p_t) */
      double h_mean = 0.0;     /* H(mean_t p_t) */

      for (guint c = 0; c < k; c++)
        mean[c] = 0.0;
      for (guint t = 0; t < n_passes; t++)
        {
          const float *row = mc_probs + ((gsize) t * n + i) * k;

          expected_h += row_entropy (row, k);
          for (guint c = 0; c < k; c++)
            mean[c] += row[c];
        }
      for (guint c = 0; c < k; c++)
        {
          double p = mean[c] / n_passes;
          if (p > 0.0)
            h_mean -= p * log (p);
        }
      expected_h /= n_passes;
      /* Jensen: h_mean ≥ expected_h; rounding can leave a hair below 0. */
      scores[i] = (float) MAX (h_mean - expected_h, 0.0);
    }
}

static gboolean
check_pool (GlStrategy strategy, const GlAcquirePool *pool, GError **error)
{
  const char *nick = gl_strategy_to_string (strategy);
  gboolean wants_probs = strategy == GL_STRATEGY_LEAST_CONFIDENCE || strategy == GL_STRATEGY_MARGIN ||
                         strategy == GL_STRATEGY_ENTROPY || strategy == GL_STRATEGY_DEFAULT;
  gboolean wants_embeddings = strategy == GL_STRATEGY_K_CENTER || strategy == GL_STRATEGY_DEFAULT;

  if ((guint) strategy >= GL_N_STRATEGIES)
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID, "Unknown strategy %d", (int) strategy);
      return FALSE;
    }
  if (pool->n > 0 && (wants_probs || strategy == GL_STRATEGY_BALD) && pool->n_classes == 0)
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID,
                   "The “%s” strategy needs a class count above 0", nick);
      return FALSE;
    }
  if (pool->n > 0 && wants_probs && pool->probs == NULL)
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_MISSING_INPUT,
                   "The “%s” strategy needs class probabilities from a model", nick);
      return FALSE;
    }
  if (pool->n > 0 && strategy == GL_STRATEGY_BALD && (pool->mc_probs == NULL || pool->n_passes == 0))
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_MISSING_INPUT,
                   "The “%s” strategy needs Monte-Carlo-dropout probabilities (at least one pass)", nick);
      return FALSE;
    }
  if (pool->n > 0 && wants_embeddings && (pool->embeddings == NULL || pool->dim == 0))
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_MISSING_INPUT,
                   "The “%s” strategy needs embeddings from a model", nick);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_acquire_scores (GlStrategy strategy, const GlAcquirePool *pool, float *scores, GError **error)
{
  if (strategy == GL_STRATEGY_RANDOM || strategy == GL_STRATEGY_K_CENTER)
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID,
                   "The “%s” strategy has no per-item score", gl_strategy_to_string (strategy));
      return FALSE;
    }
  if (strategy == GL_STRATEGY_DEFAULT)
    {
      /* The default ranks by margin; its diversity step has no per-item score. */
      GlAcquirePool probs_only = *pool;
      probs_only.embeddings = NULL;
      probs_only.dim = 0;
      if (!check_pool (GL_STRATEGY_MARGIN, &probs_only, error))
        return FALSE;
    }
  else if (!check_pool (strategy, pool, error))
    return FALSE;

  switch (strategy)
    {
    case GL_STRATEGY_LEAST_CONFIDENCE:
      gl_acquire_least_confidence (pool->probs, pool->n, pool->n_classes, scores);
      break;
    case GL_STRATEGY_MARGIN:
    case GL_STRATEGY_DEFAULT:
      gl_acquire_margin (pool->probs, pool->n, pool->n_classes, scores);
      break;
    case GL_STRATEGY_ENTROPY:
      gl_acquire_entropy (pool->probs, pool->n, pool->n_classes, scores);
      break;
    case GL_STRATEGY_BALD:
      gl_acquire_bald (pool->mc_probs, pool->n_passes, pool->n, pool->n_classes, scores);
      break;
    case GL_STRATEGY_RANDOM:
    case GL_STRATEGY_K_CENTER:
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

/* ---- candidates, ranking, random draws ---- */

static inline gboolean
is_candidate (const guint8 *state, gsize i)
{
  return state == NULL || state[i] == GL_ITEM_CANDIDATE;
}

/* The candidates of the pool in ascending order; @n_out receives their count. */
static gsize *
list_candidates (gsize n, const guint8 *state, gsize *n_out)
{
  gsize *list = g_new (gsize, MAX (n, 1)); /* (n) */
  gsize m = 0;

  for (gsize i = 0; i < n; i++)
    if (is_candidate (state, i))
      list[m++] = i;
  *n_out = m;
  return list;
}

static gsize *
list_labeled (gsize n, const guint8 *state, gsize *n_out)
{
  gsize *list = g_new (gsize, MAX (n, 1)); /* (n) */
  gsize m = 0;

  for (gsize i = 0; state != NULL && i < n; i++)
    if (state[i] == GL_ITEM_LABELED)
      list[m++] = i;
  *n_out = m;
  return list;
}

/* Ranking key: higher score first, then lower index; NaN as −∞. */
static inline gboolean
ranks_before (float score_a, gsize a, float score_b, gsize b)
{
  if (isnan (score_a))
    score_a = -INFINITY;
  if (isnan (score_b))
    score_b = -INFINITY;
  return score_a > score_b || (score_a == score_b && a < b);
}

/* A heap of indices whose root is the item that ranks LAST. */
static void
heap_sift_down (gsize *heap, gsize size, gsize pos, const float *scores)
{
  for (;;)
    {
      gsize worst = pos, l = 2 * pos + 1, r = 2 * pos + 2;

      if (l < size && ranks_before (scores[heap[worst]], heap[worst], scores[heap[l]], heap[l]))
        worst = l;
      if (r < size && ranks_before (scores[heap[worst]], heap[worst], scores[heap[r]], heap[r]))
        worst = r;
      if (worst == pos)
        return;
      gsize tmp = heap[pos];
      heap[pos] = heap[worst];
      heap[worst] = tmp;
      pos = worst;
    }
}

gsize
gl_acquire_top_k (const float *scores, gsize n, const guint8 *state, gsize k_select, gsize *out)
{
  gsize size = 0;

  if (k_select == 0)
    return 0;

  /* out[0..size) is the heap of the best k_select seen so far. */
  for (gsize i = 0; i < n; i++)
    {
      if (!is_candidate (state, i))
        continue;
      if (size < k_select)
        {
          /* Sift up. */
          gsize pos = size++;
          out[pos] = i;
          while (pos > 0)
            {
              gsize parent = (pos - 1) / 2;
              if (!ranks_before (scores[out[parent]], out[parent], scores[out[pos]], out[pos]))
                break;
              gsize tmp = out[pos];
              out[pos] = out[parent];
              out[parent] = tmp;
              pos = parent;
            }
        }
      else if (ranks_before (scores[i], i, scores[out[0]], out[0]))
        {
          out[0] = i;
          heap_sift_down (out, size, 0, scores);
        }
    }

  /* Heap sort: repeatedly move the worst to the end → best first. */
  for (gsize end = size; end > 1; end--)
    {
      gsize tmp = out[0];
      out[0] = out[end - 1];
      out[end - 1] = tmp;
      heap_sift_down (out, end - 1, 0, scores);
    }
  return size;
}

static GRand *
rand_new (guint64 seed)
{
  guint32 words[2] = { (guint32) seed, (guint32) (seed >> 32) };
  return g_rand_new_with_seed_array (words, 2);
}

/* Partial Fisher–Yates over @list (n_list), in place: the first n_select
 * entries become a uniform draw without replacement. */
static gsize
draw_uniform (gsize *list, gsize n_list, gsize n_select, GRand *rng)
{
  n_select = MIN (n_select, n_list);
  for (gsize s = 0; s < n_select; s++)
    {
      gsize remaining = n_list - s;
      /* g_rand_int_range takes gint32 bounds; pools beyond that use a double. */
      gsize j = s + (remaining <= G_MAXINT32 ? (gsize) g_rand_int_range (rng, 0, (gint32) remaining)
                                             : (gsize) (g_rand_double (rng) * remaining));
      gsize tmp = list[s];
      list[s] = list[j];
      list[j] = tmp;
    }
  return n_select;
}

gsize
gl_acquire_random (gsize n, const guint8 *state, gsize n_select, guint64 seed, gsize *out)
{
  gsize n_cand = 0;
  g_autofree gsize *cand = list_candidates (n, state, &n_cand);
  g_autoptr (GRand) rng = rand_new (seed);
  gsize m = draw_uniform (cand, n_cand, n_select, rng);

  memcpy (out, cand, m * sizeof (gsize));
  return m;
}

/* ---- diverse selection on embeddings ---- */

typedef enum
{
  PICK_FARTHEST,  /* greedy k-center */
  PICK_D2_SAMPLE, /* k-means++ seeding */
} PickRule;

/* @dest: (m, dim) ← rows @rows (m) of @src (n, dim); @norms: (m) squared norms. */
static void
gather_rows (const float *src, guint dim, const gsize *rows, gsize m, float *dest, float *norms)
{
  for (gsize r = 0; r < m; r++)
    {
      const float *x = src + rows[r] * dim;
      memcpy (dest + r * dim, x, sizeof (float) * dim);
      norms[r] = gl_blas_sdot ((int) dim, x, 1, x, 1);
    }
}

/* @min_d: (n_x) ← min(min_d, squared distance of each row of @x (n_x, dim)
 * to the nearest row of @c (n_c, dim)), by blocked sgemm. */
static void
min_distance_to_set (const float *x, const float *x_norms, gsize n_x, const float *c, const float *c_norms,
                     gsize n_c, guint dim, float *min_d)
{
  g_autofree float *tile = g_new (float, (gsize) ROW_BLOCK * CENTRE_BLOCK); /* (ROW_BLOCK, CENTRE_BLOCK) */

  for (gsize i0 = 0; i0 < n_x; i0 += ROW_BLOCK)
    {
      gsize bi = MIN ((gsize) ROW_BLOCK, n_x - i0);

      for (gsize j0 = 0; j0 < n_c; j0 += CENTRE_BLOCK)
        {
          gsize bj = MIN ((gsize) CENTRE_BLOCK, n_c - j0);

          /* tile (bi, bj) = x[i0:] · c[j0:]ᵀ */
          gl_sgemm (FALSE, TRUE, bi, bj, dim, 1.0f, x + i0 * dim, dim, c + j0 * dim, dim, 0.0f, tile, bj);
          for (gsize i = 0; i < bi; i++)
            {
              const float *t = tile + i * bj;
              float best = min_d[i0 + i];
              float xn = x_norms[i0 + i];

              for (gsize j = 0; j < bj; j++)
                {
                  float d = xn + c_norms[j0 + j] - 2.0f * t[j];
                  best = MIN (best, d);
                }
              min_d[i0 + i] = MAX (best, 0.0f);
            }
        }
    }
}

/* Selects @n_select of the @n_cand rows @cand of @emb (n, dim), covering the
 * rows @centres (n_centres) and each earlier pick, by @rule. @first: the
 * position in @cand of the first pick when there are no centres (−1: by the
 * rule — uniform for D² sampling, position 0 for farthest). @out (n_select):
 * pool indices; @out_distance (n_select) or NULL: distance to the nearest
 * centre when picked (NaN for a first pick without centres). */
static gsize
diverse_select (const float *emb, guint dim, const gsize *cand, gsize n_cand, const gsize *centres,
                gsize n_centres, gsize n_select, PickRule rule, gssize first, GRand *rng, gsize *out,
                float *out_distance)
{
  g_autofree float *x = NULL;       /* (n_cand, dim) */
  g_autofree float *x_norms = NULL; /* (n_cand) */
  g_autofree float *min_d = NULL;   /* (n_cand): squared distance to the nearest centre */
  g_autofree float *dots = NULL;    /* (n_cand) */
  g_autofree guint8 *taken = NULL;  /* (n_cand) */

  n_select = MIN (n_select, n_cand);
  if (n_select == 0)
    return 0;

  x = g_new (float, n_cand * dim);
  x_norms = g_new (float, n_cand);
  min_d = g_new (float, n_cand);
  dots = g_new (float, n_cand);
  taken = g_new0 (guint8, n_cand);
  gather_rows (emb, dim, cand, n_cand, x, x_norms);
  for (gsize i = 0; i < n_cand; i++)
    min_d[i] = INFINITY;

  if (n_centres > 0)
    {
      g_autofree float *c = g_new (float, n_centres * dim); /* (n_centres, dim) */
      g_autofree float *c_norms = g_new (float, n_centres); /* (n_centres) */

      gather_rows (emb, dim, centres, n_centres, c, c_norms);
      min_distance_to_set (x, x_norms, n_cand, c, c_norms, n_centres, dim, min_d);
    }

  for (gsize s = 0; s < n_select; s++)
    {
      gsize p = 0;

      if (s == 0 && n_centres == 0)
        {
          if (first >= 0)
            p = (gsize) first;
          else if (rule == PICK_D2_SAMPLE)
            p = (gsize) (g_rand_double (rng) * (double) n_cand);
          else
            p = 0;
          p = MIN (p, n_cand - 1);
        }
      else if (rule == PICK_FARTHEST)
        {
          float best = -1.0f;
          for (gsize i = 0; i < n_cand; i++)
            if (!taken[i] && min_d[i] > best)
              {
                best = min_d[i];
                p = i;
              }
        }
      else
        {
          double total = 0.0;
          gsize n_free = 0;

          for (gsize i = 0; i < n_cand; i++)
            if (!taken[i])
              {
                total += min_d[i];
                n_free++;
              }
          if (total > 0.0)
            {
              double r = g_rand_double (rng) * total;
              gsize last = n_cand;

              for (gsize i = 0; i < n_cand; i++)
                if (!taken[i] && min_d[i] > 0.0f)
                  {
                    last = i;
                    r -= min_d[i];
                    if (r < 0.0)
                      break;
                  }
              p = last;
            }
          else
            {
              /* Every remaining candidate duplicates a centre: uniform. */
              gsize r = (gsize) (g_rand_double (rng) * n_free);
              for (gsize i = 0; i < n_cand; i++)
                if (!taken[i] && r-- == 0)
                  {
                    p = i;
                    break;
                  }
            }
        }

      out[s] = cand[p];
      if (out_distance != NULL)
        out_distance[s] = isinf (min_d[p]) ? NAN : sqrtf (min_d[p]);
      taken[p] = TRUE;

      if (s + 1 == n_select)
        break;
      /* dots (n_cand) = x · x_p; min_d ← min(min_d, ‖x − x_p‖²) */
      gl_blas_sgemv (FALSE, (int) n_cand, (int) dim, 1.0f, x, (int) dim, x + p * dim, 1, 0.0f, dots, 1);
      for (gsize i = 0; i < n_cand; i++)
        {
          float d = MAX (x_norms[i] + x_norms[p] - 2.0f * dots[i], 0.0f);
          min_d[i] = MIN (min_d[i], d);
        }
      min_d[p] = 0.0f;
    }
  return n_select;
}

gsize
gl_acquire_k_center (const float *embeddings, gsize n, guint dim, const guint8 *state, gsize n_select,
                     gsize *out, float *out_distance)
{
  gsize n_cand = 0, n_centres = 0;
  g_autofree gsize *cand = list_candidates (n, state, &n_cand);
  g_autofree gsize *centres = list_labeled (n, state, &n_centres);
  gssize first = -1;

  if (n_cand == 0 || n_select == 0 || dim == 0)
    return 0;

  if (n_centres == 0)
    {
      /* No labeled item: start from the candidate nearest the mean. */
      g_autofree double *mean = g_new0 (double, dim); /* (dim) */
      double best = INFINITY;

      for (gsize r = 0; r < n_cand; r++)
        for (guint j = 0; j < dim; j++)
          mean[j] += embeddings[cand[r] * dim + j];
      for (guint j = 0; j < dim; j++)
        mean[j] /= (double) n_cand;
      for (gsize r = 0; r < n_cand; r++)
        {
          double d = 0.0;
          for (guint j = 0; j < dim; j++)
            {
              double diff = embeddings[cand[r] * dim + j] - mean[j];
              d += diff * diff;
            }
          if (d < best)
            {
              best = d;
              first = (gssize) r;
            }
        }
    }
  return diverse_select (embeddings, dim, cand, n_cand, centres, n_centres, n_select, PICK_FARTHEST, first,
                         NULL, out, out_distance);
}

gsize
gl_acquire_coverage_order (const float *features, gsize n, guint dim, const guint8 *state, gsize n_order,
                           guint64 seed, gsize *out)
{
  gsize n_cand = 0, n_centres = 0;
  g_autofree gsize *cand = list_candidates (n, state, &n_cand);
  g_autofree gsize *centres = list_labeled (n, state, &n_centres);
  g_autoptr (GRand) rng = rand_new (seed);

  if (dim == 0)
    return 0;
  return diverse_select (features, dim, cand, n_cand, centres, n_centres, n_order, PICK_D2_SAMPLE, -1, rng,
                         out, NULL);
}

void
gl_acquire_downsample (const guint8 *pixels, gsize n, guint h, guint w, guint c, guint side, float *features)
{
  gsize in_row = (gsize) h * w * c;
  gsize out_row = (gsize) side * side * c;

  for (gsize i = 0; i < n; i++)
    {
      const guint8 *img = pixels + i * in_row; /* (h, w, c) */
      float *f = features + i * out_row;       /* (side, side, c) */

      for (guint oy = 0; oy < side; oy++)
        {
          /* Source rows [y0, y1): every source pixel belongs to at least one cell. */
          guint y0 = (guint) ((guint64) oy * h / side);
          guint y1 = MAX ((guint) (((guint64) oy + 1) * h + side - 1) / side, y0 + 1);

          y1 = MIN (y1, h);
          for (guint ox = 0; ox < side; ox++)
            {
              guint x0 = (guint) ((guint64) ox * w / side);
              guint x1 = MAX ((guint) (((guint64) ox + 1) * w + side - 1) / side, x0 + 1);

              x1 = MIN (x1, w);
              for (guint ch = 0; ch < c; ch++)
                {
                  guint64 sum = 0;
                  for (guint y = y0; y < y1; y++)
                    for (guint x = x0; x < x1; x++)
                      sum += img[((gsize) y * w + x) * c + ch];
                  f[((gsize) oy * side + ox) * c + ch] =
                    (float) ((double) sum / (255.0 * (double) ((y1 - y0) * (x1 - x0))));
                }
            }
        }
    }
}

/* ---- batches ---- */

GArray *
gl_acquire_select (GlStrategy strategy, const GlAcquirePool *pool, const GlAcquireOptions *options,
                   GError **error)
{
  g_autoptr (GArray) batch = g_array_new (FALSE, TRUE, sizeof (GlAcquireItem));
  g_autoptr (GRand) rng = NULL;
  g_autofree gsize *cand = NULL;       /* (n_cand) */
  g_autofree guint8 *state = NULL;     /* (n): the pool's state with audit picks excluded */
  g_autofree gsize *main_picks = NULL; /* (n_main) */
  g_autofree float *main_scores = NULL; /* (n_main) */
  g_autofree float *scores = NULL;     /* (n) */
  gsize n = pool->n, n_cand = 0, n_total, n_audit, n_main, n_main_done = 0;

  if (!check_pool (strategy, pool, error))
    return NULL;
  if (!(options->audit_share >= 0.0 && options->audit_share <= 1.0))
    {
      g_set_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID,
                   "The audit share %g is outside 0…1", options->audit_share);
      return NULL;
    }

  cand = list_candidates (n, pool->state, &n_cand);
  n_total = MIN ((gsize) options->batch_size, n_cand);
  n_audit = MIN ((gsize) floor (options->audit_share * (double) n_total + 0.5), n_total);
  n_main = n_total - n_audit;
  if (n_total == 0)
    return g_steal_pointer (&batch);

  rng = rand_new (options->seed);
  /* Audit items first, uniformly from every candidate, so the strategy
   * cannot bias them; then the strategy chooses among the rest. */
  draw_uniform (cand, n_cand, n_audit, rng);
  state = g_new (guint8, n);
  for (gsize i = 0; i < n; i++)
    state[i] = pool->state != NULL ? pool->state[i] : GL_ITEM_CANDIDATE;
  for (gsize a = 0; a < n_audit; a++)
    state[cand[a]] = GL_ITEM_EXCLUDED;

  main_picks = g_new (gsize, MAX (n_main, 1));
  main_scores = g_new (float, MAX (n_main, 1));
  switch (strategy)
    {
    case GL_STRATEGY_RANDOM:
      {
        /* Continue the same draw: the rest of cand after the audit items. */
        n_main_done = draw_uniform (cand + n_audit, n_cand - n_audit, n_main, rng);
        memcpy (main_picks, cand + n_audit, n_main_done * sizeof (gsize));
        for (gsize s = 0; s < n_main_done; s++)
          main_scores[s] = NAN;
        break;
      }
    case GL_STRATEGY_LEAST_CONFIDENCE:
    case GL_STRATEGY_MARGIN:
    case GL_STRATEGY_ENTROPY:
    case GL_STRATEGY_BALD:
      scores = g_new (float, n);
      if (!gl_acquire_scores (strategy, pool, scores, error))
        return NULL;
      n_main_done = gl_acquire_top_k (scores, n, state, n_main, main_picks);
      for (gsize s = 0; s < n_main_done; s++)
        main_scores[s] = scores[main_picks[s]];
      break;
    case GL_STRATEGY_K_CENTER:
      n_main_done = gl_acquire_k_center (pool->embeddings, n, pool->dim, state, n_main, main_picks, main_scores);
      break;
    case GL_STRATEGY_DEFAULT:
      {
        gsize factor = MAX (options->candidate_factor, 1);
        gsize m = MIN (n_main * factor, n_cand);
        g_autofree gsize *top = g_new (gsize, MAX (m, 1)); /* (m), most uncertain first */
        gsize n_top;

        scores = g_new (float, n);
        gl_acquire_margin (pool->probs, n, pool->n_classes, scores);
        n_top = gl_acquire_top_k (scores, n, state, m, top);
        n_main_done = diverse_select (pool->embeddings, pool->dim, top, n_top, NULL, 0, n_main, PICK_D2_SAMPLE,
                                      0, rng, main_picks, NULL);
        for (gsize s = 0; s < n_main_done; s++)
          main_scores[s] = scores[main_picks[s]];
        break;
      }
    default:
      g_assert_not_reached ();
    }

  /* Interleave: audit item a goes to position ⌊(a + ½) · total / n_audit⌋. */
  {
    gsize total = n_main_done + n_audit, next_main = 0, next_audit = 0;

    for (gsize pos = 0; pos < total; pos++)
      {
        GlAcquireItem item;
        gboolean audit_slot = next_audit < n_audit &&
                              (next_main == n_main_done ||
                               pos == (gsize) (((double) next_audit + 0.5) * (double) total / (double) n_audit));

        if (audit_slot)
          {
            item.index = cand[next_audit++];
            item.score = NAN;
            item.audit = TRUE;
          }
        else
          {
            item.index = main_picks[next_main];
            item.score = main_scores[next_main++];
            item.audit = FALSE;
          }
        g_array_append_val (batch, item);
      }
  }
  return g_steal_pointer (&batch);
}
