/* test-dialogs.c — the dialogs of the real window under Xvfb: Import (a
 * folder with new, duplicate and unreadable files: progress, then a summary
 * listing the unreadable file; a summary of 210 unreadable files whose Close
 * button stays in view), Export (CSV into a folder), Classes (the
 * class operations through app/gl-session.h and the dialog's list), and
 * Preferences (bound to GSettings), and the keyboard shortcuts window (every
 * accelerator of the application listed). Each is rendered to PNG. */
#include "gleaner-config.h"

#include <glib/gstdio.h>

#include "app/gl-identity.h"
#include "app/gl-queue.h"
#include "app/gl-session.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-classes-dialog.h"
#include "ui/gleaner-export-dialog.h"
#include "ui/gleaner-import-dialog.h"
#include "ui/gleaner-preferences-window.h"
#include "ui/gleaner-window.h"

static GleanerApplication *app;

static void
close_window (GtkWindow *window)
{
  gtk_window_destroy (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Labels the next @n queued images with the first @n_classes classes in turn. */
static void
label_queued (GlQueue *queue, guint n, guint n_classes)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_true (gl_queue_label (queue, (gint) (i % n_classes), GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
    }
}

static guint
count_rows (GtkWidget *widget, GType type)
{
  guint n = G_TYPE_CHECK_INSTANCE_TYPE (widget, type) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    n += count_rows (child, type);
  return n;
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  GListModel *controllers = gtk_widget_observe_controllers (widget);
  GtkDropTarget *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && found == NULL; i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);
      if (GTK_IS_DROP_TARGET (controller))
        found = GTK_DROP_TARGET (controller);
    }
  g_object_unref (controllers);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && found == NULL;
       child = gtk_widget_get_next_sibling (child))
    found = find_drop_target (child);
  return found;
}

/* What a drop of @path from a file manager delivers to the window's drop target. */
static void
drop_file (GtkWidget *window, const char *path)
{
  GtkDropTarget *target = find_drop_target (window);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  GSList *files = g_slist_prepend (NULL, file);
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  g_assert_nonnull (target);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_set_boxed (&value, files);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_slist_free (files);
  g_assert_true (accepted);
}

/* The visible action row under @root whose title ends in @suffix. */
static AdwActionRow *
find_action_row (GtkWidget *root, const char *suffix)
{
  GtkWidget *row;

  for (guint i = 0; (row = gleaner_test_find_descendant (root, ADW_TYPE_ACTION_ROW, i)) != NULL; i++)
    if (gtk_widget_is_drawable (row) && g_str_has_suffix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), suffix))
      return ADW_ACTION_ROW (row);
  g_error ("no row “…%s”", suffix);
}

static gboolean
import_finished (gpointer data)
{
  return gleaner_import_dialog_get_summary (GLEANER_IMPORT_DIALOG (data)) != NULL;
}

