/* Unit tests of the import pipeline against an in-memory sink: plain,
 * ImageFolder, CSV and IDX sources, duplicates, bad files, odd class names,
 * cancellation and the async wrapper's progress on the caller's context. */
#include "app/gl-import.h"
#include "app/gl-path.h"
#include "app/gl-project.h"
#include "app/gl-thumbs.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  GPtrArray *paths;   /* recorded paths */
  GPtrArray *labels;  /* recorded labels ("" for none) */
  GPtrArray *reasons; /* recorded reasons ("" for none) */
  GArray *rows;       /* gint64 cache rows */
  GHashTable *hashes;
  guint transactions;
  GlLabelsAs labels_as;
  gboolean held_out;
} FakeSink;

static gboolean
fake_has_hash (gpointer data, const char *hash)
{
  FakeSink *s = data;
  return g_hash_table_contains (s->hashes, hash);
}

static gint64
fake_begin (gpointer data, const char *source, const GlImportOptions *options, GError **error)
{
  FakeSink *s = data;
  s->held_out = options->held_out_test;
  return 7;
}

static gboolean
fake_add (gpointer data, gint64 batch, const GlImportRecord *r, guint n, GlLabelsAs as, GError **error)
{
  FakeSink *s = data;
  g_assert_cmpint (batch, ==, 7);
  s->transactions++;
  s->labels_as = as;
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (g_utf8_validate (r[i].path, -1, NULL));
      g_ptr_array_add (s->paths, g_strdup (r[i].path));
      g_ptr_array_add (s->labels, g_strdup (r[i].label ? r[i].label : ""));
      g_ptr_array_add (s->reasons, g_strdup (r[i].reason ? r[i].reason : ""));
      g_array_append_val (s->rows, r[i].cache_row);
      g_assert_true ((r[i].reason == NULL) == (r[i].hash_hex != NULL));
      if (r[i].hash_hex)
        g_hash_table_add (s->hashes, g_strdup (r[i].hash_hex));
    }
  return TRUE;
}

static const GlImportSinkFuncs fake_funcs = { fake_has_hash, fake_begin, fake_add };

typedef struct
{
  char *dir;
  char *data; /* images to import */
  FakeSink sink;
  GlPixelCache *cache;
  char *cache_path;
  char *thumbs;
  GlThumbPack *pack;
  GlImportTarget target;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer user_data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-import-XXXXXX", &error);
  g_assert_no_error (error);
  fx->data = g_build_filename (fx->dir, "data", NULL);
  g_mkdir (fx->data, 0755);
  fx->sink.paths = g_ptr_array_new_with_free_func (g_free);
  fx->sink.labels = g_ptr_array_new_with_free_func (g_free);
  fx->sink.reasons = g_ptr_array_new_with_free_func (g_free);
  fx->sink.rows = g_array_new (FALSE, FALSE, sizeof (gint64));
  fx->sink.hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  fx->cache_path = g_build_filename (fx->dir, "pixels", NULL);
  fx->cache = gl_pixel_cache_open (fx->cache_path, 8, 8, 1, &error);
  g_assert_no_error (error);
  fx->thumbs = g_build_filename (fx->dir, "thumbs.pack", NULL);
  fx->pack = gl_thumb_pack_open (fx->thumbs, &error);
  g_assert_no_error (error);
  fx->target = (GlImportTarget){ 8, 8, 1, fx->cache, fx->pack, NULL, &fake_funcs, &fx->sink };
}

static void
fixture_teardown (Fixture *fx, gconstpointer user_data)
{
  gl_pixel_cache_close (fx->cache);
  gl_thumb_pack_close (fx->pack);
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->data);
  g_free (fx->cache_path);
  g_free (fx->thumbs);
  g_ptr_array_unref (fx->sink.paths);
  g_ptr_array_unref (fx->sink.labels);
  g_ptr_array_unref (fx->sink.reasons);
  g_array_unref (fx->sink.rows);
  g_hash_table_unref (fx->sink.hashes);
}

