/* gleaner-cli — everything Gleaner does that does not need eyes. */
#include "gleaner-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "app/gl-cli.h"

/* Commands, in the order `gleaner-cli --help` lists them. Each group of
 * commands lives in its own app/gl-cli-*.c file. */
static const GlCliCommand commands[] = {
  { "init", "PROJECT --input HxWxC [--classes A,B,…]", "Create a project", gl_cli_init },
  { "import", "PROJECT PATH… [--layout auto|plain|imagefolder|csv|idx] [--idx-labels FILE] [--labels-as human|reference]\n"
    "             [--held-out-test] [--thumbnails]",
    "Import images: folders, ImageFolder, CSV manifests, IDX files", gl_cli_import },
  { "info", "PROJECT [--json]", "Counts of images, unreadable, duplicates and labels per class", gl_cli_info },
  { "problems", "PROJECT [--json]", "The files that could not be read, with the reasons", gl_cli_problems },
  { "demo", "[DIR]", "Create (once) the Fashion-MNIST demo project", gl_cli_demo },
  { "queue", "PROJECT [-n N] [--strategy S] [--json]", "The next images to label and why", gl_cli_queue },
  { "label", "PROJECT IMAGE CLASS", "Label an image (IMAGE: id or path; CLASS: name)", gl_cli_label },
  { "undo", "PROJECT", "Take back the last label", gl_cli_undo },
  { "train", "PROJECT [--epochs N] [--seconds S] [--json]",
    "Train on the labels, save a model version, rescore the pool", gl_cli_train },
  { "predict", "PROJECT [--json]", "The current model's class for every image", gl_cli_predict },
  { "stats", "PROJECT [--json]", "Per-class metrics of the current model and the learning curve", gl_cli_stats },
  { "export", "PROJECT DIR --format imagefolder|csv|json [--split 0.8,0.1,0.1] [--seed N] [--force] "
              "[--link copy|hardlink|symlink] [--include-model]",
    "Export the labeled dataset", gl_cli_export },
  { "simulate", "PROJECT --strategy S [--seed-labels N] [--batch N] [--budget N] [--seed N] [--json]",
    "Play the labeling loop with the reference labels as the oracle", gl_cli_simulate },
  { "rules", "PROJECT add GLOB CLASS | list | delete ID | apply", "Bootstrap rules: file/folder glob → class",
    gl_cli_rules },
  { NULL, NULL, NULL, NULL },
};

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
      return 2;
    }
  return 0;
}

int
gl_cli_fail (const char *command, const GError *error)
{
  g_printerr ("gleaner-cli %s: %s\n", command, error ? error->message : "failed");
  return 1;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: gleaner-cli COMMAND [ARGS…]\n\nCommands:\n");
  for (const GlCliCommand *c = commands; c->name != NULL; c++)
    fprintf (out, "  %-10s %s\n  %-10s   %s\n", c->name, c->usage, "", c->summary);
  fprintf (out, "\n  gleaner-cli COMMAND --help   options of one command\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("gleaner-cli %s\n", GLEANER_VERSION);
      return 0;
    }

  for (const GlCliCommand *c = commands; c->name != NULL; c++)
    if (strcmp (c->name, argv[1]) == 0)
      return c->func (argc - 1, argv + 1);

  g_printerr ("gleaner-cli: unknown command “%s”; see gleaner-cli --help\n", argv[1]);
  return 2;
}
