/* gl-team-pixels.c — see gl-team-pixels.h. */
#include "app/gl-team-pixels.h"

#include "db/gl-db-team.h"

/* Rows per statement batch, both ways. */
#define BATCH_ROWS 512

static char *
marker_path (const char *pixels_path)
{
  return g_strconcat (pixels_path, ".synced", NULL);
}

static guint64
read_marker (const char *pixels_path)
{
  g_autofree char *path = marker_path (pixels_path);
  g_autofree char *text = NULL;
  guint64 n = 0;
  if (g_file_get_contents (path, &text, NULL, NULL))
    g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, G_MAXUINT64, &n, NULL);
  return n;
}

static gboolean
write_marker (const char *pixels_path, guint64 n, GError **error)
{
  g_autofree char *path = marker_path (pixels_path);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", n);
  return g_file_set_contents (path, text, -1, error);
}

gboolean
gl_team_pixels_publish (GlDb *db, const char *pixels_path, guint64 end_row, GError **error)
{
  guint64 from = read_marker (pixels_path);
  if (end_row <= from)
    return TRUE;
  g_autoptr (GlPixelMap) map = gl_pixel_map_open (pixels_path, error);
  if (map == NULL)
    return FALSE;
  guint h, w, c;
  gl_pixel_map_shape (map, &h, &w, &c);
  gsize row_size = (gsize) h * w * c;
  guint64 end = MIN (end_row, gl_pixel_map_count (map));
  for (guint64 r = from; r < end; r += BATCH_ROWS)
    {
      guint n = (guint) MIN ((guint64) BATCH_ROWS, end - r);
      gboolean differs = FALSE;
      if (!gl_db_team_put_pixels (db, (gint64) r, gl_pixel_map_row (map, r), n, row_size, &differs, error))
        return FALSE;
      if (differs)
        {
          g_autofree char *disp = g_filename_display_name (pixels_path);
          g_autofree char *dir = g_path_get_dirname (disp);
          g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_CORRUPT,
                       "%s: rows from %" G_GUINT64_FORMAT " on differ from the team's store (an import on this "
                       "desktop was cut short while another desktop imported); the folder %s is only a cache: "
                       "close Gleaner, delete it, and open the project again to rebuild it from the store",
                       disp, r, dir);
          return FALSE;
        }
      if (!write_marker (pixels_path, r + n, error))
        return FALSE;
    }
  return TRUE;
}

typedef struct
{
  GlPixelCache *cache; /* borrowed */
  const char *pixels_path;
  gsize row_size;
  guint8 *zero;  /* (row_size) zeros, owned */
  gint64 next;   /* the cache's next row */
} Download;

static gboolean
append_row (gint64 row, const guint8 *pixels, gsize len, gpointer data, GError **error)
{
  Download *d = data;
  if (len != d->row_size)
    {
      g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_CORRUPT,
                   "pixel row %" G_GINT64_FORMAT " of the team's store has %" G_GSIZE_FORMAT " bytes, not the %"
                   G_GSIZE_FORMAT " of the project's input shape", row, len, d->row_size);
      return FALSE;
    }
  guint64 first;
  for (; d->next < row; d->next++) /* a row no image refers to */
    if (!gl_pixel_cache_append (d->cache, d->zero, 1, &first, error))
      return FALSE;
  if (!gl_pixel_cache_append (d->cache, pixels, 1, &first, error))
    return FALSE;
  d->next = row + 1;
  return TRUE;
}

gboolean
gl_team_pixels_sync (GlDb *db, GlPixelCache *cache, const char *pixels_path, gboolean locked, GError **error)
{
  guint64 local = gl_pixel_cache_count (cache);
  if (read_marker (pixels_path) > local && !write_marker (pixels_path, local, error))
    return FALSE;
  if (read_marker (pixels_path) < local)
    {
      if (!locked && !gl_db_team_lock_imports (db, error))
        return FALSE;
      gboolean ok = gl_team_pixels_publish (db, pixels_path, local, error);
      if (!locked)
        gl_db_team_unlock_imports (db);
      if (!ok)
        return FALSE;
    }
  gint64 stored = gl_db_team_pixel_rows (db, error);
  if (stored < 0)
    return FALSE;
  if ((guint64) stored <= local)
    return TRUE;
  Download d = { cache, pixels_path, gl_pixel_cache_row_size (cache), NULL, (gint64) local };
  d.zero = g_malloc0 (d.row_size);
  gboolean ok = TRUE;
  while (ok && d.next < stored)
    {
      gint64 before = d.next;
      ok = gl_db_team_read_pixels (db, d.next, BATCH_ROWS, append_row, &d, error);
      if (ok && d.next == before) /* rows past the last stored one vanished: nothing more to read */
        break;
    }
  g_free (d.zero);
  if (!ok || !gl_pixel_cache_sync (cache, error))
    return FALSE;
  return write_marker (pixels_path, gl_pixel_cache_count (cache), error);
}
