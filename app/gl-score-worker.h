/* gl-score-worker.h — scoring chunks of a model version's pool
 * (db/gl-db-score-chunks.h) on any machine: `gleaner-cli score-worker`, and
 * the team's trainer between its round and making the version current
 * (app/gl-team-trainer.h).
 *
 * A step takes one chunk through its lease, loads the chunk's version from
 * the store (the file the trainer put in team_models, or a project folder's
 * models/), scores the chunk's pool images with the round's scoring
 * (gl_round_score_at: probabilities and the project's strategy's score),
 * writes their predictions into the version's listing slot (not current)
 * in one transaction, and marks the chunk done. A worker killed half way
 * wrote nothing of the chunk or all of it; its chunk goes back when its
 * lease runs out.
 *
 * The pixels are the desktop cache's rows as the project was opened: an
 * image imported after that is not in them and is left to the trainer's
 * publishing round (which scores whatever the chunks did not).
 *
 * Threads: made, used and freed on one thread, which calls BLAS. */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"
#include "db/gl-db-score-chunks.h"

G_BEGIN_DECLS

typedef struct _GlScoreWorker GlScoreWorker;

/* A worker on @project (borrowed, outlives it) that takes chunks as
 * @holder (e.g. "HOST pid PID") for @lease_seconds at a time. */
GlScoreWorker *gl_score_worker_new (GlProject *project, const char *holder, guint lease_seconds, GError **error);
void gl_score_worker_free (GlScoreWorker *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlScoreWorker, gl_score_worker_free)

/* Called after a chunk was taken, before it is scored (may be NULL). */
typedef void (*GlScoreWorkerTakenFunc) (const GlDbScoreChunk *chunk, gpointer user_data);

/* Takes a chunk and scores it. *@did FALSE when no chunk was free; else
 * @chunk is the chunk and *@n_scored its images scored. */
gboolean gl_score_worker_step (GlScoreWorker *self, GlScoreWorkerTakenFunc taken, gpointer user_data,
                               GCancellable *cancellable, gboolean *did, GlDbScoreChunk *chunk, guint64 *n_scored,
                               GError **error);

G_END_DECLS
