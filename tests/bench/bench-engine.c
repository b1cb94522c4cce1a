/* bench-engine.c — the engine side of tests/bench/engine-vs-torch; prints
 * figures, not a test.
 *
 * Reference mode (default): for each seed, builds the reference CNN of
 * issue 3 (gl_net_spec_reference, 28×28×1, 10 classes), trains it for one
 * epoch on the 60,000 Fashion-MNIST training images (SGD lr 0.05, momentum
 * 0.9, batch 64, no augmentation), then scores the 10,000 test images
 * (gl_net_predict, batches of 256). One line per seed:
 *
 *   engine: seed=S train_ips=F infer_ips=F acc=F loss=F train_s=F infer_s=F
 *           train_gflops=F infer_gflops=F
 *
 * then the peak RSS of this process so far (it trained on all 60,000 images)
 * and the sgemm throughput of a square N×N×N product (best of a few runs):
 * OpenBLAS's own cblas_sgemm on all the benchmark's threads with the kernels
 * the engine loaded it with (sgemm_gflops, what sgemm_share divides by), and
 * the engine's gl_sgemm, which cuts it into single-threaded blocks
 * (engine_sgemm_gflops); measured after the RSS was read so that their
 * matrices do not count:
 *
 *   engine: rss_mb=F
 *   engine: sgemm_n=N openblas_threads=T sgemm_gflops=F engine_sgemm_gflops=F
 *
 * Batches: training in batches of 64; inference in batches of
 * GL_NET_INFER_BATCH (64), one per thread side by side (printed as
 * train_batch, infer_batch and infer_batches_at_once).
 *
 * FLOPs: only the products (convolution and dense layers), 2 per
 * multiply-add. Inference = forward; training = forward + the weight
 * gradients (as many FLOPs as the forward) + the input gradients (as many
 * again, except for the first layer, which needs none). Element-wise work
 * (ReLU, pooling, softmax, the optimiser) is left out, so the figure is a
 * slight underestimate of the work done.
 *
 * Grey mode (--grey-default): trains gl_net_spec_default_grey for
 * --max-epochs epochs (15) and prints the test accuracy after each; the
 * target is judged on the final epoch (the best is printed, not judged: the
 * test set selects nothing).
 *
 * Speed mode (--grey-speed): the default grey network as the app runs it,
 * on a GlWorker. Trains one epoch on --train-limit images (10,000 if not
 * given) with the worker in the foreground (SCHED_OTHER), then the same
 * epoch from the same seed in the background (SCHED_IDLE, the app's
 * default): on an idle machine both should take the same time. Then the
 * whole-pool inference of a rescore: gl_net_predict over the 70,000
 * training and test images, with and without embeddings (best of
 * --infer-passes):
 *
 *   engine: grey-speed train_ips_normal=F train_ips_idle=F idle_vs_normal=F
 *   engine: grey-speed infer_ips=F infer_emb_ips=F n=N
 *
 * Products mode (--gemm-shapes): no training; the products of one training
 * step of the reference network, the engine's own kernel (engine/gl-gemm.h)
 * against OpenBLAS with the core type it was loaded with, one thread, in CPU
 * time (bench-engine-gemm.c).
 *
 *   bench-engine [--data DIR] [--threads N] [--seed S]... [--grey-default] [--grey-speed] [--gemm-shapes]
 */
#include "engine/gl-blas.h"
#include <math.h>
#include "bench-engine-gemm.h"
#include <sys/resource.h>

#include "engine/gl-net.h"
#include "engine/gl-worker.h"
#include "engine/gl-parallel.h"

/* An IDX file of unsigned bytes (the MNIST family), gzip-compressed or not,
 * read straight into one buffer of its exact size. */
typedef struct
{
  guint ndims;
  guint32 dims[4];
  gsize item_size; /* product of dims[1…] */
  guint8 *data;    /* (dims[0], item_size) */
} Idx;

static void
idx_free (Idx *idx)
{
  g_free (idx->data);
  g_free (idx);
}

