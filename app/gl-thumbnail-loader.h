/* gl-thumbnail-loader.h — thumbnails decoded off the main thread for the gallery.
 *
 * A bounded pool of worker threads (default 2) turns gallery items into
 * thumbnails: the thumbnail pack when it holds one, else the file decoded
 * (and added to the pack), else, for images unpacked from IDX (and files
 * gone since the import), the pixel-cache row enlarged crisply.
 *
 * Order: the lowest @priority first (G_PRIORITY_DEFAULT for what is on
 * screen, G_PRIORITY_LOW for prefetch); among equals the NEWEST request
 * first, so that while scrolling the cells that were just bound (the visible
 * ones) are decoded before those that scrolled away. A cancelled request is
 * dropped without decoding; its callback gets G_IO_ERROR_CANCELLED.
 *
 * Results arrive through the usual GAsyncReadyCallback on the thread-default
 * main context of the caller. Use from one thread (the main thread); the
 * loader borrows @project, which must outlive it. Unreffing the loader waits
 * for the jobs in progress and fails the queued ones as cancelled; callbacks
 * may then still arrive (with G_IO_ERROR_CANCELLED) and get a NULL source.
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>

#include "app/gl-gallery-model.h"
#include "app/gl-project.h"

G_BEGIN_DECLS

#define GL_TYPE_THUMBNAIL_LOADER (gl_thumbnail_loader_get_type ())
G_DECLARE_FINAL_TYPE (GlThumbnailLoader, gl_thumbnail_loader, GL, THUMBNAIL_LOADER, GObject)

/* @n_threads: 0 for the default (2). */
GlThumbnailLoader *gl_thumbnail_loader_new (GlProject *project, guint n_threads, GError **error);

void gl_thumbnail_loader_load_async (GlThumbnailLoader *loader, GlGalleryItem *item, int priority,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
/* The thumbnail (at most GL_THUMB_SIZE a side; IDX images enlarged by an
 * integer factor), or NULL with an error naming the file (unreadable, gone,
 * or G_IO_ERROR_CANCELLED). */
GdkPixbuf *gl_thumbnail_loader_load_finish (GlThumbnailLoader *loader, GAsyncResult *result, GError **error);

/* Blocking variant for tests and benchmarks (runs on the calling thread). */
GdkPixbuf *gl_thumbnail_loader_load (GlThumbnailLoader *loader, GlGalleryItem *item, GError **error);

/* While paused, new requests are held (decodes already queued go on); on
 * resume they are queued in their order. For a gallery that is not on
 * screen, and for tests. */
void gl_thumbnail_loader_set_paused (GlThumbnailLoader *loader, gboolean paused);

typedef struct
{
  guint64 queued;    /* requests submitted */
  guint64 decoded;   /* thumbnails produced */
  guint64 cancelled; /* dropped because cancelled before a worker reached them */
  guint64 failed;    /* unreadable or gone */
  guint max_active;  /* most workers busy at once (≤ n_threads) */
} GlThumbnailLoaderStats;

void gl_thumbnail_loader_get_stats (GlThumbnailLoader *loader, GlThumbnailLoaderStats *stats);
guint gl_thumbnail_loader_get_n_threads (GlThumbnailLoader *loader);

G_END_DECLS
