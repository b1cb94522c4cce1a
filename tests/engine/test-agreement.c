/* test-agreement.c — Cohen's κ, Krippendorff's α and consensus against
 * values computed by hand, a published example, and a simulated team whose
 * exact agreement is known analytically. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "engine/gl-agreement.h"
#include "engine/gl-rng.h"

#include "team-sim.h"

#define M GL_AGREEMENT_MISSING

/* 2 × 2 table [[20, 5], [10, 15]], n = 50, by hand:
 *   p = [[.4, .1], [.2, .3]], rows p_i. = (.5, .5), columns p_.j = (.6, .4),
 *   p_o = .7, p_e = .5·.6 + .5·.4 = .5, κ = (.7 − .5) / .5 = 0.4.
 * Fleiss–Cohen–Everitt terms:
 *   diagonal  .4 (.5 − 1.1·.3)² + .3 (.5 − .9·.3)² = .4·.0289 + .3·.0529 = .02743
 *   off       .3² (.1·(.6 + .5)² + .2·(.4 + .5)²) = .09 (.121 + .162) = .02547
 *   last      (.7·.5 − 2·.5 + .7)² = .05² = .0025
 *   var = (.02743 + .02547 − .0025) / (50 · .5⁴) = .0504 / 3.125 = .016128,
 *   se = .126996, interval .4 ± 1.959964 · .126996. */
