/* gl-drift-status.c — see gl-drift-status.h. */
#include "app/gl-drift-status.h"

GlDriftStatus *
gl_drift_status_ref (GlDriftStatus *status)
{
  g_atomic_int_inc (&status->ref_count);
  return status;
}

void
gl_drift_status_unref (GlDriftStatus *status)
{
  if (status == NULL || !g_atomic_int_dec_and_test (&status->ref_count))
    return;
  gl_drift_auto_state_clear (&status->state);
  g_free (status);
}

/* The task data of both: the store's path, owned; set on the caller's thread,
 * then read by the worker only. */

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (task_data, &error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  GlDriftStatus *status = g_new0 (GlDriftStatus, 1);
  status->ref_count = 1;
  if (!gl_drift_auto_read_state (db, &status->state, &error)
      || !gl_drift_auto_read_accuracy (db, &status->accuracy, &error))
    {
      gl_drift_status_unref (status);
      g_task_return_error (task, error);
    }
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, status, (GDestroyNotify)gl_drift_status_unref);
  else
    gl_drift_status_unref (status);
}

void
gl_drift_status_load_async (const char *db_path, GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gl_drift_status_load_async);
  g_task_set_task_data (task, g_strdup (db_path), g_free);
  g_task_run_in_thread (task, load_thread);
}

GlDriftStatus *
gl_drift_status_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
boost_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (task_data, &error);
  gint64 action_id = -1;
  if (db == NULL || !gl_drift_auto_start_boost (db, &action_id, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, action_id); /* written: not cancellable any more */
}

void
gl_drift_status_start_boost_async (const char *db_path, GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gl_drift_status_start_boost_async);
  g_task_set_task_data (task, g_strdup (db_path), g_free);
  g_task_run_in_thread (task, boost_thread);
}

gboolean
gl_drift_status_start_boost_finish (GAsyncResult *result, gint64 *action_id, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  if (g_task_had_error (G_TASK (result)))
    {
      g_task_propagate_int (G_TASK (result), error);
      return FALSE;
    }
  gssize id = g_task_propagate_int (G_TASK (result), NULL);
  if (action_id != NULL)
    *action_id = id;
  return TRUE;
}
