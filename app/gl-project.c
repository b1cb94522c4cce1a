/* gl-project.c — see gl-project.h.
 *
 * The records live in SQLite through the small set of prepared statements
 * below (no SQL is ever built from user text). */
#include "app/gl-project.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK (gl-project-error-quark, gl_project_error)

#define DB_NAME "project.gleaner-db"
#define SCHEMA_VERSION 1

struct _GlProject
{
  char *dir, *db_path, *models_dir, *cache_dir, *thumbs_dir, *pixels_path;
  guint h, w, c;
  sqlite3 *db;
  GlPixelCache *cache;
  GlThumbPack *thumbs;
  char **class_names; /* kept in step with the classes table */
  /* Prepared statements of the import sink. */
  sqlite3_stmt *st_has_hash, *st_add_image, *st_add_label, *st_find_class, *st_add_class, *st_bad_path;
  gint64 last_batch; /* id of the batch the last import started */
};

static const char schema[] =
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE classes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, position INTEGER NOT NULL);"
  "CREATE TABLE import_batches (id INTEGER PRIMARY KEY, source TEXT NOT NULL, labels_as TEXT NOT NULL,"
  "  held_out_test INTEGER NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);"
  "CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT NOT NULL, hash TEXT UNIQUE, size INTEGER NOT NULL,"
  "  batch_id INTEGER NOT NULL REFERENCES import_batches (id), cache_row INTEGER, reason TEXT);"
  "CREATE TABLE labels (id INTEGER PRIMARY KEY, image_id INTEGER NOT NULL REFERENCES images (id),"
  "  class_id INTEGER REFERENCES classes (id), origin TEXT NOT NULL, created_us INTEGER NOT NULL);"
  "CREATE INDEX labels_image ON labels (image_id);"
  "CREATE INDEX images_batch ON images (batch_id);"
  "CREATE INDEX images_path ON images (path);";

static gboolean
db_error (GlProject *p, GError **error, const char *what)
{
  int code = sqlite3_extended_errcode (p->db);
  const char *msg = sqlite3_errmsg (p->db);
  if ((code & 0xff) == SQLITE_FULL)
    msg = "the disk is full";
  else if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
    msg = "the project is busy (locked by another process)";
  g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_STORE, "%s: %s: %s", p->db_path, what, msg);
  return FALSE;
}

