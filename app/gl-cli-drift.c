/* gl-cli-drift.c — `gleaner-cli drift` and the drift summary after `import`. */
#include "app/gl-cli.h"
#include "app/gl-drift-auto.h"
#include "app/gl-drift-report.h"
#include "app/gl-export.h"
#include "app/gl-project.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
  g_string_append_printf (out, "%s: %s, %u of %u tests fired (window-wide tests by their share of α, then the classes' tests Holm-corrected, ", title, r->drifted ? "DRIFT" : "no drift",
                          r->n_fired, tested);
  /* Verdicts stored before schema 8 did not record their α. */
  if (isnan (r->alpha))
    g_string_append (out, "α not recorded)");
  else
    g_string_append_printf (out, "α %g)", r->alpha);
  if (r->top_class >= 0)
    {
      const GlDbDriftTest *why = NULL;

      /* Its ranking evidence: the smaller p of its loss and gain tests (verdicts stored before them have none). */
      for (guint i = 0; i < r->tests->len; i++)
        {
          const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);

          gboolean ranking = strcmp (t->test, "loss") == 0 || strcmp (t->test, "gain") == 0;

          if (t->class_id == r->top_class && t->tested && ranking && (why == NULL || t->p_value < why->p_value))
            why = t;
        }
      g_string_append_printf (out, ", %s named first", name_of (names, r->top_class));
      if (why != NULL)
        g_string_append_printf (out, " (%s p %.3g, effect %+.3g, n %" G_GUINT64_FORMAT " reference / %" G_GUINT64_FORMAT
                                " here)", why->test, why->p_value, why->effect, why->n_ref, why->n_win);
    }
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
                          "p", "p (adj.)", "effect", "n_ref", "n_win");
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
  json_field (out, "alpha", r->alpha);
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

/* The automation: the state, the newest batch's estimated accuracy, the
 * audit accuracy changes and every action taken (app/gl-drift-auto.h). */
