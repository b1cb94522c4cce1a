/* test-gallery-model.c — the gallery's paged list model and the thumbnail loader. */
#include <glib/gstdio.h>
#include <string.h>

#include "app/gl-gallery-model.h"
#include "app/gl-project.h"
#include "app/gl-thumbnail-loader.h"
#include "app/gl-thumbs.h"
#include "db/gl-db.h"
#include "db/gl-db-label-errors.h"

/* More pages than the LRU keeps, and a short last page. */
#define N_IMAGES (GL_GALLERY_PAGE_SIZE * (GL_GALLERY_MAX_PAGES + 8) + 77)
#define N_UNREADABLE 40
#define N_CLASSES 3

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db;
  gint64 classes[N_CLASSES];
  gint64 *ids;       /* (N_IMAGES) in insertion order; the first N_UNREADABLE are unreadable */
  gint64 *label;     /* (N_IMAGES) current class or -1 (what the test wrote) */
  gint64 *predicted; /* (N_IMAGES) */
  double *prob;      /* (N_IMAGES) */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("gleaner-gallery-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *pdir = g_build_filename (f->dir, "p", NULL);
  const char *names[] = { "cat", "dog", "bird/eagle", NULL };
  f->project = gl_project_create (pdir, 28, 28, 1, names, &error);
  g_assert_no_error (error);
  f->db = gl_db_open (gl_project_get_db_path (f->project), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_CLASSES; i++)
    {
      gl_db_find_class (f->db, names[i], &f->classes[i], &error);
      g_assert_no_error (error);
    }

  /* Model inputs for the readable images: a gradient whose level encodes the row. */
  g_autoptr (GlPixelCache) cache = gl_pixel_cache_open (gl_project_get_pixels_path (f->project), 28, 28, 1, &error);
  g_assert_no_error (error);
  guint n_rows = N_IMAGES - N_UNREADABLE;
  g_autofree guint8 *rows = g_malloc (n_rows * 784u); /* (n_rows, 28, 28, 1) */
  for (guint r = 0; r < n_rows; r++)
    memset (rows + r * 784u, (int) (r % 251), 784);
  guint64 first = 0;
  g_assert_true (gl_pixel_cache_append (cache, rows, n_rows, &first, &error));
  g_assert_true (gl_pixel_cache_sync (cache, &error));
  g_assert_no_error (error);

  gint64 batch = -1;
  g_assert_true (gl_db_begin_batch (f->db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage *images = g_new0 (GlDbNewImage, N_IMAGES);
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < N_IMAGES; i++)
    {
      /* Names in an order unrelated to ids. */
      char *path = g_strdup_printf ("/nowhere/img-%05u.idx#%u", (i * 7919u) % N_IMAGES, i);
      g_ptr_array_add (strings, path);
      images[i].path = path;
      if (i < N_UNREADABLE)
        {
          images[i].cache_row = -1;
          images[i].reason = "truncated";
        }
      else
        {
          char *hash = g_strdup_printf ("%064x", i + 1);
          g_ptr_array_add (strings, hash);
          images[i].hash_hex = hash;
          images[i].cache_row = (gint64) (first + i - N_UNREADABLE);
          images[i].size_bytes = 1000 + i;
        }
    }
  f->ids = g_new (gint64, N_IMAGES);
  g_assert_true (gl_db_add_images (f->db, batch, images, N_IMAGES, f->ids, NULL, &error));
  g_assert_no_error (error);
  g_free (images);
  g_ptr_array_unref (strings);

  /* Labels on every 5th readable image; predictions on all readable ones. */
  f->label = g_new (gint64, N_IMAGES);
  f->predicted = g_new (gint64, N_IMAGES);
  f->prob = g_new (double, N_IMAGES);
  GlDbModelVersion version = { 0 };
  version.path = "model-1";
  version.val_accuracy = version.macro_f1 = version.ece = 0.5;
  gint64 model_id = -1;
  g_assert_true (gl_db_add_model_version (f->db, &version, &model_id, &error));
  GlDbPrediction *preds = g_new0 (GlDbPrediction, N_IMAGES);
  guint n_preds = 0;
  for (guint i = 0; i < N_IMAGES; i++)
    {
      f->label[i] = -1;
      f->predicted[i] = -1;
      f->prob[i] = -1;
      if (i < N_UNREADABLE)
        continue;
      f->predicted[i] = f->classes[i % N_CLASSES];
      f->prob[i] = 0.34 + 0.6 * ((i * 37u) % 1000) / 1000.0;
      preds[n_preds++] = (GlDbPrediction){ f->ids[i], f->predicted[i], f->prob[i], 1.0 - f->prob[i], NULL, 0 };
      if (i % 5 == 0)
        f->label[i] = f->classes[(i / 5) % N_CLASSES];
    }
  /* One transaction per class (each commit is an fsync). */
  g_autofree gint64 *batch_ids = g_new (gint64, N_IMAGES);
  for (guint k = 0; k < N_CLASSES; k++)
    {
      guint m = 0;
      for (guint i = 0; i < N_IMAGES; i++)
        if (f->label[i] == f->classes[k])
          batch_ids[m++] = f->ids[i];
      g_assert_true (gl_db_set_labels (f->db, batch_ids, m, f->classes[k], GL_DB_ORIGIN_HUMAN, "tester", &error));
    }
  g_assert_true (gl_db_add_predictions (f->db, model_id, preds, n_preds, &error));
  g_assert_true (gl_db_set_current_model (f->db, model_id, &error));
  g_assert_no_error (error);
  g_free (preds);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gl_db_close (f->db);
  gl_project_close (f->project);
  gl_remove_tree (f->dir);
  g_assert_false (g_file_test (f->dir, G_FILE_TEST_EXISTS));
  g_free (f->dir);
  g_free (f->ids);
  g_free (f->label);
  g_free (f->predicted);
  g_free (f->prob);
}

/* The item at @pos, waiting for the walk when it is a placeholder. */
static GlGalleryItem *
get_item_waiting (GlGalleryModel *model, guint pos)
{
  for (;;)
    {
      GlGalleryItem *item = g_list_model_get_item (G_LIST_MODEL (model), pos);
      if (gl_gallery_item_get_id (item) >= 0)
        return item;
      g_object_unref (item);
      g_main_context_iteration (NULL, TRUE);
    }
}

static int
index_of (Fixture *f, gint64 id)
{
  /* Ids are given in insertion order by the store. */
  for (int i = 0; i < N_IMAGES; i++)
    if (f->ids[i] == id)
      return i;
  return -1;
}

static gboolean
expected_in (Fixture *f, int i, GlGalleryFilter filter, gint64 class_id)
{
  switch (filter)
    {
    case GL_GALLERY_FILTER_ALL:
      return TRUE;
    case GL_GALLERY_FILTER_UNLABELED:
      return i >= N_UNREADABLE && f->label[i] < 0;
    case GL_GALLERY_FILTER_LABELED:
      return f->label[i] >= 0;
    case GL_GALLERY_FILTER_CLASS:
      return f->label[i] == class_id;
    case GL_GALLERY_FILTER_PREDICTED:
      return f->predicted[i] == class_id;
    case GL_GALLERY_FILTER_DISAGREEMENT:
      return f->label[i] >= 0 && f->predicted[i] >= 0 && f->label[i] != f->predicted[i];
    case GL_GALLERY_FILTER_UNREADABLE:
      return i < N_UNREADABLE;
    default:
      g_assert_not_reached ();
    }
}

/* Every position once, each image of the filter exactly once, in sort order. */
static void
check_listing (Fixture *f, GlGalleryModel *model, GlGalleryFilter filter, gint64 class_id, GlGallerySort sort)
{
  guint expected = 0;
  for (int i = 0; i < N_IMAGES; i++)
    expected += expected_in (f, i, filter, class_id);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, expected);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), n));

  g_autofree gboolean *seen = g_new0 (gboolean, N_IMAGES);
  g_autoptr (GlGalleryItem) prev = NULL;
  for (guint p = 0; p < n; p++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), p);
      g_assert_nonnull (item);
      int i = index_of (f, gl_gallery_item_get_id (item));
      g_assert_cmpint (i, >=, 0);
      g_assert_false (seen[i]);
      seen[i] = TRUE;
      g_assert_true (expected_in (f, i, filter, class_id));
      g_assert_cmpint (gl_gallery_item_get_label (item), ==, f->label[i]);
      g_assert_cmpint (gl_gallery_item_get_predicted (item), ==, f->predicted[i]);
      g_assert_cmpint (gl_gallery_item_get_unreadable (item), ==, i < N_UNREADABLE);
      if (prev != NULL)
        switch (sort)
          {
          case GL_GALLERY_SORT_NEWEST:
            g_assert_cmpint (gl_gallery_item_get_id (prev), >, gl_gallery_item_get_id (item));
            break;
          case GL_GALLERY_SORT_NAME:
            g_assert_cmpint (strcmp (gl_gallery_item_get_path (prev), gl_gallery_item_get_path (item)), <, 0);
            break;
          case GL_GALLERY_SORT_CONFIDENCE:
            /* Highest first; images without a prediction last. */
            if (gl_gallery_item_get_confidence (item) >= 0)
              g_assert_cmpfloat (gl_gallery_item_get_confidence (prev), >=, gl_gallery_item_get_confidence (item));
            break;
          case GL_GALLERY_SORT_UNCERTAINTY:
            /* score = 1 - prob: least confident first. */
            if (gl_gallery_item_get_confidence (prev) >= 0 && gl_gallery_item_get_confidence (item) >= 0)
              g_assert_cmpfloat (gl_gallery_item_get_confidence (prev), <=, gl_gallery_item_get_confidence (item));
            else
              g_assert_cmpfloat (gl_gallery_item_get_confidence (item), <, 0);
            break;
          case GL_GALLERY_SORT_DISAGREEMENT:
          default:
            g_assert_not_reached (); /* test_disagreement_sort */
          }
      g_set_object (&prev, item);
    }

  GlGalleryModelStats stats;
  gl_gallery_model_get_stats (model, &stats);
  g_assert_cmpuint (stats.cached_pages, <=, GL_GALLERY_MAX_PAGES);
  g_assert_cmpuint (stats.errors, ==, 0);
}

