/* gl-conv-direct.h — convolutions with few taps computed directly (see
 * gl-conv-direct.c); gl-layers.c chooses them. Shapes as in gl-layers.h. */
#pragma once

#include "engine/gl-layers.h"

G_BEGIN_DECLS

/* The direct path takes convolutions of at most this many taps (k·k·c) and
 * filters (and at least 32 filters), on images of at most this many floats once padded (a copy of the
 * padded image is kept on the stack). */
#define GL_CONV_DIRECT_MAX_TAPS 32
#define GL_CONV_DIRECT_MAX_FILTERS 1024
#define GL_CONV_DIRECT_MAX_PADDED 16384

/* Whether @s is computed directly rather than through im2col and sgemm. */
gboolean gl_conv_direct (const GlConvShape *s);

/* @y (n, oh, ow, filters) = ReLU? (conv (@x) + @bias), one thread. */
void gl_conv_direct_forward (const GlConvShape *s, const float *x, const float *weight, const float *bias,
                             gboolean relu, float *y);

/* The gradients of the images of @s, one thread: @dweight (k·k·c, filters)
 * and @dbias (filters) overwritten with their sums over the images, @dx
 * (n, h, w, c) with the input gradient (or NULL). The output gradient is
 * @dy (n, oh, ow, filters), masked by @y > 0 on the way when @relu (@y is not
 * read without @relu); neither is written. */
void gl_conv_direct_backward (const GlConvShape *s, const float *x, const float *weight, const float *y,
                              gboolean relu, const float *dy, float *dweight, float *dbias, float *dx);

/* The same without @dy, @y and @dx, for a convolution followed by the 2×2,
 * stride-2 max pool @pool: the output gradient is built on the way from the
 * pool's output gradient @dpooled (n, pool oh, pool ow, filters) and its
 * @argmax, whose indices are into the whole batch's output, this call's
 * first output float being index @offset. */
void gl_conv_direct_backward_pooled (const GlConvShape *s, const float *x, const GlPoolShape *pool,
                                     const float *dpooled, const guint32 *argmax, guint32 offset, float *dweight,
                                     float *dbias);

G_END_DECLS
