/* test-worker.c — the engine thread: jobs run off the calling thread, one at a
 * time; completion and coalesced progress arrive on the caller's main context;
 * cancellation takes effect within one batch; the model is shared between jobs
 * and freed once; shutdown cancels what is queued. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gl-parallel.h"
#include "engine/gl-worker.h"

typedef struct
{
  GMainContext *context;
  GThread *main_thread;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->main_thread = g_thread_self ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  /* Nothing may be left pending on the context. */
  g_assert_false (g_main_context_pending (f->context));
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
}

/* What one job saw and what came back for it. */
typedef struct
{
  Fixture *f;
  GlWorker *worker;
  /* Job side (worker thread; read by the test after completion or through atomics). */
  GThread *ran_on;
  gint ran;              /* atomic */
  gint started;          /* atomic */
  gint batches_done;     /* atomic */
  gint gate;             /* atomic: the job waits until this is set */
  gint delivered;        /* atomic: progress callbacks so far (main side) */
  guint n_batches;
  guint sleep_us;
  gboolean wait_for_delivery;
  gboolean fail;
  /* Main side. */
  gboolean done;
  gboolean ok;
  GError *error;
  guint n_progress;
  guint progress_after_done;
  GlProgress last;
  guint64 last_batch_seen;
  gboolean progress_in_order;
  gboolean data_alive_in_callback;
  gboolean data_destroyed;
  guint completion_order;
  guint progress_source; /* the main-context source of the first progress delivery */
  gboolean one_progress_source; /* every progress came from that source */
  guint done_source;     /* the source that delivered the completion */
} Job;

static guint completion_counter;

static Job *
job_new (Fixture *f, GlWorker *worker)
{
  Job *j = g_new0 (Job, 1);

  j->f = f;
  j->worker = worker;
  j->progress_in_order = TRUE;
  j->one_progress_source = TRUE;
  return j;
}

/* The job data the worker frees: a pointer back to the Job the test keeps. */
typedef struct
{
  Job *job;
} JobData;

static void
job_data_free (gpointer data)
{
  JobData *d = data;

  g_assert_true (g_thread_self () == d->job->f->main_thread);
  d->job->data_destroyed = TRUE;
  g_free (d);
}

static JobData *
job_data_new (Job *j)
{
  JobData *d = g_new0 (JobData, 1);
  d->job = j;
  return d;
}

/* The id of the main-context source being dispatched, or 0. */
static guint
current_source_id (void)
{
  GSource *source = g_main_current_source ();
  return source != NULL ? g_source_get_id (source) : 0;
}

static void
on_progress (const GlProgress *progress, gpointer user_data)
{
  Job *j = user_data;

  g_assert_true (g_thread_self () == j->f->main_thread);
  if (j->progress_source == 0)
    j->progress_source = current_source_id ();
  else if (current_source_id () != j->progress_source)
    j->one_progress_source = FALSE;
  if (j->done)
    j->progress_after_done++;
  if (j->n_progress > 0 && progress->batch <= j->last_batch_seen)
    j->progress_in_order = FALSE;
  j->last_batch_seen = progress->batch;
  j->last = *progress;
  j->n_progress++;
  g_atomic_int_inc (&j->delivered);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Job *j = user_data;
  JobData *d = gl_worker_result_get_job_data (result);

  g_assert_null (source);
  g_assert_true (g_thread_self () == j->f->main_thread);
  j->done_source = current_source_id ();
  j->data_alive_in_callback = d != NULL && d->job == j && !j->data_destroyed;
  j->ok = gl_worker_run_finish (j->worker, result, &j->error);
  j->done = TRUE;
  j->completion_order = ++completion_counter;
}

static void
wait_done (Fixture *f, Job *j)
{
  while (!j->done)
    g_main_context_iteration (f->context, TRUE);
}

static void
job_free (Job *j)
{
  g_clear_error (&j->error);
  g_free (j);
}

/* A fake training job: n_batches batches of sleep_us each, checking the
 * cancellable once per batch and reporting progress after each. */