static gboolean
describe_automation (GString *out, GlDb *db, GHashTable *names, gboolean json, GError **error)
{
  GlDriftAutoState st = { 0 };
  GlDriftAutoAccuracy acc;
  g_autoptr (GArray) changes = NULL, actions = NULL;
  g_autofree char *state_json = NULL;

  if (!gl_drift_auto_read_state (db, &st, error))
    return FALSE;
  if (!gl_drift_auto_read_accuracy (db, &acc, error)
      || (changes = gl_db_list_audit_changes (db, -1, error)) == NULL
      || (actions = gl_db_list_drift_actions (db, 0, error)) == NULL)
    {
      gl_drift_auto_state_clear (&st);
      return FALSE;
    }
  if (json)
    {
      state_json = gl_drift_auto_state_to_json (&st);
      g_string_append_printf (out, ",\"state\":%s,\"summary\":", state_json);
      gl_json_append_string (out, st.summary);
      g_string_append_printf (out, ",\"boost_labeled\":%" G_GINT64_FORMAT ",\"boost_left\":%" G_GUINT64_FORMAT,
                              st.boost_labeled, st.boost_left);
      g_string_append_printf (out, ",\"accuracy\":{\"batch\":%" G_GINT64_FORMAT ",\"n\":%" G_GUINT64_FORMAT,
                              acc.batch_id, acc.n);
      json_field (out, "estimated", acc.accuracy_est);
      json_field (out, "estimated_se", acc.accuracy_se);
      json_field (out, "reference", acc.accuracy_ref);
      json_field (out, "validation", acc.validation_accuracy);
      g_string_append_printf (out, ",\"n_validation\":%" G_GUINT64_FORMAT "},\"audit_changes\":[", acc.n_validation);
      for (guint i = 0; i < changes->len; i++)
        {
          const GlDbAuditChange *c = &g_array_index (changes, GlDbAuditChange, i);
          g_string_append_printf (out, "%s{\"model_version\":%" G_GINT64_FORMAT, i ? "," : "", c->model_id);
          json_class (out, names, c->class_id);
          g_string_append_printf (out, ",\"image_id\":%" G_GINT64_FORMAT ",\"position\":%" G_GUINT64_FORMAT
                                  ",\"width_before\":%" G_GUINT64_FORMAT ",\"width_after\":%" G_GUINT64_FORMAT,
                                  c->image_id, c->position, c->width_before, c->width_after);
          json_field (out, "mean_before", c->mean_before);
          json_field (out, "mean_after", c->mean_after);
          json_field (out, "epsilon", c->epsilon);
          json_field (out, "delta", c->delta);
          g_string_append_c (out, '}');
        }
      g_string_append (out, "],\"actions\":[");
      for (guint i = 0; i < actions->len; i++)
        {
          const GlDbDriftAction *a = &g_array_index (actions, GlDbDriftAction, i);
          g_string_append_printf (out, "%s{\"id\":%" G_GINT64_FORMAT ",\"time_us\":%" G_GINT64_FORMAT
                                  ",\"model_version\":%" G_GINT64_FORMAT ",\"drift_id\":%" G_GINT64_FORMAT
                                  ",\"origin\":",
                                  i ? "," : "", a->id, a->created_us, a->model_id, a->drift_id);
          gl_json_append_string (out, a->origin);
          g_string_append (out, ",\"action\":");
          gl_json_append_string (out, a->action);
          g_string_append (out, ",\"trigger\":");
          gl_json_append_string (out, a->trigger);
          g_string_append (out, ",\"classes\":");
          gl_json_append_string (out, a->classes);
          /* Recorded by gl_drift_auto_state_to_json: already a JSON object. */
          g_string_append_printf (out, ",\"statistics\":%s,\"detail\":", a->statistics);
          gl_json_append_string (out, a->detail);
          g_string_append_c (out, '}');
        }
      g_string_append_c (out, ']');
    }
  else
    {
      g_string_append_printf (out, "\nstate: %s\n", *st.summary ? st.summary : "no drift");
      g_string_append_printf (out, "  persists: %s (%u drifted in a row%s), hurts: %s; automation %s; boosted queue %s",
                              st.persists ? "yes" : "no", st.run_length,
                              st.adwin_fired ? ", ADWIN fired on the audit labels" : "", st.hurts ? "yes" : "no",
                              st.automation ? "on" : "off", st.boost_active ? "ON" : "off");
      if (st.boost_active)
        g_string_append_printf (out, " (by %s: %" G_GINT64_FORMAT " drifted images labeled, %" G_GUINT64_FORMAT
                                " left)", st.boost_origin, st.boost_labeled, st.boost_left);
      g_string_append_c (out, '\n');
      if (acc.batch_id >= 0)
        g_string_append_printf (out, "  newest batch %" G_GINT64_FORMAT ": estimated accuracy %.3f ± %.3f (n %"
                                G_GUINT64_FORMAT ", CBPE), validation accuracy %.3f (n %" G_GUINT64_FORMAT ")\n",
                                acc.batch_id, acc.accuracy_est, acc.accuracy_se, acc.n, acc.validation_accuracy,
                                acc.n_validation);
      for (guint i = 0; i < changes->len; i++)
        {
          const GlDbAuditChange *c = &g_array_index (changes, GlDbAuditChange, i);
          g_string_append_printf (out, "audit accuracy of %s fell (ADWIN, model version %" G_GINT64_FORMAT
                                  "): %.3f over %" G_GUINT64_FORMAT " labels -> %.3f over %" G_GUINT64_FORMAT
                                  " (ε_cut %.3f, δ %g), at its audit label %" G_GUINT64_FORMAT "\n",
                                  name_of (names, c->class_id), c->model_id, c->mean_before, c->width_before,
                                  c->mean_after, c->width_after, c->epsilon, c->delta, c->position);
        }
      if (actions->len == 0)
        g_string_append (out, "actions: none\n");
      for (guint i = 0; i < actions->len; i++)
        {
          const GlDbDriftAction *a = &g_array_index (actions, GlDbDriftAction, i);
          g_autoptr (GDateTime) t = g_date_time_new_from_unix_local (a->created_us / G_USEC_PER_SEC);
          g_autofree char *when = t ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
          g_string_append_printf (out, "action %" G_GINT64_FORMAT " at %s (%s, model version %" G_GINT64_FORMAT
                                  "): %s, trigger %s — %s\n",
                                  a->id, when, a->origin, a->model_id, a->action, a->trigger, a->detail);
        }
    }
  gl_drift_auto_state_clear (&st);
  return TRUE;
}

static struct
{
  gint window, step;
  gboolean boost, stop_boost;
} drift_opt;