/* Writes a 16×16 PNG of grey @value at DIR/NAME (creating DIR). */
static char *
write_png (const char *dir, const char *name, guint8 value)
{
  g_mkdir_with_parents (dir, 0755);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  gdk_pixbuf_fill (pb, ((guint32) value << 24) | ((guint32) value << 16) | ((guint32) value << 8) | 0xff);
  char *path = g_build_filename (dir, name, NULL);
  GError *error = NULL;
  gdk_pixbuf_save (pb, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

static guint
count_reason (FakeSink *s, const char *prefix)
{
  guint n = 0;
  for (guint i = 0; i < s->reasons->len; i++)
    if (((char *) s->reasons->pdata[i])[0] != '\0' && g_str_has_prefix (s->reasons->pdata[i], prefix))
      n++;
  return n;
}

static const char *
label_of (FakeSink *s, const char *basename)
{
  for (guint i = 0; i < s->paths->len; i++)
    if (g_str_has_suffix (s->paths->pdata[i], basename))
      return s->labels->pdata[i];
  return NULL;
}

/* The reason recorded for the path ending in @suffix ("" for a readable one). */
static const char *
reason_of (FakeSink *s, const char *suffix)
{
  for (guint i = 0; i < s->paths->len; i++)
    if (g_str_has_suffix (s->paths->pdata[i], suffix))
      return s->reasons->pdata[i];
  g_assert_not_reached ();
}

static void
test_plain (Fixture *fx, gconstpointer user_data)
{
  g_autofree char *sub = g_build_filename (fx->data, "deep", "er", NULL);
  g_free (write_png (fx->data, "a.png", 10));
  g_free (write_png (fx->data, "b.png", 20));
  g_free (write_png (sub, "a-copy.png", 10)); /* duplicate content */
  g_autofree char *bad = g_build_filename (fx->data, "fake.jpg", NULL);
  g_file_set_contents (bad, "not really", -1, NULL);
  g_autofree char *zero = g_build_filename (fx->data, "zero.gif", NULL);
  g_file_set_contents (zero, "", 0, NULL);
  g_autofree char *latin1 = g_build_filename (fx->data, "caf\xe9.png", NULL);
  g_file_set_contents (latin1, "x", 1, NULL);
  g_autofree char *notes = g_build_filename (fx->data, "notes.txt", NULL);
  g_file_set_contents (notes, "skipped", -1, NULL);

  GlImportOptions o;
  gl_import_options_init (&o);
  o.layout = GL_IMPORT_LAYOUT_PLAIN;
  o.batch_size = 2;
  GlImportProgress sum;
  GError *error = NULL;
  const char *paths[] = { fx->data, NULL };
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.total, ==, 6);
  g_assert_cmpuint (sum.added, ==, 2);
  g_assert_cmpuint (sum.duplicates, ==, 1);
  g_assert_cmpuint (sum.unreadable, ==, 3);
  g_assert_cmpuint (sum.skipped, ==, 1);
  g_assert_cmpuint (sum.done, ==, 6);
  g_assert_cmpuint (fx->sink.transactions, >=, 2);
  g_assert_cmpuint (count_reason (&fx->sink, "not an image"), ==, 2); /* fake.jpg, and caf\xe9.png holds "x" */
  g_assert_cmpuint (count_reason (&fx->sink, "zero-byte"), ==, 1);
  /* The Latin-1 name is recorded as text that gives the exact bytes back. */
  gboolean found = FALSE;
  for (guint i = 0; i < fx->sink.paths->len; i++)
    {
      g_autofree char *bytes = gl_path_decode (fx->sink.paths->pdata[i]);
      found |= g_str_equal (bytes, latin1);
    }
  g_assert_true (found);
  g_assert_cmpuint (gl_pixel_cache_count (fx->cache), ==, 2);

  /* The cache rows hold the pixels, in import order (a.png then b.png). */
  g_autoptr (GlPixelMap) map = gl_pixel_map_open (fx->cache_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_pixel_map_row (map, 0)[0], ==, 10);
  g_assert_cmpuint (gl_pixel_map_row (map, 1)[63], ==, 20);

  /* No thumbnails by default: the gallery makes them when it shows the images. */
  g_assert_cmpuint (gl_thumb_pack_count (fx->pack), ==, 0);

  /* A second import of the same folder adds nothing new. */
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_cmpuint (sum.added, ==, 0);
  g_assert_cmpuint (sum.duplicates, ==, 3);
}

/* Every format the GdkPixbuf loaders of Debian read (with webp-pixbuf-loader,
 * which .ci/setup installs): PNG, JPEG, BMP, TIFF and WebP written by
 * GdkPixbuf itself, and a GIF (GdkPixbuf cannot write one: a 1×1 file). */
static void
test_formats (Fixture *fx, gconstpointer user_data)
{
  static const char *const types[] = { "png", "jpeg", "bmp", "tiff", "webp" };
  static const guint8 gif[] = { 'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0,
                                '!', 0xf9, 4, 1, 0, 0, 0, 0, ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';' };
  g_mkdir_with_parents (fx->data, 0755);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
      guint32 v = 40 + 30 * i;
      gdk_pixbuf_fill (pb, (v << 24) | (v << 16) | (v << 8) | 0xff);
      g_autofree char *name = g_strdup_printf ("image.%s", types[i]);
      g_autofree char *path = g_build_filename (fx->data, name, NULL);
      GError *error = NULL;
      g_assert_true (gdk_pixbuf_save (pb, path, types[i], &error, NULL));
      g_assert_no_error (error);
    }
  g_autofree char *gif_path = g_build_filename (fx->data, "image.gif", NULL);
  g_assert_true (g_file_set_contents (gif_path, (const char *) gif, sizeof gif, NULL));

  GlImportOptions o;
  gl_import_options_init (&o);
  GlImportProgress sum;
  GError *error = NULL;
  const char *paths[] = { fx->data, NULL };
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.unreadable, ==, 0);
  g_assert_cmpuint (sum.added, ==, G_N_ELEMENTS (types) + 1);
}

