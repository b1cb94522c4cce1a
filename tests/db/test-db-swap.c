/* test-db-swap.c — the listing slots, the O(1) model swap, pruning old
 * versions' predictions, chunked bulk labeling and the 5 → 6 migration
 * (db/gl-db-predictions.c, db/gl-db-bulk.c).
 *
 * Kills: a child process runs the operation with gl_db_test_exit_after_commits
 * (k) and ends right after its k-th commit; the parent then opens the file
 * and checks that the previous state or the new one is whole (the listing
 * equals the current version's predictions, a bulk labeling is a prefix that
 * one undo reverts), finishes the operation, and tries k + 1 until the child
 * finishes on its own. */
#include "db/gl-db-private.h"
#include "gl-test-db.h"
#include "db/gl-sql-sqlite.h"
#include "downgrade.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_IMAGES 1800 /* more than one chunk of every chunked step */
#define N_HELD 40

typedef struct
{
  char *dir;
  char *path;
  GlDb *db;
  gint64 ids[N_IMAGES];
  gint64 held[N_HELD];
  gint64 classes[3];
} Fixture;

static void
add_images (GlDb *db, guint first, guint n, gboolean held_out, gint64 *ids)
{
  GError *error = NULL;
  gint64 batch;
  g_assert_true (gl_db_begin_batch (db, "test", GL_DB_ORIGIN_HUMAN, held_out, &batch, &error));
  GlDbNewImage *im = g_new0 (GlDbNewImage, n);
  char **strs = g_new0 (char *, 2 * n + 1);
  for (guint i = 0; i < n; i++)
    {
      strs[2 * i] = g_strdup_printf ("/img/%06u.png", first + i);
      strs[2 * i + 1] = g_strdup_printf ("%064u", first + i);
      im[i] = (GlDbNewImage){ strs[2 * i], strs[2 * i + 1], 100, first + i, NULL, NULL };
    }
  g_assert_true (gl_db_add_images (db, batch, im, n, ids, NULL, &error));
  g_assert_no_error (error);
  g_strfreev (strs);
  g_free (im);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-db-swap-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.db", NULL);
  fx->db = gl_test_db_create (&fx->path);
  const char *names[] = { "cat", "dog", "fox" };
  for (guint k = 0; k < 3; k++)
    g_assert_true (gl_db_add_class (fx->db, names[k], NULL, &fx->classes[k], &error));
  add_images (fx->db, 0, N_IMAGES, FALSE, fx->ids);
  add_images (fx->db, N_IMAGES, N_HELD, TRUE, fx->held);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_pointer (&fx->db, gl_db_close);
  gl_test_db_remove_dir (fx->dir);
  g_free (fx->path);
  g_free (fx->dir);
}

static gint64
add_version (GlDb *db)
{
  GError *error = NULL;
  GlDbModelVersion v = { .path = (char *) "model.bin", .n_labels = 10, .val_accuracy = NAN, .macro_f1 = NAN,
                         .ece = NAN };
  gint64 id = -1;
  g_assert_true (gl_db_add_model_version (db, &v, &id, &error));
  return id;
}

/* Predictions of version @m for ids[from, to) and, with @held, the held-out
 * images; scores depend on @m so that versions rank differently. Written in
 * transactions of 250. */
static void
predict (Fixture *fx, GlDb *db, gint64 m, guint from, guint to, gboolean held)
{
  GError *error = NULL;
  guint n = to - from + (held ? N_HELD : 0);
  g_autofree GlDbPrediction *p = g_new0 (GlDbPrediction, n);
  float probs[3] = { 0.2f, 0.3f, 0.5f };
  for (guint i = 0; i < n; i++)
    {
      gint64 id = from + i < to ? fx->ids[from + i] : fx->held[from + i - to];
      p[i] = (GlDbPrediction){ id, fx->classes[(id + m) % 3], 0.4 + 0.5 * ((id * 7 + m) % 11) / 11.0,
                               (double) ((id * 31 + m * 17) % 1000), probs, 3 };
    }
  for (guint i = 0; i < n; i += 250)
    g_assert_true (gl_db_add_predictions (db, m, p + i, MIN (250, n - i), &error));
  g_assert_no_error (error);
}

/* Rows where the current listing differs from the current version's
 * predictions (an image without one must have empty listing columns), or
 * its copy of the label from the label (schema 9). */
