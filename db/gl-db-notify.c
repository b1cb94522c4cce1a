/* gl-db-notify.c — see gl-db-notify.h. */
#include "db/gl-db-notify.h"

#include <string.h>

#include "db/gl-db-private.h"

/* Statement-level triggers: one notification per statement, however many
 * rows it wrote (a bulk labeling of 70,000 images is one "labels" event). */
static const char triggers_pg[]
    = "CREATE OR REPLACE FUNCTION gleaner_notify_labels () RETURNS trigger LANGUAGE plpgsql AS $f$"
      " BEGIN"
      "  DELETE FROM team_leases l USING new_rows n WHERE l.image_id = n.image_id AND l.annotator = n.annotator;"
      "  IF EXISTS (SELECT 1 FROM new_rows) THEN"
      "   PERFORM pg_notify ('" GL_DB_NOTIFY_CHANNEL "', 'labels ' || (SELECT MIN (id) FROM new_rows) || ' '"
      "                      || (SELECT MAX (id) FROM new_rows));"
      "  END IF;"
      "  RETURN NULL;"
      " END $f$;"
      "CREATE OR REPLACE TRIGGER gleaner_labels_notify AFTER INSERT ON labels REFERENCING NEW TABLE AS new_rows"
      " FOR EACH STATEMENT EXECUTE FUNCTION gleaner_notify_labels ();"
      "CREATE OR REPLACE FUNCTION gleaner_notify_classes () RETURNS trigger LANGUAGE plpgsql AS $f$"
      " BEGIN PERFORM pg_notify ('" GL_DB_NOTIFY_CHANNEL "', 'classes'); RETURN NULL; END $f$;"
      "CREATE OR REPLACE TRIGGER gleaner_classes_notify AFTER INSERT OR UPDATE OR DELETE ON classes"
      " FOR EACH STATEMENT EXECUTE FUNCTION gleaner_notify_classes ();"
      "CREATE OR REPLACE FUNCTION gleaner_notify_model () RETURNS trigger LANGUAGE plpgsql AS $f$"
      " BEGIN PERFORM pg_notify ('" GL_DB_NOTIFY_CHANNEL "', 'model ' || NEW.value); RETURN NULL; END $f$;"
      "CREATE OR REPLACE TRIGGER gleaner_model_notify AFTER INSERT OR UPDATE ON counters FOR EACH ROW"
      " WHEN (NEW.name = 'current_model') EXECUTE FUNCTION gleaner_notify_model ();";

gboolean
gl_db_notify_prepare (GlDb *db, GError **error)
{
  return gl_db_is_sqlite (db) || gl_db_exec (db, triggers_pg, error);
}

gboolean
gl_db_notify_listen (GlDb *db, GError **error)
{
  if (gl_db_is_sqlite (db))
    return gl_db_fail_with (db, error, GL_DB_ERROR_INVALID,
                            "live updates are for team projects (a project folder has one desktop)");
  if (!gl_sql_listen (db->conn, GL_DB_NOTIFY_CHANNEL, NULL))
    return gl_db_fail (db, error, "cannot listen for the team's changes");
  return TRUE;
}

int
gl_db_notify_socket (GlDb *db)
{
  return gl_sql_socket (db->conn);
}

/* Parses "labels FIRST LAST", "classes", "model ID"; FALSE for anything else. */
static gboolean
parse_event (const char *payload, GlDbEvent *ev)
{
  g_auto (GStrv) parts = g_strsplit (payload ? payload : "", " ", -1);
  guint n = g_strv_length (parts);
  if (n == 1 && g_str_equal (parts[0], "classes"))
    {
      *ev = (GlDbEvent) { GL_DB_EVENT_CLASSES, 0, 0 };
      return TRUE;
    }
  if (n == 2 && g_str_equal (parts[0], "model")
      && g_ascii_string_to_signed (parts[1], 10, -1, G_MAXINT64, &ev->first, NULL))
    {
      ev->kind = GL_DB_EVENT_MODEL;
      ev->last = ev->first;
      return TRUE;
    }
  if (n == 3 && g_str_equal (parts[0], "labels")
      && g_ascii_string_to_signed (parts[1], 10, 0, G_MAXINT64, &ev->first, NULL)
      && g_ascii_string_to_signed (parts[2], 10, ev->first, G_MAXINT64, &ev->last, NULL))
    {
      ev->kind = GL_DB_EVENT_LABELS;
      return TRUE;
    }
  return FALSE;
}

GArray *
gl_db_notify_take (GlDb *db, GError **error)
{
  g_autoptr (GPtrArray) got = gl_sql_take_notifications (db->conn, NULL);
  if (got == NULL)
    {
      gl_db_fail (db, error, "lost the connection that brings the team's changes");
      return NULL;
    }
  GArray *events = g_array_new (FALSE, FALSE, sizeof (GlDbEvent));
  for (guint i = 0; i < got->len; i++)
    {
      GlSqlNotification *n = g_ptr_array_index (got, i);
      GlDbEvent ev;
      if (g_strcmp0 (n->channel, GL_DB_NOTIFY_CHANNEL) == 0 && parse_event (n->payload, &ev))
        g_array_append_val (events, ev);
    }
  return events;
}

static void
read_id (GlSqlStmt *st, gpointer element)
{
  *(gint64 *) element = gl_sql_column_int64 (st, 0);
}

GArray *
gl_db_labeled_images_between (GlDb *db, gint64 first, gint64 last, GError **error)
{
  GlSqlStmt *st = gl_db_stmt (db, "SELECT DISTINCT image_id FROM labels WHERE id >= ?1 AND id <= ?2"
                                  " ORDER BY image_id", error);
  if (st == NULL)
    return NULL;
  gl_sql_bind_int64 (st, 1, first);
  gl_sql_bind_int64 (st, 2, last);
  return gl_db_collect (db, st, sizeof (gint64), NULL, read_id, "cannot read the changed images", error);
}
