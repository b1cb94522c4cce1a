/* fuzz-decode.c — the image decode path of an import: the size limits
 * (gl_decode_bytes refuses images over the pixel limits before decoding
 * them), then the resize to a model input of both shapes. */
#include "fuzz.h"

#include "app/gl-decode.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *reason = NULL;
  g_autoptr (GdkPixbuf) pb = gl_decode_bytes (data, size, 28, &reason);
  if (pb == NULL)
    {
      FUZZ_CHECK (reason != NULL && reason[0] != '\0', "a refusal says why");
      return 0;
    }
  FUZZ_CHECK (gdk_pixbuf_get_width (pb) > 0 && gdk_pixbuf_get_height (pb) > 0, "a decoded image has pixels");
  guint8 grey[28 * 28], rgb[16 * 24 * 3];
  gl_decode_to_input (pb, 28, 28, 1, grey);
  gl_decode_to_input (pb, 16, 24, 3, rgb);
  return 0;
}