static gint64
listing_mismatches (GlDb *db)
{
  g_autofree char *sql = gl_db_slot_sql (
      "SELECT COUNT (*) FROM images i LEFT JOIN predictions p"
      " ON p.model_id = (SELECT value FROM counters WHERE name = 'current_model') AND p.image_id = i.id"
      " WHERE NOT (i.pred_class IS NOT DISTINCT FROM p.top_class AND i.ukey IS NOT DISTINCT FROM -p.score"
      " AND i.ckey IS NOT DISTINCT FROM -p.top_prob AND i.scls = i.cls)",
      gl_db_listing_slot (db));
  return gl_db_query_int (db, sql, FALSE, 0, -1);
}

/* The ids of the first @n images of the uncertainty listing, as text. */
static char *
listing_head (GlDb *db, guint n)
{
  GError *error = NULL;
  GlDbFilter f = { GL_DB_FILTER_UNLABELED, -1, -1 };
  g_autoptr (GArray) rows = NULL;
  g_autoptr (GlDbCursor) next = NULL;
  g_assert_true (gl_db_list_images (db, &f, GL_DB_SORT_UNCERTAINTY, NULL, n, &rows, &next, &error));
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < rows->len; i++)
    g_string_append_printf (s, "%" G_GINT64_FORMAT ":%.0f ", g_array_index (rows, GlDbListRow, i).image_id,
                            g_array_index (rows, GlDbListRow, i).score);
  return g_string_free (s, FALSE);
}

/* ---- Swap -------------------------------------------------------------- */

/* The round's way: the new version gets the free slot, its predictions go
 * there as written, and making it current changes a few counters only. */
static void
test_swap_constant (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 m1 = add_version (fx->db);
  predict (fx, fx->db, m1, 0, N_IMAGES, TRUE);
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  g_assert_true (gl_db_set_label (fx->db, fx->ids[5], fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));

  gint64 m2 = add_version (fx->db);
  int slot_before = gl_db_listing_slot (fx->db);
  g_assert_true (gl_db_prepare_listing (fx->db, m2, &error));
  predict (fx, fx->db, m2, 0, N_IMAGES, TRUE);
  /* m1 stays current and whole while m2 is written. */
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, m1);
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  /* Labels given meanwhile count in both. */
  g_assert_true (gl_db_set_label (fx->db, fx->ids[7], fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  sqlite3 *h = gl_sql_sqlite_handle (fx->db->conn); /* NULL on PostgreSQL: no count of changes there */
  int changes = h != NULL ? sqlite3_total_changes (h) : 0;
  g_assert_true (gl_db_set_current_model (fx->db, m2, &error));
  g_assert_no_error (error);
  /* O(1) plus the labels given since m2's slot was current: two counters,
   * the two labeled images' copy of the label in m2's slot, the marks of
   * both slots and the durable commit that ends the copy's chunks (schema
   * 9), whatever the number of images. */
  g_assert_cmpint ((h != NULL ? sqlite3_total_changes (h) : 0) - changes, <=, 3 + 2 + 3);
  g_assert_cmpint (gl_db_listing_slot (fx->db), ==, 1 - slot_before);
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, m2);
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  /* The queue and the gallery follow m2, labeled images left out. */
  g_autoptr (GArray) top = gl_db_top_unlabeled (fx->db, -1, 1, &error);
  GlDbPrediction best;
  g_assert_true (gl_db_get_prediction (fx->db, m2, g_array_index (top, GlDbScoredImage, 0).image_id, &best, &error));
  g_assert_cmpfloat (best.score, ==, g_array_index (top, GlDbScoredImage, 0).score);
  gl_db_prediction_clear (&best);
  guint64 n = 0;
  GlDbFilter dis = { GL_DB_FILTER_DISAGREEMENT, -1, -1 };
  g_assert_true (gl_db_count_images (fx->db, &dis, &n, &error));
  gint64 expect = (fx->classes[(fx->ids[5] + m2) % 3] != fx->classes[0])
                  + (fx->classes[(fx->ids[7] + m2) % 3] != fx->classes[1]);
  g_assert_cmpuint (n, ==, (guint64) expect);
  /* Back to m1, which still owns the other slot: O(1) as well (no label
   * since: the mark of the slot left behind only). */
  changes = h != NULL ? sqlite3_total_changes (h) : 0;
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  g_assert_cmpint ((h != NULL ? sqlite3_total_changes (h) : 0) - changes, <=, 3 + 1);
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  /* No model at all: an empty listing. */
  g_assert_true (gl_db_set_current_model (fx->db, -1, &error));
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  g_autoptr (GArray) none = gl_db_top_unlabeled (fx->db, -1, 5, &error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
}

/* A version that scored fewer images than an older one in its slot (a
 * third version reuses the first one's slot): the older rows are cleared
 * on the swap, so the listing is exactly the new version's. */
static void
test_swap_leftovers (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 m[3];
  for (guint k = 0; k < 3; k++)
    {
      m[k] = add_version (fx->db);
      g_assert_true (gl_db_prepare_listing (fx->db, m[k], &error));
      predict (fx, fx->db, m[k], 0, k == 2 ? N_IMAGES / 3 : N_IMAGES, k != 2);
      g_assert_true (gl_db_set_current_model (fx->db, m[k], &error));
      g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
    }
  guint64 n = 0;
  GlDbFilter all = { GL_DB_FILTER_ALL, -1, -1 };
  g_autoptr (GArray) rows = NULL;
  g_autoptr (GlDbCursor) next = NULL;
  g_assert_true (gl_db_list_images (fx->db, &all, GL_DB_SORT_CONFIDENCE, NULL, N_IMAGES + N_HELD, &rows, &next,
                                    &error));
  for (guint i = 0; i < rows->len; i++)
    n += !isnan (g_array_index (rows, GlDbListRow, i).confidence);
  g_assert_cmpuint (n, ==, N_IMAGES / 3);
}

/* Runs @op in a child that ends after @k commits; TRUE when the child
 * finished @op before that. */
typedef void (*Op) (Fixture *fx, GlDb *db);

static gboolean
run_killed (Fixture *fx, Op op, guint k)
{
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      GlDb *db = gl_db_open (fx->path, NULL);
      if (db == NULL)
        _exit (3);
      gl_db_test_exit_after_commits (k);
      op (fx, db);
      _exit (1);
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), !=, 3);
  return WEXITSTATUS (status) == 1;
}

