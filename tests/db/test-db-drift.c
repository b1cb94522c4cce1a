/* test-db-drift.c — the drift tables of schema version 5 (gl-db.h, "Drift per
 * class"): a reference and results with their per-test and per-class rows
 * round-trip, NaN is kept as NULL, results survive closing and reopening the
 * store, deleting a model's windows leaves its batches, and the image rows of
 * a batch come in id order, newest limited. Schema 8: each verdict keeps its
 * significance level and each candidate its priority, which orders them; a
 * schema-7 file gets both as unknown (NaN). Run on SQLite and, with
 * GL_TEST_DB_BACKEND=postgres, on a throwaway PostgreSQL server. */
#include "db/gl-db.h"
#include "downgrade.h"
#include "gl-test-db.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>

static gint64
add_batch (GlDb *db, guint first, guint n)
{
  g_autoptr (GError) error = NULL;
  g_autofree GlDbNewImage *im = g_new0 (GlDbNewImage, n);
  g_autoptr (GPtrArray) strs = g_ptr_array_new_with_free_func (g_free);
  gint64 batch;

  g_assert_true (gl_db_begin_batch (db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  for (guint i = 0; i < n; i++)
    {
      char *path = g_strdup_printf ("/img/%06u.png", first + i);
      char *hash = g_strdup_printf ("%064u", first + i);
      g_ptr_array_add (strs, path);
      g_ptr_array_add (strs, hash);
      im[i] = (GlDbNewImage){ path, hash, 100, first + i, NULL, NULL };
    }
  g_assert_true (gl_db_add_images (db, batch, im, n, NULL, NULL, &error));
  g_assert_no_error (error);
  return batch;
}

static void
test_drift_tables (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gl-db-drift-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "project.gleaner-db", NULL);
  g_autoptr (GError) error = NULL;
  GlDb *db = gl_test_db_create (&path);
  gint64 classes[2], model, batch1, batch2, id;
  const float probs[] = { 0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f };
  const float emb[] = { 1, 2, 3, 4, 5, 6 };

  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (db), ==, GL_DB_SCHEMA_VERSION);
  g_assert_true (gl_db_add_class (db, "a", NULL, &classes[0], &error));
  g_assert_true (gl_db_add_class (db, "b", NULL, &classes[1], &error));
  batch1 = add_batch (db, 0, 5);
  batch2 = add_batch (db, 5, 3);
  {
    GlDbModelVersion v
        = { .path = (char *)"/m/1", .n_labels = 3, .val_accuracy = NAN, .macro_f1 = NAN, .ece = NAN };
    g_assert_true (gl_db_add_model_version (db, &v, &model, &error));
  }
  {
    GlDbDriftReference ref = { .model_id = model,
                               .n_validation = 1,
                               .n_pool = 2,
                               .n_classes = 2,
                               .dim = 2,
                               .projection_seed = 7,
                               .temperature = 1.5,
                               .ece_before = 0.1,
                               .ece_after = NAN,
                               .class_ids = g_bytes_new (classes, sizeof classes),
                               .probs = g_bytes_new (probs, sizeof probs),
                               .embedding = g_bytes_new (emb, sizeof emb) };
    g_assert_true (gl_db_set_drift_reference (db, &ref, &error));
    /* Replacing is allowed (a reference made again for the same version). */
    ref.temperature = 1.25;
    g_assert_true (gl_db_set_drift_reference (db, &ref, &error));
    gl_db_drift_reference_clear (&ref);
  }
  {
    GlDbDriftResult r = { .model_id = model,
                          .kind = GL_DB_DRIFT_BATCH,
                          .batch_id = batch2,
                          .first_image = 6,
                          .last_image = 8,
                          .n_images = 3,
                          .drifted = TRUE,
                          .n_fired = 1,
                          .top_class = classes[1],
                          .accuracy_est = 0.7,
                          .accuracy_ref = 0.9,
                          .psi = NAN,
                          .tests = g_array_new (FALSE, FALSE, sizeof (GlDbDriftTest)),
                          .classes = g_array_new (FALSE, FALSE, sizeof (GlDbDriftClass)) };
    GlDbDriftTest t1 = { .class_id = -1,
                         .test = "chi-square",
                         .tested = TRUE,
                         .statistic = 9.5,
                         .p_value = 0.002,
                         .p_adjusted = 0.01,
                         .effect = 0.3,
                         .n_ref = 3,
                         .n_win = 3,
                         .fired = TRUE };
    GlDbDriftTest t2 = { .class_id = classes[0],
                         .test = "novelty",
                         .tested = FALSE,
                         .statistic = 0,
                         .p_value = 1,
                         .p_adjusted = 1,
                         .effect = 0,
                         .n_ref = 0,
                         .n_win = 2 };
    GlDbDriftClass c = { classes[0], 2, TRUE, 0.8, 0.05, NAN, 0.0 };
    g_array_append_val (r.tests, t1);
    g_array_append_val (r.tests, t2);
    g_array_append_val (r.classes, c);
    g_assert_true (gl_db_add_drift_result (db, &r, &id, &error));
    gl_db_drift_result_clear (&r);
    r = (GlDbDriftResult){ .model_id = model,
                           .kind = GL_DB_DRIFT_WINDOW,
                           .batch_id = -1,
                           .first_image = 1,
                           .last_image = 8,
                           .n_images = 8,
                           .window_size = 200,
                           .top_class = -1,
                           .accuracy_est = 0.8,
                           .accuracy_ref = 0.9,
                           .psi = 0.01 };
    g_assert_true (gl_db_add_drift_result (db, &r, NULL, &error));
    g_assert_no_error (error);
  }
  gl_db_close (db);

  /* Reopened: everything as stored. */
  db = gl_db_open (path, &error);
  g_assert_no_error (error);
  {
    GlDbDriftReference ref = { 0 };
    gboolean found = FALSE;
    g_assert_true (gl_db_get_drift_reference (db, model, &ref, &found, &error));
    g_assert_true (found);
    g_assert_cmpfloat (ref.temperature, ==, 1.25);
    g_assert_cmpfloat (ref.ece_before, ==, 0.1);
    g_assert_true (isnan (ref.ece_after));
    g_assert_cmpuint (ref.n_pool, ==, 2);
    g_assert_cmpuint (g_bytes_get_size (ref.probs), ==, sizeof probs);
    g_assert_cmpfloat (((const float *)g_bytes_get_data (ref.embedding, NULL))[5], ==, 6.0f);
    gl_db_drift_reference_clear (&ref);
    g_assert_true (gl_db_get_drift_reference (db, model + 1, &ref, &found, &error));
    g_assert_false (found);
  }
  {
    g_autoptr (GArray) all = gl_db_list_drift_results (db, model, -1, &error);
    g_autoptr (GArray) batches = gl_db_list_drift_results (db, model, GL_DB_DRIFT_BATCH, &error);
    const GlDbDriftResult *r;
    const GlDbDriftTest *t;
    const GlDbDriftClass *c;

    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, 2);
    g_assert_cmpuint (batches->len, ==, 1);
    r = &g_array_index (all, GlDbDriftResult, 0);
    g_assert_cmpint (r->id, ==, id);
    g_assert_cmpint (r->kind, ==, GL_DB_DRIFT_BATCH);
    g_assert_cmpint (r->batch_id, ==, batch2);
    g_assert_true (r->drifted);
    g_assert_cmpint (r->top_class, ==, classes[1]);
    g_assert_true (isnan (r->psi));
    g_assert_cmpuint (r->tests->len, ==, 2);
    t = &g_array_index (r->tests, GlDbDriftTest, 0);
    g_assert_cmpint (t->class_id, ==, -1);
    g_assert_cmpstr (t->test, ==, "chi-square");
    g_assert_true (t->fired && t->tested);
    g_assert_cmpfloat (t->p_adjusted, ==, 0.01);
    t = &g_array_index (r->tests, GlDbDriftTest, 1);
    g_assert_cmpint (t->class_id, ==, classes[0]);
    g_assert_false (t->tested);
    c = &g_array_index (r->classes, GlDbDriftClass, 0);
    g_assert_true (c->insufficient);
    g_assert_true (isnan (c->precision_ref));
    r = &g_array_index (all, GlDbDriftResult, 1);
    g_assert_cmpint (r->kind, ==, GL_DB_DRIFT_WINDOW);
    g_assert_cmpuint (r->window_size, ==, 200);
    g_assert_cmpuint (r->tests->len, ==, 0);
  }
  /* Deleting the windows keeps the batch. */
  g_assert_true (gl_db_delete_drift_results (db, model, GL_DB_DRIFT_WINDOW, &error));
  {
    g_autoptr (GArray) all = gl_db_list_drift_results (db, model, -1, &error);
    g_assert_cmpuint (all->len, ==, 1);
  }
  {
    g_autoptr (GArray) rows = gl_db_list_image_rows (db, batch1, 0, &error);
    g_autoptr (GArray) newest = gl_db_list_image_rows (db, -1, 4, &error);
    g_assert_cmpuint (rows->len, ==, 5);
    g_assert_cmpint (g_array_index (rows, GlDbImageRow, 0).cache_row, ==, 0);
    g_assert_cmpint (g_array_index (rows, GlDbImageRow, 4).batch_id, ==, batch1);
    g_assert_cmpuint (newest->len, ==, 4);
    g_assert_cmpint (g_array_index (newest, GlDbImageRow, 0).cache_row, ==, 4);
    g_assert_cmpint (g_array_index (newest, GlDbImageRow, 3).cache_row, ==, 7);
  }
  g_assert_true (gl_db_check_integrity (db, &error));
  gl_db_close (db);
  gl_test_db_remove_dir (dir);
}

