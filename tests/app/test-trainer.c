/* Tests of the trainer: the deterministic stratified validation split; a
 * round on a small project (a model version saved and recorded with its
 * metrics, the pool rescored, a ranking stored, signals on the main thread);
 * a warm-started second round; the retrain-every-N policy; cancellation
 * keeping the last model; a cold-start ranking without a model; nothing to
 * train on; the preferences' setters (audit and validation shares,
 * augmentation, threads). */
#include "app/gl-trainer.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "db/gl-db.h"

#include "synth-project.h"

/* ---- split ---- */

static void
test_split (void)
{
  /* 3 classes: 100, 10 and 4 labels, 1 label. */
  gint64 ids[115];
  gint classes[115];
  for (guint i = 0; i < 115; i++)
    {
      ids[i] = 1000 + i * 7;
      classes[i] = i < 100 ? 0 : i < 110 ? 1 : i < 114 ? 2 : 3;
    }
  gboolean a[115], b[115];
  gsize n = gl_trainer_split_labels (ids, classes, 115, 4, 0.2, a);
  gl_trainer_split_labels (ids, classes, 115, 4, 0.2, b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  guint per[4] = { 0 };
  gsize total = 0;
  for (guint i = 0; i < 115; i++)
    if (a[i])
      per[classes[i]]++, total++;
  g_assert_cmpuint (total, ==, n);
  g_assert_cmpuint (per[0], >=, 10); /* about 20 of 100 */
  g_assert_cmpuint (per[0], <=, 32);
  g_assert_cmpuint (per[1], >=, GL_TRAINER_MIN_VALIDATION); /* topped up */
  g_assert_cmpuint (per[1], <, 10);
  g_assert_cmpuint (per[2], <, 4); /* too small to spare three; one always trains */
  g_assert_cmpuint (per[3], ==, 0);

  /* Stable as labels arrive: an id in the share stays in validation. */
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (a[i], ==, gl_trainer_hash_in_share (ids[i], 0.2));
  gint64 more_ids[200];
  gint more_classes[200];
  gboolean c[200];
  for (guint i = 0; i < 200; i++)
    more_ids[i] = 1000 + i * 7, more_classes[i] = 0;
  gl_trainer_split_labels (more_ids, more_classes, 200, 1, 0.2, c);
  for (guint i = 0; i < 100; i++)
    g_assert_cmpint (c[i], ==, a[i]);

  guint in = 0;
  for (gint64 id = 1; id <= 10000; id++)
    in += gl_trainer_hash_in_share (id, 0.2);
  g_assert_cmpuint (in, >, 1800);
  g_assert_cmpuint (in, <, 2200);
  g_assert_cmpuint (gl_trainer_split_labels (ids, classes, 115, 4, 0, a), ==, 0);
}

/* ---- rounds ---- */

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db;
  GlTrainer *trainer;
  guint model_ready, ranking_ready, failed, progress;
  gint64 version;
  double accuracy, previous;
  GThread *main_thread;
} Fixture;

static void
on_model_ready (GlTrainer *t, gint64 version, double accuracy, double previous, Fixture *fx)
{
  g_assert_true (g_thread_self () == fx->main_thread);
  fx->model_ready++;
  fx->version = version;
  fx->accuracy = accuracy;
  fx->previous = previous;
}

static void
on_ranking_ready (GlTrainer *t, Fixture *fx)
{
  g_assert_true (g_thread_self () == fx->main_thread);
  fx->ranking_ready++;
}

static void
on_failed (GlTrainer *t, GError *error, Fixture *fx)
{
  g_test_message ("failed: %s", error->message);
  fx->failed++;
}

