/* gleaner-gallery-view.c — see gleaner-gallery-view.h. */
#include "ui/gleaner-gallery-view.h"

#include <stdio.h>
#include <string.h>

#include "app/gl-thumbs.h"
#include "ui/gleaner-gallery-cell.h"
#include "ui/gleaner-image-info.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-progress-post.h"

/* Textures kept for cells that scroll back in (about 48 KB each). */
#define MAX_TEXTURES 1024
/* The width a grid child takes at least: the cell's frame (GL_THUMB_SIZE + 8),
 * the child's padding and margin (CSS below). */
#define CELL_MIN_WIDTH (GL_THUMB_SIZE + 8 + 2 * 4 + 2 * 2)
/* Selections at least this large show their progress (smaller ones are done
 * before a strip could be read). */
#define PROGRESS_MIN_IMAGES 2000

struct _GleanerGalleryView
{
  GtkWidget parent_instance;

  /* template children */
  AdwToastOverlay *toast_overlay;
  GtkDropDown *filter_dropdown;
  GtkDropDown *class_dropdown;
  GtkDropDown *predicted_dropdown; /* the prediction of the confusion filter */
  GtkWidget *predicted_label;
  GtkLabel *range_label; /* the image range of the drift filter */
  GtkStringList *class_names;
  GtkLabel *count_label;
  GtkDropDown *sort_dropdown;
  GtkScrolledWindow *scrolled;
  GtkGridView *grid;
  GleanerImageInfo *info;
  GtkRevealer *progress_revealer;
  GtkLabel *progress_label;
  GtkProgressBar *progress_bar;
  GtkButton *progress_cancel;

  /* borrowed */
  GlProject *project;

  /* owned */
  GlGalleryModel *model;
  GtkMultiSelection *selection;
  GlThumbnailLoader *loader;
  GHashTable *textures; /* image id (gint64 *) → GList link of @lru */
  GQueue lru;           /* TextureEntry, most recent first */
  GArray *dropdown_class_ids; /* gint64: class of each entry of @class_names */
  GtkWidget *menu;            /* GtkPopoverMenu of the context menu */
  guint64 delivered;
  gboolean updating;          /* dropdowns are being filled: ignore their signals */
  GdkFrameClock *clock;       /* while mapped */
  gulong layout_handler;
  GCancellable *label_cancel; /* of the labeling under way, NULL when none */
  char *label_class;          /* its class name, NULL when it removes labels */
  gint64 drift_first;         /* the image id range of the drift filter (0..G_MAXINT64: every image) */
  gint64 drift_last;
};

G_DEFINE_FINAL_TYPE (GleanerGalleryView, gleaner_gallery_view, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_ACTIVATE_IMAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  gint64 id;
  GdkTexture *texture;
} TextureEntry;

static const char gallery_css[] =
  "gridview.gallery-grid { padding: 6px; }"
  "gridview.gallery-grid > child { padding: 4px; margin: 2px; border-radius: 10px; }"
  "gridview.gallery-grid > child:selected { background-color: alpha(@accent_bg_color, 0.35); }"
  "imageinfo .boxed-list > row { padding: 6px 12px; }"
  "imageinfo .gallery-info-picture { border-radius: 8px; }";

/* ---- Texture cache ----------------------------------------------------- */

static void
texture_entry_free (gpointer data)
{
  TextureEntry *e = data;
  g_object_unref (e->texture);
  g_free (e);
}

static void
clear_textures (GleanerGalleryView *self)
{
  g_hash_table_remove_all (self->textures);
  g_queue_clear_full (&self->lru, texture_entry_free);
}

GdkTexture *
gleaner_gallery_view_lookup_texture (GleanerGalleryView *self, gint64 image_id)
{
  GList *link = g_hash_table_lookup (self->textures, &image_id);
  if (link == NULL)
    return NULL;
  g_queue_unlink (&self->lru, link);
  g_queue_push_head_link (&self->lru, link);
  return ((TextureEntry *) link->data)->texture;
}

void
gleaner_gallery_view_store_texture (GleanerGalleryView *self, gint64 image_id, GdkTexture *texture)
{
  self->delivered++;
  if (gleaner_gallery_view_lookup_texture (self, image_id) != NULL)
    return;
  TextureEntry *e = g_new0 (TextureEntry, 1);
  e->id = image_id;
  e->texture = g_object_ref (texture);
  g_queue_push_head (&self->lru, e);
  g_hash_table_insert (self->textures, &e->id, self->lru.head);
  while (self->lru.length > MAX_TEXTURES)
    {
      TextureEntry *old = g_queue_pop_tail (&self->lru);
      g_hash_table_remove (self->textures, &old->id);
      texture_entry_free (old);
    }
}

