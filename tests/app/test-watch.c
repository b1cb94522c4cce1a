/* Tests of watched folders (app/gl-watch.h): the folder list, the rescan of
 * files that arrived while no watcher ran, batching, a file written slowly
 * (imported once, whole), new sub-folders, and the CLI's --once and its stop
 * on SIGTERM. Waits are for
 * events with a generous limit, never timings. */
#include "app/gl-import.h"
#include "app/gl-project.h"
#include "app/gl-watch.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  char *tmp;
  char *project_dir;
  char *in; /* a watched folder */
  GlProject *project;
  GlWatch *watch;
  GArray *batches; /* gint64 batch ids, in order */
  GArray *added;   /* guint64 per batch */
  guint failures;
} Fixture;

static const GlWatchOptions fast = { 2, 0.3, 100, 300 };

static void
on_batch_cb (GlWatch *w, gint64 batch, guint64 added, guint64 unreadable, guint64 dups, gpointer data)
{
  Fixture *f = data;
  g_array_append_val (f->batches, batch);
  g_array_append_val (f->added, added);
}

static void
on_failed_cb (GlWatch *w, const GError *error, gpointer data)
{
  Fixture *f = data;
  g_test_message ("watch failed: %s", error->message);
  f->failures++;
}

static void
start_watch (Fixture *f, const GlWatchOptions *options)
{
  f->watch = gl_watch_new (f->project, options);
  g_signal_connect (f->watch, "batch-imported", G_CALLBACK (on_batch_cb), f);
  g_signal_connect (f->watch, "failed", G_CALLBACK (on_failed_cb), f);
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_watch_start (f->watch, &error));
  g_assert_no_error (error);
}

static void
stop_watch (Fixture *f)
{
  if (f->watch == NULL)
    return;
  gl_watch_stop (f->watch);
  g_clear_object (&f->watch);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->tmp = g_dir_make_tmp ("gl-watch-XXXXXX", NULL);
  g_assert_nonnull (f->tmp);
  f->project_dir = g_build_filename (f->tmp, "project", NULL);
  f->in = g_build_filename (f->tmp, "incoming", NULL);
  g_assert_cmpint (g_mkdir (f->in, 0755), ==, 0);
  const char *classes[] = { "a", "b", NULL };
  g_autoptr (GError) error = NULL;
  f->project = gl_project_create (f->project_dir, 8, 8, 1, classes, &error);
  g_assert_no_error (error);
  f->batches = g_array_new (FALSE, FALSE, sizeof (gint64));
  f->added = g_array_new (FALSE, FALSE, sizeof (guint64));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  stop_watch (f);
  /* Let a cancelled import return before the project goes. */
  for (int i = 0; i < 100 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  g_clear_pointer (&f->project, gl_project_close);
  gl_remove_tree (f->tmp);
  g_free (f->tmp);
  g_free (f->project_dir);
  g_free (f->in);
  g_array_unref (f->batches);
  g_array_unref (f->added);
}

/* PNG bytes of a 16×16 grey image of value @v. */
static GBytes *
png_bytes (guint8 v)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  gdk_pixbuf_fill (pb, ((guint32)v << 24) | ((guint32)v << 16) | ((guint32)v << 8) | 0xff);
  gchar *buf;
  gsize len;
  g_autoptr (GError) error = NULL;
  g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, NULL));
  return g_bytes_new_take (buf, len);
}

static char *
write_png (const char *dir, const char *name, guint8 v)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GBytes) bytes = png_bytes (v);
  g_autoptr (GError) error = NULL;
  g_assert_true (
      g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize)g_bytes_get_size (bytes), &error));
  return path;
}

/* A distinct image per (@i, @set): 300 of them without duplicates. */
static char *
write_png_rgb (const char *dir, const char *name, guint i, guint set)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  gdk_pixbuf_fill (pb, ((guint32) i << 24) | ((guint32) set << 16) | 0x00ff);
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
  return path;
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until the watcher is idle with @n_images images
 * in the store, or 30 s pass. */
static void
wait_for_images (Fixture *f, guint64 n_images)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (30, timeout_cb, &timed_out);
  GlProjectInfo info = { 0 };
  while (!timed_out)
    {
      g_main_context_iteration (NULL, TRUE);
      g_assert_true (gl_project_get_info (f->project, &info, NULL));
      guint64 images = info.images;
      gl_project_info_clear (&info);
      if (images >= n_images && gl_watch_is_idle (f->watch))
        break;
    }
  g_assert_false (timed_out);
  g_source_remove (id);
}

