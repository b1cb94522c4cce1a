/* gl-layers.h — the layer kernels: small pure functions over float arrays.
 *
 * Every activation is channels last: (n, h, w, c). A convolution is lowered
 * to ONE cblas_sgemm over the whole batch: im2col writes the patches as rows
 * (n·oh·ow, k·k·c) — in channels-last layout each kernel row of a patch is a
 * contiguous run of k·c floats of the input, so the copy is a few memcpy-like
 * runs per patch — and patches × weights (k·k·c, filters) is directly the
 * channels-last output (n·oh·ow, filters): no transpose on either side. A
 * 1×1 stride-1 unpadded convolution skips im2col altogether, and one of few
 * taps (k·k·c ≤ 32, a first layer) is computed directly (gl-conv-direct.c).
 *
 * Kernels that can be followed by a ReLU take a @relu flag: the activation is
 * applied in the same pass as the bias (forward), and in backward the output
 * gradient is masked by y > 0 in place, so a separate ReLU layer costs no pass.
 *
 * Backward kernels OVERWRITE parameter gradients (no accumulation across
 * calls) and input gradients. Gradients of a loss that is a mean over the
 * batch are the caller's scaling (softmax cross-entropy already divides). */
#pragma once

#include <glib.h>

#include "engine/gl-rng.h"

G_BEGIN_DECLS

/* ---- convolution ---- */

typedef struct
{
  guint n, h, w, c;                   /* input (n, h, w, c) */
  guint filters, kernel, stride, pad; /* square kernel, zero padding on every side */
  guint oh, ow;                       /* output (n, oh, ow, filters) */
} GlConvShape;

/* Fills in oh, ow; FALSE when the kernel does not fit the padded input or a size is 0. */
gboolean gl_conv_shape_init (GlConvShape *s, guint n, guint h, guint w, guint c, guint filters, guint kernel,
                             guint stride, guint pad);
/* Whether the convolution needs im2col (FALSE for 1×1, stride 1, pad 0). */
gboolean gl_conv_needs_cols (const GlConvShape *s);
/* Rows × columns of the patch matrix. */
gsize gl_conv_cols_size (const GlConvShape *s);

/* @x: (n, h, w, c) → @cols: (n·oh·ow, k·k·c), column index (ky·k + kx)·c + ci. */
void gl_im2col (const GlConvShape *s, const float *x, float *cols);
/* The adjoint: @dx: (n, h, w, c) overwritten with the sum of @dcols' entries. */
void gl_col2im (const GlConvShape *s, const float *dcols, float *dx);

/* @x: (n, h, w, c), @weight: (k·k·c, filters), @bias: (filters),
 * @cols: (n·oh·ow, k·k·c) scratch filled with the patches (kept for backward;
 * unused when !gl_conv_needs_cols), @y: (n, oh, ow, filters). */
void gl_conv_forward (const GlConvShape *s, const float *x, const float *weight, const float *bias, gboolean relu,
                      float *cols, float *y);
/* The same output as gl_conv_forward, with im2col and sgemm run a few images
 * at a time through @scratch, which stays in cache; nothing is kept for
 * backward. The steps run side by side on up to @n_slots threads, each in
 * its own part of @scratch: @n_slots × gl_conv_infer_scratch_size floats. */
gsize gl_conv_infer_scratch_size (const GlConvShape *s);
void gl_conv_forward_infer (const GlConvShape *s, const float *x, const float *weight, const float *bias,
                            gboolean relu, float *scratch, guint n_slots, float *y);
/* @x: the forward input (its patches are recomputed a few images at a time,
 * in cache, rather than kept); @y: the forward output (for the ReLU mask);
 * @dy: (n, oh, ow, filters), may be overwritten (masked in place when @relu);
 * @dweight: (k·k·c, filters), @dbias: (filters);
 * @scratch: gl_conv_backward_scratch_size (@s, @n_slots) floats: fixed steps
 *   of images run side by side on up to @n_slots threads, each step's weight
 *   gradient apart, summed in step order (the same for any thread count);
 * @dx: (n, h, w, c) or NULL when the input gradient is not needed. */
gsize gl_conv_backward_scratch_size (const GlConvShape *s, guint n_slots);
void gl_conv_backward (const GlConvShape *s, const float *x, const float *weight, const float *y, gboolean relu,
                       float *dy, float *dweight, float *dbias, float *scratch, guint n_slots, float *dx);

/* ---- dense ---- */

/* @x: (n, in), @weight: (in, out), @bias: (out), @y: (n, out). */
void gl_dense_forward (guint n, guint in, guint out, const float *x, const float *weight, const float *bias,
                       gboolean relu, float *y);
/* @dy: (n, out), masked in place when @relu; @dweight: (in, out), @dbias: (out),
 * @dx: (n, in) or NULL. */
void gl_dense_backward (guint n, guint in, guint out, const float *x, const float *weight, const float *y,
                        gboolean relu, float *dy, float *dweight, float *dbias, float *dx);

/* ---- bias and ReLU ---- */

/* @y: (m, f) += @bias (f) per row, then ReLU when @relu. @bias may be NULL. */
void gl_bias_act_forward (gsize m, guint f, const float *bias, gboolean relu, float *y);
/* @dy: (m, f) masked by @y > 0 when @relu; @dbias: (f) column sums of @dy, or NULL. */
void gl_bias_act_backward (gsize m, guint f, const float *y, gboolean relu, float *dy, float *dbias);

