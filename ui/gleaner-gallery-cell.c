/* gleaner-gallery-cell.c — see gleaner-gallery-cell.h.
 *
 * One widget that draws itself (no child widgets): its size is fixed, so a
 * new item never makes the grid measure again, and text is laid out only
 * when the cell is drawn. While scrolling a grid binds a row of cells per
 * few frames; child labels re-measured on every bind cost about 2.5 times
 * the frame time of this. */
#include "ui/gleaner-gallery-cell.h"

#include "app/gl-thumbs.h"
#include "ui/gleaner-gallery-view.h"

#define FRAME_SIZE (GL_THUMB_SIZE + 8)
#define CAPTION_GAP 4
#define FRAME_RADIUS 8
#define CHIP_MARGIN 5
#define CHIP_PAD_X 8
#define CHIP_PAD_Y 1

struct _GleanerGalleryCell
{
  GtkWidget parent_instance;

  /* borrowed */
  GleanerGalleryView *view;

  /* owned */
  GlGalleryItem *item;
  GdkTexture *texture;       /* the thumbnail shown, NULL while loading */
  GCancellable *cancellable; /* of the thumbnail load in flight */
  int priority;              /* of that load */
  gulong label_handler;
  char *chip_text;    /* class name of the label, NULL when unlabeled */
  GdkRGBA chip_colour;
  char *caption;      /* prediction and confidence, or the file name */
  gboolean disagree;  /* labeled, and the prediction differs */
  gboolean unreadable;
  char *problem;      /* why the thumbnail cannot be shown, or NULL */
  PangoLayout *chip_layout, *caption_layout; /* NULL until drawn after a change */
  int caption_h; /* height of a caption line, 0 until measured after a style change */
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
  if (self->texture == texture)
    return;
  g_set_object (&self->texture, texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
forget_layouts (GleanerGalleryCell *self)
{
  g_clear_object (&self->chip_layout);
  g_clear_object (&self->caption_layout);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The key of the cairo surface that holds a thumbnail texture's pixels. */
#define SURFACE_KEY "gleaner-cairo-surface"

/* The thumbnail as a cairo image surface, and a texture over the same
 * pixels (cairo's premultiplied ARGB words, GDK_MEMORY_DEFAULT) for the
 * view's cache and the info pane. The cairo renderer of GTK 4.8 draws a
 * texture node by copying the texture into a new cairo surface, converting
 * every pixel through floats on the way, on every frame the cell is drawn
 * (most of the main thread's time while scrolling); the cell draws the
 * surface itself instead (see snapshot). */
GdkTexture *
gleaner_gallery_cell_texture_for_pixbuf (GdkPixbuf *pixbuf)
{
  g_return_val_if_fail (GDK_IS_PIXBUF (pixbuf), NULL);
  int width = gdk_pixbuf_get_width (pixbuf), height = gdk_pixbuf_get_height (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf), rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 || channels < (alpha ? 4 : 3))
    return gdk_texture_new_for_pixbuf (pixbuf);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return gdk_texture_new_for_pixbuf (pixbuf);
    }
  const guint8 *src = gdk_pixbuf_read_pixels (pixbuf);
  guint8 *dst = cairo_image_surface_get_data (surface); /* (height, stride / 4) words */
  int stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < height; y++)
    {
      const guint8 *p = src + (gsize) y * rowstride;
      guint32 *row = (guint32 *) (gpointer) (dst + (gsize) y * stride);
      if (!alpha)
        {
          for (int x = 0; x < width; x++, p += channels)
            row[x] = 0xff000000u | (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
          continue;
        }
      for (int x = 0; x < width; x++, p += channels)
        {
          guint32 a = p[3], r = p[0], g = p[1], b = p[2];
          if (a != 255)
            {
              r = (r * a + 127) / 255;
              g = (g * a + 127) / 255;
              b = (b * a + 127) / 255;
            }
          row[x] = a << 24 | r << 16 | g << 8 | b;
        }
    }
  cairo_surface_mark_dirty (surface);
  g_autoptr (GBytes) bytes = g_bytes_new_with_free_func (dst, (gsize) height * stride,
                                                         (GDestroyNotify) cairo_surface_destroy,
                                                         cairo_surface_reference (surface));
  GdkTexture *texture = gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, bytes, stride);
  g_object_set_data_full (G_OBJECT (texture), SURFACE_KEY, surface, (GDestroyNotify) cairo_surface_destroy);
  return texture;
}

