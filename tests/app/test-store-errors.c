/* Store errors that used to be dropped without a word: a table renamed
 * under a connection (another process changed the file) makes the queue's
 * gl_queue_describe_image fail with the store's message instead of showing
 * the image without its suggestion, and an import whose duplicates count
 * cannot be recorded fail instead of reporting success. */
#include "app/gl-queue.h"
#include "app/gl-rules.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "db/gl-db.h"

#include "synth-project.h"

static void
exec_sql (GlProject *p, const char *sql)
{
  sqlite3 *raw = NULL;
  g_assert_cmpint (sqlite3_open (gl_project_get_db_path (p), &raw), ==, SQLITE_OK);
  char *msg = NULL;
  int rc = sqlite3_exec (raw, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (raw);
}

static void
test_describe_store_error (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-queue-err-XXXXXX", &error);
  g_assert_no_error (error);
  GlProject *p = synth_project (dir, 20, 0);
  GlQueue *queue = gl_queue_new (p, &error);
  g_assert_no_error (error);
  GlQueueItem *it = gl_queue_describe_image (queue, 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (it);
  gl_queue_item_free (it);
  g_assert_true (gl_queue_take_error (queue, &error));

  /* Suggestions cannot be read any more: not "no suggestion". */
  exec_sql (p, "ALTER TABLE suggestions RENAME TO suggestions_gone");
  it = gl_queue_describe_image (queue, 1, &error);
  g_assert_null (it);
  g_assert_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_STORE);
  g_assert_nonnull (strstr (error->message, "suggestion"));
  g_clear_error (&error);
  exec_sql (p, "ALTER TABLE suggestions_gone RENAME TO suggestions");
  it = gl_queue_describe_image (queue, 1, &error);
  g_assert_no_error (error);
  gl_queue_item_free (it);

  g_object_unref (queue);
  gl_project_close (p);
  gl_remove_tree (dir);
}

/* At the end of the import (its last progress report): the table of
 * import batches goes away. */
static void
on_progress (const GlImportProgress *prog, gpointer user_data)
{
  if (prog->done == prog->total)
    exec_sql (user_data, "ALTER TABLE import_batches RENAME TO import_batches_gone");
}

static void
test_duplicates_not_recorded (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-store-err-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *src = g_build_filename (dir, "src", NULL);
  g_assert_cmpint (g_mkdir (src, 0755), ==, 0);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8, 8);
  gdk_pixbuf_fill (pb, 0x102030ffu);
  const char *names[] = { "a.png", "same-as-a.png" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (src, names[i], NULL);
      g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
    }
  g_autofree char *pdir = g_build_filename (dir, "project", NULL);
  GlProject *p = gl_project_create (pdir, 8, 8, 3, NULL, &error);
  g_assert_no_error (error);
  const char *paths[] = { src, NULL };
  GlImportProgress sum;
  g_assert_false (gl_project_import (p, paths, NULL, on_progress, p, NULL, &sum, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "duplicates"));
  g_clear_error (&error);
  g_assert_cmpuint (sum.added, ==, 1);
  g_assert_cmpuint (sum.duplicates, ==, 1);
  gl_project_close (p);
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/store-errors/queue-describe", test_describe_store_error);
  g_test_add_func ("/store-errors/duplicates-not-recorded", test_duplicates_not_recorded);
  return g_test_run ();
}
