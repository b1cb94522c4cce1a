/* gl-path.c — see gl-path.h. */
#include "app/gl-path.h"

#include <string.h>

#define ESCAPE_BASE 0x10FF00u /* U+10FF00 + byte, for bytes 0x80…0xFF */

static gboolean
is_escape (gunichar ch)
{
  return ch >= ESCAPE_BASE + 0x80 && ch <= ESCAPE_BASE + 0xFF;
}

char *
gl_path_encode (const char *bytes)
{
  GString *out = g_string_sized_new (strlen (bytes) + 8);
  const char *p = bytes;
  while (*p)
    {
      const char *end = NULL;
      if (g_utf8_validate (p, -1, &end))
        end = p + strlen (p);
      /* The valid run [p, end): copied, except characters of the escape range. */
      while (p < end)
        {
          gunichar ch = g_utf8_get_char (p);
          const char *next = g_utf8_next_char (p);
          if (is_escape (ch))
            for (const char *q = p; q < next; q++)
              g_string_append_unichar (out, ESCAPE_BASE + (guchar)*q);
          else
            g_string_append_len (out, p, next - p);
          p = next;
        }
      if (*p)
        {
          /* An invalid byte (>= 0x80: ASCII is always valid). */
          g_string_append_unichar (out, ESCAPE_BASE + (guchar)*p);
          p++;
        }
    }
  return g_string_free (out, FALSE);
}

char *
gl_path_decode (const char *path)
{
  if (!gl_path_is_escaped (path))
    return g_strdup (path);
  GString *out = g_string_sized_new (strlen (path));
  for (const char *p = path; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      if (is_escape (ch))
        g_string_append_c (out, (char)(ch - ESCAPE_BASE));
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

char *
gl_path_display (const char *path)
{
  if (!gl_path_is_escaped (path))
    return g_strdup (path);
  GString *out = g_string_sized_new (strlen (path));
  for (const char *p = path; *p; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      g_string_append_unichar (out, is_escape (ch) ? ch - ESCAPE_BASE : ch);
    }
  return g_string_free (out, FALSE);
}

gboolean
gl_path_is_escaped (const char *path)
{
  /* Every escape is encoded as F4 8F BC..BF xx. */
  for (const char *p = strchr (path, '\xf4'); p != NULL; p = strchr (p + 1, '\xf4'))
    if (g_utf8_validate (p, MIN ((gssize)strlen (p), 4), NULL) && is_escape (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}
