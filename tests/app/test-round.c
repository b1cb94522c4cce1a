/* Tests of the round shared by the app and the simulator (app/gl-round.h):
 * the simulator runs two rounds on a small learnable project (random seed
 * labels, then a batch chosen by the default strategy with its audit items);
 * the app's trainer is given the same labels (the audit ones as audit
 * labels) in two rounds with the same seed, and must make the same model:
 * the same split (training, validation, audit apart) and the same network,
 * compared by its probabilities on the held-out test images. With one engine
 * thread on both sides. Also: the labels the round orders by image id make
 * the same model in any order; the interpolated labels-to-accuracy and the
 * area under the learning curve. */
#include "app/gl-round.h"
#include "app/gl-simulate.h"
#include "app/gl-trainer.h"

#include <math.h>
#include <string.h>

#include "db/gl-db-private.h" /* gl_db_test_set_chunk_us */
#include "engine/gl-model-file.h"
#include "engine/gl-parallel.h"

#include "synth-project.h"

#define SEED 5
#define SEED_LABELS 30
#define BATCH 20

static void
label_images (GlDb *db, GlSimulateResult *sim, guint from, guint to)
{
  GError *error = NULL;

  for (guint i = from; i < to; i++)
    {
      gint64 id = g_array_index (sim->labeled, gint64, i);
      gint64 cls = synth_reference (db, id);
      gboolean audit = g_array_index (sim->audit, gboolean, i);
      g_assert_true ((audit ? gl_db_set_audit_label : gl_db_set_label) (db, id, cls, GL_DB_ORIGIN_HUMAN, NULL,
                                                                        NULL, &error));
      g_assert_no_error (error);
    }
}

