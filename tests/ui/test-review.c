/* test-review.c — review mode of the Label view in the real window under
 * Xvfb, on a project whose model version and label-error detection are
 * stored by hand (tests/app/synth-project.c): the Label view offers "Review
 * Suspected Errors (4)"; a real click on it starts review mode; real key
 * presses (xdotool) keep the first label (Return), relabel the second with
 * a class key and skip the third and fourth (S); Escape leaves. The decisions are in
 * the label history with origin "review", and the way in then counts the
 * two suspected errors left (the skipped ones), and so does
 * the Gallery's "Suspected label errors" filter (real clicks), in the order
 * of the label-error score. Screenshots of review mode in light and dark
 * style.
 *
 * The check on request, on a project with a trained model: a real click on
 * "Find Label Errors" starts it in the background (progress and Cancel
 * shown, the main loop runs); a real click on Cancel stops it with nothing
 * stored; a second check runs to the end and is read back. */
#include "gleaner-config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "app/gl-gallery-model.h"
#include "app/gl-review.h"
#include "app/gl-trainer.h"
#include "app/synth-project.h"
#include "db/gl-db-label-errors.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-gallery-view.h"
#include "ui/gleaner-label-view.h"

#define N_ROWS 6
#define N_FLAGGED 4

typedef struct
{
  gint64 images[N_ROWS];
  gint64 classes[N_ROWS]; /* their labels */
  gint other_position;     /* the class the second one is relabeled with (position among the classes) */
} Planted;

static gboolean
has_xdotool (void)
{
  g_autofree char *path = g_find_program_in_path ("xdotool");
  if (path == NULL)
    g_test_skip ("xdotool is not installed");
  return path != NULL;
}

/* A detection of the current version (v2): six labeled images, the first
 * four flagged (scores 0.9 … 0.6). */
static void
plant (GlProject *project, const SynthInsights *ins, Planted *out)
{
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), &error);
  g_assert_no_error (error);
  guint n = 0;
  for (gint64 id = 1; id < 200 && n < N_ROWS; id++)
    {
      GlDbLabel label = { 0 };
      g_assert_true (gl_db_get_current_label (db, id, FALSE, &label, &error));
      if (label.class_id >= 0 && label.origin == GL_DB_ORIGIN_HUMAN)
        {
          out->images[n] = id;
          out->classes[n++] = label.class_id;
        }
      gl_db_label_clear (&label);
    }
  g_assert_cmpuint (n, ==, N_ROWS);
  GlDbLabelError rows[N_ROWS];
  for (guint i = 0; i < N_ROWS; i++)
    {
      guint k = 0;
      while (ins->classes[k] == out->classes[i])
        k++;
      if (i == 1)
        out->other_position = (gint) k;
      rows[i] = (GlDbLabelError){ out->images[i], out->classes[i], ins->classes[k], 0.08 + 0.02 * i, 0.81 - 0.05 * i,
                                  0.9 - 0.1 * i, i < N_FLAGGED };
    }
  GlDbLabelErrorRun run
      = { ins->v2, 5, N_ROWS, N_FLAGGED, (char *)"self-confidence", 2.0, gl_db_get_last_label_id (db), 0 };
  g_assert_true (gl_db_store_label_errors (db, &run, rows, N_ROWS, &error));
  g_assert_no_error (error);
}

typedef struct
{
  GleanerLabelView *view;
  guint position;
} WalkWait;

static gboolean
walked_to (gpointer data)
{
  WalkWait *w = data;
  GlReview *review = gleaner_label_view_get_review (w->view);
  return !gl_review_is_busy (review) && gl_review_get_position (review) == w->position;
}

static gboolean
reviewing (gpointer data)
{
  return gleaner_label_view_is_reviewing (data);
}

static gboolean
not_reviewing (gpointer data)
{
  return !gleaner_label_view_is_reviewing (data);
}

typedef struct
{
  GtkWidget *root;
  const char *label;
} ButtonWait;

static gboolean
button_shown (gpointer data)
{
  ButtonWait *w = data;
  GtkButton *button = gleaner_test_find_button (w->root, w->label);
  return button != NULL && gtk_widget_is_drawable (GTK_WIDGET (button));
}

static gboolean
gallery_visible (gpointer data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (data, ADW_TYPE_VIEW_STACK, 0));
  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "gallery") == 0;
}

static gboolean
suspected_listed (gpointer data)
{
  return gl_gallery_model_get_filter (data, NULL) == GL_GALLERY_FILTER_SUSPECTED;
}

static gboolean
doubted_first (gpointer data)
{
  return gl_gallery_model_get_sort (data) == GL_GALLERY_SORT_DISAGREEMENT;
}

