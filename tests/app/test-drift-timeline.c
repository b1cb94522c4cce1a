/* test-drift-timeline.c — the drift timeline's reader and chart on the
 * Insights test project with drift results stored by hand
 * (synth_insights_drift): columns oldest to newest, each cell's strongest
 * test, insufficient data, the accuracy's standard error, an unknown
 * version, a project without a model; the chart's hit-testing agrees with
 * its layout, its text has every number, and it draws (light, dark, empty)
 * without a crash. */
#include <cairo.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "app/gl-chart-drift.h"
#include "app/gl-project.h"
#include "app/synth-project.h"

typedef struct
{
  char *tmp;
  GlProject *project;
  GlDb *db;
  SynthInsights ids;
  SynthDrift l;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->tmp = g_dir_make_tmp ("gleaner-drift-timeline-XXXXXX", &error);
  g_assert_no_error (error);
  fx->project = synth_insights_project (fx->tmp, &fx->ids);
  synth_insights_drift (fx->project, &fx->ids, &fx->l);
  fx->db = gl_db_open (gl_project_get_db_path (fx->project), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  gl_project_close (fx->project);
  gl_remove_tree (fx->tmp);
  g_free (fx->tmp);
}

static void
test_batches (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlDriftTimeline) t = gl_drift_timeline_load (fx->db, -1, GL_DB_DRIFT_BATCH, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->model_id, ==, fx->ids.v2);
  g_assert_cmpuint (t->n_classes, ==, 4);
  g_assert_cmpuint (t->n_columns, ==, 2);
  /* Oldest batch first, whatever order the results were stored in. */
  g_assert_cmpint (t->columns[0].batch_id, <, t->columns[1].batch_id);
  guint pool = t->columns[0].batch_id == fx->l.pool_batch ? 0 : 1;
  const GlDriftColumn *c = &t->columns[pool];
  g_assert_cmpint (c->first_image, ==, fx->l.pool_first);
  g_assert_cmpint (c->last_image, ==, fx->l.pool_last);
  g_assert_true (c->drifted);
  g_assert_cmpuint (c->n_fired, ==, 2);
  g_assert_cmpuint (c->n_tested, ==, 7); /* chi-square + 3 classes × 2; class 3's test had no data */
  g_assert_cmpint (c->top_class, ==, fx->ids.classes[1]);
  /* se = √(3 · (10 · 0.03)² + (4 · 0.03)²) / 34 */
  g_assert_cmpfloat_with_epsilon (c->accuracy_se, sqrt (3 * 0.09 + 0.0144) / 34, 1e-12);

  const GlDriftCell *bbsd = gl_drift_timeline_cell (t, 1, pool);
  g_assert_true (bbsd->drifted);
  g_assert_cmpstr (bbsd->test, ==, "bbsd");
  g_assert_cmpfloat (bbsd->p_adjusted, ==, 0.004);
  g_assert_cmpfloat (bbsd->p_value, ==, 0.001);
  g_assert_cmpfloat (bbsd->effect, ==, 0.41);
  g_assert_cmpuint (bbsd->n_ref, ==, 400);
  g_assert_cmpuint (bbsd->n_win, ==, 10);
  g_assert_cmpuint (bbsd->n_tested, ==, 2);
  const GlDriftCell *share = gl_drift_timeline_cell (t, 0, pool);
  g_assert_true (share->drifted);
  g_assert_cmpstr (share->test, ==, "share"); /* the fired one, not the smaller unfired p */
  g_assert_cmpfloat (share->p_adjusted, ==, 0.02);
  /* No test fired: the strongest is the smallest adjusted p. */
  const GlDriftCell *calm = gl_drift_timeline_cell (t, 2, pool);
  g_assert_false (calm->drifted);
  g_assert_cmpstr (calm->test, ==, "bbsd");
  g_assert_cmpfloat (calm->p_adjusted, ==, 0.6);
  const GlDriftCell *few = gl_drift_timeline_cell (t, 3, pool);
  g_assert_true (few->insufficient);
  g_assert_cmpuint (few->n_tested, ==, 0);
  g_assert_cmpuint (few->n_images, ==, 4);
  g_assert_true (isnan (few->p_adjusted));
  g_assert_cmpfloat (few->precision_est, ==, 0.72);
  g_assert_false (gl_drift_timeline_cell (t, 1, 1 - pool)->drifted);
}

