/* gl-db.h — the project store on SQLite (GLib + SQLite only).
 *
 * One GlDb is one connection to one project database. A GlDb is used by one
 * thread at a time; each thread that needs the store opens its own GlDb on the
 * same file. The database runs in WAL mode, so readers and one writer work at
 * once; a writer that waits longer than the busy timeout (5 s) gets
 * GL_DB_ERROR_BUSY ("… the project is busy …"), never a hang or corruption.
 *
 * Every write is one transaction and every function returns after COMMIT
 * (synchronous=FULL: a label that was reported committed survives a crash and
 * a power loss). No SQL is built from caller text: every value is bound to a
 * prepared statement, cached per connection. The API carries no SQL so that a
 * second backend can be put behind it.
 *
 * Conventions
 * - Ids are gint64 > 0; -1 means "none" (no class, no model, unlabel).
 * - Times are microseconds since the Unix epoch (g_get_real_time ()).
 * - Floating-point values that are undefined (NaN) are stored as NULL and read
 *   back as NaN.
 * - Functions returning gboolean set @error when they return FALSE. Lookups of
 *   one thing that is not there fail with GL_DB_ERROR_NOT_FOUND.
 * - Arrays returned (GArray) own their strings: the array has a clear function
 *   set; g_array_unref () frees everything. Structs filled by a getter are
 *   released with the matching _clear ().
 * - @annotator NULL means the process's default annotator: the name set with
 *   gl_db_set_default_annotator (the person's chosen identity), else the
 *   login name of the user (g_get_user_name ()).
 *
 * The current label of an image is derived from the append-only history: the
 * newest non-reference row of the image (a row with no class = unlabeled).
 * The current reference label is the newest reference row. The store keeps
 * both derived values next to the image, in the same transaction as the
 * history row, so listings stay O(log n) per page.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- Errors ---------------------------------------------------------- */

#define GL_DB_ERROR (gl_db_error_quark ())
GQuark gl_db_error_quark (void);

typedef enum
{
  GL_DB_ERROR_FAILED,    /* any other SQLite failure (message names the file and operation) */
  GL_DB_ERROR_BUSY,      /* another connection holds the write lock past the busy timeout */
  GL_DB_ERROR_FULL,      /* the disk (or the size limit of the database) is full */
  GL_DB_ERROR_CORRUPT,   /* not a database, or damaged; integrity check failed */
  GL_DB_ERROR_TOO_NEW,   /* the file was written by a newer Gleaner (schema version unknown) */
  GL_DB_ERROR_NOT_FOUND, /* no such database / image / class / model / label to undo */
  GL_DB_ERROR_EXISTS,    /* create: a database is there already; duplicate class name, shortcut, rule */
  GL_DB_ERROR_INVALID,   /* a bad argument (empty name, bad colour, not a permutation, …) */
} GlDbError;

/* The schema version this build writes (PRAGMA user_version). Version 1 is the
 * schema of the first app/gl-project.c; older files are migrated on open. */
#define GL_DB_SCHEMA_VERSION 9

/* ---- Connection -------------------------------------------------------- */

typedef struct _GlDb GlDb;

/* Creates a new, empty database at @path (fails with GL_DB_ERROR_EXISTS if a
 * file is there). The parent folder must exist. @path may instead be a
 * PostgreSQL connection string (gl_sql_is_server_target: postgresql://…
 * or "host=… dbname=…"): a team project, whose schema is written into that
 * (empty, existing) database; GL_DB_ERROR_EXISTS when it holds a project.
 * gl_db_get_path then gives the target without its password. */
GlDb *gl_db_create (const char *path, GError **error);
/* Opens an existing database (GL_DB_ERROR_NOT_FOUND if there is none) and
 * migrates it to GL_DB_SCHEMA_VERSION in one transaction; a file or a
 * connection string, as for gl_db_create. */
GlDb *gl_db_open (const char *path, GError **error);
void gl_db_close (GlDb *db);
/* Frees the pages this connection keeps cached. After a bulk read on a
 * connection that then mostly does small reads: once another connection
 * commits, the next read discards every cached page first (on a cache full
 * from loading a queue, 15 ms on the main thread). */
void gl_db_release_memory (GlDb *db);

const char *gl_db_get_path (GlDb *db);
/* PRAGMA user_version of the open file (GL_DB_SCHEMA_VERSION after open). */
int gl_db_get_schema_version (GlDb *db);

/* PRAGMA integrity_check and foreign_key_check; FALSE with
 * GL_DB_ERROR_CORRUPT and the first complaint when not "ok". */
gboolean gl_db_check_integrity (GlDb *db, GError **error);

/* Test hook (fault injection): limits the database file to @max_pages pages
 * of the connection's page size (PRAGMA max_page_count); writes beyond fail
 * with GL_DB_ERROR_FULL. 0 restores the default. */
gboolean gl_db_set_max_pages (GlDb *db, guint64 max_pages, GError **error);
/* Test hook (a kill at any step): the process ends with _exit (0) right
 * after the @n-th write transaction committed from now on, by any
 * connection of the process. 0 turns it off. */
void gl_db_test_exit_after_commits (guint n);

/* How long write transactions (gl_db_begin … commit or rollback) held the
 * write lock, over every connection of this process since the last reset:
 * for benchmarks (tests/bench/scale). */
typedef struct
{
  guint64 n;                                /* write transactions */
  guint64 over_20ms, over_50ms, over_100ms; /* of them, held longer than that */
  gint64 max_us;                            /* the longest hold */
  gint64 total_us;                          /* all holds together */
  char max_what[80];                        /* the longest one's first statement (its start) */
} GlDbHoldStats;

void gl_db_get_hold_stats (GlDbHoldStats *out);
void gl_db_reset_hold_stats (void);

/* ---- Settings ---------------------------------------------------------- */

