/* gl-db-roles.h — the least-privilege roles of a team project (issue 18):
 * the SQL that the project's owner runs once on the server to let people
 * and a trainer in with only the rights they need.
 *
 *   annotator  CONNECT; reads every table; writes (SELECT, INSERT, UPDATE,
 *              DELETE) only the tables a desktop writes while labeling:
 *              GL_DB_ANNOTATOR_TABLES; uses the id sequences; LISTENs (every
 *              role may). No DDL: it owns nothing and cannot create in the
 *              schema, so it cannot drop, alter or create a table, and it
 *              cannot change classes, import, train or rank.
 *   trainer    the same, writing every table (models, predictions, the
 *              ranking, metrics, drift …); still no DDL.
 *
 * The owner (who created the project) creates the tables and triggers and
 * runs the migrations; a desktop's open needs no DDL once the project exists
 * and its team tables are made (gl_db_team_prepare, at the owner's first
 * open). After a migration adds a table, the owner runs the SQL again.
 *
 * The SQL never holds a password: the owner sets one afterwards (psql's
 * \password ROLE), so that none lands in a file or a log. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* The tables an annotator's desktop writes, comma-separated. */
#define GL_DB_ANNOTATOR_TABLES "labels, images, counters, skips, audit_images, team_leases"

typedef enum
{
  GL_DB_ROLE_ANNOTATOR,
  GL_DB_ROLE_TRAINER,
} GlDbRoleKind;

/* The SQL (PostgreSQL) that creates role @name with @kind's rights on the
 * database and schema it is run in. @name: 1–63 characters of a-z, 0-9 and
 * _, not starting with a digit and not starting with pg_ (otherwise NULL with
 * GL_DB_ERROR_INVALID naming it). Free with g_free. */
char *gl_db_role_sql (GlDbRoleKind kind, const char *name, GError **error);
/* "annotator" / "trainer" → @kind; FALSE for anything else. */
gboolean gl_db_role_kind_parse (const char *text, GlDbRoleKind *kind);

G_END_DECLS
