/* Unit tests of stored file names (gl-path.h) and of the nearest-name hint
 * (gl-names.h). */
#include "app/gl-names.h"
#include "app/gl-path.h"

#include <string.h>

static void
assert_round_trip (const char *bytes)
{
  g_autofree char *stored = gl_path_encode (bytes);
  g_assert_true (g_utf8_validate (stored, -1, NULL));
  g_autofree char *back = gl_path_decode (stored);
  g_assert_cmpstr (back, ==, bytes);
  g_assert_true (gl_path_is_escaped (stored) == !g_str_equal (stored, bytes));
}

static void
test_path_round_trip (void)
{
  /* UTF-8 is stored as it is. */
  g_autofree char *utf8 = gl_path_encode ("/x/café 😀.png");
  g_assert_cmpstr (utf8, ==, "/x/café 😀.png");
  g_assert_false (gl_path_is_escaped (utf8));
  /* Latin-1: stored escaped, shown as itself. */
  g_autofree char *latin1 = gl_path_encode ("/x/caf\xe9.png");
  g_assert_true (gl_path_is_escaped (latin1));
  g_autofree char *shown = gl_path_display (latin1);
  g_assert_cmpstr (shown, ==, "/x/café.png");
  g_assert_cmpstr (latin1, !=, shown); /* the same as the UTF-8 name only when shown */
  assert_round_trip ("/x/caf\xe9.png");
  /* A character of the escape range in a UTF-8 name stays distinct from the
   * bytes it would stand for. */
  assert_round_trip ("/x/\xf4\x8f\xbf\xa9.png");
  g_autofree char *a = gl_path_encode ("\xf4\x8f\xbf\xa9");
  g_autofree char *b = gl_path_encode ("\xa9");
  g_assert_cmpstr (a, !=, b);
  /* Random byte strings. */
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  for (guint n = 0; n < 5000; n++)
    {
      char buf[24];
      guint len = (guint)g_rand_int_range (rand, 1, sizeof buf);
      for (guint i = 0; i < len; i++)
        {
          /* Mostly bytes around the UTF-8 lead and escape ranges. */
          static const guchar picks[]
              = { 'a', '/', 0x80, 0xa9, 0xbf, 0xc3, 0xe9, 0xef, 0xf0, 0xf4, 0x8f, 0xff };
          buf[i] = (char)(g_rand_boolean (rand) ? picks[g_rand_int_range (rand, 0, sizeof picks)]
                                                : g_rand_int_range (rand, 1, 256));
        }
      buf[len] = '\0';
      assert_round_trip (buf);
    }
}

static void
test_names (void)
{
  g_assert_cmpuint (gl_names_distance ("boot", "Boot"), ==, 0);
  g_assert_cmpuint (gl_names_distance ("sneaker", "sneakr"), ==, 1);
  g_assert_cmpuint (gl_names_distance ("", "abc"), ==, 3);
  g_assert_cmpuint (gl_names_distance ("kätzchen", "katzchen"), ==, 1);
  const char *classes[] = { "boot", "sandal", "sneaker", NULL };
  g_assert_cmpstr (gl_names_nearest ("Boot", classes), ==, "boot");
  g_assert_cmpstr (gl_names_nearest ("sneakr", classes), ==, "sneaker");
  g_assert_null (gl_names_nearest ("trousers", classes));
  g_autofree char *hint = gl_names_hint ("classes", "sandle", classes);
  g_assert_cmpstr (hint, ==, "(classes: boot, sandal, sneaker; did you mean “sandal”?)");
  const char *none[] = { NULL };
  g_autofree char *empty = gl_names_hint ("classes", "x", none);
  g_assert_cmpstr (empty, ==, "(no classes)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/path/round-trip", test_path_round_trip);
  g_test_add_func ("/names/nearest", test_names);
  return g_test_run ();
}
