/* gl-rng.c — xoshiro256** seeded with splitmix64. */
#include "engine/gl-rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
gl_rng_init (GlRng *rng, guint64 seed)
{
  guint64 x = seed;
  for (guint i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->spare = 0.0;
  rng->has_spare = FALSE;
}

void
gl_rng_init_stream (GlRng *rng, guint64 seed, guint64 stream)
{
  guint64 x = stream;
  gl_rng_init (rng, seed ^ splitmix64 (&x));
}

guint64
gl_rng_next (GlRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

float
gl_rng_float (GlRng *rng)
{
  return (float) (gl_rng_next (rng) >> 40) * (1.0f / 16777216.0f);
}

double
gl_rng_double (GlRng *rng)
{
  return (double) (gl_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

guint64
gl_rng_below (GlRng *rng, guint64 bound)
{
  g_return_val_if_fail (bound > 0, 0);
  /* Reject the top partial range so every value is equally likely. */
  guint64 limit = G_MAXUINT64 - G_MAXUINT64 % bound;
  guint64 x;
  do
    x = gl_rng_next (rng);
  while (x >= limit);
  return x % bound;
}

double
gl_rng_normal (GlRng *rng)
{
  if (rng->has_spare)
    {
      rng->has_spare = FALSE;
      return rng->spare;
    }
  double u1, u2;
  do
    u1 = gl_rng_double (rng);
  while (u1 <= 0.0);
  u2 = gl_rng_double (rng);
  double r = sqrt (-2.0 * log (u1));
  rng->spare = r * sin (2.0 * G_PI * u2);
  rng->has_spare = TRUE;
  return r * cos (2.0 * G_PI * u2);
}

void
gl_rng_shuffle_u32 (GlRng *rng, guint32 *items, gsize n)
{
  for (gsize i = n; i > 1; i--)
    {
      gsize j = gl_rng_below (rng, i);
      guint32 t = items[i - 1];
      items[i - 1] = items[j];
      items[j] = t;
    }
}
