/* gl-gallery-model.c — see gl-gallery-model.h. */
#include "app/gl-gallery-model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/gl-path.h"
#include "db/gl-db-label-errors.h"
#include "db/gl-db.h"

/* ---- GlGalleryItem --------------------------------------------------- */

struct _GlGalleryItem
{
  GObject parent_instance;

  gint64 id;     /* -1: a placeholder for a row that could not be read */
  char *path;    /* owned; immutable */
  char *name;    /* owned; immutable (display name of the basename) */
  char *hash;    /* owned; immutable; NULL when unreadable */
  gint64 cache_row;
  gboolean unreadable;
  gint64 label; /* main thread */
  gint64 predicted;
  double confidence;
};

G_DEFINE_FINAL_TYPE (GlGalleryItem, gl_gallery_item, G_TYPE_OBJECT)

enum
{
  ITEM_PROP_0,
  ITEM_PROP_LABEL,
  ITEM_N_PROPS
};

static GParamSpec *item_props[ITEM_N_PROPS];

static void
gl_gallery_item_finalize (GObject *object)
{
  GlGalleryItem *self = GL_GALLERY_ITEM (object);
  g_free (self->path);
  g_free (self->name);
  g_free (self->hash);
  G_OBJECT_CLASS (gl_gallery_item_parent_class)->finalize (object);
}

static void
gl_gallery_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GlGalleryItem *self = GL_GALLERY_ITEM (object);
  switch (prop_id)
    {
    case ITEM_PROP_LABEL:
      g_value_set_int64 (value, self->label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gl_gallery_item_class_init (GlGalleryItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = gl_gallery_item_finalize;
  object_class->get_property = gl_gallery_item_get_property;
  item_props[ITEM_PROP_LABEL] = g_param_spec_int64 ("label", NULL, NULL, -1, G_MAXINT64, -1,
                                                    G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY
                                                      | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_props);
}

static void
gl_gallery_item_init (GlGalleryItem *self)
{
  self->id = -1;
  self->cache_row = -1;
  self->label = -1;
  self->predicted = -1;
  self->confidence = -1;
}

static GlGalleryItem *
item_new (const GlDbListRow *row)
{
  GlGalleryItem *self = g_object_new (GL_TYPE_GALLERY_ITEM, NULL);
  if (row == NULL)
    {
      self->path = g_strdup ("");
      self->name = g_strdup ("");
      return self;
    }
  self->id = row->image_id;
  self->path = g_strdup (row->path);
  g_autofree char *shown = gl_path_display (row->path);
  self->name = g_path_get_basename (shown);
  self->hash = g_strdup (row->hash_hex);
  self->cache_row = row->cache_row;
  self->unreadable = row->unreadable;
  self->label = row->class_id;
  self->predicted = row->predicted_class;
  self->confidence = isnan (row->confidence) ? -1 : row->confidence;
  return self;
}

static void
item_set_label (GlGalleryItem *self, gint64 label)
{
  if (self->label == label)
    return;
  self->label = label;
  g_object_notify_by_pspec (G_OBJECT (self), item_props[ITEM_PROP_LABEL]);
}

gint64
gl_gallery_item_get_id (GlGalleryItem *self)
{
  return self->id;
}

const char *
gl_gallery_item_get_path (GlGalleryItem *self)
{
  return self->path;
}

const char *
gl_gallery_item_get_name (GlGalleryItem *self)
{
  return self->name;
}

gint64
gl_gallery_item_get_label (GlGalleryItem *self)
{
  return self->label;
}

gint64
gl_gallery_item_get_predicted (GlGalleryItem *self)
{
  return self->predicted;
}

double
gl_gallery_item_get_confidence (GlGalleryItem *self)
{
  return self->confidence;
}

gboolean
gl_gallery_item_get_unreadable (GlGalleryItem *self)
{
  return self->unreadable;
}

const char *
gl_gallery_item_get_hash (GlGalleryItem *self)
{
  return self->hash;
}

gint64
gl_gallery_item_get_cache_row (GlGalleryItem *self)
{
  return self->cache_row;
}

/* ---- GlGalleryModel -------------------------------------------------- */

typedef struct
{
  guint index;     /* page number: rows index * PAGE_SIZE … */
  GPtrArray *items; /* GlGalleryItem, ≤ PAGE_SIZE */
  guint64 used;    /* LRU clock of the last access */
} Page;

struct _GlGalleryModel
{
  GObject parent_instance;

  /* borrowed */
  GlProject *project;

  /* owned */
  GlDb *db;
  GlDbFilter filter;
  GlDbSort sort;
  guint n_items;
  GPtrArray *starts; /* (n_pages) GlDbCursor *: where page k starts; NULL = unknown (k = 0: the start) */
  Page *pages[GL_GALLERY_MAX_PAGES];
  guint n_pages_cached;
  /* Main thread: image id → item (a reference) of an evicted page that is
   * still held elsewhere (bound to a cell). A page read again reuses it, and
   * labels given meanwhile reach it, so a cell keeps showing its item's
   * label after the page left the cache (a large selection labeled). */
  GHashTable *shown;
  guint64 clock;
  GArray *classes; /* GlGalleryClass */
  GlGalleryModelStats stats;

  /* Far jumps: page starts found by a walk on a worker thread. */
  guint generation;          /* bumped whenever positions change meaning */
  gboolean walking;          /* a walk of this generation runs */
  GCancellable *walk_cancel; /* of that walk */
  GArray *waiting;           /* guint: pages asked for whose start the walk will find */

  /* Read-ahead: the next page in the direction of reading, on a worker. */
  GlDb *ahead_db;       /* used by the read-ahead worker only; opened there */
  gboolean reading_ahead;

  /* Main thread: the first page of a new listing (open, filter, sort) is read
   * on the read-ahead worker, not here, when the view asked for it: a cold
   * first page of a million-image listing takes longer than a frame. */
  gboolean first_in_background; /* set by the view */
  gint first_pending;           /* that page, handed out as placeholders until read; -1: none */

  /* Labeling a selection on a worker (one at a time). */
  guint64 labeling;           /* images of the labeling under way, 0 = none */
  guint64 label_page_limit;   /* test hook: max_pages of its connection */
};

static void gl_gallery_model_list_model_init (GListModelInterface *iface);

/* The Gallery's filters are the store's, in the same order (cast below). */
G_STATIC_ASSERT ((int) GL_GALLERY_FILTER_CONFUSION == (int) GL_DB_FILTER_CONFUSION);
G_STATIC_ASSERT ((int) GL_GALLERY_FILTER_SUSPECTED == (int) GL_DB_FILTER_SUSPECTED);
G_STATIC_ASSERT ((int) GL_GALLERY_FILTER_DRIFT == (int) GL_DB_FILTER_PREDICTED_RANGE);
G_STATIC_ASSERT ((int) GL_GALLERY_SORT_DISAGREEMENT == (int) GL_DB_SORT_DISAGREEMENT);

G_DEFINE_FINAL_TYPE_WITH_CODE (GlGalleryModel, gl_gallery_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, gl_gallery_model_list_model_init))

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->items);
  g_free (page);
}

