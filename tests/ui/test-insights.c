/* test-insights.c — the Insights view in the real window under Xvfb, on a
 * project whose model versions and metrics are stored by hand
 * (tests/app/synth-project.c): Alt+3 (a real key press) shows it; every
 * chart renders with something drawn and has its numbers as text; the
 * version picker (real clicks) shows the older version's report; a real click
 * on a confusion-matrix cell opens the Gallery filtered to the images labeled
 * i and predicted j; the charts draw one per frame at most and reuse their
 * drawing; screenshots of the view in light and dark style. */
#include "gleaner-config.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <string.h>

#include "app/gl-gallery-model.h"
#include "gleaner-test-util.h"
#include "app/synth-project.h"
#include "ui/gleaner-gallery-view.h"
#include "ui/gleaner-chart-cache.h"
#include "ui/gleaner-insights-view.h"

static gboolean
has_xdotool (void)
{
  g_autofree char *path = g_find_program_in_path ("xdotool");
  if (path == NULL)
    g_test_skip ("xdotool is not installed");
  return path != NULL;
}

typedef struct
{
  GleanerInsightsView *view;
  gint64 version;
} ReportWait;

static gboolean
report_shown (gpointer data)
{
  ReportWait *w = data;
  if (gleaner_insights_view_is_loading (w->view))
    return FALSE;
  GlInsights *r = gleaner_chart_get_report (gleaner_insights_view_get_chart (w->view, GL_CHART_CONFUSION));
  return r != NULL && r->model_id == w->version;
}

static gboolean
insights_visible (gpointer data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (data, ADW_TYPE_VIEW_STACK, 0));
  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "insights") == 0;
}

static gboolean
gallery_visible (gpointer data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (data, ADW_TYPE_VIEW_STACK, 0));
  return g_strcmp0 (adw_view_stack_get_visible_child_name (stack), "gallery") == 0;
}

static gboolean
chart_drawn (gpointer data)
{
  return gleaner_chart_is_drawn (data);
}

static gboolean
expanded (gpointer data)
{
  return gtk_expander_get_expanded (data);
}

/* A point of @chart inside the confusion cell (@row, @column), as fractions. */
static void
cell_point (GleanerChart *chart, gint row, gint column, double *fx, double *fy)
{
  int w = gtk_widget_get_width (GTK_WIDGET (chart)), h = gtk_widget_get_height (GTK_WIDGET (chart));
  double sx = 0, sy = 0;
  guint n = 0;
  for (int y = 0; y < h; y += 2)
    for (int x = 0; x < w; x += 2)
      {
        gint r = -1, c = -1;
        g_autofree char *text
            = gl_chart_query (GL_CHART_CONFUSION, gleaner_chart_get_report (chart), w, h, x, y, &r, &c);
        if (r == row && c == column)
          sx += x, sy += y, n++;
      }
  g_assert_cmpuint (n, >, 0);
  *fx = sx / n / w;
  *fy = sy / n / h;
}

static void
scroll_to (GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_point_t p;
  g_assert_true (gtk_widget_compute_point (widget, scrolled, &GRAPHENE_POINT_INIT (0, 0), &p));
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) + p.y - 12);
  gleaner_test_wait_frames (widget, 3);
}

