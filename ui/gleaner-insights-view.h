/* gleaner-insights-view.h — the Insights view: the five charts of a model
 * version (learning curve, per-class metrics, class balance, confusion
 * matrix, reliability diagram) with a version picker.
 *
 * The report is computed on a worker thread (gl_insights_compute_async)
 * whenever the view is reloaded or another version is picked; the charts
 * keep the last report until the new one arrives. Each chart card has its
 * numbers as a text table (an expander, also the chart's accessible
 * description) and exports as PNG or SVG through the same drawing code.
 * A click on a confusion cell emits "show-confusion" (label class id,
 * predicted class id).
 *
 * Above the five charts, across the view: the drift timeline of the same
 * version (its import batches or sliding windows, read on a worker by
 * gl_drift_timeline_load_async after each report). A click on one of its
 * cells emits "show-drift" (class id, first image id, last image id).
 */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-project.h"
#include "ui/gleaner-chart.h"
#include "ui/gleaner-drift-timeline.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_INSIGHTS_VIEW (gleaner_insights_view_get_type ())
G_DECLARE_FINAL_TYPE (GleanerInsightsView, gleaner_insights_view, GLEANER, INSIGHTS_VIEW, GtkWidget)

GtkWidget *gleaner_insights_view_new (void);

/* Borrows @project (NULL: none); the view forgets it when set to another. */
void gleaner_insights_view_set_project (GleanerInsightsView *self, GlProject *project);
/* Recomputes the report of the version picked (the current one at first). */
void gleaner_insights_view_reload (GleanerInsightsView *self);
/* Picks model version @model_id (-1: the current one) and computes its report. */
void gleaner_insights_view_show_version (GleanerInsightsView *self, gint64 model_id);

/* For tests: the chart of @kind; whether a report is being computed. */
GleanerChart *gleaner_insights_view_get_chart (GleanerInsightsView *self, GlChartKind kind);
gboolean gleaner_insights_view_is_loading (GleanerInsightsView *self);
GtkDropDown *gleaner_insights_view_get_version_dropdown (GleanerInsightsView *self);
/* The drift timeline; whether it is being read; the "Sliding Windows" button. */
GleanerDriftTimeline *gleaner_insights_view_get_drift_timeline (GleanerInsightsView *self);
gboolean gleaner_insights_view_is_loading_drift (GleanerInsightsView *self);
GtkToggleButton *gleaner_insights_view_get_drift_windows_button (GleanerInsightsView *self);

G_END_DECLS
