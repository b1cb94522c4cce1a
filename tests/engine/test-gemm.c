/* test-gemm.c — the engine's AVX-512 sgemm (engine/gl-gemm.h): against a
 * double-precision reference for every transpose the engine uses and sizes
 * around the register block (MR = 8 rows, NR = 32 columns), lda and ldb
 * wider than the matrix, beta 0 (C not read), 1 and other; and the promise of
 * gl_sgemm: each element is the same dot product however C is cut, so
 * results are bit-identical for 1 and 2 threads and for any blocks. Skipped
 * on a CPU without AVX-512F. */
#include <math.h>
#include <string.h>

#include "engine/gl-blas.h"
#include "engine/gl-gemm.h"
#include "engine/gl-parallel.h"

static gboolean
have_kernel (void)
{
  GlCpuFeatures f;
  gl_cpu_features_detect (&f);
  if (!gl_gemm_compiled () || !f.avx512f)
    {
      g_test_skip ("no AVX-512F (or no kernel in this build)");
      return FALSE;
    }
  return TRUE;
}

static void
fill (float *x, gsize n, guint32 seed)
{
  guint32 state = seed;
  for (gsize i = 0; i < n; i++)
    x[i] = (float) ((state = state * 1664525u + 1013904223u) >> 8) / (float) (1 << 24) - 0.5f;
}

/* C = alpha · op(A) · op(B) + beta · C for every case of sizes and
 * layouts, compared with a double-precision sum. */
