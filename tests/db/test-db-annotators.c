/* Unit tests of db/gl-db-annotators.c: each annotator's current label per
 * image (undo, unlabel, relabel, merged and deleted classes, imports and
 * reference labels left out), the ≥ N annotators filter, accuracy on the
 * reference labels, and the default annotator name. */
#include "db/gl-db.h"
#include "gl-test-db.h"

#include <glib/gstdio.h>

typedef struct
{
  char *dir;
  char *path;
  GlDb *db;
  gint64 ids[8];
  gint64 cat, dog, fox;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-db-ann-XXXXXX", &error);
  g_assert_no_error (error);
  fx->path = g_build_filename (fx->dir, "project.gleaner-db", NULL);
  fx->db = gl_test_db_create (&fx->path);
  g_assert_no_error (error);
  gint64 batch;
  g_assert_true (gl_db_begin_batch (fx->db, "test", GL_DB_ORIGIN_HUMAN, FALSE, &batch, &error));
  GlDbNewImage im[8] = { 0 };
  char paths[8][32], hashes[8][80];
  for (guint i = 0; i < 8; i++)
    {
      g_snprintf (paths[i], sizeof paths[i], "/img/%u.png", i);
      g_snprintf (hashes[i], sizeof hashes[i], "%064u", i);
      im[i].path = paths[i];
      im[i].hash_hex = hashes[i];
      im[i].cache_row = i;
    }
  /* Image 7 comes with a label from the dataset (annotator "import"). */
  im[7].label = "cat";
  g_assert_true (gl_db_add_images (fx->db, batch, im, 8, fx->ids, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gl_db_find_class (fx->db, "cat", &fx->cat, &error));
  g_assert_true (gl_db_add_class (fx->db, "dog", NULL, &fx->dog, &error));
  g_assert_true (gl_db_add_class (fx->db, "fox", NULL, &fx->fox, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_db_close (fx->db);
  gl_test_db_remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->path);
}

static void
label (Fixture *fx, guint image, gint64 class_id, const char *who)
{
  GError *error = NULL;
  g_assert_true (gl_db_set_label (fx->db, fx->ids[image], class_id, GL_DB_ORIGIN_HUMAN, who, NULL, &error));
  g_assert_no_error (error);
}

static void
reference (Fixture *fx, guint image, gint64 class_id)
{
  GError *error = NULL;
  g_assert_true (
      gl_db_set_label (fx->db, fx->ids[image], class_id, GL_DB_ORIGIN_REFERENCE, "dataset", NULL, &error));
  g_assert_no_error (error);
}

/* The class of @who on @image in @team, or -1. */
static gint64
class_of (Fixture *fx, const GlDbTeamLabels *team, guint image, const char *who)
{
  for (guint i = 0; i < team->labels->len; i++)
    {
      const GlDbAnnotatorLabel *l = &g_array_index (team->labels, GlDbAnnotatorLabel, i);
      if (l->image_id == fx->ids[image]
          && g_str_equal (g_array_index (team->annotators, GlDbAnnotator, l->annotator).name, who))
        return l->class_id;
    }
  return -1;
}

static const GlDbAnnotator *
annotator (const GlDbTeamLabels *team, const char *who)
{
  for (guint i = 0; i < team->annotators->len; i++)
    if (g_str_equal (g_array_index (team->annotators, GlDbAnnotator, i).name, who))
      return &g_array_index (team->annotators, GlDbAnnotator, i);
  return NULL;
}

static void
test_current_labels (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  /* Image 0: ann and bob agree, then bob changes his mind (newest counts). */
  label (fx, 0, fx->cat, "ann");
  label (fx, 0, fx->cat, "bob");
  label (fx, 0, fx->dog, "bob");
  /* Image 1: ann labels, cy labels, cy's label is undone → one annotator. */
  label (fx, 1, fx->cat, "ann");
  label (fx, 1, fx->dog, "cy");
  g_assert_true (gl_db_undo_last (fx->db, "cy", NULL, &error));
  /* Image 2: three annotators; bob unlabels it afterwards → two. */
  label (fx, 2, fx->fox, "ann");
  label (fx, 2, fx->fox, "bob");
  label (fx, 2, fx->dog, "cy");
  label (fx, 2, -1, "bob");
  /* Image 3: only ann. Image 7: the import's label and ann's. */
  label (fx, 3, fx->dog, "ann");
  label (fx, 7, fx->dog, "ann");
  /* Image 4: ann and cy, then ann's second label is undone: her first stays. */
  label (fx, 4, fx->cat, "ann");
  label (fx, 4, fx->dog, "cy");
  label (fx, 4, fx->fox, "ann");
  g_assert_true (gl_db_undo_last (fx->db, "ann", NULL, &error));
  g_assert_no_error (error);

  GlDbTeamLabels team;
  g_assert_true (gl_db_get_team_labels (fx->db, 2, &team, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (team.annotators->len, ==, 3);
  g_assert_cmpstr (g_array_index (team.annotators, GlDbAnnotator, 0).name, ==, "ann");
  g_assert_cmpstr (g_array_index (team.annotators, GlDbAnnotator, 2).name, ==, "cy");
  g_assert_null (annotator (&team, "import"));
  g_assert_cmpuint (team.n_images, ==, 3); /* images 0, 2, 4 */
  g_assert_cmpint (class_of (fx, &team, 0, "ann"), ==, fx->cat);
  g_assert_cmpint (class_of (fx, &team, 0, "bob"), ==, fx->dog);
  g_assert_cmpint (class_of (fx, &team, 1, "ann"), ==, -1); /* image 1 left out: one annotator */
  g_assert_cmpint (class_of (fx, &team, 2, "bob"), ==, -1);
  g_assert_cmpint (class_of (fx, &team, 2, "ann"), ==, fx->fox);
  g_assert_cmpint (class_of (fx, &team, 2, "cy"), ==, fx->dog);
  g_assert_cmpint (class_of (fx, &team, 4, "ann"), ==, fx->cat);
  g_assert_cmpint (class_of (fx, &team, 4, "cy"), ==, fx->dog);
  g_assert_cmpuint (team.labels->len, ==, 6);
  /* Sorted by image, then annotator. */
  for (guint i = 1; i < team.labels->len; i++)
    {
      const GlDbAnnotatorLabel *a = &g_array_index (team.labels, GlDbAnnotatorLabel, i - 1);
      const GlDbAnnotatorLabel *b = &g_array_index (team.labels, GlDbAnnotatorLabel, i);
      g_assert_true (a->image_id < b->image_id
                     || (a->image_id == b->image_id && a->annotator < b->annotator));
    }
  /* Counts over every image, shared or not: ann has 0, 1, 2, 3, 4, 7. */
  g_assert_cmpuint (annotator (&team, "ann")->labeled, ==, 6);
  g_assert_cmpuint (annotator (&team, "bob")->labeled, ==, 1);
  g_assert_cmpuint (annotator (&team, "cy")->labeled, ==, 2);
  gl_db_team_labels_clear (&team);

  /* min 1: every labeled image. */
  g_assert_true (gl_db_get_team_labels (fx->db, 1, &team, &error));
  g_assert_cmpuint (team.n_images, ==, 6);
  gl_db_team_labels_clear (&team);
}

static void
test_classes_and_accuracy (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  /* References on 0–3. ann: right on 0, 1, 2; wrong on 3. bob: right on 0, wrong on 1. */
  for (guint i = 0; i < 4; i++)
    reference (fx, i, i == 3 ? fx->dog : fx->cat);
  label (fx, 0, fx->cat, "ann");
  label (fx, 1, fx->cat, "ann");
  label (fx, 2, fx->fox, "ann"); /* fox will be merged into cat: right */
  label (fx, 3, fx->cat, "ann");
  label (fx, 0, fx->cat, "bob");
  label (fx, 1, fx->dog, "bob");
  label (fx, 5, fx->dog, "bob");
  label (fx, 5, fx->fox, "ann");
  g_assert_true (gl_db_merge_classes (fx->db, fx->fox, fx->cat, "lead", NULL, &error));
  g_assert_no_error (error);

  GlDbTeamLabels team;
  g_assert_true (gl_db_get_team_labels (fx->db, 2, &team, &error));
  g_assert_no_error (error);
  /* The merge's own rows ("lead") are not a person's labels. */
  g_assert_null (annotator (&team, "lead"));
  g_assert_cmpint (class_of (fx, &team, 5, "ann"), ==, fx->cat);
  const GlDbAnnotator *ann = annotator (&team, "ann"), *bob = annotator (&team, "bob");
  g_assert_cmpuint (ann->audited, ==, 4);
  g_assert_cmpuint (ann->correct, ==, 3);
  g_assert_cmpuint (bob->audited, ==, 2);
  g_assert_cmpuint (bob->correct, ==, 1);
  gl_db_team_labels_clear (&team);

  /* Deleting dog without a target: bob's dog labels are gone. */
  g_assert_true (gl_db_delete_class (fx->db, fx->dog, -1, "lead", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (gl_db_get_team_labels (fx->db, 1, &team, &error));
  g_assert_cmpuint (annotator (&team, "bob")->labeled, ==, 1);
  g_assert_cmpint (class_of (fx, &team, 5, "bob"), ==, -1);
  g_assert_cmpuint (annotator (&team, "ann")->audited, ==, 3); /* image 3's reference (dog) is gone */
  gl_db_team_labels_clear (&team);
}

static void
test_default_annotator (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *login = gl_db_dup_default_annotator ();
  g_assert_cmpstr (login, ==, g_get_user_name ());
  gl_db_set_default_annotator ("Ada Lovelace");
  GlDb *db = gl_db_open (fx->path, &error);
  g_assert_no_error (error);
  g_assert_true (gl_db_set_label (db, fx->ids[0], fx->cat, GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
  gl_db_set_default_annotator (NULL);
  g_autofree char *back = gl_db_dup_default_annotator ();
  g_assert_cmpstr (back, ==, g_get_user_name ());
  GlDbLabel l;
  g_assert_true (gl_db_get_current_label (db, fx->ids[0], FALSE, &l, &error));
  g_assert_cmpstr (l.annotator, ==, "Ada Lovelace");
  gl_db_label_clear (&l);
  /* Undo with NULL finds the label under the same name. */
  g_assert_true (gl_db_undo_last (db, NULL, NULL, &error));
  g_assert_no_error (error);
  gl_db_close (db);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/db/annotators/current-labels", Fixture, NULL, fixture_setup, test_current_labels,
              fixture_teardown);
  g_test_add ("/db/annotators/classes-accuracy", Fixture, NULL, fixture_setup, test_classes_and_accuracy,
              fixture_teardown);
  g_test_add ("/db/annotators/default", Fixture, NULL, fixture_setup, test_default_annotator,
              fixture_teardown);
  return g_test_run ();
}
