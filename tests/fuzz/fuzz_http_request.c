/* local-api's request parsing (tools/xraycap/http_request.c), as a connection's bytes arrive:
 * whatever the bytes, a result within the limits; a request read whole is never refused, nor
 * taken for whole, while only part of it has come. */
#include "fuzz.h"

#include "http_request.h"

#include <assert.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static int parse(const uint8_t *data, size_t n, size_t max_body, size_t *used)
{
    request r;
    int st = http_request_parse((const char *)data, n, max_body, &r, used);
    if (st == 1) {
        assert(*used <= n && r.body && r.body_len <= max_body && r.body[r.body_len] == '\0');
        assert(r.method[0] && r.path[0] == '/' && strlen(r.path) < sizeof r.path);
        assert(strlen(r.trace_header) < sizeof r.trace_header);
        free(r.body);
    } else {
        assert(st == 0 || st == 400 || st == 413 || st == 414 || st == 431 || st == 501);
        assert(!r.body);
    }
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t used = 0, ignored;
    parse(data, size, 64, &ignored);
    if (parse(data, size, HTTP_MAX_BODY, &used) != 1)
        return 0;
    /* the same request arriving a byte at a time: incomplete until its last byte */
    for (size_t k = used > 600 ? used - 600 : 0; k < used; k++)
        assert(parse(data, k, HTTP_MAX_BODY, &ignored) == 0);
    return 0;
}
