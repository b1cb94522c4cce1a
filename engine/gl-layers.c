/* gl-layers.c — layer kernels; see gl-layers.h for shapes and conventions. */
#include "engine/gl-layers.h"

#include "engine/gl-conv-direct.h"
#include "engine/gl-parallel.h"

#include <math.h>
#include <string.h>

/* The hot loops get an AVX2 clone chosen at load time on CPUs that have it
 * (the default build targets plain x86-64). Sanitizer builds keep one version. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define GL_HOT __attribute__ ((target_clones ("avx2", "default")))
#else
#define GL_HOT
#endif

/* Short copies (a 3-float kernel row of a grey image) must stay inline loops:
 * GCC would otherwise turn them into one memcpy call each. */
#if defined(__GNUC__) && !defined(__clang__)
#define GL_NO_MEMCPY __attribute__ ((optimize ("no-tree-loop-distribute-patterns")))
#else
#define GL_NO_MEMCPY
#endif

/* ---- convolution ---- */

gboolean
gl_conv_shape_init (GlConvShape *s, guint n, guint h, guint w, guint c, guint filters, guint kernel, guint stride,
                    guint pad)
{
  memset (s, 0, sizeof *s);
  s->n = n;
  s->h = h;
  s->w = w;
  s->c = c;
  s->filters = filters;
  s->kernel = kernel;
  s->stride = stride;
  s->pad = pad;
  if (h == 0 || w == 0 || c == 0 || filters == 0 || kernel == 0 || stride == 0)
    return FALSE;
  if (kernel > h + 2 * pad || kernel > w + 2 * pad || pad >= kernel)
    return FALSE;
  s->oh = (h + 2 * pad - kernel) / stride + 1;
  s->ow = (w + 2 * pad - kernel) / stride + 1;
  return TRUE;
}

gboolean
gl_conv_needs_cols (const GlConvShape *s)
{
  return !(s->kernel == 1 && s->stride == 1 && s->pad == 0);
}

gsize
gl_conv_cols_size (const GlConvShape *s)
{
  return (gsize) s->n * s->oh * s->ow * s->kernel * s->kernel * s->c;
}

static inline void
copy_floats (float *restrict dst, const float *restrict src, gsize count)
{
  for (gsize i = 0; i < count; i++)
    dst[i] = src[i];
}

static inline void
add_floats (float *restrict dst, const float *restrict src, gsize count)
{
  for (gsize i = 0; i < count; i++)
    dst[i] += src[i];
}

static inline void
zero_floats (float *dst, gsize count)
{
  for (gsize i = 0; i < count; i++)
    dst[i] = 0.0f;
}

GL_HOT GL_NO_MEMCPY static void
im2col_serial (const GlConvShape *s, const float *x, float *cols)
{
  const guint k = s->kernel, c = s->c, h = s->h, w = s->w;
  const gsize run = (gsize) k * c;      /* one kernel row of a patch */
  const gsize patch = run * k;          /* one row of cols */
  float *dst = cols;

  for (guint n = 0; n < s->n; n++)
    {
      const float *image = x + (gsize) n * h * w * c;
      for (guint oy = 0; oy < s->oh; oy++)
        {
          const int iy0 = (int) (oy * s->stride) - (int) s->pad;
          for (guint ox = 0; ox < s->ow; ox++, dst += patch)
            {
              const int ix0 = (int) (ox * s->stride) - (int) s->pad;
              const gboolean inside_x = ix0 >= 0 && ix0 + (int) k <= (int) w;
              for (guint ky = 0; ky < k; ky++)
                {
                  const int iy = iy0 + (int) ky;
                  float *d = dst + ky * run;
                  if (iy < 0 || iy >= (int) h)
                    {
                      zero_floats (d, run);
                      continue;
                    }
                  const float *row = image + (gsize) iy * w * c;
                  if (inside_x)
                    {
                      copy_floats (d, row + (gsize) ix0 * c, run);
                      continue;
                    }
                  for (guint kx = 0; kx < k; kx++)
                    {
                      const int ix = ix0 + (int) kx;
                      if (ix < 0 || ix >= (int) w)
                        zero_floats (d + kx * c, c);
                      else
                        copy_floats (d + kx * c, row + (gsize) ix * c, c);
                    }
                }
            }
        }
    }
}

GL_HOT static void
col2im_serial (const GlConvShape *s, const float *dcols, float *dx)
{
  const guint k = s->kernel, c = s->c, h = s->h, w = s->w;
  const gsize run = (gsize) k * c;
  const gsize patch = run * k;
  const float *src = dcols;

  memset (dx, 0, sizeof (float) * s->n * h * w * c);
  for (guint n = 0; n < s->n; n++)
    {
      float *image = dx + (gsize) n * h * w * c;
      for (guint oy = 0; oy < s->oh; oy++)
        {
          const int iy0 = (int) (oy * s->stride) - (int) s->pad;
          for (guint ox = 0; ox < s->ow; ox++, src += patch)
            {
              const int ix0 = (int) (ox * s->stride) - (int) s->pad;
              const gboolean inside_x = ix0 >= 0 && ix0 + (int) k <= (int) w;
              for (guint ky = 0; ky < k; ky++)
                {
                  const int iy = iy0 + (int) ky;
                  if (iy < 0 || iy >= (int) h)
                    continue;
                  const float *d = src + ky * run;
                  float *row = image + (gsize) iy * w * c;
                  if (inside_x)
                    {
                      add_floats (row + (gsize) ix0 * c, d, run);
                      continue;
                    }
                  for (guint kx = 0; kx < k; kx++)
                    {
                      const int ix = ix0 + (int) kx;
                      if (ix >= 0 && ix < (int) w)
                        add_floats (row + (gsize) ix * c, d + kx * c, c);
                    }
                }
            }
        }
    }
}

/* Image-parallel wrappers: chunk [b, e) of the batch is the same kernel on
 * a sub-shape of e − b images with the pointers moved to image b. */
typedef struct
{
  const GlConvShape *s;
  const float *in;
  float *out;
} ConvJob;

static void
im2col_chunk (gsize b, gsize e, gpointer data)
{
  const ConvJob *j = data;
  GlConvShape sub = *j->s;
  sub.n = (guint) (e - b);
  im2col_serial (&sub, j->in + b * sub.h * sub.w * sub.c,
                 j->out + b * sub.oh * sub.ow * sub.kernel * sub.kernel * sub.c);
}

