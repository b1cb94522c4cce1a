/* End-to-end tests of the built gleaner-cli (env GLEANER_CLI) on what a new
 * user meets first: an import says which files it could not read and why,
 * and its exit status says whether everything went in; a CSV label that is
 * not a class is an error naming the near class; relative paths; an unknown
 * class lists the classes; bad export options are usage errors naming the
 * value; train's label counts add up to stats'. */
#include "app/gl-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

typedef struct
{
  char *dir;     /* a temporary folder, removed at the end */
  char *src;     /* dir/src: the images */
  char *project; /* dir/project */
  char *out;     /* stdout of the last run */
  char *err;     /* stderr of the last run */
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-cli-hard-XXXXXX", &error);
  g_assert_no_error (error);
  fx->src = g_build_filename (fx->dir, "src", NULL);
  fx->project = g_build_filename (fx->dir, "project", NULL);
  g_assert_cmpint (g_mkdir (fx->src, 0755), ==, 0);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->src);
  g_free (fx->project);
  g_free (fx->out);
  g_free (fx->err);
}

/* Runs the CLI in @cwd (NULL: here) with the NULL-terminated arguments;
 * returns the exit status; output in fx->out / fx->err. */
static int
run_in (Fixture *fx, const char *cwd, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
  va_list ap;
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer)a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_clear_pointer (&fx->out, g_free);
  g_clear_pointer (&fx->err, g_free);
  int status = 0;
  GError *error = NULL;
  g_spawn_sync (cwd, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &fx->out, &fx->err, &status,
                &error);
  g_assert_no_error (error);
  g_test_message ("%s → %s%s", first, fx->out, fx->err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

#define run(fx, ...) run_in (fx, NULL, __VA_ARGS__, NULL)

static gboolean
have_cli (void)
{
  if (g_getenv ("GLEANER_CLI") != NULL)
    return TRUE;
  g_test_skip ("GLEANER_CLI is not set");
  return FALSE;
}

/* A 16×16 PNG at src/@name, red or blue with noise from @seed. */
static char *
write_png (Fixture *fx, const char *name, gboolean red, guint seed)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 16; x++)
      {
        guint8 *q = px + y * stride + x * 3;
        guint8 hi = (guint8)g_rand_int_range (rand, 180, 256), lo = (guint8)g_rand_int_range (rand, 0, 60);
        q[0] = red ? hi : lo;
        q[1] = (guint8)g_rand_int_range (rand, 0, 60);
        q[2] = red ? lo : hi;
      }
  char *path = g_build_filename (fx->src, name, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
  return path;
}

static char *
write_file (Fixture *fx, const char *name, const char *contents, gssize len)
{
  char *path = g_build_filename (fx->src, name, NULL);
  g_assert_true (g_file_set_contents (path, contents, len, NULL));
  return path;
}

static void
init_project (Fixture *fx, const char *classes)
{
  if (classes)
    g_assert_cmpint (run (fx, "init", fx->project, "--input", "16x16x3", "--classes", classes), ==, 0);
  else
    g_assert_cmpint (run (fx, "init", fx->project, "--input", "16x16x3"), ==, 0);
}

/* An import names every file it could not read with the reason, exits 3
 * when some inputs were rejected and 1 when nothing could be imported;
 * `problems` lists them again. */
