/* gl-pixel-cache.h — the compact uint8 model-input cache of a project.
 *
 * One file per project. Layout (little-endian):
 *   offset 0   8 bytes  magic "GLPIXC01"
 *          8   u32      version (1)
 *         12   u32      h
 *         16   u32      w
 *         20   u32      c
 *         24   u64      count of rows known durable (written by _sync)
 *         32   32 bytes reserved (zero)
 *         64   rows     count × (h × w × c) bytes, row-major, channels last
 *
 * Crash safety: rows are appended at the end, then _sync() fdatasync()s the
 * data and records the count. The store may reference a row only after
 * _sync() returned TRUE. On open the number of rows is what the file size
 * holds in whole rows; a torn tail (a partial row from a crash) is ignored
 * and, when opened for appending, cut off.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GL_PIXEL_CACHE_HEADER_SIZE 64

#define GL_PIXEL_CACHE_ERROR (gl_pixel_cache_error_quark ())
GQuark gl_pixel_cache_error_quark (void);

typedef enum
{
  GL_PIXEL_CACHE_ERROR_IO,
  GL_PIXEL_CACHE_ERROR_FORMAT,
  GL_PIXEL_CACHE_ERROR_SHAPE,
} GlPixelCacheError;

/* Write side. */
typedef struct _GlPixelCache GlPixelCache;

/* Opens @path for appending, creating it with shape (h, w, c) when missing.
 * An existing file must have the same shape. */
GlPixelCache *gl_pixel_cache_open (const char *path, guint h, guint w, guint c, GError **error);
void gl_pixel_cache_close (GlPixelCache *cache);
guint64 gl_pixel_cache_count (GlPixelCache *cache);
gsize gl_pixel_cache_row_size (GlPixelCache *cache);
/* Appends @n rows; *first_row receives the index of the first. On error
 * (disk full, …) the file is cut back to where it was. @rows: (n, h, w, c). */
gboolean gl_pixel_cache_append (GlPixelCache *cache, const guint8 *rows, guint n, guint64 *first_row,
                                GError **error);
/* Makes every appended row durable; after it the rows may be referenced. */
gboolean gl_pixel_cache_sync (GlPixelCache *cache, GError **error);

/* Read side: a read-only memory map. Rows appended after mapping are not
 * visible; map again to see them. */
typedef struct _GlPixelMap GlPixelMap;

GlPixelMap *gl_pixel_map_open (const char *path, GError **error);
void gl_pixel_map_free (GlPixelMap *map);
guint64 gl_pixel_map_count (GlPixelMap *map);
void gl_pixel_map_shape (GlPixelMap *map, guint *h, guint *w, guint *c);
/* (count, h, w, c) — all rows, contiguous; NULL when count is 0. */
const guint8 *gl_pixel_map_data (GlPixelMap *map);
/* (h, w, c) — one row; NULL if @row >= count. */
const guint8 *gl_pixel_map_row (GlPixelMap *map, guint64 row);
/* Copies one row into @dst (row_size bytes) with a read, not through the
 * mapping: for long-lived maps read one row at a time (the Label view, the
 * thumbnails, the review), whose resident set would otherwise grow with every
 * row they ever read (the kernel maps whole folios and fault-around windows).
 * FALSE with @error (the file named) if @row >= count or the read fails. */
gboolean gl_pixel_map_read_row (GlPixelMap *map, guint64 row, guint8 *dst, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlPixelCache, gl_pixel_cache_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlPixelMap, gl_pixel_map_free)

G_END_DECLS
