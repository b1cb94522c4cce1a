/* crash-helper — the C side of the crash trials (tests/crash/crash-trials):
 * makes the projects and images the trials start from, labels through the
 * app's queue until killed, and checks a project after a kill.
 *
 *   crash-helper project DIR N_POOL N_LABELED
 *       DIR/project: the synthetic 4-class project of the loop tests (N_POOL
 *       pool images, 40 held out), its first N_LABELED pool images labeled.
 *   crash-helper pngs DIR N
 *       N 28×28 PNG files in DIR/CLASS/ (ImageFolder: four class folders).
 *   crash-helper label PROJECT SEED
 *       labels the queue's current image (a class drawn from SEED) through
 *       gl_queue_label, the path of the Label view's key, until every image
 *       is labeled or it is killed. After each label has been committed (the
 *       call returned) one line "SAVED IMAGE_ID CLASS_NAME" is written with
 *       one write(2), so a kill never leaves half a line that looks whole.
 *   crash-helper check PROJECT
 *       opens the project (as the app does), runs the store's integrity check
 *       (PRAGMA integrity_check and foreign_key_check), loads the current
 *       model version's file when there is one, and prints
 *         "LABEL IMAGE_ID CLASS_NAME" for each current non-reference label,
 *         "IMAGES N" (readable images), "MODEL VERSION|none", then "OK".
 *       On a failure: "FAIL what: message" on stdout and exit status 1.
 */
#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "db/gl-db.h"
#include "engine/gl-model-file.h"
#include "synth-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
fail (const char *what, GError *error)
{
  printf ("FAIL %s: %s\n", what, error ? error->message : "(no message)");
  fflush (stdout);
  g_clear_error (&error);
  return 1;
}

static int
make_project (const char *dir, guint n_pool, guint n_labeled)
{
  g_mkdir_with_parents (dir, 0755);
  GlProject *p = synth_project (dir, n_pool, 40);
  if (n_labeled > 0)
    synth_label_first (p, gl_project_get_db (p), n_labeled);
  gl_project_close (p);
  return 0;
}

/* The synthetic images of synth-project.c as PNG files, one folder per class. */
static int
make_pngs (const char *dir, guint n)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  for (guint i = 0; i < n; i++)
    {
      guint label = i % 4;
      g_autofree char *folder = g_strdup_printf ("%s/%s", dir, synth_classes[label]);
      g_autofree char *path = g_strdup_printf ("%s/img-%05u.png", folder, i);
      g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
      g_autoptr (GError) error = NULL;
      guint8 *px = gdk_pixbuf_get_pixels (pb);
      int stride = gdk_pixbuf_get_rowstride (pb);
      int x0 = (int)(label % 2) * 14 + 2, y0 = (int)(label / 2) * 14 + 2;

      g_mkdir_with_parents (folder, 0755);
      for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++)
          {
            gboolean in = x >= x0 && x < x0 + 10 && y >= y0 && y < y0 + 10;
            guint8 v = (guint8)(in ? g_rand_int_range (rand, 200, 256) : g_rand_int_range (rand, 0, 40));
            memset (px + y * stride + x * 3, v, 3);
          }
      if (!gdk_pixbuf_save (pb, path, "png", &error, NULL))
        return fail ("png", g_steal_pointer (&error));
    }
  return 0;
}

static int
label_until_killed (const char *dir, guint32 seed)
{
  GError *error = NULL;
  g_autoptr (GlProject) project = gl_project_open (dir, &error);
  if (project == NULL)
    return fail ("open", error);
  g_autoptr (GlQueue) queue = gl_queue_new (project, &error);
  if (queue == NULL)
    return fail ("queue", error);
  g_auto (GStrv) names = gl_queue_dup_class_names (queue);
  guint n_classes = gl_queue_get_n_classes (queue);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  const GlQueueItem *item;

  while ((item = gl_queue_get_current (queue)) != NULL)
    {
      gint64 image = item->image_id;
      gint k = g_rand_int_range (rand, 0, (gint32)n_classes);
      if (!gl_queue_label (queue, k, GL_LABEL_ORIGIN_HUMAN, &error))
        return fail ("label", error);
      g_autofree char *line = g_strdup_printf ("SAVED %" G_GINT64_FORMAT " %s\n", image, names[k]);
      gsize len = strlen (line);
      if (write (STDOUT_FILENO, line, len) != (gssize)len)
        return 1;
    }
  return 0;
}

typedef struct
{
  GHashTable *names; /* class id → name (borrowed from the class list) */
  guint n;
} Labels;

static gboolean
print_label (const GlDbCurrentLabel *label, gpointer user_data)
{
  Labels *l = user_data;
  const char *name = g_hash_table_lookup (l->names, &label->class_id);
  printf ("LABEL %" G_GINT64_FORMAT " %s\n", label->image_id, name ? name : "?");
  l->n++;
  return TRUE;
}

static int
check (const char *dir)
{
  GError *error = NULL;
  g_autoptr (GlProject) project = gl_project_open (dir, &error);
  if (project == NULL)
    return fail ("open", error);
  if (!gl_project_check_integrity (project, &error))
    return fail ("integrity", error);

  GlDb *db = gl_project_get_db (project);
  GArray *classes = gl_db_list_classes (db, TRUE, &error);
  if (classes == NULL)
    return fail ("classes", error);
  g_autoptr (GHashTable) names = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < classes->len; i++)
    {
      GlDbClass *c = &g_array_index (classes, GlDbClass, i);
      g_hash_table_insert (names, &c->id, c->name);
    }
  Labels labels = { names, 0 };
  gboolean ok = gl_db_foreach_current_label (db, FALSE, print_label, &labels, &error);
  g_array_unref (classes); /* it clears its elements */
  if (!ok)
    return fail ("labels", error);

  GlProjectInfo info;
  if (!gl_project_get_info (project, &info, &error))
    return fail ("info", error);
  printf ("IMAGES %" G_GUINT64_FORMAT "\n", info.images);
  gl_project_info_clear (&info);

  gint64 current = gl_db_get_current_model (db);
  if (current < 0)
    printf ("MODEL none\n");
  else
    {
      GlDbModelVersion v = { 0 };
      if (!gl_db_get_model_version (db, current, &v, &error))
        return fail ("model version", error);
      GlModelMeta meta;
      gl_model_meta_init (&meta);
      GlNet *net = gl_model_file_load (v.path, &meta, &error);
      gl_db_model_version_clear (&v);
      if (net == NULL)
        return fail ("current model", error);
      gl_net_free (net);
      gl_model_meta_clear (&meta);
      printf ("MODEL %" G_GINT64_FORMAT "\n", current);
    }
  printf ("OK\n");
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 5 && strcmp (argv[1], "project") == 0)
    return make_project (argv[2], (guint)g_ascii_strtoull (argv[3], NULL, 10),
                         (guint)g_ascii_strtoull (argv[4], NULL, 10));
  if (argc == 4 && strcmp (argv[1], "pngs") == 0)
    return make_pngs (argv[2], (guint)g_ascii_strtoull (argv[3], NULL, 10));
  if (argc == 4 && strcmp (argv[1], "label") == 0)
    return label_until_killed (argv[2], (guint32)g_ascii_strtoull (argv[3], NULL, 10));
  if (argc == 3 && strcmp (argv[1], "check") == 0)
    return check (argv[2]);
  fprintf (stderr, "usage: crash-helper project DIR N_POOL N_LABELED | pngs DIR N | label PROJECT SEED"
                   " | check PROJECT\n");
  return 2;
}
