/* gl-conv-direct.c — convolutions with few taps (k·k·c ≤ GL_CONV_DIRECT_MAX_TAPS,
 * such as the first layer on a grey or colour image) computed directly, a
 * pixel at a time, without a patch matrix.
 *
 * Lowered to im2col and sgemm, such a layer spends its time outside the
 * product: a product with 9 or 27 columns of A runs far below the kernel's
 * speed, and im2col, the bias, the ReLU and the ReLU mask each pass over an
 * output that is the largest of the net. Here the patch of a pixel is
 * gathered into registers and each block of 16 filters is summed with the
 * bias and ReLU applied before the one store; the backward pass masks the
 * output gradient, sums the bias and weight gradients and (when asked) the
 * input gradient in one pass over a tile of pixels that stays in L1.
 *
 * Sums run in a fixed order: every output is its own dot product, and the
 * weight and bias gradients of a step of images are summed tile by tile,
 * pixel by pixel; the caller sums the steps in step order. */
#include "engine/gl-conv-direct.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
/* x86-64-v4: AVX-512 (one register a vector); x86-64-v3: AVX2 with FMA (two;
 * a plain "avx2" clone multiplies and adds apart). */
#define GL_HOT __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GL_HOT
#endif

/* Filters per block: two vectors of 16 sums, written with GCC's vector
 * extension (one AVX-512 register each, or two AVX2 ones; the loops over the
 * lanes are otherwise unrolled, not vectorised). Convolutions with fewer
 * filters than a block are left to im2col and sgemm. */
#define LANES 16
#define BLOCK (2 * LANES)
typedef float VF __attribute__ ((vector_size (LANES * sizeof (float))));
typedef gint32 VFi __attribute__ ((vector_size (LANES * sizeof (gint32))));

/* Unaligned loads and stores, and max (v, 0) with NaN to 0 as the scalar
 * ReLU (v > 0 ? v : 0). Macros: a function passing a vector by value would
 * change its ABI between the clones. */
#define LOADV(v, p) memcpy (&(v), (p), sizeof (VF))
#define STOREV(p, v) memcpy ((p), &(v), sizeof (VF))
#define RELUV(v) ((VF) ((VFi) (v) & (VFi) ((v) > (VF) { 0 })))

/* A backward tile: at most this many floats of output gradient (16 KB) and
 * this many pixels, so that it and its patches stay in L1. */
#define TILE_FLOATS 4096
#define TILE_PIXELS 256

gboolean
gl_conv_direct (const GlConvShape *s)
{
  const gsize padded = (gsize) (s->h + 2 * s->pad) * (s->w + 2 * s->pad) * s->c;
  return (gsize) s->kernel * s->kernel * s->c <= GL_CONV_DIRECT_MAX_TAPS && s->filters >= BLOCK
         && s->filters <= GL_CONV_DIRECT_MAX_FILTERS && padded <= GL_CONV_DIRECT_MAX_PADDED;
}

/* @image (h, w, c) into @padded (h + 2·pad, w + 2·pad, c) with zero borders. */
static void
pad_image (const GlConvShape *s, const float *image, float *restrict padded)
{
  const guint c = s->c, pw = s->w + 2 * s->pad, ph = s->h + 2 * s->pad;
  memset (padded, 0, sizeof (float) * ph * pw * c);
  for (guint iy = 0; iy < s->h; iy++)
    memcpy (padded + ((gsize) (iy + s->pad) * pw + s->pad) * c, image + (gsize) iy * s->w * c,
            sizeof (float) * s->w * c);
}

/* Tap t = (ky·k + kx)·c + ci of a patch is @padded[base + off[t]], base being
 * the patch's corner (oy·stride, ox·stride)·c in the padded image. */
static void
tap_offsets (const GlConvShape *s, guint *off)
{
  const guint c = s->c, pw = s->w + 2 * s->pad;
  guint t = 0;
  for (guint ky = 0; ky < s->kernel; ky++)
    for (guint kx = 0; kx < s->kernel; kx++)
      for (guint ci = 0; ci < c; ci++)
        off[t++] = (ky * pw + kx) * c + ci;
}

static inline gsize
patch_base (const GlConvShape *s, guint oy, guint ox)
{
  return ((gsize) oy * s->stride * (s->w + 2 * s->pad) + (gsize) ox * s->stride) * s->c;
}