void
gl_im2col (const GlConvShape *s, const float *x, float *cols)
{
  ConvJob j = { s, x, cols };
  gl_parallel_for (s->n, 1, im2col_chunk, &j);
}

static void
col2im_chunk (gsize b, gsize e, gpointer data)
{
  const ConvJob *j = data;
  GlConvShape sub = *j->s;
  sub.n = (guint) (e - b);
  col2im_serial (&sub, j->in + b * sub.oh * sub.ow * sub.kernel * sub.kernel * sub.c,
                 j->out + b * sub.h * sub.w * sub.c);
}

void
gl_col2im (const GlConvShape *s, const float *dcols, float *dx)
{
  ConvJob j = { s, dcols, dx };
  gl_parallel_for (s->n, 1, col2im_chunk, &j);
}

/* Element-parallel loops get chunks of at least this many floats. */
#define MIN_CHUNK 8192

/* @y (m, f) = @a (m, k) · @w (k, f) + @bias, then ReLU, in one pass over
 * each block of @y (gl_sgemm_bias_relu). */
static void
gemm_bias_act (gsize m, guint f, guint k, const float *a, const float *w, const float *bias, gboolean relu, float *y)
{
  gl_sgemm_bias_relu (m, f, k, a, k, w, f, bias, relu, y, f);
}

/* Images per chunk so that a chunk's patch matrix (about 4 MB) stays in the
 * L3 cache, in few enough sgemm calls that their thread start-ups are cheap. */
#define CHUNK_BYTES (4 << 20)
#ifndef INFER_CHUNK_BYTES
#define INFER_CHUNK_BYTES (512 << 10)
#endif

static guint
chunk_images (const GlConvShape *s)
{
  const gsize per_image = (gsize) s->oh * s->ow * s->kernel * s->kernel * s->c * sizeof (float);
  return (guint) CLAMP (CHUNK_BYTES / MAX (per_image, 1), 1, MAX (s->n, 1));
}

/* Few taps: gl-conv-direct.c, a chunk of images per call. The job structs
 * below borrow the caller's arrays for one gl_parallel_for; each chunk's
 * thread reads them and writes only its own images' outputs (or its own
 * step's partial sums). */
typedef struct
{
  const GlConvShape *s;
  const float *x, *weight, *bias;
  gboolean relu;
  float *y;
} DirectJob;

static void
direct_forward_chunk (gsize b, gsize e, gpointer data)
{
  const DirectJob *j = data;
  GlConvShape sub = *j->s;
  sub.n = (guint) (e - b);
  gl_conv_direct_forward (&sub, j->x + b * sub.h * sub.w * sub.c, j->weight, j->bias, j->relu,
                          j->y + b * sub.oh * sub.ow * sub.filters);
}

static void
conv_direct_forward (const GlConvShape *s, const float *x, const float *weight, const float *bias, gboolean relu,
                     float *y)
{
  DirectJob j = { s, x, weight, bias, relu, y };
  gl_parallel_for (s->n, 1, direct_forward_chunk, &j);
}

void
gl_conv_forward (const GlConvShape *s, const float *x, const float *weight, const float *bias, gboolean relu,
                 float *cols, float *y)
{
  const gsize m = (gsize) s->n * s->oh * s->ow;
  const guint kk = s->kernel * s->kernel * s->c;
  const float *a = x;

  if (gl_conv_direct (s))
    {
      conv_direct_forward (s, x, weight, bias, relu, y);
      return;
    }
  if (gl_conv_needs_cols (s))
    {
      gl_im2col (s, x, cols);
      a = cols;
    }
  gemm_bias_act (m, s->filters, kk, a, weight, bias, relu, y);
}

/* Backward, a fixed step of images at a time per thread (fixed so that the
 * weight gradient is summed in the same order whatever the threads): the
 * step's patches are recomputed into the thread's slot and go through the
 * weight-gradient product and the patch-gradient product and col2im in its
 * cache. Each step writes its own weight-gradient part, summed in step
 * order afterwards. */
#define BACKWARD_STEP_MAX 8

static guint infer_chunk_images (const GlConvShape *s);

static guint
backward_step_images (const GlConvShape *s)
{
  return MIN (infer_chunk_images (s), BACKWARD_STEP_MAX);
}

static gsize
backward_n_steps (const GlConvShape *s)
{
  const guint step = backward_step_images (s);
  return (s->n + step - 1) / step;
}

gsize
gl_conv_backward_scratch_size (const GlConvShape *s, guint n_slots)
{
  if (gl_conv_direct (s))
    return backward_n_steps (s) * (s->kernel * s->kernel * s->c + 1) * s->filters;
  if (!gl_conv_needs_cols (s))
    return 0;
  const gsize kk = (gsize) s->kernel * s->kernel * s->c;
  return (gsize) MAX (n_slots, 1) * 2 * gl_conv_infer_scratch_size (s) + backward_n_steps (s) * kk * s->filters;
}

typedef struct
{
  const GlConvShape *s;
  guint step;
  const float *x, *weight, *dy;
  float *scratch;   /* (slots, 2 × stride): patches, patch gradients */
  gsize stride;
  float *partials;  /* (steps, kk, f) */
  float *dx;
} ConvBackSteps;

static void
conv_backward_steps (gsize b, gsize e, guint slot, gpointer data)
{
  const ConvBackSteps *j = data;
  const GlConvShape *s = j->s;
  const gsize pixels = (gsize) s->oh * s->ow, kk = (gsize) s->kernel * s->kernel * s->c;
  const guint f = s->filters;
  float *patches = j->scratch + 2 * slot * j->stride, *dpatches = patches + j->stride;
  for (gsize i = b; i < e; i++)
    {
      GlConvShape sub = *s;
      const guint first = (guint) i * j->step;
      sub.n = MIN (j->step, s->n - first);
      const gsize rows = sub.n * pixels;
      const float *dy = j->dy + first * pixels * f;
      /*   dW part (kk, f) = patchesᵀ (kk, rows) · dy (rows, f)
       *   d patches (rows, kk) = dy (rows, f) · Wᵀ (f, kk), then col2im. */
      im2col_serial (&sub, j->x + (gsize) first * s->h * s->w * s->c, patches);
      gl_sgemm (TRUE, FALSE, kk, f, rows, 1.0f, patches, kk, dy, f, 0.0f, j->partials + i * kk * f, f);
      if (j->dx == NULL)
        continue;
      gl_sgemm (FALSE, TRUE, rows, kk, f, 1.0f, dy, f, j->weight, f, 0.0f, dpatches, kk);
      col2im_serial (&sub, dpatches, j->dx + (gsize) first * s->h * s->w * s->c);
    }
}

