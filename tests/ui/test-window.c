/* test-window.c — the real application and window under Xvfb: the welcome
 * page, opening a project, and `gleaner` with no argument opening the demo
 * project. Each state is rendered to a PNG in the output folder. */
#include "gleaner-config.h"

#include <glib/gstdio.h>

#include "app/gl-demo.h"
#include "app/gl-queue.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-window.h"

static GleanerApplication *app;

static gboolean
window_not_loading (gpointer data)
{
  return g_strcmp0 (gleaner_window_get_state (GLEANER_WINDOW (data)), "loading") != 0;
}

static void
close_window (GleanerWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_welcome_and_open (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-window-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GSettings) settings = g_settings_new (GLEANER_APP_ID);
  g_auto (GStrv) recent = NULL;
  g_autofree char *png = NULL;
  GleanerWindow *window;
  GlProject *project;
  g_auto (GStrv) names = NULL;

  gl_project_close (gleaner_test_make_project (dir, 30));

  window = gleaner_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "welcome");
  g_assert_null (gleaner_window_get_project (window));
  png = gleaner_test_render_png (GTK_WIDGET (window), "welcome.png");

  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  project = gleaner_window_get_project (window);
  g_assert_nonnull (project);
  names = gl_project_dup_class_names (project);
  g_assert_cmpuint (g_strv_length (names), ==, 3);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==, "Shapes — Gleaner");

  /* It is remembered first among the recent projects. */
  recent = g_settings_get_strv (settings, "recent-projects");
  g_assert_nonnull (recent[0]);
  g_assert_true (g_str_has_suffix (recent[0], "/Shapes"));

  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "project.png");

  /* The keyboard shortcuts window comes from gtk/help-overlay.ui in the
   * resource (shown and checked in test-dialogs.c). */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

  /* Closing the project goes back to the welcome page, which lists it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.close-project", NULL));
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "welcome");
  g_assert_null (gleaner_window_get_project (window));
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (window), "welcome-recent.png");

  close_window (window);
  gl_remove_tree (tmp);
}

static void
test_open_missing (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-window-XXXXXX", NULL);
  g_autoptr (GFile) file = g_file_new_build_filename (tmp, "nothing-here", NULL);
  GleanerWindow *window = gleaner_window_new (app);

  gtk_window_present (GTK_WINDOW (window));
  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_not_loading, window);
  /* The error is a toast; the window stays usable on the welcome page. */
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "welcome");
  g_assert_null (gleaner_window_get_project (window));
  close_window (window);
  gl_remove_tree (tmp);
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

/* The @nth widget of @type under @widget, depth first. */
static GtkWidget *
find_descendant (GtkWidget *widget, GType type, guint nth)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();
  collect (widget, type, all);
  g_assert_cmpuint (nth, <, all->len);
  return g_ptr_array_index (all, nth);
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

/* The welcome page's New Project: name, classes, grey input of 64 × 64
 * (the default), created under ~/Gleaner and opened. */
static void
test_new_project (void)
{
  g_autofree char *expected = g_build_filename (g_get_home_dir (), "Gleaner", "Birds", NULL);
  g_autofree char *png = NULL;
  g_auto (GStrv) names = NULL;
  GleanerWindow *window = gleaner_window_new (app);
  AdwMessageDialog *dialog;
  guint h, w, c;

  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-project", NULL));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (GTK_EDITABLE (find_descendant (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, 0)), "Birds");
  gtk_editable_set_text (GTK_EDITABLE (find_descendant (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, 1)),
                         "sparrow, robin ,, wren");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "create"));
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "new-project.png");

  adw_message_dialog_response (dialog, "create");
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  g_assert_cmpstr (gl_project_get_dir (gleaner_window_get_project (window)), ==, expected);
  names = gl_project_dup_class_names (gleaner_window_get_project (window));
  g_assert_cmpuint (g_strv_length (names), ==, 3);
  g_assert_cmpstr (names[1], ==, "robin");
  gl_project_get_input_shape (gleaner_window_get_project (window), &h, &w, &c);
  g_assert_cmpuint (h, ==, 64);
  g_assert_cmpuint (c, ==, 1);
  close_window (window);
}