GlThumbnailLoader *
gleaner_gallery_view_get_loader (GleanerGalleryView *self)
{
  return self->loader;
}

GlGalleryModel *
gleaner_gallery_view_get_model (GleanerGalleryView *self)
{
  return self->model;
}

GtkSelectionModel *
gleaner_gallery_view_get_selection (GleanerGalleryView *self)
{
  return GTK_SELECTION_MODEL (self->selection);
}

GtkWidget *
gleaner_gallery_view_get_grid (GleanerGalleryView *self)
{
  return GTK_WIDGET (self->grid);
}

GtkScrolledWindow *
gleaner_gallery_view_get_scrolled_window (GleanerGalleryView *self)
{
  return self->scrolled;
}

guint64
gleaner_gallery_view_get_thumbnails_delivered (GleanerGalleryView *self)
{
  return self->delivered;
}

guint
gleaner_gallery_view_count_painted_thumbnails (GleanerGalleryView *self)
{
  guint n = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->grid)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *cell = gtk_widget_get_first_child (child);
      if (cell != NULL && GLEANER_IS_GALLERY_CELL (cell) && gtk_widget_get_mapped (cell)
          && gleaner_gallery_cell_has_thumbnail (GLEANER_GALLERY_CELL (cell)))
        n++;
    }
  return n;
}

/* ---- Columns and the viewport ------------------------------------------ */

/* GtkGridView (4.8) keeps widgets for max-columns × 30 rows around the
 * viewport, bound and so asking for thumbnails: max-columns is kept at the
 * number of columns that fit, not more. */
static void
update_columns (GleanerGalleryView *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self->scrolled));
  if (width <= 0)
    return;
  guint fit = (guint) MAX (1, width / CELL_MIN_WIDTH);
  if (fit != gtk_grid_view_get_max_columns (self->grid))
    gtk_grid_view_set_max_columns (self->grid, fit);
}

/* After each layout: thumbnails of the cells in the viewport go first, then
 * those within half a viewport of it; the rest of what GtkGridView keeps
 * bound is not decoded. */
static void
on_frame_layout_cb (GdkFrameClock *clock, GleanerGalleryView *self)
{
  update_columns (self);
  if (self->model == NULL)
    return;
  GtkWidget *scrolled = GTK_WIDGET (self->scrolled);
  int height = gtk_widget_get_height (scrolled);
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->grid)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *cell = gtk_widget_get_first_child (child);
      graphene_rect_t r;
      if (cell == NULL || !GLEANER_IS_GALLERY_CELL (cell) || !gtk_widget_compute_bounds (cell, scrolled, &r))
        continue;
      if (r.origin.y + r.size.height > 0 && r.origin.y < height)
        gleaner_gallery_cell_promote (GLEANER_GALLERY_CELL (cell));
      else if (r.origin.y + r.size.height > -height / 2 && r.origin.y < height + height / 2)
        gleaner_gallery_cell_prefetch (GLEANER_GALLERY_CELL (cell));
    }
}

static void
gleaner_gallery_view_map (GtkWidget *widget)
{
  GleanerGalleryView *self = GLEANER_GALLERY_VIEW (widget);
  GTK_WIDGET_CLASS (gleaner_gallery_view_parent_class)->map (widget);
  self->clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->layout_handler = g_signal_connect_after (self->clock, "layout", G_CALLBACK (on_frame_layout_cb), self);
}

static void
gleaner_gallery_view_unmap (GtkWidget *widget)
{
  GleanerGalleryView *self = GLEANER_GALLERY_VIEW (widget);
  if (self->clock != NULL)
    {
      g_clear_signal_handler (&self->layout_handler, self->clock);
      g_clear_object (&self->clock);
    }
  GTK_WIDGET_CLASS (gleaner_gallery_view_parent_class)->unmap (widget);
}

/* ---- Toasts, counts, classes --------------------------------------------- */

