/* gl-db-chunk.c — write transactions sized by time that share the write
 * lock. See gl-db-private.h (GlDbChunker).
 *
 * Sized by row count, a transaction of predictions held the lock for
 * anything from a few ms to 760 ms (200,000 images, tests/bench/scale): a
 * row's cost depends on how many index pages it dirties, which grows with
 * the project and varies with what else runs. Sized by the last chunk's
 * rate, a chunk still overshot when the rate changed. Here a transaction
 * takes rows until the time it has worked plus the commit they will need
 * (estimated per row from the last commits) reaches GL_DB_CHUNK_MS, so its
 * hold stays near the target whatever a row costs. The first transaction
 * of a run has no estimate of its commit yet: it works a quarter of the
 * target.
 *
 * Between two transactions the writer lets in the writers of this process
 * that wait for the lock (gl_db_begin counts them): it waits until one of
 * them had the lock, at most YIELD_MAX_US. SQLite gives the lock to
 * whoever asks first after a commit, and a waiting writer asks only every
 * half millisecond (gl-db.c's busy handler), so without this a writer that
 * begins again at once would keep it. Writers of other processes are not
 * counted: a pause of PAUSE_US lets them in.
 *
 * On PostgreSQL the same chunks run (a chunk still bounds what a failure
 * loses and how long its row locks are held); there is no synchronous
 * PRAGMA to switch (the server's synchronous_commit is its own) and no page
 * count: @stats.pages stays 0. */
#include "db/gl-db-private.h"
#include "db/gl-sql-sqlite.h"

#define YIELD_MAX_US 50000
#define YIELD_POLL_US 100
#define PAUSE_US 1000

/* Test hooks: the work per transaction (-1: the default); rows per
 * transaction instead of a time (0: off). */
static gint64 test_chunk_us = -1;
static guint test_chunk_rows = 0;
static guint test_max_rows = 0;

void
gl_db_test_set_chunk_us (gint64 us)
{
  test_chunk_us = us;
}

void
gl_db_test_set_chunk_rows (guint rows)
{
  test_chunk_rows = rows;
}

void
gl_db_test_set_chunk_max_rows (guint rows)
{
  test_max_rows = rows;
}

static gint64
target_us (const GlDbChunker *c)
{
  return test_chunk_us >= 0 ? test_chunk_us : (gint64) c->target_ms * 1000;
}

gboolean
gl_db_chunker_init (GlDbChunker *c, GlDb *db, guint target_ms, GError **error)
{
  *c = (GlDbChunker){ .db = db, .target_ms = target_ms };
  sqlite3 *h = gl_sql_sqlite_handle (db->conn);
  if (h == NULL)
    return TRUE;
  int cur = 0, high = 0;
  sqlite3_db_status (h, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, TRUE);
  return gl_db_exec (db, "PRAGMA synchronous = NORMAL", error);
}

void
gl_db_chunker_finish (GlDbChunker *c, GlDbBulkStats *stats)
{
  if (stats != NULL)
    {
      stats->chunks = c->chunks;
      stats->max_hold_us = c->max_hold_us;
      stats->wait_us = c->wait_us;
      stats->pages = c->pages;
      stats->max_rows = c->max_rows;
      stats->max_pages = c->max_pages;
    }
  gl_db_rollback (c->db);
  if (gl_db_is_sqlite (c->db))
    gl_db_exec (c->db, "PRAGMA synchronous = FULL", NULL);
  /* The chunks went out with synchronous=NORMAL: one full commit (it syncs
   * the whole WAL) makes them durable before the caller reports them done,
   * so a labeling said to be finished survives a power failure too. */
  if (c->chunks > 0 && gl_db_begin (c->db, NULL))
    {
      if (!gl_db_exec (c->db, "UPDATE counters SET value = value WHERE name = 'label_seq'", NULL)
          || !gl_db_commit (c->db, NULL))
        gl_db_rollback (c->db);
    }
}

gboolean
gl_db_chunker_begin (GlDbChunker *c, GError **error)
{
  c->rows = 0;
  c->begun_us = g_get_monotonic_time ();
  if (!gl_db_begin (c->db, error))
    return FALSE;
  c->locked_us = g_get_monotonic_time ();
  c->wait_us += c->locked_us - c->begun_us;
  return TRUE;
}

gboolean
gl_db_chunker_begin_unless (GlDbChunker *c, GCancellable *cancellable, GError **error)
{
  return !g_cancellable_set_error_if_cancelled (cancellable, error) && gl_db_chunker_begin (c, error);
}

gboolean
gl_db_chunker_add (GlDbChunker *c)
{
  c->rows++;
  if (test_chunk_rows > 0)
    return c->rows >= test_chunk_rows;
  if (c->rows >= (test_max_rows > 0 ? test_max_rows : GL_DB_CHUNK_MAX_ROWS))
    return TRUE;
  /* The work so far and the commit it will need (the last commit's cost
   * per row: a row's dirty pages are written there, and that can take
   * longer than the work that dirtied them). */
  double worked = (double) (g_get_monotonic_time () - c->locked_us);
  if (c->chunks == 0)
    return worked >= target_us (c) / 4.0;
  return worked + c->commit_per_row_us * c->rows >= (double) target_us (c);
}

/* Waits until a writer of this process that waits for the lock has had it. */
static void
yield (void)
{
  if (gl_db_waiting_writers () == 0)
    {
      if (test_chunk_us < 0 && test_chunk_rows == 0)
        g_usleep (PAUSE_US);
      return;
    }
  guint served = gl_db_served_writers ();
  gint64 until = g_get_monotonic_time () + YIELD_MAX_US;
  while (gl_db_waiting_writers () > 0 && gl_db_served_writers () == served && g_get_monotonic_time () < until)
    g_usleep (YIELD_POLL_US);
}

gboolean
gl_db_chunker_commit (GlDbChunker *c, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  if (!gl_db_commit (c->db, error))
    {
      gl_db_rollback (c->db);
      return FALSE;
    }
  gint64 t1 = g_get_monotonic_time ();
  int pages = 0, high = 0;
  sqlite3 *h = gl_sql_sqlite_handle (c->db->conn);
  if (h != NULL)
    sqlite3_db_status (h, SQLITE_DBSTATUS_CACHE_WRITE, &pages, &high, TRUE);
  c->pages += (guint64) MAX (pages, 0);
  c->max_pages = MAX (c->max_pages, (guint64) MAX (pages, 0));
  c->max_rows = MAX (c->max_rows, c->rows);
  c->chunks++;
  c->commit_us = t1 - t0;
  c->last_hold_us = t1 - c->locked_us;
  c->max_hold_us = MAX (c->max_hold_us, c->last_hold_us);
  if (c->rows > 0)
    {
      double per_row = (double) c->commit_us / c->rows;
      c->commit_per_row_us = c->chunks == 1 ? per_row : 0.5 * (c->commit_per_row_us + per_row);
    }
  yield ();
  return TRUE;
}

gint64
gl_db_chunker_next_rows (GlDbChunker *c, gint64 rows, gint64 min)
{
  if (test_chunk_rows > 0)
    return test_chunk_rows;
  double ms = MAX (c->last_hold_us / 1000.0, 0.1);
  double next = (double) rows * (target_us (c) / 1000.0) / ms;
  return (gint64) CLAMP (next, (double) min, (double) MAX (2 * rows, min));
}
