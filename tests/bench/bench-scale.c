/* bench-scale — the labeling loop at scale (issue 16). Not a test.
 *
 * On a generated project of --images N images (default 1,000,000; 28×28
 * grey pixels included, one distinct row each: ten learnable patterns with
 * noise, so the engine really trains on and scores them), with a previous
 * model version current (a prediction for every image) and --labels 5,000
 * human labels, it measures:
 *   - a full round through GlTrainer (train within the default time budget,
 *     score the whole pool, write the predictions, make the version current,
 *     store the ranking): round_s, and swap_s of it (gl_db_set_current_model);
 *   - labels committed through a GlQueue every --interval-ms (100) from the
 *     start of the round to --after-s (10) seconds after it, as the Label view
 *     does (gl_queue_label_async): how long each waited for its commit
 *     (label_wait_p99_ms, label_wait_max_ms), and starved_s, the seconds during
 *     which the queue had no image to offer;
 *   - then a bulk labeling of every image of the project (the Gallery's "select
 *     all" and a class key: gl_db_set_labels_chunked on its own connection)
 *     while the queue keeps labeling: bulk_label_s, its longest write-lock
 *     hold, and the waits of the queue's labels meanwhile;
 *   - every write transaction of the process during the round and during
 *     the bulk labeling: how long it held the write lock (the longest, and
 *     how many held it over 20, 50 and 100 ms; target: none over 50 ms);
 *   - rss_mb: the peak resident set of this process (the project is generated
 *     by a child process, this program with --generate-only).
 * It prints the load average, the CPU, the engine's kernels, the disk use of
 * the project, and last exactly
 *   scale: swap_s=S round_s=S label_wait_p99_ms=M label_wait_max_ms=M starved_s=S bulk_label_s=S rss_mb=M
 *
 * --project DIR keeps the generated project there and reuses it when it
 * exists (a reused project has had a round and a bulk labeling already: use
 * a fresh one for the figures); otherwise a temporary folder is removed at
 * the end.
 */
#include "gleaner-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/gl-demo.h"
#include "app/gl-engine-info.h"
#include "app/gl-pixel-cache.h"
#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-rescore.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"

#define SIDE 28
#define N_CLASSES 10
#define BATCH 10000

static guint opt_images = 1000000;
static guint opt_labels = 5000;
static guint opt_interval_ms = 100;
static double opt_after_s = 10;
static char *opt_project = NULL;
static gboolean opt_generate_only = FALSE;
static double opt_rescore_budget = 0;

static void
fail (const char *what, GError *error)
{
  g_printerr ("bench-scale: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (1);
}

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* ---- Figures ------------------------------------------------------------ */

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double
percentile (GArray *values, double p)
{
  if (values->len == 0)
    return NAN;
  g_autoptr (GArray) sorted = g_array_copy (values);
  g_array_sort (sorted, cmp_double);
  guint i = (guint) ceil (p / 100.0 * sorted->len);
  return g_array_index (sorted, double, MIN (MAX (i, 1) - 1, sorted->len - 1));
}

static double
peak_rss_mb (void)
{
  g_autofree char *status = NULL;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return NAN;
  const char *p = strstr (status, "VmHWM:");
  return p ? g_ascii_strtod (p + 6, NULL) / 1024.0 : NAN;
}

/* Bytes the files under @dir take on disk. */
static guint64
disk_use (const char *dir)
{
  guint64 total = 0;
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;
      if (lstat (path, &st) != 0)
        continue;
      total += S_ISDIR (st.st_mode) ? disk_use (path) : (guint64) st.st_blocks * 512;
    }
  return total;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
print_machine (void)
{
  g_autofree char *loadavg = NULL, *cpuinfo = NULL;
  g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL);
  g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL);
  const char *model = cpuinfo ? strstr (cpuinfo, "model name") : NULL;
  g_autofree char *cpu = model ? g_strndup (model, strcspn (model, "\n")) : g_strdup ("model name: unknown");
  gl_engine_info_init ();
  g_autofree char *kernels = gl_engine_info_describe ();
  g_print ("machine: %s, %u logical CPUs, load average %s", cpu, g_get_num_processors (),
           loadavg ? loadavg : "unknown\n");
  g_print ("engine: %s\n", kernels);
}

/* Every write transaction of this process (the round's connection, the
 * queue's writer, the bulk labeling's): how long each held the write lock. */
