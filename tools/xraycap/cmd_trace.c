/* cmd_trace.c — the commands about one trace: `show` (timeline), `export` (as BatchGetTraces
 * returns it) and `html` (a page). */
#include "commands.h"
#include "view.h"
#include "timeline.h"

#include <stdio.h>

int cmd_show(int argc, char **argv)
{
    options o;
    int rc;
    store *s = view_start(argc, argv, &o, true, "xraycap show [--db FILE] [-v] TRACE_ID", &rc);
    if (!s)
        return rc;
    trace t;
    if (!trace_load(s, o.trace_id, &t)) {
        fprintf(stderr, "xraycap show: no trace %s in %s\n", o.trace_id, o.db);
        store_close(s);
        return 1;
    }
    timeline_print_trace(stdout, t.roots, 40, o.verbose);
    trace_free(&t);
    store_close(s);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    options o;
    int rc;
    store *s = view_start(argc, argv, &o, true, "xraycap export [--db FILE] TRACE_ID", &rc);
    if (!s)
        return rc;
    trace t;
    cJSON *out = cJSON_CreateObject(), *traces = cJSON_AddArrayToObject(out, "Traces");
    cJSON *missing = cJSON_AddArrayToObject(out, "UnprocessedTraceIds");
    if (trace_load(s, o.trace_id, &t)) {
        cJSON *x = cJSON_CreateObject(), *segs;
        cJSON_AddStringToObject(x, "Id", t.id);
        cJSON_AddNumberToObject(x, "Duration", t.end - t.start);
        cJSON_AddBoolToObject(x, "LimitExceeded", 0);
        segs = cJSON_AddArrayToObject(x, "Segments");
        const cJSON *r;
        cJSON_ArrayForEach(r, t.roots) {
            cJSON *seg = cJSON_CreateObject();
            char *doc = cJSON_PrintUnformatted(r);
            cJSON_AddStringToObject(seg, "Id", cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring);
            cJSON_AddStringToObject(seg, "Document", doc);
            cJSON_free(doc);
            cJSON_AddItemToArray(segs, seg);
        }
        cJSON_AddItemToArray(traces, x);
        trace_free(&t);
    } else {
        cJSON_AddItemToArray(missing, cJSON_CreateString(o.trace_id));
    }
    char *text = cJSON_Print(out);
    puts(text);
    cJSON_free(text);
    cJSON_Delete(out);
    store_close(s);
    return 0;
}

int cmd_html(int argc, char **argv)
{
    options o;
    int rc;
    store *s = view_start(argc, argv, &o, true, "xraycap html [--db FILE] TRACE_ID > page.html", &rc);
    if (!s)
        return rc;
    bool found = view_trace_page(stdout, s, o.trace_id, NULL);
    store_close(s);
    if (!found)
        fprintf(stderr, "xraycap html: no trace %s in %s\n", o.trace_id, o.db);
    return found ? 0 : 1;
}
