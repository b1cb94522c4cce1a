/* gleaner-preferences-window.h — the preferences, bound to GSettings
 * (io.github.gleaner.Gleaner): acquisition strategy, retrain every N labels,
 * audit share, validation share, threads, augmentation. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GLEANER_TYPE_PREFERENCES_WINDOW (gleaner_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (GleanerPreferencesWindow, gleaner_preferences_window, GLEANER, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GleanerPreferencesWindow *gleaner_preferences_window_new (void);

G_END_DECLS