/* Keys of the project settings (values are text; typed helpers below). */
#define GL_DB_SETTING_INPUT_H "input_h"                   /* model input height, pixels */
#define GL_DB_SETTING_INPUT_W "input_w"                   /* model input width, pixels */
#define GL_DB_SETTING_INPUT_C "input_c"                   /* channels: 1 or 3 */
#define GL_DB_SETTING_AUGMENTATION "augmentation"         /* "1" allowed (default), "0" not */
#define GL_DB_SETTING_VALIDATION_SHARE "validation_share" /* share of labels held for validation, 0..1 */
#define GL_DB_SETTING_ACQUISITION "acquisition"           /* strategy name, e.g. "default", "margin" */
#define GL_DB_SETTING_RETRAIN_EVERY "retrain_every"       /* retrain after this many new labels */
#define GL_DB_SETTING_SKIP_EXPIRY "skip_expiry"           /* a skip expires after this many labels */
#define GL_DB_SETTING_DEMO "demo"                         /* set on the demo project */

/* A copy of the value, or NULL when unset. */
char *gl_db_get_setting (GlDb *db, const char *key);
/* The value parsed as an integer / a double / a boolean ("1","true","0",
 * "false"); @fallback when unset or not parseable. */
gint64 gl_db_get_setting_int (GlDb *db, const char *key, gint64 fallback);
double gl_db_get_setting_double (GlDb *db, const char *key, double fallback);
gboolean gl_db_get_setting_boolean (GlDb *db, const char *key, gboolean fallback);
/* Sets (or with @value NULL removes) a setting in one transaction. */
gboolean gl_db_set_setting (GlDb *db, const char *key, const char *value, GError **error);
gboolean gl_db_set_setting_int (GlDb *db, const char *key, gint64 value, GError **error);
gboolean gl_db_set_setting_double (GlDb *db, const char *key, double value, GError **error);

/* ---- Classes ----------------------------------------------------------- */

/* A class name is any UTF-8 text of 1 to 1,000 characters, stored as given
 * (slashes, "..", quotes, %, emoji included). Empty, over-long, invalid UTF-8
 * or duplicate (among classes not deleted) names are errors naming the value. */
#define GL_DB_CLASS_NAME_MAX 1000

typedef struct
{
  gint64 id;
  char *name;
  char colour[8];    /* "#rrggbb" */
  gunichar shortcut; /* key that applies the class; 0 = none */
  int position;      /* 0-based order among the listed classes */
  gboolean archived; /* hidden from the labeling keys, kept for history and metrics */
} GlDbClass;

void gl_db_class_clear (GlDbClass *klass);

/* The classes in position order (deleted and merged classes are never
 * listed; archived ones only with @include_archived). Elements: GlDbClass. */
GArray *gl_db_list_classes (GlDb *db, gboolean include_archived, GError **error);
/* One class by id (deleted ones too: history refers to them), or by exact name
 * (live classes only). */
gboolean gl_db_get_class (GlDb *db, gint64 class_id, GlDbClass *out, GError **error);
gboolean gl_db_find_class (GlDb *db, const char *name, gint64 *class_id, GError **error);

/* Adds a class at the end. @colour "#rrggbb" or NULL (a palette colour by
 * position). The first free key of "1234567890" becomes its shortcut. */
gboolean gl_db_add_class (GlDb *db, const char *name, const char *colour, gint64 *class_id, GError **error);
gboolean gl_db_rename_class (GlDb *db, gint64 class_id, const char *name, GError **error);
gboolean gl_db_recolour_class (GlDb *db, gint64 class_id, const char *colour, GError **error);
/* @shortcut 0 removes it; a key another live class uses is GL_DB_ERROR_EXISTS.
 * Only printable, non-space characters are accepted. */
gboolean gl_db_set_class_shortcut (GlDb *db, gint64 class_id, gunichar shortcut, GError **error);
gboolean gl_db_set_class_archived (GlDb *db, gint64 class_id, gboolean archived, GError **error);
/* @class_ids: every listed class (archived included), each once, in the new
 * order; anything else is GL_DB_ERROR_INVALID. */
gboolean gl_db_reorder_classes (GlDb *db, const gint64 *class_ids, guint n, GError **error);
/* In one transaction: every image whose current label (or current reference
 * label) is @from gets a new history row with class @into (same origin,
 * @annotator); rules and suggestions move to @into; @from is then deleted
 * (kept for history, never listed). Returns the number of images relabeled. */
gboolean gl_db_merge_classes (GlDb *db, gint64 from, gint64 into, const char *annotator, guint64 *n_relabeled,
                              GError **error);
/* In one transaction: images labeled @class_id get a history row with class
 * @reassign_to, or no class when @reassign_to is -1 (unlabel); the same for
 * reference labels; its rules and suggestions are removed (or moved); the
 * class is then deleted (kept for history, never listed). */
gboolean gl_db_delete_class (GlDb *db, gint64 class_id, gint64 reassign_to, const char *annotator,
                             guint64 *n_relabeled, GError **error);

typedef struct
{
  gint64 class_id;
  guint64 labeled;   /* images whose current (non-reference) label is this class */
  guint64 reference; /* images whose current reference label is this class */
} GlDbClassCount;

/* One element per listed class (archived included), in position order. */
GArray *gl_db_count_per_class (GlDb *db, GError **error);

/* ---- Import batches and images ----------------------------------------- */

typedef enum
{
  GL_DB_ORIGIN_HUMAN = 1,  /* typed by an annotator (or imported as "human" labels) */
  GL_DB_ORIGIN_RULE,       /* an accepted rule suggestion */
  GL_DB_ORIGIN_PREDICTION, /* an accepted model prediction */
  GL_DB_ORIGIN_REFERENCE,  /* came with a dataset: never shown or trained on; evaluation/simulation only */
  GL_DB_ORIGIN_REVIEW,     /* a label-error review decision: the label kept or changed (gl-db-label-errors.h) */
} GlDbOrigin;

/* "human", "rule", "prediction", "reference", "review"; from_string: FALSE if unknown. */
const char *gl_db_origin_to_string (GlDbOrigin origin);
gboolean gl_db_origin_from_string (const char *text, GlDbOrigin *origin);

/* Starts an import batch. @labels_origin: GL_DB_ORIGIN_HUMAN or _REFERENCE,
 * the origin given to labels that come with its images. @held_out_test: its
 * images form a held-out test set (never queued, never trained on). */
