/* gleaner-test-util.h — helpers of the GUI tests: a small generated project,
 * running the main loop until something happened, rendering a widget to PNG. */
#pragma once

#include <gtk/gtk.h>

#include "app/gl-gallery-model.h"
#include "app/gl-project.h"
#include "ui/gleaner-application.h"
#include "ui/gleaner-window.h"

G_BEGIN_DECLS

/* The start of a GUI test program that runs the real application: the
 * cairo renderer without GL (probing the X server's GL driver only loads and
 * unloads a driver that leaks, which LeakSanitizer cannot name),
 * g_test_init, the application registered (not unique) and held between
 * tests (no window is open at times), animations off (screenshots and
 * dismissed toasts show settled states). */
GleanerApplication *gleaner_test_app_init (int *argc, char ***argv);
/* Runs the tests, then releases and frees @app; returns g_test_run's status. */
int gleaner_test_app_run (GleanerApplication *app);

/* Creates a project in @dir with @n generated 28×28 greyscale PNG images
 * (written to @dir-images/) and the classes "circle", "square", "cross";
 * returns it open. Aborts the test on error. */
GlProject *gleaner_test_make_project (const char *dir, guint n);
/* Writes the @n images of gleaner_test_make_project (no two alike) to @dir. */
void gleaner_test_write_images (const char *dir, guint n);

/* A new 1100 × 760 window of @app on the project in @dir, opened, with an
 * image in its queue. */
GleanerWindow *gleaner_test_open_window (GleanerApplication *app, const char *dir);

/* Iterates the default main context until @func returns TRUE; fails the
 * test, naming @what, when that has not happened within a minute (far more
 * than any wait of the tests needs on a loaded machine, far less than
 * meson's timeout, which would end the test without a word), or within
 * $GLEANER_TEST_WAIT_SECONDS. */
void gleaner_test_wait_for (gboolean (*func) (gpointer data), gpointer data, const char *what);
/* The same, naming the condition by @func's name (and the line). */
#define gleaner_test_wait(func, data) \
  gleaner_test_wait_for ((func), (data), G_STRLOC ": " #func " (" #data ")")
/* Lets @widget's frame clock paint @n more frames. */
void gleaner_test_wait_frames (GtkWidget *widget, guint n);

/* The @nth widget of @type under @root (not @root itself), depth first, or NULL. */
GtkWidget *gleaner_test_find_descendant (GtkWidget *root, GType type, guint nth);
/* The visible toplevel window of @type, or NULL. */
GtkWindow *gleaner_test_find_toplevel (GType type);
/* The button under @root whose label (with its mnemonic) is @label, or NULL. */
GtkButton *gleaner_test_find_button (GtkWidget *root, const char *label);
/* The title of the toast an AdwToastOverlay under @root shows now, or NULL
 * (read from the toast's widgets: libadwaita has no getter for it). */
const char *gleaner_test_get_shown_toast (GtkWidget *root);
/* The button of the toast shown under @root, or NULL. */
GtkButton *gleaner_test_get_toast_button (GtkWidget *root);
/* Closes the toasts under @root, the shown one and those queued behind it,
 * with their close buttons (a screenshot without a toast over the window).
 * Only with gtk-enable-animations off: with animations, libadwaita 1.2
 * crashed in the hide animation of a toast closed so (test-gallery). */
void gleaner_test_dismiss_toasts (GtkWidget *root);

/* The point (@fx, @fy) of @widget's box (fractions of its width and height)
 * in X coordinates of the surface of @widget's native (its window, or the
 * popover it is in). */
void gleaner_test_point_in (GtkWidget *widget, double fx, double fy, int *x, int *y);
/* Runs `xdotool @args` (under timeout(1): a focus or window that never comes
 * fails the test instead of hanging it); fails the test when it fails. */
void gleaner_test_xdotool (const char *args);
/* Clicks button 1 @n times (2: a double click) with the real pointer
 * (xdotool) at the point (@fx, @fy) of @widget, once it is laid out (a frame
 * after it was shown). The native @widget is in is raised first: meson runs
 * tests in parallel on one X server, and the pointer's events go to
 * whichever window is on top there. */
void gleaner_test_click (GtkWidget *widget, double fx, double fy, guint n);
/* Chooses @text in @dropdown as a user does, with the real pointer: a click
 * on the dropdown opens its list, a click on @text in the list chooses it. */
void gleaner_test_choose (GtkWidget *dropdown, const char *text);
/* The drawable GleanerGalleryCell under @root that shows the image
 * @image_id, or NULL. */
GtkWidget *gleaner_test_find_gallery_cell (GtkWidget *root, gint64 image_id);
/* The Gallery's item at @position as the store lists it now (read on this
 * thread: the view reads a listing's first page on a worker and shows
 * placeholders meanwhile, which a test must not take for the listing). */
GlGalleryItem *gleaner_test_gallery_item (GlGalleryModel *model, guint position);
/* Waits until the Gallery's first page is in (a selection made over its
 * placeholders is dropped when they are replaced, as in the app). */
void gleaner_test_wait_gallery_listed (GlGalleryModel *model);

/* The folder the tests write their screenshots to ($GLEANER_TEST_OUTPUT_DIR,
 * else G_TEST_BUILDDIR/output), created. */
const char *gleaner_test_output_dir (void);
/* How many distinct colours the PNG at @path has (at most @cap counted):
 * a chart that drew something has many. */
guint gleaner_test_distinct_colours (const char *path, guint cap);
/* Renders @widget (realized, laid out) to @name in the output folder; returns the path. */
char *gleaner_test_render_png (GtkWidget *widget, const char *name);

G_END_DECLS
