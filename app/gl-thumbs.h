/* gl-thumbs.h — the thumbnail cache of a project.
 *
 * Thumbnails fit in GL_THUMB_SIZE × GL_THUMB_SIZE (aspect kept, never
 * enlarged), alpha flattened onto white, stored as PNG files under
 * THUMBS_DIR/ab/<sha256-hex>.png, keyed by the content hash of the image, so
 * duplicates share one and a renamed file keeps its thumbnail. Files are
 * written atomically (temporary file + rename).
 *
 * Images that came from a container (IDX) have no file: their thumbnail is
 * made from the pixel-cache row on demand (gl_thumbs_from_pixels).
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

#define GL_THUMB_SIZE 128

char *gl_thumbs_path (const char *thumbs_dir, const char *hash_hex);

/* Scales @src to thumbnail size (alpha flattened onto white). */
GdkPixbuf *gl_thumbs_make (GdkPixbuf *src);

/* Makes and stores the thumbnail of @src under @hash_hex. */
gboolean gl_thumbs_store (const char *thumbs_dir, const char *hash_hex, GdkPixbuf *src, GError **error);

/* The stored thumbnail, or NULL with an error (G_FILE_ERROR_NOENT if absent). */
GdkPixbuf *gl_thumbs_load (const char *thumbs_dir, const char *hash_hex, GError **error);

/* A thumbnail from a model input. @pixels: (h, w, c), c = 1 or 3. Small
 * inputs are enlarged with nearest-neighbour by an integer factor so that
 * pixels stay crisp (28×28 → 112×112). */
GdkPixbuf *gl_thumbs_from_pixels (const guint8 *pixels, guint h, guint w, guint c);

/* The thumbnail of a file: from the cache when present, else decoded
 * safely (gl-decode rules) and stored. NULL with *reason on a bad file. */
GdkPixbuf *gl_thumbs_for_file (const char *thumbs_dir, const char *hash_hex, const char *path, char **reason);

G_END_DECLS
