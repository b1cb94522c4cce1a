/* gl-import.h — the import pipeline: files, folders, CSV manifests and IDX
 * files → content hash, safe decode, model input in the pixel cache,
 * (optionally) thumbnail → rows in the store, in batched transactions.
 *
 * Decoding runs on all cores (a GThreadPool); ONE writer (the thread that
 * calls gl_import_run) appends pixel rows, makes them durable, then commits a
 * batch of records (default 1,000) in one store transaction. A row of the
 * pixel cache is thus referenced only after its bytes are on disk, and a
 * cancelled or killed import keeps every batch it committed. Bad files never
 * stop an import: each is recorded with its reason, and so is a bad container
 * (an IDX file, a CSV manifest, a folder that cannot be read: one record under
 * its path) and a malformed CSV line (a record MANIFEST:LINE).
 *
 * The pipeline does not know the store: it talks to it through
 * GlImportSinkFuncs (gl-project.c provides the SQLite one), which keeps it
 * testable and usable from a worker thread of the GUI.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-pixel-cache.h"
#include "app/gl-thumbs.h"

G_BEGIN_DECLS

typedef enum
{
  GL_IMPORT_LAYOUT_AUTO,        /* per path: .csv → csv, *idx*-ubyte* → idx, folder → imagefolder if it
                                   holds only sub-folders, else plain */
  GL_IMPORT_LAYOUT_PLAIN,       /* folders recursively or single files; no labels */
  GL_IMPORT_LAYOUT_IMAGEFOLDER, /* FOLDER/CLASS/…/image: class = the first-level sub-folder, or FOLDER/SPLIT/
                                   CLASS/…/image (see GL_IMAGEFOLDER_MANIFEST) */
  GL_IMPORT_LAYOUT_CSV,         /* a manifest of `path,label` (RFC 4180 quoting; optional header) */
  GL_IMPORT_LAYOUT_IDX,         /* an MNIST-family images file (+ GlImportOptions.idx_labels) */
} GlImportLayout;

gboolean gl_import_layout_parse (const char *text, GlImportLayout *layout);

/* Whether a file of this name is one an import takes from a folder: its
 * extension is claimed by an installed GdkPixbuf loader (thread-safe). */
gboolean gl_import_is_image_name (const char *name);

/* The path the store keeps for the image file @filename (absolute, canonical;
 * newly allocated), as GlImportRecord.path: look an imported file up by it. */
char *gl_import_stored_path (const char *filename);

/* The manifest an ImageFolder export writes next to its folders: CSV rows
 * `kind,folder,name` where kind is "class" (folder → the real class name),
 * "split" (a train/val/test level above the class folders) or "other" (a
 * folder that holds no images, e.g. model/). An ImageFolder import that finds
 * it takes split folders as a level, not as classes, and folder → class from
 * it, so that names that are not safe folder names come back unchanged.
 * Without it, a top level whose folders are all named train, val or test is
 * taken as a split level; any other folder is a class named as the folder. */
#define GL_IMAGEFOLDER_MANIFEST "gleaner-imagefolder.csv"

typedef enum
{
  GL_LABELS_AS_HUMAN,     /* labels that come with the data continue an existing labeling */
  GL_LABELS_AS_REFERENCE, /* never shown or trained on: evaluation and simulation only */
} GlLabelsAs;

typedef struct
{
  GlImportLayout layout;
  const char *idx_labels; /* labels file for an IDX images file, or NULL */
  GlLabelsAs labels_as;
  gboolean held_out_test; /* the batch is a held-out reference test set */
  gboolean thumbnails;    /* also pack the 128 px thumbnail of each image file (FALSE by default: encoding it
                             costs about as much as the import itself; the gallery makes a missing one when
                             it first shows the image, gl-thumbnail-loader.h) */
  guint n_threads;        /* decoding threads; 0 = number of cores */
  guint batch_size;       /* records per transaction; 0 = 1,000 */
  /* Called on the importing thread with the path (as a record's) of each
   * file skipped as a duplicate, so that a summary can name them; NULL: not
   * called. */
  void (*duplicate_func) (const char *path, gpointer user_data);
  gpointer duplicate_data;
  /* The batch's source as the store records it; NULL: the paths given, each
   * as a display name, separated by spaces. */
  const char *source;
  /* Called on the importing thread, after the commit, with the path (as a
   * record's) and the reason of each file recorded unreadable, so that a
   * summary can say why; NULL: not called. */
  void (*reject_func) (const char *path, const char *reason, gpointer user_data);
  gpointer reject_data;
  /* A CSV label that is not a class of the project: FALSE (default) makes
   * the import fail before anything is stored, naming the labels and the
   * nearest classes (a typo must not become a class), unless the project has
   * no classes yet; TRUE creates the classes. */
  gboolean new_classes;
} GlImportOptions;

