/* gl-rescore.h — a new model version's rescoring of a project's pool: in
 * chunks, most relevant first, cancellable, resumable, within a budget, its
 * store writes on a thread at normal priority.
 *
 * ORDER. The pool is scored in chunks: the first holds the previous
 * ranking's images (the stored queue) and then unlabeled images drawn at
 * random; the rest follow, unlabeled images first (in a random order, so
 * that any prefix is a uniform sample), labeled ones last; the held-out test
 * images after the pool. Once the first chunk is scored, @rank is called
 * with the images scored so far: the round stores a ranking of those, and
 * the queue switches to it while the rest is scored.
 *
 * STORE. The version's predictions go to the listing slot that is not
 * current (gl_db_prepare_listing) in transactions sized by time; when every
 * image has its prediction the version is made current
 * (gl_db_set_current_model, O(1)). Until then the previous version stays
 * current and whole. db/gl-db-rescore.h records which version is being
 * rescored: a rescore cancelled or killed half way is RESUMED by the next
 * call for that version, which reads back the predictions already stored
 * (probabilities and scores; embeddings and Monte-Carlo passes are computed
 * again only for the images the strategy's ranking needs them for) and
 * scores the rest.
 *
 * BUDGET. With @budget > 0, pool chunks stop once that many seconds of
 * scoring have passed: the images left are counted as skipped (the result,
 * the store's GlDbRescore), the ranking is made from the images scored, and
 * the version is not made current (it is not whole); a later call resumes it.
 *
 * THREADS. gl_rescore_run runs on the engine thread, which may run at
 * SCHED_IDLE. Its store writes (the listing, the predictions, the swap, the
 * rescore state) run on a GlRescoreWriter's thread, in the order they were
 * pushed: a writer made on a thread at normal priority (the trainer's, made
 * on the main thread) keeps them there, so that a write holding the write
 * lock is not preempted for long while a label waits for it.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-round.h"
#include "db/gl-db-rescore.h"

G_BEGIN_DECLS

#define GL_RESCORE_CHUNK 8192       /* images per chunk after the first */
#define GL_RESCORE_FIRST_CHUNK 4096 /* at least, in the first chunk */

/* ---- The writer thread ---- */

typedef struct _GlRescoreWriter GlRescoreWriter;

/* Starts a thread (it inherits the calling thread's scheduling policy) that
 * opens @db_path itself. */
GlRescoreWriter *gl_rescore_writer_new (const char *db_path);
GlRescoreWriter *gl_rescore_writer_ref (GlRescoreWriter *writer);
/* The last reference waits for the writes pushed so far, then stops the thread. */
void gl_rescore_writer_unref (GlRescoreWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlRescoreWriter, gl_rescore_writer_unref)

/* For tests: the writer's thread, its scheduling policy (sched_getscheduler
 * on that thread; 0 elsewhere than Linux) and the writes it ran. */
GThread *gl_rescore_writer_get_thread (GlRescoreWriter *writer);
int gl_rescore_writer_get_policy (GlRescoreWriter *writer);
guint64 gl_rescore_writer_get_n_writes (GlRescoreWriter *writer);

/* Prunes old versions' predictions for @budget_ms on the writer's thread
 * (gl_db_prune_predictions) and waits for it; a failure is logged. */
void gl_rescore_writer_prune (GlRescoreWriter *writer, guint budget_ms);

/* ---- The rescore ---- */

/* Engine thread: the pool images scored so far, @scored: (n_pool) 1 or 0. */
typedef gboolean (*GlRescoreRankFunc) (const guint8 *scored, gpointer user_data, GError **error);

typedef struct
{
  /* all borrowed */
  const char *db_path;     /* for a writer of the call's own */
  GlDb *db;                /* the caller's connection: reads only */
  GlRescoreWriter *writer; /* NULL: one of the call's own, started from the calling thread */
  GlRound *round;          /* scored into (gl_round_score_begin / _at): pool positions in id order */
  GlNet *net;              /* the version's network */
  gint64 version;          /* saved, not current */
  const gint64 *class_ids; /* (round->n_classes) class index → store id */
  const gint64 *image_ids; /* (n_pool + n_held), each part in id order */
  const guint64 *rows;     /* (n_pool + n_held) pixel rows */
  const gboolean *labeled; /* (n_pool), or NULL */
  gsize n_pool, n_held;
  guint ranking_size;     /* the ranking's length (the default strategy's candidates) */
  double budget;          /* seconds of pool scoring, 0: none */
  GlRescoreRankFunc rank; /* after the first chunk (may be NULL) */
  gpointer rank_data;
  GlNetProgressFunc progress; /* GL_PHASE_SCORE, batch = images done of n_batches */
  gpointer progress_data;
  GCancellable *cancellable;
} GlRescoreSpec;

typedef struct
{
  guint64 n_scored;  /* images scored by this call */
  guint64 n_resumed; /* images whose predictions of the version were stored before this call */
  guint64 n_skipped; /* pool images the budget left unscored */
  guint n_chunks;    /* chunks scored */
  gboolean current;  /* the version was made current */
  double swap_seconds;
  guint8 *scored; /* (n_pool + n_held) owned: 1 where the round's arrays hold the image's scores */
} GlRescoreResult;

void gl_rescore_result_clear (GlRescoreResult *result);

/* Rescores the pool with @spec->net for @spec->version (see above). FALSE
 * with G_IO_ERROR_CANCELLED when cancelled (the writes pushed before are
 * carried out or stopped between two transactions; the previous version
 * stays current), or a GL_TRAINER_ERROR. On success the round's arrays hold
 * every scored image's probabilities and scores, and embeddings (and
 * Monte-Carlo passes) wherever the strategy's ranking needs them;
 * @result->current says whether the version is current. */
gboolean gl_rescore_run (const GlRescoreSpec *spec, GlRescoreResult *result, GError **error);

/* For tests: the images of the first chunk and of each later one (0: the
 * defaults above). */
void gl_rescore_test_set_chunks (guint first, guint chunk);
/* For tests: @func (NULL: none) is called on the engine thread right after
 * the first chunk's ranking was published, before the rest is scored (a
 * test holds the round there while the queue switches). */
void gl_rescore_test_set_after_first_ranking (void (*func) (gpointer data), gpointer data);

G_END_DECLS
