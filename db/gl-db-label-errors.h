/* gl-db-label-errors.h — suspected label errors per model version (schema 4).
 *
 * A detection (app/gl-label-errors.c) stores, for one model version, a RUN
 * (how it was made) and one ROW per labeled image it looked at: the
 * out-of-fold probabilities of the given class and of the most likely other
 * class, a score (higher = more likely wrong) and whether confident learning
 * flagged it. Both go in with ONE transaction (gl_db_store_label_errors), so
 * a version has its whole detection or none.
 *
 * Review decisions are ordinary label-history rows with origin
 * GL_DB_ORIGIN_REVIEW (gl_db_set_label). The SUSPECTED errors of a version
 * are its flagged rows whose image still has the given class as its current
 * label and has no "review" row newer than the run's last_label_id: a label
 * kept (or changed) in review is not suggested again for that version.
 *
 * Same threading rules as gl-db.h: a GlDb is used by one thread at a time.
 */
#pragma once

#include "db/gl-db.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 model_id;      /* the version the detection belongs to */
  guint folds;          /* k of the k-fold cross-validation */
  guint64 n_labels;     /* labeled images looked at (rows) */
  guint64 n_flagged;    /* rows flagged by confident learning */
  char *ranking;        /* owned: the score's ranking ("self-confidence", "normalized-margin") */
  double seconds;       /* what the detection took; NaN when not known */
  gint64 last_label_id; /* the newest labels.id when the labels were read */
  gint64 created_us;    /* set by gl_db_store_label_errors */
} GlDbLabelErrorRun;

void gl_db_label_error_run_clear (GlDbLabelErrorRun *run);

typedef struct
{
  gint64 image_id;
  gint64 given_class;     /* class id of the label looked at */
  gint64 suggested_class; /* class id of the most likely other class, -1 none */
  double p_given;         /* out-of-fold probability of the given class */
  double p_suggested;     /* … of the suggested class */
  double score;           /* 0…1, higher = more likely a wrong label */
  gboolean flagged;       /* confident learning flagged it */
} GlDbLabelError;

/* The newest label-history row id (0 when none). */
gint64 gl_db_get_last_label_id (GlDb *db);

/* Stores @run and its @n rows in ONE transaction, replacing an earlier
 * detection of run->model_id. INVALID when a row's class or image is not in
 * the store. */
gboolean gl_db_store_label_errors (GlDb *db, const GlDbLabelErrorRun *run, const GlDbLabelError *rows,
                                   gsize n, GError **error);

/* The run of @model_id: *@found FALSE (and TRUE returned) when the version has
 * no detection. @out is cleared by the caller with
 * gl_db_label_error_run_clear. */
gboolean gl_db_get_label_error_run (GlDb *db, gint64 model_id, GlDbLabelErrorRun *out, gboolean *found,
                                    GError **error);

/* Rows of @model_id by score, highest first (ties: image id): every row, or
 * with @suspected_only the suspected errors (see above). @limit 0: all.
 * Elements: GlDbLabelError. */
GArray *gl_db_list_label_errors (GlDb *db, gint64 model_id, gboolean suspected_only, guint limit,
                                 GError **error);

/* The row of @image_id in @model_id's detection; *@found FALSE when none. */
gboolean gl_db_get_label_error (GlDb *db, gint64 model_id, gint64 image_id, GlDbLabelError *out,
                                gboolean *found, GError **error);

G_END_DECLS
