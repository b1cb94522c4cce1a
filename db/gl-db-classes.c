/* gl-db-classes.c — classes: list, add, rename, recolour, shortcut, archive,
 * reorder, merge, delete, counts. See gl-db.h.
 *
 * A deleted (or merged) class keeps its row with deleted = 1 so that history
 * rows still name it; it is never listed and its name and shortcut are free
 * again. Positions are 0..n-1 over the classes that are not deleted. */
#include "db/gl-db-private.h"

#include <string.h>

static const char *const palette[] = { "#3584e4", "#e66100", "#33d17a", "#e01b24", "#9141ac",
                                       "#986a44", "#f66151", "#77767b", "#f5c211", "#2190a4" };

void
gl_db_class_clear (GlDbClass *klass)
{
  g_clear_pointer (&klass->name, g_free);
}

static void
class_clear (gpointer p)
{
  gl_db_class_clear (p);
}

static gboolean
valid_name (GlDb *db, const char *name, GError **error)
{
  if (name == NULL || name[0] == '\0')
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a class name cannot be empty");
  if (!g_utf8_validate (name, -1, NULL))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "the class name is not valid UTF-8");
  glong n = g_utf8_strlen (name, -1);
  if (n > GL_DB_CLASS_NAME_MAX)
    {
      g_autofree char *head = g_utf8_substring (name, 0, 40);
      return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID,
                              "class name “%s…” has %ld characters (at most %d)", head, n, GL_DB_CLASS_NAME_MAX);
    }
  return TRUE;
}

static gboolean
valid_colour (GlDb *db, const char *colour, GError **error)
{
  gboolean ok = colour != NULL && strlen (colour) == 7 && colour[0] == '#';
  for (int i = 1; ok && i < 7; i++)
    ok = g_ascii_isxdigit (colour[i]);
  if (!ok)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "colour “%s” is not #rrggbb", colour ? colour : "");
  return TRUE;
}

/* FALSE + EXISTS if a live class other than @except is called @name. */
static gboolean
name_free (GlDb *db, const char *name, gint64 except, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id FROM classes WHERE name = ?1 AND deleted = 0", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, name);
  gint64 other = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gl_db_done (st);
  if (other >= 0 && other != except)
    return gl_db_fail_with (db, error, GL_DB_ERROR_EXISTS, "a class named “%s” exists already", name);
  return TRUE;
}

gboolean
gl_db_class_is_live (GlDb *db, gint64 class_id, GError **error)
{
  if (gl_db_query_int (db, "SELECT deleted FROM classes WHERE id = ?1", TRUE, class_id, 1) != 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no class with id %" G_GINT64_FORMAT, class_id);
  return TRUE;
}

gint64
gl_db_class_resolve (GlDb *db, gint64 class_id)
{
  for (int hops = 0; class_id > 0 && hops < 64; hops++)
    {
      GlSqlStmt *st = gl_db_stmt (db, "SELECT deleted, merged_into FROM classes WHERE id = ?1", NULL);
      if (st == NULL)
        return -1;
      gl_sql_bind_int64 (st, 1, class_id);
      gboolean found = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW;
      gboolean deleted = found && gl_sql_column_int64 (st, 0) != 0;
      gint64 into = found ? gl_db_column_id (st, 1) : -1;
      gl_db_done (st);
      if (!found)
        return -1;
      if (!deleted)
        return class_id;
      class_id = into;
    }
  return -1;
}

static void
read_class (GlSqlStmt *st, gpointer element)
{
  GlDbClass *c = element;
  memset (c, 0, sizeof *c);
  c->id = gl_sql_column_int64 (st, 0);
  c->name = gl_db_column_dup (st, 1);
  g_strlcpy (c->colour, gl_sql_column_text (st, 2), sizeof c->colour);
  c->shortcut = gl_sql_column_is_null (st, 3) ? 0 : (gunichar) gl_sql_column_int64 (st, 3);
  c->position = (int) gl_sql_column_int64 (st, 4);
  c->archived = gl_sql_column_int64 (st, 5) != 0;
}

#define CLASS_COLUMNS "id, name, colour, shortcut, position, archived"

GArray *
gl_db_list_classes (GlDb *db, gboolean include_archived, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT " CLASS_COLUMNS " FROM classes WHERE deleted = 0"
                                  " AND (?1 <> 0 OR archived = 0) ORDER BY position, id", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, include_archived ? 1 : 0);
  return gl_db_collect (db, st, sizeof (GlDbClass), class_clear, read_class, "cannot list classes", error);
}