static void
test_import_reasons (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  init_project (fx, "red,blue");
  g_free (write_png (fx, "a.png", TRUE, 1));
  g_free (write_png (fx, "b.png", FALSE, 2));
  g_autofree char *bad = write_file (fx, "broken.png", "\x89PNG but not", -1);
  g_assert_cmpint (run (fx, "import", fx->project, fx->src), ==, 3);
  g_assert_nonnull (strstr (fx->out, "added 2, duplicates 0, unreadable 1"));
  g_autofree char *line = g_strdup_printf ("unreadable %s: ", bad);
  g_assert_nonnull (strstr (fx->out, line));

  g_assert_cmpint (run (fx, "problems", fx->project), ==, 0);
  g_assert_nonnull (strstr (fx->out, bad));
  g_assert_cmpuint (strlen (fx->out), >, strlen (bad) + 10); /* with the reason */
  g_assert_cmpint (run (fx, "problems", fx->project, "--json"), ==, 0);
  g_assert_true (g_str_has_prefix (fx->out, "{\"unreadable\":[{\"id\":"));
  g_assert_nonnull (strstr (fx->out, "\"reason\":\""));

  /* Only bad files: nothing imported, exit 1. */
  g_autofree char *bad2 = write_file (fx, "other.png", "not an image either", -1);
  g_assert_cmpint (run (fx, "import", fx->project, bad2, "--json"), ==, 1);
  g_assert_true (g_str_has_prefix (fx->out, "{\"total\":1,\"added\":0,"));
  g_assert_nonnull (strstr (fx->out, "\"rejected\":[{\"path\":"));
  g_assert_nonnull (strstr (fx->err, "nothing could be imported"));

  /* Again: the good files are duplicates now, the bad one is still bad: 3.
   * Without the bad files: done, 0. */
  g_assert_cmpint (run (fx, "import", fx->project, fx->src), ==, 3);
  g_assert_nonnull (strstr (fx->out, "added 0, duplicates 2, unreadable 2"));
  g_assert_cmpint (g_unlink (bad), ==, 0);
  g_assert_cmpint (g_unlink (bad2), ==, 0);
  g_assert_cmpint (run (fx, "import", fx->project, fx->src), ==, 0);
}

static char *
write_idx (Fixture *fx, const char *name, guint8 type_dims, const guint32 *dims, guint n_dims,
           const guint8 *data, gsize len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint8 magic[4] = { 0, 0, 8, type_dims };
  g_byte_array_append (b, magic, 4);
  for (guint i = 0; i < n_dims; i++)
    {
      guint32 be = GUINT32_TO_BE (dims[i]);
      g_byte_array_append (b, (const guint8 *)&be, 4);
    }
  g_byte_array_append (b, data, (guint)len);
  char *path = g_build_filename (fx->src, name, NULL);
  g_assert_true (g_file_set_contents (path, (const char *)b->data, b->len, NULL));
  return path;
}

/* An IDX labels file of the wrong length: nothing imported, exit 1, the
 * reason printed. */
