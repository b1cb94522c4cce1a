/* gl-cli-team-paths.c — gleaner-cli team: where a team project's image
 * files are on this desktop (app/gl-team-paths.h):
 *   team PROJECT prefixes                   the map
 *   team PROJECT set-prefix STORED LOCAL    STORED/… is LOCAL/… here
 *   team PROJECT unset-prefix STORED
 * and (app/gl-cli-team-role.c) team PROJECT role-sql annotator|trainer NAME. */
#include "gleaner-config.h"

#include <stdio.h>
#include <string.h>

#include "app/gl-cli.h"
#include "app/gl-export.h"
#include "app/gl-project.h"

const GOptionEntry gl_cli_team_options[] = { { NULL } };

static int
print_prefixes (GlProject *p)
{
  g_auto (GStrv) stored = NULL;
  g_auto (GStrv) local = NULL;
  gl_project_list_path_prefixes (p, &stored, &local);
  g_autoptr (GString) out = g_string_new (gl_cli_json ? "{\"prefixes\":[" : NULL);
  for (guint i = 0; stored[i]; i++)
    {
      if (gl_cli_json)
        {
          g_string_append (out, i ? ",{\"stored\":" : "{\"stored\":");
          gl_json_append_string (out, stored[i]);
          g_string_append (out, ",\"local\":");
          gl_json_append_string (out, local[i]);
          g_string_append_c (out, '}');
        }
      else
        g_string_append_printf (out, "%s → %s\n", stored[i], local[i]);
    }
  if (gl_cli_json)
    {
      g_string_append (out, "]}");
      gl_cli_print_json (out);
    }
  else if (stored[0] == NULL)
    printf ("no path prefixes on this desktop: images are read where they were imported\n");
  else
    fputs (out->str, stdout);
  return GL_CLI_EXIT_OK;
}

int
gl_cli_team (int argc, char **argv)
{
  if (argc < 3)
    return gl_cli_usage ("team");
  const char *verb = argv[2];
  if (g_str_equal (verb, "role-sql"))
    return gl_cli_team_role_sql (argc, argv);
  gboolean set = g_str_equal (verb, "set-prefix"), unset = g_str_equal (verb, "unset-prefix");
  if (!(g_str_equal (verb, "prefixes") && argc == 3) && !(set && argc == 5) && !(unset && argc == 4))
    return gl_cli_usage ("team");
  g_autoptr (GError) error = NULL;
  g_autoptr (GlProject) p = gl_project_open (argv[1], &error);
  if (p == NULL)
    return gl_cli_fail ("team", error);
  if ((set || unset) && !gl_project_set_path_prefix (p, argv[3], set ? argv[4] : NULL, &error))
    return gl_cli_fail ("team", error);
  return print_prefixes (p);
}
