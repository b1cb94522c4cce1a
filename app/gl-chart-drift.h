/* gl-chart-drift.h — the drift timeline chart: a version's import batches
 * (or sliding windows) across, classes down, each cell coloured by the
 * class's drift verdict there; a strip above the grid holds each batch's
 * overall verdict.
 *
 * Drawn with cairo and PangoCairo like the other Insights charts (gl-chart.h:
 * the same palette, fonts and layout rules), from a GlDriftTimeline. Colour
 * is never the only sign: a drifted cell also carries a "!", and a cell
 * without a verdict (fewer than 30 images) is hatched. Layout depends only on
 * the size and the timeline, so gl_chart_drift_query (tooltips, clicks)
 * agrees with what was drawn.
 *
 * Thread-safe: no state.
 */
#pragma once

#include "app/gl-chart.h"
#include "app/gl-drift-timeline.h"

G_BEGIN_DECLS

/* Draws the chart into (0, 0, @width, @height) of @cr, title included;
 * @timeline NULL: "no model version yet". */
void gl_chart_drift_draw (cairo_t *cr, const GlDriftTimeline *timeline, const GlChartPalette *palette,
                          double width, double height);

/* What is under (@x, @y): a tooltip text with every number there, or NULL.
 * *@row: the class position of a cell, -1 on the verdict strip (else -2);
 * *@column: the column (else -1). */
char *gl_chart_drift_query (const GlDriftTimeline *timeline, double width, double height, double x, double y,
                            gint *row, gint *column);

/* The rectangle of the cell (@row, @column) at @width × @height, FALSE when
 * it is not shown (too many columns, no such cell). */
gboolean gl_chart_drift_cell_rect (const GlDriftTimeline *timeline, double width, double height, guint row,
                                   guint column, double *x, double *y, double *w, double *h);
/* The text of the cell (@row, @column) (as its tooltip says it). */
char *gl_chart_drift_cell_text (const GlDriftTimeline *timeline, guint row, guint column);

/* Every number of the chart as plain text (the accessible description and
 * the "Numbers" table). */
char *gl_chart_drift_describe (const GlDriftTimeline *timeline);

/* The chart as a PNG or SVG file's bytes, and written to @path safely (as
 * gl_chart_render / gl_chart_export). */
GBytes *gl_chart_drift_render (const GlDriftTimeline *timeline, const GlChartPalette *palette, GlChartFormat format,
                               int width, int height, GError **error);
gboolean gl_chart_drift_export (const GlDriftTimeline *timeline, const GlChartPalette *palette, GlChartFormat format,
                                int width, int height, const char *path, GError **error);

/* The height the chart wants at a width of about 800 for @n_classes rows. */
int gl_chart_drift_natural_height (guint n_classes);
/* The height of an exported file (GL_CHART_EXPORT_WIDTH wide): the natural
 * height for @timeline's classes, at least half GL_CHART_EXPORT_HEIGHT. */
int gl_chart_drift_export_height (const GlDriftTimeline *timeline);

G_END_DECLS
