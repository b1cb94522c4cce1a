/* bench-soak.c — a soak of the window (issue 17): the demo project labeled
 * through the Label view with real key presses, a round every 50 labels, the
 * resident memory printed as it goes. Run it through tests/bench/soak (which
 * starts Xvfb when there is no display); the slow suite runs a shorter soak.
 *
 *   bench-soak [--labels N] [--report-every N] [--every N] [--demo-dir DIR] [GTest options]
 *
 * The demo project (Fashion-MNIST, 60,000 pool images) is built once in
 * --demo-dir (default $TMPDIR/gleaner-soak-demo; kept, never labeled) and
 * copied for each run, then opened in the real window as a user would. Class
 * keys 1–9 are typed into the window through the X server (xdotool, in
 * chunks of --every keys (default 50), KEY_DELAY_MS apart); after each chunk
 * every key must have become a committed label (none lost). The trainer
 * retrains after every --every labels with the app's settings (the time
 * budget --train-seconds), and the round a chunk starts runs while the next
 * chunk is typed; the soak waits for it to end before the chunk after that,
 * so that there is one round per chunk whatever the machine's speed. Every
 * --report-every labels (default 500), once no round runs and none is due
 * (a round's working set, ~120 MB on the demo, comes and goes), one line:
 *   soak: labels=N rss_mb=M anon_mb=M file_mb=M heap_used_mb=M heap_mb=M sqlite_mb=M model_version=V
 * (VmRSS, RssAnon, RssFile from /proc/self/status; malloc's bytes in use and
 * its arenas' size from mallinfo2; SQLite's own, all connections, from
 * sqlite3_memory_used). The check: the reports from label --baseline
 * (default 500) on are split in an early and a late half; the highest
 * resident set of the late half is at most GROWTH_MB above the highest of
 * the early half. A single report is not a baseline: between rounds about
 * 40 MB of malloc'd memory is held at most reports and freed at some (what
 * holds it is not found yet), so one report at label 500 could be 40 MB low
 * and turn no growth at all into a failure. Highest against highest
 * compares like with like; a leak still shows as the late half's rise. The
 * growth from the first report is printed too.
 * Without Fashion-MNIST (dataset-fashion-mnist) the test is skipped.
 */
#include "gleaner-config.h"

#include <gdk/x11/gdkx.h>
#include <malloc.h>
#include <sqlite3.h>
#include <string.h>

#include "app/gl-demo.h"
#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-review.h"
#include "app/gl-trainer.h"
#include "gleaner-test-util.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-label-view.h"
#include "ui/gleaner-window.h"

#define KEY_DELAY_MS 40
#define GROWTH_MB 50.0

static GleanerApplication *app;
static guint opt_labels = 5000;
static guint opt_report_every = 500;
static guint opt_every = 50;
static guint opt_baseline = 500;
static double opt_train_seconds = -1;
static char *opt_demo_dir;

typedef struct
{
  GleanerWindow *window;
  GlQueue *queue;
  GlTrainer *trainer;
  GlReview *review;      /* the Label view's: label-error detection runs in the background after a round */
  guint64 start_labeled; /* labels in the project before the first key */
  guint sent;            /* keys typed */
  gboolean typing;
  guint rounds_done;     /* rounds that ended: a model made ("model-ready") or "failed" */
  guint wanted_rounds;   /* wait until rounds_done reaches it */
} Soak;

static void
on_round_ended (GlTrainer *trainer, gint64 version, double accuracy, double previous, Soak *s)
{
  s->rounds_done++;
}

static void
on_round_failed (GlTrainer *trainer, const GError *error, Soak *s)
{
  g_print ("soak: a round failed: %s\n", error->message);
  s->rounds_done++;
}

/* No round runs and none is due, and the label-error detection a round
 * starts in the background has ended: the working sets of both (pool
 * scores, embeddings, Monte Carlo passes, fold models, the mapped pixel
 * cache: ~120 MB and more on the demo) are freed. */
static gboolean
trainer_quiet (gpointer data)
{
  Soak *s = data;
  return gl_trainer_get_state (s->trainer) == GL_TRAINER_IDLE
         && gl_trainer_get_labels_pending (s->trainer) < opt_every && !gl_review_is_detecting (s->review);
}

static gboolean
rounds_caught_up (gpointer data)
{
  Soak *s = data;
  return s->rounds_done >= s->wanted_rounds;
}