typedef struct
{
  const float *partials;
  gsize n_steps, size;
  float *sum;
} SumJob;

GL_HOT static void
sum_partials_chunk (gsize b, gsize e, gpointer data)
{
  const SumJob *j = data;
  float *restrict sum = j->sum;
  copy_floats (sum + b, j->partials + b, e - b);
  for (gsize p = 1; p < j->n_steps; p++)
    add_floats (sum + b, j->partials + p * j->size + b, e - b);
}

/* Few taps: each step's weight and bias gradients (kk + 1, f) apart, summed
 * in step order as below. */
typedef struct
{
  const GlConvShape *s;
  guint step;
  const float *x, *weight, *y;
  float *dy;
  gboolean relu;
  float *partials; /* (steps, kk + 1, f) */
  float *dx;
  /* With a max pool after the convolution (gl_conv_pool_backward): each
   * step first routes its images' pooled gradient into @dy. */
  const GlPoolShape *pool;
  const float *dpooled;   /* (n, pool oh, pool ow, filters) */
  const guint32 *argmax;  /* (n, pool oh, pool ow, filters) */
} DirectBackJob;

static void maxpool_backward_serial (const GlPoolShape *s, const float *dy, const guint32 *argmax, float *dx,
                                     guint32 offset);

static void
direct_backward_steps (gsize b, gsize e, gpointer data)
{
  const DirectBackJob *j = data;
  const GlConvShape *s = j->s;
  const gsize pixels = (gsize) s->oh * s->ow, kk = (gsize) s->kernel * s->kernel * s->c;
  const gsize item = (gsize) s->h * s->w * s->c;
  for (gsize i = b; i < e; i++)
    {
      GlConvShape sub = *s;
      const guint first = (guint) i * j->step;
      sub.n = MIN (j->step, s->n - first);
      float *dw = j->partials + i * (kk + 1) * s->filters;
      if (j->pool != NULL)
        {
          GlPoolShape ps = *j->pool;
          const gsize pooled_item = (gsize) ps.oh * ps.ow * ps.c;
          ps.n = sub.n;
          if (ps.size == 2 && ps.stride == 2)
            {
              /* The output gradient built on the way: nothing written but the gradients. */
              gl_conv_direct_backward_pooled (&sub, j->x + first * item, &ps, j->dpooled + first * pooled_item,
                                              j->argmax + first * pooled_item, (guint32) (first * pixels * s->filters),
                                              dw, dw + kk * s->filters);
              continue;
            }
          maxpool_backward_serial (&ps, j->dpooled + first * pooled_item, j->argmax + first * pooled_item,
                                   j->dy + first * pixels * s->filters, (guint32) (first * pixels * s->filters));
        }
      gl_conv_direct_backward (&sub, j->x + first * item, j->weight, j->y + first * pixels * s->filters, j->relu,
                               j->dy + first * pixels * s->filters, dw, dw + kk * s->filters,
                               j->dx != NULL ? j->dx + first * item : NULL);
    }
}

/* Runs @j's steps and sums their weight and bias gradients in step order. */
static void
conv_direct_backward (DirectBackJob *j, float *dweight, float *dbias)
{
  const GlConvShape *s = j->s;
  const gsize kk = (gsize) s->kernel * s->kernel * s->c, f = s->filters;
  const gsize n_steps = backward_n_steps (s), size = (kk + 1) * f;
  gl_parallel_for (n_steps, 1, direct_backward_steps, j);
  /* The weight and bias gradients are rows [0, kk) and kk of each step's part. */
  SumJob dw_sum = { j->partials, n_steps, size, dweight }, db_sum = { j->partials + kk * f, n_steps, size, dbias };
  gl_parallel_for (kk * f, MIN_CHUNK, sum_partials_chunk, &dw_sum);
  gl_parallel_for (f, MIN_CHUNK, sum_partials_chunk, &db_sum);
}

void
gl_conv_backward (const GlConvShape *s, const float *x, const float *weight, const float *y, gboolean relu,
                  float *dy, float *dweight, float *dbias, float *scratch, guint n_slots, float *dx)
{
  const gsize m = (gsize) s->n * s->oh * s->ow;
  const guint kk = s->kernel * s->kernel * s->c;
  const guint f = s->filters;

  if (gl_conv_direct (s))
    {
      DirectBackJob j = { s, backward_step_images (s), x, weight, y, dy, relu, scratch, dx, NULL, NULL, NULL };
      conv_direct_backward (&j, dweight, dbias);
      return;
    }
  gl_bias_act_backward (m, f, y, relu, dy, dbias);
  if (!gl_conv_needs_cols (s))
    {
      /* dW (kk, f) = xᵀ (kk, m) · dy (m, f); dx (m, kk) = dy (m, f) · Wᵀ (f, kk) */
      gl_sgemm (TRUE, FALSE, kk, f, m, 1.0f, x, kk, dy, f, 0.0f, dweight, f);
      if (dx != NULL)
        gl_sgemm (FALSE, TRUE, m, kk, f, 1.0f, dy, f, weight, f, 0.0f, dx, kk);
      return;
    }
  n_slots = MAX (n_slots, 1);
  const gsize stride = gl_conv_infer_scratch_size (s), n_steps = backward_n_steps (s);
  ConvBackSteps j = { s, backward_step_images (s), x, weight, dy, scratch, stride,
                      scratch + n_slots * 2 * stride, dx };
  gl_parallel_for_slots (n_steps, 1, n_slots, conv_backward_steps, &j);
  SumJob sum = { j.partials, n_steps, (gsize) kk * f, dweight };
  gl_parallel_for ((gsize) kk * f, MIN_CHUNK, sum_partials_chunk, &sum);
}

/* Forward only: images per im2col + sgemm step, so that a step's patch
 * matrix (about INFER_CHUNK_BYTES) is still in a core's L2 cache when sgemm
 * packs it. Never more than chunk_images, which sizes the scratch. */