static void
print_holds (const char *when, const GlDbHoldStats *h)
{
  g_print ("write-lock holds %s: n=%" G_GUINT64_FORMAT ", longest %.1f ms, mean %.2f ms, over 20 ms: %" G_GUINT64_FORMAT
           ", over 50 ms: %" G_GUINT64_FORMAT ", over 100 ms: %" G_GUINT64_FORMAT "; the longest began with: %s\n",
           when, h->n, h->max_us / 1000.0, h->n ? h->total_us / 1000.0 / h->n : 0.0, h->over_20ms, h->over_50ms,
           h->over_100ms, h->max_us > 0 ? h->max_what : "-");
}

/* ---- The generated project -------------------------------------------- */

/* Image @i's class: the pattern its pixels were drawn from. */
static guint
true_class (guint64 cache_row)
{
  return (guint) (cache_row % N_CLASSES);
}

/* One row of pixels: class @c's oriented stripes with uniform noise. */
static void
draw_row (guint c, GRand *rand, guint8 *out)
{
  double theta = G_PI * c / N_CLASSES, period = 5.0 + (c % 3) * 2.0;
  for (guint y = 0; y < SIDE; y++)
    for (guint x = 0; x < SIDE; x++)
      {
        double v = 128 + 90 * sin (2 * G_PI * (x * cos (theta) + y * sin (theta)) / period)
                   + g_rand_double_range (rand, -45, 45);
        out[y * SIDE + x] = (guint8) CLAMP (v, 0, 255);
      }
}

static void
generate (const char *dir)
{
  GError *error = NULL;
  double t0 = now_s ();
  g_autoptr (GlProject) project = gl_project_create (dir, SIDE, SIDE, 1, gl_demo_class_names (), &error);
  if (project == NULL)
    fail ("create the project", error);
  g_autoptr (GlPixelCache) cache = gl_pixel_cache_open (gl_project_get_pixels_path (project), SIDE, SIDE, 1, &error);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), &error);
  if (cache == NULL || db == NULL)
    fail ("open the project", error);
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, &error);
  gint64 batch = -1, model = -1;
  GlDbModelVersion version = { .path = (char *) "generated", .val_accuracy = NAN, .macro_f1 = NAN, .ece = NAN };
  if (classes == NULL || classes->len < N_CLASSES
      || !gl_db_begin_batch (db, "bench-scale", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error)
      || !gl_db_add_model_version (db, &version, &model, &error) || !gl_db_set_current_model (db, model, &error))
    fail ("prepare the project", error);
  GRand *rand = g_rand_new_with_seed (16);
  g_autofree guint8 *rows = g_malloc ((gsize) BATCH * SIDE * SIDE);
  g_autofree GlDbNewImage *add = g_new0 (GlDbNewImage, BATCH);
  g_autofree GlDbPrediction *preds = g_new0 (GlDbPrediction, BATCH);
  g_autofree gint64 *ids = g_new (gint64, BATCH);
  GStringChunk *strings = g_string_chunk_new (1 << 20);
  g_autoptr (GArray) to_label = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint label_every = MAX (opt_images / MAX (opt_labels, 1), 1);
  for (guint start = 0; start < opt_images; start += BATCH)
    {
      guint n = MIN (BATCH, opt_images - start);
      for (guint k = 0; k < n; k++)
        draw_row (true_class (start + k), rand, rows + (gsize) k * SIDE * SIDE);
      guint64 first = 0;
      if (!gl_pixel_cache_append (cache, rows, n, &first, &error))
        fail ("write pixels", error);
      for (guint k = 0; k < n; k++)
        {
          char buf[96];
          g_snprintf (buf, sizeof buf, "%s/pool/%03u/item-%07u.png", dir, (start + k) % 1000, start + k);
          add[k].path = g_string_chunk_insert (strings, buf);
          g_snprintf (buf, sizeof buf, "%064x", start + k + 1);
          add[k].hash_hex = g_string_chunk_insert (strings, buf);
          add[k].cache_row = (gint64) (first + k);
          add[k].size_bytes = SIDE * SIDE;
        }
      if (!gl_db_add_images (db, batch, add, n, ids, NULL, &error))
        fail ("add images", error);
      for (guint k = 0; k < n; k++)
        {
          guint i = start + k;
          double prob = 0.2 + 0.79 * (double) ((i * 2654435761u) % 10007) / 10007.0;
          preds[k] = (GlDbPrediction){ ids[k], g_array_index (classes, GlDbClass, i % N_CLASSES).id, prob, 1 - prob,
                                       NULL, 0 };
          if (i % label_every == label_every / 2 && to_label->len < opt_labels)
            g_array_append_val (to_label, ids[k]);
        }
      if (!gl_db_add_predictions (db, model, preds, n, &error))
        fail ("add predictions", error);
      g_string_chunk_clear (strings);
      if ((start / BATCH) % 20 == 19)
        g_print ("  %u images…\n", start + n);
    }
  g_string_chunk_free (strings);
  g_rand_free (rand);
  if (!gl_pixel_cache_sync (cache, &error))
    fail ("sync pixels", error);
  /* The human labels: the true class of images spread over the project
   * (image id i has cache row i - 1). */
  for (guint c = 0; c < N_CLASSES; c++)
    {
      g_autoptr (GArray) of_class = g_array_new (FALSE, FALSE, sizeof (gint64));
      for (guint i = 0; i < to_label->len; i++)
        if (true_class ((guint64) g_array_index (to_label, gint64, i) - 1) == c)
          g_array_append_val (of_class, g_array_index (to_label, gint64, i));
      if (!gl_db_set_labels (db, (gint64 *) (void *) of_class->data, of_class->len,
                             g_array_index (classes, GlDbClass, c).id, GL_DB_ORIGIN_HUMAN, "bench", &error))
        fail ("add labels", error);
    }
  g_print ("generated: the current version is a stand-in without a model file (its predictions fill the listing); "
           "the measured round trains a new network\n");
  g_print ("generated: %u images (pixels %ux%u), a current model version with a prediction each, %u labels, in "
           "%.1f s\n",
           opt_images, SIDE, SIDE, to_label->len, now_s () - t0);
}

