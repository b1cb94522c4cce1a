/* bench-team — four annotators on one team project through one PostgreSQL
 * server (issue 18's figures). Not a test and not timed in the suite: run it
 * through tests/bench/team. It starts its own throwaway server (initdb in a
 * temporary folder, a Unix socket, no TCP, fsync ON as a real server), makes
 * one 70,000-image project of Fashion-MNIST (train and test, pixels in the
 * server, the true classes as reference labels that no annotator sees), and:
 *
 *  1. labeling: four annotator processes (bench-team-annotator.h: each with
 *     its own connection, identity and per-desktop cache; the window's queue
 *     with leases, gl_queue_label, the live-update watch) label while a
 *     trainer runs in a loop in its own process (--trainer). Measured at the
 *     client: the label commit time (given → acknowledged), the time from a
 *     label given in one client to its arrival in each other client's watch,
 *     and the images labeled by more annotators than the overlap (setting
 *     team_overlap, 1);
 *  2. client kills: --trials times, four annotators label and one of them is
 *     killed (SIGKILL) at a random moment; every label it (or another)
 *     acknowledged must be in the store;
 *  3. server kills: --trials times, the server is killed (pg_ctl stop -m
 *     immediate) while four annotators label, and started again; every
 *     acknowledged label must be in the store;
 *  4. agreement: four annotators at known uniform noise η = 0.05, 0.05, 0.10,
 *     0.20 each label the same --agree images (through gl_queue_label_image;
 *     the queue itself never hands an image labeled by one annotator to
 *     another). κ per pair and α, by the product's code on the labels read
 *     back from the store (app/gl-agreement-report.c, engine/gl-agreement.c),
 *     against their exact values from the noise model, analytically:
 *     κ_rs = (1 − η_r)(1 − η_s) and α = the mean pairwise κ (uniform class
 *     marginals: Fashion-MNIST's ten classes are equal in size). Consensus
 *     weighted by each annotator's accuracy on the reference labels, against
 *     the majority, both scored on the true classes.
 *
 * The last line is exactly
 *   team: label_p50_ms=M label_p99_ms=M visible_p99_ms=M double_labeled=N lost=N kappa_err=E consensus_gain=G */
#include "gleaner-config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/gl-agreement-report.h"
#include "app/gl-import.h"
#include "app/gl-project.h"
#include "bench-team-annotator.h"
#include "db/gl-db.h"
#include "db/gl-test-pg.h"
#include "engine/team-sim.h"

#define N_ANNOTATORS 4

static const double eta[N_ANNOTATORS] = { 0.05, 0.05, 0.10, 0.20 };

/* Options: main thread. */
static gboolean opt_short;
static int opt_labels = 1000, opt_pace_ms = 100, opt_trials = 10, opt_agree = 20000;
static char *opt_trainer, *opt_mnist;
static gint64 opt_seed = 1;
/* The annotator process (internal). */
static char *opt_annotator, *opt_target, *opt_log, *opt_images;
static double opt_eta;
static int opt_linger_ms;

static const GOptionEntry options[] = {
  { "short", 0, 0, G_OPTION_ARG_NONE, &opt_short, "A quick check: 10,000 images, 60 labels each, 2 trials of each kill, 300 shared",
    NULL },
  { "labels", 0, 0, G_OPTION_ARG_INT, &opt_labels, "Labels per annotator in the timed phase (default 1000)", "N" },
  { "pace-ms", 0, 0, G_OPTION_ARG_INT, &opt_pace_ms, "Think time between labels (default 100)", "MS" },
  { "trials", 0, 0, G_OPTION_ARG_INT, &opt_trials, "Trials of each kill, client and server (default 10)", "N" },
  { "agree", 0, 0, G_OPTION_ARG_INT, &opt_agree, "Images labeled by all four in the agreement phase (default 20000)",
    "N" },
  { "trainer", 0, 0, G_OPTION_ARG_STRING, &opt_trainer,
    "The trainer command, run in a loop with the project as its last argument (tests/bench/team sets it)", "CMD" },
  { "mnist", 0, 0, G_OPTION_ARG_FILENAME, &opt_mnist, "Fashion-MNIST's folder (default the Debian package's)", "DIR" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &opt_seed, "Seed (default 1)", "S" },
  { "annotator", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_annotator, "internal: run one annotator", "NAME" },
  { "target", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_target, "internal", "T" },
  { "log", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_log, "internal", "FILE" },
  { "images", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_images, "internal", "FILE" },
  { "eta", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_DOUBLE, &opt_eta, "internal", "P" },
  { "linger-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &opt_linger_ms, "internal", "MS" },
  { NULL },
};

/* The run's state; main thread. */
typedef struct
{
  GlTestPg *pg;      /* the server; owned */
  char *target;      /* its connection string (no password: trust on a socket of our own); owned */
  char *dir;         /* logs, image lists and the per-annotator caches; owned */
  char *self;        /* this program; owned */
  guint64 label_seq; /* annotator processes started so far (seeds) */
} Bench;

typedef struct
{
  gint64 image, class_id, issued, acked;
} Ack;

/* One annotator process's log, read back. */
typedef struct
{
  char *name;       /* owned */
  GArray *acks;     /* Ack */
  GHashTable *seen; /* image id → first SEEN_US (gint64 *, owned) */
  guint n_errors;
  char *first_error; /* owned; NULL when none */
  gint64 start_us;   /* when it started watching; G_MAXINT64 when it did not say */
  gint64 end_us;     /* when it stopped watching; G_MAXINT64 when it did not say (killed) */
} Log;

static void
log_clear (Log *l)
{
  g_clear_pointer (&l->name, g_free);
  g_clear_pointer (&l->acks, g_array_unref);
  g_clear_pointer (&l->seen, g_hash_table_unref);
  g_clear_pointer (&l->first_error, g_free);
}

static void
print_machine (Bench *b)
{
  g_autofree char *loadavg = NULL, *cpuinfo = NULL;
  g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL);
  g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL);
  const char *model = cpuinfo ? strstr (cpuinfo, "model name") : NULL;
  g_autofree char *cpu = model ? g_strndup (model, strcspn (model, "\n")) : g_strdup ("model name: unknown");
  g_autofree char *version = gl_test_pg_version (b->pg);
  g_print ("machine: %s, %u logical CPUs, load average %s", cpu, g_get_num_processors (),
           loadavg ? loadavg : "unknown\n");
  g_print ("server: %s, a throwaway cluster on a Unix socket, fsync on\n", version);
}