static void
test_paging_filters_sorts (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == GL_TYPE_GALLERY_ITEM);

  for (GlGallerySort sort = GL_GALLERY_SORT_UNCERTAINTY; sort <= GL_GALLERY_SORT_CONFIDENCE; sort++)
    for (GlGalleryFilter filter = GL_GALLERY_FILTER_ALL; filter <= GL_GALLERY_FILTER_UNREADABLE; filter++)
      {
        gint64 class_id = f->classes[(sort + filter) % N_CLASSES];
        g_assert_true (gl_gallery_model_set_sort (model, sort, &error));
        g_assert_true (gl_gallery_model_set_filter (model, filter, class_id, &error));
        g_assert_no_error (error);
        g_test_message ("filter %d sort %d: %u items", filter, sort, g_list_model_get_n_items (G_LIST_MODEL (model)));
        check_listing (f, model, filter, class_id, sort);
        guint64 count = 0;
        g_assert_true (gl_gallery_model_count (model, filter, class_id, &count, &error));
        g_assert_cmpuint (count, ==, g_list_model_get_n_items (G_LIST_MODEL (model)));
      }
}

/* Label i and prediction j (a confusion cell): every image of the cell once,
 * no other; a label given to a listed image takes it out of the listing. */
static void
test_confusion_filter (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  for (guint a = 0; a < N_CLASSES; a++)
    for (guint b = 0; b < N_CLASSES; b++)
      {
        gint64 ca = f->classes[a], cb = f->classes[b];
        g_assert_true (gl_gallery_model_set_confusion_filter (model, ca, cb, &error));
        g_assert_no_error (error);
        gint64 class_id = -1;
        g_assert_cmpint (gl_gallery_model_get_filter (model, &class_id), ==, GL_GALLERY_FILTER_CONFUSION);
        g_assert_cmpint (class_id, ==, ca);
        g_assert_cmpint (gl_gallery_model_get_filter_predicted (model), ==, cb);
        guint expected = 0;
        for (int i = 0; i < N_IMAGES; i++)
          expected += f->label[i] == ca && f->predicted[i] == cb;
        guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
        g_assert_cmpuint (n, ==, expected);
        g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
        for (guint p = 0; p < n; p++)
          {
            g_autoptr (GlGalleryItem) item = gl_gallery_model_get_item_now (model, p, &error);
            g_assert_no_error (error);
            g_assert_cmpint (gl_gallery_item_get_label (item), ==, ca);
            g_assert_cmpint (gl_gallery_item_get_predicted (item), ==, cb);
            g_assert_false (g_hash_table_contains (seen, GSIZE_TO_POINTER (gl_gallery_item_get_id (item))));
            g_hash_table_add (seen, GSIZE_TO_POINTER (gl_gallery_item_get_id (item)));
          }
        guint64 count = 0;
        g_assert_true (gl_gallery_model_count (model, GL_GALLERY_FILTER_CONFUSION, ca, &count, &error));
        g_assert_cmpuint (count, ==, expected);
        if (n > 0 && a == 0)
          {
            /* Relabel the first listed image: it leaves the cell. */
            g_autoptr (GlGalleryItem) first = gl_gallery_model_get_item_now (model, 0, &error);
            gint64 id = gl_gallery_item_get_id (first);
            gint64 other = f->classes[(a + 1) % N_CLASSES];
            g_assert_true (gl_gallery_model_set_labels (model, &id, 1, other, &error));
            g_assert_no_error (error);
            g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n - 1);
            f->label[index_of (f, id)] = other;
          }
      }
}

