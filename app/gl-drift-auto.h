/* gl-drift-auto.h — drift that persists and hurts, and what Gleaner does
 * about it by itself.
 *
 * The drift of import batches and sliding windows is computed and stored by
 * app/gl-drift-report.h. This module reads it as a STATE of the project
 * (for the banner and the status bar, and for `gleaner-cli drift`) and acts
 * on it:
 *
 *   PERSISTS  the newest `drift_persist` (default 2) results of one kind
 *             (windows, or batches) for the current model version all
 *             drifted, or ADWIN found a drop in a class's accuracy on the
 *             audit labels for that version (app/gl-drift-audit.h);
 *   HURTS     for a drifted class: its estimated precision (CBPE, calibrated
 *             confidences) fell by ≥ `drift_accuracy_drop` (default 0.03)
 *             below the reference's, or its audited accuracy fell by that
 *             much (the ADWIN change), or its novelty rate is ≥
 *             `drift_novelty_ratio` (default 2) times the reference's.
 *
 * When both hold and automation is on (`drift_automation`, default on), the
 * trainer acts by itself (gl_drift_auto_evaluate, called after drift is
 * computed): it turns the DRIFT-BOOSTED QUEUE on (app/gl-drift-boost.h: a
 * share `drift_boost_share`, default 0.5, of each ranking drawn from the
 * drifted classes' images and the novel images, reason "drift: Sneaker, new
 * kind of image"), and asks for a retrain once `drift_retrain_labels`
 * (default 50) of those images are labeled (gl_drift_auto_retrain_due). When
 * a new model version no longer shows drift that persists and hurts, the
 * boost stops. Every action is recorded in the store (db/gl-db.h,
 * GlDbDriftAction) with its trigger's statistics: origin "auto", or "user"
 * for gl_drift_auto_start_boost (the banner's "Label drifted images").
 *
 * All settings are project settings (store table `settings`, README Drift).
 *
 * Threads: every function here takes a GlDb connection and runs on the
 * thread that owns that connection, any thread (the GUI calls the reading
 * functions from a GTask with a connection opened there:
 * gl_db_open (gl_project_get_db_path (project))). Nothing here touches GTK
 * or a GlQueue; results are plain structs owned by the caller.
 */
#pragma once

#include <glib.h>

#include "db/gl-db.h"

G_BEGIN_DECLS

/* Project settings (keys of the store's settings table). */
#define GL_DRIFT_AUTO_SETTING_ENABLED "drift_automation"            /* "1" (default) or "0" */
#define GL_DRIFT_AUTO_SETTING_PERSIST "drift_persist"               /* drifted results in a row, default 2 */
#define GL_DRIFT_AUTO_SETTING_ACCURACY_DROP "drift_accuracy_drop"   /* default 0.03 (3 points) */
#define GL_DRIFT_AUTO_SETTING_NOVELTY_RATIO "drift_novelty_ratio"   /* default 2 */
#define GL_DRIFT_AUTO_SETTING_BOOST_SHARE "drift_boost_share"       /* share of a ranking, default 0.5 */
#define GL_DRIFT_AUTO_SETTING_RETRAIN_LABELS "drift_retrain_labels" /* default 50 */
#define GL_DRIFT_AUTO_SETTING_ADWIN_DELTA "drift_adwin_delta"       /* ADWIN's δ, default 0.002 */

/* The settings with their defaults filled in; plain values. */
typedef struct
{
  gboolean enabled;
  guint persist;        /* ≥ 1 */
  double accuracy_drop; /* ≥ 0 */
  double novelty_ratio; /* ≥ 1 */
  double boost_share;   /* 0…1 */
  guint retrain_labels; /* ≥ 1 */
  double adwin_delta;   /* (0, 1) */
} GlDriftAutoSettings;

/* Reads the settings of @db; a value out of range or not a number is
 * replaced by its default (with a g_warning naming the key and value). */
void gl_drift_auto_settings_read (GlDb *db, GlDriftAutoSettings *out);

/* One drifted class of the newest result. */
typedef struct
{
  gint64 class_id;
  char *name; /* owned */
  char
      test[24]; /* the fired test with the smallest adjusted p: share, bbsd, confidence, embedding, novelty */
  double statistic;     /* of that test */
  double p_adjusted;    /* Holm over the window's tests */
  double effect;        /* of that test (see engine/gl-drift-verdict.h) */
  guint64 n_ref, n_win; /* its sample sizes */
  guint n_fired;        /* tests fired for the class */
  double precision_est; /* CBPE precision in the window, NaN unknown */
  double precision_se;  /* its standard error */
  double precision_ref; /* CBPE precision of the reference */
  double novelty_ratio; /* novelty rate / reference rate (the novelty test's effect), NaN untested */
  gboolean novel;       /* the novelty test fired */
  gboolean hurts;       /* this class meets a HURTS threshold (see above) */
} GlDriftAutoClass;

/* The drift state of a project for its current model version. Owned by the
 * caller (gl_drift_auto_state_clear), on one thread at a time. */
