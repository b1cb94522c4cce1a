/* End-to-end tests of the loop commands of the built gleaner-cli (env
 * GLEANER_CLI): init → import → queue → label (by path and id) → undo →
 * train → queue with predictions → stats → predict → rules → export →
 * re-import of the ImageFolder gives identical labels; usage and input
 * errors exit non-zero with a message on stderr; --json prints one object. */
#include "app/gl-project.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

static int
run (const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  int status = 0;
  GError *error = NULL;
  char *o = NULL, *e = NULL;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error);
  g_assert_no_error (error);
  if (e && *e)
    g_test_message ("%s: %s", args[0], e);
  if (out)
    *out = o;
  else
    g_free (o);
  if (err)
    *err = e;
  else
    g_free (e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* The output must be exactly one JSON object on one line: balanced braces
 * and brackets outside strings, nothing after. */
static void
assert_one_json_object (const char *text)
{
  g_assert_true (text[0] == '{');
  int depth = 0;
  gboolean in_string = FALSE;
  const char *p = text;
  for (; *p; p++)
    {
      if (in_string)
        {
          if (*p == '\\')
            p++;
          else if (*p == '"')
            in_string = FALSE;
          continue;
        }
      if (*p == '"')
        in_string = TRUE;
      else if (*p == '{' || *p == '[')
        depth++;
      else if (*p == '}' || *p == ']')
        {
          depth--;
          g_assert_cmpint (depth, >=, 0);
          if (depth == 0)
            break;
        }
    }
  g_assert_cmpint (depth, ==, 0);
  g_assert_cmpstr (p + 1, ==, "\n");
}

/* Every "id":N of a queue/predict JSON, in order. */
static GArray *
json_ids (const char *text)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (const char *p = strstr (text, "\"id\":"); p; p = strstr (p + 1, "\"id\":"))
    {
      gint64 id = g_ascii_strtoll (p + 5, NULL, 10);
      g_array_append_val (ids, id);
    }
  return ids;
}

static void
write_png (const char *path, gboolean red, guint seed)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 16; x++)
      {
        guint8 *q = px + y * stride + x * 3;
        guint8 hi = (guint8) g_rand_int_range (rand, 180, 256), lo = (guint8) g_rand_int_range (rand, 0, 60);
        q[0] = red ? hi : lo;
        q[1] = (guint8) g_rand_int_range (rand, 0, 60);
        q[2] = red ? lo : hi;
      }
  g_assert_true (gdk_pixbuf_save (pb, path, "png", NULL, NULL));
}

static char *
json_field (const char *json, const char *after)
{
  const char *p = strstr (json, after);
  g_assert_nonnull (p);
  p += strlen (after);
  const char *end = p + strcspn (p, ",}]");
  return g_strndup (p, end - p);
}

/* A temporary folder with an empty src/ in it, or NULL (the test skipped)
 * when GLEANER_CLI is not set. */
