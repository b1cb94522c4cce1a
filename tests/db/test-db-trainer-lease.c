/* Unit tests of db/gl-db-trainer-lease.c on both backends (gl-test-db.h):
 * the lease taken by one holder and refused to another, renewed, given
 * back and taken by the other; an expired lease taken over and the old
 * holder's renewal and mark refused; the label mark and the labels after
 * it; and eight connections racing for a free lease: exactly one gets it. */
#include "db/gl-db-trainer-lease.h"
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
  fx->dir = g_dir_make_tmp ("gl-db-trainer-lease-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.gleaner-db", NULL);
  fx->db = gl_test_db_create (&fx->path);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  gl_test_db_remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static GlDbTrainerHolder
holder (const char *token, gint64 pid)
{
  return (GlDbTrainerHolder){ (char *) token, (char *) "host-a", pid, (char *) "ann", 0, 0, 0 };
}

static gboolean
take (GlDb *db, const char *token, gint64 pid, guint ttl)
{
  GError *error = NULL;
  GlDbTrainerHolder me = holder (token, pid);
  gboolean held = FALSE;
  g_assert_true (gl_db_trainer_lease_take (db, &me, ttl, &held, &error));
  g_assert_no_error (error);
  return held;
}

static void
test_take_release (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_auto (GlDbTrainerHolder) seen = { 0 };
  gboolean live = TRUE;
  /* Before the table exists: nobody. */
  g_assert_true (gl_db_trainer_lease_get (fx->db, &seen, &live, &error));
  g_assert_no_error (error);
  g_assert_false (live);
  g_assert_true (gl_db_trainer_lease_prepare (fx->db, &error));
  g_assert_true (gl_db_trainer_lease_prepare (fx->db, &error)); /* twice: nothing */
  g_assert_no_error (error);

  g_assert_true (take (fx->db, "tok-a", 11, 60));
  g_autoptr (GlDb) other = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_false (take (other, "tok-b", 12, 60));
  g_assert_true (take (fx->db, "tok-a", 11, 60)); /* renewed */
  g_assert_true (gl_db_trainer_lease_get (other, &seen, &live, &error));
  g_assert_true (live);
  g_assert_cmpstr (seen.token, ==, "tok-a");
  g_assert_cmpstr (seen.host, ==, "host-a");
  g_assert_cmpint (seen.pid, ==, 11);
  g_assert_cmpstr (seen.annotator, ==, "ann");
  g_assert_cmpint (seen.expires_us, >, g_get_real_time () + 50 * G_USEC_PER_SEC);
  g_autofree char *who = gl_db_trainer_holder_describe (&seen);
  g_assert_cmpstr (who, ==, "host-a pid 11 (annotator ann)");

  /* Another's release does nothing; the holder's frees it for the other. */
  g_assert_true (gl_db_trainer_lease_release (other, "tok-b", &error));
  g_assert_false (take (other, "tok-b", 12, 60));
  gboolean held = FALSE;
  g_assert_true (gl_db_trainer_lease_set_mark (fx->db, "tok-a", 42, &held, &error));
  g_assert_true (held);
  g_assert_true (gl_db_trainer_lease_release (fx->db, "tok-a", &error));
  g_assert_no_error (error);
  g_assert_true (gl_db_trainer_lease_get (other, &seen, &live, &error));
  g_assert_false (live);
  g_assert_cmpint (seen.label_mark, ==, 42); /* kept for the next holder */
  g_assert_true (take (other, "tok-b", 12, 60));
  g_assert_false (take (fx->db, "tok-a", 11, 60));

  /* Bad input named. */
  GlDbTrainerHolder nobody = holder ("", 1);
  g_assert_false (gl_db_trainer_lease_take (fx->db, &nobody, 60, &held, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
}

static void
test_expiry (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_true (gl_db_trainer_lease_prepare (fx->db, &error));
  g_assert_true (take (fx->db, "tok-a", 11, 1));
  g_autoptr (GlDb) other = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_false (take (other, "tok-b", 12, 60));
  g_usleep (1100 * 1000); /* a's lease runs out: the holder died */
  g_assert_true (take (other, "tok-b", 12, 60));
  g_auto (GlDbTrainerHolder) seen = { 0 };
  gboolean live = FALSE, held = TRUE;
  g_assert_true (gl_db_trainer_lease_get (fx->db, &seen, &live, &error));
  g_assert_true (live);
  g_assert_cmpstr (seen.token, ==, "tok-b");
  /* The old holder, back: no renewal, no mark. */
  g_assert_false (take (fx->db, "tok-a", 11, 60));
  g_assert_true (gl_db_trainer_lease_set_mark (fx->db, "tok-a", 7, &held, &error));
  g_assert_no_error (error);
  g_assert_false (held);
}

static void
test_label_mark (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_cmpint (gl_db_trainer_label_mark (fx->db, &error), ==, 0);
  gint64 batch = -1, cls = -1;
  g_assert_true (gl_db_add_class (fx->db, "cat", NULL, &cls, &error));
  g_assert_true (gl_db_begin_batch (fx->db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  g_autofree char *h0 = g_strdup_printf ("%064u", 0), *h1 = g_strdup_printf ("%064u", 1),
                  *h2 = g_strdup_printf ("%064u", 2);
  GlDbNewImage im[3] = { { "/img/0.png", h0, 1, 0, NULL, NULL }, { "/img/1.png", h1, 1, 1, NULL, NULL },
                         { "/img/2.png", h2, 1, 2, NULL, NULL } };
  gint64 ids[3];
  g_assert_true (gl_db_add_images (fx->db, batch, im, 3, ids, NULL, &error));
  g_assert_no_error (error);
  gint64 label = -1;
  g_assert_true (gl_db_set_label (fx->db, ids[0], cls, GL_DB_ORIGIN_HUMAN, "ann", &label, &error));
  gint64 mark = gl_db_trainer_label_mark (fx->db, &error);
  g_assert_cmpint (mark, ==, label);
  g_assert_cmpint (gl_db_trainer_labels_since (fx->db, mark, &error), ==, 0);
  g_assert_true (gl_db_set_label (fx->db, ids[1], cls, GL_DB_ORIGIN_HUMAN, "ann", NULL, &error));
  g_assert_true (gl_db_set_label (fx->db, ids[2], cls, GL_DB_ORIGIN_HUMAN, "bob", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_trainer_labels_since (fx->db, mark, &error), ==, 2);
  g_assert_cmpint (gl_db_trainer_labels_since (fx->db, 0, &error), ==, 3);
}

#define RACERS 8

typedef struct
{
  const char *path;
  guint index;
  gint *start; /* atomic: racers waiting to start */
  gboolean held;
} Racer;

static gpointer
race (gpointer data)
{
  Racer *r = data;
  GError *error = NULL;
  GlDb *db = gl_db_open (r->path, &error);
  g_assert_no_error (error);
  g_autofree char *token = g_strdup_printf ("tok-%u", r->index);
  g_atomic_int_dec_and_test (r->start);
  while (g_atomic_int_get (r->start) > 0)
    g_thread_yield ();
  GlDbTrainerHolder me = holder (token, r->index);
  g_assert_true (gl_db_trainer_lease_take (db, &me, 60, &r->held, &error));
  g_assert_no_error (error);
  gl_db_close (db);
  return NULL;
}

/* Eight trainers starting at once on a free lease: one holds it. */
static void
test_race (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_true (gl_db_trainer_lease_prepare (fx->db, &error));
  gint start = RACERS;
  Racer r[RACERS];
  GThread *t[RACERS];
  for (guint i = 0; i < RACERS; i++)
    {
      r[i] = (Racer){ fx->path, i, &start, FALSE };
      t[i] = g_thread_new ("racer", race, &r[i]);
    }
  guint held = 0;
  for (guint i = 0; i < RACERS; i++)
    {
      g_thread_join (t[i]);
      held += r[i].held;
    }
  g_assert_cmpuint (held, ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/db/trainer-lease/take-release", Fixture, NULL, fixture_setup, test_take_release, fixture_teardown);
  g_test_add ("/db/trainer-lease/expiry", Fixture, NULL, fixture_setup, test_expiry, fixture_teardown);
  g_test_add ("/db/trainer-lease/label-mark", Fixture, NULL, fixture_setup, test_label_mark, fixture_teardown);
  g_test_add ("/db/trainer-lease/race", Fixture, NULL, fixture_setup, test_race, fixture_teardown);
  return g_test_run ();
}
