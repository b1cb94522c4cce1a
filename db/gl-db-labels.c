/* gl-db-labels.c — the append-only label history, undo, skips, rules,
 * suggestions and the labeling queue. See gl-db.h.
 *
 * Undo: a set_label / set_labels call is one action; its first history row
 * is the action's head (action IS NULL), the other rows point at the head.
 * Undo appends, for each image of the newest head of the annotator that no
 * UNDO row points at, a row restoring the newest earlier non-reference row
 * of that image (or no class). */
#include "db/gl-db-private.h"

#include <math.h>
#include <string.h>

/* ---- History ----------------------------------------------------------- */

gboolean
gl_db_append_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin, const char *annotator,
                    GlDbLabelKind kind, gint64 undoes, gint64 action, gint64 now, gint64 *label_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt_insert (db, "INSERT INTO labels (image_id, class_id, origin, created_us, annotator,"
                                         " kind, undoes, action) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  gl_db_bind_id (st, 2, class_id);
  gl_sql_bind_text (st, 3, gl_db_origin_sql (origin));
  gl_sql_bind_int64 (st, 4, now);
  gl_sql_bind_text (st, 5, annotator);
  gl_sql_bind_int64 (st, 6, kind);
  gl_db_bind_id (st, 7, undoes);
  gl_db_bind_id (st, 8, action);
  gint64 id = gl_db_step_id (db, st, error, "cannot add a label");
  if (id < 0)
    return FALSE;
  /* The label and the current listing slot's copy of it (schema 9,
   * gl-db-predictions.c): the other slot's indexes are not touched. */
  static const char *const set_sql[]
      = { "UPDATE images SET cls = COALESCE (?2, -1), scls = COALESCE (?2, -1), label_id = ?3"
          " WHERE id = ?1 AND cls <> -2",
          "UPDATE images SET cls = COALESCE (?2, -1), scls1 = COALESCE (?2, -1), label_id = ?3"
          " WHERE id = ?1 AND cls <> -2" };
  st = gl_db_stmt (db, origin == GL_DB_ORIGIN_REFERENCE
                         ? "UPDATE images SET ref_class = ?2, ref_label_id = ?3 WHERE id = ?1"
                         : set_sql[gl_db_listing_slot (db)],
                   error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  gl_db_bind_id (st, 2, class_id);
  gl_sql_bind_int64 (st, 3, id);
  if (!gl_db_step_done (db, st, error, "cannot update an image"))
    return FALSE;
  if (label_id)
    *label_id = id;
  return TRUE;
}

/* Checks (inside the transaction) that the image can take a label. */
static gboolean
check_image (GlDb *db, gint64 image_id, GError **error)
{
  gint64 cls = gl_db_query_int (db, "SELECT cls FROM images WHERE id = ?1", TRUE, image_id, G_MININT64);
  if (cls == G_MININT64)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no image with id %" G_GINT64_FORMAT, image_id);
  if (cls == -2)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "image %" G_GINT64_FORMAT " is unreadable", image_id);
  return TRUE;
}

static gboolean
bump_label_seq (GlDb *db, guint n, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE counters SET value = value + ?1 WHERE name = 'label_seq'", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, n);
  return gl_db_step_done (db, st, error, "cannot count labels");
}

static gboolean
check_origin (GlDb *db, GlDbOrigin origin, GError **error)
{
  if (origin < GL_DB_ORIGIN_HUMAN || origin > GL_DB_ORIGIN_REVIEW)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "unknown label origin %d", origin);
  return TRUE;
}

gboolean
gl_db_set_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin, const char *annotator,
                 gint64 *label_id, GError **error)
{
  return check_origin (db, origin, error)
         && gl_db_set_labels_full (db, &image_id, 1, class_id, origin, annotator, FALSE, label_id, error);
}

gboolean
gl_db_set_audit_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin, const char *annotator,
                       gint64 *label_id, GError **error)
{
  return check_origin (db, origin, error)
         && gl_db_set_labels_full (db, &image_id, 1, class_id, origin, annotator, TRUE, label_id, error);
}

