/* fuzz-imagefolder-manifest.c — the gleaner-imagefolder.csv reader: class
 * names valid UTF-8 and not empty, no folder empty or with a '/'. */
#include "fuzz.h"

#include <string.h>

#include "app/gl-csv.h"

static void
check_folders (GHashTable *table)
{
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, &key, NULL))
    FUZZ_CHECK (((char *)key)[0] != '\0' && strchr (key, '/') == NULL, "a folder is one non-empty name");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GHashTable) classes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) splits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) others = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gl_csv_parse_imagefolder_manifest ((const char *)data, size, classes, splits, others);
  check_folders (classes);
  check_folders (splits);
  check_folders (others);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init (&it, classes);
  while (g_hash_table_iter_next (&it, NULL, &value))
    FUZZ_CHECK (((char *)value)[0] != '\0' && g_utf8_validate (value, -1, NULL),
                "a class name is UTF-8 text");
  return 0;
}
