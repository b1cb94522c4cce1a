/* Tests of label-error detection (app/gl-label-errors.h): the fold split is
 * stratified and deterministic; a detection on a small learnable project
 * with planted wrong labels stores one row per label and flags the planted
 * ones; progress arrives on the caller's thread; a cancelled detection (and
 * one that fails) leaves the store as it was; review decisions go into the
 * history with origin "review" and take the image off the list. */
#include "app/gl-label-errors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "app/gl-trainer.h"
#include "db/gl-db.h"

#include "synth-project.h"

/* ---- folds ---- */

static void
test_folds (void)
{
  /* Classes of 103, 20, 4 and 1 labels, ids not in order. */
  enum
  {
    N = 128
  };
  gint64 ids[N];
  gint classes[N];
  for (guint i = 0; i < N; i++)
    {
      ids[i] = 5000 - (gint64)i * 13;
      classes[i] = i < 103 ? 0 : i < 123 ? 1 : i < 127 ? 2 : 3;
    }
  guint a[N], b[N];
  gl_label_errors_assign_folds (ids, classes, N, 4, 5, a);
  gl_label_errors_assign_folds (ids, classes, N, 4, 5, b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  /* Per class, fold sizes differ by at most one. */
  for (guint k = 0; k < 4; k++)
    {
      guint per[5] = { 0 }, lo = G_MAXUINT, hi = 0;
      for (guint i = 0; i < N; i++)
        if (classes[i] == (gint)k)
          {
            g_assert_cmpuint (a[i], <, 5);
            per[a[i]]++;
          }
      for (guint f = 0; f < 5; f++)
        lo = MIN (lo, per[f]), hi = MAX (hi, per[f]);
      g_assert_cmpuint (hi - lo, <=, 1);
    }
  guint per0[5] = { 0 };
  for (guint i = 0; i < 103; i++)
    per0[a[i]]++;
  for (guint f = 0; f < 5; f++)
    g_assert_cmpuint (per0[f], >=, 20);
  /* The split depends on the ids, not on their order in the input. */
  gint64 rids[N];
  gint rclasses[N];
  guint r[N];
  for (guint i = 0; i < N; i++)
    rids[i] = ids[N - 1 - i], rclasses[i] = classes[N - 1 - i];
  gl_label_errors_assign_folds (rids, rclasses, N, 4, 5, r);
  for (guint i = 0; i < N; i++)
    g_assert_cmpuint (r[i], ==, a[N - 1 - i]);
  /* It follows the validation hold-out's hash: in a class, the smallest
   * hash goes to fold 0. */
  gint64 best = -1;
  for (guint i = 0; i < 103; i++)
    if (best < 0 || gl_trainer_id_hash (ids[i]) < gl_trainer_id_hash (ids[best]))
      best = i;
  g_assert_cmpuint (a[best], ==, 0);
}

/* ---- detection ---- */

#define N_LABELS 200
#define N_FLIPPED 12

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db;
  gint64 flipped[N_FLIPPED];
  gint64 model;
  GThread *main_thread;
  guint progress;
  double last_fraction;
  GCancellable *cancel_at_fold2;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-label-errors-XXXXXX", &error);
  g_assert_no_error (error);
  fx->project = synth_project (fx->dir, 240, 20);
  fx->db = gl_db_open (gl_project_get_db_path (fx->project), &error);
  g_assert_no_error (error);
  synth_label_first (fx->project, fx->db, N_LABELS);
  /* Plant wrong labels: every 15th labeled image gets the next class (spread over the classes). */
  synth_flip_labels (fx->project, fx->db, 15, N_FLIPPED, fx->flipped);
  g_autoptr (GlTrainer) trainer = gl_trainer_new (fx->project, &error);
  g_assert_no_error (error);
  gl_trainer_set_max_epochs (trainer, 3);
  gl_trainer_set_min_steps (trainer, 30);
  GlTrainerReport r;
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &r, NULL, &error));
  g_assert_no_error (error);
  fx->model = r.model_version;
  g_clear_object (&trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  fx->main_thread = g_thread_self ();
  fx->last_fraction = -1;
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->cancel_at_fold2);
  gl_db_close (fx->db);
  gl_project_close (fx->project);
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
}

static void
short_options (GlLabelErrorsOptions *o)
{
  gl_label_errors_options_init (o);
  o->epochs = 4;
  o->min_steps = 60;
  o->seconds = 200; /* the epochs, not the clock, end each fold */
}

