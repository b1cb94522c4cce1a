/* gl-label-errors.h — label-error detection: out-of-fold predictions for
 * every labeled image, then confident learning (engine/gl-confident.h).
 *
 * A DETECTION belongs to the store's current model version:
 *   1. read (engine thread, own store connection): the current (non-reference)
 *      label of every readable pool image (held-out test images excluded),
 *      and the newest label-history id;
 *   2. split the labels into k folds (default 4), stratified by class and
 *      deterministic: within each class, images in order of
 *      gl_trainer_id_hash (the hash of the validation hold-out) go to folds
 *      0, 1, …, k-1, 0, 1, … (gl_label_errors_assign_folds);
 *   3. per fold: a copy of the current model (warm start; a fresh network
 *      when there is none or its classes differ) trained on the other folds
 *      for options.epochs, then its probabilities for the fold's images —
 *      their out-of-fold predictions — averaged over the states at the end
 *      of the last options.snapshots epochs (snapshot averaging). The folds
 *      run side by side, one engine thread each (the job's thread and the
 *      engine's helpers, gl-parallel.h), or one at a time on every engine
 *      thread (options.parallel_folds FALSE); either way the same results.
 *      Each fold's budget is options.seconds over the rounds of folds the
 *      threads take; the cancellable is checked once per batch;
 *   4. confident learning on the out-of-fold probabilities: thresholds,
 *      confident joint, calibration, the flagged set by options.filter (by
 *      default cleanlab's "both": prune by noise rate AND prune by class)
 *      and a score per image (1 − label quality, by self-confidence or
 *      normalised margin);
 *   5. store (ONE transaction, db/gl-db-label-errors.h): the run and a row per
 *      image. Nothing is written before that commit, so a cancelled, failed
 *      or killed detection leaves the store as it was.
 *
 * The job runs on a GlWorker (engine/gl-worker.h): gl_label_errors_detect_async
 * queues it on a worker the caller owns (the app's engine thread), and
 * gl_label_errors_detect runs it to the end on a worker of its own
 * (gleaner-cli, benchmarks, tests). GUI-free: GLib/GIO only.
 *
 * Review decisions (gl_label_errors_keep / _relabel) are label-history rows
 * with origin "review"; see db/gl-db-label-errors.h for how they take an
 * image off its version's list.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"
#include "db/gl-db-label-errors.h"
#include "engine/gl-confident.h"
#include "engine/gl-worker.h"

G_BEGIN_DECLS

#define GL_LABEL_ERRORS_ERROR (gl_label_errors_error_quark ())
GQuark gl_label_errors_error_quark (void);

typedef enum
{
  GL_LABEL_ERRORS_ERROR_NO_MODEL,  /* the project has no model version yet */
  GL_LABEL_ERRORS_ERROR_NO_LABELS, /* too few labels for k folds of two or more classes */
  GL_LABEL_ERRORS_ERROR_INVALID,   /* a bad option, an image without a label to keep */
  GL_LABEL_ERRORS_ERROR_STORE,     /* the store, the model file or the pixel cache failed */
  GL_LABEL_ERRORS_ERROR_ENGINE,    /* training failed */
} GlLabelErrorsError;

/* Four folds: the folds run side by side on the 2-core machine, and four
 * make two rounds of two (five would make three, the last with one core
 * idle). */
#define GL_LABEL_ERRORS_DEFAULT_FOLDS 4
#define GL_LABEL_ERRORS_DEFAULT_FILTER GL_CONFIDENT_FILTER_BOTH
/* Epochs per fold. Each fold starts from the current model, which a round
 * left short of converged, and the out-of-fold predictions (so the flagged
 * set's F1) improve up to about 40 epochs; `tests/bench/label-errors --epochs N
 * --folds K` prints the trade-off. At 40 epochs two folds side by side keep
 * the 2-core machine busy for about 90 s; the budget caps a slower machine. */
#define GL_LABEL_ERRORS_DEFAULT_EPOCHS 40
/* The training budget of a detection: it caps the epochs on a slow or busy
 * machine. */
#define GL_LABEL_ERRORS_DEFAULT_SECONDS 110.0
/* Snapshot averaging over the last epochs of each fold. */
#define GL_LABEL_ERRORS_DEFAULT_SNAPSHOTS 3

