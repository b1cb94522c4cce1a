/* test-window.c — the real application and window under Xvfb: the welcome
 * page, opening a project, and `gleaner` with no argument opening the demo
 * project. Each state is rendered to a PNG in the output folder. */
#include "gleaner-config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "app/gl-demo.h"
#include "app/gl-queue.h"
#include "app/gl-rescore.h"
#include "app/gl-trainer.h"
#include "app/gl-watch.h"
#include "db/gl-db.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-training-status.h"
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
  dialog = ADW_MESSAGE_DIALOG (gleaner_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "create"));
  gtk_editable_set_text (GTK_EDITABLE (gleaner_test_find_descendant (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, 0)), "Birds");
  gtk_editable_set_text (GTK_EDITABLE (gleaner_test_find_descendant (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, 1)),
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

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* A wait that never ends fails with a message naming what it waited for
 * (in a subprocess, with a deadline of a second). */
static void
test_wait_deadline (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("GLEANER_TEST_WAIT_SECONDS", "1", TRUE);
      gleaner_test_wait (never, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*waited 1 s in vain for *test-window.c:*: never (NULL)*");
}

/* The label of the first item of @menu (sections included) whose action is
 * @action, or NULL. */
static char *
find_menu_item (GMenuModel *menu, const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *item_action = NULL;
      g_autofree char *label = NULL;
      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &item_action)
          && g_strcmp0 (item_action, action) == 0 && g_menu_model_get_item_attribute (menu, i, "label", "s", &label))
        return g_steal_pointer (&label);
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);
      char *found = section ? find_menu_item (section, action) : NULL;
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
project_has_32_images (gpointer data)
{
  GlProjectInfo info;
  g_assert_true (gl_project_get_info (gleaner_window_get_project (data), &info, NULL));
  guint64 n = info.images;
  gl_project_info_clear (&info);
  return n == 32;
}

/* A watched folder: images that arrived while the project was closed are
 * imported when it opens, with a toast; the menu lists the folder, and
 * stopping to watch it from there takes it off the project's list. */
static void
test_watched_folder (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-watch-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *incoming = g_build_filename (tmp, "incoming", NULL);
  GlProject *project = gleaner_test_make_project (dir, 30);
  g_autoptr (GError) error = NULL;

  /* Images 30 and 31: new to the project. */
  gleaner_test_write_images (incoming, 32);
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *name = g_strdup_printf ("image-%04u.png", i);
      g_autofree char *path = g_build_filename (incoming, name, NULL);
      g_assert_no_errno (g_unlink (path));
    }
  g_assert_true (gl_watch_add_folder (project, incoming, &error));
  g_assert_no_error (error);
  gl_project_close (project);

  GleanerWindow *window = gleaner_test_open_window (app, dir);
  gleaner_test_wait (project_has_32_images, window);
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  g_assert_cmpstr (gleaner_test_get_shown_toast (GTK_WIDGET (window)), ==, "2 new images from a watched folder");

  GtkMenuButton *menu_button
      = GTK_MENU_BUTTON (gleaner_test_find_descendant (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON, 0));
  GMenuModel *menu = gtk_menu_button_get_menu_model (menu_button);
  g_autofree char *watch_label = find_menu_item (menu, "win.watch-folder");
  g_assert_cmpstr (watch_label, ==, "_Watch a Folder…");
  g_autofree char *stop_label = find_menu_item (menu, "win.unwatch-folder");
  g_assert_cmpstr (stop_label, ==, "Stop Watching “incoming”");
  gleaner_test_dismiss_toasts (GTK_WIDGET (window));
  gtk_menu_button_popup (menu_button);
  GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (menu_button));
  gleaner_test_wait_frames (popover, 3);
  g_free (gleaner_test_render_png (popover, "watch-menu.png"));
  gtk_menu_button_popdown (menu_button);

  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (window), "win.unwatch-folder",
                                                        g_variant_new_bytestring (incoming)));
  g_auto (GStrv) left = gl_watch_list_folders (gleaner_window_get_project (window));
  g_assert_cmpuint (g_strv_length (left), ==, 0);
  g_autofree char *gone = find_menu_item (menu, "win.unwatch-folder");
  g_assert_null (gone);

  gleaner_test_dismiss_toasts (GTK_WIDGET (window));
  close_window (window);
  gl_remove_tree (tmp);
}

