/* test-confident.c — confident learning (engine/gl-confident.h) on a
 * hand-made probability matrix whose thresholds, confident joint,
 * calibrated joint and pruned set were worked out by hand. */
#include <math.h>

#include "engine/gl-confident.h"

#define EPS 1e-6

/* Nine examples, three classes; x2 (labeled 0, looks like 1) and x8
 * (labeled 2, looks like 0) are the planted errors.
 *   t0 = (0.9 + 0.7 + 0.1) / 3 = 0.566667
 *   t1 = (0.8 + 0.65 + 0.6) / 3 = 0.683333
 *   t2 = (0.8 + 0.9 + 0.3) / 3 = 0.666667
 * Confident class (p_j ≥ t_j, largest p_j among those):
 *   x0 0, x1 0, x2 1, x3 1, x4 none (0.65 < t1), x5 none, x6 2, x7 2, x8 0
 *   C = [[2 1 0] [0 1 0] [1 0 2]]
 * Calibrated (rows rescaled to 3 labels each, divided by n = 9):
 *   Q = [[2/9 1/9 0] [0 1/3 0] [1/9 0 2/9]]
 * Prune by noise rate: round(9·Q01) = 1 example labeled 0 with the largest
 * p1 − p0 (x2: 0.7), round(9·Q20) = 1 labeled 2 with the largest p0 − p2
 * (x8: 0.3). */
static const gint labels[] = { 0, 0, 0, 1, 1, 1, 2, 2, 2 };
static const float probs[] = {
  0.9f,  0.05f, 0.05f, /* x0 */
  0.7f,  0.2f,  0.1f,  /* x1 */
  0.1f,  0.8f,  0.1f,  /* x2 */
  0.1f,  0.8f,  0.1f,  /* x3 */
  0.25f, 0.65f, 0.1f,  /* x4 */
  0.3f,  0.6f,  0.1f,  /* x5 */
  0.1f,  0.1f,  0.8f,  /* x6 */
  0.05f, 0.05f, 0.9f,  /* x7 */
  0.6f,  0.1f,  0.3f,  /* x8 */
};
#define N 9
#define K 3

