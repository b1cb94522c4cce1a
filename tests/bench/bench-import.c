/* bench-import — import throughput.
 *
 *  1. all 70,000 Fashion-MNIST images from IDX into a 28×28×1 project
 *     (target ≤ 10 s);
 *  2. a folder of N generated 256×256 JPEGs (N = $GLEANER_BENCH_JPEGS, default
 *     10,000; generated once into $TMPDIR/gleaner-bench-jpegs-N) into a
 *     64×64×3 project, as a ratio of images/s to a bare GdkPixbuf decode of the
 *     same files on all cores in the same run (target ≥ 0.8); the import
 *     runs as by default (no thumbnails) and, for comparison, with them.
 *
 * Last line: store-import: idx_import_s=S jpeg_ratio=R
 */
#include "gleaner-config.h"

#include "app/gl-demo.h"
#include "app/gl-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <stdio.h>

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  if (d != NULL)
    {
      const char *name;
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static char *
jpeg_name (const char *dir, guint i)
{
  g_autofree char *name = g_strdup_printf ("%05u.jpg", i);
  return g_build_filename (dir, name, NULL);
}

typedef struct
{
  const char *dir;
  guint n;
  guint next; /* atomic */
} Work;

static gpointer
generate_thread (gpointer data)
{
  Work *w = data;
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 256, 256);
  guint8 *px = gdk_pixbuf_get_pixels (pb); /* (256, rowstride) */
  int rs = gdk_pixbuf_get_rowstride (pb);
  guint i;
  while ((i = (guint) g_atomic_int_add (&w->next, 1)) < w->n)
    {
      GRand *r = g_rand_new_with_seed (i);
      /* Gradients plus noise: compresses like a photo, not like a flat fill. */
      guint a = g_rand_int_range (r, 0, 256), b = g_rand_int_range (r, 0, 256);
      for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
          {
            guint8 *p = px + y * rs + x * 3;
            p[0] = (guint8) ((x + a) + g_rand_int_range (r, 0, 24));
            p[1] = (guint8) ((y + b) + g_rand_int_range (r, 0, 24));
            p[2] = (guint8) ((x ^ y) + g_rand_int_range (r, 0, 24));
          }
      g_rand_free (r);
      g_autofree char *path = jpeg_name (w->dir, i);
      gdk_pixbuf_save (pb, path, "jpeg", NULL, "quality", "90", NULL);
    }
  g_object_unref (pb);
  return NULL;
}

static gpointer
decode_thread (gpointer data)
{
  Work *w = data;
  guint i;
  while ((i = (guint) g_atomic_int_add (&w->next, 1)) < w->n)
    {
      g_autofree char *path = jpeg_name (w->dir, i);
      GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, NULL);
      g_assert (pb != NULL);
      g_object_unref (pb);
    }
  return NULL;
}

static void
run_threads (GThreadFunc func, Work *w)
{
  guint n = MAX (1u, g_get_num_processors ());
  GThread **threads = g_new (GThread *, n);
  for (guint t = 0; t < n; t++)
    threads[t] = g_thread_new ("bench", func, w);
  for (guint t = 0; t < n; t++)
    g_thread_join (threads[t]);
  g_free (threads);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-bench-import-XXXXXX", &error);
  g_assert_no_error (error);

  /* 1. IDX */
  g_autofree char *demo = g_build_filename (tmp, "demo", NULL);
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr (GlProject) p = gl_demo_ensure (demo, NULL, NULL, NULL, NULL, &error);
  double idx_s = (g_get_monotonic_time () - t0) / 1e6;
  if (p == NULL)
    {
      g_printerr ("bench-import: %s\n", error->message);
      return 1;
    }
  GlProjectInfo info;
  gl_project_get_info (p, &info, NULL);
  printf ("idx: %" G_GUINT64_FORMAT " images in %.2f s (%.0f images/s)\n", info.images, idx_s, info.images / idx_s);
  gl_project_info_clear (&info);
  g_clear_pointer (&p, gl_project_close);

  /* 2. JPEG folder */
  const char *env_n = g_getenv ("GLEANER_BENCH_JPEGS");
  guint n = env_n ? (guint) g_ascii_strtoull (env_n, NULL, 10) : 10000;
  g_autofree char *jpeg_dir_name = g_strdup_printf ("gleaner-bench-jpegs-%u", n);
  g_autofree char *jpegs = g_build_filename (g_get_tmp_dir (), jpeg_dir_name, NULL);
  g_autofree char *last = jpeg_name (jpegs, n - 1);
  if (!g_file_test (last, G_FILE_TEST_EXISTS))
    {
      g_mkdir_with_parents (jpegs, 0755);
      Work gen = { jpegs, n, 0 };
      t0 = g_get_monotonic_time ();
      run_threads (generate_thread, &gen);
      printf ("generated %u JPEGs in %s in %.1f s\n", n, jpegs, (g_get_monotonic_time () - t0) / 1e6);
    }

  /* The faster of two runs: the first also warms the page cache. */
  double decode_s = G_MAXDOUBLE;
  for (int run = 0; run < 2; run++)
    {
      Work dec = { jpegs, n, 0 };
      t0 = g_get_monotonic_time ();
      run_threads (decode_thread, &dec);
      decode_s = MIN (decode_s, (g_get_monotonic_time () - t0) / 1e6);
    }
  printf ("bare decode: %u JPEGs in %.2f s (%.0f images/s, %u threads)\n", n, decode_s, n / decode_s,
          g_get_num_processors ());

  /* Twice: as the import runs by default (no thumbnails: the gallery makes
   * them on demand), which jpeg_ratio reports, and with --thumbnails (each
   * 128 px thumbnail encoded and packed), for comparison. */
  double import_s[2];
  for (int with_thumbs = 1; with_thumbs >= 0; with_thumbs--)
    {
      g_autofree char *proj = g_strdup_printf ("%s/jpeg-project-%d", tmp, with_thumbs);
      p = gl_project_create (proj, 64, 64, 3, NULL, &error);
      g_assert_no_error (error);
      const char *paths[] = { jpegs, NULL };
      GlImportProgress sum;
      GlImportOptions o;
      gl_import_options_init (&o);
      o.thumbnails = with_thumbs;
      t0 = g_get_monotonic_time ();
      if (!gl_project_import (p, paths, &o, NULL, NULL, NULL, &sum, &error))
        {
          g_printerr ("bench-import: %s\n", error->message);
          return 1;
        }
      import_s[with_thumbs] = (g_get_monotonic_time () - t0) / 1e6;
      printf ("import%s: %" G_GUINT64_FORMAT " added in %.2f s (%.0f images/s, ratio %.2f)\n",
              with_thumbs ? " with thumbnails" : " (default, no thumbnails)", sum.added, import_s[with_thumbs], n / import_s[with_thumbs],
              decode_s / import_s[with_thumbs]);
      g_clear_pointer (&p, gl_project_close);
    }
  remove_tree (tmp);

  printf ("store-import: idx_import_s=%.2f jpeg_ratio=%.2f\n", idx_s, decode_s / import_s[0]);
  return 0;
}
