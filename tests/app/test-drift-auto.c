/* test-drift-auto.c — drift automation (issue 13): on a seeded stream, two
 * unshifted import batches start nothing; two batches of a new kind of image
 * (squares in the centre) persist and hurt, and the trainer turns the
 * drift-boosted queue on by itself — recorded in the store with its
 * statistics, still there after reopening, its queue items carrying the
 * "drift: …" reason, a retrain asked for once enough of them are labeled;
 * ADWIN flags the drop of the audited accuracy; with automation off nothing
 * is done until the user asks. */
#include "synth-project.h"

#include "app/gl-drift-adapt.h"
#include "app/gl-drift-auto.h"
#include "app/gl-drift-boost.h"
#include "app/gl-drift-report.h"
#include "app/gl-queue.h"
#include "engine/gl-rng.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A trained project: 600 pool images (240 labeled), 100 held out. */
static char *
trained_project (const char *dir, gboolean automation)
{
  char *proj = g_build_filename (dir, "project", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = synth_project (dir, 600, 100);

  synth_label_first (p, gl_project_get_db (p), 240);
  if (!automation)
    g_assert_true (gl_db_set_setting (gl_project_get_db (p), GL_DRIFT_AUTO_SETTING_ENABLED, "0", &error));
  g_assert_no_error (error);
  g_clear_pointer (&p, gl_project_close);
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "train", proj, "--epochs", "8", NULL }, NULL), ==, 0);
  return proj;
}

/* Imports a batch of @n images (@centred: the new kind) and computes its
 * drift, as `gleaner-cli import` does. */
static void
import_batch (GlProject *p, const char *dir, const char *split, guint n, guint32 seed, gboolean centred)
{
  g_autoptr (GError) error = NULL;
  gint64 model;
  gboolean has_reference;

  synth_write_idx (dir, split, n, seed, centred);
  synth_import_split (p, dir, split);
  g_assert_true (gl_drift_report_update (p, 0, 0, &model, &has_reference, &error));
  g_assert_no_error (error);
  g_assert_true (has_reference);
}

static GArray *
actions (GlDb *db)
{
  g_autoptr (GError) error = NULL;
  GArray *a = gl_db_list_drift_actions (db, 0, &error);

  g_assert_no_error (error);
  return a;
}

/* Queue items (stored) whose reason starts with "drift: "; @novel: of
 * those, how many are the new kind; @n_plain: the others, audit excluded. */
static guint
count_boosted (GlDb *db, guint limit, guint *novel, guint *n_plain)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) q = gl_db_read_queue (db, limit, &error);
  guint n = 0;

  g_assert_no_error (error);
  *novel = *n_plain = 0;
  for (guint i = 0; i < q->len; i++)
    {
      const GlDbQueueItem *it = &g_array_index (q, GlDbQueueItem, i);
      if (g_str_has_prefix (it->reason, "drift: "))
        {
          n++;
          *novel += strstr (it->reason, ", new kind of image") != NULL;
        }
      else if (!it->audit)
        (*n_plain)++;
    }
  return n;
}

