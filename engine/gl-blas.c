/* gl-blas.c — choosing OpenBLAS's kernels, loading it, checking it.
 *
 * See gl-blas.h. The state below is written once, by the thread that runs
 * load_once under g_once, and only read afterwards. */
#include "engine/gl-blas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gl-gemm.h"
#include "engine/gl-parallel.h"

#define OPENBLAS_SONAME "libopenblas.so.0"
#define SAFE_CORE "Prescott"

typedef void (*SgemmFunc) (const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE,
                           const blasint, const blasint, const blasint, const float, const float *,
                           const blasint, const float *, const blasint, const float, float *, const blasint);
typedef void (*SgemvFunc) (const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const blasint, const blasint,
                           const float, const float *, const blasint, const float *, const blasint,
                           const float, float *, const blasint);
typedef float (*SdotFunc) (const blasint, const float *, const blasint, const float *, const blasint);
typedef void (*SetThreadsFunc) (int);
typedef int (*GetThreadsFunc) (void);
typedef char *(*GetStringFunc) (void);

/* Written by load_once only (under g_once); read-only afterwards. */
static struct
{
  void *handle; /* the dlopen handle, or NULL for the plain loops */
  SgemmFunc sgemm;
  SgemvFunc sgemv;
  SdotFunc sdot;
  SetThreadsFunc set_threads;
  GetThreadsFunc get_threads;
  GetStringFunc get_corename, get_config;
  GlBlasChoice choice;
  char core[32];         /* the core type OpenBLAS reports, or "plain" */
  char *wanted;          /* the core type asked for (owned), or NULL */
  char *detail;          /* why this choice, what the self-check found (owned) */
  guint default_threads; /* OpenBLAS's thread count as loaded */
  GlCpuFeatures features;
  gboolean own_gemm;     /* gl_sgemm runs on gl_gemm_avx512 */
  char *own_detail;      /* which kernels gl_sgemm runs on, and why (owned) */
} blas;

static gboolean corrupt_first_check; /* test hook; set before loading */
static gboolean corrupt_own_check;   /* test hook; set before loading */

/* ---- the CPU ---- */

void
gl_cpu_features_detect (GlCpuFeatures *f)
{
  memset (f, 0, sizeof *f);
#if defined(__x86_64__) || defined(__i386__)
  /* libgcc (GCC ≥ 8, 7.4: PR 85100) and compiler-rt report AVX and AVX-512
   * only when the OS saves their state too: OSXSAVE, then XGETBV's XCR0
   * bits for YMM, and for opmask and ZMM (0xe6). Raw CPUID bits would not. */
  __builtin_cpu_init ();
  f->amd = __builtin_cpu_is ("amd");
  f->sse3 = __builtin_cpu_supports ("sse3");
  f->avx = __builtin_cpu_supports ("avx");
  f->avx2 = __builtin_cpu_supports ("avx2");
  f->fma = __builtin_cpu_supports ("fma");
  f->avx512f = __builtin_cpu_supports ("avx512f");
  f->avx512bw = __builtin_cpu_supports ("avx512bw");
  f->avx512vl = __builtin_cpu_supports ("avx512vl");
  f->avx512dq = __builtin_cpu_supports ("avx512dq");
  f->avx512cd = __builtin_cpu_supports ("avx512cd");
  f->avx512bf16 = __builtin_cpu_supports ("avx512bf16");
#endif
}

const char *
gl_blas_core_for_features (const GlCpuFeatures *f)
{
  /* OpenBLAS 0.3.21's requirements (driver/others/dynamic.c): SkylakeX
   * kernels use AVX-512 F/BW/VL/DQ/CD; Cooperlake adds AVX512-BF16 (its
   * sgemm is SkylakeX's, its bf16 products use BF16); Haswell and Zen need
   * AVX2 and FMA; Sandybridge AVX. */
  if (f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq && f->avx512cd && f->avx2 && f->fma)
    return f->avx512bf16 ? "Cooperlake" : "SkylakeX";
  if (f->avx2 && f->fma)
    return f->amd ? "Zen" : "Haswell";
  if (f->avx)
    return "Sandybridge";
  if (f->sse3)
    return SAFE_CORE;
  return NULL;
}

