/* test-drift-domain.c — the domain score, the reference spacing and the
 * weighted k-center greedy of engine/gl-drift-domain.h, against values worked
 * out by hand on one-dimensional points, and the score on a seeded mixture:
 * near 0 where the window is like the reference, high where it is not. */
#include "engine/gl-drift-domain.h"
#include "engine/gl-rng.h"

#include <math.h>

static void
test_scores_by_hand (void)
{
  const float ref[] = { 0, 1, 2, 3 }, win[] = { 10, 10.5f, 11, 2.1f };
  double s[4], near[4];

  /* k = 2. x = 10: neighbours 10.5 and 11, both of the window: r = (2/3) /
   * (1/4) = 8/3, score 1 − 3/8. x = 2.1: 2 and 3, both reference: 0. */
  gl_drift_domain_scores (ref, 4, win, 4, 1, 2, s, near);
  g_assert_cmpfloat_with_epsilon (s[0], 0.625, 1e-12);
  g_assert_cmpfloat_with_epsilon (s[1], 0.625, 1e-12);
  g_assert_cmpfloat_with_epsilon (s[2], 0.625, 1e-12);
  g_assert_cmpfloat (s[3], ==, 0.0);
  g_assert_cmpfloat_with_epsilon (near[0], 7.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (near[3], 0.1, 1e-6);

  /* k = 3: x = 10 also has 3 (reference) among its neighbours: r = (2/3) /
   * (2/4), score 1 − 3/4. */
  gl_drift_domain_scores (ref, 4, win, 4, 1, 3, s, NULL);
  g_assert_cmpfloat_with_epsilon (s[0], 0.25, 1e-12);

  /* Degenerate: no reference, a window of one. */
  gl_drift_domain_scores (ref, 0, win, 4, 1, 2, s, near);
  g_assert_cmpfloat (s[0], ==, 0.0);
  g_assert_true (isinf (near[0]));
  gl_drift_domain_scores (ref, 4, win, 1, 1, 10, s, NULL);
  g_assert_cmpfloat (s[0], ==, 0.0);
}

static void
test_spacing (void)
{
  const float a[] = { 0, 1, 2, 3 }, b[] = { 0, 1, 3 };

  g_assert_cmpfloat_with_epsilon (gl_drift_domain_spacing (a, 4, 1), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (gl_drift_domain_spacing (b, 3, 1), 1.0, 1e-12);
  g_assert_cmpfloat (gl_drift_domain_spacing (a, 1, 1), ==, 0.0);
}

static void
test_greedy_by_hand (void)
{
  const float x[] = { 0, 0.1f, 0.2f, 5 };
  const double covered[] = { 10, 10, 10, 10 }, even[] = { 1, 1, 1, 1 }, low_far[] = { 1, 1, 1, 0.01 };
  gsize order[4];
  double gain[4];

  /* Equal priorities: the far point second, before the near ones. */
  gl_drift_domain_greedy (x, 4, 1, even, covered, 1.0, order, gain);
  g_assert_cmpuint (order[0], ==, 0);
  g_assert_cmpuint (order[1], ==, 3);
  g_assert_cmpuint (order[2], ==, 2);
  g_assert_cmpuint (order[3], ==, 1);
  g_assert_cmpfloat_with_epsilon (gain[0], 10.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (gain[3], 5.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (gain[2], 0.2, 1e-6);

  /* A far point of low priority waits: 0.01 × 5 < 0.2. */
  gl_drift_domain_greedy (x, 4, 1, low_far, covered, 1.0, order, gain);
  g_assert_cmpuint (order[1], ==, 2);
  g_assert_cmpuint (order[2], ==, 1);
  g_assert_cmpuint (order[3], ==, 3);

  /* Distances in units of the spacing. */
  gl_drift_domain_greedy (x, 4, 1, even, covered, 2.0, order, gain);
  g_assert_cmpfloat_with_epsilon (gain[0], 5.0, 1e-9);
}

/* A 2-D reference N(0, I); a window of 100 like it and 100 from N((6, 0), I):
 * the new ones score high, the others near 0. */
static void
test_mixture (void)
{
  enum { NR = 2000, NW = 200 };
  g_autofree float *ref = g_new (float, NR * 2), *win = g_new (float, NW * 2);
  double s[NW], same = 0, shifted = 0;
  GlRng rng;

  gl_rng_init (&rng, 5);
  for (guint i = 0; i < NR * 2; i++)
    ref[i] = (float)gl_rng_normal (&rng);
  for (guint i = 0; i < NW; i++)
    {
      win[2 * i] = (float)(gl_rng_normal (&rng) + (i % 2 ? 6.0 : 0.0));
      win[2 * i + 1] = (float)gl_rng_normal (&rng);
    }
  gl_drift_domain_scores (ref, NR, win, NW, 2, 10, s, NULL);
  for (guint i = 0; i < NW; i++)
    {
      g_assert_true (s[i] >= 0.0 && s[i] < 1.0);
      if (i % 2)
        shifted += s[i] / (NW / 2);
      else
        same += s[i] / (NW / 2);
    }
  g_test_message ("mean domain score: like the reference %.3f, shifted %.3f", same, shifted);
  g_assert_cmpfloat (same, <, 0.2);
  g_assert_cmpfloat (shifted, >, 0.8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/drift-domain/scores-by-hand", test_scores_by_hand);
  g_test_add_func ("/drift-domain/spacing", test_spacing);
  g_test_add_func ("/drift-domain/greedy-by-hand", test_greedy_by_hand);
  g_test_add_func ("/drift-domain/mixture", test_mixture);
  return g_test_run ();
}
