/* replay.c — runs a fuzz target (linked in) on every file of the folders or
 * files given, in name order: so that each corpus file, crashers included,
 * stays a test of the normal suite. Prints TAP. */
#include "fuzz.h"

#include <stdio.h>

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *)a, *(char *const *)b);
}

static void
collect (const char *path, GPtrArray *files)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  GError *error = NULL;
  GDir *dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (files, g_build_filename (path, name, NULL));
  g_dir_close (dir);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  for (int i = 1; i < argc; i++)
    collect (argv[i], files);
  g_ptr_array_sort (files, compare_names);
  if (files->len == 0)
    {
      printf ("1..0 # SKIP no corpus files\n");
      return 1; /* an empty corpus is a mistake in the suite */
    }
  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *data = NULL;
      gsize len = 0;
      GError *error = NULL;
      if (!g_file_get_contents (files->pdata[i], &data, &len, &error))
        g_error ("%s", error->message);
      LLVMFuzzerTestOneInput ((const uint8_t *)data, len);
      printf ("ok %u %s\n", i + 1, (char *)files->pdata[i]);
      fflush (stdout);
    }
  return 0;
}
