/* test-net.c — network specs (text form, built-ins), building with shape
 * checks, tensors, copies and inference (predict, embeddings, MC dropout). */
#include <math.h>
#include <string.h>

#include "engine/gl-acquire.h"
#include "engine/gl-parallel.h"
#include "engine/gl-net.h"
#include "engine/gl-rng.h"

/* ---- specs ---- */

static void
test_spec_round_trip (void)
{
  static const char *texts[] = {
    "conv32k3s1p1,relu,maxpool2s2,conv64k3s1p1,relu,maxpool2s2,dense128,relu",
    "conv8k5s2p2,bn,relu,maxpool3s2,gap,dropout0.3,dense10",
    "flatten,dense4,dropout0.125,relu",
    "",
  };
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlNetSpec) spec = gl_net_spec_from_string (texts[i], &error);
      g_assert_no_error (error);
      g_autofree char *text = gl_net_spec_to_string (spec);
      g_assert_cmpstr (text, ==, texts[i]);
      g_autoptr (GlNetSpec) again = gl_net_spec_from_string (text, &error);
      g_assert_no_error (error);
      g_assert_true (gl_net_spec_equal (spec, again));
    }

  /* Defaults and whitespace: conv stride 1 pad 0, pool stride = size. */
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNetSpec) spec = gl_net_spec_from_string (" conv16k3 , maxpool2 ,batchnorm, dropout.5", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spec->n_layers, ==, 4);
  g_assert_cmpint (spec->layers[0].kind, ==, GL_LAYER_CONV);
  g_assert_cmpuint (spec->layers[0].conv.filters, ==, 16);
  g_assert_cmpuint (spec->layers[0].conv.kernel, ==, 3);
  g_assert_cmpuint (spec->layers[0].conv.stride, ==, 1);
  g_assert_cmpuint (spec->layers[0].conv.pad, ==, 0);
  g_assert_cmpuint (spec->layers[1].pool.stride, ==, 2);
  g_assert_cmpint (spec->layers[2].kind, ==, GL_LAYER_BATCHNORM);
  g_assert_cmpfloat (spec->layers[3].dropout.rate, ==, 0.5f);
  g_autofree char *text = gl_net_spec_to_string (spec);
  g_assert_cmpstr (text, ==, "conv16k3s1p0,maxpool2s2,bn,dropout0.5");

  /* Built-ins parse, print and differ from one another. */
  g_autoptr (GlNetSpec) ref = gl_net_spec_reference ();
  g_autoptr (GlNetSpec) grey = gl_net_spec_default_grey ();
  g_autoptr (GlNetSpec) colour = gl_net_spec_default_colour ();
  g_autoptr (GlNetSpec) for_grey = gl_net_spec_default_for_input (28, 28, 1);
  g_autoptr (GlNetSpec) for_colour = gl_net_spec_default_for_input (64, 64, 3);
  g_assert_nonnull (ref);
  g_assert_nonnull (grey);
  g_assert_nonnull (colour);
  g_assert_cmpuint (ref->n_layers, ==, 8);
  g_assert_true (gl_net_spec_equal (grey, for_grey));
  g_assert_true (gl_net_spec_equal (colour, for_colour));
  g_assert_false (gl_net_spec_equal (grey, colour));
  g_assert_false (gl_net_spec_equal (ref, grey));
  g_autoptr (GlNetSpec) copy = gl_net_spec_copy (colour);
  g_assert_true (gl_net_spec_equal (copy, colour));
}

