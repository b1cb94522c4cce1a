/* test-model-file.c — model files: exact round trip, and truncated,
 * bit-flipped, wrong-version, mismatched and unwritable files give a clean
 * GError naming the file (never a crash), with the old file kept. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/gl-model-file.h"
#include "engine/gl-rng.h"

/* Small, but every kind of tensor: conv, batch norm (with running
 * statistics), dense and the classifier. */
#define SPEC "conv4k3s1p1,bn,relu,maxpool2s2,conv6k3s2p0,relu,dense8,relu"
#define H 8
#define W 8
#define C 1
#define N_CLASSES 3

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (!d)
    return;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (dir);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("gl-model-file-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "model.glm", NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_chmod (f->dir, 0755);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* Files in @dir other than @keep (temporary files left behind count). */
static guint
count_other_files (const char *dir, const char *keep)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    if (g_strcmp0 (name, keep) != 0)
      n++;
  return n;
}

/* A net of SPEC whose every tensor holds seeded random values (positive
 * where they are variances), so that nothing saved is a default. */
static GlNet *
make_net (guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GlNetSpec) spec = gl_net_spec_from_string (SPEC, &error);
  GlNet *net;
  GlRng rng;

  g_assert_no_error (error);
  net = gl_net_new (spec, H, W, C, N_CLASSES, seed, &error);
  g_assert_no_error (error);
  gl_rng_init (&rng, seed + 17);
  for (guint i = 0; i < gl_net_get_n_tensors (net); i++)
    {
      float *data = gl_net_get_tensor_data (net, i);
      gboolean var = g_str_has_suffix (gl_net_get_tensor_name (net, i), "running_var");
      for (gsize k = 0; k < gl_net_get_tensor_size (net, i); k++)
        data[k] = var ? 0.5f + gl_rng_float (&rng) : (float) gl_rng_normal (&rng) * 0.5f;
    }
  return net;
}

static void
fill_meta (GlModelMeta *meta)
{
  const char *names[] = { "boot", "sandal", "sneaker ✓", NULL };

  gl_model_meta_init (meta);
  meta->class_names = g_strdupv ((char **) names);
  meta->created = 1764000000;
  meta->n_labels = 1234;
  meta->extra = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (meta->extra, g_strdup ("labels"), g_strdup ("human"));
  g_hash_table_insert (meta->extra, g_strdup ("project"), g_strdup ("shoes"));
}

static void
save_or_die (GlNet *net, const char *path)
{
  g_autoptr (GError) error = NULL;
  GlModelMeta meta;

  fill_meta (&meta);
  g_assert_true (gl_model_file_save (net, &meta, path, &error));
  g_assert_no_error (error);
  gl_model_meta_clear (&meta);
}

static GBytes *
read_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

static void
write_bytes (const char *path, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) len, &error));
  g_assert_no_error (error);
}

/* Loading @path must fail with an error of the model-file domain that names
 * the file; returns the error code. */
static gint
load_must_fail (const char *path)
{
  g_autoptr (GError) error = NULL;
  GlModelMeta meta;
  GlNet *net;

  gl_model_meta_init (&meta);
  net = gl_model_file_load (path, &meta, &error);
  g_assert_null (net);
  g_assert_nonnull (error);
  g_assert_true (error->domain == GL_MODEL_FILE_ERROR);
  if (!strstr (error->message, path))
    g_error ("error “%s” does not name the file %s", error->message, path);
  g_assert_null (meta.class_names);
  return error->code;
}

/* Probabilities of @net on a fixed random batch: (n, n_classes). */
static float *
predict (GlNet *net, gsize n)
{
  guint h, w, c, k = gl_net_get_n_classes (net);
  g_autofree float *x = NULL;
  float *probs = g_new (float, n * k);
  GlRng rng;

  gl_net_get_input_shape (net, &h, &w, &c);
  x = g_new (float, n * h * w * c);
  gl_rng_init (&rng, 99);
  for (gsize i = 0; i < n * h * w * c; i++)
    x[i] = gl_rng_float (&rng);
  gl_net_forward_floats (net, x, n, probs, NULL);
  return probs;
}