/* α and the candidates' priority round-trip; the candidates come by
 * priority; a file taken back to schema 7 migrates, old rows unknown. */
static void
test_alpha_and_priority (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gl-db-drift-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "project.gleaner-db", NULL);
  g_autoptr (GError) error = NULL;
  GlDb *db = gl_test_db_create (&path);
  GlDbModelVersion v = { .path = (char *)"/m/1", .n_labels = 3, .val_accuracy = NAN, .macro_f1 = NAN, .ece = NAN };
  gint64 cls, model, drift_id;
  GlDbDriftResult r = { .batch_id = -1, .first_image = 1, .last_image = 4, .n_images = 4, .window_size = 4,
                        .kind = GL_DB_DRIFT_WINDOW, .top_class = -1, .accuracy_est = NAN, .accuracy_ref = NAN,
                        .psi = NAN, .alpha = 0.01 };
  GlDbDriftCandidate cands[3];

  g_assert_no_error (error);
  g_assert_true (gl_db_add_class (db, "a", NULL, &cls, &error));
  add_batch (db, 0, 4);
  g_assert_true (gl_db_add_model_version (db, &v, &model, &error));
  r.model_id = model;
  g_assert_true (gl_db_add_drift_result (db, &r, &drift_id, &error));
  /* Image 1 novel but of low priority, image 2 the highest, image 3 none. */
  cands[0] = (GlDbDriftCandidate){ 1, cls, TRUE, 3.0, 0.2 };
  cands[1] = (GlDbDriftCandidate){ 2, cls, FALSE, 0.5, 1.7 };
  cands[2] = (GlDbDriftCandidate){ 3, cls, TRUE, 9.0, NAN };
  g_assert_true (gl_db_add_drift_candidates (db, drift_id, cands, 3, &error));
  {
    g_autoptr (GArray) all = gl_db_list_drift_results (db, model, -1, &error);
    g_autoptr (GArray) c = gl_db_list_drift_candidates (db, model, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat (g_array_index (all, GlDbDriftResult, 0).alpha, ==, 0.01);
    g_assert_cmpuint (c->len, ==, 3);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 0).image_id, ==, 2);
    g_assert_cmpfloat (g_array_index (c, GlDbDriftCandidate, 0).priority, ==, 1.7);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 1).image_id, ==, 1);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 2).image_id, ==, 3);
    g_assert_true (isnan (g_array_index (c, GlDbDriftCandidate, 2).priority));
  }
  gl_db_close (db);
  if (gl_test_db_postgres ())
    {
      /* The migration from schema 7 is SQLite's (PostgreSQL starts at 8). */
      gl_test_db_remove_dir (dir);
      return;
    }
  {
    sqlite3 *h;

    g_assert_cmpint (sqlite3_open (path, &h), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (h, "BEGIN; " GL_TEST_UNDO_V9 GL_TEST_UNDO_V8 " PRAGMA user_version = 7; COMMIT;", NULL, NULL, NULL),
                     ==, SQLITE_OK);
    sqlite3_close (h);
  }
  db = gl_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (db), ==, GL_DB_SCHEMA_VERSION);
  {
    g_autoptr (GArray) all = gl_db_list_drift_results (db, model, -1, &error);
    g_autoptr (GArray) c = gl_db_list_drift_candidates (db, model, &error);

    g_assert_no_error (error);
    g_assert_true (isnan (g_array_index (all, GlDbDriftResult, 0).alpha));
    /* Without priorities: novel first, farthest first. */
    g_assert_cmpuint (c->len, ==, 3);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 0).image_id, ==, 3);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 1).image_id, ==, 1);
    g_assert_true (isnan (g_array_index (c, GlDbDriftCandidate, 0).priority));
  }
  g_assert_true (gl_db_check_integrity (db, &error));
  gl_db_close (db);
  gl_test_db_remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/db/drift/tables", test_drift_tables);
  g_test_add_func ("/db/drift/alpha-and-priority", test_alpha_and_priority);
  return g_test_run ();
}
