/* gl-trainer.c — see gl-trainer.h.
 *
 * A round is one worker job (RoundJob). Its inputs are plain values copied on
 * the main thread (paths, settings, the cancellable); everything it reads
 * from the project it reads on the engine thread through its OWN store
 * connection, so the main thread never waits for it, and it snapshots the
 * labels once at its start: labels committed later belong to the next round.
 * Its outputs are written into the job data and read on the main context in
 * the completion callback, which the worker runs after the job returned.
 */
#include "app/gl-trainer.h"

#include "app/gl-drift-auto.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#include "app/gl-rescore.h"
#include "app/gl-round.h"
#include "db/gl-db.h"
#include "db/gl-db-trainer-lease.h"
#include "engine/gl-net.h"
#include "engine/gl-worker.h"

G_DEFINE_QUARK (gl-trainer-error-quark, gl_trainer_error)

#define DEFAULT_TIME_BUDGET GL_ROUND_DEFAULT_TIME_BUDGET
#define RANKING_MIN 100       /* items ranked per round, at least */
#define POLL_SECONDS 2        /* how often an idle trainer looks for another process's model */

GType
gl_trainer_state_get_type (void)
{
  static gsize type_id;
  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { GL_TRAINER_IDLE, "GL_TRAINER_IDLE", "idle" },
        { GL_TRAINER_TRAINING, "GL_TRAINER_TRAINING", "training" },
        { GL_TRAINER_SCORING, "GL_TRAINER_SCORING", "scoring" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("GlTrainerState"), values));
    }
  return type_id;
}

struct _GlTrainer
{
  GObject parent_instance;

  /* borrowed */
  GlProject *project;

  /* owned */
  GlWorker *worker;
  GlRescoreWriter *writer;   /* the rounds' store writes, at normal priority (made on the main thread) */
  GlDb *db;                  /* main thread: polls what other processes stored */
  GSource *poll;
  GSource *resume;           /* idle: finish a rescore stopped before the trainer opened, or NULL */
  gint64 queue_seq;          /* of the last ranking handed over, -1 unknown */
  GCancellable *cancellable; /* of the running round, NULL when idle */
  guint64 seed;              /* of the rounds (gl_round_seed) */
  guint64 round;             /* rounds started */

  GlTrainerState state;
  double fraction;
  guint epoch, n_epochs;
  double images_per_second;
  gint64 model_version;
  double accuracy;
  guint labels_pending;

  guint retrain_every;
  double time_budget;
  guint max_epochs;
  guint min_steps;
  double audit_share;
  double rescore_budget; /* seconds of pool scoring per round; 0: the project's setting */
  guint64 rescore_skipped;      /* pool images the last round's budget skipped */
  gint64 rescore_skipped_model; /* ... of this version, not current (-1: none) */

  gboolean running;
  gboolean want_train; /* a round with training is requested */
  gboolean want_rank;  /* a ranking-only round is requested */
  char *team_trainer;  /* the team's trainer service this desktop defers its training to, NULL: none (owned) */
};

