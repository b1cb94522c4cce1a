/* Unit tests of the IDX reader: good (plain and gzip), truncated, bad magic. */
#include "app/gl-idx.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

static char *
tmp_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("gl-idx-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

/* An images file of @n items 2×3 whose bytes are item*10 + pixel. */
static GByteArray *
make_images (guint32 n)
{
  GByteArray *b = g_byte_array_new ();
  const guint8 hdr[] = { 0, 0, 8, 3, (guint8) (n >> 24), (guint8) (n >> 16), (guint8) (n >> 8), (guint8) n,
                         0, 0, 0, 2, 0, 0, 0, 3 };
  g_byte_array_append (b, hdr, sizeof hdr);
  for (guint32 i = 0; i < n; i++)
    for (guint p = 0; p < 6; p++)
      {
        guint8 v = (guint8) (i * 10 + p);
        g_byte_array_append (b, &v, 1);
      }
  return b;
}

static void
write_file (const char *path, const guint8 *data, gsize len, gboolean gzip)
{
  GError *error = NULL;
  if (!gzip)
    {
      g_file_set_contents (path, (const char *) data, (gssize) len, &error);
      g_assert_no_error (error);
      return;
    }
  g_autoptr (GZlibCompressor) comp = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) conv = g_converter_output_stream_new (mem, G_CONVERTER (comp));
  gsize written;
  g_output_stream_write_all (conv, data, len, &written, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (conv, NULL, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (mem)),
                       (gssize) g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem)), &error);
  g_assert_no_error (error);
}

static void
check_good (gboolean gzip)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, gzip ? "imgs.gz" : "imgs", NULL);
  g_autoptr (GByteArray) b = make_images (5);
  write_file (path, b->data, b->len, gzip);

  GError *error = NULL;
  guint rows, cols, ch;
  g_autoptr (GlIdx) idx = gl_idx_read_images (path, &rows, &cols, &ch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (idx->dims[0], ==, 5);
  g_assert_cmpuint (rows, ==, 2);
  g_assert_cmpuint (cols, ==, 3);
  g_assert_cmpuint (ch, ==, 1);
  g_assert_cmpuint (idx->item_size, ==, 6);
  g_assert_cmpuint (idx->data[4 * 6 + 5], ==, 45);

  /* Labels of the wrong rank are refused. */
  g_autoptr (GlIdx) labels = gl_idx_read_labels (path, &error);
  g_assert_null (labels);
  g_assert_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT);
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_good_plain (void)
{
  check_good (FALSE);
}

static void
test_good_gzip (void)
{
  check_good (TRUE);
}

static void
test_truncated (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "short-idx3-ubyte.gz", NULL);
  g_autoptr (GByteArray) b = make_images (5);
  write_file (path, b->data, b->len - 7, TRUE);
  GError *error = NULL;
  g_autoptr (GlIdx) idx = gl_idx_read (path, 0, &error);
  g_assert_null (idx);
  g_assert_error (error, GL_IDX_ERROR, GL_IDX_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "short-idx3-ubyte.gz"));
  g_clear_error (&error);

  /* Header cut short. */
  write_file (path, b->data, 10, FALSE);
  idx = gl_idx_read (path, 0, &error);
  g_assert_null (idx);
  g_assert_error (error, GL_IDX_ERROR, GL_IDX_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_bad_magic (void)
{
  g_autofree char *dir = tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "bad", NULL);
  GError *error = NULL;
  write_file (path, (const guint8 *) "\x89PNG\r\n\x1a\n....", 12, FALSE);
  g_autoptr (GlIdx) idx = gl_idx_read (path, 0, &error);
  g_assert_null (idx);
  g_assert_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "bad"));
  g_clear_error (&error);

  /* Float data type is refused by name. */
  const guint8 fl[] = { 0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0 };
  write_file (path, fl, sizeof fl, FALSE);
  idx = gl_idx_read (path, 0, &error);
  g_assert_null (idx);
  g_assert_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT);
  g_clear_error (&error);

  /* Missing file. */
  g_unlink (path);
  idx = gl_idx_read (path, 0, &error);
  g_assert_null (idx);
  g_assert_error (error, GL_IDX_ERROR, GL_IDX_ERROR_IO);
  g_clear_error (&error);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/idx/good-plain", test_good_plain);
  g_test_add_func ("/idx/good-gzip", test_good_gzip);
  g_test_add_func ("/idx/truncated", test_truncated);
  g_test_add_func ("/idx/bad-magic", test_bad_magic);
  return g_test_run ();
}
