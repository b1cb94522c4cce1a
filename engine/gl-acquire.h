/* gl-acquire.h — acquisition: which unlabeled images the annotator sees next.
 *
 * Scores come from the model's class probabilities; for all of them a HIGHER
 * score means MORE informative (asked first):
 *   least confidence  1 − max_c p_c
 *   margin            1 − (p_first − p_second)
 *   entropy           −Σ_c p_c ln p_c (nats)
 *   BALD              H(mean_t p_t) − mean_t H(p_t) over T Monte-Carlo-dropout
 *                     passes: the mutual information between the label and the
 *                     weights; 0 when every pass agrees
 *
 * Selection works on a pool of n items, each a candidate, labeled (never
 * selected again; the centres that k-center covers) or excluded (held out,
 * skipped, …: neither). Strategies:
 *   random            uniform, seeded
 *   least-confidence, margin, entropy, bald   the top scores (ties: lowest index)
 *   k-center          greedy core-set on embeddings: each pick is the candidate
 *                     farthest from every labeled item and every earlier pick
 *   default           uncertainty, then diversity: the top-M candidates by margin
 *                     (M = candidate_factor × batch), from which the batch is
 *                     drawn by k-means++ seeding on embeddings (the most uncertain
 *                     first, then each next with probability ∝ its squared
 *                     distance to the picks so far), so that a batch is not ten
 *                     near-copies of one confusion. Sampling rather than
 *                     farthest-first keeps the rare outlier from filling the batch.
 * Every batch holds a share (audit_share, default 10%) of items drawn uniformly
 * from ALL candidates before the strategy chooses, marked as audit items: their
 * labels estimate accuracy on fresh data without the bias of the strategy.
 *
 * Cold start (no model yet): gl_acquire_coverage_order orders candidates for
 * coverage of cheap features (gl_acquire_downsample: area-averaged pixels,
 * e.g. 7×7 grey or 8×8×3) by k-means++ seeding around the labeled items.
 *
 * Distances are squared Euclidean, computed in blocks with OpenBLAS
 * (‖x‖² + ‖c‖² − 2 x·c), so the functions must run on the thread that owns BLAS
 * (the engine worker). All functions are pure: same input and seed, same output.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GL_ACQUIRE_ERROR (gl_acquire_error_quark ())
GQuark gl_acquire_error_quark (void);

typedef enum
{
  GL_ACQUIRE_ERROR_INVALID,       /* an unknown strategy name, a bad shape or option */
  GL_ACQUIRE_ERROR_MISSING_INPUT, /* the strategy needs probabilities, MC passes or embeddings */
} GlAcquireError;

typedef enum
{
  GL_STRATEGY_RANDOM,
  GL_STRATEGY_LEAST_CONFIDENCE,
  GL_STRATEGY_MARGIN,
  GL_STRATEGY_ENTROPY,
  GL_STRATEGY_BALD,
  GL_STRATEGY_K_CENTER,
  GL_STRATEGY_DEFAULT,
} GlStrategy;

#define GL_N_STRATEGIES (GL_STRATEGY_DEFAULT + 1)

/* Nicks: random, least-confidence, margin, entropy, bald, k-center, default. */
const char *gl_strategy_to_string (GlStrategy strategy);
gboolean gl_strategy_from_string (const char *text, GlStrategy *strategy, GError **error);

typedef enum
{
  GL_ITEM_CANDIDATE = 0,
  GL_ITEM_LABELED = 1,
  GL_ITEM_EXCLUDED = 2,
} GlItemState;

typedef struct
{
  gsize n;                 /* items in the pool */
  guint n_classes;
  const guint8 *state;     /* (n) GlItemState; NULL = every item is a candidate */
  const float *probs;      /* (n, n_classes) class probabilities, or NULL */
  const float *mc_probs;   /* (n_passes, n, n_classes) Monte-Carlo-dropout probabilities, or NULL */
  guint n_passes;
  const float *embeddings; /* (n, dim) penultimate-layer embeddings, or NULL */
  guint dim;
} GlAcquirePool;

typedef struct
{
  guint batch_size;      /* items to select */
  double audit_share;    /* share of the batch drawn at random and marked audit; default 0.1 */
  guint candidate_factor; /* default strategy: M = factor × (batch − audit); default 10 */
  guint64 seed;
} GlAcquireOptions;

void gl_acquire_options_init (GlAcquireOptions *options);

typedef struct
{
  gsize index;    /* into the pool */
  float score;    /* the strategy's score of the item (k-center: distance to the nearest centre
                     when picked); NaN for random and audit items */
  gboolean audit; /* drawn uniformly at random, to estimate accuracy without bias */
} GlAcquireItem;

/* Per-item scores: @probs: (n, k), @mc_probs: (n_passes, n, k), @scores: (n). */
void gl_acquire_least_confidence (const float *probs, gsize n, guint k, float *scores);
void gl_acquire_margin (const float *probs, gsize n, guint k, float *scores);
void gl_acquire_entropy (const float *probs, gsize n, guint k, float *scores);
void gl_acquire_bald (const float *mc_probs, guint n_passes, gsize n, guint k, float *scores);

/* The score that @strategy ranks by (default: margin), for every item of the
 * pool; @scores: (pool->n). Random and k-center have no per-item score. */
gboolean gl_acquire_scores (GlStrategy strategy, const GlAcquirePool *pool, float *scores, GError **error);

/* The @k_select candidates with the highest @scores (n), best first, ties to
 * the lowest index; NaN ranks last. @state: (n) or NULL. @out: (k_select).
 * Returns how many were written (fewer when fewer candidates). */
gsize gl_acquire_top_k (const float *scores, gsize n, const guint8 *state, gsize k_select, gsize *out);

/* @n_select candidates uniformly at random, in draw order. @out: (n_select). */
gsize gl_acquire_random (gsize n, const guint8 *state, gsize n_select, guint64 seed, gsize *out);

/* Greedy k-center on @embeddings (n, dim): @out (n_select) in pick order;
 * @out_distance (n_select) or NULL receives each pick's distance to its nearest
 * centre at the time it was picked. Without labeled items the first pick is the
 * candidate nearest the candidates' mean. */
gsize gl_acquire_k_center (const float *embeddings, gsize n, guint dim, const guint8 *state, gsize n_select,
                           gsize *out, float *out_distance);

/* Cold-start coverage order of the candidates on cheap @features (n, dim):
 * k-means++ seeding (D² sampling, seeded) around the labeled items. @out: (n_order). */
gsize gl_acquire_coverage_order (const float *features, gsize n, guint dim, const guint8 *state, gsize n_order,
                                 guint64 seed, gsize *out);

/* Area-average @pixels (n, h, w, c) bytes down to @features (n, side, side, c)
 * in [0, 1]. */
void gl_acquire_downsample (const guint8 *pixels, gsize n, guint h, guint w, guint c, guint side,
                            float *features);

/* One batch by @strategy; a GArray of GlAcquireItem in the order to show them
 * (audit items spread evenly through it). Fewer than batch_size when the pool
 * has fewer candidates. */
GArray *gl_acquire_select (GlStrategy strategy, const GlAcquirePool *pool, const GlAcquireOptions *options,
                           GError **error);

G_END_DECLS
