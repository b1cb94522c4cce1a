/* gleaner-classes-dialog.h — the classes of a project: add, rename, colour,
 * reorder (which changes their keys), merge one into another, delete (after
 * a confirmation that says what happens to the labels). Through
 * app/gl-session.h; "changed" is emitted after each change. */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_CLASSES_DIALOG (gleaner_classes_dialog_get_type ())
G_DECLARE_FINAL_TYPE (GleanerClassesDialog, gleaner_classes_dialog, GLEANER, CLASSES_DIALOG, AdwWindow)

/* @project is borrowed; destroy the dialog before it closes. */
GleanerClassesDialog *gleaner_classes_dialog_new (GtkWindow *parent, GlProject *project);

G_END_DECLS
