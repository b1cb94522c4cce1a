/* gl-drift-auto.c — the drift state, and the actions taken on it. See gl-drift-auto.h. */
#include "app/gl-drift-auto.h"

#include "app/gl-drift-audit.h"
#include "app/gl-drift-boost.h"
#include "app/gl-export.h"

#include <math.h>
#include <string.h>

/* ---- Settings ----------------------------------------------------------- */

static double
setting_double (GlDb *db, const char *key, double fallback, double lo, double hi, gboolean open_lo)
{
  g_autofree char *text = gl_db_get_setting (db, key);
  double v = gl_db_get_setting_double (db, key, fallback);

  if (text != NULL && (!isfinite (v) || v < lo || v > hi || (open_lo && v <= lo)))
    {
      g_warning ("project setting %s = \"%s\" is out of range; using %g", key, text, fallback);
      return fallback;
    }
  return v;
}

void
gl_drift_auto_settings_read (GlDb *db, GlDriftAutoSettings *out)
{
  out->enabled = gl_db_get_setting_boolean (db, GL_DRIFT_AUTO_SETTING_ENABLED, TRUE);
  out->persist = (guint)setting_double (db, GL_DRIFT_AUTO_SETTING_PERSIST, 2, 1, 1000, FALSE);
  out->accuracy_drop = setting_double (db, GL_DRIFT_AUTO_SETTING_ACCURACY_DROP, 0.03, 0, 1, FALSE);
  out->novelty_ratio = setting_double (db, GL_DRIFT_AUTO_SETTING_NOVELTY_RATIO, 2.0, 1, 1e6, FALSE);
  out->boost_share = setting_double (db, GL_DRIFT_AUTO_SETTING_BOOST_SHARE, 0.5, 0, 1, FALSE);
  out->retrain_labels = (guint)setting_double (db, GL_DRIFT_AUTO_SETTING_RETRAIN_LABELS, 50, 1, 1e9, FALSE);
  out->adwin_delta = setting_double (db, GL_DRIFT_AUTO_SETTING_ADWIN_DELTA, 0.002, 0, 0.5, TRUE);
}

/* ---- State -------------------------------------------------------------- */

static void
class_clear (gpointer data)
{
  g_free (((GlDriftAutoClass *)data)->name);
}

void
gl_drift_auto_state_clear (GlDriftAutoState *state)
{
  g_clear_pointer (&state->classes, g_array_unref);
  g_clear_pointer (&state->summary, g_free);
  g_clear_pointer (&state->boost_origin, g_free);
}

static gint
compare_p (gconstpointer a, gconstpointer b)
{
  double pa = ((const GlDriftAutoClass *)a)->p_adjusted, pb = ((const GlDriftAutoClass *)b)->p_adjusted;

  return (pa > pb) - (pa < pb);
}