/* ---- Suspected label errors ---- */

/* The label-error score the test stores for image index @i. */
static double
error_score (int i)
{
  return ((i * 53) % 1000) / 1000.0;
}

/* A detection for the current version: a row per labeled image, flagged
 * when its score is above 0.8 (more than a page). Then one flagged image is
 * kept in review and another relabeled by hand: neither is suspected any
 * more. Returns the model id; *@kept, *@relabeled: their indices. */
static gint64
store_detection (Fixture *f, int *kept, int *relabeled)
{
  g_autoptr (GError) error = NULL;
  gint64 model_id = gl_db_get_current_model (f->db);
  g_autoptr (GArray) rows = g_array_new (FALSE, TRUE, sizeof (GlDbLabelError));
  guint64 n_flagged = 0;
  *kept = *relabeled = -1;
  for (int i = 0; i < N_IMAGES; i++)
    if (f->label[i] >= 0)
      {
        gint64 other = f->label[i] == f->classes[0] ? f->classes[1] : f->classes[0];
        GlDbLabelError e = { f->ids[i], f->label[i], other, 1 - error_score (i), 0.5, error_score (i),
                             error_score (i) > 0.8 };
        g_array_append_val (rows, e);
        n_flagged += e.flagged;
        if (e.flagged && *kept < 0)
          *kept = i;
        else if (e.flagged && *relabeled < 0)
          *relabeled = i;
      }
  g_assert_cmpuint (n_flagged, >, GL_GALLERY_PAGE_SIZE);
  GlDbLabelErrorRun run = { model_id, 5, rows->len, n_flagged, (char *) "self-confidence", 1, gl_db_get_last_label_id (f->db), 0 };
  g_assert_true (gl_db_store_label_errors (f->db, &run, (GlDbLabelError *) rows->data, rows->len, &error));
  g_assert_no_error (error);
  g_assert_true (gl_db_set_label (f->db, f->ids[*kept], f->label[*kept], GL_DB_ORIGIN_REVIEW, "tester", NULL, &error));
  gint64 other = f->label[*relabeled] == f->classes[0] ? f->classes[2] : f->classes[0];
  g_assert_true (gl_db_set_label (f->db, f->ids[*relabeled], other, GL_DB_ORIGIN_HUMAN, "tester", NULL, &error));
  g_assert_no_error (error);
  f->label[*relabeled] = other;
  return model_id;
}

static gboolean
expected_suspected (Fixture *f, int i, int kept, int relabeled)
{
  return f->label[i] >= 0 && error_score (i) > 0.8 && i != kept && i != relabeled;
}

static void
test_suspected_filter (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int kept, relabeled;
  store_detection (f, &kept, &relabeled);
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  g_assert_true (gl_gallery_model_has_label_errors (model));

  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_SUSPECTED, -1, &error));
  g_assert_no_error (error);
  guint expected = 0;
  for (int i = 0; i < N_IMAGES; i++)
    expected += expected_suspected (f, i, kept, relabeled);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, expected);
  guint64 count = 0;
  g_assert_true (gl_gallery_model_count (model, GL_GALLERY_FILTER_SUSPECTED, -1, &count, &error));
  g_assert_cmpuint (count, ==, expected);

  /* Sorted by the score: every suspected image once, the most doubted first. */
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_DISAGREEMENT, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, expected);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  double last = 2;
  for (guint p = 0; p < n; p++)
    {
      g_autoptr (GlGalleryItem) item = gl_gallery_model_get_item_now (model, p, &error);
      g_assert_no_error (error);
      int i = index_of (f, gl_gallery_item_get_id (item));
      g_assert_true (expected_suspected (f, i, kept, relabeled));
      g_assert_cmpfloat (error_score (i), <=, last);
      last = error_score (i);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (i)));
      g_hash_table_add (seen, GINT_TO_POINTER (i));
    }

  /* Labeled again in the Gallery: the same class stays suspected, another one leaves. */
  g_autoptr (GlGalleryItem) first = gl_gallery_model_get_item_now (model, 0, &error);
  gint64 id = gl_gallery_item_get_id (first), label = gl_gallery_item_get_label (first);
  g_assert_true (gl_gallery_model_set_labels (model, &id, 1, label, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
  gint64 other = label == f->classes[0] ? f->classes[1] : f->classes[0];
  g_assert_true (gl_gallery_model_set_labels (model, &id, 1, other, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n - 1);
  g_assert_true (gl_gallery_model_reload (model, &error));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n - 1);
}

/* The whole listing sorted by the score: the labels the check looked at by
 * score (ties by id), then every other image by id. */
static void
test_disagreement_sort (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int kept, relabeled;
  {
    /* Before a check: nothing suspected, and the order is by id. */
    g_autoptr (GlGalleryModel) before = gl_gallery_model_new (f->project, &error);
    g_assert_false (gl_gallery_model_has_label_errors (before));
    g_assert_true (gl_gallery_model_set_filter (before, GL_GALLERY_FILTER_SUSPECTED, -1, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (before)), ==, 0);
    g_assert_true (gl_gallery_model_set_filter (before, GL_GALLERY_FILTER_ALL, -1, &error));
    g_assert_true (gl_gallery_model_set_sort (before, GL_GALLERY_SORT_DISAGREEMENT, &error));
    g_autoptr (GlGalleryItem) first = gl_gallery_model_get_item_now (before, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gl_gallery_item_get_id (first), ==, f->ids[0]);
  }
  store_detection (f, &kept, &relabeled);
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_DISAGREEMENT, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_gallery_model_get_sort (model), ==, GL_GALLERY_SORT_DISAGREEMENT);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, N_IMAGES);
  guint n_rows = 0;
  for (int i = 0; i < N_IMAGES; i++)
    n_rows += f->label[i] >= 0; /* the relabeled image keeps its row */
  double last_score = 2;
  gint64 last_id = -1;
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  for (guint p = 0; p < n; p++)
    {
      g_autoptr (GlGalleryItem) item = gl_gallery_model_get_item_now (model, p, &error);
      g_assert_no_error (error);
      gint64 id = gl_gallery_item_get_id (item);
      int i = index_of (f, id);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (i)));
      g_hash_table_add (seen, GINT_TO_POINTER (i));
      if (p < n_rows)
        {
          g_assert_true (f->label[i] >= 0);
          g_assert_true (error_score (i) < last_score || (error_score (i) == last_score && id > last_id));
          last_score = error_score (i);
        }
      else
        {
          g_assert_true (f->label[i] < 0);
          if (p > n_rows)
            g_assert_cmpint (id, >, last_id);
        }
      last_id = id;
    }
}