static gint64 kill_model; /* the version the operations make current */

static void
op_swap (Fixture *fx, GlDb *db)
{
  g_assert_true (gl_db_set_current_model (db, kill_model, NULL));
}

static void
op_round (Fixture *fx, GlDb *db)
{
  g_assert_true (gl_db_prepare_listing (db, kill_model, NULL));
  predict (fx, db, kill_model, 0, N_IMAGES, TRUE);
  g_assert_true (gl_db_set_current_model (db, kill_model, NULL));
}

static void
op_prune (Fixture *fx, GlDb *db)
{
  gboolean more = TRUE;
  while (more)
    g_assert_true (gl_db_prune_predictions (db, 10000, &more, NULL));
}

/* Kills @op after 1, 2, … commits; after each, the listing is whole (the
 * previous version or the new one) and @op run again finishes it. */
static void
kill_at_every_step (Fixture *fx, Op op, gint64 before, gint64 after, const char *reset_sql)
{
  GError *error = NULL;
  guint k = 1;
  for (;; k++)
    {
      g_assert_true (gl_db_set_current_model (fx->db, before, &error));
      if (reset_sql != NULL)
        g_assert_true (gl_db_exec (fx->db, reset_sql, &error));
      g_clear_pointer (&fx->db, gl_db_close);
      gboolean finished = run_killed (fx, op, k);
      fx->db = gl_db_open (fx->path, &error);
      g_assert_no_error (error);
      gint64 cur = gl_db_get_current_model (fx->db);
      g_assert_true (cur == before || cur == after);
      g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
      op (fx, fx->db);
      g_assert_cmpint (gl_db_get_current_model (fx->db), ==, after);
      g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
      if (finished)
        break;
    }
  g_test_message ("killed after each of %u commits", k - 1);
  g_assert_cmpuint (k, >, 2);
}

/* A version copied into the free slot (its predictions were written
 * first), and the round's way (slot first, predictions, swap). */
static void
test_swap_killed (Fixture *fx, gconstpointer data)
{
  gint64 m1 = add_version (fx->db);
  predict (fx, fx->db, m1, 0, N_IMAGES, TRUE);
  gint64 m2 = add_version (fx->db);
  predict (fx, fx->db, m2, 0, N_IMAGES, TRUE);
  kill_model = m2;
  /* The copy path: m2 owns no slot each time (the slot it got is taken back). */
  kill_at_every_step (fx, op_swap, m1, m2, "UPDATE counters SET value = -1 WHERE name IN ('slot0_model', 'slot1_model')"
                                           " AND value NOT IN (SELECT value FROM counters WHERE name = 'current_model')");
  gint64 m3 = add_version (fx->db);
  kill_model = m3;
  kill_at_every_step (fx, op_round, m2, m3, "DELETE FROM predictions WHERE model_id = (SELECT MAX (id) FROM model_versions)");
}

