/* test-acquire.c — acquisition scores on hand-computed rows, ranking, k-center
 * coverage, the default selector's diversity, random and audit draws. */
#include <math.h>
#include <string.h>

#include "engine/gl-acquire.h"

#define EPS 1e-5

static void
test_strategy_names (void)
{
  g_autoptr (GError) error = NULL;
  GlStrategy s = GL_STRATEGY_RANDOM;

  for (guint i = 0; i < GL_N_STRATEGIES; i++)
    {
      const char *nick = gl_strategy_to_string ((GlStrategy) i);
      g_assert_nonnull (nick);
      g_assert_true (gl_strategy_from_string (nick, &s, &error));
      g_assert_no_error (error);
      g_assert_cmpint (s, ==, i);
    }
  g_assert_cmpstr (gl_strategy_to_string (GL_STRATEGY_LEAST_CONFIDENCE), ==, "least-confidence");
  g_assert_cmpstr (gl_strategy_to_string (GL_STRATEGY_K_CENTER), ==, "k-center");
  g_assert_false (gl_strategy_from_string ("kcenter", &s, &error));
  g_assert_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "kcenter"));
}

static void
test_scores (void)
{
  const float probs[] = {
    0.7f, 0.2f, 0.1f,
    0.5f, 0.5f, 0.0f,
    1.0f, 0.0f, 0.0f,
  };
  float s[3];

  /* 1 − max */
  gl_acquire_least_confidence (probs, 3, 3, s);
  g_assert_cmpfloat_with_epsilon (s[0], 0.3, EPS);
  g_assert_cmpfloat_with_epsilon (s[1], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (s[2], 0.0, EPS);
  /* 1 − (first − second) */
  gl_acquire_margin (probs, 3, 3, s);
  g_assert_cmpfloat_with_epsilon (s[0], 0.5, EPS);
  g_assert_cmpfloat_with_epsilon (s[1], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (s[2], 0.0, EPS);
  /* −(0.7 ln 0.7 + 0.2 ln 0.2 + 0.1 ln 0.1); ln 2; 0 */
  gl_acquire_entropy (probs, 3, 3, s);
  g_assert_cmpfloat_with_epsilon (s[0], 0.8018185525433372, EPS);
  g_assert_cmpfloat_with_epsilon (s[1], G_LN2, EPS);
  g_assert_cmpfloat_with_epsilon (s[2], 0.0, EPS);
}

static void
test_bald (void)
{
  /* Two passes × four items × two classes.
   * item 0: passes disagree completely: H(½,½) − 0 = ln 2
   * item 1: both passes (½,½): they agree → 0, although the entropy is high
   * item 2: both passes (0.8,0.2) → 0
   * item 3: (0.9,0.1) and (½,½): H(0.7,0.3) − ½(H(0.9,0.1) + ln 2) = 0.1017492… */
  const float mc[] = {
    /* pass 0 */ 1.0f, 0.0f, 0.5f, 0.5f, 0.8f, 0.2f, 0.9f, 0.1f,
    /* pass 1 */ 0.0f, 1.0f, 0.5f, 0.5f, 0.8f, 0.2f, 0.5f, 0.5f,
  };
  float s[4];
  GlAcquirePool pool = { .n = 4, .n_classes = 2, .mc_probs = mc, .n_passes = 2 };
  g_autoptr (GError) error = NULL;

  gl_acquire_bald (mc, 2, 4, 2, s);
  g_assert_cmpfloat_with_epsilon (s[0], G_LN2, EPS);
  g_assert_cmpfloat (s[1], ==, 0.0f);
  g_assert_cmpfloat (s[2], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (s[3], 0.10174922507919681, EPS);

  g_assert_true (gl_acquire_scores (GL_STRATEGY_BALD, &pool, s, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (s[0], G_LN2, EPS);

  /* A single pass always agrees with itself. */
  gl_acquire_bald (mc, 1, 4, 2, s);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (s[i], ==, 0.0f);
}

static void
test_missing_input (void)
{
  const float probs[] = { 0.5f, 0.5f };
  GlAcquirePool pool = { .n = 1, .n_classes = 2, .probs = probs };
  GlAcquireOptions options;
  g_autoptr (GError) error = NULL;
  float s[1];
  GArray *batch;

  gl_acquire_options_init (&options);
  g_assert_false (gl_acquire_scores (GL_STRATEGY_BALD, &pool, s, &error));
  g_assert_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_MISSING_INPUT);
  g_assert_nonnull (strstr (error->message, "bald"));
  g_clear_error (&error);

  batch = gl_acquire_select (GL_STRATEGY_DEFAULT, &pool, &options, &error);
  g_assert_null (batch);
  g_assert_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_MISSING_INPUT);
  g_assert_nonnull (strstr (error->message, "embeddings"));
  g_clear_error (&error);

  g_assert_false (gl_acquire_scores (GL_STRATEGY_K_CENTER, &pool, s, &error));
  g_assert_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID);
  g_clear_error (&error);

  /* The default ranks by margin and needs no embeddings for scores. */
  g_assert_true (gl_acquire_scores (GL_STRATEGY_DEFAULT, &pool, s, &error));
  g_assert_cmpfloat_with_epsilon (s[0], 1.0, EPS);

  options.audit_share = 1.5;
  batch = gl_acquire_select (GL_STRATEGY_MARGIN, &pool, &options, &error);
  g_assert_null (batch);
  g_assert_error (error, GL_ACQUIRE_ERROR, GL_ACQUIRE_ERROR_INVALID);
}

static void
test_top_k (void)
{
  const float scores[] = { 0.5f, 0.9f, 0.9f, NAN, 0.1f, 0.7f };
  const guint8 state[] = { GL_ITEM_CANDIDATE, GL_ITEM_CANDIDATE, GL_ITEM_LABELED,
                           GL_ITEM_CANDIDATE, GL_ITEM_CANDIDATE, GL_ITEM_EXCLUDED };
  gsize out[6];

  g_assert_cmpuint (gl_acquire_top_k (scores, 6, state, 2, out), ==, 2);
  g_assert_cmpuint (out[0], ==, 1);
  g_assert_cmpuint (out[1], ==, 0);
  /* More than there are candidates: all four, NaN last. */
  g_assert_cmpuint (gl_acquire_top_k (scores, 6, state, 6, out), ==, 4);
  g_assert_cmpuint (out[0], ==, 1);
  g_assert_cmpuint (out[1], ==, 0);
  g_assert_cmpuint (out[2], ==, 4);
  g_assert_cmpuint (out[3], ==, 3);
  /* Ties go to the lower index. */
  g_assert_cmpuint (gl_acquire_top_k (scores, 6, NULL, 3, out), ==, 3);
  g_assert_cmpuint (out[0], ==, 1);
  g_assert_cmpuint (out[1], ==, 2);
  g_assert_cmpuint (out[2], ==, 5);
  g_assert_cmpuint (gl_acquire_top_k (scores, 6, NULL, 0, out), ==, 0);
}

/* @emb: (n_clusters × per, dim): tight clusters around far-apart centres;
 * item i belongs to cluster i / per. */
static float *
make_clusters (guint n_clusters, guint per, guint dim, float spread, guint32 seed)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  float *emb = g_new (float, (gsize) n_clusters * per * dim);
  g_autofree float *centres = g_new (float, (gsize) n_clusters * dim);

  for (guint c = 0; c < n_clusters; c++)
    for (guint j = 0; j < dim; j++)
      centres[c * dim + j] = (float) g_rand_double_range (rng, -10.0, 10.0);
  for (guint i = 0; i < n_clusters * per; i++)
    for (guint j = 0; j < dim; j++)
      emb[(gsize) i * dim + j] = centres[(i / per) * dim + j] + spread * (float) g_rand_double_range (rng, -1.0, 1.0);
  return emb;
}

static void
test_k_center_spread (void)
{
  /* Four corners of a square, 50 points each; item 0 (corner A) is labeled.
   * Three picks must land in the three other corners. */
  const guint per = 50, dim = 2;
  g_autofree float *emb = g_new (float, 4 * per * dim);
  g_autofree guint8 *state = g_new0 (guint8, 4 * per);
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  const float corner[4][2] = { { 0, 0 }, { 100, 0 }, { 0, 100 }, { 100, 100 } };
  gsize out[4];
  float dist[4];
  gboolean seen[4] = { FALSE };

  for (guint i = 0; i < 4 * per; i++)
    for (guint j = 0; j < dim; j++)
      emb[i * dim + j] = corner[i / per][j] + (float) g_rand_double_range (rng, -1.0, 1.0);
  state[0] = GL_ITEM_LABELED;

  g_assert_cmpuint (gl_acquire_k_center (emb, 4 * per, dim, state, 3, out, dist), ==, 3);
  for (guint s = 0; s < 3; s++)
    {
      guint cluster = (guint) (out[s] / per);
      g_assert_cmpuint (cluster, !=, 0);
      g_assert_false (seen[cluster]);
      seen[cluster] = TRUE;
      g_assert_cmpfloat (dist[s], >, 90.0f);
    }
  /* The first pick is the corner opposite the labeled one. */
  g_assert_cmpuint (out[0] / per, ==, 3);
  g_assert_cmpfloat (dist[0], >, 138.0f);

  /* A fourth pick has nothing far left: it is inside a covered corner. */
  g_assert_cmpuint (gl_acquire_k_center (emb, 4 * per, dim, state, 4, out, dist), ==, 4);
  g_assert_cmpfloat (dist[3], <, 3.0f);
}

static void
test_k_center_far_line (void)
{
  /* On a line 0, 1, 2, 3, 10 with no labels: the mean (3.2) is nearest 3; the
   * farthest from 3 is 10 (7 away); then 0 (3 away from 3). */
  const float line[] = { 0, 1, 2, 3, 10 };
  gsize out[3];
  float dist[3];

  g_assert_cmpuint (gl_acquire_k_center (line, 5, 1, NULL, 3, out, dist), ==, 3);
  g_assert_cmpuint (out[0], ==, 3);
  g_assert_cmpuint (out[1], ==, 4);
  g_assert_cmpfloat_with_epsilon (dist[1], 7.0, EPS);
  g_assert_cmpuint (out[2], ==, 0);
  g_assert_cmpfloat_with_epsilon (dist[2], 3.0, EPS);
}

static double
mean_pairwise_distance (const float *emb, guint dim, const GArray *batch)
{
  double sum = 0.0;
  guint pairs = 0;

  for (guint a = 0; a < batch->len; a++)
    for (guint b = a + 1; b < batch->len; b++)
      {
        const float *x = emb + g_array_index (batch, GlAcquireItem, a).index * dim;
        const float *y = emb + g_array_index (batch, GlAcquireItem, b).index * dim;
        double d = 0.0;
        for (guint j = 0; j < dim; j++)
          d += (x[j] - y[j]) * (x[j] - y[j]);
        sum += sqrt (d);
        pairs++;
      }
  return pairs ? sum / pairs : 0.0;
}

static guint
count_groups (const GArray *batch, guint per)
{
  g_autoptr (GHashTable) groups = g_hash_table_new (NULL, NULL);

  for (guint s = 0; s < batch->len; s++)
    g_hash_table_add (groups, GUINT_TO_POINTER (g_array_index (batch, GlAcquireItem, s).index / per + 1));
  return g_hash_table_size (groups);
}

static void
test_default_is_diverse (void)
{
  /* 20 groups of 20 near-duplicates. Group g's items all have the same
   * uncertainty, decreasing with g: top-k by margin takes ten copies of group
   * 0; the default spreads the batch over the five most uncertain groups that
   * its top-M (10 × 10 = 100 items) holds. */
  const guint n_groups = 20, per = 20, dim = 16, n = n_groups * per, k = 3;
  g_autofree float *emb = make_clusters (n_groups, per, dim, 1e-3f, 11);
  g_autofree float *probs = g_new (float, n * k);
  GlAcquirePool pool = { .n = n, .n_classes = k, .probs = probs, .embeddings = emb, .dim = dim };
  GlAcquireOptions options;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) top = NULL;
  g_autoptr (GArray) diverse = NULL;
  g_autoptr (GArray) again = NULL;

  for (guint i = 0; i < n; i++)
    {
      float gap = 0.02f * (float) (i / per) + 0.0001f * (float) (i % per); /* p1 − p2 */
      probs[i * k + 0] = 0.45f + gap / 2;
      probs[i * k + 1] = 0.45f - gap / 2;
      probs[i * k + 2] = 0.1f;
    }
  gl_acquire_options_init (&options);
  options.batch_size = 10;
  options.audit_share = 0.0;
  options.seed = 3;

  top = gl_acquire_select (GL_STRATEGY_MARGIN, &pool, &options, &error);
  g_assert_no_error (error);
  diverse = gl_acquire_select (GL_STRATEGY_DEFAULT, &pool, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (top->len, ==, 10);
  g_assert_cmpuint (diverse->len, ==, 10);
  g_assert_cmpuint (count_groups (top, per), ==, 1);
  g_assert_cmpuint (count_groups (diverse, per), ==, 5);
  g_assert_cmpfloat (mean_pairwise_distance (emb, dim, diverse), >, 100.0 * mean_pairwise_distance (emb, dim, top));
  /* The most uncertain item comes first, every pick is among the top-M. */
  g_assert_cmpuint (g_array_index (diverse, GlAcquireItem, 0).index, ==, 0);
  for (guint s = 0; s < diverse->len; s++)
    {
      const GlAcquireItem *item = &g_array_index (diverse, GlAcquireItem, s);
      g_assert_cmpuint (item->index, <, 100);
      g_assert_false (item->audit);
      g_assert_false (isnan (item->score));
    }
  /* Same seed, same batch. */
  again = gl_acquire_select (GL_STRATEGY_DEFAULT, &pool, &options, &error);
  g_assert_cmpmem (again->data, again->len * sizeof (GlAcquireItem), diverse->data,
                   diverse->len * sizeof (GlAcquireItem));
}

static void
test_random (void)
{
  const gsize n = 1000;
  g_autofree guint8 *state = g_new0 (guint8, n);
  gsize a[50], b[50], c[50];

  for (gsize i = 0; i < n; i += 2)
    state[i] = GL_ITEM_LABELED;
  g_assert_cmpuint (gl_acquire_random (n, state, 50, 42, a), ==, 50);
  g_assert_cmpuint (gl_acquire_random (n, state, 50, 42, b), ==, 50);
  g_assert_cmpuint (gl_acquire_random (n, state, 50, 43, c), ==, 50);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_true (memcmp (a, c, sizeof a) != 0);
  for (guint s = 0; s < 50; s++)
    {
      g_assert_cmpuint (a[s] % 2, ==, 1);
      for (guint t = 0; t < s; t++)
        g_assert_cmpuint (a[s], !=, a[t]);
    }
  /* Fewer candidates than asked: all of them. */
  g_assert_cmpuint (gl_acquire_random (4, (const guint8[]) { 0, 1, 0, 2 }, 50, 1, c), ==, 2);
}

static void
test_audit (void)
{
  /* 1,000 items with margin scores rising with the index. The strategy takes
   * the top; the two audit items of each batch of 20 are uniform over the
   * whole pool, so over many seeds about half fall in the lower half. */
  const guint n = 1000, k = 2;
  g_autofree float *probs = g_new (float, n * k);
  GlAcquirePool pool = { .n = n, .n_classes = k, .probs = probs };
  GlAcquireOptions options;
  guint low = 0, total_audit = 0;

  for (guint i = 0; i < n; i++)
    {
      probs[i * k] = 1.0f - 0.5f * (float) i / n;
      probs[i * k + 1] = 1.0f - probs[i * k];
    }
  gl_acquire_options_init (&options);
  options.batch_size = 20;
  for (guint seed = 0; seed < 200; seed++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GArray) batch = NULL;
      guint n_audit = 0;

      options.seed = seed;
      batch = gl_acquire_select (GL_STRATEGY_MARGIN, &pool, &options, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (batch->len, ==, 20);
      for (guint s = 0; s < batch->len; s++)
        {
          const GlAcquireItem *item = &g_array_index (batch, GlAcquireItem, s);
          for (guint t = 0; t < s; t++)
            g_assert_cmpuint (item->index, !=, g_array_index (batch, GlAcquireItem, t).index);
          if (item->audit)
            {
              n_audit++;
              g_assert_true (isnan (item->score));
              if (item->index < n / 2)
                low++;
            }
          else
            g_assert_cmpuint (item->index, >=, n - 20); /* the top 18 of the rest */
        }
      g_assert_cmpuint (n_audit, ==, 2);
      /* Spread: positions ⌊(a + ½) · 20 / 2⌋ = 5 and 15. */
      g_assert_true (g_array_index (batch, GlAcquireItem, 5).audit);
      g_assert_true (g_array_index (batch, GlAcquireItem, 15).audit);
      total_audit += n_audit;
    }
  g_assert_cmpuint (low, >, total_audit * 35 / 100);
  g_assert_cmpuint (low, <, total_audit * 65 / 100);
}

static void
test_small_pools (void)
{
  const float probs[] = { 0.6f, 0.4f, 0.9f, 0.1f, 0.5f, 0.5f };
  const float emb[] = { 0, 0, 1, 1, 2, 2 };
  const guint8 state[] = { GL_ITEM_LABELED, GL_ITEM_CANDIDATE, GL_ITEM_CANDIDATE };
  GlAcquirePool pool = { .n = 3, .n_classes = 2, .probs = probs, .embeddings = emb, .dim = 2, .state = state };
  GlAcquireOptions options;

  gl_acquire_options_init (&options);
  for (guint s = 0; s < GL_N_STRATEGIES; s++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GArray) batch = NULL;

      if (s == GL_STRATEGY_BALD)
        continue;
      batch = gl_acquire_select ((GlStrategy) s, &pool, &options, &error);
      g_assert_no_error (error);
      /* Two candidates; 10% of 2 rounds to no audit item. */
      g_assert_cmpuint (batch->len, ==, 2);
      for (guint i = 0; i < batch->len; i++)
        {
          g_assert_cmpuint (g_array_index (batch, GlAcquireItem, i).index, !=, 0);
          g_assert_false (g_array_index (batch, GlAcquireItem, i).audit);
        }
    }
  /* An empty pool gives an empty batch. */
  {
    GlAcquirePool empty = { .n = 0, .n_classes = 2 };
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) batch = gl_acquire_select (GL_STRATEGY_DEFAULT, &empty, &options, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (batch->len, ==, 0);
  }
}