static void
on_thumbnail_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LoadData *data = user_data;
  GleanerGalleryCell *self = data->cell;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = gl_thumbnail_loader_load_finish (NULL, result, &error);
  gboolean current = self->item != NULL && gl_gallery_item_get_id (self->item) == data->image_id;

  if (current && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_object (&self->cancellable);
  if (pixbuf != NULL && self->view != NULL)
    {
      g_autoptr (GdkTexture) texture = gleaner_gallery_cell_texture_for_pixbuf (pixbuf);
      gleaner_gallery_view_store_texture (self->view, data->image_id, texture);
      if (current)
        set_texture (self, texture);
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && current)
    {
      /* The file went bad since the import: say so on the cell. */
      g_free (self->problem);
      self->problem = g_strdup (error->message);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  g_object_unref (data->cell);
  g_free (data);
}

void
gleaner_gallery_cell_update (GleanerGalleryCell *self)
{
  GlGalleryItem *item = self->item;
  GlGalleryModel *model = self->view != NULL ? gleaner_gallery_view_get_model (self->view) : NULL;

  g_clear_pointer (&self->chip_text, g_free);
  g_clear_pointer (&self->caption, g_free);
  self->disagree = FALSE;
  self->unreadable = FALSE;
  forget_layouts (self);
  if (item == NULL || model == NULL || gl_gallery_item_get_id (item) < 0)
    return;

  gint64 label = gl_gallery_item_get_label (item);
  const GlGalleryClass *klass = label >= 0 ? gl_gallery_model_lookup_class (model, label) : NULL;
  if (klass != NULL)
    {
      self->chip_text = g_strdup (klass->name);
      if (!gdk_rgba_parse (&self->chip_colour, klass->colour))
        gdk_rgba_parse (&self->chip_colour, "#3584e4");
    }

  self->unreadable = gl_gallery_item_get_unreadable (item);
  gint64 predicted = gl_gallery_item_get_predicted (item);
  const GlGalleryClass *pk = predicted >= 0 ? gl_gallery_model_lookup_class (model, predicted) : NULL;
  if (self->unreadable)
    self->caption = g_strdup ("Unreadable");
  else if (pk != NULL && gl_gallery_item_get_confidence (item) >= 0)
    self->caption = g_strdup_printf ("%s %.0f%%", pk->name, 100.0 * gl_gallery_item_get_confidence (item));
  else
    self->caption = g_strdup (gl_gallery_item_get_name (item));
  self->disagree = pk != NULL && label >= 0 && pk->id != label;
}

/* The tooltip is made when asked for, not on each bind while scrolling. */
static gboolean
on_query_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (widget);
  if (self->item == NULL || gl_gallery_item_get_id (self->item) < 0)
    return FALSE;
  if (self->problem != NULL)
    gtk_tooltip_set_text (tooltip, self->problem);
  else if (self->unreadable)
    gtk_tooltip_set_text (tooltip, "The file could not be read");
  else
    gtk_tooltip_set_text (tooltip, gl_gallery_item_get_name (self->item));
  return TRUE;
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
  if (item == NULL || self->view == NULL || self->texture != NULL || self->problem != NULL
      || gl_gallery_item_get_id (item) < 0 || gl_gallery_item_get_unreadable (item))
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
  g_clear_pointer (&self->problem, g_free);

  if (item != NULL)
    {
      self->item = g_object_ref (item);
      self->label_handler = g_signal_connect (item, "notify::label", G_CALLBACK (on_item_label_cb), self);
    }
  gleaner_gallery_cell_update (self);

  /* From the texture cache, else loaded once the view finds the cell in or
   * near its viewport (_promote, _prefetch): GtkGridView binds 30 rows of
   * cells around it. */
  GdkTexture *texture = NULL;
  if (item != NULL && self->view != NULL && gl_gallery_item_get_id (item) >= 0)
    texture = gleaner_gallery_view_lookup_texture (self->view, gl_gallery_item_get_id (item));
  set_texture (self, texture);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ITEM]);
}

gboolean
gleaner_gallery_cell_has_thumbnail (GleanerGalleryCell *self)
{
  return self->texture != NULL;
}

/* ---- Drawing ------------------------------------------------------------ */

static PangoLayout *
make_layout (GleanerGalleryCell *self, const char *text, double scale, gboolean bold, int width)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  return layout;
}

