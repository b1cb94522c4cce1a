/* gl-augment.c — batch loading and augmentation. */
#include "engine/gl-augment.h"

#include <string.h>

static float byte_to_float[256];

static gpointer
init_table (gpointer data)
{
  for (guint i = 0; i < 256; i++)
    byte_to_float[i] = (float) i / 255.0f;
  return NULL;
}

static void
ensure_table (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_table, NULL);
}

static float
uniform_pm (GlRng *rng, float range)
{
  return (2.0f * gl_rng_float (rng) - 1.0f) * range;
}

void
gl_augment_load_batch (const GlDataset *data, const guint64 *rows, gsize n, const GlAugmentConfig *config,
                       GlRng *rng, float *x)
{
  const guint h = data->h, w = data->w, c = data->c;
  const gsize item = (gsize) h * w * c;
  const GlAugmentFlags flags = config != NULL ? config->flags : GL_AUGMENT_NONE;

  ensure_table ();
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *restrict src = data->pixels + rows[i] * data->row_stride;
      float *restrict dst = x + i * item;

      if (flags == GL_AUGMENT_NONE)
        {
          for (gsize j = 0; j < item; j++)
            dst[j] = byte_to_float[src[j]];
          continue;
        }

      int shift_y = 0, shift_x = 0;
      gboolean flip = FALSE;
      if ((flags & GL_AUGMENT_CROP) && config->crop_pad > 0)
        {
          const guint span = 2 * config->crop_pad + 1;
          shift_y = (int) gl_rng_below (rng, span) - (int) config->crop_pad;
          shift_x = (int) gl_rng_below (rng, span) - (int) config->crop_pad;
        }
      if (flags & GL_AUGMENT_FLIP)
        flip = gl_rng_next (rng) >> 63;

      /* Output pixel (y, x) comes from source (y + shift_y, x' + shift_x),
       * x' = flipped x; outside the image it is 0. */
      for (guint y = 0; y < h; y++)
        {
          const int sy = (int) y + shift_y;
          float *drow = dst + (gsize) y * w * c;
          if (sy < 0 || sy >= (int) h)
            {
              memset (drow, 0, sizeof (float) * w * c);
              continue;
            }
          const guint8 *srow = src + (gsize) sy * w * c;
          for (guint xx = 0; xx < w; xx++)
            {
              const int sx = (flip ? (int) (w - 1 - xx) : (int) xx) + shift_x;
              float *d = drow + (gsize) xx * c;
              if (sx < 0 || sx >= (int) w)
                for (guint k = 0; k < c; k++)
                  d[k] = 0.0f;
              else
                for (guint k = 0; k < c; k++)
                  d[k] = byte_to_float[srow[(gsize) sx * c + k]];
            }
        }

      if (flags & GL_AUGMENT_JITTER)
        {
          const float b = uniform_pm (rng, config->brightness);
          const float f = 1.0f + uniform_pm (rng, config->contrast);
          double sum = 0.0;
          for (gsize j = 0; j < item; j++)
            sum += dst[j];
          const float mean = (float) (sum / (double) item);
          for (gsize j = 0; j < item; j++)
            {
              float v = (dst[j] - mean) * f + mean + b;
              dst[j] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
            }
        }
    }
}
