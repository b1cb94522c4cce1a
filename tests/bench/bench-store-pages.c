/* bench-store-pages — database pages written per label (issue 16: a bulk
 * labeling of 1,000,000 images in ≤ 60 s needs a few page writes per
 * image). Not a test, not timed: page counts do not depend on the machine's
 * load, so the figures hold on a busy machine.
 *
 * In a temporary folder: --images images (default 20,000) in one batch,
 * two model versions with predictions of every image (the state after a
 * round: one version current, the previous one still in the other listing
 * slot), then
 *   - a bulk labeling of every image in id order, as the Gallery's "select
 *     all" and a class key (gl_db_set_labels_chunked, chunks of --chunk rows,
 *     default 1,000, so that the count does not depend on timing);
 *   - 200 single labels, one transaction each, as the Label view writes
 *     them (gl_db_set_label), on images spread over the project;
 * and prints, for each, the pages written (SQLite's cache writes at commit)
 * per image. The same source builds against an older db/ library (the
 * public gl-db.h API plus gl_db_test_set_chunk_rows and the private
 * header's connection), for a before/after comparison:
 *
 *   build/tests/bench/bench-store-pages --images 20000     (about 1 minute idle)
 */
#include "db/gl-db-private.h"
#include "db/gl-sql-sqlite.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#define N_CLASSES 10

static void
die (GError *error)
{
  g_printerr ("bench-store-pages: %s\n", error->message);
  exit (1);
}

static void
add_images (GlDb *db, guint n)
{
  GError *error = NULL;
  gint64 batch;
  if (!gl_db_begin_batch (db, "/photos", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error))
    die (error);
  for (guint done = 0; done < n; done += 10000)
    {
      guint m = MIN (10000, n - done);
      GlDbNewImage *im = g_new0 (GlDbNewImage, m);
      char (*paths)[64] = g_malloc ((gsize) m * 64);
      char (*hashes)[65] = g_malloc ((gsize) m * 65);
      for (guint i = 0; i < m; i++)
        {
          guint k = done + i;
          g_snprintf (paths[i], 64, "/photos/roll-%03u/IMG_%07u.jpg", k / 1000, k);
          g_snprintf (hashes[i], 65, "%08x%056u", (guint) (k * 2654435761u), k);
          im[i] = (GlDbNewImage){ paths[i], hashes[i], 50000 + (k % 9000), k, NULL, NULL };
        }
      if (!gl_db_add_images (db, batch, im, m, NULL, NULL, &error))
        die (error);
      g_free (im);
      g_free (paths);
      g_free (hashes);
    }
}

/* Predictions of version @model for every image; the scores depend on the
 * version, so that the two versions order the images differently. */
static void
predict (GlDb *db, gint64 model, guint n, const gint64 *classes)
{
  GError *error = NULL;
  GlDbPrediction *preds = g_new0 (GlDbPrediction, 1000);
  float (*probs)[N_CLASSES] = g_malloc (sizeof (float) * N_CLASSES * 1000);
  for (guint done = 0; done < n; done += 1000)
    {
      guint m = MIN (1000, n - done);
      for (guint i = 0; i < m; i++)
        {
          guint64 k = done + i;
          guint top = (guint) ((k * 7 + (guint64) model) % N_CLASSES);
          double p = 0.1 + 0.9 * ((k * 37 + (guint64) model * 911) % 1000) / 1000.0;
          for (guint c = 0; c < N_CLASSES; c++)
            probs[i][c] = c == top ? (float) p : (float) ((1 - p) / 9);
          preds[i] = (GlDbPrediction){ (gint64) k + 1, classes[top], p, (double) ((k * 7919 + (guint64) model * 104729) % 100003) / 100003.0,
                                       probs[i], N_CLASSES };
        }
      if (!gl_db_add_predictions (db, model, preds, m, &error))
        die (error);
    }
  g_free (preds);
  g_free (probs);
}

static gint64
new_version (GlDb *db)
{
  GError *error = NULL;
  GlDbModelVersion v = { 0, (char *) "models/1.gnet", 0, 0, 0.8, 0.78, 0.05, NULL };
  gint64 model;
  if (!gl_db_add_model_version (db, &v, &model, &error))
    die (error);
  return model;
}

