/* gl-drift-timeline.h — the drift of one model version as a grid for the
 * Insights view: its import batches or sliding windows across, the project's
 * classes down, one cell per (class, batch or window) with the strongest of
 * that class's tests.
 *
 * It reads what gl-drift-report.c stored (db/gl-db.h, "Drift per class"):
 * per batch or window the verdict, the CBPE accuracy estimate and, per class,
 * every test with its statistic, p-value, Holm-adjusted p-value, effect size
 * and sample sizes, and the CBPE precision estimate with its standard error.
 * Nothing is recomputed: the grid shows the stored verdicts.
 *
 * gl_drift_timeline_load runs on any thread with a connection of its own;
 * gl_drift_timeline_load_async runs it on a worker thread and hands the
 * result back on the caller's main context. The result is read-only once
 * built: any thread may read it; it is freed with its last reference.
 */
#pragma once

#include <gio/gio.h>

#include "db/gl-db.h"

G_BEGIN_DECLS

#define GL_DRIFT_TIMELINE_ERROR (gl_drift_timeline_error_quark ())
GQuark gl_drift_timeline_error_quark (void);

typedef enum
{
  GL_DRIFT_TIMELINE_ERROR_NO_MODEL, /* the project has no model version */
} GlDriftTimelineError;

/* One batch or window (a column of the grid). */
typedef struct
{
  gint64 result_id;
  GlDbDriftKind kind;
  gint64 batch_id;                /* BATCH: the import batch; else -1 */
  gint64 first_image, last_image; /* image id range covered */
  guint64 n_images;
  guint window_size;              /* WINDOW: its size; else 0 */
  gboolean drifted;               /* the combined verdict (level @alpha per window after Holm) */
  double alpha;                   /* that level as stored with the result; NaN before schema 8 */
  guint n_fired, n_tested;        /* tests that fired / that had enough data */
  gint64 top_class;               /* the class named first, -1 none */
  double accuracy_est, accuracy_se; /* CBPE accuracy estimate and its standard error; NaN unknown */
  double accuracy_ref;            /* the reference's CBPE accuracy */
  double psi;                     /* of the predicted class shares */
  gint64 created_us;
} GlDriftColumn;

/* One class in one batch or window (a cell). */
typedef struct
{
  gboolean present;      /* the result has a row for the class */
  guint64 n_images;      /* predicted as the class in the batch or window */
  gboolean insufficient; /* fewer than 30 images: no verdict */
  gboolean drifted;      /* at least one of the class's tests fired */
  guint n_fired, n_tested;
  /* The strongest test: the fired one with the smallest adjusted p-value,
   * else the tested one with the smallest; test[0] == '\0' when none. */
  char test[24];
  double statistic, p_value, p_adjusted, effect; /* NaN when none */
  guint64 n_ref, n_win;
  double precision_est, precision_se;         /* CBPE in the batch or window */
  double precision_ref, precision_ref_se;     /* CBPE in the reference */
} GlDriftCell;

typedef struct
{
  /*< private >*/
  gint ref_count;
  /*< public >*/
  gint64 model_id;   /* the version shown */
  gint64 current_id; /* the project's current version at load time */
  GlDbDriftKind kind; /* the kind of the columns */

  guint n_classes;
  gint64 *class_ids;  /* (n_classes) the project's classes in order, archived included */
  char **class_names; /* (n_classes + 1) NULL-terminated */

  guint n_columns;
  GlDriftColumn *columns; /* (n_columns) oldest first */
  GlDriftCell *cells;     /* (n_classes, n_columns): cells[k * n_columns + c] */

} GlDriftTimeline;

GlDriftTimeline *gl_drift_timeline_ref (GlDriftTimeline *timeline);
void gl_drift_timeline_unref (GlDriftTimeline *timeline);

/* The timeline of @model_id (-1: the current version) with columns of
 * @kind, from @db on the calling thread. GL_DRIFT_TIMELINE_ERROR_NO_MODEL
 * when @model_id is -1 and there is no current version. A version without
 * drift results (or unknown) gives an empty timeline (n_columns 0). */
GlDriftTimeline *gl_drift_timeline_load (GlDb *db, gint64 model_id, GlDbDriftKind kind, GError **error);

/* The cell of class position @k in column @c. */
const GlDriftCell *gl_drift_timeline_cell (const GlDriftTimeline *timeline, guint k, guint c);
/* The class position of @class_id, or -1. */
gint gl_drift_timeline_class_index (const GlDriftTimeline *timeline, gint64 class_id);
/* "batch 3" / "images 1201–1400": the column's short name (free it). */
char *gl_drift_timeline_column_name (const GlDriftColumn *column);

/* A test id as stored ("share", "bbsd", "confidence", "embedding",
 * "novelty", "chi-square") as people read it: "BBSD (KS on the softmax
 * column)", …; an unknown id as it is. */
const char *gl_drift_timeline_test_title (const char *test);
/* A p-value for people: "0.003", "0.0004", "< 0.0001", "n/a" (in @buf). */
const char *gl_drift_timeline_format_p (char buf[32], double p);

/* CBPE accuracy's standard error from the per-class precision estimates:
 * accuracy = Σ n_k p_k / N, se = √(Σ n_k² se_k²) / N (classes independent).
 * NaN when N is 0. Elements of @classes: GlDbDriftClass. */
double gl_drift_timeline_accuracy_se (const GArray *classes);

/* gl_drift_timeline_load on a worker thread with its own connection to the
 * store at @db_path; @callback runs on the thread-default main context of
 * the caller. */
void gl_drift_timeline_load_async (const char *db_path, gint64 model_id, GlDbDriftKind kind,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
GlDriftTimeline *gl_drift_timeline_load_finish (GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDriftTimeline, gl_drift_timeline_unref)

G_END_DECLS
