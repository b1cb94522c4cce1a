/* gl-agreement-report.c — agreement and consensus of a project's
 * annotators. See gl-agreement-report.h. */
#include "app/gl-agreement-report.h"

#include <math.h>
#include <string.h>

void
gl_agreement_options_init (GlAgreementOptions *options)
{
  options->min_overlap = GL_AGREEMENT_MIN_OVERLAP;
  options->n_boot = GL_AGREEMENT_DEFAULT_BOOT;
  options->seed = 1;
  options->prior_strength = GL_AGREEMENT_DEFAULT_PRIOR_STRENGTH;
}

void
gl_agreement_report_free (GlAgreementReport *report)
{
  if (report == NULL)
    return;
  gl_db_team_labels_clear (&report->team);
  g_free (report->class_ids);
  g_strfreev (report->class_names);
  g_free (report->accuracy);
  g_free (report->weights);
  for (guint i = 0; report->pairs && i < report->pairs->len; i++)
    g_free (g_array_index (report->pairs, GlAgreementPair, i).per_class);
  g_clear_pointer (&report->pairs, g_array_unref);
  g_free (report->alpha_per_class);
  g_free (report->image_ids);
  g_free (report->labels);
  g_free (report->majority);
  g_free (report->weighted);
  g_free (report);
}

/* The classes (archived ones too: they may hold labels) into the report. */
static gboolean
load_classes (GlAgreementReport *r, GlDb *db, GHashTable *index, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  r->n_classes = classes->len;
  r->class_ids = g_new (gint64, MAX (r->n_classes, 1));
  r->class_names = g_new0 (char *, r->n_classes + 1);
  for (guint i = 0; i < classes->len; i++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      r->class_ids[i] = c->id;
      r->class_names[i] = g_strdup (c->name);
      g_hash_table_insert (index, &r->class_ids[i], GUINT_TO_POINTER (i));
    }
  return TRUE;
}

/* The (n_items, n_annotators) matrix of class indices from the team's labels. */
static void
fill_matrix (GlAgreementReport *r, GHashTable *index)
{
  GArray *labels = r->team.labels;
  r->n_items = r->team.n_images;
  r->image_ids = g_new (gint64, MAX (r->n_items, 1));
  r->labels = g_new (gint, MAX (r->n_items * r->n_annotators, 1));
  for (gsize i = 0; i < r->n_items * r->n_annotators; i++)
    r->labels[i] = GL_AGREEMENT_MISSING;
  gsize item = 0;
  for (guint i = 0; i < labels->len; i++)
    {
      const GlDbAnnotatorLabel *l = &g_array_index (labels, GlDbAnnotatorLabel, i);
      if (i > 0 && g_array_index (labels, GlDbAnnotatorLabel, i - 1).image_id != l->image_id)
        item++;
      r->image_ids[item] = l->image_id;
      gpointer klass;
      if (g_hash_table_lookup_extended (index, &l->class_id, NULL, &klass))
        r->labels[item * r->n_annotators + l->annotator] = (gint)GPOINTER_TO_UINT (klass);
    }
}

static void
compute_pairs (GlAgreementReport *r)
{
  r->pairs = g_array_new (FALSE, TRUE, sizeof (GlAgreementPair));
  for (guint a = 0; a < r->n_annotators; a++)
    for (guint b = a + 1; b < r->n_annotators; b++)
      {
        GlAgreementPair p = { a, b };
        gl_agreement_kappa (r->labels, r->n_items, r->n_annotators, a, b, r->n_classes, -1, &p.kappa);
        if (p.kappa.n_items == 0)
          continue;
        p.per_class = g_new (GlAgreement, MAX (r->n_classes, 1));
        for (guint c = 0; c < r->n_classes; c++)
          gl_agreement_kappa (r->labels, r->n_items, r->n_annotators, a, b, r->n_classes, (gint)c,
                              &p.per_class[c]);
        p.enough = p.kappa.n_items >= r->min_overlap;
        g_array_append_val (r->pairs, p);
      }
}

