/* gl-net.c — networks built from specs: shapes, parameters, workspaces,
 * training and inference. The kernels are in gl-layers.c. */
#include "engine/gl-net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gl-augment.h"
#include "engine/gl-layers.h"
#include "engine/gl-optim.h"
#include "engine/gl-parallel.h"
#include "engine/gl-rng.h"

G_DEFINE_QUARK (gl-net-error-quark, gl_net_error)

#define INFER_BATCH 64
#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f
/* Per item, an activation may not exceed this many floats (argmax indices
 * are 32-bit over a batch of INFER_BATCH). */
#define MAX_ACTIVATION (G_MAXUINT32 / INFER_BATCH)
/* Threads that run whole inference batches side by side (more would cost
 * workspaces for little). */
#define INFER_THREADS_MAX 8

/* ------------------------------------------------------------------ */
/* Specs                                                               */
/* ------------------------------------------------------------------ */

GlNetSpec *
gl_net_spec_new (void)
{
  return g_new0 (GlNetSpec, 1);
}

GlNetSpec *
gl_net_spec_copy (const GlNetSpec *spec)
{
  GlNetSpec *copy = gl_net_spec_new ();
  copy->n_layers = spec->n_layers;
  copy->layers = g_memdup2 (spec->layers, sizeof (GlLayerSpec) * spec->n_layers);
  return copy;
}

void
gl_net_spec_free (GlNetSpec *spec)
{
  if (spec == NULL)
    return;
  g_free (spec->layers);
  g_free (spec);
}

void
gl_net_spec_append (GlNetSpec *spec, const GlLayerSpec *layer)
{
  spec->layers = g_renew (GlLayerSpec, spec->layers, spec->n_layers + 1);
  spec->layers[spec->n_layers++] = *layer;
}

static gboolean
layer_equal (const GlLayerSpec *a, const GlLayerSpec *b)
{
  if (a->kind != b->kind)
    return FALSE;
  switch (a->kind)
    {
    case GL_LAYER_CONV:
      return a->conv.filters == b->conv.filters && a->conv.kernel == b->conv.kernel &&
             a->conv.stride == b->conv.stride && a->conv.pad == b->conv.pad;
    case GL_LAYER_MAXPOOL:
      return a->pool.size == b->pool.size && a->pool.stride == b->pool.stride;
    case GL_LAYER_DROPOUT:
      return a->dropout.rate == b->dropout.rate;
    case GL_LAYER_DENSE:
      return a->dense.units == b->dense.units;
    case GL_LAYER_GLOBAL_AVGPOOL:
    case GL_LAYER_RELU:
    case GL_LAYER_BATCHNORM:
    case GL_LAYER_FLATTEN:
    default:
      return TRUE;
    }
}

gboolean
gl_net_spec_equal (const GlNetSpec *a, const GlNetSpec *b)
{
  if (a->n_layers != b->n_layers)
    return FALSE;
  for (guint i = 0; i < a->n_layers; i++)
    if (!layer_equal (&a->layers[i], &b->layers[i]))
      return FALSE;
  return TRUE;
}

GlNetSpec *
gl_net_spec_reference (void)
{
  return gl_net_spec_from_string ("conv32k3s1p1,relu,maxpool2s2,conv64k3s1p1,relu,maxpool2s2,dense128,relu", NULL);
}

GlNetSpec *
gl_net_spec_default_grey (void)
{
  return gl_net_spec_from_string ("conv32k3s1p1,bn,relu,maxpool2s2,conv64k3s1p1,bn,relu,maxpool2s2,"
                                  "dropout0.25,dense128,bn,relu,dropout0.5",
                                  NULL);
}

GlNetSpec *
gl_net_spec_default_colour (void)
{
  return gl_net_spec_from_string ("conv32k3s2p1,bn,relu,conv32k3s1p1,bn,relu,maxpool2s2,"
                                  "conv64k3s1p1,bn,relu,maxpool2s2,conv128k3s1p1,bn,relu,gap,"
                                  "dropout0.3,dense128,bn,relu,dropout0.3",
                                  NULL);
}

GlNetSpec *
gl_net_spec_default_for_input (guint h, guint w, guint c)
{
  if (c == 1 && h <= 48 && w <= 48)
    return gl_net_spec_default_grey ();
  return gl_net_spec_default_colour ();
}

