/* gl-project.h — a Gleaner project: a folder, or a team's (issue 18).
 *
 *   PROJECT/project.gleaner-db   SQLite: settings, classes, images, labels, import batches
 *   PROJECT/models/              model versions
 *   PROJECT/cache/pixels         the model-input cache (gl-pixel-cache.h)
 *   PROJECT/cache/thumbs.pack    thumbnails (gl-thumbs.h)
 *
 * A team project is a PostgreSQL connection string instead (gl_sql_is_server_target): the store is on the
 * server, with the model-input pixels of every image (db/gl-db-team.h), and this desktop keeps the rest in
 * $XDG_CACHE_HOME/gleaner/<project uuid>/ (models/, cache/pixels, cache/thumbs.pack), laid out as above. Its
 * pixel cache is kept in step with the server's rows at open and at each import (app/gl-team-pixels.h).
 *
 * Images stay where the user keeps them (paths are stored); IDX items are
 * unpacked into cache/pixels, which is their only copy.
 *
 * A GlProject is used from one thread at a time (the GUI hands it to an
 * import thread and waits, or uses gl_import_run_async on the target). The
 * import sink uses its own store connection, so the main thread may keep
 * using gl_project_get_db () while an import runs. Any other thread that
 * needs the store opens its own connection with gl_project_open_db ().
 *
 * Failures of the store are GL_DB_ERROR errors (busy, disk full, corrupt…),
 * with messages naming the database file.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-import.h"
#include "app/gl-pixel-cache.h"
#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_PROJECT_ERROR (gl_project_error_quark ())
GQuark gl_project_error_quark (void);

typedef enum
{
  GL_PROJECT_ERROR_EXISTS,    /* create: a project is there already */
  GL_PROJECT_ERROR_NOT_FOUND, /* open: no project there */
  GL_PROJECT_ERROR_INVALID,   /* bad argument (shape, class name) */
  GL_PROJECT_ERROR_STORE,     /* unused since the store moved to db/: store failures are GL_DB_ERROR */
} GlProjectError;

typedef struct _GlProject GlProject;

/* Creates the folder (and parents) and an empty project with input shape
 * h × w × c (c = 1 or 3) and the given classes in order (may be NULL).
 * Class names: UTF-8, 1 to 1,000 characters, unique. */
GlProject *gl_project_create (const char *dir, guint h, guint w, guint c, const char *const *class_names,
                              GError **error);
GlProject *gl_project_open (const char *dir, GError **error);
void gl_project_close (GlProject *project);

/* TRUE when @target names a team project (a PostgreSQL connection string:
 * postgresql://…, postgres://… or key=value settings) rather than a folder. */
gboolean gl_project_is_team_target (const char *target);
/* @target with @password (may be NULL or empty) added, for gl_project_open;
 * the result holds the password: wipe it (memset) before g_free. NULL with
 * @error when @target does not parse (the message does not quote it). */
char *gl_project_team_target (const char *target, const char *password, GError **error);

/* A stored image path as this desktop sees it: a team project maps it
 * through the desktop's path prefixes (app/gl-team-paths.h); a copy of
 * @stored otherwise. Any thread. Free with g_free. */
char *gl_project_local_path (GlProject *project, const char *stored);
/* Maps @stored_prefix to @local_prefix on this desktop (NULL removes it);
 * a team project only (else GL_PROJECT_ERROR_INVALID). */
gboolean gl_project_set_path_prefix (GlProject *project, const char *stored_prefix, const char *local_prefix,
                                     GError **error);
/* This desktop's prefixes, two lists of the same length (g_strfreev). */
void gl_project_list_path_prefixes (GlProject *project, char ***stored, char ***local);

/* The store connection of the thread that opened the project (borrowed). */
GlDb *gl_project_get_db (GlProject *project);
/* A new connection to the project's store for another thread (free with
 * gl_db_close on that thread). */