G_DEFINE_FINAL_TYPE (GlTrainer, gl_trainer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_STATE,
  PROP_FRACTION,
  PROP_EPOCH,
  PROP_N_EPOCHS,
  PROP_IMAGES_PER_SECOND,
  PROP_MODEL_VERSION,
  PROP_ACCURACY,
  PROP_LABELS_PENDING,
  PROP_RETRAIN_EVERY,
  PROP_TIME_BUDGET,
  PROP_MAX_EPOCHS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_PROGRESS,
  SIGNAL_MODEL_READY,
  SIGNAL_RANKING_READY,
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------ */
/* Pure helpers                                                        */
/* ------------------------------------------------------------------ */

static guint64
mix64 (guint64 z)
{
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double
id_hash01 (gint64 image_id)
{
  return (double) (mix64 ((guint64) image_id ^ 0x5eed5eedull) >> 11) / (double) (1ull << 53);
}

double
gl_trainer_id_hash (gint64 image_id)
{
  return id_hash01 (image_id);
}

gboolean
gl_trainer_hash_in_share (gint64 image_id, double share)
{
  return id_hash01 (image_id) < share;
}

typedef struct
{
  double h;
  gsize i;
} HashIndex;

static int
cmp_hash_index (gconstpointer a, gconstpointer b)
{
  const HashIndex *x = a, *y = b;
  return x->h < y->h ? -1 : x->h > y->h ? 1 : (x->i > y->i) - (x->i < y->i);
}

gsize
gl_trainer_split_labels (const gint64 *ids, const gint *classes, gsize n, guint n_classes, double share,
                         gboolean *is_validation)
{
  gsize n_val = 0;
  g_autofree HashIndex *order = g_new (HashIndex, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    is_validation[i] = FALSE;
  for (guint k = 0; k < n_classes; k++)
    {
      gsize m = 0, in_share = 0;
      for (gsize i = 0; i < n; i++)
        if (classes[i] == (gint) k)
          {
            order[m].h = id_hash01 (ids[i]);
            order[m].i = i;
            in_share += order[m].h < share;
            m++;
          }
      qsort (order, m, sizeof *order, cmp_hash_index);
      /* The ids in the share, topped up (smallest hash first) to the
       * minimum when the class is large enough to spare them. */
      gsize want = in_share;
      if (share > 0 && m >= 2 * GL_TRAINER_MIN_VALIDATION)
        want = MAX (want, GL_TRAINER_MIN_VALIDATION);
      want = MIN (want, m > 0 ? m - 1 : 0); /* always keep one to train on */
      for (gsize j = 0; j < want; j++)
        is_validation[order[j].i] = TRUE;
      n_val += want;
    }
  return n_val;
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

GArray *
gl_trainer_list_images (const char *db_path, GError **error)
{
  g_autoptr (GlDb) db = gl_db_open (db_path, error);
  if (db == NULL)
    return NULL;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (GlPoolImage));
  if (!gl_round_list_images (db, out, error))
    {
      g_array_unref (out);
      return NULL;
    }
  return out;
}

/* ------------------------------------------------------------------ */
/* The round (engine thread): app/gl-round.c on the project            */
/* ------------------------------------------------------------------ */

typedef struct
{
  /* in (copied on the main thread) */
  GWeakRef trainer;
  char *db_path;
  char *models_dir;
  char *pixels_path;
  gboolean train;
  GlRoundOptions options;
  guint ranking_size;
  gpointer wait; /* SyncWait of gl_trainer_run_round, or NULL (main thread only) */
  double rescore_budget;
  GlRescoreWriter *writer;  /* a reference: where the round's store writes run */
  GMainContext *context;    /* a reference: the trainer's, for the first chunk's ranking */

  /* out (written on the engine thread, read in the completion callback) */
  GlRoundProjectResult result;
} RoundJob;

static void
round_job_free (gpointer data)
{
  RoundJob *j = data;
  g_weak_ref_clear (&j->trainer);
  g_free (j->db_path);
  g_free (j->models_dir);
  g_free (j->pixels_path);
  gl_rescore_writer_unref (j->writer);
  g_main_context_unref (j->context);
  gl_round_project_result_clear (&j->result);
  g_free (j);
}

/* The worker's model: a net and the store's model version it is. */
typedef struct
{
  GlNet *net;
  gint64 version;
} WorkerModel;

static void
worker_model_free (gpointer data)
{
  WorkerModel *m = data;
  gl_net_free (m->net);
  g_free (m);
}

static void
report_progress (const GlProgress *progress, gpointer job)
{
  gl_worker_job_report (job, progress);
}

static void on_ranking_stored (GlTrainer *self, gint64 queue_seq);

/* A ranking stored in the middle of a round (the rescore's first chunk),
 * handed to the main thread. */
typedef struct
{
  GWeakRef trainer;
  gint64 queue_seq;
} FirstRanking;

static gboolean
first_ranking_main (gpointer data)
{
  FirstRanking *f = data;
  g_autoptr (GlTrainer) self = g_weak_ref_get (&f->trainer);
  if (self != NULL)
    on_ranking_stored (self, f->queue_seq);
  return G_SOURCE_REMOVE;
}

static void
first_ranking_free (gpointer data)
{
  FirstRanking *f = data;
  g_weak_ref_clear (&f->trainer);
  g_free (f);
}

/* Engine thread. */
static void
on_first_ranking (gint64 queue_seq, gpointer data)
{
  RoundJob *j = data;
  FirstRanking *f = g_new0 (FirstRanking, 1);
  g_autoptr (GObject) trainer = g_weak_ref_get (&j->trainer);
  g_weak_ref_init (&f->trainer, trainer);
  f->queue_seq = queue_seq;
  g_main_context_invoke_full (j->context, G_PRIORITY_DEFAULT, first_ranking_main, f, first_ranking_free);
}

static gboolean
round_run (GlWorkerJob *job, gpointer job_data, GCancellable *cancellable, GError **error)
{
  RoundJob *j = job_data;
  WorkerModel *held = gl_worker_job_get_model (job);
  GlRoundProjectSpec spec = { j->db_path, j->models_dir, j->pixels_path, j->train, j->options, j->ranking_size,
                              held ? held->net : NULL, held ? held->version : -1 };
  spec.writer = j->writer;
  spec.rescore_budget = j->rescore_budget;
  spec.ranked = on_first_ranking;
  spec.ranked_data = j;
  gboolean ok = gl_round_run_project (&spec, &j->result, report_progress, job, cancellable, error);

  /* The net the round loaded or trained is the worker's from now on, even
   * when a later step failed: it is the store's version. */
  if (j->result.net != NULL)
    {
      WorkerModel *m = g_new (WorkerModel, 1);
      m->net = g_steal_pointer (&j->result.net);
      m->version = j->result.net_version;
      gl_worker_job_set_model (job, m);
    }
  return ok;
}

/* ------------------------------------------------------------------ */
/* Main thread                                                         */
/* ------------------------------------------------------------------ */

static void maybe_start (GlTrainer *self);

static void
set_state (GlTrainer *self, GlTrainerState state)
{
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
    }
}

static void
on_round_progress (const GlProgress *progress, gpointer user_data)
{
  RoundJob *j = user_data;
  g_autoptr (GlTrainer) self = g_weak_ref_get (&j->trainer);
  if (self == NULL)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  set_state (self, progress->phase == GL_PHASE_TRAIN || progress->phase == GL_PHASE_PREPARE
                     ? (j->train ? GL_TRAINER_TRAINING : GL_TRAINER_SCORING)
                     : progress->phase == GL_PHASE_EVALUATE ? GL_TRAINER_TRAINING : GL_TRAINER_SCORING);
  self->fraction = progress->fraction;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FRACTION]);
  if (progress->phase == GL_PHASE_TRAIN)
    {
      self->epoch = progress->epoch;
      self->n_epochs = progress->n_epochs;
      self->images_per_second = progress->images_per_second;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_EPOCH]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_EPOCHS]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IMAGES_PER_SECOND]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
  GlTrainerReport report;
} SyncWait;

