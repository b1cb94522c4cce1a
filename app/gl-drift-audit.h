/* gl-drift-audit.h — labeled performance over time: each class's accuracy
 * on the audit labels (the random share of the queue), in the order they
 * were labeled, watched by ADWIN (engine/gl-adwin.h).
 *
 * Per true class, the audit labels that the current model version has a
 * prediction for give a stream of 1 (predicted right) and 0 (wrong), oldest
 * label first. ADWIN (Bifet & Gavaldà 2007, ADWIN0; δ from the setting
 * drift_adwin_delta, at least GL_DRIFT_AUDIT_MIN_SIDE labels on each side of
 * a cut) reads it; each cut where the newer part's accuracy is lower than
 * the older part's is a significant DROP (false-alarm bound δ per step while
 * the accuracy stays the same) and is recorded once (db/gl-db.h,
 * GlDbAuditChange: model version, class, the audit image where it fired,
 * both means, both window sizes and the bound ε_cut). The streams are read
 * again from the store each time, so the same change is found again and
 * recorded once; a new model version is watched afresh.
 *
 * Thread: that of the GlDb connection.
 */
#pragma once

#include <glib.h>

#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_DRIFT_AUDIT_MIN_SIDE 10    /* audit labels of a class on each side of a cut, at least */
#define GL_DRIFT_AUDIT_MAX_WIDTH 1000 /* newest audit labels of a class kept by ADWIN */

/* Watches the audit labels of every class against the current model version
 * and records new drops; *@n_new: how many were new (may be NULL). Nothing
 * without a current version. */
gboolean gl_drift_audit_watch (GlDb *db, double delta, guint *n_new, GError **error);

G_END_DECLS