static void
check_case (gboolean ta, gboolean tb, gsize m, gsize n, gsize k, gsize pad, float alpha, float beta)
{
  const gsize lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  const gsize a_rows = ta ? k : m, b_rows = tb ? n : k;
  g_autofree float *a = g_new (float, MAX (a_rows * lda, 1));
  g_autofree float *b = g_new (float, MAX (b_rows * ldb, 1));
  g_autofree float *c = g_new (float, m * ldc);
  g_autofree float *c0 = g_new (float, m * ldc);
  fill (a, a_rows * lda, 1 + (guint32) (m * 31 + k));
  fill (b, b_rows * ldb, 2 + (guint32) (n * 17 + k));
  fill (c0, m * ldc, 3);
  if (beta == 0.0f)
    for (gsize i = 0; i < m * ldc; i++)
      c0[i] = NAN; /* not read when beta is 0 */
  memcpy (c, c0, m * ldc * sizeof (float));
  gl_gemm_avx512 (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  for (gsize i = 0; i < m; i++)
    {
      for (gsize j = 0; j < n; j++)
        {
          double sum = 0, size = 0;
          for (gsize p = 0; p < k; p++)
            {
              const double x = ta ? a[p * lda + i] : a[i * lda + p];
              const double y = tb ? b[j * ldb + p] : b[p * ldb + j];
              sum += x * y;
              size += fabs (x * y);
            }
          const double want = alpha * sum + (beta == 0.0f ? 0.0 : beta * (double) c0[i * ldc + j]);
          /* float rounding: a few units in the last place per term's size. */
          const double tol = 4e-7 * (fabs (alpha) * size * 4 + fabs (want)) + 1e-30;
          if (!(fabs (c[i * ldc + j] - want) <= tol))
            g_error ("%s%s m=%zu n=%zu k=%zu pad=%zu alpha=%g beta=%g: C(%zu, %zu) = %.9g, want %.9g", ta ? "T" : "N",
                     tb ? "T" : "N", m, n, k, pad, (double) alpha, (double) beta, i, j, (double) c[i * ldc + j],
                     want);
        }
      /* The padding beyond column n is left alone. */
      for (gsize j = n; j < ldc; j++)
        g_assert_true (memcmp (&c[i * ldc + j], &c0[i * ldc + j], sizeof (float)) == 0);
    }
}

static void
test_against_reference (void)
{
  if (!have_kernel ())
    return;
  const gsize sizes[] = { 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65 };
  const gsize depths[] = { 1, 3, 17, 256, 257, 600 };
  const gboolean trans[3][2] = { { FALSE, FALSE }, { FALSE, TRUE }, { TRUE, FALSE } };
  for (guint t = 0; t < 3; t++)
    for (guint im = 0; im < G_N_ELEMENTS (sizes); im++)
      for (guint in = 0; in < G_N_ELEMENTS (sizes); in++)
        for (guint ik = 0; ik < G_N_ELEMENTS (depths); ik++)
          {
            const gsize m = sizes[im], n = sizes[in], k = depths[ik];
            /* Every fourth case with wider rows than the matrix and beta. */
            const guint which = im + in + ik;
            check_case (trans[t][0], trans[t][1], m, n, k, which % 4 == 0 ? 5 : 0, which % 3 == 0 ? 1.0f : 1.5f,
                        which % 2 == 0 ? 0.0f : (which % 4 == 1 ? 1.0f : 0.5f));
          }
  /* Beyond one packed block of columns (512) and rows (128), and TT is not used. */
  check_case (FALSE, FALSE, 130, 520, 40, 3, 1.0f, 1.0f);
  check_case (FALSE, TRUE, 9, 1030, 70, 0, 1.0f, 0.0f);
  check_case (TRUE, FALSE, 300, 33, 9, 1, 2.0f, 0.5f);
}

static void
test_depth_zero (void)
{
  if (!have_kernel ())
    return;
  float a[1] = { 0 }, b[1] = { 0 }, c[6] = { 1, 2, 3, 4, 5, 6 };
  gl_gemm_avx512 (FALSE, FALSE, 2, 3, 0, 1.0f, a, 1, b, 3, 0.5f, c, 3);
  g_assert_cmpfloat (c[5], ==, 3.0f);
  gl_gemm_avx512 (FALSE, FALSE, 2, 3, 0, 1.0f, a, 1, b, 3, 0.0f, c, 3);
  g_assert_cmpfloat (c[0], ==, 0.0f);
}

/* alpha 0: C = beta · C and A, B not read (as cblas_sgemm), so an Inf or NaN
 * in them does not reach C. */
static void
test_alpha_zero (void)
{
  if (!have_kernel ())
    return;
  float a[6] = { INFINITY, 1, 2, NAN, 4, 5 }, b[6] = { 1, 2, 3, 4, 5, 6 }, c[4] = { 1, 2, 3, 4 };
  gl_gemm_avx512 (FALSE, FALSE, 2, 2, 3, 0.0f, a, 3, b, 2, 0.5f, c, 2);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (c[i], ==, 0.5f * (float) (i + 1));
  gl_gemm_avx512 (TRUE, TRUE, 2, 2, 3, 0.0f, a, 2, b, 3, 0.0f, c, 2);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpfloat (c[i], ==, 0.0f);
}

/* The reference network's products, and odd ones, through gl_sgemm on 1 and
 * 2 threads and through the kernel on the whole of C and on C cut into odd
 * blocks of rows and columns: all bit-identical. */
static void
test_any_cut_same_bits (void)
{
  if (!have_kernel ())
    return;
  const char *opt = g_getenv ("GLEANER_KERNELS");
  g_assert_true (gl_blas_get_own_gemm () || (opt != NULL && g_ascii_strcasecmp (opt, "openblas") == 0));
  const struct
  {
    gboolean ta, tb;
    gsize m, n, k;
  } cases[] = {
    { FALSE, FALSE, 3136, 64, 288 }, { TRUE, FALSE, 288, 64, 1568 }, { FALSE, TRUE, 1568, 288, 64 },
    { FALSE, FALSE, 64, 128, 3136 }, { TRUE, FALSE, 3136, 128, 64 }, { FALSE, TRUE, 64, 3136, 128 },
    { FALSE, FALSE, 77, 45, 515 },   { FALSE, TRUE, 45, 1100, 33 },
  };
  for (guint t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      const gboolean ta = cases[t].ta, tb = cases[t].tb;
      const gsize m = cases[t].m, n = cases[t].n, k = cases[t].k;
      const gsize lda = ta ? m : k, ldb = tb ? k : n;
      g_autofree float *a = g_new (float, m * k);
      g_autofree float *b = g_new (float, k * n);
      g_autofree float *whole = g_new (float, m * n);
      g_autofree float *cut = g_new (float, m * n);
      g_autofree float *one = g_new (float, m * n);
      g_autofree float *two = g_new (float, m * n);
      fill (a, m * k, 11);
      fill (b, k * n, 12);
      gl_gemm_avx512 (ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, whole, n);
      /* Rows [0, 13) and the rest, the rest's columns [0, 21) and the rest. */
      const gsize r = MIN (13, m), q = MIN (21, n);
      gl_gemm_avx512 (ta, tb, r, n, k, 1.0f, a, lda, b, ldb, 0.0f, cut, n);
      gl_gemm_avx512 (ta, tb, m - r, q, k, 1.0f, a + (ta ? r : r * lda), lda, b, ldb, 0.0f, cut + r * n, n);
      gl_gemm_avx512 (ta, tb, m - r, n - q, k, 1.0f, a + (ta ? r : r * lda), lda, b + (tb ? q * ldb : q), ldb, 0.0f,
                      cut + r * n + q, n);
      gl_parallel_set_n_threads (1);
      gl_sgemm (ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, one, n);
      gl_parallel_set_n_threads (2);
      gl_sgemm (ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, two, n);
      g_assert_true (memcmp (whole, cut, m * n * sizeof (float)) == 0);
      /* OpenBLAS (GLEANER_KERNELS=openblas) does not keep this promise for
       * every shape: with Haswell kernels most of these differ in the last
       * bits between 1 and 2 threads. */
      if (gl_blas_get_own_gemm ())
        {
          g_assert_true (memcmp (one, two, m * n * sizeof (float)) == 0);
          g_assert_true (memcmp (whole, one, m * n * sizeof (float)) == 0);
        }
    }
  gl_parallel_set_n_threads (0);
}

typedef struct
{
  gsize m, n, k;
  float *a, *b, *bias, *want, *got;
} SideBySide;

static gpointer
side_by_side_thread (gpointer data)
{
  SideBySide *s = data;
  for (guint r = 0; r < 20; r++)
    {
      gl_sgemm_bias_relu (s->m, s->n, s->k, s->a, s->k, s->b, s->n, s->bias, TRUE, s->got, s->n);
      if (memcmp (s->want, s->got, s->m * s->n * sizeof (float)) != 0)
        return GINT_TO_POINTER (1);
    }
  return NULL;
}

/* Two threads with products of other depths and widths at once (two
 * workers, or label-error folds side by side): each thread packs op(B) into
 * its own scratch, so both get the bits they get alone, on one thread. */
static void
test_threads_side_by_side (void)
{
  SideBySide sides[2] = { { 300, 70, 600 }, { 130, 520, 290 } };
  gl_parallel_set_n_threads (1);
  for (guint t = 0; t < 2; t++)
    {
      SideBySide *s = &sides[t];
      s->a = g_new (float, s->m * s->k);
      s->b = g_new (float, s->k * s->n);
      s->bias = g_new (float, s->n);
      s->want = g_new (float, s->m * s->n);
      s->got = g_new (float, s->m * s->n);
      fill (s->a, s->m * s->k, 31 + t);
      fill (s->b, s->k * s->n, 33 + t);
      fill (s->bias, s->n, 35 + t);
      gl_sgemm_bias_relu (s->m, s->n, s->k, s->a, s->k, s->b, s->n, s->bias, TRUE, s->want, s->n);
    }
  /* On OpenBLAS the bits may change with the cut of C, and which of the two
   * threads gets the helpers (the other runs its loop serially) is chance:
   * there each runs on one thread, as the reference did. */
  gl_parallel_set_n_threads (gl_blas_get_own_gemm () ? 2 : 1);
  GThread *threads[2];
  for (guint t = 0; t < 2; t++)
    threads[t] = g_thread_new ("side-by-side", side_by_side_thread, &sides[t]);
  for (guint t = 0; t < 2; t++)
    g_assert_null (g_thread_join (threads[t]));
  gl_parallel_set_n_threads (0);
  for (guint t = 0; t < 2; t++)
    {
      g_free (sides[t].a);
      g_free (sides[t].b);
      g_free (sides[t].bias);
      g_free (sides[t].want);
      g_free (sides[t].got);
    }
}

/* The fused bias and ReLU (gl_sgemm_bias_relu, gl_gemm_avx512_bias_relu):
 * bit for bit C filled with the bias, the product added with beta 1, then
 * the ReLU; C not read (NaN before). Whatever kernels this process runs. */
static void
test_bias_relu_same_bits (void)
{
  const struct
  {
    gsize m, n, k;
  } cases[] = { { 392, 64, 288 }, { 64, 128, 3136 }, { 17, 45, 600 }, { 9, 33, 1 }, { 3, 5, 0 } };
  for (guint t = 0; t < G_N_ELEMENTS (cases); t++)
    for (guint mode = 0; mode < 3; mode++)
      {
        const gsize m = cases[t].m, n = cases[t].n, k = cases[t].k;
        const gboolean with_bias = mode != 1, relu = mode != 2;
        g_autofree float *a = g_new (float, MAX (m * k, 1));
        g_autofree float *b = g_new (float, MAX (k * n, 1));
        g_autofree float *bias = g_new (float, n);
        g_autofree float *want = g_new (float, m * n);
        g_autofree float *got = g_new (float, m * n);
        fill (a, m * k, 21);
        fill (b, k * n, 22);
        fill (bias, n, 23);
        for (gsize i = 0; i < m; i++)
          for (gsize j = 0; j < n; j++)
            want[i * n + j] = with_bias ? bias[j] : 0.0f;
        gl_sgemm (FALSE, FALSE, m, n, k, 1.0f, a, k, b, n, with_bias ? 1.0f : 0.0f, want, n);
        if (relu)
          for (gsize i = 0; i < m * n; i++)
            want[i] = want[i] > 0.0f ? want[i] : 0.0f;
        for (gsize i = 0; i < m * n; i++)
          got[i] = NAN;
        gl_sgemm_bias_relu (m, n, k, a, k, b, n, with_bias ? bias : NULL, relu, got, n);
        g_assert_true (memcmp (want, got, m * n * sizeof (float)) == 0);
        if (gl_blas_get_own_gemm ())
          {
            for (gsize i = 0; i < m * n; i++)
              got[i] = NAN;
            gl_gemm_avx512_bias_relu (m, n, k, a, k, b, n, with_bias ? bias : NULL, relu, got, n);
            g_assert_true (memcmp (want, got, m * n * sizeof (float)) == 0);
          }
      }
}

/* The per-k block: its length depends on k only, at most 256. */
static void
test_k_block (void)
{
  g_assert_cmpuint (gl_gemm_k_block (1), ==, 1);
  g_assert_cmpuint (gl_gemm_k_block (256), ==, 256);
  g_assert_cmpuint (gl_gemm_k_block (288), ==, 144);
  g_assert_cmpuint (gl_gemm_k_block (3136), <=, 256);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/gemm/against-reference", test_against_reference);
  g_test_add_func ("/engine/gemm/depth-zero", test_depth_zero);
  g_test_add_func ("/engine/gemm/alpha-zero", test_alpha_zero);
  g_test_add_func ("/engine/gemm/any-cut-same-bits", test_any_cut_same_bits);
  g_test_add_func ("/engine/gemm/k-block", test_k_block);
  g_test_add_func ("/engine/gemm/bias-relu-same-bits", test_bias_relu_same_bits);
  g_test_add_func ("/engine/gemm/threads-side-by-side", test_threads_side_by_side);
  return g_test_run ();
}
