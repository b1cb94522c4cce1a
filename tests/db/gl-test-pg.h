/* gl-test-pg.h — a throwaway PostgreSQL server for the tests (issue 18):
 * initdb into a temporary folder, started on a Unix socket in that folder
 * with no TCP port, stopped and deleted at the end. Run as root (CI), the
 * server runs as the `postgres` system user that Debian's package creates,
 * since PostgreSQL refuses to run as root.
 *
 * The binaries are looked up in $GLEANER_PG_BINDIR, then pg_config
 * --bindir, then /usr/lib/postgresql/NN/bin. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GlTestPg GlTestPg;

/* Creates and starts a server; NULL with @error (naming what is missing)
 * when PostgreSQL is not installed or does not start. */
GlTestPg *gl_test_pg_start (GError **error);
/* The same; @durable: with fsync on, as a real server (the tests run
 * without it: -F), for a benchmark's commit times and crash trials. */
GlTestPg *gl_test_pg_start_full (gboolean durable, GError **error);
/* "postgres (PostgreSQL) NN.N" of the server's binaries. Free with g_free. */
char *gl_test_pg_version (GlTestPg *pg);
/* Connection settings for database @dbname on it ("postgres" is there;
 * see gl_test_pg_create_db). Free with g_free. */
char *gl_test_pg_target (GlTestPg *pg, const char *dbname);
/* Creates an empty database @dbname. */
gboolean gl_test_pg_create_db (GlTestPg *pg, const char *dbname, GError **error);
/* Stops the server at once (as a crash would: -m immediate), or starts it
 * again on the same data and socket. */
gboolean gl_test_pg_kill (GlTestPg *pg, GError **error);
gboolean gl_test_pg_restart (GlTestPg *pg, GError **error);
/* Stops the server and deletes its folder. */
void gl_test_pg_stop (GlTestPg *pg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlTestPg, gl_test_pg_stop)

G_END_DECLS