/* With the option, the import packs a thumbnail of each readable image. */
static void
test_thumbnails (Fixture *fx, gconstpointer user_data)
{
  g_free (write_png (fx->data, "a.png", 10));
  g_free (write_png (fx->data, "b.png", 20));
  g_autofree char *bad = g_build_filename (fx->data, "fake.png", NULL);
  g_file_set_contents (bad, "not really", -1, NULL);

  GlImportOptions o;
  gl_import_options_init (&o);
  g_assert_false (o.thumbnails);
  o.thumbnails = TRUE;
  GlImportProgress sum;
  GError *error = NULL;
  const char *paths[] = { fx->data, NULL };
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 2);
  g_assert_cmpuint (sum.unreadable, ==, 1);
  g_assert_cmpuint (g_hash_table_size (fx->sink.hashes), ==, 2);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, fx->sink.hashes);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      g_autoptr (GdkPixbuf) thumb = gl_thumb_pack_load (fx->pack, key, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_pixbuf_get_width (thumb), ==, 16);
    }
  g_assert_cmpuint (gl_thumb_pack_count (fx->pack), ==, 2);
}

static const char *const odd_classes[] = { "it's \"quoted\"", "100% cotton", "😀 smile", "a..b", NULL };

static void
test_imagefolder (Fixture *fx, gconstpointer user_data)
{
  for (guint i = 0; odd_classes[i]; i++)
    {
      g_autofree char *dir = g_build_filename (fx->data, odd_classes[i], "nested", NULL);
      g_autofree char *name = g_strdup_printf ("img%u.png", i);
      g_free (write_png (dir, name, (guint8) (40 + i)));
    }
  g_autofree char *hidden = g_build_filename (fx->data, ".git", NULL);
  g_free (write_png (hidden, "ignored.png", 99));

  GError *error = NULL;
  GlImportProgress sum;
  const char *paths[] = { fx->data, NULL };
  /* auto detects the layout: the folder holds only sub-folders. */
  g_assert_true (gl_import_run (&fx->target, paths, NULL, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 4);
  g_assert_cmpuint (sum.labeled, ==, 4);
  for (guint i = 0; odd_classes[i]; i++)
    {
      g_autofree char *name = g_strdup_printf ("img%u.png", i);
      g_assert_cmpstr (label_of (&fx->sink, name), ==, odd_classes[i]);
    }
}

static void
test_csv (Fixture *fx, gconstpointer user_data)
{
  g_free (write_png (fx->data, "one.png", 1));
  g_free (write_png (fx->data, "two, with comma.png", 2));
  g_free (write_png (fx->data, "three.png", 3));
  g_free (write_png (fx->data, "four.png", 4));
  g_free (write_png (fx->data, "dup.png", 1));
  g_autofree char *csv = g_build_filename (fx->data, "manifest.csv", NULL);
  const char *text = "path,label\r\n"
                     "one.png,a/b\r\n"
                     "\"two, with comma.png\",\"say \"\"hi\"\"\"\n"
                     "three.png,..\n"
                     "four.png,\"multi\nline 😀 100%\"\n"
                     "dup.png,a/b\n"
                     "missing.png,x\n"
                     "\n";
  /* A 1,000-character class name is fine, 1,001 is recorded as a bad row. */
  g_free (write_png (fx->data, "five.png", 5));
  g_free (write_png (fx->data, "six.png", 6));
  g_autofree char *long_ok = g_strnfill (1000, 'k');
  g_autofree char *long_bad = g_strnfill (1001, 'k');
  g_autofree char *full_text = g_strdup_printf ("%sfive.png,%s\nsix.png,%s\n", text, long_ok, long_bad);
  g_assert_true (g_file_set_contents (csv, full_text, -1, NULL));
  GError *error = NULL;
  GlImportProgress sum;
  GlImportOptions o;
  gl_import_options_init (&o);
  o.labels_as = GL_LABELS_AS_REFERENCE;
  const char *paths[] = { csv, NULL };
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.total, ==, 8);
  g_assert_cmpuint (sum.added, ==, 5);
  g_assert_cmpuint (sum.duplicates, ==, 1);
  g_assert_cmpuint (sum.unreadable, ==, 2);
  g_assert_cmpstr (label_of (&fx->sink, "/five.png"), ==, long_ok);
  g_assert_cmpuint (count_reason (&fx->sink, "label longer than 1,000 characters"), ==, 1);
  g_assert_cmpint (fx->sink.labels_as, ==, GL_LABELS_AS_REFERENCE);
  g_assert_cmpstr (label_of (&fx->sink, "/one.png"), ==, "a/b");
  g_assert_cmpstr (label_of (&fx->sink, "/two, with comma.png"), ==, "say \"hi\"");
  g_assert_cmpstr (label_of (&fx->sink, "/three.png"), ==, "..");
  g_assert_cmpstr (label_of (&fx->sink, "/four.png"), ==, "multi\nline 😀 100%");
  g_assert_cmpuint (count_reason (&fx->sink, "unreadable"), ==, 1);

  /* A malformed line (an unterminated quote, a row without a path) is
   * recorded as MANIFEST:LINE with its reason; the lines around it are
   * imported. */
  g_free (write_png (fx->data, "seven.png", 7));
  g_free (write_png (fx->data, "eight.png", 8));
  g_assert_true (g_file_set_contents (csv, "seven.png,s\n,no-path\n\"one.png,a\neight.png,e\n", -1, NULL));
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 2);
  g_assert_cmpuint (sum.unreadable, ==, 2);
  g_assert_cmpstr (label_of (&fx->sink, "/seven.png"), ==, "s");
  g_assert_cmpstr (label_of (&fx->sink, "/eight.png"), ==, "e");
  g_assert_cmpstr (reason_of (&fx->sink, "manifest.csv:2"), ==, "malformed CSV line: no path");
  g_assert_cmpstr (reason_of (&fx->sink, "manifest.csv:3"), ==, "malformed CSV line: unterminated quoted field");
}

