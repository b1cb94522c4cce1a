/* gl-model-file.h — a trained network on disk: one versioned binary file.
 *
 * Layout (every integer little-endian; a "string" is a u32 byte count then
 * that many UTF-8 bytes, no terminator):
 *
 *   magic        8 bytes  "GLEANMDL"
 *   version      u32      GL_MODEL_FILE_VERSION
 *   flags        u32      0 (reserved)
 *   file_size    u64      size of the whole file, checksum included
 *   spec         string   gl_net_spec_to_string () of the network
 *   input        3 × u32  height, width, channels
 *   n_classes    u32
 *   class names  n_classes × string (empty strings when none were given)
 *   n_meta       u32
 *   meta         n_meta × (key string, value string), keys sorted
 *   n_tensors    u32
 *   tensors      n_tensors × (name string, count u64, count × float32)
 *   checksum     32 bytes SHA-256 of every byte before it
 *
 * Saving is atomic: the file is written to a temporary file in the same
 * folder, flushed with fsync, renamed over @path, and the folder is fsynced,
 * so a crash or a failed write leaves either the old file or the new one.
 *
 * Loading checks, in this order: size, magic, version, recorded size,
 * checksum, then every count against the bytes that are left (a corrupt count
 * is an error, never a large allocation), then that the spec builds a network
 * whose input shape, class count and tensors (names and sizes) match the file.
 * Every error names the file and what is wrong.
 */
#pragma once

#include <glib.h>

#include "engine/gl-net.h"

G_BEGIN_DECLS

#define GL_MODEL_FILE_ERROR (gl_model_file_error_quark ())
GQuark gl_model_file_error_quark (void);

typedef enum
{
  GL_MODEL_FILE_ERROR_IO,       /* cannot open, read, write, sync or rename */
  GL_MODEL_FILE_ERROR_FORMAT,   /* not a Gleaner model file (magic), or too large */
  GL_MODEL_FILE_ERROR_VERSION,  /* a format version this build does not read */
  GL_MODEL_FILE_ERROR_CORRUPT,  /* truncated, checksum mismatch, a count past the end */
  GL_MODEL_FILE_ERROR_MISMATCH, /* the spec, shape, classes or tensors do not agree */
} GlModelFileError;

#define GL_MODEL_FILE_MAGIC "GLEANMDL"
#define GL_MODEL_FILE_VERSION 1
/* Files larger than this are refused before reading. */
#define GL_MODEL_FILE_MAX_SIZE ((goffset) 1 << 31)

/* What a model file says besides its weights. */
typedef struct
{
  char **class_names;    /* NULL-terminated; NULL or one per class (on load: always one per class) */
  gint64 created;        /* Unix seconds; 0 on save = now */
  guint64 n_labels;      /* labeled samples the weights were trained on */
  GHashTable *extra;     /* char * → char *, free-form key/values; may be NULL on save */
} GlModelMeta;

/* Empties @meta (all NULL / 0). */
void gl_model_meta_init (GlModelMeta *meta);
/* Frees what @meta holds and empties it. */
void gl_model_meta_clear (GlModelMeta *meta);

/* Writes @net (its spec, input shape, class count and every tensor) and
 * @meta (may be NULL) to @path atomically. @meta->class_names, when given,
 * must have one name per class of @net. */
gboolean gl_model_file_save (GlNet *net, const GlModelMeta *meta, const char *path, GError **error);

/* Reads @path into a new network; fills @out_meta (may be NULL; clear it with
 * gl_model_meta_clear) when it succeeds. */
GlNet *gl_model_file_load (const char *path, GlModelMeta *out_meta, GError **error);

G_END_DECLS