static void
test_windows (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlDriftTimeline) t = gl_drift_timeline_load (fx->db, fx->ids.v2, GL_DB_DRIFT_WINDOW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->n_columns, ==, 2);
  g_assert_cmpint (t->columns[0].first_image, ==, fx->l.pool_first);
  g_assert_cmpint (t->columns[1].first_image, ==, fx->l.pool_mid);
  g_assert_cmpuint (t->columns[1].window_size, ==, 20);
  g_assert_true (gl_drift_timeline_cell (t, 1, 1)->drifted);
  g_autofree char *name = gl_drift_timeline_column_name (&t->columns[1]);
  g_autofree char *expected
      = g_strdup_printf ("images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, fx->l.pool_mid, fx->l.pool_last);
  g_assert_cmpstr (name, ==, expected);
  /* Version 1 has no drift results: an empty timeline, not an error. */
  g_autoptr (GlDriftTimeline) v1 = gl_drift_timeline_load (fx->db, fx->ids.v1, GL_DB_DRIFT_WINDOW, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (v1->n_columns, ==, 0);
  g_assert_cmpuint (v1->n_classes, ==, 4);
}

static void
test_no_model (void)
{
  GError *error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gleaner-drift-timeline-XXXXXX", &error);
  GlProject *p = synth_project (tmp, 8, 0);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  GlDriftTimeline *t = gl_drift_timeline_load (db, -1, GL_DB_DRIFT_BATCH, &error);
  g_assert_null (t);
  g_assert_error (error, GL_DRIFT_TIMELINE_ERROR, GL_DRIFT_TIMELINE_ERROR_NO_MODEL);
  g_clear_error (&error);
  g_clear_pointer (&db, gl_db_close);
  gl_project_close (p);
  gl_remove_tree (tmp);
}

/* How many distinct colours @timeline drawn at 800 × 320 has. */
static guint
draw_colours (const GlDriftTimeline *t, gboolean dark)
{
  GlChartPalette p;
  if (dark)
    gl_chart_palette_init_dark (&p);
  else
    gl_chart_palette_init_light (&p);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 800, 320);
  cairo_t *cr = cairo_create (s);
  gl_chart_drift_draw (cr, t, &p, 800, 320);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  const guint32 *px = (const guint32 *)cairo_image_surface_get_data (s);
  int stride = cairo_image_surface_get_stride (s) / 4;
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  for (int y = 0; y < 320; y++)
    for (int x = 0; x < 800; x++)
      g_hash_table_add (seen, GUINT_TO_POINTER (px[y * stride + x]));
  cairo_surface_destroy (s);
  return g_hash_table_size (seen);
}