/* The About window, from the primary menu's action, names the application
 * and its version. */
static void
test_about (void)
{
  GleanerWindow *window = gleaner_window_new (app);
  GtkMenuButton *menu_button;
  GMenuModel *menu;
  gboolean listed = FALSE;
  AdwAboutWindow *about;
  gboolean name_shown = FALSE, version_shown = FALSE;
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autofree char *png = NULL;

  gtk_window_present (GTK_WINDOW (window));
  menu_button = GTK_MENU_BUTTON (gleaner_test_find_descendant (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON, 0));
  g_assert_nonnull (menu_button);
  menu = gtk_menu_button_get_menu_model (menu_button);
  g_assert_nonnull (menu);
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);
      GMenuModel *items = section != NULL ? section : menu;
      for (int k = 0; k < g_menu_model_get_n_items (items); k++)
        {
          g_autofree char *action = NULL;
          if (g_menu_model_get_item_attribute (items, k, G_MENU_ATTRIBUTE_ACTION, "s", &action)
              && g_strcmp0 (action, "app.about") == 0)
            listed = TRUE;
        }
    }
  g_assert_true (listed);

  g_assert_null (gleaner_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "app.about", NULL));
  about = ADW_ABOUT_WINDOW (gleaner_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW));
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_application_name (about), ==, "Gleaner");
  g_assert_cmpstr (adw_about_window_get_version (about), ==, GLEANER_VERSION);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (about)) == GTK_WINDOW (window));
  /* Shown, not only set: labels of the window carry both. */
  gleaner_test_wait_frames (GTK_WIDGET (about), 3);
  for (guint i = 0;; i++)
    {
      GtkWidget *label = gleaner_test_find_descendant (GTK_WIDGET (about), GTK_TYPE_LABEL, i);
      if (label == NULL)
        break;
      if (!gtk_widget_is_drawable (label))
        continue;
      name_shown |= g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), "Gleaner") == 0;
      version_shown |= g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), GLEANER_VERSION) == 0;
    }
  g_assert_true (name_shown);
  g_assert_true (version_shown);
  png = gleaner_test_render_png (GTK_WIDGET (about), "about.png");
  close_window (GLEANER_WINDOW (window));
  g_assert_null (gleaner_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW));
}

typedef struct
{
  GleanerWindow *window;
  GlTrainer *trainer;
  gint64 version;
  const char *text; /* a toast or the progress, by prefix */
  GtkLabel *label;
  GtkProgressBar *bar;
  char *start_text;      /* the status as a round's state became training */
  double start_fraction;
} Training;

static void
on_round_start (GlTrainer *trainer, GParamSpec *pspec, Training *t)
{
  if (t->start_text != NULL || gl_trainer_get_state (trainer) != GL_TRAINER_TRAINING)
    return;
  t->start_text = g_strdup (gtk_label_get_text (t->label));
  t->start_fraction = gtk_progress_bar_get_fraction (t->bar);
}

static gboolean
trainer_idle_at (gpointer data)
{
  Training *t = data;
  return gl_trainer_get_model_version (t->trainer) == t->version && gl_trainer_get_state (t->trainer) == GL_TRAINER_IDLE;
}

static gboolean
toast_shown (gpointer data)
{
  Training *t = data;
  return g_str_has_prefix (gleaner_test_get_shown_toast (GTK_WIDGET (t->window)) ?: "", t->text);
}

static gboolean
progress_shows (gpointer data)
{
  Training *t = data;
  return gl_trainer_get_state (t->trainer) == GL_TRAINER_TRAINING
         && strstr (gtk_label_get_text (t->label), t->text) != NULL;
}

static gboolean
trainer_idle (gpointer data)
{
  Training *t = data;
  return gl_trainer_get_state (t->trainer) == GL_TRAINER_IDLE;
}

/* Train Now in the training status: a round makes model v1, a second one
 * v2 with the toast "Model v2 ready — x% (+d)" from the trainer's figures;
 * a long third round starts with an empty bar and none of the second round's
 * epochs or speed, then shows its own epoch and images/s, and Cancel ends
 * it, the status idle again on model v2. */
