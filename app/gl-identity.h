/* gl-identity.h — the annotator's name: who labels on this desktop.
 *
 * Every label records its annotator. By default that is the login name; a
 * person sets their own name once (`gleaner-cli annotator --set NAME`), and
 * it is kept per user in GLib's user config folder
 * (g_get_user_config_dir ()/gleaner/identity.ini, group [annotator], key
 * name), read by gleaner-cli and the app when they start
 * (gl_identity_apply) and written into every label they give from then on.
 * Labels given before keep the name they were given under.
 *
 * GLib only; any thread, but meant for start-up (the file is read once per
 * call, not watched). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest name, in characters. */
#define GL_IDENTITY_NAME_MAX 100

/* The identity file (owned by the caller). */
char *gl_identity_path (void);

/* TRUE when @name can be an annotator name: valid UTF-8, 1 to
 * GL_IDENTITY_NAME_MAX characters, no control characters, no leading or
 * trailing white space, and not "import" (the annotator of the labels that
 * come with an import). Otherwise FALSE with G_IO_ERROR_INVALID_ARGUMENT
 * naming the value and what is wrong with it. */
gboolean gl_identity_check_name (const char *name, GError **error);

/* The name set in the identity file, or NULL without error when none is
 * set. NULL with an error naming the file when it cannot be read or holds
 * a bad name. */
char *gl_identity_load (GError **error);

/* Writes @name to the identity file (creating the folder), atomically; with
 * @name NULL removes the setting (back to the login name). */
gboolean gl_identity_save (const char *name, GError **error);

/* The name labels get from now on: the set name, else the login name.
 * *@from_file (may be NULL) tells which. A bad file counts as unset, with a
 * g_warning naming it. */
char *gl_identity_current (gboolean *from_file);

/* Loads the identity and makes it the default annotator of every store
 * connection opened afterwards (gl_db_set_default_annotator). */
void gl_identity_apply (void);

G_END_DECLS
