/* Tests of the labeling queue: the cold-start ranking from the trainer,
 * labels committed with their origin and counted, accept (suggestion, then
 * prediction), skip and return, undo going back to the image, back/forward
 * over seen items, a new ranking swapped in only between items, audit labels
 * remembered, and the fallback to the model's most uncertain images, then to
 * the import order, so that the queue never runs dry; the
 * asynchronous commands: in the order given, committed before the queue moves
 * on, an undo of a pending label, and errors that change nothing. */
#include "app/gl-queue.h"
#include "app/gl-rescore.h"
#include "app/gl-rules.h"
#include "app/gl-trainer.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "db/gl-db.h"

#include "synth-project.h"

typedef struct
{
  char *dir;
  GlProject *project;
  GlDb *db;
  GlTrainer *trainer;
  GlQueue *queue;
  guint changed, added;
} Fixture;

static void
on_changed (GlQueue *q, Fixture *fx)
{
  fx->changed++;
}

static void
on_label_added (GlQueue *q, gint64 image_id, gint class_id, Fixture *fx)
{
  fx->added++;
}

static void
open_queue (Fixture *fx)
{
  GError *error = NULL;
  g_clear_object (&fx->queue);
  fx->queue = gl_queue_new (fx->project, &error);
  g_assert_no_error (error);
  g_signal_connect (fx->queue, "changed", G_CALLBACK (on_changed), fx);
  g_signal_connect (fx->queue, "label-added", G_CALLBACK (on_label_added), fx);
}