static void
on_changed_position (guint *at, guint position, guint removed, guint added)
{
  *at = position;
}

/* With the view's choice, the first page of a listing is read on the worker:
 * placeholders, then items-changed over them; nothing read on this thread. A
 * reload keeps reading here (the cells do not blink). */
static void
test_first_page_in_background (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) truth_model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  g_autoptr (GlGalleryItem) truth0 = g_list_model_get_item (G_LIST_MODEL (truth_model), 0);
  g_assert_cmpint (gl_gallery_item_get_id (truth0), >=, 0);

  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  gl_gallery_model_read_first_page_in_background (model);
  guint changed_at = G_MAXUINT;
  gulong handler = g_signal_connect_swapped (model, "items-changed", G_CALLBACK (on_changed_position), &changed_at);
  for (int round = 0; round < 2; round++)
    {
      if (round == 1)
        {
          /* A new sort: its first page on the worker again. */
          changed_at = G_MAXUINT;
          g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_NAME, &error));
          g_assert_cmpuint (changed_at, ==, 0); /* the reset itself */
          changed_at = G_MAXUINT;
        }
      g_autoptr (GlGalleryItem) placeholder = g_list_model_get_item (G_LIST_MODEL (model), 1);
      g_assert_cmpint (gl_gallery_item_get_id (placeholder), ==, -1);
      while (changed_at == G_MAXUINT)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (changed_at, ==, 0);
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), 1);
      g_assert_cmpint (gl_gallery_item_get_id (item), >=, 0);
    }
  g_signal_handler_disconnect (model, handler);
  GlGalleryModelStats stats;
  gl_gallery_model_get_stats (model, &stats);
  g_assert_cmpuint (stats.page_reads, ==, 0);
  g_assert_cmpuint (stats.placeholders, ==, 2);
  g_assert_cmpuint (stats.pages_read_ahead, >=, 2);

  /* A reload (new labels, a new model) reads its first page here. */
  g_assert_true (gl_gallery_model_reload (model, &error));
  g_autoptr (GlGalleryItem) reloaded = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_cmpint (gl_gallery_item_get_id (reloaded), >=, 0);
  gl_gallery_model_get_stats (model, &stats);
  g_assert_cmpuint (stats.page_reads, ==, 1);
  g_assert_cmpuint (stats.placeholders, ==, 2);

  /* Read now (a selection being labeled) never waits for the worker. */
  g_autoptr (GlGalleryModel) direct = gl_gallery_model_new (f->project, &error);
  gl_gallery_model_read_first_page_in_background (direct);
  g_autoptr (GlGalleryItem) now = gl_gallery_model_get_item_now (direct, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_gallery_item_get_id (now), ==, gl_gallery_item_get_id (truth0));
  /* The worker's read still ends in items-changed (placeholders could have been handed out). */
  changed_at = G_MAXUINT;
  handler = g_signal_connect_swapped (direct, "items-changed", G_CALLBACK (on_changed_position), &changed_at);
  while (changed_at == G_MAXUINT)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (direct, handler);
}

static void
test_random_access (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_NAME, &error));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, N_IMAGES);

  /* The truth, read in order by a second model. */
  g_autoptr (GlGalleryModel) truth_model = gl_gallery_model_new (f->project, &error);
  g_assert_true (gl_gallery_model_set_sort (truth_model, GL_GALLERY_SORT_NAME, &error));
  g_autofree gint64 *truth = g_new (gint64, n);
  for (guint p = 0; p < n; p++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (truth_model), p);
      truth[p] = gl_gallery_item_get_id (item);
    }

  /* A jump to the end: a placeholder at once, and items-changed over it once
   * the walk on the worker thread found its page. */
  guint changed_at = G_MAXUINT;
  gulong handler = g_signal_connect_swapped (model, "items-changed", G_CALLBACK (on_changed_position), &changed_at);
  g_autoptr (GlGalleryItem) placeholder = g_list_model_get_item (G_LIST_MODEL (model), n - 1);
  g_assert_cmpint (gl_gallery_item_get_id (placeholder), ==, -1);
  while (changed_at == G_MAXUINT)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (model, handler);
  g_assert_cmpuint (changed_at, ==, (n - 1) / GL_GALLERY_PAGE_SIZE * GL_GALLERY_PAGE_SIZE);

  /* Read now, a far item is never a placeholder (a selection being labeled). */
  g_autoptr (GlGalleryModel) direct = gl_gallery_model_new (f->project, &error);
  g_assert_true (gl_gallery_model_set_sort (direct, GL_GALLERY_SORT_NAME, &error));
  g_autoptr (GlGalleryItem) far_now = gl_gallery_model_get_item_now (direct, n - 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_gallery_item_get_id (far_now), ==, truth[n - 2]);
  g_assert_null (gl_gallery_model_get_item_now (direct, n, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Then anywhere, then backwards: no placeholder any more. */
  GRand *rand = g_rand_new_with_seed (7);
  guint probes[600];
  probes[0] = n - 1;
  for (guint i = 1; i < G_N_ELEMENTS (probes); i++)
    probes[i] = i < 400 ? (guint) g_rand_int_range (rand, 0, (gint32) n) : n - 1 - (i - 400) * 37;
  g_rand_free (rand);
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), probes[i]);
      g_assert_cmpint (gl_gallery_item_get_id (item), ==, truth[probes[i]]);
    }
  GlGalleryModelStats stats;
  gl_gallery_model_get_stats (model, &stats);
  g_assert_cmpuint (stats.placeholders, ==, 1);

  /* A second model jumping to several far places at once gets them all. */
  g_autoptr (GlGalleryModel) jumper = gl_gallery_model_new (f->project, &error);
  g_assert_true (gl_gallery_model_set_sort (jumper, GL_GALLERY_SORT_NAME, &error));
  guint far[3] = { n / 2, n - 1, n / 3 };
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GlGalleryItem) item = get_item_waiting (jumper, far[i]);
      g_assert_cmpint (gl_gallery_item_get_id (item), ==, truth[far[i]]);
    }
  gl_gallery_model_get_stats (model, &stats);
  g_test_message ("page reads %" G_GUINT64_FORMAT ", walks %" G_GUINT64_FORMAT ", cached %u, cursors %u",
                  stats.page_reads, stats.cursor_walks, stats.cached_pages, stats.known_cursors);
  g_assert_cmpuint (stats.cached_pages, <=, GL_GALLERY_MAX_PAGES);
  /* The first jump walked every page once; later reads never walk again. */
  guint n_pages = (n + GL_GALLERY_PAGE_SIZE - 1) / GL_GALLERY_PAGE_SIZE;
  g_assert_cmpuint (stats.cursor_walks, ==, n_pages - 1);
  g_assert_cmpuint (stats.known_cursors, ==, n_pages - 1);
  /* More pages were visited than fit: the LRU evicted and read again. */
  g_assert_cmpuint (stats.page_reads, >, GL_GALLERY_MAX_PAGES);
}

