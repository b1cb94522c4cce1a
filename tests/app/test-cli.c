/* Integration tests: the built gleaner-cli (env GLEANER_CLI) for init, import
 * and info --json; imports killed with SIGKILL at random moments; a file-size
 * limit (a full disk) during an import. */
#include "app/gl-decode.h"
#include "app/gl-project.h"
#include "app/gl-thumbs.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

typedef struct
{
  char *dir;
  char *images;
  char *project;
} Fixture;

/* @n distinct 32×32 RGB PNGs in fx->images, numbered from @first. */
static void
make_images_from (Fixture *fx, guint n, guint first)
{
  g_mkdir_with_parents (fx->images, 0755);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
  for (guint i = first; i < first + n; i++)
    {
      gdk_pixbuf_fill (pb, ((i * 2654435761u) & 0xffffff00u) | 0xff);
      gdk_pixbuf_get_pixels (pb)[0] = (guint8) i; /* distinct even when the fill colour repeats */
      gdk_pixbuf_get_pixels (pb)[1] = (guint8) (i >> 8);
      g_autofree char *name = g_strdup_printf ("img-%04u.png", i);
      g_autofree char *path = g_build_filename (fx->images, name, NULL);
      g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
    }
}

static void
make_images (Fixture *fx, guint n)
{
  make_images_from (fx, n, 0);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fx->images = g_build_filename (fx->dir, "images", NULL);
  fx->project = g_build_filename (fx->dir, "project", NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->images);
  g_free (fx->project);
}

static const char *
cli (void)
{
  const char *path = g_getenv ("GLEANER_CLI");
  if (path == NULL)
    g_test_skip ("GLEANER_CLI is not set");
  return path;
}