static void
test_import (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *more = g_build_filename (tmp, "more", NULL);
  g_autofree char *more_images = g_build_filename (tmp, "more-images", NULL);
  g_autofree char *broken = NULL;
  g_autofree char *dup = NULL;
  g_autofree char *first = NULL;
  g_autofree char *png = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  GleanerWindow *window;
  GleanerImportDialog *dialog;
  GtkButton *details;
  AdwActionRow *broken_row, *dup_row;
  GlProjectInfo info = { 0 };
  g_autoptr (GError) error = NULL;

  gl_project_close (gleaner_test_make_project (dir, 12));
  /* A second set: 6 new images, one broken file, one copy of an imported image. */
  gl_project_close (gleaner_test_make_project (more, 18));
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *name = g_strdup_printf ("image-%04u.png", i);
      g_autofree char *path = g_build_filename (more_images, name, NULL);
      g_assert_no_errno (g_unlink (path));
    }
  broken = g_build_filename (more_images, "broken.png", NULL);
  g_assert_true (g_file_set_contents (broken, "\x89PNG\r\n\x1a\nnot really", -1, NULL));
  first = g_build_filename (tmp, "Shapes-images", "image-0000.png", NULL);
  dup = g_build_filename (more_images, "copy-of-0000.png", NULL);
  g_assert_true (g_file_get_contents (first, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (dup, contents, (gssize) length, NULL));

  window = gleaner_test_open_window (app, dir);
  /* The folder is dropped onto the window: the import dialog opens with it. */
  g_assert_null (gleaner_test_find_toplevel (GLEANER_TYPE_IMPORT_DIALOG));
  drop_file (GTK_WIDGET (window), more_images);
  dialog = GLEANER_IMPORT_DIALOG (gleaner_test_find_toplevel (GLEANER_TYPE_IMPORT_DIALOG));
  g_assert_nonnull (dialog);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "import.png");

  gleaner_import_dialog_start (dialog);
  g_assert_true (gleaner_import_dialog_is_running (dialog));
  gleaner_test_wait (import_finished, dialog);
  g_assert_false (gleaner_import_dialog_is_running (dialog));
  g_test_message ("summary: %s", gleaner_import_dialog_get_summary (dialog));
  g_assert_true (g_str_has_prefix (gleaner_import_dialog_get_summary (dialog), "6 added, 1 unreadable, 1 duplicate"));
  /* The summary lists the skipped files, each with its reason: the
   * unreadable file and the duplicate. */
  broken_row = find_action_row (GTK_WIDGET (dialog), "/more-images/broken.png");
  g_assert_cmpstr (adw_action_row_get_subtitle (broken_row), !=, "");
  dup_row = find_action_row (GTK_WIDGET (dialog), "/more-images/copy-of-0000.png");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (dup_row), "The same content is in the project"));
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "import-summary.png");

  /* The window's toast says so, and its Details button shows this summary
   * again once the dialog is closed. */
  g_assert_cmpstr (gleaner_test_get_shown_toast (GTK_WIDGET (window)), ==,
                   "Import finished — 6 added, 1 unreadable, 1 duplicate");
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  details = gleaner_test_get_toast_button (GTK_WIDGET (window));
  g_assert_nonnull (details);
  g_assert_cmpstr (gtk_button_get_label (details), ==, "Details");
  g_signal_emit_by_name (details, "clicked");
  g_assert_true (GTK_WINDOW (dialog) == gleaner_test_find_toplevel (GLEANER_TYPE_IMPORT_DIALOG));
  g_assert_cmpstr (gleaner_import_dialog_get_summary (dialog), ==, "6 added, 1 unreadable, 1 duplicate");

  g_assert_true (gl_project_get_info (gleaner_window_get_project (window), &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.readable, ==, 18);
  g_assert_cmpuint (info.unreadable, ==, 1);
  gl_project_info_clear (&info);

  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

/* Cancel during an import of 2,000 files: the import stops with part of
 * them (or none) added, and the summary says it was cancelled. */
static void
test_import_cancel (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *many = g_build_filename (tmp, "many", NULL);
  g_autofree char *png = NULL;
  GleanerWindow *window;
  GleanerImportDialog *dialog;
  GtkButton *cancel;
  GtkWidget *page;
  GlProjectInfo info = { 0 };
  g_autoptr (GError) error = NULL;

  gl_project_close (gleaner_test_make_project (dir, 6));
  gleaner_test_write_images (many, 2000);
  window = gleaner_test_open_window (app, dir);
  drop_file (GTK_WIDGET (window), many);
  dialog = GLEANER_IMPORT_DIALOG (gleaner_test_find_toplevel (GLEANER_TYPE_IMPORT_DIALOG));
  g_assert_nonnull (dialog);
  gleaner_import_dialog_start (dialog);
  g_assert_true (gleaner_import_dialog_is_running (dialog));
  /* The progress page's Cancel, at once: 2,000 files cannot be done yet. */
  cancel = gleaner_test_find_button (GTK_WIDGET (dialog), "_Cancel");
  g_assert_nonnull (cancel);
  g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (cancel)));
  g_signal_emit_by_name (cancel, "clicked");
  gleaner_test_wait (import_finished, dialog);
  g_assert_false (gleaner_import_dialog_is_running (dialog));
  g_test_message ("summary: %s", gleaner_import_dialog_get_summary (dialog));
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 2);
  for (guint i = 0; (page = gleaner_test_find_descendant (GTK_WIDGET (dialog), ADW_TYPE_STATUS_PAGE, i)) != NULL; i++)
    if (gtk_widget_is_drawable (page))
      break;
  g_assert_nonnull (page);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (page)), ==, "Import Cancelled");
  g_assert_true (gl_project_get_info (gleaner_window_get_project (window), &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.readable, >=, 6);
  g_assert_cmpuint (info.readable, <, 6 + 2000);
  gl_project_info_clear (&info);
  /* The window's toast does not call it finished. */
  g_assert_true (g_str_has_prefix (gleaner_test_get_shown_toast (GTK_WIDGET (window)), "Import cancelled — "));
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "import-cancelled.png");

  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

