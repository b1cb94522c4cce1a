/* test-gallery.c — the Gallery view in a real window under Xvfb: thumbnails
 * painted, several items selected and labeled with a real key press (xdotool),
 * the store holding exactly those labels, Delete, the context-menu actions,
 * "activate-image", Ctrl+A and a key labeling every image, and screenshots in
 * light and dark style. The toolbar's filter, class and sort dropdowns,
 * chosen with the real pointer, list exactly the images the store says, in
 * its order. */
#include "gleaner-config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "app/gl-demo.h"
#include "app/gl-idx.h"
#include "db/gl-db.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-gallery-cell.h"
#include "ui/gleaner-gallery-view.h"
#include "ui/gleaner-image-info.h"

void gleaner_register_resource (void);

#define N_IMAGES 600 /* a few hundred: "select all" labels every one */
/* Where the images' paths say they came from: the info pane shows it, and
 * gallery-light.png is the README's gallery.png (not a test's /tmp folder).
 * The pixels are in the project's cache; no file is read there. */
#define SHOWN_DIR "/home/ann/Fashion-MNIST"

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db; /* the test's own connection: what the store holds */
  gint64 *ids;      /* (n_images) */
  gint64 classes[10];
  guint n_classes;
  guint n_images;   /* 0: N_IMAGES */
} Project;

/* Fashion-MNIST items when the dataset is installed (they make a screenshot
 * one can judge), else generated shapes; predictions for all, with a
 * confidence, and a human label on every 6th. */
