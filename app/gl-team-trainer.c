/* gl-team-trainer.c — see gl-team-trainer.h. */
#include "app/gl-team-trainer.h"

#include <glib-unix.h>
#include <unistd.h>

#include "app/gl-round.h"
#include "app/gl-score-worker.h"
#include "db/gl-db-notify.h"
#include "db/gl-db-rescore.h"
#include "db/gl-db-trainer-lease.h"

/* A project folder has no server to announce labels: counted this often. */
#define FOLDER_POLL_SECONDS 2
/* While the score workers hold every chunk left: looked again this often. */
#define CHUNK_WAIT_MS 500

struct _GlTeamTrainer
{
  /* All fields: the running thread only. */
  GlProject *project; /* borrowed */
  GlTeamTrainerOptions options;
  GlTeamTrainerFunc func;
  gpointer user_data;

  GlDb *db;             /* owned: the lease and the label counts */
  GlDb *listen;         /* owned: the server's announcements (NULL on a project folder) */
  GSource *tick;        /* owned: take or renew the lease */
  GSource *labels;      /* owned: the listening socket, or the folder's poll */
  GlTrainer *trainer;   /* owned: the app's rounds */
  GlScoreWorker *worker; /* owned: the trainer's own chunk scoring, made at the first chunk */
  GlDbTrainerHolder me; /* owned: this process, as the lease names it */

  gboolean held;
  gint64 held_until;      /* wall clock µs: when the lease runs out unless renewed */
  gint64 mark;            /* the newest label row the last finished round trained on */
  gboolean labels_new;    /* labels came in (or the lease was just taken): count them */
  gboolean check_version; /* look for a version whose chunks are not all in (after taking the lease, a round) */
  char *waiting_for;      /* owned: the holder last reported as waited for */
  GCancellable *round;    /* owned: the running round's, NULL between rounds */
  guint64 rounds;         /* rounds started */
  GError *fatal;          /* owned: the store broke; run () ends with it */
};

static void
emit (GlTeamTrainer *self, GlTeamTrainerEventKind kind, const char *message)
{
  GlTeamTrainerEvent e = { kind, 0, 0, NULL, message };
  self->func (&e, self->user_data);
}

static void
set_fatal (GlTeamTrainer *self, GError *error)
{
  if (self->fatal == NULL)
    self->fatal = error;
  else
    g_error_free (error);
  if (self->round != NULL)
    g_cancellable_cancel (self->round);
}

static void
lost (GlTeamTrainer *self, const char *why)
{
  self->held = FALSE;
  if (self->round != NULL)
    g_cancellable_cancel (self->round);
  emit (self, GL_TEAM_TRAINER_LOST, why);
}

/* Renews the lease held. */
static void
renew (GlTeamTrainer *self)
{
  g_autoptr (GError) error = NULL;
  gboolean held = FALSE;
  if (gl_db_trainer_lease_take (self->db, &self->me, self->options.lease_seconds, &held, &error) && held)
    {
      self->held_until = g_get_real_time () + (gint64) self->options.lease_seconds * G_USEC_PER_SEC;
      return;
    }
  if (error != NULL && g_get_real_time () < self->held_until)
    {
      g_warning ("cannot renew the trainer lease (tried again): %s", error->message);
      return;
    }
  g_auto (GlDbTrainerHolder) other = { 0 };
  gboolean live = FALSE;
  g_autofree char *who = NULL;
  if (error == NULL && gl_db_trainer_lease_get (self->db, &other, &live, NULL) && live)
    {
      g_autofree char *holder = gl_db_trainer_holder_describe (&other);
      who = g_strdup_printf ("the lease ran out; %s holds it now", holder);
    }
  lost (self, who ? who : error ? error->message : "the lease ran out");
}