static void
on_round_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RoundJob *j = gl_worker_result_get_job_data (result);
  SyncWait *wait = j->wait;
  GError *error = NULL;
  gboolean ok = gl_worker_run_finish (NULL, result, &error);
  g_autoptr (GlTrainer) self = g_weak_ref_get (&j->trainer);
  if (wait != NULL)
    {
      wait->done = TRUE;
      wait->ok = ok;
      wait->report = j->result.report;
      if (!ok)
        wait->error = g_error_copy (error);
    }
  if (self == NULL)
    {
      g_clear_error (&error);
      return;
    }
  self->running = FALSE;
  g_clear_object (&self->cancellable);
  if (ok)
    {
      self->rescore_skipped = j->result.report.n_skipped;
      self->rescore_skipped_model = j->result.report.n_skipped > 0 ? j->result.report.model_version : -1;
    }
  g_object_freeze_notify (G_OBJECT (self));
  set_state (self, GL_TRAINER_IDLE);
  self->fraction = -1;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FRACTION]);
  if (j->result.trained)
    {
      self->model_version = j->result.report.model_version;
      self->accuracy = j->result.report.accuracy;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL_VERSION]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACCURACY]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  if (j->result.trained)
    g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, j->result.report.model_version, j->result.report.accuracy,
                   j->result.previous_accuracy);
  if (j->result.ranked)
    on_ranking_stored (self, j->result.queue_seq);
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
  g_clear_error (&error);
  if (wait == NULL)
    maybe_start (self);
}

