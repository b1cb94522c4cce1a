/* gl-team-models.c — see gl-team-models.h. */
#include "app/gl-team-models.h"

#include "db/gl-db-team.h"
#include "engine/gl-model-file.h"

char *
gl_team_model_path (GlDb *db, const GlDbModelVersion *v, GError **error)
{
  if (!gl_db_team_is_server (db))
    return g_strdup (v->path);
  g_autofree char *uuid = gl_db_get_setting (db, GL_DB_SETTING_PROJECT_UUID);
  GError *local = NULL;
  g_autofree char *sum = uuid ? gl_db_team_model_checksum (db, v->id, &local) : NULL;
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (sum == NULL) /* a version stored before its file was (or by a trainer of another kind) */
    return g_strdup (v->path);
  g_autofree char *name = g_strconcat (sum, ".gleaner-model", NULL);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "gleaner", uuid, "models", NULL);
  char *path = g_build_filename (dir, name, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_autoptr (GBytes) data = gl_db_team_get_model (db, v->id, error);
  gsize len = 0;
  const char *bytes = data ? g_bytes_get_data (data, &len) : NULL;
  if (data == NULL || g_mkdir_with_parents (dir, 0755) != 0 || !g_file_set_contents (path, bytes, len, error))
    {
      if (data != NULL && error != NULL && *error == NULL)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot make the folder", dir);
      g_free (path);
      return NULL;
    }
  return path;
}

GlNet *
gl_team_model_load (GlDb *db, const GlDbModelVersion *v, GError **error)
{
  g_autofree char *path = gl_team_model_path (db, v, error);
  return path ? gl_model_file_load (path, NULL, error) : NULL;
}

gboolean
gl_team_model_publish (GlDb *db, gint64 model_id, const char *path, GError **error)
{
  if (!gl_db_team_is_server (db))
    return TRUE;
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  g_autoptr (GBytes) data = g_bytes_new_take (g_steal_pointer (&contents), len);
  return gl_db_team_put_model (db, model_id, data, error);
}
