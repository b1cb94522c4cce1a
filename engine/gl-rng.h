/* gl-rng.h — the engine's explicit, seeded random generator.
 *
 * xoshiro256** (Blackman & Vigna), state seeded through splitmix64 so that
 * any 64-bit seed, 0 included, gives a good state. No global state: every
 * user owns its GlRng, so the same seed gives the same stream on every run
 * and platform. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 s[4];
  /* A spare normal deviate from the last Box–Muller pair. */
  double spare;
  gboolean has_spare;
} GlRng;

void gl_rng_init (GlRng *rng, guint64 seed);
/* A generator for a sub-stream: seeded from @seed and @stream together. */
void gl_rng_init_stream (GlRng *rng, guint64 seed, guint64 stream);
guint64 gl_rng_next (GlRng *rng);
/* Uniform in [0, 1) with 24 bits (float) or 53 bits (double). */
float gl_rng_float (GlRng *rng);
double gl_rng_double (GlRng *rng);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
guint64 gl_rng_below (GlRng *rng, guint64 bound);
/* Standard normal. */
double gl_rng_normal (GlRng *rng);
/* Fisher–Yates shuffle of @items (n). */
void gl_rng_shuffle_u32 (GlRng *rng, guint32 *items, gsize n);

G_END_DECLS