static void
make_project (Project *p)
{
  g_autoptr (GError) error = NULL;
  const guint n_img = p->n_images ? p->n_images : N_IMAGES;
  p->dir = g_dir_make_tmp ("gleaner-gallery-ui-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *pdir = g_build_filename (p->dir, "project", NULL);
  g_autofree char *idx_path = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *lbl_path = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz", NULL);
  g_autoptr (GlIdx) images = NULL;
  g_autoptr (GlIdx) labels = NULL;
  if (g_file_test (idx_path, G_FILE_TEST_EXISTS) && g_file_test (lbl_path, G_FILE_TEST_EXISTS))
    {
      images = gl_idx_read (idx_path, n_img, &error);
      g_assert_no_error (error);
      labels = gl_idx_read (lbl_path, n_img, &error);
      g_assert_no_error (error);
    }
  else
    g_test_message ("no Fashion-MNIST in %s: generated images", GLEANER_FASHION_MNIST_DIR);
  const char *const shapes[] = { "circle", "square", "cross", NULL };
  const char *const *names = images != NULL ? gl_demo_class_names () : shapes;
  p->project = gl_project_create (pdir, 28, 28, 1, names, &error);
  g_assert_no_error (error);
  p->db = gl_db_open (gl_project_get_db_path (p->project), &error);
  g_assert_no_error (error);
  p->n_classes = g_strv_length ((char **) names);
  for (guint i = 0; i < p->n_classes; i++)
    g_assert_true (gl_db_find_class (p->db, names[i], &p->classes[i], &error));

  g_autofree guint8 *rows = g_malloc (n_img * 784u); /* (n_img, 28, 28) */
  g_autofree guint *truth = g_new (guint, n_img);
  for (guint i = 0; i < n_img; i++)
    {
      guint8 *row = rows + i * 784u;
      if (images != NULL)
        {
          memcpy (row, images->data + i * 784u, 784);
          truth[i] = labels->data[i] % p->n_classes;
          continue;
        }
      truth[i] = i % 3;
      int cx = 10 + (int) (i * 7 % 9), cy = 10 + (int) (i * 5 % 9), r = 5 + (int) (i % 4);
      for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
          {
            int dx = x - cx, dy = y - cy;
            gboolean on = truth[i] == 0   ? ABS (dx * dx + dy * dy - r * r) <= r + 2
                          : truth[i] == 1 ? (ABS (dx) == r && ABS (dy) <= r) || (ABS (dy) == r && ABS (dx) <= r)
                                          : (ABS (dx - dy) <= 1 || ABS (dx + dy) <= 1) && ABS (dx) <= r;
            row[y * 28 + x] = on ? 230 : 20;
          }
    }
  g_autoptr (GlPixelCache) cache = gl_pixel_cache_open (gl_project_get_pixels_path (p->project), 28, 28, 1, &error);
  guint64 first = 0;
  g_assert_true (gl_pixel_cache_append (cache, rows, n_img, &first, &error));
  g_assert_true (gl_pixel_cache_sync (cache, &error));

  gint64 batch = -1;
  g_assert_true (gl_db_begin_batch (p->db, "train-images-idx3-ubyte", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage *add = g_new0 (GlDbNewImage, n_img);
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_img; i++)
    {
      char *path = g_strdup_printf (SHOWN_DIR "/train-images-idx3-ubyte#%u", i);
      char *hash = g_strdup_printf ("%064x", i + 77);
      g_ptr_array_add (strings, path);
      g_ptr_array_add (strings, hash);
      add[i].path = path;
      add[i].hash_hex = hash;
      add[i].cache_row = (gint64) (first + i);
      add[i].size_bytes = 784;
    }
  /* One unreadable file, for its mark. */
  add[7].hash_hex = NULL;
  add[7].cache_row = -1;
  add[7].reason = "truncated: the file ends in the middle of the image";
  p->ids = g_new (gint64, n_img);
  g_assert_true (gl_db_add_images (p->db, batch, add, n_img, p->ids, NULL, &error));
  g_assert_no_error (error);
  g_free (add);

  GlDbModelVersion version = { 0 };
  version.path = "v1";
  version.val_accuracy = version.macro_f1 = version.ece = 0.8;
  gint64 model_id = -1;
  g_assert_true (gl_db_add_model_version (p->db, &version, &model_id, &error));
  GlDbPrediction *preds = g_new0 (GlDbPrediction, n_img);
  guint n = 0;
  for (guint i = 0; i < n_img; i++)
    {
      if (i == 7)
        continue;
      /* Right four times in five. */
      guint guess = i % 5 == 3 ? (truth[i] + 1) % p->n_classes : truth[i];
      double prob = 0.35 + 0.6 * ((i * 53u) % 100) / 100.0;
      preds[n++] = (GlDbPrediction){ p->ids[i], p->classes[guess], prob, 1 - prob, NULL, 0 };
    }
  /* One transaction per class (each commit is an fsync). */
  g_autofree gint64 *batch_ids = g_new (gint64, n_img);
  for (guint k = 0; k < p->n_classes; k++)
    {
      guint m = 0;
      for (guint i = 0; i < n_img; i += 6)
        if (i != 7 && truth[i] == k)
          batch_ids[m++] = p->ids[i];
      if (m > 0)
        g_assert_true (gl_db_set_labels (p->db, batch_ids, m, p->classes[k], GL_DB_ORIGIN_HUMAN, "ann", &error));
    }
  g_assert_true (gl_db_add_predictions (p->db, model_id, preds, n, &error));
  g_assert_true (gl_db_set_current_model (p->db, model_id, &error));
  g_assert_no_error (error);
  g_free (preds);
}

static void
free_project (Project *p)
{
  gl_db_close (p->db);
  gl_project_close (p->project);
  gl_remove_tree (p->dir);
  g_free (p->dir);
  g_free (p->ids);
}

static gint64
current_label (Project *p, gint64 image_id)
{
  g_autoptr (GError) error = NULL;
  GlDbLabel label = { 0 };
  g_assert_true (gl_db_get_current_label (p->db, image_id, FALSE, &label, &error));
  g_assert_no_error (error);
  gint64 class_id = label.class_id;
  gl_db_label_clear (&label);
  return class_id;
}

typedef struct
{
  GleanerGalleryView *view;
  guint want;
} PaintWait;

static gboolean
thumbnails_painted (gpointer data)
{
  PaintWait *w = data;
  return gleaner_gallery_view_count_painted_thumbnails (w->view) >= w->want;
}

/* A window with the Gallery view of @p's project in it, the thumbnails of
 * its first rows painted. */
static GtkWidget *
open_gallery (Project *p, GleanerGalleryView **view)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_title (GTK_WINDOW (window), "Gallery");
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  *view = GLEANER_GALLERY_VIEW (gleaner_gallery_view_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (*view));
  gleaner_gallery_view_set_project (*view, p->project);
  gtk_window_present (GTK_WINDOW (window));

  /* Every cell on screen gets its thumbnail (all of the first rows). */
  PaintWait pw = { *view, 12 };
  gleaner_test_wait (thumbnails_painted, &pw);
  return window;
}

static void
xdotool (GtkWidget *window, const char *keys)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  gulong xid = gdk_x11_surface_get_xid (surface);
  g_autofree char *args = g_strdup_printf ("windowfocus --sync %lu key --clearmodifiers %s", xid, keys);
  gleaner_test_xdotool (args);
}

typedef struct
{
  Project *p;
  const gint64 *ids;
  guint n;
  gint64 class_id;
} LabelWait;

static gboolean
labels_arrived (gpointer data)
{
  LabelWait *w = data;
  for (guint i = 0; i < w->n; i++)
    if (current_label (w->p, w->ids[i]) != w->class_id)
      return FALSE;
  return TRUE;
}

static gboolean
all_selected (gpointer data)
{
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (data);
  return gtk_bitset_get_size (set) == g_list_model_get_n_items (G_LIST_MODEL (data));
}

static gboolean
labeling_over (gpointer data)
{
  return !gleaner_gallery_view_is_labeling (data);
}

/* Labeling runs on a worker: once the store has the labels, waits until the
 * view has the result too (the model followed), and checks the store again. */
static void
wait_labeled (GleanerGalleryView *view, LabelWait *w)
{
  gleaner_test_wait (labeling_over, view);
  g_assert_true (labels_arrived (w));
}

static void
on_activate_image (GleanerGalleryView *view, gint64 image_id, gint64 *out)
{
  *out = image_id;
}

static gboolean
activated (gpointer data)
{
  return *(gint64 *) data >= 0;
}

/* The drawable labels' texts under @root, one a line. */
static char *
shown_text (GtkWidget *root)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GtkWidget *label;

  for (guint i = 0; (label = gleaner_test_find_descendant (root, GTK_TYPE_LABEL, i)) != NULL; i++)
    if (gtk_widget_is_drawable (label))
      g_string_append_printf (text, "%s\n", gtk_label_get_text (GTK_LABEL (label)));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The cell on screen that shows the item at @position. */
