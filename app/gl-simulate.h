/* gl-simulate.h — the active-learning loop played with an oracle.
 *
 * The project's REFERENCE labels are the oracle. Images of held-out test
 * batches (the demo project's 10,000 Fashion-MNIST test images) are the test
 * set: their labels are never queried, only used to evaluate. A project
 * without a held-out batch holds out the reference-labeled images whose id
 * hashes into the first @test_share instead.
 *
 * A run: @seed_labels pool images drawn at random (the same set for every
 * strategy with the same seed) are "labeled"; then each round is the app's
 * round (app/gl-round.h: the same validation hold-out, audit labels apart,
 * the same training, constants and seeds; warm-starting from the previous
 * round), measures accuracy and macro-F1 on the test set, rescores the pool
 * (probabilities, embeddings and, for BALD, Monte-Carlo-dropout passes), and
 * asks the oracle for the labels of the next @batch images the strategy
 * selects (the audit share of them drawn at random and kept apart, as the
 * queue's), until @budget labels. Runs on the calling thread, which must be
 * the only one calling BLAS (gleaner-cli, the benchmark).
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"
#include "engine/gl-net.h"

G_BEGIN_DECLS

#define GL_SIMULATE_ERROR (gl_simulate_error_quark ())
GQuark gl_simulate_error_quark (void);

typedef enum
{
  GL_SIMULATE_ERROR_INVALID,   /* bad option, unknown strategy */
  GL_SIMULATE_ERROR_NO_ORACLE, /* too few reference labels in the pool or the test set */
  GL_SIMULATE_ERROR_FAILED,    /* the store or the engine failed */
} GlSimulateError;

typedef struct
{
  const char *strategy;  /* a GlStrategy nick (engine/gl-acquire.h); default "default" */
  guint seed_labels;     /* default 100 */
  guint batch;           /* default 100 */
  guint budget;          /* default 3,000 */
  guint64 seed;          /* default 0 */
  guint epochs;          /* per round; default 10 (the trainer's), more when needed for min_steps */
  guint min_steps;       /* optimiser steps per round at least (small label sets); default 300 (the trainer's) */
  double round_seconds;  /* training time budget per round; default 20 (the trainer's) */
  double audit_share;    /* share of each batch drawn at random and kept apart (as the queue does);
                            default 0.1 (the trainer's) */
  double test_share;     /* without a held-out batch; default 0.2 */
  gsize max_pool;        /* use at most this many pool images (0 = all) */
  gsize pool_sample;     /* rescore only the labeled images and this many unlabeled ones drawn at random
                            each round (0 = the whole pool, as the trainer does) */
  double stop_accuracy;  /* stop once the test accuracy reaches this (0 = run to the budget) */
  gsize max_test;        /* evaluate on at most this many test images (0 = all) */
} GlSimulateOptions;

void gl_simulate_options_init (GlSimulateOptions *options);

typedef struct
{
  guint round;           /* 0-based */
  guint64 labels;        /* labels given before this round (training, validation and audit) */
  double test_accuracy;
  double macro_f1;
  double train_seconds;
  double score_seconds;  /* rescoring the pool and selecting the next batch (0 in the last round) */
  double seconds;        /* the whole round */
  double infer_seconds;  /* of score_seconds: the network's forward passes over the scored images */
  double acquire_seconds; /* of score_seconds: choosing the batch from the scores and embeddings */
  double validation_accuracy; /* on the round's validation hold-out, NaN without one */
  guint64 n_train;       /* of labels: those trained on */
} GlSimulateRound;

typedef void (*GlSimulateRoundFunc) (const GlSimulateRound *round, gpointer user_data);

typedef struct
{
  char *strategy;
  guint64 pool_size;
  guint64 test_size;
  GArray *rounds;        /* GlSimulateRound */
  GArray *labeled;       /* gint64: the pool images labeled, in the order asked */
  GArray *audit;         /* gboolean: (labeled->len) each asked as an audit item */
  GlNet *net;            /* the last round's network */
} GlSimulateResult;

void gl_simulate_result_free (GlSimulateResult *result);

/* Runs the simulation; @round_func (may be NULL) after each round. */
GlSimulateResult *gl_simulate_run (GlProject *project, const GlSimulateOptions *options,
                                   GlSimulateRoundFunc round_func, gpointer user_data, GCancellable *cancellable,
                                   GError **error);

/* The labels of the first round whose test accuracy reached @accuracy, or 0
 * when none did. */
guint64 gl_simulate_labels_to_reach (const GlSimulateResult *result, double accuracy);
/* The same, interpolated linearly between that round and the one before
 * (not rounded up to the batch); NaN when no round reached @accuracy. */
double gl_simulate_labels_to_reach_interpolated (const GlSimulateResult *result, double accuracy);
/* The area under the learning curve (test accuracy over labels, linear
 * between rounds, the last round's accuracy held to the end) from 0 to
 * @max_labels labels, divided by @max_labels: the mean accuracy over the
 * labeling, 0…1 (accuracy 0 before the first round). */
double gl_simulate_curve_area (const GlSimulateResult *result, guint64 max_labels);

/* The learning curve as one JSON object. */
char *gl_simulate_result_to_json (const GlSimulateResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlSimulateResult, gl_simulate_result_free)

G_END_DECLS
