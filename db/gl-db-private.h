/* gl-db-private.h — shared by the db/gl-db-*.c files; not for other layers.
 *
 * How a db/gl-db-*.c file is written (issue 18: one store on SQLite or
 * PostgreSQL):
 *
 *   GlSqlStmt *st = gl_db_stmt (db, "SELECT … WHERE id = ?1", error);  // cached, reset, unbound
 *   if (st == NULL)
 *     return FALSE;
 *   gl_sql_bind_int64 (st, 1, id);           // gl_sql_bind_text/_double/_blob/_null, gl_db_bind_id (-1 → NULL)
 *   GlSqlStep rc = gl_sql_step (st, NULL);   // GL_SQL_STEP_ROW / _DONE / _ERROR
 *   if (rc == GL_SQL_STEP_ROW)
 *     v = gl_sql_column_int64 (st, 0);       // gl_db_column_id/_dup/_double/_bytes, gl_sql_column_text …
 *   gl_db_done (st);                         // reset: always, on every path
 *   if (rc == GL_SQL_STEP_ERROR)
 *     return gl_db_fail (db, error, "cannot read the thing");  // "PATH: what: reason", GL_DB_ERROR_* code
 *
 * or gl_db_step_done (a statement without rows), gl_db_collect (rows into an
 * array), gl_db_query_int (one number). The SQL is the dialect of gl-sql.h
 * that both backends run: ?N parameters, ON CONFLICT … DO NOTHING/UPDATE
 * instead of INSERT OR IGNORE/REPLACE, new ids through RETURNING id (not
 * last_insert_rowid), COALESCE not ifnull, CASE not iif, no rowid, no
 * PRAGMA. Text and blobs bound are borrowed until the statement's reset.
 * Nothing here includes sqlite3.h: what only SQLite has stays in gl-db.c
 * and gl-db-chunk.c (gl-sql-sqlite.h). Transactions: gl_db_begin /
 * gl_db_commit / gl_db_rollback. */
#pragma once

#include "db/gl-db.h"
#include "db/gl-sql.h"

struct _GlDb
{
  GlSqlConn *conn;   /* owned; its statement cache holds every statement */
  char *path;        /* the file, or the connection string without secrets (gl_sql_describe) */
  char *user;        /* default annotator */
  GHashTable *returning; /* PostgreSQL: INSERT SQL (static) → it with " RETURNING id" (gl_db_stmt_insert); owned */
  gint64 busy_since; /* monotonic µs of the first try of the current wait */
  /* Write-lock bookkeeping (gl-db.c; the connection's thread only): when the
   * open write transaction got the lock (0: none), whether gl_db_begin is
   * waiting for it and is counted among the process's waiting writers. */
  gint64 locked_us;
  gboolean in_begin, counted;
  const char *first_sql; /* the open write transaction's first statement (owned by it) */
  /* The checkpointer (gl-db.c): a thread with its own connection that copies
   * the WAL back into the database off the committing thread. */
  GThread *ckpt_thread;
  GMutex ckpt_lock;
  GCond ckpt_cond;
  gboolean ckpt_wanted, ckpt_stop;
  int ckpt_mark;       /* WAL frames at the last wake-up (committing thread only) */
  gint ckpt_caught_up; /* atomic: the checkpointer copied every frame it saw */
};

/* Schema 9: the listing indexes that filter on the label, one set per listing
 * slot, on the slot's own copy of the label (scls, scls1; gl-db-predictions.c).
 * A label changes the current slot's copy only, so it moves 8 entries of
 * these indexes instead of 16; the other slot's copy is brought up to date
 * when that slot becomes current. The same statements make them on SQLite
 * (gl-db.c, migration 8 → 9) and on PostgreSQL (gl-db-schema-pg.c). */
#define GL_DB_SLOT_LABEL_INDEXES(S)                                                                                  \
  "CREATE INDEX images_cls_u" S " ON images (scls" S ", ukey" S ", id);"                                             \
  "CREATE INDEX images_cls_c" S " ON images (scls" S ", ckey" S ", id);"                                             \
  "CREATE INDEX images_lab_u" S " ON images (ukey" S ", id) WHERE scls" S " > 0;"                                    \
  "CREATE INDEX images_lab_c" S " ON images (ckey" S ", id) WHERE scls" S " > 0;"                                    \
  "CREATE INDEX images_dis" S " ON images (id) WHERE scls" S " > 0 AND pred_class" S " <> scls" S ";"                \
  "CREATE INDEX images_dis_u" S " ON images (ukey" S ", id) WHERE scls" S " > 0 AND pred_class" S " <> scls" S ";"   \
  "CREATE INDEX images_dis_c" S " ON images (ckey" S ", id) WHERE scls" S " > 0 AND pred_class" S " <> scls" S ";"   \
  "CREATE INDEX images_dis_n" S " ON images (path, id) WHERE scls" S " > 0 AND pred_class" S " <> scls" S ";"