static void
test_coverage (void)
{
  /* Eight tight clusters of 100: the first eight of the cold-start order hit
   * all eight, and the order is the same for the same seed. */
  const guint n_clusters = 8, per = 100, dim = 49;
  g_autofree float *feat = make_clusters (n_clusters, per, dim, 0.01f, 5);
  gsize order[8], again[8];
  gboolean seen[8] = { FALSE };

  g_assert_cmpuint (gl_acquire_coverage_order (feat, n_clusters * per, dim, NULL, 8, 9, order), ==, 8);
  for (guint s = 0; s < 8; s++)
    {
      g_assert_false (seen[order[s] / per]);
      seen[order[s] / per] = TRUE;
    }
  gl_acquire_coverage_order (feat, n_clusters * per, dim, NULL, 8, 9, again);
  g_assert_cmpmem (order, sizeof order, again, sizeof again);

  /* With clusters 0..6 labeled (one item each), the first pick is in cluster 7. */
  {
    g_autofree guint8 *state = g_new0 (guint8, n_clusters * per);
    for (guint c = 0; c < 7; c++)
      state[c * per] = GL_ITEM_LABELED;
    g_assert_cmpuint (gl_acquire_coverage_order (feat, n_clusters * per, dim, state, 1, 9, order), ==, 1);
    g_assert_cmpuint (order[0] / per, ==, 7);
  }
}