/* Tries to take the lease; reports whom it waits for when that changes. */
static void
try_take (GlTeamTrainer *self)
{
  GError *error = NULL;
  gboolean held = FALSE;
  g_auto (GlDbTrainerHolder) row = { 0 };
  gboolean live = FALSE;
  if (!gl_db_trainer_lease_take (self->db, &self->me, self->options.lease_seconds, &held, &error)
      || !gl_db_trainer_lease_get (self->db, &row, &live, &error))
    {
      set_fatal (self, error);
      return;
    }
  if (held)
    {
      self->held = TRUE;
      self->held_until = g_get_real_time () + (gint64) self->options.lease_seconds * G_USEC_PER_SEC;
      self->mark = row.label_mark;
      self->labels_new = TRUE;
      self->check_version = TRUE;
      g_clear_pointer (&self->waiting_for, g_free);
      g_autofree char *as = gl_db_trainer_holder_describe (&self->me);
      g_autofree char *msg = g_strdup_printf ("as %s, for %u s at a time", as, self->options.lease_seconds);
      emit (self, GL_TEAM_TRAINER_TOOK, msg);
      return;
    }
  g_autofree char *who = gl_db_trainer_holder_describe (&row);
  if (g_strcmp0 (who, self->waiting_for) != 0)
    {
      g_autoptr (GDateTime) until = g_date_time_new_from_unix_local (row.expires_us / G_USEC_PER_SEC);
      g_autofree char *when = g_date_time_format (until, "%H:%M:%S");
      g_autofree char *msg = g_strdup_printf ("%s holds the lease (until %s unless renewed)", who, when);
      emit (self, GL_TEAM_TRAINER_WAITING, msg);
      g_free (self->waiting_for);
      self->waiting_for = g_steal_pointer (&who);
    }
}

static gboolean
on_tick (gpointer data)
{
  GlTeamTrainer *self = data;
  if (self->held)
    renew (self);
  else
    try_take (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_announced (gint fd, GIOCondition condition, gpointer data)
{
  GlTeamTrainer *self = data;
  GError *error = NULL;
  g_autoptr (GArray) events = gl_db_notify_take (self->listen, &error);
  if (events == NULL)
    {
      set_fatal (self, error);
      return G_SOURCE_REMOVE;
    }
  for (guint i = 0; i < events->len; i++)
    self->labels_new |= g_array_index (events, GlDbEvent, i).kind == GL_DB_EVENT_LABELS;
  return G_SOURCE_CONTINUE;
}

static gboolean
on_folder_poll (gpointer data)
{
  GlTeamTrainer *self = data;
  self->labels_new = TRUE;
  return G_SOURCE_CONTINUE;
}

GlTeamTrainer *
gl_team_trainer_new (GlProject *project, const GlTeamTrainerOptions *options, GlTeamTrainerFunc func,
                     gpointer user_data, GError **error)
{
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), error);
  if (db == NULL || !gl_db_trainer_lease_prepare (db, error))
    return NULL;
  GlTeamTrainer *self = g_new0 (GlTeamTrainer, 1);
  self->project = project;
  self->options = *options;
  if (self->options.lease_seconds == 0)
    self->options.lease_seconds = GL_TEAM_TRAINER_DEFAULT_LEASE_SECONDS;
  self->func = func;
  self->user_data = user_data;
  self->db = g_steal_pointer (&db);
  self->me.token = g_uuid_string_random ();
  self->me.host = g_strdup (g_get_host_name ());
  self->me.pid = getpid ();
  self->me.annotator = gl_db_dup_default_annotator ();
  self->trainer = gl_trainer_new (project, error);
  if (self->trainer == NULL)
    {
      gl_team_trainer_free (self);
      return NULL;
    }
  gl_trainer_set_retrain_every (self->trainer, 0); /* rounds start here, not from counted labels */
  /* Nor a rescore resumed on opening: the lease holder finishes a version (finish_version). */
  gl_trainer_cancel (self->trainer);
  if (self->options.min_labels == 0)
    {
      gint64 every = gl_db_get_setting_int (self->db, GL_DB_SETTING_RETRAIN_EVERY, GL_TRAINER_DEFAULT_RETRAIN_EVERY);
      self->options.min_labels = every > 0 ? (guint) MIN (every, 1000000) : GL_TRAINER_DEFAULT_RETRAIN_EVERY;
    }
  return self;
}

void
gl_team_trainer_free (GlTeamTrainer *self)
{
  if (self == NULL)
    return;
  if (self->tick)
    g_source_destroy (self->tick);
  g_clear_pointer (&self->tick, g_source_unref);
  if (self->labels)
    g_source_destroy (self->labels);
  g_clear_pointer (&self->labels, g_source_unref);
  g_clear_object (&self->trainer);
  g_clear_pointer (&self->worker, gl_score_worker_free);
  g_clear_pointer (&self->listen, gl_db_close);
  g_clear_pointer (&self->db, gl_db_close);
  gl_db_trainer_holder_clear (&self->me);
  g_free (self->waiting_for);
  g_clear_object (&self->round);
  g_clear_error (&self->fatal);
  g_free (self);
}