/* Whether @widget lies wholly inside @window's area (not below the fold). */
static gboolean
inside_window (GtkWidget *widget, GtkWidget *window)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, window, &bounds));
  g_test_message ("%s at y %.0f…%.0f of %d", G_OBJECT_TYPE_NAME (widget), bounds.origin.y,
                  bounds.origin.y + bounds.size.height, gtk_widget_get_height (window));
  return gtk_widget_is_drawable (widget) && bounds.origin.y >= 0 && bounds.origin.x >= 0
         && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (window)
         && bounds.origin.x + bounds.size.width <= gtk_widget_get_width (window);
}

/* A summary with a long list of skipped files (210 unreadable, the first 200
 * listed): the list scrolls, Close stays in view below it, at the top of the
 * list and at its end; rendered in light and dark style. */
static void
test_import_many_skipped (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *bad = g_build_filename (tmp, "bad", NULL);
  g_autofree char *png = NULL;
  GleanerWindow *window;
  GleanerImportDialog *dialog;
  GtkButton *close;
  GtkWidget *last_row, *scrolled;
  GtkAdjustment *adjustment;

  gl_project_close (gleaner_test_make_project (dir, 6));
  g_assert_no_errno (g_mkdir_with_parents (bad, 0755));
  for (guint i = 0; i < 210; i++)
    {
      g_autofree char *name = g_strdup_printf ("broken-%03u.png", i);
      g_autofree char *path = g_build_filename (bad, name, NULL);
      g_autofree char *contents = g_strdup_printf ("\x89PNG\r\n\x1a\nnot really %u", i); /* no two alike */
      g_assert_true (g_file_set_contents (path, contents, -1, NULL));
    }
  window = gleaner_test_open_window (app, dir);
  drop_file (GTK_WIDGET (window), bad);
  dialog = GLEANER_IMPORT_DIALOG (gleaner_test_find_toplevel (GLEANER_TYPE_IMPORT_DIALOG));
  g_assert_nonnull (dialog);
  gleaner_import_dialog_start (dialog);
  gleaner_test_wait (import_finished, dialog);
  g_assert_cmpstr (gleaner_import_dialog_get_summary (dialog), ==, "0 added, 210 unreadable, 0 duplicates");
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);

  /* 200 rows listed, the last far below the window's height. */
  last_row = GTK_WIDGET (find_action_row (GTK_WIDGET (dialog), ".png"));
  g_assert_cmpuint (count_rows (gtk_widget_get_parent (last_row), ADW_TYPE_ACTION_ROW), ==, 200);
  last_row = gtk_widget_get_last_child (gtk_widget_get_parent (last_row));
  g_assert_false (inside_window (last_row, GTK_WIDGET (dialog)));
  close = gleaner_test_find_button (GTK_WIDGET (dialog), "_Close");
  g_assert_nonnull (close);
  g_assert_true (inside_window (GTK_WIDGET (close), GTK_WIDGET (dialog)));
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "import-many-skipped.png");

  /* Scrolled to the end of the list: its last row and Close both in view. */
  scrolled = gtk_widget_get_ancestor (last_row, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_nonnull (scrolled);
  g_assert_null (gtk_widget_get_ancestor (GTK_WIDGET (close), GTK_TYPE_SCROLLED_WINDOW));
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  g_assert_true (inside_window (last_row, GTK_WIDGET (dialog)));
  g_assert_true (inside_window (GTK_WIDGET (close), GTK_WIDGET (dialog)));
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "import-many-skipped-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  g_signal_emit_by_name (close, "clicked");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

/* What the fake file manager writes: the URI it was asked to open. */
static char *launched;

static gboolean
launched_written (gpointer data)
{
  g_autofree char *text = NULL;
  return g_file_get_contents (launched, &text, NULL, NULL) && strchr (text, '\n') != NULL;
}

/* Makes a script the default application for folders (XDG_DATA_HOME and
 * XDG_CONFIG_HOME of the test's own, set before GLib reads them), so that
 * "Open Folder" goes through the real launcher without starting a file
 * manager. */
static void
fake_file_manager (const char *home)
{
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *apps = g_build_filename (data, "applications", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *script = g_build_filename (home, "fake-open.sh", NULL);
  g_autofree char *script_text = NULL;
  g_autofree char *desktop = g_build_filename (apps, "gleaner-test-fake-files.desktop", NULL);
  g_autofree char *desktop_text = NULL;
  g_autofree char *mimeapps = g_build_filename (config, "mimeapps.list", NULL);

  launched = g_build_filename (home, "launched", NULL);
  g_assert_no_errno (g_mkdir_with_parents (apps, 0755));
  g_assert_no_errno (g_mkdir_with_parents (config, 0755));
  script_text = g_strdup_printf ("#!/bin/sh\necho \"$1\" > '%s.part' && mv '%s.part' '%s'\n", launched, launched,
                                 launched);
  g_assert_true (g_file_set_contents (script, script_text, -1, NULL));
  g_assert_no_errno (g_chmod (script, 0755));
  desktop_text = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Fake Files\nExec=%s %%u\n"
                                  "MimeType=inode/directory;\nNoDisplay=true\n",
                                  script);
  g_assert_true (g_file_set_contents (desktop, desktop_text, -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps,
                                      "[Default Applications]\ninode/directory=gleaner-test-fake-files.desktop\n", -1,
                                      NULL));
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
}

static gboolean
export_done (gpointer data)
{
  return !gleaner_export_dialog_is_running (GLEANER_EXPORT_DIALOG (data));
}

static void
test_export (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *target = g_build_filename (tmp, "export", NULL);
  g_autofree char *csv = g_build_filename (target, "labels.csv", NULL);
  g_autofree char *png = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *got = NULL;
  g_autoptr (GFile) opened = NULL;
  g_autoptr (GFile) folder = NULL;
  g_auto (GStrv) lines = NULL;
  GleanerWindow *window;
  GleanerExportDialog *dialog;
  GtkButton *open;
  GlQueue *queue;

  gl_project_close (gleaner_test_make_project (dir, 12));
  window = gleaner_test_open_window (app, dir);
  queue = gleaner_window_get_queue (window);
  label_queued (queue, 6, 3);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export", NULL));
  dialog = GLEANER_EXPORT_DIALOG (gleaner_test_find_toplevel (GLEANER_TYPE_EXPORT_DIALOG));
  g_assert_nonnull (dialog);
  gleaner_export_dialog_set_target (dialog, target);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "export.png");

  gleaner_export_dialog_start (dialog);
  gleaner_test_wait (export_done, dialog);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  /* A folder per class (the default format) with the six images. */
  for (guint c = 0; c < 3; c++)
    {
      static const char *names[] = { "circle", "square", "cross" };
      g_autofree char *sub = NULL;
      g_autoptr (GDir) d = NULL;
      guint n = 0;

      sub = g_build_filename (target, "train", names[c], NULL);
      if (!g_file_test (sub, G_FILE_TEST_IS_DIR))
        {
          g_free (sub);
          sub = g_build_filename (target, names[c], NULL);
        }
      d = g_dir_open (sub, 0, NULL);
      g_assert_nonnull (d);
      while (g_dir_read_name (d) != NULL)
        n++;
      g_assert_cmpuint (n, >=, 1);
    }
  g_assert_false (g_file_test (csv, G_FILE_TEST_EXISTS));
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "export-done.png");

  /* Open Folder is shown and hands the folder to the desktop's file
   * manager: here the fake one of main(), which writes down what it got. */
  open = gleaner_test_find_button (GTK_WIDGET (dialog), "_Open Folder");
  g_assert_nonnull (open);
  g_assert_true (gtk_widget_is_drawable (GTK_WIDGET (open)));
  g_assert_false (g_file_test (launched, G_FILE_TEST_EXISTS));
  g_signal_emit_by_name (open, "clicked");
  gleaner_test_wait (launched_written, NULL);
  g_assert_true (g_file_get_contents (launched, &got, NULL, NULL));
  /* (A path or a file:// URI, as the launcher sees fit.) */
  opened = g_file_new_for_commandline_arg (g_strstrip (got));
  folder = g_file_new_for_path (target);
  g_assert_true (g_file_equal (opened, folder));

  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

