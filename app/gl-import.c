/* gl-import.c — see gl-import.h. */
#include "app/gl-import.h"

#include "app/gl-csv.h"
#include "app/gl-decode.h"
#include "app/gl-idx.h"
#include "app/gl-names.h"
#include "app/gl-path.h"
#include "app/gl-thumbs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

gboolean
gl_import_layout_parse (const char *text, GlImportLayout *layout)
{
  static const char *const names[] = { "auto", "plain", "imagefolder", "csv", "idx" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      {
        *layout = (GlImportLayout) i;
        return TRUE;
      }
  return FALSE;
}

void
gl_import_options_init (GlImportOptions *options)
{
  memset (options, 0, sizeof *options);
  options->layout = GL_IMPORT_LAYOUT_AUTO;
  options->labels_as = GL_LABELS_AS_HUMAN;
}

/* ---- Work items ------------------------------------------------------ */

typedef struct
{
  char *path;    /* file name bytes (not necessarily UTF-8); NULL for IDX items */
  char *label;   /* UTF-8 class name or NULL */
  char *reason;  /* known bad before decoding (e.g. class folder not UTF-8), or NULL */
  GlIdx *idx;    /* borrowed from the run's list of IDX files; NULL for files */
  char *idx_name; /* borrowed: UTF-8 absolute name of the IDX file */
  guint32 index; /* item of @idx */
} Item;

static void
item_clear (Item *item)
{
  g_free (item->path);
  g_free (item->label);
  g_free (item->reason);
}

typedef struct
{
  GArray *items;      /* of Item */
  GPtrArray *idxs;    /* of GlIdx, owned */
  GPtrArray *strings; /* owned strings items borrow */
  guint64 skipped;
  guint64 extra_columns;  /* CSV rows with fields after the label */
  const char *const *class_names; /* borrowed: the project's classes, or NULL */
  gboolean new_classes;   /* GlImportOptions.new_classes */
} Listing;

static void
listing_clear (Listing *l)
{
  for (guint i = 0; l->items && i < l->items->len; i++)
    item_clear (&g_array_index (l->items, Item, i));
  g_clear_pointer (&l->items, g_array_unref);
  g_clear_pointer (&l->idxs, g_ptr_array_unref);
  g_clear_pointer (&l->strings, g_ptr_array_unref);
}

/* The lower-case extensions the installed GdkPixbuf loaders claim; built
 * once (the loaders do not change while the process runs). */
static GHashTable *
image_extensions (void)
{
  static gsize once = 0;
  static GHashTable *exts;
  if (g_once_init_enter (&once))
    {
      GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      GSList *formats = gdk_pixbuf_get_formats ();
      for (GSList *f = formats; f != NULL; f = f->next)
        {
          if (gdk_pixbuf_format_is_disabled (f->data))
            continue;
          g_auto (GStrv) list = gdk_pixbuf_format_get_extensions (f->data);
          for (guint i = 0; list && list[i]; i++)
            g_hash_table_add (table, g_ascii_strdown (list[i], -1));
        }
      g_slist_free (formats);
      exts = table;
      g_once_init_leave (&once, 1);
    }
  return exts;
}

gboolean
gl_import_is_image_name (const char *name)
{
  const char *dot = strrchr (name, '.');
  if (dot == NULL)
    return FALSE;
  g_autofree char *ext = g_ascii_strdown (dot + 1, -1);
  return g_hash_table_contains (image_extensions (), ext);
}

char *
gl_import_stored_path (const char *filename)
{
  g_autofree char *abs = g_canonicalize_filename (filename, NULL);
  return gl_path_encode (abs); /* the exact name, also when it is not UTF-8 */
}

static void
add_file (Listing *l, const char *path, const char *label, const char *reason)
{
  Item item = { g_strdup (path), g_strdup (label), g_strdup (reason), NULL, NULL, 0 };
  g_array_append_val (l->items, item);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted entry names of @dir (hidden ones left out), or NULL with @error. */
static GPtrArray *
list_dir (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  return names;
}

static gboolean
is_idx_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  return strstr (base, "-idx") != NULL || g_str_has_suffix (base, ".idx") || strstr (base, ".idx") != NULL;
}

/* The reason recorded for an IDX file met while walking a folder. */
static const char idx_in_folder[] = "an IDX file inside a folder is not unpacked: import it by its own path "
                                    "(with --idx-labels for its labels file)";

/* Walks @dir recursively (symlinked folders are not followed, to avoid loops). */
static void
walk (Listing *l, const char *dir, const char *label, const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = list_dir (dir, &error);
  if (names == NULL)
    {
      /* An unreadable sub-folder is recorded like an unreadable file. */
      g_autofree char *why = g_strdup_printf ("unreadable folder: %s", error->message);
      add_file (l, dir, label, why);
      return;
    }
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (dir, names->pdata[i], NULL);
      struct stat st;
      if (lstat (child, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        walk (l, child, label, reason);
      else if (gl_import_is_image_name (names->pdata[i]))
        add_file (l, child, label, reason);
      else if (is_idx_name (names->pdata[i]))
        add_file (l, child, label, idx_in_folder);
      else
        l->skipped++;
    }
}

/* Records a source that cannot be listed (a bad container: CSV, IDX, a
 * folder) as one unreadable item with the reason, so that the other sources
 * are still imported. */
static void
add_bad_source (Listing *l, const char *path, const GError *error)
{
  add_file (l, path, NULL, error->message);
}

/* The labels of @records that are not classes of the project, as an error
 * naming each with its first line and the nearest class; TRUE when there is
 * none (or the project has no classes yet, or new classes are allowed). */
static gboolean
check_csv_labels (Listing *l, const char *csv_path, GArray *labels, GArray *lines, GError **error)
{
  if (l->new_classes || l->class_names == NULL || l->class_names[0] == NULL)
    return TRUE;
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; l->class_names[i]; i++)
    g_hash_table_add (known, (gpointer) l->class_names[i]);
  g_autoptr (GHashTable) told = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) msg = g_string_new (NULL);
  guint n_unknown = 0;
  for (guint i = 0; i < labels->len; i++)
    {
      const char *label = g_array_index (labels, const char *, i);
      if (g_hash_table_contains (known, label) || g_hash_table_contains (told, label))
        continue;
      g_hash_table_add (told, (gpointer) label);
      if (++n_unknown > 10)
        continue;
      const char *near = gl_names_nearest (label, l->class_names);
      g_string_append_printf (msg, "%s“%s” (line %u%s%s%s)", n_unknown > 1 ? ", " : "", label,
                              g_array_index (lines, guint, i), near ? "; did you mean “" : "", near ? near : "",
                              near ? "”?" : "");
    }
  if (n_unknown == 0)
    return TRUE;
  if (n_unknown > 10)
    g_string_append_printf (msg, " and %u more", n_unknown - 10);
  g_autofree char *disp = g_filename_display_name (csv_path);
  g_autofree char *classes = gl_names_hint ("classes", "", l->class_names);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s: %u label%s that %s not a class of the project: %s. Classes %s. Fix the manifest, add the "
               "classes first, or import with --new-classes to create them; nothing was imported",
               disp, n_unknown, n_unknown == 1 ? "" : "s", n_unknown == 1 ? "is" : "are", msg->str, classes);
  return FALSE;
}

