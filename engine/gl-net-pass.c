/* gl-net-pass.c — one forward or backward pass of a net over a batch in a
 * workspace, op by op (the kernels are in gl-layers.c), and the folding of
 * batch norm into the layer before it for eval-mode passes. */
#include "engine/gl-net-private.h"

#include <math.h>
#include <string.h>

#include "engine/gl-conv-direct.h"
#include "engine/gl-layers.h"

/* Fills net->folded for eval-mode passes: batch norm y = z·scale + shift with
 * scale = γ/√(var + ε), shift = β − mean·scale, folded into the layer z = x·W + b
 * before it: W'[:, f] = W[:, f]·scale[f], b'[f] = b[f]·scale[f] + shift[f]. */
void
gl_net_fold (GlNet *net)
{
  if (net->folded == NULL)
    net->folded = g_new (float, MAX (net->n_params, 1));
  memcpy (net->folded, net->params, sizeof (float) * net->n_params);
  for (guint i = 0; i < net->n_ops; i++)
    {
      const GlOp *op = &net->ops[i];
      if (!op->fold_bn)
        continue;
      const GlOp *bn = &net->ops[i + 1];
      const guint f = op->oc;
      const gsize rows = op->kind == GL_LAYER_CONV ? (gsize) op->kernel * op->kernel * op->ic
                                                   : (gsize) op->ih * op->iw * op->ic;
      float *w = net->folded + op->weight, *b = net->folded + op->bias;
      for (guint j = 0; j < f; j++)
        {
          const float scale = net->params[bn->weight + j] / sqrtf (net->stats[bn->var + j] + BN_EPS);
          const float shift = net->params[bn->bias + j] - net->stats[bn->mean + j] * scale;
          b[j] = b[j] * scale + shift;
          for (gsize r = 0; r < rows; r++)
            w[r * f + j] *= scale;
        }
    }
}

/* In training, a ReLU fused into a conv, dense or batch-norm op that a max
 * pool follows runs after the pool instead: max commutes with ReLU, so the
 * pooled output is the same, and the pool's output gradient is masked
 * (a quarter of the floats of a 2×2 pool) instead of the op's, whose
 * backward then reads no output. The winner of a window whose values are
 * all ≤ 0 may differ, but its gradient is 0 either way: the same bits. */
static gboolean
relu_after_pool (const GlNet *net, guint i)
{
  const GlOp *op = &net->ops[i];
  return op->relu && i + 1 < net->n_ops && net->ops[i + 1].kind == GL_LAYER_MAXPOOL
         && (op->kind == GL_LAYER_CONV || op->kind == GL_LAYER_DENSE || op->kind == GL_LAYER_BATCHNORM);
}

/* Runs ops [first, end) on the batch of @n in ws->x (first = 0) or on the
 * outputs left by an earlier call. Returns the last output: with end =
 * n_ops, the logits (n, n_classes). */
const float *
gl_net_forward_range (GlNet *net, GlWorkspace *ws, guint n, ForwardMode mode, gboolean dropout, GlRng *rng, guint first,
               guint end)
{
  const float *cur = first == 0 ? ws->x : ws->out[first - 1];
  /* Eval modes use the folded parameters (net_fold ran at the start of the call). */
  const gboolean fold = mode != MODE_TRAIN;
  const float *params = fold ? net->folded : net->params;

  for (guint i = first; i < end; i++)
    {
      const GlOp *op = &net->ops[i];
      GlOpBuffers *b = &ws->ops[i];
      const gsize in_count = (gsize) n * op->ih * op->iw * op->ic;
      const gsize out_count = (gsize) n * op->oh * op->ow * op->oc;
      /* A folded batch norm's ReLU runs in the layer before it; in training,
       * one before a max pool runs after it. */
      const gboolean moved = mode == MODE_TRAIN && relu_after_pool (net, i);
      const gboolean relu = fold && op->fold_bn ? net->ops[i + 1].relu : op->relu && !moved;

      ws->in[i] = cur;
      ws->active[i] = TRUE;
      switch (op->kind)
        {
        case GL_LAYER_CONV:
          {
            GlConvShape s;
            gl_conv_shape_init (&s, n, op->ih, op->iw, op->ic, op->oc, op->kernel, op->stride, op->pad);
            if (moved && i + 1 < end && gl_conv_direct (&s))
              {
                /* The convolution and its pool together (the pool's case below, fused). */
                const GlOp *pool = &net->ops[i + 1];
                GlOpBuffers *pb = &ws->ops[i + 1];
                GlPoolShape ps;
                gl_pool_shape_init (&ps, n, pool->ih, pool->iw, pool->ic, pool->kernel, pool->stride);
                gl_conv_pool_forward (&s, &ps, cur, params + op->weight, params + op->bias, b->y, pb->y, pb->argmax);
                ws->out[i] = b->y;
                i++;
                ws->in[i] = b->y;
                ws->active[i] = TRUE;
                cur = ws->out[i] = pb->y;
                continue;
              }
            gl_conv_forward_infer (&s, cur, params + op->weight, params + op->bias, relu, ws->patches, ws->n_slots,
                                   b->y);
          }
          break;
        case GL_LAYER_DENSE:
          gl_dense_forward (n, op->ih * op->iw * op->ic, op->oc, cur, params + op->weight, params + op->bias, relu,
                            b->y);
          break;
        case GL_LAYER_MAXPOOL:
          {
            GlPoolShape s;
            gl_pool_shape_init (&s, n, op->ih, op->iw, op->ic, op->kernel, op->stride);
            gl_maxpool_forward (&s, cur, b->y, mode == MODE_TRAIN ? b->argmax : NULL);
            if (mode == MODE_TRAIN && i > 0 && relu_after_pool (net, i - 1))
              gl_relu_forward (out_count, b->y, b->y);
          }
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          gl_gap_forward (n, op->ih * op->iw, op->ic, cur, b->y);
          break;
        case GL_LAYER_RELU:
          gl_relu_forward (out_count, cur, b->y);
          break;
        case GL_LAYER_BATCHNORM:
          if (fold && i > 0 && net->ops[i - 1].fold_bn)
            {
              ws->active[i] = FALSE;
              ws->out[i] = cur;
              continue;
            }
          if (mode == MODE_TRAIN)
            gl_batchnorm_forward_train ((gsize) n * op->ih * op->iw, op->ic, cur, net->params + op->weight,
                                        net->params + op->bias, BN_MOMENTUM, BN_EPS, net->stats + op->mean,
                                        net->stats + op->var, relu, b->xhat, b->mean, b->inv_std, b->y,
                                        ws->acc);
          else
            gl_batchnorm_forward_eval ((gsize) n * op->ih * op->iw, op->ic, cur, net->params + op->weight,
                                       net->params + op->bias, net->stats + op->mean, net->stats + op->var, BN_EPS,
                                       op->relu, b->y, ws->scale_shift);
          break;
        case GL_LAYER_DROPOUT:
          if (mode == MODE_EVAL || (mode == MODE_TRAIN && !dropout) || op->rate == 0.0f)
            {
              ws->active[i] = FALSE;
              ws->out[i] = cur;
              continue;
            }
          gl_dropout_forward (in_count, op->rate, rng, cur, b->mask, b->y);
          break;
        case GL_LAYER_FLATTEN:
        default:
          g_assert_not_reached ();
        }
      cur = b->y;
      ws->out[i] = cur;
    }
  return cur;
}

