/* gl-project.c — see gl-project.h.
 *
 * The records live in the store (db/gl-db.h); this file holds no SQL. A new
 * project's database is written under a temporary name and linked into place
 * only when complete, so a failed create leaves no half project behind. */
#include "app/gl-project.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "app/gl-team-paths.h"
#include "app/gl-team-pixels.h"
#include "db/gl-db-team.h"
#include "db/gl-sql.h"

G_DEFINE_QUARK (gl-project-error-quark, gl_project_error)

#define DB_NAME "project.gleaner-db"

struct _GlProject
{
  /* All owned and fixed after open. For a team project (a connection string) db_path is the whole string, its
     password included (to open more connections; never shown: name is the string without secrets), and dir is
     this desktop's folder for the project, $XDG_CACHE_HOME/gleaner/<project uuid>. */
  char *dir, *db_path, *models_dir, *cache_dir, *thumbs_dir, *pixels_path;
  char *name;     /* what to show: the folder, or the connection string without secrets */
  gboolean team;  /* the store is a server's (gl-team-pixels.h keeps the pixel cache in step) */
  GlTeamPaths *paths; /* a team project: this desktop's path prefixes (thread-safe); NULL otherwise */
  guint h, w, c;
  GlDb *db;        /* the main-thread connection */
  GlDb *import_db; /* the import sink's connection (the thread running the import, under import_lock),
                      opened on first use */
  GMutex import_lock; /* held by the thread running an import, from its begin_batch to its end_batch: a
                         second import (the import dialog's and a watched folder's) waits for the first */
  GlPixelCache *cache;
  GlThumbPack *thumbs;
  char **class_names; /* kept in step with the store's classes (archived included, in order) */
  gint64 last_batch;  /* id of the batch the last import started */
};

static void
set_paths (GlProject *p, const char *dir)
{
  p->dir = g_canonicalize_filename (dir, NULL);
  if (p->db_path == NULL)
    p->db_path = g_build_filename (p->dir, DB_NAME, NULL);
  if (p->name == NULL)
    p->name = g_strdup (p->dir);
  p->models_dir = g_build_filename (p->dir, "models", NULL);
  p->cache_dir = g_build_filename (p->dir, "cache", NULL);
  p->thumbs_dir = g_build_filename (p->cache_dir, "thumbs.pack", NULL);
  p->pixels_path = g_build_filename (p->cache_dir, "pixels", NULL);
}

void
gl_project_close (GlProject *p)
{
  if (p == NULL)
    return;
  gl_db_close (p->import_db);
  g_mutex_clear (&p->import_lock);
  gl_db_close (p->db);
  gl_pixel_cache_close (p->cache);
  gl_thumb_pack_close (p->thumbs);
  g_strfreev (p->class_names);
  gl_team_paths_free (p->paths);
  g_free (p->dir);
  g_free (p->name);
  if (p->db_path != NULL) /* a team project's may hold a password */
    memset (p->db_path, 0, strlen (p->db_path));
  g_free (p->db_path);
  g_free (p->models_dir);
  g_free (p->cache_dir);
  g_free (p->thumbs_dir);
  g_free (p->pixels_path);
  g_free (p);
}

static gboolean
valid_class_name (const char *name, GError **error)
{
  if (!g_utf8_validate (name, -1, NULL) || name[0] == '\0' || g_utf8_strlen (name, -1) > GL_DB_CLASS_NAME_MAX)
    {
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID,
                   "a class name must be 1 to 1,000 characters of UTF-8");
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_classes (GlProject *p, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (p->db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  char **names = g_new0 (char *, classes->len + 1);
  for (guint i = 0; i < classes->len; i++)
    names[i] = g_strdup (g_array_index (classes, GlDbClass, i).name);
  g_strfreev (p->class_names);
  p->class_names = names;
  return TRUE;
}

char *
gl_project_get_setting (GlProject *p, const char *key)
{
  return gl_db_get_setting (p->db, key);
}

gboolean
gl_project_set_setting (GlProject *p, const char *key, const char *value, GError **error)
{
  return gl_db_set_setting (p->db, key, value, error);
}

gboolean
gl_project_parse_shape (const char *text, guint *h, guint *w, guint *c, GError **error)
{
  guint64 v[3];
  g_auto (GStrv) parts = g_strsplit (text ? text : "", "x", -1);
  if (g_strv_length (parts) != 3)
    goto bad;
  for (int i = 0; i < 3; i++)
    if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 4096, &v[i], NULL))
      goto bad;
  if (v[2] != 1 && v[2] != 3)
    goto bad;
  *h = (guint) v[0];
  *w = (guint) v[1];
  *c = (guint) v[2];
  return TRUE;
bad:
  g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID,
               "input shape “%s” is not HxWxC (e.g. 28x28x1 or 64x64x3; C is 1 or 3)", text ? text : "");
  return FALSE;
}

