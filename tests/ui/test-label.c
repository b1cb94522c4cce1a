/* test-label.c — labeling in the real window with real key presses.
 *
 * A project of 40 generated images is opened in the window; 20 images are
 * labeled with the keys 1, 2, 3 (typed into the window through XTEST with
 * xdotool when it is installed, else delivered to the window's key
 * controller), then the store is checked through app/ to hold exactly those
 * 20 labels; BackSpace undoes one and the store is checked again. Bursts of
 * keys typed faster than the labels commit (on the queue's writer thread)
 * label every image in the order typed. The Label view is rendered to PNG in
 * light and dark style. A double click with the real pointer on a Gallery
 * cell opens that image in the Label view. On a project with a model's
 * predictions and a rule's suggestion, Space accepts the suggestion, then
 * the top class, each stored with its origin; Left and Right move over the
 * images labeled, showing each (its name and pixels), and store nothing. */
#include "gleaner-config.h"

#include <string.h>
#include <gdk/x11/gdkx.h>

#include "app/gl-queue.h"
#include "app/gl-session.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-gallery-view.h"
#include "ui/gleaner-image-area.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-window.h"

#define N_IMAGES 40
#define N_LABELS 20

static GleanerApplication *app;

typedef struct
{
  GleanerWindow *window;
  guint64 n_labeled;
  gint64 image_id;
} Wait;

static gboolean
window_not_loading (gpointer data)
{
  return g_strcmp0 (gleaner_window_get_state (GLEANER_WINDOW (data)), "loading") != 0;
}

static gboolean
queue_has_item (gpointer data)
{
  GlQueue *queue = gleaner_window_get_queue (GLEANER_WINDOW (data));
  return queue != NULL && gl_queue_get_current (queue) != NULL;
}

/* The key was handled: the count of labels is the expected one, and the queue
 * shows another image. */
static gboolean
label_done (gpointer data)
{
  Wait *w = data;
  GlQueue *queue = gleaner_window_get_queue (w->window);
  const GlQueueItem *item = gl_queue_get_current (queue);

  return gl_queue_get_n_labeled (queue) == w->n_labeled && (item == NULL || item->image_id != w->image_id);
}

static gboolean
showing (gpointer data)
{
  Wait *w = data;
  const GlQueueItem *item = gl_queue_get_current (gleaner_window_get_queue (w->window));
  return item != NULL && item->image_id == w->image_id;
}

static gboolean
undo_done (gpointer data)
{
  Wait *w = data;
  GlQueue *queue = gleaner_window_get_queue (w->window);
  const GlQueueItem *item = gl_queue_get_current (queue);

  return gl_queue_get_n_labeled (queue) == w->n_labeled && item != NULL && item->image_id == w->image_id;
}

static GtkWidget *
find_widget (GtkWidget *widget, GType type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = G_TYPE_CHECK_INSTANCE_TYPE (child, type) ? child : find_widget (child, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
label_view_settled (gpointer data)
{
  return gleaner_label_view_is_settled (data);
}

/* Renders @window to @name once the Label view has painted every part of
 * its last update (it spreads one over up to four frames). */
static char *
render_settled (GleanerWindow *window, const char *name)
{
  GleanerLabelView *view = GLEANER_LABEL_VIEW (find_widget (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW));
  gleaner_test_wait (label_view_settled, view);
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  return gleaner_test_render_png (GTK_WIDGET (window), name);
}

/* Delivers @key to the window's key controller (capture phase): the path a
 * key press takes, without the X server. */
static void
deliver_key (GleanerWindow *window, const char *key)
{
  GListModel *controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  GdkModifierType mods = g_str_has_prefix (key, "ctrl+") ? GDK_CONTROL_MASK : 0;
  guint keyval = gdk_keyval_from_name (mods ? key + strlen ("ctrl+") : key);
  gboolean handled = FALSE;

  g_assert_cmpuint (keyval, !=, GDK_KEY_VoidSymbol);
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !handled; i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, mods, &handled);
    }
  g_object_unref (controllers);
  g_assert_true (handled);
}

static gboolean
all_labeled (gpointer queue)
{
  return gl_queue_get_n_labeled (queue) == N_LABELS;
}

/* Types @keys ("1", "BackSpace"; @n of them, without a pause) into @window.
 * xdotool runs under timeout(1): a focus that never comes fails the test
 * instead of hanging it. */
