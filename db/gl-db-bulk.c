/* gl-db-bulk.c — labeling a selection of any size in chunks that share the
 * write lock. See gl-db.h (gl_db_set_labels_chunked).
 *
 * One transaction for a whole selection held the write lock for 140–235 s
 * at 1,000,000 images, and every label of the Label view waited behind it
 * (past the busy timeout). Here each chunk is its own transaction sized by
 * time (GlDbChunker, gl-db-chunk.c: rows go in until the work and its
 * commit take about GL_DB_BULK_CHUNK_MS), and a label waiting on another
 * connection of the process gets the lock after it. The chunks commit with synchronous=NORMAL: a
 * fsync per chunk was most of a chunk's time, and a chunk lost to a power
 * failure leaves a prefix as a cancel does; the end (done, cancelled or
 * failed) syncs them all before it is reported. Every chunk's rows belong to one
 * action (their action column points at the first chunk's head row), so
 * gl_db_undo_last undoes the whole labeling, or the prefix a cancel or a
 * kill left, in one step. */
#include "db/gl-db-private.h"

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
  GlDbChunker chunker;
  gboolean ok = gl_db_chunker_init (&chunker, db, GL_DB_BULK_CHUNK_MS, error);
  while (ok && out->done < n)
    {
      if (!gl_db_chunker_begin_unless (&chunker, cancellable, error))
        {
          ok = FALSE;
          break;
        }
      guint m = 0;
      guint left = (guint) MIN (n - out->done, (guint64) G_MAXUINT);
      ok = (class_id < 0 || gl_db_class_is_live (db, class_id, error))
           && gl_db_append_labels (db, image_ids + out->done, left, class_id, origin, who, FALSE, &head, &chunker,
                                   &m, error)
           && gl_db_chunker_commit (&chunker, error);
      if (!ok)
        break;
      out->done += m;
      if (out->head < 0)
        out->head = head;
      if (progress != NULL)
        progress (out->done, n, user_data);
    }
  gl_db_chunker_finish (&chunker, out);
  return ok;
}