static gboolean
read_exactly (GInputStream *in, void *buf, gsize len, const char *path, GError **error)
{
  gsize got = 0;

  if (!g_input_stream_read_all (in, buf, len, &got, NULL, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if (got != len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "%s: truncated (%" G_GSIZE_FORMAT " of %"
                   G_GSIZE_FORMAT " bytes)", path, got, len);
      return FALSE;
    }
  return TRUE;
}

static Idx *
idx_read (const char *path, guint want_ndims, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GInputStream) raw = NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autoptr (GZlibDecompressor) gunzip = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr (GError) local = NULL;
  Idx *idx;
  guint8 head[4];
  guint64 total;

  raw = G_INPUT_STREAM (g_file_read (file, NULL, &local));
  if (!raw)
    {
      g_set_error (error, G_IO_ERROR, local->code, "%s", local->message);
      return NULL;
    }
  in = g_str_has_suffix (path, ".gz") ? g_converter_input_stream_new (raw, G_CONVERTER (gunzip))
                                      : g_object_ref (raw);
  if (!read_exactly (in, head, 4, path, error))
    return NULL;
  if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != want_ndims)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not an IDX file of unsigned bytes with %u "
                   "dimensions", path, want_ndims);
      return NULL;
    }
  idx = g_new0 (Idx, 1);
  idx->ndims = want_ndims;
  idx->item_size = 1;
  for (guint d = 0; d < want_ndims; d++)
    {
      guint32 be;
      if (!read_exactly (in, &be, 4, path, error))
        return idx_free (idx), NULL;
      idx->dims[d] = GUINT32_FROM_BE (be);
      if (d > 0)
        idx->item_size *= idx->dims[d];
    }
  total = (guint64) idx->dims[0] * idx->item_size;
  if (idx->dims[0] == 0 || idx->item_size == 0 || total > (guint64) 1 << 32)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: implausible dimensions", path);
      return idx_free (idx), NULL;
    }
  idx->data = g_malloc (total);
  if (!read_exactly (in, idx->data, total, path, error))
    return idx_free (idx), NULL;
  return idx;
}

typedef struct
{
  Idx *images;
  Idx *labels;
  GlDataset view;
  guint64 *rows; /* (n): 0 … n-1 */
  gint *y;       /* (n) */
  gsize n;
} Split;

static void
split_clear (Split *s)
{
  g_clear_pointer (&s->images, idx_free);
  g_clear_pointer (&s->labels, idx_free);
  g_clear_pointer (&s->rows, g_free);
  g_clear_pointer (&s->y, g_free);
}

static gboolean
split_load (Split *s, const char *dir, const char *prefix, guint32 limit, GError **error)
{
  g_autofree char *ipath = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", dir, prefix);
  g_autofree char *lpath = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", dir, prefix);
  memset (s, 0, sizeof *s);
  s->images = idx_read (ipath, 3, error);
  if (!s->images)
    return FALSE;
  s->labels = idx_read (lpath, 1, error);
  if (!s->labels)
    return FALSE;
  if (s->images->dims[0] != s->labels->dims[0])
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s has %u images but %s has %u labels", ipath,
                   s->images->dims[0], lpath, s->labels->dims[0]);
      return FALSE;
    }
  s->n = s->images->dims[0];
  if (limit > 0 && limit < s->n)
    s->n = limit;
  s->view = (GlDataset) { .pixels = s->images->data, .row_stride = s->images->item_size,
                          .h = s->images->dims[1], .w = s->images->dims[2], .c = 1 };
  s->rows = g_new (guint64, s->n);
  s->y = g_new (gint, s->n);
  for (gsize i = 0; i < s->n; i++)
    {
      s->rows[i] = i;
      s->y[i] = s->labels->data[i];
      if (s->y[i] >= 10)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: label %d of item %" G_GSIZE_FORMAT
                       " is not a Fashion-MNIST class", lpath, s->y[i], i);
          return FALSE;
        }
    }
  return TRUE;
}

/* FLOPs of one image through the products of @net: the forward pass, and
 * the forward pass of the first product layer alone. */
