/* gl-model-file.c — see gl-model-file.h for the layout. */
#include "engine/gl-model-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_LEN 8
#define CHECKSUM_LEN 32 /* SHA-256 */
#define HEADER_LEN (MAGIC_LEN + 4 + 4 + 8)

G_DEFINE_QUARK (gl-model-file-error-quark, gl_model_file_error)

void
gl_model_meta_init (GlModelMeta *meta)
{
  memset (meta, 0, sizeof *meta);
}

void
gl_model_meta_clear (GlModelMeta *meta)
{
  g_strfreev (meta->class_names);
  g_clear_pointer (&meta->extra, g_hash_table_unref);
  gl_model_meta_init (meta);
}

/* ---- writing: little-endian values appended to a GByteArray ---- */

static void
put_u32 (GByteArray *out, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &le, 4);
}

static void
put_u64 (GByteArray *out, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (out, (const guint8 *) &le, 8);
}

static void
put_string (GByteArray *out, const char *s)
{
  gsize len = s ? strlen (s) : 0;
  put_u32 (out, (guint32) len);
  g_byte_array_append (out, (const guint8 *) (s ? s : ""), (guint) len);
}

static void
put_floats (GByteArray *out, const float *values, gsize count)
{
  guint old = out->len;

  g_byte_array_set_size (out, old + (guint) (count * 4));
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  memcpy (out->data + old, values, count * 4);
#else
  for (gsize i = 0; i < count; i++)
    {
      guint32 bits;
      memcpy (&bits, &values[i], 4);
      bits = GUINT32_TO_LE (bits);
      memcpy (out->data + old + i * 4, &bits, 4);
    }
#endif
}

/* ---- reading: a cursor that never reads past the end ---- */

typedef struct
{
  const char *path;   /* for messages */
  const guint8 *data;
  gsize len;
  gsize pos;
} Reader;

static gboolean
reader_fail (Reader *r, GError **error, const char *what)
{
  g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_CORRUPT,
               "Model file “%s” is corrupt: %s at byte %" G_GSIZE_FORMAT " runs past the end of the data",
               r->path, what, r->pos);
  return FALSE;
}

static gboolean
get_u32 (Reader *r, guint32 *v, const char *what, GError **error)
{
  guint32 le;

  if (r->len - r->pos < 4)
    return reader_fail (r, error, what);
  memcpy (&le, r->data + r->pos, 4);
  *v = GUINT32_FROM_LE (le);
  r->pos += 4;
  return TRUE;
}

static gboolean
get_u64 (Reader *r, guint64 *v, const char *what, GError **error)
{
  guint64 le;

  if (r->len - r->pos < 8)
    return reader_fail (r, error, what);
  memcpy (&le, r->data + r->pos, 8);
  *v = GUINT64_FROM_LE (le);
  r->pos += 8;
  return TRUE;
}

/* A newly allocated, NUL-terminated, valid UTF-8 string no longer than what is left. */
static char *
get_string (Reader *r, const char *what, GError **error)
{
  guint32 len;
  char *s;

  if (!get_u32 (r, &len, what, error))
    return NULL;
  if (len > r->len - r->pos)
    {
      r->pos -= 4;
      reader_fail (r, error, what);
      return NULL;
    }
  if (!g_utf8_validate ((const char *) r->data + r->pos, len, NULL))
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_CORRUPT,
                   "Model file “%s” is corrupt: %s at byte %" G_GSIZE_FORMAT " is not UTF-8", r->path, what,
                   r->pos);
      return NULL;
    }
  s = g_strndup ((const char *) r->data + r->pos, len);
  r->pos += len;
  return s;
}

/* ---- the network's tensors, in a fixed order ---- */

typedef struct
{
  const char *name;
  float *data;
  gsize count;
} Tensor;

static GArray *
net_tensors (GlNet *net)
{
  GArray *tensors = g_array_new (FALSE, FALSE, sizeof (Tensor));
  guint n = gl_net_get_n_tensors (net);

  for (guint i = 0; i < n; i++)
    {
      Tensor t = { .name = gl_net_get_tensor_name (net, i),
                   .data = gl_net_get_tensor_data (net, i),
                   .count = gl_net_get_tensor_size (net, i) };
      g_array_append_val (tensors, t);
    }
  return tensors;
}