static gboolean
fake_train (GlWorkerJob *wjob, gpointer data, GCancellable *cancellable, GError **error)
{
  Job *j = ((JobData *) data)->job;

  j->ran_on = g_thread_self ();
  g_atomic_int_inc (&j->ran);
  g_atomic_int_set (&j->started, 1);
  while (!g_atomic_int_get (&j->gate))
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (1000);
    }
  for (guint b = 0; b < j->n_batches; b++)
    {
      GlProgress p;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (j->sleep_us)
        g_usleep (j->sleep_us);
      g_atomic_int_inc (&j->batches_done);

      gl_progress_init (&p, GL_PHASE_TRAIN);
      p.epoch = 1;
      p.n_epochs = 1;
      p.batch = b + 1;
      p.n_batches = j->n_batches;
      p.loss = 1.0 / (b + 1);
      p.fraction = (double) (b + 1) / j->n_batches;
      gl_worker_job_report (wjob, &p);

      if (j->wait_for_delivery)
        {
          /* Wait until the main context has seen this report. */
          while ((guint) g_atomic_int_get (&j->delivered) < b + 1)
            g_usleep (200);
        }
    }
  if (j->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Fake job %p failed on purpose", (void *) j);
      return FALSE;
    }
  return TRUE;
}

static void
submit (GlWorker *worker, Job *j, GCancellable *cancellable)
{
  gl_worker_run_async (worker, fake_train, job_data_new (j), job_data_free, cancellable, on_progress, on_done,
                       j);
}

static void
test_off_thread (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  Job *j = job_new (f, worker);

  j->gate = 1;
  j->n_batches = 3;
  submit (worker, j, NULL);
  wait_done (f, j);

  g_assert_no_error (j->error);
  g_assert_true (j->ok);
  g_assert_nonnull (j->ran_on);
  g_assert_true (j->ran_on != f->main_thread);
  g_assert_true (j->data_alive_in_callback);
  g_assert_true (j->data_destroyed);
  /* The last progress arrives, and before the completion. */
  g_assert_cmpuint (j->n_progress, >=, 1);
  g_assert_cmpuint (j->last.batch, ==, 3);
  g_assert_cmpuint (j->progress_after_done, ==, 0);
  g_assert_cmpstr (gl_phase_to_string (j->last.phase), ==, "train");
  g_assert_cmpuint (gl_worker_get_n_pending (worker), ==, 0);
  job_free (j);
}

/* The engine thread runs at SCHED_IDLE: it must never take the caller's
 * GMainContext lock (which g_idle_add and g_source_attach do), or the main
 * loop waits for that lock until the scheduler runs the engine thread again.
 * So a job's progress and its completion are delivered by sources attached
 * on the caller's thread when the job is queued: every source that delivers
 * is older than one attached right after gl_worker_run_async. */
static void
test_sources_of_the_caller (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  Job *j = job_new (f, worker);

  j->n_batches = 5;
  j->wait_for_delivery = TRUE;
  submit (worker, j, NULL);
  GSource *marker = g_idle_source_new ();
  guint marker_id = g_source_attach (marker, f->context);
  g_source_destroy (marker);
  g_source_unref (marker);
  g_atomic_int_set (&j->gate, 1);
  wait_done (f, j);
  g_assert_true (j->ok);
  g_assert_cmpuint (j->n_progress, ==, 5);
  g_assert_true (j->one_progress_source);
  g_assert_cmpuint (j->progress_source, !=, 0);
  g_assert_cmpuint (j->progress_source, <, marker_id);
  g_assert_cmpuint (j->done_source, !=, 0);
  g_assert_cmpuint (j->done_source, <, marker_id);
  job_free (j);
}

/* Jobs whose completions are ready together still complete in queue order,
 * with the caller's loop spinning without blocking (each job's source wakes
 * on its own pipe, and poll may see a later one first). */
static void
test_completion_order (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  enum { ROUNDS = 20, JOBS = 40 };

  for (guint r = 0; r < ROUNDS; r++)
    {
      Job *jobs[JOBS];
      completion_counter = 0;
      for (guint i = 0; i < JOBS; i++)
        {
          jobs[i] = job_new (f, worker);
          jobs[i]->gate = 1;
          jobs[i]->n_batches = g_test_rand_int_range (0, 300);
          submit (worker, jobs[i], NULL);
        }
      while (!jobs[JOBS - 1]->done)
        g_main_context_iteration (f->context, FALSE);
      for (guint i = 0; i < JOBS; i++)
        {
          g_assert_true (jobs[i]->done);
          g_assert_cmpuint (jobs[i]->completion_order, ==, i + 1);
          g_assert_cmpuint (jobs[i]->progress_after_done, ==, 0);
          job_free (jobs[i]);
        }
    }
}

