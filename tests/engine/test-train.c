/* test-train.c — training: a tiny network overfits a small batch, the loss
 * falls on a real slice of Fashion-MNIST, the same seed gives bit-identical
 * weights with one BLAS thread, cancellation lands within one batch,
 * budgets, early stopping, class weights and balanced sampling, warm
 * starts, divergence, bad options; augmentation. */
#include <math.h>
#include <string.h>

#include "engine/gl-augment.h"
#include "engine/gl-parallel.h"
#include "engine/gl-net.h"
#include "engine/gl-rng.h"
#include "gleaner-config.h"

/* ---- synthetic data: class = which quadrant is bright ---- */

typedef struct
{
  guint8 *pixels;
  guint64 *rows;
  gint *labels;
  gsize n;
  GlDataset data;
} Set;

static void
set_init_quadrants (Set *s, gsize n, guint side, guint64 seed)
{
  GlRng rng;
  gl_rng_init (&rng, seed);
  const gsize item = (gsize) side * side;
  s->pixels = g_new (guint8, n * item);
  s->rows = g_new (guint64, n);
  s->labels = g_new (gint, n);
  s->n = n;
  for (gsize i = 0; i < n; i++)
    {
      const gint label = (gint) gl_rng_below (&rng, 4);
      guint8 *img = s->pixels + i * item;
      for (guint y = 0; y < side; y++)
        for (guint x = 0; x < side; x++)
          {
            const gint q = (y >= side / 2) * 2 + (x >= side / 2);
            const guint base = q == label ? 150 : 40;
            img[y * side + x] = (guint8) (base + gl_rng_below (&rng, 100));
          }
      s->rows[i] = i;
      s->labels[i] = label;
    }
  s->data = (GlDataset){ s->pixels, item, side, side, 1 };
}

/* Random pixels and random labels: only memorising fits them. */
static void
set_init_noise (Set *s, gsize n, guint side, guint k, guint64 seed)
{
  GlRng rng;
  gl_rng_init (&rng, seed);
  const gsize item = (gsize) side * side;
  s->pixels = g_new (guint8, n * item);
  s->rows = g_new (guint64, n);
  s->labels = g_new (gint, n);
  s->n = n;
  for (gsize i = 0; i < n * item; i++)
    s->pixels[i] = (guint8) gl_rng_below (&rng, 256);
  for (gsize i = 0; i < n; i++)
    {
      s->rows[i] = i;
      s->labels[i] = (gint) (i % k);
    }
  s->data = (GlDataset){ s->pixels, item, side, side, 1 };
}

static void
set_clear (Set *s)
{
  g_free (s->pixels);
  g_free (s->rows);
  g_free (s->labels);
}

static GlNet *
build (const char *text, guint side, guint k, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNetSpec) spec = gl_net_spec_from_string (text, &error);
  g_assert_no_error (error);
  GlNet *net = gl_net_new (spec, side, side, 1, k, seed, &error);
  g_assert_no_error (error);
  return net;
}

static void
test_overfit (void)
{
  /* 32 noise images with arbitrary labels: memorised to 100%. */
  Set s;
  set_init_noise (&s, 32, 8, 4, 1);
  g_autoptr (GlNet) net = build ("conv8k3s1p1,bn,relu,maxpool2s2,dense32,relu", 8, 4, 2);
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 150;
  o.batch_size = 32;
  o.optimizer = GL_OPTIMIZER_ADAM;
  o.lr = 0.01f;
  GlTrainReport r;
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  double acc, loss;
  g_assert_true (gl_net_evaluate (net, &s.data, s.rows, s.labels, s.n, &acc, &loss, NULL, NULL, NULL, &error));
  g_assert_cmpfloat (acc, ==, 1.0);
  g_assert_cmpfloat (loss, <, 0.1);
  g_assert_cmpuint (r.epochs, ==, 150);
  g_assert_cmpuint (r.steps, ==, 150);
  g_assert_cmpfloat (r.train_accuracy, ==, 1.0);
  g_assert_true (isnan (r.best_val_accuracy));
  set_clear (&s);
}

