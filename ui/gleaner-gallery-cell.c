/* gleaner-gallery-cell.c — see gleaner-gallery-cell.h. */
#include "ui/gleaner-gallery-cell.h"

#include "app/gl-thumbs.h"
#include "ui/gleaner-gallery-view.h"

#define FRAME_SIZE (GL_THUMB_SIZE + 8)

struct _GleanerGalleryCell
{
  GtkWidget parent_instance;

  /* children */
  GtkWidget *frame;    /* GtkOverlay of the thumbnail and its marks */
  GtkWidget *picture;
  GtkWidget *chip;     /* the label */
  GtkWidget *mark;     /* unreadable */
  GtkWidget *caption;  /* prediction and confidence, or the file name */

  /* borrowed */
  GleanerGalleryView *view;

  /* owned */
  GlGalleryItem *item;
  GCancellable *cancellable; /* of the thumbnail load in flight */
  int priority;              /* of that load */
  gulong label_handler;
  char *chip_class; /* CSS class set on the chip */
  gboolean has_thumbnail;
};

G_DEFINE_FINAL_TYPE (GleanerGalleryCell, gleaner_gallery_cell, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

typedef struct
{
  GleanerGalleryCell *cell; /* owned ref */
  gint64 image_id;
} LoadData;

static void
set_texture (GleanerGalleryCell *self, GdkTexture *texture)
{
  gtk_picture_set_paintable (GTK_PICTURE (self->picture), GDK_PAINTABLE (texture));
  self->has_thumbnail = texture != NULL;
  if (texture != NULL)
    gtk_widget_remove_css_class (self->frame, "loading");
  else
    gtk_widget_add_css_class (self->frame, "loading");
}

static void
on_thumbnail_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadData *data = user_data;
  GleanerGalleryCell *self = data->cell;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = gl_thumbnail_loader_load_finish (NULL, result, &error);

  if (self->item != NULL && gl_gallery_item_get_id (self->item) == data->image_id
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_object (&self->cancellable);
  if (pixbuf != NULL && self->view != NULL)
    {
      g_autoptr (GdkTexture) texture = gdk_texture_new_for_pixbuf (pixbuf);
      gleaner_gallery_view_store_texture (self->view, data->image_id, texture);
      if (self->item != NULL && gl_gallery_item_get_id (self->item) == data->image_id)
        set_texture (self, texture);
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->item != NULL
           && gl_gallery_item_get_id (self->item) == data->image_id)
    {
      /* The file went bad since the import: say so on the cell. */
      gtk_widget_set_visible (self->mark, TRUE);
      gtk_widget_set_tooltip_text (self->mark, error->message);
      gtk_widget_remove_css_class (self->frame, "loading");
    }
  g_object_unref (data->cell);
  g_free (data);
}

void
gleaner_gallery_cell_update (GleanerGalleryCell *self)
{
  GlGalleryItem *item = self->item;
  GlGalleryModel *model = self->view != NULL ? gleaner_gallery_view_get_model (self->view) : NULL;

  if (self->chip_class != NULL)
    {
      gtk_widget_remove_css_class (self->chip, self->chip_class);
      g_clear_pointer (&self->chip_class, g_free);
    }
  if (item == NULL || model == NULL)
    {
      gtk_widget_set_visible (self->chip, FALSE);
      gtk_widget_set_visible (self->mark, FALSE);
      gtk_label_set_text (GTK_LABEL (self->caption), "");
      return;
    }

  gint64 label = gl_gallery_item_get_label (item);
  const GlGalleryClass *klass = label >= 0 ? gl_gallery_model_lookup_class (model, label) : NULL;
  gtk_widget_set_visible (self->chip, klass != NULL);
  if (klass != NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->chip), klass->name);
      self->chip_class = g_strdup_printf ("gallery-class-%" G_GINT64_FORMAT, klass->id);
      gtk_widget_add_css_class (self->chip, self->chip_class);
    }

  gboolean unreadable = gl_gallery_item_get_unreadable (item);
  gtk_widget_set_visible (self->mark, unreadable);
  gtk_widget_set_tooltip_text (self->mark, unreadable ? "The file could not be read" : NULL);

  gint64 predicted = gl_gallery_item_get_predicted (item);
  const GlGalleryClass *pk = predicted >= 0 ? gl_gallery_model_lookup_class (model, predicted) : NULL;
  g_autofree char *caption = NULL;
  if (unreadable)
    caption = g_strdup ("Unreadable");
  else if (pk != NULL && gl_gallery_item_get_confidence (item) >= 0)
    caption = g_strdup_printf ("%s %.0f%%", pk->name, 100.0 * gl_gallery_item_get_confidence (item));
  else
    caption = g_strdup (gl_gallery_item_get_name (item));
  gtk_label_set_text (GTK_LABEL (self->caption), caption);
  if (pk != NULL && label >= 0 && pk->id != label)
    gtk_widget_add_css_class (self->caption, "disagree");
  else
    gtk_widget_remove_css_class (self->caption, "disagree");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), gl_gallery_item_get_name (item));
}

