/* gl-team-watch.h — live updates in a team project's window (issue 18):
 * a connection of its own listens for the team's events (db/gl-db-notify.h)
 * and, when its socket has input, reads them on the main loop without
 * waiting and emits, coalesced per wake-up:
 *
 *   "labels-changed"  (GArray *image_ids: gint64, ascending) images that
 *                     got a label (or an undo, unlabel …) on any desktop,
 *                     this one included;
 *   "classes-changed" the classes changed;
 *   "model-changed"   (gint64 model_id) another version is current;
 *   "lost"            (const char *message) the connection broke: no more
 *                     events (the message names the server, never the
 *                     password).
 *
 * Nothing is polled: the store is read only for the images of the label
 * rows an event names. Threads: made, used and freed on one thread, whose
 * thread-default main context runs the watch. */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GL_TYPE_TEAM_WATCH (gl_team_watch_get_type ())
G_DECLARE_FINAL_TYPE (GlTeamWatch, gl_team_watch, GL, TEAM_WATCH, GObject)

/* Starts watching @project (a team project: gl_project_is_team). NULL with
 * @error when it cannot connect or listen. */
GlTeamWatch *gl_team_watch_new (GlProject *project, GError **error);

G_END_DECLS
