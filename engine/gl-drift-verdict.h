/* gl-drift-verdict.h — the combined per-window drift verdict, per class.
 *
 * A window (an import batch, or the newest N images) is compared with the
 * reference of the model version that scored both (its outputs on the
 * validation labels and a random pool sample taken after training). Per
 * class c, with n_c the window's images predicted as c:
 *   SHARE       Fisher's exact test of n_c / n against the reference's share
 *               of c (the two-sample form of the binomial test); effect: the
 *               class's PSI term.
 *   BBSD        two-sample KS on the softmax column c over all images
 *               (black-box shift detection, Lipton et al. 2018; Rabanser et
 *               al. 2019); effect: D.
 *   CONFIDENCE  KS on p_c of the images predicted as c; effect: the CBPE
 *               precision estimate's change (window − reference).
 *   EMBEDDING   MMD² permutation test on the projected embedding of the
 *               images predicted as c; effect: MMD².
 *   NOVELTY     share of the images predicted as c farther from the
 *               reference centroid of c than its 99th percentile, one-sided
 *               binomial test; effect: rate / reference rate.
 * and two one-sided tests that only rank the classes for naming (not in the
 * per-class family: p_adjusted 1, never fired, no share of α):
 *   LOSS        z-test that the mean of softmax column c fell (lower tail,
 *               normal approximation, the reference's variance on both
 *               sides: the variance under H0; Welch's, with the window's own,
 *               called a class that happened to have few predictions
 *               shifted); statistic z, effect window mean − reference mean.
 *   GAIN        one-sided Fisher test that the predictions of c at least as
 *               sure as the median of the reference's predictions of c rose
 *               (all of the window's predictions of c when the reference
 *               has none); statistic their window share, effect window share
 *               − reference share.
 * and over all images, the window-wide tests:
 *   omnibus     the calibrated minP test (gl-drift-omnibus.h): the smallest
 *               p-value of KS on each softmax column, KS on the top-class
 *               probability and the chi-square of the predicted counts, its
 *               null distribution by permutation; statistic
 *               −log10 min p, effect min p.
 *   chi_square  chi-square test of homogeneity of the predicted counts of
 *               window and reference; effect: total PSI.
 *   confidence  KS on the top-class probability; effect: the change of the
 *               CBPE accuracy estimate (mean top-class probability).
 *   embedding   MMD² permutation test on the projected embedding (at most
 *               mmd_max_ref rows of each side, drawn at random); effect: MMD².
 *   bbsd        KS on every softmax column, Bonferroni over the K columns
 *               (the Rabanser et al. 2019 baseline as one test); effect: the
 *               largest D.
 *   outliers    conformal outlier count (gl_drift_conformal_outliers) of the
 *               embedding distance to the predicted class's reference
 *               centroid, t = 1 − novelty_q / 100; effect: rate / t.
 *   uncertain   the same count of 1 − the top-class probability.
 * The two-sample forms (Fisher, homogeneity) are used rather than testing
 * the window against the reference's shares taken as exact (binomial,
 * goodness of fit): those ignore the reference's own sampling error.
 * The error control below is over the draw of both reference and window;
 * against one fixed reference the false-alarm rate varies around α with
 * that reference's luck, less the larger the reference (keep it several
 * times the window).
 *
 * Sample sizes: the window-wide tests (chi-square, SHARE, BBSD) need at
 * least min_class images in the window; the within-class tests need
 * min_class images predicted as c in the window AND in the reference.
 * Otherwise the test is "insufficient data" (tested = FALSE): it has
 * statistic 0, p-value 1 and never fires. A class with fewer than min_class
 * images predicted as it in the window is flagged insufficient.
 *
 * Error control, detection then localisation (serial gatekeeping, Westfall
 * & Krishen 2001): the window drifted when a window-wide test fires at its
 * fixed share of α (weighted Bonferroni; a test's p_adjusted is p / share):
 * omnibus 0.9, embedding 0.05, and the per-class family 0.05 (its smallest
 * Holm-adjusted p-value; a shift inside one class's embedding shows there
 * first; the embedding tests keep a share for shifts the probabilities do
 * not show). chi_square, confidence, bbsd, outliers and uncertain are
 * reported with statistic, p, effect and n but have no share (their
 * p_adjusted is 1; the omnibus test holds the first three). The shares were
 * chosen on the drift bench (tests/bench/drift --pvalues, seed 2, checked on
 * seed 1): every share taken from the omnibus test cost power at every
 * window size there, the uncertain test's 0.1 most. So a window without shift is called drifted with probability
 * at most α, whatever the dependence between the tests. Only then are the
 * per-class tests judged: Holm-corrected among themselves (Holm 1979), a
 * test fires when its adjusted p-value ≤ α. A per-class test never fires in
 * a window that did not drift. The detection no longer pays for the ~50
 * per-class tests (Holm over all of them followed the BBSD baseline almost
 * exactly); those tests now say which classes, not whether.
 *
 * The class named first (top_class) is an attribution, not a claim: -1 when
 * the window did not drift; else the class with the smallest LOSS or GAIN
 * p-value, or fired within-class p-value (CONFIDENCE, EMBEDDING, NOVELTY)
 * of a class whose column did not rise (LOSS z < 1). A class whose images
 * changed is mostly predicted as other classes: its column loses mass, while
 * the classes receiving its images gain unsure predictions (and their
 * within-class tests fire); a prior shift adds sure predictions of one class.
 * When neither test has p < 1 anywhere, it is the class with the most
 * evidence, −log p summed over its fired tests (or, when none fired, its raw
 * p-values ≤ α).
 *
 * The CBPE precision estimate of each class (window and reference, with
 * their standard errors) is reported beside the tests as an estimate with an
 * interval; it does not vote.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GL_DRIFT_TEST_SHARE,
  GL_DRIFT_TEST_BBSD,
  GL_DRIFT_TEST_CONFIDENCE,
  GL_DRIFT_TEST_EMBEDDING,
  GL_DRIFT_TEST_NOVELTY,
  GL_DRIFT_TEST_LOSS, /* ranking only: not in the family, never fires */
  GL_DRIFT_TEST_GAIN, /* ranking only */
  GL_DRIFT_N_TESTS
} GlDriftTestKind;