static char *
log_path (Bench *b, const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.log", name);
  return g_build_filename (b->dir, file, NULL);
}

/* Starts annotator @name (slot @slot: its per-desktop cache folder, kept
 * between trials as a desktop keeps its cache) as a process; its pid. */
static GPid
spawn_annotator (Bench *b, const char *name, guint slot, double noise, guint n_labels, const char *images,
                 guint linger_ms)
{
  g_autofree char *log = log_path (b, name);
  g_autofree char *cache = g_strdup_printf ("%s/cache-%u", b->dir, slot);
  g_autofree char *labels = g_strdup_printf ("%u", MAX (n_labels, 1)), *pace = g_strdup_printf ("%d", opt_pace_ms);
  g_autofree char *noise_s = g_strdup_printf ("%.6f", noise), *linger = g_strdup_printf ("%u", linger_ms);
  g_autofree char *seed = g_strdup_printf ("%" G_GINT64_FORMAT, opt_seed * 1000 + (gint64) ++b->label_seq);
  GPtrArray *argv = g_ptr_array_new ();
  const char *fixed[] = { b->self, "--annotator", name, "--target", b->target, "--log", log, "--eta", noise_s,
                          "--labels", labels, "--pace-ms", pace, "--linger-ms", linger, "--seed", seed };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, (gpointer) fixed[i]);
  if (images != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--images");
      g_ptr_array_add (argv, (gpointer) images);
    }
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "XDG_CACHE_HOME", cache, TRUE);
  GPid pid = 0;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_async (NULL, (char **) argv->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error))
    g_error ("bench-team: cannot start an annotator: %s", error->message);
  g_ptr_array_unref (argv);
  return pid;
}

/* Waits for @pid up to @timeout_s seconds (then kills it); its exit status,
 * or -SIGNAL when a signal ended it. */
static int
wait_for (GPid pid, double timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);
  int status = 0;
  for (;;)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("bench-team: process %d did not end in %.0f s; killing it\n", (int) pid, timeout_s);
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          break;
        }
      g_usleep (20000);
    }
  g_spawn_close_pid (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -WTERMSIG (status);
}

static gboolean
read_log (Bench *b, const char *name, Log *out)
{
  g_autofree char *path = log_path (b, name), *text = NULL;
  out->name = g_strdup (name);
  out->acks = g_array_new (FALSE, FALSE, sizeof (Ack));
  out->seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  out->start_us = out->end_us = G_MAXINT64;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];
      Ack a;
      gint64 image, when;
      if (sscanf (l, "A %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, &a.image,
                  &a.class_id, &a.issued, &a.acked)
          == 4)
        g_array_append_val (out->acks, a);
      else if (sscanf (l, "S %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, &image, &when) == 2)
        {
          if (!g_hash_table_contains (out->seen, &image))
            g_hash_table_insert (out->seen, g_memdup2 (&image, sizeof image), g_memdup2 (&when, sizeof when));
        }
      else if (sscanf (l, "W %" G_GINT64_FORMAT, &when) == 1)
        out->start_us = when;
      else if (sscanf (l, "Q %" G_GINT64_FORMAT, &when) == 1)
        out->end_us = when;
      else if (l[0] == 'E')
        {
          if (out->n_errors++ == 0)
            out->first_error = g_strdup (l + 2);
        }
    }
  return TRUE;
}

