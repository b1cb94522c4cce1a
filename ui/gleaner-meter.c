/* gleaner-meter.c — see gleaner-meter.h. */
#include "ui/gleaner-meter.h"

struct _GleanerMeter
{
  GtkWidget parent_instance;

  double fraction;
};

G_DEFINE_FINAL_TYPE (GleanerMeter, gleaner_meter, GTK_TYPE_WIDGET)

GtkWidget *
gleaner_meter_new (void)
{
  return g_object_new (GLEANER_TYPE_METER, NULL);
}

void
gleaner_meter_set_fraction (GleanerMeter *self, double fraction)
{
  g_return_if_fail (GLEANER_IS_METER (self));

  fraction = CLAMP (fraction, 0.0, 1.0);
  if (fraction == self->fraction)
    return;
  self->fraction = fraction;
  gtk_widget_queue_draw (GTK_WIDGET (self)); /* never a resize: see the header */
}

double
gleaner_meter_get_fraction (GleanerMeter *self)
{
  g_return_val_if_fail (GLEANER_IS_METER (self), 0.0);
  return self->fraction;
}

static void
gleaner_meter_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GleanerMeter *self = GLEANER_METER (widget);
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  float width = (float) gtk_widget_get_width (widget), height = (float) gtk_widget_get_height (widget);
  GdkRGBA fg, fill, trough;
  GskRoundedRect clip;

  if (width <= 0 || height <= 0)
    return;
  gtk_style_context_get_color (style, &fg);
  if (!gtk_style_context_lookup_color (style, "accent_bg_color", &fill))
    fill = fg;
  trough = fg;
  trough.alpha *= 0.15f;
  gsk_rounded_rect_init_from_rect (&clip, &GRAPHENE_RECT_INIT (0, 0, width, height), height / 2);
  gtk_snapshot_push_rounded_clip (snapshot, &clip);
  gtk_snapshot_append_color (snapshot, &trough, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->fraction > 0)
    {
      float w = (float) self->fraction * width;
      if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
        gtk_snapshot_append_color (snapshot, &fill, &GRAPHENE_RECT_INIT (width - w, 0, w, height));
      else
        gtk_snapshot_append_color (snapshot, &fill, &GRAPHENE_RECT_INIT (0, 0, w, height));
    }
  gtk_snapshot_pop (snapshot);
}

static void
gleaner_meter_class_init (GleanerMeterClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = gleaner_meter_snapshot;
  gtk_widget_class_set_css_name (widget_class, "meter");
  /* GTK 4.8 exports an accessible value only for its own range widgets; the
   * number each meter shows is in the text beside it. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PRESENTATION);
}

static void
gleaner_meter_init (GleanerMeter *self)
{
}