gboolean gl_db_begin_batch (GlDb *db, const char *source, GlDbOrigin labels_origin, gboolean held_out_test,
                            gint64 *batch_id, GError **error);
/* Records how many duplicates the import of @batch_id skipped. */
gboolean gl_db_set_batch_duplicates (GlDb *db, gint64 batch_id, guint64 duplicates, GError **error);

typedef struct
{
  gint64 id;
  char *source;
  GlDbOrigin labels_origin;
  gboolean held_out_test;
  guint64 duplicates;
  gint64 created_us;
} GlDbBatch;

/* Every batch in id order. Elements: GlDbBatch. */
GArray *gl_db_list_batches (GlDb *db, GError **error);

/* One new image for gl_db_add_images (all pointers borrowed). */
typedef struct
{
  const char *path;     /* UTF-8 */
  const char *hash_hex; /* content hash; NULL when unreadable. Unique: a hash already stored is skipped */
  guint64 size_bytes;
  gint64 cache_row;   /* row in the pixel cache, -1 when unreadable */
  const char *reason; /* why it is unreadable, or NULL */
  const char *label;  /* class name that came with it (created at the end when new), or NULL */
} GlDbNewImage;

/* Adds @n images to @batch_id in ONE transaction, with their labels (origin of
 * the batch); returns after COMMIT. An unreadable path already recorded as
 * unreadable, and a hash already stored (e.g. by another process meanwhile),
 * are skipped. @ids (optional, n elements): the new id or -1 when skipped.
 * @classes_added (optional): TRUE when a label created a class. On error
 * nothing of the call is kept. */
gboolean gl_db_add_images (GlDb *db, gint64 batch_id, const GlDbNewImage *images, guint n, gint64 *ids,
                           gboolean *classes_added, GError **error);
/* TRUE if an image with this content hash is stored. */
gboolean gl_db_has_hash (GlDb *db, const char *hash_hex);

typedef struct
{
  gint64 id;
  char *path;
  char *hash_hex;   /* NULL when unreadable */
  guint64 size_bytes;
  gint64 batch_id;
  gint64 cache_row; /* -1 when unreadable */
  char *reason;     /* NULL when readable */
  gboolean held_out_test;
  gint64 created_us;
} GlDbImage;

void gl_db_image_clear (GlDbImage *image);
gboolean gl_db_get_image (GlDb *db, gint64 image_id, GlDbImage *out, GError **error);
/* The image stored with exactly this path (the lowest id if several). */
gboolean gl_db_find_image_by_path (GlDb *db, const char *path, gint64 *image_id, GError **error);
/* For `gleaner-cli label PROJECT IMAGE CLASS`: @text is an image id (decimal)
 * when such an image exists, else a path; NOT_FOUND names @text. */
gboolean gl_db_lookup_image (GlDb *db, const char *text, gint64 *image_id, GError **error);

typedef struct
{
  guint64 images; /* rows, readable or not */
  guint64 readable;
  guint64 unreadable;
  guint64 duplicates;        /* skipped by all imports so far */
  guint64 labeled;           /* images with a current (non-reference) label */
  guint64 reference_labeled; /* images with a current reference label */
  guint64 held_out_test;     /* readable images of held-out test batches */
  guint64 skipped;           /* images with an active skip */
} GlDbCounts;

gboolean gl_db_get_counts (GlDb *db, GlDbCounts *out, GError **error);

/* Pixel-cache rows of readable images in id order (elements gint64).
 * @held_out: -1 all, 0 pool only, 1 held-out test only. */
GArray *gl_db_list_cache_rows (GlDb *db, int held_out, GError **error);

/* ---- Labels (append-only history) -------------------------------------- */

typedef enum
{
  GL_DB_LABEL_SET = 0, /* gl_db_set_label / gl_db_set_labels / import */
  GL_DB_LABEL_UNDO,    /* appended by gl_db_undo_last (restores the state before @undoes) */
  GL_DB_LABEL_CLASS,   /* appended by a class merge or delete */
} GlDbLabelKind;

typedef struct
{
  gint64 id;        /* history row id (grows with time) */
  gint64 image_id;
  gint64 class_id;  /* -1: unlabeled by this row */
  GlDbOrigin origin;
  GlDbLabelKind kind;
  gint64 undoes;    /* GL_DB_LABEL_UNDO: the first row id of the undone action; else -1 */
  char *annotator;
  gint64 created_us;
} GlDbLabel;

void gl_db_label_clear (GlDbLabel *label);

/* Appends one history row (class @class_id, or -1 to unlabel) and returns
 * only after COMMIT. @origin must not be GL_DB_ORIGIN_REFERENCE unless the
 * row records a reference label. @label_id (optional): the new row. */
gboolean gl_db_set_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin, const char *annotator,
                          gint64 *label_id, GError **error);
/* gl_db_set_label for the answer to an audit item of the queue: the image is
 * also recorded as an audit image (gl_db_list_audit_images), in the same
 * transaction, so a label is never audit without the record or the reverse.
 * An image stays an audit image when the label is undone or changed. */
gboolean gl_db_set_audit_label (GlDb *db, gint64 image_id, gint64 class_id, GlDbOrigin origin,
                                const char *annotator, gint64 *label_id, GError **error);
/* Every image recorded by gl_db_set_audit_label, by id (elements gint64). */
GArray *gl_db_list_audit_images (GlDb *db, GError **error);
/* The same for @n images in ONE transaction (one undoable action). */
gboolean gl_db_set_labels (GlDb *db, const gint64 *image_ids, guint n, gint64 class_id, GlDbOrigin origin,
                           const char *annotator, GError **error);
/* Labels @n images (any number) with @class_id (-1: unlabel) as ONE
 * undoable action committed in chunks (gl-db-bulk.c): each chunk is a
 * transaction sized by time to hold the write lock about 25 ms
 * (gl-db-chunk.c), and a label waiting on another connection of the process
 * commits between two of them. @progress (optional) is called after
 * each commit with the images labeled so far. Checked between chunks,
 * @cancellable stops it with G_IO_ERROR_CANCELLED: the chunks committed
 * stay (a prefix of @image_ids, stats->done images) and gl_db_undo_last
 * undoes them in one step, as it undoes a whole labeling. An image that
 * cannot take the label (unknown, unreadable) fails its chunk; the chunks
 * before it stay. @origin must not be GL_DB_ORIGIN_REFERENCE. The images
 * are written in the order given: in increasing id order a chunk writes
 * neighbouring rows and index entries, the fewest pages per image. */
