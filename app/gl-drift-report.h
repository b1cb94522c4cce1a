/* gl-drift-report.h — drift per class of a project's import batches and
 * sliding windows, against the current model version's reference.
 *
 * After each training round (gl_drift_report_after_round, called once at
 * the end of the round on the engine thread) the new version gets its
 * reference: temperature scaling fitted on the validation labels (the
 * validation ECE before and after is stored), then the calibrated class
 * probabilities and an 8-dimensional random projection of the embedding of
 * the validation images and of a random sample of the pool. Then the newest
 * import batches and sliding windows over the newest images (default 200,
 * step 100) are scored by that version and compared with the reference by
 * the combined verdict (engine/gl-drift-verdict.h: per class, every test
 * with its statistic, p-value, Holm-adjusted p-value, effect size and sample
 * sizes; α = 0.05 per window). Everything is stored (db/gl-db.h, drift).
 *
 * gl_drift_report_update does the same for a project outside a round (the
 * CLI after an import, or `drift --window N`): it loads the current version
 * and scores the batches that have no result for it yet. Both end with the
 * drift automation's step (app/gl-drift-auto.h).
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"
#include "db/gl-db.h"
#include "engine/gl-net.h"

G_BEGIN_DECLS

#define GL_DRIFT_REPORT_WINDOW 200       /* default sliding window */
#define GL_DRIFT_REPORT_STEP 100         /* default step */
#define GL_DRIFT_REPORT_NEWEST 2000      /* the windows cover at most the newest this many images */
#define GL_DRIFT_REPORT_POOL_SAMPLE 2000 /* pool images in a reference, beside the validation labels */
#define GL_DRIFT_REPORT_BATCHES 10       /* newest batches reported after a round */
#define GL_DRIFT_REPORT_BATCH_MAX 2000   /* a batch is compared by its newest this many images */
#define GL_DRIFT_REPORT_DIM 8            /* embedding projection width */
#define GL_DRIFT_REPORT_PROJECTION_SEED 1300

/* At the end of a round, after @model_id became current: stores its
 * reference and the drift of the newest batches and the default windows.
 * @net: the version's network; @data: the pixel cache (rows below @n_rows
 * are valid); @class_ids: (n_classes) the class of each output; @val_rows,
 * @val_labels: (n_val) the validation labels. A failure is logged (the
 * round stands; drift is reported at the next one). */
void gl_drift_report_after_round (GlDb *db, GlNet *net, const GlDataset *data, guint64 n_rows,
                                  gint64 model_id, const gint64 *class_ids, guint n_classes,
                                  const guint64 *val_rows, const gint *val_labels, gsize n_val, guint64 seed,
                                  GCancellable *cancellable);

/* Outside a round: with the current version of @project, computes the batches
 * that have no result for it yet and, when @window > 0, replaces its windows
 * by windows of @window images every @step. *@model_id: the current version
 * (-1: none, nothing computed); *@has_reference: FALSE when that version has
 * no reference (trained before drift was reported): nothing computed. */
gboolean gl_drift_report_update (GlProject *project, guint window, guint step, gint64 *model_id,
                                 gboolean *has_reference, GError **error);

/* The same for a batch that just arrived (a watched folder's,
 * app/gl-watch.h), off the calling thread: on a worker thread with a store
 * connection and a pixel map of its own, computes the batches that have no
 * result for the current version yet (windows untouched), then the
 * automation step (app/gl-drift-auto.h: gl_drift_auto_evaluate). Nothing
 * without a current version with a reference. One such update runs at a time
 * in a process. @callback on the thread-default main context of the caller. */
void gl_drift_report_update_async (GlProject *project, GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data);
gboolean gl_drift_report_update_finish (GAsyncResult *result, GError **error);
/* gl_drift_report_update_async with nothing to wait for (the window, after
 * a watched folder's batch): a failure is logged. The results are read from
 * the store (app/gl-drift-auto.h). */
void gl_drift_report_update_in_background (GlProject *project);

G_END_DECLS
