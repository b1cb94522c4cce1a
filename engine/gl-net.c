/* gl-net.c — building a network from its spec: ops and their shapes,
 * parameters and tensors, workspaces; the checks of inputs shared by
 * inference and training. The passes are in gl-net-pass.c, the kernels in
 * gl-layers.c. */
#include "engine/gl-net-private.h"

#include <math.h>
#include <string.h>

#include "engine/gl-layers.h"
#include "engine/gl-parallel.h"

G_DEFINE_QUARK (gl-net-error-quark, gl_net_error)

/* ------------------------------------------------------------------ */
/* Network structure                                                  */
/* ------------------------------------------------------------------ */

static const char *
kind_name (GlLayerKind kind)
{
  switch (kind)
    {
    case GL_LAYER_CONV: return "conv";
    case GL_LAYER_MAXPOOL: return "maxpool";
    case GL_LAYER_GLOBAL_AVGPOOL: return "gap";
    case GL_LAYER_RELU: return "relu";
    case GL_LAYER_BATCHNORM: return "bn";
    case GL_LAYER_DROPOUT: return "dropout";
    case GL_LAYER_DENSE: return "dense";
    case GL_LAYER_FLATTEN: return "flatten";
    default: return "?";
    }
}

static gsize
add_tensor (GlNet *net, guint layer, GlLayerKind kind, const char *what, gboolean is_stat, gboolean decay,
            guint n_dims, guint d0, guint d1, guint d2, guint d3)
{
  GlTensor t = { 0 };
  t.name = g_strdup_printf ("%u.%s.%s", layer, kind_name (kind), what);
  t.is_stat = is_stat;
  t.decay = decay;
  t.n_dims = n_dims;
  t.shape[0] = d0;
  t.shape[1] = d1;
  t.shape[2] = d2;
  t.shape[3] = d3;
  t.size = 1;
  for (guint i = 0; i < n_dims; i++)
    t.size *= t.shape[i];
  if (is_stat)
    {
      t.offset = net->n_stats;
      net->n_stats += t.size;
    }
  else
    {
      t.offset = net->n_params;
      net->n_params += t.size;
    }
  g_array_append_val (net->tensors, t);
  return t.offset;
}

static void
clear_tensor (gpointer data)
{
  GlTensor *t = data;
  g_free (t->name);
}

static void workspace_clear (GlNet *net, GlWorkspace *ws);

void
gl_net_free (GlNet *net)
{
  if (net == NULL)
    return;
  workspace_clear (net, &net->train_ws);
  workspace_clear (net, &net->infer_ws);
  for (guint i = 0; i < G_N_ELEMENTS (net->infer_more); i++)
    workspace_clear (net, &net->infer_more[i]);
  gl_net_spec_free (net->spec);
  g_free (net->ops);
  g_free (net->params);
  g_free (net->stats);
  g_free (net->grads);
  g_free (net->folded);
  g_array_unref (net->tensors);
  g_free (net);
}

