/* gl-worker.c — the engine thread, its job queue and coalesced progress. */
#include "engine/gl-worker.h"

#include "engine/gl-parallel.h"

#include <errno.h>
#include <glib-unix.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sched.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* The jobs of a worker whose completion has not been delivered, in queue
 * order: a completion waits for its predecessors'. Each job's sources wake
 * separately, and poll(2) may see a later pipe ready before an earlier one,
 * so the order is kept here. Shared by the worker and its jobs (a job's
 * completion may arrive after the worker is freed); never touched by the
 * worker thread. */
typedef struct
{
  gatomicrefcount ref;
  GMutex lock;
  GQueue jobs; /* GlWorkerJob, no reference: a job stays until its completion */
} Order;

static Order *
order_ref (Order *order)
{
  g_atomic_ref_count_inc (&order->ref);
  return order;
}

static void
order_unref (Order *order)
{
  if (order == NULL || !g_atomic_ref_count_dec (&order->ref))
    return;
  g_assert (g_queue_is_empty (&order->jobs));
  g_mutex_clear (&order->lock);
  g_free (order);
}

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

  /* The caller's two sources, attached by gl_worker_run_async: one delivers
   * progress (below redraw priority), the other the completion (at default
   * priority, after the last progress). The worker thread wakes each through
   * its pipe, a write(2) under no lock (see signal_caller). Caller only. */
  GSource *progress_source, *done_source;
  int progress_pipe[2], done_pipe[2]; /* read end (caller), write end (worker thread) */
  Order *order;                       /* the completions still to deliver, in queue order */

  /* Guarded by lock. */
  GMutex lock;
  GlProgress latest;
  guint64 serial;           /* reports published */
  guint64 delivered_serial; /* reports delivered to progress_func */
  gboolean finished;        /* ok and error are set; the result can be delivered */
  gboolean signalled;       /* the progress pipe holds a byte the caller has not read yet */
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
  Order *order;         /* completions to deliver, in order (callers only) */
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

double
gl_progress_call_fraction (const GlProgress *progress)
{
  double inner = progress->n_batches > 0 ? (double) progress->batch / (double) progress->n_batches : 0;
  if (progress->phase == GL_PHASE_TRAIN && progress->n_epochs > 0 && progress->epoch > 0)
    inner = ((progress->epoch - 1) + inner) / progress->n_epochs;
  return CLAMP (inner, 0.0, 1.0);
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
  /* The last reference goes on the caller's context (the completion source's
   * destroy notify), except for the sentinel. */
  if (job->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (job->caller_cancellable, job->caller_handler);
      g_object_unref (job->caller_cancellable);
    }
  g_clear_object (&job->cancellable);
  g_clear_object (&job->task);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_clear_error (&job->error);
  g_assert (job->progress_source == NULL && job->done_source == NULL);
  for (guint i = 0; i < 2; i++)
    {
      if (job->progress_pipe[i] >= 0)
        close (job->progress_pipe[i]);
      if (job->done_pipe[i] >= 0)
        close (job->done_pipe[i]);
    }
  order_unref (job->order);
  g_mutex_clear (&job->lock);
  g_free (job);
}

static GlWorkerJob *
job_new (void)
{
  GlWorkerJob *job = g_new0 (GlWorkerJob, 1);

  g_atomic_ref_count_init (&job->ref);
  g_mutex_init (&job->lock);
  job->progress_pipe[0] = job->progress_pipe[1] = job->done_pipe[0] = job->done_pipe[1] = -1;
  return job;
}

static void
on_caller_cancelled (GCancellable *caller, gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

/* Caller's context: empties @fd (non-blocking). */
static void
drain (int fd)
{
  char buf[16];
  while (read (fd, buf, sizeof buf) > 0)
    ;
}

/* Caller's context: the newest progress, if not delivered yet. */
static void
deliver_progress (GlWorkerJob *job)
{
  GlProgress progress;
  gboolean fresh;

  g_mutex_lock (&job->lock);
  drain (job->progress_pipe[0]); /* a report after the unlock writes a new byte */
  job->signalled = FALSE;
  fresh = job->serial > job->delivered_serial;
  progress = job->latest;
  job->delivered_serial = job->serial;
  g_mutex_unlock (&job->lock);
  if (fresh && job->progress_func != NULL)
    job->progress_func (&progress, job->user_data);
}

static gboolean
progress_source_cb (int fd, GIOCondition condition, gpointer data)
{
  deliver_progress (data);
  return G_SOURCE_CONTINUE;
}

/* Caller's context: the job finished (its done pipe has a byte), or its
 * predecessor's completion was delivered (the ready time). Delivers the last
 * progress and the result once every earlier job's result is delivered. */
static gboolean
done_source_cb (int fd, GIOCondition condition, gpointer data)
{
  GlWorkerJob *job = data, *next = NULL;
  gboolean finished, first;

  g_source_set_ready_time (job->done_source, -1);
  g_mutex_lock (&job->lock);
  drain (fd);
  finished = job->finished;
  g_mutex_unlock (&job->lock);
  if (!finished)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&job->order->lock);
  first = g_queue_peek_head (&job->order->jobs) == job;
  if (first)
    {
      g_queue_pop_head (&job->order->jobs);
      next = g_queue_peek_head (&job->order->jobs);
      if (next != NULL)
        g_source_set_ready_time (next->done_source, 0);
    }
  g_mutex_unlock (&job->order->lock);
  if (!first)
    return G_SOURCE_CONTINUE; /* woken again when the job before it is done */

  deliver_progress (job);
  g_source_destroy (job->progress_source);
  g_clear_pointer (&job->progress_source, g_source_unref);
  g_clear_pointer (&job->done_source, g_source_unref);
  if (job->ok)
    g_task_return_boolean (job->task, TRUE);
  else
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  job_unref (job); /* the queue's; the sources' go when they are destroyed */
  return G_SOURCE_REMOVE;
}

