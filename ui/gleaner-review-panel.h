/* gleaner-review-panel.h — review mode of the Label view (issue 14).
 *
 * Walks the suspected label errors of a GlReview (app/gl-review.h), the most
 * likely first: the image, the label it was given and the class the model
 * suggests with their out-of-fold probabilities, the score, and what the
 * keys do. Return (or Enter) keeps the label, a class key relabels the image
 * with that class, S skips, Escape leaves (signal "leave"). Every decision
 * goes through the GlReview, which writes it to the label history with
 * origin "review". When no suspected error is left it says so, with a way
 * out. */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"
#include "app/gl-review.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_REVIEW_PANEL (gleaner_review_panel_get_type ())
G_DECLARE_FINAL_TYPE (GleanerReviewPanel, gleaner_review_panel, GLEANER, REVIEW_PANEL, AdwBin)

GtkWidget *gleaner_review_panel_new (void);

/* Shows @review of @project (both borrowed; NULL, NULL to let go). */
void gleaner_review_panel_set_review (GleanerReviewPanel *self, GlProject *project, GlReview *review);

/* The project's classes (GlSessionClass, in the queue's order) and the key
 * of each (@keys: classes->len entries, 0 = none); both copied. */
void gleaner_review_panel_set_classes (GleanerReviewPanel *self, GPtrArray *classes, const gunichar *keys);

/* Return/Enter keeps, a class key relabels, S skips, Escape leaves. TRUE
 * when @keyval was one of them. */
gboolean gleaner_review_panel_handle_key (GleanerReviewPanel *self, guint keyval, GdkModifierType state);

G_END_DECLS