/* The drifted classes of @r, with the HURTS verdict of each. */
static GArray *
drifted_classes (const GlDbDriftResult *r, GHashTable *names, const GlDriftAutoSettings *settings)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (GlDriftAutoClass));

  g_array_set_clear_func (out, class_clear);
  for (guint i = 0; r->tests != NULL && i < r->tests->len; i++)
    {
      const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);
      GlDriftAutoClass *c = NULL;

      if (t->class_id < 0 || !t->tested)
        continue;
      for (guint k = 0; k < out->len && c == NULL; k++)
        if (g_array_index (out, GlDriftAutoClass, k).class_id == t->class_id)
          c = &g_array_index (out, GlDriftAutoClass, k);
      if (c == NULL && !t->fired)
        continue;
      if (c == NULL)
        {
          GlDriftAutoClass fresh = { .class_id = t->class_id,
                                     .p_adjusted = 2.0,
                                     .precision_est = NAN,
                                     .precision_se = NAN,
                                     .precision_ref = NAN,
                                     .novelty_ratio = NAN };
          const char *name = g_hash_table_lookup (names, &t->class_id);

          fresh.name = g_strdup (name ? name : "unknown class");
          g_array_append_val (out, fresh);
          c = &g_array_index (out, GlDriftAutoClass, out->len - 1);
        }
      if (t->fired)
        {
          c->n_fired++;
          if (t->p_adjusted < c->p_adjusted)
            {
              g_strlcpy (c->test, t->test, sizeof c->test);
              c->statistic = t->statistic;
              c->p_adjusted = t->p_adjusted;
              c->effect = t->effect;
              c->n_ref = t->n_ref;
              c->n_win = t->n_win;
            }
        }
      if (strcmp (t->test, "novelty") == 0)
        {
          c->novelty_ratio = t->effect;
          c->novel = t->fired;
        }
    }
  /* Tests of classes seen before their first firing test were skipped: read
   * the novelty of every drifted class again. */
  for (guint i = 0; r->tests != NULL && i < r->tests->len; i++)
    {
      const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);

      for (guint k = 0; t->tested && strcmp (t->test, "novelty") == 0 && k < out->len; k++)
        if (g_array_index (out, GlDriftAutoClass, k).class_id == t->class_id)
          {
            g_array_index (out, GlDriftAutoClass, k).novelty_ratio = t->effect;
            g_array_index (out, GlDriftAutoClass, k).novel = t->fired;
          }
    }
  for (guint k = 0; k < out->len; k++)
    {
      GlDriftAutoClass *c = &g_array_index (out, GlDriftAutoClass, k);

      for (guint j = 0; r->classes != NULL && j < r->classes->len; j++)
        {
          const GlDbDriftClass *dc = &g_array_index (r->classes, GlDbDriftClass, j);
          if (dc->class_id != c->class_id || dc->insufficient)
            continue;
          c->precision_est = dc->precision_est;
          c->precision_se = dc->precision_se;
          c->precision_ref = dc->precision_ref;
        }
      c->hurts = (isfinite (c->precision_est) && isfinite (c->precision_ref)
                  && c->precision_ref - c->precision_est >= settings->accuracy_drop)
                 || (c->novel && isfinite (c->novelty_ratio) && c->novelty_ratio >= settings->novelty_ratio);
    }
  g_array_sort (out, compare_p);
  return out;
}

/* Newest results of @kind in a row (from the end of @results) that drifted. */
static guint
run_length (GArray *results, GlDbDriftKind kind)
{
  guint n = 0;

  for (guint i = results->len; i-- > 0;)
    {
      const GlDbDriftResult *r = &g_array_index (results, GlDbDriftResult, i);
      if (r->kind != kind)
        continue;
      if (!r->drifted)
        break;
      n++;
    }
  return n;
}

static char *
make_summary (const GlDriftAutoState *s, const GlDriftAutoSettings *settings, GHashTable *names)
{
  GString *out = g_string_new (NULL);

  if (!s->drifted && !s->adwin_fired)
    return g_string_free (out, FALSE);
  if (s->drifted)
    {
      g_string_append_printf (out, "Drift in the newest %s of %" G_GUINT64_FORMAT " images",
                              s->kind == GL_DB_DRIFT_BATCH ? "import batch" : "window", s->n_images);
      for (guint k = 0; k < s->classes->len && k < 3; k++)
        {
          const GlDriftAutoClass *c = &g_array_index (s->classes, GlDriftAutoClass, k);
          g_string_append_printf (out, "%s%s (%s, p %.2g", k == 0 ? ": " : "; ", c->name, c->test,
                                  c->p_adjusted);
          if (c->novel && isfinite (c->novelty_ratio))
            g_string_append_printf (out, ", %.1f× the reference's novel images", c->novelty_ratio);
          if (isfinite (c->precision_est) && isfinite (c->precision_ref))
            g_string_append_printf (out, ", est. precision %.2f ± %.2f vs %.2f", c->precision_est,
                                    c->precision_se, c->precision_ref);
          g_string_append (out, ")");
        }
      if (s->classes->len > 3)
        g_string_append_printf (out, " and %u more classes", s->classes->len - 3);
      if (s->classes->len == 0)
        g_string_append (out, " (window-wide tests only)");
      g_string_append_printf (out, "; %u in a row", s->run_length);
    }
  if (s->adwin_fired)
    {
      const char *name = g_hash_table_lookup (names, &s->adwin.class_id);
      g_string_append_printf (out,
                              "%sAudited accuracy of %s fell from %.2f (%" G_GUINT64_FORMAT
                              " labels) to %.2f (%" G_GUINT64_FORMAT "), ADWIN ε %.2f",
                              out->len ? ". " : "", name ? name : "a class", s->adwin.mean_before,
                              s->adwin.width_before, s->adwin.mean_after, s->adwin.width_after,
                              s->adwin.epsilon);
    }
  if (s->persists_and_hurts)
    g_string_append (out, ". It persists and hurts.");
  else if (s->persists)
    g_string_append_printf (out, ". It persists but no class lost %.0f points or doubled its novel images.",
                            settings->accuracy_drop * 100);
  return g_string_free (out, FALSE);
}