static void
test_automation_fires (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gleaner-drift-auto-XXXXXX", NULL);
  g_autofree char *proj = NULL, *out = NULL;
  g_autoptr (GError) error = NULL;
  GlDriftAutoState state = { 0 };
  guint novel, plain;

  if (g_getenv ("GLEANER_CLI") == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  proj = trained_project (dir, TRUE);
  {
    g_autoptr (GlProject) p = gl_project_open (proj, &error);
    GlDb *db;
    g_autoptr (GArray) a = NULL;

    g_assert_no_error (error);
    db = gl_project_get_db (p);
    /* The unshifted stream: two batches like the pool. Nothing done. */
    import_batch (p, dir, "same1", 300, 31, FALSE);
    import_batch (p, dir, "same2", 300, 32, FALSE);
    a = actions (db);
    g_assert_cmpuint (a->len, ==, 0);
    g_assert_true (gl_drift_auto_read_state (db, &state, &error));
    g_test_message ("unshifted: %s", state.summary);
    g_assert_false (state.persists_and_hurts);
    g_assert_false (state.boost_active);
    g_assert_cmpuint (count_boosted (db, 1000, &novel, &plain), ==, 0);
    gl_drift_auto_state_clear (&state);

    /* The shifted stream: two batches of the new kind. */
    import_batch (p, dir, "novel1", 300, 41, TRUE);
    g_clear_pointer (&a, g_array_unref);
    a = actions (db);
    g_assert_cmpuint (a->len, ==, 0); /* one batch does not persist */
    import_batch (p, dir, "novel2", 300, 42, TRUE);
    g_assert_true (gl_drift_auto_read_state (db, &state, &error));
    g_test_message ("shifted: %s", state.summary);
    g_assert_true (state.drifted);
    g_assert_cmpuint (state.run_length, >=, 2);
    g_assert_true (state.persists && state.hurts && state.persists_and_hurts);
    g_assert_true (state.boost_active);
    g_assert_cmpstr (state.boost_origin, ==, "auto");
    g_assert_cmpuint (state.classes->len, >, 0);
    {
      const GlDriftAutoClass *c = &g_array_index (state.classes, GlDriftAutoClass, 0);
      g_assert_true (c->p_adjusted <= 0.05 && c->n_win > 0 && c->n_ref > 0 && *c->test && c->name);
    }
    gl_drift_auto_state_clear (&state);
    g_clear_pointer (&a, g_array_unref);
    a = actions (db);
    g_assert_cmpuint (a->len, ==, 1);
    {
      const GlDbDriftAction *x = &g_array_index (a, GlDbDriftAction, 0);
      g_assert_cmpstr (x->origin, ==, "auto");
      g_assert_cmpstr (x->action, ==, "boost");
      g_assert_cmpstr (x->trigger, ==, "batches");
      g_assert_nonnull (strstr (x->statistics, "\"persists\":true"));
      g_assert_nonnull (strstr (x->statistics, "\"p_adjusted\":"));
      g_assert_true (*x->classes && *x->detail);
    }

    /* The stored queue: about half its non-audit places are drift items. */
    g_assert_cmpuint (count_boosted (db, 200, &novel, &plain), >, 40);
    g_test_message ("boosted queue: %u plain, %u novel", plain, novel);
    g_assert_cmpuint (novel, >, 0);
    g_assert_cmpuint (count_boosted (db, 200, &novel, &plain), <=, plain + 1);

    {
      /* The queue shows the reason as stored. */
      g_autoptr (GlQueue) queue = gl_queue_new (p, &error);
      g_autoptr (GPtrArray) peek = NULL;
      guint seen = 0;

      g_assert_no_error (error);
      peek = gl_queue_peek (queue, 10);
      for (guint i = 0; i < peek->len; i++)
        seen += g_str_has_prefix (((GlQueueItem *)peek->pdata[i])->reason_text, "drift: ");
      if (gl_queue_get_current (queue) != NULL)
        seen += g_str_has_prefix (gl_queue_get_current (queue)->reason_text, "drift: ");
      g_assert_cmpuint (seen, >=, 3);
    }

    /* Evaluating again changes nothing: the boost is on. */
    g_assert_true (gl_drift_auto_evaluate (db, NULL, &error));
    g_clear_pointer (&a, g_array_unref);
    a = actions (db);
    g_assert_cmpuint (a->len, ==, 1);

    {
      /* 50 of the drifted images labeled: a retrain is due, once. */
      g_autoptr (GArray) cands = gl_db_list_drift_candidates (db, gl_db_get_current_model (db), &error);
      gboolean due = TRUE;

      g_assert_no_error (error);
      g_assert_cmpuint (cands->len, >=, 50);
      for (guint i = 0; i < 49; i++)
        {
          gint64 id = g_array_index (cands, GlDbDriftCandidate, i).image_id;
          g_assert_true (
              gl_db_set_label (db, id, synth_reference (db, id), GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
        }
      g_assert_true (gl_drift_auto_retrain_due (db, &due, &error));
      g_assert_false (due);
      {
        gint64 id = g_array_index (cands, GlDbDriftCandidate, 49).image_id;
        g_assert_true (
            gl_db_set_label (db, id, synth_reference (db, id), GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
      }
      g_assert_true (gl_drift_auto_retrain_due (db, &due, &error));
      g_assert_true (due);
      g_assert_true (gl_drift_auto_retrain_due (db, &due, &error));
      g_assert_false (due);
    }

    {
      /* Audit labels in labeling order: 160 like the pool, then 160 of the
       * new kind, which the model gets wrong far more often. */
      g_autoptr (GArray) rows = gl_db_list_image_rows (db, -1, 0, &error);
      guint normal = 0, centred = 0;

      g_assert_no_error (error);
      for (guint i = 0; i < rows->len && normal < 160; i++)
        {
          const GlDbImageRow *r = &g_array_index (rows, GlDbImageRow, i);
          GlDbLabel l = { 0 };
          g_assert_true (gl_db_get_current_label (db, r->image_id, FALSE, &l, &error));
          if (r->batch_id == 1 && l.class_id < 0)
            {
              g_assert_true (gl_db_set_audit_label (db, r->image_id, synth_reference (db, r->image_id),
                                                    GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
              normal++;
            }
          gl_db_label_clear (&l);
        }
      for (guint i = rows->len; i-- > 0 && centred < 160;)
        {
          const GlDbImageRow *r = &g_array_index (rows, GlDbImageRow, i);
          GlDbLabel l = { 0 };
          g_assert_true (gl_db_get_current_label (db, r->image_id, FALSE, &l, &error));
          if (l.class_id < 0)
            {
              g_assert_true (gl_db_set_audit_label (db, r->image_id, synth_reference (db, r->image_id),
                                                    GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
              centred++;
            }
          gl_db_label_clear (&l);
        }
      g_assert_cmpuint (normal, ==, 160);
      g_assert_cmpuint (centred, ==, 160);
    }
  }

  /* A round scores everything with a new version; the audit labels (never
   * trained on) show the drop to ADWIN. */
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "train", proj, "--epochs", "8", NULL }, NULL), ==, 0);
  {
    g_autoptr (GlProject) p = gl_project_open (proj, &error);
    GlDb *db;
    g_autoptr (GArray) changes = NULL, a = NULL;

    g_assert_no_error (error);
    db = gl_project_get_db (p);
    changes = gl_db_list_audit_changes (db, gl_db_get_current_model (db), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (changes->len, >, 0);
    for (guint i = 0; i < changes->len; i++)
      {
        const GlDbAuditChange *c = &g_array_index (changes, GlDbAuditChange, i);
        g_test_message ("ADWIN: class %" G_GINT64_FORMAT " %.2f (%" G_GUINT64_FORMAT
                        ") -> %.2f (%" G_GUINT64_FORMAT "), eps %.3f",
                        c->class_id, c->mean_before, c->width_before, c->mean_after, c->width_after,
                        c->epsilon);
        g_assert_cmpfloat (c->mean_before - c->mean_after, >=, c->epsilon);
        g_assert_cmpuint (c->width_before, >=, 10);
        g_assert_cmpuint (c->width_after, >=, 10);
      }
    /* Reopened: every action is still there (boost, retrain, and the
     * round's weighting of the 50 drifted labels, those not held for
     * validation). */
    a = actions (db);
    g_assert_cmpuint (a->len, >=, 3);
    g_assert_cmpstr (g_array_index (a, GlDbDriftAction, 0).action, ==, "boost");
    g_assert_cmpstr (g_array_index (a, GlDbDriftAction, 1).action, ==, "retrain");
    {
      const GlDbDriftAction *w = &g_array_index (a, GlDbDriftAction, 2);
      const char *nd;

      g_test_message ("%s: %s", w->detail, w->statistics);
      g_assert_cmpstr (w->action, ==, "weight");
      g_assert_cmpstr (w->origin, ==, "auto");
      g_assert_cmpstr (w->trigger, ==, "round");
      g_assert_nonnull (strstr (w->detail, "drift round: "));
      nd = strstr (w->statistics, "\"n_drifted\":");
      g_assert_nonnull (nd);
      g_assert_cmpint (atoi (nd + strlen ("\"n_drifted\":")), >=, 30);
      g_assert_cmpint (atoi (nd + strlen ("\"n_drifted\":")), <=, 50);
      g_assert_nonnull (strstr (w->statistics, "\"n_added\":"));
      g_assert_null (strstr (w->statistics, "\"n_added\":0}"));
    }
  }
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "drift", proj, NULL }, &out), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "action 1 at "));
  g_assert_nonnull (strstr (out, "(auto, model version 1): boost, trigger batches"));
  g_assert_nonnull (strstr (out, "retrain, trigger labels"));
  g_assert_nonnull (strstr (out, "weight, trigger round"));
  g_assert_nonnull (strstr (out, "audit accuracy of "));
  g_assert_nonnull (strstr (out, "estimated accuracy"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "drift", proj, "--json", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"actions\":[{\"id\":1,"));
  g_assert_nonnull (strstr (out, "\"origin\":\"auto\",\"action\":\"boost\""));
  g_assert_nonnull (strstr (out, "\"audit_changes\":[{"));
  g_assert_nonnull (strstr (out, "\"state\":{\"model_version\":"));
  g_assert_null (strstr (out, "nan"));
  gl_remove_tree (dir);
}

static void
got_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static void
test_automation_off (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gleaner-drift-off-XXXXXX", NULL);
  g_autofree char *proj = NULL;
  g_autoptr (GError) error = NULL;
  GlDriftAutoState state = { 0 };
  guint novel, plain;
  gint64 action = -1, again = -1;

  if (g_getenv ("GLEANER_CLI") == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return;
    }
  proj = trained_project (dir, FALSE);
  {
    g_autoptr (GlProject) p = gl_project_open (proj, &error);
    GlDb *db;
    g_autoptr (GArray) a = NULL;
    gboolean due = TRUE;

    g_assert_no_error (error);
    db = gl_project_get_db (p);
    import_batch (p, dir, "novel1", 300, 41, TRUE);
    {
      /* The second batch as a watched folder's: computed on a worker thread. */
      g_autoptr (GMainContext) ctx = g_main_context_new ();
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GArray) batches = NULL;

      synth_write_idx (dir, "novel2", 300, 42, TRUE);
      synth_import_split (p, dir, "novel2");
      g_main_context_push_thread_default (ctx);
      gl_drift_report_update_async (p, NULL, got_result, &result);
      while (result == NULL)
        g_main_context_iteration (ctx, TRUE);
      g_main_context_pop_thread_default (ctx);
      g_assert_true (gl_drift_report_update_finish (result, &error));
      g_assert_no_error (error);
      batches = gl_db_list_drift_results (db, gl_db_get_current_model (db), GL_DB_DRIFT_BATCH, &error);
      g_assert_cmpint (g_array_index (batches, GlDbDriftResult, batches->len - 1).batch_id, ==, 4);
      g_assert_true (g_array_index (batches, GlDbDriftResult, batches->len - 1).drifted);
    }
    g_assert_true (gl_drift_auto_read_state (db, &state, &error));
    g_assert_true (state.persists_and_hurts);
    g_assert_false (state.automation);
    g_assert_false (state.boost_active);
    gl_drift_auto_state_clear (&state);
    a = actions (db);
    g_assert_cmpuint (a->len, ==, 0);
    g_assert_cmpuint (count_boosted (db, 1000, &novel, &plain), ==, 0);
    g_assert_true (gl_drift_auto_retrain_due (db, &due, &error));
    g_assert_false (due);

    /* "Label drifted images": the user's action, the queue boosted at once. */
    g_assert_true (gl_drift_auto_start_boost (db, &action, &error));
    g_assert_no_error (error);
    g_assert_cmpint (action, >, 0);
    g_assert_true (gl_drift_auto_start_boost (db, &again, &error));
    g_assert_cmpint (again, ==, action);
    g_clear_pointer (&a, g_array_unref);
    a = actions (db);
    g_assert_cmpuint (a->len, ==, 1);
    g_assert_cmpstr (g_array_index (a, GlDbDriftAction, 0).origin, ==, "user");
    g_assert_cmpstr (g_array_index (a, GlDbDriftAction, 0).trigger, ==, "request");
    g_assert_cmpuint (count_boosted (db, 200, &novel, &plain), >, 40);
    g_assert_true (gl_drift_auto_read_state (db, &state, &error));
    g_assert_true (state.boost_active);
    g_assert_cmpstr (state.boost_origin, ==, "user");
    gl_drift_auto_state_clear (&state);

    g_assert_true (gl_drift_auto_stop_boost (db, &error));
    g_assert_true (gl_drift_auto_read_state (db, &state, &error));
    g_assert_false (state.boost_active);
    gl_drift_auto_state_clear (&state);
    {
      /* Drifted images labeled, automation off: the round trains on them
       * as on any label (no "weight" action). */
      g_autoptr (GArray) cands = gl_db_list_drift_candidates (db, gl_db_get_current_model (db), &error);

      g_assert_no_error (error);
      for (guint i = 0; i < MIN (cands->len, 50u); i++)
        {
          gint64 id = g_array_index (cands, GlDbDriftCandidate, i).image_id;
          g_assert_true (
              gl_db_set_label (db, id, synth_reference (db, id), GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
        }
    }
  }
  g_assert_cmpint (synth_run_cli ((const char *const[]){ "train", proj, "--epochs", "2", NULL }, NULL), ==, 0);
  {
    g_autoptr (GlProject) p = gl_project_open (proj, &error);
    g_autoptr (GArray) a = NULL;

    g_assert_no_error (error);
    a = actions (gl_project_get_db (p));
    for (guint i = 0; i < a->len; i++)
      g_assert_cmpstr (g_array_index (a, GlDbDriftAction, i).action, !=, "weight");
  }
  gl_remove_tree (dir);
}

/* The weight of a drifted label (app/gl-drift-adapt.h) by hand: 100 of
 * 1,000 labels drifted, π 0.4: w = 0.4 · 900 / (0.6 · 100) = 6, 500 copies
 * added; π 0.8: w = 36, clipped to GL_DRIFT_ADAPT_MAX_WEIGHT; π 0.05: w =
 * 0.47, no adaptation (the drifted labels already weigh more than the new
 * kind does); without drift or drifted label, nothing. */
static void
test_adapt_weight (void)
{
  GlDriftAdaptReport r = { .n_train = 1000, .n_drifted = 100, .share = 0.4 };
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint));
  gboolean drifted[1000];
  guint64 count7 = 0;
  g_autofree char *line = NULL;

  for (guint i = 0; i < 1000; i++)
    {
      guint64 row = 10 + i;
      gint label = (gint)(i % 10);

      g_array_append_val (rows, row);
      g_array_append_val (labels, label);
      drifted[i] = i % 10 == 7;
    }
  g_assert_true (gl_drift_adapt_weigh (&r));
  g_assert_cmpfloat_with_epsilon (r.weight, 6.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (r.applied, 6.0, 1e-12);
  gl_drift_adapt_oversample (rows, labels, drifted, &r);
  g_assert_cmpuint (r.n_added, ==, 500);
  g_assert_cmpuint (rows->len, ==, 1500);
  for (guint i = 0; i < rows->len; i++)
    {
      g_assert_cmpint (g_array_index (labels, gint, i), ==, (gint)((g_array_index (rows, guint64, i) - 10) % 10));
      count7 += g_array_index (labels, gint, i) == 7;
    }
  g_assert_cmpuint (count7, ==, 600); /* 6 of each drifted label */
  line = gl_drift_adapt_describe (&r);
  g_assert_cmpstr (line, ==, "drift round: 100 of 1000 training labels drifted (π 0.40 of 0 images), weight 6.0 "
                             "(6.0 before clipping), 500 copies");

  /* A fractional weight: ⌈w⌉ copies for the first ones, w · n_d in all. */
  r = (GlDriftAdaptReport){ .n_train = 1000, .n_drifted = 100, .share = 0.25 };
  g_array_set_size (rows, 1000);
  g_array_set_size (labels, 1000);
  g_assert_true (gl_drift_adapt_weigh (&r));
  g_assert_cmpfloat_with_epsilon (r.weight, 3.0, 1e-12);
  r.applied = 2.5;
  gl_drift_adapt_oversample (rows, labels, drifted, &r);
  g_assert_cmpuint (r.n_added, ==, 150); /* 250 rows for the 100 drifted labels */

  r = (GlDriftAdaptReport){ .n_train = 1000, .n_drifted = 100, .share = 0.8 };
  g_assert_true (gl_drift_adapt_weigh (&r));
  g_assert_cmpfloat_with_epsilon (r.weight, 36.0, 1e-9);
  g_assert_cmpfloat (r.applied, ==, GL_DRIFT_ADAPT_MAX_WEIGHT);

  r = (GlDriftAdaptReport){ .n_train = 1000, .n_drifted = 100, .share = 0.05 };
  g_assert_false (gl_drift_adapt_weigh (&r));
  g_assert_cmpfloat (r.applied, ==, 1.0);
  g_array_set_size (rows, 1000);
  gl_drift_adapt_oversample (rows, labels, drifted, &r);
  g_assert_cmpuint (rows->len, ==, 1000);
  g_assert_null (gl_drift_adapt_describe (&r));

  r = (GlDriftAdaptReport){ .n_train = 1000, .n_drifted = 0, .share = 0.5 };
  g_assert_false (gl_drift_adapt_weigh (&r));
  r = (GlDriftAdaptReport){ .n_train = 1000, .n_drifted = 100, .share = 0.0 };
  g_assert_false (gl_drift_adapt_weigh (&r));
  r = (GlDriftAdaptReport){ .n_train = 100, .n_drifted = 100, .share = 1.0 };
  g_assert_false (gl_drift_adapt_weigh (&r)); /* every label drifted: nothing to weigh against */
  r = (GlDriftAdaptReport){ .n_train = 1000, .n_drifted = 100, .share = 1.0 };
  g_assert_true (gl_drift_adapt_weigh (&r));
  g_assert_cmpfloat (r.applied, ==, GL_DRIFT_ADAPT_MAX_WEIGHT);
}

/* The status bar's figures: the newest batch's CBPE accuracy with its
 * standard error, beside the validation accuracy; and no model, no state. */
static void
test_accuracy_and_empty (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gleaner-drift-acc-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = synth_project (dir, 40, 0);
  GlDb *db = gl_project_get_db (p);
  GlDriftAutoState state = { 0 };
  GlDriftAutoAccuracy acc;
  gint64 action;

  g_assert_true (gl_drift_auto_read_state (db, &state, &error));
  g_assert_cmpint (state.model_id, ==, -1);
  g_assert_cmpint (state.drift_id, ==, -1);
  g_assert_false (state.persists_and_hurts);
  g_assert_cmpstr (state.summary, ==, "");
  gl_drift_auto_state_clear (&state);
  g_assert_true (gl_drift_auto_read_accuracy (db, &acc, &error));
  g_assert_cmpint (acc.model_id, ==, -1);
  g_assert_true (isnan (acc.accuracy_est) && isnan (acc.validation_accuracy));
  g_assert_false (gl_drift_auto_start_boost (db, &action, &error));
  g_assert_error (error, GL_DB_ERROR, GL_DB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (gl_drift_auto_evaluate (db, NULL, &error));
  g_assert_no_error (error);

  gl_remove_tree (dir);
}

/* A bad threshold falls back to its default, with a warning naming it. */
static void
test_bad_setting (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *dir = g_dir_make_tmp ("gleaner-drift-set-XXXXXX", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (GlProject) p = synth_project (dir, 8, 0);
      GlDriftAutoSettings s;

      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_assert_true (
          gl_db_set_setting (gl_project_get_db (p), GL_DRIFT_AUTO_SETTING_BOOST_SHARE, "1.5", &error));
      gl_drift_auto_settings_read (gl_project_get_db (p), &s);
      g_assert_cmpfloat (s.boost_share, ==, 0.5);
      g_assert_true (s.enabled);
      g_assert_cmpuint (s.persist, ==, 2);
      g_assert_cmpuint (s.retrain_labels, ==, 50);
      g_clear_pointer (&p, gl_project_close);
      gl_remove_tree (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*drift_boost_share = \"1.5\" is out of range; using 0.5*");
}

/* Candidates of a window, by hand: the reference of class 0 lies on a line
 * through the origin at distances 0, 0.02, …, 0.98 (twice each), so its
 * centroid is the origin, its median distance 0.49 and its 99th percentile
 * 0.98. */
static void
test_candidates (void)
{
  float ref_probs[100 * 2], ref_emb[100 * 2];
  const float win_probs[] = { 0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.1f, 0.1f, 0.9f };
  const float win_emb[] = { 0.2f, 0.0f, 0.0f, 0.7f, -5.0f, 0.0f, 3.0f, 3.0f };
  const gint64 ids[] = { 11, 12, 13, 14 }, class_ids[] = { 100, 200 };
  gboolean drifted[] = { TRUE, FALSE };
  g_autoptr (GArray) c = NULL;

  for (guint i = 0; i < 100; i++)
    {
      ref_probs[2 * i] = 0.9f;
      ref_probs[2 * i + 1] = 0.1f;
      ref_emb[2 * i] = (i % 2 ? -1.0f : 1.0f) * (float)(i / 2) / 50.0f;
      ref_emb[2 * i + 1] = 0.0f;
    }
  {
    GlDriftSample ref = { 100, 2, ref_probs, 2, ref_emb }, win = { 4, 2, win_probs, 2, win_emb };

    /* Image 11 is near the centre (not a candidate), 12 farther than the
     * median of a drifted class, 13 beyond the 99th percentile (novel);
     * 14 is of class 1, which did not drift and has no reference. */
    c = gl_drift_boost_candidates (&ref, &win, ids, class_ids, drifted, 30, 99);
    g_assert_cmpuint (c->len, ==, 2);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 0).image_id, ==, 12);
    g_assert_false (g_array_index (c, GlDbDriftCandidate, 0).novel);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 0).class_id, ==, 100);
    g_assert_cmpfloat_with_epsilon (g_array_index (c, GlDbDriftCandidate, 0).distance, 0.7 / 0.98, 0.01);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 1).image_id, ==, 13);
    g_assert_true (g_array_index (c, GlDbDriftCandidate, 1).novel);
    g_assert_cmpfloat_with_epsilon (g_array_index (c, GlDbDriftCandidate, 1).distance, 5.0 / 0.98, 0.05);
    /* Both far from any reference row, neither of a window-only cluster:
     * their priority is the model's distrust times that distance. */
    g_assert_true (g_array_index (c, GlDbDriftCandidate, 0).priority > 0.0);
    g_assert_true (g_array_index (c, GlDbDriftCandidate, 1).priority > 0.0);
    g_clear_pointer (&c, g_array_unref);

    /* Nothing drifted: only the novel image. */
    drifted[0] = FALSE;
    c = gl_drift_boost_candidates (&ref, &win, ids, class_ids, drifted, 30, 99);
    g_assert_cmpuint (c->len, ==, 1);
    g_assert_cmpint (g_array_index (c, GlDbDriftCandidate, 0).image_id, ==, 13);
  }
}