static void
compute_consensus (GlAgreementReport *r, const GlAgreementOptions *o)
{
  guint n = r->n_annotators;
  g_autofree guint64 *correct = g_new (guint64, MAX (n, 1));
  g_autofree guint64 *audited = g_new (guint64, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      const GlDbAnnotator *a = &g_array_index (r->team.annotators, GlDbAnnotator, i);
      correct[i] = a->correct;
      audited[i] = a->audited;
    }
  r->accuracy = g_new (double, MAX (n, 1));
  r->weights = g_new (double, MAX (n, 1));
  gl_agreement_weights (correct, audited, n, r->n_classes, o->prior_strength, r->accuracy, r->weights);
  r->majority = g_new0 (GlConsensus, MAX (r->n_items, 1));
  r->weighted = g_new0 (GlConsensus, MAX (r->n_items, 1));
  gl_agreement_majority (r->labels, r->n_items, n, r->n_classes, r->majority);
  gl_agreement_weighted (r->labels, r->n_items, n, r->n_classes, r->weights, r->weighted);
}

GlAgreementReport *
gl_agreement_report_new (GlDb *db, const GlAgreementOptions *options, GError **error)
{
  GlAgreementOptions o;
  gl_agreement_options_init (&o);
  if (options)
    o = *options;
  g_autoptr (GlAgreementReport) r = g_new0 (GlAgreementReport, 1);
  r->min_overlap = o.min_overlap ? o.min_overlap : GL_AGREEMENT_MIN_OVERLAP;
  g_autoptr (GHashTable) index = g_hash_table_new (g_int64_hash, g_int64_equal); /* class id → index */
  if (!gl_db_get_team_labels (db, 2, &r->team, error) || !load_classes (r, db, index, error))
    return NULL;
  r->n_annotators = r->team.annotators->len;
  fill_matrix (r, index);
  compute_pairs (r);
  r->alpha_per_class = g_new (GlAgreement, MAX (r->n_classes, 1));
  gl_agreement_alpha (r->labels, r->n_items, r->n_annotators, r->n_classes, o.n_boot, o.seed, &r->alpha,
                      r->alpha_per_class);
  r->enough_alpha = r->alpha.n_items >= r->min_overlap;
  compute_consensus (r, &o);
  return g_steal_pointer (&r);
}

gboolean
gl_agreement_report_is_conflict (const GlAgreementReport *report, gsize i)
{
  gint first = GL_AGREEMENT_MISSING;
  for (guint a = 0; a < report->n_annotators; a++)
    {
      gint c = report->labels[i * report->n_annotators + a];
      if (c < 0)
        continue;
      if (first >= 0 && c != first)
        return TRUE;
      first = c;
    }
  return FALSE;
}

static int
compare_conflicts (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const GlAgreementReport *r = data;
  gsize a = *(const gsize *)pa, b = *(const gsize *)pb;
  gboolean tie_a = r->weighted[a].klass < 0 || r->majority[a].klass < 0;
  gboolean tie_b = r->weighted[b].klass < 0 || r->majority[b].klass < 0;
  if (tie_a != tie_b)
    return tie_a ? -1 : 1;
  double sa = r->weighted[a].support, sb = r->weighted[b].support;
  if (sa != sb && !isnan (sa) && !isnan (sb))
    return sa < sb ? -1 : 1;
  return (r->image_ids[a] > r->image_ids[b]) - (r->image_ids[a] < r->image_ids[b]);
}

GArray *
gl_agreement_report_conflicts (const GlAgreementReport *report)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gsize));
  for (gsize i = 0; i < report->n_items; i++)
    if (gl_agreement_report_is_conflict (report, i))
      g_array_append_val (out, i);
  g_array_sort_with_data (out, compare_conflicts, (gpointer)report);
  return out;
}