static char *
features_string (const GlCpuFeatures *f)
{
  GString *s = g_string_new (NULL);
  const struct
  {
    gboolean on;
    const char *name;
  } list[] = {
    { f->sse3, "sse3" },         { f->avx, "avx" },
    { f->avx2, "avx2" },         { f->fma, "fma" },
    { f->avx512f, "avx512f" },   { f->avx512bw, "avx512bw" },
    { f->avx512vl, "avx512vl" }, { f->avx512dq, "avx512dq" },
    { f->avx512cd, "avx512cd" }, { f->avx512bf16, "avx512bf16" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (list); i++)
    if (list[i].on)
      g_string_append_printf (s, "%s%s", s->len > 0 ? " " : "", list[i].name);
  if (s->len == 0)
    g_string_append (s, "none known");
  return g_string_free (s, FALSE);
}

/* ---- the plain loops (the self-check's reference, and the last resort) ---- */

static void
plain_sgemm (const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb,
             const blasint m, const blasint n, const blasint k, const float alpha, const float *a,
             const blasint lda, const float *b, const blasint ldb, const float beta, float *c,
             const blasint ldc)
{
  g_assert (order == CblasRowMajor);
  for (blasint i = 0; i < m; i++)
    for (blasint j = 0; j < n; j++)
      {
        double sum = 0;
        for (blasint p = 0; p < k; p++)
          {
            const float x = ta == CblasTrans ? a[p * lda + i] : a[i * lda + p];
            const float y = tb == CblasTrans ? b[j * ldb + p] : b[p * ldb + j];
            sum += (double) x * y;
          }
        float *out = &c[i * ldc + j];
        *out = (float) (alpha * sum + (beta == 0.0f ? 0.0 : (double) beta * *out));
      }
}

static void
plain_sgemv (const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans, const blasint m, const blasint n,
             const float alpha, const float *a, const blasint lda, const float *x, const blasint incx,
             const float beta, float *y, const blasint incy)
{
  g_assert (order == CblasRowMajor);
  const blasint rows = trans == CblasTrans ? n : m, cols = trans == CblasTrans ? m : n;
  for (blasint i = 0; i < rows; i++)
    {
      double sum = 0;
      for (blasint p = 0; p < cols; p++)
        sum += (double) (trans == CblasTrans ? a[p * lda + i] : a[i * lda + p]) * x[p * incx];
      float *out = &y[i * incy];
      *out = (float) (alpha * sum + (beta == 0.0f ? 0.0 : (double) beta * *out));
    }
}

static float
plain_sdot (const blasint n, const float *x, const blasint incx, const float *y, const blasint incy)
{
  double sum = 0;
  for (blasint i = 0; i < n; i++)
    sum += (double) x[i * incx] * y[i * incy];
  return (float) sum;
}

/* ---- the self-check ---- */

static sigjmp_buf check_jump;

static void
on_sigill (int sig)
{
  siglongjmp (check_jump, 1);
}

/* The sizes of one product of the self-check. */
typedef struct
{
  gboolean ta, tb;
  int m, n, k;
  int pad; /* ldc − n */
} CheckCase;

/* Odd sizes, the kernels' edge cases: part-filled register blocks, and
 * (the last two) a depth beyond one packed block of terms of the engine's
 * kernel (KC_MAX = 256), more than one panel of columns (NR = 32) and rows of
 * C wider than the product. */
static const CheckCase check_cases[] = {
  { FALSE, FALSE, 37, 29, 53, 0 }, { FALSE, TRUE, 37, 29, 53, 0 }, { TRUE, FALSE, 37, 29, 53, 0 },
  { FALSE, FALSE, 19, 45, 300, 3 }, { FALSE, TRUE, 19, 45, 300, 3 },
};

static void
fill_check (float *x, gsize n, guint32 *state)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) ((*state = *state * 1664525u + 1013904223u) >> 8) / (float) (1 << 24) - 0.5f;
}

