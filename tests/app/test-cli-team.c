/* End-to-end tests of `gleaner-cli annotator`, `agreement` and `conflicts`
 * (env GLEANER_CLI) on a small project labeled by four annotators:
 *   ann  pool images 0–49, always the reference class;
 *   bob  0–49, the next class on every 5th image (10 wrong);
 *   cy   20–59, the class after next on every 4th image (10 wrong);
 *   dee  55 and 56, through `gleaner-cli label` under the name she set with
 *        `gleaner-cli annotator --set dee` (her own config folder).
 * So 52 images are labeled by ≥ 2 annotators, 17 of them with conflicting
 * labels; 7 are majority ties (0, 5, 10, 15: ann against bob; 20, 40: three
 * classes; 56: cy against dee), which the weighting by reference accuracy
 * gives to the more accurate annotator (ann, dee). The
 * figures printed are checked against engine/gl-agreement.h on the same
 * labels; dee's pairs have too little overlap. */
#include "app/gl-project.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "app/gl-trainer.h"
#include "engine/gl-agreement.h"

#include "synth-project.h"

#define N_POOL 60
#define N_ANN 4

typedef struct
{
  char *dir;
  char *proj;
  char *dee_config;
  gint64 ids[N_POOL];          /* pool images, id order */
  gint ref[N_POOL];            /* reference class position */
  gint64 classes[4];           /* class ids by position */
  gint labels[N_POOL * N_ANN]; /* (image, annotator: ann, bob, cy, dee) class position or missing */
} Team;

/* Runs gleaner-cli with @args, as the person whose config folder is
 * @config (NULL: the tests' own); its stdout into @out (may be NULL). */
static int
run_as (const char *config, const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer)g_getenv ("GLEANER_CLI"));
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_auto (GStrv) env = g_get_environ ();
  if (config)
    env = g_environ_setenv (env, "XDG_CONFIG_HOME", config, TRUE);
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *o = NULL, *e = NULL;
  g_spawn_sync (NULL, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status, &error);
  g_assert_no_error (error);
  if (e && *e)
    g_test_message ("%s: %s", args[0], e);
  if (out)
    *out = g_steal_pointer (&o);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
plant (Team *t, GlDb *db, guint image, guint annotator, const char *name, gint klass)
{
  GError *error = NULL;
  g_assert_true (
      gl_db_set_label (db, t->ids[image], t->classes[klass], GL_DB_ORIGIN_HUMAN, name, NULL, &error));
  g_assert_no_error (error);
  t->labels[image * N_ANN + annotator] = klass;
}

static void
team_setup (Team *t, gconstpointer data)
{
  GError *error = NULL;
  t->dir = g_dir_make_tmp ("gl-cli-team-XXXXXX", &error);
  g_assert_no_error (error);
  g_autoptr (GlProject) p = synth_project (t->dir, N_POOL, 8);
  t->proj = g_build_filename (t->dir, "project", NULL);
  t->dee_config = g_build_filename (t->dir, "dee-config", NULL);
  GlDb *db = gl_project_get_db (p);
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (classes->len, ==, 4);
  for (guint c = 0; c < 4; c++)
    t->classes[c] = g_array_index (classes, GlDbClass, c).id;
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  guint n = 0;
  for (guint i = 0; i < images->len && n < N_POOL; i++)
    {
      const GlPoolImage *im = &g_array_index (images, GlPoolImage, i);
      if (im->held_out)
        continue;
      t->ids[n] = im->image_id;
      gint64 ref = synth_reference (db, im->image_id);
      for (gint c = 0; c < 4; c++)
        if (t->classes[c] == ref)
          t->ref[n] = c;
      n++;
    }
  g_assert_cmpuint (n, ==, N_POOL);
  for (guint i = 0; i < N_POOL * N_ANN; i++)
    t->labels[i] = GL_AGREEMENT_MISSING;
  for (guint i = 0; i < 50; i++)
    {
      plant (t, db, i, 0, "ann", t->ref[i]);
      plant (t, db, i, 1, "bob", i % 5 == 0 ? (t->ref[i] + 1) % 4 : t->ref[i]);
    }
  for (guint i = 20; i < N_POOL; i++)
    plant (t, db, i, 2, "cy", i % 4 == 0 ? (t->ref[i] + 2) % 4 : t->ref[i]);
}