typedef void (*GlDbBulkProgressFunc) (guint64 done, guint64 total, gpointer user_data);

typedef struct
{
  guint64 done;       /* images labeled (committed) */
  guint chunks;       /* transactions */
  gint64 head;        /* the action's first history row, -1 none */
  gint64 max_hold_us; /* the longest time a chunk held the write lock */
  gint64 wait_us;     /* time spent waiting for the lock, in all */
  guint64 pages;      /* database pages the commits wrote (to the WAL) */
  guint max_rows;     /* the most rows one transaction committed (GL_DB_CHUNK_MAX_ROWS at most) */
  guint64 max_pages;  /* the most pages one commit wrote (0 on PostgreSQL) */
} GlDbBulkStats;

gboolean gl_db_set_labels_chunked (GlDb *db, const gint64 *image_ids, guint64 n, gint64 class_id, GlDbOrigin origin,
                                   const char *annotator, GCancellable *cancellable, GlDbBulkProgressFunc progress,
                                   gpointer user_data, GlDbBulkStats *stats, GError **error);
/* Undoes the newest action (set_label / set_labels, non-reference) of
 * @annotator that is not undone yet, by appending for each of its images a
 * row that restores the label it had before (history is kept). @image_id
 * (optional): the (first) image of that action. NOT_FOUND when there is
 * nothing to undo. Undoing twice undoes the two newest actions. */
gboolean gl_db_undo_last (GlDb *db, const char *annotator, gint64 *image_id, GError **error);

/* The history of one image, oldest first. Elements: GlDbLabel. */
GArray *gl_db_get_history (GlDb *db, gint64 image_id, GError **error);
/* The current label (out->class_id -1 and out->id -1 when never labeled or
 * unlabeled; not an error). With @reference, the current reference label. */
gboolean gl_db_get_current_label (GlDb *db, gint64 image_id, gboolean reference, GlDbLabel *out, GError **error);

/* One current label, for training, export, evaluation and simulation. */
typedef struct
{
  gint64 image_id;
  gint64 cache_row; /* -1 if the image is unreadable (never the case for labels of readable images) */
  gint64 class_id;
  GlDbOrigin origin;
  const char *annotator; /* borrowed for the duration of the callback */
  const char *path;      /* borrowed for the duration of the callback */
  gboolean held_out_test;
  gint64 created_us;
} GlDbCurrentLabel;

/* Return FALSE to stop early (not an error). */
typedef gboolean (*GlDbCurrentLabelFunc) (const GlDbCurrentLabel *label, gpointer user_data);

/* Calls @func for each image with a current class, in image id order: the
 * non-reference labels (human / rule / prediction: what training and export
 * use), or with @reference the reference labels. Reads one consistent
 * snapshot. */
gboolean gl_db_foreach_current_label (GlDb *db, gboolean reference, GlDbCurrentLabelFunc func,
                                      gpointer user_data, GError **error);

/* ---- Annotators: several people's labels side by side (gl-db-annotators.c) ----
 *
 * Every history row records its annotator. An annotator's CURRENT label on
 * an image is their newest non-reference SET row on it (set_label,
 * set_labels, a review decision) that no undo has taken back; when that row
 * removed the label (no class), or its class was deleted without a merge
 * target, they have none. A class merged into another counts as the target.
 * Labels that came with an import (annotator "import") are a dataset's, not a
 * person's, and are left out. */

/* The annotator name used when a call passes @annotator NULL, for every
 * connection opened from now on in this process (any thread). NULL restores
 * the login name. The app and gleaner-cli set it from the person's identity
 * (app/gl-identity.h) at start. */
void gl_db_set_default_annotator (const char *name);
/* A copy of that name (the login name when none is set). */
char *gl_db_dup_default_annotator (void);

/* One annotator of the project. Owned by a GlDbTeamLabels; read-only to any
 * thread holding it. */
typedef struct
{
  char *name;       /* as recorded in the history; owned */
  guint64 labeled;  /* images with a current label of theirs */
  guint64 audited;  /* of those, images with a current reference label */
  guint64 correct;  /* of those, labels equal to the reference (classes merges followed) */
} GlDbAnnotator;

/* One annotator's current label on one image. Owned by a GlDbTeamLabels. */
typedef struct
{
  gint64 image_id;
  guint annotator;  /* index into GlDbTeamLabels.annotators */
  gint64 class_id;  /* a live class */
  gint64 label_id;  /* the history row it comes from */
} GlDbAnnotatorLabel;

/* Filled by gl_db_get_team_labels; the caller owns it (one thread at a
 * time) and frees it with gl_db_team_labels_clear. */
typedef struct
{
  GArray *annotators; /* GlDbAnnotator, by name; everybody with a current label anywhere */
  GArray *labels;     /* GlDbAnnotatorLabel, by image id then annotator index: only images with current labels
                       * of at least @min_annotators annotators */
  guint64 n_images;   /* distinct images in @labels */
} GlDbTeamLabels;

void gl_db_team_labels_clear (GlDbTeamLabels *team);
/* Reads, in one consistent snapshot, every annotator's current labels and
 * their accuracy on the current reference labels, and keeps the labels of
 * the images labeled by ≥ @min_annotators (at least 1) annotators. */
gboolean gl_db_get_team_labels (GlDb *db, guint min_annotators, GlDbTeamLabels *out, GError **error);

/* ---- Skips, rules, suggestions ----------------------------------------- */

/* Remembers that @image_id was skipped (now). The skip expires once
 * @expire_after more labels (rows of set_label / set_labels) have been
 * committed in the project; 0 means the setting GL_DB_SETTING_SKIP_EXPIRY
 * (default 50). Skipping again renews it. */