static void
test_chart (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GlDriftTimeline) t = gl_drift_timeline_load (fx->db, -1, GL_DB_DRIFT_BATCH, &error);
  g_assert_no_error (error);
  guint pool = t->columns[0].batch_id == fx->l.pool_batch ? 0 : 1;
  /* Every cell and strip column is hit somewhere, and only where the scan
   * says: the hit cells form one rectangle each. */
  guint hits[4][2] = { { 0 } }, strip[2] = { 0 };
  for (int y = 0; y < 320; y++)
    for (int x = 0; x < 800; x++)
      {
        gint row = -2, col = -1;
        g_autofree char *text = gl_chart_drift_query (t, 800, 320, x, y, &row, &col);
        if (text == NULL)
          {
            g_assert_cmpint (row, ==, -2);
            continue;
          }
        g_assert_cmpint (col, >=, 0);
        g_assert_cmpint (col, <, 2);
        if (row == -1)
          strip[col]++;
        else
          hits[row][col]++;
      }
  for (guint k = 0; k < 4; k++)
    for (guint c = 0; c < 2; c++)
      g_assert_cmpuint (hits[k][c], >, 100);
  g_assert_cmpuint (strip[0], >, 50);
  g_assert_cmpuint (strip[1], >, 50);

  g_autofree char *numbers = gl_chart_drift_describe (t);
  g_autofree char *bbsd = g_strdup_printf ("%s, batch %" G_GINT64_FORMAT ": drift, 1 of 2 tests fired (Holm, α 0.05); "
                                           "strongest: BBSD (KS on the softmax column), statistic 0.410, p 0.0010 "
                                           "(adjusted 0.0040), effect 0.410, n 400 reference / 10 here; 10 images "
                                           "predicted as it, CBPE precision 0.720 ± 0.059 (reference 0.900 ± 0.039, 95%%)",
                                           synth_classes[1], t->columns[pool].batch_id);
  g_assert_nonnull (strstr (numbers, bbsd));
  g_assert_nonnull (strstr (numbers, "insufficient data, 4 images predicted as it (< 30): no verdict"));
  g_assert_nonnull (strstr (numbers, "estimated accuracy 0.720 ± 0.031 (95%, CBPE on 40 images), reference 0.900"));
  /* Windows stored without their level say so rather than assume one. */
  g_autoptr (GlDriftTimeline) windows = gl_drift_timeline_load (fx->db, -1, GL_DB_DRIFT_WINDOW, &error);
  g_assert_no_error (error);
  g_autofree char *window_numbers = gl_chart_drift_describe (windows);
  g_assert_nonnull (strstr (window_numbers, "1 of 2 tests fired (Holm, α not recorded)"));
  g_assert_null (strstr (window_numbers, "α 0.05"));

  g_assert_cmpuint (draw_colours (t, FALSE), >=, 20);
  g_assert_cmpuint (draw_colours (t, TRUE), >=, 20);
  g_assert_cmpuint (draw_colours (NULL, FALSE), >=, 2);
  g_autoptr (GlDriftTimeline) empty = gl_drift_timeline_load (fx->db, fx->ids.v1, GL_DB_DRIFT_BATCH, &error);
  g_assert_cmpuint (draw_colours (empty, TRUE), >=, 2);
  g_autofree char *none = gl_chart_drift_query (empty, 800, 320, 400, 160, NULL, NULL);
  g_assert_null (none);
  /* As files: a PNG and an SVG, and the SVG written to a file. */
  GlChartPalette light;
  gl_chart_palette_init_light (&light);
  g_autoptr (GBytes) png = gl_chart_drift_render (t, &light, GL_CHART_FORMAT_PNG, 800, 320, &error);
  g_assert_no_error (error);
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (png, &len);
  g_assert_cmpuint (len, >, 1000);
  g_assert_cmpmem (bytes, 8, "\x89PNG\r\n\x1a\n", 8);
  g_autoptr (GBytes) svg = gl_chart_drift_render (t, &light, GL_CHART_FORMAT_SVG, 800, 320, &error);
  g_assert_no_error (error);
  g_autofree char *svg_text = g_strndup (g_bytes_get_data (svg, NULL), g_bytes_get_size (svg));
  g_assert_nonnull (strstr (svg_text, "<svg"));
  g_autofree char *path = g_build_filename (fx->tmp, "drift.svg", NULL);
  g_assert_true (gl_chart_drift_export (t, &light, GL_CHART_FORMAT_SVG, 800, 320, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  /* A chart too small for its grid draws and answers nothing, without a crash. */
  g_autofree char *tiny = gl_chart_drift_query (t, 10, 10, 5, 5, NULL, NULL);
  g_assert_null (tiny);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/drift-timeline/batches", Fixture, NULL, fixture_set_up, test_batches, fixture_tear_down);
  g_test_add ("/drift-timeline/windows", Fixture, NULL, fixture_set_up, test_windows, fixture_tear_down);
  g_test_add_func ("/drift-timeline/no-model", test_no_model);
  g_test_add ("/drift-timeline/chart", Fixture, NULL, fixture_set_up, test_chart, fixture_tear_down);
  return g_test_run ();
}
