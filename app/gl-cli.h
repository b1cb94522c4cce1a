/* gl-cli.h — the commands of gleaner-cli.
 *
 * Each command is one function in an app/gl-cli-<group>.c file and ONE line
 * in the table of gleaner-cli.c: its name, its arguments, a summary, the
 * function and its option table. The option table (GOptionEntry[] pointing at
 * static storage of the command's file) is the only description of the
 * options: `gleaner-cli --help`, `gleaner-cli COMMAND --help` and the usage
 * line of a usage error are all made from it. main () parses the options
 * (and --json, which every command takes: gl_cli_json) before it calls the
 * function with the arguments left (argv[0] is the command).
 *
 * A command prints results on stdout (one JSON object on one line with
 * --json), errors on stderr, and returns the exit status below.
 */
#pragma once

#include <glib.h>

#include "app/gl-project.h"
#include "db/gl-db.h"

G_BEGIN_DECLS

/* Exit statuses of every command (listed by `gleaner-cli --help`). */
enum
{
  GL_CLI_EXIT_OK = 0,       /* done */
  GL_CLI_EXIT_ERROR = 1,    /* failed (message on stderr) */
  GL_CLI_EXIT_USAGE = 2,    /* bad arguments or options (message on stderr) */
  GL_CLI_EXIT_REJECTED = 3, /* done, but some inputs were rejected (each named with the reason) */
};

typedef int (*GlCliCommandFunc) (int argc, char **argv);

typedef struct
{
  const char *name;
  const char *usage;   /* the arguments, e.g. "PROJECT PATH…" (options come from @options) */
  const char *summary; /* one line: what it does */
  GlCliCommandFunc func;
  /* The options (NULL-terminated, pointing at static storage), or NULL for a
   * command that parses its own options with gl_cli_parse: then @usage lists
   * them and --json is its own business. */
  const GOptionEntry *options;
} GlCliCommand;

/* The option table of a command whose only option is --json. */
extern const GOptionEntry gl_cli_no_options[];

/* --json, set by main () for every command that has an option table. */
extern gboolean gl_cli_json;

/* Prints "gleaner-cli NAME: MESSAGE" on stderr; returns GL_CLI_EXIT_ERROR. */
int gl_cli_fail (const char *command, const GError *error);

/* Prints "gleaner-cli NAME: usage: gleaner-cli NAME ARGS [OPTIONS]" (made
 * from the table) on stderr; returns GL_CLI_EXIT_USAGE. */
int gl_cli_usage (const char *command);

/* For a command without an option table: parses the options of @argv;
 * GL_CLI_EXIT_USAGE on a usage error (message printed), else 0. */
int gl_cli_parse (const char *command, const char *params, GOptionEntry *entries, int *argc, char ***argv);

/* Writes @out and a newline on stdout (a JSON object made by the command). */
void gl_cli_print_json (GString *out);

/* app/gl-cli-loop.c: an image by id, by its path as stored, or by a path
 * relative to the working directory; NOT_FOUND naming @text. */
gboolean gl_cli_lookup_image (GlDb *db, const char *text, gint64 *image_id, GError **error);
/* A class (not deleted) by exact name; NOT_FOUND listing the classes and the
 * nearest name. */
gboolean gl_cli_find_class (GlDb *db, const char *name, gint64 *class_id, GError **error);

/* app/gl-cli-project.c */
extern const GOptionEntry gl_cli_init_options[], gl_cli_import_options[], gl_cli_info_options[],
    gl_cli_demo_options[];
int gl_cli_init (int argc, char **argv);
int gl_cli_import (int argc, char **argv);
int gl_cli_info (int argc, char **argv);
int gl_cli_demo (int argc, char **argv);

/* app/gl-cli-loop.c */
extern const GOptionEntry gl_cli_queue_options[], gl_cli_label_options[], gl_cli_undo_options[],
    gl_cli_train_options[], gl_cli_predict_options[], gl_cli_stats_options[], gl_cli_export_options[],
    gl_cli_simulate_options[], gl_cli_rules_options[];
int gl_cli_queue (int argc, char **argv);
int gl_cli_label (int argc, char **argv);
int gl_cli_undo (int argc, char **argv);
int gl_cli_train (int argc, char **argv);
int gl_cli_predict (int argc, char **argv);
int gl_cli_stats (int argc, char **argv);
int gl_cli_export (int argc, char **argv);
int gl_cli_simulate (int argc, char **argv);
int gl_cli_rules (int argc, char **argv);

/* app/gl-cli-watch.c */
extern const GOptionEntry gl_cli_watch_options[];
int gl_cli_watch (int argc, char **argv);
/* app/gl-cli-review.c */
extern const GOptionEntry gl_cli_review_options[];
int gl_cli_review (int argc, char **argv);
/* app/gl-cli-drift.c */
extern const GOptionEntry gl_cli_drift_options[];
int gl_cli_drift (int argc, char **argv);
/* After an import: the newest batch's drift against the current model,
 * computed now, or when it will be. */
void gl_cli_drift_after_import (GlProject *project);
/* The stored drift of @batch_id against the current model (one line, or one
 * JSON object {"event":"drift",…} with @json), or why there is none; then
 * any action the automation took since @since_action (a drift_actions id). */
void gl_cli_drift_print_batch (GlProject *project, gint64 batch_id, gint64 since_action, gboolean json);
/* app/gl-cli-insights.c */
extern const GOptionEntry gl_cli_insights_options[];
int gl_cli_insights (int argc, char **argv);
/* app/gl-cli-images.c */
extern const GOptionEntry gl_cli_problems_options[], gl_cli_history_options[], gl_cli_accept_options[];
int gl_cli_problems (int argc, char **argv);
int gl_cli_history (int argc, char **argv);
int gl_cli_accept (int argc, char **argv);

/* app/gl-cli-classes.c */
extern const GOptionEntry gl_cli_classes_options[];
int gl_cli_classes (int argc, char **argv);

/* app/gl-cli-team.c */
extern const GOptionEntry gl_cli_annotator_options[], gl_cli_agreement_options[], gl_cli_conflicts_options[];
int gl_cli_annotator (int argc, char **argv);
int gl_cli_agreement (int argc, char **argv);
int gl_cli_conflicts (int argc, char **argv);
/* app/gl-cli-team-paths.c */
extern const GOptionEntry gl_cli_team_options[];
int gl_cli_team (int argc, char **argv);
/* app/gl-cli-trainer.c */
extern const GOptionEntry gl_cli_trainer_options[], gl_cli_score_worker_options[];
int gl_cli_trainer (int argc, char **argv);
int gl_cli_score_worker (int argc, char **argv);
/* app/gl-cli-team-role.c: team PROJECT role-sql annotator|trainer NAME */
int gl_cli_team_role_sql (int argc, char **argv);

G_END_DECLS
