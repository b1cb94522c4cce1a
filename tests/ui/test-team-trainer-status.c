/* The training status while a team's trainer holds the lease (issue 18):
 * the window's own trainer is asked to train, defers, and the status bar
 * names the holder; once the lease is given back the status says so no
 * more. Screenshots in light and dark style: team-trainer-status*.png. */
#include "gleaner-config.h"

#include <adwaita.h>
#include <string.h>

#include "db/gl-db-trainer-lease.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-training-status.h"
#include "ui/gleaner-window.h"

static const char shown[] = "The team's trainer on trainer-host pid 4242 (annotator ann) trains this project";

/* The status bar's label that reads @data, if any. */
static gboolean
status_reads (GtkWidget *status, const char *text)
{
  for (guint i = 0;; i++)
    {
      GtkWidget *label = gleaner_test_find_descendant (status, GTK_TYPE_LABEL, i);
      if (label == NULL)
        return FALSE;
      if (g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0 && gtk_widget_get_visible (label))
        return TRUE;
    }
}

static gboolean
deferred_shown (gpointer data)
{
  return status_reads (data, shown);
}

static gboolean
deferred_gone (gpointer data)
{
  return !status_reads (data, shown);
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
test_deferred (gconstpointer data)
{
  GleanerApplication *app = (GleanerApplication *) data;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-team-trainer-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "project", NULL);
  GlProject *made = gleaner_test_make_project (dir, 12);
  /* Another process holds the trainer lease. */
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (made), &error);
  g_assert_no_error (error);
  g_assert_true (gl_db_trainer_lease_prepare (db, &error));
  GlDbTrainerHolder other = { (char *) "tok-other", (char *) "trainer-host", 4242, (char *) "ann", 0, 0, 0 };
  gboolean held = FALSE;
  g_assert_true (gl_db_trainer_lease_take (db, &other, 600, &held, &error));
  g_assert_true (held);
  gl_project_close (made);

  GleanerWindow *window = gleaner_test_open_window (app, dir);
  GtkWidget *win = GTK_WIDGET (window);
  GtkWidget *status = gleaner_test_find_descendant (win, GLEANER_TYPE_TRAINING_STATUS, 0);
  g_assert_nonnull (status);
  GlTrainer *trainer = gleaner_window_get_trainer (window);
  g_assert_nonnull (trainer);
  gl_trainer_train_now (trainer);
  g_assert_cmpint (gl_trainer_get_state (trainer), !=, GL_TRAINER_TRAINING); /* deferred */
  gleaner_test_wait (deferred_shown, status);
  screenshots (win, "team-trainer-status");

  /* The lease given back: the trainer notices at its next poll and trains. */
  g_assert_true (gl_db_trainer_lease_release (db, "tok-other", &error));
  gleaner_test_wait (deferred_gone, status);
  g_assert_null (gl_trainer_get_team_trainer (trainer));
  gtk_window_destroy (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  GleanerApplication *app = gleaner_test_app_init (&argc, &argv);
  g_test_add_data_func ("/team-trainer/status", app, test_deferred);
  return gleaner_test_app_run (app);
}
