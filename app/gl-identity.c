/* gl-identity.c — the annotator's name, kept in the user config folder.
 * See gl-identity.h. */
#include "app/gl-identity.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "db/gl-db.h"

#define GROUP "annotator"
#define KEY "name"

char *
gl_identity_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "gleaner", "identity.ini", NULL);
}

gboolean
gl_identity_check_name (const char *name, GError **error)
{
  const char *why = NULL;
  if (name == NULL || *name == '\0')
    why = "it is empty";
  else if (!g_utf8_validate (name, -1, NULL))
    why = "it is not valid UTF-8";
  else if (g_utf8_strlen (name, -1) > GL_IDENTITY_NAME_MAX)
    why = "it is longer than " G_STRINGIFY (GL_IDENTITY_NAME_MAX) " characters";
  else if (g_unichar_isspace (g_utf8_get_char (name))
           || g_unichar_isspace (g_utf8_get_char (g_utf8_find_prev_char (name, name + strlen (name)))))
    why = "it starts or ends with white space";
  else if (strcmp (name, "import") == 0)
    why = "“import” is the annotator of the labels that come with an import";
  for (const char *p = name; why == NULL && *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      why = "it holds a control character";
  if (why == NULL)
    return TRUE;
  g_autofree char *shown
      = name && g_utf8_validate (name, -1, NULL) ? g_strescape (name, NULL) : g_strdup ("(bytes)");
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” cannot be an annotator name: %s", shown,
               why);
  return FALSE;
}

char *
gl_identity_load (GError **error)
{
  g_autofree char *path = gl_identity_path ();
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local = NULL;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: cannot read the annotator name: %s", path,
                   local->message);
      return NULL;
    }
  g_autofree char *name = g_key_file_get_string (kf, GROUP, KEY, NULL);
  if (name == NULL)
    return NULL;
  if (!gl_identity_check_name (name, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", path, local->message);
      return NULL;
    }
  return g_steal_pointer (&name);
}

gboolean
gl_identity_save (const char *name, GError **error)
{
  if (name != NULL && !gl_identity_check_name (name, error))
    return FALSE;
  g_autofree char *path = gl_identity_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: cannot create the folder: %s", dir,
                   g_strerror (e));
      return FALSE;
    }
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  /* Other groups someone added by hand stay. */
  g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  if (name != NULL)
    g_key_file_set_string (kf, GROUP, KEY, name);
  else
    g_key_file_remove_key (kf, GROUP, KEY, NULL);
  g_autoptr (GError) local = NULL;
  if (!g_key_file_save_to_file (kf, path, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot save the annotator name: %s", path,
                   local->message);
      return FALSE;
    }
  return TRUE;
}

char *
gl_identity_current (gboolean *from_file)
{
  g_autoptr (GError) error = NULL;
  char *name = gl_identity_load (&error);
  if (error)
    g_warning ("%s (labels are given as “%s”)", error->message, g_get_user_name ());
  if (from_file)
    *from_file = name != NULL;
  return name ? name : g_strdup (g_get_user_name ());
}

void
gl_identity_apply (void)
{
  g_autofree char *name = gl_identity_current (NULL);
  gl_db_set_default_annotator (name);
}
