/* gleaner-test-util.c — see gleaner-test-util.h. */
#include "gleaner-config.h"

#include "gleaner-test-util.h"

#include <glib/gstdio.h>

static GdkPixbuf *
make_image (guint i)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint shape = i % 3;
  int cx = 10 + (int) (i * 7 % 9), cy = 10 + (int) (i * 5 % 9), r = 5 + (int) (i % 4);

  for (int y = 0; y < 28; y++)
    for (int x = 0; x < 28; x++)
      {
        int dx = x - cx, dy = y - cy;
        gboolean on;
        guint8 v;

        if (shape == 0)
          on = ABS (dx * dx + dy * dy - r * r) <= r + 2;
        else if (shape == 1)
          on = (ABS (dx) == r && ABS (dy) <= r) || (ABS (dy) == r && ABS (dx) <= r);
        else
          on = (ABS (dx - dy) <= 1 || ABS (dx + dy) <= 1) && ABS (dx) <= r;
        /* A different grey per image, so that no two files are duplicates. */
        v = on ? (guint8) (255 - (i % 64)) : (guint8) (i / 64 % 40);
        pixels[y * stride + x * 3 + 0] = v;
        pixels[y * stride + x * 3 + 1] = v;
        pixels[y * stride + x * 3 + 2] = v;
      }
  return pixbuf;
}

GlProject *
gleaner_test_make_project (const char *dir, guint n)
{
  static const char *const classes[] = { "circle", "square", "cross", NULL };
  g_autofree char *images = g_strconcat (dir, "-images", NULL);
  const char *paths[] = { images, NULL };
  g_autoptr (GError) error = NULL;
  GlImportOptions options;
  GlImportProgress summary;
  GlProject *project;

  g_assert_no_errno (g_mkdir_with_parents (images, 0755));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GdkPixbuf) pixbuf = make_image (i);
      g_autofree char *name = g_strdup_printf ("image-%04u.png", i);
      g_autofree char *path = g_build_filename (images, name, NULL);
      gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
      g_assert_no_error (error);
    }

  project = gl_project_create (dir, 28, 28, 1, classes, &error);
  g_assert_no_error (error);
  gl_import_options_init (&options);
  options.layout = GL_IMPORT_LAYOUT_PLAIN;
  options.n_threads = 2;
  gl_project_import (project, paths, &options, NULL, NULL, NULL, &summary, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (summary.added, ==, n);
  return project;
}

void
gleaner_test_wait (gboolean (*func) (gpointer data), gpointer data)
{
  while (!func (data))
    g_main_context_iteration (NULL, TRUE);
}

static void
after_paint_cb (GdkFrameClock *clock, guint *left)
{
  if (*left > 0)
    (*left)--;
}

void
gleaner_test_wait_frames (GtkWidget *widget, guint n)
{
  GdkFrameClock *clock;
  gulong id;

  gleaner_test_wait ((gboolean (*) (gpointer)) gtk_widget_get_mapped, widget);
  clock = gtk_widget_get_frame_clock (widget);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &n);
  while (n > 0)
    {
      gtk_widget_queue_draw (widget);
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (clock, id);
}

const char *
gleaner_test_output_dir (void)
{
  static char *dir;

  if (dir == NULL)
    {
      const char *env = g_getenv ("GLEANER_TEST_OUTPUT_DIR");
      dir = env != NULL ? g_strdup (env) : g_build_filename (g_getenv ("G_TEST_BUILDDIR") ?: ".", "output", NULL);
      g_assert_no_errno (g_mkdir_with_parents (dir, 0755));
    }
  return dir;
}

char *
gleaner_test_render_png (GtkWidget *widget, const char *name)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  char *path = g_build_filename (gleaner_test_output_dir (), name, NULL);

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  return path;
}
