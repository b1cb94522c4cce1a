/* test-team-roles.c — the least-privilege roles of a team project (issue 18,
 * db/gl-db-roles.h) on a throwaway PostgreSQL server (gl-test-pg.h):
 *
 *   the owner creates the project, imports images and runs the SQL that
 *   `gleaner-cli team PROJECT role-sql` prints for an annotator and a
 *   trainer; then, connected as the annotator role, a desktop opens the
 *   project, labels through its queue (leases, the label, skip, undo), and
 *   sees another desktop's label arrive live; and the annotator role cannot
 *   drop, alter or create a table, change classes or write the ranking,
 *   while the trainer role can write the ranking but not drop a table.
 *   A role name that is not a plain identifier is refused, naming it.
 *
 * Skipped when PostgreSQL is not installed. */
#include "gleaner-config.h"

#include <libpq-fe.h>
#include <string.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-team-watch.h"
#include "db/gl-db-roles.h"
#include "db/gl-test-pg.h"
#include "synth-project.h"

/* The server, its folder of data files and the project's targets; the test's thread. */
typedef struct
{
  GlTestPg *pg;
  char *dir;
  char *owner;     /* the owner's connection settings */
  char *annotator; /* the same as role "annot" */
  char *trainer;   /* the same as role "trainer_role" */
} Roles;

static void
roles_setup (Roles *t, gconstpointer data)
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
  t->owner = gl_test_pg_target (t->pg, "team");
  g_assert_true (g_str_has_prefix (t->owner, "host="));
  t->annotator = g_strdup_printf ("%s user=annot", t->owner);
  t->trainer = g_strdup_printf ("%s user=trainer_role", t->owner);
  t->dir = g_dir_make_tmp ("gl-team-roles-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *cache = g_build_filename (t->dir, "cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  synth_write_idx (t->dir, "first", 40, 7, FALSE);
}

static void
roles_teardown (Roles *t, gconstpointer data)
{
  gl_test_pg_stop (t->pg);
  if (t->dir != NULL)
    {
      const char *argv[] = { "rm", "-rf", t->dir, NULL };
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    }
  g_free (t->dir);
  g_free (t->owner);
  g_free (t->annotator);
  g_free (t->trainer);
}

/* Runs @sql on @target; TRUE when it succeeded, else the server's message in *@message. */
static gboolean
run_sql (const char *target, const char *sql, char **message)
{
  PGconn *c = PQconnectdb (target);
  g_assert_cmpint (PQstatus (c), ==, CONNECTION_OK);
  PGresult *r = PQexec (c, sql);
  ExecStatusType st = PQresultStatus (r);
  gboolean ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (message != NULL)
    *message = ok ? NULL : g_strdup (PQresultErrorMessage (r));
  PQclear (r);
  PQfinish (c);
  return ok;
}

/* Refused with "permission denied" or "must be owner". */
static void
assert_refused (const char *target, const char *sql)
{
  g_autofree char *message = NULL;
  g_assert_false (run_sql (target, sql, &message));
  if (strstr (message, "permission denied") == NULL && strstr (message, "must be owner") == NULL)
    g_error ("“%s” failed for another reason: %s", sql, message);
}

static void
on_labels_changed (GlTeamWatch *watch, GArray *ids, gpointer data)
{
  gint64 *want = data;
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, gint64, i) == *want)
      *want = -1;
}

