/* test-screenshots.c — the demo project in the real window, labeled and
 * trained, rendered to PNG for the README (docs/screenshots/): the Label view
 * with the model's predictions in light and dark style, and the training bar;
 * after a second round, the Insights view of version 2 in both styles.
 *
 * `gleaner` with no argument opens the demo (built from Fashion-MNIST into
 * GLEANER_DEMO_DIR); 200 images are labeled with their reference class (read
 * from the store, as an annotator who is always right), one training round
 * runs, and the next image shows the new model's top three (its toast
 * closed, not over the buttons). Suite "slow": it
 * trains a network and scores the 60,000-image pool. */
#include "gleaner-config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "app/gl-queue.h"
#include "app/gl-session.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-insights-view.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-window.h"

#define N_LABELS 200

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

static gboolean
label_view_settled (gpointer view)
{
  return gleaner_label_view_is_settled (view);
}

static gboolean
current_has_prediction (gpointer data)
{
  GlQueue *queue = gleaner_window_get_queue (GLEANER_WINDOW (data));
  const GlQueueItem *item = gl_queue_get_current (queue);
  return item != NULL && item->n_top > 0 && item->reason != GL_QUEUE_REASON_COLD_START;
}

typedef struct
{
  GleanerInsightsView *view;
  gint64 version;
} InsightsWait;

static gboolean
insights_shown (gpointer data)
{
  InsightsWait *w = data;
  GlInsights *r = gleaner_chart_get_report (gleaner_insights_view_get_chart (w->view, GL_CHART_LEARNING_CURVE));
  return !gleaner_insights_view_is_loading (w->view) && r != NULL && r->model_id == w->version;
}

static void
on_ranking_ready_cb (GlTrainer *trainer, gboolean *ranked)
{
  if (gl_trainer_get_model_version (trainer) >= 1)
    *ranked = TRUE;
}

/* Labels @n images of the queue with their reference class (read from the
 * store), as an annotator who is always right; audit items included. */
