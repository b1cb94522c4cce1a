/* End-to-end tests of the team's trainer (issue 18): `gleaner-cli trainer`
 * (env GLEANER_CLI) on a throwaway PostgreSQL server (tests/db/gl-test-pg.h)
 * and on a project folder.
 *
 * /team/trainer/takeover: two trainers on one project: the first takes the
 * lease and the second waits; a desktop's own GlTrainer refuses to train
 * and names the holder; the first is SIGKILLed after it printed "round 1
 * started", and the second takes over within the lease time and finishes a
 * round; the killed round's version never became current, and the current
 * one is whole (its file in the store matches its checksum and loads);
 * SIGTERM gives the lease back (exit 0), and then the desktop trains.
 * /team/trainer/bad-targets: a project that does not exist and a server
 * that is not there are named in the error.
 * /team/trainer/consensus: the round trains on the annotators' consensus
 * (a tie on nothing).
 * /team/trainer/score-workers: the trainer's pool split into chunks; a
 * trainer and a worker SIGKILLed mid-way; every image scored once by the
 * version, current only when whole.
 * /team/trainer/folder: --once on a project folder runs one round and
 * gives the lease back. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "app/gl-team-models.h"
#include "app/gl-trainer.h"
#include "db/gl-db-score-chunks.h"
#include "db/gl-db-team.h"
#include "db/gl-db-private.h"
#include "db/gl-db-trainer-lease.h"

#include "../db/gl-test-pg.h"
#include "synth-project.h"

/* Seconds of the trainers' lease: short, so that a takeover comes soon. */
#define LEASE "3"

typedef struct
{
  GlTestPg *pg;
  char *dir;    /* temporary folder: data/, a/, b/, c/ */
  char *target; /* the project's connection string, as a URI */
} Team;

/* A gleaner-cli process whose stdout is read line by line. */
typedef struct
{
  GSubprocess *proc;
  GDataInputStream *out;
  GString *log; /* every line read so far */
} Proc;

static GSubprocessLauncher *
launcher (Team *t, const char *who, GSubprocessFlags flags)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (flags);
  g_autofree char *cache = g_build_filename (t->dir, who, "cache", NULL);
  g_autofree char *config = g_build_filename (t->dir, who, "config", NULL);
  g_subprocess_launcher_setenv (l, "XDG_CACHE_HOME", cache, TRUE);
  g_subprocess_launcher_setenv (l, "XDG_CONFIG_HOME", config, TRUE);
  return l;
}

/* Runs gleaner-cli @args to its end as desktop @who; its stdout and stderr
 * into @out and @err (may be NULL). The exit status. */
static int
run_on (Team *t, const char *who, const char *const *args, char **out, char **err)
{
  g_autoptr (GSubprocessLauncher) l = launcher (t, who, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) p = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_autofree char *o = NULL, *e = NULL;
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &o, &e, &error));
  g_test_message ("%s %s: %s%s", who, args[0], o ? o : "", e ? e : "");
  if (out)
    *out = g_steal_pointer (&o);
  if (err)
    *err = g_steal_pointer (&e);
  return g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) : 128 + g_subprocess_get_term_sig (p);
}

/* Starts gleaner-cli @args as desktop @who, with @env_name=@env_value
 * (NULL: none) set. */
static Proc *
start_cli (Team *t, const char *who, const char *const *args, const char *env_name, const char *env_value)
{
  g_autoptr (GSubprocessLauncher) l = launcher (t, who, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (env_name != NULL)
    g_subprocess_launcher_setenv (l, env_name, env_value, TRUE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  Proc *p = g_new0 (Proc, 1);
  p->proc = g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  p->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p->proc));
  p->log = g_string_new (NULL);
  return p;
}

static Proc *
start_trainer (Team *t, const char *who, const char *target, const char *extra)
{
  const char *args[] = { "trainer", target, "--min-labels", "5", "--lease-seconds", LEASE, extra, NULL };
  return start_cli (t, who, args, NULL, NULL);
}

/* What on_line leaves at the end of the output. */
static const char end_of_output[] = "(end of output)";

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  char **line = data;
  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  if (*line == NULL)
    *line = g_strdup (end_of_output);
}

/* Reads @p's lines until one holds @needle (TRUE) or @seconds passed or
 * its output ended (FALSE). */
