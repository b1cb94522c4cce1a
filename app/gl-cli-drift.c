/* gl-cli-drift.c — `gleaner-cli drift` and the drift summary after `import`. */
#include "app/gl-cli.h"
#include "app/gl-drift-report.h"
#include "app/gl-export.h"
#include "app/gl-project.h"

#include <math.h>
#include <stdio.h>

/* Class id → name (borrowed from @classes). */
static GHashTable *
class_names (GArray *classes)
{
  GHashTable *names = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < classes->len; i++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      g_hash_table_insert (names, g_memdup2 (&c->id, sizeof c->id), c->name);
    }
  return names;
}

static const char *
name_of (GHashTable *names, gint64 class_id)
{
  const char *name = class_id >= 0 ? g_hash_table_lookup (names, &class_id) : NULL;
  return name != NULL ? name : "(all)";
}

/* "batch 3" or "window of 200, images 1201–1400". */
static char *
result_title (const GlDbDriftResult *r)
{
  if (r->kind == GL_DB_DRIFT_BATCH)
    return g_strdup_printf ("batch %" G_GINT64_FORMAT " (%" G_GUINT64_FORMAT " images)", r->batch_id,
                            r->n_images);
  return g_strdup_printf ("window of %u, images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT " (%" G_GUINT64_FORMAT
                          ")",
                          r->window_size, r->first_image, r->last_image, r->n_images);
}

/* One line: the verdict of @r. */
static void
print_summary_line (GString *out, const GlDbDriftResult *r, GHashTable *names)
{
  g_autofree char *title = result_title (r);
  guint tested = 0, insufficient = 0;

  for (guint i = 0; i < r->tests->len; i++)
    tested += g_array_index (r->tests, GlDbDriftTest, i).tested;
  for (guint i = 0; i < r->classes->len; i++)
    insufficient += g_array_index (r->classes, GlDbDriftClass, i).insufficient;
  g_string_append_printf (out, "%s: %s, %u of %u tests fired (Holm, α 0.05)", title,
                          r->drifted ? "DRIFT" : "no drift", r->n_fired, tested);
  if (r->top_class >= 0)
    g_string_append_printf (out, ", %s named first", name_of (names, r->top_class));
  g_string_append_printf (out, "; estimated accuracy %.3f (reference %.3f)", r->accuracy_est,
                          r->accuracy_ref);
  if (insufficient > 0)
    g_string_append_printf (out, "; %u of %u classes have insufficient data (< 30 images)", insufficient,
                            r->classes->len);
  g_string_append_c (out, '\n');
}

static void
print_result (GString *out, const GlDbDriftResult *r, GHashTable *names)
{
  print_summary_line (out, r, names);
  g_string_append_printf (out, "  %-12s %-20s %10s %10s %10s %10s %7s %7s\n", "test", "class", "statistic",
                          "p", "p (Holm)", "effect", "n_ref", "n_win");
  for (guint i = 0; i < r->tests->len; i++)
    {
      const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);

      if (!t->tested)
        g_string_append_printf (out, "  %-12s %-20s insufficient data\n", t->test,
                                name_of (names, t->class_id));
      else
        g_string_append_printf (out,
                                "  %-12s %-20s %10.4g %10.3g %10.3g %10.4g %7" G_GUINT64_FORMAT
                                " %7" G_GUINT64_FORMAT "%s\n",
                                t->test, name_of (names, t->class_id), t->statistic, t->p_value,
                                t->p_adjusted, t->effect, t->n_ref, t->n_win, t->fired ? "  FIRED" : "");
    }
  for (guint i = 0; i < r->classes->len; i++)
    {
      const GlDbDriftClass *c = &g_array_index (r->classes, GlDbDriftClass, i);
      g_string_append_printf (out,
                              "  %-20s %6" G_GUINT64_FORMAT " predicted%s; precision estimate %.3f ± %.3f "
                              "(reference %.3f ± %.3f)\n",
                              name_of (names, c->class_id), c->n_images,
                              c->insufficient ? " (insufficient)" : "", c->precision_est,
                              1.96 * c->precision_se, c->precision_ref, 1.96 * c->precision_ref_se);
    }
}

static void
json_field (GString *out, const char *name, double value)
{
  g_string_append_printf (out, ",\"%s\":", name);
  gl_json_append_double (out, value);
}