static void
test_app_and_simulator (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-round-XXXXXX", &error);
  g_assert_no_error (error);
  GlProject *p = synth_project (dir, 160, 40);

  /* The simulator: SEED_LABELS random labels, then BATCH chosen. */
  gl_parallel_set_n_threads (1);
  GlSimulateOptions o;
  gl_simulate_options_init (&o);
  o.seed_labels = SEED_LABELS;
  o.batch = BATCH;
  o.budget = SEED_LABELS + BATCH;
  o.epochs = 2;
  o.min_steps = 20;
  o.round_seconds = 1000; /* never cut by time: the same steps on both sides */
  o.seed = SEED;
  g_autoptr (GlSimulateResult) sim = gl_simulate_run (p, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sim->rounds->len, ==, 2);
  g_assert_cmpuint (sim->labeled->len, ==, SEED_LABELS + BATCH);
  guint n_audit = 0;
  for (guint i = 0; i < sim->audit->len; i++)
    n_audit += g_array_index (sim->audit, gboolean, i);
  g_assert_cmpuint (n_audit, ==, BATCH / 10); /* the audit share, 10% of the batch */
  const GlSimulateRound *last = &g_array_index (sim->rounds, GlSimulateRound, 1);
  g_assert_cmpuint (last->labels, ==, SEED_LABELS + BATCH);
  /* The validation hold-out and the audit labels are not trained on. */
  g_assert_cmpuint (last->n_train, <, SEED_LABELS + BATCH - n_audit);
  g_assert_true (isfinite (last->validation_accuracy));

  /* The app: the same labels, two rounds, the same seed. */
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  GlTrainer *trainer = gl_trainer_new (p, &error);
  g_assert_no_error (error);
  gl_trainer_set_retrain_every (trainer, 0);
  gl_trainer_set_n_threads (trainer, 1);
  gl_trainer_set_max_epochs (trainer, o.epochs);
  gl_trainer_set_min_steps (trainer, o.min_steps);
  gl_trainer_set_time_budget (trainer, o.round_seconds);
  gl_trainer_set_seed (trainer, SEED);
  GlTrainerReport report;
  label_images (db, sim, 0, SEED_LABELS);
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &report, NULL, &error));
  g_assert_no_error (error);
  label_images (db, sim, SEED_LABELS, SEED_LABELS + BATCH);
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (report.n_train, ==, last->n_train);
  g_assert_cmpuint (report.n_train + report.n_validation + n_audit, ==, SEED_LABELS + BATCH);
  g_assert_cmpint (report.warm_start, >, 0);

  /* The same network: the same probabilities on the test images. */
  GlDbModelVersion v = { 0 };
  g_assert_true (gl_db_get_model_version (db, gl_db_get_current_model (db), &v, &error));
  g_autoptr (GlNet) app_net = gl_model_file_load (v.path, NULL, &error);
  g_assert_no_error (error);
  gl_db_model_version_clear (&v);
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < images->len; i++)
    if (g_array_index (images, GlPoolImage, i).held_out)
      {
        guint64 row = (guint64)g_array_index (images, GlPoolImage, i).cache_row;
        g_array_append_val (rows, row);
      }
  g_assert_cmpuint (rows->len, ==, 40);
  g_autoptr (GlPixelMap) map = gl_project_map_pixels (p, &error);
  g_assert_no_error (error);
  GlDataset data = { gl_pixel_map_data (map), 0, 0, 0, 0 };
  gl_pixel_map_shape (map, &data.h, &data.w, &data.c);
  data.row_stride = (gsize)data.h * data.w * data.c;
  guint k = gl_net_get_n_classes (app_net);
  g_autofree float *pa = g_new (float, rows->len *k);
  g_autofree float *ps = g_new (float, rows->len *k);
  g_assert_true (
      gl_net_predict (app_net, &data, (guint64 *)rows->data, rows->len, pa, NULL, NULL, NULL, NULL, &error));
  g_assert_true (
      gl_net_predict (sim->net, &data, (guint64 *)rows->data, rows->len, ps, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  double max_diff = 0;
  for (gsize i = 0; i < rows->len * k; i++)
    max_diff = MAX (max_diff, fabs ((double)pa[i] - (double)ps[i]));
  g_test_message ("largest difference of the probabilities: %g", max_diff);
  g_assert_cmpfloat (max_diff, <=, 1e-6);

  g_object_unref (trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&map, gl_pixel_map_free);
  g_clear_pointer (&db, gl_db_close);
  gl_project_close (p);
  gl_remove_tree (dir);
}

/* The round writes its predictions in transactions sized by time, not in
 * batches of a fixed count: with no time for work per transaction
 * (gl_db_test_set_chunk_us (0); not a timed test), every prediction is a
 * transaction of its own. */
static void
test_predictions_by_time (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-round-XXXXXX", &error);
  g_assert_no_error (error);
  GlProject *p = synth_project (dir, 160, 40);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  synth_label_first (p, db, 40);
  GlTrainer *trainer = gl_trainer_new (p, &error);
  g_assert_no_error (error);
  gl_trainer_set_retrain_every (trainer, 0);
  gl_trainer_set_n_threads (trainer, 1);
  gl_trainer_set_max_epochs (trainer, 1);
  gl_trainer_set_min_steps (trainer, 5);
  gl_db_test_set_chunk_us (0);
  gl_db_reset_hold_stats ();
  GlTrainerReport report;
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &report, NULL, &error));
  g_assert_no_error (error);
  gl_db_test_set_chunk_us (-1);
  GlDbHoldStats holds;
  gl_db_get_hold_stats (&holds);
  g_test_message ("%" G_GUINT64_FORMAT " write transactions for %" G_GUINT64_FORMAT " predictions", holds.n,
                  report.n_scored);
  g_assert_cmpuint (report.n_scored, ==, 160 + 40); /* every image, the pool and the held-out test */
  g_assert_cmpuint (holds.n, >=, report.n_scored);
  g_assert_cmpint (gl_db_query_int (db, "SELECT COUNT (*) FROM predictions WHERE model_id = ?1", TRUE,
                                    report.model_version, -1), ==, (gint64) report.n_scored);
  g_assert_cmpint (gl_db_get_current_model (db), ==, report.model_version);

  g_object_unref (trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&db, gl_db_close);
  gl_project_close (p);
  gl_remove_tree (dir);
}

/* The round orders its labels by image id: any order makes the same split
 * and the same network. */