/* Runs the main context for about @ms. */
static void
spin (guint ms)
{
  gboolean done = FALSE;
  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static guint64
count_images (Fixture *f, guint64 *unreadable)
{
  GlProjectInfo info;
  g_assert_true (gl_project_get_info (f->project, &info, NULL));
  guint64 n = info.images;
  if (unreadable)
    *unreadable = info.unreadable;
  gl_project_info_clear (&info);
  return n;
}

static void
test_folder_list (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  /* A Latin-1 name (not UTF-8), a quote and a space. */
  g_autofree char *odd = g_build_filename (f->tmp, "caf\xe9 \"x\" y", NULL);
  g_assert_cmpint (g_mkdir (odd, 0755), ==, 0);
  g_assert_true (gl_watch_add_folder (f->project, f->in, &error));
  g_assert_true (gl_watch_add_folder (f->project, odd, &error));
  g_assert_true (gl_watch_add_folder (f->project, f->in, &error)); /* twice: no change */
  g_autofree char *file = write_png (f->tmp, "x.png", 1);
  g_assert_false (gl_watch_add_folder (f->project, file, &error));
  g_assert_error (error, GL_WATCH_ERROR, GL_WATCH_ERROR_NOT_A_FOLDER);
  g_clear_error (&error);

  /* Survives reopening, byte for byte. */
  g_clear_pointer (&f->project, gl_project_close);
  f->project = gl_project_open (f->project_dir, &error);
  g_assert_no_error (error);
  g_auto (GStrv) list = gl_watch_list_folders (f->project);
  g_assert_cmpuint (g_strv_length (list), ==, 2);
  g_assert_cmpstr (list[0], ==, f->in);
  g_assert_cmpstr (list[1], ==, odd);

  g_assert_true (gl_watch_remove_folder (f->project, f->in, &error));
  g_assert_false (gl_watch_remove_folder (f->project, f->in, &error));
  g_assert_error (error, GL_WATCH_ERROR, GL_WATCH_ERROR_NOT_WATCHED);
  g_auto (GStrv) after = gl_watch_list_folders (f->project);
  g_assert_cmpuint (g_strv_length (after), ==, 1);
  g_assert_cmpstr (after[0], ==, odd);
}

/* Files present before the watcher starts are imported in batches of
 * batch_files; at the next start only the files that arrived since. */
static void
test_rescan_on_start (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("old-%u.png", i);
      g_free (write_png (f->in, name, (guint8)(10 * i)));
    }
  g_free (write_png (f->in, "notes.txt", 0)); /* not an image name: left alone */
  g_assert_true (gl_watch_add_folder (f->project, f->in, &error));
  start_watch (f, &fast);
  wait_for_images (f, 5);
  g_assert_cmpuint (count_images (f, NULL), ==, 5);
  g_assert_cmpuint (f->batches->len, ==, 3); /* 2 + 2 + 1 */
  guint64 total = 0;
  for (guint i = 0; i < f->added->len; i++)
    total += g_array_index (f->added, guint64, i);
  g_assert_cmpuint (total, ==, 5);
  g_assert_cmpuint (f->failures, ==, 0);
  stop_watch (f);

  /* Closed; two files arrive; reopened. */
  g_clear_pointer (&f->project, gl_project_close);
  g_free (write_png (f->in, "new-1.png", 201));
  g_free (write_png (f->in, "new-2.png", 202));
  f->project = gl_project_open (f->project_dir, &error);
  g_assert_no_error (error);
  g_array_set_size (f->batches, 0);
  start_watch (f, &fast);
  wait_for_images (f, 7);
  g_assert_cmpuint (count_images (f, NULL), ==, 7);
  g_assert_cmpuint (f->batches->len, ==, 1);
  /* The batch says where its images came from. */
  g_autoptr (GArray) batches = gl_db_list_batches (gl_project_get_db (f->project), &error);
  g_assert_no_error (error);
  const GlDbBatch *last = &g_array_index (batches, GlDbBatch, batches->len - 1);
  g_assert_true (g_str_has_prefix (last->source, "watch: "));
  g_assert_nonnull (strstr (last->source, "incoming"));
}

/* A file written in two halves with a pause between is imported once, whole:
 * while the writer holds it open, it is not taken. */