static void
append_float (GString *s, float v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  /* The shortest form that reads back as the same float. */
  for (int digits = 1; digits <= 9; digits++)
    {
      char format[8];
      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if ((float) g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

char *
gl_net_spec_to_string (const GlNetSpec *spec)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      const GlLayerSpec *l = &spec->layers[i];
      if (i > 0)
        g_string_append_c (s, ',');
      switch (l->kind)
        {
        case GL_LAYER_CONV:
          g_string_append_printf (s, "conv%uk%us%up%u", l->conv.filters, l->conv.kernel, l->conv.stride,
                                  l->conv.pad);
          break;
        case GL_LAYER_MAXPOOL:
          g_string_append_printf (s, "maxpool%us%u", l->pool.size, l->pool.stride);
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          g_string_append (s, "gap");
          break;
        case GL_LAYER_RELU:
          g_string_append (s, "relu");
          break;
        case GL_LAYER_BATCHNORM:
          g_string_append (s, "bn");
          break;
        case GL_LAYER_DROPOUT:
          g_string_append (s, "dropout");
          append_float (s, l->dropout.rate);
          break;
        case GL_LAYER_DENSE:
          g_string_append_printf (s, "dense%u", l->dense.units);
          break;
        case GL_LAYER_FLATTEN:
        default:
          g_string_append (s, "flatten");
          break;
        }
    }
  return g_string_free (s, FALSE);
}

/* Reads a positive decimal number at *p (at most 65535); advances *p. */
static gboolean
read_uint (const char **p, guint *value)
{
  const char *s = *p;
  guint64 v = 0;
  if (!g_ascii_isdigit (*s))
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      v = v * 10 + (guint64) (*s - '0');
      if (v > 65535)
        return FALSE;
      s++;
    }
  *p = s;
  *value = (guint) v;
  return TRUE;
}

static gboolean
parse_token (const char *tok, GlLayerSpec *l)
{
  const char *p;
  memset (l, 0, sizeof *l);

  if (strcmp (tok, "relu") == 0)
    l->kind = GL_LAYER_RELU;
  else if (strcmp (tok, "bn") == 0 || strcmp (tok, "batchnorm") == 0)
    l->kind = GL_LAYER_BATCHNORM;
  else if (strcmp (tok, "gap") == 0)
    l->kind = GL_LAYER_GLOBAL_AVGPOOL;
  else if (strcmp (tok, "flatten") == 0)
    l->kind = GL_LAYER_FLATTEN;
  else if (g_str_has_prefix (tok, "conv"))
    {
      gboolean have_k = FALSE, have_s = FALSE, have_p = FALSE;
      l->kind = GL_LAYER_CONV;
      l->conv.stride = 1;
      p = tok + 4;
      if (!read_uint (&p, &l->conv.filters) || l->conv.filters == 0)
        return FALSE;
      while (*p != '\0')
        {
          char key = *p++;
          guint v;
          if (!read_uint (&p, &v))
            return FALSE;
          if (key == 'k' && !have_k && v > 0)
            l->conv.kernel = v, have_k = TRUE;
          else if (key == 's' && !have_s && v > 0)
            l->conv.stride = v, have_s = TRUE;
          else if (key == 'p' && !have_p)
            l->conv.pad = v, have_p = TRUE;
          else
            return FALSE;
        }
      if (!have_k)
        return FALSE;
    }
  else if (g_str_has_prefix (tok, "maxpool"))
    {
      l->kind = GL_LAYER_MAXPOOL;
      p = tok + 7;
      if (!read_uint (&p, &l->pool.size) || l->pool.size == 0)
        return FALSE;
      l->pool.stride = l->pool.size;
      if (*p == 's')
        {
          p++;
          if (!read_uint (&p, &l->pool.stride) || l->pool.stride == 0)
            return FALSE;
        }
      if (*p != '\0')
        return FALSE;
    }
  else if (g_str_has_prefix (tok, "dropout"))
    {
      char *end = NULL;
      l->kind = GL_LAYER_DROPOUT;
      p = tok + 7;
      if (!g_ascii_isdigit (*p) && *p != '.')
        return FALSE;
      double rate = g_ascii_strtod (p, &end);
      if (end == p || *end != '\0' || !(rate >= 0.0 && rate < 1.0))
        return FALSE;
      l->dropout.rate = (float) rate;
    }
  else if (g_str_has_prefix (tok, "dense"))
    {
      l->kind = GL_LAYER_DENSE;
      p = tok + 5;
      if (!read_uint (&p, &l->dense.units) || l->dense.units == 0 || *p != '\0')
        return FALSE;
    }
  else
    return FALSE;
  return TRUE;
}

GlNetSpec *
gl_net_spec_from_string (const char *text, GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_new ();
  g_auto (GStrv) tokens = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    return g_steal_pointer (&spec);

  tokens = g_strsplit (stripped, ",", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      GlLayerSpec l;
      char *tok = g_strstrip (tokens[i]);
      if (!parse_token (tok, &l))
        {
          g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_PARSE,
                       "Network spec “%s”: cannot read layer %u “%s” (expected convFkK[sS][pP], maxpoolK[sS], "
                       "gap, relu, bn, dropoutR with 0 ≤ R < 1, denseU or flatten)",
                       text, i + 1, tok);
          return NULL;
        }
      gl_net_spec_append (spec, &l);
    }
  return g_steal_pointer (&spec);
}

/* ------------------------------------------------------------------ */
/* Network structure                                                   */
/* ------------------------------------------------------------------ */

typedef struct
{
  char *name;
  gboolean is_stat; /* in net->stats, not a learned parameter */
  gboolean decay;   /* weight decay applies */
  gsize offset;     /* into params (or stats) */
  gsize size;
  guint shape[4];
  guint n_dims;
} GlTensor;

/* One computational step. A spec ReLU that follows a conv, dense or
 * batch-norm layer is fused into it and has no op; flatten has none. */