static void
test_annotator (Roles *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) owner = gl_project_create (t->owner, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  synth_import_split (owner, t->dir, "first");
  for (guint kind = 0; kind < 2; kind++)
    {
      g_autofree char *sql = gl_db_role_sql (kind ? GL_DB_ROLE_TRAINER : GL_DB_ROLE_ANNOTATOR,
                                             kind ? "trainer_role" : "annot", &error);
      g_assert_no_error (error);
      g_assert_null (strstr (sql, "PASSWORD"));
      g_autofree char *message = NULL;
      if (!run_sql (t->owner, sql, &message))
        g_error ("the role SQL failed: %s", message);
      /* Twice is harmless (after an update adds a table). */
      g_assert_true (run_sql (t->owner, sql, NULL));
    }

  /* The annotator's desktop: open, queue (a lease), label, skip, undo. */
  g_autofree char *before = gl_db_dup_default_annotator ();
  gl_db_set_default_annotator ("ann");
  g_autoptr (GlProject) desk = gl_project_open (t->annotator, &error);
  g_assert_no_error (error);
  g_autoptr (GlQueue) queue = gl_queue_new (desk, &error);
  g_assert_no_error (error);
  gl_db_set_default_annotator (before);
  g_assert_true (gl_queue_take_error (queue, &error));
  g_assert_no_error (error);
  const GlQueueItem *item = gl_queue_get_current (queue);
  g_assert_nonnull (item);
  gint64 labeled = item->image_id;
  g_assert_true (gl_queue_label (queue, 3, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_true (gl_queue_skip (queue, &error));
  g_assert_no_error (error);
  g_assert_true (gl_queue_undo (queue, &error));
  g_assert_no_error (error);
  g_assert_true (gl_queue_label (queue, 1, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_true (gl_queue_take_error (queue, &error));
  g_assert_no_error (error);
  GlDbLabel l = { 0 };
  g_assert_true (gl_db_get_current_label (gl_project_get_db (owner), labeled, FALSE, &l, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (l.annotator, ==, "ann");
  gl_db_label_clear (&l);

  /* It sees the owner's label live. */
  g_autoptr (GlTeamWatch) watch = gl_team_watch_new (desk, &error);
  g_assert_no_error (error);
  g_autoptr (GArray) unlabeled = gl_db_list_unlabeled (gl_project_get_db (owner), 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unlabeled->len, >, 0);
  gint64 want = g_array_index (unlabeled, GlDbScoredImage, unlabeled->len - 1).image_id;
  g_signal_connect (watch, "labels-changed", G_CALLBACK (on_labels_changed), &want);
  g_autoptr (GArray) classes = gl_db_list_classes (gl_project_get_db (owner), FALSE, &error);
  g_assert_true (gl_db_set_label (gl_project_get_db (owner), want, g_array_index (classes, GlDbClass, 2).id,
                                  GL_DB_ORIGIN_HUMAN, "owner", NULL, &error));
  g_assert_no_error (error);
  gint64 until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (want >= 0 && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (5000), TRUE);
  g_assert_cmpint (want, ==, -1);
  g_signal_handlers_disconnect_by_data (watch, &want);
  for (guint i = 0; i < classes->len; i++)
    gl_db_class_clear (&g_array_index (classes, GlDbClass, i));

  /* No DDL, no classes, no ranking for the annotator. */
  assert_refused (t->annotator, "DROP TABLE labels");
  assert_refused (t->annotator, "ALTER TABLE labels ADD COLUMN x INTEGER");
  assert_refused (t->annotator, "CREATE TABLE intruder (x INTEGER)");
  assert_refused (t->annotator, "DROP TRIGGER gleaner_labels_notify ON labels");
  assert_refused (t->annotator, "UPDATE classes SET name = 'x'");
  assert_refused (t->annotator, "DELETE FROM queue");
  /* The trainer writes the ranking, but no DDL either. */
  g_assert_true (run_sql (t->trainer, "DELETE FROM queue WHERE position < 0", NULL));
  assert_refused (t->trainer, "DROP TABLE labels");
  assert_refused (t->trainer, "ALTER TABLE images ADD COLUMN x INTEGER");
  assert_refused (t->trainer, "CREATE TABLE intruder (x INTEGER)");
}

static void
test_bad_name (void)
{
  const char *bad[] = { "", "Annot", "1annot", "pg_annot", "a\"; DROP TABLE labels; --", "a b", NULL };
  for (guint i = 0; bad[i]; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *sql = gl_db_role_sql (GL_DB_ROLE_ANNOTATOR, bad[i], &error);
      g_assert_null (sql);
      g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "role name"));
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = gl_db_role_sql (GL_DB_ROLE_TRAINER, "team_trainer", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (sql, "team_trainer"));
  GlDbRoleKind kind;
  g_assert_true (gl_db_role_kind_parse ("trainer", &kind));
  g_assert_cmpint (kind, ==, GL_DB_ROLE_TRAINER);
  g_assert_false (gl_db_role_kind_parse ("owner", &kind));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/team-roles/annotator", Roles, NULL, roles_setup, test_annotator, roles_teardown);
  g_test_add_func ("/team-roles/bad-name", test_bad_name);
  return g_test_run ();
}