static gboolean
make_dirs (GlProject *p, GError **error)
{
  const char *dirs[] = { p->dir, p->models_dir, p->cache_dir };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (g_mkdir_with_parents (dirs[i], 0755) != 0)
      {
        int e = errno;
        g_autofree char *disp = g_filename_display_name (dirs[i]);
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", disp, g_strerror (e));
        return FALSE;
      }
  return TRUE;
}

static void
remove_db_files (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *f = g_strconcat (path, suffixes[i], NULL);
      g_unlink (f);
    }
}

/* Writes settings and classes into a new database at @path. */
static gboolean
fill_new_db (const char *path, guint h, guint w, guint c, const char *const *class_names, GError **error)
{
  g_autoptr (GlDb) db = gl_db_create (path, error);
  if (db == NULL)
    return FALSE;
  if (!gl_db_set_setting_int (db, GL_DB_SETTING_INPUT_H, h, error)
      || !gl_db_set_setting_int (db, GL_DB_SETTING_INPUT_W, w, error)
      || !gl_db_set_setting_int (db, GL_DB_SETTING_INPUT_C, c, error))
    return FALSE;
  for (guint i = 0; class_names && class_names[i]; i++)
    if (!gl_db_add_class (db, class_names[i], NULL, NULL, error))
      return FALSE;
  return TRUE;
}

static gboolean
open_files (GlProject *p, GError **error)
{
  p->cache = gl_pixel_cache_open (p->pixels_path, p->h, p->w, p->c, error);
  return p->cache != NULL && (p->thumbs = gl_thumb_pack_open (p->thumbs_dir, error)) != NULL;
}

/* Checks a new project's shape and class names. */
static gboolean
check_new (guint h, guint w, guint c, const char *const *class_names, GError **error)
{
  if (h == 0 || w == 0 || h > 4096 || w > 4096 || (c != 1 && c != 3))
    {
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID, "input shape %u×%u×%u is not supported",
                   h, w, c);
      return FALSE;
    }
  for (guint i = 0; class_names && class_names[i]; i++)
    {
      if (!valid_class_name (class_names[i], error))
        return FALSE;
      for (guint j = 0; j < i; j++)
        if (strcmp (class_names[i], class_names[j]) == 0)
          {
            g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID, "class “%s” is given twice",
                         class_names[i]);
            return FALSE;
          }
    }
  return TRUE;
}

static GlProject *team_open (const char *target, GError **error);

/* A team project: the schema and the first settings go into the (empty)
 * server database, then it opens as any team project. */
static GlProject *
team_create (const char *target, guint h, guint w, guint c, const char *const *class_names, GError **error)
{
  if (!fill_new_db (target, h, w, c, class_names, error))
    return NULL;
  return team_open (target, error);
}

GlProject *
gl_project_create (const char *dir, guint h, guint w, guint c, const char *const *class_names, GError **error)
{
  if (!check_new (h, w, c, class_names, error))
    return NULL;
  if (gl_sql_is_server_target (dir))
    return team_create (dir, h, w, c, class_names, error);
  g_autoptr (GlProject) p = g_new0 (GlProject, 1);
  g_mutex_init (&p->import_lock);
  set_paths (p, dir);
  if (g_file_test (p->db_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *disp = g_filename_display_name (p->dir);
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_EXISTS, "%s: a project is there already", disp);
      return NULL;
    }
  if (!make_dirs (p, error))
    return NULL;
  g_autofree char *tmp = g_strdup_printf ("%s.new-%d", p->db_path, (int) getpid ());
  remove_db_files (tmp);
  if (!fill_new_db (tmp, h, w, c, class_names, error))
    {
      remove_db_files (tmp);
      return NULL;
    }
  /* link () fails if another process created the project meanwhile; where
   * the file system has no hard links (FAT), rename () after the check above. */
  int linked = link (tmp, p->db_path);
  if (linked != 0 && errno != EEXIST && !g_file_test (p->db_path, G_FILE_TEST_EXISTS))
    linked = g_rename (tmp, p->db_path);
  if (linked != 0)
    {
      int e = errno;
      remove_db_files (tmp);
      g_autofree char *disp = g_filename_display_name (p->dir);
      if (e == EEXIST)
        g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_EXISTS, "%s: a project is there already", disp);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", disp, g_strerror (e));
      return NULL;
    }
  remove_db_files (tmp);
  p->h = h;
  p->w = w;
  p->c = c;
  if ((p->db = gl_db_open (p->db_path, error)) == NULL || !load_classes (p, error) || !open_files (p, error))
    return NULL;
  return g_steal_pointer (&p);
}