static void
team_teardown (Team *t, gconstpointer data)
{
  gl_remove_tree (t->dir);
  g_free (t->dir);
  g_free (t->proj);
  g_free (t->dee_config);
}

/* dee sets her name once and labels two of cy's images through the CLI. */
static void
dee_labels (Team *t)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--set", "dee", NULL }, NULL),
                   ==, 0);
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--json", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"name\":\"dee\",\"source\":\"file\""));
  for (guint i = 55; i <= 56; i++)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, t->ids[i]);
      g_assert_cmpint (run_as (t->dee_config,
                               (const char *const[]){ "label", t->proj, id, synth_classes[t->ref[i]], NULL },
                               NULL),
                       ==, 0);
      t->labels[i * N_ANN + 3] = t->ref[i];
    }
  /* History shows her name. */
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, t->ids[55]);
  g_autofree char *hist = NULL;
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "history", t->proj, id, "--json", NULL }, &hist), ==,
                   0);
  g_assert_nonnull (strstr (hist, "\"annotator\":\"dee\""));
  g_assert_nonnull (strstr (hist, "\"annotator\":\"cy\""));
}

/* The number after @key in @text at or after @from (NaN if absent or null). */
static double
number_after (const char *text, const char *from, const char *key)
{
  const char *at = strstr (from ? from : text, key);
  if (at == NULL || strncmp (at + strlen (key), "null", 4) == 0)
    return NAN;
  return g_ascii_strtod (at + strlen (key), NULL);
}

/* The images labeled by ≥ 2 annotators, in id order (= the report's items). */
static gsize
shared_matrix (const Team *t, gint *out)
{
  gsize n = 0;
  for (guint i = 0; i < N_POOL; i++)
    {
      guint m = 0;
      for (guint a = 0; a < N_ANN; a++)
        m += t->labels[i * N_ANN + a] >= 0;
      if (m >= 2)
        memcpy (out + N_ANN * n++, t->labels + i * N_ANN, sizeof (gint) * N_ANN);
    }
  return n;
}

