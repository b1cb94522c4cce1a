/* gl-db-predictions.c — predictions, the two listing slots, the model swap
 * and the pruning of old versions' predictions. See gl-db.h.
 *
 * The gallery and the queue list images through indexes of the images table
 * on the current model's listing columns (top class, −score, −top
 * probability). There are two sets of these columns, slot 0 (pred_class, ukey,
 * ckey, pmodel) and slot 1 (pred_class1, ukey1, ckey1, pmodel1), each with the
 * same indexes; counters.listing_slot says which one is current, and
 * counters.slot<k>_model which version owns each (-1: none, 0: "no model", -2:
 * being filled). pmodel<k> is the version that wrote the row.
 *
 * A round claims the slot that is not current for its new version before it
 * scores (gl_db_prepare_listing: O(1) when the version has no predictions
 * yet); every gl_db_add_predictions of that version then writes the slot in
 * the same transaction as the predictions. Making the version current
 * (gl_db_set_current_model) clears the rows another version wrote and this
 * one did not (none when it scored every image an older version had: the
 * round scores every readable image) and flips listing_slot in one
 * transaction: O(1) plus those rows. Until that commit the previous version
 * stays current, whole; a kill at any step leaves it so.
 *
 * A version that owns no slot (predictions written first, then made current)
 * is copied into the free slot in chunks sized by time, each its own
 * transaction, as the single listing was before schema 6.
 *
 * Each slot has its own copy of the label (scls, scls1; schema 9), on which
 * its listing indexes that filter on the label are built: a label writes cls
 * and the current slot's copy only (gl-db-labels.c), half the index entries
 * it moved when both slots' indexes were on cls. The other slot's copy falls
 * behind; counters.slot<k>_labels is the last history row slot k's copy has
 * taken in. When a version claims the spare slot (before it is scored) and
 * again before the slot becomes current, sync_slot brings its copy up to
 * date from the history rows after that mark, in chunks; the swap's own
 * transaction takes in the last few. So the swap costs O(1) plus the labels
 * given while the version was scored, like the leftovers.
 *
 * Old versions' predictions (older than both slots' versions and the current
 * one) are deleted by gl_db_prune_predictions in short transactions; the rows
 * of audit and held-out test images stay (they evaluate every version). */
#include "db/gl-db-private.h"

#include <math.h>
#include <string.h>

/* The smallest chunk of the statements over a range of rows; each chunk is
 * a transaction sized by time (GlDbChunker, gl-db-chunk.c), and a label
 * waiting on another connection gets the lock after it. */
#define CHUNK_MIN 500

/* ---- Slots ------------------------------------------------------------- */

/* The identifiers that name slot 0; slot 1's are the same with "1" appended. */
static const char *const slot_names[]
    = { "pred_class",    "ukey",          "ckey",          "pmodel",        "images_u",      "images_c",
        "images_cls_u",  "images_cls_c",  "images_pred",   "images_pred_u", "images_pred_c", "images_pred_n",
        "images_lab_u",  "images_lab_c",  "images_dis",    "images_dis_u",  "images_dis_c",  "images_dis_n",
        "images_pm",     "scls" };

char *
gl_db_sql_rename (const char *sql, const char *const *names, gsize n_names, const char *prefix, const char *suffix)
{
  GString *out = g_string_sized_new (strlen (sql) + 16);
  for (const char *p = sql; *p;)
    {
      if (!g_ascii_isalnum (*p) && *p != '_')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      const char *q = p;
      while (*q && (g_ascii_isalnum (*q) || *q == '_'))
        q++;
      gsize n = (gsize) (q - p);
      gboolean named = FALSE;
      for (gsize i = 0; i < n_names && !named; i++)
        named = strlen (names[i]) == n && strncmp (p, names[i], n) == 0;
      if (named)
        g_string_append (out, prefix);
      g_string_append_len (out, p, (gssize) n);
      if (named)
        g_string_append (out, suffix);
      p = q;
    }
  return g_string_free (out, FALSE);
}

