/* gleaner-drift-timeline.c — see gleaner-drift-timeline.h. */
#include "ui/gleaner-drift-timeline.h"

#include <adwaita.h>

#include "app/gl-chart-drift.h"
#include "ui/gleaner-chart-cache.h"
#include "ui/gleaner-chart.h"

struct _GleanerDriftTimeline
{
  GtkWidget parent_instance;

  /* owned; main thread */
  GlDriftTimeline *timeline;
  gint focus_row, focus_column; /* the cell the keys move and activate, -1 before the first key */
  GleanerChartCache cache;      /* the drawing of @timeline (without the focus ring) */
};

G_DEFINE_FINAL_TYPE (GleanerDriftTimeline, gleaner_drift_timeline, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CELL_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWidget *
gleaner_drift_timeline_new (void)
{
  return g_object_new (GLEANER_TYPE_DRIFT_TIMELINE, NULL);
}

GlDriftTimeline *
gleaner_drift_timeline_get_timeline (GleanerDriftTimeline *self)
{
  g_return_val_if_fail (GLEANER_IS_DRIFT_TIMELINE (self), NULL);
  return self->timeline;
}

void
gleaner_drift_timeline_set_timeline (GleanerDriftTimeline *self, GlDriftTimeline *timeline)
{
  g_return_if_fail (GLEANER_IS_DRIFT_TIMELINE (self));
  if (timeline == self->timeline)
    return;
  g_clear_pointer (&self->timeline, gl_drift_timeline_unref);
  self->timeline = timeline ? gl_drift_timeline_ref (timeline) : NULL;
  self->focus_row = self->focus_column = -1;
  g_autofree char *text = gl_chart_drift_describe (timeline);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  gleaner_chart_cache_invalidate (&self->cache);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
gleaner_drift_timeline_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                                int *natural, int *minimum_baseline, int *natural_baseline)
{
  GleanerDriftTimeline *self = GLEANER_DRIFT_TIMELINE (widget);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = 420;
  else if (self->timeline == NULL || self->timeline->n_columns == 0)
    *minimum = *natural = gl_chart_drift_natural_height (0); /* a line saying why it is empty */
  else
    *minimum = *natural = MAX (200, gl_chart_drift_natural_height (self->timeline->n_classes));
}

static void
draw_timeline (cairo_t *cr, int width, int height, gpointer data)
{
  GleanerDriftTimeline *self = data;
  GlChartPalette p;
  gleaner_chart_palette_for (GTK_WIDGET (self), &p);
  p.transparent = TRUE; /* the card behind shows through */
  gl_chart_drift_draw (cr, self->timeline, &p, width, height);
}

static void
gleaner_drift_timeline_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GleanerDriftTimeline *self = GLEANER_DRIFT_TIMELINE (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  gleaner_chart_cache_snapshot (&self->cache, widget, snapshot, draw_timeline, self);
  double x, y, w, h;
  if (gtk_widget_has_focus (widget) && self->focus_row >= 0
      && gl_chart_drift_cell_rect (self->timeline, width, height, self->focus_row, self->focus_column, &x, &y, &w, &h))
    {
      /* The focused cell: a ring in the text colour, visible on any fill. */
      GdkRGBA text;
      gtk_style_context_get_color (gtk_widget_get_style_context (widget), &text);
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (x, y, w, h));
      gdk_cairo_set_source_rgba (cr, &text);
      cairo_set_line_width (cr, 2);
      cairo_rectangle (cr, x + 1.5, y + 1.5, w - 2, h - 2);
      cairo_stroke (cr);
      cairo_destroy (cr);
    }
}

/* The focused cell's text as the accessible description's first line, so
 * that a screen reader following the keys reads the cell's numbers. */
