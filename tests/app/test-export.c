/* Tests of the dataset export: safe and unique folder names, the stratified
 * split, JSON/CSV escaping, ImageFolder (copy, hardlink, symlink), CSV and
 * JSON writers, IDX-only images written as PNG from the pixel cache, refusal
 * of a non-empty target, a symlink planted in a forced target, cancellation,
 * and export → import of an ImageFolder giving identical labels. */
#include "app/gl-export.h"
#include "app/gl-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
make_tmp (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("gl-export-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
write_png (const char *path, guint seed)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  gdk_pixbuf_fill (pb, ((seed * 2654435761u) & 0xffffff00u) | 0xff);
  gdk_pixbuf_get_pixels (pb)[0] = (guint8) seed;
  gdk_pixbuf_get_pixels (pb)[1] = (guint8) (seed >> 8);
  g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
}

/* ---- pure functions ---- */

static void
test_folder_names (void)
{
  g_autofree char *long_name = g_strnfill (1000, 'x');
  const char *names[] = { "T-shirt/top", "/", "..", ".", "", "\"quoted\" 'name'", "👟 sneaker", "Boot", "boot",
                          long_name, "a\\b", "con\ttrol\n", "Élan", "..hidden", "same", "same-2", NULL };
  guint n = g_strv_length ((char **) names);
  g_auto (GStrv) out = gl_export_folder_names (names, n);
  g_assert_cmpuint (g_strv_length (out), ==, n);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n; i++)
    {
      const char *f = out[i];
      g_assert_true (g_utf8_validate (f, -1, NULL));
      g_assert_cmpuint (strlen (f), >, 0);
      g_assert_cmpuint (strlen (f), <=, 100);
      g_assert_null (strchr (f, '/'));
      g_assert_null (strchr (f, '\\'));
      g_assert_null (strchr (f, '"'));
      g_assert_null (strchr (f, '\''));
      g_assert_null (strchr (f, '\n'));
      g_assert_true (f[0] != '.');
      g_assert_cmpstr (f, !=, "..");
      g_autofree char *fold = g_utf8_casefold (f, -1);
      g_assert_false (g_hash_table_contains (seen, fold));
      g_hash_table_add (seen, g_steal_pointer (&fold));
    }
  g_assert_cmpstr (out[0], ==, "T-shirt_top");
  g_assert_cmpstr (out[12], ==, "Élan");
  g_assert_cmpstr (out[7], ==, "Boot");
  g_assert_cmpstr (out[8], ==, "boot-2");
  g_assert_cmpstr (out[4], ==, "class-4");
  g_assert_cmpstr (out[14], ==, "same");
  g_assert_cmpstr (out[15], ==, "same-2");

  g_autofree char *a = gl_export_safe_file_name ("/x/y/../evil name.PNG");
  g_assert_cmpstr (a, ==, "evil name.PNG");
  g_autofree char *b = gl_export_safe_file_name ("/x/..");
  g_assert_cmpstr (b, ==, "image");
  g_autofree char *c = gl_export_safe_file_name ("train-images-idx3-ubyte#17");
  g_assert_null (strchr (c, '#'));
}

