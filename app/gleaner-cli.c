/* gleaner-cli — everything Gleaner does that does not need eyes. */
#include "gleaner-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "app/gl-cli.h"
#include "app/gl-engine-info.h"
#include "app/gl-identity.h"

/* Commands, in the order `gleaner-cli --help` lists them: one line each.
 * Each group of commands lives in its own app/gl-cli-*.c file. */
static const GlCliCommand commands[] = {
  { "init", "PROJECT --input HxWxC", "Create a project", gl_cli_init, gl_cli_init_options },
  { "import", "PROJECT PATH…", "Import images: folders, ImageFolder, CSV manifests, IDX files", gl_cli_import,
    gl_cli_import_options },
  { "info", "PROJECT", "Counts of images, unreadable, duplicates and labels per class", gl_cli_info,
    gl_cli_info_options },
  { "problems", "PROJECT", "The files that could not be read, with the reasons", gl_cli_problems,
    gl_cli_problems_options },
  { "demo", "[DIR]", "Create (once) the Fashion-MNIST demo project", gl_cli_demo, gl_cli_demo_options },
  { "queue", "PROJECT", "The next images to label and why", gl_cli_queue, gl_cli_queue_options },
  { "label", "PROJECT IMAGE CLASS", "Label an image (IMAGE: id or path; CLASS: name)", gl_cli_label,
    gl_cli_label_options },
  { "undo", "PROJECT", "Take back the last label", gl_cli_undo, gl_cli_undo_options },
  { "accept", "PROJECT IMAGE",
    "Accept a rule's suggestion (origin rule), else the prediction (origin prediction)", gl_cli_accept,
    gl_cli_accept_options },
  { "history", "PROJECT IMAGE", "The label history of an image", gl_cli_history, gl_cli_history_options },
  { "classes", "PROJECT list | add NAME | rename NAME NEW | merge NAME INTO | archive NAME | unarchive NAME",
    "The classes: list, add, rename, merge, archive", gl_cli_classes, gl_cli_classes_options },
  { "train", "PROJECT", "Train on the labels, save a model version, rescore the pool", gl_cli_train,
    gl_cli_train_options },
  { "predict", "PROJECT", "The current model's class for every image", gl_cli_predict,
    gl_cli_predict_options },
  { "stats", "PROJECT", "Per-class metrics of the current model and the learning curve", gl_cli_stats,
    gl_cli_stats_options },
  { "drift", "PROJECT", "Drift per class of every batch and window", gl_cli_drift, gl_cli_drift_options },
  { "insights", "PROJECT --out DIR", "Write the Insights charts as SVG and PNG", gl_cli_insights,
    gl_cli_insights_options },
  { "review", "PROJECT | PROJECT --keep IMAGE | PROJECT --relabel IMAGE CLASS",
    "Suspected label errors of the current model (detected when missing), and review decisions", gl_cli_review,
    gl_cli_review_options },
  { "export", "PROJECT DIR --format F", "Export the labeled dataset", gl_cli_export, gl_cli_export_options },
  { "simulate", "PROJECT --strategy S", "Play the labeling loop with the reference labels as the oracle",
    gl_cli_simulate, gl_cli_simulate_options },
  { "rules", "PROJECT add GLOB CLASS | list | delete ID | apply", "Bootstrap rules: file/folder glob → class",
    gl_cli_rules, gl_cli_rules_options },
  { "annotator", "", "Who labels on this desktop: show it, or set it once", gl_cli_annotator,
    gl_cli_annotator_options },
  { "agreement", "PROJECT", "Agreement of the annotators: Cohen's κ per pair, Krippendorff's α, per class",
    gl_cli_agreement, gl_cli_agreement_options },
  { "conflicts", "PROJECT", "Images whose annotators disagree, with each label and the consensus",
    gl_cli_conflicts, gl_cli_conflicts_options },
  { "team", "PROJECT prefixes | set-prefix STORED LOCAL | unset-prefix STORED | role-sql annotator|trainer NAME",
    "A team project's image folders on this desktop (stored prefix → local one); the SQL of a least-privilege role",
    gl_cli_team,
    gl_cli_team_options },
  { "trainer", "PROJECT",
    "Train for the team as a service: holds the trainer lease, trains when labels come in; another takes over if it "
    "dies",
    gl_cli_trainer, gl_cli_trainer_options },
  { "score-worker", "PROJECT",
    "Score chunks of a new model version's pool for the team's trainer, through leases; a chunk of one that dies "
    "goes back",
    gl_cli_score_worker, gl_cli_score_worker_options },
  { "watch", "PROJECT [FOLDER…]", "Import images as they arrive in watched folders", gl_cli_watch,
    gl_cli_watch_options },
  { NULL, NULL, NULL, NULL, NULL },
};

static const char exit_statuses[]
    = "Exit status: 0 done, 1 error, 2 usage error, 3 done but some inputs were "
      "rejected (each named with the reason).";

gboolean gl_cli_json = FALSE;

const GOptionEntry gl_cli_no_options[] = { { NULL } };

/* Every command with an option table takes --json. */
static const GOptionEntry json_option[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &gl_cli_json, "Print one JSON object on one line", NULL },
  { NULL },
};