/* Reads the input shape from the store; then the classes, the cache files. */
static gboolean
load_project (GlProject *p, GError **error)
{
  g_autofree char *sh = gl_db_get_setting (p->db, GL_DB_SETTING_INPUT_H);
  g_autofree char *sw = gl_db_get_setting (p->db, GL_DB_SETTING_INPUT_W);
  g_autofree char *sc = gl_db_get_setting (p->db, GL_DB_SETTING_INPUT_C);
  g_autofree char *shape = g_strdup_printf ("%sx%sx%s", sh ? sh : "", sw ? sw : "", sc ? sc : "");
  return gl_project_parse_shape (shape, &p->h, &p->w, &p->c, error) && load_classes (p, error)
         && open_files (p, error);
}

/* A team project: the store on the server; the pixel cache, thumbnails and
 * models in this desktop's folder for it, named by the project's UUID. */
static GlProject *
team_open (const char *target, GError **error)
{
  g_autoptr (GlProject) p = g_new0 (GlProject, 1);
  g_mutex_init (&p->import_lock);
  p->team = TRUE;
  p->db_path = g_strdup (target);
  if ((p->db = gl_db_open (target, error)) == NULL)
    return NULL;
  p->name = g_strdup (gl_db_get_path (p->db));
  g_autofree char *uuid = gl_db_team_prepare (p->db, error);
  if (uuid == NULL)
    return NULL;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "gleaner", uuid, NULL);
  set_paths (p, dir);
  if ((p->paths = gl_team_paths_load (uuid, error)) == NULL)
    return NULL;
  if (!make_dirs (p, error) || !load_project (p, error))
    return NULL;
  if (!gl_team_pixels_sync (p->db, p->cache, p->pixels_path, FALSE, error))
    return NULL;
  return g_steal_pointer (&p);
}

GlProject *
gl_project_open (const char *dir, GError **error)
{
  if (gl_sql_is_server_target (dir))
    return team_open (dir, error);
  g_autoptr (GlProject) p = g_new0 (GlProject, 1);
  g_mutex_init (&p->import_lock);
  set_paths (p, dir);
  if (!g_file_test (p->db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *disp = g_filename_display_name (p->dir);
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_NOT_FOUND, "%s: not a Gleaner project (no %s)",
                   disp, DB_NAME);
      return NULL;
    }
  if (!make_dirs (p, error) || (p->db = gl_db_open (p->db_path, error)) == NULL || !load_project (p, error))
    return NULL;
  return g_steal_pointer (&p);
}

char *
gl_project_local_path (GlProject *p, const char *stored)
{
  return gl_team_paths_resolve (p->paths, stored);
}

gboolean
gl_project_set_path_prefix (GlProject *p, const char *stored_prefix, const char *local_prefix, GError **error)
{
  if (p->paths == NULL)
    {
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID,
                   "%s: path prefixes are for team projects (a project folder's paths are this desktop's)", p->name);
      return FALSE;
    }
  return gl_team_paths_set (p->paths, stored_prefix, local_prefix, error);
}

void
gl_project_list_path_prefixes (GlProject *p, char ***stored, char ***local)
{
  if (p->paths == NULL)
    {
      *stored = g_new0 (char *, 1);
      *local = g_new0 (char *, 1);
      return;
    }
  gl_team_paths_list (p->paths, stored, local);
}

gboolean
gl_project_is_team_target (const char *target)
{
  return target != NULL && gl_sql_is_server_target (target);
}

char *
gl_project_team_target (const char *target, const char *password, GError **error)
{
  return gl_db_team_target_with_password (target, password, error);
}

GlDb *
gl_project_get_db (GlProject *p)
{
  return p->db;
}

GlDb *
gl_project_open_db (GlProject *p, GError **error)
{
  return gl_db_open (p->db_path, error);
}