static void
test_slow_writer (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_watch_add_folder (f->project, f->in, &error));
  GlWatchOptions options = fast;
  options.batch_files = 1;
  start_watch (f, &options);
  spin (200);

  g_autoptr (GBytes) bytes = png_bytes (77);
  gsize len;
  const guint8 *data_bytes = g_bytes_get_data (bytes, &len);
  g_autofree char *path = g_build_filename (f->in, "slow.png", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, data_bytes, len / 2), ==, (gssize)(len / 2));

  /* The kernel says the file is open for writing. */
  gboolean known;
  g_assert_false (gl_watch_file_is_closed (path, &known));
  if (!known)
    {
      close (fd);
      g_test_skip ("this file system grants no leases");
      return;
    }
  /* Far longer than settle_ms: still not taken. */
  spin (1500);
  g_assert_cmpuint (count_images (f, NULL), ==, 0);
  g_assert_cmpuint (gl_watch_get_pending (f->watch), ==, 1);

  g_assert_cmpint (write (fd, data_bytes + len / 2, len - len / 2), ==, (gssize)(len - len / 2));
  g_assert_cmpint (close (fd), ==, 0);
  g_assert_true (gl_watch_file_is_closed (path, &known));
  g_assert_true (known);
  wait_for_images (f, 1);
  guint64 unreadable = 99;
  g_assert_cmpuint (count_images (f, &unreadable), ==, 1);
  g_assert_cmpuint (unreadable, ==, 0);
  g_assert_cmpuint (f->batches->len, ==, 1);

  /* Written again in place later: not imported a second time. */
  g_free (write_png (f->in, "slow.png", 78));
  spin (800);
  g_assert_cmpuint (count_images (f, NULL), ==, 1);
}

/* A sub-folder made while watching is watched too, with what it holds. */
static void
test_new_subfolder (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_watch_add_folder (f->project, f->in, &error));
  start_watch (f, &fast);
  spin (200);
  /* Made aside and moved in whole, as a camera upload or `mv` does. */
  g_autofree char *aside = g_build_filename (f->tmp, "aside", NULL);
  g_assert_cmpint (g_mkdir (aside, 0755), ==, 0);
  g_free (write_png (aside, "s1.png", 5));
  g_autofree char *sub = g_build_filename (f->in, "day2", NULL);
  g_assert_cmpint (g_rename (aside, sub), ==, 0);
  wait_for_images (f, 1);
  g_free (write_png (sub, "s2.png", 6));
  wait_for_images (f, 2);
  g_assert_cmpuint (count_images (f, NULL), ==, 2);
  g_assert_cmpuint (f->failures, ==, 0);
}

static void
import_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  guint *done = data;
  GlImportProgress sum;
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_import_run_finish (result, &sum, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sum.added, ==, 150);
  g_assert_cmpint (sum.batch_id, >, 0);
  (*done)++;
}

/* Two imports into one project at once (a watched folder's and the import
 * dialog's) both complete: the second waits for the first. */
