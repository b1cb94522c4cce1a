/* gl-cli-review.c — gleaner-cli review: the suspected label errors of the
 * current model version (detected first when the version has none) and the
 * review decisions, keep or relabel, stored with origin "review". */
#include "gleaner-config.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-label-errors.h"
#include "app/gl-project.h"
#include "db/gl-db-label-errors.h"

#define COMMAND "review"

typedef struct
{
  guint folds; /* of the running detection */
  int shown;   /* the last fold (tty: percent) printed */
  gboolean tty;
} Progress;

static void
on_progress (const GlProgress *p, gpointer user_data)
{
  Progress *pr = user_data;
  if (p->fraction < 0)
    return;
  guint fold = MIN ((guint)(p->fraction / 0.99 * pr->folds) + 1, pr->folds);
  if (pr->tty)
    {
      int percent = (int)(p->fraction * 100);
      if (percent != pr->shown)
        fprintf (stderr, "\rdetecting label errors: fold %u/%u, %3d%%", fold, pr->folds, percent);
      pr->shown = percent;
    }
  else if ((int)fold != pr->shown)
    {
      fprintf (stderr, "detecting label errors: fold %u/%u\n", fold, pr->folds);
      pr->shown = (int)fold;
    }
}

/* Class names by id (deleted classes by gl_db_get_class). */
static char *
class_name (GlDb *db, gint64 class_id)
{
  if (class_id < 0)
    return g_strdup ("");
  GlDbClass c = { 0 };
  if (!gl_db_get_class (db, class_id, &c, NULL))
    return g_strdup_printf ("class %" G_GINT64_FORMAT, class_id);
  char *name = g_steal_pointer (&c.name);
  gl_db_class_clear (&c);
  return name;
}

static int
decide (GlDb *db, const char *keep, const char *relabel, const char *class_text)
{
  g_autoptr (GError) error = NULL;
  gint64 image_id, class_id = -1;
  if (!gl_db_lookup_image (db, keep ? keep : relabel, &image_id, &error))
    return gl_cli_fail (COMMAND, error);
  if (keep)
    {
      if (!gl_label_errors_keep (db, image_id, NULL, &error))
        return gl_cli_fail (COMMAND, error);
      GlDbLabel l = { 0 };
      if (!gl_db_get_current_label (db, image_id, FALSE, &l, &error))
        return gl_cli_fail (COMMAND, error);
      g_autofree char *name = class_name (db, l.class_id);
      gl_db_label_clear (&l);
      printf ("image %" G_GINT64_FORMAT ": kept %s (review)\n", image_id, name);
      return 0;
    }
  if (!gl_db_find_class (db, class_text, &class_id, &error)
      || !gl_label_errors_relabel (db, image_id, class_id, NULL, &error))
    return gl_cli_fail (COMMAND, error);
  printf ("image %" G_GINT64_FORMAT ": relabeled %s (review)\n", image_id, class_text);
  return 0;
}

static void
append_json (GString *out, GlDb *db, const GlDbLabelErrorRun *run, GArray *errors)
{
  g_string_append_printf (out,
                          "{\"model_version\":%" G_GINT64_FORMAT ",\"folds\":%u,\"labels\":%" G_GUINT64_FORMAT
                          ",\"flagged\":%" G_GUINT64_FORMAT ",\"ranking\":",
                          run->model_id, run->folds, run->n_labels, run->n_flagged);
  gl_json_append_string (out, run->ranking);
  g_string_append (out, ",\"seconds\":");
  gl_json_append_double (out, run->seconds);
  g_string_append (out, ",\"errors\":[");
  for (guint i = 0; i < errors->len; i++)
    {
      const GlDbLabelError *e = &g_array_index (errors, GlDbLabelError, i);
      GlDbImage im = { 0 };
      gboolean have = gl_db_get_image (db, e->image_id, &im, NULL);
      g_autofree char *given = class_name (db, e->given_class);
      g_autofree char *suggested = class_name (db, e->suggested_class);
      g_string_append_printf (out, "%s{\"image\":%" G_GINT64_FORMAT ",\"path\":", i ? "," : "", e->image_id);
      gl_json_append_string (out, have ? im.path : "");
      g_string_append (out, ",\"score\":");
      gl_json_append_double (out, e->score);
      g_string_append (out, ",\"given\":");
      gl_json_append_string (out, given);
      g_string_append (out, ",\"suggested\":");
      gl_json_append_string (out, suggested);
      g_string_append (out, ",\"p_given\":");
      gl_json_append_double (out, e->p_given);
      g_string_append (out, ",\"p_suggested\":");
      gl_json_append_double (out, e->p_suggested);
      g_string_append_c (out, '}');
      gl_db_image_clear (&im);
    }
  g_string_append (out, "]}");
}