/* A queue with its trainer, once the trainer has ranked the images. */
static void
open_ranked_queue (Fixture *fx)
{
  GError *error = NULL;
  g_assert_true (gl_trainer_run_round (fx->trainer, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  open_queue (fx);
  gl_queue_set_trainer (fx->queue, fx->trainer);
  g_assert_nonnull (gl_queue_get_current (fx->queue));
  g_assert_false (gl_queue_needs_ranking (fx->queue));
}

/* 40 labels, a whole round (version 1 current), and a queue with its
 * trainer on that round's ranking. */
static void
open_queue_after_round (Fixture *fx)
{
  GError *error = NULL;
  synth_label_first (fx->project, fx->db, 40);
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  open_queue (fx);
  gl_queue_set_trainer (fx->queue, fx->trainer);
}

static void
on_ranking_ready (GlTrainer *trainer, gboolean *ready)
{
  *ready = TRUE;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-queue-XXXXXX", &error);
  g_assert_no_error (error);
  fx->project = synth_project (fx->dir, 120, 20);
  fx->db = gl_db_open (gl_project_get_db_path (fx->project), &error);
  g_assert_no_error (error);
  fx->trainer = gl_trainer_new (fx->project, &error);
  g_assert_no_error (error);
  gl_trainer_set_max_epochs (fx->trainer, 2);
  gl_trainer_set_min_steps (fx->trainer, 20);
  gl_trainer_set_retrain_every (fx->trainer, 0); /* rounds only when the test asks */
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  g_clear_object (&fx->queue);
  g_clear_object (&fx->trainer);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  gl_db_close (fx->db);
  gl_project_close (fx->project);
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
}

/* The reference class of the current item, as a queue class index. */
static gint
truth (Fixture *fx)
{
  const GlQueueItem *it = gl_queue_get_current (fx->queue);
  g_assert_nonnull (it);
  gint64 ref = synth_reference (fx->db, it->image_id);
  GlDbClass c = { 0 };
  g_assert_true (gl_db_get_class (fx->db, ref, &c, NULL));
  g_auto (GStrv) names = gl_queue_dup_class_names (fx->queue);
  gint k = -1;
  for (guint i = 0; names[i]; i++)
    if (g_str_equal (names[i], c.name))
      k = (gint) i;
  gl_db_class_clear (&c);
  return k;
}

static gint64
current_label (Fixture *fx, gint64 image_id, GlDbOrigin *origin)
{
  GlDbLabel l = { 0 };
  g_assert_true (gl_db_get_current_label (fx->db, image_id, FALSE, &l, NULL));
  gint64 c = l.class_id;
  if (origin)
    *origin = l.origin;
  gl_db_label_clear (&l);
  return c;
}

static void
test_cold_start_and_label (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gboolean ready = FALSE;
  open_queue (fx);
  /* Nothing ranked yet: the images in import order meanwhile, never none. */
  const GlQueueItem *it = gl_queue_get_current (fx->queue);
  g_assert_nonnull (it);
  g_assert_cmpint (it->reason, ==, GL_QUEUE_REASON_UNRANKED);
  g_assert_cmpstr (it->reason_text, ==, "in import order (the images are being ranked)");
  g_assert_true (gl_queue_needs_ranking (fx->queue));
  g_assert_cmpuint (gl_queue_get_n_total (fx->queue), ==, 120);
  g_assert_cmpuint (gl_queue_get_n_classes (fx->queue), ==, 4);
  /* With a trainer, the queue asks it to rank; the ranking follows the item
   * on screen (skipped here: it comes back later). */
  g_signal_connect (fx->trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), &ready);
  gl_queue_set_trainer (fx->queue, fx->trainer);
  while (!ready)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_func (fx->trainer, on_ranking_ready, &ready);
  g_assert_true (gl_queue_reload (fx->queue, &error));
  g_assert_true (gl_queue_skip (fx->queue, &error));
  g_assert_no_error (error);
  g_assert_false (gl_queue_needs_ranking (fx->queue));
  it = gl_queue_get_current (fx->queue);
  g_assert_cmpint (it->reason, ==, GL_QUEUE_REASON_COLD_START);
  g_assert_cmpuint (it->n_top, ==, 0);
  g_assert_cmpint (it->suggested_class, ==, -1);
  g_assert_cmpint (it->label, ==, -1);
  g_assert_nonnull (strstr (it->path, "train-images-idx3-ubyte#"));
  g_assert_cmpstr (it->reason_text, ==, "coverage (queued before the first model)");
  g_autoptr (GPtrArray) strip = gl_queue_peek (fx->queue, 5);
  g_assert_cmpuint (strip->len, ==, 5);
  for (guint i = 0; i < strip->len; i++)
    g_assert_cmpint (((GlQueueItem *) g_ptr_array_index (strip, i))->image_id, !=, it->image_id);

  /* Label: committed before it returns, counted, and the queue moves on to the strip's first. */
  gint64 first = it->image_id;
  gint k = truth (fx);
  fx->changed = 0;
  g_assert_true (gl_queue_label (fx->queue, k, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->added, ==, 1);
  g_assert_cmpuint (fx->changed, >=, 1);
  GlDbOrigin origin;
  g_assert_cmpint (current_label (fx, first, &origin), ==, synth_reference (fx->db, first));
  g_assert_cmpint (origin, ==, GL_DB_ORIGIN_HUMAN);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 1);
  g_assert_cmpuint (gl_queue_get_n_labeled_in_class (fx->queue, (guint) k), ==, 1);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==,
                   ((GlQueueItem *) g_ptr_array_index (strip, 0))->image_id);
  g_assert_cmpuint (gl_trainer_get_labels_pending (fx->trainer), ==, 1);

  /* Bad class ids change nothing. */
  g_assert_false (gl_queue_label (fx->queue, 4, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (gl_queue_accept (fx->queue, &error)); /* no model, no suggestion */
  g_assert_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 1);

  /* Back shows the labeled item with its label; forward returns to the live one. */
  gint64 live = gl_queue_get_current (fx->queue)->image_id;
  g_assert_true (gl_queue_back (fx->queue));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, first);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->label, ==, k);
  /* Older: only the unranked image skipped above. */
  g_assert_true (gl_queue_back (fx->queue));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->reason, ==, GL_QUEUE_REASON_UNRANKED);
  g_assert_false (gl_queue_back (fx->queue));
  g_assert_true (gl_queue_forward (fx->queue));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, first);
  /* Relabeling a seen item replaces its label and steps forward. */
  gint other = (k + 1) % 4;
  g_assert_true (gl_queue_label (fx->queue, other, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, live);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 1);
  g_assert_cmpuint (gl_queue_get_n_labeled_in_class (fx->queue, (guint) other), ==, 1);
  g_assert_cmpuint (gl_queue_get_n_labeled_in_class (fx->queue, (guint) k), ==, 0);
  g_assert_true (gl_queue_back (fx->queue));
  g_assert_true (gl_queue_forward (fx->queue));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, live);
  g_assert_false (gl_queue_forward (fx->queue));

  /* Undo takes back the last label (the relabel: back to k) and goes back to that image. */
  g_assert_true (gl_queue_undo (fx->queue, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, first);
  g_assert_cmpint (current_label (fx, first, NULL), ==, synth_reference (fx->db, first));
  g_assert_true (gl_queue_undo (fx->queue, &error));
  g_assert_cmpint (current_label (fx, first, NULL), ==, -1);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 0);
  g_assert_false (gl_queue_undo (fx->queue, &error));
  g_assert_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_NOTHING);
  g_clear_error (&error);
  /* The live item was kept: labeling the undone image brings it back. */
  g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, live);
}

