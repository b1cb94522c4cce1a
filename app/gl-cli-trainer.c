/* gl-cli-trainer.c — gleaner-cli trainer: the team's trainer as a service
 * (app/gl-team-trainer.h); gleaner-cli score-worker: scoring chunks of a
 * version's pool on any machine (app/gl-score-worker.h). */
#include "gleaner-config.h"

#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-rescore.h"
#include "app/gl-score-worker.h"
#include "app/gl-team-trainer.h"

static struct
{
  int min_labels;    /* --min-labels N; 0: the project's retrain_every */
  int lease_seconds; /* --lease-seconds S */
  gboolean once;     /* --once */
  int chunk_images;  /* --chunk-images N */
  int first_chunk;   /* --test-first-chunk N (hidden): the round's first scoring chunk */
} trainer_opt = { 0, GL_TEAM_TRAINER_DEFAULT_LEASE_SECONDS, FALSE, GL_RESCORE_CHUNK, 0 };

const GOptionEntry gl_cli_trainer_options[] = {
  { "min-labels", 0, 0, G_OPTION_ARG_INT, &trainer_opt.min_labels,
    "New labels that start a round (default: the project's retrain_every, 50)", "N" },
  { "lease-seconds", 0, 0, G_OPTION_ARG_INT, &trainer_opt.lease_seconds,
    "The lease time: renewed every third of it; a trainer that dies is taken over after it (default 30)", "S" },
  { "once", 0, 0, G_OPTION_ARG_NONE, &trainer_opt.once,
    "Wait for the lease, run one round at once, give the lease back and exit", NULL },
  { "chunk-images", 0, 0, G_OPTION_ARG_INT, &trainer_opt.chunk_images,
    "Pool images per scoring chunk for score workers (default 8192; 0: the round scores the whole pool)", "N" },
  { "test-first-chunk", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &trainer_opt.first_chunk,
    "For tests: images in a round's first scoring chunk", "N" },
  { NULL },
};

static const char *const event_names[] = {
  [GL_TEAM_TRAINER_WAITING] = "waiting",
  [GL_TEAM_TRAINER_TOOK] = "took-lease",
  [GL_TEAM_TRAINER_ROUND_STARTED] = "round-started",
  [GL_TEAM_TRAINER_ROUND_FINISHED] = "round-finished",
  [GL_TEAM_TRAINER_ROUND_FAILED] = "round-failed",
  [GL_TEAM_TRAINER_LOST] = "lost-lease",
  [GL_TEAM_TRAINER_RELEASED] = "released-lease",
  [GL_TEAM_TRAINER_CHUNKS] = "chunks",
  [GL_TEAM_TRAINER_PUBLISHED] = "published",
};

static void
print_json (const GlTeamTrainerEvent *e)
{
  g_autoptr (GString) out = g_string_new ("{\"event\":");
  gl_json_append_string (out, event_names[e->kind]);
  if (e->round > 0)
    g_string_append_printf (out, ",\"round\":%" G_GUINT64_FORMAT, e->round);
  if (e->kind == GL_TEAM_TRAINER_ROUND_STARTED)
    g_string_append_printf (out, ",\"new_labels\":%" G_GINT64_FORMAT, e->new_labels);
  if (e->report != NULL)
    {
      const GlTrainerReport *r = e->report;
      g_string_append_printf (out, ",\"model_version\":%" G_GINT64_FORMAT ",\"train_labels\":%" G_GUINT64_FORMAT
                              ",\"validation_labels\":%" G_GUINT64_FORMAT ",\"scored\":%" G_GUINT64_FORMAT
                              ",\"accuracy\":",
                              r->model_version, r->n_train, r->n_validation, r->n_scored);
      gl_json_append_double (out, r->accuracy);
      g_string_append (out, ",\"train_seconds\":");
      gl_json_append_double (out, r->train_seconds);
    }
  if (e->message != NULL)
    {
      g_string_append (out, ",\"message\":");
      gl_json_append_string (out, e->message);
    }
  g_string_append_c (out, '}');
  gl_cli_print_json (out);
}

