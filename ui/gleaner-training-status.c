/* gleaner-training-status.c — see gleaner-training-status.h. */
#include "gleaner-config.h"

#include "ui/gleaner-training-status.h"

#include <glib/gi18n.h>
#include <math.h>

struct _GleanerTrainingStatus
{
  AdwBin parent_instance;

  /* template children */
  GtkLabel *model_label;
  GtkLabel *accuracy_label;
  GtkLabel *estimate_label; /* the newest batch's estimated accuracy, beside the validation accuracy */
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  GtkButton *cancel_button;
  GtkButton *train_button;

  /* owned */
  GlTrainer *trainer;
  gulong progress_id;
  gulong notify_id;
};

G_DEFINE_FINAL_TYPE (GleanerTrainingStatus, gleaner_training_status, ADW_TYPE_BIN)

static void
update (GleanerTrainingStatus *self)
{
  GlTrainerState state;
  gint64 version;
  double accuracy, fraction, rate;
  g_autofree char *model = NULL;
  g_autofree char *acc = NULL;
  g_autofree char *progress = NULL;

  if (self->trainer == NULL)
    return;
  state = gl_trainer_get_state (self->trainer);
  version = gl_trainer_get_model_version (self->trainer);
  accuracy = gl_trainer_get_accuracy (self->trainer);
  fraction = gl_trainer_get_fraction (self->trainer);
  rate = gl_trainer_get_images_per_second (self->trainer);

  model = version > 0 ? g_strdup_printf (_("Model v%" G_GINT64_FORMAT), version) : g_strdup (_("No model yet"));
  gtk_label_set_text (self->model_label, model);
  acc = isfinite (accuracy) ? g_strdup_printf (_("%.1f%% validation accuracy"), 100.0 * accuracy) : g_strdup ("");
  gtk_label_set_text (self->accuracy_label, acc);
  gtk_widget_set_visible (GTK_WIDGET (self->accuracy_label), isfinite (accuracy));

  if (state == GL_TRAINER_TRAINING)
    {
      guint epoch = gl_trainer_get_epoch (self->trainer), n = gl_trainer_get_n_epochs (self->trainer);
      g_autofree char *speed = isfinite (rate) && rate > 0 ? g_strdup_printf (_(" · %'.0f images/s"), rate)
                                                           : g_strdup ("");
      /* The trainer's epoch is the running one, 1-based (0 before the
       * round's first report); n is 0 until the round knows it. */
      progress = n > 0 ? g_strdup_printf (_("Training — epoch %u of %u%s"), CLAMP (epoch, 1, n), n, speed)
                       : g_strdup_printf (_("Training%s"), speed);
    }
  else if (state == GL_TRAINER_SCORING)
    progress = g_strdup (_("Scoring the images…"));
  else
    {
      guint pending = gl_trainer_get_labels_pending (self->trainer);
      guint every = gl_trainer_get_retrain_every (self->trainer);
      gint64 skipped_model = -1;
      guint64 skipped = gl_trainer_get_rescore_skipped (self->trainer, &skipped_model);
      const char *team = gl_trainer_get_team_trainer (self->trainer);
      if (team != NULL)
        /* A team's trainer service holds the lease: this desktop defers. */
        progress = g_strdup_printf (_("The team's trainer on %s trains this project"), team);
      else if (skipped > 0)
        /* The rescore budget stopped the last round: the queue has its
         * ranking, the gallery keeps the current version. */
        progress = g_strdup_printf (ngettext ("Model v%" G_GINT64_FORMAT " is not in use yet: the rescore budget "
                                              "skipped %'" G_GUINT64_FORMAT " image",
                                              "Model v%" G_GINT64_FORMAT " is not in use yet: the rescore budget "
                                              "skipped %'" G_GUINT64_FORMAT " images",
                                              (gulong) MIN (skipped, G_MAXULONG)),
                                    skipped_model, skipped);
      else if (every > 0 && pending < every && version > 0)
        progress = g_strdup_printf (ngettext ("Trains again after %u more label", "Trains again after %u more labels",
                                              every - pending),
                                    every - pending);
      else if (every > 0 && pending < every)
        progress = g_strdup_printf (ngettext ("Trains after %u more label", "Trains after %u more labels",
                                              every - pending),
                                    every - pending);
      else
        progress = g_strdup ("");
    }
  gtk_label_set_text (self->progress_label, progress);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), state != GL_TRAINER_IDLE);
  gtk_widget_set_hexpand (GTK_WIDGET (self->progress_label), state == GL_TRAINER_IDLE);
  if (state != GL_TRAINER_IDLE)
    {
      if (fraction >= 0.0)
        gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
      else
        gtk_progress_bar_pulse (self->progress_bar);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), state != GL_TRAINER_IDLE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->train_button), state == GL_TRAINER_IDLE);
}