/* Counts the lines starting with 'A' in @name's log so far. */
static guint
count_acks (Bench *b, const char *name)
{
  g_autofree char *path = log_path (b, name), *text = NULL;
  guint n = 0;
  if (g_file_get_contents (path, &text, NULL, NULL))
    for (const char *p = text; *p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : p + strlen (p))
      n += p[0] == 'A';
  return n;
}

/* Waits until each of @names has acknowledged a label (or 120 s). */
static void
wait_labeling (Bench *b, char **names, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  for (guint i = 0; i < n; i++)
    while (count_acks (b, names[i]) == 0 && g_get_monotonic_time () < deadline)
      g_usleep (50000);
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The @p quantile of @v (sorted here) with a 95% distribution-free interval
 * from the order statistics. */
static void
print_quantile (const char *what, GArray *v, double p, double *value)
{
  guint n = v->len;
  if (n == 0)
    {
      g_print ("  %s: no samples\n", what);
      *value = NAN;
      return;
    }
  qsort (v->data, n, sizeof (double), compare_double);
  const double *x = (const double *) v->data;
  double half = 1.96 * sqrt (n * p * (1.0 - p));
  guint k = (guint) CLAMP (ceil (n * p) - 1, 0, n - 1);
  guint lo = (guint) CLAMP (floor (n * p - half) - 1, 0, n - 1), hi = (guint) CLAMP (ceil (n * p + half), 0, n - 1);
  *value = x[k];
  g_print ("  %s: %.2f ms [95%% CI %.2f, %.2f] n = %u\n", what, x[k], x[lo], x[hi], n);
}

/* Every acknowledged label of @logs, checked against the store: the
 * annotator's current label on the image is the acknowledged class. The
 * number missing. */
static guint
count_lost (Bench *b, Log *logs, guint n_logs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (b->target, &error);
  GlDbTeamLabels team = { 0 };
  if (db == NULL || !gl_db_get_team_labels (db, 1, &team, &error))
    g_error ("bench-team: cannot read the labels back: %s", error->message);
  g_autoptr (GHashTable) stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < team.labels->len; i++)
    {
      GlDbAnnotatorLabel *l = &g_array_index (team.labels, GlDbAnnotatorLabel, i);
      const char *who = g_array_index (team.annotators, GlDbAnnotator, l->annotator).name;
      g_hash_table_insert (stored, g_strdup_printf ("%s\x1f%" G_GINT64_FORMAT, who, l->image_id),
                           g_memdup2 (&l->class_id, sizeof l->class_id));
    }
  guint lost = 0;
  for (guint i = 0; i < n_logs; i++)
    for (guint j = 0; j < logs[i].acks->len; j++)
      {
        Ack *a = &g_array_index (logs[i].acks, Ack, j);
        g_autofree char *key = g_strdup_printf ("%s\x1f%" G_GINT64_FORMAT, logs[i].name, a->image);
        const gint64 *c = g_hash_table_lookup (stored, key);
        if (c == NULL || *c != a->class_id)
          {
            if (lost++ < 5)
              g_print ("    LOST: %s's label %" G_GINT64_FORMAT " on image %" G_GINT64_FORMAT "\n", logs[i].name,
                       a->class_id, a->image);
          }
      }
  gl_db_team_labels_clear (&team);
  return lost;
}

/* In the trainer's child: a process group of its own, to be stopped whole. */
static void
new_session (gpointer data)
{
  setsid ();
}

/* Starts the trainer loop in a process group of its own; its pid. The
 * trainer's output goes to DIR/trainer-log (the service's --json events: one
 * "round-finished" or "round-failed" line per round); each exit of the
 * command appends "exit ok" or "exit failed". */
static GPid
start_trainer (Bench *b)
{
  g_autofree char *log = g_build_filename (b->dir, "trainer-log", NULL);
  g_autofree char *script = g_strdup_printf (
      "while :; do if %s \"$1\" >> '%s' 2>&1; then echo 'exit ok' >> '%s'; else echo 'exit failed' >> '%s'; "
      "sleep 1; fi; done",
      opt_trainer, log, log, log);
  const char *argv[] = { "/bin/sh", "-c", script, "sh", b->target, NULL };
  GPid pid = 0;
  g_autoptr (GError) error = NULL;
  if (!g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, new_session, NULL,
                      &pid, &error))
    g_error ("bench-team: cannot start the trainer: %s", error->message);
  return pid;
}