static void
drop_pages_from (GlGalleryModel *self, guint first)
{
  for (guint i = 0; i < self->n_pages_cached;)
    if (self->pages[i]->index >= first)
      {
        page_free (self->pages[i]);
        self->pages[i] = self->pages[--self->n_pages_cached];
      }
    else
      i++;
}

static guint
n_pages_for (guint n_items)
{
  return (n_items + GL_GALLERY_PAGE_SIZE - 1) / GL_GALLERY_PAGE_SIZE;
}

static void new_generation (GlGalleryModel *self);

/* Forgets pages and page starts; counts again. */
static gboolean
recount (GlGalleryModel *self, GError **error)
{
  guint64 count = 0;
  if (!gl_db_count_images (self->db, &self->filter, &count, error))
    return FALSE;
  new_generation (self);
  drop_pages_from (self, 0);
  g_ptr_array_set_size (self->starts, 0);
  self->n_items = (guint) MIN (count, (guint64) G_MAXUINT);
  g_ptr_array_set_size (self->starts, n_pages_for (self->n_items));
  return TRUE;
}

static gboolean
load_classes (GlGalleryModel *self, GError **error)
{
  g_autoptr (GArray) list = gl_db_list_classes (self->db, TRUE, error);
  if (list == NULL)
    return FALSE;
  g_array_set_size (self->classes, 0);
  for (guint i = 0; i < list->len; i++)
    {
      const GlDbClass *k = &g_array_index (list, GlDbClass, i);
      GlGalleryClass c = { k->id, g_strdup (k->name), g_strdup (k->colour), k->shortcut, k->archived };
      g_array_append_val (self->classes, c);
    }
  return TRUE;
}

static void
clear_class (gpointer data)
{
  GlGalleryClass *c = data;
  g_free (c->name);
  g_free (c->colour);
}

/* Reads the page that starts after @start; *next gets the start of the one
 * after it (NULL at the end). */
static GArray *
read_rows (GlGalleryModel *self, const GlDbCursor *start, GlDbCursor **next, GError **error)
{
  GArray *rows = NULL;
  gint64 t0 = g_get_monotonic_time ();
  if (!gl_db_list_images (self->db, &self->filter, self->sort, start, GL_GALLERY_PAGE_SIZE, &rows, next, error))
    return NULL;
  self->stats.max_read_ms = MAX (self->stats.max_read_ms, (g_get_monotonic_time () - t0) / 1000.0);
  self->stats.rows_read += rows->len;
  return rows;
}

static void
remember_start (GlGalleryModel *self, guint k, GlDbCursor *cursor)
{
  if (cursor == NULL || k >= self->starts->len || g_ptr_array_index (self->starts, k) != NULL)
    {
      gl_db_cursor_free (cursor);
      return;
    }
  g_ptr_array_index (self->starts, k) = cursor;
}

static Page *
find_page (GlGalleryModel *self, guint k)
{
  for (guint i = 0; i < self->n_pages_cached; i++)
    if (self->pages[i]->index == k)
      {
        self->pages[i]->used = ++self->clock;
        return self->pages[i];
      }
  return NULL;
}

/* ---- Walks ------------------------------------------------------------ */

typedef struct
{
  char *db_path;
  GlDbFilter filter;
  GlDbSort sort;
  GlDbCursor *from; /* start of page @j (NULL: the start) */
  guint j, k;       /* walk from page j to page k */
  guint generation;
  GPtrArray *starts; /* out: GlDbCursor *, the starts of pages j + 1 … k */
} Walk;

static void
walk_free (Walk *w)
{
  g_free (w->db_path);
  gl_db_cursor_free (w->from);
  g_ptr_array_unref (w->starts);
  g_free (w);
}

static void
walk_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Walk *w = data;
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (w->db_path, &error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  const GlDbCursor *from = w->from;
  for (guint m = w->j; m < w->k; m++)
    {
      if (g_task_return_error_if_cancelled (task))
        return;
      GArray *rows = NULL;
      GlDbCursor *next = NULL;
      if (!gl_db_list_images (db, &w->filter, w->sort, from, GL_GALLERY_PAGE_SIZE, &rows, &next, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_array_unref (rows);
      if (next == NULL)
        break; /* shorter than counted: the store changed; the pages past it stay empty */
      g_ptr_array_add (w->starts, next);
      from = next;
    }
  g_task_return_boolean (task, TRUE);
}

static void start_walk (GlGalleryModel *self);

static void
on_walk_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GlGalleryModel *self = GL_GALLERY_MODEL (source);
  Walk *w = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  if (w->generation != self->generation)
    return; /* the listing changed meanwhile; its own walk is under way */
  self->walking = FALSE;
  g_clear_object (&self->walk_cancel);
  if (!ok)
    {
      self->stats.errors++;
      g_message ("gallery: %s", error->message);
      g_array_set_size (self->waiting, 0);
      return;
    }
  self->stats.cursor_walks += w->starts->len;
  for (guint i = 0; i < w->starts->len; i++)
    remember_start (self, w->j + 1 + i, gl_db_cursor_copy (g_ptr_array_index (w->starts, i)));

  /* The pages shown as placeholders can now be read: have them asked again. */
  g_autoptr (GArray) ready = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < self->waiting->len;)
    {
      guint p = g_array_index (self->waiting, guint, i);
      if (p < self->starts->len && (p == 0 || g_ptr_array_index (self->starts, p) != NULL))
        {
          g_array_append_val (ready, p);
          g_array_remove_index_fast (self->waiting, i);
        }
      else
        i++;
    }
  if (self->waiting->len > 0)
    start_walk (self);
  guint generation = self->generation;
  for (guint i = 0; i < ready->len && generation == self->generation; i++)
    {
      guint p = g_array_index (ready, guint, i), first = p * GL_GALLERY_PAGE_SIZE;
      if (first < self->n_items)
        {
          guint len = MIN (GL_GALLERY_PAGE_SIZE, self->n_items - first);
          g_list_model_items_changed (G_LIST_MODEL (self), first, len, len);
        }
    }
}

