/* gl-net-private.h — what the files of a GlNet share: its structure, its
 * workspaces and the passes over them. Not for use outside engine/gl-net*.c.
 *
 *   gl-net-spec.c   network specs: built-ins, text form
 *   gl-net.c        building a net from a spec: ops, shapes, parameters,
 *                   tensors, workspaces; the checks of inputs
 *   gl-net-pass.c   one forward or backward pass over a batch
 *   gl-net-infer.c  inference: predict, Monte-Carlo dropout, evaluate
 *   gl-net-train.c  training: batches, optimiser steps, validation
 *
 * THREADS: a GlNet and everything in it belong to the one thread that uses
 * the net at a time (see gl-net.h); inference workspaces other than the
 * first are each written by the one gl-parallel thread that runs its batch. */
#pragma once

#include "engine/gl-net.h"
#include "engine/gl-rng.h"

G_BEGIN_DECLS

#define INFER_BATCH GL_NET_INFER_BATCH
#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f
/* Per item, an activation may not exceed this many floats (argmax indices
 * are 32-bit over a batch of INFER_BATCH). */
#define MAX_ACTIVATION (G_MAXUINT32 / INFER_BATCH)
/* Threads that run whole inference batches side by side (more would cost
 * workspaces for little). */
#define INFER_THREADS_MAX 8

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
  guint layer;               /* index in the built net (spec layers, then the classifier) */
  gboolean relu;             /* fused ReLU on the output */
  gboolean fold_bn;          /* conv/dense followed by batch norm: folded into it at inference */
  guint ih, iw, ic;          /* input per item */
  guint oh, ow, oc;          /* output per item */
  guint kernel, stride, pad; /* conv; maxpool: kernel = window */
  float rate;                /* dropout */
  gsize weight, bias;        /* offsets into params: conv/dense weight and bias, bn gamma and beta */
  gsize mean, var;           /* bn: offsets into stats */
} GlOp;

/* Buffers of one op for a batch capacity. */
typedef struct
{
  float *y;        /* (cap, oh, ow, oc) output */
  guint32 *argmax; /* maxpool, training: (cap, oh, ow, oc) */
  float *mask;     /* dropout: (cap, oh, ow, oc) */
  float *xhat;     /* bn, training: (cap, oh, ow, oc) */
  float *mean;     /* bn, training: (oc) */
  float *inv_std;  /* bn, training: (oc) */
} GlOpBuffers;

/* Scratch for one batch capacity. Training workspaces keep what backward
 * needs; inference ones share the patch buffer between convolutions. */
typedef struct
{
  guint cap;
  gboolean training;
  float *x;               /* (cap, h, w, c) input */
  GlOpBuffers *ops;       /* (n_ops) */
  guint n_slots;          /* threads the patch scratch has room for */
  float *patches;         /* patches and patch gradients of a few images at a time per thread (the largest
                             n_slots × gl_conv_infer_scratch_size, and in training the largest
                             gl_conv_backward_scratch_size): convolutions keep no patch matrix */
  float *grad_a, *grad_b; /* training: (cap × largest activation) ping-pong gradients */
  float *probs;           /* (cap, n_classes) */
  double *acc;            /* (2 × widest channel count) */
  float *scale_shift;     /* (2 × widest channel count) */
  const float **in;       /* (n_ops) input of each op in the last forward */
  const float **out;      /* (n_ops) output of each op in the last forward */
  gboolean *active;       /* (n_ops) whether the op ran (dropout may be skipped) */
} GlWorkspace;

struct _GlNet
{
  /* config */
  GlNetSpec *spec;
  guint h, w, c;
  guint n_classes;
  guint n_ops;
  GlOp *ops; /* (n_ops) */
  guint emb_dim;
  gsize max_activation; /* floats per item, over the input and every op output */
  guint max_channels;

  /* params */
  float *params; /* (n_params) */
  gsize n_params;
  float *stats; /* (n_stats) batch-norm running mean and variance */
  gsize n_stats;
  GArray *tensors; /* of GlTensor */

  /* Inference parameters: params with each batch norm that follows a conv or
   * dense layer folded into that layer's weights and bias (eval mode only). */
  float *folded; /* (n_params) */

  /* grads */
  float *grads; /* (n_params), training only */

  /* scratch */
  GlWorkspace train_ws;
  GlWorkspace infer_ws;
  /* Inference with several threads: one batch per thread at a time, batch i
   * of a step in infer_ws (i = 0) or infer_more[i − 1]. */
  GlWorkspace infer_more[INFER_THREADS_MAX - 1];
};

typedef enum
{
  MODE_EVAL,  /* running statistics, no dropout */
  MODE_MC,    /* running statistics, dropout active */
  MODE_TRAIN, /* batch statistics, dropout as asked */
} ForwardMode;

/* gl-net.c: workspaces and checks */

/* Makes @ws hold batches of @cap items; allocates only when it grows. */
void gl_net_workspace_ensure (GlNet *net, GlWorkspace *ws, guint cap, gboolean training);
gboolean gl_net_check_dataset (const GlNet *net, const GlDataset *data, GError **error);
gboolean gl_net_check_labels (const GlNet *net, const gint *labels, gsize n, GError **error);
gboolean gl_net_check_cancelled (GCancellable *cancellable, GError **error);
/* Calls @cb (if any) with a progress of @phase. */
void gl_net_report (GlNetProgressFunc cb, gpointer cb_data, GlPhase phase, guint epoch, guint n_epochs,
                    guint64 batch, guint64 n_batches, double loss, double accuracy, double ips,
                    double fraction);

/* gl-net-pass.c */

/* Fills net->folded: the parameters with each batch norm that follows a conv
 * or dense layer folded into it, for the eval-mode passes. */
void gl_net_fold (GlNet *net);
/* Runs ops [first, end) on the batch of @n in ws->x (first = 0) or on the
 * outputs left by an earlier call. Returns the last output: with end =
 * n_ops, the logits (n, n_classes). */
const float *gl_net_forward_range (GlNet *net, GlWorkspace *ws, guint n, ForwardMode mode, gboolean dropout,
                                   GlRng *rng, guint first, guint end);
/* gl_net_forward_range up to the logits. */
const float *gl_net_forward (GlNet *net, GlWorkspace *ws, guint n, ForwardMode mode, gboolean dropout,
                             GlRng *rng, guint first);
/* Backward from @dlogits (n, n_classes), which is overwritten; fills net->grads. */
void gl_net_backward (GlNet *net, GlWorkspace *ws, guint n, float *dlogits);

G_END_DECLS
