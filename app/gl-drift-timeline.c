/* gl-drift-timeline.c — see gl-drift-timeline.h. */
#include "app/gl-drift-timeline.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (gl-drift-timeline-error-quark, gl_drift_timeline_error)

GlDriftTimeline *
gl_drift_timeline_ref (GlDriftTimeline *t)
{
  g_atomic_int_inc (&t->ref_count);
  return t;
}

void
gl_drift_timeline_unref (GlDriftTimeline *t)
{
  if (t == NULL || !g_atomic_int_dec_and_test (&t->ref_count))
    return;
  g_free (t->class_ids);
  g_strfreev (t->class_names);
  g_free (t->columns);
  g_free (t->cells);
  g_free (t);
}

const GlDriftCell *
gl_drift_timeline_cell (const GlDriftTimeline *t, guint k, guint c)
{
  g_return_val_if_fail (k < t->n_classes && c < t->n_columns, NULL);
  return &t->cells[(gsize)k * t->n_columns + c];
}

gint
gl_drift_timeline_class_index (const GlDriftTimeline *t, gint64 class_id)
{
  for (guint k = 0; k < t->n_classes; k++)
    if (t->class_ids[k] == class_id)
      return (gint)k;
  return -1;
}

char *
gl_drift_timeline_column_name (const GlDriftColumn *c)
{
  if (c->kind == GL_DB_DRIFT_BATCH)
    return g_strdup_printf ("batch %" G_GINT64_FORMAT, c->batch_id);
  return g_strdup_printf ("images %" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, c->first_image, c->last_image);
}

