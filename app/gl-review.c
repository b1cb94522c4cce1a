/* gl-review.c — see gl-review.h. */
#include "app/gl-review.h"

#include <math.h>

#include "app/gl-label-errors.h"
#include "engine/gl-worker.h"

typedef struct
{
  GlReviewDecision decision;
  gint64 class_id; /* GL_REVIEW_RELABEL */
} Waiting;

/* One decision written on the writer thread. */
typedef struct
{
  GlDb *db; /* the review's writer connection: only the one running task touches it */
  char *db_path;
  char *annotator;
  GlReviewDecision decision;
  gint64 image_id;
  gint64 class_id; /* the image's label after the decision (RELABEL: the new class; KEEP: the given class) */
} WriteJob;

struct _GlReview
{
  GObject parent_instance;

  /* borrowed */
  GlProject *project;

  /* owned; main thread only */
  GlDb *db;                /* reads of the walk (a connection of its own) */
  gint64 model_id;         /* the current version at the last reload, 0 none */
  gboolean has_run;
  GlDbLabelErrorRun run;   /* the version's detection, when has_run */
  GArray *suspected;       /* GlDbLabelError, most likely first */
  guint position;          /* the walk: the next suspected error to decide */
  gint64 current_row;      /* pixel-cache row of the one at position (-1 unknown) */
  GArray *waiting;         /* Waiting: decisions given while one is written */
  gboolean writing;        /* a WriteJob runs */
  char *annotator;
  GlWorker *worker;        /* the detection's engine thread, made on the first request */
  GCancellable *detecting; /* set while a detection runs */
  double detect_fraction;
  double detect_seconds;   /* the detection's budget */

  /* owned; handed to the one running WriteJob at a time (never touched by two threads at once) */
  GlDb *writer_db;         /* opened by the first WriteJob on its thread */
};

G_DEFINE_FINAL_TYPE (GlReview, gl_review, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  SIGNAL_DECIDED,
  SIGNAL_FAILED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
write_job_free (WriteJob *job)
{
  g_free (job->db_path);
  g_free (job->annotator);
  g_free (job);
}

GlReview *
gl_review_new (GlProject *project)
{
  g_return_val_if_fail (project != NULL, NULL);
  GlReview *self = g_object_new (GL_TYPE_REVIEW, NULL);
  self->project = project;
  return self;
}

/* The pixel-cache row of the suspected error at the position. */
static void
read_current_row (GlReview *self)
{
  GlDbImage image = { 0 };
  g_autoptr (GError) error = NULL;

  self->current_row = -1;
  if (self->position >= self->suspected->len || self->db == NULL)
    return;
  if (gl_db_get_image (self->db, g_array_index (self->suspected, GlDbLabelError, self->position).image_id, &image,
                       &error))
    self->current_row = image.cache_row;
  else
    g_warning ("label-error review: %s", error->message);
  gl_db_image_clear (&image);
}

gboolean
gl_review_reload (GlReview *self, GError **error)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), FALSE);
  g_return_val_if_fail (self->project != NULL, FALSE);
  GArray *list = NULL;

  g_array_set_size (self->waiting, 0);
  g_array_set_size (self->suspected, 0);
  self->position = 0;
  self->current_row = -1;
  self->model_id = 0;
  gl_db_label_error_run_clear (&self->run);
  self->has_run = FALSE;
  if (self->db == NULL && (self->db = gl_db_open (gl_project_get_db_path (self->project), error)) == NULL)
    return FALSE;
  self->model_id = MAX (0, gl_db_get_current_model (self->db));
  if (self->model_id > 0
      && (!gl_db_get_label_error_run (self->db, self->model_id, &self->run, &self->has_run, error)
          || (self->has_run && (list = gl_db_list_label_errors (self->db, self->model_id, TRUE, 0, error)) == NULL)))
    {
      self->has_run = FALSE;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
      return FALSE;
    }
  if (list != NULL)
    {
      g_array_append_vals (self->suspected, list->data, list->len);
      g_array_unref (list);
    }
  read_current_row (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

gint64
gl_review_get_model_id (GlReview *self)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), 0);
  return self->model_id;
}

