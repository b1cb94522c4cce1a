/* fuzz-project-open.c — a project folder from someone else: its database
 * file is the input. Opening it, reading its counts, checking it and opening
 * its queue either works or fails with a message; nothing is written outside
 * the project folder (its folder holds only what a project holds). */
#include "fuzz.h"

#include <glib/gstdio.h>
#include <string.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"

#ifdef GL_FUZZING
/* Under libFuzzer only (the replay in the suite syncs as the app does):
 * durability is not what this target tests, and SQLite's and the pixel
 * cache's syncs took most of each run's time (3 to 10 runs a second instead
 * of hundreds). These definitions in the program take the place of libc's
 * for every library it loads. */
int
fsync (int fd)
{
  (void) fd;
  return 0;
}

int
fdatasync (int fd)
{
  (void) fd;
  return 0;
}
#endif

static void
check_contents (const char *dir)
{
  static const char *const allowed[] = { "project.gleaner-db",
                                         "project.gleaner-db-wal",
                                         "project.gleaner-db-shm",
                                         "project.gleaner-db-journal",
                                         "models",
                                         "cache",
                                         NULL };
  GDir *d = g_dir_open (dir, 0, NULL);
  FUZZ_CHECK (d != NULL, "the project folder is there");
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    FUZZ_CHECK (g_strv_contains (allowed, name), "only project files in the project folder");
  g_dir_close (d);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *dir = g_build_filename (fuzz_tmp_dir (), "project", NULL);
  gl_remove_tree (dir);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_autofree char *db = g_build_filename (dir, "project.gleaner-db", NULL);
  fuzz_write (db, data, size);
  GError *error = NULL;
  GlProject *p = gl_project_open (dir, &error);
  if (p == NULL)
    {
      FUZZ_CHECK (error != NULL && error->message[0] != '\0', "a failure says why");
      g_clear_error (&error);
      check_contents (dir);
      return 0;
    }
  GlProjectInfo info;
  if (gl_project_get_info (p, &info, &error))
    gl_project_info_clear (&info);
  g_clear_error (&error);
  if (!gl_project_check_integrity (p, &error))
    FUZZ_CHECK (error != NULL && error->message[0] != '\0', "a failed check says why");
  g_clear_error (&error);
  GlQueue *queue = gl_queue_new (p, &error);
  if (queue != NULL)
    {
      gl_queue_take_error (queue, &error);
      g_object_unref (queue);
    }
  g_clear_error (&error);
  gl_project_close (p);
  check_contents (dir);
  return 0;
}
