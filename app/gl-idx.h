/* gl-idx.h — reader for IDX files of the MNIST family (MNIST, Fashion-MNIST, …).
 *
 * An IDX file is a 4-byte magic (0, 0, type, ndims), ndims big-endian uint32
 * dimensions, then the data. Only unsigned bytes (type 0x08) are supported,
 * which is what image and label files of the family use. The file may be
 * gzip-compressed (detected by its first two bytes, not its name).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GL_IDX_ERROR (gl_idx_error_quark ())
GQuark gl_idx_error_quark (void);

typedef enum
{
  GL_IDX_ERROR_IO,        /* cannot open or read the file */
  GL_IDX_ERROR_FORMAT,    /* bad magic, unsupported type, bad dimensions */
  GL_IDX_ERROR_TRUNCATED, /* fewer data bytes than the dimensions promise */
} GlIdxError;

#define GL_IDX_MAX_DIMS 4

typedef struct
{
  guint   ndims;
  guint32 dims[GL_IDX_MAX_DIMS]; /* dims[0] = number of items */
  gsize   item_size;             /* product of dims[1..ndims-1] (1 for labels) */
  guint8 *data;                  /* (dims[0], item_size), owned */
} GlIdx;

/* Reads a whole IDX file (plain or gzip). At most @max_items items are kept
 * when @max_items > 0. Errors name the file. */
GlIdx *gl_idx_read (const char *path, guint32 max_items, GError **error);
void gl_idx_free (GlIdx *idx);

/* Convenience: an images file (ndims 3: count × rows × cols, or ndims 4 with
 * channels last). Sets *rows, *cols, *channels. */
GlIdx *gl_idx_read_images (const char *path, guint *rows, guint *cols, guint *channels,
                           GError **error);
/* A labels file (ndims 1). */
GlIdx *gl_idx_read_labels (const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlIdx, gl_idx_free)

G_END_DECLS