static void
test_kappa_hand (void)
{
  const guint64 table[] = { 20, 5, 10, 15 };
  GlAgreement a;
  gl_agreement_kappa_table (table, 2, &a);
  g_assert_cmpfloat_with_epsilon (a.value, 0.4, 1e-12);
  g_assert_cmpfloat_with_epsilon (a.se, sqrt (0.016128), 1e-9);
  g_assert_cmpfloat_with_epsilon (a.ci_low, 0.4 - 1.959964 * 0.126996, 1e-5);
  g_assert_cmpfloat_with_epsilon (a.ci_high, 0.4 + 1.959964 * 0.126996, 1e-5);
  g_assert_cmpuint (a.n_items, ==, 50);

  /* The same table from label columns, with missing labels ignored and a
   * third annotator in between. */
  g_autofree gint *labels = g_new (gint, 3 * 53);
  gsize i = 0;
  const gint pairs[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
  for (int cell = 0; cell < 4; cell++)
    for (guint64 c = 0; c < table[cell]; c++, i++)
      {
        labels[3 * i] = pairs[cell][0];
        labels[3 * i + 1] = 1;
        labels[3 * i + 2] = pairs[cell][1];
      }
  for (; i < 53; i++)
    {
      labels[3 * i] = i % 2 ? M : 0;
      labels[3 * i + 1] = 0;
      labels[3 * i + 2] = i % 2 ? 1 : M;
    }
  GlAgreement b;
  gl_agreement_kappa (labels, 53, 3, 0, 2, 2, -1, &b);
  g_assert_cmpfloat_with_epsilon (b.value, 0.4, 1e-12);
  g_assert_cmpfloat_with_epsilon (b.se, a.se, 1e-12);
  g_assert_cmpuint (b.n_items, ==, 50);
  /* With two classes, class 0 against the rest is the same table. */
  gl_agreement_kappa (labels, 53, 3, 0, 2, 2, 0, &b);
  g_assert_cmpfloat_with_epsilon (b.value, 0.4, 1e-12);
}

/* Perfect agreement: κ = 1 with no variance; one class only: undefined. */
static void
test_kappa_edges (void)
{
  const guint64 diag[] = { 10, 0, 0, 0, 7, 0, 0, 0, 3 };
  GlAgreement a;
  gl_agreement_kappa_table (diag, 3, &a);
  g_assert_cmpfloat_with_epsilon (a.value, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (a.se, 0.0, 1e-9);
  const guint64 one[] = { 12, 0, 0, 0 };
  gl_agreement_kappa_table (one, 2, &a);
  g_assert_true (isnan (a.value) && isnan (a.ci_low) && isnan (a.se));
  g_assert_cmpuint (a.n_items, ==, 12);
  /* B always says "rest": κ = 0 by construction, no interval. */
  const guint64 flat[] = { 0, 6, 0, 14 };
  gl_agreement_kappa_table (flat, 2, &a);
  g_assert_cmpfloat_with_epsilon (a.value, 0.0, 1e-12);
  g_assert_true (isnan (a.se) && isnan (a.ci_low) && isnan (a.ci_high));
  const guint64 none[] = { 0, 0, 0, 0 };
  gl_agreement_kappa_table (none, 2, &a);
  g_assert_true (isnan (a.value));
  g_assert_cmpuint (a.n_items, ==, 0);
}

/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", §C:
 * 4 observers × 12 units, values 1–5, "." missing; nominal α = 0.743
 * (exactly 113/152: n = 40 pairable values, unit 12 has one value only). */
static const gint kripp[12 * 4] = {
  /*          A  B  C  D */
  /* 1 */ 1,  1, M, 1,
  /* 2 */ 2,  2, 3, 2,
  /* 3 */ 3,  3, 3, 3,
  /* 4 */ 3,  3, 3, 3,
  /* 5 */ 2,  2, 2, 2,
  /* 6 */ 1,  2, 3, 4,
  /* 7 */ 4,  4, 4, 4,
  /* 8 */ 1,  1, 2, 1,
  /* 9 */ 2,  2, 2, 2,
  /* 10 */ M, 5, 5, 5,
  /* 11 */ M, M, 1, 1,
  /* 12 */ M, 3, M, M,
};

static void
test_alpha_krippendorff (void)
{
  /* Classes 1…5 as indices 1…5 of k = 6 (class 0 unused). */
  GlAgreement a, per[6];
  gl_agreement_alpha (kripp, 12, 4, 6, 2000, 7, &a, per);
  g_assert_cmpfloat_with_epsilon (a.value, 113.0 / 152.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (a.value, 0.743, 0.0005);
  g_assert_cmpuint (a.n_items, ==, 11);
  g_assert_cmpuint (a.n_values, ==, 40);
  g_assert_cmpuint (a.n_boot, >, 1900);
  g_assert_cmpfloat (a.ci_low, <, a.value);
  g_assert_cmpfloat (a.ci_high, >, a.value);
  g_assert_cmpfloat (a.ci_high, <=, 1.0);
  /* Class 0 never used: undefined, not an error. */
  g_assert_true (isnan (per[0].value));

  /* Each class against the rest equals the overall α of the binarised
   * matrix (computed through the other path). */
  for (gint c = 1; c < 6; c++)
    {
      gint bin[12 * 4];
      for (int i = 0; i < 12 * 4; i++)
        bin[i] = kripp[i] < 0 ? M : kripp[i] == c;
      GlAgreement b;
      gl_agreement_alpha (bin, 12, 4, 2, 10, 1, &b, NULL);
      g_assert_cmpfloat_with_epsilon (per[c].value, b.value, 1e-12);
    }
  /* Class 5 (unit 10: three 5s, no disagreement): α_5 = 1. */
  g_assert_cmpfloat_with_epsilon (per[5].value, 1.0, 1e-12);

  /* Same seed, same interval; another seed, another draw. */
  GlAgreement again;
  gl_agreement_alpha (kripp, 12, 4, 6, 2000, 7, &again, NULL);
  g_assert_cmpfloat (again.ci_low, ==, a.ci_low);
  g_assert_cmpfloat (again.ci_high, ==, a.ci_high);
}

/* Two annotators, complete data: α = 1 − (2N − 1)/(2N) · (1 − π), Scott's π
 * from the pooled marginals (Krippendorff 2011, §A). */
static void
test_alpha_two_raters (void)
{
  const gint labels[10 * 2] = { 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 0, 1, 1, 0, 0, 2, 2 };
  /* By hand: pairs (0,0) (0,0) (0,1) (1,1) (1,1) (2,2) (2,0) (1,1) (0,0)
   * (2,2): two disagree → p_o = 8/10; pooled counts 0: 8, 1: 7, 2: 5 of
   * 20 → Σ p² = (64 + 49 + 25) / 400 = .345, π = (.8 − .345) / .655. */
  double pi = (0.8 - 0.345) / 0.655;
  GlAgreement a;
  gl_agreement_alpha (labels, 10, 2, 3, 100, 3, &a, NULL);
  g_assert_cmpfloat_with_epsilon (a.value, 1.0 - 19.0 / 20.0 * (1.0 - pi), 1e-12);
  g_assert_cmpuint (a.n_values, ==, 20);
  /* Nothing pairable: undefined with zero items. */
  const gint lone[3 * 2] = { 0, M, M, 1, M, M };
  gl_agreement_alpha (lone, 3, 2, 2, 100, 3, &a, NULL);
  g_assert_true (isnan (a.value) && isnan (a.ci_low));
  g_assert_cmpuint (a.n_items, ==, 0);
  g_assert_cmpuint (a.n_boot, ==, 0);
}

static void
test_majority_ties (void)
{
  const gint labels[4 * 3]
      = { 0, 1, M, /* tie */ 2, 2, 1, /* 2 of 3 */ M, M, M, /* none */ 1, 0, 2 /* 3-way tie */ };
  GlConsensus c[4];
  gl_agreement_majority (labels, 4, 3, 3, c);
  g_assert_cmpint (c[0].klass, ==, -1);
  g_assert_cmpuint (c[0].n_tied, ==, 2);
  g_assert_cmpuint (c[0].n_votes, ==, 2);
  g_assert_cmpfloat_with_epsilon (c[0].support, 0.5, 1e-12);
  g_assert_cmpint (c[1].klass, ==, 2);
  g_assert_cmpuint (c[1].n_tied, ==, 1);
  g_assert_cmpfloat_with_epsilon (c[1].support, 2.0 / 3.0, 1e-12);
  g_assert_cmpint (c[2].klass, ==, -1);
  g_assert_cmpuint (c[2].n_tied, ==, 0);
  g_assert_cmpuint (c[2].n_votes, ==, 0);
  g_assert_cmpint (c[3].klass, ==, -1);
  g_assert_cmpuint (c[3].n_tied, ==, 3);

  /* Weighted: the tie of item 0 goes to the heavier annotator. */
  const double w[3] = { 2.0, 1.0, 0.5 };
  gl_agreement_weighted (labels, 4, 3, 3, w, c);
  g_assert_cmpint (c[0].klass, ==, 0);
  g_assert_cmpfloat_with_epsilon (c[0].support, exp (2.0) / (exp (2.0) + exp (1.0) + 1.0), 1e-12);
  g_assert_cmpint (c[1].klass, ==, 2);
  g_assert_cmpint (c[2].klass, ==, -1);
  g_assert_cmpint (c[3].klass, ==, 1); /* item 3: the heaviest annotator's class */
}

static void
test_weights (void)
{
  const guint64 correct[3] = { 90, 40, 0 }, audited[3] = { 100, 50, 0 };
  double acc[3], w[3];
  gl_agreement_weights (correct, audited, 3, 3, 20.0, acc, w);
  /* a₀ = 130/150; a_0 = (90 + 20 a₀)/120; the unaudited one gets a₀. */
  double a0 = 130.0 / 150.0, a = (90.0 + 20.0 * a0) / 120.0;
  g_assert_cmpfloat_with_epsilon (acc[0], a, 1e-12);
  g_assert_cmpfloat_with_epsilon (w[0], log (2.0) + log (a / (1.0 - a)), 1e-12);
  g_assert_cmpfloat_with_epsilon (acc[1], (40.0 + 20.0 * a0) / 70.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (acc[2], a0, 1e-12);
  g_assert_cmpfloat (w[0], >, w[2]);
  g_assert_cmpfloat (w[2], >, w[1]);
  /* Below chance: weight 0, never negative. */
  const guint64 bad_c[2] = { 0, 100 }, bad_a[2] = { 1000, 100 };
  gl_agreement_weights (bad_c, bad_a, 2, 3, 20.0, acc, w);
  g_assert_cmpfloat (w[0], ==, 0.0);
  /* No reference label at all: the majority. */
  const guint64 zero[2] = { 0, 0 };
  gl_agreement_weights (zero, zero, 2, 3, 20.0, acc, w);
  g_assert_true (isnan (acc[0]));
  g_assert_cmpfloat (w[0], ==, 1.0);
  g_assert_cmpfloat (w[1], ==, 1.0);
}

static void
test_wilson (void)
{
  double lo, hi;
  /* 8 of 10: (.8 + z²/20)/(1 + z²/10) ± z √(.016 + z²/400)/(1 + z²/10) = [.4902, .9433]. */
  gl_agreement_wilson (8, 10, &lo, &hi);
  g_assert_cmpfloat_with_epsilon (lo, 0.4902, 1e-4);
  g_assert_cmpfloat_with_epsilon (hi, 0.9433, 1e-4);
  gl_agreement_wilson (0, 0, &lo, &hi);
  g_assert_true (isnan (lo) && isnan (hi));
}

/* ---- A simulated team (tests/engine/team-sim.h: the exact values) ------ */

static void
test_simulated_team (void)
{
  enum
  {
    R = 4,
    K = 5,
    N = 60000
  };
  const double eta[R] = { 0.05, 0.05, 0.10, 0.20 }; /* one annotator at 20% uniform noise */
  GlRng rng;
  gl_rng_init (&rng, 20261207);
  g_autofree gint *truth = g_new (gint, N);
  g_autofree gint *labels = g_new (gint, (gsize)N * R);
  team_sim_draw (&rng, N, R, K, eta, 0.8, truth, labels);

  double alpha_exact = team_sim_alpha (eta, R);
  double worst = 0.0;
  for (guint r = 0; r < R; r++)
    for (guint s = r + 1; s < R; s++)
      {
        double exact = team_sim_kappa (eta, r, s);
        for (gint c = -1; c < K; c++)
          {
            GlAgreement a;
            gl_agreement_kappa (labels, N, R, r, s, K, c, &a);
            g_assert_cmpfloat_with_epsilon (a.value, exact, 0.02);
            worst = MAX (worst, fabs (a.value - exact));
            g_assert_cmpuint (a.n_items, >, N / 2);
          }
      }
  g_test_message ("κ: largest error %.4f over 6 pairs × (overall + %d classes)", worst, K);
  g_assert_cmpfloat_with_epsilon (alpha_exact, 0.80875, 1e-12);
  GlAgreement a, per[K];
  gl_agreement_alpha (labels, N, R, K, 200, 11, &a, per);
  g_assert_cmpfloat_with_epsilon (a.value, alpha_exact, 0.02);
  for (guint c = 0; c < K; c++)
    g_assert_cmpfloat_with_epsilon (per[c].value, alpha_exact, 0.02);
  g_test_message ("α = %.4f [%.4f, %.4f] on %" G_GUINT64_FORMAT " items, exact %.5f", a.value, a.ci_low,
                  a.ci_high, a.n_items, alpha_exact);

  /* Weights from 150 reference labels per annotator (a second draw). */
  guint64 correct[R], audited[R] = { 150, 150, 150, 150 };
  team_sim_audit (&rng, R, K, eta, 150, correct);
  double acc[R], w[R];
  gl_agreement_weights (correct, audited, R, K, 0.0, acc, w);
  g_assert_cmpfloat (w[3], <, w[0]);
  /* Accuracy of each, a tie counting as a uniform pick among the tied
   * classes (its expected accuracy); the paired difference with its SE. */
  TeamSimConsensus cons;
  team_sim_consensus (labels, truth, N, R, K, w, &cons);
  g_test_message ("consensus on %" G_GSIZE_FORMAT " items: majority %.4f, weighted %.4f, gain %.4f ± %.4f",
                  cons.n, cons.majority, cons.weighted, cons.gain, cons.gain_se);
  g_assert_cmpfloat (cons.gain, >, 3.0 * cons.gain_se);
}

/* Coverage: the 95% intervals contain the exact value about 95% of the time
 * (many seeded small teams of two: κ asymptotic, α bootstrap). */
static void
test_coverage (void)
{
  enum
  {
    REPS = 300,
    N = 150,
    K = 3
  };
  const double eta[2] = { 0.1, 0.3 };
  double exact = team_sim_kappa (eta, 0, 1);
  guint in_kappa = 0, in_alpha = 0;
  g_autofree gint *truth = g_new (gint, N);
  g_autofree gint *labels = g_new (gint, 2 * N);
  for (guint rep = 0; rep < REPS; rep++)
    {
      GlRng rng;
      gl_rng_init_stream (&rng, 99, rep);
      team_sim_draw (&rng, N, 2, K, eta, 1.0, truth, labels);
      GlAgreement a;
      gl_agreement_kappa (labels, N, 2, 0, 1, K, -1, &a);
      in_kappa += a.ci_low <= exact && exact <= a.ci_high;
      gl_agreement_alpha (labels, N, 2, K, 300, rep, &a, NULL);
      in_alpha += a.ci_low <= exact && exact <= a.ci_high;
    }
  /* ±3 binomial SEs around 0.95 at 300 repetitions: ±0.038. */
  g_test_message ("coverage of 95%% intervals over %d teams: κ %.3f, α %.3f", REPS, (double)in_kappa / REPS,
                  (double)in_alpha / REPS);
  g_assert_cmpfloat_with_epsilon ((double)in_kappa / REPS, 0.95, 0.038);
  g_assert_cmpfloat_with_epsilon ((double)in_alpha / REPS, 0.95, 0.038);
}

/* κ and α on a random team with missing labels against an independent
 * implementation straight from the definitions (tests/engine/
 * agreement-reference.py: the table term by term, the coincidence matrix
 * pair by pair). Skipped without python3. */
static void
test_python_reference (void)
{
  g_autofree char *python = g_find_program_in_path ("python3");
  if (python == NULL)
    {
      g_test_skip ("python3 is not installed");
      return;
    }
  enum
  {
    R = 3,
    K = 4,
    N = 300
  };
  const double eta[R] = { 0.1, 0.3, 0.6 };
  GlRng rng;
  gl_rng_init (&rng, 4242);
  g_autofree gint *truth = g_new (gint, N);
  g_autofree gint *labels = g_new (gint, N * R);
  team_sim_draw (&rng, N, R, K, eta, 0.7, truth, labels);
  g_autoptr (GString) input = g_string_new (NULL);
  g_string_append_printf (input, "%d %d\n", K, R);
  for (gsize i = 0; i < N; i++)
    g_string_append_printf (input, "%d %d %d\n", labels[i * R], labels[i * R + 1], labels[i * R + 2]);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "engine", "agreement-reference.py", NULL);
  g_autofree char *input_path = NULL;
  GError *error = NULL;
  int fd = g_file_open_tmp ("gl-agreement-XXXXXX.txt", &input_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (input_path, input->str, (gssize)input->len, &error));
  g_autofree char *q_python = g_shell_quote (python), *q_script = g_shell_quote (script);
  g_autofree char *q_input = g_shell_quote (input_path);
  g_autofree char *shell = g_strdup_printf ("%s %s < %s", q_python, q_script, q_input);
  const char *argv[] = { "/bin/sh", "-c", shell, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true (
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_remove (input_path);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", script, err);
  g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
  GlAgreement alpha, per[K];
  gl_agreement_alpha (labels, N, R, K, 10, 1, &alpha, per);
  guint checked = 0;
  for (guint i = 0; lines[i]; i++)
    {
      int r, s, c;
      char value[64], se[64];
      GlAgreement a;
      if (sscanf (lines[i], "kappa %d %d %d %63s %63s", &r, &s, &c, value, se) == 5)
        {
          gl_agreement_kappa (labels, N, R, r, s, K, c, &a);
          double v = g_ascii_strtod (value, NULL), e = g_ascii_strtod (se, NULL);
          g_assert_cmpfloat_with_epsilon (a.value, v, 1e-9);
          if (isnan (a.se))
            g_assert_cmpfloat (e, <, 1e-7);
          else
            g_assert_cmpfloat_with_epsilon (a.se, e, 1e-9);
          checked++;
        }
      else if (sscanf (lines[i], "alpha %d %63s", &c, value) == 2)
        {
          double v = g_ascii_strtod (value, NULL);
          double mine = c < 0 ? alpha.value : per[c].value;
          g_assert_true (isnan (v) == isnan (mine));
          if (!isnan (v))
            g_assert_cmpfloat_with_epsilon (mine, v, 1e-9);
          checked++;
        }
    }
  g_assert_cmpuint (checked, ==, 3 * (K + 1) + (K + 1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/agreement/kappa-hand", test_kappa_hand);
  g_test_add_func ("/engine/agreement/kappa-edges", test_kappa_edges);
  g_test_add_func ("/engine/agreement/alpha-krippendorff", test_alpha_krippendorff);
  g_test_add_func ("/engine/agreement/alpha-two-raters", test_alpha_two_raters);
  g_test_add_func ("/engine/agreement/majority-ties", test_majority_ties);
  g_test_add_func ("/engine/agreement/weights", test_weights);
  g_test_add_func ("/engine/agreement/wilson", test_wilson);
  g_test_add_func ("/engine/agreement/simulated-team", test_simulated_team);
  g_test_add_func ("/engine/agreement/coverage", test_coverage);
  g_test_add_func ("/engine/agreement/python-reference", test_python_reference);
  return g_test_run ();
}
