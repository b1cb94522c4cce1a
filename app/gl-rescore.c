/* gl-rescore.c — see gl-rescore.h.
 *
 * The writer thread first (a queue of writes, each run on its own store
 * connection in the order pushed), then the rescore: resume, order, score
 * chunk by chunk while the writer writes the chunks before, rank after the
 * first, swap at the end. */
#include "app/gl-rescore.h"

#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sched.h>
#endif

#define MAX_PENDING 3 /* writes queued ahead of the writer: the engine waits beyond */
#define RECOMPUTE_BATCH 2048

static guint test_first_chunk = 0;
static guint test_chunk = 0;
static void (*test_after_first) (gpointer) = NULL;
static gpointer test_after_first_data = NULL;

void
gl_rescore_test_set_after_first_ranking (void (*func) (gpointer data), gpointer data)
{
  test_after_first = func;
  test_after_first_data = data;
}

void
gl_rescore_test_set_chunks (guint first, guint chunk)
{
  test_first_chunk = first;
  test_chunk = chunk;
}

/* ------------------------------------------------------------------ */
/* The writer thread                                                   */
/* ------------------------------------------------------------------ */

typedef enum
{
  WRITE_PREPARE,     /* gl_db_prepare_listing, then the rescore state */
  WRITE_PREDICTIONS, /* gl_db_write_predictions, then the rescore state */
  WRITE_STATE,       /* the rescore state only */
  WRITE_SWAP,        /* gl_db_set_current_model */
  WRITE_PRUNE,       /* gl_db_prune_predictions (a failure is logged) */
  WRITE_STOP,
} WriteKind;

/* One write, owned by the queue, then by the writer's thread. */
typedef struct
{
  WriteKind kind;
  gint64 version;
  GlDbPrediction *predictions; /* (n), probs owned; WRITE_PREDICTIONS */
  guint64 n;
  GlDbRescore state;         /* WRITE_PREPARE, _PREDICTIONS, _STATE */
  guint budget_ms;           /* WRITE_PRUNE */
  GCancellable *cancellable; /* owned, or NULL */
} Write;

static void
write_free (Write *w)
{
  for (guint64 i = 0; i < w->n; i++)
    gl_db_prediction_clear (&w->predictions[i]);
  g_free (w->predictions);
  g_clear_object (&w->cancellable);
  g_free (w);
}

struct _GlRescoreWriter
{
  gint ref_count;  /* atomic */
  char *db_path;   /* immutable */
  GThread *thread; /* immutable after gl_rescore_writer_new */

  /* under lock: shared by the pushing thread and the writer's */
  GMutex lock;
  GCond cond;          /* broadcast when a write is pushed or done */
  GQueue writes;       /* Write *, oldest first */
  guint pending;       /* writes pushed and not done */
  GError *error;       /* the first failure since the last wait_writes (then later writes are skipped) */
  double swap_seconds; /* of the last WRITE_SWAP */
  guint64 n_writes;    /* writes run */
  int policy;          /* the writer thread's scheduling policy */
};

static int
thread_policy (void)
{
#ifdef __linux__
  return sched_getscheduler (0);
#else
  return 0;
#endif
}

static void
fill_write (guint64 i, GlDbPrediction *out, gpointer data)
{
  const Write *w = data;
  *out = w->predictions[i]; /* borrowed: the write owns the probabilities */
}

/* Writer thread: runs @w on @db; @swap_seconds set by a swap. */
static gboolean
run_write (GlDb *db, Write *w, double *swap_seconds, GError **error)
{
  switch (w->kind)
    {
      case WRITE_PREPARE:
        return gl_db_prepare_listing (db, w->version, error) && gl_db_set_rescore (db, &w->state, error);
      case WRITE_PREDICTIONS:
        return gl_db_write_predictions (db, w->version, w->n, fill_write, w, w->cancellable, NULL, error)
               && gl_db_set_rescore (db, &w->state, error);
      case WRITE_STATE:
        return gl_db_set_rescore (db, &w->state, error);
      case WRITE_SWAP:
        {
          /* Cancelled before the swap, the version stays a resumable rescore. */
          if (g_cancellable_set_error_if_cancelled (w->cancellable, error))
            return FALSE;
          gint64 t0 = g_get_monotonic_time ();
          if (!gl_db_set_current_model (db, w->version, error))
            return FALSE;
          *swap_seconds = (g_get_monotonic_time () - t0) / 1e6;
          return TRUE;
        }
      case WRITE_PRUNE:
        {
          g_autoptr (GError) local = NULL;
          if (!gl_db_prune_predictions (db, w->budget_ms, NULL, &local))
            g_warning ("cannot prune old predictions: %s", local->message);
          return TRUE;
        }
      case WRITE_STOP:
      default:
        g_assert_not_reached ();
    }
}

