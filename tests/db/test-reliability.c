/* Reliability of the store (suite integration), with the db-labeler helper
 * given as the first argument:
 *  - kill -9 at random moments (60 times) a process that labels in a loop and
 *    prints each label it committed: every printed label is in the database
 *    afterwards and the integrity check is ok;
 *  - two processes labeling one project at once: both succeed, or one gets a
 *    clear "busy" error; nothing is lost or damaged;
 *  - a file-size limit (a full disk) while labeling: a clear "disk is full"
 *    error, and the labels committed before it are intact.
 */
#include "db/gl-db.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *labeler;

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-db-rel-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.gleaner-db", NULL);
  GlDb *db = gl_db_create (fx->path, &error);
  g_assert_no_error (error);
  const char *names[] = { "t-shirt", "trouser", "bag/..", "🐈" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_true (gl_db_add_class (db, names[i], NULL, NULL, &error));
  gint64 batch;
  g_assert_true (gl_db_begin_batch (db, "gen", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage im[300];
  char paths[300][32], hashes[300][32];
  for (guint i = 0; i < 300; i++)
    {
      g_snprintf (paths[i], sizeof paths[i], "/gen/%03u.png", i);
      g_snprintf (hashes[i], sizeof hashes[i], "hash%03u", i);
      im[i] = (GlDbNewImage) { paths[i], hashes[i], 1000, i, NULL, NULL };
    }
  g_assert_true (gl_db_add_images (db, batch, im, 300, NULL, NULL, &error));
  g_assert_no_error (error);
  gl_db_close (db);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  const char *suffixes[] = { "", "-wal", "-shm" };
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *f = g_strconcat (fx->path, suffixes[i], NULL);
      g_unlink (f);
    }
  g_rmdir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

typedef struct
{
  GPid pid;
  int out, err;
} Child;

static Child
spawn (const char *mode, const char *path, const char *annotator, guint64 seed, guint64 n)
{
  g_autofree char *s = g_strdup_printf ("%" G_GUINT64_FORMAT, seed);
  g_autofree char *c = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  const char *argv[] = { labeler, mode, path, annotator, s, c, NULL };
  Child child = { 0 };
  GError *error = NULL;
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                           &child.pid, NULL, &child.out, &child.err, &error));
  g_assert_no_error (error);
  return child;
}

static char *
read_all (int fd)
{
  GString *s = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (s, buf, n);
  close (fd);
  return g_string_free (s, FALSE);
}

/* Waits for @child; its exit status (or -signal); its outputs. */
static int
finish (Child *child, char **out, char **err)
{
  /* Read before waiting: a full pipe would block the child. */
  *out = read_all (child->out);
  *err = read_all (child->err);
  int status = 0;
  while (waitpid (child->pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_spawn_close_pid (child->pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -WTERMSIG (status);
}

/* Adds the complete "LABEL id image class" lines of @out to @labels (id → image,class). */
static guint
parse_labels (const char *out, GHashTable *labels)
{
  guint n = 0;
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  guint len = g_strv_length (lines);
  /* The last element follows the last newline: empty, or half a line. */
  for (guint i = 0; i + 1 < len; i++)
    {
      gint64 id, image, klass;
      g_assert_cmpint (sscanf (lines[i], "LABEL %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, &id,
                               &image, &klass),
                       ==, 3);
      gint64 *v = g_new (gint64, 2);
      v[0] = image;
      v[1] = klass;
      g_hash_table_insert (labels, g_memdup2 (&id, sizeof id), v);
      n++;
    }
  return n;
}

/* Every label in @labels is in the history with its image and class; the
 * database is whole. */
static void
check_labels (const char *path, GHashTable *labels)
{
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (gl_db_check_integrity (db, &error));
  g_assert_no_error (error);
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (gint64 image = 1; image <= 300; image++)
    {
      g_autoptr (GArray) h = gl_db_get_history (db, image, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < h->len; i++)
        {
          GlDbLabel *l = &g_array_index (h, GlDbLabel, i);
          g_hash_table_insert (rows, g_memdup2 (&l->id, sizeof l->id), GINT_TO_POINTER ((int) l->class_id));
          g_assert_cmpint (l->image_id, ==, image);
        }
    }
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, labels);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      const gint64 *v = value;
      g_assert_true (g_hash_table_contains (rows, key));
      g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (rows, key)), ==, (int) v[1]);
      /* The row belongs to the printed image. */
      g_autoptr (GArray) h = gl_db_get_history (db, v[0], &error);
      gboolean found = FALSE;
      for (guint i = 0; i < h->len && !found; i++)
        found = g_array_index (h, GlDbLabel, i).id == *(const gint64 *) key;
      g_assert_true (found);
    }
}

