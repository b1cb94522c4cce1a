/* gl-rules.c — see gl-rules.h. */
#include "app/gl-rules.h"

#include <string.h>

#include "app/gl-path.h"
#include "db/gl-db.h"

G_DEFINE_QUARK (gl-rules-error-quark, gl_rules_error)

#define GLOB_MAX 1000
#define PAGE 2000

gboolean
gl_rules_glob_matches (const char *glob, const char *path)
{
  if (glob == NULL || path == NULL || glob[0] == '\0')
    return FALSE;
  if (strchr (glob, '/') != NULL)
    return g_pattern_match_simple (glob, path);
  /* Each component of the path: folders, then the file name. */
  const char *p = path;
  while (*p)
    {
      const char *slash = strchr (p, '/');
      gsize len = slash ? (gsize) (slash - p) : strlen (p);
      if (len > 0)
        {
          g_autofree char *part = g_strndup (p, len);
          if (g_pattern_match_simple (glob, part))
            return TRUE;
        }
      if (slash == NULL)
        break;
      p = slash + 1;
    }
  return FALSE;
}

struct _GlRules
{
  guint n;
  GPatternSpec **specs; /* (n); NULL for whole-path globs, matched by gl_rules_glob_matches */
  char **globs;         /* (n) */
  gint64 *classes;      /* (n) */
};

GlRules *
gl_rules_new (const char *const *globs, const gint64 *classes, guint n)
{
  GlRules *r = g_new0 (GlRules, 1);
  r->n = n;
  r->specs = g_new0 (GPatternSpec *, MAX (n, 1));
  r->globs = g_new0 (char *, n + 1);
  r->classes = g_memdup2 (classes, sizeof (gint64) * MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      r->globs[i] = g_strdup (globs[i]);
      if (globs[i][0] != '\0' && strchr (globs[i], '/') != NULL)
        r->specs[i] = g_pattern_spec_new (globs[i]);
    }
  return r;
}

void
gl_rules_free (GlRules *r)
{
  if (r == NULL)
    return;
  for (guint i = 0; i < r->n; i++)
    if (r->specs[i])
      g_pattern_spec_free (r->specs[i]);
  g_free (r->specs);
  g_strfreev (r->globs);
  g_free (r->classes);
  g_free (r);
}

guint
gl_rules_get_n (GlRules *r)
{
  return r->n;
}

gint64
gl_rules_match (GlRules *r, const char *path, guint *rule_index)
{
  for (guint i = 0; i < r->n; i++)
    {
      gboolean hit = r->specs[i] ? g_pattern_spec_match_string (r->specs[i], path)
                                 : gl_rules_glob_matches (r->globs[i], path);
      if (hit)
        {
          if (rule_index)
            *rule_index = i;
          return r->classes[i];
        }
    }
  return -1;
}

static gboolean
store_error (GError **error, GError *local)
{
  g_set_error_literal (error, GL_RULES_ERROR, GL_RULES_ERROR_STORE, local->message);
  g_error_free (local);
  return FALSE;
}

/* A connection of our own (a GlDb serves one thread; the project's may be busy elsewhere). */
static GlDb *
open_db (GlProject *project, GError **error)
{
  GError *local = NULL;
  GlDb *db = gl_db_open (gl_project_get_db_path (project), &local);
  if (db == NULL)
    store_error (error, local);
  return db;
}

gboolean
gl_rules_add (GlProject *project, const char *glob, const char *class_name, gint64 *rule_id, GError **error)
{
  if (glob == NULL || glob[0] == '\0' || strlen (glob) > GLOB_MAX || !g_utf8_validate (glob, -1, NULL))
    {
      g_set_error (error, GL_RULES_ERROR, GL_RULES_ERROR_INVALID,
                   "a rule's glob must be 1 to %d bytes of UTF-8", GLOB_MAX);
      return FALSE;
    }
  g_autoptr (GlDb) db = open_db (project, error);
  if (db == NULL)
    return FALSE;
  gint64 class_id;
  GError *local = NULL;
  if (!gl_db_find_class (db, class_name, &class_id, &local))
    {
      gboolean missing = g_error_matches (local, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
      if (!missing)
        return store_error (error, local);
      g_error_free (local);
      g_set_error (error, GL_RULES_ERROR, GL_RULES_ERROR_INVALID, "no class named “%s” in the project",
                   class_name);
      return FALSE;
    }
  if (!gl_db_add_rule (db, glob, class_id, rule_id, &local))
    return store_error (error, local);
  return TRUE;
}

gboolean
gl_rules_delete (GlProject *project, gint64 rule_id, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  if (db == NULL)
    return FALSE;
  GError *local = NULL;
  if (!gl_db_delete_rule (db, rule_id, &local))
    return store_error (error, local);
  return TRUE;
}

/* Globs are typed against the names a user sees: a stored path that is not
 * UTF-8 is matched by its readable name (gl-path.h). */
static gint64
match_shown (GlRules *r, const char *path, guint *rule_index)
{
  if (!gl_path_is_escaped (path))
    return gl_rules_match (r, path, rule_index);
  g_autofree char *shown = gl_path_display (path);
  return gl_rules_match (r, shown, rule_index);
}

gboolean
gl_rules_apply (GlProject *project, guint64 *n_suggested, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  if (db == NULL)
    return FALSE;
  GError *local = NULL;
  g_autoptr (GArray) rules = gl_db_list_rules (db, &local);
  if (rules == NULL)
    return store_error (error, local);
  g_autoptr (GPtrArray) globs = g_ptr_array_new ();
  g_autoptr (GArray) classes = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < rules->len; i++)
    {
      const GlDbRule *rule = &g_array_index (rules, GlDbRule, i);
      g_ptr_array_add (globs, rule->glob);
      g_array_append_val (classes, rule->class_id);
    }
  g_autoptr (GlRules) compiled = gl_rules_new ((const char *const *) globs->pdata, (gint64 *) classes->data,
                                               rules->len);

  /* Held-out test images are never suggested (never queued). */
  g_autoptr (GArray) held = gl_db_list_cache_rows (db, 1, &local);
  if (held == NULL)
    return store_error (error, local);
  g_autoptr (GHashTable) held_rows = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < held->len; i++)
    g_hash_table_add (held_rows, &g_array_index (held, gint64, i));

  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (GlDbSuggestion));
  GlDbFilter filter = { GL_DB_FILTER_UNLABELED, -1 };
  g_autoptr (GlDbCursor) cursor = NULL;
  if (compiled->n > 0)
    for (;;)
      {
        GArray *page = NULL;
        GlDbCursor *next = NULL;
        if (!gl_db_list_images (db, &filter, GL_DB_SORT_NAME, cursor, PAGE, &page, &next, &local))
          return store_error (error, local);
        for (guint i = 0; i < page->len; i++)
          {
            const GlDbListRow *row = &g_array_index (page, GlDbListRow, i);
            guint index;
            gint64 klass;
            if (row->unreadable || g_hash_table_contains (held_rows, &row->cache_row)
                || (klass = match_shown (compiled, row->path, &index)) < 0)
              continue;
            GlDbSuggestion s = { row->image_id, klass, (char *) g_ptr_array_index (globs, index) };
            g_array_append_val (found, s);
          }
        g_array_unref (page);
        gl_db_cursor_free (cursor);
        cursor = next;
        if (next == NULL)
          break;
      }
  if (!gl_db_replace_suggestions (db, (GlDbSuggestion *) found->data, found->len, &local))
    return store_error (error, local);
  if (n_suggested)
    *n_suggested = found->len;
  return TRUE;
}