gboolean gl_db_skip (GlDb *db, gint64 image_id, guint expire_after, GError **error);
gboolean gl_db_unskip (GlDb *db, gint64 image_id, GError **error);
/* Forgets every skip. */
gboolean gl_db_clear_skips (GlDb *db, GError **error);
/* TRUE if @image_id has an active (not expired) skip. */
gboolean gl_db_is_skipped (GlDb *db, gint64 image_id);

typedef struct
{
  gint64 id;
  char *glob;      /* matched against the image path (g_pattern_match_simple syntax) */
  gint64 class_id;
  gint64 created_us;
} GlDbRule;

/* A glob → class rule; the same glob twice is GL_DB_ERROR_EXISTS. */
gboolean gl_db_add_rule (GlDb *db, const char *glob, gint64 class_id, gint64 *rule_id, GError **error);
gboolean gl_db_delete_rule (GlDb *db, gint64 rule_id, GError **error);
/* Elements: GlDbRule, in id order. */
GArray *gl_db_list_rules (GlDb *db, GError **error);

typedef struct
{
  gint64 image_id;
  gint64 class_id;
  char *rule; /* the rule text that suggested it (borrowed on input, owned in returned arrays) */
} GlDbSuggestion;

/* Replaces all suggestions by @n new ones in one transaction. */
gboolean gl_db_replace_suggestions (GlDb *db, const GlDbSuggestion *suggestions, guint n, GError **error);
/* NOT_FOUND when the image has no suggestion. Clear @out with gl_db_suggestion_clear. */
gboolean gl_db_get_suggestion (GlDb *db, gint64 image_id, GlDbSuggestion *out, GError **error);
void gl_db_suggestion_clear (GlDbSuggestion *suggestion);
/* Suggestions for images with no current label, in image id order. Elements: GlDbSuggestion. */
GArray *gl_db_list_suggestions (GlDb *db, GError **error);

/* ---- The labeling queue ------------------------------------------------ */

typedef struct
{
  gint64 image_id;
  char *reason;   /* why it is queued, e.g. "uncertain", "audit", "cold start" (borrowed on input) */
  double score;   /* acquisition score (NaN: none) */
  gboolean audit; /* an audit item: already labeled or confident, shown to check the labels */
  guint position; /* filled on read: the 0-based position given at replace time */
} GlDbQueueItem;

/* Replaces the whole queue by @items (position = index) in one transaction,
 * so readers see the old queue or the new one, never a mix; a new
 * GlDbPoll.queue_seq tells other connections. */
gboolean gl_db_replace_queue (GlDb *db, const GlDbQueueItem *items, guint n, GError **error);
/* Up to @limit items in position order, skipping images that are labeled now
 * (audit items excepted) or have an active skip. Elements: GlDbQueueItem. */
GArray *gl_db_read_queue (GlDb *db, guint limit, GError **error);
/* The same, from the items after position @after_position on (-1: all): the
 * next page of a long queue. */
GArray *gl_db_read_queue_after (GlDb *db, gint64 after_position, guint limit, GError **error);

typedef struct
{
  gint64 image_id;
  gint64 cache_row;
  double score;
} GlDbScoredImage;

/* The @k images with the highest score under model version @model_id (-1:
 * the current one) that are readable, unlabeled, not skipped and not held-out
 * test images; highest score first, ties by id. Elements: GlDbScoredImage.
 * An empty array when there is no such model. */
GArray *gl_db_top_unlabeled (GlDb *db, gint64 model_id, guint k, GError **error);
/* Up to @limit readable, unlabeled, not skipped, not held-out images with an
 * id above @after_id, in id order (import order), score NaN: a page of the
 * pool for when nothing ranks it. Elements: GlDbScoredImage. */
GArray *gl_db_list_unlabeled (GlDb *db, gint64 after_id, guint limit, GError **error);

/* ---- Model versions, predictions, metrics ------------------------------ */

typedef struct
{
  gint64 id;
  char *path;        /* the model file (borrowed on input) */
  gint64 created_us; /* filled by the store on add */
  guint64 n_labels;  /* labels it was trained on */
  double val_accuracy, macro_f1, ece; /* NaN when unknown */
  GBytes *metrics;   /* opaque blob (e.g. a serialized GVariant of the metrics), or NULL */
} GlDbModelVersion;

void gl_db_model_version_clear (GlDbModelVersion *version);
gboolean gl_db_add_model_version (GlDb *db, const GlDbModelVersion *version, gint64 *model_id, GError **error);
gboolean gl_db_get_model_version (GlDb *db, gint64 model_id, GlDbModelVersion *out, GError **error);
/* Elements: GlDbModelVersion, oldest first. */
GArray *gl_db_list_model_versions (GlDb *db, GError **error);
/* The model version whose predictions drive the queue query and the gallery
 * (-1: none yet). The listing has two slots (gl-db-predictions.c): the
 * current version's, and one a new version is written into while it is
 * scored. gl_db_prepare_listing gives that slot to @model_id (O(1) when it
 * has no predictions yet; else they are copied there in short transactions);
 * gl_db_add_predictions of the version then writes it too. Setting the
 * current model to a version that owns a slot clears the rows an older
 * version wrote there and this one did not (none when it scored every image
 * an older one had) and flips the slot in one transaction: O(1). Other
 * versions are first copied into the free slot, in transactions of about
 * 15 ms each (gl-db-chunk.c). The previous version stays current, whole,
 * until that commit, so a kill at any step leaves a whole listing. */
gint64 gl_db_get_current_model (GlDb *db);
gboolean gl_db_prepare_listing (GlDb *db, gint64 model_id, GError **error);
gboolean gl_db_set_current_model (GlDb *db, gint64 model_id, GError **error);

/* What another connection may have changed, for polling from a main loop
 * (one indexed read: microseconds). */
typedef struct
{
  gint64 model_id;     /* the current model version, -1: none */
  double val_accuracy; /* its validation accuracy, NaN when unknown */
  gint64 queue_seq;    /* changes whenever the queue is replaced (gl_db_replace_queue) */
} GlDbPoll;