GArray *
gl_db_list_audit_images (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT image_id FROM audit_images ORDER BY image_id", error);
  if (st == NULL)
    return NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      gint64 id = gl_sql_column_int64 (st, 0);
      g_array_append_val (out, id);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    {
      g_array_unref (out);
      gl_db_fail (db, error, "cannot read the audit images");
      return NULL;
    }
  return out;
}

gboolean
gl_db_set_labels (GlDb *db, const gint64 *image_ids, guint n, gint64 class_id, GlDbOrigin origin,
                  const char *annotator, GError **error)
{
  return check_origin (db, origin, error)
         && gl_db_set_labels_full (db, image_ids, n, class_id, origin, annotator, FALSE, NULL, error);
}

static gboolean
record_audit (GlDb *db, gint64 image_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO audit_images (image_id) VALUES (?1) ON CONFLICT DO NOTHING", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  return gl_db_step_done (db, st, error, "cannot record the audit image");
}

gboolean
gl_db_append_labels (GlDb *db, const gint64 *image_ids, guint n, gint64 class_id, GlDbOrigin origin,
                     const char *who, gboolean audit, gint64 *head, GlDbChunker *chunker, guint *appended,
                     GError **error)
{
  gint64 now = g_get_real_time ();
  gboolean ok = TRUE;
  guint i = 0;
  while (ok && i < n)
    {
      gint64 id = -1;
      ok = check_image (db, image_ids[i], error)
           && gl_db_append_label (db, image_ids[i], class_id < 0 ? -1 : class_id, origin, who, GL_DB_LABEL_SET, -1,
                                  *head, now, &id, error);
      if (ok && *head < 0)
        *head = id;
      if (ok && audit)
        ok = record_audit (db, image_ids[i], error);
      i++;
      if (ok && chunker != NULL && gl_db_chunker_add (chunker))
        break;
    }
  if (ok && origin != GL_DB_ORIGIN_REFERENCE)
    ok = bump_label_seq (db, i, error);
  if (appended != NULL)
    *appended = ok ? i : 0;
  return ok;
}

gboolean
gl_db_set_labels_full (GlDb *db, const gint64 *image_ids, guint n, gint64 class_id, GlDbOrigin origin,
                       const char *annotator, gboolean audit, gint64 *first_label_id, GError **error)
{
  if (n == 0)
    return TRUE;
  if (!gl_db_begin (db, error))
    return FALSE;
  gint64 head = -1;
  gboolean ok = (class_id < 0 || gl_db_class_is_live (db, class_id, error))
                && gl_db_append_labels (db, image_ids, n, class_id, origin, gl_db_annotator (db, annotator), audit,
                                        &head, NULL, NULL, error);
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  if (first_label_id)
    *first_label_id = head;
  return TRUE;
}

