/* gl-drift-boost.h — the drift-boosted queue: which images it draws and how
 * they enter the ranking.
 *
 * CANDIDATES: when a batch or window drifted (app/gl-drift-report.c), its
 * images that the reference does not explain (domain score ≥ 0.5, the k-NN
 * density ratio of window to reference in the projected embedding,
 * engine/gl-drift-domain.h), its NOVEL images (domain score ≥ 0.8, or any
 * class: farther from their predicted class's reference centroid than the
 * reference's 99th percentile distance of that class — the per-image form of
 * the novelty test, engine/gl-drift.h gl_drift_novelty_rate) and its images
 * predicted as a class with a fired test that lie farther out than the
 * reference's median distance of that class are stored as candidates
 * (db/gl-db.h, GlDbDriftCandidate), with their distance in units of that
 * 99th percentile (NaN when the reference has too few images of the class)
 * and a priority, the order to label them in: each candidate's chance that
 * the model cannot be trusted on it (domain score + (1 − domain score) ×
 * (1 − calibrated confidence)), shared among about √m k-means clusters of the
 * m candidates by D'Hondt quotients, most typical image of a cluster first
 * (engine/gl-drift-domain.h, ALLOCATION).
 *
 * BOOST: while the boost is on (app/gl-drift-auto.h), each ranking stored by
 * a round gets a share of its non-audit places, evenly spread, from the
 * unlabeled candidates of the current model version, by priority; their
 * reason reads "drift: Sneaker, new kind of image" (novel) or
 * "drift: Sneaker". Audit items keep their places, so the audit labels stay
 * a random sample. The ranking keeps its length: the strategy's last items
 * make room (they come back at the next ranking).
 *
 * Threads: the thread of the GlDb connection given; results owned by the
 * caller.
 */
#pragma once

#include <glib.h>

#include "db/gl-db.h"
#include "engine/gl-drift-verdict.h"

G_BEGIN_DECLS

/* The candidates of one window: @image_ids (window->n), @class_ids
 * (n_classes: store id of each output), @drifted (n_classes: the class had a
 * fired test). Novelty needs @window and @reference embeddings and at least
 * @min_class reference rows predicted as the class; else only the drifted
 * classes' images. Elements: GlDbDriftCandidate. */
GArray *gl_drift_boost_candidates (const GlDriftSample *reference, const GlDriftSample *window,
                                   const gint64 *image_ids, const gint64 *class_ids, const gboolean *drifted,
                                   guint min_class, double novelty_q);

/* @items (n, reasons borrowed) with @share of their non-audit places given
 * to the unlabeled candidates of @model_id (see BOOST). A new array of
 * GlDbQueueItem whose reasons it owns (freed with the array); the same
 * items when there is no candidate. */
GArray *gl_drift_boost_merge (GlDb *db, gint64 model_id, const GlDbQueueItem *items, guint n, double share,
                              GError **error);

/* The same without a store: @cands (n_cands) in the order to draw them,
 * @names class id → name (may be NULL: "unknown class"). */
GArray *gl_drift_boost_interleave (const GlDbQueueItem *items, guint n, const GlDbDriftCandidate *cands,
                                   guint n_cands, GHashTable *names, double share);

/* What a round calls before it stores its ranking: gl_drift_boost_merge when
 * the boost is on and automation or the user turned it on, else a copy of
 * @items. Same result as gl_drift_boost_merge. */
GArray *gl_drift_boost_ranking (GlDb *db, const GlDbQueueItem *items, guint n, GError **error);

/* The stored queue merged with the candidates now (gl_drift_auto_start_boost):
 * reads the queue, merges, replaces it in one transaction. */
gboolean gl_drift_boost_requeue (GlDb *db, GError **error);

/* The project's class names by class id (gint64 * → char *, both owned by
 * the table), archived classes included; NULL with @error on a store error.
 * For the reasons and summaries drift writes. */
GHashTable *gl_drift_class_names (GlDb *db, GError **error);

G_END_DECLS
