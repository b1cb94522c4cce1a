/* gl-csv.c — see gl-csv.h. */
#include "app/gl-csv.h"

#include <string.h>

static void
csv_record_clear (gpointer data)
{
  GlCsvRecord *r = data;
  g_clear_pointer (&r->fields, g_ptr_array_unref);
}

/* RFC 4180: fields separated by commas, optionally quoted with "", where
 * a doubled quote stands for one; records end at LF or CRLF. A quoted field
 * that never ends makes its record malformed; parsing goes on at the line
 * after the one it started on. */
GArray *
gl_csv_parse (const char *text, gsize len)
{
  GArray *records = g_array_new (FALSE, TRUE, sizeof (GlCsvRecord));
  g_array_set_clear_func (records, csv_record_clear);
  gsize i = 0;
  guint line = 1;
  while (i < len)
    {
      GlCsvRecord rec = { g_ptr_array_new_with_free_func (g_free), line, NULL };
      gsize record_start = i;
      GString *field = g_string_new (NULL);
      for (;;)
        {
          if (i < len && text[i] == '"')
            {
              i++;
              while (i < len && !(text[i] == '"' && !(i + 1 < len && text[i + 1] == '"')))
                {
                  if (text[i] == '"')
                    i++; /* a doubled quote */
                  else if (text[i] == '\n')
                    line++;
                  g_string_append_c (field, text[i++]);
                }
              if (i >= len)
                {
                  rec.bad = "unterminated quoted field";
                  break;
                }
              i++; /* the closing quote */
            }
          while (i < len && text[i] != ',' && text[i] != '\n'
                 && !(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
            g_string_append_c (field, text[i++]);
          g_ptr_array_add (rec.fields, g_string_free (g_steal_pointer (&field), FALSE));
          if (i < len && text[i] == ',')
            {
              i++;
              field = g_string_new (NULL);
              continue;
            }
          if (i < len && text[i] == '\r')
            i++;
          if (i < len && text[i] == '\n')
            i++;
          line++;
          break;
        }
      if (rec.bad != NULL)
        {
          g_string_free (field, TRUE);
          g_clear_pointer (&rec.fields, g_ptr_array_unref);
          const char *nl = memchr (text + record_start, '\n', len - record_start);
          i = nl ? (gsize)(nl - text) + 1 : len;
          line = rec.line + 1;
        }
      g_array_append_val (records, rec);
    }
  return records;
}

void
gl_csv_parse_imagefolder_manifest (const char *text, gsize len, GHashTable *classes, GHashTable *splits,
                                   GHashTable *others)
{
  g_autoptr (GArray) records = gl_csv_parse (text, len);
  for (guint r = 0; r < records->len; r++)
    {
      const GlCsvRecord *rec = &g_array_index (records, GlCsvRecord, r);
      if (rec->fields == NULL || rec->fields->len < 3)
        continue;
      const char *kind = rec->fields->pdata[0], *folder = rec->fields->pdata[1],
                 *name = rec->fields->pdata[2];
      if (folder[0] == '\0' || strchr (folder, '/') != NULL)
        continue;
      if (strcmp (kind, "class") == 0 && name[0] != '\0' && g_utf8_validate (name, -1, NULL))
        g_hash_table_insert (classes, g_strdup (folder), g_strdup (name));
      else if (strcmp (kind, "split") == 0)
        g_hash_table_add (splits, g_strdup (folder));
      else if (strcmp (kind, "other") == 0)
        g_hash_table_add (others, g_strdup (folder));
    }
}
