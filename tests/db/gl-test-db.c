/* gl-test-db.c — see gl-test-db.h. */
#include "gl-test-db.h"

#include "gl-test-pg.h"

#include <glib/gstdio.h>
#include <stdlib.h>

static GlTestPg *server;  /* the test process's main thread only */
static guint n_databases; /* databases created on it */

gboolean
gl_test_db_postgres (void)
{
  return g_strcmp0 (g_getenv ("GL_TEST_DB_BACKEND"), "postgres") == 0;
}

static void
stop_server (void)
{
  g_clear_pointer (&server, gl_test_pg_stop);
}

GlDb *
gl_test_db_create (char **path)
{
  GError *error = NULL;
  if (gl_test_db_postgres ())
    {
      if (server == NULL)
        {
          server = gl_test_pg_start (&error);
          g_assert_no_error (error);
          atexit (stop_server);
        }
      g_autofree char *name = g_strdup_printf ("project%u", ++n_databases);
      g_assert_true (gl_test_pg_create_db (server, name, &error));
      g_assert_no_error (error);
      g_free (*path);
      *path = gl_test_pg_target (server, name);
    }
  GlDb *db = gl_db_create (*path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
  return db;
}

gboolean
gl_test_db_skip_unless_file (void)
{
  if (!gl_test_db_postgres ())
    return FALSE;
  g_test_skip ("needs the project's SQLite file");
  return TRUE;
}

void
gl_test_db_remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *f = g_build_filename (dir, name, NULL);
      g_unlink (f);
    }
  g_rmdir (dir);
}
