/* test-drift-report.c — drift per class end to end (issue 13): a training
 * round of gleaner-cli stores the new version's reference and the drift of
 * every batch and of the sliding windows; the results survive reopening the
 * project; `gleaner-cli drift` prints them (text and JSON, --window N
 * recomputes the windows); `import` prints the new batch's verdict, DRIFT
 * for a batch of a new kind of image. */
#include "synth-project.h"

#include "app/gl-drift-report.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Checks the stored results of the current model: both kinds, every test
 * row complete and finite where tested. Returns the number of windows of
 * @window_size. */
static guint
check_results (GlDb *db, guint n_classes, guint window_size, guint *n_batches)
{
  g_autoptr (GError) error = NULL;
  gint64 model = gl_db_get_current_model (db);
  g_autoptr (GArray) results = gl_db_list_drift_results (db, model, -1, &error);
  GlDbDriftReference ref = { 0 };
  gboolean found = FALSE;
  guint windows = 0;

  g_assert_no_error (error);
  g_assert_true (gl_db_get_drift_reference (db, model, &ref, &found, &error));
  g_assert_true (found);
  g_assert_cmpuint (ref.n_validation, >, 0);
  g_assert_cmpuint (ref.n_pool, >, 0);
  g_assert_cmpuint (ref.n_classes, ==, n_classes);
  g_assert_true (ref.temperature >= 0.05 && ref.temperature <= 20.0);
  g_assert_true (isfinite (ref.ece_before) && isfinite (ref.ece_after));
  g_assert_cmpuint (g_bytes_get_size (ref.probs), ==,
                    (ref.n_validation + ref.n_pool) * n_classes * sizeof (float));
  gl_db_drift_reference_clear (&ref);

  *n_batches = 0;
  for (guint i = 0; i < results->len; i++)
    {
      const GlDbDriftResult *r = &g_array_index (results, GlDbDriftResult, i);

      /* Window-wide: chi-square, confidence, embedding, omnibus, bbsd, outliers, uncertain; then per class the 5
       * of the family and the 2 ranking tests (loss, gain). */
      g_assert_cmpuint (r->tests->len, ==, 7 + 7 * n_classes);
      g_assert_cmpuint (r->classes->len, ==, n_classes);
      g_assert_true (isfinite (r->accuracy_est) && isfinite (r->accuracy_ref));
      /* The verdict's significance level is stored with it. */
      g_assert_cmpfloat (r->alpha, ==, 0.05);
      for (guint t = 0; t < r->tests->len; t++)
        {
          const GlDbDriftTest *x = &g_array_index (r->tests, GlDbDriftTest, t);
          g_assert_true (isfinite (x->statistic) && isfinite (x->p_value) && isfinite (x->p_adjusted)
                         && isfinite (x->effect));
          g_assert_true (x->tested || !x->fired);
          g_assert_true (!x->fired || x->p_adjusted <= 0.05);
        }
      if (r->kind == GL_DB_DRIFT_BATCH)
        (*n_batches)++;
      else if (r->window_size == window_size)
        windows++;
    }
  return windows;
}

