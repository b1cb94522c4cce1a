/* gl-idx.c — IDX reader; see gl-idx.h. */
#include "app/gl-idx.h"

#include <gio/gio.h>
#include <string.h>

G_DEFINE_QUARK (gl-idx-error-quark, gl_idx_error)

#define IDX_READ_STEP ((gsize) 16 << 20) /* bytes read (and allocated) at a time */

void
gl_idx_free (GlIdx *idx)
{
  if (idx == NULL)
    return;
  g_free (idx->data);
  g_free (idx);
}

/* Reads exactly @len bytes unless the stream ends; returns bytes read or -1. */
static gssize
read_full (GInputStream *in, void *buf, gsize len, GError **error)
{
  gsize got = 0;
  if (!g_input_stream_read_all (in, buf, len, &got, NULL, error))
    return -1;
  return (gssize) got;
}

static GInputStream *
open_maybe_gzip (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) local = NULL;
  g_autoptr (GFileInputStream) fin = g_file_read (file, NULL, &local);
  if (fin == NULL)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_IO, "%s: %s", disp, local->message);
      return NULL;
    }
  /* Peek at the first two bytes for the gzip magic 1f 8b. */
  g_autoptr (GBufferedInputStream) buffered
      = G_BUFFERED_INPUT_STREAM (g_buffered_input_stream_new_sized (G_INPUT_STREAM (fin), 1 << 16));
  if (g_buffered_input_stream_fill (buffered, 2, NULL, &local) < 0)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_IO, "%s: %s", disp, local->message);
      return NULL;
    }
  gsize avail = 0;
  const guint8 *peek = g_buffered_input_stream_peek_buffer (buffered, &avail);
  if (avail >= 2 && peek[0] == 0x1f && peek[1] == 0x8b)
    {
      g_autoptr (GZlibDecompressor) dec = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      return g_converter_input_stream_new (G_INPUT_STREAM (buffered), G_CONVERTER (dec));
    }
  return G_INPUT_STREAM (g_steal_pointer (&buffered));
}

GlIdx *
gl_idx_read (const char *path, guint32 max_items, GError **error)
{
  g_autofree char *disp = g_filename_display_name (path);
  g_autoptr (GInputStream) in = open_maybe_gzip (path, error);
  if (in == NULL)
    return NULL;

  g_autoptr (GError) local = NULL;
  guint8 magic[4];
  gssize n = read_full (in, magic, 4, &local);
  if (n < 0)
    {
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_IO, "%s: %s", disp, local->message);
      return NULL;
    }
  if (n < 4 || magic[0] != 0 || magic[1] != 0)
    {
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT, "%s: not an IDX file (bad magic)", disp);
      return NULL;
    }
  if (magic[2] != 0x08)
    {
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT,
                   "%s: IDX data type 0x%02x is not supported (only unsigned bytes, 0x08)", disp, magic[2]);
      return NULL;
    }
  guint ndims = magic[3];
  if (ndims < 1 || ndims > GL_IDX_MAX_DIMS)
    {
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT, "%s: %u dimensions is not supported", disp, ndims);
      return NULL;
    }

  g_autoptr (GlIdx) idx = g_new0 (GlIdx, 1);
  idx->ndims = ndims;
  idx->item_size = 1;
  for (guint i = 0; i < ndims; i++)
    {
      guint8 be[4];
      n = read_full (in, be, 4, &local);
      if (n < 0)
        {
          g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_IO, "%s: %s", disp, local->message);
          return NULL;
        }
      if (n < 4)
        {
          g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_TRUNCATED, "%s: truncated header", disp);
          return NULL;
        }
      idx->dims[i] = ((guint32) be[0] << 24) | ((guint32) be[1] << 16) | ((guint32) be[2] << 8) | be[3];
      if (i > 0)
        {
          if (idx->dims[i] == 0 || idx->item_size > G_MAXUINT32 / idx->dims[i])
            {
              g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT, "%s: bad dimension %u", disp,
                           idx->dims[i]);
              return NULL;
            }
          idx->item_size *= idx->dims[i];
        }
    }

  guint32 count = idx->dims[0];
  if (max_items > 0 && count > max_items)
    count = max_items;
  /* 4 GiB is far beyond any file of the family; refuse rather than allocate. */
  if ((guint64) count * idx->item_size > ((guint64) 1 << 32))
    {
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT, "%s: %u items of %zu bytes is too large",
                   disp, count, idx->item_size);
      return NULL;
    }
  gsize total = (gsize) count * idx->item_size;
  /* Read in steps, the buffer growing with what is there: a header that
   * promises gigabytes in a file of a few bytes (fuzz-idx) costs one small
   * step, not an allocation of the promised size. */
  gsize got = 0;
  idx->data = g_malloc (1);
  while (got < total)
    {
      /* 64 KB first, then doubling up to IDX_READ_STEP. */
      gsize step = MIN (total - got, CLAMP (got, (gsize) 1 << 16, IDX_READ_STEP));
      idx->data = g_realloc (idx->data, got + step);
      n = read_full (in, idx->data + got, step, &local);
      if (n < 0)
        {
          g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_IO, "%s: %s", disp, local->message);
          return NULL;
        }
      got += (gsize) n;
      if ((gsize) n < step)
        {
          g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_TRUNCATED,
                       "%s: truncated: %u items of %zu bytes promised, only %zu bytes present", disp,
                       idx->dims[0], idx->item_size, got);
          return NULL;
        }
    }
  idx->dims[0] = count;
  return g_steal_pointer (&idx);
}

GlIdx *
gl_idx_read_images (const char *path, guint *rows, guint *cols, guint *channels, GError **error)
{
  g_autoptr (GlIdx) idx = gl_idx_read (path, 0, error);
  if (idx == NULL)
    return NULL;
  if (idx->ndims != 3 && idx->ndims != 4)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT,
                   "%s: an images file has 3 or 4 dimensions, this one has %u", disp, idx->ndims);
      return NULL;
    }
  *rows = idx->dims[1];
  *cols = idx->dims[2];
  *channels = idx->ndims == 4 ? idx->dims[3] : 1;
  if (*channels != 1 && *channels != 3)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT, "%s: %u channels is not supported", disp,
                   *channels);
      return NULL;
    }
  return g_steal_pointer (&idx);
}

GlIdx *
gl_idx_read_labels (const char *path, GError **error)
{
  g_autoptr (GlIdx) idx = gl_idx_read (path, 0, error);
  if (idx == NULL)
    return NULL;
  if (idx->ndims != 1)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_IDX_ERROR, GL_IDX_ERROR_FORMAT,
                   "%s: a labels file has 1 dimension, this one has %u", disp, idx->ndims);
      return NULL;
    }
  return g_steal_pointer (&idx);
}