/* Builds the structure and allocates parameters (uninitialised). */
static GlNet *
net_build (const GlNetSpec *spec, guint h, guint w, guint c, guint n_classes, GError **error)
{
  g_autoptr (GlNet) net = g_new0 (GlNet, 1);
  guint ch = h, cw = w, cc = c;

  net->spec = gl_net_spec_copy (spec);
  net->h = h;
  net->w = w;
  net->c = c;
  net->n_classes = n_classes;
  net->tensors = g_array_new (FALSE, TRUE, sizeof (GlTensor));
  g_array_set_clear_func (net->tensors, clear_tensor);
  net->ops = g_new0 (GlOp, spec->n_layers + 1);

  if (h == 0 || w == 0 || c == 0)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Input shape %u×%u×%u has a zero side", h, w, c);
      return NULL;
    }
  if ((gsize) h * w * c > MAX_ACTIVATION)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Input shape %u×%u×%u is too large", h, w, c);
      return NULL;
    }
  if (n_classes < 2)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "A classifier needs at least 2 classes, not %u",
                   n_classes);
      return NULL;
    }
  net->max_activation = (gsize) h * w * c;
  net->max_channels = c;

  for (guint i = 0; i <= spec->n_layers; i++)
    {
      GlLayerSpec classifier = { .kind = GL_LAYER_DENSE, .dense.units = n_classes };
      const GlLayerSpec *l = i < spec->n_layers ? &spec->layers[i] : &classifier;
      g_autofree char *desc = NULL;
      GlOp *prev = net->n_ops > 0 ? &net->ops[net->n_ops - 1] : NULL;
      GlOp op = { 0 };

      {
        GlNetSpec one = { 1, (GlLayerSpec *) l };
        desc = gl_net_spec_to_string (&one);
      }
      op.kind = l->kind;
      op.layer = i;
      op.ih = ch;
      op.iw = cw;
      op.ic = cc;

      switch (l->kind)
        {
        case GL_LAYER_RELU:
          if (prev != NULL && !prev->relu &&
              (prev->kind == GL_LAYER_CONV || prev->kind == GL_LAYER_DENSE || prev->kind == GL_LAYER_BATCHNORM))
            {
              prev->relu = TRUE;
              continue;
            }
          op.oh = ch, op.ow = cw, op.oc = cc;
          break;
        case GL_LAYER_FLATTEN:
          cc = ch * cw * cc;
          ch = cw = 1;
          continue;
        case GL_LAYER_CONV:
          {
            GlConvShape s;
            if (!gl_conv_shape_init (&s, 1, ch, cw, cc, l->conv.filters, l->conv.kernel, l->conv.stride,
                                     l->conv.pad))
              {
                g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE,
                             "Layer %u (%s) does not fit its input %u×%u×%u (the kernel must fit the padded "
                             "input and the padding be smaller than the kernel)",
                             i + 1, desc, ch, cw, cc);
                return NULL;
              }
            op.kernel = l->conv.kernel;
            op.stride = l->conv.stride;
            op.pad = l->conv.pad;
            op.oh = s.oh, op.ow = s.ow, op.oc = l->conv.filters;
            op.weight = add_tensor (net, i, l->kind, "weight", FALSE, TRUE, 4, op.kernel, op.kernel, cc, op.oc);
            op.bias = add_tensor (net, i, l->kind, "bias", FALSE, FALSE, 1, op.oc, 0, 0, 0);
          }
          break;
        case GL_LAYER_MAXPOOL:
          {
            GlPoolShape s;
            if (!gl_pool_shape_init (&s, 1, ch, cw, cc, l->pool.size, l->pool.stride))
              {
                g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE,
                             "Layer %u (%s): the %u×%u window does not fit its input %u×%u×%u", i + 1, desc,
                             l->pool.size, l->pool.size, ch, cw, cc);
                return NULL;
              }
            op.kernel = l->pool.size;
            op.stride = l->pool.stride;
            op.oh = s.oh, op.ow = s.ow, op.oc = cc;
          }
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          op.oh = op.ow = 1, op.oc = cc;
          break;
        case GL_LAYER_BATCHNORM:
          op.oh = ch, op.ow = cw, op.oc = cc;
          op.weight = add_tensor (net, i, l->kind, "gamma", FALSE, FALSE, 1, cc, 0, 0, 0);
          op.bias = add_tensor (net, i, l->kind, "beta", FALSE, FALSE, 1, cc, 0, 0, 0);
          op.mean = add_tensor (net, i, l->kind, "running_mean", TRUE, FALSE, 1, cc, 0, 0, 0);
          op.var = add_tensor (net, i, l->kind, "running_var", TRUE, FALSE, 1, cc, 0, 0, 0);
          break;
        case GL_LAYER_DROPOUT:
          op.oh = ch, op.ow = cw, op.oc = cc;
          op.rate = l->dropout.rate;
          if (!(op.rate >= 0.0f && op.rate < 1.0f))
            {
              g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Layer %u (%s): the rate must be in [0, 1)",
                           i + 1, desc);
              return NULL;
            }
          break;
        case GL_LAYER_DENSE:
          {
            guint in = ch * cw * cc;
            op.oh = op.ow = 1, op.oc = l->dense.units;
            if (l->dense.units == 0)
              {
                g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Layer %u (%s) has no units", i + 1, desc);
                return NULL;
              }
            op.weight = add_tensor (net, i, l->kind, "weight", FALSE, TRUE, 2, in, op.oc, 0, 0);
            op.bias = add_tensor (net, i, l->kind, "bias", FALSE, FALSE, 1, op.oc, 0, 0, 0);
          }
          break;
        default:
          g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Layer %u has an unknown kind %d", i + 1, l->kind);
          return NULL;
        }
      if ((gsize) op.oh * op.ow * op.oc > MAX_ACTIVATION)
        {
          g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Layer %u (%s): the output %u×%u×%u is too large",
                       i + 1, desc, op.oh, op.ow, op.oc);
          return NULL;
        }
      ch = op.oh, cw = op.ow, cc = op.oc;
      net->max_activation = MAX (net->max_activation, (gsize) ch * cw * cc);
      net->max_channels = MAX (net->max_channels, cc);
      net->ops[net->n_ops++] = op;
    }

  for (guint i = 0; i + 1 < net->n_ops; i++)
    {
      GlOp *op = &net->ops[i];
      op->fold_bn = (op->kind == GL_LAYER_CONV || op->kind == GL_LAYER_DENSE) && !op->relu &&
                    net->ops[i + 1].kind == GL_LAYER_BATCHNORM;
    }

  /* The embedding is the classifier's input. */
  {
    const GlOp *cls = &net->ops[net->n_ops - 1];
    net->emb_dim = cls->ih * cls->iw * cls->ic;
  }
  net->params = g_new0 (float, MAX (net->n_params, 1));
  net->stats = g_new0 (float, MAX (net->n_stats, 1));
  return g_steal_pointer (&net);
}

