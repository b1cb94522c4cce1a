/* gleaner-image-info.h — the Gallery's info pane: path, size and label history of an image. */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-gallery-model.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_IMAGE_INFO (gleaner_image_info_get_type ())
G_DECLARE_FINAL_TYPE (GleanerImageInfo, gleaner_image_info, GLEANER, IMAGE_INFO, GtkWidget)

GtkWidget *gleaner_image_info_new (void);

/* Shows one image (@texture: its thumbnail or NULL). */
void gleaner_image_info_show_details (GleanerImageInfo *self, const GlGalleryDetails *details, GdkTexture *texture);
/* Shows a summary of @n_selected images (0: a hint to select one). */
void gleaner_image_info_show_selection (GleanerImageInfo *self, guint n_selected);
/* Shows that the details could not be read. */
void gleaner_image_info_show_error (GleanerImageInfo *self, const char *message);

G_END_DECLS