/* Listens for labels (a team's server) or polls for them (a folder). */
static gboolean
watch_labels (GlTeamTrainer *self, GError **error)
{
  GMainContext *ctx = g_main_context_get_thread_default ();
  if (gl_project_is_team (self->project))
    {
      self->listen = gl_db_open (gl_project_get_db_path (self->project), error);
      if (self->listen == NULL || !gl_db_notify_listen (self->listen, error))
        return FALSE;
      self->labels = g_unix_fd_source_new (gl_db_notify_socket (self->listen), G_IO_IN);
      g_source_set_callback (self->labels, G_SOURCE_FUNC (on_announced), self, NULL);
    }
  else
    {
      self->labels = g_timeout_source_new_seconds (FOLDER_POLL_SECONDS);
      g_source_set_callback (self->labels, on_folder_poll, self, NULL);
    }
  g_source_attach (self->labels, ctx);
  self->tick = g_timeout_source_new (MAX (1000u, self->options.lease_seconds * 1000 / 3));
  g_source_set_callback (self->tick, on_tick, self, NULL);
  g_source_attach (self->tick, ctx);
  return TRUE;
}

static void
wake_context (GCancellable *cancellable, gpointer context)
{
  g_main_context_wakeup (context);
}

static void
cancel_round (GCancellable *outer, gpointer round)
{
  g_cancellable_cancel (round);
}

/* One round on the labels up to @mark (@new_labels since the last one). */
static gboolean
run_round (GlTeamTrainer *self, gint64 mark, gint64 new_labels, GCancellable *cancellable)
{
  GlTeamTrainerEvent e = { GL_TEAM_TRAINER_ROUND_STARTED, ++self->rounds, new_labels, NULL, NULL };
  self->func (&e, self->user_data);
  self->round = g_cancellable_new ();
  gulong id = g_cancellable_connect (cancellable, G_CALLBACK (cancel_round), self->round, NULL);
  GlTrainerReport report;
  g_autoptr (GError) error = NULL;
  /* Score workers: the round scores its first chunk only (any budget stops after it). */
  gl_trainer_set_rescore_budget (self->trainer, self->options.chunk_images > 0 ? 1e-6 : 0);
  gboolean ok = gl_trainer_run_round (self->trainer, TRUE, &report, self->round, &error);
  self->check_version = TRUE;
  g_cancellable_disconnect (cancellable, id);
  g_clear_object (&self->round);
  gboolean held = self->held;
  if (ok && held && !gl_db_trainer_lease_set_mark (self->db, self->me.token, mark, &held, &error))
    ok = FALSE;
  if (ok)
    {
      self->mark = mark;
      e = (GlTeamTrainerEvent){ GL_TEAM_TRAINER_ROUND_FINISHED, self->rounds, new_labels, &report, NULL };
      if (!held)
        e.message = "the lease was lost meanwhile: the next holder trains on these labels again";
    }
  else
    e = (GlTeamTrainerEvent){ GL_TEAM_TRAINER_ROUND_FAILED, self->rounds, new_labels, NULL,
                              g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                                  ? "cancelled; the previous version stays current"
                                  : error->message };
  self->func (&e, self->user_data);
  return ok;
}

/* Iterates the main context for about CHUNK_WAIT_MS (the lease is renewed meanwhile). */
static gboolean
on_waited (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_a_little (GCancellable *cancellable)
{
  gboolean waited = FALSE;
  GMainContext *ctx = g_main_context_get_thread_default ();
  GSource *timeout = g_timeout_source_new (CHUNK_WAIT_MS);
  g_source_set_callback (timeout, on_waited, &waited, NULL);
  g_source_attach (timeout, ctx);
  while (!waited && !g_cancellable_is_cancelled (cancellable))
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
}

/* Splits @version's pool into chunks (kept when made before). */
static gboolean
split_version (GlTeamTrainer *self, gint64 version, gint64 *n_chunks, GError **error)
{
  g_autoptr (GArray) images = g_array_new (FALSE, FALSE, sizeof (GlPoolImage));
  if (!gl_round_list_images (self->db, images, error))
    return FALSE;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < images->len; i++)
    if (!g_array_index (images, GlPoolImage, i).held_out)
      g_array_append_val (ids, g_array_index (images, GlPoolImage, i).image_id);
  if (!gl_db_score_chunks_split (self->db, version, (gint64 *) ids->data, ids->len, self->options.chunk_images,
                                 error))
    return FALSE;
  return gl_db_score_chunks_left (self->db, version, n_chunks, error) >= 0;
}

/* A version saved but not current because a round scored only its first
 * chunk: split into chunks, scored here and by the score workers, then made
 * current by a ranking round once every chunk is in. FALSE with @error
 * when the store failed; TRUE otherwise (also when the lease was lost or
 * the service stopped: the next holder finishes it). */
