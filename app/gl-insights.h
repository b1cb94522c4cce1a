/* gl-insights.h — what an ML engineer looks at first, for one model version:
 * the learning curve, per-class metrics with their change, class balance,
 * the confusion matrix and the reliability diagram.
 *
 * Everything comes from what the store keeps (model versions, their
 * per-class metrics and confusion matrix, predictions, labels) through
 * aggregate or primary-key queries, never a scan of the pool's predictions
 * into memory: on a 1M-image project the slowest part is one GROUP BY over
 * the unlabeled images (class balance). gl_insights_compute runs on any
 * thread with a connection of its own; gl_insights_compute_async runs it on
 * a worker thread and hands the report back on the caller's main context.
 *
 * Sources and their meaning:
 * - the learning curve, the per-class metrics and the confusion matrix are
 *   on each version's validation labels (stored at training time);
 * - audit accuracy is on the audit labels (drawn at random from the pool and
 *   never trained on, so an unbiased sample), scored by that version's stored
 *   predictions, with a 95% Wilson score interval;
 * - the reliability diagram uses the same audit labels plus the held-out
 *   test images with a reference label (both unseen by every version);
 * - class balance: the current labels per class beside the classes the
 *   version predicts for the unlabeled pool.
 */
#pragma once

#include <gio/gio.h>

#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_INSIGHTS_ERROR (gl_insights_error_quark ())
GQuark gl_insights_error_quark (void);

typedef enum
{
  GL_INSIGHTS_ERROR_NO_MODEL, /* the project has no model version (or not the one asked for) */
} GlInsightsError;

/* Reliability diagram: the equal-width confidence bins over (0, 1] of the
 * stored validation ECE, so that both calibration errors compare. */
#define GL_INSIGHTS_BINS 15 /* = GL_METRICS_ECE_BINS (checked in gl-insights.c); ui/ sees no engine header */

/* A binomial proportion with its 95% Wilson score interval (Wilson 1927);
 * all NaN when n is 0. */
typedef struct
{
  guint64 n;
  guint64 successes;
  double rate, low, high;
} GlProportion;

/* The 95% Wilson score interval of @successes out of @n (z = 1.959964). */
void gl_proportion_wilson (guint64 successes, guint64 n, GlProportion *out);

/* One point of the learning curve. */
typedef struct
{
  gint64 id;
  guint64 n_labels;
  double val_accuracy, macro_f1, ece; /* NaN when unknown */
  GlProportion audit;                 /* audit labels scored by this version */
} GlInsightsVersion;

/* The report. Built by a worker, then read-only: any thread may read it; it
 * is freed by whoever holds the last reference (gl_insights_unref). Arrays
 * indexed by class are in the project's class order (archived included). */
typedef struct
{
  /*< private >*/
  gint ref_count;
  /*< public >*/
  gint64 model_id;    /* the version reported */
  gint64 previous_id; /* the version before it, -1 none */
  gint64 current_id;  /* the project's current version at compute time */

  guint n_classes;
  gint64 *class_ids;        /* (n_classes) */
  char **class_names;       /* (n_classes + 1) NULL-terminated */
  char (*class_colours)[8]; /* (n_classes) "#rrggbb" */

  guint n_versions;            /* the learning curve, oldest first */
  GlInsightsVersion *versions; /* (n_versions) */
  guint version_index;         /* index of model_id in versions */

  /* Per-class metrics on the version's validation labels; NaN undefined.
   * The deltas are against previous_id (NaN without it or when either is
   * undefined). has_metrics is FALSE when the version stored none. */
  gboolean has_metrics;
  double *precision, *recall, *f1;       /* (n_classes) */
  double *d_precision, *d_recall, *d_f1; /* (n_classes) */
  guint64 *support;                      /* (n_classes) */

  /* Class balance. */
  guint64 *labeled;   /* (n_classes) current labels */
  guint64 *predicted; /* (n_classes) unlabeled pool images predicted as the class */
  guint64 labeled_total, predicted_total;

  /* Validation confusion matrix, [true][predicted] in class order; NULL when
   * the version stored none in a known order. */
  guint32 *confusion; /* (n_classes, n_classes) */
  guint64 confusion_total;

  /* Reliability diagram on the audit and held-out test labels. */
  guint64 bin_count[GL_INSIGHTS_BINS];
  guint64 bin_correct[GL_INSIGHTS_BINS];
  double bin_confidence[GL_INSIGHTS_BINS]; /* mean top-class probability, NaN empty */
  guint64 reliability_n;                   /* audit + test labels with a prediction */
  guint64 reliability_audit_n;             /* of which audit labels */
  double ece;                              /* Σ_b (n_b / n) |accuracy_b − confidence_b|, NaN when n is 0 */
} GlInsights;

GlInsights *gl_insights_ref (GlInsights *insights);
void gl_insights_unref (GlInsights *insights);

/* The report for @model_id (-1: the current version) from @db, on the
 * calling thread. GL_INSIGHTS_ERROR_NO_MODEL when there is none. */
GlInsights *gl_insights_compute (GlDb *db, gint64 model_id, GError **error);

/* Row-normalised confusion cell (share of true class @i predicted as @j),
 * NaN when the row is empty or there is no matrix. */
double gl_insights_confusion_share (const GlInsights *insights, guint i, guint j);
/* Accuracy of reliability bin @b (NaN when empty). */
double gl_insights_bin_accuracy (const GlInsights *insights, guint b);

/* The audit accuracy of @model_id with its interval (one primary-key read
 * per audit image). */
gboolean gl_insights_audit (GlDb *db, gint64 model_id, GlProportion *out, GError **error);

/* @p as {"n", "correct", "accuracy", "low", "high", "level", "method"}. */
void gl_insights_append_proportion_json (GString *out, const GlProportion *p);
/* The report as one JSON object (for gleaner-cli insights --json). */
void gl_insights_append_json (const GlInsights *insights, GString *out);

/* gl_insights_compute on a worker thread with its own connection to the
 * store at @db_path; @callback runs on the thread-default main context of
 * the caller. */
void gl_insights_compute_async (const char *db_path, gint64 model_id, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
GlInsights *gl_insights_compute_finish (GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlInsights, gl_insights_unref)

G_END_DECLS
