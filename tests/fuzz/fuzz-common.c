/* fuzz-common.c — see fuzz.h. */
#include "fuzz.h"

#include <glib/gstdio.h>
#include <stdlib.h>

#include "app/gl-project.h"

static char *tmp_dir; /* owned; the fuzzing thread only */

static void
remove_tmp_dir (void)
{
  if (tmp_dir != NULL)
    gl_remove_tree (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
}

const char *
fuzz_tmp_dir (void)
{
  if (tmp_dir == NULL)
    {
      GError *error = NULL;
      tmp_dir = g_dir_make_tmp ("gl-fuzz-XXXXXX", &error);
      if (tmp_dir == NULL)
        g_error ("%s", error->message);
      atexit (remove_tmp_dir);
    }
  return tmp_dir;
}

void
fuzz_write (const char *path, const uint8_t *data, size_t size)
{
  GError *error = NULL;
  if (!g_file_set_contents (path, (const char *)data, (gssize)size, &error))
    g_error ("%s", error->message);
}
