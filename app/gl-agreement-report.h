/* gl-agreement-report.h — how far a project's annotators agree, and the
 * consensus label of each image they labeled together.
 *
 * Reads every annotator's current label (gl_db_get_team_labels) and computes,
 * with engine/gl-agreement.h:
 *   - per annotator: labels given, accuracy on the reference labels (with its
 *     Wilson interval), the shrunk accuracy and the consensus weight;
 *   - per pair of annotators: Cohen's κ overall and per class, on the images
 *     both labeled;
 *   - Krippendorff's α overall and per class, on the images labeled by ≥ 2;
 *   - per image labeled by ≥ 2: the majority (ties reported as ties) and the
 *     weighted consensus.
 * An estimate on fewer than @min_overlap images is computed but marked as
 * "not enough overlap" (GlAgreementReport.enough_*), to be shown as such.
 *
 * GTK-free; built and read by one thread (the caller's), on its own GlDb. */
#pragma once

#include <glib.h>

#include "db/gl-db.h"
#include "engine/gl-agreement.h"

G_BEGIN_DECLS

/* Caller-owned options (plain values). */
typedef struct
{
  guint min_overlap;     /* fewest shared images for an estimate; 0 = GL_AGREEMENT_MIN_OVERLAP */
  guint n_boot;          /* bootstrap resamples of α; 0 = GL_AGREEMENT_DEFAULT_BOOT */
  guint64 seed;          /* of the bootstrap */
  double prior_strength; /* shrinkage of the accuracies; ≤ 0 = GL_AGREEMENT_DEFAULT_PRIOR_STRENGTH */
} GlAgreementOptions;

void gl_agreement_options_init (GlAgreementOptions *options);

/* One pair of annotators. Owned by the report. */
typedef struct
{
  guint a, b;             /* annotator indices, a < b */
  GlAgreement kappa;      /* over all classes */
  GlAgreement *per_class; /* (n_classes) each class against the rest; owned */
  gboolean enough;        /* kappa.n_items ≥ min_overlap */
} GlAgreementPair;

/* Owned by the caller of gl_agreement_report_new (one thread at a time);
 * every pointer is owned by the report and freed by gl_agreement_report_free. */
typedef struct
{
  guint min_overlap;            /* the option in effect */
  GlDbTeamLabels team;          /* annotators (by name) and their labels on shared images */
  guint n_annotators;           /* team.annotators->len */
  guint n_classes;              /* live classes (archived included), in position order */
  gint64 *class_ids;            /* (n_classes) */
  char **class_names;           /* (n_classes + 1) NULL-terminated */
  double *accuracy;             /* (n_annotators) shrunk accuracy on reference labels; NaN without any */
  double *weights;              /* (n_annotators) consensus weights */
  GArray *pairs;                /* GlAgreementPair, (a, b) in order; pairs with no shared image left out */
  GlAgreement alpha;            /* all classes */
  GlAgreement *alpha_per_class; /* (n_classes) */
  gboolean enough_alpha;        /* alpha.n_items ≥ min_overlap */
  gsize n_items;                /* images labeled by ≥ 2 annotators */
  gint64 *image_ids;            /* (n_items) ascending */
  gint *labels;                 /* (n_items, n_annotators) class index or GL_AGREEMENT_MISSING */
  GlConsensus *majority;        /* (n_items) */
  GlConsensus *weighted;        /* (n_items) */
} GlAgreementReport;

/* NULL with @error when the store cannot be read. */
GlAgreementReport *gl_agreement_report_new (GlDb *db, const GlAgreementOptions *options, GError **error);
void gl_agreement_report_free (GlAgreementReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlAgreementReport, gl_agreement_report_free)

/* TRUE when the annotators of item @i gave at least two different classes. */
gboolean gl_agreement_report_is_conflict (const GlAgreementReport *report, gsize i);

/* The indices of the conflicting items, most contested first: ties, then by
 * the weighted consensus's posterior, lowest first; then image id.
 * Elements: gsize. */
GArray *gl_agreement_report_conflicts (const GlAgreementReport *report);

G_END_DECLS