static void
test_progress_coalesced (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  Job *paced = job_new (f, worker);
  Job *burst = job_new (f, worker);

  /* Paced: the job waits for each report to be delivered, so every one is. */
  paced->gate = 1;
  paced->n_batches = 5;
  paced->wait_for_delivery = TRUE;
  submit (worker, paced, NULL);
  wait_done (f, paced);
  g_assert_true (paced->ok);
  g_assert_cmpuint (paced->n_progress, ==, 5);
  g_assert_true (paced->progress_in_order);
  g_assert_cmpuint (paced->last.batch, ==, 5);

  /* Burst: 10,000 reports while the main context does not run. They
   * coalesce into ONE delivery of the newest, before the completion. */
  burst->gate = 1;
  burst->n_batches = 10000;
  submit (worker, burst, NULL);
  while (gl_worker_get_n_pending (worker) > 0)
    g_usleep (1000);
  wait_done (f, burst);
  g_assert_true (burst->ok);
  g_assert_cmpuint (burst->n_progress, ==, 1);
  g_assert_cmpuint (burst->last.batch, ==, 10000);
  g_assert_cmpfloat (burst->last.fraction, ==, 1.0);
  g_assert_cmpuint (burst->progress_after_done, ==, 0);
  /* Nothing else is pending: no stray progress idle was left behind. */
  g_assert_false (g_main_context_pending (f->context));
  job_free (paced);
  job_free (burst);
}

