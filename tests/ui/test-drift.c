/* test-drift.c — drift in the real window under Xvfb, on the Insights test
 * project (tests/app/synth-project.c: 40 pool images in one import batch,
 * 20 held-out test images in another, version 2 current) with drift results
 * stored by hand, so that every figure is known:
 * - batch results: the test batch (no drift), then the pool batch (drift:
 *   class 1 by BBSD, class 0 by its share; class 3 insufficient);
 * - window results: pool images 0–19 (no drift), then 20–39 (drift: class 1
 *   by BBSD), the newest result.
 * Checks, with real clicks (xdotool): the timeline renders in the Insights
 * view with a cell per class and batch, and its numbers as text; a click on
 * the cell (class 1, pool batch) opens the Gallery on the pool images that
 * version 2 predicts as class 1 (12 of them); the banner names the drifted
 * class with its test, adjusted p-value, effect, sample sizes and estimated
 * precision with its interval; its "Label Drifted Images" button starts the
 * drift-boosted queue (app/gl-drift-auto.h, recorded as the user's action)
 * and shows the Label view; the status bar shows the newest batch's
 * estimated accuracy with its interval. Screenshots in light and dark style. */
#include "gleaner-config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <math.h>
#include <string.h>

#include "app/gl-chart-drift.h"
#include "app/gl-drift-auto.h"
#include "app/gl-gallery-model.h"
#include "app/synth-project.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-drift-banner.h"
#include "ui/gleaner-gallery-view.h"
#include "ui/gleaner-insights-view.h"
#include "ui/gleaner-training-status.h"

static gboolean
has_xdotool (void)
{
  g_autofree char *path = g_find_program_in_path ("xdotool");
  if (path == NULL)
    g_test_skip ("xdotool is not installed");
  return path != NULL;
}

/* ---- Waits ---- */

static gboolean
timeline_shown (gpointer data)
{
  GleanerInsightsView *view = data;
  GlDriftTimeline *t = gleaner_drift_timeline_get_timeline (gleaner_insights_view_get_drift_timeline (view));
  return !gleaner_insights_view_is_loading (view) && !gleaner_insights_view_is_loading_drift (view) && t != NULL
         && t->n_columns > 0;
}

static gboolean
windows_shown (gpointer data)
{
  GleanerInsightsView *view = data;
  GlDriftTimeline *t = gleaner_drift_timeline_get_timeline (gleaner_insights_view_get_drift_timeline (view));
  return !gleaner_insights_view_is_loading_drift (view) && t != NULL && t->kind == GL_DB_DRIFT_WINDOW;
}

static gboolean
banner_shown (gpointer data)
{
  return gleaner_drift_banner_is_shown (data);
}

static gboolean
banner_hidden (gpointer data)
{
  return !gleaner_drift_banner_is_shown (data);
}

static gboolean
estimate_shown (gpointer data)
{
  return gleaner_training_status_get_estimate_text (data) != NULL;
}

static gboolean
label_visible (gpointer data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (data, ADW_TYPE_VIEW_STACK, 0));
  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "label") == 0;
}

/* The store at @data (a path) has the drift-boosted queue on. */
static gboolean
boost_on (gpointer data)
{
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (data, &error);
  g_assert_no_error (error);
  GlDriftAutoState state = { 0 };
  g_assert_true (gl_drift_auto_read_state (db, &state, &error));
  g_assert_no_error (error);
  gboolean on = state.boost_active;
  gl_drift_auto_state_clear (&state);
  return on;
}

static gboolean
banner_says_boost (gpointer data)
{
  return strstr (gleaner_drift_banner_get_details (data), "Drifted images are labeled first (started by you)") != NULL;
}

static gboolean
gallery_visible (gpointer data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (data, ADW_TYPE_VIEW_STACK, 0));
  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "gallery") == 0;
}

static gboolean
insights_visible (gpointer data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (data, ADW_TYPE_VIEW_STACK, 0));
  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "insights") == 0;
}