/* Lists the rows of a CSV manifest; FALSE with @error (nothing listed) when
 * a label is not a class (check_csv_labels). A manifest that cannot be read
 * is recorded as a bad source. */
static gboolean
list_csv (Listing *l, const char *csv_path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (csv_path, &text, &len, &local))
    {
      add_bad_source (l, csv_path, local);
      return TRUE;
    }
  g_autofree char *abs = g_canonicalize_filename (csv_path, NULL);
  g_autoptr (GArray) records = gl_csv_parse (text, len);
  g_autofree char *base = g_path_get_dirname (csv_path);
  g_autoptr (GArray) rows = g_array_new (FALSE, FALSE, sizeof (Item)); /* listed once the labels are checked */
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (const char *));
  g_autoptr (GArray) lines = g_array_new (FALSE, FALSE, sizeof (guint));
  guint64 extra = 0;
  for (guint r = 0; r < records->len; r++)
    {
      const GlCsvRecord *rec = &g_array_index (records, GlCsvRecord, r);
      const char *path = rec->fields ? rec->fields->pdata[0] : "";
      const char *label = rec->fields && rec->fields->len > 1 ? rec->fields->pdata[1] : NULL;
      if (rec->bad == NULL && path[0] == '\0' && rec->fields->len == 1)
        continue; /* blank line */
      if (r == 0 && g_ascii_strcasecmp (path, "path") == 0)
        continue; /* header */
      const char *bad = rec->bad;
      if (bad == NULL && path[0] == '\0')
        bad = "no path";
      if (bad != NULL)
        {
          /* A malformed line is recorded as MANIFEST:LINE with the reason. */
          Item item = { g_strdup_printf ("%s:%u", abs, rec->line), NULL,
                        g_strdup_printf ("malformed CSV line: %s", bad), NULL, NULL, 0 };
          g_array_append_val (rows, item);
          continue;
        }
      if (rec->fields->len > 2)
        extra++;
      if (label != NULL && label[0] == '\0')
        label = NULL;
      const char *reason = NULL;
      if (label != NULL && !g_utf8_validate (label, -1, NULL))
        {
          reason = "label is not valid UTF-8";
          label = NULL;
        }
      else if (label != NULL && g_utf8_strlen (label, -1) > 1000)
        {
          reason = "label longer than 1,000 characters";
          label = NULL;
        }
      if (label != NULL)
        {
          g_array_append_val (labels, label);
          g_array_append_val (lines, rec->line);
        }
      Item item = { g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (base, path, NULL),
                    g_strdup (label), g_strdup (reason), NULL, NULL, 0 };
      g_array_append_val (rows, item);
    }
  if (!check_csv_labels (l, csv_path, labels, lines, error))
    {
      for (guint i = 0; i < rows->len; i++)
        item_clear (&g_array_index (rows, Item, i));
      return FALSE;
    }
  g_array_append_vals (l->items, rows->data, rows->len);
  l->extra_columns += extra;
  return TRUE;
}

