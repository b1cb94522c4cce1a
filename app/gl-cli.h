/* gl-cli.h — the commands of gleaner-cli.
 *
 * Each command is one function in an app/gl-cli-<group>.c file, registered in
 * the table of gleaner-cli.c. A command parses its own options (GOptionContext),
 * prints results on stdout (one JSON object with --json), errors on stderr, and
 * returns the process exit status: 0 ok, 1 failure, 2 usage error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses of every command. */
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
  const char *usage;   /* one line: arguments and options */
  const char *summary; /* one line: what it does */
  GlCliCommandFunc func;
} GlCliCommand;

/* Prints "gleaner-cli NAME: MESSAGE" on stderr; returns 1. */
int gl_cli_fail (const char *command, const GError *error);

/* app/gl-cli-project.c */
/* Parses the options of @argv for @command; 2 on a usage error (message printed), else 0. */
int gl_cli_parse (const char *command, const char *params, GOptionEntry *entries, int *argc, char ***argv);

/* app/gl-cli-project.c */
int gl_cli_init (int argc, char **argv);
int gl_cli_import (int argc, char **argv);
int gl_cli_info (int argc, char **argv);
int gl_cli_demo (int argc, char **argv);

/* app/gl-cli-loop.c */
int gl_cli_queue (int argc, char **argv);
int gl_cli_label (int argc, char **argv);
int gl_cli_undo (int argc, char **argv);
int gl_cli_train (int argc, char **argv);
int gl_cli_predict (int argc, char **argv);
int gl_cli_stats (int argc, char **argv);
int gl_cli_export (int argc, char **argv);
int gl_cli_simulate (int argc, char **argv);
int gl_cli_rules (int argc, char **argv);

/* app/gl-cli-images.c */
int gl_cli_problems (int argc, char **argv);

G_END_DECLS