static void
on_progress (const GlProgress *p, gpointer user_data)
{
  Fixture *fx = user_data;
  g_assert_true (g_thread_self () == fx->main_thread);
  g_assert_true (p->fraction >= 0 && p->fraction <= 1);
  g_assert_cmpfloat (p->fraction, >=, fx->last_fraction - 1e-9);
  fx->last_fraction = p->fraction;
  fx->progress++;
  /* Cancel once the second fold trains. */
  if (fx->cancel_at_fold2 && p->fraction > 0.99 / 5 + 0.01)
    g_cancellable_cancel (fx->cancel_at_fold2);
}

static guint64
count (GlDb *db, gint64 model)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) rows = gl_db_list_label_errors (db, model, FALSE, 0, &error);
  g_assert_no_error (error);
  return rows->len;
}

static gboolean
is_flipped (Fixture *fx, gint64 id)
{
  for (guint i = 0; i < N_FLIPPED; i++)
    if (fx->flipped[i] == id)
      return TRUE;
  return FALSE;
}

static void
check_flags_follow_filter (GlDb *db, const GlLabelErrorsReport *report, GlConfidentFilter filter)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &error);
  g_autoptr (GArray) rows = gl_db_list_label_errors (db, report->model_id, FALSE, 0, &error);
  g_assert_no_error (error);
  gsize n = report->n_labels;
  g_assert_cmpuint (rows->len, ==, n);
  g_autofree gint *labels = g_new (gint, n);
  g_autofree gboolean *stored = g_new (gboolean, n);
  for (gsize i = 0; i < n; i++)
    for (guint r = 0; r < rows->len; r++)
      {
        const GlDbLabelError *e = &g_array_index (rows, GlDbLabelError, r);
        if (e->image_id != report->image_ids[i])
          continue;
        stored[i] = e->flagged;
        for (guint k = 0; k < classes->len; k++)
          if (g_array_index (classes, GlDbClass, k).id == e->given_class)
            labels[i] = (gint)k;
      }
  g_autofree gboolean *flagged = g_new (gboolean, n);
  g_autofree double *quality = g_new (double, n);
  GlConfidentResult out = { .flagged = flagged, .quality = quality };
  gsize n_flagged = gl_confident_find (labels, report->probs, n, report->n_classes, filter,
                                      GL_CONFIDENT_RANK_SELF_CONFIDENCE, &out);
  g_assert_cmpuint (n_flagged, ==, report->n_flagged);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpint (flagged[i], ==, stored[i]);
}