static void
test_concurrent_imports (Fixture *f, gconstpointer data)
{
  g_autofree char *a = g_build_filename (f->tmp, "a", NULL);
  g_autofree char *b = g_build_filename (f->tmp, "b", NULL);
  g_assert_cmpint (g_mkdir (a, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (b, 0755), ==, 0);
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u.png", i);
      g_free (write_png_rgb (a, name, i, 0));
      g_free (write_png_rgb (b, name, i, 1));
    }
  GlImportOptions options;
  gl_import_options_init (&options);
  options.batch_size = 3; /* many transactions, so that they would interleave */
  GlImportTarget target;
  gl_project_import_target (f->project, &target);
  guint done = 0;
  const char *pa[] = { a, NULL }, *pb[] = { b, NULL };
  gl_import_run_async (&target, pa, &options, NULL, NULL, NULL, import_done_cb, &done);
  gl_import_run_async (&target, pb, &options, NULL, NULL, NULL, import_done_cb, &done);
  while (done < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (count_images (f, NULL), ==, 300);
}

/* gleaner-cli watch --once imports what is there and quits; a second run
 * imports nothing more. */
static void
test_cli_once (Fixture *f, gconstpointer data)
{
  const char *cli = g_getenv ("GLEANER_CLI");
  if (cli == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  g_clear_pointer (&f->project, gl_project_close);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("c%u.png", i);
      g_free (write_png (f->in, name, (guint8)(50 + i)));
    }
  const char *argv[] = { cli, "watch", f->project_dir, f->in, "--once", "--json", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;
  g_autoptr (GError) error = NULL;
  g_assert_true (
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_test_message ("%s%s", out, err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "\"event\":\"summary\",\"batches\":1,\"added\":3,"));

  const char *again[] = { cli, "watch", f->project_dir, "--once", NULL };
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (
      g_spawn_sync (NULL, (char **)again, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "0 batches: 0 added"));

  const char *bad[] = { cli, "watch", f->project_dir, "/nonexistent/folder", NULL };
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_true (
      g_spawn_sync (NULL, (char **)bad, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "“/nonexistent/folder” is not a folder"));
}

/* The next line of @in (without its newline), or NULL at the end. */
static char *
read_line (GDataInputStream *in)
{
  g_autoptr (GError) error = NULL;
  char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

  g_assert_no_error (error);
  if (line != NULL)
    g_test_message ("watch: %s", line);
  return line;
}

/* gleaner-cli watch stops cleanly on SIGTERM: exit 0, the summary says what
 * it imported and what it left, and a file still open for writing is not
 * imported (nothing half-imported); the next run takes it, whole. */
static void
test_cli_sigterm (Fixture *f, gconstpointer data)
{
  const char *cli = g_getenv ("GLEANER_CLI");
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *slow = NULL, *summary = NULL;
  g_autoptr (GBytes) bytes = png_bytes (99);
  gboolean known, batch_seen = FALSE;
  const guint8 *data_bytes;
  gsize len;
  int fd;

  if (cli == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  g_assert_true (gl_watch_add_folder (f->project, f->in, &error));
  g_clear_pointer (&f->project, gl_project_close);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("t%u.png", i);
      g_free (write_png (f->in, name, (guint8)(120 + i)));
    }
  /* Half of a file, its writer still holding it open. */
  data_bytes = g_bytes_get_data (bytes, &len);
  slow = g_build_filename (f->in, "slow.png", NULL);
  fd = open (slow, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, data_bytes, len / 2), ==, (gssize)(len / 2));
  gl_watch_file_is_closed (slow, &known);
  if (!known)
    {
      close (fd);
      g_test_skip ("this file system grants no leases");
      return;
    }

  /* Batches of 3: the three whole files make one at once; the open file
   * waits. */
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, cli, "watch", f->project_dir, "--batch-files",
                           "3", "--batch-seconds", "600", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  while (!batch_seen)
    {
      g_autofree char *line = read_line (out);
      g_assert_nonnull (line);
      batch_seen = g_str_has_prefix (line, "batch ") && strstr (line, ": 3 added, 0 unreadable") != NULL;
    }
  g_subprocess_send_signal (proc, SIGTERM);
  for (char *line; (line = read_line (out)) != NULL; g_free (line))
    if (strstr (line, " batches: ") != NULL)
      {
        g_free (summary);
        summary = g_strdup (line);
      }
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_cmpstr (summary, ==, "1 batches: 3 added, 0 unreadable, 0 duplicates; 1 files not imported yet");

  /* The store holds the three, none unreadable: the open file was not read. */
  f->project = gl_project_open (f->project_dir, &error);
  g_assert_no_error (error);
  {
    guint64 unreadable = 99;
    g_assert_cmpuint (count_images (f, &unreadable), ==, 3);
    g_assert_cmpuint (unreadable, ==, 0);
  }
  g_clear_pointer (&f->project, gl_project_close);

  /* Finished and closed: the next run imports it, whole. */
  g_assert_cmpint (write (fd, data_bytes + len / 2, len - len / 2), ==, (gssize)(len - len / 2));
  g_assert_cmpint (close (fd), ==, 0);
  {
    const char *again[] = { cli, "watch", f->project_dir, "--once", NULL };
    g_autofree char *text = NULL;
    int status;

    g_assert_true (
        g_spawn_sync (NULL, (char **)again, NULL, G_SPAWN_DEFAULT, NULL, NULL, &text, NULL, &status, &error));
    g_test_message ("%s", text);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (text, "1 batches: 1 added, 0 unreadable"));
  }
  f->project = gl_project_open (f->project_dir, &error);
  g_assert_no_error (error);
  {
    guint64 unreadable = 99;
    g_assert_cmpuint (count_images (f, &unreadable), ==, 4);
    g_assert_cmpuint (unreadable, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/watch/folder-list", Fixture, NULL, fixture_set_up, test_folder_list, fixture_tear_down);
  g_test_add ("/watch/rescan-on-start", Fixture, NULL, fixture_set_up, test_rescan_on_start,
              fixture_tear_down);
  g_test_add ("/watch/slow-writer", Fixture, NULL, fixture_set_up, test_slow_writer, fixture_tear_down);
  g_test_add ("/watch/new-subfolder", Fixture, NULL, fixture_set_up, test_new_subfolder, fixture_tear_down);
  g_test_add ("/watch/concurrent-imports", Fixture, NULL, fixture_set_up, test_concurrent_imports,
              fixture_tear_down);
  g_test_add ("/watch/cli-once", Fixture, NULL, fixture_set_up, test_cli_once, fixture_tear_down);
  g_test_add ("/watch/cli-sigterm", Fixture, NULL, fixture_set_up, test_cli_sigterm, fixture_tear_down);
  return g_test_run ();
}