static void
label_from_reference (GleanerWindow *window, GlDb *db, GPtrArray *classes, guint n)
{
  GlQueue *queue = gleaner_window_get_queue (window);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      const GlQueueItem *item;
      GlDbLabel ref = { 0 };
      gint index = -1;

      /* When a ranked batch runs out, the trainer ranks the next one on its thread. */
      gleaner_test_wait (queue_has_item, window);
      item = gl_queue_get_current (queue);
      g_assert_true (gl_db_get_current_label (db, item->image_id, TRUE, &ref, &error));
      g_assert_no_error (error);
      for (guint c = 0; c < classes->len; c++)
        if (((GlSessionClass *) g_ptr_array_index (classes, c))->id == ref.class_id)
          index = (gint) c;
      gl_db_label_clear (&ref);
      g_assert_cmpint (index, >=, 0);
      g_assert_true (gl_queue_label (queue, index, GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
    }
}

static void
test_demo_screenshots (void)
{
  g_autofree char *images = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *png = NULL;
  g_autoptr (GleanerApplication) app = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) classes = NULL;
  g_autoptr (GlDb) db = NULL;
  gboolean ranked = FALSE;
  GleanerWindow *window;
  GlProject *project;
  GlQueue *queue;
  GlTrainer *trainer;

  if (!g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (dataset-fashion-mnist)");
      return;
    }
  tmp = g_dir_make_tmp ("gleaner-test-screenshots-XXXXXX", NULL);
  demo = g_build_filename (tmp, "demo", NULL);
  g_setenv ("GLEANER_DEMO_DIR", demo, TRUE);

  app = gleaner_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_application_activate (G_APPLICATION (app));
  window = GLEANER_WINDOW (gtk_application_get_windows (GTK_APPLICATION (app))->data);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  project = gleaner_window_get_project (window);
  queue = gleaner_window_get_queue (window);
  trainer = gleaner_window_get_trainer (window);
  gl_trainer_set_retrain_every (trainer, 0);
  gleaner_test_wait (queue_has_item, window);

  /* An annotator who is always right: the reference label of each image. */
  classes = gl_session_list_classes (project, &error);
  g_assert_no_error (error);
  db = gl_db_open (gl_project_get_db_path (project), &error);
  g_assert_no_error (error);
  label_from_reference (window, db, classes, N_LABELS);

  /* Train Now, as the button does; the ranking it stores comes in at the next image. */
  gl_trainer_set_time_budget (trainer, 10.0);
  g_signal_connect (trainer, "ranking-ready", G_CALLBACK (on_ranking_ready_cb), &ranked);
  gl_trainer_train_now (trainer);
  while (gl_trainer_get_model_version (trainer) < 1 || !ranked)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("model v%" G_GINT64_FORMAT ": %.1f%% validation accuracy", gl_trainer_get_model_version (trainer),
                  100.0 * gl_trainer_get_accuracy (trainer));
  /* The queue reads the new ranking on a worker and swaps it in at an item
   * boundary, never under the current image: skip until an image the model
   * ranked (with its prediction) is on screen. */
  while (!current_has_prediction (window))
    {
      gint64 until = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
      g_assert_true (gl_queue_skip (queue, &error));
      g_assert_no_error (error);
      while (!current_has_prediction (window) && g_get_monotonic_time () < until)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (2000);
    }

  /* "Model v1 ready" would cover the action row (the README's label.png). */
  gleaner_test_dismiss_toasts (GTK_WIDGET (window));
  g_assert_null (gleaner_test_get_shown_toast (GTK_WIDGET (window)));
  /* The Label view paints an update over several frames. */
  gleaner_test_wait (label_view_settled,
                     gleaner_test_find_descendant (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW, 0));
  gleaner_test_wait_frames (GTK_WIDGET (window), 1);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo-label.png");
  /* Every percentage of the top classes has room for "100%" (an inscription
   * reserves average-width characters: 4 cut it to "00%"). */
  {
    GtkWidget *view = gleaner_test_find_descendant (GTK_WIDGET (window), GLEANER_TYPE_LABEL_VIEW, 0);
    guint percentages = 0;
    GtkWidget *w;
    for (guint i = 0; (w = gleaner_test_find_descendant (view, GTK_TYPE_INSCRIPTION, i)) != NULL; i++)
      {
        const char *text = gtk_inscription_get_text (GTK_INSCRIPTION (w));
        if (text == NULL || !g_str_has_suffix (text, "%") || !gtk_widget_get_mapped (w))
          continue;
        PangoLayout *layout = gtk_widget_create_pango_layout (w, "100%");
        int needed = 0;
        pango_layout_get_pixel_size (layout, &needed, NULL);
        g_object_unref (layout);
        g_assert_cmpint (gtk_widget_get_width (w), >=, needed);
        percentages++;
      }
    g_assert_cmpuint (percentages, ==, 3);
  }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo-label-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* A second round (its labels include audit answers), then the Insights
   * view of version 2 in both styles. */
  label_from_reference (window, db, classes, N_LABELS);
  gint64 first = gl_trainer_get_model_version (trainer);
  ranked = FALSE;
  gl_trainer_train_now (trainer);
  while (gl_trainer_get_model_version (trainer) <= first || !ranked)
    g_main_context_iteration (NULL, TRUE);
  AdwViewStack *stack = ADW_VIEW_STACK (gleaner_test_find_descendant (GTK_WIDGET (window), ADW_TYPE_VIEW_STACK, 0));
  adw_view_stack_set_visible_child_name (stack, "insights");
  InsightsWait iw = { GLEANER_INSIGHTS_VIEW (gleaner_test_find_descendant (GTK_WIDGET (window),
                                                                           GLEANER_TYPE_INSIGHTS_VIEW, 0)),
                      gl_trainer_get_model_version (trainer) };
  gleaner_test_wait (insights_shown, &iw);
  gleaner_test_dismiss_toasts (GTK_WIDGET (window));
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo-insights.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo-insights-dark.png");
  /* The lower charts too (confusion matrix, reliability diagram). */
  GtkWidget *chart = GTK_WIDGET (gleaner_insights_view_get_chart (iw.view, GL_CHART_CONFUSION));
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (chart, GTK_TYPE_SCROLLED_WINDOW)));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo-insights-lower-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo-insights-lower.png");

  g_clear_pointer (&db, gl_db_close);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_unsetenv ("GLEANER_DEMO_DIR");
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  /* The cairo renderer needs no GL (see gleaner_test_app_init). */
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/screenshots/demo", test_demo_screenshots);
  return g_test_run ();
}
