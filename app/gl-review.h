/* gl-review.h — reviewing suspected label errors, for the Label view (issue 14).
 *
 * A GlReview lives on the main thread of a GlProject. It
 *   - walks the SUSPECTED errors of the store's current model version
 *     (db/gl-db-label-errors.h), the most likely first: for each, the given
 *     label, the suggested class and their out-of-fold probabilities, and
 *     the image's pixel-cache row;
 *   - takes the annotator's DECISIONS on them: keep the label, relabel it,
 *     or skip. Keep and relabel are written with gl_label_errors_keep /
 *     gl_label_errors_relabel (the functions `gleaner-cli review` uses):
 *     label-history rows with origin "review", so that a decided image is not
 *     suggested again for that version. They are written one at a time, in
 *     the order given, on a thread of the review's own with a store
 *     connection of its own; the walk moves on once a decision is committed.
 *     A skip writes nothing: the image stays suggested for the next walk;
 *   - runs the DETECTION (app/gl-label-errors.h) on request for the current
 *     version, on an engine worker of its own in the background (lowered
 *     priority, one BLAS thread), warm-started from the current model and
 *     within a time budget, with progress and cancel. The main loop never
 *     waits for it; a cancelled detection stores nothing.
 *
 * Signals (main context):
 *   "changed"  ()              the walk, the detection or its progress changed
 *   "decided"  (gint64 image_id, gint64 class_id) a decision was committed;
 *              class_id is the image's label after it (-1 for a skip)
 *   "failed"   (GError *error) a decision or the detection failed (not for a
 *              cancellation); decisions given after the failed one are dropped
 *
 * GUI-free: GLib/GIO only.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-label-errors.h"
#include "app/gl-project.h"
#include "db/gl-db-label-errors.h"

G_BEGIN_DECLS

/* The detection's training budget when the window asks for one (seconds):
 * the detector's own, so that its epochs (and their cosine schedule) end
 * before the budget on an idle machine. */
#define GL_REVIEW_DETECT_SECONDS GL_LABEL_ERRORS_DEFAULT_SECONDS

typedef enum
{
  GL_REVIEW_KEEP,    /* the given label is right */
  GL_REVIEW_RELABEL, /* the image is another class */
  GL_REVIEW_SKIP,    /* undecided: on to the next */
} GlReviewDecision;

#define GL_TYPE_REVIEW (gl_review_get_type ())
G_DECLARE_FINAL_TYPE (GlReview, gl_review, GL, REVIEW, GObject)

/* A review of @project (borrowed; must outlive the review). Reads nothing
 * until gl_review_reload. */
GlReview *gl_review_new (GlProject *project);

/* Reads the current model version, its detection (if any) and its suspected
 * errors, and starts the walk at the most likely. Decisions still waiting
 * are dropped (one being written is committed). FALSE with @error when the
 * store cannot be read; the review then has no detection. */
gboolean gl_review_reload (GlReview *self, GError **error);

/* The model version read by the last reload (0 when none). */
gint64 gl_review_get_model_id (GlReview *self);
/* Whether that version has a detection; @run (may be NULL) is then its run
 * (borrowed, valid until the next reload). */
gboolean gl_review_has_detection (GlReview *self, const GlDbLabelErrorRun **run);
/* The suspected errors read by the last reload, and the walk's position in
 * them (0 … n; n at the end). */
guint gl_review_get_n_suspected (GlReview *self);
guint gl_review_get_position (GlReview *self);
/* The suspected error at the position, or NULL at the end. Borrowed, valid
 * until the walk moves. @cache_row (may be NULL): its pixel-cache row, -1
 * when unknown. */
const GlDbLabelError *gl_review_get_current (GlReview *self, gint64 *cache_row);

/* Decides on the current suspected error (or, when decisions are still
 * being written, on the one after those): @class_id for GL_REVIEW_RELABEL.
 * Never dropped, never reordered (unless one before it fails). */
void gl_review_decide (GlReview *self, GlReviewDecision decision, gint64 class_id);
/* Whether decisions are being written or waiting. */
gboolean gl_review_is_busy (GlReview *self);
/* The name written as the decisions' annotator (default: the person's
 * annotator name, gl_db_dup_default_annotator). */
void gl_review_set_annotator (GlReview *self, const char *annotator);

/* Starts a detection for the current model version; nothing when one runs.
 * Reloads when it is stored. */
void gl_review_detect (GlReview *self);
/* The detection's training budget, split over its folds (default
 * GL_REVIEW_DETECT_SECONDS; ≤ 0: the default). */
void gl_review_set_detect_seconds (GlReview *self, double seconds);
void gl_review_cancel_detection (GlReview *self);
gboolean gl_review_is_detecting (GlReview *self);
/* 0…1 while detecting (-1 when not yet known). */
double gl_review_get_detect_fraction (GlReview *self);

/* Lets go of the project before it closes: cancels the detection and drops
 * the waiting decisions (one being written is committed). The review does
 * nothing more after it. */
void gl_review_close (GlReview *self);

G_END_DECLS
