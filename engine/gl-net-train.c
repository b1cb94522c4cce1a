/* gl-net-train.c — training: options, the epoch and batch loop,
 * optimiser steps, snapshots, class-balanced sampling, validation. */
#include "engine/gl-net-private.h"

#include <math.h>
#include <string.h>

#include "engine/gl-augment.h"
#include "engine/gl-layers.h"
#include "engine/gl-optim.h"

void
gl_train_options_init (GlTrainOptions *o)
{
  memset (o, 0, sizeof *o);
  o->epochs = 10;
  o->batch_size = 64;
  o->optimizer = GL_OPTIMIZER_SGD;
  o->lr = 0.05f;
  o->momentum = 0.9f;
  o->beta1 = 0.9f;
  o->beta2 = 0.999f;
  o->epsilon = 1e-8f;
  o->schedule = GL_SCHEDULE_CONSTANT;
  o->step_epochs = 5;
  o->step_gamma = 0.1f;
  o->crop_pad = 2;
  o->brightness = 0.1f;
  o->contrast = 0.1f;
  o->dropout = TRUE;
  o->restore_best = TRUE;
}

static gboolean
check_options (const GlNet *net, const GlTrainOptions *o, GError **error)
{
  const char *bad = NULL;
  if (o->epochs == 0 && o->max_seconds <= 0 && o->max_steps == 0)
    bad = "no budget: set epochs, max_seconds or max_steps";
  else if (o->batch_size == 0 || o->batch_size > 65536)
    bad = "batch_size must be 1…65536";
  else if (!(o->lr > 0.0f) || !isfinite (o->lr))
    bad = "lr must be positive";
  else if (!(o->momentum >= 0.0f && o->momentum < 1.0f))
    bad = "momentum must be in [0, 1)";
  else if (o->optimizer == GL_OPTIMIZER_ADAM && !(o->beta1 >= 0.0f && o->beta1 < 1.0f && o->beta2 >= 0.0f &&
                                                  o->beta2 < 1.0f && o->epsilon > 0.0f))
    bad = "Adam needs betas in [0, 1) and a positive epsilon";
  else if (o->optimizer != GL_OPTIMIZER_SGD && o->optimizer != GL_OPTIMIZER_ADAM)
    bad = "unknown optimizer";
  else if (!(o->weight_decay >= 0.0f))
    bad = "weight_decay must not be negative";
  else if (o->schedule == GL_SCHEDULE_STEP && !(o->step_gamma > 0.0f))
    bad = "step_gamma must be positive";
  else if ((o->augment & GL_AUGMENT_JITTER) && !(o->brightness >= 0.0f && o->contrast >= 0.0f && o->contrast < 1.0f))
    bad = "jitter needs brightness ≥ 0 and contrast in [0, 1)";
  else if (o->n_val > 0 && (o->val_rows == NULL || o->val_labels == NULL))
    bad = "n_val > 0 needs val_rows and val_labels";
  if (bad == NULL && o->class_weights != NULL)
    for (guint j = 0; j < net->n_classes; j++)
      if (!(o->class_weights[j] >= 0.0f) || !isfinite (o->class_weights[j]))
        bad = "class weights must be finite and not negative";
  if (bad != NULL)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Training options: %s", bad);
      return FALSE;
    }
  return TRUE;
}

/* Optimiser state for one call of gl_net_train. */
typedef struct
{
  float *m; /* (n_params) SGD velocity or Adam first moment */
  float *v; /* (n_params) Adam second moment, or NULL */
  guint64 t;
} GlOptimState;

static void
optimizer_step (GlNet *net, const GlTrainOptions *o, GlOptimState *st, float lr)
{
  st->t++;
  for (guint i = 0; i < net->tensors->len; i++)
    {
      const GlTensor *t = &g_array_index (net->tensors, GlTensor, i);
      const float wd = t->decay ? o->weight_decay : 0.0f;
      if (t->is_stat)
        continue;
      if (o->optimizer == GL_OPTIMIZER_ADAM)
        gl_adam_step (t->size, lr, o->beta1, o->beta2, o->epsilon, wd, st->t, net->params + t->offset,
                      net->grads + t->offset, st->m + t->offset, st->v + t->offset);
      else
        gl_sgd_step (t->size, lr, o->momentum, wd, net->params + t->offset, net->grads + t->offset,
                     st->m + t->offset);
    }
}

typedef struct
{
  float *params;
  float *stats;
} GlSnapshot;

static void
snapshot_take (const GlNet *net, GlSnapshot *s)
{
  if (s->params == NULL)
    {
      s->params = g_new (float, MAX (net->n_params, 1));
      s->stats = g_new (float, MAX (net->n_stats, 1));
    }
  memcpy (s->params, net->params, sizeof (float) * net->n_params);
  memcpy (s->stats, net->stats, sizeof (float) * net->n_stats);
}

