/* gl-cli-team.c — gleaner-cli for several annotators on one project:
 *   annotator   who labels on this desktop (set once, kept per user)
 *   agreement   Cohen's κ per pair, Krippendorff's α, overall and per class
 *   conflicts   images whose annotators disagree, with the consensus
 * The figures come from app/gl-agreement-report.h. */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>

#include "app/gl-agreement-report.h"
#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-identity.h"
#include "app/gl-path.h"
#include "app/gl-project.h"

/* ---- annotator ---------------------------------------------------------- */

static char *annotator_set;      /* --set NAME */
static gboolean annotator_clear; /* --clear */

const GOptionEntry gl_cli_annotator_options[] = {
  { "set", 0, 0, G_OPTION_ARG_STRING, &annotator_set, "Give labels as NAME from now on (kept per user)",
    "NAME" },
  { "clear", 0, 0, G_OPTION_ARG_NONE, &annotator_clear, "Forget the name: labels are given as the login name",
    NULL },
  { NULL },
};

int
gl_cli_annotator (int argc, char **argv)
{
  if (argc != 1 || (annotator_set && annotator_clear))
    return gl_cli_usage ("annotator");
  g_autoptr (GError) error = NULL;
  g_autofree char *before = gl_identity_current (NULL);
  if ((annotator_set || annotator_clear) && !gl_identity_save (annotator_set, &error))
    return gl_cli_fail ("annotator", error);
  gboolean from_file;
  g_autofree char *name = gl_identity_current (&from_file);
  g_autofree char *path = gl_identity_path ();
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new ("{\"name\":");
      gl_json_append_string (out, name);
      g_string_append_printf (out, ",\"source\":\"%s\",\"file\":", from_file ? "file" : "login");
      gl_json_append_string (out, path);
      g_string_append (out, ",\"previous\":");
      gl_json_append_string (out, before);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
      return GL_CLI_EXIT_OK;
    }
  if (from_file)
    printf ("%s (set in %s)\n", name, path);
  else
    printf ("%s (the login name; set yours with: gleaner-cli annotator --set NAME)\n", name);
  if (g_strcmp0 (before, name) != 0)
    printf ("labels given before stay under “%s”\n", before);
  return GL_CLI_EXIT_OK;
}

/* ---- agreement ---------------------------------------------------------- */

static int agreement_min_overlap = GL_AGREEMENT_MIN_OVERLAP;
static int agreement_boot = GL_AGREEMENT_DEFAULT_BOOT;
static gint64 agreement_seed = 1;

const GOptionEntry gl_cli_agreement_options[] = {
  { "min-overlap", 0, 0, G_OPTION_ARG_INT, &agreement_min_overlap,
    "Fewest shared images for an estimate (default " G_STRINGIFY (GL_AGREEMENT_MIN_OVERLAP) ")", "N" },
  { "boot", 0, 0, G_OPTION_ARG_INT, &agreement_boot,
    "Bootstrap resamples of α (default " G_STRINGIFY (GL_AGREEMENT_DEFAULT_BOOT) ")", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &agreement_seed, "Seed of the bootstrap (default 1)", "S" },
  { NULL },
};

/* Opens @dir and builds its report; NULL after printing the error. */
static GlAgreementReport *
open_report (const char *command, const char *dir, GlProject **project)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (dir, &error);
  GlAgreementOptions o;
  gl_agreement_options_init (&o);
  o.min_overlap = (guint)agreement_min_overlap;
  o.n_boot = (guint)agreement_boot;
  o.seed = (guint64)agreement_seed;
  GlAgreementReport *r = p ? gl_agreement_report_new (gl_project_get_db (p), &o, &error) : NULL;
  if (r == NULL)
    {
      gl_cli_fail (command, error);
      return NULL;
    }
  *project = g_steal_pointer (&p);
  return r;
}