/* A ranking the trainer's round stored: the queue may take it. */
static void
on_ranking_stored (GlTrainer *self, gint64 queue_seq)
{
  self->queue_seq = queue_seq;
  g_signal_emit (self, signals[SIGNAL_RANKING_READY], 0);
}

static RoundJob *
new_job (GlTrainer *self, gboolean train)
{
  RoundJob *j = g_new0 (RoundJob, 1);
  g_weak_ref_init (&j->trainer, self);
  j->db_path = g_strdup (gl_project_get_db_path (self->project));
  j->models_dir = g_strdup (gl_project_get_models_dir (self->project));
  j->pixels_path = g_strdup (gl_project_get_pixels_path (self->project));
  j->train = train;
  j->writer = gl_rescore_writer_ref (self->writer);
  j->context = g_main_context_ref_thread_default ();
  gl_round_options_init (&j->options);
  j->options.seed = gl_round_seed (self->seed, self->round++);
  j->options.max_epochs = self->max_epochs;
  j->options.min_steps = self->min_steps;
  j->options.time_budget = self->time_budget;
  j->options.audit_share = self->audit_share;
  j->ranking_size = MAX (RANKING_MIN, 2 * self->retrain_every);
  j->rescore_budget = self->rescore_budget;
  gl_round_project_result_init (&j->result);
  return j;
}

static void
start_round (GlTrainer *self, gboolean train, SyncWait *wait)
{
  /* The round's own figures from its start, not the last round's until its
   * first progress report: nothing done, epochs and speed not known yet;
   * notified together with the state. */
  g_object_freeze_notify (G_OBJECT (self));
  self->running = TRUE;
  if (train)
    {
      self->want_train = FALSE;
      self->labels_pending = 0;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LABELS_PENDING]);
    }
  self->want_rank = FALSE;
  self->cancellable = g_cancellable_new ();
  self->fraction = 0.0;
  self->epoch = self->n_epochs = 0;
  self->images_per_second = NAN;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FRACTION]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_EPOCH]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_EPOCHS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IMAGES_PER_SECOND]);
  set_state (self, train ? GL_TRAINER_TRAINING : GL_TRAINER_SCORING);
  g_object_thaw_notify (G_OBJECT (self));
  RoundJob *j = new_job (self, train);
  j->wait = wait;
  gl_worker_run_async (self->worker, round_run, j, round_job_free, self->cancellable, on_round_progress,
                       on_round_done, j);
}

/* Whether another process holds the team's trainer lease
 * (db/gl-db-trainer-lease.h: `gleaner-cli trainer`); then this desktop does
 * not train, and says whom it defers to (team-trainer, and "progress" when
 * that changes). A store error counts as nobody. */
static gboolean
team_trainer_elsewhere (GlTrainer *self)
{
  g_auto (GlDbTrainerHolder) holder = { 0 };
  gboolean live = FALSE;
  g_autoptr (GError) error = NULL;
  if (!gl_db_trainer_lease_get (self->db, &holder, &live, &error))
    g_debug ("cannot read the trainer lease: %s", error->message);
  gboolean mine = g_strcmp0 (holder.host, g_get_host_name ()) == 0 && holder.pid == getpid ();
  g_autofree char *who = live && !mine ? gl_db_trainer_holder_describe (&holder) : NULL;
  if (g_strcmp0 (who, self->team_trainer) != 0)
    {
      g_free (self->team_trainer);
      self->team_trainer = g_steal_pointer (&who);
      g_signal_emit (self, signals[SIGNAL_PROGRESS], 0);
    }
  return self->team_trainer != NULL;
}