static void
count_flops (GlNet *net, double *forward, double *first_layer)
{
  const GlNetSpec *spec = gl_net_get_spec (net);
  guint h, w, c;
  double total = 0.0, first = -1.0;

  gl_net_get_input_shape (net, &h, &w, &c);
  for (guint i = 0; i < spec->n_layers; i++)
    {
      const GlLayerSpec *l = &spec->layers[i];
      double f = 0.0;

      switch (l->kind)
        {
        case GL_LAYER_CONV:
          {
            guint k = l->conv.kernel, s = MAX (l->conv.stride, 1), p = l->conv.pad;
            guint oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1;
            f = 2.0 * oh * ow * k * k * c * l->conv.filters;
            h = oh;
            w = ow;
            c = l->conv.filters;
          }
          break;
        case GL_LAYER_MAXPOOL:
          h = (h - l->pool.size) / MAX (l->pool.stride, 1) + 1;
          w = (w - l->pool.size) / MAX (l->pool.stride, 1) + 1;
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          h = w = 1;
          break;
        case GL_LAYER_DENSE:
          f = 2.0 * h * w * c * l->dense.units;
          h = w = 1;
          c = l->dense.units;
          break;
        case GL_LAYER_FLATTEN:
          c = h * w * c;
          h = w = 1;
          break;
        default:
          break;
        }
      if (f > 0.0 && first < 0.0)
        first = f;
      total += f;
    }
  /* The classifier gl_net_new appends. */
  total += 2.0 * gl_net_get_embedding_dim (net) * gl_net_get_n_classes (net);
  *forward = total;
  *first_layer = MAX (first, 0.0);
}

static double
now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

static double
peak_rss_mb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

/* Best GFLOP/s of a few n×n×n sgemm runs (after one warm-up): OpenBLAS's
 * cblas_sgemm on @openblas_threads threads, or (0) the engine's gl_sgemm. */