static int
caption_height (GleanerGalleryCell *self)
{
  if (self->caption_h == 0)
    {
      g_autoptr (PangoLayout) probe = make_layout (self, "Ag", 0.85, FALSE, FRAME_SIZE);
      pango_layout_get_pixel_size (probe, NULL, &self->caption_h);
    }
  return self->caption_h;
}

static void
gleaner_gallery_cell_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                              int *natural, int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = FRAME_SIZE;
  else
    *minimum = *natural = FRAME_SIZE + CAPTION_GAP + caption_height (GLEANER_GALLERY_CELL (widget));
}

static gboolean
named_colour (GtkWidget *widget, const char *name, const char *fallback, GdkRGBA *out)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  if (gtk_style_context_lookup_color (context, name, out))
    return TRUE;
  return gdk_rgba_parse (out, fallback);
}

static void
append_rounded (GtkSnapshot *snapshot, const graphene_rect_t *rect, float radius, const GdkRGBA *colour)
{
  GskRoundedRect rr;
  gsk_rounded_rect_init_from_rect (&rr, rect, radius);
  gtk_snapshot_push_rounded_clip (snapshot, &rr);
  gtk_snapshot_append_color (snapshot, colour, rect);
  gtk_snapshot_pop (snapshot);
}

int
gleaner_gallery_cell_enlargement (int width, int height)
{
  int side = MAX (MAX (width, height), 1);
  return MAX (1, GL_THUMB_SIZE / side);
}

static void
gleaner_gallery_cell_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (widget);
  int width = gtk_widget_get_width (widget);
  float fx = (width - FRAME_SIZE) / 2.0f;
  GdkRGBA fg;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);

  /* The frame, and the thumbnail in it; one smaller than the cell (a 28×28
   * or 64×64 input) is enlarged by a whole factor, nearest neighbour, as the
   * Label view does: every pixel becomes an equal square, never blurred. */
  graphene_rect_t frame = GRAPHENE_RECT_INIT (fx, 0, FRAME_SIZE, FRAME_SIZE);
  GdkRGBA bg = fg;
  bg.alpha = self->texture != NULL || self->item == NULL ? 0.06f : 0.12f;
  append_rounded (snapshot, &frame, FRAME_RADIUS, &bg);
  if (self->texture != NULL)
    {
      int tw = gdk_texture_get_width (self->texture), th = gdk_texture_get_height (self->texture);
      cairo_surface_t *surface = g_object_get_data (G_OBJECT (self->texture), SURFACE_KEY);
      /* The texture-only fallback (a pixbuf cairo cannot take) is drawn 1:1. */
      int factor = surface != NULL ? gleaner_gallery_cell_enlargement (tw, th) : 1;
      int dw = MIN (tw * factor, FRAME_SIZE), dh = MIN (th * factor, FRAME_SIZE);
      float tx = fx + (FRAME_SIZE - dw) / 2, ty = (FRAME_SIZE - dh) / 2;
      graphene_rect_t where = GRAPHENE_RECT_INIT ((int) tx, (int) ty, dw, dh);
      if (surface != NULL)
        {
          cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &where);
          cairo_translate (cr, where.origin.x, where.origin.y);
          cairo_scale (cr, factor, factor);
          cairo_set_source_surface (cr, surface, 0, 0);
          cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST); /* crisp, enlarged or not */
          cairo_rectangle (cr, 0, 0, (double) dw / factor, (double) dh / factor);
          cairo_fill (cr);
          cairo_destroy (cr);
        }
      else
        gtk_snapshot_append_texture (snapshot, self->texture, &where);
    }

  /* The label as a chip, its text black or white, whichever reads better. */
  if (self->chip_text != NULL)
    {
      if (self->chip_layout == NULL)
        self->chip_layout = make_layout (self, self->chip_text, 0.8, TRUE, FRAME_SIZE - 2 * CHIP_MARGIN - 2 * CHIP_PAD_X);
      int tw, th;
      pango_layout_get_pixel_size (self->chip_layout, &tw, &th);
      graphene_rect_t chip = GRAPHENE_RECT_INIT (fx + CHIP_MARGIN, CHIP_MARGIN, tw + 2 * CHIP_PAD_X, th + 2 * CHIP_PAD_Y);
      GdkRGBA shadow = { 0, 0, 0, 0.25f };
      graphene_rect_t below = chip;
      below.origin.y += 1;
      append_rounded (snapshot, &below, chip.size.height / 2, &shadow);
      append_rounded (snapshot, &chip, chip.size.height / 2, &self->chip_colour);
      double lum = 0.299 * self->chip_colour.red + 0.587 * self->chip_colour.green + 0.114 * self->chip_colour.blue;
      GdkRGBA text = lum > 0.6 ? (GdkRGBA){ 0.12f, 0.12f, 0.12f, 1 } : (GdkRGBA){ 1, 1, 1, 1 };
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (chip.origin.x + CHIP_PAD_X, chip.origin.y + CHIP_PAD_Y));
      gtk_snapshot_append_layout (snapshot, self->chip_layout, &text);
      gtk_snapshot_restore (snapshot);
    }

  /* An unreadable file: a warning mark in the corner. */
  if (self->unreadable || self->problem != NULL)
    {
      GdkRGBA error_colour, view_bg;
      named_colour (widget, "error_color", "#c01c28", &error_colour);
      named_colour (widget, "view_bg_color", "#ffffff", &view_bg);
      view_bg.alpha = 0.9f;
      graphene_rect_t badge = GRAPHENE_RECT_INIT (fx + FRAME_SIZE - CHIP_MARGIN - 22, CHIP_MARGIN, 22, 22);
      append_rounded (snapshot, &badge, 11, &view_bg);
      GtkIconTheme *theme = gtk_icon_theme_get_for_display (gtk_widget_get_display (widget));
      g_autoptr (GtkIconPaintable) icon = gtk_icon_theme_lookup_icon (theme, "dialog-warning-symbolic", NULL, 16,
                                                                      gtk_widget_get_scale_factor (widget),
                                                                      gtk_widget_get_direction (widget), 0);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (badge.origin.x + 3, badge.origin.y + 3));
      gtk_symbolic_paintable_snapshot_symbolic (GTK_SYMBOLIC_PAINTABLE (icon), snapshot, 16, 16, &error_colour, 1);
      gtk_snapshot_restore (snapshot);
    }

  /* The prediction with its confidence (warning colour when it disagrees
   * with the label), or the file name. */
  if (self->caption != NULL)
    {
      if (self->caption_layout == NULL)
        self->caption_layout = make_layout (self, self->caption, 0.85, self->disagree, width - 8);
      int tw, th;
      pango_layout_get_pixel_size (self->caption_layout, &tw, &th);
      GdkRGBA colour = fg;
      if (self->disagree)
        named_colour (widget, "warning_color", "#9c6e03", &colour);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((width - tw) / 2, FRAME_SIZE + CAPTION_GAP));
      gtk_snapshot_append_layout (snapshot, self->caption_layout, &colour);
      gtk_snapshot_restore (snapshot);
    }
}