static void
test_detect (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GlLabelErrorsOptions o;
  short_options (&o);
  GlLabelErrorsReport report;
  o.keep_probs = TRUE;
  g_assert_true (gl_label_errors_detect (fx->project, &o, on_progress, fx, NULL, &report, &error));
  g_assert_no_error (error);
  /* The out-of-fold probabilities: a distribution per label. */
  g_assert_cmpuint (report.n_classes, ==, 4);
  for (guint64 r = 0; r < report.n_labels; r++)
    {
      const float *q = report.probs + r * 4;
      g_assert_cmpfloat_with_epsilon (q[0] + q[1] + q[2] + q[3], 1.0, 1e-4);
      g_assert_cmpint (report.image_ids[r], >, 0);
    }
  /* The stored flags are confident learning's, by the options' filter, on these probabilities. */
  check_flags_follow_filter (fx->db, &report, o.filter);
  gl_label_errors_report_clear (&report);
  g_assert_cmpuint (fx->progress, >, 0);
  g_assert_cmpint (report.model_id, ==, fx->model);
  g_assert_cmpuint (report.n_labels, ==, N_LABELS);
  g_assert_cmpuint (count (fx->db, fx->model), ==, N_LABELS);
  GlDbLabelErrorRun run = { 0 };
  gboolean found;
  g_assert_true (gl_db_get_label_error_run (fx->db, fx->model, &run, &found, &error));
  g_assert_true (found);
  g_assert_cmpuint (run.folds, ==, GL_LABEL_ERRORS_DEFAULT_FOLDS);
  g_assert_cmpuint (run.n_flagged, ==, report.n_flagged);
  g_assert_cmpstr (run.ranking, ==, "self-confidence");
  gl_db_label_error_run_clear (&run);

  /* The planted labels are found: most of them flagged, and the flagged set
   * mostly planted ones (the quadrant squares are easy to learn). */
  g_autoptr (GArray) sus = gl_db_list_label_errors (fx->db, fx->model, TRUE, 0, &error);
  guint hits = 0;
  for (guint i = 0; i < sus->len; i++)
    {
      const GlDbLabelError *e = &g_array_index (sus, GlDbLabelError, i);
      hits += is_flipped (fx, e->image_id);
      g_assert_true (e->flagged);
      g_assert_cmpint (e->suggested_class, !=, e->given_class);
      g_assert_cmpfloat (e->score, >=, 0);
      g_assert_cmpfloat (e->score, <=, 1);
      if (i > 0)
        g_assert_cmpfloat (e->score, <=, g_array_index (sus, GlDbLabelError, i - 1).score);
    }
  g_test_message ("flagged %u, of which %u planted (of %u)", sus->len, hits, N_FLIPPED);
  g_assert_cmpuint (hits, >=, N_FLIPPED - 2);
  g_assert_cmpuint (hits * 3, >=, sus->len * 2);
  /* A planted label's suggestion is the image's true class. */
  const GlDbLabelError *top = &g_array_index (sus, GlDbLabelError, 0);
  if (is_flipped (fx, top->image_id))
    g_assert_cmpint (top->suggested_class, ==, synth_reference (fx->db, top->image_id));

  /* Review: keep the first, relabel the second; both leave the list and are in the history. */
  g_assert_cmpuint (sus->len, >=, 2);
  gint64 kept = top->image_id, changed = g_array_index (sus, GlDbLabelError, 1).image_id;
  gint64 to = g_array_index (sus, GlDbLabelError, 1).suggested_class;
  g_assert_true (gl_label_errors_keep (fx->db, kept, "reviewer", &error));
  g_assert_true (gl_label_errors_relabel (fx->db, changed, to, "reviewer", &error));
  g_assert_no_error (error);
  g_autoptr (GArray) after = gl_db_list_label_errors (fx->db, fx->model, TRUE, 0, &error);
  g_assert_cmpuint (after->len, ==, sus->len - 2);
  for (guint i = 0; i < after->len; i++)
    {
      g_assert_cmpint (g_array_index (after, GlDbLabelError, i).image_id, !=, kept);
      g_assert_cmpint (g_array_index (after, GlDbLabelError, i).image_id, !=, changed);
    }
  gint64 checks[2] = { kept, changed };
  for (guint c = 0; c < 2; c++)
    {
      g_autoptr (GArray) h = gl_db_get_history (fx->db, checks[c], &error);
      const GlDbLabel *last = &g_array_index (h, GlDbLabel, h->len - 1);
      const GlDbLabel *before = &g_array_index (h, GlDbLabel, h->len - 2);
      g_assert_cmpint (last->origin, ==, GL_DB_ORIGIN_REVIEW);
      g_assert_cmpstr (last->annotator, ==, "reviewer");
      if (c == 0)
        g_assert_cmpint (last->class_id, ==, before->class_id);
      else
        g_assert_cmpint (last->class_id, ==, to);
    }
  /* An unlabeled image has nothing to keep. */
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (fx->project), &error);
  gint64 unlabeled = -1;
  for (guint i = 0; i < images->len && unlabeled < 0; i++)
    if (g_array_index (images, GlPoolImage, i).class_id < 0)
      unlabeled = g_array_index (images, GlPoolImage, i).image_id;
  g_assert_false (gl_label_errors_keep (fx->db, unlabeled, NULL, &error));
  g_assert_error (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_INVALID);
  g_clear_error (&error);
}

/* Folds side by side (one engine thread each) and one at a time (every
 * engine thread) give the same out-of-fold probabilities: a fold's training
 * does not depend on the thread it runs on. And snapshot averaging over the
 * last epochs is not the last state's prediction alone. */
