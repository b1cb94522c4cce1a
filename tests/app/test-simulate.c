/* Tests of the simulator: a small learnable project with reference labels
 * and a held-out test batch; the learning curve has one round per batch up to
 * the budget (or a sample of it, or an accuracy to stop at), is reproducible
 * with one BLAS thread, learns well above chance; bad options and a project without an oracle are
 * clear errors; the JSON form. */
#include "app/gl-simulate.h"
#include "app/gl-trainer.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "db/gl-db.h"

/* ---- a small learnable project (shared shape of the loop tests) ----
 * 28×28 grey images of four classes: a bright 10×10 square in quadrant
 * (label) with a jitter of ±2 pixels, on noise. Pool images carry REFERENCE
 * labels (the oracle); a second batch is the held-out test set. */

static const char *const synth_classes[] = { "top-left", "top-right", "bottom-left", "bottom-right", NULL };

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  if (d != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
put_be32 (GByteArray *a, guint32 v)
{
  const guint8 b[4] = { (guint8) (v >> 24), (guint8) (v >> 16), (guint8) (v >> 8), (guint8) v };
  g_byte_array_append (a, b, 4);
}

static void
write_synth_idx (const char *dir, const char *split, guint n, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GByteArray) img = g_byte_array_new ();
  g_autoptr (GByteArray) lab = g_byte_array_new ();
  put_be32 (img, 0x00000803);
  put_be32 (img, n);
  put_be32 (img, 28);
  put_be32 (img, 28);
  put_be32 (lab, 0x00000801);
  put_be32 (lab, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 px[28 * 28];
      guint8 label = (guint8) (i % 4);
      for (guint j = 0; j < sizeof px; j++)
        px[j] = (guint8) g_rand_int_range (rand, 0, 40);
      gint x0 = (label % 2) * 14 + 2 + g_rand_int_range (rand, -2, 3);
      gint y0 = (label / 2) * 14 + 2 + g_rand_int_range (rand, -2, 3);
      for (gint y = MAX (y0, 0); y < MIN (y0 + 10, 28); y++)
        for (gint x = MAX (x0, 0); x < MIN (x0 + 10, 28); x++)
          px[y * 28 + x] = (guint8) g_rand_int_range (rand, 200, 256);
      g_byte_array_append (img, px, sizeof px);
      g_byte_array_append (lab, &label, 1);
    }
  g_autofree char *in = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, split);
  g_autofree char *ln = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, split);
  g_assert_true (g_file_set_contents (in, (const char *) img->data, img->len, NULL));
  g_assert_true (g_file_set_contents (ln, (const char *) lab->data, lab->len, NULL));
}

