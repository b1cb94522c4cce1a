/* gl-decode.h — decode one image file safely and convert it to a model input.
 *
 * Safety: the dimensions are checked as soon as the loader knows them, before
 * any pixel buffer is allocated (GdkPixbufLoader::size-prepared; setting the
 * size to 0×0 there makes every loader stop), so a decompression bomb cannot
 * eat memory. Limits: GL_DECODE_MAX_SIDE per side and GL_DECODE_MAX_PIXELS in
 * total, and GL_DECODE_MAX_FILE_BYTES of file.
 *
 * Resize rule (the model input of a project is h × w × c, c = 1 or 3):
 *   0. the import and gl_decode_file ask the loader for a shorter side of
 *      max (h, w): a JPEG is decoded by its DCT at the smallest of 1/1, 1/2,
 *      1/4, 1/8 of its size that still reaches it (far cheaper than a full
 *      decode), and GdkPixbufLoader area-averages that to the size asked;
 *   1. scale so that the image covers h × w with its aspect ratio kept (the
 *      shorter side relative to the target fits exactly), area-averaging when
 *      shrinking (GDK_INTERP_BILINEAR integrates over the covered area),
 *      bilinear when enlarging;
 *   2. centre-crop to h × w;
 *   3. flatten alpha onto white;
 *   4. grey (c = 1) is the Rec. 601 luminance 0.299 R + 0.587 G + 0.114 B,
 *      rounded; c = 3 keeps RGB.
 * The output is uint8, row-major, channels last: (h, w, c).
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

#define GL_DECODE_MAX_SIDE       20000
#define GL_DECODE_MAX_PIXELS     (100u * 1000u * 1000u)
#define GL_DECODE_MAX_FILE_BYTES ((gsize) 512 * 1024 * 1024)

/* Decodes @data (@len bytes, the content of one file). On success returns a
 * pixbuf whose shorter side is at least @min_short_side (the loader may
 * shrink on the fly, e.g. JPEG DCT scaling, when the image is bigger; 0 =
 * full size). On failure returns NULL and sets *reason to a short English
 * phrase ("not an image", "truncated", "dimensions 100000×100000 over the
 * limit", …). */
GdkPixbuf *gl_decode_bytes (const guint8 *data, gsize len, guint min_short_side, char **reason);

/* Reads @path (file name bytes, any encoding: see gl-path.h for stored
 * ones) whole (refusing directories, empty and oversized files) into
 * *contents / *len. On failure sets *reason ("unreadable: …", "zero-byte
 * file", "not a regular file"). */
gboolean gl_decode_read_file (const char *path, guint8 **contents, gsize *len, char **reason);

/* Converts @pixbuf to the model input by the resize rule above.
 * @out: (h, w, c) uint8. */
void gl_decode_to_input (GdkPixbuf *pixbuf, guint h, guint w, guint c, guint8 *out);

/* All of the above for one path: name check, read, decode, convert.
 * @out: (h, w, c). */
gboolean gl_decode_file (const char *path, guint h, guint w, guint c, guint8 *out, char **reason);

G_END_DECLS
