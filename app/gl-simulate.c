/* gl-simulate.c — see gl-simulate.h. */
#include "app/gl-simulate.h"

#include <math.h>
#include <string.h>

#include "app/gl-export.h"
#include "app/gl-trainer.h"
#include "db/gl-db.h"
#include "engine/gl-acquire.h"
#include "engine/gl-metrics.h"
#include "engine/gl-net.h"

G_DEFINE_QUARK (gl-simulate-error-quark, gl_simulate_error)

#define BATCH 32
#define MC_PASSES 8

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
  o->round_seconds = 15;
  o->audit_share = 0;
  o->test_share = 0.2;
}

void
gl_simulate_result_free (GlSimulateResult *r)
{
  if (r == NULL)
    return;
  g_free (r->strategy);
  g_clear_pointer (&r->rounds, g_array_unref);
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
    g_array_set_size (pool_rows, o->max_pool), g_array_set_size (pool_labels, o->max_pool);
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

  g_autoptr (GlNetSpec) spec = gl_net_spec_default_for_input (data.h, data.w, data.c);
  g_autoptr (GlNet) net = gl_net_new (spec, data.h, data.w, data.c, n_classes, o->seed, &local);
  if (net == NULL)
    return fail (error, local, "cannot build the network"), NULL;
  guint dim = gl_net_get_embedding_dim (net);

  GlSimulateResult *result = g_new0 (GlSimulateResult, 1);
  result->strategy = g_strdup (gl_strategy_to_string (strategy));
  result->pool_size = n_pool;
  result->test_size = n_test;
  result->rounds = g_array_new (FALSE, TRUE, sizeof (GlSimulateRound));
  g_autoptr (GlSimulateResult) owned = result;

  /* The seed set: the same for every strategy with this seed. */
  g_autofree guint8 *state = g_new0 (guint8, n_pool); /* GL_ITEM_CANDIDATE */
  g_autofree gsize *picked = g_new (gsize, MAX (o->budget, o->batch));
  gsize got = gl_acquire_random (n_pool, NULL, o->seed_labels, o->seed ^ 0x5eedull, picked);
  g_autoptr (GArray) lab_rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) lab_labels = g_array_new (FALSE, FALSE, sizeof (gint));
  for (gsize i = 0; i < got; i++)
    {
      state[picked[i]] = GL_ITEM_LABELED;
      g_array_append_val (lab_rows, g_array_index (pool_rows, guint64, picked[i]));
      g_array_append_val (lab_labels, g_array_index (pool_labels, gint, picked[i]));
    }

  g_autofree float *test_probs = g_new (float, n_test * n_classes);
  g_autofree float *probs = g_new (float, n_pool * n_classes);
  g_autofree float *emb = g_new (float, n_pool * (gsize) dim);
  g_autofree float *mc = strategy == GL_STRATEGY_BALD ? g_new (float, (gsize) MC_PASSES * n_pool * n_classes) : NULL;
  g_autofree gsize *sub_index = g_new (gsize, n_pool);   /* scored item → pool index */
  g_autofree guint64 *sub_rows = g_new (guint64, n_pool);
  g_autofree guint8 *sub_state = g_new (guint8, n_pool);

  for (guint round = 0;; round++)
    {
      gint64 t0 = g_get_monotonic_time ();
      GlTrainOptions topt;
      gl_train_options_init (&topt);
      topt.batch_size = BATCH;
      guint steps_per_epoch = (lab_rows->len + BATCH - 1) / BATCH;
      topt.epochs = MAX (o->epochs, (o->min_steps + steps_per_epoch - 1) / MAX (steps_per_epoch, 1));
      topt.max_seconds = o->round_seconds;
      topt.lr = GL_TRAINER_LR;
      topt.schedule = GL_SCHEDULE_COSINE;
      topt.augment = GL_AUGMENT_CROP; /* no flip: it changes the class of digits, letters, arrows */
      topt.seed = o->seed * 1000 + round;
      if (!gl_net_train (net, &data, (guint64 *) lab_rows->data, (gint *) lab_labels->data, lab_rows->len, &topt,
                         NULL, NULL, cancellable, NULL, &local))
        return fail (error, local, "training failed"), NULL;
      gint64 t1 = g_get_monotonic_time ();
      if (!gl_net_predict (net, &data, (guint64 *) test_rows->data, n_test, test_probs, NULL, NULL, NULL,
                           cancellable, &local))
        return fail (error, local, "evaluation failed"), NULL;
      g_autoptr (GlMetrics) m = gl_metrics_compute ((gint *) test_labels->data, test_probs, n_test, n_classes, NULL);
      GlSimulateRound r = { round, lab_rows->len, m ? m->accuracy : NAN, m ? m->macro_f1 : NAN,
                            (t1 - t0) / 1e6, 0, 0 };
      gint64 t2 = g_get_monotonic_time ();
      gboolean last = lab_rows->len >= o->budget || lab_rows->len >= n_pool
                      || (o->stop_accuracy > 0 && r.test_accuracy >= o->stop_accuracy);
      if (!last)
        {
          /* Rescore the pool (or the labeled images and a random sample of
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
          if (!gl_net_predict (net, &data, sub_rows, n_score, probs, emb, NULL, NULL, cancellable, &local))
            return fail (error, local, "scoring failed"), NULL;
          if (mc != NULL && !gl_net_predict_mc (net, &data, sub_rows, n_score, MC_PASSES, o->seed + round, mc, NULL,
                                                NULL, NULL, cancellable, &local))
            return fail (error, local, "Monte-Carlo scoring failed"), NULL;
          gint64 t_inferred = g_get_monotonic_time ();
          r.infer_seconds = (t_inferred - t2) / 1e6;
          GlAcquirePool pool = { .n = n_score, .n_classes = n_classes, .state = sub_state, .probs = probs,
                                 .mc_probs = mc, .n_passes = mc ? MC_PASSES : 0, .embeddings = emb, .dim = dim };
          GlAcquireOptions aopt;
          gl_acquire_options_init (&aopt);
          aopt.batch_size = MIN (o->batch, o->budget - lab_rows->len);
          aopt.audit_share = o->audit_share;
          aopt.seed = o->seed * 7919 + round;
          g_autoptr (GArray) sel = gl_acquire_select (strategy, &pool, &aopt, &local);
          if (sel == NULL)
            return fail (error, local, "selection failed"), NULL;
          for (guint i = 0; i < sel->len; i++)
            {
              gsize idx = sub_index[g_array_index (sel, GlAcquireItem, i).index];
              state[idx] = GL_ITEM_LABELED;
              g_array_append_val (lab_rows, g_array_index (pool_rows, guint64, idx));
              g_array_append_val (lab_labels, g_array_index (pool_labels, gint, idx));
            }
          last = sel->len == 0;
          r.acquire_seconds = (g_get_monotonic_time () - t_inferred) / 1e6;
        }
      gint64 t3 = g_get_monotonic_time ();
      r.score_seconds = (t3 - t2) / 1e6;
      r.seconds = r.train_seconds + r.score_seconds;
      g_array_append_val (result->rounds, r);
      if (round_func)
        round_func (&r, user_data);
      if (last)
        break;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
    }
  return g_steal_pointer (&owned);
}