static void
test_spec_parse_errors (void)
{
  static const struct
  {
    const char *text;
    const char *token;
  } bad[] = {
    { "conv32k3s1p1,rellu,dense10", "rellu" },
    { "conv32,relu", "conv32" },            /* no kernel */
    { "conv0k3", "conv0k3" },               /* no filters */
    { "conv8k3k3", "conv8k3k3" },           /* kernel twice */
    { "conv8k3x1", "conv8k3x1" },
    { "maxpool", "maxpool" },
    { "maxpool2s0", "maxpool2s0" },
    { "dropout1.5", "dropout1.5" },
    { "dropout1", "dropout1" },
    { "dropout-0.1", "dropout-0.1" },
    { "dense", "dense" },
    { "dense12x", "dense12x" },
    { "dense99999999", "dense99999999" },
    { "relu,,relu", "" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlNetSpec) spec = gl_net_spec_from_string (bad[i].text, &error);
      g_assert_null (spec);
      g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_PARSE);
      g_autofree char *quoted = g_strdup_printf ("“%s”", bad[i].token);
      if (strstr (error->message, quoted) == NULL)
        g_error ("“%s”: the message “%s” does not name the token", bad[i].text, error->message);
    }
}

/* ---- building ---- */

static GlNet *
build (const char *text, guint h, guint w, guint c, guint k, GError **error)
{
  g_autoptr (GlNetSpec) spec = gl_net_spec_from_string (text, NULL);
  g_assert_nonnull (spec);
  return gl_net_new (spec, h, w, c, k, 1, error);
}

static void
test_shape_errors (void)
{
  static const struct
  {
    const char *text;
    guint h, w, c, k;
    const char *needle;
  } bad[] = {
    { "conv8k5s1p0", 3, 3, 1, 10, "Layer 1" },                          /* kernel larger than the input */
    { "conv8k3s1p1,maxpool2s2,maxpool2s2,maxpool2s2", 7, 7, 1, 10, "Layer 4" }, /* 7→3→1, then nothing */
    { "conv8k3s1p3", 8, 8, 1, 10, "Layer 1" },                          /* padding as large as the kernel */
    { "relu", 0, 8, 1, 10, "zero" },
    { "relu", 8, 8, 1, 1, "2 classes" },
    { "conv65535k3s1p1,conv65535k3s1p1", 256, 256, 3, 10, "too large" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlNet) net = build (bad[i].text, bad[i].h, bad[i].w, bad[i].c, bad[i].k, &error);
      g_assert_null (net);
      g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE);
      if (strstr (error->message, bad[i].needle) == NULL)
        g_error ("“%s”: “%s” lacks “%s”", bad[i].text, error->message, bad[i].needle);
    }
}

static void
test_build_reference (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNetSpec) spec = gl_net_spec_reference ();
  g_autoptr (GlNet) net = gl_net_new (spec, 28, 28, 1, 10, 7, &error);
  g_assert_no_error (error);
  guint h, w, c;
  gl_net_get_input_shape (net, &h, &w, &c);
  g_assert_cmpuint (h, ==, 28);
  g_assert_cmpuint (w, ==, 28);
  g_assert_cmpuint (c, ==, 1);
  g_assert_cmpuint (gl_net_get_n_classes (net), ==, 10);
  g_assert_cmpuint (gl_net_get_embedding_dim (net), ==, 128);
  g_assert_true (gl_net_spec_equal (gl_net_get_spec (net), spec));
  /* 3·3·1·32+32 + 3·3·32·64+64 + 3136·128+128 + 128·10+10 */
  g_assert_cmpuint (gl_net_get_n_params (net), ==, 320 + 18496 + 401536 + 1290);

  /* Tensors: conv, conv, dense, classifier — weight and bias each. */
  static const char *names[] = { "0.conv.weight", "0.conv.bias", "3.conv.weight", "3.conv.bias",
                                 "6.dense.weight", "6.dense.bias", "8.dense.weight", "8.dense.bias" };
  g_assert_cmpuint (gl_net_get_n_tensors (net), ==, G_N_ELEMENTS (names));
  gsize total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      guint shape[4], n_dims;
      g_assert_cmpstr (gl_net_get_tensor_name (net, i), ==, names[i]);
      gl_net_get_tensor_shape (net, i, shape, &n_dims);
      gsize size = 1;
      for (guint d = 0; d < n_dims; d++)
        size *= shape[d];
      g_assert_cmpuint (size, ==, gl_net_get_tensor_size (net, i));
      g_assert_nonnull (gl_net_get_tensor_data (net, i));
      total += size;
    }
  g_assert_cmpuint (total, ==, gl_net_get_n_params (net));
  guint shape[4], n_dims;
  gl_net_get_tensor_shape (net, 2, shape, &n_dims);
  g_assert_cmpuint (n_dims, ==, 4);
  g_assert_cmpuint (shape[0], ==, 3);
  g_assert_cmpuint (shape[2], ==, 32);
  g_assert_cmpuint (shape[3], ==, 64);
  gl_net_get_tensor_shape (net, 4, shape, &n_dims);
  g_assert_cmpuint (n_dims, ==, 2);
  g_assert_cmpuint (shape[0], ==, 3136);
  g_assert_cmpuint (shape[1], ==, 128);

  /* Same seed, same weights; another seed, others. */
  g_autoptr (GlNet) same = gl_net_new (spec, 28, 28, 1, 10, 7, NULL);
  g_autoptr (GlNet) other = gl_net_new (spec, 28, 28, 1, 10, 8, NULL);
  const float *a = gl_net_get_tensor_data (net, 2), *b = gl_net_get_tensor_data (same, 2),
              *o = gl_net_get_tensor_data (other, 2);
  g_assert_cmpmem (a, 18432 * sizeof (float), b, 18432 * sizeof (float));
  g_assert_true (memcmp (a, o, 18432 * sizeof (float)) != 0);
}

