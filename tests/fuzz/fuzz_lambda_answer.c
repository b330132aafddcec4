/* The Lambda loop reading the Runtime API's answer to GET .../next (its header lines, one per
 * input line) and the URL it would answer at: only ever the invocation's own path. */
#include "fuzz.h"

#include "lambda/lambda_loop.h"

#include <assert.h>
#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), *rest = text;
    xrc_lambda_next h;
    memset(&h, 0, sizeof h);
    while (*rest) {
        char *line = fuzz_field(&rest, '\n');
        char buf[4200];
        int n = snprintf(buf, sizeof buf, "%s\r\n", line);
        xrc_lambda_next_header(&h, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    }
    assert(strlen(h.request_id) < sizeof h.request_id && strlen(h.trace) < sizeof h.trace);
    static const char prefix[] = "http://127.0.0.1:9001/2018-06-01/runtime/invocation/";
    char url[600];
    if (xrc_lambda_answer_url("127.0.0.1:9001", h.request_id, "response", url, sizeof url)) {
        assert(!strncmp(url, prefix, sizeof prefix - 1));
        const char *id = url + sizeof prefix - 1, *slash = strchr(id, '/');
        assert(slash && !strcmp(slash, "/response") && (size_t)(slash - id) == strlen(h.request_id));
        assert(!strpbrk(id, "?#%\\ ") && !strstr(id, ".."));
    }
    free(text);
    return 0;
}
