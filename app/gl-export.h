/* gl-export.h — the labeled dataset out of a project.
 *
 * Formats, all into one target folder (created when missing; a non-empty
 * folder is refused unless @force):
 *   imagefolder  TARGET/CLASS/FILE, or TARGET/SPLIT/CLASS/FILE when the split
 *                has more than one non-empty part; files are copied,
 *                hard-linked or symlinked; images that exist only in the
 *                pixel cache (unpacked from IDX) are written as PNG from it;
 *                TARGET/gleaner-imagefolder.csv says which folder is which
 *                class and which folders are the split level
 *                (GL_IMAGEFOLDER_MANIFEST), for an import to read back
 *   csv          TARGET/labels.csv: path,label,split,origin,annotator,time
 *                (RFC 4180 quoting; time in ISO 8601 UTC), then, when asked,
 *                prediction,probability and a label:NAME column per annotator
 *   json         TARGET/manifest.json: classes, images (id, path, split,
 *                label, origin, annotator, time) and, when asked, the current
 *                model's predictions (class, probability) and every
 *                annotator's label
 * plus, when asked, TARGET/model/ with the newest model file and classes.json
 * (the class names in order).
 *
 * Only human-confirmed labels (typed, or a prediction/suggestion accepted with
 * a key) are exported unless @include_unconfirmed adds the model's predictions
 * for the images nobody labeled (origin "model"). In a team project an image
 * several annotators labeled gets their consensus (app/gl-export-team.h)
 * unless @labels asks for the newest label.
 *
 * Nothing is written outside TARGET: class folder names are made safe and
 * unique (gl_export_folder_names), image file names are the original base
 * names made safe, made unique per folder with the image id.
 *
 * The split is stratified: within each class, items are shuffled by @seed and
 * cut by the shares, so that every class is split in the same proportions and
 * the same seed gives the same split.
 */
#pragma once

#include <gio/gio.h>

#include "app/gl-project.h"

G_BEGIN_DECLS

#define GL_EXPORT_ERROR (gl_export_error_quark ())
GQuark gl_export_error_quark (void);

typedef enum
{
  GL_EXPORT_ERROR_INVALID,   /* bad option: format, link, split */
  GL_EXPORT_ERROR_NOT_EMPTY, /* the target holds files and force was not given */
  GL_EXPORT_ERROR_IO,        /* a file could not be written or linked */
  GL_EXPORT_ERROR_NOTHING,   /* no labels to export */
} GlExportError;

typedef enum
{
  GL_EXPORT_IMAGEFOLDER,
  GL_EXPORT_CSV,
  GL_EXPORT_JSON,
} GlExportFormat;

typedef enum
{
  GL_EXPORT_LINK_COPY,
  GL_EXPORT_LINK_HARDLINK,
  GL_EXPORT_LINK_SYMLINK,
} GlExportLink;

typedef enum
{
  GL_SPLIT_TRAIN,
  GL_SPLIT_VAL,
  GL_SPLIT_TEST,
} GlSplit;

/* "train", "val", "test". */
const char *gl_split_to_string (GlSplit split);

gboolean gl_export_format_from_string (const char *text, GlExportFormat *format, GError **error);
gboolean gl_export_link_from_string (const char *text, GlExportLink *link, GError **error);
/* "0.8,0.1,0.1" (or "80,10,10"): three non-negative shares, normalized to sum 1. */
gboolean gl_export_parse_split (const char *text, double shares[3], GError **error);

/* Which label an image that several annotators labeled gets (a team
 * project, issue 18; an image with one annotator has one label either way). */
typedef enum
{
  GL_EXPORT_LABELS_CONSENSUS, /* the annotators' weighted consensus; images where they tie are left out */
  GL_EXPORT_LABELS_NEWEST,    /* the newest label, whoever gave it */
} GlExportLabels;

gboolean gl_export_labels_from_string (const char *text, GlExportLabels *labels, GError **error);

typedef struct
{
  GlExportFormat format;
  GlExportLabels labels;      /* default consensus */
  GlExportLink link;          /* imagefolder only */
  double shares[3];           /* train, val, test; default 0.8, 0.1, 0.1 */
  guint64 seed;               /* default 0 */
  gboolean force;             /* write into a non-empty target */
  gboolean include_unconfirmed; /* also the model's predictions of unlabeled images */
  gboolean include_predictions; /* json and csv: the model's prediction of every listed image (csv: columns
                                  prediction,probability, empty when there is none) */
  gboolean include_model;     /* TARGET/model/: the newest model file and classes.json */
  gboolean include_annotators; /* json and csv: every annotator's label of each image (csv: a column
                                  "label:NAME" per annotator, empty where they gave none) */
} GlExportOptions;

