/* Unit tests of the store (db/): every operation, the migration from the
 * version-1 schema, odd class names, merge/delete keeping history, undo,
 * keyset paging under every filter × sort, the query plans of those pages,
 * a busy writer, a full database and failed allocations inside SQLite. */
#include "db/gl-db-private.h"
#include "gl-test-db.h"
#include "db/gl-sql-sqlite.h"
#include "downgrade.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

typedef struct
{
  char *dir;
  char *path;
  GlDb *db;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-db-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.gleaner-db", NULL);
  fx->db = gl_test_db_create (&fx->path);
}

#define remove_dir gl_test_db_remove_dir

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

/* Adds @n readable images (hash = index) in one batch; ids into @ids. */
static void
add_images (GlDb *db, guint first, guint n, gboolean held_out, gint64 *ids)
{
  GError *error = NULL;
  gint64 batch;
  g_assert_true (gl_db_begin_batch (db, "test", GL_DB_ORIGIN_HUMAN, held_out, &batch, &error));
  g_assert_no_error (error);
  GlDbNewImage *im = g_new0 (GlDbNewImage, n);
  char **strs = g_new0 (char *, 2 * n + 1);
  for (guint i = 0; i < n; i++)
    {
      strs[2 * i] = g_strdup_printf ("/img/%06u.png", first + i);
      strs[2 * i + 1] = g_strdup_printf ("%064u", first + i);
      im[i].path = strs[2 * i];
      im[i].hash_hex = strs[2 * i + 1];
      im[i].size_bytes = 100 + i;
      im[i].cache_row = first + i;
    }
  g_assert_true (gl_db_add_images (db, batch, im, n, ids, NULL, &error));
  g_assert_no_error (error);
  g_strfreev (strs);
  g_free (im);
}

