/* gleaner-label-view.h — the Label view: where annotators label images.
 *
 * Shows the queue's current image large and crisp (small images enlarged
 * with nearest-neighbour by an integer factor), the model's top three
 * classes with their probabilities, why the image was queued, one button per
 * class with its key, a strip of the next images and the counters. The next
 * images are decoded in advance, so that after a key the next one is painted
 * in the same frame. Every label is committed (GlQueue's asynchronous
 * commands, on its writer thread) before the view moves on; on an error the
 * view stays on the image and a toast says why. Keys and buttons given while
 * a commit is under way wait and run in the order given. */
#pragma once

#include <adwaita.h>

#include "app/gl-project.h"
#include "app/gl-queue.h"
#include "app/gl-review.h"

G_BEGIN_DECLS

#define GLEANER_TYPE_LABEL_VIEW (gleaner_label_view_get_type ())
G_DECLARE_FINAL_TYPE (GleanerLabelView, gleaner_label_view, GLEANER, LABEL_VIEW, AdwBin)

/* Shows @queue of @project (both borrowed; NULL, NULL to let go of them
 * before they close). */
void gleaner_label_view_set_queue (GleanerLabelView *self, GlProject *project, GlQueue *queue);

/* Shows one image out of the queue's order (opened from the Gallery) until
 * it is labeled (a class key) or left (S, Right, Escape); @label is its
 * current class or -1. */
void gleaner_label_view_show_image (GleanerLabelView *self, gint64 image_id, const char *path, gint64 cache_row,
                                    gint label);

/* The item on screen: the queue's current one, or the image opened from
 * the Gallery (with the model's top classes); NULL when none. Borrowed,
 * valid until the view changes. */
const GlQueueItem *gleaner_label_view_get_item (GleanerLabelView *self);

/* Whether every part of the last update is painted or made: the view paints
 * an update over up to four frames (see gleaner-label-view.c). */
gboolean gleaner_label_view_is_settled (GleanerLabelView *self);

/* Reads the class names again (after the Classes dialog changed them). */
void gleaner_label_view_reload_classes (GleanerLabelView *self);

/* Review mode (issue 14): walks the suspected label errors of the current
 * model version (ui/gleaner-review-panel.h) in place of the queue. Start:
 * FALSE when the version has no detection. While reviewing, the keys are
 * review mode's (Return keeps, a class key relabels, S skips, Escape
 * leaves). */
gboolean gleaner_label_view_start_review (GleanerLabelView *self);
void gleaner_label_view_leave_review (GleanerLabelView *self);
gboolean gleaner_label_view_is_reviewing (GleanerLabelView *self);
/* A new model version is current (a round ended, or another process made
 * one): reads its label-error check and, when it has none, starts one in
 * the background (progress and Cancel in the view). While reviewing, only
 * once the review is left. */
void gleaner_label_view_new_version (GleanerLabelView *self);
/* The view's review (owned by the view; NULL without a project). */
GlReview *gleaner_label_view_get_review (GleanerLabelView *self);

/* The view's keys: 1–9, 0, then letters (not S) label with a class; Return
 * or Space accepts; S skips; BackSpace or Ctrl+Z undoes; Left/Right move back
 * and forth. TRUE when @keyval was one of them. */
gboolean gleaner_label_view_handle_key (GleanerLabelView *self, guint keyval, GdkModifierType state);

/* The key of the class at @index ("1"…"9", "0", "a"…, not "s"), or 0 when
 * it has none. */
gunichar gleaner_label_view_class_key (guint index);

/* The keys of @n classes: each class's own shortcut (@custom[i], 0 = none),
 * else its default key when no class has that key as its own; 0 when it
 * has none. Keys are lower case. */
void gleaner_label_view_assign_keys (const gunichar *custom, guint n, gunichar *keys);

G_END_DECLS
