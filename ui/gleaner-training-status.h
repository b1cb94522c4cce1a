/* gleaner-training-status.h — the training bar under the views: model
 * version and validation accuracy, beside it the newest import batch's
 * estimated accuracy (CBPE, with its 95% interval), a progress bar while the trainer trains
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

/* The newest import batch's accuracy estimated without labels. */
typedef struct
{
  gint64 model_id;
  gint64 batch_id;
  guint64 n_images;
  double accuracy, se; /* CBPE estimate and its standard error (NaN unknown) */
  double reference;    /* the same estimate on the version's reference sample */
  gboolean drifted;    /* the batch's drift verdict */
} GleanerAccuracyEstimate;

/* Shows @estimate beside the validation accuracy (NULL: nothing). */
void gleaner_training_status_set_estimate (GleanerTrainingStatus *self, const GleanerAccuracyEstimate *estimate);
/* The text shown, or NULL when hidden (for tests). */
const char *gleaner_training_status_get_estimate_text (GleanerTrainingStatus *self);

G_END_DECLS
