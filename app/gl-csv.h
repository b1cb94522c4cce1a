/* gl-csv.h — reading the CSV files an import meets: manifests of
 * `path,label` and the `gleaner-imagefolder.csv` an ImageFolder export
 * writes (see GL_IMAGEFOLDER_MANIFEST in gl-import.h). Both read from memory,
 * so that a fuzzer can drive them (tests/fuzz/). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One record of a CSV file. */
typedef struct
{
  GPtrArray *fields; /* of char *; NULL when malformed */
  guint line;        /* where it starts, from 1 */
  const char *bad;   /* why it is malformed (static), or NULL */
} GlCsvRecord;

/* RFC 4180 records of @text (@len bytes, any bytes, NUL included).
 * Elements: GlCsvRecord; g_array_unref frees everything. */
GArray *gl_csv_parse (const char *text, gsize len);

/* Reads the rows `kind,folder,name` of an ImageFolder manifest into
 * @classes (folder → class name: kind "class", name valid UTF-8), @splits and
 * @others (folder names of kind "split" and "other"). Folders that are empty
 * or hold a '/' are left out. The tables own their keys and values (g_free). */
void gl_csv_parse_imagefolder_manifest (const char *text, gsize len, GHashTable *classes, GHashTable *splits,
                                        GHashTable *others);

G_END_DECLS
