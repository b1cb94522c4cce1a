/* Unit tests of the pixel cache: append, map, reopen, torn tail, shape check. */
#include "app/gl-pixel-cache.h"

#include <glib/gstdio.h>
#include <unistd.h>

static void
test_append_map (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-pixc-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "pixels", NULL);

  g_autoptr (GlPixelCache) cache = gl_pixel_cache_open (path, 2, 2, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_pixel_cache_count (cache), ==, 0);
  guint8 rows[3 * 12]; /* (3, 2, 2, 3) */
  for (guint i = 0; i < sizeof rows; i++)
    rows[i] = (guint8) i;
  guint64 first = 99;
  g_assert_true (gl_pixel_cache_append (cache, rows, 2, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (first, ==, 0);
  g_assert_true (gl_pixel_cache_append (cache, rows + 24, 1, &first, &error));
  g_assert_cmpuint (first, ==, 2);
  g_assert_true (gl_pixel_cache_sync (cache, &error));
  g_assert_no_error (error);

  g_autoptr (GlPixelMap) map = gl_pixel_map_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_pixel_map_count (map), ==, 3);
  guint h, w, c;
  gl_pixel_map_shape (map, &h, &w, &c);
  g_assert_cmpuint (h * 100 + w * 10 + c, ==, 223);
  g_assert_cmpmem (gl_pixel_map_row (map, 1), 12, rows + 12, 12);
  g_assert_cmpmem (gl_pixel_map_data (map), sizeof rows, rows, sizeof rows);
  g_assert_null (gl_pixel_map_row (map, 3));
  g_clear_pointer (&cache, gl_pixel_cache_close);

  /* A torn tail (half a row) is ignored by readers and cut off on reopen. */
  FILE *f = fopen (path, "ab");
  g_assert_nonnull (f);
  fwrite (rows, 1, 5, f);
  fclose (f);
  g_clear_pointer (&map, gl_pixel_map_free);
  map = gl_pixel_map_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_pixel_map_count (map), ==, 3);
  cache = gl_pixel_cache_open (path, 2, 2, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_pixel_cache_count (cache), ==, 3);
  g_assert_true (gl_pixel_cache_append (cache, rows, 1, &first, &error));
  g_assert_cmpuint (first, ==, 3);
  g_clear_pointer (&map, gl_pixel_map_free);
  map = gl_pixel_map_open (path, &error);
  g_assert_cmpmem (gl_pixel_map_row (map, 3), 12, rows, 12);
  g_assert_cmpmem (gl_pixel_map_row (map, 2), 12, rows + 24, 12);

  /* The wrong shape and a foreign file are refused with the file named. */
  g_autoptr (GlPixelCache) other = gl_pixel_cache_open (path, 28, 28, 1, &error);
  g_assert_null (other);
  g_assert_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_SHAPE);
  g_clear_error (&error);
  g_autofree char *junk = g_build_filename (dir, "junk", NULL);
  g_file_set_contents (junk, "hello", 5, NULL);
  g_autoptr (GlPixelMap) jm = gl_pixel_map_open (junk, &error);
  g_assert_null (jm);
  g_assert_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_FORMAT);
  g_clear_error (&error);

  g_unlink (junk);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pixel-cache/append-map-torn", test_append_map);
  return g_test_run ();
}