typedef struct
{
  GlLayerKind kind;
  guint layer;          /* index in the built net (spec layers, then the classifier) */
  gboolean relu;        /* fused ReLU on the output */
  gboolean fold_bn;     /* conv/dense followed by batch norm: folded into it at inference */
  guint ih, iw, ic;     /* input per item */
  guint oh, ow, oc;     /* output per item */
  guint kernel, stride, pad; /* conv; maxpool: kernel = window */
  float rate;           /* dropout */
  gsize weight, bias;   /* offsets into params: conv/dense weight and bias, bn gamma and beta */
  gsize mean, var;      /* bn: offsets into stats */
} GlOp;

/* Buffers of one op for a batch capacity. */
typedef struct
{
  float *y;         /* (cap, oh, ow, oc) output */
  guint32 *argmax;  /* maxpool, training: (cap, oh, ow, oc) */
  float *mask;      /* dropout: (cap, oh, ow, oc) */
  float *xhat;      /* bn, training: (cap, oh, ow, oc) */
  float *mean;      /* bn, training: (oc) */
  float *inv_std;   /* bn, training: (oc) */
} GlOpBuffers;

/* Scratch for one batch capacity. Training workspaces keep what backward
 * needs; inference ones share the patch buffer between convolutions. */
typedef struct
{
  guint cap;
  gboolean training;
  float *x;            /* (cap, h, w, c) input */
  GlOpBuffers *ops;    /* (n_ops) */
  float *patches;      /* patches and patch gradients of a few images at a time (2 × the largest
                          gl_conv_infer_scratch_size): convolutions keep no patch matrix */
  float *grad_a, *grad_b; /* training: (cap × largest activation) ping-pong gradients */
  float *probs;        /* (cap, n_classes) */
  double *acc;         /* (2 × widest channel count) */
  float *scale_shift;  /* (2 × widest channel count) */
  const float **in;    /* (n_ops) input of each op in the last forward */
  const float **out;   /* (n_ops) output of each op in the last forward */
  gboolean *active;    /* (n_ops) whether the op ran (dropout may be skipped) */
} GlWorkspace;

struct _GlNet
{
  /* config */
  GlNetSpec *spec;
  guint h, w, c;
  guint n_classes;
  guint n_ops;
  GlOp *ops;            /* (n_ops) */
  guint emb_dim;
  gsize max_activation; /* floats per item, over the input and every op output */
  guint max_channels;

  /* params */
  float *params;        /* (n_params) */
  gsize n_params;
  float *stats;         /* (n_stats) batch-norm running mean and variance */
  gsize n_stats;
  GArray *tensors;      /* of GlTensor */

  /* Inference parameters: params with each batch norm that follows a conv or
   * dense layer folded into that layer's weights and bias (eval mode only). */
  float *folded;        /* (n_params) */

  /* grads */
  float *grads;         /* (n_params), training only */

  /* scratch */
  GlWorkspace train_ws;
  GlWorkspace infer_ws;
  /* Inference with several threads: one batch per thread at a time, batch i
   * of a step in infer_ws (i = 0) or infer_more[i − 1]. */
  GlWorkspace infer_more[INFER_THREADS_MAX - 1];
};

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
static void
workspace_ensure (GlNet *net, GlWorkspace *ws, guint cap, gboolean training)
{
  if (ws->cap >= cap)
    return;
  workspace_clear (net, ws);
  ws->cap = cap;
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
        scratch = MAX (scratch, gl_conv_infer_scratch_size (&s));
      }
  if (scratch > 0)
    ws->patches = g_new (float, 2 * scratch);
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
/* Forward and backward                                                */
/* ------------------------------------------------------------------ */

typedef enum
{
  MODE_EVAL,  /* running statistics, no dropout */
  MODE_MC,    /* running statistics, dropout active */
  MODE_TRAIN, /* batch statistics, dropout as asked */
} ForwardMode;

/* Fills net->folded for eval-mode passes: batch norm y = z·scale + shift with
 * scale = γ/√(var + ε), shift = β − mean·scale, folded into the layer z = x·W + b
 * before it: W'[:, f] = W[:, f]·scale[f], b'[f] = b[f]·scale[f] + shift[f]. */
static void
net_fold (GlNet *net)
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

/* Runs ops [first, end) on the batch of @n in ws->x (first = 0) or on the
 * outputs left by an earlier call. Returns the last output: with end =
 * n_ops, the logits (n, n_classes). */
