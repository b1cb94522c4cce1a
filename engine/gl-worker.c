/* gl-worker.c — the engine thread, its job queue and coalesced progress. */
#include "engine/gl-worker.h"

#include "engine/gl-parallel.h"

#include <errno.h>
#include <glib-unix.h>
#include <sched.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

struct _GlWorkerJob
{
  gatomicrefcount ref;

  /* Set at creation, read-only afterwards. */
  GlWorkerJobFunc func;
  GTask *task;                      /* on the caller's context; holds the job data */
  GCancellable *cancellable;        /* ours, handed to the job function */
  GCancellable *caller_cancellable; /* the caller's, chained to ours; or NULL */
  gulong caller_handler;
  GMainContext *context;            /* the caller's */
  GlWorkerProgressFunc progress_func;
  gpointer user_data;
  gboolean quit;                    /* the sentinel that stops the thread */

  /* Worker thread only, while the job runs. */
  GlWorker *worker;

  /* Written by the worker thread before it sets finished. */
  gboolean ok;
  GError *error;

  /* The caller's source that delivers progress and the completion, attached
   * by gl_worker_run_async. The worker thread wakes it through the pipe:
   * a write(2) under no lock (see signal_caller). */
  GSource *source;
  int pipe[2]; /* read end (caller), write end (worker thread) */

  /* Guarded by lock. */
  GMutex lock;
  GlProgress latest;
  guint64 serial;           /* reports published */
  guint64 delivered_serial; /* reports delivered to progress_func */
  gboolean finished;        /* ok and error are set; the result can be delivered */
  gboolean signalled;       /* the pipe holds a byte the caller has not read yet */
};

struct _GlWorker
{
  GThread *thread;
  GThread *self;        /* the worker thread, as it sees itself */
  GAsyncQueue *queue;   /* (GlWorkerJob *), one reference each */
  GDestroyNotify model_free;
  gpointer model;       /* worker thread only (and gl_worker_free after the join) */
  gint n_threads;       /* atomic: wanted engine threads, 0 = every core */
  gint background;      /* atomic: run jobs at SCHED_IDLE */
  gint applied_background; /* worker thread only; −1 before the first apply */

  GMutex lock;          /* guards jobs */
  GQueue jobs;          /* queued and running jobs, in order (no reference) */
};

static const char *const phase_names[] = {
  [GL_PHASE_PREPARE] = "prepare",
  [GL_PHASE_TRAIN] = "train",
  [GL_PHASE_EVALUATE] = "evaluate",
  [GL_PHASE_SCORE] = "score",
  [GL_PHASE_SAVE] = "save",
};

const char *
gl_phase_to_string (GlPhase phase)
{
  g_return_val_if_fail ((guint) phase < G_N_ELEMENTS (phase_names), NULL);
  return phase_names[phase];
}

void
gl_progress_init (GlProgress *progress, GlPhase phase)
{
  memset (progress, 0, sizeof *progress);
  progress->phase = phase;
  progress->loss = NAN;
  progress->accuracy = NAN;
  progress->images_per_second = NAN;
  progress->fraction = -1.0;
}

/* ---- jobs ---- */

static GlWorkerJob *
job_ref (GlWorkerJob *job)
{
  g_atomic_ref_count_inc (&job->ref);
  return job;
}

