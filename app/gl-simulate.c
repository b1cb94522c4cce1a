/* gl-simulate.c — see gl-simulate.h. */
#include "app/gl-simulate.h"

#include <math.h>
#include <string.h>

#include "app/gl-export.h"
#include "app/gl-round.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "engine/gl-acquire.h"
#include "engine/gl-metrics.h"
#include "engine/gl-net.h"

G_DEFINE_QUARK (gl-simulate-error-quark, gl_simulate_error)


void
gl_simulate_options_init (GlSimulateOptions *o)
{
  memset (o, 0, sizeof *o);
  o->strategy = "default";
  o->seed_labels = 100;
  o->batch = 100;
  o->budget = 3000;
  o->epochs = GL_TRAINER_DEFAULT_EPOCHS;
  o->min_steps = GL_TRAINER_DEFAULT_MIN_STEPS;
  o->round_seconds = GL_ROUND_DEFAULT_TIME_BUDGET;
  o->audit_share = GL_TRAINER_DEFAULT_AUDIT_SHARE;
  o->test_share = 0.2;
}

void
gl_simulate_result_free (GlSimulateResult *r)
{
  if (r == NULL)
    return;
  g_free (r->strategy);
  g_clear_pointer (&r->rounds, g_array_unref);
  g_clear_pointer (&r->labeled, g_array_unref);
  g_clear_pointer (&r->audit, g_array_unref);
  g_clear_pointer (&r->net, gl_net_free);
  g_free (r);
}

guint64
gl_simulate_labels_to_reach (const GlSimulateResult *r, double accuracy)
{
  for (guint i = 0; i < r->rounds->len; i++)
    {
      const GlSimulateRound *round = &g_array_index (r->rounds, GlSimulateRound, i);
      if (round->test_accuracy >= accuracy)
        return round->labels;
    }
  return 0;
}

double
gl_simulate_labels_to_reach_interpolated (const GlSimulateResult *r, double accuracy)
{
  for (guint i = 0; i < r->rounds->len; i++)
    {
      const GlSimulateRound *x = &g_array_index (r->rounds, GlSimulateRound, i);
      if (!(x->test_accuracy >= accuracy))
        continue;
      if (i == 0)
        return (double) x->labels;
      const GlSimulateRound *w = &g_array_index (r->rounds, GlSimulateRound, i - 1);
      double t = (accuracy - w->test_accuracy) / (x->test_accuracy - w->test_accuracy);
      return (double) w->labels + CLAMP (t, 0.0, 1.0) * (double) (x->labels - w->labels);
    }
  return NAN;
}

double
gl_simulate_curve_area (const GlSimulateResult *r, guint64 max_labels)
{
  double area = 0, prev_x = 0, prev_y = 0;

  if (max_labels == 0)
    return NAN;
  for (guint i = 0; i < r->rounds->len; i++)
    {
      const GlSimulateRound *x = &g_array_index (r->rounds, GlSimulateRound, i);
      double cx = MIN ((double) x->labels, (double) max_labels), cy = isfinite (x->test_accuracy) ? x->test_accuracy : 0;
      if (i == 0)
        {
          /* Nothing learned before the first round: a step at its labels. */
          prev_x = cx;
          prev_y = cy;
          continue;
        }
      if (cx > prev_x)
        {
          /* The part of the segment up to max_labels, linear. */
          double full_x = (double) x->labels;
          double y_at = full_x > prev_x ? prev_y + (cy - prev_y) * (cx - prev_x) / (full_x - prev_x) : cy;
          area += (cx - prev_x) * (prev_y + y_at) / 2;
          prev_y = y_at;
        }
      prev_x = cx;
      if (prev_x >= (double) max_labels)
        break;
    }
  if (prev_x < (double) max_labels)
    area += ((double) max_labels - prev_x) * prev_y;
  return area / (double) max_labels;
}