/* Walks, on a worker thread, to the farthest page waiting. */
static void
start_walk (GlGalleryModel *self)
{
  guint k = 0;
  for (guint i = 0; i < self->waiting->len; i++)
    k = MAX (k, g_array_index (self->waiting, guint, i));
  guint j = MIN (k, self->starts->len - 1);
  while (j > 0 && g_ptr_array_index (self->starts, j) == NULL)
    j--;
  Walk *w = g_new0 (Walk, 1);
  w->db_path = g_strdup (gl_project_get_db_path (self->project));
  w->filter = self->filter;
  w->sort = self->sort;
  w->from = j > 0 ? gl_db_cursor_copy (g_ptr_array_index (self->starts, j)) : NULL;
  w->j = j;
  w->k = k;
  w->generation = self->generation;
  w->starts = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_db_cursor_free);
  self->walking = TRUE;
  self->walk_cancel = g_cancellable_new ();
  g_autoptr (GTask) task = g_task_new (self, self->walk_cancel, on_walk_done, NULL);
  g_task_set_task_data (task, w, (GDestroyNotify) walk_free);
  g_task_run_in_thread (task, walk_thread);
}

/* Positions change meaning: forget walks in flight and what waited for them. */
static void
new_generation (GlGalleryModel *self)
{
  self->generation++;
  if (self->walk_cancel != NULL)
    g_cancellable_cancel (self->walk_cancel);
  g_clear_object (&self->walk_cancel);
  self->walking = FALSE;
  g_array_set_size (self->waiting, 0);
  self->first_pending = -1;
}

/* ---- Read-ahead -------------------------------------------------------- */

typedef struct
{
  GlGalleryModel *self; /* borrowed: the task holds a ref */
  char *db_path;
  GlDbFilter filter;
  GlDbSort sort;
  GlDbCursor *from;
  guint k;
  guint generation;
  GArray *rows;      /* out */
  GlDbCursor *next;  /* out */
} Ahead;

static void
ahead_free (Ahead *a)
{
  g_free (a->db_path);
  gl_db_cursor_free (a->from);
  g_clear_pointer (&a->rows, g_array_unref);
  gl_db_cursor_free (a->next);
  g_free (a);
}

static void
ahead_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Ahead *a = data;
  GError *error = NULL;
  /* Only one read-ahead runs at a time, so the connection is this thread's now. */
  if (a->self->ahead_db == NULL && (a->self->ahead_db = gl_db_open (a->db_path, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!gl_db_list_images (a->self->ahead_db, &a->filter, a->sort, a->from, GL_GALLERY_PAGE_SIZE, &a->rows, &a->next,
                          &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static Page *insert_page (GlGalleryModel *self, guint k, GArray *rows);
static void read_ahead (GlGalleryModel *self, guint k);

/* Has the cells of page @k ask for their items again. */
static void
page_changed (GlGalleryModel *self, guint k)
{
  guint first = k * GL_GALLERY_PAGE_SIZE;
  if (first < self->n_items)
    {
      guint len = MIN (GL_GALLERY_PAGE_SIZE, self->n_items - first);
      g_list_model_items_changed (G_LIST_MODEL (self), first, len, len);
    }
}

/* The first page of a new listing: once it is in, its placeholders are
 * replaced; until then it is read on the worker as soon as the worker is free. */
static void
pump_first_page (GlGalleryModel *self)
{
  if (self->first_pending < 0)
    return;
  guint k = (guint) self->first_pending;
  if (find_page (self, k) != NULL)
    {
      self->first_pending = -1;
      page_changed (self, k);
    }
  else if (!self->reading_ahead)
    read_ahead (self, k);
}

static void
on_ahead_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GlGalleryModel *self = GL_GALLERY_MODEL (source);
  Ahead *a = g_task_get_task_data (G_TASK (result));
  self->reading_ahead = FALSE;
  /* A failure only means the page is read when it is needed. */
  gboolean ok = g_task_propagate_boolean (G_TASK (result), NULL);
  gboolean current = a->generation == self->generation && a->k < self->starts->len;
  if (ok && current && find_page (self, a->k) == NULL)
    {
      self->stats.pages_read_ahead++;
      self->stats.rows_read += a->rows->len;
      insert_page (self, a->k, a->rows);
      remember_start (self, a->k + 1, g_steal_pointer (&a->next));
    }
  if (current && self->first_pending == (gint) a->k && find_page (self, a->k) == NULL)
    {
      /* The worker failed: the page is read here when its cells ask again. */
      guint k = a->k;
      self->first_pending = -1;
      page_changed (self, k);
    }
  pump_first_page (self);
}

/* Reads page @k on the worker when its start is known and it is not cached. */
static void
read_ahead (GlGalleryModel *self, guint k)
{
  if (self->reading_ahead || k >= self->starts->len || (k > 0 && g_ptr_array_index (self->starts, k) == NULL))
    return;
  for (guint i = 0; i < self->n_pages_cached; i++)
    if (self->pages[i]->index == k)
      return;
  Ahead *a = g_new0 (Ahead, 1);
  a->self = self;
  a->db_path = g_strdup (gl_project_get_db_path (self->project));
  a->filter = self->filter;
  a->sort = self->sort;
  a->from = k > 0 ? gl_db_cursor_copy (g_ptr_array_index (self->starts, k)) : NULL;
  a->k = k;
  a->generation = self->generation;
  self->reading_ahead = TRUE;
  g_autoptr (GTask) task = g_task_new (self, NULL, on_ahead_done, NULL);
  g_task_set_task_data (task, a, (GDestroyNotify) ahead_free);
  g_task_run_in_thread (task, ahead_thread);
}

/* ---- Pages ----------------------------------------------------------- */

/* The page @k, or NULL: with @error set when the store failed, without when
 * it is being walked to (the item is a placeholder until items-changed). */
static Page *
get_page (GlGalleryModel *self, guint k, gboolean may_wait, GError **error)
{
  Page *page = find_page (self, k);
  if (page != NULL)
    return page;
  if (may_wait && self->first_pending == (gint) k)
    {
      self->stats.placeholders++;
      return NULL; /* on the worker; items-changed when it is in */
    }

  /* The nearest page at or before k whose start is known. */
  guint j = k;
  while (j > 0 && g_ptr_array_index (self->starts, j) == NULL)
    j--;
  if (k - j > GL_GALLERY_SYNC_WALK && may_wait)
    {
      guint i;
      for (i = 0; i < self->waiting->len; i++)
        if (g_array_index (self->waiting, guint, i) == k)
          break;
      if (i == self->waiting->len)
        g_array_append_val (self->waiting, k);
      if (!self->walking)
        start_walk (self);
      self->stats.placeholders++;
      return NULL;
    }
  /* A short walk forward to k on this thread, keeping each start on the way. */
  for (; j < k; j++)
    {
      GlDbCursor *next = NULL;
      g_autoptr (GArray) rows = read_rows (self, g_ptr_array_index (self->starts, j), &next, error);
      if (rows == NULL)
        return NULL;
      self->stats.cursor_walks++;
      if (next == NULL)
        {
          /* The listing is shorter than counted (changed meanwhile). */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: the listing ended at page %u of %u",
                       gl_project_get_name (self->project), j + 1, self->starts->len);
          return NULL;
        }
      remember_start (self, j + 1, next);
    }

  GlDbCursor *next = NULL;
  g_autoptr (GArray) rows = read_rows (self, g_ptr_array_index (self->starts, k), &next, error);
  if (rows == NULL)
    return NULL;
  self->stats.page_reads++;
  remember_start (self, k + 1, next);

  return insert_page (self, k, rows);
}

/* Makes items of @rows and caches them as page @k, evicting the least
 * recently used page when the cache is full. */
static Page *
insert_page (GlGalleryModel *self, guint k, GArray *rows)
{
  Page *page = g_new0 (Page, 1);
  page->index = k;
  page->items = g_ptr_array_new_full (rows->len, g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    {
      const GlDbListRow *row = &g_array_index (rows, GlDbListRow, i);
      GlGalleryItem *item = NULL;
      if (g_hash_table_steal_extended (self->shown, &row->image_id, NULL, (gpointer *) &item))
        item_set_label (item, row->class_id);
      else
        item = item_new (row);
      g_ptr_array_add (page->items, item);
    }
  page->used = ++self->clock;

  if (self->n_pages_cached == GL_GALLERY_MAX_PAGES)
    {
      guint lru = 0;
      for (guint i = 1; i < self->n_pages_cached; i++)
        if (self->pages[i]->used < self->pages[lru]->used)
          lru = i;
      /* Items only the table holds are gone from every cell. */
      GHashTableIter iter;
      gpointer value;
      g_hash_table_iter_init (&iter, self->shown);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (G_OBJECT (value)->ref_count == 1)
          g_hash_table_iter_remove (&iter);
      GPtrArray *evicted = self->pages[lru]->items;
      for (guint i = 0; i < evicted->len; i++)
        {
          GlGalleryItem *item = g_ptr_array_index (evicted, i);
          if (G_OBJECT (item)->ref_count > 1 && item->id >= 0)
            g_hash_table_replace (self->shown, &item->id, g_object_ref (item));
        }
      page_free (self->pages[lru]);
      self->pages[lru] = self->pages[--self->n_pages_cached];
    }
  self->pages[self->n_pages_cached++] = page;
  return page;
}

static GType
gl_gallery_model_get_item_type (GListModel *list)
{
  return GL_TYPE_GALLERY_ITEM;
}

static guint
gl_gallery_model_get_n_items (GListModel *list)
{
  return GL_GALLERY_MODEL (list)->n_items;
}

static gpointer
gl_gallery_model_get_item (GListModel *list, guint position)
{
  GlGalleryModel *self = GL_GALLERY_MODEL (list);
  if (position >= self->n_items)
    return NULL;
  g_autoptr (GError) error = NULL;
  Page *page = get_page (self, position / GL_GALLERY_PAGE_SIZE, TRUE, &error);
  guint i = position % GL_GALLERY_PAGE_SIZE;
  if (page != NULL && i < page->items->len)
    {
      /* The neighbour page on the side being read, before it is needed. */
      guint k = position / GL_GALLERY_PAGE_SIZE;
      if (i >= GL_GALLERY_PAGE_SIZE / 2)
        read_ahead (self, k + 1);
      else if (k > 0)
        read_ahead (self, k - 1);
      return g_object_ref (g_ptr_array_index (page->items, i));
    }
  /* Being walked to; or a read failed (busy, disk) or the store changed
   * under the count: an empty item keeps the list consistent meanwhile. */
  if (page != NULL || error != NULL)
    self->stats.errors++;
  if (error != NULL)
    g_message ("gallery: %s", error->message);
  return item_new (NULL);
}

GlGalleryItem *
gl_gallery_model_get_item_now (GlGalleryModel *self, guint position, GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), NULL);
  if (position >= self->n_items)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "position %u is past the %u images listed",
                   position, self->n_items);
      return NULL;
    }
  Page *page = get_page (self, position / GL_GALLERY_PAGE_SIZE, FALSE, error);
  if (page == NULL)
    return NULL;
  guint i = position % GL_GALLERY_PAGE_SIZE;
  if (i >= page->items->len)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: the listing changed (position %u is gone)",
                   gl_project_get_name (self->project), position);
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (page->items, i));
}