gboolean
gl_review_has_detection (GlReview *self, const GlDbLabelErrorRun **run)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), FALSE);
  if (run != NULL)
    *run = self->has_run ? &self->run : NULL;
  return self->has_run;
}

guint
gl_review_get_n_suspected (GlReview *self)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), 0);
  return self->suspected->len;
}

guint
gl_review_get_position (GlReview *self)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), 0);
  return self->position;
}

const GlDbLabelError *
gl_review_get_current (GlReview *self, gint64 *cache_row)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), NULL);
  if (cache_row != NULL)
    *cache_row = self->current_row;
  if (self->position >= self->suspected->len)
    return NULL;
  return &g_array_index (self->suspected, GlDbLabelError, self->position);
}

void
gl_review_set_annotator (GlReview *self, const char *annotator)
{
  g_return_if_fail (GL_IS_REVIEW (self));
  g_free (self->annotator);
  self->annotator = g_strdup (annotator);
}

gboolean
gl_review_is_busy (GlReview *self)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), FALSE);
  return self->writing || self->waiting->len > 0;
}

/* ---- decisions ---- */

static void
write_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  WriteJob *job = task_data;
  GError *error = NULL;
  gboolean ok;

  if (job->db == NULL && (job->db = gl_db_open (job->db_path, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (job->decision == GL_REVIEW_KEEP)
    ok = gl_label_errors_keep (job->db, job->image_id, job->annotator, &error);
  else
    ok = gl_label_errors_relabel (job->db, job->image_id, job->class_id, job->annotator, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void run_waiting (GlReview *self);

/* The walk moves past the decided one. */
static void
advance (GlReview *self, gint64 image_id, gint64 class_id)
{
  self->position = MIN (self->position + 1, self->suspected->len);
  read_current_row (self);
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, image_id, class_id);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
write_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlReview *self = GL_REVIEW (source);
  WriteJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  self->writing = FALSE;
  self->writer_db = g_steal_pointer (&job->db); /* back to the review for the next job */
  if (self->project == NULL)
    return; /* closed */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_array_set_size (self->waiting, 0);
      g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
      return;
    }
  /* A reload while it was written moved the walk: only a walk still on the image moves on. */
  const GlDbLabelError *current = gl_review_get_current (self, NULL);
  if (current != NULL && current->image_id == job->image_id)
    advance (self, job->image_id, job->class_id);
  run_waiting (self);
}

/* Starts the next waiting decision unless one is being written. */
static void
run_waiting (GlReview *self)
{
  while (!self->writing && self->waiting->len > 0 && self->project != NULL)
    {
      Waiting w = g_array_index (self->waiting, Waiting, 0);
      const GlDbLabelError *current = gl_review_get_current (self, NULL);
      g_array_remove_index (self->waiting, 0);
      if (current == NULL)
        {
          g_array_set_size (self->waiting, 0); /* past the end: nothing to decide on */
          break;
        }
      if (w.decision == GL_REVIEW_SKIP)
        {
          advance (self, current->image_id, -1);
          continue;
        }
      WriteJob *job = g_new0 (WriteJob, 1);
      job->db = g_steal_pointer (&self->writer_db);
      job->db_path = g_strdup (gl_project_get_db_path (self->project));
      job->annotator = g_strdup (self->annotator);
      job->decision = w.decision;
      job->image_id = current->image_id;
      job->class_id = w.decision == GL_REVIEW_KEEP ? current->given_class : w.class_id;
      g_autoptr (GTask) task = g_task_new (self, NULL, write_done_cb, NULL);
      g_task_set_source_tag (task, gl_review_decide);
      g_task_set_task_data (task, job, (GDestroyNotify) write_job_free);
      self->writing = TRUE;
      g_task_run_in_thread (task, write_thread);
    }
}

void
gl_review_decide (GlReview *self, GlReviewDecision decision, gint64 class_id)
{
  g_return_if_fail (GL_IS_REVIEW (self));
  g_return_if_fail (decision != GL_REVIEW_RELABEL || class_id >= 0);
  Waiting w = { decision, class_id };
  g_array_append_val (self->waiting, w);
  run_waiting (self);
}

/* ---- detection ---- */

static void
detect_progress_cb (const GlProgress *progress, gpointer user_data)
{
  GlReview *self = user_data;

  if (self->detecting == NULL)
    return;
  self->detect_fraction = progress->fraction;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* The reference a detection held, let go of after its completion has been
 * dispatched: the last one frees the worker, which must not happen while
 * the worker's own completion source runs. */
static gboolean
unref_idle_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
detect_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GlReview *self = user_data; /* the ref taken by gl_review_detect, dropped below */
  g_idle_add (unref_idle_cb, self);
  g_autoptr (GError) error = NULL;
  gboolean ok = gl_label_errors_detect_finish (result, NULL, &error);

  gboolean cancelled = g_cancellable_is_cancelled (self->detecting);
  g_clear_object (&self->detecting);
  self->detect_fraction = -1;
  if (self->project == NULL)
    return; /* closed: the project may be gone */
  if (ok && !cancelled && !gl_review_reload (self, &error))
    ok = FALSE;
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

void
gl_review_set_detect_seconds (GlReview *self, double seconds)
{
  g_return_if_fail (GL_IS_REVIEW (self));
  self->detect_seconds = seconds > 0 ? seconds : GL_REVIEW_DETECT_SECONDS;
}

void
gl_review_detect (GlReview *self)
{
  g_return_if_fail (GL_IS_REVIEW (self));
  GlLabelErrorsOptions options;

  if (self->detecting != NULL || self->project == NULL)
    return;
  gl_label_errors_options_init (&options);
  options.seconds = self->detect_seconds;
  /* One BLAS thread, below every normal thread (gl-worker.h): labeling and
   * the trainer's rounds go first. */
  if (self->worker == NULL)
    self->worker = gl_worker_new (1, NULL);
  self->detecting = g_cancellable_new ();
  self->detect_fraction = -1;
  gl_label_errors_detect_async (self->worker, self->project, &options, self->detecting, detect_progress_cb, self,
                                detect_done_cb, g_object_ref (self));
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

void
gl_review_cancel_detection (GlReview *self)
{
  g_return_if_fail (GL_IS_REVIEW (self));
  if (self->detecting != NULL)
    g_cancellable_cancel (self->detecting);
}

gboolean
gl_review_is_detecting (GlReview *self)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), FALSE);
  return self->detecting != NULL;
}

double
gl_review_get_detect_fraction (GlReview *self)
{
  g_return_val_if_fail (GL_IS_REVIEW (self), -1);
  return self->detecting != NULL ? self->detect_fraction : -1;
}

/* ---- life cycle ---- */

void
gl_review_close (GlReview *self)
{
  g_return_if_fail (GL_IS_REVIEW (self));
  gl_review_cancel_detection (self);
  g_array_set_size (self->waiting, 0);
  self->project = NULL;
}

static void
gl_review_dispose (GObject *object)
{
  GlReview *self = GL_REVIEW (object);

  /* A running detection holds a reference: the review is disposed after it ends. */
  g_clear_pointer (&self->worker, gl_worker_free);
  G_OBJECT_CLASS (gl_review_parent_class)->dispose (object);
}

static void
gl_review_finalize (GObject *object)
{
  GlReview *self = GL_REVIEW (object);

  g_clear_pointer (&self->db, gl_db_close);
  g_clear_pointer (&self->writer_db, gl_db_close);
  gl_db_label_error_run_clear (&self->run);
  g_array_unref (self->suspected);
  g_array_unref (self->waiting);
  g_free (self->annotator);
  G_OBJECT_CLASS (gl_review_parent_class)->finalize (object);
}

static void
gl_review_class_init (GlReviewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gl_review_dispose;
  object_class->finalize = gl_review_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DECIDED] = g_signal_new ("decided", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
gl_review_init (GlReview *self)
{
  self->suspected = g_array_new (FALSE, TRUE, sizeof (GlDbLabelError));
  self->waiting = g_array_new (FALSE, FALSE, sizeof (Waiting));
  self->annotator = gl_db_dup_default_annotator ();
  self->current_row = -1;
  self->detect_fraction = -1;
  self->detect_seconds = GL_REVIEW_DETECT_SECONDS;
}