gboolean
gl_db_undo_last (GlDb *db, const char *annotator, gint64 *image_id, GError **error)
{
  const char *who = gl_db_annotator (db, annotator);
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = TRUE;
  GlSqlStmt *st = gl_db_stmt (db, "SELECT l.id, l.image_id FROM labels l INDEXED BY labels_undo"
                                  " WHERE l.annotator = ?1 AND l.kind = 0 AND l.action IS NULL"
                                  " AND l.origin <> 'reference'"
                                  " AND NOT EXISTS (SELECT 1 FROM labels u WHERE u.undoes = l.id)"
                                  " ORDER BY l.id DESC LIMIT 1", error);
  gint64 head = -1, first_image = -1;
  if (st == NULL)
    ok = FALSE;
  else
    {
      gl_sql_bind_text (st, 1, who);
      int rc = gl_sql_step (st, NULL);
      if (rc == GL_SQL_STEP_ROW)
        {
          head = gl_sql_column_int64 (st, 0);
          first_image = gl_sql_column_int64 (st, 1);
        }
      else if (rc == GL_SQL_STEP_DONE)
        ok = gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "nothing to undo for “%s”", who);
      else
        ok = gl_db_fail (db, error, "cannot find the last label");
      gl_db_done (st);
    }
  /* The rows of the action: (row id, image id). */
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (gint64) * 2);
  if (ok && (st = gl_db_stmt (db, "SELECT id, image_id FROM labels WHERE id = ?1"
                                  " UNION ALL SELECT id, image_id FROM labels WHERE action = ?1 ORDER BY 1",
                              error)) != NULL)
    {
      gl_sql_bind_int64 (st, 1, head);
      while (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
        {
          gint64 r[2] = { gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1) };
          g_array_append_vals (rows, r, 1);
        }
      gl_db_done (st);
    }
  else
    ok = FALSE;
  gint64 now = g_get_real_time ();
  for (guint i = 0; ok && i < rows->len; i++)
    {
      const gint64 *r = &((const gint64 *) (void *) rows->data)[2 * i];
      st = gl_db_stmt (db, "SELECT class_id, origin FROM labels WHERE image_id = ?1 AND id < ?2"
                           " AND origin <> 'reference' ORDER BY id DESC LIMIT 1", error);
      if (st == NULL)
        {
          ok = FALSE;
          break;
        }
      /* The state before the whole action (an image may appear twice in it). */
      gl_sql_bind_int64 (st, 1, r[1]);
      gl_sql_bind_int64 (st, 2, head);
      gint64 prev = -1;
      GlDbOrigin origin = GL_DB_ORIGIN_HUMAN;
      if (gl_sql_step (st, NULL) == GL_SQL_STEP_ROW)
        {
          prev = gl_db_column_id (st, 0);
          origin = gl_db_origin_from_sql (gl_sql_column_text (st, 1));
        }
      gl_db_done (st);
      /* A class deleted since then: its merge target, or unlabeled. */
      if (prev > 0)
        prev = gl_db_class_resolve (db, prev);
      ok = gl_db_append_label (db, r[1], prev, origin, who, GL_DB_LABEL_UNDO, head, -1, now, NULL, error);
    }
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  if (image_id)
    *image_id = first_image;
  return TRUE;
}

void
gl_db_label_clear (GlDbLabel *label)
{
  g_clear_pointer (&label->annotator, g_free);
}

static void
label_clear (gpointer p)
{
  gl_db_label_clear (p);
}

#define LABEL_COLUMNS "id, image_id, class_id, origin, kind, undoes, annotator, created_us"

static void
read_label (GlSqlStmt *st, gpointer element)
{
  GlDbLabel *l = element;
  l->id = gl_sql_column_int64 (st, 0);
  l->image_id = gl_sql_column_int64 (st, 1);
  l->class_id = gl_db_column_id (st, 2);
  l->origin = gl_db_origin_from_sql (gl_sql_column_text (st, 3));
  l->kind = (GlDbLabelKind) (int) gl_sql_column_int64 (st, 4);
  l->undoes = gl_db_column_id (st, 5);
  l->annotator = gl_db_column_dup (st, 6);
  l->created_us = gl_sql_column_int64 (st, 7);
}

GArray *
gl_db_get_history (GlDb *db, gint64 image_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT " LABEL_COLUMNS " FROM labels WHERE image_id = ?1 ORDER BY id", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, image_id);
  return gl_db_collect (db, st, sizeof (GlDbLabel), label_clear, read_label, "cannot read the label history", error);
}

