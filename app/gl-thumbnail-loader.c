/* gl-thumbnail-loader.c — see gl-thumbnail-loader.h.
 *
 * A GThreadPool with a sort function gives the order (priority, then newest
 * first); each job carries its GTask, which marshals the result back to the
 * caller's context. Workers read only the immutable fields of the item (path,
 * hash, cache row), the thread-safe thumbnail pack and read-only maps of the
 * pixel cache. Workers run 5 nice levels below the caller (Linux), so that
 * decoding never takes a core from the main loop.
 */
#include "app/gl-thumbnail-loader.h"

#include "app/gl-path.h"
#include "app/gl-thumbs.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define DEFAULT_THREADS 2

struct _GlThumbnailLoader
{
  GObject parent_instance;

  /* borrowed */
  GlProject *project;
  GlThumbPack *pack;

  /* owned */
  GThreadPool *pool;
  guint n_threads;
  gint shutting_down; /* atomic */
  guint64 seq;        /* main thread only */

  GMutex lock;         /* guards the fields below */
  GlPixelMap *map;     /* the newest map of the pixel cache, NULL until needed */
  GPtrArray *old_maps; /* maps replaced while a worker may still read them */
  guint h, w, c;       /* shape of the pixel cache */
  GlThumbnailLoaderStats stats;
  guint active;

  /* main thread */
  gboolean paused;
  GPtrArray *held; /* Job *: requests made while paused */
};

G_DEFINE_FINAL_TYPE (GlThumbnailLoader, gl_thumbnail_loader, G_TYPE_OBJECT)

typedef struct
{
  GlThumbnailLoader *loader; /* borrowed: the pool is drained before the loader goes */
  GTask *task;               /* owned */
  GlGalleryItem *item;       /* owned */
  int priority;
  guint64 seq;
} Job;

static void
free_job (Job *job)
{
  g_object_unref (job->task);
  g_object_unref (job->item);
  g_free (job);
}

static int
compare_jobs (gconstpointer a, gconstpointer b, gpointer data)
{
  const Job *ja = a, *jb = b;
  if (ja->priority != jb->priority)
    return ja->priority < jb->priority ? -1 : 1;
  /* Newest first. */
  return ja->seq > jb->seq ? -1 : ja->seq < jb->seq ? 1 : 0;
}

static int
compare_held (gconstpointer a, gconstpointer b, gpointer data)
{
  return compare_jobs (*(Job *const *) a, *(Job *const *) b, data);
}

/* The row @cache_row of the pixel cache as a thumbnail; maps the cache again
 * when the row was appended after the current map was made. */
static GdkPixbuf *
thumb_from_cache (GlThumbnailLoader *self, const char *display_name, gint64 cache_row, GError **error)
{
  g_mutex_lock (&self->lock);
  if (self->map == NULL || (guint64) cache_row >= gl_pixel_map_count (self->map))
    {
      GError *local = NULL;
      GlPixelMap *map = gl_pixel_map_open (gl_project_get_pixels_path (self->project), &local);
      if (map == NULL)
        {
          g_mutex_unlock (&self->lock);
          g_propagate_error (error, local);
          return NULL;
        }
      if (self->map != NULL)
        g_ptr_array_add (self->old_maps, self->map);
      self->map = map;
      gl_pixel_map_shape (map, &self->h, &self->w, &self->c);
    }
  GlPixelMap *map = self->map;
  guint h = self->h, w = self->w, c = self->c;
  g_mutex_unlock (&self->lock);

  /* Read, not mapped: the loader's maps live as long as the Gallery, and a
   * mapping keeps every row it ever read resident. */
  g_autofree guint8 *row = g_malloc ((gsize) h * w * c); /* (h, w, c) */
  g_autoptr (GError) local = NULL;
  if (cache_row < 0 || !gl_pixel_map_read_row (map, (guint64) cache_row, row, &local))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: row %" G_GINT64_FORMAT " is not in the pixel cache %s%s%s",
                   display_name, cache_row, gl_project_get_pixels_path (self->project), local ? ": " : "",
                   local ? local->message : "");
      return NULL;
    }
  return gl_thumbs_from_pixels (row, h, w, c);
}

