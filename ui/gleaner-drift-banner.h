/* gleaner-drift-banner.h — the banner across the top of a project's views
 * when drift is detected: where (the batch or window), which classes with
 * their strongest test (adjusted p-value, effect size, sample sizes), the
 * estimated accuracy with its interval, and "Label Drifted Images".
 *
 * The banner only shows the drift state it is given (app/gl-drift-auto.h)
 * and says what the user asked: "label-drifted" when the button is clicked
 * (the window starts the drift-boosted queue), and it hides itself when dismissed until a newer
 * result is given. Numbers are in its labels' text and tooltip, so screen
 * readers reach them.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-drift-auto.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_DRIFT_BANNER (gleaner_drift_banner_get_type ())
G_DECLARE_FINAL_TYPE (GleanerDriftBanner, gleaner_drift_banner, GLEANER, DRIFT_BANNER, GtkWidget)

GtkWidget *gleaner_drift_banner_new (void);

/* Shows @state when its newest result drifted: the drifted classes with
 * their strongest test, whether it persists and hurts, the boost (hidden
 * otherwise, or when that result was dismissed); NULL hides. */
void gleaner_drift_banner_show_state (GleanerDriftBanner *self, const GlDriftAutoState *state);

/* Whether the banner is shown; its title and details (for tests). */
gboolean gleaner_drift_banner_is_shown (GleanerDriftBanner *self);
const char *gleaner_drift_banner_get_title (GleanerDriftBanner *self);
const char *gleaner_drift_banner_get_details (GleanerDriftBanner *self);
GtkButton *gleaner_drift_banner_get_button (GleanerDriftBanner *self);

G_END_DECLS
