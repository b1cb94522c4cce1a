/* gl-gemm.c — the engine's AVX-512 sgemm (see gl-gemm.h).
 *
 * The usual blocking (Goto and van de Geijn, "Anatomy of high-performance
 * matrix multiplication", ACM TOMS 2008), simplified for the engine's shapes:
 * for each block of NC columns and KC terms of k, op(B) is packed into panels
 * of (KC, NR) floats; a micro-kernel then keeps an (MR, NR) block of C in 16
 * AVX-512 registers and, for each term p, loads one row of the B panel (two
 * vectors) and broadcasts MR elements of op(A) straight from A — A is not
 * packed: for A (NN) a row of the block is KC contiguous floats, for Aᵀ (TN)
 * a term's MR elements are contiguous, both fine for the caches, and packing
 * would cost a pass over A per product. MC rows of A are run against all the
 * panels of a packed block, so that they stay in L2 meanwhile.
 *
 * All state is on the stack or in the calling thread's scratch. */
#include "engine/gl-gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GL_GEMM_X86 1
#include <immintrin.h>
#endif

#define MR GL_GEMM_MR
#define NR GL_GEMM_NR
/* Terms of k per packed block: a (KC, NR) panel is 32 KB, kept in L1. */
#define KC_MAX 256
/* Columns of op(B) per packed block: (KC_MAX, NC) floats = 512 KB, in L2. */
#define NC 512
/* Rows of op(A) run against one packed block before the next rows. */
#define MC 128

gsize
gl_gemm_k_block (gsize k)
{
  /* Equal blocks rather than KC_MAX and a short rest: k = 288 (a 3×3
   * convolution over 32 channels) is two blocks of 144, not 256 + 32. */
  const gsize blocks = MAX ((k + KC_MAX - 1) / KC_MAX, 1);
  return (k + blocks - 1) / blocks;
}

#ifdef GL_GEMM_X86

gboolean
gl_gemm_compiled (void)
{
  return TRUE;
}

#define GL_AVX512 __attribute__ ((target ("avx512f")))
#define GL_INLINE inline __attribute__ ((always_inline))

/* The calling thread's packing buffer, (KC_MAX, NC) floats. */
static GPrivate scratch_key = G_PRIVATE_INIT (g_aligned_free);

static float *
thread_scratch (void)
{
  float *buf = g_private_get (&scratch_key);
  if (buf == NULL)
    {
      buf = g_aligned_alloc ((gsize) KC_MAX * NC, sizeof (float), 64);
      g_private_set (&scratch_key, buf);
    }
  return buf;
}

static GL_AVX512 GL_INLINE __mmask16
lanes_mask (gsize lanes)
{
  return lanes >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << lanes) - 1u);
}

/* dst (16, 16; rows NR apart) = the transpose of src (16, 16; rows @ld
 * apart). Three rounds of shuffles: after unpacking pairs of rows and
 * shuffling pairs of those, vector s + 4·h (h = 0 … 3, rows 4h … 4h + 3)
 * holds in its 128-bit lane L column 4L + s; two rounds of lane shuffles
 * then gather the four lanes of each column. */