static gpointer
writer_thread (gpointer data)
{
  GlRescoreWriter *self = data;
  GError *open_error = NULL;
  GlDb *db = gl_db_open (self->db_path, &open_error);

  g_mutex_lock (&self->lock);
  self->policy = thread_policy ();
  g_mutex_unlock (&self->lock);
  for (gboolean stop = FALSE; !stop;)
    {
      g_mutex_lock (&self->lock);
      while (g_queue_is_empty (&self->writes))
        g_cond_wait (&self->cond, &self->lock);
      Write *w = g_queue_pop_head (&self->writes);
      gboolean skip = self->error != NULL && w->kind != WRITE_PRUNE;
      g_mutex_unlock (&self->lock);

      GError *local = NULL;
      double swap = -1;
      gboolean ran = FALSE;
      stop = w->kind == WRITE_STOP;
      if (!stop && !skip)
        {
          if (db == NULL)
            local = g_error_copy (open_error);
          else
            {
              ran = TRUE;
              run_write (db, w, &swap, &local);
            }
        }
      write_free (w);

      g_mutex_lock (&self->lock);
      if (local != NULL && self->error == NULL)
        self->error = local;
      else
        g_clear_error (&local);
      if (swap >= 0)
        self->swap_seconds = swap;
      self->n_writes += ran;
      self->pending--;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
    }
  g_clear_pointer (&db, gl_db_close);
  g_clear_error (&open_error);
  return NULL;
}

GlRescoreWriter *
gl_rescore_writer_new (const char *db_path)
{
  GlRescoreWriter *self = g_new0 (GlRescoreWriter, 1);
  self->ref_count = 1;
  self->db_path = g_strdup (db_path);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->writes);
  self->thread = g_thread_new ("gl-rescore-writer", writer_thread, self);
  return self;
}