static void
test_learns_quadrants_sgd (void)
{
  /* SGD with momentum, cosine schedule and weight decay on a learnable task. */
  Set train, test;
  set_init_quadrants (&train, 400, 12, 1);
  set_init_quadrants (&test, 200, 12, 2);
  g_autoptr (GlNet) net = build ("conv8k3s1p1,relu,maxpool2s2,conv8k3s2p1,relu,gap,dropout0.2", 12, 4, 3);
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 8;
  o.batch_size = 16;
  o.schedule = GL_SCHEDULE_COSINE;
  o.weight_decay = 1e-4f;
  o.lr = 0.05f;
  g_autoptr (GError) error = NULL;
  double acc0, loss0, acc, loss;
  g_assert_true (gl_net_evaluate (net, &test.data, test.rows, test.labels, test.n, &acc0, &loss0, NULL, NULL, NULL,
                                  &error));
  g_assert_true (gl_net_train (net, &train.data, train.rows, train.labels, train.n, &o, NULL, NULL, NULL, NULL,
                               &error));
  g_assert_no_error (error);
  g_assert_true (gl_net_evaluate (net, &test.data, test.rows, test.labels, test.n, &acc, &loss, NULL, NULL, NULL,
                                  &error));
  g_assert_cmpfloat (loss, <, loss0);
  g_assert_cmpfloat (acc, >, 0.9);
  set_clear (&train);
  set_clear (&test);
}

/* ---- Fashion-MNIST slice ---- */

static guint8 *
read_gz (const char *path, gsize *length)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileInputStream) raw = g_file_read (file, NULL, &error);
  if (raw == NULL)
    return NULL;
  g_autoptr (GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr (GInputStream) in = g_converter_input_stream_new (G_INPUT_STREAM (raw), G_CONVERTER (gz));
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 buf[65536];
  gssize got;
  while ((got = g_input_stream_read (in, buf, sizeof buf, NULL, &error)) > 0)
    g_byte_array_append (bytes, buf, (guint) got);
  g_assert_no_error (error);
  *length = bytes->len;
  return g_byte_array_free (g_steal_pointer (&bytes), FALSE);
}

static gboolean
load_fashion (Set *s, gsize n)
{
  g_autofree char *img_path = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *lab_path = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz", NULL);
  gsize img_len = 0, lab_len = 0;
  g_autofree guint8 *img = read_gz (img_path, &img_len);
  g_autofree guint8 *lab = read_gz (lab_path, &lab_len);
  if (img == NULL || lab == NULL)
    return FALSE;
  g_assert_cmpuint (img_len, >=, 16 + n * 784);
  g_assert_cmpuint (lab_len, >=, 8 + n);
  s->pixels = g_memdup2 (img + 16, n * 784);
  s->rows = g_new (guint64, n);
  s->labels = g_new (gint, n);
  s->n = n;
  for (gsize i = 0; i < n; i++)
    {
      s->rows[i] = i;
      s->labels[i] = lab[8 + i];
    }
  s->data = (GlDataset){ s->pixels, 784, 28, 28, 1 };
  return TRUE;
}

static void
test_fashion_loss_falls (void)
{
  Set s;
  if (!load_fashion (&s, 3000))
    {
      g_test_skip ("Fashion-MNIST is not installed in " GLEANER_FASHION_MNIST_DIR);
      return;
    }
  /* Train on 2,500, check on the other 500. */
  g_autoptr (GlNetSpec) spec = gl_net_spec_default_grey ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) net = gl_net_new (spec, 28, 28, 1, 10, 1, &error);
  g_assert_no_error (error);
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 3;
  o.batch_size = 32;
  o.augment = GL_AUGMENT_CROP | GL_AUGMENT_FLIP;
  o.val_rows = s.rows + 2500;
  o.val_labels = s.labels + 2500;
  o.n_val = 500;
  double acc0, loss0, acc, loss;
  g_assert_true (gl_net_evaluate (net, &s.data, s.rows + 2500, s.labels + 2500, 500, &acc0, &loss0, NULL, NULL, NULL,
                                  &error));
  GlTrainReport r;
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, 2500, &o, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_true (gl_net_evaluate (net, &s.data, s.rows + 2500, s.labels + 2500, 500, &acc, &loss, NULL, NULL, NULL,
                                  &error));
  g_test_message ("Fashion-MNIST 2,500 images, 3 epochs: loss %.3f → %.3f, accuracy %.3f → %.3f (%.0f images/s)",
                  loss0, loss, acc0, acc, r.images_per_second);
  g_assert_cmpfloat (loss, <, loss0 * 0.6);
  g_assert_cmpfloat (acc, >, 0.65);
  g_assert_cmpfloat (r.best_val_accuracy, >=, acc - 1e-9);
  g_assert_cmpuint (r.best_epoch, >=, 1);
  set_clear (&s);
}