static void
net_init_params (GlNet *net, guint64 seed)
{
  GlRng rng;
  gl_rng_init (&rng, seed);
  for (guint i = 0; i < net->n_ops; i++)
    {
      const GlOp *op = &net->ops[i];
      if (op->kind == GL_LAYER_CONV || op->kind == GL_LAYER_DENSE)
        {
          const gsize fan_in = (gsize) op->kernel * MAX (op->kernel, 1) * op->ic;
          const gsize in = op->kind == GL_LAYER_CONV ? fan_in : (gsize) op->ih * op->iw * op->ic;
          const gsize count = in * op->oc;
          float *wt = net->params + op->weight;
          float *bias = net->params + op->bias;
          /* Uniform in ±1/√fan_in for weights and biases (PyTorch's default
           * for Conv2d and Linear): small enough that batch-norm nets start
           * stably at lr 0.05 with momentum 0.9. */
          const double bound = 1.0 / sqrt ((double) in);
          for (gsize j = 0; j < count; j++)
            wt[j] = (float) ((2.0 * gl_rng_double (&rng) - 1.0) * bound);
          for (guint j = 0; j < op->oc; j++)
            bias[j] = (float) ((2.0 * gl_rng_double (&rng) - 1.0) * bound);
        }
      else if (op->kind == GL_LAYER_BATCHNORM)
        {
          for (guint j = 0; j < op->oc; j++)
            {
              net->params[op->weight + j] = 1.0f;
              net->params[op->bias + j] = 0.0f;
              net->stats[op->mean + j] = 0.0f;
              net->stats[op->var + j] = 1.0f;
            }
        }
    }
}

GlNet *
gl_net_new (const GlNetSpec *spec, guint h, guint w, guint c, guint n_classes, guint64 seed, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  GlNet *net = net_build (spec, h, w, c, n_classes, error);
  if (net != NULL)
    net_init_params (net, seed);
  return net;
}

