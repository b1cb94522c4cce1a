/* Unit test of the demo project, built from a tiny fake Fashion-MNIST folder
 * (the real one is exercised by the benchmark and `gleaner-cli demo`). */
#include "app/gl-demo.h"
#include "app/gl-project.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

static void
write_gz (const char *path, const guint8 *data, gsize len)
{
  GError *error = NULL;
  g_autoptr (GZlibCompressor) comp = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 1);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) conv = g_converter_output_stream_new (mem, G_CONVERTER (comp));
  gsize written;
  g_output_stream_write_all (conv, data, len, &written, NULL, &error);
  g_output_stream_close (conv, NULL, &error);
  g_assert_no_error (error);
  g_file_set_contents (path, g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (mem)),
                       (gssize) g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (mem)), &error);
  g_assert_no_error (error);
}

/* @n images 28×28 with distinct content (offset @seed) and labels i % 10. */
static void
write_split (const char *dir, const char *split, guint n, guint seed)
{
  g_autoptr (GByteArray) img = g_byte_array_new ();
  const guint8 ih[] = { 0, 0, 8, 3, 0, 0, 0, (guint8) n, 0, 0, 0, 28, 0, 0, 0, 28 };
  g_byte_array_append (img, ih, sizeof ih);
  g_autoptr (GByteArray) lab = g_byte_array_new ();
  const guint8 lh[] = { 0, 0, 8, 1, 0, 0, 0, (guint8) n };
  g_byte_array_append (lab, lh, sizeof lh);
  for (guint i = 0; i < n; i++)
    {
      guint8 px[784];
      memset (px, 0, sizeof px);
      px[0] = (guint8) (seed + i);
      g_byte_array_append (img, px, sizeof px);
      guint8 l = (guint8) (i % 10);
      g_byte_array_append (lab, &l, 1);
    }
  g_autofree char *in = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", dir, split);
  g_autofree char *ln = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", dir, split);
  write_gz (in, img->data, img->len);
  write_gz (ln, lab->data, lab->len);
}

static void
test_demo (void)
{
  GError *error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gl-demo-XXXXXX", &error);
  g_assert_no_error (error);
  write_split (tmp, "train", 30, 0);
  write_split (tmp, "t10k", 20, 100);
  g_autofree char *demo = g_build_filename (tmp, "demo", NULL);
  g_setenv ("GLEANER_DEMO_DIR", demo, TRUE);
  g_autofree char *def = gl_demo_default_dir ();
  g_assert_cmpstr (def, ==, demo);

  g_autoptr (GlProject) p = gl_demo_ensure (NULL, tmp, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  GlProjectInfo info;
  g_assert_true (gl_project_get_info (p, &info, &error));
  g_assert_cmpuint (info.images, ==, 50);
  g_assert_cmpuint (info.reference_labeled, ==, 50);
  g_assert_cmpuint (info.labeled, ==, 0); /* reference labels are never human labels */
  g_assert_cmpuint (info.held_out_test, ==, 20);
  g_assert_cmpuint (info.n_classes, ==, 10);
  g_assert_cmpstr (info.class_names[0], ==, "T-shirt/top");
  g_assert_cmpstr (info.class_names[9], ==, "Ankle boot");
  g_assert_cmpuint (info.reference_per_class[3], ==, 5);
  gl_project_info_clear (&info);
  g_autoptr (GArray) test_rows = gl_project_list_cache_rows (p, 1, &error);
  g_assert_cmpuint (test_rows->len, ==, 20);
  g_clear_pointer (&p, gl_project_close);
  g_autofree char *partial = g_strconcat (demo, ".partial", NULL);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));

  /* Second use opens it; nothing is imported again. */
  p = gl_demo_ensure (NULL, tmp, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gl_project_get_info (p, &info, &error));
  g_assert_cmpuint (info.images, ==, 50);
  gl_project_info_clear (&info);
  g_clear_pointer (&p, gl_project_close);

  /* A missing dataset is a clear error. */
  g_autofree char *other = g_build_filename (tmp, "other", NULL);
  g_autofree char *nowhere = g_build_filename (tmp, "nowhere", NULL);
  g_assert_null (gl_demo_ensure (other, nowhere, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "dataset-fashion-mnist"));
  g_clear_error (&error);
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demo/build-and-reopen", test_demo);
  return g_test_run ();
}
