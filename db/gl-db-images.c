/* gl-db-images.c — import batches, images, counts and the keyset-paged
 * gallery listing. See gl-db.h. */
#include "db/gl-db-private.h"

#include <math.h>
#include <string.h>

/* ---- Batches ----------------------------------------------------------- */

gboolean
gl_db_begin_batch (GlDb *db, const char *source, GlDbOrigin labels_origin, gboolean held_out_test,
                   gint64 *batch_id, GError **error)
{
  if (labels_origin != GL_DB_ORIGIN_HUMAN && labels_origin != GL_DB_ORIGIN_REFERENCE)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "imported labels are human or reference labels");
  GlSqlStmt *st = gl_db_stmt_insert (db, "INSERT INTO import_batches (source, labels_as, held_out_test, created_us)"
                                         " VALUES (?1, ?2, ?3, ?4)", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, source ? source : "");
  gl_sql_bind_text (st, 2, gl_db_origin_sql (labels_origin));
  gl_sql_bind_int64 (st, 3, held_out_test ? 1 : 0);
  gl_sql_bind_int64 (st, 4, g_get_real_time ());
  gint64 id = gl_db_step_id (db, st, error, "cannot start an import batch");
  if (id < 0)
    return FALSE;
  if (batch_id)
    *batch_id = id;
  return TRUE;
}

gboolean
gl_db_set_batch_duplicates (GlDb *db, gint64 batch_id, guint64 duplicates, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE import_batches SET duplicates = ?2 WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, batch_id);
  gl_sql_bind_int64 (st, 2, (gint64) duplicates);
  if (!gl_db_step_done (db, st, error, "cannot update an import batch"))
    return FALSE;
  if (gl_sql_changes (db->conn) == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no import batch %" G_GINT64_FORMAT, batch_id);
  return TRUE;
}

static void
batch_clear (gpointer p)
{
  g_free (((GlDbBatch *) p)->source);
}

static void
read_batch (GlSqlStmt *st, gpointer element)
{
  *(GlDbBatch *) element = (GlDbBatch) { gl_sql_column_int64 (st, 0),
                                         gl_db_column_dup (st, 1),
                                         gl_db_origin_from_sql (gl_sql_column_text (st, 2)),
                                         gl_sql_column_int64 (st, 3) != 0,
                                         (guint64) gl_sql_column_int64 (st, 4),
                                         gl_sql_column_int64 (st, 5) };
}

GArray *
gl_db_list_batches (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id, source, labels_as, held_out_test, duplicates, created_us"
                                  " FROM import_batches ORDER BY id", error);
  if (st == NULL)
    return NULL;
  return gl_db_collect (db, st, sizeof (GlDbBatch), batch_clear, read_batch, "cannot list import batches", error);
}

/* ---- Images ------------------------------------------------------------ */