static gboolean
finish_version (GlTeamTrainer *self, GCancellable *cancellable, GError **error)
{
  GlDbRescore pending;
  if (self->options.chunk_images == 0 || !gl_db_get_rescore (self->db, &pending))
    return TRUE;
  gint64 version = pending.model_id, n_chunks = 0;
  if (!split_version (self, version, &n_chunks, error))
    return FALSE;
  g_autofree char *msg = g_strdup_printf ("model version %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                                          " chunks for the score workers (and this trainer)",
                                          version, n_chunks);
  emit (self, GL_TEAM_TRAINER_CHUNKS, msg);
  if (self->worker == NULL)
    {
      g_autofree char *holder = gl_db_trainer_holder_describe (&self->me);
      self->worker = gl_score_worker_new (self->project, holder, self->options.lease_seconds, error);
      if (self->worker == NULL)
        return FALSE;
    }
  for (;;)
    {
      if (!self->held || g_cancellable_is_cancelled (cancellable) || self->fatal != NULL)
        return TRUE;
      gint64 left = gl_db_score_chunks_left (self->db, version, NULL, error);
      if (left < 0)
        return FALSE;
      if (left == 0)
        break;
      gboolean did = FALSE;
      GlDbScoreChunk chunk;
      guint64 n = 0;
      if (!gl_score_worker_step (self->worker, NULL, NULL, cancellable, &did, &chunk, &n, error))
        return FALSE;
      if (!did)
        wait_a_little (cancellable);
    }
  /* Every chunk is in: the ranking round reads them back and makes the version current. */
  gl_trainer_set_rescore_budget (self->trainer, 0);
  GlTrainerReport report;
  g_autoptr (GError) local = NULL;
  if (!gl_trainer_run_round (self->trainer, FALSE, &report, cancellable, &local))
    {
      g_autofree char *why = g_strdup_printf ("model version %" G_GINT64_FORMAT " not made current: %s", version,
                                              local->message);
      emit (self, GL_TEAM_TRAINER_ROUND_FAILED, why);
      return TRUE;
    }
  report.model_version = version;
  GlTeamTrainerEvent e = { GL_TEAM_TRAINER_PUBLISHED, self->rounds, 0, &report, NULL };
  self->func (&e, self->user_data);
  return TRUE;
}

/* A round when the lease is held and enough new labels came in (once: at
 * once). FALSE with @error when the store broke, or a once round failed. */
static gboolean
maybe_round (GlTeamTrainer *self, GCancellable *cancellable, gboolean *done, GError **error)
{
  self->labels_new = FALSE;
  gint64 mark = gl_db_trainer_label_mark (self->db, error);
  gint64 n = mark < 0 ? -1 : gl_db_trainer_labels_since (self->db, self->mark, error);
  if (n < 0)
    return FALSE;
  if (!self->options.once && n < (gint64) self->options.min_labels)
    return TRUE;
  gboolean ok = run_round (self, mark, n, cancellable);
  if (self->options.once)
    {
      *done = TRUE;
      if (!ok && !g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_ENGINE, "the round failed (reported above)");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gl_team_trainer_run (GlTeamTrainer *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GCancellable) own = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  if (!watch_labels (self, error))
    return FALSE;
  GMainContext *ctx = g_main_context_get_thread_default ();
  gulong wake = g_cancellable_connect (own, G_CALLBACK (wake_context), ctx, NULL);
  gboolean done = FALSE, ok = TRUE;
  try_take (self);
  while (ok && self->fatal == NULL && !g_cancellable_is_cancelled (own))
    {
      if (self->held && self->check_version)
        {
          self->check_version = FALSE;
          ok = finish_version (self, own, error);
        }
      else if (done)
        break;
      else if (self->held && (self->labels_new || self->options.once))
        ok = maybe_round (self, own, &done, error);
      else
        g_main_context_iteration (ctx, TRUE);
    }
  g_cancellable_disconnect (own, wake);
  if (self->held)
    {
      g_autoptr (GError) local = NULL;
      if (gl_db_trainer_lease_release (self->db, self->me.token, &local))
        emit (self, GL_TEAM_TRAINER_RELEASED, NULL);
      else
        g_warning ("cannot give back the trainer lease (it runs out by itself): %s", local->message);
      self->held = FALSE;
    }
  if (ok && self->fatal != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->fatal));
      ok = FALSE;
    }
  return ok;
}
