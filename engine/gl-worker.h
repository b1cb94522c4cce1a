/* gl-worker.h — the engine thread: one dedicated GThread owns the model and
 * every BLAS call, and runs jobs from a queue one at a time.
 *
 * A job is a function run on the worker thread. It reads or replaces the
 * model (gl_worker_job_get_model / gl_worker_job_set_model, worker thread
 * only), checks its GCancellable at least once per batch, and reports
 * progress with gl_worker_job_report.
 *
 * Progress is COALESCED (the pattern of Sysprof's document task): the job
 * stores its latest GlProgress under a mutex, and wakes the job's progress
 * source on the caller's GMainContext (attached by gl_worker_run_async, at
 * G_PRIORITY_DEFAULT_IDLE so that a busy job never starves the frame clock)
 * only when it is not already awake; when it runs it delivers the newest
 * progress. A job reporting a thousand times a second therefore costs the
 * main loop one callback per iteration. The last progress is always
 * delivered, before the completion. The worker thread wakes the caller's
 * sources through pipes and never takes the GMainContext's lock (see
 * signal_caller in gl-worker.c: priority inversion).
 *
 * Completion is delivered by the job's second source (G_PRIORITY_DEFAULT),
 * on the caller's main context (the thread-default context of the thread
 * that called gl_worker_run_async) as a GTask would: the GAsyncReadyCallback
 * runs there and calls gl_worker_run_finish. The job's data stays alive until
 * the callback has returned, then its destroy notify runs (on the main
 * context, never on the worker). Completions arrive in queue order. The
 * result says what the job did: a job that finished (and perhaps replaced
 * the model) before its cancellable was set succeeded. A job that cannot get
 * its two pipes (no file descriptors left) fails at once. A job holds its
 * pipes until its completion is delivered: a context that never runs again
 * keeps them.
 *
 * Cancellation: the GCancellable passed to gl_worker_run_async cancels that
 * job, whether queued (it never runs) or running (its function sees the
 * cancellable set and returns; the result is G_IO_ERROR_CANCELLED).
 * gl_worker_cancel_all cancels the running job and everything queued.
 * gl_worker_free cancels everything, joins the thread and frees the model;
 * the completions of cancelled jobs still arrive on the main context when it
 * next runs (the worker itself may be gone by then).
 *
 * Threads: before each job the worker sets the engine's thread count
 * (gl_parallel_set_n_threads; 0 = every core). The engine's work runs on the
 * worker thread and gl-parallel's helpers only (OpenBLAS is kept
 * single-threaded, see gl-parallel.h); the count is process-wide, so the
 * worker should be the only thread running engine kernels.
 *
 * Background priority (on by default; off when the environment sets
 * GL_ENGINE_BACKGROUND=0, as the test suites do so that tests running side by
 * side get their share of the cores): on Linux the worker thread runs at
 * SCHED_IDLE, and gl-parallel's helpers take on that policy when the worker
 * dispatches to them. SCHED_IDLE rather than a high nice value: a SCHED_IDLE
 * thread still gets every core nobody else wants (training runs at full
 * speed on an idle machine), but a normal thread that wakes up (the GTK main
 * loop starting a frame) preempts it at once and it gets a tiny share (weight
 * 3 against nice 0's 1024, where nice 19 still has 15) while normal threads
 * want the cores. Turn it off (gl_worker_set_background) before the first
 * job if the work should compete as a normal thread: an unprivileged thread
 * that is already at SCHED_IDLE may not be allowed back to SCHED_OTHER
 * (RLIMIT_NICE), and then stays in the background.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  GL_PHASE_PREPARE,  /* loading data, building a network */
  GL_PHASE_TRAIN,
  GL_PHASE_EVALUATE,
  GL_PHASE_SCORE,    /* inference over the pool */
  GL_PHASE_SAVE,
} GlPhase;

const char *gl_phase_to_string (GlPhase phase);

typedef struct
{
  GlPhase phase;
  guint epoch;              /* 1-based; 0 when not training */
  guint n_epochs;
  guint64 batch;            /* batches done in this phase (or epoch) */
  guint64 n_batches;
  double loss;              /* NaN when not known */
  double accuracy;          /* NaN when not known */
  double images_per_second; /* NaN when not known */
  double fraction;          /* of the whole job, 0…1; negative when not known */
} GlProgress;