static void
json_class (GString *out, GHashTable *names, gint64 class_id)
{
  g_string_append (out, "\"class\":");
  if (class_id < 0)
    g_string_append (out, "null");
  else
    gl_json_append_string (out, name_of (names, class_id));
}

static void
json_result (GString *out, const GlDbDriftResult *r, GHashTable *names)
{
  g_string_append_printf (out,
                          "{\"kind\":\"%s\",\"batch\":", r->kind == GL_DB_DRIFT_BATCH ? "batch" : "window");
  if (r->batch_id >= 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, r->batch_id);
  else
    g_string_append (out, "null");
  g_string_append_printf (
      out,
      ",\"first_image\":%" G_GINT64_FORMAT ",\"last_image\":%" G_GINT64_FORMAT
      ",\"n_images\":%" G_GUINT64_FORMAT ",\"window_size\":%u,\"drifted\":%s,\"n_fired\":%u,"
      "\"top_class\":",
      r->first_image, r->last_image, r->n_images, r->window_size, r->drifted ? "true" : "false", r->n_fired);
  if (r->top_class >= 0)
    gl_json_append_string (out, name_of (names, r->top_class));
  else
    g_string_append (out, "null");
  json_field (out, "accuracy_est", r->accuracy_est);
  json_field (out, "accuracy_ref", r->accuracy_ref);
  json_field (out, "psi", r->psi);
  g_string_append (out, ",\"tests\":[");
  for (guint i = 0; i < r->tests->len; i++)
    {
      const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);
      g_string_append (out, i ? ",{" : "{");
      json_class (out, names, t->class_id);
      g_string_append_printf (out, ",\"test\":\"%s\",\"tested\":%s", t->test, t->tested ? "true" : "false");
      json_field (out, "statistic", t->statistic);
      json_field (out, "p_value", t->p_value);
      json_field (out, "p_adjusted", t->p_adjusted);
      json_field (out, "effect", t->effect);
      g_string_append_printf (
          out, ",\"n_ref\":%" G_GUINT64_FORMAT ",\"n_win\":%" G_GUINT64_FORMAT ",\"fired\":%s}", t->n_ref,
          t->n_win, t->fired ? "true" : "false");
    }
  g_string_append (out, "],\"classes\":[");
  for (guint i = 0; i < r->classes->len; i++)
    {
      const GlDbDriftClass *c = &g_array_index (r->classes, GlDbDriftClass, i);
      g_string_append (out, i ? ",{" : "{");
      json_class (out, names, c->class_id);
      g_string_append_printf (out, ",\"n_images\":%" G_GUINT64_FORMAT ",\"insufficient\":%s", c->n_images,
                              c->insufficient ? "true" : "false");
      json_field (out, "precision_est", c->precision_est);
      json_field (out, "precision_se", c->precision_se);
      json_field (out, "precision_ref", c->precision_ref);
      json_field (out, "precision_ref_se", c->precision_ref_se);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
}

static void
describe_reference (GString *out, const GlDbDriftReference *ref, gboolean json)
{
  if (json)
    {
      g_string_append_printf (
          out, ",\"reference\":{\"n_validation\":%" G_GUINT64_FORMAT ",\"n_pool\":%" G_GUINT64_FORMAT,
          ref->n_validation, ref->n_pool);
      json_field (out, "temperature", ref->temperature);
      json_field (out, "ece_before", ref->ece_before);
      json_field (out, "ece_after", ref->ece_after);
      g_string_append_c (out, '}');
    }
  else
    g_string_append_printf (
        out,
        "drift against model version %" G_GINT64_FORMAT " (reference: %" G_GUINT64_FORMAT
        " validation + %" G_GUINT64_FORMAT " pool images; temperature %.3f, validation ECE "
        "%.4f -> %.4f)\n",
        ref->model_id, ref->n_validation, ref->n_pool, ref->temperature, ref->ece_before, ref->ece_after);
}

static struct
{
  gint window, step;
} drift_opt;

const GOptionEntry gl_cli_drift_options[] = {
  { "window", 0, 0, G_OPTION_ARG_INT, &drift_opt.window,
    "Recompute the sliding windows with N images (stored: " G_STRINGIFY (GL_DRIFT_REPORT_WINDOW) " after each round)",
    "N" },
  { "step", 0, 0, G_OPTION_ARG_INT, &drift_opt.step, "Step between windows (default: half the window)", "N" },
  { NULL },
};