static void
stop_trainer (Bench *b, GPid pid)
{
  kill (-pid, SIGTERM);
  int status;
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  g_autofree char *log = g_build_filename (b->dir, "trainer-log", NULL), *text = NULL;
  guint ok = 0, failed = 0, exits = 0;
  g_file_get_contents (log, &text, NULL, NULL);
  if (text != NULL)
    {
      g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i]; i++)
        {
          ok += strstr (lines[i], "\"round-finished\"") != NULL;
          failed += strstr (lines[i], "\"round-failed\"") != NULL;
          exits += g_str_has_prefix (lines[i], "exit ");
        }
    }
  g_print ("  trainer (%s PROJECT): %u rounds finished, %u failed, %u exits, while the annotators labeled (its "
           "output: %s)\n",
           opt_trainer, ok, failed, exits, log);
}

static void
make_project (Bench *b)
{
  const char *mnist = opt_mnist ? opt_mnist : GLEANER_FASHION_MNIST_DIR;
  static const char *const names[] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot", NULL };
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gl_db_set_default_annotator ("owner");
  g_autoptr (GlProject) p = gl_project_create (b->target, 28, 28, 1, names, &error);
  if (p == NULL)
    g_error ("bench-team: cannot create the project: %s", error->message);
  /* --short: the 10,000 test images only (a check of the run, not its figures). */
  const char *splits[] = { "t10k", "train" };
  for (guint i = 0; i < (opt_short ? 1u : 2u); i++)
    {
      g_autofree char *img = g_strdup_printf ("%s/%s-images-idx3-ubyte.gz", mnist, splits[i]);
      g_autofree char *lab = g_strdup_printf ("%s/%s-labels-idx1-ubyte.gz", mnist, splits[i]);
      GlImportOptions o;
      gl_import_options_init (&o);
      o.layout = GL_IMPORT_LAYOUT_IDX;
      o.idx_labels = lab;
      o.labels_as = GL_LABELS_AS_REFERENCE;
      o.batch_size = 5000;
      const char *paths[] = { img, NULL };
      GlImportProgress sum;
      if (!gl_project_import (p, paths, &o, NULL, NULL, NULL, &sum, &error))
        g_error ("bench-team: cannot import %s: %s", img, error->message);
    }
  GlProjectInfo info = { 0 };
  if (!gl_project_get_info (p, &info, &error))
    g_error ("bench-team: cannot read the project: %s", error->message);
  g_print ("project: %" G_GUINT64_FORMAT " images (%" G_GUINT64_FORMAT " with a reference label), %u classes, "
           "imported with their pixels into the server in %.1f s; team_overlap = 1\n",
           info.images, info.reference_labeled, info.n_classes, (g_get_monotonic_time () - t0) / 1e6);
  gl_project_info_clear (&info);
  /* The caches of the four annotator slots, copied once from the server
   * (a desktop's first open), so that the trials start at once. */
  for (guint slot = 0; slot < N_ANNOTATORS; slot++)
    {
      g_autofree char *name = g_strdup_printf ("warm-%u", slot);
      GPid pid = spawn_annotator (b, name, slot, 0.0, 1, NULL, 0);
      int status = wait_for (pid, 600);
      if (status != 0)
        g_error ("bench-team: annotator %s could not start (status %d; see %s/%s.log)", name, status, b->dir, name);
    }
}