static double
status_mb (const char *status, const char *field)
{
  const char *line = strstr (status, field);
  return line != NULL ? g_ascii_strtod (line + strlen (field), NULL) / 1024.0 : -1;
}

static double
report (Soak *s, guint labels)
{
  g_autofree char *status = NULL;
  struct mallinfo2 mi = mallinfo2 ();
  double rss;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  rss = status_mb (status, "VmRSS:");
  g_print ("soak: labels=%u rss_mb=%.1f anon_mb=%.1f file_mb=%.1f heap_used_mb=%.1f heap_mb=%.1f sqlite_mb=%.1f model_version=%"
           G_GINT64_FORMAT "\n",
           labels, rss, status_mb (status, "RssAnon:"), status_mb (status, "RssFile:"),
           (double)mi.uordblks / (1 << 20), (double)(mi.arena + mi.hblkhd) / (1 << 20),
           (double)sqlite3_memory_used () / (1 << 20),
           gl_trainer_get_model_version (s->trainer));
  return rss;
}

static void
typed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Soak *s = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error));
  g_assert_no_error (error);
  s->typing = FALSE;
}

static void
type_chunk (Soak *s, const char *xdotool, guint n)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (s->window));
  g_autofree char *xid = g_strdup_printf ("%lu", (unsigned long)gdk_x11_surface_get_xid (surface));
  g_autofree char *delay = g_strdup_printf ("%d", KEY_DELAY_MS);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  for (const char *const *a = (const char *const[]){ "timeout", "120", xdotool, "windowfocus", "--sync", xid, "key",
                                                     "--clearmodifiers", "--delay", delay, NULL };
       *a != NULL; a++)
    g_ptr_array_add (argv, g_strdup (*a));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (argv, g_strdup_printf ("%u", 1 + (s->sent + i) * 7 % 9));
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *)argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  s->sent += n;
  s->typing = TRUE;
  g_subprocess_wait_check_async (process, NULL, typed_cb, s);
}

static gboolean
chunk_done (gpointer data)
{
  Soak *s = data;
  return !s->typing && !gl_queue_is_busy (s->queue)
         && gl_queue_get_n_labeled (s->queue) - s->start_labeled >= s->sent;
}

/* The demo project, built once in the kept folder, copied for this run. */
static char *
demo_copy (const char *tmp)
{
  g_autofree char *dir = opt_demo_dir != NULL ? g_strdup (opt_demo_dir)
                                              : g_build_filename (g_get_tmp_dir (), "gleaner-soak-demo", NULL);
  g_autoptr (GError) error = NULL;
  GlProject *demo = gl_demo_ensure (dir, NULL, NULL, NULL, NULL, &error);
  g_autofree char *copy = g_build_filename (tmp, "demo", NULL);
  const char *argv[] = { "cp", "-a", dir, copy, NULL };
  int status = 0;

  g_assert_no_error (error);
  gl_project_close (demo);
  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                               &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  return g_steal_pointer (&copy);
}

