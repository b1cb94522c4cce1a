/* Tests of the Insights report (app/gl-insights.c) on a project whose
 * versions, metrics and predictions are stored by hand (synth-project.c), so
 * every figure is known; of the chart files (app/gl-chart.c): PNG magic and
 * size, SVG that parses as XML, safe writing; and of `gleaner-cli insights`
 * and `stats --json` end to end. */
#include "app/gl-chart-drift.h"
#include "app/gl-chart.h"
#include "app/gl-insights.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "synth-project.h"

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db;
  SynthInsights ids;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  f->dir = g_dir_make_tmp ("gleaner-insights-XXXXXX", &error);
  g_assert_no_error (error);
  f->project = synth_insights_project (f->dir, &f->ids);
  f->db = gl_db_open (gl_project_get_db_path (f->project), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gl_db_close (f->db);
  gl_project_close (f->project);
  gl_remove_tree (f->dir);
  g_free (f->dir);
}

/* Wilson 95% interval against the closed form evaluated apart in Python
 * (6 of 8: 0.409275–0.928521; 0 of 10: 0–0.277533; the usual tables agree). */
static void
test_wilson (void)
{
  GlProportion p;
  gl_proportion_wilson (6, 8, &p);
  g_assert_cmpfloat_with_epsilon (p.rate, 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (p.low, 0.409275, 1e-5);
  g_assert_cmpfloat_with_epsilon (p.high, 0.928521, 1e-5);
  gl_proportion_wilson (0, 10, &p);
  g_assert_cmpfloat (p.low, ==, 0.0);
  g_assert_cmpfloat_with_epsilon (p.high, 0.277533, 1e-5);
  gl_proportion_wilson (0, 0, &p);
  g_assert_true (isnan (p.rate) && isnan (p.low) && isnan (p.high));
}

static void
check_report (Fixture *f, const GlInsights *r)
{
  g_assert_cmpint (r->model_id, ==, f->ids.v2);
  g_assert_cmpint (r->previous_id, ==, f->ids.v1);
  g_assert_cmpint (r->current_id, ==, f->ids.v2);
  g_assert_cmpuint (r->n_classes, ==, 4);
  for (guint k = 0; k < 4; k++)
    g_assert_cmpint (r->class_ids[k], ==, f->ids.classes[k]);

  /* Learning curve with audit accuracy: v1 4 of 8, v2 6 of 8. */
  g_assert_cmpuint (r->n_versions, ==, 2);
  g_assert_cmpuint (r->version_index, ==, 1);
  g_assert_cmpuint (r->versions[0].n_labels, ==, 12);
  g_assert_cmpfloat (r->versions[0].val_accuracy, ==, 0.5);
  g_assert_cmpfloat (r->versions[1].macro_f1, ==, 0.7);
  g_assert_cmpuint (r->versions[0].audit.n, ==, 8);
  g_assert_cmpuint (r->versions[0].audit.successes, ==, 4);
  g_assert_cmpuint (r->versions[1].audit.n, ==, 8);
  g_assert_cmpuint (r->versions[1].audit.successes, ==, 6);
  g_assert_cmpfloat_with_epsilon (r->versions[1].audit.low, 0.409275, 1e-5);

  /* Per-class metrics (stored in reverse order for v2) and their change. */
  g_assert_true (r->has_metrics);
  for (guint k = 0; k < 4; k++)
    {
      g_assert_cmpfloat_with_epsilon (r->precision[k], 0.6 + 0.02 * k, 1e-12);
      g_assert_cmpfloat_with_epsilon (r->f1[k], 0.6 + 0.02 * k, 1e-12);
      g_assert_cmpfloat_with_epsilon (r->d_recall[k], (0.6 + 0.02 * k) - (0.5 + 0.01 * k), 1e-12);
      g_assert_cmpuint (r->support[k], ==, 10 + k);
    }

  /* Class balance: 8 labels per class; the unlabeled pool predicted 4 + 4. */
  g_assert_cmpuint (r->labeled_total, ==, 32);
  g_assert_cmpuint (r->predicted_total, ==, 8);
  for (guint k = 0; k < 4; k++)
    {
      g_assert_cmpuint (r->labeled[k], ==, 8);
      g_assert_cmpuint (r->predicted[k], ==, k < 2 ? 4 : 0);
    }

  /* The confusion matrix back in class order: cell (a, b) = 10 + 4a + b. */
  g_assert_nonnull (r->confusion);
  guint64 total = 0;
  for (guint a = 0; a < 4; a++)
    for (guint b = 0; b < 4; b++)
      {
        g_assert_cmpuint (r->confusion[a * 4 + b], ==, 10 + 4 * a + b);
        total += 10 + 4 * a + b;
      }
  g_assert_cmpuint (r->confusion_total, ==, total);
  /* Row 1: 14 15 16 17 (62). */
  g_assert_cmpfloat_with_epsilon (gl_insights_confusion_share (r, 1, 2), 16.0 / 62.0, 1e-12);

  /* Reliability: 8 audit at 0.95 (6 right) in bin 14; 20 test at 0.55 (16
   * right) in bin 8. ECE = 8/28 · |0.75 − 0.95| + 20/28 · |0.8 − 0.55|. */
  g_assert_cmpuint (r->reliability_n, ==, 28);
  g_assert_cmpuint (r->reliability_audit_n, ==, 8);
  for (guint b = 0; b < GL_INSIGHTS_BINS; b++)
    g_assert_cmpuint (r->bin_count[b], ==, b == 14 ? 8 : b == 8 ? 20 : 0);
  g_assert_cmpfloat_with_epsilon (gl_insights_bin_accuracy (r, 14), 0.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (gl_insights_bin_accuracy (r, 8), 0.8, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->bin_confidence[8], 0.55, 1e-12);
  g_assert_cmpfloat_with_epsilon (r->ece, 8.0 / 28 * 0.2 + 20.0 / 28 * 0.25, 1e-9);
}

static void
test_report (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlInsights) r = gl_insights_compute (f->db, -1, &error);
  g_assert_no_error (error);
  check_report (f, r);
}

/* A version that is not the current one: its balance comes from its own
 * predictions (the join, not the listing columns), no previous version. */
static void
test_report_older_version (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlInsights) r = gl_insights_compute (f->db, f->ids.v1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->model_id, ==, f->ids.v1);
  g_assert_cmpint (r->previous_id, ==, -1);
  g_assert_cmpuint (r->version_index, ==, 0);
  g_assert_cmpuint (r->predicted_total, ==, 8);
  g_assert_cmpuint (r->predicted[3], ==, 8);
  g_assert_true (isnan (r->d_f1[0]));
  g_assert_null (r->confusion); /* v1 stored no matrix */
  g_assert_cmpfloat_with_epsilon (r->precision[2], 0.52, 1e-12);

  g_autoptr (GlInsights) none = gl_insights_compute (f->db, 999, &error);
  g_assert_error (error, GL_INSIGHTS_ERROR, GL_INSIGHTS_ERROR_NO_MODEL);
  g_assert_null (none);
  g_clear_error (&error);
}

