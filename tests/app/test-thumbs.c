/* Unit tests of the thumbnail pack and thumbnails from pixel rows. */
#include "app/gl-thumbs.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char hash_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char hash_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void
test_pack (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-thumbs-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "thumbs.pack", NULL);

  g_autoptr (GlThumbPack) pack = gl_thumb_pack_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GdkPixbuf) big = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 400, 200);
  gdk_pixbuf_fill (big, 0x00000000u); /* fully transparent → white */
  g_assert_true (gl_thumb_pack_add (pack, hash_a, big, &error));
  g_assert_no_error (error);
  g_autoptr (GdkPixbuf) small = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 20, 10);
  gdk_pixbuf_fill (small, 0x000000ffu);
  g_assert_true (gl_thumb_pack_add (pack, hash_b, small, &error));
  g_assert_true (gl_thumb_pack_add (pack, hash_b, small, &error)); /* present: no second record */
  g_assert_cmpuint (gl_thumb_pack_count (pack), ==, 2);

  g_autoptr (GdkPixbuf) ta = gl_thumb_pack_load (pack, hash_a, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (ta), ==, 128); /* fits 128, aspect kept */
  g_assert_cmpint (gdk_pixbuf_get_height (ta), ==, 64);
  g_assert_cmpint (gdk_pixbuf_get_pixels (ta)[0], >=, 250);
  g_autoptr (GdkPixbuf) tb = gl_thumb_pack_load (pack, hash_b, &error);
  g_assert_cmpint (gdk_pixbuf_get_width (tb), ==, 20); /* never enlarged */
  g_assert_null (gl_thumb_pack_load (pack, "cc", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&pack, gl_thumb_pack_close);

  /* A torn tail: both records survive, the garbage is cut off. */
  FILE *f = fopen (path, "ab");
  fwrite ("GLTHxxxx", 1, 8, f);
  fclose (f);
  pack = gl_thumb_pack_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_thumb_pack_count (pack), ==, 2);
  g_clear_object (&tb);
  tb = gl_thumb_pack_load (pack, hash_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_height (tb), ==, 10);
  g_clear_pointer (&pack, gl_thumb_pack_close);
  g_unlink (path);
  g_rmdir (dir);
}

/* A damaged record is an error, with the loader closed (GdkPixbuf warns,
 * fatally in a test, and leaks its context otherwise), whether the JPEG
 * fails while written (a bogus marker) or when closed (no known format); a
 * record cut off under an open pack is an error of its own, not whatever
 * errno held. */
static void
test_damaged (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-thumbs-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "thumbs.pack", NULL);
  g_autoptr (GlThumbPack) pack = gl_thumb_pack_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 300, 300);
  gdk_pixbuf_fill (pb, 0x336699ffu);
  g_assert_true (gl_thumb_pack_add (pack, hash_a, pb, &error));
  g_clear_pointer (&pack, gl_thumb_pack_close);

  static const char bogus_jpeg[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
                                   "\xff\xc0\x00\x02";
  const char *starts[] = { "xxxxxxxxxxxxxxxxxxxxxxxxx", bogus_jpeg };
  for (guint k = 0; k < G_N_ELEMENTS (starts); k++)
    {
      FILE *f = fopen (path, "r+b");
      g_assert_nonnull (f);
      g_assert_cmpint (fseek (f, 4 + 64 + 4, SEEK_SET), ==, 0);
      g_assert_cmpuint (fwrite (starts[k], 1, 25, f), ==, 25);
      for (guint i = 0; i < 200; i++)
        fputc ('x', f);
      fclose (f);
      pack = gl_thumb_pack_open (path, &error);
      g_assert_no_error (error);
      g_assert_null (gl_thumb_pack_load (pack, hash_a, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      if (k + 1 < G_N_ELEMENTS (starts))
        g_clear_pointer (&pack, gl_thumb_pack_close);
    }

  g_assert_cmpint (truncate (path, 4 + 64 + 4 + 10), ==, 0);
  errno = ENOSPC;
  g_assert_null (gl_thumb_pack_load (pack, hash_a, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (strstr (error->message, "full"));
  g_clear_error (&error);
  g_clear_pointer (&pack, gl_thumb_pack_close);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_from_pixels (void)
{
  guint8 grey[28 * 28]; /* (28, 28, 1) */
  for (guint i = 0; i < sizeof grey; i++)
    grey[i] = (guint8) i;
  g_autoptr (GdkPixbuf) t = gl_thumbs_from_pixels (grey, 28, 28, 1);
  g_assert_cmpint (gdk_pixbuf_get_width (t), ==, 112);
  const guint8 *px = gdk_pixbuf_read_pixels (t);
  int rs = gdk_pixbuf_get_rowstride (t);
  /* Nearest-neighbour ×4: output (4y, 4x+1) is input (y, x). */
  g_assert_cmpuint (px[8 * rs + 5 * 3], ==, grey[2 * 28 + 1]);
  g_assert_cmpuint (px[8 * rs + 5 * 3 + 2], ==, grey[2 * 28 + 1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thumbs/pack", test_pack);
  g_test_add_func ("/thumbs/from-pixels", test_from_pixels);
  g_test_add_func ("/thumbs/damaged", test_damaged);
  return g_test_run ();
}
