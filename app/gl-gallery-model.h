/* gl-gallery-model.h — the images of a project as a GListModel, paged from the store.
 *
 * GlGalleryModel lists GlGalleryItem objects for one filter and one sort.
 * n_items comes from a COUNT; rows are fetched in pages of
 * GL_GALLERY_PAGE_SIZE by keyset (never OFFSET) when an item is asked for,
 * and kept in a small LRU of pages, so a project of a million images opens
 * at once and memory stays bounded.
 *
 * Random access: the model remembers the keyset cursor at the start of every
 * page it has read or walked past (a few bytes per 256 rows: 1,000,000 rows
 * need 3,907 cursors). Page k is read from its cursor; when that is not known
 * yet the model walks forward page by page from the nearest known start
 * before it, keeping each start on the way. Scrolling therefore costs one
 * indexed page read per 256 rows. A jump farther than GL_GALLERY_SYNC_WALK
 * pages (a scrollbar dragged to the end of a million rows: 3,906 pages, 1–3
 * ms each) walks on a worker thread with its own connection; meanwhile the
 * items there are placeholders (id -1), and items-changed replaces them once
 * their page can be read. The walk leaves every page before it reachable.
 *
 * Read-ahead: when an item in the second half of a page is asked for, the
 * next page (in the first half: the previous one) is read on a worker thread
 * with its own connection, so that scrolling does not wait for the store.
 *
 * Labels: gl_gallery_model_set_labels writes the labels of many images in
 * one committed transaction and only then updates the model: items keep
 * their identity and notify "label"; when the filter or sort depends on the
 * label, the rows that leave the filter are removed with granular
 * items-changed signals where their positions are known (in cached pages),
 * else the model is reloaded (one items-changed for everything).
 *
 * A large selection (up to every image of a million) is labeled with
 * gl_gallery_model_label_ranges_async: ids are found and written on a worker.
 *
 * Use from the main thread only. The model opens its own store connection.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GL_GALLERY_PAGE_SIZE 256
#define GL_GALLERY_MAX_PAGES 32 /* pages kept in the LRU (8,192 items) */
#define GL_GALLERY_SYNC_WALK 4  /* pages walked on the main thread; a farther jump walks on a worker */

typedef enum
{
  GL_GALLERY_FILTER_ALL,
  GL_GALLERY_FILTER_UNLABELED,
  GL_GALLERY_FILTER_LABELED,
  GL_GALLERY_FILTER_CLASS,        /* current label is the filter class */
  GL_GALLERY_FILTER_PREDICTED,    /* the newest model predicts the filter class */
  GL_GALLERY_FILTER_DISAGREEMENT, /* labeled, and the prediction differs */
  GL_GALLERY_FILTER_UNREADABLE,
  GL_GALLERY_FILTER_CONFUSION, /* labeled as the filter class and predicted as the filter's predicted class */
  GL_GALLERY_FILTER_SUSPECTED, /* a suspected label error of the current model version (gl-db-label-errors.h) */
  GL_GALLERY_FILTER_DRIFT,     /* predicted as the filter class, in the filter's image id range (a drift cell) */
} GlGalleryFilter;

typedef enum
{
  GL_GALLERY_SORT_UNCERTAINTY, /* most uncertain first (acquisition score) */
  GL_GALLERY_SORT_NEWEST,      /* newest import first */
  GL_GALLERY_SORT_NAME,        /* path, A to Z */
  GL_GALLERY_SORT_CONFIDENCE,  /* most confident prediction first */
  GL_GALLERY_SORT_DISAGREEMENT, /* the label the current version's label-error check doubts most first */
} GlGallerySort;

/* ---- GlGalleryItem: one image of the listing ---------------------------- */

#define GL_TYPE_GALLERY_ITEM (gl_gallery_item_get_type ())
G_DECLARE_FINAL_TYPE (GlGalleryItem, gl_gallery_item, GL, GALLERY_ITEM, GObject)

gint64 gl_gallery_item_get_id (GlGalleryItem *item);
const char *gl_gallery_item_get_path (GlGalleryItem *item);
/* The file name of the path (display form). */
const char *gl_gallery_item_get_name (GlGalleryItem *item);
/* Class id of the current human label, or -1. Notifies "label". */
gint64 gl_gallery_item_get_label (GlGalleryItem *item);
/* Class id predicted by the newest model, or -1; confidence in [0, 1] or -1. */
gint64 gl_gallery_item_get_predicted (GlGalleryItem *item);
double gl_gallery_item_get_confidence (GlGalleryItem *item);
gboolean gl_gallery_item_get_unreadable (GlGalleryItem *item);
/* Content hash (NULL when unreadable) and pixel-cache row (-1 when none):
 * what the thumbnail loader needs. Immutable, so readable from any thread. */
