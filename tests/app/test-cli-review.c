/* End-to-end tests of `gleaner-cli review` (env GLEANER_CLI) on a small
 * learnable project with planted wrong labels: a detection killed with
 * SIGKILL in its second fold leaves the store consistent and without a
 * detection; review lists the suspected errors (detecting them first, with
 * progress on stderr; --json prints one object; -n limits), records --keep
 * and --relabel as "review" labels that leave the list, and rejects bad
 * usage and input with a message. */
#include "app/gl-project.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/gl-db-label-errors.h"

#include "synth-project.h"

#define N_FLIPPED 12

static int
run (const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  GError *error = NULL;
  char *o = NULL, *e = NULL;
  g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error);
  g_assert_no_error (error);
  if (out)
    *out = o;
  else
    g_free (o);
  if (err)
    *err = e;
  else
    g_free (e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* Starts `review PROJECT --again --seconds 600`, reads its stderr until it
 * reports fold 2, and kills it with SIGKILL. The budget is long so that a
 * slow build (the sanitizers') does not cut the folds short and report the
 * end before fold 2. */
static void
kill_in_fold_2 (const char *project)
{
  const char *argv[] = { g_getenv ("GLEANER_CLI"), "review", project, "--again", "--seconds", "600", NULL };
  GPid pid;
  int err_fd;
  GError *error = NULL;
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                           &pid, NULL, NULL, &err_fd, &error));
  g_assert_no_error (error);
  g_autoptr (GString) text = g_string_new (NULL);
  char buf[256];
  while (strstr (text->str, "fold 2/") == NULL)
    {
      ssize_t got = read (err_fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (got, >, 0); /* it must not end before fold 2 */
      g_string_append_len (text, buf, got);
    }
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  int status;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  close (err_fd);
  g_spawn_close_pid (pid);
}

static guint
count_of (const char *text, const char *what)
{
  guint n = 0;
  for (const char *p = strstr (text, what); p; p = strstr (p + 1, what))
    n++;
  return n;
}

static void
test_review (void)
{
  if (g_getenv ("GLEANER_CLI") == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-cli-review-XXXXXX", &error);
  g_autoptr (GlProject) p = synth_project (dir, 240, 20);
  g_autofree char *proj = g_strdup (gl_project_get_dir (p));
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  synth_label_first (p, db, 200);
  gint64 flipped[N_FLIPPED];
  synth_flip_labels (p, db, 16, N_FLIPPED, flipped);

  /* No model yet: a clear error. */
  g_autofree char *err0 = NULL;
  g_assert_cmpint (run ((const char *[]){ "review", proj, NULL }, NULL, &err0), ==, 1);
  g_assert_nonnull (strstr (err0, "no model"));
  g_assert_cmpint (run ((const char *[]){ "train", proj, "--epochs", "3", NULL }, NULL, NULL), ==, 0);
  gint64 model = gl_db_get_current_model (db);
  g_assert_cmpint (model, >, 0);

  /* Killed in its second fold: nothing stored, the store intact. */
  kill_in_fold_2 (proj);
  {
    g_autoptr (GlDb) check = gl_db_open (gl_project_get_db_path (p), &error);
    g_assert_no_error (error);
    g_assert_true (gl_db_check_integrity (check, &error));
    GlDbLabelErrorRun r = { 0 };
    gboolean found = TRUE;
    g_assert_true (gl_db_get_label_error_run (check, model, &r, &found, &error));
    g_assert_false (found);
    g_autoptr (GArray) rows = gl_db_list_label_errors (check, model, FALSE, 0, &error);
    g_assert_cmpuint (rows->len, ==, 0);
  }

  /* Detected on first use, with progress on stderr; one JSON object. */
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint (
      run ((const char *[]){ "review", proj, "--json", "-n", "5", "--seconds", "20", NULL }, &out, &err), ==,
      0);
  g_assert_nonnull (strstr (err, "fold 4/4"));
  g_assert_true (g_str_has_prefix (out, "{\"model_version\":"));
  g_assert_true (g_str_has_suffix (out, "]}\n"));
  g_assert_nonnull (strstr (out, "\"folds\":4,\"labels\":200,"));
  guint listed = count_of (out, "\"image\":");
  g_assert_cmpuint (listed, >=, 2);
  g_assert_cmpuint (listed, <=, 5);
  g_assert_nonnull (strstr (out, "\"suggested\":\""));
  gint64 first = g_ascii_strtoll (strstr (out, "\"image\":") + 8, NULL, 10);
  gint64 second = g_ascii_strtoll (strstr (strstr (out, "\"image\":") + 1, "\"image\":") + 8, NULL, 10);

  /* Stored: the text listing does not detect again. */
  g_autofree char *text = NULL, *err2 = NULL;
  g_assert_cmpint (run ((const char *[]){ "review", proj, "-n", "0", NULL }, &text, &err2), ==, 0);
  g_assert_null (strstr (err2, "detecting"));
  g_assert_nonnull (strstr (text, "labels flagged by confident learning"));
  g_autofree char *first_text = g_strdup_printf (" %" G_GINT64_FORMAT "  ", first);
  g_assert_nonnull (strstr (text, first_text));

  /* Keep one, relabel the other (by id; class by name). */
  g_autofree char *first_id = g_strdup_printf ("%" G_GINT64_FORMAT, first);
  g_autofree char *second_id = g_strdup_printf ("%" G_GINT64_FORMAT, second);
  g_autofree char *kept = NULL, *relabeled = NULL;
  g_assert_cmpint (run ((const char *[]){ "review", proj, "--keep", first_id, NULL }, &kept, NULL), ==, 0);
  g_assert_nonnull (strstr (kept, "kept"));
  g_assert_cmpint (run ((const char *[]){ "review", proj, "--relabel", second_id, synth_classes[2], NULL },
                        &relabeled, NULL),
                   ==, 0);
  g_assert_nonnull (strstr (relabeled, "relabeled"));
  g_autofree char *after = NULL;
  g_assert_cmpint (run ((const char *[]){ "review", proj, "--json", "-n", "0", NULL }, &after, NULL), ==, 0);
  g_autofree char *first_json = g_strdup_printf ("\"image\":%" G_GINT64_FORMAT ",", first);
  g_autofree char *second_json = g_strdup_printf ("\"image\":%" G_GINT64_FORMAT ",", second);
  g_assert_null (strstr (after, first_json));
  g_assert_null (strstr (after, second_json));
  gint64 ids[2] = { first, second };
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GArray) h = gl_db_get_history (db, ids[i], &error);
      const GlDbLabel *last = &g_array_index (h, GlDbLabel, h->len - 1);
      g_assert_cmpint (last->origin, ==, GL_DB_ORIGIN_REVIEW);
      if (i == 0)
        g_assert_cmpint (last->class_id, ==, g_array_index (h, GlDbLabel, h->len - 2).class_id);
    }

  /* Usage and input errors. */
  g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;
  g_assert_cmpint (run ((const char *[]){ "review", NULL }, NULL, &e1), ==, 2);
  g_assert_nonnull (strstr (e1, "usage"));
  g_assert_cmpint (
      run ((const char *[]){ "review", proj, "--keep", first_id, "--relabel", second_id, "x", NULL }, NULL,
           NULL),
      ==, 2);
  g_assert_cmpint (
      run ((const char *[]){ "review", proj, "--relabel", second_id, "no such class", NULL }, NULL, &e2), ==,
      1);
  g_assert_nonnull (strstr (e2, "no such class"));
  g_assert_cmpint (run ((const char *[]){ "review", proj, "--keep", "999999", NULL }, NULL, &e3), ==, 1);
  g_assert_nonnull (strstr (e3, "999999"));
  g_assert_cmpint (run ((const char *[]){ "review", proj, "--ranking", "nope", NULL }, NULL, NULL), ==, 2);

  g_clear_pointer (&db, gl_db_close);
  g_clear_pointer (&p, gl_project_close);
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/review", test_review);
  return g_test_run ();
}
