/* test-layers.c — every layer kernel against finite differences.
 *
 * For a layer y = f(x, θ) the test takes the scalar L = Σ y·r with a fixed
 * random r, runs backward with dy = r, and compares each analytic derivative
 * with the central difference (L(v + ε) − L(v − ε)) / 2ε. Points where the
 * perturbation crosses a kink (a ReLU changing sign, a max-pool choosing
 * another maximum) are skipped: the kernels report a signature of their
 * piecewise pattern, and a coordinate whose two perturbed runs have different
 * signatures is not compared. */
#include "engine/gl-blas.h"
#include <math.h>
#include <string.h>

#include "engine/gl-conv-direct.h"
#include "engine/gl-layers.h"
#include "engine/gl-optim.h"
#include "engine/gl-parallel.h"
#include "engine/gl-rng.h"

#define EPS 1e-2
#define TOL 1e-2

typedef struct GradCase GradCase;
struct GradCase
{
  /* Runs the forward pass on the current values; returns L and sets *signature. */
  double (*loss) (GradCase *gc, guint64 *signature);
  gpointer data;
};

static float *
random_floats (GlRng *rng, gsize n, float lo, float hi)
{
  float *p = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    p[i] = lo + (hi - lo) * gl_rng_float (rng);
  return p;
}

static double
dot (const float *a, const float *b, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

static guint64
sign_signature (const float *y, gsize n)
{
  guint64 h = 1469598103934665603ull;
  for (gsize i = 0; i < n; i++)
    h = (h ^ (y[i] > 0.0f)) * 1099511628211ull;
  return h;
}

static guint64
index_signature (const guint32 *idx, gsize n)
{
  guint64 h = 1469598103934665603ull;
  for (gsize i = 0; i < n; i++)
    h = (h ^ idx[i]) * 1099511628211ull;
  return h;
}

/* Compares @analytic (count) with central differences of gc->loss over @v
 * (count), at most @max_checks coordinates spread over the array. Returns
 * the number of coordinates compared. */
static guint
check_gradient (const char *what, GradCase *gc, float *v, const float *analytic, gsize count, guint max_checks)
{
  guint compared = 0;
  const gsize step = MAX (1, count / max_checks);
  for (gsize i = 0; i < count; i += step)
    {
      const float saved = v[i];
      guint64 sig_plus, sig_minus;
      v[i] = saved + (float) EPS;
      const double lp = gc->loss (gc, &sig_plus);
      v[i] = saved - (float) EPS;
      const double lm = gc->loss (gc, &sig_minus);
      v[i] = saved;
      if (sig_plus != sig_minus)
        continue; /* a kink between the two points */
      const double numeric = (lp - lm) / (2.0 * EPS);
      const double scale = MAX (1.0, MAX (fabs (numeric), fabs (analytic[i])));
      if (fabs (numeric - analytic[i]) > TOL * scale)
        g_error ("%s[%" G_GSIZE_FORMAT "]: analytic %.6f, numeric %.6f", what, i, analytic[i], numeric);
      compared++;
    }
  return compared;
}

/* ---- convolution ---- */

typedef struct
{
  GlConvShape s;
  gboolean relu;
  float *x, *w, *b, *cols, *y, *r;
} ConvCase;

static double
conv_loss (GradCase *gc, guint64 *signature)
{
  ConvCase *c = gc->data;
  const gsize ny = (gsize) c->s.n * c->s.oh * c->s.ow * c->s.filters;
  gl_conv_forward (&c->s, c->x, c->w, c->b, c->relu, c->cols, c->y);
  *signature = c->relu ? sign_signature (c->y, ny) : 0;
  return dot (c->y, c->r, ny);
}

static void
test_conv_gradients (void)
{
  /* n, h, w, c, filters, kernel, stride, pad: im2col + sgemm, 1×1 without im2col, and direct */
  static const guint shapes[][8] = {
    { 2, 5, 6, 3, 4, 3, 1, 1 }, { 1, 7, 7, 2, 3, 3, 2, 0 }, { 2, 6, 6, 1, 2, 2, 2, 0 }, { 2, 7, 6, 1, 5, 3, 1, 1 },
    { 1, 9, 8, 2, 3, 5, 2, 2 }, { 1, 5, 5, 4, 3, 3, 3, 1 }, { 2, 6, 5, 5, 4, 3, 1, 1 }, { 1, 7, 7, 4, 6, 3, 2, 0 },
    { 2, 4, 5, 3, 5, 1, 1, 0 }, { 1, 5, 4, 2, 33, 3, 1, 1 }, /* the last: direct (gl-conv-direct.c) */
  };
  guint n_cols = 0;
  GlRng rng;
  gl_rng_init (&rng, 1);
  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    for (int relu = 0; relu <= 1; relu++)
      {
        const guint *sh = shapes[t];
        ConvCase c = { .relu = relu };
        g_assert_true (gl_conv_shape_init (&c.s, sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], sh[6], sh[7]));
        n_cols += gl_conv_needs_cols (&c.s);
        const gsize nx = (gsize) sh[0] * sh[1] * sh[2] * sh[3];
        const gsize nw = (gsize) sh[5] * sh[5] * sh[3] * sh[4];
        const gsize ny = (gsize) c.s.n * c.s.oh * c.s.ow * c.s.filters;
        c.x = random_floats (&rng, nx, -1, 1);
        c.w = random_floats (&rng, nw, -1, 1);
        c.b = random_floats (&rng, sh[4], -0.5, 0.5);
        c.cols = g_new0 (float, MAX (gl_conv_cols_size (&c.s), 1));
        c.y = g_new (float, ny);
        c.r = random_floats (&rng, ny, -1, 1);
        g_autofree float *dy = g_new (float, ny);
        g_autofree float *dw = g_new (float, nw);
        g_autofree float *db = g_new (float, sh[4]);
        g_autofree float *dx = g_new (float, nx);
        g_autofree float *scratch = g_new (float, MAX (gl_conv_backward_scratch_size (&c.s, 1), 1));
        GradCase gc = { conv_loss, &c };
        guint64 sig;

        conv_loss (&gc, &sig);
        memcpy (dy, c.r, sizeof (float) * ny);
        gl_conv_backward (&c.s, c.x, c.w, c.y, c.relu, dy, dw, db, scratch, 1, dx);
        g_autofree char *name = g_strdup_printf ("conv shape %u relu %d", t, relu);
        guint n = check_gradient (name, &gc, c.x, dx, nx, 60);
        n += check_gradient (name, &gc, c.w, dw, nw, 60);
        n += check_gradient (name, &gc, c.b, db, sh[4], 60);
        g_assert_cmpuint (n, >, 10);

        /* The input gradient is optional and the weight gradient must not depend on it. */
        g_autofree float *dw2 = g_new (float, nw);
        conv_loss (&gc, &sig);
        memcpy (dy, c.r, sizeof (float) * ny);
        gl_conv_backward (&c.s, c.x, c.w, c.y, c.relu, dy, dw2, db, scratch, 1, NULL);
        g_assert_cmpmem (dw, sizeof (float) * nw, dw2, sizeof (float) * nw);

        g_free (c.x);
        g_free (c.w);
        g_free (c.b);
        g_free (c.cols);
        g_free (c.y);
        g_free (c.r);
      }
  /* Both lowerings were checked. */
  g_assert_cmpuint (n_cols, ==, 2 * (G_N_ELEMENTS (shapes) - 1)); /* with and without ReLU */
}

