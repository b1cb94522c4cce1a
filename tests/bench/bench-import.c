/* bench-import — import throughput.
 *
 *  1. all 70,000 Fashion-MNIST images from IDX into a 28×28×1 project
 *     (target ≤ 10 s);
 *  2. a folder of N generated 256×256 JPEGs (N = $GLEANER_BENCH_JPEGS, default
 *     10,000; generated once into $TMPDIR/gleaner-bench-jpegs-N) into a
 *     64×64×3 project, as a ratio of images/s to a bare GdkPixbuf decode of the
 *     same files on all cores in the same run (target ≥ 0.8); the import
 *     runs as by default (no thumbnails) and, for comparison, with them;
 *     a bare decode at the size the import asks (64 px) is printed too.
 *
 * Last line: store-import: idx_import_s=S jpeg_ratio=R
 */
#include "gleaner-config.h"

#include "app/gl-demo.h"
#include "app/gl-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <stdio.h>

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
  int side;   /* decode_thread: 0 = full size, else fit in side × side */
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

static void
on_size_prepared_cb (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  int side = GPOINTER_TO_INT (user_data);
  gdk_pixbuf_loader_set_size (loader, side, side);
}

/* The file read whole and given to a loader in one write, as the import does
 * (gdk_pixbuf_new_from_file_at_size feeds it 4 KB at a time, which makes the
 * JPEG loader suspend and restart and is slower than a full decode). */
static GdkPixbuf *
decode_at_size (const char *path, int side)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared_cb), GINT_TO_POINTER (side));
  gboolean ok = gdk_pixbuf_loader_write (loader, (const guchar *) data, len, NULL);
  if (!gdk_pixbuf_loader_close (loader, NULL) || !ok)
    return NULL;
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static gpointer
decode_thread (gpointer data)
{
  Work *w = data;
  guint i;
  while ((i = (guint) g_atomic_int_add (&w->next, 1)) < w->n)
    {
      g_autofree char *path = jpeg_name (w->dir, i);
      GdkPixbuf *pb = w->side ? decode_at_size (path, w->side) : gdk_pixbuf_new_from_file (path, NULL);
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

/* Seconds of the faster of two bare decodes of the @n files on all cores;
 * @side: 0 = full size, else fit in side × side. */
static double
time_decode (const char *dir, guint n, int side)
{
  double best = G_MAXDOUBLE;
  for (int run = 0; run < 2; run++)
    {
      Work dec = { dir, n, 0, side };
      gint64 t0 = g_get_monotonic_time ();
      run_threads (decode_thread, &dec);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
    }
  return best;
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
      Work gen = { jpegs, n, 0, 0 };
      t0 = g_get_monotonic_time ();
      run_threads (generate_thread, &gen);
      printf ("generated %u JPEGs in %s in %.1f s\n", n, jpegs, (g_get_monotonic_time () - t0) / 1e6);
    }

  /* Every figure below is the faster of two runs (the first full decode also
   * warms the page cache): the machine may be shared. */
  double decode_s = time_decode (jpegs, n, 0);
  printf ("bare decode: %u JPEGs in %.2f s (%.0f images/s, %u threads)\n", n, decode_s, n / decode_s,
          g_get_num_processors ());
  /* For reference: a bare decode at the size the import asks of the loader
   * for a 64×64 input (the JPEG's DCT decodes 256 px at 1/4). */
  double small_s = time_decode (jpegs, n, 64);
  printf ("bare decode at 64 px: %u JPEGs in %.2f s (%.0f images/s)\n", n, small_s, n / small_s);

  /* Two ways, alternating, each into a new project: as the import runs by
   * default (no thumbnails: the gallery makes them on demand), which
   * jpeg_ratio reports, and with --thumbnails (each 128 px thumbnail encoded
   * and packed), for comparison. */
  double import_s[2] = { G_MAXDOUBLE, G_MAXDOUBLE };
  for (int run = 0; run < 4; run++)
    {
      int with_thumbs = run % 2;
      g_autofree char *proj = g_strdup_printf ("%s/jpeg-project-%d", tmp, run);
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
      import_s[with_thumbs] = MIN (import_s[with_thumbs], (g_get_monotonic_time () - t0) / 1e6);
      g_clear_pointer (&p, gl_project_close);
      gl_remove_tree (proj);
      if (run < 2)
        continue;
      printf ("import%s: %" G_GUINT64_FORMAT " added in %.2f s (%.0f images/s, ratio %.2f to the bare decode, "
              "%.2f to the bare decode at 64 px)\n",
              with_thumbs ? " with thumbnails" : " (default, no thumbnails)", sum.added, import_s[with_thumbs],
              n / import_s[with_thumbs], decode_s / import_s[with_thumbs], small_s / import_s[with_thumbs]);
    }
  gl_remove_tree (tmp);

  printf ("store-import: idx_import_s=%.2f jpeg_ratio=%.2f\n", idx_s, decode_s / import_s[0]);
  return 0;
}