static void
test_split (void)
{
  /* class 0: 50 items, class 1: 10, class 2: 1, class 3: 0 */
  gint classes[61];
  for (guint i = 0; i < 61; i++)
    classes[i] = i < 50 ? 0 : i < 60 ? 1 : 2;
  const double shares[3] = { 0.8, 0.1, 0.1 };
  GlSplit a[61], b[61], c[61];
  gl_export_split (classes, 61, 4, shares, 7, a);
  gl_export_split (classes, 61, 4, shares, 7, b);
  gl_export_split (classes, 61, 4, shares, 8, c);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_true (memcmp (a, c, sizeof a) != 0);
  guint count[3][3] = { { 0 } };
  for (guint i = 0; i < 61; i++)
    count[classes[i]][a[i]]++;
  g_assert_cmpuint (count[0][GL_SPLIT_TRAIN], ==, 40);
  g_assert_cmpuint (count[0][GL_SPLIT_VAL], ==, 5);
  g_assert_cmpuint (count[0][GL_SPLIT_TEST], ==, 5);
  g_assert_cmpuint (count[1][GL_SPLIT_TRAIN], ==, 8);
  g_assert_cmpuint (count[1][GL_SPLIT_VAL], ==, 1);
  g_assert_cmpuint (count[1][GL_SPLIT_TEST], ==, 1);
  g_assert_cmpuint (count[2][GL_SPLIT_TRAIN], ==, 1);

  double s[3];
  GError *error = NULL;
  g_assert_true (gl_export_parse_split ("80,10,10", s, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (s[0], 0.8, 1e-12);
  g_assert_cmpfloat_with_epsilon (s[2], 0.1, 1e-12);
  const char *bad[] = { "1,2", "-1,1,1", "a,b,c", "0,0,0", "1,,1", "1,2,3,4", "nan,1,1" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (gl_export_parse_split (bad[i], s, &error));
      g_assert_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_clear_error (&error);
    }
  GlExportFormat f;
  g_assert_false (gl_export_format_from_string ("zip", &f, &error));
  g_assert_nonnull (strstr (error->message, "zip"));
  g_clear_error (&error);
}

static void
test_json_escape (void)
{
  g_autoptr (GString) out = g_string_new (NULL);
  gl_json_append_string (out, "a\"b\\c\nd\x01\xff" "é");
  g_assert_cmpstr (out->str, ==, "\"a\\\"b\\\\c\\nd\\u0001\\ufffdé\"");
  g_string_truncate (out, 0);
  gl_json_append_double (out, NAN);
  g_string_append_c (out, ' ');
  gl_json_append_double (out, 0.5);
  g_assert_cmpstr (out->str, ==, "null 0.5");
}

/* ---- writers on explicit items ---- */

typedef struct
{
  char *dir, *src, *cache_path;
  GlExportItem items[6];
  char *paths[6];
  GlPixelMap *map;
} Items;

static const char *const class_names[] = { "T-shirt/top", "..", "a,\"b\"", NULL };

static void
items_setup (Items *it, gconstpointer data)
{
  it->dir = make_tmp ();
  it->src = g_build_filename (it->dir, "src", NULL);
  g_mkdir (it->src, 0755);
  /* Four files (two with the same base name), two IDX-only images. */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *sub = g_build_filename (it->src, i == 3 ? "other" : "one", NULL);
      g_mkdir (sub, 0755);
      it->paths[i] = g_build_filename (sub, i == 3 ? "img-0.png" : (i == 0 ? "img-0.png" : i == 1 ? "img-1.png"
                                                                                              : "x.png"), NULL);
      write_png (it->paths[i], i);
    }
  it->cache_path = g_build_filename (it->dir, "pixels", NULL);
  GError *error = NULL;
  g_autoptr (GlPixelCache) cache = gl_pixel_cache_open (it->cache_path, 4, 4, 1, &error);
  g_assert_no_error (error);
  guint8 rows[2 * 16];
  for (guint i = 0; i < sizeof rows; i++)
    rows[i] = (guint8) (i * 7);
  guint64 first;
  g_assert_true (gl_pixel_cache_append (cache, rows, 2, &first, &error));
  g_assert_true (gl_pixel_cache_sync (cache, &error));
  it->map = gl_pixel_map_open (it->cache_path, &error);
  g_assert_no_error (error);
  it->paths[4] = g_build_filename (it->dir, "train-images-idx3-ubyte#0", NULL);
  it->paths[5] = g_build_filename (it->dir, "train-images-idx3-ubyte#1", NULL);
  for (guint i = 0; i < 6; i++)
    it->items[i] = (GlExportItem) { 100 + i, it->paths[i], i >= 4 ? (gint64) (i - 4) : -1, (gint) (i % 3),
                                    "human", "ann", 1700000000000000, -1, 0 };
}

static void
items_teardown (Items *it, gconstpointer data)
{
  gl_remove_tree (it->dir);
  gl_pixel_map_free (it->map);
  for (guint i = 0; i < 6; i++)
    g_free (it->paths[i]);
  g_free (it->dir);
  g_free (it->src);
  g_free (it->cache_path);
}

static guint
count_files (const char *path)
{
  struct stat st;
  if (lstat (path, &st) != 0)
    return 0;
  if (!S_ISDIR (st.st_mode))
    return 1;
  guint n = 0;
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      n += count_files (child);
    }
  g_dir_close (d);
  return n;
}