static void
gl_gallery_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = gl_gallery_model_get_item_type;
  iface->get_n_items = gl_gallery_model_get_n_items;
  iface->get_item = gl_gallery_model_get_item;
}

static void
gl_gallery_model_finalize (GObject *object)
{
  GlGalleryModel *self = GL_GALLERY_MODEL (object);
  drop_pages_from (self, 0);
  g_clear_object (&self->walk_cancel);
  g_clear_pointer (&self->ahead_db, gl_db_close);
  g_array_unref (self->waiting);
  g_ptr_array_unref (self->starts);
  g_hash_table_unref (self->shown);
  g_array_unref (self->classes);
  g_clear_pointer (&self->db, gl_db_close);
  G_OBJECT_CLASS (gl_gallery_model_parent_class)->finalize (object);
}

static void
gl_gallery_model_class_init (GlGalleryModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gl_gallery_model_finalize;
}

static void
gl_gallery_model_init (GlGalleryModel *self)
{
  self->starts = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_db_cursor_free);
  self->shown = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_object_unref);
  self->classes = g_array_new (FALSE, TRUE, sizeof (GlGalleryClass));
  self->waiting = g_array_new (FALSE, FALSE, sizeof (guint));
  self->first_pending = -1;
  g_array_set_clear_func (self->classes, clear_class);
  self->filter.kind = GL_DB_FILTER_ALL;
  self->filter.class_id = -1;
  self->filter.predicted_class = -1;
  self->sort = GL_DB_SORT_UNCERTAINTY;
}

