/* main.c — the `gleaner` program: the GUI.
 *
 *   gleaner              opens the demo project (built on first use)
 *   gleaner PROJECT_DIR  opens that project
 */
#include "gleaner-config.h"

#include "app/gl-engine-info.h"
#include "ui/gleaner-application.h"

int
main (int argc, char **argv)
{
  /* The engine sets OPENBLAS_CORETYPE for a moment while it loads OpenBLAS:
   * before GTK starts any thread. */
  gl_engine_info_init ();
  g_autoptr (GleanerApplication) app = gleaner_application_new (G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