/* Folder → class name and the split and other folders of an ImageFolder
 * (see GL_IMAGEFOLDER_MANIFEST). */
typedef struct
{
  gboolean manifest;    /* read from GL_IMAGEFOLDER_MANIFEST */
  GHashTable *classes;  /* folder → class name */
  GHashTable *splits;   /* folder names of the split level */
  GHashTable *others;   /* folders without images */
} FolderMap;

static void
folder_map_clear (FolderMap *m)
{
  g_clear_pointer (&m->classes, g_hash_table_unref);
  g_clear_pointer (&m->splits, g_hash_table_unref);
  g_clear_pointer (&m->others, g_hash_table_unref);
}

static void
folder_map_init (FolderMap *m, const char *dir, GPtrArray *names)
{
  m->classes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->splits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->others = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *path = g_build_filename (dir, GL_IMAGEFOLDER_MANIFEST, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  m->manifest = g_file_get_contents (path, &text, &len, NULL);
  if (m->manifest)
    {
      gl_csv_parse_imagefolder_manifest (text, len, m->classes, m->splits, m->others);
      return;
    }
  /* No manifest: a top level of only train/val/test folders is a split level. */
  static const char *const split_names[] = { "train", "val", "test" };
  guint n_dirs = 0, n_splits = 0;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (dir, names->pdata[i], NULL);
      if (!g_file_test (child, G_FILE_TEST_IS_DIR))
        continue;
      n_dirs++;
      for (guint s = 0; s < G_N_ELEMENTS (split_names); s++)
        n_splits += strcmp (names->pdata[i], split_names[s]) == 0;
    }
  if (n_dirs > 0 && n_splits == n_dirs)
    for (guint s = 0; s < G_N_ELEMENTS (split_names); s++)
      g_hash_table_add (m->splits, g_strdup (split_names[s]));
}

/* One level of class folders: @names of @dir. Files here have no class. */
static void
list_class_folders (Listing *l, const char *dir, GPtrArray *names, const FolderMap *m, gboolean top)
{
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *child = g_build_filename (dir, name, NULL);
      struct stat st;
      if (lstat (child, &st) != 0)
        continue;
      if (!S_ISDIR (st.st_mode))
        {
          if (top && m->manifest && strcmp (name, GL_IMAGEFOLDER_MANIFEST) == 0)
            continue;
          if (gl_import_is_image_name (name))
            add_file (l, child, NULL, NULL);
          else if (is_idx_name (name))
            add_file (l, child, NULL, idx_in_folder);
          else
            l->skipped++;
          continue;
        }
      if (top && g_hash_table_contains (m->splits, name))
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GPtrArray) sub = list_dir (child, &error);
          if (sub != NULL)
            list_class_folders (l, child, sub, m, FALSE);
          else
            add_bad_source (l, child, error);
          continue;
        }
      if (top && g_hash_table_contains (m->others, name))
        continue;
      const char *class_name = g_hash_table_lookup (m->classes, name);
      if (class_name != NULL)
        walk (l, child, class_name, NULL);
      else if (g_utf8_validate (name, -1, NULL))
        walk (l, child, name, NULL);
      else
        walk (l, child, NULL, "class folder name is not valid UTF-8");
    }
}

