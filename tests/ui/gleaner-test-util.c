/* gleaner-test-util.c — see gleaner-test-util.h. */
#include "gleaner-config.h"

#include "gleaner-test-util.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>

#include "ui/gleaner-gallery-cell.h"

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

void
gleaner_test_write_images (const char *dir, guint n)
{
  g_assert_no_errno (g_mkdir_with_parents (dir, 0755));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GdkPixbuf) pixbuf = make_image (i);
      g_autofree char *name = g_strdup_printf ("image-%04u.png", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) error = NULL;
      gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
      g_assert_no_error (error);
    }
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

  gleaner_test_write_images (images, n);
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

static gboolean
window_opened (gpointer data)
{
  GleanerWindow *window = data;
  return g_strcmp0 (gleaner_window_get_state (window), "loading") != 0
         && (gleaner_window_get_queue (window) == NULL || gl_queue_get_current (gleaner_window_get_queue (window)) != NULL);
}

GleanerWindow *
gleaner_test_open_window (GleanerApplication *app, const char *dir)
{
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  GleanerWindow *window = gleaner_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_opened, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  g_assert_nonnull (gl_queue_get_current (gleaner_window_get_queue (window)));
  return window;
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* A minute, or $GLEANER_TEST_WAIT_SECONDS (the test of the deadline itself). */
static guint
wait_deadline_seconds (void)
{
  const char *env = g_getenv ("GLEANER_TEST_WAIT_SECONDS");
  guint64 seconds = env != NULL ? g_ascii_strtoull (env, NULL, 10) : 0;
  return seconds > 0 ? (guint) MIN (seconds, 3600) : 60;
}

void
gleaner_test_wait_for (gboolean (*func) (gpointer data), gpointer data, const char *what)
{
  guint seconds = wait_deadline_seconds ();
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  guint wake;

  if (func (data))
    return;
  /* A blocking iteration returns at least once a second, to see the deadline. */
  wake = g_timeout_add_seconds (1, wake_cb, NULL);
  while (!func (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("waited %u s in vain for %s", seconds, what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
}

typedef struct
{
  GtkWidget *widget;
  GdkFrameClock *clock;
  guint left;
} Frames;

static void
after_paint_cb (GdkFrameClock *clock, Frames *frames)
{
  if (frames->left > 0)
    frames->left--;
}

static gboolean
frames_painted (gpointer data)
{
  Frames *frames = data;

  if (frames->left == 0)
    return TRUE;
  gtk_widget_queue_draw (frames->widget);
  gdk_frame_clock_request_phase (frames->clock, GDK_FRAME_CLOCK_PHASE_PAINT);
  return FALSE;
}

void
gleaner_test_wait_frames (GtkWidget *widget, guint n)
{
  Frames frames = { widget, NULL, n };
  gulong id;

  gleaner_test_wait_for ((gboolean (*) (gpointer)) gtk_widget_get_mapped, widget, "the widget to be mapped");
  frames.clock = gtk_widget_get_frame_clock (widget);
  id = g_signal_connect (frames.clock, "after-paint", G_CALLBACK (after_paint_cb), &frames);
  gleaner_test_wait_for (frames_painted, &frames, "frames to be painted");
  g_signal_handler_disconnect (frames.clock, id);
}

static void
collect (GtkWidget *widget, GType type, GPtrArray *out)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        g_ptr_array_add (out, child);
      collect (child, type, out);
    }
}

GtkWidget *
gleaner_test_find_descendant (GtkWidget *root, GType type, guint nth)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  collect (root, type, all);
  return nth < all->len ? g_ptr_array_index (all, nth) : NULL;
}

GtkWindow *
gleaner_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

GtkButton *
gleaner_test_find_button (GtkWidget *root, const char *label)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  collect (root, GTK_TYPE_BUTTON, all);
  for (guint i = 0; i < all->len; i++)
    if (g_strcmp0 (gtk_button_get_label (g_ptr_array_index (all, i)), label) == 0)
      return g_ptr_array_index (all, i);
  return NULL;
}

/* The widget of the toast shown: the overlay's child that is not its content. */
static GtkWidget *
shown_toast_widget (GtkWidget *root)
{
  GtkWidget *overlay = ADW_IS_TOAST_OVERLAY (root) ? root
                                                   : gleaner_test_find_descendant (root, ADW_TYPE_TOAST_OVERLAY, 0);

  if (overlay == NULL)
    return NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (overlay); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (child != adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (overlay)) && gtk_widget_get_visible (child))
      return child;
  return NULL;
}

