/* gl-db-lease.h — queue leases of a team project (issue 18): two
 * annotators never get the same queue item at the same time unless overlap
 * is asked for. A lease is a row per (image, annotator) with an expiry; an
 * annotator takes the first of the queue's next candidates that fewer than
 * @overlap others hold, and gives it back when the image is labeled or
 * skipped or the window closes (on PostgreSQL, a label gives back its
 * annotator's lease on the image in the same statement: gl-db-notify.c). A lease not renewed expires (a desktop that
 * died), and its image is free again.
 *
 * Taking is safe between desktops: on PostgreSQL the image's row is locked
 * with FOR UPDATE SKIP LOCKED while the leases are counted (an image another
 * desktop is leasing or labeling this instant is skipped, not waited for);
 * on SQLite the single writer serialises it.
 *
 * Expiry times are this desktop's clock (g_get_real_time): desktops of a
 * team keep their clocks in step (NTP) to within a small part of the lease
 * time.
 *
 * The table (team_leases) is made with CREATE TABLE IF NOT EXISTS by
 * gl_db_team_prepare (db/gl-db-team.h); not part of schema version 8. */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* The lease time the app uses: renewed at each label, so only a desktop
 * idle this long (or gone) loses its image. */
#define GL_DB_LEASE_SECONDS 300

/* Takes a lease for @annotator on the first of @candidates (image ids, in
 * the queue's order) that fewer than @overlap (≥ 1) other annotators hold
 * unexpired, until now + @ttl_s; an image this annotator already holds is
 * renewed and taken. *@image_id: the image, or -1 when every candidate is
 * held. Expired leases are deleted on the way. */
gboolean gl_db_lease_take (GlDb *db, const char *annotator, const gint64 *candidates, guint n, guint overlap,
                           guint ttl_s, gint64 *image_id, GError **error);
/* Gives back @annotator's lease on @image_id (none: nothing to do). */
gboolean gl_db_lease_release (GlDb *db, const char *annotator, gint64 image_id, GError **error);
/* Gives back every lease of @annotator (the window closes). */
gboolean gl_db_lease_release_all (GlDb *db, const char *annotator, GError **error);
/* How many annotators hold an unexpired lease on @image_id; -1 with @error. */
gint64 gl_db_lease_count (GlDb *db, gint64 image_id, GError **error);

G_END_DECLS
