/* gl-export.c — see gl-export.h.
 *
 * Every file is first written (or linked) under a temporary name in its
 * folder, opened with O_EXCL | O_NOFOLLOW, then renamed into place: a rename
 * replaces a symlink that a forced target may hold instead of following it,
 * so nothing is ever written outside the target. Folders are created one
 * level at a time and checked to be real folders (lstat), for the same reason.
 */
#include "app/gl-export.h"

#include "app/gl-export-team.h"
#include "app/gl-path.h"
#include "db/gl-db.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (gl-export-error-quark, gl_export_error)

#define FOLDER_NAME_MAX 100
#define FILE_NAME_MAX 120

static const char *const split_names[] = { "train", "val", "test" };

const char *
gl_split_to_string (GlSplit split)
{
  return split <= GL_SPLIT_TEST ? split_names[split] : "?";
}

gboolean
gl_export_format_from_string (const char *text, GlExportFormat *format, GError **error)
{
  static const char *const names[] = { "imagefolder", "csv", "json" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (text != NULL && g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *format = (GlExportFormat) i;
        return TRUE;
      }
  g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID,
               "unknown export format “%s” (imagefolder, csv or json)", text ? text : "");
  return FALSE;
}

gboolean
gl_export_labels_from_string (const char *text, GlExportLabels *labels, GError **error)
{
  if (g_strcmp0 (text, "consensus") == 0)
    *labels = GL_EXPORT_LABELS_CONSENSUS;
  else if (g_strcmp0 (text, "newest") == 0)
    *labels = GL_EXPORT_LABELS_NEWEST;
  else
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID,
                   "no label choice named “%s”: use consensus (the annotators' consensus) or newest (the newest "
                   "label, whoever gave it)", text);
      return FALSE;
    }
  return TRUE;
}

gboolean
gl_export_link_from_string (const char *text, GlExportLink *link, GError **error)
{
  static const char *const names[] = { "copy", "hardlink", "symlink" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (text != NULL && g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *link = (GlExportLink) i;
        return TRUE;
      }
  g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID,
               "unknown link mode “%s” (copy, hardlink or symlink)", text ? text : "");
  return FALSE;
}

gboolean
gl_export_parse_split (const char *text, double shares[3], GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  double v[3], sum = 0;
  gboolean ok = g_strv_length (parts) == 3;
  for (guint i = 0; ok && i < 3; i++)
    {
      char *end = NULL;
      g_strstrip (parts[i]);
      v[i] = g_ascii_strtod (parts[i], &end);
      ok = parts[i][0] != '\0' && end != NULL && *end == '\0' && isfinite (v[i]) && v[i] >= 0;
      sum += ok ? v[i] : 0;
    }
  if (!ok || !(sum > 0))
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID,
                   "bad split “%s”: three non-negative shares TRAIN,VAL,TEST such as 0.8,0.1,0.1", text ? text : "");
      return FALSE;
    }
  /* Fractions that add up to 1 or percentages that add up to 100, give or
   * take rounding (0.33,0.33,0.33); anything else is a mistake, not a ratio
   * to rescale silently. */
  if (fabs (sum - 1) > 0.011 && fabs (sum - 100) > 1.1)
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID,
                   "bad split “%s”: the shares add up to %g, not 1 (or 100 for percentages)", text, sum);
      return FALSE;
    }
  for (guint i = 0; i < 3; i++)
    shares[i] = v[i] / sum;
  return TRUE;
}

void
gl_export_options_init (GlExportOptions *o)
{
  memset (o, 0, sizeof *o);
  o->format = GL_EXPORT_IMAGEFOLDER;
  o->link = GL_EXPORT_LINK_COPY;
  o->shares[0] = 0.8;
  o->shares[1] = 0.1;
  o->shares[2] = 0.1;
}

/* ---- JSON ---- */

void
gl_json_append_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  const char *p = s ? s : "";
  const char *end = p + strlen (p);
  while (p < end)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);
      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append (out, "\\ufffd");
          p++;
          continue;
        }
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_unichar (out, c);
        }
      p = g_utf8_next_char (p);
    }
  g_string_append_c (out, '"');
}

void
gl_json_append_double (GString *out, double value)
{
  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6g", value));
}

/* ---- names ---- */

static gboolean
keep_char (gunichar c)
{
  if (g_unichar_isalnum (c) && g_unichar_isprint (c) && g_unichar_get_script (c) != G_UNICODE_SCRIPT_COMMON)
    return TRUE;
  if (c < 0x80 && g_ascii_isalnum (c))
    return TRUE;
  return c != 0 && strchr (" -_.,+()[]", (int) c) != NULL && c < 0x80;
}