typedef struct
{
  GlInsights *report;
  GError *error;
  GThread *thread;
  gboolean done;
} AsyncResult;

static void
on_computed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncResult *a = user_data;
  a->thread = g_thread_self ();
  a->report = gl_insights_compute_finish (result, &a->error);
  a->done = TRUE;
}

/* Computed on a worker; the callback runs on the caller's (main) thread. */
static void
test_report_async (Fixture *f, gconstpointer data)
{
  AsyncResult a = { 0 };
  gl_insights_compute_async (gl_project_get_db_path (f->project), -1, NULL, on_computed, &a);
  while (!a.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (a.error);
  g_assert_true (a.thread == g_thread_self ());
  check_report (f, a.report);
  gl_insights_unref (a.report);
}

/* ---- Charts ---- */

static guint32
be32 (const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void
on_start_element (GMarkupParseContext *context, const char *element, const char **names, const char **values,
                  gpointer user_data, GError **error)
{
  guint *n = user_data;
  if (n[0]++ == 0)
    g_assert_cmpstr (element, ==, "svg");
  if (g_str_equal (element, "path") || g_str_equal (element, "rect") || g_str_equal (element, "use"))
    n[1]++;
}

static void
assert_svg (const char *data, gsize len)
{
  guint counts[2] = { 0, 0 };
  GMarkupParser parser = { on_start_element, NULL, NULL, NULL, NULL };
  GMarkupParseContext *ctx = g_markup_parse_context_new (&parser, G_MARKUP_IGNORE_QUALIFIED, counts, NULL);
  GError *error = NULL;
  /* GMarkup does not take the XML declaration: skip it. */
  const char *start = data;
  if (g_str_has_prefix (data, "<?xml"))
    start = strstr (data, "?>") + 2;
  g_assert_true (g_markup_parse_context_parse (ctx, start, (gssize)(len - (gsize)(start - data)), &error));
  g_assert_true (g_markup_parse_context_end_parse (ctx, &error));
  g_assert_no_error (error);
  g_markup_parse_context_free (ctx);
  g_assert_cmpuint (counts[1], >, 5); /* something was drawn */
}

static void
assert_png (const guint8 *data, gsize len, guint width, guint height)
{
  static const guint8 magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_assert_cmpuint (len, >, 33);
  g_assert_cmpmem (data, 8, magic, 8);
  g_assert_cmpmem (data + 12, 4, "IHDR", 4);
  g_assert_cmpuint (be32 (data + 16), ==, width);
  g_assert_cmpuint (be32 (data + 20), ==, height);
}

static void
test_chart_render (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlInsights) r = gl_insights_compute (f->db, -1, &error);
  g_assert_no_error (error);
  GlChartPalette palettes[2];
  gl_chart_palette_init_light (&palettes[0]);
  gl_chart_palette_init_dark (&palettes[1]);
  for (guint k = 0; k < GL_CHART_N_KINDS; k++)
    for (guint p = 0; p < 2; p++)
      {
        g_autoptr (GBytes) png = gl_chart_render (k, r, &palettes[p], GL_CHART_FORMAT_PNG, 640, 400, &error);
        g_assert_no_error (error);
        gsize len = 0;
        const guint8 *bytes = g_bytes_get_data (png, &len);
        assert_png (bytes, len, 640, 400);
        g_autoptr (GBytes) svg = gl_chart_render (k, r, &palettes[p], GL_CHART_FORMAT_SVG, 640, 400, &error);
        g_assert_no_error (error);
        const char *text = g_bytes_get_data (svg, &len);
        assert_svg (text, len);
        /* Every number is in the text alternative. */
        g_autofree char *table = gl_chart_describe (k, r);
        g_assert_true (table[0] != '\0');
      }
  g_autofree char *table = gl_chart_describe (GL_CHART_CONFUSION, r);
  g_assert_nonnull (strstr (table, "Labeled top-right (62): predicted top-left 14 (22.6%)"));
  g_autofree char *lc = gl_chart_describe (GL_CHART_LEARNING_CURVE, r);
  g_assert_nonnull (strstr (lc, "audit accuracy 0.750 (95% CI 0.409–0.929, 8 audit labels)"));
}

/* A point in every confusion cell answers with its classes; outside, nothing. */
static void
test_chart_query (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlInsights) r = gl_insights_compute (f->db, -1, &error);
  g_assert_no_error (error);
  /* Find the grid by scanning: the query agrees with the drawing's layout. */
  guint found = 0;
  gint seen[16] = { 0 };
  for (double y = 0; y < 400; y += 4)
    for (double x = 0; x < 640; x += 4)
      {
        gint row = -1, col = -1;
        g_autofree char *text = gl_chart_query (GL_CHART_CONFUSION, r, 640, 400, x, y, &row, &col);
        if (text == NULL)
          {
            g_assert_cmpint (row, ==, -1);
            continue;
          }
        g_assert_cmpint (row, >=, 0);
        g_assert_cmpint (col, >=, 0);
        g_autofree char *expect = g_strdup_printf ("Labeled %s, predicted %s: %u of", synth_classes[row],
                                                   synth_classes[col], 10 + 4 * row + col);
        g_assert_true (g_str_has_prefix (text, expect));
        seen[row * 4 + col] = 1;
        found++;
      }
  for (guint i = 0; i < 16; i++)
    g_assert_cmpint (seen[i], ==, 1);
  g_autofree char *none = gl_chart_query (GL_CHART_CONFUSION, r, 640, 400, 1, 1, NULL, NULL);
  g_assert_null (none);
  /* The other charts answer somewhere in their plot. */
  for (guint k = 0; k < GL_CHART_N_KINDS; k++)
    {
      gboolean any = FALSE;
      for (double y = 0; y < 400 && !any; y += 3)
        for (double x = 0; x < 640 && !any; x += 3)
          {
            g_autofree char *t = gl_chart_query (k, r, 640, 400, x, y, NULL, NULL);
            any = t != NULL;
          }
      g_assert_true (any);
    }
}