static gint
by_priority (gconstpointer a, gconstpointer b)
{
  double x = ((const GlDbDriftCandidate *)a)->priority, y = ((const GlDbDriftCandidate *)b)->priority;

  return (x < y) - (x > y);
}

/* Candidates cover the new kinds of image, not only the farthest: a
 * reference of two classes, N((0, 0), 0.5²) and N((4, 0), 0.5²); a window of
 * 100 images like it, 70 of a new kind far out (around (0, 9), class 0 with
 * confidence 0.9) and 30 of another nearer (around (4, −5), class 1, 0.6).
 * Distance from the class centroid alone ranks all 70 first; by priority (the
 * k-center greedy gain) the first ten hold both kinds, and nothing like the
 * reference. */
static void
test_candidates_cover (void)
{
  enum { NR = 600, NW = 200 };
  g_autofree float *ref_probs = g_new (float, NR * 2), *ref_emb = g_new (float, NR * 2);
  g_autofree float *win_probs = g_new (float, NW * 2), *win_emb = g_new (float, NW * 2);
  g_autofree gint64 *ids = g_new (gint64, NW);
  const gint64 class_ids[] = { 100, 200 };
  const gboolean drifted[] = { TRUE, TRUE };
  g_autoptr (GArray) c = NULL;
  guint far = 0, near = 0, like = 0;
  GlRng rng;

  gl_rng_init (&rng, 3);
  for (guint i = 0; i < NR; i++)
    {
      guint k = i % 2;
      ref_probs[2 * i + k] = 0.95f;
      ref_probs[2 * i + 1 - k] = 0.05f;
      ref_emb[2 * i] = (float)(4.0 * k + 0.5 * gl_rng_normal (&rng));
      ref_emb[2 * i + 1] = (float)(0.5 * gl_rng_normal (&rng));
    }
  for (guint i = 0; i < NW; i++)
    {
      /* 0…99 like the reference, 100…169 the far kind, 170…199 the near one. */
      guint k = i < 100 ? i % 2 : i < 170 ? 0 : 1;
      double conf = i < 100 ? 0.95 : i < 170 ? 0.9 : 0.6;
      double cx = i < 100 ? 4.0 * k : i < 170 ? 0.0 : 4.0, cy = i < 100 ? 0.0 : i < 170 ? 9.0 : -5.0;
      ids[i] = i;
      win_probs[2 * i + k] = (float)conf;
      win_probs[2 * i + 1 - k] = (float)(1.0 - conf);
      win_emb[2 * i] = (float)(cx + 0.5 * gl_rng_normal (&rng));
      win_emb[2 * i + 1] = (float)(cy + 0.5 * gl_rng_normal (&rng));
    }
  {
    GlDriftSample ref = { NR, 2, ref_probs, 2, ref_emb }, win = { NW, 2, win_probs, 2, win_emb };
    c = gl_drift_boost_candidates (&ref, &win, ids, class_ids, drifted, 30, 99);
  }
  g_array_sort (c, by_priority);
  g_assert_cmpuint (c->len, >=, 100);
  for (guint i = 0; i < 10; i++)
    {
      const GlDbDriftCandidate *x = &g_array_index (c, GlDbDriftCandidate, i);
      g_assert_true (isfinite (x->priority));
      far += x->image_id >= 100 && x->image_id < 170;
      near += x->image_id >= 170;
      like += x->image_id < 100;
    }
  g_test_message ("first ten candidates: %u of the far kind, %u of the near kind, %u like the reference", far, near,
                  like);
  g_assert_cmpuint (far, >=, 3);
  g_assert_cmpuint (near, >=, 3);
  g_assert_cmpuint (like, ==, 0);
}