static void
assert_same_net (GlNet *a, GlNet *b)
{
  guint ha, wa, ca, hb, wb, cb;
  g_autofree float *pa = NULL, *pb = NULL;

  g_assert_true (gl_net_spec_equal (gl_net_get_spec (a), gl_net_get_spec (b)));
  gl_net_get_input_shape (a, &ha, &wa, &ca);
  gl_net_get_input_shape (b, &hb, &wb, &cb);
  g_assert_cmpuint (ha, ==, hb);
  g_assert_cmpuint (wa, ==, wb);
  g_assert_cmpuint (ca, ==, cb);
  g_assert_cmpuint (gl_net_get_n_classes (a), ==, gl_net_get_n_classes (b));
  g_assert_cmpuint (gl_net_get_n_tensors (a), ==, gl_net_get_n_tensors (b));
  for (guint i = 0; i < gl_net_get_n_tensors (a); i++)
    {
      g_assert_cmpstr (gl_net_get_tensor_name (a, i), ==, gl_net_get_tensor_name (b, i));
      g_assert_cmpuint (gl_net_get_tensor_size (a, i), ==, gl_net_get_tensor_size (b, i));
      g_assert_cmpmem (gl_net_get_tensor_data (a, i), gl_net_get_tensor_size (a, i) * sizeof (float),
                       gl_net_get_tensor_data (b, i), gl_net_get_tensor_size (b, i) * sizeof (float));
    }
  pa = predict (a, 5);
  pb = predict (b, 5);
  g_assert_cmpmem (pa, 5 * gl_net_get_n_classes (a) * sizeof (float), pb,
                   5 * gl_net_get_n_classes (b) * sizeof (float));
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (1);
  g_autoptr (GlNet) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *before = NULL;
  GlModelMeta meta;

  /* Inference first, as the app does (score, then save): whatever it caches
   * (e.g. batch norm folded into weights) must not leak into the file. */
  before = predict (net, 5);
  save_or_die (net, f->path);
  g_assert_cmpuint (count_other_files (f->dir, "model.glm"), ==, 0);

  loaded = gl_model_file_load (f->path, &meta, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  assert_same_net (net, loaded);
  {
    g_autofree float *after = predict (loaded, 5);
    g_assert_cmpmem (before, 5 * N_CLASSES * sizeof (float), after, 5 * N_CLASSES * sizeof (float));
  }

  g_assert_cmpuint (g_strv_length (meta.class_names), ==, 3);
  g_assert_cmpstr (meta.class_names[0], ==, "boot");
  g_assert_cmpstr (meta.class_names[2], ==, "sneaker ✓");
  g_assert_cmpint (meta.created, ==, 1764000000);
  g_assert_cmpuint (meta.n_labels, ==, 1234);
  g_assert_cmpuint (g_hash_table_size (meta.extra), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (meta.extra, "labels"), ==, "human");
  g_assert_cmpstr (g_hash_table_lookup (meta.extra, "project"), ==, "shoes");
  gl_model_meta_clear (&meta);

  /* Saving the loaded net again gives the same bytes. */
  {
    g_autofree char *again = g_build_filename (f->dir, "again.glm", NULL);
    g_autoptr (GBytes) a = NULL, b = NULL;

    save_or_die (loaded, again);
    a = read_bytes (f->path);
    b = read_bytes (again);
    g_assert_true (g_bytes_equal (a, b));
  }
}

static void
test_no_meta (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (2);
  g_autoptr (GlNet) loaded = NULL;
  g_autoptr (GError) error = NULL;
  GlModelMeta meta;
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_true (gl_model_file_save (net, NULL, f->path, &error));
  g_assert_no_error (error);
  loaded = gl_model_file_load (f->path, &meta, &error);
  g_assert_no_error (error);
  assert_same_net (net, loaded);
  /* One (empty) name per class, the time of saving, no extra keys. */
  g_assert_cmpuint (g_strv_length (meta.class_names), ==, N_CLASSES);
  g_assert_cmpstr (meta.class_names[1], ==, "");
  g_assert_cmpint (meta.created, >=, before);
  g_assert_cmpint (meta.created, <=, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpuint (g_hash_table_size (meta.extra), ==, 0);
  gl_model_meta_clear (&meta);

  /* And a NULL meta on load. */
  g_clear_pointer (&loaded, gl_net_free);
  loaded = gl_model_file_load (f->path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
}

static void
test_wrong_class_names (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (3);
  g_autoptr (GError) error = NULL;
  const char *names[] = { "a", "b", NULL };
  GlModelMeta meta;

  gl_model_meta_init (&meta);
  meta.class_names = (char **) names;
  g_assert_false (gl_model_file_save (net, &meta, f->path, &error));
  g_assert_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (count_other_files (f->dir, "none"), ==, 0);
}

static void
test_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (4);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *cut = g_build_filename (f->dir, "cut.glm", NULL);
  const guint8 *d;
  gsize len, n_tried = 0;

  save_or_die (net, f->path);
  bytes = read_bytes (f->path);
  d = g_bytes_get_data (bytes, &len);
  /* Every length from 0 to one byte short (the file is about 2 kB). */
  g_assert_cmpuint (len, <, 64 * 1024);
  for (gsize off = 0; off < len; off++)
    {
      gint code;

      write_bytes (cut, d, off);
      code = load_must_fail (cut);
      g_assert_true (code == GL_MODEL_FILE_ERROR_FORMAT || code == GL_MODEL_FILE_ERROR_CORRUPT);
      if (off >= 8)
        g_assert_cmpint (code, ==, GL_MODEL_FILE_ERROR_CORRUPT);
      n_tried++;
    }
  g_test_message ("%" G_GSIZE_FORMAT " truncations of a %" G_GSIZE_FORMAT "-byte file", n_tried, len);
  g_assert_cmpuint (n_tried, ==, len);

  /* A byte too many is an error as well. */
  {
    g_autofree guint8 *longer = g_malloc0 (len + 1);
    memcpy (longer, d, len);
    write_bytes (cut, longer, len + 1);
    g_assert_cmpint (load_must_fail (cut), ==, GL_MODEL_FILE_ERROR_CORRUPT);
  }
}

static void
test_bit_flips (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (5);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *bad = g_build_filename (f->dir, "flipped.glm", NULL);
  g_autofree guint8 *copy = NULL;
  const guint8 *d;
  gsize len;
  GlRng rng;

  save_or_die (net, f->path);
  bytes = read_bytes (f->path);
  d = g_bytes_get_data (bytes, &len);
  copy = g_memdup2 (d, len);
  gl_rng_init (&rng, 2024);
  for (guint i = 0; i < 300; i++)
    {
      /* Half in the first 256 bytes (header, spec, counts), half anywhere. */
      gsize pos = (i % 2) ? gl_rng_below (&rng, MIN (len, 256)) : gl_rng_below (&rng, len);
      guint8 mask = (guint8) (1u << gl_rng_below (&rng, 8));

      copy[pos] ^= mask;
      write_bytes (bad, copy, len);
      load_must_fail (bad);
      copy[pos] ^= mask;
    }
  /* Restored, it loads. */
  write_bytes (bad, copy, len);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GlNet) ok = gl_model_file_load (bad, NULL, &error);
    g_assert_no_error (error);
    assert_same_net (net, ok);
  }
}

