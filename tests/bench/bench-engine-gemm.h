/* bench-engine-gemm.h — bench-engine --gemm-shapes (bench-engine-gemm.c). */
#pragma once

#include <glib.h>

/* Times the matrix products of one training step of the reference network
 * (batch 64) on the engine's kernel and on OpenBLAS, one thread; prints
 * figures, returns FALSE only when the two disagree. */
gboolean bench_engine_gemm_shapes (guint reps);