/* The newest boost/stop action: whether the boost is on, and by which. */
static gboolean
read_boost (GlDb *db, GlDriftAutoState *s, gint64 *since_label, GError **error)
{
  g_autoptr (GArray) actions = gl_db_list_drift_actions (db, 0, error);

  *since_label = 0;
  s->boost_action_id = -1;
  if (actions == NULL)
    return FALSE;
  for (guint i = actions->len; i-- > 0;)
    {
      const GlDbDriftAction *a = &g_array_index (actions, GlDbDriftAction, i);
      if (g_strcmp0 (a->action, "boost") != 0 && g_strcmp0 (a->action, "stop") != 0)
        continue;
      if (g_strcmp0 (a->action, "boost") == 0)
        {
          s->boost_active = TRUE;
          s->boost_action_id = a->id;
          s->boost_origin = g_strdup (a->origin);
          *since_label = a->last_label_id;
        }
      break;
    }
  return TRUE;
}

static gboolean
read_results (GlDb *db, GlDriftAutoState *s, const GlDriftAutoSettings *settings, GHashTable *names,
              GError **error)
{
  g_autoptr (GArray) results = gl_db_list_drift_results (db, s->model_id, -1, error);
  g_autoptr (GArray) changes = results ? gl_db_list_audit_changes (db, s->model_id, error) : NULL;

  if (changes == NULL)
    return FALSE;
  if (results->len > 0)
    {
      const GlDbDriftResult *r = &g_array_index (results, GlDbDriftResult, results->len - 1);

      s->drift_id = r->id;
      s->kind = r->kind;
      s->batch_id = r->batch_id;
      s->window_size = r->window_size;
      s->first_image = r->first_image;
      s->last_image = r->last_image;
      s->n_images = r->n_images;
      s->created_us = r->created_us;
      s->drifted = r->drifted;
      if (!isnan (r->alpha)) /* stored from schema 8 on; 0.05, the only level before */
        s->alpha = r->alpha;
      s->n_fired = r->n_fired;
      g_array_unref (s->classes);
      s->classes = drifted_classes (r, names, settings);
      s->run_length = MAX (run_length (results, GL_DB_DRIFT_WINDOW), run_length (results, GL_DB_DRIFT_BATCH));
    }
  if (changes->len > 0)
    {
      s->adwin_fired = TRUE;
      s->adwin = g_array_index (changes, GlDbAuditChange, changes->len - 1);
    }
  s->persists = s->run_length >= settings->persist || s->adwin_fired;
  s->hurts = s->adwin_fired && s->adwin.mean_before - s->adwin.mean_after >= settings->accuracy_drop;
  for (guint k = 0; s->drifted && k < s->classes->len; k++)
    s->hurts |= g_array_index (s->classes, GlDriftAutoClass, k).hurts;
  s->persists_and_hurts = s->persists && s->hurts;
  return TRUE;
}