static void
test_kill9 (Fixture *fx, gconstpointer data)
{
  g_autoptr (GHashTable) labels = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  GRand *rand = g_rand_new_with_seed (4);
  guint kills = 0, runs_with_labels = 0, total = 0;
  /* Until 50 kills hit a labeling process: on a loaded machine (or under
   * ASan) some children are killed before their first commit. */
  for (guint run = 0; run < 300 && runs_with_labels < 50; run++)
    {
      Child c = spawn ("label", fx->path, "killed", run, 0);
      /* Let it start, open and label for a random while, then SIGKILL. */
      g_usleep ((gulong) g_rand_int_range (rand, 20000, 160000));
      g_assert_cmpint (kill (c.pid, SIGKILL), ==, 0);
      g_autofree char *out = NULL, *err = NULL;
      int status = finish (&c, &out, &err);
      g_assert_cmpint (status, ==, -SIGKILL);
      kills++;
      guint n = parse_labels (out, labels);
      total += n;
      runs_with_labels += n > 0;
    }
  g_test_message ("%u kills, %u of them while labeling, %u committed labels printed", kills, runs_with_labels,
                  total);
  g_assert_cmpuint (kills, >=, 50);
  g_assert_cmpuint (runs_with_labels, >=, 50);
  check_labels (fx->path, labels);
  g_rand_free (rand);
}

static void
test_two_processes (Fixture *fx, gconstpointer data)
{
  g_autoptr (GHashTable) labels = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  Child a = spawn ("label", fx->path, "ann", 1, 150);
  Child b = spawn ("label", fx->path, "bob", 2, 150);
  g_autofree char *out_a = NULL, *err_a = NULL, *out_b = NULL, *err_b = NULL;
  int sa = finish (&a, &out_a, &err_a);
  int sb = finish (&b, &out_b, &err_b);
  guint na = parse_labels (out_a, labels), nb = parse_labels (out_b, labels);
  g_test_message ("statuses %d %d, labels %u %u", sa, sb, na, nb);
  /* Success, or the clear busy error (exit 3) for one of them. */
  g_assert_true (sa == 0 || (sa == 3 && strstr (err_a, "busy") != NULL));
  g_assert_true (sb == 0 || (sb == 3 && strstr (err_b, "busy") != NULL));
  g_assert_true (sa == 0 || sb == 0);
  if (sa == 0)
    g_assert_cmpuint (na, ==, 150);
  if (sb == 0)
    g_assert_cmpuint (nb, ==, 150);
  check_labels (fx->path, labels);
}

static void
test_full_disk (Fixture *fx, gconstpointer data)
{
  g_autoptr (GHashTable) labels = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  GStatBuf st;
  g_assert_cmpint (g_stat (fx->path, &st), ==, 0);
  /* Room for a few dozen label commits in the write-ahead log. */
  Child c = spawn ("fill", fx->path, "ann", 3, (guint64) st.st_size + 256 * 1024);
  g_autofree char *out = NULL, *err = NULL;
  int status = finish (&c, &out, &err);
  guint n = parse_labels (out, labels);
  g_test_message ("status %d after %u labels: %s", status, n, err);
  g_assert_cmpint (status, ==, 2);
  g_assert_nonnull (strstr (err, "disk is full"));
  g_assert_nonnull (strstr (err, fx->path));
  g_assert_cmpuint (n, >, 0);
  check_labels (fx->path, labels);
  /* With room again, labeling goes on. */
  Child d = spawn ("label", fx->path, "ann", 4, 5);
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint (finish (&d, &out2, &err2), ==, 0);
  g_assert_cmpuint (parse_labels (out2, labels), ==, 5);
  check_labels (fx->path, labels);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: %s PATH-TO-db-labeler\n", argv[0]);
      return 1;
    }
  labeler = argv[1];
  g_test_add ("/db/reliability/kill9", Fixture, NULL, fixture_setup, test_kill9, fixture_teardown);
  g_test_add ("/db/reliability/two-processes", Fixture, NULL, fixture_setup, test_two_processes, fixture_teardown);
  g_test_add ("/db/reliability/full-disk", Fixture, NULL, fixture_setup, test_full_disk, fixture_teardown);
  return g_test_run ();
}
