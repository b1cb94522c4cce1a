/* team-sim.h — a simulated team of annotators with known label noise, for
 * tests/engine/test-agreement.c and tests/bench/bench-agreement.c.
 *
 * True classes are uniform over k. Annotator r keeps the true class with
 * probability 1 − η_r and otherwise draws a class uniformly from all k
 * (possibly the true one), and labels each item with probability @present.
 * Exact values (uniform marginals, so p_e = 1/k):
 *   κ_rs = (1 − η_r)(1 − η_s), overall and for every class against the rest;
 *   α    = the mean of κ_rs over the pairs (every annotator equally present).
 * Accuracy a_r = 1 − η_r (k − 1)/k. */
#pragma once

#include <glib.h>

#include "engine/gl-agreement.h"
#include "engine/gl-rng.h"

G_BEGIN_DECLS

/* One noisy label of @truth. */
gint team_sim_label (GlRng *rng, gint truth, double eta, guint k);

/* @truth: (n) out; @labels: (n, n_raters) out, GL_AGREEMENT_MISSING where
 * an annotator did not label the item. */
void team_sim_draw (GlRng *rng, gsize n, guint n_raters, guint k, const double *eta, double present,
                    gint *truth, gint *labels);

/* κ_rs exact, and α exact (mean over pairs). */
double team_sim_kappa (const double *eta, guint r, guint s);
double team_sim_alpha (const double *eta, guint n_raters);

/* For each annotator, @n_audit labels of reference items: @correct (n_raters) out. */
void team_sim_audit (GlRng *rng, guint n_raters, guint k, const double *eta, guint n_audit, guint64 *correct);

/* 1 when @c is right, 0 when wrong; on a tie 1/n_tied when the true class is
 * among the tied ones (the expected accuracy of a uniform pick). @row:
 * (n_raters) the item's labels; @w: the weights of @c's consensus (NULL: the
 * majority); k ≤ 64. */
double team_sim_credit (const GlConsensus *c, const gint *row, guint n_raters, guint k, const double *w,
                        gint truth);

/* Majority and weighted consensus accuracy over the @n items (ties as in
 * team_sim_credit), and their paired difference with its standard error. */
typedef struct
{
  gsize n;              /* items with at least one label */
  double majority;      /* accuracy */
  double weighted;      /* accuracy */
  double gain, gain_se; /* mean and standard error of weighted − majority, per item */
} TeamSimConsensus;

void team_sim_consensus (const gint *labels, const gint *truth, gsize n, guint n_raters, guint k,
                         const double *weights, TeamSimConsensus *out);

G_END_DECLS