/* ---- The labeler -------------------------------------------------------- */

typedef struct
{
  GlQueue *queue;          /* borrowed; main thread */
  GArray *waits_ms;        /* label commit waits during the round and after it */
  GArray *bulk_waits_ms;   /* the same while the bulk labeling runs */
  gboolean in_bulk;
  gboolean busy;           /* a label is being committed */
  double sent_s;           /* when it was sent */
  double last_tick_s;
  double starved_s;        /* ticks with no image to offer */
  gboolean count_starved;
  guint errors;
} Labeler;

static void
on_labeled (GObject *source, GAsyncResult *result, gpointer data)
{
  Labeler *l = data;
  g_autoptr (GError) error = NULL;
  if (!gl_queue_finish (GL_QUEUE (source), result, &error))
    {
      if (l->errors++ < 5)
        g_printerr ("bench-scale: a label failed: %s\n", error->message);
    }
  else
    {
      double ms = (now_s () - l->sent_s) * 1000.0;
      g_array_append_val (l->in_bulk ? l->bulk_waits_ms : l->waits_ms, ms);
    }
  l->busy = FALSE;
}

static gboolean
on_tick (gpointer data)
{
  Labeler *l = data;
  double t = now_s ();
  const GlQueueItem *item = gl_queue_get_current (l->queue);
  if (item == NULL && l->count_starved)
    l->starved_s += t - l->last_tick_s;
  l->last_tick_s = t;
  if (item == NULL || l->busy)
    return G_SOURCE_CONTINUE;
  l->busy = TRUE;
  l->sent_s = t;
  gl_queue_label_async (l->queue, (gint) true_class (item->cache_row), GL_LABEL_ORIGIN_HUMAN, on_labeled, l);
  return G_SOURCE_CONTINUE;
}