/* A team project: two annotators agree on one image and tie on another
 * (nobody has reference labels, so neither is more reliable); a third
 * image has one label. The dialog exports the consensus and says what it
 * left out. */
static void
test_export_team (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *target = g_build_filename (tmp, "export", NULL);
  g_autofree char *png = NULL;
  g_autoptr (GError) error = NULL;
  GlProject *project = gleaner_test_make_project (dir, 12);
  GlDb *db = gl_project_get_db (project);
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr (GArray) images = gl_db_list_unlabeled (db, -1, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, ==, 3);
  gint64 c0 = g_array_index (classes, GlDbClass, 0).id, c1 = g_array_index (classes, GlDbClass, 1).id;
  gint64 ids[3];
  for (guint i = 0; i < 3; i++)
    ids[i] = g_array_index (images, GlDbScoredImage, i).image_id;
  g_assert_true (gl_db_set_label (db, ids[0], c0, GL_DB_ORIGIN_HUMAN, "Ann", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[0], c0, GL_DB_ORIGIN_HUMAN, "Bo", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[1], c0, GL_DB_ORIGIN_HUMAN, "Ann", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[1], c1, GL_DB_ORIGIN_HUMAN, "Bo", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[2], c1, GL_DB_ORIGIN_HUMAN, "Ann", NULL, &error));
  g_assert_no_error (error);
  gl_project_close (project);

  GleanerWindow *window = gleaner_test_open_window (app, dir);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export", NULL));
  GleanerExportDialog *dialog = GLEANER_EXPORT_DIALOG (gleaner_test_find_toplevel (GLEANER_TYPE_EXPORT_DIALOG));
  g_assert_nonnull (dialog);
  gleaner_export_dialog_set_target (dialog, target);
  gleaner_export_dialog_start (dialog);
  gleaner_test_wait (export_done, dialog);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  const char *said = NULL;
  for (guint nth = 0; said == NULL; nth++)
    {
      GtkWidget *page = gleaner_test_find_descendant (GTK_WIDGET (dialog), ADW_TYPE_STATUS_PAGE, nth);
      g_assert_nonnull (page);
      if (g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (page)), "Export Finished") == 0)
        said = adw_status_page_get_description (ADW_STATUS_PAGE (page));
    }
  g_test_message ("%s", said);
  g_assert_nonnull (strstr (said, "2 images written to "));
  g_assert_nonnull (strstr (said, "1 image labeled by several annotators carries their consensus."));
  g_assert_nonnull (strstr (said, "1 image was left out: its annotators disagree and none is more reliable. Resolve it"));
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "export-team-done.png");

  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

