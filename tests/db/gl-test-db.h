/* gl-test-db.h — the project of a store test (issue 18): a file in a
 * temporary folder, or, with GL_TEST_DB_BACKEND=postgres, a fresh database
 * on one throwaway PostgreSQL server per test process (gl-test-pg.h),
 * started at the first use and stopped at exit. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* TRUE when the tests run against PostgreSQL. */
gboolean gl_test_db_postgres (void);
/* A new project: gl_db_create (*@path), or on PostgreSQL a new database on
 * the server, and then *@path (owned, g_free) becomes its connection
 * string, which gl_db_open takes as it takes the file. Asserts that it
 * worked. */
GlDb *gl_test_db_create (char **path);
/* In a test that needs the project's SQLite file (it opens, copies or
 * damages it): skips the test on PostgreSQL and returns TRUE there. */
gboolean gl_test_db_skip_unless_file (void);
/* Deletes a temporary folder and the files in it (the project, its WAL …). */
void gl_test_db_remove_dir (const char *dir);

G_END_DECLS
