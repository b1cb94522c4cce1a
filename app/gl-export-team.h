/* gl-export-team.h — what an export takes from a team: the consensus label
 * of each image that several annotators labeled, and every annotator's label
 * beside it (issue 18).
 *
 * The export lists each image's current label (the newest, whoever gave
 * it). For an image with the current labels of two or more annotators,
 * gl_export_team_apply puts the consensus in its place: the weighted
 * consensus of engine/gl-agreement.h, each annotator's vote weighted by
 * their measured accuracy on the reference labels (the majority when nobody
 * has reference labels). Such an item's origin becomes "consensus" and its
 * annotator NULL. An image whose annotators tie is left out of the export
 * and counted: which class it is, nobody can say until someone resolves it
 * (`gleaner-cli conflicts`).
 *
 * GTK-free; one thread (the exporting one), on its own GlDb. */
#pragma once

#include "app/gl-export.h"
#include "db/gl-db.h"

G_BEGIN_DECLS

/* What gl_export_team_apply leaves behind: the votes the items point into
 * and the names they borrow. Owned by the caller of gl_export_team_apply,
 * freed with gl_export_team_clear after the items are written. */
typedef struct
{
  GlExportVote *votes;  /* every item's votes, one run per item; owned */
  GlDbTeamLabels team;  /* the annotators' names (votes borrow them); owned */
  guint64 consensus;    /* items whose label is now a consensus of ≥ 2 annotators */
  guint64 changed;      /* of those, items whose consensus differs from the newest label */
  guint64 ties;         /* images left out: their annotators tie */
} GlExportTeam;

/* @items (GlExportItem, by image id ascending, class indices into the live
 * classes of @class_ids, n_classes): with @consensus, each item labeled by
 * ≥ 2 annotators gets the consensus label (ties are removed from @items);
 * with @votes, each item gets every annotator's label (GlExportItem.votes).
 * FALSE with @error when the store cannot be read (@items unchanged). */
gboolean gl_export_team_apply (GlDb *db, GArray *items, const gint64 *class_ids, guint n_classes, gboolean consensus,
                               gboolean votes, GlExportTeam *out, GError **error);
void gl_export_team_clear (GlExportTeam *team);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GlExportTeam, gl_export_team_clear)

G_END_DECLS