/* ---- reproducibility ---- */

static void
test_same_seed_same_weights (void)
{
  Set s;
  set_init_quadrants (&s, 150, 12, 4);
  const char *spec = "conv6k3s1p1,bn,relu,maxpool2s2,dropout0.25,dense16,relu,dropout0.5";
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 2;
  o.batch_size = 32;
  o.augment = GL_AUGMENT_CROP | GL_AUGMENT_FLIP | GL_AUGMENT_JITTER;
  o.seed = 77;
  GlNet *nets[3];
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GError) error = NULL;
      nets[i] = build (spec, 12, 4, 5);
      GlTrainOptions oi = o;
      if (i == 2)
        oi.seed = 78;
      g_assert_true (gl_net_train (nets[i], &s.data, s.rows, s.labels, s.n, &oi, NULL, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  gboolean other_differs = FALSE;
  for (guint t = 0; t < gl_net_get_n_tensors (nets[0]); t++)
    {
      const gsize bytes = gl_net_get_tensor_size (nets[0], t) * sizeof (float);
      g_assert_cmpmem (gl_net_get_tensor_data (nets[0], t), bytes, gl_net_get_tensor_data (nets[1], t), bytes);
      other_differs |= memcmp (gl_net_get_tensor_data (nets[0], t), gl_net_get_tensor_data (nets[2], t), bytes) != 0;
    }
  g_assert_true (other_differs);
  for (int i = 0; i < 3; i++)
    gl_net_free (nets[i]);
  set_clear (&s);
}

/* In training a ReLU before a max pool runs after it, and a first-layer
 * direct convolution is fused with its pool (gl-net-pass.c): the same bits as
 * op by op. A rate-0 dropout between ReLU and pool (an identity) turns both off. */
static void
test_relu_after_pool_same_weights (void)
{
  Set s;
  set_init_quadrants (&s, 150, 12, 4);
  static const char *specs[] = {
    "conv32k3s1p1,relu,maxpool2s2,conv8k3s1p1,relu,maxpool2s2,dense16,bn,relu",
    "conv32k3s1p1,relu,dropout0,maxpool2s2,conv8k3s1p1,relu,dropout0,maxpool2s2,dense16,bn,relu",
    "conv6k3s1p1,bn,relu,maxpool2s2,dense16,relu",
    "conv6k3s1p1,bn,relu,dropout0,maxpool2s2,dense16,relu",
  };
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 2;
  o.batch_size = 32;
  o.seed = 9;
  for (guint pair = 0; pair < G_N_ELEMENTS (specs); pair += 2)
    {
      GlNet *nets[2];
      for (int i = 0; i < 2; i++)
        {
          g_autoptr (GError) error = NULL;
          nets[i] = build (specs[pair + i], 12, 4, 5);
          g_assert_true (gl_net_train (nets[i], &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
          g_assert_no_error (error);
        }
      g_assert_cmpuint (gl_net_get_n_tensors (nets[0]), ==, gl_net_get_n_tensors (nets[1]));
      for (guint t = 0; t < gl_net_get_n_tensors (nets[0]); t++)
        {
          const gsize bytes = gl_net_get_tensor_size (nets[0], t) * sizeof (float);
          g_assert_cmpmem (gl_net_get_tensor_data (nets[0], t), bytes, gl_net_get_tensor_data (nets[1], t), bytes);
        }
      for (int i = 0; i < 2; i++)
        gl_net_free (nets[i]);
    }
  set_clear (&s);
}

/* ---- progress, cancellation, budgets ---- */

typedef struct
{
  GCancellable *cancellable;
  guint cancel_at;
  guint calls;
  guint train_calls;
  guint eval_calls;
  GThread *thread;
  GlProgress last;
} ProgressLog;

static void
on_progress (const GlProgress *p, gpointer user_data)
{
  ProgressLog *log = user_data;
  g_assert_true (g_thread_self () == log->thread);
  log->calls++;
  if (p->phase == GL_PHASE_TRAIN)
    {
      log->train_calls++;
      g_assert_cmpuint (p->epoch, >=, 1);
      g_assert_cmpuint (p->batch, >=, 1);
      g_assert_cmpuint (p->batch, <=, p->n_batches);
      g_assert_true (isfinite (p->loss));
      g_assert_cmpfloat (p->accuracy, >=, 0.0);
      g_assert_cmpfloat (p->accuracy, <=, 1.0);
      g_assert_cmpfloat (p->fraction, <=, 1.0);
    }
  else if (p->phase == GL_PHASE_EVALUATE)
    log->eval_calls++;
  log->last = *p;
  if (log->cancellable != NULL && log->calls == log->cancel_at)
    g_cancellable_cancel (log->cancellable);
}

static void
test_cancel_within_batch (void)
{
  Set s;
  set_init_quadrants (&s, 200, 12, 6);
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,gap", 12, 4, 7);
  g_autoptr (GlNet) before = gl_net_copy (net);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  ProgressLog log = { cancellable, 3, 0, 0, 0, g_thread_self () };
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 5;
  o.batch_size = 10;
  GlTrainReport r;
  g_autoptr (GError) error = NULL;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, on_progress, &log, cancellable, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Cancelled during batch 3's report: no batch after it ran. */
  g_assert_cmpuint (log.train_calls, ==, 3);
  g_assert_cmpuint (r.steps, ==, 3);
  /* The weights are those of the last step, not the initial ones. */
  g_assert_true (memcmp (gl_net_get_tensor_data (net, 0), gl_net_get_tensor_data (before, 0),
                         gl_net_get_tensor_size (net, 0) * sizeof (float)) != 0);

  /* Already cancelled: nothing runs. */
  log = (ProgressLog){ NULL, 0, 0, 0, 0, g_thread_self () };
  g_clear_error (&error);
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, on_progress, &log, cancellable, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (log.calls, ==, 0);
  set_clear (&s);
}

/* The epochs epoch_end saw, and the net's probabilities for item 0 then. */
typedef struct
{
  guint calls, last_epoch;
  const GlDataset *data;
  const guint64 *rows;
  float probs[4];
} EpochLog;

static void
on_epoch_end (GlNet *net, guint epoch, gpointer data)
{
  EpochLog *e = data;
  g_assert_cmpuint (epoch, ==, e->last_epoch + 1);
  e->calls++;
  e->last_epoch = epoch;
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_net_predict (net, e->data, e->rows, 1, e->probs, NULL, NULL, NULL, NULL, &error));
}

static void
test_budgets_and_progress (void)
{
  Set s;
  set_init_quadrants (&s, 100, 12, 8);
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,gap", 12, 4, 9);
  ProgressLog log = { NULL, 0, 0, 0, 0, g_thread_self () };
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 3;
  o.batch_size = 30; /* 4 batches per epoch, the last of 10 */
  GlTrainReport r;
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, on_progress, &log, NULL, &r, &error));
  g_assert_cmpuint (log.train_calls, ==, 12);
  g_assert_cmpuint (r.steps, ==, 12);
  g_assert_cmpuint (r.epochs, ==, 3);
  g_assert_cmpuint (log.last.epoch, ==, 3);
  g_assert_cmpuint (log.last.n_batches, ==, 4);
  g_assert_cmpfloat_with_epsilon (log.last.fraction, 1.0, 1e-9);
  g_assert_cmpfloat (r.images_per_second, >, 0.0);

  /* A step budget stops part-way through an epoch; epoch_end sees each epoch
   * once, the cut one too, and the net it sees is the net at the end:
   * predicting in it changes nothing. */
  o.epochs = 0;
  o.max_steps = 6;
  log.train_calls = 0;
  EpochLog e = { 0, 0, &s.data, s.rows, { 0 } };
  o.epoch_end = on_epoch_end;
  o.epoch_end_data = &e;
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, on_progress, &log, NULL, &r, &error));
  g_assert_cmpuint (r.steps, ==, 6);
  g_assert_cmpuint (r.epochs, ==, 2);
  g_assert_cmpuint (log.train_calls, ==, 6);
  g_assert_cmpuint (e.calls, ==, 2);
  float after[4];
  g_assert_true (gl_net_predict (net, &s.data, s.rows, 1, after, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (after, sizeof after, e.probs, sizeof e.probs);
  o.epoch_end = NULL;

  /* A time budget stops too (whatever the speed, at least one step runs). */
  o.max_steps = 0;
  o.max_seconds = 1e-6;
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, &r, &error));
  g_assert_cmpuint (r.steps, ==, 1);
  set_clear (&s);
}

