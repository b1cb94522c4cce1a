/* db-labeler — a tiny program for the reliability tests: labels images of a
 * project database in a loop through gl_db_ and prints each label only after
 * gl_db_set_label returned (i.e. after COMMIT):
 *
 *   db-labeler label DB ANNOTATOR SEED COUNT   COUNT labels (0: until killed)
 *   db-labeler fill DB ANNOTATOR SEED LIMIT     the same under RLIMIT_FSIZE = LIMIT bytes, until a write fails
 *
 * stdout: one line "LABEL <label id> <image id> <class id>" per committed label,
 * written with one write(2) so that a kill never leaves half a line that
 * looks whole. On failure: the GError message on stderr and exit status 3
 * (busy), 2 (disk full) or 1 (anything else).
 */
#include "db/gl-db.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int
fail (GError *error)
{
  fprintf (stderr, "db-labeler: %s\n", error->message);
  int status = g_error_matches (error, GL_DB_ERROR, GL_DB_ERROR_BUSY)   ? 3
               : g_error_matches (error, GL_DB_ERROR, GL_DB_ERROR_FULL) ? 2
                                                                        : 1;
  g_error_free (error);
  return status;
}

int
main (int argc, char **argv)
{
  if (argc != 6 || (strcmp (argv[1], "label") != 0 && strcmp (argv[1], "fill") != 0))
    {
      fprintf (stderr, "usage: db-labeler label|fill DB ANNOTATOR SEED COUNT|LIMIT\n");
      return 64;
    }
  gboolean fill = strcmp (argv[1], "fill") == 0;
  guint64 seed = g_ascii_strtoull (argv[4], NULL, 10);
  guint64 count = g_ascii_strtoull (argv[5], NULL, 10);
  GError *error = NULL;
  GlDb *db = gl_db_open (argv[2], &error);
  if (db == NULL)
    return fail (error);
  if (fill)
    {
      /* Writes past the limit fail with EFBIG instead of killing us. */
      signal (SIGXFSZ, SIG_IGN);
      struct rlimit rl = { count, count };
      if (setrlimit (RLIMIT_FSIZE, &rl) != 0)
        {
          perror ("setrlimit");
          return 1;
        }
      count = 0;
    }
  GArray *classes = gl_db_list_classes (db, FALSE, &error);
  GlDbCounts counts;
  if (classes == NULL || classes->len == 0 || !gl_db_get_counts (db, &counts, &error) || counts.images == 0)
    {
      if (error == NULL)
        g_set_error (&error, GL_DB_ERROR, GL_DB_ERROR_INVALID, "%s: no classes or images", argv[2]);
      if (classes)
        g_array_unref (classes);
      gl_db_close (db);
      return fail (error);
    }
  GRand *rand = g_rand_new_with_seed ((guint32) seed);
  int status = 0;
  for (guint64 i = 0; count == 0 || i < count; i++)
    {
      /* Image ids are 1..images in these tests. */
      gint64 image = g_rand_int_range (rand, 1, (gint32) counts.images + 1);
      gint64 klass = g_array_index (classes, GlDbClass, g_rand_int_range (rand, 0, (gint32) classes->len)).id;
      gint64 label_id;
      if (!gl_db_set_label (db, image, klass, GL_DB_ORIGIN_HUMAN, argv[3], &label_id, &error))
        {
          status = fail (error);
          break;
        }
      char line[96];
      int n = g_snprintf (line, sizeof line, "LABEL %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                          label_id, image, klass);
      if (write (STDOUT_FILENO, line, (size_t) n) != n)
        {
          status = 1;
          break;
        }
    }
  g_rand_free (rand);
  g_array_unref (classes);
  gl_db_close (db);
  return status;
}