void
gleaner_training_status_set_trainer (GleanerTrainingStatus *self, GlTrainer *trainer)
{
  g_return_if_fail (GLEANER_IS_TRAINING_STATUS (self));

  if (self->trainer != NULL)
    {
      g_clear_signal_handler (&self->progress_id, self->trainer);
      g_clear_signal_handler (&self->notify_id, self->trainer);
    }
  g_set_object (&self->trainer, trainer);
  if (trainer != NULL)
    {
      self->progress_id = g_signal_connect_swapped (trainer, "progress", G_CALLBACK (update), self);
      self->notify_id = g_signal_connect_swapped (trainer, "notify", G_CALLBACK (update), self);
      update (self);
    }
}

void
gleaner_training_status_set_estimate (GleanerTrainingStatus *self, const GleanerAccuracyEstimate *estimate)
{
  g_return_if_fail (GLEANER_IS_TRAINING_STATUS (self));
  gboolean shown = estimate != NULL && isfinite (estimate->accuracy) && estimate->n_images > 0;
  gtk_widget_set_visible (GTK_WIDGET (self->estimate_label), shown);
  if (!shown)
    return;
  g_autofree char *text
      = isfinite (estimate->se)
            ? g_strdup_printf (_ ("· batch %" G_GINT64_FORMAT ": %.1f%% ± %.1f%% estimated"), estimate->batch_id,
                               100.0 * estimate->accuracy, 196.0 * estimate->se)
            : g_strdup_printf (_ ("· batch %" G_GINT64_FORMAT ": %.1f%% estimated"), estimate->batch_id,
                               100.0 * estimate->accuracy);
  g_autofree char *tip = g_strdup_printf (
      _ ("Accuracy of model v%" G_GINT64_FORMAT " on the newest import batch (%" G_GINT64_FORMAT ", %" G_GUINT64_FORMAT
         " images), estimated without labels from its calibrated confidences (CBPE): %.1f%%, 95%% interval "
         "%.1f%%–%.1f%%; %.1f%% on its reference sample. The validation accuracy beside it is measured on labels."),
      estimate->model_id, estimate->batch_id, estimate->n_images, 100.0 * estimate->accuracy,
      100.0 * CLAMP (estimate->accuracy - 1.96 * estimate->se, 0.0, 1.0),
      100.0 * CLAMP (estimate->accuracy + 1.96 * estimate->se, 0.0, 1.0), 100.0 * estimate->reference);
  gtk_label_set_text (self->estimate_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->estimate_label), tip);
  if (estimate->drifted)
    gtk_widget_add_css_class (GTK_WIDGET (self->estimate_label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->estimate_label), "warning");
}

const char *
gleaner_training_status_get_estimate_text (GleanerTrainingStatus *self)
{
  g_return_val_if_fail (GLEANER_IS_TRAINING_STATUS (self), NULL);
  return gtk_widget_get_visible (GTK_WIDGET (self->estimate_label)) ? gtk_label_get_text (self->estimate_label) : NULL;
}

static void
on_train_button_clicked_cb (GleanerTrainingStatus *self)
{
  if (self->trainer != NULL)
    gl_trainer_train_now (self->trainer);
}

static void
on_cancel_button_clicked_cb (GleanerTrainingStatus *self)
{
  if (self->trainer != NULL)
    gl_trainer_cancel (self->trainer);
}

static void
gleaner_training_status_dispose (GObject *object)
{
  GleanerTrainingStatus *self = GLEANER_TRAINING_STATUS (object);

  gleaner_training_status_set_trainer (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), GLEANER_TYPE_TRAINING_STATUS);
  G_OBJECT_CLASS (gleaner_training_status_parent_class)->dispose (object);
}

static void
gleaner_training_status_class_init (GleanerTrainingStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gleaner_training_status_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/gleaner/Gleaner/gleaner-training-status.ui");
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, model_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, accuracy_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, progress_label);
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, GleanerTrainingStatus, train_button);
  gtk_widget_class_bind_template_callback (widget_class, on_train_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_button_clicked_cb);
}

static void
gleaner_training_status_init (GleanerTrainingStatus *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