static void
snapshot_restore (GlNet *net, const GlSnapshot *s)
{
  memcpy (net->params, s->params, sizeof (float) * net->n_params);
  memcpy (net->stats, s->stats, sizeof (float) * net->n_stats);
}

static void
snapshot_clear (GlSnapshot *s)
{
  g_clear_pointer (&s->params, g_free);
  g_clear_pointer (&s->stats, g_free);
}

/* Class-balanced sampling: the items of each class present. */
typedef struct
{
  guint n_present;
  guint *present;     /* (n_present) class ids */
  guint32 **members;  /* (n_classes) item indices */
  gsize *n_members;   /* (n_classes) */
} GlBalance;

static void
balance_init (GlBalance *b, const gint *labels, gsize n, guint n_classes)
{
  b->members = g_new0 (guint32 *, n_classes);
  b->n_members = g_new0 (gsize, n_classes);
  b->present = g_new0 (guint, n_classes);
  for (gsize i = 0; i < n; i++)
    b->n_members[labels[i]]++;
  for (guint c = 0; c < n_classes; c++)
    {
      if (b->n_members[c] > 0)
        b->present[b->n_present++] = c;
      b->members[c] = g_new (guint32, MAX (b->n_members[c], 1));
      b->n_members[c] = 0;
    }
  for (gsize i = 0; i < n; i++)
    b->members[labels[i]][b->n_members[labels[i]]++] = (guint32) i;
}

static void
balance_clear (GlBalance *b, guint n_classes)
{
  if (b->members != NULL)
    for (guint c = 0; c < n_classes; c++)
      g_free (b->members[c]);
  g_free (b->members);
  g_free (b->n_members);
  g_free (b->present);
}