GlGalleryModel *
gl_gallery_model_new (GlProject *project, GError **error)
{
  g_return_val_if_fail (project != NULL, NULL);
  g_autoptr (GlGalleryModel) self = g_object_new (GL_TYPE_GALLERY_MODEL, NULL);
  self->project = project;
  self->db = gl_db_open (gl_project_get_db_path (project), error);
  if (self->db == NULL || !load_classes (self, error) || !recount (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

GlProject *
gl_gallery_model_get_project (GlGalleryModel *self)
{
  return self->project;
}

/* Starts reading the first page of a new listing on the worker, when the
 * view asked for that. */
static void
first_page_in_background (GlGalleryModel *self)
{
  if (!self->first_in_background || self->n_items == 0 || find_page (self, 0) != NULL)
    return;
  self->first_pending = 0;
  pump_first_page (self); /* now, or when the read under way ends (on_ahead_done) */
}

/* Counts and forgets every page; @new_listing: the filter or sort changed
 * (its first page is read on the worker, see first_in_background), not only
 * the rows (a reload keeps reading here, so the cells do not blink). */
static gboolean
reset (GlGalleryModel *self, gboolean new_listing, GError **error)
{
  guint old = self->n_items;
  /* Every cell gets its item again. */
  g_hash_table_remove_all (self->shown);
  if (!recount (self, error))
    {
      /* Show nothing rather than stale rows. */
      self->n_items = 0;
      g_ptr_array_set_size (self->starts, 0);
      if (old > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old, 0);
      return FALSE;
    }
  if (new_listing)
    first_page_in_background (self);
  if (old > 0 || self->n_items > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old, self->n_items);
  return TRUE;
}

void
gl_gallery_model_read_first_page_in_background (GlGalleryModel *self)
{
  g_return_if_fail (GL_IS_GALLERY_MODEL (self));
  self->first_in_background = TRUE;
  first_page_in_background (self);
}

gboolean
gl_gallery_model_is_reading_first_page (GlGalleryModel *self)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  return self->first_pending >= 0;
}

gboolean
gl_gallery_model_set_filter (GlGalleryModel *self, GlGalleryFilter filter, gint64 class_id, GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  g_return_val_if_fail (filter <= GL_GALLERY_FILTER_SUSPECTED, FALSE);
  g_return_val_if_fail (filter != GL_GALLERY_FILTER_CONFUSION, FALSE);
  GlDbFilter f = { (GlDbFilterKind) filter, -1, -1 };
  if (filter == GL_GALLERY_FILTER_CLASS || filter == GL_GALLERY_FILTER_PREDICTED)
    f.class_id = class_id;
  if (f.kind == self->filter.kind && f.class_id == self->filter.class_id)
    return TRUE;
  self->filter = f;
  return reset (self, TRUE, error);
}

gboolean
gl_gallery_model_set_confusion_filter (GlGalleryModel *self, gint64 label_class, gint64 predicted_class,
                                       GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  GlDbFilter f = { GL_DB_FILTER_CONFUSION, label_class, predicted_class };
  if (f.kind == self->filter.kind && f.class_id == self->filter.class_id
      && f.predicted_class == self->filter.predicted_class)
    return TRUE;
  self->filter = f;
  return reset (self, TRUE, error);
}

gint64
gl_gallery_model_get_filter_predicted (GlGalleryModel *self)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), -1);
  return self->filter.kind == GL_DB_FILTER_CONFUSION ? self->filter.predicted_class : -1;
}

gboolean
gl_gallery_model_set_drift_filter (GlGalleryModel *self, gint64 class_id, gint64 first_image, gint64 last_image,
                                   GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  GlDbFilter f = { GL_DB_FILTER_PREDICTED_RANGE, class_id, -1, first_image, last_image };
  if (f.kind == self->filter.kind && f.class_id == self->filter.class_id && f.first_image == self->filter.first_image
      && f.last_image == self->filter.last_image)
    return TRUE;
  self->filter = f;
  return reset (self, TRUE, error);
}

gboolean
gl_gallery_model_get_filter_range (GlGalleryModel *self, gint64 *first_image, gint64 *last_image)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  if (self->filter.kind != GL_DB_FILTER_PREDICTED_RANGE)
    return FALSE;
  *first_image = self->filter.first_image;
  *last_image = self->filter.last_image;
  return TRUE;
}

gboolean
gl_gallery_model_set_sort (GlGalleryModel *self, GlGallerySort sort, GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  g_return_val_if_fail (sort <= GL_GALLERY_SORT_DISAGREEMENT, FALSE);
  if ((GlDbSort) sort == self->sort)
    return TRUE;
  self->sort = (GlDbSort) sort;
  return reset (self, TRUE, error);
}

GlGalleryFilter
gl_gallery_model_get_filter (GlGalleryModel *self, gint64 *class_id)
{
  if (class_id != NULL)
    *class_id = self->filter.class_id;
  return (GlGalleryFilter) self->filter.kind;
}

GlGallerySort
gl_gallery_model_get_sort (GlGalleryModel *self)
{
  return (GlGallerySort) self->sort;
}

gboolean
gl_gallery_model_has_label_errors (GlGalleryModel *self)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  GlDbLabelErrorRun run = { 0 };
  gboolean found = FALSE;
  gint64 model_id = gl_db_get_current_model (self->db);
  g_autoptr (GError) error = NULL;
  if (model_id <= 0 || !gl_db_get_label_error_run (self->db, model_id, &run, &found, &error))
    return FALSE;
  gl_db_label_error_run_clear (&run);
  return found;
}

gboolean
gl_gallery_model_count (GlGalleryModel *self, GlGalleryFilter filter, gint64 class_id, guint64 *count,
                        GError **error)
{
  GlDbFilter f = { (GlDbFilterKind) filter, class_id, -1 };
  if (filter == GL_GALLERY_FILTER_CONFUSION)
    f = self->filter.kind == GL_DB_FILTER_CONFUSION && self->filter.class_id == class_id ? self->filter
                                                                                         : (GlDbFilter) { GL_DB_FILTER_CONFUSION, class_id, -1 };
  if (filter == GL_GALLERY_FILTER_DRIFT) /* the range shown, else every image */
    f = self->filter.kind == GL_DB_FILTER_PREDICTED_RANGE && self->filter.class_id == class_id
            ? self->filter
            : (GlDbFilter){ GL_DB_FILTER_PREDICTED_RANGE, class_id, -1, 0, G_MAXINT64 };
  return gl_db_count_images (self->db, &f, count, error);
}

gboolean
gl_gallery_model_reload (GlGalleryModel *self, GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  if (!load_classes (self, error))
    return FALSE;
  return reset (self, FALSE, error);
}

/* Whether an item with @label and @predicted belongs under the filter. */
static gboolean
in_filter (const GlDbFilter *f, gint64 label, gint64 predicted, gboolean unreadable)
{
  switch (f->kind)
    {
    case GL_DB_FILTER_UNLABELED:
      return label < 0 && !unreadable;
    case GL_DB_FILTER_LABELED:
      return label >= 0;
    case GL_DB_FILTER_CLASS:
      return label == f->class_id;
    case GL_DB_FILTER_DISAGREEMENT:
      return label >= 0 && predicted >= 0 && predicted != label;
    case GL_DB_FILTER_CONFUSION:
      return label == f->class_id && predicted == f->predicted_class;
    case GL_DB_FILTER_SUSPECTED: /* see also leaves_suspected */
      return label >= 0;
    case GL_DB_FILTER_ALL:
    case GL_DB_FILTER_PREDICTED:
    case GL_DB_FILTER_UNREADABLE:
    default:
      return TRUE;
    }
}