/* ---- save ---- */

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static GBytes *
serialize (GlNet *net, const GlModelMeta *meta, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_sized_new (1 << 16);
  g_autoptr (GArray) tensors = net_tensors (net);
  g_autoptr (GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *spec = gl_net_spec_to_string (gl_net_get_spec (net));
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  g_autoptr (GHashTable) kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint h, w, c, n_classes = gl_net_get_n_classes (net);
  guint8 digest[CHECKSUM_LEN];
  gsize digest_len = CHECKSUM_LEN;
  guint64 size;

  gl_net_get_input_shape (net, &h, &w, &c);
  if (meta && meta->class_names && g_strv_length (meta->class_names) != n_classes)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_MISMATCH,
                   "%u class names given for a network with %u classes", g_strv_length (meta->class_names),
                   n_classes);
      return NULL;
    }

  /* The typed metadata is stored as key/values next to the free-form ones. */
  if (meta && meta->extra)
    {
      GHashTableIter iter;
      gpointer k, v;

      g_hash_table_iter_init (&iter, meta->extra);
      while (g_hash_table_iter_next (&iter, &k, &v))
        g_hash_table_replace (kv, g_strdup (k), g_strdup (v ? v : ""));
    }
  g_hash_table_replace (kv, g_strdup ("created"),
                        g_strdup_printf ("%" G_GINT64_FORMAT,
                                         meta && meta->created ? meta->created : g_get_real_time () / G_USEC_PER_SEC));
  g_hash_table_replace (kv, g_strdup ("n_labels"),
                        g_strdup_printf ("%" G_GUINT64_FORMAT, meta ? meta->n_labels : 0));
  {
    GHashTableIter iter;
    gpointer k;

    g_hash_table_iter_init (&iter, kv);
    while (g_hash_table_iter_next (&iter, &k, NULL))
      g_ptr_array_add (keys, k);
    g_ptr_array_sort (keys, compare_keys);
  }

  g_byte_array_append (out, (const guint8 *) GL_MODEL_FILE_MAGIC, MAGIC_LEN);
  put_u32 (out, GL_MODEL_FILE_VERSION);
  put_u32 (out, 0);
  put_u64 (out, 0); /* file size, patched below */
  put_string (out, spec);
  put_u32 (out, h);
  put_u32 (out, w);
  put_u32 (out, c);
  put_u32 (out, n_classes);
  for (guint i = 0; i < n_classes; i++)
    put_string (out, meta && meta->class_names ? meta->class_names[i] : "");
  put_u32 (out, keys->len);
  for (guint i = 0; i < keys->len; i++)
    {
      put_string (out, keys->pdata[i]);
      put_string (out, g_hash_table_lookup (kv, keys->pdata[i]));
    }
  put_u32 (out, tensors->len);
  for (guint i = 0; i < tensors->len; i++)
    {
      const Tensor *t = &g_array_index (tensors, Tensor, i);
      put_string (out, t->name);
      put_u64 (out, t->count);
      put_floats (out, t->data, t->count);
    }

  size = (guint64) out->len + CHECKSUM_LEN;
  size = GUINT64_TO_LE (size);
  memcpy (out->data + MAGIC_LEN + 8, &size, 8);
  g_checksum_update (sha, out->data, out->len);
  g_checksum_get_digest (sha, digest, &digest_len);
  g_byte_array_append (out, digest, CHECKSUM_LEN);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
set_io_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_IO, "Cannot %s model file “%s”: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

/* Writes @bytes to a temporary file beside @path, syncs it, renames it over
 * @path and syncs the folder. On failure the temporary file is removed and
 * @path is untouched. */
static gboolean
write_atomically (const char *path, GBytes *bytes, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gsize done = 0;
  int fd, dfd;

  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    return set_io_error (error, errno, "create a temporary file for", path);

  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : ENOSPC;
          close (fd);
          g_unlink (tmp);
          return set_io_error (error, errsv, "write", path);
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    {
      int errsv = errno;
      close (fd);
      g_unlink (tmp);
      return set_io_error (error, errsv, "sync", path);
    }
  if (close (fd) != 0)
    {
      int errsv = errno;
      g_unlink (tmp);
      return set_io_error (error, errsv, "close", path);
    }
  if (g_rename (tmp, path) != 0)
    {
      int errsv = errno;
      g_unlink (tmp);
      return set_io_error (error, errsv, "replace", path);
    }
  /* The rename is durable only once the folder is synced. */
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return set_io_error (error, errno, "open the folder of", path);
  if (fsync (dfd) != 0 && errno != EINVAL)
    {
      int errsv = errno;
      close (dfd);
      return set_io_error (error, errsv, "sync the folder of", path);
    }
  close (dfd);
  return TRUE;
}

