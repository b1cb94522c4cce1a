/* test-team-reconnect.c — a team project's desktop survives its server going
 * away (issue 18; db/gl-sql-postgres.c's reconnection), on a throwaway
 * PostgreSQL server (gl-test-pg.h):
 *
 *   /team-reconnect/restart   the server is killed (as a crash: -m immediate)
 *                             and started again between two labels, twice:
 *                             the next label is committed on a new
 *                             connection and stored (gl_queue_label; the
 *                             asynchronous one cannot reach a server on a
 *                             socket folder at all yet: gl-queue.c opens its
 *                             writer's connection from the store's redacted
 *                             name);
 *   /team-reconnect/down      a label given while the server is down is
 *                             refused with a message that says the server
 *                             went away, the image stays on screen, nothing
 *                             is stored; once the server is back, the same
 *                             label is committed.
 *
 * Skipped when PostgreSQL is not installed. */
#include "gleaner-config.h"

#include <string.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "db/gl-test-pg.h"
#include "synth-project.h"

/* The server, the data files and the project; the test's thread. */
typedef struct
{
  GlTestPg *pg;
  char *dir;
  char *target;
  GlProject *project;
  GlQueue *queue;
} Team;

static void
team_setup (Team *t, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  t->pg = gl_test_pg_start (&error);
  if (t->pg == NULL)
    {
      g_test_skip (error->message);
      return;
    }
  g_assert_true (gl_test_pg_create_db (t->pg, "team", &error));
  g_assert_no_error (error);
  t->target = gl_test_pg_target (t->pg, "team");
  t->dir = g_dir_make_tmp ("gl-team-reconnect-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *cache = g_build_filename (t->dir, "cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  synth_write_idx (t->dir, "first", 30, 5, FALSE);
  t->project = gl_project_create (t->target, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  synth_import_split (t->project, t->dir, "first");
  t->queue = gl_queue_new (t->project, &error);
  g_assert_no_error (error);
}

static void
team_teardown (Team *t, gconstpointer data)
{
  g_clear_object (&t->queue);
  g_clear_pointer (&t->project, gl_project_close);
  gl_test_pg_stop (t->pg);
  if (t->dir != NULL)
    {
      const char *argv[] = { "rm", "-rf", t->dir, NULL };
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    }
  g_free (t->dir);
  g_free (t->target);
}

/* The current label of @image_id read on a connection of its own; -1 when none. */
static gint64
stored_label (Team *t, gint64 image_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (t->target, &error);
  g_assert_no_error (error);
  GlDbLabel l = { 0 };
  g_assert_true (gl_db_get_current_label (db, image_id, FALSE, &l, &error));
  g_assert_no_error (error);
  gint64 c = l.class_id;
  gl_db_label_clear (&l);
  return c;
}

static void
kill_server (Team *t, gboolean restart)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (gl_test_pg_kill (t->pg, &error));
  g_assert_no_error (error);
  if (restart)
    {
      g_assert_true (gl_test_pg_restart (t->pg, &error));
      g_assert_no_error (error);
    }
}

static void
test_restart (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autoptr (GError) error = NULL;
  gint64 first = gl_queue_get_current (t->queue)->image_id;
  g_assert_true (gl_queue_label (t->queue, 1, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  kill_server (t, TRUE);

  gint64 second = gl_queue_get_current (t->queue)->image_id;
  g_assert_cmpint (second, !=, first);
  g_assert_true (gl_queue_label (t->queue, 2, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stored_label (t, first), >=, 0);
  g_assert_cmpint (stored_label (t, second), >=, 0);

  /* And again: each break is found and mended at the next label. */
  kill_server (t, TRUE);
  gint64 third = gl_queue_get_current (t->queue)->image_id;
  g_assert_true (gl_queue_label (t->queue, 3, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stored_label (t, third), >=, 0);
  g_assert_true (gl_queue_take_error (t->queue, &error));
  g_assert_no_error (error);
}

static void
test_down (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autoptr (GError) error = NULL;
  gint64 image = gl_queue_get_current (t->queue)->image_id;
  kill_server (t, FALSE);
  g_assert_false (gl_queue_label (t->queue, 2, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_nonnull (error);
  if (strstr (error->message, "server") == NULL)
    g_error ("the message does not say the server is gone: %s", error->message);
  g_assert_null (strstr (error->message, "password"));
  g_clear_error (&error);
  g_assert_cmpint (gl_queue_get_current (t->queue)->image_id, ==, image);

  g_assert_true (gl_test_pg_restart (t->pg, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stored_label (t, image), <, 0);
  g_assert_true (gl_queue_label (t->queue, 2, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (stored_label (t, image), >=, 0);
  g_assert_cmpint (gl_queue_get_current (t->queue)->image_id, !=, image);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/team-reconnect/restart", Team, NULL, team_setup, test_restart, team_teardown);
  g_test_add ("/team-reconnect/down", Team, NULL, team_setup, test_down, team_teardown);
  return g_test_run ();
}
