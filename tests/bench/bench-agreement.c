/* bench-agreement — agreement and consensus on a simulated team (issue 18's
 * agreement figures, without a server). Not a test, and not timed: it
 * measures the accuracy of the statistics, not speed.
 *
 * Four annotators label a project of 70,000 images of 10 classes (defaults);
 * annotator r keeps the true class with probability 1 − η_r and otherwise
 * gives a class drawn uniformly (η = 0.05, 0.05, 0.10, 0.20: one annotator at
 * 20% uniform noise) and labels each image with probability --present (the
 * overlap). Each also labels --audit reference images (the audit share).
 * Exact values: κ_rs = (1 − η_r)(1 − η_s), overall and per class; α = the
 * mean pairwise κ (tests/engine/team-sim.h).
 *
 * Printed: per pair κ measured with its 95% interval and n against the exact
 * value; α overall and the largest per-class error; the accuracy of the
 * majority and of the consensus weighted by audit accuracy (a tie counts as a
 * uniform pick) with the paired gain and its standard error. The last line is
 *   agreement: kappa_err=E alpha_err=E consensus_gain=G class_err=E
 * (kappa_err: the largest |κ − exact| over the pairs, all classes; alpha_err:
 * |α − exact|; consensus_gain: weighted − majority accuracy; class_err: the
 * largest error of κ and α per class, each class against the rest, whose
 * estimates rest on fewer positive labels and so scatter more). */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/gl-agreement.h"
#include "engine/team-sim.h"

#define R 4

static int n_images = 70000, n_classes = 10, n_audit = 200, n_boot = 200;
static double present = 0.5;
static gint64 seed = 1;

static const GOptionEntry options[] = {
  { "images", 0, 0, G_OPTION_ARG_INT, &n_images, "Images (default 70000)", "N" },
  { "classes", 0, 0, G_OPTION_ARG_INT, &n_classes, "Classes, 2 … 64 (default 10)", "K" },
  { "present", 0, 0, G_OPTION_ARG_DOUBLE, &present, "Chance that an annotator labels an image (default 0.5)",
    "P" },
  { "audit", 0, 0, G_OPTION_ARG_INT, &n_audit, "Reference labels per annotator (default 200)", "N" },
  { "boot", 0, 0, G_OPTION_ARG_INT, &n_boot, "Bootstrap resamples of α (default 200)", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed (default 1)", "S" },
  { NULL },
};

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— agreement and consensus on a simulated team");
  g_option_context_add_main_entries (ctx, options, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || n_images < 2 || n_classes < 2 || n_classes > 64
      || !(present > 0.0 && present <= 1.0) || n_audit < 0 || n_boot < 1)
    {
      fprintf (stderr, "bench-agreement: %s\n",
               error ? error->message : "a value is out of range (see --help)");
      return 2;
    }
  const double eta[R] = { 0.05, 0.05, 0.10, 0.20 };
  guint k = (guint)n_classes;
  gsize n = (gsize)n_images;
  printf (
      "agreement: %d simulated annotators (uniform noise η = %.2f %.2f %.2f %.2f), %u classes, %zu images,\n"
      "  each labeled by each annotator with probability %.2f; %d reference labels each; seed "
      "%" G_GINT64_FORMAT "\n",
      R, eta[0], eta[1], eta[2], eta[3], k, n, present, n_audit, seed);
  GlRng rng;
  gl_rng_init (&rng, (guint64)seed);
  g_autofree gint *truth = g_new (gint, n);
  g_autofree gint *labels = g_new (gint, n * R);
  team_sim_draw (&rng, n, R, k, eta, present, truth, labels);

  double kappa_err = 0.0, class_err = 0.0;
  printf ("Cohen's κ per pair: measured [95%% CI] n, exact, largest error of the %u classes (one-vs-rest)\n",
          k);
  for (guint r = 0; r < R; r++)
    for (guint s = r + 1; s < R; s++)
      {
        double exact = team_sim_kappa (eta, r, s), worst = 0.0;
        GlAgreement all;
        gl_agreement_kappa (labels, n, R, r, s, k, -1, &all);
        kappa_err = MAX (kappa_err, fabs (all.value - exact));
        for (guint c = 0; c < k; c++)
          {
            GlAgreement a;
            gl_agreement_kappa (labels, n, R, r, s, k, (gint)c, &a);
            worst = MAX (worst, fabs (a.value - exact));
          }
        class_err = MAX (class_err, worst);
        printf ("  %u·%u  κ = %.4f [%.4f, %.4f] n = %" G_GUINT64_FORMAT
                "  exact %.4f  per class: largest error %.4f\n",
                r, s, all.value, all.ci_low, all.ci_high, all.n_items, exact, worst);
      }
  g_autofree GlAgreement *per = g_new (GlAgreement, k);
  GlAgreement alpha;
  gl_agreement_alpha (labels, n, R, k, (guint)n_boot, (guint64)seed, &alpha, per);
  double alpha_exact = team_sim_alpha (eta, R), alpha_err = fabs (alpha.value - alpha_exact),
         alpha_class = 0.0;
  for (guint c = 0; c < k; c++)
    alpha_class = MAX (alpha_class, fabs (per[c].value - alpha_exact));
  printf ("Krippendorff's α = %.4f [%.4f, %.4f] n = %" G_GUINT64_FORMAT " images, %" G_GUINT64_FORMAT
          " labels (%u resamples); exact %.5f; per class: largest error %.4f\n",
          alpha.value, alpha.ci_low, alpha.ci_high, alpha.n_items, alpha.n_values, alpha.n_boot, alpha_exact,
          alpha_class);
  class_err = MAX (class_err, alpha_class);

  guint64 correct[R], audited[R];
  team_sim_audit (&rng, R, k, eta, (guint)n_audit, correct);
  for (guint r = 0; r < R; r++)
    audited[r] = (guint64)n_audit;
  double accuracy[R], weights[R];
  gl_agreement_weights (correct, audited, R, k, 0.0, accuracy, weights);
  printf ("Weights from the reference labels:\n");
  for (guint r = 0; r < R; r++)
    printf ("  %u  %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " right, shrunk %.4f (true %.4f), weight %.3f\n",
            r, correct[r], audited[r], accuracy[r], 1.0 - eta[r] * (k - 1) / k, weights[r]);
  TeamSimConsensus cons;
  team_sim_consensus (labels, truth, n, R, k, weights, &cons);
  printf ("Consensus on %zu labeled images: majority %.4f, weighted %.4f, gain %.4f ± %.4f (SE, paired)\n",
          cons.n, cons.majority, cons.weighted, cons.gain, cons.gain_se);
  printf ("agreement: kappa_err=%.4f alpha_err=%.4f consensus_gain=%.4f class_err=%.4f\n", kappa_err,
          alpha_err, cons.gain, class_err);
  return 0;
}
