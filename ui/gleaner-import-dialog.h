/* gleaner-import-dialog.h — importing images into a project: folders or
 * files (GtkFileChooserNative, or dropped onto the main window), the layout
 * and what labels that come with the images mean; then progress with Cancel,
 * off the main thread; then a summary listing the skipped files (unreadable,
 * duplicates) and why.
 *
 * The dialog hides when closed during an import, which goes on; "finished"
 * is emitted on the main thread when the import ends (also when cancelled,
 * as what was committed stays). */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_IMPORT_DIALOG (gleaner_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GleanerImportDialog, gleaner_import_dialog, GLEANER, IMPORT_DIALOG, AdwWindow)

/* @project is borrowed and must stay open until "finished" (or until the
 * dialog is destroyed before an import started). */
GleanerImportDialog *gleaner_import_dialog_new (GtkWindow *parent, GlProject *project);

/* Adds files or folders to import. */
void gleaner_import_dialog_add_files (GleanerImportDialog *self, GListModel *files);
void gleaner_import_dialog_add_path (GleanerImportDialog *self, const char *path);

/* Starts the import of the chosen paths. */
void gleaner_import_dialog_start (GleanerImportDialog *self);

gboolean gleaner_import_dialog_is_running (GleanerImportDialog *self);
/* Cancels a running import (what was committed stays). */
void gleaner_import_dialog_cancel (GleanerImportDialog *self);

/* "9,874 added, 12 unreadable, 114 duplicates" after "finished", else NULL. */
const char *gleaner_import_dialog_get_summary (GleanerImportDialog *self);
/* Whether the import that "finished" was cancelled. */
gboolean gleaner_import_dialog_get_cancelled (GleanerImportDialog *self);

G_END_DECLS
