/* gleaner-application.h — the Gleaner GUI application.
 *
 * Activation opens a window on the demo project; opening a folder opens that
 * project. App-wide actions: app.preferences, app.about, app.quit. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GLEANER_TYPE_APPLICATION (gleaner_application_get_type ())
G_DECLARE_FINAL_TYPE (GleanerApplication, gleaner_application, GLEANER, APPLICATION, AdwApplication)

/* @flags are added to G_APPLICATION_HANDLES_OPEN (tests pass G_APPLICATION_NON_UNIQUE). */
GleanerApplication *gleaner_application_new (GApplicationFlags flags);

/* Records @dir first in the recent-projects list (at most 10 kept). */
void gleaner_application_add_recent (GleanerApplication *self, const char *dir);

G_END_DECLS
