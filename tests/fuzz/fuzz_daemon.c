/* `xraycap daemon`'s path for a datagram: the check, the store, then every view of the trace
 * (list row, terminal timeline, web page with timeline and map, map as text and DOT).
 *
 * The input is one or more datagrams separated by a line holding only RS (0x1e), so a
 * segment and its subsegment documents can make one trace. A datagram starting with '!' is
 * stored without the check, as a store written by an older daemon may hold it. */
#include "fuzz.h"

#include "doccheck.h"
#include "html.h"
#include "map.h"
#include "store.h"
#include "timeline.h"
#include "trace.h"
#include "view.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <unistd.h>

/* on tmpfs when there is one: the store is made anew for every input */
static char dir[32] = "/dev/shm/xraycap-fuzz-XXXXXX";
static char path[64];
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!mkdtemp(dir)) {
        memcpy(dir, "/tmp/xraycap-fuzz-XXXXXX", sizeof "/tmp/xraycap-fuzz-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    if (!(sink = fopen("/dev/null", "w")))
        abort();
    snprintf(path, sizeof path, "%s/traces.db", dir);
    setenv("XRAYCAP_DOT", "", 1); /* no Graphviz process per input: the map's fallback instead */
    return 0;
}

static void view_trace(store *st, const char *id)
{
    trace t;
    if (!trace_load(st, id, &t))
        return;
    const cJSON *r;
    cJSON_ArrayForEach(r, t.roots) {
        timeline_print(sink, r, 40, 0);
        timeline_print(sink, r, 40, 1);
    }
    timeline_print_trace(sink, t.roots, 40, 1); /* `show`: every segment on one axis */
    trace_map m = {0};
    map_add_trace(&m, &t);
    map_print_text(sink, &m);
    map_print_dot(sink, &m);
    map_free(&m);
    html_trace_list(sink, &t, 1, NULL, NULL, "../");
    trace_free(&t);
    view_trace_page(sink, st, id, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    unlink(path);
    store *st = store_open(path, err, sizeof err);
    if (!st)
        abort();
    const uint8_t *p = data, *end = data + size;
    char ids[8][64];
    int nids = 0;
    while (p < end) {
        const uint8_t *sep = memmem(p, (size_t)(end - p), "\n\x1e\n", 3);
        size_t len = (size_t)((sep ? sep : end) - p);
        char *dg = malloc(len + 1);
        memcpy(dg, p, len);
        dg[len] = '\0';
        cJSON *doc = NULL;
        const char *why = NULL, *body = NULL;
        if (len && dg[0] == '!') {
            body = dg + 1;
            doc = cJSON_ParseWithLength(body, len - 1);
        } else if ((doc = doc_from_datagram(dg, len, &why))) {
            body = (const char *)memchr(dg, '\n', len) + 1;
        }
        if (doc && cJSON_IsObject(doc)) {
            store_put(st, doc, body);
            const cJSON *tid = cJSON_GetObjectItemCaseSensitive(doc, "trace_id");
            if (cJSON_IsString(tid) && nids < 8)
                snprintf(ids[nids++], sizeof ids[0], "%.60s", tid->valuestring);
        }
        cJSON_Delete(doc);
        free(dg);
        p = sep ? sep + 3 : end;
    }
    for (int i = 0; i < nids; i++)
        view_trace(st, ids[i]);
    /* the trace list and the map over everything stored, as `traces`, `map` and `serve /` */
    trace_list l = {.s = st, .response_times = true};
    view_load(&l, 0);
    html_histogram(sink, l.rt.v, l.rt.n, "fault", "&since=1h");
    html_trace_list(sink, l.v, l.n, &(html_form){"fault", "g", "1h", "", ""}, NULL, "");
    view_list_free(&l);
    trace_map m = {0};
    view_build_map(st, 0, 0, NULL, &m);
    html_map(sink, &m, &(html_links){"", "&since=1h"}); /* with its panels' links, as serve draws it */
    map_print_svg(sink, &m);
    map_free(&m);
    store_close(st);
    return 0;
}