static void
test_conv_chunked (void)
{
  /* Large images go through the patch scratch one or a few at a time: the
   * same results as the whole batch at once. */
  GlRng rng;
  gl_rng_init (&rng, 22);
  GlConvShape s;
  g_assert_true (gl_conv_shape_init (&s, 3, 64, 64, 16, 8, 3, 1, 1));
  g_assert_cmpuint (gl_conv_infer_scratch_size (&s), <, gl_conv_cols_size (&s));
  const gsize nx = 3 * 64 * 64 * 16, ny = 3 * 64 * 64 * 8, nw = 9 * 16 * 8, nc = gl_conv_cols_size (&s);
  g_autofree float *x = random_floats (&rng, nx, -1, 1);
  g_autofree float *w = random_floats (&rng, nw, -1, 1);
  g_autofree float *b = random_floats (&rng, 8, -1, 1);
  g_autofree float *cols = g_new (float, nc);
  g_autofree float *scratch = g_new (float, gl_conv_infer_scratch_size (&s));
  g_autofree float *y = g_new (float, ny);
  g_autofree float *y2 = g_new (float, ny);
  gl_conv_forward (&s, x, w, b, TRUE, cols, y);
  gl_conv_forward_infer (&s, x, w, b, TRUE, scratch, 1, y2);
  for (gsize i = 0; i < ny; i++)
    g_assert_cmpfloat_with_epsilon (y[i], y2[i], 1e-4);
  /* Steps side by side on three threads, each in its slot of the scratch. */
  const guint threads = gl_parallel_get_n_threads ();
  gl_parallel_set_n_threads (3);
  g_autofree float *scratch3 = g_new (float, 3 * gl_conv_infer_scratch_size (&s));
  g_autofree float *y3 = g_new (float, ny);
  gl_conv_forward_infer (&s, x, w, b, TRUE, scratch3, 3, y3);
  gl_parallel_set_n_threads (threads);
  for (gsize i = 0; i < ny; i++)
    g_assert_cmpfloat_with_epsilon (y3[i], y2[i], 1e-5);

  g_autofree float *dy = random_floats (&rng, ny, -1, 1);
  g_autofree float *dw = g_new (float, nw);
  g_autofree float *db = g_new (float, 8);
  g_autofree float *dx = g_new (float, nx);
  g_autofree float *dx_ref = g_new (float, nx);
  g_autofree float *dcols_ref = g_new (float, nc);
  g_autofree float *bscratch = g_new (float, gl_conv_backward_scratch_size (&s, 1));
  gl_conv_backward (&s, x, w, y, TRUE, dy, dw, db, bscratch, 1, dx);
  /* dy is now masked by the ReLU: the reference uses it as is. */
  gl_blas_sgemm (FALSE, TRUE, 3 * 4096, 144, 8, 1.0f, dy, 8, w, 8, 0.0f, dcols_ref, 144);
  gl_col2im (&s, dcols_ref, dx_ref);
  for (gsize i = 0; i < nx; i++)
    g_assert_cmpfloat_with_epsilon (dx[i], dx_ref[i], 1e-4);

  /* The weight gradient against one product over the whole batch's patches
   * (cols holds them from gl_conv_forward above). */
  g_autofree float *dw_ref = g_new (float, nw);
  gl_blas_sgemm (TRUE, FALSE, 144, 8, 3 * 4096, 1.0f, cols, 144, dy, 8, 0.0f, dw_ref, 8);
  for (gsize i = 0; i < nw; i++)
    g_assert_cmpfloat_with_epsilon (dw[i], dw_ref[i], 1e-3 * MAX (1.0f, fabsf (dw_ref[i])));

  /* Side by side on three threads: the same gradients to the last bit (the
   * steps and the order of their sum do not depend on the threads). */
  const guint threads_before = gl_parallel_get_n_threads ();
  gl_parallel_set_n_threads (3);
  g_autofree float *bscratch3 = g_new (float, gl_conv_backward_scratch_size (&s, 3));
  g_autofree float *dw3 = g_new (float, nw);
  g_autofree float *dx3 = g_new (float, nx);
  gl_conv_backward (&s, x, w, y, TRUE, dy, dw3, db, bscratch3, 3, dx3);
  gl_parallel_set_n_threads (threads_before);
  g_assert_cmpmem (dw, nw * sizeof (float), dw3, nw * sizeof (float));
  g_assert_cmpmem (dx, nx * sizeof (float), dx3, nx * sizeof (float));
}

static void
test_im2col_adjoint (void)
{
  /* ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every shape. */
  static const guint shapes[][8] = { { 2, 5, 6, 3, 4, 3, 1, 1 }, { 1, 7, 7, 2, 3, 3, 2, 0 }, { 1, 9, 8, 2, 3, 5, 2, 2 } };
  GlRng rng;
  gl_rng_init (&rng, 2);
  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      const guint *sh = shapes[t];
      GlConvShape s;
      g_assert_true (gl_conv_shape_init (&s, sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], sh[6], sh[7]));
      const gsize nx = (gsize) sh[0] * sh[1] * sh[2] * sh[3], nc = gl_conv_cols_size (&s);
      g_autofree float *x = random_floats (&rng, nx, -1, 1);
      g_autofree float *c = random_floats (&rng, nc, -1, 1);
      g_autofree float *cols = g_new (float, nc);
      g_autofree float *back = g_new (float, nx);
      gl_im2col (&s, x, cols);
      gl_col2im (&s, c, back);
      g_assert_cmpfloat_with_epsilon (dot (cols, c, nc), dot (x, back, nx), 1e-3);
    }
}

