/* gl-team-paths.h — where a team project's image files are on this desktop
 * (issue 18). Images are stored by the path they had on the desktop that
 * imported them; another desktop may see the same shared folder under
 * another path. A per-desktop map of path prefixes (stored prefix → local
 * prefix) turns a stored path into this desktop's, in
 * $XDG_CONFIG_HOME/gleaner/teams/<project uuid>.ini (group [paths], keys
 * "stored" and "local": lists of the same length).
 *
 * Threads: any (a mutex guards the map); the decode threads resolve paths. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _GlTeamPaths GlTeamPaths;

/* The map of project @uuid (empty when its file is missing). NULL with
 * @error naming the file when it cannot be read. */
GlTeamPaths *gl_team_paths_load (const char *uuid, GError **error);
void gl_team_paths_free (GlTeamPaths *paths);
/* @stored with its longest mapped prefix (whole path components) replaced;
 * a copy of @stored when none applies. */
char *gl_team_paths_resolve (GlTeamPaths *paths, const char *stored);
/* Maps @stored_prefix to @local_prefix (NULL: removes it) and saves the
 * file. Both absolute; a trailing '/' is dropped. */
gboolean gl_team_paths_set (GlTeamPaths *paths, const char *stored_prefix, const char *local_prefix,
                            GError **error);
/* The map, as two NULL-terminated lists of the same length (free with g_strfreev). */
void gl_team_paths_list (GlTeamPaths *paths, char ***stored, char ***local);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlTeamPaths, gl_team_paths_free)

G_END_DECLS
