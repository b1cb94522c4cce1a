/* gl-drift-adapt.h — a drift round learns from the drifted labels as much as
 * the stream holds of the new kind of image.
 *
 * IMPORTANCE WEIGHTING UNDER COVARIATE SHIFT (Shimodaira 2000; Sugiyama,
 * Krauledat & Müller 2007): when the images the model will see come from
 * another distribution than the labeled ones, training on the labels
 * weighted by the density ratio p_new (x) / p_train (x) minimises the
 * expected loss on the new distribution. The drift candidates
 * (app/gl-drift-boost.h) are the images where the k-NN density ratio of the
 * drifted windows to the reference is high (domain score ≥ 0.5, i.e. ratio
 * ≥ 2) or that are novel; the others are explained by the reference. Two
 * weights then: 1 for a label the reference explains, w for a label that
 * was a candidate, chosen so that the candidates weigh in the training set
 * what the new kind weighs in the stream:
 *
 *   w · n_d / (w · n_d + n − n_d) = π   ⇔   w = π (n − n_d) / ((1 − π) n_d)
 *
 * with n training labels, n_d of them candidates, π the candidates' share of
 * the images of the drifted batches and windows. w is clipped to
 * [1, GL_DRIFT_ADAPT_MAX_WEIGHT] (Cortes, Mansour & Mohri 2010: unbounded
 * weights make the variance unbounded; a few labels must not stand for
 * thousands) and applied by oversampling: each candidate label enters the
 * training set ⌊w⌋ or ⌈w⌉ times (the first ones in order ⌈w⌉, so that the
 * total is w · n_d rounded), each copy with its own random crop. Without
 * drift (π = 0, or no candidate among the labels) the training set is left
 * as it is.
 *
 * Plain arrays and one store reader; no state. Any thread (the store's
 * connection's thread for gl_drift_adapt_read).
 */
#pragma once

#include <glib.h>

#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_DRIFT_ADAPT_MAX_WEIGHT 8.0

/* What a round's adaptation did; the round's record. */
typedef struct
{
  guint64 n_train;    /* training labels before */
  guint64 n_drifted;  /* of them, drift candidates */
  double share;       /* π: the candidates' share of the drifted batches' and windows' images; 0 without drift */
  guint64 n_covered;  /* the images π is counted over */
  double weight;      /* w as the formula gives it, before clipping; 1 without adaptation */
  double applied;     /* w clipped to [1, GL_DRIFT_ADAPT_MAX_WEIGHT], 1 without adaptation */
  guint64 n_added;    /* copies added to the training set */
} GlDriftAdaptReport;

/* The weight of a candidate label (see above) in *@report (n_train,
 * n_drifted and share set by the caller); TRUE when it adapts (applied > 1). */
gboolean gl_drift_adapt_weigh (GlDriftAdaptReport *report);

/* @rows (guint64) and @labels (gint), the training set, with the copies of
 * the rows @drifted (rows->len, may be NULL: none) appended, in the order of
 * @rows, as *@report says (gl_drift_adapt_weigh first). */
void gl_drift_adapt_oversample (GArray *rows, GArray *labels, const gboolean *drifted, GlDriftAdaptReport *report);

/* From the store: @drifted (rows->len) ← the training @rows (pixel cache
 * rows, guint64) whose image is a drift candidate of any version, and π with
 * its count from the drifted results of model @model_id. FALSE with @error
 * on a store error. */
gboolean gl_drift_adapt_read (GlDb *db, gint64 model_id, const GArray *rows, gboolean *drifted,
                              GlDriftAdaptReport *report, GError **error);

/* What a round on a project calls between its labels and its training
 * (app/gl-round.c): unless drift automation is off
 * (app/gl-drift-auto.h), reads the candidates and π of the current model
 * version (gl_drift_adapt_read), oversamples the training set @rows,
 * @labels, and records what it did as a drift action (action "weight",
 * origin "auto", trigger "round", its figures as JSON statistics). A store
 * error is a g_warning and a round without adaptation: drift must not stop
 * the training. *@report ← what it did (applied 1: nothing). */
void gl_drift_adapt_round (GlDb *db, GArray *rows, GArray *labels, GlDriftAdaptReport *report);

/* One line for people: "drift round: 104 of 2,034 labels drifted (π 0.41 of
 * 1,800 images), weight 8.0 (21.3 before clipping), 728 copies"; NULL when
 * it did not adapt. */
char *gl_drift_adapt_describe (const GlDriftAdaptReport *report);

G_END_DECLS