static void
on_progress (GlTrainer *t, Fixture *fx)
{
  g_assert_true (g_thread_self () == fx->main_thread);
  double f = gl_trainer_get_fraction (t);
  g_assert_true (f == -1 || (f >= 0 && f <= 1));
  fx->progress++;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-trainer-XXXXXX", &error);
  g_assert_no_error (error);
  fx->project = synth_project (fx->dir, 160, 40);
  fx->db = gl_db_open (gl_project_get_db_path (fx->project), &error);
  g_assert_no_error (error);
  fx->trainer = gl_trainer_new (fx->project, &error);
  g_assert_no_error (error);
  /* Short rounds for the tests. */
  gl_trainer_set_max_epochs (fx->trainer, 3);
  gl_trainer_set_min_steps (fx->trainer, 30);
  fx->main_thread = g_thread_self ();
  fx->accuracy = fx->previous = NAN;
  g_signal_connect (fx->trainer, "model-ready", G_CALLBACK (on_model_ready), fx);
  g_signal_connect (fx->trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), fx);
  g_signal_connect (fx->trainer, "failed", G_CALLBACK (on_failed), fx);
  g_signal_connect (fx->trainer, "progress", G_CALLBACK (on_progress), fx);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->trainer);
  /* Completions of cancelled jobs arrive after the trainer is gone. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_db_close (fx->db);
  gl_project_close (fx->project);
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
}

static void
test_round (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  synth_label_first (fx->project, fx->db, 60);
  GlTrainerReport r;
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.model_version, >, 0);
  g_assert_cmpuint (r.n_train + r.n_validation, ==, 60);
  g_assert_cmpuint (r.n_validation, >=, 4 * GL_TRAINER_MIN_VALIDATION);
  g_assert_cmpuint (r.n_scored, ==, 200); /* pool and held-out images */
  g_assert_true (r.accuracy >= 0 && r.accuracy <= 1);
  g_assert_cmpuint (fx->model_ready, ==, 1);
  g_assert_cmpuint (fx->ranking_ready, ==, 1);
  g_assert_cmpuint (fx->failed, ==, 0);
  g_assert_cmpuint (fx->progress, >, 0);
  g_assert_cmpint (fx->version, ==, r.model_version);
  g_assert_true (isnan (fx->previous));
  g_assert_cmpint (gl_trainer_get_state (fx->trainer), ==, GL_TRAINER_IDLE);
  g_assert_cmpint (gl_trainer_get_model_version (fx->trainer), ==, r.model_version);

  /* Stored: the version (file under models/), metrics per class, predictions, the queue. */
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, r.model_version);
  GlDbModelVersion v = { 0 };
  g_assert_true (gl_db_get_model_version (fx->db, r.model_version, &v, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (v.path, gl_project_get_models_dir (fx->project)));
  g_assert_true (g_file_test (v.path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (v.n_labels, ==, 60);
  g_assert_cmpfloat (v.val_accuracy, ==, r.accuracy);
  g_assert_nonnull (v.metrics);
  gl_db_model_version_clear (&v);
  g_autoptr (GArray) cm = gl_db_get_class_metrics (fx->db, r.model_version, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cm->len, ==, 4);
  guint64 support = 0;
  for (guint i = 0; i < cm->len; i++)
    support += g_array_index (cm, GlDbClassMetrics, i).support;
  g_assert_cmpuint (support, ==, r.n_validation);
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (fx->project), &error);
  GlDbPrediction p = { 0 };
  const GlPoolImage *last = &g_array_index (images, GlPoolImage, images->len - 1);
  g_assert_true (gl_db_get_prediction (fx->db, -1, last->image_id, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (p.n_probs, ==, 4);
  double sum = 0;
  for (guint k = 0; k < 4; k++)
    sum += p.probs[k];
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-4);
  gl_db_prediction_clear (&p);
  g_autoptr (GArray) queue = gl_db_read_queue (fx->db, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queue->len, >, 0);
  guint audit = 0;
  for (guint i = 0; i < queue->len; i++)
    {
      const GlDbQueueItem *q = &g_array_index (queue, GlDbQueueItem, i);
      GlDbImage im = { 0 };
      g_assert_true (gl_db_get_image (fx->db, q->image_id, &im, NULL));
      g_assert_false (im.held_out_test); /* never queued */
      gl_db_image_clear (&im);
      audit += q->audit;
    }
  g_assert_cmpuint (audit, >, 0);

  /* The easy data is learned well above chance (0.25). */
  g_assert_cmpfloat (r.accuracy, >, 0.5);

  /* A second round warm-starts and reports the previous accuracy. */
  synth_label_first (fx->project, fx->db, 20);
  GlTrainerReport r2;
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, &r2, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r2.model_version, >, r.model_version);
  g_assert_cmpuint (r2.n_train + r2.n_validation, ==, 80);
  g_assert_cmpfloat (fx->previous, ==, r.accuracy);
  g_autoptr (GArray) versions = gl_db_list_model_versions (fx->db, &error);
  g_assert_cmpuint (versions->len, ==, 2);

  /* A new trainer (a new session) continues from the stored model. */
  g_clear_object (&fx->trainer);
  fx->trainer = gl_trainer_new (fx->project, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_trainer_get_model_version (fx->trainer), ==, r2.model_version);
  g_assert_true (gl_trainer_run_round (fx->trainer, FALSE, NULL, NULL, &error)); /* rank with the loaded model */
  g_assert_no_error (error);

  /* Labels given to audit items are neither trained on nor in the validation
   * share: they make the audit accuracy, which is NaN without them. */
  g_assert_true (isnan (r.audit_accuracy) && isnan (r2.audit_accuracy));
  guint n_audit = 0;
  for (guint i = 0; i < images->len && n_audit < 12; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      GlDbLabel l;
      g_assert_true (gl_db_get_current_label (fx->db, im->image_id, FALSE, &l, &error));
      gboolean labeled = l.class_id >= 0;
      gl_db_label_clear (&l);
      if (im->held_out || labeled)
        continue;
      g_assert_true (gl_db_set_audit_label (fx->db, im->image_id, synth_reference (fx->db, im->image_id),
                                            GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
      n_audit++;
    }
  g_assert_cmpuint (n_audit, ==, 12);
  GlTrainerReport r3;
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, &r3, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r3.n_train + r3.n_validation, ==, 80);
  g_assert_true (r3.audit_accuracy >= 0 && r3.audit_accuracy <= 1);
}

/* Labels given while a round trains are not in it (it trained on its
 * snapshot) and stay counted for the next round, which takes them. */
static void
test_labels_during_round (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  synth_label_first (fx->project, fx->db, 40);
  gl_trainer_set_retrain_every (fx->trainer, 1000);
  /* Long enough that the labels below land while it trains. */
  gl_trainer_set_max_epochs (fx->trainer, 1000);
  gl_trainer_set_min_steps (fx->trainer, 0);
  gl_trainer_set_time_budget (fx->trainer, 2.0);
  gl_trainer_train_now (fx->trainer);
  while (gl_trainer_get_epoch (fx->trainer) == 0 && fx->model_ready == 0 && fx->failed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fx->model_ready, ==, 0); /* still training: its snapshot is taken */
  synth_label_first (fx->project, fx->db, 10);
  gl_trainer_count_labels (fx->trainer, 10);
  while (fx->model_ready == 0 && fx->failed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fx->failed, ==, 0);
  GlDbModelVersion v = { 0 };
  g_assert_true (gl_db_get_model_version (fx->db, fx->version, &v, &error));
  g_assert_cmpuint (v.n_labels, ==, 40);
  gl_db_model_version_clear (&v);
  g_assert_cmpuint (gl_trainer_get_labels_pending (fx->trainer), ==, 10);
  /* Wait for the round's ranking too, then the next round takes all 50. */
  while (gl_trainer_get_state (fx->trainer) != GL_TRAINER_IDLE)
    g_main_context_iteration (NULL, TRUE);
  gl_trainer_set_max_epochs (fx->trainer, 3);
  gl_trainer_set_min_steps (fx->trainer, 30);
  GlTrainerReport r;
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_train + r.n_validation, ==, 50);
}

static void
test_nothing_to_train (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_false (gl_trainer_run_round (fx->trainer, TRUE, NULL, NULL, &error));
  g_assert_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_NO_LABELS);
  g_clear_error (&error);
  g_assert_cmpuint (fx->failed, ==, 1);
  g_assert_cmpint (gl_db_get_current_model (fx->db), <, 0);

  /* Cold start: a ranking for coverage without a model. */
  g_assert_true (gl_trainer_run_round (fx->trainer, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GArray) queue = gl_db_read_queue (fx->db, 1000, &error);
  /* The coverage order of the ranking size (100), then the rest of the pool
   * (160) at random: the queue walks it until the first model ranks. */
  g_assert_cmpuint (queue->len, ==, 160);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < queue->len; i++)
    {
      GlDbQueueItem *q = &g_array_index (queue, GlDbQueueItem, i);
      g_assert_cmpstr (q->reason, ==, "cold start");
      g_assert_false (g_hash_table_contains (seen, &q->image_id));
      g_hash_table_add (seen, &q->image_id);
    }
  /* Coverage: the first eight span more than one class. */
  guint classes_in_first = 0;
  g_autoptr (GHashTable) cls = g_hash_table_new (g_int64_hash, g_int64_equal);
  gint64 refs[8];
  for (guint i = 0; i < 8; i++)
    {
      refs[i] = synth_reference (fx->db, g_array_index (queue, GlDbQueueItem, i).image_id);
      if (!g_hash_table_contains (cls, &refs[i]))
        g_hash_table_add (cls, &refs[i]), classes_in_first++;
    }
  g_assert_cmpuint (classes_in_first, >=, 3);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
test_policy (Fixture *fx, gconstpointer data)
{
  synth_label_first (fx->project, fx->db, 40);
  gl_trainer_set_retrain_every (fx->trainer, 5);
  gl_trainer_count_labels (fx->trainer, 4);
  g_assert_cmpuint (gl_trainer_get_labels_pending (fx->trainer), ==, 4);
  g_assert_cmpint (gl_trainer_get_state (fx->trainer), ==, GL_TRAINER_IDLE);
  gl_trainer_count_labels (fx->trainer, 1); /* the fifth starts a round */
  g_assert_cmpint (gl_trainer_get_state (fx->trainer), !=, GL_TRAINER_IDLE);
  g_assert_cmpuint (gl_trainer_get_labels_pending (fx->trainer), ==, 0);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gulong id = g_signal_connect_swapped (fx->trainer, "ranking-ready", G_CALLBACK (quit_loop), loop);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (fx->trainer, id);
  g_assert_cmpuint (fx->model_ready, ==, 1);
  g_assert_cmpint (gl_trainer_get_state (fx->trainer), ==, GL_TRAINER_IDLE);

  /* Cancel: a round started and cancelled at once keeps the last model, no "failed". */
  gint64 before = gl_db_get_current_model (fx->db);
  gl_trainer_train_now (fx->trainer);
  gl_trainer_cancel (fx->trainer);
  while (gl_trainer_get_state (fx->trainer) != GL_TRAINER_IDLE)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fx->failed, ==, 0);
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, before);
  g_assert_cmpuint (fx->model_ready, ==, 1);
}