static GtkWidget *
find_cell (GleanerGalleryView *view, guint position)
{
  g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (gleaner_gallery_view_get_model (view), position);
  GtkWidget *cell = gleaner_test_find_gallery_cell (GTK_WIDGET (view), gl_gallery_item_get_id (item));

  if (cell == NULL)
    g_error ("no cell shows position %u", position);
  return cell;
}

typedef struct
{
  GtkSelectionModel *selection;
  guint n;
} SelectionWait;

static gboolean
n_selected (gpointer data)
{
  SelectionWait *w = data;
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (w->selection);
  return gtk_bitset_get_size (set) >= w->n;
}

/* A drag with the real pointer (xdotool) from the first cell to the second
 * cell of the second row selects the four cells under the band. */
static void
rubber_band (GtkWidget *window, GleanerGalleryView *view)
{
  GtkSelectionModel *selection = gleaner_gallery_view_get_selection (view);
  GtkWidget *first = find_cell (view, 0);
  graphene_rect_t a, b;
  guint columns = 1;
  int x0, y0, x1, y1, xm, ym;

  /* Columns: the cells on the first one's row. */
  g_assert_true (gtk_widget_compute_bounds (first, window, &a));
  for (;; columns++)
    {
      g_assert_true (gtk_widget_compute_bounds (find_cell (view, columns), window, &b));
      if (b.origin.y > a.origin.y + 1)
        break;
    }
  g_assert_cmpuint (columns, >=, 3);
  gtk_selection_model_unselect_all (selection);
  gleaner_test_point_in (first, 0.3, 0.3, &x0, &y0);
  gleaner_test_point_in (find_cell (view, columns + 1), 0.5, 0.5, &x1, &y1);
  xm = (x0 + x1) / 2;
  ym = (y0 + y1) / 2;

  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  gulong xid = gdk_x11_surface_get_xid (surface);
  /* Raised first: meson runs tests in parallel on one X server, and the
   * pointer's events go to whichever window is on top there. */
  g_autofree char *args = g_strdup_printf ("windowraise %lu mousemove --window %lu %d %d mousedown 1 "
                                           "mousemove --window %lu %d %d mousemove --window %lu %d %d "
                                           "mousemove --window %lu %d %d mouseup 1",
                                           xid, xid, x0, y0, xid, x0 + 10, y0 + 10, xid, xm, ym, xid, x1, y1);
  gleaner_test_xdotool (args);

  SelectionWait sw = { selection, 4 };
  gleaner_test_wait (n_selected, &sw);
  gleaner_test_wait_frames (window, 2);
  g_autoptr (GtkBitset) set = gtk_selection_model_get_selection (selection);
  g_assert_cmpuint (gtk_bitset_get_size (set), ==, 4);
  g_assert_true (gtk_bitset_contains (set, 0));
  g_assert_true (gtk_bitset_contains (set, 1));
  g_assert_true (gtk_bitset_contains (set, columns));
  g_assert_true (gtk_bitset_contains (set, columns + 1));
  /* The info pane says how many. */
  g_autofree char *text = shown_text (window);
  g_assert_nonnull (strstr (text, "4 images selected\n"));
}

static char *
screenshot (GtkWidget *window, const char *name)
{
  gleaner_test_wait_frames (window, 3);
  return gleaner_test_render_png (window, name);
}

/* The cell's own conversion of a thumbnail (to cairo's ARGB, once) gives
 * the pixels GTK's conversion of the same pixbuf gives, colour order and
 * premultiplied alpha included, for opaque and translucent thumbnails. */
static void
test_thumbnail_texture (void)
{
  for (int with_alpha = 0; with_alpha <= 1; with_alpha++)
    {
      const int w = 7, h = 5;
      g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, with_alpha, 8, w, h);
      guint8 *px = gdk_pixbuf_get_pixels (pixbuf);
      int channels = gdk_pixbuf_get_n_channels (pixbuf), rowstride = gdk_pixbuf_get_rowstride (pixbuf);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            guint8 *p = px + y * rowstride + x * channels;
            p[0] = (guint8) (37 * x + 11 * y);
            p[1] = (guint8) (200 - 13 * x);
            p[2] = (guint8) (90 + 29 * y);
            if (with_alpha)
              p[3] = (guint8) (255 - 40 * ((x + y) % 7));
          }
      g_autoptr (GdkTexture) mine = gleaner_gallery_cell_texture_for_pixbuf (pixbuf);
      g_autoptr (GdkTexture) gtks = gdk_texture_new_for_pixbuf (pixbuf);
      g_assert_cmpint (gdk_texture_get_width (mine), ==, w);
      g_assert_cmpint (gdk_texture_get_height (mine), ==, h);
      g_assert_nonnull (g_object_get_data (G_OBJECT (mine), "gleaner-cairo-surface"));
      guint8 a[7 * 5 * 4], b[7 * 5 * 4];
      gdk_texture_download (mine, a, w * 4);
      gdk_texture_download (gtks, b, w * 4);
      for (gsize i = 0; i < sizeof a; i++)
        g_assert_cmpint (ABS ((int) a[i] - (int) b[i]), <=, 1);
      /* Colour order: the first pixel's red (x = y = 0: 0) and blue (90). */
      if (!with_alpha)
        {
          guint32 first = *(guint32 *) (gpointer) a;
          g_assert_cmphex (first, ==, 0xff000000u | 0u << 16 | 200u << 8 | 90u);
        }
    }
  /* Small thumbnails fill the cell by a whole factor (a 64×64 image at 128
   * px, MNIST's 28×28 at 112); a full-size one stays as it is. */
  g_assert_cmpint (gleaner_gallery_cell_enlargement (64, 64), ==, 2);
  g_assert_cmpint (gleaner_gallery_cell_enlargement (28, 28), ==, 4);
  g_assert_cmpint (gleaner_gallery_cell_enlargement (64, 32), ==, 2);
  g_assert_cmpint (gleaner_gallery_cell_enlargement (100, 40), ==, 1);
  g_assert_cmpint (gleaner_gallery_cell_enlargement (128, 96), ==, 1);
}