#define GL_DB_LABEL_INDEXES_V9 GL_DB_SLOT_LABEL_INDEXES ("") GL_DB_SLOT_LABEL_INDEXES ("1")

/* Sets @error from the connection's last error: "PATH: @what: reason", with
 * GL_DB_ERROR_BUSY / _FULL / _CORRUPT where they apply (the one place where
 * GL_SQL_ERROR codes become GL_DB_ERROR codes). Returns FALSE. */
gboolean gl_db_fail (GlDb *db, GError **error, const char *what);
/* Sets @error with @code and a formatted message prefixed by the path. */
gboolean gl_db_fail_with (GlDb *db, GError **error, GlDbError code, const char *format, ...) G_GNUC_PRINTF (4, 5);

/* The cached prepared statement for @sql (reset, no bindings), or NULL with @error. */
GlSqlStmt *gl_db_stmt (GlDb *db, const char *sql, GError **error);
/* The statement for @sql, an INSERT of one row into a table with an id
 * column, written without RETURNING (a static string: it keys a cache),
 * for gl_db_step_id. SQLite reads the new id with sqlite3_last_insert_rowid
 * (its RETURNING costs a third more per inserted image or label: a
 * subprogram and a temporary table per row); PostgreSQL runs @sql with
 * " RETURNING id". */
GlSqlStmt *gl_db_stmt_insert (GlDb *db, const char *sql, GError **error);
/* A statement of the caller's own (not cached), for a loop whose callback
 * may run the same SQL: free with gl_sql_finalize. NULL with @error. */
GlSqlStmt *gl_db_stmt_own (GlDb *db, const char *sql, GError **error);
/* Resets @st and clears its bindings (NULL is fine). */
void gl_db_done (GlSqlStmt *st);
/* Which backend @db is on (for the few statements written per backend). */
gboolean gl_db_is_sqlite (GlDb *db);

gboolean gl_db_exec (GlDb *db, const char *sql, GError **error);
/* With @wait FALSE, a statement that would wait for a lock (the busy
 * handler) fails at once with GL_DB_ERROR_BUSY instead; TRUE restores the
 * wait. On PostgreSQL: lock_timeout 0 (none) / the default wait. */
void gl_db_set_waiting (GlDb *db, gboolean wait);
/* BEGIN IMMEDIATE (a write transaction; BEGIN on PostgreSQL) / COMMIT / ROLLBACK (ignores errors). */
gboolean gl_db_begin (GlDb *db, GError **error);
gboolean gl_db_commit (GlDb *db, GError **error);
void gl_db_rollback (GlDb *db);

/* Writers of this process waiting in gl_db_begin for the write lock, and how
 * many such waits have ended with the lock (gl-db.c): a chunked writer
 * (gl-db-chunk.c) lets them in between its transactions. */
gint gl_db_waiting_writers (void);
guint gl_db_served_writers (void);

/* ---- Transactions sized by time (gl-db-chunk.c) ------------------------ */

/* A long write (predictions of every image, a bulk labeling) commits in
 * transactions that each hold the write lock about a target time: the rows
 * go in one at a time until the time the transaction has worked plus the
 * commit its rows will need (estimated from the last commits) reaches it.
 * After each commit the writer waits until the writers of this process that
 * were waiting for the lock have had it (a label of the Label view commits
 * between two chunks), else pauses briefly for writers of other processes.
 * The commits run with synchronous=NORMAL (the next FULL commit, a label or
 * the model swap, syncs them too: a chunk lost to a power failure is one the
 * version or the bulk labeling did not finish). */
/* 15 ms: a label that arrives while such a writer runs waits for the rest
 * of one transaction, then its own commit; the target for those waits is
 * p99 <= 20 ms (issue 16). */
#define GL_DB_CHUNK_MS 15
/* A bulk labeling's chunks: longer (a row costs the pages of ~20 indexes
 * and a longer chunk shares more of them; fewer chunks, fewer pauses), yet
 * under the 50 ms every write transaction should stay within. */
#define GL_DB_BULK_CHUNK_MS 25
/* A bound on a transaction's rows whatever the clock says (a row's cost in
 * pages does not depend on the machine's load, its time does): a
 * transaction of a row-by-row writer (predictions, a bulk labeling) commits
 * after this many rows even when its time is not up. On the idle machine
 * 15 ms took about 80 predictions and 25 ms about 60 bulk labels at 200,000
 * images (tests/bench/scale), so it binds there little; on a slow or loaded
 * one it bounds the pages a commit writes, and so what a label waits
 * behind: a prediction wrote 14.3 pages at 100,000 images
 * (bench-store-pages, which prints the most pages one such transaction
 * wrote: 3,722 with 256 rows). */
