/* gleaner-chart-cache.h — a chart widget's drawing kept as a render node, and
 * a budget of charts drawn afresh per frame.
 *
 * A chart's cairo drawing (text shaped by Pango, many paths) costs
 * milliseconds; the Insights view shows six of them, which drawn in one frame
 * made that frame miss its deadline. So a chart draws into a render node once
 * per report, size and style, and appends that node in later snapshots;
 * and in any one frame (of a frame clock) at most
 * GLEANER_CHART_BUDGET_PER_FRAME charts draw afresh: a chart over the budget
 * shows its previous node (or nothing yet) and asks for a redraw in the next
 * frame. Opening the view thus spreads the charts over as many frames as
 * there are charts, whatever the project's size (the reports are computed off
 * the main thread). Main thread only.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Charts drawn afresh in one frame at most. */
#define GLEANER_CHART_BUDGET_PER_FRAME 1

/* Draws the chart at (0, 0, @width, @height). */
typedef void (*GleanerChartDrawFunc) (cairo_t *cr, int width, int height, gpointer data);

/* Embedded in the chart widget's struct, zero-initialised; all fields owned by
 * the widget, main thread. */
typedef struct
{
  GskRenderNode *node;  /* the drawing, or NULL */
  int width, height;    /* the size @node was drawn at */
  gboolean stale;       /* @node is out of date (report or style changed) */
  guint tick_id;        /* the redraw asked for the next frame, or 0 */
  guint n_drawn;        /* times drawn afresh */
} GleanerChartCache;

/* Appends the chart to @snapshot: the node when it is up to date for the
 * widget's size; else a new one drawn by @draw if the frame's budget allows;
 * else the out-of-date node (or nothing) and a redraw in the next frame. */
void gleaner_chart_cache_snapshot (GleanerChartCache *cache, GtkWidget *widget, GtkSnapshot *snapshot,
                                   GleanerChartDrawFunc draw, gpointer data);
/* The report or the style changed: the next snapshot draws afresh (the
 * caller queues the draw). */
void gleaner_chart_cache_invalidate (GleanerChartCache *cache);
/* Frees the node and removes the pending redraw (in the widget's dispose). */
void gleaner_chart_cache_clear (GleanerChartCache *cache, GtkWidget *widget);
/* TRUE when the node is up to date for @widget's size: what is on screen is
 * the chart of the current report. */
gboolean gleaner_chart_cache_is_current (const GleanerChartCache *cache, GtkWidget *widget);

/* The most charts drawn afresh in one frame since the last reset (tests and
 * the GUI benchmark: never above GLEANER_CHART_BUDGET_PER_FRAME). */
guint gleaner_chart_budget_get_peak (void);
void gleaner_chart_budget_reset_peak (void);

G_END_DECLS
