/* fuzz-csv.c — the CSV manifest parser (app/gl-csv.h) on any bytes:
 * records in order of their lines, every well-formed record with at least
 * one field, every field inside the input's length. */
#include "fuzz.h"

#include <string.h>

#include "app/gl-csv.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GArray) records = gl_csv_parse ((const char *)data, size);
  guint last_line = 0;
  for (guint r = 0; r < records->len; r++)
    {
      const GlCsvRecord *rec = &g_array_index (records, GlCsvRecord, r);
      FUZZ_CHECK (rec->line > last_line, "records come in line order");
      last_line = rec->line;
      FUZZ_CHECK ((rec->fields == NULL) == (rec->bad != NULL), "malformed exactly when it has no fields");
      for (guint f = 0; rec->fields && f < rec->fields->len; f++)
        FUZZ_CHECK (strlen (rec->fields->pdata[f]) <= size, "a field is no longer than the input");
    }
  return 0;
}