static const GlCliCommand *
find_command (const char *name)
{
  for (const GlCliCommand *c = commands; c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}

/* "[--layout LAYOUT] [-n N] [--json]" from the option table of @c, leaving
 * out the options its usage names (the required ones, "--format F"). */
static void
append_options (GString *out, const GlCliCommand *c, guint indent)
{
  const char *nl = strrchr (out->str, '\n');
  gsize line_start = nl != NULL ? (gsize)(nl + 1 - out->str) : 0;
  for (guint pass = 0; c->options != NULL && pass < 2; pass++)
    {
      const GOptionEntry *e = pass == 0 ? c->options : json_option;
      for (; e->long_name != NULL; e++)
        {
          g_autofree char *flag = g_strdup_printf ("--%s ", e->long_name);
          if ((e->flags & G_OPTION_FLAG_HIDDEN) || strstr (c->usage, flag) != NULL)
            continue; /* hidden, or a required option the usage names */
          g_autofree char *item = NULL;
          const char *arg = e->arg_description ? e->arg_description : "VALUE";
          if (e->arg == G_OPTION_ARG_NONE)
            item = e->short_name ? g_strdup_printf ("[-%c|--%s]", e->short_name, e->long_name)
                                 : g_strdup_printf ("[--%s]", e->long_name);
          else
            item = e->short_name ? g_strdup_printf ("[-%c|--%s %s]", e->short_name, e->long_name, arg)
                                 : g_strdup_printf ("[--%s %s]", e->long_name, arg);
          if (out->len - line_start + 1 + strlen (item) > 110)
            {
              g_string_append_c (out, '\n');
              line_start = out->len;
              for (guint i = 0; i < indent; i++)
                g_string_append_c (out, ' ');
            }
          else
            g_string_append_c (out, ' ');
          g_string_append (out, item);
        }
    }
}

int
gl_cli_usage (const char *command)
{
  const GlCliCommand *c = find_command (command);
  g_autoptr (GString) out = g_string_new (NULL);
  g_string_append_printf (out, "gleaner-cli %s: usage: gleaner-cli %s %s", command, command,
                          c ? c->usage : "");
  if (c != NULL)
    append_options (out, c, 4);
  g_printerr ("%s\n(gleaner-cli %s --help explains the options)\n", out->str, command);
  return GL_CLI_EXIT_USAGE;
}

int
gl_cli_parse (const char *command, const char *params, GOptionEntry *entries, int *argc, char ***argv)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (params);
  g_autofree char *summary = g_strdup_printf ("gleaner-cli %s", command);
  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("gleaner-cli %s: %s\n", command, error->message);
      return GL_CLI_EXIT_USAGE;
    }
  return 0;
}

/* Parses the options of @c from its table (and --json); `COMMAND --help`
 * prints the help made from the same table and exits 0. */
static int
parse_command (const GlCliCommand *c, int *argc, char ***argv)
{
  g_autofree char *prgname = g_strdup_printf ("gleaner-cli %s", c->name);
  g_set_prgname (prgname);
  g_autoptr (GOptionContext) ctx = g_option_context_new (c->usage);
  g_autofree char *summary = g_strdup_printf ("gleaner-cli %s — %s", c->name, c->summary);
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_description (ctx, exit_statuses);
  g_option_context_add_main_entries (ctx, c->options, NULL);
  g_option_context_add_main_entries (ctx, json_option, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      g_printerr ("gleaner-cli %s: %s\n", c->name, error->message);
      return gl_cli_usage (c->name);
    }
  return 0;
}

int
gl_cli_fail (const char *command, const GError *error)
{
  g_printerr ("gleaner-cli %s: %s\n", command, error ? error->message : "failed");
  return GL_CLI_EXIT_ERROR;
}

void
gl_cli_print_json (GString *out)
{
  fwrite (out->str, 1, out->len, stdout);
  fputc ('\n', stdout);
}

static void
print_usage (FILE *out)
{
  g_autoptr (GString) text = g_string_new ("Usage: gleaner-cli COMMAND [ARGS…] [OPTIONS…]\n\nCommands:\n");
  for (const GlCliCommand *c = commands; c->name != NULL; c++)
    {
      g_string_append_printf (text, "  %-10s %s", c->name, c->usage);
      append_options (text, c, 15);
      g_string_append_printf (text, "\n  %-10s   %s\n", "", c->summary);
    }
  g_string_append_printf (text, "\n  gleaner-cli COMMAND --help   what the options of one command do\n\n%s\n",
                          exit_statuses);
  fwrite (text->str, 1, text->len, out);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  gl_engine_info_init ();
  gl_identity_apply ();

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? GL_CLI_EXIT_USAGE : GL_CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      g_autofree char *info = gl_engine_info_describe ();
      printf ("gleaner-cli %s\n%s", GLEANER_VERSION, info);
      return GL_CLI_EXIT_OK;
    }

  const GlCliCommand *c = find_command (argv[1]);
  if (c == NULL)
    {
      g_printerr ("gleaner-cli: unknown command “%s”; see gleaner-cli --help\n", argv[1]);
      return GL_CLI_EXIT_USAGE;
    }
  int cargc = argc - 1;
  char **cargv = argv + 1;
  if (c->options != NULL)
    {
      int status = parse_command (c, &cargc, &cargv);
      if (status != 0)
        return status;
    }
  return c->func (cargc, cargv);
}