static void
job_unref (gpointer data)
{
  GlWorkerJob *job = data;

  if (!g_atomic_ref_count_dec (&job->ref))
    return;
  /* The last reference goes on the caller's context (the completion source),
   * except for the sentinel and jobs of a worker that never ran a loop. */
  if (job->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (job->caller_cancellable, job->caller_handler);
      g_object_unref (job->caller_cancellable);
    }
  g_clear_object (&job->cancellable);
  g_clear_object (&job->task);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_clear_error (&job->error);
  g_assert (job->source == NULL);
  for (guint i = 0; i < 2; i++)
    if (job->pipe[i] >= 0)
      close (job->pipe[i]);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static GlWorkerJob *
job_new (void)
{
  GlWorkerJob *job = g_new0 (GlWorkerJob, 1);

  g_atomic_ref_count_init (&job->ref);
  g_mutex_init (&job->lock);
  job->pipe[0] = job->pipe[1] = -1;
  return job;
}

static void
on_caller_cancelled (GCancellable *caller, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

/* Caller's context: the pipe has a byte. Delivers the newest progress once,
 * then, once the job has finished, its result (and the source goes). */
static gboolean
job_source_cb (int fd, GIOCondition condition, gpointer data)
{
  GlWorkerJob *job = data;
  GlProgress progress;
  gboolean fresh, finished;
  char buf[16];

  g_mutex_lock (&job->lock);
  /* Empty the pipe first: a report after this unlock writes a new byte. */
  while (read (fd, buf, sizeof buf) > 0)
    ;
  job->signalled = FALSE;
  fresh = job->serial > job->delivered_serial;
  progress = job->latest;
  job->delivered_serial = job->serial;
  finished = job->finished;
  g_mutex_unlock (&job->lock);

  if (fresh && job->progress_func != NULL)
    job->progress_func (&progress, job->user_data);
  if (!finished)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&job->source, g_source_unref);
  if (job->ok)
    g_task_return_boolean (job->task, TRUE);
  else
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  job_unref (job); /* the queue's; the source's goes when it is destroyed */
  return G_SOURCE_REMOVE;
}

/* Worker thread: wakes the caller's source, once until it has run. The write
 * happens under no lock. The engine thread runs at SCHED_IDLE (see
 * gl-worker.h), and a write that wakes the main thread lets the main thread
 * preempt it at once: had it attached a GSource instead, as g_idle_add does,
 * it would be holding the GMainContext's lock at that moment, and the main
 * loop would wait for that lock until the scheduler ran a SCHED_IDLE thread
 * again, 4-13 ms behind its other engine threads (bench-gui, strace). */
static void
signal_caller (int fd)
{
  while (write (fd, "x", 1) < 0 && errno == EINTR)
    ;
}

/* ---- the thread ---- */

/* The thread count and scheduling policy of the next job, on the worker
 * thread. gl-parallel's helpers take on the policy of the thread that
 * dispatches to them, so the whole job runs at it. */
static void
apply_job_settings (GlWorker *worker)
{
  const gint background = g_atomic_int_get (&worker->background);

  gl_parallel_set_n_threads ((guint) g_atomic_int_get (&worker->n_threads));
  if (background == worker->applied_background)
    return;
#ifdef __linux__
  struct sched_param param = { .sched_priority = 0 };
  if (sched_setscheduler (0, background ? SCHED_IDLE : SCHED_OTHER, &param) != 0)
    g_debug ("The engine thread could not switch to %s: %s", background ? "SCHED_IDLE" : "SCHED_OTHER",
             g_strerror (errno));
#endif
  worker->applied_background = background;
}

static void
run_job (GlWorker *worker, GlWorkerJob *job)
{
  g_autoptr (GError) error = NULL;
  gboolean wake;
  int fd;

  if (g_cancellable_is_cancelled (job->cancellable))
    {
      job->ok = FALSE;
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "The engine job was cancelled before it started");
    }
  else
    {
      apply_job_settings (worker);
      job->worker = worker;
      job->ok = job->func (job, g_task_get_task_data (job->task), job->cancellable, &error);
      job->worker = NULL;
      if (!job->ok && error == NULL)
        {
          g_critical ("An engine job returned FALSE without setting an error");
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "The engine job failed without a reason");
        }
      else if (job->ok && error != NULL)
        {
          g_critical ("An engine job succeeded but set an error: %s", error->message);
          g_clear_error (&error);
        }
    }
  job->error = g_steal_pointer (&error);

  g_mutex_lock (&worker->lock);
  g_queue_remove (&worker->jobs, job);
  g_mutex_unlock (&worker->lock);

  /* The caller's source delivers the last progress, then the result, and
   * drops the queue's reference (so the job, its task and its data go on
   * the caller's thread). From the unlock on, the job may be gone. */
  g_mutex_lock (&job->lock);
  job->finished = TRUE;
  wake = !job->signalled;
  job->signalled = TRUE;
  fd = job->pipe[1];
  g_mutex_unlock (&job->lock);
  if (wake)
    signal_caller (fd);
}