static void
gleaner_gallery_cell_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (gleaner_gallery_cell_parent_class)->css_changed (widget, change);
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (widget);
  int old_h = self->caption_h;
  forget_layouts (self);
  self->caption_h = 0;
  if (caption_height (self) != old_h)
    gtk_widget_queue_resize (widget);
}

/* ---- GObject ---------------------------------------------------------- */

static void
gleaner_gallery_cell_dispose (GObject *object)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (object);
  gleaner_gallery_cell_set_item (self, NULL);
  self->view = NULL;
  G_OBJECT_CLASS (gleaner_gallery_cell_parent_class)->dispose (object);
}

static void
gleaner_gallery_cell_finalize (GObject *object)
{
  GleanerGalleryCell *self = GLEANER_GALLERY_CELL (object);
  g_clear_object (&self->texture);
  g_clear_object (&self->chip_layout);
  g_clear_object (&self->caption_layout);
  g_free (self->chip_text);
  g_free (self->caption);
  g_free (self->problem);
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
  widget_class->measure = gleaner_gallery_cell_measure;
  widget_class->snapshot = gleaner_gallery_cell_snapshot;
  widget_class->css_changed = gleaner_gallery_cell_css_changed;
  props[PROP_ITEM] = g_param_spec_object ("item", NULL, NULL, GL_TYPE_GALLERY_ITEM,
                                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  gtk_widget_class_set_css_name (widget_class, "gallerycell");
}

static void
gleaner_gallery_cell_init (GleanerGalleryCell *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip_cb), NULL);
}

GtkWidget *
gleaner_gallery_cell_new (GleanerGalleryView *view)
{
  GleanerGalleryCell *self = g_object_new (GLEANER_TYPE_GALLERY_CELL, NULL);
  self->view = view;
  return GTK_WIDGET (self);
}