char *
gl_db_slot_sql (const char *sql, int slot)
{
  if (slot == 0)
    return g_strdup (sql);
  return gl_db_sql_rename (sql, slot_names, G_N_ELEMENTS (slot_names), "", "1");
}

int
gl_db_listing_slot (GlDb *db)
{
  return gl_db_counter (db, "listing_slot", 0) == 1 ? 1 : 0;
}

static const char *
owner_key (int slot)
{
  return slot == 0 ? "slot0_model" : "slot1_model";
}

/* The slot @model_id owns, or -1. */
static int
slot_of (GlDb *db, gint64 model_id)
{
  for (int k = 0; k < 2; k++)
    if (gl_db_counter (db, owner_key (k), -1) == model_id)
      return k;
  return -1;
}

static gboolean
model_exists (GlDb *db, gint64 model_id, GError **error)
{
  if (gl_db_query_int (db, "SELECT COUNT (*) FROM model_versions WHERE id = ?1", TRUE, model_id, 0) == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no model version %" G_GINT64_FORMAT, model_id);
  return TRUE;
}

/* Runs @sql (slot 0 text) for @slot with ?1..?3 bound to @a, @b, @c. */
static gboolean
slot_exec (GlDb *db, int slot, const char *sql, gint64 a, gint64 b, gint64 c, GError **error, const char *what)
{
  g_autofree char *text = gl_db_slot_sql (sql, slot);
  GlSqlStmt *st = gl_db_stmt (db, text, error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, a);
  gl_sql_bind_int64 (st, 2, b);
  gl_sql_bind_int64 (st, 3, c);
  return gl_db_step_done (db, st, error, what);
}

/* Copies @model's predictions into @slot for images with id in (@from, max],
 * chunk by chunk (NULL where it has none); @progress (a counter name or
 * NULL) records each chunk's end. The last chunk's transaction also runs
 * @finish (NULL: nothing). The commits run with synchronous=NORMAL: a chunk
 * lost to a power failure is redone (the next FULL commit, a label, syncs
 * it anyway). */
typedef gboolean (*FinishFunc) (GlDb *db, gpointer data, GError **error);

static gboolean
fill_slot (GlDb *db, int slot, gint64 model, gint64 from, const char *progress, FinishFunc finish, gpointer data,
           GError **error)
{
  gint64 max_id = gl_db_query_int (db, "SELECT MAX (id) FROM images", FALSE, 0, 0);
  gint64 chunk = CHUNK_MIN;
  GlDbChunker chunker;
  gboolean ok = gl_db_chunker_init (&chunker, db, GL_DB_CHUNK_MS, error);
  for (gboolean last = FALSE; ok && !last;)
    {
      if (!gl_db_chunker_begin (&chunker, error))
        {
          ok = FALSE;
          break;
        }
      gint64 to = MIN (from + chunk, max_id);
      last = to >= max_id;
      ok = slot_exec (db, slot,
                      "UPDATE images SET (pred_class, ukey, ckey, pmodel) ="
                      " (SELECT top_class, -score, -top_prob, model_id FROM predictions"
                      "  WHERE model_id = ?1 AND image_id = images.id)"
                      " WHERE id > ?2 AND id <= ?3",
                      model, from, to, error, "cannot update the listing")
           && (progress == NULL || gl_db_set_counter (db, progress, to, error))
           && (!last || finish == NULL || finish (db, data, error)) && gl_db_chunker_commit (&chunker, error);
      chunk = gl_db_chunker_next_rows (&chunker, to - from, CHUNK_MIN);
      from = to;
    }
  gl_db_chunker_finish (&chunker, NULL);
  return ok;
}

static gboolean
finish_legacy (GlDb *db, gpointer data, GError **error)
{
  int slot = gl_db_listing_slot (db);
  gint64 model = gl_db_get_current_model (db);
  return gl_db_set_counter (db, "listing_pending", 0, error)
         && gl_db_set_counter (db, owner_key (slot), model < 0 ? 0 : model, error)
         && (gl_db_counter (db, owner_key (1 - slot), -1) != model
             || gl_db_set_counter (db, owner_key (1 - slot), -1, error));
}

/* A copy into the listing left half done by a build before schema 6 (it
 * copied in place, and the rows it had done carry no stamp of their own):
 * done again from the start on open, in chunks. */
gboolean
gl_db_finish_listing (GlDb *db, GError **error)
{
  return fill_slot (db, gl_db_listing_slot (db), gl_db_get_current_model (db), 0, "listing_next", finish_legacy,
                    NULL, error);
}

typedef struct
{
  int slot;
  gint64 owner;
} Claim;

static gboolean
finish_claim (GlDb *db, gpointer data, GError **error)
{
  const Claim *c = data;
  return gl_db_set_counter (db, owner_key (c->slot), c->owner, error);
}

static gboolean sync_slot (GlDb *db, int slot, GError **error);

/* Makes @owner (a version, or 0 for "no model") the owner of the slot that
 * is not current: at once when it has no predictions yet, else after
 * copying them there (the slot marked -2 meanwhile). */
static gboolean
claim_spare (GlDb *db, gint64 owner, GError **error)
{
  if (slot_of (db, owner) >= 0)
    return TRUE;
  int spare = 1 - gl_db_listing_slot (db);
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean has = owner > 0
                 && gl_db_query_int (db, "SELECT EXISTS (SELECT 1 FROM predictions WHERE model_id = ?1)", TRUE,
                                     owner, 0) != 0;
  gboolean ok = gl_db_set_counter (db, owner_key (spare), has ? -2 : owner, error);
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  Claim c = { spare, owner };
  /* The spare slot's copy of the label takes in the labels given since it
   * was current now, while the new version is scored: the swap then takes
   * in only those given meanwhile. */
  return (!has || fill_slot (db, spare, owner, 0, NULL, finish_claim, &c, error)) && sync_slot (db, spare, error);
}

gboolean
gl_db_prepare_listing (GlDb *db, gint64 model_id, GError **error)
{
  return model_exists (db, model_id, error) && claim_spare (db, model_id, error);
}

static const char *const leftover_sql[]
    = { "SELECT id FROM images INDEXED BY images_pm WHERE pmodel < ?1 LIMIT ?2",
        "SELECT id FROM images INDEXED BY images_pm WHERE pmodel > ?1 LIMIT ?2" };

/* Are there rows in @slot written by another version than @owner? */
static gboolean
has_leftovers (GlDb *db, int slot, gint64 owner)
{
  for (guint i = 0; i < G_N_ELEMENTS (leftover_sql); i++)
    {
      g_autofree char *text = gl_db_slot_sql (leftover_sql[i], slot);
      GlSqlStmt *st = gl_db_stmt (db, text, NULL);
      if (st == NULL)
        return TRUE;
      gl_sql_bind_int64 (st, 1, owner);
      gl_sql_bind_int64 (st, 2, 1);
      gboolean row = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW;
      gl_db_done (st);
      if (row)
        return TRUE;
    }
  return FALSE;
}

/* Clears, chunk by chunk, the rows of @slot another version than @owner
 * wrote (an older version's predictions of images @owner did not score). */
static gboolean
clear_leftovers (GlDb *db, int slot, gint64 owner, GError **error)
{
  gint64 chunk = CHUNK_MIN;
  GlDbChunker chunker;
  gboolean ok = gl_db_chunker_init (&chunker, db, GL_DB_CHUNK_MS, error);
  for (guint i = 0; ok && i < G_N_ELEMENTS (leftover_sql); i++)
    for (;;)
      {
        if (!gl_db_chunker_begin (&chunker, error))
          {
            ok = FALSE;
            break;
          }
        g_autofree char *sql = g_strdup_printf ("UPDATE images SET pred_class = NULL, ukey = NULL, ckey = NULL,"
                                                " pmodel = NULL WHERE id IN (%s)", leftover_sql[i]);
        g_autofree char *text = gl_db_slot_sql (sql, slot);
        GlSqlStmt *st = gl_db_stmt (db, text, error);
        ok = st != NULL;
        if (ok)
          {
            gl_sql_bind_int64 (st, 1, owner);
            gl_sql_bind_int64 (st, 2, chunk);
            ok = gl_db_step_done (db, st, error, "cannot clear the listing");
          }
        gint64 n = ok ? gl_sql_changes (db->conn) : 0;
        if (!ok || !gl_db_chunker_commit (&chunker, error))
          {
            ok = FALSE;
            break;
          }
        if (n < chunk)
          break;
        chunk = gl_db_chunker_next_rows (&chunker, n, CHUNK_MIN);
      }
  gl_db_chunker_finish (&chunker, NULL);
  return ok;
}

static const char *
labels_key (int slot)
{
  return slot == 0 ? "slot0_labels" : "slot1_labels";
}

/* Orders the copy of the labels against label writers. SQLite: its write
 * lock does already. PostgreSQL runs write transactions side by side, and a
 * history row's id is given at its insert, not at its commit: a label with a
 * lower id could commit after a higher one was taken in, behind the mark,
 * and a label could read the slot that a swap is about to leave. SHARE
 * waits for the transactions that inserted history rows and holds off new
 * ones (their insert comes before they read the slot) until this commits. */
static gboolean
lock_labels (GlDb *db, GError **error)
{
  return gl_db_is_sqlite (db) || gl_db_exec (db, "LOCK TABLE labels IN SHARE MODE", error);
}

/* Brings @slot's copy of the label up to date with the history rows after
 * its mark, up to @until rows at a time (0: all that are there), and moves
 * the mark. In the caller's transaction; *@n: the history rows taken in. */
static gboolean
sync_step (GlDb *db, int slot, gint64 until, gint64 *n, GError **error)
{
  *n = 0;
  if (!lock_labels (db, error))
    return FALSE;
  gint64 mark = gl_db_counter (db, labels_key (slot), 0);
  gint64 last = gl_db_query_int (db, "SELECT COALESCE (MAX (id), 0) FROM labels", FALSE, 0, 0);
  if (until > 0)
    last = MIN (last, mark + until);
  *n = last - mark;
  if (last <= mark)
    return TRUE;
  return slot_exec (db, slot,
                    "UPDATE images SET scls = cls WHERE scls <> cls AND id IN"
                    " (SELECT image_id FROM labels WHERE id > ?1 AND id <= ?2 AND origin <> 'reference')",
                    mark, last, 0, error, "cannot bring the listing's labels up to date")
         && gl_db_set_counter (db, labels_key (slot), last, error);
}

/* The copy of the label in @slot (not current) brought up to date in
 * chunks sized by time, each its own transaction; the swap takes in what
 * came after. */
static gboolean
sync_slot (GlDb *db, int slot, GError **error)
{
  gint64 chunk = CHUNK_MIN, n = 0;
  if (gl_db_counter (db, labels_key (slot), 0)
      >= gl_db_query_int (db, "SELECT COALESCE (MAX (id), 0) FROM labels", FALSE, 0, 0))
    return TRUE;
  GlDbChunker chunker;
  gboolean ok = gl_db_chunker_init (&chunker, db, GL_DB_CHUNK_MS, error);
  while (ok)
    {
      if (!gl_db_chunker_begin (&chunker, error))
        {
          ok = FALSE;
          break;
        }
      /* Another writer made it current meanwhile: its copy is up to date. */
      gboolean current = gl_db_listing_slot (db) == slot;
      ok = current || sync_step (db, slot, chunk, &n, error);
      if (!ok || current)
        {
          gl_db_rollback (db);
          break;
        }
      if (!gl_db_chunker_commit (&chunker, error))
        {
          ok = FALSE;
          break;
        }
      if (n < chunk)
        break;
      chunk = gl_db_chunker_next_rows (&chunker, n, CHUNK_MIN);
    }
  gl_db_chunker_finish (&chunker, NULL);
  return ok;
}

/* In the swap's transaction, from the current slot to @slot: @slot's copy
 * takes in the last history rows, and the slot left behind marks where its
 * copy stops. */
static gboolean
switch_labels (GlDb *db, int slot, GError **error)
{
  gint64 n = 0;
  if (gl_db_listing_slot (db) == slot)
    return TRUE;
  return lock_labels (db, error) && sync_step (db, slot, 0, &n, error)
         && gl_db_set_counter (db, labels_key (1 - slot),
                               gl_db_query_int (db, "SELECT COALESCE (MAX (id), 0) FROM labels", FALSE, 0, 0),
                               error);
}

gboolean
gl_db_set_current_model (GlDb *db, gint64 model_id, GError **error)
{
  if (model_id >= 0 && !model_exists (db, model_id, error))
    return FALSE;
  gint64 owner = model_id < 0 ? 0 : model_id;
  if (gl_db_get_current_model (db) == (model_id < 0 ? -1 : model_id) && slot_of (db, owner) == gl_db_listing_slot (db))
    return TRUE;
  if (!claim_spare (db, owner, error))
    return FALSE;
  for (guint tries = 0;; tries++)
    {
      int slot = slot_of (db, owner);
      if (slot < 0)
        return gl_db_fail_with (db, error, GL_DB_ERROR_BUSY,
                                "model version %" G_GINT64_FORMAT " lost its listing to another writer; try again",
                                model_id);
      if (!clear_leftovers (db, slot, owner, error) || (gl_db_listing_slot (db) != slot && !sync_slot (db, slot, error))
          || !gl_db_begin (db, error))
        return FALSE;
      /* Checked again under the write lock: nothing was written there since. */
      gboolean whole = slot_of (db, owner) == slot && !has_leftovers (db, slot, owner);
      gboolean ok = !whole
                    || (switch_labels (db, slot, error) && gl_db_set_counter (db, "listing_slot", slot, error)
                        && gl_db_set_counter (db, "current_model", model_id < 0 ? -1 : model_id, error));
      if (!ok || !gl_db_commit (db, error))
        {
          gl_db_rollback (db);
          return FALSE;
        }
      if (whole)
        return TRUE;
      if (tries >= 3)
        return gl_db_fail_with (db, error, GL_DB_ERROR_BUSY, "the listing keeps changing; try again");
    }
}

/* ---- Predictions ------------------------------------------------------- */

void
gl_db_prediction_clear (GlDbPrediction *prediction)
{
  g_clear_pointer (&prediction->probs, g_free);
  prediction->n_probs = 0;
}

/* The two statements that write a prediction of @model_id: the row, and
 * the listing slot the version owns (NULL: none). */
static gboolean
prediction_statements (GlDb *db, gint64 model_id, GlSqlStmt **st, GlSqlStmt **up, GError **error)
{
  if (!model_exists (db, model_id, error))
    return FALSE;
  int slot = slot_of (db, model_id);
  *st = gl_db_stmt (db, "INSERT INTO predictions (model_id, image_id, top_class,"
                        " top_prob, score, probs) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                        " ON CONFLICT (model_id, image_id) DO UPDATE SET top_class = excluded.top_class,"
                        " top_prob = excluded.top_prob, score = excluded.score, probs = excluded.probs", error);
  g_autofree char *listing = gl_db_slot_sql ("UPDATE images SET pred_class = ?2, ukey = -?3, ckey = -?4, pmodel = ?5"
                                             " WHERE id = ?1", MAX (slot, 0));
  *up = *st != NULL && slot >= 0 ? gl_db_stmt (db, listing, error) : NULL;
  return *st != NULL && (slot < 0 || *up != NULL);
}

static gboolean
write_prediction (GlDb *db, gint64 model_id, GlSqlStmt *st, GlSqlStmt *up, const GlDbPrediction *p,
                  GError **error)
{
  gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, p->image_id);
  gl_db_bind_id (st, 3, p->top_class);
  gl_db_bind_double (st, 4, p->top_prob);
  gl_db_bind_double (st, 5, p->score);
  if (p->probs && p->n_probs)
    gl_sql_bind_blob (st, 6, p->probs, (guint64) p->n_probs * sizeof (float));
  if (!gl_db_step_done (db, st, error, "cannot add a prediction"))
    return FALSE;
  if (up == NULL)
    return TRUE;
  gl_sql_bind_int64 (up, 1, p->image_id);
  gl_db_bind_id (up, 2, p->top_class);
  gl_db_bind_double (up, 3, p->score);
  gl_db_bind_double (up, 4, p->top_prob);
  gl_sql_bind_int64 (up, 5, model_id);
  return gl_db_step_done (db, up, error, "cannot update the listing");
}