static gpointer
worker_thread (gpointer data)
{
  GlWorker *worker = data;

  worker->self = g_thread_self ();
  for (;;)
    {
      GlWorkerJob *job = g_async_queue_pop (worker->queue);

      if (job->quit)
        {
          job_unref (job);
          break;
        }
      run_job (worker, job);
    }
  return NULL;
}

GlWorker *
gl_worker_new (guint n_threads, GDestroyNotify model_free)
{
  GlWorker *worker = g_new0 (GlWorker, 1);

  worker->queue = g_async_queue_new ();
  worker->model_free = model_free;
  worker->n_threads = (gint) MIN (n_threads, (guint) G_MAXINT);
  worker->background = g_strcmp0 (g_getenv ("GL_ENGINE_BACKGROUND"), "0") != 0;
  worker->applied_background = -1;
  g_mutex_init (&worker->lock);
  g_queue_init (&worker->jobs);
  worker->thread = g_thread_new ("gl-engine", worker_thread, worker);
  return worker;
}

/* Cancels every job in the list (queued and running). */
static void
cancel_jobs (GlWorker *worker)
{
  g_autoptr (GPtrArray) jobs = g_ptr_array_new_with_free_func (job_unref);

  g_mutex_lock (&worker->lock);
  for (GList *l = worker->jobs.head; l != NULL; l = l->next)
    g_ptr_array_add (jobs, job_ref (l->data));
  g_mutex_unlock (&worker->lock);

  /* Outside the lock: cancelling runs handlers. */
  for (guint i = 0; i < jobs->len; i++)
    g_cancellable_cancel (((GlWorkerJob *) jobs->pdata[i])->cancellable);
}

void
gl_worker_free (GlWorker *worker)
{
  GlWorkerJob *quit;

  if (worker == NULL)
    return;
  g_return_if_fail (g_thread_self () != worker->self);

  cancel_jobs (worker);
  quit = job_new ();
  quit->quit = TRUE;
  g_async_queue_push (worker->queue, quit);
  g_thread_join (worker->thread);

  g_assert (g_queue_is_empty (&worker->jobs));
  if (worker->model != NULL && worker->model_free != NULL)
    worker->model_free (worker->model);
  g_async_queue_unref (worker->queue);
  g_mutex_clear (&worker->lock);
  g_free (worker);
}

void
gl_worker_set_n_threads (GlWorker *worker, guint n_threads)
{
  g_atomic_int_set (&worker->n_threads, (gint) MIN (n_threads, (guint) G_MAXINT));
}

guint
gl_worker_get_n_threads (GlWorker *worker)
{
  return (guint) g_atomic_int_get (&worker->n_threads);
}

void
gl_worker_set_background (GlWorker *worker, gboolean background)
{
  g_atomic_int_set (&worker->background, background ? 1 : 0);
}

gboolean
gl_worker_get_background (GlWorker *worker)
{
  return g_atomic_int_get (&worker->background) != 0;
}