static void
toast (GleanerGalleryView *self, const char *text)
{
  AdwToast *t = adw_toast_new (text);
  adw_toast_set_timeout (t, 4);
  /* The newest result replaces the one shown rather than queuing behind it
   * (labeling several selections in a row). */
  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static char *
format_count (guint64 n)
{
  /* 1234567 → "1,234,567" whatever the locale of the test machine. */
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *s = g_string_new (NULL);
  gsize len = strlen (digits);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

/* The suspected-errors filter and the "label most doubted" order need the
 * current version's label-error check: say where to start one. */
static const char *
label_errors_note (GleanerGalleryView *self)
{
  gint64 class_id;
  gboolean needs = gl_gallery_model_get_filter (self->model, &class_id) == GL_GALLERY_FILTER_SUSPECTED
                   || gl_gallery_model_get_sort (self->model) == GL_GALLERY_SORT_DISAGREEMENT;

  if (!needs || gl_gallery_model_has_label_errors (self->model))
    return "";
  return " — this model version is not checked for label errors yet (Label view: Find Label Errors)";
}

static void
update_count (GleanerGalleryView *self)
{
  if (self->model == NULL)
    {
      gtk_label_set_text (self->count_label, "");
      return;
    }
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  g_autofree char *num = format_count (n);
  g_autofree char *text = g_strdup_printf ("%s %s%s", num, n == 1 ? "image" : "images", label_errors_note (self));
  gtk_label_set_text (self->count_label, text);
}

static void
load_classes (GleanerGalleryView *self)
{
  guint n = 0;
  const GlGalleryClass *classes = self->model != NULL ? gl_gallery_model_get_classes (self->model, &n) : NULL;

  /* The class dropdown: listed (not archived) classes. */
  self->updating = TRUE;
  guint old = g_list_model_get_n_items (G_LIST_MODEL (self->class_names));
  g_array_set_size (self->dropdown_class_ids, 0);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (guint i = 0; i < n; i++)
    if (!classes[i].archived)
      {
        g_ptr_array_add (names, classes[i].name);
        g_array_append_val (self->dropdown_class_ids, classes[i].id);
      }
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->class_names, 0, old, (const char *const *) names->pdata);
  self->updating = FALSE;
}

/* ---- Filters ---------------------------------------------------------- */

/* The drift filter's image range beside its class ("images 1201–1400"). */
static void
update_range_label (GleanerGalleryView *self, gboolean drift)
{
  g_autofree char *text
      = self->drift_first <= 0 && self->drift_last == G_MAXINT64
            ? g_strdup ("in every image")
            : g_strdup_printf ("images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, self->drift_first, self->drift_last);
  gtk_label_set_text (self->range_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->range_label), drift);
}

static void
apply_filter (GleanerGalleryView *self)
{
  if (self->model == NULL || self->updating)
    return;
  GlGalleryFilter filter = (GlGalleryFilter) gtk_drop_down_get_selected (self->filter_dropdown);
  gboolean confusion = filter == GL_GALLERY_FILTER_CONFUSION, drift = filter == GL_GALLERY_FILTER_DRIFT;
  gboolean by_class
      = filter == GL_GALLERY_FILTER_CLASS || filter == GL_GALLERY_FILTER_PREDICTED || confusion || drift;
  gtk_widget_set_visible (GTK_WIDGET (self->class_dropdown), by_class);
  update_range_label (self, drift);
  gtk_widget_set_visible (GTK_WIDGET (self->predicted_dropdown), confusion);
  gtk_widget_set_visible (self->predicted_label, confusion);
  gint64 class_id = -1, predicted = -1;
  guint sel = gtk_drop_down_get_selected (self->class_dropdown);
  if (by_class && sel < self->dropdown_class_ids->len)
    class_id = g_array_index (self->dropdown_class_ids, gint64, sel);
  sel = gtk_drop_down_get_selected (self->predicted_dropdown);
  if (confusion && sel < self->dropdown_class_ids->len)
    predicted = g_array_index (self->dropdown_class_ids, gint64, sel);
  g_autoptr (GError) error = NULL;
  gboolean ok = confusion ? gl_gallery_model_set_confusion_filter (self->model, class_id, predicted, &error)
                : drift   ? gl_gallery_model_set_drift_filter (self->model, class_id, self->drift_first,
                                                               self->drift_last, &error)
                          : gl_gallery_model_set_filter (self->model, filter, class_id, &error);
  if (!ok)
    toast (self, error->message);
  update_count (self);
}

/* Index of @class_id among the dropdowns' classes, or GTK_INVALID_LIST_POSITION. */
static guint
dropdown_index (GleanerGalleryView *self, gint64 class_id)
{
  for (guint i = 0; i < self->dropdown_class_ids->len; i++)
    if (g_array_index (self->dropdown_class_ids, gint64, i) == class_id)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

void
gleaner_gallery_view_show_confusion (GleanerGalleryView *self, gint64 label_class, gint64 predicted_class)
{
  g_return_if_fail (GLEANER_IS_GALLERY_VIEW (self));
  if (self->model == NULL)
    return;
  guint a = dropdown_index (self, label_class), b = dropdown_index (self, predicted_class);
  if (a == GTK_INVALID_LIST_POSITION || b == GTK_INVALID_LIST_POSITION)
    {
      /* A class archived or deleted since: the dropdowns cannot show it. */
      load_classes (self);
      a = dropdown_index (self, label_class);
      b = dropdown_index (self, predicted_class);
    }
  if (a == GTK_INVALID_LIST_POSITION || b == GTK_INVALID_LIST_POSITION)
    {
      toast (self, "That class is archived or deleted: the Gallery cannot filter by it");
      return;
    }
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->filter_dropdown, GL_GALLERY_FILTER_CONFUSION);
  gtk_drop_down_set_selected (self->class_dropdown, a);
  gtk_drop_down_set_selected (self->predicted_dropdown, b);
  self->updating = FALSE;
  apply_filter (self);
}

void
gleaner_gallery_view_show_drift (GleanerGalleryView *self, gint64 class_id, gint64 first_image, gint64 last_image)
{
  g_return_if_fail (GLEANER_IS_GALLERY_VIEW (self));
  if (self->model == NULL)
    return;
  guint a = dropdown_index (self, class_id);
  if (a == GTK_INVALID_LIST_POSITION)
    {
      load_classes (self); /* a class added since */
      a = dropdown_index (self, class_id);
    }
  if (a == GTK_INVALID_LIST_POSITION)
    {
      toast (self, "That class is archived or deleted: the Gallery cannot filter by it");
      return;
    }
  self->drift_first = first_image;
  self->drift_last = last_image;
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->filter_dropdown, GL_GALLERY_FILTER_DRIFT);
  gtk_drop_down_set_selected (self->class_dropdown, a);
  self->updating = FALSE;
  apply_filter (self);
}

