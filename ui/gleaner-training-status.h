/* gleaner-training-status.h — the training bar under the views: model
 * version and validation accuracy, a progress bar while the trainer trains
 * or scores (epoch, images/s), labels until the next round, Train Now and
 * Cancel. */
#pragma once

#include <adwaita.h>

#include "app/gl-trainer.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_TRAINING_STATUS (gleaner_training_status_get_type ())
G_DECLARE_FINAL_TYPE (GleanerTrainingStatus, gleaner_training_status, GLEANER, TRAINING_STATUS, AdwBin)

/* Follows @trainer (a reference is kept; NULL to let go). */
void gleaner_training_status_set_trainer (GleanerTrainingStatus *self, GlTrainer *trainer);

G_END_DECLS