static guint
infer_chunk_images (const GlConvShape *s)
{
  const gsize per_image = (gsize) s->oh * s->ow * s->kernel * s->kernel * s->c * sizeof (float);
  const guint n = (guint) CLAMP (INFER_CHUNK_BYTES / MAX (per_image, 1), 1, MAX (s->n, 1));
  return MIN (n, chunk_images (s));
}

gsize
gl_conv_infer_scratch_size (const GlConvShape *s)
{
  if (!gl_conv_needs_cols (s) || gl_conv_direct (s))
    return 0;
  return (gsize) chunk_images (s) * s->oh * s->ow * s->kernel * s->kernel * s->c;
}

/* A step of images through im2col, sgemm, bias and ReLU on one thread. */
typedef struct
{
  const GlConvShape *s;
  guint step;            /* images per step */
  const float *x, *weight, *bias;
  gboolean relu;
  float *scratch;        /* (slots, stride) */
  gsize stride;          /* floats of scratch per slot */
  float *y;
} ConvSteps;

static void
conv_forward_steps (gsize b, gsize e, guint slot, gpointer data)
{
  const ConvSteps *j = data;
  const GlConvShape *s = j->s;
  const gsize pixels = (gsize) s->oh * s->ow;
  const guint kk = s->kernel * s->kernel * s->c;
  float *patches = j->scratch + slot * j->stride;
  for (gsize i = b; i < e; i++)
    {
      GlConvShape sub = *s;
      const guint first = (guint) i * j->step;
      sub.n = MIN (j->step, s->n - first);
      im2col_serial (&sub, j->x + (gsize) first * s->h * s->w * s->c, patches);
      gemm_bias_act (sub.n * pixels, s->filters, kk, patches, j->weight, j->bias, j->relu,
                     j->y + first * pixels * s->filters);
    }
}

void
gl_conv_forward_infer (const GlConvShape *s, const float *x, const float *weight, const float *bias, gboolean relu,
                       float *scratch, guint n_slots, float *y)
{
  if (gl_conv_direct (s))
    {
      conv_direct_forward (s, x, weight, bias, relu, y);
      return;
    }
  if (!gl_conv_needs_cols (s))
    {
      gl_conv_forward (s, x, weight, bias, relu, NULL, y);
      return;
    }
  /* Steps side by side, a few per thread: each thread takes a step's
   * patches from im2col through sgemm, bias and ReLU in its own cache, and
   * the threads meet once per layer rather than four times per step. The
   * kernels a step calls find gl-parallel busy and run on its thread. A row
   * of the output does not depend on the rows around it, so the steps do not
   * change the results. */
  const guint threads = MIN (gl_parallel_get_n_threads (), MAX (n_slots, 1));
  const guint balanced = (guint) ((s->n + 4 * threads - 1) / (4 * threads));
  ConvSteps j = { s, MAX (1, MIN (infer_chunk_images (s), balanced)), x, weight, bias, relu, scratch,
                  gl_conv_infer_scratch_size (s), y };
  gl_parallel_for_slots ((s->n + j.step - 1) / j.step, 1, n_slots, conv_forward_steps, &j);
}

/* ---- dense ---- */

void
gl_dense_forward (guint n, guint in, guint out, const float *x, const float *weight, const float *bias,
                  gboolean relu, float *y)
{
  gemm_bias_act (n, out, in, x, weight, bias, relu, y);
}

void
gl_dense_backward (guint n, guint in, guint out, const float *x, const float *weight, const float *y,
                   gboolean relu, float *dy, float *dweight, float *dbias, float *dx)
{
  gl_bias_act_backward (n, out, y, relu, dy, dbias);
  gl_sgemm (TRUE, FALSE, in, out, n, 1.0f, x, in, dy, out, 0.0f, dweight, out);
  if (dx != NULL)
    gl_sgemm (FALSE, TRUE, n, in, out, 1.0f, dy, out, weight, out, 0.0f, dx, in);
}

/* ---- bias and ReLU ---- */

typedef struct
{
  gsize m;
  guint f;
  const float *bias;
  gboolean relu;
  const float *y;
  float *dy;
  float *dbias;
} BiasJob;

GL_HOT static void
bias_act_forward_chunk (gsize b, gsize e, gpointer data)
{
  const BiasJob *j = data;
  const guint f = j->f;
  for (gsize i = b; i < e; i++)
    {
      float *restrict row = j->dy + i * f;
      const float *restrict bias = j->bias;
      if (bias != NULL && j->relu)
        for (guint k = 0; k < f; k++)
          {
            float v = row[k] + bias[k];
            row[k] = v > 0.0f ? v : 0.0f;
          }
      else if (bias != NULL)
        for (guint k = 0; k < f; k++)
          row[k] += bias[k];
      else if (j->relu)
        for (guint k = 0; k < f; k++)
          row[k] = row[k] > 0.0f ? row[k] : 0.0f;
    }
}

void
gl_bias_act_forward (gsize m, guint f, const float *bias, gboolean relu, float *y)
{
  BiasJob j = { m, f, bias, relu, NULL, y, NULL };
  gl_parallel_for (m, MIN_CHUNK / MAX (f, 1) + 1, bias_act_forward_chunk, &j);
}

/* Column-parallel: chunk [b, e) of the blocks of 16 columns (one cache line),
 * so that each column's sum runs in the same order whatever the threads. */
#define COL_BLOCK 16

GL_HOT static void
bias_act_backward_chunk (gsize b, gsize e, gpointer data)
{
  const BiasJob *j = data;
  const guint f = j->f, c0 = (guint) b * COL_BLOCK, c1 = MIN (f, (guint) e * COL_BLOCK);
  float *restrict dbias = j->dbias;
  if (dbias != NULL)
    for (guint k = c0; k < c1; k++)
      dbias[k] = 0.0f;
  for (gsize i = 0; i < j->m; i++)
    {
      float *restrict drow = j->dy + i * f;
      const float *restrict yrow = j->y + i * f;
      if (j->relu)
        for (guint k = c0; k < c1; k++)
          drow[k] = yrow[k] > 0.0f ? drow[k] : 0.0f;
      if (dbias != NULL)
        for (guint k = c0; k < c1; k++)
          dbias[k] += drow[k];
    }
}