static gboolean
wait_line (Proc *p, const char *needle, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  for (;;)
    {
      char *line = NULL;
      g_data_input_stream_read_line_async (p->out, G_PRIORITY_DEFAULT, NULL, on_line, &line);
      while (line == NULL)
        {
          if (g_get_monotonic_time () > deadline)
            {
              g_test_message ("no “%s” within %d s; read: %s", needle, seconds, p->log->str);
              return FALSE; /* the read stays pending: the caller fails */
            }
          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (10000);
        }
      g_autofree char *got = line;
      if (strcmp (got, end_of_output) == 0)
        {
          g_test_message ("no “%s” before the end; read: %s", needle, p->log->str);
          return FALSE;
        }
      g_string_append_printf (p->log, "%s\n", got);
      if (strstr (got, needle) != NULL)
        return TRUE;
    }
}

static int
stop_trainer (Proc *p, int signal)
{
  if (signal)
    g_subprocess_send_signal (p->proc, signal);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_subprocess_wait (p->proc, NULL, &error));
  /* The rest of its output. */
  for (char *line; (line = g_data_input_stream_read_line_utf8 (p->out, NULL, NULL, NULL)) != NULL; g_free (line))
    g_string_append_printf (p->log, "%s\n", line);
  return g_subprocess_get_if_exited (p->proc) ? g_subprocess_get_exit_status (p->proc)
                                              : 128 + g_subprocess_get_term_sig (p->proc);
}

static void
proc_free (Proc *p)
{
  g_test_message ("trainer output:\n%s", p->log->str);
  if (g_subprocess_get_identifier (p->proc) != NULL)
    {
      g_subprocess_force_exit (p->proc);
      g_subprocess_wait (p->proc, NULL, NULL);
    }
  g_object_unref (p->out);
  g_object_unref (p->proc);
  g_string_free (p->log, TRUE);
  g_free (p);
}

static void
team_setup (Team *t, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  t->dir = g_dir_make_tmp ("gl-team-trainer-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *data_dir = g_build_filename (t->dir, "data", NULL);
  g_assert_cmpint (g_mkdir (data_dir, 0700), ==, 0);
  synth_write_idx (data_dir, "first", 40, 7, FALSE);
  t->pg = gl_test_pg_start (&error);
  if (t->pg == NULL)
    {
      g_autofree char *why = g_strdup_printf ("no PostgreSQL server for the test: %s", error->message);
      g_test_skip (why);
      return;
    }
  g_assert_true (gl_test_pg_create_db (t->pg, "team", &error));
  g_assert_no_error (error);
  g_autofree char *settings = gl_test_pg_target (t->pg, "team");
  g_auto (GStrv) parts = g_strsplit (settings, " ", -1); /* host=DIR user=gleaner dbname=team */
  g_assert_true (g_str_has_prefix (parts[0], "host="));
  t->target = g_strdup_printf ("postgresql://gleaner@/team?host=%s", parts[0] + 5);
}

static void
team_teardown (Team *t, gconstpointer data)
{
  if (t->dir)
    gl_remove_tree (t->dir);
  g_free (t->dir);
  g_free (t->target);
  if (t->pg)
    gl_test_pg_stop (t->pg);
}

/* Makes the project @target as desktop "a", with the 40 labeled images. */
static void
make_project (Team *t, const char *target)
{
  g_autofree char *images = g_build_filename (t->dir, "data", "first-images-idx3-ubyte", NULL);
  g_autofree char *labels = g_build_filename (t->dir, "data", "first-labels-idx1-ubyte", NULL);
  const char *init[] = { "init", target, "--input", "28x28x1",
                         "--classes", "top-left,top-right,bottom-left,bottom-right", NULL };
  g_assert_cmpint (run_on (t, "a", init, NULL, NULL), ==, 0);
  const char *import[] = { "import", target, images, "--idx-labels", labels, NULL };
  g_assert_cmpint (run_on (t, "a", import, NULL, NULL), ==, 0);
}

/* The version after "model version " in @log (the last one), or -1. */
static gint64
reported_version (const char *log)
{
  const char *at = g_strrstr (log, "model version ");
  return at ? g_ascii_strtoll (at + strlen ("model version "), NULL, 10) : -1;
}

/* The current version is whole: its file is in the store, matches its
 * checksum, and loads. */
static void
assert_current_whole (GlDb *db, gint64 expected)
{
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (gl_db_get_current_model (db), ==, expected);
  g_autoptr (GBytes) file = gl_db_team_get_model (db, expected, &error);
  g_assert_no_error (error);
  g_autofree char *sum = gl_db_team_model_checksum (db, expected, &error);
  g_autofree char *computed = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, file);
  g_assert_cmpstr (sum, ==, computed);
  GlDbModelVersion v = { 0 };
  g_assert_true (gl_db_get_model_version (db, expected, &v, &error));
  GlNet *net = gl_team_model_load (db, &v, &error);
  g_assert_no_error (error);
  g_assert_nonnull (net);
  gl_net_free (net);
  gl_db_model_version_clear (&v);
}