/* gl_chart_export replaces a symlink at the target instead of following it. */
static void
test_chart_export_safe (Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlInsights) r = gl_insights_compute (f->db, -1, &error);
  g_assert_no_error (error);
  GlChartPalette p;
  gl_chart_palette_init_light (&p);
  g_autofree char *victim = g_build_filename (f->dir, "victim.txt", NULL);
  g_autofree char *dest = g_build_filename (f->dir, "chart.svg", NULL);
  g_assert_true (g_file_set_contents (victim, "keep", -1, NULL));
  g_assert_cmpint (symlink (victim, dest), ==, 0);
  g_assert_true (gl_chart_export (GL_CHART_RELIABILITY, r, &p, GL_CHART_FORMAT_SVG, 300, 200, dest, &error));
  g_assert_no_error (error);
  g_autofree char *kept = NULL;
  g_assert_true (g_file_get_contents (victim, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "keep");
  g_assert_false (g_file_test (dest, G_FILE_TEST_IS_SYMLINK));
  g_autofree char *svg = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (dest, &svg, &len, NULL));
  assert_svg (svg, len);
  /* A folder that does not exist is an error naming the file. */
  g_autofree char *bad = g_build_filename (f->dir, "missing", "chart.png", NULL);
  g_assert_false (gl_chart_export (GL_CHART_CONFUSION, r, &p, GL_CHART_FORMAT_PNG, 300, 200, bad, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "chart.png"));
  g_clear_error (&error);
}