static gboolean
list_imagefolder (Listing *l, const char *dir, GError **error)
{
  g_autoptr (GPtrArray) names = list_dir (dir, error);
  if (names == NULL)
    return FALSE;
  FolderMap m = { 0 };
  folder_map_init (&m, dir, names);
  list_class_folders (l, dir, names, &m, TRUE);
  folder_map_clear (&m);
  return TRUE;
}

static gboolean
list_idx (Listing *l, const char *path, const char *labels_path, const char *const *class_names,
          GError **error)
{
  guint rows, cols, ch;
  g_autoptr (GlIdx) idx = gl_idx_read_images (path, &rows, &cols, &ch, error);
  if (idx == NULL)
    return FALSE;
  g_autoptr (GlIdx) labels = NULL;
  if (labels_path != NULL)
    {
      labels = gl_idx_read_labels (labels_path, error);
      if (labels == NULL)
        return FALSE;
      if (labels->dims[0] != idx->dims[0])
        {
          g_autofree char *d1 = g_filename_display_name (path);
          g_autofree char *d2 = g_filename_display_name (labels_path);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s holds %u labels but %s holds %u images",
                       d2, labels->dims[0], d1, idx->dims[0]);
          return FALSE;
        }
    }
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  char *name = g_filename_display_name (abs);
  g_ptr_array_add (l->strings, name);
  GlIdx *kept = g_steal_pointer (&idx);
  g_ptr_array_add (l->idxs, kept);
  guint n_classes = class_names ? g_strv_length ((char **) class_names) : 0;
  for (guint32 i = 0; i < kept->dims[0]; i++)
    {
      Item item = { NULL, NULL, NULL, kept, name, i };
      if (labels != NULL)
        {
          guint k = labels->data[i];
          item.label = k < n_classes ? g_strdup (class_names[k]) : g_strdup_printf ("%u", k);
        }
      g_array_append_val (l->items, item);
    }
  return TRUE;
}

static gboolean
folder_is_imagefolder (Listing *l, const char *dir)
{
  g_autoptr (GPtrArray) names = list_dir (dir, NULL);
  if (names == NULL || names->len == 0)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (dir, names->pdata[i], NULL);
      if (!g_file_test (child, G_FILE_TEST_IS_DIR) && gl_import_is_image_name (names->pdata[i]))
        return FALSE;
    }
  return TRUE;
}

static gboolean
list_sources (Listing *l, const char *const *paths, const GlImportOptions *o, const GlImportTarget *t,
              GError **error)
{
  for (guint p = 0; paths[p] != NULL; p++)
    {
      const char *path = paths[p];
      gboolean is_dir = g_file_test (path, G_FILE_TEST_IS_DIR);
      if (!is_dir && !g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *disp = g_filename_display_name (path);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such file or folder", disp);
          return FALSE;
        }
      GlImportLayout layout = o->layout;
      if (layout == GL_IMPORT_LAYOUT_AUTO)
        {
          if (is_dir)
            layout = folder_is_imagefolder (l, path) ? GL_IMPORT_LAYOUT_IMAGEFOLDER : GL_IMPORT_LAYOUT_PLAIN;
          else if (g_str_has_suffix (path, ".csv") || g_str_has_suffix (path, ".CSV"))
            layout = GL_IMPORT_LAYOUT_CSV;
          else if (is_idx_name (path))
            layout = GL_IMPORT_LAYOUT_IDX;
          else
            layout = GL_IMPORT_LAYOUT_PLAIN;
        }
      gboolean ok = TRUE;
      g_autoptr (GError) bad = NULL; /* a bad container does not stop the import */
      switch (layout)
        {
        case GL_IMPORT_LAYOUT_AUTO:
        case GL_IMPORT_LAYOUT_PLAIN:
          if (is_dir)
            walk (l, path, NULL, NULL);
          else
            add_file (l, path, NULL, NULL);
          break;
        case GL_IMPORT_LAYOUT_IMAGEFOLDER:
          ok = list_imagefolder (l, path, &bad);
          break;
        case GL_IMPORT_LAYOUT_CSV:
          if (!list_csv (l, path, error))
            return FALSE;
          break;
        case GL_IMPORT_LAYOUT_IDX:
          ok = list_idx (l, path, o->idx_labels, t->class_names, &bad);
          break;
        }
      if (!ok)
        add_bad_source (l, path, bad);
    }
  return TRUE;
}