/* The boosted ranking keeps its length and its audit items: a candidate
 * that is an audit image of the ranking is not drawn (before, it took a place
 * and the audit item was dropped, one place short). */
static void
test_interleave_keeps_audit (void)
{
  const GlDbQueueItem items[] = { { 2, (char *)"default", 0.9, FALSE, 0 },
                                  { 3, (char *)"default", 0.8, FALSE, 0 },
                                  { 1, (char *)"audit", NAN, TRUE, 0 },
                                  { 4, (char *)"default", 0.7, FALSE, 0 } };
  const GlDbDriftCandidate cands[] = { { 1, 100, TRUE, 2.0, 5.0 }, { 9, 100, TRUE, 2.0, 4.0 },
                                       { 10, 100, FALSE, 0.5, 3.0 } };
  g_autoptr (GArray) out = gl_drift_boost_interleave (items, 4, cands, 3, NULL, 0.5);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint audits = 0;

  g_assert_cmpuint (out->len, ==, 4);
  for (guint i = 0; i < out->len; i++)
    {
      GlDbQueueItem *it = &g_array_index (out, GlDbQueueItem, i);
      g_assert_true (g_hash_table_add (seen, &it->image_id));
      if (it->image_id == 1)
        {
          g_assert_true (it->audit);
          audits++;
        }
    }
  g_assert_cmpuint (audits, ==, 1);
  g_assert_cmpint (g_array_index (out, GlDbQueueItem, 0).image_id, ==, 9);
  g_assert_cmpstr (g_array_index (out, GlDbQueueItem, 0).reason, ==, "drift: unknown class, new kind of image");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/drift-auto/empty-and-accuracy", test_accuracy_and_empty);
  g_test_add_func ("/drift-auto/bad-setting", test_bad_setting);
  g_test_add_func ("/drift-auto/adapt-weight", test_adapt_weight);
  g_test_add_func ("/drift-auto/candidates", test_candidates);
  g_test_add_func ("/drift-auto/candidates-cover", test_candidates_cover);
  g_test_add_func ("/drift-auto/interleave-keeps-audit", test_interleave_keeps_audit);
  g_test_add_func ("/drift-auto/fires-on-shift", test_automation_fires);
  g_test_add_func ("/drift-auto/off", test_automation_off);
  return g_test_run ();
}