gboolean
gl_db_get_class (GlDb *db, gint64 class_id, GlDbClass *out, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT " CLASS_COLUMNS " FROM classes WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, class_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    read_class (st, out);
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    return TRUE;
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read a class");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no class with id %" G_GINT64_FORMAT, class_id);
}

gboolean
gl_db_find_class (GlDb *db, const char *name, gint64 *class_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id FROM classes WHERE name = ?1 AND deleted = 0", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, name ? name : "");
  int rc = gl_sql_step (st, NULL);
  gint64 id = rc == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    {
      if (class_id)
        *class_id = id;
      return TRUE;
    }
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot find a class");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no class named “%s”", name ? name : "");
}

/* Inside a transaction: adds the class, returns its id or -1. */
static gint64
insert_class (GlDb *db, const char *name, const char *colour, GError **error)
{
  if (!valid_name (db, name, error) || (colour && !valid_colour (db, colour, error))
      || !name_free (db, name, -1, error))
    return -1;
  gint64 position = gl_db_query_int (db, "SELECT COUNT (*) FROM classes WHERE deleted = 0", FALSE, 0, 0);
  /* The first key of 1…9, 0 that no live class uses. */
  gunichar key = 0;
  const char keys[] = "1234567890";
  for (int i = 0; keys[i] && key == 0; i++)
    if (gl_db_query_int (db, "SELECT COUNT (*) FROM classes WHERE deleted = 0 AND shortcut = ?1", TRUE, keys[i],
                         1) == 0)
      key = (gunichar) keys[i];
  GlSqlStmt *st = gl_db_stmt_insert (db, "INSERT INTO classes (name, position, colour, shortcut)"
                                         " VALUES (?1, ?2, ?3, ?4)", error);
  if (st == NULL)
    return -1;
  gl_sql_bind_text (st, 1, name);
  gl_sql_bind_int64 (st, 2, position);
  gl_sql_bind_text (st, 3, colour ? colour : palette[position % G_N_ELEMENTS (palette)]);
  if (key)
    gl_sql_bind_int64 (st, 4, key);
  else
    gl_sql_bind_null (st, 4);
  return gl_db_step_id (db, st, error, "cannot add a class");
}

gint64
gl_db_class_for_name (GlDb *db, const char *name, gboolean *created, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id FROM classes WHERE name = ?1 AND deleted = 0", error);
  if (st == NULL)
    return -1;
  gl_sql_bind_text (st, 1, name);
  gint64 id = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW ? gl_sql_column_int64 (st, 0) : -1;
  gl_db_done (st);
  if (id > 0)
    return id;
  id = insert_class (db, name, NULL, error);
  if (id > 0 && created)
    *created = TRUE;
  return id;
}