gboolean
gl_model_file_save (GlNet *net, const GlModelMeta *meta, const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (net != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  bytes = serialize (net, meta, &local);
  if (!bytes)
    {
      g_set_error (error, local->domain, local->code, "Cannot save model file “%s”: %s", path, local->message);
      return FALSE;
    }
  return write_atomically (path, bytes, error);
}

/* ---- load ---- */

#define MAX_SIDE 16384
#define MAX_CHANNELS 4096
#define MAX_CLASSES 1000000

static guint64
sat_mul (guint64 a, guint64 b)
{
  return (b != 0 && a > G_MAXUINT64 / b) ? G_MAXUINT64 : a * b;
}

static guint64
sat_add (guint64 a, guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

/* Roughly how many floats the tensors of @spec built for (h, w, c) and
 * @n_classes hold (weights, biases, batch-norm vectors; spatial sizes rounded
 * down). Only a bound against corrupt files: never used to parse. */
static guint64
estimate_floats (const GlNetSpec *spec, guint64 h, guint64 w, guint64 c, guint64 n_classes)
{
  guint64 total = 0;

  for (guint i = 0; i < spec->n_layers; i++)
    {
      const GlLayerSpec *l = &spec->layers[i];
      switch (l->kind)
        {
        case GL_LAYER_CONV:
          {
            guint64 k = l->conv.kernel, s = MAX (l->conv.stride, 1), p = l->conv.pad, f = l->conv.filters;
            total = sat_add (total, sat_add (sat_mul (sat_mul (k, k), sat_mul (c, f)), f));
            h = (h + 2 * p >= k) ? (h + 2 * p - k) / s + 1 : 1;
            w = (w + 2 * p >= k) ? (w + 2 * p - k) / s + 1 : 1;
            c = f;
          }
          break;
        case GL_LAYER_MAXPOOL:
          {
            guint64 k = l->pool.size, s = MAX (l->pool.stride, 1);
            h = h >= k ? (h - k) / s + 1 : 1;
            w = w >= k ? (w - k) / s + 1 : 1;
          }
          break;
        case GL_LAYER_GLOBAL_AVGPOOL:
          h = w = 1;
          break;
        case GL_LAYER_BATCHNORM:
          total = sat_add (total, sat_mul (4, c)); /* per channel */
          break;
        case GL_LAYER_DENSE:
          total = sat_add (total, sat_add (sat_mul (sat_mul (h, sat_mul (w, c)), l->dense.units), l->dense.units));
          h = w = 1;
          c = l->dense.units;
          break;
        case GL_LAYER_FLATTEN:
          c = sat_mul (h, sat_mul (w, c));
          h = w = 1;
          break;
        case GL_LAYER_RELU:
        case GL_LAYER_DROPOUT:
        default:
          break;
        }
    }
  return sat_add (total, sat_add (sat_mul (sat_mul (h, sat_mul (w, c)), n_classes), n_classes));
}

/* The whole file, refusing anything larger than GL_MODEL_FILE_MAX_SIZE
 * before allocating. */
static guint8 *
read_file (const char *path, gsize *len, GError **error)
{
  g_autofree guint8 *data = NULL;
  struct stat st;
  gsize done = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      set_io_error (error, errno, "open", path);
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      set_io_error (error, errno, "inspect", path);
      close (fd);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_FORMAT,
                   "Model file “%s” is not a regular file", path);
      close (fd);
      return NULL;
    }
  if (st.st_size > GL_MODEL_FILE_MAX_SIZE)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_FORMAT,
                   "Model file “%s” is too large (%" G_GINT64_FORMAT " bytes; at most %" G_GINT64_FORMAT ")",
                   path, (gint64) st.st_size, (gint64) GL_MODEL_FILE_MAX_SIZE);
      close (fd);
      return NULL;
    }
  data = g_malloc ((gsize) st.st_size + 1);
  while (done < (gsize) st.st_size)
    {
      gssize n = read (fd, data + done, (gsize) st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_io_error (error, errno, "read", path);
          close (fd);
          return NULL;
        }
      if (n == 0)
        break; /* shrank while reading: the size checks below report it */
      done += (gsize) n;
    }
  close (fd);
  *len = done;
  return g_steal_pointer (&data);
}

