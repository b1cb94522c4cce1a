/* gl-db-trainer-lease.c — see gl-db-trainer-lease.h. */
#include "db/gl-db-trainer-lease.h"

#include "db/gl-db-private.h"

#define ROLE "trainer"

void
gl_db_trainer_holder_clear (GlDbTrainerHolder *holder)
{
  g_clear_pointer (&holder->token, g_free);
  g_clear_pointer (&holder->host, g_free);
  g_clear_pointer (&holder->annotator, g_free);
  holder->pid = holder->expires_us = holder->since_us = holder->label_mark = 0;
}

char *
gl_db_trainer_holder_describe (const GlDbTrainerHolder *holder)
{
  return g_strdup_printf ("%s pid %" G_GINT64_FORMAT " (annotator %s)", holder->host ? holder->host : "?",
                          holder->pid, holder->annotator ? holder->annotator : "?");
}


gboolean
gl_db_trainer_lease_prepare (GlDb *db, GError **error)
{
  return gl_db_create_table_once (db, "team_trainer_lease", GL_DB_TRAINER_LEASE_TABLE, error);
}

gboolean
gl_db_trainer_lease_take (GlDb *db, const GlDbTrainerHolder *me, guint ttl_s, gboolean *held, GError **error)
{
  *held = FALSE;
  if (me->token == NULL || me->token[0] == '\0' || ttl_s == 0)
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID, "the trainer lease needs a holder and a time");
  gint64 now = g_get_real_time ();
  GlSqlStmt *st = gl_db_stmt (db, "INSERT INTO team_trainer_lease (role, token, host, pid, annotator, expires_us,"
                                  " since_us, label_mark) VALUES (?1, '', '', 0, '', 0, 0, 0)"
                                  " ON CONFLICT (role) DO NOTHING", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, ROLE);
  if (!gl_db_step_done (db, st, error, "cannot make the trainer lease"))
    return FALSE;
  /* One statement: taken when free or expired, renewed when ours. */
  st = gl_db_stmt (db, "UPDATE team_trainer_lease SET token = ?2, host = ?3, pid = ?4, annotator = ?5,"
                       " expires_us = ?6, since_us = CASE WHEN token = ?2 THEN since_us ELSE ?7 END"
                       " WHERE role = ?1 AND (token = ?2 OR expires_us <= ?7)", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, ROLE);
  gl_sql_bind_text (st, 2, me->token);
  gl_sql_bind_text (st, 3, me->host ? me->host : "");
  gl_sql_bind_int64 (st, 4, me->pid);
  gl_sql_bind_text (st, 5, me->annotator ? me->annotator : "");
  gl_sql_bind_int64 (st, 6, now + (gint64) ttl_s * G_USEC_PER_SEC);
  gl_sql_bind_int64 (st, 7, now);
  if (!gl_db_step_done (db, st, error, "cannot take the trainer lease"))
    return FALSE;
  *held = gl_sql_changes (db->conn) == 1;
  return TRUE;
}

gboolean
gl_db_trainer_lease_release (GlDb *db, const char *token, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE team_trainer_lease SET token = '', expires_us = 0"
                                  " WHERE role = ?1 AND token = ?2", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, ROLE);
  gl_sql_bind_text (st, 2, token);
  return gl_db_step_done (db, st, error, "cannot give back the trainer lease");
}

gboolean
gl_db_trainer_lease_set_mark (GlDb *db, const char *token, gint64 mark, gboolean *held, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "UPDATE team_trainer_lease SET label_mark = ?3 WHERE role = ?1 AND token = ?2",
                              error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, ROLE);
  gl_sql_bind_text (st, 2, token);
  gl_sql_bind_int64 (st, 3, mark);
  if (!gl_db_step_done (db, st, error, "cannot record the trained labels"))
    return FALSE;
  if (held != NULL)
    *held = gl_sql_changes (db->conn) == 1;
  return TRUE;
}

gboolean
gl_db_trainer_lease_get (GlDb *db, GlDbTrainerHolder *out, gboolean *live, GError **error)
{
  gl_db_trainer_holder_clear (out);
  *live = FALSE;
  gint64 exists = gl_db_table_exists (db, "team_trainer_lease");
  if (exists < 0)
    return gl_db_fail (db, error, "cannot read the schema");
  if (exists == 0)
    return TRUE;
  GlSqlStmt *st = gl_db_stmt (db, "SELECT token, host, pid, annotator, expires_us, since_us, label_mark"
                                  " FROM team_trainer_lease WHERE role = ?1", error);
  if (st == NULL)
    return FALSE;
  gl_sql_bind_text (st, 1, ROLE);
  GlSqlStep rc = gl_sql_step (st, NULL);
  if (rc == GL_SQL_STEP_ROW)
    {
      out->token = gl_db_column_dup (st, 0);
      out->host = gl_db_column_dup (st, 1);
      out->pid = gl_sql_column_int64 (st, 2);
      out->annotator = gl_db_column_dup (st, 3);
      out->expires_us = gl_sql_column_int64 (st, 4);
      out->since_us = gl_sql_column_int64 (st, 5);
      out->label_mark = gl_sql_column_int64 (st, 6);
    }
  gl_db_done (st);
  if (rc == GL_SQL_STEP_ERROR)
    return gl_db_fail (db, error, "cannot read the trainer lease");
  *live = rc == GL_SQL_STEP_ROW && out->token != NULL && out->token[0] != '\0'
          && out->expires_us > g_get_real_time ();
  return TRUE;
}

gint64
gl_db_trainer_label_mark (GlDb *db, GError **error)
{
  gint64 mark = gl_db_query_int (db, "SELECT COALESCE (MAX (id), 0) FROM labels", FALSE, 0, -1);
  if (mark < 0)
    gl_db_fail (db, error, "cannot read the newest label");
  return mark;
}

gint64
gl_db_trainer_labels_since (GlDb *db, gint64 mark, GError **error)
{
  gint64 n = gl_db_query_int (db, "SELECT COUNT (*) FROM labels WHERE id > ?1", TRUE, mark, -1);
  if (n < 0)
    gl_db_fail (db, error, "cannot count the new labels");
  return n;
}
