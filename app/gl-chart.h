/* gl-chart.h — the Insights charts drawn with cairo and PangoCairo only.
 *
 * Why here: app/ is GTK-free and both of its front ends need the charts —
 * the GTK widget (ui/gleaner-chart.c draws them in its snapshot through
 * gtk_snapshot_append_cairo) and `gleaner-cli insights --out DIR`, which must
 * not link GTK. ui/ may call app/, so one drawing code serves the window,
 * its PNG/SVG export and the command line, pixel for pixel. It is built as
 * its own small library (cairo, PangoCairo) so that the rest of app/ keeps
 * its dependencies.
 *
 * Colours come from the caller's GlChartPalette: the widget fills one from
 * the GTK style (light or dark), the command line uses the light one.
 * Layout depends only on the size and the report, never on measured text,
 * so gl_chart_query (tooltips, clicks) agrees with what was drawn.
 *
 * Thread-safe: no state; any thread may draw a report it holds a reference to.
 */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "app/gl-insights.h"

G_BEGIN_DECLS

typedef struct
{
  double r, g, b, a;
} GlChartColour;

typedef struct
{
  GlChartColour background; /* behind the chart, and the base colours are mixed from */
  gboolean transparent;     /* paint no background (a widget on a card of that colour) */
  GlChartColour text;       /* title and labels */
  GlChartColour muted;      /* axis labels, notes */
  GlChartColour grid;       /* grid lines and axes */
  GlChartColour series[3];  /* learning curve: accuracy, macro-F1, audit; bars: precision, recall, F1 */
  GlChartColour heat;       /* the confusion matrix's full cell (row share 1) */
  GlChartColour good, bad;  /* an improvement / a loss since the previous version; calibration gap */
  char font[64];            /* Pango font family, e.g. "Sans" */
  double font_size;         /* points at 96 dpi, e.g. 9 */
} GlChartPalette;

void gl_chart_palette_init_light (GlChartPalette *palette);
void gl_chart_palette_init_dark (GlChartPalette *palette);
/* "#rrggbb" → colour (alpha 1); FALSE when not that form. */
gboolean gl_chart_colour_parse (const char *text, GlChartColour *out);

typedef enum
{
  GL_CHART_LEARNING_CURVE,
  GL_CHART_CLASS_METRICS,
  GL_CHART_CLASS_BALANCE,
  GL_CHART_CONFUSION,
  GL_CHART_RELIABILITY,
  GL_CHART_N_KINDS,
} GlChartKind;

/* "learning-curve", "class-metrics", "class-balance", "confusion",
 * "reliability": file names and ids. */
const char *gl_chart_kind_id (GlChartKind kind);
/* "Learning curve", …: titles. */
const char *gl_chart_kind_title (GlChartKind kind);

/* Draws the chart into the rectangle (0, 0, @width, @height) of @cr, title
 * included. */
void gl_chart_draw (cairo_t *cr, GlChartKind kind, const GlInsights *report, const GlChartPalette *palette,
                    double width, double height);

/* What is under (@x, @y) of a chart drawn at @width × @height: a tooltip
 * text with the numbers there, or NULL. For GL_CHART_CONFUSION on a cell,
 * *@row and *@column are its true and predicted class indices (else -1). */
char *gl_chart_query (GlChartKind kind, const GlInsights *report, double width, double height, double x,
                      double y, gint *row, gint *column);

/* Every number of the chart as plain text, one line per item (the
 * accessible alternative and the window's "Numbers" table). */
char *gl_chart_describe (GlChartKind kind, const GlInsights *report);

typedef enum
{
  GL_CHART_FORMAT_PNG,
  GL_CHART_FORMAT_SVG,
} GlChartFormat;

#define GL_CHART_EXPORT_WIDTH 800
#define GL_CHART_EXPORT_HEIGHT 500

/* The chart as a PNG or SVG file's bytes (cairo's image and SVG surfaces). */
GBytes *gl_chart_render (GlChartKind kind, const GlInsights *report, const GlChartPalette *palette,
                         GlChartFormat format, int width, int height, GError **error);
/* gl_chart_render written to @path safely (a temporary file opened with
 * O_EXCL | O_NOFOLLOW in the same folder, then renamed into place). */
gboolean gl_chart_export (GlChartKind kind, const GlInsights *report, const GlChartPalette *palette,
                          GlChartFormat format, int width, int height, const char *path, GError **error);

G_END_DECLS