/* Runs the CLI with @args; returns the exit status, output in *out / *err. */
static int
run (const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) cli ());
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  GError *error = NULL;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
test_init_import_info (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  make_images (fx, 6);
  g_autofree char *dup = g_build_filename (fx->images, "dup.png", NULL);
  g_autofree char *src = g_build_filename (fx->images, "img-0000.png", NULL);
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (src, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (dup, contents, (gssize) len, NULL));
  g_autofree char *bad = g_build_filename (fx->images, "broken.png", NULL);
  g_assert_true (g_file_set_contents (bad, "\x89PNG but not", -1, NULL));

  g_autofree char *out = NULL, *err = NULL;
  const char *init[] = { "init", fx->project, "--input", "28x28x1", "--classes", "cat,say \"hi\"\\ 😀", NULL };
  g_assert_cmpint (run (init, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *import[] = { "import", fx->project, fx->images, "--layout", "plain", NULL };
  g_assert_cmpint (run (import, &out, &err), ==, 3) /* done, one file rejected */;
  g_assert_nonnull (strstr (out, "added 6, duplicates 1, unreadable 1"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  const char *info[] = { "info", fx->project, "--json", NULL };
  g_assert_cmpint (run (info, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (g_str_has_prefix (out, "{") && g_str_has_suffix (out, "}\n"));
  g_assert_null (strchr (out, '\n') + 1 == out + strlen (out) ? NULL : "more than one line");
  g_assert_nonnull (strstr (out, "\"images\":7,"));
  g_assert_nonnull (strstr (out, "\"unreadable\":1,"));
  g_assert_nonnull (strstr (out, "\"duplicates\":1,"));
  g_assert_nonnull (strstr (out, "{\"name\":\"say \\\"hi\\\"\\\\ 😀\",\"labeled\":0"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The same folder again: nothing new, the bad file is not recorded twice. */
  g_assert_cmpint (run (import, &out, &err), ==, 3);
  g_assert_nonnull (strstr (out, "added 0, duplicates 7"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (info, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\"images\":7,"));
  g_assert_nonnull (strstr (out, "\"unreadable\":1,"));
  g_assert_nonnull (strstr (out, "\"duplicates\":8,"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Errors: stderr and a non-zero exit. */
  const char *missing[] = { "info", fx->images, NULL };
  g_assert_cmpint (run (missing, &out, &err), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "not a Gleaner project"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  const char *again[] = { "init", fx->project, "--input", "28x28x1", NULL };
  g_assert_cmpint (run (again, &out, &err), ==, 1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  const char *usage[] = { "init", fx->project, "--input", "28x28x2", NULL };
  g_assert_cmpint (run (usage, &out, &err), ==, 2); /* a bad option value: a usage error */
  g_assert_nonnull (strstr (err, "28x28x2"));
}

/* A truncated IDX file and a malformed CSV line given with a good folder:
 * the folder is imported, each bad one recorded and counted. */
static void
test_bad_container (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  make_images (fx, 4);
  g_autofree char *trunc = g_build_filename (fx->dir, "trunc-idx3-ubyte", NULL);
  const guint8 idx[] = { 0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3 };
  g_assert_true (g_file_set_contents (trunc, (const char *) idx, sizeof idx, NULL));
  g_autofree char *csv = g_build_filename (fx->dir, "list.csv", NULL);
  g_assert_true (g_file_set_contents (csv, "images/img-0001.png,cat\n\"images/img-0002.png,cat\n", -1, NULL));
  g_autofree char *out = NULL, *err = NULL;
  const char *init[] = { "init", fx->project, "--input", "28x28x1", NULL };
  g_assert_cmpint (run (init, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  const char *import[] = { "import", fx->project, fx->images, trunc, csv, NULL };
  g_assert_cmpint (run (import, &out, &err), ==, 3);
  g_test_message ("%s%s", out, err);
  g_assert_nonnull (strstr (out, "added 4, duplicates 1, unreadable 2,"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  const char *info[] = { "info", fx->project, "--json", NULL };
  g_assert_cmpint (run (info, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "\"images\":6,"));
  g_assert_nonnull (strstr (out, "\"unreadable\":2,"));
  /* The reasons are stored with the records. */
  GError *error = NULL;
  g_autoptr (GlProject) p = gl_project_open (fx->project, &error);
  g_assert_no_error (error);
  g_autofree char *where = g_strdup_printf ("%s:2", csv);
  const char *const paths[] = { trunc, where, NULL };
  const char *const reasons[] = { "truncated", "malformed CSV line: unterminated quoted field", NULL };
  for (guint i = 0; paths[i]; i++)
    {
      gint64 id = -1;
      g_assert_true (gl_db_find_image_by_path (gl_project_get_db (p), paths[i], &id, &error));
      g_assert_no_error (error);
      GlDbImage image;
      g_assert_true (gl_db_get_image (gl_project_get_db (p), id, &image, &error));
      g_assert_no_error (error);
      g_assert_nonnull (strstr (image.reason, reasons[i]));
      gl_db_image_clear (&image);
    }
}

/* Every committed readable image has a readable cache row; the db is sound. */
static guint
check_consistent (const char *project)
{
  GError *error = NULL;
  g_autoptr (GlProject) p = gl_project_open (project, &error);
  g_assert_no_error (error);
  g_assert_true (gl_project_check_integrity (p, &error));
  g_assert_no_error (error);
  g_autoptr (GArray) rows = gl_project_list_cache_rows (p, -1, &error);
  g_assert_no_error (error);
  g_autoptr (GlPixelMap) map = gl_project_map_pixels (p, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    g_assert_nonnull (gl_pixel_map_row (map, (guint64) g_array_index (rows, gint64, i)));
  return rows->len;
}

/* Size of @path in bytes, 0 when missing. */
static goffset
file_size (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? st.st_size : 0;
}

/* Every image of @project was committed whole: its content hash is the
 * SHA-256 of its file and its cache row is what a decode of the file gives. */
static void
check_intact (const char *project)
{
  GError *error = NULL;
  g_autoptr (GlProject) p = gl_project_open (project, &error);
  g_assert_no_error (error);
  g_autoptr (GlPixelMap) map = gl_project_map_pixels (p, &error);
  g_assert_no_error (error);
  guint h, w, c;
  gl_pixel_map_shape (map, &h, &w, &c);
  g_autofree guint8 *want = g_malloc ((gsize) h * w * c);
  const GlDbFilter all = { GL_DB_FILTER_ALL, -1 };
  GArray *rows = NULL;
  GlDbCursor *next = NULL;
  g_assert_true (gl_db_list_images (gl_project_get_db (p), &all, GL_DB_SORT_NEWEST, NULL, G_MAXINT, &rows, &next,
                                    &error));
  g_assert_no_error (error);
  g_assert_null (next);
  for (guint i = 0; i < rows->len; i++)
    {
      const GlDbListRow *r = &g_array_index (rows, GlDbListRow, i);
      g_assert_false (r->unreadable);
      g_autofree char *contents = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (r->path, &contents, &len, NULL));
      g_autofree char *hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
      g_assert_cmpstr (hash, ==, r->hash_hex);
      char *reason = NULL;
      g_assert_true (gl_decode_file (r->path, h, w, c, want, &reason));
      g_assert_cmpmem (gl_pixel_map_row (map, (guint64) r->cache_row), (gsize) h * w * c, want, (gsize) h * w * c);
    }
  g_test_message ("%u committed images intact", rows->len);
  g_array_unref (rows); /* the array clears its rows */
}

static void
test_kill (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  /* Fifty folders of 120 distinct images; round r imports folder r, so every
   * round has real work to be interrupted in. */
  const guint rounds = 50, per = 120;
  g_autofree char *all = g_strdup (fx->images);
  for (guint r = 0; r < rounds; r++)
    {
      g_free (fx->images);
      fx->images = g_strdup_printf ("%s/%02u", all, r);
      make_images_from (fx, per, r * per);
    }
  g_free (fx->images);
  fx->images = g_steal_pointer (&all);

  g_autofree char *out = NULL, *err = NULL;
  const char *init[] = { "init", fx->project, "--input", "64x64x3", NULL };
  g_assert_cmpint (run (init, &out, &err), ==, 0);
  g_autofree char *pixels = g_build_filename (fx->project, "cache", "pixels", NULL);

  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  guint kills = 0, partial = 0, before = 0;
  g_setenv ("GLEANER_IMPORT_THREADS", "2", TRUE);
  g_setenv ("GLEANER_IMPORT_BATCH", "10", TRUE); /* 12 commits per round */
  for (guint r = 0; r < rounds; r++)
    {
      g_autofree char *folder = g_strdup_printf ("%s/%02u", fx->images, r);
      const char *argv[] = { cli (), "import", fx->project, folder, NULL };
      GPid pid;
      GError *error = NULL;
      goffset size0 = file_size (pixels);
      g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                     NULL, &pid, &error);
      g_assert_no_error (error);
      /* Kill at a random moment of the import, chosen by its progress, not
       * by a time (a sleep overshoots on a loaded machine and the import
       * ends first): once its pixel rows reach a random count between the
       * first and 20 before the last. */
      int status = 0;
      gboolean exited = FALSE;
      goffset until = size0 + (goffset) g_rand_int_range (rand, 1, per - 20) * 64 * 64 * 3;
      while (file_size (pixels) < until)
        {
          if (waitpid (pid, &status, WNOHANG) == pid)
            {
              exited = TRUE;
              break;
            }
          g_usleep (200);
        }
      if (!exited)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
        }
      g_spawn_close_pid (pid);
      guint now = check_consistent (fx->project);
      g_assert_cmpuint (now, >=, before); /* nothing committed is lost */
      if (WIFSIGNALED (status))
        {
          kills++; /* killed before it finished */
          partial += now > before && now < before + per; /* between two of its commits */
        }
      before = now;
    }
  g_rand_free (rand);
  g_test_message ("%u of %u imports killed mid-way, %u of them after some commits and before the last", kills,
                  rounds, partial);
  g_assert_cmpuint (kills, >=, rounds * 3 / 4);
  g_assert_cmpuint (partial, >=, 1);
  check_intact (fx->project);
  /* A final import completes the set, with nothing twice. */
  const char *import[] = { "import", fx->project, fx->images, NULL };
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (import, &out, &err), ==, 0);
  g_assert_cmpuint (check_consistent (fx->project), ==, rounds * per);
}

static void
test_two_processes (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  make_images (fx, 200);
  g_autofree char *out = NULL, *err = NULL;
  const char *init[] = { "init", fx->project, "--input", "64x64x3", NULL };
  g_assert_cmpint (run (init, &out, &err), ==, 0);
  /* Both import the same folder at once: every image ends up once, and no
   * two images share a pixel-cache row. */
  const char *argv[] = { cli (), "import", fx->project, fx->images, NULL };
  GPid pids[2];
  GError *error = NULL;
  for (int i = 0; i < 2; i++)
    {
      g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                     NULL, &pids[i], &error);
      g_assert_no_error (error);
    }
  for (int i = 0; i < 2; i++)
    {
      int status;
      waitpid (pids[i], &status, 0);
      g_spawn_close_pid (pids[i]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
    }
  g_assert_cmpuint (check_consistent (fx->project), ==, 200);
  g_autoptr (GlProject) p = gl_project_open (fx->project, &error);
  g_assert_no_error (error);
  g_autoptr (GArray) rows = gl_project_list_cache_rows (p, -1, &error);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < rows->len; i++)
    g_assert_true (g_hash_table_add (seen, &g_array_index (rows, gint64, i)));
}

static void
limit_file_size (gpointer user_data)
{
  struct rlimit rl = { GPOINTER_TO_UINT (user_data), GPOINTER_TO_UINT (user_data) };
  signal (SIGXFSZ, SIG_IGN); /* writes fail with EFBIG instead of killing */
  setrlimit (RLIMIT_FSIZE, &rl);
}

static void
test_full_disk (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  make_images (fx, 40);
  g_autofree char *first = g_build_filename (fx->dir, "first", NULL);
  g_mkdir (first, 0755);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("img-%04u.png", i);
      g_autofree char *from = g_build_filename (fx->images, name, NULL);
      g_autofree char *to = g_build_filename (first, name, NULL);
      g_rename (from, to);
    }
  g_autofree char *out = NULL, *err = NULL;
  const char *init[] = { "init", fx->project, "--input", "64x64x3", NULL };
  g_assert_cmpint (run (init, &out, &err), ==, 0);
  const char *import1[] = { "import", fx->project, first, NULL };
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (import1, &out, &err), ==, 0);
  g_assert_cmpuint (check_consistent (fx->project), ==, 3);

  /* 37 more rows of 12 KiB do not fit under 200 KiB. */
  const char *argv[] = { cli (), "import", fx->project, fx->images, NULL };
  int status = 0;
  GError *error = NULL;
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, limit_file_size, GUINT_TO_POINTER (200 * 1024), &out,
                &err, &status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_test_message ("stderr: %s", err);
  /* The message says what happened and names the file, not the system's
   * "File too large". */
  g_autofree char *pixels = g_build_filename (fx->project, "cache", "pixels", NULL);
  g_autofree char *want = g_strdup_printf ("the disk is full: cannot write %s\n", pixels);
  g_assert_nonnull (strstr (err, want));
  g_assert_null (strstr (err, "File too large"));
  g_assert_cmpuint (check_consistent (fx->project), >=, 3);
}

/* Thumbnails are made at import only with --thumbnails. */
static guint
count_thumbnails (const char *project)
{
  g_autofree char *path = g_build_filename (project, "cache", "thumbs.pack", NULL);
  GError *error = NULL;
  g_autoptr (GlThumbPack) pack = gl_thumb_pack_open (path, &error);
  g_assert_no_error (error);
  return gl_thumb_pack_count (pack);
}

static void
test_import_thumbnails (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  make_images (fx, 3);
  g_autofree char *out = NULL, *err = NULL;
  const char *init[] = { "init", fx->project, "--input", "28x28x1", NULL };
  g_assert_cmpint (run (init, &out, &err), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  const char *import[] = { "import", fx->project, fx->images, NULL };
  g_assert_cmpint (run (import, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "added 3,"));
  g_assert_cmpuint (count_thumbnails (fx->project), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  make_images_from (fx, 2, 3);
  const char *with[] = { "import", fx->project, fx->images, "--thumbnails", NULL };
  g_assert_cmpint (run (with, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "added 2,"));
  /* The 3 files already imported are decoded again (to hash them) and so get
   * a thumbnail too: they are images of the project. */
  g_assert_cmpuint (count_thumbnails (fx->project), ==, 5);
}

/* Writes an IDX file: @magic, then the big-endian dimensions, then @data. */
static char *
write_idx (const char *dir, const char *name, guint8 type_dims, const guint32 *dims, guint n_dims,
           const guint8 *data, gsize len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint8 magic[4] = { 0, 0, 8, type_dims };
  g_byte_array_append (b, magic, 4);
  for (guint i = 0; i < n_dims; i++)
    {
      guint32 be = GUINT32_TO_BE (dims[i]);
      g_byte_array_append (b, (const guint8 *) &be, 4);
    }
  g_byte_array_append (b, data, (guint) len);
  char *path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  return path;
}

/* `import --layout idx --idx-labels FILE` with --labels-as reference (never
 * shown or trained on: reference_labeled) and as human labels (labeled, per
 * class by the labels' numbers in the project's class order). */
static void
test_import_idx (Fixture *fx, gconstpointer data)
{
  if (cli () == NULL)
    return;
  g_mkdir_with_parents (fx->dir, 0755);
  guint8 pixels[4 * 28 * 28];
  for (guint i = 0; i < sizeof pixels; i++)
    pixels[i] = (guint8) (i / (28 * 28) * 60 + i % 7);
  const guint8 labels[4] = { 0, 1, 1, 1 };
  const guint32 image_dims[3] = { 4, 28, 28 }, label_dims[1] = { 4 };
  g_autofree char *images = write_idx (fx->dir, "t10k-images-idx3-ubyte", 3, image_dims, 3, pixels, sizeof pixels);
  g_autofree char *label_file = write_idx (fx->dir, "t10k-labels-idx1-ubyte", 1, label_dims, 1, labels,
                                           sizeof labels);
  const char *as[] = { "reference", "human" };
  for (guint k = 0; k < 2; k++)
    {
      g_autofree char *project = g_strdup_printf ("%s-%s", fx->project, as[k]);
      g_autofree char *out = NULL, *err = NULL;
      const char *init[] = { "init", project, "--input", "28x28x1", "--classes", "zero,one", NULL };
      g_assert_cmpint (run (init, NULL, NULL), ==, 0);
      const char *import[] = { "import", project, images, "--layout", "idx", "--idx-labels", label_file,
                               "--labels-as", as[k], NULL };
      g_assert_cmpint (run (import, &out, &err), ==, 0);
      g_assert_nonnull (strstr (out, "added 4"));
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      const char *info[] = { "info", project, "--json", NULL };
      g_assert_cmpint (run (info, &out, &err), ==, 0);
      g_assert_nonnull (strstr (out, "\"images\":4,"));
      if (k == 0)
        {
          g_assert_nonnull (strstr (out, "\"labeled\":0,\"reference_labeled\":4"));
          g_assert_nonnull (strstr (out, "{\"name\":\"one\",\"labeled\":0"));
        }
      else
        {
          g_assert_nonnull (strstr (out, "\"labeled\":4,\"reference_labeled\":0"));
          g_assert_nonnull (strstr (out, "{\"name\":\"zero\",\"labeled\":1"));
          g_assert_nonnull (strstr (out, "{\"name\":\"one\",\"labeled\":3"));
        }
      gl_remove_tree (project);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cli/init-import-info", Fixture, NULL, fixture_setup, test_init_import_info, fixture_teardown);
  g_test_add ("/cli/import-thumbnails", Fixture, NULL, fixture_setup, test_import_thumbnails, fixture_teardown);
  g_test_add ("/cli/bad-container", Fixture, NULL, fixture_setup, test_bad_container, fixture_teardown);
  g_test_add ("/cli/import-idx", Fixture, NULL, fixture_setup, test_import_idx, fixture_teardown);
  g_test_add ("/cli/import-killed", Fixture, NULL, fixture_setup, test_kill, fixture_teardown);
  g_test_add ("/cli/two-processes", Fixture, NULL, fixture_setup, test_two_processes, fixture_teardown);
  g_test_add ("/cli/full-disk", Fixture, NULL, fixture_setup, test_full_disk, fixture_teardown);
  return g_test_run ();
}
