/* gl-watch.h — watched folders: images that keep arriving.
 *
 * A project can watch folders. New image files in them (and in their
 * sub-folders) are imported as they land, grouped into import batches: a
 * batch is imported once @batch_files files are ready, or @batch_seconds
 * after the first of them became ready, so that each batch can be scored
 * and checked for drift as one unit. Files that arrived while no watcher
 * ran are found by a rescan when the watcher starts; those it finds whole are
 * imported at once, in batches of @batch_files.
 *
 * A file is taken only once it is whole:
 *   - no process has it open for writing: a read lease (fcntl F_SETLEASE,
 *     Linux) is granted only then, and released at once; and
 *   - its size and modification time have not changed for settle_ms.
 * Where the kernel refuses a lease (a file of another owner, a file system
 * without leases), only the second test can be made, over settle_unknown_ms.
 * The lease check ignores SIGIO, which a lease break would otherwise send to
 * the process, when no handler is installed for it.
 *
 * What is new: a file whose stored path (gl_import_stored_path) is not in
 * the store yet. The rescan at start looks only at files changed (mtime, or
 * ctime, which a move into the folder sets) since the last rescan that
 * finished with everything imported ("watch_scanned_us"), less a margin, so
 * that a file skipped as a duplicate of known content is not read again at
 * every start. A file that is changed in place after its import is not
 * imported again.
 *
 * The folder list is the project setting "watch_folders": one file URI per
 * line, so that any file name, UTF-8 or not, is kept exactly.
 *
 * Threads: a GlWatch lives on the thread-default main context of the thread
 * that made it (the main thread of the app, or the CLI's); signals are
 * emitted there. Rescans walk the folders on a worker thread with a store
 * connection of their own; imports run through gl_import_run_async, one at a
 * time. A GlProject takes one import at a time: do not import into the
 * project otherwise while a watcher's import runs (gl_watch_is_importing).
 *
 * Signals:
 *   "batch-imported" (gint64 batch_id, guint64 added, guint64 unreadable,
 *                     guint64 duplicates)
 *   "failed"         (GError *error)   a rescan or an import failed; the
 *                                      files stay pending and are tried again
 *   "idle"           ()                nothing to scan, wait for or import
 *   "notify::pending"                  files seen and not imported yet
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GL_WATCH_DEFAULT_BATCH_FILES 100
#define GL_WATCH_DEFAULT_BATCH_SECONDS 10.0
#define GL_WATCH_DEFAULT_SETTLE_MS 1000
#define GL_WATCH_DEFAULT_SETTLE_UNKNOWN_MS 5000
/* Rescans look at files changed up to this long before the last one. */
#define GL_WATCH_RESCAN_MARGIN_US (10 * G_USEC_PER_SEC)

#define GL_WATCH_ERROR (gl_watch_error_quark ())
GQuark gl_watch_error_quark (void);

typedef enum
{
  GL_WATCH_ERROR_NOT_A_FOLDER, /* add: the path is not a readable folder */
  GL_WATCH_ERROR_NOT_WATCHED,  /* remove: the folder is not in the list */
} GlWatchError;

/* The watched folders of @project, as absolute file names in the order
 * added (NULL-terminated, never NULL; free with g_strfreev). */
char **gl_watch_list_folders (GlProject *project);
/* Adds @folder (made absolute) to the list; adding one twice is no change. */
gboolean gl_watch_add_folder (GlProject *project, const char *folder, GError **error);
gboolean gl_watch_remove_folder (GlProject *project, const char *folder, GError **error);

typedef struct
{
  guint batch_files;       /* 0: GL_WATCH_DEFAULT_BATCH_FILES */
  double batch_seconds;    /* <= 0: GL_WATCH_DEFAULT_BATCH_SECONDS */
  guint settle_ms;         /* 0: GL_WATCH_DEFAULT_SETTLE_MS */
  guint settle_unknown_ms; /* 0: GL_WATCH_DEFAULT_SETTLE_UNKNOWN_MS */
} GlWatchOptions;

#define GL_TYPE_WATCH (gl_watch_get_type ())
G_DECLARE_FINAL_TYPE (GlWatch, gl_watch, GL, WATCH, GObject)

/* A watcher of @project's folders (@project borrowed: it must outlive the
 * watcher); @options may be NULL. Nothing happens before gl_watch_start. */
GlWatch *gl_watch_new (GlProject *project, const GlWatchOptions *options);

/* Monitors every listed folder and starts the rescan. Folders that cannot be
 * monitored are reported by "failed" and skipped; FALSE only when none of the
 * listed folders could be. A folder added later with gl_watch_add_folder is
 * taken by gl_watch_start again (it keeps what it watches already). */
gboolean gl_watch_start (GlWatch *watch, GError **error);

/* Imports the files that are ready now without waiting for a full batch
 * (e.g. before quitting). */
void gl_watch_flush (GlWatch *watch);

/* Eager: import a batch smaller than batch_files as soon as no file is left
 * waiting to settle and no rescan runs, rather than after batch_seconds
 * (gleaner-cli watch --once, and before quitting). Off by default. */
void gl_watch_set_eager (GlWatch *watch, gboolean eager);

/* Stops monitoring and cancels the rescan and the running import (what the
 * import committed stays). */
void gl_watch_stop (GlWatch *watch);

/* Files seen and not imported yet (waiting to settle, ready, or importing). */
guint gl_watch_get_pending (GlWatch *watch);
gboolean gl_watch_is_importing (GlWatch *watch);
/* Nothing to scan, wait for or import. */
gboolean gl_watch_is_idle (GlWatch *watch);

/* Whether no process has @path open for writing: TRUE or FALSE when the
 * kernel says so (a read lease), and @known FALSE when it cannot tell. */
gboolean gl_watch_file_is_closed (const char *path, gboolean *known);

G_END_DECLS