static void
test_agreement (Team *t, gconstpointer data)
{
  dee_labels (t);
  g_autofree char *json = NULL;
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "agreement", t->proj, "--json", NULL }, &json), ==,
                   0);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "\"images_shared\":52,\"min_overlap\":20"));
  /* Reference accuracy: ann 50/50, bob 40/50, cy 30/40, dee 2/2. */
  g_assert_nonnull (strstr (json, "{\"name\":\"ann\",\"labeled\":50,\"audited\":50,\"correct\":50,"));
  g_assert_nonnull (strstr (json, "{\"name\":\"bob\",\"labeled\":50,\"audited\":50,\"correct\":40,"));
  g_assert_nonnull (strstr (json, "{\"name\":\"cy\",\"labeled\":40,\"audited\":40,\"correct\":30,"));
  g_assert_nonnull (strstr (json, "{\"name\":\"dee\",\"labeled\":2,\"audited\":2,\"correct\":2,"));

  gint m[N_POOL * N_ANN];
  gsize n = shared_matrix (t, m);
  g_assert_cmpuint (n, ==, 52);
  GlAgreement k, k_class, alpha;
  gl_agreement_kappa (m, n, N_ANN, 0, 1, 4, -1, &k);
  gl_agreement_kappa (m, n, N_ANN, 0, 1, 4, 2, &k_class);
  gl_agreement_alpha (m, n, N_ANN, 4, GL_AGREEMENT_DEFAULT_BOOT, 1, &alpha, NULL);
  const char *pair = strstr (json, "{\"a\":\"ann\",\"b\":\"bob\",\"kappa\":");
  g_assert_nonnull (pair);
  g_assert_cmpfloat_with_epsilon (number_after (json, pair, "\"value\":"), k.value, 1e-5);
  g_assert_cmpfloat_with_epsilon (number_after (json, pair, "\"ci_low\":"), k.ci_low, 1e-5);
  g_assert_cmpfloat (number_after (json, pair, "\"n_items\":"), ==, 50);
  const char *cls = strstr (pair, "{\"class\":\"bottom-left\",\"kappa\":");
  g_assert_nonnull (cls);
  g_assert_cmpfloat_with_epsilon (number_after (json, cls, "\"value\":"), k_class.value, 1e-5);
  const char *a = strstr (json, "\"alpha\":{");
  g_assert_nonnull (a);
  g_assert_cmpfloat_with_epsilon (number_after (json, a, "\"value\":"), alpha.value, 1e-5);
  g_assert_cmpfloat_with_epsilon (number_after (json, a, "\"ci_high\":"), alpha.ci_high, 1e-5);
  g_assert_nonnull (strstr (a, "\"n_items\":52,\"n_values\":134,\"n_boot\":1000,\"enough\":true"));
  /* dee shares 2 images with cy and none with ann or bob. */
  const char *dee = strstr (json, "{\"a\":\"cy\",\"b\":\"dee\",\"kappa\":");
  g_assert_nonnull (dee);
  g_assert_nonnull (strstr (dee, "\"n_items\":2,\"n_values\":4,\"n_boot\":0,\"enough\":false"));
  g_assert_null (
      strstr (json, "\"b\":\"dee\",\"kappa\":{\"value\":null,\"ci_low\":null,\"ci_high\":null,\"se\":null,"
                    "\"n_items\":0"));

  g_autofree char *text = NULL;
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "agreement", t->proj, NULL }, &text), ==, 0);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "ann · bob"));
  g_assert_nonnull (strstr (text, "cy · dee"));
  g_assert_nonnull (strstr (text, "not enough overlap: 2 shared images (need 20)"));
  /* cy never says top-left on the images shared with ann (she is wrong on
   * every one of them): κ 0 by construction, no interval. */
  g_assert_nonnull (strstr (text, "κ = 0.000, no interval: one annotator gave one answer only  n = 30"));
  g_assert_nonnull (strstr (text, "bob                  50 labels  40/50 = 0.800"));
  g_autofree char *kappa_line
      = g_strdup_printf ("κ = %.3f [%.3f, %.3f]  n = 50", k.value, k.ci_low, k.ci_high);
  g_assert_nonnull (strstr (text, kappa_line));
  g_autofree char *alpha_line
      = g_strdup_printf ("α = %.3f [%.3f, %.3f]  n = 52", alpha.value, alpha.ci_low, alpha.ci_high);
  g_assert_nonnull (strstr (text, alpha_line));

  /* Asking for more overlap than there is: every estimate says so. */
  g_autofree char *strict = NULL;
  g_assert_cmpint (
      run_as (NULL, (const char *const[]){ "agreement", t->proj, "--min-overlap", "60", NULL }, &strict), ==,
      0);
  g_assert_nonnull (strstr (strict, "not enough overlap: 50 shared images (need 60)"));
  g_assert_nonnull (strstr (strict, "not enough overlap: 52 images labeled by ≥ 2 (need 60)"));
}

static guint
count_of (const char *text, const char *what)
{
  guint n = 0;
  for (const char *p = strstr (text, what); p; p = strstr (p + 1, what))
    n++;
  return n;
}