/* ---- Decoding (worker threads) --------------------------------------- */

typedef struct
{
  guint64 size;
  gboolean ok;
  char hash[65];
  char *reason; /* owned, when !ok */
} Result;

typedef struct
{
  guint seq;
  guint first, n;   /* items [first, first + n) */
  Result *results;  /* (n) */
  guint8 *pixels;   /* (n, h, w, c) */
} Chunk;

typedef struct
{
  const GlImportTarget *target;
  const GlImportOptions *options;
  Item *items; /* (total) */
  GAsyncQueue *done; /* of Chunk */
  GCancellable *cancellable;
} Context;

static void
chunk_free (Chunk *chunk)
{
  for (guint i = 0; i < chunk->n; i++)
    g_free (chunk->results[i].reason);
  g_free (chunk->results);
  g_free (chunk->pixels);
  g_free (chunk);
}

static void
hash_bytes (const guint8 *data, gsize len, char out[65])
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, data, len);
  memcpy (out, g_checksum_get_string (sum), 65);
}

static void
decode_idx_item (const Context *ctx, const Item *item, Result *res, guint8 *out)
{
  const GlImportTarget *t = ctx->target;
  const GlIdx *idx = item->idx;
  const guint8 *src = idx->data + (gsize) item->index * idx->item_size; /* (rows, cols[, ch]) */
  guint rows = idx->dims[1], cols = idx->dims[2], ch = idx->ndims == 4 ? idx->dims[3] : 1;
  res->size = idx->item_size;
  hash_bytes (src, idx->item_size, res->hash);
  res->ok = TRUE;
  if (rows == t->h && cols == t->w && ch == t->c)
    {
      memcpy (out, src, idx->item_size);
      return;
    }
  /* Another shape: through a pixbuf and the common resize rule. */
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) cols, (int) rows);
  guint8 *dst = gdk_pixbuf_get_pixels (pb); /* (rows, rowstride) */
  int rs = gdk_pixbuf_get_rowstride (pb);
  for (guint y = 0; y < rows; y++)
    for (guint x = 0; x < cols; x++)
      {
        const guint8 *p = src + ((gsize) y * cols + x) * ch;
        guint8 *d = dst + (gsize) y * rs + x * 3;
        d[0] = p[0];
        d[1] = ch == 3 ? p[1] : p[0];
        d[2] = ch == 3 ? p[2] : p[0];
      }
  gl_decode_to_input (pb, t->h, t->w, t->c, out);
}

static void
decode_file_item (const Context *ctx, const Item *item, Result *res, guint8 *out)
{
  const GlImportTarget *t = ctx->target;
  if (item->reason != NULL)
    {
      res->reason = g_strdup (item->reason);
      return;
    }
  g_autofree guint8 *data = NULL; /* (len) */
  gsize len = 0;
  if (!gl_decode_read_file (item->path, &data, &len, &res->reason))
    return;
  res->size = len;
  hash_bytes (data, len, res->hash);
  guint want = MAX (t->h, t->w);
  if (ctx->options->thumbnails && t->thumbs != NULL)
    want = MAX (want, GL_THUMB_SIZE);
  g_autoptr (GdkPixbuf) pb = gl_decode_bytes (data, len, want, &res->reason);
  if (pb == NULL)
    return;
  gl_decode_to_input (pb, t->h, t->w, t->c, out);
  res->ok = TRUE;
  if (ctx->options->thumbnails && t->thumbs != NULL)
    gl_thumb_pack_add (t->thumbs, res->hash, pb, NULL); /* a missing thumbnail is remade on demand */
}

static void
decode_chunk (gpointer data, gpointer user_data)
{
  Chunk *chunk = data;
  Context *ctx = user_data;
  gsize row = (gsize) ctx->target->h * ctx->target->w * ctx->target->c;
  for (guint i = 0; i < chunk->n; i++)
    {
      if (g_cancellable_is_cancelled (ctx->cancellable))
        {
          chunk->results[i].reason = g_strdup ("cancelled");
          continue;
        }
      const Item *item = &ctx->items[chunk->first + i];
      if (item->idx != NULL)
        decode_idx_item (ctx, item, &chunk->results[i], chunk->pixels + i * row);
      else
        decode_file_item (ctx, item, &chunk->results[i], chunk->pixels + i * row);
    }
  g_async_queue_push (ctx->done, chunk);
}