static void
on_filter_dropdown_notify_selected_cb (GleanerGalleryView *self)
{
  apply_filter (self);
}

static void
on_class_dropdown_notify_selected_cb (GleanerGalleryView *self)
{
  apply_filter (self);
}

static void
on_sort_dropdown_notify_selected_cb (GleanerGalleryView *self)
{
  if (self->model == NULL || self->updating)
    return;
  g_autoptr (GError) error = NULL;
  if (!gl_gallery_model_set_sort (self->model, (GlGallerySort) gtk_drop_down_get_selected (self->sort_dropdown),
                                  &error))
    toast (self, error->message);
  update_count (self);
}

/* ---- Selection, info pane, labeling ----------------------------------- */

static void
update_info (GleanerGalleryView *self)
{
  if (self->selection == NULL)
    {
      gleaner_image_info_show_selection (self->info, 0);
      return;
    }
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  guint64 n = gtk_bitset_get_size (set);
  if (n != 1)
    {
      gleaner_image_info_show_selection (self->info, (guint) MIN (n, (guint64) G_MAXUINT));
      return;
    }
  g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), gtk_bitset_get_minimum (set));
  if (item == NULL || gl_gallery_item_get_id (item) < 0)
    {
      gleaner_image_info_show_error (self->info, "This image could not be read from the project.");
      return;
    }
  g_auto (GlGalleryDetails) details = { 0 };
  g_autoptr (GError) error = NULL;
  if (!gl_gallery_model_get_details (self->model, gl_gallery_item_get_id (item), &details, &error))
    {
      gleaner_image_info_show_error (self->info, error->message);
      return;
    }
  gleaner_image_info_show_details (self->info, &details,
                                   gleaner_gallery_view_lookup_texture (self, gl_gallery_item_get_id (item)));
}

static void
on_selection_changed_cb (GtkSelectionModel *selection, guint position, guint n_items, GleanerGalleryView *self)
{
  update_info (self);
}

static void
on_items_changed_cb (GListModel *model, guint position, guint removed, guint added, GleanerGalleryView *self)
{
  update_count (self);
  /* Selected rows that went away take their selection with them silently. */
  if (removed > 0)
    update_info (self);
}

static char *
images_text (guint64 n)
{
  g_autofree char *num = format_count (n);
  return g_strdup_printf ("%s %s", num, n == 1 ? "image" : "images");
}

