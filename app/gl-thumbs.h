/* gl-thumbs.h — the thumbnail cache of a project.
 *
 * Thumbnails fit in GL_THUMB_SIZE × GL_THUMB_SIZE (aspect kept, never
 * enlarged), alpha flattened onto white, JPEG-encoded, keyed by the content
 * hash of the image (duplicates share one, a moved file keeps its own).
 *
 * They are appended to ONE pack file (cache/thumbs.pack) rather than one file
 * each: creating tens of thousands of small files cost more than decoding the
 * images. Record: "GLTH", 64 hex digits of SHA-256, u32 LE length, JPEG bytes.
 * The index is rebuilt by a scan on open; a torn tail is ignored (and cut off).
 * Thumbnails can always be remade, so the pack is not fsync'ed.
 *
 * A GlThumbPack may be used from several threads at once.
 *
 * Images that came from a container (IDX) have no file: their thumbnail is
 * made from the pixel-cache row on demand (gl_thumbs_from_pixels).
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

#define GL_THUMB_SIZE 128

typedef struct _GlThumbPack GlThumbPack;

GlThumbPack *gl_thumb_pack_open (const char *path, GError **error);
void gl_thumb_pack_close (GlThumbPack *pack);
guint gl_thumb_pack_count (GlThumbPack *pack);
gboolean gl_thumb_pack_contains (GlThumbPack *pack, const char *hash_hex);
/* Makes the thumbnail of @src and appends it (unless present). */
gboolean gl_thumb_pack_add (GlThumbPack *pack, const char *hash_hex, GdkPixbuf *src, GError **error);
/* The stored thumbnail, or NULL with G_IO_ERROR_NOT_FOUND. */
GdkPixbuf *gl_thumb_pack_load (GlThumbPack *pack, const char *hash_hex, GError **error);

/* Scales @src to thumbnail size (alpha flattened onto white). */
GdkPixbuf *gl_thumbs_make (GdkPixbuf *src);

/* A thumbnail from a model input. @pixels: (h, w, c), c = 1 or 3. Small
 * inputs are enlarged with nearest-neighbour by an integer factor so that
 * pixels stay crisp (28×28 → 112×112). */
GdkPixbuf *gl_thumbs_from_pixels (const guint8 *pixels, guint h, guint w, guint c);

/* The thumbnail of a file: from the pack when present, else decoded safely
 * (gl-decode rules) and added. NULL with *reason on a bad file. */
GdkPixbuf *gl_thumbs_for_file (GlThumbPack *pack, const char *hash_hex, const char *path, char **reason);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlThumbPack, gl_thumb_pack_close)

G_END_DECLS