/* Phase 1. */
static void
phase_labeling (Bench *b, double *p50, double *p99, double *vis99, guint64 *doubled)
{
  guint n = opt_short ? 60 : (guint) opt_labels;
  g_print ("\n1. Labeling: %d annotators × %u labels, %d ms think time, the queue's leases, live updates; "
           "trainer running\n",
           N_ANNOTATORS, n, opt_pace_ms);
  GPid trainer = start_trainer (b);
  GPid pids[N_ANNOTATORS];
  char *names[N_ANNOTATORS];
  for (guint r = 0; r < N_ANNOTATORS; r++)
    {
      names[r] = g_strdup_printf ("ann-%u", r);
      pids[r] = spawn_annotator (b, names[r], r, eta[r], n, NULL, 2000);
    }
  for (guint r = 0; r < N_ANNOTATORS; r++)
    if (wait_for (pids[r], 60.0 + n * (opt_pace_ms + 2000) / 1000.0) != 0)
      g_print ("  annotator %s did not end cleanly (see its log)\n", names[r]);
  stop_trainer (b, trainer);

  Log logs[N_ANNOTATORS] = { 0 };
  g_autoptr (GArray) commit = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) visible = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint r = 0; r < N_ANNOTATORS; r++)
    read_log (b, names[r], &logs[r]);
  guint64 unseen = 0, errors = 0;
  GHashTable *own[N_ANNOTATORS];
  for (guint r = 0; r < N_ANNOTATORS; r++)
    {
      own[r] = g_hash_table_new (g_int64_hash, g_int64_equal);
      for (guint j = 0; j < logs[r].acks->len; j++)
        g_hash_table_add (own[r], &g_array_index (logs[r].acks, Ack, j).image);
    }
  for (guint r = 0; r < N_ANNOTATORS; r++)
    {
      errors += logs[r].n_errors;
      if (logs[r].first_error)
        g_print ("  %s: %u errors, the first: %s\n", names[r], logs[r].n_errors, logs[r].first_error);
      for (guint j = 0; j < logs[r].acks->len; j++)
        {
          Ack *a = &g_array_index (logs[r].acks, Ack, j);
          double ms = (a->acked - a->issued) / 1000.0;
          g_array_append_val (commit, ms);
          for (guint s = 0; s < N_ANNOTATORS; s++)
            {
              /* A client does not log its own images as seen: one it labeled too (a double) is left out. */
              if (s == r || g_hash_table_contains (own[s], &a->image))
                continue;
              const gint64 *seen = g_hash_table_lookup (logs[s].seen, &a->image);
              if (seen == NULL)
                {
                  /* Only a client that watched from before it until a second after should have seen it. */
                  unseen += logs[s].start_us < a->issued && a->acked + G_USEC_PER_SEC < logs[s].end_us;
                  continue;
                }
              double v = (*seen - a->issued) / 1000.0;
              g_array_append_val (visible, v);
            }
        }
    }
  print_quantile ("label commit p50 (gl_queue_label: given → committed and the next image leased, per label)", commit, 0.50, p50);
  print_quantile ("label commit p99", commit, 0.99, p99);
  print_quantile ("visible in another client p99 (given → that client's watch signals it, per label × other client)",
                  visible, 0.99, vis99);
  g_print ("  labels never seen by another client that watched from before them to 1 s after: %" G_GUINT64_FORMAT
           "; label errors: %" G_GUINT64_FORMAT "\n",
           unseen, errors);

  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (b->target, &error);
  GlDbTeamLabels team = { 0 };
  if (db == NULL || !gl_db_get_team_labels (db, 2, &team, &error))
    g_error ("bench-team: cannot read the labels: %s", error->message);
  *doubled = team.n_images;
  g_print ("  images labeled by more annotators than the overlap (1): %" G_GUINT64_FORMAT " of %u labels\n",
           *doubled, commit->len);
  gl_db_team_labels_clear (&team);
  for (guint r = 0; r < N_ANNOTATORS; r++)
    {
      g_hash_table_unref (own[r]);
      log_clear (&logs[r]);
      g_free (names[r]);
    }
}

/* Phase 2 (@server FALSE: a client is killed) or 3 (TRUE: the server). The
 * acknowledged labels missing from the store. */
static guint
phase_kills (Bench *b, gboolean server, GlRng *rng)
{
  guint trials = opt_short ? 2 : (guint) opt_trials, lost = 0, acked = 0;
  g_print ("\n%u. %s killed mid-way, %u trials of %d annotators labeling\n", server ? 3 : 2,
           server ? "The server (pg_ctl stop -m immediate, then start)" : "One client (SIGKILL)", trials,
           N_ANNOTATORS);
  for (guint t = 0; t < trials; t++)
    {
      GPid pids[N_ANNOTATORS];
      char *names[N_ANNOTATORS];
      for (guint r = 0; r < N_ANNOTATORS; r++)
        {
          names[r] = g_strdup_printf ("%s%u-%u", server ? "sk" : "ck", t, r);
          pids[r] = spawn_annotator (b, names[r], r, eta[r], 100000, NULL, 0);
        }
      wait_labeling (b, names, N_ANNOTATORS);
      g_usleep ((gulong) (200000 + gl_rng_below (rng, 1500000)));
      guint victim = gl_rng_below (rng, N_ANNOTATORS);
      g_autoptr (GError) error = NULL;
      if (server)
        {
          if (!gl_test_pg_kill (b->pg, &error) || !gl_test_pg_restart (b->pg, &error))
            g_error ("bench-team: cannot kill and restart the server: %s", error->message);
        }
      else
        kill (pids[victim], SIGKILL);
      /* The others label a moment longer (after a server kill a label under
       * way fails, and the next one reconnects), then stop. */
      g_usleep (500000);
      for (guint r = 0; r < N_ANNOTATORS; r++)
        {
          kill (pids[r], SIGTERM);
          wait_for (pids[r], 60);
        }
      Log logs[N_ANNOTATORS] = { 0 };
      guint n_acked = 0;
      for (guint r = 0; r < N_ANNOTATORS; r++)
        {
          read_log (b, names[r], &logs[r]);
          n_acked += logs[r].acks->len;
        }
      guint l = count_lost (b, logs, N_ANNOTATORS);
      g_print ("  trial %u: %s; %u labels acknowledged, %u lost\n", t + 1,
               server ? "server killed" : names[victim], n_acked, l);
      lost += l;
      acked += n_acked;
      for (guint r = 0; r < N_ANNOTATORS; r++)
        {
          log_clear (&logs[r]);
          g_free (names[r]);
        }
    }
  g_print ("  lost: %u of %u acknowledged labels over %u trials\n", lost, acked, trials);
  return lost;
}