static void
end_progress (GleanerGalleryView *self)
{
  gtk_revealer_set_reveal_child (self->progress_revealer, FALSE);
}

static void
on_label_progress (const GlGalleryLabelProgress *p, gpointer data)
{
  GleanerGalleryView *self = data;
  /* Cancelled: also when the project was closed or the view disposed. */
  if (p->total < PROGRESS_MIN_IMAGES || self->label_cancel == NULL || g_cancellable_is_cancelled (self->label_cancel))
    return;
  g_autofree char *all = format_count (p->total);
  g_autofree char *text = NULL;
  if (p->writing)
    {
      g_autofree char *written = format_count (p->written);
      text = g_strdup_printf ("Saving the labels of %s images… %s saved", all, written);
    }
  else
    {
      g_autofree char *found = format_count (p->found);
      text = g_strdup_printf ("Finding the %s selected images… %s found", all, found);
    }
  gleaner_progress_post_set_bar (self->progress_bar, self->progress_label, p->writing ? p->written : p->found,
                                 p->total, text);
  /* The labels are written in chunks: Cancel keeps the ones saved so far. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->progress_cancel), TRUE);
  gtk_revealer_set_reveal_child (self->progress_revealer, TRUE);
}

static void
on_progress_cancel_clicked_cb (GleanerGalleryView *self)
{
  if (self->label_cancel != NULL)
    g_cancellable_cancel (self->label_cancel);
}

static void
on_labeled_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GleanerGalleryView) self = data;
  GlGalleryModel *model = GL_GALLERY_MODEL (source);
  g_autoptr (GError) error = NULL;
  guint64 n = 0, unreadable = 0;
  gboolean ok = gl_gallery_model_label_ranges_finish (model, result, &n, &unreadable, &error);
  g_clear_object (&self->label_cancel);
  g_autofree char *klass = g_steal_pointer (&self->label_class);
  if (model != self->model)
    return; /* the project was closed (or the view disposed) meanwhile */
  end_progress (self);
  g_autofree char *text = NULL;
  if (!ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && n == 0)
    text = g_strdup ("Labeling cancelled: nothing was changed");
  else if (!ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *images = images_text (n);
      text = g_strdup_printf ("Labeling stopped: %s labeled (Ctrl+Z in the Label view undoes them in one step)", images);
    }
  else if (!ok && n > 0)
    {
      g_autofree char *images = images_text (n);
      text = g_strdup_printf ("Only %s labeled (Ctrl+Z in the Label view undoes them): %s", images, error->message);
    }
  else if (!ok)
    text = g_strdup_printf ("Labels not saved: %s", error->message);
  else
    {
      g_autofree char *images = images_text (n);
      g_autofree char *left_out = unreadable > 0 ? format_count (unreadable) : NULL;
      g_autofree char *done = klass != NULL ? g_strdup_printf ("%s labeled “%s”", images, klass)
                                            : g_strdup_printf ("Label removed from %s", images);
      text = left_out != NULL ? g_strdup_printf ("%s (%s unreadable left out)", done, left_out) : g_steal_pointer (&done);
    }
  toast (self, text);
  update_info (self);
  update_count (self);
}

/* The selection as runs of positions (one run for a contiguous selection,
 * such as "select all", without visiting every position). */
static GArray *
selection_ranges (GtkBitset *set)
{
  GArray *ranges = g_array_new (FALSE, FALSE, sizeof (GlGalleryRange));
  guint64 size = gtk_bitset_get_size (set);
  if (size == 0)
    return ranges;
  guint min = gtk_bitset_get_minimum (set), max = gtk_bitset_get_maximum (set);
  if ((guint64) max - min + 1 == size)
    {
      g_array_append_val (ranges, ((GlGalleryRange){ min, max - min + 1 }));
      return ranges;
    }
  GtkBitsetIter iter;
  guint pos;
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, set, &pos); ok; ok = gtk_bitset_iter_next (&iter, &pos))
    {
      GlGalleryRange *last = ranges->len > 0 ? &g_array_index (ranges, GlGalleryRange, ranges->len - 1) : NULL;
      if (last != NULL && last->start + last->n == pos)
        last->n++;
      else
        g_array_append_val (ranges, ((GlGalleryRange){ pos, 1 }));
    }
  return ranges;
}

