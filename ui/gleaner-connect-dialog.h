/* gleaner-connect-dialog.h — "Connect to a Team Project" (issue 18): asks
 * for the team project's connection string (postgresql://USER@HOST/DATABASE),
 * the password if the server asks for one (a masked field: never shown,
 * never stored, never logged; it lives only in the connection string handed
 * to the window, which wipes it), and the name this desktop labels under
 * (gl-identity.h; set once, kept for every project).
 *
 * "Connect" saves the name when it changed and opens the project in the
 * parent GleanerWindow (gleaner_window_open_team). Main thread only. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GLEANER_TYPE_CONNECT_DIALOG (gleaner_connect_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GleanerConnectDialog, gleaner_connect_dialog, GLEANER, CONNECT_DIALOG, AdwMessageDialog)

GleanerConnectDialog *gleaner_connect_dialog_new (GtkWindow *parent);

/* For tests: fills the three fields as a person would type them. */
void gleaner_connect_dialog_fill (GleanerConnectDialog *self, const char *target, const char *password,
                                  const char *annotator);
/* Whether "Connect" is enabled (a connection string and a valid name). */
gboolean gleaner_connect_dialog_can_connect (GleanerConnectDialog *self);
/* The connection string with the password, as the window gets it (wipe it
 * before g_free); NULL with @error when the string does not parse. */
char *gleaner_connect_dialog_dup_target (GleanerConnectDialog *self, GError **error);

G_END_DECLS
