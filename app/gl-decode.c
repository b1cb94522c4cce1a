/* gl-decode.c — safe decoding and the resize rule; see gl-decode.h. */
#include "app/gl-decode.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  guint min_short_side;
  gboolean too_big;
  int width, height; /* as announced by the loader */
} SizeCheck;

static void
on_size_prepared_cb (GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
  SizeCheck *check = user_data;
  check->width = width;
  check->height = height;
  if (width <= 0 || height <= 0 || width > GL_DECODE_MAX_SIDE || height > GL_DECODE_MAX_SIDE
      || (guint64) width * (guint64) height > GL_DECODE_MAX_PIXELS)
    {
      check->too_big = TRUE;
      /* A 0×0 request makes the loaders stop before allocating pixels. */
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  int shorter = MIN (width, height);
  if (check->min_short_side > 0 && (guint) shorter > check->min_short_side)
    {
      /* Shrink while decoding (JPEG does it in the DCT), keeping the aspect
       * ratio and at least min_short_side on the shorter side. */
      double s = (double) check->min_short_side / shorter;
      int nw = MAX (1, (int) (width * s + 0.999));
      int nh = MAX (1, (int) (height * s + 0.999));
      gdk_pixbuf_loader_set_size (loader, nw, nh);
    }
}

static char *
reason_from_error (const GError *error, const SizeCheck *check)
{
  if (check->too_big)
    return g_strdup_printf ("dimensions %d×%d over the limit", check->width, check->height);
  if (error == NULL)
    return g_strdup ("not an image");
  if (g_error_matches (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE))
    return g_strdup ("not an image");
  if (g_error_matches (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY))
    return g_strdup ("too large to decode");
  return g_strdup_printf ("corrupt or truncated image: %s", error->message);
}

/* Incremental loaders hand out the rows they got when a file ends early
 * (the PNG and JPEG loaders do not report it), so for the formats that have
 * an end marker, check it is there. Trailing bytes after the marker are
 * tolerated for JPEG (some cameras append data). */
static gboolean
looks_truncated (const guint8 *data, gsize len)
{
  static const guint8 png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  if (len >= 8 && memcmp (data, png_sig, 8) == 0)
    {
      /* Walk the chunks: length, type, data, CRC; the last must be IEND. */
      gsize off = 8;
      while (off + 12 <= len)
        {
          guint32 clen = ((guint32) data[off] << 24) | ((guint32) data[off + 1] << 16)
                         | ((guint32) data[off + 2] << 8) | data[off + 3];
          if (memcmp (data + off + 4, "IEND", 4) == 0)
            return FALSE;
          if (clen > len - off - 12)
            return TRUE;
          off += 12 + (gsize) clen;
        }
      return TRUE;
    }
  if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    {
      gsize from = len > 65536 ? len - 65536 : 2;
      for (gsize i = len - 1; i > from; i--)
        if (data[i - 1] == 0xff && data[i] == 0xd9)
          return FALSE;
      return TRUE;
    }
  if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    {
      /* The trailer byte 0x3B, possibly followed by padding zeros. */
      gsize i = len;
      while (i > 6 && data[i - 1] == 0)
        i--;
      return data[i - 1] != 0x3b;
    }
  return FALSE;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

/* A BMP file's info header must be one of the sizes the format defines and
 * fit in the file, and so must its palette: GdkPixbuf's BMP loader
 * allocates the sizes the header claims before it reads, 4 GB for a 58-byte
 * file (fuzz-decode). */
static gboolean
bmp_header_bad (const guint8 *data, gsize len, char **reason)
{
  static const guint32 sizes[] = { 12, 16, 40, 52, 56, 64, 108, 124 };
  if (len < 2 || data[0] != 'B' || data[1] != 'M')
    return FALSE;
  if (len < 18)
    {
      *reason = g_strdup ("corrupt BMP: the file ends inside its header");
      return TRUE;
    }
  guint32 size = le32 (data + 14);
  guint32 offset = le32 (data + 10);
  if (offset > len)
    {
      /* The loader allocates up to the offset, 4 GB for 55 bytes (fuzz-decode). */
      *reason = g_strdup_printf ("corrupt BMP: pixels at byte %u of a file of %" G_GSIZE_FORMAT, offset, len);
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (size == sizes[i])
      {
        if (14 + (gsize) size > len)
          break;
        /* From the 40-byte header on, the number of palette colours is at
         * byte 46 (4 bytes each in the file). */
        guint32 colours = size >= 40 ? le32 (data + 46) : 0;
        if (14 + (guint64) size + (guint64) colours * 4 > len)
          {
            *reason = g_strdup_printf ("corrupt BMP: a palette of %u colours in a file of %" G_GSIZE_FORMAT,
                                       colours, len);
            return TRUE;
          }
        return FALSE;
      }
  *reason = g_strdup_printf ("corrupt BMP: an info header of %u bytes in a file of %" G_GSIZE_FORMAT, size, len);
  return TRUE;
}

GdkPixbuf *
gl_decode_bytes (const guint8 *data, gsize len, guint min_short_side, char **reason)
{
  if (len == 0)
    {
      *reason = g_strdup ("zero-byte file");
      return NULL;
    }
  if (bmp_header_bad (data, len, reason))
    return NULL;
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  SizeCheck check = { min_short_side, FALSE, 0, 0 };
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared_cb), &check);

  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;
  const gsize chunk = 256 * 1024;
  for (gsize off = 0; off < len && ok && !check.too_big; off += chunk)
    ok = gdk_pixbuf_loader_write (loader, data + off, MIN (chunk, len - off), &error);
  /* close() must always be called; its error matters only if writing went well. */
  gboolean closed = gdk_pixbuf_loader_close (loader, ok && !check.too_big ? &error : NULL);
  if (!ok || !closed || check.too_big)
    {
      *reason = reason_from_error (error, &check);
      return NULL;
    }
  GdkPixbuf *pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf != NULL && looks_truncated (data, len))
    {
      *reason = g_strdup ("corrupt or truncated image: the file ends early");
      return NULL;
    }
  if (pixbuf == NULL)
    {
      *reason = g_strdup ("truncated image (no pixels)");
      return NULL;
    }
  /* Animations: the first frame. Apply EXIF orientation when present. */
  GdkPixbuf *oriented = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  return oriented;
}