/* A new ranking from the trainer reads the classes again; the per-class
 * counters stay right without a gl_queue_reload. Any image can be described
 * as an item with its current label. */
static void
test_ranking_keeps_counts (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  gboolean ready = FALSE;
  guint64 before[4];
  gint64 first;
  gint first_class;

  open_ranked_queue (fx);
  first = gl_queue_get_current (fx->queue)->image_id;
  first_class = truth (fx);
  for (guint i = 0; i < 6; i++)
    {
      g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
    }
  for (guint k = 0; k < 4; k++)
    before[k] = gl_queue_get_n_labeled_in_class (fx->queue, k);
  g_assert_cmpuint (before[0] + before[1] + before[2] + before[3], ==, 6);

  g_signal_connect (fx->trainer, "ranking-ready", G_CALLBACK (on_ranking_ready), &ready);
  gl_trainer_rank_now (fx->trainer);
  while (!ready)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handlers_disconnect_by_data (fx->trainer, &ready);
  for (guint k = 0; k < 4; k++)
    g_assert_cmpuint (gl_queue_get_n_labeled_in_class (fx->queue, k), ==, before[k]);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 6);
  /* And the counting goes on from there. */
  gint k = truth (fx);
  g_assert_true (gl_queue_label (fx->queue, k, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_cmpuint (gl_queue_get_n_labeled_in_class (fx->queue, (guint) k), ==, before[k] + 1);

  GlQueueItem *it = gl_queue_describe_image (fx->queue, first, &error);
  g_assert_no_error (error);
  g_assert_nonnull (it);
  g_assert_cmpint (it->image_id, ==, first);
  g_assert_cmpint (it->reason, ==, GL_QUEUE_REASON_SEEN);
  g_assert_cmpint (it->label, ==, first_class);
  g_assert_nonnull (strstr (it->path, "train-images-idx3-ubyte#"));
  gl_queue_item_free (it);
  g_assert_null (gl_queue_describe_image (fx->queue, 1000000, &error));
  g_assert_error (error, GL_QUEUE_ERROR, GL_QUEUE_ERROR_STORE);
  g_clear_error (&error);
}

static void
test_skip_returns (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_assert_true (gl_trainer_run_round (fx->trainer, FALSE, NULL, NULL, &error));
  open_queue (fx);
  gint64 skipped = gl_queue_get_current (fx->queue)->image_id;
  g_assert_true (gl_queue_skip (fx->queue, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, !=, skipped);
  g_assert_true (gl_db_is_skipped (fx->db, skipped));
  for (guint i = 0; i < GL_QUEUE_SKIP_RETURN_AFTER; i++)
    {
      g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, !=, skipped);
      g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
    }
  const GlQueueItem *it = gl_queue_get_current (fx->queue);
  g_assert_cmpint (it->image_id, ==, skipped);
  g_assert_cmpint (it->reason, ==, GL_QUEUE_REASON_SKIPPED);
  g_assert_cmpstr (it->reason_text, ==, "skipped earlier");
}

static void
test_model_rules_audit (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  open_queue_after_round (fx);
  const GlQueueItem *it = gl_queue_get_current (fx->queue);
  g_assert_nonnull (it);
  g_assert_cmpuint (it->n_top, ==, 3);
  g_assert_cmpfloat (it->top_prob[0], >=, it->top_prob[1]);
  g_assert_cmpfloat (it->top_prob[1], >=, it->top_prob[2]);
  g_assert_cmpint (it->top_class[0], !=, it->top_class[1]);

  /* Walk the ranking: strategy items explain the margin, audit items are marked and remembered. */
  gboolean saw_margin = FALSE;
  guint audits = 0;
  for (guint i = 0; i < 40 && gl_queue_get_current (fx->queue); i++)
    {
      it = gl_queue_get_current (fx->queue);
      if (it->reason == GL_QUEUE_REASON_STRATEGY && g_str_has_prefix (it->reason_text, "margin "))
        saw_margin = strstr (it->reason_text, " between ") != NULL;
      gint64 id = it->image_id;
      gboolean audit = it->audit;
      if (audit)
        {
          g_assert_cmpint (it->reason, ==, GL_QUEUE_REASON_AUDIT);
          audits++;
        }
      /* Enter accepts the top prediction, stored as such. */
      gint top = it->top_class[0];
      g_assert_true (gl_queue_accept (fx->queue, &error));
      g_assert_no_error (error);
      GlDbOrigin origin;
      GlDbClass c = { 0 };
      gint64 cls = current_label (fx, id, &origin);
      g_assert_cmpint (origin, ==, GL_DB_ORIGIN_PREDICTION);
      g_assert_true (gl_db_get_class (fx->db, cls, &c, NULL));
      g_auto (GStrv) names = gl_queue_dup_class_names (fx->queue);
      g_assert_cmpstr (c.name, ==, names[top]);
      gl_db_class_clear (&c);
      /* An audit item is recorded as such, and only an audit item. */
      g_autoptr (GArray) audit_ids = gl_db_list_audit_images (fx->db, &error);
      g_assert_no_error (error);
      gboolean listed = FALSE;
      for (guint k = 0; k < audit_ids->len; k++)
        listed = listed || g_array_index (audit_ids, gint64, k) == id;
      g_assert_true (listed == audit);
    }
  g_assert_true (saw_margin);
  g_assert_cmpuint (audits, >, 0);

  /* A new ranking arrives while an item is on screen: it stays until done. */
  gint64 on_screen = gl_queue_get_current (fx->queue)->image_id;
  g_assert_true (gl_trainer_run_round (fx->trainer, FALSE, NULL, NULL, &error));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, on_screen);

  /* Rules: suggested images come first, Enter accepts the suggestion. */
  g_assert_true (gl_rules_add (fx->project, "*#1??", "bottom-right", NULL, &error));
  guint64 n = 0;
  g_assert_true (gl_rules_apply (fx->project, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, >, 0);
  g_assert_true (gl_queue_reload (fx->queue, &error));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, on_screen); /* still not under the cursor */
  g_assert_true (gl_queue_skip (fx->queue, &error));
  it = gl_queue_get_current (fx->queue);
  g_assert_cmpint (it->reason, ==, GL_QUEUE_REASON_RULE);
  g_assert_cmpint (it->suggested_class, ==, 3);
  g_assert_cmpstr (it->reason_text, ==, "suggested by rule *#1??");
  gint64 id = it->image_id;
  g_assert_true (gl_queue_accept (fx->queue, &error));
  GlDbOrigin origin;
  current_label (fx, id, &origin);
  g_assert_cmpint (origin, ==, GL_DB_ORIGIN_RULE);

  /* gleaner-cli label: any image, by id. */
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (fx->project), &error);
  const GlPoolImage *last = NULL;
  for (guint i = 0; i < images->len; i++)
    if (!g_array_index (images, GlPoolImage, i).held_out)
      last = &g_array_index (images, GlPoolImage, i);
  guint64 before = gl_queue_get_n_labeled (fx->queue);
  g_assert_true (gl_queue_label_image (fx->queue, last->image_id, 2, GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, before + (last->class_id < 0 ? 1 : 0));
}