static void
json_estimate (GString *out, const GlAgreement *a, gboolean enough)
{
  g_string_append (out, "{\"value\":");
  gl_json_append_double (out, a->value);
  g_string_append (out, ",\"ci_low\":");
  gl_json_append_double (out, a->ci_low);
  g_string_append (out, ",\"ci_high\":");
  gl_json_append_double (out, a->ci_high);
  g_string_append (out, ",\"se\":");
  gl_json_append_double (out, a->se);
  g_string_append_printf (out,
                          ",\"n_items\":%" G_GUINT64_FORMAT ",\"n_values\":%" G_GUINT64_FORMAT
                          ",\"n_boot\":%u,\"enough\":%s}",
                          a->n_items, a->n_values, a->n_boot, enough ? "true" : "false");
}

/* One text line: "κ = 0.812 [0.700, 0.924]  n = 45" or why there is none. */
static void
text_estimate (GString *out, const char *symbol, const GlAgreement *a, guint min_overlap, const char *what)
{
  if (a->n_items < min_overlap)
    g_string_append_printf (out, "not enough overlap: %" G_GUINT64_FORMAT " %s (need %u)\n", a->n_items, what,
                            min_overlap);
  else if (isnan (a->value))
    g_string_append_printf (out, "%s undefined: one class only  n = %" G_GUINT64_FORMAT "\n", symbol,
                            a->n_items);
  else if (isnan (a->ci_low))
    g_string_append_printf (
        out, "%s = %.3f, no interval: one annotator gave one answer only  n = %" G_GUINT64_FORMAT "\n",
        symbol, a->value, a->n_items);
  else
    g_string_append_printf (out, "%s = %.3f [%.3f, %.3f]  n = %" G_GUINT64_FORMAT "\n", symbol, a->value,
                            a->ci_low, a->ci_high, a->n_items);
}

static const char *
annotator_name (const GlAgreementReport *r, guint i)
{
  return g_array_index (r->team.annotators, GlDbAnnotator, i).name;
}

