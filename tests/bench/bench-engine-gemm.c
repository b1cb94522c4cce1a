/* bench-engine-gemm.c — bench-engine --gemm-shapes: the engine's AVX-512
 * sgemm (engine/gl-gemm.h) against OpenBLAS's cblas_sgemm with the core type
 * it was loaded with, on the products one training step of the reference
 * network (gl_net_spec_reference, batch 64) runs through gl_sgemm.
 *
 * Both run on the calling thread alone, and each is timed in CPU time of
 * that thread (CLOCK_THREAD_CPUTIME_ID), best of @reps after a warm-up: on
 * a shared machine the wall clock counts other programs' time, the thread's
 * CPU time much less so (caches and the core's other hardware thread still
 * do). One line per shape and a total weighted by how often a step runs it:
 *
 *   gemm: shape=NAME op=NN m=M n=N k=K per_step=P own_gflops=F openblas_gflops=F ratio=R max_rel_diff=D
 *   gemm: step own_ms=F openblas_ms=F ratio=R
 *
 * Run it once with OPENBLAS_CORETYPE as the environment has it and once
 * without (env -u OPENBLAS_CORETYPE) to compare with each core type. */
#include "bench-engine-gemm.h"

#include <math.h>
#include <time.h>

#include "engine/gl-blas.h"
#include "engine/gl-gemm.h"

typedef struct
{
  const char *name;
  gboolean ta, tb;
  gsize m, n, k;
  guint per_step; /* products of this shape in one training step */
} Shape;

/* The reference network at batch 64: conv 3×3 32 → 64 on 14 × 14, run by
 * gl-layers.c in steps of 2 images (a step's patches, 392 rows of 288, fit
 * INFER_CHUNK_BYTES) forward and backward; dense 3,136 → 128 and 128 → 10.
 * The first convolution is direct (no product). */
static const Shape shapes[] = {
  { "conv2-forward", FALSE, FALSE, 392, 64, 288, 32 },
  { "conv2-weight-grad", TRUE, FALSE, 288, 64, 392, 32 },
  { "conv2-input-grad", FALSE, TRUE, 392, 288, 64, 32 },
  { "dense1-forward", FALSE, FALSE, 64, 128, 3136, 1 },
  { "dense1-weight-grad", TRUE, FALSE, 3136, 128, 64, 1 },
  { "dense1-input-grad", FALSE, TRUE, 64, 3136, 128, 1 },
  { "dense2-forward", FALSE, FALSE, 64, 10, 128, 1 },
  { "dense2-weight-grad", TRUE, FALSE, 128, 10, 64, 1 },
  { "dense2-input-grad", FALSE, TRUE, 64, 128, 10, 1 },
};

static double
thread_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best CPU seconds of one product of @s on the engine's kernel (@own) or
 * OpenBLAS, into @c. */
static double
time_product (const Shape *s, gboolean own, guint reps, const float *a, const float *b, float *c)
{
  const gsize lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
  double best = INFINITY;
  for (guint r = 0; r <= reps; r++)
    {
      const double t0 = thread_seconds ();
      if (own)
        gl_gemm_avx512 (s->ta, s->tb, s->m, s->n, s->k, 1.0f, a, lda, b, ldb, 0.0f, c, s->n);
      else
        gl_blas_sgemm (s->ta, s->tb, (int) s->m, (int) s->n, (int) s->k, 1.0f, a, (int) lda, b, (int) ldb, 0.0f, c,
                       (int) s->n);
      if (r > 0)
        best = MIN (best, thread_seconds () - t0);
    }
  return best;
}

gboolean
bench_engine_gemm_shapes (guint reps)
{
  if (!gl_blas_get_own_gemm ())
    {
      g_print ("gemm: the engine's kernels are not in use on this machine; nothing to compare\n");
      return TRUE;
    }
  gl_blas_set_num_threads (1);
  double own_step = 0, openblas_step = 0, worst = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const Shape *s = &shapes[i];
      g_autofree float *a = g_new (float, s->m * s->k);
      g_autofree float *b = g_new (float, s->k * s->n);
      g_autofree float *c_own = g_new (float, s->m * s->n);
      g_autofree float *c_ref = g_new (float, s->m * s->n);
      guint32 state = 1;
      for (gsize j = 0; j < s->m * s->k; j++)
        a[j] = (float) ((state = state * 1664525u + 1013904223u) >> 8) / (float) (1 << 24) - 0.5f;
      for (gsize j = 0; j < s->k * s->n; j++)
        b[j] = (float) ((state = state * 1664525u + 1013904223u) >> 8) / (float) (1 << 24) - 0.5f;
      const double own = time_product (s, TRUE, reps, a, b, c_own);
      const double openblas = time_product (s, FALSE, reps, a, b, c_ref);
      double diff = 0;
      for (gsize j = 0; j < s->m * s->n; j++)
        diff = MAX (diff, fabs ((double) c_own[j] - c_ref[j]) / (fabs ((double) c_ref[j]) + 1e-3 * sqrt ((double) s->k)));
      worst = MAX (worst, diff);
      const double flops = 2.0 * s->m * s->n * s->k;
      g_print ("gemm: shape=%s op=%s%s m=%zu n=%zu k=%zu per_step=%u own_gflops=%.2f openblas_gflops=%.2f ratio=%.2f "
               "max_rel_diff=%.1e\n",
               s->name, s->ta ? "T" : "N", s->tb ? "T" : "N", s->m, s->n, s->k, s->per_step, flops / own / 1e9,
               flops / openblas / 1e9, openblas / own, diff);
      own_step += s->per_step * own;
      openblas_step += s->per_step * openblas;
    }
  g_print ("gemm: step own_ms=%.3f openblas_ms=%.3f ratio=%.2f (CPU time of one thread, best of %u)\n",
           own_step * 1e3, openblas_step * 1e3, openblas_step / own_step, reps);
  if (worst > 1e-4)
    {
      g_printerr ("gemm: the engine's kernel and OpenBLAS disagree (relative difference %.1e)\n", worst);
      return FALSE;
    }
  return TRUE;
}