static void
press_keys (GleanerWindow *window, const char *const *keys, guint n)
{
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");

  if (xdotool != NULL)
    {
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
      g_autofree char *xid = g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autoptr (GError) error = NULL;
      int status = 0;

      for (const char *const *a = (const char *const[]) { "timeout", "60", xdotool, "windowfocus", "--sync", xid,
                                                          "key", "--clearmodifiers", "--delay", "0", NULL };
           *a != NULL; a++)
        g_ptr_array_add (argv, (gpointer) *a);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (argv, (gpointer) keys[i]);
      g_ptr_array_add (argv, NULL);
      g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                    &error);
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
    }
  else
    for (guint i = 0; i < n; i++)
      deliver_key (window, keys[i]);
}

static void
press_key (GleanerWindow *window, const char *key)
{
  press_keys (window, &key, 1);
}

typedef struct
{
  GlQueue *queue;
  guint64 n_labeled;
} Settled;

static gboolean
labels_settled (gpointer data)
{
  Settled *s = data;
  return !gl_queue_is_busy (s->queue) && gl_queue_get_n_labeled (s->queue) == s->n_labeled;
}

/* Keys typed faster than labels commit: every one labels, in the order
 * typed, each image the one before left. @deliver: straight to the key
 * controller, all before the main loop runs again (so none can have been
 * committed in between); else through the X server. Adds to @expected. */
static void
type_burst (GleanerWindow *window, GHashTable *expected, gboolean deliver)
{
  static const char *const keys[] = { "1", "q", "2", "2", "1", "q", "1", "2" };
  const guint n = G_N_ELEMENTS (keys);
  GlQueue *queue = gleaner_window_get_queue (window);
  g_autoptr (GPtrArray) next = gl_queue_peek (queue, n - 1);
  gint64 ids[G_N_ELEMENTS (keys)];
  guint64 before = gl_queue_get_n_labeled (queue);
  Settled settled = { queue, before + n };
  gint64 last_row = -1;

  g_assert_cmpuint (next->len, ==, n - 1);
  ids[0] = gl_queue_get_current (queue)->image_id;
  for (guint i = 1; i < n; i++)
    ids[i] = ((GlQueueItem *) g_ptr_array_index (next, i - 1))->image_id;
  if (deliver)
    {
      for (guint i = 0; i < n; i++)
        deliver_key (window, keys[i]);
      /* Nothing moves before its commit. */
      g_assert_true (gl_queue_is_busy (queue));
      g_assert_cmpint (gl_queue_get_current (queue)->image_id, ==, ids[0]);
      g_assert_cmpuint (gl_queue_get_n_labeled (queue), ==, before);
    }
  else
    press_keys (window, keys, n);
  gleaner_test_wait (labels_settled, &settled);

  for (guint i = 0; i < n; i++)
    {
      GlDbLabel label = { 0 };
      guint k = keys[i][0] == 'q' ? 2 : (guint) (keys[i][0] - '1');
      g_autoptr (GError) error = NULL;

      /* In the order typed: each label's history row after the one before. */
      g_assert_true (gl_db_get_current_label (gl_project_get_db (gleaner_window_get_project (window)), ids[i], FALSE,
                                              &label, &error));
      g_assert_no_error (error);
      g_assert_cmpint (label.id, >, last_row);
      last_row = label.id;
      gl_db_label_clear (&label);
      g_hash_table_insert (expected, g_memdup2 (&ids[i], sizeof (gint64)), GUINT_TO_POINTER (k));
    }
}

typedef struct
{
  GtkWidget *gallery;
  gint64 image_id;
} CellWait;

static gboolean
cell_shown (gpointer data)
{
  CellWait *c = data;
  return gleaner_test_find_gallery_cell (c->gallery, c->image_id) != NULL;
}

typedef struct
{
  GleanerWindow *window;
  gint64 image_id;
} OpenWait;

/* The Label view is the page shown, and it shows the image. */
static gboolean
label_view_shows (gpointer data)
{
  OpenWait *o = data;
  AdwViewStack *stack = ADW_VIEW_STACK (find_widget (GTK_WIDGET (o->window), ADW_TYPE_VIEW_STACK));
  GleanerLabelView *view = GLEANER_LABEL_VIEW (find_widget (GTK_WIDGET (o->window), GLEANER_TYPE_LABEL_VIEW));
  const GlQueueItem *item = gleaner_label_view_get_item (view);

  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "label") == 0 && item != NULL
         && item->image_id == o->image_id;
}