static void
write_idx (const char *path, const guint8 *hdr, gsize hlen, const guint8 *data, gsize len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_byte_array_append (b, hdr, (guint) hlen);
  g_byte_array_append (b, data, (guint) len);
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
}

static void
test_idx (Fixture *fx, gconstpointer user_data)
{
  /* 5 items of 8×8 (the target shape) — items 1 and 3 equal — plus labels. */
  guint8 px[5 * 64];
  for (guint i = 0; i < 5; i++)
    memset (px + i * 64, (int) (i == 3 ? 1 : i) * 30, 64);
  const guint8 ih[] = { 0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 8, 0, 0, 0, 8 };
  const guint8 lh[] = { 0, 0, 8, 1, 0, 0, 0, 5 };
  const guint8 lab[] = { 0, 1, 2, 1, 9 };
  g_autofree char *images = g_build_filename (fx->data, "t-images-idx3-ubyte", NULL);
  g_autofree char *labels = g_build_filename (fx->data, "t-labels-idx1-ubyte", NULL);
  write_idx (images, ih, sizeof ih, px, sizeof px);
  write_idx (labels, lh, sizeof lh, lab, sizeof lab);
  const char *const classes[] = { "zero", "one", "two", NULL };
  fx->target.class_names = classes;

  GlImportOptions o;
  gl_import_options_init (&o);
  o.idx_labels = labels;
  o.held_out_test = TRUE;
  GError *error = NULL;
  GlImportProgress sum;
  const char *paths[] = { images, NULL };
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 4);
  g_assert_cmpuint (sum.duplicates, ==, 1);
  g_assert_true (fx->sink.held_out);
  g_assert_cmpstr (label_of (&fx->sink, "#2"), ==, "two");
  g_assert_cmpstr (label_of (&fx->sink, "#4"), ==, "9");
  g_autoptr (GlPixelMap) map = gl_pixel_map_open (fx->cache_path, &error);
  g_assert_cmpuint (gl_pixel_map_count (map), ==, 4);
  g_assert_cmpuint (gl_pixel_map_row (map, 3)[0], ==, 120);

  /* Labels that do not match the images in number: the images file is
   * recorded as unreadable with the reason, naming the labels file. */
  write_idx (labels, (const guint8[]){ 0, 0, 8, 1, 0, 0, 0, 4 }, 8, lab, 4);
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 0);
  g_assert_cmpuint (sum.unreadable, ==, 1);
  g_assert_nonnull (strstr (reason_of (&fx->sink, "/t-images-idx3-ubyte"), "t-labels-idx1-ubyte holds 4 labels"));
}

