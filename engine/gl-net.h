/* gl-net.h — convolutional networks: described as data, built with their
 * shapes checked, trained and run on OpenBLAS.
 *
 * LAYOUT. Every activation is channels last: a batch is (n, h, w, c) floats,
 * the layout of the project's pixel cache. A convolution is a matrix
 * product: the patches (rows·oh·ow, k·k·c) times the weights (k·k·c,
 * filters) give the output (rows·oh·ow, filters), which is already the next
 * layer's channels-last input (no transpose). It runs as one cblas_sgemm
 * per group of images whose patches fill about 1 MB (e.g. 5 images of
 * 14×14×32 — an sgemm of 980 rows — or 37 of 28×28×1), so patches go from
 * im2col to sgemm through the cache instead of memory; backward recomputes
 * them the same way rather than keeping the batch's. Dense layers flatten
 * their input in that same order. The products (gl_sgemm) and the loops
 * around them (im2col, pooling, batch norm, bias and ReLU passes) are split
 * over the engine's threads (gl-parallel.h); inference over many items runs
 * whole batches side by side instead, one per thread.
 *
 * A NETWORK SPEC is the body of the network: an ordered list of layers. The
 * classifier — a dense layer with n_classes outputs followed by softmax — is
 * appended by gl_net_new, so one spec serves any number of classes. The
 * EMBEDDING of an image is the input of that classifier (the penultimate
 * layer's output); its width is gl_net_get_embedding_dim.
 *
 * Compact text form (gl_net_spec_to_string / _from_string), comma-separated:
 *   conv<F>k<K>[s<S>][p<P>]  convolution: F filters, K×K kernel, stride S
 *                            (default 1), zero padding P (default 0)
 *   maxpool<K>[s<S>]         max pooling K×K, stride S (default K)
 *   gap                      global average pooling → (n, 1, 1, c)
 *   relu
 *   bn                       batch normalisation (per channel / per unit)
 *   dropout<R>               dropout with drop probability R in [0, 1)
 *   dense<U>                 fully connected, U units (flattens its input)
 *   flatten                  (n, h, w, c) → (n, 1, 1, h·w·c); optional
 * e.g. the reference CNN: "conv32k3s1p1,relu,maxpool2s2,conv64k3s1p1,relu,maxpool2s2,dense128,relu".
 * Whitespace around tokens is ignored. to_string writes every field, so
 * from_string (to_string (spec)) equals spec.
 *
 * PARAMETER LAYOUTS (the tensors, see gl_net_get_tensor_*):
 *   conv  weight (k, k, c_in, filters)  bias (filters)
 *   dense weight (in, units)            bias (units)   — in is the flattened
 *                                        (h, w, c) index of the input
 *   bn    gamma (c), beta (c), running_mean (c), running_var (c)
 * Weights and biases are initialised uniform in ±1/√fan_in (PyTorch's
 * default for Conv2d and Linear), gamma 1, beta 0, running mean 0, var 1.
 *
 * THREADS. A GlNet is used by one thread at a time (the engine worker, which
 * owns every BLAS call). The BLAS thread count is the caller's business.
 * Bit-identical results for the same seed need one BLAS thread.
 *
 * MEMORY. Each net keeps two workspaces (training, inference), each sized
 * for the largest batch it has run; a call that needs a larger batch grows
 * it once, at the start of the call. A training step allocates nothing.
 */
#pragma once

#include <gio/gio.h>

#include "engine/gl-worker.h"

G_BEGIN_DECLS

#define GL_NET_ERROR (gl_net_error_quark ())
GQuark gl_net_error_quark (void);

typedef enum
{
  GL_NET_ERROR_PARSE,    /* a spec string that cannot be read; the message names the token */
  GL_NET_ERROR_SHAPE,    /* a layer does not fit its input, an input shape that is not the net's */
  GL_NET_ERROR_INVALID,  /* a bad option, label, row or size */
  GL_NET_ERROR_DIVERGED, /* training produced a non-finite loss; the weights are restored */
} GlNetError;

/* ------------------------------------------------------------------ */
/* Network specs                                                       */
/* ------------------------------------------------------------------ */

