/* Tests of the incremental rescoring (app/gl-rescore.h) through the app's
 * round (gl_round_run_project) on a small learnable project, with small
 * chunks (gl_rescore_test_set_chunks): the queue gets a ranking of the
 * first chunk while the previous version stays current; a rescore
 * cancelled half way resumes and ends with the predictions of an
 * uninterrupted one; a killed one leaves the previous version current and
 * whole, and a trainer opened on the project finishes it; a budgeted one
 * records what it skipped; the store writes run on the writer thread, at
 * normal priority while the round runs at SCHED_IDLE, and a cancel leaves
 * a consistent store; through the trainer, "ranking-ready" comes for the
 * first chunk while the round still scores. No timing. */
#include "app/gl-rescore.h"
#include "app/gl-round.h"
#include "app/gl-trainer.h"

#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#endif

#include "db/gl-db-private.h" /* gl_db_query_int, gl_db_exec */
#include "engine/gl-parallel.h"

#include "synth-project.h"

#define N_POOL 400
#define N_TEST 40
#define N_LABELED 40
#define FIRST_CHUNK 50
#define CHUNK 100
#define HALF 200 /* a first chunk of half the pool, for the cancel and the kill */

/* What the first chunk's ranking callback does (engine thread). */
typedef struct
{
  const char *db_path;
  guint wait_for;         /* predictions of the new version to wait for in the store first */
  GCancellable *cancel;   /* cancelled then, or NULL */
  gboolean exit;          /* _exit (0) then: a kill in the middle */
  gboolean check_partial; /* check the queue's ranking against the new version's predictions */
  gint64 before;          /* the version current before the round */
  guint n_calls;
} Hook;

static gint64
newest_version (GlDb *db)
{
  return gl_db_query_int (db, "SELECT MAX (id) FROM model_versions", FALSE, 0, -1);
}

static gint64
count_predictions (GlDb *db, gint64 model)
{
  return gl_db_query_int (db, "SELECT COUNT (*) FROM predictions WHERE model_id = ?1", TRUE, model, -1);
}

static gboolean
has_prediction (GlDb *db, gint64 model, gint64 image_id)
{
  GlDbPrediction p = { 0 };
  gboolean has = gl_db_get_prediction (db, model, image_id, &p, NULL);
  gl_db_prediction_clear (&p);
  return has;
}

/* Waits (without a time limit the test relies on) until @model has @n
 * predictions stored: the writer thread is behind the engine. */
static void
wait_predictions (GlDb *db, gint64 model, guint n)
{
  for (guint i = 0; count_predictions (db, model) < (gint64)n; i++)
    {
      g_assert_cmpuint (i, <, 600000); /* ten minutes: a writer that never writes */
      g_usleep (1000);
    }
}