/* FALSE, and the test skipped, when xdotool is not installed. */
static gboolean
has_xdotool (void)
{
  g_autofree char *path = g_find_program_in_path ("xdotool");

  if (path == NULL)
    g_test_skip ("xdotool is not installed");
  return path != NULL;
}

static void
test_gallery (void)
{
  if (!has_xdotool ())
    return;
  Project p = { 0 };
  make_project (&p);

  GleanerGalleryView *view;
  GtkWidget *window = open_gallery (&p, &view);
  GtkWidget *widget = GTK_WIDGET (view);
  PaintWait pw = { view, 12 };
  GlGalleryModel *model = gleaner_gallery_view_get_model (view);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_IMAGES);

  /* One image selected, a labeled one from the third row on: the info pane
   * shows its path, size and history. */
  GtkSelectionModel *selection = gleaner_gallery_view_get_selection (view);
  guint shown = 10;
  for (;; shown++)
    {
      g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, shown);
      if (gl_gallery_item_get_label (item) >= 0)
        break;
    }
  gtk_selection_model_select_item (selection, shown, TRUE);
  g_autofree char *light = screenshot (window, "gallery-light.png");
  {
    g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, shown);
    gint64 id = gl_gallery_item_get_id (item);
    guint index = 0;
    while (p.ids[index] != id)
      index++;
    GtkWidget *info = gleaner_test_find_descendant (widget, GLEANER_TYPE_IMAGE_INFO, 0);
    g_assert_nonnull (info);
    g_autofree char *text = shown_text (info);
    g_autofree char *path = g_strdup_printf ("Path\n" SHOWN_DIR "/train-images-idx3-ubyte#%u\n", index);
    g_test_message ("info pane:\n%s", text);
    g_assert_nonnull (strstr (text, path));
    g_assert_nonnull (strstr (text, "Size\n784 bytes\n"));
    /* Its history: the label it was given, by "ann". */
    g_autoptr (GError) error = NULL;
    GlDbLabel label = { 0 };
    g_assert_cmpuint (index % 6, ==, 0);
    g_assert_true (gl_db_get_current_label (p.db, id, FALSE, &label, &error));
    g_auto (GStrv) names = gl_project_dup_class_names (p.project);
    guint k = 0;
    while (p.classes[k] != label.class_id)
      k++;
    g_autofree char *entry = g_strdup_printf ("Label history\n%s\n", names[k]);
    g_assert_nonnull (strstr (text, entry));
    g_assert_nonnull (strstr (text, " · human · ann\n"));
    g_assert_null (strstr (text, "Never labeled"));
    gl_db_label_clear (&label);
  }

  /* The labels before: the test compares all of them afterwards. */
  g_autofree gint64 *before = g_new (gint64, N_IMAGES);
  for (guint i = 0; i < N_IMAGES; i++)
    before[i] = current_label (&p, p.ids[i]);

  /* Select positions 0, 1, 2 (a range), 5 and 9 (Ctrl), as a click,
   * Shift+click and Ctrl+clicks do. */
  gtk_selection_model_select_item (selection, 0, TRUE);
  gtk_selection_model_select_range (selection, 0, 3, FALSE);
  gtk_selection_model_select_item (selection, 5, FALSE);
  gtk_selection_model_select_item (selection, 9, FALSE);
  gint64 chosen[5];
  guint positions[5] = { 0, 1, 2, 5, 9 };
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, positions[i]);
      chosen[i] = gl_gallery_item_get_id (item);
    }
  gtk_widget_grab_focus (gleaner_gallery_view_get_grid (view));
  gleaner_test_wait_frames (window, 2);

  /* A real key press: "3" is the third class. */
  xdotool (window, "3");
  LabelWait lw = { &p, chosen, 5, p.classes[2] };
  gleaner_test_wait (labels_arrived, &lw);
  wait_labeled (view, &lw);
  for (guint i = 0; i < N_IMAGES; i++)
    {
      gboolean is_chosen = FALSE;
      for (guint k = 0; k < 5; k++)
        is_chosen |= p.ids[i] == chosen[k];
      g_assert_cmpint (current_label (&p, p.ids[i]), ==, is_chosen ? p.classes[2] : before[i]);
    }
  /* The cells follow the store. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, positions[i]);
      g_assert_cmpint (gl_gallery_item_get_label (item), ==, p.classes[2]);
    }
  /* Delete removes the labels of the selection, in one action. */
  xdotool (window, "Delete");
  LabelWait uw = { &p, chosen, 5, -1 };
  gleaner_test_wait (labels_arrived, &uw);
  wait_labeled (view, &uw);

  /* The context menu's action labels the selection too. */
  g_assert_true (gtk_widget_activate_action (widget, "gallery.label", "x", p.classes[1]));
  LabelWait cw = { &p, chosen, 5, p.classes[1] };
  wait_labeled (view, &cw);

  /* Under "Unlabeled" the labeled ones leave the grid at once. */
  GtkWidget *filter = gleaner_test_find_descendant (widget, GTK_TYPE_DROP_DOWN, 0);
  gleaner_test_choose (filter, "Unlabeled");
  gleaner_test_wait_gallery_listed (model);
  guint unlabeled = g_list_model_get_n_items (G_LIST_MODEL (model));
  gtk_selection_model_select_item (selection, 0, TRUE);
  gtk_widget_grab_focus (gleaner_gallery_view_get_grid (view));
  g_autoptr (GlGalleryItem) top = gleaner_test_gallery_item (model, 0);
  gint64 top_id = gl_gallery_item_get_id (top);
  xdotool (window, "1");
  LabelWait tw = { &p, &top_id, 1, p.classes[0] };
  gleaner_test_wait (labels_arrived, &tw);
  wait_labeled (view, &tw);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, unlabeled - 1);
  gleaner_test_choose (filter, "All images");
  gleaner_test_wait_gallery_listed (model);

  /* "Open in Label View" emits activate-image with the selected image. */
  gint64 opened = -1;
  g_signal_connect (view, "activate-image", G_CALLBACK (on_activate_image), &opened);
  gtk_selection_model_select_item (selection, 4, TRUE);
  gtk_widget_grab_focus (gleaner_gallery_view_get_grid (view));
  gtk_widget_activate_action (widget, "gallery.open", NULL);
  g_autoptr (GlGalleryItem) fourth = gleaner_test_gallery_item (model, 4);
  gleaner_test_wait (activated, &opened);
  g_assert_cmpint (opened, ==, gl_gallery_item_get_id (fourth));

  /* The unreadable file, alone under its filter, with its mark. */
  gleaner_test_choose (filter, "Unreadable");
  gleaner_test_wait_gallery_listed (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_autoptr (GlGalleryItem) unreadable = gleaner_test_gallery_item (model, 0);
  g_assert_true (gl_gallery_item_get_unreadable (unreadable));
  g_assert_cmpint (gl_gallery_item_get_id (unreadable), ==, p.ids[7]);
  gleaner_test_dismiss_toasts (window);
  g_autofree char *marked = screenshot (window, "gallery-unreadable.png");
  gleaner_test_choose (filter, "All images");
  gleaner_test_wait_gallery_listed (model);

  /* Dark style, several images selected, after labeling. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_selection_model_select_item (selection, 0, TRUE);
  gtk_selection_model_select_item (selection, 6, FALSE);
  gtk_selection_model_select_item (selection, 12, FALSE);
  pw.want = 12;
  gleaner_test_wait (thumbnails_painted, &pw);
  g_autofree char *dark = screenshot (window, "gallery-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Ctrl+A, then "2": every image of the project, far ones included, gets
   * the second class (the unreadable one cannot carry a label). */
  gtk_widget_grab_focus (gleaner_gallery_view_get_grid (view));
  gleaner_test_wait_frames (window, 2);
  xdotool (window, "ctrl+a");
  gleaner_test_wait (all_selected, selection);
  xdotool (window, "2");
  LabelWait aw = { &p, &p.ids[N_IMAGES - 1], 1, p.classes[1] };
  gleaner_test_wait (labels_arrived, &aw);
  gleaner_test_wait (labeling_over, view);
  for (guint i = 0; i < N_IMAGES; i++)
    g_assert_cmpint (current_label (&p, p.ids[i]), ==, i == 7 ? -1 : p.classes[1]);
  for (guint pos = 0; pos < N_IMAGES; pos += 97)
    {
      g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, pos);
      if (!gl_gallery_item_get_unreadable (item))
        g_assert_cmpint (gl_gallery_item_get_label (item), ==, p.classes[1]);
    }

  rubber_band (window, view);

  gleaner_gallery_view_set_project (view, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  free_project (&p);
}