int
gl_cli_drift (int argc, char **argv)
{
  const gboolean json = gl_cli_json;
  const gint window = drift_opt.window, step = drift_opt.step;
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = NULL;
  g_autoptr (GArray) classes = NULL, results = NULL;
  g_autoptr (GHashTable) names = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  GlDbDriftReference ref = { 0 };
  gboolean has_reference, found = FALSE;
  gint64 model;
  GlDb *db;

  if (argc != 2 || window < 0 || step < 0)
    return gl_cli_usage ("drift");
  p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("drift", error);
  if (!gl_drift_report_update (p, (guint)window, step > 0 ? (guint)step : MAX ((guint)window / 2, 1u), &model,
                               &has_reference, &error))
    return gl_cli_fail ("drift", error);
  db = gl_project_get_db (p);
  classes = gl_db_list_classes (db, TRUE, &error);
  if (classes == NULL)
    return gl_cli_fail ("drift", error);
  names = class_names (classes);
  if (json)
    g_string_append_printf (out, "{\"model_version\":%" G_GINT64_FORMAT, model);
  if (model < 0 || !has_reference)
    {
      const char *why = model < 0 ? "no trained model yet (run gleaner-cli train)"
                                  : "the current model has no drift reference (it predates drift reports); "
                                    "the next training round makes one";
      if (json)
        {
          g_string_append (out, ",\"reference\":null,\"results\":[],\"note\":");
          gl_json_append_string (out, why);
          g_string_append (out, "}\n");
        }
      else
        g_string_append_printf (out, "%s\n", why);
      fputs (out->str, stdout);
      return 0;
    }
  if (!gl_db_get_drift_reference (db, model, &ref, &found, &error)
      || (results = gl_db_list_drift_results (db, model, -1, &error)) == NULL)
    {
      gl_db_drift_reference_clear (&ref);
      return gl_cli_fail ("drift", error);
    }
  describe_reference (out, &ref, json);
  gl_db_drift_reference_clear (&ref);
  if (json)
    g_string_append (out, ",\"results\":[");
  for (guint i = 0; i < results->len; i++)
    {
      const GlDbDriftResult *r = &g_array_index (results, GlDbDriftResult, i);
      if (json)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          json_result (out, r, names);
        }
      else
        print_result (out, r, names);
    }
  if (json)
    g_string_append (out, "]}\n");
  fputs (out->str, stdout);
  return 0;
}

void
gl_cli_drift_after_import (GlProject *project)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) batches = NULL, results = NULL, classes = NULL;
  g_autoptr (GHashTable) names = NULL;
  g_autoptr (GString) out = g_string_new ("drift: ");
  gboolean has_reference;
  gint64 model, batch;
  GlDb *db = gl_project_get_db (project);

  if (!gl_drift_report_update (project, 0, 0, &model, &has_reference, &error))
    {
      printf ("drift: not computed: %s\n", error->message);
      return;
    }
  if (model < 0)
    {
      printf ("drift: computed once a model is trained (gleaner-cli train)\n");
      return;
    }
  if (!has_reference)
    {
      printf ("drift: computed after the next training round (model version %" G_GINT64_FORMAT
              " predates drift references)\n",
              model);
      return;
    }
  batches = gl_db_list_batches (db, &error);
  results = batches ? gl_db_list_drift_results (db, model, GL_DB_DRIFT_BATCH, &error) : NULL;
  classes = results ? gl_db_list_classes (db, TRUE, &error) : NULL;
  if (classes == NULL || batches->len == 0)
    {
      printf ("drift: not computed: %s\n", error ? error->message : "no batch");
      return;
    }
  names = class_names (classes);
  batch = g_array_index (batches, GlDbBatch, batches->len - 1).id;
  for (guint i = 0; i < results->len; i++)
    if (g_array_index (results, GlDbDriftResult, i).batch_id == batch)
      {
        print_summary_line (out, &g_array_index (results, GlDbDriftResult, i), names);
        fputs (out->str, stdout);
        return;
      }
  printf ("drift: batch %" G_GINT64_FORMAT " has no result (see gleaner-cli drift)\n", batch);
}