static void
test_classes (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autofree char *png = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) classes = NULL;
  GleanerWindow *window;
  GtkWindow *dialog;
  GlProject *project;
  GlQueue *queue;
  GlSessionClass *k;
  guint64 n = 0;

  gl_project_close (gleaner_test_make_project (dir, 12));
  window = gleaner_test_open_window (app, dir);
  project = gleaner_window_get_project (window);
  queue = gleaner_window_get_queue (window);
  label_queued (queue, 4, 2);

  /* The operations behind the dialog. */
  g_assert_true (gl_session_add_class (project, "triangle", &error));
  g_assert_no_error (error);
  g_assert_false (gl_session_add_class (project, "circle", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  classes = gl_session_list_classes (project, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (classes->len, ==, 4);
  k = g_ptr_array_index (classes, 3);
  g_assert_cmpstr (k->name, ==, "triangle");
  g_assert_true (gl_session_rename_class (project, k->id, "tri", &error));
  g_assert_true (gl_session_recolour_class (project, k->id, "#123456", &error));
  g_assert_true (gl_session_move_class (project, k->id, -1, &error));
  g_assert_no_error (error);
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = gl_session_list_classes (project, &error);
  k = g_ptr_array_index (classes, 2);
  g_assert_cmpstr (k->name, ==, "tri");
  g_assert_cmpstr (k->colour, ==, "#123456");
  /* circle (2 labels) merged into square (2 labels): square has 4. */
  g_assert_true (gl_session_merge_classes (project, ((GlSessionClass *) g_ptr_array_index (classes, 0))->id,
                                           ((GlSessionClass *) g_ptr_array_index (classes, 1))->id, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = gl_session_list_classes (project, &error);
  g_assert_cmpuint (classes->len, ==, 3);
  k = g_ptr_array_index (classes, 0);
  g_assert_cmpstr (k->name, ==, "square");
  g_assert_cmpuint (k->labeled, ==, 4);
  /* Deleting square unlabels its 4 images. */
  g_assert_true (gl_session_delete_class (project, k->id, &n, &error));
  g_assert_cmpuint (n, ==, 4);

  g_assert_true (gl_session_set_class_shortcut (project, ((GlSessionClass *) g_ptr_array_index (classes, 1))->id, 'w',
                                                &error));
  g_assert_no_error (error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.classes", NULL));
  dialog = gleaner_test_find_toplevel (GLEANER_TYPE_CLASSES_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpuint (count_rows (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW), ==, 2 + 1);
  gleaner_test_wait_frames (GTK_WIDGET (dialog), 3);
  png = gleaner_test_render_png (GTK_WIDGET (dialog), "classes.png");
  close_window (dialog);
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

/* The entry row titled @title under @root. */
static GtkWidget *
find_entry_row (GtkWidget *root, const char *title)
{
  GtkWidget *row;

  for (guint i = 0; (row = gleaner_test_find_descendant (root, ADW_TYPE_ENTRY_ROW, i)) != NULL; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
      return row;
  g_error ("no row “%s”", title);
}

/* Clicks the button with @tooltip on @root's row titled "Class @n"; returns
 * the message dialog it opens. */
static AdwMessageDialog *
click_row_button (GtkWidget *root, guint n, const char *tooltip)
{
  g_autofree char *title = g_strdup_printf ("Class %u", n);
  GtkWidget *row = find_entry_row (root, title);
  GtkWidget *button;

  for (guint i = 0; (button = gleaner_test_find_descendant (row, GTK_TYPE_BUTTON, i)) != NULL; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (button), tooltip) == 0)
      break;
  g_assert_nonnull (button);
  g_assert_null (gleaner_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_signal_emit_by_name (button, "clicked");
  return ADW_MESSAGE_DIALOG (gleaner_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

static GPtrArray *
list_classes (GleanerWindow *window)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *classes = gl_session_list_classes (gleaner_window_get_project (window), &error);

  g_assert_no_error (error);
  return classes;
}

#define CLASS_AT(classes, i) ((GlSessionClass *) g_ptr_array_index ((classes), (i)))

/* Clicks @dialog's response button labeled @label: it responds and closes. */
static void
respond (AdwMessageDialog *dialog, const char *label)
{
  GtkButton *button = gleaner_test_find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (gleaner_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

/* The Classes dialog driven through its own widgets: add (and a refused
 * duplicate name), rename, merge, and delete after its confirmation (and a
 * cancelled one); the window's Label view follows each change. */
static void
test_classes_widgets (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-test-dialogs-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "Shapes", NULL);
  g_autoptr (GPtrArray) classes = NULL;
  g_auto (GStrv) names = NULL;
  GleanerWindow *window;
  GtkWidget *dialog, *row;
  AdwMessageDialog *confirm;
  GlQueue *queue;

  gl_project_close (gleaner_test_make_project (dir, 12));
  window = gleaner_test_open_window (app, dir);
  queue = gleaner_window_get_queue (window);
  label_queued (queue, 4, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.classes", NULL));
  dialog = GTK_WIDGET (gleaner_test_find_toplevel (GLEANER_TYPE_CLASSES_DIALOG));
  g_assert_nonnull (dialog);

  /* Add. */
  row = find_entry_row (dialog, "New Class");
  gtk_editable_set_text (GTK_EDITABLE (row), "triangle");
  g_signal_emit_by_name (row, "apply");
  classes = list_classes (window);
  g_assert_cmpuint (classes->len, ==, 4);
  g_assert_cmpstr (CLASS_AT (classes, 3)->name, ==, "triangle");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_entry_row (dialog, "Class 4"))), ==, "triangle");
  /* A name in use is refused with a toast in the dialog. */
  gtk_editable_set_text (GTK_EDITABLE (row), "circle");
  g_signal_emit_by_name (row, "apply");
  g_assert_nonnull (gleaner_test_get_shown_toast (dialog));
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = list_classes (window);
  g_assert_cmpuint (classes->len, ==, 4);

  /* Rename. */
  row = find_entry_row (dialog, "Class 4");
  gtk_editable_set_text (GTK_EDITABLE (row), "  tri ");
  g_signal_emit_by_name (row, "apply");
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = list_classes (window);
  g_assert_cmpstr (CLASS_AT (classes, 3)->name, ==, "tri");
  names = gl_project_dup_class_names (gleaner_window_get_project (window));
  g_assert_cmpstr (names[3], ==, "tri");

  /* Merge circle (2 labels) into square (2 labels), the first other class. */
  confirm = click_row_button (dialog, 1, "Merge Into Another Class…");
  g_assert_nonnull (confirm);
  g_assert_cmpstr (adw_message_dialog_get_heading (confirm), ==, "Merge “circle” Into…");
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (adw_message_dialog_get_extra_child (confirm))), ==, 0);
  respond (confirm, "_Merge");
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = list_classes (window);
  g_assert_cmpuint (classes->len, ==, 3);
  g_assert_cmpstr (CLASS_AT (classes, 0)->name, ==, "square");
  g_assert_cmpuint (CLASS_AT (classes, 0)->labeled, ==, 4);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_entry_row (dialog, "Class 1"))), ==, "square");

  /* Delete square: the confirmation says what happens to its labels;
   * Cancel keeps it, Delete unlabels its 4 images. */
  confirm = click_row_button (dialog, 1, "Delete…");
  g_assert_nonnull (confirm);
  g_assert_cmpstr (adw_message_dialog_get_heading (confirm), ==, "Delete “square”?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (confirm), "4 images labeled “square” become unlabeled"));
  respond (confirm, "_Cancel");
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = list_classes (window);
  g_assert_cmpuint (classes->len, ==, 3);
  confirm = click_row_button (dialog, 1, "Delete…");
  respond (confirm, "_Delete");
  g_clear_pointer (&classes, g_ptr_array_unref);
  classes = list_classes (window);
  g_assert_cmpuint (classes->len, ==, 2);
  g_assert_cmpstr (CLASS_AT (classes, 0)->name, ==, "cross");
  g_assert_cmpuint (CLASS_AT (classes, 0)->labeled + CLASS_AT (classes, 1)->labeled, ==, 0);
  g_assert_cmpuint (gl_queue_get_n_labeled (queue), ==, 0);
  g_clear_pointer (&names, g_strfreev);
  names = gl_project_dup_class_names (gleaner_window_get_project (window));
  g_assert_cmpuint (g_strv_length (names), ==, 2);

  close_window (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  gl_remove_tree (tmp);
}

/* Scrolls the page holding @widget to its end. */
static void
scroll_to_end (GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *v = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_adjustment_set_value (v, gtk_adjustment_get_upper (v) - gtk_adjustment_get_page_size (v));
}

static void
test_preferences (void)
{
  g_autoptr (GSettings) settings = g_settings_new (GLEANER_APP_ID);
  GleanerPreferencesWindow *prefs = gleaner_preferences_window_new ();
  g_autofree char *png = NULL;

  gtk_window_present (GTK_WINDOW (prefs));
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 3);
  png = gleaner_test_render_png (GTK_WIDGET (prefs), "preferences.png");
  /* The annotator name: shown, a bad one refused with the reason, a good one
   * saved (app/gl-identity.h) and used for the labels from now on. */
  GtkWidget *name_row = find_entry_row (GTK_WIDGET (prefs), "Your Name");
  g_autofree char *current = gl_identity_current (NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, current);
  gtk_editable_set_text (GTK_EDITABLE (name_row), " Ada");
  g_signal_emit_by_name (name_row, "apply");
  g_assert_true (gtk_widget_has_css_class (name_row, "error"));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (name_row), "white space"));
  g_autofree char *stored = gl_identity_load (NULL);
  g_assert_null (stored);
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Ada L.");
  g_assert_false (gtk_widget_has_css_class (name_row, "error"));
  g_signal_emit_by_name (name_row, "apply");
  stored = gl_identity_load (NULL);
  g_assert_cmpstr (stored, ==, "Ada L.");
  g_autofree char *used = gl_db_dup_default_annotator ();
  g_assert_cmpstr (used, ==, "Ada L.");
  /* The group is below the fold of the window's screenshots: on its own. */
  GtkWidget *name_group = gtk_widget_get_ancestor (name_row, ADW_TYPE_PREFERENCES_GROUP);
  gtk_editable_set_text (GTK_EDITABLE (name_row), " Ada");
  g_signal_emit_by_name (name_row, "apply");
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 2);
  scroll_to_end (name_group);
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 3);
  g_free (gleaner_test_render_png (GTK_WIDGET (prefs), "preferences-annotator-error.png"));
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Ada L.");
  g_signal_emit_by_name (name_row, "apply");
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 2);
  g_free (gleaner_test_render_png (GTK_WIDGET (prefs), "preferences-annotator.png"));
  /* Bound both ways: a change of the setting shows in the window. */
  g_settings_set_enum (settings, "acquisition-strategy", 3);
  g_settings_set_uint (settings, "retrain-every", 120);
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 2);
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (prefs), "preferences-dark.png");
  scroll_to_end (name_group);
  gleaner_test_wait_frames (GTK_WIDGET (prefs), 3);
  g_free (gleaner_test_render_png (GTK_WIDGET (prefs), "preferences-annotator-dark.png"));
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  g_assert_cmpuint (count_rows (GTK_WIDGET (prefs), GTK_TYPE_SPIN_BUTTON), ==, 4);
  close_window (GTK_WINDOW (prefs));
  g_assert_true (gl_identity_save (NULL, NULL));
  gl_db_set_default_annotator (NULL);
  g_settings_reset (settings, "acquisition-strategy");
  g_settings_reset (settings, "retrain-every");
}