/* The adjoint of gathering a patch: adds @dp (k·k·c) into @image's cells. */
static inline void
scatter_patch (const GlConvShape *s, float *image, guint oy, guint ox, const float *restrict dp)
{
  const guint k = s->kernel, c = s->c;
  const int iy0 = (int) (oy * s->stride) - (int) s->pad, ix0 = (int) (ox * s->stride) - (int) s->pad;
  guint t = 0;
  for (guint ky = 0; ky < k; ky++)
    {
      const int iy = iy0 + (int) ky;
      for (guint kx = 0; kx < k; kx++, t += c)
        {
          const int ix = ix0 + (int) kx;
          if (iy < 0 || iy >= (int) s->h || ix < 0 || ix >= (int) s->w)
            continue;
          float *dst = image + ((gsize) iy * s->w + (gsize) ix) * c;
          for (guint ci = 0; ci < c; ci++)
            dst[ci] += dp[t + ci];
        }
    }
}

/* Pixels summed side by side: 4 pixels × 2 registers are 8 independent
 * chains of FMAs, enough to hide their latency. */
#define PIX 4

GL_HOT void
gl_conv_direct_forward (const GlConvShape *s, const float *x, const float *weight, const float *bias, gboolean relu,
                        float *y)
{
  const guint f = s->filters, taps = s->kernel * s->kernel * s->c;
  float padded[GL_CONV_DIRECT_MAX_PADDED];
  guint off[GL_CONV_DIRECT_MAX_TAPS];

  tap_offsets (s, off);
  for (guint n = 0; n < s->n; n++)
    {
      pad_image (s, x + (gsize) n * s->h * s->w * s->c, padded);
      for (guint oy = 0; oy < s->oh; oy++)
        for (guint ox0 = 0; ox0 < s->ow; ox0 += PIX)
          {
            const guint m = MIN (PIX, s->ow - ox0);
            /* Past the row's end: the last pixel again, computed but not stored. */
            const float *p0 = padded + patch_base (s, oy, ox0), *p1 = padded + patch_base (s, oy, ox0 + MIN (1, m - 1)),
                        *p2 = padded + patch_base (s, oy, ox0 + MIN (2, m - 1)),
                        *p3 = padded + patch_base (s, oy, ox0 + MIN (3, m - 1));
            float *out = y + (((gsize) n * s->oh + oy) * s->ow + ox0) * f;
            guint j0 = 0;
            for (; j0 + BLOCK <= f; j0 += BLOCK)
              {
                VF b0 = { 0 }, b1 = { 0 }, w0, w1;
                if (bias != NULL)
                  {
                    LOADV (b0, bias + j0);
                    LOADV (b1, bias + j0 + LANES);
                  }
                VF a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
                for (guint t = 0; t < taps; t++)
                  {
                    const float *wr = weight + (gsize) t * f + j0;
                    const guint o = off[t];
                    LOADV (w0, wr);
                    LOADV (w1, wr + LANES);
                    const VF v0 = (VF) { 0 } + p0[o], v1 = (VF) { 0 } + p1[o], v2 = (VF) { 0 } + p2[o],
                             v3 = (VF) { 0 } + p3[o];
                    a00 += v0 * w0;
                    a01 += v0 * w1;
                    a10 += v1 * w0;
                    a11 += v1 * w1;
                    a20 += v2 * w0;
                    a21 += v2 * w1;
                    a30 += v3 * w0;
                    a31 += v3 * w1;
                  }
                if (relu)
                  {
                    a00 = RELUV (a00);
                    a01 = RELUV (a01);
                    a10 = RELUV (a10);
                    a11 = RELUV (a11);
                    a20 = RELUV (a20);
                    a21 = RELUV (a21);
                    a30 = RELUV (a30);
                    a31 = RELUV (a31);
                  }
                STOREV (out + j0, a00);
                STOREV (out + j0 + LANES, a01);
                if (m > 1)
                  {
                    STOREV (out + f + j0, a10);
                    STOREV (out + f + j0 + LANES, a11);
                  }
                if (m > 2)
                  {
                    STOREV (out + 2 * f + j0, a20);
                    STOREV (out + 2 * f + j0 + LANES, a21);
                  }
                if (m > 3)
                  {
                    STOREV (out + 3 * f + j0, a30);
                    STOREV (out + 3 * f + j0 + LANES, a31);
                  }
              }
            for (guint i = 0; i < m; i++)
              for (guint j = j0; j < f; j++)
                {
                  const float *pi = padded + patch_base (s, oy, ox0 + i);
                  float acc = bias != NULL ? bias[j] : 0.0f;
                  for (guint t = 0; t < taps; t++)
                    acc += pi[off[t]] * weight[(gsize) t * f + j];
                  out[(gsize) i * f + j] = relu && !(acc > 0.0f) ? 0.0f : acc;
                }
          }
    }
}

