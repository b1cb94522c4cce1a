/* gl-blas.h — OpenBLAS, loaded by the engine with the kernels it chose.
 *
 * Debian's OpenBLAS (DYNAMIC_ARCH) picks its kernels from the CPU's model
 * number when it loads; a CPU newer than the library gets its oldest safe
 * kernels (Prescott, SSE3) — a third of the speed on an AVX-512 Xeon. So the
 * engine does not link OpenBLAS: the first call here (or gl_blas_init)
 * detects the CPU's features, maps them to the best OpenBLAS core type the
 * CPU can run (gl_blas_core_for_features), sets OPENBLAS_CORETYPE — unless
 * the user set it, which is respected — and only then dlopen()s
 * libopenblas.so.0, which reads it while it loads. Every BLAS call of the
 * engine goes through the function pointers resolved here.
 *
 * A SELF-CHECK then runs small products (odd sizes, every transpose the
 * engine uses) against a plain double-precision reference, with SIGILL
 * caught, on the calling thread. On a mismatch or an illegal instruction
 * the library is unloaded and loaded again with the safe kernels
 * (Prescott); if those fail too, or the library cannot be loaded at all,
 * the engine's own plain loops are used (correct, slow). gl_blas_describe
 * says which of these happened.
 *
 * THREADS. Loading happens once, under a lock; call gl_blas_init first
 * thing in main (before any thread starts: setting an environment variable
 * is not safe while other threads read theirs). Afterwards every function
 * may be called from any thread. OpenBLAS's own thread pool is kept at one
 * thread (gl-parallel.h splits products over the engine's threads);
 * gl_blas_get_default_threads is the count OpenBLAS wanted when it loaded
 * (OPENBLAS_NUM_THREADS, or every core). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How the kernels in use were chosen. */
typedef enum
{
  GL_BLAS_CHOSEN_BY_ENGINE,   /* from the CPU's features */
  GL_BLAS_CHOSEN_BY_USER,     /* OPENBLAS_CORETYPE was set in the environment */
  GL_BLAS_CHOSEN_BY_OPENBLAS, /* not x86-64, or OpenBLAS was already loaded */
  GL_BLAS_FALLBACK_SAFE,      /* the choice failed the self-check: safe kernels */
  GL_BLAS_FALLBACK_PLAIN,     /* no usable OpenBLAS: the engine's plain loops */
} GlBlasChoice;

/* CPU features that decide the kernels (x86-64). */
typedef struct
{
  gboolean amd;
  gboolean sse3, avx, avx2, fma;
  gboolean avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512bf16;
} GlCpuFeatures;

/* The features of the CPU this runs on (all FALSE off x86-64); AVX and
 * AVX-512 count only when the OS saves their registers. */
void gl_cpu_features_detect (GlCpuFeatures *features);

/* The best OpenBLAS 0.3.21 core type for @features: "Cooperlake",
 * "SkylakeX", "Zen", "Haswell", "Sandybridge" or "Prescott"; NULL when the
 * CPU has not even SSE3 (let OpenBLAS decide). */
const char *gl_blas_core_for_features (const GlCpuFeatures *features);

/* Loads and checks OpenBLAS if not done yet (see the top of this file). */
void gl_blas_init (void);

/* Test hook, before the first gl_blas_init of the process: the self-check
 * of the first kernels loaded sees a corrupted product (as a wrong choice
 * would give), so the fallback runs. */
void gl_blas_test_corrupt_first_check (void);

/* THE ENGINE'S OWN KERNELS. On a CPU with AVX-512F, gl_sgemm (every
 * product of the networks) runs on gl_gemm_avx512 (gl-gemm.h) instead of
 * OpenBLAS, whatever OpenBLAS's core type — unless GLEANER_KERNELS=openblas
 * is set ("auto", the default, lets the engine decide). The kernel passes the
 * self-check above first; on a mismatch gl_sgemm stays on OpenBLAS and
 * gl_blas_describe says why. */

/* Whether a CPU with @features and GLEANER_KERNELS = @kernels (NULL when
 * unset) gets the engine's kernels; if not, @why (free it) says what runs
 * instead and why. */
gboolean gl_blas_own_gemm_wanted (const GlCpuFeatures *features, const char *kernels, char **why);

/* TRUE when gl_sgemm runs on the engine's kernels (after the self-check). */
gboolean gl_blas_get_own_gemm (void);

/* Test hook, before the first gl_blas_init: the self-check of the engine's
 * kernels sees a corrupted product, so gl_sgemm stays on OpenBLAS. */
void gl_blas_test_corrupt_own_check (void);

GlBlasChoice gl_blas_get_choice (void);
/* The OpenBLAS core type in use ("SkylakeX", …), or "plain" for the
 * engine's own loops. */
const char *gl_blas_get_core (void);
/* One line: the kernels of the engine's products (its own or OpenBLAS),
 * then OpenBLAS's library, core, how chosen, the self-check, the engine's
 * threads. Free with g_free. */
char *gl_blas_describe (void);

/* OpenBLAS's thread count when it loaded (≥ 1). */
guint gl_blas_get_default_threads (void);
/* OpenBLAS's own threads for each call (the engine keeps 1; the benchmark
 * measures OpenBLAS alone on every core with more). */
void gl_blas_set_num_threads (guint n);
guint gl_blas_get_num_threads (void);

/* Row-major, as cblas_sgemm (CblasRowMajor, …):
 * C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C. */
void gl_blas_sgemm (gboolean trans_a, gboolean trans_b, int m, int n, int k, float alpha, const float *a,
                    int lda, const float *b, int ldb, float beta, float *c, int ldc);
/* Row-major, as cblas_sgemv: y = alpha · op(A) x + beta · y; A is (m, n). */
void gl_blas_sgemv (gboolean trans, int m, int n, float alpha, const float *a, int lda, const float *x,
                    int incx, float beta, float *y, int incy);
/* As cblas_sdot. */
float gl_blas_sdot (int n, const float *x, int incx, const float *y, int incy);

G_END_DECLS
