/* Unit tests of db/gl-db-team.c on both backends (gl-test-db.h): the
 * project's UUID (made once, the same on a second connection), and the
 * pixel rows a team keeps in its store (put, read back in order with the
 * gaps seen, a row put twice kept as first stored and a different second
 * one reported, a row of a bad size refused), and the model files (none,
 * then the first stored kept, with its SHA-256). */
#include "db/gl-db-lease.h"
#include "db/gl-db-notify.h"
#include "db/gl-db-team.h"
#include "gl-test-db.h"

#include <math.h>
#include <string.h>

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
  fx->dir = g_dir_make_tmp ("gl-db-team-XXXXXX", &error);
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

static void
test_uuid (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *a = gl_db_team_prepare (fx->db, &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (a));
  g_autoptr (GlDb) other = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_autofree char *b = gl_db_team_prepare (other, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, b);
}

typedef struct
{
  GArray *rows;    /* of gint64 */
  GString *pixels; /* the rows' bytes, in order */
} Seen;

static gboolean
collect (gint64 row, const guint8 *pixels, gsize len, gpointer data, GError **error)
{
  Seen *s = data;
  g_array_append_val (s->rows, row);
  g_string_append_len (s->pixels, (const char *)pixels, len);
  return TRUE;
}

static void
test_pixels (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *uuid = gl_db_team_prepare (fx->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_team_pixel_rows (fx->db, &error), ==, 0);
  guint8 rows[5 * 4];
  for (guint i = 0; i < sizeof rows; i++)
    rows[i] = (guint8)(i * 7 + 1);
  gboolean differs = TRUE;
  /* Rows 0–2, then 5–6 (3 and 4: a gap, as an import killed on another desktop leaves). */
  g_assert_true (gl_db_team_put_pixels (fx->db, 0, rows, 3, 4, &differs, &error));
  g_assert_no_error (error);
  g_assert_false (differs);
  g_assert_true (gl_db_team_put_pixels (fx->db, 5, rows + 12, 2, 4, &differs, &error));
  g_assert_false (differs);
  g_assert_cmpint (gl_db_team_pixel_rows (fx->db, &error), ==, 7);

  Seen s = { g_array_new (FALSE, FALSE, sizeof (gint64)), g_string_new (NULL) };
  g_assert_true (gl_db_team_read_pixels (fx->db, 1, 3, collect, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s.rows->len, ==, 3);
  g_assert_cmpint (g_array_index (s.rows, gint64, 0), ==, 1);
  g_assert_cmpint (g_array_index (s.rows, gint64, 1), ==, 2);
  g_assert_cmpint (g_array_index (s.rows, gint64, 2), ==, 5);
  g_assert_cmpmem (s.pixels->str, s.pixels->len - 4, rows + 4, 8);
  g_assert_cmpmem (s.pixels->str + 8, 4, rows + 12, 4);

  /* The same row again: kept, not reported; a different one: kept as first stored, reported. */
  g_assert_true (gl_db_team_put_pixels (fx->db, 1, rows + 4, 1, 4, &differs, &error));
  g_assert_false (differs);
  g_assert_true (gl_db_team_put_pixels (fx->db, 2, rows, 1, 4, &differs, &error));
  g_assert_true (differs);
  g_array_set_size (s.rows, 0);
  g_string_truncate (s.pixels, 0);
  g_assert_true (gl_db_team_read_pixels (fx->db, 2, 1, collect, &s, &error));
  g_assert_cmpmem (s.pixels->str, s.pixels->len, rows + 8, 4);

  /* No row size: refused with the value named. */
  g_assert_false (gl_db_team_put_pixels (fx->db, 9, rows, 1, 0, NULL, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "of 0 bytes"));
  g_clear_error (&error);
  g_array_unref (s.rows);
  g_string_free (s.pixels, TRUE);
}

static void
test_models (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *uuid = gl_db_team_prepare (fx->db, &error);
  g_assert_no_error (error);
  GlDbModelVersion v = { .path = "/elsewhere/model-0001.gleaner-model", .n_labels = 3, .val_accuracy = NAN,
                         .macro_f1 = NAN, .ece = NAN };
  gint64 id = -1;
  g_assert_true (gl_db_add_model_version (fx->db, &v, &id, &error));
  g_assert_no_error (error);
  g_assert_null (gl_db_team_model_checksum (fx->db, id, &error));
  g_assert_no_error (error);
  g_assert_null (gl_db_team_get_model (fx->db, id, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_autoptr (GBytes) file = g_bytes_new_static ("GLMODEL\0\1\2\3", 11);
  g_autoptr (GBytes) other = g_bytes_new_static ("another", 7);
  g_assert_true (gl_db_team_put_model (fx->db, id, file, &error));
  g_assert_true (gl_db_team_put_model (fx->db, id, other, &error)); /* kept as first stored */
  g_assert_no_error (error);
  g_autofree char *sum = gl_db_team_model_checksum (fx->db, id, &error);
  g_autofree char *want = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, file);
  g_assert_cmpstr (sum, ==, want);
  g_autoptr (GBytes) back = gl_db_team_get_model (fx->db, id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, file));
}

/* Events taken from the listener and not yet looked at. */
static GArray *pending;

/* The oldest event of @kind, waiting for it (a generous 20 s: no timing is asserted); earlier events of other
 * kinds are dropped, later ones kept. */
static GlDbEvent
wait_event (GlDb *listener, GlDbEventKind kind)
{
  gint64 until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  if (pending == NULL)
    pending = g_array_new (FALSE, FALSE, sizeof (GlDbEvent));
  while (g_get_monotonic_time () < until)
    {
      while (pending->len > 0)
        {
          GlDbEvent ev = g_array_index (pending, GlDbEvent, 0);
          g_array_remove_index (pending, 0);
          if (ev.kind == kind)
            return ev;
        }
      GError *error = NULL;
      g_autoptr (GArray) events = gl_db_notify_take (listener, &error);
      g_assert_no_error (error);
      g_array_append_vals (pending, events->data, events->len);
      if (events->len == 0)
        g_usleep (10000);
    }
  g_error ("no event of kind %d arrived", kind);
}

static void
test_notify (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *uuid = gl_db_team_prepare (fx->db, &error);
  g_assert_no_error (error);
  g_autoptr (GlDb) listener = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  if (!gl_test_db_postgres ())
    {
      /* A project folder has one desktop. */
      g_assert_false (gl_db_notify_listen (listener, &error));
      g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
      g_clear_error (&error);
      return;
    }
  g_assert_true (gl_db_notify_listen (listener, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_notify_socket (listener), >=, 0);

  gint64 cat = -1, batch = -1;
  g_assert_true (gl_db_add_class (fx->db, "cat", NULL, &cat, &error));
  g_assert_no_error (error);
  g_assert_cmpint (wait_event (listener, GL_DB_EVENT_CLASSES).kind, ==, GL_DB_EVENT_CLASSES);
  g_assert_true (gl_db_begin_batch (fx->db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage im[3] = { { "/a.png", "01", 1, 0, NULL, NULL }, { "/b.png", "02", 1, 1, NULL, NULL },
                         { "/c.png", "03", 1, 2, NULL, NULL } };
  g_assert_true (gl_db_add_images (fx->db, batch, im, 3, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Two images labeled in one action (a statement each): events carry label ids only; the images read back. */
  gint64 images[2];
  g_autoptr (GArray) all = gl_db_list_unlabeled (fx->db, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  images[0] = g_array_index (all, GlDbScoredImage, 0).image_id;
  images[1] = g_array_index (all, GlDbScoredImage, 2).image_id;
  g_assert_true (gl_db_set_labels (fx->db, images, 2, cat, GL_DB_ORIGIN_HUMAN, "ann", &error));
  g_assert_no_error (error);
  gboolean seen[3] = { FALSE, FALSE, FALSE }; /* of the images of @all */
  while (!seen[0] || !seen[2])
    {
      GlDbEvent ev = wait_event (listener, GL_DB_EVENT_LABELS);
      g_autoptr (GArray) changed = gl_db_labeled_images_between (listener, ev.first, ev.last, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (changed->len, >=, 1);
      for (guint i = 0; i < changed->len; i++)
        for (guint k = 0; k < 3; k++)
          seen[k] |= g_array_index (changed, gint64, i) == g_array_index (all, GlDbScoredImage, k).image_id;
    }
  g_assert_false (seen[1]);
  GlDbEvent ev;

  /* A new current model is announced. */
  GlDbModelVersion v = { .path = "/m", .n_labels = 2, .val_accuracy = NAN, .macro_f1 = NAN, .ece = NAN };
  gint64 model = -1;
  g_assert_true (gl_db_add_model_version (fx->db, &v, &model, &error));
  g_assert_true (gl_db_set_current_model (fx->db, model, &error));
  g_assert_no_error (error);
  ev = wait_event (listener, GL_DB_EVENT_MODEL);
  g_assert_cmpint (ev.first, ==, model);
}

/* Adds @n images; their ids into @ids. */
static void
add_images (GlDb *db, guint n, gint64 *ids)
{
  GError *error = NULL;
  gint64 batch = -1;
  g_assert_true (gl_db_begin_batch (db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  g_autofree GlDbNewImage *im = g_new0 (GlDbNewImage, n);
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      char *path = g_strdup_printf ("/img/%u.png", i), *hash = g_strdup_printf ("%064u", i);
      g_ptr_array_add (strings, path);
      g_ptr_array_add (strings, hash);
      im[i] = (GlDbNewImage) { path, hash, 1, i, NULL, NULL };
    }
  g_assert_true (gl_db_add_images (db, batch, im, n, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GArray) all = gl_db_list_unlabeled (db, 0, n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, n);
  for (guint i = 0; i < n; i++)
    ids[i] = g_array_index (all, GlDbScoredImage, i).image_id;
}

static gint64
take (GlDb *db, const char *who, const gint64 *candidates, guint n, guint overlap, guint ttl)
{
  GError *error = NULL;
  gint64 got = -2;
  g_assert_true (gl_db_lease_take (db, who, candidates, n, overlap, ttl, &got, &error));
  g_assert_no_error (error);
  return got;
}

static void
test_leases (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *uuid = gl_db_team_prepare (fx->db, &error);
  g_assert_no_error (error);
  gint64 ids[5];
  add_images (fx->db, 5, ids);
  g_autoptr (GlDb) other = gl_db_open (fx->path, &error);
  g_assert_no_error (error);

  /* Two annotators on two connections get different images; one's own image is renewed, not lost. */
  g_assert_cmpint (take (fx->db, "ann", ids, 5, 1, 60), ==, ids[0]);
  g_assert_cmpint (take (other, "bob", ids, 5, 1, 60), ==, ids[1]);
  g_assert_cmpint (take (fx->db, "ann", ids, 5, 1, 60), ==, ids[0]);
  /* Overlap 2: bob may share ann's image. */
  g_assert_cmpint (take (other, "bob", ids, 1, 2, 60), ==, ids[0]);
  g_assert_cmpint (gl_db_lease_count (fx->db, ids[0], &error), ==, 2);
  /* Every candidate held: none. */
  g_assert_cmpint (take (other, "cy", ids, 2, 1, 60), ==, -1);
  /* Given back (labeled): free again. */
  g_assert_true (gl_db_lease_release (fx->db, "ann", ids[0], &error));
  g_assert_true (gl_db_lease_release (other, "bob", ids[0], &error));
  g_assert_no_error (error);
  g_assert_cmpint (take (other, "cy", ids, 2, 1, 60), ==, ids[0]);
  /* A lease not renewed expires (a desktop that died): its image is reclaimed. */
  g_assert_cmpint (take (fx->db, "dee", ids + 4, 1, 1, 1), ==, ids[4]);
  g_assert_cmpint (take (other, "bob", ids + 4, 1, 1, 60), ==, -1);
  g_usleep (1200 * 1000);
  g_assert_cmpint (take (other, "bob", ids + 4, 1, 1, 60), ==, ids[4]);
  /* The window closes: all of bob's go back. */
  g_assert_true (gl_db_lease_release_all (other, "bob", &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_lease_count (fx->db, ids[1], &error), ==, 0);
  g_assert_cmpint (gl_db_lease_count (fx->db, ids[4], &error), ==, 0);
  g_assert_false (gl_db_lease_take (fx->db, "", ids, 1, 1, 60, &ids[0], &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_INVALID);
  g_clear_error (&error);
}

#define RACE_IMAGES 24

typedef struct
{
  const char *path;
  const char *who;
  const gint64 *ids;          /* (RACE_IMAGES) */
  gint64 got[RACE_IMAGES / 2]; /* the images it got, -1: none was free */
} Racer;

/* Takes RACE_IMAGES / 2 leases on a connection of its own, as a queue does: each time from the images it did
 * not get yet, in order (it keeps holding what it got, as while labeling them). */
static gpointer
race (gpointer data)
{
  Racer *r = data;
  GError *error = NULL;
  GlDb *db = gl_db_open (r->path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < RACE_IMAGES / 2; i++)
    {
      gint64 rest[RACE_IMAGES];
      guint n = 0;
      for (guint k = 0; k < RACE_IMAGES; k++)
        {
          gboolean mine = FALSE;
          for (guint j = 0; j < i; j++)
            mine |= r->got[j] == r->ids[k];
          if (!mine)
            rest[n++] = r->ids[k];
        }
      r->got[i] = take (db, r->who, rest, n, 1, 60);
    }
  gl_db_close (db);
  return NULL;
}

/* Two desktops taking leases at the same time from the same candidates:
 * every image goes to exactly one of them. */
static void
test_lease_race (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *uuid = gl_db_team_prepare (fx->db, &error);
  g_assert_no_error (error);
  gint64 ids[RACE_IMAGES];
  add_images (fx->db, RACE_IMAGES, ids);
  Racer a = { fx->path, "ann", ids, { 0 } }, b = { fx->path, "bob", ids, { 0 } };
  GThread *ta = g_thread_new ("ann", race, &a);
  GThread *tb = g_thread_new ("bob", race, &b);
  g_thread_join (ta);
  g_thread_join (tb);
  /* 24 leases of 24 images, none given twice. */
  guint times[RACE_IMAGES] = { 0 };
  for (guint i = 0; i < RACE_IMAGES / 2; i++)
    for (guint k = 0; k < RACE_IMAGES; k++)
      times[k] += (a.got[i] == ids[k]) + (b.got[i] == ids[k]);
  for (guint k = 0; k < RACE_IMAGES; k++)
    g_assert_cmpuint (times[k], ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/db/team/uuid", Fixture, NULL, fixture_setup, test_uuid, fixture_teardown);
  g_test_add ("/db/team/pixels", Fixture, NULL, fixture_setup, test_pixels, fixture_teardown);
  g_test_add ("/db/team/models", Fixture, NULL, fixture_setup, test_models, fixture_teardown);
  g_test_add ("/db/team/notify", Fixture, NULL, fixture_setup, test_notify, fixture_teardown);
  g_test_add ("/db/team/leases", Fixture, NULL, fixture_setup, test_leases, fixture_teardown);
  g_test_add ("/db/team/lease-race", Fixture, NULL, fixture_setup, test_lease_race, fixture_teardown);
  return g_test_run ();
}