static void
json_annotators (GString *out, const GlAgreementReport *r)
{
  g_string_append (out, "\"annotators\":[");
  for (guint i = 0; i < r->n_annotators; i++)
    {
      const GlDbAnnotator *a = &g_array_index (r->team.annotators, GlDbAnnotator, i);
      double lo, hi;
      gl_agreement_wilson (a->correct, a->audited, &lo, &hi);
      g_string_append (out, i ? ",{\"name\":" : "{\"name\":");
      gl_json_append_string (out, a->name);
      g_string_append_printf (out,
                              ",\"labeled\":%" G_GUINT64_FORMAT ",\"audited\":%" G_GUINT64_FORMAT
                              ",\"correct\":%" G_GUINT64_FORMAT ",\"accuracy\":",
                              a->labeled, a->audited, a->correct);
      gl_json_append_double (out, a->audited ? (double)a->correct / a->audited : NAN);
      g_string_append (out, ",\"accuracy_ci_low\":");
      gl_json_append_double (out, lo);
      g_string_append (out, ",\"accuracy_ci_high\":");
      gl_json_append_double (out, hi);
      g_string_append (out, ",\"accuracy_shrunk\":");
      gl_json_append_double (out, r->accuracy[i]);
      g_string_append (out, ",\"weight\":");
      gl_json_append_double (out, r->weights[i]);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

static void
text_annotators (GString *out, const GlAgreementReport *r)
{
  g_string_append (out,
                   "Annotators (current labels; accuracy on reference labels [95% CI] → shrunk, weight):\n");
  for (guint i = 0; i < r->n_annotators; i++)
    {
      const GlDbAnnotator *a = &g_array_index (r->team.annotators, GlDbAnnotator, i);
      g_string_append_printf (out, "  %-16s %6" G_GUINT64_FORMAT " labels  ", a->name, a->labeled);
      if (a->audited == 0)
        g_string_append (out, "no reference labels");
      else
        {
          double lo, hi;
          gl_agreement_wilson (a->correct, a->audited, &lo, &hi);
          g_string_append_printf (out, "%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " = %.3f [%.3f, %.3f]",
                                  a->correct, a->audited, (double)a->correct / a->audited, lo, hi);
        }
      if (isnan (r->accuracy[i]))
        g_string_append_printf (out, "  → weight %.2f (no reference labels in the team: majority)\n",
                                r->weights[i]);
      else
        g_string_append_printf (out, "  → %.3f, weight %.2f\n", r->accuracy[i], r->weights[i]);
    }
}

/* [{"class":NAME,"@key":estimate}, …] over the classes. */
static void
json_per_class (GString *out, const GlAgreementReport *r, const char *key, const GlAgreement *per_class,
                gboolean enough)
{
  g_string_append_c (out, '[');
  for (guint c = 0; c < r->n_classes; c++)
    {
      g_string_append (out, c ? ",{\"class\":" : "{\"class\":");
      gl_json_append_string (out, r->class_names[c]);
      g_string_append_printf (out, ",\"%s\":", key);
      json_estimate (out, &per_class[c], enough);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

static void
agreement_json (const GlAgreementReport *r)
{
  g_autoptr (GString) out = g_string_new ("{");
  json_annotators (out, r);
  g_string_append_printf (out, ",\"images_shared\":%" G_GSIZE_FORMAT ",\"min_overlap\":%u,\"pairs\":[",
                          r->n_items, r->min_overlap);
  for (guint i = 0; i < r->pairs->len; i++)
    {
      const GlAgreementPair *p = &g_array_index (r->pairs, GlAgreementPair, i);
      g_string_append (out, i ? ",{\"a\":" : "{\"a\":");
      gl_json_append_string (out, annotator_name (r, p->a));
      g_string_append (out, ",\"b\":");
      gl_json_append_string (out, annotator_name (r, p->b));
      g_string_append (out, ",\"kappa\":");
      json_estimate (out, &p->kappa, p->enough);
      g_string_append (out, ",\"classes\":");
      json_per_class (out, r, "kappa", p->per_class, p->enough);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],\"alpha\":");
  json_estimate (out, &r->alpha, r->enough_alpha);
  g_string_append (out, ",\"alpha_classes\":");
  json_per_class (out, r, "alpha", r->alpha_per_class, r->enough_alpha);
  g_string_append_c (out, '}');
  gl_cli_print_json (out);
}

static void
agreement_text (const GlAgreementReport *r)
{
  g_autoptr (GString) out = g_string_new (NULL);
  text_annotators (out, r);
  g_string_append_printf (out,
                          "\nImages labeled by at least 2 annotators: %" G_GSIZE_FORMAT
                          " (an estimate needs %u shared images)\n",
                          r->n_items, r->min_overlap);
  g_string_append (out, "\nCohen's κ per pair (95% CI, Fleiss–Cohen–Everitt; n = images both labeled):\n");
  if (r->pairs->len == 0)
    g_string_append (out, "  no two annotators labeled the same image\n");
  for (guint i = 0; i < r->pairs->len; i++)
    {
      const GlAgreementPair *p = &g_array_index (r->pairs, GlAgreementPair, i);
      g_autofree char *who = g_strdup_printf ("%s · %s", annotator_name (r, p->a), annotator_name (r, p->b));
      g_string_append_printf (out, "  %-24s ", who);
      text_estimate (out, "κ", &p->kappa, r->min_overlap, "shared images");
      for (guint c = 0; p->enough && c < r->n_classes; c++)
        {
          g_string_append_printf (out, "    %-22s ", r->class_names[c]);
          text_estimate (out, "κ", &p->per_class[c], r->min_overlap, "shared images");
        }
    }
  g_string_append (out, "\nKrippendorff's α, nominal (95% bootstrap CI; n = images labeled by ≥ 2):\n");
  g_string_append_printf (out, "  %-24s ", "all classes");
  text_estimate (out, "α", &r->alpha, r->min_overlap, "images labeled by ≥ 2");
  for (guint c = 0; r->enough_alpha && c < r->n_classes; c++)
    {
      g_string_append_printf (out, "  %-24s ", r->class_names[c]);
      text_estimate (out, "α", &r->alpha_per_class[c], r->min_overlap, "images labeled by ≥ 2");
    }
  if (r->enough_alpha)
    g_string_append_printf (out, "  (%" G_GUINT64_FORMAT " labels, %u bootstrap resamples)\n",
                            r->alpha.n_values, r->alpha.n_boot);
  fwrite (out->str, 1, out->len, stdout);
}

int
gl_cli_agreement (int argc, char **argv)
{
  if (argc != 2 || agreement_min_overlap < 1 || agreement_boot < 1)
    {
      if (argc == 2)
        g_printerr ("gleaner-cli agreement: --min-overlap and --boot must be at least 1\n");
      return gl_cli_usage ("agreement");
    }
  g_autoptr (GlProject) p = NULL;
  g_autoptr (GlAgreementReport) r = open_report ("agreement", argv[1], &p);
  if (r == NULL)
    return GL_CLI_EXIT_ERROR;
  if (gl_cli_json)
    agreement_json (r);
  else
    agreement_text (r);
  return GL_CLI_EXIT_OK;
}

/* ---- conflicts ---------------------------------------------------------- */

static int conflicts_limit = 20;

const GOptionEntry gl_cli_conflicts_options[] = {
  { "limit", 'n', 0, G_OPTION_ARG_INT, &conflicts_limit, "Show at most N images (default 20, 0 = all)", "N" },
  { NULL },
};

/* The class names that share the top of item @i: by vote counts, or with
 * @weights by weight sums (the consensus's tie). */
static GPtrArray *
tied_classes (const GlAgreementReport *r, gsize i, const double *weights)
{
  g_autofree double *score = g_new0 (double, MAX (r->n_classes, 1));
  double top = -INFINITY;
  for (guint a = 0; a < r->n_annotators; a++)
    {
      gint c = r->labels[i * r->n_annotators + a];
      if (c >= 0)
        score[c] += weights ? weights[a] : 1.0;
    }
  for (guint c = 0; c < r->n_classes; c++)
    top = MAX (top, score[c]);
  GPtrArray *out = g_ptr_array_new ();
  for (guint c = 0; c < r->n_classes; c++)
    if (score[c] != 0.0 && score[c] >= top - 1e-9)
      g_ptr_array_add (out, r->class_names[c]);
  return out;
}

static void
json_consensus (GString *out, const GlAgreementReport *r, gsize i, const GlConsensus *c,
                const double *weights)
{
  g_string_append (out, "{\"class\":");
  if (c->klass >= 0)
    gl_json_append_string (out, r->class_names[c->klass]);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"tie\":[");
  if (c->klass < 0)
    {
      g_autoptr (GPtrArray) tied = tied_classes (r, i, weights);
      for (guint j = 0; j < tied->len; j++)
        {
          if (j)
            g_string_append_c (out, ',');
          gl_json_append_string (out, tied->pdata[j]);
        }
    }
  g_string_append (out, "],\"support\":");
  gl_json_append_double (out, c->support);
  g_string_append_c (out, '}');
}

static void
text_consensus (GString *out, const GlAgreementReport *r, gsize i, const GlConsensus *c,
                const double *weights)
{
  if (c->klass >= 0)
    {
      if (weights)
        g_string_append_printf (out, "%s (posterior %.2f)", r->class_names[c->klass], c->support);
      else
        g_string_append_printf (out, "%s (%.0f%% of %u)", r->class_names[c->klass], 100.0 * c->support,
                                c->n_votes);
      return;
    }
  g_autoptr (GPtrArray) tied = tied_classes (r, i, weights);
  g_string_append (out, "tie between ");
  for (guint j = 0; j < tied->len; j++)
    g_string_append_printf (out, "%s%s",
                            j == 0               ? ""
                            : j + 1 == tied->len ? " and "
                                                 : ", ",
                            (const char *)tied->pdata[j]);
}

static void
conflict_entry (GString *out, GlDb *db, const GlAgreementReport *r, gsize i)
{
  GlDbImage im = { 0 };
  g_autofree char *shown
      = gl_db_get_image (db, r->image_ids[i], &im, NULL) ? gl_path_display (im.path) : g_strdup ("");
  gl_db_image_clear (&im);
  if (gl_cli_json)
    {
      g_string_append_printf (out, "{\"id\":%" G_GINT64_FORMAT ",\"path\":", r->image_ids[i]);
      gl_json_append_string (out, shown);
      g_string_append (out, ",\"labels\":[");
    }
  else
    g_string_append_printf (out, "image %" G_GINT64_FORMAT " %s\n ", r->image_ids[i], shown);
  gboolean first = TRUE;
  for (guint a = 0; a < r->n_annotators; a++)
    {
      gint c = r->labels[i * r->n_annotators + a];
      if (c < 0)
        continue;
      if (gl_cli_json)
        {
          g_string_append (out, first ? "{\"annotator\":" : ",{\"annotator\":");
          gl_json_append_string (out, annotator_name (r, a));
          g_string_append (out, ",\"class\":");
          gl_json_append_string (out, r->class_names[c]);
          g_string_append_c (out, '}');
        }
      else
        g_string_append_printf (out, "%s%s: %s", first ? " " : " · ", annotator_name (r, a),
                                r->class_names[c]);
      first = FALSE;
    }
  if (gl_cli_json)
    {
      g_string_append (out, "],\"majority\":");
      json_consensus (out, r, i, &r->majority[i], NULL);
      g_string_append (out, ",\"weighted\":");
      json_consensus (out, r, i, &r->weighted[i], r->weights);
      g_string_append_c (out, '}');
      return;
    }
  g_string_append (out, "\n  majority: ");
  text_consensus (out, r, i, &r->majority[i], NULL);
  g_string_append (out, "   weighted by accuracy: ");
  text_consensus (out, r, i, &r->weighted[i], r->weights);
  g_string_append_c (out, '\n');
}

int
gl_cli_conflicts (int argc, char **argv)
{
  if (argc != 2 || conflicts_limit < 0)
    return gl_cli_usage ("conflicts");
  agreement_boot = 1; /* no interval is shown */
  g_autoptr (GlProject) p = NULL;
  g_autoptr (GlAgreementReport) r = open_report ("conflicts", argv[1], &p);
  if (r == NULL)
    return GL_CLI_EXIT_ERROR;
  g_autoptr (GArray) conflicts = gl_agreement_report_conflicts (r);
  guint shown = conflicts_limit == 0 ? conflicts->len : MIN ((guint)conflicts_limit, conflicts->len);
  g_autoptr (GString) out = g_string_new (NULL);
  if (gl_cli_json)
    g_string_append_printf (out, "{\"images_shared\":%" G_GSIZE_FORMAT ",\"conflicts\":%u,\"images\":[",
                            r->n_items, conflicts->len);
  else if (r->n_items == 0)
    g_string_append (out, "no image was labeled by two annotators\n");
  else
    g_string_append_printf (out,
                            "%u of %" G_GSIZE_FORMAT " images labeled by ≥ 2 annotators have conflicting "
                            "labels%s\n",
                            conflicts->len, r->n_items,
                            shown < conflicts->len ? " (most contested first)" : "");
  for (guint j = 0; j < shown; j++)
    {
      if (gl_cli_json && j)
        g_string_append_c (out, ',');
      conflict_entry (out, gl_project_get_db (p), r, g_array_index (conflicts, gsize, j));
    }
  if (gl_cli_json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else
    {
      if (shown < conflicts->len)
        g_string_append_printf (out, "… %u more (-n 0 shows all)\n", conflicts->len - shown);
      fwrite (out->str, 1, out->len, stdout);
    }
  return GL_CLI_EXIT_OK;
}