/* What the store says of one image, read image by image through db/ (not
 * through the paged listing the gallery reads). */
typedef struct
{
  gint64 id;
  char *path;
  gint64 label;      /* class id of the current label, -1 none */
  gint64 predicted;  /* class id of the current model's top class, -1 none */
  double confidence; /* its probability, NAN none */
  double score;      /* its acquisition score, NAN none */
  gboolean unreadable;
} StoredImage;

static void
stored_image_clear (gpointer data)
{
  g_free (((StoredImage *) data)->path);
}

static GArray *
read_store (Project *p)
{
  GArray *all = g_array_sized_new (FALSE, TRUE, sizeof (StoredImage), N_IMAGES);

  g_array_set_clear_func (all, stored_image_clear);
  for (guint i = 0; i < N_IMAGES; i++)
    {
      g_autoptr (GError) error = NULL;
      GlDbImage image = { 0 };
      GlDbPrediction prediction = { 0 };
      StoredImage s = { p->ids[i], NULL, current_label (p, p->ids[i]), -1, NAN, NAN, FALSE };

      g_assert_true (gl_db_get_image (p->db, p->ids[i], &image, &error));
      s.path = g_steal_pointer (&image.path);
      s.unreadable = image.reason != NULL;
      gl_db_image_clear (&image);
      if (gl_db_get_prediction (p->db, -1, p->ids[i], &prediction, &error))
        {
          s.predicted = prediction.top_class;
          s.confidence = prediction.top_prob;
          s.score = prediction.score;
          gl_db_prediction_clear (&prediction);
        }
      else
        g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
      g_array_append_val (all, s);
    }
  return all;
}