static double
sgemm_gflops (guint n, guint reps, guint openblas_threads)
{
  gsize nn = (gsize) n * n;
  g_autofree float *a = g_new (float, nn);
  g_autofree float *b = g_new (float, nn);
  g_autofree float *c = g_new0 (float, nn);
  double best = 0.0;

  for (gsize i = 0; i < nn; i++)
    {
      a[i] = (float) ((i * 7919) % 1000) / 1000.0f - 0.5f;
      b[i] = (float) ((i * 104729) % 1000) / 1000.0f - 0.5f;
    }
  for (guint r = 0; r <= reps; r++)
    {
      /* gl_sgemm sets OpenBLAS back to one thread. */
      double t0 = now (), dt;
      if (openblas_threads > 0)
        {
          gl_blas_set_num_threads (openblas_threads);
          gl_blas_sgemm (FALSE, FALSE, (int) n, (int) n, (int) n, 1.0f, a, (int) n, b, (int) n, 0.0f, c, (int) n);
        }
      else
        gl_sgemm (FALSE, FALSE, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
      dt = now () - t0;
      if (r > 0)
        best = MAX (best, 2.0 * n * n * n / dt / 1e9);
    }
  return best;
}

/* Accuracy of @probs (n, n_classes) against @labels. */
static double
accuracy_of (const float *probs, const gint *labels, gsize n, guint n_classes)
{
  gsize correct = 0;

  for (gsize i = 0; i < n; i++)
    {
      guint best = 0;
      for (guint k = 1; k < n_classes; k++)
        if (probs[i * n_classes + k] > probs[i * n_classes + best])
          best = k;
      correct += (gint) best == labels[i];
    }
  return n ? (double) correct / n : NAN;
}

static gboolean
run_reference (Split *train, Split *test, guint64 seed, guint infer_passes, GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_reference ();
  g_autoptr (GlNet) net = NULL;
  g_autofree float *probs = NULL;
  GlTrainOptions options;
  GlTrainReport report;
  double t0, train_s, infer_s = INFINITY, acc = NAN, fwd, first, rss_train;

  net = gl_net_new (spec, train->view.h, train->view.w, train->view.c, 10, seed, error);
  if (!net)
    return FALSE;
  gl_train_options_init (&options);
  options.epochs = 1;
  options.batch_size = 64;
  options.optimizer = GL_OPTIMIZER_SGD;
  options.lr = 0.05f;
  options.momentum = 0.9f;
  options.weight_decay = 0.0f;
  options.schedule = GL_SCHEDULE_CONSTANT;
  options.augment = GL_AUGMENT_NONE;
  options.seed = seed;

  const guint64 dispatches = gl_parallel_get_n_dispatches ();
  t0 = now ();
  if (!gl_net_train (net, &train->view, train->rows, train->y, train->n, &options, NULL, NULL, NULL, &report,
                     error))
    return FALSE;
  train_s = now () - t0;
  /* How often the threads meet per training step: a figure the load of the machine does not change. */
  const double dispatches_per_step = (double) (gl_parallel_get_n_dispatches () - dispatches) / MAX (report.steps, 1);
  rss_train = peak_rss_mb ();

  /* The first pass gives the accuracy; the fastest of the passes the speed
   * (the machine is shared; the PyTorch side does the same). */
  probs = g_new (float, test->n * 10);
  for (guint p = 0; p < MAX (infer_passes, 1); p++)
    {
      t0 = now ();
      if (!gl_net_predict (net, &test->view, test->rows, test->n, probs, NULL, NULL, NULL, NULL, error))
        return FALSE;
      infer_s = MIN (infer_s, now () - t0);
      if (p == 0)
        acc = accuracy_of (probs, test->y, test->n, 10);
    }

  count_flops (net, &fwd, &first);
  g_print ("engine: seed=%" G_GUINT64_FORMAT " train_ips=%.1f infer_ips=%.1f acc=%.4f loss=%.4f train_s=%.3f "
           "infer_s=%.3f train_gflops=%.2f infer_gflops=%.2f rss_after_train_mb=%.1f rss_after_infer_mb=%.1f "
           "train_dispatches_per_step=%.1f\n",
           seed, train->n / train_s, test->n / infer_s, acc, report.train_loss, train_s, infer_s,
           (3.0 * fwd - first) * train->n / train_s / 1e9, fwd * test->n / infer_s / 1e9, rss_train,
           peak_rss_mb (), dispatches_per_step);
  return TRUE;
}

typedef struct
{
  guint epoch;         /* of the last TRAIN progress */
  double train_loss, train_acc, t_epoch_start, t_last;
  double best;
  guint best_epoch;
  double last;
} GreyState;

/* Prints one line per epoch when its validation (the test set) is done. */
static void
on_grey_progress (const GlProgress *p, gpointer user_data)
{
  GreyState *st = user_data;

  if (p->phase == GL_PHASE_TRAIN)
    {
      if (p->epoch != st->epoch)
        {
          st->epoch = p->epoch;
          st->t_epoch_start = st->t_last;
        }
      st->train_loss = p->loss;
      st->train_acc = p->accuracy;
    }
  else if (p->phase == GL_PHASE_EVALUATE && p->batch == p->n_batches)
    {
      double t = now ();
      g_print ("engine: grey epoch=%u train_loss=%.4f train_acc=%.4f test_acc=%.4f epoch_s=%.1f\n", st->epoch,
               st->train_loss, st->train_acc, p->accuracy, t - st->t_epoch_start);
      if (p->accuracy > st->best)
        {
          st->best = p->accuracy;
          st->best_epoch = st->epoch;
        }
      st->last = p->accuracy;
      st->t_last = t;
    }
}

/* The default grey network, trained as the app would: one gl_net_train
 * call for all the epochs (SGD momentum 0.9, weight decay 5e-4, cosine
 * schedule, random crop with 2 pixels of padding and horizontal flips),
 * with the test set as the per-epoch validation set so that its accuracy is
 * printed after each epoch. No early stopping and no restoring of the best
 * epoch: the test set selects nothing. */
static gboolean
run_grey_default (Split *train, Split *test, guint64 seed, guint max_epochs, double target, GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_default_grey ();
  g_autofree char *text = gl_net_spec_to_string (spec);
  g_autoptr (GlNet) net = NULL;
  const gsize row = train->view.row_stride, n_all = train->n + test->n;
  g_autofree guint8 *pixels = NULL;    /* (n_all, row): training images, then test images */
  g_autofree guint64 *val_rows = NULL; /* (test->n) */
  GlDataset all = train->view;
  GlTrainOptions options;
  GlTrainReport report;
  GreyState st = { 0 };

  /* Validation rows index the training dataset: put both sets in one buffer. */
  pixels = g_malloc (n_all * row);
  memcpy (pixels, train->images->data, train->n * row);
  memcpy (pixels + train->n * row, test->images->data, test->n * row);
  all.pixels = pixels;
  val_rows = g_new (guint64, test->n);
  for (gsize i = 0; i < test->n; i++)
    val_rows[i] = train->n + i;

  net = gl_net_new (spec, train->view.h, train->view.w, train->view.c, 10, seed, error);
  if (!net)
    return FALSE;
  g_print ("engine: grey default \"%s\", %" G_GSIZE_FORMAT " parameters, %u epochs\n", text,
           gl_net_get_n_params (net), max_epochs);

  gl_train_options_init (&options);
  options.epochs = max_epochs;
  options.batch_size = 64;
  options.optimizer = GL_OPTIMIZER_SGD;
  options.lr = 0.05f;
  options.momentum = 0.9f;
  options.weight_decay = 5e-4f;
  options.schedule = GL_SCHEDULE_COSINE;
  options.augment = GL_AUGMENT_CROP | GL_AUGMENT_FLIP;
  options.crop_pad = 2;
  options.seed = seed;
  options.val_rows = val_rows;
  options.val_labels = test->y;
  options.n_val = test->n;
  options.patience = 0;
  options.restore_best = FALSE;

  st.t_last = now ();
  if (!gl_net_train (net, &all, train->rows, train->y, train->n, &options, on_grey_progress, &st, NULL, &report,
                     error))
    return FALSE;
  /* Judged on the final epoch; the best one is printed, not judged. */
  g_print ("engine: grey final_test_acc=%.4f best_test_acc=%.4f best_epoch=%u target=%.4f %s train_s=%.1f "
           "rss_mb=%.1f\n",
           st.last, st.best, st.best_epoch, target, st.last >= target ? "met" : "MISSED", report.seconds,
           peak_rss_mb ());
  return TRUE;
}

/* ---- speed of the default grey network on the worker ---- */

typedef struct
{
  GlNet *net;
  const GlDataset *data;
  const guint64 *rows;
  const gint *labels;
  gsize n;
  guint64 seed;
  double seconds;
  gboolean done;
  GError *error;
} SpeedJob;

static gboolean
speed_train_job (GlWorkerJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  SpeedJob *j = data;
  GlTrainOptions options;
  GlTrainReport report;

  gl_train_options_init (&options);
  options.epochs = 1;
  options.batch_size = 64;
  options.optimizer = GL_OPTIMIZER_SGD;
  options.lr = 0.05f;
  options.momentum = 0.9f;
  options.weight_decay = 5e-4f;
  options.augment = GL_AUGMENT_CROP | GL_AUGMENT_FLIP;
  options.crop_pad = 2;
  options.seed = j->seed;
  const double t0 = now ();
  if (!gl_net_train (j->net, j->data, j->rows, j->labels, j->n, &options, NULL, NULL, cancellable, &report, error))
    return FALSE;
  j->seconds = now () - t0;
  return TRUE;
}

static void
on_speed_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SpeedJob *j = user_data;
  gl_worker_run_finish (NULL, result, &j->error);
  j->done = TRUE;
}

