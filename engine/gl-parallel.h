/* gl-parallel.h — splitting a kernel's loop over the engine's threads.
 *
 * The engine runs all its parallel work on its own threads: gl_parallel_for
 * splits a loop into contiguous chunks (a few per thread) that the caller and
 * helper threads (started on first use, kept for the life of the process)
 * claim one at a time; it returns when every chunk is done. A loop runs on
 * at most gl_parallel_get_n_threads () threads at the time it starts: when
 * the count is lowered, the helpers beyond it sleep through later loops. A helper that
 * does not get a core soon (a busy machine) does not hold the caller up: the
 * caller takes its chunks. With one thread the loop runs on the caller, in
 * order: results stay bit-identical for the same seed.
 *
 * Matrix products go through gl_sgemm, which cuts the product into blocks of
 * rows (or columns) of C and runs a single-threaded sgemm on each in
 * gl_parallel_for: the engine's own AVX-512 kernel where gl-blas.c chose it
 * (gl_blas_get_own_gemm, gl-gemm.h), else OpenBLAS's. OpenBLAS's own thread pool is kept at one thread (its
 * threads are made by whichever thread loads the library and would not follow
 * the engine's scheduling policy): so every thread that does engine work is
 * the caller or a gl-parallel helper, and a helper takes on the scheduling
 * policy of the thread that dispatched the loop (SCHED_IDLE when the engine
 * worker runs in the background, see gl-worker.h).
 *
 * A chunk must write only its own part of the output, and each output must
 * not depend on where the chunks are cut. While one thread is
 * dispatching, another thread's gl_parallel_for runs its loop serially. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Handles items [begin, end) of the loop. */
typedef void (*GlRangeFunc) (gsize begin, gsize end, gpointer data);

/* Runs @func over [0, @n) in chunks of at least @min_chunk items. */
void gl_parallel_for (gsize n, gsize min_chunk, GlRangeFunc func, gpointer data);

/* Handles items [begin, end) of the loop on the thread of @slot: 0 for the
 * caller (and for a loop that runs serially), 1 … for the helpers; no two
 * threads run with the same slot at once, so a slot can own scratch. */
typedef void (*GlSlotRangeFunc) (gsize begin, gsize end, guint slot, gpointer data);

/* gl_parallel_for on at most @max_slots threads: every slot is below
 * @max_slots. */
void gl_parallel_for_slots (gsize n, gsize min_chunk, guint max_slots, GlSlotRangeFunc func, gpointer data);

/* Loops handed to helper threads since the process started (loops that ran
 * serially do not count): a measure of how often the threads meet, for
 * benchmarks and tests. */
guint64 gl_parallel_get_n_dispatches (void);

/* The threads gl_parallel_for uses (≥ 1): @n_threads, or every core for 0
 * (the default). Process-wide; the engine worker sets it before each job. */
void gl_parallel_set_n_threads (guint n_threads);
guint gl_parallel_get_n_threads (void);

/* Row-major C (m, n) = alpha · op(A) (m, k) · op(B) (k, n) + beta · C, as
 * cblas_sgemm with CblasRowMajor, split over the engine's threads. On the
 * engine's own kernel each element of C is the same sum however the blocks
 * are cut, so for any thread count; OpenBLAS does not promise that (its
 * kernels may change with the size of a block). */
void gl_sgemm (gboolean trans_a, gboolean trans_b, gsize m, gsize n, gsize k, float alpha, const float *a, gsize lda,
               const float *b, gsize ldb, float beta, float *c, gsize ldc);

/* C (m, n) = A (m, k) · B (k, n) + @bias (n floats added to every row, or
 * NULL), then max (0, ·) with @relu: bit for bit C filled with the bias,
 * gl_sgemm with alpha 1 and beta 1 (0 without a bias), then the ReLU — but
 * in one pass over each block of C on the engine's kernel (gl-gemm.h), the
 * block still in the cache on OpenBLAS. */
void gl_sgemm_bias_relu (gsize m, gsize n, gsize k, const float *a, gsize lda, const float *b, gsize ldb,
                         const float *bias, gboolean relu, float *c, gsize ldc);

G_END_DECLS
