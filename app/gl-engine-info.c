/* gl-engine-info.c — the engine's kernels described for the About window and --version. */
#include "gleaner-config.h"

#include "app/gl-engine-info.h"

#include <string.h>

#include "engine/gl-blas.h"

void
gl_engine_info_init (void)
{
  gl_blas_init ();
}

/* The "model name" line of /proc/cpuinfo, or NULL. */
static char *
cpu_model (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');
        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return NULL;
}

char *
gl_engine_info_describe (void)
{
  g_autofree char *model = cpu_model ();
  g_autofree char *kernels = gl_blas_describe ();
  return g_strdup_printf ("Gleaner %s\nCPU: %s, %u cores\nEngine: %s\n", GLEANER_VERSION,
                          model ? model : "unknown", g_get_num_processors (), kernels);
}
