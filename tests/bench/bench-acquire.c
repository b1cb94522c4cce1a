/* bench-acquire.c — acquisition at the scale of Fashion-MNIST: a pool of
 * 60,000 items with 128-float embeddings and 10 classes. Prints seconds per
 * selection; not a test.
 *
 *   bench-acquire [--threads N] [--labeled N] [--batch N]
 */
#include <math.h>

#include "engine/gl-acquire.h"
#include "engine/gl-blas.h"
#include "engine/gl-parallel.h"

#define N_ITEMS 60000
#define DIM 128
#define N_CLASSES 10

static double
now (void)
{
  return (double) g_get_monotonic_time () / G_USEC_PER_SEC;
}

int
main (int argc, char **argv)
{
  gint threads = 1, labeled = 1000, batch = 100;
  GOptionEntry entries[] = {
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "OpenBLAS threads", "N" },
    { "labeled", 0, 0, G_OPTION_ARG_INT, &labeled, "Labeled items (k-center centres)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— acquisition at 60,000 × 128");
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rng = g_rand_new_with_seed (1);
  g_autofree float *emb = g_new (float, (gsize) N_ITEMS * DIM);            /* (N_ITEMS, DIM) */
  g_autofree float *probs = g_new (float, (gsize) N_ITEMS * N_CLASSES);    /* (N_ITEMS, N_CLASSES) */
  g_autofree float *feat = g_new (float, (gsize) N_ITEMS * 49);            /* (N_ITEMS, 49) */
  g_autofree guint8 *state = g_new0 (guint8, N_ITEMS);                     /* (N_ITEMS) */
  g_autofree gsize *out = NULL;
  GlAcquirePool pool = { .n = N_ITEMS, .n_classes = N_CLASSES, .state = state, .probs = probs,
                         .embeddings = emb, .dim = DIM };
  GlAcquireOptions options;
  double t0, t_kcenter, t_default, t_margin, t_cover;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-acquire: %s\n", error->message);
      return 1;
    }
  gl_parallel_set_n_threads (threads);
  g_autofree char *kernels = gl_blas_describe ();
  g_print ("bench-acquire: kernels=\"%s\"\n", kernels);
  out = g_new (gsize, MAX (batch, 1000));

  for (gsize i = 0; i < (gsize) N_ITEMS * DIM; i++)
    emb[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
  for (gsize i = 0; i < (gsize) N_ITEMS * 49; i++)
    feat[i] = (float) g_rand_double (rng);
  for (gsize i = 0; i < N_ITEMS; i++)
    {
      float sum = 0.0f;
      for (guint c = 0; c < N_CLASSES; c++)
        sum += probs[i * N_CLASSES + c] = (float) exp (3.0 * g_rand_double (rng));
      for (guint c = 0; c < N_CLASSES; c++)
        probs[i * N_CLASSES + c] /= sum;
    }
  for (gint l = 0; l < labeled && l < N_ITEMS; l++)
    state[(gsize) l * (N_ITEMS / MAX (labeled, 1))] = GL_ITEM_LABELED;

  gl_acquire_options_init (&options);
  options.batch_size = (guint) batch;

  t0 = now ();
  gl_acquire_k_center (emb, N_ITEMS, DIM, state, (gsize) batch, out, NULL);
  t_kcenter = now () - t0;

  t0 = now ();
  {
    g_autoptr (GArray) b = gl_acquire_select (GL_STRATEGY_DEFAULT, &pool, &options, &error);
    g_assert_no_error (error);
  }
  t_default = now () - t0;

  t0 = now ();
  {
    g_autoptr (GArray) b = gl_acquire_select (GL_STRATEGY_MARGIN, &pool, &options, &error);
    g_assert_no_error (error);
  }
  t_margin = now () - t0;

  t0 = now ();
  gl_acquire_coverage_order (feat, N_ITEMS, 49, NULL, 1000, 1, out);
  t_cover = now () - t0;

  g_print ("pool %d x %d, %d labeled, batch %d, %d BLAS thread(s)\n", N_ITEMS, DIM, labeled, batch, threads);
  g_print ("k-center %d of %d: %.3f s\n", batch, N_ITEMS - labeled, t_kcenter);
  g_print ("default batch: %.3f s\n", t_default);
  g_print ("margin batch: %.3f s\n", t_margin);
  g_print ("cold-start coverage order, 1,000 of 60,000 on 7x7: %.3f s\n", t_cover);
  g_print ("bench-acquire: kcenter_s=%.3f default_s=%.3f margin_s=%.3f coverage_s=%.3f\n", t_kcenter, t_default,
           t_margin, t_cover);
  return 0;
}
