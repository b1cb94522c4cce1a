/* synth-project.c — see synth-project.h. */
#include "synth-project.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sys/wait.h>

#include "app/gl-trainer.h"

const char *const synth_classes[] = { "top-left", "top-right", "bottom-left", "bottom-right", NULL };

static void
put_be32 (GByteArray *a, guint32 v)
{
  const guint8 b[4] = { (guint8)(v >> 24), (guint8)(v >> 16), (guint8)(v >> 8), (guint8)v };
  g_byte_array_append (a, b, 4);
}

void
synth_write_idx (const char *dir, const char *split, guint n, guint32 seed, gboolean centred)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (GByteArray) img = g_byte_array_new ();
  g_autoptr (GByteArray) lab = g_byte_array_new ();
  put_be32 (img, 0x00000803);
  put_be32 (img, n);
  put_be32 (img, 28);
  put_be32 (img, 28);
  put_be32 (lab, 0x00000801);
  put_be32 (lab, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 px[28 * 28];
      guint8 label = (guint8)(i % 4);
      for (guint j = 0; j < sizeof px; j++)
        px[j] = (guint8) g_rand_int_range (rand, 0, 40);
      gint x0 = (centred ? 9 : (label % 2) * 14 + 2) + g_rand_int_range (rand, -2, 3);
      gint y0 = (centred ? 9 : (label / 2) * 14 + 2) + g_rand_int_range (rand, -2, 3);
      for (gint y = MAX (y0, 0); y < MIN (y0 + 10, 28); y++)
        for (gint x = MAX (x0, 0); x < MIN (x0 + 10, 28); x++)
          px[y * 28 + x] = (guint8)g_rand_int_range (rand, 200, 256);
      g_byte_array_append (img, px, sizeof px);
      g_byte_array_append (lab, &label, 1);
    }
  g_autofree char *in = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, split);
  g_autofree char *ln = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, split);
  g_assert_true (g_file_set_contents (in, (const char *)img->data, img->len, NULL));
  g_assert_true (g_file_set_contents (ln, (const char *)lab->data, lab->len, NULL));
}