static gboolean
mismatch (GError **error, const char *path, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
mismatch (GError **error, const char *path, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_MISMATCH,
               "Model file “%s” does not match its network: %s", path, what);
  return FALSE;
}

/* Header, recorded size and checksum. */
static gboolean
check_envelope (const char *path, const guint8 *data, gsize len, GError **error)
{
  g_autoptr (GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[CHECKSUM_LEN];
  gsize digest_len = CHECKSUM_LEN;
  guint32 version;
  guint64 size;

  if (len < MAGIC_LEN || memcmp (data, GL_MODEL_FILE_MAGIC, MAGIC_LEN) != 0)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_FORMAT,
                   len < MAGIC_LEN ? "Model file “%s” is too short to be a Gleaner model (%" G_GSIZE_FORMAT
                                     " bytes)"
                                   : "“%s” is not a Gleaner model file (wrong magic)",
                   path, len);
      return FALSE;
    }
  if (len < HEADER_LEN + CHECKSUM_LEN)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_CORRUPT,
                   "Model file “%s” is truncated (%" G_GSIZE_FORMAT " bytes, shorter than its header)", path, len);
      return FALSE;
    }
  memcpy (&version, data + MAGIC_LEN, 4);
  version = GUINT32_FROM_LE (version);
  if (version != GL_MODEL_FILE_VERSION)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_VERSION,
                   "Model file “%s” has format version %u; this build of Gleaner reads version %u", path,
                   version, GL_MODEL_FILE_VERSION);
      return FALSE;
    }
  memcpy (&size, data + MAGIC_LEN + 8, 8);
  size = GUINT64_FROM_LE (size);
  if (size != len)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_CORRUPT,
                   size > len ? "Model file “%s” is truncated (%" G_GSIZE_FORMAT " bytes of %" G_GUINT64_FORMAT ")"
                              : "Model file “%s” is corrupt (%" G_GSIZE_FORMAT " bytes, its header says %"
                                G_GUINT64_FORMAT ")",
                   path, len, size);
      return FALSE;
    }
  g_checksum_update (sha, data, len - CHECKSUM_LEN);
  g_checksum_get_digest (sha, digest, &digest_len);
  if (memcmp (digest, data + len - CHECKSUM_LEN, CHECKSUM_LEN) != 0)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_CORRUPT,
                   "Model file “%s” is corrupt (SHA-256 checksum mismatch)", path);
      return FALSE;
    }
  return TRUE;
}