gboolean
gl_db_add_predictions (GlDb *db, gint64 model_id, const GlDbPrediction *predictions, guint n, GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  GlSqlStmt *st = NULL, *up = NULL;
  gboolean ok = prediction_statements (db, model_id, &st, &up, error);
  for (guint i = 0; ok && i < n; i++)
    ok = write_prediction (db, model_id, st, up, &predictions[i], error);
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_db_write_predictions (GlDb *db, gint64 model_id, guint64 n, GlDbPredictionFillFunc fill, gpointer user_data,
                         GCancellable *cancellable, GlDbBulkStats *stats, GError **error)
{
  GlDbBulkStats local_stats = { 0 };
  GlDbBulkStats *out = stats != NULL ? stats : &local_stats;
  *out = (GlDbBulkStats){ .head = -1 };
  GlDbChunker chunker;
  gboolean ok = gl_db_chunker_init (&chunker, db, GL_DB_CHUNK_MS, error);
  while (ok && out->done < n)
    {
      if (!gl_db_chunker_begin_unless (&chunker, cancellable, error))
        {
          ok = FALSE;
          break;
        }
      /* The slot is looked up again in each transaction: another writer may
       * have claimed it meanwhile. */
      GlSqlStmt *st = NULL, *up = NULL;
      ok = prediction_statements (db, model_id, &st, &up, error);
      guint64 i = out->done;
      while (ok && i < n)
        {
          GlDbPrediction p = { 0 };
          fill (i, &p, user_data);
          ok = write_prediction (db, model_id, st, up, &p, error);
          i++;
          if (ok && gl_db_chunker_add (&chunker))
            break;
        }
      if (!ok || !gl_db_chunker_commit (&chunker, error))
        {
          ok = FALSE;
          break;
        }
      out->done = i;
    }
  gl_db_chunker_finish (&chunker, out);
  return ok;
}

/* ---- Pruning ----------------------------------------------------------- */

/* The oldest version with predictions that nothing needs whole any more:
 * older than the current version and both slots' versions. -1: none. */
static gint64
prunable_version (GlDb *db)
{
  gint64 keep = G_MAXINT64;
  gint64 ids[] = { gl_db_get_current_model (db), gl_db_counter (db, "slot0_model", -1),
                   gl_db_counter (db, "slot1_model", -1) };
  gboolean any = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (ids[i] > 0)
      {
        keep = MIN (keep, ids[i]);
        any = TRUE;
      }
  if (!any)
    return -1;
  return gl_db_query_int (db, "SELECT id FROM model_versions WHERE id < ?1 AND pruned = 0 ORDER BY id LIMIT 1", TRUE,
                          keep, -1);
}

/* One transaction of pruning: the next @chunk rows of the oldest prunable
 * version (or marks it pruned when none are left). *@idle: nothing to prune. */
static gboolean
prune_step (GlDb *db, GlDbChunker *chunker, gint64 *chunk, gboolean *idle, GError **error)
{
  if (!gl_db_chunker_begin (chunker, error))
    return FALSE;
  gint64 model = prunable_version (db);
  *idle = model <= 0;
  if (*idle)
    {
      gl_db_rollback (db);
      return TRUE;
    }
  gint64 after = gl_db_counter (db, "prune_model", -1) == model ? gl_db_counter (db, "prune_next", 0) : 0;
  /* The next @chunk rows of @model from @after on; the rows of audit and
   * held-out images stay. */
  GlSqlStmt *st = gl_db_stmt (db, "SELECT MAX (image_id) FROM (SELECT image_id FROM predictions"
                                  " WHERE model_id = ?1 AND image_id > ?2 ORDER BY image_id LIMIT ?3) AS chunk", error);
  gboolean ok = st != NULL;
  gint64 last = after, n = 0;
  if (ok)
    {
      gl_sql_bind_int64 (st, 1, model);
      gl_sql_bind_int64 (st, 2, after);
      gl_sql_bind_int64 (st, 3, *chunk);
      if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW && !gl_sql_column_is_null (st, 0))
        last = gl_sql_column_int64 (st, 0);
      gl_db_done (st);
    }
  if (ok && last == after)
    {
      /* None left after @after: the version is done. */
      ok = (st = gl_db_stmt (db, "UPDATE model_versions SET pruned = 1 WHERE id = ?1", error)) != NULL;
      if (ok)
        {
          gl_sql_bind_int64 (st, 1, model);
          ok = gl_db_step_done (db, st, error, "cannot prune predictions");
        }
    }
  else if (ok)
    {
      st = gl_db_stmt (db, "DELETE FROM predictions WHERE model_id = ?1 AND image_id > ?2 AND image_id <= ?3"
                           " AND image_id NOT IN (SELECT image_id FROM audit_images)"
                           " AND image_id NOT IN (SELECT id FROM images INDEXED BY images_held"
                           "   WHERE held_out = 1 AND id > ?2 AND id <= ?3)", error);
      ok = st != NULL;
      if (ok)
        {
          gl_sql_bind_int64 (st, 1, model);
          gl_sql_bind_int64 (st, 2, after);
          gl_sql_bind_int64 (st, 3, last);
          ok = gl_db_step_done (db, st, error, "cannot prune predictions");
          n = gl_sql_changes (db->conn);
        }
      ok = ok && gl_db_set_counter (db, "prune_model", model, error)
           && gl_db_set_counter (db, "prune_next", last, error);
    }
  if (!ok || !gl_db_chunker_commit (chunker, error))
    return FALSE;
  if (n > 0)
    *chunk = gl_db_chunker_next_rows (chunker, MAX (n, *chunk), CHUNK_MIN);
  return TRUE;
}

gboolean
gl_db_prune_predictions (GlDb *db, guint budget_ms, gboolean *more, GError **error)
{
  gint64 start = g_get_monotonic_time ();
  gint64 chunk = CHUNK_MIN;
  if (more)
    *more = FALSE;
  GlDbChunker chunker;
  gboolean ok = gl_db_chunker_init (&chunker, db, GL_DB_CHUNK_MS, error), idle = FALSE;
  while (ok && !idle)
    {
      if ((g_get_monotonic_time () - start) / 1000 >= (gint64) budget_ms)
        {
          if (more)
            *more = prunable_version (db) > 0;
          break;
        }
      ok = prune_step (db, &chunker, &chunk, &idle, error);
    }
  gl_db_chunker_finish (&chunker, NULL);
  return ok;
}