/* The kinds before this one form the per-class family (Holm); LOSS and GAIN
 * only rank the classes for naming (top_class). */
#define GL_DRIFT_N_FAMILY GL_DRIFT_TEST_LOSS


/* "share", "bbsd", "confidence", "embedding", "novelty", "loss", "gain"; NULL when out of range. */
const char *gl_drift_test_kind_to_string (GlDriftTestKind kind);
/* -1 when @name is none of those. */
gint gl_drift_test_kind_from_string (const char *name);

/* The outputs of a model on one set of images: plain arrays borrowed from
 * the caller for the duration of a call; read only, by the calling thread. */
typedef struct
{
  gsize n;
  guint n_classes;
  const float *probs;     /* (n, n_classes), calibrated class probabilities */
  guint dim;              /* 0: no embedding */
  const float *embedding; /* (n, dim) compact projection, or NULL */
} GlDriftSample;

/* Plain values, copied by the caller. */
typedef struct
{
  double alpha;      /* family-wise error per window; default 0.05 */
  guint min_class;   /* "insufficient data" below this; default 30 */
  guint n_perm;      /* MMD permutations; default 200 */
  guint mmd_max_ref; /* rows per side used by MMD (a seeded random draw); default 150 */
  double novelty_q;  /* percentile of the novelty cut; default 99 */
  guint n_null;      /* permutations of the omnibus test; default 300 */
  guint64 seed;      /* permutations; default 0 */
} GlDriftOptions;

void gl_drift_options_init (GlDriftOptions *options);

typedef struct
{
  gboolean tested;   /* FALSE: insufficient data, the other fields are 0 / 1 */
  double statistic;  /* binomial: n_c / n; KS: D; MMD²; novelty rate */
  double p_value;    /* raw, in [0, 1] */
  double p_adjusted; /* Holm over the window's family, in [0, 1] */
  double effect;     /* see the kind */
  guint64 n_ref;     /* reference sample size of the test */
  guint64 n_win;     /* window sample size of the test */
  gboolean fired;    /* p_adjusted ≤ α */
} GlDriftTestResult;

/* A verdict and every array in it are owned by the verdict (free with
 * gl_drift_verdict_free); it is made and read on one thread at a time. */
typedef struct
{
  guint n_classes;
  guint64 n_window, n_reference;
  double alpha;
  GlDriftTestResult chi_square; /* statistic X², effect total PSI */
  guint chi_square_df;
  GlDriftTestResult confidence; /* window-wide KS on the top-class probability */
  GlDriftTestResult embedding;  /* window-wide MMD² */
  GlDriftTestResult omnibus;    /* calibrated minP (gl-drift-omnibus.h): statistic −log10 min p, effect min p */
  gint omnibus_which;           /* its smallest test: a softmax column, K confidence, K + 1 chi-square; −1 none */
  GlDriftTestResult bbsd;       /* window-wide BBSD: statistic the largest column D, p = min (1, K · least p) */
  GlDriftTestResult outliers;   /* conformal outlier count, embedding distance to the predicted class's centroid */
  GlDriftTestResult uncertain;  /* conformal outlier count, 1 − top-class probability */
  double accuracy_window;       /* CBPE accuracy estimate: mean top-class probability (0 when empty) */
  double accuracy_reference;
  GlDriftTestResult *tests;       /* (n_classes, GL_DRIFT_N_TESTS) */
  gboolean *insufficient;         /* (n_classes): < min_class images predicted as c in the window */
  double *precision_window;       /* (n_classes) CBPE estimate, 0 when nothing predicted */
  double *precision_window_se;    /* (n_classes) */
  double *precision_reference;    /* (n_classes) */
  double *precision_reference_se; /* (n_classes) */
  guint n_fired;                  /* tests that fired, window-wide ones included */
  gboolean drifted;               /* a window-wide test fired */
  gint top_class;                 /* the class named first, -1 if the window did not drift (see above) */
} GlDriftVerdict;

/* The verdict of @window against @reference (same n_classes; the embedding
 * tests run only when both have one of the same dim). Never NaN in any field.
 * Error only for mismatched shapes. */
GlDriftVerdict *gl_drift_verdict_compute (const GlDriftSample *reference, const GlDriftSample *window,
                                          const GlDriftOptions *options, GError **error);
void gl_drift_verdict_free (GlDriftVerdict *verdict);
/* The result of @kind for @cls. */
const GlDriftTestResult *gl_drift_verdict_get (const GlDriftVerdict *verdict, guint cls,
                                               GlDriftTestKind kind);

/* The Rabanser et al. 2019 baseline on its own: KS on every softmax column,
 * Bonferroni α / K; TRUE when any column's p-value ≤ α / K. @min_p: the
 * smallest column p-value (may be NULL). */
gboolean gl_drift_bbsd_baseline (const GlDriftSample *reference, const GlDriftSample *window, double alpha,
                                 double *min_p);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDriftVerdict, gl_drift_verdict_free)

G_END_DECLS