static void
on_item_label_cb (GlGalleryItem *item, GParamSpec *pspec, GleanerGalleryCell *self)
{
  gleaner_gallery_cell_update (self);
}

/* Asks the view's loader for the thumbnail of the item at @priority,
 * replacing a request of lower priority. */
static void
request (GleanerGalleryCell *self, int priority)
{
  GlGalleryItem *item = self->item;
  if (item == NULL || self->view == NULL || self->has_thumbnail || gl_gallery_item_get_id (item) < 0
      || gl_gallery_item_get_unreadable (item))
    return;
  if (self->cancellable != NULL)
    {
      if (self->priority <= priority)
        return;
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  GlThumbnailLoader *loader = gleaner_gallery_view_get_loader (self->view);
  if (loader == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  self->priority = priority;
  LoadData *data = g_new0 (LoadData, 1);
  data->cell = g_object_ref (self);
  data->image_id = gl_gallery_item_get_id (item);
  gl_thumbnail_loader_load_async (loader, item, priority, self->cancellable, on_thumbnail_loaded_cb, data);
}

void
gleaner_gallery_cell_promote (GleanerGalleryCell *self)
{
  g_return_if_fail (GLEANER_IS_GALLERY_CELL (self));
  request (self, G_PRIORITY_DEFAULT);
}

void
gleaner_gallery_cell_prefetch (GleanerGalleryCell *self)
{
  g_return_if_fail (GLEANER_IS_GALLERY_CELL (self));
  request (self, G_PRIORITY_LOW);
}

GlGalleryItem *
gleaner_gallery_cell_get_item (GleanerGalleryCell *self)
{
  return self->item;
}

void
gleaner_gallery_cell_set_item (GleanerGalleryCell *self, GlGalleryItem *item)
{
  g_return_if_fail (GLEANER_IS_GALLERY_CELL (self));
  if (self->item == item)
    return;

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->item != NULL)
    {
      g_clear_signal_handler (&self->label_handler, self->item);
      g_clear_object (&self->item);
    }

  if (item != NULL)
    {
      self->item = g_object_ref (item);
      self->label_handler = g_signal_connect (item, "notify::label", G_CALLBACK (on_item_label_cb), self);
    }
  gleaner_gallery_cell_update (self);

  GdkTexture *texture = NULL;
  if (item != NULL && self->view != NULL && gl_gallery_item_get_id (item) >= 0)
    texture = gleaner_gallery_view_lookup_texture (self->view, gl_gallery_item_get_id (item));
  set_texture (self, texture);
  /* The load starts when the view finds the cell in or near its viewport
   * (_promote, _prefetch): GtkGridView binds 30 rows of cells around it. */
  if (texture == NULL && item != NULL && gl_gallery_item_get_unreadable (item))
    gtk_widget_remove_css_class (self->frame, "loading");
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ITEM]);
}