gboolean
gl_db_add_images (GlDb *db, gint64 batch_id, const GlDbNewImage *images, guint n, gint64 *ids,
                  gboolean *classes_added, GError **error)
{
  if (classes_added)
    *classes_added = FALSE;
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = TRUE, created = FALSE;
  GlDbOrigin origin = GL_DB_ORIGIN_HUMAN;
  int held_out = 0;
  GlSqlStmt *st = gl_db_stmt (db, "SELECT labels_as, held_out_test FROM import_batches WHERE id = ?1", error);
  if (st == NULL)
    ok = FALSE;
  else
    {
      gl_sql_bind_int64 (st, 1, batch_id);
      int rc = gl_sql_step (st, NULL);
      if (rc == GL_SQL_STEP_ROW)
        {
          origin = gl_db_origin_from_sql (gl_sql_column_text (st, 0));
          held_out = (int) gl_sql_column_int64 (st, 1);
        }
      else
        ok = rc == GL_SQL_STEP_DONE ? gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND,
                                                  "no import batch %" G_GINT64_FORMAT, batch_id)
                               : gl_db_fail (db, error, "cannot read an import batch");
      gl_db_done (st);
    }
  GlSqlStmt *st_bad = ok ? gl_db_stmt (db, "SELECT 1 FROM images WHERE path = ?1 AND reason IS NOT NULL", error)
                            : NULL;
  GlSqlStmt *st_add = ok && st_bad ? gl_db_stmt_insert (db, "INSERT INTO images (path, hash, size, batch_id,"
                                                            " cache_row, reason, created_us, held_out, cls,"
                                                            " scls, scls1) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                                                            " ?8, ?9, ?9, ?9)"
                                                            " ON CONFLICT DO NOTHING", error)
                            : NULL;
  ok = ok && st_bad != NULL && st_add != NULL;
  gint64 now = g_get_real_time ();
  for (guint i = 0; ok && i < n; i++)
    {
      const GlDbNewImage *r = &images[i];
      if (ids)
        ids[i] = -1;
      if (r->path == NULL || !g_utf8_validate (r->path, -1, NULL))
        {
          ok = gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "an image path must be UTF-8 text");
          break;
        }
      if (r->reason != NULL)
        {
          /* A bad file met again (the same folder imported twice) is recorded once. */
          gl_sql_bind_text (st_bad, 1, r->path);
          gboolean known = gl_sql_step (st_bad, NULL) == GL_SQL_STEP_ROW;
          gl_db_done (st_bad);
          if (known)
            continue;
        }
      gl_sql_bind_text (st_add, 1, r->path);
      if (r->hash_hex && r->reason == NULL)
        gl_sql_bind_text (st_add, 2, r->hash_hex);
      gl_sql_bind_int64 (st_add, 3, (gint64) r->size_bytes);
      gl_sql_bind_int64 (st_add, 4, batch_id);
      if (r->reason == NULL)
        gl_db_bind_id (st_add, 5, r->cache_row);
      else
        gl_sql_bind_text (st_add, 6, r->reason);
      gl_sql_bind_int64 (st_add, 7, now);
      gl_sql_bind_int64 (st_add, 8, held_out);
      gl_sql_bind_int64 (st_add, 9, r->reason ? -2 : -1);
      gint64 image_id = gl_db_step_id (db, st_add, error, "cannot add an image");
      if (image_id < 0)
        {
          ok = FALSE;
          break;
        }
      /* No row: the content is there already (maybe added by another process meanwhile). */
      if (image_id == 0)
        continue;
      if (ids)
        ids[i] = image_id;
      if (r->label == NULL || r->reason != NULL)
        continue;
      gint64 cid = gl_db_class_for_name (db, r->label, &created, error);
      ok = cid > 0
           && gl_db_append_label (db, image_id, cid, origin, "import", GL_DB_LABEL_SET, -1, -1, now, NULL, error);
    }
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      if (ids)
        for (guint i = 0; i < n; i++)
          ids[i] = -1;
      return FALSE;
    }
  if (classes_added)
    *classes_added = created;
  return TRUE;
}

gboolean
gl_db_has_hash (GlDb *db, const char *hash_hex)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT 1 FROM images WHERE hash = ?1", NULL);
  if (st == NULL || hash_hex == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, hash_hex);
  gboolean found = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW;
  gl_db_done (st);
  return found;
}

void
gl_db_image_clear (GlDbImage *image)
{
  g_clear_pointer (&image->path, g_free);
  g_clear_pointer (&image->hash_hex, g_free);
  g_clear_pointer (&image->reason, g_free);
}

gboolean
gl_db_get_image (GlDb *db, gint64 image_id, GlDbImage *out, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id, path, hash, size, batch_id, cache_row, reason, held_out,"
                                  " created_us FROM images WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    {
      out->id = gl_sql_column_int64 (st, 0);
      out->path = gl_db_column_dup (st, 1);
      out->hash_hex = gl_db_column_dup (st, 2);
      out->size_bytes = (guint64) gl_sql_column_int64 (st, 3);
      out->batch_id = gl_sql_column_int64 (st, 4);
      out->cache_row = gl_db_column_id (st, 5);
      out->reason = gl_db_column_dup (st, 6);
      out->held_out_test = gl_sql_column_int64 (st, 7) != 0;
      out->created_us = gl_sql_column_int64 (st, 8);
    }
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    return TRUE;
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read an image");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no image with id %" G_GINT64_FORMAT, image_id);
}

gboolean
gl_db_find_image_by_path (GlDb *db, const char *path, gint64 *image_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id FROM images WHERE path = ?1 ORDER BY id LIMIT 1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, path ? path : "");
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW && image_id)
    *image_id = gl_sql_column_int64 (st, 0);
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    return TRUE;
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot find an image");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no image with path “%s”", path ? path : "");
}

gboolean
gl_db_lookup_image (GlDb *db, const char *text, gint64 *image_id, GError **error)
{
  guint64 id;
  if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL)
      && gl_db_query_int (db, "SELECT id FROM images WHERE id = ?1", TRUE, (gint64) id, -1) == (gint64) id)
    {
      if (image_id)
        *image_id = (gint64) id;
      return TRUE;
    }
  if (gl_db_find_image_by_path (db, text, image_id, NULL))
    return TRUE;
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no image “%s” (neither an image id nor a path)",
                          text ? text : "");
}

