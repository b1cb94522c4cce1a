/* gleaner-gallery-view.h — the Gallery view: every image of the project in a grid.
 *
 * A GtkGridView over a GtkMultiSelection over a GlGalleryModel (paged from
 * the store), with filters and sort orders in a bar above and an info pane
 * beside it. Thumbnails are decoded on a bounded pool (visible cells first)
 * and kept as textures in an LRU.
 *
 * Keys (with the focus in the grid): a class's key (the one the Label view
 * shows: its shortcut, else 1–9, 0, then letters by position) labels every
 * selected image with that class; Delete/BackSpace removes their labels;
 * Enter or a double click opens the image ("activate-image"); the context
 * menu does the same. Ctrl+A, rubber-band, Shift and Ctrl select as usual.
 */
#pragma once

#include <adwaita.h>

#include "app/gl-gallery-model.h"
#include "app/gl-project.h"
#include "app/gl-thumbnail-loader.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_GALLERY_VIEW (gleaner_gallery_view_get_type ())
G_DECLARE_FINAL_TYPE (GleanerGalleryView, gleaner_gallery_view, GLEANER, GALLERY_VIEW, GtkWidget)

GtkWidget *gleaner_gallery_view_new (void);

/* Shows @project (borrowed: call with NULL before closing it). */
void gleaner_gallery_view_set_project (GleanerGalleryView *self, GlProject *project);

/* Reads the listing again (labels or predictions changed elsewhere, e.g.
 * after labeling in the Label view or a new model). */
void gleaner_gallery_view_reload (GleanerGalleryView *self);

/* For tests and the benchmark. */
/* Filters to the images labeled @label_class and predicted @predicted_class
 * (a confusion-matrix cell), shown in the filter bar. */
void gleaner_gallery_view_show_confusion (GleanerGalleryView *self, gint64 label_class, gint64 predicted_class);
/* Filters to the images @first_image..@last_image predicted as @class_id (a
 * cell of the drift timeline), shown in the filter bar with the range. */
void gleaner_gallery_view_show_drift (GleanerGalleryView *self, gint64 class_id, gint64 first_image,
                                      gint64 last_image);
GlGalleryModel *gleaner_gallery_view_get_model (GleanerGalleryView *self);
GtkSelectionModel *gleaner_gallery_view_get_selection (GleanerGalleryView *self);
GtkWidget *gleaner_gallery_view_get_grid (GleanerGalleryView *self);
GtkScrolledWindow *gleaner_gallery_view_get_scrolled_window (GleanerGalleryView *self);
/* Starts labeling (@class_id ≥ 0) or unlabeling (-1) the selected images in
 * one transaction, on a worker (gl_gallery_model_label_ranges_async); a
 * large selection shows its progress in a strip with Cancel, and a toast
 * tells the result. While one runs, another is refused: FALSE, a toast and
 * G_IO_ERROR_BUSY. */
gboolean gleaner_gallery_view_label_selected (GleanerGalleryView *self, gint64 class_id, GError **error);
/* Whether a labeling started by gleaner_gallery_view_label_selected runs. */
gboolean gleaner_gallery_view_is_labeling (GleanerGalleryView *self);
/* Cells showing a thumbnail now, and thumbnails delivered so far. */
guint gleaner_gallery_view_count_painted_thumbnails (GleanerGalleryView *self);
guint64 gleaner_gallery_view_get_thumbnails_delivered (GleanerGalleryView *self);

/* For the cells (gleaner-gallery-cell.c). */
GdkTexture *gleaner_gallery_view_lookup_texture (GleanerGalleryView *self, gint64 image_id);
void gleaner_gallery_view_store_texture (GleanerGalleryView *self, gint64 image_id, GdkTexture *texture);
GlThumbnailLoader *gleaner_gallery_view_get_loader (GleanerGalleryView *self);

G_END_DECLS