/* Each term is below 0.25 · 1.5 in size: float rounding over a few hundred
 * terms stays far below 1e-3. */
static gboolean
check_close (const char *what, const float *c, const float *ref, int m, int n, int ldc, gboolean corrupt, char **why)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        const float got = c[i * ldc + j] + (corrupt && i == m / 2 && j == n / 2 ? 1.0f : 0.0f);
        if (!(fabsf (got - ref[i * ldc + j]) <= 1e-3f))
          {
            *why = g_strdup_printf ("%s: element (%d, %d) is %g, not %g", what, i, j, (double) got,
                                    (double) ref[i * ldc + j]);
            return FALSE;
          }
      }
  return TRUE;
}

/* One product against the plain reference; FALSE with @why on a mismatch. */
static gboolean
check_product (SgemmFunc sgemm, const CheckCase *t, gboolean corrupt, char **why)
{
  const int ldc = t->n + t->pad, lda = t->ta ? t->m : t->k, ldb = t->tb ? t->k : t->n;
  g_autofree float *a = g_new (float, t->m * t->k);
  g_autofree float *b = g_new (float, t->k * t->n);
  g_autofree float *c = g_new (float, t->m * ldc);
  g_autofree float *ref = g_new (float, t->m * ldc);
  guint32 state = 12345;
  fill_check (a, t->m * t->k, &state);
  fill_check (b, t->k * t->n, &state);
  for (int i = 0; i < t->m * ldc; i++)
    c[i] = ref[i] = (float) i / (float) (t->m * ldc);

  const enum CBLAS_TRANSPOSE cta = t->ta ? CblasTrans : CblasNoTrans, ctb = t->tb ? CblasTrans : CblasNoTrans;
  sgemm (CblasRowMajor, cta, ctb, t->m, t->n, t->k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc);
  plain_sgemm (CblasRowMajor, cta, ctb, t->m, t->n, t->k, 1.5f, a, lda, b, ldb, 0.5f, ref, ldc);
  g_autofree char *what = g_strdup_printf ("sgemm %s%s %d×%d×%d", t->ta ? "T" : "N", t->tb ? "T" : "N", t->m,
                                           t->n, t->k);
  /* The padding beyond column n stays as it was. */
  return check_close (what, c, ref, t->m, ldc, ldc, corrupt, why);
}

/* The engine's fused epilogue (gl_gemm_avx512_bias_relu) against the plain
 * product, bias and ReLU, over two blocks of terms; FALSE with @why. */
static gboolean
check_bias_relu (char **why)
{
  enum
  {
    M = 19,
    N = 45,
    K = 300
  };
  g_autofree float *a = g_new (float, M * K);
  g_autofree float *b = g_new (float, K * N);
  g_autofree float *c = g_new (float, M * N);
  g_autofree float *ref = g_new (float, M * N);
  float bias[N];
  guint32 state = 54321;
  fill_check (a, M * K, &state);
  fill_check (b, K * N, &state);
  fill_check (bias, N, &state);
  for (int i = 0; i < M * N; i++)
    {
      c[i] = NAN; /* not read */
      ref[i] = bias[i % N];
    }
  gl_gemm_avx512_bias_relu (M, N, K, a, K, b, N, bias, TRUE, c, N);
  plain_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 1.0f, ref, N);
  for (int i = 0; i < M * N; i++)
    ref[i] = ref[i] > 0.0f ? ref[i] : 0.0f;
  return check_close ("sgemm with bias and ReLU NN 19×45×300", c, ref, M, N, N, FALSE, why);
}

/* Runs the products of @sgemm (and with @epilogue, the engine's fused bias
 * and ReLU) with SIGILL caught (kernels the CPU cannot run) on this thread
 * (OpenBLAS at one thread). */
