/* gl-test-pg.c — see gl-test-pg.h. */
#include "gl-test-pg.h"

#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Owned by the test that started it; main thread. */
struct _GlTestPg
{
  char *dir;    /* the temporary folder: data/, the socket, server.log */
  char *data;   /* dir/data */
  char *bindir; /* initdb and pg_ctl */
  gboolean drop; /* we are root: run the server as postgres */
  uid_t uid;
  gid_t gid;
  gboolean running;
  gboolean durable; /* fsync on (a benchmark's commits); FALSE: -F, as the tests want */
};

static char *
find_bindir (void)
{
  const char *env = g_getenv ("GLEANER_PG_BINDIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  g_autofree char *out = NULL;
  if (g_spawn_command_line_sync ("pg_config --bindir", &out, NULL, NULL, NULL) && out != NULL)
    {
      g_strstrip (out);
      g_autofree char *initdb = g_build_filename (out, "initdb", NULL);
      if (g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE))
        return g_steal_pointer (&out);
    }
  /* Debian: /usr/lib/postgresql/NN/bin, the newest first. */
  g_autoptr (GDir) d = g_dir_open ("/usr/lib/postgresql", 0, NULL);
  int best = -1;
  for (const char *name; d != NULL && (name = g_dir_read_name (d)) != NULL;)
    {
      int v = atoi (name);
      g_autofree char *initdb = g_strdup_printf ("/usr/lib/postgresql/%s/bin/initdb", name);
      if (v > best && g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE))
        best = v;
    }
  return best >= 0 ? g_strdup_printf ("/usr/lib/postgresql/%d/bin", best) : NULL;
}

static void
drop_privileges (gpointer data)
{
  GlTestPg *pg = data;
  if (!pg->drop)
    return;
  if (setgroups (0, NULL) != 0 || setgid (pg->gid) != 0 || setuid (pg->uid) != 0)
    _exit (127);
}

/* Runs @argv (as the server's user); the output goes into @error on failure. */
static gboolean
run_tool (GlTestPg *pg, const char *const *argv, GError **error)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  if (!g_spawn_sync (pg->dir, (char **) argv, NULL, G_SPAWN_DEFAULT, drop_privileges, pg, &out, &err, &status,
                     error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s%s", argv[0], out ? out : "",
                   err ? err : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
pg_ctl (GlTestPg *pg, const char *what, GError **error)
{
  g_autofree char *tool = g_build_filename (pg->bindir, "pg_ctl", NULL);
  g_autofree char *log = g_build_filename (pg->dir, "server.log", NULL);
  /* Unix socket in our folder only, no TCP; no fsync (a test server). */
  g_autofree char *options = g_strdup_printf ("-k %s -c listen_addresses=%s", pg->dir, pg->durable ? "" : " -F");
  if (g_str_equal (what, "start"))
    {
      const char *argv[] = { tool, "-D", pg->data, "-l", log, "-w", "-t", "60", "-o", options, "start", NULL };
      return run_tool (pg, argv, error);
    }
  const char *argv[] = { tool, "-D", pg->data, "-w", "-t", "60", "-m", what, "stop", NULL };
  return run_tool (pg, argv, error);
}

/* Stops the server if this process dies without gl_test_pg_stop (a failed
 * assertion aborts): a shell that waits for us, then shuts the server down
 * (SIGQUIT: immediate) and deletes the folder. */
static void
start_watchdog (GlTestPg *pg)
{
  g_autofree char *script = g_strdup_printf (
      "while kill -0 %d 2>/dev/null; do sleep 1; done; "
      "p=$(head -n 1 '%s/postmaster.pid' 2>/dev/null) && kill -QUIT \"$p\" 2>/dev/null; sleep 1; rm -rf '%s'",
      (int) getpid (), pg->data, pg->dir);
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                 NULL, NULL);
}

GlTestPg *
gl_test_pg_start (GError **error)
{
  return gl_test_pg_start_full (FALSE, error);
}

GlTestPg *
gl_test_pg_start_full (gboolean durable, GError **error)
{
  g_autofree char *bindir = find_bindir ();
  if (bindir == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "PostgreSQL's initdb was not found (install postgresql: bash .ci/setup)");
      return NULL;
    }
  GlTestPg *pg = g_new0 (GlTestPg, 1);
  pg->bindir = g_steal_pointer (&bindir);
  pg->durable = durable;
  pg->dir = g_dir_make_tmp ("gl-pg-XXXXXX", error);
  if (pg->dir == NULL)
    {
      gl_test_pg_stop (pg);
      return NULL;
    }
  pg->data = g_build_filename (pg->dir, "data", NULL);
  if (getuid () == 0)
    {
      struct passwd *pw = getpwnam ("postgres");
      if (pw == NULL)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                       "running as root and there is no postgres user to run the server as");
          gl_test_pg_stop (pg);
          return NULL;
        }
      pg->drop = TRUE;
      pg->uid = pw->pw_uid;
      pg->gid = pw->pw_gid;
      if (chown (pg->dir, pg->uid, pg->gid) != 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot hand %s to postgres", pg->dir);
          gl_test_pg_stop (pg);
          return NULL;
        }
    }
  start_watchdog (pg);
  g_autofree char *initdb = g_build_filename (pg->bindir, "initdb", NULL);
  const char *argv[] = { initdb, "-D", pg->data, "-U", "gleaner", "-A", "trust", "-E", "UTF8", "--locale=C",
                         "--no-sync", "--no-instructions", NULL };
  if (!run_tool (pg, argv, error) || !pg_ctl (pg, "start", error))
    {
      gl_test_pg_stop (pg);
      return NULL;
    }
  pg->running = TRUE;
  return pg;
}

char *
gl_test_pg_target (GlTestPg *pg, const char *dbname)
{
  return g_strdup_printf ("host=%s user=gleaner dbname=%s", pg->dir, dbname);
}

gboolean
gl_test_pg_create_db (GlTestPg *pg, const char *dbname, GError **error)
{
  g_autofree char *tool = g_build_filename (pg->bindir, "createdb", NULL);
  const char *argv[] = { tool, "-h", pg->dir, "-U", "gleaner", dbname, NULL };
  return run_tool (pg, argv, error);
}

char *
gl_test_pg_version (GlTestPg *pg)
{
  g_autofree char *tool = g_build_filename (pg->bindir, "postgres", NULL);
  const char *argv[] = { tool, "--version", NULL };
  g_autofree char *out = NULL;
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL) || out == NULL)
    return g_strdup ("unknown");
  return g_strstrip (g_steal_pointer (&out));
}

gboolean
gl_test_pg_kill (GlTestPg *pg, GError **error)
{
  if (!pg_ctl (pg, "immediate", error))
    return FALSE;
  pg->running = FALSE;
  return TRUE;
}

gboolean
gl_test_pg_restart (GlTestPg *pg, GError **error)
{
  if (!pg_ctl (pg, "start", error))
    return FALSE;
  pg->running = TRUE;
  return TRUE;
}

void
gl_test_pg_stop (GlTestPg *pg)
{
  if (pg == NULL)
    return;
  if (pg->running)
    pg_ctl (pg, "fast", NULL);
  if (pg->dir != NULL)
    {
      const char *argv[] = { "rm", "-rf", pg->dir, NULL };
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    }
  g_free (pg->dir);
  g_free (pg->data);
  g_free (pg->bindir);
  g_free (pg);
}