const char *
gl_trainer_get_team_trainer (GlTrainer *self)
{
  g_return_val_if_fail (GL_IS_TRAINER (self), NULL);
  return self->team_trainer;
}

static void
maybe_start (GlTrainer *self)
{
  if (self->running)
    return;
  if (self->want_train && team_trainer_elsewhere (self))
    {
      if (self->want_rank)
        start_round (self, FALSE, NULL);
      return; /* want_train stays: the round starts when the team's trainer is gone */
    }
  if (self->want_train)
    start_round (self, TRUE, NULL);
  else if (self->want_rank)
    start_round (self, FALSE, NULL);
}

/* The drift automation asks for a round once enough drifted or novel images
 * are labeled (app/gl-drift-auto.h); a store error is logged, not fatal. */
static gboolean
drift_retrain_due (GlTrainer *self)
{
  g_autoptr (GError) error = NULL;
  gboolean due = FALSE;

  if (!gl_drift_auto_retrain_due (gl_project_get_db (self->project), &due, &error))
    g_warning ("drift automation: %s", error->message);
  return due;
}

void
gl_trainer_count_labels (GlTrainer *self, guint n)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->labels_pending += n;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LABELS_PENDING]);
  if (self->retrain_every > 0 && self->labels_pending >= self->retrain_every)
    {
      self->want_train = TRUE;
      maybe_start (self);
    }
  else if (drift_retrain_due (self))
    {
      self->want_train = TRUE;
      maybe_start (self);
    }
}

void
gl_trainer_train_now (GlTrainer *self)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->want_train = TRUE;
  maybe_start (self);
}

guint64
gl_trainer_get_rescore_skipped (GlTrainer *self, gint64 *model_version)
{
  g_return_val_if_fail (GL_IS_TRAINER (self), 0);
  if (model_version != NULL)
    *model_version = self->rescore_skipped_model;
  return self->rescore_skipped;
}

void
gl_trainer_set_rescore_budget (GlTrainer *self, double seconds)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->rescore_budget = MAX (seconds, 0);
}

void
gl_trainer_rank_now (GlTrainer *self)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->want_rank = TRUE;
  maybe_start (self);
}

void
gl_trainer_cancel (GlTrainer *self)
{
  g_return_if_fail (GL_IS_TRAINER (self));
  self->want_train = FALSE;
  self->want_rank = FALSE;
  if (self->resume != NULL) /* the ranking round that would resume a stopped rescore: requested too */
    g_source_destroy (self->resume);
  g_clear_pointer (&self->resume, g_source_unref);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

/* Another process (gleaner-cli train) may make a new model version current
 * and store a ranking by it. An idle trainer takes the version over (its
 * properties and "model-ready"; its next round warm-starts from it, see
 * current_net) and hands the ranking over as after its own rounds. While a
 * round runs nothing is taken: the round finishes and stores its version and
 * ranking as without the other process; a newer one from the other process
 * is taken after it. */
static gboolean
poll_store (gpointer data)
{
  GlTrainer *self = data;
  GlDbPoll poll;
  if (!self->running && self->team_trainer != NULL && !team_trainer_elsewhere (self))
    maybe_start (self); /* the team's trainer is gone: a deferred round runs now */
  if (self->running || !gl_db_try_poll (self->db, &poll))
    return G_SOURCE_CONTINUE;
  if (poll.model_id >= 0 && poll.model_id != self->model_version)
    {
      double previous = self->accuracy;
      g_object_freeze_notify (G_OBJECT (self));
      self->model_version = poll.model_id;
      self->accuracy = poll.val_accuracy;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL_VERSION]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACCURACY]);
      g_object_thaw_notify (G_OBJECT (self));
      g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, poll.model_id, poll.val_accuracy, previous);
    }
  /* A handler may have started a round, which hands over its own ranking. */
  if (!self->running && poll.queue_seq != self->queue_seq)
    {
      self->queue_seq = poll.queue_seq;
      g_signal_emit (self, signals[SIGNAL_RANKING_READY], 0);
    }
  return G_SOURCE_CONTINUE;
}

