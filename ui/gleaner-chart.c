/* gleaner-chart.c — see gleaner-chart.h. */
#include "ui/gleaner-chart.h"

#include <adwaita.h>

#include "ui/gleaner-chart-cache.h"

struct _GleanerChart
{
  GtkWidget parent_instance;

  /* owned; main thread */
  GlInsights *report;
  GlChartKind kind;
  GleanerChartCache cache; /* the drawing of @report at the widget's size and style */
};

G_DEFINE_FINAL_TYPE (GleanerChart, gleaner_chart, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CELL_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
gleaner_chart_new (GlChartKind kind)
{
  GleanerChart *self = g_object_new (GLEANER_TYPE_CHART, NULL);
  self->kind = kind;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gl_chart_kind_title (kind), -1);
  return GTK_WIDGET (self);
}

GlChartKind
gleaner_chart_get_kind (GleanerChart *self)
{
  g_return_val_if_fail (GLEANER_IS_CHART (self), GL_CHART_LEARNING_CURVE);
  return self->kind;
}

GlInsights *
gleaner_chart_get_report (GleanerChart *self)
{
  g_return_val_if_fail (GLEANER_IS_CHART (self), NULL);
  return self->report;
}

void
gleaner_chart_set_report (GleanerChart *self, GlInsights *report)
{
  g_return_if_fail (GLEANER_IS_CHART (self));
  if (report == self->report)
    return;
  g_clear_pointer (&self->report, gl_insights_unref);
  self->report = report ? gl_insights_ref (report) : NULL;
  g_autofree char *text = gl_chart_describe (self->kind, report);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  gleaner_chart_cache_invalidate (&self->cache);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
gleaner_chart_is_drawn (GleanerChart *self)
{
  g_return_val_if_fail (GLEANER_IS_CHART (self), FALSE);
  return gleaner_chart_cache_is_current (&self->cache, GTK_WIDGET (self));
}

guint
gleaner_chart_get_n_drawn (GleanerChart *self)
{
  g_return_val_if_fail (GLEANER_IS_CHART (self), 0);
  return self->cache.n_drawn;
}

static GlChartColour
to_colour (const GdkRGBA *c)
{
  return (GlChartColour){ c->red, c->green, c->blue, c->alpha };
}

void
gleaner_chart_get_palette (GleanerChart *self, GlChartPalette *p)
{
  gleaner_chart_palette_for (GTK_WIDGET (self), p);
}

void
gleaner_chart_palette_for (GtkWidget *widget, GlChartPalette *p)
{
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  if (dark)
    gl_chart_palette_init_dark (p);
  else
    gl_chart_palette_init_light (p);
  GdkRGBA fg, bg, accent;
  gtk_style_context_get_color (style, &fg);
  p->text = to_colour (&fg);
  fg.alpha *= 0.6f;
  p->muted = to_colour (&fg);
  fg.alpha = 0.14f;
  p->grid = to_colour (&fg);
  if (gtk_style_context_lookup_color (style, "card_bg_color", &bg) && bg.alpha > 0.5f)
    {
      bg.alpha = 1;
      p->background = to_colour (&bg);
    }
  if (gtk_style_context_lookup_color (style, "accent_bg_color", &accent))
    p->heat = to_colour (&accent);
  /* The widget's font, so that the chart reads as the text around it. */
  PangoContext *pango = gtk_widget_get_pango_context (widget);
  const PangoFontDescription *desc = pango_context_get_font_description (pango);
  if (desc != NULL && pango_font_description_get_family (desc) != NULL)
    g_strlcpy (p->font, pango_font_description_get_family (desc), sizeof p->font);
}

static void
draw_chart (cairo_t *cr, int width, int height, gpointer data)
{
  GleanerChart *self = data;
  GlChartPalette p;
  gleaner_chart_get_palette (self, &p);
  p.transparent = TRUE; /* the card behind shows through */
  gl_chart_draw (cr, self->kind, self->report, &p, width, height);
}

static void
gleaner_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GleanerChart *self = GLEANER_CHART (widget);
  gleaner_chart_cache_snapshot (&self->cache, widget, snapshot, draw_chart, self);
}

static gboolean
on_query_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                     gpointer user_data)
{
  GleanerChart *self = GLEANER_CHART (widget);
  g_autofree char *text = gl_chart_query (self->kind, self->report, gtk_widget_get_width (widget),
                                          gtk_widget_get_height (widget), x, y, NULL, NULL);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
on_click_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, GleanerChart *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gint row = -1, column = -1;
  g_autofree char *text = gl_chart_query (self->kind, self->report, gtk_widget_get_width (widget),
                                          gtk_widget_get_height (widget), x, y, &row, &column);
  if (row < 0 || column < 0 || self->report == NULL)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  g_signal_emit (self, signals[SIGNAL_CELL_ACTIVATED], 0, self->report->class_ids[row],
                 self->report->class_ids[column]);
}

static void
on_dark_changed_cb (GleanerChart *self)
{
  gleaner_chart_cache_invalidate (&self->cache);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
gleaner_chart_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (gleaner_chart_parent_class)->css_changed (widget, change);
  gleaner_chart_cache_invalidate (&GLEANER_CHART (widget)->cache);
  gtk_widget_queue_draw (widget);
}

static void
gleaner_chart_dispose (GObject *object)
{
  GleanerChart *self = GLEANER_CHART (object);
  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  g_clear_pointer (&self->report, gl_insights_unref);
  gleaner_chart_cache_clear (&self->cache, GTK_WIDGET (self));
  G_OBJECT_CLASS (gleaner_chart_parent_class)->dispose (object);
}

static void
gleaner_chart_class_init (GleanerChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_chart_dispose;
  widget_class->snapshot = gleaner_chart_snapshot;
  widget_class->css_changed = gleaner_chart_css_changed;
  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);

  /* (true class id, predicted class id) of the confusion cell clicked. */
  signals[SIGNAL_CELL_ACTIVATED]
      = g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
}

static void
gleaner_chart_init (GleanerChart *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip_cb), NULL);
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (on_click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (on_dark_changed_cb),
                            self);
}