static void
test_takeover (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  make_project (t, t->target);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (t->target, &error);
  g_assert_no_error (error);

  Proc *first = start_trainer (t, "a", t->target, NULL);
  g_assert_true (wait_line (first, "took the trainer lease", 60));
  Proc *second = start_trainer (t, "b", t->target, NULL);
  g_assert_true (wait_line (second, "waiting: ", 60));
  g_assert_nonnull (strstr (second->log->str, "holds the lease"));

  /* A desktop does not train while the team's trainer holds the lease. */
  g_autofree char *cache_c = g_build_filename (t->dir, "c", "cache", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_c, TRUE);
  g_autoptr (GlProject) desk = gl_project_open (t->target, &error);
  g_assert_no_error (error);
  g_autoptr (GlTrainer) own = gl_trainer_new (desk, &error);
  g_assert_no_error (error);
  g_assert_false (gl_trainer_run_round (own, TRUE, NULL, NULL, &error));
  g_assert_error (error, GL_TRAINER_ERROR, GL_TRAINER_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "the team's trainer"));
  g_assert_nonnull (gl_trainer_get_team_trainer (own));
  g_clear_error (&error);

  /* The first one starts its round (40 imported labels ≥ 5) and is killed in it. */
  g_assert_true (wait_line (first, "round 1 started: 40 new labels", 60));
  gint64 before = gl_db_get_current_model (db);
  g_assert_cmpint (stop_trainer (first, SIGKILL), ==, 128 + SIGKILL);
  g_assert_null (strstr (first->log->str, "finished"));
  g_assert_cmpint (gl_db_get_current_model (db), ==, before); /* the half round changed nothing current */
  g_assert_null (strstr (second->log->str, "round")); /* exactly one trained */

  /* The second takes over within the lease time (+ a tick) and trains on the same labels. */
  gint64 killed_at = g_get_monotonic_time ();
  g_assert_true (wait_line (second, "took the trainer lease", 30));
  g_assert_cmpint (g_get_monotonic_time () - killed_at, <, (gint64) (atoi (LEASE) + 3) * G_USEC_PER_SEC);
  g_assert_true (wait_line (second, "round 1 started: 40 new labels", 30));
  g_assert_true (wait_line (second, "round 1 finished", 240));
  gint64 version = reported_version (second->log->str);
  g_assert_cmpint (version, >, 0);
  assert_current_whole (db, version);

  /* SIGTERM: the lease is given back; then the desktop trains again. */
  g_assert_cmpint (stop_trainer (second, SIGTERM), ==, 0);
  g_assert_nonnull (strstr (second->log->str, "gave the trainer lease back"));
  g_auto (GlDbTrainerHolder) holder = { 0 };
  gboolean live = TRUE;
  g_assert_true (gl_db_trainer_lease_get (db, &holder, &live, &error));
  g_assert_false (live);
  g_assert_cmpint (holder.label_mark, >, 0);
  g_assert_true (gl_trainer_run_round (own, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (gl_trainer_get_team_trainer (own));
  proc_free (first);
  proc_free (second);
}

/* A database without a project, and a server that is not there: named. */
static void
test_bad_targets (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  g_autofree char *settings = gl_test_pg_target (t->pg, "postgres");
  g_autofree char *no_server = g_build_filename (t->dir, "no-server", NULL);
  g_autofree char *gone = g_strdup_printf ("postgresql://gleaner@/team?host=%s", no_server);
  g_autofree char *missing = g_build_filename (t->dir, "no-such-project", NULL);
  struct
  {
    const char *target, *named;
  } cases[] = { { settings, "no Gleaner project" }, { gone, no_server }, { missing, "no-such-project" } };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[] = { "trainer", cases[i].target, "--once", NULL };
      g_autofree char *err = NULL;
      g_assert_cmpint (run_on (t, "a", args, NULL, &err), ==, 1);
      g_assert_nonnull (strstr (err, "gleaner-cli trainer: "));
      g_assert_nonnull (strstr (err, cases[i].named));
    }
  const char *bad[] = { "trainer", t->target, "--lease-seconds", "0", NULL };
  g_assert_cmpint (run_on (t, "a", bad, NULL, NULL), ==, 2);
}