static void
test_cancel_running (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Job *j = job_new (f, worker);
  gint at_cancel;

  j->gate = 1;
  j->n_batches = 1000000;
  j->sleep_us = 2000;
  submit (worker, j, cancellable);
  while (g_atomic_int_get (&j->batches_done) < 3)
    {
      g_main_context_iteration (f->context, FALSE);
      g_usleep (500);
    }
  at_cancel = g_atomic_int_get (&j->batches_done);
  g_cancellable_cancel (cancellable);
  wait_done (f, j);

  g_assert_false (j->ok);
  g_assert_error (j->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The batch under way when cancelled may finish; no further batch starts. */
  g_assert_cmpint (g_atomic_int_get (&j->batches_done), <=, at_cancel + 1);
  g_assert_true (j->data_destroyed);
  job_free (j);
}

static void
test_cancel_queued (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  g_autoptr (GCancellable) cancel_second = g_cancellable_new ();
  g_autoptr (GCancellable) already = g_cancellable_new ();
  Job *first = job_new (f, worker);
  Job *second = job_new (f, worker);
  Job *third = job_new (f, worker);
  Job *fourth = job_new (f, worker);

  completion_counter = 0;
  first->n_batches = 2;
  second->gate = third->gate = fourth->gate = 1;
  second->n_batches = third->n_batches = fourth->n_batches = 2;
  g_cancellable_cancel (already);
  submit (worker, first, NULL);   /* blocks on its gate */
  submit (worker, second, cancel_second);
  submit (worker, third, already); /* cancelled before it was queued */
  submit (worker, fourth, NULL);
  while (!g_atomic_int_get (&first->started))
    g_usleep (500);
  g_assert_cmpuint (gl_worker_get_n_pending (worker), ==, 4);
  g_cancellable_cancel (cancel_second);
  g_atomic_int_set (&first->gate, 1);
  wait_done (f, fourth);
  wait_done (f, first);
  wait_done (f, second);
  wait_done (f, third);

  g_assert_true (first->ok);
  g_assert_error (second->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (third->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_atomic_int_get (&second->ran), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&third->ran), ==, 0);
  g_assert_cmpuint (second->n_progress, ==, 0);
  g_assert_true (fourth->ok);
  /* Jobs complete in queue order. */
  g_assert_cmpuint (first->completion_order, ==, 1);
  g_assert_cmpuint (second->completion_order, ==, 2);
  g_assert_cmpuint (third->completion_order, ==, 3);
  g_assert_cmpuint (fourth->completion_order, ==, 4);
  job_free (first);
  job_free (second);
  job_free (third);
  job_free (fourth);
}

static void
test_job_error (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  Job *j = job_new (f, worker);

  j->gate = 1;
  j->n_batches = 1;
  j->fail = TRUE;
  submit (worker, j, NULL);
  wait_done (f, j);
  g_assert_false (j->ok);
  g_assert_error (j->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (j->error->message, "on purpose"));
  job_free (j);
}

/* ---- the model ---- */

typedef struct
{
  guint *n_freed;
  guint uses;
  guint id;
} FakeModel;

static void
fake_model_free (gpointer data)
{
  FakeModel *m = data;

  (*m->n_freed)++;
  g_free (m);
}

typedef struct
{
  guint *n_freed;
  guint new_id;      /* 0: use the existing model */
  guint seen_id;     /* the model's id the job saw */
  guint seen_uses;
  GThread *main_thread;
} ModelJob;

static gboolean
model_job (GlWorkerJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  ModelJob *mj = data;
  FakeModel *m;

  g_assert_true (g_thread_self () != mj->main_thread);
  g_assert_true (gl_worker_job_get_model (job) == gl_worker_get_model (gl_worker_job_get_worker (job)));
  if (mj->new_id != 0)
    {
      m = g_new0 (FakeModel, 1);
      m->n_freed = mj->n_freed;
      m->id = mj->new_id;
      gl_worker_job_set_model (job, m);
    }
  m = gl_worker_job_get_model (job);
  if (m == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No model yet");
      return FALSE;
    }
  m->uses++;
  mj->seen_id = m->id;
  mj->seen_uses = m->uses;
  return TRUE;
}

static void
on_model_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (gl_worker_run_finish (NULL, result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
run_model_job (Fixture *f, GlWorker *worker, ModelJob *mj)
{
  gboolean done = FALSE;

  mj->main_thread = f->main_thread;
  gl_worker_run_async (worker, model_job, mj, NULL, NULL, NULL, on_model_done, &done);
  while (!done)
    g_main_context_iteration (f->context, TRUE);
}

static void
test_model_reused (Fixture *f, gconstpointer data)
{
  guint n_freed = 0;
  GlWorker *worker = gl_worker_new (1, fake_model_free);
  ModelJob create = { .n_freed = &n_freed, .new_id = 1 };
  ModelJob use = { .n_freed = &n_freed };
  ModelJob replace = { .n_freed = &n_freed, .new_id = 2 };
  ModelJob same = { .n_freed = &n_freed };

  run_model_job (f, worker, &create);
  g_assert_cmpuint (create.seen_id, ==, 1);
  run_model_job (f, worker, &use);
  g_assert_cmpuint (use.seen_id, ==, 1);
  g_assert_cmpuint (use.seen_uses, ==, 2); /* the same object, kept between jobs */
  g_assert_cmpuint (n_freed, ==, 0);
  run_model_job (f, worker, &replace);
  g_assert_cmpuint (replace.seen_id, ==, 2);
  g_assert_cmpuint (n_freed, ==, 1); /* the old model, once */
  run_model_job (f, worker, &same);
  g_assert_cmpuint (same.seen_uses, ==, 2);
  gl_worker_free (worker);
  g_assert_cmpuint (n_freed, ==, 2);
}

static void
test_model_main_thread_subprocess (void)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);

  /* Only the worker thread may touch the model: a critical. */
  g_assert_null (gl_worker_get_model (worker));
}

static void
test_model_main_thread (void)
{
  g_test_trap_subprocess ("/worker/model-main-thread/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*CRITICAL*worker->self*");
}

/* ---- BLAS threads ---- */

static gboolean
blas_job (GlWorkerJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  *(gint *) data = (gint) gl_parallel_get_n_threads ();
  return TRUE;
}

static gint
run_blas_job (Fixture *f, GlWorker *worker)
{
  gboolean done = FALSE;
  gint seen = -1;

  gl_worker_run_async (worker, blas_job, &seen, NULL, NULL, NULL, on_model_done, &done);
  while (!done)
    g_main_context_iteration (f->context, TRUE);
  return seen;
}

static void
test_blas_threads (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);

  g_assert_cmpuint (gl_worker_get_n_threads (worker), ==, 1);
  g_assert_cmpint (run_blas_job (f, worker), ==, 1);
  gl_worker_set_n_threads (worker, 2);
  g_assert_cmpint (run_blas_job (f, worker), ==, 2);
  gl_worker_set_n_threads (worker, 0);
  g_assert_cmpint (run_blas_job (f, worker), ==, (gint) g_get_num_processors ());
  gl_worker_set_n_threads (worker, 1);
  g_assert_cmpint (run_blas_job (f, worker), ==, 1);
}

/* ---- shutdown ---- */

