/* gl-cli-images.c — gleaner-cli problems: the images of a project one by
 * one (the files that could not be read, with the reasons). */
#include "gleaner-config.h"

#include <stdio.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-project.h"
#include "db/gl-db.h"

const GOptionEntry gl_cli_problems_options[] = { { NULL } };

int
gl_cli_problems (int argc, char **argv)
{
  gboolean json = gl_cli_json;
  if (argc != 2)
    return gl_cli_usage ("problems");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("problems", error);
  GlDb *db = gl_project_get_db (p);
  g_autoptr (GString) out = g_string_new (json ? "{\"unreadable\":[" : NULL);
  GlDbFilter filter = { GL_DB_FILTER_UNREADABLE, -1 };
  g_autoptr (GlDbCursor) cursor = NULL;
  guint64 n = 0;
  do
    {
      g_autoptr (GArray) page = NULL;
      GlDbCursor *next = NULL;
      if (!gl_db_list_images (db, &filter, GL_DB_SORT_NAME, cursor, 1000, &page, &next, &error))
        return gl_cli_fail ("problems", error);
      g_clear_pointer (&cursor, gl_db_cursor_free);
      cursor = next;
      for (guint i = 0; i < page->len; i++)
        {
          const GlDbListRow *row = &g_array_index (page, GlDbListRow, i);
          GlDbImage im = { 0 };
          if (!gl_db_get_image (db, row->image_id, &im, &error))
            return gl_cli_fail ("problems", error);
          const char *reason = im.reason ? im.reason : "unreadable";
          if (json)
            {
              g_string_append_printf (out, "%s{\"id\":%" G_GINT64_FORMAT ",\"path\":", n ? "," : "", im.id);
              gl_json_append_string (out, im.path);
              g_string_append (out, ",\"reason\":");
              gl_json_append_string (out, reason);
              g_string_append_c (out, '}');
            }
          else
            g_string_append_printf (out, "%" G_GINT64_FORMAT "\t%s\t%s\n", im.id, im.path, reason);
          gl_db_image_clear (&im);
          n++;
        }
    }
  while (cursor != NULL);
  if (json)
    g_string_append (out, "]}\n");
  else if (n == 0)
    g_string_append (out, "every image is readable\n");
  fwrite (out->str, 1, out->len, stdout);
  return GL_CLI_EXIT_OK;
}
