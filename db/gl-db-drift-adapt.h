/* gl-db-drift-adapt.h — what a drift round reads to weigh the drifted labels
 * (app/gl-drift-adapt.h). Reads only; no schema change.
 *
 * Same threading rules as gl-db.h: a GlDb is used by one thread at a time.
 */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

/* The pixel cache rows (guint64) of the labeled images that are drift
 * candidates of any model version, each once, ascending. */
GArray *gl_db_list_labeled_candidate_rows (GlDb *db, GError **error);

/* Over the drifted batch and window results of @model_id: *@n_covered ← the
 * images in their image id ranges (each once, however many overlapping
 * windows hold it), *@n_candidates ← their candidates (each once). Both 0
 * when the version has no drifted result. */
gboolean gl_db_count_drift_share (GlDb *db, gint64 model_id, guint64 *n_covered, guint64 *n_candidates,
                                  GError **error);

G_END_DECLS
