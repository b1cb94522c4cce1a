/* gleaner-meter.h — a fraction drawn as a bar (the Label view's class
 * probabilities).
 *
 * Unlike GtkProgressBar, a new fraction only redraws the bar: its size comes
 * from CSS (min-width, min-height) and never from the fraction, so that the
 * frame that shows another image's probabilities needs no layout (see
 * gleaner-image-area.h for why that matters). The fill takes the theme's
 * accent colour, the trough the widget's colour at 15%. Decoration for
 * accessibility: the number it shows must be in a text beside it.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GLEANER_TYPE_METER (gleaner_meter_get_type ())
G_DECLARE_FINAL_TYPE (GleanerMeter, gleaner_meter, GLEANER, METER, GtkWidget)

GtkWidget *gleaner_meter_new (void);

/* @fraction is clamped to 0..1. */
void gleaner_meter_set_fraction (GleanerMeter *self, double fraction);
double gleaner_meter_get_fraction (GleanerMeter *self);

G_END_DECLS
