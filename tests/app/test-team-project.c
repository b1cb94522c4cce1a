/* End-to-end tests of a team project (issue 18): `gleaner-cli` (env
 * GLEANER_CLI) given a PostgreSQL connection string instead of a folder, on
 * a throwaway server (tests/db/gl-test-pg.h), by two desktops, A and B,
 * each with its own $XDG_CACHE_HOME (where a team project's per-desktop
 * folder lives) and $XDG_CONFIG_HOME (its annotator):
 *   A creates the project and imports labeled IDX images (their pixels are
 *   their only copy: no file on any desktop);
 *   B, which never saw the images, reads the counts, relabels one, trains,
 *   reads the stats and exports, all from the pixels in the store; A then
 *   trains on from B's model, whose file it gets from the store;
 *   A imports more, B sees them, and the pixel caches of A and B hold the
 *   same rows byte for byte.
 * Live updates: a label given through one connection reaches the gallery
 * model of another project handle through the server's notification.
 * And the bad inputs: a string that does not parse, a server that is not
 * there, each named in the message without its password. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#include "app/gl-gallery-model.h"
#include "app/gl-pixel-cache.h"
#include "app/gl-queue.h"
#include "db/gl-db-lease.h"
#include "app/gl-team-watch.h"

#include "../db/gl-test-pg.h"
#include "synth-project.h"

typedef struct
{
  GlTestPg *pg;
  char *dir;    /* temporary folder: data/, a/, b/ */
  char *target; /* the project's connection string, as a URI */
} Team;

/* Runs gleaner-cli with @args as desktop @who ("a" or "b"); its stdout into
 * @out and its stderr into @err (either may be NULL). The exit status. */