static GdkPixbuf *
load_one (GlThumbnailLoader *self, GlGalleryItem *item, GError **error)
{
  const char *path = gl_gallery_item_get_path (item);
  const char *hash = gl_gallery_item_get_hash (item);
  gint64 cache_row = gl_gallery_item_get_cache_row (item);
  g_autofree char *disp = gl_path_display (path != NULL ? path : "?");
  if (gl_gallery_item_get_unreadable (item))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: the file could not be read when imported",
                   disp);
      return NULL;
    }
  /* Files first (their own thumbnail is sharper than the model input); IDX
   * images ("file#index") have only their pixel-cache row. */
  g_autofree char *here = path != NULL ? gl_project_local_path (self->project, path) : NULL; /* a team's prefixes */
  g_autofree char *file = here != NULL ? gl_path_decode (here) : NULL;
  if (hash != NULL && file != NULL && g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *reason = NULL;
      GdkPixbuf *pb = gl_thumbs_for_file (self->pack, hash, here, &reason);
      if (pb != NULL)
        return pb;
      if (cache_row < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", disp, reason);
          return NULL;
        }
    }
  if (cache_row >= 0)
    return thumb_from_cache (self, disp, cache_row, error);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: the file is gone and no model input is cached", disp);
  return NULL;
}

/* Decoding must not take the CPU from the main loop: on Linux a thread has
 * its own nice value. */
static void
lower_thread_priority (void)
{
#ifdef __linux__
  static GPrivate lowered;
  if (g_private_get (&lowered) != NULL)
    return;
  g_private_set (&lowered, GINT_TO_POINTER (1));
  pid_t tid = (pid_t) syscall (SYS_gettid);
  int nice_now = getpriority (PRIO_PROCESS, (id_t) tid);
  setpriority (PRIO_PROCESS, (id_t) tid, MIN (nice_now + 5, 19));
#endif
}

static void
run_job (gpointer data, gpointer pool_data)
{
  Job *job = data;
  GlThumbnailLoader *self = job->loader;
  lower_thread_priority ();
  GCancellable *cancellable = g_task_get_cancellable (job->task);

  if (g_atomic_int_get (&self->shutting_down) || g_cancellable_is_cancelled (cancellable))
    {
      g_mutex_lock (&self->lock);
      self->stats.cancelled++;
      g_mutex_unlock (&self->lock);
      g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "thumbnail of image %" G_GINT64_FORMAT " cancelled", gl_gallery_item_get_id (job->item));
      free_job (job);
      return;
    }

  g_mutex_lock (&self->lock);
  self->active++;
  self->stats.max_active = MAX (self->stats.max_active, self->active);
  g_mutex_unlock (&self->lock);

  GError *error = NULL;
  GdkPixbuf *pb = load_one (self, job->item, &error);

  g_mutex_lock (&self->lock);
  self->active--;
  if (pb != NULL)
    self->stats.decoded++;
  else
    self->stats.failed++;
  g_mutex_unlock (&self->lock);

  if (pb != NULL)
    g_task_return_pointer (job->task, pb, g_object_unref);
  else
    g_task_return_error (job->task, error);
  free_job (job);
}

static void
gl_thumbnail_loader_dispose (GObject *object)
{
  GlThumbnailLoader *self = GL_THUMBNAIL_LOADER (object);
  if (self->pool != NULL)
    {
      g_atomic_int_set (&self->shutting_down, 1);
      /* Runs the queued and held jobs, which fail at once as cancelled. */
      gl_thumbnail_loader_set_paused (self, FALSE);
      g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
    }
  G_OBJECT_CLASS (gl_thumbnail_loader_parent_class)->dispose (object);
}