void gl_export_options_init (GlExportOptions *options);

typedef struct
{
  guint64 total; /* items to write */
  guint64 done;
  guint64 written_bytes;
  guint64 consensus;    /* gl_export_project: items labeled by the consensus of ≥ 2 annotators */
  guint64 ties;         /* gl_export_project: images left out because their annotators tie */
} GlExportProgress;

typedef void (*GlExportProgressFunc) (const GlExportProgress *progress, gpointer user_data);

/* One annotator's label of an exported image. */
typedef struct
{
  const char *annotator; /* borrowed */
  gint class_id;         /* class index, as GlExportItem.class_id */
} GlExportVote;

/* One exported image. */
typedef struct
{
  gint64 image_id;
  const char *path;     /* as stored: a file, or FILE#INDEX for an IDX item */
  gint64 cache_row;     /* -1 when none */
  gint class_id;        /* the label */
  const char *origin;   /* the store's "human", "rule" (an accepted suggestion), "prediction" (an
                           accepted prediction), or "model" (unconfirmed, include_unconfirmed) */
  const char *annotator; /* may be NULL */
  gint64 time_us;       /* when labeled, microseconds since the epoch (UTC) */
  gint predicted;       /* the model's class, or -1 */
  float probability;    /* of @predicted */
  const GlExportVote *votes; /* include_annotators: each annotator's label (n_votes), borrowed; else NULL */
  guint n_votes;
} GlExportItem;

/* Written into the target first and removed once every file is in place:
 * a folder that holds it is an export that was killed, cancelled or failed. */
#define GL_EXPORT_INCOMPLETE "gleaner-export.incomplete"

/* Exports @project into @target. *summary (optional) holds the last progress.
 * Returns FALSE with G_IO_ERROR_CANCELLED when cancelled (files written so far
 * stay in the target, with GL_EXPORT_INCOMPLETE). */
gboolean gl_export_project (GlProject *project, const char *target, const GlExportOptions *options,
                            GlExportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                            GlExportProgress *summary, GError **error);

/* The writer on explicit items (used by gl_export_project; for tests):
 * @items (n), @class_names (n_classes), @pixels the project's pixel map (may
 * be NULL when no item needs it), @model_path the model file to include (or NULL). */
gboolean gl_export_items (const GlExportItem *items, gsize n, const char *const *class_names, guint n_classes,
                          GlPixelMap *pixels, const char *model_path, const char *target,
                          const GlExportOptions *options, GlExportProgressFunc progress, gpointer progress_data,
                          GCancellable *cancellable, GlExportProgress *summary, GError **error);

/* Safe, unique folder names for @class_names (n): printable letters, digits
 * and " -_.,+()[]" kept, anything else ("/", "\", quotes, control characters,
 * emoji, …) replaced by "_", no leading dot or space, at most 100 bytes,
 * "class-N" for an empty result, unique case-insensitively ("-2", "-3", …
 * appended). NULL-terminated; free with g_strfreev. */
char **gl_export_folder_names (const char *const *class_names, guint n);

/* Writes @len bytes to @dest safely: a temporary file next to it opened with
 * O_EXCL | O_NOFOLLOW, then renamed into place (a symlink at @dest is
 * replaced, never followed). Errors name the file. */
gboolean gl_export_write_file (const char *dest, const guint8 *data, gsize len, GError **error);

/* A safe file name from the base name of @path (same rules, extension
 * kept, at most 120 bytes). */
char *gl_export_safe_file_name (const char *path);

/* The stratified split: @classes (n) in [0, n_classes); @out (n). Within a
 * class of m items (shuffled by @seed) the first round(m × train) are train,
 * the next round(m × (train + val)) − that are val, the rest test. */
void gl_export_split (const gint *classes, gsize n, guint n_classes, const double shares[3], guint64 seed,
                      GlSplit *out);

/* Appends @s as a JSON string literal (quotes, escapes; bytes that are not
 * UTF-8 become U+FFFD). */
void gl_json_append_string (GString *out, const char *s);
/* Appends a JSON number, or null when @value is not finite. */
void gl_json_append_double (GString *out, double value);

G_END_DECLS