static void
press (GtkWidget *win, const char *key)
{
  gulong xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (win)));
  g_autofree char *args = g_strdup_printf ("windowfocus --sync %lu key --clearmodifiers %s", xid, key);
  gleaner_test_xdotool (args);
}

static void
check_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin)
{
  GError *error = NULL;
  GlDbLabel label = { 0 };
  g_assert_true (gl_db_get_current_label (db, image_id, FALSE, &label, &error));
  g_assert_no_error (error);
  g_assert_cmpint (label.class_id, ==, class_id);
  g_assert_cmpint (label.origin, ==, origin);
  gl_db_label_clear (&label);
}

static void
test_review_mode (gconstpointer data)
{
  GleanerApplication *app = (GleanerApplication *)data;
  if (!has_xdotool ())
    return;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-review-XXXXXX", NULL);
  SynthInsights ins;
  Planted planted = { 0 };
  GlProject *made = synth_insights_project (tmp, &ins);
  plant (made, &ins, &planted);
  g_autofree char *dir = g_strdup (gl_project_get_dir (made));
  g_autofree char *db_path = g_strdup (gl_project_get_db_path (made));
  gl_project_close (made);

  GleanerWindow *window = gleaner_test_open_window (app, dir);
  GtkWidget *win = GTK_WIDGET (window);
  GleanerLabelView *view = GLEANER_LABEL_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_LABEL_VIEW, 0));
  g_assert_nonnull (view);

  /* The way in, with the count; a real click on it. */
  ButtonWait shown = { win, "Review Suspected Errors (4)" };
  gleaner_test_wait (button_shown, &shown);
  GtkButton *enter = gleaner_test_find_button (win, shown.label);
  gleaner_test_wait_frames (win, 3);
  gleaner_test_dismiss_toasts (win);
  g_free (gleaner_test_render_png (win, "review-entry.png"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (win, "review-entry-dark.png"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gleaner_test_wait_frames (win, 3);
  gleaner_test_click (GTK_WIDGET (enter), 0.5, 0.5, 1);
  gleaner_test_wait (reviewing, view);
  GlReview *review = gleaner_label_view_get_review (view);
  g_assert_cmpint (gl_review_get_current (review, NULL)->image_id, ==, planted.images[0]);
  gleaner_test_wait_frames (win, 3);
  gleaner_test_dismiss_toasts (win);
  g_free (gleaner_test_render_png (win, "review.png"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (win, "review-dark.png"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gleaner_test_wait_frames (win, 3);

  /* Return keeps, a class key relabels, S skips: real key presses. */
  WalkWait wait = { view, 1 };
  press (win, "Return");
  gleaner_test_wait (walked_to, &wait);
  char key[2] = { (char)('1' + planted.other_position), 0 };
  press (win, key);
  wait.position = 2;
  gleaner_test_wait (walked_to, &wait);
  press (win, "s");
  wait.position = 3;
  gleaner_test_wait (walked_to, &wait);
  g_assert_cmpint (gl_review_get_current (review, NULL)->image_id, ==, planted.images[3]);

  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (db_path, &error);
  g_assert_no_error (error);
  check_label (db, planted.images[0], planted.classes[0], GL_DB_ORIGIN_REVIEW);
  check_label (db, planted.images[1], ins.classes[planted.other_position], GL_DB_ORIGIN_REVIEW);
  check_label (db, planted.images[2], planted.classes[2], GL_DB_ORIGIN_HUMAN);

  /* Past the last one: the end says so. */
  press (win, "s");
  wait.position = 4;
  gleaner_test_wait (walked_to, &wait);
  g_assert_null (gl_review_get_current (review, NULL));
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (win, "review-done.png"));

  /* Escape leaves; the way in counts what is left: the two skipped. */
  press (win, "Escape");
  gleaner_test_wait (not_reviewing, view);
  shown.label = "Review Suspected Errors (2)";
  gleaner_test_wait (button_shown, &shown);

  /* The Gallery (Alt+2) lists the same two with its filter, chosen with
   * real clicks, the most doubted first. */
  press (win, "alt+2");
  gleaner_test_wait (gallery_visible, win);
  GleanerGalleryView *gallery
      = GLEANER_GALLERY_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_GALLERY_VIEW, 0));
  GlGalleryModel *model = gleaner_gallery_view_get_model (gallery);
  gleaner_test_choose (gleaner_test_find_descendant (GTK_WIDGET (gallery), GTK_TYPE_DROP_DOWN, 0),
                       "Suspected label errors");
  gleaner_test_wait (suspected_listed, model);
  GtkWidget *sort = NULL;
  for (guint i = 0; (sort = gleaner_test_find_descendant (GTK_WIDGET (gallery), GTK_TYPE_DROP_DOWN, i)) != NULL; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (sort), "Sort order") == 0)
      break;
  g_assert_nonnull (sort);
  gleaner_test_choose (sort, "Label most doubted");
  gleaner_test_wait (doubted_first, model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);
  g_autoptr (GlGalleryItem) first = gleaner_test_gallery_item (model, 0);
  g_autoptr (GlGalleryItem) second = gleaner_test_gallery_item (model, 1);
  g_assert_cmpint (gl_gallery_item_get_id (first), ==, planted.images[2]); /* score 0.7, skipped */
  g_assert_cmpint (gl_gallery_item_get_id (second), ==, planted.images[3]); /* 0.6, skipped */
  gleaner_test_wait_frames (win, 3);
  gleaner_test_dismiss_toasts (win);
  g_free (gleaner_test_render_png (win, "review-gallery-suspected.png"));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

typedef struct
{
  GleanerLabelView *view;
  gboolean detecting;
} DetectWait;

static gboolean
detecting_is (gpointer data)
{
  DetectWait *w = data;
  return gl_review_is_detecting (gleaner_label_view_get_review (w->view)) == w->detecting;
}

static void
test_check_on_request (gconstpointer data)
{
  GleanerApplication *app = (GleanerApplication *)data;
  if (!has_xdotool ())
    return;
  GError *error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-review-XXXXXX", NULL);
  GlProject *made = synth_project (tmp, 160, 10);
  {
    g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (made), &error);
    g_assert_no_error (error);
    synth_label_first (made, db, 100);
    gint64 flipped[5];
    synth_flip_labels (made, db, 20, 5, flipped);
    g_autoptr (GlTrainer) trainer = gl_trainer_new (made, &error);
    g_assert_no_error (error);
    gl_trainer_set_max_epochs (trainer, 2);
    gl_trainer_set_min_steps (trainer, 20);
    g_assert_true (gl_trainer_run_round (trainer, TRUE, NULL, NULL, &error));
    g_assert_no_error (error);
  }
  g_autofree char *dir = g_strdup (gl_project_get_dir (made));
  gl_project_close (made);

  GleanerWindow *window = gleaner_test_open_window (app, dir);
  GtkWidget *win = GTK_WIDGET (window);
  GleanerLabelView *view = GLEANER_LABEL_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_LABEL_VIEW, 0));
  GlReview *review = gleaner_label_view_get_review (view);
  g_assert_false (gl_review_has_detection (review, NULL));

  /* Started with a real click; long enough a budget to be cancelled while it runs. */
  gl_review_set_detect_seconds (review, 60);
  ButtonWait find = { win, "Find Label Errors" };
  gleaner_test_wait (button_shown, &find);
  gleaner_test_click (GTK_WIDGET (gleaner_test_find_button (win, find.label)), 0.5, 0.5, 1);
  DetectWait wait = { view, TRUE };
  gleaner_test_wait (detecting_is, &wait);
  ButtonWait cancel = { win, "Cancel" };
  gleaner_test_wait (button_shown, &cancel);
  gleaner_test_wait_frames (win, 3);
  gleaner_test_dismiss_toasts (win);
  g_free (gleaner_test_render_png (win, "review-checking.png"));
  gleaner_test_click (GTK_WIDGET (gleaner_test_find_button (win, cancel.label)), 0.5, 0.5, 1);
  wait.detecting = FALSE;
  gleaner_test_wait (detecting_is, &wait);
  g_assert_false (gl_review_has_detection (review, NULL));
  gleaner_test_wait (button_shown, &find);

  /* Again, to the end. */
  gl_review_set_detect_seconds (review, 3);
  gleaner_test_click (GTK_WIDGET (gleaner_test_find_button (win, find.label)), 0.5, 0.5, 1);
  wait.detecting = TRUE;
  gleaner_test_wait (detecting_is, &wait);
  wait.detecting = FALSE;
  gleaner_test_wait (detecting_is, &wait);
  const GlDbLabelErrorRun *run = NULL;
  g_assert_true (gl_review_has_detection (review, &run));
  g_assert_cmpuint (run->n_labels, ==, 100);
  ButtonWait again = { win, "Check Again" };
  gleaner_test_wait (button_shown, &again);
  gleaner_test_wait_frames (win, 3);
  gleaner_test_dismiss_toasts (win);
  g_free (gleaner_test_render_png (win, "review-checked.png"));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  GleanerApplication *app = gleaner_test_app_init (&argc, &argv);
  g_test_add_data_func ("/review/mode", app, test_review_mode);
  g_test_add_data_func ("/review/check-on-request", app, test_check_on_request);
  return gleaner_test_app_run (app);
}