static void
test_conv_shapes (void)
{
  GlConvShape s;
  g_assert_true (gl_conv_shape_init (&s, 1, 28, 28, 1, 32, 3, 1, 1));
  g_assert_cmpuint (s.oh, ==, 28);
  g_assert_cmpuint (s.ow, ==, 28);
  g_assert_true (gl_conv_shape_init (&s, 1, 28, 28, 1, 32, 3, 2, 1));
  g_assert_cmpuint (s.oh, ==, 14);
  g_assert_true (gl_conv_shape_init (&s, 1, 7, 9, 1, 8, 3, 2, 0));
  g_assert_cmpuint (s.oh, ==, 3);
  g_assert_cmpuint (s.ow, ==, 4);
  g_assert_false (gl_conv_needs_cols (&(GlConvShape){ .kernel = 1, .stride = 1, .pad = 0 }));
  g_assert_false (gl_conv_shape_init (&s, 1, 2, 2, 1, 8, 5, 1, 0)); /* kernel larger than the input */
  g_assert_false (gl_conv_shape_init (&s, 1, 2, 2, 1, 8, 3, 1, 3)); /* padding as large as the kernel */
  g_assert_false (gl_conv_shape_init (&s, 1, 2, 2, 1, 8, 3, 0, 1)); /* stride 0 */
}

/* The direct path for few taps (gl-conv-direct.c) against the im2col
 * lowering computed in double, and the same bits for any thread count. */
static void
test_conv_direct (void)
{
  /* n, h, w, c, filters, kernel, stride, pad: a grey first layer, and a colour
   * one with a filter count that is not a multiple of the block of 32. */
  static const guint shapes[][8] = { { 3, 28, 28, 1, 32, 3, 1, 1 }, { 2, 11, 9, 3, 40, 3, 2, 1 } };
  GlRng rng;
  gl_rng_init (&rng, 7);
  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      const guint *sh = shapes[t];
      GlConvShape s;
      g_assert_true (gl_conv_shape_init (&s, sh[0], sh[1], sh[2], sh[3], sh[4], sh[5], sh[6], sh[7]));
      g_assert_true (gl_conv_direct (&s));
      const guint f = s.filters, kk = s.kernel * s.kernel * s.c;
      const gsize nx = (gsize) s.n * s.h * s.w * s.c, m = (gsize) s.n * s.oh * s.ow, nc = gl_conv_cols_size (&s);
      g_autofree float *x = random_floats (&rng, nx, -1, 1);
      g_autofree float *w = random_floats (&rng, (gsize) kk * f, -1, 1);
      g_autofree float *b = random_floats (&rng, f, -0.5, 0.5);
      g_autofree float *g = random_floats (&rng, m * f, -1, 1);
      g_autofree float *cols = g_new (float, nc);
      g_autofree float *y = g_new (float, m * f);
      g_autofree float *dy = g_new (float, m * f);
      g_autofree float *dw = g_new (float, (gsize) kk * f);
      g_autofree float *db = g_new (float, f);
      g_autofree float *dx = g_new (float, nx);
      g_autofree float *dcols = g_new (float, nc);
      g_autofree float *ref_dx = g_new (float, nx);
      g_autofree float *scratch = g_new (float, gl_conv_backward_scratch_size (&s, 3));
      gl_im2col (&s, x, cols);

      gl_conv_forward_infer (&s, x, w, b, TRUE, scratch, 1, y);
      for (gsize r = 0; r < m; r++)
        for (guint j = 0; j < f; j++)
          {
            double z = b[j];
            for (guint q = 0; q < kk; q++)
              z += (double) cols[r * kk + q] * w[(gsize) q * f + j];
            g_assert_cmpfloat_with_epsilon (y[r * f + j], MAX (z, 0.0), 1e-4);
          }

      memcpy (dy, g, sizeof (float) * m * f);
      gl_conv_backward (&s, x, w, y, TRUE, dy, dw, db, scratch, 1, dx);
      /* masked g: the ReLU's gradient */
      for (gsize r = 0; r < m * f; r++)
        g[r] = y[r] > 0.0f ? g[r] : 0.0f;
      for (guint j = 0; j < f; j++)
        {
          double sum = 0.0;
          for (gsize r = 0; r < m; r++)
            sum += g[r * f + j];
          g_assert_cmpfloat_with_epsilon (db[j], sum, 1e-4 * (1.0 + fabs (sum)));
          for (guint q = 0; q < kk; q++)
            {
              double dot_q = 0.0;
              for (gsize r = 0; r < m; r++)
                dot_q += (double) cols[r * kk + q] * g[r * f + j];
              g_assert_cmpfloat_with_epsilon (dw[(gsize) q * f + j], dot_q, 1e-4 * (1.0 + fabs (dot_q)));
            }
        }
      for (gsize r = 0; r < m; r++)
        for (guint q = 0; q < kk; q++)
          {
            double sum = 0.0;
            for (guint j = 0; j < f; j++)
              sum += (double) g[r * f + j] * w[(gsize) q * f + j];
            dcols[r * kk + q] = (float) sum;
          }
      gl_col2im (&s, dcols, ref_dx);
      for (gsize i = 0; i < nx; i++)
        g_assert_cmpfloat_with_epsilon (dx[i], ref_dx[i], 1e-4);

      /* Three threads: the same bits. */
      g_autofree float *dw3 = g_new (float, (gsize) kk * f);
      g_autofree float *db3 = g_new (float, f);
      g_autofree float *dx3 = g_new (float, nx);
      g_autofree float *y3 = g_new (float, m * f);
      const guint threads = gl_parallel_get_n_threads ();
      gl_parallel_set_n_threads (3);
      gl_conv_forward_infer (&s, x, w, b, TRUE, scratch, 3, y3);
      gl_conv_backward (&s, x, w, y3, TRUE, g, dw3, db3, scratch, 3, dx3);
      gl_parallel_set_n_threads (threads);
      g_assert_cmpmem (y, sizeof (float) * m * f, y3, sizeof (float) * m * f);
      g_assert_cmpmem (dw, sizeof (float) * kk * f, dw3, sizeof (float) * kk * f);
      g_assert_cmpmem (db, sizeof (float) * f, db3, sizeof (float) * f);
      g_assert_cmpmem (dx, sizeof (float) * nx, dx3, sizeof (float) * nx);
    }
}