/* ---- The writer ------------------------------------------------------ */

typedef struct
{
  const GlImportTarget *target;
  const GlImportOptions *options;
  gint64 batch_id;
  GlLabelsAs labels_as;
  GArray *records;    /* of GlImportRecord, strings in @strings */
  GPtrArray *strings; /* owned by this batch */
  GByteArray *pixels; /* (readable records, h, w, c) */
  GHashTable *seen;   /* hashes met in this import */
} Batch;

static gboolean
flush (Batch *b, GlImportProgress *prog, GError **error)
{
  if (b->records->len == 0)
    return TRUE;
  const GlImportTarget *t = b->target;
  gsize row = (gsize) t->h * t->w * t->c;
  guint n_rows = (guint) (b->pixels->len / row);
  if (n_rows > 0)
    {
      guint64 first = 0;
      if (!gl_pixel_cache_append (t->cache, b->pixels->data, n_rows, &first, error)
          || !gl_pixel_cache_sync (t->cache, error))
        return FALSE;
      for (guint i = 0; i < b->records->len; i++)
        {
          GlImportRecord *r = &g_array_index (b->records, GlImportRecord, i);
          if (r->cache_row >= 0)
            r->cache_row += (gint64) first;
        }
    }
  if (!t->sink->add_records (t->sink_data, b->batch_id, (const GlImportRecord *) (void *) b->records->data,
                             b->records->len, b->labels_as, error))
    return FALSE;
  for (guint i = 0; i < b->records->len; i++)
    {
      GlImportRecord *r = &g_array_index (b->records, GlImportRecord, i);
      if (r->reason != NULL && b->options->reject_func != NULL)
        b->options->reject_func (r->path, r->reason, b->options->reject_data);
      if (r->reason != NULL)
        prog->unreadable++;
      else
        {
          prog->added++;
          if (r->label != NULL)
            prog->labeled++;
        }
    }
  prog->done += b->records->len;
  g_array_set_size (b->records, 0);
  g_ptr_array_set_size (b->strings, 0);
  g_byte_array_set_size (b->pixels, 0);
  return TRUE;
}

static const char *
keep (Batch *b, char *s)
{
  g_ptr_array_add (b->strings, s);
  return s;
}

/* Turns the results of @chunk into records, committing every batch_size. */
static gboolean
take_chunk (Batch *b, const Context *ctx, Chunk *chunk, guint batch_size, GlImportProgress *prog, GError **error)
{
  const GlImportTarget *t = b->target;
  gsize row = (gsize) t->h * t->w * t->c;
  for (guint i = 0; i < chunk->n; i++)
    {
      const Item *item = &ctx->items[chunk->first + i];
      Result *res = &chunk->results[i];
      GlImportRecord rec = { NULL, NULL, res->size, -1, NULL, NULL };
      if (item->idx != NULL)
        rec.path = keep (b, g_strdup_printf ("%s#%u", item->idx_name, item->index));
      else
        {
          rec.path = keep (b, gl_import_stored_path (item->path));
        }
      if (!res->ok)
        {
          rec.reason = keep (b, g_strdup (res->reason ? res->reason : "unreadable"));
          rec.label = item->label ? keep (b, g_strdup (item->label)) : NULL;
          g_array_append_val (b->records, rec);
          if (b->records->len >= batch_size && !flush (b, prog, error))
            return FALSE;
          continue;
        }
      if (g_hash_table_contains (b->seen, res->hash)
          || (t->sink->has_hash != NULL && t->sink->has_hash (t->sink_data, res->hash)))
        {
          prog->duplicates++;
          prog->done++;
          if (ctx->options->duplicate_func != NULL)
            ctx->options->duplicate_func (rec.path, ctx->options->duplicate_data);
          continue;
        }
      g_hash_table_add (b->seen, g_strdup (res->hash));
      rec.hash_hex = keep (b, g_strdup (res->hash));
      rec.label = item->label ? keep (b, g_strdup (item->label)) : NULL;
      rec.cache_row = (gint64) (b->pixels->len / row); /* relative; made absolute in flush */
      g_byte_array_append (b->pixels, chunk->pixels + (gsize) i * row, (guint) row);
      g_array_append_val (b->records, rec);
      if (b->records->len >= batch_size && !flush (b, prog, error))
        return FALSE;
    }
  return TRUE;
}

static void
update_rate (GlImportProgress *prog, gint64 start_us)
{
  prog->elapsed_s = (g_get_monotonic_time () - start_us) / 1e6;
  prog->images_per_s = prog->elapsed_s > 0 ? prog->done / prog->elapsed_s : 0;
}

