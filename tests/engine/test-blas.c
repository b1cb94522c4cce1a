/* test-blas.c — the engine's choice of OpenBLAS kernels (engine/gl-blas.h):
 * the feature → core map, the choice on this CPU, a user's OPENBLAS_CORETYPE,
 * and the self-check catching a wrong choice. Each check of a loaded library
 * runs in a subprocess: OpenBLAS chooses once per process. */
#include <math.h>
#include <string.h>

#include "engine/gl-blas.h"
#include "engine/gl-gemm.h"

static void
test_core_for_features (void)
{
  GlCpuFeatures f = { 0 };
  g_assert_null (gl_blas_core_for_features (&f));
  f.sse3 = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Prescott");
  f.avx = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Sandybridge");
  f.avx2 = TRUE; /* AVX2 without FMA is no Haswell */
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Sandybridge");
  f.fma = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Haswell");
  f.amd = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Zen");
  f.amd = FALSE;
  f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = TRUE; /* no CD: not SkylakeX yet */
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Haswell");
  f.avx512cd = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "SkylakeX");
  f.avx512bf16 = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Cooperlake");
  /* The model-207 Xeon of issue 15 (AVX2, FMA, AVX-512 F/BW/VL/DQ/CD, BF16), and an AMD Zen 4. */
  f.amd = TRUE;
  g_assert_cmpstr (gl_blas_core_for_features (&f), ==, "Cooperlake");
}