#define GL_DB_CHUNK_MAX_ROWS 128

typedef struct
{
  GlDb *db;            /* borrowed; the writing thread only, as every field */
  guint target_ms;     /* a transaction's hold, work and commit */
  gint64 commit_us;    /* the last commit's duration */
  double commit_per_row_us; /* the commits' recent cost per row (0 before the first) */
  guint rows;          /* rows in the open transaction */
  guint chunks;        /* transactions committed */
  gint64 max_hold_us;  /* the longest a transaction held the lock */
  gint64 wait_us;      /* time spent waiting for the lock, in all */
  guint64 pages;       /* pages the commits wrote */
  gint64 begun_us;     /* when the open transaction asked for the lock */
  gint64 locked_us;    /* when it got it */
  gint64 last_hold_us; /* how long the last one held it */
  guint max_rows;      /* the most rows one transaction committed */
  guint64 max_pages;   /* the most pages one commit wrote (SQLite; 0 on PostgreSQL) */
} GlDbChunker;

/* Tests: the work per transaction in µs (0: one row each; -1: the default);
 * or a number of rows per transaction instead (0: off). While either is
 * set, no pause for other processes' writers. */
void gl_db_test_set_chunk_us (gint64 us);
void gl_db_test_set_chunk_rows (guint rows);
/* Tests: the row bound of a transaction (GL_DB_CHUNK_MAX_ROWS; 0: the default). */
void gl_db_test_set_chunk_max_rows (guint rows);

/* A run of transactions of @target_ms each (GL_DB_CHUNK_MS or
 * GL_DB_BULK_CHUNK_MS). Switches @db to synchronous=NORMAL for the run; gl_db_chunker_finish
 * rolls back a transaction left open, switches it back and fills in
 * @stats' chunks, max_hold_us, wait_us, pages, max_rows and max_pages (NULL: none). */
gboolean gl_db_chunker_init (GlDbChunker *c, GlDb *db, guint target_ms, GError **error);
void gl_db_chunker_finish (GlDbChunker *c, GlDbBulkStats *stats);
/* BEGIN IMMEDIATE (rows = 0); _unless: first fails with
 * G_IO_ERROR_CANCELLED when @cancellable is. */
gboolean gl_db_chunker_begin (GlDbChunker *c, GError **error);
gboolean gl_db_chunker_begin_unless (GlDbChunker *c, GCancellable *cancellable, GError **error);
/* Counts a row written in the open transaction; TRUE when it has worked
 * its time or holds GL_DB_CHUNK_MAX_ROWS rows (commit it now). */
gboolean gl_db_chunker_add (GlDbChunker *c);
/* COMMIT, then lets waiting writers in. */
gboolean gl_db_chunker_commit (GlDbChunker *c, GError **error);
/* For a statement over a range of rows (which cannot stop in the middle):
 * how many rows the next one should take, from the last one's @rows and its
 * transaction's time, between @min and twice @rows. */
gint64 gl_db_chunker_next_rows (GlDbChunker *c, gint64 rows, gint64 min);

/* Inside a transaction: appends the rows of @n images to the action whose
 * head is *@head (-1: a new action; *@head is then its first row) and counts
 * them in label_seq. With @chunker, stops after the row that fills the
 * transaction; *@appended (optional): the images done. */
gboolean gl_db_append_labels (GlDb *db, const gint64 *image_ids, guint n, gint64 class_id, GlDbOrigin origin,
                              const char *who, gboolean audit, gint64 *head, GlDbChunker *chunker, guint *appended,
                              GError **error);

/* Fills the zeroed @element from the current row of @st. */
typedef void (*GlDbReadRow) (GlSqlStmt *st, gpointer element);
/* Steps @st (bound) through its rows: one element of @size bytes each, made
 * by @read and freed by @clear. NULL with @error ("PATH: @what: reason") when
 * a step fails. Resets @st either way. */
GArray *gl_db_collect (GlDb *db, GlSqlStmt *st, gsize size, GDestroyNotify clear, GlDbReadRow read,
                       const char *what, GError **error);

/* Runs a statement with no result rows to completion; resets it. */
gboolean gl_db_step_done (GlDb *db, GlSqlStmt *st, GError **error, const char *what);
/* Runs a statement of gl_db_stmt_insert: the new row's id, 0 when it
 * inserted no row (ON CONFLICT DO NOTHING), -1 with @error ("PATH: @what:
 * reason"). Resets @st. */