gboolean
gl_import_run (const GlImportTarget *target, const char *const *paths, const GlImportOptions *options,
               GlImportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
               GlImportProgress *summary, GError **error)
{
  GlImportOptions defaults;
  if (options == NULL)
    {
      gl_import_options_init (&defaults);
      options = &defaults;
    }
  gint64 start_us = g_get_monotonic_time ();
  GlImportProgress prog = { 0 };
  prog.batch_id = -1;
  if (summary)
    *summary = prog;

  Listing l = { 0 };
  l.items = g_array_new (FALSE, FALSE, sizeof (Item));
  l.idxs = g_ptr_array_new_with_free_func ((GDestroyNotify) gl_idx_free);
  l.strings = g_ptr_array_new_with_free_func (g_free);
  l.class_names = target->class_names;
  l.new_classes = options->new_classes;
  if (!list_sources (&l, paths, options, target, error))
    {
      listing_clear (&l);
      return FALSE;
    }
  prog.total = l.items->len;
  prog.skipped = l.skipped;
  prog.extra_columns = l.extra_columns;

  g_autoptr (GString) source = g_string_new (options->source);
  for (guint p = 0; options->source == NULL && paths[p] != NULL; p++)
    {
      g_autofree char *disp = g_filename_display_name (paths[p]);
      g_string_append_printf (source, "%s%s", p ? " " : "", disp);
    }
  gint64 batch_id = target->sink->begin_batch (target->sink_data, source->str, options, error);
  if (batch_id < 0)
    {
      listing_clear (&l);
      return FALSE;
    }
  prog.batch_id = batch_id;

  guint n_threads = options->n_threads ? options->n_threads : MAX (1u, g_get_num_processors ());
  guint batch_size = options->batch_size ? options->batch_size : 1000;
  const guint chunk_items = 32;
  guint n_chunks = (guint) ((l.items->len + chunk_items - 1) / chunk_items);
  gsize row = (gsize) target->h * target->w * target->c;

  Context ctx = { target, options, (Item *) (void *) l.items->data, g_async_queue_new (), cancellable };
  GThreadPool *pool = g_thread_pool_new (decode_chunk, &ctx, (int) n_threads, FALSE, NULL);
  Batch b = { target, options, batch_id, options->labels_as, g_array_new (FALSE, FALSE, sizeof (GlImportRecord)),
              g_ptr_array_new_with_free_func (g_free), g_byte_array_new (),
              g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  GHashTable *pending = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) chunk_free);

  guint next_submit = 0, next_take = 0, in_flight = 0, max_in_flight = 4 * n_threads;
  gboolean ok = TRUE, stop = FALSE;
  gint64 last_report = 0;
  while (ok)
    {
      while (!stop && in_flight < max_in_flight && next_submit < n_chunks)
        {
          Chunk *chunk = g_new0 (Chunk, 1);
          chunk->seq = next_submit;
          chunk->first = next_submit * chunk_items;
          chunk->n = MIN (chunk_items, l.items->len - chunk->first);
          chunk->results = g_new0 (Result, chunk->n);
          chunk->pixels = g_malloc ((gsize) chunk->n * row);
          g_thread_pool_push (pool, chunk, NULL);
          next_submit++;
          in_flight++;
        }
      if (in_flight == 0)
        break;
      Chunk *chunk = g_async_queue_pop (ctx.done);
      in_flight--;
      g_hash_table_insert (pending, GUINT_TO_POINTER (chunk->seq), chunk);
      if (stop)
        continue; /* drain only */
      Chunk *next;
      while ((next = g_hash_table_lookup (pending, GUINT_TO_POINTER (next_take))) != NULL)
        {
          if (g_cancellable_is_cancelled (cancellable))
            {
              stop = TRUE;
              break;
            }
          gboolean taken = take_chunk (&b, &ctx, next, batch_size, &prog, error);
          g_hash_table_remove (pending, GUINT_TO_POINTER (next_take));
          next_take++;
          if (!taken)
            {
              ok = FALSE;
              stop = TRUE;
              break;
            }
        }
      gint64 now = g_get_monotonic_time ();
      if (progress != NULL && now - last_report > 100000)
        {
          last_report = now;
          update_rate (&prog, start_us);
          progress (&prog, progress_data);
        }
    }
  /* Wait for chunks still in the pool after a stop. */
  while (in_flight > 0)
    {
      chunk_free (g_async_queue_pop (ctx.done));
      in_flight--;
    }
  g_thread_pool_free (pool, FALSE, TRUE);

  /* What was decoded before a cancellation is kept too. */
  if (ok && !flush (&b, &prog, error))
    ok = FALSE;
  update_rate (&prog, start_us);
  if (progress != NULL)
    progress (&prog, progress_data);
  if (ok && g_cancellable_is_cancelled (cancellable) && prog.done < prog.total)
    ok = !g_cancellable_set_error_if_cancelled (cancellable, error);
  if (target->sink->end_batch != NULL)
    target->sink->end_batch (target->sink_data, batch_id);

  g_hash_table_unref (pending);
  g_array_unref (b.records);
  g_ptr_array_unref (b.strings);
  g_byte_array_unref (b.pixels);
  g_hash_table_unref (b.seen);
  g_async_queue_unref (ctx.done);
  listing_clear (&l);
  if (summary)
    *summary = prog;
  return ok;
}