/* The filters as the issue and the README state them. */
static gboolean
passes (const StoredImage *s, GlGalleryFilter filter, gint64 class_id)
{
  switch (filter)
    {
    case GL_GALLERY_FILTER_ALL: return TRUE;
    case GL_GALLERY_FILTER_UNLABELED: return s->label < 0 && !s->unreadable;
    case GL_GALLERY_FILTER_LABELED: return s->label >= 0;
    case GL_GALLERY_FILTER_CLASS: return s->label == class_id;
    case GL_GALLERY_FILTER_PREDICTED: return s->predicted >= 0 && s->predicted == class_id;
    case GL_GALLERY_FILTER_DISAGREEMENT: return s->label >= 0 && s->predicted >= 0 && s->predicted != s->label;
    case GL_GALLERY_FILTER_UNREADABLE: return s->unreadable;
    default: g_assert_not_reached ();
    }
}

/* Higher first; none (NAN) after all others. */
static int
higher_first (double a, double b)
{
  if (isnan (a) || isnan (b))
    return isnan (a) - isnan (b);
  return (a < b) - (a > b);
}

/* The sort orders; ties by id, oldest first (but for Newest). */
static gint
compare_stored (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const StoredImage *a = pa, *b = pb;
  int c = 0;

  switch ((GlGallerySort) GPOINTER_TO_INT (data))
    {
    case GL_GALLERY_SORT_NEWEST: return (a->id < b->id) - (a->id > b->id);
    case GL_GALLERY_SORT_NAME: c = strcmp (a->path, b->path); break;
    case GL_GALLERY_SORT_UNCERTAINTY: c = higher_first (a->score, b->score); break;
    case GL_GALLERY_SORT_CONFIDENCE: c = higher_first (a->confidence, b->confidence); break;
    default: g_assert_not_reached ();
    }
  return c != 0 ? c : (a->id > b->id) - (a->id < b->id);
}

/* The grid lists what the store says for @filter (with @class_id) and
 * @sort: the same images in the same order (at least one); the bar counts
 * them and the first ones are on screen. */
static void
check_listing (Project *p, GleanerGalleryView *view, GlGalleryFilter filter, gint64 class_id, GlGallerySort sort)
{
  g_autoptr (GArray) stored = read_store (p);
  g_autoptr (GArray) want = g_array_new (FALSE, TRUE, sizeof (StoredImage));
  GListModel *shown = G_LIST_MODEL (gtk_grid_view_get_model (GTK_GRID_VIEW (gleaner_gallery_view_get_grid (view))));

  for (guint i = 0; i < stored->len; i++)
    if (passes (&g_array_index (stored, StoredImage, i), filter, class_id))
      g_array_append_val (want, g_array_index (stored, StoredImage, i));
  g_array_sort_with_data (want, compare_stored, GINT_TO_POINTER (sort));
  g_test_message ("filter %d (class %" G_GINT64_FORMAT "), sort %d: %u images", filter, class_id, sort, want->len);
  g_assert_cmpuint (want->len, >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, want->len);
  for (guint i = 0; i < want->len; i++)
    {
      g_autoptr (GlGalleryItem) item = g_list_model_get_item (shown, i);
      g_assert_cmpint (gl_gallery_item_get_id (item), ==, g_array_index (want, StoredImage, i).id);
    }

  g_autofree char *count = g_strdup_printf ("\n%u %s\n", want->len, want->len == 1 ? "image" : "images");
  g_autofree char *text = shown_text (GTK_WIDGET (view));
  g_assert_nonnull (strstr (text, count));
  gleaner_test_wait_frames (GTK_WIDGET (view), 2);
  for (guint i = 0; i < MIN (want->len, 4); i++)
    g_assert_nonnull (gleaner_test_find_gallery_cell (GTK_WIDGET (view), g_array_index (want, StoredImage, i).id));
}

/* The toolbar's dropdowns, chosen with the real pointer, filter and sort
 * the grid as the store says: each filter (a class's with two classes),
 * then each sort order under a class filter and under none. */
static gboolean
labeling_started (gpointer data)
{
  return gleaner_gallery_view_is_labeling (data);
}

