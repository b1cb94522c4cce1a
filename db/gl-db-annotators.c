/* gl-db-annotators.c — several annotators' labels side by side: each one's
 * current label per image, their accuracy on the reference labels, and the
 * process's default annotator name. See gl-db.h ("Annotators"). */
#include "db/gl-db-private.h"

#include <string.h>

/* ---- The default annotator ------------------------------------------- */

/* The name set by gl_db_set_default_annotator, or NULL; under default_lock. */
static char *default_annotator;
G_LOCK_DEFINE_STATIC (default_lock);

void
gl_db_set_default_annotator (const char *name)
{
  G_LOCK (default_lock);
  g_free (default_annotator);
  default_annotator = name && *name ? g_strdup (name) : NULL;
  G_UNLOCK (default_lock);
}

char *
gl_db_dup_default_annotator (void)
{
  G_LOCK (default_lock);
  char *name = g_strdup (default_annotator ? default_annotator : g_get_user_name ());
  G_UNLOCK (default_lock);
  return name;
}

/* ---- Current labels per annotator -------------------------------------- */

static void
annotator_clear (gpointer p)
{
  g_free (((GlDbAnnotator *)p)->name);
}

void
gl_db_team_labels_clear (GlDbTeamLabels *team)
{
  g_clear_pointer (&team->annotators, g_array_unref);
  g_clear_pointer (&team->labels, g_array_unref);
  team->n_images = 0;
}

/* A class id (or -1) followed through merges to a live class, or -1;
 * memoised in @cache (id → resolved + 2, so that -1 is not a NULL value). */
static gint64
resolve_cached (GlDb *db, GHashTable *cache, gint64 class_id)
{
  if (class_id <= 0)
    return -1;
  gpointer hit = g_hash_table_lookup (cache, &class_id);
  if (hit)
    return *(gint64 *)hit - 2;
  gint64 *key = g_new (gint64, 2);
  key[0] = class_id;
  key[1] = gl_db_class_resolve (db, class_id) + 2;
  g_hash_table_insert (cache, key, key + 1);
  return key[1] - 2;
}

/* The annotator index of @name in @team (added when new, via @index). */
static guint
annotator_index (GlDbTeamLabels *team, GHashTable *index, const char *name)
{
  gpointer hit;
  if (g_hash_table_lookup_extended (index, name, NULL, &hit))
    return GPOINTER_TO_UINT (hit);
  GlDbAnnotator a = { g_strdup (name), 0, 0, 0 };
  g_array_append_val (team->annotators, a);
  g_hash_table_insert (index, g_strdup (name), GUINT_TO_POINTER (team->annotators->len - 1));
  return team->annotators->len - 1;
}

/* Moves the labels of one image (@pending) to @team when enough annotators
 * labeled it. */
static void
flush_image (GlDbTeamLabels *team, GArray *pending, guint min_annotators)
{
  if (pending->len > 0 && pending->len >= min_annotators)
    {
      g_array_append_vals (team->labels, pending->data, pending->len);
      team->n_images++;
    }
  g_array_set_size (pending, 0);
}

static int
compare_label (gconstpointer a, gconstpointer b)
{
  const GlDbAnnotatorLabel *x = a, *y = b;
  if (x->image_id != y->image_id)
    return x->image_id < y->image_id ? -1 : 1;
  return (x->annotator > y->annotator) - (x->annotator < y->annotator);
}

