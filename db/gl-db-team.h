/* gl-db-team.h — what a team project (issue 18) keeps in its store beyond a
 * project folder's schema: the project's identity, and the model-input
 * pixels of every image, so that a desktop without the image folder can
 * still label and train.
 *
 * The pixels are kept by pixel-cache row (images.cache_row): a team's
 * desktops each keep a local copy of the pixel cache (app/gl-pixel-cache.h)
 * in which row N holds the same pixels on every desktop. An importing
 * desktop holds the import lock, first copies the rows it lacks from the
 * store, then appends its rows after them and puts them in the store before
 * the images that refer to them.
 *
 * And the model files, by model version, so that every desktop uses the
 * trainer's model: a desktop keeps a copy named by the file's SHA-256.
 *
 * The tables (team_pixels, team_models, and team_leases of gl-db-lease.h) are made with CREATE TABLE IF NOT
 * EXISTS by gl_db_team_prepare, on either backend (BYTEA on PostgreSQL,
 * BLOB on SQLite); they are not part of schema version 8. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* The settings key of the project's identity (a UUID, set once). */
#define GL_DB_SETTING_PROJECT_UUID "project_uuid"

/* Creates the team tables when missing and returns the project's UUID
 * (made at the first call on a project; the same on every connection
 * after). Free with g_free; NULL with @error. */
char *gl_db_team_prepare (GlDb *db, GError **error);

/* Takes / releases the project's import lock (PostgreSQL: a session
 * advisory lock, waited for; SQLite: nothing, its single writer is the
 * lock). One desktop imports at a time, so pixel rows are numbered once. */
gboolean gl_db_team_lock_imports (GlDb *db, GError **error);
void gl_db_team_unlock_imports (GlDb *db);

/* The number of pixel rows in the store: one past the highest row (0 when
 * none). -1 with @error. */
gint64 gl_db_team_pixel_rows (GlDb *db, GError **error);

/* Stores @n rows of @row_size bytes each, numbered from @first_row, in one
 * transaction; a row already stored is left as it is (*@differs, if not
 * NULL, is set TRUE when its bytes differ from the ones given). */
gboolean gl_db_team_put_pixels (GlDb *db, gint64 first_row, const guint8 *rows, guint n, gsize row_size,
                                gboolean *differs, GError **error);

/* Calls @func for each stored row from @first_row on, in row order, at most
 * @limit of them (a row missing from the store is skipped: @func sees the
 * gap in the numbers). @func returns FALSE (with its error) to stop. */
typedef gboolean (*GlDbPixelRowFunc) (gint64 row, const guint8 *pixels, gsize len, gpointer data, GError **error);
gboolean gl_db_team_read_pixels (GlDb *db, gint64 first_row, guint limit, GlDbPixelRowFunc func, gpointer data,
                                 GError **error);

/* @target (a PostgreSQL connection string: URI or key=value settings)
 * with @password added, as key=value settings, for gl_db_open (the
 * password then lives only in the returned string: wipe it when done).
 * @password NULL or "": @target as it is. Either way NULL with GL_DB_ERROR_INVALID
 * when @target does not parse (the message never quotes it). */
char *gl_db_team_target_with_password (const char *target, const char *password, GError **error);

/* TRUE when @db is a team's store on a PostgreSQL server. */
gboolean gl_db_team_is_server (GlDb *db);

/* Stores the bytes of model version @model_id's file (once: a second put
 * of the same version is kept as first stored) with their SHA-256. */
gboolean gl_db_team_put_model (GlDb *db, gint64 model_id, GBytes *data, GError **error);
/* The SHA-256 (hex) of the stored file of @model_id, or NULL when none is
 * stored (then *@error stays unset) or on a failure (with @error). */
char *gl_db_team_model_checksum (GlDb *db, gint64 model_id, GError **error);
/* The stored file of @model_id; NULL with GL_DB_ERROR_NOT_FOUND when none. */
GBytes *gl_db_team_get_model (GlDb *db, gint64 model_id, GError **error);

G_END_DECLS