/* Alt+2 shows the Gallery (which reads the store again), and a double click
 * with the real pointer on the cell of @image_id opens it in the Label view.
 * Without xdotool: the same action, and the grid's "activate" (what its
 * double click emits). */
static void
open_from_gallery (GleanerWindow *window, GtkWidget *gallery, gint64 image_id)
{
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  CellWait c = { gallery, image_id };
  OpenWait o = { window, image_id };
  GtkWidget *cell;

  if (xdotool != NULL)
    press_key (window, "alt+2");
  else
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-page", "s", "gallery"));
  gleaner_test_wait (cell_shown, &c);
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  cell = gleaner_test_find_gallery_cell (gallery, image_id);
  g_assert_false (label_view_shows (&o));
  if (xdotool != NULL)
    gleaner_test_click (cell, 0.5, 0.5, 2);
  else
    {
      GlGalleryModel *model = gleaner_gallery_view_get_model (GLEANER_GALLERY_VIEW (gallery));
      guint position = 0;

      for (;; position++)
        {
          g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, position);
          g_assert_nonnull (item);
          if (gl_gallery_item_get_id (item) == image_id)
            break;
        }
      g_signal_emit_by_name (gleaner_gallery_view_get_grid (GLEANER_GALLERY_VIEW (gallery)), "activate", position);
    }
  gleaner_test_wait (label_view_shows, &o);
}

/* Image id → class id of every current human label, through app/. */
static GHashTable *
stored_labels (GlProject *project)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (project), &error);
  GHashTable *labels = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);

  g_assert_no_error (error);
  for (guint i = 0; i < images->len; i++)
    {
      const GlPoolImage *image = &g_array_index (images, GlPoolImage, i);
      if (image->class_id >= 0)
        g_hash_table_insert (labels, g_memdup2 (&image->image_id, sizeof (gint64)),
                             g_memdup2 (&image->class_id, sizeof (gint64)));
    }
  return labels;
}

/* The store holds exactly @expected (image id → key index 0, 1, 2): the same
 * images, and images labeled with the same key share one class and images
 * labeled with different keys do not. */
static void
check_store (GlProject *project, GHashTable *expected)
{
  g_autoptr (GHashTable) stored = stored_labels (project);
  gint64 class_of_key[3] = { -1, -1, -1 };
  GHashTableIter iter;
  gpointer key, value;
  GlProjectInfo info = { 0 };
  g_autoptr (GError) error = NULL;
  guint per_key[3] = { 0, 0, 0 };

  g_assert_cmpuint (g_hash_table_size (stored), ==, g_hash_table_size (expected));
  g_hash_table_iter_init (&iter, expected);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 *class_id = g_hash_table_lookup (stored, key);
      guint k = GPOINTER_TO_UINT (value);

      g_assert_nonnull (class_id);
      if (class_of_key[k] < 0)
        class_of_key[k] = *class_id;
      g_assert_cmpint (class_of_key[k], ==, *class_id);
      per_key[k]++;
    }
  for (guint a = 0; a < 3; a++)
    for (guint b = a + 1; b < 3; b++)
      if (class_of_key[a] >= 0 && class_of_key[b] >= 0)
        g_assert_cmpint (class_of_key[a], !=, class_of_key[b]);

  /* Key k is the k-th class in the project's order. */
  g_assert_true (gl_project_get_info (project, &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.labeled, ==, g_hash_table_size (expected));
  for (guint k = 0; k < 3; k++)
    g_assert_cmpuint (info.labeled_per_class[k], ==, per_key[k]);
  gl_project_info_clear (&info);
}

