/* Tests of the label-error review (app/gl-review.h):
 * - the walk: suspected errors of the current version, most likely first;
 *   keep, relabel and skip decisions given at once are written in order on
 *   another thread, go into the history with origin "review", and a kept
 *   or relabeled image is not suggested again for that version while a
 *   skipped one is;
 * - the detection on request: progress on the main thread, a detection
 *   stored and read back; a cancelled one stores nothing. */
#include "app/gl-review.h"

#include <math.h>

#include "app/gl-trainer.h"

#include "synth-project.h"

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db;
  SynthInsights ins;
  gint64 images[6];  /* labeled pool images, given detection rows */
  gint64 classes[6]; /* their labels */
  guint changed;
  guint decided;
  guint failed;
  double last_fraction;
  GThread *main_thread;
} Fixture;

/* A detection for the current version (v2) stored by hand: six labeled
 * images, the first four flagged with scores 0.9, 0.8, 0.7 and 0.6. */
static void
store_detection (Fixture *fx)
{
  GError *error = NULL;
  guint n = 0;
  for (gint64 id = 1; id < 200 && n < 6; id++)
    {
      GlDbLabel label = { 0 };
      g_assert_true (gl_db_get_current_label (fx->db, id, FALSE, &label, &error));
      g_assert_no_error (error);
      if (label.class_id >= 0 && label.origin == GL_DB_ORIGIN_HUMAN)
        {
          fx->images[n] = id;
          fx->classes[n++] = label.class_id;
        }
      gl_db_label_clear (&label);
    }
  g_assert_cmpuint (n, ==, 6);
  GlDbLabelError rows[6];
  for (guint i = 0; i < 6; i++)
    {
      gint64 other = fx->ins.classes[0] == fx->classes[i] ? fx->ins.classes[1] : fx->ins.classes[0];
      rows[i] = (GlDbLabelError){ fx->images[i], fx->classes[i], other, 0.1, 0.8, 0.9 - 0.1 * i, i < 4 };
    }
  GlDbLabelErrorRun run = { fx->ins.v2, 5, 6, 4, (char *)"self-confidence", 1.5, gl_db_get_last_label_id (fx->db),
                            0 };
  g_assert_true (gl_db_store_label_errors (fx->db, &run, rows, 6, &error));
  g_assert_no_error (error);
}

static void
setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-review-XXXXXX", &error);
  g_assert_no_error (error);
  fx->project = synth_insights_project (fx->dir, &fx->ins);
  fx->db = gl_db_open (gl_project_get_db_path (fx->project), &error);
  g_assert_no_error (error);
  fx->main_thread = g_thread_self ();
  fx->last_fraction = -1;
}

static void
teardown (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  gl_project_close (fx->project);
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
}

static void
on_changed (GlReview *review, Fixture *fx)
{
  g_assert_true (g_thread_self () == fx->main_thread);
  fx->changed++;
  double f = gl_review_get_detect_fraction (review);
  if (f >= 0)
    {
      g_assert_cmpfloat (f, <=, 1.0);
      fx->last_fraction = f;
    }
}

static void
on_decided (GlReview *review, gint64 image_id, gint64 class_id, Fixture *fx)
{
  g_assert_true (g_thread_self () == fx->main_thread);
  fx->decided++;
}

static void
on_failed (GlReview *review, const GError *error, Fixture *fx)
{
  g_test_message ("failed: %s", error->message);
  fx->failed++;
}

static GlReview *
new_review (Fixture *fx)
{
  GlReview *review = gl_review_new (fx->project);
  gl_review_set_annotator (review, "reviewer");
  g_signal_connect (review, "changed", G_CALLBACK (on_changed), fx);
  g_signal_connect (review, "decided", G_CALLBACK (on_decided), fx);
  g_signal_connect (review, "failed", G_CALLBACK (on_failed), fx);
  return review;
}