/* Pruning keeps the current version, both slots' versions and every
 * version's rows of audit and held-out images; killed at any step it
 * resumes. */
static void
test_prune (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_true (gl_db_set_audit_label (fx->db, fx->ids[3], fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  gint64 m[4];
  for (guint k = 0; k < 4; k++)
    {
      m[k] = add_version (fx->db);
      g_assert_true (gl_db_prepare_listing (fx->db, m[k], &error));
      predict (fx, fx->db, m[k], 0, N_IMAGES, TRUE);
      g_assert_true (gl_db_set_current_model (fx->db, m[k], &error));
    }
  g_clear_pointer (&fx->db, gl_db_close);
  guint k = 1;
  while (!run_killed (fx, op_prune, k))
    {
      fx->db = gl_db_open (fx->path, &error);
      g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
      g_clear_pointer (&fx->db, gl_db_close);
      k++;
    }
  g_assert_cmpuint (k, >, 2);
  fx->db = gl_db_open (fx->path, &error);
  const char *count = "SELECT COUNT (*) FROM predictions WHERE model_id = ?1";
  g_assert_cmpint (gl_db_query_int (fx->db, count, TRUE, m[0], -1), ==, N_HELD + 1);
  g_assert_cmpint (gl_db_query_int (fx->db, count, TRUE, m[1], -1), ==, N_HELD + 1);
  g_assert_cmpint (gl_db_query_int (fx->db, count, TRUE, m[2], -1), ==, N_IMAGES + N_HELD);
  g_assert_cmpint (gl_db_query_int (fx->db, count, TRUE, m[3], -1), ==, N_IMAGES + N_HELD);
  g_autoptr (GArray) eval = gl_db_list_evaluated (fx->db, m[0], TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eval->len, ==, 1); /* the audit image; held-out images have no reference label here */
  gboolean more = TRUE;
  g_assert_true (gl_db_prune_predictions (fx->db, 1000, &more, &error));
  g_assert_false (more);
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
}

/* ---- Migration --------------------------------------------------------- */

static char *
dump (GlDb *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (gl_sql_sqlite_handle (db->conn), sql, -1, &st, NULL), ==, SQLITE_OK);
  GString *s = g_string_new (NULL);
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      for (int c = 0; c < sqlite3_column_count (st); c++)
        g_string_append_printf (s, "%s|", sqlite3_column_text (st, c) ? (const char *) sqlite3_column_text (st, c)
                                                                      : "∅");
      g_string_append_c (s, '\n');
    }
  sqlite3_finalize (st);
  return g_string_free (s, FALSE);
}

#define LABELS_SQL "SELECT * FROM labels ORDER BY id"
#define PREDICTIONS_SQL "SELECT model_id, image_id, top_class, top_prob, score, hex (probs) FROM predictions ORDER BY 1, 2"

/* A version 5 file as that build left it (@pending: a copy into the
 * listing half done), opened: every label and prediction kept, the current
 * model current, its listing whole. */