/* What the trainer says at the moment a round's state is notified. */
typedef struct
{
  Fixture *fx;
  gboolean seen;
  GlTrainerState state;
  guint epoch, n_epochs, progress;
  double fraction, images_per_second;
} RoundStart;

static void
on_round_start (GlTrainer *t, GParamSpec *pspec, RoundStart *start)
{
  if (start->seen || gl_trainer_get_state (t) == GL_TRAINER_IDLE)
    return;
  start->seen = TRUE;
  start->state = gl_trainer_get_state (t);
  start->epoch = gl_trainer_get_epoch (t);
  start->n_epochs = gl_trainer_get_n_epochs (t);
  start->fraction = gl_trainer_get_fraction (t);
  start->images_per_second = gl_trainer_get_images_per_second (t);
  start->progress = start->fx->progress;
}

/* Starts a round (train or only rank) and returns what the trainer said as
 * its state changed, after the round ended. */
static RoundStart
run_and_watch_start (Fixture *fx, gboolean train)
{
  GError *error = NULL;
  RoundStart start = { fx };
  gulong id = g_signal_connect (fx->trainer, "notify::state", G_CALLBACK (on_round_start), &start);
  g_assert_true (gl_trainer_run_round (fx->trainer, train, NULL, NULL, &error));
  g_assert_no_error (error);
  g_signal_handler_disconnect (fx->trainer, id);
  g_assert_true (start.seen);
  return start;
}

