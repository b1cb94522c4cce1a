/* gleaner-chart-cache.c — see gleaner-chart-cache.h. */
#include "ui/gleaner-chart-cache.h"

/* The budget of the frame being drawn (main thread only). */
static struct
{
  GdkFrameClock *clock; /* not a reference: only compared */
  gint64 frame;         /* its frame counter when the count began */
  guint used;           /* charts drawn afresh in that frame */
  guint peak;           /* the most in one frame since the reset */
} budget;

/* Claims one fresh drawing in @widget's current frame; FALSE when the
 * frame's budget is spent. Outside a frame clock (an unrealised widget, a
 * paintable of it) there is no budget. */
static gboolean
budget_claim (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  if (clock == NULL)
    return TRUE;
  gint64 frame = gdk_frame_clock_get_frame_counter (clock);
  if (clock != budget.clock || frame != budget.frame)
    {
      budget.clock = clock;
      budget.frame = frame;
      budget.used = 0;
    }
  if (budget.used >= GLEANER_CHART_BUDGET_PER_FRAME)
    return FALSE;
  budget.used++;
  budget.peak = MAX (budget.peak, budget.used);
  return TRUE;
}

guint
gleaner_chart_budget_get_peak (void)
{
  return budget.peak;
}

void
gleaner_chart_budget_reset_peak (void)
{
  budget.peak = 0;
}

static gboolean
on_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  GleanerChartCache *cache = data;
  cache->tick_id = 0;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_REMOVE;
}

gboolean
gleaner_chart_cache_is_current (const GleanerChartCache *cache, GtkWidget *widget)
{
  return cache->node != NULL && !cache->stale && cache->width == gtk_widget_get_width (widget)
         && cache->height == gtk_widget_get_height (widget);
}

void
gleaner_chart_cache_snapshot (GleanerChartCache *cache, GtkWidget *widget, GtkSnapshot *snapshot,
                              GleanerChartDrawFunc draw, gpointer data)
{
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  if (width <= 0 || height <= 0)
    return;
  if (!gleaner_chart_cache_is_current (cache, widget))
    {
      if (budget_claim (widget))
        {
          GtkSnapshot *inner = gtk_snapshot_new ();
          cairo_t *cr = gtk_snapshot_append_cairo (inner, &GRAPHENE_RECT_INIT (0, 0, width, height));
          draw (cr, width, height, data);
          cairo_destroy (cr);
          g_clear_pointer (&cache->node, gsk_render_node_unref);
          cache->node = gtk_snapshot_free_to_node (inner);
          cache->width = width;
          cache->height = height;
          cache->stale = FALSE;
          cache->n_drawn++;
        }
      else if (cache->tick_id == 0)
        cache->tick_id = gtk_widget_add_tick_callback (widget, on_tick_cb, cache, NULL);
    }
  if (cache->node == NULL)
    return;
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_append_node (snapshot, cache->node);
  gtk_snapshot_pop (snapshot);
}

void
gleaner_chart_cache_invalidate (GleanerChartCache *cache)
{
  cache->stale = TRUE;
}

void
gleaner_chart_cache_clear (GleanerChartCache *cache, GtkWidget *widget)
{
  if (cache->tick_id != 0)
    gtk_widget_remove_tick_callback (widget, cache->tick_id);
  cache->tick_id = 0;
  g_clear_pointer (&cache->node, gsk_render_node_unref);
}