gboolean
gl_decode_read_file (const char *path, guint8 **contents, gsize *len, char **reason)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      *reason = g_strdup_printf ("unreadable: %s", g_strerror (e));
      return FALSE;
    }
  struct stat st;
  if (fstat (fd, &st) != 0)
    {
      int e = errno;
      close (fd);
      *reason = g_strdup_printf ("unreadable: %s", g_strerror (e));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      *reason = g_strdup (S_ISDIR (st.st_mode) ? "unreadable: is a directory" : "not a regular file");
      return FALSE;
    }
  if (st.st_size == 0)
    {
      close (fd);
      *reason = g_strdup ("zero-byte file");
      return FALSE;
    }
  if ((guint64) st.st_size > GL_DECODE_MAX_FILE_BYTES)
    {
      close (fd);
      *reason = g_strdup_printf ("file of %" G_GUINT64_FORMAT " bytes over the limit", (guint64) st.st_size);
      return FALSE;
    }
  gsize size = (gsize) st.st_size;
  guint8 *buf = g_malloc (size);
  gsize got = 0;
  while (got < size)
    {
      ssize_t n = read (fd, buf + got, size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = n < 0 ? errno : 0;
          close (fd);
          g_free (buf);
          *reason = e ? g_strdup_printf ("unreadable: %s", g_strerror (e)) : g_strdup ("unreadable: file shrank while reading");
          return FALSE;
        }
      got += (gsize) n;
    }
  close (fd);
  *contents = buf;
  *len = size;
  return TRUE;
}

void
gl_decode_to_input (GdkPixbuf *pixbuf, guint h, guint w, guint c, guint8 *out)
{
  int sw = gdk_pixbuf_get_width (pixbuf);
  int sh = gdk_pixbuf_get_height (pixbuf);
  double scale = MAX ((double) w / sw, (double) h / sh);
  double scaled_w = sw * scale, scaled_h = sh * scale;
  double ox = (scaled_w - w) / 2.0, oy = (scaled_h - h) / 2.0;
  gboolean has_alpha = gdk_pixbuf_get_has_alpha (pixbuf);

  const guint8 *src;
  int rowstride, n_channels;
  g_autoptr (GdkPixbuf) dest = NULL;
  if ((guint) sw == w && (guint) sh == h)
    {
      src = gdk_pixbuf_read_pixels (pixbuf);
      rowstride = gdk_pixbuf_get_rowstride (pixbuf);
      n_channels = gdk_pixbuf_get_n_channels (pixbuf);
    }
  else
    {
      dest = gdk_pixbuf_new (GDK_COLORSPACE_RGB, has_alpha, 8, (int) w, (int) h);
      gdk_pixbuf_scale (pixbuf, dest, 0, 0, (int) w, (int) h, -ox, -oy, scale, scale, GDK_INTERP_BILINEAR);
      src = gdk_pixbuf_read_pixels (dest);
      rowstride = gdk_pixbuf_get_rowstride (dest);
      n_channels = gdk_pixbuf_get_n_channels (dest);
    }

  for (guint y = 0; y < h; y++)
    {
      const guint8 *row = src + (gsize) y * rowstride; /* (w, n_channels) */
      guint8 *o = out + (gsize) y * w * c;              /* (w, c) */
      for (guint x = 0; x < w; x++)
        {
          const guint8 *p = row + (gsize) x * n_channels;
          guint r = p[0], g = p[1], b = p[2];
          if (has_alpha)
            {
              guint a = p[3];
              r = (r * a + 255u * (255u - a) + 127u) / 255u;
              g = (g * a + 255u * (255u - a) + 127u) / 255u;
              b = (b * a + 255u * (255u - a) + 127u) / 255u;
            }
          if (c == 1)
            o[x] = (guint8) ((299u * r + 587u * g + 114u * b + 500u) / 1000u);
          else
            {
              o[3 * x] = (guint8) r;
              o[3 * x + 1] = (guint8) g;
              o[3 * x + 2] = (guint8) b;
            }
        }
    }
}

gboolean
gl_decode_file (const char *path, guint h, guint w, guint c, guint8 *out, char **reason)
{
  *reason = NULL;
  g_autofree guint8 *data = NULL;
  gsize len = 0;
  if (!gl_decode_read_file (path, &data, &len, reason))
    return FALSE;
  g_autoptr (GdkPixbuf) pixbuf = gl_decode_bytes (data, len, MAX (h, w), reason);
  if (pixbuf == NULL)
    return FALSE;
  gl_decode_to_input (pixbuf, h, w, c, out);
  return TRUE;
}