/* ---- the asynchronous commands ---- */

typedef struct
{
  Fixture *fx;
  GArray *done;   /* the tags of the commands called back, in that order */
  GPtrArray *errors; /* the error of each, or NULL (same order) */
  gboolean checked_commit; /* label-added came after the label was in the store */
} Async;

typedef struct
{
  Async *a;
  guint tag;
} AsyncCall;

static void
async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncCall *call = user_data;
  GError *error = NULL;
  gboolean ok = gl_queue_finish (GL_QUEUE (source), result, &error);

  g_assert_true (ok == (error == NULL));
  g_array_append_val (call->a->done, call->tag);
  g_ptr_array_add (call->a->errors, error);
  g_free (call);
}

static void
clear_error (GError *error)
{
  g_clear_error (&error);
}

static void
async_clear (Async *a)
{
  g_array_unref (a->done);
  g_ptr_array_unref (a->errors);
}

static gpointer
async_call (Async *a, guint tag)
{
  AsyncCall *call = g_new0 (AsyncCall, 1);
  call->a = a;
  call->tag = tag;
  return call;
}

static void
on_async_label_added (GlQueue *q, gint64 image_id, gint class_id, Async *a)
{
  /* Committed before the queue says so (read through another connection). */
  g_auto (GStrv) names = gl_queue_dup_class_names (q);
  GlDbClass c = { 0 };
  gint64 stored = current_label (a->fx, image_id, NULL);

  g_assert_cmpint (stored, >=, 0);
  g_assert_true (gl_db_get_class (a->fx->db, stored, &c, NULL));
  g_assert_cmpstr (c.name, ==, names[class_id]);
  gl_db_class_clear (&c);
  a->checked_commit = TRUE;
}