/* Never waits for a lock: FALSE, with @out untouched, when the read would
 * wait, while a current model is being set (its predictions copied into the
 * listing), or on any failure; the caller asks again later. */
gboolean gl_db_try_poll (GlDb *db, GlDbPoll *out);
/* GlDbPoll.queue_seq, read as any other query (waiting for a lock): 0 when
 * the queue was never replaced (or on failure). */
gint64 gl_db_get_queue_seq (GlDb *db);

typedef struct
{
  gint64 image_id;
  gint64 top_class;  /* class id */
  double top_prob;   /* confidence of top_class */
  double score;      /* acquisition score: higher = more worth labeling */
  float *probs;      /* (n_probs) per class in position order at scoring time; may be NULL */
  guint n_probs;
} GlDbPrediction;

void gl_db_prediction_clear (GlDbPrediction *prediction);
/* Writes @n predictions of @model_id in one transaction (replacing earlier
 * ones of the same image and model). When @model_id owns a listing slot
 * (it is current, or gl_db_prepare_listing gave it one) the slot follows. */
gboolean gl_db_add_predictions (GlDb *db, gint64 model_id, const GlDbPrediction *predictions, guint n,
                                GError **error);
/* Fills @out (zeroed) with the @i-th of the predictions gl_db_write_predictions writes. */
typedef void (*GlDbPredictionFillFunc) (guint64 i, GlDbPrediction *out, gpointer user_data);
/* Writes @n predictions of @model_id, made by @fill, as gl_db_add_predictions
 * does but in transactions sized by time (gl-db-chunk.c), each holding the
 * write lock about 15 ms (GL_DB_CHUNK_MS), so that labels commit between them.
 * @cancellable is checked between transactions (the ones committed stay;
 * the version is not current until gl_db_set_current_model). @stats
 * (optional): done, chunks, the longest hold; head is -1. */
gboolean gl_db_write_predictions (GlDb *db, gint64 model_id, guint64 n, GlDbPredictionFillFunc fill, gpointer user_data,
                                  GCancellable *cancellable, GlDbBulkStats *stats, GError **error);
/* Deletes the predictions of versions older than the current version and
 * both listing slots' versions (the rows of audit and held-out test images
 * stay: they evaluate every version), in transactions of about 15 ms that
 * let waiting writers in between them, for about @budget_ms. *@more (optional): TRUE when
 * some are left for a next call. Resumes where the last call stopped. */
gboolean gl_db_prune_predictions (GlDb *db, guint budget_ms, gboolean *more, GError **error);
/* @model_id -1: the current one. NOT_FOUND when there is none for the image. */
gboolean gl_db_get_prediction (GlDb *db, gint64 model_id, gint64 image_id, GlDbPrediction *out, GError **error);

typedef struct
{
  gint64 class_id;
  double precision, recall, f1; /* NaN when undefined */
  guint64 support;
} GlDbClassMetrics;

/* Replaces the per-class metrics of @model_id (and its confusion matrix blob,
 * may be NULL) in one transaction. */
gboolean gl_db_set_class_metrics (GlDb *db, gint64 model_id, const GlDbClassMetrics *metrics, guint n,
                                  GBytes *confusion, GError **error);
/* Elements: GlDbClassMetrics in the order they were stored, which is the
 * order of the rows and columns of @confusion (optional): the stored blob,
 * or NULL when there is none or its order is not known (metrics stored
 * before schema version 3 come in class position order, without it). */
GArray *gl_db_get_class_metrics (GlDb *db, gint64 model_id, GBytes **confusion, GError **error);

/* Calls @func for each prediction of @model_id (-1: current), in image id
 * order, for images of @batch_id (-1: all batches). The struct and its probs
 * are borrowed for the duration of the call; return FALSE to stop. */
typedef gboolean (*GlDbPredictionFunc) (const GlDbPrediction *prediction, gpointer user_data);
gboolean gl_db_foreach_prediction (GlDb *db, gint64 model_id, gint64 batch_id, GlDbPredictionFunc func,
                                   gpointer user_data, GError **error);

/* One prediction of a model version for an image whose label no model
 * trains on: the answer to an audit item (its current label; @audit TRUE)
 * or a held-out test image (its reference label; @audit FALSE). */
typedef struct
{
  gint64 image_id;
  gint64 class_id;  /* the label */
  gint64 top_class; /* the version's prediction, -1 none */
  double top_prob;  /* its probability, NaN none */
  gboolean audit;
} GlDbEvaluated;

/* The predictions of @model_id for the labeled audit images and, with
 * @include_test, the held-out test images that have a reference label, in
 * image id order. Reads only those images (primary-key lookups), never the
 * pool. Elements: GlDbEvaluated. */
GArray *gl_db_list_evaluated (GlDb *db, gint64 model_id, gboolean include_test, GError **error);

typedef struct
{
  gint64 class_id;
  guint64 count;
} GlDbClassTally;

/* How many unlabeled, readable pool images (not held-out) @model_id predicts
 * as each class: one aggregate query (an index scan of the unlabeled images;
 * for the current model its listing columns, else a join on its
 * predictions). Elements: GlDbClassTally, classes with no image left out. */
GArray *gl_db_count_predicted_unlabeled (GlDb *db, gint64 model_id, GError **error);

/* Drift statistics of one comparison (two import batches or two time windows). */
typedef struct
{
  gint64 id;
  gint64 model_id;          /* the model version whose predictions were compared, -1 for labels */
  gint64 batch_a, batch_b;  /* the compared batches, or -1 when time windows were compared */
  gint64 from_us, to_us;    /* window B's time range (0 when batches were compared) */
  double psi, js;           /* NaN when undefined */
  GBytes *stats;            /* opaque per-class blob (shares, confidence shift), or NULL */
  gint64 created_us;        /* filled by the store */
} GlDbDrift;

void gl_db_drift_clear (GlDbDrift *drift);
gboolean gl_db_add_drift (GlDb *db, const GlDbDrift *drift, gint64 *drift_id, GError **error);
/* Elements: GlDbDrift, oldest first; @model_id -1: all. */
GArray *gl_db_list_drift (GlDb *db, gint64 model_id, GError **error);

