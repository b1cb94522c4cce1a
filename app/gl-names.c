/* gl-names.c — see gl-names.h. */
#include "app/gl-names.h"

#include <string.h>

/* @s as an array of case-folded characters; *n its length. */
static gunichar *
fold_chars (const char *s, guint *n)
{
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  g_autofree char *folded = g_utf8_casefold (valid, -1);
  glong len = 0;
  gunichar *chars = g_utf8_to_ucs4_fast (folded, -1, &len);
  *n = (guint)len;
  return chars;
}

guint
gl_names_distance (const char *a, const char *b)
{
  guint na, nb;
  g_autofree gunichar *x = fold_chars (a, &na);
  g_autofree gunichar *y = fold_chars (b, &nb);
  /* One row of the dynamic programme at a time. */
  g_autofree guint *row = g_new (guint, nb + 1);
  for (guint j = 0; j <= nb; j++)
    row[j] = j;
  for (guint i = 1; i <= na; i++)
    {
      guint diag = row[0];
      row[0] = i;
      for (guint j = 1; j <= nb; j++)
        {
          guint up = row[j];
          guint best = diag + (x[i - 1] == y[j - 1] ? 0 : 1);
          best = MIN (best, up + 1);
          best = MIN (best, row[j - 1] + 1);
          row[j] = best;
          diag = up;
        }
    }
  return row[nb];
}

const char *
gl_names_nearest (const char *name, const char *const *names)
{
  const char *best = NULL;
  guint best_d = G_MAXUINT;
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      guint d = gl_names_distance (name, names[i]);
      if (d < best_d)
        {
          best_d = d;
          best = names[i];
        }
    }
  if (best == NULL)
    return NULL;
  guint longest = (guint)MAX (g_utf8_strlen (name, -1), g_utf8_strlen (best, -1));
  return best_d <= MAX (1u, longest / 3) ? best : NULL;
}

char *
gl_names_hint (const char *what, const char *name, const char *const *names)
{
  guint n = names ? g_strv_length ((char **)names) : 0;
  if (n == 0)
    return g_strdup_printf ("(no %s)", what);
  GString *out = g_string_new ("(");
  g_string_append_printf (out, "%s: ", what);
  for (guint i = 0; i < n && i < 20; i++)
    g_string_append_printf (out, "%s%s", i ? ", " : "", names[i]);
  if (n > 20)
    g_string_append_printf (out, ", … %u more", n - 20);
  const char *near = gl_names_nearest (name, names);
  if (near != NULL)
    g_string_append_printf (out, "; did you mean “%s”?", near);
  g_string_append_c (out, ')');
  return g_string_free (out, FALSE);
}