static GlDbLabel
current_label (Fixture *fx, gint64 image_id)
{
  GError *error = NULL;
  GlDbLabel label = { 0 };
  g_assert_true (gl_db_get_current_label (fx->db, image_id, FALSE, &label, &error));
  g_assert_no_error (error);
  return label;
}

static void
test_walk (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlReview) review = new_review (fx);

  /* No detection yet. */
  g_assert_true (gl_review_reload (review, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_review_get_model_id (review), ==, fx->ins.v2);
  g_assert_false (gl_review_has_detection (review, NULL));
  g_assert_null (gl_review_get_current (review, NULL));

  store_detection (fx);
  g_assert_true (gl_review_reload (review, &error));
  const GlDbLabelErrorRun *run = NULL;
  g_assert_true (gl_review_has_detection (review, &run));
  g_assert_cmpuint (run->n_flagged, ==, 4);
  g_assert_cmpuint (gl_review_get_n_suspected (review), ==, 4);
  gint64 row = -2;
  const GlDbLabelError *e = gl_review_get_current (review, &row);
  g_assert_cmpint (e->image_id, ==, fx->images[0]);
  g_assert_cmpfloat_with_epsilon (e->score, 0.9, 1e-9);
  g_assert_cmpint (row, >=, 0);

  /* Keep, relabel and skip at once: written in order, on another thread. */
  gl_review_decide (review, GL_REVIEW_KEEP, -1);
  gl_review_decide (review, GL_REVIEW_RELABEL, fx->ins.classes[3]);
  gl_review_decide (review, GL_REVIEW_SKIP, -1);
  g_assert_true (gl_review_is_busy (review));
  g_assert_cmpuint (gl_review_get_position (review), ==, 0); /* moves once committed */
  while (gl_review_is_busy (review))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fx->failed, ==, 0);
  g_assert_cmpuint (fx->decided, ==, 3);
  g_assert_cmpuint (gl_review_get_position (review), ==, 3);
  g_assert_cmpint (gl_review_get_current (review, NULL)->image_id, ==, fx->images[3]);

  GlDbLabel kept = current_label (fx, fx->images[0]);
  g_assert_cmpint (kept.class_id, ==, fx->classes[0]);
  g_assert_cmpint (kept.origin, ==, GL_DB_ORIGIN_REVIEW);
  g_assert_cmpstr (kept.annotator, ==, "reviewer");
  gl_db_label_clear (&kept);
  GlDbLabel relabeled = current_label (fx, fx->images[1]);
  g_assert_cmpint (relabeled.class_id, ==, fx->ins.classes[3]);
  g_assert_cmpint (relabeled.origin, ==, GL_DB_ORIGIN_REVIEW);
  gl_db_label_clear (&relabeled);
  GlDbLabel skipped = current_label (fx, fx->images[2]);
  g_assert_cmpint (skipped.class_id, ==, fx->classes[2]);
  g_assert_cmpint (skipped.origin, ==, GL_DB_ORIGIN_HUMAN);
  gl_db_label_clear (&skipped);

  /* The history keeps the old label under the review row. */
  g_autoptr (GArray) history = gl_db_get_history (fx->db, fx->images[1], &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, >=, 2);
  g_assert_cmpint (g_array_index (history, GlDbLabel, history->len - 2).class_id, ==, fx->classes[1]);
  for (guint i = 0; i < history->len; i++)
    gl_db_label_clear (&g_array_index (history, GlDbLabel, i));

  /* Walked again: the skipped one and the last are still suggested; the kept
   * and the relabeled one are not. */
  g_assert_true (gl_review_reload (review, &error));
  g_assert_cmpuint (gl_review_get_n_suspected (review), ==, 2);
  g_assert_cmpint (gl_review_get_current (review, NULL)->image_id, ==, fx->images[2]);

  /* Decisions past the end are dropped, not an error. */
  gl_review_decide (review, GL_REVIEW_SKIP, -1);
  gl_review_decide (review, GL_REVIEW_SKIP, -1);
  gl_review_decide (review, GL_REVIEW_KEEP, -1);
  while (gl_review_is_busy (review))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (gl_review_get_current (review, NULL));
  g_assert_cmpuint (fx->failed, ==, 0);
}