static void
test_conflicts (Team *t, gconstpointer data)
{
  dee_labels (t);
  g_autofree char *json = NULL;
  g_assert_cmpint (
      run_as (NULL, (const char *const[]){ "conflicts", t->proj, "--json", "-n", "0", NULL }, &json), ==, 0);
  g_test_message ("%s", json);
  g_assert_nonnull (strstr (json, "{\"images_shared\":52,\"conflicts\":17,\"images\":["));
  g_assert_cmpuint (count_of (json, "{\"id\":"), ==, 17);
  /* The 7 majority ties come first. */
  g_assert_cmpuint (count_of (json, "\"majority\":{\"class\":null"), ==, 7);
  const char *eighth = json;
  for (int i = 0; i < 8; i++)
    eighth = strstr (eighth + 1, "{\"id\":");
  g_assert_null (g_strstr_len (json, eighth - json, "\"majority\":{\"class\":\""));
  /* Image 0: ann against bob, a tie; weighted by accuracy: ann's, the reference. */
  g_autofree char *first = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",", t->ids[0]);
  const char *e = strstr (json, first);
  g_assert_nonnull (e);
  g_autofree char *tie = g_strdup_printf ("\"majority\":{\"class\":null,\"tie\":[\"%s\",\"%s\"]",
                                          synth_classes[MIN (t->ref[0], (t->ref[0] + 1) % 4)],
                                          synth_classes[MAX (t->ref[0], (t->ref[0] + 1) % 4)]);
  g_assert_nonnull (strstr (e, tie));
  g_autofree char *weighted
      = g_strdup_printf ("\"weighted\":{\"class\":\"%s\",\"tie\":[]", synth_classes[t->ref[0]]);
  g_assert_nonnull (strstr (e, weighted));
  /* Image 25: bob wrong (every 5th) with ann and cy right: a 2-of-3 majority. */
  g_autofree char *im25 = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",", t->ids[25]);
  e = strstr (json, im25);
  g_assert_nonnull (e);
  g_autofree char *maj = g_strdup_printf ("\"majority\":{\"class\":\"%s\",\"tie\":[],\"support\":0.666667",
                                          synth_classes[t->ref[25]]);
  g_assert_nonnull (strstr (e, maj));
  /* Image 56: cy against dee (set through the CLI); dee's weight is higher. */
  g_autofree char *im56 = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",", t->ids[56]);
  e = strstr (json, im56);
  g_assert_nonnull (e);
  g_autofree char *dee_wins
      = g_strdup_printf ("\"weighted\":{\"class\":\"%s\",\"tie\":[]", synth_classes[t->ref[56]]);
  g_assert_nonnull (strstr (e, dee_wins));
  /* Images every annotator agrees on are not listed. */
  g_autofree char *im1 = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",", t->ids[1]);
  g_assert_null (strstr (json, im1));

  g_autofree char *text = NULL;
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "conflicts", t->proj, "-n", "3", NULL }, &text), ==,
                   0);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "17 of 52 images labeled by ≥ 2 annotators have conflicting labels"));
  g_assert_cmpuint (count_of (text, "\nimage "), ==, 3);
  g_autofree char *pair56 = g_strdup_printf ("\n  cy: %s · dee: %s\n", synth_classes[(t->ref[56] + 2) % 4],
                                             synth_classes[t->ref[56]]);
  g_assert_nonnull (strstr (text, pair56));
  g_assert_nonnull (strstr (text, "majority: tie between "));
  g_assert_nonnull (strstr (text, "… 14 more (-n 0 shows all)"));
}

