/* gl-thumbs.c — see gl-thumbs.h. */
#include "app/gl-thumbs.h"

#include "app/gl-decode.h"
#include "app/gl-path.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_HEADER (4 + 64 + 4)
#define MAX_THUMB_BYTES (4u * 1024 * 1024)

struct _GlThumbPack
{
  char *path;
  int fd;
  GMutex lock;
  GHashTable *index; /* hash hex → Entry; under @lock */
  guint64 end;       /* append offset; under @lock */
};

typedef struct
{
  guint64 offset; /* of the JPEG bytes */
  guint32 len;
} Entry;

static gboolean
io_error (GError **error, const char *path, const char *what, int e)
{
  g_autofree char *disp = g_filename_display_name (path);
  /* A full disk (or the file-size limit) says so, not "File too large". */
  if (e == ENOSPC || e == EFBIG || e == EDQUOT)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "the disk is full: %s %s", what, disp);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s: %s", disp, what, g_strerror (e));
  return FALSE;
}

void
gl_thumb_pack_close (GlThumbPack *pack)
{
  if (pack == NULL)
    return;
  if (pack->fd >= 0)
    close (pack->fd);
  g_clear_pointer (&pack->index, g_hash_table_unref);
  g_mutex_clear (&pack->lock);
  g_free (pack->path);
  g_free (pack);
}

GlThumbPack *
gl_thumb_pack_open (const char *path, GError **error)
{
  g_autoptr (GlThumbPack) pack = g_new0 (GlThumbPack, 1);
  g_mutex_init (&pack->lock);
  pack->path = g_strdup (path);
  pack->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  pack->fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (pack->fd < 0)
    {
      io_error (error, path, "cannot open", errno);
      return NULL;
    }
  struct stat st;
  if (fstat (pack->fd, &st) != 0)
    {
      io_error (error, path, "cannot stat", errno);
      return NULL;
    }
  guint64 size = (guint64) st.st_size, off = 0;
  while (off + RECORD_HEADER <= size)
    {
      guint8 hdr[RECORD_HEADER];
      if (pread (pack->fd, hdr, sizeof hdr, (off_t) off) != (ssize_t) sizeof hdr || memcmp (hdr, "GLTH", 4) != 0)
        break;
      guint32 len;
      memcpy (&len, hdr + 68, 4);
      len = GUINT32_FROM_LE (len);
      if (len > MAX_THUMB_BYTES || off + RECORD_HEADER + len > size)
        break;
      Entry *e = g_new (Entry, 1);
      e->offset = off + RECORD_HEADER;
      e->len = len;
      g_hash_table_replace (pack->index, g_strndup ((const char *) hdr + 4, 64), e);
      off += RECORD_HEADER + len;
    }
  /* Whatever follows the last whole record is a torn tail. */
  if (off != size && ftruncate (pack->fd, (off_t) off) != 0)
    {
      io_error (error, path, "cannot cut off a torn tail", errno);
      return NULL;
    }
  pack->end = off;
  return g_steal_pointer (&pack);
}

guint
gl_thumb_pack_count (GlThumbPack *pack)
{
  g_mutex_lock (&pack->lock);
  guint n = g_hash_table_size (pack->index);
  g_mutex_unlock (&pack->lock);
  return n;
}

gboolean
gl_thumb_pack_contains (GlThumbPack *pack, const char *hash_hex)
{
  g_mutex_lock (&pack->lock);
  gboolean found = g_hash_table_contains (pack->index, hash_hex);
  g_mutex_unlock (&pack->lock);
  return found;
}

GdkPixbuf *
gl_thumbs_make (GdkPixbuf *src)
{
  int w = gdk_pixbuf_get_width (src), h = gdk_pixbuf_get_height (src);
  double s = MIN (1.0, MIN ((double) GL_THUMB_SIZE / w, (double) GL_THUMB_SIZE / h));
  int tw = MAX (1, (int) (w * s + 0.5)), th = MAX (1, (int) (h * s + 0.5));
  if (!gdk_pixbuf_get_has_alpha (src))
    return (tw == w && th == h) ? g_object_ref (src) : gdk_pixbuf_scale_simple (src, tw, th, GDK_INTERP_BILINEAR);
  /* Composite onto white, scaling in the same pass. */
  GdkPixbuf *dest = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, tw, th);
  gdk_pixbuf_fill (dest, 0xffffffffu);
  gdk_pixbuf_composite (src, dest, 0, 0, tw, th, 0, 0, (double) tw / w, (double) th / h, GDK_INTERP_BILINEAR, 255);
  return dest;
}