GlNet *
gl_net_copy (const GlNet *net)
{
  GlNet *copy = net_build (net->spec, net->h, net->w, net->c, net->n_classes, NULL);
  g_assert (copy != NULL);
  memcpy (copy->params, net->params, sizeof (float) * net->n_params);
  memcpy (copy->stats, net->stats, sizeof (float) * net->n_stats);
  return copy;
}

void
gl_net_get_input_shape (const GlNet *net, guint *h, guint *w, guint *c)
{
  if (h != NULL)
    *h = net->h;
  if (w != NULL)
    *w = net->w;
  if (c != NULL)
    *c = net->c;
}

guint
gl_net_get_n_classes (const GlNet *net)
{
  return net->n_classes;
}

guint
gl_net_get_embedding_dim (const GlNet *net)
{
  return net->emb_dim;
}

const GlNetSpec *
gl_net_get_spec (const GlNet *net)
{
  return net->spec;
}

gsize
gl_net_get_n_params (const GlNet *net)
{
  return net->n_params;
}

guint
gl_net_get_n_tensors (const GlNet *net)
{
  return net->tensors->len;
}

static const GlTensor *
tensor_at (const GlNet *net, guint index)
{
  g_return_val_if_fail (index < net->tensors->len, NULL);
  return &g_array_index (net->tensors, GlTensor, index);
}

const char *
gl_net_get_tensor_name (const GlNet *net, guint index)
{
  const GlTensor *t = tensor_at (net, index);
  return t != NULL ? t->name : NULL;
}

float *
gl_net_get_tensor_data (GlNet *net, guint index)
{
  const GlTensor *t = tensor_at (net, index);
  if (t == NULL)
    return NULL;
  return (t->is_stat ? net->stats : net->params) + t->offset;
}

gsize
gl_net_get_tensor_size (const GlNet *net, guint index)
{
  const GlTensor *t = tensor_at (net, index);
  return t != NULL ? t->size : 0;
}

void
gl_net_get_tensor_shape (const GlNet *net, guint index, guint shape[4], guint *n_dims)
{
  const GlTensor *t = tensor_at (net, index);
  if (t == NULL)
    {
      *n_dims = 0;
      return;
    }
  memcpy (shape, t->shape, sizeof t->shape);
  *n_dims = t->n_dims;
}

/* ------------------------------------------------------------------ */
/* Workspaces                                                          */
/* ------------------------------------------------------------------ */

static void
workspace_clear (GlNet *net, GlWorkspace *ws)
{
  if (ws->ops != NULL)
    for (guint i = 0; i < net->n_ops; i++)
      {
        GlOpBuffers *b = &ws->ops[i];
        g_free (b->y);
        g_free (b->argmax);
        g_free (b->mask);
        g_free (b->xhat);
        g_free (b->mean);
        g_free (b->inv_std);
      }
  g_free (ws->ops);
  g_free (ws->x);
  g_free (ws->patches);
  g_free (ws->grad_a);
  g_free (ws->grad_b);
  g_free (ws->probs);
  g_free (ws->acc);
  g_free (ws->scale_shift);
  g_free (ws->in);
  g_free (ws->out);
  g_free (ws->active);
  memset (ws, 0, sizeof *ws);
}