const char *gl_gallery_item_get_hash (GlGalleryItem *item);
gint64 gl_gallery_item_get_cache_row (GlGalleryItem *item);

/* ---- GlGalleryModel ---------------------------------------------------- */

#define GL_TYPE_GALLERY_MODEL (gl_gallery_model_get_type ())
G_DECLARE_FINAL_TYPE (GlGalleryModel, gl_gallery_model, GL, GALLERY_MODEL, GObject)

/* Borrows @project (it must outlive the model). Starts with all images,
 * sorted by uncertainty. Fails when the store cannot count. */
GlGalleryModel *gl_gallery_model_new (GlProject *project, GError **error);

GlProject *gl_gallery_model_get_project (GlGalleryModel *model);

/* @class_id is used by GL_GALLERY_FILTER_CLASS and _PREDICTED. Both emit one
 * items-changed (everything) when they change anything. */
gboolean gl_gallery_model_set_filter (GlGalleryModel *model, GlGalleryFilter filter, gint64 class_id,
                                      GError **error);
/* GL_GALLERY_FILTER_CONFUSION: the images labeled @label_class that the
 * newest model predicts as @predicted_class (a cell of the confusion matrix). */
gboolean gl_gallery_model_set_confusion_filter (GlGalleryModel *model, gint64 label_class, gint64 predicted_class,
                                                GError **error);
/* The predicted class of GL_GALLERY_FILTER_CONFUSION, else -1. */
gint64 gl_gallery_model_get_filter_predicted (GlGalleryModel *model);
/* GL_GALLERY_FILTER_DRIFT: the images with ids @first_image..@last_image
 * (both included: an import batch or a drift window) that the newest model
 * predicts as @class_id (a cell of the drift timeline). */
gboolean gl_gallery_model_set_drift_filter (GlGalleryModel *model, gint64 class_id, gint64 first_image,
                                            gint64 last_image, GError **error);
/* The image id range of GL_GALLERY_FILTER_DRIFT; FALSE under another filter. */
gboolean gl_gallery_model_get_filter_range (GlGalleryModel *model, gint64 *first_image, gint64 *last_image);
gboolean gl_gallery_model_set_sort (GlGalleryModel *model, GlGallerySort sort, GError **error);
GlGalleryFilter gl_gallery_model_get_filter (GlGalleryModel *model, gint64 *class_id);
GlGallerySort gl_gallery_model_get_sort (GlGalleryModel *model);

/* Whether the store's current model version has a label-error check
 * (GL_GALLERY_FILTER_SUSPECTED and GL_GALLERY_SORT_DISAGREEMENT need one);
 * FALSE also when the store cannot say. */
gboolean gl_gallery_model_has_label_errors (GlGalleryModel *model);

/* Count of images for @filter (with @class_id), whatever the model shows. */
gboolean gl_gallery_model_count (GlGalleryModel *model, GlGalleryFilter filter, gint64 class_id, guint64 *count,
                                 GError **error);

/* Sets (@class_id ≥ 0) or removes (@class_id = -1) the human label of the
 * @n images in ONE committed transaction, then updates the model. On error
 * nothing was written and the model is unchanged. */
gboolean gl_gallery_model_set_labels (GlGalleryModel *model, const gint64 *image_ids, guint n, gint64 class_id,
                                      GError **error);

/* ---- Labeling a selection in the background ---- */

/* @n positions from @start of the listing as it is when the call is made. */
typedef struct
{
  guint start;
  guint n;
} GlGalleryRange;

typedef struct
{
  guint64 found;    /* images of the selection resolved to ids so far */
  guint64 total;    /* images selected */
  gboolean writing; /* all found: the labels are being written, in chunks */
  guint64 written;  /* labels committed so far (a prefix of the selection) */
} GlGalleryLabelProgress;

/* On the main thread, coalesced (at most one pending at a time). */
typedef void (*GlGalleryLabelProgressFunc) (const GlGalleryLabelProgress *progress, gpointer user_data);

/* Sets (@class_id ≥ 0) or removes (-1) the human label of every image at the
 * @n_ranges @ranges (ascending, disjoint) of the listing as it is now (filter,
 * sort and the rows cached: what the user sees), except unreadable images,
 * which cannot carry a label and are left out. Positions in cached pages
 * are resolved to ids at once; the others on a worker thread with a
 * connection of its own, paging the listing from the nearest known page
 * start. All labels are then written there as ONE undoable action committed
 * in chunks that each hold the write lock about 25 ms
 * (gl_db_set_labels_chunked), so the Label view's labels commit meanwhile.
 * @cancellable is honoured throughout: cancelled while ids are found,
 * nothing was written; cancelled while writing, the chunks committed stay (a
 * prefix of the selection; undo reverts them in one step) and finish fails
 * with G_IO_ERROR_CANCELLED, *@n_labeled saying how many. @progress
 * (optional) is called on the main thread while ids are found and as chunks
 * commit; @progress_data must live until @callback. After the last commit
 * the model follows what was written (as gl_gallery_model_set_labels) and
 * then @callback runs.
 *
 * One at a time: while one runs, another fails at once with G_IO_ERROR_BUSY
 * (gl_gallery_model_is_labeling). */