static void
test_bad_input (Team *t, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (t->dir, "no-such-project", NULL);
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "agreement", missing, NULL }, NULL), ==, 1);
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "agreement", NULL }, NULL), ==, 2);
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "agreement", t->proj, "--boot", "0", NULL }, NULL),
                   ==, 2);
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "conflicts", t->proj, "-n", "-1", NULL }, NULL), ==,
                   2);
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--set", "", NULL }, NULL), ==,
                   1);
  g_assert_cmpint (
      run_as (t->dee_config, (const char *const[]){ "annotator", "--set", "import", NULL }, NULL), ==, 1);
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--set", " dee", NULL }, NULL),
                   ==, 1);
  g_assert_cmpint (
      run_as (t->dee_config, (const char *const[]){ "annotator", "--set", "a", "--clear", NULL }, NULL), ==,
      2);
  /* Nothing was stored by the rejected names: the login name is used. */
  g_autofree char *out = NULL;
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--json", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"source\":\"login\""));
  /* Set, then cleared. */
  g_assert_cmpint (
      run_as (t->dee_config, (const char *const[]){ "annotator", "--set", "Dee Q.", NULL }, NULL), ==, 0);
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--clear", NULL }, NULL), ==,
                   0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_as (t->dee_config, (const char *const[]){ "annotator", "--json", NULL }, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"source\":\"login\""));
  /* A project nobody shares: reported, not an error. */
  g_autofree char *text = NULL;
  g_autofree char *fresh_dir = g_build_filename (t->dir, "fresh", NULL);
  g_mkdir (fresh_dir, 0700);
  g_autoptr (GlProject) fresh = synth_project (fresh_dir, 8, 4);
  g_autofree char *fresh_proj = g_build_filename (fresh_dir, "project", NULL);
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "conflicts", fresh_proj, NULL }, &text), ==, 0);
  g_assert_nonnull (strstr (text, "no image was labeled by two annotators"));
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "agreement", fresh_proj, NULL }, &text), ==, 0);
  g_assert_nonnull (strstr (text, "no two annotators labeled the same image"));
}

/* The text of the JSON object of image @id in a manifest (up to the next image). */
static char *
manifest_entry (const char *manifest, gint64 id)
{
  g_autofree char *key = g_strdup_printf ("{\"id\":%" G_GINT64_FORMAT ",", id);
  const char *at = strstr (manifest, key);
  if (at == NULL)
    return NULL;
  const char *end = strstr (at + 1, "{\"id\":");
  return end ? g_strndup (at, end - at) : g_strdup (at);
}

/* Export: an image several annotators labeled carries their weighted
 * consensus (computed here with engine/gl-agreement.h from the planted
 * labels and the annotators' reference accuracy), every other image its one
 * label; --include-annotators lists every annotator's label; --labels
 * newest gives the newest label instead. */