static char *
loop_dir (void)
{
  if (g_getenv ("GLEANER_CLI") == NULL)
    {
      g_test_skip ("GLEANER_CLI is not set");
      return NULL;
    }
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("gl-cli-loop-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *src = g_build_filename (dir, "src", NULL);
  g_assert_cmpint (g_mkdir (src, 0755), ==, 0);
  return dir;
}

static void
test_loop (void)
{
  g_autofree char *dir = loop_dir ();
  if (dir == NULL)
    return;
  g_autofree char *src = g_build_filename (dir, "src", NULL);
  g_autofree char *proj = g_build_filename (dir, "p", NULL);
  g_autofree char *proj2 = g_build_filename (dir, "p2", NULL);
  g_autofree char *out_dir = g_build_filename (dir, "out", NULL);
  g_autofree char *csv_dir = g_build_filename (dir, "csv", NULL);
  g_autoptr (GPtrArray) red = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) blue = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/img-%02u.png", src, i);
      write_png (name, i % 2 == 0, i);
      g_ptr_array_add (i % 2 == 0 ? red : blue, g_steal_pointer (&name));
    }
  g_autofree char *o = NULL, *e = NULL;

  const char *init[] = { "init", proj, "--input", "16x16x3", "--classes", "red,blue", NULL };
  g_assert_cmpint (run (init, NULL, NULL), ==, 0);
  const char *import[] = { "import", proj, src, "--layout", "plain", NULL };
  g_assert_cmpint (run (import, NULL, NULL), ==, 0);

  /* Cold start: the queue ranks for coverage. */
  const char *queue[] = { "queue", proj, "-n", "5", "--json", NULL };
  g_assert_cmpint (run (queue, &o, NULL), ==, 0);
  assert_one_json_object (o);
  g_assert_true (g_str_has_prefix (o, "{\"strategy\":\"default\",\"labeled\":0,\"total\":40,\"items\":[{\"id\":"));
  g_assert_nonnull (strstr (o, "\"reason\":\"coverage (queued before the first model)\""));
  g_autoptr (GArray) ids = json_ids (o);
  g_assert_cmpuint (ids->len, ==, 5);
  g_clear_pointer (&o, g_free);

  /* Label 8 + 8 by path, one more by id. */
  for (guint i = 0; i < 8; i++)
    {
      const char *r[] = { "label", proj, g_ptr_array_index (red, i), "red", NULL };
      const char *b[] = { "label", proj, g_ptr_array_index (blue, i), "blue", NULL };
      g_assert_cmpint (run (r, NULL, NULL), ==, 0);
      g_assert_cmpint (run (b, NULL, NULL), ==, 0);
    }
  /* Errors: an unknown class, an unknown image, a missing argument. */
  const char *bad_class[] = { "label", proj, g_ptr_array_index (red, 9), "green", NULL };
  g_assert_cmpint (run (bad_class, NULL, &e), ==, 1);
  g_assert_nonnull (strstr (e, "green"));
  g_clear_pointer (&e, g_free);
  const char *bad_image[] = { "label", proj, "/no/such.png", "red", NULL };
  g_assert_cmpint (run (bad_image, NULL, &e), ==, 1);
  g_assert_nonnull (strstr (e, "/no/such.png"));
  g_clear_pointer (&e, g_free);
  const char *bad_usage[] = { "label", proj, "x", NULL };
  g_assert_cmpint (run (bad_usage, NULL, NULL), ==, 2);

  /* Undo takes back the last label. */
  const char *undo[] = { "undo", proj, NULL };
  g_assert_cmpint (run (undo, &o, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "img-15.png"));
  g_clear_pointer (&o, g_free);
  const char *relabel[] = { "label", proj, g_ptr_array_index (blue, 7), "blue", NULL };
  g_assert_cmpint (run (relabel, NULL, NULL), ==, 0);

  /* Train: a model version, metrics, the pool rescored. */
  const char *train[] = { "train", proj, "--epochs", "20", "--json", NULL };
  g_assert_cmpint (run (train, &o, NULL), ==, 0);
  assert_one_json_object (o);
  g_assert_true (g_str_has_prefix (o, "{\"model_version\":1,\"train_labels\":"));
  g_assert_nonnull (strstr (o, "\"scored\":40"));
  g_clear_pointer (&o, g_free);

  g_assert_cmpint (run (queue, &o, NULL), ==, 0);
  assert_one_json_object (o);
  g_assert_nonnull (strstr (o, "\"labeled\":16,"));
  g_assert_nonnull (strstr (o, "\"top\":[{\"class\":"));
  g_clear_pointer (&o, g_free);

  const char *stats[] = { "stats", proj, "--json", NULL };
  g_assert_cmpint (run (stats, &o, NULL), ==, 0);
  assert_one_json_object (o);
  g_assert_true (g_str_has_prefix (o, "{\"model_version\":1,\"labels\":16,\"accuracy\":"));
  g_assert_nonnull (strstr (o, "\"classes\":[{\"class\":\"red\",\"precision\":"));
  g_assert_nonnull (strstr (o, "\"learning_curve\":[{\"version\":1,\"labels\":16,"));
  /* The validation confusion matrix: one row per class, counting every
   * validation label once (the supports' sum). */
  const char *conf = strstr (o, "\"confusion\":[[");
  g_assert_nonnull (conf);
  guint64 support_sum = 0, cell_sum = 0, rows = 0;
  for (const char *p = o; (p = strstr (p, "\"support\":")) != NULL && p < conf; p++)
    support_sum += g_ascii_strtoull (p + strlen ("\"support\":"), NULL, 10);
  const char *conf_end = strstr (conf, "]]");
  g_assert_nonnull (conf_end);
  for (const char *p = conf + strlen ("\"confusion\":["); p < conf_end; p++)
    {
      if (*p == '[')
        rows++;
      if (g_ascii_isdigit (*p))
        {
          char *end;
          cell_sum += g_ascii_strtoull (p, &end, 10);
          p = end - 1;
        }
    }
  g_assert_cmpuint (rows, ==, 2); /* red, blue */
  g_assert_cmpuint (support_sum, >, 0);
  g_assert_cmpuint (cell_sum, ==, support_sum);
  g_clear_pointer (&o, g_free);
  const char *stats_text[] = { "stats", proj, NULL };
  g_assert_cmpint (run (stats_text, &o, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "precision"));
  g_assert_nonnull (strstr (o, "confusion matrix on the validation labels"));
  g_assert_null (strstr (o, "nan"));
  g_clear_pointer (&o, g_free);

  const char *predict[] = { "predict", proj, "--json", NULL };
  g_assert_cmpint (run (predict, &o, NULL), ==, 0);
  assert_one_json_object (o);
  g_autoptr (GArray) predicted = json_ids (o);
  g_assert_cmpuint (predicted->len, ==, 40);
  /* The colours are easy: the model gets an unlabeled red image right. */
  g_autofree char *needle = g_strdup_printf ("\"path\":\"%s\",\"class\":", (char *) g_ptr_array_index (red, 15));
  const char *hit = strstr (o, needle);
  g_assert_nonnull (hit);
  g_assert_true (g_str_has_prefix (hit + strlen (needle), "\"red\""));
  g_clear_pointer (&o, g_free);

  /* Rules. */
  const char *rule[] = { "rules", proj, "add", "img-3?.png", "red", NULL };
  g_assert_cmpint (run (rule, &o, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "images suggested"));
  g_clear_pointer (&o, g_free);
  const char *rules_list[] = { "rules", proj, "list", NULL };
  g_assert_cmpint (run (rules_list, &o, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "img-3?.png\tred"));
  g_clear_pointer (&o, g_free);

  /* Export: bad options, then ImageFolder, a non-empty target refused, CSV. */
  const char *bad_split[] = { "export", proj, out_dir, "--format", "imagefolder", "--split", "1,2", NULL };
  g_assert_cmpint (run (bad_split, NULL, &e), ==, 2);
  g_assert_nonnull (strstr (e, "1,2"));
  g_clear_pointer (&e, g_free);
  const char *bad_format[] = { "export", proj, out_dir, "--format", "zip", NULL };
  g_assert_cmpint (run (bad_format, NULL, NULL), ==, 2);
  /* The default split: OUT/train|val|test/CLASS. */
  const char *export[] = { "export", proj, out_dir, "--format", "imagefolder", "--json", NULL };
  g_assert_cmpint (run (export, &o, NULL), ==, 0);
  assert_one_json_object (o);
  g_assert_nonnull (strstr (o, "\"images\":16"));
  g_clear_pointer (&o, g_free);
  g_autofree char *val_red = g_build_filename (out_dir, "val", "red", NULL);
  g_assert_true (g_file_test (val_red, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (run (export, NULL, &e), ==, 1);
  g_assert_nonnull (strstr (e, "not empty"));
  g_clear_pointer (&e, g_free);
  const char *csv[] = { "export", proj, csv_dir, "--format", "csv", "--seed", "4", NULL };
  g_assert_cmpint (run (csv, NULL, NULL), ==, 0);
  g_autofree char *csv_path = g_build_filename (csv_dir, "labels.csv", NULL);
  g_autofree char *csv_text = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv_text, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv_text, "path,label,split,origin,annotator,time\r\n"));

  /* JSON with the model's predictions, plus the model and its class list. */
  g_autofree char *json_dir = g_build_filename (dir, "json", NULL);
  const char *json_export[] = { "export", proj, json_dir, "--format", "json", "--include-model",
                                "--include-predictions", NULL };
  g_assert_cmpint (run (json_export, NULL, NULL), ==, 0);
  g_autofree char *classes_path = g_build_filename (json_dir, "model", "classes.json", NULL);
  g_autofree char *classes_text = NULL;
  g_assert_true (g_file_get_contents (classes_path, &classes_text, NULL, NULL));
  g_assert_cmpstr (classes_text, ==, "[\"red\",\"blue\"]\n");
  g_autofree char *model_path = g_build_filename (json_dir, "model", "model-0001.gleaner-model", NULL);
  g_assert_true (g_file_test (model_path, G_FILE_TEST_IS_REGULAR));
  g_autofree char *manifest_path = g_build_filename (json_dir, "manifest.json", NULL);
  g_autofree char *manifest = NULL;
  g_assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  g_assert_nonnull (strstr (manifest, "\"prediction\":{\"label\":"));

  /* Unconfirmed: the model's predictions for the 24 unlabeled images too, marked as such. */
  g_autofree char *all_dir = g_build_filename (dir, "all", NULL);
  const char *all_export[] = { "export", proj, all_dir, "--format", "csv", "--include-unconfirmed", NULL };
  g_assert_cmpint (run (all_export, NULL, NULL), ==, 0);
  g_autofree char *all_path = g_build_filename (all_dir, "labels.csv", NULL);
  g_autofree char *all_text = NULL;
  g_assert_true (g_file_get_contents (all_path, &all_text, NULL, NULL));
  g_auto (GStrv) all_lines = g_strsplit (all_text, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (all_lines), ==, 1 + 40 + 1);
  guint n_model = 0;
  for (guint i = 1; all_lines[i] && all_lines[i][0]; i++)
    n_model += strstr (all_lines[i], ",model,") != NULL;
  g_assert_cmpuint (n_model, ==, 24);

  /* Re-import the ImageFolder: identical labels per class. */
  const char *init2[] = { "init", proj2, "--input", "16x16x3", "--classes", "red,blue", NULL };
  g_assert_cmpint (run (init2, NULL, NULL), ==, 0);
  const char *import2[] = { "import", proj2, out_dir, "--layout", "imagefolder", "--labels-as", "human", NULL };
  g_assert_cmpint (run (import2, NULL, NULL), ==, 0);
  const char *info1[] = { "info", proj, "--json", NULL };
  const char *info2[] = { "info", proj2, "--json", NULL };
  g_autofree char *a = NULL, *b = NULL;
  g_assert_cmpint (run (info1, &a, NULL), ==, 0);
  g_assert_cmpint (run (info2, &b, NULL), ==, 0);
  g_autofree char *la = json_field (a, "\"labeled\":");
  g_autofree char *lb = json_field (b, "\"labeled\":");
  g_assert_cmpstr (la, ==, "16");
  g_assert_cmpstr (lb, ==, "16");
  g_assert_cmpstr (strstr (a, "\"classes\":["), ==, strstr (b, "\"classes\":["));

  /* Simulate needs reference labels: a clear error here. */
  const char *sim[] = { "simulate", proj, "--strategy", "random", "--seed-labels", "2", "--batch", "2", "--budget",
                        "4", NULL };
  g_assert_cmpint (run (sim, NULL, &e), ==, 1);
  g_assert_nonnull (strstr (e, "reference labels"));
  g_clear_pointer (&e, g_free);
  const char *sim_bad[] = { "simulate", proj, "--strategy", "psychic", NULL };
  g_assert_cmpint (run (sim_bad, NULL, NULL), ==, 2);
  gl_remove_tree (dir);
}