static void
cancel_other (GCancellable *cancellable, gpointer other)
{
  g_cancellable_cancel (other);
}

gboolean
gl_trainer_run_round (GlTrainer *self, gboolean train, GlTrainerReport *report, GCancellable *cancellable,
                      GError **error)
{
  g_return_val_if_fail (GL_IS_TRAINER (self), FALSE);
  if (self->running)
    {
      g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_BUSY, "a training round is running already");
      return FALSE;
    }
  if (train && team_trainer_elsewhere (self))
    {
      g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_BUSY,
                   "the team's trainer, %s, trains this project (gleaner-cli trainer): this desktop does not",
                   self->team_trainer);
      return FALSE;
    }
  SyncWait wait = { 0 };
  start_round (self, train, &wait);
  gulong id = cancellable ? g_cancellable_connect (cancellable, G_CALLBACK (cancel_other),
                                                   g_object_ref (self->cancellable), g_object_unref)
                          : 0;
  GMainContext *ctx = g_main_context_ref_thread_default ();
  while (!wait.done)
    g_main_context_iteration (ctx, TRUE);
  g_main_context_unref (ctx);
  if (cancellable)
    g_cancellable_disconnect (cancellable, id);
  if (report)
    *report = wait.report;
  if (!wait.ok)
    {
      g_propagate_error (error, wait.error);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */
/* ------------------------------------------------------------------ */

/* Idle, once: a ranking round, which resumes the rescore (unless a round
 * was started meanwhile, e.g. gleaner-cli train's: its new version
 * supersedes the stopped one). */
static gboolean
resume_rescore (gpointer data)
{
  GlTrainer *self = data;
  g_clear_pointer (&self->resume, g_source_unref);
  if (!self->running)
    gl_trainer_rank_now (self);
  return G_SOURCE_REMOVE;
}

GlTrainer *
gl_trainer_new (GlProject *project, GError **error)
{
  GlDb *db = gl_db_open (gl_project_get_db_path (project), error);
  if (db == NULL)
    return NULL;
  GlTrainer *self = g_object_new (GL_TYPE_TRAINER, NULL);
  self->project = project;
  self->db = db;
  self->worker = gl_worker_new (0, worker_model_free);
  /* Made here, on the main thread: the writer thread gets its normal
   * priority, where the engine thread runs at SCHED_IDLE. */
  self->writer = gl_rescore_writer_new (gl_project_get_db_path (project));
  self->retrain_every = (guint) CLAMP (gl_db_get_setting_int (db, GL_DB_SETTING_RETRAIN_EVERY,
                                                              GL_TRAINER_DEFAULT_RETRAIN_EVERY), 0, 1000000);
  gint64 current = gl_db_get_current_model (db);
  if (current >= 0)
    {
      GlDbModelVersion v = { 0 };
      if (gl_db_get_model_version (db, current, &v, NULL))
        {
          self->model_version = current;
          self->accuracy = v.val_accuracy;
          gl_db_model_version_clear (&v);
        }
    }
  self->queue_seq = gl_db_get_queue_seq (db);
  self->poll = g_timeout_source_new_seconds (POLL_SECONDS);
  g_source_set_callback (self->poll, poll_store, self, NULL);
  g_source_attach (self->poll, g_main_context_get_thread_default ());
  /* A version's rescore cancelled or killed before it was whole: finished
   * now, by a ranking round (app/gl-rescore.h). */
  GlDbRescore pending;
  if (gl_db_get_rescore (db, &pending))
    {
      self->resume = g_idle_source_new ();
      g_source_set_callback (self->resume, resume_rescore, self, NULL);
      g_source_attach (self->resume, g_main_context_get_thread_default ());
    }
  return self;
}

static void
gl_trainer_dispose (GObject *object)
{
  GlTrainer *self = GL_TRAINER (object);
  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->poll != NULL)
    g_source_destroy (self->poll);
  g_clear_pointer (&self->poll, g_source_unref);
  if (self->resume != NULL)
    g_source_destroy (self->resume);
  g_clear_pointer (&self->resume, g_source_unref);
  g_clear_pointer (&self->worker, gl_worker_free);
  g_clear_pointer (&self->writer, gl_rescore_writer_unref);
  g_clear_pointer (&self->db, gl_db_close);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->team_trainer, g_free);
  G_OBJECT_CLASS (gl_trainer_parent_class)->dispose (object);
}

