/* gl-chart-private.h — what gl-chart.c (frame, text, files) shares with the
 * drawings of gl-chart-kinds.c. */
#pragma once

#include "app/gl-chart.h"

G_BEGIN_DECLS

typedef struct
{
  double x, y, w, h;
} GlChartRect;

/* Where a chart's parts go, from its size and report only (never measured
 * text), so that drawing and hit-testing agree. */
typedef struct
{
  double width, height;
  double fs;      /* the font's pixel size */
  double title_y; /* baseline row of the title, then the subtitle */
  double subtitle_y;
  double legend_y;  /* top of the legend row */
  double label_w;   /* class-name column of row charts */
  GlChartRect plot; /* the data area */
  double cell;      /* confusion: side of a cell */
} GlChartFrame;

void gl_chart_frame (GlChartKind kind, const GlInsights *report, const GlChartPalette *palette, double width,
                     double height, GlChartFrame *frame);

void gl_chart_set_colour (cairo_t *cr, const GlChartColour *c);
/* Mix of @a and @b, @t in [0, 1] (0: a). */
GlChartColour gl_chart_mix (const GlChartColour *a, const GlChartColour *b, double t);

/* Text at (@x, @y): @align 0 left, 0.5 centre, 1 right of x; @valign the
 * same over y. @max_width > 0 ellipsizes. @scale multiplies the font size. */
void gl_chart_text (cairo_t *cr, const GlChartPalette *palette, const GlChartColour *colour, const char *text,
                    double x, double y, double align, double valign, double max_width, double scale,
                    gboolean bold);
/* The title, the subtitle and the legend (@n entries of @names with @colours). */
void gl_chart_header (cairo_t *cr, const GlChartPalette *palette, const GlChartFrame *f, const char *title,
                      const char *subtitle, const char *const *names, const GlChartColour *colours, guint n);
/* Saves @cr, paints the background (unless transparent) and clips to the
 * chart: the start of every drawing (cairo_restore ends it). */
void gl_chart_begin (cairo_t *cr, const GlChartPalette *palette, double width, double height);
/* A message in the middle of the plot (no data). */
void gl_chart_empty (cairo_t *cr, const GlChartPalette *palette, const GlChartFrame *f, const char *message);
/* Grid lines and tick labels of a 0..1 axis: vertical (along y) or horizontal. */
void gl_chart_unit_axis (cairo_t *cr, const GlChartPalette *palette, const GlChartFrame *f, gboolean vertical,
                         double max, gboolean percent);

/* "0.812", or "n/a" for NaN (static buffer of the caller: @buf of 32). */
const char *gl_chart_number (char buf[32], double value);
/* "+0.021" / "−0.013" / "n/a". */
const char *gl_chart_change (char buf[32], double value);

/* Draws a chart of @data into (0, 0, @width, @height) of @cr. */
typedef void (*GlChartDrawFunc) (cairo_t *cr, gconstpointer data, const GlChartPalette *palette, double width,
                                 double height);
/* @draw's chart as a PNG or SVG file's bytes; @id names it in errors. */
GBytes *gl_chart_render_with (GlChartDrawFunc draw, gconstpointer data, const char *id, const GlChartPalette *palette,
                              GlChartFormat format, int width, int height, GError **error);
/* @bytes written to @path safely (gl_export_write_file). */
gboolean gl_chart_write_bytes (GBytes *bytes, const char *path, GError **error);

/* The five drawings (gl-chart-kinds.c). */
void gl_chart_draw_kind (cairo_t *cr, GlChartKind kind, const GlInsights *r, const GlChartPalette *palette,
                         const GlChartFrame *f);
char *gl_chart_query_kind (GlChartKind kind, const GlInsights *r, const GlChartFrame *f, double x, double y,
                           gint *row, gint *column);
char *gl_chart_describe_kind (GlChartKind kind, const GlInsights *r);

G_END_DECLS