static void
test_label_with_keys (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-label-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GHashTable) expected = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  static const char *keys[] = { "1", "2", "3" };
  g_autofree char *png = NULL;
  GleanerWindow *window;
  GlProject *project;
  GlQueue *queue;
  Wait w;
  gint64 last_id = -1, before_last_id = -1;

  gl_project_close (gleaner_test_make_project (dir, N_IMAGES));

  window = gleaner_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  project = gleaner_window_get_project (window);
  queue = gleaner_window_get_queue (window);
  g_assert_nonnull (queue);
  /* A new project has no ranking: the trainer orders it on its thread. */
  gleaner_test_wait (queue_has_item, window);
  /* No retraining in the middle of the test: its ranking would reorder the queue. */
  gl_trainer_set_retrain_every (gleaner_window_get_trainer (window), 0);
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  png = render_settled (window, "label-start.png");

  for (guint i = 0; i < N_LABELS; i++)
    {
      const GlQueueItem *item = gl_queue_get_current (queue);
      guint k = (i * 7 + i / 3) % 3;

      g_assert_nonnull (item);
      w = (Wait) { window, gl_queue_get_n_labeled (queue) + 1, item->image_id };
      g_hash_table_insert (expected, g_memdup2 (&item->image_id, sizeof (gint64)), GUINT_TO_POINTER (k));
      before_last_id = last_id;
      last_id = item->image_id;
      press_key (window, keys[k]);
      gleaner_test_wait (label_done, &w);
    }
  g_assert_cmpuint (gl_queue_get_n_labeled (queue), ==, N_LABELS);
  check_store (project, expected);

  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  g_free (png);
  png = render_settled (window, "label.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = render_settled (window, "label-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* BackSpace takes back the last label and shows that image again. */
  w = (Wait) { window, N_LABELS - 1, last_id };
  press_key (window, "BackSpace");
  gleaner_test_wait (undo_done, &w);
  g_assert_true (g_hash_table_remove (expected, &last_id));
  check_store (project, expected);

  /* Left goes back to the image before, showing its label; Right returns. */
  w = (Wait) { window, N_LABELS - 1, before_last_id };
  press_key (window, "Left");
  gleaner_test_wait (showing, &w);
  g_assert_cmpint (gl_queue_get_current (queue)->label, ==,
                   GPOINTER_TO_INT (g_hash_table_lookup (expected, &before_last_id)));
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  g_free (png);
  png = render_settled (window, "label-back.png");
  w = (Wait) { window, N_LABELS - 1, last_id };
  press_key (window, "Right");
  gleaner_test_wait (showing, &w);
  check_store (project, expected);

  /* A double click in the Gallery opens an image in the Label view; its
   * key labels that image, then the queue goes on where it was. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (project), &error);
    GtkWidget *gallery = find_widget (GTK_WIDGET (window), GLEANER_TYPE_GALLERY_VIEW);
    gint64 opened = -1;

    g_assert_nonnull (gallery);
    for (guint i = 0; i < images->len && opened < 0; i++)
      {
        const GlPoolImage *image = &g_array_index (images, GlPoolImage, i);
        if (image->class_id < 0 && image->image_id != gl_queue_get_current (queue)->image_id)
          opened = image->image_id;
      }
    g_assert_cmpint (opened, >, 0);
    /* A model's prediction for it: the view shows it, and Return accepts it. */
    {
      GlDb *db = gl_project_get_db (project);
      g_autoptr (GPtrArray) classes = gl_session_list_classes (project, &error);
      GlDbModelVersion version = { 0, (char *) "test.model", 0, 20, NAN, NAN, NAN, NULL };
      float probs[3] = { 0.1f, 0.7f, 0.2f };
      GlDbPrediction prediction = { opened, 0, 0.7, 0.3, probs, 3 };
      gint64 model_id = -1;

      g_assert_no_error (error);
      prediction.top_class = ((GlSessionClass *) g_ptr_array_index (classes, 1))->id;
      g_assert_true (gl_db_add_model_version (db, &version, &model_id, &error));
      g_assert_true (gl_db_add_predictions (db, model_id, &prediction, 1, &error));
      g_assert_true (gl_db_set_current_model (db, model_id, &error));
      g_assert_no_error (error);
    }
    open_from_gallery (window, gallery, opened);
    {
      const GlQueueItem *shown = gleaner_label_view_get_item (
        GLEANER_LABEL_VIEW (find_widget (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW)));
      g_assert_nonnull (shown);
      g_assert_cmpint (shown->image_id, ==, opened);
      g_assert_cmpuint (shown->n_top, ==, 3);
      g_assert_cmpint (shown->top_class[0], ==, 1);
      g_assert_cmpfloat_with_epsilon (shown->top_prob[0], 0.7, 1e-6);
      g_assert_cmpint (shown->top_class[1], ==, 2);
    }
    g_assert_cmpstr (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (find_widget (GTK_WIDGET (window),
                                                                                       ADW_TYPE_VIEW_STACK))),
                     ==, "label");
    gleaner_test_wait_frames (GTK_WIDGET (window), 2);
    g_free (png);
    png = render_settled (window, "label-opened.png");
    w = (Wait) { window, N_LABELS, last_id };
    press_key (window, "Return");
    gleaner_test_wait (showing, &w);
    gleaner_test_wait (all_labeled, queue);
    g_hash_table_insert (expected, g_memdup2 (&opened, sizeof (gint64)), GUINT_TO_POINTER (1));
    check_store (project, expected);
  }

  /* A class's own shortcut (Classes dialog) replaces its default key. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) classes = gl_session_list_classes (project, &error);
    gint64 id = gl_queue_get_current (queue)->image_id;

    g_assert_no_error (error);
    g_assert_true (gl_session_set_class_shortcut (project, ((GlSessionClass *) g_ptr_array_index (classes, 2))->id,
                                                  'q', &error));
    g_assert_no_error (error);
    gleaner_label_view_reload_classes (GLEANER_LABEL_VIEW (find_widget (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW)));
    w = (Wait) { window, N_LABELS + 1, id };
    press_key (window, "q");
    gleaner_test_wait (label_done, &w);
    g_hash_table_insert (expected, g_memdup2 (&id, sizeof (gint64)), GUINT_TO_POINTER (2));
    check_store (project, expected);
  }

  /* S skips: no label, the skip is stored, the next image shows. */
  {
    g_autoptr (GError) error = NULL;
    GlDbCounts before, after;
    gint64 id = gl_queue_get_current (queue)->image_id;

    g_assert_true (gl_db_get_counts (gl_project_get_db (project), &before, &error));
    w = (Wait) { window, gl_queue_get_n_labeled (queue), id };
    press_key (window, "s");
    gleaner_test_wait (label_done, &w);
    g_assert_true (gl_db_get_counts (gl_project_get_db (project), &after, &error));
    g_assert_cmpuint (after.skipped, ==, before.skipped + 1);
    check_store (project, expected);
  }

  /* Ctrl+Z undoes like BackSpace. */
  {
    gint64 id = gl_queue_get_current (queue)->image_id;
    guint n = gl_queue_get_n_labeled (queue);

    w = (Wait) { window, n + 1, id };
    press_key (window, "1");
    gleaner_test_wait (label_done, &w);
    w = (Wait) { window, n, id };
    press_key (window, "ctrl+z");
    gleaner_test_wait (undo_done, &w);
    check_store (project, expected);
  }

  /* Keys faster than the commits: none lost, none out of order. */
  type_burst (window, expected, TRUE);
  check_store (project, expected);
  type_burst (window, expected, FALSE);
  check_store (project, expected);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The first inscription and the image area of the Label view are the file name
 * above the image and the image. Once the view has settled they show @item:
 * its file's name, and its file's pixels (enlarged by a whole factor, nearest
 * neighbour). */