const float *
gl_net_forward (GlNet *net, GlWorkspace *ws, guint n, ForwardMode mode, gboolean dropout, GlRng *rng, guint first)
{
  return gl_net_forward_range (net, ws, n, mode, dropout, rng, first, net->n_ops);
}

/* Backward from @dlogits (n, n_classes), which is overwritten; fills net->grads. */
void
gl_net_backward (GlNet *net, GlWorkspace *ws, guint n, float *dlogits)
{
  float *dy = dlogits;

  for (guint ii = net->n_ops; ii-- > 0;)
    {
      const GlOp *op = &net->ops[ii];
      GlOpBuffers *b = &ws->ops[ii];
      const gboolean need_dx = ii > 0;
      float *dx = dy == ws->grad_a ? ws->grad_b : ws->grad_a;
      const gsize in_count = (gsize) n * op->ih * op->iw * op->ic;
      /* The op's ReLU, unless it ran after the max pool that follows. */
      const gboolean relu = op->relu && !relu_after_pool (net, ii);

      if (!need_dx)
        dx = NULL;
      switch (op->kind)
        {
        case GL_LAYER_CONV:
          {
            GlConvShape s;
            gl_conv_shape_init (&s, n, op->ih, op->iw, op->ic, op->oc, op->kernel, op->stride, op->pad);
            gl_conv_backward (&s, ws->in[ii], net->params + op->weight, b->y, relu, dy, net->grads + op->weight,
                              net->grads + op->bias, ws->patches, ws->n_slots, dx);
          }
          break;
        case GL_LAYER_DENSE:
          gl_dense_backward (n, op->ih * op->iw * op->ic, op->oc, ws->in[ii], net->params + op->weight, b->y,
                             relu, dy, net->grads + op->weight, net->grads + op->bias, dx);
          break;
        case GL_LAYER_MAXPOOL:
          if (dx != NULL)
            {
              GlPoolShape s;
              if (ii > 0 && relu_after_pool (net, ii - 1))
                gl_relu_backward ((gsize) n * op->oh * op->ow * op->oc, b->y, dy, dy);
              gl_pool_shape_init (&s, n, op->ih, op->iw, op->ic, op->kernel, op->stride);
              if (ii == 1 && relu_after_pool (net, 0) && net->ops[0].kind == GL_LAYER_CONV)
                {
                  /* A first-layer direct convolution takes the pooled gradient itself (no input gradient:
                   * its steps cannot overwrite what other steps still read). */
                  const GlOp *conv = &net->ops[0];
                  GlConvShape cs;
                  gl_conv_shape_init (&cs, n, conv->ih, conv->iw, conv->ic, conv->oc, conv->kernel, conv->stride,
                                      conv->pad);
                  if (gl_conv_direct (&cs))
                    {
                      gl_conv_pool_backward (&cs, &s, ws->in[0], net->params + conv->weight, dy, b->argmax, dx,
                                             net->grads + conv->weight, net->grads + conv->bias, ws->patches);
                      return; /* op 0 is done too */
                    }
                }
              gl_maxpool_backward (&s, dy, b->argmax, dx);
            }
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          if (dx != NULL)
            gl_gap_backward (n, op->ih * op->iw, op->ic, dy, dx);
          break;
        case GL_LAYER_RELU:
          if (dx != NULL)
            gl_relu_backward (in_count, b->y, dy, dx);
          break;
        case GL_LAYER_BATCHNORM:
          gl_batchnorm_backward ((gsize) n * op->ih * op->iw, op->ic, b->xhat, b->inv_std, net->params + op->weight,
                                 b->y, relu, dy, net->grads + op->weight, net->grads + op->bias, dx, ws->acc);
          break;
        case GL_LAYER_DROPOUT:
          if (!ws->active[ii])
            continue; /* identity: dy passes through unchanged */
          if (dx != NULL)
            gl_dropout_backward (in_count, b->mask, dy, dx);
          break;
        case GL_LAYER_FLATTEN:
        default:
          g_assert_not_reached ();
        }
      if (dx == NULL)
        break;
      dy = dx;
    }
}