gboolean
gl_db_add_class (GlDb *db, const char *name, const char *colour, gint64 *class_id, GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  gint64 id = insert_class (db, name, colour, error);
  if (id < 0 || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  if (class_id)
    *class_id = id;
  return TRUE;
}

/* Runs @sql (?1 = class id, ?2 = text or int value) on a live class in one transaction. */
static gboolean
update_class (GlDb *db, gint64 class_id, const char *sql, const char *text, gint64 value, gboolean null_value,
              GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = gl_db_class_is_live (db, class_id, error);
  GlSqlStmt *st = ok ? gl_db_stmt (db, sql, error) : NULL;
  if (st != NULL)
    {
      gl_sql_bind_int64 (st, 1, class_id);
      if (null_value)
        gl_sql_bind_null (st, 2);
      else if (text)
        gl_sql_bind_text (st, 2, text);
      else
        gl_sql_bind_int64 (st, 2, value);
      ok = gl_db_step_done (db, st, error, "cannot change a class");
    }
  else
    ok = FALSE;
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_db_rename_class (GlDb *db, gint64 class_id, const char *name, GError **error)
{
  if (!valid_name (db, name, error) || !name_free (db, name, class_id, error))
    return FALSE;
  return update_class (db, class_id, "UPDATE classes SET name = ?2 WHERE id = ?1", name, 0, FALSE, error);
}

gboolean
gl_db_recolour_class (GlDb *db, gint64 class_id, const char *colour, GError **error)
{
  if (!valid_colour (db, colour, error))
    return FALSE;
  g_autofree char *lower = g_ascii_strdown (colour, -1);
  return update_class (db, class_id, "UPDATE classes SET colour = ?2 WHERE id = ?1", lower, 0, FALSE, error);
}

gboolean
gl_db_set_class_shortcut (GlDb *db, gint64 class_id, gunichar shortcut, GError **error)
{
  if (shortcut != 0 && (!g_unichar_isprint (shortcut) || g_unichar_isspace (shortcut)))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "U+%04X cannot be a shortcut key", shortcut);
  if (shortcut != 0)
    {
      gint64 other = gl_db_query_int (db, "SELECT id FROM classes WHERE deleted = 0 AND shortcut = ?1", TRUE,
                                      shortcut, -1);
      if (other >= 0 && other != class_id)
        {
          char buf[8] = { 0 };
          g_unichar_to_utf8 (shortcut, buf);
          return gl_db_fail_with (db, error, GL_DB_ERROR_EXISTS, "the key “%s” is the shortcut of another class",
                                  buf);
        }
    }
  return update_class (db, class_id, "UPDATE classes SET shortcut = ?2 WHERE id = ?1", NULL, shortcut,
                       shortcut == 0, error);
}

gboolean
gl_db_set_class_archived (GlDb *db, gint64 class_id, gboolean archived, GError **error)
{
  return update_class (db, class_id, "UPDATE classes SET archived = ?2 WHERE id = ?1", NULL, archived ? 1 : 0,
                       FALSE, error);
}

static gboolean
set_position (GlDb *db, gint64 class_id, gint64 position, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE classes SET position = ?2 WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, class_id);
  gl_sql_bind_int64 (st, 2, position);
  return gl_db_step_done (db, st, error, "cannot reorder classes");
}

/* Positions 0..n-1 again after a class left (inside a transaction). */
static gboolean
renumber (GlDb *db, GError **error)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id FROM classes WHERE deleted = 0 ORDER BY position, id", error);
  if (st == NULL)
    return FALSE;
  while (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
    {
      gint64 id = gl_sql_column_int64 (st, 0);
      g_array_append_val (ids, id);
    }
  gl_db_done (st);
  for (guint i = 0; i < ids->len; i++)
    if (!set_position (db, g_array_index (ids, gint64, i), i, error))
      return FALSE;
  return TRUE;
}

gboolean
gl_db_reorder_classes (GlDb *db, const gint64 *class_ids, guint n, GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  gint64 live = gl_db_query_int (db, "SELECT COUNT (*) FROM classes WHERE deleted = 0", FALSE, 0, -1);
  gboolean ok = TRUE;
  if ((gint64) n != live)
    ok = gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "reorder: %u classes given, the project has %" G_GINT64_FORMAT,
                          n, live);
  for (guint i = 0; ok && i < n; i++)
    {
      for (guint j = 0; ok && j < i; j++)
        if (class_ids[j] == class_ids[i])
          ok = gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "reorder: class %" G_GINT64_FORMAT " given twice",
                                class_ids[i]);
      ok = ok && gl_db_class_is_live (db, class_ids[i], error) && set_position (db, class_ids[i], i, error);
    }
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

/* Inside a transaction: every image whose current (reference when
 * @reference) class is @from gets a row with class @into (-1 none). */
static gboolean
relabel (GlDb *db, gint64 from, gint64 into, gboolean reference, const char *annotator, gint64 now, guint64 *n,
         GError **error)
{
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (gint64) * 2);
  GlSqlStmt *st = gl_db_stmt (db, reference
                                    ? "SELECT i.id, 0 FROM images i WHERE i.ref_class = ?1 ORDER BY i.id"
                                    : "SELECT i.id, l.origin FROM images i JOIN labels l ON l.id = i.label_id"
                                      " WHERE i.cls = ?1 ORDER BY i.id",
                              error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, from);
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      gint64 r[2] = { gl_sql_column_int64 (st, 0),
                      reference ? GL_DB_ORIGIN_REFERENCE : gl_db_origin_from_sql (gl_sql_column_text (st, 1)) };
      g_array_append_vals (rows, r, 1);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read labels");
  for (guint i = 0; i < rows->len; i++)
    {
      const gint64 *r = &((const gint64 *) (void *) rows->data)[2 * i];
      if (!gl_db_append_label (db, r[0], into, (GlDbOrigin) r[1], annotator, GL_DB_LABEL_CLASS, -1, -1, now, NULL,
                               error))
        return FALSE;
    }
  *n += rows->len;
  return TRUE;
}