static void
test_imagefolder (Items *it, gconstpointer data)
{
  GlExportLink link = GPOINTER_TO_INT (data);
  g_autofree char *target = g_build_filename (it->dir, "out", NULL);
  GlExportOptions o;
  gl_export_options_init (&o);
  o.link = link;
  o.shares[0] = 1, o.shares[1] = 0, o.shares[2] = 0; /* one part: TARGET/CLASS/FILE */
  GError *error = NULL;
  GlExportProgress s;
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, &s,
                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s.done, ==, 6);
  g_assert_cmpuint (count_files (target), ==, 6 + 1);
  /* The manifest: which folder is which class (CSV quoting), no split level. */
  g_autofree char *manifest_path = g_build_filename (target, GL_IMAGEFOLDER_MANIFEST, NULL);
  g_autofree char *manifest = NULL;
  g_assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  g_assert_cmpstr (manifest, ==, "kind,folder,name\r\nclass,T-shirt_top,T-shirt/top\r\nclass,class-1,..\r\n"
                                 "class,\"a,_b_\",\"a,\"\"b\"\"\"\r\n");
  /* class 0: items 0 and 3 — both "img-0.png": the second gets its id. */
  g_autofree char *a = g_build_filename (target, "T-shirt_top", "img-0.png", NULL);
  g_autofree char *b = g_build_filename (target, "T-shirt_top", "103-img-0.png", NULL);
  g_assert_true (g_file_test (a, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (b, G_FILE_TEST_EXISTS));
  struct stat sa, ss;
  g_assert_cmpint (lstat (a, &sa), ==, 0);
  g_assert_cmpint (stat (it->paths[0], &ss), ==, 0);
  if (link == GL_EXPORT_LINK_SYMLINK)
    {
      g_assert_true (S_ISLNK (sa.st_mode));
      g_autofree char *to = g_file_read_link (a, NULL);
      g_assert_cmpstr (to, ==, it->paths[0]);
    }
  else if (link == GL_EXPORT_LINK_HARDLINK)
    g_assert_cmpuint (sa.st_ino, ==, ss.st_ino);
  else
    {
      g_assert_cmpuint (sa.st_ino, !=, ss.st_ino);
      g_autofree char *x = NULL, *y = NULL;
      gsize lx, ly;
      g_assert_true (g_file_get_contents (a, &x, &lx, NULL));
      g_assert_true (g_file_get_contents (it->paths[0], &y, &ly, NULL));
      g_assert_cmpmem (x, lx, y, ly);
    }
  /* IDX-only images became PNGs of the cache rows: item 4 is class 1 (".."). */
  g_autofree char *png = g_build_filename (target, "class-1", "104.png", NULL);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pb), ==, 4);
  g_assert_cmpint (gdk_pixbuf_get_pixels (pb)[gdk_pixbuf_get_rowstride (pb) + 3], ==, 5 * 7); /* (1, 1) */

  /* Not empty now: refused, unless forced. */
  g_assert_false (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, NULL,
                                   &error));
  g_assert_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_NOT_EMPTY);
  g_clear_error (&error);
  o.force = TRUE;
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (target), ==, 6 + 1);
}