static gboolean
self_check (SgemmFunc sgemm, gboolean epilogue, gboolean corrupt, char **why)
{
  struct sigaction action = { 0 }, old;
  gboolean ok = TRUE;

  action.sa_handler = on_sigill;
  sigemptyset (&action.sa_mask);
  sigaction (SIGILL, &action, &old);
  if (sigsetjmp (check_jump, 1) == 0)
    {
      for (guint i = 0; i < G_N_ELEMENTS (check_cases) && ok; i++)
        ok = check_product (sgemm, &check_cases[i], corrupt && i == 0, why);
      if (ok && epilogue)
        ok = check_bias_relu (why);
    }
  else
    {
      ok = FALSE;
      *why = g_strdup ("an illegal instruction (the kernels need features this CPU lacks)");
    }
  sigaction (SIGILL, &old, NULL);
  return ok;
}

/* ---- loading ---- */

static void
use_plain (void)
{
  blas.handle = NULL;
  blas.sgemm = plain_sgemm;
  blas.sgemv = plain_sgemv;
  blas.sdot = plain_sdot;
  blas.set_threads = NULL;
  blas.get_threads = NULL;
  blas.get_corename = blas.get_config = NULL;
  g_strlcpy (blas.core, "plain", sizeof blas.core);
}

/* dlopen()s OpenBLAS with OPENBLAS_CORETYPE = @core (NULL: as the
 * environment has it) and resolves the functions; FALSE with @why. */