gboolean
gl_net_train (GlNet *net, const GlDataset *data, const guint64 *rows, const gint *labels, gsize n,
              const GlTrainOptions *o, GlNetProgressFunc cb, gpointer cb_data, GCancellable *cancellable,
              GlTrainReport *rep, GError **error)
{
  const guint k = net->n_classes;
  GlTrainReport r = { 0 };
  GlAugmentConfig aug = { o->augment, o->crop_pad, o->brightness, o->contrast };
  GlOptimState st = { 0 };
  GlSnapshot before = { 0 }, best = { 0 };
  GlBalance balance = { 0 };
  g_autofree guint32 *order = NULL;   /* (n) item indices of this epoch */
  g_autofree guint64 *batch_rows = NULL; /* (batch) */
  g_autofree gint *batch_labels = NULL;  /* (batch) */
  gboolean ok = FALSE;
  GlRng rng;
  guint bad_epochs = 0;

  r.best_val_accuracy = NAN;
  r.train_loss = NAN;
  r.train_accuracy = NAN;
  if (!gl_net_check_dataset (net, data, error) || !check_options (net, o, error) || !gl_net_check_labels (net, labels, n, error))
    return FALSE;
  if (n == 0)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "No items to train on");
      return FALSE;
    }
  if (n > G_MAXUINT32)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Too many items to train on (%" G_GSIZE_FORMAT ")", n);
      return FALSE;
    }
  if (o->n_val > 0)
    {
      if (!gl_net_check_labels (net, o->val_labels, o->n_val, error))
        return FALSE;
    }

  const guint bs = (guint) MIN ((gsize) o->batch_size, n);
  if ((gsize) bs * net->max_activation > G_MAXUINT32)
    {
      g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_INVALID, "Batch size %u is too large for this network", bs);
      return FALSE;
    }
  const guint64 steps_per_epoch = (n + bs - 1) / bs;
  guint64 planned = o->epochs > 0 ? (guint64) o->epochs * steps_per_epoch : 0;
  if (o->max_steps > 0)
    planned = planned > 0 ? MIN (planned, o->max_steps) : o->max_steps;

  /* Everything allocated here, before the first step. */
  gl_net_workspace_ensure (net, &net->train_ws, bs, TRUE);
  if (net->grads == NULL)
    net->grads = g_new0 (float, MAX (net->n_params, 1));
  st.m = g_new0 (float, MAX (net->n_params, 1));
  if (o->optimizer == GL_OPTIMIZER_ADAM)
    st.v = g_new0 (float, MAX (net->n_params, 1));
  order = g_new (guint32, n);
  batch_rows = g_new (guint64, bs);
  batch_labels = g_new (gint, bs);
  float *dlogits = net->train_ws.grad_a;
  snapshot_take (net, &before);
  if (o->balanced_sampling)
    balance_init (&balance, labels, n, k);
  gl_rng_init (&rng, o->seed);
  for (gsize i = 0; i < n; i++)
    order[i] = (guint32) i;

  const gint64 start = g_get_monotonic_time ();
  gboolean stop = FALSE;
  guint64 images = 0;

  for (guint epoch = 0; !stop && (o->epochs == 0 || epoch < o->epochs); epoch++)
    {
      double loss_sum = 0.0;
      gsize seen = 0, correct = 0;
      guint64 batches = 0;

      r.epochs = epoch + 1;
      if (!o->balanced_sampling)
        gl_rng_shuffle_u32 (&rng, order, n);
      for (gsize pos = 0; pos < n && !stop; pos += bs)
        {
          const guint m = (guint) MIN ((gsize) bs, n - pos);
          gsize hits = 0;

          if (gl_net_check_cancelled (cancellable, error))
            goto out;
          for (guint j = 0; j < m; j++)
            {
              guint32 item;
              if (o->balanced_sampling)
                {
                  const guint cls = balance.present[gl_rng_below (&rng, balance.n_present)];
                  item = balance.members[cls][gl_rng_below (&rng, balance.n_members[cls])];
                }
              else
                item = order[pos + j];
              batch_rows[j] = rows[item];
              batch_labels[j] = labels[item];
            }
          gl_augment_load_batch (data, batch_rows, m, &aug, &rng, net->train_ws.x);
          const float *logits = gl_net_forward (net, &net->train_ws, m, MODE_TRAIN, o->dropout, &rng, 0);
          const double loss = gl_softmax_xent (m, k, logits, batch_labels, o->class_weights, net->train_ws.probs,
                                               dlogits, &hits);
          if (!isfinite (loss))
            {
              snapshot_restore (net, &before);
              g_set_error (error, GL_NET_ERROR, GL_NET_ERROR_DIVERGED,
                           "Training diverged (loss %g at step %" G_GUINT64_FORMAT "); the weights were restored, "
                           "try a lower learning rate", loss, r.steps + 1);
              goto out;
            }
          gl_net_backward (net, &net->train_ws, m, dlogits);
          const float lr = gl_schedule_lr (o->schedule, o->lr, r.steps, planned, epoch, o->step_epochs,
                                           o->step_gamma);
          optimizer_step (net, o, &st, lr);
          r.steps++;
          batches++;
          images += m;
          loss_sum += loss;
          seen += m;
          correct += hits;

          const double secs = (g_get_monotonic_time () - start) / 1e6;
          double fraction = -1.0;
          if (planned > 0)
            fraction = (double) r.steps / planned;
          if (o->max_seconds > 0)
            fraction = MAX (fraction, secs / o->max_seconds);
          gl_net_report (cb, cb_data, GL_PHASE_TRAIN, epoch + 1, o->epochs, batches, steps_per_epoch, loss_sum / batches,
                  (double) correct / seen, secs > 0 ? images / secs : NAN, MIN (fraction, 1.0));

          if ((o->max_steps > 0 && r.steps >= o->max_steps) || (o->max_seconds > 0 && secs >= o->max_seconds))
            stop = TRUE;
        }
      r.train_loss = loss_sum / MAX (batches, 1);
      r.train_accuracy = seen > 0 ? (double) correct / seen : NAN;
      if (o->epoch_end != NULL && batches > 0)
        o->epoch_end (net, epoch + 1, o->epoch_end_data);

      if (o->n_val > 0)
        {
          double acc;
          if (!gl_net_evaluate (net, data, o->val_rows, o->val_labels, o->n_val, &acc, NULL, cb, cb_data,
                                cancellable, error))
            goto out;
          if (isnan (r.best_val_accuracy) || acc > r.best_val_accuracy)
            {
              r.best_val_accuracy = acc;
              r.best_epoch = epoch + 1;
              bad_epochs = 0;
              if (o->restore_best)
                snapshot_take (net, &best);
            }
          else if (o->patience > 0 && ++bad_epochs >= o->patience)
            {
              r.stopped_early = TRUE;
              stop = TRUE;
            }
        }
    }
  if (o->n_val > 0 && o->restore_best && best.params != NULL && r.best_epoch != r.epochs)
    snapshot_restore (net, &best);
  ok = TRUE;

out:
  r.seconds = (g_get_monotonic_time () - start) / 1e6;
  r.images_per_second = r.seconds > 0 ? images / r.seconds : NAN;
  if (rep != NULL)
    *rep = r;
  g_free (st.m);
  g_free (st.v);
  snapshot_clear (&before);
  snapshot_clear (&best);
  balance_clear (&balance, k);
  return ok;
}