static gint64
pages_written (GlDb *db)
{
  int cur = 0, high = 0;
  sqlite3_db_status (gl_sql_sqlite_handle (db->conn), SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, TRUE);
  return cur;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  gint n_images = 20000, chunk = 1000;
  gboolean scattered = FALSE;
  GOptionEntry entries[] = {
    { "images", 0, 0, G_OPTION_ARG_INT, &n_images, "images in the project (default 20000)", "N" },
    { "chunk", 0, 0, G_OPTION_ARG_INT, &chunk, "rows per bulk-labeling transaction (default 1000)", "N" },
    { "scattered", 0, 0, G_OPTION_ARG_NONE, &scattered, "label the images in a scattered order, not by id", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— database pages written per label");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    die (error);
  if (n_images < 1000 || chunk < 1)
    {
      g_printerr ("bench-store-pages: --images must be at least 1000 and --chunk at least 1\n");
      return 2;
    }
  if (scattered && n_images % 7919 == 0)
    {
      g_printerr ("bench-store-pages: with --scattered, --images must not be a multiple of 7919\n");
      return 2;
    }
  printf ("bench-store-pages: %d images, two versions' predictions (one per listing slot), a bulk labeling of every"
          " image (%s) in chunks of %d, 200 single labels; SQLite %s; counts pages written (load-independent)\n",
          n_images, scattered ? "in a scattered order" : "in id order", chunk, sqlite3_libversion ());
  g_autofree char *dir = g_dir_make_tmp ("gleaner-bench-pages-XXXXXX", &error);
  if (dir == NULL)
    die (error);
  g_autofree char *path = g_build_filename (dir, "project.gleaner-db", NULL);
  GlDb *db = gl_db_create (path, &error);
  if (db == NULL)
    die (error);
  printf ("schema version %d\n", gl_db_get_schema_version (db));
  gl_db_test_set_chunk_rows ((guint) chunk);
  const char *names[N_CLASSES] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" };
  gint64 classes[N_CLASSES];
  for (guint i = 0; i < N_CLASSES; i++)
    if (!gl_db_add_class (db, names[i], NULL, &classes[i], &error))
      die (error);
  add_images (db, (guint) n_images);
  /* The state after a round: version 1 in one slot, version 2 current in the other. */
  gint64 v1 = new_version (db);
  if (!gl_db_prepare_listing (db, v1, &error))
    die (error);
  predict (db, v1, (guint) n_images, classes);
  if (!gl_db_set_current_model (db, v1, &error))
    die (error);
  gint64 v2 = new_version (db);
  if (!gl_db_prepare_listing (db, v2, &error))
    die (error);
  predict (db, v2, (guint) n_images, classes);
  if (!gl_db_set_current_model (db, v2, &error))
    die (error);

  /* --scattered: the selection in an order unrelated to the ids (as a
   * listing sorted by a model's score gives it), written as given. */
  gint64 *ids = g_new (gint64, n_images);
  for (gint i = 0; i < n_images; i++)
    ids[i] = scattered ? 1 + (gint64) (((guint64) i * 7919u) % (guint64) n_images) : i + 1;
  GlDbBulkStats stats;
  if (!gl_db_set_labels_chunked (db, ids, (guint64) n_images, classes[3], GL_DB_ORIGIN_HUMAN, "bench", NULL, NULL,
                                 NULL, &stats, &error))
    die (error);
  printf ("bulk labeling: %" G_GUINT64_FORMAT " images, %u chunks, %" G_GUINT64_FORMAT " pages written,"
          " %.2f pages per image\n",
          stats.done, stats.chunks, stats.pages, (double) stats.pages / (double) MAX (stats.done, 1));

  pages_written (db);
  for (guint i = 0; i < 200; i++)
    if (!gl_db_set_label (db, 1 + (gint64) i * (n_images / 200), classes[i % N_CLASSES], GL_DB_ORIGIN_HUMAN, "bench",
                          NULL, &error))
      die (error);
  gint64 single = pages_written (db);
  printf ("single labels: 200, %" G_GINT64_FORMAT " pages written, %.2f pages per label\n", single, single / 200.0);
  printf ("bench-store-pages: bulk_pages_per_image=%.2f single_pages_per_label=%.2f\n",
          (double) stats.pages / (double) MAX (stats.done, 1), single / 200.0);
  g_free (ids);
  gl_db_close (db);
  const char *files[] = { "project.gleaner-db", "project.gleaner-db-wal", "project.gleaner-db-shm" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *f = g_build_filename (dir, files[i], NULL);
      g_unlink (f);
    }
  g_rmdir (dir);
  return 0;
}