static void
test_wrong_magic_and_version (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (6);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *bad = g_build_filename (f->dir, "bad.glm", NULL);
  g_autofree guint8 *copy = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *d;
  gsize len;
  guint32 v = GUINT32_TO_LE (GL_MODEL_FILE_VERSION + 1);

  save_or_die (net, f->path);
  bytes = read_bytes (f->path);
  d = g_bytes_get_data (bytes, &len);
  copy = g_memdup2 (d, len);

  memcpy (copy + 8, &v, 4);
  write_bytes (bad, copy, len);
  g_assert_null (gl_model_file_load (bad, NULL, &error));
  g_assert_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, bad));
  g_assert_nonnull (strstr (error->message, "version 2"));
  g_clear_error (&error);

  memcpy (copy, "GLEANMDX", 8);
  write_bytes (bad, copy, len);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_FORMAT);

  write_bytes (bad, (const guint8 *) "", 0);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_FORMAT);
  write_bytes (bad, (const guint8 *) "\x89PNG\r\n\x1a\n and more", 17);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_FORMAT);

  g_assert_cmpint (load_must_fail (f->dir), ==, GL_MODEL_FILE_ERROR_FORMAT); /* a folder */
  {
    g_autofree char *missing = g_build_filename (f->dir, "missing.glm", NULL);
    g_assert_cmpint (load_must_fail (missing), ==, GL_MODEL_FILE_ERROR_IO);
  }
}

/* The bytes of the file at @path with the spec string replaced by @spec (or
 * a u32 of the shape replaced when @field ≥ 0: 0 h, 1 w, 2 c, 3 classes), the
 * recorded size and the checksum made right again: a well-formed file that
 * does not describe its tensors. */
