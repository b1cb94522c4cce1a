/* test-db-chunk.c — write transactions sized by time (db/gl-db-chunk.c):
 * a long write commits in several transactions, and a writer of the same
 * process that waits for the lock gets it between two of them.
 *
 * Not timed: the work per transaction is set to 0 µs (gl_db_test_set_chunk_us),
 * so that every transaction is full after its first row, whatever the
 * machine; the lock is handed over by the waiting-writer count, not by a
 * pause. */
#include "db/gl-db-private.h"
#include "gl-test-db.h"

#include <glib/gstdio.h>
#include <math.h>

#define N_IMAGES 300

typedef struct
{
  char *dir;
  char *path;
  GlDb *db;
  gint64 ids[N_IMAGES + 1]; /* the last one is the other writer's */
  gint64 classes[2];
  gint64 model;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-db-chunk-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.db", NULL);
  fx->db = gl_test_db_create (&fx->path);
  g_assert_true (gl_db_add_class (fx->db, "cat", NULL, &fx->classes[0], &error));
  g_assert_true (gl_db_add_class (fx->db, "dog", NULL, &fx->classes[1], &error));
  gint64 batch;
  g_assert_true (gl_db_begin_batch (fx->db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage *im = g_new0 (GlDbNewImage, N_IMAGES + 1);
  char **strs = g_new0 (char *, 2 * (N_IMAGES + 1) + 1);
  for (guint i = 0; i <= N_IMAGES; i++)
    {
      strs[2 * i] = g_strdup_printf ("/img/%06u.png", i);
      strs[2 * i + 1] = g_strdup_printf ("%064u", i);
      im[i] = (GlDbNewImage){ strs[2 * i], strs[2 * i + 1], 100, i, NULL, NULL };
    }
  g_assert_true (gl_db_add_images (fx->db, batch, im, N_IMAGES + 1, fx->ids, NULL, &error));
  g_assert_no_error (error);
  g_strfreev (strs);
  g_free (im);
  GlDbModelVersion v = { .path = (char *) "model.bin", .n_labels = 10, .val_accuracy = NAN, .macro_f1 = NAN,
                         .ece = NAN };
  g_assert_true (gl_db_add_model_version (fx->db, &v, &fx->model, &error));
  g_assert_true (gl_db_prepare_listing (fx->db, fx->model, &error));
  gl_db_test_set_chunk_us (0);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_db_test_set_chunk_us (-1);
  g_clear_pointer (&fx->db, gl_db_close);
  gl_test_db_remove_dir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

static void
fill (guint64 i, GlDbPrediction *out, gpointer data)
{
  Fixture *fx = data;
  *out = (GlDbPrediction){ fx->ids[i], fx->classes[i % 2], 0.6, (double) (i % 17), NULL, 0 };
}

static gint64
count_predictions (GlDb *db, Fixture *fx)
{
  return gl_db_query_int (db, "SELECT COUNT (*) FROM predictions WHERE model_id = ?1", TRUE, fx->model, -1);
}

static gint64
count_bulk (GlDb *db, Fixture *fx)
{
  return gl_db_query_int (db, "SELECT COUNT (*) FROM images WHERE cls = ?1", TRUE, fx->classes[0], -1);
}

/* With no time for work, every transaction takes one row: the writers
 * commit once per row, and the hold statistics count every transaction. */
static void
test_by_time (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GlDbBulkStats stats;
  gl_db_reset_hold_stats ();
  g_assert_true (gl_db_write_predictions (fx->db, fx->model, 40, fill, fx, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.done, ==, 40);
  g_assert_cmpuint (stats.chunks, ==, 40);
  g_assert_cmpint (count_predictions (fx->db, fx), ==, 40);
  /* The listing slot the version owns follows its predictions. */
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE pmodel = ?1 OR pmodel1 = ?1", TRUE,
                                    fx->model, -1), ==, 40);

  g_assert_true (gl_db_set_labels_chunked (fx->db, fx->ids, 30, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", NULL, NULL,
                                           NULL, &stats, &error));
  g_assert_cmpuint (stats.done, ==, 30);
  g_assert_cmpuint (stats.chunks, ==, 30);
  if (!gl_test_db_postgres ()) /* PostgreSQL: no page count (gl-db-chunk.c) */
    g_assert_cmpuint (stats.pages, >=, 30); /* at least the image row's page, each commit */
  g_assert_cmpint (count_bulk (fx->db, fx), ==, 30);
  GlDbHoldStats holds;
  gl_db_get_hold_stats (&holds);
  g_assert_cmpuint (holds.n, >=, 70);
  g_assert_cmpint (holds.max_us, >, 0);
  g_assert_cmpint (holds.total_us, >=, holds.max_us);

  /* Cancelled between two transactions: the ones committed stay. */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  g_assert_false (gl_db_write_predictions (fx->db, fx->model, 60, fill, fx, cancel, &stats, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (stats.done, ==, 0);
}

/* A clock that never ends a transaction (its time is set to an hour, far
 * past what 300 rows take on any machine): the row bound alone ends each
 * one. So a transaction of the round's predictions or of a bulk labeling
 * holds at most GL_DB_CHUNK_MAX_ROWS rows (and their pages) however slow the
 * machine, which bounds how long a label waits behind it. Load-independent:
 * counts, not times. */
static void
test_row_bound (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GlDbBulkStats stats;
  gl_db_test_set_chunk_us ((gint64) 3600 * G_USEC_PER_SEC);
  g_assert_true (gl_db_write_predictions (fx->db, fx->model, N_IMAGES, fill, fx, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.done, ==, N_IMAGES);
  G_STATIC_ASSERT (N_IMAGES > GL_DB_CHUNK_MAX_ROWS);
  g_assert_cmpuint (stats.chunks, ==, (N_IMAGES + GL_DB_CHUNK_MAX_ROWS - 1) / GL_DB_CHUNK_MAX_ROWS);
  g_assert_cmpuint (stats.max_rows, ==, GL_DB_CHUNK_MAX_ROWS);
  if (!gl_test_db_postgres ())
    {
      g_assert_cmpuint (stats.max_pages, >, 0);
      g_assert_cmpuint (stats.max_pages, <=, stats.pages);
    }

  /* A lower bound (the test hook): a bulk labeling's transactions keep to it. */
  gl_db_test_set_chunk_max_rows (64);
  g_assert_true (gl_db_set_labels_chunked (fx->db, fx->ids, N_IMAGES, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", NULL,
                                           NULL, NULL, &stats, &error));
  gl_db_test_set_chunk_max_rows (0);
  g_assert_no_error (error);
  g_assert_cmpuint (stats.done, ==, N_IMAGES);
  g_assert_cmpuint (stats.chunks, ==, (N_IMAGES + 63) / 64);
  g_assert_cmpuint (stats.max_rows, ==, 64);
  g_assert_cmpint (count_bulk (fx->db, fx), ==, N_IMAGES);
  /* Still one action: one undo reverts every chunk. */
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_bulk (fx->db, fx), ==, 0);
}

typedef struct
{
  Fixture *fx;
  gboolean bulk;    /* the long writer labels in bulk (else writes predictions) */
  gint64 seen;      /* the long writer's rows when the other writer committed */
  gboolean ok;
} Run;

static gpointer
long_writer (gpointer data)
{
  Run *run = data;
  Fixture *fx = run->fx;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  run->ok = run->bulk ? gl_db_set_labels_chunked (db, fx->ids, N_IMAGES, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann",
                                                  NULL, NULL, NULL, NULL, &error)
                      : gl_db_write_predictions (db, fx->model, N_IMAGES, fill, fx, NULL, NULL, &error);
  g_assert_no_error (error);
  return NULL;
}

/* One label, as the Label view's writer commits it (gl_db_set_label's
 * transaction), noting what the long writer had committed when the label
 * got the lock. */
static gpointer
label_writer (gpointer data)
{
  Run *run = data;
  Fixture *fx = run->fx;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  gint64 head = -1;
  g_assert_true (gl_db_begin (db, &error));
  run->seen = run->bulk ? count_bulk (db, fx) : count_predictions (db, fx);
  g_assert_true (gl_db_append_labels (db, &fx->ids[N_IMAGES], 1, fx->classes[1], GL_DB_ORIGIN_HUMAN, "labeler", FALSE,
                                      &head, NULL, NULL, &error));
  g_assert_true (gl_db_commit (db, &error));
  g_assert_no_error (error);
  return NULL;
}

/* Both writers wait behind a third connection's transaction; when it ends,
 * the label commits after at most a few of the long writer's N_IMAGES
 * one-row transactions. A writer that began again at once after each
 * commit would keep the lock for most of them: the label's busy handler
 * asks only every half millisecond. */
static void
test_waiting_writer_gets_in (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  Run run = { fx, GPOINTER_TO_INT (data), -1, FALSE };
  g_assert_true (gl_db_begin (fx->db, &error));
  g_assert_cmpint (gl_db_waiting_writers (), ==, 0);
  GThread *a = g_thread_new ("long", long_writer, &run);
  while (gl_db_waiting_writers () < 1)
    g_usleep (200);
  GThread *b = g_thread_new ("label", label_writer, &run);
  while (gl_db_waiting_writers () < 2)
    g_usleep (200);
  g_assert_true (gl_db_commit (fx->db, &error));
  g_thread_join (b);
  g_thread_join (a);
  g_assert_true (run.ok);
  g_assert_cmpint (gl_db_waiting_writers (), ==, 0);
  g_assert_cmpint (run.bulk ? count_bulk (fx->db, fx) : count_predictions (fx->db, fx), ==, N_IMAGES);
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT cls FROM images WHERE id = ?1", TRUE, fx->ids[N_IMAGES], -1), ==,
                   fx->classes[1]);
  g_test_message ("the label committed after %" G_GINT64_FORMAT " of %u rows", run.seen, N_IMAGES);
  g_assert_cmpint (run.seen, >=, 0);
  g_assert_cmpint (run.seen, <=, N_IMAGES / 10);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn, data) g_test_add (name, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD ("/db-chunk/by-time", test_by_time, NULL);
  ADD ("/db-chunk/row-bound", test_row_bound, NULL);
  ADD ("/db-chunk/label-gets-in/predictions", test_waiting_writer_gets_in, GINT_TO_POINTER (0));
  ADD ("/db-chunk/label-gets-in/bulk", test_waiting_writer_gets_in, GINT_TO_POINTER (1));
  return g_test_run ();
}