gboolean
gl_drift_auto_read_state (GlDb *db, GlDriftAutoState *s, GError **error)
{
  GlDriftAutoSettings settings;
  g_autoptr (GHashTable) names = NULL;
  GlDbDriftReference ref = { 0 };
  g_autoptr (GArray) left = NULL;
  gint64 since_label;

  *s = (GlDriftAutoState){ .model_id = gl_db_get_current_model (db),
                           .drift_id = -1,
                           .batch_id = -1,
                           .first_image = -1,
                           .last_image = -1,
                           .alpha = 0.05,
                           .boost_action_id = -1 };
  s->classes = g_array_new (FALSE, TRUE, sizeof (GlDriftAutoClass));
  g_array_set_clear_func (s->classes, class_clear);
  gl_drift_auto_settings_read (db, &settings);
  s->automation = settings.enabled;
  if (!read_boost (db, s, &since_label, error))
    goto fail;
  if (s->boost_active)
    {
      s->boost_labeled = gl_db_count_labeled_candidates (db, since_label, error);
      if (s->boost_labeled < 0)
        goto fail;
    }
  if (s->model_id < 0)
    {
      s->summary = g_strdup ("");
      return TRUE;
    }
  if (!gl_db_get_drift_reference (db, s->model_id, &ref, &s->has_reference, error))
    goto fail;
  gl_db_drift_reference_clear (&ref);
  names = gl_drift_class_names (db, error);
  if (names == NULL || !read_results (db, s, &settings, names, error))
    goto fail;
  if (s->boost_active)
    {
      left = gl_db_list_drift_candidates (db, s->model_id, error);
      if (left == NULL)
        goto fail;
      s->boost_left = left->len;
    }
  s->summary = make_summary (s, &settings, names);
  return TRUE;

fail:
  gl_drift_auto_state_clear (s);
  return FALSE;
}

/* ---- Accuracy for the status bar ---------------------------------------- */

gboolean
gl_drift_auto_read_accuracy (GlDb *db, GlDriftAutoAccuracy *out, GError **error)
{
  g_autoptr (GArray) batches = NULL;
  GlDbModelVersion version = { 0 };
  GlDbDriftReference ref = { 0 };
  gboolean found;

  *out = (GlDriftAutoAccuracy){ gl_db_get_current_model (db), -1, 0, NAN, NAN, NAN, NAN, 0 };
  if (out->model_id < 0)
    return TRUE;
  if (!gl_db_get_model_version (db, out->model_id, &version, error))
    return FALSE;
  out->validation_accuracy = version.val_accuracy;
  gl_db_model_version_clear (&version);
  if (!gl_db_get_drift_reference (db, out->model_id, &ref, &found, error))
    return FALSE;
  out->n_validation = found ? ref.n_validation : 0;
  gl_db_drift_reference_clear (&ref);
  batches = gl_db_list_drift_results (db, out->model_id, GL_DB_DRIFT_BATCH, error);
  if (batches == NULL)
    return FALSE;
  if (batches->len > 0)
    {
      const GlDbDriftResult *r = &g_array_index (batches, GlDbDriftResult, batches->len - 1);
      double var = 0.0;

      out->batch_id = r->batch_id;
      out->n = r->n_images;
      out->accuracy_est = r->n_images > 0 ? r->accuracy_est : NAN;
      out->accuracy_ref = r->accuracy_ref;
      /* Σ p (1 − p) over the batch is the sum of the classes' (se · n)². */
      for (guint j = 0; r->classes != NULL && j < r->classes->len; j++)
        {
          const GlDbDriftClass *c = &g_array_index (r->classes, GlDbDriftClass, j);
          if (isfinite (c->precision_se))
            var += (c->precision_se * (double)c->n_images) * (c->precision_se * (double)c->n_images);
        }
      out->accuracy_se = r->n_images > 0 ? sqrt (var) / (double)r->n_images : NAN;
    }
  return TRUE;
}