static GL_AVX512 GL_INLINE void
transpose_16x16 (const float *src, gsize ld, float *dst)
{
  __m512 r[16], t[16], u[16], v[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; i++)
    r[i] = _mm512_loadu_ps (src + i * ld);
#pragma GCC unroll 8
  for (int i = 0; i < 16; i += 2)
    {
      t[i] = _mm512_unpacklo_ps (r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps (r[i], r[i + 1]);
    }
  /* u[4h + s]: lane L = rows 4h … 4h + 3 of column 4L + s. */
#pragma GCC unroll 4
  for (int h = 0; h < 4; h++)
    {
      const __m512 *th = t + 4 * h;
      u[4 * h + 0] = _mm512_shuffle_ps (th[0], th[2], 0x44);
      u[4 * h + 1] = _mm512_shuffle_ps (th[0], th[2], 0xee);
      u[4 * h + 2] = _mm512_shuffle_ps (th[1], th[3], 0x44);
      u[4 * h + 3] = _mm512_shuffle_ps (th[1], th[3], 0xee);
    }
  /* v[s], v[4 + s]: lanes 0, 2 (0x88) or 1, 3 (0xdd) of rows 0 … 7;
   * v[8 + s], v[12 + s]: the same of rows 8 … 15. */
#pragma GCC unroll 4
  for (int s = 0; s < 4; s++)
    {
      v[s] = _mm512_shuffle_f32x4 (u[s], u[4 + s], 0x88);
      v[4 + s] = _mm512_shuffle_f32x4 (u[s], u[4 + s], 0xdd);
      v[8 + s] = _mm512_shuffle_f32x4 (u[8 + s], u[12 + s], 0x88);
      v[12 + s] = _mm512_shuffle_f32x4 (u[8 + s], u[12 + s], 0xdd);
    }
  /* Column s (lane 0), 8 + s (lane 2), 4 + s (lane 1), 12 + s (lane 3). */
#pragma GCC unroll 4
  for (int s = 0; s < 4; s++)
    {
      _mm512_store_ps (dst + s * NR, _mm512_shuffle_f32x4 (v[s], v[8 + s], 0x88));
      _mm512_store_ps (dst + (8 + s) * NR, _mm512_shuffle_f32x4 (v[s], v[8 + s], 0xdd));
      _mm512_store_ps (dst + (4 + s) * NR, _mm512_shuffle_f32x4 (v[4 + s], v[12 + s], 0x88));
      _mm512_store_ps (dst + (12 + s) * NR, _mm512_shuffle_f32x4 (v[4 + s], v[12 + s], 0xdd));
    }
}

/* Packs op(B) [p0, p0 + kc) × [j0, j0 + nc) into @bp: panel q (columns
 * j0 + q·NR …) at bp + q·kc·NR, row p of a panel at p·NR; the columns
 * beyond nc in the last panel are zero. */
static GL_AVX512 void
pack_b (gboolean trans_b, const float *b, gsize ldb, gsize p0, gsize kc, gsize j0, gsize nc, float *bp)
{
  for (gsize q = 0; q < nc; q += NR)
    {
      const gsize nr = MIN (NR, nc - q);
      float *dst = bp + q * kc;
      if (!trans_b)
        {
          /* op(B) = B: row p of the panel is NR contiguous floats of B. */
          const __mmask16 m0 = lanes_mask (nr), m1 = lanes_mask (nr > 16 ? nr - 16 : 0);
          const float *src = b + p0 * ldb + j0 + q;
          for (gsize p = 0; p < kc; p++, src += ldb, dst += NR)
            {
              _mm512_store_ps (dst, _mm512_maskz_loadu_ps (m0, src));
              _mm512_store_ps (dst + 16, _mm512_maskz_loadu_ps (m1, src + 16));
            }
          continue;
        }
      /* op(B) = Bᵀ: column j of the panel is row j0 + q + j of B: 16 × 16
       * blocks transposed in registers, the rest one float at a time. */
      for (gsize jh = 0; jh < NR; jh += 16)
        {
          const gsize rows = nr > jh ? MIN (16, nr - jh) : 0;
          gsize p = 0;
          if (rows == 16)
            for (; p + 16 <= kc; p += 16)
              transpose_16x16 (b + (j0 + q + jh) * ldb + p0 + p, ldb, dst + p * NR + jh);
          for (gsize j = 0; j < 16; j++)
            {
              if (j >= rows)
                {
                  for (gsize pp = p; pp < kc; pp++)
                    dst[pp * NR + jh + j] = 0.0f;
                  continue;
                }
              const float *src = b + (j0 + q + jh + j) * ldb + p0;
              for (gsize pp = p; pp < kc; pp++)
                dst[pp * NR + jh + j] = src[pp];
            }
        }
    }
}

/* What a block of C ends with: the first block of terms adds beta · C, or
 * (beta 0) the bias, if any, to its sums; the last applies the ReLU. */
typedef struct
{
  float alpha, beta;
  const float *bias; /* (NR) at the block's first column, or NULL */
  gboolean relu;
} Epilogue;

/* C block (mr, NR, lanes masked by m0 and m1) = alpha · op(A) block · B panel
 * + beta · C block (or + bias), then ReLU as @e says. op(A) (i, p) is
 * a[i·rs + p·cs]. Inlined with constant mr, rs or cs, so that the MR × 2
 * sums stay in registers. */
static GL_AVX512 GL_INLINE void
micro_kernel (const int mr, gsize kc, const float *a, gsize rs, gsize cs, const float *bp, float *c, gsize ldc,
              __mmask16 m0, __mmask16 m1, const Epilogue *e)
{
  __m512 sum0[MR], sum1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++)
    sum0[r] = sum1[r] = _mm512_setzero_ps ();
  for (gsize p = 0; p < kc; p++)
    {
      const __m512 b0 = _mm512_load_ps (bp + p * NR), b1 = _mm512_load_ps (bp + p * NR + 16);
      const float *ap = a + p * cs;
#pragma GCC unroll 8
      for (int r = 0; r < mr; r++)
        {
          const __m512 x = _mm512_set1_ps (ap[r * rs]);
          sum0[r] = _mm512_fmadd_ps (x, b0, sum0[r]);
          sum1[r] = _mm512_fmadd_ps (x, b1, sum1[r]);
        }
    }
  const __m512 va = _mm512_set1_ps (e->alpha), vb = _mm512_set1_ps (e->beta), zero = _mm512_setzero_ps ();
  const __m512 bias0 = e->bias ? _mm512_maskz_loadu_ps (m0, e->bias) : zero;
  const __m512 bias1 = e->bias ? _mm512_maskz_loadu_ps (m1, e->bias + 16) : zero;
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++)
    {
      float *cr = c + r * ldc;
      __m512 x0 = _mm512_mul_ps (va, sum0[r]), x1 = _mm512_mul_ps (va, sum1[r]);
      if (e->beta != 0.0f)
        {
          x0 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (m0, cr), x0);
          x1 = _mm512_fmadd_ps (vb, _mm512_maskz_loadu_ps (m1, cr + 16), x1);
        }
      else if (e->bias != NULL)
        {
          /* As C filled with the bias and beta 1. */
          x0 = _mm512_add_ps (bias0, x0);
          x1 = _mm512_add_ps (bias1, x1);
        }
      if (e->relu)
        {
          /* x > 0 ? x : 0, NaN included (max returns its second operand). */
          x0 = _mm512_max_ps (x0, zero);
          x1 = _mm512_max_ps (x1, zero);
        }
      _mm512_mask_storeu_ps (cr, m0, x0);
      _mm512_mask_storeu_ps (cr + 16, m1, x1);
    }
}