typedef struct
{
  guint changes;
  guint position, removed, added;
} Changes;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, Changes *c)
{
  c->changes++;
  c->position = position;
  c->removed = removed;
  c->added = added;
  /* The model is already in its new state. */
  g_assert_cmpuint (g_list_model_get_n_items (model), >=, position + added);
}

static void
on_label_notify (GObject *item, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_label_changes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_NEWEST, &error));
  Changes c = { 0 };
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &c);

  /* All images: items keep their place and notify. */
  g_autoptr (GlGalleryItem) a = g_list_model_get_item (G_LIST_MODEL (model), 3);
  g_autoptr (GlGalleryItem) b = g_list_model_get_item (G_LIST_MODEL (model), 4);
  guint notified = 0;
  g_signal_connect (a, "notify::label", G_CALLBACK (on_label_notify), &notified);
  g_signal_connect (b, "notify::label", G_CALLBACK (on_label_notify), &notified);
  gint64 ids[2] = { gl_gallery_item_get_id (a), gl_gallery_item_get_id (b) };
  g_assert_true (gl_gallery_model_set_labels (model, ids, 2, f->classes[1], &error));
  g_assert_no_error (error);
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (c.changes, ==, 0);
  g_assert_cmpint (gl_gallery_item_get_label (a), ==, f->classes[1]);
  for (guint i = 0; i < 2; i++)
    {
      f->label[index_of (f, ids[i])] = f->classes[1];
      GlDbLabel cur = { 0 };
      g_assert_true (gl_db_get_current_label (f->db, ids[i], FALSE, &cur, &error));
      g_assert_cmpint (cur.class_id, ==, f->classes[1]);
      g_assert_cmpint (cur.origin, ==, GL_DB_ORIGIN_HUMAN);
      gl_db_label_clear (&cur);
    }
  g_signal_handlers_disconnect_by_data (a, &notified);
  g_signal_handlers_disconnect_by_data (b, &notified);
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_NEWEST);

  /* Unlabeled: three images on screen leave with one granular change. */
  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_UNLABELED, -1, &error));
  guint before = g_list_model_get_n_items (G_LIST_MODEL (model));
  c.changes = 0;
  gint64 three[3];
  guint positions[3] = { 10, 11, 300 };
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), positions[i]);
      three[i] = gl_gallery_item_get_id (item);
    }
  g_assert_true (gl_gallery_model_set_labels (model, three, 3, f->classes[2], &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    f->label[index_of (f, three[i])] = f->classes[2];
  g_assert_cmpuint (c.changes, ==, 1);
  g_assert_cmpuint (c.position, ==, 10);
  g_assert_cmpuint (c.removed, ==, 291);
  g_assert_cmpuint (c.added, ==, 288);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, before - 3);
  check_listing (f, model, GL_GALLERY_FILTER_UNLABELED, -1, GL_GALLERY_SORT_NEWEST);

  /* Far rows not in any cached page: the model counts and reads again. */
  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_ALL, -1, &error));
  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_UNLABELED, -1, &error));
  g_clear_object (&a);
  a = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_autoptr (GlGalleryModel) other = gl_gallery_model_new (f->project, &error);
  g_assert_true (gl_gallery_model_set_filter (other, GL_GALLERY_FILTER_UNLABELED, -1, &error));
  g_assert_true (gl_gallery_model_set_sort (other, GL_GALLERY_SORT_NEWEST, &error));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (other));
  g_autoptr (GlGalleryItem) last = get_item_waiting (other, n - 1);
  gint64 last_id = gl_gallery_item_get_id (last);
  g_assert_cmpint (gl_gallery_model_find_cached (model, last_id), ==, -1);
  c.changes = 0;
  g_assert_true (gl_gallery_model_set_labels (model, &last_id, 1, f->classes[0], &error));
  f->label[index_of (f, last_id)] = f->classes[0];
  g_assert_cmpuint (c.changes, ==, 1);
  g_assert_cmpuint (c.position, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, before - 4);
  check_listing (f, model, GL_GALLERY_FILTER_UNLABELED, -1, GL_GALLERY_SORT_NEWEST);

  /* Unlabel through the model; the history keeps every step, newest first. */
  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_ALL, -1, &error));
  g_assert_true (gl_gallery_model_set_labels (model, &three[0], 1, -1, &error));
  f->label[index_of (f, three[0])] = -1;
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_NEWEST);
  g_auto (GlGalleryDetails) details = { 0 };
  g_assert_true (gl_gallery_model_get_details (model, three[0], &details, &error));
  g_assert_no_error (error);
  g_assert_cmpint (details.id, ==, three[0]);
  g_assert_nonnull (strstr (details.path, "/nowhere/img-"));
  g_assert_cmpuint (details.history->len, >=, 2);
  GlGalleryHistoryEntry *h0 = &g_array_index (details.history, GlGalleryHistoryEntry, 0);
  GlGalleryHistoryEntry *h1 = &g_array_index (details.history, GlGalleryHistoryEntry, 1);
  g_assert_cmpint (h0->class_id, ==, -1);
  g_assert_null (h0->class_name);
  g_assert_cmpint (h1->class_id, ==, f->classes[2]);
  g_assert_cmpstr (h1->class_name, ==, "bird/eagle");
  g_assert_cmpstr (h1->origin, ==, "human");
  g_assert_cmpint (h0->time_us, >=, h1->time_us);

  /* An unknown image is an error naming it, and the model is unchanged. */
  g_auto (GlGalleryDetails) none = { 0 };
  g_assert_false (gl_gallery_model_get_details (model, 987654321, &none, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
}

/* ---- Labeling a selection on a worker ---- */

typedef struct
{
  gboolean done, ok;
  guint64 n, unreadable;
  GError *error;
  GArray *progress;               /* GlGalleryLabelProgress, as reported */
  GCancellable *cancel_on_report; /* cancelled at the first report while ids are found */
  GCancellable *cancel_on_write;  /* cancelled once a chunk is written */
} LabelRun;

static void
label_run_clear (LabelRun *run)
{
  g_clear_error (&run->error);
  g_clear_pointer (&run->progress, g_array_unref);
}

static void
on_label_progress (const GlGalleryLabelProgress *p, gpointer data)
{
  LabelRun *run = data;
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_assert_false (run->done);
  g_array_append_val (run->progress, *p);
  if (run->cancel_on_report != NULL && !p->writing)
    g_cancellable_cancel (run->cancel_on_report);
  if (run->cancel_on_write != NULL && p->written > 0)
    g_cancellable_cancel (run->cancel_on_write);
}

static void
on_labeled (GObject *source, GAsyncResult *result, gpointer data)
{
  LabelRun *run = data;
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  run->ok = gl_gallery_model_label_ranges_finish (GL_GALLERY_MODEL (source), result, &run->n, &run->unreadable,
                                                  &run->error);
  /* Over when its result is out (unless refused because another runs). */
  if (!g_error_matches (run->error, G_IO_ERROR, G_IO_ERROR_BUSY))
    g_assert_false (gl_gallery_model_is_labeling (GL_GALLERY_MODEL (source)));
  run->done = TRUE;
}

static void
label_start (GlGalleryModel *model, const GlGalleryRange *ranges, guint n_ranges, gint64 class_id,
             GCancellable *cancellable, LabelRun *run)
{
  g_assert_null (run->error);
  *run = (LabelRun){ .cancel_on_report = run->cancel_on_report, .cancel_on_write = run->cancel_on_write };
  run->progress = g_array_new (FALSE, FALSE, sizeof (GlGalleryLabelProgress));
  gl_gallery_model_label_ranges_async (model, ranges, n_ranges, class_id, cancellable, on_label_progress, run,
                                       on_labeled, run);
}

static void
label_wait (LabelRun *run)
{
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
}

static guint64
ranges_size (const GlGalleryRange *ranges, guint n_ranges)
{
  guint64 n = 0;
  for (guint r = 0; r < n_ranges; r++)
    n += ranges[r].n;
  return n;
}

/* Orders pairs of gint64 by their first. */
static gint
compare_first (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static void
test_label_async (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  /* Newest first: position p is the image inserted N_IMAGES - 1 - p-th. */
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_NEWEST, &error));
  /* The first two pages are on screen (cached); the rest is not. */
  for (guint p = 0; p < 300; p++)
    g_object_unref (g_list_model_get_item (G_LIST_MODEL (model), p));
  Changes c = { 0 };
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &c);

  /* Cached runs, one across a page boundary, a far run whose pages were
   * never walked to, and the end of the listing. */
  const GlGalleryRange ranges[] = {
    { 1, 3 },
    { 250, 20 },
    { GL_GALLERY_PAGE_SIZE * 12 + 5, 700 },
    { N_IMAGES - 30, 30 },
  };
  guint64 total = ranges_size (ranges, G_N_ELEMENTS (ranges));
  LabelRun run = { 0 };
  label_start (model, ranges, G_N_ELEMENTS (ranges), f->classes[1], NULL, &run);
  g_assert_true (gl_gallery_model_is_labeling (model));
  label_wait (&run);
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  /* The last 30 are the first imported: unreadable, left out. */
  g_assert_cmpuint (run.n, ==, total - 30);
  g_assert_cmpuint (run.unreadable, ==, 30);

  /* Every readable image of the runs has the label, written in image id
   * order (one action: history rows in that order; the selection is sorted
   * by id, so that each chunk writes neighbouring rows). */
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (gint64) * 2);
  for (guint r = 0; r < G_N_ELEMENTS (ranges); r++)
    for (guint p = ranges[r].start; p < ranges[r].start + ranges[r].n; p++)
      {
        guint i = N_IMAGES - 1 - p;
        if (i < N_UNREADABLE)
          continue;
        GlDbLabel cur = { 0 };
        g_assert_true (gl_db_get_current_label (f->db, f->ids[i], FALSE, &cur, &error));
        g_assert_cmpint (cur.class_id, ==, f->classes[1]);
        g_assert_cmpint (cur.origin, ==, GL_DB_ORIGIN_HUMAN);
        gint64 pair[2] = { f->ids[i], cur.id };
        g_array_append_vals (rows, pair, 1);
        gl_db_label_clear (&cur);
        f->label[i] = f->classes[1];
      }
  g_array_sort (rows, compare_first);
  for (guint k = 1; k < rows->len; k++)
    g_assert_cmpint (((gint64 *) (void *) rows->data)[2 * k + 1], >, ((gint64 *) (void *) rows->data)[2 * k - 1]);
  /* Progress: found grows to the total, then the write is announced. */
  g_assert_cmpuint (run.progress->len, >=, 1);
  guint64 found = 0;
  for (guint i = 0; i < run.progress->len; i++)
    {
      const GlGalleryLabelProgress *p = &g_array_index (run.progress, GlGalleryLabelProgress, i);
      g_assert_cmpuint (p->total, ==, total);
      g_assert_cmpuint (p->found, >=, found);
      g_assert_cmpuint (p->found, <=, total);
      found = p->found;
    }
  const GlGalleryLabelProgress *end = &g_array_index (run.progress, GlGalleryLabelProgress, run.progress->len - 1);
  g_assert_true (end->writing);
  g_assert_cmpuint (end->found, ==, total);
  label_run_clear (&run);
  /* Nothing else changed (the model followed: all images, nobody leaves). */
  g_assert_cmpuint (c.changes, ==, 0);
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_NEWEST);

  /* One at a time: a second call while the first runs is refused. */
  const GlGalleryRange few = { 40, 5 }, other = { 60, 5 };
  LabelRun first = { 0 }, second = { 0 };
  label_start (model, &few, 1, f->classes[0], NULL, &first);
  label_start (model, &other, 1, f->classes[0], NULL, &second);
  label_wait (&first);
  label_wait (&second);
  g_assert_true (first.ok);
  g_assert_false (second.ok);
  g_assert_error (second.error, G_IO_ERROR, G_IO_ERROR_BUSY);
  for (guint p = few.start; p < few.start + few.n; p++)
    f->label[N_IMAGES - 1 - p] = f->classes[0];
  label_run_clear (&first);
  label_run_clear (&second);
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_NEWEST);

  /* Select all of "unlabeled" by name: all of them, and the listing empties. */
  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_UNLABELED, -1, &error));
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_NAME, &error));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_object_unref (g_list_model_get_item (G_LIST_MODEL (model), 0));
  const GlGalleryRange all = { 0, n };
  label_start (model, &all, 1, f->classes[2], NULL, &run);
  label_wait (&run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.n, ==, n);
  g_assert_cmpuint (run.unreadable, ==, 0);
  label_run_clear (&run);
  for (int i = 0; i < N_IMAGES; i++)
    if (i >= N_UNREADABLE && f->label[i] < 0)
      f->label[i] = f->classes[2];
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_true (gl_gallery_model_set_filter (model, GL_GALLERY_FILTER_ALL, -1, &error));
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_NAME);
}

