/* gleaner-window.h — the main window: the welcome page when no project is
 * open, a progress page while one opens (the demo is built off the main
 * thread on first use), then the Label and Gallery views with the training
 * status, a primary menu and toasts.
 *
 * Window actions: win.open, win.open-demo, win.open-recent(s), win.new-project,
 * win.close-project, win.import, win.export, win.classes, win.train-now,
 * win.cancel-training, win.show-page(s). */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-trainer.h"
#include "ui/gleaner-application.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_WINDOW (gleaner_window_get_type ())
G_DECLARE_FINAL_TYPE (GleanerWindow, gleaner_window, GLEANER, WINDOW, AdwApplicationWindow)

GleanerWindow *gleaner_window_new (GleanerApplication *app);

/* Opens the project in @dir off the main thread; the window shows progress,
 * then the Label view (or the welcome page and a toast on error). */
void gleaner_window_open_project (GleanerWindow *self, GFile *dir);
/* Opens the demo project, building it first when missing (gl-demo.h). */
void gleaner_window_open_demo (GleanerWindow *self);
/* Opens a team project: @target is its connection string (may hold a
 * password: copied for the opening thread and wiped there after use; the
 * window shows and remembers the string without secrets). */
void gleaner_window_open_team (GleanerWindow *self, const char *target);
/* Closes the project and shows the welcome page. */
void gleaner_window_close_project (GleanerWindow *self);

/* The open project, or NULL; borrowed. */
GlProject *gleaner_window_get_project (GleanerWindow *self);
/* The labeling queue and the trainer of the open project, or NULL; borrowed. */
GlQueue *gleaner_window_get_queue (GleanerWindow *self);
GlTrainer *gleaner_window_get_trainer (GleanerWindow *self);
/* "welcome", "loading" or "project". */
const char *gleaner_window_get_state (GleanerWindow *self);

void gleaner_window_add_toast (GleanerWindow *self, AdwToast *toast);

G_END_DECLS
