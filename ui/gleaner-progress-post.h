/* gleaner-progress-post.h — progress figures that a worker thread posts and
 * the main thread shows, through ONE coalesced idle callback at a time (the
 * Import and Export dialogs).
 *
 * Not a GObject: a struct embedded in the widget that shows the figures
 * (@owner). A queued idle holds a reference on @owner, so the struct lives as
 * long as any idle that reads it. The figures are any plain struct of
 * @size bytes (GlImportProgress, GlExportProgress), copied under a mutex.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* On the main thread, with the newest figures (@size bytes). */
typedef void (*GleanerProgressShowFunc) (gpointer owner, gconstpointer figures);

typedef struct
{
  /* borrowed */
  GObject *owner;
  GleanerProgressShowFunc show;

  /* owned */
  GMutex mutex;
  gsize size;
  gpointer latest;  /* (size) under @mutex */
  gboolean pending; /* under @mutex: an idle is queued */
} GleanerProgressPost;

void gleaner_progress_post_init (GleanerProgressPost *self, gpointer owner, gsize size,
                                 GleanerProgressShowFunc show);
void gleaner_progress_post_clear (GleanerProgressPost *self);

/* Any thread: keeps a copy of @figures and queues the idle unless one is. */
void gleaner_progress_post_publish (GleanerProgressPost *self, gconstpointer figures);

/* Sets @bar to @done / @total (pulses while @total is 0) and @label to @text. */
void gleaner_progress_post_set_bar (GtkProgressBar *bar, GtkLabel *label, guint64 done, guint64 total,
                                    const char *text);

G_END_DECLS