void
gl_worker_run_async (GlWorker *worker, GlWorkerJobFunc job_func, gpointer job_data,
                     GDestroyNotify job_data_destroy, GCancellable *cancellable,
                     GlWorkerProgressFunc progress_func, GAsyncReadyCallback callback, gpointer user_data)
{
  GlWorkerJob *job;

  g_return_if_fail (worker != NULL);
  g_return_if_fail (job_func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new ();
  job->func = job_func;
  /* The task gets no cancellable: the worker reports cancellation itself, and
   * GTask would defer the callback of a cancelled task by one more main-loop
   * iteration, which would let completions overtake each other. */
  job->task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (job->task, gl_worker_run_async);
  g_task_set_name (job->task, "[gleaner] engine job");
  g_task_set_task_data (job->task, job_data, job_data_destroy);
  job->cancellable = g_cancellable_new ();
  job->context = g_main_context_ref_thread_default ();
  job->progress_func = progress_func;
  job->user_data = user_data;
  if (cancellable != NULL)
    {
      job->caller_cancellable = g_object_ref (cancellable);
      /* Runs at once if @cancellable is already cancelled. */
      job->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                                   g_object_ref (job->cancellable), g_object_unref);
    }

  /* The source that the worker thread wakes, attached here, on the caller's
   * thread: below redraw priority, so that a busy job never starves the
   * frame clock. */
  g_autoptr (GError) error = NULL;
  if (!g_unix_open_pipe (job->pipe, FD_CLOEXEC, &error) || !g_unix_set_fd_nonblocking (job->pipe[0], TRUE, &error)
      || !g_unix_set_fd_nonblocking (job->pipe[1], TRUE, &error))
    g_error ("The engine cannot make a pipe: %s", error->message);
  job->source = g_unix_fd_source_new (job->pipe[0], G_IO_IN);
  g_source_set_priority (job->source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_static_name (job->source, "[gleaner] engine job");
  g_source_set_callback (job->source, G_SOURCE_FUNC (job_source_cb), job_ref (job), job_unref);
  g_source_attach (job->source, job->context);

  g_mutex_lock (&worker->lock);
  g_queue_push_tail (&worker->jobs, job);
  g_mutex_unlock (&worker->lock);
  g_async_queue_push (worker->queue, job);
}

gboolean
gl_worker_run_finish (GlWorker *worker, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == gl_worker_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gpointer
gl_worker_result_get_job_data (GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_get_task_data (G_TASK (result));
}

void
gl_worker_cancel_all (GlWorker *worker)
{
  cancel_jobs (worker);
}

guint
gl_worker_get_n_pending (GlWorker *worker)
{
  guint n;

  g_mutex_lock (&worker->lock);
  n = worker->jobs.length;
  g_mutex_unlock (&worker->lock);
  return n;
}

/* ---- from inside a job ---- */

GlWorker *
gl_worker_job_get_worker (GlWorkerJob *job)
{
  g_return_val_if_fail (job->worker != NULL, NULL);
  return job->worker;
}

void
gl_worker_job_report (GlWorkerJob *job, const GlProgress *progress)
{
  gboolean wake;

  g_return_if_fail (job->worker != NULL && g_thread_self () == job->worker->self);

  g_mutex_lock (&job->lock);
  job->latest = *progress;
  job->serial++;
  wake = job->progress_func != NULL && !job->signalled;
  if (wake)
    job->signalled = TRUE;
  g_mutex_unlock (&job->lock);
  if (wake)
    signal_caller (job->pipe[1]);
}

gpointer
gl_worker_get_model (GlWorker *worker)
{
  g_return_val_if_fail (g_thread_self () == worker->self, NULL);
  return worker->model;
}

void
gl_worker_set_model (GlWorker *worker, gpointer model)
{
  g_return_if_fail (g_thread_self () == worker->self);
  if (worker->model == model)
    return;
  if (worker->model != NULL && worker->model_free != NULL)
    worker->model_free (worker->model);
  worker->model = model;
}

gpointer
gl_worker_steal_model (GlWorker *worker)
{
  g_return_val_if_fail (g_thread_self () == worker->self, NULL);
  return g_steal_pointer (&worker->model);
}

gpointer
gl_worker_job_get_model (GlWorkerJob *job)
{
  return gl_worker_get_model (gl_worker_job_get_worker (job));
}

void
gl_worker_job_set_model (GlWorkerJob *job, gpointer model)
{
  gl_worker_set_model (gl_worker_job_get_worker (job), model);
}