/* The agreement phase's images: @n unlabeled pool images at random, one id a line. */
static char *
agree_images (Bench *b, guint n, GlRng *rng)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (b->target, &error);
  if (db == NULL)
    g_error ("bench-team: %s", error->message);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (gint64 after = 0;;)
    {
      g_autoptr (GArray) page = gl_db_list_unlabeled (db, after, 10000, &error);
      if (page == NULL)
        g_error ("bench-team: cannot list the pool: %s", error->message);
      if (page->len == 0)
        break;
      for (guint i = 0; i < page->len; i++)
        g_array_append_val (ids, g_array_index (page, GlDbScoredImage, i).image_id);
      after = g_array_index (ids, gint64, ids->len - 1);
    }
  n = MIN (n, ids->len);
  GString *out = g_string_new (NULL);
  gint64 *v = (gint64 *) ids->data;
  for (guint i = 0; i < n; i++)
    {
      guint j = i + gl_rng_below (rng, ids->len - i);
      gint64 x = v[i];
      v[i] = v[j];
      v[j] = x;
      g_string_append_printf (out, "%" G_GINT64_FORMAT "\n", v[i]);
    }
  char *path = g_build_filename (b->dir, "agree-images", NULL);
  if (!g_file_set_contents (path, out->str, -1, &error))
    g_error ("bench-team: %s", error->message);
  g_string_free (out, TRUE);
  return path;
}

/* Cohen's κ of annotators @a and @b computed here, independently of the
 * product: from the labels their logs say they gave (not read back from
 * the store), on the images both labeled. */
static double
kappa_from_logs (const Log *a, const Log *b, guint k_max)
{
  g_autoptr (GHashTable) first = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < a->acks->len; i++)
    {
      Ack *x = &g_array_index (a->acks, Ack, i);
      g_hash_table_insert (first, &x->image, &x->class_id);
    }
  g_autoptr (GHashTable) index = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree double *ma = g_new0 (double, k_max), *mb = g_new0 (double, k_max);
  double n = 0, agree = 0;
  for (guint i = 0; i < b->acks->len; i++)
    {
      Ack *y = &g_array_index (b->acks, Ack, i);
      const gint64 *ca = g_hash_table_lookup (first, &y->image);
      if (ca == NULL)
        continue;
      const gint64 cls[2] = { *ca, y->class_id };
      guint idx[2];
      for (guint j = 0; j < 2; j++)
        {
          gpointer v;
          if (!g_hash_table_lookup_extended (index, &cls[j], NULL, &v))
            {
              v = GUINT_TO_POINTER (g_hash_table_size (index));
              g_hash_table_insert (index, g_memdup2 (&cls[j], sizeof cls[j]), v);
            }
          idx[j] = GPOINTER_TO_UINT (v);
          g_assert (idx[j] < k_max);
        }
      ma[idx[0]]++, mb[idx[1]]++, n++;
      agree += cls[0] == cls[1];
    }
  double pe = 0;
  for (guint c = 0; c < k_max; c++)
    pe += (ma[c] / n) * (mb[c] / n);
  return (agree / n - pe) / (1.0 - pe);
}

/* The index of annotator @name in @report, or -1. */
static gint
annotator_index (const GlAgreementReport *report, const char *name)
{
  for (guint i = 0; i < report->n_annotators; i++)
    if (g_str_equal (g_array_index (report->team.annotators, GlDbAnnotator, i).name, name))
      return (gint) i;
  return -1;
}