/* The ids of the listing's readable images in id order (the order a
 * selection of everything is written in). */
static GArray *
readable_order (GlGalleryModel *model)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  for (guint p = 0; p < n; p++)
    {
      g_autoptr (GlGalleryItem) item = get_item_waiting (model, p);
      gint64 id = gl_gallery_item_get_id (item);
      if (!gl_gallery_item_get_unreadable (item))
        g_array_append_val (ids, id);
    }
  g_array_sort (ids, compare_first);
  return ids;
}

/* Cancelled while ids are found: nothing written; failing or cancelled while
 * writing: the chunks committed before stay (a prefix of the selection, the
 * count reported), the model follows them, and one undo reverts them. */
static void
test_label_async_nothing_written (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_no_error (error);
  Changes c = { 0 };
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &c);
  guint64 labeled = 0;
  g_assert_true (gl_gallery_model_count (model, GL_GALLERY_FILTER_LABELED, -1, &labeled, &error));
  const GlGalleryRange all = { 0, N_IMAGES };

  /* Cancelled before it starts. */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  LabelRun run = { 0 };
  label_start (model, &all, 1, f->classes[0], cancel, &run);
  label_wait (&run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  label_run_clear (&run);
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);

  /* Cancelled at the first report while ids are found: cancelled and
   * nothing written, or (when the worker was faster than the report) all. */
  g_autoptr (GCancellable) later = g_cancellable_new ();
  run.cancel_on_report = later;
  label_start (model, &all, 1, f->classes[0], later, &run);
  label_wait (&run);
  g_test_message ("cancelled while finding ids: %s", run.ok ? "finished first" : run.error->message);
  g_autofree gint64 *before = g_memdup2 (f->label, sizeof (gint64) * N_IMAGES);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (f->project), &error);
  g_assert_no_error (error);
  if (run.ok)
    for (int i = N_UNREADABLE; i < N_IMAGES; i++)
      f->label[i] = f->classes[0];
  else
    g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  run.cancel_on_report = NULL;
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);
  if (run.ok)
    {
      /* Taken back in one step, for what follows. */
      g_assert_true (gl_db_undo_last (db, NULL, NULL, &error));
      memcpy (f->label, before, sizeof (gint64) * N_IMAGES);
      g_assert_true (gl_gallery_model_reload (model, &error));
    }
  label_run_clear (&run);

  /* The database may not grow: the writing fails part-way (the first
   * chunks fit in free pages, then the file is full); the chunks committed
   * stay, a prefix of the selection, and finish says how many. */
  g_autoptr (GArray) order = readable_order (model);
  gl_gallery_model_set_label_page_limit (model, 1);
  label_start (model, &all, 1, f->classes[0], NULL, &run);
  label_wait (&run);
  g_assert_error (run.error, GL_DB_ERROR, GL_DB_ERROR_FULL);
  g_test_message ("the disk filled after %" G_GUINT64_FORMAT " labels", run.n);
  g_assert_cmpuint (run.n, <, order->len);
  for (guint i = 0; i < run.n; i++)
    f->label[index_of (f, g_array_index (order, gint64, i))] = f->classes[0];
  label_run_clear (&run);
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);
  /* One undo takes the prefix back. */
  if (run.n > 0)
    g_assert_true (gl_db_undo_last (db, NULL, NULL, &error));
  g_assert_no_error (error);
  memcpy (f->label, before, sizeof (gint64) * N_IMAGES);
  gl_gallery_model_set_label_page_limit (model, 0);
  g_assert_true (gl_gallery_model_reload (model, &error));
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);
  guint64 after = 0;
  g_assert_true (gl_gallery_model_count (model, GL_GALLERY_FILTER_LABELED, -1, &after, &error));
  g_assert_cmpuint (after, ==, labeled);

  /* Cancelled at the second chunk written: that prefix stays; one undo. */
  g_autoptr (GCancellable) writing = g_cancellable_new ();
  run.cancel_on_write = writing;
  label_start (model, &all, 1, f->classes[1], writing, &run);
  label_wait (&run);
  run.cancel_on_write = NULL;
  if (run.ok)
    g_test_message ("the writing ended before the cancel took");
  else
    {
      g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpuint (run.n, >, 0);
      g_assert_cmpuint (run.n, <, order->len);
      for (guint i = 0; i < run.n; i++)
        f->label[index_of (f, g_array_index (order, gint64, i))] = f->classes[1];
      check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);
    }
  g_assert_true (gl_db_undo_last (db, NULL, NULL, &error));
  memcpy (f->label, before, sizeof (gint64) * N_IMAGES);
  label_run_clear (&run);
  g_assert_true (gl_gallery_model_reload (model, &error));
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);

  /* Without the limit the same selection is written. */
  gl_gallery_model_set_label_page_limit (model, 0);
  label_start (model, &all, 1, f->classes[0], NULL, &run);
  label_wait (&run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.n, ==, N_IMAGES - N_UNREADABLE);
  g_assert_cmpuint (run.unreadable, ==, N_UNREADABLE);
  label_run_clear (&run);
  for (int i = N_UNREADABLE; i < N_IMAGES; i++)
    f->label[i] = f->classes[0];
  check_listing (f, model, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);
}

