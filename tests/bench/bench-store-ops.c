/* bench-store-ops — a fixed, single-threaded workload over the store's hot
 * paths, for counting instructions (issue 18: the store on gl-sql.h must not
 * cost more per row than it did on sqlite3 directly). Not a test, not timed.
 *
 * In a temporary folder: 5,000 images added in one batch; predictions of a
 * model for every image (gl_db_add_predictions, 5 transactions of 1,000);
 * bulk labeling of 2,000 images (gl_db_set_labels, 4 × 500); 200 single
 * labels (gl_db_set_label); 40 gallery pages of 50 under two sorts
 * (gl_db_list_images). Each stage is one function below, so that
 *
 *   valgrind --tool=callgrind --callgrind-out-file=ops.out build/tests/bench/bench-store-ops
 *   callgrind_annotate --inclusive=yes ops.out | grep stage_
 *
 * gives the instructions of each (about 2 minutes under callgrind; the
 * counts do not depend on the machine's load). The same source builds
 * against an older db/ library (public gl-db.h API plus
 * gl_db_test_set_chunk_rows), for a before/after comparison.
 */
#include "db/gl-db-private.h"

#include <glib/gstdio.h>
#include <stdio.h>

#define N_IMAGES 5000
#define N_CLASSES 10

static void
die (GError *error)
{
  g_printerr ("bench-store-ops: %s\n", error->message);
  exit (1);
}

static G_GNUC_NO_INLINE void
stage_add_images (GlDb *db)
{
  GError *error = NULL;
  gint64 batch;
  if (!gl_db_begin_batch (db, "/photos", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error))
    die (error);
  GlDbNewImage *im = g_new0 (GlDbNewImage, N_IMAGES);
  char (*paths)[64] = g_malloc (N_IMAGES * 64);
  char (*hashes)[65] = g_malloc (N_IMAGES * 65);
  for (guint k = 0; k < N_IMAGES; k++)
    {
      g_snprintf (paths[k], 64, "/photos/roll-%02u/IMG_%07u.jpg", k / 1000, k);
      g_snprintf (hashes[k], 65, "%08x%056u", (guint) (k * 2654435761u), k);
      im[k] = (GlDbNewImage){ paths[k], hashes[k], 50000 + (k % 9000), k, NULL, NULL };
    }
  if (!gl_db_add_images (db, batch, im, N_IMAGES, NULL, NULL, &error))
    die (error);
  g_free (im);
  g_free (paths);
  g_free (hashes);
}

static G_GNUC_NO_INLINE void
stage_predictions (GlDb *db, gint64 model, const gint64 *classes)
{
  GError *error = NULL;
  GlDbPrediction *preds = g_new0 (GlDbPrediction, 1000);
  float (*probs)[N_CLASSES] = g_malloc (sizeof (float) * N_CLASSES * 1000);
  for (guint done = 0; done < N_IMAGES; done += 1000)
    {
      for (guint i = 0; i < 1000; i++)
        {
          guint k = done + i, top = (k * 7) % N_CLASSES;
          double p = 0.1 + 0.9 * ((k * 37) % 1000) / 1000.0;
          for (guint c = 0; c < N_CLASSES; c++)
            probs[i][c] = c == top ? (float) p : (float) ((1 - p) / 9);
          preds[i] = (GlDbPrediction){ k + 1, classes[top], p, 1.0 - p, probs[i], N_CLASSES };
        }
      if (!gl_db_add_predictions (db, model, preds, 1000, &error))
        die (error);
    }
  g_free (preds);
  g_free (probs);
}

static G_GNUC_NO_INLINE void
stage_bulk_labels (GlDb *db, const gint64 *classes)
{
  GError *error = NULL;
  gint64 ids[500];
  for (guint b = 0; b < 4; b++)
    {
      for (guint i = 0; i < 500; i++)
        ids[i] = 1 + (b * 500 + i) * 2;
      if (!gl_db_set_labels (db, ids, 500, classes[b], GL_DB_ORIGIN_HUMAN, "bench", &error))
        die (error);
    }
}

static G_GNUC_NO_INLINE void
stage_labels (GlDb *db, const gint64 *classes)
{
  GError *error = NULL;
  for (guint i = 0; i < 200; i++)
    if (!gl_db_set_label (db, 2 + i * 20, classes[i % N_CLASSES], GL_DB_ORIGIN_HUMAN, "bench", NULL, &error))
      die (error);
}

static G_GNUC_NO_INLINE void
stage_gallery (GlDb *db)
{
  GError *error = NULL;
  GlDbFilter all = { GL_DB_FILTER_ALL, 0 };
  GlDbSort sorts[] = { GL_DB_SORT_UNCERTAINTY, GL_DB_SORT_NAME };
  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    {
      GlDbCursor *cursor = NULL;
      for (guint page = 0; page < 20; page++)
        {
          GArray *rows = NULL;
          GlDbCursor *next = NULL;
          if (!gl_db_list_images (db, &all, sorts[s], cursor, 50, &rows, &next, &error))
            die (error);
          g_array_unref (rows);
          gl_db_cursor_free (cursor);
          cursor = next;
        }
      gl_db_cursor_free (cursor);
    }
}

int
main (void)
{
  GError *error = NULL;
  printf ("bench-store-ops: %u images, predictions of one model, 2,000 bulk labels, 200 labels, 40 gallery pages;"
          " count instructions with callgrind (see the comment at the top)\n",
          N_IMAGES);
  g_autofree char *dir = g_dir_make_tmp ("gleaner-bench-ops-XXXXXX", &error);
  if (dir == NULL)
    die (error);
  g_autofree char *path = g_build_filename (dir, "project.gleaner-db", NULL);
  GlDb *db = gl_db_create (path, &error);
  if (db == NULL)
    die (error);
  gl_db_test_set_chunk_rows (1000);
  const char *names[N_CLASSES] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" };
  gint64 classes[N_CLASSES];
  for (guint i = 0; i < N_CLASSES; i++)
    if (!gl_db_add_class (db, names[i], NULL, &classes[i], &error))
      die (error);
  stage_add_images (db);
  GlDbModelVersion v = { 0, (char *) "models/1.gnet", 0, 0, 0.8, 0.78, 0.05, NULL };
  gint64 model;
  if (!gl_db_add_model_version (db, &v, &model, &error) || !gl_db_set_current_model (db, model, &error))
    die (error);
  stage_predictions (db, model, classes);
  stage_bulk_labels (db, classes);
  stage_labels (db, classes);
  stage_gallery (db);
  gl_db_close (db);
  const char *files[] = { "project.gleaner-db", "project.gleaner-db-wal", "project.gleaner-db-shm" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *f = g_build_filename (dir, files[i], NULL);
      g_unlink (f);
    }
  g_rmdir (dir);
  printf ("bench-store-ops: done\n");
  return 0;
}