static void
test_soak (void)
{
  g_autofree char *images = g_build_filename (GLEANER_FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz", NULL);
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  g_autofree char *tmp = NULL;
  g_autofree char *dir = NULL;
  Soak s = { 0 };
  double baseline = -1, peak = 0;
  g_autoptr (GArray) after = g_array_new (FALSE, FALSE, sizeof (double)); /* reports from --baseline on */
  guint next_report = opt_report_every;

  if (!g_file_test (images, G_FILE_TEST_EXISTS) || xdotool == NULL)
    {
      g_test_skip (xdotool == NULL ? "xdotool is not installed" : "Fashion-MNIST is not installed");
      return;
    }
  tmp = g_dir_make_tmp ("gleaner-soak-XXXXXX", NULL);
  dir = demo_copy (tmp);
  s.window = gleaner_test_open_window (app, dir);
  s.queue = gleaner_window_get_queue (s.window);
  s.trainer = gleaner_window_get_trainer (s.window);
  g_assert_nonnull (s.trainer);
  gl_trainer_set_retrain_every (s.trainer, opt_every);
  s.review = gleaner_label_view_get_review (
      GLEANER_LABEL_VIEW (gleaner_test_find_descendant (GTK_WIDGET (s.window), GLEANER_TYPE_LABEL_VIEW, 0)));
  g_assert_nonnull (s.review);
  if (opt_train_seconds >= 0)
    {
      gl_trainer_set_time_budget (s.trainer, opt_train_seconds);
      /* The detection in proportion (the app gives it more than a round). */
      gl_review_set_detect_seconds (s.review, MAX (2 * opt_train_seconds, 5));
    }
  g_signal_connect (s.trainer, "model-ready", G_CALLBACK (on_round_ended), &s);
  g_signal_connect (s.trainer, "failed", G_CALLBACK (on_round_failed), &s);
  s.start_labeled = gl_queue_get_n_labeled (s.queue);
  {
    g_autofree char *load = NULL;
    g_file_get_contents ("/proc/loadavg", &load, NULL, NULL);
    g_print ("soak: %u labels by key press into the demo project's Label view (%s), a round every %u labels; "
             "load average %s",
             opt_labels, dir, opt_every, load != NULL ? load : "?\n");
  }
  report (&s, 0);

  for (guint chunk = 0; s.sent < opt_labels; chunk++)
    {
      /* The round the labels of chunk c start runs while chunk c + 1 is
       * typed; it has ended before chunk c + 2: one round per chunk. */
      s.wanted_rounds = chunk >= 2 ? chunk - 1 : 0;
      gleaner_test_wait (rounds_caught_up, &s);
      type_chunk (&s, xdotool, MIN (opt_every, opt_labels - s.sent));
      gleaner_test_wait (chunk_done, &s);
      g_assert_cmpuint (gl_queue_get_n_labeled (s.queue) - s.start_labeled, ==, s.sent);
      if (s.sent >= next_report)
        {
          double rss;
          /* Measured between rounds, so that each report sees the same
           * phase: what stays is what a round leaves behind. */
          gleaner_test_wait (trainer_quiet, &s);
          rss = report (&s, s.sent);
          next_report += opt_report_every;
          if (s.sent >= opt_baseline)
            {
              if (baseline < 0)
                baseline = rss;
              peak = MAX (peak, rss);
              g_array_append_val (after, rss);
            }
        }
    }
  g_signal_handlers_disconnect_by_data (s.trainer, &s);
  g_assert_cmpuint (after->len, >=, 2);
  double early = 0, late = 0;
  for (guint i = 0; i < after->len; i++)
    {
      double v = g_array_index (after, double, i);
      if (i < (after->len + 1) / 2)
        early = MAX (early, v);
      else
        late = MAX (late, v);
    }
  g_print ("soak: %u keys typed, %u labels committed, %u rounds; resident set %.1f MB at label %u, %.1f MB at most "
           "after it (+%.1f MB); highest of the early half of the reports from there %.1f MB, of the late half "
           "%.1f MB (%+.1f MB; at most +%.0f MB allowed)\n",
           s.sent, (guint)(gl_queue_get_n_labeled (s.queue) - s.start_labeled), s.rounds_done, baseline,
           opt_baseline, peak, peak - baseline, early, late, late - early, GROWTH_MB);
  g_assert_cmpfloat (late - early, <=, GROWTH_MB);

  gtk_window_destroy (GTK_WINDOW (s.window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "labels", 0, 0, G_OPTION_ARG_INT, &opt_labels, "Labels to type (default 5000)", "N" },
    { "report-every", 0, 0, G_OPTION_ARG_INT, &opt_report_every, "Print the resident set every N labels (500)", "N" },
    { "baseline", 0, 0, G_OPTION_ARG_INT, &opt_baseline, "Check the growth from this label on (default 500)", "N" },
    { "every", 0, 0, G_OPTION_ARG_INT, &opt_every, "A round after every N labels (default 50)", "N" },
    { "train-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_train_seconds, "Time budget of a round (default: the app's)",
      "S" },
    { "demo-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_demo_dir, "The demo project, built once and kept", "DIR" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— a soak of the Label view");
  g_autoptr (GError) error = NULL;

  g_option_context_set_ignore_unknown_options (context, TRUE);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-soak: %s\n", error->message);
      return 2;
    }
  if (opt_labels == 0 || opt_report_every == 0 || opt_every == 0 || opt_baseline > opt_labels)
    {
      g_printerr ("bench-soak: --labels, --report-every and --every must be at least 1, --baseline at most --labels\n");
      return 2;
    }
  /* A round on the demo project under load takes minutes, not the minute
   * gleaner_test_wait allows by default. */
  g_setenv ("GLEANER_TEST_WAIT_SECONDS", "1800", FALSE);
  app = gleaner_test_app_init (&argc, &argv);
  g_test_add_func ("/soak/label-view", test_soak);
  return gleaner_test_app_run (app);
}