/* Phase 4. */
static void
phase_agreement (Bench *b, GlRng *rng, double *kappa_err, double *gain)
{
  guint n = opt_short ? 300 : (guint) opt_agree;
  g_autofree char *images = agree_images (b, n, rng);
  g_print ("\n4. Agreement: %d annotators (uniform noise η = %.2f %.2f %.2f %.2f) each label the same %u images\n",
           N_ANNOTATORS, eta[0], eta[1], eta[2], eta[3], n);
  GPid pids[N_ANNOTATORS];
  char *names[N_ANNOTATORS];
  for (guint r = 0; r < N_ANNOTATORS; r++)
    {
      names[r] = g_strdup_printf ("agree-%u", r);
      pids[r] = spawn_annotator (b, names[r], r, eta[r], 0, images, 0);
    }
  for (guint r = 0; r < N_ANNOTATORS; r++)
    if (wait_for (pids[r], 120.0 + n) != 0)
      g_error ("bench-team: agreement annotator %s failed (see %s/%s.log)", names[r], b->dir, names[r]);

  g_autoptr (GError) error = NULL;
  g_autoptr (GlDb) db = gl_db_open (b->target, &error);
  GlAgreementOptions o;
  gl_agreement_options_init (&o);
  o.seed = (guint64) opt_seed;
  o.n_boot = 1; /* the report's α (every annotator of the project) is not used: α is computed below on the four */
  g_autoptr (GlAgreementReport) report = db ? gl_agreement_report_new (db, &o, &error) : NULL;
  if (report == NULL)
    g_error ("bench-team: cannot compute the agreement: %s", error->message);
  gint col[N_ANNOTATORS];
  for (guint r = 0; r < N_ANNOTATORS; r++)
    if ((col[r] = annotator_index (report, names[r])) < 0)
      g_error ("bench-team: annotator %s has no labels", names[r]);

  /* The four's labels on the images all of them labeled, with the truth. */
  guint k = report->n_classes;
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autoptr (GArray) truth = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gsize i = 0; i < report->n_items; i++)
    {
      const gint *row = report->labels + i * report->n_annotators;
      gint sub[N_ANNOTATORS], present = 0;
      for (guint r = 0; r < N_ANNOTATORS; r++)
        present += (sub[r] = row[col[r]]) != GL_AGREEMENT_MISSING;
      if (present < 2)
        continue;
      GlDbLabel ref = { 0 };
      if (!gl_db_get_current_label (db, report->image_ids[i], TRUE, &ref, &error))
        g_error ("bench-team: %s", error->message);
      gint t = -1;
      for (guint c = 0; c < k; c++)
        if (report->class_ids[c] == ref.class_id)
          t = (gint) c;
      gl_db_label_clear (&ref);
      g_array_append_vals (labels, sub, N_ANNOTATORS);
      g_array_append_val (truth, t);
    }
  gsize items = truth->len;
  g_print ("  Cohen's κ per pair (engine/gl-agreement.c on the labels app/gl-agreement-report.c read back from the "
           "store): measured [95%% CI] n; exact (1 − η_r)(1 − η_s) from the noise model, analytically; and κ "
           "recomputed here from the labels the annotators logged (not the store)\n");
  *kappa_err = 0.0;
  double round_trip = 0.0, half = 0.0;
  Log logs[N_ANNOTATORS] = { 0 };
  for (guint r = 0; r < N_ANNOTATORS; r++)
    read_log (b, names[r], &logs[r]);
  for (guint r = 0; r < N_ANNOTATORS; r++)
    for (guint s = r + 1; s < N_ANNOTATORS; s++)
      {
        GlAgreement kap;
        gl_agreement_kappa ((const gint *) labels->data, items, N_ANNOTATORS, r, s, k, -1, &kap);
        double exact = (1.0 - eta[r]) * (1.0 - eta[s]);
        double logged = kappa_from_logs (&logs[r], &logs[s], 64);
        *kappa_err = MAX (*kappa_err, fabs (kap.value - exact));
        round_trip = MAX (round_trip, fabs (kap.value - logged));
        half = MAX (half, (kap.ci_high - kap.ci_low) / 2.0);
        g_print ("    %s·%s  κ = %.4f [%.4f, %.4f] n = %" G_GUINT64_FORMAT "  exact %.4f  error %+.4f  from the logs "
                 "%.4f\n",
                 names[r], names[s], kap.value, kap.ci_low, kap.ci_high, kap.n_items, exact, kap.value - exact, logged);
      }
  g_print ("  largest |κ − exact| %.4f (sampling error: the widest 95%% interval's half-width is %.4f at n = %zu); "
           "largest |κ − κ from the logs| %.2g (the store and the product's code against an independent count)\n",
           *kappa_err, half, items, round_trip);
  for (guint r = 0; r < N_ANNOTATORS; r++)
    log_clear (&logs[r]);
  GlAgreement alpha;
  g_autofree GlAgreement *per = g_new (GlAgreement, k);
  gl_agreement_alpha ((const gint *) labels->data, items, N_ANNOTATORS, k, 0, (guint64) opt_seed, &alpha, per);
  double alpha_exact = team_sim_alpha (eta, N_ANNOTATORS);
  g_print ("  Krippendorff's α = %.4f [%.4f, %.4f] n = %" G_GUINT64_FORMAT " images; exact (mean pairwise κ) %.4f, "
           "error %+.4f\n",
           alpha.value, alpha.ci_low, alpha.ci_high, alpha.n_items, alpha_exact, alpha.value - alpha_exact);

  double w[N_ANNOTATORS];
  g_print ("  Weights from each annotator's accuracy on the reference labels (every image of this project has one, "
           "so the audit share is all of their labels):\n");
  for (guint r = 0; r < N_ANNOTATORS; r++)
    {
      const GlDbAnnotator *a = &g_array_index (report->team.annotators, GlDbAnnotator, col[r]);
      w[r] = report->weights[col[r]];
      g_print ("    %s  %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " right, shrunk accuracy %.4f (true %.4f), "
               "weight %.3f\n",
               names[r], a->correct, a->audited, report->accuracy[col[r]], 1.0 - eta[r] * (k - 1) / k, w[r]);
    }
  TeamSimConsensus cons;
  team_sim_consensus ((const gint *) labels->data, (const gint *) truth->data, items, N_ANNOTATORS, k, w, &cons);
  g_print ("  Consensus accuracy on the true classes, n = %zu images (a tie counts as a uniform pick): majority "
           "%.4f, weighted %.4f, gain %.4f ± %.4f (SE, paired)\n",
           cons.n, cons.majority, cons.weighted, cons.gain, cons.gain_se);
  *gain = cons.gain;
  for (guint r = 0; r < N_ANNOTATORS; r++)
    g_free (names[r]);
}

