/* Tests of bootstrap rules: glob semantics (file name, any folder, whole
 * path), first match wins, rules stored in a project turned into suggestions
 * of unlabeled images only, bad globs and unknown classes. */
#include "app/gl-rules.h"
#include "app/gl-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>

#include "db/gl-db.h"

static void
test_glob (void)
{
  g_assert_true (gl_rules_glob_matches ("*boot*", "/data/boots/a.jpg"));
  g_assert_true (gl_rules_glob_matches ("*boot*", "/data/x/ankle_boot_12.png"));
  g_assert_false (gl_rules_glob_matches ("*boot*", "/data/sandals/a.jpg"));
  g_assert_true (gl_rules_glob_matches ("sandals", "/data/sandals/a.jpg"));
  g_assert_false (gl_rules_glob_matches ("sandal", "/data/sandals/a.jpg"));
  g_assert_true (gl_rules_glob_matches ("*.png", "/data/sandals/a.png"));
  g_assert_false (gl_rules_glob_matches ("*.png", "/data/sandals/a.jpg"));
  g_assert_true (gl_rules_glob_matches ("IMG_??.jpg", "/d/IMG_01.jpg"));
  g_assert_false (gl_rules_glob_matches ("IMG_??.jpg", "/d/IMG_001.jpg"));
  /* With a slash: the whole path, and "*" crosses folders. */
  g_assert_true (gl_rules_glob_matches ("/data/*/a.jpg", "/data/x/y/a.jpg"));
  g_assert_false (gl_rules_glob_matches ("data/*", "/data/x.jpg"));
  /* Case matters; empty globs match nothing. */
  g_assert_false (gl_rules_glob_matches ("*Boot*", "/data/boots/a.jpg"));
  g_assert_false (gl_rules_glob_matches ("", "/data/boots/a.jpg"));

  const char *globs[] = { "*boot*", "*.png", "/fixed/*" };
  const gint64 classes[] = { 7, 8, 9 };
  g_autoptr (GlRules) rules = gl_rules_new (globs, classes, 3);
  g_assert_cmpuint (gl_rules_get_n (rules), ==, 3);
  guint index = 99;
  g_assert_cmpint (gl_rules_match (rules, "/a/boots/b.png", &index), ==, 7); /* the first rule wins */
  g_assert_cmpuint (index, ==, 0);
  g_assert_cmpint (gl_rules_match (rules, "/a/b.png", &index), ==, 8);
  g_assert_cmpint (gl_rules_match (rules, "/fixed/q/r.jpg", &index), ==, 9);
  g_assert_cmpuint (index, ==, 2);
  g_assert_cmpint (gl_rules_match (rules, "/a/b.jpg", NULL), ==, -1);
}

static void
write_png (const char *path, guint seed)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  gdk_pixbuf_fill (pb, ((seed * 2654435761u) & 0xffffff00u) | 0xff);
  gdk_pixbuf_get_pixels (pb)[0] = (guint8) seed;
  g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
}

static void
test_apply (void)
{
  GError *error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gl-rules-XXXXXX", &error);
  g_assert_no_error (error);
  const char *folders[] = { "boots", "sandals", "misc" };
  guint n = 0;
  for (guint f = 0; f < 3; f++)
    for (guint i = 0; i < 4; i++, n++)
      {
        g_autofree char *sub = g_build_filename (dir, "images", folders[f], NULL);
        g_mkdir_with_parents (sub, 0755);
        g_autofree char *name = g_strdup_printf ("%s/%s%u.png", sub, f == 2 && i == 0 ? "boot-" : "x-", n);
        write_png (name, n);
      }
  g_autofree char *proj = g_build_filename (dir, "p", NULL);
  const char *classes[] = { "Boot", "Sandal", "Other", NULL };
  g_autoptr (GlProject) p = gl_project_create (proj, 8, 8, 3, classes, &error);
  g_assert_no_error (error);
  GlImportOptions io;
  gl_import_options_init (&io);
  io.layout = GL_IMPORT_LAYOUT_PLAIN;
  io.thumbnails = FALSE;
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  const char *paths[] = { images, NULL };
  g_assert_true (gl_project_import (p, paths, &io, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  gint64 r1, r2;
  g_assert_true (gl_rules_add (p, "*boot*", "Boot", &r1, &error));
  g_assert_no_error (error);
  g_assert_true (gl_rules_add (p, "sandals", "Sandal", &r2, &error));
  g_assert_no_error (error);
  g_assert_false (gl_rules_add (p, "*x*", "No such class", NULL, &error));
  g_assert_error (error, GL_RULES_ERROR, GL_RULES_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "No such class"));
  g_clear_error (&error);
  g_assert_false (gl_rules_add (p, "", "Boot", NULL, &error));
  g_assert_error (error, GL_RULES_ERROR, GL_RULES_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (gl_rules_add (p, "*boot*", "Boot", NULL, &error)); /* the same glob twice */
  g_assert_error (error, GL_RULES_ERROR, GL_RULES_ERROR_STORE);
  g_clear_error (&error);

  guint64 suggested = 0;
  g_assert_true (gl_rules_apply (p, &suggested, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (suggested, ==, 9); /* 4 boots + 1 boot-* in misc, 4 sandals */

  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  g_autoptr (GArray) list = gl_db_list_suggestions (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 9);
  gint64 boot, sandal;
  g_assert_true (gl_db_find_class (db, "Boot", &boot, &error));
  g_assert_true (gl_db_find_class (db, "Sandal", &sandal, &error));
  guint n_boot = 0;
  for (guint i = 0; i < list->len; i++)
    {
      const GlDbSuggestion *s = &g_array_index (list, GlDbSuggestion, i);
      GlDbImage im = { 0 };
      g_assert_true (gl_db_get_image (db, s->image_id, &im, &error));
      gboolean is_boot = strstr (im.path, "/boots/") != NULL || strstr (im.path, "boot-") != NULL;
      g_assert_cmpint (s->class_id, ==, is_boot ? boot : sandal);
      g_assert_cmpstr (s->rule, ==, is_boot ? "*boot*" : "sandals");
      n_boot += is_boot;
      gl_db_image_clear (&im);
    }
  g_assert_cmpuint (n_boot, ==, 5);

  /* A labeled image is no longer suggested; deleting a rule drops its suggestions. */
  const GlDbSuggestion *first = &g_array_index (list, GlDbSuggestion, 0);
  g_assert_true (gl_db_set_label (db, first->image_id, first->class_id, GL_DB_ORIGIN_HUMAN, NULL, NULL, &error));
  g_assert_true (gl_rules_delete (p, r2, &error));
  g_assert_true (gl_rules_apply (p, &suggested, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (suggested, ==, first->class_id == boot ? 4 : 5);
  gl_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rules/glob", test_glob);
  g_test_add_func ("/rules/apply", test_apply);
  return g_test_run ();
}
