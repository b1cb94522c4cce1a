/* gl-export-team.c — the consensus label and every annotator's label for
 * an export (see gl-export-team.h). */
#include "app/gl-export-team.h"

#include <string.h>

#include "engine/gl-agreement.h"

void
gl_export_team_clear (GlExportTeam *team)
{
  g_clear_pointer (&team->votes, g_free);
  gl_db_team_labels_clear (&team->team);
  memset (team, 0, sizeof *team);
}

/* The consensus weight of each annotator, from their accuracy on the
 * reference labels (every weight equal without any). */
static double *
annotator_weights (const GlDbTeamLabels *team, guint n_classes)
{
  guint n = team->annotators->len;
  g_autofree guint64 *correct = g_new0 (guint64, MAX (1, n));
  g_autofree guint64 *audited = g_new0 (guint64, MAX (1, n));
  g_autofree double *accuracy = g_new0 (double, MAX (1, n));
  double *weights = g_new0 (double, MAX (1, n));
  for (guint r = 0; r < n; r++)
    {
      const GlDbAnnotator *a = &g_array_index (team->annotators, GlDbAnnotator, r);
      correct[r] = a->correct;
      audited[r] = a->audited;
    }
  gl_agreement_weights (correct, audited, n, MAX (2u, n_classes), 0, accuracy, weights);
  return weights;
}

static gint
by_image_id (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const GlExportItem *) a)->image_id, y = ((const GlExportItem *) b)->image_id;
  return (x > y) - (x < y);
}

gboolean
gl_export_team_apply (GlDb *db, GArray *items, const gint64 *class_ids, guint n_classes, gboolean consensus,
                      gboolean votes, GlExportTeam *out, GError **error)
{
  memset (out, 0, sizeof *out);
  if (!consensus && !votes)
    return TRUE;
  if (!gl_db_get_team_labels (db, votes ? 1 : 2, &out->team, error))
    return FALSE;
  const GArray *labels = out->team.labels;
  guint n_raters = out->team.annotators->len;
  g_autoptr (GHashTable) index_of_class = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint k = 0; k < n_classes; k++)
    g_hash_table_insert (index_of_class, (gpointer) &class_ids[k], GUINT_TO_POINTER (k + 1));
  g_autofree double *weights = annotator_weights (&out->team, n_classes);
  g_autofree gint *row = g_new (gint, MAX (1u, n_raters));
  if (votes)
    out->votes = g_new (GlExportVote, MAX (1u, labels->len));

  /* Both lists in image id order: one pass over each. */
  gboolean sorted = TRUE;
  for (guint i = 1; i < items->len && sorted; i++)
    sorted = g_array_index (items, GlExportItem, i - 1).image_id < g_array_index (items, GlExportItem, i).image_id;
  if (!sorted)
    g_array_sort (items, by_image_id);
  guint j = 0, kept = 0, n_votes = 0;
  for (guint i = 0; i < items->len; i++)
    {
      GlExportItem it = g_array_index (items, GlExportItem, i);
      while (j < labels->len && g_array_index (labels, GlDbAnnotatorLabel, j).image_id < it.image_id)
        j++;
      for (guint r = 0; r < n_raters; r++)
        row[r] = GL_AGREEMENT_MISSING;
      guint given = 0, first_vote = n_votes;
      for (; j < labels->len && g_array_index (labels, GlDbAnnotatorLabel, j).image_id == it.image_id; j++)
        {
          const GlDbAnnotatorLabel *l = &g_array_index (labels, GlDbAnnotatorLabel, j);
          gint k = GPOINTER_TO_INT (g_hash_table_lookup (index_of_class, &l->class_id)) - 1;
          if (k < 0 || l->annotator >= n_raters)
            continue;
          row[l->annotator] = k;
          given++;
          if (votes)
            out->votes[n_votes++] = (GlExportVote){
              g_array_index (out->team.annotators, GlDbAnnotator, l->annotator).name, k };
        }
      if (votes)
        {
          it.votes = out->votes + first_vote;
          it.n_votes = n_votes - first_vote;
        }
      if (consensus && given >= 2)
        {
          GlConsensus c;
          gl_agreement_weighted (row, 1, n_raters, n_classes, weights, &c);
          if (c.klass < 0)
            {
              out->ties++;
              continue;
            }
          out->consensus++;
          out->changed += c.klass != it.class_id;
          it.class_id = c.klass;
          it.origin = "consensus";
          it.annotator = NULL;
        }
      g_array_index (items, GlExportItem, kept++) = it;
    }
  g_array_set_size (items, kept);
  return TRUE;
}