/* One training epoch on a fresh worker; returns the seconds, or a negative number on error. */
static double
speed_train (GlNetSpec *spec, Split *train, gsize n, guint64 seed, guint threads, gboolean background,
             GError **error)
{
  g_autoptr (GlNet) net = gl_net_new (spec, train->view.h, train->view.w, train->view.c, 10, seed, error);
  if (!net)
    return -1.0;
  g_autoptr (GlWorker) worker = gl_worker_new (threads, NULL);
  SpeedJob j = { net, &train->view, train->rows, train->y, n, seed, 0.0, FALSE, NULL };

  gl_worker_set_background (worker, background);
  gl_worker_run_async (worker, speed_train_job, &j, NULL, NULL, NULL, on_speed_done, &j);
  while (!j.done)
    g_main_context_iteration (NULL, TRUE);
  if (j.error != NULL)
    {
      g_propagate_error (error, j.error);
      return -1.0;
    }
  return j.seconds;
}

static gboolean
run_grey_speed (Split *train, Split *test, guint64 seed, gsize n_train, guint threads, guint infer_passes,
                GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_default_grey ();
  const gsize row = train->view.row_stride, n_all = train->n + test->n;
  n_train = n_train ? MIN (n_train, train->n) : MIN (train->n, 10000);

  /* Foreground first: an unprivileged thread may not leave SCHED_IDLE. */
  double normal_s = speed_train (spec, train, n_train, seed, threads, FALSE, error);
  if (normal_s < 0)
    return FALSE;
  double idle_s = speed_train (spec, train, n_train, seed, threads, TRUE, error);
  if (idle_s < 0)
    return FALSE;
  g_print ("engine: grey-speed train_images=%" G_GSIZE_FORMAT " train_ips_normal=%.1f train_ips_idle=%.1f "
           "idle_vs_normal=%.3f\n",
           n_train, n_train / normal_s, n_train / idle_s, normal_s / idle_s);

  /* The whole pool (training and test images) through a trained network. */
  g_autoptr (GlNet) net = gl_net_new (spec, train->view.h, train->view.w, train->view.c, 10, seed, error);
  if (!net)
    return FALSE;
  {
    GlTrainOptions options;
    gl_train_options_init (&options);
    options.epochs = 1;
    options.seed = seed;
    if (!gl_net_train (net, &train->view, train->rows, train->y, MIN (train->n, 2000), &options, NULL, NULL, NULL,
                       NULL, error))
      return FALSE;
  }
  g_autofree guint8 *pixels = g_malloc (n_all * row);
  g_autofree guint64 *rows = g_new (guint64, n_all);
  GlDataset all = train->view;
  memcpy (pixels, train->images->data, train->n * row);
  memcpy (pixels + train->n * row, test->images->data, test->n * row);
  all.pixels = pixels;
  for (gsize i = 0; i < n_all; i++)
    rows[i] = i;
  g_autofree float *probs = g_new (float, n_all * 10);
  g_autofree float *emb = g_new (float, n_all * gl_net_get_embedding_dim (net));
  double plain_s = INFINITY, emb_s = INFINITY;
  for (guint p = 0; p < infer_passes; p++)
    {
      double t0 = now ();
      if (!gl_net_predict (net, &all, rows, n_all, probs, NULL, NULL, NULL, NULL, error))
        return FALSE;
      plain_s = MIN (plain_s, now () - t0);
      t0 = now ();
      if (!gl_net_predict (net, &all, rows, n_all, probs, emb, NULL, NULL, NULL, error))
        return FALSE;
      emb_s = MIN (emb_s, now () - t0);
    }
  g_print ("engine: grey-speed infer_ips=%.1f infer_emb_ips=%.1f n=%" G_GSIZE_FORMAT "\n", n_all / plain_s,
           n_all / emb_s, n_all);
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *data_dir = g_strdup ("/usr/share/datasets/fashion-mnist");
  g_auto (GStrv) seed_args = NULL;
  gint threads = 2, infer_passes = 3, sgemm_n = 2048, max_epochs = 15, train_limit = 0;
  gboolean grey = FALSE, grey_speed = FALSE, gemm_shapes = FALSE;
  GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Folder of the four Fashion-MNIST IDX .gz files", "DIR" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default 2)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_STRING_ARRAY, &seed_args, "Seed (repeatable; default 1)", "S" },
    { "infer-passes", 0, 0, G_OPTION_ARG_INT, &infer_passes, "Timed inference passes, fastest kept (3)", "N" },
    { "sgemm-n", 0, 0, G_OPTION_ARG_INT, &sgemm_n, "Side of the reference sgemm (2048; 0 = skip)", "N" },
    { "grey-default", 0, 0, G_OPTION_ARG_NONE, &grey, "Train the default grey network instead", NULL },
    { "grey-speed", 0, 0, G_OPTION_ARG_NONE, &grey_speed, "Train and score speed of the default grey network", NULL },
    { "max-epochs", 0, 0, G_OPTION_ARG_INT, &max_epochs, "Epochs of --grey-default (15)", "N" },
    { "train-limit", 0, 0, G_OPTION_ARG_INT, &train_limit, "Use only the first N training images", "N" },
    { "gemm-shapes", 0, 0, G_OPTION_ARG_NONE, &gemm_shapes,
      "Only time the reference network's products, the engine's kernel against OpenBLAS (one thread)", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— the engine side of engine-vs-torch");
  g_autoptr (GError) error = NULL;
  Split train, test;
  gboolean ok = TRUE;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-engine: %s\n", error->message);
      return 2;
    }
  if (threads < 1 || infer_passes < 1 || max_epochs < 1 || train_limit < 0 || sgemm_n < 0)
    {
      g_printerr ("bench-engine: --threads, --infer-passes and --max-epochs must be at least 1\n");
      return 2;
    }
  gl_parallel_set_n_threads (threads);
  if (gemm_shapes)
    {
      g_autofree char *described = gl_blas_describe ();
      g_print ("gemm: kernels=\"%s\"\n", described);
      return bench_engine_gemm_shapes ((guint) infer_passes * 10) ? 0 : 1;
    }

  if (!split_load (&train, data_dir, "train", grey_speed ? 0 : (guint32) train_limit, &error) ||
      !split_load (&test, data_dir, "t10k", 0, &error))
    {
      g_printerr ("bench-engine: %s\n", error->message);
      split_clear (&train);
      split_clear (&test);
      return 1;
    }
  g_autofree char *kernels = gl_blas_describe ();
  g_print ("engine: threads=%d train=%" G_GSIZE_FORMAT " test=%" G_GSIZE_FORMAT " rss_after_load_mb=%.1f\n"
           "engine: train_batch=64 infer_batch=%d infer_batches_at_once=%u\n"
           "engine: kernels=\"%s\"\n",
           gl_parallel_get_n_threads (), train.n, test.n, peak_rss_mb (), GL_NET_INFER_BATCH,
           MIN (gl_parallel_get_n_threads (), 8u), kernels);

  if (grey_speed)
    ok = run_grey_speed (&train, &test, seed_args && seed_args[0] ? g_ascii_strtoull (seed_args[0], NULL, 10) : 1,
                         (gsize) train_limit, (guint) threads, (guint) infer_passes, &error);
  else if (grey)
    ok = run_grey_default (&train, &test, seed_args && seed_args[0] ? g_ascii_strtoull (seed_args[0], NULL, 10) : 1,
                           (guint) max_epochs, 0.915, &error);
  else
    {
      for (guint i = 0; ok && (i == 0 || (seed_args && seed_args[i])); i++)
        {
          guint64 seed = seed_args && seed_args[i] ? g_ascii_strtoull (seed_args[i], NULL, 10) : 1;
          ok = run_reference (&train, &test, seed, (guint) infer_passes, &error);
        }
      if (ok)
        {
          g_print ("engine: rss_mb=%.1f\n", peak_rss_mb ());
          if (sgemm_n > 0)
            {
              const double openblas = sgemm_gflops ((guint) sgemm_n, 3, (guint) threads);
              const double engine = sgemm_gflops ((guint) sgemm_n, 3, 0);
              g_print ("engine: sgemm_n=%d openblas_threads=%d sgemm_gflops=%.2f engine_sgemm_gflops=%.2f\n", sgemm_n,
                       threads, openblas, engine);
            }
        }
    }
  split_clear (&train);
  split_clear (&test);
  if (!ok)
    {
      g_printerr ("bench-engine: %s\n", error->message);
      return 1;
    }
  return 0;
}
