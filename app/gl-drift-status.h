/* gl-drift-status.h — the drift state of a project for the window (the
 * banner and the status bar), read and acted on off the main thread.
 *
 * app/gl-drift-auto.h reads the state and starts the drift-boosted queue on
 * a connection of the caller's thread; these wrappers run it on a worker
 * thread with a connection of its own (opened from the store's path) and
 * hand the result back on the caller's main context, so that the main loop
 * never waits for the store.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-drift-auto.h"

G_BEGIN_DECLS

/* What the window shows. Built by a worker, then read-only: any thread may
 * read it; freed with its last reference. */
typedef struct
{
  /*< private >*/
  gint ref_count;
  /*< public >*/
  GlDriftAutoState state;       /* the newest verdict, what persists and hurts, the boost */
  GlDriftAutoAccuracy accuracy; /* the newest batch's estimated accuracy */
} GlDriftStatus;

GlDriftStatus *gl_drift_status_ref (GlDriftStatus *status);
void gl_drift_status_unref (GlDriftStatus *status);

/* gl_drift_auto_read_state and gl_drift_auto_read_accuracy of the store at
 * @db_path on a worker; @callback runs on the caller's thread-default main
 * context. */
void gl_drift_status_load_async (const char *db_path, GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
GlDriftStatus *gl_drift_status_load_finish (GAsyncResult *result, GError **error);

/* gl_drift_auto_start_boost ("Label drifted images") on a worker; the
 * caller's queue then takes the boosted ranking with gl_queue_reload. */
void gl_drift_status_start_boost_async (const char *db_path, GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
/* *@action_id: the action that turned the boost on. */
gboolean gl_drift_status_start_boost_finish (GAsyncResult *result, gint64 *action_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDriftStatus, gl_drift_status_unref)

G_END_DECLS