static void
synth_import (GlProject *p, const char *dir, const char *split, gboolean held_out)
{
  g_autofree char *images = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, split);
  g_autofree char *labels = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, split);
  GlImportOptions o;
  gl_import_options_init (&o);
  o.layout = GL_IMPORT_LAYOUT_IDX;
  o.idx_labels = labels;
  o.labels_as = GL_LABELS_AS_REFERENCE;
  o.held_out_test = held_out;
  o.thumbnails = FALSE;
  const char *paths[] = { images, NULL };
  GError *error = NULL;
  g_assert_true (gl_project_import (p, paths, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A project in @dir/project with @n_pool pool and @n_test held-out images. */
static GlProject *
synth_project (const char *dir, guint n_pool, guint n_test)
{
  write_synth_idx (dir, "train", n_pool, 1);
  if (n_test > 0)
    write_synth_idx (dir, "test", n_test, 2);
  g_autofree char *proj = g_build_filename (dir, "project", NULL);
  GError *error = NULL;
  GlProject *p = gl_project_create (proj, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  synth_import (p, dir, "train", FALSE);
  if (n_test > 0)
    synth_import (p, dir, "test", TRUE);
  return p;
}

static void
count_round (const GlSimulateRound *r, gpointer data)
{
  (*(guint *) data)++;
  g_assert_true (r->seconds >= 0);
}

static void
test_curve (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-simulate-XXXXXX", &error);
  g_assert_no_error (error);
  GlProject *p = synth_project (dir, 160, 40);
  GlSimulateOptions o;
  gl_simulate_options_init (&o);
  o.seed_labels = 20;
  o.batch = 20;
  o.budget = 60;
  o.epochs = 2;
  o.min_steps = 20;
  o.seed = 3;
  const char *strategies[] = { "default", "random", "margin", "entropy", "least-confidence", "bald", "k-center" };
  for (guint s = 0; s < G_N_ELEMENTS (strategies); s++)
    {
      o.strategy = strategies[s];
      /* default learns a full curve; the others run two short rounds. */
      gboolean full = s == 0;
      o.budget = full ? 60 : 40;
      o.min_steps = full ? 20 : 8;
      guint n_rounds = full ? 3 : 2;
      guint calls = 0;
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (GlSimulateResult) r = gl_simulate_run (p, &o, count_round, &calls, NULL, &error);
      g_test_message ("%s: %.1f s, accuracy %.3f %.3f", strategies[s], (g_get_monotonic_time () - t0) / 1e6,
                      g_array_index (r->rounds, GlSimulateRound, 0).test_accuracy,
                      g_array_index (r->rounds, GlSimulateRound, 1).test_accuracy);
      g_assert_no_error (error);
      g_assert_cmpstr (r->strategy, ==, strategies[s]);
      g_assert_cmpuint (r->pool_size, ==, 160);
      g_assert_cmpuint (r->test_size, ==, 40);
      g_assert_cmpuint (r->rounds->len, ==, n_rounds);
      g_assert_cmpuint (calls, ==, n_rounds);
      for (guint i = 0; i < n_rounds; i++)
        {
          const GlSimulateRound *x = &g_array_index (r->rounds, GlSimulateRound, i);
          g_assert_cmpuint (x->labels, ==, 20 * (i + 1));
          g_assert_true (x->test_accuracy >= 0 && x->test_accuracy <= 1);
          g_assert_true (x->macro_f1 >= 0 && x->macro_f1 <= 1);
        }
      const GlSimulateRound *last = &g_array_index (r->rounds, GlSimulateRound, n_rounds - 1);
      if (full)
        g_assert_cmpfloat (last->test_accuracy, >, 0.5); /* four classes: chance is 0.25 */
      if (s == 0)
        {
          g_autofree char *json = gl_simulate_result_to_json (r);
          g_assert_true (g_str_has_prefix (json, "{\"strategy\":\"default\",\"pool\":160,\"test\":40,\"rounds\":"
                                                 "[{\"labels\":20,\"test_accuracy\":"));
          g_assert_nonnull (strstr (json, "\"labels_to_85\":"));
          guint64 to = gl_simulate_labels_to_reach (r, 0.0);
          g_assert_cmpuint (to, ==, 20);
          g_assert_cmpuint (gl_simulate_labels_to_reach (r, 1.01), ==, 0);
        }
      else if (g_str_equal (strategies[s], "random"))
        {
          /* Reproducible: the same run again gives the same curve. */
          g_autoptr (GlSimulateResult) again = gl_simulate_run (p, &o, NULL, NULL, NULL, &error);
          g_assert_no_error (error);
          for (guint i = 0; i < n_rounds; i++)
            g_assert_cmpfloat (g_array_index (again->rounds, GlSimulateRound, i).test_accuracy, ==,
                               g_array_index (r->rounds, GlSimulateRound, i).test_accuracy);
        }
    }
  /* Rescoring a sample of the pool; stopping at an accuracy. */
  o.strategy = "default";
  o.budget = 40;
  o.min_steps = 8;
  o.pool_sample = 30;
  g_autoptr (GlSimulateResult) sampled = gl_simulate_run (p, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sampled->rounds->len, ==, 2);
  g_assert_cmpuint (g_array_index (sampled->rounds, GlSimulateRound, 1).labels, ==, 40);
  o.pool_sample = 0;
  o.stop_accuracy = 0.01;
  g_autoptr (GlSimulateResult) stopped = gl_simulate_run (p, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stopped->rounds->len, ==, 1);
  o.stop_accuracy = 0;

  /* Errors. */
  o.strategy = "psychic";
  g_assert_null (gl_simulate_run (p, &o, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "psychic"));
  g_clear_error (&error);
  o.strategy = "random";
  o.seed_labels = 500;
  o.budget = 600;
  g_assert_null (gl_simulate_run (p, &o, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_NO_ORACLE);
  g_clear_error (&error);
  o.seed_labels = 70;
  o.budget = 60;
  g_assert_null (gl_simulate_run (p, &o, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_INVALID);
  g_clear_error (&error);
  gl_project_close (p);
  remove_tree (dir);
}

static void
test_no_held_out (void)
{
  /* Without a held-out batch, a hashed share of the reference labels is the test set. */
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-simulate-XXXXXX", &error);
  GlProject *p = synth_project (dir, 100, 0);
  GlSimulateOptions o;
  gl_simulate_options_init (&o);
  o.seed_labels = 10;
  o.batch = 10;
  o.budget = 20;
  o.epochs = 2;
  o.min_steps = 20;
  g_autoptr (GlSimulateResult) r = gl_simulate_run (p, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r->pool_size + r->test_size, ==, 100);
  g_assert_cmpuint (r->test_size, >, 5);
  g_assert_cmpuint (r->test_size, <, 40);
  gl_project_close (p);
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/simulate/curve", test_curve);
  g_test_add_func ("/simulate/no-held-out", test_no_held_out);
  return g_test_run ();
}
