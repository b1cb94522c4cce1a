/* gleaner-chart.h — one Insights chart as a widget.
 *
 * Draws app/gl-chart.c's chart of its kind for the report it holds into a
 * render node kept until the report, size or style changes, at most one chart
 * afresh per frame (ui/gleaner-chart-cache.h), with a palette taken from the style:
 * text and grid from the widget's colour, the background from the card, the
 * series from the light or dark palette as libadwaita's style is. It redraws
 * only when the report or the style changes. The numbers under the pointer
 * are in its tooltip; the accessible description holds every number
 * (gl_chart_describe). A click on a confusion-matrix cell emits
 * "cell-activated" with the true and predicted class ids.
 */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-chart.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_CHART (gleaner_chart_get_type ())
G_DECLARE_FINAL_TYPE (GleanerChart, gleaner_chart, GLEANER, CHART, GtkWidget)

GtkWidget *gleaner_chart_new (GlChartKind kind);

GlChartKind gleaner_chart_get_kind (GleanerChart *self);
/* Takes a reference to @report (NULL: none yet). */
void gleaner_chart_set_report (GleanerChart *self, GlInsights *report);
GlInsights *gleaner_chart_get_report (GleanerChart *self);
/* TRUE when what is on screen is the current report at the current size and
 * style (a chart over its frame's budget waits for a later frame). */
gboolean gleaner_chart_is_drawn (GleanerChart *self);
/* Times the chart was drawn afresh (tests: a redraw without a change reuses
 * the drawing). */
guint gleaner_chart_get_n_drawn (GleanerChart *self);
/* The palette the chart draws with now (from the style), background opaque:
 * what an export of it should use to look as on screen. */
void gleaner_chart_get_palette (GleanerChart *self, GlChartPalette *palette);
/* The same palette for any widget drawing a chart (the drift timeline). */
void gleaner_chart_palette_for (GtkWidget *widget, GlChartPalette *palette);

G_END_DECLS
