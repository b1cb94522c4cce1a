/* gl-team-pixels.h — keeps a team desktop's pixel cache (gl-pixel-cache.h)
 * the same as the team's store (db/gl-db-team.h): row N holds the same
 * model input on every desktop, so images.cache_row means one thing.
 *
 * A marker file next to the cache (PIXELS.synced, a decimal number) records
 * how many rows are known to match the store. Rows past it (an import that
 * was killed before it put its rows in the store) are checked against the
 * store under the import lock and put there when missing; rows that differ
 * make the sync fail with the cache's path and the row, and a way out (the
 * folder is a cache: delete it and it is rebuilt from the store).
 *
 * Threads: the calls for one cache come from one thread at a time (the
 * project's import lock or the opening thread). */
#pragma once

#include "app/gl-pixel-cache.h"
#include "db/gl-db.h"

G_BEGIN_DECLS

/* Brings @cache (its file at @pixels_path) up to the store: verifies and
 * puts unverified local rows (only when @locked, i.e. the caller holds the
 * import lock; otherwise takes the lock itself for that part), then copies
 * the rows the store has and the cache lacks (a gap in the store's rows
 * becomes a zero row: no image refers to it). Writes the marker. */
gboolean gl_team_pixels_sync (GlDb *db, GlPixelCache *cache, const char *pixels_path, gboolean locked,
                              GError **error);

/* Puts the cache's rows from the marker on up to @end_row (exclusive) in
 * the store, and moves the marker (the caller holds the import lock, and
 * the rows are synced to the cache file). */
gboolean gl_team_pixels_publish (GlDb *db, const char *pixels_path, guint64 end_row, GError **error);

G_END_DECLS
