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

#include "synth-project.h"

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
  gl_remove_tree (dir);
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
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/simulate/curve", test_curve);
  g_test_add_func ("/simulate/no-held-out", test_no_held_out);
  return g_test_run ();
}