GlDb *gl_project_open_db (GlProject *project, GError **error);

/* The project's folder; for a team project (opened from a PostgreSQL
 * connection string) this desktop's folder for it, under
 * $XDG_CACHE_HOME/gleaner/, named by the project's UUID. */
const char *gl_project_get_dir (GlProject *project);
/* What to show a person: the folder, or the connection string without its
 * password or other secrets. */
const char *gl_project_get_name (GlProject *project);
/* TRUE for a project on a PostgreSQL server (a team's). */
gboolean gl_project_is_team (GlProject *project);
/* The store's file, or a team project's whole connection string (its
 * password included, if it has one): for gl_db_open only, never to show. */
const char *gl_project_get_db_path (GlProject *project);
const char *gl_project_get_models_dir (GlProject *project);
const char *gl_project_get_cache_dir (GlProject *project);
const char *gl_project_get_thumbs_path (GlProject *project);
/* The thumbnail pack (thread-safe); borrowed. */
GlThumbPack *gl_project_get_thumbs (GlProject *project);
const char *gl_project_get_pixels_path (GlProject *project);
void gl_project_get_input_shape (GlProject *project, guint *h, guint *w, guint *c);

/* Parses "28x28x1" (h x w x c). */
gboolean gl_project_parse_shape (const char *text, guint *h, guint *w, guint *c, GError **error);

/* Class names in order, archived included (NULL-terminated; free with
 * g_strfreev); read from the store at each call. */
char **gl_project_dup_class_names (GlProject *project);

/* A settings value (NULL if unset) / sets it in one transaction. */
char *gl_project_get_setting (GlProject *project, const char *key);
gboolean gl_project_set_setting (GlProject *project, const char *key, const char *value, GError **error);

/* The read side of the pixel cache (rows referenced by committed images). */
GlPixelMap *gl_project_map_pixels (GlProject *project, GError **error);

/* Fills @target for gl_import_run / _async; pointers borrow from @project. */
void gl_project_import_target (GlProject *project, GlImportTarget *target);
/* The same for an import that brings no labels (a plain folder): it reads
 * nothing of the project, so it may be made while another thread imports
 * (the second import then waits for the first). */
void gl_project_plain_import_target (GlProject *project, GlImportTarget *target);

/* Blocking import into the project (see gl_import_run); also records the
 * number of duplicates on the import batch. */
gboolean gl_project_import (GlProject *project, const char *const *paths, const GlImportOptions *options,
                            GlImportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                            GlImportProgress *summary, GError **error);

typedef struct
{
  guint64 images;            /* rows, readable or not */
  guint64 readable;
  guint64 unreadable;
  guint64 duplicates;        /* skipped by all imports so far */
  guint64 labeled;           /* images with a current human label */
  guint64 reference_labeled; /* images with a reference label */
  guint64 held_out_test;     /* images in held-out reference test batches */
  guint n_classes;
  char **class_names;         /* (n_classes) */
  guint64 *labeled_per_class; /* (n_classes) */
  guint64 *reference_per_class; /* (n_classes) */
  guint h, w, c;
} GlProjectInfo;

gboolean gl_project_get_info (GlProject *project, GlProjectInfo *info, GError **error);
void gl_project_info_clear (GlProjectInfo *info);

/* Runs PRAGMA integrity_check; TRUE when it says "ok". */
gboolean gl_project_check_integrity (GlProject *project, GError **error);

/* Every readable image: its pixel-cache row, in id order (for checks and the
 * engine's dataset). @held_out: -1 all, 0 pool only, 1 held-out test only. */
GArray *gl_project_list_cache_rows (GlProject *project, int held_out, GError **error);

/* Deletes @path and, when it is a folder, everything under it; a symbolic
 * link is removed, never followed. Errors are ignored (for a project folder
 * or an unfinished one that is given up). */
void gl_remove_tree (const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlProject, gl_project_close)

G_END_DECLS
