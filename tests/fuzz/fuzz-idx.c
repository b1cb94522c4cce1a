/* fuzz-idx.c — the IDX reader (plain and gzip) on any file: an error or a
 * file whose items fit the bytes read. */
#include "fuzz.h"

#include "app/gl-idx.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *path = g_build_filename (fuzz_tmp_dir (), "input-idx3-ubyte", NULL);
  fuzz_write (path, data, size);
  GError *error = NULL;
  GlIdx *idx = gl_idx_read (path, 0, &error);
  if (idx == NULL)
    FUZZ_CHECK (error != NULL && error->message[0] != '\0', "a failure says why");
  else
    {
      gsize total = (gsize)idx->dims[0] * idx->item_size;
      FUZZ_CHECK (idx->ndims >= 1 && idx->ndims <= GL_IDX_MAX_DIMS, "dimensions in range");
      if (total > 0)
        FUZZ_CHECK (idx->data[total - 1] == idx->data[total - 1], "the last item is readable");
      gl_idx_free (idx);
    }
  g_clear_error (&error);
  guint rows, cols, ch;
  g_autoptr (GlIdx) images = gl_idx_read_images (path, &rows, &cols, &ch, &error);
  g_clear_error (&error);
  g_autoptr (GlIdx) labels = gl_idx_read_labels (path, &error);
  g_clear_error (&error);
  return 0;
}
