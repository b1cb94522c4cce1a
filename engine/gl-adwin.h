/* gl-adwin.h — ADWIN, an adaptive sliding window that detects a change in
 * the mean of a stream of values in [0, 1] (e.g. 1/0 for an audit label the
 * model got right or wrong, per class).
 *
 * Bifet & Gavaldà 2007, "Learning from time-changing data with adaptive
 * windowing", the exact form ADWIN0 (every split point is checked, no
 * exponential histogram): after each value, every split of the window W into
 * an older part W0 and a newer part W1 (each at least min_side values) is
 * tested, and W0 is dropped when |μ0 − μ1| ≥ ε_cut, with
 *   ε_cut = √( ln (4 |W| / δ) / (2 m) ),  m = 1 / (1/|W0| + 1/|W1|).
 * False-alarm bound (their Theorem 3.1, part 1): while the mean stays
 * constant, the probability that a step shrinks the window is at most δ.
 * The window holds at most max_width values (the oldest fall out first); the
 * bound still holds for the window kept.
 *
 * One detector is one stream, owned by its creator (gl_adwin_free) with its
 * values array; not thread-safe: one thread touches it at a time. The
 * fields are read-only for callers.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double delta;    /* confidence δ of the cut (false-alarm bound per step) */
  guint min_side;  /* smallest |W0| and |W1| tested; ≥ 1 */
  gsize max_width; /* window capacity */
  double *values;  /* (max_width): the window, oldest first; owned */
  gsize width;     /* values held */
  /* The last detected change (valid when n_changes > 0). */
  guint64 n_changes;
  double mean_before; /* μ0 of the dropped part */
  double mean_after;  /* μ1 of the part kept */
  gsize width_before; /* |W0| */
  gsize width_after;  /* |W1| */
  double epsilon;     /* ε_cut of that split */
} GlAdwin;

/* δ in (0, 1) (e.g. 0.002), min_side ≥ 1 (e.g. 5), max_width ≥ 2 (e.g. 1000). */
GlAdwin *gl_adwin_new (double delta, guint min_side, gsize max_width);
void gl_adwin_free (GlAdwin *adwin);
/* Adds @value (clamped to [0, 1]); TRUE when the window was cut (a change). */
gboolean gl_adwin_add (GlAdwin *adwin, double value);
/* Mean of the current window; 0 when empty. */
double gl_adwin_get_mean (const GlAdwin *adwin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlAdwin, gl_adwin_free)

G_END_DECLS