/* dW (taps, f) += Pᵀ (taps, m) · G (m, f) over a tile of @m pixels whose
 * patches are @padded[base[i] + off[t]]: four taps side by side (8 chains of
 * FMAs), each sum over the tile in registers, in pixel order. */
GL_HOT static void
tile_weight_grad (guint m, guint taps, guint f, const float *restrict padded, const gsize *restrict base,
                  const guint *restrict off, const float *restrict g, float *restrict dw)
{
  for (guint j0 = 0; j0 + BLOCK <= f; j0 += BLOCK)
    for (guint t0 = 0; t0 < taps; t0 += 4)
      {
        const guint nt = MIN (4, taps - t0);
        VF a[4][2] = { { { 0 } } };
        VF g0, g1, d0, d1;
        if (nt == 4)
          {
            const guint o0 = off[t0], o1 = off[t0 + 1], o2 = off[t0 + 2], o3 = off[t0 + 3];
            VF a00 = { 0 }, a01 = { 0 }, a10 = { 0 }, a11 = { 0 }, a20 = { 0 }, a21 = { 0 }, a30 = { 0 },
               a31 = { 0 };
            for (guint i = 0; i < m; i++)
              {
                const float *pi = padded + base[i];
                const float *gr = g + (gsize) i * f + j0;
                LOADV (g0, gr);
                LOADV (g1, gr + LANES);
                const VF v0 = (VF) { 0 } + pi[o0], v1 = (VF) { 0 } + pi[o1], v2 = (VF) { 0 } + pi[o2],
                         v3 = (VF) { 0 } + pi[o3];
                a00 += v0 * g0;
                a01 += v0 * g1;
                a10 += v1 * g0;
                a11 += v1 * g1;
                a20 += v2 * g0;
                a21 += v2 * g1;
                a30 += v3 * g0;
                a31 += v3 * g1;
              }
            a[0][0] = a00, a[0][1] = a01, a[1][0] = a10, a[1][1] = a11;
            a[2][0] = a20, a[2][1] = a21, a[3][0] = a30, a[3][1] = a31;
          }
        else
          for (guint i = 0; i < m; i++)
            {
              const float *gr = g + (gsize) i * f + j0;
              LOADV (g0, gr);
              LOADV (g1, gr + LANES);
              for (guint u = 0; u < nt; u++)
                {
                  const VF v = (VF) { 0 } + padded[base[i] + off[t0 + u]];
                  a[u][0] += v * g0;
                  a[u][1] += v * g1;
                }
            }
        for (guint u = 0; u < nt; u++)
          {
            float *d = dw + (gsize) (t0 + u) * f + j0;
            LOADV (d0, d);
            LOADV (d1, d + LANES);
            d0 += a[u][0];
            d1 += a[u][1];
            STOREV (d, d0);
            STOREV (d + LANES, d1);
          }
      }
  for (guint t = 0; t < taps; t++)
    for (guint j = f / BLOCK * BLOCK; j < f; j++)
      {
        float acc = 0.0f;
        for (guint i = 0; i < m; i++)
          acc += padded[base[i] + off[t]] * g[(gsize) i * f + j];
        dw[(gsize) t * f + j] += acc;
      }
}

/* Where the output gradient of a backward pass comes from. Borrowed for one
 * call, read only, on the calling thread. */
typedef struct
{
  const float *dy, *y; /* (n, oh, ow, f); y for the ReLU mask, or NULL */
  /* or, with @pool: the 2×2 pool's gradient and winners (see gl_conv_direct_backward_pooled) */
  const GlPoolShape *pool;
  const float *dpooled;
  const guint32 *argmax;
  guint32 offset;
} GradSource;