static void
test_classes (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  guint n = 0;
  const GlGalleryClass *classes = gl_gallery_model_get_classes (model, &n);
  g_assert_cmpuint (n, ==, N_CLASSES);
  g_assert_cmpstr (classes[2].name, ==, "bird/eagle");
  g_assert_cmpuint (strlen (classes[0].colour), ==, 7);
  g_assert_true (gl_gallery_model_lookup_class (model, f->classes[1]) == &classes[1]);
  g_assert_null (gl_gallery_model_lookup_class (model, 424242));
}

typedef struct
{
  GPtrArray *order; /* image ids in completion order */
  guint pending;
  guint cancelled;
  guint failed;
} LoadState;

typedef struct
{
  LoadState *state;
  gint64 id;
} LoadCall;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadCall *call = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pb = gl_thumbnail_loader_load_finish (NULL, result, &error);
  if (pb != NULL)
    {
      /* 28×28 inputs are enlarged 4× with nearest neighbour. */
      g_assert_cmpint (gdk_pixbuf_get_width (pb), ==, 112);
      g_assert_cmpint (gdk_pixbuf_get_height (pb), ==, 112);
      g_ptr_array_add (call->state->order, GINT_TO_POINTER ((int) call->id));
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    call->state->cancelled++;
  else
    call->state->failed++;
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  call->state->pending--;
  g_free (call);
}