/* The first widget of @type in the shown toast that @want accepts, or NULL. */
static GtkWidget *
find_in_toast (GtkWidget *root, GType type, gboolean (*want) (GtkWidget *widget))
{
  GtkWidget *toast = shown_toast_widget (root);
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  if (toast == NULL)
    return NULL;
  collect (toast, type, all);
  for (guint i = 0; i < all->len; i++)
    if (want (g_ptr_array_index (all, i)))
      return g_ptr_array_index (all, i);
  return NULL;
}

/* The title is the first label that is not on a button. */
static gboolean
is_title (GtkWidget *label)
{
  return gtk_widget_get_ancestor (label, GTK_TYPE_BUTTON) == NULL;
}

/* The action button has a label; the close button an icon. */
static gboolean
is_action_button (GtkWidget *button)
{
  return gtk_button_get_label (GTK_BUTTON (button)) != NULL && gtk_widget_get_visible (button);
}

static gboolean
is_close_button (GtkWidget *button)
{
  return gtk_button_get_label (GTK_BUTTON (button)) == NULL;
}

const char *
gleaner_test_get_shown_toast (GtkWidget *root)
{
  GtkWidget *title = find_in_toast (root, GTK_TYPE_LABEL, is_title);
  return title != NULL ? gtk_label_get_label (GTK_LABEL (title)) : NULL;
}

GtkButton *
gleaner_test_get_toast_button (GtkWidget *root)
{
  return GTK_BUTTON (find_in_toast (root, GTK_TYPE_BUTTON, is_action_button));
}

typedef struct
{
  GtkWidget *root;
  GtkWidget *toast;
} Dismissal;

static gboolean
toast_gone (gpointer data)
{
  Dismissal *d = data;
  return shown_toast_widget (d->root) != d->toast;
}

void
gleaner_test_dismiss_toasts (GtkWidget *root)
{
  GtkWidget *toast;

  while ((toast = shown_toast_widget (root)) != NULL)
    {
      GtkWidget *close = find_in_toast (root, GTK_TYPE_BUTTON, is_close_button);

      g_assert_nonnull (close);
      g_signal_emit_by_name (close, "clicked");
      gleaner_test_wait_for (toast_gone, &(Dismissal){ root, toast }, "a dismissed toast to go");
    }
}

void
gleaner_test_point_in (GtkWidget *widget, double fx, double fy, int *x, int *y)
{
  GtkWidget *native = GTK_WIDGET (gtk_widget_get_native (widget));
  graphene_rect_t bounds;
  double sx, sy;

  g_assert_nonnull (native);
  g_assert_true (gtk_widget_compute_bounds (widget, native, &bounds));
  gtk_native_get_surface_transform (GTK_NATIVE (native), &sx, &sy);
  *x = (int) (sx + bounds.origin.x + fx * bounds.size.width);
  *y = (int) (sy + bounds.origin.y + fy * bounds.size.height);
}

void
gleaner_test_xdotool (const char *args)
{
  g_autofree char *cmd = g_strdup_printf ("timeout 60 xdotool %s", args);
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
}

void
gleaner_test_click (GtkWidget *widget, double fx, double fy, guint n)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (widget));
  gulong xid = gdk_x11_surface_get_xid (surface);
  g_autofree char *args = NULL;
  int x, y;

  /* Laid out where it is now (a widget just shown has no size yet). */
  gleaner_test_wait_frames (widget, 1);
  gleaner_test_point_in (widget, fx, fy, &x, &y);
  /* The clicks of a double click without a pause (--delay 0; 100 ms by
   * default): another test's window raised in between took the second one.
   * A single click keeps the default: with --delay 0, a click on an entry
   * of a dropdown's list (test-gallery) did not choose it. */
  args = g_strdup_printf ("windowraise %lu mousemove --window %lu %d %d click --repeat %u --delay %u 1", xid, xid, x, y,
                          n, n > 1 ? 0 : 100);
  gleaner_test_xdotool (args);
}

