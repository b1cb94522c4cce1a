/* Unit tests of db/gl-db-score-chunks.c on both backends (gl-test-db.h):
 * a version's ids split into chunks, each taken once, done; a chunk whose
 * worker's lease ran out taken again, and the late worker's finish
 * refused; and eight connections taking chunks at once: every chunk to
 * exactly one of them. */
#include "db/gl-db-score-chunks.h"
#include "gl-test-db.h"

typedef struct
{
  char *dir;
  char *path;
  GlDb *db;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-db-score-chunks-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.gleaner-db", NULL);
  fx->db = gl_test_db_create (&fx->path);
  g_assert_true (gl_db_score_chunks_prepare (fx->db, &error));
  g_assert_true (gl_db_score_chunks_prepare (fx->db, &error)); /* twice: nothing */
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  gl_test_db_remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static gboolean
take (GlDb *db, const char *holder, guint ttl, GlDbScoreChunk *chunk)
{
  GError *error = NULL;
  gboolean got = FALSE;
  g_assert_true (gl_db_score_chunk_take (db, holder, ttl, chunk, &got, &error));
  g_assert_no_error (error);
  return got;
}

static void
test_split_take (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  const gint64 ids[10] = { 3, 4, 5, 8, 9, 11, 12, 20, 21, 30 };
  g_assert_true (gl_db_score_chunks_split (fx->db, 7, ids, 10, 4, &error));
  g_assert_true (gl_db_score_chunks_split (fx->db, 7, ids, 10, 4, &error)); /* again: kept */
  g_assert_no_error (error);
  gint64 total = 0;
  g_assert_cmpint (gl_db_score_chunks_left (fx->db, 7, &total, &error), ==, 3);
  g_assert_cmpint (total, ==, 3);
  GlDbScoreChunk c[4];
  g_assert_true (take (fx->db, "w1", 60, &c[0]));
  g_assert_true (take (fx->db, "w2", 60, &c[1]));
  g_assert_true (take (fx->db, "w1", 60, &c[2]));
  g_assert_false (take (fx->db, "w3", 60, &c[3]));
  g_assert_cmpint (c[0].model_id, ==, 7);
  g_assert_cmpint (c[0].first_id, ==, 3);
  g_assert_cmpint (c[0].last_id, ==, 8);
  g_assert_cmpint (c[0].n_images, ==, 4);
  g_assert_cmpint (c[1].first_id, ==, 9);
  g_assert_cmpint (c[1].last_id, ==, 20);
  g_assert_cmpint (c[2].first_id, ==, 21);
  g_assert_cmpint (c[2].last_id, ==, 30);
  g_assert_cmpint (c[2].n_images, ==, 2);
  gboolean mine = FALSE;
  g_assert_true (gl_db_score_chunk_finish (fx->db, &c[1], "w2", &mine, &error));
  g_assert_true (mine);
  g_assert_true (gl_db_score_chunk_finish (fx->db, &c[0], "w2", &mine, &error)); /* not w2's */
  g_assert_false (mine);
  g_assert_cmpint (gl_db_score_chunks_left (fx->db, 7, NULL, &error), ==, 2);
  g_assert_cmpint (gl_db_score_chunks_left (fx->db, 8, &total, &error), ==, 0);
  g_assert_cmpint (total, ==, 0);
  g_assert_no_error (error);
  g_assert_false (gl_db_score_chunks_split (fx->db, 7, ids, 10, 0, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_expiry (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  const gint64 ids[2] = { 1, 2 };
  g_assert_true (gl_db_score_chunks_split (fx->db, 3, ids, 2, 8, &error));
  GlDbScoreChunk a, b;
  g_assert_true (take (fx->db, "dies", 1, &a));
  g_autoptr (GlDb) other = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_false (take (other, "w2", 60, &b));
  g_usleep (1100 * 1000); /* the worker died: its lease runs out */
  g_assert_true (take (other, "w2", 60, &b));
  g_assert_cmpint (b.first_id, ==, a.first_id);
  gboolean mine = TRUE;
  g_assert_true (gl_db_score_chunk_finish (fx->db, &a, "dies", &mine, &error));
  g_assert_false (mine);
  g_assert_cmpint (gl_db_score_chunks_left (fx->db, 3, NULL, &error), ==, 1);
  g_assert_true (gl_db_score_chunk_finish (other, &b, "w2", &mine, &error));
  g_assert_true (mine);
  g_assert_cmpint (gl_db_score_chunks_left (fx->db, 3, NULL, &error), ==, 0);
  g_assert_no_error (error);
}

#define RACERS 8
#define CHUNKS 40

typedef struct
{
  const char *path;
  guint index;
  gint *start;
  guint got[CHUNKS]; /* first ids taken */
  guint n;
} Racer;

static gpointer
race (gpointer data)
{
  Racer *r = data;
  GError *error = NULL;
  GlDb *db = gl_db_open (r->path, &error);
  g_assert_no_error (error);
  g_autofree char *holder = g_strdup_printf ("w%u", r->index);
  g_atomic_int_dec_and_test (r->start);
  while (g_atomic_int_get (r->start) > 0)
    g_thread_yield ();
  GlDbScoreChunk c;
  while (take (db, holder, 60, &c))
    {
      r->got[r->n++] = (guint) c.first_id;
      g_assert_true (gl_db_score_chunk_finish (db, &c, holder, NULL, &error));
      g_assert_no_error (error);
    }
  gl_db_close (db);
  return NULL;
}

/* Eight workers at once: each of the 40 chunks taken exactly once. */
static void
test_race (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gint64 ids[CHUNKS];
  for (guint i = 0; i < CHUNKS; i++)
    ids[i] = i + 1;
  g_assert_true (gl_db_score_chunks_split (fx->db, 1, ids, CHUNKS, 1, &error));
  g_assert_no_error (error);
  gint start = RACERS;
  Racer *r = g_new0 (Racer, RACERS);
  GThread *t[RACERS];
  for (guint i = 0; i < RACERS; i++)
    {
      r[i] = (Racer){ fx->path, i, &start, { 0 }, 0 };
      t[i] = g_thread_new ("worker", race, &r[i]);
    }
  guint times[CHUNKS + 1] = { 0 };
  for (guint i = 0; i < RACERS; i++)
    {
      g_thread_join (t[i]);
      for (guint k = 0; k < r[i].n; k++)
        times[r[i].got[k]]++;
    }
  for (guint k = 1; k <= CHUNKS; k++)
    g_assert_cmpuint (times[k], ==, 1);
  g_assert_cmpint (gl_db_score_chunks_left (fx->db, 1, NULL, &error), ==, 0);
  g_free (r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/db/score-chunks/split-take", Fixture, NULL, fixture_setup, test_split_take, fixture_teardown);
  g_test_add ("/db/score-chunks/expiry", Fixture, NULL, fixture_setup, test_expiry, fixture_teardown);
  g_test_add ("/db/score-chunks/race", Fixture, NULL, fixture_setup, test_race, fixture_teardown);
  return g_test_run ();
}
