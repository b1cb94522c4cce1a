/* gl-cli-classes.c — gleaner-cli classes: list, add, rename, merge, archive
 * and unarchive the classes of a project. */
#include "gleaner-config.h"

#include <stdio.h>
#include <string.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-project.h"

const GOptionEntry gl_cli_classes_options[] = { { NULL } };

static int
list_classes (GlDb *db)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &error);
  g_autoptr (GArray) counts = classes ? gl_db_count_per_class (db, &error) : NULL;
  if (counts == NULL)
    return gl_cli_fail ("classes", error);
  g_autoptr (GString) out = g_string_new (gl_cli_json ? "{\"classes\":[" : NULL);
  for (guint i = 0; i < classes->len; i++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      /* Both lists: the classes in position order, archived included. */
      const GlDbClassCount *n = i < counts->len ? &g_array_index (counts, GlDbClassCount, i) : NULL;
      char key[8] = { 0 };
      if (c->shortcut)
        g_unichar_to_utf8 (c->shortcut, key);
      if (gl_cli_json)
        {
          g_string_append_printf (out, "%s{\"id\":%" G_GINT64_FORMAT ",\"name\":", i ? "," : "", c->id);
          gl_json_append_string (out, c->name);
          g_string_append (out, ",\"key\":");
          if (c->shortcut)
            gl_json_append_string (out, key);
          else
            g_string_append (out, "null");
          g_string_append_printf (out,
                                  ",\"colour\":\"%s\",\"archived\":%s,\"labeled\":%" G_GUINT64_FORMAT
                                  ",\"reference\":%" G_GUINT64_FORMAT "}",
                                  c->colour, c->archived ? "true" : "false", n ? n->labeled : 0,
                                  n ? n->reference : 0);
        }
      else
        g_string_append_printf (out, "%" G_GINT64_FORMAT "\t%s\tkey %s\t%" G_GUINT64_FORMAT " labeled%s\n",
                                c->id, c->name, c->shortcut ? key : "-", n ? n->labeled : 0,
                                c->archived ? "\tarchived" : "");
    }
  if (gl_cli_json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    fwrite (out->str, 1, out->len, stdout);
  return GL_CLI_EXIT_OK;
}

/* What a change did: @text, or with --json {"class":ID,"name":NAME[,"relabeled":N]}. */
static int
changed (gint64 class_id, const char *name, gint64 relabeled, const char *text)
{
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_string_append_printf (out, "{\"class\":%" G_GINT64_FORMAT ",\"name\":", class_id);
      gl_json_append_string (out, name);
      if (relabeled >= 0)
        g_string_append_printf (out, ",\"relabeled\":%" G_GINT64_FORMAT, relabeled);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
    }
  else
    printf ("%s\n", text);
  return GL_CLI_EXIT_OK;
}

int
gl_cli_classes (int argc, char **argv)
{
  static const struct
  {
    const char *verb;
    int argc;
  } verbs[] = { { "list", 3 },  { "add", 4 },     { "rename", 5 },
                { "merge", 5 }, { "archive", 4 }, { "unarchive", 4 } };
  const char *verb = argc >= 3 ? argv[2] : "";
  gboolean known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    known |= g_str_equal (verb, verbs[i].verb) && argc == verbs[i].argc;
  if (!known)
    return gl_cli_usage ("classes");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("classes", error);
  GlDb *db = gl_project_get_db (p);
  if (g_str_equal (verb, "list"))
    return list_classes (db);
  gint64 id = -1;
  if (g_str_equal (verb, "add"))
    {
      if (!gl_db_add_class (db, argv[3], NULL, &id, &error))
        return gl_cli_fail ("classes", error);
      g_autofree char *text = g_strdup_printf ("class %" G_GINT64_FORMAT " added: %s", id, argv[3]);
      return changed (id, argv[3], -1, text);
    }
  if (!gl_cli_find_class (db, argv[3], &id, &error))
    return gl_cli_fail ("classes", error);
  if (g_str_equal (verb, "rename"))
    {
      if (!gl_db_rename_class (db, id, argv[4], &error))
        return gl_cli_fail ("classes", error);
      g_autofree char *text = g_strdup_printf ("class %s renamed %s", argv[3], argv[4]);
      return changed (id, argv[4], -1, text);
    }
  if (g_str_equal (verb, "merge"))
    {
      gint64 into = -1;
      guint64 n = 0;
      if (!gl_cli_find_class (db, argv[4], &into, &error))
        return gl_cli_fail ("classes", error);
      if (into == id)
        {
          g_printerr ("gleaner-cli classes: a class cannot be merged into itself (“%s”)\n", argv[3]);
          return GL_CLI_EXIT_USAGE;
        }
      if (!gl_db_merge_classes (db, id, into, NULL, &n, &error))
        return gl_cli_fail ("classes", error);
      g_autofree char *text = g_strdup_printf (
          "class %s merged into %s: %" G_GUINT64_FORMAT " images relabeled", argv[3], argv[4], n);
      return changed (into, argv[4], (gint64)n, text);
    }
  gboolean archive = g_str_equal (verb, "archive");
  if (!gl_db_set_class_archived (db, id, archive, &error))
    return gl_cli_fail ("classes", error);
  g_autofree char *text = g_strdup_printf ("class %s %s", argv[3],
                                           archive ? "archived (kept for history and metrics, no key)"
                                                   : "back from the archive");
  return changed (id, argv[3], -1, text);
}
