/* gleaner-drift-timeline.h — the drift timeline as a widget (a card of the
 * Insights view).
 *
 * Draws app/gl-chart-drift.c's chart of the GlDriftTimeline it holds, in its
 * snapshot, with the Insights charts' palette from the style (light or
 * dark). It redraws only when the timeline or the style changes. The numbers
 * under the pointer are in its tooltip; the accessible description holds
 * every number (gl_chart_drift_describe). It takes the keyboard focus:
 * the arrows move a ring over the cells (the focused cell's numbers lead the
 * accessible description and are its keyboard tooltip), Enter or Space opens
 * the cell as a click does. A click on a cell emits
 * "cell-activated" with the class id and the image id range of the batch or
 * window; a click on the verdict strip above the grid does nothing more than
 * its tooltip.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-drift-timeline.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_DRIFT_TIMELINE (gleaner_drift_timeline_get_type ())
G_DECLARE_FINAL_TYPE (GleanerDriftTimeline, gleaner_drift_timeline, GLEANER, DRIFT_TIMELINE, GtkWidget)

GtkWidget *gleaner_drift_timeline_new (void);

/* Takes a reference to @timeline (NULL: none yet). */
void gleaner_drift_timeline_set_timeline (GleanerDriftTimeline *self, GlDriftTimeline *timeline);
GlDriftTimeline *gleaner_drift_timeline_get_timeline (GleanerDriftTimeline *self);

G_END_DECLS
