/* synth-project.h — a small learnable project shared by the loop tests
 * (queue, trainer, simulator): 28×28 grey images of four classes, a bright
 * 10×10 square in the quadrant of the label, on noise. Pool images carry
 * REFERENCE labels (the oracle); a second batch is the held-out test set. */
#pragma once

#include "app/gl-project.h"
#include "db/gl-db.h"

extern const char *const synth_classes[];

/* Writes @dir/@split-images-idx3-ubyte and -labels-idx1-ubyte: @n images
 * drawn from @seed; @centred: every square in the centre instead of its
 * class's quadrant (a new kind of image, for drift). */
void synth_write_idx (const char *dir, const char *split, guint n, guint32 seed, gboolean centred);
/* Imports @dir/@split (written by synth_write_idx) into the pool, one batch,
 * with reference labels (the oracle). */
void synth_import_split (GlProject *p, const char *dir, const char *split);
/* A project in @dir/project with @n_pool pool and @n_test held-out images. */
GlProject *synth_project (const char *dir, guint n_pool, guint n_test);
/* The reference class of @image_id (store id). */
gint64 synth_reference (GlDb *db, gint64 image_id);
/* Labels (as a human) the first @n pool images with their reference class. */
void synth_label_first (GlProject *p, GlDb *db, guint n);
/* Gives every @every-th labeled pool image (id order) the next class instead,
 * @n of them (planted label errors); their ids into @flipped (n). */
void synth_flip_labels (GlProject *p, GlDb *db, guint every, guint n, gint64 *flipped);

/* A project for the Insights report with two model versions stored by hand
 * (no training), so that every figure is known:
 * - 40 pool images (reference class = index % 4, in id order) and 20
 *   held-out test images (reference class = index % 4);
 * - pool images 0–23 labeled (human) and 24–31 labeled as audit answers,
 *   each with its reference class; 32–39 unlabeled;
 * - version 1 (12 labels, accuracy 0.5, macro-F1 0.45, ECE 0.2): predicts
 *   the reference class with probability 0.7, except audit images 24–27
 *   (the next class) and every unlabeled image (class 3);
 * - version 2 (24 labels, accuracy 0.75, macro-F1 0.7, ECE 0.1), the
 *   current one: audit images with probability 0.95, wrong (next class) on
 *   24 and 25; test images with probability 0.55, wrong on indices divisible
 *   by 5; labeled images right with 0.9; unlabeled image k predicted class
 *   k % 2. Its metrics are stored in reverse class order with a confusion
 *   matrix of the same order: row/col r ↔ class 3 − r, cell (true a,
 *   predicted b) = 10 + 4a + b in class order.
 * Per-class metrics: version 1 precision/recall/F1 = 0.5 + 0.01 k, version 2
 * = 0.6 + 0.02 k for class position k. */
typedef struct
{
  gint64 classes[4]; /* class ids by position */
  gint64 v1, v2;     /* model versions */
} SynthInsights;

GlProject *synth_insights_project (const char *dir, SynthInsights *out);

/* Drift results of version 2 of the Insights project, stored by hand (all
 * tests' p-values are p_adjusted / 4, statistics their effect, n_ref 400,
 * each class CBPE precision = the result's accuracy ± 0.03, reference 0.9 ±
 * 0.02), in this order:
 * - batch, the test batch (20 images, 5 a class): no drift, accuracy 0.91;
 * - batch, the pool batch (40 images, 10 a class, class 3: 4, insufficient):
 *   class 1 drifts by BBSD (adjusted p 0.004, effect 0.41), class 0 by its
 *   share (adjusted p 0.02, effect 0.12); accuracy 0.72;
 * - window, pool images 0–19: no drift, accuracy 0.88;
 * - window, pool images 20–39: class 1 drifts by BBSD; accuracy 0.7.
 * Untested or unfired tests have adjusted p 0.6 (BBSD) and 0.8 (share); a
 * window-wide chi-square test with adjusted p 0.4 never fires. */
typedef struct
{
  gint64 pool_batch, test_batch;
  gint64 pool_first, pool_mid, pool_last; /* ids of pool images 0, 20 and 39 */
  gint64 test_first, test_last;
} SynthDrift;

void synth_insights_drift (GlProject *p, const SynthInsights *ids, SynthDrift *out);

/* Runs $GLEANER_CLI with @args (NULL-terminated, args[0] the command);
 * its stdout into *@out when @out is not NULL, its stderr as a test
 * message. Returns the exit status, or 128 + the signal that killed it. */
int synth_run_cli (const char *const *args, char **out);
