/* gl-team-models.h — the model files of a team project (issue 18): the
 * trainer puts each version's file in the team's store (db/gl-db-team.h)
 * and every desktop loads that file, from a copy it keeps in its folder for
 * the project, $XDG_CACHE_HOME/gleaner/<project uuid>/models/<sha256>.gleaner-model.
 * On a project folder (SQLite) they are the version's own file, as before.
 *
 * Threads: any, with the calling thread's store connection. */
#pragma once

#include "db/gl-db.h"
#include "engine/gl-net.h"

G_BEGIN_DECLS

/* The file to load for model version @v on this desktop: on a team's
 * store, the local copy of the stored file (written at the first use,
 * atomically); the version's own path when the store keeps no file for it
 * or on a project folder. Free with g_free; NULL with @error. */
char *gl_team_model_path (GlDb *db, const GlDbModelVersion *v, GError **error);
/* gl_model_file_load of gl_team_model_path. */
GlNet *gl_team_model_load (GlDb *db, const GlDbModelVersion *v, GError **error);
/* After version @model_id was recorded with the file @path: on a team's
 * store, puts the file there (nothing to do on a project folder). */
gboolean gl_team_model_publish (GlDb *db, gint64 model_id, const char *path, GError **error);

G_END_DECLS