const char *
gl_drift_timeline_test_title (const char *test)
{
  static const struct
  {
    const char *id, *title;
  } names[] = {
    { "share", "predicted share (binomial)" }, { "bbsd", "BBSD (KS on the softmax column)" },
    { "confidence", "confidence (KS)" },       { "embedding", "embedding shift (MMD)" },
    { "novelty", "novelty rate (binomial)" },  { "chi-square", "class shares (chi-square)" },
    { "omnibus", "any output shift (calibrated minP)" }, { "outliers", "outlying embeddings (conformal)" },
    { "uncertain", "uncertain images (conformal)" },
    { "loss", "softmax column lost mass (one-sided z; ranks classes)" },
    { "gain", "sure predictions gained (one-sided Fisher; ranks classes)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i].id, test) == 0)
      return names[i].title;
  return test;
}

const char *
gl_drift_timeline_format_p (char buf[32], double p)
{
  if (isnan (p))
    return "n/a";
  if (p < 1e-4)
    return "< 0.0001";
  g_snprintf (buf, 32, p < 0.01 ? "%.4f" : "%.3f", p);
  return buf;
}

double
gl_drift_timeline_accuracy_se (const GArray *classes)
{
  double total = 0, var = 0;
  for (guint i = 0; classes != NULL && i < classes->len; i++)
    {
      const GlDbDriftClass *k = &g_array_index (classes, GlDbDriftClass, i);
      if (k->n_images == 0)
        continue;
      double n = (double)k->n_images;
      total += n;
      var += n * n * k->precision_se * k->precision_se; /* NaN stays NaN */
    }
  return total > 0 ? sqrt (var) / total : NAN;
}

static void
fill_column (GlDriftColumn *col, const GlDbDriftResult *r)
{
  memset (col, 0, sizeof *col);
  col->result_id = r->id;
  col->kind = r->kind;
  col->batch_id = r->batch_id;
  col->first_image = r->first_image;
  col->last_image = r->last_image;
  col->n_images = r->n_images;
  col->window_size = r->window_size;
  col->drifted = r->drifted;
  col->alpha = r->alpha;
  col->n_fired = r->n_fired;
  col->top_class = r->top_class;
  col->accuracy_est = r->accuracy_est;
  col->accuracy_se = gl_drift_timeline_accuracy_se (r->classes);
  col->accuracy_ref = r->accuracy_ref;
  col->psi = r->psi;
  col->created_us = r->created_us;
  for (guint i = 0; r->tests != NULL && i < r->tests->len; i++)
    col->n_tested += g_array_index (r->tests, GlDbDriftTest, i).tested;
}

/* Whether @t is a stronger test for a cell than the one it holds. */
static gboolean
stronger (const GlDriftCell *cell, gboolean cell_fired, const GlDbDriftTest *t)
{
  if (cell->test[0] == '\0')
    return TRUE;
  if (t->fired != cell_fired)
    return t->fired;
  return t->p_adjusted < cell->p_adjusted;
}

static void
fill_cell (GlDriftCell *cell, const GlDbDriftResult *r, gint64 class_id)
{
  memset (cell, 0, sizeof *cell);
  cell->statistic = cell->p_value = cell->p_adjusted = cell->effect = NAN;
  cell->precision_est = cell->precision_se = cell->precision_ref = cell->precision_ref_se = NAN;
  gboolean best_fired = FALSE;
  for (guint i = 0; r->tests != NULL && i < r->tests->len; i++)
    {
      const GlDbDriftTest *t = &g_array_index (r->tests, GlDbDriftTest, i);
      if (t->class_id != class_id || !t->tested)
        continue;
      cell->n_tested++;
      cell->n_fired += t->fired;
      if (!stronger (cell, best_fired, t))
        continue;
      best_fired = t->fired;
      g_strlcpy (cell->test, t->test, sizeof cell->test);
      cell->statistic = t->statistic;
      cell->p_value = t->p_value;
      cell->p_adjusted = t->p_adjusted;
      cell->effect = t->effect;
      cell->n_ref = t->n_ref;
      cell->n_win = t->n_win;
    }
  cell->drifted = cell->n_fired > 0;
  for (guint i = 0; r->classes != NULL && i < r->classes->len; i++)
    {
      const GlDbDriftClass *k = &g_array_index (r->classes, GlDbDriftClass, i);
      if (k->class_id != class_id)
        continue;
      cell->present = TRUE;
      cell->n_images = k->n_images;
      cell->insufficient = k->insufficient;
      cell->precision_est = k->precision_est;
      cell->precision_se = k->precision_se;
      cell->precision_ref = k->precision_ref;
      cell->precision_ref_se = k->precision_ref_se;
    }
}

static gint
compare_results (gconstpointer a, gconstpointer b)
{
  const GlDbDriftResult *x = *(GlDbDriftResult *const *)a, *y = *(GlDbDriftResult *const *)b;
  gint64 kx = x->kind == GL_DB_DRIFT_BATCH ? x->batch_id : x->last_image;
  gint64 ky = y->kind == GL_DB_DRIFT_BATCH ? y->batch_id : y->last_image;
  if (kx != ky)
    return kx < ky ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static gboolean
load_classes (GlDb *db, GlDriftTimeline *t, GError **error)
{
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, error);
  if (classes == NULL)
    return FALSE;
  t->n_classes = classes->len;
  t->class_ids = g_new0 (gint64, MAX (classes->len, 1u));
  t->class_names = g_new0 (char *, classes->len + 1);
  for (guint k = 0; k < classes->len; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      t->class_ids[k] = c->id;
      t->class_names[k] = g_strdup (c->name);
    }
  return TRUE;
}

GlDriftTimeline *
gl_drift_timeline_load (GlDb *db, gint64 model_id, GlDbDriftKind kind, GError **error)
{
  gint64 current = gl_db_get_current_model (db);
  if (model_id < 0)
    model_id = current;
  if (model_id <= 0)
    {
      g_set_error (error, GL_DRIFT_TIMELINE_ERROR, GL_DRIFT_TIMELINE_ERROR_NO_MODEL,
                   "the project has no model version yet");
      return NULL;
    }
  g_autoptr (GlDriftTimeline) t = g_new0 (GlDriftTimeline, 1);
  t->ref_count = 1;
  t->model_id = model_id;
  t->current_id = current;
  t->kind = kind;
  if (!load_classes (db, t, error))
    return NULL;
  g_autoptr (GArray) all = gl_db_list_drift_results (db, model_id, -1, error);
  if (all == NULL)
    return NULL;
  guint n = 0;
  for (guint i = 0; i < all->len; i++)
    n += g_array_index (all, GlDbDriftResult, i).kind == kind;
  t->n_columns = n;
  t->columns = g_new0 (GlDriftColumn, MAX (n, 1u));
  t->cells = g_new0 (GlDriftCell, MAX ((gsize)n * t->n_classes, 1u));
  /* Oldest to newest: batches by id, windows by their last image (each
   * then by result id, the newer result of the same images last). */
  g_autoptr (GPtrArray) order = g_ptr_array_new ();
  for (guint i = 0; i < all->len; i++)
    if (g_array_index (all, GlDbDriftResult, i).kind == kind)
      g_ptr_array_add (order, &g_array_index (all, GlDbDriftResult, i));
  g_ptr_array_sort (order, compare_results);
  for (guint c = 0; c < order->len; c++)
    {
      const GlDbDriftResult *r = g_ptr_array_index (order, c);
      fill_column (&t->columns[c], r);
      for (guint k = 0; k < t->n_classes; k++)
        fill_cell (&t->cells[(gsize)k * n + c], r, t->class_ids[k]);
    }
  return g_steal_pointer (&t);
}

/* ---- Async ---- */

/* The task's data: set on the caller's thread, then read by the worker only. */
typedef struct
{
  char *db_path; /* owned */
  gint64 model_id;
  GlDbDriftKind kind;
} LoadData;

static void
load_data_free (gpointer p)
{
  LoadData *d = p;
  g_free (d->db_path);
  g_free (d);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *d = task_data;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (d->db_path, &error);
  GlDriftTimeline *t = db ? gl_drift_timeline_load (db, d->model_id, d->kind, &error) : NULL;
  if (t == NULL)
    g_task_return_error (task, error);
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_pointer (task, t, (GDestroyNotify)gl_drift_timeline_unref);
  else
    gl_drift_timeline_unref (t);
}

void
gl_drift_timeline_load_async (const char *db_path, gint64 model_id, GlDbDriftKind kind, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gl_drift_timeline_load_async);
  LoadData *d = g_new0 (LoadData, 1);
  d->db_path = g_strdup (db_path);
  d->model_id = model_id;
  d->kind = kind;
  g_task_set_task_data (task, d, load_data_free);
  g_task_run_in_thread (task, load_thread);
}

GlDriftTimeline *
gl_drift_timeline_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