static gboolean
exec (GlProject *p, const char *sql, GError **error)
{
  if (sqlite3_exec (p->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_error (p, error, "cannot run a statement");
  return TRUE;
}

static sqlite3_stmt *
prepare (GlProject *p, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (p->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      db_error (p, error, "cannot prepare a statement");
      return NULL;
    }
  return st;
}

static void
set_paths (GlProject *p, const char *dir)
{
  p->dir = g_canonicalize_filename (dir, NULL);
  p->db_path = g_build_filename (p->dir, DB_NAME, NULL);
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
  sqlite3_finalize (p->st_has_hash);
  sqlite3_finalize (p->st_add_image);
  sqlite3_finalize (p->st_add_label);
  sqlite3_finalize (p->st_find_class);
  sqlite3_finalize (p->st_add_class);
  sqlite3_finalize (p->st_bad_path);
  if (p->db)
    sqlite3_close (p->db);
  gl_pixel_cache_close (p->cache);
  gl_thumb_pack_close (p->thumbs);
  g_strfreev (p->class_names);
  g_free (p->dir);
  g_free (p->db_path);
  g_free (p->models_dir);
  g_free (p->cache_dir);
  g_free (p->thumbs_dir);
  g_free (p->pixels_path);
  g_free (p);
}

static gboolean
open_db (GlProject *p, int flags, GError **error)
{
  if (sqlite3_open_v2 (p->db_path, &p->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
    return db_error (p, error, "cannot open");
  sqlite3_busy_timeout (p->db, 5000);
  sqlite3_extended_result_codes (p->db, 1);
  return exec (p, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", error);
}

static gboolean
valid_class_name (const char *name, GError **error)
{
  if (!g_utf8_validate (name, -1, NULL) || name[0] == '\0' || g_utf8_strlen (name, -1) > 1000)
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
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  sqlite3_stmt *st = prepare (p, "SELECT name FROM classes ORDER BY position, id", error);
  if (st == NULL)
    return FALSE;
  while (sqlite3_step (st) == SQLITE_ROW)
    g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (st, 0)));
  sqlite3_finalize (st);
  g_ptr_array_add (names, NULL);
  g_strfreev (p->class_names);
  p->class_names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  return TRUE;
}

static gboolean
prepare_sink (GlProject *p, GError **error)
{
  return (p->st_has_hash = prepare (p, "SELECT 1 FROM images WHERE hash = ?1", error)) != NULL
         && (p->st_add_image = prepare (p, "INSERT OR IGNORE INTO images (path, hash, size, batch_id, cache_row, reason)"
                                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error)) != NULL
         && (p->st_add_label = prepare (p, "INSERT INTO labels (image_id, class_id, origin, created_us)"
                                           " VALUES (?1, ?2, ?3, ?4)", error)) != NULL
         && (p->st_find_class = prepare (p, "SELECT id FROM classes WHERE name = ?1", error)) != NULL
         && (p->st_bad_path = prepare (p, "SELECT 1 FROM images WHERE path = ?1 AND reason IS NOT NULL", error))
                != NULL
         && (p->st_add_class = prepare (p, "INSERT INTO classes (name, position)"
                                           " VALUES (?1, (SELECT COALESCE (MAX (position), -1) + 1 FROM classes))",
                                        error)) != NULL;
}

static char *
setting (GlProject *p, const char *key)
{
  sqlite3_stmt *st = prepare (p, "SELECT value FROM settings WHERE key = ?1", NULL);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text (st, 1, key, -1, SQLITE_STATIC);
  char *value = NULL;
  if (sqlite3_step (st) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  return value;
}

char *
gl_project_get_setting (GlProject *p, const char *key)
{
  return setting (p, key);
}

static gboolean
put_setting (GlProject *p, const char *key, const char *value, GError **error)
{
  sqlite3_stmt *st = prepare (p, "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)", error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text (st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, value, -1, SQLITE_STATIC);
  gboolean ok = sqlite3_step (st) == SQLITE_DONE;
  sqlite3_finalize (st);
  return ok ? TRUE : db_error (p, error, "cannot write a setting");
}

gboolean
gl_project_set_setting (GlProject *p, const char *key, const char *value, GError **error)
{
  return put_setting (p, key, value, error);
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

GlProject *
gl_project_create (const char *dir, guint h, guint w, guint c, const char *const *class_names, GError **error)
{
  g_autoptr (GlProject) p = g_new0 (GlProject, 1);
  set_paths (p, dir);
  if (h == 0 || w == 0 || h > 4096 || w > 4096 || (c != 1 && c != 3))
    {
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID, "input shape %u×%u×%u is not supported",
                   h, w, c);
      return NULL;
    }
  for (guint i = 0; class_names && class_names[i]; i++)
    {
      if (!valid_class_name (class_names[i], error))
        return NULL;
      for (guint j = 0; j < i; j++)
        if (strcmp (class_names[i], class_names[j]) == 0)
          {
            g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_INVALID, "class “%s” is given twice",
                         class_names[i]);
            return NULL;
          }
    }
  if (g_file_test (p->db_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *disp = g_filename_display_name (p->dir);
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_EXISTS, "%s: a project is there already", disp);
      return NULL;
    }
  if (!make_dirs (p, error) || !open_db (p, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error))
    return NULL;
  p->h = h;
  p->w = w;
  p->c = c;
  char num[3][16];
  g_snprintf (num[0], sizeof num[0], "%u", h);
  g_snprintf (num[1], sizeof num[1], "%u", w);
  g_snprintf (num[2], sizeof num[2], "%u", c);
  if (!exec (p, "BEGIN IMMEDIATE", error))
    return NULL;
  gboolean ok = exec (p, schema, error) && put_setting (p, "input_h", num[0], error)
                && put_setting (p, "input_w", num[1], error) && put_setting (p, "input_c", num[2], error)
                && prepare_sink (p, error);
  for (guint i = 0; ok && class_names && class_names[i]; i++)
    {
      sqlite3_bind_text (p->st_add_class, 1, class_names[i], -1, SQLITE_STATIC);
      ok = sqlite3_step (p->st_add_class) == SQLITE_DONE || db_error (p, error, "cannot add a class");
      sqlite3_reset (p->st_add_class);
    }
  ok = ok && exec (p, "PRAGMA user_version = 1", error) && exec (p, "COMMIT", error);
  if (!ok)
    {
      sqlite3_exec (p->db, "ROLLBACK", NULL, NULL, NULL);
      return NULL;
    }
  if (!load_classes (p, error))
    return NULL;
  p->cache = gl_pixel_cache_open (p->pixels_path, h, w, c, error);
  if (p->cache == NULL || (p->thumbs = gl_thumb_pack_open (p->thumbs_dir, error)) == NULL)
    return NULL;
  return g_steal_pointer (&p);
}

GlProject *
gl_project_open (const char *dir, GError **error)
{
  g_autoptr (GlProject) p = g_new0 (GlProject, 1);
  set_paths (p, dir);
  if (!g_file_test (p->db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *disp = g_filename_display_name (p->dir);
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_NOT_FOUND, "%s: not a Gleaner project (no %s)",
                   disp, DB_NAME);
      return NULL;
    }
  if (!make_dirs (p, error) || !open_db (p, SQLITE_OPEN_READWRITE, error))
    return NULL;
  sqlite3_stmt *st = prepare (p, "PRAGMA user_version", error);
  if (st == NULL)
    return NULL;
  int version = sqlite3_step (st) == SQLITE_ROW ? sqlite3_column_int (st, 0) : -1;
  sqlite3_finalize (st);
  if (version != SCHEMA_VERSION)
    {
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_STORE, "%s: schema version %d is not supported",
                   p->db_path, version);
      return NULL;
    }
  g_autofree char *sh = setting (p, "input_h");
  g_autofree char *sw = setting (p, "input_w");
  g_autofree char *sc = setting (p, "input_c");
  g_autofree char *shape = g_strdup_printf ("%sx%sx%s", sh ? sh : "", sw ? sw : "", sc ? sc : "");
  if (!gl_project_parse_shape (shape, &p->h, &p->w, &p->c, error) || !load_classes (p, error)
      || !prepare_sink (p, error))
    return NULL;
  p->cache = gl_pixel_cache_open (p->pixels_path, p->h, p->w, p->c, error);
  if (p->cache == NULL || (p->thumbs = gl_thumb_pack_open (p->thumbs_dir, error)) == NULL)
    return NULL;
  return g_steal_pointer (&p);
}

const char *
gl_project_get_dir (GlProject *p)
{
  return p->dir;
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
  return g_strdupv (p->class_names);
}

GlPixelMap *
gl_project_map_pixels (GlProject *p, GError **error)
{
  return gl_pixel_map_open (p->pixels_path, error);
}

/* ---- The import sink ------------------------------------------------- */

static gboolean
sink_has_hash (gpointer data, const char *hash_hex)
{
  GlProject *p = data;
  sqlite3_bind_text (p->st_has_hash, 1, hash_hex, -1, SQLITE_STATIC);
  gboolean found = sqlite3_step (p->st_has_hash) == SQLITE_ROW;
  sqlite3_reset (p->st_has_hash);
  return found;
}

static gint64
sink_begin_batch (gpointer data, const char *source, const GlImportOptions *options, GError **error)
{
  GlProject *p = data;
  sqlite3_stmt *st = prepare (p, "INSERT INTO import_batches (source, labels_as, held_out_test, created_us)"
                                 " VALUES (?1, ?2, ?3, ?4)", error);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, options->labels_as == GL_LABELS_AS_REFERENCE ? "reference" : "human", -1,
                     SQLITE_STATIC);
  sqlite3_bind_int (st, 3, options->held_out_test ? 1 : 0);
  sqlite3_bind_int64 (st, 4, g_get_real_time ());
  gboolean ok = sqlite3_step (st) == SQLITE_DONE;
  sqlite3_finalize (st);
  if (!ok)
    {
      db_error (p, error, "cannot start an import batch");
      return -1;
    }
  p->last_batch = sqlite3_last_insert_rowid (p->db);
  return p->last_batch;
}

/* The id of class @name, created at the end of the list when new. */
static gint64
class_id (GlProject *p, const char *name, gboolean *created, GError **error)
{
  sqlite3_bind_text (p->st_find_class, 1, name, -1, SQLITE_STATIC);
  gint64 id = -1;
  if (sqlite3_step (p->st_find_class) == SQLITE_ROW)
    id = sqlite3_column_int64 (p->st_find_class, 0);
  sqlite3_reset (p->st_find_class);
  if (id >= 0)
    return id;
  if (!valid_class_name (name, error))
    return -1;
  sqlite3_bind_text (p->st_add_class, 1, name, -1, SQLITE_STATIC);
  gboolean ok = sqlite3_step (p->st_add_class) == SQLITE_DONE;
  sqlite3_reset (p->st_add_class);
  if (!ok)
    {
      db_error (p, error, "cannot add a class");
      return -1;
    }
  *created = TRUE;
  return sqlite3_last_insert_rowid (p->db);
}

static gboolean
sink_add_records (gpointer data, gint64 batch_id, const GlImportRecord *records, guint n, GlLabelsAs labels_as,
                  GError **error)
{
  GlProject *p = data;
  if (!exec (p, "BEGIN IMMEDIATE", error))
    return FALSE;
  gboolean ok = TRUE, created = FALSE;
  gint64 now = g_get_real_time ();
  for (guint i = 0; ok && i < n; i++)
    {
      const GlImportRecord *r = &records[i];
      if (r->reason != NULL)
        {
          /* A bad file met again (the same folder imported twice) is recorded once. */
          sqlite3_bind_text (p->st_bad_path, 1, r->path, -1, SQLITE_STATIC);
          gboolean known = sqlite3_step (p->st_bad_path) == SQLITE_ROW;
          sqlite3_reset (p->st_bad_path);
          if (known)
            continue;
        }
      sqlite3_stmt *st = p->st_add_image;
      sqlite3_bind_text (st, 1, r->path, -1, SQLITE_STATIC);
      if (r->hash_hex)
        sqlite3_bind_text (st, 2, r->hash_hex, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (st, 2);
      sqlite3_bind_int64 (st, 3, (sqlite3_int64) r->size_bytes);
      sqlite3_bind_int64 (st, 4, batch_id);
      if (r->cache_row >= 0)
        sqlite3_bind_int64 (st, 5, r->cache_row);
      else
        sqlite3_bind_null (st, 5);
      if (r->reason)
        sqlite3_bind_text (st, 6, r->reason, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (st, 6);
      ok = sqlite3_step (st) == SQLITE_DONE || db_error (p, error, "cannot add an image");
      sqlite3_reset (st);
      sqlite3_clear_bindings (st);
      /* 0 changes: another process added the same content meanwhile. */
      if (!ok || sqlite3_changes (p->db) == 0 || r->label == NULL || r->reason != NULL)
        continue;
      gint64 image_id = sqlite3_last_insert_rowid (p->db);
      gint64 cid = class_id (p, r->label, &created, error);
      if (cid < 0)
        {
          ok = FALSE;
          break;
        }
      st = p->st_add_label;
      sqlite3_bind_int64 (st, 1, image_id);
      sqlite3_bind_int64 (st, 2, cid);
      sqlite3_bind_text (st, 3, labels_as == GL_LABELS_AS_REFERENCE ? "reference" : "human", -1, SQLITE_STATIC);
      sqlite3_bind_int64 (st, 4, now);
      ok = sqlite3_step (st) == SQLITE_DONE || db_error (p, error, "cannot add a label");
      sqlite3_reset (st);
    }
  if (ok)
    ok = exec (p, "COMMIT", error);
  if (!ok)
    {
      sqlite3_exec (p->db, "ROLLBACK", NULL, NULL, NULL);
      if (created)
        load_classes (p, NULL);
      return FALSE;
    }
  if (created && !load_classes (p, error))
    return FALSE;
  return TRUE;
}

static const GlImportSinkFuncs sink_funcs = { sink_has_hash, sink_begin_batch, sink_add_records };

void
gl_project_import_target (GlProject *p, GlImportTarget *target)
{
  target->h = p->h;
  target->w = p->w;
  target->c = p->c;
  target->cache = p->cache;
  target->thumbs = p->thumbs;
  target->class_names = (const char *const *) p->class_names;
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
  if (sum.duplicates > 0 && p->last_batch >= 0)
    {
      sqlite3_stmt *st = prepare (p, "UPDATE import_batches SET duplicates = ?1 WHERE id = ?2", NULL);
      if (st != NULL)
        {
          sqlite3_bind_int64 (st, 1, (sqlite3_int64) sum.duplicates);
          sqlite3_bind_int64 (st, 2, p->last_batch);
          sqlite3_step (st);
          sqlite3_finalize (st);
        }
    }
  return ok;
}

/* ---- Queries ------------------------------------------------------- */

static guint64
count (GlProject *p, const char *sql)
{
  sqlite3_stmt *st = prepare (p, sql, NULL);
  guint64 n = 0;
  if (st != NULL && sqlite3_step (st) == SQLITE_ROW)
    n = (guint64) sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  return n;
}

static gboolean
per_class (GlProject *p, const char *origin_test, guint64 *out, guint64 *total, GError **error)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT c.position, COUNT (*) FROM"
      " (SELECT image_id, class_id, ROW_NUMBER () OVER (PARTITION BY image_id ORDER BY id DESC) AS rn"
      "  FROM labels WHERE %s) AS cur JOIN classes c ON c.id = cur.class_id"
      " WHERE cur.rn = 1 GROUP BY c.id", origin_test); /* origin_test is one of two literals below */
  sqlite3_stmt *st = prepare (p, sql, error);
  if (st == NULL)
    return FALSE;
  guint n_classes = g_strv_length (p->class_names);
  *total = 0;
  while (sqlite3_step (st) == SQLITE_ROW)
    {
      gint64 pos = sqlite3_column_int64 (st, 0);
      guint64 n = (guint64) sqlite3_column_int64 (st, 1);
      *total += n;
      if (pos >= 0 && pos < n_classes)
        out[pos] += n;
    }
  sqlite3_finalize (st);
  return TRUE;
}

gboolean
gl_project_get_info (GlProject *p, GlProjectInfo *info, GError **error)
{
  memset (info, 0, sizeof *info);
  if (!load_classes (p, error))
    return FALSE;
  info->h = p->h;
  info->w = p->w;
  info->c = p->c;
  info->images = count (p, "SELECT COUNT (*) FROM images");
  info->unreadable = count (p, "SELECT COUNT (*) FROM images WHERE reason IS NOT NULL");
  info->readable = info->images - info->unreadable;
  info->duplicates = count (p, "SELECT COALESCE (SUM (duplicates), 0) FROM import_batches");
  info->held_out_test = count (p, "SELECT COUNT (*) FROM images i JOIN import_batches b ON b.id = i.batch_id"
                                  " WHERE b.held_out_test = 1 AND i.reason IS NULL");
  info->n_classes = g_strv_length (p->class_names);
  info->class_names = g_strdupv (p->class_names);
  info->labeled_per_class = g_new0 (guint64, MAX (1, info->n_classes));
  info->reference_per_class = g_new0 (guint64, MAX (1, info->n_classes));
  if (!per_class (p, "origin <> 'reference'", info->labeled_per_class, &info->labeled, error)
      || !per_class (p, "origin = 'reference'", info->reference_per_class, &info->reference_labeled, error))
    {
      gl_project_info_clear (info);
      return FALSE;
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
  sqlite3_stmt *st = prepare (p, "PRAGMA integrity_check", error);
  if (st == NULL)
    return FALSE;
  g_autofree char *result = NULL;
  if (sqlite3_step (st) == SQLITE_ROW)
    result = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  if (g_strcmp0 (result, "ok") != 0)
    {
      g_set_error (error, GL_PROJECT_ERROR, GL_PROJECT_ERROR_STORE, "%s: integrity check: %s", p->db_path,
                   result ? result : "no answer");
      return FALSE;
    }
  return TRUE;
}

GArray *
gl_project_list_cache_rows (GlProject *p, int held_out, GError **error)
{
  sqlite3_stmt *st = prepare (p, "SELECT i.cache_row FROM images i JOIN import_batches b ON b.id = i.batch_id"
                                 " WHERE i.cache_row IS NOT NULL AND (?1 < 0 OR b.held_out_test = ?1)"
                                 " ORDER BY i.id", error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int (st, 1, held_out);
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      gint64 r = sqlite3_column_int64 (st, 0);
      g_array_append_val (rows, r);
    }
  sqlite3_finalize (st);
  if (rc != SQLITE_DONE)
    {
      g_array_unref (rows);
      db_error (p, error, "cannot list images");
      return NULL;
    }
  return rows;
}
