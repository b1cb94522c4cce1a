/* gl-thumbs.c — see gl-thumbs.h. */
#include "app/gl-thumbs.h"

#include "app/gl-decode.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

char *
gl_thumbs_path (const char *thumbs_dir, const char *hash_hex)
{
  char sub[3] = { hash_hex[0], hash_hex[0] ? hash_hex[1] : 0, 0 };
  g_autofree char *name = g_strconcat (hash_hex, ".png", NULL);
  return g_build_filename (thumbs_dir, sub, name, NULL);
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
gl_thumbs_store (const char *thumbs_dir, const char *hash_hex, GdkPixbuf *src, GError **error)
{
  g_autofree char *path = gl_thumbs_path (thumbs_dir, hash_hex);
  g_autofree char *parent = g_path_get_dirname (path);
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int e = errno;
      g_autofree char *disp = g_filename_display_name (parent);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", disp, g_strerror (e));
      return FALSE;
    }
  g_autoptr (GdkPixbuf) thumb = gl_thumbs_make (src);
  g_autofree char *buf = NULL;
  gsize len = 0;
  if (!gdk_pixbuf_save_to_buffer (thumb, &buf, &len, "png", error, "compression", "1", NULL))
    return FALSE;
  return g_file_set_contents_full (path, buf, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

GdkPixbuf *
gl_thumbs_load (const char *thumbs_dir, const char *hash_hex, GError **error)
{
  g_autofree char *path = gl_thumbs_path (thumbs_dir, hash_hex);
  return gdk_pixbuf_new_from_file (path, error);
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
gl_thumbs_for_file (const char *thumbs_dir, const char *hash_hex, const char *path, char **reason)
{
  GdkPixbuf *cached = gl_thumbs_load (thumbs_dir, hash_hex, NULL);
  if (cached != NULL)
    return cached;
  g_autofree guint8 *data = NULL; /* (len) */
  gsize len = 0;
  if (!gl_decode_read_file (path, &data, &len, reason))
    return NULL;
  g_autoptr (GdkPixbuf) pb = gl_decode_bytes (data, len, GL_THUMB_SIZE, reason);
  if (pb == NULL)
    return NULL;
  /* A failure to store is not a failure to show. */
  gl_thumbs_store (thumbs_dir, hash_hex, pb, NULL);
  return gl_thumbs_make (pb);
}
