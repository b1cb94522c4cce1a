/* gl-path.h — file names as the store keeps them.
 *
 * A file name on Linux is bytes; the store keeps text (UTF-8). A name that is
 * UTF-8 is stored as it is. A byte that is not part of valid UTF-8 is stored
 * as the character U+10FF00 + byte (U+10FF80…U+10FFFF, private use, plane
 * 16), and so is each byte of a character of that range met in a name (so
 * that the mapping stays one to one: gl_path_decode (gl_path_encode (b)) == b
 * for every name b). The exact file can thus be opened again from the stored
 * text; gl_path_display gives a readable name, with each such byte shown as
 * the Latin-1 character of the same value (a Latin-1 name reads as itself).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Stored text (valid UTF-8) for the file name @bytes. */
char *gl_path_encode (const char *bytes);
/* The file name bytes for stored text @path (the inverse of gl_path_encode;
 * text that holds no escaped byte is returned as it is). */
char *gl_path_decode (const char *path);
/* A readable name for stored text @path: escaped bytes as Latin-1. */
char *gl_path_display (const char *path);
/* TRUE if @path (stored text) holds escaped bytes: the name is not UTF-8. */
gboolean gl_path_is_escaped (const char *path);

G_END_DECLS