static void
collect_accelerators (GtkWidget *widget, GHashTable *accels, guint *n_shortcuts)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      g_autofree char *text = NULL;
      g_object_get (widget, "accelerator", &text, NULL);
      g_auto (GStrv) parts = g_strsplit (text != NULL ? text : "", " ", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        g_hash_table_add (accels, g_strdup (parts[i]));
      (*n_shortcuts)++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    collect_accelerators (child, accels, n_shortcuts);
}

/* The keyboard shortcuts window lists every accelerator the application
 * sets; rendered in light and dark style. */
static void
test_shortcuts (void)
{
  GleanerWindow *window = gleaner_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  gleaner_test_wait_frames (GTK_WIDGET (window), 2);
  g_assert_null (gleaner_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW));
  /* GTK 4.8's GtkShortcutsWindow warns, when it is first shown, that two
   * labels of its own measure -3 pixels wide (also with the window's
   * original contents, and not from any label of ours: they measure ≥ 0):
   * warnings are not fatal while it appears. Structured log messages cannot
   * be filtered by g_test_log_set_fatal_handler. */
  GLogLevelFlags fatal = g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  GtkWindow *shortcuts = gleaner_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  gleaner_test_wait_frames (GTK_WIDGET (shortcuts), 3);
  g_log_set_always_fatal (fatal);
  g_autofree char *png = gleaner_test_render_png (GTK_WIDGET (shortcuts), "shortcuts.png");

  g_autoptr (GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_shortcuts = 0;
  collect_accelerators (GTK_WIDGET (shortcuts), listed, &n_shortcuts);
  g_assert_cmpuint (n_shortcuts, >, 0);
  g_auto (GStrv) actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  g_assert_cmpuint (g_strv_length (actions), >, 0);
  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), actions[i]);
      for (guint k = 0; accels[k] != NULL; k++)
        {
          if (!g_hash_table_contains (listed, accels[k]))
            g_error ("%s (%s) is missing from the shortcuts window", accels[k], actions[i]);
        }
    }
  /* The Label view's keys and the Gallery's. */
  const char *keys[] = { "1...9", "a...z", "Return", "space", "s", "BackSpace", "<Control>z", "Left", "Right",
                         "Escape", "Delete", "<Control>a" };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (!g_hash_table_contains (listed, keys[i]))
      g_error ("%s is missing from the shortcuts window", keys[i]);

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gleaner_test_wait_frames (GTK_WIDGET (shortcuts), 3);
  g_free (png);
  png = gleaner_test_render_png (GTK_WIDGET (shortcuts), "shortcuts-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  close_window (shortcuts);
  close_window (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("gleaner-test-xdg-XXXXXX", NULL);
  int status;

  g_assert_nonnull (home);
  fake_file_manager (home);
  app = gleaner_test_app_init (&argc, &argv);

  g_test_add_func ("/dialogs/import", test_import);
  g_test_add_func ("/dialogs/import-cancel", test_import_cancel);
  g_test_add_func ("/dialogs/import-many-skipped", test_import_many_skipped);
  g_test_add_func ("/dialogs/export", test_export);
  g_test_add_func ("/dialogs/export-team", test_export_team);
  g_test_add_func ("/dialogs/classes", test_classes);
  g_test_add_func ("/dialogs/classes-widgets", test_classes_widgets);
  g_test_add_func ("/dialogs/preferences", test_preferences);
  g_test_add_func ("/dialogs/shortcuts", test_shortcuts);
  status = gleaner_test_app_run (app); /* runs the tests, which use app */
  app = NULL;
  gl_remove_tree (home);
  g_free (launched);
  return status;
}