static void
wait_for (Async *a, guint n)
{
  while (a->done->len < n)
    g_main_context_iteration (NULL, TRUE);
}

/* Commands given faster than they commit act in the order given, each on
 * the item the one before left: labels, an undo of the pending last label,
 * a label again and a skip. Nothing moves before its commit. */
static void
test_async_order (Fixture *fx, gconstpointer data)
{
  Async a = { fx, g_array_new (FALSE, FALSE, sizeof (guint)),
               g_ptr_array_new_with_free_func ((GDestroyNotify) clear_error), FALSE };
  gint64 ids[5];
  gint classes[4] = { 1, 3, 0, 2 };

  open_ranked_queue (fx);
  ids[0] = gl_queue_get_current (fx->queue)->image_id;
  {
    g_autoptr (GPtrArray) next = gl_queue_peek (fx->queue, 4);
    g_assert_cmpuint (next->len, ==, 4);
    for (guint i = 0; i < 4; i++)
      ids[i + 1] = ((GlQueueItem *) g_ptr_array_index (next, i))->image_id;
  }
  g_signal_connect (fx->queue, "label-added", G_CALLBACK (on_async_label_added), &a);
  fx->changed = fx->added = 0;

  gl_queue_label_async (fx->queue, classes[0], GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 0));
  gl_queue_label_async (fx->queue, classes[1], GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 1));
  gl_queue_label_async (fx->queue, classes[2], GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 2));
  gl_queue_undo_async (fx->queue, async_done, async_call (&a, 3));
  gl_queue_label_async (fx->queue, classes[3], GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 4));
  gl_queue_skip_async (fx->queue, async_done, async_call (&a, 5));
  /* Nothing has moved yet: the main context has not run. */
  g_assert_true (gl_queue_is_busy (fx->queue));
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, ids[0]);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 0);
  g_assert_cmpuint (fx->changed, ==, 0);

  wait_for (&a, 6);
  g_assert_false (gl_queue_is_busy (fx->queue));
  for (guint i = 0; i < 6; i++)
    {
      g_assert_cmpuint (g_array_index (a.done, guint, i), ==, i);
      g_assert_no_error ((GError *) g_ptr_array_index (a.errors, i));
    }
  g_assert_true (a.checked_commit);
  g_assert_cmpuint (fx->added, ==, 4);
  /* The undo took back the third label (still pending when it was given),
   * and the label after it went to that image again. */
  g_auto (GStrv) class_names = gl_queue_dup_class_names (fx->queue);
  for (guint i = 0; i < 3; i++)
    {
      GlDbClass c = { 0 };
      g_assert_true (gl_db_get_class (fx->db, current_label (fx, ids[i], NULL), &c, NULL));
      g_assert_cmpstr (c.name, ==, class_names[classes[i == 2 ? 3 : i]]);
      gl_db_class_clear (&c);
    }
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 3);
  g_assert_cmpuint (gl_queue_get_n_labeled_in_class (fx->queue, (guint) classes[2]), ==, 0);
  /* The skip went to the fourth image: the queue shows the fifth. */
  g_assert_true (gl_db_is_skipped (fx->db, ids[3]));
  g_assert_cmpint (current_label (fx, ids[3], NULL), ==, -1);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, ids[4]);
  async_clear (&a);
}

/* A command that fails changes nothing and reports the synchronous call's
 * error; the commands after it still run. */
static void
test_async_errors (Fixture *fx, gconstpointer data)
{
  Async a = { fx, g_array_new (FALSE, FALSE, sizeof (guint)),
               g_ptr_array_new_with_free_func ((GDestroyNotify) clear_error), FALSE };
  gint64 first;

  open_ranked_queue (fx);
  first = gl_queue_get_current (fx->queue)->image_id;
  fx->changed = fx->added = 0;

  gl_queue_undo_async (fx->queue, async_done, async_call (&a, 0));        /* nothing to undo */
  gl_queue_label_async (fx->queue, 7, GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 1)); /* no class 7 */
  gl_queue_accept_async (fx->queue, async_done, async_call (&a, 2));      /* no model, no suggestion */
  /* An image the store does not have: the commit fails on the writer's thread. */
  gl_queue_label_image_async (fx->queue, 1000000, 1, GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 3));
  gl_queue_label_async (fx->queue, 2, GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, 4));
  wait_for (&a, 5);

  for (guint i = 0; i < 5; i++)
    g_assert_cmpuint (g_array_index (a.done, guint, i), ==, i);
  g_assert_error ((GError *) g_ptr_array_index (a.errors, 0), GL_QUEUE_ERROR, GL_QUEUE_ERROR_NOTHING);
  g_assert_error ((GError *) g_ptr_array_index (a.errors, 1), GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID);
  g_assert_error ((GError *) g_ptr_array_index (a.errors, 2), GL_QUEUE_ERROR, GL_QUEUE_ERROR_INVALID);
  g_assert_error ((GError *) g_ptr_array_index (a.errors, 3), GL_QUEUE_ERROR, GL_QUEUE_ERROR_STORE);
  g_assert_null (g_ptr_array_index (a.errors, 4));
  /* Only the last one labeled, the image that was on screen all along. */
  g_assert_cmpuint (fx->added, ==, 1);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, 1);
  g_assert_cmpint (current_label (fx, first, NULL), >=, 0);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, !=, first);
  async_clear (&a);
}