/* One machine, a project folder: --once trains once and gives the lease back. */
static void
test_folder (Team *t, gconstpointer data)
{
  g_autofree char *folder = g_build_filename (t->dir, "folder-project", NULL);
  make_project (t, folder);
  Proc *p = start_trainer (t, "a", folder, "--once");
  g_assert_true (wait_line (p, "round 1 finished", 240));
  g_assert_cmpint (stop_trainer (p, 0), ==, 0);
  g_assert_nonnull (strstr (p->log->str, "took the trainer lease"));
  g_assert_nonnull (strstr (p->log->str, "gave the trainer lease back"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) project = gl_project_open (folder, &error);
  g_assert_no_error (error);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), &error);
  g_assert_no_error (error);
  g_assert_cmpint (gl_db_get_current_model (db), ==, reported_version (p->log->str));
  g_auto (GlDbTrainerHolder) holder = { 0 };
  gboolean live = TRUE;
  g_assert_true (gl_db_trainer_lease_get (db, &holder, &live, &error));
  g_assert_false (live);
  proc_free (p);
}

static gint64
json_int (const char *json, const char *key)
{
  g_autofree char *k = g_strdup_printf ("\"%s\":", key);
  const char *at = g_strrstr (json, k);
  g_assert_nonnull (at);
  return g_ascii_strtoll (at + strlen (k), NULL, 10);
}

/* The round trains on the annotators' consensus: two images that two
 * annotators labeled crosswise, each right once on the reference labels,
 * tie and train on nothing (38 labels of 40; the newest label alone would
 * give 40). */
static void
test_consensus (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  make_project (t, t->target);
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) images = gl_trainer_list_images (t->target, &error);
  g_assert_no_error (error);
  g_autoptr (GlDb) db = gl_db_open (t->target, &error);
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, &error);
  g_assert_no_error (error);
  /* Two images of different classes X and Y. */
  const GlPoolImage *first = &g_array_index (images, GlPoolImage, 0), *other = NULL;
  for (guint i = 1; i < images->len && other == NULL; i++)
    if (g_array_index (images, GlPoolImage, i).class_id != first->class_id)
      other = &g_array_index (images, GlPoolImage, i);
  g_assert_nonnull (other);
  const char *x = NULL, *y = NULL;
  for (guint k = 0; k < classes->len; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      x = c->id == first->class_id ? c->name : x;
      y = c->id == other->class_id ? c->name : y;
    }
  g_autofree char *id1 = g_strdup_printf ("%" G_GINT64_FORMAT, first->image_id);
  g_autofree char *id2 = g_strdup_printf ("%" G_GINT64_FORMAT, other->image_id);
  const char *ann[] = { "annotator", "--set", "ann", NULL }, *bea[] = { "annotator", "--set", "bea", NULL };
  g_assert_cmpint (run_on (t, "a", ann, NULL, NULL), ==, 0);
  g_assert_cmpint (run_on (t, "b", bea, NULL, NULL), ==, 0);
  const char *a1[] = { "label", t->target, id1, x, NULL }, *a2[] = { "label", t->target, id2, x, NULL };
  const char *b1[] = { "label", t->target, id1, y, NULL }, *b2[] = { "label", t->target, id2, y, NULL };
  g_assert_cmpint (run_on (t, "a", a1, NULL, NULL), ==, 0);
  g_assert_cmpint (run_on (t, "a", a2, NULL, NULL), ==, 0);
  g_assert_cmpint (run_on (t, "b", b1, NULL, NULL), ==, 0);
  g_assert_cmpint (run_on (t, "b", b2, NULL, NULL), ==, 0);
  const char *once[] = { "trainer", t->target, "--once", "--json", NULL };
  g_autofree char *out = NULL;
  g_assert_cmpint (run_on (t, "c", once, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"event\":\"round-finished\""));
  g_assert_cmpint (json_int (out, "train_labels") + json_int (out, "validation_labels"), ==, 38);
}

