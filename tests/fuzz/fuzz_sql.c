/* The SQL sanitizer in each dialect (the first byte chooses it) at every output size: it ends,
 * NUL-terminates within the size, and writes no byte of a quoted string; and the error-message
 * cleaner (lib/error_text.c) on the same bytes. */
#include "fuzz.h"

#include "lib/error_text.h"
#include "lib/sql_text.h"

#include <assert.h>
#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    xrc_sql_dialect dialect = (xrc_sql_dialect)(data[0] % 3);
    char *sql = fuzz_cstr(data + 1, size - 1);
    size_t n = strlen(sql);
    char *out = malloc(n + 64);
    for (size_t len = 1; len <= n + 8; len += len < 300 ? 1 : 97) {
        memset(out, 'Z', n + 64);
        xrc_sql_sanitize(sql, out, len, dialect);
        assert(strlen(out) < len);
        assert(out[len] == 'Z'); /* nothing written past the size */
    }
    /* a marker inside a plain single-quoted string never survives (unless the input has it too) */
    char *marked = malloc(n + 32);
    snprintf(marked, n + 32, "SELECT 'QQ7secret' %s", sql);
    xrc_sql_sanitize(marked, out, n + 64, dialect);
    assert(strstr(sql, "QQ7secret") || !strstr(out, "QQ7secret"));
    free(marked);
    /* the same bytes as a server's error message about the statement: within any room */
    for (size_t len = 1; len <= n + 8; len += len < 64 ? 1 : 131) {
        memset(out, 'Z', n + 64);
        xrc_error_text(sql, sql, out, len);
        assert(strlen(out) < len && out[len] == 'Z');
    }
    free(out);
    free(sql);
    return 0;
}