typedef struct
{
  guint folds;             /* k ≥ 2; default GL_LABEL_ERRORS_DEFAULT_FOLDS */
  double seconds;          /* training budget of the whole detection, split over the folds; default
                            * GL_LABEL_ERRORS_DEFAULT_SECONDS */
  guint epochs;            /* per fold at least; default GL_LABEL_ERRORS_DEFAULT_EPOCHS */
  guint min_steps;         /* optimiser steps per fold at least; default GL_TRAINER_DEFAULT_MIN_STEPS */
  GlConfidentRank ranking; /* the score; default self-confidence */
  GlConfidentFilter filter; /* which images are flagged; default GL_LABEL_ERRORS_DEFAULT_FILTER */
  guint batch_size;        /* default 32, the trainer's */
  gboolean warm_start;     /* each fold starts from the current model; default TRUE */
  guint64 seed;            /* default 0 */
  gboolean parallel_folds; /* folds side by side, one engine thread each; default TRUE */
  guint snapshots;         /* held-out probabilities averaged over the last N epochs of a fold (≥ 1 = the last
                            * state); default GL_LABEL_ERRORS_DEFAULT_SNAPSHOTS */
  gboolean keep_probs;     /* the report keeps the out-of-fold probabilities (analysis); default FALSE */
} GlLabelErrorsOptions;

void gl_label_errors_options_init (GlLabelErrorsOptions *options);

typedef struct
{
  gint64 model_id;   /* the version the detection was stored for */
  guint64 n_labels;  /* images looked at */
  guint64 n_flagged; /* flagged by confident learning */
  double seconds;    /* the whole detection */
  /* With options.keep_probs (else NULL), owned, free with gl_label_errors_report_clear: */
  guint n_classes;
  gint64 *image_ids; /* (n_labels) */
  float *probs;      /* (n_labels, n_classes) out-of-fold probabilities */
} GlLabelErrorsReport;

void gl_label_errors_report_clear (GlLabelErrorsReport *report);

/* Stratified, deterministic fold of each label: within each class the
 * images in order of gl_trainer_id_hash (ties: id) go round-robin to folds
 * 0 … @folds-1, so per class the fold sizes differ by at most one and a
 * label keeps its fold for a given set of labels of its class. @ids,
 * @classes (0 … @n_classes-1): (n). @fold: (n) out. */
void gl_label_errors_assign_folds (const gint64 *ids, const gint *classes, gsize n, guint n_classes,
                                   guint folds, guint *fold);

/* Queues the detection for @project's current model version on @worker.
 * @progress_func (may be NULL) gets phase TRAIN/SCORE progress with fraction
 * over the whole detection on the caller's main context. The options are
 * copied. */
void gl_label_errors_detect_async (GlWorker *worker, GlProject *project, const GlLabelErrorsOptions *options,
                                   GCancellable *cancellable, GlWorkerProgressFunc progress_func,
                                   gpointer progress_data, GAsyncReadyCallback callback, gpointer user_data);
/* @report may be NULL. G_IO_ERROR_CANCELLED when cancelled. */
gboolean gl_label_errors_detect_finish (GAsyncResult *result, GlLabelErrorsReport *report, GError **error);

/* Blocking: runs the detection on an engine worker of its own, iterating a
 * main context of its own (pushed as the thread default) until it is done;
 * @progress_func runs on the calling thread. */
gboolean gl_label_errors_detect (GlProject *project, const GlLabelErrorsOptions *options,
                                 GlWorkerProgressFunc progress_func, gpointer progress_data,
                                 GCancellable *cancellable, GlLabelErrorsReport *report, GError **error);

/* Review: keeps the current label of @image_id (a new history row with the
 * same class and origin "review"). INVALID when the image has no label. */
gboolean gl_label_errors_keep (GlDb *db, gint64 image_id, const char *annotator, GError **error);
/* Review: labels @image_id with @class_id, origin "review". */
gboolean gl_label_errors_relabel (GlDb *db, gint64 image_id, gint64 class_id, const char *annotator,
                                  GError **error);

G_END_DECLS
