/* gleaner-image-area.h — the Label view's large image: a texture drawn at its
 * own size (scaled down to fit, never up), centred.
 *
 * Unlike GtkPicture, showing another texture only redraws: the area's size
 * never depends on its texture (it takes the space its parent gives), so the
 * frame that shows the next image after a key press has no layout phase. On
 * X11 every layout phase also asks the X server for the work area (GTK 4.8,
 * two round trips), which made that frame about 1 ms longer.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GLEANER_TYPE_IMAGE_AREA (gleaner_image_area_get_type ())
G_DECLARE_FINAL_TYPE (GleanerImageArea, gleaner_image_area, GLEANER, IMAGE_AREA, GtkWidget)

GtkWidget *gleaner_image_area_new (void);

/* @texture (nullable): shown from the next frame on. */
void gleaner_image_area_set_texture (GleanerImageArea *self, GdkTexture *texture);
GdkTexture *gleaner_image_area_get_texture (GleanerImageArea *self);

/* A model-input image (@h × @w × @c bytes at @src, c = 1 or 3) enlarged
 * nearest-neighbour by the largest integer factor that fits in @target
 * pixels (at least 1), so that edges stay sharp. */
GdkTexture *gleaner_image_area_texture_from_pixels (const guint8 *src, guint h, guint w, guint c, guint target);

G_END_DECLS
