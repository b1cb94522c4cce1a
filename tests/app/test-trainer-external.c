/* The trainer and another process: a model version that `gleaner-cli train`
 * (the built binary, env GLEANER_CLI) adds while a GlTrainer is open and
 * idle is taken over — the trainer's model-version and accuracy properties
 * change to it, "model-ready" is emitted and "ranking-ready" for the ranking
 * gleaner-cli stored (a queue connected to the trainer reads it then), and
 * the trainer's next round warm-starts from that version, not from the net
 * it trained itself. */
#include "app/gl-trainer.h"

#include <glib/gstdio.h>
#include <math.h>

#include "db/gl-db.h"
#include "engine/gl-model-file.h"
#include "engine/gl-net.h"

#include "synth-project.h"

#define WAIT_SECONDS 60

typedef struct
{
  guint version_notified, model_ready, ranking_ready;
  gint64 model_ready_version;
} Seen;

static void
on_version_notify (GlTrainer *trainer, GParamSpec *pspec, Seen *seen)
{
  seen->version_notified++;
}

static void
on_model_ready (GlTrainer *trainer, gint64 version, double accuracy, double previous, Seen *seen)
{
  seen->model_ready++;
  seen->model_ready_version = version;
}

static void
on_ranking_ready (GlTrainer *trainer, Seen *seen)
{
  seen->ranking_ready++;
}

static void
on_cli_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GError *error = NULL;
  g_assert_true (g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static void
on_deadline (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* Iterates the main context until @cond holds; fails the test when @what
 * took longer than WAIT_SECONDS. */
#define WAIT_FOR(cond, what)                                                                           \
  G_STMT_START                                                                                         \
  {                                                                                                    \
    gboolean late_ = FALSE;                                                                            \
    guint id_ = g_timeout_add_once (WAIT_SECONDS * 1000, on_deadline, &late_);                        \
    while (!(cond) && !late_)                                                                          \
      g_main_context_iteration (NULL, TRUE);                                                           \
    if (!(cond))                                                                                       \
      g_error ("%s: not within %d s", what, WAIT_SECONDS);                                             \
    g_source_remove (id_);                                                                             \
  }                                                                                                    \
  G_STMT_END

static void
test_external_model (void)
{
  const char *cli = g_getenv ("GLEANER_CLI");
  if (cli == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-trainer-external-XXXXXX", &error);
  g_assert_no_error (error);
  GlProject *project = synth_project (dir, 160, 40);
  GlDb *db = gl_db_open (gl_project_get_db_path (project), &error);
  g_assert_no_error (error);
  synth_label_first (project, db, 60);

  GlTrainer *trainer = gl_trainer_new (project, &error);
  g_assert_no_error (error);
  gl_trainer_set_max_epochs (trainer, 3);
  gl_trainer_set_min_steps (trainer, 30);
  Seen seen = { 0 };
  g_signal_connect (trainer, "notify::model-version", G_CALLBACK (on_version_notify), &seen);
  g_signal_connect (trainer, "model-ready", G_CALLBACK (on_model_ready), &seen);
  g_signal_connect (trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), &seen);

  /* The trainer's own first version: its worker holds that net. */
  GlTrainerReport r1;
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &r1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r1.warm_start, ==, 0);
  g_assert_cmpint (gl_trainer_get_model_version (trainer), ==, r1.model_version);
  g_assert_cmpuint (seen.model_ready, ==, 1);
  g_assert_cmpuint (seen.ranking_ready, ==, 1);

  /* Another process trains while the trainer is open and idle. */
  g_autofree char *project_dir = g_build_filename (dir, "project", NULL);
  g_autoptr (GSubprocess) proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, cli, "train",
                                                   project_dir, "--epochs", "2", NULL);
  g_assert_no_error (error);
  gboolean cli_done = FALSE;
  g_subprocess_wait_check_async (proc, NULL, on_cli_done, &cli_done);
  WAIT_FOR (cli_done, "gleaner-cli train");
  gint64 external = gl_db_get_current_model (db);
  g_assert_cmpint (external, >, r1.model_version);
  GlDbModelVersion ev = { 0 };
  g_assert_true (gl_db_get_model_version (db, external, &ev, &error));
  g_assert_no_error (error);
  /* What the trainer polls: the version, wholly set, and its accuracy. */
  GlDbPoll poll = { 0 };
  g_assert_true (gl_db_try_poll (db, &poll));
  g_assert_cmpint (poll.model_id, ==, external);
  g_assert_true (poll.val_accuracy == ev.val_accuracy || (isnan (poll.val_accuracy) && isnan (ev.val_accuracy)));
  g_assert_cmpint (poll.queue_seq, ==, 2); /* the trainer's ranking, then gleaner-cli's */

  /* Taken over: the properties, "model-ready", and the ranking gleaner-cli stored. */
  WAIT_FOR (gl_trainer_get_model_version (trainer) == external, "the trainer taking over the external version");
  g_assert_cmpuint (seen.version_notified, ==, 2);
  g_assert_true (gl_trainer_get_accuracy (trainer) == ev.val_accuracy
                 || (isnan (gl_trainer_get_accuracy (trainer)) && isnan (ev.val_accuracy)));
  g_assert_cmpuint (seen.model_ready, ==, 2);
  g_assert_cmpint (seen.model_ready_version, ==, external);
  WAIT_FOR (seen.ranking_ready == 2, "the ranking by the external version");
  gl_db_model_version_clear (&ev);
  /* Taking over wrote nothing. */
  g_assert_cmpint (gl_trainer_get_state (trainer), ==, GL_TRAINER_IDLE);
  g_assert_true (gl_db_try_poll (db, &poll));
  g_assert_cmpint (poll.model_id, ==, external);
  g_assert_cmpint (poll.queue_seq, ==, 2);

  /* The next round warm-starts from the external version, and the file says so. */
  GlTrainerReport r3;
  g_assert_true (gl_trainer_run_round (trainer, TRUE, &r3, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r3.warm_start, ==, external);
  g_assert_cmpint (r3.model_version, >, external);
  g_assert_cmpint (gl_trainer_get_model_version (trainer), ==, r3.model_version);
  g_assert_cmpint (gl_db_get_current_model (db), ==, r3.model_version);
  GlDbModelVersion v3 = { 0 };
  g_assert_true (gl_db_get_model_version (db, r3.model_version, &v3, &error));
  GlModelMeta meta;
  gl_model_meta_init (&meta);
  GlNet *net = gl_model_file_load (v3.path, &meta, &error);
  g_assert_no_error (error);
  g_autofree char *expected = g_strdup_printf ("%" G_GINT64_FORMAT, external);
  g_assert_nonnull (meta.extra);
  g_assert_cmpstr (g_hash_table_lookup (meta.extra, "warm_start"), ==, expected);
  gl_net_free (net);
  gl_model_meta_clear (&meta);
  gl_db_model_version_clear (&v3);

  /* Its own version and ranking are not taken over again. */
  guint before = seen.version_notified, rankings = seen.ranking_ready;
  gboolean waited = FALSE;
  g_timeout_add_once (3000, on_deadline, &waited);
  while (!waited)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (seen.version_notified, ==, before);
  g_assert_cmpuint (seen.ranking_ready, ==, rankings);
  g_assert_cmpuint (rankings, ==, 3);
  g_assert_cmpint (gl_trainer_get_state (trainer), ==, GL_TRAINER_IDLE);

  g_object_unref (trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_db_close (db);
  gl_project_close (project);
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trainer-external/model", test_external_model);
  return g_test_run ();
}