static void
test_export (Team *t, gconstpointer data)
{
  dee_labels (t);
  g_autofree char *target = g_build_filename (t->dir, "export-json", NULL);
  g_autofree char *out = NULL;
  g_assert_cmpint (run_as (NULL,
                           (const char *const[]){ "export", t->proj, target, "--format", "json",
                                                  "--include-annotators", "--json", NULL },
                           &out),
                   ==, 0);
  g_test_message ("%s", out);
  /* 60 labeled images, 52 by ≥ 2 annotators, no weighted tie. */
  g_assert_nonnull (strstr (out, "\"images\":60,"));
  g_assert_nonnull (strstr (out, "\"consensus\":52,\"left_out_ties\":0}"));
  g_autofree char *path = g_build_filename (target, "manifest.json", NULL);
  g_autofree char *manifest = NULL;
  g_assert_true (g_file_get_contents (path, &manifest, NULL, NULL));

  const guint64 correct[N_ANN] = { 50, 40, 30, 2 }, audited[N_ANN] = { 50, 50, 40, 2 };
  double accuracy[N_ANN], weights[N_ANN];
  gl_agreement_weights (correct, audited, N_ANN, 4, 0, accuracy, weights);
  static const char *const names[N_ANN] = { "ann", "bob", "cy", "dee" };
  guint changed = 0;
  for (guint i = 0; i < N_POOL; i++)
    {
      const gint *row = t->labels + i * N_ANN;
      guint given = 0;
      gint only = -1;
      for (guint a = 0; a < N_ANN; a++)
        if (row[a] >= 0)
          {
            given++;
            only = row[a];
          }
      g_autofree char *entry = manifest_entry (manifest, t->ids[i]);
      g_assert_nonnull (entry);
      gint expect = only;
      if (given >= 2)
        {
          GlConsensus c;
          gl_agreement_weighted (row, 1, N_ANN, 4, weights, &c);
          g_assert_cmpint (c.klass, >=, 0);
          expect = c.klass;
          g_assert_nonnull (strstr (entry, "\"origin\":\"consensus\",\"annotator\":null"));
        }
      else
        g_assert_nonnull (strstr (entry, "\"origin\":\"human\",\"annotator\":\"cy\""));
      g_autofree char *label = g_strdup_printf ("\"label\":\"%s\"", synth_classes[expect]);
      g_assert_nonnull (strstr (entry, label));
      /* Every annotator's label, by name. */
      g_autoptr (GString) votes = g_string_new ("\"annotators\":[");
      gboolean first = TRUE;
      for (guint a = 0; a < N_ANN; a++)
        if (row[a] >= 0)
          {
            g_string_append_printf (votes, "%s{\"annotator\":\"%s\",\"label\":\"%s\"}", first ? "" : ",", names[a],
                                    synth_classes[row[a]]);
            first = FALSE;
          }
      g_string_append_c (votes, ']');
      g_assert_nonnull (strstr (entry, votes->str));
      /* The newest label of images 20–49 is cy's (planted last), of 0–19 bob's. */
      gint newest = i < 20 ? row[1] : i >= 55 && i <= 56 ? row[3] : row[2];
      changed += given >= 2 && newest != expect;
    }
  /* The consensus differs from the newest label where cy or bob was wrong
   * against the others: the export would have carried their mistakes. */
  g_assert_cmpuint (changed, >, 0);

  /* CSV: one label column per annotator, sorted by name. */
  g_autofree char *csv_target = g_build_filename (t->dir, "export-csv", NULL);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_as (NULL,
                           (const char *const[]){ "export", t->proj, csv_target, "--format", "csv",
                                                  "--include-annotators", NULL },
                           &out),
                   ==, 0);
  g_autofree char *csv_path = g_build_filename (csv_target, "labels.csv", NULL);
  g_autofree char *csv = NULL;
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "path,label,split,origin,annotator,time,label:ann,label:bob,label:cy,label:dee\r\n"));
  g_assert_cmpuint (count_of (csv, "\r\n"), ==, 61);

  /* --labels newest: the newest label, with its annotator. */
  g_autofree char *newest_target = g_build_filename (t->dir, "export-newest", NULL);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_as (NULL,
                           (const char *const[]){ "export", t->proj, newest_target, "--format", "json", "--labels",
                                                  "newest", "--json", NULL },
                           &out),
                   ==, 0);
  g_assert_nonnull (strstr (out, "\"consensus\":0,\"left_out_ties\":0}"));
  g_autofree char *newest_path = g_build_filename (newest_target, "manifest.json", NULL);
  g_clear_pointer (&manifest, g_free);
  g_assert_true (g_file_get_contents (newest_path, &manifest, NULL, NULL));
  g_assert_cmpuint (count_of (manifest, "\"origin\":\"consensus\""), ==, 0);
  g_assert_null (strstr (manifest, "\"annotators\":"));
  g_autofree char *e0 = manifest_entry (manifest, t->ids[0]);
  g_autofree char *bob0 = g_strdup_printf ("\"label\":\"%s\",\"class_id\":%d,\"split\":", synth_classes[t->labels[1]],
                                           t->labels[1]);
  g_assert_nonnull (strstr (e0, bob0));
  g_assert_nonnull (strstr (e0, "\"annotator\":\"bob\""));

  /* Bad choices are refused, naming the value. */
  g_autofree char *bad_target = g_build_filename (t->dir, "export-bad", NULL);
  g_assert_cmpint (run_as (NULL,
                           (const char *const[]){ "export", t->proj, bad_target, "--format", "json", "--labels",
                                                  "latest", NULL },
                           NULL),
                   ==, 2);
  g_assert_cmpint (run_as (NULL,
                           (const char *const[]){ "export", t->proj, bad_target, "--format", "imagefolder",
                                                  "--include-annotators", NULL },
                           NULL),
                   ==, 2);
  g_assert_false (g_file_test (bad_target, G_FILE_TEST_EXISTS));
}

