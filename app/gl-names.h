/* gl-names.h — finding the name a user probably meant, for error messages
 * such as "no class named “Boot” (classes: boot, coat; did you mean “boot”?)".
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The edit distance (Levenshtein: insertions, deletions, substitutions of
 * one character) between @a and @b, compared case-insensitively, character
 * by character (UTF-8; a byte that is not UTF-8 counts as one character). */
guint gl_names_distance (const char *a, const char *b);

/* The name of @names (NULL-terminated) nearest to @name, if it is near
 * enough to be a likely typo (distance at most a third of the longer name,
 * at least 1; a different case alone always counts); else NULL. Borrowed from
 * @names. */
const char *gl_names_nearest (const char *name, const char *const *names);

/* "did you mean" text for an error message about @name not being one of
 * @names: "(classes: a, b, c; did you mean “b”?)" with @what "classes", or
 * "(no classes)" when @names is empty. At most 20 names are listed. */
char *gl_names_hint (const char *what, const char *name, const char *const *names);

G_END_DECLS
