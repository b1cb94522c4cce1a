/* fuzz.h — what the fuzz targets share. Each fuzz-TARGET.c defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (tests/fuzz/run,
 * clang -fsanitize=fuzzer) or with replay.c, which feeds it every file of its
 * corpus in the normal test suite. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A folder of this process's own under the temporary folder (made once,
 * removed at exit), for targets whose code under test reads files. */
const char *fuzz_tmp_dir (void);

/* Writes @data to @path (replacing it); aborts on failure. */
void fuzz_write (const char *path, const uint8_t *data, size_t size);

/* Aborts with @what when @ok is FALSE: a broken property is a finding. */
#define FUZZ_CHECK(ok, what)                                                                                 \
  do                                                                                                         \
    {                                                                                                        \
      if (!(ok))                                                                                             \
        g_error ("property broken: %s", what);                                                               \
    }                                                                                                        \
  while (0)
