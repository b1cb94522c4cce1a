/* gl-team-paths.c — see gl-team-paths.h. */
#include "app/gl-team-paths.h"

#include <string.h>

#define GROUP "paths"

struct _GlTeamPaths
{
  char *file;     /* owned: the ini file */
  GMutex lock;    /* guards the lists */
  GPtrArray *stored, *local; /* of char *, owned; the same length */
};

GlTeamPaths *
gl_team_paths_load (const char *uuid, GError **error)
{
  g_autoptr (GlTeamPaths) paths = g_new0 (GlTeamPaths, 1);
  g_mutex_init (&paths->lock);
  g_autofree char *name = g_strconcat (uuid, ".ini", NULL);
  paths->file = g_build_filename (g_get_user_config_dir (), "gleaner", "teams", name, NULL);
  paths->stored = g_ptr_array_new_with_free_func (g_free);
  paths->local = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  GError *local = NULL;
  if (!g_key_file_load_from_file (kf, paths->file, G_KEY_FILE_NONE, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_error_free (local);
          return g_steal_pointer (&paths);
        }
      g_autofree char *disp = g_filename_display_name (paths->file);
      g_propagate_prefixed_error (error, local, "%s: ", disp);
      return NULL;
    }
  g_auto (GStrv) s = g_key_file_get_string_list (kf, GROUP, "stored", NULL, NULL);
  g_auto (GStrv) l = g_key_file_get_string_list (kf, GROUP, "local", NULL, NULL);
  for (guint i = 0; s && l && s[i] && l[i]; i++)
    {
      g_ptr_array_add (paths->stored, g_strdup (s[i]));
      g_ptr_array_add (paths->local, g_strdup (l[i]));
    }
  return g_steal_pointer (&paths);
}

void
gl_team_paths_free (GlTeamPaths *paths)
{
  if (paths == NULL)
    return;
  g_ptr_array_unref (paths->stored);
  g_ptr_array_unref (paths->local);
  g_mutex_clear (&paths->lock);
  g_free (paths->file);
  g_free (paths);
}

/* TRUE when @path is @prefix or under it (whole components). */
static gboolean
under (const char *path, const char *prefix)
{
  gsize n = strlen (prefix);
  return strncmp (path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *
gl_team_paths_resolve (GlTeamPaths *paths, const char *stored)
{
  if (paths == NULL || stored == NULL)
    return g_strdup (stored);
  g_mutex_lock (&paths->lock);
  int best = -1;
  for (guint i = 0; i < paths->stored->len; i++)
    if (under (stored, paths->stored->pdata[i])
        && (best < 0 || strlen (paths->stored->pdata[i]) > strlen (paths->stored->pdata[best])))
      best = (int) i;
  char *out = best < 0 ? g_strdup (stored)
                       : g_strconcat (paths->local->pdata[best], stored + strlen (paths->stored->pdata[best]), NULL);
  g_mutex_unlock (&paths->lock);
  return out;
}

static char *
clean_prefix (const char *p)
{
  char *c = g_strdup (p);
  gsize n = strlen (c);
  while (n > 1 && c[n - 1] == '/')
    c[--n] = '\0';
  return c;
}

static gboolean
save (GlTeamPaths *paths, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_ptr_array_add (paths->stored, NULL);
  g_ptr_array_add (paths->local, NULL);
  g_key_file_set_string_list (kf, GROUP, "stored", (const char *const *) paths->stored->pdata, paths->stored->len - 1);
  g_key_file_set_string_list (kf, GROUP, "local", (const char *const *) paths->local->pdata, paths->local->len - 1);
  g_ptr_array_set_size (paths->stored, paths->stored->len - 1);
  g_ptr_array_set_size (paths->local, paths->local->len - 1);
  g_autofree char *dir = g_path_get_dirname (paths->file);
  g_mkdir_with_parents (dir, 0700);
  return g_key_file_save_to_file (kf, paths->file, error);
}

gboolean
gl_team_paths_set (GlTeamPaths *paths, const char *stored_prefix, const char *local_prefix, GError **error)
{
  if (stored_prefix == NULL || !g_path_is_absolute (stored_prefix)
      || (local_prefix != NULL && !g_path_is_absolute (local_prefix)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "a path prefix must be absolute (“%s” → “%s”)", stored_prefix ? stored_prefix : "",
                   local_prefix ? local_prefix : "(removed)");
      return FALSE;
    }
  g_autofree char *s = clean_prefix (stored_prefix);
  g_mutex_lock (&paths->lock);
  for (guint i = 0; i < paths->stored->len; i++)
    if (g_str_equal (paths->stored->pdata[i], s))
      {
        g_ptr_array_remove_index (paths->stored, i);
        g_ptr_array_remove_index (paths->local, i);
        break;
      }
  if (local_prefix != NULL)
    {
      g_ptr_array_add (paths->stored, g_strdup (s));
      g_ptr_array_add (paths->local, clean_prefix (local_prefix));
    }
  gboolean ok = save (paths, error);
  g_mutex_unlock (&paths->lock);
  return ok;
}

void
gl_team_paths_list (GlTeamPaths *paths, char ***stored, char ***local)
{
  g_mutex_lock (&paths->lock);
  *stored = g_new0 (char *, paths->stored->len + 1);
  *local = g_new0 (char *, paths->local->len + 1);
  for (guint i = 0; i < paths->stored->len; i++)
    {
      (*stored)[i] = g_strdup (paths->stored->pdata[i]);
      (*local)[i] = g_strdup (paths->local->pdata[i]);
    }
  g_mutex_unlock (&paths->lock);
}
