/* gleaner-test-util.h — helpers of the GUI tests: a small generated project,
 * running the main loop until something happened, rendering a widget to PNG. */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

/* Creates a project in @dir with @n generated 28×28 greyscale PNG images
 * (written to @dir-images/) and the classes "circle", "square", "cross";
 * returns it open. Aborts the test on error. */
GlProject *gleaner_test_make_project (const char *dir, guint n);

/* Iterates the default main context until @func returns TRUE (meson's test
 * timeout ends a test that waits forever). */
void gleaner_test_wait (gboolean (*func) (gpointer data), gpointer data);
/* Lets @widget's frame clock paint @n more frames. */
void gleaner_test_wait_frames (GtkWidget *widget, guint n);

/* The folder the tests write their screenshots to ($GLEANER_TEST_OUTPUT_DIR,
 * else G_TEST_BUILDDIR/output), created. */
const char *gleaner_test_output_dir (void);
/* Renders @widget (realized, laid out) to @name in the output folder; returns the path. */
char *gleaner_test_render_png (GtkWidget *widget, const char *name);

G_END_DECLS