/* ---- Actions ------------------------------------------------------------ */

/* The statistics of @s as one JSON object. */
char *
gl_drift_auto_state_to_json (const GlDriftAutoState *s)
{
  GString *out = g_string_new ("{");

  g_string_append_printf (out, "\"model_version\":%" G_GINT64_FORMAT ",\"drift_id\":%" G_GINT64_FORMAT,
                          s->model_id, s->drift_id);
  g_string_append_printf (out, ",\"kind\":\"%s\",\"batch\":%" G_GINT64_FORMAT ",\"window_size\":%u",
                          s->kind == GL_DB_DRIFT_BATCH ? "batch" : "window", s->batch_id, s->window_size);
  g_string_append_printf (out,
                          ",\"first_image\":%" G_GINT64_FORMAT ",\"last_image\":%" G_GINT64_FORMAT
                          ",\"n_images\":%" G_GUINT64_FORMAT ",\"drifted\":%s,\"n_fired\":%u,\"alpha\":",
                          s->first_image, s->last_image, s->n_images, s->drifted ? "true" : "false",
                          s->n_fired);
  gl_json_append_double (out, s->alpha);
  g_string_append (out, ",\"classes\":[");
  for (guint k = 0; s->classes != NULL && k < s->classes->len; k++)
    {
      const GlDriftAutoClass *c = &g_array_index (s->classes, GlDriftAutoClass, k);
      const struct
      {
        const char *name;
        double v;
      } f[] = { { "statistic", c->statistic },
                { "p_adjusted", c->p_adjusted },
                { "effect", c->effect },
                { "precision_est", c->precision_est },
                { "precision_se", c->precision_se },
                { "precision_ref", c->precision_ref },
                { "novelty_ratio", c->novelty_ratio } };

      g_string_append (out, k ? ",{\"class\":" : "{\"class\":");
      gl_json_append_string (out, c->name);
      g_string_append_printf (out, ",\"class_id\":%" G_GINT64_FORMAT ",\"test\":", c->class_id);
      gl_json_append_string (out, c->test);
      for (guint j = 0; j < G_N_ELEMENTS (f); j++)
        {
          g_string_append_printf (out, ",\"%s\":", f[j].name);
          gl_json_append_double (out, f[j].v);
        }
      g_string_append_printf (out,
                              ",\"n_ref\":%" G_GUINT64_FORMAT ",\"n_win\":%" G_GUINT64_FORMAT
                              ",\"n_fired\":%u,\"novel\":%s,\"hurts\":%s}",
                              c->n_ref, c->n_win, c->n_fired, c->novel ? "true" : "false",
                              c->hurts ? "true" : "false");
    }
  g_string_append_printf (out, "],\"run_length\":%u,\"adwin\":", s->run_length);
  if (s->adwin_fired)
    {
      g_string_append_printf (out,
                              "{\"class_id\":%" G_GINT64_FORMAT ",\"image_id\":%" G_GINT64_FORMAT
                              ",\"position\":%" G_GUINT64_FORMAT ",\"width_before\":%" G_GUINT64_FORMAT
                              ",\"width_after\":%" G_GUINT64_FORMAT ",\"mean_before\":",
                              s->adwin.class_id, s->adwin.image_id, s->adwin.position, s->adwin.width_before,
                              s->adwin.width_after);
      gl_json_append_double (out, s->adwin.mean_before);
      g_string_append (out, ",\"mean_after\":");
      gl_json_append_double (out, s->adwin.mean_after);
      g_string_append (out, ",\"epsilon\":");
      gl_json_append_double (out, s->adwin.epsilon);
      g_string_append (out, ",\"delta\":");
      gl_json_append_double (out, s->adwin.delta);
      g_string_append (out, "}");
    }
  else
    g_string_append (out, "null");
  g_string_append_printf (out, ",\"persists\":%s,\"hurts\":%s,\"boost\":%s,\"automation\":%s}",
                          s->persists ? "true" : "false", s->hurts ? "true" : "false",
                          s->boost_active ? "true" : "false", s->automation ? "true" : "false");
  return g_string_free (out, FALSE);
}