static void
test_thumbnail_loader (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlGalleryModel) model = gl_gallery_model_new (f->project, &error);
  g_assert_true (gl_gallery_model_set_sort (model, GL_GALLERY_SORT_NEWEST, &error));
  g_autoptr (GlThumbnailLoader) loader = gl_thumbnail_loader_new (f->project, 1, &error);
  g_assert_no_error (error);

  /* Blocking: the pixel-cache row, enlarged; the level says which row. */
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_autoptr (GlGalleryItem) first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_autoptr (GdkPixbuf) pb = gl_thumbnail_loader_load (loader, first, &error);
  g_assert_no_error (error);
  int i = index_of (f, gl_gallery_item_get_id (first));
  g_assert_cmpuint (gdk_pixbuf_get_pixels (pb)[0], ==, (guint) ((i - N_UNREADABLE) % 251));
  /* The oldest are the unreadable ones: an error naming the file. */
  g_autoptr (GlGalleryItem) bad = get_item_waiting (model, n - 1);
  g_assert_true (gl_gallery_item_get_unreadable (bad));
  g_assert_null (gl_thumbnail_loader_load (loader, bad, &error));
  g_assert_nonnull (strstr (error->message, "/nowhere/img-"));
  g_clear_error (&error);

  /* Paused, 20 requests queue; every other one is cancelled; on resume the
   * rest run newest first, and callbacks arrive on this thread. */
  LoadState state = { g_ptr_array_new (), 0, 0, 0 };
  gl_thumbnail_loader_set_paused (loader, TRUE);
  GPtrArray *cancellables = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint p = 0; p < 20; p++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), p);
      GCancellable *cancellable = g_cancellable_new ();
      g_ptr_array_add (cancellables, cancellable);
      LoadCall *call = g_new0 (LoadCall, 1);
      call->state = &state;
      call->id = gl_gallery_item_get_id (item);
      state.pending++;
      gl_thumbnail_loader_load_async (loader, item, G_PRIORITY_DEFAULT, cancellable, on_loaded, call);
    }
  for (guint p = 1; p < 20; p += 2)
    g_cancellable_cancel (g_ptr_array_index (cancellables, p));
  gl_thumbnail_loader_set_paused (loader, FALSE);
  while (state.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (state.cancelled, ==, 10);
  g_assert_cmpuint (state.failed, ==, 0);
  g_assert_cmpuint (state.order->len, ==, 10);
  /* Newest request first: positions 18, 16, …, 0, i.e. ids ascending under "newest" sort. */
  for (guint k = 1; k < state.order->len; k++)
    g_assert_cmpint (GPOINTER_TO_INT (g_ptr_array_index (state.order, k - 1)), <,
                     GPOINTER_TO_INT (g_ptr_array_index (state.order, k)));

  GlThumbnailLoaderStats stats;
  gl_thumbnail_loader_get_stats (loader, &stats);
  g_assert_cmpuint (stats.queued, ==, 20);
  g_assert_cmpuint (stats.decoded, ==, 10);
  g_assert_cmpuint (stats.cancelled, ==, 10);
  g_assert_cmpuint (stats.max_active, ==, 1);

  /* A real file: decoded once, never enlarged, and kept in the thumbnail
   * pack; a file gone with no model input cached: an error naming it. */
  g_autofree char *png = g_build_filename (f->dir, "real.png", NULL);
  g_autofree char *gone = g_build_filename (f->dir, "gone.png", NULL);
  g_autoptr (GdkPixbuf) src = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 40, 30);
  gdk_pixbuf_fill (src, 0x336699ff);
  g_assert_true (gdk_pixbuf_save (src, png, "png", &error, NULL));
  gint64 batch = -1, new_ids[2];
  g_assert_true (gl_db_begin_batch (f->db, "files", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage files[2] = {
    { png, "aa00000000000000000000000000000000000000000000000000000000000001", 100, -1, NULL, NULL },
    { gone, "aa00000000000000000000000000000000000000000000000000000000000002", 100, -1, NULL, NULL },
  };
  g_assert_true (gl_db_add_images (f->db, batch, files, 2, new_ids, NULL, &error));
  g_assert_true (gl_gallery_model_reload (model, &error));
  g_autoptr (GlGalleryItem) gone_item = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_autoptr (GlGalleryItem) real_item = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_cmpint (gl_gallery_item_get_id (real_item), ==, new_ids[0]);
  g_autoptr (GdkPixbuf) real_thumb = gl_thumbnail_loader_load (loader, real_item, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (real_thumb), ==, 40);
  g_assert_cmpint (gdk_pixbuf_get_height (real_thumb), ==, 30);
  g_assert_true (gl_thumb_pack_contains (gl_project_get_thumbs (f->project), files[0].hash_hex));
  g_assert_null (gl_thumbnail_loader_load (loader, gone_item, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "gone.png"));
  g_clear_error (&error);

  /* Dropping the loader with requests queued fails them as cancelled. */
  gl_thumbnail_loader_set_paused (loader, TRUE);
  for (guint p = 0; p < 5; p++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), p);
      LoadCall *call = g_new0 (LoadCall, 1);
      call->state = &state;
      state.pending++;
      gl_thumbnail_loader_load_async (loader, item, G_PRIORITY_DEFAULT, NULL, on_loaded, call);
    }
  g_clear_object (&loader);
  while (state.pending > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (state.cancelled, ==, 15);
  g_ptr_array_unref (cancellables);
  g_ptr_array_unref (state.order);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/gallery-model/paging-filters-sorts", Fixture, NULL, fixture_set_up, test_paging_filters_sorts,
              fixture_tear_down);
  g_test_add ("/gallery-model/random-access", Fixture, NULL, fixture_set_up, test_random_access, fixture_tear_down);
  g_test_add ("/gallery-model/first-page-in-background", Fixture, NULL, fixture_set_up, test_first_page_in_background,
              fixture_tear_down);
  g_test_add ("/gallery-model/confusion-filter", Fixture, NULL, fixture_set_up, test_confusion_filter,
              fixture_tear_down);
  g_test_add ("/gallery-model/suspected-filter", Fixture, NULL, fixture_set_up, test_suspected_filter,
              fixture_tear_down);
  g_test_add ("/gallery-model/disagreement-sort", Fixture, NULL, fixture_set_up, test_disagreement_sort,
              fixture_tear_down);
  g_test_add ("/gallery-model/label-changes", Fixture, NULL, fixture_set_up, test_label_changes, fixture_tear_down);
  g_test_add ("/gallery-model/label-async", Fixture, NULL, fixture_set_up, test_label_async, fixture_tear_down);
  g_test_add ("/gallery-model/label-async-nothing-written", Fixture, NULL, fixture_set_up,
              test_label_async_nothing_written, fixture_tear_down);
  g_test_add ("/gallery-model/classes", Fixture, NULL, fixture_set_up, test_classes, fixture_tear_down);
  g_test_add ("/gallery-model/thumbnail-loader", Fixture, NULL, fixture_set_up, test_thumbnail_loader,
              fixture_tear_down);
  return g_test_run ();
}
