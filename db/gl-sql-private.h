/* gl-sql-private.h — what gl-sql.c shares with its two backends,
 * gl-sql-sqlite.c and gl-sql-postgres.c. Not for other files. */
#pragma once

#include "db/gl-sql.h"

typedef enum
{
  GL_SQL_PARAM_NULL,
  GL_SQL_PARAM_INT,
  GL_SQL_PARAM_DOUBLE,
  GL_SQL_PARAM_TEXT,
  GL_SQL_PARAM_BLOB,
} GlSqlParamKind;

/* One bound value; owned by its statement. */
typedef struct
{
  GlSqlParamKind kind;
  gint64 i;
  double d;
  char *bytes; /* text (NUL-terminated) or blob; owned */
  gsize len;   /* of a blob */
} GlSqlParam;

/* What a backend does; gl-sql.c calls these and keeps what is common. */
typedef struct
{
  GlSqlBackend backend;
  const char *begin_sql;
  gboolean (*exec) (GlSqlConn *conn, const char *sql, GError **error);
  /* A new statement (zeroed, of the backend's own size, base filled by the caller). */
  GlSqlStmt *(*prepare) (GlSqlConn *conn, const char *sql, GError **error);
  /* Takes the value of parameter @i (@p and what it points to are the
   * caller's: keep a copy, or bind it in place where the backend reads it
   * no later than the statement's reset). */
  void (*bind) (GlSqlStmt *st, int i, const GlSqlParam *p);
  /* Runs the statement on the first call after a reset. */
  GlSqlStep (*step) (GlSqlStmt *st, GError **error);
  void (*reset) (GlSqlStmt *st);
  void (*finalize) (GlSqlStmt *st);
  void (*close) (GlSqlConn *conn);
  gint64 (*changes) (GlSqlConn *conn);
  int (*column_count) (GlSqlStmt *st);
  gboolean (*column_is_null) (GlSqlStmt *st, int i);
  gint64 (*column_int64) (GlSqlStmt *st, int i);
  double (*column_double) (GlSqlStmt *st, int i);
  const char *(*column_text) (GlSqlStmt *st, int i);
  const void *(*column_blob) (GlSqlStmt *st, int i, gsize *len);
  /* Notifications: NULL where the backend has none. */
  gboolean (*listen) (GlSqlConn *conn, const char *channel, GError **error);
  gboolean (*notify) (GlSqlConn *conn, const char *channel, const char *payload, GError **error);
  int (*socket) (GlSqlConn *conn);
  GPtrArray *(*take_notifications) (GlSqlConn *conn, GError **error);
} GlSqlBackendFuncs;

/* The first member of each backend's connection. Owned by the opener; one
 * thread at a time. */
struct _GlSqlConn
{
  const GlSqlBackendFuncs *funcs;
  char *describe;    /* the target without secrets; owned */
  GHashTable *stmts; /* SQL text → GlSqlStmt *, owned */
  GlSqlError last_code; /* of the last failure (gl_sql_fail) */
  char *last_reason;    /* its reason; owned, NULL before any */
};

/* The first member of each backend's statement; owned by its connection's
 * cache. */
struct _GlSqlStmt
{
  GlSqlConn *conn; /* borrowed: the statement dies with it */
  char *sql;       /* owned */
  GArray *params;  /* GlSqlParam, index i - 1, for a backend that keeps copies (gl_sql_keep_param); owned */
  gboolean running; /* stepped since the last reset */
  gboolean dirty;   /* bound or stepped since the last reset */
};

/* A bind hook for a backend that runs the statement later: copies @p into
 * the statement's params. */
void gl_sql_keep_param (GlSqlStmt *st, int i, const GlSqlParam *p);

/* Sets @error (GL_SQL_ERROR, @code) to "DESCRIBE: @what: @reason". Returns FALSE. */
gboolean gl_sql_fail (GlSqlConn *conn, GError **error, GlSqlError code, const char *what, const char *reason);

GlSqlConn *gl_sql_sqlite_open (const char *path, GError **error);
GlSqlConn *gl_sql_postgres_open (const char *target, GError **error);
