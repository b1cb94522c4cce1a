/* gl-db-bulk.c — labeling a selection of any size in chunks that share the
 * write lock. See gl-db.h (gl_db_set_labels_chunked).
 *
 * One transaction for a whole selection held the write lock for 140–235 s
 * at 1,000,000 images, and every label of the Label view waited behind it
 * (past the busy timeout). Here each chunk is its own transaction, sized by
 * the last chunk's rate to hold the lock about CHUNK_MS, with a short pause
 * after it so that a label waiting on another connection gets the lock.
 * Every chunk's rows belong to one action (their action column points at
 * the first chunk's head row), so gl_db_undo_last undoes the whole labeling,
 * or the prefix a cancel or a kill left, in one step. */
#include "db/gl-db-private.h"

#define CHUNK_MS 40.0
#define CHUNK_FIRST 256
#define CHUNK_MAX 65536
#define CHUNK_PAUSE_US 2000

gboolean
gl_db_set_labels_chunked (GlDb *db, const gint64 *image_ids, guint64 n, gint64 class_id, GlDbOrigin origin,
                          const char *annotator, GCancellable *cancellable, GlDbBulkProgressFunc progress,
                          gpointer user_data, GlDbBulkStats *stats, GError **error)
{
  GlDbBulkStats local_stats = { 0 };
  GlDbBulkStats *out = stats != NULL ? stats : &local_stats;
  *out = (GlDbBulkStats){ .head = -1 };
  if (origin < GL_DB_ORIGIN_HUMAN || origin > GL_DB_ORIGIN_REVIEW || origin == GL_DB_ORIGIN_REFERENCE)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a bulk labeling cannot have label origin %d", origin);
  const char *who = gl_db_annotator (db, annotator);
  gint64 head = -1;
  guint chunk = CHUNK_FIRST;
  while (out->done < n)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      guint m = (guint) MIN ((guint64) chunk, n - out->done);
      gint64 t0 = g_get_monotonic_time ();
      if (!gl_db_begin (db, error))
        return FALSE;
      gint64 t_locked = g_get_monotonic_time ();
      gboolean ok = (class_id < 0 || gl_db_class_is_live (db, class_id, error))
                    && gl_db_append_labels (db, image_ids + out->done, m, class_id, origin, who, FALSE, &head, error);
      if (!ok || !gl_db_commit (db, error))
        {
          gl_db_rollback (db);
          return FALSE;
        }
      gint64 t1 = g_get_monotonic_time ();
      out->done += m;
      out->chunks++;
      out->max_hold_us = MAX (out->max_hold_us, t1 - t_locked);
      out->wait_us += t_locked - t0;
      if (out->done == m)
        out->head = head;
      if (progress != NULL)
        progress (out->done, n, user_data);
      /* The next chunk: as many rows as this rate does in CHUNK_MS. */
      double ms = MAX ((t1 - t_locked) / 1000.0, 0.05);
      double next = m * CHUNK_MS / ms;
      chunk = (guint) CLAMP (next, 16.0, MIN ((double) CHUNK_MAX, 2.0 * m));
      if (out->done < n)
        g_usleep (CHUNK_PAUSE_US);
    }
  return TRUE;
}