static void
gl_trainer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlTrainer *self = GL_TRAINER (object);
  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_FRACTION: g_value_set_double (value, self->fraction); break;
    case PROP_EPOCH: g_value_set_uint (value, self->epoch); break;
    case PROP_N_EPOCHS: g_value_set_uint (value, self->n_epochs); break;
    case PROP_IMAGES_PER_SECOND: g_value_set_double (value, self->images_per_second); break;
    case PROP_MODEL_VERSION: g_value_set_int64 (value, self->model_version); break;
    case PROP_ACCURACY: g_value_set_double (value, self->accuracy); break;
    case PROP_LABELS_PENDING: g_value_set_uint (value, self->labels_pending); break;
    case PROP_RETRAIN_EVERY: g_value_set_uint (value, self->retrain_every); break;
    case PROP_TIME_BUDGET: g_value_set_double (value, self->time_budget); break;
    case PROP_MAX_EPOCHS: g_value_set_uint (value, self->max_epochs); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gl_trainer_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GlTrainer *self = GL_TRAINER (object);
  switch (prop_id)
    {
    case PROP_RETRAIN_EVERY: gl_trainer_set_retrain_every (self, g_value_get_uint (value)); break;
    case PROP_TIME_BUDGET: gl_trainer_set_time_budget (self, g_value_get_double (value)); break;
    case PROP_MAX_EPOCHS: gl_trainer_set_max_epochs (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gl_trainer_class_init (GlTrainerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = gl_trainer_dispose;
  object_class->get_property = gl_trainer_get_property;
  object_class->set_property = gl_trainer_set_property;

  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  props[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GL_TYPE_TRAINER_STATE, GL_TRAINER_IDLE, ro);
  props[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, -1, 1, -1, ro);
  props[PROP_EPOCH] = g_param_spec_uint ("epoch", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_N_EPOCHS] = g_param_spec_uint ("n-epochs", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_IMAGES_PER_SECOND] = g_param_spec_double ("images-per-second", NULL, NULL, -G_MAXDOUBLE,
                                                       G_MAXDOUBLE, 0, ro);
  props[PROP_MODEL_VERSION] = g_param_spec_int64 ("model-version", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_ACCURACY] = g_param_spec_double ("accuracy", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, ro);
  props[PROP_LABELS_PENDING] = g_param_spec_uint ("labels-pending", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_RETRAIN_EVERY] = g_param_spec_uint ("retrain-every", NULL, NULL, 0, G_MAXUINT,
                                                 GL_TRAINER_DEFAULT_RETRAIN_EVERY, rw);
  props[PROP_TIME_BUDGET] = g_param_spec_double ("time-budget", NULL, NULL, 0, G_MAXDOUBLE, DEFAULT_TIME_BUDGET,
                                                 rw);
  props[PROP_MAX_EPOCHS] = g_param_spec_uint ("max-epochs", NULL, NULL, 1, G_MAXUINT, GL_TRAINER_DEFAULT_EPOCHS, rw);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                           NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_MODEL_READY] = g_signal_new ("model-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_DOUBLE,
                                              G_TYPE_DOUBLE);
  signals[SIGNAL_RANKING_READY] = g_signal_new ("ranking-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
gl_trainer_init (GlTrainer *self)
{
  self->fraction = -1;
  self->images_per_second = NAN;
  self->accuracy = NAN;
  self->retrain_every = GL_TRAINER_DEFAULT_RETRAIN_EVERY;
  self->time_budget = DEFAULT_TIME_BUDGET;
  self->max_epochs = GL_TRAINER_DEFAULT_EPOCHS;
  self->min_steps = GL_TRAINER_DEFAULT_MIN_STEPS;
  self->rescore_skipped_model = -1;
  self->audit_share = GL_TRAINER_DEFAULT_AUDIT_SHARE;
}

void
gl_trainer_set_min_steps (GlTrainer *self, guint steps)
{
  self->min_steps = steps;
}

void
gl_trainer_set_seed (GlTrainer *self, guint64 seed)
{
  self->seed = seed;
}

GlTrainerState gl_trainer_get_state (GlTrainer *self) { return self->state; }
double gl_trainer_get_fraction (GlTrainer *self) { return self->fraction; }
guint gl_trainer_get_epoch (GlTrainer *self) { return self->epoch; }
guint gl_trainer_get_n_epochs (GlTrainer *self) { return self->n_epochs; }
double gl_trainer_get_images_per_second (GlTrainer *self) { return self->images_per_second; }
gint64 gl_trainer_get_model_version (GlTrainer *self) { return self->model_version; }
double gl_trainer_get_accuracy (GlTrainer *self) { return self->accuracy; }
guint gl_trainer_get_labels_pending (GlTrainer *self) { return self->labels_pending; }
guint gl_trainer_get_retrain_every (GlTrainer *self) { return self->retrain_every; }
double gl_trainer_get_time_budget (GlTrainer *self) { return self->time_budget; }
guint gl_trainer_get_max_epochs (GlTrainer *self) { return self->max_epochs; }

void
gl_trainer_set_retrain_every (GlTrainer *self, guint n_labels)
{
  if (self->retrain_every == n_labels)
    return;
  self->retrain_every = n_labels;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RETRAIN_EVERY]);
}

void
gl_trainer_set_time_budget (GlTrainer *self, double seconds)
{
  if (self->time_budget == seconds)
    return;
  self->time_budget = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TIME_BUDGET]);
}

