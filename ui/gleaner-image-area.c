/* gleaner-image-area.c — see gleaner-image-area.h. */
#include "ui/gleaner-image-area.h"

#include <math.h>
#include <string.h>

struct _GleanerImageArea
{
  GtkWidget parent_instance;

  GdkTexture *texture; /* (nullable) */
};

enum
{
  PROP_0,
  PROP_TEXTURE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (GleanerImageArea, gleaner_image_area, GTK_TYPE_WIDGET)

GtkWidget *
gleaner_image_area_new (void)
{
  return g_object_new (GLEANER_TYPE_IMAGE_AREA, NULL);
}

void
gleaner_image_area_set_texture (GleanerImageArea *self, GdkTexture *texture)
{
  g_return_if_fail (GLEANER_IS_IMAGE_AREA (self));
  g_return_if_fail (texture == NULL || GDK_IS_TEXTURE (texture));

  if (!g_set_object (&self->texture, texture))
    return;
  /* Never a resize: see the header. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TEXTURE]);
}

GdkTexture *
gleaner_image_area_get_texture (GleanerImageArea *self)
{
  g_return_val_if_fail (GLEANER_IS_IMAGE_AREA (self), NULL);
  return self->texture;
}

GdkTexture *
gleaner_image_area_texture_from_pixels (const guint8 *src, guint h, guint w, guint c, guint target)
{
  guint factor, W, H;
  g_autoptr (GBytes) bytes = NULL;
  guint8 *dst;

  /* Nearest-neighbour by an integer factor: every source pixel becomes a
   * factor × factor block, so edges stay sharp. */
  factor = MAX (1u, target / MAX (h, w));
  W = w * factor;
  H = h * factor;
  dst = g_malloc ((gsize) W * H * 3);
  for (guint sy = 0; sy < h; sy++)
    {
      const guint8 *s = src + (gsize) sy * w * c;
      guint8 *first = dst + (gsize) sy * factor * W * 3;
      guint8 *d = first;
      /* One enlarged row, then copies of it. */
      for (guint sx = 0; sx < w; sx++, s += c)
        {
          guint8 r = s[0], g = c == 3 ? s[1] : s[0], b = c == 3 ? s[2] : s[0];
          for (guint k = 0; k < factor; k++, d += 3)
            {
              d[0] = r;
              d[1] = g;
              d[2] = b;
            }
        }
      for (guint k = 1; k < factor; k++)
        memcpy (first + (gsize) k * W * 3, first, (gsize) W * 3);
    }
  bytes = g_bytes_new_take (dst, (gsize) W * H * 3);
  return gdk_memory_texture_new ((int) W, (int) H, GDK_MEMORY_R8G8B8, bytes, (gsize) W * 3);
}

/* No size of its own: the image adapts to the area, not the other way. */
static void
gleaner_image_area_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                            int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 0;
  *natural = 0;
}

static void
gleaner_image_area_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GleanerImageArea *self = GLEANER_IMAGE_AREA (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  int tw, th;
  double scale, w, h;

  if (self->texture == NULL || width <= 0 || height <= 0)
    return;
  tw = gdk_texture_get_width (self->texture);
  th = gdk_texture_get_height (self->texture);
  scale = MIN (1.0, MIN ((double) width / tw, (double) height / th));
  /* Whole pixels, so that a texture that fits is drawn pixel for pixel. */
  w = scale < 1.0 ? floor (tw * scale) : tw;
  h = scale < 1.0 ? floor (th * scale) : th;
  gtk_snapshot_append_texture (snapshot, self->texture,
                               &GRAPHENE_RECT_INIT (floor ((width - w) / 2), floor ((height - h) / 2), w, h));
}

static void
gleaner_image_area_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GleanerImageArea *self = GLEANER_IMAGE_AREA (object);

  switch (prop_id)
    {
    case PROP_TEXTURE:
      g_value_set_object (value, self->texture);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gleaner_image_area_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GleanerImageArea *self = GLEANER_IMAGE_AREA (object);

  switch (prop_id)
    {
    case PROP_TEXTURE:
      gleaner_image_area_set_texture (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gleaner_image_area_dispose (GObject *object)
{
  GleanerImageArea *self = GLEANER_IMAGE_AREA (object);

  g_clear_object (&self->texture);
  G_OBJECT_CLASS (gleaner_image_area_parent_class)->dispose (object);
}

static void
gleaner_image_area_class_init (GleanerImageAreaClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = gleaner_image_area_get_property;
  object_class->set_property = gleaner_image_area_set_property;
  object_class->dispose = gleaner_image_area_dispose;
  widget_class->measure = gleaner_image_area_measure;
  widget_class->snapshot = gleaner_image_area_snapshot;

  props[PROP_TEXTURE] = g_param_spec_object ("texture", NULL, NULL, GDK_TYPE_TEXTURE,
                                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  gtk_widget_class_set_css_name (widget_class, "picture");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
gleaner_image_area_init (GleanerImageArea *self)
{
}