char *
gl_simulate_result_to_json (const GlSimulateResult *r)
{
  GString *out = g_string_new ("{\"strategy\":");
  gl_json_append_string (out, r->strategy);
  g_string_append_printf (out, ",\"pool\":%" G_GUINT64_FORMAT ",\"test\":%" G_GUINT64_FORMAT ",\"rounds\":[",
                          r->pool_size, r->test_size);
  for (guint i = 0; i < r->rounds->len; i++)
    {
      const GlSimulateRound *x = &g_array_index (r->rounds, GlSimulateRound, i);
      g_string_append_printf (out, "%s{\"labels\":%" G_GUINT64_FORMAT ",\"test_accuracy\":", i ? "," : "",
                              x->labels);
      gl_json_append_double (out, x->test_accuracy);
      g_string_append (out, ",\"macro_f1\":");
      gl_json_append_double (out, x->macro_f1);
      g_string_append (out, ",\"train_seconds\":");
      gl_json_append_double (out, x->train_seconds);
      g_string_append (out, ",\"score_seconds\":");
      gl_json_append_double (out, x->score_seconds);
      g_string_append (out, ",\"infer_seconds\":");
      gl_json_append_double (out, x->infer_seconds);
      g_string_append (out, ",\"acquire_seconds\":");
      gl_json_append_double (out, x->acquire_seconds);
      g_string_append (out, ",\"seconds\":");
      gl_json_append_double (out, x->seconds);
      g_string_append_c (out, '}');
    }
  guint64 to85 = gl_simulate_labels_to_reach (r, 0.85);
  g_string_append (out, "],\"labels_to_85\":");
  if (to85 > 0)
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, to85);
  else
    g_string_append (out, "null");
  g_string_append (out, "}");
  return g_string_free (out, FALSE);
}

typedef struct
{
  GHashTable *index_of_class;
  GArray *pool_rows, *pool_labels, *test_rows, *test_labels;
  GArray *pool_ids;
  double test_share;
} Collect;

static gboolean
collect_reference (const GlDbCurrentLabel *label, gpointer user_data)
{
  Collect *c = user_data;
  gint k = GPOINTER_TO_INT (g_hash_table_lookup (c->index_of_class, &label->class_id)) - 1;
  if (k < 0 || label->cache_row < 0)
    return TRUE;
  guint64 row = (guint64) label->cache_row;
  gboolean test = label->held_out_test;
  if (c->test_share >= 0 && !test)
    test = gl_trainer_hash_in_share (label->image_id, c->test_share);
  g_array_append_val (test ? c->test_rows : c->pool_rows, row);
  g_array_append_val (test ? c->test_labels : c->pool_labels, k);
  if (!test)
    g_array_append_val (c->pool_ids, label->image_id);
  return TRUE;
}

