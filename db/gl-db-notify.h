/* gl-db-notify.h — live updates between the desktops of a team project
 * (issue 18): the server announces, on the channel "gleaner_events", every
 * statement that adds labels, changes classes, or makes another model
 * version current, with ids only:
 *
 *   "labels FIRST LAST"  label (history) rows FIRST..LAST were added
 *   "classes"            the classes changed (added, renamed, merged …)
 *   "model ID"           model version ID is current
 *
 * The labels trigger also gives back the labeling annotator's queue lease
 * on each image (gl-db-lease.h), whoever wrote the label.
 *
 * Triggers on the server send them (gl_db_notify_prepare, made under the
 * schema lock by gl_db_team_prepare), so every writer is covered, old
 * desktops and gleaner-cli included; a notification goes out when its
 * transaction commits and not at all if it rolls back. A SQLite project has
 * one desktop: there gl_db_notify_listen fails with GL_DB_ERROR_INVALID.
 *
 * Threads: a listening connection is a connection of its own, used by one
 * thread (the main loop's, watching its socket). */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_DB_NOTIFY_CHANNEL "gleaner_events"

typedef enum
{
  GL_DB_EVENT_LABELS,  /* first, last: label row ids */
  GL_DB_EVENT_CLASSES, /* first = last = 0 */
  GL_DB_EVENT_MODEL,   /* first = last = the current model version */
} GlDbEventKind;

typedef struct
{
  GlDbEventKind kind;
  gint64 first, last;
} GlDbEvent;

/* Creates or replaces the triggers (PostgreSQL; nothing on SQLite). Inside
 * the caller's transaction. */
gboolean gl_db_notify_prepare (GlDb *db, GError **error);
/* Subscribes @db to the project's events. */
gboolean gl_db_notify_listen (GlDb *db, GError **error);
/* The connection's socket, to watch for input; -1 on SQLite. */
int gl_db_notify_socket (GlDb *db);
/* The events that arrived, oldest first (GlDbEvent; empty when none);
 * payloads that are not Gleaner's are skipped. NULL with @error when the
 * connection broke (the message says so; GL_DB_ERROR_FAILED). */
GArray *gl_db_notify_take (GlDb *db, GError **error);
/* The distinct images of label rows @first..@last, ascending (gint64). */
GArray *gl_db_labeled_images_between (GlDb *db, gint64 first, gint64 last, GError **error);

G_END_DECLS