typedef enum
{
  GL_LAYER_CONV,
  GL_LAYER_MAXPOOL,
  GL_LAYER_GLOBAL_AVGPOOL,
  GL_LAYER_RELU,
  GL_LAYER_BATCHNORM,
  GL_LAYER_DROPOUT,
  GL_LAYER_DENSE,
  GL_LAYER_FLATTEN,
} GlLayerKind;

typedef struct
{
  GlLayerKind kind;
  union
  {
    struct
    {
      guint filters;
      guint kernel;
      guint stride;
      guint pad;
    } conv;
    struct
    {
      guint size;
      guint stride;
    } pool;      /* GL_LAYER_MAXPOOL */
    struct
    {
      float rate; /* drop probability, [0, 1) */
    } dropout;
    struct
    {
      guint units;
    } dense;
  };
} GlLayerSpec;

typedef struct
{
  guint n_layers;
  GlLayerSpec *layers; /* (n_layers) */
} GlNetSpec;

/* An empty spec. */
GlNetSpec *gl_net_spec_new (void);
GlNetSpec *gl_net_spec_copy (const GlNetSpec *spec);
void gl_net_spec_free (GlNetSpec *spec);
void gl_net_spec_append (GlNetSpec *spec, const GlLayerSpec *layer);
gboolean gl_net_spec_equal (const GlNetSpec *a, const GlNetSpec *b);

/* The reference CNN (benchmark "same work"), for 28×28×1:
 * conv32k3s1p1,relu,maxpool2s2,conv64k3s1p1,relu,maxpool2s2,dense128,relu
 * (+ the dense-10 classifier appended by gl_net_new). */
GlNetSpec *gl_net_spec_reference (void);
/* The default for small grey images (28×28×1 class):
 * conv32k3s1p1,bn,relu,maxpool2s2,conv64k3s1p1,bn,relu,maxpool2s2,
 * dropout0.25,dense128,bn,relu,dropout0.5 — the reference CNN's work plus
 * batch norm (also on the dense layer, which keeps SGD at lr 0.05 stable
 * with dropout) and dropout; light enough to score 60,000 images in seconds. */
GlNetSpec *gl_net_spec_default_grey (void);
/* The default for colour images (e.g. 64×64×3): conv-BN-ReLU blocks with
 * pooling, global average pooling, dropout, dense. Works for any input of
 * at least 16×16. */
GlNetSpec *gl_net_spec_default_colour (void);
/* The default for an input shape: grey for c = 1 and h, w ≤ 48, otherwise colour. */
GlNetSpec *gl_net_spec_default_for_input (guint h, guint w, guint c);

/* Compact text form, see the top of this file. Free with g_free. */
char *gl_net_spec_to_string (const GlNetSpec *spec);
/* NULL with GL_NET_ERROR_PARSE naming the bad token (and its position) on error. */
GlNetSpec *gl_net_spec_from_string (const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlNetSpec, gl_net_spec_free)

/* ------------------------------------------------------------------ */
/* Networks                                                            */
/* ------------------------------------------------------------------ */

typedef struct _GlNet GlNet;

/* Builds @spec for inputs (h, w, c) and @n_classes outputs (≥ 2), weights
 * initialised from @seed. Shapes are checked here: a layer that does not fit
 * its input (a kernel larger than the padded input, a pool over nothing, …)
 * is GL_NET_ERROR_SHAPE naming the layer. */
GlNet *gl_net_new (const GlNetSpec *spec, guint h, guint w, guint c, guint n_classes, guint64 seed,
                   GError **error);
void gl_net_free (GlNet *net);
/* A deep copy: weights and batch-norm statistics (not the workspace). */
GlNet *gl_net_copy (const GlNet *net);

void gl_net_get_input_shape (const GlNet *net, guint *h, guint *w, guint *c);
guint gl_net_get_n_classes (const GlNet *net);
/* Width of the embedding (the classifier's input). */
guint gl_net_get_embedding_dim (const GlNet *net);
/* The body spec the net was built from (without the classifier); owned by the net. */
const GlNetSpec *gl_net_get_spec (const GlNet *net);
/* Learned parameters (not batch-norm running statistics). */
gsize gl_net_get_n_params (const GlNet *net);

