/* gleaner-welcome-page.h — shown when no project is open: open the demo
 * project, create a project (name, grey or colour input, size, classes),
 * open a project folder, connect to a team project (a PostgreSQL server),
 * or one of the recent projects (GSettings "recent-projects").
 *
 * The buttons activate win.open-demo, win.new-project, win.open,
 * win.connect-team and win.open-recent; "project-created" (a folder path) is emitted after the
 * new-project dialog created one. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GLEANER_TYPE_WELCOME_PAGE (gleaner_welcome_page_get_type ())
G_DECLARE_FINAL_TYPE (GleanerWelcomePage, gleaner_welcome_page, GLEANER, WELCOME_PAGE, AdwBin)

/* Shows the new-project dialog. */
void gleaner_welcome_page_new_project (GleanerWelcomePage *self);

G_END_DECLS
