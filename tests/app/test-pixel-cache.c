/* Unit tests of the pixel cache: append, map, reopen, torn tail, shape check. */
#include "app/gl-pixel-cache.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
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

/* Several processes append to one cache while others open it (as two
 * imports and a window do): every row an append reported holds what that
 * append wrote. Opening cuts a torn tail; it must not cut the tail of an
 * append still in progress in another process. */
enum
{
  SHARE_H = 64,
  SHARE_W = 64,
  SHARE_C = 3,
  SHARE_ROW = SHARE_H * SHARE_W * SHARE_C,
  SHARE_N = 48,      /* rows per append: a write of 576 KiB */
  SHARE_APPENDS = 40, /* per writer */
  SHARE_WRITERS = 2,
  SHARE_OPENERS = 2,
};

static void
share_fill (guint8 *row, guint writer, guint seq)
{
  memset (row, (int) (writer * 64 + seq % 64), SHARE_ROW);
  memcpy (row, &seq, sizeof seq);
}

static void
test_shared_append (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-pixc-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "pixels", NULL);
  int fds[SHARE_WRITERS][2];
  pid_t pids[SHARE_WRITERS + SHARE_OPENERS];
  for (guint w = 0; w < SHARE_WRITERS; w++)
    {
      g_assert_cmpint (pipe (fds[w]), ==, 0);
      pids[w] = fork ();
      g_assert_cmpint (pids[w], >=, 0);
      if (pids[w] == 0)
        {
          close (fds[w][0]);
          guint8 *rows = g_malloc ((gsize) SHARE_ROW * SHARE_N);
          for (guint a = 0; a < SHARE_APPENDS; a++)
            {
              /* A fresh open per append, as every import does. */
              GlPixelCache *cache = gl_pixel_cache_open (path, SHARE_H, SHARE_W, SHARE_C, NULL);
              if (cache == NULL)
                _exit (2);
              for (guint i = 0; i < SHARE_N; i++)
                share_fill (rows + (gsize) i * SHARE_ROW, w, a * SHARE_N + i);
              guint64 first;
              if (!gl_pixel_cache_append (cache, rows, SHARE_N, &first, NULL)
                  || !gl_pixel_cache_sync (cache, NULL)
                  || write (fds[w][1], &first, sizeof first) != sizeof first)
                _exit (3);
              gl_pixel_cache_close (cache);
            }
          _exit (0);
        }
      close (fds[w][1]);
    }
  for (guint o = 0; o < SHARE_OPENERS; o++)
    {
      pid_t pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          for (guint i = 0; i < 2000; i++)
            {
              GlPixelCache *cache = gl_pixel_cache_open (path, SHARE_H, SHARE_W, SHARE_C, NULL);
              gl_pixel_cache_close (cache);
            }
          _exit (0);
        }
      pids[SHARE_WRITERS + o] = pid;
    }
  guint64 firsts[SHARE_WRITERS][SHARE_APPENDS];
  for (guint w = 0; w < SHARE_WRITERS; w++)
    {
      for (guint a = 0; a < SHARE_APPENDS; a++)
        g_assert_cmpint (read (fds[w][0], &firsts[w][a], sizeof (guint64)), ==, sizeof (guint64));
      close (fds[w][0]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    {
      int status;
      g_assert_cmpint (waitpid (pids[i], &status, 0), ==, pids[i]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  g_autoptr (GlPixelMap) map = gl_pixel_map_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gl_pixel_map_count (map), ==, (guint64) SHARE_WRITERS * SHARE_APPENDS * SHARE_N);
  g_autofree guint8 *want = g_malloc (SHARE_ROW);
  for (guint w = 0; w < SHARE_WRITERS; w++)
    for (guint a = 0; a < SHARE_APPENDS; a++)
      for (guint i = 0; i < SHARE_N; i++)
        {
          share_fill (want, w, a * SHARE_N + i);
          const guint8 *got = gl_pixel_map_row (map, firsts[w][a] + i);
          g_assert_nonnull (got);
          if (memcmp (got, want, SHARE_ROW) != 0)
            g_error ("row %" G_GUINT64_FORMAT " (writer %u, append %u, row %u) was overwritten or cut",
                     firsts[w][a] + i, w, a, i);
        }
  g_unlink (path);
  g_rmdir (dir);
}

/* The kB of @base's mapping that are resident, from /proc/self/smaps. */
static guint64
mapping_rss_kb (const void *base)
{
  g_autofree char *smaps = NULL;
  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  char start[32];
  g_snprintf (start, sizeof start, "%" G_GINT64_MODIFIER "x-", (guint64) (guintptr) base);
  const char *at = NULL;
  for (const char *line = smaps; line != NULL && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (g_str_has_prefix (line, start))
      {
        at = line;
        break;
      }
  g_assert_nonnull (at);
  const char *rss = strstr (at, "\nRss:");
  g_assert_nonnull (rss);
  return g_ascii_strtoull (rss + 5 + strspn (rss + 5, " \t"), NULL, 10);
}

/* A long-lived map read row by row (the Label view's) keeps nothing resident
 * when it reads with gl_pixel_map_read_row; read through the mapping, the
 * same rows stay resident (so the check can fail). */
static void
test_read_row (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-pixc-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "pixels", NULL);
  g_autoptr (GlPixelCache) cache = gl_pixel_cache_open (path, 28, 28, 1, &error);
  g_assert_no_error (error);
  const guint n = 4096; /* 3.1 MB */
  g_autofree guint8 *rows = g_malloc ((gsize) n * 784);
  for (gsize i = 0; i < (gsize) n * 784; i++)
    rows[i] = (guint8) (i * 7);
  guint64 first;
  g_assert_true (gl_pixel_cache_append (cache, rows, n, &first, &error));
  g_assert_true (gl_pixel_cache_sync (cache, &error));

  for (int by_read = 0; by_read < 2; by_read++)
    {
      g_autoptr (GlPixelMap) map = gl_pixel_map_open (path, &error);
      g_assert_no_error (error);
      guint8 row[784];
      for (guint64 r = 0; r < n; r++)
        {
          if (by_read)
            g_assert_true (gl_pixel_map_read_row (map, r, row, &error));
          else
            memcpy (row, gl_pixel_map_row (map, r), sizeof row);
          g_assert_no_error (error);
          g_assert_cmpmem (row, 784, rows + r * 784, 784);
        }
      guint64 kb = mapping_rss_kb (gl_pixel_map_data (map) - GL_PIXEL_CACHE_HEADER_SIZE);
      g_test_message ("%s: %" G_GUINT64_FORMAT " kB of %u kB resident", by_read ? "read" : "mapped", kb,
                      n * 784 / 1024);
      if (by_read)
        g_assert_cmpuint (kb, ==, 0);
      else
        g_assert_cmpuint (kb, >=, 1024);

      /* Past the end: an error naming the file, the buffer untouched. */
      memset (row, 0xAB, sizeof row);
      g_assert_false (gl_pixel_map_read_row (map, n, row, &error));
      g_assert_error (error, GL_PIXEL_CACHE_ERROR, GL_PIXEL_CACHE_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, "pixels"));
      g_clear_error (&error);
      g_assert_cmpuint (row[0], ==, 0xAB);
    }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pixel-cache/append-map-torn", test_append_map);
  g_test_add_func ("/pixel-cache/shared-append", test_shared_append);
  g_test_add_func ("/pixel-cache/read-row", test_read_row);
  return g_test_run ();
}