static char *
class_list (const GlDriftAutoState *s)
{
  GString *out = g_string_new (NULL);

  for (guint k = 0; k < s->classes->len; k++)
    g_string_append_printf (out, "%s%" G_GINT64_FORMAT, k ? " " : "",
                            g_array_index (s->classes, GlDriftAutoClass, k).class_id);
  if (s->adwin_fired)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, s->adwin.class_id);
      g_auto (GStrv) ids = g_strsplit (out->str, " ", -1);
      if (!g_strv_contains ((const char *const *)ids, id))
        g_string_append_printf (out, "%s%s", out->len ? " " : "", id);
    }
  return g_string_free (out, FALSE);
}

/* Records an action about @s. */
static gboolean
record (GlDb *db, const GlDriftAutoState *s, const char *origin, const char *action, const char *trigger,
        const char *detail, gint64 *action_id, GError **error)
{
  g_autofree char *classes = class_list (s);
  g_autofree char *stats = gl_drift_auto_state_to_json (s);
  GlDbDriftAction a = { .model_id = s->model_id,
                        .drift_id = s->drift_id,
                        .origin = (char *)origin,
                        .action = (char *)action,
                        .trigger = (char *)trigger,
                        .classes = classes,
                        .statistics = stats,
                        .detail = (char *)detail };

  return gl_db_add_drift_action (db, &a, action_id, error);
}

static const char *
persist_trigger (const GlDriftAutoState *s, const GlDriftAutoSettings *settings)
{
  if (s->run_length >= settings->persist)
    return s->kind == GL_DB_DRIFT_BATCH ? "batches" : "windows";
  return "adwin";
}

gboolean
gl_drift_auto_start_boost (GlDb *db, gint64 *action_id, GError **error)
{
  GlDriftAutoState s = { 0 };
  gint64 id = -1;
  gboolean ok;

  if (!gl_drift_auto_read_state (db, &s, error))
    return FALSE;
  if (s.model_id < 0)
    {
      gl_drift_auto_state_clear (&s);
      g_set_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND,
                   "no model version yet: drift is measured against a trained model");
      return FALSE;
    }
  if (s.boost_active)
    id = s.boost_action_id;
  ok = s.boost_active
       || (record (db, &s, "user", "boost", "request",
                   s.summary && *s.summary ? s.summary : "asked for, without a persisting drift", &id, error)
           && gl_drift_boost_requeue (db, error));
  gl_drift_auto_state_clear (&s);
  if (ok && action_id != NULL)
    *action_id = id;
  return ok;
}

gboolean
gl_drift_auto_stop_boost (GlDb *db, GError **error)
{
  GlDriftAutoState s = { 0 };
  gboolean ok;

  if (!gl_drift_auto_read_state (db, &s, error))
    return FALSE;
  ok = !s.boost_active || record (db, &s, "user", "stop", "request", "stopped on request", NULL, error);
  gl_drift_auto_state_clear (&s);
  return ok;
}

/* The user stopped the boost while @model_id was current: the automation
 * leaves it off until a new version. */
static gboolean
stopped_by_user (GlDb *db, gint64 model_id)
{
  g_autoptr (GArray) actions = gl_db_list_drift_actions (db, 0, NULL);

  for (guint i = actions ? actions->len : 0; i-- > 0;)
    {
      const GlDbDriftAction *a = &g_array_index (actions, GlDbDriftAction, i);
      if (g_strcmp0 (a->action, "boost") == 0)
        return FALSE;
      if (g_strcmp0 (a->action, "stop") == 0)
        return g_strcmp0 (a->origin, "user") == 0 && a->model_id == model_id;
    }
  return FALSE;
}