static void
test_demo_on_activate (void)
{
  g_autofree char *images = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *png = NULL;
  g_auto (GStrv) names = NULL;
  GleanerWindow *window;
  GList *windows;

  if (!g_file_test (images, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("Fashion-MNIST is not installed (dataset-fashion-mnist)");
      return;
    }
  tmp = g_dir_make_tmp ("gleaner-test-demo-XXXXXX", NULL);
  demo = g_build_filename (tmp, "demo", NULL);
  g_setenv ("GLEANER_DEMO_DIR", demo, TRUE);

  /* `gleaner` with no argument: activation opens a window on the demo. */
  g_application_activate (G_APPLICATION (app));
  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  g_assert_nonnull (windows);
  window = GLEANER_WINDOW (windows->data);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  names = gl_project_dup_class_names (gleaner_window_get_project (window));
  g_assert_cmpuint (g_strv_length (names), ==, 10);
  g_assert_cmpstr (names[0], ==, gl_demo_class_names ()[0]);
  g_assert_true (g_file_test (demo, G_FILE_TEST_IS_DIR));

  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  png = gleaner_test_render_png (GTK_WIDGET (window), "demo.png");
  close_window (window);
  g_unsetenv ("GLEANER_DEMO_DIR");
  gl_remove_tree (tmp);
}

/* The Preferences reach the open project: the strategy the queue ranks
 * with, the trainer's retrain-every, audit share and threads, and the
 * validation share and augmentation it stores in the project. */
static void
test_preferences_applied (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-prefs-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  g_autofree char *dir = g_build_filename (tmp, "Prefs", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GSettings) settings = g_settings_new (GLEANER_APP_ID);
  g_autofree char *strategy = NULL;
  GleanerWindow *window;
  GlDb *db;

  gl_project_close (gleaner_test_make_project (dir, 20));
  window = gleaner_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");

  g_settings_set_uint (settings, "retrain-every", 7);
  g_assert_cmpuint (gl_trainer_get_retrain_every (gleaner_window_get_trainer (window)), ==, 7);
  g_settings_set_string (settings, "acquisition-strategy", "margin");
  strategy = gl_queue_dup_strategy (gleaner_window_get_queue (window));
  g_assert_cmpstr (strategy, ==, "margin");
  g_settings_set_double (settings, "audit-share", 0.25);
  g_assert_cmpfloat_with_epsilon (gl_trainer_get_audit_share (gleaner_window_get_trainer (window)), 0.25, 1e-9);
  g_settings_set_uint (settings, "threads", 1);
  g_assert_cmpuint (gl_trainer_get_n_threads (gleaner_window_get_trainer (window)), ==, 1);
  g_settings_set_double (settings, "validation-share", 0.3);
  g_assert_cmpfloat_with_epsilon (gl_trainer_get_validation_share (gleaner_window_get_trainer (window)), 0.3, 1e-9);
  g_settings_set_boolean (settings, "augmentation", FALSE);
  g_assert_false (gl_trainer_get_augmentation (gleaner_window_get_trainer (window)));
  db = gl_project_get_db (gleaner_window_get_project (window));
  g_assert_cmpfloat_with_epsilon (gl_db_get_setting_double (db, GL_DB_SETTING_VALIDATION_SHARE, 0.0), 0.3, 1e-9);
  g_assert_false (gl_db_get_setting_boolean (db, GL_DB_SETTING_AUGMENTATION, TRUE));

  g_settings_reset (settings, "retrain-every");
  g_settings_reset (settings, "acquisition-strategy");
  g_settings_reset (settings, "validation-share");
  g_settings_reset (settings, "augmentation");
  g_settings_reset (settings, "audit-share");
  g_settings_reset (settings, "threads");
  g_assert_cmpuint (gl_trainer_get_retrain_every (gleaner_window_get_trainer (window)), ==, 50);
  close_window (window);
  gl_remove_tree (tmp);
}

/* A project's own strategy, validation share and augmentation survive being
 * opened with other Preferences, which then show the project's values. */
static void
test_project_preferences_kept (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-own-prefs-XXXXXX", NULL);
  g_assert_nonnull (tmp);
  g_autofree char *dir = g_build_filename (tmp, "Own", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GSettings) settings = g_settings_new (GLEANER_APP_ID);
  g_autofree char *strategy = NULL;
  g_autofree char *shown = NULL;
  GlProject *project = gleaner_test_make_project (dir, 20);
  GlDb *db = gl_project_get_db (project);
  GleanerWindow *window;

  g_assert_true (gl_db_set_setting (db, GL_DB_SETTING_ACQUISITION, "entropy", NULL));
  g_assert_true (gl_db_set_setting (db, GL_DB_SETTING_VALIDATION_SHARE, "0.35", NULL));
  g_assert_true (gl_db_set_setting (db, GL_DB_SETTING_AUGMENTATION, "0", NULL));
  gl_project_close (project);
  g_settings_set_string (settings, "acquisition-strategy", "margin");
  g_settings_set_double (settings, "validation-share", 0.1);
  g_settings_set_boolean (settings, "augmentation", TRUE);

  window = gleaner_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_window_open_project (window, file);
  gleaner_test_wait (window_not_loading, window);
  g_assert_cmpstr (gleaner_window_get_state (window), ==, "project");
  strategy = gl_queue_dup_strategy (gleaner_window_get_queue (window));
  g_assert_cmpstr (strategy, ==, "entropy");
  g_assert_cmpfloat_with_epsilon (gl_trainer_get_validation_share (gleaner_window_get_trainer (window)), 0.35, 1e-9);
  g_assert_false (gl_trainer_get_augmentation (gleaner_window_get_trainer (window)));
  db = gl_project_get_db (gleaner_window_get_project (window));
  g_assert_cmpfloat_with_epsilon (gl_db_get_setting_double (db, GL_DB_SETTING_VALIDATION_SHARE, 0.0), 0.35, 1e-9);
  g_assert_false (gl_db_get_setting_boolean (db, GL_DB_SETTING_AUGMENTATION, TRUE));
  shown = g_settings_get_string (settings, "acquisition-strategy");
  g_assert_cmpstr (shown, ==, "entropy");
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "validation-share"), 0.35, 1e-9);
  g_assert_false (g_settings_get_boolean (settings, "augmentation"));

  g_settings_reset (settings, "acquisition-strategy");
  g_settings_reset (settings, "validation-share");
  g_settings_reset (settings, "augmentation");
  close_window (window);
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *home = NULL;
  int status;

  /* The cairo renderer needs no GL; probing the X server's GL driver only
   * loads and unloads a driver that leaks (LeakSanitizer cannot name it). */
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  /* New projects go under ~/Gleaner: a home of the test's own (set before
   * GLib reads and caches it). */
  home = g_dir_make_tmp ("gleaner-test-home-XXXXXX", NULL);
  g_assert_nonnull (home);
  g_setenv ("HOME", home, TRUE);
  g_test_init (&argc, &argv, NULL);
  app = gleaner_application_new (G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  /* Screenshots show settled states, not the middle of a crossfade. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  /* Keep the application alive between tests (no window is open at times). */
  g_application_hold (G_APPLICATION (app));

  g_test_add_func ("/window/welcome-and-open", test_welcome_and_open);
  g_test_add_func ("/window/open-missing", test_open_missing);
  g_test_add_func ("/window/new-project", test_new_project);
  g_test_add_func ("/window/demo-on-activate", test_demo_on_activate);
  g_test_add_func ("/window/preferences-applied", test_preferences_applied);
  g_test_add_func ("/window/project-preferences-kept", test_project_preferences_kept);
  status = g_test_run ();

  g_application_release (G_APPLICATION (app));
  g_clear_object (&app);
  /* With the projects made under it (~/Gleaner). */
  gl_remove_tree (home);
  return status;
}