static void
test_default_nets (void)
{
  /* The defaults build for the shapes they are meant for, and predict. */
  static const guint shapes[][3] = { { 28, 28, 1 }, { 48, 40, 1 }, { 64, 64, 3 }, { 16, 16, 3 }, { 96, 72, 3 } };
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const guint h = shapes[i][0], w = shapes[i][1], c = shapes[i][2];
      g_autoptr (GError) error = NULL;
      g_autoptr (GlNetSpec) spec = gl_net_spec_default_for_input (h, w, c);
      g_autoptr (GlNet) net = gl_net_new (spec, h, w, c, 5, 1, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (gl_net_get_embedding_dim (net), ==, 128);
      g_autofree guint8 *pixels = g_new0 (guint8, 3 * h * w * c);
      for (gsize j = 0; j < 3 * h * w * c; j++)
        pixels[j] = (guint8) (j * 7);
      GlDataset data = { pixels, (gsize) h * w * c, h, w, c };
      guint64 rows[3] = { 0, 1, 2 };
      float probs[15];
      g_assert_true (gl_net_predict (net, &data, rows, 3, probs, NULL, NULL, NULL, NULL, &error));
      for (guint j = 0; j < 15; j++)
        g_assert_true (isfinite (probs[j]));
    }
}

static void
test_batchnorm_tensors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) net = build ("conv4k3s1p1,bn,relu,gap,dense6,bn", 8, 8, 3, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_net_get_embedding_dim (net), ==, 6);
  static const char *names[] = { "0.conv.weight", "0.conv.bias", "1.bn.gamma", "1.bn.beta", "1.bn.running_mean",
                                 "1.bn.running_var", "4.dense.weight", "4.dense.bias", "5.bn.gamma", "5.bn.beta",
                                 "5.bn.running_mean", "5.bn.running_var", "6.dense.weight", "6.dense.bias" };
  g_assert_cmpuint (gl_net_get_n_tensors (net), ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (gl_net_get_tensor_name (net, i), ==, names[i]);
  g_assert_cmpfloat (gl_net_get_tensor_data (net, 5)[0], ==, 1.0f); /* running var starts at 1 */
  g_assert_cmpfloat (gl_net_get_tensor_data (net, 2)[0], ==, 1.0f); /* gamma 1 */
}

/* ---- inference ---- */

typedef struct
{
  guint8 *pixels;
  guint64 *rows;
  gsize n;
  GlDataset data;
} Images;