/* ---- gleaner-cli ---- */

static int
run_cli (const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  GError *error = NULL;
  g_autofree char *err = NULL;
  g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  if (err && *err)
    g_test_message ("%s", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
test_cli (Fixture *f, gconstpointer data)
{
  if (g_getenv ("GLEANER_CLI") == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  const char *proj = gl_project_get_dir (f->project);
  g_autofree char *out_dir = g_build_filename (f->dir, "charts", "v2", NULL);
  g_autofree char *out = NULL;
  const char *args[] = { "insights", proj, "--out", out_dir, "--json", NULL };
  g_assert_cmpint (run_cli (args, &out), ==, 0);
  g_assert_true (g_str_has_prefix (out, "{\"model_version\":"));
  g_assert_nonnull (strstr (out, "\"reliability\":{\"n\":28,\"audit\":8,"));
  g_assert_nonnull (strstr (out, "\"files\":["));
  for (guint k = 0; k < GL_CHART_N_KINDS; k++)
    {
      g_autofree char *png = g_strdup_printf ("%s/%s.png", out_dir, gl_chart_kind_id (k));
      g_autofree char *svg = g_strdup_printf ("%s/%s.svg", out_dir, gl_chart_kind_id (k));
      g_autofree char *bytes = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
      assert_png ((const guint8 *)bytes, len, GL_CHART_EXPORT_WIDTH, GL_CHART_EXPORT_HEIGHT);
      g_clear_pointer (&bytes, g_free);
      g_assert_true (g_file_get_contents (svg, &bytes, &len, NULL));
      assert_svg (bytes, len);
    }
  {
    /* The drift timeline of the same version, at the height the Insights
     * view exports it. */
    g_autoptr (GError) error = NULL;
    g_autoptr (GlDriftTimeline) t
        = gl_drift_timeline_load (gl_project_get_db (f->project), -1, GL_DB_DRIFT_BATCH, &error);
    g_autofree char *png = g_strdup_printf ("%s/drift-timeline.png", out_dir);
    g_autofree char *svg = g_strdup_printf ("%s/drift-timeline.svg", out_dir);
    g_autofree char *bytes = NULL;
    gsize len = 0;

    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
    assert_png ((const guint8 *)bytes, len, GL_CHART_EXPORT_WIDTH, gl_chart_drift_export_height (t));
    g_clear_pointer (&bytes, g_free);
    g_assert_true (g_file_get_contents (svg, &bytes, &len, NULL));
    assert_svg (bytes, len);
    g_assert_nonnull (strstr (out, "/drift-timeline.svg\""));
  }
  /* A version that does not exist, and a missing --out, fail with a message. */
  g_autofree char *out2 = NULL;
  const char *bad[] = { "insights", proj, "--out", out_dir, "--version", "77", NULL };
  g_assert_cmpint (run_cli (bad, &out2), ==, 1);
  const char *usage[] = { "insights", proj, NULL };
  g_assert_cmpint (run_cli (usage, NULL), ==, 2);
  /* A file where the folder should be. */
  g_autofree char *file = g_build_filename (f->dir, "a-file", NULL);
  g_assert_true (g_file_set_contents (file, "x", -1, NULL));
  const char *in_the_way[] = { "insights", proj, "--out", file, NULL };
  g_assert_cmpint (run_cli (in_the_way, NULL), ==, 1);

  /* stats --json: every version's per-class metrics and audit interval. */
  g_autofree char *stats = NULL;
  const char *sargs[] = { "stats", proj, "--json", NULL };
  g_assert_cmpint (run_cli (sargs, &stats), ==, 0);
  g_assert_nonnull (strstr (stats, "\"learning_curve\":[{\"version\":1,\"labels\":12,\"accuracy\":0.5"));
  g_assert_nonnull (strstr (stats, "\"audit\":{\"n\":8,\"correct\":4,\"accuracy\":0.5,"));
  g_assert_nonnull (strstr (stats, "\"audit\":{\"n\":8,\"correct\":6,\"accuracy\":0.75,"));
  g_assert_nonnull (strstr (stats, "\"classes\":[{\"class\":\"top-left\",\"precision\":0.5,"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/insights/wilson", test_wilson);
  g_test_add ("/insights/report", Fixture, NULL, fixture_set_up, test_report, fixture_tear_down);
  g_test_add ("/insights/report-older-version", Fixture, NULL, fixture_set_up, test_report_older_version,
              fixture_tear_down);
  g_test_add ("/insights/report-async", Fixture, NULL, fixture_set_up, test_report_async, fixture_tear_down);
  g_test_add ("/insights/chart-render", Fixture, NULL, fixture_set_up, test_chart_render, fixture_tear_down);
  g_test_add ("/insights/chart-query", Fixture, NULL, fixture_set_up, test_chart_query, fixture_tear_down);
  g_test_add ("/insights/chart-export-safe", Fixture, NULL, fixture_set_up, test_chart_export_safe,
              fixture_tear_down);
  g_test_add ("/insights/cli", Fixture, NULL, fixture_set_up, test_cli, fixture_tear_down);
  return g_test_run ();
}