/* Export → import of the ImageFolder by the CLI, with the default split and
 * class names that are not safe folder names (slashes, "..", quotes, %,
 * emoji, emoji only, two that sanitise to the same folder): the new project
 * gets the same class names with the same counts, and no split classes. */
static void
test_round_trip_odd_names (void)
{
  g_autofree char *dir = loop_dir ();
  if (dir == NULL)
    return;
  static const char *const names[] = { "a/b", "a_b", "../x", "say \"q\"", "100%", "😀 smile", "😀", NULL };
  const guint n_names = G_N_ELEMENTS (names) - 1, per = 5;
  g_autofree char *src = g_build_filename (dir, "src", NULL);
  g_autofree char *proj = g_build_filename (dir, "p", NULL);
  g_autofree char *proj2 = g_build_filename (dir, "p2", NULL);
  g_autofree char *out_dir = g_build_filename (dir, "out", NULL);
  g_autofree char *classes = g_strjoinv (",", (char **) names);
  const char *init[] = { "init", proj, "--input", "16x16x3", "--classes", classes, NULL };
  g_assert_cmpint (run (init, NULL, NULL), ==, 0);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_names * per; i++)
    {
      char *name = g_strdup_printf ("%s/img-%02u.png", src, i);
      write_png (name, i % 2 == 0, 100 + i);
      g_ptr_array_add (files, name);
    }
  const char *import[] = { "import", proj, src, NULL };
  g_assert_cmpint (run (import, NULL, NULL), ==, 0);
  for (guint i = 0; i < files->len; i++)
    {
      const char *label[] = { "label", proj, files->pdata[i], names[i % n_names], NULL };
      g_assert_cmpint (run (label, NULL, NULL), ==, 0);
    }
  const char *export[] = { "export", proj, out_dir, "--format", "imagefolder", NULL };
  g_assert_cmpint (run (export, NULL, NULL), ==, 0);
  g_autofree char *test_dir = g_build_filename (out_dir, "test", NULL);
  g_assert_true (g_file_test (test_dir, G_FILE_TEST_IS_DIR));

  /* A project with no classes: every class comes from the export. */
  const char *init2[] = { "init", proj2, "--input", "16x16x3", NULL };
  g_assert_cmpint (run (init2, NULL, NULL), ==, 0);
  const char *import2[] = { "import", proj2, out_dir, "--layout", "imagefolder", NULL };
  g_autofree char *o = NULL;
  g_assert_cmpint (run (import2, &o, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "labeled 35, skipped 0"));
  g_clear_pointer (&o, g_free);
  const char *info2[] = { "info", proj2, "--json", NULL };
  g_assert_cmpint (run (info2, &o, NULL), ==, 0);
  g_assert_nonnull (strstr (o, "\"labeled\":35,"));
  guint n_classes = 0;
  for (const char *p = strstr (o, "{\"name\":"); p; p = strstr (p + 1, "{\"name\":"))
    n_classes++;
  g_assert_cmpuint (n_classes, ==, n_names);
  for (guint k = 0; k < n_names; k++)
    {
      g_auto (GStrv) parts = g_strsplit (names[k], "\"", -1);
      g_autofree char *escaped = g_strjoinv ("\\\"", parts);
      g_autofree char *want = g_strdup_printf ("{\"name\":\"%s\",\"labeled\":%u,", escaped, per);
      g_assert_nonnull (strstr (o, want));
    }
  gl_remove_tree (dir);
}