static void
rewrite (const char *from, const char *to, const char *spec, gint field, guint32 value)
{
  g_autoptr (GBytes) bytes = read_bytes (from);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  const guint8 *d;
  gsize len, digest_len = 32;
  guint32 old_len, new_len;
  guint64 size;
  guint8 digest[32];

  d = g_bytes_get_data (bytes, &len);
  memcpy (&old_len, d + 24, 4);
  old_len = GUINT32_FROM_LE (old_len);
  g_byte_array_append (out, d, 24);
  if (spec)
    {
      new_len = GUINT32_TO_LE ((guint32) strlen (spec));
      g_byte_array_append (out, (const guint8 *) &new_len, 4);
      g_byte_array_append (out, (const guint8 *) spec, (guint) strlen (spec));
    }
  else
    g_byte_array_append (out, d + 24, 4 + old_len);
  g_byte_array_append (out, d + 28 + old_len, (guint) (len - 32 - 28 - old_len));
  if (field >= 0)
    {
      guint32 le = GUINT32_TO_LE (value);
      memcpy (out->data + 28 + (spec ? strlen (spec) : old_len) + 4 * (gsize) field, &le, 4);
    }
  size = GUINT64_TO_LE ((guint64) out->len + 32);
  memcpy (out->data + 16, &size, 8);
  g_checksum_update (sha, out->data, out->len);
  g_checksum_get_digest (sha, digest, &digest_len);
  g_byte_array_append (out, digest, 32);
  write_bytes (to, out->data, out->len);
}

static void
test_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) net = make_net (7);
  g_autofree char *bad = g_build_filename (f->dir, "bad.glm", NULL);

  save_or_die (net, f->path);

  /* The unchanged rewrite loads: the helper itself is right. */
  rewrite (f->path, bad, NULL, -1, 0);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GlNet) ok = gl_model_file_load (bad, NULL, &error);
    g_assert_no_error (error);
    assert_same_net (net, ok);
  }

  /* Another network: tensor sizes differ. */
  rewrite (f->path, bad, "conv5k3s1p1,bn,relu,maxpool2s2,conv6k3s2p0,relu,dense8,relu", -1, 0);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  /* Fewer layers: fewer tensors. */
  rewrite (f->path, bad, "conv4k3s1p1,relu,maxpool2s2,conv6k3s2p0,relu,dense8,relu", -1, 0);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  /* Not a spec at all. */
  rewrite (f->path, bad, "conv4k3s1p1,teleport,dense8", -1, 0);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  /* A spec asking for billions of weights: refused before building. */
  rewrite (f->path, bad, "dense2000000000,relu,dense2000000000", -1, 0);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  /* Another input shape, channel count, class count. */
  rewrite (f->path, bad, NULL, 0, 16);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  rewrite (f->path, bad, NULL, 2, 3);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  /* 4 classes: the names then run into the metadata count; whatever it
   * reads, the classifier's size differs from the file's. */
  rewrite (f->path, bad, NULL, 3, 4);
  load_must_fail (bad);
  /* Absurd shapes are refused without building anything. */
  rewrite (f->path, bad, NULL, 0, 0);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  rewrite (f->path, bad, NULL, 1, G_MAXUINT32);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_MISMATCH);
  /* A class count that promises more names than there are bytes. */
  rewrite (f->path, bad, NULL, 3, G_MAXUINT32);
  g_assert_cmpint (load_must_fail (bad), ==, GL_MODEL_FILE_ERROR_CORRUPT);
}

/* The new file would be larger than the process may write: the write fails
 * part-way, the old file is intact and no temporary file is left. */
static void
test_failed_write_keeps_old (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) old_net = make_net (8);
  g_autoptr (GlNet) new_net = make_net (9);
  g_autoptr (GBytes) before = NULL, after = NULL;
  g_autoptr (GError) error = NULL;
  struct rlimit saved, small;
  void (*old_handler) (int);

  save_or_die (old_net, f->path);
  before = read_bytes (f->path);

  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  small = saved;
  small.rlim_cur = g_bytes_get_size (before) / 2;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &small), ==, 0);
  g_assert_false (gl_model_file_save (new_net, NULL, f->path, &error));
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  signal (SIGXFSZ, old_handler);

  g_assert_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, f->path));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  after = read_bytes (f->path);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpuint (count_other_files (f->dir, "model.glm"), ==, 0);
  {
    g_autoptr (GlNet) loaded = gl_model_file_load (f->path, NULL, &error);
    g_assert_no_error (error);
    assert_same_net (old_net, loaded);
  }
}