static void
test_insights_view (gconstpointer data)
{
  GleanerApplication *app = (GleanerApplication *)data;
  if (!has_xdotool ())
    return;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-insights-XXXXXX", NULL);
  SynthInsights ids;
  GlProject *made = synth_insights_project (tmp, &ids);
  g_autofree char *dir = g_strdup (gl_project_get_dir (made));
  gl_project_close (made);
  GleanerWindow *window = gleaner_test_open_window (app, dir);
  GtkWidget *win = GTK_WIDGET (window);
  GleanerInsightsView *view
      = GLEANER_INSIGHTS_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_INSIGHTS_VIEW, 0));
  g_assert_nonnull (view);

  /* Alt+3, a real key press, shows the view; the report comes from a worker. */
  gulong xid = gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (win)));
  g_autofree char *keys = g_strdup_printf ("windowfocus --sync %lu key --clearmodifiers alt+3", xid);
  gleaner_chart_budget_reset_peak ();
  gleaner_test_xdotool (keys);
  gleaner_test_wait (insights_visible, win);
  ReportWait wait = { view, ids.v2 };
  gleaner_test_wait (report_shown, &wait);
  gleaner_test_wait_frames (win, 3);

  /* Every chart is drawn (many colours: text, bars, cells) and has its numbers. */
  for (guint k = 0; k < GL_CHART_N_KINDS; k++)
    {
      GleanerChart *chart = gleaner_insights_view_get_chart (view, k);
      scroll_to (GTK_WIDGET (chart));
      gleaner_test_wait (chart_drawn, chart);
      g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (chart)));
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (chart)), >=, 400);
      g_autofree char *name = g_strdup_printf ("insights-%s.png", gl_chart_kind_id (k));
      g_autofree char *png = gleaner_test_render_png (gtk_widget_get_parent (GTK_WIDGET (chart)), name);
      g_assert_cmpuint (gleaner_test_distinct_colours (png, 40), >=, 20);
      /* The numbers: a real click opens the card's "Numbers" expander. */
      g_autofree char *table = gl_chart_describe (k, gleaner_chart_get_report (chart));
      GtkWidget *card = gtk_widget_get_parent (GTK_WIDGET (chart));
      GtkWidget *expander = gleaner_test_find_descendant (card, GTK_TYPE_EXPANDER, 0);
      GtkWidget *title = gtk_expander_get_label_widget (GTK_EXPANDER (expander));
      gleaner_test_click (title, 0.5, 0.5, 1);
      gleaner_test_wait (expanded, expander);
      gleaner_test_wait_frames (win, 2);
      GtkWidget *label;
      gboolean found = FALSE;
      for (guint i = 0; (label = gleaner_test_find_descendant (expander, GTK_TYPE_LABEL, i)) != NULL; i++)
        found = found
                || (g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), table) == 0
                    && gtk_widget_is_drawable (label));
      g_assert_true (found);
    }
  /* The charts were drawn one per frame at most; a redraw without a change
   * reuses each chart's drawing. */
  g_assert_cmpuint (gleaner_chart_budget_get_peak (), <=, GLEANER_CHART_BUDGET_PER_FRAME);
  GleanerChart *curve = gleaner_insights_view_get_chart (view, GL_CHART_LEARNING_CURVE);
  guint drawn = gleaner_chart_get_n_drawn (curve);
  g_assert_cmpuint (drawn, >=, 1);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (
      GTK_WIDGET (gleaner_insights_view_get_chart (view, 0)), GTK_TYPE_SCROLLED_WINDOW)));
  gtk_adjustment_set_value (adj, 0);
  gleaner_test_wait_frames (win, 3);
  gtk_widget_queue_draw (GTK_WIDGET (curve));
  gleaner_test_wait_frames (win, 3);
  g_assert_cmpuint (gleaner_chart_get_n_drawn (curve), ==, drawn);
  gleaner_test_dismiss_toasts (win);
  g_free (gleaner_test_render_png (win, "insights.png"));
  /* The dark style redraws every chart, still one per frame. */
  gleaner_chart_budget_reset_peak ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait (chart_drawn, curve);
  gleaner_test_wait_frames (win, 3);
  g_assert_cmpuint (gleaner_chart_get_n_drawn (curve), >, drawn);
  g_assert_cmpuint (gleaner_chart_budget_get_peak (), ==, GLEANER_CHART_BUDGET_PER_FRAME);
  g_free (gleaner_test_render_png (win, "insights-dark.png"));
  scroll_to (GTK_WIDGET (gleaner_insights_view_get_chart (view, GL_CHART_CONFUSION)));
  gleaner_test_wait (chart_drawn, gleaner_insights_view_get_chart (view, GL_CHART_CONFUSION));
  g_free (gleaner_test_render_png (win, "insights-dark-lower.png"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gleaner_test_wait (chart_drawn, gleaner_insights_view_get_chart (view, GL_CHART_CONFUSION));
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (win, "insights-lower.png"));
  gtk_adjustment_set_value (adj, 0);
  gleaner_test_wait_frames (win, 3);

  /* The version picker, with real clicks: version 1 has no previous version. */
  GtkWidget *picker = GTK_WIDGET (gleaner_insights_view_get_version_dropdown (view));
  gleaner_test_choose (picker, "Version 1 · 12 labels");
  wait.version = ids.v1;
  gleaner_test_wait (report_shown, &wait);
  GlInsights *r = gleaner_chart_get_report (gleaner_insights_view_get_chart (view, GL_CHART_CLASS_BALANCE));
  g_assert_cmpint (r->previous_id, ==, -1);
  g_assert_cmpuint (r->predicted[3], ==, 8);
  gleaner_test_choose (picker, "Version 2 · 24 labels (current)");
  wait.version = ids.v2;
  gleaner_test_wait (report_shown, &wait);

  /* A real click on the cell (label top-left, predicted top-right) opens the
   * Gallery on the one audit image the model gets wrong so. */
  GleanerChart *confusion = gleaner_insights_view_get_chart (view, GL_CHART_CONFUSION);
  scroll_to (GTK_WIDGET (confusion));
  double fx, fy;
  cell_point (confusion, 0, 1, &fx, &fy);
  gleaner_test_click (GTK_WIDGET (confusion), fx, fy, 1);
  gleaner_test_wait (gallery_visible, win);
  GleanerGalleryView *gallery
      = GLEANER_GALLERY_VIEW (gleaner_test_find_descendant (win, GLEANER_TYPE_GALLERY_VIEW, 0));
  GlGalleryModel *model = gleaner_gallery_view_get_model (gallery);
  gint64 class_id = -1;
  g_assert_cmpint (gl_gallery_model_get_filter (model, &class_id), ==, GL_GALLERY_FILTER_CONFUSION);
  g_assert_cmpint (class_id, ==, ids.classes[0]);
  g_assert_cmpint (gl_gallery_model_get_filter_predicted (model), ==, ids.classes[1]);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_autoptr (GlGalleryItem) item = gleaner_test_gallery_item (model, 0);
  g_assert_cmpint (gl_gallery_item_get_label (item), ==, ids.classes[0]);
  g_assert_cmpint (gl_gallery_item_get_predicted (item), ==, ids.classes[1]);
  /* The filter bar says so. */
  GtkWidget *filter = gleaner_test_find_descendant (GTK_WIDGET (gallery), GTK_TYPE_DROP_DOWN, 0);
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (filter)), ==, GL_GALLERY_FILTER_CONFUSION);
  gleaner_test_wait_frames (win, 3);
  g_free (gleaner_test_render_png (win, "insights-gallery-confusion.png"));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  GleanerApplication *app = gleaner_test_app_init (&argc, &argv);
  g_test_add_data_func ("/insights/view", app, test_insights_view);
  return gleaner_test_app_run (app);
}