static void
test_split_folders (Items *it, gconstpointer data)
{
  g_autofree char *target = g_build_filename (it->dir, "out", NULL);
  GlExportOptions o;
  gl_export_options_init (&o);
  GError *error = NULL;
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  const char *splits[] = { "train", "val", "test" };
  guint total = 0;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *sub = g_build_filename (target, splits[i], NULL);
      g_assert_true (g_file_test (sub, G_FILE_TEST_IS_DIR));
      total += count_files (sub);
    }
  g_assert_cmpuint (total, ==, 6);
  g_autofree char *manifest_path = g_build_filename (target, GL_IMAGEFOLDER_MANIFEST, NULL);
  g_autofree char *manifest = NULL;
  g_assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  g_assert_true (g_str_has_prefix (manifest, "kind,folder,name\r\nsplit,train,train\r\nsplit,val,val\r\n"
                                             "split,test,test\r\nclass,T-shirt_top,T-shirt/top\r\n"));
}

static void
test_csv_json (Items *it, gconstpointer data)
{
  g_autofree char *target = g_build_filename (it->dir, "csv", NULL);
  GlExportOptions o;
  gl_export_options_init (&o);
  o.format = GL_EXPORT_CSV;
  GError *error = NULL;
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  g_autofree char *csv_path = g_build_filename (target, "labels.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_auto (GStrv) lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 8); /* header, 6 rows, "" */
  g_assert_cmpstr (lines[0], ==, "path,label,split,origin,annotator,time");
  g_assert_true (g_str_has_prefix (lines[1], it->paths[0]));
  g_assert_nonnull (strstr (lines[1], ",T-shirt/top,"));
  g_assert_nonnull (strstr (lines[3], ",\"a,\"\"b\"\"\","));
  g_assert_nonnull (strstr (lines[1], ",human,ann,2023-11-14T22:13:20Z"));
  /* IDX-only images are written to images/ and listed by that path. */
  g_assert_true (g_str_has_prefix (lines[5], "images/104.png,"));
  g_autofree char *png = g_build_filename (target, "images", "104.png", NULL);
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));

  g_autofree char *jtarget = g_build_filename (it->dir, "json", NULL);
  o.format = GL_EXPORT_JSON;
  o.include_predictions = TRUE;
  it->items[2].predicted = 1;
  it->items[2].probability = 0.75f;
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, jtarget, &o, NULL, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  g_autofree char *json_path = g_build_filename (jtarget, "manifest.json", NULL);
  g_autofree char *json = NULL;
  g_assert_true (g_file_get_contents (json_path, &json, NULL, &error));
  g_assert_true (g_str_has_prefix (json, "{\"format\":\"gleaner-manifest\",\"version\":1,\"classes\":"
                                         "[\"T-shirt/top\",\"..\",\"a,\\\"b\\\"\"]"));
  g_assert_nonnull (strstr (json, "\"prediction\":{\"label\":\"..\",\"class_id\":1,\"probability\":0.75}"));
  g_assert_nonnull (strstr (json, "\"id\":105,\"path\":\"images/105.png\""));
  g_assert_true (g_str_has_suffix (json, "]}\n"));
}