/* A point of @chart inside the cell (@row, @column), as fractions. */
static void
cell_point (GleanerDriftTimeline *chart, gint row, gint column, double *fx, double *fy)
{
  int w = gtk_widget_get_width (GTK_WIDGET (chart)), h = gtk_widget_get_height (GTK_WIDGET (chart));
  GlDriftTimeline *t = gleaner_drift_timeline_get_timeline (chart);
  double sx = 0, sy = 0;
  guint n = 0;
  for (int y = 0; y < h; y += 2)
    for (int x = 0; x < w; x += 2)
      {
        gint r = -2, c = -1;
        g_autofree char *text = gl_chart_drift_query (t, w, h, x, y, &r, &c);
        if (r == row && c == column)
          sx += x, sy += y, n++;
      }
  g_assert_cmpuint (n, >, 0);
  *fx = sx / n / w;
  *fy = sy / n / h;
}

/* Every image of the Gallery's listing is predicted as @class_id and lies in
 * @first..@last; there are @n of them. */
static void
assert_gallery (GleanerGalleryView *gallery, gint64 class_id, gint64 first, gint64 last, guint n)
{
  GlGalleryModel *model = gleaner_gallery_view_get_model (gallery);
  gint64 filter_class = -1, a = -1, b = -1;
  g_assert_cmpint (gl_gallery_model_get_filter (model, &filter_class), ==, GL_GALLERY_FILTER_DRIFT);
  g_assert_cmpint (filter_class, ==, class_id);
  g_assert_true (gl_gallery_model_get_filter_range (model, &a, &b));
  g_assert_cmpint (a, ==, first);
  g_assert_cmpint (b, ==, last);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, i);
      g_assert_cmpint (gl_gallery_item_get_predicted (item), ==, class_id);
      g_assert_cmpint (gl_gallery_item_get_id (item), >=, first);
      g_assert_cmpint (gl_gallery_item_get_id (item), <=, last);
    }
  GtkWidget *filter = gleaner_test_find_descendant (GTK_WIDGET (gallery), GTK_TYPE_DROP_DOWN, 0);
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (filter)), ==, GL_GALLERY_FILTER_DRIFT);
}

/* Pool image @idx's class position as version 2 predicts it (synth-project.h). */
static guint
v2_prediction (guint idx)
{
  guint ref = idx % 4;
  if (idx < 24)
    return ref;
  if (idx < 32)
    return idx < 26 ? (ref + 1) % 4 : ref;
  return idx % 2;
}

static guint
count_predicted (guint from, guint to, guint position)
{
  guint n = 0;
  for (guint i = from; i <= to; i++)
    n += v2_prediction (i) == position;
  return n;
}

static void
screenshots (GtkWidget *win, const char *name)
{
  gleaner_test_dismiss_toasts (win);
  gleaner_test_wait_frames (win, 3);
  g_autofree char *light = g_strdup_printf ("%s.png", name);
  g_free (gleaner_test_render_png (win, light));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (win, 3);
  g_autofree char *dark = g_strdup_printf ("%s-dark.png", name);
  g_free (gleaner_test_render_png (win, dark));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gleaner_test_wait_frames (win, 3);
}