static void
gl_thumbnail_loader_finalize (GObject *object)
{
  GlThumbnailLoader *self = GL_THUMBNAIL_LOADER (object);
  g_clear_pointer (&self->map, gl_pixel_map_free);
  g_clear_pointer (&self->old_maps, g_ptr_array_unref);
  g_clear_pointer (&self->held, g_ptr_array_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gl_thumbnail_loader_parent_class)->finalize (object);
}

static void
gl_thumbnail_loader_class_init (GlThumbnailLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = gl_thumbnail_loader_dispose;
  object_class->finalize = gl_thumbnail_loader_finalize;
}

static void
gl_thumbnail_loader_init (GlThumbnailLoader *self)
{
  g_mutex_init (&self->lock);
  self->old_maps = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_pixel_map_free);
  self->held = g_ptr_array_new ();
}

GlThumbnailLoader *
gl_thumbnail_loader_new (GlProject *project, guint n_threads, GError **error)
{
  g_return_val_if_fail (project != NULL, NULL);
  g_autoptr (GlThumbnailLoader) self = g_object_new (GL_TYPE_THUMBNAIL_LOADER, NULL);
  self->project = project;
  self->pack = gl_project_get_thumbs (project);
  self->n_threads = n_threads > 0 ? n_threads : DEFAULT_THREADS;
  /* Exclusive: its threads are its own, so their nice value stays here. */
  self->pool = g_thread_pool_new (run_job, self, (int) self->n_threads, TRUE, error);
  if (self->pool == NULL)
    return NULL;
  g_thread_pool_set_sort_function (self->pool, compare_jobs, NULL);
  return g_steal_pointer (&self);
}

void
gl_thumbnail_loader_load_async (GlThumbnailLoader *self, GlGalleryItem *item, int priority,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GL_IS_THUMBNAIL_LOADER (self));
  g_return_if_fail (GL_IS_GALLERY_ITEM (item));
  /* No source object: the tasks must not keep the loader (and through it the
   * borrowed project) alive after its owner dropped it. */
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gl_thumbnail_loader_load_async);
  g_task_set_priority (task, priority);
  Job *job = g_new0 (Job, 1);
  job->loader = self;
  job->task = task;
  job->item = g_object_ref (item);
  job->priority = priority;
  job->seq = ++self->seq;
  g_mutex_lock (&self->lock);
  self->stats.queued++;
  g_mutex_unlock (&self->lock);
  if (self->paused)
    g_ptr_array_add (self->held, job);
  else
    g_thread_pool_push (self->pool, job, NULL);
}

GdkPixbuf *
gl_thumbnail_loader_load_finish (GlThumbnailLoader *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GdkPixbuf *
gl_thumbnail_loader_load (GlThumbnailLoader *self, GlGalleryItem *item, GError **error)
{
  g_return_val_if_fail (GL_IS_THUMBNAIL_LOADER (self), NULL);
  return load_one (self, item, error);
}

void
gl_thumbnail_loader_get_stats (GlThumbnailLoader *self, GlThumbnailLoaderStats *stats)
{
  g_mutex_lock (&self->lock);
  *stats = self->stats;
  g_mutex_unlock (&self->lock);
}

void
gl_thumbnail_loader_set_paused (GlThumbnailLoader *self, gboolean paused)
{
  g_return_if_fail (GL_IS_THUMBNAIL_LOADER (self));
  self->paused = paused;
  if (paused || self->held->len == 0)
    return;
  /* In the pool's own order, so that an idle worker that takes the first one
   * pushed takes the one that should go first. */
  g_ptr_array_sort_with_data (self->held, compare_held, NULL);
  for (guint i = 0; i < self->held->len; i++)
    g_thread_pool_push (self->pool, g_ptr_array_index (self->held, i), NULL);
  g_ptr_array_set_size (self->held, 0);
}

guint
gl_thumbnail_loader_get_n_threads (GlThumbnailLoader *self)
{
  return self->n_threads;
}
