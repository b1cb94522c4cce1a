/* gleaner-label-view.h — the Label view: where annotators label images. */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_LABEL_VIEW (gleaner_label_view_get_type ())
G_DECLARE_FINAL_TYPE (GleanerLabelView, gleaner_label_view, GLEANER, LABEL_VIEW, AdwBin)

/* Shows @project (borrowed; NULL to let go of it before it closes). */
void gleaner_label_view_set_project (GleanerLabelView *self, GlProject *project);

G_END_DECLS