static void
test_label_order (void)
{
  GError *error = NULL;
  static guint8 pixels[12][28 * 28];
  GlDataset data = { &pixels[0][0], 28 * 28, 28, 28, 1 };
  gint64 ids[12], rev_ids[12];
  guint64 rows[12], rev_rows[12];
  gint classes[12], rev_classes[12];
  gboolean audit[12] = { FALSE }, rev_audit[12] = { FALSE };
  GlRoundOptions options;

  for (guint i = 0; i < 12; i++)
    {
      for (guint j = 0; j < 28 * 28; j++)
        pixels[i][j] = (guint8)((i % 2) ? 200 + j % 50 : 10 + (i * j) % 50);
      ids[i] = 100 + i;
      rows[i] = i;
      classes[i] = (gint)(i % 2);
      audit[i] = i == 5;
      rev_ids[11 - i] = ids[i];
      rev_rows[11 - i] = rows[i];
      rev_classes[11 - i] = classes[i];
      rev_audit[11 - i] = audit[i];
    }
  gl_round_options_init (&options);
  options.max_epochs = 2;
  options.min_steps = 4;
  options.seed = gl_round_seed (3, 0);
  gl_parallel_set_n_threads (1);
  g_autoptr (GlRound) a = gl_round_new (&data, 2, &options);
  g_autoptr (GlRound) b = gl_round_new (&data, 2, &options);
  g_assert_true (gl_round_set_labels (a, ids, rows, classes, audit, 12, &error));
  g_assert_true (gl_round_set_labels (b, rev_ids, rev_rows, rev_classes, rev_audit, 12, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (a->audit_rows->len, ==, 1);
  g_assert_cmpuint (a->train_rows->len + a->val_rows->len, ==, 11);
  g_assert_cmpmem (a->train_rows->data, a->train_rows->len * sizeof (guint64), b->train_rows->data,
                   b->train_rows->len * sizeof (guint64));
  g_assert_cmpmem (a->val_rows->data, a->val_rows->len * sizeof (guint64), b->val_rows->data,
                   b->val_rows->len * sizeof (guint64));
  g_assert_true (gl_round_train (a, NULL, NULL, NULL, NULL, &error));
  g_assert_true (gl_round_train (b, NULL, NULL, NULL, NULL, &error));
  g_assert_true (gl_round_evaluate (a, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (a->audit);
  g_assert_true (gl_round_score (a, a->net, rows, 12, 0, NULL, NULL, NULL, &error));
  g_assert_true (gl_round_score (b, b->net, rows, 12, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (a->probs, 12 * 2 * sizeof (float), b->probs, 12 * 2 * sizeof (float));

  /* One class only: nothing to train on. */
  gint one[12] = { 0 };
  g_autoptr (GlRound) c = gl_round_new (&data, 2, &options);
  g_assert_false (gl_round_set_labels (c, ids, rows, one, NULL, 12, &error));
  g_assert_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_NO_LABELS);
  g_clear_error (&error);
}

/* Labels to an accuracy, between rounds; the area under the curve by hand. */
static void
test_curve_figures (void)
{
  GlSimulateResult r = { 0 };
  const GlSimulateRound rounds[] = { { 0, 100, 0.60 }, { 1, 200, 0.80 }, { 2, 300, 0.90 } };

  r.rounds = g_array_new (FALSE, TRUE, sizeof (GlSimulateRound));
  g_array_append_vals (r.rounds, rounds, G_N_ELEMENTS (rounds));
  /* 0.85 lies halfway between 0.80 (200) and 0.90 (300). */
  g_assert_cmpfloat_with_epsilon (gl_simulate_labels_to_reach_interpolated (&r, 0.85), 250.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (gl_simulate_labels_to_reach_interpolated (&r, 0.5), 100.0, 1e-9);
  g_assert_true (isnan (gl_simulate_labels_to_reach_interpolated (&r, 0.95)));
  g_assert_cmpuint (gl_simulate_labels_to_reach (&r, 0.85), ==, 300);
  /* 0…100: 0; 100…200: 0.70 mean; 200…300: 0.85; 300…400: 0.90 held → (70 + 85 + 90) / 400. */
  g_assert_cmpfloat_with_epsilon (gl_simulate_curve_area (&r, 400), (70.0 + 85.0 + 90.0) / 400.0, 1e-9);
  /* Cut inside a segment: 100…150 from 0.60 to 0.70 → 32.5 / 150. */
  g_assert_cmpfloat_with_epsilon (gl_simulate_curve_area (&r, 150), 32.5 / 150.0, 1e-9);
  g_array_unref (r.rounds);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/round/app-and-simulator", test_app_and_simulator);
  g_test_add_func ("/round/label-order", test_label_order);
  g_test_add_func ("/round/predictions-by-time", test_predictions_by_time);
  g_test_add_func ("/round/curve-figures", test_curve_figures);
  return g_test_run ();
}