void
gl_trainer_set_max_epochs (GlTrainer *self, guint n_epochs)
{
  n_epochs = MAX (n_epochs, 1);
  if (self->max_epochs == n_epochs)
    return;
  self->max_epochs = n_epochs;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_EPOCHS]);
}

void
gl_trainer_set_audit_share (GlTrainer *self, double share)
{
  self->audit_share = isfinite (share) ? CLAMP (share, 0.0, 1.0) : GL_TRAINER_DEFAULT_AUDIT_SHARE;
}

double
gl_trainer_get_audit_share (GlTrainer *self)
{
  return self->audit_share;
}

void
gl_trainer_set_n_threads (GlTrainer *self, guint n_threads)
{
  gl_worker_set_n_threads (self->worker, n_threads);
}

guint
gl_trainer_get_n_threads (GlTrainer *self)
{
  return gl_worker_get_n_threads (self->worker);
}

gboolean
gl_trainer_set_validation_share (GlTrainer *self, double share, GError **error)
{
  if (!(share >= 0.0 && share <= 0.9))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "The validation share %g is outside 0…0.9",
                   share);
      return FALSE;
    }
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_dtostr (text, sizeof text, share);
  return gl_project_set_setting (self->project, GL_DB_SETTING_VALIDATION_SHARE, text, error);
}

double
gl_trainer_get_validation_share (GlTrainer *self)
{
  return CLAMP (gl_db_get_setting_double (gl_project_get_db (self->project), GL_DB_SETTING_VALIDATION_SHARE,
                                          GL_TRAINER_DEFAULT_VALIDATION_SHARE), 0.0, 0.9);
}

gboolean
gl_trainer_set_augmentation (GlTrainer *self, gboolean augment, GError **error)
{
  return gl_project_set_setting (self->project, GL_DB_SETTING_AUGMENTATION, augment ? "1" : "0", error);
}

gboolean
gl_trainer_get_augmentation (GlTrainer *self)
{
  return gl_db_get_setting_boolean (gl_project_get_db (self->project), GL_DB_SETTING_AUGMENTATION, TRUE);
}
