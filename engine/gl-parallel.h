/* gl-parallel.h — splitting a kernel's loop over the engine's threads.
 *
 * OpenBLAS runs each sgemm on its own threads, but the rest of a layer
 * (im2col, pooling, batch norm, bias and ReLU passes) would run on the
 * calling thread alone. gl_parallel_for splits such a loop into contiguous
 * chunks (a few per thread) that the caller and helper threads (started on
 * first use, kept for the life of the process) claim one at a time; it
 * returns when every chunk is done. A helper that does not get a core soon
 * (a busy machine) does not hold the caller up: the caller takes its chunks. The number of threads is OpenBLAS's
 * current thread count (which the engine worker sets per job), so the engine
 * uses the cores it was given and no more. With one thread the loop runs on
 * the caller, in order: results stay bit-identical for the same seed.
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

/* The threads gl_parallel_for would use now (OpenBLAS's thread count, ≥ 1). */
guint gl_parallel_get_n_threads (void);

G_END_DECLS
