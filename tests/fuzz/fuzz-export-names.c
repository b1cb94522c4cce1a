/* fuzz-export-names.c — the names an export builds. The input is class
 * names and a source file name, separated by NUL bytes (the last part is the
 * file name, stored text as gl-path.h keeps it). Property: every folder and
 * file name is one path component, so that TARGET/FOLDER/NAME (and
 * TARGET/SPLIT/FOLDER/NAME) is inside TARGET; folder names are unique without
 * regard to case. */
#include "fuzz.h"

#include <string.h>

#include "app/gl-export.h"
#include "app/gl-path.h"

static void
check_component (const char *name)
{
  FUZZ_CHECK (name[0] != '\0', "not empty");
  FUZZ_CHECK (strchr (name, '/') == NULL, "no slash");
  FUZZ_CHECK (strcmp (name, ".") != 0 && strcmp (name, "..") != 0, "not . or ..");
  FUZZ_CHECK (g_utf8_validate (name, -1, NULL), "UTF-8");
  FUZZ_CHECK (strlen (name) <= 255, "at most 255 bytes (NAME_MAX)");
  g_autofree char *joined = g_build_filename ("/target", "train", name, NULL);
  g_autofree char *canon = g_canonicalize_filename (joined, NULL);
  FUZZ_CHECK (g_str_has_prefix (canon, "/target/train/"), "inside the target");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  size_t start = 0;
  for (size_t i = 0; i <= size; i++)
    if (i == size || data[i] == 0)
      {
        g_ptr_array_add (parts, g_strndup ((const char *)data + start, i - start));
        start = i + 1;
      }
  const char *file = g_ptr_array_index (parts, parts->len - 1);
  /* Class names as the store takes them: UTF-8, 1 to 1,000 characters, each once. */
  g_autoptr (GPtrArray) classes = g_ptr_array_new ();
  for (guint i = 0; i + 1 < parts->len && classes->len < 64; i++)
    {
      const char *name = parts->pdata[i];
      gboolean dup = FALSE;
      for (guint j = 0; j < classes->len; j++)
        dup |= strcmp (classes->pdata[j], name) == 0;
      if (!dup && name[0] != '\0' && g_utf8_validate (name, -1, NULL) && g_utf8_strlen (name, -1) <= 1000)
        g_ptr_array_add (classes, (gpointer)name);
    }
  g_ptr_array_add (classes, NULL);
  guint n = classes->len - 1;
  g_auto (GStrv) folders = gl_export_folder_names ((const char *const *)classes->pdata, n);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint k = 0; k < n; k++)
    {
      check_component (folders[k]);
      g_autofree char *fold = g_utf8_casefold (folders[k], -1);
      FUZZ_CHECK (!g_hash_table_contains (seen, fold), "folder names unique without regard to case");
      g_hash_table_add (seen, g_steal_pointer (&fold));
    }
  /* The file name from any stored path (as an export shows it). */
  g_autofree char *stored = gl_path_encode (file);
  g_autofree char *shown = gl_path_display (stored);
  g_autofree char *name = gl_export_safe_file_name (shown);
  check_component (name);
  g_autofree char *raw = gl_export_safe_file_name (g_utf8_validate (file, -1, NULL) ? file : stored);
  check_component (raw);
  return 0;
}