/* Scoring past one machine: the trainer splits the new version's pool into
 * chunks and is SIGKILLed; a score worker takes a chunk and is SIGKILLed
 * in it (the version is not current then); a second worker and a second
 * trainer finish: every pool image has exactly one prediction row of the
 * version, which is current only then. */
static void
test_score_workers (Team *t, gconstpointer data)
{
  if (t->pg == NULL)
    return;
  make_project (t, t->target);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (t->target, &error);
  g_assert_no_error (error);
  const char *trainer[] = { "trainer", t->target, "--min-labels", "5", "--lease-seconds", LEASE, "--chunk-images",
                            "4", "--test-first-chunk", "4", NULL };
  Proc *t1 = start_cli (t, "a", trainer, NULL, NULL);
  g_assert_true (wait_line (t1, "scoring model version", 240));
  g_assert_cmpint (stop_trainer (t1, SIGKILL), ==, 128 + SIGKILL);
  gint64 version = reported_version (t1->log->str);
  g_assert_cmpint (version, >, 0);
  g_assert_nonnull (strstr (t1->log->str, ": 10 chunks for the score workers"));

  /* A worker takes a chunk and dies in it; the version is not whole, not current. */
  const char *worker[] = { "score-worker", t->target, "--lease-seconds", LEASE, NULL };
  Proc *w1 = start_cli (t, "b", worker, "GL_SCORE_WORKER_TEST_PAUSE_MS", "600000");
  g_assert_true (wait_line (w1, "took a chunk of model version", 60));
  g_autofree char *took = g_strdup_printf ("took a chunk of model version %" G_GINT64_FORMAT ":", version);
  g_assert_nonnull (strstr (w1->log->str, took));
  g_assert_cmpint (gl_db_get_current_model (db), !=, version);
  g_assert_cmpint (stop_trainer (w1, SIGKILL), ==, 128 + SIGKILL);
  g_assert_cmpint (gl_db_get_current_model (db), !=, version);

  /* Another worker and another trainer finish it. */
  Proc *w2 = start_cli (t, "c", worker, NULL, NULL);
  Proc *t2 = start_trainer (t, "b", t->target, NULL);
  g_autofree char *current = g_strdup_printf ("model version %" G_GINT64_FORMAT " is current", version);
  gboolean published = wait_line (t2, current, 120);
  if (!published)
    {
      gint64 total = -1;
      gint64 left = gl_db_score_chunks_left (db, version, &total, NULL);
      g_test_message ("rescore_model %" G_GINT64_FORMAT ", current %" G_GINT64_FORMAT ", newest %" G_GINT64_FORMAT
                      ", chunks left %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT,
                      gl_db_counter (db, "rescore_model", -2), gl_db_get_current_model (db),
                      gl_db_query_int (db, "SELECT MAX (id) FROM model_versions", FALSE, 0, -1), left, total);
      stop_trainer (w2, SIGTERM);
      g_test_message ("w2: %s", w2->log->str);
    }
  g_assert_true (published);
  g_assert_cmpint (gl_db_get_current_model (db), ==, version);
  g_assert_cmpint (gl_db_score_chunks_left (db, version, NULL, &error), ==, 0);
  /* Every pool image scored once by the version: 40 rows for 40 images. */
  g_assert_cmpint (gl_db_query_int (db, "SELECT COUNT (*) FROM predictions WHERE model_id = ?1", TRUE, version, -1),
                   ==, 40);
  g_assert_cmpint (gl_db_query_int (db, "SELECT COUNT (DISTINCT image_id) FROM predictions WHERE model_id = ?1", TRUE,
                                    version, -1),
                   ==, 40);
  g_assert_cmpint (stop_trainer (w2, SIGTERM), ==, 0);
  g_assert_cmpint (stop_trainer (t2, SIGTERM), ==, 0);
  proc_free (t1);
  proc_free (w1);
  proc_free (w2);
  proc_free (t2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/team/trainer/takeover", Team, NULL, team_setup, test_takeover, team_teardown);
  g_test_add ("/team/trainer/bad-targets", Team, NULL, team_setup, test_bad_targets, team_teardown);
  g_test_add ("/team/trainer/consensus", Team, NULL, team_setup, test_consensus, team_teardown);
  g_test_add ("/team/trainer/score-workers", Team, NULL, team_setup, test_score_workers, team_teardown);
  g_test_add ("/team/trainer/folder", Team, NULL, team_setup, test_folder, team_teardown);
  return g_test_run ();
}