static void
test_symlink_trap (Items *it, gconstpointer data)
{
  /* A forced target holding a symlink where a class folder goes: refused,
   * and nothing is written through it. */
  g_autofree char *target = g_build_filename (it->dir, "out", NULL);
  g_autofree char *outside = g_build_filename (it->dir, "outside", NULL);
  g_mkdir (target, 0755);
  g_mkdir (outside, 0755);
  g_autofree char *trap = g_build_filename (target, "T-shirt_top", NULL);
  g_assert_cmpint (symlink (outside, trap), ==, 0);
  GlExportOptions o;
  gl_export_options_init (&o);
  o.force = TRUE;
  o.shares[0] = 1, o.shares[1] = 0, o.shares[2] = 0;
  GError *error = NULL;
  g_assert_false (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, NULL,
                                   &error));
  g_assert_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "T-shirt_top"));
  g_clear_error (&error);
  g_assert_cmpuint (count_files (outside), ==, 0);

  /* A symlink where a FILE goes is replaced, not followed. */
  g_unlink (trap);
  g_mkdir (trap, 0755);
  g_autofree char *victim = g_build_filename (outside, "victim", NULL);
  g_assert_true (g_file_set_contents (victim, "keep", -1, NULL));
  g_autofree char *file_trap = g_build_filename (trap, "img-0.png", NULL);
  g_assert_cmpint (symlink (victim, file_trap), ==, 0);
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  g_autofree char *kept = NULL;
  g_assert_true (g_file_get_contents (victim, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "keep");
  struct stat st;
  g_assert_cmpint (lstat (file_trap, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
}

static guint progress_calls;

static void
on_progress (const GlExportProgress *p, gpointer data)
{
  progress_calls++;
  g_assert_cmpuint (p->done, <=, p->total);
  if (p->done >= 2)
    g_cancellable_cancel (data);
}

static void
test_cancel (Items *it, gconstpointer data)
{
  g_autofree char *target = g_build_filename (it->dir, "out", NULL);
  GlExportOptions o;
  gl_export_options_init (&o);
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_cancellable_cancel (c);
  GError *error = NULL;
  g_assert_false (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, target, &o, NULL, NULL, c, NULL,
                                   &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* Nothing at all to export is an error too. */
  g_autofree char *empty = g_build_filename (it->dir, "empty", NULL);
  g_assert_false (gl_export_items (NULL, 0, class_names, 3, NULL, NULL, empty, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_NOTHING);
  g_clear_error (&error);
  /* A bad class id is refused before anything is written. */
  it->items[1].class_id = 9;
  g_assert_false (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, empty, &o, NULL, NULL, NULL, NULL,
                                   &error));
  g_assert_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (g_file_test (empty, G_FILE_TEST_EXISTS));
  it->items[1].class_id = 1;
  /* Progress is reported; cancelled from the progress callback mid-way. */
  g_autoptr (GCancellable) c2 = g_cancellable_new ();
  g_autofree char *t2 = g_build_filename (it->dir, "out2", NULL);
  progress_calls = 0;
  GlExportProgress s;
  gboolean ok = gl_export_items (it->items, 6, class_names, 3, it->map, NULL, t2, &o, on_progress, c2, c2, &s,
                                 &error);
  g_assert_cmpuint (progress_calls, >=, 1);
  /* Cancelled half way, the folder says it is incomplete; a whole export
   * does not. */
  g_autofree char *marker = g_build_filename (t2, GL_EXPORT_INCOMPLETE, NULL);
  if (!ok)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpuint (s.done, <, 6);
      g_clear_error (&error);
      g_assert_true (g_file_test (marker, G_FILE_TEST_IS_REGULAR));
    }
  else
    g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  o.force = TRUE;
  g_assert_true (gl_export_items (it->items, 6, class_names, 3, it->map, NULL, t2, &o, NULL, NULL, NULL, NULL,
                                  &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
}

/* ---- a project: export → import gives identical labels ---- */

/* Content hash → class name of every labeled image of @p. */
typedef struct
{
  GlDb *db;
  GHashTable *out;
} ByHash;

static gboolean
add_by_hash (const GlDbCurrentLabel *label, gpointer user_data)
{
  ByHash *b = user_data;
  GError *error = NULL;
  GlDbImage image;
  GlDbClass klass;
  g_assert_true (gl_db_get_image (b->db, label->image_id, &image, &error));
  g_assert_true (gl_db_get_class (b->db, label->class_id, &klass, &error));
  g_assert_no_error (error);
  g_hash_table_insert (b->out, g_strdup (image.hash_hex), g_strdup (klass.name));
  gl_db_image_clear (&image);
  gl_db_class_clear (&klass);
  return TRUE;
}

static GHashTable *
labels_by_hash (GlProject *p)
{
  ByHash b = { gl_project_get_db (p), g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  GError *error = NULL;
  g_assert_true (gl_db_foreach_current_label (b.db, FALSE, add_by_hash, &b, &error));
  g_assert_no_error (error);
  return b.out;
}

/* Class names that are not safe folder names: slashes, "..", quotes, %,
 * emoji, emoji only, and two names that sanitise to the same folder. */
static const char *const odd_names[] = { "a/b", "a_b", "../x", "say \"q\"", "100%", "😀 smile", "😀", "plain",
                                         NULL };

/* Export → import of an ImageFolder gives the same label, by class name, to
 * every image: with one part (TARGET/CLASS) or the default split
 * (TARGET/SPLIT/CLASS), into a project with no classes yet. */
static void
test_round_trip (gconstpointer data)
{
  gboolean default_split = GPOINTER_TO_INT (data);
  g_autofree char *dir = make_tmp ();
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_mkdir (images, 0755);
  /* The labels come in by a CSV manifest, which takes any class name. */
  const guint per = 10, n_names = g_strv_length ((char **) odd_names), n = per * n_names;
  g_autoptr (GString) csv = g_string_new ("path,label\n");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/img-%u.png", images, i);
      write_png (name, i);
      g_auto (GStrv) parts = g_strsplit (odd_names[i % n_names], "\"", -1);
      g_autofree char *quoted = g_strjoinv ("\"\"", parts);
      g_string_append_printf (csv, "img-%u.png,\"%s\"\n", i, quoted);
    }
  g_autofree char *csv_path = g_build_filename (images, "labels.csv", NULL);
  g_assert_true (g_file_set_contents (csv_path, csv->str, -1, NULL));
  GError *error = NULL;
  g_autofree char *proj = g_build_filename (dir, "p1", NULL);
  g_autoptr (GlProject) p = gl_project_create (proj, 16, 16, 3, NULL, &error);
  g_assert_no_error (error);
  GlImportOptions io;
  gl_import_options_init (&io);
  const char *paths[] = { csv_path, NULL };
  g_assert_true (gl_project_import (p, paths, &io, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  g_autofree char *out = g_build_filename (dir, "out", NULL);
  GlExportOptions o;
  gl_export_options_init (&o);
  if (!default_split)
    o.shares[0] = 1, o.shares[1] = 0, o.shares[2] = 0;
  GlExportProgress s;
  g_assert_true (gl_export_project (p, out, &o, NULL, NULL, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s.done, ==, n);
  g_autofree char *val = g_build_filename (out, "val", NULL);
  g_assert_true (g_file_test (val, G_FILE_TEST_IS_DIR) == default_split);

  /* Re-import the export into a fresh project, by the auto layout. */
  g_autofree char *proj2 = g_build_filename (dir, "p2", NULL);
  g_autoptr (GlProject) p2 = gl_project_create (proj2, 16, 16, 3, NULL, &error);
  g_assert_no_error (error);
  const char *paths2[] = { out, NULL };
  GlImportProgress sum;
  g_assert_true (gl_project_import (p2, paths2, &io, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, n);
  g_assert_cmpuint (sum.labeled, ==, n);
  g_assert_cmpuint (sum.skipped, ==, 0); /* the manifest is not a stray file */

  /* The same classes (no "train", no "a_b-2", …) and the same label per image. */
  g_auto (GStrv) names1 = gl_project_dup_class_names (p);
  g_auto (GStrv) names2 = gl_project_dup_class_names (p2);
  g_assert_cmpuint (g_strv_length (names1), ==, n_names);
  g_assert_cmpuint (g_strv_length (names2), ==, n_names);
  for (guint k = 0; k < n_names; k++)
    g_assert_true (g_strv_contains ((const char *const *) names2, odd_names[k]));
  g_autoptr (GHashTable) a = labels_by_hash (p);
  g_autoptr (GHashTable) b = labels_by_hash (p2);
  g_assert_cmpuint (g_hash_table_size (a), ==, n);
  g_assert_cmpuint (g_hash_table_size (b), ==, n);
  GHashTableIter iter;
  gpointer hash, name;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &hash, &name))
    g_assert_cmpstr (g_hash_table_lookup (b, hash), ==, name);
  gl_remove_tree (dir);
}

/* Without a manifest, a top level of train/val/test folders is a split level
 * and every other folder is a class named as the folder. */
static void
test_import_split_level (void)
{
  g_autofree char *dir = make_tmp ();
  const char *const files[] = { "train/cat/1.png", "train/dog/2.png", "val/cat/3.png", "test/dog/4.png", NULL };
  for (guint i = 0; files[i]; i++)
    {
      g_autofree char *path = g_build_filename (dir, "data", files[i], NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      g_mkdir_with_parents (parent, 0755);
      write_png (path, i);
    }
  GError *error = NULL;
  g_autofree char *proj = g_build_filename (dir, "p", NULL);
  g_autoptr (GlProject) p = gl_project_create (proj, 16, 16, 3, NULL, &error);
  g_assert_no_error (error);
  GlImportOptions io;
  gl_import_options_init (&io);
  io.layout = GL_IMPORT_LAYOUT_IMAGEFOLDER;
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  const char *paths[] = { data, NULL };
  g_assert_true (gl_project_import (p, paths, &io, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_auto (GStrv) names = gl_project_dup_class_names (p);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_true (g_strv_contains ((const char *const *) names, "cat"));
  g_assert_true (g_strv_contains ((const char *const *) names, "dog"));
  /* A folder that is not a split name beside them: every folder is a class. */
  g_autofree char *other = g_build_filename (dir, "data", "extra", "bird", NULL);
  g_mkdir_with_parents (other, 0755);
  g_autofree char *bird = g_build_filename (other, "5.png", NULL);
  write_png (bird, 5);
  g_autofree char *proj2 = g_build_filename (dir, "p2", NULL);
  g_autoptr (GlProject) p2 = gl_project_create (proj2, 16, 16, 3, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gl_project_import (p2, paths, &io, NULL, NULL, NULL, NULL, &error));
  g_auto (GStrv) names2 = gl_project_dup_class_names (p2);
  g_assert_cmpuint (g_strv_length (names2), ==, 4);
  g_assert_true (g_strv_contains ((const char *const *) names2, "train"));
  g_assert_true (g_strv_contains ((const char *const *) names2, "extra"));
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/export/folder-names", test_folder_names);
  g_test_add_func ("/export/split", test_split);
  g_test_add_func ("/export/json-escape", test_json_escape);
  g_test_add ("/export/imagefolder/copy", Items, GINT_TO_POINTER (GL_EXPORT_LINK_COPY), items_setup,
              test_imagefolder, items_teardown);
  g_test_add ("/export/imagefolder/hardlink", Items, GINT_TO_POINTER (GL_EXPORT_LINK_HARDLINK), items_setup,
              test_imagefolder, items_teardown);
  g_test_add ("/export/imagefolder/symlink", Items, GINT_TO_POINTER (GL_EXPORT_LINK_SYMLINK), items_setup,
              test_imagefolder, items_teardown);
  g_test_add ("/export/imagefolder/split", Items, NULL, items_setup, test_split_folders, items_teardown);
  g_test_add ("/export/csv-json", Items, NULL, items_setup, test_csv_json, items_teardown);
  g_test_add ("/export/symlink-trap", Items, NULL, items_setup, test_symlink_trap, items_teardown);
  g_test_add ("/export/cancel", Items, NULL, items_setup, test_cancel, items_teardown);
  g_test_add_data_func ("/export/round-trip/one-part", GINT_TO_POINTER (FALSE), test_round_trip);
  g_test_add_data_func ("/export/round-trip/default-split", GINT_TO_POINTER (TRUE), test_round_trip);
  g_test_add_func ("/export/import-split-level", test_import_split_level);
  return g_test_run ();
}