void
gl_bias_act_backward (gsize m, guint f, const float *y, gboolean relu, float *dy, float *dbias)
{
  BiasJob j = { m, f, NULL, relu, y, dy, dbias };
  gl_parallel_for ((f + COL_BLOCK - 1) / COL_BLOCK, 1, bias_act_backward_chunk, &j);
}

typedef struct
{
  const float *x;
  const float *y;
  float *out;
} EltJob;

GL_HOT static void
relu_forward_chunk (gsize b, gsize e, gpointer data)
{
  const EltJob *j = data;
  const float *restrict x = j->x;
  float *y = j->out;
  for (gsize i = b; i < e; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
gl_relu_forward (gsize count, const float *x, float *y)
{
  EltJob j = { x, NULL, y };
  gl_parallel_for (count, MIN_CHUNK, relu_forward_chunk, &j);
}

GL_HOT void
gl_relu_backward (gsize count, const float *y, const float *dy, float *dx)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

/* ---- pooling ---- */

gboolean
gl_pool_shape_init (GlPoolShape *s, guint n, guint h, guint w, guint c, guint size, guint stride)
{
  memset (s, 0, sizeof *s);
  s->n = n;
  s->h = h;
  s->w = w;
  s->c = c;
  s->size = size;
  s->stride = stride;
  if (h == 0 || w == 0 || c == 0 || size == 0 || stride == 0 || size > h || size > w)
    return FALSE;
  s->oh = (h - size) / stride + 1;
  s->ow = (w - size) / stride + 1;
  return TRUE;
}

/* 2×2 windows with stride 2, the common case: four rows of c floats per output pixel. */
static inline void
maxpool2_pixel (guint c, const float *restrict a, const float *restrict b, const float *restrict d,
                const float *restrict e, guint32 ia, guint32 ib, guint32 id, guint32 ie, float *restrict out,
                guint32 *restrict am)
{
  for (guint j = 0; j < c; j++)
    {
      float m = a[j];
      guint32 i = ia + j;
      i = b[j] > m ? ib + j : i;
      m = b[j] > m ? b[j] : m;
      i = d[j] > m ? id + j : i;
      m = d[j] > m ? d[j] : m;
      i = e[j] > m ? ie + j : i;
      m = e[j] > m ? e[j] : m;
      out[j] = m;
      am[j] = i;
    }
}

static inline void
maxpool2_pixel_noidx (guint c, const float *restrict a, const float *restrict b, const float *restrict d,
                      const float *restrict e, float *restrict out)
{
  for (guint j = 0; j < c; j++)
    {
      const float m1 = a[j] > b[j] ? a[j] : b[j];
      const float m2 = d[j] > e[j] ? d[j] : e[j];
      out[j] = m1 > m2 ? m1 : m2;
    }
}

/* On images [0, s->n) of a sub-batch whose first input float is index
 * @offset of the whole batch: argmax holds whole-batch indices. */
GL_HOT static void
maxpool_forward_serial (const GlPoolShape *s, const float *x, float *y, guint32 *argmax, guint32 offset)
{
  const guint c = s->c;
  float *out = y;
  guint32 *am = argmax;

  if (s->size == 2 && s->stride == 2)
    {
      for (guint n = 0; n < s->n; n++)
        for (guint oy = 0; oy < s->oh; oy++)
          {
            const gsize row0 = (((gsize) n * s->h + 2 * oy) * s->w) * c;
            const gsize row1 = row0 + (gsize) s->w * c;
            for (guint ox = 0; ox < s->ow; ox++, out += c)
              {
                const gsize p0 = row0 + (gsize) 2 * ox * c, p1 = p0 + c, p2 = row1 + (gsize) 2 * ox * c,
                            p3 = p2 + c;
                if (am != NULL)
                  {
                    maxpool2_pixel (c, x + p0, x + p1, x + p2, x + p3, (guint32) p0 + offset, (guint32) p1 + offset,
                                    (guint32) p2 + offset, (guint32) p3 + offset, out, am);
                    am += c;
                  }
                else
                  maxpool2_pixel_noidx (c, x + p0, x + p1, x + p2, x + p3, out);
              }
          }
      return;
    }

  for (guint n = 0; n < s->n; n++)
    for (guint oy = 0; oy < s->oh; oy++)
      for (guint ox = 0; ox < s->ow; ox++, out += c, am = am != NULL ? am + c : NULL)
        {
          for (guint ky = 0; ky < s->size; ky++)
            for (guint kx = 0; kx < s->size; kx++)
              {
                const gsize base = (((gsize) n * s->h + oy * s->stride + ky) * s->w + ox * s->stride + kx) * c;
                const guint32 index = (guint32) base + offset;
                const float *restrict in = x + base;
                if (ky == 0 && kx == 0)
                  {
                    copy_floats (out, in, c);
                    if (am != NULL)
                      for (guint j = 0; j < c; j++)
                        am[j] = index + j;
                  }
                else if (am != NULL)
                  {
                    for (guint j = 0; j < c; j++)
                      {
                        const gboolean more = in[j] > out[j];
                        am[j] = more ? index + j : am[j];
                        out[j] = more ? in[j] : out[j];
                      }
                  }
                else
                  {
                    for (guint j = 0; j < c; j++)
                      out[j] = in[j] > out[j] ? in[j] : out[j];
                  }
              }
        }
}

/* The gradient of one output pixel of a 2×2 window to its four input rows
 * (written whole: the windows tile the input). Branch-free so that it
 * vectorises: the winner's index is compared with each row's. */
static inline void
maxpool2_pixel_backward (guint c, const float *restrict g, const guint32 *restrict am, guint32 q0, guint32 q1,
                         guint32 q2, guint32 q3, float *restrict d0, float *restrict d1, float *restrict d2,
                         float *restrict d3)
{
  for (guint j = 0; j < c; j++)
    {
      const guint32 i = am[j];
      const float v = g[j];
      d0[j] = i == q0 + j ? v : 0.0f;
      d1[j] = i == q1 + j ? v : 0.0f;
      d2[j] = i == q2 + j ? v : 0.0f;
      d3[j] = i == q3 + j ? v : 0.0f;
    }
}

GL_HOT static void
maxpool_backward_serial (const GlPoolShape *s, const float *dy, const guint32 *argmax, float *dx, guint32 offset)
{
  const gsize count = (gsize) s->n * s->oh * s->ow * s->c;
  const guint c = s->c;

  if (s->size == 2 && s->stride == 2 && s->h == 2 * s->oh && s->w == 2 * s->ow)
    {
      /* The windows tile the input: every input cell is written once, no memset. */
      const float *g = dy;
      const guint32 *am = argmax;
      for (guint n = 0; n < s->n; n++)
        for (guint oy = 0; oy < s->oh; oy++)
          {
            const gsize row0 = (((gsize) n * s->h + 2 * oy) * s->w) * c;
            const gsize row1 = row0 + (gsize) s->w * c;
            for (guint ox = 0; ox < s->ow; ox++, g += c, am += c)
              {
                const gsize p0 = row0 + (gsize) 2 * ox * c, p1 = p0 + c, p2 = row1 + (gsize) 2 * ox * c,
                            p3 = p2 + c;
                const guint32 q0 = (guint32) p0 + offset, q1 = (guint32) p1 + offset, q2 = (guint32) p2 + offset,
                              q3 = (guint32) p3 + offset;
                maxpool2_pixel_backward (c, g, am, q0, q1, q2, q3, dx + p0, dx + p1, dx + p2, dx + p3);
              }
          }
      return;
    }
  memset (dx, 0, sizeof (float) * s->n * s->h * s->w * s->c);
  for (gsize i = 0; i < count; i++)
    dx[argmax[i] - offset] += dy[i];
}

typedef struct
{
  const GlPoolShape *s;
  const float *in;
  float *out;
  guint32 *argmax;
} PoolJob;

static void
maxpool_forward_chunk (gsize b, gsize e, gpointer data)
{
  const PoolJob *j = data;
  GlPoolShape sub = *j->s;
  const gsize in_item = (gsize) sub.h * sub.w * sub.c, out_item = (gsize) sub.oh * sub.ow * sub.c;
  sub.n = (guint) (e - b);
  maxpool_forward_serial (&sub, j->in + b * in_item, j->out + b * out_item,
                          j->argmax != NULL ? j->argmax + b * out_item : NULL, (guint32) (b * in_item));
}

void
gl_maxpool_forward (const GlPoolShape *s, const float *x, float *y, guint32 *argmax)
{
  PoolJob j = { s, x, y, argmax };
  gl_parallel_for (s->n, 1, maxpool_forward_chunk, &j);
}

static void
maxpool_backward_chunk (gsize b, gsize e, gpointer data)
{
  const PoolJob *j = data;
  GlPoolShape sub = *j->s;
  const gsize in_item = (gsize) sub.h * sub.w * sub.c, out_item = (gsize) sub.oh * sub.ow * sub.c;
  sub.n = (guint) (e - b);
  maxpool_backward_serial (&sub, j->in + b * out_item, j->argmax + b * out_item, j->out + b * in_item,
                           (guint32) (b * in_item));
}

void
gl_maxpool_backward (const GlPoolShape *s, const float *dy, const guint32 *argmax, float *dx)
{
  PoolJob j = { s, dy, dx, (guint32 *) argmax };
  gl_parallel_for (s->n, 1, maxpool_backward_chunk, &j);
}

/* ---- a direct convolution and the max pool after it ---- */

/* Images per fused forward step: the convolution's output (100 KB an image
 * for 28×28×32) is still in L2 when the pool reads it. */
#define FUSED_IMAGES 2

typedef struct
{
  const GlConvShape *cs;
  const GlPoolShape *ps;
  const float *x, *weight, *bias;
  float *y, *pooled;
  guint32 *argmax;
} ConvPoolJob;

static void
conv_pool_forward_chunk (gsize b, gsize e, gpointer data)
{
  const ConvPoolJob *j = data;
  const gsize x_item = (gsize) j->cs->h * j->cs->w * j->cs->c, y_item = (gsize) j->cs->oh * j->cs->ow * j->cs->filters;
  const gsize p_item = (gsize) j->ps->oh * j->ps->ow * j->ps->c;
  for (gsize i0 = b; i0 < e; i0 += FUSED_IMAGES)
    {
      GlConvShape cs = *j->cs;
      GlPoolShape ps = *j->ps;
      cs.n = ps.n = (guint) MIN (FUSED_IMAGES, e - i0);
      float *pooled = j->pooled + i0 * p_item;
      gl_conv_direct_forward (&cs, j->x + i0 * x_item, j->weight, j->bias, FALSE, j->y + i0 * y_item);
      maxpool_forward_serial (&ps, j->y + i0 * y_item, pooled, j->argmax + i0 * p_item, (guint32) (i0 * y_item));
      EltJob relu = { pooled, NULL, pooled };
      relu_forward_chunk (0, cs.n * p_item, &relu);
    }
}

void
gl_conv_pool_forward (const GlConvShape *cs, const GlPoolShape *ps, const float *x, const float *weight,
                      const float *bias, float *y, float *pooled, guint32 *argmax)
{
  g_return_if_fail (gl_conv_direct (cs));
  ConvPoolJob j = { cs, ps, x, weight, bias, y, pooled, argmax };
  gl_parallel_for (cs->n, 1, conv_pool_forward_chunk, &j);
}

void
gl_conv_pool_backward (const GlConvShape *cs, const GlPoolShape *ps, const float *x, const float *weight,
                       const float *dpooled, const guint32 *argmax, float *dy, float *dweight, float *dbias,
                       float *scratch)
{
  g_return_if_fail (gl_conv_direct (cs));
  DirectBackJob j = { cs, backward_step_images (cs), x, weight, NULL, dy, FALSE, scratch, NULL, ps, dpooled, argmax };
  conv_direct_backward (&j, dweight, dbias);
}

GL_HOT void
gl_gap_forward (guint n, guint hw, guint c, const float *x, float *y)
{
  const float scale = 1.0f / (float) hw;
  for (guint i = 0; i < n; i++)
    {
      float *restrict out = y + (gsize) i * c;
      const float *in = x + (gsize) i * hw * c;
      zero_floats (out, c);
      for (guint p = 0; p < hw; p++)
        add_floats (out, in + (gsize) p * c, c);
      for (guint j = 0; j < c; j++)
        out[j] *= scale;
    }
}

GL_HOT void
gl_gap_backward (guint n, guint hw, guint c, const float *dy, float *dx)
{
  const float scale = 1.0f / (float) hw;
  for (guint i = 0; i < n; i++)
    {
      const float *g = dy + (gsize) i * c;
      float *out = dx + (gsize) i * hw * c;
      for (guint p = 0; p < hw; p++)
        for (guint j = 0; j < c; j++)
          out[(gsize) p * c + j] = g[j] * scale;
    }
}

/* ---- batch normalisation ---- */

/* The batch-norm kernels work on channels [c0, c1) of rows of c floats. */
GL_HOT static void
batchnorm_forward_train_cols (gsize m, guint c, const float *x, const float *gamma, const float *beta,
                              float momentum, float eps, float *running_mean, float *running_var, gboolean relu,
                              float *xhat, float *mean, float *inv_std, float *y, double *acc, guint c0, guint c1)
{
  /* Two passes (mean, then squared deviations) for accuracy. The sums are
   * kept in locals, a block of columns at a time: through @acc the compiler
   * must assume they alias the input and goes through memory on every row. */
  for (guint j0 = c0; j0 < c1; j0 += COL_BLOCK)
    {
      const guint nb = MIN (COL_BLOCK, c1 - j0);
      double sum[COL_BLOCK] = { 0 };
      float mu[COL_BLOCK];
      for (gsize i = 0; i < m; i++)
        {
          const float *restrict row = x + i * c + j0;
          for (guint j = 0; j < nb; j++)
            sum[j] += row[j];
        }
      for (guint j = 0; j < nb; j++)
        {
          mu[j] = mean[j0 + j] = (float) (sum[j] / (double) m);
          sum[j] = 0.0;
        }
      for (gsize i = 0; i < m; i++)
        {
          const float *restrict row = x + i * c + j0;
          for (guint j = 0; j < nb; j++)
            {
              const float d = row[j] - mu[j];
              sum[j] += d * d;
            }
        }
      for (guint j = 0; j < nb; j++)
        acc[j0 + j] = sum[j];
    }
  for (guint j = c0; j < c1; j++)
    {
      const double var = acc[j] / (double) m;
      inv_std[j] = (float) (1.0 / sqrt (var + eps));
      const double unbiased = m > 1 ? var * (double) m / (double) (m - 1) : var;
      running_mean[j] = (1.0f - momentum) * running_mean[j] + momentum * mean[j];
      running_var[j] = (1.0f - momentum) * running_var[j] + momentum * (float) unbiased;
    }
  for (gsize i = 0; i < m; i++)
    {
      const float *restrict row = x + i * c;
      float *restrict xh = xhat + i * c;
      float *restrict out = y + i * c;
      for (guint j = c0; j < c1; j++)
        {
          const float v = (row[j] - mean[j]) * inv_std[j];
          xh[j] = v;
          const float o = gamma[j] * v + beta[j];
          out[j] = relu && o < 0.0f ? 0.0f : o;
        }
    }
}

GL_HOT static void
batchnorm_forward_eval_cols (gsize m, guint c, const float *x, const float *gamma, const float *beta,
                             const float *running_mean, const float *running_var, float eps, gboolean relu, float *y,
                             float *scale_shift, guint c0, guint c1)
{
  float *scale = scale_shift, *shift = scale_shift + c;
  for (guint j = c0; j < c1; j++)
    {
      scale[j] = gamma[j] / sqrtf (running_var[j] + eps);
      shift[j] = beta[j] - running_mean[j] * scale[j];
    }
  for (gsize i = 0; i < m; i++)
    {
      const float *restrict row = x + i * c;
      float *restrict out = y + i * c;
      if (relu)
        for (guint j = c0; j < c1; j++)
          {
            const float o = row[j] * scale[j] + shift[j];
            out[j] = o > 0.0f ? o : 0.0f;
          }
      else
        for (guint j = c0; j < c1; j++)
          out[j] = row[j] * scale[j] + shift[j];
    }
}

GL_HOT static void
batchnorm_backward_cols (gsize m, guint c, const float *xhat, const float *inv_std, const float *gamma,
                         const float *y, gboolean relu, float *dy, float *dgamma, float *dbeta, float *dx, double *acc,
                         guint c0, guint c1)
{
  /* The sums in locals, a block of columns at a time (see the forward pass). */
  for (guint j0 = c0; j0 < c1; j0 += COL_BLOCK)
    {
      const guint nb = MIN (COL_BLOCK, c1 - j0);
      double sum_dy[COL_BLOCK] = { 0 }, sum_dy_xhat[COL_BLOCK] = { 0 };
      for (gsize i = 0; i < m; i++)
        {
          float *restrict g = dy + i * c + j0;
          const float *restrict xh = xhat + i * c + j0;
          if (relu)
            {
              const float *restrict yrow = y + i * c + j0;
              for (guint j = 0; j < nb; j++)
                g[j] = yrow[j] > 0.0f ? g[j] : 0.0f;
            }
          for (guint j = 0; j < nb; j++)
            {
              sum_dy[j] += g[j];
              sum_dy_xhat[j] += g[j] * xh[j];
            }
        }
      for (guint j = 0; j < nb; j++)
        {
          dbeta[j0 + j] = (float) sum_dy[j];
          dgamma[j0 + j] = (float) sum_dy_xhat[j];
        }
    }
  if (dx == NULL)
    return;
  const float inv_m = 1.0f / (float) m;
  for (gsize i = 0; i < m; i++)
    {
      const float *restrict g = dy + i * c;
      const float *restrict xh = xhat + i * c;
      float *restrict out = dx + i * c;
      for (guint j = c0; j < c1; j++)
        out[j] = gamma[j] * inv_std[j] * (g[j] - (dbeta[j] + xh[j] * dgamma[j]) * inv_m);
    }
}

typedef struct
{
  gsize m;
  guint c;
  const float *x, *gamma, *beta, *xhat, *y_in;
  float momentum, eps;
  float *running_mean, *running_var, *mean, *inv_std, *y, *dy, *dgamma, *dbeta, *dx, *scale_shift;
  const float *rmean, *rvar, *istd;
  gboolean relu;
  double *acc;
} BnJob;

static void
bn_train_chunk (gsize b, gsize e, gpointer data)
{
  const BnJob *j = data;
  batchnorm_forward_train_cols (j->m, j->c, j->x, j->gamma, j->beta, j->momentum, j->eps, j->running_mean,
                                j->running_var, j->relu, (float *) j->xhat, j->mean, j->inv_std, j->y, j->acc,
                                (guint) b * COL_BLOCK, MIN (j->c, (guint) e * COL_BLOCK));
}

void
gl_batchnorm_forward_train (gsize m, guint c, const float *x, const float *gamma, const float *beta, float momentum,
                            float eps, float *running_mean, float *running_var, gboolean relu, float *xhat,
                            float *mean, float *inv_std, float *y, double *acc)
{
  BnJob j = { .m = m, .c = c, .x = x, .gamma = gamma, .beta = beta, .xhat = xhat, .momentum = momentum,
              .eps = eps, .running_mean = running_mean, .running_var = running_var, .mean = mean,
              .inv_std = inv_std, .y = y, .relu = relu, .acc = acc };
  gl_parallel_for ((c + COL_BLOCK - 1) / COL_BLOCK, 1, bn_train_chunk, &j);
}

static void
bn_eval_chunk (gsize b, gsize e, gpointer data)
{
  const BnJob *j = data;
  batchnorm_forward_eval_cols (j->m, j->c, j->x, j->gamma, j->beta, j->rmean, j->rvar, j->eps, j->relu, j->y,
                               j->scale_shift, (guint) b * COL_BLOCK, MIN (j->c, (guint) e * COL_BLOCK));
}

void
gl_batchnorm_forward_eval (gsize m, guint c, const float *x, const float *gamma, const float *beta,
                           const float *running_mean, const float *running_var, float eps, gboolean relu, float *y,
                           float *scale_shift)
{
  BnJob j = { .m = m, .c = c, .x = x, .gamma = gamma, .beta = beta, .rmean = running_mean, .rvar = running_var,
              .eps = eps, .relu = relu, .y = y, .scale_shift = scale_shift };
  gl_parallel_for ((c + COL_BLOCK - 1) / COL_BLOCK, 1, bn_eval_chunk, &j);
}

static void
bn_backward_chunk (gsize b, gsize e, gpointer data)
{
  const BnJob *j = data;
  batchnorm_backward_cols (j->m, j->c, j->xhat, j->istd, j->gamma, j->y_in, j->relu, j->dy, j->dgamma, j->dbeta,
                           j->dx, j->acc, (guint) b * COL_BLOCK, MIN (j->c, (guint) e * COL_BLOCK));
}

void
gl_batchnorm_backward (gsize m, guint c, const float *xhat, const float *inv_std, const float *gamma, const float *y,
                       gboolean relu, float *dy, float *dgamma, float *dbeta, float *dx, double *acc)
{
  BnJob j = { .m = m, .c = c, .xhat = xhat, .istd = inv_std, .gamma = gamma, .y_in = y, .relu = relu, .dy = dy,
              .dgamma = dgamma, .dbeta = dbeta, .dx = dx, .acc = acc };
  gl_parallel_for ((c + COL_BLOCK - 1) / COL_BLOCK, 1, bn_backward_chunk, &j);
}

/* ---- dropout ---- */

void
gl_dropout_forward (gsize count, float rate, GlRng *rng, const float *x, float *mask, float *y)
{
  const float keep = 1.0f / (1.0f - rate);
  /* One 64-bit draw gives two 24-bit uniforms. */
  for (gsize i = 0; i < count; i += 2)
    {
      const guint64 r = gl_rng_next (rng);
      const float u0 = (float) (r >> 40) * (1.0f / 16777216.0f);
      const float u1 = (float) ((r >> 8) & 0xffffff) * (1.0f / 16777216.0f);
      mask[i] = u0 < rate ? 0.0f : keep;
      y[i] = x[i] * mask[i];
      if (i + 1 < count)
        {
          mask[i + 1] = u1 < rate ? 0.0f : keep;
          y[i + 1] = x[i + 1] * mask[i + 1];
        }
    }
}

GL_HOT void
gl_dropout_backward (gsize count, const float *mask, const float *dy, float *dx)
{
  for (gsize i = 0; i < count; i++)
    dx[i] = dy[i] * mask[i];
}

/* ---- softmax and cross-entropy ---- */

void
gl_softmax (gsize n, guint k, const float *logits, float *probs)
{
  for (gsize i = 0; i < n; i++)
    {
      const float *z = logits + i * k;
      float *p = probs + i * k;
      float max = z[0];
      for (guint j = 1; j < k; j++)
        max = z[j] > max ? z[j] : max;
      float sum = 0.0f;
      for (guint j = 0; j < k; j++)
        {
          p[j] = expf (z[j] - max);
          sum += p[j];
        }
      const float inv = 1.0f / sum;
      for (guint j = 0; j < k; j++)
        p[j] *= inv;
    }
}

double
gl_softmax_xent (gsize n, guint k, const float *logits, const gint *labels, const float *class_weights, float *probs,
                 float *dlogits, gsize *n_correct)
{
  double loss = 0.0, total_weight = 0.0;
  gsize correct = 0;

  gl_softmax (n, k, logits, probs);
  for (gsize i = 0; i < n; i++)
    {
      const float *p = probs + i * k;
      const gint y = labels[i];
      const double wt = class_weights != NULL ? class_weights[y] : 1.0;
      guint best = 0;
      for (guint j = 1; j < k; j++)
        if (p[j] > p[best])
          best = j;
      correct += best == (guint) y;
      /* log p_y = z_y − max − log Σ exp(z − max), without underflow to log 0 */
      const float *z = logits + i * k;
      float max = z[0];
      for (guint j = 1; j < k; j++)
        max = z[j] > max ? z[j] : max;
      double sum = 0.0;
      for (guint j = 0; j < k; j++)
        sum += exp ((double) z[j] - max);
      loss += wt * (log (sum) - ((double) z[y] - max));
      total_weight += wt;
    }
  if (n_correct != NULL)
    *n_correct = correct;
  if (total_weight <= 0.0)
    total_weight = 1.0;
  if (dlogits != NULL)
    {
      const double scale = 1.0 / total_weight;
      for (gsize i = 0; i < n; i++)
        {
          const float wt = (float) ((class_weights != NULL ? class_weights[labels[i]] : 1.0) * scale);
          const float *p = probs + i * k;
          float *d = dlogits + i * k;
          for (guint j = 0; j < k; j++)
            d[j] = wt * (p[j] - (j == (guint) labels[i] ? 1.0f : 0.0f));
        }
    }
  return loss / total_weight;
}