/* One kernel per row count and layout of A: A (rs = lda, cs = 1) or Aᵀ
 * (rs = 1, cs = lda), the strides constant where they are 1. */
#define MICRO_CASE(R)                                                                                            \
  case R:                                                                                                        \
    if (trans_a)                                                                                                 \
      micro_kernel (R, kc, a, 1, lda, bp, c, ldc, m0, m1, e);                                                    \
    else                                                                                                         \
      micro_kernel (R, kc, a, lda, 1, bp, c, ldc, m0, m1, e);                                                    \
    break;

static GL_AVX512 void
micro_block (int mr, gboolean trans_a, gsize kc, const float *a, gsize lda, const float *bp, float *c, gsize ldc,
             __mmask16 m0, __mmask16 m1, const Epilogue *e)
{
  switch (mr)
    {
      MICRO_CASE (8)
      MICRO_CASE (7)
      MICRO_CASE (6)
      MICRO_CASE (5)
      MICRO_CASE (4)
      MICRO_CASE (3)
      MICRO_CASE (2)
      MICRO_CASE (1)
    default:
      g_assert_not_reached ();
    }
}

/* C = beta · C (or the bias), then ReLU, for k = 0 or alpha = 0: as
 * cblas_sgemm, A and B are not read then. */
static void
scale_c (gsize m, gsize n, float beta, const float *bias, gboolean relu, float *c, gsize ldc)
{
  for (gsize i = 0; i < m; i++)
    for (gsize j = 0; j < n; j++)
      {
        const float x = beta != 0.0f ? beta * c[i * ldc + j] : bias != NULL ? bias[j] : 0.0f;
        c[i * ldc + j] = relu ? (x > 0.0f ? x : 0.0f) : x;
      }
}