/* Worker thread: wakes one of the caller's sources. The write happens under
 * no lock. The engine thread runs at SCHED_IDLE (see
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
#ifdef __GLIBC__
  /* The job's buffers are freed (its data, freed later on the caller's
   * context, holds only results): give the free pages back (gl-worker.h). */
  malloc_trim (0);
#endif

  g_mutex_lock (&worker->lock);
  g_queue_remove (&worker->jobs, job);
  g_mutex_unlock (&worker->lock);

  /* The caller's done source delivers the last progress, then the result,
   * and drops the queue's reference (so the job, its task and its data go on
   * the caller's thread). From the unlock on, the job may be gone. */
  g_mutex_lock (&job->lock);
  job->finished = TRUE;
  fd = job->done_pipe[1];
  g_mutex_unlock (&job->lock);
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

#ifdef __GLIBC__
  static gsize malloc_tuned = 0;
  if (g_once_init_enter (&malloc_tuned))
    {
      /* Fixed, not glibc's sliding threshold (which rises to 32 MB after the
       * first large free): see gl-worker.h. */
      if (mallopt (M_MMAP_THRESHOLD, GL_WORKER_MMAP_THRESHOLD) != 1)
        g_debug ("malloc's mmap threshold could not be set");
      g_once_init_leave (&malloc_tuned, 1);
    }
#endif
  worker->queue = g_async_queue_new ();
  worker->model_free = model_free;
  worker->n_threads = (gint) MIN (n_threads, (guint) G_MAXINT);
  worker->background = g_strcmp0 (g_getenv ("GL_ENGINE_BACKGROUND"), "0") != 0;
  worker->applied_background = -1;
  g_mutex_init (&worker->lock);
  g_queue_init (&worker->jobs);
  worker->order = g_new0 (Order, 1);
  g_atomic_ref_count_init (&worker->order->ref);
  g_mutex_init (&worker->order->lock);
  g_queue_init (&worker->order->jobs);
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
  order_unref (worker->order);
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

static gboolean
open_pipe (int fds[2], GError **error)
{
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return FALSE;
  return g_unix_set_fd_nonblocking (fds[0], TRUE, error) && g_unix_set_fd_nonblocking (fds[1], TRUE, error);
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

  /* The sources that the worker thread wakes, attached here, on the
   * caller's thread. Without pipes (no file descriptors left) the job fails. */
  g_autoptr (GError) error = NULL;
  if (!open_pipe (job->progress_pipe, &error) || !open_pipe (job->done_pipe, &error))
    {
      g_prefix_error (&error, "The engine cannot start a job: ");
      g_task_return_error (job->task, g_steal_pointer (&error));
      job_unref (job);
      return;
    }
  job->progress_source = g_unix_fd_source_new (job->progress_pipe[0], G_IO_IN);
  g_source_set_priority (job->progress_source, G_PRIORITY_DEFAULT_IDLE); /* never starves the frame clock */
  g_source_set_static_name (job->progress_source, "[gleaner] engine progress");
  g_source_set_callback (job->progress_source, G_SOURCE_FUNC (progress_source_cb), job_ref (job), job_unref);
  g_source_attach (job->progress_source, job->context);
  job->done_source = g_unix_fd_source_new (job->done_pipe[0], G_IO_IN);
  g_source_set_priority (job->done_source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (job->done_source, "[gleaner] engine job completion");
  g_source_set_callback (job->done_source, G_SOURCE_FUNC (done_source_cb), job_ref (job), job_unref);
  g_source_attach (job->done_source, job->context);
  job->order = order_ref (worker->order);
  g_mutex_lock (&job->order->lock);
  g_queue_push_tail (&job->order->jobs, job);
  g_mutex_unlock (&job->order->lock);

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
    signal_caller (job->progress_pipe[1]);
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
