/* test-drift-domain.c — the domain score and the allocation of
 * engine/gl-drift-domain.h, against values worked out by hand on
 * one-dimensional points; the score on a seeded mixture (near 0 where the
 * window is like the reference, high where it is not; also for a window
 * larger than its neighbour sample) and the share of a
 * compact cluster beside a wide one. */
#include "engine/gl-drift-domain.h"
#include "engine/gl-rng.h"

#include <math.h>
#include <string.h>

static void
test_scores_by_hand (void)
{
  const float ref[] = { 0, 1, 2, 3 }, win[] = { 10, 10.5f, 11, 2.1f };
  double s[4];

  /* k = 2. x = 10: neighbours 10.5 and 11, both of the window: r = (2/3) /
   * (1/4) = 8/3, score 1 − 3/8. x = 2.1: 2 and 3, both reference: 0. */
  gl_drift_domain_scores (ref, 4, win, 4, 1, 2, s);
  g_assert_cmpfloat_with_epsilon (s[0], 0.625, 1e-12);
  g_assert_cmpfloat_with_epsilon (s[1], 0.625, 1e-12);
  g_assert_cmpfloat_with_epsilon (s[2], 0.625, 1e-12);
  g_assert_cmpfloat (s[3], ==, 0.0);

  /* k = 3: x = 10 also has 3 (reference) among its neighbours: r = (2/3) /
   * (2/4), score 1 − 3/4. */
  gl_drift_domain_scores (ref, 4, win, 4, 1, 3, s);
  g_assert_cmpfloat_with_epsilon (s[0], 0.25, 1e-12);

  /* Degenerate: no reference, a window of one. */
  gl_drift_domain_scores (ref, 0, win, 4, 1, 2, s);
  g_assert_cmpfloat (s[0], ==, 0.0);
  gl_drift_domain_scores (ref, 4, win, 1, 1, 10, s);
  g_assert_cmpfloat (s[0], ==, 0.0);
}

/* Two clusters in one dimension, {0, 0.1, 0.2} and {10, 10.1}, priority 1
 * each. Seeds rows 0 and 2 (both in the first); Lloyd moves the second to
 * 10.05. Weights 3 and 2; quotients: 0.1 (the centre) 3, then 0 and 0.2 as
 * near (row order) 3/2 and 3/3; 10 and 10.1 as near, 2 and 2/2. */