gboolean
gleaner_gallery_view_label_selected (GleanerGalleryView *self, gint64 class_id, GError **error)
{
  g_return_val_if_fail (GLEANER_IS_GALLERY_VIEW (self), FALSE);
  if (self->model == NULL)
    return TRUE;
  if (self->label_cancel != NULL)
    {
      g_autofree char *text = g_strdup ("Still labeling the previous selection: try again when it is done");
      toast (self, text);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, text);
      return FALSE;
    }
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  g_autoptr (GArray) ranges = selection_ranges (set);
  if (ranges->len == 0)
    return TRUE;
  const GlGalleryClass *klass = class_id >= 0 ? gl_gallery_model_lookup_class (self->model, class_id) : NULL;
  self->label_class = klass != NULL ? g_strdup (klass->name) : NULL;
  self->label_cancel = g_cancellable_new ();
  gtk_widget_set_sensitive (GTK_WIDGET (self->progress_cancel), TRUE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gl_gallery_model_label_ranges_async (self->model, (const GlGalleryRange *) (gpointer) ranges->data, ranges->len,
                                       class_id, self->label_cancel, on_label_progress, self, on_labeled_cb,
                                       g_object_ref (self));
  return TRUE;
}

gboolean
gleaner_gallery_view_is_labeling (GleanerGalleryView *self)
{
  return self->label_cancel != NULL;
}

/* The class a key applies: the key the Label view shows on that class's
 * button (its own shortcut, else 1–9, 0, then letters by position); archived
 * classes are not offered. -1: none. */
static gint64
class_for_key (GleanerGalleryView *self, gunichar c)
{
  guint n = 0;
  const GlGalleryClass *classes = gl_gallery_model_get_classes (self->model, &n);
  g_autofree gunichar *custom = g_new0 (gunichar, MAX (n, 1));
  g_autofree gunichar *keys = g_new0 (gunichar, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    custom[i] = classes[i].shortcut;
  gleaner_label_view_assign_keys (custom, n, keys);
  for (guint i = 0; i < n; i++)
    if (!classes[i].archived && keys[i] != 0 && keys[i] == g_unichar_tolower (c))
      return classes[i].id;
  return -1;
}

static gboolean
on_key_pressed_cb (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state,
                   GleanerGalleryView *self)
{
  if (self->model == NULL || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK)) != 0)
    return FALSE;
  if (keyval == GDK_KEY_Delete || keyval == GDK_KEY_KP_Delete || keyval == GDK_KEY_BackSpace)
    {
      gleaner_gallery_view_label_selected (self, -1, NULL);
      return TRUE;
    }
  gunichar c = gdk_keyval_to_unicode (keyval);
  if (c == 0 || g_unichar_isspace (c))
    return FALSE;
  gint64 class_id = class_for_key (self, c);
  if (class_id < 0)
    return FALSE;
  gleaner_gallery_view_label_selected (self, class_id, NULL);
  return TRUE;
}

/* ---- Activation and the context menu ------------------------------------ */

static void
emit_activate (GleanerGalleryView *self, guint position)
{
  g_autoptr (GlGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
  if (item != NULL && gl_gallery_item_get_id (item) >= 0)
    g_signal_emit (self, signals[SIGNAL_ACTIVATE_IMAGE], 0, gl_gallery_item_get_id (item));
}

static void
on_grid_activate_cb (GleanerGalleryView *self, guint position)
{
  if (self->model != NULL)
    emit_activate (self, position);
}

static void
action_label (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gleaner_gallery_view_label_selected (GLEANER_GALLERY_VIEW (widget), g_variant_get_int64 (parameter), NULL);
}

static void
action_unlabel (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gleaner_gallery_view_label_selected (GLEANER_GALLERY_VIEW (widget), -1, NULL);
}

static void
action_open (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GleanerGalleryView *self = GLEANER_GALLERY_VIEW (widget);
  if (self->selection == NULL)
    return;
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  if (!gtk_bitset_is_empty (set))
    emit_activate (self, gtk_bitset_get_minimum (set));
}

static GMenuModel *
build_menu (GleanerGalleryView *self)
{
  GMenu *menu = g_menu_new ();
  g_autoptr (GMenu) open = g_menu_new ();
  g_menu_append (open, "Open in Label View", "gallery.open");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (open));

  g_autoptr (GMenu) label = g_menu_new ();
  guint n = 0;
  const GlGalleryClass *classes = gl_gallery_model_get_classes (self->model, &n);
  for (guint i = 0; i < n; i++)
    {
      if (classes[i].archived)
        continue;
      g_autofree char *text = g_strdup_printf ("Label as “%s”", classes[i].name);
      g_autoptr (GMenuItem) item = g_menu_item_new (text, NULL);
      g_menu_item_set_action_and_target_value (item, "gallery.label", g_variant_new_int64 (classes[i].id));
      g_menu_append_item (label, item);
    }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (label));

  g_autoptr (GMenu) remove = g_menu_new ();
  g_menu_append (remove, "Remove Label", "gallery.unlabel");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (remove));
  return G_MENU_MODEL (menu);
}