/* Every command on a PROJECT: a wrong number of arguments or an option out
 * of range is a usage error (2, before the project is opened); a missing
 * project is a failure (1) that names the command and the folder. */
static void
test_usage (void)
{
  const char *const *const usage_errors[] = {
    (const char *const[]) { "queue", NULL },
    (const char *const[]) { "queue", "no-such-project", "-n", "0", NULL },
    (const char *const[]) { "label", "no-such-project", "1", NULL },
    (const char *const[]) { "undo", "no-such-project", "extra", NULL },
    (const char *const[]) { "train", "no-such-project", "--epochs", "-1", NULL },
    (const char *const[]) { "predict", "no-such-project", "extra", NULL },
    (const char *const[]) { "stats", NULL },
    (const char *const[]) { "export", "no-such-project", NULL },
    (const char *const[]) { "export", "no-such-project", "out", NULL },
    (const char *const[]) { "simulate", "no-such-project", NULL },
    (const char *const[]) { "rules", "no-such-project", NULL },
    (const char *const[]) { "stats", "no-such-project", "--no-such-option", NULL },
  };
  /* --version names the engine's kernels (engine/gl-blas.h). */
  g_autofree char *version = NULL;
  g_assert_cmpint (run ((const char *const[]) { "--version", NULL }, &version, NULL), ==, 0);
  g_assert_true (g_str_has_prefix (version, "gleaner-cli "));
  g_assert_nonnull (strstr (version, "Engine: "));
  g_assert_nonnull (strstr (version, " kernels ("));
  g_assert_nonnull (strstr (version, "self-check"));
  for (guint i = 0; i < G_N_ELEMENTS (usage_errors); i++)
    {
      g_autofree char *err = NULL;
      g_assert_cmpint (run (usage_errors[i], NULL, &err), ==, 2);
      g_autofree char *prefix = g_strdup_printf ("gleaner-cli %s: ", usage_errors[i][0]);
      g_assert_true (g_str_has_prefix (err, prefix));
    }
  const char *const *const missing[] = {
    (const char *const[]) { "queue", "no-such-project", NULL },
    (const char *const[]) { "undo", "no-such-project", NULL },
    (const char *const[]) { "train", "no-such-project", NULL },
    (const char *const[]) { "predict", "no-such-project", NULL },
    (const char *const[]) { "stats", "no-such-project", "--json", NULL },
    (const char *const[]) { "rules", "no-such-project", "list", NULL },
    (const char *const[]) { "export", "no-such-project", "out", "--format", "csv", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      g_assert_cmpint (run (missing[i], &out, &err), ==, 1);
      g_assert_cmpstr (out, ==, "");
      g_autofree char *prefix = g_strdup_printf ("gleaner-cli %s: ", missing[i][0]);
      g_assert_true (g_str_has_prefix (err, prefix));
      g_assert_nonnull (strstr (err, "no-such-project"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-loop/usage", test_usage);
  g_test_add_func ("/cli-loop/loop", test_loop);
  g_test_add_func ("/cli-loop/round-trip-odd-names", test_round_trip_odd_names);
  return g_test_run ();
}