/* ---- Async wrapper --------------------------------------------------- */

typedef struct
{
  GlImportTarget target;
  char **paths;
  GlImportOptions options;
  char *idx_labels;
  char *source;
  GlImportProgressFunc progress;
  gpointer progress_data;
  GMainContext *context; /* the caller's */
  GMutex lock;
  GlImportProgress latest; /* under @lock */
  gboolean report_queued;  /* under @lock */
  GlImportProgress summary;
  int refs; /* atomic: the task and a queued report */
} AsyncData;

static void
async_data_unref (AsyncData *d)
{
  if (!g_atomic_int_dec_and_test (&d->refs))
    return;
  g_strfreev (d->paths);
  g_free (d->idx_labels);
  g_free (d->source);
  g_main_context_unref (d->context);
  g_mutex_clear (&d->lock);
  g_free (d);
}

static gboolean
deliver_progress_cb (gpointer user_data)
{
  AsyncData *d = user_data;
  g_mutex_lock (&d->lock);
  GlImportProgress p = d->latest;
  d->report_queued = FALSE;
  g_mutex_unlock (&d->lock);
  d->progress (&p, d->progress_data);
  return G_SOURCE_REMOVE;
}

/* Runs on the import thread: keep the newest figures, queue at most one
 * report on the caller's context. */
static void
coalesce_progress (const GlImportProgress *p, gpointer user_data)
{
  AsyncData *d = user_data;
  g_mutex_lock (&d->lock);
  d->latest = *p;
  gboolean queue = !d->report_queued;
  d->report_queued = TRUE;
  g_mutex_unlock (&d->lock);
  if (queue)
    {
      g_atomic_int_inc (&d->refs);
      g_autoptr (GSource) source = g_idle_source_new ();
      /* The task's completion is dispatched at G_PRIORITY_DEFAULT: at the same
       * priority, the last report (attached earlier) runs before it. */
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, deliver_progress_cb, d, (GDestroyNotify) async_data_unref);
      g_source_attach (source, d->context);
    }
}

static void
import_thread (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  AsyncData *d = task_data;
  GError *error = NULL;
  gboolean ok = gl_import_run (&d->target, (const char *const *) d->paths, &d->options,
                               d->progress ? coalesce_progress : NULL, d, cancellable, &d->summary, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
gl_import_run_async (const GlImportTarget *target, const char *const *paths, const GlImportOptions *options,
                     GlImportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  AsyncData *d = g_new0 (AsyncData, 1);
  d->refs = 1;
  d->target = *target;
  d->paths = g_strdupv ((char **) paths);
  if (options)
    d->options = *options;
  else
    gl_import_options_init (&d->options);
  d->idx_labels = g_strdup (d->options.idx_labels);
  d->options.idx_labels = d->idx_labels;
  d->source = g_strdup (d->options.source);
  d->options.source = d->source;
  d->progress = progress;
  d->progress_data = progress_data;
  d->context = g_main_context_ref_thread_default ();
  g_mutex_init (&d->lock);
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, gl_import_run_async);
  g_task_set_task_data (task, d, (GDestroyNotify) async_data_unref);
  g_task_run_in_thread (task, import_thread);
}

gboolean
gl_import_run_finish (GAsyncResult *result, GlImportProgress *summary, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  AsyncData *d = g_task_get_task_data (G_TASK (result));
  if (summary)
    *summary = d->summary;
  return g_task_propagate_boolean (G_TASK (result), error);
}