static void
on_secondary_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, GleanerGalleryView *self)
{
  if (self->model == NULL)
    return;
  GtkWidget *grid = GTK_WIDGET (self->grid);
  GtkWidget *picked = gtk_widget_pick (grid, x, y, GTK_PICK_DEFAULT);
  GtkWidget *cell = picked;
  while (cell != NULL && cell != grid && !GLEANER_IS_GALLERY_CELL (cell))
    cell = gtk_widget_get_parent (cell);
  if (cell == NULL || cell == grid)
    return;
  GlGalleryItem *item = gleaner_gallery_cell_get_item (GLEANER_GALLERY_CELL (cell));
  if (item == NULL)
    return;
  gint64 pos = gl_gallery_model_find_cached (self->model, gl_gallery_item_get_id (item));
  if (pos >= 0 && !gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection), (guint) pos))
    gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), (guint) pos, TRUE);

  g_autoptr (GMenuModel) menu = build_menu (self);
  gtk_popover_menu_set_menu_model (GTK_POPOVER_MENU (self->menu), menu);
  double vx = x, vy = y;
  gtk_widget_translate_coordinates (grid, GTK_WIDGET (self), x, y, &vx, &vy);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &(GdkRectangle){ (int) vx, (int) vy, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->menu));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* ---- The factory -------------------------------------------------------- */

static void
on_factory_setup_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, GleanerGalleryView *self)
{
  gtk_list_item_set_child (list_item, gleaner_gallery_cell_new (self));
}

static void
on_factory_bind_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, GleanerGalleryView *self)
{
  gleaner_gallery_cell_set_item (GLEANER_GALLERY_CELL (gtk_list_item_get_child (list_item)),
                                 gtk_list_item_get_item (list_item));
}

static void
on_factory_unbind_cb (GtkSignalListItemFactory *factory, GtkListItem *list_item, GleanerGalleryView *self)
{
  gleaner_gallery_cell_set_item (GLEANER_GALLERY_CELL (gtk_list_item_get_child (list_item)), NULL);
}

/* ---- Project ---------------------------------------------------------- */

static void
release_project (GleanerGalleryView *self)
{
  gtk_grid_view_set_model (self->grid, NULL);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  /* A labeling under way stops if it has not begun to write; its result is dropped. */
  if (self->label_cancel != NULL)
    g_cancellable_cancel (self->label_cancel);
  if (self->progress_revealer != NULL)
    end_progress (self);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  /* Waits for the decodes in progress: the project must still be open. */
  g_clear_object (&self->loader);
  clear_textures (self);
  self->project = NULL;
}

void
gleaner_gallery_view_set_project (GleanerGalleryView *self, GlProject *project)
{
  g_return_if_fail (GLEANER_IS_GALLERY_VIEW (self));
  if (project == self->project)
    return;
  release_project (self);
  if (project != NULL)
    {
      g_autoptr (GError) error = NULL;
      self->model = gl_gallery_model_new (project, &error);
      if (self->model != NULL)
        gl_gallery_model_read_first_page_in_background (self->model);
      if (self->model != NULL)
        self->loader = gl_thumbnail_loader_new (project, 0, &error);
      if (self->model == NULL || self->loader == NULL)
        {
          g_autofree char *text = g_strdup_printf ("The gallery cannot read the project: %s", error->message);
          toast (self, text);
          g_clear_object (&self->model);
        }
      else
        {
          self->project = project;
          self->updating = TRUE;
          gtk_drop_down_set_selected (self->filter_dropdown, (guint) gl_gallery_model_get_filter (self->model, NULL));
          gtk_drop_down_set_selected (self->sort_dropdown, (guint) gl_gallery_model_get_sort (self->model));
          gtk_widget_set_visible (GTK_WIDGET (self->class_dropdown), FALSE);
          gtk_widget_set_visible (GTK_WIDGET (self->predicted_dropdown), FALSE);
          gtk_widget_set_visible (GTK_WIDGET (self->range_label), FALSE);
          gtk_widget_set_visible (self->predicted_label, FALSE);
          self->updating = FALSE;
          update_columns (self);
          self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (self->model)));
          g_signal_connect (self->selection, "selection-changed", G_CALLBACK (on_selection_changed_cb), self);
          g_signal_connect (self->model, "items-changed", G_CALLBACK (on_items_changed_cb), self);
          gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));
        }
    }
  load_classes (self);
  update_count (self);
  update_info (self);
}