/* ---- dense ---- */

typedef struct
{
  guint n, in, out;
  gboolean relu;
  float *x, *w, *b, *y, *r;
} DenseCase;

static double
dense_loss (GradCase *gc, guint64 *signature)
{
  DenseCase *c = gc->data;
  gl_dense_forward (c->n, c->in, c->out, c->x, c->w, c->b, c->relu, c->y);
  *signature = c->relu ? sign_signature (c->y, (gsize) c->n * c->out) : 0;
  return dot (c->y, c->r, (gsize) c->n * c->out);
}

static void
test_dense_gradients (void)
{
  static const guint shapes[][3] = { { 3, 7, 5 }, { 1, 12, 1 }, { 8, 4, 10 } };
  GlRng rng;
  gl_rng_init (&rng, 3);
  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    for (int relu = 0; relu <= 1; relu++)
      {
        DenseCase c = { shapes[t][0], shapes[t][1], shapes[t][2], relu };
        const gsize nx = (gsize) c.n * c.in, nw = (gsize) c.in * c.out, ny = (gsize) c.n * c.out;
        c.x = random_floats (&rng, nx, -1, 1);
        c.w = random_floats (&rng, nw, -1, 1);
        c.b = random_floats (&rng, c.out, -0.5, 0.5);
        c.y = g_new (float, ny);
        c.r = random_floats (&rng, ny, -1, 1);
        g_autofree float *dy = g_new (float, ny);
        g_autofree float *dw = g_new (float, nw);
        g_autofree float *db = g_new (float, c.out);
        g_autofree float *dx = g_new (float, nx);
        GradCase gc = { dense_loss, &c };
        guint64 sig;
        dense_loss (&gc, &sig);
        memcpy (dy, c.r, sizeof (float) * ny);
        gl_dense_backward (c.n, c.in, c.out, c.x, c.w, c.y, c.relu, dy, dw, db, dx);
        guint n = check_gradient ("dense x", &gc, c.x, dx, nx, 50);
        n += check_gradient ("dense w", &gc, c.w, dw, nw, 50);
        n += check_gradient ("dense b", &gc, c.b, db, c.out, 50);
        g_assert_cmpuint (n, >, 5);
        g_free (c.x);
        g_free (c.w);
        g_free (c.b);
        g_free (c.y);
        g_free (c.r);
      }
}

/* ---- ReLU ---- */

typedef struct
{
  gsize n;
  float *x, *y, *r;
} ReluCase;

static double
relu_loss (GradCase *gc, guint64 *signature)
{
  ReluCase *c = gc->data;
  gl_relu_forward (c->n, c->x, c->y);
  *signature = sign_signature (c->x, c->n);
  return dot (c->y, c->r, c->n);
}

static void
test_relu_gradients (void)
{
  GlRng rng;
  gl_rng_init (&rng, 4);
  ReluCase c = { 40 };
  c.x = random_floats (&rng, c.n, -1, 1);
  c.y = g_new (float, c.n);
  c.r = random_floats (&rng, c.n, -1, 1);
  g_autofree float *dx = g_new (float, c.n);
  GradCase gc = { relu_loss, &c };
  guint64 sig;
  relu_loss (&gc, &sig);
  gl_relu_backward (c.n, c.y, c.r, dx);
  g_assert_cmpuint (check_gradient ("relu", &gc, c.x, dx, c.n, 40), >, 30);
  /* In place. */
  memcpy (dx, c.r, sizeof (float) * c.n);
  gl_relu_backward (c.n, c.y, dx, dx);
  for (gsize i = 0; i < c.n; i++)
    g_assert_cmpfloat (dx[i], ==, c.x[i] > 0 ? c.r[i] : 0.0f);
  g_free (c.x);
  g_free (c.y);
  g_free (c.r);
}

/* ---- max pooling ---- */

typedef struct
{
  GlPoolShape s;
  float *x, *y, *r;
  guint32 *argmax;
} PoolCase;

static double
pool_loss (GradCase *gc, guint64 *signature)
{
  PoolCase *c = gc->data;
  const gsize ny = (gsize) c->s.n * c->s.oh * c->s.ow * c->s.c;
  gl_maxpool_forward (&c->s, c->x, c->y, c->argmax);
  *signature = index_signature (c->argmax, ny);
  return dot (c->y, c->r, ny);
}

static void
test_maxpool_gradients (void)
{
  /* n, h, w, c, size, stride: tiled 2×2, odd sides, overlapping 3×3/2, 3×3/3 */
  static const guint shapes[][6] = {
    { 2, 4, 6, 3, 2, 2 }, { 1, 5, 7, 2, 2, 2 }, { 2, 7, 7, 3, 3, 2 }, { 1, 6, 9, 4, 3, 3 }, { 1, 4, 4, 1, 1, 1 },
  };
  GlRng rng;
  gl_rng_init (&rng, 5);
  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    {
      const guint *sh = shapes[t];
      PoolCase c;
      g_assert_true (gl_pool_shape_init (&c.s, sh[0], sh[1], sh[2], sh[3], sh[4], sh[5]));
      const gsize nx = (gsize) sh[0] * sh[1] * sh[2] * sh[3], ny = (gsize) c.s.n * c.s.oh * c.s.ow * c.s.c;
      c.x = random_floats (&rng, nx, -1, 1);
      c.y = g_new (float, ny);
      c.r = random_floats (&rng, ny, -1, 1);
      c.argmax = g_new (guint32, ny);
      g_autofree float *dx = g_new (float, nx);
      g_autofree float *y2 = g_new (float, ny);
      GradCase gc = { pool_loss, &c };
      guint64 sig;
      pool_loss (&gc, &sig);
      gl_maxpool_backward (&c.s, c.r, c.argmax, dx);
      g_assert_cmpuint (check_gradient ("maxpool", &gc, c.x, dx, nx, 200), >, nx / 2);
      /* Inference (no argmax) gives the same output. */
      pool_loss (&gc, &sig);
      gl_maxpool_forward (&c.s, c.x, y2, NULL);
      g_assert_cmpmem (c.y, sizeof (float) * ny, y2, sizeof (float) * ny);
      g_free (c.x);
      g_free (c.y);
      g_free (c.r);
      g_free (c.argmax);
    }
  GlPoolShape s;
  g_assert_false (gl_pool_shape_init (&s, 1, 1, 4, 1, 2, 2));
}