void gl_import_options_init (GlImportOptions *options);

typedef struct
{
  guint64 total;      /* items found (files, CSV rows, IDX items) */
  guint64 done;       /* items processed and committed or dropped */
  guint64 added;      /* readable images added */
  guint64 duplicates; /* skipped: content already in the project or earlier in this import */
  guint64 unreadable; /* recorded with a reason */
  guint64 labeled;    /* added images that came with a label */
  guint64 skipped;    /* files in folders whose extension no image loader claims */
  guint64 extra_columns; /* CSV rows with more fields than path,label (the rest is ignored) */
  double elapsed_s;
  double images_per_s; /* done / elapsed */
  gint64 batch_id;     /* the import batch in the store; -1 before it is begun */
} GlImportProgress;

/* One row for the store. */
typedef struct
{
  const char *path;     /* the file name as stored text (gl-path.h: lossless, also when not UTF-8); IDX: FILE#INDEX */
  const char *hash_hex; /* SHA-256 of the file bytes (IDX: of the item bytes); NULL when unreadable */
  guint64 size_bytes;
  gint64 cache_row;   /* row in the pixel cache; -1 when unreadable */
  const char *label;  /* class name that came with the image, or NULL */
  const char *reason; /* why it is unreadable, or NULL */
} GlImportRecord;

typedef struct
{
  /* TRUE if the store holds an image with this content hash already. */
  gboolean (*has_hash) (gpointer data, const char *hash_hex);
  /* Starts an import batch, returns its id (>= 0) or -1 with @error. */
  gint64 (*begin_batch) (gpointer data, const char *source, const GlImportOptions *options, GError **error);
  /* Adds @n records in ONE transaction and returns after the commit. */
  gboolean (*add_records) (gpointer data, gint64 batch_id, const GlImportRecord *records, guint n,
                           GlLabelsAs labels_as, GError **error);
  /* The import of @batch_id is over (after its last add_records, also after a
   * failure or a cancellation), on the same thread as begin_batch; may be NULL. */
  void (*end_batch) (gpointer data, gint64 batch_id);
} GlImportSinkFuncs;

typedef struct
{
  guint h, w, c;             /* model input shape */
  GlPixelCache *cache;       /* shape (h, w, c); borrowed */
  GlThumbPack *thumbs;       /* NULL: no thumbnails; borrowed */
  const char *const *class_names; /* in order: IDX label k is class_names[k]; may be NULL */
  const GlImportSinkFuncs *sink;
  gpointer sink_data;
} GlImportTarget;

/* Called on the thread running the import (for _async: on the caller's main
 * context, coalesced). */
typedef void (*GlImportProgressFunc) (const GlImportProgress *progress, gpointer user_data);

/* Blocking; for the CLI or a worker thread. On cancellation returns FALSE
 * with G_IO_ERROR_CANCELLED; *summary (optional) is filled in every case. */
gboolean gl_import_run (const GlImportTarget *target, const char *const *paths, const GlImportOptions *options,
                        GlImportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                        GlImportProgress *summary, GError **error);

/* Runs gl_import_run in a GTask thread. @target, @paths and @options are
 * copied except the borrowed pointers inside @target, which must stay valid
 * until @callback. @progress runs on the thread-default main context of the
 * caller, at most every 100 ms; the final figures arrive before @callback. */
void gl_import_run_async (const GlImportTarget *target, const char *const *paths, const GlImportOptions *options,
                          GlImportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean gl_import_run_finish (GAsyncResult *result, GlImportProgress *summary, GError **error);

G_END_DECLS