/* The number of images in O(log n): rows of images are never deleted (no
 * call removes one; unreadable files stay as rows) and their ids are rowids
 * given by SQLite (MAX + 1; INSERT OR IGNORE and rolled-back batches use
 * none), so the ids are 1…N. COUNT (*) walked every row (tens of ms at
 * 1,000,000 images). Not so on PostgreSQL: an identity value is used up by
 * an insert that conflicts or rolls back, so the ids have gaps and it
 * counts the rows. */
#define COUNT_ALL_SQL "SELECT COALESCE (MAX (id), 0) FROM images"
#define COUNT_ALL_SQL_PG "SELECT COUNT (*) FROM images"

gboolean
gl_db_get_counts (GlDb *db, GlDbCounts *out, GError **error)
{
  memset (out, 0, sizeof *out);
  const char *const sql[] = {
    gl_db_is_sqlite (db) ? COUNT_ALL_SQL : COUNT_ALL_SQL_PG,
    "SELECT COUNT (*) FROM images WHERE cls = -2",
    "SELECT COALESCE (SUM (duplicates), 0) FROM import_batches",
    "SELECT COUNT (*) FROM images WHERE cls > 0",
    "SELECT COUNT (*) FROM images WHERE ref_class IS NOT NULL",
    "SELECT COUNT (*) FROM images WHERE held_out = 1 AND cls <> -2",
    "SELECT COUNT (*) FROM skips WHERE expires_seq > (SELECT value FROM counters WHERE name = 'label_seq')",
  };
  guint64 *dst[] = { &out->images, &out->unreadable, &out->duplicates, &out->labeled, &out->reference_labeled,
                     &out->held_out_test, &out->skipped };
  /* One read transaction: the figures agree with each other. */
  if (!gl_db_exec (db, "BEGIN", error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (sql); i++)
    {
      GlSqlStmt *st = gl_db_stmt (db, sql[i], error);
      if (st == NULL)
        {
          gl_db_rollback (db);
          return FALSE;
        }
      int rc = gl_sql_step (st, NULL);
      if (rc == GL_SQL_STEP_ROW)
        *dst[i] = (guint64) gl_sql_column_int64 (st, 0);
      gl_db_done (st);
      if (rc != GL_SQL_STEP_ROW)
        {
          gl_db_fail (db, error, "cannot count images");
          gl_db_rollback (db);
          return FALSE;
        }
    }
  gl_db_rollback (db);
  out->readable = out->images - out->unreadable;
  return TRUE;
}

GArray *
gl_db_list_cache_rows (GlDb *db, int held_out, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT cache_row FROM images WHERE cls <> -2 AND cache_row IS NOT NULL"
                                  " AND (?1 < 0 OR held_out = ?1) ORDER BY id", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, held_out);
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      gint64 r = gl_sql_column_int64 (st, 0);
      g_array_append_val (rows, r);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    {
      g_array_unref (rows);
      gl_db_fail (db, error, "cannot list images");
      return NULL;
    }
  return rows;
}

/* ---- Listing ----------------------------------------------------------- */

struct _GlDbCursor
{
  GlDbSort sort;
  int phase;  /* 0: rows with a sort key; 1: rows without one (by id) */
  double key; /* ukey / ckey of the last row (phase 0) */
  char *text; /* path of the last row (name sort) */
  gint64 id;  /* id of the last row */
};

GlDbCursor *
gl_db_cursor_copy (const GlDbCursor *cursor)
{
  if (cursor == NULL)
    return NULL;
  GlDbCursor *c = g_memdup2 (cursor, sizeof *cursor);
  c->text = g_strdup (cursor->text);
  return c;
}

void
gl_db_cursor_free (GlDbCursor *cursor)
{
  if (cursor == NULL)
    return;
  g_free (cursor->text);
  g_free (cursor);
}

static void
list_row_clear (gpointer p)
{
  GlDbListRow *r = p;
  g_free (r->path);
  g_free (r->hash_hex);
}

/* The current model version (gl_db_get_current_model). */
#define CURRENT_MODEL_SQL "(SELECT value FROM counters WHERE name = 'current_model')"

/* A suspected label error of the current version: the same rule as
 * gl_db_list_label_errors (gl-db-label-errors.c), checked per labeled row
 * (primary-key lookups). */