/* A decision that cannot be written (the image's label was removed since:
 * nothing to keep) is reported, and the walk stays on it. */
static void
test_failure (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlReview) review = new_review (fx);
  store_detection (fx);
  g_assert_true (gl_review_reload (review, &error));
  g_assert_true (gl_db_set_label (fx->db, fx->images[0], -1, GL_DB_ORIGIN_HUMAN, "someone", NULL, &error));
  g_assert_no_error (error);
  gl_review_decide (review, GL_REVIEW_KEEP, -1);
  gl_review_decide (review, GL_REVIEW_SKIP, -1);
  while (gl_review_is_busy (review))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fx->failed, ==, 1);
  g_assert_cmpuint (gl_review_get_position (review), ==, 0);
}

/* ---- detection, on a trained project ---- */

static void
detect_and_wait (GlReview *review, gboolean cancel)
{
  gl_review_set_detect_seconds (review, 3);
  gl_review_detect (review);
  g_assert_true (gl_review_is_detecting (review));
  if (cancel)
    gl_review_cancel_detection (review);
  while (gl_review_is_detecting (review))
    g_main_context_iteration (NULL, TRUE);
}

static void
test_detect (void)
{
  GError *error = NULL;
  Fixture fx = { 0 };
  fx.dir = g_dir_make_tmp ("gl-review-XXXXXX", &error);
  fx.project = synth_project (fx.dir, 160, 10);
  fx.db = gl_db_open (gl_project_get_db_path (fx.project), &error);
  g_assert_no_error (error);
  fx.main_thread = g_thread_self ();
  fx.last_fraction = -1;
  synth_label_first (fx.project, fx.db, 100);
  gint64 flipped[5];
  synth_flip_labels (fx.project, fx.db, 20, 5, flipped);
  {
    g_autoptr (GlTrainer) trainer = gl_trainer_new (fx.project, &error);
    g_assert_no_error (error);
    gl_trainer_set_max_epochs (trainer, 2);
    gl_trainer_set_min_steps (trainer, 20);
    g_assert_true (gl_trainer_run_round (trainer, TRUE, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  g_autoptr (GlReview) review = new_review (&fx);
  g_assert_true (gl_review_reload (review, &error));
  g_assert_false (gl_review_has_detection (review, NULL));

  /* Cancelled: nothing stored. */
  detect_and_wait (review, TRUE);
  g_assert_cmpuint (fx.failed, ==, 0);
  gboolean found = TRUE;
  GlDbLabelErrorRun run = { 0 };
  g_assert_true (gl_db_get_label_error_run (fx.db, gl_review_get_model_id (review), &run, &found, &error));
  g_assert_false (found);

  /* To the end: progress on the main thread, the detection read back. */
  detect_and_wait (review, FALSE);
  g_assert_cmpuint (fx.failed, ==, 0);
  g_assert_cmpfloat (fx.last_fraction, >, 0);
  const GlDbLabelErrorRun *stored = NULL;
  g_assert_true (gl_review_has_detection (review, &stored));
  g_assert_cmpuint (stored->n_labels, ==, 100);
  g_assert_cmpuint (gl_review_get_n_suspected (review), ==, stored->n_flagged);

  g_clear_object (&review);
  while (g_main_context_iteration (NULL, FALSE))
    ; /* the detections' references go in an idle */
  gl_db_close (fx.db);
  gl_project_close (fx.project);
  gl_remove_tree (fx.dir);
  g_free (fx.dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/review/walk", Fixture, NULL, setup, test_walk, teardown);
  g_test_add ("/review/failure", Fixture, NULL, setup, test_failure, teardown);
  g_test_add_func ("/review/detect", test_detect);
  return g_test_run ();
}
