/* Unit tests of safe decoding: every bad-file kind and the resize rule. */
#include "app/gl-decode.h"
#include "app/gl-project.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GError *error = NULL;
  fx->dir = g_dir_make_tmp ("gl-decode-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gl_remove_tree (fx->dir);
  g_free (fx->dir);
}

/* A @w × @h RGBA pixbuf filled by column colours cols[x % ncols] (RGBA). */
static GdkPixbuf *
make_pixbuf (int w, int h, const guint8 (*cols)[4], int ncols)
{
  GdkPixbuf *pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, w, h);
  guint8 *px = gdk_pixbuf_get_pixels (pb); /* (h, rowstride) */
  int rs = gdk_pixbuf_get_rowstride (pb);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy (px + y * rs + x * 4, cols[x % ncols], 4);
  return pb;
}

static char *
save_png (Fixture *fx, const char *name, GdkPixbuf *pb)
{
  GError *error = NULL;
  char *path = g_build_filename (fx->dir, name, NULL);
  gdk_pixbuf_save (pb, path, "png", &error, NULL);
  g_assert_no_error (error);
  return path;
}

static void
assert_bad (const char *path, const char *expected_reason_prefix)
{
  guint8 out[4];
  g_autofree char *reason = NULL;
  g_assert_false (gl_decode_file (path, 2, 2, 1, out, &reason));
  g_assert_nonnull (reason);
  if (!g_str_has_prefix (reason, expected_reason_prefix))
    g_error ("%s: reason “%s” does not start with “%s”", path, reason, expected_reason_prefix);
}

static void
test_good_and_truncated (Fixture *fx, gconstpointer data)
{
  const guint8 cols[2][4] = { { 10, 20, 30, 255 }, { 40, 50, 60, 255 } };
  g_autoptr (GdkPixbuf) pb = make_pixbuf (64, 64, cols, 2);
  g_autofree char *path = save_png (fx, "good.png", pb);
  guint8 out[28 * 28 * 3]; /* (28, 28, 3) at most */
  g_autofree char *reason = NULL;
  g_assert_true (gl_decode_file (path, 16, 16, 3, out, &reason));
  g_assert_null (reason);

  /* Truncated: the first half of the file. */
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_autofree char *cut = g_build_filename (fx->dir, "cut.png", NULL);
  g_assert_true (g_file_set_contents (cut, contents, (gssize) len / 2, NULL));
  assert_bad (cut, "corrupt or truncated");

  /* JPEG, truncated too. */
  g_autofree char *jpg = g_build_filename (fx->dir, "good.jpg", NULL);
  g_autoptr (GdkPixbuf) rgb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 300, 200);
  gdk_pixbuf_fill (rgb, 0x808080ff);
  g_assert_true (gdk_pixbuf_save (rgb, jpg, "jpeg", NULL, NULL));
  g_clear_pointer (&reason, g_free);
  g_assert_true (gl_decode_file (jpg, 28, 28, 1, out, &reason));
  g_assert_cmpint (abs ((int) out[0] - 128), <=, 2);
}

static void
test_bad_kinds (Fixture *fx, gconstpointer data)
{
  g_autofree char *zero = g_build_filename (fx->dir, "zero.png", NULL);
  g_assert_true (g_file_set_contents (zero, "", 0, NULL));
  assert_bad (zero, "zero-byte");

  g_autofree char *text = g_build_filename (fx->dir, "notes.png", NULL);
  g_assert_true (g_file_set_contents (text, "just some text, not pixels\n", -1, NULL));
  assert_bad (text, "not an image");

  assert_bad (fx->dir, "unreadable: is a directory");
  g_autofree char *missing = g_build_filename (fx->dir, "missing.png", NULL);
  assert_bad (missing, "unreadable");

  /* chmod 000 only bites when not root. */
  if (geteuid () != 0)
    {
      g_autofree char *locked = g_build_filename (fx->dir, "locked.png", NULL);
      g_assert_true (g_file_set_contents (locked, "x", 1, NULL));
      g_chmod (locked, 0);
      assert_bad (locked, "unreadable");
    }

  /* A non-UTF-8 (Latin-1) name is a name like any other. */
  g_autofree char *latin1 = g_build_filename (fx->dir, "caf\xe9.png", NULL);
  const guint8 cols[1][4] = { { 1, 2, 3, 255 } };
  g_autoptr (GdkPixbuf) pb = make_pixbuf (4, 4, cols, 1);
  g_assert_true (gdk_pixbuf_save (pb, latin1, "png", NULL, NULL));
  guint8 out[4];
  g_autofree char *reason = NULL;
  g_assert_true (gl_decode_file (latin1, 2, 2, 1, out, &reason));
  g_assert_null (reason);
}

