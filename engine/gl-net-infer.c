/* gl-net-infer.c — inference: class probabilities, embeddings,
 * Monte-Carlo dropout and evaluation over many items, whole batches side by
 * side (see below). */
#include "engine/gl-net-private.h"

#include <math.h>
#include <string.h>

#include "engine/gl-augment.h"
#include "engine/gl-layers.h"
#include "engine/gl-parallel.h"

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
    gl_net_workspace_ensure (net, infer_workspace (net, i), (guint) MIN (n, INFER_BATCH), FALSE);
  gl_net_fold (net);
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
        gl_net_forward_range (net, ws, m, MODE_EVAL, FALSE, NULL, 0, r->split);
      if (r->probs != NULL)
        memset (r->probs + start * k, 0, sizeof (float) * m * k);
      for (guint t = 0; t < r->n_passes; t++)
        {
          GlRng rng;
          /* One stream per (pass, batch): the masks do not depend on other calls. */
          gl_rng_init_stream (&rng, r->seed, ((guint64) t << 32) ^ batch);
          const float *logits = gl_net_forward (net, ws, m, MODE_MC, TRUE, &rng, MIN (r->split, net->n_ops));
          float *out = r->mc_probs + ((gsize) t * r->n + start) * k;
          gl_softmax (m, k, logits, out);
          if (r->probs != NULL)
            for (gsize j = 0; j < (gsize) m * k; j++)
              r->probs[start * k + j] += out[j] / (float) r->n_passes;
        }
      return;
    }

  const float *logits = gl_net_forward (net, ws, m, MODE_EVAL, FALSE, NULL, 0);
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
      if (gl_net_check_cancelled (cancellable, error))
        return FALSE;
      r->batch0 = batch;
      const gsize end = r->first + infer_step (r, threads);
      for (; batch * INFER_BATCH < end; batch++)
        {
          const gsize done = MIN (r->n, (batch + 1) * INFER_BATCH);
          const double secs = (g_get_monotonic_time () - start) / 1e6;
          gl_net_report (cb, cb_data, GL_PHASE_SCORE, 0, 0, batch + 1, n_batches, NAN, NAN, secs > 0 ? done / secs : NAN,
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

  if (!gl_net_check_dataset (net, data, error))
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

  if (!gl_net_check_dataset (net, data, error))
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

gboolean
gl_net_evaluate (GlNet *net, const GlDataset *data, const guint64 *rows, const gint *labels, gsize n,
                 double *accuracy, double *loss, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
                 GError **error)
{
  const guint64 n_batches = (n + INFER_BATCH - 1) / INFER_BATCH;
  double loss_sum = 0.0;
  gsize correct = 0;

  if (!gl_net_check_dataset (net, data, error) || !gl_net_check_labels (net, labels, n, error))
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
      if (gl_net_check_cancelled (cancellable, error))
        return FALSE;
      const gsize end = r.first + infer_step (&r, threads);
      /* In batch order, as the serial loop adds them. */
      for (guint slot = 0; batch * INFER_BATCH < end; batch++, slot++)
        {
          const gsize done = MIN (n, (batch + 1) * INFER_BATCH);
          const guint m = (guint) (done - batch * INFER_BATCH);
          loss_sum += m * r.loss[slot];
          correct += r.hits[slot];
          gl_net_report (cb, cb_data, GL_PHASE_EVALUATE, 0, 0, batch + 1, n_batches, loss_sum / done,
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