/* ---- global average pooling ---- */

typedef struct
{
  guint n, hw, c;
  float *x, *y, *r;
} GapCase;

static double
gap_loss (GradCase *gc, guint64 *signature)
{
  GapCase *c = gc->data;
  gl_gap_forward (c->n, c->hw, c->c, c->x, c->y);
  *signature = 0;
  return dot (c->y, c->r, (gsize) c->n * c->c);
}

static void
test_gap_gradients (void)
{
  GlRng rng;
  gl_rng_init (&rng, 6);
  GapCase c = { 3, 10, 4 };
  const gsize nx = (gsize) c.n * c.hw * c.c;
  c.x = random_floats (&rng, nx, -1, 1);
  c.y = g_new (float, c.n * c.c);
  c.r = random_floats (&rng, c.n * c.c, -1, 1);
  g_autofree float *dx = g_new (float, nx);
  GradCase gc = { gap_loss, &c };
  gl_gap_backward (c.n, c.hw, c.c, c.r, dx);
  g_assert_cmpuint (check_gradient ("gap", &gc, c.x, dx, nx, 200), ==, nx);
  g_free (c.x);
  g_free (c.y);
  g_free (c.r);
}

/* ---- batch normalisation ---- */

typedef struct
{
  gsize m;
  guint c;
  gboolean relu;
  float *x, *gamma, *beta, *rm, *rv, *xhat, *mean, *inv_std, *y, *r;
  double *acc;
} BnCase;

static double
bn_loss (GradCase *gc, guint64 *signature)
{
  BnCase *c = gc->data;
  gl_batchnorm_forward_train (c->m, c->c, c->x, c->gamma, c->beta, 0.1f, 1e-5f, c->rm, c->rv, c->relu, c->xhat,
                              c->mean, c->inv_std, c->y, c->acc);
  *signature = c->relu ? sign_signature (c->y, c->m * c->c) : 0;
  return dot (c->y, c->r, c->m * c->c);
}

static void
test_batchnorm_gradients (void)
{
  static const guint shapes[][2] = { { 12, 3 }, { 5, 7 }, { 32, 1 } };
  GlRng rng;
  gl_rng_init (&rng, 7);
  for (guint t = 0; t < G_N_ELEMENTS (shapes); t++)
    for (int relu = 0; relu <= 1; relu++)
      {
        BnCase c = { shapes[t][0], shapes[t][1], relu };
        const gsize n = c.m * c.c;
        c.x = random_floats (&rng, n, -2, 2);
        c.gamma = random_floats (&rng, c.c, 0.5, 1.5);
        c.beta = random_floats (&rng, c.c, -0.5, 0.5);
        c.rm = g_new0 (float, c.c);
        c.rv = g_new0 (float, c.c);
        c.xhat = g_new (float, n);
        c.mean = g_new (float, c.c);
        c.inv_std = g_new (float, c.c);
        c.y = g_new (float, n);
        c.r = random_floats (&rng, n, -1, 1);
        c.acc = g_new (double, 2 * c.c);
        g_autofree float *dy = g_new (float, n);
        g_autofree float *dx = g_new (float, n);
        g_autofree float *dgamma = g_new (float, c.c);
        g_autofree float *dbeta = g_new (float, c.c);
        GradCase gc = { bn_loss, &c };
        guint64 sig;
        bn_loss (&gc, &sig);
        /* Normalised output: mean 0, variance 1 per channel before γ, β. */
        for (guint j = 0; j < c.c; j++)
          {
            double s = 0, s2 = 0;
            for (gsize i = 0; i < c.m; i++)
              s += c.xhat[i * c.c + j], s2 += (double) c.xhat[i * c.c + j] * c.xhat[i * c.c + j];
            g_assert_cmpfloat (fabs (s / c.m), <, 1e-4);
            g_assert_cmpfloat (fabs (s2 / c.m - 1.0), <, 1e-3);
          }
        memcpy (dy, c.r, sizeof (float) * n);
        gl_batchnorm_backward (c.m, c.c, c.xhat, c.inv_std, c.gamma, c.y, c.relu, dy, dgamma, dbeta, dx, c.acc);
        guint k = check_gradient ("bn x", &gc, c.x, dx, n, 60);
        k += check_gradient ("bn gamma", &gc, c.gamma, dgamma, c.c, 60);
        k += check_gradient ("bn beta", &gc, c.beta, dbeta, c.c, 60);
        g_assert_cmpuint (k, >, 5);

        /* Eval mode with the batch statistics as running statistics gives the training output. */
        bn_loss (&gc, &sig);
        g_autofree float *ss = g_new (float, 2 * c.c);
        g_autofree float *y_eval = g_new (float, n);
        g_autofree float *var = g_new (float, c.c);
        for (guint j = 0; j < c.c; j++)
          var[j] = 1.0f / (c.inv_std[j] * c.inv_std[j]) - 1e-5f;
        gl_batchnorm_forward_eval (c.m, c.c, c.x, c.gamma, c.beta, c.mean, var, 1e-5f, c.relu, y_eval, ss);
        for (gsize i = 0; i < n; i++)
          g_assert_cmpfloat_with_epsilon (y_eval[i], c.y[i], 1e-3);

        g_free (c.x);
        g_free (c.gamma);
        g_free (c.beta);
        g_free (c.rm);
        g_free (c.rv);
        g_free (c.xhat);
        g_free (c.mean);
        g_free (c.inv_std);
        g_free (c.y);
        g_free (c.r);
        g_free (c.acc);
      }
}