/* Whether an item of the suspected-errors filter leaves it when its label
 * goes from @before to @after: it is suspected only while it has the label
 * the check looked at (which it had when listed). */
static gboolean
leaves_suspected (const GlDbFilter *f, gint64 before, gint64 after)
{
  return f->kind == GL_DB_FILTER_SUSPECTED && before != after;
}

/* The labels of the images in @ids (gint64 * → itself) were committed: cached
 * items take @class_id; rows that leave the filter go. */
static void
follow_labels (GlGalleryModel *self, GHashTable *ids, gint64 class_id)
{
  guint found = 0, removed = 0, first = G_MAXUINT, last = 0;
  /* Items of evicted pages that cells still show. */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, self->shown);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_hash_table_contains (ids, &((GlGalleryItem *) value)->id))
      item_set_label (value, class_id);
  for (guint p = 0; p < self->n_pages_cached; p++)
    {
      Page *page = self->pages[p];
      for (guint i = 0; i < page->items->len; i++)
        {
          GlGalleryItem *item = g_ptr_array_index (page->items, i);
          if (!g_hash_table_contains (ids, &item->id))
            continue;
          found++;
          gint64 before = item->label;
          item_set_label (item, class_id);
          if (!in_filter (&self->filter, item->label, item->predicted, item->unreadable)
              || leaves_suspected (&self->filter, before, class_id))
            {
              guint pos = page->index * GL_GALLERY_PAGE_SIZE + i;
              removed++;
              first = MIN (first, pos);
              last = MAX (last, pos);
            }
        }
    }
  if (found < g_hash_table_size (ids))
    {
      /* Some rows are not cached: whether they leave the listing is unknown
       * here, so count and read again. */
      if (self->filter.kind != GL_DB_FILTER_ALL && self->filter.kind != GL_DB_FILTER_PREDICTED
          && self->filter.kind != GL_DB_FILTER_UNREADABLE)
        reset (self, FALSE, NULL);
      return;
    }
  if (removed == 0)
    return;

  /* Rows before @first keep their positions, and so does the start of the
   * page holding @first; everything after it moves up. */
  guint k = first / GL_GALLERY_PAGE_SIZE;
  new_generation (self);
  drop_pages_from (self, k);
  guint old_n = self->n_items;
  self->n_items -= removed;
  guint n_pages = n_pages_for (self->n_items);
  for (guint i = k + 1; i < self->starts->len; i++)
    g_clear_pointer (&g_ptr_array_index (self->starts, i), gl_db_cursor_free);
  g_ptr_array_set_size (self->starts, n_pages);
  guint span = MIN (last, old_n - 1) - first + 1;
  g_list_model_items_changed (G_LIST_MODEL (self), first, span, span - removed);
}

static GHashTable *
id_set_new (const gint64 *image_ids, guint64 n)
{
  GHashTable *ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint64 i = 0; i < n; i++)
    g_hash_table_add (ids, (gpointer) &image_ids[i]);
  return ids;
}

gboolean
gl_gallery_model_set_labels (GlGalleryModel *self, const gint64 *image_ids, guint n, gint64 class_id,
                             GError **error)
{
  g_return_val_if_fail (GL_IS_GALLERY_MODEL (self), FALSE);
  if (n == 0)
    return TRUE;
  if (!gl_db_set_labels (self->db, image_ids, n, class_id, GL_DB_ORIGIN_HUMAN, NULL, error))
    return FALSE;
  /* Committed: now the model follows. */
  g_autoptr (GHashTable) ids = id_set_new (image_ids, n);
  follow_labels (self, ids, class_id);
  return TRUE;
}

/* ---- Labeling a selection on a worker ------------------------------------ */

/* Rows read per store call while resolving positions. */
#define LABEL_CHUNK 4096

typedef struct
{
  guint pos;  /* first position of the run */
  guint n;
  guint64 slot; /* where the id of @pos goes in LabelJob.ids */
} Unresolved;

typedef struct
{
  char *db_path;
  GlDbFilter filter;
  GlDbSort sort;
  GPtrArray *starts; /* copies of the model's page starts (NULL: unknown) */
  GArray *unresolved;      /* Unresolved, ascending: the positions not in cached pages */
  gint64 *ids;       /* (total) in position order; the worker fills the slots of @unresolved */
  guint64 total;
  guint64 n_cached;  /* ids known when the job started */
  guint64 n_labeled; /* the readable ones, moved to the front of @ids before the write */
  guint64 n_written; /* worker, then main thread after it returned: labels committed */
  gint64 class_id;
  guint64 page_limit;
  GHashTable *set;   /* out (worker, after the commit): @ids as a set */

  GlGalleryLabelProgressFunc progress;
  gpointer progress_data;
  GMutex mutex;
  GlGalleryLabelProgress latest; /* under @mutex */
  gboolean pending;              /* under @mutex: a progress idle is queued */
  gboolean finished;             /* main thread: the result is out, progress is over */
} LabelJob;

static void
label_job_free (LabelJob *job)
{
  g_free (job->db_path);
  g_ptr_array_unref (job->starts);
  g_array_unref (job->unresolved);
  g_clear_pointer (&job->set, g_hash_table_unref);
  g_free (job->ids);
  g_mutex_clear (&job->mutex);
  g_free (job);
}

static gboolean
label_progress_idle (gpointer data)
{
  LabelJob *job = g_task_get_task_data (G_TASK (data));
  g_mutex_lock (&job->mutex);
  GlGalleryLabelProgress p = job->latest;
  job->pending = FALSE;
  g_mutex_unlock (&job->mutex);
  if (!job->finished && job->progress != NULL)
    job->progress (&p, job->progress_data);
  return G_SOURCE_REMOVE;
}

/* Worker: keeps the newest figures and queues one idle unless one is. */
static void
label_publish (GTask *outer, guint64 found, gboolean writing, guint64 written)
{
  LabelJob *job = g_task_get_task_data (outer);
  if (job->progress == NULL)
    return;
  g_mutex_lock (&job->mutex);
  job->latest = (GlGalleryLabelProgress){ found, job->total, writing, written };
  gboolean queue = !job->pending;
  job->pending = TRUE;
  g_mutex_unlock (&job->mutex);
  if (!queue)
    return;
  GSource *source = g_idle_source_new ();
  g_source_set_callback (source, label_progress_idle, g_object_ref (outer), g_object_unref);
  g_source_attach (source, g_task_get_context (outer));
  g_source_unref (source);
}

/* Fills the slots of @job->unresolved by paging the listing: each read starts at
 * the nearest known point at or before the position wanted (the cursor of
 * the previous read or a page start the model knew). */