static int
run_on (Team *t, const char *who, const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *cache = g_build_filename (t->dir, who, "cache", NULL);
  g_autofree char *config = g_build_filename (t->dir, who, "config", NULL);
  env = g_environ_setenv (env, "XDG_CACHE_HOME", cache, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", config, TRUE);
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *o = NULL, *e = NULL;
  g_spawn_sync (NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s %s: %s%s", who, args[0], o ? o : "", e ? e : "");
  if (out)
    *out = g_steal_pointer (&o);
  if (err)
    *err = g_steal_pointer (&e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
team_setup (Team *t, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  t->pg = gl_test_pg_start (&error);
  if (t->pg == NULL)
    {
      g_autofree char *why = g_strdup_printf ("no PostgreSQL server for the test: %s", error->message);
      g_test_skip (why);
      return;
    }
  g_assert_true (gl_test_pg_create_db (t->pg, "team", &error));
  g_assert_no_error (error);
  t->dir = g_dir_make_tmp ("gl-team-project-XXXXXX", &error);
  g_assert_no_error (error);
  /* The URI form, with the socket folder as its host. */
  g_autofree char *settings = gl_test_pg_target (t->pg, "team");
  g_auto (GStrv) parts = g_strsplit (settings, " ", -1); /* host=DIR user=gleaner dbname=team */
  g_assert_true (g_str_has_prefix (parts[0], "host="));
  t->target = g_strdup_printf ("postgresql://gleaner@/team?host=%s", parts[0] + 5);
  g_autofree char *data_dir = g_build_filename (t->dir, "data", NULL);
  g_assert_cmpint (g_mkdir (data_dir, 0700), ==, 0);
  synth_write_idx (data_dir, "first", 40, 7, FALSE);
  synth_write_idx (data_dir, "second", 24, 8, FALSE);
}

static void
team_teardown (Team *t, gconstpointer data)
{
  if (t->dir)
    gl_remove_tree (t->dir);
  g_free (t->dir);
  g_free (t->target);
  gl_test_pg_stop (t->pg);
}

/* The uuid-named folder of the project in @who's cache. */
static char *
project_cache (Team *t, const char *who)
{
  g_autofree char *base = g_build_filename (t->dir, who, "cache", "gleaner", NULL);
  g_autoptr (GDir) d = g_dir_open (base, 0, NULL);
  g_assert_nonnull (d);
  const char *name = g_dir_read_name (d);
  g_assert_nonnull (name);
  g_assert_null (g_dir_read_name (d)); /* one project */
  return g_build_filename (base, name, NULL);
}

/* The rows of @who's pixel cache (the file without its header). */
static GBytes *
pixel_rows (Team *t, const char *who)
{
  g_autofree char *dir = project_cache (t, who);
  g_autofree char *path = g_build_filename (dir, "cache", "pixels", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, >=, GL_PIXEL_CACHE_HEADER_SIZE);
  return g_bytes_new (contents + GL_PIXEL_CACHE_HEADER_SIZE, len - GL_PIXEL_CACHE_HEADER_SIZE);
}

static gint64
json_int (const char *json, const char *key)
{
  g_autofree char *k = g_strdup_printf ("\"%s\":", key);
  const char *at = strstr (json, k);
  g_assert_nonnull (at);
  return g_ascii_strtoll (at + strlen (k), NULL, 10);
}

static void
test_two_desktops (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autofree char *first = g_build_filename (t->dir, "data", "first-images-idx3-ubyte", NULL);
  g_autofree char *second = g_build_filename (t->dir, "data", "second-images-idx3-ubyte", NULL);
  g_autofree char *out = NULL;
  const char *init[] = { "init", t->target, "--input", "28x28x1",
                         "--classes", "top-left,top-right,bottom-left,bottom-right", NULL };
  g_assert_cmpint (run_on (t, "a", init, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "created project postgresql://gleaner@"));
  g_clear_pointer (&out, g_free);
  g_autofree char *first_labels = g_build_filename (t->dir, "data", "first-labels-idx1-ubyte", NULL);
  const char *import1[] = { "import", t->target, first, "--idx-labels", first_labels, NULL };
  g_assert_cmpint (run_on (t, "a", import1, NULL, NULL), ==, 0);

  /* B: the counts, from the server. */
  const char *info[] = { "info", t->target, "--json", NULL };
  g_assert_cmpint (run_on (t, "b", info, &out, NULL), ==, 0);
  g_assert_cmpint (json_int (out, "images"), ==, 40);
  g_assert_cmpint (json_int (out, "readable"), ==, 40);
  g_assert_cmpint (json_int (out, "labeled"), ==, 40);
  g_clear_pointer (&out, g_free);
  /* B has A's pixels, though it never saw the IDX file. */
  {
    g_autoptr (GBytes) pa = pixel_rows (t, "a");
    g_autoptr (GBytes) pb = pixel_rows (t, "b");
    g_assert_cmpuint (g_bytes_get_size (pa), ==, 40 * 28 * 28);
    g_assert_true (g_bytes_equal (pa, pb));
  }

  /* B labels, trains on the pixels in its cache, reads the stats, exports. */
  const char *annot[] = { "annotator", "--set", "bea", NULL };
  g_assert_cmpint (run_on (t, "b", annot, NULL, NULL), ==, 0);
  const char *label[] = { "label", t->target, "1", "top-right", NULL };
  g_assert_cmpint (run_on (t, "b", label, NULL, NULL), ==, 0);
  const char *history[] = { "history", t->target, "1", NULL };
  g_assert_cmpint (run_on (t, "a", history, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "bea"));
  g_clear_pointer (&out, g_free);
  const char *train[] = { "train", t->target, NULL };
  g_assert_cmpint (run_on (t, "b", train, NULL, NULL), ==, 0);
  const char *stats[] = { "stats", t->target, "--json", NULL };
  g_assert_cmpint (run_on (t, "a", stats, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"learning_curve\""));
  g_clear_pointer (&out, g_free);
  /* A trains from B's model: the file comes from the store, into A's folder under its checksum. */
  g_assert_cmpint (run_on (t, "a", train, NULL, NULL), ==, 0);
  {
    g_autofree char *dir = project_cache (t, "a");
    g_autofree char *models = g_build_filename (dir, "models", NULL);
    g_autoptr (GDir) d = g_dir_open (models, 0, NULL);
    g_assert_nonnull (d);
    guint copies = 0;
    for (const char *name; (name = g_dir_read_name (d)) != NULL;)
      copies += strlen (name) == 64 + strlen (".gleaner-model") && g_str_has_suffix (name, ".gleaner-model");
    g_assert_cmpuint (copies, ==, 1);
  }
  g_autofree char *export_dir = g_build_filename (t->dir, "b", "export", NULL);
  const char *export[] = { "export", t->target, export_dir, "--format", "csv", NULL };
  g_assert_cmpint (run_on (t, "b", export, NULL, NULL), ==, 0);
  g_autofree char *csv = g_build_filename (export_dir, "labels.csv", NULL);
  g_assert_true (g_file_test (csv, G_FILE_TEST_IS_REGULAR));

  /* Every other command that takes PROJECT takes the connection string too. */
  g_autofree char *charts = g_build_filename (t->dir, "b", "charts", NULL);
  const char *const commands[][6] = {
    { "queue", t->target, NULL },          { "predict", t->target, NULL },
    { "problems", t->target, NULL },       { "classes", t->target, "list", NULL },
    { "drift", t->target, NULL },          { "insights", t->target, "--out", charts, NULL },
    { "review", t->target, NULL },         { "rules", t->target, "list", NULL },
    { "agreement", t->target, NULL },      { "conflicts", t->target, NULL },
    { "accept", t->target, "2", NULL },    { "undo", t->target, NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *err = NULL;
      int status = run_on (t, "b", commands[i], NULL, &err);
      if (status != 0)
        g_error ("gleaner-cli %s on a team project: exit %d: %s", commands[i][0], status, err);
    }

  /* A imports more; B gets the new rows at its next open. */
  const char *import2[] = { "import", t->target, second, NULL };
  g_assert_cmpint (run_on (t, "a", import2, NULL, NULL), ==, 0);
  g_assert_cmpint (run_on (t, "b", info, &out, NULL), ==, 0);
  g_assert_cmpint (json_int (out, "images"), ==, 64);
  {
    g_autoptr (GBytes) pa = pixel_rows (t, "a");
    g_autoptr (GBytes) pb = pixel_rows (t, "b");
    g_assert_cmpuint (g_bytes_get_size (pa), ==, 64 * 28 * 28);
    g_assert_true (g_bytes_equal (pa, pb));
  }
}

/* Each bad target fails with a message naming it, never its password. */
static void
test_bad_targets (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autofree char *no_server = g_build_filename (t->dir, "no-server", NULL);
  g_autofree char *gone = g_strdup_printf ("postgresql://gleaner:hunter2@/team?host=%s", no_server);
  const char *targets[] = { gone, "postgresql://gleaner:hunter2@[::1/team", "host=/nowhere password=hunter2 dbname=" };
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      const char *info[] = { "info", targets[i], NULL };
      g_autofree char *out = NULL, *err = NULL;
      g_assert_cmpint (run_on (t, "a", info, &out, &err), !=, 0);
      g_assert_null (strstr (err, "hunter2"));
      g_assert_null (strstr (out, "hunter2"));
      g_assert_nonnull (strstr (err, "gleaner-cli info: "));
    }
  /* The server's own database without a project in it. */
  g_autofree char *settings = gl_test_pg_target (t->pg, "postgres");
  const char *empty[] = { "info", settings, NULL };
  g_autofree char *err = NULL;
  g_assert_cmpint (run_on (t, "a", empty, NULL, &err), !=, 0);
  g_assert_nonnull (strstr (err, "no Gleaner project"));
}

typedef struct
{
  GlGalleryModel *gallery; /* borrowed */
  gint64 image;            /* the image labeled on the other connection */
  gboolean seen;           /* it came in a "labels-changed" */
} Live;

/* What the window does with a "labels-changed": the gallery re-reads its pages. */
static void
on_labels_changed (GlTeamWatch *watch, GArray *ids, gpointer data)
{
  Live *live = data;
  for (guint i = 0; i < ids->len; i++)
    live->seen |= g_array_index (ids, gint64, i) == live->image;
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_gallery_model_reload (live->gallery, &error));
  g_assert_no_error (error);
}

/* The label of @image in @gallery, read now. */
static gint64
gallery_label (GlGalleryModel *gallery, gint64 image)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (gallery));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GlGalleryItem) item = gl_gallery_model_get_item_now (gallery, i, &error);
      g_assert_no_error (error);
      if (gl_gallery_item_get_id (item) == image)
        return gl_gallery_item_get_label (item);
    }
  g_assert_not_reached ();
}