typedef struct
{
  gint64 model_id;        /* current model version, -1 none (then nothing else is set) */
  gboolean has_reference; /* the version has a drift reference (trained with drift reporting) */
  /* The newest batch or window result of that version (drift_id -1: none yet). */
  gint64 drift_id;
  GlDbDriftKind kind;
  gint64 batch_id;   /* BATCH: its import batch, else -1 */
  guint window_size; /* WINDOW: its size */
  gint64 first_image, last_image;
  guint64 n_images;
  gint64 created_us;
  gboolean drifted;
  guint n_fired;   /* tests fired, window-wide ones included */
  double alpha;    /* family-wise α per window, as stored with the result (0.05 before schema 8) */
  GArray *classes; /* GlDriftAutoClass: the classes with a fired test, smallest adjusted p first; owned */
  /* PERSISTS */
  guint run_length;      /* newest results of that kind in a row that drifted */
  gboolean adwin_fired;  /* an audit accuracy change for this version */
  GlDbAuditChange adwin; /* the newest one (valid when adwin_fired) */
  gboolean persists;     /* run_length ≥ persist, or adwin_fired */
  /* HURTS */
  gboolean hurts; /* some drifted class hurts, or the ADWIN drop ≥ accuracy_drop */
  gboolean persists_and_hurts;
  char *summary; /* one line for people (the banner's text), owned; "" when no drift */
  /* What is being done. */
  gboolean automation;    /* setting drift_automation */
  gboolean boost_active;  /* the drift-boosted queue is on */
  gint64 boost_action_id; /* the action that turned it on, -1 */
  char *boost_origin;     /* "auto" or "user", owned; NULL when off */
  gint64 boost_labeled;   /* drift candidates labeled since then */
  guint64 boost_left;     /* unlabeled candidates left to draw */
} GlDriftAutoState;

void gl_drift_auto_state_clear (GlDriftAutoState *state);

/* The statistics of @state as one JSON object (newly allocated): what an
 * action records as its trigger's statistics, and `gleaner-cli drift --json`
 * prints as "state". */
char *gl_drift_auto_state_to_json (const GlDriftAutoState *state);

/* The state of the project of @db (see above). Reads only; any thread with
 * its own connection. */
gboolean gl_drift_auto_read_state (GlDb *db, GlDriftAutoState *out, GError **error);

/* The newest batch's estimated accuracy beside the validation accuracy, for
 * the status bar. Plain values. */
typedef struct
{
  gint64 model_id;            /* current model version, -1 none */
  gint64 batch_id;            /* the newest import batch with a drift result for it, -1 none */
  guint64 n;                  /* its images scored */
  double accuracy_est;        /* CBPE: mean calibrated top-class probability; NaN unknown */
  double accuracy_se;         /* its standard error √(Σ p (1 − p)) / n */
  double accuracy_ref;        /* the same estimate on the version's reference */
  double validation_accuracy; /* of the version on its validation labels, NaN unknown */
  guint64 n_validation;       /* validation labels in its reference (0 unknown) */
} GlDriftAutoAccuracy;

/* Reads only; any thread with its own connection. */
gboolean gl_drift_auto_read_accuracy (GlDb *db, GlDriftAutoAccuracy *out, GError **error);

/* "Label drifted images": turns the drift-boosted queue on for the current
 * drift, recorded as an action (origin "user", trigger "request", with the
 * state's statistics), and merges the drift candidates into the stored queue
 * at once (gl_db_replace_queue). A queue on the main thread then takes it
 * with gl_queue_reload. When the boost is on already nothing changes
 * (*@action_id is the action that turned it on). Error NOT_FOUND (GL_DB_ERROR)
 * when there is no current model version. Writes; any thread with its own
 * connection. @action_id may be NULL. */
gboolean gl_drift_auto_start_boost (GlDb *db, gint64 *action_id, GError **error);

/* Turns the boost off (action "stop", origin "user", trigger "request");
 * nothing when it is off. */
gboolean gl_drift_auto_stop_boost (GlDb *db, GError **error);

/* What gl_drift_auto_evaluate did. */
typedef struct
{
  guint n_audit_changes;  /* new ADWIN changes recorded */
  gboolean boost_started; /* action "boost" recorded */
  gboolean boost_stopped; /* action "stop" recorded (drift gone for the current version) */
  gint64 action_id;       /* the last action recorded, -1 none */
} GlDriftAutoOutcome;

/* The automation step, after drift was computed (the end of a round, an
 * import, a watched batch): watches the audit labels with ADWIN, then, with
 * automation on, starts the boost when drift persists and hurts, or stops it
 * when the current version shows no such drift any more. With automation
 * off it records the ADWIN changes and acts on nothing. Writes; the thread of
 * @db. @outcome may be NULL. */
gboolean gl_drift_auto_evaluate (GlDb *db, GlDriftAutoOutcome *outcome, GError **error);

/* With the boost on and automation on: TRUE in *@due when at least
 * drift_retrain_labels drift candidates were labeled since the boost started
 * or the last "retrain" action; then records the "retrain" action (origin
 * "auto", trigger "labels") — the caller starts the round
 * (gl_trainer_train_now). */
gboolean gl_drift_auto_retrain_due (GlDb *db, gboolean *due, GError **error);

G_END_DECLS