static void
test_parallel_folds (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GlLabelErrorsOptions o;
  short_options (&o);
  o.keep_probs = TRUE;
  GlLabelErrorsReport side = { 0 }, serial = { 0 }, last = { 0 };
  g_assert_true (gl_label_errors_detect (fx->project, &o, NULL, NULL, NULL, &side, &error));
  g_assert_no_error (error);
  o.parallel_folds = FALSE;
  g_assert_true (gl_label_errors_detect (fx->project, &o, NULL, NULL, NULL, &serial, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (side.n_labels, ==, serial.n_labels);
  g_assert_cmpmem (side.image_ids, side.n_labels * sizeof (gint64), serial.image_ids,
                   serial.n_labels * sizeof (gint64));
  /* The same up to float rounding: one thread and two add the products of
   * the dense layers in another order, and epochs of training carry that
   * on (1.0e-5 apart in the unoptimised sanitizer build). A fold trained on
   * the wrong images would be 0.1 apart. */
  for (guint64 i = 0; i < side.n_labels * side.n_classes; i++)
    g_assert_cmpfloat_with_epsilon (side.probs[i], serial.probs[i], 1e-4);
  g_assert_cmpuint (o.snapshots, >=, 2);
  o.snapshots = 1;
  g_assert_true (gl_label_errors_detect (fx->project, &o, NULL, NULL, NULL, &last, &error));
  g_assert_no_error (error);
  double diff = 0;
  for (guint64 i = 0; i < last.n_labels * last.n_classes; i++)
    diff = MAX (diff, fabs (last.probs[i] - serial.probs[i]));
  g_assert_cmpfloat (diff, >, 1e-4);
  gl_label_errors_report_clear (&side);
  gl_label_errors_report_clear (&serial);
  gl_label_errors_report_clear (&last);
}

/* Cancelled in its second fold: the error says so, and the store keeps what
 * it had (first nothing, then an earlier detection of the version whole). */
static void
test_cancel (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GlLabelErrorsOptions o;
  short_options (&o);
  fx->cancel_at_fold2 = g_cancellable_new ();
  g_assert_false (
      gl_label_errors_detect (fx->project, &o, on_progress, fx, fx->cancel_at_fold2, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  gboolean found = TRUE;
  GlDbLabelErrorRun run = { 0 };
  g_assert_true (gl_db_get_label_error_run (fx->db, fx->model, &run, &found, &error));
  g_assert_false (found);
  g_assert_cmpuint (count (fx->db, fx->model), ==, 0);
  g_assert_true (gl_db_check_integrity (fx->db, &error));

  /* A whole detection with 2 folds, then a cancelled one with 5. */
  g_clear_object (&fx->cancel_at_fold2);
  o.folds = 2;
  o.epochs = 1;
  o.min_steps = 0;
  g_assert_true (gl_label_errors_detect (fx->project, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GArray) before = gl_db_list_label_errors (fx->db, fx->model, FALSE, 0, &error);
  fx->cancel_at_fold2 = g_cancellable_new ();
  fx->last_fraction = -1;
  short_options (&o);
  g_assert_false (
      gl_label_errors_detect (fx->project, &o, on_progress, fx, fx->cancel_at_fold2, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (gl_db_get_label_error_run (fx->db, fx->model, &run, &found, &error));
  g_assert_true (found);
  g_assert_cmpuint (run.folds, ==, 2);
  gl_db_label_error_run_clear (&run);
  g_autoptr (GArray) kept = gl_db_list_label_errors (fx->db, fx->model, FALSE, 0, &error);
  g_assert_cmpuint (kept->len, ==, before->len);
  g_assert_cmpmem (kept->data, kept->len * sizeof (GlDbLabelError), before->data,
                   before->len * sizeof (GlDbLabelError));
}

/* No model yet, too few labels: clear errors, nothing stored. */
static void
test_errors (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-label-errors-XXXXXX", &error);
  g_autoptr (GlProject) p = synth_project (dir, 40, 10);
  GlLabelErrorsOptions o;
  gl_label_errors_options_init (&o);
  g_assert_false (gl_label_errors_detect (p, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_NO_MODEL);
  g_clear_error (&error);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  synth_label_first (p, db, 12);
  g_autoptr (GlTrainer) trainer = gl_trainer_new (p, &error);
  gl_trainer_set_max_epochs (trainer, 1);
  gl_trainer_set_min_steps (trainer, 0);
  g_assert_true (gl_trainer_run_round (trainer, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  o.folds = 7; /* 12 labels: fewer than 2 per fold */
  g_assert_false (gl_label_errors_detect (p, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_NO_LABELS);
  g_clear_error (&error);
  g_assert_cmpuint (count (db, gl_db_get_current_model (db)), ==, 0);
  g_clear_pointer (&db, gl_db_close);
  g_clear_pointer (&p, gl_project_close);
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/label-errors/folds", test_folds);
  g_test_add ("/label-errors/detect", Fixture, NULL, fixture_setup, test_detect, fixture_teardown);
  g_test_add ("/label-errors/parallel-folds", Fixture, NULL, fixture_setup, test_parallel_folds, fixture_teardown);
  g_test_add ("/label-errors/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);
  g_test_add_func ("/label-errors/errors", test_errors);
  return g_test_run ();
}