/* Bad containers (a truncated IDX file, a gzip that is not one, an IDX file
 * with a bad magic, a CSV that cannot be read) given with good sources: each
 * is recorded with its reason, the good sources are imported. An IDX file met
 * while walking a folder is recorded with a reason too. */
static void
test_bad_containers (Fixture *fx, gconstpointer user_data)
{
  g_autofree char *good = g_build_filename (fx->dir, "good", NULL);
  g_free (write_png (good, "a.png", 10));
  g_free (write_png (good, "b.png", 20));
  guint8 px[3 * 64];
  memset (px, 7, sizeof px);
  const guint8 ih[] = { 0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 8 };
  g_autofree char *trunc = g_build_filename (fx->data, "trunc-idx3-ubyte", NULL);
  write_idx (trunc, ih, sizeof ih, px, sizeof px - 10);
  g_autofree char *gz = g_build_filename (fx->data, "broken-idx3-ubyte.gz", NULL);
  g_assert_true (g_file_set_contents (gz, "\x1f\x8b\x08\0garbage that is not deflate", 30, NULL));
  g_autofree char *magic = g_build_filename (fx->data, "magic-idx3-ubyte", NULL);
  write_idx (magic, (const guint8[]){ 1, 2, 3, 4 }, 4, px, 64);
  g_autofree char *csv = g_build_filename (fx->data, "unreadable.csv", NULL);
  g_assert_true (g_file_set_contents (csv, "a.png,x\n", -1, NULL));
  g_assert_cmpint (g_chmod (csv, 0), ==, 0);
  gboolean csv_readable = g_access (csv, R_OK) == 0; /* root reads it anyway */
  /* An IDX file inside a folder that is imported. */
  g_autofree char *inside = g_build_filename (good, "t10k-images-idx3-ubyte", NULL);
  write_idx (inside, ih, sizeof ih, px, sizeof px);

  GlImportOptions o;
  gl_import_options_init (&o);
  GlImportProgress sum;
  GError *error = NULL;
  const char *paths[] = { good, trunc, gz, magic, csv, NULL };
  g_assert_true (gl_import_run (&fx->target, paths, &o, NULL, NULL, NULL, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 2);
  g_assert_cmpuint (sum.unreadable, ==, 5); /* when root reads the CSV anyway: its missing a.png */
  g_assert_cmpuint (sum.skipped, ==, 0);
  g_assert_nonnull (strstr (reason_of (&fx->sink, "/trunc-idx3-ubyte"), "truncated"));
  g_assert_nonnull (strstr (reason_of (&fx->sink, "/broken-idx3-ubyte.gz"), "broken-idx3-ubyte.gz"));
  g_assert_nonnull (strstr (reason_of (&fx->sink, "/magic-idx3-ubyte"), "not an IDX file"));
  if (!csv_readable)
    g_assert_nonnull (strstr (reason_of (&fx->sink, "/unreadable.csv"), "unreadable.csv"));
  g_assert_true (g_str_has_prefix (reason_of (&fx->sink, "/t10k-images-idx3-ubyte"),
                                   "an IDX file inside a folder is not unpacked"));
  g_chmod (csv, 0644);
}

static void
on_progress_cancel (const GlImportProgress *p, gpointer user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_cancel (Fixture *fx, gconstpointer user_data)
{
  for (guint i = 0; i < 120; i++)
    {
      g_autofree char *name = g_strdup_printf ("%03u.png", i);
      g_free (write_png (fx->data, name, (guint8) i));
    }
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  GlImportOptions o;
  gl_import_options_init (&o);
  o.batch_size = 10;
  o.n_threads = 2;
  GError *error = NULL;
  GlImportProgress sum;
  const char *paths[] = { fx->data, NULL };
  /* Cancelled at the first progress report: what was committed stays. */
  gboolean ok = gl_import_run (&fx->target, paths, &o, on_progress_cancel, cancel, cancel, &sum, &error);
  if (!ok)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_error (&error);
      g_assert_cmpuint (sum.done, <, 120);
    }
  g_assert_cmpuint (fx->sink.paths->len, ==, sum.added + sum.unreadable);
  g_assert_cmpuint (gl_pixel_cache_count (fx->cache), ==, sum.added);
  for (guint i = 0; i < fx->sink.rows->len; i++)
    g_assert_cmpint (g_array_index (fx->sink.rows, gint64, i), <, (gint64) gl_pixel_cache_count (fx->cache));
}

typedef struct
{
  GMainLoop *loop;
  GThread *main_thread;
  guint reports;
  gboolean ok;
  GlImportProgress sum;
} AsyncState;

static void
on_async_progress (const GlImportProgress *p, gpointer user_data)
{
  AsyncState *st = user_data;
  g_assert_true (g_thread_self () == st->main_thread);
  g_assert_cmpuint (p->done, <=, p->total);
  st->reports++;
}

static void
on_async_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
  AsyncState *st = user_data;
  GError *error = NULL;
  st->ok = gl_import_run_finish (res, &st->sum, &error);
  g_assert_no_error (error);
  g_main_loop_quit (st->loop);
}

static void
test_async (Fixture *fx, gconstpointer user_data)
{
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("%03u.png", i);
      g_free (write_png (fx->data, name, (guint8) (i * 3)));
    }
  AsyncState st = { g_main_loop_new (NULL, FALSE), g_thread_self (), 0, FALSE, { 0 } };
  const char *paths[] = { fx->data, NULL };
  gl_import_run_async (&fx->target, paths, NULL, on_async_progress, &st, NULL, on_async_done, &st);
  g_main_loop_run (st.loop);
  g_assert_true (st.ok);
  g_assert_cmpuint (st.sum.added, ==, 40);
  g_assert_cmpuint (st.reports, >=, 1);
  /* Let a progress report still queued run before the fixture goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_main_loop_unref (st.loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/import/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("formats", test_formats);
  ADD ("plain", test_plain);
  ADD ("thumbnails", test_thumbnails);
  ADD ("imagefolder", test_imagefolder);
  ADD ("csv", test_csv);
  ADD ("idx", test_idx);
  ADD ("bad-containers", test_bad_containers);
  ADD ("cancel", test_cancel);
  ADD ("async", test_async);
#undef ADD
  return g_test_run ();
}