void
gleaner_gallery_view_reload (GleanerGalleryView *self)
{
  g_return_if_fail (GLEANER_IS_GALLERY_VIEW (self));
  if (self->model == NULL)
    return;
  g_autoptr (GError) error = NULL;
  if (!gl_gallery_model_reload (self->model, &error))
    toast (self, error->message);
  load_classes (self);
  apply_filter (self);
  update_count (self);
  update_info (self);
}

/* ---- GObject ---------------------------------------------------------- */

static void
gleaner_gallery_view_dispose (GObject *object)
{
  GleanerGalleryView *self = GLEANER_GALLERY_VIEW (object);
  release_project (self);
  g_clear_pointer (&self->menu, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_GALLERY_VIEW);
  G_OBJECT_CLASS (gleaner_gallery_view_parent_class)->dispose (object);
}

static void
gleaner_gallery_view_finalize (GObject *object)
{
  GleanerGalleryView *self = GLEANER_GALLERY_VIEW (object);
  g_hash_table_unref (self->textures);
  g_array_unref (self->dropdown_class_ids);
  g_free (self->label_class);
  G_OBJECT_CLASS (gleaner_gallery_view_parent_class)->finalize (object);
}

static void
gleaner_gallery_view_class_init (GleanerGalleryViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = gleaner_gallery_view_dispose;
  object_class->finalize = gleaner_gallery_view_finalize;
  widget_class->map = gleaner_gallery_view_map;
  widget_class->unmap = gleaner_gallery_view_unmap;

  /**
   * GleanerGalleryView::activate-image:
   * @image_id: the image to open in the Label view
   */
  signals[SIGNAL_ACTIVATE_IMAGE] = g_signal_new ("activate-image", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  g_type_ensure (GLEANER_TYPE_IMAGE_INFO);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/gleaner/Gleaner/gleaner-gallery-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, range_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, predicted_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, predicted_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, class_names);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, count_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, scrolled);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, grid);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, info);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, progress_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GleanerGalleryView, progress_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_dropdown_notify_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_class_dropdown_notify_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_sort_dropdown_notify_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_grid_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_progress_cancel_clicked_cb);

  gtk_widget_class_install_action (widget_class, "gallery.label", "x", action_label);
  gtk_widget_class_install_action (widget_class, "gallery.unlabel", NULL, action_unlabel);
  gtk_widget_class_install_action (widget_class, "gallery.open", NULL, action_open);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "galleryview");
}

static void
gleaner_gallery_view_init (GleanerGalleryView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->textures = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_queue_init (&self->lru);
  self->dropdown_class_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->drift_first = 0;
  self->drift_last = G_MAXINT64;

  GtkSignalListItemFactory *factory = GTK_SIGNAL_LIST_ITEM_FACTORY (gtk_signal_list_item_factory_new ());
  g_signal_connect (factory, "setup", G_CALLBACK (on_factory_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (on_factory_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_factory_unbind_cb), self);
  gtk_grid_view_set_factory (self->grid, GTK_LIST_ITEM_FACTORY (factory));
  g_object_unref (factory);

  GtkEventController *keys = gtk_event_controller_key_new ();
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  GtkGesture *click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->grid), GTK_EVENT_CONTROLLER (click));

  self->menu = gtk_popover_menu_new_from_model (NULL);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
  gtk_widget_set_halign (self->menu, GTK_ALIGN_START);
  gtk_widget_set_parent (self->menu, GTK_WIDGET (self));

  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (self));
  static GtkCssProvider *shared_css; /* one per process: the same rules for every view */
  if (shared_css == NULL)
    {
      shared_css = gtk_css_provider_new ();
      gtk_css_provider_load_from_data (shared_css, gallery_css, -1);
      gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (shared_css),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    }
}

GtkWidget *
gleaner_gallery_view_new (void)
{
  return g_object_new (GLEANER_TYPE_GALLERY_VIEW, NULL);
}
