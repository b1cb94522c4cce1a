/* gl-round.h — one round of the labeling loop, for the app and the simulator.
 *
 * A ROUND turns the labels given so far into a model and the next ranking:
 *
 *   1. labels   gl_round_set_labels: the labels of pool images, in image id
 *               order; audit labels apart; the rest split into training and
 *               validation (gl_trainer_split_labels: the validation share
 *               per class, chosen by a hash of the image id);
 *   2. train    gl_round_train: from the last model (a copy) or a new
 *               network, for at least GL_TRAINER_DEFAULT_EPOCHS epochs and
 *               GL_TRAINER_DEFAULT_MIN_STEPS optimiser steps within the time
 *               budget, SGD from GL_TRAINER_LR with a cosine decay, crops as
 *               augmentation; in a round on a project with drift, the
 *               labels that were drift candidates first weigh what the new
 *               kind of image weighs in the stream (app/gl-drift-adapt.h);
 *   3. evaluate gl_round_evaluate: metrics on the validation labels and,
 *               apart, on the audit labels;
 *   4. save     (the app only) the model as a new version, atomically;
 *   5. score    gl_round_score: probabilities, embeddings (and Monte-Carlo-
 *               dropout passes for BALD) of the pool, and each image's
 *               acquisition score;
 *   6. rank     gl_round_select: the strategy's next batch, with its audit
 *               share drawn at random.
 *
 * gleaner-cli simulate (app/gl-simulate.c) runs steps 1–3, 5 and 6 on the
 * oracle's labels in memory; the app's trainer runs them all on the project
 * with gl_round_run_project, which reads the snapshot from the store and
 * writes the model version, its predictions and the ranking. Same steps,
 * same options (gl_round_options_init: the app's defaults), same seeds
 * (gl_round_seed): from the same labels and seed both make the same model.
 *
 * Every function runs on the calling thread, which must be the only one
 * calling BLAS (the engine thread in the app).
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-drift-adapt.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "engine/gl-acquire.h"
#include "engine/gl-metrics.h"
#include "engine/gl-net.h"

G_BEGIN_DECLS

typedef struct _GlRescoreWriter GlRescoreWriter; /* app/gl-rescore.h */

#define GL_ROUND_BATCH 32                 /* images per optimiser step */
#define GL_ROUND_MC_PASSES 8              /* Monte-Carlo-dropout passes for BALD */
#define GL_ROUND_DEFAULT_TIME_BUDGET 20.0 /* seconds of training per round */

typedef struct
{
  GlStrategy strategy;     /* default GL_STRATEGY_DEFAULT */
  guint max_epochs;        /* default GL_TRAINER_DEFAULT_EPOCHS */
  guint min_steps;         /* default GL_TRAINER_DEFAULT_MIN_STEPS */
  double time_budget;      /* seconds, default GL_ROUND_DEFAULT_TIME_BUDGET */
  double validation_share; /* default GL_TRAINER_DEFAULT_VALIDATION_SHARE */
  double audit_share;      /* of each ranking, default GL_TRAINER_DEFAULT_AUDIT_SHARE */
  gboolean augment;        /* random crops; default TRUE */
  guint64 seed;            /* the round's: a new network, training, dropout passes, selection */
} GlRoundOptions;

void gl_round_options_init (GlRoundOptions *options);

/* The seed of round @index (0-based) of a run seeded @base: the trainer's
 * rounds and the simulator's use the same. */
guint64 gl_round_seed (guint64 base, guint64 index);

/* One round's data, owned by whoever runs it, touched by that thread only. */
typedef struct
{
  GlRoundOptions options;
  const GlDataset *data; /* borrowed: the pixel rows */
  guint n_classes;

  /* set_labels (owned) */
  guint64 n_labels;     /* every label given: training + validation + audit */
  GArray *train_rows;   /* guint64 pixel rows */
  GArray *train_labels; /* gint class indices */
  GArray *val_rows, *val_labels;
  GArray *audit_rows, *audit_labels;

  /* train (owned) */
  GlNet *net;    /* the trained network, NULL before (gl_round_steal_net) */
  gboolean warm; /* it started from the last model */
  GlTrainReport train;

  /* evaluate (owned; NULL without labels to evaluate on) */
  GlMetrics *validation;
  GlMetrics *audit;

  /* score (owned) */
  gsize n_pool;      /* images scored with embeddings (the pool) */
  gsize n_scored;    /* n_pool + the extra images scored for their predictions */
  guint dim;         /* embedding size */
  float *probs;      /* (n_scored, n_classes) */
  float *embeddings; /* (n_pool, dim) */
  float *mc;         /* (GL_ROUND_MC_PASSES, n_pool, n_classes), BALD only, else NULL */
  float *scores;     /* (n_scored): higher = more worth labeling */
} GlRound;

GlRound *gl_round_new (const GlDataset *data, guint n_classes, const GlRoundOptions *options);
void gl_round_free (GlRound *round);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlRound, gl_round_free)