/* ---- Drift per class against a model version's reference (gl-db-drift.c) ---- */

/* The reference of one model version: its outputs on the validation labels
 * and a random pool sample, taken after training. The blobs are owned by the
 * struct (gl_db_drift_reference_clear; borrowed on input), and like every
 * store struct it belongs to the thread of its connection. Blobs are native-endian
 * arrays (the project stays on its machine; a team store would need more). */
typedef struct
{
  gint64 model_id;
  gint64 created_us;        /* filled by the store */
  guint64 n_validation;     /* the first rows are the validation images */
  guint64 n_pool;           /* then the pool sample */
  guint n_classes;
  guint dim;                /* embedding projection width, 0 without */
  guint64 projection_seed;  /* of gl_drift_random_projection */
  double temperature;       /* temperature scaling fitted on validation */
  double ece_before;        /* validation ECE before / after scaling; NaN unknown */
  double ece_after;
  GBytes *class_ids;        /* (n_classes) gint64: the class of each column */
  GBytes *probs;            /* (n_validation + n_pool, n_classes) float, calibrated */
  GBytes *embedding;        /* (n_validation + n_pool, dim) float, or NULL */
} GlDbDriftReference;

void gl_db_drift_reference_clear (GlDbDriftReference *reference);
/* Stores (or replaces) the reference of reference->model_id. */
gboolean gl_db_set_drift_reference (GlDb *db, const GlDbDriftReference *reference, GError **error);
/* FALSE with @error on failure; TRUE with *@found FALSE when there is none. */
gboolean gl_db_get_drift_reference (GlDb *db, gint64 model_id, GlDbDriftReference *out, gboolean *found,
                                    GError **error);

typedef enum
{
  GL_DB_DRIFT_BATCH,  /* one import batch */
  GL_DB_DRIFT_WINDOW, /* a sliding window of the newest images */
} GlDbDriftKind;

typedef struct
{
  gint64 class_id;   /* -1: a window-wide test */
  char test[24];     /* share, bbsd, confidence, embedding, novelty, chi-square */
  gboolean tested;   /* FALSE: insufficient data */
  gboolean fired;
  double statistic, p_value, p_adjusted, effect;
  guint64 n_ref, n_win;
} GlDbDriftTest;

typedef struct
{
  gint64 class_id;
  guint64 n_images;      /* predicted as the class in the batch or window */
  gboolean insufficient; /* fewer than 30 */
  double precision_est, precision_se;         /* CBPE, window */
  double precision_ref, precision_ref_se;     /* CBPE, reference */
} GlDbDriftClass;

typedef struct
{
  gint64 id;                 /* filled by the store */
  gint64 model_id;
  GlDbDriftKind kind;
  gint64 batch_id;           /* BATCH: the batch; else -1 */
  gint64 first_image, last_image; /* image id range covered */
  guint64 n_images;
  guint window_size;         /* WINDOW: its size; else 0 */
  gboolean drifted;
  guint n_fired;
  gint64 top_class;          /* class named first, -1 none */
  double accuracy_est, accuracy_ref; /* CBPE accuracy estimates, window and reference */
  double psi;                /* of the predicted class shares */
  double alpha;              /* family-wise significance level of the verdict; NaN: not recorded (before schema 8) */
  GArray *tests;             /* GlDbDriftTest, owned */
  GArray *classes;           /* GlDbDriftClass, owned */
  gint64 created_us;         /* filled by the store */
} GlDbDriftResult;

void gl_db_drift_result_clear (GlDbDriftResult *result);
/* Stores @result with its tests and classes in one transaction. */
gboolean gl_db_add_drift_result (GlDb *db, const GlDbDriftResult *result, gint64 *drift_id, GError **error);
/* Elements: GlDbDriftResult of @model_id, oldest first; @kind -1: both kinds. */
GArray *gl_db_list_drift_results (GlDb *db, gint64 model_id, int kind, GError **error);
/* Deletes the results of @model_id of @kind (-1: both), with their rows. */
gboolean gl_db_delete_drift_results (GlDb *db, gint64 model_id, int kind, GError **error);

/* ---- Drift automation (gl-db-drift-auto.c) ------------------------------
 * What app/gl-drift-auto.c records; like every store struct, a row belongs
 * to the thread of its connection. */

/* One action taken on drift. Strings owned (gl_db_drift_action_clear;
 * borrowed on input). */
typedef struct
{
  gint64 id;         /* filled by the store */
  gint64 created_us; /* filled by the store */
  gint64 model_id;   /* the current model version then, -1 none */
  gint64 drift_id;   /* the batch or window result that triggered it, -1 none (may since be replaced) */
  char *origin;      /* "auto" or "user" */
  char *action;      /* "boost" (drift-boosted queue on), "retrain", "stop" (boost off) */
  char *trigger;     /* "windows", "batches", "adwin", "request", "labels", "recovered" */
  char *classes;     /* the class ids concerned, space separated ("" none) */
  char *statistics;  /* the trigger's statistics: one JSON object */
  char *detail;      /* the same for people, one line */
  gint64 last_label_id; /* filled by the store: the newest labels.id then (0 none) */
} GlDbDriftAction;

void gl_db_drift_action_clear (GlDbDriftAction *action);
gboolean gl_db_add_drift_action (GlDb *db, const GlDbDriftAction *action, gint64 *action_id, GError **error);
/* Elements: GlDbDriftAction, oldest first; @limit > 0: only the newest that many. */
GArray *gl_db_list_drift_actions (GlDb *db, guint limit, GError **error);

/* A change ADWIN found in a class's accuracy on the audit labels. */
typedef struct
{
  gint64 id, created_us; /* filled by the store */
  gint64 model_id;       /* whose predictions were compared with the audit labels */
  gint64 class_id;       /* the true class */
  gint64 image_id;       /* the audit image at which it fired */
  guint64 position;      /* its rank among the class's audit labels, labeling order, 1-based */
  double mean_before, mean_after; /* accuracy of the older part dropped and the newer part kept */
  guint64 width_before, width_after;
  double epsilon, delta; /* the bound ε_cut of that split and ADWIN's δ */
} GlDbAuditChange;

