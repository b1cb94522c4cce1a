/* gl-session.h — what the GUI needs of a project beyond GlProject, GlQueue
 * and GlTrainer: the unreadable files an import recorded, and the class
 * operations of the Classes dialog. GTK-free; each call opens its own store
 * connection on the project's database and runs on the calling thread (all
 * are small, indexed operations: the main thread may call them). */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 image_id;
  char *path;
  char *reason;
} GlUnreadableFile;

void gl_unreadable_file_free (GlUnreadableFile *file);

/* The highest image id of @project (0 when it has no image). Images added
 * later have higher ids. */
gboolean gl_session_last_image_id (GlProject *project, gint64 *image_id, GError **error);

/* The unreadable images with an id above @after_id, newest first, at most
 * @limit; *@total (optional) counts them all. GPtrArray of GlUnreadableFile. */
GPtrArray *gl_session_list_unreadable (GlProject *project, gint64 after_id, guint limit, guint64 *total,
                                       GError **error);

/* One image for the Label view when it is opened from the Gallery: its file
 * (or FILE#INDEX), its row in the pixel cache (-1 when unreadable), and the
 * position of its current class among gl_session_list_classes (-1 when
 * unlabeled). */
gboolean gl_session_get_image (GlProject *project, gint64 image_id, char **path, gint64 *cache_row, gint *label,
                               GError **error);

typedef struct
{
  gint64 id;
  char *name;
  char colour[8];    /* "#rrggbb" */
  gunichar shortcut; /* 0: none */
  gboolean archived;
  guint64 labeled;   /* images whose current label is this class */
} GlSessionClass;

void gl_session_class_free (GlSessionClass *klass);

/* The classes in position order, archived ones included (the order of the
 * queue's class ids). GPtrArray of GlSessionClass. */
GPtrArray *gl_session_list_classes (GlProject *project, GError **error);
gboolean gl_session_add_class (GlProject *project, const char *name, GError **error);
gboolean gl_session_rename_class (GlProject *project, gint64 class_id, const char *name, GError **error);
gboolean gl_session_recolour_class (GlProject *project, gint64 class_id, const char *colour, GError **error);
/* @shortcut 0 removes it. */
gboolean gl_session_set_class_shortcut (GlProject *project, gint64 class_id, gunichar shortcut, GError **error);
/* Moves the class one place up (-1) or down (+1). */
gboolean gl_session_move_class (GlProject *project, gint64 class_id, int delta, GError **error);
/* Relabels every image of @from as @into and deletes @from; *@n_relabeled
 * (optional) says how many images moved. */
gboolean gl_session_merge_classes (GlProject *project, gint64 from, gint64 into, guint64 *n_relabeled,
                                   GError **error);
/* Deletes the class; its images become unlabeled (they return to the queue).
 * History keeps every earlier label. */
gboolean gl_session_delete_class (GlProject *project, gint64 class_id, guint64 *n_unlabeled, GError **error);

G_END_DECLS