/* A new round starts at its own first epoch: as its state is notified,
 * before its first progress report, nothing of it is done and its epoch,
 * epochs and speed are not yet known, instead of the last round's (which
 * ended at its last epoch). */
static void
test_round_start_figures (Fixture *fx, gconstpointer data)
{
  synth_label_first (fx->project, fx->db, 60);
  RoundStart first = run_and_watch_start (fx, TRUE);
  g_assert_cmpint (first.state, ==, GL_TRAINER_TRAINING);
  g_assert_cmpuint (first.epoch, ==, 0);
  g_assert_cmpuint (first.progress, ==, 0);
  /* The first round's figures stay after it: the epoch it ended in, its speed. */
  g_assert_cmpuint (fx->model_ready, ==, 1);
  g_assert_cmpuint (gl_trainer_get_epoch (fx->trainer), >=, 1);
  g_assert_cmpuint (gl_trainer_get_epoch (fx->trainer), <=, gl_trainer_get_n_epochs (fx->trainer));
  g_assert_true (gl_trainer_get_images_per_second (fx->trainer) > 0);

  synth_label_first (fx->project, fx->db, 20);
  guint progress = fx->progress;
  RoundStart second = run_and_watch_start (fx, TRUE);
  g_assert_cmpuint (second.progress, ==, progress); /* before any report of the round */
  g_assert_cmpint (second.state, ==, GL_TRAINER_TRAINING);
  g_assert_cmpuint (second.epoch, ==, 0);
  g_assert_cmpuint (second.n_epochs, ==, 0);
  g_assert_cmpfloat (second.fraction, ==, 0.0);
  g_assert_true (isnan (second.images_per_second));
  g_assert_cmpuint (fx->model_ready, ==, 2);

  /* A ranking-only round starts at nothing done too (not "unknown" as the
   * last round ended). */
  g_assert_cmpfloat (gl_trainer_get_fraction (fx->trainer), ==, -1);
  RoundStart rank = run_and_watch_start (fx, FALSE);
  g_assert_cmpint (rank.state, ==, GL_TRAINER_SCORING);
  g_assert_cmpfloat (rank.fraction, ==, 0.0);
  g_assert_cmpuint (rank.epoch, ==, 0);
  g_assert_cmpuint (fx->failed, ==, 0);
}