static void
test_batchnorm_running_stats (void)
{
  /* Constant batches: the running mean moves by momentum towards the batch mean. */
  const gsize m = 4;
  float x[4] = { 1, 2, 3, 6 }, gamma = 1, beta = 0, rm = 0, rv = 1, xhat[4], mean, inv_std, y[4];
  double acc[1];
  gl_batchnorm_forward_train (m, 1, x, &gamma, &beta, 0.1f, 1e-5f, &rm, &rv, FALSE, xhat, &mean, &inv_std, y, acc);
  g_assert_cmpfloat_with_epsilon (mean, 3.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (rm, 0.3, 1e-6);
  /* Unbiased variance of {1,2,3,6} is 14/3. */
  g_assert_cmpfloat_with_epsilon (rv, 0.9 + 0.1 * 14.0 / 3.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (inv_std, 1.0 / sqrt (3.5 + 1e-5), 1e-5);
}

/* ---- dropout ---- */

typedef struct
{
  gsize n;
  float rate;
  float *x, *mask, *y, *r;
} DropCase;

static double
drop_loss (GradCase *gc, guint64 *signature)
{
  DropCase *c = gc->data;
  GlRng rng;
  gl_rng_init (&rng, 99); /* the same mask every time: dropout is then linear */
  gl_dropout_forward (c->n, c->rate, &rng, c->x, c->mask, c->y);
  *signature = 0;
  return dot (c->y, c->r, c->n);
}

static void
test_dropout (void)
{
  GlRng rng;
  gl_rng_init (&rng, 8);
  DropCase c = { 1001, 0.3f };
  c.x = random_floats (&rng, c.n, -1, 1);
  c.mask = g_new (float, c.n);
  c.y = g_new (float, c.n);
  c.r = random_floats (&rng, c.n, -1, 1);
  g_autofree float *dx = g_new (float, c.n);
  GradCase gc = { drop_loss, &c };
  guint64 sig;
  drop_loss (&gc, &sig);
  gl_dropout_backward (c.n, c.mask, c.r, dx);
  g_assert_cmpuint (check_gradient ("dropout", &gc, c.x, dx, c.n, 100), >, 50);
  /* About rate of the units dropped; the others scaled by 1/(1 − rate). */
  gsize dropped = 0;
  for (gsize i = 0; i < c.n; i++)
    {
      if (c.mask[i] == 0.0f)
        dropped++;
      else
        g_assert_cmpfloat_with_epsilon (c.mask[i], 1.0 / 0.7, 1e-6);
    }
  g_assert_cmpuint (dropped, >, 230);
  g_assert_cmpuint (dropped, <, 370);
  g_free (c.x);
  g_free (c.mask);
  g_free (c.y);
  g_free (c.r);
}

/* ---- softmax cross-entropy ---- */

typedef struct
{
  gsize n;
  guint k;
  float *logits, *probs, *weights;
  gint *labels;
} XentCase;

static double
xent_loss (GradCase *gc, guint64 *signature)
{
  XentCase *c = gc->data;
  *signature = 0;
  return gl_softmax_xent (c->n, c->k, c->logits, c->labels, c->weights, c->probs, NULL, NULL);
}

static void
test_softmax_xent (void)
{
  GlRng rng;
  gl_rng_init (&rng, 9);
  for (int weighted = 0; weighted <= 1; weighted++)
    {
      XentCase c = { 6, 5 };
      c.logits = random_floats (&rng, c.n * c.k, -3, 3);
      c.probs = g_new (float, c.n * c.k);
      c.weights = weighted ? random_floats (&rng, c.k, 0.2, 3) : NULL;
      c.labels = g_new (gint, c.n);
      for (gsize i = 0; i < c.n; i++)
        c.labels[i] = (gint) gl_rng_below (&rng, c.k);
      g_autofree float *d = g_new (float, c.n * c.k);
      GradCase gc = { xent_loss, &c };
      gsize correct;
      gl_softmax_xent (c.n, c.k, c.logits, c.labels, c.weights, c.probs, d, &correct);
      g_assert_cmpuint (correct, <=, c.n);
      for (gsize i = 0; i < c.n; i++)
        {
          double s = 0;
          for (guint j = 0; j < c.k; j++)
            s += c.probs[i * c.k + j];
          g_assert_cmpfloat_with_epsilon (s, 1.0, 1e-5);
        }
      g_assert_cmpuint (check_gradient ("xent", &gc, c.logits, d, c.n * c.k, 100), ==, c.n * c.k);
      g_free (c.logits);
      g_free (c.probs);
      g_free (c.weights);
      g_free (c.labels);
    }

  /* Huge logits: the max is subtracted, nothing overflows. */
  float logits[3] = { 1000.0f, 0.0f, -1000.0f }, probs[3];
  gint label = 2;
  double loss = gl_softmax_xent (1, 3, logits, &label, NULL, probs, NULL, NULL);
  g_assert_true (isfinite (loss));
  g_assert_cmpfloat_with_epsilon (loss, 2000.0, 1e-3);
  g_assert_cmpfloat_with_epsilon (probs[0], 1.0, 1e-6);
}

/* ---- optimisers and schedules ---- */

static void
test_optimizers (void)
{
  /* Minimise ½‖w − t‖² with both optimisers. */
  float t[3] = { 1, -2, 3 };
  for (int adam = 0; adam <= 1; adam++)
    {
      float w[3] = { 0 }, g[3], m[3] = { 0 }, v[3] = { 0 };
      for (guint step = 1; step <= 500; step++)
        {
          for (int i = 0; i < 3; i++)
            g[i] = w[i] - t[i];
          if (adam)
            gl_adam_step (3, 0.05f, 0.9f, 0.999f, 1e-8f, 0.0f, step, w, g, m, v);
          else
            gl_sgd_step (3, 0.1f, 0.9f, 0.0f, w, g, m);
        }
      for (int i = 0; i < 3; i++)
        g_assert_cmpfloat_with_epsilon (w[i], t[i], 1e-2);
    }
  /* SGD step by hand: v = 0.9·0 + (g + wd·w); w −= lr·v. */
  float w = 2, g = 0.5, vel = 0;
  gl_sgd_step (1, 0.1f, 0.9f, 0.01f, &w, &g, &vel);
  g_assert_cmpfloat_with_epsilon (vel, 0.52, 1e-6);
  g_assert_cmpfloat_with_epsilon (w, 2 - 0.052, 1e-6);

  g_assert_cmpfloat (gl_schedule_lr (GL_SCHEDULE_CONSTANT, 0.1f, 50, 100, 3, 5, 0.1f), ==, 0.1f);
  g_assert_cmpfloat_with_epsilon (gl_schedule_lr (GL_SCHEDULE_COSINE, 0.1f, 0, 100, 0, 5, 0.1f), 0.1, 1e-7);
  g_assert_cmpfloat_with_epsilon (gl_schedule_lr (GL_SCHEDULE_COSINE, 0.1f, 50, 100, 0, 5, 0.1f), 0.05, 1e-7);
  g_assert_cmpfloat_with_epsilon (gl_schedule_lr (GL_SCHEDULE_COSINE, 0.1f, 100, 100, 0, 5, 0.1f), 0.0, 1e-7);
  g_assert_cmpfloat (gl_schedule_lr (GL_SCHEDULE_COSINE, 0.1f, 100, 0, 0, 5, 0.1f), ==, 0.1f);
  g_assert_cmpfloat_with_epsilon (gl_schedule_lr (GL_SCHEDULE_STEP, 0.1f, 0, 0, 4, 5, 0.1f), 0.1, 1e-7);
  g_assert_cmpfloat_with_epsilon (gl_schedule_lr (GL_SCHEDULE_STEP, 0.1f, 0, 0, 5, 5, 0.1f), 0.01, 1e-7);
  g_assert_cmpfloat_with_epsilon (gl_schedule_lr (GL_SCHEDULE_STEP, 0.1f, 0, 0, 11, 5, 0.1f), 0.001, 1e-8);
}

static void
test_rng (void)
{
  GlRng a, b, c;
  gl_rng_init (&a, 42);
  gl_rng_init (&b, 42);
  gl_rng_init (&c, 43);
  gboolean differs = FALSE;
  for (int i = 0; i < 100; i++)
    {
      guint64 x = gl_rng_next (&a);
      g_assert_cmpuint (x, ==, gl_rng_next (&b));
      differs |= x != gl_rng_next (&c);
    }
  g_assert_true (differs);
  /* Uniform and normal moments, bounded draws. */
  double s = 0, s2 = 0, ns = 0, ns2 = 0;
  guint counts[7] = { 0 };
  for (int i = 0; i < 70000; i++)
    {
      float u = gl_rng_float (&a);
      g_assert_cmpfloat (u, >=, 0.0f);
      g_assert_cmpfloat (u, <, 1.0f);
      s += u, s2 += (double) u * u;
      double z = gl_rng_normal (&a);
      ns += z, ns2 += z * z;
      counts[gl_rng_below (&a, 7)]++;
    }
  g_assert_cmpfloat (fabs (s / 70000 - 0.5), <, 0.01);
  g_assert_cmpfloat (fabs (ns / 70000), <, 0.02);
  g_assert_cmpfloat (fabs (ns2 / 70000 - 1.0), <, 0.03);
  for (int i = 0; i < 7; i++)
    g_assert_cmpuint (counts[i], >, 9500);
  /* A shuffle is a permutation. */
  guint32 items[50];
  gboolean seen[50] = { FALSE };
  for (guint32 i = 0; i < 50; i++)
    items[i] = i;
  gl_rng_shuffle_u32 (&a, items, 50);
  for (int i = 0; i < 50; i++)
    {
      g_assert_false (seen[items[i]]);
      seen[items[i]] = TRUE;
    }
}

/* The kernels split over threads (images, rows or blocks of channels) give
 * bit-identical results to one thread: each output is computed by one
 * thread, in the same order. */
static void
run_kernels (guint threads, float **out, gsize *sizes)
{
  GlRng rng;
  gl_rng_init (&rng, 31);
  gl_parallel_set_n_threads (threads);
  g_assert_cmpuint (gl_parallel_get_n_threads (), ==, threads);
  GlConvShape cs;
  GlPoolShape ps, ps3;
  g_assert_true (gl_conv_shape_init (&cs, 5, 9, 8, 3, 4, 3, 1, 1));
  g_assert_true (gl_pool_shape_init (&ps, 5, 8, 8, 40, 2, 2));
  g_assert_true (gl_pool_shape_init (&ps3, 5, 9, 9, 40, 3, 2));
  const gsize nx = 5 * 9 * 8 * 3, nc = gl_conv_cols_size (&cs), np = 5 * 8 * 8 * 40, npo = 5 * 4 * 4 * 40;
  const gsize np3 = 5 * 9 * 9 * 40, npo3 = 5 * 4 * 4 * 40, m = 7001;
  g_autofree float *x = random_floats (&rng, nx, -1, 1);
  g_autofree float *c = random_floats (&rng, nc, -1, 1);
  g_autofree float *px = random_floats (&rng, np3, -1, 1);
  g_autofree float *g = random_floats (&rng, m * 40, -1, 1);
  g_autofree float *bias = random_floats (&rng, 40, -1, 1);
  g_autofree float *gamma = random_floats (&rng, 40, 0.5, 1.5);
  g_autofree float *beta = random_floats (&rng, 40, -1, 1);
  g_autofree double *acc = g_new (double, 80);
  g_autofree guint32 *am = g_new (guint32, npo3);
  float rm[40] = { 0 }, rv[40] = { 0 }, mean[40], istd[40], ss[80];
  guint k = 0;
#define OUT(size) (sizes[k] = (size), out[k] = g_new0 (float, sizes[k]), out[k++])
  gl_im2col (&cs, x, OUT (nc));
  gl_col2im (&cs, c, OUT (nx));
  float *py = OUT (npo);
  gl_maxpool_forward (&ps, px, py, am);
  gl_maxpool_backward (&ps, py, am, OUT (np));
  float *py3 = OUT (npo3);
  gl_maxpool_forward (&ps3, px, py3, am);
  gl_maxpool_backward (&ps3, py3, am, OUT (np3));
  float *y = OUT (m * 40);
  memcpy (y, g, sizeof (float) * m * 40);
  gl_bias_act_forward (m, 40, bias, TRUE, y);
  float *dy = OUT (m * 40);
  memcpy (dy, g, sizeof (float) * m * 40);
  gl_bias_act_backward (m, 40, y, TRUE, dy, OUT (40));
  gl_relu_forward (m * 40, g, OUT (m * 40));
  float *xhat = OUT (m * 40), *bn_y = OUT (m * 40);
  gl_batchnorm_forward_train (m, 40, g, gamma, beta, 0.1f, 1e-5f, rm, rv, TRUE, xhat, mean, istd, bn_y, acc);
  memcpy (OUT (40), rv, sizeof rv);
  gl_batchnorm_forward_eval (m, 40, g, gamma, beta, mean, rv, 1e-5f, FALSE, OUT (m * 40), ss);
  float *bn_dy = OUT (m * 40);
  memcpy (bn_dy, g, sizeof (float) * m * 40);
  float *dgamma = OUT (40), *dbeta = OUT (40);
  gl_batchnorm_backward (m, 40, xhat, istd, gamma, bn_y, TRUE, bn_dy, dgamma, dbeta, OUT (m * 40), acc);
#undef OUT
  g_assert_cmpuint (k, ==, 18);
  gl_parallel_set_n_threads (1);
}

typedef struct
{
  guint iter;
  guint32 *out;
} StressJob;

static void
stress_chunk (gsize b, gsize e, gpointer data)
{
  StressJob *j = data;
  for (gsize i = b; i < e; i++)
    j->out[i] += (guint32) i + j->iter;
}

static void
test_parallel_for (void)
{
  /* Many short loops in a row, of varied sizes: every item is run exactly once. */
  gl_parallel_set_n_threads (2);
  g_autofree guint32 *out = g_new0 (guint32, 1000);
  guint64 expect_sum = 0;
  for (guint iter = 0; iter < 3000; iter++)
    {
      StressJob j = { iter, out };
      const gsize n = 1 + iter % 1000;
      gl_parallel_for (n, 1 + iter % 7, stress_chunk, &j);
      for (gsize i = 0; i < n; i++)
        expect_sum += i + iter;
    }
  guint64 sum = 0;
  for (gsize i = 0; i < 1000; i++)
    sum += out[i];
  g_assert_cmpuint (sum, ==, expect_sum & G_MAXUINT64);
  gl_parallel_set_n_threads (1);
}

static void
test_parallel_matches_serial (void)
{
  float *one[18], *two[18];
  gsize sizes[18];
  run_kernels (1, one, sizes);
  run_kernels (2, two, sizes);
  for (guint i = 0; i < 18; i++)
    {
      if (memcmp (one[i], two[i], sizes[i] * sizeof (float)) != 0)
        g_error ("kernel output %u differs between 1 and 2 threads", i);
      g_free (one[i]);
      g_free (two[i]);
    }
}

/* gl_sgemm split over two threads, by rows or by columns, transposed or not,
 * with beta 0 and 1, gives the product computed directly in double. */
static void
test_sgemm_split (void)
{
  static const gsize shapes[][3] = { { 3001, 40, 70 }, { 12, 2500, 33 }, { 700, 700, 5 }, { 1, 1, 1 }, { 17, 9, 0 } };
  GlRng rng;
  gl_rng_init (&rng, 7);
  gl_parallel_set_n_threads (2);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint t = 0; t < 8; t++)
      {
        const gsize m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        const gboolean ta = (t & 1) != 0, tb = (t & 2) != 0;
        const float beta = (t & 4) ? 1.0f : 0.0f;
        /* Stored A is (m, k), or (k, m) when transposed; B (k, n) or (n, k).
         * Leading dimensions with a margin, to check the strides. */
        const gsize lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
        g_autofree float *a = random_floats (&rng, (ta ? k : m) * lda + 1, -1, 1);
        g_autofree float *b = random_floats (&rng, (tb ? n : k) * ldb + 1, -1, 1);
        g_autofree float *c = random_floats (&rng, m * ldc, -1, 1);
        g_autofree float *c0 = g_memdup2 (c, m * ldc * sizeof (float));
        gl_sgemm (ta, tb, m, n, k, 0.5f, a, lda, b, ldb, beta, c, ldc);
        for (gsize i = 0; i < m; i++)
          for (gsize j = 0; j < n + 5; j++)
            {
              if (j >= n)
                {
                  /* Outside C's columns: untouched. */
                  g_assert_cmpfloat (c[i * ldc + j], ==, c0[i * ldc + j]);
                  continue;
                }
              double sum = 0.0, mag = 0.0;
              for (gsize p = 0; p < k; p++)
                {
                  const double x = ta ? a[p * lda + i] : a[i * lda + p];
                  const double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                  sum += x * y;
                  mag += fabs (x * y);
                }
              const double want = 0.5 * sum + beta * c0[i * ldc + j];
              g_assert_cmpfloat_with_epsilon (c[i * ldc + j], want, 1e-5 * (1.0 + mag));
            }
      }
  gl_parallel_set_n_threads (1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gl_parallel_set_n_threads (1);
  g_test_add_func ("/engine/layers/conv-shapes", test_conv_shapes);
  g_test_add_func ("/engine/layers/im2col-adjoint", test_im2col_adjoint);
  g_test_add_func ("/engine/layers/conv-gradients", test_conv_gradients);
  g_test_add_func ("/engine/layers/conv-chunked", test_conv_chunked);
  g_test_add_func ("/engine/layers/conv-direct", test_conv_direct);
  g_test_add_func ("/engine/layers/dense-gradients", test_dense_gradients);
  g_test_add_func ("/engine/layers/relu-gradients", test_relu_gradients);
  g_test_add_func ("/engine/layers/maxpool-gradients", test_maxpool_gradients);
  g_test_add_func ("/engine/layers/gap-gradients", test_gap_gradients);
  g_test_add_func ("/engine/layers/batchnorm-gradients", test_batchnorm_gradients);
  g_test_add_func ("/engine/layers/batchnorm-running-stats", test_batchnorm_running_stats);
  g_test_add_func ("/engine/layers/dropout", test_dropout);
  g_test_add_func ("/engine/layers/softmax-xent", test_softmax_xent);
  g_test_add_func ("/engine/layers/optimizers", test_optimizers);
  g_test_add_func ("/engine/layers/rng", test_rng);
  g_test_add_func ("/engine/layers/parallel-for", test_parallel_for);
  g_test_add_func ("/engine/layers/parallel-matches-serial", test_parallel_matches_serial);
  g_test_add_func ("/engine/layers/sgemm-split", test_sgemm_split);
  return g_test_run ();
}