static void
iterate_for (double seconds)
{
  double end = now_s () + seconds;
  while (now_s () < end)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- The bulk labeling -------------------------------------------------- */

typedef struct
{
  const char *db_path;
  gint64 class_id;
  GlDbBulkStats stats;
  double seconds;
  GError *error;
  gint done; /* atomic */
} Bulk;

static gpointer
bulk_thread (gpointer data)
{
  Bulk *b = data;
  g_autoptr (GlDb) db = gl_db_open (b->db_path, &b->error);
  g_autoptr (GArray) rows = db ? gl_db_list_image_rows (db, -1, 0, &b->error) : NULL;
  if (rows != NULL)
    {
      g_autofree gint64 *ids = g_new (gint64, MAX (rows->len, 1));
      for (guint i = 0; i < rows->len; i++)
        ids[i] = g_array_index (rows, GlDbImageRow, i).image_id;
      double t0 = now_s ();
      gl_db_set_labels_chunked (db, ids, rows->len, b->class_id, GL_DB_ORIGIN_HUMAN, "bench", NULL, NULL, NULL,
                                &b->stats, &b->error);
      b->seconds = now_s () - t0;
    }
  g_atomic_int_set (&b->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* ---- Main --------------------------------------------------------------- */

/* When the round's rankings reached the queue, seconds from its start:
 * the first one (the rescore's first chunk) and the last. */
typedef struct
{
  double start_s;
  double first_s, last_s; /* -1: none yet */
  guint n;
} Rankings;

static void
on_ranking_ready (GlTrainer *trainer, gpointer data)
{
  Rankings *r = data;
  double t = now_s () - r->start_s;
  if (r->n++ == 0)
    r->first_s = t;
  r->last_s = t;
}

static const GOptionEntry entries[] = {
  { "images", 0, 0, G_OPTION_ARG_INT, &opt_images, "Images of the generated project (default 1000000)", "N" },
  { "labels", 0, 0, G_OPTION_ARG_INT, &opt_labels, "Human labels before the round (default 5000)", "N" },
  { "interval-ms", 0, 0, G_OPTION_ARG_INT, &opt_interval_ms, "A label through the queue this often (default 100)",
    "MS" },
  { "after-s", 0, 0, G_OPTION_ARG_DOUBLE, &opt_after_s, "Labeling goes on this long after the round (default 10)",
    "S" },
  { "rescore-budget", 0, 0, G_OPTION_ARG_DOUBLE, &opt_rescore_budget,
    "Seconds of rescoring the pool (default 0: the whole pool)", "S" },
  { "project", 0, 0, G_OPTION_ARG_FILENAME, &opt_project, "Keep (or reuse) the generated project here", "DIR" },
  { "generate-only", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_generate_only, NULL, NULL },
  { NULL }
};

int
main (int argc, char **argv)
{
  GError *error = NULL;
  g_autoptr (GOptionContext) context = g_option_context_new ("— the labeling loop on a generated project (issue 16)");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-scale: %s\n", error->message);
      return 2;
    }
  if (opt_images < 100 || opt_labels < 20 || opt_labels > opt_images / 2 || opt_interval_ms == 0)
    {
      g_printerr ("bench-scale: --images must be at least 100, --labels between 20 and half the images, "
                  "--interval-ms above 0 (got %u, %u, %u)\n", opt_images, opt_labels, opt_interval_ms);
      return 2;
    }
  if (opt_generate_only)
    {
      generate (opt_project);
      return 0;
    }
  print_machine ();
  g_print ("measures: a round (train, score %u images, swap) with labels through the queue every %u ms, then a "
           "bulk labeling of every image; %u labels before the round\n",
           opt_images, opt_interval_ms, opt_labels);
  gboolean temporary = opt_project == NULL;
  g_autofree char *dir = temporary ? g_dir_make_tmp ("gl-bench-scale-XXXXXX", &error) : g_strdup (opt_project);
  if (dir == NULL)
    fail ("make a folder", error);
  g_autofree char *project_dir = temporary ? g_build_filename (dir, "project", NULL) : g_strdup (dir);
  if (!g_file_test (project_dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *images = g_strdup_printf ("%u", opt_images), *labels = g_strdup_printf ("%u", opt_labels);
      const char *child[] = { self ? self : argv[0], "--generate-only", "--project", project_dir, "--images", images,
                              "--labels", labels, NULL };
      int status = 0;
      if (!g_spawn_sync (NULL, (char **) child, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL, &status,
                         &error)
          || !g_spawn_check_wait_status (status, &error))
        fail ("generate the project", error);
    }
  else
    g_print ("reusing %s (figures are for a fresh project)\n", project_dir);
  g_print ("project on disk: %.2f GB\n", disk_use (project_dir) / 1e9);

  g_autoptr (GlProject) project = gl_project_open (project_dir, &error);
  if (project == NULL)
    fail ("open the project", error);
  g_autoptr (GlTrainer) trainer = gl_trainer_new (project, &error);
  g_autoptr (GlQueue) queue = trainer ? gl_queue_new (project, &error) : NULL;
  if (queue == NULL)
    fail ("open the queue", error);
  gl_trainer_set_retrain_every (trainer, 0);
  gl_trainer_set_rescore_budget (trainer, opt_rescore_budget);
  gl_queue_set_trainer (queue, trainer);
  Rankings rankings = { now_s (), -1, -1, 0 };
  g_signal_connect (trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), &rankings);
  Labeler l = { queue, g_array_new (FALSE, FALSE, sizeof (double)), g_array_new (FALSE, FALSE, sizeof (double)) };
  l.last_tick_s = now_s ();
  l.count_starved = TRUE;
  guint tick = g_timeout_add (opt_interval_ms, on_tick, &l);

  gl_db_reset_hold_stats ();
  double t0 = now_s ();
  rankings.start_s = t0;
  GlTrainerReport report = { 0 };
  if (!gl_trainer_run_round (trainer, TRUE, &report, NULL, &error))
    fail ("run the round", error);
  double round_s = now_s () - t0;
  g_print ("round: %.1f s (train %.1f s, %u epochs on %" G_GUINT64_FORMAT " labels; score %" G_GUINT64_FORMAT
           " images and write their predictions %.1f s, of which the swap %.3f s); validation accuracy %.3f\n",
           round_s, report.train_seconds, report.epochs, report.n_train, report.n_scored, report.score_seconds,
           report.swap_seconds, report.accuracy);
  g_print ("rescore (app/gl-rescore.c: chunks of %d images after a first of %d, previous ranking first; its store "
           "writes on the trainer's writer thread at normal priority, the engine at SCHED_IDLE): %u rankings reached "
           "the queue, the first %.1f s and the last %.1f s after the round started; %" G_GUINT64_FORMAT
           " images resumed from an earlier rescore, %" G_GUINT64_FORMAT " skipped (budget %.0f s)\n",
           GL_RESCORE_CHUNK, GL_RESCORE_FIRST_CHUNK, rankings.n, rankings.first_s, rankings.last_s, report.n_resumed,
           report.n_skipped, report.rescore_budget);
  iterate_for (opt_after_s);
  l.count_starved = FALSE;
  guint n_round_labels = l.waits_ms->len;
  GlDbHoldStats round_holds;
  gl_db_get_hold_stats (&round_holds);

  /* The bulk labeling, while the queue keeps labeling. */
  g_autoptr (GArray) classes = gl_db_list_classes (gl_project_get_db (project), FALSE, &error);
  if (classes == NULL)
    fail ("list classes", error);
  Bulk bulk = { gl_project_get_db_path (project), g_array_index (classes, GlDbClass, 0).id };
  l.in_bulk = TRUE;
  gl_db_reset_hold_stats ();
  GThread *thread = g_thread_new ("bulk", bulk_thread, &bulk);
  while (!g_atomic_int_get (&bulk.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (bulk.error != NULL)
    fail ("bulk labeling", bulk.error);
  g_source_remove (tick);
  while (l.busy)
    g_main_context_iteration (NULL, TRUE);
  GlDbHoldStats bulk_holds;
  gl_db_get_hold_stats (&bulk_holds);

  double p50 = percentile (l.waits_ms, 50), p99 = percentile (l.waits_ms, 99), max = percentile (l.waits_ms, 100);
  g_print ("labels through the queue during the round and %.0f s after: n=%u, wait median %.1f ms, p99 %.1f ms, "
           "max %.1f ms; %u failed; starved %.1f s\n",
           opt_after_s, n_round_labels, p50, p99, max, l.errors, l.starved_s);
  g_print ("bulk labeling: %" G_GUINT64_FORMAT " images in %.1f s, %u chunks, longest write-lock hold %.1f ms, "
           "%.1f database pages written per image, at most %u rows and %" G_GUINT64_FORMAT " pages in one chunk; "
           "labels through the queue meanwhile: n=%u, wait p99 %.1f ms, max %.1f ms\n",
           bulk.stats.done, bulk.seconds, bulk.stats.chunks, bulk.stats.max_hold_us / 1000.0,
           bulk.stats.done ? (double) bulk.stats.pages / bulk.stats.done : 0.0, bulk.stats.max_rows,
           bulk.stats.max_pages, l.bulk_waits_ms->len,
           percentile (l.bulk_waits_ms, 99), percentile (l.bulk_waits_ms, 100));
  print_holds ("during the round and after it", &round_holds);
  print_holds ("during the bulk labeling", &bulk_holds);
  double rss = peak_rss_mb ();
  g_print ("targets: swap <= 2 s, round <= 120 s, label wait p99 <= 20 ms and max <= 100 ms, starved 0 s, "
           "bulk of 1M <= 60 s with no lock hold over 100 ms, any write-lock hold <= 50 ms, peak RSS <= 1024 MB\n");
  g_print ("scale: swap_s=%.3f round_s=%.1f label_wait_p99_ms=%.1f label_wait_max_ms=%.1f starved_s=%.1f "
           "bulk_label_s=%.1f rss_mb=%.0f\n",
           report.swap_seconds, round_s, p99, max, l.starved_s, bulk.seconds, rss);
  g_array_unref (l.waits_ms);
  g_array_unref (l.bulk_waits_ms);
  g_clear_object (&queue);
  g_clear_object (&trainer);
  g_clear_pointer (&project, gl_project_close);
  if (temporary)
    remove_tree (dir);
  return 0;
}