static gboolean
open_library (const char *core, char **why)
{
  g_autofree char *saved = g_strdup (g_getenv ("OPENBLAS_CORETYPE"));
  if (core != NULL)
    g_setenv ("OPENBLAS_CORETYPE", core, TRUE);
  void *handle = dlopen (OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
  /* OpenBLAS has read it; children of the process see the user's value. */
  if (core != NULL)
    {
      if (saved != NULL)
        g_setenv ("OPENBLAS_CORETYPE", saved, TRUE);
      else
        g_unsetenv ("OPENBLAS_CORETYPE");
    }
  if (handle == NULL)
    {
      *why = g_strdup_printf ("cannot load %s: %s", OPENBLAS_SONAME, dlerror ());
      return FALSE;
    }
  blas.handle = handle;
  blas.sgemm = (SgemmFunc) dlsym (handle, "cblas_sgemm");
  blas.sgemv = (SgemvFunc) dlsym (handle, "cblas_sgemv");
  blas.sdot = (SdotFunc) dlsym (handle, "cblas_sdot");
  blas.set_threads = (SetThreadsFunc) dlsym (handle, "openblas_set_num_threads");
  blas.get_threads = (GetThreadsFunc) dlsym (handle, "openblas_get_num_threads");
  blas.get_corename = (GetStringFunc) dlsym (handle, "openblas_get_corename");
  blas.get_config = (GetStringFunc) dlsym (handle, "openblas_get_config");
  if (blas.sgemm == NULL || blas.sgemv == NULL || blas.sdot == NULL || blas.set_threads == NULL
      || blas.get_threads == NULL || blas.get_corename == NULL || blas.get_config == NULL)
    {
      *why = g_strdup_printf ("%s lacks the cblas/openblas functions the engine needs", OPENBLAS_SONAME);
      dlclose (handle);
      use_plain ();
      return FALSE;
    }
  g_strlcpy (blas.core, blas.get_corename (), sizeof blas.core);
  return TRUE;
}

/* Loads with @core and checks; on failure unloads, leaving @why. */
static gboolean
open_and_check (const char *core, gboolean corrupt, gboolean reloadable, char **why)
{
  if (!open_library (core, why))
    return FALSE;
  const int threads = blas.get_threads ();
  if (blas.default_threads == 0)
    blas.default_threads = (guint) MAX (threads, 1);
  blas.set_threads (1);
  if (self_check (blas.sgemm, FALSE, corrupt, why))
    return TRUE;
  if (reloadable)
    dlclose (blas.handle);
  use_plain ();
  return FALSE;
}

static void
load_openblas (void)
{
  g_autofree char *why = NULL, *why_safe = NULL;
  const char *user = g_getenv ("OPENBLAS_CORETYPE");
  /* Loaded already (a library of the process links it): it chose when it
   * loaded, and cannot be reloaded here. */
  void *already = dlopen (OPENBLAS_SONAME, RTLD_NOW | RTLD_NOLOAD);
  const gboolean reloadable = already == NULL;
  const char *want = NULL;

  if (already != NULL)
    dlclose (already);
  gl_cpu_features_detect (&blas.features);
  if (user != NULL && *user != '\0')
    {
      blas.choice = GL_BLAS_CHOSEN_BY_USER;
      want = user;
    }
  else if (reloadable && (want = gl_blas_core_for_features (&blas.features)) != NULL)
    blas.choice = GL_BLAS_CHOSEN_BY_ENGINE;
  else
    blas.choice = GL_BLAS_CHOSEN_BY_OPENBLAS;
  blas.wanted = g_strdup (want);

  if (open_and_check (blas.choice == GL_BLAS_CHOSEN_BY_ENGINE ? want : NULL, corrupt_first_check, reloadable,
                      &why))
    {
      blas.detail = g_strdup (reloadable ? "self-check passed"
                                         : "OpenBLAS was loaded before the engine could choose; "
                                           "self-check passed");
      return;
    }
  if (reloadable && open_and_check (SAFE_CORE, FALSE, TRUE, &why_safe))
    {
      blas.choice = GL_BLAS_FALLBACK_SAFE;
      blas.detail = g_strdup_printf ("the kernels for %s failed the self-check (%s): safe kernels",
                                     want ? want : "?", why);
      g_message ("OpenBLAS: %s", blas.detail);
      return;
    }
  use_plain ();
  blas.choice = GL_BLAS_FALLBACK_PLAIN;
  blas.detail = g_strdup_printf ("no usable OpenBLAS (%s%s%s): the engine's plain loops, slow", why,
                                 why_safe ? "; safe kernels: " : "", why_safe ? why_safe : "");
  if (blas.default_threads == 0)
    blas.default_threads = 1;
  g_message ("%s", blas.detail);
}

/* ---- the engine's own kernels ---- */

gboolean
gl_blas_own_gemm_wanted (const GlCpuFeatures *f, const char *kernels, char **why)
{
  if (kernels != NULL && g_ascii_strcasecmp (kernels, "openblas") == 0)
    {
      *why = g_strdup ("OpenBLAS, as GLEANER_KERNELS=openblas asks");
      return FALSE;
    }
  if (!gl_gemm_compiled ())
    {
      *why = g_strdup ("OpenBLAS (this build has no kernels of Gleaner's own)");
      return FALSE;
    }
  if (!f->avx512f)
    {
      *why = g_strdup ("OpenBLAS (Gleaner's own kernels need AVX-512F)");
      return FALSE;
    }
  *why = NULL;
  return TRUE;
}

/* As cblas_sgemm, on gl_gemm_avx512: the self-check's view of it. */
static void
own_sgemm (const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb,
           const blasint m, const blasint n, const blasint k, const float alpha, const float *a, const blasint lda,
           const float *b, const blasint ldb, const float beta, float *c, const blasint ldc)
{
  g_assert (order == CblasRowMajor);
  gl_gemm_avx512 (ta == CblasTrans, tb == CblasTrans, (gsize) m, (gsize) n, (gsize) k, alpha, a, (gsize) lda, b,
                  (gsize) ldb, beta, c, (gsize) ldc);
}

/* Decides whether gl_sgemm runs on the engine's AVX-512 kernel: wanted
 * (gl_blas_own_gemm_wanted) and passing the same self-check as OpenBLAS. */
static void
choose_own_gemm (void)
{
  const char *kernels = g_getenv ("GLEANER_KERNELS");
  g_autofree char *why = NULL;
  if (kernels != NULL && *kernels != '\0' && g_ascii_strcasecmp (kernels, "openblas") != 0
      && g_ascii_strcasecmp (kernels, "auto") != 0)
    g_message ("GLEANER_KERNELS=%s is neither “auto” nor “openblas”: taken as “auto”", kernels);
  if (!gl_blas_own_gemm_wanted (&blas.features, kernels, &why))
    {
      blas.own_detail = g_steal_pointer (&why);
      return;
    }
  if (!self_check (own_sgemm, TRUE, corrupt_own_check, &why))
    {
      blas.own_detail = g_strdup_printf ("OpenBLAS (Gleaner's AVX-512 kernels failed the self-check: %s)", why);
      g_message ("Gleaner's kernels: %s", blas.own_detail);
      return;
    }
  blas.own_gemm = TRUE;
  blas.own_detail = g_strdup ("Gleaner's AVX-512 kernels, self-check passed");
}

static gpointer
load_once (gpointer unused)
{
  load_openblas ();
  choose_own_gemm ();
  return NULL;
}

void
gl_blas_init (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, load_once, NULL);
}