GlRescoreWriter *
gl_rescore_writer_ref (GlRescoreWriter *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

/* Queues @w behind the writes pushed before; waits while MAX_PENDING are
 * ahead of it (the engine does not score far ahead of the disk). */
static void
push_write (GlRescoreWriter *self, Write *w)
{
  g_mutex_lock (&self->lock);
  while (w->kind != WRITE_STOP && self->pending >= MAX_PENDING)
    g_cond_wait (&self->cond, &self->lock);
  g_queue_push_tail (&self->writes, w);
  self->pending++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Waits until every write pushed is done; FALSE with the first failure
 * since the last call (the writes after it were skipped). */
static gboolean
wait_writes (GlRescoreWriter *self, double *swap_seconds, GError **error)
{
  g_mutex_lock (&self->lock);
  while (self->pending > 0)
    g_cond_wait (&self->cond, &self->lock);
  GError *failed = g_steal_pointer (&self->error);
  if (swap_seconds != NULL)
    *swap_seconds = self->swap_seconds;
  g_mutex_unlock (&self->lock);
  if (failed != NULL)
    {
      g_propagate_error (error, failed);
      return FALSE;
    }
  return TRUE;
}

void
gl_rescore_writer_unref (GlRescoreWriter *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  Write *stop = g_new0 (Write, 1);
  stop->kind = WRITE_STOP;
  push_write (self, stop);
  g_thread_join (self->thread);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->db_path);
  g_free (self);
}

GThread *
gl_rescore_writer_get_thread (GlRescoreWriter *self)
{
  return self->thread;
}

int
gl_rescore_writer_get_policy (GlRescoreWriter *self)
{
  g_mutex_lock (&self->lock);
  int policy = self->policy;
  g_mutex_unlock (&self->lock);
  return policy;
}

guint64
gl_rescore_writer_get_n_writes (GlRescoreWriter *self)
{
  g_mutex_lock (&self->lock);
  guint64 n = self->n_writes;
  g_mutex_unlock (&self->lock);
  return n;
}

void
gl_rescore_writer_prune (GlRescoreWriter *self, guint budget_ms)
{
  Write *w = g_new0 (Write, 1);
  w->kind = WRITE_PRUNE;
  w->budget_ms = budget_ms;
  push_write (self, w);
  wait_writes (self, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* The rescore (engine thread)                                         */
/* ------------------------------------------------------------------ */

/* A rescore while it runs; the engine thread's. */
typedef struct
{
  const GlRescoreSpec *spec; /* borrowed */
  GlRescoreResult *result;   /* borrowed */
  GlRound *r;                /* borrowed: spec->round */
  GlRescoreWriter *writer;   /* owned reference */
  gsize n_all;               /* n_pool + n_held */
  guint8 *scored;            /* (n_all): its probabilities and score are in the round's arrays */
  guint8 *full;      /* (n_pool): its embeddings (and Monte-Carlo passes) too, computed by this call */
  GlDbRescore state; /* what the store records after the writes pushed so far */
  guint64 to_score;  /* images this call scores (progress) */
} Rescore;

/* The position of @image_id in the id-ordered @ids (n), or -1. */
static gssize
find_id (const gint64 *ids, gsize n, gint64 image_id)
{
  gsize lo = 0, hi = n;
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      if (ids[mid] < image_id)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < n && ids[lo] == image_id ? (gssize)lo : -1;
}

static gssize
find_scored (const Rescore *rs, gint64 image_id)
{
  const GlRescoreSpec *s = rs->spec;
  gssize at = find_id (s->image_ids, s->n_pool, image_id);
  if (at < 0)
    {
      at = find_id (s->image_ids + s->n_pool, s->n_held, image_id);
      if (at >= 0)
        at += (gssize)s->n_pool;
    }
  return at;
}

/* A prediction the store holds already (a resumed rescore). */
static gboolean
load_stored (const GlDbPrediction *p, gpointer data)
{
  Rescore *rs = data;
  guint k = rs->r->n_classes;
  gssize at = find_scored (rs, p->image_id);
  if (at < 0 || p->probs == NULL || p->n_probs != k || rs->scored[at])
    return TRUE;
  memcpy (rs->r->probs + (gsize)at * k, p->probs, k * sizeof (float));
  rs->r->scores[at] = (float)p->score;
  rs->scored[at] = 1;
  rs->result->n_resumed++;
  return TRUE;
}

static void
shuffle (gsize *a, gsize n, GRand *rand)
{
  for (gsize i = n; i > 1; i--)
    {
      gsize j = (gsize)g_rand_int_range (rand, 0, (gint32)MIN (i, (gsize)G_MAXINT32));
      gsize t = a[i - 1];
      a[i - 1] = a[j];
      a[j] = t;
    }
}

/* The pool positions left to score, most relevant first: the stored
 * ranking's images, then unlabeled images at random, then labeled ones.
 */
static gsize *
scoring_order (Rescore *rs, gsize *n_out)
{
  const GlRescoreSpec *s = rs->spec;
  gsize n = 0;
  gsize *order = g_new (gsize, MAX (s->n_pool, 1));
  g_autofree guint8 *placed = g_memdup2 (rs->scored, MAX (s->n_pool, 1));

  g_autoptr (GArray) ranking = gl_db_read_queue (s->db, MAX (s->ranking_size, GL_RESCORE_FIRST_CHUNK), NULL);
  for (guint i = 0; ranking != NULL && i < ranking->len; i++)
    {
      gssize at = find_id (s->image_ids, s->n_pool, g_array_index (ranking, GlDbQueueItem, i).image_id);
      if (at >= 0 && !placed[at])
        {
          placed[at] = 1;
          order[n++] = (gsize)at;
        }
    }
  GRand *rand = g_rand_new_with_seed ((guint32)(rs->r->options.seed ^ (rs->r->options.seed >> 32) ^ 0x5eedu));
  for (int labeled = 0; labeled < 2; labeled++)
    {
      gsize from = n;
      for (gsize i = 0; i < s->n_pool; i++)
        if (!placed[i] && (s->labeled != NULL && s->labeled[i]) == labeled)
          order[n++] = i;
      shuffle (order + from, n - from, rand);
    }
  g_rand_free (rand);
  *n_out = n;
  return order;
}

/* The writes of @n scored positions @at: their predictions, then the
 * rescore state that counts them. */
static void
push_predictions (Rescore *rs, const gsize *at, gsize n)
{
  const GlRescoreSpec *s = rs->spec;
  GlRound *r = rs->r;
  guint k = r->n_classes;
  Write *w = g_new0 (Write, 1);

  w->kind = WRITE_PREDICTIONS;
  w->version = s->version;
  w->predictions = g_new0 (GlDbPrediction, MAX (n, 1));
  w->n = n;
  for (gsize i = 0; i < n; i++)
    {
      const float *pr = r->probs + at[i] * k;
      guint top = 0;
      for (guint c = 1; c < k; c++)
        if (pr[c] > pr[top])
          top = c;
      w->predictions[i] = (GlDbPrediction){ s->image_ids[at[i]],
                                            s->class_ids[top],
                                            pr[top],
                                            r->scores[at[i]],
                                            g_memdup2 (pr, k * sizeof (float)),
                                            k };
    }
  rs->state.n_done += n;
  w->state = rs->state;
  w->cancellable = s->cancellable ? g_object_ref (s->cancellable) : NULL;
  push_write (rs->writer, w);
}

static void
report (Rescore *rs)
{
  const GlRescoreSpec *s = rs->spec;
  if (s->progress == NULL)
    return;
  GlProgress progress;
  gl_progress_init (&progress, GL_PHASE_SCORE);
  progress.batch = rs->result->n_scored;
  progress.n_batches = MAX (rs->to_score, 1);
  s->progress (&progress, s->progress_data);
}

/* Scores the @n positions @at (all pool, or all held-out) into the round's arrays. */
static gboolean
score_positions (Rescore *rs, const gsize *at, gsize n, gboolean pool, GError **error)
{
  const GlRescoreSpec *s = rs->spec;
  g_autofree guint64 *rows = g_new (guint64, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    rows[i] = s->rows[at[i]];
  if (!gl_round_score_at (rs->r, s->net, rows, at, n, pool, s->cancellable, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      rs->scored[at[i]] = 1;
      if (pool)
        rs->full[at[i]] = 1;
    }
  return TRUE;
}

/* score_positions, then the writes of the chunk. */
static gboolean
score_chunk (Rescore *rs, const gsize *at, gsize n, gboolean pool, GError **error)
{
  if (!score_positions (rs, at, n, pool, error))
    return FALSE;
  push_predictions (rs, at, n);
  rs->result->n_scored += n;
  rs->result->n_chunks++;
  report (rs);
  return TRUE;
}

/* Scored images whose embeddings or Monte-Carlo passes the strategy's
 * ranking needs and that this call has not computed (a resumed rescore read
 * only probabilities and scores back): the default strategy's candidates
 * (the most uncertain images), every scored image for k-center, every
 * scored unlabeled image for BALD. Computed again, not written. */
static gboolean
complete_for_ranking (Rescore *rs, GError **error)
{
  const GlRescoreSpec *s = rs->spec;
  GlRound *r = rs->r;
  GlStrategy strategy = r->options.strategy;
  gsize n_pool = s->n_pool;

  if (strategy != GL_STRATEGY_DEFAULT && strategy != GL_STRATEGY_K_CENTER && strategy != GL_STRATEGY_BALD)
    return TRUE;
  g_autofree guint8 *state = g_new (guint8, MAX (n_pool, 1));
  for (gsize i = 0; i < n_pool; i++)
    state[i] = !rs->scored[i]                        ? GL_ITEM_EXCLUDED
               : s->labeled != NULL && s->labeled[i] ? GL_ITEM_LABELED
                                                     : GL_ITEM_CANDIDATE;
  g_autoptr (GArray) need = g_array_new (FALSE, FALSE, sizeof (gsize));
  if (strategy == GL_STRATEGY_DEFAULT)
    {
      GlAcquireOptions options;
      gl_acquire_options_init (&options);
      gsize m = MIN ((gsize)MAX (s->ranking_size, 1) * MAX (options.candidate_factor, 1), n_pool);
      g_autofree gsize *top = g_new (gsize, MAX (m, 1));
      gsize got = gl_acquire_top_k (r->scores, n_pool, state, m, top);
      for (gsize i = 0; i < got; i++)
        if (!rs->full[top[i]])
          g_array_append_val (need, top[i]);
    }
  else
    for (gsize i = 0; i < n_pool; i++)
      {
        gboolean centre = state[i] == GL_ITEM_LABELED && strategy == GL_STRATEGY_K_CENTER;
        if (!rs->full[i] && (state[i] == GL_ITEM_CANDIDATE || centre))
          g_array_append_val (need, i);
      }
  for (guint from = 0; from < need->len; from += RECOMPUTE_BATCH)
    if (!score_positions (rs, &g_array_index (need, gsize, from), MIN (RECOMPUTE_BATCH, need->len - from),
                          TRUE, error))
      return FALSE;
  return TRUE;
}

/* The pool chunks, the first ranked as soon as it is in; then the held-out
 * images. FALSE on a failure or cancel (the writes pushed go on). */
static gboolean
score_all (Rescore *rs, GError **error)
{
  const GlRescoreSpec *s = rs->spec;
  gsize n_order;
  g_autofree gsize *order = scoring_order (rs, &n_order);
  gsize first = test_first_chunk ? test_first_chunk : GL_RESCORE_FIRST_CHUNK;
  gsize chunk = test_chunk ? test_chunk : GL_RESCORE_CHUNK;
  gint64 started = g_get_monotonic_time ();

  rs->to_score = n_order;
  for (gsize i = s->n_pool; i < rs->n_all; i++)
    rs->to_score += !rs->scored[i];
  for (gsize done = 0; done < n_order;)
    {
      if (done > 0 && s->budget > 0 && (g_get_monotonic_time () - started) / 1e6 >= s->budget)
        {
          rs->result->n_skipped = n_order - done;
          break;
        }
      gsize n = MIN (done == 0 ? first : chunk, n_order - done);
      if (!score_chunk (rs, order + done, n, TRUE, error))
        return FALSE;
      /* Ranked early only when more is to come. */
      if (done == 0 && n < n_order && s->rank != NULL
          && !(complete_for_ranking (rs, error) && s->rank (rs->scored, s->rank_data, error)))
        return FALSE;
      if (done == 0 && n < n_order && s->rank != NULL && test_after_first != NULL)
        test_after_first (test_after_first_data);
      done += n;
    }
  g_autoptr (GArray) held = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = s->n_pool; i < rs->n_all; i++)
    if (!rs->scored[i])
      g_array_append_val (held, i);
  for (guint done = 0; done < held->len;)
    {
      gsize n = MIN (chunk, held->len - done);
      if (!score_chunk (rs, &g_array_index (held, gsize, done), n, FALSE, error))
        return FALSE;
      done += n;
    }
  return TRUE;
}

gboolean
gl_rescore_run (const GlRescoreSpec *s, GlRescoreResult *result, GError **error)
{
  GlRound *r = s->round;
  Rescore rs = { s, result, r };
  GError *local = NULL;

  memset (result, 0, sizeof *result);
  rs.n_all = s->n_pool + s->n_held;
  rs.writer = s->writer != NULL ? gl_rescore_writer_ref (s->writer) : gl_rescore_writer_new (s->db_path);
  rs.scored = g_new0 (guint8, MAX (rs.n_all, 1));
  rs.full = g_new0 (guint8, MAX (s->n_pool, 1));
  gl_round_score_begin (r, s->net, s->n_pool, s->n_held);

  /* A rescore of this version stopped before: what it stored stays. */
  GlDbRescore pending;
  gboolean ok = TRUE;
  if (gl_db_get_rescore (s->db, &pending) && pending.model_id == s->version)
    ok = gl_db_foreach_prediction (s->db, s->version, -1, load_stored, &rs, &local);
  if (!ok)
    {
      g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_STORE, "cannot read the stored predictions: %s",
                   local->message);
      g_clear_error (&local);
    }
  rs.state = (GlDbRescore){ s->version, result->n_resumed, rs.n_all, 0 };
  if (ok)
    {
      Write *prepare = g_new0 (Write, 1);
      prepare->kind = WRITE_PREPARE;
      prepare->version = s->version;
      prepare->state = rs.state;
      push_write (rs.writer, prepare);
      ok = score_all (&rs, error);
      if (ok)
        {
          Write *last = g_new0 (Write, 1);
          last->version = s->version;
          last->cancellable = s->cancellable ? g_object_ref (s->cancellable) : NULL;
          if (result->n_skipped == 0)
            last->kind = WRITE_SWAP;
          else
            {
              /* Not whole: the previous version stays current; what the
               * budget left is recorded, and a later call resumes it. */
              last->kind = WRITE_STATE;
              rs.state.n_skipped = result->n_skipped;
              last->state = rs.state;
            }
          push_write (rs.writer, last);
        }
    }
  /* Every write pushed is done (or stopped by a cancel) before returning:
   * the caller reads the store after. */
  if (!wait_writes (rs.writer, &result->swap_seconds, ok ? &local : NULL) && ok)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, local);
      else
        {
          g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_STORE, "cannot store the predictions: %s",
                       local->message);
          g_error_free (local);
        }
      ok = FALSE;
    }
  result->current = ok && result->n_skipped == 0;
  if (!result->current)
    result->swap_seconds = 0;
  /* The final ranking needs what the first did. */
  ok = ok && complete_for_ranking (&rs, error);
  result->scored = g_steal_pointer (&rs.scored);
  g_free (rs.full);
  gl_rescore_writer_unref (rs.writer);
  return ok;
}

void
gl_rescore_result_clear (GlRescoreResult *result)
{
  g_clear_pointer (&result->scored, g_free);
}