/* A progress with every value unknown in @phase. */
void gl_progress_init (GlProgress *progress, GlPhase phase);

/* How far the engine call that reported @progress is, 0…1: its batches,
 * and in training its epochs too. */
double gl_progress_call_fraction (const GlProgress *progress);

typedef struct _GlWorker GlWorker;
typedef struct _GlWorkerJob GlWorkerJob;

/* Runs on the worker thread. Returns TRUE on success, or FALSE with @error
 * set (G_IO_ERROR_CANCELLED when it stopped because @cancellable was set). */
typedef gboolean (*GlWorkerJobFunc) (GlWorkerJob *job, gpointer job_data, GCancellable *cancellable,
                                     GError **error);

/* Runs on the caller's main context with the newest progress. */
typedef void (*GlWorkerProgressFunc) (const GlProgress *progress, gpointer user_data);

/* Starts the thread. @n_threads: engine threads for jobs, 0 = every core.
 * @model_free frees the model when it is replaced or the worker freed.
 *
 * Memory: a job allocates large buffers (a round's training data, pool
 * scores, embeddings, a detection's folds) on the engine's threads and frees
 * them when it ends, at sizes that change from job to job. With glibc's
 * defaults they land in the arenas of those threads, and freed pages stay
 * resident there (issue 17: the window's resident set wandered 240–315 MB
 * while 85–129 MB were in use). So the first worker fixes malloc's mmap
 * threshold for the process (GL_WORKER_MMAP_THRESHOLD: a buffer that large is
 * mapped on its own and unmapped when freed), and the worker thread gives the
 * arenas' free pages back to the system (malloc_trim) after every job. */
#define GL_WORKER_MMAP_THRESHOLD (1024 * 1024)
GlWorker *gl_worker_new (guint n_threads, GDestroyNotify model_free);
/* Cancels the running and queued jobs, joins the thread, frees the model. */
void gl_worker_free (GlWorker *worker);

/* The engine thread count for the next jobs (0 = every core). */
void gl_worker_set_n_threads (GlWorker *worker, guint n_threads);
guint gl_worker_get_n_threads (GlWorker *worker);

/* Whether the next jobs run at background priority (SCHED_IDLE); TRUE by
 * default. See above. */
void gl_worker_set_background (GlWorker *worker, gboolean background);
gboolean gl_worker_get_background (GlWorker *worker);

/* Queues a job. @job_data is freed with @job_data_destroy after the
 * completion callback returned. @progress_func may be NULL. */
void gl_worker_run_async (GlWorker *worker, GlWorkerJobFunc job_func, gpointer job_data,
                          GDestroyNotify job_data_destroy, GCancellable *cancellable,
                          GlWorkerProgressFunc progress_func, GAsyncReadyCallback callback, gpointer user_data);
/* @worker may already be freed; it is not dereferenced. */
gboolean gl_worker_run_finish (GlWorker *worker, GAsyncResult *result, GError **error);
/* The job data of a result, valid until the completion callback returns. */
gpointer gl_worker_result_get_job_data (GAsyncResult *result);

/* Cancels the running job and every queued one. */
void gl_worker_cancel_all (GlWorker *worker);

/* Jobs queued or running. */
guint gl_worker_get_n_pending (GlWorker *worker);

/* ---- worker thread only: from inside a job ---- */

GlWorker *gl_worker_job_get_worker (GlWorkerJob *job);
/* Publishes @progress; coalesced as described above. */
void gl_worker_job_report (GlWorkerJob *job, const GlProgress *progress);
/* The model (NULL until a job sets one); owned by the worker. */
gpointer gl_worker_get_model (GlWorker *worker);
/* Replaces the model, freeing the old one unless it is the same pointer. */
void gl_worker_set_model (GlWorker *worker, gpointer model);
/* Takes the model out without freeing it; the worker then holds none. */
gpointer gl_worker_steal_model (GlWorker *worker);
gpointer gl_worker_job_get_model (GlWorkerJob *job);
void gl_worker_job_set_model (GlWorkerJob *job, gpointer model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlWorker, gl_worker_free)

G_END_DECLS