static void
test_import_idx_wrong_length (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  g_assert_cmpint (run (fx, "init", fx->project, "--input", "2x2x1", "--classes", "a,b"), ==, 0);
  const guint32 image_dims[] = { 3, 2, 2 }, label_dims[] = { 2 };
  const guint8 pixels[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, labels[2] = { 0, 1 };
  g_autofree char *images = write_idx (fx, "x-images-idx3-ubyte", 3, image_dims, 3, pixels, sizeof pixels);
  g_autofree char *lab = write_idx (fx, "x-labels-idx1-ubyte", 1, label_dims, 1, labels, sizeof labels);
  g_assert_cmpint (run (fx, "import", fx->project, images, "--idx-labels", lab), ==, 1);
  g_assert_nonnull (strstr (fx->out, "holds 2 labels but"));
  g_assert_nonnull (strstr (fx->err, "nothing could be imported"));
}

/* --labels-as reference says "reference-labeled", as info does. */
static void
test_import_reference_count (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  init_project (fx, "red,blue");
  g_free (write_png (fx, "a.png", TRUE, 1));
  g_free (write_png (fx, "b.png", FALSE, 2));
  g_autofree char *csv = write_file (fx, "m.csv", "path,label\na.png,red\nb.png,blue\n", -1);
  g_assert_cmpint (run (fx, "import", fx->project, csv, "--labels-as", "reference"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "reference-labeled 2"));
  g_assert_null (strstr (fx->out, ", labeled 2"));
  g_assert_cmpint (run (fx, "info", fx->project, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"labeled\":0,\"reference_labeled\":2"));
}

/* A CSV label that is not a class stops the import before anything is
 * stored, naming the label, its line and the near class; --new-classes
 * creates it. Extra columns are reported. */
static void
test_import_csv_unknown_label (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  init_project (fx, "boot,coat");
  g_free (write_png (fx, "a.png", TRUE, 1));
  g_free (write_png (fx, "b.png", FALSE, 2));
  g_autofree char *csv = write_file (fx, "m.csv", "a.png,boot\nb.png,Boot\n", -1);
  g_assert_cmpint (run (fx, "import", fx->project, csv), ==, 1);
  g_assert_nonnull (strstr (fx->err, "“Boot” (line 2; did you mean “boot”?)"));
  g_assert_nonnull (strstr (fx->err, "boot, coat"));
  g_assert_cmpint (run (fx, "info", fx->project, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"images\":0,"));
  g_assert_null (strstr (fx->out, "\"Boot\""));

  g_autofree char *csv2 = write_file (fx, "n.csv", "a.png,boot,0.9\nb.png,Boot,0.8\n", -1);
  g_assert_cmpint (run (fx, "import", fx->project, csv2, "--new-classes"), ==, 0);
  g_assert_nonnull (strstr (fx->err, "2 CSV rows have more columns than path,label"));
  g_assert_cmpint (run (fx, "info", fx->project, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "{\"name\":\"Boot\",\"labeled\":1"));
}

/* A project with images a.png (red) and b.png (blue), imported. */
static void
two_images (Fixture *fx)
{
  init_project (fx, "red,blue");
  g_free (write_png (fx, "a.png", TRUE, 1));
  g_free (write_png (fx, "b.png", FALSE, 2));
  g_assert_cmpint (run (fx, "import", fx->project, fx->src), ==, 0);
}

/* `label` takes a path relative to the working directory; an unknown class
 * lists the classes and the near name. */
static void
test_label_paths_and_classes (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  two_images (fx);
  g_assert_cmpint (run_in (fx, fx->src, "label", fx->project, "a.png", "red", NULL), ==, 0);
  g_assert_cmpint (run_in (fx, fx->dir, "label", fx->project, "src/../src/b.png", "blue", NULL), ==, 0);
  g_assert_cmpint (run (fx, "info", fx->project, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"labeled\":2,"));
  g_assert_cmpint (run_in (fx, fx->src, "label", fx->project, "missing.png", "red", NULL), ==, 1);
  g_assert_nonnull (strstr (fx->err, "missing.png"));
  g_assert_cmpint (run_in (fx, fx->src, "label", fx->project, "a.png", "Red", NULL), ==, 1);
  g_assert_nonnull (strstr (fx->err, "no class named “Red” (classes: red, blue; did you mean “red”?)"));
  g_assert_cmpint (run_in (fx, fx->src, "label", fx->project, "a.png", "green", NULL), ==, 1);
  g_assert_nonnull (strstr (fx->err, "(classes: red, blue)"));
}

/* train: the counts add up to stats' labels; no "nan" without validation
 * labels. export: bad --split, missing --format, --include-predictions with
 * csv (written) and imagefolder (refused). */
static void
test_train_export_options (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  two_images (fx);
  g_assert_cmpint (run (fx, "label", fx->project, "1", "red"), ==, 0);
  g_assert_cmpint (run (fx, "label", fx->project, "2", "blue"), ==, 0);
  g_assert_cmpint (run (fx, "train", fx->project, "--epochs", "1"), ==, 0);
  g_assert_nonnull (strstr (fx->out, ": 2 labels (2 training, 0 validation, 0 audit)"));
  g_assert_nonnull (strstr (fx->out, "no validation labels yet"));
  g_assert_null (strstr (fx->out, "nan"));
  g_assert_cmpint (run (fx, "stats", fx->project), ==, 0);
  g_assert_nonnull (strstr (fx->out, "trained on 2 labels"));
  g_assert_null (strstr (fx->out, "nan"));
  g_assert_cmpint (run (fx, "train", fx->project, "--epochs", "1", "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"train_labels\":2,\"validation_labels\":0,\"audit_labels\":0,"));

  g_autofree char *target = g_build_filename (fx->dir, "out", NULL);
  g_assert_cmpint (run (fx, "export", fx->project, target, "--format", "csv", "--split", "0.9,0.9,0.1"), ==,
                   2);
  g_assert_nonnull (strstr (fx->err, "“0.9,0.9,0.1”: the shares add up to 1.9"));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run (fx, "export", fx->project, target), ==, 2);
  g_assert_nonnull (strstr (fx->err, "--format imagefolder"));
  g_assert_cmpint (
      run (fx, "export", fx->project, target, "--format", "imagefolder", "--include-predictions"), ==, 2);
  g_assert_nonnull (strstr (fx->err, "--include-predictions"));
  g_assert_cmpint (run (fx, "export", fx->project, target, "--format", "csv", "--include-predictions",
                        "--split", "80,10,10"),
                   ==, 0);
  g_autofree char *csv_path = g_build_filename (target, "labels.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "path,label,split,origin,annotator,time,prediction,probability\r\n"));
  g_auto (GStrv) lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  for (guint i = 1; i < 3; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (g_strv_length (fields), ==, 8);
      g_assert_true (g_str_equal (fields[6], "red") || g_str_equal (fields[6], "blue"));
      double p = g_ascii_strtod (fields[7], NULL);
      g_assert_cmpfloat (p, >, 0);
      g_assert_cmpfloat (p, <=, 1);
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The long options ("--name") in @text, sorted and unique, without --help. */
static GPtrArray *
options_in (const char *text)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  for (const char *p = strstr (text, "--"); p != NULL; p = strstr (p + 2, "--"))
    {
      gsize n = 2;
      while (g_ascii_isalnum (p[n]) || p[n] == '-')
        n++;
      g_autofree char *name = g_strndup (p, n);
      if (n == 2 || g_str_has_prefix (name, "--help"))
        continue;
      gboolean seen = FALSE;
      for (guint i = 0; i < names->len; i++)
        seen |= g_str_equal (names->pdata[i], name);
      if (!seen)
        g_ptr_array_add (names, g_steal_pointer (&name));
    }
  g_ptr_array_sort (names, compare_names);
  return names;
}

static char *
joined (GPtrArray *names)
{
  g_ptr_array_add (names, NULL);
  char *text = g_strjoinv (" ", (char **)names->pdata);
  g_ptr_array_remove_index (names, names->len - 1);
  return text;
}

/* `gleaner-cli --help` lists every command with the options of its own
 * --help (both made from one table), --json everywhere, and the exit
 * statuses. */
static void
test_help_agrees (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  g_assert_cmpint (run (fx, "--help"), ==, 0);
  g_autofree char *top = g_strdup (fx->out);
  g_assert_nonnull (
      strstr (top, "Exit status: 0 done, 1 error, 2 usage error, 3 done but some inputs were rejected"));
  g_auto (GStrv) lines = g_strsplit (top, "\n", -1);
  guint n_commands = 0;
  for (guint i = 0; lines[i]; i++)
    {
      /* "  NAME       ARGS [--opt X]…" then continuation lines, then the summary. */
      if (!g_str_has_prefix (lines[i], "  ") || lines[i][2] == ' '
          || strstr (lines[i], "gleaner-cli COMMAND"))
        continue;
      g_autofree char *name = g_strndup (lines[i] + 2, strcspn (lines[i] + 2, " "));
      g_autoptr (GString) entry = g_string_new (lines[i]);
      for (guint j = i + 1; lines[j] && g_str_has_prefix (lines[j], "               ["); j++)
        g_string_append (entry, lines[j]);
      g_autoptr (GPtrArray) listed = options_in (entry->str);
      g_assert_cmpint (run (fx, name, "--help"), ==, 0);
      g_autoptr (GPtrArray) own = options_in (fx->out);
      g_autofree char *a = joined (listed), *b = joined (own);
      g_test_message ("%s: %s | %s", name, a, b);
      g_assert_cmpstr (a, ==, b);
      g_assert_nonnull (strstr (b, "--json"));
      g_assert_nonnull (strstr (fx->out, "Exit status: 0 done"));
      n_commands++;
    }
  g_assert_cmpuint (n_commands, >=, 14);
  /* A usage error: status 2 and the usage line made from the same table. */
  g_assert_cmpint (run (fx, "import", fx->project), ==, 2);
  g_assert_nonnull (strstr (fx->err, "usage: gleaner-cli import PROJECT PATH… [--layout LAYOUT]"));
  g_assert_cmpint (run (fx, "import", fx->project, fx->src, "--no-such-option"), ==, 2);
}

/* One JSON object on one line. */
static void
assert_json_line (const char *out)
{
  g_assert_true (g_str_has_prefix (out, "{"));
  g_assert_true (g_str_has_suffix (out, "}\n"));
  g_assert_true (strchr (out, '\n') == out + strlen (out) - 1);
}

/* --json on every command of the loop. */
static void
test_json_everywhere (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  g_assert_cmpint (run (fx, "init", fx->project, "--input", "16x16x3", "--classes", "red,blue", "--json"), ==,
                   0);
  assert_json_line (fx->out);
  g_free (write_png (fx, "a.png", TRUE, 1));
  g_free (write_png (fx, "b.png", FALSE, 2));
  g_free (write_png (fx, "c.png", FALSE, 3));
  g_assert_cmpint (run (fx, "import", fx->project, fx->src, "--json"), ==, 0);
  assert_json_line (fx->out);
  const char *const commands[][6] = {
    { "info", NULL },
    { "problems", NULL },
    { "label", "1", "red", NULL },
    { "label", "2", "blue", NULL },
    { "label", "3", "blue", NULL },
    { "undo", NULL },
    { "rules", "add", "*c.png", "blue", NULL },
    { "rules", "list", NULL },
    { "rules", "apply", NULL },
    { "train", "--epochs", "1", NULL },
    { "queue", NULL },
    { "predict", NULL },
    { "stats", NULL },
    { "rules", "delete", "1", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
      g_ptr_array_add (argv, (gpointer)commands[i][0]);
      g_ptr_array_add (argv, fx->project);
      for (guint j = 1; commands[i][j]; j++)
        g_ptr_array_add (argv, (gpointer)commands[i][j]);
      g_ptr_array_add (argv, "--json");
      g_ptr_array_add (argv, NULL);
      g_autofree char *out = NULL, *err = NULL;
      int status = 0;
      g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                   &status, NULL));
      g_test_message ("%s: %s%s", commands[i][0], out, err);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
      assert_json_line (out);
    }
  g_autofree char *target = g_build_filename (fx->dir, "out", NULL);
  g_assert_cmpint (run (fx, "export", fx->project, target, "--format", "json", "--json"), ==, 0);
  assert_json_line (fx->out);
}

/* classes list, add, rename, merge, archive, unarchive. */
static void
test_classes (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  two_images (fx);
  g_assert_cmpint (run (fx, "label", fx->project, "1", "red"), ==, 0);
  g_assert_cmpint (run (fx, "classes", fx->project, "add", "crimson"), ==, 0);
  g_assert_cmpint (run (fx, "classes", fx->project, "add", "crimson"), ==, 1);
  g_assert_cmpint (run (fx, "label", fx->project, "2", "crimson"), ==, 0);
  g_assert_cmpint (run (fx, "classes", fx->project, "rename", "blue", "azure"), ==, 0);
  g_assert_cmpint (run (fx, "classes", fx->project, "list", "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"name\":\"red\",\"key\":\"1\""));
  g_assert_nonnull (strstr (fx->out, "\"name\":\"azure\""));
  g_assert_nonnull (strstr (fx->out, "\"name\":\"crimson\",\"key\":\"3\",\"colour\":"));
  g_assert_cmpint (run (fx, "classes", fx->project, "merge", "crimson", "red", "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"name\":\"red\",\"relabeled\":1}"));
  g_assert_cmpint (run (fx, "info", fx->project, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "{\"name\":\"red\",\"labeled\":2,"));
  g_assert_null (strstr (fx->out, "crimson"));
  g_assert_cmpint (run (fx, "classes", fx->project, "archive", "azure"), ==, 0);
  g_assert_cmpint (run (fx, "classes", fx->project, "list"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\tazure\t"));
  g_assert_nonnull (strstr (fx->out, "\tarchived\n"));
  g_assert_cmpint (run (fx, "classes", fx->project, "unarchive", "azure"), ==, 0);
  g_assert_cmpint (run (fx, "classes", fx->project, "list"), ==, 0);
  g_assert_null (strstr (fx->out, "archived"));
  g_assert_cmpint (run (fx, "classes", fx->project, "archive", "Azure"), ==, 1);
  g_assert_nonnull (strstr (fx->err, "did you mean “azure”?"));
  g_assert_cmpint (run (fx, "classes", fx->project, "merge", "red", "red"), ==, 2);
  g_assert_cmpint (run (fx, "classes", fx->project, "explode"), ==, 2);
}

/* history lists every row of an image; accept stores the rule's suggestion
 * with origin rule, else the prediction with origin prediction. */
static void
test_history_accept (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  init_project (fx, "red,blue");
  g_free (write_png (fx, "r1.png", TRUE, 1));
  g_free (write_png (fx, "b1.png", FALSE, 2));
  g_free (write_png (fx, "r2.png", TRUE, 3));
  g_free (write_png (fx, "b2.png", FALSE, 4));
  g_assert_cmpint (run (fx, "import", fx->project, fx->src), ==, 0);
  g_autofree char *r1 = g_build_filename (fx->src, "r1.png", NULL);
  g_autofree char *b1 = g_build_filename (fx->src, "b1.png", NULL);
  g_autofree char *b2 = g_build_filename (fx->src, "b2.png", NULL);
  g_autofree char *r2 = g_build_filename (fx->src, "r2.png", NULL);
  g_assert_cmpint (run (fx, "label", fx->project, r1, "blue"), ==, 0);
  g_assert_cmpint (run (fx, "label", fx->project, r1, "red"), ==, 0);
  g_assert_cmpint (run (fx, "undo", fx->project), ==, 0);
  g_assert_cmpint (run (fx, "history", fx->project, r1, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"class\":\"blue\",\"origin\":\"human\",\"kind\":\"label\""));
  g_assert_nonnull (strstr (fx->out, "\"class\":\"red\",\"origin\":\"human\",\"kind\":\"label\""));
  g_assert_nonnull (strstr (fx->out, "\"class\":\"blue\",\"origin\":\"human\",\"kind\":\"undo\""));
  g_assert_cmpint (run (fx, "history", fx->project, r2), ==, 0);
  g_assert_nonnull (strstr (fx->out, "never labeled"));

  /* Nothing to accept yet. */
  g_assert_cmpint (run (fx, "accept", fx->project, b2), ==, 1);
  g_assert_nonnull (strstr (fx->err, "nothing to accept"));
  /* A rule's suggestion. */
  g_assert_cmpint (run (fx, "rules", fx->project, "add", "*/b2.png", "blue"), ==, 0);
  g_assert_cmpint (run (fx, "accept", fx->project, b2, "--json"), ==, 0);
  g_assert_true (g_str_has_suffix (fx->out, ",\"class\":\"blue\",\"origin\":\"rule\"}\n"));
  g_assert_cmpint (run (fx, "history", fx->project, b2), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\tblue\trule\tlabel\t"));
  /* The prediction. */
  g_assert_cmpint (run (fx, "label", fx->project, b1, "blue"), ==, 0);
  g_assert_cmpint (run (fx, "label", fx->project, r1, "red"), ==, 0);
  g_assert_cmpint (run (fx, "train", fx->project, "--epochs", "2"), ==, 0);
  g_assert_cmpint (run (fx, "accept", fx->project, r2), ==, 0);
  g_assert_nonnull (strstr (fx->out, "(origin prediction)"));
  g_assert_cmpint (run (fx, "history", fx->project, r2, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "\"origin\":\"prediction\",\"kind\":\"label\""));
}

/* Files whose names are Latin-1 (not UTF-8): imported, labeled by their
 * path, shown readably, their thumbnails made, exported under a safe UTF-8
 * name with the exact bytes, and listed by a CSV export as a copy. */
static void
test_latin1_names (Fixture *fx, gconstpointer data)
{
  if (!have_cli ())
    return;
  init_project (fx, "red,blue");
  g_autofree char *cafe = write_png (fx, "caf\xe9.png", TRUE, 1);
  g_autofree char *naive = write_png (fx, "na\xefve/bl\xe5.png", FALSE, 2);
  g_assert_cmpint (run (fx, "import", fx->project, fx->src, "--thumbnails"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "added 2, duplicates 0, unreadable 0"));
  g_assert_cmpint (run (fx, "label", fx->project, cafe, "red"), ==, 0);
  g_assert_cmpint (run_in (fx, fx->src, "label", fx->project, "na\xefve/bl\xe5.png", "blue", NULL), ==, 0);
  g_assert_cmpint (run (fx, "history", fx->project, cafe), ==, 0);
  g_assert_nonnull (strstr (fx->out, "/café.png\n"));
  g_assert_cmpint (run (fx, "predict", fx->project), ==, 1); /* no model yet */
  g_assert_cmpint (run (fx, "train", fx->project, "--epochs", "1"), ==, 0);
  g_assert_cmpint (run (fx, "predict", fx->project, "--json"), ==, 0);
  g_assert_nonnull (strstr (fx->out, "/naïve/blå.png\""));
  g_assert_true (g_utf8_validate (fx->out, -1, NULL));

  g_autofree char *target = g_build_filename (fx->dir, "out", NULL);
  g_assert_cmpint (run (fx, "export", fx->project, target, "--format", "imagefolder", "--split", "1,0,0"), ==,
                   0);
  g_autofree char *exported = g_build_filename (target, "red", "café.png", NULL);
  g_autofree char *a = NULL, *b = NULL;
  gsize la = 0, lb = 0;
  g_assert_true (g_file_get_contents (exported, &a, &la, NULL));
  g_assert_true (g_file_get_contents (cafe, &b, &lb, NULL));
  g_assert_cmpmem (a, la, b, lb);
  g_autofree char *blaa = g_build_filename (target, "blue", "blå.png", NULL);
  g_assert_true (g_file_test (blaa, G_FILE_TEST_IS_REGULAR));

  g_autofree char *target2 = g_build_filename (fx->dir, "out2", NULL);
  g_assert_cmpint (run (fx, "export", fx->project, target2, "--format", "csv"), ==, 0);
  g_autofree char *csv_path = g_build_filename (target2, "labels.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_utf8_validate (csv, -1, NULL));
  g_assert_nonnull (strstr (csv, "\r\nimages/café.png,red,"));
  g_autofree char *copy = g_build_filename (target2, "images", "café.png", NULL);
  g_assert_true (g_file_test (copy, G_FILE_TEST_IS_REGULAR));

  /* An import of the same files again finds them known (the stored names
   * are the exact ones). */
  g_assert_cmpint (run (fx, "import", fx->project, fx->src), ==, 0);
  g_assert_nonnull (strstr (fx->out, "added 0, duplicates 2, unreadable 0"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cli-hardening/import-reasons", Fixture, NULL, fixture_setup, test_import_reasons,
              fixture_teardown);
  g_test_add ("/cli-hardening/import-idx-wrong-length", Fixture, NULL, fixture_setup,
              test_import_idx_wrong_length, fixture_teardown);
  g_test_add ("/cli-hardening/import-reference-count", Fixture, NULL, fixture_setup,
              test_import_reference_count, fixture_teardown);
  g_test_add ("/cli-hardening/import-csv-unknown-label", Fixture, NULL, fixture_setup,
              test_import_csv_unknown_label, fixture_teardown);
  g_test_add ("/cli-hardening/label-paths-and-classes", Fixture, NULL, fixture_setup,
              test_label_paths_and_classes, fixture_teardown);
  g_test_add ("/cli-hardening/train-export-options", Fixture, NULL, fixture_setup, test_train_export_options,
              fixture_teardown);
  g_test_add ("/cli-hardening/help-agrees", Fixture, NULL, fixture_setup, test_help_agrees, fixture_teardown);
  g_test_add ("/cli-hardening/json-everywhere", Fixture, NULL, fixture_setup, test_json_everywhere,
              fixture_teardown);
  g_test_add ("/cli-hardening/classes", Fixture, NULL, fixture_setup, test_classes, fixture_teardown);
  g_test_add ("/cli-hardening/history-accept", Fixture, NULL, fixture_setup, test_history_accept,
              fixture_teardown);
  g_test_add ("/cli-hardening/latin1-names", Fixture, NULL, fixture_setup, test_latin1_names,
              fixture_teardown);
  return g_test_run ();
}