#define SUSPECTED_SQL                                                                                        \
  "cls > 0 AND EXISTS (SELECT 1 FROM label_errors e JOIN label_error_runs r ON r.model_id = e.model_id"      \
  " WHERE e.model_id = " CURRENT_MODEL_SQL " AND e.image_id = images.id AND e.flagged = 1"                   \
  " AND e.given_class = images.cls AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.image_id = images.id"      \
  " AND l.id > r.last_label_id AND l.origin = 'review'))"

/* The WHERE term of a filter (?3 = its class) and the index prefix that
 * serves it; constant text only. */
static gboolean
filter_sql (GlDb *db, const GlDbFilter *filter, const char **where, const char **index, GError **error)
{
  switch (filter->kind)
    {
    case GL_DB_FILTER_ALL:
      *where = "1 = 1";
      *index = "";
      return TRUE;
    case GL_DB_FILTER_UNLABELED:
      *where = "cls = -1";
      *index = "cls";
      return TRUE;
    case GL_DB_FILTER_LABELED:
      *where = "cls > 0";
      *index = "lab";
      return TRUE;
    case GL_DB_FILTER_CLASS:
      *where = "cls = ?3";
      *index = "cls";
      return TRUE;
    case GL_DB_FILTER_PREDICTED:
      *where = "pred_class = ?3";
      *index = "pred";
      return TRUE;
    case GL_DB_FILTER_DISAGREEMENT:
      *where = "cls > 0 AND pred_class <> cls";
      *index = "dis";
      return TRUE;
    case GL_DB_FILTER_UNREADABLE:
      *where = "cls = -2";
      *index = "cls";
      return TRUE;
    case GL_DB_FILTER_CONFUSION:
      /* The label's index, then the prediction checked per row: one class's
       * rows at most per page. */
      *where = "cls = ?3 AND pred_class = ?5";
      *index = "cls";
      return TRUE;
    case GL_DB_FILTER_SUSPECTED:
      *where = SUSPECTED_SQL;
      *index = "lab";
      return TRUE;
    case GL_DB_FILTER_PREDICTED_RANGE:
      /* The prediction's index, the id range checked per row (an import
       * batch or a drift window: its images are listed together). */
      *where = "pred_class = ?3 AND id BETWEEN ?6 AND ?7";
      *index = "pred";
      return TRUE;
    default:
      return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "unknown filter %d", filter->kind);
    }
}

/* Binds the classes of @filter: ?3 the class, ?5 the predicted class, ?6
 * and ?7 the image id range. */
static void
bind_filter (GlSqlStmt *st, const GlDbFilter *filter)
{
  if (filter->kind == GL_DB_FILTER_CLASS || filter->kind == GL_DB_FILTER_PREDICTED
      || filter->kind == GL_DB_FILTER_CONFUSION || filter->kind == GL_DB_FILTER_PREDICTED_RANGE)
    gl_sql_bind_int64 (st, 3, filter->class_id);
  if (filter->kind == GL_DB_FILTER_CONFUSION)
    gl_sql_bind_int64 (st, 5, filter->predicted_class);
  if (filter->kind == GL_DB_FILTER_PREDICTED_RANGE)
    {
      gl_sql_bind_int64 (st, 6, filter->first_image);
      gl_sql_bind_int64 (st, 7, filter->last_image);
    }
}

#define ROW_COLUMNS "id, path, hash, cache_row, cls, pred_class, ckey, ukey, reason IS NOT NULL"

/* GL_DB_SORT_DISAGREEMENT: phase 0 walks the current version's label-error
 * rows by −score (the key, column 9), phase 1 the images without one by id. */
static char *
disagreement_sql (const char *where, int phase)
{
  if (phase == 0)
    return g_strdup_printf ("SELECT " ROW_COLUMNS ", -e.score FROM label_errors e JOIN images ON images.id = e.image_id"
                            " WHERE e.model_id = " CURRENT_MODEL_SQL " AND %s AND (-e.score, id) > (?1, ?2)"
                            " ORDER BY -e.score, id LIMIT ?4", where);
  return g_strdup_printf ("SELECT " ROW_COLUMNS " FROM images WHERE %s AND id > ?2 AND NOT EXISTS"
                          " (SELECT 1 FROM label_errors e WHERE e.model_id = " CURRENT_MODEL_SQL
                          " AND e.image_id = images.id) ORDER BY id LIMIT ?4", where);
}