static void
test_training (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-training-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Train", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *png = NULL;
  Training t = { 0 };
  GtkWidget *status;
  GtkButton *train, *cancel;
  GtkWidget *bar;
  GlQueue *queue;
  double first;
  gulong start_id;
  g_autofree char *running = NULL;

  gl_project_close (gleaner_test_make_project (dir, 60));
  t.window = gleaner_test_open_window (app, dir);
  t.trainer = gleaner_window_get_trainer (t.window);
  queue = gleaner_window_get_queue (t.window);
  gl_trainer_set_retrain_every (t.trainer, 1000);
  gl_trainer_set_max_epochs (t.trainer, 2);
  gl_trainer_set_min_steps (t.trainer, 0);
  gleaner_test_wait (trainer_idle, &t);
  for (guint i = 0; i < 30; i++)
    {
      g_autoptr (GError) error = NULL;
      const GlQueueItem *item = gl_queue_get_current (queue);
      g_assert_nonnull (item);
      g_assert_true (gl_queue_label (queue, (gint) (item->image_id % 3), GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
    }

  status = gleaner_test_find_descendant (GTK_WIDGET (t.window), GLEANER_TYPE_TRAINING_STATUS, 0);
  g_assert_nonnull (status);
  train = gleaner_test_find_button (status, "_Train Now");
  cancel = gleaner_test_find_button (status, "_Cancel");
  g_assert_nonnull (train);
  g_assert_nonnull (cancel);
  bar = gleaner_test_find_descendant (status, GTK_TYPE_PROGRESS_BAR, 0);
  /* model, accuracy, the newest batch's estimate, progress: the fourth label not on a button. */
  t.label = GTK_LABEL (gleaner_test_find_descendant (status, GTK_TYPE_LABEL, 3));
  g_assert_null (gtk_widget_get_ancestor (GTK_WIDGET (t.label), GTK_TYPE_BUTTON));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (cancel)));

  g_signal_emit_by_name (train, "clicked");
  t.version = 1;
  gleaner_test_wait (trainer_idle_at, &t);
  first = gl_trainer_get_accuracy (t.trainer);
  g_assert_true (isfinite (first));
  g_signal_emit_by_name (train, "clicked");
  t.version = 2;
  gleaner_test_wait (trainer_idle_at, &t);
  g_assert_true (isfinite (gl_trainer_get_accuracy (t.trainer)));
  expected = g_strdup_printf ("Model v2 ready — %.1f%% (%+.1f)", 100.0 * gl_trainer_get_accuracy (t.trainer),
                              100.0 * (gl_trainer_get_accuracy (t.trainer) - first));
  t.text = "Model v2 ";
  gleaner_test_wait (toast_shown, &t);
  g_assert_cmpstr (gleaner_test_get_shown_toast (GTK_WIDGET (t.window)), ==, expected);

  /* A round long enough to be seen and cancelled. As its state becomes
   * training (the status updated first: it was connected first), before its
   * first progress report, the status shows neither the second round's epoch
   * ("epoch 1 of 2", where it ended as far as its reports told) nor its
   * speed, and an empty bar. */
  gl_trainer_set_max_epochs (t.trainer, 100000);
  gl_trainer_set_time_budget (t.trainer, 600.0);
  t.bar = GTK_PROGRESS_BAR (bar);
  start_id = g_signal_connect (t.trainer, "notify::state", G_CALLBACK (on_round_start), &t);
  g_signal_emit_by_name (train, "clicked");
  g_signal_handler_disconnect (t.trainer, start_id);
  g_assert_cmpstr (t.start_text, ==, "Training");
  g_assert_cmpfloat (t.start_fraction, ==, 0.0);
  /* Then the round's own figures, its running epoch as the trainer counts it. */
  t.text = " of 100000 · ";
  gleaner_test_wait (progress_shows, &t);
  g_test_message ("progress: %s", gtk_label_get_text (t.label));
  g_assert_true (g_regex_match_simple ("^Training — epoch [0-9]+ of [0-9]+ · [0-9,.]+ images/s$",
                                       gtk_label_get_text (t.label), 0, 0));
  running = g_strdup_printf ("Training — epoch %u of ", gl_trainer_get_epoch (t.trainer));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (t.label), running));
  g_assert_true (gtk_widget_get_visible (bar));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (cancel)));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (train)));
  gleaner_test_wait_frames (GTK_WIDGET (t.window), 2);
  png = gleaner_test_render_png (status, "training-status.png");

  g_signal_emit_by_name (cancel, "clicked");
  gleaner_test_wait (trainer_idle, &t);
  g_assert_cmpint (gl_trainer_get_model_version (t.trainer), ==, 2);
  g_assert_false (gtk_widget_get_visible (bar));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (cancel)));
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (train)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gleaner_test_find_descendant (status, GTK_TYPE_LABEL, 0))), ==,
                   "Model v2");
  g_assert_null (strstr (gtk_label_get_text (t.label), "epoch"));
  /* No model v3 and no failure toast: a cancellation is no event. */
  gleaner_test_wait_frames (GTK_WIDGET (t.window), 3);
  g_assert_false (g_str_has_prefix (gleaner_test_get_shown_toast (GTK_WIDGET (t.window)) ?: "", "Model v3"));
  g_assert_false (g_str_has_prefix (gleaner_test_get_shown_toast (GTK_WIDGET (t.window)) ?: "", "Training failed"));

  /* A rescore budget that stops the next round after its first chunk (of
   * 10 images): v3 is saved, not current, and the status says so. */
  gl_rescore_test_set_chunks (10, 10);
  gl_trainer_set_rescore_budget (t.trainer, 1e-9);
  gl_trainer_set_max_epochs (t.trainer, 1);
  gl_trainer_set_min_steps (t.trainer, 0);
  g_signal_emit_by_name (train, "clicked");
  gleaner_test_wait (trainer_idle, &t);
  gint64 waiting = -1;
  guint64 skipped = gl_trainer_get_rescore_skipped (t.trainer, &waiting);
  g_assert_cmpuint (skipped, >, 0);
  g_assert_cmpint (waiting, ==, 3);
  g_assert_cmpint (gl_trainer_get_model_version (t.trainer), ==, 2);
  g_autofree char *skip_text
      = g_strdup_printf ("Model v3 is not in use yet: the rescore budget skipped %" G_GUINT64_FORMAT " images", skipped);
  g_assert_cmpstr (gtk_label_get_text (t.label), ==, skip_text);
  gleaner_test_wait_frames (GTK_WIDGET (t.window), 2);
  g_autofree char *skip_png = gleaner_test_render_png (status, "training-status-skipped.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (t.window), 2);
  g_autofree char *skip_dark_png = gleaner_test_render_png (status, "training-status-skipped-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gl_rescore_test_set_chunks (0, 0);

  close_window (t.window);
  gl_remove_tree (tmp);
  g_free (t.start_text);
}

int
main (int argc, char **argv)
{
  g_autofree char *home = NULL;
  int status;

  /* New projects go under ~/Gleaner: a home of the test's own (set before
   * GLib reads and caches it). */
  home = g_dir_make_tmp ("gleaner-test-home-XXXXXX", NULL);
  g_assert_nonnull (home);
  g_setenv ("HOME", home, TRUE);
  app = gleaner_test_app_init (&argc, &argv);

  g_test_add_func ("/window/wait-deadline", test_wait_deadline);
  g_test_add_func ("/window/welcome-and-open", test_welcome_and_open);
  g_test_add_func ("/window/open-missing", test_open_missing);
  g_test_add_func ("/window/new-project", test_new_project);
  g_test_add_func ("/window/demo-on-activate", test_demo_on_activate);
  g_test_add_func ("/window/preferences-applied", test_preferences_applied);
  g_test_add_func ("/window/project-preferences-kept", test_project_preferences_kept);
  g_test_add_func ("/window/about", test_about);
  g_test_add_func ("/window/watched-folder", test_watched_folder);
  g_test_add_func ("/window/training", test_training);
  status = gleaner_test_app_run (app); /* runs the tests, which use app */
  app = NULL;
  /* With the projects made under it (~/Gleaner). */
  gl_remove_tree (home);
  return status;
}