gboolean
gl_drift_auto_evaluate (GlDb *db, GlDriftAutoOutcome *outcome, GError **error)
{
  GlDriftAutoOutcome local = { 0, FALSE, FALSE, -1 };
  GlDriftAutoSettings settings;
  GlDriftAutoState s = { 0 };
  gboolean ok = TRUE;

  gl_drift_auto_settings_read (db, &settings);
  if (!gl_drift_audit_watch (db, settings.adwin_delta, &local.n_audit_changes, error)
      || !gl_drift_auto_read_state (db, &s, error))
    return FALSE;
  if (settings.enabled && s.model_id >= 0 && s.persists_and_hurts && !s.boost_active
      && !stopped_by_user (db, s.model_id))
    {
      ok = record (db, &s, "auto", "boost", persist_trigger (&s, &settings), s.summary, &local.action_id,
                   error)
           && gl_drift_boost_requeue (db, error);
      local.boost_started = ok;
    }
  else if (settings.enabled && s.model_id >= 0 && s.boost_active && !s.persists_and_hurts && s.drift_id >= 0)
    {
      /* Only once the version that is current now was measured: a boost
       * started for a version stays until a later one shows it is gone. */
      g_autoptr (GArray) actions = gl_db_list_drift_actions (db, 0, error);
      gint64 boost_model = -1;

      ok = actions != NULL;
      for (guint i = 0; ok && i < actions->len; i++)
        if (g_array_index (actions, GlDbDriftAction, i).id == s.boost_action_id)
          boost_model = g_array_index (actions, GlDbDriftAction, i).model_id;
      if (ok && boost_model != s.model_id)
        {
          g_autofree char *detail = g_strdup_printf (
              "model version %" G_GINT64_FORMAT " shows no drift that persists and hurts%s%s", s.model_id,
              s.summary && *s.summary ? ": " : "", s.summary ? s.summary : "");
          ok = record (db, &s, "auto", "stop", "recovered", detail, &local.action_id, error);
          local.boost_stopped = ok;
        }
    }
  gl_drift_auto_state_clear (&s);
  if (outcome != NULL)
    *outcome = local;
  return ok;
}

gboolean
gl_drift_auto_retrain_due (GlDb *db, gboolean *due, GError **error)
{
  GlDriftAutoSettings settings;
  GlDriftAutoState s = { 0 };
  g_autoptr (GArray) actions = NULL;
  gint64 since_label = -1, n;
  gboolean ok;

  *due = FALSE;
  gl_drift_auto_settings_read (db, &settings);
  if (!settings.enabled)
    return TRUE;
  /* Cheap first (the trainer asks at every label): the actions only. Since
   * the boost started or the last retrain it asked for. */
  actions = gl_db_list_drift_actions (db, 0, error);
  if (actions == NULL)
    return FALSE;
  for (guint i = actions->len; i-- > 0;)
    {
      const GlDbDriftAction *a = &g_array_index (actions, GlDbDriftAction, i);
      if (g_strcmp0 (a->action, "stop") == 0)
        break;
      if (g_strcmp0 (a->action, "retrain") == 0 || g_strcmp0 (a->action, "boost") == 0)
        {
          since_label = a->last_label_id;
          break;
        }
    }
  if (since_label < 0)
    return TRUE;
  n = gl_db_count_labeled_candidates (db, since_label, error);
  if (n < 0)
    return FALSE;
  if ((guint64)n < settings.retrain_labels)
    return TRUE;
  if (!gl_drift_auto_read_state (db, &s, error))
    return FALSE;
  {
    g_autofree char *detail
        = g_strdup_printf ("%" G_GINT64_FORMAT " drifted or novel images labeled (setting %s = %u)", n,
                           GL_DRIFT_AUTO_SETTING_RETRAIN_LABELS, settings.retrain_labels);
    ok = record (db, &s, "auto", "retrain", "labels", detail, NULL, error);
  }
  gl_drift_auto_state_clear (&s);
  *due = ok;
  return ok;
}