static void
on_ranked (gint64 queue_seq, gpointer data)
{
  Hook *h = data;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (h->db_path, &error);
  g_assert_no_error (error);
  gint64 version = newest_version (db);

  h->n_calls++;
  g_assert_cmpint (queue_seq, ==, gl_db_get_queue_seq (db));
  /* The previous version is current while the new one is scored. */
  g_assert_cmpint (gl_db_get_current_model (db), ==, h->before);
  wait_predictions (db, version, h->wait_for);
  if (h->check_partial)
    {
      /* The engine waits in this callback: the writer has nothing more
       * than the first chunk to write. */
      g_assert_cmpint (count_predictions (db, version), ==, FIRST_CHUNK);
      g_autoptr (GArray) queue = gl_db_read_queue (db, 1000, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (queue->len, >, 0);
      for (guint i = 0; i < queue->len; i++)
        g_assert_true (has_prediction (db, version, g_array_index (queue, GlDbQueueItem, i).image_id));
    }
  if (h->cancel != NULL)
    g_cancellable_cancel (h->cancel);
  if (h->exit)
    _exit (0);
}

static gboolean
run_round (GlProject *p, gboolean train, double budget, GlRescoreWriter *writer, Hook *hook,
           GCancellable *cancellable, GlRoundProjectResult *result, GError **error)
{
  GlRoundProjectSpec spec
      = { gl_project_get_db_path (p), gl_project_get_models_dir (p), gl_project_get_pixels_path (p), train };
  gl_round_options_init (&spec.options);
  spec.options.max_epochs = 1;
  spec.options.min_steps = 5;
  spec.options.seed = 7;
  spec.ranking_size = 20;
  spec.worker_version = -1;
  spec.writer = writer;
  spec.rescore_budget = budget;
  spec.ranked = hook != NULL ? on_ranked : NULL;
  spec.ranked_data = hook;
  gl_round_project_result_init (result);
  return gl_round_run_project (&spec, result, NULL, NULL, cancellable, error);
}

/* A project with N_LABELED labels and version 1 current (a whole round). */
static GlProject *
project_with_version (const char *dir, GlDb **db_out, gint64 *v1)
{
  GError *error = NULL;
  GlProject *p = synth_project (dir, N_POOL, N_TEST);
  GlDb *db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  synth_label_first (p, db, N_LABELED);
  GlRoundProjectResult r;
  g_assert_true (run_round (p, TRUE, 0, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_true (r.trained);
  *v1 = r.report.model_version;
  g_assert_cmpint (gl_db_get_current_model (db), ==, *v1);
  gl_round_project_result_clear (&r);
  *db_out = db;
  return p;
}

/* The listing (what the gallery and the queue read) is @model's predictions. */
static void
assert_listing_is (GlDb *db, gint64 model)
{
  GError *error = NULL;
  GlDbFilter filter = { GL_DB_FILTER_ALL, -1 };
  GlDbCursor *cursor = NULL;
  guint n = 0;
  do
    {
      GArray *rows = NULL;
      GlDbCursor *next = NULL;
      g_assert_true (gl_db_list_images (db, &filter, GL_DB_SORT_NEWEST, cursor, 100, &rows, &next, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < rows->len; i++)
        {
          const GlDbListRow *row = &g_array_index (rows, GlDbListRow, i);
          GlDbPrediction pr = { 0 };
          g_assert_true (gl_db_get_prediction (db, model, row->image_id, &pr, &error));
          g_assert_no_error (error);
          g_assert_cmpint (row->predicted_class, ==, pr.top_class);
          gl_db_prediction_clear (&pr);
        }
      n += rows->len;
      g_array_unref (rows);
      gl_db_cursor_free (cursor);
      cursor = next;
    }
  while (cursor != NULL);
  g_assert_cmpuint (n, ==, N_POOL + N_TEST);
}

static void
finish_project (GlProject *p, GlDb *db, char *dir)
{
  gl_db_close (db);
  gl_project_close (p);
  gl_remove_tree (dir);
  g_free (dir);
  gl_rescore_test_set_chunks (0, 0);
}

static char *
make_dir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("gl-rescore-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

/* The queue takes a ranking of the first chunk (the previous ranking's
 * images among it) while the rest is scored; the previous version stays
 * current until the new one is whole. */
static void
test_first_chunk_ranking (void)
{
  GError *error = NULL;
  char *dir = make_dir ();
  GlDb *db;
  gint64 v1;
  GlProject *p = project_with_version (dir, &db, &v1);
  g_autoptr (GArray) before = gl_db_read_queue (db, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, >, 0);
  gint64 seq = gl_db_get_queue_seq (db);

  gl_rescore_test_set_chunks (FIRST_CHUNK, CHUNK);
  Hook hook = { gl_project_get_db_path (p), FIRST_CHUNK, NULL, FALSE, TRUE, v1 };
  GlRoundProjectResult r;
  g_assert_true (run_round (p, TRUE, 0, NULL, &hook, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hook.n_calls, ==, 1);
  gint64 v2 = r.report.model_version;
  g_assert_true (r.trained);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v2);
  g_assert_cmpint (gl_db_get_queue_seq (db), ==, seq + 2); /* the first chunk's ranking, then the whole one */
  g_assert_cmpint (count_predictions (db, v2), ==, N_POOL + N_TEST);
  g_assert_cmpuint (r.report.n_scored, ==, N_POOL + N_TEST);
  g_assert_cmpuint (r.report.n_skipped, ==, 0);
  assert_listing_is (db, v2);
  gl_round_project_result_clear (&r);
  finish_project (p, db, dir);
}

static void
copy_tree (const char *from, const char *to)
{
  GError *error = NULL;
  int status = 0;
  const char *argv[] = { "cp", "-a", from, to, NULL };
  g_assert_true (
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Cancelled half way (at the first chunk's ranking, once half the pool is
 * stored), the round leaves version 1 current; the next round (ranking
 * only) resumes version 2 where it stopped and makes it current. A copy of
 * the project made at the cancel, with version 2's predictions deleted,
 * rescored without a stop, ends with the same predictions. */
static void
test_cancel_resume (void)
{
  GError *error = NULL;
  char *dir = make_dir ();
  GlDb *db;
  gint64 v1;
  GlProject *p = project_with_version (dir, &db, &v1);

  gl_rescore_test_set_chunks (HALF, CHUNK);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Hook hook = { gl_project_get_db_path (p), HALF, cancel, FALSE, FALSE, v1 };
  GlRoundProjectResult r;
  g_assert_false (run_round (p, TRUE, 0, NULL, &hook, cancel, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (r.trained);
  gint64 v2 = newest_version (db);
  g_assert_cmpint (v2, >, v1);
  gl_round_project_result_clear (&r);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v1);
  assert_listing_is (db, v1);
  GlDbRescore pending;
  g_assert_true (gl_db_get_rescore (db, &pending));
  g_assert_cmpint (pending.model_id, ==, v2);
  gint64 stored = count_predictions (db, v2);
  g_assert_cmpint (stored, >=, HALF);
  g_assert_cmpint (stored, <, N_POOL + N_TEST);

  /* The reference: a copy rescored from nothing. */
  g_autofree char *ref_dir = make_dir ();
  g_autofree char *ref_project = g_build_filename (ref_dir, "project", NULL);
  g_autofree char *project_dir = g_build_filename (dir, "project", NULL);
  copy_tree (project_dir, ref_project);
  GlProject *ref = gl_project_open (ref_project, &error);
  g_assert_no_error (error);
  GlDb *ref_db = gl_db_open (gl_project_get_db_path (ref), &error);
  g_assert_no_error (error);
  g_autofree char *del = g_strdup_printf ("DELETE FROM predictions WHERE model_id = %" G_GINT64_FORMAT, v2);
  g_assert_true (gl_db_exec (ref_db, del, &error));
  g_assert_no_error (error);

  GlRoundProjectResult a, b;
  g_assert_true (run_round (p, FALSE, 0, NULL, NULL, NULL, &a, &error));
  g_assert_no_error (error);
  g_assert_true (run_round (ref, FALSE, 0, NULL, NULL, NULL, &b, &error));
  g_assert_no_error (error);
  g_assert_true (a.trained && b.trained);
  g_assert_cmpint (a.report.model_version, ==, v2);
  g_assert_cmpint (b.report.model_version, ==, v2);
  g_assert_cmpuint (a.report.n_resumed, ==, (guint64)stored);
  g_assert_cmpuint (b.report.n_resumed, ==, 0);
  g_assert_cmpuint (a.report.n_scored, ==, N_POOL + N_TEST);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v2);
  g_assert_cmpint (gl_db_get_current_model (ref_db), ==, v2);
  g_assert_false (gl_db_get_rescore (db, &pending));
  assert_listing_is (db, v2);

  /* The same predictions, image by image. */
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, ==, N_POOL + N_TEST);
  double max_diff = 0;
  for (guint i = 0; i < images->len; i++)
    {
      gint64 id = g_array_index (images, GlPoolImage, i).image_id;
      GlDbPrediction x = { 0 }, y = { 0 };
      g_assert_true (gl_db_get_prediction (db, v2, id, &x, &error));
      g_assert_true (gl_db_get_prediction (ref_db, v2, id, &y, &error));
      g_assert_no_error (error);
      g_assert_cmpint (x.top_class, ==, y.top_class);
      g_assert_cmpuint (x.n_probs, ==, y.n_probs);
      for (guint k = 0; k < x.n_probs; k++)
        max_diff = MAX (max_diff, fabs ((double)x.probs[k] - (double)y.probs[k]));
      max_diff = MAX (max_diff, fabs (x.score - y.score));
      gl_db_prediction_clear (&x);
      gl_db_prediction_clear (&y);
    }
  g_test_message ("largest difference between the resumed and the uninterrupted rescore: %g", max_diff);
  g_assert_cmpfloat (max_diff, <=, 1e-6);
  /* And the same final ranking. */
  g_autoptr (GArray) qa = gl_db_read_queue (db, 1000, &error);
  g_autoptr (GArray) qb = gl_db_read_queue (ref_db, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (qa->len, ==, qb->len);
  for (guint i = 0; i < qa->len; i++)
    g_assert_cmpint (g_array_index (qa, GlDbQueueItem, i).image_id, ==,
                     g_array_index (qb, GlDbQueueItem, i).image_id);

  gl_round_project_result_clear (&a);
  gl_round_project_result_clear (&b);
  gl_db_close (ref_db);
  gl_project_close (ref);
  gl_remove_tree (ref_dir);
  finish_project (p, db, dir);
}

static void
on_model_ready (GlTrainer *trainer, gint64 version, double accuracy, double previous, gpointer data)
{
  *(gint64 *)data = version;
}

/* A process killed in the middle of a rescore (once half the pool is
 * stored) leaves version 1 current with its whole listing and version 2
 * resumable; a trainer opened on the project finishes it by itself. */
static void
test_kill_resume (void)
{
  GError *error = NULL;
  char *dir = make_dir ();
  GlDb *db;
  gint64 v1;
  GlProject *p = project_with_version (dir, &db, &v1);

  gl_rescore_test_set_chunks (HALF, CHUNK);
  pid_t pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      Hook hook = { gl_project_get_db_path (p), HALF, NULL, TRUE, FALSE, v1 };
      GlRoundProjectResult r;
      run_round (p, TRUE, 0, NULL, &hook, NULL, &r, NULL);
      _exit (3); /* the hook did not run */
    }
  int status = 0;
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);

  gint64 v2 = newest_version (db);
  g_assert_cmpint (v2, >, v1);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v1);
  assert_listing_is (db, v1);
  GlDbRescore pending;
  g_assert_true (gl_db_get_rescore (db, &pending));
  g_assert_cmpint (pending.model_id, ==, v2);
  g_assert_cmpint (count_predictions (db, v2), >=, HALF);

  GlTrainer *trainer = gl_trainer_new (p, &error);
  g_assert_no_error (error);
  gint64 ready = -1;
  g_signal_connect (trainer, "model-ready", G_CALLBACK (on_model_ready), &ready);
  while (ready < 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (ready, ==, v2);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v2);
  g_assert_cmpint (count_predictions (db, v2), ==, N_POOL + N_TEST);
  assert_listing_is (db, v2);
  g_assert_false (gl_db_get_rescore (db, &pending));
  g_object_unref (trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  finish_project (p, db, dir);
}

/* A budget smaller than the first chunk's scoring: the rest of the pool is
 * skipped and recorded; the queue has a ranking of what was scored; the
 * previous version stays current; a round without the budget resumes it. */
static void
test_budget (void)
{
  GError *error = NULL;
  char *dir = make_dir ();
  GlDb *db;
  gint64 v1;
  GlProject *p = project_with_version (dir, &db, &v1);

  gl_rescore_test_set_chunks (FIRST_CHUNK, CHUNK);
  gint64 seq = gl_db_get_queue_seq (db);
  GlRoundProjectResult r;
  g_assert_true (run_round (p, TRUE, 1e-9, NULL, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  gint64 v2 = r.report.model_version;
  g_assert_cmpint (v2, >, v1);
  g_assert_false (r.trained);
  g_assert_true (r.ranked);
  g_assert_cmpuint (r.report.n_skipped, ==, N_POOL - FIRST_CHUNK);
  g_assert_cmpuint (r.report.n_scored, ==, FIRST_CHUNK + N_TEST); /* held-out images are always scored */
  g_assert_cmpfloat (r.report.rescore_budget, ==, 1e-9);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v1);
  assert_listing_is (db, v1);
  GlDbRescore pending;
  g_assert_true (gl_db_get_rescore (db, &pending));
  g_assert_cmpint (pending.model_id, ==, v2);
  g_assert_cmpuint (pending.n_skipped, ==, N_POOL - FIRST_CHUNK);
  g_assert_cmpuint (pending.n_done, ==, FIRST_CHUNK + N_TEST);
  g_assert_cmpuint (pending.n_total, ==, N_POOL + N_TEST);
  /* The ranking is of the scored images only. */
  g_assert_cmpint (gl_db_get_queue_seq (db), ==, seq + 2); /* at the first chunk, and at the end */
  g_autoptr (GArray) queue = gl_db_read_queue (db, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (queue->len, >, 0);
  for (guint i = 0; i < queue->len; i++)
    g_assert_true (has_prediction (db, v2, g_array_index (queue, GlDbQueueItem, i).image_id));
  gl_round_project_result_clear (&r);

  GlRoundProjectResult a;
  g_assert_true (run_round (p, FALSE, 0, NULL, NULL, NULL, &a, &error));
  g_assert_no_error (error);
  g_assert_true (a.trained);
  g_assert_cmpuint (a.report.n_resumed, ==, FIRST_CHUNK + N_TEST);
  g_assert_cmpuint (a.report.n_skipped, ==, 0);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v2);
  assert_listing_is (db, v2);
  gl_round_project_result_clear (&a);
  finish_project (p, db, dir);
}

/* The round at SCHED_IDLE on a thread of its own, as the trainer's engine
 * thread; the writer made on the test's thread. */
typedef struct
{
  GlProject *p;
  GlRescoreWriter *writer;
  Hook *hook;
  GCancellable *cancel;
  gboolean idle; /* the round's thread runs at SCHED_IDLE */
  gboolean ok;
  GError *error;
  GlRoundProjectResult result;
} IdleRound;

static gpointer
idle_round_thread (gpointer data)
{
  IdleRound *x = data;
#ifdef __linux__
  struct sched_param param = { .sched_priority = 0 };
  x->idle = sched_setscheduler (0, SCHED_IDLE, &param) == 0 && sched_getscheduler (0) == SCHED_IDLE;
#endif
  x->ok = run_round (x->p, TRUE, 0, x->writer, x->hook, x->cancel, &x->result, &x->error);
  return NULL;
}

/* The predictions, the listing and the swap are written by the writer
 * thread (made here, at normal priority), not by the round's thread at
 * SCHED_IDLE; a cancel there leaves version 1 current and whole. */
static void
test_writer_thread (void)
{
  char *dir = make_dir ();
  GlDb *db;
  gint64 v1;
  GlProject *p = project_with_version (dir, &db, &v1);
  g_autoptr (GlRescoreWriter) writer = gl_rescore_writer_new (gl_project_get_db_path (p));

  gl_rescore_test_set_chunks (FIRST_CHUNK, CHUNK);
  IdleRound x = { p, writer };
  GThread *t = g_thread_new ("idle-round", idle_round_thread, &x);
  g_thread_join (t);
  g_assert_no_error (x.error);
  g_assert_true (x.ok);
#ifdef __linux__
  if (!x.idle)
    g_test_message ("the round's thread could not switch to SCHED_IDLE");
  g_assert_cmpint (gl_rescore_writer_get_policy (writer), ==, SCHED_OTHER);
#endif
  g_assert_true (gl_rescore_writer_get_thread (writer) != t);
  /* The listing, 5 pool chunks (50, then 100s) and 1 of the held-out
   * images, the swap, and the pruning after the ranking. */
  g_assert_cmpuint (gl_rescore_writer_get_n_writes (writer), ==, 1 + 5 + 1 + 1 + 1);
  gint64 v2 = x.result.report.model_version;
  g_assert_true (x.result.trained);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v2);
  assert_listing_is (db, v2);
  gl_round_project_result_clear (&x.result);

  /* Cancelled at the first chunk's ranking: the writes pushed before are
   * stopped between two transactions or carried out, the swap is not. */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Hook hook = { gl_project_get_db_path (p), 0, cancel, FALSE, FALSE, v2 };
  IdleRound y = { p, writer, &hook, cancel };
  t = g_thread_new ("idle-round", idle_round_thread, &y);
  g_thread_join (t);
  g_assert_false (y.ok);
  g_assert_error (y.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&y.error);
  g_assert_cmpint (gl_db_get_current_model (db), ==, v2);
  assert_listing_is (db, v2);
  GlDbRescore pending;
  g_assert_true (gl_db_get_rescore (db, &pending));
  g_assert_cmpint (pending.model_id, >, v2);
  gl_round_project_result_clear (&y.result);
  finish_project (p, db, dir);
}

typedef struct
{
  GlTrainer *trainer;
  guint n_rankings;
  guint n_while_scoring; /* rankings handed over while the round still ran */
} Rankings;

static void
on_ranking_ready (GlTrainer *trainer, gpointer data)
{
  Rankings *r = data;
  r->n_rankings++;
  r->n_while_scoring += gl_trainer_get_state (trainer) != GL_TRAINER_IDLE;
}

/* Through the trainer (as the window): "ranking-ready" for the first
 * chunk's ranking while the round is still scoring, then for the whole
 * one after it. */
static void
test_trainer_first_ranking (void)
{
  GError *error = NULL;
  char *dir = make_dir ();
  GlDb *db;
  gint64 v1;
  GlProject *p = project_with_version (dir, &db, &v1);

  gl_rescore_test_set_chunks (FIRST_CHUNK, CHUNK);
  GlTrainer *trainer = gl_trainer_new (p, &error);
  g_assert_no_error (error);
  gl_trainer_set_retrain_every (trainer, 0);
  gl_trainer_set_max_epochs (trainer, 1);
  gl_trainer_set_min_steps (trainer, 5);
  Rankings r = { trainer };
  g_signal_connect (trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), &r);
  GlTrainerReport report;
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &report, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (r.n_rankings, ==, 2);
  g_assert_cmpuint (r.n_while_scoring, ==, 1);
  g_assert_cmpint (gl_db_get_current_model (db), ==, report.model_version);
  g_object_unref (trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  finish_project (p, db, dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gl_parallel_set_n_threads (1);
  g_test_add_func ("/rescore/first-chunk-ranking", test_first_chunk_ranking);
  g_test_add_func ("/rescore/cancel-resume", test_cancel_resume);
  g_test_add_func ("/rescore/kill-resume", test_kill_resume);
  g_test_add_func ("/rescore/budget", test_budget);
  g_test_add_func ("/rescore/writer-thread", test_writer_thread);
  g_test_add_func ("/rescore/trainer-first-ranking", test_trainer_first_ranking);
  return g_test_run ();
}
