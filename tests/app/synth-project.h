/* synth-project.h — a small learnable project shared by the loop tests
 * (queue, trainer, simulator): 28×28 grey images of four classes, a bright
 * 10×10 square in the quadrant of the label, on noise. Pool images carry
 * REFERENCE labels (the oracle); a second batch is the held-out test set. */
#pragma once

#include "app/gl-project.h"
#include "db/gl-db.h"

extern const char *const synth_classes[];

/* Writes @dir/@split-images-idx3-ubyte and -labels-idx1-ubyte: @n images
 * drawn from @seed; @centred: every square in the centre instead of its
 * class's quadrant (a new kind of image, for drift). */
void synth_write_idx (const char *dir, const char *split, guint n, guint32 seed, gboolean centred);
/* A project in @dir/project with @n_pool pool and @n_test held-out images. */
GlProject *synth_project (const char *dir, guint n_pool, guint n_test);
/* The reference class of @image_id (store id). */
gint64 synth_reference (GlDb *db, gint64 image_id);
/* Labels (as a human) the first @n pool images with their reference class. */
void synth_label_first (GlProject *p, GlDb *db, guint n);
/* Gives every @every-th labeled pool image (id order) the next class instead,
 * @n of them (planted label errors); their ids into @flipped (n). */
void synth_flip_labels (GlProject *p, GlDb *db, guint every, guint n, gint64 *flipped);