/* @where with the label (cls) read from the listing slot's copy (scls,
 * schema 9): the indexes of a slot that filter on the label are built on
 * it, and the current slot's copy always equals cls. */
static char *
slot_label_where (const char *where)
{
  static const char *const label[] = { "cls" };
  return gl_db_sql_rename (where, label, G_N_ELEMENTS (label), "s", "");
}

/* Whether the index images_<index>_<sort> belongs to a listing slot and
 * filters on its copy of the label: the label's indexes sorted by a model's
 * key, and every disagreement index. */
static gboolean
on_slot_label (const char *index, GlDbSort sort)
{
  if (g_str_equal (index, "dis"))
    return TRUE;
  return (sort == GL_DB_SORT_UNCERTAINTY || sort == GL_DB_SORT_CONFIDENCE)
         && (g_str_equal (index, "cls") || g_str_equal (index, "lab"));
}

/* The page query for (filter, sort, phase). ?1 key, ?2 id, ?3 class, ?4 limit. */
static char *
page_sql (const char *filter_where, const char *index, GlDbSort sort, int phase)
{
  if (sort == GL_DB_SORT_DISAGREEMENT)
    return disagreement_sql (filter_where, phase);
  g_autofree char *where = on_slot_label (index, sort) ? slot_label_where (filter_where) : g_strdup (filter_where);
  /* Index names: images_<prefix>_<u|c|n> and images_<prefix> for id order;
   * the unfiltered listing uses images_u, images_c, images_path and the rowid. */
  const char *col = sort == GL_DB_SORT_UNCERTAINTY ? "ukey" : "ckey";
  const char *suffix = sort == GL_DB_SORT_UNCERTAINTY ? "u" : sort == GL_DB_SORT_CONFIDENCE ? "c" : "n";
  g_autofree char *idx = NULL;
  if (sort == GL_DB_SORT_NEWEST)
    idx = index[0] ? g_strdup_printf ("INDEXED BY images_%s", index) : g_strdup ("NOT INDEXED");
  else if (sort == GL_DB_SORT_NAME && index[0] == '\0')
    idx = g_strdup ("INDEXED BY images_path");
  else
    idx = g_strdup_printf ("INDEXED BY images_%s%s%s", index, index[0] ? "_" : "", suffix);
  switch (sort)
    {
    case GL_DB_SORT_NEWEST:
      return g_strdup_printf ("SELECT " ROW_COLUMNS " FROM images %s WHERE %s AND id < ?2"
                              " ORDER BY id DESC LIMIT ?4", idx, where);
    case GL_DB_SORT_NAME:
      return g_strdup_printf ("SELECT " ROW_COLUMNS " FROM images %s WHERE %s AND (path, id) > (?1, ?2)"
                              " ORDER BY path, id LIMIT ?4", idx, where);
    case GL_DB_SORT_UNCERTAINTY:
    case GL_DB_SORT_CONFIDENCE:
    default:
      if (phase == 0)
        return g_strdup_printf ("SELECT " ROW_COLUMNS " FROM images %s WHERE %s AND (%s, id) > (?1, ?2)"
                                " ORDER BY %s, id LIMIT ?4", idx, where, col, col);
      return g_strdup_printf ("SELECT " ROW_COLUMNS " FROM images %s WHERE %s AND %s IS NULL AND id > ?2"
                              " ORDER BY id LIMIT ?4", idx, where, col);
    }
}

char *
gl_db_listing_sql (const GlDbFilter *filter, GlDbSort sort, int phase)
{
  GlDb dummy = { .path = (char *) "" };
  const char *where = NULL, *index = NULL;
  if (!filter_sql (&dummy, filter, &where, &index, NULL))
    return NULL;
  return page_sql (where, index, sort, phase);
}

