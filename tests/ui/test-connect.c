/* GUI tests of "Connect to a Team Project" (issue 18), the real application
 * under Xvfb:
 *   /connect/dialog  the welcome page's button opens it; the dialog's fields: Connect only with a connection
 *                    string and a valid name; the password masked and only
 *                    in the string handed to the window; rendered in light
 *                    and dark style (connect-dialog{,-dark}.png);
 *   /connect/open    on a throwaway PostgreSQL server (tests/db/gl-test-pg.h)
 *                    the dialog's Connect opens the team project in the
 *                    window, sets the annotator, and the title and the
 *                    recent projects show the string without its password. */
#include "gleaner-config.h"

#include <string.h>

#include "app/gl-identity.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-connect-dialog.h"

#include "../db/gl-test-pg.h"

static GleanerApplication *app;

static void
close_window (GtkWindow *window)
{
  gtk_window_destroy (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
test_dialog (void)
{
  GleanerWindow *window = gleaner_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_present (GTK_WINDOW (window));
  /* The welcome page's button opens the dialog. */
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  GtkButton *button = gleaner_test_find_button (GTK_WIDGET (window), "Connect to a _Team Project…");
  g_assert_nonnull (button);
  g_autofree char *welcome = gleaner_test_render_png (GTK_WIDGET (window), "connect-welcome.png");
  g_signal_emit_by_name (button, "clicked");
  GleanerConnectDialog *dialog = GLEANER_CONNECT_DIALOG (gleaner_test_find_toplevel (GLEANER_TYPE_CONNECT_DIALOG));
  g_assert_nonnull (dialog);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);

  /* Empty: no Connect. A folder is not a connection string; "import" is no annotator's name. */
  g_assert_false (gleaner_connect_dialog_can_connect (dialog));
  gleaner_connect_dialog_fill (dialog, "/home/me/Gleaner/Shapes", "", "bea");
  g_assert_false (gleaner_connect_dialog_can_connect (dialog));
  gleaner_connect_dialog_fill (dialog, "postgresql://bea@db.example.org/shapes", "hunter2", "import");
  g_assert_false (gleaner_connect_dialog_can_connect (dialog));
  gleaner_connect_dialog_fill (dialog, "postgresql://bea@db.example.org/shapes", "hunter2", "bea");
  g_assert_true (gleaner_connect_dialog_can_connect (dialog));

  /* The password: masked on screen, in the window's string only. */
  GtkWidget *password_row = gleaner_test_find_descendant (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW, 0);
  g_assert_nonnull (password_row);
  GtkWidget *text = gleaner_test_find_descendant (password_row, GTK_TYPE_TEXT, 0);
  g_assert_nonnull (text);
  g_assert_false (gtk_text_get_visibility (GTK_TEXT (text)));
  g_autoptr (GError) error = NULL;
  g_autofree char *target = gleaner_connect_dialog_dup_target (dialog, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (target, "password='hunter2'"));
  g_assert_nonnull (strstr (target, "host='db.example.org'"));
  g_assert_nonnull (strstr (target, "dbname='shapes'"));

  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  g_autofree char *png = gleaner_test_render_png (GTK_WIDGET (dialog), "connect-dialog.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  g_autofree char *dark = gleaner_test_render_png (GTK_WIDGET (dialog), "connect-dialog-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* A string that does not parse: an error that does not quote it. */
  gleaner_connect_dialog_fill (dialog, "postgresql://bea:hunter2@[::1/shapes", "", "bea");
  g_clear_pointer (&target, g_free);
  target = gleaner_connect_dialog_dup_target (dialog, &error);
  g_assert_null (target);
  g_clear_error (&error);
  gleaner_connect_dialog_fill (dialog, "postgresql://bea:hunter2@[::1/shapes", "other", "bea");
  target = gleaner_connect_dialog_dup_target (dialog, &error);
  g_assert_null (target);
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "hunter2"));
  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
}

static gboolean
project_open (gpointer data)
{
  return gleaner_window_get_project (GLEANER_WINDOW (data)) != NULL;
}

static void
test_open (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlTestPg) pg = gl_test_pg_start (&error);
  if (pg == NULL)
    {
      g_autofree char *why = g_strdup_printf ("no PostgreSQL server for the test: %s", error->message);
      g_test_skip (why);
      return;
    }
  g_assert_true (gl_test_pg_create_db (pg, "shapes", &error));
  g_assert_no_error (error);
  g_autofree char *settings = gl_test_pg_target (pg, "shapes");
  const char *classes[] = { "circle", "square", NULL };
  GlProject *made = gl_project_create (settings, 28, 28, 1, classes, &error);
  g_assert_no_error (error);
  gl_project_close (made);

  GleanerWindow *window = gleaner_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_present (GTK_WINDOW (window));
  GleanerConnectDialog *dialog = gleaner_connect_dialog_new (GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (dialog));
  /* The test server trusts its socket: the password is carried, not checked. */
  gleaner_connect_dialog_fill (dialog, settings, "hunter2", "cy");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "connect");
  gleaner_test_wait (project_open, window);

  GlProject *project = gleaner_window_get_project (window);
  g_assert_true (gl_project_is_team (project));
  /* Live updates started (no "Live updates are off" toast). */
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  g_assert_null (gleaner_test_get_shown_toast (GTK_WIDGET (window)));
  g_assert_null (strstr (gl_project_get_name (project), "hunter2"));
  g_assert_nonnull (strstr (gtk_window_get_title (GTK_WINDOW (window)), "shapes"));
  g_assert_null (strstr (gtk_window_get_title (GTK_WINDOW (window)), "hunter2"));
  g_autofree char *who = gl_identity_current (NULL);
  g_assert_cmpstr (who, ==, "cy");
  g_autoptr (GSettings) gs = g_settings_new (GLEANER_APP_ID);
  g_auto (GStrv) recent = g_settings_get_strv (gs, "recent-projects");
  g_assert_nonnull (recent[0]);
  g_assert_cmpstr (recent[0], ==, gl_project_get_name (project));
  for (guint i = 0; recent[i]; i++)
    g_assert_null (strstr (recent[i], "hunter2"));
  gleaner_test_wait_frames (GTK_WIDGET (window), 3);
  g_autofree char *png = gleaner_test_render_png (GTK_WIDGET (window), "connect-opened.png");
  close_window (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("gleaner-test-connect-XXXXXX", NULL);
  g_assert_nonnull (home);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  app = gleaner_test_app_init (&argc, &argv);
  g_test_add_func ("/connect/dialog", test_dialog);
  g_test_add_func ("/connect/open", test_open);
  int status = gleaner_test_app_run (app);
  app = NULL;
  gl_remove_tree (home);
  return status;
}