static gboolean
resolve_positions (GTask *outer, GlDb *db, GCancellable *cancellable, GError **error)
{
  LabelJob *job = g_task_get_task_data (outer);
  g_autoptr (GlDbCursor) cursor = NULL; /* the listing after it starts at @cpos (NULL, 0: the start) */
  guint64 cpos = 0, found = job->n_cached;
  for (guint t = 0; t < job->unresolved->len; t++)
    {
      const Unresolved *run = &g_array_index (job->unresolved, Unresolved, t);
      guint64 end = (guint64) run->pos + run->n;
      for (guint64 pos = run->pos; pos < end;)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          /* A known page start nearer than the cursor? */
          for (guint64 j = pos / GL_GALLERY_PAGE_SIZE; j * GL_GALLERY_PAGE_SIZE > cpos; j--)
            if (j < job->starts->len && g_ptr_array_index (job->starts, j) != NULL)
              {
                gl_db_cursor_free (cursor);
                cursor = gl_db_cursor_copy (g_ptr_array_index (job->starts, j));
                cpos = j * GL_GALLERY_PAGE_SIZE;
                break;
              }
          g_autoptr (GArray) rows = NULL;
          GlDbCursor *next = NULL;
          guint limit = (guint) MIN ((guint64) LABEL_CHUNK, end - cpos);
          if (!gl_db_list_images (db, &job->filter, job->sort, cursor, limit, &rows, &next, error))
            return FALSE;
          for (guint i = 0; i < rows->len; i++)
            if (cpos + i >= pos)
              {
                const GlDbListRow *row = &g_array_index (rows, GlDbListRow, i);
                job->ids[run->slot + (cpos + i - run->pos)] = row->unreadable ? -1 : row->image_id;
              }
          cpos += rows->len;
          if (cpos > pos)
            {
              found += cpos - pos;
              pos = cpos;
            }
          gl_db_cursor_free (cursor);
          cursor = next;
          if (pos < end && (next == NULL || rows->len == 0))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "%s: the listing changed (position %" G_GUINT64_FORMAT " is gone)", job->db_path, pos);
              return FALSE;
            }
          label_publish (outer, found, FALSE, 0);
        }
    }
  return TRUE;
}

static void
on_chunk_written (guint64 done, guint64 total, gpointer outer)
{
  LabelJob *job = g_task_get_task_data (outer);
  label_publish (outer, job->total, TRUE, done);
}

static int
compare_ids (const void *a, const void *b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return (x > y) - (x < y);
}

static void
label_thread (GTask *inner, gpointer source, gpointer data, GCancellable *cancellable)
{
  GTask *outer = data;
  LabelJob *job = g_task_get_task_data (outer);
  GError *error = NULL;
  g_autoptr (GlDb) db = gl_db_open (job->db_path, &error);
  if (db == NULL || !resolve_positions (outer, db, cancellable, &error)
      || (job->page_limit > 0 && !gl_db_set_max_pages (db, job->page_limit, &error))
      || g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (inner, error);
      return;
    }
  label_publish (outer, job->total, TRUE, 0);
  /* Unreadable images (-1) cannot carry a label: they are left out. */
  for (guint64 i = 0; i < job->total; i++)
    if (job->ids[i] >= 0)
      job->ids[job->n_labeled++] = job->ids[i];
  /* In id order: each chunk then writes neighbouring rows and index entries
   * (fewer pages per image than the listing's order), and a cancel leaves
   * the first images by id labeled. */
  qsort (job->ids, job->n_labeled, sizeof (gint64), compare_ids);
  GlDbBulkStats stats;
  gboolean ok = gl_db_set_labels_chunked (db, job->ids, job->n_labeled, job->class_id, GL_DB_ORIGIN_HUMAN, NULL,
                                          cancellable, on_chunk_written, outer, &stats, &error);
  /* What was committed (all, or the prefix before a cancel or an error).
   * The set the model follows with is built here, not on the main thread. */
  job->n_written = stats.done;
  job->set = id_set_new (job->ids, stats.done);
  if (!ok)
    g_task_return_error (inner, error);
  else
    g_task_return_boolean (inner, TRUE);
}

static void
on_label_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GlGalleryModel *self = GL_GALLERY_MODEL (source);
  g_autoptr (GTask) outer = data;
  LabelJob *job = g_task_get_task_data (outer);
  GError *error = NULL;
  self->labeling = 0;
  job->finished = TRUE;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  if (job->set != NULL && job->n_written > 0)
    follow_labels (self, job->set, job->class_id);
  if (!ok)
    {
      g_task_return_error (outer, error);
      return;
    }
  g_task_return_int (outer, (gssize) job->n_labeled);
}

void
gl_gallery_model_label_ranges_async (GlGalleryModel *self, const GlGalleryRange *ranges, guint n_ranges,
                                     gint64 class_id, GCancellable *cancellable,
                                     GlGalleryLabelProgressFunc progress, gpointer progress_data,
                                     GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GL_IS_GALLERY_MODEL (self));
  if (self->labeling > 0)
    {
      g_task_report_new_error (self, callback, user_data, gl_gallery_model_label_ranges_async, G_IO_ERROR,
                               G_IO_ERROR_BUSY,
                               "%" G_GUINT64_FORMAT " images are still being labeled; try again when they are done",
                               self->labeling);
      return;
    }
  LabelJob *job = g_new0 (LabelJob, 1);
  g_mutex_init (&job->mutex);
  job->db_path = g_strdup (gl_project_get_db_path (self->project));
  job->filter = self->filter;
  job->sort = self->sort;
  job->class_id = class_id;
  job->page_limit = self->label_page_limit;
  job->progress = progress;
  job->progress_data = progress_data;
  job->unresolved = g_array_new (FALSE, FALSE, sizeof (Unresolved));
  g_autoptr (GTask) outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, gl_gallery_model_label_ranges_async);
  g_task_set_check_cancellable (outer, FALSE);
  g_task_set_task_data (outer, job, (GDestroyNotify) label_job_free);

  for (guint r = 0; r < n_ranges; r++)
    {
      guint end = ranges[r].start + MIN (ranges[r].n, self->n_items - MIN (ranges[r].start, self->n_items));
      if (end > ranges[r].start)
        job->total += end - ranges[r].start;
    }
  job->ids = g_new (gint64, MAX (job->total, 1));

  /* What the user sees is taken as it is: ids from the cached pages; the
   * rest is found on the worker. */
  guint64 slot = 0, last_unresolved_page = 0;
  for (guint r = 0; r < n_ranges; r++)
    {
      guint end = ranges[r].start + MIN (ranges[r].n, self->n_items - MIN (ranges[r].start, self->n_items));
      for (guint pos = ranges[r].start; pos < end;)
        {
          guint k = pos / GL_GALLERY_PAGE_SIZE;
          guint stop = MIN (end, (k + 1) * GL_GALLERY_PAGE_SIZE);
          Page *page = NULL;
          for (guint i = 0; i < self->n_pages_cached && page == NULL; i++)
            if (self->pages[i]->index == k)
              page = self->pages[i];
          if (page != NULL && stop - k * GL_GALLERY_PAGE_SIZE <= page->items->len)
            {
              for (guint p = pos; p < stop; p++)
                {
                  GlGalleryItem *item = g_ptr_array_index (page->items, p % GL_GALLERY_PAGE_SIZE);
                  job->ids[slot++] = item->unreadable ? -1 : item->id;
                }
              job->n_cached += stop - pos;
            }
          else
            {
              Unresolved *prev = job->unresolved->len > 0 ? &g_array_index (job->unresolved, Unresolved, job->unresolved->len - 1) : NULL;
              if (prev != NULL && prev->pos + prev->n == pos)
                prev->n += stop - pos;
              else
                g_array_append_val (job->unresolved, ((Unresolved){ pos, stop - pos, slot }));
              slot += stop - pos;
              last_unresolved_page = k;
            }
          pos = stop;
        }
    }
  job->starts = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_db_cursor_free);
  if (job->unresolved->len > 0)
    for (guint k = 0; k <= last_unresolved_page && k < self->starts->len; k++)
      {
        const GlDbCursor *c = g_ptr_array_index (self->starts, k);
        g_ptr_array_add (job->starts, c != NULL ? gl_db_cursor_copy (c) : NULL);
      }

  if (job->total == 0)
    {
      g_task_return_int (outer, 0);
      return;
    }
  self->labeling = job->total;
  g_autoptr (GTask) inner = g_task_new (self, cancellable, on_label_done, g_object_ref (outer));
  /* Cancelled after the commit is still done: the worker alone says. */
  g_task_set_check_cancellable (inner, FALSE);
  g_task_set_task_data (inner, g_object_ref (outer), g_object_unref);
  g_task_run_in_thread (inner, label_thread);
}