/* Renumbers the annotators in name order (the labels follow). */
static void
sort_annotators (GlDbTeamLabels *team)
{
  guint n = team->annotators->len;
  g_autofree guint *order = g_new (guint, n); /* (n) new position → old index */
  for (guint i = 0; i < n; i++)
    order[i] = i;
  for (guint i = 1; i < n; i++) /* insertion sort: a team is small */
    for (guint j = i; j > 0
                      && strcmp (g_array_index (team->annotators, GlDbAnnotator, order[j - 1]).name,
                                 g_array_index (team->annotators, GlDbAnnotator, order[j]).name)
                             > 0;
         j--)
      {
        guint t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  g_autofree guint *where = g_new (guint, n); /* (n) old index → new position */
  GArray *sorted = g_array_sized_new (FALSE, FALSE, sizeof (GlDbAnnotator), n);
  g_array_set_clear_func (sorted, annotator_clear);
  for (guint i = 0; i < n; i++)
    {
      where[order[i]] = i;
      g_array_append_val (sorted, g_array_index (team->annotators, GlDbAnnotator, order[i]));
    }
  g_array_set_clear_func (team->annotators, NULL);
  g_array_unref (team->annotators);
  team->annotators = sorted;
  for (guint i = 0; i < team->labels->len; i++)
    {
      GlDbAnnotatorLabel *l = &g_array_index (team->labels, GlDbAnnotatorLabel, i);
      l->annotator = where[l->annotator];
    }
  g_array_sort (team->labels, compare_label);
}

gboolean
gl_db_get_team_labels (GlDb *db, guint min_annotators, GlDbTeamLabels *out, GError **error)
{
  memset (out, 0, sizeof *out);
  min_annotators = MAX (min_annotators, 1);
  /* Per (image, annotator) the newest SET row not undone (an undo row points
   * at the first row of the action it takes back); its class may be NULL
   * (unlabeled). One statement: one snapshot. */
  GlSqlStmt *st
      = gl_db_stmt (db,
                    "SELECT c.image_id, c.annotator, c.class_id, c.id, i.ref_class FROM"
                    " (SELECT l.image_id, l.annotator, l.class_id, l.id,"
                    "    ROW_NUMBER () OVER (PARTITION BY l.image_id, l.annotator ORDER BY l.id DESC) AS rn"
                    "  FROM labels l WHERE l.kind = 0 AND l.origin <> 'reference' AND l.annotator <> 'import'"
                    "  AND NOT EXISTS (SELECT 1 FROM labels u WHERE u.undoes = COALESCE (l.action, l.id))) c"
                    " JOIN images i ON i.id = c.image_id"
                    " WHERE c.rn = 1 AND c.class_id IS NOT NULL ORDER BY c.image_id",
                    error);
  if (st == NULL)
    return FALSE;
  out->annotators = g_array_new (FALSE, FALSE, sizeof (GlDbAnnotator));
  g_array_set_clear_func (out->annotators, annotator_clear);
  out->labels = g_array_new (FALSE, FALSE, sizeof (GlDbAnnotatorLabel));
  g_autoptr (GHashTable) index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) classes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr (GArray) pending
      = g_array_new (FALSE, FALSE, sizeof (GlDbAnnotatorLabel)); /* the current image's */
  int rc;
  while ((rc = gl_sql_step (st, NULL)) == GL_SQL_STEP_ROW)
    {
      GlDbAnnotatorLabel l = { gl_sql_column_int64 (st, 0), 0, -1, gl_sql_column_int64 (st, 3) };
      l.class_id = resolve_cached (db, classes, gl_sql_column_int64 (st, 2));
      if (l.class_id < 0)
        continue;
      l.annotator = annotator_index (out, index, (const char *)gl_sql_column_text (st, 1));
      GlDbAnnotator *a = &g_array_index (out->annotators, GlDbAnnotator, l.annotator);
      a->labeled++;
      if (!gl_sql_column_is_null (st, 4))
        {
          a->audited++;
          a->correct += resolve_cached (db, classes, gl_sql_column_int64 (st, 4)) == l.class_id;
        }
      if (pending->len > 0 && g_array_index (pending, GlDbAnnotatorLabel, 0).image_id != l.image_id)
        flush_image (out, pending, min_annotators);
      g_array_append_val (pending, l);
    }
  gl_db_done (st);
  if (rc != GL_SQL_STEP_DONE)
    {
      gl_db_team_labels_clear (out);
      return gl_db_fail (db, error, "cannot read the annotators' labels");
    }
  flush_image (out, pending, min_annotators);
  sort_annotators (out);
  return TRUE;
}
