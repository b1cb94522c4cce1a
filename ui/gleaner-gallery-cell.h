/* gleaner-gallery-cell.h — one image of the Gallery: thumbnail, label chip, prediction.
 *
 * The cell shows its "item" (a GlGalleryItem). Setting another item cancels
 * the thumbnail load of the previous one and shows the new one from the
 * view's texture cache when it is there; otherwise the view asks for it once
 * it finds the cell in its viewport (_promote) or near it (_prefetch).
 */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-gallery-model.h"

G_BEGIN_DECLS

typedef struct _GleanerGalleryView GleanerGalleryView;

#define GLEANER_TYPE_GALLERY_CELL (gleaner_gallery_cell_get_type ())
G_DECLARE_FINAL_TYPE (GleanerGalleryCell, gleaner_gallery_cell, GLEANER, GALLERY_CELL, GtkWidget)

/* @view: borrowed (the cells live inside it). */
GtkWidget *gleaner_gallery_cell_new (GleanerGalleryView *view);

GlGalleryItem *gleaner_gallery_cell_get_item (GleanerGalleryCell *self);
void gleaner_gallery_cell_set_item (GleanerGalleryCell *self, GlGalleryItem *item);
/* Shows the label and prediction of the item again (class names or colours changed). */
void gleaner_gallery_cell_update (GleanerGalleryCell *self);
/* The cell is in the viewport: its thumbnail is asked for ahead of the
 * prefetch of cells near it. */
void gleaner_gallery_cell_promote (GleanerGalleryCell *self);
/* The cell is near the viewport: its thumbnail is asked for at low priority. */
void gleaner_gallery_cell_prefetch (GleanerGalleryCell *self);
/* TRUE once the thumbnail of the current item is shown. */
gboolean gleaner_gallery_cell_has_thumbnail (GleanerGalleryCell *self);
/* The texture a cell makes of a delivered thumbnail: cairo's premultiplied
 * ARGB (GDK_MEMORY_DEFAULT), with the cairo surface it shares its pixels
 * with, which the cell draws. */
GdkTexture *gleaner_gallery_cell_texture_for_pixbuf (GdkPixbuf *pixbuf);

/* The whole factor a thumbnail of @width × @height is enlarged by to fill a
 * cell (nearest neighbour): GL_THUMB_SIZE / its longer side, at least 1. */
int gleaner_gallery_cell_enlargement (int width, int height);

G_END_DECLS
