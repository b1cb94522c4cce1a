/* fuzz-model-file.c — the model-file loader. The input is taken as a model
 * file as it is when its first byte is odd; otherwise its recorded size and
 * SHA-256 checksum are made right first, so that the fuzzer reaches the
 * parsing behind the checksum (counts, spec, shapes, tensors). A load either
 * fails with a message or gives a network that predicts. */
#include "fuzz.h"

#include <math.h>
#include <string.h>

#include "engine/gl-model-file.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  g_autofree char *path = g_build_filename (fuzz_tmp_dir (), "model.glm", NULL);
  gboolean raw = data[0] & 1;
  data++;
  size--;
  if (raw || size < 24)
    fuzz_write (path, data, size);
  else
    {
      g_autofree guint8 *file = g_malloc (size + 32);
      memcpy (file, data, size);
      guint64 total = GUINT64_TO_LE ((guint64)size + 32);
      memcpy (file + 16, &total, 8);
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      g_checksum_update (sum, file, size);
      gsize n = 32;
      g_checksum_get_digest (sum, file + size, &n);
      fuzz_write (path, file, size + 32);
    }
  GlModelMeta meta;
  gl_model_meta_init (&meta);
  GError *error = NULL;
  GlNet *net = gl_model_file_load (path, &meta, &error);
  if (net == NULL)
    {
      FUZZ_CHECK (error != NULL && error->message[0] != '\0', "a failure says why");
      g_clear_error (&error);
      return 0;
    }
  guint n_classes = gl_net_get_n_classes (net);
  FUZZ_CHECK (meta.class_names != NULL && g_strv_length (meta.class_names) == n_classes,
              "one name per class");
  guint h, w, c;
  gl_net_get_input_shape (net, &h, &w, &c);
  g_autofree float *x = g_new0 (float, (gsize)h *w *c); /* (1, h, w, c) */
  g_autofree float *probs = g_new0 (float, n_classes);  /* (1, n_classes) */
  gl_net_forward_floats (net, x, 1, probs, NULL);
  double total = 0;
  for (guint k = 0; k < n_classes; k++)
    total += probs[k];
  /* Weights from the file may be anything, NaN included; unless that
   * makes the output NaN, it is a distribution (softmax subtracts the max). */
  FUZZ_CHECK (isnan (total) || fabs (total - 1) < 1e-3, "probabilities sum to 1");
  gl_model_meta_clear (&meta);
  gl_net_free (net);
  return 0;
}