static void
images_init (Images *im, gsize n, guint h, guint w, guint c, guint64 seed)
{
  GlRng rng;
  gl_rng_init (&rng, seed);
  /* A stride longer than an image, to catch code that assumes h·w·c. */
  const gsize stride = (gsize) h * w * c + 3;
  im->pixels = g_new (guint8, n * stride);
  for (gsize i = 0; i < n * stride; i++)
    im->pixels[i] = (guint8) gl_rng_below (&rng, 256);
  im->rows = g_new (guint64, n);
  for (gsize i = 0; i < n; i++)
    im->rows[i] = n - 1 - i; /* reversed: rows are indices, not positions */
  im->n = n;
  im->data = (GlDataset){ im->pixels, stride, h, w, c };
}

static void
images_clear (Images *im)
{
  g_free (im->pixels);
  g_free (im->rows);
}

static void
test_predict (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) net = build ("conv6k3s1p1,bn,relu,maxpool2s2,conv8k3s2p1,relu,dropout0.5,dense12,relu", 12, 10,
                                 2, 4, &error);
  g_assert_no_error (error);
  /* 300 items: two batches of 256 and 44. */
  Images im;
  images_init (&im, 300, 12, 10, 2, 3);
  const guint k = 4, dim = gl_net_get_embedding_dim (net);
  g_assert_cmpuint (dim, ==, 12);
  g_autofree float *probs = g_new (float, im.n * k);
  g_autofree float *probs2 = g_new (float, im.n * k);
  g_autofree float *emb = g_new (float, im.n * dim);
  g_autofree float *emb_one = g_new (float, dim);
  g_autofree float *probs_one = g_new (float, k);

  g_assert_true (gl_net_predict (net, &im.data, im.rows, im.n, probs, emb, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < im.n; i++)
    {
      double s = 0;
      for (guint j = 0; j < k; j++)
        {
          g_assert_true (isfinite (probs[i * k + j]));
          s += probs[i * k + j];
        }
      g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-5);
    }
  /* Deterministic, and independent of the batch an item is in. */
  g_assert_true (gl_net_predict (net, &im.data, im.rows, im.n, probs2, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (probs, im.n * k * sizeof (float), probs2, im.n * k * sizeof (float));
  g_assert_true (gl_net_predict (net, &im.data, im.rows + 277, 1, probs_one, emb_one, NULL, NULL, NULL, &error));
  for (guint j = 0; j < k; j++)
    g_assert_cmpfloat_with_epsilon (probs_one[j], probs[277 * k + j], 1e-5);
  for (guint j = 0; j < dim; j++)
    {
      g_assert_cmpfloat_with_epsilon (emb_one[j], emb[277 * dim + j], 1e-4);
      g_assert_cmpfloat (emb[277 * dim + j], >=, 0.0f); /* after a ReLU */
    }

  /* Float inputs give the same answer as bytes / 255. */
  const gsize item = 12 * 10 * 2;
  g_autofree float *x = g_new (float, 5 * item);
  for (gsize i = 0; i < 5; i++)
    for (gsize j = 0; j < item; j++)
      x[i * item + j] = im.pixels[im.rows[i] * im.data.row_stride + j] / 255.0f;
  gl_net_forward_floats (net, x, 5, probs2, NULL);
  for (gsize j = 0; j < 5 * k; j++)
    g_assert_cmpfloat_with_epsilon (probs2[j], probs[j], 1e-5);

  /* A copy predicts the same, and stays so when the original changes. */
  g_autoptr (GlNet) copy = gl_net_copy (net);
  g_assert_true (gl_net_predict (copy, &im.data, im.rows, im.n, probs2, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (probs, im.n * k * sizeof (float), probs2, im.n * k * sizeof (float));
  for (guint t = 0; t < gl_net_get_n_tensors (net); t++)
    {
      float *d = gl_net_get_tensor_data (net, t);
      for (gsize j = 0; j < gl_net_get_tensor_size (net, t); j++)
        d[j] *= 0.5f;
    }
  g_assert_true (gl_net_predict (copy, &im.data, im.rows, im.n, probs2, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (probs, im.n * k * sizeof (float), probs2, im.n * k * sizeof (float));

  /* Zero items is fine. */
  g_assert_true (gl_net_predict (net, &im.data, im.rows, 0, probs2, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The wrong image shape is an error naming both shapes. */
  GlDataset wrong = { im.pixels, 12 * 10 * 2, 10, 12, 2 };
  g_assert_false (gl_net_predict (net, &wrong, im.rows, 5, probs2, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "10×12×2"));
  images_clear (&im);
}

static void
test_predict_mc (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,maxpool2s2,dropout0.3,dense16,relu,dropout0.5", 8, 8, 1, 3,
                                 &error);
  g_assert_no_error (error);
  Images im;
  images_init (&im, 270, 8, 8, 1, 4);
  const guint k = 3, T = 5;
  g_autofree float *mc = g_new (float, (gsize) T * im.n * k);
  g_autofree float *mc2 = g_new (float, (gsize) T * im.n * k);
  g_autofree float *mean = g_new (float, im.n * k);
  g_autofree float *probs = g_new (float, im.n * k);
  g_autofree float *probs2 = g_new (float, im.n * k);
  g_autofree float *bald = g_new (float, im.n);

  g_assert_true (gl_net_predict (net, &im.data, im.rows, im.n, probs, NULL, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_predict_mc (net, &im.data, im.rows, im.n, T, 11, mc, mean, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* Passes differ from each other and from the deterministic prediction. */
  g_assert_true (memcmp (mc, mc + im.n * k, im.n * k * sizeof (float)) != 0);
  g_assert_true (memcmp (mc, probs, im.n * k * sizeof (float)) != 0);
  for (gsize i = 0; i < im.n * k; i++)
    {
      double s = 0;
      for (guint t = 0; t < T; t++)
        s += mc[t * im.n * k + i];
      g_assert_cmpfloat_with_epsilon (mean[i], s / T, 1e-5);
    }
  /* Same seed, same passes (MC dropout is reproducible); predict is unchanged by it. */
  g_assert_true (gl_net_predict_mc (net, &im.data, im.rows, im.n, T, 11, mc2, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (mc, T * im.n * k * sizeof (float), mc2, T * im.n * k * sizeof (float));
  g_assert_true (gl_net_predict (net, &im.data, im.rows, im.n, probs2, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (probs, im.n * k * sizeof (float), probs2, im.n * k * sizeof (float));
  /* The layout is what BALD takes: some items disagree across passes. */
  gl_acquire_bald (mc, T, im.n, k, bald);
  float max_bald = 0;
  for (gsize i = 0; i < im.n; i++)
    max_bald = MAX (max_bald, bald[i]);
  g_assert_cmpfloat (max_bald, >, 0.0f);

  /* Without dropout layers every pass is the deterministic prediction. */
  g_autoptr (GlNet) plain = build ("conv4k3s1p1,relu,gap", 8, 8, 1, 3, &error);
  g_assert_true (gl_net_predict (plain, &im.data, im.rows, im.n, probs, NULL, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_predict_mc (plain, &im.data, im.rows, im.n, 2, 1, mc, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (mc, im.n * k * sizeof (float), probs, im.n * k * sizeof (float));
  g_assert_cmpmem (mc + im.n * k, im.n * k * sizeof (float), probs, im.n * k * sizeof (float));

  g_assert_false (gl_net_predict_mc (net, &im.data, im.rows, im.n, 0, 1, mc, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID);
  images_clear (&im);
}

static void
test_folded_batchnorm (void)
{
  /* At inference a batch norm right after a conv or dense layer is folded
   * into its weights. A rate-0 dropout between them prevents the folding
   * and gives the reference. */
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) folded = build ("conv5k3s1p1,bn,relu,maxpool2s2,dense7,bn,relu", 8, 8, 2, 3, &error);
  g_assert_no_error (error);
  g_autoptr (GlNet) plain = build ("conv5k3s1p1,dropout0,bn,relu,maxpool2s2,dense7,dropout0,bn,relu", 8, 8, 2, 3,
                                   &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_net_get_n_tensors (folded), ==, gl_net_get_n_tensors (plain));
  GlRng rng;
  gl_rng_init (&rng, 9);
  for (guint t = 0; t < gl_net_get_n_tensors (folded); t++)
    {
      float *a = gl_net_get_tensor_data (folded, t), *b = gl_net_get_tensor_data (plain, t);
      const char *name = gl_net_get_tensor_name (folded, t);
      for (gsize j = 0; j < gl_net_get_tensor_size (folded, t); j++)
        {
          /* Running variances positive, everything else of either sign. */
          a[j] = g_str_has_suffix (name, "running_var") ? 0.2f + gl_rng_float (&rng)
                                                        : 2.0f * gl_rng_float (&rng) - 1.0f;
          b[j] = a[j];
        }
    }
  Images im;
  images_init (&im, 70, 8, 8, 2, 10);
  g_autofree float *pa = g_new (float, im.n * 3);
  g_autofree float *pb = g_new (float, im.n * 3);
  g_autofree float *ea = g_new (float, im.n * 7);
  g_autofree float *eb = g_new (float, im.n * 7);
  g_assert_true (gl_net_predict (folded, &im.data, im.rows, im.n, pa, ea, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_predict (plain, &im.data, im.rows, im.n, pb, eb, NULL, NULL, NULL, &error));
  for (gsize i = 0; i < im.n * 3; i++)
    g_assert_cmpfloat_with_epsilon (pa[i], pb[i], 1e-5);
  for (gsize i = 0; i < im.n * 7; i++)
    g_assert_cmpfloat_with_epsilon (ea[i], eb[i], 1e-4);
  /* Training does not see the folded weights: the tensors are unchanged. */
  for (guint t = 0; t < gl_net_get_n_tensors (folded); t++)
    {
      const gsize bytes = gl_net_get_tensor_size (folded, t) * sizeof (float);
      g_assert_cmpmem (gl_net_get_tensor_data (folded, t), bytes, gl_net_get_tensor_data (plain, t), bytes);
    }
  images_clear (&im);
}

static void
on_cancel_progress (const GlProgress *p, gpointer user_data)
{
  GCancellable *cancellable = user_data;
  g_assert_cmpint (p->phase, ==, GL_PHASE_SCORE);
  g_cancellable_cancel (cancellable);
}

static void
test_predict_cancel (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) net = build ("conv4k3s1p1,relu,gap", 8, 8, 1, 3, &error);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Images im;
  images_init (&im, 600, 8, 8, 1, 5);
  g_autofree float *probs = g_new (float, im.n * 3);
  g_assert_false (gl_net_predict (net, &im.data, im.rows, im.n, probs, NULL, on_cancel_progress, cancellable,
                                  cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  images_clear (&im);
}

/* Whole-pool inference with 2 or 3 threads (one batch per thread at a time)
 * gives what one thread gives: probabilities, embeddings, Monte-Carlo
 * passes, the evaluation and float inputs, over several batches and a
 * partial last one. */
typedef struct
{
  float *probs, *emb, *mc, *mc_mean, *fprobs, *femb;
  double acc, loss;
} InferOut;

static void
infer_all (GlNet *net, Images *im, const gint *labels, const float *x, guint threads, InferOut *o)
{
  g_autoptr (GError) error = NULL;
  const guint k = 3, dim = gl_net_get_embedding_dim (net), T = 3;

  gl_parallel_set_n_threads (threads);
  o->probs = g_new (float, im->n * k);
  o->emb = g_new (float, im->n * dim);
  o->mc = g_new (float, T * im->n * k);
  o->mc_mean = g_new (float, im->n * k);
  o->fprobs = g_new (float, im->n * k);
  o->femb = g_new (float, im->n * dim);
  g_assert_true (gl_net_predict (net, &im->data, im->rows, im->n, o->probs, o->emb, NULL, NULL, NULL, &error));
  g_assert_true (gl_net_predict_mc (net, &im->data, im->rows, im->n, T, 5, o->mc, o->mc_mean, NULL, NULL, NULL,
                                    &error));
  g_assert_true (gl_net_evaluate (net, &im->data, im->rows, labels, im->n, &o->acc, &o->loss, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  gl_net_forward_floats (net, x, im->n, o->fprobs, o->femb);
  gl_parallel_set_n_threads (1);
}

static void
assert_close (const float *a, const float *b, gsize n)
{
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat_with_epsilon (a[i], b[i], 1e-5);
}

static void
infer_out_clear (InferOut *o)
{
  g_free (o->probs);
  g_free (o->emb);
  g_free (o->mc);
  g_free (o->mc_mean);
  g_free (o->fprobs);
  g_free (o->femb);
}

static void
test_infer_threads (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNet) net = build ("conv6k3s1p1,bn,relu,maxpool2s2,conv8k3s1p1,bn,relu,dropout0.3,dense12,bn,relu,"
                                 "dropout0.5", 12, 10, 2, 3, &error);
  g_assert_no_error (error);
  Images im;
  /* 5 full batches of 64 and 13 more. */
  images_init (&im, 5 * 64 + 13, 12, 10, 2, 9);
  GlRng rng;
  gl_rng_init (&rng, 2);
  g_autofree gint *labels = g_new (gint, im.n);
  g_autofree float *x = g_new (float, im.n * 12 * 10 * 2);
  for (gsize i = 0; i < im.n; i++)
    labels[i] = (gint) gl_rng_below (&rng, 3);
  for (gsize i = 0; i < im.n * 12 * 10 * 2; i++)
    x[i] = (float) gl_rng_below (&rng, 1000) / 500.0f - 1.0f;
  /* A few training steps, so that the batch norms hold real statistics. */
  GlTrainOptions options;
  gl_train_options_init (&options);
  options.epochs = 1;
  g_assert_true (gl_net_train (net, &im.data, im.rows, labels, im.n, &options, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  const guint dim = gl_net_get_embedding_dim (net);
  InferOut one, more;
  infer_all (net, &im, labels, x, 1, &one);
  for (guint threads = 2; threads <= 3; threads++)
    {
      infer_all (net, &im, labels, x, threads, &more);
      assert_close (one.probs, more.probs, im.n * 3);
      assert_close (one.emb, more.emb, im.n * dim);
      assert_close (one.mc, more.mc, 3 * im.n * 3);
      assert_close (one.mc_mean, more.mc_mean, im.n * 3);
      assert_close (one.fprobs, more.fprobs, im.n * 3);
      assert_close (one.femb, more.femb, im.n * dim);
      g_assert_cmpfloat (one.acc, ==, more.acc);
      g_assert_cmpfloat_with_epsilon (one.loss, more.loss, 1e-6);
      infer_out_clear (&more);
    }
  infer_out_clear (&one);
  images_clear (&im);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gl_parallel_set_n_threads (1);
  g_test_add_func ("/engine/net/spec-round-trip", test_spec_round_trip);
  g_test_add_func ("/engine/net/infer-threads", test_infer_threads);
  g_test_add_func ("/engine/net/spec-parse-errors", test_spec_parse_errors);
  g_test_add_func ("/engine/net/shape-errors", test_shape_errors);
  g_test_add_func ("/engine/net/build-reference", test_build_reference);
  g_test_add_func ("/engine/net/batchnorm-tensors", test_batchnorm_tensors);
  g_test_add_func ("/engine/net/default-nets", test_default_nets);
  g_test_add_func ("/engine/net/predict", test_predict);
  g_test_add_func ("/engine/net/predict-mc", test_predict_mc);
  g_test_add_func ("/engine/net/predict-cancel", test_predict_cancel);
  g_test_add_func ("/engine/net/folded-batchnorm", test_folded_batchnorm);
  return g_test_run ();
}
