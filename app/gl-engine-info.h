/* gl-engine-info.h — what the engine computes on, for people: the About
 * window's troubleshooting text and `gleaner-cli --version`. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Chooses and loads the engine's matrix kernels now. Call first thing in
 * main, before any thread starts (see engine/gl-blas.h); later calls do
 * nothing. */
void gl_engine_info_init (void);

/* Several lines: the program's version, the CPU and the kernels in use
 * (core type, how chosen, self-check, threads). Free with g_free. */
char *gl_engine_info_describe (void);

G_END_DECLS