static void
announce_focus (GleanerDriftTimeline *self)
{
  g_autofree char *all = gl_chart_drift_describe (self->timeline);
  g_autofree char *cell = gl_chart_drift_cell_text (self->timeline, self->focus_row, self->focus_column);
  g_autofree char *text = g_strdup_printf ("%s\n\n%s", cell, all);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
activate_cell (GleanerDriftTimeline *self, guint row, guint column)
{
  const GlDriftColumn *c = &self->timeline->columns[column];
  g_signal_emit (self, signals[SIGNAL_CELL_ACTIVATED], 0, self->timeline->class_ids[row], c->first_image,
                 c->last_image);
}

/* Arrows move the focused cell (the newest column, first class at first);
 * Enter or Space opens it as a click does. */
static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
                   GleanerDriftTimeline *self)
{
  GlDriftTimeline *t = self->timeline;
  if (t == NULL || t->n_columns == 0 || t->n_classes == 0 || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)))
    return FALSE;
  gint row = self->focus_row < 0 ? 0 : self->focus_row;
  gint column = self->focus_row < 0 ? (gint)t->n_columns - 1 : self->focus_column;
  switch (keyval)
    {
    case GDK_KEY_Left:
      column--;
      break;
    case GDK_KEY_Right:
      column++;
      break;
    case GDK_KEY_Up:
      row--;
      break;
    case GDK_KEY_Down:
      row++;
      break;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_space:
      if (self->focus_row < 0)
        break; /* the first key only shows where the focus is */
      activate_cell (self, (guint)row, (guint)column);
      return TRUE;
    default:
      return FALSE;
    }
  self->focus_row = CLAMP (row, 0, (gint)t->n_classes - 1);
  self->focus_column = CLAMP (column, 0, (gint)t->n_columns - 1);
  announce_focus (self);
  return TRUE;
}

static gboolean
on_query_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer user_data)
{
  GleanerDriftTimeline *self = GLEANER_DRIFT_TIMELINE (widget);
  g_autofree char *text = NULL;
  if (keyboard && self->timeline != NULL && self->focus_row >= 0)
    text = gl_chart_drift_cell_text (self->timeline, self->focus_row, self->focus_column);
  else
    text = gl_chart_drift_query (self->timeline, gtk_widget_get_width (widget), gtk_widget_get_height (widget), x, y,
                                 NULL, NULL);
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
on_click_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, GleanerDriftTimeline *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gint row = -2, column = -1;
  g_autofree char *text = gl_chart_drift_query (self->timeline, gtk_widget_get_width (widget),
                                                gtk_widget_get_height (widget), x, y, &row, &column);
  if (row < 0 || column < 0 || self->timeline == NULL)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  activate_cell (self, (guint)row, (guint)column);
}

static void
on_dark_changed_cb (GleanerDriftTimeline *self)
{
  gleaner_chart_cache_invalidate (&self->cache);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
gleaner_drift_timeline_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (gleaner_drift_timeline_parent_class)->css_changed (widget, change);
  gleaner_chart_cache_invalidate (&GLEANER_DRIFT_TIMELINE (widget)->cache);
  gtk_widget_queue_draw (widget);
}

static void
gleaner_drift_timeline_dispose (GObject *object)
{
  GleanerDriftTimeline *self = GLEANER_DRIFT_TIMELINE (object);
  g_signal_handlers_disconnect_by_data (adw_style_manager_get_default (), self);
  g_clear_pointer (&self->timeline, gl_drift_timeline_unref);
  gleaner_chart_cache_clear (&self->cache, GTK_WIDGET (self));
  G_OBJECT_CLASS (gleaner_drift_timeline_parent_class)->dispose (object);
}

static void
gleaner_drift_timeline_class_init (GleanerDriftTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_drift_timeline_dispose;
  widget_class->measure = gleaner_drift_timeline_measure;
  widget_class->snapshot = gleaner_drift_timeline_snapshot;
  widget_class->css_changed = gleaner_drift_timeline_css_changed;
  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);

  /* (class id, first image id, last image id) of the cell clicked. */
  signals[SIGNAL_CELL_ACTIVATED]
      = g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64);
}

static void
gleaner_drift_timeline_init (GleanerDriftTimeline *self)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, "Drift per class", -1);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip_cb), NULL);
  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (on_click_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  GtkEventController *keys = gtk_event_controller_key_new ();
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  GtkEventController *focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (gtk_widget_queue_draw), self);
  g_signal_connect_swapped (focus, "leave", G_CALLBACK (gtk_widget_queue_draw), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
  self->focus_row = self->focus_column = -1;
  g_signal_connect_swapped (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (on_dark_changed_cb),
                            self);
}