static void
test_early_stopping (void)
{
  /* Validation labels that no model can fit: validation accuracy cannot keep
   * improving, so patience 2 stops long before 50 epochs, and with
   * restore_best the net ends with the weights of the best epoch. */
  Set s, val;
  set_init_quadrants (&s, 120, 12, 10);
  set_init_noise (&val, 60, 12, 4, 11);
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,gap", 12, 4, 12);
  ProgressLog log = { NULL, 0, 0, 0, 0, g_thread_self () };
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 50;
  o.batch_size = 20;
  o.patience = 2;
  o.val_rows = val.rows;
  o.val_labels = val.labels;
  o.n_val = val.n;
  GlTrainReport r;
  g_autoptr (GError) error = NULL;
  /* Validation reads rows of the same dataset: put the noise rows after the training rows. */
  const gsize item = 144;
  g_autofree guint8 *all = g_new (guint8, (s.n + val.n) * item);
  memcpy (all, s.pixels, s.n * item);
  memcpy (all + s.n * item, val.pixels, val.n * item);
  for (gsize i = 0; i < val.n; i++)
    val.rows[i] = s.n + i;
  GlDataset data = { all, item, 12, 12, 1 };
  g_assert_true (gl_net_train (net, &data, s.rows, s.labels, s.n, &o, on_progress, &log, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_true (r.stopped_early);
  g_assert_cmpuint (r.epochs, <, 50);
  g_assert_cmpuint (r.epochs, ==, r.best_epoch + 2);
  g_assert_cmpuint (log.eval_calls, >=, r.epochs);
  double acc;
  g_assert_true (gl_net_evaluate (net, &data, val.rows, val.labels, val.n, &acc, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpfloat_with_epsilon (acc, r.best_val_accuracy, 1e-9);
  set_clear (&s);
  set_clear (&val);
}

static void
test_class_weights_and_balance (void)
{
  /* 95% of the items are class 0: with class weights (class 0 weighted
   * down) or balanced sampling the rare classes are still found. */
  Set s;
  set_init_quadrants (&s, 400, 12, 13);
  for (gsize i = 0; i < s.n; i++)
    if (i % 20 != 0)
      s.labels[i] = 0;
  /* Relabel consistently: class-0 items get a bright top-left quadrant. */
  for (gsize i = 0; i < s.n; i++)
    for (guint y = 0; y < 12; y++)
      for (guint x = 0; x < 12; x++)
        {
          const gint q = (y >= 6) * 2 + (x >= 6);
          guint8 *p = &s.pixels[i * 144 + y * 12 + x];
          *p = q == s.labels[i] ? 200 : 40;
        }
  float weights[4] = { 0.05f, 1.0f, 1.0f, 1.0f };
  for (int mode = 0; mode < 2; mode++)
    {
      g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,maxpool3s3,dense8,relu", 12, 4, 14);
      GlTrainOptions o;
      gl_train_options_init (&o);
      o.epochs = 15;
      o.batch_size = 20;
      if (mode == 0)
        o.class_weights = weights;
      else
        o.balanced_sampling = TRUE;
      g_autoptr (GError) error = NULL;
      g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      /* Recall of the rare classes. */
      g_autofree float *probs = g_new (float, s.n * 4);
      g_assert_true (gl_net_predict (net, &s.data, s.rows, s.n, probs, NULL, NULL, NULL, NULL, &error));
      guint rare = 0, rare_hit = 0;
      for (gsize i = 0; i < s.n; i++)
        if (s.labels[i] != 0)
          {
            guint best = 0;
            for (guint j = 1; j < 4; j++)
              if (probs[i * 4 + j] > probs[i * 4 + best])
                best = j;
            rare++;
            rare_hit += (gint) best == s.labels[i];
          }
      g_test_message ("mode %d: rare-class recall %u/%u", mode, rare_hit, rare);
      g_assert_cmpuint (rare_hit, >=, rare * 8 / 10);
    }
  set_clear (&s);
}

static void
test_warm_start (void)
{
  Set s;
  set_init_quadrants (&s, 200, 12, 15);
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,maxpool3s3,dense8,relu", 12, 4, 16);
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 2;
  o.batch_size = 20;
  o.optimizer = GL_OPTIMIZER_ADAM;
  o.lr = 0.01f;
  g_autoptr (GError) error = NULL;
  double l0, l1, l2;
  g_assert_true (gl_net_evaluate (net, &s.data, s.rows, s.labels, s.n, NULL, &l0, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_evaluate (net, &s.data, s.rows, s.labels, s.n, NULL, &l1, NULL, NULL, NULL, &error));
  /* Again, from where it was: further down (the second run did not restart). */
  g_assert_true (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_evaluate (net, &s.data, s.rows, s.labels, s.n, NULL, &l2, NULL, NULL, NULL, &error));
  g_assert_cmpfloat (l1, <, l0);
  g_assert_cmpfloat (l2, <, l1);
  set_clear (&s);
}

static void
test_diverged (void)
{
  Set s;
  set_init_quadrants (&s, 64, 12, 17);
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,dense8,relu", 12, 4, 18);
  g_autoptr (GlNet) before = gl_net_copy (net);
  GlTrainOptions o;
  gl_train_options_init (&o);
  o.epochs = 20;
  o.batch_size = 16;
  o.lr = 1e30f;
  g_autoptr (GError) error = NULL;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_DIVERGED);
  for (guint t = 0; t < gl_net_get_n_tensors (net); t++)
    {
      const gsize bytes = gl_net_get_tensor_size (net, t) * sizeof (float);
      g_assert_cmpmem (gl_net_get_tensor_data (net, t), bytes, gl_net_get_tensor_data (before, t), bytes);
    }
  set_clear (&s);
}

static void
test_bad_input (void)
{
  Set s;
  set_init_quadrants (&s, 20, 12, 19);
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,gap", 12, 4, 20);
  GlTrainOptions o;
  g_autoptr (GError) error = NULL;

  /* A label outside the classes. */
  gl_train_options_init (&o);
  s.labels[7] = 4;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Label 4"));
  g_clear_error (&error);
  s.labels[7] = -1;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  g_clear_error (&error);
  s.labels[7] = 1;

  /* No budget, no items, a bad learning rate, a bad class weight. */
  o.epochs = 0;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  g_clear_error (&error);
  gl_train_options_init (&o);
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, 0, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  g_clear_error (&error);
  o.lr = -1;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "lr"));
  g_clear_error (&error);
  gl_train_options_init (&o);
  float weights[4] = { 1, 1, NAN, 1 };
  o.class_weights = weights;
  g_assert_false (gl_net_train (net, &s.data, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  g_clear_error (&error);

  /* Images of another shape. */
  gl_train_options_init (&o);
  GlDataset wrong = s.data;
  wrong.c = 3;
  g_assert_false (gl_net_train (net, &wrong, s.rows, s.labels, s.n, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE);
  set_clear (&s);
}

/* ---- augmentation ---- */

static void
test_augment (void)
{
  /* A 4×3×2 image with distinct bytes. */
  guint8 img[24];
  for (int i = 0; i < 24; i++)
    img[i] = (guint8) (i * 10);
  GlDataset data = { img, 24, 4, 3, 2 };
  guint64 row = 0;
  float x[24];

  gl_augment_load_batch (&data, &row, 1, NULL, NULL, x);
  for (int i = 0; i < 24; i++)
    g_assert_cmpfloat (x[i], ==, img[i] / 255.0f);

  /* Flip: each draw is the image or its mirror; both occur. */
  GlAugmentConfig flip = { GL_AUGMENT_FLIP, 0, 0, 0 };
  GlRng rng;
  gl_rng_init (&rng, 1);
  gboolean seen_plain = FALSE, seen_flipped = FALSE;
  for (int t = 0; t < 32; t++)
    {
      gl_augment_load_batch (&data, &row, 1, &flip, &rng, x);
      gboolean plain = TRUE, flipped = TRUE;
      for (int y = 0; y < 4; y++)
        for (int xx = 0; xx < 3; xx++)
          for (int c = 0; c < 2; c++)
            {
              float v = x[(y * 3 + xx) * 2 + c];
              plain &= v == img[(y * 3 + xx) * 2 + c] / 255.0f;
              flipped &= v == img[(y * 3 + (2 - xx)) * 2 + c] / 255.0f;
            }
      g_assert_true (plain || flipped);
      seen_plain |= plain;
      seen_flipped |= flipped;
    }
  g_assert_true (seen_plain && seen_flipped);

  /* Crop: a shift of the image by at most pad, zeros shifted in. */
  GlAugmentConfig crop = { GL_AUGMENT_CROP, 1, 0, 0 };
  for (int t = 0; t < 32; t++)
    {
      gl_augment_load_batch (&data, &row, 1, &crop, &rng, x);
      gboolean found = FALSE;
      for (int dy = -1; dy <= 1 && !found; dy++)
        for (int dx = -1; dx <= 1 && !found; dx++)
          {
            gboolean match = TRUE;
            for (int y = 0; y < 4; y++)
              for (int xx = 0; xx < 3; xx++)
                for (int c = 0; c < 2; c++)
                  {
                    int sy = y + dy, sx = xx + dx;
                    float want = sy < 0 || sy >= 4 || sx < 0 || sx >= 3 ? 0.0f : img[(sy * 3 + sx) * 2 + c] / 255.0f;
                    match &= x[(y * 3 + xx) * 2 + c] == want;
                  }
            found = match;
          }
      g_assert_true (found);
    }

  /* Jitter stays in [0, 1] and changes the image. */
  GlAugmentConfig jitter = { GL_AUGMENT_JITTER, 0, 0.3f, 0.5f };
  gl_augment_load_batch (&data, &row, 1, &jitter, &rng, x);
  gboolean changed = FALSE;
  for (int i = 0; i < 24; i++)
    {
      g_assert_cmpfloat (x[i], >=, 0.0f);
      g_assert_cmpfloat (x[i], <=, 1.0f);
      changed |= x[i] != img[i] / 255.0f;
    }
  g_assert_true (changed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Bit-identical results need one BLAS thread. */
  gl_parallel_set_n_threads (1);
  g_test_add_func ("/engine/train/overfit", test_overfit);
  g_test_add_func ("/engine/train/learns-sgd", test_learns_quadrants_sgd);
  g_test_add_func ("/engine/train/fashion-loss-falls", test_fashion_loss_falls);
  g_test_add_func ("/engine/train/same-seed-same-weights", test_same_seed_same_weights);
  g_test_add_func ("/engine/train/relu-after-pool-same-weights", test_relu_after_pool_same_weights);
  g_test_add_func ("/engine/train/cancel-within-batch", test_cancel_within_batch);
  g_test_add_func ("/engine/train/budgets-and-progress", test_budgets_and_progress);
  g_test_add_func ("/engine/train/early-stopping", test_early_stopping);
  g_test_add_func ("/engine/train/class-weights-and-balance", test_class_weights_and_balance);
  g_test_add_func ("/engine/train/warm-start", test_warm_start);
  g_test_add_func ("/engine/train/diverged", test_diverged);
  g_test_add_func ("/engine/train/bad-input", test_bad_input);
  g_test_add_func ("/engine/train/augment", test_augment);
  return g_test_run ();
}