static void
test_downsample (void)
{
  /* 28×28 grey with constant 4×4 blocks of value (by + bx) · 10 → 7×7 exact. */
  g_autofree guint8 *img = g_new (guint8, 28 * 28);
  float f[49];
  float g[8 * 8 * 3];
  g_autofree guint8 *rgb = g_new (guint8, 16 * 16 * 3);
  const guint8 odd[] = { 0, 255, 255, 255, 0, 0, 0, 0, 255 }; /* 3×3 */
  float h[4];

  for (guint y = 0; y < 28; y++)
    for (guint x = 0; x < 28; x++)
      img[y * 28 + x] = (guint8) ((y / 4 + x / 4) * 10);
  gl_acquire_downsample (img, 1, 28, 28, 1, 7, f);
  for (guint y = 0; y < 7; y++)
    for (guint x = 0; x < 7; x++)
      g_assert_cmpfloat_with_epsilon (f[y * 7 + x], (y + x) * 10 / 255.0, EPS);

  /* 16×16×3 → 8×8×3, channels kept apart. */
  for (guint i = 0; i < 16 * 16; i++)
    {
      rgb[i * 3 + 0] = 255;
      rgb[i * 3 + 1] = (guint8) (i % 2 ? 100 : 0);
      rgb[i * 3 + 2] = 0;
    }
  gl_acquire_downsample (rgb, 1, 16, 16, 3, 8, g);
  g_assert_cmpfloat_with_epsilon (g[0], 1.0, EPS);
  g_assert_cmpfloat_with_epsilon (g[1], 50 / 255.0, EPS);
  g_assert_cmpfloat_with_epsilon (g[2], 0.0, EPS);

  /* 3×3 → 2×2: cells overlap on the middle row and column (2×2 each). */
  gl_acquire_downsample (odd, 1, 3, 3, 1, 2, h);
  g_assert_cmpfloat_with_epsilon (h[0], (0 + 255 + 255 + 0) / (4 * 255.0), EPS);
  g_assert_cmpfloat_with_epsilon (h[3], (0 + 0 + 0 + 255) / (4 * 255.0), EPS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/acquire/strategy-names", test_strategy_names);
  g_test_add_func ("/acquire/scores", test_scores);
  g_test_add_func ("/acquire/bald", test_bald);
  g_test_add_func ("/acquire/missing-input", test_missing_input);
  g_test_add_func ("/acquire/top-k", test_top_k);
  g_test_add_func ("/acquire/k-center-spread", test_k_center_spread);
  g_test_add_func ("/acquire/k-center-line", test_k_center_far_line);
  g_test_add_func ("/acquire/default-is-diverse", test_default_is_diverse);
  g_test_add_func ("/acquire/random", test_random);
  g_test_add_func ("/acquire/audit", test_audit);
  g_test_add_func ("/acquire/small-pools", test_small_pools);
  g_test_add_func ("/acquire/coverage", test_coverage);
  g_test_add_func ("/acquire/downsample", test_downsample);
  return g_test_run ();
}
