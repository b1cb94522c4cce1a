/* gl-sql-sqlite.h — the one way past gl-sql.h to SQLite itself, for what
 * only SQLite has: the PRAGMAs, the WAL and its checkpointer, the busy
 * handler (gl-db.c) and page counts (gl-db-chunk.c). Nothing else in db/
 * includes it; each place that does says what it does on PostgreSQL. */
#pragma once

#include <sqlite3.h>

#include "db/gl-sql.h"

/* The SQLite handle of @conn (borrowed: it dies with @conn); NULL when
 * @conn is a PostgreSQL connection. */
sqlite3 *gl_sql_sqlite_handle (GlSqlConn *conn);