static int
run (void)
{
  Bench b = { 0 };
  g_autoptr (GError) error = NULL;
  b.self = g_file_read_link ("/proc/self/exe", &error);
  b.dir = g_dir_make_tmp ("gl-bench-team-XXXXXX", &error);
  if (b.self == NULL || b.dir == NULL)
    {
      g_printerr ("bench-team: %s\n", error->message);
      return 1;
    }
  b.pg = gl_test_pg_start_full (TRUE, &error);
  if (b.pg == NULL || !gl_test_pg_create_db (b.pg, "team", &error))
    {
      g_printerr ("bench-team: cannot start a PostgreSQL server: %s\n", error->message);
      return 1;
    }
  b.target = gl_test_pg_target (b.pg, "team");
  gint64 t0 = g_get_monotonic_time ();
  print_machine (&b);
  g_print ("run: %s; trainer: %s PROJECT in a loop; logs in %s\n", opt_short ? "--short" : "full", opt_trainer,
           b.dir);
  make_project (&b);
  GlRng rng;
  gl_rng_init (&rng, (guint64) opt_seed);
  double p50, p99, vis99, kappa_err, gain;
  guint64 doubled;
  phase_labeling (&b, &p50, &p99, &vis99, &doubled);
  guint lost = phase_kills (&b, FALSE, &rng);
  lost += phase_kills (&b, TRUE, &rng);
  phase_agreement (&b, &rng, &kappa_err, &gain);
  g_autofree char *loadavg = NULL;
  g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL);
  g_print ("\nTargets (issue 18): label p50 ≤ 5 ms, p99 ≤ 25 ms; visible p99 ≤ 1000 ms; double_labeled 0; lost 0; "
           "kappa_err ≤ 0.02; consensus_gain > 0.\n"
           "Done in %.0f s; load average now %s",
           (g_get_monotonic_time () - t0) / 1e6, loadavg ? loadavg : "unknown\n");
  g_print ("team: label_p50_ms=%.2f label_p99_ms=%.2f visible_p99_ms=%.1f double_labeled=%" G_GUINT64_FORMAT
           " lost=%u kappa_err=%.4f consensus_gain=%.4f\n",
           p50, p99, vis99, doubled, lost, kappa_err, gain);
  gl_test_pg_stop (b.pg);
  const char *rm[] = { "rm", "-rf", b.dir, NULL };
  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  g_free (b.target);
  g_free (b.dir);
  g_free (b.self);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— four annotators on one team project (issue 18)");
  g_option_context_add_main_entries (ctx, options, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || opt_labels < 1 || opt_pace_ms < 0 || opt_trials < 1
      || opt_agree < 10)
    {
      g_printerr ("bench-team: %s\n", error ? error->message : "a value is out of range (see --help)");
      return 2;
    }
  if (opt_annotator != NULL)
    {
      BenchTeamAnnotator a = { .target = opt_target, .name = opt_annotator, .log = opt_log, .images = opt_images,
                               .eta = opt_eta, .seed = (guint64) opt_seed, .n_labels = (guint) opt_labels,
                               .pace_ms = (guint) opt_pace_ms, .linger_ms = (guint) opt_linger_ms };
      if (a.target == NULL || a.log == NULL)
        {
          g_printerr ("bench-team: --annotator needs --target and --log\n");
          return 2;
        }
      return bench_team_annotator_run (&a);
    }
  if (opt_trainer == NULL)
    {
      g_printerr ("bench-team: --trainer CMD is required (tests/bench/team sets it)\n");
      return 2;
    }
  return run ();
}