static GL_AVX512 void
gemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, float alpha, const float *a, gsize lda,
      const float *b, gsize ldb, float beta, const float *bias, gboolean relu, float *c, gsize ldc)
{
  if (m == 0 || n == 0)
    return;
  if (k == 0 || alpha == 0.0f)
    {
      scale_c (m, n, beta, bias, relu, c, ldc);
      return;
    }
  float *bp = thread_scratch ();
  const gsize kc_block = gl_gemm_k_block (k);
  /* op(A) (i, p) = a[i·rs + p·cs]. */
  const gsize rs = trans_a ? 1 : lda, cs = trans_a ? lda : 1;
  for (gsize jc = 0; jc < n; jc += NC)
    {
      const gsize nc = MIN (NC, n - jc);
      for (gsize pc = 0; pc < k; pc += kc_block)
        {
          const gsize kc = MIN (kc_block, k - pc);
          /* The first block of terms applies beta (or the bias); the later
           * ones add; the last applies the ReLU. */
          Epilogue e = { alpha, pc == 0 ? beta : 1.0f, NULL, relu && pc + kc == k };
          pack_b (trans_b, b, ldb, pc, kc, jc, nc, bp);
          for (gsize ic = 0; ic < m; ic += MC)
            {
              const gsize mc = MIN (MC, m - ic);
              for (gsize jr = 0; jr < nc; jr += NR)
                {
                  const gsize nr = MIN (NR, nc - jr);
                  const __mmask16 m0 = lanes_mask (nr), m1 = lanes_mask (nr > 16 ? nr - 16 : 0);
                  e.bias = pc == 0 && bias != NULL ? bias + jc + jr : NULL;
                  for (gsize ir = 0; ir < mc; ir += MR)
                    {
                      const gsize i = ic + ir;
                      micro_block ((int) MIN (MR, mc - ir), trans_a, kc, a + i * rs + pc * cs, lda, bp + jr * kc,
                                   c + i * ldc + jc + jr, ldc, m0, m1, &e);
                    }
                }
            }
        }
    }
}

void
gl_gemm_avx512 (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, float alpha, const float *a,
                gsize lda, const float *b, gsize ldb, float beta, float *c, gsize ldc)
{
  gemm (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, NULL, FALSE, c, ldc);
}

void
gl_gemm_avx512_bias_relu (gsize m, gsize n, gsize k, const float *a, gsize lda, const float *b, gsize ldb,
                          const float *bias, gboolean relu, float *c, gsize ldc)
{
  gemm (FALSE, FALSE, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, bias, relu, c, ldc);
}

#else /* not x86-64 */

gboolean
gl_gemm_compiled (void)
{
  return FALSE;
}

void
gl_gemm_avx512 (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, float alpha, const float *a,
                gsize lda, const float *b, gsize ldb, float beta, float *c, gsize ldc)
{
  g_error ("gl_gemm_avx512: this build has no AVX-512 kernel (gl_gemm_compiled () is FALSE)");
}

void
gl_gemm_avx512_bias_relu (gsize m, gsize n, gsize k, const float *a, gsize lda, const float *b, gsize ldb,
                          const float *bias, gboolean relu, float *c, gsize ldc)
{
  g_error ("gl_gemm_avx512_bias_relu: this build has no AVX-512 kernel (gl_gemm_compiled () is FALSE)");
}

#endif