/* An unwritable folder (as a user; root writes anyway), a missing folder,
 * and a folder in the way of the file: errors, nothing left behind. */
static void
test_unwritable (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) old_net = make_net (10);
  g_autoptr (GlNet) new_net = make_net (11);
  g_autoptr (GBytes) before = NULL, after = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "no", "such", "model.glm", NULL);
  g_autofree char *in_the_way = g_build_filename (f->dir, "folder.glm", NULL);

  save_or_die (old_net, f->path);
  before = read_bytes (f->path);

  if (geteuid () != 0)
    {
      g_assert_cmpint (g_chmod (f->dir, 0555), ==, 0);
      g_assert_false (gl_model_file_save (new_net, NULL, f->path, &error));
      g_assert_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_IO);
      g_assert_nonnull (strstr (error->message, f->path));
      g_clear_error (&error);
      g_assert_cmpint (g_chmod (f->dir, 0755), ==, 0);
      after = read_bytes (f->path);
      g_assert_true (g_bytes_equal (before, after));
    }
  else
    g_test_message ("running as root: permissions are not enforced, the read-only folder case is skipped");

  g_assert_false (gl_model_file_save (new_net, NULL, missing, &error));
  g_assert_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir (in_the_way, 0755), ==, 0);
  g_assert_false (gl_model_file_save (new_net, NULL, in_the_way, &error));
  g_assert_error (error, GL_MODEL_FILE_ERROR, GL_MODEL_FILE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, in_the_way));
  g_clear_error (&error);
  g_assert_true (g_file_test (in_the_way, G_FILE_TEST_IS_DIR));
  /* model.glm and folder.glm only: no temporary file left. */
  g_assert_cmpuint (count_other_files (f->dir, "model.glm"), ==, 1);
  g_assert_true (g_bytes_equal (before, after ? after : before));
}

/* The networks the app uses, at their real sizes (the reference CNN's file
 * is about 1.7 MB): exact round trips. */
static void
test_default_specs (Fixture *f, gconstpointer data)
{
  struct
  {
    GlNetSpec *(*spec) (void);
    guint h, w, c, k;
  } cases[] = {
    { gl_net_spec_reference, 28, 28, 1, 10 },
    { gl_net_spec_default_grey, 28, 28, 1, 10 },
    { gl_net_spec_default_colour, 64, 64, 3, 5 },
    { gl_net_spec_default_colour, 32, 48, 3, 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GlNetSpec) spec = cases[i].spec ();
      g_autoptr (GError) error = NULL;
      g_autoptr (GlNet) net = gl_net_new (spec, cases[i].h, cases[i].w, cases[i].c, cases[i].k, i, &error);
      g_autoptr (GlNet) loaded = NULL;

      g_assert_no_error (error);
      g_assert_true (gl_model_file_save (net, NULL, f->path, &error));
      g_assert_no_error (error);
      loaded = gl_model_file_load (f->path, NULL, &error);
      g_assert_no_error (error);
      assert_same_net (net, loaded);
    }
}

/* Saving over an existing file replaces it whole. */
static void
test_replace (Fixture *f, gconstpointer data)
{
  g_autoptr (GlNet) a = make_net (12);
  g_autoptr (GlNet) b = make_net (13);
  g_autoptr (GlNet) loaded = NULL;
  g_autoptr (GError) error = NULL;

  save_or_die (a, f->path);
  save_or_die (b, f->path);
  loaded = gl_model_file_load (f->path, NULL, &error);
  g_assert_no_error (error);
  assert_same_net (b, loaded);
  g_assert_cmpuint (count_other_files (f->dir, "model.glm"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/model-file/round-trip", test_round_trip);
  ADD ("/model-file/no-meta", test_no_meta);
  ADD ("/model-file/wrong-class-names", test_wrong_class_names);
  ADD ("/model-file/truncated", test_truncated);
  ADD ("/model-file/bit-flips", test_bit_flips);
  ADD ("/model-file/wrong-magic-and-version", test_wrong_magic_and_version);
  ADD ("/model-file/mismatch", test_mismatch);
  ADD ("/model-file/failed-write-keeps-old", test_failed_write_keeps_old);
  ADD ("/model-file/unwritable", test_unwritable);
  ADD ("/model-file/replace", test_replace);
  ADD ("/model-file/default-specs", test_default_specs);
#undef ADD
  return g_test_run ();
}