gboolean
gl_gallery_model_label_ranges_finish (GlGalleryModel *self, GAsyncResult *result, guint64 *n_labeled,
                                      guint64 *n_unreadable, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  LabelJob *job = g_task_get_task_data (G_TASK (result)); /* NULL when refused */
  gssize n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    {
      if (n_labeled != NULL)
        *n_labeled = job != NULL ? job->n_written : 0;
      return FALSE;
    }
  if (n_labeled != NULL)
    *n_labeled = (guint64) n;
  if (n_unreadable != NULL)
    *n_unreadable = job != NULL ? job->total - (guint64) n : 0;
  return TRUE;
}

gboolean
gl_gallery_model_is_labeling (GlGalleryModel *self)
{
  return self->labeling > 0;
}

void
gl_gallery_model_set_label_page_limit (GlGalleryModel *self, guint64 max_pages)
{
  self->label_page_limit = max_pages;
}

gint64
gl_gallery_model_find_cached (GlGalleryModel *self, gint64 image_id)
{
  for (guint p = 0; p < self->n_pages_cached; p++)
    {
      Page *page = self->pages[p];
      for (guint i = 0; i < page->items->len; i++)
        if (((GlGalleryItem *) g_ptr_array_index (page->items, i))->id == image_id)
          return (gint64) page->index * GL_GALLERY_PAGE_SIZE + i;
    }
  return -1;
}

const GlGalleryClass *
gl_gallery_model_get_classes (GlGalleryModel *self, guint *n)
{
  *n = self->classes->len;
  return (const GlGalleryClass *) (gpointer) self->classes->data;
}

const GlGalleryClass *
gl_gallery_model_lookup_class (GlGalleryModel *self, gint64 class_id)
{
  for (guint i = 0; i < self->classes->len; i++)
    if (g_array_index (self->classes, GlGalleryClass, i).id == class_id)
      return &g_array_index (self->classes, GlGalleryClass, i);
  return NULL;
}

static void
clear_history_entry (gpointer data)
{
  GlGalleryHistoryEntry *e = data;
  g_free (e->class_name);
  g_free (e->origin);
  g_free (e->annotator);
}

gboolean
gl_gallery_model_get_details (GlGalleryModel *self, gint64 image_id, GlGalleryDetails *details, GError **error)
{
  memset (details, 0, sizeof *details);
  GlDbImage image = { 0 };
  if (!gl_db_get_image (self->db, image_id, &image, error))
    return FALSE;
  g_autoptr (GArray) history = gl_db_get_history (self->db, image_id, error);
  if (history == NULL)
    {
      gl_db_image_clear (&image);
      return FALSE;
    }
  details->id = image.id;
  details->path = g_steal_pointer (&image.path);
  details->size = (gint64) image.size_bytes;
  details->unreadable_reason = g_steal_pointer (&image.reason);
  details->held_out_test = image.held_out_test;
  details->history = g_array_new (FALSE, TRUE, sizeof (GlGalleryHistoryEntry));
  g_array_set_clear_func (details->history, clear_history_entry);
  for (guint i = history->len; i-- > 0;)
    {
      const GlDbLabel *l = &g_array_index (history, GlDbLabel, i);
      /* Reference labels are for evaluation only: never shown. */
      if (l->origin == GL_DB_ORIGIN_REFERENCE)
        continue;
      GlGalleryHistoryEntry e = { l->class_id, NULL, g_strdup (gl_db_origin_to_string (l->origin)),
                                  g_strdup (l->annotator), l->created_us };
      if (l->class_id >= 0)
        {
          const GlGalleryClass *c = gl_gallery_model_lookup_class (self, l->class_id);
          GlDbClass k = { 0 };
          if (c != NULL)
            e.class_name = g_strdup (c->name);
          else if (gl_db_get_class (self->db, l->class_id, &k, NULL))
            e.class_name = g_steal_pointer (&k.name);
          else
            e.class_name = g_strdup_printf ("class %" G_GINT64_FORMAT, l->class_id);
          gl_db_class_clear (&k);
        }
      g_array_append_val (details->history, e);
    }
  gl_db_image_clear (&image);
  return TRUE;
}

void
gl_gallery_details_clear (GlGalleryDetails *details)
{
  g_clear_pointer (&details->path, g_free);
  g_clear_pointer (&details->unreadable_reason, g_free);
  g_clear_pointer (&details->history, g_array_unref);
}

void
gl_gallery_model_get_stats (GlGalleryModel *self, GlGalleryModelStats *stats)
{
  *stats = self->stats;
  stats->cached_pages = self->n_pages_cached;
  stats->known_cursors = 0;
  for (guint i = 1; i < self->starts->len; i++)
    if (g_ptr_array_index (self->starts, i) != NULL)
      stats->known_cursors++;
}