/* A skipped image returns after its turn among asynchronous labels too (its
 * skip forgotten by a write behind the labels), and takes a label then. */
static void
test_async_skip_returns (Fixture *fx, gconstpointer data)
{
  Async a = { fx, g_array_new (FALSE, FALSE, sizeof (guint)),
               g_ptr_array_new_with_free_func ((GDestroyNotify) clear_error), FALSE };
  gint64 skipped;
  guint n = 0;

  open_ranked_queue (fx);
  skipped = gl_queue_get_current (fx->queue)->image_id;
  gl_queue_skip_async (fx->queue, async_done, async_call (&a, n++));
  for (guint i = 0; i < GL_QUEUE_SKIP_RETURN_AFTER; i++)
    gl_queue_label_async (fx->queue, (gint) (i % 4), GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, n++));
  wait_for (&a, n);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, skipped);
  g_assert_cmpint (gl_queue_get_current (fx->queue)->reason, ==, GL_QUEUE_REASON_SKIPPED);
  gl_queue_label_async (fx->queue, 1, GL_LABEL_ORIGIN_HUMAN, async_done, async_call (&a, n++));
  wait_for (&a, n);
  for (guint i = 0; i < n; i++)
    g_assert_no_error ((GError *) g_ptr_array_index (a.errors, i));
  g_assert_cmpint (current_label (fx, skipped, NULL), >=, 0);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, GL_QUEUE_SKIP_RETURN_AFTER + 1);
  async_clear (&a);
}

/* Stores a ranking of the first @n unlabeled pool images (from the last). */
static void
store_short_ranking (Fixture *fx, guint n, GArray *ids)
{
  GError *error = NULL;
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (fx->project), &error);
  g_autofree GlDbQueueItem *items = g_new0 (GlDbQueueItem, n);
  guint got = 0;

  g_assert_no_error (error);
  for (guint i = images->len; i > 0 && got < n; i--)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i - 1);
      if (im->held_out || im->class_id >= 0)
        continue;
      items[got] = (GlDbQueueItem) { im->image_id, (char *) "margin", 0.5, FALSE, 0 };
      g_array_append_val (ids, im->image_id);
      got++;
    }
  g_assert_cmpuint (got, ==, n);
  g_assert_true (gl_db_replace_queue (fx->db, items, n, &error));
  g_assert_no_error (error);
}

/* Labels every image the queue offers until it has none; returns how many.
 * Each offered image is unlabeled, and none comes twice. */
static guint
label_to_the_end (Fixture *fx, GlQueueReason after, gboolean scores_fall)
{
  GError *error = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  double last_score = INFINITY;
  guint n = 0;
  const GlQueueItem *it;

  while ((it = gl_queue_get_current (fx->queue)) != NULL)
    {
      g_assert_cmpint (it->reason, ==, after);
      g_assert_cmpint (it->label, ==, -1);
      g_assert_true (g_hash_table_add (seen, g_memdup2 (&it->image_id, sizeof it->image_id)));
      if (scores_fall)
        {
          /* The previous model's order: most uncertain first. */
          g_assert_cmpfloat (it->score, <=, last_score);
          last_score = it->score;
        }
      g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
      n++;
    }
  return n;
}

/* The queue never runs dry while an unlabeled image is left: past the stored
 * ranking it goes on with the current model's most uncertain images, and
 * without a model with the images in import order (saying so), until every
 * image is labeled. */
