/* gl-augment.h — loading a batch of uint8 rows as floats in [0, 1], with
 * optional augmentation (random crop of the zero-padded image, horizontal
 * flip, brightness/contrast jitter). */
#pragma once

#include <glib.h>

#include "engine/gl-net.h"
#include "engine/gl-rng.h"

G_BEGIN_DECLS

typedef struct
{
  GlAugmentFlags flags;
  guint crop_pad;   /* CROP: the image is shifted by up to ±crop_pad pixels per axis, zeros shifted in */
  float brightness; /* JITTER: + U(−b, b) */
  float contrast;   /* JITTER: around the image mean, × (1 + U(−c, c)); the result clamped to [0, 1] */
} GlAugmentConfig;

/* @x: (n, h, w, c) ← rows @rows (n) of @data, scaled by 1/255. Augmented
 * when @config is not NULL and has flags (draws from @rng). */
void gl_augment_load_batch (const GlDataset *data, const guint64 *rows, gsize n, const GlAugmentConfig *config,
                            GlRng *rng, float *x);

G_END_DECLS