/* Stores @change unless one of the same model, class and image is stored
 * (*@added FALSE then). */
gboolean gl_db_add_audit_change (GlDb *db, const GlDbAuditChange *change, gboolean *added, GError **error);
/* Elements: GlDbAuditChange of @model_id (-1: all), oldest first. */
GArray *gl_db_list_audit_changes (GlDb *db, gint64 model_id, GError **error);

/* An audit label as ADWIN reads it: the labeled class and what the current
 * model predicts. */
typedef struct
{
  gint64 image_id;
  gint64 class_id;   /* its current label */
  gint64 pred_class; /* the current model's prediction */
} GlDbAuditOutcome;

/* The labeled audit images that the current model has a prediction for, in
 * the order they were labeled (last label). Elements: GlDbAuditOutcome. */
GArray *gl_db_list_audit_outcomes (GlDb *db, GError **error);

/* An image the drift-boosted queue may draw. */
typedef struct
{
  gint64 image_id;
  gint64 class_id;  /* predicted class */
  gboolean novel;   /* farther from its class's reference centroid than the reference's 99th percentile */
  double distance;  /* that distance over the reference's 99th percentile of the class (> 1: novel), NaN unknown */
  double priority;  /* the order to label in, highest first (app/gl-drift-boost.h); NaN unknown (before schema 8) */
} GlDbDriftCandidate;

/* Stores the candidates of drift result @drift_id (one transaction). */
gboolean gl_db_add_drift_candidates (GlDb *db, gint64 drift_id, const GlDbDriftCandidate *candidates, guint n,
                                     GError **error);
/* The candidates of @model_id's results that are still unlabeled, readable
 * and in the pool (not held out), each image once (its highest priority):
 * by priority, highest first, then (no priority) novel ones first and by
 * distance, farthest first. Elements: GlDbDriftCandidate. */
GArray *gl_db_list_drift_candidates (GlDb *db, gint64 model_id, GError **error);
/* How many candidates of any model version got their current label after
 * the label @after_label_id (labels.id; reads only the newer labels); -1
 * with @error on failure. */
gint64 gl_db_count_labeled_candidates (GlDb *db, gint64 after_label_id, GError **error);

typedef struct
{
  gint64 image_id;
  gint64 cache_row;
  gint64 batch_id;
} GlDbImageRow;

/* The readable images of @batch_id (-1: of every batch), in id order; with
 * @newest > 0 only the newest that many. Elements: GlDbImageRow. */
GArray *gl_db_list_image_rows (GlDb *db, gint64 batch_id, guint newest, GError **error);

/* ---- Gallery listing (keyset paging) ----------------------------------- */

typedef enum
{
  GL_DB_FILTER_ALL,
  GL_DB_FILTER_UNLABELED,    /* readable, no current label */
  GL_DB_FILTER_LABELED,      /* a current label */
  GL_DB_FILTER_CLASS,        /* current label = filter class_id */
  GL_DB_FILTER_PREDICTED,    /* current model's top class = filter class_id */
  GL_DB_FILTER_DISAGREEMENT, /* labeled and the current model predicts another class */
  GL_DB_FILTER_UNREADABLE,   /* recorded with a reason */
  GL_DB_FILTER_CONFUSION,    /* current label = class_id and current model's top class = predicted_class */
  GL_DB_FILTER_SUSPECTED,    /* a suspected label error of the current model version (gl-db-label-errors.h):
                              * flagged, still the label looked at, not decided in review since */
  GL_DB_FILTER_PREDICTED_RANGE, /* current model's top class = class_id, id in first_image..last_image (drift) */
} GlDbFilterKind;

typedef struct
{
  GlDbFilterKind kind;
  gint64 class_id;        /* for _CLASS, _PREDICTED, _CONFUSION (the label) and _PREDICTED_RANGE */
  gint64 predicted_class; /* for _CONFUSION */
  gint64 first_image, last_image; /* for _PREDICTED_RANGE: the image id range, both ends included */
} GlDbFilter;

typedef enum
{
  GL_DB_SORT_UNCERTAINTY, /* current model's score, highest first; images without a score last, by id */
  GL_DB_SORT_NEWEST,      /* newest import first (id descending) */
  GL_DB_SORT_NAME,        /* path, byte order, then id */
  GL_DB_SORT_CONFIDENCE,  /* current model's top probability, highest first; without one last, by id */
  GL_DB_SORT_DISAGREEMENT, /* how confidently the current version's out-of-fold predictions disagree with the
                            * label (its label-error score), highest first; without a score last, by id. A page
                            * sorts the version's label-error rows (one per label), not the whole pool */
} GlDbSort;

typedef struct
{
  gint64 image_id;
  char *path;
  char *hash_hex;          /* NULL when unreadable (thumbnails are keyed by it) */
  gint64 cache_row;        /* -1 when unreadable */
  gint64 class_id;         /* current label, -1 none */
  gint64 predicted_class;  /* current model's top class, -1 none */
  double confidence;       /* its probability, NaN none */
  double score;            /* its acquisition score, NaN none */
  gboolean unreadable;
} GlDbListRow;

/* Where a page ended; opaque. NULL = the start. */
typedef struct _GlDbCursor GlDbCursor;
GlDbCursor *gl_db_cursor_copy (const GlDbCursor *cursor);
void gl_db_cursor_free (GlDbCursor *cursor);

/* Up to @limit rows after @after (NULL: from the start) under @filter and
 * @sort. *@rows: elements GlDbListRow. *@next: the cursor for the next page,
 * or NULL when this page reached the end. Every image matching the filter is
 * visited exactly once across pages (as long as it keeps its sort key); each
 * page costs O(log n + limit) through indexes. */
gboolean gl_db_list_images (GlDb *db, const GlDbFilter *filter, GlDbSort sort, const GlDbCursor *after,
                            guint limit, GArray **rows, GlDbCursor **next, GError **error);
/* The number of images matching @filter. */
gboolean gl_db_count_images (GlDb *db, const GlDbFilter *filter, guint64 *count, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDb, gl_db_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GlDbCursor, gl_db_cursor_free)

G_END_DECLS
