/* gl-db-drift-adapt.c — what a drift round reads to weigh the drifted
 * labels. See gl-db-drift-adapt.h. */
#include "db/gl-db-drift-adapt.h"

#include "db/gl-db-private.h"

static void
read_row (GlSqlStmt *st, gpointer element)
{
  *(guint64 *)element = (guint64)gl_sql_column_int64 (st, 0);
}

GArray *
gl_db_list_labeled_candidate_rows (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db,
                                 /* From the candidates (a few windows' worth), not the images. */
                                 "SELECT DISTINCT i.cache_row FROM drift_candidates c"
                                 " JOIN images i ON i.id = c.image_id"
                                 " WHERE i.cls > 0 AND i.cache_row IS NOT NULL ORDER BY i.cache_row",
                                 error);

  if (st == NULL)
    return NULL;
  return gl_db_collect (db, st, sizeof (guint64), NULL, read_row, "cannot list the labeled drift candidates",
                        error);
}

typedef struct
{
  gint64 first, last;
} Range;

static void
read_range (GlSqlStmt *st, gpointer element)
{
  *(Range *)element = (Range){ gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1) };
}

gboolean
gl_db_count_drift_share (GlDb *db, gint64 model_id, guint64 *n_covered, guint64 *n_candidates, GError **error)
{
  /* The ranges in order, merged where they overlap; then the images of each
   * merged range counted on the primary key (windows overlap by half). */
  GlSqlStmt *st = gl_db_stmt (db,
                                 "SELECT first_image, last_image FROM drift"
                                 " WHERE model_id = ?1 AND drifted <> 0 AND first_image IS NOT NULL"
                                 " AND last_image IS NOT NULL ORDER BY first_image, last_image",
                                 error);
  g_autoptr (GArray) ranges = NULL;
  gint64 first = 0, last = -1;

  *n_covered = *n_candidates = 0;
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  ranges = gl_db_collect (db, st, sizeof (Range), NULL, read_range, "cannot list the drifted results", error);
  if (ranges == NULL)
    return FALSE;
  for (guint k = 0; k <= ranges->len; k++)
    {
      const Range *r = k < ranges->len ? &g_array_index (ranges, Range, k) : NULL;

      if (r != NULL && last >= first && r->first <= last + 1)
        {
          last = MAX (last, r->last);
          continue;
        }
      if (last >= first)
        {
          GlSqlStmt *count = gl_db_stmt (db, "SELECT COUNT (*) FROM images WHERE id BETWEEN ?1 AND ?2", error);

          if (count == NULL)
            return FALSE;
          gl_sql_bind_int64 (count, 1, first);
          gl_sql_bind_int64 (count, 2, last);
          GlSqlStep rc = gl_sql_step (count, NULL);
          if (rc == GL_SQL_STEP_ROW)
            *n_covered += (guint64)gl_sql_column_int64 (count, 0);
          gl_db_done (count);
          if (rc != GL_SQL_STEP_ROW)
            return gl_db_fail (db, error, "cannot count the images of the drifted results");
        }
      if (r != NULL)
        first = r->first, last = r->last;
    }
  st = gl_db_stmt (db,
                   "SELECT COUNT (DISTINCT c.image_id) FROM drift_candidates c JOIN drift d ON d.id = c.drift_id"
                   " WHERE d.model_id = ?1 AND d.drifted <> 0",
                   error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, model_id);
  GlSqlStep rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    *n_candidates = (guint64)gl_sql_column_int64 (st, 0);
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW)
    return gl_db_fail (db, error, "cannot count the drift candidates");
  return TRUE;
}