static void
test_never_dry_import (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  /* No model: a ranking of 5, then the import order. */
  store_short_ranking (fx, 5, ids);
  open_queue (fx);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, g_array_index (ids, gint64, i));
      g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
    }
  g_assert_cmpint (gl_queue_get_current (fx->queue)->reason, ==, GL_QUEUE_REASON_UNRANKED);
  g_assert_true (gl_queue_needs_ranking (fx->queue));
  g_assert_cmpuint (label_to_the_end (fx, GL_QUEUE_REASON_UNRANKED, FALSE), ==, 120 - 5);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, gl_queue_get_n_total (fx->queue));
  g_assert_false (gl_queue_needs_ranking (fx->queue));
}

static void
test_never_dry_model (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  /* A model: a ranking of 3, then the model's most uncertain images. */
  synth_label_first (fx->project, fx->db, 40);
  g_assert_true (gl_trainer_run_round (fx->trainer, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  store_short_ranking (fx, 3, ids);
  open_queue (fx);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (gl_queue_get_current (fx->queue)->image_id, ==, g_array_index (ids, gint64, i));
      g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
    }
  g_assert_false (gl_queue_needs_ranking (fx->queue));
  g_assert_cmpuint (label_to_the_end (fx, GL_QUEUE_REASON_STRATEGY, TRUE), ==, 80 - 3);
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, gl_queue_get_n_total (fx->queue));
}

/* ---- A round that publishes its first chunk's ranking, then the whole one ---- */

/* The engine thread waits in the rescore, right after the first chunk's
 * ranking, until the test lets it go on. */
typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean reached, released;
} Gate;

static void
gate_wait (gpointer data)
{
  Gate *g = data;
  g_mutex_lock (&g->lock);
  g->reached = TRUE;
  g_cond_broadcast (&g->cond);
  while (!g->released)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
}

static void
gate_release (Gate *g)
{
  g_mutex_lock (&g->lock);
  g->released = TRUE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

typedef struct
{
  Fixture *fx;
  GHashTable *shown; /* image ids the queue showed as its current item */
  guint n_ready;     /* "ranking-ready" emissions since the round started */
} Walk;

static void
count_ready (GlTrainer *trainer, Walk *w)
{
  w->n_ready++;
}

/* The current item: there is one (no gap), it is unlabeled in the store and
 * was not shown before; remembered as shown. */
static gint64
check_current (Walk *w)
{
  GError *error = NULL;
  const GlQueueItem *it = gl_queue_get_current (w->fx->queue);
  g_assert_nonnull (it);
  GlDbLabel l;
  g_assert_true (gl_db_get_current_label (w->fx->db, it->image_id, FALSE, &l, &error));
  g_assert_no_error (error);
  g_assert_cmpint (l.id, ==, -1);
  gl_db_label_clear (&l);
  g_assert_cmpint (it->label, ==, -1);
  gint64 id = it->image_id;
  if (!g_hash_table_contains (w->shown, &id))
    g_hash_table_add (w->shown, g_memdup2 (&id, sizeof id));
  return id;
}

/* Labels the current item (checked first) and checks the next one. */
static void
label_current (Walk *w)
{
  GError *error = NULL;
  check_current (w);
  g_assert_true (gl_queue_label (w->fx->queue, truth (w->fx), GL_LABEL_ORIGIN_HUMAN, &error));
  g_assert_no_error (error);
  const GlQueueItem *it = gl_queue_get_current (w->fx->queue);
  g_assert_nonnull (it);
  gint64 id = it->image_id;
  g_assert_false (g_hash_table_contains (w->shown, &id));
  check_current (w);
}

/* The stored ranking's images not shown yet, in its order. */
static GArray *
unshown_ranking (Walk *w)
{
  GError *error = NULL;
  g_autoptr (GArray) stored = gl_db_read_queue (w->fx->db, 10000, &error);
  g_assert_no_error (error);
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < stored->len; i++)
    {
      gint64 id = g_array_index (stored, GlDbQueueItem, i).image_id;
      if (!g_hash_table_contains (w->shown, &id))
        g_array_append_val (out, id);
    }
  return out;
}

/* The ranking read after "ranking-ready" is taken at the next label: the
 * queue then walks that ranking's images not shown yet, in its order
 * (@n of them checked). */