static gint64
add_class (GlDb *db, const char *name)
{
  GError *error = NULL;
  gint64 id = -1;
  g_assert_true (gl_db_add_class (db, name, NULL, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* ---- Connection -------------------------------------------------------- */

static void
test_open_errors (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  g_assert_cmpint (gl_db_get_schema_version (fx->db), ==, GL_DB_SCHEMA_VERSION);
  g_assert_null (gl_db_create (fx->path, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, fx->path));
  g_clear_error (&error);

  g_autofree char *missing = g_build_filename (fx->dir, "missing.db", NULL);
  g_assert_null (gl_db_open (missing, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autofree char *junk = g_build_filename (fx->dir, "junk.db", NULL);
  g_assert_true (g_file_set_contents (junk, "this is not a database, not at all, no tables in here....", -1, NULL));
  g_assert_null (gl_db_open (junk, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_CORRUPT);
  g_clear_error (&error);

  /* A newer schema is refused, not damaged. */
  g_autofree char *newer = g_build_filename (fx->dir, "newer.db", NULL);
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open (newer, &h), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (h, "CREATE TABLE t (x); PRAGMA user_version = 99;", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (h);
  g_assert_null (gl_db_open (newer, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "99"));
  g_clear_error (&error);

  /* A second connection on the same file, and integrity. */
  g_autoptr (GlDb) other = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_true (gl_db_check_integrity (other, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (gl_db_get_path (other), ==, fx->path);
}

static void
test_settings (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_null (gl_db_get_setting (fx->db, "nope"));
  g_assert_cmpint (gl_db_get_setting_int (fx->db, GL_DB_SETTING_RETRAIN_EVERY, 25), ==, 25);
  g_assert_true (gl_db_set_setting_int (fx->db, GL_DB_SETTING_RETRAIN_EVERY, 40, &error));
  g_assert_cmpint (gl_db_get_setting_int (fx->db, GL_DB_SETTING_RETRAIN_EVERY, 25), ==, 40);
  g_assert_true (gl_db_set_setting_double (fx->db, GL_DB_SETTING_VALIDATION_SHARE, 0.2, &error));
  g_assert_cmpfloat (gl_db_get_setting_double (fx->db, GL_DB_SETTING_VALIDATION_SHARE, 0), ==, 0.2);
  g_assert_true (gl_db_set_setting (fx->db, GL_DB_SETTING_AUGMENTATION, "0", &error));
  g_assert_false (gl_db_get_setting_boolean (fx->db, GL_DB_SETTING_AUGMENTATION, TRUE));
  g_assert_true (gl_db_set_setting (fx->db, GL_DB_SETTING_AUGMENTATION, "junk", &error));
  g_assert_true (gl_db_get_setting_boolean (fx->db, GL_DB_SETTING_AUGMENTATION, TRUE));
  g_assert_cmpint (gl_db_get_setting_int (fx->db, GL_DB_SETTING_AUGMENTATION, 3), ==, 3);
  g_assert_true (gl_db_set_setting (fx->db, GL_DB_SETTING_ACQUISITION, "margin '; DROP TABLE x; --", &error));
  g_autofree char *v = gl_db_get_setting (fx->db, GL_DB_SETTING_ACQUISITION);
  g_assert_cmpstr (v, ==, "margin '; DROP TABLE x; --");
  g_assert_true (gl_db_set_setting (fx->db, GL_DB_SETTING_ACQUISITION, NULL, &error));
  g_assert_null (gl_db_get_setting (fx->db, GL_DB_SETTING_ACQUISITION));
  g_assert_false (gl_db_set_setting (fx->db, "", "x", &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
}

/* ---- Classes ----------------------------------------------------------- */

static void
test_class_names (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GString *long_name = g_string_new (NULL);
  for (int i = 0; i < GL_DB_CLASS_NAME_MAX; i++)
    g_string_append_unichar (long_name, i % 2 ? 0x00e9 : 'x'); /* 1,000 characters, 1,500 bytes */
  const char *names[] = { "a/b", "..", "\"quoted\" 'x'", "100%", "%s%n", "🐈 cat", "  spaced  ",
                          "Robert'); DROP TABLE classes;--", long_name->str };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    add_class (fx->db, names[i]);
  g_autoptr (GArray) list = gl_db_list_classes (fx->db, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < list->len; i++)
    {
      GlDbClass *c = &g_array_index (list, GlDbClass, i);
      g_assert_cmpstr (c->name, ==, names[i]);
      g_assert_cmpint (c->position, ==, i);
      g_assert_cmpint (strlen (c->colour), ==, 7);
      g_assert_cmpint (c->colour[0], ==, '#');
      gint64 id;
      g_assert_true (gl_db_find_class (fx->db, names[i], &id, &error));
      g_assert_cmpint (id, ==, c->id);
    }
  /* Shortcuts 1…9 for the first nine. */
  g_assert_cmpuint (g_array_index (list, GlDbClass, 0).shortcut, ==, '1');
  g_assert_cmpuint (g_array_index (list, GlDbClass, 8).shortcut, ==, '9');

  g_assert_false (gl_db_add_class (fx->db, "", NULL, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_string_append_c (long_name, 'y');
  g_assert_false (gl_db_add_class (fx->db, long_name->str, NULL, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "1001"));
  g_clear_error (&error);
  g_assert_false (gl_db_add_class (fx->db, "🐈 cat", NULL, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_EXISTS);
  g_assert_nonnull (strstr (error->message, "🐈 cat"));
  g_clear_error (&error);
  g_assert_false (gl_db_add_class (fx->db, "\xff\xfe", NULL, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (gl_db_find_class (fx->db, "100", NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_string_free (long_name, TRUE);
}

static void
test_class_edit (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a"), b = add_class (fx->db, "b"), c = add_class (fx->db, "c");
  g_assert_true (gl_db_rename_class (fx->db, a, "ant", &error));
  g_assert_false (gl_db_rename_class (fx->db, a, "b", &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (gl_db_rename_class (fx->db, a, "ant", &error)); /* its own name */
  g_assert_true (gl_db_recolour_class (fx->db, a, "#A0B1C2", &error));
  g_assert_false (gl_db_recolour_class (fx->db, a, "red", &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "red"));
  g_clear_error (&error);
  g_assert_false (gl_db_set_class_shortcut (fx->db, a, '2', &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (gl_db_set_class_shortcut (fx->db, a, 'x', &error));
  g_assert_true (gl_db_set_class_shortcut (fx->db, b, 0, &error));
  g_assert_false (gl_db_set_class_shortcut (fx->db, b, ' ', &error));
  g_clear_error (&error);
  GlDbClass k;
  g_assert_true (gl_db_get_class (fx->db, a, &k, &error));
  g_assert_cmpstr (k.name, ==, "ant");
  g_assert_cmpstr (k.colour, ==, "#a0b1c2");
  g_assert_cmpuint (k.shortcut, ==, 'x');
  gl_db_class_clear (&k);
  g_assert_true (gl_db_get_class (fx->db, b, &k, &error));
  g_assert_cmpuint (k.shortcut, ==, 0);
  gl_db_class_clear (&k);

  g_assert_true (gl_db_set_class_archived (fx->db, b, TRUE, &error));
  g_autoptr (GArray) live = gl_db_list_classes (fx->db, FALSE, &error);
  g_assert_cmpuint (live->len, ==, 2);
  g_autoptr (GArray) all = gl_db_list_classes (fx->db, TRUE, &error);
  g_assert_cmpuint (all->len, ==, 3);

  gint64 order[] = { c, a, b };
  g_assert_true (gl_db_reorder_classes (fx->db, order, 3, &error));
  g_autoptr (GArray) re = gl_db_list_classes (fx->db, TRUE, &error);
  for (int i = 0; i < 3; i++)
    g_assert_cmpint (g_array_index (re, GlDbClass, i).id, ==, order[i]);
  gint64 bad[] = { c, c, a };
  g_assert_false (gl_db_reorder_classes (fx->db, bad, 3, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (gl_db_reorder_classes (fx->db, order, 2, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (gl_db_rename_class (fx->db, 999, "zzz", &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static guint
history_len (GlDb *db, gint64 image)
{
  g_autoptr (GArray) h = gl_db_get_history (db, image, NULL);
  return h->len;
}

static gint64
current (GlDb *db, gint64 image)
{
  GlDbLabel l;
  g_assert_true (gl_db_get_current_label (db, image, FALSE, &l, NULL));
  gint64 c = l.class_id;
  gl_db_label_clear (&l);
  return c;
}

static void
test_merge_delete (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a"), b = add_class (fx->db, "b"), c = add_class (fx->db, "c");
  gint64 ids[6];
  add_images (fx->db, 0, 6, FALSE, ids);
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[1], a, GL_DB_ORIGIN_RULE, "ann", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[2], b, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[3], c, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[4], a, GL_DB_ORIGIN_REFERENCE, "ann", NULL, &error));
  gint64 rule;
  g_assert_true (gl_db_add_rule (fx->db, "*/a/*", a, &rule, &error));
  guint64 n = 0;
  g_assert_true (gl_db_merge_classes (fx->db, a, b, "ann", &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3); /* two current labels and one reference label */
  g_assert_cmpint (current (fx->db, ids[0]), ==, b);
  g_assert_cmpint (current (fx->db, ids[1]), ==, b);
  g_assert_cmpuint (history_len (fx->db, ids[0]), ==, 2);
  g_autoptr (GArray) h = gl_db_get_history (fx->db, ids[1], &error);
  g_assert_cmpint (g_array_index (h, GlDbLabel, 0).class_id, ==, a);
  g_assert_cmpint (g_array_index (h, GlDbLabel, 1).class_id, ==, b);
  g_assert_cmpint (g_array_index (h, GlDbLabel, 1).origin, ==, GL_DB_ORIGIN_RULE);
  g_assert_cmpint (g_array_index (h, GlDbLabel, 1).kind, ==, GL_DB_LABEL_CLASS);
  GlDbLabel ref;
  g_assert_true (gl_db_get_current_label (fx->db, ids[4], TRUE, &ref, &error));
  g_assert_cmpint (ref.class_id, ==, b);
  gl_db_label_clear (&ref);
  g_autoptr (GArray) rules = gl_db_list_rules (fx->db, &error);
  g_assert_cmpint (g_array_index (rules, GlDbRule, 0).class_id, ==, b);
  /* a is gone from the list but still resolves for history; its name is free. */
  g_autoptr (GArray) list = gl_db_list_classes (fx->db, TRUE, &error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpint (g_array_index (list, GlDbClass, 0).position, ==, 0);
  g_assert_cmpint (g_array_index (list, GlDbClass, 1).position, ==, 1);
  GlDbClass k;
  g_assert_true (gl_db_get_class (fx->db, a, &k, &error));
  g_assert_cmpstr (k.name, ==, "a");
  gl_db_class_clear (&k);
  g_assert_false (gl_db_set_label (fx->db, ids[5], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  add_class (fx->db, "a");
  g_assert_false (gl_db_merge_classes (fx->db, b, b, "ann", NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);

  /* Delete with unlabel, then with reassignment. */
  g_assert_true (gl_db_delete_class (fx->db, c, -1, "ann", &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (current (fx->db, ids[3]), ==, -1);
  g_assert_cmpuint (history_len (fx->db, ids[3]), ==, 2);
  gint64 d = add_class (fx->db, "d");
  g_assert_true (gl_db_delete_class (fx->db, b, d, "ann", &n, &error));
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (current (fx->db, ids[0]), ==, d);
  g_assert_cmpint (current (fx->db, ids[2]), ==, d);
  g_assert_cmpuint (history_len (fx->db, ids[0]), ==, 3);
  g_autoptr (GArray) counts = gl_db_count_per_class (fx->db, &error);
  g_assert_cmpuint (counts->len, ==, 2);
  GlDbClassCount *cd = &g_array_index (counts, GlDbClassCount, 1);
  g_assert_cmpint (cd->class_id, ==, d);
  g_assert_cmpuint (cd->labeled, ==, 3);
  g_assert_cmpuint (cd->reference, ==, 1);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
}

/* ---- Images ------------------------------------------------------------ */

static void
test_images (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 batch;
  g_assert_true (gl_db_begin_batch (fx->db, "/data", GL_DB_ORIGIN_REFERENCE, FALSE, &batch, &error));
  GlDbNewImage im[] = {
    { "/data/a/1.png", "h1", 10, 0, NULL, "a" },
    { "/data/b/2.png", "h2", 20, 1, NULL, "b/../x" },
    { "/data/3.png", "h1", 30, 2, NULL, NULL },          /* same content: skipped */
    { "/data/bad.png", NULL, 0, -1, "truncated", NULL }, /* unreadable */
    { "/data/4.png", "h4", 40, 3, NULL, NULL },
  };
  gint64 ids[5];
  gboolean created = FALSE;
  g_assert_true (gl_db_add_images (fx->db, batch, im, 5, ids, &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);
  g_assert_cmpint (ids[2], ==, -1);
  g_assert_cmpint (ids[0], >, 0);
  g_assert_cmpint (ids[3], >, 0);
  /* The same bad file again is not recorded twice. */
  gint64 again[1];
  g_assert_true (gl_db_add_images (fx->db, batch, &im[3], 1, again, &created, &error));
  g_assert_false (created);
  g_assert_cmpint (again[0], ==, -1);
  g_assert_true (gl_db_has_hash (fx->db, "h2"));
  g_assert_false (gl_db_has_hash (fx->db, "h3"));
  g_assert_true (gl_db_set_batch_duplicates (fx->db, batch, 1, &error));

  GlDbImage img;
  g_assert_true (gl_db_get_image (fx->db, ids[3], &img, &error));
  g_assert_cmpstr (img.reason, ==, "truncated");
  g_assert_null (img.hash_hex);
  g_assert_cmpint (img.cache_row, ==, -1);
  gl_db_image_clear (&img);
  g_assert_true (gl_db_get_image (fx->db, ids[1], &img, &error));
  g_assert_cmpstr (img.path, ==, "/data/b/2.png");
  g_assert_cmpstr (img.hash_hex, ==, "h2");
  g_assert_cmpuint (img.size_bytes, ==, 20);
  g_assert_cmpint (img.cache_row, ==, 1);
  g_assert_cmpint (img.batch_id, ==, batch);
  g_assert_false (img.held_out_test);
  g_assert_cmpint (img.created_us, >, 0);
  gl_db_image_clear (&img);
  g_assert_false (gl_db_get_image (fx->db, 999, &img, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  gint64 id;
  g_assert_true (gl_db_lookup_image (fx->db, "/data/4.png", &id, &error));
  g_assert_cmpint (id, ==, ids[4]);
  g_autofree char *num = g_strdup_printf ("%" G_GINT64_FORMAT, ids[1]);
  g_assert_true (gl_db_lookup_image (fx->db, num, &id, &error));
  g_assert_cmpint (id, ==, ids[1]);
  g_assert_false (gl_db_lookup_image (fx->db, "/nope", &id, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nope"));
  g_clear_error (&error);

  /* Labels that came with a reference batch are reference labels. */
  GlDbLabel l;
  g_assert_true (gl_db_get_current_label (fx->db, ids[0], FALSE, &l, &error));
  g_assert_cmpint (l.class_id, ==, -1);
  gl_db_label_clear (&l);
  g_assert_true (gl_db_get_current_label (fx->db, ids[1], TRUE, &l, &error));
  gint64 x;
  g_assert_true (gl_db_find_class (fx->db, "b/../x", &x, &error));
  g_assert_cmpint (l.class_id, ==, x);
  g_assert_cmpint (l.origin, ==, GL_DB_ORIGIN_REFERENCE);
  gl_db_label_clear (&l);

  gint64 held[2];
  add_images (fx->db, 100, 2, TRUE, held);
  GlDbCounts c;
  g_assert_true (gl_db_get_counts (fx->db, &c, &error));
  g_assert_cmpuint (c.images, ==, 6);
  g_assert_cmpuint (c.readable, ==, 5);
  g_assert_cmpuint (c.unreadable, ==, 1);
  g_assert_cmpuint (c.duplicates, ==, 1);
  g_assert_cmpuint (c.labeled, ==, 0);
  g_assert_cmpuint (c.reference_labeled, ==, 2);
  g_assert_cmpuint (c.held_out_test, ==, 2);
  g_autoptr (GArray) rows = gl_db_list_cache_rows (fx->db, -1, &error);
  g_assert_cmpuint (rows->len, ==, 5);
  g_autoptr (GArray) test_rows = gl_db_list_cache_rows (fx->db, 1, &error);
  g_assert_cmpuint (test_rows->len, ==, 2);
  g_assert_cmpint (g_array_index (test_rows, gint64, 0), ==, 100);
  g_autoptr (GArray) batches = gl_db_list_batches (fx->db, &error);
  g_assert_cmpuint (batches->len, ==, 2);
  g_assert_cmpint (g_array_index (batches, GlDbBatch, 0).labels_origin, ==, GL_DB_ORIGIN_REFERENCE);
  g_assert_cmpuint (g_array_index (batches, GlDbBatch, 0).duplicates, ==, 1);
  g_assert_true (g_array_index (batches, GlDbBatch, 1).held_out_test);

  /* A bad batch id leaves nothing behind. */
  g_assert_false (gl_db_add_images (fx->db, 999, im, 1, ids, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

/* ---- Labels ------------------------------------------------------------ */

static void
test_labels_undo (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a"), b = add_class (fx->db, "b");
  gint64 ids[4];
  add_images (fx->db, 0, 4, FALSE, ids);
  gint64 l1, l2;
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "ann", &l1, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[0], b, GL_DB_ORIGIN_PREDICTION, "ann", &l2, &error));
  g_assert_cmpint (l2, >, l1);
  g_assert_cmpint (current (fx->db, ids[0]), ==, b);
  g_assert_true (gl_db_set_label (fx->db, ids[1], a, GL_DB_ORIGIN_HUMAN, "bob", NULL, &error));
  gint64 multi[] = { ids[2], ids[3] };
  g_assert_true (gl_db_set_labels (fx->db, multi, 2, b, GL_DB_ORIGIN_HUMAN, "ann", &error));
  /* A reference label does not change the current label. */
  g_assert_true (gl_db_set_label (fx->db, ids[2], a, GL_DB_ORIGIN_REFERENCE, "ann", NULL, &error));
  g_assert_cmpint (current (fx->db, ids[2]), ==, b);

  /* Undo: the multi-image action first, then image 0's second label. */
  gint64 img;
  g_assert_true (gl_db_undo_last (fx->db, "ann", &img, &error));
  g_assert_no_error (error);
  g_assert_cmpint (img, ==, ids[2]);
  g_assert_cmpint (current (fx->db, ids[2]), ==, -1);
  g_assert_cmpint (current (fx->db, ids[3]), ==, -1);
  g_assert_true (gl_db_undo_last (fx->db, "ann", &img, &error));
  g_assert_cmpint (img, ==, ids[0]);
  g_assert_cmpint (current (fx->db, ids[0]), ==, a);
  g_autoptr (GArray) h = gl_db_get_history (fx->db, ids[0], &error);
  g_assert_cmpuint (h->len, ==, 3);
  GlDbLabel *u = &g_array_index (h, GlDbLabel, 2);
  g_assert_cmpint (u->kind, ==, GL_DB_LABEL_UNDO);
  g_assert_cmpint (u->undoes, ==, l2);
  g_assert_cmpint (u->origin, ==, GL_DB_ORIGIN_HUMAN);
  g_assert_cmpstr (u->annotator, ==, "ann");
  g_assert_true (gl_db_undo_last (fx->db, "ann", &img, &error));
  g_assert_cmpint (current (fx->db, ids[0]), ==, -1);
  g_assert_false (gl_db_undo_last (fx->db, "ann", &img, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Bob's label is untouched and his own to undo. */
  g_assert_cmpint (current (fx->db, ids[1]), ==, a);
  g_assert_true (gl_db_undo_last (fx->db, "bob", &img, &error));
  g_assert_cmpint (current (fx->db, ids[1]), ==, -1);

  /* An image given twice in one action comes back to its state before it. */
  g_assert_true (gl_db_set_label (fx->db, ids[3], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  gint64 twice[] = { ids[3], ids[3] };
  g_assert_true (gl_db_set_labels (fx->db, twice, 2, b, GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_true (gl_db_undo_last (fx->db, "ann", &img, &error));
  g_assert_cmpint (current (fx->db, ids[3]), ==, a);
  g_assert_true (gl_db_undo_last (fx->db, "ann", &img, &error));
  g_assert_cmpint (current (fx->db, ids[3]), ==, -1);

  /* Unlabel is a history row with no class. */
  g_assert_true (gl_db_set_label (fx->db, ids[1], b, GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[1], -1, GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
  g_assert_cmpint (current (fx->db, ids[1]), ==, -1);
  g_autoptr (GArray) h1 = gl_db_get_history (fx->db, ids[1], &error);
  g_assert_cmpint (g_array_index (h1, GlDbLabel, h1->len - 1).class_id, ==, -1);
  g_assert_cmpstr (g_array_index (h1, GlDbLabel, h1->len - 1).annotator, ==, g_get_user_name ());

  /* Errors write nothing. */
  guint before = history_len (fx->db, ids[0]);
  g_assert_false (gl_db_set_label (fx->db, ids[0], 999, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (gl_db_set_label (fx->db, 999, a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gint64 mixed[] = { ids[0], 999 };
  g_assert_false (gl_db_set_labels (fx->db, mixed, 2, a, GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_clear_error (&error);
  g_assert_cmpuint (history_len (fx->db, ids[0]), ==, before);
}

typedef struct
{
  GArray *seen;
} Collect;

static gboolean
collect_label (const GlDbCurrentLabel *l, gpointer data)
{
  Collect *c = data;
  g_assert_nonnull (l->path);
  g_assert_nonnull (l->annotator);
  g_array_append_vals (c->seen, &l->image_id, 1);
  g_array_append_vals (c->seen, &l->class_id, 1);
  return TRUE;
}

static void
test_foreach_labels (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a"), b = add_class (fx->db, "b");
  gint64 ids[5];
  add_images (fx->db, 0, 5, FALSE, ids);
  g_assert_true (gl_db_set_label (fx->db, ids[3], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[1], b, GL_DB_ORIGIN_RULE, "x", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[4], b, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[4], -1, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_REFERENCE, "x", NULL, &error));
  Collect c = { g_array_new (FALSE, FALSE, sizeof (gint64)) };
  g_assert_true (gl_db_foreach_current_label (fx->db, FALSE, collect_label, &c, &error));
  g_assert_cmpuint (c.seen->len, ==, 4);
  g_assert_cmpint (g_array_index (c.seen, gint64, 0), ==, ids[1]);
  g_assert_cmpint (g_array_index (c.seen, gint64, 1), ==, b);
  g_assert_cmpint (g_array_index (c.seen, gint64, 2), ==, ids[3]);
  g_array_set_size (c.seen, 0);
  g_assert_true (gl_db_foreach_current_label (fx->db, TRUE, collect_label, &c, &error));
  g_assert_cmpuint (c.seen->len, ==, 2);
  g_assert_cmpint (g_array_index (c.seen, gint64, 0), ==, ids[0]);
  g_array_unref (c.seen);
}

/* ---- Skips, rules, suggestions, queue ----------------------------------- */

static void
test_queue_skips (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a");
  gint64 ids[6];
  add_images (fx->db, 0, 6, FALSE, ids);
  GlDbQueueItem q[] = { { ids[0], (char *) "uncertain", 0.9, FALSE, 0 },
                        { ids[1], (char *) "uncertain", 0.8, FALSE, 0 },
                        { ids[2], (char *) "audit", NAN, TRUE, 0 },
                        { ids[3], (char *) "uncertain", 0.5, FALSE, 0 } };
  g_assert_true (gl_db_set_label (fx->db, ids[2], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_replace_queue (fx->db, q, 4, &error));
  g_autoptr (GArray) r = gl_db_read_queue (fx->db, 10, &error);
  g_assert_cmpuint (r->len, ==, 4);
  g_assert_cmpstr (g_array_index (r, GlDbQueueItem, 2).reason, ==, "audit");
  g_assert_true (isnan (g_array_index (r, GlDbQueueItem, 2).score));
  g_assert_true (g_array_index (r, GlDbQueueItem, 2).audit);
  /* Labeled and skipped items leave the queue; a relabeled audit item too. */
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_skip (fx->db, ids[1], 2, &error));
  g_assert_true (gl_db_is_skipped (fx->db, ids[1]));
  g_assert_true (gl_db_set_label (fx->db, ids[2], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_autoptr (GArray) r2 = gl_db_read_queue (fx->db, 10, &error);
  g_assert_cmpuint (r2->len, ==, 1);
  g_assert_cmpint (g_array_index (r2, GlDbQueueItem, 0).image_id, ==, ids[3]);
  g_assert_cmpuint (g_array_index (r2, GlDbQueueItem, 0).position, ==, 3);
  GlDbCounts c;
  g_assert_true (gl_db_get_counts (fx->db, &c, &error));
  g_assert_cmpuint (c.skipped, ==, 1);
  /* The skip expires after two more labels (ids[2] above, ids[4] now); a
   * reference label does not count. */
  g_assert_true (gl_db_set_label (fx->db, ids[5], a, GL_DB_ORIGIN_REFERENCE, "x", NULL, &error));
  g_assert_true (gl_db_is_skipped (fx->db, ids[1]));
  g_assert_true (gl_db_set_label (fx->db, ids[4], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_false (gl_db_is_skipped (fx->db, ids[1]));
  g_autoptr (GArray) r3 = gl_db_read_queue (fx->db, 1, &error);
  g_assert_cmpuint (r3->len, ==, 1);
  g_assert_cmpint (g_array_index (r3, GlDbQueueItem, 0).image_id, ==, ids[1]);
  g_assert_true (gl_db_skip (fx->db, ids[3], 0, &error));
  g_assert_true (gl_db_is_skipped (fx->db, ids[3]));
  g_assert_true (gl_db_unskip (fx->db, ids[3], &error));
  g_assert_false (gl_db_is_skipped (fx->db, ids[3]));
  g_assert_true (gl_db_skip (fx->db, ids[3], 0, &error));
  g_assert_true (gl_db_clear_skips (fx->db, &error));
  g_assert_false (gl_db_is_skipped (fx->db, ids[3]));
  g_assert_false (gl_db_skip (fx->db, 999, 1, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
test_rules_suggestions (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a");
  gint64 ids[3];
  add_images (fx->db, 0, 3, FALSE, ids);
  gint64 r1, r2;
  g_assert_true (gl_db_add_rule (fx->db, "*/cats/*", a, &r1, &error));
  g_assert_true (gl_db_add_rule (fx->db, "*%'\"*", a, &r2, &error));
  g_assert_false (gl_db_add_rule (fx->db, "*/cats/*", a, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (gl_db_add_rule (fx->db, "x", 999, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (gl_db_delete_rule (fx->db, r1, &error));
  g_assert_false (gl_db_delete_rule (fx->db, r1, &error));
  g_clear_error (&error);
  g_autoptr (GArray) rules = gl_db_list_rules (fx->db, &error);
  g_assert_cmpuint (rules->len, ==, 1);
  g_assert_cmpstr (g_array_index (rules, GlDbRule, 0).glob, ==, "*%'\"*");

  GlDbSuggestion s[] = { { ids[0], a, (char *) "*/cats/*" }, { ids[2], a, (char *) "rule 2" } };
  g_assert_true (gl_db_replace_suggestions (fx->db, s, 2, &error));
  GlDbSuggestion got;
  g_assert_true (gl_db_get_suggestion (fx->db, ids[2], &got, &error));
  g_assert_cmpstr (got.rule, ==, "rule 2");
  gl_db_suggestion_clear (&got);
  g_assert_false (gl_db_get_suggestion (fx->db, ids[1], &got, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_RULE, "x", NULL, &error));
  g_autoptr (GArray) list = gl_db_list_suggestions (fx->db, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpint (g_array_index (list, GlDbSuggestion, 0).image_id, ==, ids[2]);
}

/* ---- Models ------------------------------------------------------------ */

static void
test_models (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a"), b = add_class (fx->db, "b");
  gint64 ids[8], held[2];
  add_images (fx->db, 0, 8, FALSE, ids);
  add_images (fx->db, 100, 2, TRUE, held);
  g_autoptr (GBytes) blob = g_bytes_new_static ("metrics", 7);
  GlDbModelVersion v = { 0, (char *) "/p/models/1.gnet", 0, 40, 0.75, NAN, 0.1, blob };
  gint64 m1, m2;
  g_assert_true (gl_db_add_model_version (fx->db, &v, &m1, &error));
  v.val_accuracy = 0.8;
  v.metrics = NULL;
  g_assert_true (gl_db_add_model_version (fx->db, &v, &m2, &error));
  GlDbModelVersion got;
  g_assert_true (gl_db_get_model_version (fx->db, m1, &got, &error));
  g_assert_cmpstr (got.path, ==, "/p/models/1.gnet");
  g_assert_cmpuint (got.n_labels, ==, 40);
  g_assert_true (isnan (got.macro_f1));
  g_assert_true (g_bytes_equal (got.metrics, blob));
  g_assert_cmpint (got.created_us, >, 0);
  gl_db_model_version_clear (&got);
  g_autoptr (GArray) versions = gl_db_list_model_versions (fx->db, &error);
  g_assert_cmpuint (versions->len, ==, 2);
  g_assert_null (g_array_index (versions, GlDbModelVersion, 1).metrics);

  /* No current model: nothing ranked. */
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, -1);
  g_autoptr (GArray) none = gl_db_top_unlabeled (fx->db, -1, 5, &error);
  g_assert_cmpuint (none->len, ==, 0);

  GlDbPrediction p[10];
  float probs[10][2];
  for (int i = 0; i < 10; i++)
    {
      probs[i][0] = (float) i / 10.f;
      probs[i][1] = 1.f - probs[i][0];
      p[i] = (GlDbPrediction) { i < 8 ? ids[i] : held[i - 8], i % 2 ? a : b, 0.5 + i / 20.0, (double) i, probs[i], 2 };
    }
  g_assert_true (gl_db_add_predictions (fx->db, m1, p, 10, &error));
  g_assert_true (gl_db_set_current_model (fx->db, m1, &error));
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, m1);
  GlDbPrediction gp;
  g_assert_true (gl_db_get_prediction (fx->db, -1, ids[3], &gp, &error));
  g_assert_cmpint (gp.top_class, ==, a);
  g_assert_cmpuint (gp.n_probs, ==, 2);
  g_assert_cmpfloat (gp.probs[0], ==, 0.3f);
  gl_db_prediction_clear (&gp);
  g_assert_false (gl_db_get_prediction (fx->db, m2, ids[3], &gp, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Top-k: highest score first, not labeled, not skipped, not held out. */
  g_assert_true (gl_db_set_label (fx->db, ids[7], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_skip (fx->db, ids[6], 10, &error));
  g_autoptr (GArray) top = gl_db_top_unlabeled (fx->db, -1, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (top->len, ==, 3);
  g_assert_cmpint (g_array_index (top, GlDbScoredImage, 0).image_id, ==, ids[5]);
  g_assert_cmpfloat (g_array_index (top, GlDbScoredImage, 0).score, ==, 5.0);
  g_assert_cmpint (g_array_index (top, GlDbScoredImage, 1).image_id, ==, ids[4]);
  g_assert_cmpint (g_array_index (top, GlDbScoredImage, 0).cache_row, ==, 5);
  g_autoptr (GArray) top_m1 = gl_db_top_unlabeled (fx->db, m1, 3, &error);
  g_assert_cmpint (g_array_index (top_m1, GlDbScoredImage, 0).image_id, ==, ids[5]);

  /* A new model's predictions, written while m1 is current, then swapped in. */
  for (int i = 0; i < 8; i++)
    p[i].score = 10.0 - i;
  g_assert_true (gl_db_add_predictions (fx->db, m2, p, 8, &error));
  g_autoptr (GArray) still = gl_db_top_unlabeled (fx->db, -1, 1, &error);
  g_assert_cmpint (g_array_index (still, GlDbScoredImage, 0).image_id, ==, ids[5]);
  g_assert_true (gl_db_set_current_model (fx->db, m2, &error));
  g_autoptr (GArray) now = gl_db_top_unlabeled (fx->db, -1, 1, &error);
  g_assert_cmpint (g_array_index (now, GlDbScoredImage, 0).image_id, ==, ids[0]);
  /* Held-out images have no prediction under m2: NOT_FOUND. */
  g_assert_false (gl_db_get_prediction (fx->db, -1, held[0], &gp, &error));
  g_clear_error (&error);

  GlDbClassMetrics cm[] = { { b, 0.5, NAN, 0.4, 3 }, { a, 1.0, 0.5, 0.66, 4 } };
  g_autoptr (GBytes) conf = g_bytes_new_static ("\1\2\3\4", 4);
  g_assert_true (gl_db_set_class_metrics (fx->db, m2, cm, 2, conf, &error));
  GBytes *conf_out = NULL;
  g_autoptr (GArray) cms = gl_db_get_class_metrics (fx->db, m2, &conf_out, &error);
  g_assert_cmpuint (cms->len, ==, 2);
  /* In the order stored, the confusion matrix's, not the classes' positions. */
  g_assert_cmpint (g_array_index (cms, GlDbClassMetrics, 0).class_id, ==, b);
  g_assert_true (isnan (g_array_index (cms, GlDbClassMetrics, 0).recall));
  g_assert_cmpuint (g_array_index (cms, GlDbClassMetrics, 0).support, ==, 3);
  g_assert_true (g_bytes_equal (conf, conf_out));
  g_bytes_unref (conf_out);
  /* Rows stored before schema 3 carry no matrix row: position order, and no
   * matrix, whose order would be a guess. */
  g_assert_true (gl_db_exec (fx->db, "UPDATE class_metrics SET matrix_row = NULL", &error));
  g_autoptr (GArray) old_rows = gl_db_get_class_metrics (fx->db, m2, &conf_out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (old_rows->len, ==, 2);
  g_assert_cmpint (g_array_index (old_rows, GlDbClassMetrics, 0).class_id, ==, a);
  g_assert_null (conf_out);
  g_assert_false (gl_db_set_class_metrics (fx->db, 999, cm, 2, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  GlDbDrift d = { 0, m2, 1, 2, 0, 0, 0.12, NAN, blob, 0 };
  gint64 did;
  g_assert_true (gl_db_add_drift (fx->db, &d, &did, &error));
  g_autoptr (GArray) drifts = gl_db_list_drift (fx->db, m2, &error);
  g_assert_cmpuint (drifts->len, ==, 1);
  g_assert_cmpfloat (g_array_index (drifts, GlDbDrift, 0).psi, ==, 0.12);
  g_assert_true (isnan (g_array_index (drifts, GlDbDrift, 0).js));
  g_autoptr (GArray) drifts_m1 = gl_db_list_drift (fx->db, m1, &error);
  g_assert_cmpuint (drifts_m1->len, ==, 0);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
}

/* ---- Listing ----------------------------------------------------------- */

typedef struct
{
  gint64 id;
  char *path;
  gint64 cls;
  gint64 pred;
  double conf, score;
  gboolean unreadable;
} Model;

static gboolean
matches (const Model *m, const GlDbFilter *f)
{
  switch (f->kind)
    {
    case GL_DB_FILTER_ALL:
      return TRUE;
    case GL_DB_FILTER_UNLABELED:
      return !m->unreadable && m->cls < 0;
    case GL_DB_FILTER_LABELED:
      return m->cls > 0;
    case GL_DB_FILTER_CLASS:
      return m->cls == f->class_id;
    case GL_DB_FILTER_PREDICTED:
      return m->pred == f->class_id;
    case GL_DB_FILTER_DISAGREEMENT:
      return m->cls > 0 && m->pred > 0 && m->pred != m->cls;
    case GL_DB_FILTER_UNREADABLE:
      return m->unreadable;
    case GL_DB_FILTER_CONFUSION:
      return m->cls == f->class_id && m->pred == f->predicted_class;
    case GL_DB_FILTER_PREDICTED_RANGE:
      return m->pred == f->class_id && m->id >= f->first_image && m->id <= f->last_image;
    default:
      g_assert_not_reached ();
    }
}

static void
test_listing (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  GRand *rand = g_rand_new_with_seed (7);
  gint64 classes[3] = { add_class (fx->db, "a"), add_class (fx->db, "b"), add_class (fx->db, "c") };
  const guint n = 400;
  Model *models = g_new0 (Model, n);
  gint64 batch;
  g_assert_true (gl_db_begin_batch (fx->db, "t", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage *im = g_new0 (GlDbNewImage, n);
  char **hashes = g_new0 (char *, n + 1);
  gint64 *ids = g_new (gint64, n);
  for (guint i = 0; i < n; i++)
    {
      /* Names repeat so that the name sort needs its id tie-break. */
      models[i].path = g_strdup_printf ("/d/%c/%03u.png", 'a' + g_rand_int_range (rand, 0, 3),
                                        g_rand_int_range (rand, 0, 150));
      hashes[i] = g_strdup_printf ("h%u", i);
      models[i].unreadable = g_rand_int_range (rand, 0, 10) == 0;
      im[i].path = models[i].path;
      im[i].hash_hex = models[i].unreadable ? NULL : hashes[i];
      im[i].reason = models[i].unreadable ? "bad" : NULL;
      im[i].cache_row = models[i].unreadable ? -1 : (gint64) i;
    }
  /* Unreadable paths are recorded once each: make them unique. */
  for (guint i = 0; i < n; i++)
    if (models[i].unreadable)
      {
        g_free (models[i].path);
        models[i].path = g_strdup_printf ("/bad/%u", i);
        im[i].path = models[i].path;
      }
  g_assert_true (gl_db_add_images (fx->db, batch, im, n, ids, NULL, &error));
  g_assert_no_error (error);
  GlDbModelVersion v = { 0, (char *) "m", 0, 0, NAN, NAN, NAN, NULL };
  gint64 m;
  g_assert_true (gl_db_add_model_version (fx->db, &v, &m, &error));
  g_autoptr (GArray) preds = g_array_new (FALSE, FALSE, sizeof (GlDbPrediction));
  for (guint i = 0; i < n; i++)
    {
      models[i].id = ids[i];
      models[i].cls = -1;
      models[i].pred = -1;
      models[i].conf = NAN;
      models[i].score = NAN;
      if (models[i].unreadable)
        continue;
      if (g_rand_int_range (rand, 0, 3) == 0)
        {
          models[i].cls = classes[g_rand_int_range (rand, 0, 3)];
          g_assert_true (gl_db_set_label (fx->db, ids[i], models[i].cls, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
        }
      if (g_rand_int_range (rand, 0, 5) != 0)
        {
          /* Scores from a few values: ties need the id tie-break. */
          models[i].pred = classes[g_rand_int_range (rand, 0, 3)];
          models[i].conf = g_rand_int_range (rand, 0, 20) / 20.0;
          models[i].score = g_rand_int_range (rand, 0, 30) / 7.0;
          GlDbPrediction p = { ids[i], models[i].pred, models[i].conf, models[i].score, NULL, 0 };
          g_array_append_val (preds, p);
        }
    }
  g_assert_true (gl_db_add_predictions (fx->db, m, (GlDbPrediction *) (void *) preds->data, preds->len, &error));
  g_assert_true (gl_db_set_current_model (fx->db, m, &error));

  GlDbFilter filters[] = { { GL_DB_FILTER_ALL, 0 },         { GL_DB_FILTER_UNLABELED, 0 },
                           { GL_DB_FILTER_LABELED, 0 },     { GL_DB_FILTER_CLASS, classes[1] },
                           { GL_DB_FILTER_PREDICTED, classes[2] }, { GL_DB_FILTER_DISAGREEMENT, 0 },
                           { GL_DB_FILTER_UNREADABLE, 0 },
                           { GL_DB_FILTER_CONFUSION, classes[0], classes[1] },
                           { GL_DB_FILTER_CONFUSION, classes[2], classes[2] },
                           { GL_DB_FILTER_PREDICTED_RANGE, classes[1], -1, models[100].id, models[229].id } };
  guint page_sizes[] = { 1, 7, 64, 1000 };
  for (guint f = 0; f < G_N_ELEMENTS (filters); f++)
    {
      guint64 expected = 0;
      for (guint i = 0; i < n; i++)
        expected += matches (&models[i], &filters[f]);
      guint64 counted = 0;
      g_assert_true (gl_db_count_images (fx->db, &filters[f], &counted, &error));
      g_assert_cmpuint (counted, ==, expected);
      for (GlDbSort sort = GL_DB_SORT_UNCERTAINTY; sort <= GL_DB_SORT_CONFIDENCE; sort++)
        for (guint ps = 0; ps < G_N_ELEMENTS (page_sizes); ps++)
          {
            g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
            g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (GlDbListRow));
            GlDbCursor *cursor = NULL;
            guint pages = 0;
            do
              {
                GArray *rows = NULL;
                GlDbCursor *next = NULL;
                g_assert_true (gl_db_list_images (fx->db, &filters[f], sort, cursor, page_sizes[ps], &rows, &next,
                                                  &error));
                g_assert_no_error (error);
                g_assert_cmpuint (rows->len, <=, page_sizes[ps]);
                for (guint r = 0; r < rows->len; r++)
                  {
                    GlDbListRow *row = &g_array_index (rows, GlDbListRow, r);
                    g_assert_false (g_hash_table_contains (seen, &row->image_id));
                    g_hash_table_add (seen, &row->image_id);
                    const Model *mo = &models[row->image_id - ids[0]];
                    g_assert_cmpint (mo->id, ==, row->image_id);
                    g_assert_true (matches (mo, &filters[f]));
                    g_assert_cmpstr (row->path, ==, mo->path);
                    g_assert_cmpint (row->class_id, ==, mo->cls);
                    g_assert_cmpint (row->predicted_class, ==, mo->pred);
                    g_assert_cmpint (row->unreadable, ==, mo->unreadable);
                    g_assert_true (isnan (mo->conf) ? isnan (row->confidence) : row->confidence == mo->conf);
                    GlDbListRow copy = *row;
                    copy.path = copy.hash_hex = NULL;
                    g_array_append_val (all, copy);
                  }
                /* Keep the ids alive for the hash table: they live in @all. */
                g_hash_table_remove_all (seen);
                for (guint r = 0; r < all->len; r++)
                  g_hash_table_add (seen, &g_array_index (all, GlDbListRow, r).image_id);
                g_array_unref (rows);
                gl_db_cursor_free (cursor);
                cursor = next;
                g_assert_cmpuint (++pages, <=, n + 2);
              }
            while (cursor != NULL);
            g_assert_cmpuint (all->len, ==, expected);
            /* The order. */
            for (guint r = 1; r < all->len; r++)
              {
                const GlDbListRow *x = &g_array_index (all, GlDbListRow, r - 1);
                const GlDbListRow *y = &g_array_index (all, GlDbListRow, r);
                const Model *mx = &models[x->image_id - ids[0]], *my = &models[y->image_id - ids[0]];
                switch (sort)
                  {
                  case GL_DB_SORT_NEWEST:
                    g_assert_cmpint (x->image_id, >, y->image_id);
                    break;
                  case GL_DB_SORT_NAME:
                    {
                      int c = strcmp (mx->path, my->path);
                      g_assert_true (c < 0 || (c == 0 && x->image_id < y->image_id));
                      break;
                    }
                  default:
                    {
                      double kx = sort == GL_DB_SORT_UNCERTAINTY ? x->score : x->confidence;
                      double ky = sort == GL_DB_SORT_UNCERTAINTY ? y->score : y->confidence;
                      if (isnan (kx))
                        g_assert_true (isnan (ky) && x->image_id < y->image_id);
                      else if (!isnan (ky))
                        g_assert_true (kx > ky || (kx == ky && x->image_id < y->image_id));
                    }
                  }
              }
          }
    }
  /* A cursor of another sort is refused. */
  GArray *rows = NULL;
  GlDbCursor *next = NULL;
  g_assert_true (gl_db_list_images (fx->db, &filters[0], GL_DB_SORT_NAME, NULL, 2, &rows, &next, &error));
  g_array_unref (rows);
  g_autoptr (GlDbCursor) copy = gl_db_cursor_copy (next);
  gl_db_cursor_free (next);
  g_assert_false (gl_db_list_images (fx->db, &filters[0], GL_DB_SORT_NEWEST, copy, 2, &rows, &next, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);

  for (guint i = 0; i < n; i++)
    g_free (models[i].path);
  g_free (models);
  g_free (im);
  g_strfreev (hashes);
  g_free (ids);
  g_rand_free (rand);
}

/* Every page query runs on an index, in index order: no full scan of images
 * and no sort step, so a page costs O(log n + limit). */
/* A swap over many chunks, with labels committed meanwhile on a second
 * connection, and one interrupted half-way that the next open finishes. */
typedef struct
{
  const char *path;
  gint64 klass;
  int stop;
  guint labeled;
} SwapLabeler;

static gpointer
swap_labeler (gpointer data)
{
  SwapLabeler *sl = data;
  GError *error = NULL;
  GlDb *db = gl_db_open (sl->path, &error);
  g_assert_no_error (error);
  /* Labels image 1, 2, … until told to stop (at least one). */
  do
    {
      g_assert_true (gl_db_set_label (db, sl->labeled + 1, sl->klass, GL_DB_ORIGIN_HUMAN, "other", NULL, &error));
      g_assert_no_error (error);
      sl->labeled++;
    }
  while (!g_atomic_int_get (&sl->stop));
  gl_db_close (db);
  return NULL;
}

static void
check_listing_of (GlDb *db, gint64 model, guint n)
{
  GError *error = NULL;
  GlDbFilter all = { GL_DB_FILTER_ALL, 0 };
  GArray *rows = NULL;
  GlDbCursor *next = NULL;
  g_assert_true (gl_db_list_images (db, &all, GL_DB_SORT_NEWEST, NULL, n + 1, &rows, &next, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, n);
  for (guint i = 0; i < rows->len; i++)
    {
      const GlDbListRow *r = &g_array_index (rows, GlDbListRow, i);
      GlDbPrediction p;
      if (!gl_db_get_prediction (db, model, r->image_id, &p, &error))
        {
          g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
          g_clear_error (&error);
          g_assert_true (isnan (r->score));
          g_assert_cmpint (r->predicted_class, ==, -1);
          continue;
        }
      g_assert_cmpfloat (r->score, ==, p.score);
      g_assert_cmpfloat (r->confidence, ==, p.top_prob);
      g_assert_cmpint (r->predicted_class, ==, p.top_class);
      gl_db_prediction_clear (&p);
    }
  g_array_unref (rows);
  gl_db_cursor_free (next);
}

static void
test_swap_large (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  const guint n = 6000;
  gint64 a = add_class (fx->db, "a"), b = add_class (fx->db, "b");
  add_images (fx->db, 0, n, FALSE, NULL);
  GlDbModelVersion v = { 0, (char *) "models/1.gnet", 0, 10, 0.5, 0.5, 0.1, NULL };
  gint64 m[2];
  g_assert_true (gl_db_add_model_version (fx->db, &v, &m[0], &error));
  g_assert_true (gl_db_add_model_version (fx->db, &v, &m[1], &error));
  GlDbPrediction *p = g_new0 (GlDbPrediction, n);
  for (guint k = 0; k < 2; k++)
    {
      guint with = 0;
      for (guint i = 0; i < n; i++)
        {
          /* Model 2 has no prediction for every seventh image. */
          if (k == 1 && i % 7 == 0)
            continue;
          double s = k == 0 ? (double) i / n : (double) ((i * 7919u) % n) / n;
          p[with++] = (GlDbPrediction) { i + 1, (i + k) % 2 ? a : b, 1.0 - s / 2, s, NULL, 0 };
        }
      g_assert_true (gl_db_add_predictions (fx->db, m[k], p, with, &error));
      g_assert_no_error (error);
    }
  g_free (p);
  g_assert_true (gl_db_set_current_model (fx->db, m[0], &error));
  check_listing_of (fx->db, m[0], n);

  SwapLabeler sl = { fx->path, a, 0, 0 };
  GThread *t = g_thread_new ("labeler", swap_labeler, &sl);
  g_assert_true (gl_db_set_current_model (fx->db, m[1], &error));
  g_assert_no_error (error);
  g_atomic_int_set (&sl.stop, 1);
  g_thread_join (t);
  g_assert_cmpint (gl_db_get_current_model (fx->db), ==, m[1]);
  check_listing_of (fx->db, m[1], n);
  /* Every label of the other connection is there. */
  for (guint i = 1; i <= sl.labeled; i++)
    {
      GlDbLabel l;
      g_assert_true (gl_db_get_current_label (fx->db, i, FALSE, &l, &error));
      g_assert_cmpint (l.class_id, ==, a);
      gl_db_label_clear (&l);
    }

  /* A swap back to model 1 interrupted after its first chunk (the state a
   * crash leaves): opening finishes it. */
  gl_db_close (fx->db);
  sqlite3 *raw = NULL;
  g_assert_cmpint (sqlite3_open (fx->path, &raw), ==, SQLITE_OK);
  g_autofree char *sql = g_strdup_printf ("UPDATE counters SET value = %" G_GINT64_FORMAT " WHERE name = 'current_model';"
                                          "UPDATE counters SET value = 1 WHERE name = 'listing_pending';"
                                          "INSERT OR REPLACE INTO counters (name, value) VALUES ('listing_next', 1000);",
                                          m[0]);
  g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  fx->db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  /* Ids 1…1000 still carry model 2's columns (the chunk "committed"); the rest model 1's. */
  GlDbFilter all = { GL_DB_FILTER_ALL, 0 };
  guint64 count = 0;
  g_assert_true (gl_db_count_images (fx->db, &all, &count, &error));
  g_assert_cmpuint (count, ==, n);
  GArray *rows = NULL;
  GlDbCursor *next = NULL;
  g_assert_true (gl_db_list_images (fx->db, &all, GL_DB_SORT_NEWEST, NULL, 10, &rows, &next, &error));
  GlDbPrediction gp;
  g_assert_true (gl_db_get_prediction (fx->db, m[0], g_array_index (rows, GlDbListRow, 0).image_id, &gp, &error));
  g_assert_cmpfloat (g_array_index (rows, GlDbListRow, 0).score, ==, gp.score);
  gl_db_prediction_clear (&gp);
  g_array_unref (rows);
  gl_db_cursor_free (next);
  g_assert_true (gl_db_set_current_model (fx->db, m[0], &error));
  check_listing_of (fx->db, m[0], n);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
}

/* The query plan of a listing page, its steps joined by "; ". Phases 0 and
 * 1: the first and a later page on listing slot 0; 2 and 3: the same on
 * slot 1 (schema 6). */
static GString *
listing_plan (sqlite3 *h, const GlDbFilter *f, GlDbSort s, int phase)
{
  g_autofree char *sql0 = gl_db_listing_sql (f, s, phase % 2);
  g_autofree char *sql = gl_db_slot_sql (sql0, phase / 2);
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (h, explain, -1, &st, NULL), ==, SQLITE_OK);
  GString *plan = g_string_new (NULL);
  while (sqlite3_step (st) == SQLITE_ROW)
    g_string_append_printf (plan, "%s; ", sqlite3_column_text (st, 3));
  sqlite3_finalize (st);
  if (g_test_verbose ())
    g_test_message ("%d/%d/%d: %s", f->kind, s, phase, plan->str);
  return plan;
}

static void
test_listing_plans (Fixture *fx, gconstpointer data)
{
  if (gl_test_db_skip_unless_file ())
    return;
  add_class (fx->db, "a");
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open_v2 (fx->path, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (GlDbFilterKind k = GL_DB_FILTER_ALL; k <= GL_DB_FILTER_PREDICTED_RANGE; k++)
    for (GlDbSort s = GL_DB_SORT_UNCERTAINTY; s <= GL_DB_SORT_CONFIDENCE; s++)
      for (int phase = 0; phase < 4; phase++)
        {
          /* Phases 2 and 3: the same queries on listing slot 1 (schema 6). */
          if (k == GL_DB_FILTER_SUSPECTED)
            continue; /* test_listing_label_error_plans */
          GlDbFilter f = { k, 1, 1, 1, 100 };
          GString *plan = listing_plan (h, &f, s, phase);
          g_assert_null (strstr (plan->str, "TEMP B-TREE"));
          /* SEARCH = a range or equality on the index, never a full scan. */
          g_assert_nonnull (strstr (plan->str, "SEARCH images"));
          g_string_free (plan, TRUE);
        }
  sqlite3_close (h);
}

/* The suspected-errors filter and the label-error order: valid for every
 * filter and sort, never a scan of the whole images table; the order's
 * first phase walks the current version's label-error rows (its primary
 * key's model_id prefix) and sorts them, one row per label. */
static void
test_listing_label_error_plans (Fixture *fx, gconstpointer data)
{
  if (gl_test_db_skip_unless_file ())
    return;
  add_class (fx->db, "a");
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open_v2 (fx->path, &h, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (GlDbFilterKind k = GL_DB_FILTER_ALL; k <= GL_DB_FILTER_SUSPECTED; k++)
    for (GlDbSort s = GL_DB_SORT_UNCERTAINTY; s <= GL_DB_SORT_DISAGREEMENT; s++)
      for (int phase = 0; phase < 4; phase++) /* listing slots 0 and 1 */
        {
          if (k != GL_DB_FILTER_SUSPECTED && s != GL_DB_SORT_DISAGREEMENT)
            continue; /* test_listing_plans */
          GlDbFilter f = { k, 1, 1 };
          GString *plan = listing_plan (h, &f, s, phase);
          g_assert_null (strstr (plan->str, "SCAN images"));
          if (s == GL_DB_SORT_DISAGREEMENT && phase % 2 == 0)
            g_assert_nonnull (strstr (plan->str, "SEARCH e USING"));
          g_string_free (plan, TRUE);
        }
  sqlite3_close (h);
}

/* ---- Migration from version 1 ------------------------------------------ */

static void
test_migrate_v1 (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-db-v1-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "project.gleaner-db", NULL);
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open (path, &h), ==, SQLITE_OK);
  /* The schema and rows as the first app/gl-project.c wrote them. */
  const char *v1 =
    "PRAGMA journal_mode = WAL;"
    "BEGIN;"
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE classes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, position INTEGER NOT NULL);"
    "CREATE TABLE import_batches (id INTEGER PRIMARY KEY, source TEXT NOT NULL, labels_as TEXT NOT NULL,"
    "  held_out_test INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);"
    "CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT NOT NULL, hash TEXT UNIQUE, size INTEGER NOT NULL,"
    "  batch_id INTEGER NOT NULL REFERENCES import_batches (id), cache_row INTEGER, reason TEXT);"
    "CREATE TABLE labels (id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images (id),"
    "  class_id INTEGER REFERENCES classes (id), origin TEXT NOT NULL, created_us INTEGER NOT NULL);"
    "CREATE INDEX labels_image ON labels (image_id);"
    "CREATE INDEX images_batch ON images (batch_id);"
    "CREATE INDEX images_path ON images (path);"
    "INSERT INTO settings VALUES ('input_h', '28'), ('input_w', '28'), ('input_c', '1');"
    "INSERT INTO classes VALUES (1, 'shirt', 0), (2, 'a/b ''q'' 🐈', 1), (3, 'bag', 2);"
    "INSERT INTO import_batches VALUES (1, '/data', 'human', 0, 3, 1000), (2, '/test', 'reference', 1, 0, 2000);"
    "INSERT INTO images VALUES (1, '/data/1.png', 'h1', 10, 1, 0, NULL), (2, '/data/2.png', 'h2', 10, 1, 1, NULL),"
    "  (3, '/data/bad.png', NULL, 0, 1, NULL, 'truncated'), (4, '/test/4.png', 'h4', 10, 2, 2, NULL);"
    "INSERT INTO labels VALUES (1, 1, 2, 'human', 1000), (2, 1, 3, 'human', 1001), (3, 4, 1, 'reference', 2000),"
    "  (4, 2, NULL, 'human', 1002);"
    "PRAGMA user_version = 1;"
    "COMMIT;";
  g_assert_cmpint (sqlite3_exec (h, v1, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (h);

  g_autoptr (GlDb) db = gl_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (db), ==, GL_DB_SCHEMA_VERSION);
  g_assert_true (gl_db_check_integrity (db, &error));
  g_autofree char *hh = gl_db_get_setting (db, GL_DB_SETTING_INPUT_H);
  g_assert_cmpstr (hh, ==, "28");
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, &error);
  g_assert_cmpuint (classes->len, ==, 3);
  g_assert_cmpstr (g_array_index (classes, GlDbClass, 1).name, ==, "a/b 'q' 🐈");
  g_assert_cmpuint (g_array_index (classes, GlDbClass, 2).shortcut, ==, '3');
  g_assert_cmpint (g_array_index (classes, GlDbClass, 2).colour[0], ==, '#');
  GlDbCounts c;
  g_assert_true (gl_db_get_counts (db, &c, &error));
  g_assert_cmpuint (c.images, ==, 4);
  g_assert_cmpuint (c.unreadable, ==, 1);
  g_assert_cmpuint (c.labeled, ==, 1); /* image 2 was unlabeled by its last row */
  g_assert_cmpuint (c.reference_labeled, ==, 1);
  g_assert_cmpuint (c.held_out_test, ==, 1);
  g_assert_cmpuint (c.duplicates, ==, 3);
  g_assert_cmpint (current (db, 1), ==, 3);
  g_assert_cmpint (current (db, 2), ==, -1);
  g_autoptr (GArray) h1 = gl_db_get_history (db, 1, &error);
  g_assert_cmpuint (h1->len, ==, 2);
  g_assert_cmpstr (g_array_index (h1, GlDbLabel, 0).annotator, ==, "import");
  GlDbImage img;
  g_assert_true (gl_db_get_image (db, 4, &img, &error));
  g_assert_true (img.held_out_test);
  g_assert_cmpint (img.created_us, ==, 2000);
  gl_db_image_clear (&img);
  /* The migrated store works: labels, a class named like a deleted one. */
  g_assert_true (gl_db_set_label (db, 2, 1, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_delete_class (db, 3, -1, "ann", NULL, &error));
  add_class (db, "bag");
  g_assert_true (gl_db_check_integrity (db, &error));
  g_clear_pointer (&db, gl_db_close);
  /* Opening again does not migrate twice. */
  db = gl_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (current (db, 2), ==, 1);
  g_clear_pointer (&db, gl_db_close);
  remove_dir (dir);
}

/* A version 2 file kept the audit images as a setting of ids; version 3
 * moves them into audit_images on open (ids of images that do not exist and
 * stray text are dropped) and removes the setting. */
static void
test_migrate_v2 (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  gint64 a = add_class (fx->db, "a");
  gint64 ids[3];
  add_images (fx->db, 0, 3, FALSE, ids);
  g_assert_true (gl_db_set_label (fx->db, ids[1], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_clear_pointer (&fx->db, gl_db_close);
  /* Back to version 2 as that build left it. */
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open (fx->path, &h), ==, SQLITE_OK);
  g_autofree char *v2 = g_strdup_printf ("BEGIN; " GL_TEST_UNDO_V9 GL_TEST_UNDO_V8 GL_TEST_UNDO_V7 GL_TEST_UNDO_V6 GL_TEST_UNDO_V5 GL_TEST_UNDO_V4
                                         " DROP TABLE audit_images;"
                                         " ALTER TABLE class_metrics DROP COLUMN matrix_row;"
                                         " INSERT INTO settings VALUES ('audit_images', '%" G_GINT64_FORMAT
                                         " 99999 x %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "');"
                                         " PRAGMA user_version = 2; COMMIT;",
                                         ids[2], ids[0], ids[2]);
  g_assert_cmpint (sqlite3_exec (h, v2, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (h);

  GlDb *db = fx->db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_schema_version (db), ==, GL_DB_SCHEMA_VERSION);
  g_assert_true (gl_db_check_integrity (db, &error));
  g_autoptr (GArray) audit = gl_db_list_audit_images (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  g_assert_cmpint (g_array_index (audit, gint64, 0), ==, ids[0]);
  g_assert_cmpint (g_array_index (audit, gint64, 1), ==, ids[2]);
  g_autofree char *setting = gl_db_get_setting (db, "audit_images");
  g_assert_null (setting);
  g_assert_cmpint (current (db, ids[1]), ==, a);
}

/* An audit label records its image in the label's own transaction. */
static void
test_audit_labels (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 a = add_class (fx->db, "a");
  gint64 ids[4];
  add_images (fx->db, 0, 4, FALSE, ids);
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_audit_label (fx->db, ids[2], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_audit_label (fx->db, ids[1], a, GL_DB_ORIGIN_PREDICTION, "ann", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (current (fx->db, ids[2]), ==, a);
  /* Failures record nothing: an unknown class, an unknown image. */
  g_assert_false (gl_db_set_audit_label (fx->db, ids[3], 999, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_clear_error (&error);
  g_assert_false (gl_db_set_audit_label (fx->db, 12345, a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_clear_error (&error);
  /* Undo leaves the image an audit image; labeling it again does not add it twice. */
  gint64 undone = -1;
  g_assert_true (gl_db_undo_last (fx->db, "ann", &undone, &error));
  g_assert_cmpint (undone, ==, ids[1]);
  g_assert_cmpint (current (fx->db, ids[1]), ==, -1);
  g_assert_true (gl_db_set_audit_label (fx->db, ids[1], a, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_autoptr (GArray) audit = gl_db_list_audit_images (fx->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  g_assert_cmpint (g_array_index (audit, gint64, 0), ==, ids[1]);
  g_assert_cmpint (g_array_index (audit, gint64, 1), ==, ids[2]);
}

/* ---- Failures ---------------------------------------------------------- */

static void
test_full (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  gint64 a = add_class (fx->db, "a");
  gint64 ids[1];
  add_images (fx->db, 0, 1, FALSE, ids);
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  /* Checkpoint so that the limit applies to the main file now. */
  g_assert_true (gl_db_exec (fx->db, "PRAGMA wal_checkpoint(TRUNCATE)", &error));
  gint64 pages = gl_db_query_int (fx->db, "PRAGMA page_count", FALSE, 0, 0);
  g_assert_true (gl_db_set_max_pages (fx->db, (guint64) pages, &error));
  gboolean failed = FALSE;
  guint added = 0;
  for (guint i = 0; i < 2000 && !failed; i++)
    {
      gint64 batch;
      if (!gl_db_begin_batch (fx->db, "more", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error))
        {
          failed = TRUE;
          break;
        }
      char path[64], hash[65];
      g_snprintf (path, sizeof path, "/more/%u/with/a/longer/path/name.png", i);
      g_snprintf (hash, sizeof hash, "%064u", 1000 + i);
      GlDbNewImage im = { path, hash, 1, i, NULL, "a" };
      if (!gl_db_add_images (fx->db, batch, &im, 1, NULL, NULL, &error))
        failed = TRUE;
      else
        added++;
    }
  g_assert_true (failed);
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_FULL);
  g_assert_nonnull (strstr (error->message, "full"));
  g_clear_error (&error);
  g_assert_true (gl_db_set_max_pages (fx->db, 0, &error));
  g_assert_cmpint (current (fx->db, ids[0]), ==, a);
  g_assert_true (gl_db_check_integrity (fx->db, &error));
  GlDbCounts c;
  g_assert_true (gl_db_get_counts (fx->db, &c, &error));
  g_assert_cmpuint (c.images, ==, 1 + added);
  g_autoptr (GArray) h = gl_db_get_history (fx->db, ids[0], &error);
  g_assert_cmpint (g_array_index (h, GlDbLabel, 0).class_id, ==, a);
}

static void
test_busy (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  gint64 a = add_class (fx->db, "a");
  gint64 ids[1];
  add_images (fx->db, 0, 1, FALSE, ids);
  sqlite3 *h;
  g_assert_cmpint (sqlite3_open (fx->path, &h), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (h, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  /* Readers go on while another connection writes. */
  g_assert_cmpint (current (fx->db, ids[0]), ==, -1);
  g_assert_false (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "busy"));
  g_clear_error (&error);
  sqlite3_exec (h, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (h);
  g_assert_true (gl_db_set_label (fx->db, ids[0], a, GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_cmpint (current (fx->db, ids[0]), ==, a);
}

/* Labels back to back, as a script or a fast annotator does: the
 * checkpointer thread and the catch-up in the committing connection let the
 * WAL start again from its beginning, so it stays small instead of growing by
 * every label's pages (3,000 labels of ~15 pages each would be ~180 MB). */
static void
test_wal_bounded (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  if (gl_test_db_skip_unless_file ())
    return;
  gint64 klass[2] = { add_class (fx->db, "a"), add_class (fx->db, "b") };
  const guint n = 2000, n_labels = 3000;
  gint64 *ids = g_new (gint64, n);
  add_images (fx->db, 0, n, FALSE, ids);
  g_autofree char *wal = g_strconcat (fx->path, "-wal", NULL);
  gint64 wal_max = 0;
  for (guint i = 0; i < n_labels; i++)
    {
      g_assert_true (gl_db_set_label (fx->db, ids[(i * 7919) % n], klass[i % 2], GL_DB_ORIGIN_HUMAN, "x", NULL,
                                      &error));
      g_assert_no_error (error);
      GStatBuf st;
      if (g_stat (wal, &st) == 0)
        wal_max = MAX (wal_max, (gint64) st.st_size);
    }
  g_test_message ("largest WAL during %u labels: %" G_GINT64_FORMAT " bytes", n_labels, wal_max);
  g_assert_cmpint (wal_max, >, 0);
  g_assert_cmpint (wal_max, <, 32 << 20);
  /* Every label is there after a reopen. */
  gl_db_close (fx->db);
  fx->db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  for (guint i = n_labels - 2; i < n_labels; i++)
    g_assert_cmpint (current (fx->db, ids[(i * 7919) % n]), ==, klass[i % 2]);
  GlDbCounts c;
  g_assert_true (gl_db_get_counts (fx->db, &c, &error));
  g_assert_cmpuint (c.labeled, ==, n);
  guint history = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GArray) h = gl_db_get_history (fx->db, ids[i], &error);
      g_assert_no_error (error);
      history += h->len;
    }
  g_assert_cmpuint (history, ==, n_labels);
  g_free (ids);
}

/* Failing the Nth allocation inside SQLite (its own testing habit): every
 * call either succeeds or returns a clean error, nothing half-written stays
 * and nothing leaks (ASan build). */
static sqlite3_mem_methods real_mem;
static gint fail_countdown = -1; /* > 0: allocations left before failing; 0: failing */

static void *
faulty_malloc (int n)
{
  if (fail_countdown == 0)
    return NULL;
  if (fail_countdown > 0)
    fail_countdown--;
  return real_mem.xMalloc (n);
}

static void *
faulty_realloc (void *p, int n)
{
  if (fail_countdown == 0)
    return NULL;
  if (fail_countdown > 0)
    fail_countdown--;
  return real_mem.xRealloc (p, n);
}

static void
test_malloc_faults (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-db-oom-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "p.db", NULL);
  GlDb *db = gl_db_create (path, &error);
  g_assert_no_error (error);
  gint64 a = add_class (db, "a");
  gint64 ids[1];
  add_images (db, 0, 1, FALSE, ids);
  guint committed = 0, failures = 0;
  for (int n = 0; n < 1000; n++)
    {
      /* Fresh statements each round, so that preparing can fail too. */
      gl_db_close (db);
      db = gl_db_open (path, &error);
      g_assert_no_error (error);
      fail_countdown = n;
      gboolean ok = gl_db_set_label (db, ids[0], (n % 2) ? a : -1, GL_DB_ORIGIN_HUMAN, "x", NULL, &error);
      char p[32], hsh[32];
      g_snprintf (p, sizeof p, "/oom/%d", n);
      g_snprintf (hsh, sizeof hsh, "oom%d", n);
      GlDbNewImage im = { p, hsh, 1, n, NULL, "a" };
      gint64 id = -1;
      gboolean ok2 = gl_db_add_images (db, 1, &im, 1, &id, NULL, ok ? &error : NULL);
      fail_countdown = -1;
      if (ok)
        committed++;
      else
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == GL_DB_ERROR);
          failures++;
        }
      g_clear_error (&error);
      /* All or nothing, as another connection sees it (a ROLLBACK that
       * failed for memory too leaves this one's transaction open until it
       * is closed). */
      GlDb *check = gl_db_open (path, &error);
      g_assert_no_error (error);
      g_assert_true (gl_db_has_hash (check, hsh) == ok2);
      gl_db_close (check);
    }
  gl_db_close (db);
  db = gl_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (gl_db_check_integrity (db, &error));
  g_autoptr (GArray) h = gl_db_get_history (db, ids[0], &error);
  g_assert_cmpuint (h->len, ==, committed);
  g_assert_cmpuint (failures, >, 0);
  g_assert_cmpuint (committed, >, 0);
  gl_db_close (db);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  /* Before SQLite initializes: wrap its allocator for test_malloc_faults. */
  sqlite3_config (SQLITE_CONFIG_GETMALLOC, &real_mem);
  sqlite3_mem_methods faulty = real_mem;
  faulty.xMalloc = faulty_malloc;
  faulty.xRealloc = faulty_realloc;
  sqlite3_config (SQLITE_CONFIG_MALLOC, &faulty);

  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/db/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("open-errors", test_open_errors);
  ADD ("settings", test_settings);
  ADD ("class-names", test_class_names);
  ADD ("class-edit", test_class_edit);
  ADD ("merge-delete", test_merge_delete);
  ADD ("images", test_images);
  ADD ("labels-undo", test_labels_undo);
  ADD ("foreach-labels", test_foreach_labels);
  ADD ("queue-skips", test_queue_skips);
  ADD ("rules-suggestions", test_rules_suggestions);
  ADD ("models", test_models);
  ADD ("listing", test_listing);
  ADD ("listing-plans", test_listing_plans);
  ADD ("listing-label-error-plans", test_listing_label_error_plans);
  ADD ("swap-large", test_swap_large);
  ADD ("full", test_full);
  ADD ("busy", test_busy);
  ADD ("wal-bounded", test_wal_bounded);
  ADD ("audit-labels", test_audit_labels);
  ADD ("migrate-v2", test_migrate_v2);
  g_test_add_func ("/db/migrate-v1", test_migrate_v1);
  g_test_add_func ("/db/malloc-faults", test_malloc_faults);
  return g_test_run ();
}