gboolean
gl_thumb_pack_add (GlThumbPack *pack, const char *hash_hex, GdkPixbuf *src, GError **error)
{
  g_return_val_if_fail (strlen (hash_hex) == 64, FALSE);
  if (gl_thumb_pack_contains (pack, hash_hex))
    return TRUE;
  /* Encode outside the lock: several decoders add at once. */
  g_autoptr (GdkPixbuf) thumb = gl_thumbs_make (src);
  g_autofree char *buf = NULL;
  gsize len = 0;
  if (!gdk_pixbuf_save_to_buffer (thumb, &buf, &len, "jpeg", error, "quality", "85", NULL))
    return FALSE;
  gsize total = RECORD_HEADER + len;
  g_autofree guint8 *rec = g_malloc (total); /* (RECORD_HEADER + len) */
  memcpy (rec, "GLTH", 4);
  memcpy (rec + 4, hash_hex, 64);
  guint32 le = GUINT32_TO_LE ((guint32) len);
  memcpy (rec + 68, &le, 4);
  memcpy (rec + RECORD_HEADER, buf, len);

  g_mutex_lock (&pack->lock);
  gboolean ok = TRUE;
  if (!g_hash_table_contains (pack->index, hash_hex))
    {
      gsize done = 0;
      while (done < total)
        {
          ssize_t n = pwrite (pack->fd, rec + done, total - done, (off_t) (pack->end + done));
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              int e = n < 0 ? errno : ENOSPC;
              if (ftruncate (pack->fd, (off_t) pack->end) != 0)
                { /* the torn tail is cut on the next open */ }
              ok = io_error (error, pack->path, "cannot write", e);
              break;
            }
          done += (gsize) n;
        }
      if (ok)
        {
          Entry *entry = g_new (Entry, 1);
          entry->offset = pack->end + RECORD_HEADER;
          entry->len = (guint32) len;
          g_hash_table_replace (pack->index, g_strdup (hash_hex), entry);
          pack->end += total;
        }
    }
  g_mutex_unlock (&pack->lock);
  return ok;
}

GdkPixbuf *
gl_thumb_pack_load (GlThumbPack *pack, const char *hash_hex, GError **error)
{
  g_mutex_lock (&pack->lock);
  Entry *e = g_hash_table_lookup (pack->index, hash_hex);
  Entry copy = e ? *e : (Entry){ 0, 0 };
  g_mutex_unlock (&pack->lock);
  if (e == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no thumbnail for %s", hash_hex);
      return NULL;
    }
  g_autofree guint8 *buf = g_malloc (copy.len); /* (len) */
  ssize_t n;
  do
    n = pread (pack->fd, buf, copy.len, (off_t) copy.offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      io_error (error, pack->path, "cannot read", errno);
      return NULL;
    }
  if (n != (ssize_t) copy.len)
    {
      /* A short read sets no errno: the file was cut off under us. */
      g_autofree char *disp = g_filename_display_name (pack->path);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the thumbnail of %s is cut off", disp, hash_hex);
      return NULL;
    }
  /* A failed write closes the loader itself (GdkPixbuf 2.42), so neither
   * path leaves it open (tests/app/test-thumbs.c /thumbs/damaged). */
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  if (!gdk_pixbuf_loader_write (loader, buf, copy.len, error) || !gdk_pixbuf_loader_close (loader, error))
    return NULL;
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

GdkPixbuf *
gl_thumbs_from_pixels (const guint8 *pixels, guint h, guint w, guint c)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) w, (int) h);
  guint8 *dst = gdk_pixbuf_get_pixels (pb); /* (h, rowstride) */
  int rs = gdk_pixbuf_get_rowstride (pb);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      {
        const guint8 *p = pixels + ((gsize) y * w + x) * c;
        guint8 *d = dst + (gsize) y * rs + x * 3;
        d[0] = p[0];
        d[1] = c == 3 ? p[1] : p[0];
        d[2] = c == 3 ? p[2] : p[0];
      }
  guint f = GL_THUMB_SIZE / MAX (h, w);
  if (f <= 1)
    return gl_thumbs_make (pb);
  return gdk_pixbuf_scale_simple (pb, (int) (w * f), (int) (h * f), GDK_INTERP_NEAREST);
}

GdkPixbuf *
gl_thumbs_for_file (GlThumbPack *pack, const char *hash_hex, const char *path, char **reason)
{
  GdkPixbuf *cached = gl_thumb_pack_load (pack, hash_hex, NULL);
  if (cached != NULL)
    return cached;
  g_autofree guint8 *data = NULL; /* (len) */
  gsize len = 0;
  g_autofree char *file = gl_path_decode (path);
  if (!gl_decode_read_file (file, &data, &len, reason))
    return NULL;
  g_autoptr (GdkPixbuf) pb = gl_decode_bytes (data, len, GL_THUMB_SIZE, reason);
  if (pb == NULL)
    return NULL;
  /* A failure to store is not a failure to show. */
  gl_thumb_pack_add (pack, hash_hex, pb, NULL);
  return gl_thumbs_make (pb);
}