static void
switch_and_follow (Walk *w, guint n)
{
  while (!gl_queue_has_pending_ranking (w->fx->queue))
    {
      check_current (w); /* the queue keeps serving while the ranking is read */
      g_main_context_iteration (NULL, TRUE);
    }
  g_autoptr (GArray) expect = unshown_ranking (w);
  /* The item on screen stays until it is labeled. */
  gint64 on_screen = check_current (w);
  g_assert_cmpuint (expect->len, >, n);
  guint k = 0;
  label_current (w);
  for (guint i = 0; i < n; i++)
    {
      /* The image on screen when the ranking came is not shown again. */
      if (g_array_index (expect, gint64, k) == on_screen)
        k++;
      g_assert_cmpint (gl_queue_get_current (w->fx->queue)->image_id, ==, g_array_index (expect, gint64, k));
      k++;
      label_current (w);
    }
}

/* Through a round whose rescore publishes the first chunk's ranking and
 * then the whole one ("ranking-ready" twice): the queue serves the previous
 * ranking while the round trains, switches to each new ranking at the next
 * label for the images not shown yet, never shows an image twice nor a
 * labeled one, and never runs dry. */
static void
test_first_chunk_switch (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  open_queue_after_round (fx);
  Walk w = { fx, g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL), 0 };
  g_signal_connect (fx->trainer, "ranking-ready", G_CALLBACK (count_ready), &w);
  Gate gate = { 0 };
  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  gl_rescore_test_set_chunks (10, 20);
  gl_rescore_test_set_after_first_ranking (gate_wait, &gate);

  /* The previous ranking while the round trains and scores its first chunk. */
  gl_trainer_train_now (fx->trainer);
  for (guint i = 0; i < 5; i++)
    label_current (&w);
  while (w.n_ready < 1)
    {
      check_current (&w);
      g_main_context_iteration (NULL, TRUE);
    }
  /* The round waits after its first chunk: the queue switches to the first
   * chunk's ranking. */
  g_mutex_lock (&gate.lock);
  while (!gate.reached)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);
  g_assert_cmpuint (w.n_ready, ==, 1);
  switch_and_follow (&w, 3);
  /* The rest scored, the version swapped, the whole ranking published. */
  gate_release (&gate);
  while (w.n_ready < 2 || gl_trainer_get_state (fx->trainer) != GL_TRAINER_IDLE)
    {
      check_current (&w);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (w.n_ready, ==, 2);
  switch_and_follow (&w, 5);
  /* To the end: every unlabeled image once. */
  while (gl_queue_get_current (fx->queue) != NULL)
    {
      gint64 id = check_current (&w);
      g_assert_true (gl_queue_label (fx->queue, truth (fx), GL_LABEL_ORIGIN_HUMAN, &error));
      g_assert_no_error (error);
      const GlQueueItem *next = gl_queue_get_current (fx->queue);
      g_assert_true (next == NULL || next->image_id != id);
      if (next != NULL)
        g_assert_false (g_hash_table_contains (w.shown, &next->image_id));
    }
  g_assert_cmpuint (gl_queue_get_n_labeled (fx->queue), ==, gl_queue_get_n_total (fx->queue));
  g_assert_cmpuint (g_hash_table_size (w.shown), ==, 120 - 40);
  gl_rescore_test_set_after_first_ranking (NULL, NULL);
  gl_rescore_test_set_chunks (0, 0);
  g_signal_handlers_disconnect_by_data (fx->trainer, &w);
  g_hash_table_unref (w.shown);
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/queue/cold-start-and-label", Fixture, NULL, fixture_setup, test_cold_start_and_label,
              fixture_teardown);
  g_test_add ("/queue/ranking-keeps-counts", Fixture, NULL, fixture_setup, test_ranking_keeps_counts,
              fixture_teardown);
  g_test_add ("/queue/skip-returns", Fixture, NULL, fixture_setup, test_skip_returns, fixture_teardown);
  g_test_add ("/queue/model-rules-audit", Fixture, NULL, fixture_setup, test_model_rules_audit, fixture_teardown);
  g_test_add ("/queue/async-order", Fixture, NULL, fixture_setup, test_async_order, fixture_teardown);
  g_test_add ("/queue/async-errors", Fixture, NULL, fixture_setup, test_async_errors, fixture_teardown);
  g_test_add ("/queue/async-skip-returns", Fixture, NULL, fixture_setup, test_async_skip_returns,
              fixture_teardown);
  g_test_add ("/queue/never-dry/import", Fixture, NULL, fixture_setup, test_never_dry_import, fixture_teardown);
  g_test_add ("/queue/never-dry/model", Fixture, NULL, fixture_setup, test_never_dry_model, fixture_teardown);
  g_test_add ("/queue/first-chunk-switch", Fixture, NULL, fixture_setup, test_first_chunk_switch, fixture_teardown);
  return g_test_run ();
}
