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
 * per image. It also writes the round's predictions of a third version in
 * transactions of GL_DB_CHUNK_MAX_ROWS rows, the bound of a transaction
 * whatever the clock says, and prints the most pages one of them wrote: what
 * a label can wait behind during a round, in pages.
 *
 * --designs also measures, each on its own copy of the project after the
 * round (VACUUM INTO), in transactions of --chunk rows, what the ways of
 * labeling every image would write per image:
 *   - labels-only: the history row, cls and label_id (the indexes on cls),
 *     not the slot's copy of the label: the part a bulk labeling must make
 *     exact at once;
 *   - catch-up-by-key: then the current slot's copy, in the order of that
 *     slot's uncertainty index (images_cls_u), as a catch-up after the labels
 *     would write it;
 *   - sorted-rebuild: the slot's label-filtered listing written afresh, in
 *     key order, into a table of its own keyed as the index (WITHOUT ROWID),
 *     as a listing kept outside the images table could be rebuilt: per
 *     listing and for the 8 listings a slot has. The same source builds against an older db/ library (the
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

/* The third version's predictions through the round's writer, in
 * transactions of GL_DB_CHUNK_MAX_ROWS rows. */
typedef struct
{
  const gint64 *classes;
  gint64 model;
  float probs[N_CLASSES];
} Fill;

static void
fill_prediction (guint64 k, GlDbPrediction *out, gpointer data)
{
  Fill *f = data;
  guint top = (guint) ((k * 7 + (guint64) f->model) % N_CLASSES);
  double p = 0.1 + 0.9 * ((k * 37 + (guint64) f->model * 911) % 1000) / 1000.0;
  for (guint c = 0; c < N_CLASSES; c++)
    f->probs[c] = c == top ? (float) p : (float) ((1 - p) / 9);
  *out = (GlDbPrediction){ (gint64) k + 1, f->classes[top], p,
                           (double) ((k * 7919 + (guint64) f->model * 104729) % 100003) / 100003.0, f->probs,
                           N_CLASSES };
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

/* ---- --designs: each way of labeling every image, on a copy ---------- */

static void
sql_die (sqlite3 *h, const char *what)
{
  g_printerr ("bench-store-pages: %s: %s\n", what, sqlite3_errmsg (h));
  exit (1);
}

static void
sql_exec (sqlite3 *h, const char *sql)
{
  if (sqlite3_exec (h, sql, NULL, NULL, NULL) != SQLITE_OK)
    sql_die (h, sql);
}

static sqlite3_stmt *
sql_prepare (sqlite3 *h, const char *sql)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (h, sql, -1, &st, NULL) != SQLITE_OK)
    sql_die (h, sql);
  return st;
}

static void
sql_step_done (sqlite3 *h, sqlite3_stmt *st)
{
  if (sqlite3_step (st) != SQLITE_DONE)
    sql_die (h, sqlite3_sql (st));
  sqlite3_reset (st);
}

static gint64
raw_pages (sqlite3 *h)
{
  int cur = 0, high = 0;
  sqlite3_db_status (h, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, TRUE);
  return cur;
}

/* A fresh copy of @snapshot, opened as the app opens a project (WAL,
 * synchronous=NORMAL as the chunks run). */