static void
migrate_from_v5 (Fixture *fx, gboolean pending)
{
  GError *error = NULL;
  gint64 m1 = add_version (fx->db), m2 = add_version (fx->db);
  predict (fx, fx->db, m1, 0, N_IMAGES, TRUE);
  predict (fx, fx->db, m2, 0, N_IMAGES / 2, TRUE);
  g_assert_true (gl_db_set_current_model (fx->db, m2, &error));
  gint64 bulk[100];
  memcpy (bulk, fx->ids + 200, sizeof bulk);
  g_assert_true (gl_db_set_labels (fx->db, bulk, 100, fx->classes[2], GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_true (gl_db_set_label (fx->db, fx->ids[1], fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_autofree char *labels = dump (fx->db, LABELS_SQL);
  g_autofree char *preds = dump (fx->db, PREDICTIONS_SQL);
  g_autofree char *head = listing_head (fx->db, 50);
  /* Version 5 had one listing: the current slot's columns. */
  g_assert_true (gl_db_exec (fx->db, gl_db_listing_slot (fx->db) == 1
                                         ? "UPDATE images SET pred_class = pred_class1, ukey = ukey1, ckey = ckey1"
                                         : "SELECT 1", &error));
  g_clear_pointer (&fx->db, gl_db_close);
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open (fx->path, &h), ==, SQLITE_OK);
  g_autofree char *v5 = g_strdup_printf (
      "BEGIN; " GL_TEST_UNDO_V9 GL_TEST_UNDO_V8 GL_TEST_UNDO_V7 GL_TEST_UNDO_V6 " UPDATE counters SET value = %d WHERE name = 'listing_pending';"
      " INSERT OR REPLACE INTO counters VALUES ('listing_next', %d);"
      " UPDATE images SET ukey = NULL WHERE %d AND id > %d; PRAGMA user_version = 5; COMMIT;",
      pending, N_IMAGES / 3, pending, N_IMAGES / 3);
  g_assert_cmpint (sqlite3_exec (h, v5, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (h);

  fx->db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (fx->db), ==, GL_DB_SCHEMA_VERSION);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
  g_autofree char *labels_after = dump (fx->db, LABELS_SQL);
  g_autofree char *preds_after = dump (fx->db, PREDICTIONS_SQL);
  g_assert_cmpstr (labels, ==, labels_after);
  g_assert_cmpstr (preds, ==, preds_after);
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, m2);
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  g_autofree char *head_after = listing_head (fx->db, 50);
  g_assert_cmpstr (head, ==, head_after);
  /* The migrated project swaps in O(1) from now on, and back. */
  gint64 m3 = add_version (fx->db);
  g_assert_true (gl_db_prepare_listing (fx->db, m3, &error));
  predict (fx, fx->db, m3, 0, N_IMAGES, TRUE);
  g_assert_true (gl_db_set_current_model (fx->db, m3, &error));
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0", FALSE, 0, -1), ==, 0);
}

static void
test_migrate (Fixture *fx, gconstpointer data)
{
  if (gl_test_db_skip_unless_file ())
    return;
  migrate_from_v5 (fx, GPOINTER_TO_INT (data));
}

/* ---- Bulk labeling ------------------------------------------------------ */

typedef struct
{
  GCancellable *cancel;
  guint cancel_at; /* cancel after this many progress calls */
  guint calls;
  guint64 last;
} BulkRun;

static void
on_bulk_progress (guint64 done, guint64 total, gpointer data)
{
  BulkRun *run = data;
  g_assert_cmpuint (done, >, run->last);
  g_assert_cmpuint (done, <=, total);
  run->last = done;
  if (++run->calls == run->cancel_at)
    g_cancellable_cancel (run->cancel);
}

/* The labeled images are exactly ids[0, n) (a prefix), with @klass. */
static void
assert_prefix (Fixture *fx, guint64 n, gint64 klass)
{
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0", FALSE, 0, -1), ==,
                   (gint64) n);
  if (n > 0)
    {
      g_assert_cmpint (gl_db_query_int (fx->db, "SELECT cls FROM images WHERE id = ?1", TRUE, fx->ids[n - 1], 0), ==,
                       klass);
      g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0 AND id > ?1", TRUE,
                                        fx->ids[n - 1], -1), ==, 0);
    }
}

