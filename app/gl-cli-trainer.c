/* gl-cli-trainer.c — gleaner-cli trainer: the team's trainer as a service
 * (app/gl-team-trainer.h). */
#include "gleaner-config.h"

#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-team-trainer.h"

static struct
{
  int min_labels;    /* --min-labels N; 0: the project's retrain_every */
  int lease_seconds; /* --lease-seconds S */
  gboolean once;     /* --once */
} trainer_opt = { 0, GL_TEAM_TRAINER_DEFAULT_LEASE_SECONDS, FALSE };

const GOptionEntry gl_cli_trainer_options[] = {
  { "min-labels", 0, 0, G_OPTION_ARG_INT, &trainer_opt.min_labels,
    "New labels that start a round (default: the project's retrain_every, 50)", "N" },
  { "lease-seconds", 0, 0, G_OPTION_ARG_INT, &trainer_opt.lease_seconds,
    "The lease time: renewed every third of it; a trainer that dies is taken over after it (default 30)", "S" },
  { "once", 0, 0, G_OPTION_ARG_NONE, &trainer_opt.once,
    "Wait for the lease, run one round at once, give the lease back and exit", NULL },
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
  if (argc != 2 || trainer_opt.min_labels < 0 || trainer_opt.lease_seconds < 1)
    return gl_cli_usage ("trainer");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) project = gl_project_open (argv[1], &error);
  if (project == NULL)
    return gl_cli_fail ("trainer", error);
  GlTeamTrainerOptions options = { (guint) trainer_opt.min_labels, (guint) trainer_opt.lease_seconds,
                                   trainer_opt.once };
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
