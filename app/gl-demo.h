/* gl-demo.h — the demo project, built on first use from Fashion-MNIST.
 *
 * The 60,000 training images form the pool, their labels imported as
 * REFERENCE labels (never shown or trained on; for evaluation and the
 * simulator). The 10,000 test images are a second import batch flagged as a
 * held-out reference test set. Input shape 28×28×1, the ten classes of
 * Fashion-MNIST in label order.
 *
 * The project is built in DIR.partial and renamed to DIR when complete, so
 * an interrupted first use never leaves a half demo behind.
 */
#pragma once

#include "app/gl-project.h"

G_BEGIN_DECLS

/* The ten Fashion-MNIST class names, NULL-terminated. */
const char *const *gl_demo_class_names (void);

/* $GLEANER_DEMO_DIR, else g_get_user_data_dir()/gleaner/demo. */
char *gl_demo_default_dir (void);

/* Opens the demo project at @dir (NULL: the default), building it first when
 * missing from the IDX files in @mnist_dir (NULL: GLEANER_FASHION_MNIST_DIR). */
GlProject *gl_demo_ensure (const char *dir, const char *mnist_dir, GlImportProgressFunc progress,
                           gpointer progress_data, GCancellable *cancellable, GError **error);

G_END_DECLS