gboolean
gl_db_get_current_label (GlDb *db, gint64 image_id, gboolean reference, GlDbLabel *out, GError **error)
{
  memset (out, 0, sizeof *out);
  out->id = -1;
  out->image_id = image_id;
  out->class_id = -1;
  out->undoes = -1;
  GlSqlStmt *st = gl_db_stmt (db, reference ? "SELECT ref_label_id FROM images WHERE id = ?1"
                                            : "SELECT label_id FROM images WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  int rc = gl_sql_step (st, NULL);
  gint64 label_id = rc == GL_SQL_STEP_ROW ? gl_db_column_id (st, 0) : -1;
  gl_db_done (st);
  if (rc == GL_SQL_STEP_DONE)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no image with id %" G_GINT64_FORMAT, image_id);
  if (rc != GL_SQL_STEP_ROW)
    return gl_db_fail (db, error, "cannot read an image");
  if (label_id < 0)
    return TRUE;
  st = gl_db_stmt (db, "SELECT " LABEL_COLUMNS " FROM labels WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, label_id);
  rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    read_label (st, out);
  gl_db_done (st);
  if (rc != GL_SQL_STEP_ROW)
    return gl_db_fail (db, error, "cannot read a label");
  return TRUE;
}

gboolean
gl_db_foreach_current_label (GlDb *db, gboolean reference, GlDbCurrentLabelFunc func, gpointer user_data,
                             GError **error)
{
  /* Not cached: the callback may use the other cached statements meanwhile. */
  const char *sql = reference
                      ? "SELECT i.id, i.cache_row, i.ref_class, l.origin, l.annotator, i.path, i.held_out,"
                        " l.created_us FROM images i JOIN labels l ON l.id = i.ref_label_id"
                        " WHERE i.ref_class IS NOT NULL ORDER BY i.id"
                      : "SELECT i.id, i.cache_row, i.cls, l.origin, l.annotator, i.path, i.held_out,"
                        " l.created_us FROM images i INDEXED BY images_lab JOIN labels l ON l.id = i.label_id"
                        " WHERE i.cls > 0 ORDER BY i.id";
  GlSqlStmt *st = gl_db_stmt_own (db, sql, NULL);
  if (st == NULL)
    return gl_db_fail (db, error, "cannot list labels");
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      GlDbCurrentLabel l = {
        gl_sql_column_int64 (st, 0),
        gl_db_column_id (st, 1),
        gl_sql_column_int64 (st, 2),
        gl_db_origin_from_sql (gl_sql_column_text (st, 3)),
        gl_sql_column_text (st, 4),
        gl_sql_column_text (st, 5),
        gl_sql_column_int64 (st, 6) != 0,
        gl_sql_column_int64 (st, 7),
      };
      if (!func (&l, user_data))
        {
          rc = GL_SQL_STEP_DONE;
          break;
        }
    }
  gboolean ok = rc == GL_SQL_STEP_DONE || gl_db_fail (db, error, "cannot list labels");
  gl_sql_finalize (st);
  return ok;
}

/* ---- Skips ------------------------------------------------------------- */

gboolean
gl_db_skip (GlDb *db, gint64 image_id, guint expire_after, GError **error)
{
  if (expire_after == 0)
    expire_after = (guint) CLAMP (gl_db_get_setting_int (db, GL_DB_SETTING_SKIP_EXPIRY, 50), 1, G_MAXINT);
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = check_image (db, image_id, error);
  GlSqlStmt *st = ok ? gl_db_stmt (db, "INSERT INTO skips (image_id, created_us, expires_seq)"
                                       " VALUES (?1, ?2, (SELECT value FROM counters WHERE name = 'label_seq')"
                                       " + ?3) ON CONFLICT (image_id) DO UPDATE SET"
                                       " created_us = excluded.created_us, expires_seq = excluded.expires_seq",
                                       error)
                        : NULL;
  if (st != NULL)
    {
      gl_sql_bind_int64 (st, 1, image_id);
      gl_sql_bind_int64 (st, 2, g_get_real_time ());
      gl_sql_bind_int64 (st, 3, expire_after);
      ok = gl_db_step_done (db, st, error, "cannot record a skip");
    }
  else
    ok = FALSE;
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_db_unskip (GlDb *db, gint64 image_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM skips WHERE image_id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  return gl_db_step_done (db, st, error, "cannot forget a skip");
}

gboolean
gl_db_clear_skips (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM skips", error);
  return st != NULL && gl_db_step_done (db, st, error, "cannot forget skips");
}

gboolean
gl_db_is_skipped (GlDb *db, gint64 image_id)
{
  return gl_db_query_int (db, "SELECT COUNT (*) FROM skips WHERE image_id = ?1"
                              " AND expires_seq > (SELECT value FROM counters WHERE name = 'label_seq')",
                          TRUE, image_id, 0)
         > 0;
}

/* ---- Rules and suggestions --------------------------------------------- */

gboolean
gl_db_add_rule (GlDb *db, const char *glob, gint64 class_id, gint64 *rule_id, GError **error)
{
  if (glob == NULL || glob[0] == '\0' || !g_utf8_validate (glob, -1, NULL))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "a rule needs a non-empty UTF-8 pattern");
  if (!gl_db_begin (db, error))
    return FALSE;
  gboolean ok = gl_db_class_is_live (db, class_id, error);
  gint64 id = -1;
  GlSqlStmt *st = ok ? gl_db_stmt (db, "SELECT 1 FROM rules WHERE glob = ?1", error) : NULL;
  if (st != NULL)
    {
      gl_sql_bind_text (st, 1, glob);
      gboolean dup = gl_sql_step (st, NULL) == GL_SQL_STEP_ROW;
      gl_db_done (st);
      if (dup)
        ok = gl_db_fail_with (db, error, GL_DB_ERROR_EXISTS, "a rule for “%s” exists already", glob);
    }
  else
    ok = FALSE;
  if (ok
      && (st = gl_db_stmt_insert (db, "INSERT INTO rules (glob, class_id, created_us) VALUES (?1, ?2, ?3)", error)))
    {
      gl_sql_bind_text (st, 1, glob);
      gl_sql_bind_int64 (st, 2, class_id);
      gl_sql_bind_int64 (st, 3, g_get_real_time ());
      id = gl_db_step_id (db, st, error, "cannot add a rule");
      ok = id >= 0;
    }
  else
    ok = FALSE;
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  if (rule_id)
    *rule_id = id;
  return TRUE;
}

gboolean
gl_db_delete_rule (GlDb *db, gint64 rule_id, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM rules WHERE id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, rule_id);
  if (!gl_db_step_done (db, st, error, "cannot delete a rule"))
    return FALSE;
  if (gl_sql_changes (db->conn) == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no rule with id %" G_GINT64_FORMAT, rule_id);
  return TRUE;
}

static void
rule_clear (gpointer p)
{
  g_free (((GlDbRule *) p)->glob);
}

static void
read_rule (GlSqlStmt *st, gpointer element)
{
  *(GlDbRule *) element = (GlDbRule) { gl_sql_column_int64 (st, 0), gl_db_column_dup (st, 1),
                                       gl_sql_column_int64 (st, 2), gl_sql_column_int64 (st, 3) };
}

GArray *
gl_db_list_rules (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT id, glob, class_id, created_us FROM rules ORDER BY id", error);
  if (st == NULL)
    return NULL;
  return gl_db_collect (db, st, sizeof (GlDbRule), rule_clear, read_rule, "cannot list rules", error);
}

gboolean
gl_db_replace_suggestions (GlDb *db, const GlDbSuggestion *suggestions, guint n, GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM suggestions", error);
  gboolean ok = st != NULL && gl_db_step_done (db, st, error, "cannot clear suggestions");
  st = ok ? gl_db_stmt (db, "INSERT INTO suggestions (image_id, class_id, rule) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT (image_id) DO UPDATE SET class_id = excluded.class_id, rule = excluded.rule",
                        error)
          : NULL;
  ok = ok && st != NULL;
  for (guint i = 0; ok && i < n; i++)
    {
      gl_sql_bind_int64 (st, 1, suggestions[i].image_id);
      gl_sql_bind_int64 (st, 2, suggestions[i].class_id);
      gl_sql_bind_text (st, 3, suggestions[i].rule ? suggestions[i].rule : "");
      ok = gl_db_step_done (db, st, error, "cannot add a suggestion");
    }
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

void
gl_db_suggestion_clear (GlDbSuggestion *suggestion)
{
  g_clear_pointer (&suggestion->rule, g_free);
}

static void
suggestion_clear (gpointer p)
{
  gl_db_suggestion_clear (p);
}

gboolean
gl_db_get_suggestion (GlDb *db, gint64 image_id, GlDbSuggestion *out, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT image_id, class_id, rule FROM suggestions WHERE image_id = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_int64 (st, 1, image_id);
  int rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    {
      out->image_id = gl_sql_column_int64 (st, 0);
      out->class_id = gl_sql_column_int64 (st, 1);
      out->rule = gl_db_column_dup (st, 2);
    }
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ROW)
    return TRUE;
  if (rc != GL_SQL_STEP_DONE)
    return gl_db_fail (db, error, "cannot read a suggestion");
  return gl_db_fail_with (db, error, GL_DB_ERROR_NOT_FOUND, "no suggestion for image %" G_GINT64_FORMAT, image_id);
}

static void
read_suggestion (GlSqlStmt *st, gpointer element)
{
  *(GlDbSuggestion *) element
      = (GlDbSuggestion) { gl_sql_column_int64 (st, 0), gl_sql_column_int64 (st, 1), gl_db_column_dup (st, 2) };
}

GArray *
gl_db_list_suggestions (GlDb *db, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT s.image_id, s.class_id, s.rule FROM suggestions s"
                                  " JOIN images i ON i.id = s.image_id WHERE i.cls = -1 ORDER BY s.image_id",
                              error);
  if (st == NULL)
    return NULL;
  return gl_db_collect (db, st, sizeof (GlDbSuggestion), suggestion_clear, read_suggestion, "cannot list suggestions",
                        error);
}