/* Writing, with at least one chunk saved, or over. */
static gboolean
saving_shown (gpointer data)
{
  GleanerGalleryView *view = data;
  g_autofree char *text = shown_text (GTK_WIDGET (view));
  return !gleaner_gallery_view_is_labeling (view) || (strstr (text, " saved") != NULL && strstr (text, "… 0 saved") == NULL);
}

/* A selection of 12,000 images is written in chunks: the bar shows the labels
 * saved so far and Cancel stays available; cancelled, the toast says how
 * many were labeled. Screenshots in light and dark style. */
static void
test_label_progress (void)
{
  if (!has_xdotool ())
    return;
  Project p = { .n_images = 12000 };
  make_project (&p);
  GleanerGalleryView *view;
  GtkWidget *window = open_gallery (&p, &view);
  GtkSelectionModel *selection = gleaner_gallery_view_get_selection (view);
  for (guint round = 0; round < 2; round++)
    {
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          round == 0 ? ADW_COLOR_SCHEME_DEFAULT : ADW_COLOR_SCHEME_FORCE_DARK);
      gtk_widget_grab_focus (gleaner_gallery_view_get_grid (view));
      gleaner_test_wait_frames (window, 2);
      xdotool (window, "ctrl+a");
      gleaner_test_wait (all_selected, selection);
      xdotool (window, round == 0 ? "2" : "3");
      gleaner_test_wait (labeling_started, view);
      gleaner_test_wait (saving_shown, view);
      gleaner_test_dismiss_toasts (window);
      if (gleaner_gallery_view_is_labeling (view))
        {
          g_autofree char *png = screenshot (window, round == 0 ? "gallery-saving.png" : "gallery-saving-dark.png");
          g_test_message ("writing caught: %s", png);
          if (round == 1)
            {
              /* Cancel while writing: the saved prefix stays, and the toast says how many. */
              GtkButton *cancel = gleaner_test_find_button (window, "Cancel");
              g_assert_nonnull (cancel);
              g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (cancel)));
              g_signal_emit_by_name (cancel, "clicked");
              gleaner_test_wait (labeling_over, view);
              const char *toast = gleaner_test_get_shown_toast (window);
              g_test_message ("after Cancel: %s", toast);
              g_autofree char *stopped = screenshot (window, "gallery-stopped-dark.png");
              GlDbFilter third = { GL_DB_FILTER_CLASS, p.classes[2], -1 };
              guint64 n = 0;
              g_assert_true (gl_db_count_images (p.db, &third, &n, NULL));
              /* Everything had "2" since the first pass: the images with "3"
               * are the prefix written before the click (all of them when the
               * writing ended first). */
              if (n < 12000 - 1)
                g_assert_nonnull (strstr (toast, "Labeling stopped: "));
              g_assert_cmpuint (n, >, 0);
            }
        }
      else
        g_test_message ("the labels were written before a frame showed them");
      gleaner_test_wait (labeling_over, view);
      if (round == 0)
        {
          /* The cells on screen show the new label, also when their page
           * left the model's cache meanwhile (12,000 items are more than it
           * keeps). */
          for (guint pos = 0; pos < 10; pos++)
            {
              GtkWidget *cell = find_cell (view, pos);
              GlGalleryItem *shown = gleaner_gallery_cell_get_item (GLEANER_GALLERY_CELL (cell));
              if (!gl_gallery_item_get_unreadable (shown))
                g_assert_cmpint (gl_gallery_item_get_label (shown), ==, p.classes[1]);
            }
        }
    }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_destroy (GTK_WINDOW (window));
  free_project (&p);
}