static void
check_shown (GleanerWindow *window, const GlQueueItem *item)
{
  GtkWidget *view = find_widget (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW);
  GtkInscription *name = GTK_INSCRIPTION (find_widget (view, GTK_TYPE_INSCRIPTION));
  GdkTexture *texture = gleaner_image_area_get_texture (GLEANER_IMAGE_AREA (find_widget (view, GLEANER_TYPE_IMAGE_AREA)));
  g_autofree char *base = g_path_get_basename (item->path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) file = gdk_pixbuf_new_from_file (item->path, &error);
  g_autofree guint8 *shown = NULL;
  const guint8 *pixels;
  int w, h, fw, fh, stride, channels;

  g_assert_no_error (error);
  gleaner_test_wait (label_view_settled, view);
  g_assert_cmpint (gleaner_label_view_get_item (GLEANER_LABEL_VIEW (view))->image_id, ==, item->image_id);
  g_assert_cmpstr (gtk_inscription_get_text (name), ==, base);
  g_assert_true (GDK_IS_TEXTURE (texture));
  w = gdk_texture_get_width (texture);
  h = gdk_texture_get_height (texture);
  fw = gdk_pixbuf_get_width (file);
  fh = gdk_pixbuf_get_height (file);
  g_assert_cmpint (w % fw, ==, 0);
  g_assert_cmpint (h % fh, ==, 0);
  shown = g_malloc ((gsize) w * (gsize) h * 4);
  gdk_texture_download (texture, shown, (gsize) w * 4);
  pixels = gdk_pixbuf_read_pixels (file);
  stride = gdk_pixbuf_get_rowstride (file);
  channels = gdk_pixbuf_get_n_channels (file);
  for (int y = 0; y < fh; y++)
    for (int x = 0; x < fw; x++)
      {
        const guint8 *want = pixels + y * stride + x * channels;
        gsize row = (gsize) ((2 * y + 1) * h / (2 * fh)), column = (gsize) ((2 * x + 1) * w / (2 * fw));
        const guint8 *got = shown + (row * (gsize) w + column) * 4;

        /* Grey: the same in every channel, whatever their order. */
        g_assert_cmpint (ABS ((int) got[1] - (int) want[1]), <=, 2);
      }
}