/* Sanitizes @s (UTF-8 or not) into at most @max bytes. */
static char *
sanitize (const char *s, gsize max)
{
  g_autofree char *valid = g_utf8_make_valid (s ? s : "", -1);
  GString *out = g_string_new (NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      char buf[8];
      gint len = keep_char (c) ? g_unichar_to_utf8 (c, buf) : (buf[0] = '_', 1);
      if (out->len + len > max)
        break;
      g_string_append_len (out, buf, len);
    }
  /* No leading dots or spaces (hidden files, "." and ".."), no trailing ones. */
  gsize lead = 0;
  while (lead < out->len && (out->str[lead] == '.' || out->str[lead] == ' '))
    lead++;
  g_string_erase (out, 0, lead);
  while (out->len > 0 && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '.'))
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

char **
gl_export_folder_names (const char *const *class_names, guint n)
{
  char **names = g_new0 (char *, n + 1);
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *base = sanitize (class_names[i], FOLDER_NAME_MAX - 8);
      if (base[0] == '\0')
        {
          g_free (base);
          base = g_strdup_printf ("class-%u", i);
        }
      char *name = g_strdup (base);
      for (guint k = 2;; k++)
        {
          g_autofree char *fold = g_utf8_casefold (name, -1);
          if (!g_hash_table_contains (used, fold))
            {
              g_hash_table_add (used, g_steal_pointer (&fold));
              break;
            }
          g_free (name);
          name = g_strdup_printf ("%s-%u", base, k);
        }
      names[i] = name;
    }
  return names;
}

char *
gl_export_safe_file_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path && *path ? path : "image");
  const char *dot = strrchr (base, '.');
  g_autofree char *ext = dot && dot != base ? sanitize (dot + 1, 16) : g_strdup ("");
  if (dot && dot != base)
    base[dot - base] = '\0';
  g_autofree char *stem = sanitize (base, FILE_NAME_MAX - 14);
  if (stem[0] == '\0')
    {
      g_free (stem);
      stem = g_strdup ("image");
    }
  return ext[0] ? g_strdup_printf ("%s.%s", stem, ext) : g_steal_pointer (&stem);
}

/* ---- split ---- */

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void
gl_export_split (const gint *classes, gsize n, guint n_classes, const double shares[3], guint64 seed,
                 GlSplit *out)
{
  g_autofree gsize *order = g_new (gsize, MAX (n, 1));
  for (guint k = 0; k < n_classes; k++)
    {
      gsize m = 0;
      for (gsize i = 0; i < n; i++)
        if (classes[i] == (gint) k)
          order[m++] = i;
      /* Fisher–Yates with a per-class stream of the seed. */
      guint64 state = seed ^ (0x2545f4914f6cdd1dull * (k + 1));
      for (gsize i = m; i > 1; i--)
        {
          gsize j = splitmix64 (&state) % i;
          gsize t = order[i - 1];
          order[i - 1] = order[j];
          order[j] = t;
        }
      gsize n_train = (gsize) llround (m * shares[0]);
      gsize n_train_val = (gsize) llround (m * (shares[0] + shares[1]));
      n_train_val = MIN (MAX (n_train_val, n_train), m);
      for (gsize i = 0; i < m; i++)
        out[order[i]] = i < n_train ? GL_SPLIT_TRAIN : i < n_train_val ? GL_SPLIT_VAL : GL_SPLIT_TEST;
    }
  for (gsize i = 0; i < n; i++)
    if (classes[i] < 0 || classes[i] >= (gint) n_classes)
      out[i] = GL_SPLIT_TRAIN;
}

/* ---- files ---- */

static gboolean
io_error (GError **error, const char *what, const char *path, int err)
{
  g_autofree char *disp = g_filename_display_name (path);
  g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO, "%s %s: %s", what, disp, g_strerror (err));
  return FALSE;
}

/* Creates @path (one level) unless it is a folder already; a symlink or a
 * file in the way is an error. */
static gboolean
make_folder (const char *path, GError **error)
{
  if (g_mkdir (path, 0755) != 0 && errno != EEXIST)
    return io_error (error, "cannot create the folder", path, errno);
  struct stat st;
  if (lstat (path, &st) != 0)
    return io_error (error, "cannot read", path, errno);
  if (!S_ISDIR (st.st_mode))
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO, "%s is in the way: it is not a folder", disp);
      return FALSE;
    }
  return TRUE;
}

/* A fresh temporary name next to @dest. */
static char *
temp_name (const char *dest)
{
  static gint counter;
  return g_strdup_printf ("%s.%d-%d.partial", dest, (int) getpid (), g_atomic_int_add (&counter, 1));
}

