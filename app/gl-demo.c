/* gl-demo.c — see gl-demo.h. */
#include "gleaner-config.h"

#include "app/gl-demo.h"
#include "app/gl-project.h"

#include <errno.h>
#include <glib/gstdio.h>

static const char *const fashion_classes[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL,
};

const char *const *
gl_demo_class_names (void)
{
  return fashion_classes;
}

char *
gl_demo_default_dir (void)
{
  const char *env = g_getenv ("GLEANER_DEMO_DIR");
  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "gleaner", "demo", NULL);
}

static gboolean
import_idx (GlProject *p, const char *mnist_dir, const char *split, gboolean held_out, GlImportProgressFunc progress,
            gpointer progress_data, GCancellable *cancellable, GError **error)
{
  g_autofree char *img_name = g_strdup_printf ("%s-images-idx3-ubyte.gz", split);
  g_autofree char *lab_name = g_strdup_printf ("%s-labels-idx1-ubyte.gz", split);
  g_autofree char *images = g_build_filename (mnist_dir, img_name, NULL);
  g_autofree char *labels = g_build_filename (mnist_dir, lab_name, NULL);
  GlImportOptions o;
  gl_import_options_init (&o);
  o.layout = GL_IMPORT_LAYOUT_IDX;
  o.idx_labels = labels;
  o.labels_as = GL_LABELS_AS_REFERENCE;
  o.held_out_test = held_out;
  o.batch_size = 5000;
  const char *paths[] = { images, NULL };
  GlImportProgress sum;
  if (!gl_project_import (p, paths, &o, progress, progress_data, cancellable, &sum, error))
    return FALSE;
  /* A damaged file is recorded as unreadable by the import, which goes on;
   * the demo wants every image. */
  if (sum.unreadable > 0)
    {
      g_autofree char *disp = g_filename_display_name (images);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s or its labels file is damaged: reinstall the Debian package dataset-fashion-mnist", disp);
      return FALSE;
    }
  return TRUE;
}

GlProject *
gl_demo_ensure (const char *dir, const char *mnist_dir, GlImportProgressFunc progress, gpointer progress_data,
                GCancellable *cancellable, GError **error)
{
  g_autofree char *default_dir = dir ? NULL : gl_demo_default_dir ();
  if (dir == NULL)
    dir = default_dir;
  if (mnist_dir == NULL)
    mnist_dir = GLEANER_FASHION_MNIST_DIR;

  g_autoptr (GError) local = NULL;
  GlProject *existing = gl_project_open (dir, &local);
  if (existing != NULL)
    return existing;
  if (!g_error_matches (local, GL_PROJECT_ERROR, GL_PROJECT_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  g_autofree char *check = g_build_filename (mnist_dir, "train-images-idx3-ubyte.gz", NULL);
  if (!g_file_test (check, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *disp = g_filename_display_name (check);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s is missing: install the Debian package dataset-fashion-mnist", disp);
      return NULL;
    }

  g_autofree char *partial = g_strconcat (dir, ".partial", NULL);
  gl_remove_tree (partial);
  g_autoptr (GlProject) p = gl_project_create (partial, 28, 28, 1, fashion_classes, error);
  if (p == NULL)
    return NULL;
  if (!import_idx (p, mnist_dir, "train", FALSE, progress, progress_data, cancellable, error)
      || !import_idx (p, mnist_dir, "t10k", TRUE, progress, progress_data, cancellable, error)
      || !gl_project_set_setting (p, "demo", "fashion-mnist", error))
    return NULL;
  g_clear_pointer (&p, gl_project_close);
  /* A directory left empty (e.g. created by the caller) does not block the rename. */
  g_rmdir (dir);
  if (g_rename (partial, dir) != 0)
    {
      int e = errno;
      g_autofree char *disp = g_filename_display_name (dir);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", disp, g_strerror (e));
      return NULL;
    }
  return gl_project_open (dir, error);
}