/* Tensors, for saving and loading: every learned parameter AND every
 * batch-norm running mean/variance, in a fixed order for a given spec and
 * shape — everything inference needs. Names are "<layer>.<kind>.<what>", e.g.
 * "0.conv.weight", "1.bn.running_var", "9.dense.bias" (layer = index in the
 * built net: the spec's layers, then the classifier). The data pointer is
 * owned by the net and may be written (to load weights); it stays valid for
 * the net's lifetime. @shape receives up to 4 dims, *n_dims how many. */
guint gl_net_get_n_tensors (const GlNet *net);
const char *gl_net_get_tensor_name (const GlNet *net, guint index);
float *gl_net_get_tensor_data (GlNet *net, guint index);
gsize gl_net_get_tensor_size (const GlNet *net, guint index);
void gl_net_get_tensor_shape (const GlNet *net, guint index, guint shape[4], guint *n_dims);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlNet, gl_net_free)

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

/* A view of uint8 images: row r is (h, w, c) bytes, channels last, at
 * pixels + r × row_stride (the pixel cache's layout, app/gl-pixel-cache.h).
 * The net scales bytes to [0, 1] itself. Items are addressed by row index;
 * nothing is copied. The caller guarantees every row index it passes is
 * inside the buffer. */
typedef struct
{
  const guint8 *pixels;
  gsize row_stride; /* bytes between rows; ≥ h·w·c */
  guint h, w, c;
} GlDataset;

/* Progress callback, called on the calling thread at least once per batch;
 * the worker forwards it with gl_worker_job_report. */
typedef void (*GlNetProgressFunc) (const GlProgress *progress, gpointer user_data);

/* ------------------------------------------------------------------ */
/* Training                                                            */
/* ------------------------------------------------------------------ */

typedef enum
{
  GL_OPTIMIZER_SGD,  /* momentum; L2 weight decay added to the gradient */
  GL_OPTIMIZER_ADAM, /* AdamW: weight decay decoupled from the moments */
} GlOptimizer;

typedef enum
{
  GL_SCHEDULE_CONSTANT,
  GL_SCHEDULE_COSINE, /* lr × ½(1 + cos(π·step/total)) down to 0 over the planned steps */
  GL_SCHEDULE_STEP,   /* lr × step_gamma every step_epochs epochs */
} GlSchedule;

typedef enum
{
  GL_AUGMENT_NONE = 0,
  GL_AUGMENT_CROP = 1 << 0,   /* random crop of the image zero-padded by crop_pad on each side */
  GL_AUGMENT_FLIP = 1 << 1,   /* horizontal flip with probability ½ */
  GL_AUGMENT_JITTER = 1 << 2, /* brightness ± brightness, contrast × (1 ± contrast) */
} GlAugmentFlags;

typedef struct
{
  /* Budget: training stops at the first one reached. 0 = no limit; at least
   * one of epochs, max_seconds, max_steps must be set. */
  guint epochs;           /* default 10 */
  double max_seconds;     /* default 0 */
  guint64 max_steps;      /* default 0 */

  guint batch_size;       /* default 64; the last batch of an epoch may be smaller */

  GlOptimizer optimizer;  /* default SGD */
  float lr;               /* default 0.05 */
  float momentum;         /* SGD; default 0.9 */
  float beta1, beta2;     /* Adam; default 0.9, 0.999 */
  float epsilon;          /* Adam; default 1e-8 */
  float weight_decay;     /* default 0; biases, batch-norm gamma/beta excluded */

  /* Cosine spans the planned steps: min(epochs × steps per epoch, max_steps);
   * with only max_seconds it acts as constant. */
  GlSchedule schedule;    /* default constant */
  guint step_epochs;      /* STEP; default 5 */
  float step_gamma;       /* STEP; default 0.1 */

  GlAugmentFlags augment; /* default none */
  guint crop_pad;         /* CROP; default 2 pixels */
  float brightness;       /* JITTER; default 0.1 (added, in [0,1] units) */
  float contrast;         /* JITTER; default 0.1 (relative) */

  /* Class imbalance: either weights in the loss, or sampling each batch with
   * every class equally likely (epoch = n samples drawn with replacement). */
  const float *class_weights; /* (n_classes) or NULL */
  gboolean balanced_sampling; /* default FALSE */

  gboolean dropout;       /* dropout layers active while training; default TRUE */

  guint64 seed;           /* shuffling, augmentation, dropout; default 0 */

  /* Validation after each epoch, if n_val > 0. Early stopping: stop after
   * @patience epochs without a better validation accuracy (0 = never); with
   * @restore_best the weights of the best epoch are kept at the end. */
  const guint64 *val_rows; /* (n_val) */
  const gint *val_labels;  /* (n_val) */
  gsize n_val;
  guint patience;          /* default 0 */
  gboolean restore_best;   /* default TRUE */

  /* Called on the training thread after each epoch's last step, before its
   * validation, with the net in its state of that moment (@epoch 1-based).
   * It may run inference on the net (e.g. to average predictions over the
   * last epochs), not train it. NULL: none. */
  void (*epoch_end) (GlNet *net, guint epoch, gpointer data);
  gpointer epoch_end_data;
} GlTrainOptions;