void
gl_blas_test_corrupt_first_check (void)
{
  corrupt_first_check = TRUE;
}

void
gl_blas_test_corrupt_own_check (void)
{
  corrupt_own_check = TRUE;
}

gboolean
gl_blas_get_own_gemm (void)
{
  gl_blas_init ();
  return blas.own_gemm;
}

GlBlasChoice
gl_blas_get_choice (void)
{
  gl_blas_init ();
  return blas.choice;
}

const char *
gl_blas_get_core (void)
{
  gl_blas_init ();
  return blas.core;
}

char *
gl_blas_describe (void)
{
  gl_blas_init ();
  static const char *how[] = {
    [GL_BLAS_CHOSEN_BY_ENGINE] = "chosen by Gleaner from the CPU features",
    [GL_BLAS_CHOSEN_BY_USER] = "set by OPENBLAS_CORETYPE",
    [GL_BLAS_CHOSEN_BY_OPENBLAS] = "chosen by OpenBLAS",
    [GL_BLAS_FALLBACK_SAFE] = "safe fallback",
    [GL_BLAS_FALLBACK_PLAIN] = "plain fallback",
  };
  g_autofree char *features = features_string (&blas.features);
  g_autofree char *asked = NULL;
  if (blas.wanted != NULL && g_ascii_strcasecmp (blas.wanted, blas.core) != 0)
    asked = g_strdup_printf (", asked for %s", blas.wanted);
  const guint threads = gl_parallel_get_n_threads ();
  return g_strdup_printf ("the engine's products (gl_sgemm: convolutions, dense layers, k-center distances): %s; "
                          "other BLAS calls: %s kernels (%s%s; CPU: %s); %s; %s; %u engine thread%s, "
                          "1 OpenBLAS thread per block",
                          blas.own_detail, blas.core, how[blas.choice], asked ? asked : "", features, blas.detail,
                          blas.get_config ? blas.get_config () : "no OpenBLAS", threads, threads == 1 ? "" : "s");
}

guint
gl_blas_get_default_threads (void)
{
  gl_blas_init ();
  return blas.default_threads;
}

void
gl_blas_set_num_threads (guint n)
{
  gl_blas_init ();
  if (blas.set_threads != NULL && (guint) blas.get_threads () != MAX (n, 1))
    blas.set_threads ((int) MAX (n, 1));
}

guint
gl_blas_get_num_threads (void)
{
  gl_blas_init ();
  return blas.get_threads != NULL ? (guint) blas.get_threads () : 1;
}

void
gl_blas_sgemm (gboolean trans_a, gboolean trans_b, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc)
{
  gl_blas_init ();
  blas.sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
gl_blas_sgemv (gboolean trans, int m, int n, float alpha, const float *a, int lda, const float *x, int incx,
               float beta, float *y, int incy)
{
  gl_blas_init ();
  blas.sgemv (CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

float
gl_blas_sdot (int n, const float *x, int incx, const float *y, int incy)
{
  gl_blas_init ();
  return blas.sdot (n, x, incx, y, incy);
}