GtkWidget *
gleaner_test_find_gallery_cell (GtkWidget *root, gint64 image_id)
{
  g_autoptr (GPtrArray) cells = g_ptr_array_new ();

  collect (root, GLEANER_TYPE_GALLERY_CELL, cells);
  for (guint i = 0; i < cells->len; i++)
    {
      GtkWidget *cell = g_ptr_array_index (cells, i);
      GlGalleryItem *shown = gleaner_gallery_cell_get_item (GLEANER_GALLERY_CELL (cell));
      if (shown != NULL && gl_gallery_item_get_id (shown) == image_id && gtk_widget_is_drawable (cell))
        return cell;
    }
  return NULL;
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

GleanerApplication *
gleaner_test_app_init (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  GleanerApplication *app;

  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_test_init (argc, argv, NULL);
  app = gleaner_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  /* xdotool holds each key it types for half its --delay: on a loaded
   * machine its release can come after X's autorepeat delay, and one key
   * typed becomes several presses. The tests count keys: no autorepeat in
   * their X server. */
  GdkDisplay *display = gdk_display_get_default ();
  if (display != NULL && GDK_IS_X11_DISPLAY (display))
    {
      XAutoRepeatOff (gdk_x11_display_get_xdisplay (display));
      XFlush (gdk_x11_display_get_xdisplay (display));
    }
  g_application_hold (G_APPLICATION (app));
  return app;
}

int
gleaner_test_app_run (GleanerApplication *app)
{
  int status = g_test_run ();

  g_application_release (G_APPLICATION (app));
  g_object_unref (app);
  return status;
}

/* ---- gleaner_test_choose ---- */

typedef struct
{
  GtkDropDown *dropdown;
  GtkWidget *popover;
  guint want;
} ChoiceWait;

static gboolean
popover_up (gpointer data)
{
  return gtk_widget_get_mapped (((ChoiceWait *) data)->popover);
}

static gboolean
chosen (gpointer data)
{
  ChoiceWait *c = data;
  return gtk_drop_down_get_selected (c->dropdown) == c->want && !gtk_widget_get_mapped (c->popover);
}

void
gleaner_test_choose (GtkWidget *dropdown, const char *text)
{
  GListModel *entries = gtk_drop_down_get_model (GTK_DROP_DOWN (dropdown));
  ChoiceWait c = { GTK_DROP_DOWN (dropdown), gleaner_test_find_descendant (dropdown, GTK_TYPE_POPOVER, 0), 0 };
  GtkWidget *label, *entry = NULL;

  while (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (entries), c.want), text) != 0)
    g_assert_cmpuint (++c.want, <, g_list_model_get_n_items (entries));
  g_assert_nonnull (c.popover);
  g_assert_true (gtk_widget_is_drawable (dropdown));
  gleaner_test_click (dropdown, 0.5, 0.5, 1);
  gleaner_test_wait (popover_up, &c);
  gleaner_test_wait_frames (c.popover, 2);
  for (guint i = 0; (label = gleaner_test_find_descendant (c.popover, GTK_TYPE_LABEL, i)) != NULL; i++)
    if (gtk_widget_is_drawable (label) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0)
      entry = label;
  g_assert_nonnull (entry);
  gleaner_test_click (entry, 0.5, 0.5, 1);
  gleaner_test_wait (chosen, &c);
}

guint
gleaner_test_distinct_colours (const char *path, guint cap)
{
  GError *error = NULL;
  g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  g_assert_no_error (error);
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guint32 *px = g_new (guint32, (gsize)w * h);
  gdk_texture_download (texture, (guchar *)px, (gsize)w * 4);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  for (gsize i = 0; i < (gsize)w * h && g_hash_table_size (seen) < cap; i++)
    g_hash_table_add (seen, GUINT_TO_POINTER (px[i]));
  return g_hash_table_size (seen);
}

GlGalleryItem *
gleaner_test_gallery_item (GlGalleryModel *model, guint position)
{
  g_autoptr (GError) error = NULL;
  GlGalleryItem *item = gl_gallery_model_get_item_now (model, position, &error);
  g_assert_no_error (error);
  return item;
}

static gboolean
gallery_listed (gpointer data)
{
  return !gl_gallery_model_is_reading_first_page (data);
}

void
gleaner_test_wait_gallery_listed (GlGalleryModel *model)
{
  gleaner_test_wait (gallery_listed, model);
}
