/* gl-cli-images.c — gleaner-cli problems, history and accept: the images of
 * a project one by one (the files that could not be read, with the reasons;
 * an image's label history; accepting a suggestion or prediction). */
#include "gleaner-config.h"

#include <stdio.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-path.h"
#include "app/gl-project.h"
#include "app/gl-queue.h"
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
          g_autofree char *shown = gl_path_display (im.path);
          if (json)
            {
              g_string_append_printf (out, "%s{\"id\":%" G_GINT64_FORMAT ",\"path\":", n ? "," : "", im.id);
              gl_json_append_string (out, shown);
              g_string_append (out, ",\"reason\":");
              gl_json_append_string (out, reason);
              g_string_append_c (out, '}');
            }
          else
            g_string_append_printf (out, "%" G_GINT64_FORMAT "\t%s\t%s\n", im.id, shown, reason);
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

const GOptionEntry gl_cli_history_options[] = { { NULL } };

/* "2026-12-07T12:00:00Z" for a time in microseconds since the epoch. */
static char *
iso_time (gint64 us)
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  return t ? g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

int
gl_cli_history (int argc, char **argv)
{
  if (argc != 3)
    return gl_cli_usage ("history");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("history", error);
  GlDb *db = gl_project_get_db (p);
  gint64 image_id;
  GlDbImage im = { 0 };
  if (!gl_cli_lookup_image (db, argv[2], &image_id, &error) || !gl_db_get_image (db, image_id, &im, &error))
    return gl_cli_fail ("history", error);
  g_autoptr (GArray) rows = gl_db_get_history (db, image_id, &error);
  if (rows == NULL)
    {
      gl_db_image_clear (&im);
      return gl_cli_fail ("history", error);
    }
  g_autofree char *shown = gl_path_display (im.path);
  static const char *const kinds[] = { "label", "undo", "class change" };
  g_autoptr (GString) out = g_string_new (NULL);
  if (gl_cli_json)
    {
      g_string_append_printf (out, "{\"id\":%" G_GINT64_FORMAT ",\"path\":", image_id);
      gl_json_append_string (out, shown);
      g_string_append (out, ",\"history\":[");
    }
  else
    g_string_append_printf (out, "image %" G_GINT64_FORMAT " %s\n", image_id, shown);
  gl_db_image_clear (&im);
  for (guint i = 0; i < rows->len; i++)
    {
      const GlDbLabel *l = &g_array_index (rows, GlDbLabel, i);
      GlDbClass c = { 0 };
      gboolean named = l->class_id >= 0 && gl_db_get_class (db, l->class_id, &c, NULL);
      g_autofree char *when = iso_time (l->created_us);
      const char *kind = l->kind <= GL_DB_LABEL_CLASS ? kinds[l->kind] : "?";
      const char *origin = gl_db_origin_to_string (l->origin);
      if (gl_cli_json)
        {
          g_string_append_printf (out, "%s{\"time\":\"%s\",\"class\":", i ? "," : "", when);
          if (named)
            gl_json_append_string (out, c.name);
          else
            g_string_append (out, "null");
          g_string_append (out, ",\"origin\":");
          gl_json_append_string (out, origin);
          g_string_append (out, ",\"kind\":");
          gl_json_append_string (out, kind);
          g_string_append (out, ",\"annotator\":");
          gl_json_append_string (out, l->annotator ? l->annotator : "");
          g_string_append_c (out, '}');
        }
      else
        g_string_append_printf (out, "%s\t%s\t%s\t%s\t%s\n", when, named ? c.name : "(unlabeled)", origin,
                                kind, l->annotator ? l->annotator : "");
      if (named)
        gl_db_class_clear (&c);
    }
  if (gl_cli_json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    {
      if (rows->len == 0)
        g_string_append (out, "never labeled\n");
      fwrite (out->str, 1, out->len, stdout);
    }
  return GL_CLI_EXIT_OK;
}

const GOptionEntry gl_cli_accept_options[] = { { NULL } };

int
gl_cli_accept (int argc, char **argv)
{
  if (argc != 3)
    return gl_cli_usage ("accept");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("accept", error);
  gint64 image_id;
  if (!gl_cli_lookup_image (gl_project_get_db (p), argv[2], &image_id, &error))
    return gl_cli_fail ("accept", error);
  g_autoptr (GlQueue) queue = gl_queue_new (p, &error);
  if (queue == NULL)
    return gl_cli_fail ("accept", error);
  GlQueueItem *it = gl_queue_describe_image (queue, image_id, &error);
  if (it == NULL || !gl_queue_accept_image (queue, it, &error))
    {
      g_clear_pointer (&it, gl_queue_item_free);
      return gl_cli_fail ("accept", error);
    }
  /* What the queue accepted: the suggestion first, else the prediction. */
  gboolean rule = it->suggested_class >= 0;
  g_auto (GStrv) names = gl_queue_dup_class_names (queue);
  const char *name = names[rule ? it->suggested_class : it->top_class[0]];
  const char *origin = gl_db_origin_to_string (rule ? GL_DB_ORIGIN_RULE : GL_DB_ORIGIN_PREDICTION);
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_string_append_printf (out, "{\"image\":%" G_GINT64_FORMAT ",\"class\":", image_id);
      gl_json_append_string (out, name);
      g_string_append_printf (out, ",\"origin\":\"%s\"}", origin);
      gl_cli_print_json (out);
    }
  else
    printf ("image %" G_GINT64_FORMAT " labeled %s (origin %s)\n", image_id, name, origin);
  gl_queue_item_free (it);
  return GL_CLI_EXIT_OK;
}
