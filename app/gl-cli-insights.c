/* gl-cli-insights.c — gleaner-cli insights: the Insights charts of a model
 * version as SVG and PNG files, the drift timeline included
 * (drift-timeline.svg/.png, import batches or --drift-windows), drawn by the
 * same code as the window's. */
#include "gleaner-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

#include "app/gl-chart-drift.h"
#include "app/gl-chart.h"
#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-insights.h"
#include "app/gl-project.h"

static struct
{
  char *out_dir;
  gint64 version;
  gboolean drift_windows;
} insights_opt = { NULL, -1, FALSE };

const GOptionEntry gl_cli_insights_options[] = {
  { "out", 'o', 0, G_OPTION_ARG_FILENAME, &insights_opt.out_dir, "Folder for the chart files (created when missing)",
    "DIR" },
  { "version", 0, 0, G_OPTION_ARG_INT64, &insights_opt.version, "Model version (default: the current one)", "N" },
  { "drift-windows", 0, 0, G_OPTION_ARG_NONE, &insights_opt.drift_windows,
    "The drift timeline over sliding windows (default: over import batches)", NULL },
  { NULL },
};

int
gl_cli_insights (int argc, char **argv)
{
  /* --json: the report and the files written as one JSON object. */
  const char *out_dir = insights_opt.out_dir;
  const gint64 version = insights_opt.version;
  const gboolean json = gl_cli_json;
  if (argc != 2 || out_dir == NULL)
    return gl_cli_usage ("insights");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) project = gl_project_open (argv[1], &error);
  g_autoptr (GlDb) db = project ? gl_db_open (gl_project_get_db_path (project), &error) : NULL;
  g_autoptr (GlInsights) report = db ? gl_insights_compute (db, version, &error) : NULL;
  if (report == NULL)
    return gl_cli_fail ("insights", error);
  /* The files themselves are written safely (gl_chart_export), so the
   * folder may be a symlink the user made. */
  if (g_mkdir_with_parents (out_dir, 0755) != 0 || !g_file_test (out_dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *disp = g_filename_display_name (out_dir);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create the folder %s: %s", disp,
                   g_strerror (errno));
      return gl_cli_fail ("insights", error);
    }
  GlChartPalette palette;
  gl_chart_palette_init_light (&palette);
  /* The drift timeline of the same version, as the Insights view shows it. */
  g_autoptr (GlDriftTimeline) timeline = gl_drift_timeline_load (
      db, report->model_id, insights_opt.drift_windows ? GL_DB_DRIFT_WINDOW : GL_DB_DRIFT_BATCH, &error);
  if (timeline == NULL)
    return gl_cli_fail ("insights", error);
  g_autoptr (GString) files = g_string_new (NULL);
  for (guint k = 0; k <= GL_CHART_N_KINDS; k++)
    for (guint f = 0; f < 2; f++)
      {
        GlChartFormat format = f == 0 ? GL_CHART_FORMAT_SVG : GL_CHART_FORMAT_PNG;
        /* Kind GL_CHART_N_KINDS: the drift timeline. */
        const char *id = k < GL_CHART_N_KINDS ? gl_chart_kind_id (k) : "drift-timeline";
        g_autofree char *name = g_strdup_printf ("%s.%s", id, f == 0 ? "svg" : "png");
        g_autofree char *path = g_build_filename (out_dir, name, NULL);
        gboolean ok = k < GL_CHART_N_KINDS
                          ? gl_chart_export (k, report, &palette, format, GL_CHART_EXPORT_WIDTH, GL_CHART_EXPORT_HEIGHT,
                                             path, &error)
                          : gl_chart_drift_export (timeline, &palette, format, GL_CHART_EXPORT_WIDTH,
                                                   gl_chart_drift_export_height (timeline), path, &error);
        if (!ok)
          return gl_cli_fail ("insights", error);
        if (json)
          {
            g_string_append (files, files->len ? "," : "");
            gl_json_append_string (files, path);
          }
        else
          {
            g_autofree char *disp = g_filename_display_name (path);
            printf ("wrote %s\n", disp);
          }
      }
  if (json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      gl_insights_append_json (report, out);
      g_string_truncate (out, out->len - 1); /* the closing brace */
      g_string_append_printf (out, ",\"files\":[%s]}", files->str);
      fwrite (out->str, 1, out->len, stdout);
      fputc ('\n', stdout);
    }
  return 0;
}