static void
test_allocate_by_hand (void)
{
  const float x[] = { 0, 0.1f, 0.2f, 10, 10.1f };
  const double ones[] = { 1, 1, 1, 1, 1 }, light_b[] = { 1, 1, 1, 0.1, 0.1 };
  double gain[5];
  guint cluster[5];

  gl_drift_domain_allocate (x, 5, 1, ones, 2, gain, cluster);
  g_assert_cmpuint (cluster[0], ==, cluster[2]);
  g_assert_cmpuint (cluster[3], ==, cluster[4]);
  g_assert_cmpuint (cluster[0], !=, cluster[3]);
  g_assert_cmpfloat_with_epsilon (gain[1], 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (gain[0], 1.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (gain[2], 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (gain[3], 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (gain[4], 1.0, 1e-12);

  /* A light cluster waits for the heavy one's second and third: 0.2 < 1. */
  gl_drift_domain_allocate (x, 5, 1, light_b, 2, gain, NULL);
  g_assert_cmpfloat_with_epsilon (gain[3], 0.2, 1e-6);
  g_assert_cmpfloat (gain[3], <, gain[2]);

  /* One cluster: by typicality; no coordinates: by priority. */
  gl_drift_domain_allocate (x, 3, 1, ones, 1, gain, NULL);
  g_assert_cmpfloat_with_epsilon (gain[1], 3.0, 1e-12);
  gl_drift_domain_allocate (x, 5, 1, ones, 1000, gain, cluster);
  g_assert_cmpfloat (gain[4], ==, 1.0); /* as many clusters as rows: each its own */
  gl_drift_domain_allocate (x, 5, 0, light_b, 2, gain, cluster);
  g_assert_cmpfloat (gain[4], ==, 0.1);
  g_assert_cmpuint (cluster[4], ==, 4);
}

/* A compact cluster of 30 gets its share beside a wide one of 70: among the
 * 20 highest quotients, about 30%. */
static void
test_allocate_shares (void)
{
  enum { N = 100 };
  g_autofree float *x = g_new (float, N * 2);
  double priority[N], gain[N], sorted[N], cut;
  guint compact = 0;
  GlRng rng;

  gl_rng_init (&rng, 9);
  for (guint i = 0; i < N; i++)
    {
      /* Rows 0…69 wide around (0, 0), σ 3; rows 70…99 compact around (20, 0), σ 0.3. */
      double sd = i < 70 ? 3.0 : 0.3;
      x[2 * i] = (float)((i < 70 ? 0.0 : 20.0) + sd * gl_rng_normal (&rng));
      x[2 * i + 1] = (float)(sd * gl_rng_normal (&rng));
      priority[i] = 1.0;
    }
  gl_drift_domain_allocate (x, N, 2, priority, 10, gain, NULL);
  memcpy (sorted, gain, sizeof gain);
  for (guint i = 0; i < N; i++)
    for (guint j = i + 1; j < N; j++)
      if (sorted[j] > sorted[i])
        {
          double t = sorted[i];
          sorted[i] = sorted[j];
          sorted[j] = t;
        }
  cut = sorted[19];
  for (guint i = 70; i < N; i++)
    compact += gain[i] >= cut;
  g_test_message ("compact cluster: %u of the first 20", compact);
  g_assert_cmpuint (compact, >=, 4);
  g_assert_cmpuint (compact, <=, 9);
}

/* A 2-D reference N(0, I); a window of @nw, half like it and half from
 * N((6, 0), I): the new ones score high, the others near 0. */
static void
check_mixture (gsize nw)
{
  const gsize nr = 2000;
  g_autofree float *ref = g_new (float, nr * 2), *win = g_new (float, nw * 2);
  g_autofree double *s = g_new (double, nw);
  double same = 0, shifted = 0;
  GlRng rng;

  gl_rng_init (&rng, 5);
  for (gsize i = 0; i < nr * 2; i++)
    ref[i] = (float)gl_rng_normal (&rng);
  for (gsize i = 0; i < nw; i++)
    {
      win[2 * i] = (float)(gl_rng_normal (&rng) + (i % 2 ? 6.0 : 0.0));
      win[2 * i + 1] = (float)gl_rng_normal (&rng);
    }
  gl_drift_domain_scores (ref, nr, win, nw, 2, 10, s);
  for (gsize i = 0; i < nw; i++)
    {
      g_assert_true (s[i] >= 0.0 && s[i] < 1.0);
      if (i % 2)
        shifted += s[i] / (double)(nw / 2);
      else
        same += s[i] / (double)(nw / 2);
    }
  g_test_message ("window of %" G_GSIZE_FORMAT ": mean domain score like the reference %.3f, shifted %.3f", nw, same,
                  shifted);
  g_assert_cmpfloat (same, <, 0.2);
  g_assert_cmpfloat (shifted, >, 0.8);
}

static void
test_mixture (void)
{
  check_mixture (200);
  /* Larger than the window sample: every third row as window neighbour. */
  check_mixture (3 * GL_DRIFT_DOMAIN_WINDOW_SAMPLE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/drift-domain/scores-by-hand", test_scores_by_hand);
  g_test_add_func ("/drift-domain/allocate-by-hand", test_allocate_by_hand);
  g_test_add_func ("/drift-domain/allocate-shares", test_allocate_shares);
  g_test_add_func ("/drift-domain/mixture", test_mixture);
  return g_test_run ();
}