static gboolean
write_bytes_to (const char *dest, const guint8 *data, gsize len, GError **error)
{
  g_autofree char *tmp = temp_name (dest);
  int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error (error, "cannot create", tmp, errno);
  gsize done = 0;
  while (done < len)
    {
      ssize_t w = write (fd, data + done, len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          int err = w < 0 ? errno : ENOSPC;
          close (fd);
          g_unlink (tmp);
          return io_error (error, "cannot write", dest, err);
        }
      done += (gsize) w;
    }
  if (close (fd) != 0)
    {
      int err = errno;
      g_unlink (tmp);
      return io_error (error, "cannot write", dest, err);
    }
  if (g_rename (tmp, dest) != 0)
    {
      int err = errno;
      g_unlink (tmp);
      return io_error (error, "cannot write", dest, err);
    }
  return TRUE;
}

gboolean
gl_export_write_file (const char *dest, const guint8 *data, gsize len, GError **error)
{
  return write_bytes_to (dest, data, len, error);
}

static gboolean
copy_file_to (const char *src, const char *dest, guint64 *bytes, GCancellable *cancellable, GError **error)
{
  int in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return io_error (error, "cannot read", src, errno);
  g_autofree char *tmp = temp_name (dest);
  int out = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0)
    {
      int err = errno;
      close (in);
      return io_error (error, "cannot create", tmp, err);
    }
  char buf[65536];
  gboolean ok = TRUE;
  int err = 0;
  const char *failed = dest;
  for (;;)
    {
      ssize_t r = read (in, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          ok = FALSE, err = errno, failed = src;
          break;
        }
      if (r == 0)
        break;
      if (g_cancellable_is_cancelled (cancellable))
        {
          close (in);
          close (out);
          g_unlink (tmp);
          return !g_cancellable_set_error_if_cancelled (cancellable, error);
        }
      for (ssize_t done = 0; done < r;)
        {
          ssize_t w = write (out, buf + done, r - done);
          if (w < 0 && errno == EINTR)
            continue;
          if (w <= 0)
            {
              ok = FALSE, err = w < 0 ? errno : ENOSPC;
              break;
            }
          done += w;
        }
      if (!ok)
        break;
      *bytes += (guint64) r;
    }
  close (in);
  if (close (out) != 0 && ok)
    ok = FALSE, err = errno;
  if (ok && g_rename (tmp, dest) != 0)
    ok = FALSE, err = errno;
  if (!ok)
    {
      g_unlink (tmp);
      return io_error (error, failed == src ? "cannot read" : "cannot write", failed, err);
    }
  return TRUE;
}

static gboolean
link_file_to (const char *src, const char *dest, gboolean hard, GError **error)
{
  g_autofree char *tmp = temp_name (dest);
  g_autofree char *abs = g_canonicalize_filename (src, NULL);
  if ((hard ? link (abs, tmp) : symlink (abs, tmp)) != 0)
    {
      int err = errno;
      g_autofree char *disp = g_filename_display_name (src);
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO, "cannot %s %s into the target: %s%s",
                   hard ? "hard-link" : "symlink", disp, g_strerror (err),
                   hard && err == EXDEV ? " (another file system: use copy)" : "");
      return FALSE;
    }
  if (g_rename (tmp, dest) != 0)
    {
      int err = errno;
      g_unlink (tmp);
      return io_error (error, "cannot write", dest, err);
    }
  /* rename() of two links to one file does nothing and leaves @tmp. */
  g_unlink (tmp);
  return TRUE;
}

/* PNG bytes of one pixel-cache row. */
static GBytes *
row_png (GlPixelMap *pixels, gint64 row, GError **error)
{
  const guint8 *data = row >= 0 && pixels ? gl_pixel_map_row (pixels, (guint64) row) : NULL;
  if (data == NULL)
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO, "pixel cache row %" G_GINT64_FORMAT " is missing",
                   row);
      return NULL;
    }
  guint h, w, c;
  gl_pixel_map_shape (pixels, &h, &w, &c);
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) w, (int) h);
  guint8 *dst = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      for (guint k = 0; k < 3; k++)
        dst[y * stride + x * 3 + k] = data[(y * w + x) * c + (c == 3 ? k : 0)];
  gchar *buf = NULL;
  gsize len = 0;
  if (!gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", error, NULL))
    return NULL;
  return g_bytes_new_take (buf, len);
}

/* Whether the item's file exists only in the pixel cache (IDX: FILE#INDEX). */
static gboolean
cache_only (const GlExportItem *item)
{
  if (item->cache_row < 0)
    return FALSE;
  const char *hash = strrchr (item->path, '#');
  if (hash == NULL || hash[1] == '\0' || strspn (hash + 1, "0123456789") != strlen (hash + 1))
    return FALSE;
  g_autofree char *file = gl_path_decode (item->path);
  return !g_file_test (file, G_FILE_TEST_IS_REGULAR);
}