GlNet *
gl_model_file_load (const char *path, GlModelMeta *out_meta, GError **error)
{
  g_autofree guint8 *data = NULL;
  g_autofree char *spec_text = NULL;
  g_autoptr (GlNetSpec) spec = NULL;
  g_autoptr (GlNet) net = NULL;
  g_autoptr (GArray) tensors = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) kv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree gboolean *seen = NULL;
  g_autoptr (GError) local = NULL;
  guint32 h, w, c, n_classes, n_meta, n_tensors;
  gsize len = 0;
  Reader r;

  g_return_val_if_fail (path != NULL, NULL);

  data = read_file (path, &len, error);
  if (!data)
    return NULL;
  if (!check_envelope (path, data, len, error))
    return NULL;

  r = (Reader) { .path = path, .data = data, .len = len - CHECKSUM_LEN, .pos = HEADER_LEN };
  if (!(spec_text = get_string (&r, "the network spec", error)))
    return NULL;
  if (!get_u32 (&r, &h, "the input height", error) || !get_u32 (&r, &w, "the input width", error) ||
      !get_u32 (&r, &c, "the input channels", error) || !get_u32 (&r, &n_classes, "the class count", error))
    return NULL;
  /* Each class name takes at least 4 bytes: a corrupt count cannot make us allocate much. */
  if (n_classes > (r.len - r.pos) / 4)
    return reader_fail (&r, error, "the class names"), NULL;
  for (guint32 i = 0; i < n_classes; i++)
    {
      char *name = get_string (&r, "a class name", error);
      if (!name)
        return NULL;
      g_ptr_array_add (names, name);
    }
  g_ptr_array_add (names, NULL);
  if (!get_u32 (&r, &n_meta, "the metadata count", error))
    return NULL;
  if (n_meta > (r.len - r.pos) / 8)
    return reader_fail (&r, error, "the metadata"), NULL;
  for (guint32 i = 0; i < n_meta; i++)
    {
      g_autofree char *key = get_string (&r, "a metadata key", error);
      g_autofree char *value = key ? get_string (&r, "a metadata value", error) : NULL;
      if (!value)
        return NULL;
      g_hash_table_replace (kv, g_steal_pointer (&key), g_steal_pointer (&value));
    }

  /* Build the network the spec describes, for the recorded shape, but only
   * once a walk over the spec shows that its tensors fit in this file: a
   * corrupt spec or shape must not make us allocate gigabytes. */
  spec = gl_net_spec_from_string (spec_text, &local);
  if (!spec)
    return mismatch (error, path, "its network spec “%s” is invalid: %s", spec_text, local->message), NULL;
  if (h == 0 || w == 0 || c == 0 || h > MAX_SIDE || w > MAX_SIDE || c > MAX_CHANNELS || n_classes < 2 ||
      n_classes > MAX_CLASSES)
    return mismatch (error, path, "input %u×%u×%u with %u classes is out of range", h, w, c, n_classes), NULL;
  if (estimate_floats (spec, h, w, c, n_classes) > (guint64) (r.len - r.pos) / 4 * 2 + (1 << 20))
    return mismatch (error, path, "its network spec “%s” needs more weights than the file holds", spec_text),
           NULL;
  net = gl_net_new (spec, h, w, c, n_classes, 0, &local);
  if (!net)
    return mismatch (error, path, "its network spec “%s” does not build for input %u×%u×%u and %u classes: %s",
                     spec_text, h, w, c, n_classes, local->message),
           NULL;

  tensors = net_tensors (net);
  seen = g_new0 (gboolean, tensors->len + 1);
  if (!get_u32 (&r, &n_tensors, "the tensor count", error))
    return NULL;
  if (n_tensors != tensors->len)
    return mismatch (error, path, "the file has %u tensors, the network %u", n_tensors, tensors->len), NULL;
  for (guint32 i = 0; i < n_tensors; i++)
    {
      g_autofree char *name = get_string (&r, "a tensor name", error);
      Tensor *t = NULL;
      guint64 count;
      guint j;

      if (!name || !get_u64 (&r, &count, "a tensor size", error))
        return NULL;
      for (j = 0; j < tensors->len; j++)
        if (strcmp (g_array_index (tensors, Tensor, j).name, name) == 0)
          {
            t = &g_array_index (tensors, Tensor, j);
            break;
          }
      if (!t)
        return mismatch (error, path, "tensor “%s” is not in the network", name), NULL;
      if (seen[j])
        return mismatch (error, path, "tensor “%s” appears twice", name), NULL;
      seen[j] = TRUE;
      if (count != t->count)
        return mismatch (error, path, "tensor “%s” has %" G_GUINT64_FORMAT " values, the network %" G_GSIZE_FORMAT,
                         name, count, t->count),
               NULL;
      if (count > (r.len - r.pos) / 4)
        return reader_fail (&r, error, "tensor data"), NULL;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      memcpy (t->data, r.data + r.pos, count * 4);
#else
      for (gsize k = 0; k < count; k++)
        {
          guint32 bits;
          memcpy (&bits, r.data + r.pos + k * 4, 4);
          bits = GUINT32_FROM_LE (bits);
          memcpy (&t->data[k], &bits, 4);
        }
#endif
      r.pos += count * 4;
    }
  if (r.pos != r.len)
    {
      g_set_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_CORRUPT,
                   "Model file “%s” is corrupt: %" G_GSIZE_FORMAT " unexpected bytes after the last tensor", path,
                   r.len - r.pos);
      return NULL;
    }

  if (out_meta)
    {
      const char *created = g_hash_table_lookup (kv, "created");
      const char *n_labels = g_hash_table_lookup (kv, "n_labels");

      gl_model_meta_init (out_meta);
      out_meta->class_names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
      out_meta->created = created ? g_ascii_strtoll (created, NULL, 10) : 0;
      out_meta->n_labels = n_labels ? g_ascii_strtoull (n_labels, NULL, 10) : 0;
      g_hash_table_remove (kv, "created");
      g_hash_table_remove (kv, "n_labels");
      out_meta->extra = g_steal_pointer (&kv);
    }
  return g_steal_pointer (&net);
}
