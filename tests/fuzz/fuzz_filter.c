/* `xraycap traces --filter` (and `serve /?filter=`): the expression parser, then the filter
 * matched against a small trace with annotations, HTTP fields and flags. */
#include "fuzz.h"

#include "filter.h"
#include "trace.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static trace sample;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *doc =
        "{\"name\":\"users-api\",\"id\":\"70de5b6f19ff9a0a\",\"trace_id\":\"1-5f84c7a1-0123456789abcdef01234567\","
        "\"start_time\":1602537377.1,\"end_time\":1602537377.6,\"fault\":true,"
        "\"annotations\":{\"user\":\"alice\",\"n\":3,\"ok\":false},"
        "\"http\":{\"request\":{\"method\":\"POST\",\"url\":\"http://x/users?q=1\"},\"response\":{\"status\":500}},"
        "\"subsegments\":[{\"name\":\"db\",\"id\":\"70de5b6f19ff9a0b\",\"start_time\":1602537377.2,"
        "\"end_time\":1602537377.3,\"error\":true,\"namespace\":\"remote\"}]}";
    char dir[] = "/tmp/xraycap-fuzz-XXXXXX", path[64], err[256];
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/traces.db", dir);
    store *st = store_open(path, err, sizeof err);
    cJSON *json = cJSON_Parse(doc);
    if (!st || !json || store_put(st, json, doc) || !trace_load(st, "1-5f84c7a1-0123456789abcdef01234567", &sample))
        abort();
    cJSON_Delete(json);
    store_close(st);
    unlink(path);
    rmdir(dir);
    return 0;
}

/* Groups for group.name: "a" and "b" name each other (a loop), "f" is a plain one. */
static bool groups(const char *name, char *expr, size_t len, void *ctx)
{
    (void)ctx;
    const char *e = !strcmp(name, "a") ? "group.name = \"b\" OR fault" : !strcmp(name, "b") ? "!group.name = \"a\""
                  : !strcmp(name, "f") ? "service(\"db\") { error }" : NULL;
    if (e)
        snprintf(expr, len, "%s", e);
    return e != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), err[512];
    filter *f = filter_parse_groups(text, groups, NULL, err, sizeof err);
    if (f) {
        filter_match(f, &sample);
        filter_free(f);
    } else {
        assert(err[0]);
    }
    free(text);
    return 0;
}