static void
test_thresholds (void)
{
  double t[K];
  guint64 counts[K];
  gl_confident_thresholds (labels, probs, N, K, t, counts);
  g_assert_cmpfloat_with_epsilon (t[0], 1.7 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (t[1], 2.05 / 3, EPS);
  g_assert_cmpfloat_with_epsilon (t[2], 2.0 / 3, EPS);
  for (guint j = 0; j < K; j++)
    g_assert_cmpuint (counts[j], ==, 3);

  /* A class nobody is labeled with can never be confidently anything. */
  const gint two[] = { 0, 0 };
  const float p2[] = { 0.6f, 0.4f, 0.2f, 0.8f };
  double t2[2];
  gl_confident_thresholds (two, p2, 2, 2, t2, NULL);
  g_assert_cmpfloat_with_epsilon (t2[0], 0.4, EPS);
  g_assert_true (isinf (t2[1]));
}

static void
test_joint (void)
{
  double t[K];
  guint64 counts[K], c[K * K];
  gint confident[N];
  gl_confident_thresholds (labels, probs, N, K, t, counts);
  gl_confident_joint (labels, probs, N, K, t, c, confident);
  const guint64 expected[K * K] = { 2, 1, 0, 0, 1, 0, 1, 0, 2 };
  const gint expected_class[N] = { 0, 0, 1, 1, -1, -1, 2, 2, 0 };
  for (guint i = 0; i < K * K; i++)
    g_assert_cmpuint (c[i], ==, expected[i]);
  for (guint x = 0; x < N; x++)
    g_assert_cmpint (confident[x], ==, expected_class[x]);

  /* Two classes above their thresholds: the larger probability wins. */
  const gint y[] = { 0 };
  const float p[] = { 0.45f, 0.55f };
  const double th[] = { 0.4, 0.5 };
  guint64 c2[4];
  gint which;
  gl_confident_joint (y, p, 1, 2, th, c2, &which);
  g_assert_cmpint (which, ==, 1);
  g_assert_cmpuint (c2[1], ==, 1);
  g_assert_cmpuint (c2[0] + c2[2] + c2[3], ==, 0);
}

static void
test_calibrate (void)
{
  const guint64 c[K * K] = { 2, 1, 0, 0, 1, 0, 1, 0, 2 };
  const guint64 counts[K] = { 3, 3, 3 };
  double q[K * K];
  gl_confident_calibrate (c, counts, K, q);
  const double expected[K * K] = { 2.0 / 9, 1.0 / 9, 0, 0, 1.0 / 3, 0, 1.0 / 9, 0, 2.0 / 9 };
  double sum = 0;
  for (guint i = 0; i < K * K; i++)
    {
      g_assert_cmpfloat_with_epsilon (q[i], expected[i], EPS);
      sum += q[i];
    }
  g_assert_cmpfloat_with_epsilon (sum, 1.0, EPS);

  /* A row without a confident example counts as clean: its labels on the diagonal. */
  const guint64 c0[4] = { 0, 0, 1, 3 };
  const guint64 n0[2] = { 2, 6 };
  double q0[4];
  gl_confident_calibrate (c0, n0, 2, q0);
  g_assert_cmpfloat_with_epsilon (q0[0], 2.0 / 8, EPS);
  g_assert_cmpfloat_with_epsilon (q0[1], 0, EPS);
  g_assert_cmpfloat_with_epsilon (q0[2], 6.0 / 4 / 8, EPS);
  g_assert_cmpfloat_with_epsilon (q0[3], 18.0 / 4 / 8, EPS);
}

static void
test_prune (void)
{
  const double q[K * K] = { 2.0 / 9, 1.0 / 9, 0, 0, 1.0 / 3, 0, 1.0 / 9, 0, 2.0 / 9 };
  gboolean flagged[N];
  g_assert_cmpuint (gl_confident_prune_by_noise_rate (labels, probs, N, K, q, flagged), ==, 2);
  for (guint x = 0; x < N; x++)
    g_assert_cmpint (flagged[x], ==, x == 2 || x == 8);

  /* A noise rate of 2/9 in (0, 1) picks x2 (margin 0.7) and x1 (−0.5); x1
   * is predicted as its own label, so it is dropped again. */
  const double q2[K * K] = { 1.0 / 9, 2.0 / 9, 0, 0, 1.0 / 3, 0, 0, 0, 1.0 / 3 };
  g_assert_cmpuint (gl_confident_prune_by_noise_rate (labels, probs, N, K, q2, flagged), ==, 1);
  for (guint x = 0; x < N; x++)
    g_assert_cmpint (flagged[x], ==, x == 2);
}

static void
test_scores_and_order (void)
{
  double quality[N];
  gsize order[N];
  gl_confident_scores (labels, probs, N, K, GL_CONFIDENT_RANK_SELF_CONFIDENCE, quality);
  g_assert_cmpfloat_with_epsilon (quality[2], 0.1, EPS);
  g_assert_cmpfloat_with_epsilon (quality[8], 0.3, EPS);
  gl_confident_order (quality, N, order);
  /* 0.1 0.3 0.6 0.65 0.7 0.8 0.8 0.9 0.9, ties by index. */
  const gsize expected[N] = { 2, 8, 5, 4, 1, 3, 6, 0, 7 };
  for (guint i = 0; i < N; i++)
    g_assert_cmpuint (order[i], ==, expected[i]);

  gl_confident_scores (labels, probs, N, K, GL_CONFIDENT_RANK_NORMALIZED_MARGIN, quality);
  g_assert_cmpfloat_with_epsilon (quality[2], (0.1 - 0.8 + 1) / 2, EPS);
  g_assert_cmpfloat_with_epsilon (quality[8], (0.3 - 0.6 + 1) / 2, EPS);
  g_assert_cmpfloat_with_epsilon (quality[0], (0.9 - 0.05 + 1) / 2, EPS);

  gint suggested[N];
  gl_confident_suggest (labels, probs, N, K, suggested);
  g_assert_cmpint (suggested[2], ==, 1);
  g_assert_cmpint (suggested[8], ==, 0);
  g_assert_cmpint (suggested[0], ==, 1); /* tie 0.05 / 0.05: the smaller class */

  GlConfidentRank r;
  g_assert_true (gl_confident_rank_from_string ("normalized-margin", &r));
  g_assert_cmpint (r, ==, GL_CONFIDENT_RANK_NORMALIZED_MARGIN);
  g_assert_false (gl_confident_rank_from_string ("margin", &r));
}

/* Prune by class against prune by noise rate, where they disagree. Four
 * examples, three classes; n·Q[0][1] = 1, so one example labeled 0 is
 * wrong, most likely a 1:
 *   a (labeled 0) 0.20 0.70 0.10   margin p1 − p0 = 0.50, self-confidence 0.20
 *   b (labeled 0) 0.10 0.45 0.45   margin p1 − p0 = 0.35, self-confidence 0.10
 *   c (labeled 1) 0.10 0.80 0.10
 *   d (labeled 2) 0.10 0.10 0.80
 * By noise rate: a (the largest margin towards 1). By class: b (the lowest
 * p0). Both: none. */
static void
test_prune_by_class (void)
{
  const gint y[] = { 0, 0, 1, 2 };
  const float p[] = { 0.20f, 0.70f, 0.10f, 0.10f, 0.45f, 0.45f, 0.10f, 0.80f, 0.10f, 0.10f, 0.10f, 0.80f };
  const double q[K * K] = { 1.0 / 4, 1.0 / 4, 0, 0, 1.0 / 4, 0, 0, 0, 1.0 / 4 };
  gboolean flagged[4];
  g_assert_cmpuint (gl_confident_prune_by_noise_rate (y, p, 4, K, q, flagged), ==, 1);
  g_assert_true (flagged[0] && !flagged[1] && !flagged[2] && !flagged[3]);
  g_assert_cmpuint (gl_confident_prune_by_class (y, p, 4, K, q, flagged), ==, 1);
  g_assert_true (!flagged[0] && flagged[1] && !flagged[2] && !flagged[3]);

  /* The nine-example matrix: row 0 has n·(Q01 + Q02) = 1 error, the lowest
   * p0 (x2, 0.1); row 2 one, the lowest p2 (x8, 0.3); row 1 none. With a
   * noise rate of 2/9 in row 0, x1 (p0 0.7) is the second pick and is
   * dropped again: its argmax is its label. */
  const double q9[K * K] = { 2.0 / 9, 1.0 / 9, 0, 0, 1.0 / 3, 0, 1.0 / 9, 0, 2.0 / 9 };
  gboolean f9[N];
  g_assert_cmpuint (gl_confident_prune_by_class (labels, probs, N, K, q9, f9), ==, 2);
  for (guint x = 0; x < N; x++)
    g_assert_cmpint (f9[x], ==, x == 2 || x == 8);
  const double q2[K * K] = { 1.0 / 9, 2.0 / 9, 0, 0, 1.0 / 3, 0, 0, 0, 1.0 / 3 };
  g_assert_cmpuint (gl_confident_prune_by_class (labels, probs, N, K, q2, f9), ==, 1);
  for (guint x = 0; x < N; x++)
    g_assert_cmpint (f9[x], ==, x == 2);

  GlConfidentFilter f;
  g_assert_true (gl_confident_filter_from_string ("both", &f));
  g_assert_cmpint (f, ==, GL_CONFIDENT_FILTER_BOTH);
  g_assert_cmpstr (gl_confident_filter_to_string (GL_CONFIDENT_FILTER_CLASS), ==, "prune-by-class");
  g_assert_false (gl_confident_filter_from_string ("prune_by_class", &f));
}

/* The whole method with each filter on a matrix where the rules disagree.
 * Eight examples, two classes:
 *   labeled 0: x0 0.9, x1 0.8, x2 0.3, x3 0.45   (p0; p1 = 1 − p0)
 *   labeled 1: x4 0.1, x5 0.2, x6 0.7, x7 0.6    (p0)
 * t0 = (0.9 + 0.8 + 0.3 + 0.45) / 4 = 0.6125, t1 = (0.9 + 0.8 + 0.3 + 0.4) / 4 = 0.6
 * confident: x0 0, x1 0, x2 1, x3 none (p0 0.45 < t0, p1 0.55 < t1), x4 1,
 * x5 1, x6 0, x7 none (p0 0.6 < t0, p1 0.4 < t1)
 * C = [[2 1] [1 2]]; Q = C rows rescaled to 4, over 8: [[8/3 4/3] [4/3 8/3]] / 8
 * round(8 · Q01) = round(1.33) = 1, likewise row 1.
 * By noise rate: labeled 0, largest p1 − p0: x2 (0.4); labeled 1, largest
 * p0 − p1: x6 (0.4). By class: the lowest p0 among labeled 0: x2; the
 * lowest p1 among labeled 1: x6. Both agree here: {x2, x6}. */
static void
test_find_filters (void)
{
  const gint y[] = { 0, 0, 0, 0, 1, 1, 1, 1 };
  const float p[] = { 0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f, 0.45f, 0.55f,
                      0.1f, 0.9f, 0.2f, 0.8f, 0.7f, 0.3f, 0.6f,  0.4f };
  double quality[8];
  gboolean flagged[8];
  GlConfidentResult out = { NULL, NULL, NULL, flagged, quality, NULL };
  for (GlConfidentFilter f = GL_CONFIDENT_FILTER_NOISE_RATE; f <= GL_CONFIDENT_FILTER_BOTH; f++)
    {
      g_assert_cmpuint (gl_confident_find (y, p, 8, 2, f, GL_CONFIDENT_RANK_SELF_CONFIDENCE, &out), ==, 2);
      for (guint x = 0; x < 8; x++)
        g_assert_cmpint (flagged[x], ==, x == 2 || x == 6);
    }
  /* Where the rules disagree, both is the intersection. Three classes:
   *   x0, x1 (labeled 0) 0.9 0.05 0.05     x4 (1) 0.1 0.7 0.2   x6 (2) 0.1 0.1 0.8
   *   x2     (labeled 0) 0.2 0.7  0.1      x5 (1) 0.1 0.6 0.3   x7 (2) 0.1 0.2 0.7
   *   x3     (labeled 0) 0.1 0.45 0.45
   * t = (2.1/4, 1.3/2, 1.5/2) = (0.525, 0.65, 0.75); confident: x0 0, x1 0,
   * x2 1, x3 none, x4 1, x5 none, x6 2, x7 none; C = [[2 1 0] [0 1 0] [0 0 1]],
   * n·Q row 0 = (8/3, 4/3, 0): one example labeled 0 is wrong, as a 1.
   * By noise rate: the largest p1 − p0, x2 (0.5 against x3's 0.35). By
   * class: the lowest p0, x3 (0.1 against x2's 0.2). Both: none. */
  const gint y3[] = { 0, 0, 0, 0, 1, 1, 2, 2 };
  const float p3[] = { 0.9f, 0.05f, 0.05f, 0.9f, 0.05f, 0.05f, 0.2f, 0.7f, 0.1f, 0.1f, 0.45f, 0.45f,
                       0.1f, 0.7f,  0.2f,  0.1f, 0.6f,  0.3f,  0.1f, 0.1f, 0.8f, 0.1f, 0.2f,  0.7f };
  const gsize expected_count[] = { 1, 1, 0 };
  const gint expected_flag[] = { 2, 3, -1 };
  for (GlConfidentFilter f = GL_CONFIDENT_FILTER_NOISE_RATE; f <= GL_CONFIDENT_FILTER_BOTH; f++)
    {
      g_assert_cmpuint (gl_confident_find (y3, p3, 8, K, f, GL_CONFIDENT_RANK_SELF_CONFIDENCE, &out), ==,
                        expected_count[f]);
      for (guint x = 0; x < 8; x++)
        g_assert_cmpint (flagged[x], ==, (gint)x == expected_flag[f]);
    }
}

static void
test_find (void)
{
  double t[K], q[K * K], quality[N];
  guint64 c[K * K];
  gboolean flagged[N];
  gint suggested[N];
  GlConfidentResult out = { t, c, q, flagged, quality, suggested };
  g_assert_cmpuint (
      gl_confident_find (labels, probs, N, K, GL_CONFIDENT_FILTER_NOISE_RATE, GL_CONFIDENT_RANK_SELF_CONFIDENCE, &out),
      ==, 2);
  g_assert_true (flagged[2] && flagged[8]);
  g_assert_cmpuint (c[1], ==, 1);
  g_assert_cmpfloat_with_epsilon (q[6], 1.0 / 9, EPS);
  g_assert_cmpfloat_with_epsilon (t[1], 2.05 / 3, EPS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confident/thresholds", test_thresholds);
  g_test_add_func ("/confident/joint", test_joint);
  g_test_add_func ("/confident/calibrate", test_calibrate);
  g_test_add_func ("/confident/prune-by-noise-rate", test_prune);
  g_test_add_func ("/confident/scores", test_scores_and_order);
  g_test_add_func ("/confident/prune-by-class", test_prune_by_class);
  g_test_add_func ("/confident/find", test_find);
  g_test_add_func ("/confident/find-filters", test_find_filters);
  return g_test_run ();
}