gboolean
gleaner_gallery_cell_has_thumbnail (GleanerGalleryCell *self)
{
  return self->has_thumbnail;
}

static void
gleaner_gallery_cell_dispose (GObject *object)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (object);
  gleaner_gallery_cell_set_item (self, NULL);
  self->view = NULL;
  g_clear_pointer (&self->frame, gtk_widget_unparent);
  g_clear_pointer (&self->caption, gtk_widget_unparent);
  G_OBJECT_CLASS (gleaner_gallery_cell_parent_class)->dispose (object);
}

static void
gleaner_gallery_cell_finalize (GObject *object)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (object);
  g_free (self->chip_class);
  G_OBJECT_CLASS (gleaner_gallery_cell_parent_class)->finalize (object);
}

static void
gleaner_gallery_cell_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (object);
  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gleaner_gallery_cell_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (object);
  switch (prop_id)
    {
    case PROP_ITEM:
      gleaner_gallery_cell_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gleaner_gallery_cell_class_init (GleanerGalleryCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = gleaner_gallery_cell_dispose;
  object_class->finalize = gleaner_gallery_cell_finalize;
  object_class->get_property = gleaner_gallery_cell_get_property;
  object_class->set_property = gleaner_gallery_cell_set_property;
  props[PROP_ITEM] = g_param_spec_object ("item", NULL, NULL, GL_TYPE_GALLERY_ITEM,
                                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "gallerycell");
}

static void
gleaner_gallery_cell_init (GleanerGalleryCell *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 4);

  self->frame = gtk_overlay_new ();
  gtk_widget_set_size_request (self->frame, FRAME_SIZE, FRAME_SIZE);
  gtk_widget_set_overflow (self->frame, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (self->frame, "gallery-frame");
  gtk_widget_add_css_class (self->frame, "loading");
  gtk_widget_set_parent (self->frame, GTK_WIDGET (self));

  /* Centred at its natural size: never scaled, so enlarged IDX pixels stay crisp. */
  self->picture = gtk_picture_new ();
  gtk_picture_set_can_shrink (GTK_PICTURE (self->picture), TRUE);
  gtk_widget_set_halign (self->picture, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->picture, GTK_ALIGN_CENTER);
  gtk_overlay_set_child (GTK_OVERLAY (self->frame), self->picture);

  self->chip = gtk_label_new (NULL);
  gtk_label_set_ellipsize (GTK_LABEL (self->chip), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (self->chip), 14);
  gtk_widget_set_halign (self->chip, GTK_ALIGN_START);
  gtk_widget_set_valign (self->chip, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->chip, "gallery-chip");
  gtk_widget_set_visible (self->chip, FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->frame), self->chip);

  self->mark = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  gtk_widget_set_halign (self->mark, GTK_ALIGN_END);
  gtk_widget_set_valign (self->mark, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->mark, "gallery-unreadable");
  gtk_widget_set_visible (self->mark, FALSE);
  gtk_overlay_add_overlay (GTK_OVERLAY (self->frame), self->mark);

  self->caption = gtk_label_new (NULL);
  gtk_label_set_ellipsize (GTK_LABEL (self->caption), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (self->caption), 1);
  gtk_label_set_single_line_mode (GTK_LABEL (self->caption), TRUE);
  gtk_widget_set_hexpand (self->caption, TRUE);
  gtk_widget_add_css_class (self->caption, "caption");
  gtk_widget_add_css_class (self->caption, "gallery-caption");
  gtk_widget_set_parent (self->caption, GTK_WIDGET (self));
}

GtkWidget *
gleaner_gallery_cell_new (GleanerGalleryView *view)
{
  GleanerGalleryCell *self = g_object_new (GLEANER_TYPE_GALLERY_CELL, NULL);
  self->view = view;
  return GTK_WIDGET (self);
}