static gboolean
target_ready (const char *target, gboolean force, GError **error)
{
  g_autofree char *disp = g_filename_display_name (target);
  if (g_mkdir_with_parents (target, 0755) != 0)
    return io_error (error, "cannot create the folder", target, errno);
  g_autoptr (GError) local = NULL;
  GDir *dir = g_dir_open (target, 0, &local);
  if (dir == NULL)
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO, "cannot read the folder %s: %s", disp,
                   local->message);
      return FALSE;
    }
  gboolean empty = g_dir_read_name (dir) == NULL;
  g_dir_close (dir);
  if (!empty && !force)
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_NOT_EMPTY,
                   "%s is not empty; choose an empty folder or force the export", disp);
      return FALSE;
    }
  return TRUE;
}

static char *
iso_time (gint64 us)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  return dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

static void
csv_field (GString *out, const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s ? s : "", -1);
  if (strpbrk (valid, ",\"\r\n") == NULL && valid[0] != ' ' && valid[0] != '\0'
      && valid[strlen (valid) - 1] != ' ')
    {
      g_string_append (out, valid);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = valid; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

typedef struct
{
  const GlExportOptions *options;
  GlExportProgressFunc progress;
  gpointer progress_data;
  GlExportProgress state;
  gint64 last_report_us;
} Run;

static void
report (Run *run, gboolean force)
{
  gint64 now = g_get_monotonic_time ();
  if (run->progress && (force || now - run->last_report_us >= 100000))
    {
      run->last_report_us = now;
      run->progress (&run->state, run->progress_data);
    }
}

/* A unique name for @item in @folder (relative to the target), recorded in @used. */
static char *
unique_file (GHashTable *used, const char *folder, const GlExportItem *item, gboolean png)
{
  g_autofree char *shown = gl_path_display (item->path); /* a name that is not UTF-8, as Latin-1 */
  g_autofree char *name = png ? g_strdup_printf ("%" G_GINT64_FORMAT ".png", item->image_id)
                              : gl_export_safe_file_name (shown);
  char *rel = folder[0] ? g_build_filename (folder, name, NULL) : g_strdup (name);
  g_autofree char *fold = g_utf8_casefold (rel, -1);
  if (g_hash_table_contains (used, fold))
    {
      g_free (rel);
      g_autofree char *alt = g_strdup_printf ("%" G_GINT64_FORMAT "-%s", item->image_id, name);
      rel = folder[0] ? g_build_filename (folder, alt, NULL) : g_strdup (alt);
      g_free (fold);
      fold = g_utf8_casefold (rel, -1);
    }
  g_hash_table_add (used, g_steal_pointer (&fold));
  return rel;
}

/* Writes the image of @item at @rel under @target. */
static gboolean
put_image (Run *run, const char *target, const char *rel, const GlExportItem *item, GlPixelMap *pixels,
           gboolean png, GCancellable *cancellable, GError **error)
{
  g_autofree char *dest = g_build_filename (target, rel, NULL);
  if (png)
    {
      g_autoptr (GBytes) bytes = row_png (pixels, item->cache_row, error);
      if (bytes == NULL)
        return FALSE;
      run->state.written_bytes += g_bytes_get_size (bytes);
      return write_bytes_to (dest, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error);
    }
  g_autofree char *file = gl_path_decode (item->path);
  switch (run->options->link)
    {
    case GL_EXPORT_LINK_HARDLINK: return link_file_to (file, dest, TRUE, error);
    case GL_EXPORT_LINK_SYMLINK: return link_file_to (file, dest, FALSE, error);
    case GL_EXPORT_LINK_COPY:
    default: return copy_file_to (file, dest, &run->state.written_bytes, cancellable, error);
    }
}

static int
by_name (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The annotators named in the items' votes, sorted; the names are borrowed
 * from the items. */
static const char **
vote_columns (const GlExportItem *items, gsize n, guint *n_out)
{
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < n; i++)
    for (guint v = 0; v < items[i].n_votes; v++)
      if (items[i].votes[v].annotator != NULL)
        g_hash_table_add (names, (gpointer) items[i].votes[v].annotator);
  guint len = 0;
  const char **columns = (const char **) g_hash_table_get_keys_as_array (names, &len);
  qsort (columns, len, sizeof *columns, by_name);
  *n_out = len;
  return columns;
}

gboolean
gl_export_items (const GlExportItem *items, gsize n, const char *const *class_names, guint n_classes,
                 GlPixelMap *pixels, const char *model_path, const char *target, const GlExportOptions *options,
                 GlExportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                 GlExportProgress *summary, GError **error)
{
  Run run = { .options = options, .progress = progress, .progress_data = progress_data };
  run.state.total = n;
  if (summary)
    *summary = run.state;
  for (gsize i = 0; i < n; i++)
    if (items[i].class_id < 0 || items[i].class_id >= (gint) n_classes)
      {
        g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID, "image %" G_GINT64_FORMAT
                     " has class %d, outside the %u classes", items[i].image_id, items[i].class_id, n_classes);
        return FALSE;
      }
  for (gsize i = 0; i < n; i++)
    for (guint v = 0; v < items[i].n_votes; v++)
      if (items[i].votes[v].class_id < 0 || items[i].votes[v].class_id >= (gint) n_classes)
        {
          g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID, "image %" G_GINT64_FORMAT
                       " has a vote for class %d, outside the %u classes", items[i].image_id,
                       items[i].votes[v].class_id, n_classes);
          return FALSE;
        }
  if (options->include_annotators && options->format == GL_EXPORT_IMAGEFOLDER)
    {
      g_set_error_literal (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_INVALID,
                           "every annotator's label goes into labels.csv or manifest.json: ask for it with the csv "
                           "or json format, not imagefolder");
      return FALSE;
    }
  if (n == 0)
    {
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_NOTHING, "there are no labels to export");
      return FALSE;
    }
  if (!target_ready (target, options->force, error))
    return FALSE;
  /* Until the last file is in place the folder says it is incomplete: an
   * export killed or failed half way is never taken for a whole one. */
  g_autofree char *marker = g_build_filename (target, GL_EXPORT_INCOMPLETE, NULL);
  static const char marker_text[] = "This export by Gleaner did not finish: its files are not the whole dataset.\n";
  if (!write_bytes_to (marker, (const guint8 *) marker_text, sizeof marker_text - 1, error))
    return FALSE;

  g_autofree gint *classes = g_new (gint, n);
  for (gsize i = 0; i < n; i++)
    classes[i] = items[i].class_id;
  g_autofree GlSplit *split = g_new (GlSplit, n);
  gl_export_split (classes, n, n_classes, options->shares, options->seed, split);
  g_auto (GStrv) folders = gl_export_folder_names (class_names, n_classes);
  guint n_parts = 0;
  for (guint s = 0; s < 3; s++)
    n_parts += options->shares[s] > 0;
  gboolean by_split = options->format == GL_EXPORT_IMAGEFOLDER && n_parts > 1;

  /* Folders. */
  if (options->format == GL_EXPORT_IMAGEFOLDER)
    for (guint s = 0; s < (by_split ? 3u : 1u); s++)
      {
        g_autofree char *base = by_split ? g_build_filename (target, split_names[s], NULL) : g_strdup (target);
        if (by_split && !make_folder (base, error))
          return FALSE;
        for (guint k = 0; k < n_classes; k++)
          {
            g_autofree char *path = g_build_filename (base, folders[k], NULL);
            if (!make_folder (path, error))
              return FALSE;
          }
      }
  /* CSV and JSON list the images where they are, except those that have no
   * file (IDX: written as PNG) and those whose name is not UTF-8 (a manifest
   * holds text: copied under a safe name); both go to images/. */
  gboolean any_copied = FALSE;
  for (gsize i = 0; i < n && !any_copied; i++)
    any_copied = cache_only (&items[i]) || gl_path_is_escaped (items[i].path);
  if (options->format != GL_EXPORT_IMAGEFOLDER && any_copied)
    {
      g_autofree char *images = g_build_filename (target, "images", NULL);
      if (!make_folder (images, error))
        return FALSE;
    }

  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_voters = 0;
  g_autofree const char **voters = options->include_annotators ? vote_columns (items, n, &n_voters) : NULL;
  g_autoptr (GString) csv = g_string_new (options->include_predictions
                                            ? "path,label,split,origin,annotator,time,prediction,probability"
                                            : "path,label,split,origin,annotator,time");
  for (guint r = 0; r < n_voters; r++)
    {
      g_autofree char *column = g_strconcat ("label:", voters[r], NULL);
      g_string_append_c (csv, ',');
      csv_field (csv, column);
    }
  g_string_append (csv, "\r\n");
  g_autoptr (GString) json = g_string_new ("{\"format\":\"gleaner-manifest\",\"version\":1,\"classes\":[");
  for (guint k = 0; k < n_classes; k++)
    {
      if (k)
        g_string_append_c (json, ',');
      gl_json_append_string (json, class_names[k]);
    }
  g_string_append (json, "],\"splits\":{\"train\":");
  gl_json_append_double (json, options->shares[0]);
  g_string_append (json, ",\"val\":");
  gl_json_append_double (json, options->shares[1]);
  g_string_append (json, ",\"test\":");
  gl_json_append_double (json, options->shares[2]);
  g_string_append_printf (json, ",\"seed\":%" G_GUINT64_FORMAT "},\"images\":[", options->seed);

  report (&run, TRUE);
  for (gsize i = 0; i < n; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          if (summary)
            *summary = run.state;
          return FALSE;
        }
      const GlExportItem *it = &items[i];
      gboolean png = cache_only (it);
      g_autofree char *rel = NULL;
      if (options->format == GL_EXPORT_IMAGEFOLDER)
        {
          g_autofree char *folder = by_split ? g_build_filename (split_names[split[i]], folders[it->class_id], NULL)
                                             : g_strdup (folders[it->class_id]);
          rel = unique_file (used, folder, it, png);
        }
      else if (png || gl_path_is_escaped (it->path))
        rel = unique_file (used, "images", it, png);
      if (rel != NULL && !put_image (&run, target, rel, it, pixels, png, cancellable, error))
        {
          if (summary)
            *summary = run.state;
          return FALSE;
        }
      const char *listed = rel ? rel : it->path;
      g_autofree char *when = iso_time (it->time_us);
      if (options->format == GL_EXPORT_CSV)
        {
          csv_field (csv, listed);
          g_string_append_c (csv, ',');
          csv_field (csv, class_names[it->class_id]);
          g_string_append_printf (csv, ",%s,", split_names[split[i]]);
          csv_field (csv, it->origin);
          g_string_append_c (csv, ',');
          csv_field (csv, it->annotator);
          g_string_append_printf (csv, ",%s", when);
          if (options->include_predictions && it->predicted >= 0 && it->predicted < (gint) n_classes)
            {
              g_string_append_c (csv, ',');
              csv_field (csv, class_names[it->predicted]);
              g_string_append_printf (csv, ",%.6f", (double) it->probability);
            }
          else if (options->include_predictions)
            g_string_append (csv, ",,");
          for (guint r = 0; r < n_voters; r++)
            {
              g_string_append_c (csv, ',');
              for (guint v = 0; v < it->n_votes; v++)
                if (g_strcmp0 (it->votes[v].annotator, voters[r]) == 0)
                  csv_field (csv, class_names[it->votes[v].class_id]);
            }
          g_string_append (csv, "\r\n");
        }
      else if (options->format == GL_EXPORT_JSON)
        {
          g_string_append_printf (json, "%s{\"id\":%" G_GINT64_FORMAT ",\"path\":", i ? "," : "", it->image_id);
          gl_json_append_string (json, listed);
          if (rel != NULL)
            {
              g_string_append (json, ",\"source\":");
              gl_json_append_string (json, it->path);
            }
          g_string_append (json, ",\"label\":");
          gl_json_append_string (json, class_names[it->class_id]);
          g_string_append_printf (json, ",\"class_id\":%d,\"split\":\"%s\",\"origin\":", it->class_id,
                                  split_names[split[i]]);
          gl_json_append_string (json, it->origin);
          g_string_append (json, ",\"annotator\":");
          if (it->annotator)
            gl_json_append_string (json, it->annotator);
          else
            g_string_append (json, "null");
          g_string_append (json, ",\"time\":");
          gl_json_append_string (json, when);
          if (options->include_predictions)
            {
              if (it->predicted >= 0 && it->predicted < (gint) n_classes)
                {
                  g_string_append (json, ",\"prediction\":{\"label\":");
                  gl_json_append_string (json, class_names[it->predicted]);
                  g_string_append_printf (json, ",\"class_id\":%d,\"probability\":", it->predicted);
                  gl_json_append_double (json, it->probability);
                  g_string_append_c (json, '}');
                }
              else
                g_string_append (json, ",\"prediction\":null");
            }
          if (options->include_annotators)
            {
              g_string_append (json, ",\"annotators\":[");
              for (guint v = 0; v < it->n_votes; v++)
                {
                  g_string_append (json, v ? ",{\"annotator\":" : "{\"annotator\":");
                  gl_json_append_string (json, it->votes[v].annotator);
                  g_string_append (json, ",\"label\":");
                  gl_json_append_string (json, class_names[it->votes[v].class_id]);
                  g_string_append_c (json, '}');
                }
              g_string_append_c (json, ']');
            }
          g_string_append_c (json, '}');
        }
      run.state.done++;
      report (&run, FALSE);
    }
  g_string_append (json, "]}\n");

  if (options->format == GL_EXPORT_CSV)
    {
      g_autofree char *path = g_build_filename (target, "labels.csv", NULL);
      if (!write_bytes_to (path, (const guint8 *) csv->str, csv->len, error))
        return FALSE;
      run.state.written_bytes += csv->len;
    }
  else if (options->format == GL_EXPORT_JSON)
    {
      g_autofree char *path = g_build_filename (target, "manifest.json", NULL);
      if (!write_bytes_to (path, (const guint8 *) json->str, json->len, error))
        return FALSE;
      run.state.written_bytes += json->len;
    }
  else if (options->format == GL_EXPORT_IMAGEFOLDER)
    {
      /* Which folder is which class, and the split level: an ImageFolder
       * import reads it to give back the names unchanged. */
      g_autoptr (GString) m = g_string_new ("kind,folder,name\r\n");
      for (guint s = 0; by_split && s < 3; s++)
        g_string_append_printf (m, "split,%s,%s\r\n", split_names[s], split_names[s]);
      for (guint k = 0; k < n_classes; k++)
        {
          g_string_append (m, "class,");
          csv_field (m, folders[k]);
          g_string_append_c (m, ',');
          csv_field (m, class_names[k]);
          g_string_append (m, "\r\n");
        }
      if (options->include_model && model_path != NULL)
        g_string_append (m, "other,model,model\r\n");
      g_autofree char *path = g_build_filename (target, GL_IMAGEFOLDER_MANIFEST, NULL);
      if (!write_bytes_to (path, (const guint8 *) m->str, m->len, error))
        return FALSE;
      run.state.written_bytes += m->len;
    }
  if (options->include_model && model_path != NULL)
    {
      g_autofree char *dir = g_build_filename (target, "model", NULL);
      g_autofree char *base = gl_export_safe_file_name (model_path);
      g_autofree char *dest = g_build_filename (dir, base, NULL);
      g_autofree char *classes_path = g_build_filename (dir, "classes.json", NULL);
      g_autoptr (GString) list = g_string_new ("[");
      for (guint k = 0; k < n_classes; k++)
        {
          if (k)
            g_string_append_c (list, ',');
          gl_json_append_string (list, class_names[k]);
        }
      g_string_append (list, "]\n");
      if (!make_folder (dir, error) || !copy_file_to (model_path, dest, &run.state.written_bytes, cancellable, error)
          || !write_bytes_to (classes_path, (const guint8 *) list->str, list->len, error))
        return FALSE;
    }
  if (g_unlink (marker) != 0)
    return io_error (error, "cannot remove", marker, errno);
  report (&run, TRUE);
  if (summary)
    *summary = run.state;
  return TRUE;
}