/* Output gradient row @r (image @n, pixel @oy, @ox) into @go (f). */
static inline void
gradient_row (const GradSource *src, guint f, guint n, guint oy, guint ox, gsize r, float *restrict go)
{
  if (src->pool == NULL)
    {
      const float *restrict gi = src->dy + r * f;
      if (src->y != NULL)
        for (guint j = 0; j < f; j++)
          go[j] = src->y[r * f + j] > 0.0f ? gi[j] : 0.0f;
      else
        for (guint j = 0; j < f; j++)
          go[j] = gi[j];
      return;
    }
  const GlPoolShape *ps = src->pool;
  const guint py = oy / 2, px = ox / 2;
  if (py >= ps->oh || px >= ps->ow)
    {
      for (guint j = 0; j < f; j++)
        go[j] = 0.0f;
      return;
    }
  const gsize p = (((gsize) n * ps->oh + py) * ps->ow + px) * f;
  const guint32 *restrict am = src->argmax + p;
  const float *restrict dp = src->dpooled + p;
  const guint32 base = src->offset + (guint32) (r * f);
  for (guint j = 0; j < f; j++)
    go[j] = am[j] == base + j ? dp[j] : 0.0f;
}

GL_HOT static void
direct_backward (const GlConvShape *s, const float *x, const float *weight, const GradSource *src, float *dweight,
                 float *dbias, float *dx)
{
  const guint f = s->filters, taps = s->kernel * s->kernel * s->c;
  const guint tile = CLAMP (TILE_FLOATS / f, 1, TILE_PIXELS);
  const gsize pixels = (gsize) s->oh * s->ow, item = (gsize) s->h * s->w * s->c;
  float padded[GL_CONV_DIRECT_MAX_PADDED];
  float g[TILE_FLOATS];
  gsize base[TILE_PIXELS];
  guint off[GL_CONV_DIRECT_MAX_TAPS];
  float dp[GL_CONV_DIRECT_MAX_TAPS];

  G_STATIC_ASSERT (TILE_FLOATS >= GL_CONV_DIRECT_MAX_FILTERS);
  tap_offsets (s, off);
  memset (dweight, 0, sizeof (float) * taps * f);
  memset (dbias, 0, sizeof (float) * f);
  float *restrict db = dbias;
  if (dx != NULL)
    memset (dx, 0, sizeof (float) * s->n * item);
  for (guint n = 0; n < s->n; n++)
    {
      pad_image (s, x + n * item, padded);
      for (gsize q0 = 0; q0 < pixels; q0 += tile)
        {
          const guint m = (guint) MIN (tile, pixels - q0);
          /* The tile's output gradient, its bias gradient and its patches' corners. */
          for (guint i = 0; i < m; i++)
            {
              const gsize q = q0 + i;
              const guint oy = (guint) (q / s->ow), ox = (guint) (q % s->ow);
              float *restrict go = g + (gsize) i * f;
              gradient_row (src, f, n, oy, ox, n * pixels + q, go);
              for (guint j = 0; j < f; j++)
                db[j] += go[j];
              base[i] = patch_base (s, oy, ox);
            }
          tile_weight_grad (m, taps, f, padded, base, off, g, dweight);
          if (dx == NULL)
            continue;
          for (guint i = 0; i < m; i++)
            {
              const gsize q = q0 + i;
              const float *restrict go = g + (gsize) i * f;
              for (guint t = 0; t < taps; t++)
                {
                  const float *restrict wr = weight + (gsize) t * f;
                  float acc = 0.0f;
                  for (guint j = 0; j < f; j++)
                    acc += go[j] * wr[j];
                  dp[t] = acc;
                }
              scatter_patch (s, dx + n * item, (guint) (q / s->ow), (guint) (q % s->ow), dp);
            }
        }
    }
}

void
gl_conv_direct_backward (const GlConvShape *s, const float *x, const float *weight, const float *y, gboolean relu,
                         const float *dy, float *dweight, float *dbias, float *dx)
{
  const GradSource src = { dy, relu ? y : NULL, NULL, NULL, NULL, 0 };
  direct_backward (s, x, weight, &src, dweight, dbias, dx);
}

void
gl_conv_direct_backward_pooled (const GlConvShape *s, const float *x, const GlPoolShape *pool, const float *dpooled,
                                const guint32 *argmax, guint32 offset, float *dweight, float *dbias)
{
  g_return_if_fail (pool->size == 2 && pool->stride == 2 && pool->c == s->filters);
  const GradSource src = { NULL, NULL, pool, dpooled, argmax, offset };
  direct_backward (s, x, NULL, &src, dweight, dbias, NULL);
}