static void
test_bulk (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_true (gl_db_set_label (fx->db, fx->ids[N_IMAGES - 1], fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", NULL,
                                  &error));
  /* Cancelled after the second chunk: that prefix stays; one undo reverts it. */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  BulkRun run = { cancel, 2, 0, 0 };
  GlDbBulkStats stats;
  g_assert_false (gl_db_set_labels_chunked (fx->db, fx->ids, N_IMAGES - 1, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann",
                                            cancel, on_bulk_progress, &run, &stats, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (stats.chunks, ==, 2);
  g_assert_cmpuint (stats.done, ==, run.last);
  g_assert_cmpuint (stats.done, <, N_IMAGES - 1);
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls = ?1", TRUE, fx->classes[0], -1),
                   ==, (gint64) stats.done);
  gint64 image = -1;
  g_assert_true (gl_db_undo_last (fx->db, "ann", &image, &error));
  g_assert_cmpint (image, ==, fx->ids[0]);
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0", FALSE, 0, -1), ==, 1);

  /* The whole selection: several chunks, one action. */
  BulkRun all = { NULL, 0, 0, 0 };
  g_assert_true (gl_db_set_labels_chunked (fx->db, fx->ids, N_IMAGES - 1, fx->classes[2], GL_DB_ORIGIN_HUMAN, "ann",
                                           NULL, on_bulk_progress, &all, &stats, &error));
  g_assert_cmpuint (stats.done, ==, N_IMAGES - 1);
  g_assert_cmpuint (stats.chunks, >, 1);
  g_assert_cmpuint (all.calls, ==, stats.chunks);
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM labels WHERE action = ?1", TRUE, stats.head, -1),
                   ==, N_IMAGES - 2);
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0", FALSE, 0, -1), ==, 1);
  /* The single label before is the next step back. */
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  assert_prefix (fx, 0, -1);

  /* A bad image fails its chunk; the chunks before it stay. */
  gint64 bad[600];
  memcpy (bad, fx->ids, sizeof bad);
  bad[599] = 999999;
  g_assert_false (gl_db_set_labels_chunked (fx->db, bad, 600, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", NULL, NULL,
                                            NULL, &stats, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_prefix (fx, stats.done, fx->classes[0]);
  g_assert_false (gl_db_set_labels_chunked (fx->db, bad, 10, fx->classes[0], GL_DB_ORIGIN_REFERENCE, "ann", NULL,
                                            NULL, NULL, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
}

static void
op_bulk (Fixture *fx, GlDb *db)
{
  g_assert_true (gl_db_set_labels_chunked (db, fx->ids, N_IMAGES, fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", NULL,
                                           NULL, NULL, NULL, NULL));
}

/* Killed after any chunk: a prefix, which one undo reverts. */
static void
test_bulk_killed (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_clear_pointer (&fx->db, gl_db_close);
  guint k = 1;
  for (;; k++)
    {
      gboolean finished = run_killed (fx, op_bulk, k);
      fx->db = gl_db_open (fx->path, &error);
      g_assert_no_error (error);
      guint64 n = (guint64) gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0", FALSE, 0, -1);
      assert_prefix (fx, n, fx->classes[1]);
      g_assert_cmpuint (n, >, 0);
      g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
      assert_prefix (fx, 0, -1);
      g_assert_false (gl_db_undo_last (fx->db, "ann", NULL, &error));
      g_clear_error (&error);
      g_clear_pointer (&fx->db, gl_db_close);
      if (finished)
        break;
    }
  g_assert_cmpuint (k, >, 2);
  fx->db = gl_db_open (fx->path, &error);
}

/* ---- The listing slots' copies of the label (schema 9) ----------------- */

/* The ids of every image of @filter under @sort (all pages of 97), as text. */
static char *
listing_ids (GlDb *db, GlDbFilterKind kind, gint64 class_id, GlDbSort sort)
{
  GError *error = NULL;
  GlDbFilter f = { kind, class_id, -1 };
  GString *s = g_string_new (NULL);
  GlDbCursor *cursor = NULL;
  for (;;)
    {
      g_autoptr (GArray) rows = NULL;
      GlDbCursor *next = NULL;
      g_assert_true (gl_db_list_images (db, &f, sort, cursor, 97, &rows, &next, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < rows->len; i++)
        g_string_append_printf (s, "%" G_GINT64_FORMAT " ", g_array_index (rows, GlDbListRow, i).image_id);
      gl_db_cursor_free (cursor);
      cursor = next;
      if (cursor == NULL)
        break;
    }
  return g_string_free (s, FALSE);
}

/* The filters on the label under the sorts whose indexes belong to a slot,
 * each as text; with the same text computed from cls by SQL (no index). */
static char *
label_listings (Fixture *fx)
{
  const GlDbFilterKind kinds[] = { GL_DB_FILTER_CLASS, GL_DB_FILTER_LABELED, GL_DB_FILTER_UNLABELED,
                                   GL_DB_FILTER_DISAGREEMENT };
  const GlDbSort sorts[] = { GL_DB_SORT_UNCERTAINTY, GL_DB_SORT_CONFIDENCE, GL_DB_SORT_NAME, GL_DB_SORT_NEWEST };
  GString *s = g_string_new (NULL);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint o = 0; o < G_N_ELEMENTS (sorts); o++)
      {
        g_autofree char *ids = listing_ids (fx->db, kinds[k], fx->classes[1], sorts[o]);
        g_string_append_printf (s, "%u/%u: %s\n", k, o, ids);
      }
  return g_string_free (s, FALSE);
}

/* How many images the listing of @kind (class fx->classes[1]) should show,
 * counted from cls and the current version's predictions. */
static gint64
expected_count (Fixture *fx, GlDbFilterKind kind)
{
  const char *sql = kind == GL_DB_FILTER_CLASS ? "SELECT COUNT (*) FROM images WHERE cls = ?1"
                    : kind == GL_DB_FILTER_LABELED ? "SELECT COUNT (*) FROM images WHERE cls > 0 AND ?1 > 0"
                    : kind == GL_DB_FILTER_UNLABELED ? "SELECT COUNT (*) FROM images WHERE cls = -1 AND ?1 > 0"
                    : "SELECT COUNT (*) FROM images i JOIN predictions p ON p.image_id = i.id AND p.model_id ="
                      " (SELECT value FROM counters WHERE name = 'current_model') WHERE i.cls > 0"
                      " AND p.top_class <> i.cls AND ?1 > 0";
  return gl_db_query_int (fx->db, sql, TRUE, fx->classes[1], -1);
}

static void
assert_label_listings (Fixture *fx)
{
  const GlDbFilterKind kinds[] = { GL_DB_FILTER_CLASS, GL_DB_FILTER_LABELED, GL_DB_FILTER_UNLABELED,
                                   GL_DB_FILTER_DISAGREEMENT };
  const GlDbSort sorts[] = { GL_DB_SORT_UNCERTAINTY, GL_DB_SORT_CONFIDENCE, GL_DB_SORT_NAME, GL_DB_SORT_NEWEST };
  g_assert_cmpint (listing_mismatches (fx->db), ==, 0);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint o = 0; o < G_N_ELEMENTS (sorts); o++)
      {
        g_autofree char *ids = listing_ids (fx->db, kinds[k], fx->classes[1], sorts[o]);
        g_auto (GStrv) parts = g_strsplit (g_strstrip (ids), " ", -1);
        guint n = ids[0] ? g_strv_length (parts) : 0;
        g_assert_cmpint (n, ==, expected_count (fx, kinds[k]));
      }
}

/* A label writes the current slot's copy only; the other slot takes in the
 * labels given meanwhile when a version claims it and when it becomes
 * current (in chunks, then the last few in the swap), and every listing on
 * the label stays exact. */
static void
test_label_copy (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 m1 = add_version (fx->db);
  predict (fx, fx->db, m1, 0, N_IMAGES, TRUE);
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  int s1 = gl_db_listing_slot (fx->db);
  g_autofree char *other = g_strdup_printf ("SELECT COUNT (*) FROM images WHERE %s <> cls",
                                            s1 == 0 ? "scls1" : "scls");
  /* Labels before the next version claims the other slot: taken in then. */
  g_assert_true (gl_db_set_labels (fx->db, fx->ids + 1000, 300, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_cmpint (gl_db_query_int (fx->db, other, FALSE, 0, -1), ==, 300);
  gint64 m2 = add_version (fx->db);
  g_assert_true (gl_db_prepare_listing (fx->db, m2, &error));
  g_assert_cmpint (gl_db_query_int (fx->db, other, FALSE, 0, -1), ==, 0);
  predict (fx, fx->db, m2, 0, N_IMAGES, TRUE);
  /* 600 labels (more than two chunks of 250) while m2 is scored. */
  g_assert_true (gl_db_set_labels (fx->db, fx->ids + 100, 600, fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_true (gl_db_set_label (fx->db, fx->ids[3], fx->classes[2], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_cmpint (gl_db_query_int (fx->db, other, FALSE, 0, -1), ==, 601);
  assert_label_listings (fx);
  g_assert_true (gl_db_set_current_model (fx->db, m2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_listing_slot (fx->db), ==, 1 - s1);
  assert_label_listings (fx);
  /* An undo under m2, then back to m1: its copy takes in the undo. */
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  assert_label_listings (fx);
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE cls > 0", FALSE, 0, -1), ==, 900);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
}

/* Every row of @sql as text on SQLite; on PostgreSQL (no dump there) the
 * count and a weighted sum of the rows' columns (@digest_sql). */
#define LABELS_DIGEST_SQL                                                                                              \
  "SELECT COUNT (*) * 1000003 + SUM (id * 7 + image_id * 13 + COALESCE (class_id, 0) * 17 + kind * 19"                 \
  " + COALESCE (undoes, 0) * 23 + COALESCE (action, 0) * 29 + LENGTH (origin) * 31 + created_us % 1000) FROM labels"
#define PREDICTIONS_DIGEST_SQL                                                                                         \
  "SELECT COUNT (*) * 1000003 + SUM (model_id * 7 + image_id * 13 + top_class * 17"                                    \
  " + CAST (top_prob * 1000000 AS BIGINT) + CAST (score * 1000 AS BIGINT)) FROM predictions"

static char *
store_digest (GlDb *db, const char *sql, const char *digest_sql)
{
  if (gl_db_is_sqlite (db))
    return dump (db, sql);
  return g_strdup_printf ("%" G_GINT64_FORMAT, gl_db_query_int (db, digest_sql, FALSE, 0, -1));
}

/* A version 8 project (both slots filled, labels, a bulk labeling and an
 * undo) as that build left it, opened: every label and prediction kept,
 * every listing on the label the same as before, and the swaps go on. On
 * SQLite the file's migration, on PostgreSQL the server's (8 → 9). */
static void
test_migrate_v8 (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 m1 = add_version (fx->db), m2 = add_version (fx->db);
  predict (fx, fx->db, m1, 0, N_IMAGES, TRUE);
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  g_assert_true (gl_db_prepare_listing (fx->db, m2, &error));
  predict (fx, fx->db, m2, 0, N_IMAGES / 2, TRUE);
  g_assert_true (gl_db_set_current_model (fx->db, m2, &error));
  g_assert_true (gl_db_set_labels (fx->db, fx->ids + 300, 400, fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_true (gl_db_set_labels (fx->db, fx->ids + 500, 50, fx->classes[0], GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, fx->ids[2], fx->classes[1], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_autofree char *labels = store_digest (fx->db, LABELS_SQL, LABELS_DIGEST_SQL);
  g_autofree char *preds = store_digest (fx->db, PREDICTIONS_SQL, PREDICTIONS_DIGEST_SQL);
  g_autofree char *listings = label_listings (fx);
  if (gl_db_is_sqlite (fx->db))
    {
      g_clear_pointer (&fx->db, gl_db_close);
      sqlite3 *h;
      g_assert_cmpint (sqlite3_open (fx->path, &h), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (h, "BEGIN; " GL_TEST_UNDO_V9 " PRAGMA user_version = 8; COMMIT;", NULL, NULL,
                                     NULL), ==, SQLITE_OK);
      sqlite3_close (h);
    }
  else
    {
      g_assert_true (gl_db_begin (fx->db, &error));
      g_assert_true (gl_db_exec (fx->db, GL_TEST_UNDO_V9 " UPDATE schema_version SET version = 8;", &error));
      g_assert_true (gl_db_commit (fx->db, &error));
      g_assert_cmpint (gl_db_get_schema_version (fx->db), ==, 8);
      g_clear_pointer (&fx->db, gl_db_close);
    }

  fx->db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (fx->db), ==, 9);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
  g_autofree char *labels_after = store_digest (fx->db, LABELS_SQL, LABELS_DIGEST_SQL);
  g_autofree char *preds_after = store_digest (fx->db, PREDICTIONS_SQL, PREDICTIONS_DIGEST_SQL);
  g_autofree char *listings_after = label_listings (fx);
  g_assert_cmpstr (labels, ==, labels_after);
  g_assert_cmpstr (preds, ==, preds_after);
  g_assert_cmpstr (listings, ==, listings_after);
  g_assert_cmpint (gl_db_query_int (fx->db, "SELECT COUNT (*) FROM images WHERE scls <> cls OR scls1 <> cls", FALSE, 0,
                                    -1), ==, 0);
  assert_label_listings (fx);
  /* Labels, a swap back and a new version after the migration. */
  g_assert_true (gl_db_set_label (fx->db, fx->ids[4], fx->classes[2], GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  assert_label_listings (fx);
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_true (gl_db_set_current_model (fx->db, m2, &error));
  assert_label_listings (fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Chunks of a fixed size: several of every chunked step, however fast. */
  gl_db_test_set_chunk_rows (250);
#define ADD(name, fn, data) g_test_add (name, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD ("/db-swap/constant", test_swap_constant, NULL);
  ADD ("/db-swap/leftovers", test_swap_leftovers, NULL);
  ADD ("/db-swap/killed", test_swap_killed, NULL);
  ADD ("/db-swap/prune", test_prune, NULL);
  ADD ("/db-swap/migrate", test_migrate, GINT_TO_POINTER (0));
  ADD ("/db-swap/migrate-pending", test_migrate, GINT_TO_POINTER (1));
  ADD ("/db-swap/bulk", test_bulk, NULL);
  ADD ("/db-swap/bulk-killed", test_bulk_killed, NULL);
  ADD ("/db-swap/label-copy", test_label_copy, NULL);
  ADD ("/db-swap/migrate-v8", test_migrate_v8, NULL);
  return g_test_run ();
}