/* Step 1. @ids, @rows, @classes (class indices), @audit: (n), in any order
 * (the round orders them by image id). Error GL_TRAINER_ERROR_NO_LABELS when
 * fewer than two classes have labels to train on. */
gboolean gl_round_set_labels (GlRound *round, const gint64 *ids, const guint64 *rows, const gint *classes,
                              const gboolean *audit, gsize n, GError **error);

/* Step 2. Trains a copy of @warm_start (borrowed; NULL or a network of
 * other classes: a new one, seeded by the round). @progress (may be NULL)
 * gets the engine's training progress. Errors: G_IO_ERROR_CANCELLED, or
 * GL_TRAINER_ERROR_ENGINE. */
gboolean gl_round_train (GlRound *round, const GlNet *warm_start, GlNetProgressFunc progress,
                         gpointer user_data, GCancellable *cancellable, GError **error);

/* Step 3: on the validation and the audit labels, with the trained network. */
gboolean gl_round_evaluate (GlRound *round, GCancellable *cancellable, GError **error);

/* Step 5. Scores @n_pool pool images (@rows first) and @n_extra more images
 * (@rows after them: probabilities and scores only, e.g. a held-out test
 * set) with @net (the trained one, or another for a ranking without
 * training). */
gboolean gl_round_score (GlRound *round, GlNet *net, const guint64 *rows, gsize n_pool, gsize n_extra,
                         GlNetProgressFunc progress, gpointer user_data, GCancellable *cancellable,
                         GError **error);

/* Step 5 in parts, as app/gl-rescore.c scores a project's pool in chunks:
 * gl_round_score_begin makes room for @n_pool pool images and @n_extra more
 * (zeroed); each gl_round_score_at then scores @n images (@rows) into the
 * positions @at (@pool: pool positions, with embeddings and Monte-Carlo
 * passes; else positions from n_pool on, probabilities and scores only).
 * The probabilities and margin, least-confidence or entropy scores are those
 * of gl_round_score; BALD's dropout masks are drawn per call. */
void gl_round_score_begin (GlRound *round, GlNet *net, gsize n_pool, gsize n_extra);
gboolean gl_round_score_at (GlRound *round, GlNet *net, const guint64 *rows, const gsize *at, gsize n,
                            gboolean pool, GCancellable *cancellable, GError **error);

/* Step 6. The next @batch_size pool images (GlAcquireItem, indices into the
 * scored pool) by the strategy, @state: (n_pool) GlItemState. */
GArray *gl_round_select (GlRound *round, const guint8 *state, guint batch_size, GError **error);

/* The trained network, now the caller's. */
GlNet *gl_round_steal_net (GlRound *round);

/* ---- The app's round on a project ---- */

typedef struct
{
  const char *db_path; /* borrowed */
  const char *models_dir;
  const char *pixels_path;
  gboolean train;         /* FALSE: rank only, with the current model (or for coverage) */
  GlRoundOptions options; /* strategy, validation share and augmentation are the project's */
  guint ranking_size;
  GlNet *worker_net;     /* the network the caller holds (borrowed), or NULL */
  gint64 worker_version; /* ... its model version */
  /* The score step (app/gl-rescore.h): */
  GlRescoreWriter *writer; /* borrowed: the thread its store writes run on, or NULL: one of the round's own */
  double rescore_budget;   /* seconds of pool scoring, 0: the project's setting (GL_DB_SETTING_RESCORE_BUDGET) */
  /* Engine thread: a ranking of the rescore's first chunk is stored (the
   * queue may take it); may be NULL. */
  void (*ranked) (gint64 queue_seq, gpointer user_data);
  gpointer ranked_data;
} GlRoundProjectSpec;

typedef struct
{
  GlTrainerReport report;
  GlDriftAdaptReport drift_adapt; /* what the drift adaptation did to the training set (applied 1: nothing) */
  gboolean trained;         /* a new version is current */
  gboolean ranked;          /* a new ranking is stored */
  gint64 queue_seq;         /* the store's after the ranking, -1 unknown */
  double previous_accuracy; /* of the version current before, NaN when none */
  GlNet *net;               /* a network for the caller to hold from now on (owned), or NULL */
  gint64 net_version;       /* ... its model version */
} GlRoundProjectResult;

void gl_round_project_result_init (GlRoundProjectResult *result);
void gl_round_project_result_clear (GlRoundProjectResult *result);

/* Runs a round on the project through a store connection of its own:
 * snapshot, (train, evaluate, save, score, make current), rank. @progress
 * (may be NULL) gets each phase with the fraction of the round done. A
 * cancelled or failed round leaves the last version current; what it did
 * is in @result either way. */
gboolean gl_round_run_project (const GlRoundProjectSpec *spec, GlRoundProjectResult *result,
                               GlNetProgressFunc progress, gpointer user_data, GCancellable *cancellable,
                               GError **error);

/* Every readable image of @db, in image id order, appended to @out
 * (GlPoolImage). */
gboolean gl_round_list_images (GlDb *db, GArray *out, GError **error);

G_END_DECLS