/* A label given on one connection shows in the gallery of another, through
 * the server's notification (a generous wait; no timing is asserted). */
static void
test_live (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p1 = gl_project_create (t->target, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  g_autofree char *data_dir = g_build_filename (t->dir, "data", NULL);
  synth_import_split (p1, data_dir, "first");
  g_autoptr (GlProject) p2 = gl_project_open (t->target, &error);
  g_assert_no_error (error);
  g_autoptr (GlTeamWatch) watch = gl_team_watch_new (p2, &error);
  g_assert_no_error (error);
  g_autoptr (GlGalleryModel) gallery = gl_gallery_model_new (p2, &error);
  g_assert_no_error (error);
  g_autoptr (GlGalleryItem) first = gl_gallery_model_get_item_now (gallery, 3, &error);
  g_assert_no_error (error);
  Live live = { gallery, gl_gallery_item_get_id (first), FALSE };
  g_assert_cmpint (gallery_label (gallery, live.image), <, 0);
  g_signal_connect (watch, "labels-changed", G_CALLBACK (on_labels_changed), &live);

  g_autoptr (GArray) classes = gl_db_list_classes (gl_project_get_db (p1), FALSE, &error);
  gint64 klass = g_array_index (classes, GlDbClass, 1).id;
  g_assert_true (gl_db_set_label (gl_project_get_db (p1), live.image, klass, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_no_error (error);
  gint64 until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!live.seen && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (5000), TRUE);
  g_assert_true (live.seen);
  g_assert_cmpint (gallery_label (gallery, live.image), ==, klass);
  g_signal_handlers_disconnect_by_data (watch, &live);
}

/* Two annotators' queues on one team project never show the same image at
 * once; a label gives the image's lease back, closing the queue gives back
 * the rest. */
static void
on_async_done (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_leases (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p1 = gl_project_create (t->target, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  g_autofree char *data_dir = g_build_filename (t->dir, "data", NULL);
  synth_import_split (p1, data_dir, "first");
  g_autoptr (GlProject) p2 = gl_project_open (t->target, &error);
  g_assert_no_error (error);
  g_autofree char *before = gl_db_dup_default_annotator ();
  gl_db_set_default_annotator ("ann");
  g_autoptr (GlQueue) q1 = gl_queue_new (p1, &error);
  g_assert_no_error (error);
  gl_db_set_default_annotator ("bob");
  GlQueue *q2 = gl_queue_new (p2, &error);
  g_assert_no_error (error);
  gl_db_set_default_annotator (before);

  /* The images on screen and the previews after them: none in both. */
  g_assert_nonnull (gl_queue_get_current (q1));
  g_assert_nonnull (gl_queue_get_current (q2));
  g_autoptr (GPtrArray) next1 = gl_queue_peek (q1, 3);
  g_autoptr (GPtrArray) next2 = gl_queue_peek (q2, 3);
  g_ptr_array_add (next1, gl_queue_item_copy (gl_queue_get_current (q1)));
  g_ptr_array_add (next2, gl_queue_item_copy (gl_queue_get_current (q2)));
  for (guint i = 0; i < next1->len; i++)
    for (guint k = 0; k < next2->len; k++)
      g_assert_cmpint (((GlQueueItem *)next1->pdata[i])->image_id, !=, ((GlQueueItem *)next2->pdata[k])->image_id);

  /* ann labels hers: its lease goes back with the label. */
  gint64 hers = gl_queue_get_current (q1)->image_id;
  g_assert_cmpint (gl_db_lease_count (gl_project_get_db (p1), hers, &error), ==, 1);
  g_assert_true (gl_queue_label (q1, 0, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_lease_count (gl_project_get_db (p1), hers, &error), ==, 0);
  /* The window's way (asynchronous, on the queue's writer connection, which
   * must reach the server by the project's own target): stored, lease back. */
  gint64 next = gl_queue_get_current (q1)->image_id;
  GAsyncResult *result = NULL;
  gl_db_set_default_annotator ("ann"); /* the writer's connection is made now, as this desktop's */
  gl_queue_label_async (q1, 1, GL_LABEL_ORIGIN_HUMAN, on_async_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  gl_db_set_default_annotator (before);
  g_assert_true (gl_queue_finish (q1, result, &error));
  g_assert_no_error (error);
  g_object_unref (result);
  GlDbLabel stored = { 0 };
  g_assert_true (gl_db_get_current_label (gl_project_get_db (p2), next, FALSE, &stored, &error));
  g_assert_cmpint (stored.class_id, >=, 0);
  gl_db_label_clear (&stored);
  g_assert_cmpint (gl_db_lease_count (gl_project_get_db (p1), next, &error), ==, 0);
  /* bob closes: his go back. */
  gint64 his = gl_queue_get_current (q2)->image_id;
  g_assert_cmpint (gl_db_lease_count (gl_project_get_db (p1), his, &error), ==, 1);
  g_object_unref (q2);
  g_assert_cmpint (gl_db_lease_count (gl_project_get_db (p1), his, &error), ==, 0);
}

/* This desktop's path prefixes: set and listed by gleaner-cli, applied
 * (longest prefix, whole components) by gl_project_local_path; refused for
 * a project folder and for relative prefixes. */
static void
test_prefixes (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_create (t->target, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  const char *set[] = { "team", t->target, "set-prefix", "/data/shared/", "/mnt/team", NULL };
  g_assert_cmpint (run_on (t, "b", set, NULL, NULL), ==, 0);
  const char *list[] = { "team", t->target, "prefixes", "--json", NULL };
  g_autofree char *out = NULL;
  g_assert_cmpint (run_on (t, "b", list, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "{\"prefixes\":[{\"stored\":\"/data/shared\",\"local\":\"/mnt/team\"}]}"));
  g_clear_pointer (&out, g_free);
  const char *relative[] = { "team", t->target, "set-prefix", "data", "/mnt", NULL };
  g_assert_cmpint (run_on (t, "b", relative, NULL, NULL), !=, 0);
  /* Desktop A has no prefixes. */
  g_assert_cmpint (run_on (t, "a", list, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "{\"prefixes\":[]}"));

  g_assert_true (gl_project_set_path_prefix (p, "/data/shared", "/mnt/team", &error));
  g_assert_true (gl_project_set_path_prefix (p, "/data/shared/cats", "/home/me/cats", &error));
  g_assert_no_error (error);
  const char *cases[][2] = { { "/data/shared/a/b.png", "/mnt/team/a/b.png" },
                             { "/data/shared/cats/c.png", "/home/me/cats/c.png" },
                             { "/data/sharedX/d.png", "/data/sharedX/d.png" },
                             { "/other/e.png", "/other/e.png" } };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *here = gl_project_local_path (p, cases[i][0]);
      g_assert_cmpstr (here, ==, cases[i][1]);
    }
  g_assert_true (gl_project_set_path_prefix (p, "/data/shared/cats", NULL, &error));
  g_autofree char *back = gl_project_local_path (p, "/data/shared/cats/c.png");
  g_assert_cmpstr (back, ==, "/mnt/team/cats/c.png");

  g_autofree char *folder = g_build_filename (t->dir, "folder", NULL);
  g_autoptr (GlProject) f = gl_project_create (folder, 28, 28, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (gl_project_set_path_prefix (f, "/a", "/b", &error));
  g_assert_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  /* The in-process projects' per-desktop folders. */
  g_autofree char *cache = g_dir_make_tmp ("gl-team-cache-XXXXXX", NULL);
  g_assert_nonnull (cache);
  g_autofree char *config = g_build_filename (cache, "config", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/team/project/two-desktops", Team, NULL, team_setup, test_two_desktops, team_teardown);
  g_test_add ("/team/project/bad-targets", Team, NULL, team_setup, test_bad_targets, team_teardown);
  g_test_add ("/team/project/live", Team, NULL, team_setup, test_live, team_teardown);
  g_test_add ("/team/project/leases", Team, NULL, team_setup, test_leases, team_teardown);
  g_test_add ("/team/project/prefixes", Team, NULL, team_setup, test_prefixes, team_teardown);
  int status = g_test_run ();
  gl_remove_tree (cache);
  return status;
}