const GOptionEntry gl_cli_drift_options[] = {
  { "window", 0, 0, G_OPTION_ARG_INT, &drift_opt.window,
    "Recompute the sliding windows with N images (stored: " G_STRINGIFY (GL_DRIFT_REPORT_WINDOW) " after each round)",
    "N" },
  { "step", 0, 0, G_OPTION_ARG_INT, &drift_opt.step, "Step between windows (default: half the window)", "N" },
  { "boost", 0, 0, G_OPTION_ARG_NONE, &drift_opt.boost,
    "Label drifted images: turn the drift-boosted queue on (recorded as a user action)", NULL },
  { "stop-boost", 0, 0, G_OPTION_ARG_NONE, &drift_opt.stop_boost, "Turn the drift-boosted queue off", NULL },
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

  if (argc != 2 || window < 0 || step < 0 || (drift_opt.boost && drift_opt.stop_boost))
    return gl_cli_usage ("drift");
  p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("drift", error);
  if (!gl_drift_report_update (p, (guint)window, step > 0 ? (guint)step : MAX ((guint)window / 2, 1u), &model,
                               &has_reference, &error))
    return gl_cli_fail ("drift", error);
  db = gl_project_get_db (p);
  if ((drift_opt.boost && !gl_drift_auto_start_boost (db, NULL, &error))
      || (drift_opt.stop_boost && !gl_drift_auto_stop_boost (db, &error)))
    return gl_cli_fail ("drift", error);
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
    g_string_append_c (out, ']');
  if (!describe_automation (out, db, names, json, &error))
    return gl_cli_fail ("drift", error);
  if (json)
    g_string_append (out, "}\n");
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

void
gl_cli_drift_print_batch (GlProject *project, gint64 batch_id, gint64 since_action, gboolean json)
{
  g_autoptr (GError) error = NULL;
  GlDb *db = gl_project_get_db (project);
  gint64 model = gl_db_get_current_model (db);
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &error);
  g_autoptr (GArray) results = classes ? gl_db_list_drift_results (db, model, GL_DB_DRIFT_BATCH, &error) : NULL;
  g_autoptr (GArray) actions = results ? gl_db_list_drift_actions (db, 0, &error) : NULL;
  g_autoptr (GHashTable) names = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  const GlDbDriftResult *found = NULL;

  if (actions == NULL)
    {
      if (json)
        {
          g_string_append_printf (out, "{\"event\":\"drift\",\"batch\":%" G_GINT64_FORMAT ",\"error\":", batch_id);
          gl_json_append_string (out, error->message);
          g_string_append (out, "}\n");
        }
      else
        g_string_append_printf (out, "drift: not computed: %s\n", error->message);
      fputs (out->str, stdout);
      return;
    }
  names = class_names (classes);
  for (guint i = 0; i < results->len; i++)
    if (g_array_index (results, GlDbDriftResult, i).batch_id == batch_id)
      found = &g_array_index (results, GlDbDriftResult, i);
  if (json)
    {
      g_string_append_printf (out, "{\"event\":\"drift\",\"batch\":%" G_GINT64_FORMAT ",\"model_version\":%"
                              G_GINT64_FORMAT ",\"result\":", batch_id, model);
      if (found)
        json_result (out, found, names);
      else
        g_string_append (out, "null");
      g_string_append (out, "}\n");
    }
  else if (found)
    {
      g_string_append (out, "drift: ");
      print_summary_line (out, found, names);
    }
  else
    g_string_append_printf (out, "drift: batch %" G_GINT64_FORMAT " is measured once a model with a drift "
                            "reference is trained (gleaner-cli train)\n", batch_id);
  for (guint i = 0; i < actions->len; i++)
    {
      const GlDbDriftAction *a = &g_array_index (actions, GlDbDriftAction, i);
      if (a->id <= since_action)
        continue;
      if (json)
        {
          g_string_append_printf (out, "{\"event\":\"drift-action\",\"id\":%" G_GINT64_FORMAT ",\"origin\":", a->id);
          gl_json_append_string (out, a->origin);
          g_string_append (out, ",\"action\":");
          gl_json_append_string (out, a->action);
          g_string_append (out, ",\"trigger\":");
          gl_json_append_string (out, a->trigger);
          g_string_append_printf (out, ",\"statistics\":%s,\"detail\":", a->statistics);
          gl_json_append_string (out, a->detail);
          g_string_append (out, "}\n");
        }
      else
        g_string_append_printf (out, "drift action %" G_GINT64_FORMAT " (%s): %s, trigger %s — %s\n", a->id,
                                a->origin, a->action, a->trigger, a->detail);
    }
  fputs (out->str, stdout);
}