static void
print_text (const GlTeamTrainerEvent *e)
{
  const char *m = e->message ? e->message : "";
  switch (e->kind)
    {
    case GL_TEAM_TRAINER_WAITING: printf ("waiting: %s\n", m); break;
    case GL_TEAM_TRAINER_TOOK: printf ("took the trainer lease %s\n", m); break;
    case GL_TEAM_TRAINER_ROUND_STARTED:
      printf ("round %" G_GUINT64_FORMAT " started: %" G_GINT64_FORMAT " new labels\n", e->round, e->new_labels);
      break;
    case GL_TEAM_TRAINER_ROUND_FINISHED:
      {
        const GlTrainerReport *r = e->report;
        g_autofree char *acc = isfinite (r->accuracy) ? g_strdup_printf ("%.3f", r->accuracy) : g_strdup ("n/a");
        printf ("round %" G_GUINT64_FORMAT " finished: model version %" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT
                " training and %" G_GUINT64_FORMAT " validation labels, accuracy %s, %u epochs in %.1f s, %"
                G_GUINT64_FORMAT " images scored%s%s\n",
                e->round, r->model_version, r->n_train, r->n_validation, acc, r->epochs, r->train_seconds,
                r->n_scored, e->message ? "; " : "", m);
        break;
      }
    case GL_TEAM_TRAINER_ROUND_FAILED: printf ("round %" G_GUINT64_FORMAT " failed: %s\n", e->round, m); break;
    case GL_TEAM_TRAINER_LOST: printf ("lost the trainer lease: %s\n", m); break;
    case GL_TEAM_TRAINER_RELEASED: printf ("gave the trainer lease back\n"); break;
    case GL_TEAM_TRAINER_CHUNKS: printf ("scoring %s\n", m); break;
    case GL_TEAM_TRAINER_PUBLISHED:
      printf ("model version %" G_GINT64_FORMAT " is current: every chunk is in (%" G_GUINT64_FORMAT
              " predictions read back, %" G_GUINT64_FORMAT " scored by the trainer's ranking round)\n",
              e->report->model_version, e->report->n_resumed, e->report->n_scored - e->report->n_resumed);
      break;
    }
}

/* Each event as it happens: a test or a supervisor reads them from a pipe. */
static void
on_event (const GlTeamTrainerEvent *e, gpointer user_data)
{
  if (gl_cli_json)
    print_json (e);
  else
    print_text (e);
  fflush (stdout);
}

static gboolean
on_stop_signal (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE;
}

int
gl_cli_trainer (int argc, char **argv)
{
  if (argc != 2 || trainer_opt.min_labels < 0 || trainer_opt.lease_seconds < 1 || trainer_opt.chunk_images < 0
      || trainer_opt.first_chunk < 0)
    return gl_cli_usage ("trainer");
  if (trainer_opt.first_chunk > 0)
    gl_rescore_test_set_chunks ((guint) trainer_opt.first_chunk, (guint) trainer_opt.first_chunk);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) project = gl_project_open (argv[1], &error);
  if (project == NULL)
    return gl_cli_fail ("trainer", error);
  GlTeamTrainerOptions options = { (guint) trainer_opt.min_labels, (guint) trainer_opt.lease_seconds,
                                   trainer_opt.once, (guint) trainer_opt.chunk_images };
  g_autoptr (GlTeamTrainer) trainer = gl_team_trainer_new (project, &options, on_event, NULL, &error);
  if (trainer == NULL)
    return gl_cli_fail ("trainer", error);
  g_autoptr (GCancellable) stop = g_cancellable_new ();
  guint sigint = g_unix_signal_add (SIGINT, on_stop_signal, stop);
  guint sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, stop);
  gboolean ok = gl_team_trainer_run (trainer, stop, &error);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return ok ? GL_CLI_EXIT_OK : gl_cli_fail ("trainer", error);
}

/* ---- gleaner-cli score-worker ---- */

static struct
{
  int lease_seconds; /* --lease-seconds S */
  gboolean once;     /* --once */
} worker_opt = { GL_TEAM_TRAINER_DEFAULT_LEASE_SECONDS, FALSE };

const GOptionEntry gl_cli_score_worker_options[] = {
  { "lease-seconds", 0, 0, G_OPTION_ARG_INT, &worker_opt.lease_seconds,
    "The lease time of a chunk: a worker that dies gives its chunk back after it (default 30)", "S" },
  { "once", 0, 0, G_OPTION_ARG_NONE, &worker_opt.once, "Score the chunks free now, then exit", NULL },
  { NULL },
};