/* A product through the loaded kernels equals a plain one. */
static void
assert_products_right (void)
{
  enum
  {
    M = 70,
    N = 45,
    K = 33
  };
  float a[M * K], b[K * N], c[M * N];
  for (guint i = 0; i < M * K; i++)
    a[i] = (float) ((i * 7) % 13) - 6.0f;
  for (guint i = 0; i < K * N; i++)
    b[i] = (float) ((i * 5) % 11) - 5.0f;
  gl_blas_sgemm (FALSE, FALSE, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
  for (guint i = 0; i < M; i++)
    for (guint j = 0; j < N; j++)
      {
        double sum = 0;
        for (guint p = 0; p < K; p++)
          sum += (double) a[i * K + p] * b[p * N + j];
        g_assert_cmpfloat (c[i * N + j], ==, (float) sum); /* small integers: exact */
      }
  g_assert_cmpfloat (gl_blas_sdot (K, a, 1, a, 1), >, 0.0f);
}

static void
test_this_cpu (void)
{
  if (g_getenv ("OPENBLAS_CORETYPE") != NULL)
    {
      g_test_skip ("OPENBLAS_CORETYPE is set: the user's choice is used");
      return;
    }
  g_autofree char *text = gl_blas_describe ();
  g_test_message ("%s", text);
  GlCpuFeatures f;
  gl_cpu_features_detect (&f);
  assert_products_right ();
  if (gl_blas_get_choice () == GL_BLAS_FALLBACK_PLAIN)
    {
      g_test_skip ("no OpenBLAS on this machine");
      return;
    }
  g_assert_cmpint (gl_blas_get_choice (), ==, GL_BLAS_CHOSEN_BY_ENGINE);
  g_assert_cmpstr (gl_blas_get_core (), ==, gl_blas_core_for_features (&f));
  if (f.avx2 && f.fma)
    g_assert_cmpstr (gl_blas_get_core (), !=, "Prescott");
  g_assert_nonnull (strstr (text, "chosen by Gleaner"));
  g_assert_nonnull (strstr (text, "self-check passed"));
  g_assert_nonnull (strstr (text, gl_blas_get_core ()));
}

static void
test_wrong_choice_caught (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("OPENBLAS_CORETYPE");
      gl_blas_test_corrupt_first_check ();
      g_autofree char *text = gl_blas_describe ();
      g_test_message ("%s", text);
      g_assert_cmpint (gl_blas_get_choice (), ==, GL_BLAS_FALLBACK_SAFE);
      g_assert_cmpstr (gl_blas_get_core (), ==, "Prescott");
      g_assert_nonnull (strstr (text, "failed the self-check"));
      assert_products_right ();
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_user_coretype (void)
{
  if (g_test_subprocess ())
    {
      g_assert_cmpstr (g_getenv ("OPENBLAS_CORETYPE"), ==, "Sandybridge");
      g_autofree char *text = gl_blas_describe ();
      g_test_message ("%s", text);
      g_assert_cmpint (gl_blas_get_choice (), ==, GL_BLAS_CHOSEN_BY_USER);
      g_assert_cmpstr (gl_blas_get_core (), ==, "Sandybridge");
      g_assert_nonnull (strstr (text, "set by OPENBLAS_CORETYPE"));
      /* The user's value is left as it was for child processes. */
      g_assert_cmpstr (g_getenv ("OPENBLAS_CORETYPE"), ==, "Sandybridge");
      assert_products_right ();
      return;
    }
  GlCpuFeatures f;
  gl_cpu_features_detect (&f);
  if (!f.avx)
    {
      g_test_skip ("no AVX");
      return;
    }
  g_autofree char *saved = g_strdup (g_getenv ("OPENBLAS_CORETYPE"));
  g_setenv ("OPENBLAS_CORETYPE", "Sandybridge", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (saved != NULL)
    g_setenv ("OPENBLAS_CORETYPE", saved, TRUE);
  else
    g_unsetenv ("OPENBLAS_CORETYPE");
  g_test_trap_assert_passed ();
}

/* Kernels the CPU cannot run (set by the user here) end in an illegal
 * instruction, which the self-check catches: safe kernels instead. */
static void
test_unsupported_coretype_caught (void)
{
  if (g_test_subprocess ())
    {
      gl_blas_describe ();
      g_assert_cmpint (gl_blas_get_choice (), ==, GL_BLAS_FALLBACK_SAFE);
      g_assert_cmpstr (gl_blas_get_core (), ==, "Prescott");
      assert_products_right ();
      return;
    }
  GlCpuFeatures f;
  gl_cpu_features_detect (&f);
  if (f.avx512f)
    {
      g_test_skip ("this CPU runs every OpenBLAS 0.3.21 x86 kernel");
      return;
    }
  g_setenv ("OPENBLAS_CORETYPE", "SkylakeX", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("OPENBLAS_CORETYPE");
  g_test_trap_assert_passed ();
}

/* The engine's own kernels go to CPUs with AVX-512F only, and never when
 * GLEANER_KERNELS=openblas (features injected, not this CPU's). */
static void
test_own_gemm_dispatch (void)
{
  GlCpuFeatures f = { 0 };
  g_autofree char *why = NULL;
  f.sse3 = f.avx = f.avx2 = f.fma = TRUE;
  g_assert_false (gl_blas_own_gemm_wanted (&f, NULL, &why));
  g_assert_nonnull (strstr (why, "AVX-512F"));
  g_clear_pointer (&why, g_free);
  f.avx512f = TRUE;
  g_assert_true (gl_blas_own_gemm_wanted (&f, NULL, &why) || !gl_gemm_compiled ());
  g_clear_pointer (&why, g_free);
  g_assert_true (gl_blas_own_gemm_wanted (&f, "auto", &why) || !gl_gemm_compiled ());
  g_clear_pointer (&why, g_free);
  g_assert_false (gl_blas_own_gemm_wanted (&f, "openblas", &why));
  g_assert_nonnull (strstr (why, "GLEANER_KERNELS=openblas"));
  g_clear_pointer (&why, g_free);
  g_assert_false (gl_blas_own_gemm_wanted (&f, "OpenBLAS", &why));
  g_clear_pointer (&why, g_free);
  /* This CPU, whatever OPENBLAS_CORETYPE says. */
  GlCpuFeatures here;
  gl_cpu_features_detect (&here);
  g_autofree char *text = gl_blas_describe ();
  const char *opt = g_getenv ("GLEANER_KERNELS");
  const gboolean opted_out = opt != NULL && g_ascii_strcasecmp (opt, "openblas") == 0;
  g_assert_cmpint (gl_blas_get_own_gemm (), ==, here.avx512f && gl_gemm_compiled () && !opted_out);
  if (gl_blas_get_own_gemm ())
    g_assert_nonnull (strstr (text, "Gleaner's AVX-512 kernels, self-check passed"));
  assert_products_right ();
}

/* GLEANER_KERNELS=openblas: gl_sgemm stays on OpenBLAS, and says so. */
static void
test_own_gemm_opt_out (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *text = gl_blas_describe ();
      g_test_message ("%s", text);
      g_assert_false (gl_blas_get_own_gemm ());
      g_assert_nonnull (strstr (text, "GLEANER_KERNELS=openblas"));
      assert_products_right ();
      return;
    }
  g_setenv ("GLEANER_KERNELS", "openblas", TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("GLEANER_KERNELS");
  g_test_trap_assert_passed ();
}

/* A broken kernel of the engine's own is caught by the self-check:
 * OpenBLAS serves gl_sgemm instead, and the kernels string says why. */
static void
test_own_gemm_broken_caught (void)
{
  if (g_test_subprocess ())
    {
      gl_blas_test_corrupt_own_check ();
      g_autofree char *text = gl_blas_describe ();
      g_test_message ("%s", text);
      g_assert_false (gl_blas_get_own_gemm ());
      g_assert_nonnull (strstr (text, "failed the self-check"));
      assert_products_right ();
      return;
    }
  GlCpuFeatures f;
  gl_cpu_features_detect (&f);
  if (!f.avx512f || !gl_gemm_compiled ())
    {
      g_test_skip ("no AVX-512F: the engine's kernels are not tried");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/blas/own-gemm-dispatch", test_own_gemm_dispatch);
  g_test_add_func ("/engine/blas/own-gemm-opt-out", test_own_gemm_opt_out);
  g_test_add_func ("/engine/blas/own-gemm-broken-caught", test_own_gemm_broken_caught);
  g_test_add_func ("/engine/blas/core-for-features", test_core_for_features);
  g_test_add_func ("/engine/blas/this-cpu", test_this_cpu);
  g_test_add_func ("/engine/blas/wrong-choice-caught", test_wrong_choice_caught);
  g_test_add_func ("/engine/blas/user-coretype", test_user_coretype);
  g_test_add_func ("/engine/blas/unsupported-coretype-caught", test_unsupported_coretype_caught);
  return g_test_run ();
}