/* @x, @y: (count); y = max(x, 0); may be in place. */
void gl_relu_forward (gsize count, const float *x, float *y);
/* dx = dy where y > 0, else 0; may be in place (dx == dy). */
void gl_relu_backward (gsize count, const float *y, const float *dy, float *dx);

/* ---- pooling ---- */

typedef struct
{
  guint n, h, w, c;    /* input (n, h, w, c) */
  guint size, stride;  /* square window */
  guint oh, ow;        /* output (n, oh, ow, c) */
} GlPoolShape;

/* Fills in oh, ow (windows that fit entirely); FALSE when none fits. */
gboolean gl_pool_shape_init (GlPoolShape *s, guint n, guint h, guint w, guint c, guint size, guint stride);

/* @x: (n, h, w, c) → @y: (n, oh, ow, c); @argmax: (n, oh, ow, c) the index
 * into @x of each maximum (first one on ties), or NULL at inference. */
void gl_maxpool_forward (const GlPoolShape *s, const float *x, float *y, guint32 *argmax);
/* @dx: (n, h, w, c) overwritten: @dy (n, oh, ow, c) routed to the maxima. */
void gl_maxpool_backward (const GlPoolShape *s, const float *dy, const guint32 *argmax, float *dx);

/* Training, a direct convolution (gl_conv_direct) with the max pool @ps
 * after it and the ReLU between them moved after the pool (max commutes with
 * ReLU), a few images at a time so that the pool reads the convolution's
 * output from cache. Forward: @y (n, oh, ow, filters) the convolution's
 * output without ReLU, @pooled = ReLU (max pool (@y)) with @argmax as
 * gl_maxpool_forward. Backward, without an input gradient (a first layer):
 * @dpooled the pooled output's gradient, already masked by @pooled > 0; @dy
 * (n, oh, ow, filters) is scratch for the convolution's output gradient;
 * @scratch as gl_conv_backward. */
void gl_conv_pool_forward (const GlConvShape *cs, const GlPoolShape *ps, const float *x, const float *weight,
                           const float *bias, float *y, float *pooled, guint32 *argmax);
void gl_conv_pool_backward (const GlConvShape *cs, const GlPoolShape *ps, const float *x, const float *weight,
                            const float *dpooled, const guint32 *argmax, float *dy, float *dweight, float *dbias,
                            float *scratch);

/* Global average pooling: @x: (n, hw, c) → @y: (n, c). */
void gl_gap_forward (guint n, guint hw, guint c, const float *x, float *y);
/* @dy: (n, c) → @dx: (n, hw, c). */
void gl_gap_backward (guint n, guint hw, guint c, const float *dy, float *dx);

/* ---- batch normalisation over (m, c): per channel c, m = n·h·w ---- */

/* Training mode: batch statistics; the running statistics move by @momentum
 * (running = (1 − momentum)·running + momentum·batch, unbiased variance).
 * @x: (m, c), @xhat: (m, c) normalised input kept for backward, @mean,
 * @inv_std: (c) the batch statistics, @y: (m, c), @acc: (c) scratch. */
void gl_batchnorm_forward_train (gsize m, guint c, const float *x, const float *gamma, const float *beta,
                                 float momentum, float eps, float *running_mean, float *running_var, gboolean relu,
                                 float *xhat, float *mean, float *inv_std, float *y, double *acc);
/* Eval mode: running statistics. @scale_shift: (2·c) scratch. */
void gl_batchnorm_forward_eval (gsize m, guint c, const float *x, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, float eps, gboolean relu,
                                float *y, float *scale_shift);
/* @dy: (m, c) masked in place when @relu; @dgamma, @dbeta: (c); @dx: (m, c)
 * or NULL; @acc: (2·c) scratch. */
void gl_batchnorm_backward (gsize m, guint c, const float *xhat, const float *inv_std, const float *gamma,
                            const float *y, gboolean relu, float *dy, float *dgamma, float *dbeta, float *dx,
                            double *acc);

/* ---- dropout (inverted: kept units are scaled by 1/(1 − rate)) ---- */

/* @x, @y, @mask: (count); mask ∈ {0, 1/(1 − rate)}. May be in place. */
void gl_dropout_forward (gsize count, float rate, GlRng *rng, const float *x, float *mask, float *y);
/* dx = dy · mask; may be in place. */
void gl_dropout_backward (gsize count, const float *mask, const float *dy, float *dx);

/* ---- softmax and cross-entropy ---- */

/* Row-wise softmax (max subtracted first): @logits, @probs: (n, k); may be in place. */
void gl_softmax (gsize n, guint k, const float *logits, float *probs);
/* Softmax cross-entropy, weighted mean over the batch:
 *   L = Σ_i w_{y_i} · (−log p_{i,y_i}) / Σ_i w_{y_i}
 * @logits: (n, k), @labels: (n) in [0, k), @class_weights: (k) or NULL (all 1),
 * @probs: (n, k) output, @dlogits: (n, k) dL/dlogits or NULL,
 * @n_correct: argmax hits, or NULL. Returns L. */
double gl_softmax_xent (gsize n, guint k, const float *logits, const gint *labels, const float *class_weights,
                        float *probs, float *dlogits, gsize *n_correct);

G_END_DECLS