static gboolean
remove_class (GlDb *db, gint64 class_id, gint64 into, const char *annotator, guint64 *n_relabeled, GError **error)
{
  if (!gl_db_class_is_live (db, class_id, error))
    return FALSE;
  if (into >= 0 && (into == class_id || !gl_db_class_is_live (db, into, error)))
    {
      if (into == class_id)
        gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a class cannot be merged into itself");
      return FALSE;
    }
  gint64 now = g_get_real_time ();
  guint64 n = 0;
  if (!relabel (db, class_id, into, FALSE, annotator, now, &n, error)
      || !relabel (db, class_id, into, TRUE, annotator, now, &n, error))
    return FALSE;
  static const char *const moves[] = { "UPDATE rules SET class_id = ?2 WHERE class_id = ?1",
                                       "UPDATE suggestions SET class_id = ?2 WHERE class_id = ?1" };
  static const char *const drops[] = { "DELETE FROM rules WHERE class_id = ?1 AND ?2 IS NULL",
                                       "DELETE FROM suggestions WHERE class_id = ?1 AND ?2 IS NULL" };
  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    {
      GlSqlStmt *st = gl_db_stmt (db, into >= 0 ? moves[i] : drops[i], error);
      if (st == NULL)
        return FALSE;
      gl_sql_bind_int64 (st, 1, class_id);
      gl_db_bind_id (st, 2, into);
      if (!gl_db_step_done (db, st, error, "cannot move rules"))
        return FALSE;
    }
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE classes SET deleted = 1, shortcut = NULL, merged_into = ?2"
                                  " WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, class_id);
  gl_db_bind_id (st, 2, into);
  if (!gl_db_step_done (db, st, error, "cannot delete a class") || !renumber (db, error))
    return FALSE;
  if (n_relabeled)
    *n_relabeled = n;
  return TRUE;
}

gboolean
gl_db_merge_classes (GlDb *db, gint64 from, gint64 into, const char *annotator, guint64 *n_relabeled,
                     GError **error)
{
  if (into < 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "merge: no target class");
  if (!gl_db_begin (db, error))
    return FALSE;
  if (!remove_class (db, from, into, gl_db_annotator (db, annotator), n_relabeled, error)
      || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_db_delete_class (GlDb *db, gint64 class_id, gint64 reassign_to, const char *annotator, guint64 *n_relabeled,
                    GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  if (!remove_class (db, class_id, reassign_to < 0 ? -1 : reassign_to, gl_db_annotator (db, annotator),
                     n_relabeled, error)
      || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

GArray *
gl_db_count_per_class (GlDb *db, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return NULL;
  GArray *out = g_array_sized_new (FALSE, TRUE, sizeof (GlDbClassCount), classes->len);
  g_autoptr (GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < classes->len; i++)
    {
      GlDbClassCount c = { g_array_index (classes, GlDbClass, i).id, 0, 0 };
      g_array_append_val (out, c);
    }
  for (guint i = 0; i < out->len; i++)
    g_hash_table_insert (index, &g_array_index (out, GlDbClassCount, i).class_id,
                         &g_array_index (out, GlDbClassCount, i));
  static const char *const sql[] = { "SELECT cls, COUNT (*) FROM images WHERE cls > 0 GROUP BY cls",
                                     "SELECT ref_class, COUNT (*) FROM images WHERE ref_class IS NOT NULL"
                                     " GROUP BY ref_class" };
  for (int k = 0; k < 2; k++)
    {
      GlSqlStmt *st = gl_db_stmt (db, sql[k], error);
      if (st == NULL)
        {
          g_array_unref (out);
          return NULL;
        }
      int rc;
      while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
        {
          gint64 id = gl_sql_column_int64 (st, 0);
          GlDbClassCount *c = g_hash_table_lookup (index, &id);
          if (c != NULL)
            {
              if (k == 0)
                c->labeled = (guint64) gl_sql_column_int64 (st, 1);
              else
                c->reference = (guint64) gl_sql_column_int64 (st, 1);
            }
        }
      gl_db_done (st);
      if (rc != GL_SQL_STEP_DONE)
        {
          g_array_unref (out);
          gl_db_fail (db, error, "cannot count labels");
          return NULL;
        }
    }
  return out;
}