/* The rows of label history of all @images (GlPoolImage): any label
 * written, even the same class again, adds one. */
static guint
count_history (GlProject *project, GArray *images)
{
  guint n = 0;

  for (guint i = 0; i < images->len; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GArray) history = gl_db_get_history (gl_project_get_db (project),
                                                      g_array_index (images, GlPoolImage, i).image_id, &error);
      g_assert_no_error (error);
      n += history->len;
    }
  return n;
}

/* The current label of @image_id is the class at @index, given so. */
static void
check_label (GlProject *project, gint64 image_id, GPtrArray *classes, guint index, GlDbOrigin origin)
{
  g_autoptr (GError) error = NULL;
  GlDbLabel label = { 0 };

  g_assert_true (gl_db_get_current_label (gl_project_get_db (project), image_id, FALSE, &label, &error));
  g_assert_no_error (error);
  g_assert_cmpint (label.class_id, ==, ((GlSessionClass *) g_ptr_array_index (classes, index))->id);
  g_assert_cmpint (label.origin, ==, origin);
  gl_db_label_clear (&label);
}

#define N_SCORED 12

/* The class index the test's model predicts for @image_id. */
static guint
predicted_index (gint64 image_id)
{
  return (guint) (image_id % 3);
}

/* The Label view shows @image_id, with the model's three top classes and a
 * rule's @suggested class (-1: none); Space labels it and the next image
 * comes. Returns (a copy of) the item. */
static GlQueueItem *
accept_with_space (GleanerWindow *window, gint64 image_id, gint suggested)
{
  GlQueue *queue = gleaner_window_get_queue (window);
  GlQueueItem *item = gl_queue_item_copy (gl_queue_get_current (queue));
  Wait w = { window, gl_queue_get_n_labeled (queue) + 1, image_id };

  g_assert_cmpint (item->image_id, ==, image_id);
  g_assert_cmpint (item->suggested_class, ==, suggested);
  g_assert_cmpuint (item->n_top, ==, 3);
  g_assert_cmpint (item->top_class[0], ==, predicted_index (image_id));
  check_shown (window, item);
  press_key (window, "space");
  gleaner_test_wait (label_done, &w);
  return item;
}

/* Space accepts as Return does: a rule's suggestion before the model's top
 * class, each stored with its origin. Left and Right move back and forth
 * over the images labeled, showing each, and store nothing. */