/* ---- from a project ---- */

typedef struct
{
  GArray *items;       /* GlExportItem */
  GStringChunk *strings;
  GHashTable *index_of_class;
} Gather;

static gboolean
gather_label (const GlDbCurrentLabel *label, gpointer user_data)
{
  Gather *g = user_data;
  gint k = GPOINTER_TO_INT (g_hash_table_lookup (g->index_of_class, &label->class_id)) - 1;
  if (k < 0)
    return TRUE;
  GlExportItem it = { label->image_id, g_string_chunk_insert_const (g->strings, label->path), label->cache_row, k,
                      gl_db_origin_to_string (label->origin),
                      label->annotator ? g_string_chunk_insert_const (g->strings, label->annotator) : NULL,
                      label->created_us, -1, NAN, NULL, 0 };
  g_array_append_val (g->items, it);
  return TRUE;
}

static gboolean
store_failed (GError **error, GError *local)
{
  g_set_error_literal (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_IO, local->message);
  g_error_free (local);
  return FALSE;
}

gboolean
gl_export_project (GlProject *project, const char *target, const GlExportOptions *options,
                   GlExportProgressFunc progress, gpointer progress_data, GCancellable *cancellable,
                   GlExportProgress *summary, GError **error)
{
  GError *local = NULL;
  g_autoptr (GlDb) db = gl_db_open (gl_project_get_db_path (project), &local);
  if (db == NULL)
    return store_failed (error, local);
  g_autoptr (GArray) classes = gl_db_list_classes (db, TRUE, &local);
  if (classes == NULL)
    return store_failed (error, local);
  guint n_classes = classes->len;
  g_autoptr (GHashTable) index_of_class = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree const char **names = g_new0 (const char *, n_classes + 1);
  g_autofree gint64 *class_ids = g_new0 (gint64, MAX (1, n_classes));
  for (guint k = 0; k < n_classes; k++)
    {
      const GlDbClass *c = &g_array_index (classes, GlDbClass, k);
      names[k] = c->name;
      class_ids[k] = c->id;
      g_hash_table_insert (index_of_class, g_memdup2 (&c->id, sizeof c->id), GUINT_TO_POINTER (k + 1));
    }
  g_autoptr (GArray) items = g_array_new (FALSE, TRUE, sizeof (GlExportItem));
  GStringChunk *strings = g_string_chunk_new (4096);
  Gather g = { items, strings, index_of_class };
  gboolean ok = gl_db_foreach_current_label (db, FALSE, gather_label, &g, &local);
  g_auto (GlExportTeam) team = { 0 };
  ok = ok && gl_export_team_apply (db, items, class_ids, n_classes, options->labels == GL_EXPORT_LABELS_CONSENSUS,
                                   options->include_annotators && options->format != GL_EXPORT_IMAGEFOLDER, &team,
                                   &local);

  gint64 current = gl_db_get_current_model (db);
  if (ok && options->include_unconfirmed && current >= 0)
    {
      g_autoptr (GArray) held = gl_db_list_cache_rows (db, 1, &local);
      ok = held != NULL;
      g_autoptr (GHashTable) held_rows = g_hash_table_new (g_int64_hash, g_int64_equal);
      for (guint i = 0; ok && i < held->len; i++)
        g_hash_table_add (held_rows, &g_array_index (held, gint64, i));
      GlDbFilter filter = { GL_DB_FILTER_UNLABELED, -1 };
      GlDbCursor *cursor = NULL;
      while (ok)
        {
          GArray *page = NULL;
          GlDbCursor *next = NULL;
          ok = gl_db_list_images (db, &filter, GL_DB_SORT_NEWEST, cursor, 5000, &page, &next, &local);
          gl_db_cursor_free (cursor);
          cursor = next;
          for (guint i = 0; ok && i < page->len; i++)
            {
              const GlDbListRow *row = &g_array_index (page, GlDbListRow, i);
              gint k = GPOINTER_TO_INT (g_hash_table_lookup (index_of_class, &row->predicted_class)) - 1;
              if (row->unreadable || k < 0 || g_hash_table_contains (held_rows, &row->cache_row))
                continue;
              GlExportItem it = { row->image_id, g_string_chunk_insert_const (strings, row->path), row->cache_row, k,
                                  "model", NULL, g_get_real_time (), k, (float) row->confidence, NULL, 0 };
              g_array_append_val (items, it);
            }
          if (page)
            g_array_unref (page);
          if (next == NULL)
            break;
        }
      gl_db_cursor_free (cursor);
    }
  if (ok && options->include_predictions && current >= 0)
    for (guint i = 0; i < items->len; i++)
      {
        GlExportItem *it = &g_array_index (items, GlExportItem, i);
        GlDbPrediction p = { 0 };
        if (it->predicted < 0 && gl_db_get_prediction (db, current, it->image_id, &p, NULL))
          {
            it->predicted = GPOINTER_TO_INT (g_hash_table_lookup (index_of_class, &p.top_class)) - 1;
            it->probability = (float) p.top_prob;
            gl_db_prediction_clear (&p);
          }
      }
  g_autofree char *model_path = NULL;
  if (ok && options->include_model && current >= 0)
    {
      GlDbModelVersion v = { 0 };
      ok = gl_db_get_model_version (db, current, &v, &local);
      if (ok)
        model_path = g_strdup (v.path);
      gl_db_model_version_clear (&v);
    }
  if (!ok)
    {
      g_string_chunk_free (strings);
      return store_failed (error, local);
    }
  if (options->include_model && model_path == NULL)
    {
      g_string_chunk_free (strings);
      g_set_error (error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_NOTHING, "the project has no trained model to export");
      return FALSE;
    }
  g_autoptr (GlPixelMap) pixels = NULL;
  for (guint i = 0; i < items->len && pixels == NULL; i++)
    if (cache_only (&g_array_index (items, GlExportItem, i)))
      {
        pixels = gl_project_map_pixels (project, &local);
        if (pixels == NULL)
          {
            g_string_chunk_free (strings);
            return store_failed (error, local);
          }
      }
  ok = gl_export_items ((GlExportItem *) items->data, items->len, names, n_classes, pixels, model_path, target,
                        options, progress, progress_data, cancellable, summary, error);
  if (summary)
    {
      summary->consensus = team.consensus;
      summary->ties = team.ties;
    }
  if (!ok && team.ties > 0 && error != NULL && g_error_matches (*error, GL_EXPORT_ERROR, GL_EXPORT_ERROR_NOTHING))
    g_prefix_error (error, "%" G_GUINT64_FORMAT " labeled images were left out because their annotators tie "
                    "(resolve them with gleaner-cli conflicts): ", team.ties);
  g_string_chunk_free (strings);
  return ok;
}