void gl_train_options_init (GlTrainOptions *options);

typedef struct
{
  guint epochs;             /* epochs started (a budget may stop one part-way) */
  guint64 steps;            /* optimiser steps */
  double train_loss;        /* mean over the last epoch's batches */
  double train_accuracy;    /* on the last epoch's (augmented) batches */
  double best_val_accuracy; /* NaN without validation */
  guint best_epoch;         /* 1-based; 0 without validation */
  gboolean stopped_early;   /* by patience */
  double seconds;
  double images_per_second; /* training images per second */
} GlTrainReport;

/* Trains @net (warm start: its current weights) on the @n items @rows of
 * @data with @labels in [0, n_classes). @data's shape must be the net's.
 * @cb (may be NULL) gets phase TRAIN per batch and EVALUATE during
 * validation. @cancellable is checked every batch: G_IO_ERROR_CANCELLED,
 * the net keeps the weights of the last completed step. @report may be NULL.
 * A non-finite loss stops with GL_NET_ERROR_DIVERGED and the weights of
 * before the call. */
gboolean gl_net_train (GlNet *net, const GlDataset *data, const guint64 *rows, const gint *labels, gsize n,
                       const GlTrainOptions *options, GlNetProgressFunc cb, gpointer cb_data,
                       GCancellable *cancellable, GlTrainReport *report, GError **error);

/* ------------------------------------------------------------------ */
/* Inference                                                           */
/* ------------------------------------------------------------------ */

/* Items per inference batch: each engine thread runs whole batches of this
 * many, side by side (see gl-net-infer.c). */
#define GL_NET_INFER_BATCH 64

/* Class probabilities of @n items, in batches of up to 64 (dropout off,
 * batch norm with running statistics: deterministic). @probs: (n, n_classes);
 * @embeddings: (n, embedding_dim) or NULL. @cb gets phase SCORE per batch. */
gboolean gl_net_predict (GlNet *net, const GlDataset *data, const guint64 *rows, gsize n, float *probs,
                         float *embeddings, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
                         GError **error);

/* @n_passes Monte-Carlo-dropout passes: dropout active (masks drawn from
 * @seed), batch norm in eval mode. @mc_probs: (n_passes, n, n_classes) — the
 * layout of GlAcquirePool.mc_probs for gl_acquire_bald. @probs: (n, n_classes)
 * the mean over passes, or NULL. A net without dropout layers gives equal passes. */
gboolean gl_net_predict_mc (GlNet *net, const GlDataset *data, const guint64 *rows, gsize n, guint n_passes,
                            guint64 seed, float *mc_probs, float *probs, GlNetProgressFunc cb, gpointer cb_data,
                            GCancellable *cancellable, GError **error);

/* Accuracy and mean cross-entropy of @n labelled items (eval mode). Either
 * output may be NULL. */
gboolean gl_net_evaluate (GlNet *net, const GlDataset *data, const guint64 *rows, const gint *labels, gsize n,
                          double *accuracy, double *loss, GlNetProgressFunc cb, gpointer cb_data,
                          GCancellable *cancellable, GError **error);

/* Inference on float inputs @x: (n, h, w, c), already scaled (no /255).
 * Eval mode (deterministic). @probs: (n, n_classes); @embeddings: (n, dim) or NULL. */
void gl_net_forward_floats (GlNet *net, const float *x, gsize n, float *probs, float *embeddings);

G_END_DECLS