static void
test_space_and_arrows (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-space-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) classes = NULL;
  g_autoptr (GArray) images = NULL;
  GlQueueItem *a, *b, *c;
  GleanerWindow *window;
  GlProject *project;
  GlQueue *queue;
  guint suggested, history;
  Wait w;

  /* A model's prediction for every image (each score its own, so the queue
   * has an order), and a rule's suggestion for the first image that is not
   * its predicted class. */
  {
    GlProject *made = gleaner_test_make_project (dir, N_SCORED);
    GlDb *db = gl_project_get_db (made);
    GlDbModelVersion version = { 0, (char *) "test.model", 0, 20, NAN, NAN, NAN, NULL };
    GlDbPrediction predictions[N_SCORED];
    float probs[N_SCORED][3];
    GlDbSuggestion suggestion;
    gint64 model_id = -1;

    classes = gl_session_list_classes (made, &error);
    g_assert_no_error (error);
    images = gl_trainer_list_images (gl_project_get_db_path (made), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (images->len, ==, N_SCORED);
    for (guint i = 0; i < N_SCORED; i++)
      {
        gint64 id = g_array_index (images, GlPoolImage, i).image_id;
        guint k = predicted_index (id);

        probs[i][k] = 0.6f;
        probs[i][(k + 1) % 3] = 0.3f;
        probs[i][(k + 2) % 3] = 0.1f;
        predictions[i] = (GlDbPrediction) { id, ((GlSessionClass *) g_ptr_array_index (classes, k))->id, 0.6,
                                            0.2 + 0.01 * i, probs[i], 3 };
      }
    g_assert_true (gl_db_add_model_version (db, &version, &model_id, &error));
    g_assert_true (gl_db_add_predictions (db, model_id, predictions, N_SCORED, &error));
    g_assert_true (gl_db_set_current_model (db, model_id, &error));
    suggested = (predicted_index (predictions[0].image_id) + 1) % 3;
    suggestion = (GlDbSuggestion) { predictions[0].image_id,
                                    ((GlSessionClass *) g_ptr_array_index (classes, suggested))->id,
                                    (char *) "*image-0000*" };
    g_assert_true (gl_db_replace_suggestions (db, &suggestion, 1, &error));
    g_assert_no_error (error);
    gl_project_close (made);
  }

  window = gleaner_test_open_window (app, dir);
  project = gleaner_window_get_project (window);
  queue = gleaner_window_get_queue (window);
  gl_trainer_set_retrain_every (gleaner_window_get_trainer (window), 0);

  /* The suggestion first: Space labels with its class, a rule's. */
  a = accept_with_space (window, g_array_index (images, GlPoolImage, 0).image_id, suggested);
  check_label (project, a->image_id, classes, suggested, GL_DB_ORIGIN_RULE);

  /* Then the most uncertain: Space takes the model's top class. */
  b = accept_with_space (window, g_array_index (images, GlPoolImage, N_SCORED - 1).image_id, -1);
  check_label (project, b->image_id, classes, predicted_index (b->image_id), GL_DB_ORIGIN_PREDICTION);
  c = gl_queue_item_copy (gl_queue_get_current (queue));
  g_assert_cmpint (c->label, ==, -1);
  check_shown (window, c);

  /* Left twice: the two images labeled, newest first, with their labels;
   * Right twice: back to the image that was next. Nothing is written. */
  history = count_history (project, images);
  g_assert_cmpuint (history, ==, 2);
  w = (Wait) { window, 2, b->image_id };
  press_key (window, "Left");
  gleaner_test_wait (showing, &w);
  g_assert_cmpint (gl_queue_get_current (queue)->label, ==, predicted_index (b->image_id));
  check_shown (window, b);
  w.image_id = a->image_id;
  press_key (window, "Left");
  gleaner_test_wait (showing, &w);
  g_assert_cmpint (gl_queue_get_current (queue)->label, ==, suggested);
  check_shown (window, a);
  w.image_id = b->image_id;
  press_key (window, "Right");
  gleaner_test_wait (showing, &w);
  check_shown (window, b);
  w.image_id = c->image_id;
  press_key (window, "Right");
  gleaner_test_wait (showing, &w);
  check_shown (window, c);
  g_assert_cmpuint (gl_queue_get_n_labeled (queue), ==, 2);
  g_assert_cmpuint (count_history (project, images), ==, history);
  check_label (project, a->image_id, classes, suggested, GL_DB_ORIGIN_RULE);
  check_label (project, b->image_id, classes, predicted_index (b->image_id), GL_DB_ORIGIN_PREDICTION);

  /* The queue goes on from there: Space labels that image. */
  gl_queue_item_free (accept_with_space (window, c->image_id, -1));
  check_label (project, c->image_id, classes, predicted_index (c->image_id), GL_DB_ORIGIN_PREDICTION);
  g_assert_cmpuint (count_history (project, images), ==, history + 1);

  gl_queue_item_free (a);
  gl_queue_item_free (b);
  gl_queue_item_free (c);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  app = gleaner_test_app_init (&argc, &argv);
  g_test_add_func ("/label/keys", test_label_with_keys);
  g_test_add_func ("/label/space-arrows", test_space_and_arrows);
  return gleaner_test_app_run (app);
}
