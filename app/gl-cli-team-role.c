/* gl-cli-team-role.c — gleaner-cli team PROJECT role-sql annotator|trainer
 * NAME: prints the SQL that creates a least-privilege role for a team
 * project (db/gl-db-roles.h), for its owner to run once with psql.
 *
 * A command rather than a file under docs/: the tables an annotator writes
 * are listed next to the store's code, so the SQL follows the schema of the
 * Gleaner that prints it (after an update adds a table, print and run it
 * again), and tests/db/test-db-roles.c runs exactly what it prints. */
#include "gleaner-config.h"

#include <stdio.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-project.h"
#include "db/gl-db-roles.h"

int
gl_cli_team_role_sql (int argc, char **argv)
{
  GlDbRoleKind kind;
  if (argc != 5 || !gl_db_role_kind_parse (argv[3], &kind))
    return gl_cli_usage ("team");
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = gl_db_role_sql (kind, argv[4], &error);
  if (sql == NULL)
    return gl_cli_fail ("team", error);
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("team", error);
  if (!gl_project_is_team (p))
    {
      g_printerr ("gleaner-cli team: role-sql is for a team project on a PostgreSQL server (postgresql://…), "
                  "not a project folder\n");
      return GL_CLI_EXIT_USAGE;
    }
  if (gl_cli_json)
    {
      g_autoptr (GString) out = g_string_new ("{\"sql\":");
      gl_json_append_string (out, sql);
      g_string_append_c (out, '}');
      gl_cli_print_json (out);
    }
  else
    fputs (sql, stdout);
  return GL_CLI_EXIT_OK;
}