/* Makes @ws hold batches of @cap items; allocates only when it grows. */
void
gl_net_workspace_ensure (GlNet *net, GlWorkspace *ws, guint cap, gboolean training)
{
  /* Forward convolutions run side by side, each thread in its own slot of the patch scratch. */
  const guint slots = gl_parallel_get_n_threads ();
  if (ws->cap >= cap && ws->n_slots >= slots)
    return;
  cap = MAX (cap, ws->cap);
  workspace_clear (net, ws);
  ws->cap = cap;
  ws->n_slots = slots;
  ws->training = training;
  ws->x = g_new (float, (gsize) cap * net->h * net->w * net->c);
  ws->ops = g_new0 (GlOpBuffers, net->n_ops);
  ws->in = g_new0 (const float *, net->n_ops);
  ws->out = g_new0 (const float *, net->n_ops);
  ws->active = g_new0 (gboolean, net->n_ops);
  ws->probs = g_new (float, (gsize) cap * net->n_classes);
  ws->acc = g_new (double, 2 * (gsize) net->max_channels);
  ws->scale_shift = g_new (float, 2 * (gsize) net->max_channels);
  /* Patch scratch for inference and for patch gradients: a few images at a time. */
  gsize scratch = 0;
  for (guint i = 0; i < net->n_ops; i++)
    if (net->ops[i].kind == GL_LAYER_CONV)
      {
        const GlOp *op = &net->ops[i];
        GlConvShape s;
        gl_conv_shape_init (&s, cap, op->ih, op->iw, op->ic, op->oc, op->kernel, op->stride, op->pad);
        scratch = MAX (scratch, slots * gl_conv_infer_scratch_size (&s));
        if (training)
          scratch = MAX (scratch, gl_conv_backward_scratch_size (&s, slots));
      }
  if (scratch > 0)
    ws->patches = g_new (float, scratch);
  if (training)
    {
      ws->grad_a = g_new (float, (gsize) cap * net->max_activation);
      ws->grad_b = g_new (float, (gsize) cap * net->max_activation);
    }
  for (guint i = 0; i < net->n_ops; i++)
    {
      const GlOp *op = &net->ops[i];
      GlOpBuffers *b = &ws->ops[i];
      const gsize out = (gsize) cap * op->oh * op->ow * op->oc;
      b->y = g_new (float, out);
      switch (op->kind)
        {
        case GL_LAYER_MAXPOOL:
          if (training)
            b->argmax = g_new (guint32, out);
          break;
        case GL_LAYER_DROPOUT:
          b->mask = g_new (float, out);
          break;
        case GL_LAYER_BATCHNORM:
          if (training)
            {
              b->xhat = g_new (float, out);
              b->mean = g_new (float, op->oc);
              b->inv_std = g_new (float, op->oc);
            }
          break;
        case GL_LAYER_CONV:
        case GL_LAYER_GLOBAL_AVGPOOL:
        case GL_LAYER_RELU:
        case GL_LAYER_DENSE:
        case GL_LAYER_FLATTEN:
        default:
          break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Checks of inputs                                                   */
/* ------------------------------------------------------------------ */

gboolean
gl_net_check_dataset (const GlNet *net, const GlDataset *data, GError **error)
{
  if (data == NULL || data->pixels == NULL)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "No image data");
      return FALSE;
    }
  if (data->h != net->h || data->w != net->w || data->c != net->c)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE, "Images are %u×%u×%u but the network takes %u×%u×%u",
                   data->h, data->w, data->c, net->h, net->w, net->c);
      return FALSE;
    }
  if (data->row_stride < (gsize) data->h * data->w * data->c)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Row stride %" G_GSIZE_FORMAT " is shorter than an image",
                   data->row_stride);
      return FALSE;
    }
  return TRUE;
}

void
gl_net_report (GlNetProgressFunc cb, gpointer cb_data, GlPhase phase, guint epoch, guint n_epochs, guint64 batch,
        guint64 n_batches, double loss, double accuracy, double ips, double fraction)
{
  GlProgress p;
  if (cb == NULL)
    return;
  gl_progress_init (&p, phase);
  p.epoch = epoch;
  p.n_epochs = n_epochs;
  p.batch = batch;
  p.n_batches = n_batches;
  p.loss = loss;
  p.accuracy = accuracy;
  p.images_per_second = ips;
  p.fraction = fraction;
  cb (&p, cb_data);
}

gboolean
gl_net_check_cancelled (GCancellable *cancellable, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

gboolean
gl_net_check_labels (const GlNet *net, const gint *labels, gsize n, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (labels[i] < 0 || (guint) labels[i] >= net->n_classes)
      {
        g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Label %d of item %" G_GSIZE_FORMAT
                     " is outside 0…%u", labels[i], i, net->n_classes - 1);
        return FALSE;
      }
  return TRUE;
}