gboolean
gl_db_list_images (GlDb *db, const GlDbFilter *filter, GlDbSort sort, const GlDbCursor *after, guint limit,
                   GArray **rows, GlDbCursor **next, GError **error)
{
  const char *where = NULL, *index = NULL;
  *rows = NULL;
  *next = NULL;
  if (!filter_sql (db, filter, &where, &index, error))
    return FALSE;
  if (sort > GL_DB_SORT_DISAGREEMENT)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "unknown sort %d", sort);
  if (after != NULL && after->sort != sort)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "the cursor belongs to another sort order");
  gboolean keyed = sort == GL_DB_SORT_UNCERTAINTY || sort == GL_DB_SORT_CONFIDENCE || sort == GL_DB_SORT_DISAGREEMENT;
  /* The current model's listing columns (gl-db-predictions.c). */
  int slot = gl_db_listing_slot (db);
  GlDbCursor cur = { sort, 0, -INFINITY, NULL, sort == GL_DB_SORT_NEWEST ? G_MAXINT64 : 0 };
  if (after != NULL)
    cur = *after;
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (GlDbListRow));
  g_array_set_clear_func (out, list_row_clear);
  g_autofree char *last_text = NULL;
  double last_key = cur.key;
  gint64 last_id = cur.id;
  int phase = cur.phase;
  /* Phase 0 then, for keyed sorts, phase 1 in the same call when phase 0 ran out. */
  while (out->len < limit)
    {
      g_autofree char *sql0 = page_sql (where, index, sort, phase);
      g_autofree char *sql = gl_db_slot_sql (sql0, slot);
      GlSqlStmt *st = gl_db_stmt (db, sql, error);
      if (st == NULL)
        return FALSE;
      /* A copy: last_text moves on while the rows are read. */
      g_autofree char *key_text = sort == GL_DB_SORT_NAME ? g_strdup (last_text ? last_text : cur.text ? cur.text : "")
                                                          : NULL;
      if (sort == GL_DB_SORT_NAME)
        gl_sql_bind_text (st, 1, key_text);
      else
        gl_sql_bind_double (st, 1, last_key);
      gl_sql_bind_int64 (st, 2, last_id);
      bind_filter (st, filter);
      gl_sql_bind_int64 (st, 4, limit - out->len);
      guint got = 0;
      int rc;
      while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
        {
          GlDbListRow r;
          r.image_id = gl_sql_column_int64 (st, 0);
          r.path = gl_db_column_dup (st, 1);
          r.hash_hex = gl_db_column_dup (st, 2);
          r.cache_row = gl_db_column_id (st, 3);
          gint64 cls = gl_sql_column_int64 (st, 4);
          r.class_id = cls > 0 ? cls : -1;
          r.predicted_class = gl_db_column_id (st, 5);
          r.confidence = -gl_db_column_double (st, 6);
          r.score = -gl_db_column_double (st, 7);
          r.unreadable = gl_sql_column_int64 (st, 8) != 0;
          g_array_append_val (out, r);
          got++;
          last_id = r.image_id;
          if (sort == GL_DB_SORT_NAME)
            {
              g_free (last_text);
              last_text = g_strdup (r.path);
            }
          else if (keyed && phase == 0)
            last_key = sort == GL_DB_SORT_DISAGREEMENT ? gl_sql_column_double (st, 9)
                       : sort == GL_DB_SORT_UNCERTAINTY ? -r.score : -r.confidence;
        }
      gl_db_done (st);
      if (rc != GL_SQL_STEP_DONE)
        return gl_db_fail (db, error, "cannot list images");
      if (out->len >= limit)
        break;
      /* This phase ran out. */
      if (keyed && phase == 0)
        {
          phase = 1;
          last_id = 0;
          continue;
        }
      /* The end of the listing. */
      *rows = g_steal_pointer (&out);
      return TRUE;
    }
  GlDbCursor *c = g_new0 (GlDbCursor, 1);
  c->sort = sort;
  c->phase = phase;
  c->key = last_key;
  c->text = g_steal_pointer (&last_text);
  if (c->text == NULL && cur.text)
    c->text = g_strdup (cur.text);
  c->id = last_id;
  *next = c;
  *rows = g_steal_pointer (&out);
  return TRUE;
}

gboolean
gl_db_count_images (GlDb *db, const GlDbFilter *filter, guint64 *count, GError **error)
{
  const char *where = NULL, *index = NULL;
  if (!filter_sql (db, filter, &where, &index, error))
    return FALSE;
  const char *count_all = gl_db_is_sqlite (db) ? COUNT_ALL_SQL : COUNT_ALL_SQL_PG;
  g_autofree char *sql0 = filter->kind == GL_DB_FILTER_ALL ? g_strdup (count_all)
                                                           : g_strdup_printf ("SELECT COUNT (*) FROM images WHERE %s", where);
  g_autofree char *sql = gl_db_slot_sql (sql0, gl_db_listing_slot (db));
  GlSqlStmt *st = gl_db_stmt (db, sql, error);
  if (st == NULL)
    return FALSE;
  bind_filter (st, filter);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    *count = (guint64) gl_sql_column_int64 (st, 0);
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW)
    return gl_db_fail (db, error, "cannot count images");
  return TRUE;
}