/* Two annotators of equal measured accuracy who disagree: nobody can say
 * which label is right, so the image is left out of a consensus export,
 * counted and named in the message; --labels newest keeps it. */
static void
test_export_ties (Team *t, gconstpointer data)
{
  GError *error = NULL;
  g_autofree char *dir = g_build_filename (t->dir, "ties", NULL);
  g_mkdir (dir, 0700);
  g_autoptr (GlProject) p = synth_project (dir, 8, 4);
  g_autofree char *proj = g_build_filename (dir, "project", NULL);
  GlDb *db = gl_project_get_db (p);
  g_autoptr (GArray) classes = gl_db_list_classes (db, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr (GArray) images = gl_trainer_list_images (gl_project_get_db_path (p), &error);
  g_assert_no_error (error);
  gint64 ids[3], ref[3];
  guint n = 0;
  for (guint i = 0; i < images->len && n < 3; i++)
    if (!g_array_index (images, GlPoolImage, i).held_out)
      {
        ids[n] = g_array_index (images, GlPoolImage, i).image_id;
        ref[n] = synth_reference (db, ids[n]);
        n++;
      }
  g_assert_cmpuint (n, ==, 3);
  gint64 other[3];
  for (guint i = 0; i < 3; i++)
    other[i] = g_array_index (classes, GlDbClass, 0).id == ref[i] ? g_array_index (classes, GlDbClass, 1).id
                                                                    : g_array_index (classes, GlDbClass, 0).id;
  /* x right on image 0, wrong on 1; y the other way round: both 1 of 2. */
  g_assert_true (gl_db_set_label (db, ids[0], ref[0], GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[1], other[1], GL_DB_ORIGIN_HUMAN, "x", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[0], other[0], GL_DB_ORIGIN_HUMAN, "y", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[1], ref[1], GL_DB_ORIGIN_HUMAN, "y", NULL, &error));
  g_assert_true (gl_db_set_label (db, ids[2], ref[2], GL_DB_ORIGIN_HUMAN, "z", NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&p, gl_project_close);

  g_autofree char *target = g_build_filename (dir, "out", NULL);
  g_autofree char *out = NULL;
  g_assert_cmpint (run_as (NULL, (const char *const[]){ "export", proj, target, "--format", "csv", NULL }, &out), ==,
                   0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "exported 1 labeled images"));
  g_assert_nonnull (strstr (out, "left out 2 images whose annotators tie: resolve them with gleaner-cli conflicts"));
  g_autofree char *newest = g_build_filename (dir, "newest", NULL);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (
      run_as (NULL, (const char *const[]){ "export", proj, newest, "--format", "csv", "--labels", "newest", NULL },
              &out),
      ==, 0);
  g_assert_nonnull (strstr (out, "exported 3 labeled images"));
  g_assert_null (strstr (out, "left out"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cli/team/agreement", Team, NULL, team_setup, test_agreement, team_teardown);
  g_test_add ("/cli/team/conflicts", Team, NULL, team_setup, test_conflicts, team_teardown);
  g_test_add ("/cli/team/bad-input", Team, NULL, team_setup, test_bad_input, team_teardown);
  g_test_add ("/cli/team/export", Team, NULL, team_setup, test_export, team_teardown);
  g_test_add ("/cli/team/export-ties", Team, NULL, team_setup, test_export_ties, team_teardown);
  return g_test_run ();
}