const char *
gl_project_get_dir (GlProject *p)
{
  return p->dir;
}

const char *
gl_project_get_name (GlProject *p)
{
  return p->name;
}

gboolean
gl_project_is_team (GlProject *p)
{
  return p->team;
}

const char *
gl_project_get_db_path (GlProject *p)
{
  return p->db_path;
}

const char *
gl_project_get_models_dir (GlProject *p)
{
  return p->models_dir;
}

const char *
gl_project_get_cache_dir (GlProject *p)
{
  return p->cache_dir;
}

const char *
gl_project_get_thumbs_path (GlProject *p)
{
  return p->thumbs_dir;
}

GlThumbPack *
gl_project_get_thumbs (GlProject *p)
{
  return p->thumbs;
}

const char *
gl_project_get_pixels_path (GlProject *p)
{
  return p->pixels_path;
}

void
gl_project_get_input_shape (GlProject *p, guint *h, guint *w, guint *c)
{
  *h = p->h;
  *w = p->w;
  *c = p->c;
}

char **
gl_project_dup_class_names (GlProject *p)
{
  /* Fresh from the store (classes may have been added since the last import
   * target was made); p->class_names stays as an import may borrow it. */
  g_autoptr (GArray) classes = gl_db_list_classes (p->db, TRUE, NULL);
  if (classes == NULL)
    return g_strdupv (p->class_names);
  char **names = g_new0 (char *, classes->len + 1);
  for (guint i = 0; i < classes->len; i++)
    names[i] = g_strdup (g_array_index (classes, GlDbClass, i).name);
  return names;
}

GlPixelMap *
gl_project_map_pixels (GlProject *p, GError **error)
{
  return gl_pixel_map_open (p->pixels_path, error);
}

/* ---- The import sink ------------------------------------------------- */

/* The sink runs on the thread that runs the import (gl_import_run calls
 * begin_batch first), with its own connection, so that the main thread can
 * keep labeling through p->db meanwhile. */

static gboolean
sink_has_hash (gpointer data, const char *hash_hex)
{
  GlProject *p = data;
  return p->import_db != NULL && gl_db_has_hash (p->import_db, hash_hex);
}

static gint64
sink_begin_batch (gpointer data, const char *source, const GlImportOptions *options, GError **error)
{
  GlProject *p = data;
  gint64 id;
  g_mutex_lock (&p->import_lock);
  if ((p->import_db == NULL && (p->import_db = gl_db_open (p->db_path, error)) == NULL)
      || !gl_db_begin_batch (p->import_db, source,
                             options->labels_as == GL_LABELS_AS_REFERENCE ? GL_DB_ORIGIN_REFERENCE
                                                                          : GL_DB_ORIGIN_HUMAN,
                             options->held_out_test, &id, error))
    {
      g_mutex_unlock (&p->import_lock);
      return -1;
    }
  /* A team project: one desktop imports at a time, with the team's pixel rows in its cache first, so that the
     rows it appends get numbers no other desktop gave. */
  if (p->team
      && (!gl_db_team_lock_imports (p->import_db, error)
          || !gl_team_pixels_sync (p->import_db, p->cache, p->pixels_path, TRUE, error)))
    {
      gl_db_team_unlock_imports (p->import_db);
      g_mutex_unlock (&p->import_lock);
      return -1;
    }
  p->last_batch = id;
  return id;
}

static void
sink_end_batch (gpointer data, gint64 batch_id)
{
  GlProject *p = data;
  if (p->team)
    {
      /* Rows appended but not referred to (a cancelled chunk) go in too: the marker then covers the whole file. */
      g_autoptr (GError) error = NULL;
      if (!gl_team_pixels_publish (p->import_db, p->pixels_path, gl_pixel_cache_count (p->cache), &error))
        g_warning ("%s", error->message); /* the next import or open checks them again */
      gl_db_team_unlock_imports (p->import_db);
    }
  g_mutex_unlock (&p->import_lock);
}

