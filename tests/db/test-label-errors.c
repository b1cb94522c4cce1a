/* test-label-errors.c — the label-error store (db/gl-db-label-errors.h):
 * one detection per model version written whole or not at all, the
 * suspected list leaving out labels reviewed (origin "review") or changed
 * since, and the schema 3 → 4 migration. */
#include "db/gl-db-label-errors.h"
#include "gl-test-db.h"
#include "downgrade.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>

typedef struct
{
  char *dir;
  char *path;
  GlDb *db;
  gint64 a, b;   /* classes */
  gint64 ids[4]; /* images, labeled a, a, b, b */
  gint64 model;  /* a model version */
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-label-errors-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.gleaner-db", NULL);
  fx->db = gl_test_db_create (&fx->path);
  g_assert_no_error (error);
  g_assert_true (gl_db_add_class (fx->db, "a", NULL, &fx->a, &error));
  g_assert_true (gl_db_add_class (fx->db, "b", NULL, &fx->b, &error));
  gint64 batch;
  g_assert_true (gl_db_begin_batch (fx->db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage im[4] = { { 0 } };
  char paths[4][32], hashes[4][80];
  for (guint i = 0; i < 4; i++)
    {
      g_snprintf (paths[i], sizeof paths[i], "/img/%u.png", i);
      g_snprintf (hashes[i], sizeof hashes[i], "%064u", i);
      im[i].path = paths[i];
      im[i].hash_hex = hashes[i];
      im[i].size_bytes = 10;
      im[i].cache_row = i;
    }
  g_assert_true (gl_db_add_images (fx->db, batch, im, 4, fx->ids, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    g_assert_true (
        gl_db_set_label (fx->db, fx->ids[i], i < 2 ? fx->a : fx->b, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  GlDbModelVersion v
      = { .path = (char *)"/nowhere/model", .n_labels = 4, .val_accuracy = NAN, .macro_f1 = NAN, .ece = NAN };
  g_assert_true (gl_db_add_model_version (fx->db, &v, &fx->model, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  gl_test_db_remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

/* Images 1 (labeled a, looks b) and 2 (labeled b, looks a) flagged. */
static void
store (Fixture *fx, GError **error, gboolean *ok)
{
  GlDbLabelError rows[4] = {
    { fx->ids[0], fx->a, fx->b, 0.9, 0.1, 0.1, FALSE },
    { fx->ids[1], fx->a, fx->b, 0.2, 0.8, 0.8, TRUE },
    { fx->ids[2], fx->b, fx->a, 0.1, 0.9, 0.9, TRUE },
    { fx->ids[3], fx->b, fx->a, 0.6, 0.4, 0.4, FALSE },
  };
  GlDbLabelErrorRun run
      = { fx->model, 5, 4, 2, (char *)"self-confidence", 1.5, gl_db_get_last_label_id (fx->db), 0 };
  *ok = gl_db_store_label_errors (fx->db, &run, rows, 4, error);
}

static void
test_store_and_list (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gboolean found = TRUE, ok;
  GlDbLabelErrorRun run = { 0 };
  g_assert_true (gl_db_get_label_error_run (fx->db, fx->model, &run, &found, &error));
  g_assert_false (found);
  store (fx, &error, &ok);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_true (gl_db_get_label_error_run (fx->db, fx->model, &run, &found, &error));
  g_assert_true (found);
  g_assert_cmpuint (run.folds, ==, 5);
  g_assert_cmpuint (run.n_labels, ==, 4);
  g_assert_cmpuint (run.n_flagged, ==, 2);
  g_assert_cmpstr (run.ranking, ==, "self-confidence");
  g_assert_cmpfloat (run.seconds, ==, 1.5);
  gl_db_label_error_run_clear (&run);

  g_autoptr (GArray) all = gl_db_list_label_errors (fx->db, fx->model, FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  const gint64 by_score[4] = { fx->ids[2], fx->ids[1], fx->ids[3], fx->ids[0] };
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (g_array_index (all, GlDbLabelError, i).image_id, ==, by_score[i]);
  g_autoptr (GArray) top = gl_db_list_label_errors (fx->db, fx->model, FALSE, 1, &error);
  g_assert_cmpuint (top->len, ==, 1);

  g_autoptr (GArray) sus = gl_db_list_label_errors (fx->db, fx->model, TRUE, 0, &error);
  g_assert_cmpuint (sus->len, ==, 2);
  GlDbLabelError *e = &g_array_index (sus, GlDbLabelError, 0);
  g_assert_cmpint (e->image_id, ==, fx->ids[2]);
  g_assert_cmpint (e->given_class, ==, fx->b);
  g_assert_cmpint (e->suggested_class, ==, fx->a);
  g_assert_cmpfloat (e->p_suggested, ==, 0.9);
  g_assert_true (e->flagged);

  GlDbLabelError one;
  g_assert_true (gl_db_get_label_error (fx->db, fx->model, fx->ids[1], &one, &found, &error));
  g_assert_true (found);
  g_assert_cmpfloat (one.score, ==, 0.8);
}

static void
test_reviewed_not_suggested (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gboolean ok;
  store (fx, &error, &ok);
  g_assert_true (ok);
  /* Kept in review: same class, origin review → off the list, in the history. */
  g_assert_true (gl_db_set_label (fx->db, fx->ids[2], fx->b, GL_DB_ORIGIN_REVIEW, "rev", NULL, &error));
  g_autoptr (GArray) sus = gl_db_list_label_errors (fx->db, fx->model, TRUE, 0, &error);
  g_assert_cmpuint (sus->len, ==, 1);
  g_assert_cmpint (g_array_index (sus, GlDbLabelError, 0).image_id, ==, fx->ids[1]);
  g_autoptr (GArray) history = gl_db_get_history (fx->db, fx->ids[2], &error);
  GlDbLabel *last = &g_array_index (history, GlDbLabel, history->len - 1);
  g_assert_cmpint (last->origin, ==, GL_DB_ORIGIN_REVIEW);
  g_assert_cmpstr (gl_db_origin_to_string (last->origin), ==, "review");
  GlDbOrigin o;
  g_assert_true (gl_db_origin_from_string ("review", &o) && o == GL_DB_ORIGIN_REVIEW);
  /* Changed by somebody else since: the given label is gone, so is the suggestion. */
  g_assert_true (gl_db_set_label (fx->db, fx->ids[1], fx->b, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_autoptr (GArray) none = gl_db_list_label_errors (fx->db, fx->model, TRUE, 0, &error);
  g_assert_cmpuint (none->len, ==, 0);
  /* Every row stays listed, reviewed or not. */
  g_autoptr (GArray) all = gl_db_list_label_errors (fx->db, fx->model, FALSE, 0, &error);
  g_assert_cmpuint (all->len, ==, 4);
  /* A new detection of the version starts from the labels as they are now:
   * image 2's review is older than it, so it may be suggested again. */
  store (fx, &error, &ok);
  g_autoptr (GArray) again = gl_db_list_label_errors (fx->db, fx->model, TRUE, 0, &error);
  g_assert_cmpuint (again->len, ==, 1);
  g_assert_cmpint (g_array_index (again, GlDbLabelError, 0).image_id, ==, fx->ids[2]);
}

/* A detection that cannot be stored leaves the earlier one whole. */
static void
test_all_or_nothing (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gboolean ok;
  store (fx, &error, &ok);
  g_assert_true (ok);
  GlDbLabelError bad[2] = {
    { fx->ids[0], fx->a, fx->b, 0.5, 0.5, 0.5, TRUE },
    { fx->ids[1], 9999, fx->b, 0.5, 0.5, 0.5, TRUE }, /* no such class */
  };
  GlDbLabelErrorRun run = { fx->model, 3, 2, 2, (char *)"normalized-margin", NAN, 0, 0 };
  g_assert_false (gl_db_store_label_errors (fx->db, &run, bad, 2, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
  GlDbLabelError nan_row = { fx->ids[0], fx->a, fx->b, NAN, 0.5, 0.5, TRUE };
  g_assert_false (gl_db_store_label_errors (fx->db, &run, &nan_row, 1, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
  GlDbLabelErrorRun kept = { 0 };
  gboolean found;
  g_assert_true (gl_db_get_label_error_run (fx->db, fx->model, &kept, &found, &error));
  g_assert_true (found);
  g_assert_cmpuint (kept.folds, ==, 5);
  gl_db_label_error_run_clear (&kept);
  g_autoptr (GArray) all = gl_db_list_label_errors (fx->db, fx->model, FALSE, 0, &error);
  g_assert_cmpuint (all->len, ==, 4);
}

/* A version 3 file gets the two tables on open (and the later versions). */
static void
test_migrate_v3 (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  g_clear_pointer (&fx->db, gl_db_close);
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open (fx->path, &h), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (h,
                                 "BEGIN; " GL_TEST_UNDO_V9 GL_TEST_UNDO_V8 GL_TEST_UNDO_V7 GL_TEST_UNDO_V6 GL_TEST_UNDO_V5 GL_TEST_UNDO_V4
                                 " PRAGMA user_version = 3; COMMIT;",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (h);
  fx->db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (fx->db), ==, GL_DB_SCHEMA_VERSION);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
  gboolean ok;
  store (fx, &error, &ok);
  g_assert_no_error (error);
  g_assert_true (ok);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/label-errors/store-and-list", test_store_and_list);
  ADD ("/label-errors/reviewed-not-suggested", test_reviewed_not_suggested);
  ADD ("/label-errors/all-or-nothing", test_all_or_nothing);
  ADD ("/label-errors/migrate-v3", test_migrate_v3);
  return g_test_run ();
}