static void
test_drift_gui (gconstpointer data)
{
  GleanerApplication *app = (GleanerApplication *)data;
  if (!has_xdotool ())
    return;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-drift-XXXXXX", NULL);
  SynthInsights ids;
  SynthDrift l;
  GlProject *made = synth_insights_project (tmp, &ids);
  synth_insights_drift (made, &ids, &l);
  g_autofree char *dir = g_strdup (gl_project_get_dir (made));
  gl_project_close (made);
  GleanerWindow *window = gleaner_test_open_window (app, dir);
  GtkWidget *win = GTK_WIDGET (window);

  /* The banner: the newest result (the second window) drifted in class 1. */
  GleanerDriftBanner *banner = GLEANER_DRIFT_BANNER (gleaner_test_find_descendant (win, GLEANER_TYPE_DRIFT_BANNER, 0));
  g_assert_nonnull (banner);
  gleaner_test_wait (banner_shown, banner);
  g_autofree char *title = g_strdup_printf ("Drift detected in images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT
                                            " (20 images, model v%" G_GINT64_FORMAT
                                            "): 1 test fired, α 0.05 over all the tests",
                                            l.pool_mid, l.pool_last, ids.v2);
  g_assert_cmpstr (gleaner_drift_banner_get_title (banner), ==, title);
  const char *details = gleaner_drift_banner_get_details (banner);
  g_autofree char *alert = g_strdup_printf ("%s: BBSD (KS on the softmax column), adjusted p 0.0040, effect 0.410, n 400 "
                                            "reference / 5 here; estimated precision 70.0%% ± 5.9%% (95%%, CBPE; "
                                            "reference 90.0%%)",
                                            synth_classes[1]);
  g_assert_nonnull (strstr (details, alert));
  g_assert_nonnull (strstr (details, "Only the newest result drifted"));

  /* The status bar: the newest batch result (the pool batch, 40 images)
   * estimated at 0.72; se = √(Σ (n_k se_k)²) / n = √(3 · 0.3² + 0.12²) / 40
   * = 0.0133, so ± 2.6%. */
  GleanerTrainingStatus *status
      = GLEANER_TRAINING_STATUS (gleaner_test_find_descendant (win, GLEANER_TYPE_TRAINING_STATUS, 0));
  gleaner_test_wait (estimate_shown, status);
  g_autofree char *estimate = g_strdup_printf ("· batch %" G_GINT64_FORMAT ": 72.0%% ± 2.6%% estimated", l.pool_batch);
  g_assert_cmpstr (gleaner_training_status_get_estimate_text (status), ==, estimate);
  screenshots (win, "drift-banner");

  /* The timeline in the Insights view (Alt+3 as the user would; the view's
   * action is what a click on its switcher does too). */
  gtk_widget_activate_action (win, "win.show-page", "s", "insights");
  gleaner_test_wait (insights_visible, win);
  GleanerInsightsView *view
      = GLEANER_INSIGHTS_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_INSIGHTS_VIEW, 0));
  gleaner_test_wait (timeline_shown, view);
  GleanerDriftTimeline *chart = gleaner_insights_view_get_drift_timeline (view);
  GlDriftTimeline *t = gleaner_drift_timeline_get_timeline (chart);
  g_assert_cmpint (t->model_id, ==, ids.v2);
  g_assert_cmpuint (t->n_columns, ==, 2);
  g_assert_cmpuint (t->n_classes, ==, 4);
  /* Oldest batch first. */
  guint pool_col = t->columns[0].batch_id == l.pool_batch ? 0 : 1;
  g_assert_cmpint (t->columns[pool_col].batch_id, ==, l.pool_batch);
  g_assert_cmpint (t->columns[0].batch_id, <, t->columns[1].batch_id);
  g_assert_true (gl_drift_timeline_cell (t, 1, pool_col)->drifted);
  g_assert_true (gl_drift_timeline_cell (t, 0, pool_col)->drifted);
  g_assert_true (gl_drift_timeline_cell (t, 3, pool_col)->insufficient);
  g_assert_false (gl_drift_timeline_cell (t, 1, 1 - pool_col)->drifted);
  gleaner_test_wait_frames (win, 3);
  g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (chart)));
  g_autofree char *png = gleaner_test_render_png (gtk_widget_get_parent (GTK_WIDGET (chart)), "drift-timeline.png");
  g_assert_cmpuint (gleaner_test_distinct_colours (png, 40), >=, 20);
  /* Every number as text: the cell's tooltip text is in the description. */
  g_autofree char *numbers = gl_chart_drift_describe (t);
  g_assert_nonnull (strstr (numbers, "BBSD (KS on the softmax column), statistic 0.410, p 0.0010 (adjusted 0.0040)"));
  g_assert_nonnull (strstr (numbers, "insufficient data, 4 images predicted as it (< 30): no verdict"));
  screenshots (win, "drift-insights");

  /* A real click on the cell (class 1, the pool batch) opens the Gallery. */
  double fx, fy;
  cell_point (chart, 1, (gint)pool_col, &fx, &fy);
  gleaner_test_click (GTK_WIDGET (chart), fx, fy, 1);
  gleaner_test_wait (gallery_visible, win);
  GleanerGalleryView *gallery
      = GLEANER_GALLERY_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_GALLERY_VIEW, 0));
  assert_gallery (gallery, ids.classes[1], l.pool_first, l.pool_last, count_predicted (0, 39, 1));
  g_assert_cmpuint (count_predicted (0, 39, 1), ==, 12);
  screenshots (win, "drift-gallery");

  /* The windows, picked with a real click. */
  gtk_widget_activate_action (win, "win.show-page", "s", "insights");
  gleaner_test_wait (insights_visible, win);
  gleaner_test_click (GTK_WIDGET (gleaner_insights_view_get_drift_windows_button (view)), 0.5, 0.5, 1);
  gleaner_test_wait (windows_shown, view);
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (gtk_widget_get_parent (GTK_WIDGET (chart)), "drift-timeline-windows.png"));

  /* The keyboard, real key presses: the first arrow puts the focus on the
   * newest window's first class, Down moves to class 1, Enter opens it. */
  gtk_widget_grab_focus (GTK_WIDGET (chart));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (chart)));
  gulong xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (win)));
  g_autofree char *keys = g_strdup_printf ("windowfocus --sync %lu key --clearmodifiers Left Right Down", xid);
  gleaner_test_xdotool (keys);
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (gtk_widget_get_parent (GTK_WIDGET (chart)), "drift-timeline-focus.png"));
  g_autofree char *enter = g_strdup_printf ("windowfocus --sync %lu key --clearmodifiers Return", xid);
  gleaner_test_xdotool (enter);
  gleaner_test_wait (gallery_visible, win);
  assert_gallery (gallery, ids.classes[1], l.pool_mid, l.pool_last, count_predicted (20, 39, 1));
  g_assert_cmpuint (count_predicted (20, 39, 1), ==, 7);

  /* "Label Drifted Images", a real click: the drift-boosted queue starts
   * (recorded as the user's action) and the Label view shows. */
  gleaner_test_click (GTK_WIDGET (gleaner_drift_banner_get_button (banner)), 0.5, 0.5, 1);
  gleaner_test_wait (label_visible, win);
  gleaner_test_wait (boost_on, (gpointer)gl_project_get_db_path (gleaner_window_get_project (window)));
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (gleaner_window_get_project (window)), &error);
  g_assert_no_error (error);
  GlDriftAutoState state = { 0 };
  g_assert_true (gl_drift_auto_read_state (db, &state, &error));
  g_assert_cmpstr (state.boost_origin, ==, "user");
  gl_drift_auto_state_clear (&state);
  /* The banner says so once the state is read again. */
  gleaner_test_wait (banner_says_boost, banner);
  screenshots (win, "drift-boost");

  /* Dismissed, the banner hides (until a newer result drifts). */
  GtkWidget *dismiss = gleaner_test_find_descendant (GTK_WIDGET (banner), GTK_TYPE_BUTTON, 1);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (dismiss), ==, "Hide until new drift is found");
  gleaner_test_click (dismiss, 0.5, 0.5, 1);
  gleaner_test_wait (banner_hidden, banner);

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  GleanerApplication *app = gleaner_test_app_init (&argc, &argv);
  g_test_add_data_func ("/drift/gui", app, test_drift_gui);
  return gleaner_test_app_run (app);
}