static void
synth_import (GlProject *p, const char *dir, const char *split, gboolean held_out)
{
  g_autofree char *images = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, split);
  g_autofree char *labels = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, split);
  GlImportOptions o;
  gl_import_options_init (&o);
  o.layout = GL_IMPORT_LAYOUT_IDX;
  o.idx_labels = labels;
  o.labels_as = GL_LABELS_AS_REFERENCE;
  o.held_out_test = held_out;
  o.thumbnails = FALSE;
  const char *paths[] = { images, NULL };
  GError *error = NULL;
  g_assert_true (gl_project_import (p, paths, &o, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Imports @dir/@split (written by synth_write_idx) with reference labels. */
void
synth_import_split (GlProject *p, const char *dir, const char *split)
{
  synth_import (p, dir, split, FALSE);
}

/* A project in @dir/project with @n_pool pool and @n_test held-out images. */
GlProject *
synth_project (const char *dir, guint n_pool, guint n_test)
{
  synth_write_idx (dir, "train", n_pool, 1, FALSE);
  if (n_test > 0)
    synth_write_idx (dir, "test", n_test, 2, FALSE);
  g_autofree char *proj = g_build_filename (dir, "project", NULL);
  GError *error = NULL;
  GlProject *p = gl_project_create (proj, 28, 28, 1, synth_classes, &error);
  g_assert_no_error (error);
  synth_import (p, dir, "train", FALSE);
  if (n_test > 0)
    synth_import (p, dir, "test", TRUE);
  return p;
}

/* The reference class of @image_id (store id). */
gint64
synth_reference (GlDb *db, gint64 image_id)
{
  GlDbLabel l = { 0 };
  GError *error = NULL;
  g_assert_true (gl_db_get_current_label (db, image_id, TRUE, &l, &error));
  g_assert_no_error (error);
  gint64 c = l.class_id;
  gl_db_label_clear (&l);
  return c;
}

/* Labels (as a human) the first @n pool images with their reference class. */
void
synth_label_first (GlProject *p, GlDb *db, guint n)
{
  GError *error = NULL;
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  guint done = 0;
  for (guint i = 0; i < images->len && done < n; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      if (im->held_out || im->class_id >= 0)
        continue;
      g_assert_true (gl_db_set_label (db, im->image_id, synth_reference (db, im->image_id),
                                      GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
      g_assert_no_error (error);
      done++;
    }
  g_assert_cmpuint (done, ==, n);
}

/* Gives every @every-th labeled pool image (in id order, from the first) the
 * next class instead of its label, @n of them; their ids into @flipped. */
void
synth_flip_labels (GlProject *p, GlDb *db, guint every, guint n, gint64 *flipped)
{
  GError *error = NULL;
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &error);
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  guint done = 0, seen = 0;
  for (guint i = 0; i < images->len && done < n; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      if (im->class_id < 0 || seen++ % every != 0)
        continue;
      guint k = 0;
      while (g_array_index (classes, GlDbClass, k).id != im->class_id)
        k++;
      gint64 wrong = g_array_index (classes, GlDbClass, (k + 1) % classes->len).id;
      g_assert_true (gl_db_set_label (db, im->image_id, wrong, GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
      g_assert_no_error (error);
      flipped[done++] = im->image_id;
    }
  g_assert_cmpuint (done, ==, n);
}

static gint64
add_version (GlDb *db, const char *path, guint64 n_labels, double acc, double f1, double ece)
{
  GError *error = NULL;
  GlDbModelVersion v = { .path = (char *) path, .n_labels = n_labels, .val_accuracy = acc, .macro_f1 = f1,
                         .ece = ece };
  gint64 id = -1;
  g_assert_true (gl_db_add_model_version (db, &v, &id, &error));
  g_assert_no_error (error);
  return id;
}

static void
store_metrics (GlDb *db, gint64 version, const gint64 *classes, double base, double step, gboolean reversed)
{
  GlDbClassMetrics m[4];
  guint32 cells[16];
  for (guint r = 0; r < 4; r++)
    {
      guint k = reversed ? 3 - r : r;
      double v = base + step * k;
      m[r] = (GlDbClassMetrics) { classes[k], v, v, v, 10 + k };
      for (guint c = 0; c < 4; c++)
        {
          guint kc = reversed ? 3 - c : c;
          cells[r * 4 + c] = 10 + 4 * k + kc;
        }
    }
  g_autoptr (GBytes) confusion = reversed ? g_bytes_new (cells, sizeof cells) : NULL;
  GError *error = NULL;
  g_assert_true (gl_db_set_class_metrics (db, version, m, 4, confusion, &error));
  g_assert_no_error (error);
}

GlProject *
synth_insights_project (const char *dir, SynthInsights *out)
{
  GlProject *p = synth_project (dir, 40, 20);
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  for (guint k = 0; k < 4; k++)
    {
      g_assert_true (gl_db_find_class (db, synth_classes[k], &out->classes[k], &error));
      g_assert_no_error (error);
    }
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, ==, 60);
  out->v1 = add_version (db, "models/v1.gleaner-model", 12, 0.5, 0.45, 0.2);
  out->v2 = add_version (db, "models/v2.gleaner-model", 24, 0.75, 0.7, 0.1);
  store_metrics (db, out->v1, out->classes, 0.5, 0.01, FALSE);
  store_metrics (db, out->v2, out->classes, 0.6, 0.02, TRUE);
  g_autofree GlDbPrediction *p1 = g_new0 (GlDbPrediction, images->len);
  g_autofree GlDbPrediction *p2 = g_new0 (GlDbPrediction, images->len);
  guint pool = 0, test = 0;
  for (guint i = 0; i < images->len; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      guint idx = im->held_out ? test++ : pool++;
      guint ref = idx % 4;
      g_assert_cmpint (synth_reference (db, im->image_id), ==, out->classes[ref]);
      guint c1 = ref, c2 = ref;
      double prob2 = 0.9;
      if (im->held_out)
        {
          prob2 = 0.55;
          c2 = idx % 5 == 0 ? (ref + 1) % 4 : ref;
        }
      else if (idx < 24)
        g_assert_true (gl_db_set_label (db, im->image_id, out->classes[ref], GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
      else if (idx < 32)
        {
          g_assert_true (gl_db_set_audit_label (db, im->image_id, out->classes[ref], GL_DB_ORIGIN_HUMAN, NULL, NULL,
                                                &error));
          c1 = idx < 28 ? (ref + 1) % 4 : ref;
          c2 = idx < 26 ? (ref + 1) % 4 : ref;
          prob2 = 0.95;
        }
      else
        {
          c1 = 3;
          c2 = idx % 2;
        }
      g_assert_no_error (error);
      p1[i] = (GlDbPrediction) { im->image_id, out->classes[c1], 0.7, 0.3, NULL, 0 };
      p2[i] = (GlDbPrediction) { im->image_id, out->classes[c2], prob2, 1 - prob2, NULL, 0 };
    }
  g_assert_true (gl_db_add_predictions (db, out->v1, p1, images->len, &error));
  g_assert_true (gl_db_add_predictions (db, out->v2, p2, images->len, &error));
  g_assert_true (gl_db_set_current_model (db, out->v2, &error));
  g_assert_no_error (error);
  return p;
}

/* ---- Drift results of the Insights project (synth-project.h) ---- */

static void
add_drift_test (GArray *tests, gint64 class_id, const char *name, gboolean fired, double p_adj, double effect,
          guint64 n_win)
{
  GlDbDriftTest t = { class_id, "", TRUE, fired, effect, p_adj / 4, p_adj, effect, 400, n_win };
  g_strlcpy (t.test, name, sizeof t.test);
  g_array_append_val (tests, t);
}

/* One result of @kind over @first..@last: classes in @drifted fire BBSD
 * (class position 1, adjusted p 0.004) or the share test (position 0,
 * adjusted p 0.02); @insufficient3: class 3 has too few images. */
static void
add_drift_result (GlDb *db, const SynthInsights *ids, gint64 model_id, GlDbDriftKind kind, gint64 batch_id, gint64 first,
            gint64 last, guint64 n, gboolean drift1, gboolean drift0, gboolean insufficient3, double accuracy)
{
  GlDbDriftResult r = { 0 };
  r.model_id = model_id;
  r.kind = kind;
  r.batch_id = kind == GL_DB_DRIFT_BATCH ? batch_id : -1;
  r.first_image = first;
  r.last_image = last;
  r.n_images = n;
  r.window_size = kind == GL_DB_DRIFT_WINDOW ? (guint)n : 0;
  r.drifted = drift1 || drift0;
  r.n_fired = (guint)drift1 + (guint)drift0;
  r.top_class = drift1 ? ids->classes[1] : drift0 ? ids->classes[0] : -1;
  /* The batches' results carry their level, the windows' are as a result
   * stored before schema 8 reads (none recorded). */
  r.alpha = kind == GL_DB_DRIFT_BATCH ? 0.05 : NAN;
  r.accuracy_est = accuracy;
  r.accuracy_ref = 0.9;
  r.psi = 0.05;
  r.tests = g_array_new (FALSE, FALSE, sizeof (GlDbDriftTest));
  r.classes = g_array_new (FALSE, FALSE, sizeof (GlDbDriftClass));
  add_drift_test (r.tests, -1, "chi-square", FALSE, 0.4, 0.05, n);
  for (guint k = 0; k < 4; k++)
    {
      gboolean insufficient = insufficient3 && k == 3;
      GlDbDriftClass c = { ids->classes[k], insufficient ? 4 : n / 4, insufficient, accuracy, 0.03, 0.9, 0.02 };
      g_array_append_val (r.classes, c);
      if (insufficient)
        {
          GlDbDriftTest t = { ids->classes[k], "bbsd", FALSE, FALSE, NAN, NAN, NAN, NAN, 400, 4 };
          g_array_append_val (r.tests, t);
          continue;
        }
      add_drift_test (r.tests, ids->classes[k], "bbsd", k == 1 && drift1, k == 1 && drift1 ? 0.004 : 0.6, 0.41, n / 4);
      add_drift_test (r.tests, ids->classes[k], "share", k == 0 && drift0, k == 0 && drift0 ? 0.02 : 0.8, 0.12, n / 4);
    }
  GError *error = NULL;
  g_assert_true (gl_db_add_drift_result (db, &r, NULL, &error));
  g_assert_no_error (error);
  gl_db_drift_result_clear (&r);
}

void
synth_insights_drift (GlProject *p, const SynthInsights *ids, SynthDrift *l)
{
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  g_autoptr (GArray) rows = gl_db_list_image_rows (db, -1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 60);
  const GlDbImageRow *first = &g_array_index (rows, GlDbImageRow, 0);
  l->pool_batch = first->batch_id;
  l->pool_first = first->image_id;
  l->pool_mid = g_array_index (rows, GlDbImageRow, 20).image_id;
  l->pool_last = g_array_index (rows, GlDbImageRow, 39).image_id;
  l->test_batch = g_array_index (rows, GlDbImageRow, 40).batch_id;
  l->test_first = g_array_index (rows, GlDbImageRow, 40).image_id;
  l->test_last = g_array_index (rows, GlDbImageRow, 59).image_id;
  g_assert_cmpint (l->test_batch, !=, l->pool_batch);
  g_assert_cmpint (g_array_index (rows, GlDbImageRow, 39).batch_id, ==, l->pool_batch);
  add_drift_result (db, ids, ids->v2, GL_DB_DRIFT_BATCH, l->test_batch, l->test_first, l->test_last, 20, FALSE, FALSE,
              FALSE, 0.91);
  add_drift_result (db, ids, ids->v2, GL_DB_DRIFT_BATCH, l->pool_batch, l->pool_first, l->pool_last, 40, TRUE, TRUE, TRUE,
              0.72);
  add_drift_result (db, ids, ids->v2, GL_DB_DRIFT_WINDOW, -1, l->pool_first, g_array_index (rows, GlDbImageRow, 19).image_id,
              20, FALSE, FALSE, FALSE, 0.88);
  add_drift_result (db, ids, ids->v2, GL_DB_DRIFT_WINDOW, -1, l->pool_mid, l->pool_last, 20, TRUE, FALSE, FALSE, 0.7);
}

int
synth_run_cli (const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  if (err && *err)
    g_test_message ("%s: %s", args[0], err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