static const float *
forward_range (GlNet *net, GlWorkspace *ws, guint n, ForwardMode mode, gboolean dropout, GlRng *rng, guint first,
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
      /* A folded batch norm's ReLU runs in the layer before it. */
      const gboolean relu = fold && op->fold_bn ? net->ops[i + 1].relu : op->relu;

      ws->in[i] = cur;
      ws->active[i] = TRUE;
      switch (op->kind)
        {
        case GL_LAYER_CONV:
          {
            GlConvShape s;
            gl_conv_shape_init (&s, n, op->ih, op->iw, op->ic, op->oc, op->kernel, op->stride, op->pad);
            gl_conv_forward_infer (&s, cur, params + op->weight, params + op->bias, relu, ws->patches, b->y);
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
                                        net->stats + op->var, op->relu, b->xhat, b->mean, b->inv_std, b->y,
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

static const float *
forward (GlNet *net, GlWorkspace *ws, guint n, ForwardMode mode, gboolean dropout, GlRng *rng, guint first)
{
  return forward_range (net, ws, n, mode, dropout, rng, first, net->n_ops);
}

/* Backward from @dlogits (n, n_classes), which is overwritten; fills net->grads. */
static void
backward (GlNet *net, GlWorkspace *ws, guint n, float *dlogits)
{
  float *dy = dlogits;

  for (guint ii = net->n_ops; ii-- > 0;)
    {
      const GlOp *op = &net->ops[ii];
      GlOpBuffers *b = &ws->ops[ii];
      const gboolean need_dx = ii > 0;
      float *dx = dy == ws->grad_a ? ws->grad_b : ws->grad_a;
      const gsize in_count = (gsize) n * op->ih * op->iw * op->ic;

      if (!need_dx)
        dx = NULL;
      switch (op->kind)
        {
        case GL_LAYER_CONV:
          {
            GlConvShape s;
            gl_conv_shape_init (&s, n, op->ih, op->iw, op->ic, op->oc, op->kernel, op->stride, op->pad);
            gl_conv_backward (&s, ws->in[ii], NULL, net->params + op->weight, b->y, op->relu, dy,
                              net->grads + op->weight, net->grads + op->bias, ws->patches, dx);
          }
          break;
        case GL_LAYER_DENSE:
          gl_dense_backward (n, op->ih * op->iw * op->ic, op->oc, ws->in[ii], net->params + op->weight, b->y,
                             op->relu, dy, net->grads + op->weight, net->grads + op->bias, dx);
          break;
        case GL_LAYER_MAXPOOL:
          if (dx != NULL)
            {
              GlPoolShape s;
              gl_pool_shape_init (&s, n, op->ih, op->iw, op->ic, op->kernel, op->stride);
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
                                 b->y, op->relu, dy, net->grads + op->weight, net->grads + op->bias, dx, ws->acc);
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

/* ------------------------------------------------------------------ */
/* Inference                                                           */
/* ------------------------------------------------------------------ */

static gboolean
check_dataset (const GlNet *net, const GlDataset *data, GError **error)
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

static void
report (GlNetProgressFunc cb, gpointer cb_data, GlPhase phase, guint epoch, guint n_epochs, guint64 batch,
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

static gboolean
check_cancelled (GCancellable *cancellable, GError **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* The first op that differs between MC passes (the first active dropout). */
static guint
first_dropout_op (const GlNet *net)
{
  for (guint i = 0; i < net->n_ops; i++)
    if (net->ops[i].kind == GL_LAYER_DROPOUT && net->ops[i].rate > 0.0f)
      return i;
  return net->n_ops;
}

static void
copy_embeddings (const GlNet *net, const GlWorkspace *ws, guint n, float *embeddings)
{
  const guint cls = net->n_ops - 1;
  memcpy (embeddings, ws->in[cls], sizeof (float) * n * net->emb_dim);
}

/* ---- inference batches side by side ----
 *
 * Whole-pool inference runs one batch per thread at a time: each thread
 * takes a whole batch through every layer in its own workspace, serially
 * (the layers' own loops find gl-parallel busy and run on the thread that
 * calls them), so a batch's patches, products and activations stay in one
 * core's cache and the threads meet once per step instead of several times
 * per layer. Each batch's result is what the serial loop gives. Progress is
 * reported and the cancellable checked after each step, on the calling
 * thread. */

typedef enum
{
  INFER_PREDICT,
  INFER_MC,
  INFER_EVALUATE,
  INFER_FLOATS,
} InferKind;

typedef struct
{
  GlNet *net;
  InferKind kind;
  gsize n;
  gsize first;                 /* the first item of this step */
  /* inputs */
  const GlDataset *data;
  const guint64 *rows;
  const float *x;              /* INFER_FLOATS: (n, h, w, c) */
  const gint *labels;          /* INFER_EVALUATE */
  guint n_passes;              /* INFER_MC */
  guint64 seed, batch0;        /* the seed (INFER_MC), the index of this step's first batch */
  guint split;                 /* INFER_MC: the first dropout op */
  /* outputs */
  float *probs, *embeddings, *mc_probs;
  double loss[INFER_THREADS_MAX];  /* INFER_EVALUATE: mean loss of each batch of the step */
  gsize hits[INFER_THREADS_MAX];
} InferRun;

static GlWorkspace *
infer_workspace (GlNet *net, guint i)
{
  return i == 0 ? &net->infer_ws : &net->infer_more[i - 1];
}

/* Threads for a run over @n items; their workspaces are ready. */
static guint
infer_prepare (GlNet *net, gsize n)
{
  const guint batches = (guint) MIN ((n + INFER_BATCH - 1) / INFER_BATCH, (gsize) INFER_THREADS_MAX);
  const guint threads = MAX (1, MIN (gl_parallel_get_n_threads (), batches));

  for (guint i = 0; i < threads; i++)
    workspace_ensure (net, infer_workspace (net, i), (guint) MIN (n, INFER_BATCH), FALSE);
  net_fold (net);
  return threads;
}

static void
infer_batch (InferRun *r, guint slot)
{
  GlNet *net = r->net;
  GlWorkspace *ws = infer_workspace (net, slot);
  const guint k = net->n_classes;
  const gsize start = r->first + (gsize) slot * INFER_BATCH;
  const guint m = (guint) MIN (r->n - start, INFER_BATCH);

  if (r->kind == INFER_FLOATS)
    {
      const gsize item = (gsize) net->h * net->w * net->c;
      memcpy (ws->x, r->x + start * item, sizeof (float) * m * item);
    }
  else
    gl_augment_load_batch (r->data, r->rows + start, m, NULL, NULL, ws->x);

  if (r->kind == INFER_MC)
    {
      const guint64 batch = r->batch0 + slot;
      /* The layers before the first dropout are the same in every pass: run them once. */
      if (r->split > 0)
        forward_range (net, ws, m, MODE_EVAL, FALSE, NULL, 0, r->split);
      if (r->probs != NULL)
        memset (r->probs + start * k, 0, sizeof (float) * m * k);
      for (guint t = 0; t < r->n_passes; t++)
        {
          GlRng rng;
          /* One stream per (pass, batch): the masks do not depend on other calls. */
          gl_rng_init_stream (&rng, r->seed, ((guint64) t << 32) ^ batch);
          const float *logits = forward (net, ws, m, MODE_MC, TRUE, &rng, MIN (r->split, net->n_ops));
          float *out = r->mc_probs + ((gsize) t * r->n + start) * k;
          gl_softmax (m, k, logits, out);
          if (r->probs != NULL)
            for (gsize j = 0; j < (gsize) m * k; j++)
              r->probs[start * k + j] += out[j] / (float) r->n_passes;
        }
      return;
    }

  const float *logits = forward (net, ws, m, MODE_EVAL, FALSE, NULL, 0);
  if (r->kind == INFER_EVALUATE)
    {
      gsize hits = 0;
      r->loss[slot] = gl_softmax_xent (m, k, logits, r->labels + start, NULL, ws->probs, NULL, &hits);
      r->hits[slot] = hits;
      return;
    }
  gl_softmax (m, k, logits, r->probs + start * k);
  if (r->embeddings != NULL)
    copy_embeddings (net, ws, m, r->embeddings + start * net->emb_dim);
}

static void
infer_chunk (gsize begin, gsize end, gpointer data)
{
  for (gsize slot = begin; slot < end; slot++)
    infer_batch (data, (guint) slot);
}

/* Runs the batches of items [r->first, r->first + @threads batches) side
 * by side; returns the items done. */
static gsize
infer_step (InferRun *r, guint threads)
{
  const gsize items = MIN (r->n - r->first, (gsize) threads * INFER_BATCH);
  const guint batches = (guint) ((items + INFER_BATCH - 1) / INFER_BATCH);

  gl_parallel_for (batches, 1, infer_chunk, r);
  return items;
}

/* Runs a scoring pass (predict or Monte-Carlo) over all r->n items, a step
 * of batches side by side at a time, reporting each batch done in order. */
static gboolean
infer_scoring (InferRun *r, guint threads, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
               GError **error)
{
  const guint64 n_batches = (r->n + INFER_BATCH - 1) / INFER_BATCH;
  const gint64 start = g_get_monotonic_time ();

  for (guint64 batch = 0; r->first < r->n;)
    {
      if (check_cancelled (cancellable, error))
        return FALSE;
      r->batch0 = batch;
      const gsize end = r->first + infer_step (r, threads);
      for (; batch * INFER_BATCH < end; batch++)
        {
          const gsize done = MIN (r->n, (batch + 1) * INFER_BATCH);
          const double secs = (g_get_monotonic_time () - start) / 1e6;
          report (cb, cb_data, GL_PHASE_SCORE, 0, 0, batch + 1, n_batches, NAN, NAN, secs > 0 ? done / secs : NAN,
                  (double) done / r->n);
        }
      r->first = end;
    }
  return TRUE;
}

gboolean
gl_net_predict (GlNet *net, const GlDataset *data, const guint64 *rows, gsize n, float *probs, float *embeddings,
                GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable, GError **error)
{
  InferRun r = { .net = net, .kind = INFER_PREDICT, .n = n, .data = data, .rows = rows, .probs = probs,
                 .embeddings = embeddings };

  if (!check_dataset (net, data, error))
    return FALSE;
  if (n == 0)
    return TRUE;
  return infer_scoring (&r, infer_prepare (net, n), cb, cb_data, cancellable, error);
}

gboolean
gl_net_predict_mc (GlNet *net, const GlDataset *data, const guint64 *rows, gsize n, guint n_passes, guint64 seed,
                   float *mc_probs, float *probs, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
                   GError **error)
{
  const guint split = first_dropout_op (net);

  if (!check_dataset (net, data, error))
    return FALSE;
  if (n_passes == 0)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Monte-Carlo dropout needs at least one pass");
      return FALSE;
    }
  if (n == 0)
    return TRUE;
  InferRun r = { .net = net, .kind = INFER_MC, .n = n, .data = data, .rows = rows, .n_passes = n_passes,
                 .seed = seed, .split = split, .probs = probs, .mc_probs = mc_probs };
  return infer_scoring (&r, infer_prepare (net, n), cb, cb_data, cancellable, error);
}

static gboolean
check_labels (const GlNet *net, const gint *labels, gsize n, GError **error)
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

gboolean
gl_net_evaluate (GlNet *net, const GlDataset *data, const guint64 *rows, const gint *labels, gsize n,
                 double *accuracy, double *loss, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
                 GError **error)
{
  const guint64 n_batches = (n + INFER_BATCH - 1) / INFER_BATCH;
  double loss_sum = 0.0;
  gsize correct = 0;

  if (!check_dataset (net, data, error) || !check_labels (net, labels, n, error))
    return FALSE;
  if (n == 0)
    {
      if (accuracy != NULL)
        *accuracy = NAN;
      if (loss != NULL)
        *loss = NAN;
      return TRUE;
    }
  InferRun r = { .net = net, .kind = INFER_EVALUATE, .n = n, .data = data, .rows = rows, .labels = labels };
  const guint threads = infer_prepare (net, n);
  for (guint64 batch = 0; r.first < n;)
    {
      if (check_cancelled (cancellable, error))
        return FALSE;
      const gsize end = r.first + infer_step (&r, threads);
      /* In batch order, as the serial loop adds them. */
      for (guint slot = 0; batch * INFER_BATCH < end; batch++, slot++)
        {
          const gsize done = MIN (n, (batch + 1) * INFER_BATCH);
          const guint m = (guint) (done - batch * INFER_BATCH);
          loss_sum += m * r.loss[slot];
          correct += r.hits[slot];
          report (cb, cb_data, GL_PHASE_EVALUATE, 0, 0, batch + 1, n_batches, loss_sum / done,
                  (double) correct / done, NAN, (double) done / n);
        }
      r.first = end;
    }
  if (accuracy != NULL)
    *accuracy = (double) correct / n;
  if (loss != NULL)
    *loss = loss_sum / n;
  return TRUE;
}

void
gl_net_forward_floats (GlNet *net, const float *x, gsize n, float *probs, float *embeddings)
{
  if (n == 0)
    return;
  InferRun r = { .net = net, .kind = INFER_FLOATS, .n = n, .x = x, .probs = probs, .embeddings = embeddings };
  const guint threads = infer_prepare (net, n);
  while (r.first < n)
    r.first += infer_step (&r, threads);
}

/* ------------------------------------------------------------------ */
/* Training                                                            */
/* ------------------------------------------------------------------ */

void
gl_train_options_init (GlTrainOptions *o)
{
  memset (o, 0, sizeof *o);
  o->epochs = 10;
  o->batch_size = 64;
  o->optimizer = GL_OPTIMIZER_SGD;
  o->lr = 0.05f;
  o->momentum = 0.9f;
  o->beta1 = 0.9f;
  o->beta2 = 0.999f;
  o->epsilon = 1e-8f;
  o->schedule = GL_SCHEDULE_CONSTANT;
  o->step_epochs = 5;
  o->step_gamma = 0.1f;
  o->crop_pad = 2;
  o->brightness = 0.1f;
  o->contrast = 0.1f;
  o->dropout = TRUE;
  o->restore_best = TRUE;
}

static gboolean
check_options (const GlNet *net, const GlTrainOptions *o, GError **error)
{
  const char *bad = NULL;
  if (o->epochs == 0 && o->max_seconds <= 0 && o->max_steps == 0)
    bad = "no budget: set epochs, max_seconds or max_steps";
  else if (o->batch_size == 0 || o->batch_size > 65536)
    bad = "batch_size must be 1…65536";
  else if (!(o->lr > 0.0f) || !isfinite (o->lr))
    bad = "lr must be positive";
  else if (!(o->momentum >= 0.0f && o->momentum < 1.0f))
    bad = "momentum must be in [0, 1)";
  else if (o->optimizer == GL_OPTIMIZER_ADAM && !(o->beta1 >= 0.0f && o->beta1 < 1.0f && o->beta2 >= 0.0f &&
                                                  o->beta2 < 1.0f && o->epsilon > 0.0f))
    bad = "Adam needs betas in [0, 1) and a positive epsilon";
  else if (o->optimizer != GL_OPTIMIZER_SGD && o->optimizer != GL_OPTIMIZER_ADAM)
    bad = "unknown optimizer";
  else if (!(o->weight_decay >= 0.0f))
    bad = "weight_decay must not be negative";
  else if (o->schedule == GL_SCHEDULE_STEP && !(o->step_gamma > 0.0f))
    bad = "step_gamma must be positive";
  else if ((o->augment & GL_AUGMENT_JITTER) && !(o->brightness >= 0.0f && o->contrast >= 0.0f && o->contrast < 1.0f))
    bad = "jitter needs brightness ≥ 0 and contrast in [0, 1)";
  else if (o->n_val > 0 && (o->val_rows == NULL || o->val_labels == NULL))
    bad = "n_val > 0 needs val_rows and val_labels";
  if (bad == NULL && o->class_weights != NULL)
    for (guint j = 0; j < net->n_classes; j++)
      if (!(o->class_weights[j] >= 0.0f) || !isfinite (o->class_weights[j]))
        bad = "class weights must be finite and not negative";
  if (bad != NULL)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Training options: %s", bad);
      return FALSE;
    }
  return TRUE;
}

/* Optimiser state for one call of gl_net_train. */
typedef struct
{
  float *m; /* (n_params) SGD velocity or Adam first moment */
  float *v; /* (n_params) Adam second moment, or NULL */
  guint64 t;
} GlOptimState;

static void
optimizer_step (GlNet *net, const GlTrainOptions *o, GlOptimState *st, float lr)
{
  st->t++;
  for (guint i = 0; i < net->tensors->len; i++)
    {
      const GlTensor *t = &g_array_index (net->tensors, GlTensor, i);
      const float wd = t->decay ? o->weight_decay : 0.0f;
      if (t->is_stat)
        continue;
      if (o->optimizer == GL_OPTIMIZER_ADAM)
        gl_adam_step (t->size, lr, o->beta1, o->beta2, o->epsilon, wd, st->t, net->params + t->offset,
                      net->grads + t->offset, st->m + t->offset, st->v + t->offset);
      else
        gl_sgd_step (t->size, lr, o->momentum, wd, net->params + t->offset, net->grads + t->offset,
                     st->m + t->offset);
    }
}

typedef struct
{
  float *params;
  float *stats;
} GlSnapshot;

static void
snapshot_take (const GlNet *net, GlSnapshot *s)
{
  if (s->params == NULL)
    {
      s->params = g_new (float, MAX (net->n_params, 1));
      s->stats = g_new (float, MAX (net->n_stats, 1));
    }
  memcpy (s->params, net->params, sizeof (float) * net->n_params);
  memcpy (s->stats, net->stats, sizeof (float) * net->n_stats);
}

static void
snapshot_restore (GlNet *net, const GlSnapshot *s)
{
  memcpy (net->params, s->params, sizeof (float) * net->n_params);
  memcpy (net->stats, s->stats, sizeof (float) * net->n_stats);
}

static void
snapshot_clear (GlSnapshot *s)
{
  g_clear_pointer (&s->params, g_free);
  g_clear_pointer (&s->stats, g_free);
}

/* Class-balanced sampling: the items of each class present. */
typedef struct
{
  guint n_present;
  guint *present;     /* (n_present) class ids */
  guint32 **members;  /* (n_classes) item indices */
  gsize *n_members;   /* (n_classes) */
} GlBalance;

static void
balance_init (GlBalance *b, const gint *labels, gsize n, guint n_classes)
{
  b->members = g_new0 (guint32 *, n_classes);
  b->n_members = g_new0 (gsize, n_classes);
  b->present = g_new0 (guint, n_classes);
  for (gsize i = 0; i < n; i++)
    b->n_members[labels[i]]++;
  for (guint c = 0; c < n_classes; c++)
    {
      if (b->n_members[c] > 0)
        b->present[b->n_present++] = c;
      b->members[c] = g_new (guint32, MAX (b->n_members[c], 1));
      b->n_members[c] = 0;
    }
  for (gsize i = 0; i < n; i++)
    b->members[labels[i]][b->n_members[labels[i]]++] = (guint32) i;
}

static void
balance_clear (GlBalance *b, guint n_classes)
{
  if (b->members != NULL)
    for (guint c = 0; c < n_classes; c++)
      g_free (b->members[c]);
  g_free (b->members);
  g_free (b->n_members);
  g_free (b->present);
}

gboolean
gl_net_train (GlNet *net, const GlDataset *data, const guint64 *rows, const gint *labels, gsize n,
              const GlTrainOptions *o, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
              GlTrainReport *rep, GError **error)
{
  const guint k = net->n_classes;
  GlTrainReport r = { 0 };
  GlAugmentConfig aug = { o->augment, o->crop_pad, o->brightness, o->contrast };
  GlOptimState st = { 0 };
  GlSnapshot before = { 0 }, best = { 0 };
  GlBalance balance = { 0 };
  g_autofree guint32 *order = NULL;   /* (n) item indices of this epoch */
  g_autofree guint64 *batch_rows = NULL; /* (batch) */
  g_autofree gint *batch_labels = NULL;  /* (batch) */
  gboolean ok = FALSE;
  GlRng rng;
  guint bad_epochs = 0;

  r.best_val_accuracy = NAN;
  r.train_loss = NAN;
  r.train_accuracy = NAN;
  if (!check_dataset (net, data, error) || !check_options (net, o, error) || !check_labels (net, labels, n, error))
    return FALSE;
  if (n == 0)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "No items to train on");
      return FALSE;
    }
  if (n > G_MAXUINT32)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Too many items to train on (%" G_GSIZE_FORMAT ")", n);
      return FALSE;
    }
  if (o->n_val > 0)
    {
      if (!check_labels (net, o->val_labels, o->n_val, error))
        return FALSE;
    }

  const guint bs = (guint) MIN ((gsize) o->batch_size, n);
  if ((gsize) bs * net->max_activation > G_MAXUINT32)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Batch size %u is too large for this network", bs);
      return FALSE;
    }
  const guint64 steps_per_epoch = (n + bs - 1) / bs;
  guint64 planned = o->epochs > 0 ? (guint64) o->epochs * steps_per_epoch : 0;
  if (o->max_steps > 0)
    planned = planned > 0 ? MIN (planned, o->max_steps) : o->max_steps;

  /* Everything allocated here, before the first step. */
  workspace_ensure (net, &net->train_ws, bs, TRUE);
  if (net->grads == NULL)
    net->grads = g_new0 (float, MAX (net->n_params, 1));
  st.m = g_new0 (float, MAX (net->n_params, 1));
  if (o->optimizer == GL_OPTIMIZER_ADAM)
    st.v = g_new0 (float, MAX (net->n_params, 1));
  order = g_new (guint32, n);
  batch_rows = g_new (guint64, bs);
  batch_labels = g_new (gint, bs);
  float *dlogits = net->train_ws.grad_a;
  snapshot_take (net, &before);
  if (o->balanced_sampling)
    balance_init (&balance, labels, n, k);
  gl_rng_init (&rng, o->seed);
  for (gsize i = 0; i < n; i++)
    order[i] = (guint32) i;

  const gint64 start = g_get_monotonic_time ();
  gboolean stop = FALSE;
  guint64 images = 0;

  for (guint epoch = 0; !stop && (o->epochs == 0 || epoch < o->epochs); epoch++)
    {
      double loss_sum = 0.0;
      gsize seen = 0, correct = 0;
      guint64 batches = 0;

      r.epochs = epoch + 1;
      if (!o->balanced_sampling)
        gl_rng_shuffle_u32 (&rng, order, n);
      for (gsize pos = 0; pos < n && !stop; pos += bs)
        {
          const guint m = (guint) MIN ((gsize) bs, n - pos);
          gsize hits = 0;

          if (check_cancelled (cancellable, error))
            goto out;
          for (guint j = 0; j < m; j++)
            {
              guint32 item;
              if (o->balanced_sampling)
                {
                  const guint cls = balance.present[gl_rng_below (&rng, balance.n_present)];
                  item = balance.members[cls][gl_rng_below (&rng, balance.n_members[cls])];
                }
              else
                item = order[pos + j];
              batch_rows[j] = rows[item];
              batch_labels[j] = labels[item];
            }
          gl_augment_load_batch (data, batch_rows, m, &aug, &rng, net->train_ws.x);
          const float *logits = forward (net, &net->train_ws, m, MODE_TRAIN, o->dropout, &rng, 0);
          const double loss = gl_softmax_xent (m, k, logits, batch_labels, o->class_weights, net->train_ws.probs,
                                               dlogits, &hits);
          if (!isfinite (loss))
            {
              snapshot_restore (net, &before);
              g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_DIVERGED,
                           "Training diverged (loss %g at step %" G_GUINT64_FORMAT "); the weights were restored, "
                           "try a lower learning rate", loss, r.steps + 1);
              goto out;
            }
          backward (net, &net->train_ws, m, dlogits);
          const float lr = gl_schedule_lr (o->schedule, o->lr, r.steps, planned, epoch, o->step_epochs,
                                           o->step_gamma);
          optimizer_step (net, o, &st, lr);
          r.steps++;
          batches++;
          images += m;
          loss_sum += loss;
          seen += m;
          correct += hits;

          const double secs = (g_get_monotonic_time () - start) / 1e6;
          double fraction = -1.0;
          if (planned > 0)
            fraction = (double) r.steps / planned;
          if (o->max_seconds > 0)
            fraction = MAX (fraction, secs / o->max_seconds);
          report (cb, cb_data, GL_PHASE_TRAIN, epoch + 1, o->epochs, batches, steps_per_epoch, loss_sum / batches,
                  (double) correct / seen, secs > 0 ? images / secs : NAN, MIN (fraction, 1.0));

          if ((o->max_steps > 0 && r.steps >= o->max_steps) || (o->max_seconds > 0 && secs >= o->max_seconds))
            stop = TRUE;
        }
      r.train_loss = loss_sum / MAX (batches, 1);
      r.train_accuracy = seen > 0 ? (double) correct / seen : NAN;

      if (o->n_val > 0)
        {
          double acc;
          if (!gl_net_evaluate (net, data, o->val_rows, o->val_labels, o->n_val, &acc, NULL, cb, cb_data,
                                cancellable, error))
            goto out;
          if (isnan (r.best_val_accuracy) || acc > r.best_val_accuracy)
            {
              r.best_val_accuracy = acc;
              r.best_epoch = epoch + 1;
              bad_epochs = 0;
              if (o->restore_best)
                snapshot_take (net, &best);
            }
          else if (o->patience > 0 && ++bad_epochs >= o->patience)
            {
              r.stopped_early = TRUE;
              stop = TRUE;
            }
        }
    }
  if (o->n_val > 0 && o->restore_best && best.params != NULL && r.best_epoch != r.epochs)
    snapshot_restore (net, &best);
  ok = TRUE;

out:
  r.seconds = (g_get_monotonic_time () - start) / 1e6;
  r.images_per_second = r.seconds > 0 ? images / r.seconds : NAN;
  if (rep != NULL)
    *rep = r;
  g_free (st.m);
  g_free (st.v);
  snapshot_clear (&before);
  snapshot_clear (&best);
  balance_clear (&balance, k);
  return ok;
}
