/* gl-session.c — see gl-session.h. */
#include "app/gl-session.h"

#include <string.h>

#include "db/gl-db.h"

static GlDb *
open_db (GlProject *project, GError **error)
{
  return gl_db_open (gl_project_get_db_path (project), error);
}

void
gl_unreadable_file_free (GlUnreadableFile *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_free (file->reason);
  g_free (file);
}

gboolean
gl_session_last_image_id (GlProject *project, gint64 *image_id, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  GlDbFilter filter = { GL_DB_FILTER_ALL, -1 };
  g_autoptr (GArray) rows = NULL;
  g_autoptr (GlDbCursor) next = NULL;

  if (db == NULL || !gl_db_list_images (db, &filter, GL_DB_SORT_NEWEST, NULL, 1, &rows, &next, error))
    return FALSE;
  *image_id = rows->len > 0 ? g_array_index (rows, GlDbListRow, 0).image_id : 0;
  return TRUE;
}

GPtrArray *
gl_session_list_unreadable (GlProject *project, gint64 after_id, guint limit, guint64 *total, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  GlDbFilter filter = { GL_DB_FILTER_UNREADABLE, -1 };
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_unreadable_file_free);
  g_autoptr (GlDbCursor) cursor = NULL;
  guint64 count = 0;
  gboolean more = TRUE;

  if (db == NULL)
    return NULL;
  /* Newest first: stop at the first image older than the import. */
  while (more)
    {
      g_autoptr (GArray) rows = NULL;
      g_autoptr (GlDbCursor) next = NULL;

      if (!gl_db_list_images (db, &filter, GL_DB_SORT_NEWEST, cursor, 500, &rows, &next, error))
        return NULL;
      for (guint i = 0; i < rows->len; i++)
        {
          GlDbListRow *row = &g_array_index (rows, GlDbListRow, i);
          if (row->image_id <= after_id)
            more = FALSE;
          else
            {
              count++;
              if (out->len < limit)
                {
                  GlDbImage image = { 0 };
                  GlUnreadableFile *file = g_new0 (GlUnreadableFile, 1);
                  file->image_id = row->image_id;
                  file->path = g_strdup (row->path);
                  if (gl_db_get_image (db, row->image_id, &image, NULL))
                    file->reason = g_strdup (image.reason);
                  gl_db_image_clear (&image);
                  g_ptr_array_add (out, file);
                }
            }
        }
      g_clear_pointer (&cursor, gl_db_cursor_free);
      cursor = g_steal_pointer (&next);
      if (cursor == NULL)
        more = FALSE;
    }
  if (total != NULL)
    *total = count;
  return g_steal_pointer (&out);
}

gboolean
gl_session_get_image (GlProject *project, gint64 image_id, char **path, gint64 *cache_row, gint *label,
                      GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  g_autoptr (GArray) classes = NULL;
  GlDbImage image = { 0 };
  GlDbLabel current = { 0 };

  if (db == NULL || !gl_db_get_image (db, image_id, &image, error))
    return FALSE;
  if (!gl_db_get_current_label (db, image_id, FALSE, &current, error)
      || (classes = gl_db_list_classes (db, TRUE, error)) == NULL)
    {
      gl_db_image_clear (&image);
      gl_db_label_clear (&current);
      return FALSE;
    }
  *label = -1;
  for (guint i = 0; i < classes->len; i++)
    if (current.class_id >= 0 && g_array_index (classes, GlDbClass, i).id == current.class_id)
      *label = (gint) i;
  *path = g_steal_pointer (&image.path);
  *cache_row = image.cache_row;
  gl_db_image_clear (&image);
  gl_db_label_clear (&current);
  return TRUE;
}

void
gl_session_class_free (GlSessionClass *klass)
{
  if (klass == NULL)
    return;
  g_free (klass->name);
  g_free (klass);
}

GPtrArray *
gl_session_list_classes (GlProject *project, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  g_autoptr (GArray) classes = NULL;
  g_autoptr (GArray) counts = NULL;
  GPtrArray *out;

  if (db == NULL)
    return NULL;
  classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return NULL;
  counts = gl_db_count_per_class (db, error);
  if (counts == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_session_class_free);
  for (guint i = 0; i < classes->len; i++)
    {
      GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      GlSessionClass *k = g_new0 (GlSessionClass, 1);

      k->id = c->id;
      k->name = g_steal_pointer (&c->name);
      memcpy (k->colour, c->colour, sizeof k->colour);
      k->shortcut = c->shortcut;
      k->archived = c->archived;
      for (guint j = 0; j < counts->len; j++)
        if (g_array_index (counts, GlDbClassCount, j).class_id == c->id)
          k->labeled = g_array_index (counts, GlDbClassCount, j).labeled;
      g_ptr_array_add (out, k);
    }
  return out;
}

gboolean
gl_session_add_class (GlProject *project, const char *name, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  gint64 id;
  return db != NULL && gl_db_add_class (db, name, NULL, &id, error);
}

gboolean
gl_session_rename_class (GlProject *project, gint64 class_id, const char *name, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  return db != NULL && gl_db_rename_class (db, class_id, name, error);
}

gboolean
gl_session_recolour_class (GlProject *project, gint64 class_id, const char *colour, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  return db != NULL && gl_db_recolour_class (db, class_id, colour, error);
}

gboolean
gl_session_set_class_shortcut (GlProject *project, gint64 class_id, gunichar shortcut, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  return db != NULL && gl_db_set_class_shortcut (db, class_id, shortcut, error);
}

gboolean
gl_session_move_class (GlProject *project, gint64 class_id, int delta, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  g_autoptr (GArray) classes = NULL;
  g_autofree gint64 *ids = NULL;
  guint n, at = G_MAXUINT;
  gboolean ok;

  if (db == NULL)
    return FALSE;
  classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  n = classes->len;
  ids = g_new (gint64, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      ids[i] = c->id;
      if (c->id == class_id)
        at = i;
    }
  if (at == G_MAXUINT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no class with id %" G_GINT64_FORMAT, class_id);
      return FALSE;
    }
  if ((delta < 0 && at == 0) || (delta > 0 && at + 1 >= n))
    return TRUE;
  {
    guint other = delta < 0 ? at - 1 : at + 1;
    gint64 t = ids[at];
    ids[at] = ids[other];
    ids[other] = t;
  }
  ok = gl_db_reorder_classes (db, ids, n, error);
  return ok;
}

gboolean
gl_session_merge_classes (GlProject *project, gint64 from, gint64 into, guint64 *n_relabeled, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  guint64 n = 0;

  if (db == NULL || !gl_db_merge_classes (db, from, into, NULL, &n, error))
    return FALSE;
  if (n_relabeled != NULL)
    *n_relabeled = n;
  return TRUE;
}

gboolean
gl_session_delete_class (GlProject *project, gint64 class_id, guint64 *n_unlabeled, GError **error)
{
  g_autoptr (GlDb) db = open_db (project, error);
  guint64 n = 0;

  if (db == NULL || !gl_db_delete_class (db, class_id, -1, NULL, &n, error))
    return FALSE;
  if (n_unlabeled != NULL)
    *n_unlabeled = n;
  return TRUE;
}
