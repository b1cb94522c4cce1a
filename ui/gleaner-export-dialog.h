/* gleaner-export-dialog.h — exporting the labeled dataset (app/gl-export.h):
 * format, split, options, target folder; progress with Cancel off the main
 * thread; "Open Folder" when done. */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_EXPORT_DIALOG (gleaner_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GleanerExportDialog, gleaner_export_dialog, GLEANER, EXPORT_DIALOG, AdwWindow)

/* Exports the project of @project's folder; the export thread opens the
 * project on its own, so @project may close while it runs. */
GleanerExportDialog *gleaner_export_dialog_new (GtkWindow *parent, GlProject *project);

void gleaner_export_dialog_set_target (GleanerExportDialog *self, const char *folder);
/* Starts the export with the options shown. */
void gleaner_export_dialog_start (GleanerExportDialog *self);
gboolean gleaner_export_dialog_is_running (GleanerExportDialog *self);

G_END_DECLS