static void
test_filters_and_sorts (void)
{
  /* An entry of a dropdown, and the filter or sort order it stands for. */
  typedef struct
  {
    const char *text;
    int value;
  } Entry;
  static const Entry filters[] = {
    { "Unlabeled", GL_GALLERY_FILTER_UNLABELED },
    { "Labeled", GL_GALLERY_FILTER_LABELED },
    { "Labeled as…", GL_GALLERY_FILTER_CLASS },
    { "Predicted as…", GL_GALLERY_FILTER_PREDICTED },
    { "Label ≠ prediction", GL_GALLERY_FILTER_DISAGREEMENT },
    { "Unreadable", GL_GALLERY_FILTER_UNREADABLE },
    { "All images", GL_GALLERY_FILTER_ALL },
  };
  static const Entry sorts[] = {
    { "Newest", GL_GALLERY_SORT_NEWEST },
    { "Name", GL_GALLERY_SORT_NAME },
    { "Most confident", GL_GALLERY_SORT_CONFIDENCE },
    { "Most uncertain", GL_GALLERY_SORT_UNCERTAINTY },
  };
  if (!has_xdotool ())
    return;
  Project p = { 0 };
  make_project (&p);
  g_auto (GStrv) names = gl_project_dup_class_names (p.project);
  GleanerGalleryView *view;
  GtkWidget *window = open_gallery (&p, &view);
  GtkWidget *filter = gleaner_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_DROP_DOWN, 0);
  GtkWidget *klass = gleaner_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_DROP_DOWN, 1);
  GtkWidget *predicted = gleaner_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_DROP_DOWN, 2);
  GtkWidget *sort = gleaner_test_find_descendant (GTK_WIDGET (view), GTK_TYPE_DROP_DOWN, 3);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (filter), ==, "Show");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (klass), ==, "Class");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (predicted), ==, "Predicted class");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (sort), ==, "Sort order");

  /* Each filter under the first sort, most uncertain first. A class filter
   * starts on the first class; the class dropdown changes it. */
  check_listing (&p, view, GL_GALLERY_FILTER_ALL, -1, GL_GALLERY_SORT_UNCERTAINTY);
  g_assert_false (gtk_widget_get_visible (klass));
  for (guint f = 0; f < G_N_ELEMENTS (filters); f++)
    {
      GlGalleryFilter kind = (GlGalleryFilter) filters[f].value;
      gboolean by_class = kind == GL_GALLERY_FILTER_CLASS || kind == GL_GALLERY_FILTER_PREDICTED;

      gleaner_test_choose (filter, filters[f].text);
      gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
      g_assert_cmpint (gtk_widget_get_visible (klass), ==, by_class);
      if (!by_class)
        {
          check_listing (&p, view, kind, -1, GL_GALLERY_SORT_UNCERTAINTY);
          continue;
        }
      gleaner_test_choose (klass, names[0]);
      gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
      check_listing (&p, view, kind, p.classes[0], GL_GALLERY_SORT_UNCERTAINTY);
      gleaner_test_choose (klass, names[2]);
      gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
      check_listing (&p, view, kind, p.classes[2], GL_GALLERY_SORT_UNCERTAINTY);
    }

  /* Label and prediction together (a confusion cell), chosen in the bar:
   * the images of the first pair that has any, and only those. */
  {
    g_autoptr (GArray) stored = read_store (&p);
    guint a = 0, b = 0, want = 0;
    for (guint i = 0; i < stored->len && want == 0; i++)
      {
        const StoredImage *si = &g_array_index (stored, StoredImage, i);
        for (guint x = 0; x < 3 && want == 0; x++)
          for (guint y = 0; y < 3 && want == 0; y++)
            if (si->label == p.classes[x] && si->predicted == p.classes[y] && x != y)
              a = x, b = y, want = 1;
      }
    g_assert_cmpuint (want, ==, 1);
    want = 0;
    for (guint i = 0; i < stored->len; i++)
      want += g_array_index (stored, StoredImage, i).label == p.classes[a]
              && g_array_index (stored, StoredImage, i).predicted == p.classes[b];
    gleaner_test_choose (filter, "Label and prediction…");
    gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
    g_assert_true (gtk_widget_get_visible (klass) && gtk_widget_get_visible (predicted));
    gleaner_test_choose (klass, names[a]);
    gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
    gleaner_test_choose (predicted, names[b]);
    gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
    GListModel *shown = G_LIST_MODEL (gtk_grid_view_get_model (GTK_GRID_VIEW (gleaner_gallery_view_get_grid (view))));
    g_assert_cmpuint (g_list_model_get_n_items (shown), ==, want);
    for (guint i = 0; i < want; i++)
      {
        g_autoptr (GlGalleryItem) item = g_list_model_get_item (shown, i);
        g_assert_cmpint (gl_gallery_item_get_label (item), ==, p.classes[a]);
        g_assert_cmpint (gl_gallery_item_get_predicted (item), ==, p.classes[b]);
      }
  }

  /* Each sort order, under "Predicted as…" the second class, then under all
   * images. */
  gleaner_test_choose (filter, "Predicted as…");
  gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
  gleaner_test_choose (klass, names[1]);
  gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    {
      gleaner_test_choose (sort, sorts[s].text);
      gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
      check_listing (&p, view, GL_GALLERY_FILTER_PREDICTED, p.classes[1], (GlGallerySort) sorts[s].value);
      if (sorts[s].value == GL_GALLERY_SORT_CONFIDENCE)
        g_free (screenshot (window, "gallery-filtered.png"));
    }
  gleaner_test_choose (filter, "All images");
  gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
  g_assert_false (gtk_widget_get_visible (klass));
  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    {
      gleaner_test_choose (sort, sorts[s].text);
      gleaner_test_wait_gallery_listed (gleaner_gallery_view_get_model (view));
      check_listing (&p, view, GL_GALLERY_FILTER_ALL, -1, (GlGallerySort) sorts[s].value);
    }

  gleaner_gallery_view_set_project (view, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  free_project (&p);
}

int
main (int argc, char **argv)
{
  /* The cairo renderer needs no GL; without this GDK still probes EGL, whose
   * Mesa driver leaks a buffer LeakSanitizer cannot attribute. */
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* No toast in the middle of its animation on a screenshot; and closing
   * toasts needs animations off (gleaner_test_dismiss_toasts). */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gleaner_register_resource ();
  g_test_add_func ("/gallery/select-label-render", test_gallery);
  g_test_add_func ("/gallery/thumbnail-texture", test_thumbnail_texture);
  g_test_add_func ("/gallery/filters-sorts", test_filters_and_sorts);
  g_test_add_func ("/gallery/label-progress", test_label_progress);
  return g_test_run ();
}