/* The preferences' setters: each holds from the next round on. */
static void
test_preferences (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_cmpfloat (gl_trainer_get_audit_share (fx->trainer), ==, GL_TRAINER_DEFAULT_AUDIT_SHARE);
  g_assert_cmpfloat (gl_trainer_get_validation_share (fx->trainer), ==, GL_TRAINER_DEFAULT_VALIDATION_SHARE);
  g_assert_true (gl_trainer_get_augmentation (fx->trainer));

  gl_trainer_set_audit_share (fx->trainer, 0.0);
  gl_trainer_set_audit_share (fx->trainer, 7.0); /* clamped */
  g_assert_cmpfloat (gl_trainer_get_audit_share (fx->trainer), ==, 1.0);
  gl_trainer_set_audit_share (fx->trainer, 0.0);
  gl_trainer_set_n_threads (fx->trainer, 1);
  g_assert_cmpuint (gl_trainer_get_n_threads (fx->trainer), ==, 1);
  g_assert_false (gl_trainer_set_validation_share (fx->trainer, 0.95, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (gl_trainer_set_validation_share (fx->trainer, 0.5, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (gl_trainer_get_validation_share (fx->trainer), ==, 0.5);
  g_assert_true (gl_trainer_set_augmentation (fx->trainer, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (gl_trainer_get_augmentation (fx->trainer));
  /* Saved in the project: another connection reads them. */
  g_assert_cmpfloat (gl_db_get_setting_double (fx->db, GL_DB_SETTING_VALIDATION_SHARE, 0), ==, 0.5);
  g_assert_false (gl_db_get_setting_boolean (fx->db, GL_DB_SETTING_AUGMENTATION, TRUE));

  synth_label_first (fx->project, fx->db, 60);
  GlTrainerReport r;
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, &r, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_train + r.n_validation, ==, 60);
  g_assert_cmpuint (r.n_validation, >=, 20); /* about half, where the default 20% holds out about 12 */
  g_autoptr (GArray) queue = gl_db_read_queue (fx->db, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queue->len, >, 0);
  for (guint i = 0; i < queue->len; i++)
    g_assert_false (g_array_index (queue, GlDbQueueItem, i).audit);

  /* All audit: the whole ranking is drawn at random. */
  gl_trainer_set_audit_share (fx->trainer, 1.0);
  g_assert_true (gl_trainer_run_round (fx->trainer, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GArray) queue2 = gl_db_read_queue (fx->db, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queue2->len, >, 0);
  for (guint i = 0; i < queue2->len; i++)
    g_assert_true (g_array_index (queue2, GlDbQueueItem, i).audit);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trainer/split", test_split);
  g_test_add ("/trainer/round", Fixture, NULL, fixture_setup, test_round, fixture_teardown);
  g_test_add ("/trainer/nothing-to-train", Fixture, NULL, fixture_setup, test_nothing_to_train, fixture_teardown);
  g_test_add ("/trainer/labels-during-round", Fixture, NULL, fixture_setup, test_labels_during_round,
              fixture_teardown);
  g_test_add ("/trainer/policy", Fixture, NULL, fixture_setup, test_policy, fixture_teardown);
  g_test_add ("/trainer/preferences", Fixture, NULL, fixture_setup, test_preferences, fixture_teardown);
  g_test_add ("/trainer/round-start-figures", Fixture, NULL, fixture_setup, test_round_start_figures,
              fixture_teardown);
  return g_test_run ();
}