/* ---- Queue ------------------------------------------------------------- */

gboolean
gl_db_replace_queue (GlDb *db, const GlDbQueueItem *items, guint n, GError **error)
{
  if (!gl_db_begin (db, error))
    return FALSE;
  GlSqlStmt *st = gl_db_stmt (db, "DELETE FROM queue", error);
  gboolean ok = st != NULL && gl_db_step_done (db, st, error, "cannot clear the queue");
  /* Audit items stay until a label newer than this queue is given to them. */
  gint64 mark = gl_db_query_int (db, "SELECT MAX (id) FROM labels", FALSE, 0, 0);
  ok = ok && gl_db_set_counter (db, "queue_mark", mark, error)
       && gl_db_set_counter (db, "queue_seq", gl_db_counter (db, "queue_seq", 0) + 1, error);
  st = ok ? gl_db_stmt (db, "INSERT INTO queue (position, image_id, reason, score, audit)"
                            " VALUES (?1, ?2, ?3, ?4, ?5)", error)
          : NULL;
  ok = ok && st != NULL;
  for (guint i = 0; ok && i < n; i++)
    {
      gl_sql_bind_int64 (st, 1, i);
      gl_sql_bind_int64 (st, 2, items[i].image_id);
      gl_sql_bind_text (st, 3, items[i].reason ? items[i].reason : "");
      gl_db_bind_double (st, 4, items[i].score);
      gl_sql_bind_int64 (st, 5, items[i].audit ? 1 : 0);
      ok = gl_db_step_done (db, st, error, "cannot write the queue");
    }
  if (!ok || !gl_db_commit (db, error))
    {
      gl_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

static void
queue_item_clear (gpointer p)
{
  g_free (((GlDbQueueItem *) p)->reason);
}

static void
read_queue_item (GlSqlStmt *st, gpointer element)
{
  GlDbQueueItem *q = element;
  q->position = (guint) gl_sql_column_int64 (st, 0);
  q->image_id = gl_sql_column_int64 (st, 1);
  q->reason = gl_db_column_dup (st, 2);
  q->score = gl_db_column_double (st, 3);
  q->audit = gl_sql_column_int64 (st, 4) != 0;
}

GArray *
gl_db_read_queue (GlDb *db, guint limit, GError **error)
{
  return gl_db_read_queue_after (db, -1, limit, error);
}

GArray *
gl_db_read_queue_after (GlDb *db, gint64 after_position, guint limit, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (
   db,
   "SELECT q.position, q.image_id, q.reason, q.score, q.audit FROM queue q JOIN images i ON i.id = q.image_id"
   " WHERE q.position > ?2 AND (i.cls = -1 OR (q.audit = 1 AND i.cls <> -2"
   "   AND COALESCE (i.label_id, 0) <= (SELECT value FROM counters WHERE name = 'queue_mark')))"
   " AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.image_id = q.image_id"
   "   AND s.expires_seq > (SELECT value FROM counters WHERE name = 'label_seq'))"
   " ORDER BY q.position LIMIT ?1",
   error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, limit);
  gl_sql_bind_int64 (st, 2, after_position);
  return gl_db_collect (db, st, sizeof (GlDbQueueItem), queue_item_clear, read_queue_item, "cannot read the queue",
                        error);
}

GArray *
gl_db_list_unlabeled (GlDb *db, gint64 after_id, guint limit, GError **error)
{
  /* The images_cls index holds the rowid: id order within cls = -1. */
  GlSqlStmt *st = gl_db_stmt (
   db,
   "SELECT i.id, i.cache_row FROM images i INDEXED BY images_cls"
   " WHERE i.cls = -1 AND i.id > ?1 AND i.held_out = 0 AND i.cache_row IS NOT NULL"
   " AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.image_id = i.id"
   "   AND s.expires_seq > (SELECT value FROM counters WHERE name = 'label_seq'))"
   " ORDER BY i.id LIMIT ?2",
   error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, after_id);
  gl_sql_bind_int64 (st, 2, limit);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (GlDbScoredImage));
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      GlDbScoredImage s = { gl_sql_column_int64 (st, 0), gl_db_column_id (st, 1), NAN };
      g_array_append_val (out, s);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    {
      g_array_unref (out);
      gl_db_fail (db, error, "cannot list the unlabeled images");
      return NULL;
    }
  return out;
}

GArray *
gl_db_top_unlabeled (GlDb *db, gint64 model_id, guint k, GError **error)
{
  gint64 current = gl_db_get_current_model (db);
  if (model_id < 0)
    model_id = current;
  GArray *out = g_array_new (FALSE, TRUE, sizeof (GlDbScoredImage));
  if (model_id < 0)
    return out;
  /* The current model: the images_cls_u index gives the order; other
   * versions: their predictions, sorted. */
  g_autofree char *listing
      = gl_db_slot_sql ("SELECT i.id, i.cache_row, -i.ukey FROM images i INDEXED BY images_cls_u"
                        " WHERE i.scls = -1 AND i.ukey IS NOT NULL AND i.held_out = 0"
                        " AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.image_id = i.id"
                        "   AND s.expires_seq > (SELECT value FROM counters WHERE name = 'label_seq'))"
                        " ORDER BY i.ukey, i.id LIMIT ?2",
                        gl_db_listing_slot (db));
  GlSqlStmt *st = gl_db_stmt (
   db,
   model_id == current
     ? listing
     : "SELECT i.id, i.cache_row, p.score FROM predictions p JOIN images i ON i.id = p.image_id"
       " WHERE p.model_id = ?1 AND p.score IS NOT NULL AND i.cls = -1 AND i.held_out = 0"
       " AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.image_id = i.id"
       "   AND s.expires_seq > (SELECT value FROM counters WHERE name = 'label_seq'))"
       " ORDER BY p.score DESC, i.id LIMIT ?2",
   error);
  if (st == NULL)
    {
      g_array_unref (out);
      return NULL;
    }
  if (model_id != current)
    gl_sql_bind_int64 (st, 1, model_id);
  gl_sql_bind_int64 (st, 2, k);
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      GlDbScoredImage s = { gl_sql_column_int64 (st, 0), gl_db_column_id (st, 1), gl_sql_column_double (st, 2) };
      g_array_append_val (out, s);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    {
      g_array_unref (out);
      gl_db_fail (db, error, "cannot rank images");
      return NULL;
    }
  return out;
}