static void
test_drift_report (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gleaner-drift-XXXXXX", NULL);
  g_autofree char *proj = g_build_filename (dir, "project", NULL);
  g_autofree char *out = NULL;
  guint n_batches;

  if (g_getenv ("GLEANER_CLI") == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  {
    g_autoptr (GlProject) p = synth_project (dir, 600, 100);
    synth_label_first (p, gl_project_get_db (p), 240);
  }
  {
    /* Before any training: import says when drift will come. */
    g_autofree char *images = NULL;
    synth_write_idx (dir, "early", 40, 9, FALSE);
    images = g_build_filename (dir, "early-images-idx3-ubyte", NULL);
    g_assert_cmpint (synth_run_cli ((const char *const[]){ "import", proj, images, "--layout", "idx", NULL }, &out), ==,
                     0);
    g_assert_nonnull (strstr (out, "drift: computed once a model is trained"));
    g_clear_pointer (&out, g_free);
  }
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "train", proj, "--epochs", "8", NULL }, NULL), ==, 0);

  {
    /* The round stored a reference, three batches and the default windows
     * (740 images: windows of 200 ending at the newest, every 100). */
    g_autoptr (GError) error = NULL;
    g_autoptr (GlProject) p = gl_project_open (proj, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (check_results (gl_project_get_db (p), 4, GL_DRIFT_REPORT_WINDOW, &n_batches), ==, 6);
    g_assert_cmpuint (n_batches, ==, 3);
  }
  {
    /* Reopened again (a second connection, after the first closed): still there. */
    g_autoptr (GError) error = NULL;
    g_autoptr (GlProject) p = gl_project_open (proj, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (check_results (gl_project_get_db (p), 4, GL_DRIFT_REPORT_WINDOW, &n_batches), ==, 6);
  }

  /* Text: every batch and window, every class, every test. */
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "drift", proj, NULL }, &out), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "drift against model version"));
  g_assert_nonnull (strstr (out, "batch 1 (600 images)"));
  g_assert_nonnull (strstr (out, "window of 200, images"));
  g_assert_nonnull (strstr (out, "chi-square"));
  g_assert_nonnull (strstr (out, "novelty      top-left"));
  g_assert_nonnull (strstr (out, "precision estimate"));
  g_assert_nonnull (
      strstr (out, "tests fired (window-wide tests by their share of α, then the classes' tests Holm-corrected, α 0.05)"));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (synth_run_cli ((const char *const[]){ "drift", proj, "--json", NULL }, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "{\"model_version\":"));
  g_assert_true (g_str_has_suffix (out, "]}\n"));
  g_assert_nonnull (strstr (out, "\"reference\":{\"n_validation\":"));
  g_assert_nonnull (strstr (out, "\"test\":\"bbsd\""));
  g_assert_nonnull (strstr (out, "\"psi\":"));
  g_assert_nonnull (strstr (out, "\"alpha\":0.05,"));
  g_assert_nonnull (strstr (out, "\"class\":\"bottom-right\""));
  g_assert_null (strstr (out, "nan"));
  g_clear_pointer (&out, g_free);

  /* Windows of 100 every 50 replace the stored ones. */
  g_assert_cmpint (
      synth_run_cli ((const char *const[]){ "drift", proj, "--window", "100", "--step", "50", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "window of 100"));
  g_assert_null (strstr (out, "window of 200"));
  g_clear_pointer (&out, g_free);

  /* Usage errors. */
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "drift", NULL }, NULL), ==, 2);
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "drift", proj, "--window", "-3", NULL }, NULL), ==, 2);

  {
    /* A batch like the pool, then one of a new kind (squares in the centre):
     * import prints each batch's verdict; the new kind is drift. */
    g_autofree char *same = NULL, *novel = NULL;

    synth_write_idx (dir, "same", 300, 21, FALSE);
    synth_write_idx (dir, "novel", 300, 22, TRUE);
    same = g_build_filename (dir, "same-images-idx3-ubyte", NULL);
    novel = g_build_filename (dir, "novel-images-idx3-ubyte", NULL);
    g_assert_cmpint (synth_run_cli ((const char *const[]){ "import", proj, same, "--layout", "idx", NULL }, &out), ==,
                     0);
    g_test_message ("%s", out);
    g_assert_nonnull (strstr (out, "drift: batch 4 (300 images): "));
    g_assert_nonnull (strstr (out, "tests fired"));
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (synth_run_cli ((const char *const[]){ "import", proj, novel, "--layout", "idx", NULL }, &out), ==,
                     0);
    g_test_message ("%s", out);
    g_assert_nonnull (strstr (out, "drift: batch 5 (300 images): DRIFT"));
    g_clear_pointer (&out, g_free);
  }
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/drift-report/round-cli-import", test_drift_report);
  return g_test_run ();
}
