/* gl-gemm.h — the engine's own single-precision matrix product for CPUs
 * with AVX-512F.
 *
 * OpenBLAS picks its kernels once, when it loads; a user (or a CI machine)
 * that sets OPENBLAS_CORETYPE=Haswell keeps it on AVX2 kernels on an AVX-512
 * CPU, about half of what the CPU can do. gl_sgemm (gl-parallel.h) therefore
 * runs its blocks on this kernel on any CPU with AVX-512F, whatever OpenBLAS's
 * core type, once gl-blas.c's self-check has passed it (and unless the user
 * opted out with GLEANER_KERNELS=openblas). Everything else — other CPUs,
 * sgemv, sdot — stays on OpenBLAS.
 *
 * The build does not assume AVX-512: the kernel is compiled with
 * __attribute__ ((target ("avx512f"))) and only called after the CPU was
 * found to have it.
 *
 * SUMMATION ORDER. The terms of k are cut into blocks of gl_gemm_k_block (k),
 * each summed in order of p in one vector lane (s₀, s₁, …); an element of C
 * is then c₀ = (alpha · s₀) + beta · C (beta · C fused into the addition;
 * no term when beta is 0), c₁ = c₀ + (alpha · s₁), and so on. The block length depends on k
 * only, so an element is the same sum however the caller cuts C into row or
 * column blocks: results are bit-identical for any thread count.
 *
 * Scratch: each thread that calls it keeps one packing buffer of 256 × 512
 * floats (512 KB, 64-byte aligned), made on its first call and freed when
 * the thread ends; a product allocates nothing after that. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The register block: rows of C (a block of rows is best a multiple of this)
 * and columns of C (likewise for a block of columns). */
#define GL_GEMM_MR 8
#define GL_GEMM_NR 32

/* TRUE when this build has the kernel (x86-64 with GCC or clang). */
gboolean gl_gemm_compiled (void);

/* Terms per block of the sum over k for a product of depth @k. */
gsize gl_gemm_k_block (gsize k);

/* Row-major C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, as
 * cblas_sgemm with CblasRowMajor; single-threaded. C is not read when beta
 * is 0, nor A and B when alpha is 0. Only on a CPU with AVX-512F (and a build where gl_gemm_compiled). */
void gl_gemm_avx512 (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, float alpha, const float *a,
                     gsize lda, const float *b, gsize ldb, float beta, float *c, gsize ldc);

/* C (m, n) = A (m, k) · B (k, n) + @bias (n floats added to every row, or
 * NULL), then max (0, ·) with @relu, in one pass over C: the bits of C
 * filled with the bias, gl_gemm_avx512 with alpha 1 and beta 1, then the
 * ReLU. C is not read. */
void gl_gemm_avx512_bias_relu (gsize m, gsize n, gsize k, const float *a, gsize lda, const float *b, gsize ldb,
                               const float *bias, gboolean relu, float *c, gsize ldc);

G_END_DECLS