static guint32
crc32_png (const guint8 *p, gsize n)
{
  guint32 c = 0xffffffffu;
  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
  return c ^ 0xffffffffu;
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* A 1×1 24-bit BMP's file and info headers (54 bytes). */
static const guint8 tiny_bmp_header[54] = { 'B', 'M', 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0,
                                            1, 0, 0, 0, 1, 0, 24, 0 };

static void
test_bomb (Fixture *fx, gconstpointer data)
{
  /* A PNG whose header claims 100000×100000 RGBA (40 GB of pixels). */
  guint8 png[8 + 25 + 12 + 64] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 *ihdr = png + 8;
  put_be32 (ihdr, 13);
  memcpy (ihdr + 4, "IHDR", 4);
  put_be32 (ihdr + 8, 100000);
  put_be32 (ihdr + 12, 100000);
  ihdr[16] = 8; /* bit depth */
  ihdr[17] = 6; /* RGBA */
  put_be32 (ihdr + 21, crc32_png (ihdr + 4, 17));
  guint8 *idat = ihdr + 25;
  put_be32 (idat, 64);
  memcpy (idat + 4, "IDAT", 4);
  memset (idat + 8, 0, 64);
  put_be32 (idat + 72 - 0, crc32_png (idat + 4, 68));
  g_autofree char *path = g_build_filename (fx->dir, "bomb.png", NULL);
  g_assert_true (g_file_set_contents (path, (const char *) png, sizeof png, NULL));
  assert_bad (path, "dimensions 100000×100000 over the limit");

  g_autofree char *reason = NULL;
  g_assert_null (gl_decode_bytes (png, sizeof png, 0, &reason));
  g_assert_true (g_str_has_prefix (reason, "dimensions"));

  /* A BMP whose info header claims 4 GB (fuzz-decode: GdkPixbuf allocated
   * it), then a header cut short: refused before the loader sees them. */
  static const guint8 bmp[58] = { 'B', 'M', 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0, 0xff, 0xff, 0xff, 40 };
  g_clear_pointer (&reason, g_free);
  g_assert_null (gl_decode_bytes (bmp, sizeof bmp, 0, &reason));
  g_assert_cmpstr (reason, ==, "corrupt BMP: an info header of 4294967040 bytes in a file of 58");
  g_clear_pointer (&reason, g_free);
  g_assert_null (gl_decode_bytes (bmp, 17, 0, &reason));
  g_assert_cmpstr (reason, ==, "corrupt BMP: the file ends inside its header");
  /* Pixels said to start 4 GB in (GdkPixbuf allocated up to there). */
  guint8 far[55];
  memcpy (far, tiny_bmp_header, sizeof tiny_bmp_header);
  memset (far + sizeof tiny_bmp_header, 0, sizeof far - sizeof tiny_bmp_header);
  far[10] = 0xc9, far[11] = far[12] = far[13] = 0xff;
  g_clear_pointer (&reason, g_free);
  g_assert_null (gl_decode_bytes (far, sizeof far, 0, &reason));
  g_assert_cmpstr (reason, ==, "corrupt BMP: pixels at byte 4294967241 of a file of 55");
  /* A palette of 2^32 - 1 colours (fuzz-decode: GdkPixbuf allocated 16 GB
   * for it), and one that is only longer than the file. */
  guint8 palette[58];
  memcpy (palette, tiny_bmp_header, sizeof tiny_bmp_header);
  memset (palette + sizeof tiny_bmp_header, 0, sizeof palette - sizeof tiny_bmp_header);
  palette[46] = palette[47] = palette[48] = palette[49] = 0xff;
  g_clear_pointer (&reason, g_free);
  g_assert_null (gl_decode_bytes (palette, sizeof palette, 0, &reason));
  g_assert_cmpstr (reason, ==, "corrupt BMP: a palette of 4294967295 colours in a file of 58");
  palette[46] = 2, palette[47] = palette[48] = palette[49] = 0;
  g_clear_pointer (&reason, g_free);
  g_assert_null (gl_decode_bytes (palette, sizeof palette, 0, &reason));
  g_assert_cmpstr (reason, ==, "corrupt BMP: a palette of 2 colours in a file of 58");
}

static void
test_resize_rule (Fixture *fx, gconstpointer data)
{
  /* 4×2, columns black, red, green, transparent: shorter side (2) already
   * fits a 2×2 target, so the centre crop keeps columns 1 and 2 exactly. */
  const guint8 cols[4][4] = { { 0, 0, 0, 255 }, { 255, 0, 0, 255 }, { 0, 255, 0, 255 }, { 0, 0, 0, 0 } };
  g_autoptr (GdkPixbuf) pb = make_pixbuf (4, 2, cols, 4);
  guint8 rgb[2 * 2 * 3];
  gl_decode_to_input (pb, 2, 2, 3, rgb);
  const guint8 want_rgb[] = { 255, 0, 0, 0, 255, 0, 255, 0, 0, 0, 255, 0 };
  g_assert_cmpmem (rgb, sizeof rgb, want_rgb, sizeof want_rgb);
  guint8 grey[4];
  gl_decode_to_input (pb, 2, 2, 1, grey);
  g_assert_cmpuint (grey[0], ==, 76);  /* 0.299 × 255 */
  g_assert_cmpuint (grey[1], ==, 150); /* 0.587 × 255 */

  /* 1×1 target of a 4-wide image: transparent pixels are white. */
  const guint8 clear[1][4] = { { 0, 0, 0, 0 } };
  g_autoptr (GdkPixbuf) transparent = make_pixbuf (3, 3, clear, 1);
  gl_decode_to_input (transparent, 1, 1, 1, grey);
  g_assert_cmpuint (grey[0], ==, 255);

  /* Shrinking averages the area: a black/white stripe pattern becomes grey. */
  const guint8 bw[2][4] = { { 0, 0, 0, 255 }, { 255, 255, 255, 255 } };
  g_autoptr (GdkPixbuf) stripes = make_pixbuf (64, 64, bw, 2);
  gl_decode_to_input (stripes, 2, 2, 1, grey);
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (abs ((int) grey[i] - 128), <=, 3);

  /* A tall 2×6 image into 3×3: scaled ×1.5 to cover (3×9), rows 3..5 kept;
   * the top and bottom thirds (painted blue) are cropped away. */
  g_autoptr (GdkPixbuf) tall = make_pixbuf (2, 6, cols + 1, 1);
  guint8 *tp = gdk_pixbuf_get_pixels (tall);
  int trs = gdk_pixbuf_get_rowstride (tall);
  for (int y = 0; y < 6; y++)
    if (y == 0 || y == 5)
      for (int x = 0; x < 2; x++)
        memcpy (tp + y * trs + x * 4, (const guint8[4]){ 0, 0, 255, 255 }, 4);
  guint8 out3[3 * 3 * 3]; /* (3, 3, 3) */
  gl_decode_to_input (tall, 3, 3, 3, out3);
  for (int i = 0; i < 9; i++)
    {
      g_assert_cmpint (out3[3 * i], >=, 250);   /* red */
      g_assert_cmpint (out3[3 * i + 2], <=, 5); /* no blue */
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/decode/good-and-truncated", Fixture, NULL, fixture_setup, test_good_and_truncated,
              fixture_teardown);
  g_test_add ("/decode/bad-kinds", Fixture, NULL, fixture_setup, test_bad_kinds, fixture_teardown);
  g_test_add ("/decode/bomb", Fixture, NULL, fixture_setup, test_bomb, fixture_teardown);
  g_test_add ("/decode/resize-rule", Fixture, NULL, fixture_setup, test_resize_rule, fixture_teardown);
  return g_test_run ();
}