gint64 gl_db_step_id (GlDb *db, GlSqlStmt *st, GError **error, const char *what);

/* One integer of the first row of @sql with @a bound as ?1 (when @bind), or @fallback. */
gint64 gl_db_query_int (GlDb *db, const char *sql, gboolean bind, gint64 a, gint64 fallback);
/* Whether the table @name (a constant of the caller's) is there: 1, 0, or -1
 * on failure. */
gint64 gl_db_table_exists (GlDb *db, const char *name);
/* Creates a table of the team's by @ddl unless @name is there, under the
 * schema's advisory lock on PostgreSQL (two creators can collide in its
 * catalogue even with IF NOT EXISTS). */
gboolean gl_db_create_table_once (GlDb *db, const char *name, const char *ddl, GError **error);

/* Counters table: label_seq, current_model, queue_mark, listing_pending;
 * queue_seq (gl_db_replace_queue) from its first use on. */
gint64 gl_db_counter (GlDb *db, const char *name, gint64 fallback);
gboolean gl_db_set_counter (GlDb *db, const char *name, gint64 value, GError **error);

const char *gl_db_annotator (GlDb *db, const char *annotator);
const char *gl_db_origin_sql (GlDbOrigin origin);
GlDbOrigin gl_db_origin_from_sql (const char *text);

/* NaN ↔ NULL. */
void gl_db_bind_double (GlSqlStmt *st, int i, double v);
double gl_db_column_double (GlSqlStmt *st, int i);
void gl_db_bind_id (GlSqlStmt *st, int i, gint64 id); /* -1 → NULL */
gint64 gl_db_column_id (GlSqlStmt *st, int i);       /* NULL → -1 */
char *gl_db_column_dup (GlSqlStmt *st, int i);       /* NULL → NULL */
GBytes *gl_db_column_bytes (GlSqlStmt *st, int i);   /* NULL → NULL */

/* Class helpers used by the label code: is @class_id a live class? */
gboolean gl_db_class_is_live (GlDb *db, gint64 class_id, GError **error);
/* A deleted class's merge target (followed to a live class), or -1. */
gint64 gl_db_class_resolve (GlDb *db, gint64 class_id);

/* The id of live class @name, created at the end when new (inside a
 * transaction; *@created set TRUE then). -1 with @error. */
gint64 gl_db_class_for_name (GlDb *db, const char *name, gboolean *created, GError **error);

/* gl_db_set_labels that also returns the first new history row and, with
 * @audit, records the images as audit images. */
gboolean gl_db_set_labels_full (GlDb *db, const gint64 *image_ids, guint n, gint64 class_id, GlDbOrigin origin,
                                const char *annotator, gboolean audit, gint64 *first_label_id, GError **error);


/* Appends one history row and moves the image's derived columns; inside a
 * transaction. @action: the first row of the action or -1 (this row). */
gboolean gl_db_append_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin, const char *annotator,
                             GlDbLabelKind kind, gint64 undoes, gint64 action, gint64 now, gint64 *label_id,
                             GError **error);

/* A team project's schema (gl-db-schema-pg.c): writes version 8 into an
 * empty database when @create (GL_DB_ERROR_EXISTS when it holds a project),
 * else checks the version (GL_DB_ERROR_NOT_FOUND for an empty database,
 * _TOO_NEW, _CORRUPT) and migrates. */
gboolean gl_db_server_schema (GlDb *db, gboolean create, GError **error);
/* Its schema version (0: none, -1: tables without one). */
int gl_db_server_schema_version (GlDb *db);

/* Finishes a copy into the listing that a build before schema 6 left
 * half done (on open; gl-db-predictions.c). */
gboolean gl_db_finish_listing (GlDb *db, GError **error);
/* The listing slot of the current model (0 or 1), and @sql written for slot
 * 0 (pred_class, ukey, ckey, pmodel and their images_* indexes) rewritten
 * for @slot; free with g_free. */
int gl_db_listing_slot (GlDb *db);
char *gl_db_slot_sql (const char *sql, int slot);
/* @sql with every identifier among @names (n_names) given @prefix and
 * @suffix (strings and numbers are not told apart: for SQL written here);
 * free with g_free. */
char *gl_db_sql_rename (const char *sql, const char *const *names, gsize n_names, const char *prefix,
                        const char *suffix);

/* The page query of the gallery listing (for the plan test in tests/db);
 * free with g_free. NULL for an unknown filter. */
char *gl_db_listing_sql (const GlDbFilter *filter, GlDbSort sort, int phase);
