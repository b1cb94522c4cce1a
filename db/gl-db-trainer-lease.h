/* gl-db-trainer-lease.h — the team's trainer lease (issue 18): one row in
 * the store says which process trains the project, until when.
 *
 * A trainer service (`gleaner-cli trainer`, app/gl-team-trainer.h) takes the
 * lease when nobody holds it or the holder's lease expired, and renews it
 * well before it expires (every third of the lease time). Taking and
 * renewing are one conditional UPDATE of the row ("… WHERE token = mine OR
 * expires_us <= now"): on PostgreSQL the row lock orders two takers and the
 * second one's condition is evaluated again on the first one's row, so it
 * finds the lease held; on SQLite the single writer orders them. Two
 * processes never hold it at once (as long as the machines' clocks agree:
 * the expiry is the taker's clock, as for the queue leases).
 *
 * The row also keeps the label mark: the newest label row a finished round
 * trained on. The holder writes it after each round, so a trainer that takes
 * over from one killed mid-round sees the labels that round did not finish
 * with and trains on them.
 *
 * The table (team_trainer_lease) is made by gl_db_trainer_lease_prepare
 * (CREATE TABLE IF NOT EXISTS, on either backend) and, on PostgreSQL, with
 * a new project's schema (gl-db-schema-pg.c). A desktop that only reads the
 * lease (gl_db_trainer_lease_get) finds "nobody" while the table is
 * missing.
 *
 * Threads: a GlDb's thread, as every store call. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* The table, for both backends (one statement: BIGINT and TEXT mean the
 * same to both). */
#define GL_DB_TRAINER_LEASE_TABLE                                                                                    \
  "CREATE TABLE IF NOT EXISTS team_trainer_lease (role TEXT PRIMARY KEY, token TEXT NOT NULL, host TEXT NOT NULL," \
  " pid BIGINT NOT NULL, annotator TEXT NOT NULL, expires_us BIGINT NOT NULL, since_us BIGINT NOT NULL,"          \
  " label_mark BIGINT NOT NULL);"

/* Who holds (or asks for) the lease. Strings owned (gl_db_trainer_holder_clear). */
typedef struct
{
  char *token;       /* unique per process run (a UUID): the identity the lease is checked against */
  char *host;        /* for people: the machine, */
  gint64 pid;        /* its process */
  char *annotator;   /* and the annotator it runs as */
  gint64 expires_us; /* gl_db_trainer_lease_get: when the lease runs out (wall clock, µs since the epoch) */
  gint64 since_us;   /* ... when the holder took it */
  gint64 label_mark; /* the newest label row (labels.id) a finished round trained on, 0: none */
} GlDbTrainerHolder;

void gl_db_trainer_holder_clear (GlDbTrainerHolder *holder);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GlDbTrainerHolder, gl_db_trainer_holder_clear)

/* "HOST pid PID (annotator NAME)", for messages; free with g_free. */
char *gl_db_trainer_holder_describe (const GlDbTrainerHolder *holder);

/* Makes the table when it is missing. */
gboolean gl_db_trainer_lease_prepare (GlDb *db, GError **error);

/* Takes the lease for @me (token, host, pid, annotator) for @ttl_s seconds
 * from now, or renews it when @me holds it. *@held: TRUE when @me holds it
 * now; FALSE when another unexpired holder has it. */
gboolean gl_db_trainer_lease_take (GlDb *db, const GlDbTrainerHolder *me, guint ttl_s, gboolean *held,
                                   GError **error);

/* Gives the lease up now (when @token holds it; nothing otherwise). */
gboolean gl_db_trainer_lease_release (GlDb *db, const char *token, GError **error);

/* Records @mark as the newest label row trained on, when @token holds the
 * lease; *@held (may be NULL): whether it did. */
gboolean gl_db_trainer_lease_set_mark (GlDb *db, const char *token, gint64 mark, gboolean *held, GError **error);

/* The lease's row into @out (cleared first): *@live TRUE when somebody
 * holds it now (unexpired). No table or no row: *@live FALSE, @out's
 * strings NULL. */
gboolean gl_db_trainer_lease_get (GlDb *db, GlDbTrainerHolder *out, gboolean *live, GError **error);

/* The newest label row (labels.id; 0: none). -1 with @error. */
gint64 gl_db_trainer_label_mark (GlDb *db, GError **error);
/* Label rows added after @mark. -1 with @error. */
gint64 gl_db_trainer_labels_since (GlDb *db, gint64 mark, GError **error);

G_END_DECLS