static gboolean
held_out_exists (const GlDbCurrentLabel *label, gpointer user_data)
{
  if (label->held_out_test)
    {
      *(gboolean *) user_data = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* The oracle labels pool image @i (asked as an audit item when @audit). */
static void
ask_oracle (GlSimulateResult *result, guint8 *state, gsize i, gboolean audit, GArray *pool_ids, GArray *pool_rows,
            GArray *pool_labels, GArray *lab_rows, GArray *lab_labels)
{
  state[i] = GL_ITEM_LABELED;
  g_array_append_val (result->labeled, g_array_index (pool_ids, gint64, i));
  g_array_append_val (result->audit, audit);
  g_array_append_val (lab_rows, g_array_index (pool_rows, guint64, i));
  g_array_append_val (lab_labels, g_array_index (pool_labels, gint, i));
}

static gboolean
fail (GError **error, GError *local, const char *what)
{
  g_set_error (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_FAILED, "%s: %s", what, local->message);
  g_error_free (local);
  return FALSE;
}

GlSimulateResult *
gl_simulate_run (GlProject *project, const GlSimulateOptions *o, GlSimulateRoundFunc round_func,
                 gpointer user_data, GCancellable *cancellable, GError **error)
{
  GlStrategy strategy;
  GError *local = NULL;
  if (!gl_strategy_from_string (o->strategy, &strategy, &local))
    {
      g_set_error_literal (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_INVALID, local->message);
      g_error_free (local);
      return NULL;
    }
  if (o->batch == 0 || o->budget == 0 || o->seed_labels == 0 || o->seed_labels > o->budget)
    {
      g_set_error (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_INVALID,
                   "need 0 < seed labels (%u) ≤ budget (%u) and a batch (%u) > 0", o->seed_labels, o->budget,
                   o->batch);
      return NULL;
    }
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), &local);
  if (db == NULL)
    return fail (error, local, "cannot open the project"), NULL;
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &local);
  if (classes == NULL)
    return fail (error, local, "cannot read the classes"), NULL;
  guint n_classes = classes->len;
  g_autoptr (GHashTable) index_of_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  for (guint k = 0; k < n_classes; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      g_hash_table_insert (index_of_class, g_memdup2 (&c->id, sizeof c->id), GUINT_TO_POINTER (k + 1));
    }
  gboolean has_held_out = FALSE;
  if (!gl_db_foreach_current_label (db, TRUE, held_out_exists, &has_held_out, &local))
    return fail (error, local, "cannot read the reference labels"), NULL;
  Collect c = { index_of_class, g_array_new (FALSE, FALSE, sizeof (guint64)), g_array_new (FALSE, FALSE, sizeof (gint)),
                g_array_new (FALSE, FALSE, sizeof (guint64)), g_array_new (FALSE, FALSE, sizeof (gint)),
                g_array_new (FALSE, FALSE, sizeof (gint64)), has_held_out ? -1 : o->test_share };
  g_autoptr (GArray) pool_rows = c.pool_rows;
  g_autoptr (GArray) pool_labels = c.pool_labels;
  g_autoptr (GArray) test_rows = c.test_rows;
  g_autoptr (GArray) test_labels = c.test_labels;
  g_autoptr (GArray) pool_ids = c.pool_ids;
  if (!gl_db_foreach_current_label (db, TRUE, collect_reference, &c, &local))
    return fail (error, local, "cannot read the reference labels"), NULL;
  if (o->max_pool > 0 && pool_rows->len > o->max_pool)
    {
      g_array_set_size (pool_rows, o->max_pool);
      g_array_set_size (pool_labels, o->max_pool);
      g_array_set_size (pool_ids, o->max_pool);
    }
  if (o->max_test > 0 && test_rows->len > o->max_test)
    g_array_set_size (test_rows, o->max_test), g_array_set_size (test_labels, o->max_test);
  gsize n_pool = pool_rows->len, n_test = test_rows->len;
  if (n_classes < 2 || n_pool < o->seed_labels || n_test == 0)
    {
      g_set_error (error, GL_SIMULATE_ERROR, GL_SIMULATE_ERROR_NO_ORACLE,
                   "the project needs reference labels of two or more classes for %u seed labels and a test set "
                   "(it has %" G_GSIZE_FORMAT " pool and %" G_GSIZE_FORMAT " test images with reference labels)",
                   o->seed_labels, n_pool, n_test);
      return NULL;
    }

  g_autoptr (GlPixelMap) map = gl_project_map_pixels (project, &local);
  if (map == NULL)
    return fail (error, local, "cannot map the pixel cache"), NULL;
  GlDataset data = { gl_pixel_map_data (map), 0, 0, 0, 0 };
  gl_pixel_map_shape (map, &data.h, &data.w, &data.c);
  data.row_stride = (gsize) data.h * data.w * data.c;

  GlRoundOptions ropt;
  gl_round_options_init (&ropt);
  ropt.strategy = strategy;
  ropt.max_epochs = o->epochs;
  ropt.min_steps = o->min_steps;
  ropt.time_budget = o->round_seconds;
  ropt.audit_share = o->audit_share;
  /* The project's settings, as the app's rounds read them. */
  ropt.validation_share = CLAMP (gl_db_get_setting_double (db, GL_DB_SETTING_VALIDATION_SHARE,
                                                           GL_TRAINER_DEFAULT_VALIDATION_SHARE), 0.0, 0.9);
  ropt.augment = gl_db_get_setting_boolean (db, GL_DB_SETTING_AUGMENTATION, TRUE);

  GlSimulateResult *result = g_new0 (GlSimulateResult, 1);
  result->strategy = g_strdup (gl_strategy_to_string (strategy));
  result->pool_size = n_pool;
  result->test_size = n_test;
  result->rounds = g_array_new (FALSE, TRUE, sizeof (GlSimulateRound));
  result->labeled = g_array_new (FALSE, FALSE, sizeof (gint64));
  result->audit = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr (GlSimulateResult) owned = result;

  /* The labels asked so far, in the order asked. The seed set: the same for
   * every strategy with this seed. */
  g_autofree guint8 *state = g_new0 (guint8, n_pool); /* GL_ITEM_CANDIDATE */
  g_autofree gsize *picked = g_new (gsize, o->seed_labels);
  gsize got = gl_acquire_random (n_pool, NULL, o->seed_labels, o->seed ^ 0x5eedull, picked);
  g_autoptr (GArray) lab_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) lab_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gsize i = 0; i < got; i++)
    ask_oracle (result, state, picked[i], FALSE, pool_ids, pool_rows, pool_labels, lab_rows, lab_labels);

  g_autofree float *test_probs = g_new (float, n_test * n_classes);
  g_autofree gsize *sub_index = g_new (gsize, n_pool);   /* scored item → pool index */
  g_autofree guint64 *sub_rows = g_new (guint64, n_pool);
  g_autofree guint8 *sub_state = g_new (guint8, n_pool);
  g_autoptr (GlNet) net = NULL; /* the last round's: the next one starts from it */

  for (guint round = 0;; round++)
    {
      gint64 t0 = g_get_monotonic_time ();
      /* The app's round: labels (validation and audit apart), train, evaluate. */
      ropt.seed = gl_round_seed (o->seed, round);
      g_autoptr (GlRound) r = gl_round_new (&data, n_classes, &ropt);
      if (!gl_round_set_labels (r, (gint64 *) result->labeled->data, (guint64 *) lab_rows->data,
                                (gint *) lab_labels->data, (gboolean *) result->audit->data, lab_rows->len, &local)
          || !gl_round_train (r, net, NULL, NULL, cancellable, &local)
          || !gl_round_evaluate (r, cancellable, &local))
        return fail (error, local, "the round failed"), NULL;
      g_clear_pointer (&net, gl_net_free);
      net = gl_round_steal_net (r);
      gint64 t1 = g_get_monotonic_time ();
      /* The oracle's figure: accuracy on the test set. */
      if (!gl_net_predict (net, &data, (guint64 *) test_rows->data, n_test, test_probs, NULL, NULL, NULL,
                           cancellable, &local))
        return fail (error, local, "evaluation failed"), NULL;
      g_autoptr (GlMetrics) m = gl_metrics_compute ((gint *) test_labels->data, test_probs, n_test, n_classes, NULL);
      GlSimulateRound x = { round, lab_rows->len, m ? m->accuracy : NAN, m ? m->macro_f1 : NAN, (t1 - t0) / 1e6 };
      x.validation_accuracy = r->validation ? r->validation->accuracy : NAN;
      x.n_train = r->train_rows->len;
      gint64 t2 = g_get_monotonic_time ();
      gboolean last = lab_rows->len >= o->budget || lab_rows->len >= n_pool
                      || (o->stop_accuracy > 0 && x.test_accuracy >= o->stop_accuracy);
      if (!last)
        {
          /* Score the pool (or the labeled images and a random sample of
           * the rest) and ask the oracle for the next batch. */
          gsize n_score = n_pool;
          if (o->pool_sample > 0 && n_pool - lab_rows->len > o->pool_sample)
            {
              n_score = 0;
              for (gsize i = 0; i < n_pool; i++)
                if (state[i] == GL_ITEM_LABELED)
                  sub_index[n_score++] = i;
              g_autofree gsize *drawn = g_new (gsize, o->pool_sample);
              gsize got_sample = gl_acquire_random (n_pool, state, o->pool_sample, o->seed * 31 + round, drawn);
              for (gsize i = 0; i < got_sample; i++)
                sub_index[n_score++] = drawn[i];
            }
          else
            for (gsize i = 0; i < n_pool; i++)
              sub_index[i] = i;
          for (gsize i = 0; i < n_score; i++)
            {
              sub_rows[i] = g_array_index (pool_rows, guint64, sub_index[i]);
              sub_state[i] = state[sub_index[i]];
            }
          if (!gl_round_score (r, net, sub_rows, n_score, 0, NULL, NULL, cancellable, &local))
            return fail (error, local, "scoring failed"), NULL;
          gint64 t_inferred = g_get_monotonic_time ();
          x.infer_seconds = (t_inferred - t2) / 1e6;
          g_autoptr (GArray) sel = gl_round_select (r, sub_state, MIN (o->batch, o->budget - lab_rows->len), &local);
          if (sel == NULL)
            return fail (error, local, "selection failed"), NULL;
          for (guint i = 0; i < sel->len; i++)
            {
              const GlAcquireItem *a = &g_array_index (sel, GlAcquireItem, i);
              ask_oracle (result, state, sub_index[a->index], a->audit, pool_ids, pool_rows, pool_labels, lab_rows,
                          lab_labels);
            }
          last = sel->len == 0;
          x.acquire_seconds = (g_get_monotonic_time () - t_inferred) / 1e6;
        }
      gint64 t3 = g_get_monotonic_time ();
      x.score_seconds = (t3 - t2) / 1e6;
      x.seconds = x.train_seconds + x.score_seconds;
      g_array_append_val (result->rounds, x);
      if (round_func)
        round_func (&x, user_data);
      if (last)
        break;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
    }
  result->net = g_steal_pointer (&net);
  return g_steal_pointer (&owned);
}