static void
print_text (GlDb *db, const GlDbLabelErrorRun *run, GArray *errors, guint64 n_suspected)
{
  printf ("model version %" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
          " labels flagged by confident learning on %u-fold out-of-fold predictions (%s); %" G_GUINT64_FORMAT
          " not reviewed yet\n",
          run->model_id, run->n_flagged, run->n_labels, run->folds, run->ranking, n_suspected);
  if (errors->len > 0)
    printf ("%6s  %8s  %-20s  %-20s  %8s  %8s  %s\n", "score", "image", "given", "suggested", "p_given",
            "p_sugg", "path");
  for (guint i = 0; i < errors->len; i++)
    {
      const GlDbLabelError *e = &g_array_index (errors, GlDbLabelError, i);
      GlDbImage im = { 0 };
      gboolean have = gl_db_get_image (db, e->image_id, &im, NULL);
      g_autofree char *given = class_name (db, e->given_class);
      g_autofree char *suggested = class_name (db, e->suggested_class);
      printf ("%6.3f  %8" G_GINT64_FORMAT "  %-20s  %-20s  %8.3f  %8.3f  %s\n", e->score, e->image_id, given,
              suggested, e->p_given, e->p_suggested, have ? im.path : "");
      gl_db_image_clear (&im);
    }
}

/* The run of the current version, detected now when there is none. */
static gboolean
ensure_detection (GlProject *p, GlDb *db, const GlLabelErrorsOptions *o, gboolean again,
                  GlDbLabelErrorRun *run, GError **error)
{
  gint64 model = gl_db_get_current_model (db);
  if (model < 0)
    {
      g_set_error_literal (error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_NO_MODEL,
                           "the project has no model yet: train one first (gleaner-cli train)");
      return FALSE;
    }
  gboolean found = FALSE;
  if (!again && !gl_db_get_label_error_run (db, model, run, &found, error))
    return FALSE;
  if (found)
    return TRUE;
  Progress pr = { o->folds, -1, isatty (STDERR_FILENO) };
  if (!gl_label_errors_detect (p, o, on_progress, &pr, NULL, NULL, error))
    {
      if (pr.tty)
        fprintf (stderr, "\n");
      return FALSE;
    }
  if (pr.tty)
    fprintf (stderr, "\n");
  if (!gl_db_get_label_error_run (db, gl_db_get_current_model (db), run, &found, error))
    return FALSE;
  if (!found)
    {
      g_set_error_literal (
          error, GL_LABEL_ERRORS_ERROR, GL_LABEL_ERRORS_ERROR_STORE,
          "the detection was stored for a version that is no longer current; run review again");
      return FALSE;
    }
  return TRUE;
}

static struct
{
  gboolean again;
  int n, folds;
  double seconds;
  char *keep, *relabel, *ranking;
} review_opt = { FALSE, 20, GL_LABEL_ERRORS_DEFAULT_FOLDS, -1, NULL, NULL, NULL };

const GOptionEntry gl_cli_review_options[] = {
  { "number", 'n', 0, G_OPTION_ARG_INT, &review_opt.n, "List at most N suspected errors (default 20; 0: all)", "N" },
  { "keep", 0, 0, G_OPTION_ARG_STRING, &review_opt.keep, "Keep the label of IMAGE (id or path)", "IMAGE" },
  { "relabel", 0, 0, G_OPTION_ARG_STRING, &review_opt.relabel, "Relabel IMAGE with the class given after it",
    "IMAGE" },
  { "folds", 0, 0, G_OPTION_ARG_INT, &review_opt.folds, "Folds of the detection (default 5)", "K" },
  { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &review_opt.seconds, "Training budget of the detection (default 110)",
    "S" },
  { "ranking", 0, 0, G_OPTION_ARG_STRING, &review_opt.ranking, "self-confidence (default) or normalized-margin",
    "R" },
  { "again", 0, 0, G_OPTION_ARG_NONE, &review_opt.again, "Detect again even if the current version has a detection",
    NULL },
  { NULL },
};

int
gl_cli_review (int argc, char **argv)
{
  const gboolean json = gl_cli_json, again = review_opt.again;
  const int n = review_opt.n, folds = review_opt.folds;
  const double seconds = review_opt.seconds;
  const char *keep = review_opt.keep, *relabel = review_opt.relabel, *ranking = review_opt.ranking;
  int want = relabel ? 3 : 2;
  if (argc != want || (keep && relabel) || n < 0 || folds < 2)
    return gl_cli_usage (COMMAND);
  GlLabelErrorsOptions o;
  gl_label_errors_options_init (&o);
  o.folds = (guint)folds;
  if (seconds > 0)
    o.seconds = seconds;
  if (ranking && !gl_confident_rank_from_string (ranking, &o.ranking))
    {
      g_printerr ("gleaner-cli %s: unknown ranking “%s” (self-confidence or normalized-margin)\n", COMMAND,
                  ranking);
      return 2;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail (COMMAND, error);
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (p), &error);
  if (db == NULL)
    return gl_cli_fail (COMMAND, error);
  if (keep || relabel)
    return decide (db, keep, relabel, relabel ? argv[2] : NULL);

  GlDbLabelErrorRun run = { 0 };
  if (!ensure_detection (p, db, &o, again, &run, &error))
    return gl_cli_fail (COMMAND, error);
  g_autoptr (GArray) all = gl_db_list_label_errors (db, run.model_id, TRUE, 0, &error);
  if (all == NULL)
    {
      gl_db_label_error_run_clear (&run);
      return gl_cli_fail (COMMAND, error);
    }
  guint64 n_suspected = all->len;
  if (n > 0 && all->len > (guint)n)
    g_array_set_size (all, (guint)n);
  if (json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      append_json (out, db, &run, all);
      printf ("%s\n", out->str);
    }
  else
    print_text (db, &run, all, n_suspected);
  gl_db_label_error_run_clear (&run);
  return 0;
}