static void
print_chunk (const char *event, const GlDbScoreChunk *c, gint64 n_scored)
{
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new ("{\"event\":");
      gl_json_append_string (out, event);
      g_string_append_printf (out, ",\"model_version\":%" G_GINT64_FORMAT ",\"first_id\":%" G_GINT64_FORMAT
                              ",\"last_id\":%" G_GINT64_FORMAT ",\"images\":%" G_GINT64_FORMAT,
                              c->model_id, c->first_id, c->last_id, n_scored >= 0 ? n_scored : c->n_images);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
    }
  else if (n_scored < 0)
    printf ("took a chunk of model version %" G_GINT64_FORMAT ": images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT
            " (%" G_GINT64_FORMAT ")\n",
            c->model_id, c->first_id, c->last_id, c->n_images);
  else
    printf ("chunk done: model version %" G_GINT64_FORMAT ", images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT
            ", %" G_GINT64_FORMAT " scored\n",
            c->model_id, c->first_id, c->last_id, n_scored);
  fflush (stdout);
}

/* A chunk taken. GL_SCORE_WORKER_TEST_PAUSE_MS (tests): holds it that long
 * before scoring, so that a test can kill the worker mid-chunk. */
static void
on_taken (const GlDbScoreChunk *chunk, gpointer user_data)
{
  print_chunk ("chunk-taken", chunk, -1);
  const char *pause = g_getenv ("GL_SCORE_WORKER_TEST_PAUSE_MS");
  if (pause != NULL)
    g_usleep ((gulong) g_ascii_strtoull (pause, NULL, 10) * 1000);
}

static gboolean
on_waited (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* About a second on the main context (a signal ends it sooner). */
static void
wait_second (GCancellable *stop)
{
  gboolean waited = FALSE;
  guint id = g_timeout_add (1000, on_waited, &waited);
  while (!waited && !g_cancellable_is_cancelled (stop))
    g_main_context_iteration (NULL, TRUE);
  if (!waited)
    g_source_remove (id);
}

int
gl_cli_score_worker (int argc, char **argv)
{
  if (argc != 2 || worker_opt.lease_seconds < 1)
    return gl_cli_usage ("score-worker");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) project = gl_project_open (argv[1], &error);
  if (project == NULL)
    return gl_cli_fail ("score-worker", error);
  g_autofree char *annotator = gl_db_dup_default_annotator ();
  g_autofree char *holder
      = g_strdup_printf ("%s pid %d (annotator %s)", g_get_host_name (), (int) getpid (), annotator);
  g_autoptr (GlScoreWorker) worker = gl_score_worker_new (project, holder, (guint) worker_opt.lease_seconds, &error);
  if (worker == NULL)
    return gl_cli_fail ("score-worker", error);
  g_autoptr (GCancellable) stop = g_cancellable_new ();
  guint sigint = g_unix_signal_add (SIGINT, on_stop_signal, stop);
  guint sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, stop);
  guint64 chunks = 0, images = 0;
  gboolean ok = TRUE;
  while (ok && !g_cancellable_is_cancelled (stop))
    {
      gboolean did = FALSE;
      GlDbScoreChunk chunk;
      guint64 n = 0;
      ok = gl_score_worker_step (worker, on_taken, NULL, stop, &did, &chunk, &n, &error);
      if (ok && did)
        {
          print_chunk ("chunk-done", &chunk, (gint64) n);
          chunks++;
          images += n;
        }
      else if (ok && worker_opt.once)
        break;
      else if (ok)
        wait_second (stop);
    }
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return gl_cli_fail ("score-worker", error);
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      g_string_append_printf (out, "{\"event\":\"stopped\",\"chunks\":%" G_GUINT64_FORMAT ",\"images\":%" G_GUINT64_FORMAT "}",
                              chunks, images);
      gl_cli_print_json (out);
    }
  else
    printf ("stopped: %" G_GUINT64_FORMAT " chunks, %" G_GUINT64_FORMAT " images scored\n", chunks, images);
  return GL_CLI_EXIT_OK;
}