static void
test_shutdown_with_queue (Fixture *f, gconstpointer data)
{
  GlWorker *worker = gl_worker_new (1, NULL);
  Job *jobs[5];

  for (guint i = 0; i < 5; i++)
    {
      jobs[i] = job_new (f, worker);
      jobs[i]->n_batches = 1;
      submit (worker, jobs[i], NULL); /* none opens its gate: the first blocks */
    }
  while (!g_atomic_int_get (&jobs[0]->started))
    g_usleep (500);

  /* Cancels the running job and the four queued ones, then joins. */
  gl_worker_free (worker);
  for (guint i = 0; i < 5; i++)
    {
      jobs[i]->worker = NULL; /* gone; finish must not need it */
      wait_done (f, jobs[i]);
    }
  for (guint i = 0; i < 5; i++)
    {
      g_assert_false (jobs[i]->ok);
      g_assert_error (jobs[i]->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpint (g_atomic_int_get (&jobs[i]->ran), ==, i == 0 ? 1 : 0);
      g_assert_true (jobs[i]->data_destroyed);
      job_free (jobs[i]);
    }
}

static void
test_cancel_all (Fixture *f, gconstpointer data)
{
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  Job *blocked = job_new (f, worker);
  Job *queued = job_new (f, worker);
  Job *after = job_new (f, worker);

  submit (worker, blocked, NULL);
  queued->gate = 1;
  submit (worker, queued, NULL);
  while (!g_atomic_int_get (&blocked->started))
    g_usleep (500);
  gl_worker_cancel_all (worker);
  wait_done (f, blocked);
  wait_done (f, queued);
  g_assert_error (blocked->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (queued->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_atomic_int_get (&queued->ran), ==, 0);

  /* The worker goes on with jobs queued after. */
  after->gate = 1;
  after->n_batches = 1;
  submit (worker, after, NULL);
  wait_done (f, after);
  g_assert_true (after->ok);
  job_free (blocked);
  job_free (queued);
  job_free (after);
}

/* ---- background priority ---- */

/* Every chunk records the scheduling policy of the thread that ran it. */
typedef struct
{
  gint n_idle;  /* atomic */
  gint n_other; /* atomic */
} PolicySeen;

static void
policy_chunk (gsize begin, gsize end, gpointer data)
{
  PolicySeen *seen = data;
  volatile double sink = 0.0;
  for (gsize i = begin; i < end; i++)
    sink += (double) i * 1e-9;
  (void) sink;
  if (sched_getscheduler (0) == SCHED_IDLE)
    g_atomic_int_inc (&seen->n_idle);
  else
    g_atomic_int_inc (&seen->n_other);
}

static gboolean
policy_job (GlWorkerJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  gl_parallel_for (1 << 20, 1024, policy_chunk, data);
  return TRUE;
}

/* The policy (field 41) of each thread named @name, from /proc/self/task/TID/stat. */
static GArray *
thread_policies (const char *name)
{
  GArray *policies = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  g_assert_nonnull (dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", tid, "stat", NULL);
      g_autofree char *stat = NULL;
      if (!g_file_get_contents (path, &stat, NULL, NULL))
        continue; /* the thread just ended */
      /* "TID (comm) state ppid …": comm may hold spaces, so cut at the last ')'. */
      char *open = strchr (stat, '('), *close = strrchr (stat, ')');
      g_assert_true (open != NULL && close != NULL && close > open);
      if (strncmp (open + 1, name, (gsize) (close - open - 1)) != 0 || strlen (name) != (gsize) (close - open - 1))
        continue;
      g_auto (GStrv) fields = g_strsplit (close + 2, " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >, 38);
      int policy = atoi (fields[41 - 3]);
      g_array_append_val (policies, policy);
    }
  return policies;
}

/* Every thread named @name has @policy (once it is up to date). */
static gboolean
policies_are (const char *name, int policy, guint *n_named, int *other)
{
  g_autoptr (GArray) policies = thread_policies (name);
  *n_named = policies->len;
  for (guint i = 0; i < policies->len; i++)
    if (g_array_index (policies, int, i) != policy)
      {
        *other = g_array_index (policies, int, i);
        return FALSE;
      }
  return policies->len > 0;
}

static void
assert_policies (const char *name, int policy)
{
  guint n_named = 0;
  int other = policy;

  /* A new thread names itself once it runs (until then it bears its
   * creator's name), and a gl-parallel helper takes on the dispatcher's
   * policy when it wakes for a loop, before it runs a chunk of it: under
   * load the dispatcher may have done every chunk and returned first. That
   * every chunk ran at the right policy is checked by policy_chunk. */
  for (gint64 until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
       !policies_are (name, policy, &n_named, &other) && g_get_monotonic_time () < until;)
    g_usleep (1000);
  if (!policies_are (name, policy, &n_named, &other))
    g_error ("%u threads named %s: one has policy %d, not %d", n_named, name, other, policy);
}

static void
run_policy_job (GlWorker *worker, PolicySeen *seen)
{
  gboolean done = FALSE;
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  gl_worker_run_async (worker, policy_job, seen, NULL, NULL, NULL, on_model_done, &done);
  while (!done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

static void
test_background_subprocess (void)
{
  PolicySeen seen = { 0 }, main_seen = { 0 };

  /* The default, with the test suites' override removed. */
  g_unsetenv ("GL_ENGINE_BACKGROUND");
  g_autoptr (GlWorker) worker = gl_worker_new (2, NULL);
  g_assert_true (gl_worker_get_background (worker));
  /* The helper is started by a normal thread first: it must take on the
   * worker's policy when the worker dispatches to it. */
  gl_parallel_set_n_threads (2);
  gl_parallel_for (1 << 20, 1024, policy_chunk, &main_seen);
  g_assert_cmpint (main_seen.n_idle, ==, 0);
  assert_policies ("gl-parallel", SCHED_OTHER);

  run_policy_job (worker, &seen);
  g_assert_cmpint (seen.n_other, ==, 0);
  g_assert_cmpint (seen.n_idle, >, 1);
  assert_policies ("gl-engine", SCHED_IDLE);
  assert_policies ("gl-parallel", SCHED_IDLE);
  /* The main thread is left alone. */
  g_assert_cmpint (sched_getscheduler (0), ==, SCHED_OTHER);
}

static void
test_background (void)
{
  g_test_trap_subprocess ("/worker/background/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_foreground_subprocess (void)
{
  PolicySeen seen = { 0 };
  g_autoptr (GlWorker) worker = gl_worker_new (2, NULL);

  gl_worker_set_background (worker, FALSE);
  g_assert_false (gl_worker_get_background (worker));
  run_policy_job (worker, &seen);
  g_assert_cmpint (seen.n_idle, ==, 0);
  g_assert_cmpint (seen.n_other, >, 1);
  assert_policies ("gl-engine", SCHED_OTHER);
  assert_policies ("gl-parallel", SCHED_OTHER);
}

static void
test_foreground (void)
{
  g_test_trap_subprocess ("/worker/foreground/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* The test suites turn the default off through the environment. */
static void
test_background_env_subprocess (void)
{
  g_setenv ("GL_ENGINE_BACKGROUND", "0", TRUE);
  g_autoptr (GlWorker) worker = gl_worker_new (1, NULL);
  g_assert_false (gl_worker_get_background (worker));
}

static void
test_background_env (void)
{
  g_test_trap_subprocess ("/worker/background-env/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/worker/off-thread", test_off_thread);
  ADD ("/worker/progress-coalesced", test_progress_coalesced);
  ADD ("/worker/sources-of-the-caller", test_sources_of_the_caller);
  ADD ("/worker/completion-order", test_completion_order);
  ADD ("/worker/cancel-running", test_cancel_running);
  ADD ("/worker/cancel-queued", test_cancel_queued);
  ADD ("/worker/job-error", test_job_error);
  ADD ("/worker/model-reused", test_model_reused);
  ADD ("/worker/blas-threads", test_blas_threads);
  ADD ("/worker/shutdown-with-queue", test_shutdown_with_queue);
  ADD ("/worker/cancel-all", test_cancel_all);
#undef ADD
  g_test_add_func ("/worker/model-main-thread", test_model_main_thread);
  g_test_add_func ("/worker/model-main-thread/subprocess", test_model_main_thread_subprocess);
  g_test_add_func ("/worker/background", test_background);
  g_test_add_func ("/worker/background/subprocess", test_background_subprocess);
  g_test_add_func ("/worker/foreground", test_foreground);
  g_test_add_func ("/worker/foreground/subprocess", test_foreground_subprocess);
  g_test_add_func ("/worker/background-env", test_background_env);
  g_test_add_func ("/worker/background-env/subprocess", test_background_env_subprocess);
  return g_test_run ();
}