static sqlite3 *
open_copy (const char *snapshot, const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *uri = g_strdup_printf ("file:%s", snapshot);
  sqlite3 *src = NULL;
  if (sqlite3_open_v2 (uri, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
    sql_die (src, "cannot open the snapshot");
  g_autofree char *vacuum = g_strdup_printf ("VACUUM INTO '%s'", path);
  sql_exec (src, vacuum);
  sqlite3_close (src);
  sqlite3 *h = NULL;
  if (sqlite3_open (path, &h) != SQLITE_OK)
    sql_die (h, "cannot open a copy");
  sql_exec (h, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  raw_pages (h);
  return h;
}

static void
close_copy (sqlite3 *h, const char *dir, const char *name)
{
  sqlite3_close (h);
  const char *suffix[] = { "", "-wal", "-shm" };
  for (guint i = 0; i < G_N_ELEMENTS (suffix); i++)
    {
      g_autofree char *f = g_strdup_printf ("%s/%s%s", dir, name, suffix[i]);
      g_unlink (f);
    }
}

/* The labels-only part: history row, cls and label_id, in id order, a
 * transaction per @chunk images. Returns the pages written. */
static gint64
labels_only (sqlite3 *h, gint n, gint chunk, gint64 class_id)
{
  sqlite3_stmt *ins = sql_prepare (h, "INSERT INTO labels (image_id, class_id, origin, created_us, annotator, kind)"
                                      " VALUES (?1, ?2, 'human', 0, 'bench', 0)");
  sqlite3_stmt *up = sql_prepare (h, "UPDATE images SET cls = ?2, label_id = ?3 WHERE id = ?1");
  gint64 pages = 0;
  for (gint done = 0; done < n; done += chunk)
    {
      sql_exec (h, "BEGIN IMMEDIATE");
      for (gint i = done; i < MIN (n, done + chunk); i++)
        {
          sqlite3_bind_int64 (ins, 1, i + 1);
          sqlite3_bind_int64 (ins, 2, class_id);
          sql_step_done (h, ins);
          sqlite3_bind_int64 (up, 1, i + 1);
          sqlite3_bind_int64 (up, 2, class_id);
          sqlite3_bind_int64 (up, 3, sqlite3_last_insert_rowid (h));
          sql_step_done (h, up);
        }
      sql_exec (h, "COMMIT");
      pages += raw_pages (h);
    }
  sqlite3_finalize (ins);
  sqlite3_finalize (up);
  return pages;
}

/* After labels_only: the current slot's copy of the label, in the order of
 * its uncertainty index, @chunk images a transaction. */
static gint64
catch_up_by_key (sqlite3 *h, int slot, gint chunk)
{
  g_autofree char *pick = gl_db_slot_sql ("SELECT id FROM images INDEXED BY images_cls_u WHERE scls = -1"
                                          " AND cls > 0 ORDER BY ukey, id LIMIT ?1", slot);
  g_autofree char *set = gl_db_slot_sql ("UPDATE images SET scls = cls WHERE id = ?1", slot);
  sqlite3_stmt *sel = sql_prepare (h, pick);
  sqlite3_stmt *up = sql_prepare (h, set);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 pages = 0;
  for (;;)
    {
      sql_exec (h, "BEGIN IMMEDIATE");
      g_array_set_size (ids, 0);
      sqlite3_bind_int (sel, 1, chunk);
      while (sqlite3_step (sel) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (sel, 0);
          g_array_append_val (ids, id);
        }
      sqlite3_reset (sel);
      for (guint i = 0; i < ids->len; i++)
        {
          sqlite3_bind_int64 (up, 1, g_array_index (ids, gint64, i));
          sql_step_done (h, up);
        }
      sql_exec (h, "COMMIT");
      pages += raw_pages (h);
      if (ids->len == 0)
        break;
    }
  g_array_unref (ids);
  sqlite3_finalize (sel);
  sqlite3_finalize (up);
  return pages;
}

typedef struct
{
  gint64 cls;
  double key;
  gint64 id;
} ListRow;

static int
cmp_list_row (gconstpointer a, gconstpointer b)
{
  const ListRow *x = a, *y = b;
  if (x->cls != y->cls)
    return x->cls < y->cls ? -1 : 1;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* After labels_only: the slot's (label, uncertainty, id) listing written
 * afresh in key order into a WITHOUT ROWID table, @chunk rows a
 * transaction. */
static gint64
sorted_rebuild (sqlite3 *h, int slot, gint n, gint chunk)
{
  sql_exec (h, "CREATE TABLE listing_u (scls INTEGER NOT NULL, ukey REAL, id INTEGER NOT NULL,"
               " PRIMARY KEY (scls, ukey, id)) WITHOUT ROWID");
  raw_pages (h);
  g_autofree char *read = gl_db_slot_sql ("SELECT cls, ukey, id FROM images", slot);
  sqlite3_stmt *sel = sql_prepare (h, read);
  ListRow *rows = g_new (ListRow, n);
  gint m = 0;
  while (m < n && sqlite3_step (sel) == SQLITE_ROW)
    {
      rows[m] = (ListRow){ sqlite3_column_int64 (sel, 0), sqlite3_column_double (sel, 1), sqlite3_column_int64 (sel, 2) };
      m++;
    }
  sqlite3_finalize (sel);
  qsort (rows, (gsize) m, sizeof (ListRow), cmp_list_row);
  sqlite3_stmt *ins = sql_prepare (h, "INSERT INTO listing_u (scls, ukey, id) VALUES (?1, ?2, ?3)");
  gint64 pages = 0;
  for (gint done = 0; done < m; done += chunk)
    {
      sql_exec (h, "BEGIN IMMEDIATE");
      for (gint i = done; i < MIN (m, done + chunk); i++)
        {
          sqlite3_bind_int64 (ins, 1, rows[i].cls);
          sqlite3_bind_double (ins, 2, rows[i].key);
          sqlite3_bind_int64 (ins, 3, rows[i].id);
          sql_step_done (h, ins);
        }
      sql_exec (h, "COMMIT");
      pages += raw_pages (h);
    }
  sqlite3_finalize (ins);
  g_free (rows);
  return pages;
}

static void
measure_designs (const char *snapshot, const char *dir, int slot, gint n, gint chunk, gint64 class_id)
{
  sqlite3 *h = open_copy (snapshot, dir, "design-a.db");
  gint64 only = labels_only (h, n, chunk, class_id);
  gint64 catch_up = catch_up_by_key (h, slot, chunk);
  close_copy (h, dir, "design-a.db");
  h = open_copy (snapshot, dir, "design-b.db");
  labels_only (h, n, chunk, class_id);
  raw_pages (h);
  gint64 rebuild = sorted_rebuild (h, slot, n, chunk);
  close_copy (h, dir, "design-b.db");
  printf ("designs (every image, chunks of %d): labels-only %.2f pages per image; then catch-up-by-key %.2f"
          " (total %.2f); or sorted-rebuild %.3f per listing, %.2f for the slot's 8 (total %.2f)\n",
          chunk, (double) only / n, (double) catch_up / n, (double) (only + catch_up) / n, (double) rebuild / n,
          8.0 * (double) rebuild / n, (double) (only + 8 * rebuild) / n);
  printf ("bench-store-pages: designs labels_only=%.2f catch_up_by_key=%.2f sorted_rebuild_per_listing=%.3f\n",
          (double) only / n, (double) catch_up / n, (double) rebuild / n);
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  gint n_images = 20000, chunk = 1000;
  gboolean scattered = FALSE, designs = FALSE;
  GOptionEntry entries[] = {
    { "designs", 0, 0, G_OPTION_ARG_NONE, &designs, "also measure the bulk labeling's designs, each on a copy", NULL },
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
  g_autofree char *snapshot = g_build_filename (dir, "snapshot.db", NULL);
  if (designs)
    {
      g_autofree char *vacuum = g_strdup_printf ("VACUUM INTO '%s'", snapshot);
      if (!gl_db_exec (db, vacuum, &error))
        die (error);
    }
  int slot = gl_db_listing_slot (db);

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

  /* The round's writer, each transaction at the row bound. */
  gint64 v3 = new_version (db);
  if (!gl_db_prepare_listing (db, v3, &error))
    die (error);
  gl_db_test_set_chunk_rows (GL_DB_CHUNK_MAX_ROWS);
  Fill filler = { classes, v3, { 0 } };
  GlDbBulkStats pstats;
  if (!gl_db_write_predictions (db, v3, (guint64) n_images, fill_prediction, &filler, NULL, &pstats, &error))
    die (error);
  printf ("predictions: %" G_GUINT64_FORMAT " in %u transactions of at most %u rows (the row bound), %.2f pages per"
          " prediction, most pages one transaction wrote: %" G_GUINT64_FORMAT "\n",
          pstats.done, pstats.chunks, pstats.max_rows, (double) pstats.pages / (double) MAX (pstats.done, 1),
          pstats.max_pages);
  printf ("bench-store-pages: bulk_pages_per_image=%.2f single_pages_per_label=%.2f"
          " prediction_txn_max_pages=%" G_GUINT64_FORMAT "\n",
          (double) stats.pages / (double) MAX (stats.done, 1), single / 200.0, pstats.max_pages);
  g_free (ids);
  gl_db_close (db);
  if (designs)
    {
      measure_designs (snapshot, dir, slot, n_images, chunk, classes[3]);
      g_unlink (snapshot);
    }
  const char *files[] = { "project.gleaner-db", "project.gleaner-db-wal", "project.gleaner-db-shm" };
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *f = g_build_filename (dir, files[i], NULL);
      g_unlink (f);
    }
  g_rmdir (dir);
  return 0;
}