static gboolean
sink_add_records (gpointer data, gint64 batch_id, const GlImportRecord *records, guint n, GlLabelsAs labels_as,
                  GError **error)
{
  GlProject *p = data;
  /* The team's store gets the pixel rows before the images that refer to them. */
  gint64 end_row = -1;
  for (guint i = 0; p->team && i < n; i++)
    end_row = MAX (end_row, records[i].cache_row + 1);
  if (end_row > 0 && !gl_team_pixels_publish (p->import_db, p->pixels_path, (guint64) end_row, error))
    return FALSE;
  g_autofree GlDbNewImage *im = g_new (GlDbNewImage, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    im[i] = (GlDbNewImage) { records[i].path,      records[i].hash_hex, records[i].size_bytes,
                             records[i].cache_row, records[i].reason,   records[i].label };
  return gl_db_add_images (p->import_db, batch_id, im, n, NULL, NULL, error);
}

static const GlImportSinkFuncs sink_funcs = { sink_has_hash, sink_begin_batch, sink_add_records,
                                              sink_end_batch };

void
gl_project_import_target (GlProject *p, GlImportTarget *target)
{
  /* IDX labels map to the classes as they are now. */
  load_classes (p, NULL);
  gl_project_plain_import_target (p, target);
  target->class_names = (const char *const *) p->class_names;
}

void
gl_project_plain_import_target (GlProject *p, GlImportTarget *target)
{
  target->h = p->h;
  target->w = p->w;
  target->c = p->c;
  target->cache = p->cache;
  target->thumbs = p->thumbs;
  target->class_names = NULL;
  target->sink = &sink_funcs;
  target->sink_data = p;
}

gboolean
gl_project_import (GlProject *p, const char *const *paths, const GlImportOptions *options,
                   GlImportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                   GlImportProgress *summary, GError **error)
{
  GlImportTarget target;
  gl_project_import_target (p, &target);
  /* New classes may be created during the import; IDX labels map to the
   * classes as they were when it started. */
  g_auto (GStrv) names = g_strdupv (p->class_names);
  target.class_names = (const char *const *) names;
  GlImportProgress sum = { 0 };
  p->last_batch = -1;
  gboolean ok = gl_import_run (&target, paths, options, progress, progress_data, cancellable, &sum, error);
  if (summary)
    *summary = sum;
  GError *local = NULL;
  if (sum.duplicates > 0 && p->last_batch >= 0
      && !gl_db_set_batch_duplicates (p->db, p->last_batch, sum.duplicates, &local))
    {
      if (ok)
        g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                    "the images are stored, but not the number of duplicates skipped: ");
      g_clear_error (&local);
      ok = FALSE;
    }
  return ok;
}

/* ---- Queries ------------------------------------------------------- */

gboolean
gl_project_get_info (GlProject *p, GlProjectInfo *info, GError **error)
{
  memset (info, 0, sizeof *info);
  GlDbCounts counts;
  if (!gl_db_get_counts (p->db, &counts, error))
    return FALSE;
  g_autoptr (GArray) per = gl_db_count_per_class (p->db, error);
  if (per == NULL)
    return FALSE;
  info->h = p->h;
  info->w = p->w;
  info->c = p->c;
  info->images = counts.images;
  info->unreadable = counts.unreadable;
  info->readable = counts.readable;
  info->duplicates = counts.duplicates;
  info->held_out_test = counts.held_out_test;
  info->labeled = counts.labeled;
  info->reference_labeled = counts.reference_labeled;
  info->class_names = gl_project_dup_class_names (p);
  info->n_classes = g_strv_length (info->class_names);
  info->labeled_per_class = g_new0 (guint64, MAX (1, info->n_classes));
  info->reference_per_class = g_new0 (guint64, MAX (1, info->n_classes));
  /* Both lists are the classes in position order, archived included. */
  for (guint i = 0; i < per->len && i < info->n_classes; i++)
    {
      info->labeled_per_class[i] = g_array_index (per, GlDbClassCount, i).labeled;
      info->reference_per_class[i] = g_array_index (per, GlDbClassCount, i).reference;
    }
  return TRUE;
}

void
gl_project_info_clear (GlProjectInfo *info)
{
  g_strfreev (info->class_names);
  g_free (info->labeled_per_class);
  g_free (info->reference_per_class);
  memset (info, 0, sizeof *info);
}

gboolean
gl_project_check_integrity (GlProject *p, GError **error)
{
  return gl_db_check_integrity (p->db, error);
}

GArray *
gl_project_list_cache_rows (GlProject *p, int held_out, GError **error)
{
  return gl_db_list_cache_rows (p->db, held_out, error);
}

void
gl_remove_tree (const char *path)
{
  GDir *d = g_file_test (path, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open (path, 0, NULL);
  if (d == NULL)
    {
      g_unlink (path);
      return;
    }
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      gl_remove_tree (child);
    }
  g_dir_close (d);
  g_rmdir (path);
}