void gl_gallery_model_label_ranges_async (GlGalleryModel *model, const GlGalleryRange *ranges, guint n_ranges,
                                          gint64 class_id, GCancellable *cancellable,
                                          GlGalleryLabelProgressFunc progress, gpointer progress_data,
                                          GAsyncReadyCallback callback, gpointer user_data);
/* *@n_labeled: images labeled (also when it fails: those committed before a
 * cancel or an error); *@n_unreadable: images of the selection left out
 * because they are unreadable (they cannot carry a label). */
gboolean gl_gallery_model_label_ranges_finish (GlGalleryModel *model, GAsyncResult *result, guint64 *n_labeled,
                                               guint64 *n_unreadable, GError **error);
gboolean gl_gallery_model_is_labeling (GlGalleryModel *model);

/* Test hook (fault injection): the connection of the next background
 * labeling is limited to @max_pages database pages (gl_db_set_max_pages), so
 * that its transaction fails part-way with GL_DB_ERROR_FULL. 0: no limit. */
void gl_gallery_model_set_label_page_limit (GlGalleryModel *model, guint64 max_pages);

/* Re-reads everything (labels or predictions changed elsewhere). */
gboolean gl_gallery_model_reload (GlGalleryModel *model, GError **error);
/* The view's choice: the first page of the listing (now, and after each change
 * of filter or sort) is read on a worker thread and handed out as
 * placeholders until then (items-changed when it is in), so a cold first page
 * of a large project never blocks the main loop. Without it (tests, the CLI)
 * every page at or near a known start is read on the calling thread. */
void gl_gallery_model_read_first_page_in_background (GlGalleryModel *model);
/* Whether that first page is still being read (its cells are placeholders). */
gboolean gl_gallery_model_is_reading_first_page (GlGalleryModel *model);

/* The item at @position read now, walking on this thread when its page is
 * far (never a placeholder): for acting on a selection. */
GlGalleryItem *gl_gallery_model_get_item_now (GlGalleryModel *model, guint position, GError **error);

/* Position of @image_id if it is in a cached page, else -1 (no query). */
gint64 gl_gallery_model_find_cached (GlGalleryModel *model, gint64 image_id);

/* The classes of the project in order (archived ones included). */
typedef struct
{
  gint64 id;
  char *name;
  char *colour;      /* "#rrggbb" */
  gunichar shortcut; /* the key that applies it, 0 = none */
  gboolean archived; /* kept for history, not offered for labeling */
} GlGalleryClass;

/* (n) array of classes, owned by the model, valid until the next reload. */
const GlGalleryClass *gl_gallery_model_get_classes (GlGalleryModel *model, guint *n);
/* The class with @class_id, or NULL. */
const GlGalleryClass *gl_gallery_model_lookup_class (GlGalleryModel *model, gint64 class_id);

/* Details of one image for the info pane. */
typedef struct
{
  gint64 class_id; /* -1: unlabeled */
  char *class_name; /* NULL when unlabeled */
  char *origin;     /* "human", "rule", "prediction", ... */
  char *annotator;  /* may be NULL */
  gint64 time_us;   /* microseconds since the epoch */
} GlGalleryHistoryEntry;

typedef struct
{
  gint64 id;
  char *path;
  gint64 size; /* bytes of the file when imported */
  char *unreadable_reason; /* NULL when readable */
  gboolean held_out_test;
  GArray *history; /* of GlGalleryHistoryEntry, newest first */
} GlGalleryDetails;

gboolean gl_gallery_model_get_details (GlGalleryModel *model, gint64 image_id, GlGalleryDetails *details,
                                       GError **error);
void gl_gallery_details_clear (GlGalleryDetails *details);

typedef struct
{
  guint64 page_reads;   /* pages read from the store on the calling (main) thread */
  guint64 pages_read_ahead; /* pages read on a worker before they were needed */
  guint64 cursor_walks; /* pages walked past with cursors only */
  guint64 rows_read;
  guint cached_pages;   /* now (≤ GL_GALLERY_MAX_PAGES) */
  guint known_cursors;  /* page starts known */
  guint64 errors;       /* failed reads (items shown empty) */
  guint64 placeholders; /* items handed out while their page was being walked to */
  double max_read_ms;   /* longest page read on the calling (main) thread */
} GlGalleryModelStats;

void gl_gallery_model_get_stats (GlGalleryModel *model, GlGalleryModelStats *stats);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GlGalleryDetails, gl_gallery_details_clear)

G_END_DECLS
